//! The SeaORM idempotency store on both databases: reservation, completion, release, keys per
//! organization, concurrent reservations (exactly one wins) and pruning.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::TimeDelta;
use givance_domain::OrgScope;
use givance_domain::RepoError;
use givance_domain::idempotency::{IdempotencyKey, Reservation, StoredResponse};
use givance_domain::organization::{NewOrganization, Slug};
use givance_domain::shared::time::now;
use givance_infra::Repositories;
use givance_infra::repositories::request_fingerprint;
use givance_tests::{TestDb, on_both_backends};

async fn org(repos: &Repositories, slug: &str) -> OrgScope {
    let new =
        NewOrganization::new(&format!("clerk_{slug}"), &format!("Org {slug}"), Slug::parse(slug).unwrap()).unwrap();
    OrgScope::for_tests(repos.organizations.create(new).await.unwrap().id)
}

fn key(raw: &str) -> IdempotencyKey {
    IdempotencyKey::parse(raw).unwrap()
}

fn created(body: &str) -> StoredResponse {
    StoredResponse { status: 201, body: body.to_owned() }
}

async fn reserve_complete_replay(db: &TestDb) {
    let repos = Repositories::new(db.conn());
    let store = repos.idempotency.as_ref();
    let scope = org(&repos, "hope").await;
    let k = key("order-42");
    let fingerprint = request_fingerprint("POST", "/api/v1/donations", br#"{"amount":"25.00"}"#);

    assert_eq!(store.reserve(&scope, &k, &fingerprint).await.unwrap(), Reservation::Reserved);
    let Reservation::Existing(pending) = store.reserve(&scope, &k, "other").await.unwrap() else {
        panic!("a reserved key is not free");
    };
    assert_eq!(pending.fingerprint, fingerprint, "the first request's fingerprint is kept");
    assert_eq!(pending.response, None, "still running");

    store.complete(&scope, &k, created(r#"{"id":"x"}"#)).await.unwrap();
    let Reservation::Existing(done) = store.reserve(&scope, &k, &fingerprint).await.unwrap() else {
        panic!("a completed key is not free");
    };
    assert_eq!(done.response, Some(created(r#"{"id":"x"}"#)));
    assert_eq!(done.key, k);

    // Completing twice, or a key never reserved, changes nothing.
    assert!(matches!(store.complete(&scope, &k, created("{}")).await, Err(RepoError::NotFound)));
    assert!(matches!(store.complete(&scope, &key("never"), created("{}")).await, Err(RepoError::NotFound)));
    // A finished request's response is never released.
    store.release(&scope, &k).await.unwrap();
    assert!(matches!(store.reserve(&scope, &k, &fingerprint).await.unwrap(), Reservation::Existing(_)));
}
on_both_backends!(idempotency_reserve_complete_replay, reserve_complete_replay);

async fn a_released_key_is_free_again(db: &TestDb) {
    let repos = Repositories::new(db.conn());
    let store = repos.idempotency.as_ref();
    let scope = org(&repos, "hope").await;
    let k = key("retry me");
    assert_eq!(store.reserve(&scope, &k, "first").await.unwrap(), Reservation::Reserved);
    store.release(&scope, &k).await.unwrap();
    store.release(&scope, &k).await.unwrap();
    assert_eq!(store.reserve(&scope, &k, "second").await.unwrap(), Reservation::Reserved);
}
on_both_backends!(idempotency_release, a_released_key_is_free_again);

async fn keys_are_per_organization(db: &TestDb) {
    let repos = Repositories::new(db.conn());
    let store = repos.idempotency.as_ref();
    let a = org(&repos, "alpha").await;
    let b = org(&repos, "beta").await;
    let k = key("same-key");
    assert_eq!(store.reserve(&a, &k, "a").await.unwrap(), Reservation::Reserved);
    assert_eq!(store.reserve(&b, &k, "b").await.unwrap(), Reservation::Reserved, "B's key is its own");
    // B cannot complete or release A's reservation.
    store.complete(&b, &k, created("b")).await.unwrap();
    store.release(&b, &k).await.unwrap();
    let Reservation::Existing(of_a) = store.reserve(&a, &k, "a").await.unwrap() else { panic!("A's key is held") };
    assert_eq!((of_a.fingerprint.as_str(), of_a.response), ("a", None));
}
on_both_backends!(idempotency_isolation, keys_are_per_organization);

async fn concurrent_reservations_have_one_winner(db: &TestDb) {
    let repos = Repositories::new(db.conn());
    let scope = org(&repos, "hope").await;
    let k = key("race");
    let attempts = (0..8).map(|_| {
        let (store, scope, k) = (repos.idempotency.clone(), scope.clone(), k.clone());
        tokio::spawn(async move { store.reserve(&scope, &k, "same").await.unwrap() })
    });
    let mut outcomes = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        outcomes.push(attempt.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| **o == Reservation::Reserved).count(), 1, "{outcomes:?}");
}
on_both_backends!(idempotency_race, concurrent_reservations_have_one_winner);

async fn prune_forgets_old_keys_of_every_organization(db: &TestDb) {
    let repos = Repositories::new(db.conn());
    let store = repos.idempotency.as_ref();
    let a = org(&repos, "alpha").await;
    let b = org(&repos, "beta").await;
    store.reserve(&a, &key("one"), "x").await.unwrap();
    store.reserve(&b, &key("two"), "y").await.unwrap();
    assert_eq!(store.prune(now() - TimeDelta::hours(48)).await.unwrap(), 0, "recent keys stay");
    assert!(matches!(store.reserve(&a, &key("one"), "x").await.unwrap(), Reservation::Existing(_)));
    assert_eq!(store.prune(now() + TimeDelta::seconds(1)).await.unwrap(), 2);
    assert_eq!(store.reserve(&a, &key("one"), "x").await.unwrap(), Reservation::Reserved, "forgotten");
}
on_both_backends!(idempotency_prune, prune_forgets_old_keys_of_every_organization);
