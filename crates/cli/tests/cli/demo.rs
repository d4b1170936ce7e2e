//! `givance demo generate` and `givance serve --demo`, end to end on SQLite and PostgreSQL: the
//! data lands, the printed API key works against the real server, and a second `serve --demo`
//! leaves a non-empty database alone.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use givance_tests::TestDb;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

use crate::support::{ONE_SHOT, STARTUP, Server, free_port, givance, http_get, http_request, run};

async fn count(db: &TestDb, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let row = db.conn().query_one_raw(Statement::from_string(db.backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

fn get_with_key(address: std::net::SocketAddr, path: &str, key: &str) -> (u16, Value) {
    let auth = format!("Bearer {key}");
    let (status, _, body) = http_request(address, "GET", path, &[("Authorization", &auth)], None).unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn generate_then_serve(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = givance(dir.path());
    cmd.args(["demo", "generate", "--orgs", "2", "--donors", "300", "--donations", "900"])
        .args(["--largest-org-donors", "200", "--seed", "9", "--json"])
        .env("GIVANCE_DATABASE_URL", db.url());
    let out = run(cmd, ONE_SHOT * 3).success();
    let report: Value = serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    assert_eq!(report["donors"], 300);
    assert_eq!(report["donations"], 900);
    let orgs = report["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 2);
    assert_eq!(orgs[0]["donors"], 200);
    assert_eq!(orgs[1]["donors"], 100);
    assert_eq!(report["largest_org"], orgs[0]["slug"]);
    assert!(out.stderr.lines().all(|l| !l.contains('\u{1b}')), "no progress bar when stderr is not a terminal");
    assert_eq!(count(db, "donors").await, 300);
    assert_eq!(count(db, "donations").await, 900);
    assert_eq!(count(db, "organizations").await, 2);

    // The printed key works: the largest organization's donors, and only theirs.
    let key = report["api_key"].as_str().unwrap().to_owned();
    let mut cmd = givance(dir.path());
    cmd.args(["serve", "--bind", "127.0.0.1:0"]).env("GIVANCE_DATABASE_URL", db.url());
    let server = Server::start(cmd);
    server.wait_ready();
    let (status, body) = get_with_key(server.address, "/api/v1/donors?limit=5", &key);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 5);
    assert!(body["next_cursor"].is_string());
    let (status, body) = get_with_key(server.address, "/api/v1/donors?q=smi&limit=200", &key);
    assert_eq!(status, 200, "{body}");
    assert!(!body["data"].as_array().unwrap().is_empty(), "a q=smi search has hits");
    let (status, _) = server.terminate();
    assert!(status.success());
}

#[tokio::test]
async fn demo_generate_on_sqlite() {
    generate_then_serve(&TestDb::sqlite().await).await;
}

#[tokio::test]
async fn demo_generate_on_postgres() {
    let Some(db) = TestDb::postgres().await else { return };
    generate_then_serve(&db).await;
}

#[test]
fn demo_generate_refuses_an_impossible_plan_before_touching_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = givance(dir.path());
    cmd.args(["demo", "generate", "--orgs", "2", "--donors", "10", "--largest-org-donors", "20"]);
    let out = run(cmd, ONE_SHOT);
    let line = out.fails_in_one_line(2);
    assert!(line.contains("--largest-org-donors"), "{line}");
    assert!(!dir.path().join("givance.db").exists(), "nothing was created");
}

#[test]
fn demo_csv_writes_the_import_header_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = givance(dir.path());
    cmd.args(["demo", "csv", "--rows", "25", "--seed", "4"]);
    let out = run(cmd, ONE_SHOT).success();
    let lines = out.stdout_lines();
    assert_eq!(lines.len(), 26);
    assert!(lines[0].starts_with("external_id,donor_type,first_name,last_name,email,phone"), "{}", lines[0]);
    let mut again = givance(dir.path());
    again.args(["demo", "csv", "--rows", "25", "--seed", "4"]);
    assert_eq!(run(again, ONE_SHOT).success().stdout, out.stdout, "reproducible from the seed");
}

/// `givance serve --demo` with stdout captured: the demo banner is printed there.
struct DemoServer {
    child: Child,
    port: u16,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

fn lines_of(pipe: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl DemoServer {
    fn start(url: &str, dir: &std::path::Path) -> DemoServer {
        let port = free_port();
        let mut cmd: Command = givance(dir);
        cmd.args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
            .env("GIVANCE_DATABASE_URL", url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdout = lines_of(child.stdout.take().unwrap());
        let stderr = lines_of(child.stderr.take().unwrap());
        let server = DemoServer { child, port, stdout, stderr };
        let started = Instant::now();
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        while !matches!(http_get(address, "/readyz"), Ok((200, _, _))) {
            assert!(server.child_running(), "serve --demo exited early");
            assert!(started.elapsed() < STARTUP, "serve --demo was not ready within {STARTUP:?}");
            thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn child_running(&self) -> bool {
        // A shared borrow cannot poll the child; its pid still answers signal 0 while it runs.
        Command::new("kill").args(["-0", &self.child.id().to_string()]).status().is_ok_and(|s| s.success())
    }

    /// SIGTERM, then everything it printed: (stdout, stderr).
    fn stop(mut self) -> (Vec<String>, Vec<String>) {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(started.elapsed() < Duration::from_secs(30), "serve ignored SIGTERM");
            thread::sleep(Duration::from_millis(10));
        }
        (self.stdout.iter().collect(), self.stderr.iter().collect())
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn serve_demo_seeds_once(url: &str, db: Option<&TestDb>) {
    let dir = tempfile::tempdir().unwrap();
    let server = DemoServer::start(url, dir.path());
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], server.port));
    // The banner is printed before the server listens, so it is complete by now.
    let banner: Vec<String> = server.stdout.try_iter().collect();
    let curl = banner.iter().find(|l| l.starts_with("Try: curl")).unwrap_or_else(|| panic!("{banner:#?}"));
    assert!(curl.contains(&format!("http://127.0.0.1:{}/api/v1/donors?limit=5", server.port)), "{curl}");
    let key = curl.split("Bearer ").nth(1).and_then(|rest| rest.split('\'').next()).unwrap().to_owned();
    assert_eq!(banner.iter().filter(|l| l.contains(&key)).count(), 2, "the key line and the curl line: {banner:#?}");

    let (status, body) = get_with_key(address, "/api/v1/donors?limit=5", &key);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 5);
    let (stdout, _) = server.stop();
    assert!(stdout.iter().all(|l| !l.contains(&key)), "printed once");
    if let Some(db) = db {
        assert_eq!(count(db, "organizations").await, 1);
        let donors = count(db, "donors").await;
        assert!((900..=1_100).contains(&donors), "about 1,000 donors: {donors}");
        assert_eq!(count(db, "donations").await, 5_000);
        let staff = count(db, "staff").await;
        assert!((3..=4).contains(&staff), "{staff}");
    }

    // A second start finds an organization: no seeding, no key, and it says why.
    let server = DemoServer::start(url, dir.path());
    let (status, _) = get_with_key(address_of(&server), "/api/v1/donors?limit=5", &key);
    assert_eq!(status, 200, "the first key still works");
    let (stdout, stderr) = server.stop();
    assert!(stdout.iter().all(|l| !l.contains("API key") && !l.contains("curl")), "{stdout:#?}");
    assert!(
        stderr.iter().any(|l| l.contains("not seeding") && l.contains("already has an organization")),
        "{stderr:#?}"
    );
    if let Some(db) = db {
        assert_eq!(count(db, "organizations").await, 1, "nothing added");
        assert_eq!(count(db, "donations").await, 5_000);
    }
}

fn address_of(server: &DemoServer) -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], server.port))
}

#[tokio::test]
async fn serve_demo_seeds_an_empty_sqlite_database_once() {
    let db = TestDb::sqlite().await;
    serve_demo_seeds_once(db.url(), Some(&db)).await;
}

#[tokio::test]
async fn serve_demo_seeds_an_empty_postgres_database_once() {
    let Some(db) = TestDb::postgres().await else { return };
    serve_demo_seeds_once(db.url(), Some(&db)).await;
}
