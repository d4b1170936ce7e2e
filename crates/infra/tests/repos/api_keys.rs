use chrono::Duration;
use givance_domain::api_key::{ApiKeyRequest, NewApiKey, TokenParts};
use givance_domain::shared::time::now;
use givance_domain::staff::{NewStaff, Role};
use givance_domain::user::NewUser;
use givance_domain::{ApiKeyId, EmailAddress, OrgScope, PageRequest, RepoError, StaffId};
use givance_infra::Repositories;
use givance_infra::credentials::{issue_api_key, verify_secret};
use givance_tests::{TestDb, on_both_backends};

use crate::fixtures::{org, repos};

async fn staff(repos: &Repositories, scope: &OrgScope, n: u32) -> StaffId {
    let email = EmailAddress::parse(&format!("k{n}@example.org")).unwrap();
    let user = repos.users.create(NewUser::new(&format!("key_user_{n}"), email, None, None).unwrap()).await.unwrap();
    repos.staff.create(scope, NewStaff { user_id: user.id, role: Role::Manager, permissions: vec![] }).await.unwrap().id
}

fn request(staff_id: StaffId, name: &str) -> ApiKeyRequest {
    ApiKeyRequest::new(staff_id, name, &["donors:read".into()], Some(now() + Duration::days(30)), now()).unwrap()
}

async fn issue_find_list_touch_revoke(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let staff_id = staff(&repos, &scope, 1).await;

    let (key, token) = issue_api_key(repos.api_keys.as_ref(), &scope, request(staff_id, "ci")).await.unwrap();
    let parts = TokenParts::parse(token.expose()).unwrap();
    assert_eq!(parts.prefix, key.prefix);
    assert_eq!(repos.api_keys.get(&scope, key.id).await.unwrap().unwrap(), key);

    let found = repos.api_keys.find_by_prefix(&key.prefix).await.unwrap().unwrap();
    assert_eq!(found.organization_id, scope.org());
    assert_eq!(found.key, key);
    assert_eq!(found.staff.id, staff_id);
    assert!(verify_secret(parts.secret, &found.secret_hash));
    assert_ne!(found.secret_hash, parts.secret, "the secret is not stored");
    assert!(repos.api_keys.find_by_prefix("000000000000").await.unwrap().is_none());

    // The first use is recorded; another within the minute is not; one a minute later is.
    let first = now();
    repos.api_keys.touch(&scope, key.id, first).await.unwrap();
    repos.api_keys.touch(&scope, key.id, first + Duration::seconds(30)).await.unwrap();
    assert_eq!(repos.api_keys.get(&scope, key.id).await.unwrap().unwrap().last_used_at, Some(first));
    let later = first + Duration::seconds(61);
    repos.api_keys.touch(&scope, key.id, later).await.unwrap();
    assert_eq!(repos.api_keys.get(&scope, key.id).await.unwrap().unwrap().last_used_at, Some(later));

    let (second, _) = issue_api_key(repos.api_keys.as_ref(), &scope, request(staff_id, "deploy")).await.unwrap();
    let page = repos.api_keys.list(&scope, PageRequest::first(10)).await.unwrap();
    assert_eq!(page.items.iter().map(|k| k.id).collect::<Vec<_>>(), vec![second.id, key.id]);

    let revoked = repos.api_keys.revoke(&scope, key.id).await.unwrap();
    let at = revoked.revoked_at.unwrap();
    assert_eq!(repos.api_keys.revoke(&scope, key.id).await.unwrap().revoked_at, Some(at), "the first revocation stays");
    assert!(repos.api_keys.find_by_prefix(&key.prefix).await.unwrap().unwrap().key.revoked_at.is_some());
}
on_both_backends!(api_key_lifecycle, issue_find_list_touch_revoke);

async fn keys_are_isolated_by_organization(db: &TestDb) {
    let repos = repos(db);
    let a = org(&repos, "org-a").await;
    let b = org(&repos, "org-b").await;
    let staff_a = staff(&repos, &a, 1).await;
    let (key, _) = issue_api_key(repos.api_keys.as_ref(), &a, request(staff_a, "a")).await.unwrap();

    assert!(repos.api_keys.get(&b, key.id).await.unwrap().is_none());
    assert!(repos.api_keys.list(&b, PageRequest::first(10)).await.unwrap().items.is_empty());
    assert!(matches!(repos.api_keys.revoke(&b, key.id).await, Err(RepoError::NotFound)));
    repos.api_keys.touch(&b, key.id, now()).await.unwrap();
    let untouched = repos.api_keys.get(&a, key.id).await.unwrap().unwrap();
    assert_eq!((untouched.revoked_at, untouched.last_used_at), (None, None), "org B changed nothing");
    assert!(matches!(repos.api_keys.revoke(&a, ApiKeyId::new()).await, Err(RepoError::NotFound)));

    // A key for another organization's staff member is refused by the tenant foreign key.
    let new = NewApiKey {
        staff_id: staff_a,
        name: "stolen".into(),
        prefix: "abcdefabcdef".into(),
        secret_hash: "0".repeat(64),
        permissions: vec![],
        expires_at: None,
    };
    assert!(matches!(repos.api_keys.create(&b, new.clone()).await, Err(RepoError::NotFound)));
    // Prefixes are unique.
    repos.api_keys.create(&a, new.clone()).await.unwrap();
    match repos.api_keys.create(&a, new).await {
        Err(RepoError::Conflict { constraint }) => assert_eq!(constraint, "uq_api_keys_prefix"),
        other => panic!("expected a conflict, got {other:?}"),
    }
}
on_both_backends!(api_keys_isolated, keys_are_isolated_by_organization);
