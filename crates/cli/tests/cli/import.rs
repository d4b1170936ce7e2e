//! `givance import donors|donations` and `givance export donors|donations` end to end, on
//! SQLite and PostgreSQL: summary and JSON report, rejected rows on stderr by line with exit
//! code 3, a re-run that changes nothing, dry runs, a refused header (exit 2, nothing written)
//! and an export that imports back unchanged.

use std::path::Path;

use givance_tests::TestDb;
use serde_json::Value;

use crate::support::{ONE_SHOT, Output, givance, run};

fn command(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut cmd = givance(dir);
    cmd.args(args).env("GIVANCE_DATABASE_URL", url).env("GIVANCE_LOG", "warn");
    run(cmd, ONE_SHOT)
}

fn report(output: &Output) -> Value {
    let lines = output.stdout_lines();
    assert_eq!(lines.len(), 1, "one JSON report on stdout:\n{}", output.stdout);
    serde_json::from_str(lines[0]).unwrap()
}

fn counts(report: &Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| report[k].as_u64().unwrap();
    (n("created"), n("updated"), n("unchanged"), n("rejected"))
}

const DONORS: &str = "\
external_id,first_name,email,phone
D1,Ada,Ada@Example.org,+1 202 555 0101
D2,Bob,not-an-email,
D3,=SUM(A1),carol@example.org,
";

fn import_and_export(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    command(d, url, &["org", "create", "--name", "Hope", "--slug", "hope", "--admin-email", "a@example.org"]).success();
    let file = d.join("donors.csv");
    std::fs::write(&file, DONORS).unwrap();
    let file = file.to_str().unwrap();

    // A dry run: the report, nothing written.
    let dry = command(d, url, &["import", "donors", file, "--org", "hope", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(3), "{}", dry.stderr);
    assert!(dry.stdout.contains("2 created") && dry.stdout.contains("dry run"), "{}", dry.stdout);

    // The real run: bad rows on stderr by line, a summary on stdout, exit code 3.
    let first = command(d, url, &["import", "donors", file, "--org", "hope"]);
    assert_eq!(first.status.code(), Some(3), "{}", first.stderr);
    assert_eq!(first.stderr_lines(), vec!["line 3: email: 'not-an-email' is not a valid email address"]);
    assert_eq!(first.stdout.trim(), "donors: 3 rows, 2 created, 0 updated, 0 unchanged, 1 rejected");

    // Again, as JSON: nothing changes.
    let again = command(d, url, &["import", "donors", file, "--org", "hope", "--json"]);
    assert_eq!(again.status.code(), Some(3));
    let again = report(&again);
    assert_eq!(counts(&again), (0, 0, 2, 1), "{again}");
    assert_eq!(again["errors"][0]["line"], 3);

    // The export neutralises the formula and imports back unchanged, exit 0.
    let exported = d.join("out.csv");
    command(d, url, &["export", "donors", "--org", "hope", "--output", exported.to_str().unwrap()]).success();
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains(",'=SUM(A1),") && text.contains(",'+12025550101"), "{text}");
    let stdout = command(d, url, &["export", "donors", "--org", "hope"]).success();
    assert_eq!(stdout.stdout, text, "stdout and --output write the same file");
    let back = command(d, url, &["import", "donors", exported.to_str().unwrap(), "--org", "hope", "--json"]).success();
    assert_eq!(counts(&report(&back)), (0, 0, 2, 0));

    // Donations by donor email, then their export back.
    let gifts = d.join("gifts.csv");
    std::fs::write(&gifts, "donor_email,amount,date\nADA@example.org,25,2026-03-01\n").unwrap();
    let gifts = gifts.to_str().unwrap();
    let created = command(d, url, &["import", "donations", gifts, "--org", "hope", "--json"]).success();
    assert_eq!(counts(&report(&created)), (1, 0, 0, 0));
    let out = command(d, url, &["export", "donations", "--org", "hope"]).success();
    assert!(out.stdout.contains("D1,ada@example.org,,25.00,USD,2026-03-01"), "{}", out.stdout);
    let rerun = command(d, url, &["import", "donations", gifts, "--org", "hope"]).success();
    assert_eq!(rerun.stdout.trim(), "donations: 1 rows, 0 created, 0 updated, 1 unchanged, 0 rejected");

    // A header with an unknown column is refused whole: exit 2, one line, nothing written.
    let bad = d.join("bad.csv");
    std::fs::write(&bad, "external_id,nickname\nD9,Z\n").unwrap();
    let refused = command(d, url, &["import", "donors", bad.to_str().unwrap(), "--org", "hope"]);
    assert!(refused.fails_in_one_line(2).contains("unknown column 'nickname'"), "{}", refused.stderr);
    let after = command(d, url, &["export", "donors", "--org", "hope"]).success();
    assert!(!after.stdout.contains("D9"));

    // An unknown organization, a missing file.
    let missing = command(d, url, &["import", "donors", file, "--org", "nope"]);
    assert!(missing.fails_in_one_line(1).contains("no organization has the slug 'nope'"));
    let no_file = command(d, url, &["import", "donors", "nope.csv", "--org", "hope"]);
    assert!(no_file.fails_in_one_line(2).contains("cannot open nope.csv"));
}

#[tokio::test]
async fn import_and_export_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("givance.db").display());
    tokio::task::spawn_blocking(move || import_and_export(&url)).await.unwrap();
}

#[tokio::test]
async fn import_and_export_on_postgres() {
    let Some(db) = TestDb::postgres_empty().await else { return };
    let url = db.url().to_owned();
    tokio::task::spawn_blocking(move || import_and_export(&url)).await.unwrap();
}
