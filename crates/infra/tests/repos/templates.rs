use givance_domain::shared::time::now;
use givance_domain::template::{NewTemplate, TemplateFilter, TemplatePatch};
use givance_domain::{PageRequest, RepoError, TemplateId};
use givance_tests::{TestDb, on_both_backends};

use crate::fixtures::{org, repos};

async fn uses_count_atomically_and_stay_in_their_organization(db: &TestDb) {
    let repos = repos(db);
    let hope = org(&repos, "hope").await;
    let other = org(&repos, "other").await;
    let template = repos
        .templates
        .create(&hope, NewTemplate::new("Thanks", Some("Hi {{first_name}}"), "Dear {{donor.full_name}}").unwrap())
        .await
        .unwrap();
    assert_eq!(repos.templates.get(&hope, template.id).await.unwrap().unwrap(), template);
    assert_eq!(template.variables, ["first_name", "donor.full_name"]);

    // Twenty concurrent uses all count.
    let uses = (0..20).map(|_| repos.templates.record_use(&hope, template.id, now()));
    for used in futures::future::join_all(uses).await {
        used.unwrap();
    }
    let read = repos.templates.get(&hope, template.id).await.unwrap().unwrap();
    assert_eq!(read.usage_count, 20);
    assert!(read.last_used_at.is_some());

    // Another organization reads, lists, changes, uses and deletes nothing.
    assert!(repos.templates.get(&other, template.id).await.unwrap().is_none());
    let listed = repos.templates.list(&other, TemplateFilter::default(), PageRequest::default()).await.unwrap();
    assert!(listed.items.is_empty());
    let rename = TemplatePatch { name: Some("Stolen".into()), ..TemplatePatch::default() };
    assert!(matches!(repos.templates.update(&other, template.id, rename).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.templates.record_use(&other, template.id, now()).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.templates.delete(&other, template.id).await, Err(RepoError::NotFound)));
    assert_eq!(repos.templates.get(&hope, template.id).await.unwrap().unwrap(), read);

    // A refused patch stores nothing; the owner deletes.
    let blank = TemplatePatch { body: Some(" ".into()), ..TemplatePatch::default() };
    assert!(matches!(repos.templates.update(&hope, template.id, blank).await, Err(RepoError::Invalid(_))));
    assert_eq!(repos.templates.get(&hope, template.id).await.unwrap().unwrap(), read);
    repos.templates.delete(&hope, template.id).await.unwrap();
    assert!(repos.templates.get(&hope, template.id).await.unwrap().is_none());
    assert!(matches!(repos.templates.record_use(&hope, TemplateId::new(), now()).await, Err(RepoError::NotFound)));
}
on_both_backends!(template_uses_and_isolation, uses_count_atomically_and_stay_in_their_organization);
