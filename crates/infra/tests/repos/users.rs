use givance_domain::user::{NewUser, UserPatch};
use givance_domain::{EmailAddress, RepoError, UserId};
use givance_tests::{TestDb, on_both_backends};

use crate::fixtures::repos;

fn new_user(clerk: &str, email: &str) -> NewUser {
    NewUser::new(clerk, EmailAddress::parse(email).unwrap(), Some("Ada"), None).unwrap()
}

async fn create_read_update(db: &TestDb) {
    let repos = repos(db);
    let user = repos.users.create(new_user("user_1", "Ada@Example.org")).await.unwrap();
    assert_eq!(repos.users.get(user.id).await.unwrap().unwrap(), user);
    assert_eq!(repos.users.find_by_clerk_id("user_1").await.unwrap().unwrap().id, user.id);
    let email = EmailAddress::parse("ada@example.org").unwrap();
    assert_eq!(repos.users.find_by_email(&email).await.unwrap().unwrap().id, user.id);
    assert!(repos.users.get(UserId::new()).await.unwrap().is_none());

    let patch =
        UserPatch { email_signature: Some(Some("-- Ada".into())), first_name: Some(None), ..UserPatch::default() };
    let updated = repos.users.update(user.id, patch).await.unwrap();
    assert_eq!(updated.email_signature.as_deref(), Some("-- Ada"));
    assert_eq!(updated.first_name, None);
    assert_eq!(repos.users.get(user.id).await.unwrap().unwrap(), updated);
    assert!(matches!(repos.users.update(UserId::new(), UserPatch::default()).await, Err(RepoError::NotFound)));
}
on_both_backends!(create_read_update_users, create_read_update);

async fn duplicate_clerk_id_is_a_conflict(db: &TestDb) {
    let repos = repos(db);
    repos.users.create(new_user("user_1", "a@example.org")).await.unwrap();
    match repos.users.create(new_user("user_1", "b@example.org")).await {
        Err(RepoError::Conflict { constraint }) => assert_eq!(constraint, "uq_users_clerk_id"),
        other => panic!("expected a conflict, got {other:?}"),
    }
}
on_both_backends!(user_clerk_id_conflict, duplicate_clerk_id_is_a_conflict);
