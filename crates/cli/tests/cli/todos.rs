//! `givance todos suggest --org <slug> [--json]` on SQLite and PostgreSQL: a lapsed donor is
//! suggested once however often the command runs; bad input is one line on stderr.

use std::path::Path;

use chrono::{Datelike, NaiveDate, Utc};
use givance_domain::donation::NewDonation;
use givance_domain::donor::NewDonor;
use givance_domain::organization::Slug;
use givance_domain::{Currency, Money, OrgScope};
use givance_infra::Repositories;
use givance_tests::TestDb;
use serde_json::Value;

use crate::support::{ONE_SHOT, Output, givance, run};

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

/// A donor of `slug` who gave last year only, written through the repositories.
async fn lapsed_donor(url: &str, slug: &str) {
    let conn = sea_orm::Database::connect(url).await.unwrap();
    let repos = Repositories::new(&conn);
    let organization = repos.organizations.find_by_slug(&Slug::parse(slug).unwrap()).await.unwrap().unwrap();
    let scope = OrgScope::operator(organization.id);
    let donor = repos.donors.create(&scope, NewDonor::individual(Some("Lapsed"), Some("Doe")).unwrap()).await.unwrap();
    let last_year = NaiveDate::from_ymd_opt(Utc::now().year() - 1, 6, 15).unwrap();
    let money = Money::parse("50.00", Currency::parse("USD").unwrap()).unwrap();
    repos.donations.create(&scope, NewDonation::new(donor.id, money, last_year).unwrap()).await.unwrap();
    conn.close().await.unwrap();
}

async fn suggest_twice(url: String) {
    let dir = tempfile::tempdir().unwrap();
    let create = ["org", "create", "--name", "Hope", "--admin-email", "ada@example.org", "--json"];
    let created = json_of(&command(dir.path(), &url, &create).success());
    let slug = created["organization"]["slug"].as_str().unwrap().to_owned();
    lapsed_donor(&url, &slug).await;

    let first = json_of(&command(dir.path(), &url, &["todos", "suggest", "--org", &slug, "--json"]).success());
    assert_eq!((first["created_count"].as_u64(), first["already_suggested"].as_u64()), (Some(1), Some(0)), "{first}");
    let task = &first["created"][0];
    let year = Utc::now().year();
    assert_eq!(task["title"], format!("Re-engage Lapsed Doe: gave in {}, not yet in {year}", year - 1));
    assert_eq!((task["type"].as_str(), task["ai_confidence"].as_str()), (Some("call"), Some("0.75")));
    assert!(task["ai_reasoning"].as_str().unwrap().contains("Lapsed Doe made 1 gift"));

    // Again, in text: nothing new.
    let again = command(dir.path(), &url, &["todos", "suggest", "--org", &slug]).success();
    assert_eq!(
        again.stdout_lines(),
        [format!("stored 0 new suggested task(s) for '{slug}'; 1 suggestion(s) were stored before")]
    );

    // An unknown organization: exit 1; a malformed slug: a usage error, exit 2.
    let unknown = command(dir.path(), &url, &["todos", "suggest", "--org", "nobody"]);
    assert!(unknown.fails_in_one_line(1).contains("no organization has the slug 'nobody'"));
    assert!(unknown.stdout.is_empty());
    let bad = command(dir.path(), &url, &["todos", "suggest", "--org", "Not A Slug"]);
    assert!(bad.fails_in_one_line(2).contains("--org"));
}

#[tokio::test]
async fn suggest_stores_each_suggestion_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    suggest_twice(format!("sqlite://{}", dir.path().join("givance.db").display())).await;
}

#[tokio::test]
async fn suggest_stores_each_suggestion_once_on_postgres() {
    let Some(db) = TestDb::postgres_empty().await else { return };
    suggest_twice(db.url().to_owned()).await;
}
