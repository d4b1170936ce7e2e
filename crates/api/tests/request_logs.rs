//! Every log line written while a request is handled carries its request id. A test binary of
//! its own: it installs a global subscriber, which no other test may share.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::{HttpResponse, test, web};
use givance_api::{ApiError, AppState};
use givance_domain::RepoError;
use givance_tests::TestDb;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap()).lines().map(str::to_owned).collect()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn unavailable() -> Result<HttpResponse, ApiError> {
    tracing::info!("about to fail");
    Err(RepoError::Unavailable("connection to 10.1.2.3 reset".into()).into())
}

#[actix_web::test]
async fn every_log_line_of_a_request_carries_its_id() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .unwrap();

    let db = TestDb::sqlite().await;
    let app = test::init_service(
        givance_api::app(AppState::new(db.conn().clone())).route("/fail", web::get().to(unavailable)),
    )
    .await;

    let req = test::TestRequest::get().uri("/fail").insert_header(("x-request-id", "trace-me-42")).to_request();
    let response = test::call_service(&app, req).await;
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers().get("x-request-id").unwrap(), "trace-me-42", "a sane incoming id is kept");

    let lines: Vec<String> = logs.lines().into_iter().filter(|l| l.contains("/fail")).collect();
    assert_eq!(lines.len(), 3, "handler line, error line, summary line: {lines:#?}");
    assert!(lines.iter().all(|l| l.contains("request_id=trace-me-42")), "{lines:#?}");
    assert!(
        lines[1].contains("request failed") && lines[1].contains("10.1.2.3"),
        "the log keeps the cause: {lines:#?}"
    );
    assert!(lines[2].contains("request finished") && lines[2].contains("status=500"), "{lines:#?}");

    let req = test::TestRequest::get().uri("/nope").insert_header(("x-request-id", "bad id\twith tab")).to_request();
    let response = test::call_service(&app, req).await;
    let id = response.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_ne!(id, "bad id\twith tab", "an insane incoming id is replaced");
    assert!(logs.lines().iter().any(|l| l.contains(&format!("request_id={id}")) && l.contains("status=404")));
}
