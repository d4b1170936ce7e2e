use givance_domain::project::{NewProject, ProjectPatch, ProjectStatus};
use givance_domain::{PageRequest, ProjectId, RepoError};
use givance_tests::{TestDb, on_both_backends};
use rust_decimal_macros::dec;

use crate::fixtures::{day, donor, gift, org, repos};

fn campaign() -> NewProject {
    let mut new = NewProject::new("Winter appeal").unwrap();
    new.target_amount = Some(dec!(25000.5));
    new.start_date = Some(day(2026, 12, 1));
    new.end_date = Some(day(2027, 1, 31));
    new.settings = Some(serde_json::json!({"match": true}));
    new
}

async fn create_read_update(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let created = repos.projects.create(&scope, campaign()).await.unwrap();
    let read = repos.projects.get(&scope, created.id).await.unwrap().unwrap();
    assert_eq!(read, created);
    assert_eq!(read.target_amount.unwrap().to_string(), "25000.50");
    assert_eq!(read.status, ProjectStatus::Draft);

    let active = repos
        .projects
        .update(&scope, created.id, ProjectPatch { status: Some(ProjectStatus::Active), ..ProjectPatch::default() })
        .await
        .unwrap();
    assert_eq!(active.status, ProjectStatus::Active);
    let back = ProjectPatch { status: Some(ProjectStatus::Draft), ..ProjectPatch::default() };
    assert!(matches!(repos.projects.update(&scope, created.id, back).await, Err(RepoError::Invalid(_))));
    let bad_dates = ProjectPatch { end_date: Some(Some(day(2026, 1, 1))), ..ProjectPatch::default() };
    assert!(matches!(repos.projects.update(&scope, created.id, bad_dates).await, Err(RepoError::Invalid(_))));
    assert_eq!(repos.projects.get(&scope, created.id).await.unwrap().unwrap(), active, "refused patches store nothing");

    let listed = repos.projects.list(&scope, PageRequest::default()).await.unwrap();
    assert_eq!(listed.items, vec![active]);
}
on_both_backends!(project_create_read_update, create_read_update);

async fn a_project_with_donations_cannot_be_deleted(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let project = repos.projects.create(&scope, campaign()).await.unwrap();
    let donor_id = donor(&repos, &scope, "Ada").await;
    let mut donation = gift(donor_id, "50.00");
    donation.project_id = Some(project.id);
    let donation = repos.donations.create(&scope, donation).await.unwrap();

    assert!(matches!(repos.projects.delete(&scope, project.id).await, Err(RepoError::InUse(_))));
    assert!(repos.projects.get(&scope, project.id).await.unwrap().is_some());

    repos.donations.delete(&scope, donation.id).await.unwrap();
    repos.projects.delete(&scope, project.id).await.unwrap();
    assert!(repos.projects.get(&scope, project.id).await.unwrap().is_none());
    assert!(matches!(repos.projects.delete(&scope, ProjectId::new()).await, Err(RepoError::NotFound)));
}
on_both_backends!(project_delete_rules, a_project_with_donations_cannot_be_deleted);

async fn other_organizations_see_nothing(db: &TestDb) {
    let repos = repos(db);
    let a = org(&repos, "alpha").await;
    let b = org(&repos, "beta").await;
    let project = repos.projects.create(&a, campaign()).await.unwrap();
    assert!(repos.projects.get(&b, project.id).await.unwrap().is_none());
    assert!(repos.projects.list(&b, PageRequest::default()).await.unwrap().items.is_empty());
    let rename = ProjectPatch { name: Some("Stolen".into()), ..ProjectPatch::default() };
    assert!(matches!(repos.projects.update(&b, project.id, rename).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.projects.delete(&b, project.id).await, Err(RepoError::NotFound)));
    assert_eq!(repos.projects.get(&a, project.id).await.unwrap().unwrap(), project);
}
on_both_backends!(project_isolation, other_organizations_see_nothing);
