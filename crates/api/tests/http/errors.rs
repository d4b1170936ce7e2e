use actix_web::{HttpResponse, test, web};
use givance_api::ApiError;
use givance_domain::{RepoError, ValueError};
use givance_tests::TestDb;
use serde::Deserialize;

use crate::support::{call, problem, state};

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Probe {
    name: String,
    amount: u32,
}

async fn echo(body: web::Json<Probe>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "name": body.name }))
}

async fn fails_with(which: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Err(match which.as_str() {
        "not_found" => RepoError::NotFound.into(),
        "conflict" => RepoError::Conflict { constraint: "donors_organization_id_email_key".into() }.into(),
        "in_use" => RepoError::InUse("donations reference this project".into()).into(),
        "invalid" => ValueError::new("email", "'x' is not an email address").into(),
        _ => RepoError::Unavailable("connection to 10.1.2.3 reset during SELECT * FROM donors".into()).into(),
    })
}

#[actix_web::test]
async fn unknown_routes_are_404_problems() {
    let db = TestDb::sqlite().await;
    let app = test::init_service(givance_api::app(state(&db))).await;
    for uri in ["/nope", "/api/v1/nope", "/healthz/extra"] {
        let (status, headers, body) = call!(&app, test::TestRequest::get().uri(uri));
        assert_eq!(status, 404, "{uri}");
        problem(404, &headers, &body, "not_found");
    }
}

#[actix_web::test]
async fn a_wrong_method_is_a_405_problem() {
    let db = TestDb::sqlite().await;
    let app = test::init_service(givance_api::app(state(&db))).await;
    let (status, headers, body) = call!(&app, test::TestRequest::post().uri("/healthz"));
    assert_eq!(status, 405);
    problem(405, &headers, &body, "method_not_allowed");
}

#[actix_web::test]
async fn bad_json_bodies_are_4xx_problems_never_500() {
    let db = TestDb::sqlite().await;
    let app = test::init_service(givance_api::app(state(&db)).route("/echo", web::post().to(echo))).await;

    let json = |body: &str| {
        test::TestRequest::post()
            .uri("/echo")
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_owned())
    };
    let (status, _, _) = call!(&app, json(r#"{"name":"Ada","amount":5}"#));
    assert_eq!(status, 200, "the probe route works with a good body");

    for bad in [r#"{"name":"#, "not json", r#"{"name":"Ada"}"#, r#"{"name":"Ada","amount":-1}"#, ""] {
        let (status, headers, body) = call!(&app, json(bad));
        assert_eq!(status, 400, "{bad:?}");
        let problem = problem(400, &headers, &body, "invalid_json");
        assert!(!problem["detail"].as_str().unwrap_or_default().is_empty());
    }

    let text = test::TestRequest::post().uri("/echo").insert_header(("content-type", "text/plain")).set_payload("hi");
    let (status, headers, body) = call!(&app, text);
    assert_eq!(status, 415);
    problem(415, &headers, &body, "unsupported_media_type");

    let huge = format!(r#"{{"name":"{}","amount":1}}"#, "x".repeat(3 * 1024 * 1024));
    let (status, headers, body) = call!(&app, json(&huge));
    assert_eq!(status, 413);
    problem(413, &headers, &body, "payload_too_large");
}

#[actix_web::test]
async fn domain_errors_map_to_problems() {
    let db = TestDb::sqlite().await;
    let app = test::init_service(givance_api::app(state(&db)).route("/fail/{which}", web::get().to(fails_with))).await;
    for (which, status, code) in [
        ("not_found", 404, "not_found"),
        ("conflict", 409, "conflict"),
        ("in_use", 409, "in_use"),
        ("invalid", 422, "validation_failed"),
        ("unavailable", 500, "internal_error"),
    ] {
        let (got, headers, body) = call!(&app, test::TestRequest::get().uri(&format!("/fail/{which}")));
        assert_eq!(got, status, "{which}");
        let problem = problem(status, &headers, &body, code);
        if which == "invalid" {
            assert_eq!(
                problem["errors"],
                serde_json::json!([{ "field": "email", "message": "'x' is not an email address" }])
            );
        }
        if status == 500 {
            let text = String::from_utf8_lossy(&body);
            assert!(!text.contains("10.1.2.3") && !text.contains("SELECT"), "a 500 reveals nothing: {text}");
        }
    }
}
