//! `givance migrate up | status | down | fresh` against a fresh database of each backend.

use givance_infra::db;
use givance_tests::TestDb;

use crate::support::{ONE_SHOT, givance, run, tables};

fn migrate(db: &TestDb, args: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = givance(dir.path());
    cmd.arg("migrate").args(args).env("GIVANCE_DATABASE_URL", db.url());
    let out = run(cmd, ONE_SHOT).success();
    out.stdout_lines().into_iter().map(str::to_owned).collect()
}

/// The `status` lines, checked against what the database itself says.
async fn status(db: &TestDb) -> Vec<(String, bool)> {
    let lines = migrate(db, &["status"]);
    let truth = db::migration_status(db.conn()).await.unwrap();
    if truth.is_empty() {
        assert_eq!(lines, ["no migrations are defined"]);
        return Vec::new();
    }
    assert_eq!(lines.len(), truth.len(), "one line per migration: {lines:#?}");
    lines
        .iter()
        .zip(&truth)
        .map(|(line, state)| {
            let (word, name) = line.split_once(char::is_whitespace).unwrap();
            assert_eq!(name.trim(), state.name);
            assert_eq!(word == "applied", state.applied, "{line} vs {state:?}");
            assert!(word == "applied" || word == "pending", "{line}");
            (name.trim().to_owned(), word == "applied")
        })
        .collect()
}

async fn up_status_down_fresh(db: &TestDb) {
    assert!(tables(db).await.is_empty(), "starts empty");
    let before = status(db).await;
    assert!(before.iter().all(|(_, applied)| !applied), "all pending at first: {before:?}");
    let total = before.len();

    let out = migrate(db, &["up"]);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(status(db).await.iter().all(|(_, applied)| *applied));
    assert!(!tables(db).await.is_empty());
    assert!(migrate(db, &["up"])[0].starts_with("nothing to apply"), "up twice is a no-op");

    if total > 0 {
        migrate(db, &["down", "--steps", "1"]);
        let after = status(db).await;
        assert!(!after[total - 1].1 && after[..total - 1].iter().all(|(_, applied)| *applied), "{after:?}");
        migrate(db, &["up"]);
    }

    let out = migrate(db, &["down"]);
    assert!(out[0].starts_with(&format!("reverted {total} migration(s)")), "{out:?}");
    assert_eq!(tables(db).await, Vec::<String>::new(), "down leaves no table behind, not even the migration table");
    assert!(status(db).await.iter().all(|(_, applied)| !applied));

    migrate(db, &["fresh"]);
    assert!(status(db).await.iter().all(|(_, applied)| *applied), "fresh on an empty database applies everything");
    migrate(db, &["fresh"]);
    assert!(status(db).await.iter().all(|(_, applied)| *applied), "fresh on a migrated database too");
}

#[tokio::test]
async fn migrate_commands_on_sqlite() {
    up_status_down_fresh(&TestDb::sqlite_empty().await).await;
}

#[tokio::test]
async fn migrate_commands_on_postgres() {
    if let Some(db) = TestDb::postgres_empty().await {
        up_status_down_fresh(&db).await;
    }
}
