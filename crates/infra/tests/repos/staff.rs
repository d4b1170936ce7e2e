use givance_domain::staff::{NewStaff, Role, StaffPatch};
use givance_domain::user::NewUser;
use givance_domain::{EmailAddress, OrgScope, PageRequest, RepoError, Secret, StaffId, UserId};
use givance_infra::Repositories;
use givance_tests::{TestDb, on_both_backends};

use crate::fixtures::{org, repos};

async fn user(repos: &Repositories, n: u32) -> UserId {
    let new =
        NewUser::new(&format!("user_{n}"), EmailAddress::parse(&format!("u{n}@example.org")).unwrap(), None, None);
    repos.users.create(new.unwrap()).await.unwrap().id
}

fn member(user_id: UserId, role: Role) -> NewStaff {
    NewStaff { user_id, role, permissions: vec!["donations:read".into()] }
}

async fn create_read_update_deactivate(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let user_id = user(&repos, 1).await;
    let staff = repos.staff.create(&scope, member(user_id, Role::Fundraiser)).await.unwrap();
    assert_eq!(repos.staff.get(&scope, staff.id).await.unwrap().unwrap(), staff);
    assert_eq!(repos.staff.find_by_user(&scope, user_id).await.unwrap().unwrap().id, staff.id);
    assert!(staff.is_active);

    let patch = StaffPatch {
        role: Some(Role::Manager),
        gmail_refresh_token: Some(Some(Secret::new("refresh"))),
        gmail_email: Some(Some(EmailAddress::parse("ada@gmail.com").unwrap())),
        ..StaffPatch::default()
    };
    let updated = repos.staff.update(&scope, staff.id, patch).await.unwrap();
    assert_eq!(updated.role, Role::Manager);
    assert_eq!(repos.staff.get(&scope, staff.id).await.unwrap().unwrap(), updated);

    assert!(!repos.staff.deactivate(&scope, staff.id).await.unwrap().is_active);
    assert!(!repos.staff.get(&scope, staff.id).await.unwrap().unwrap().is_active);
    assert!(repos.staff.reactivate(&scope, staff.id).await.unwrap().is_active);

    let second = repos.staff.create(&scope, member(user(&repos, 2).await, Role::Viewer)).await.unwrap();
    let page = repos.staff.list(&scope, PageRequest::first(10)).await.unwrap();
    assert_eq!(page.items.iter().map(|s| s.id).collect::<Vec<_>>(), vec![second.id, staff.id]);
}
on_both_backends!(staff_lifecycle, create_read_update_deactivate);

async fn a_user_is_staff_once_per_organization(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let other = org(&repos, "other").await;
    let user_id = user(&repos, 1).await;
    repos.staff.create(&scope, member(user_id, Role::Admin)).await.unwrap();
    match repos.staff.create(&scope, member(user_id, Role::Viewer)).await {
        Err(RepoError::Conflict { constraint }) => assert_eq!(constraint, "uq_staff_org_user"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // The same user may be staff of another organization.
    repos.staff.create(&other, member(user_id, Role::Viewer)).await.unwrap();
}
on_both_backends!(staff_unique_membership, a_user_is_staff_once_per_organization);

async fn other_organizations_see_nothing(db: &TestDb) {
    let repos = repos(db);
    let a = org(&repos, "alpha").await;
    let b: OrgScope = org(&repos, "beta").await;
    let user_id = user(&repos, 1).await;
    let staff = repos.staff.create(&a, member(user_id, Role::Admin)).await.unwrap();

    assert!(repos.staff.get(&b, staff.id).await.unwrap().is_none());
    assert!(repos.staff.find_by_user(&b, user_id).await.unwrap().is_none());
    assert!(repos.staff.list(&b, PageRequest::default()).await.unwrap().items.is_empty());
    let patch = StaffPatch { role: Some(Role::Viewer), ..StaffPatch::default() };
    assert!(matches!(repos.staff.update(&b, staff.id, patch).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.staff.deactivate(&b, staff.id).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.staff.deactivate(&a, StaffId::new()).await, Err(RepoError::NotFound)));
    assert_eq!(repos.staff.get(&a, staff.id).await.unwrap().unwrap(), staff, "org A's row is unchanged");
}
on_both_backends!(staff_isolation, other_organizations_see_nothing);
