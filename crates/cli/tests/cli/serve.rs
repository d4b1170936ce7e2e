use givance_infra::db::{self, PoolSettings};
use givance_tests::TestDb;
use serde_json::Value;

use crate::support::{Server, free_port, givance};

#[tokio::test]
async fn serve_with_no_configuration_creates_givance_db_and_answers_health_probes() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = givance(dir.path());
    cmd.args(["serve", "--bind", "127.0.0.1:0"]);
    let server = Server::start(cmd);
    assert!(dir.path().join("givance.db").is_file(), "./givance.db is created in the working directory");

    server.wait_ready();
    let (status, head, body) = server.get("/healthz");
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("x-request-id: "), "{head}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), serde_json::json!({ "status": "ok" }));
    let (status, _, _) = server.get("/readyz");
    assert_eq!(status, 200);
    let (status, head, body) = server.get("/api/v1/nothing-here");
    assert_eq!(status, 404);
    assert!(head.to_ascii_lowercase().contains("content-type: application/problem+json"), "{head}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "not_found");

    let (status, log) = server.terminate();
    assert!(status.success(), "SIGTERM is a graceful, successful stop: {status}\n{}", log.join("\n"));
    assert_eq!(log.iter().filter(|l| l.contains("listening on http://127.0.0.1:")).count(), 1, "{log:#?}");
    assert!(log.iter().any(|l| l.contains("shutting down")) && log.last().is_some_and(|l| l.contains("stopped")));
    assert!(!log.iter().any(|l| l.contains("panicked")), "{log:#?}");

    // Every migration was applied to the file it created.
    let conn = db::connect(&format!("sqlite://{}", dir.path().join("givance.db").display()), &PoolSettings::default())
        .await
        .unwrap();
    assert!(db::migration_status(&conn).await.unwrap().iter().all(|m| m.applied));
    conn.close().await.unwrap();

    // A second start on the migrated database applies nothing and is ready as well.
    let mut cmd = givance(dir.path());
    cmd.args(["serve", "--bind", "127.0.0.1:0"]);
    let server = Server::start(cmd);
    server.wait_ready();
    let (status, log) = server.terminate();
    assert!(status.success());
    assert!(!log.iter().any(|l| l.contains("pending migration")), "nothing left to apply: {log:#?}");
}

#[tokio::test]
async fn serve_on_a_fresh_postgres_database_configured_by_environment() {
    let Some(db) = TestDb::postgres_empty().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = givance(dir.path());
    cmd.arg("serve")
        .env("GIVANCE_DATABASE_URL", db.url())
        .env("GIVANCE_BIND", format!("127.0.0.1:{port}"))
        .env("GIVANCE_LOG_FORMAT", "json");
    let server = Server::start(cmd);
    assert_eq!(server.address.port(), port, "GIVANCE_BIND is honoured");
    server.wait_ready();
    assert_eq!(server.get("/healthz").0, 200);
    assert_eq!(server.get("/readyz").0, 200);
    assert!(!dir.path().join("givance.db").exists(), "no SQLite file when PostgreSQL is configured");

    let (status, log) = server.terminate();
    assert!(status.success(), "{status}\n{}", log.join("\n"));
    for line in &log {
        let entry: Value =
            serde_json::from_str(line).unwrap_or_else(|err| panic!("not a JSON log line ({err}): {line}"));
        assert!(entry["level"].is_string() && entry["fields"]["message"].is_string(), "{line}");
    }
    let status = db::migration_status(db.conn()).await.unwrap();
    assert!(status.iter().all(|m| m.applied), "serve migrated PostgreSQL: {status:?}");
}
