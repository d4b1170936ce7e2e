use givance_api::AppState;
use givance_tests::TestDb;
use serde_json::Value;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The application as `givance serve` builds it, over `db`.
pub fn state(db: &TestDb) -> AppState {
    AppState::new(db.conn().clone())
}

/// Sends one request; yields `(status, headers, body bytes)`.
macro_rules! call {
    ($app:expr, $req:expr) => {{
        let response = actix_web::test::call_service($app, $req.to_request()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = actix_web::test::read_body(response).await.to_vec();
        (status, headers, body)
    }};
}
pub(crate) use call;

pub fn content_type(headers: &actix_web::http::header::HeaderMap) -> String {
    headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

pub fn request_id(headers: &actix_web::http::header::HeaderMap) -> String {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).expect("an x-request-id header").to_owned()
}

/// Asserts an RFC 9457 problem with `status` and `code`, and returns it.
pub fn problem(status: u16, headers: &actix_web::http::header::HeaderMap, body: &[u8], code: &str) -> Value {
    assert_eq!(content_type(headers), PROBLEM_JSON, "body: {}", String::from_utf8_lossy(body));
    let problem: Value = serde_json::from_slice(body).expect("a JSON problem body");
    assert_eq!(problem["status"], status, "{problem}");
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["type"], format!("urn:givance:problem:{code}"), "{problem}");
    assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()), "{problem}");
    assert!(problem["detail"].as_str().is_some_and(|t| !t.is_empty()), "{problem}");
    assert_eq!(problem["request_id"], request_id(headers), "the body names the request id of the header");
    problem
}

/// The fields a 422 problem names, in order.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}
