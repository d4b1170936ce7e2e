//! `givance org create --json` and `givance apikey create --json`, then the printed keys (and a
//! JWT for the printed ids) against a running `givance serve`, on SQLite and PostgreSQL.

use std::path::Path;

use givance_tests::TestDb;
use serde_json::{Value, json};

use crate::support::{ONE_SHOT, Output, Server, givance, http_request, run};

const JWT_SECRET: &str = "an-e2e-secret-that-is-32-bytes-long!";
const ISSUER: &str = "https://idp.example.test";

fn command(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut cmd = givance(dir);
    cmd.args(args).env("GIVANCE_DATABASE_URL", url);
    run(cmd, ONE_SHOT)
}

fn json_of(output: &Output) -> Value {
    let lines = output.stdout_lines();
    assert_eq!(lines.len(), 1, "one JSON object on stdout:\n{}", output.stdout);
    serde_json::from_str(lines[0]).unwrap()
}

fn request(server: &Server, method: &str, token: Option<&str>, body: Option<&str>) -> (u16, Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    let (status, _, body) = http_request(server.address, method, "/api/v1/organization", &headers, body).unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn bootstrap_then_use_the_keys(url: &str) {
    let dir = tempfile::tempdir().unwrap();

    // org create --json: ids, slug and the key, once.
    let created = command(
        dir.path(),
        url,
        &[
            "org",
            "create",
            "--name",
            "Hope for Kids",
            "--admin-email",
            "Ada@Example.org",
            "--clerk-id",
            "org_hope",
            "--country",
            "gb",
            "--json",
        ],
    )
    .success();
    let created = json_of(&created);
    assert_eq!(created["organization"]["slug"], "hope-for-kids");
    assert_eq!(created["organization"]["clerk_id"], "org_hope");
    assert_eq!(created["organization"]["country"], "GB");
    assert_eq!(created["staff"]["role"], "admin");
    assert_eq!(created["user"]["created"], true);
    assert!(created["user"]["clerk_id"].as_str().unwrap().starts_with("local_"));
    let admin_key = created["api_key"]["token"].as_str().unwrap().to_owned();
    assert!(admin_key.starts_with("gv_"), "{created}");

    // The same slug again: one line, exit 1, nothing printed on stdout.
    // A country that is not a code: a usage error (exit 2) naming the flag, nothing written.
    let args = ["org", "create", "--name", "Elsewhere", "--admin-email", "x@example.org", "--country", "XX"];
    let bad = command(dir.path(), url, &args);
    assert!(bad.fails_in_one_line(2).contains("--country"));
    let again =
        command(dir.path(), url, &["org", "create", "--name", "Hope for Kids", "--admin-email", "x@example.org"]);
    assert!(again.fails_in_one_line(1).contains("exists already"));
    assert!(again.stdout.is_empty());

    // apikey create --json: a key narrowed to reading.
    let key = command(
        dir.path(),
        url,
        &[
            "apikey",
            "create",
            "--org",
            "hope-for-kids",
            "--staff",
            "ada@example.org",
            "--name",
            "reporting",
            "--permissions",
            "organization:read",
            "--expires-in-days",
            "30",
            "--json",
        ],
    )
    .success();
    let key = json_of(&key);
    assert_eq!(key["organization_slug"], "hope-for-kids");
    assert_eq!(key["staff_id"], created["staff"]["id"]);
    assert_eq!(key["permissions"], json!(["organization:read"]));
    assert!(key["expires_at"].is_string());
    let read_key = key["token"].as_str().unwrap().to_owned();
    let missing = command(dir.path(), url, &["apikey", "create", "--org", "nope", "--staff", "ada@example.org"]);
    assert!(missing.fails_in_one_line(1).contains("no organization has the slug 'nope'"));

    // Serve, with JWTs accepted too.
    let mut cmd = givance(dir.path());
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env("GIVANCE_DATABASE_URL", url)
        .env("GIVANCE_JWT_HS256_SECRET", JWT_SECRET)
        .env("GIVANCE_JWT_ISSUER", ISSUER);
    let server = Server::start(cmd);
    server.wait_ready();

    assert_eq!(request(&server, "GET", None, None).0, 401);
    let (status, org) = request(&server, "GET", Some(&admin_key), None);
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["id"], created["organization"]["id"]);
    assert_eq!(org["country"], "GB");
    assert_eq!(request(&server, "GET", Some(&read_key), None).0, 200);
    assert_eq!(request(&server, "PATCH", Some(&read_key), Some(r#"{"name":"X"}"#)).0, 403);
    let (status, org) = request(&server, "PATCH", Some(&admin_key), Some(r#"{"name":"Hope 4 Kids"}"#));
    assert_eq!((status, org["name"].as_str()), (200, Some("Hope 4 Kids")));

    // A JWT for the printed ids, verified with the configured secret and issuer.
    let now = chrono::Utc::now().timestamp();
    let claims = json!({ "sub": created["user"]["clerk_id"], "org_id": "org_hope", "iss": ISSUER, "exp": now + 600 });
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(request(&server, "GET", Some(&jwt), None).0, 200);
    let wrong_issuer = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({ "sub": created["user"]["clerk_id"], "org_id": "org_hope", "iss": "other", "exp": now + 600 }),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(request(&server, "GET", Some(&wrong_issuer), None).0, 401);

    let (status, log) = server.terminate();
    assert!(status.success(), "{}", log.join("\n"));
    assert!(!log.iter().any(|l| l.contains(&admin_key) || l.contains(&read_key)), "keys never reach the log");
}

#[tokio::test]
async fn org_and_apikey_create_then_serve_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("givance.db").display());
    tokio::task::spawn_blocking(move || bootstrap_then_use_the_keys(&url)).await.unwrap();
}

#[tokio::test]
async fn org_and_apikey_create_then_serve_on_postgres() {
    let Some(db) = TestDb::postgres_empty().await else { return };
    let url = db.url().to_owned();
    tokio::task::spawn_blocking(move || bootstrap_then_use_the_keys(&url)).await.unwrap();
}

#[test]
fn a_bad_jwt_setting_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = givance(dir.path());
    cmd.args(["serve", "--bind", "127.0.0.1:0"]).env("GIVANCE_JWT_HS256_SECRET", "short");
    let output = run(cmd, ONE_SHOT);
    assert!(output.fails_in_one_line(2).contains("at least 32 bytes"));
    let mut cmd = givance(dir.path());
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--jwks-file", "missing.json"]);
    assert!(run(cmd, ONE_SHOT).fails_in_one_line(2).contains("cannot read the JWKS file"));
}
