use actix_web::test;
use givance_tests::TestDb;
use serde_json::{Value, json};

use crate::support::{call, content_type, problem, request_id, state};

async fn healthz_and_readyz_answer_200(db: &TestDb) {
    let app = test::init_service(givance_api::app(state(db))).await;

    let (status, headers, body) = call!(&app, test::TestRequest::get().uri("/healthz"));
    assert_eq!(status, 200);
    assert!(content_type(&headers).starts_with("application/json"));
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!({ "status": "ok" }));
    assert!(!request_id(&headers).is_empty());

    let (status, _, body) = call!(&app, test::TestRequest::get().uri("/readyz"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["status"], "ok");

    for uri in ["/healthz", "/readyz"] {
        let (status, _, _) = call!(&app, test::TestRequest::default().method(actix_web::http::Method::HEAD).uri(uri));
        assert_eq!(status, 200, "HEAD {uri}");
    }
}

#[actix_web::test]
async fn health_on_sqlite() {
    healthz_and_readyz_answer_200(&TestDb::sqlite().await).await;
}

#[actix_web::test]
async fn health_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        healthz_and_readyz_answer_200(&db).await;
    }
}

#[actix_web::test]
async fn readyz_is_503_problem_when_the_database_is_gone_while_healthz_stays_200() {
    let db = TestDb::sqlite().await;
    let app = test::init_service(givance_api::app(state(&db))).await;
    // The pool is shared by every clone of the connection: closing one closes the app's too.
    db.conn().clone().close().await.unwrap();

    let (status, headers, body) = call!(&app, test::TestRequest::get().uri("/readyz"));
    assert_eq!(status, 503);
    problem(503, &headers, &body, "service_unavailable");

    let (status, _, _) = call!(&app, test::TestRequest::get().uri("/healthz"));
    assert_eq!(status, 200, "liveness needs no database");
}

#[actix_web::test]
async fn readyz_on_an_unmigrated_database_is_still_ready() {
    // Readiness means "the database answers"; `givance serve` migrates before it listens.
    let db = TestDb::sqlite_empty().await;
    let app = test::init_service(givance_api::app(state(&db))).await;
    let (status, _, _) = call!(&app, test::TestRequest::get().uri("/readyz"));
    assert_eq!(status, 200);
}
