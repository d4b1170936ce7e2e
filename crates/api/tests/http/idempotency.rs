//! `Idempotency-Key` on `POST /api/v1/donations`, on both databases: a replay returns the first
//! response and stores nothing more; another body is a 422 `idempotency_key_reused`; a key still
//! reserved is a 409 `idempotency_in_progress`; a failed first attempt does not poison the key;
//! keys are per organization; a malformed key is a 422 naming the header.

use actix_web::test::{self, TestRequest};
use givance_domain::OrgScope;
use givance_domain::idempotency::IdempotencyKey;
use givance_domain::staff::Role;
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::donations::{LIST, create, donor, gift, stored};
use crate::support::{call, fields, problem, state};
use crate::tenants::{get, json_of, member, organization, post, repos, with_bearer};

const HEADER: &str = "Idempotency-Key";

fn keyed(token: &str, key: &str, body: Value) -> TestRequest {
    post(token, LIST, body).insert_header((HEADER, key))
}

async fn a_replay_returns_the_first_response(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);

    let (status, headers, first) = call!(&app, keyed(&manager.key, "order-42", gift(&donor, "25.00")));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&first));
    assert!(headers.get("idempotent-replayed").is_none());
    let (status, headers, again) = call!(&app, keyed(&manager.key, "order-42", gift(&donor, "25.00")));
    assert_eq!(status, 201);
    assert_eq!(headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(json_of(&again), json_of(&first), "the same donation, the same body");
    // The same JSON written differently is the same request.
    let reordered = r#"{ "date": "2026-11-25",   "amount": "25.00", "donor_id": "DONOR" }"#.replace("DONOR", &donor);
    let (status, headers, third) = call!(
        &app,
        with_bearer(TestRequest::post().uri(LIST), &manager.key)
            .insert_header((HEADER, "order-42"))
            .insert_header(("content-type", "application/json"))
            .set_payload(reordered)
    );
    assert_eq!(
        (status, headers.get("idempotent-replayed").map(|v| v.to_str().unwrap().to_owned())),
        (201, Some("true".into()))
    );
    assert_eq!(json_of(&third)["id"], json_of(&first)["id"]);
    assert_eq!(stored!(&app, &manager.key), vec![json_of(&first)["id"].as_str().unwrap().to_owned()], "one row");

    // Another key is another request.
    let (status, _, other) = call!(&app, keyed(&manager.key, "order-43", gift(&donor, "25.00")));
    assert_eq!(status, 201);
    assert_ne!(json_of(&other)["id"], json_of(&first)["id"]);
    // And no key at all always creates.
    create!(&app, &manager.key, gift(&donor, "25.00"));
    assert_eq!(stored!(&app, &manager.key).len(), 3);
}
on_both_backends!(idempotency_replay, a_replay_returns_the_first_response);

async fn another_body_with_the_key_is_refused(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);

    let (status, _, first) = call!(&app, keyed(&manager.key, "k1", gift(&donor, "25.00")));
    assert_eq!(status, 201);
    let (status, headers, body) = call!(&app, keyed(&manager.key, "k1", gift(&donor, "26.00")));
    assert_eq!(status, 422);
    let problem = problem(422, &headers, &body, "idempotency_key_reused");
    assert_eq!(fields(&problem), vec![HEADER]);
    assert_eq!(stored!(&app, &manager.key), vec![json_of(&first)["id"].as_str().unwrap().to_owned()]);
}
on_both_backends!(idempotency_other_body, another_body_with_the_key_is_refused);

async fn keys_are_per_organization(db: &TestDb) {
    let repos = repos(db);
    let alpha = member(&repos, &organization(&repos, "alpha").await, "ann", Role::Manager).await;
    let beta = member(&repos, &organization(&repos, "beta").await, "ben", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let alpha_donor = donor!(&app, &alpha.key);
    let beta_donor = donor!(&app, &beta.key);

    let (status, _, a) = call!(&app, keyed(&alpha.key, "shared-key", gift(&alpha_donor, "10.00")));
    assert_eq!(status, 201);
    let (status, headers, b) = call!(&app, keyed(&beta.key, "shared-key", gift(&beta_donor, "10.00")));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&b));
    assert!(headers.get("idempotent-replayed").is_none(), "not A's response");
    assert_ne!(json_of(&a)["id"], json_of(&b)["id"]);
    assert_eq!(stored!(&app, &alpha.key).len(), 1);
    assert_eq!(stored!(&app, &beta.key).len(), 1);
}
on_both_backends!(idempotency_per_organization, keys_are_per_organization);

async fn a_failed_attempt_does_not_poison_the_key(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);

    // Refused by the database (unknown donor) after the key was reserved: the key is freed.
    let unknown = uuid::Uuid::now_v7().to_string();
    let (status, headers, body) = call!(&app, keyed(&manager.key, "retry", gift(&unknown, "25.00")));
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), vec!["donor_id"]);
    assert_eq!(status, 422);
    // Refused before it reached the store (a bad amount): the key is never taken.
    let (status, _, _) = call!(&app, keyed(&manager.key, "retry", gift(&donor, "0")));
    assert_eq!(status, 422);
    // The corrected request with the same key succeeds, once.
    let (status, _, first) = call!(&app, keyed(&manager.key, "retry", gift(&donor, "25.00")));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&first));
    let (status, headers, again) = call!(&app, keyed(&manager.key, "retry", gift(&donor, "25.00")));
    assert_eq!((status, headers.get("idempotent-replayed").is_some()), (201, true));
    assert_eq!(json_of(&again)["id"], json_of(&first)["id"]);
    assert_eq!(stored!(&app, &manager.key).len(), 1);
}
on_both_backends!(idempotency_failure_frees_the_key, a_failed_attempt_does_not_poison_the_key);

async fn a_key_in_use_is_a_conflict(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);

    // A first request still running holds the reservation.
    let scope = OrgScope::for_tests(hope.id);
    repos.idempotency.reserve(&scope, &IdempotencyKey::parse("busy").unwrap(), "running").await.unwrap();
    let (status, headers, body) = call!(&app, keyed(&manager.key, "busy", gift(&donor, "25.00")));
    problem(409, &headers, &body, "idempotency_in_progress");
    assert_eq!(status, 409);
    assert!(stored!(&app, &manager.key).is_empty());
}
on_both_backends!(idempotency_in_progress, a_key_in_use_is_a_conflict);

async fn malformed_keys_are_422(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);

    for bad in ["k".repeat(256), "   ".to_owned(), "tab\tkey".to_owned()] {
        let (status, headers, body) = call!(&app, keyed(&manager.key, &bad, gift(&donor, "25.00")));
        assert_eq!(status, 422, "{bad:?}");
        assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), vec![HEADER], "{bad:?}");
    }
    let non_ascii = actix_web::http::header::HeaderValue::from_bytes("caf\u{e9}".as_bytes()).unwrap();
    let (status, _, _) =
        call!(&app, post(&manager.key, LIST, gift(&donor, "25.00")).insert_header((HEADER, non_ascii)));
    assert_eq!(status, 422);
    assert!(stored!(&app, &manager.key).is_empty());
    // The longest key is fine.
    let (status, _, _) = call!(&app, keyed(&manager.key, &"k".repeat(255), gift(&donor, "25.00")));
    assert_eq!(status, 201);
    let (status, _, _) = call!(&app, get(&manager.key, LIST));
    assert_eq!(status, 200);
}
on_both_backends!(idempotency_malformed_keys, malformed_keys_are_422);
