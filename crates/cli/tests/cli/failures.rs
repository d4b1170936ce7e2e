//! Whatever is wrong with the configuration or the surroundings, `givance` ends with one line
//! on stderr and a non-zero exit code: 2 for configuration, 1 for the rest. Never a panic.

use std::net::TcpListener;

use crate::support::{ONE_SHOT, givance, run};

#[test]
fn malformed_database_urls_exit_2_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["mysql://localhost/givance", "givance.db", "postgres://", "sqlite://", "postgres:/nohost"] {
        for args in [&["serve", "--bind", "127.0.0.1:0"][..], &["migrate", "up"][..]] {
            let mut cmd = givance(dir.path());
            cmd.args(args).env("GIVANCE_DATABASE_URL", url);
            let out = run(cmd, ONE_SHOT);
            let line = out.fails_in_one_line(2);
            assert!(line.contains("malformed database URL"), "{url}: {line}");
        }
    }
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing was created");
}

#[test]
fn an_unreachable_database_exits_1_in_one_line_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = givance(dir.path());
    serve.args(["serve", "--bind", "127.0.0.1:0", "--database-url", "postgres://postgres@127.0.0.1:1/x"]);
    let mut status = givance(dir.path());
    status.args(["migrate", "status"]).env("GIVANCE_DATABASE_URL", "postgres://givance:hunter2@127.0.0.1:1/x");
    // Each waits out the connect timeout: run them side by side.
    let (serve, status) = std::thread::scope(|s| {
        let serve = s.spawn(|| run(serve, ONE_SHOT));
        let status = s.spawn(|| run(status, ONE_SHOT));
        (serve.join().unwrap(), status.join().unwrap())
    });

    let line = serve.fails_in_one_line(1);
    assert!(line.starts_with("givance: cannot reach the database at postgres://postgres@127.0.0.1:1/x"), "{line}");

    let line = status.fails_in_one_line(1);
    assert!(line.contains("cannot reach the database at postgres://givance:***@127.0.0.1:1/x"), "{line}");
    assert!(!status.stderr.contains("hunter2") && !status.stdout.contains("hunter2"));
}

#[test]
fn an_address_in_use_exits_1_in_one_line_before_touching_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let mut cmd = givance(dir.path());
    cmd.args(["serve", "--bind", &address]);
    let out = run(cmd, ONE_SHOT);
    let line = out.fails_in_one_line(1);
    assert!(line.contains(&format!("cannot listen on {address}")) && line.contains("in use"), "{line}");
    assert!(!dir.path().join("givance.db").exists(), "the database is not touched when the port is taken");
}

#[test]
fn bad_settings_exit_2_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str, &str, &str); 3] = [
        (&["serve", "--bind", "not-an-address"], "GIVANCE_LOG", "info", "invalid listen address 'not-an-address'"),
        (&["serve"], "GIVANCE_BIND", "127.0.0.1:99999", "invalid listen address '127.0.0.1:99999'"),
        (&["migrate", "status"], "GIVANCE_LOG", "info,givance=loud", "invalid log filter"),
    ];
    for (args, var, value, expected) in cases {
        let mut cmd = givance(dir.path());
        cmd.args(args).env(var, value);
        let out = run(cmd, ONE_SHOT);
        let line = out.fails_in_one_line(2);
        assert!(line.contains(expected), "{line}");
    }
}

#[test]
fn help_documents_every_setting_and_never_shows_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = givance(dir.path());
    cmd.arg("--help").env("GIVANCE_DATABASE_URL", "postgres://givance:hunter2@db/givance");
    let top = run(cmd, ONE_SHOT).success().stdout;
    for var in ["GIVANCE_DATABASE_URL", "GIVANCE_BIND", "GIVANCE_LOG", "GIVANCE_LOG_FORMAT"] {
        assert!(top.contains(var), "givance --help names {var}:\n{top}");
    }
    let mut cmd = givance(dir.path());
    cmd.args(["serve", "--help"]).env("GIVANCE_DATABASE_URL", "postgres://givance:hunter2@db/givance");
    let serve = run(cmd, ONE_SHOT).success().stdout;
    for needle in ["--bind", "GIVANCE_BIND", "--database-url", "GIVANCE_DATABASE_URL", "sqlite://givance.db"] {
        assert!(serve.contains(needle), "givance serve --help names {needle}:\n{serve}");
    }
    assert!(!top.contains("hunter2") && !serve.contains("hunter2"));
}
