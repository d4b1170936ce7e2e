use givance_domain::todo::{
    AiConfidence, NewTodo, SuggestionKey, SuggestionRule, TodoFilter, TodoOrigin, TodoPatch, TodoProgress,
};
use givance_domain::{PageRequest, RepoError};
use givance_tests::{TestDb, on_both_backends};

use crate::fixtures::{donor, org, repos};

async fn suggestions_are_stored_once_per_key_and_organization(db: &TestDb) {
    let repos = repos(db);
    let hope = org(&repos, "hope").await;
    let other = org(&repos, "other").await;
    let ada = donor(&repos, &hope, "Ada").await;
    let key = SuggestionKey::new(SuggestionRule::LapsedDonor, ada, "2025");
    let suggestion = || {
        let mut todo = NewTodo::new("Call Ada").unwrap();
        todo.donor_id = Some(ada);
        todo.origin = TodoOrigin::Ai { reasoning: Some("lapsed".into()), confidence: AiConfidence::parse("0.85").ok() };
        todo
    };

    // Concurrent inserts of one key store one task.
    let attempts = (0..8).map(|_| repos.todos.create_suggested(&hope, &key, suggestion()));
    let stored: Vec<_> = futures::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(stored.iter().filter(|s| s.is_some()).count(), 1);
    let filter = TodoFilter { is_ai_generated: Some(true), ..TodoFilter::default() };
    let listed = repos.todos.list(&hope, filter, PageRequest::default()).await.unwrap().items;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].origin.ai_confidence().map(|c| c.to_string()).as_deref(), Some("0.85"));
    assert_eq!(listed[0].origin.ai_reasoning(), Some("lapsed"));

    // Completed, it still holds its key; deleted, the key is free again.
    let done = TodoPatch {
        progress: Some(TodoProgress::Completed { at: listed[0].created_at, by: None }),
        ..Default::default()
    };
    repos.todos.update(&hope, listed[0].id, done).await.unwrap();
    assert!(repos.todos.create_suggested(&hope, &key, suggestion()).await.unwrap().is_none());
    repos.todos.delete(&hope, listed[0].id).await.unwrap();
    assert!(repos.todos.create_suggested(&hope, &key, suggestion()).await.unwrap().is_some());

    // The same key in another organization is another suggestion (with its own donor).
    let bob = donor(&repos, &other, "Bob").await;
    let mut theirs = NewTodo::new("Call Bob").unwrap();
    theirs.donor_id = Some(bob);
    assert!(repos.todos.create_suggested(&other, &key, theirs).await.unwrap().is_some());

    // Hand-made tasks have no key and never collide.
    for _ in 0..2 {
        repos.todos.create(&hope, NewTodo::new("By hand").unwrap()).await.unwrap();
    }
    let manual = TodoFilter { is_ai_generated: Some(false), ..TodoFilter::default() };
    assert_eq!(repos.todos.list(&hope, manual, PageRequest::default()).await.unwrap().items.len(), 2);
}
on_both_backends!(todo_suggestion_keys, suggestions_are_stored_once_per_key_and_organization);

async fn tasks_stay_in_their_organization(db: &TestDb) {
    let repos = repos(db);
    let hope = org(&repos, "hope").await;
    let other = org(&repos, "other").await;
    let theirs = donor(&repos, &other, "Bob").await;
    let task = repos.todos.create(&hope, NewTodo::new("Call Ada").unwrap()).await.unwrap();
    assert_eq!(repos.todos.get(&hope, task.id).await.unwrap().unwrap(), task);

    assert!(repos.todos.get(&other, task.id).await.unwrap().is_none());
    let listed = repos.todos.list(&other, TodoFilter::default(), PageRequest::default()).await.unwrap();
    assert!(listed.items.is_empty());
    let rename = TodoPatch { title: Some("Stolen".into()), ..TodoPatch::default() };
    assert!(matches!(repos.todos.update(&other, task.id, rename).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.todos.delete(&other, task.id).await, Err(RepoError::NotFound)));
    assert_eq!(repos.todos.get(&hope, task.id).await.unwrap().unwrap(), task);

    // Another organization's donor cannot be linked, on create or update.
    let mut linked = NewTodo::new("Call Bob").unwrap();
    linked.donor_id = Some(theirs);
    match repos.todos.create(&hope, linked).await {
        Err(RepoError::Invalid(err)) => assert_eq!(err.field, "donor_id"),
        other => panic!("expected a refusal naming donor_id, got {other:?}"),
    }
    let link = TodoPatch { donor_id: Some(Some(theirs)), ..TodoPatch::default() };
    assert!(matches!(repos.todos.update(&hope, task.id, link).await, Err(RepoError::Invalid(_))));
    assert_eq!(repos.todos.get(&hope, task.id).await.unwrap().unwrap(), task, "refused changes store nothing");
}
on_both_backends!(todo_isolation, tasks_stay_in_their_organization);
