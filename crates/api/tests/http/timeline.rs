//! A donor's timeline over HTTP on both databases: communications, donations, sent campaign
//! emails and completed tasks merged newest first; ties at one instant broken by kind then id;
//! keyset pages of every size giving the whole timeline once, in order; the kinds filter and
//! donations only with `donations:read`; bad input; and another organization's (or a deleted)
//! donor a 404.

use actix_web::test;
use chrono::{DateTime, Utc};
use givance_domain::staff::Role;
use givance_tests::{TestDb, on_both_backends};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value as SqlValue};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{call, fields, problem, state};
use crate::tenants::{delete, get, json_of, member, organization, post, repos};

/// Sends `$req`, asserts `$status`, returns the JSON body.
macro_rules! ok {
    ($app:expr, $status:expr, $req:expr) => {{
        let (status, _, body) = call!($app, $req);
        assert_eq!(status, $status, "{}", String::from_utf8_lossy(&body));
        json_of(&body)
    }};
}

/// Runs `sql` with `$1, $2, ...` placeholders (written `?` on SQLite, each used once).
async fn exec(db: &TestDb, sql: &str, values: Vec<SqlValue>) {
    let sql = match db.backend() {
        DatabaseBackend::Sqlite => {
            (1..=values.len()).rev().fold(sql.to_owned(), |sql, n| sql.replace(&format!("${n}"), "?"))
        }
        _ => sql.to_owned(),
    };
    db.conn().execute_raw(Statement::from_sql_and_values(db.backend(), sql, values)).await.unwrap();
}

fn time(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

/// A campaign email to `donor` with `status`, sent at `sent_at`; returns its id.
async fn campaign_email(
    db: &TestDb,
    org: Uuid,
    session: Uuid,
    donor: &str,
    status: &str,
    sent_at: Option<&str>,
) -> String {
    let id = Uuid::now_v7();
    exec(
        db,
        "INSERT INTO generated_emails (id, organization_id, session_id, donor_id, subject, body_plain, body_html, status, sent_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            id.into(),
            org.into(),
            session.into(),
            donor.parse::<Uuid>().unwrap().into(),
            format!("Spring appeal ({status})").into(),
            "Dear Ada".into(),
            "<p>Dear Ada</p>".into(),
            status.into(),
            sent_at.map(time).into(),
        ],
    )
    .await;
    id.to_string()
}

/// A todo about `donor` with `status`, completed at `completed_at`; returns its id.
async fn todo(db: &TestDb, org: Uuid, donor: &str, title: &str, status: &str, completed_at: Option<&str>) -> String {
    let id = Uuid::now_v7();
    exec(
        db,
        "INSERT INTO todos (id, organization_id, title, type, status, donor_id, completed_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            id.into(),
            org.into(),
            title.into(),
            "call".into(),
            status.into(),
            donor.parse::<Uuid>().unwrap().into(),
            completed_at.map(time).into(),
            Utc::now().into(),
            Utc::now().into(),
        ],
    )
    .await;
    id.to_string()
}

/// `(kind, id)` of each entry of a page.
fn entries(page: &Value) -> Vec<(String, String)> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["id"].as_str().unwrap().to_owned()))
        .collect()
}

/// The whole timeline at `uri`, read `limit` entries a page.
macro_rules! all_pages {
    ($app:expr, $token:expr, $uri:expr, $limit:expr) => {{
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if $uri.contains('?') { '&' } else { '?' };
            let mut uri = format!("{}{sep}limit={}", $uri, $limit);
            if let Some(cursor) = &cursor {
                uri.push_str(&format!("&cursor={cursor}"));
            }
            let page = ok!($app, 200, get($token, &uri));
            let got = entries(&page);
            assert!(got.len() <= $limit);
            all.extend(got);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        all
    }};
}

async fn merged_newest_first_in_pages(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let org = hope.id.into_uuid();
    let mae = member(&repos, &hope, "mae", Role::Manager).await;
    let vic = member(&repos, &hope, "vic", Role::Viewer).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let ada = ok!(&app, 201, post(&mae.key, "/api/v1/donors", json!({ "first_name": "Ada" })))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = ok!(&app, 201, post(&mae.key, "/api/v1/donors", json!({ "first_name": "Bob" })))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let timeline = format!("/api/v1/donors/{ada}/timeline");
    assert_eq!(ok!(&app, 200, get(&mae.key, &timeline)), json!({ "data": [], "next_cursor": null }));

    // Expected entries: (timestamp, rank of the kind, id, kind).
    let mut expected: Vec<(DateTime<Utc>, u8, String, &str)> = Vec::new();
    let midnight = "2026-03-01T00:00:00Z";
    let communication = |donor: &str, sent_at: &str, subject: Option<&str>| {
        json!({ "donor_id": donor, "channel": "email", "direction": "outbound", "content": "Thank you for everything you do",
                "subject": subject, "sent_at": sent_at })
    };
    for (sent_at, subject) in
        [(midnight, Some("Welcome")), (midnight, None), ("2026-03-02T09:30:00.25Z", Some("Visit"))]
    {
        let c = ok!(&app, 201, post(&mae.key, "/api/v1/communications", communication(&ada, sent_at, subject)));
        expected.push((time(sent_at), 2, c["id"].as_str().unwrap().to_owned(), "communication"));
    }
    let gift = |donor: &str, date: &str, amount: &str| json!({ "donor_id": donor, "amount": amount, "date": date });
    for (date, amount) in [("2026-03-01", "25.00"), ("2026-03-01", "10.50"), ("2026-02-28", "100")] {
        let g = ok!(&app, 201, post(&mae.key, "/api/v1/donations", gift(&ada, date, amount)));
        expected.push((time(&format!("{date}T00:00:00Z")), 1, g["id"].as_str().unwrap().to_owned(), "donation"));
    }
    let session = Uuid::now_v7();
    exec(
        db,
        "INSERT INTO email_generation_sessions (id, organization_id, name, status) VALUES ($1, $2, $3, $4)",
        vec![session.into(), org.into(), "Spring".into(), "completed".into()],
    )
    .await;
    let sent = campaign_email(db, org, session, &ada, "sent", Some(midnight)).await;
    expected.push((time(midnight), 3, sent, "campaign_email"));
    campaign_email(db, org, session, &ada, "draft", None).await;
    campaign_email(db, org, session, &ada, "failed", None).await;
    let done = todo(db, org, &ada, "Call Ada", "completed", Some(midnight)).await;
    expected.push((time(midnight), 4, done, "task"));
    let later = todo(db, org, &ada, "Send photos", "completed", Some("2026-03-05T12:00:00Z")).await;
    expected.push((time("2026-03-05T12:00:00Z"), 4, later, "task"));
    todo(db, org, &ada, "Thank Ada", "pending", None).await;
    // Bob's rows are not Ada's timeline.
    ok!(&app, 201, post(&mae.key, "/api/v1/communications", communication(&bob, midnight, None)));
    ok!(&app, 201, post(&mae.key, "/api/v1/donations", gift(&bob, "2026-03-01", "5")));
    todo(db, org, &bob, "Call Bob", "completed", Some(midnight)).await;

    expected.sort_by(|a, b| (b.0, b.1, &b.2).cmp(&(a.0, a.1, &a.2)));
    let want: Vec<(String, String)> =
        expected.iter().map(|(_, _, id, kind)| ((*kind).to_owned(), id.clone())).collect();
    let whole = ok!(&app, 200, get(&mae.key, &timeline));
    assert_eq!(entries(&whole), want, "newest first; at one instant task, campaign email, communication, donation");
    assert!(whole["next_cursor"].is_null());
    for limit in 1..=want.len() {
        assert_eq!(all_pages!(&app, &mae.key, timeline, limit), want, "pages of {limit}");
    }

    // Each entry's summary.
    let data = whole["data"].as_array().unwrap();
    let find = |id: &str| data.iter().find(|e| e["id"] == id).unwrap().clone();
    let visit = find(&want.iter().find(|(k, _)| k == "communication").unwrap().1);
    assert_eq!(visit["timestamp"], "2026-03-02T09:30:00.250Z");
    assert_eq!((visit["channel"].as_str(), visit["direction"].as_str()), (Some("email"), Some("outbound")));
    assert_eq!((visit["status"].as_str(), visit["summary"].as_str()), (Some("sent"), Some("Visit")));
    assert!(visit.get("amount").is_none() && visit.get("task_type").is_none());
    let untitled =
        data.iter().find(|e| e["kind"] == "communication" && e["summary"] != "Visit" && e["summary"] != "Welcome");
    assert_eq!(untitled.unwrap()["summary"], "Thank you for everything you do", "no subject: the content");
    let hundred = data.iter().find(|e| e["kind"] == "donation" && e["timestamp"] == "2026-02-28T00:00:00Z").unwrap();
    assert_eq!((hundred["amount"].as_str(), hundred["currency"].as_str()), (Some("100.00"), Some("USD")));
    assert_eq!(hundred["summary"], "100.00 USD");
    assert!(hundred.get("channel").is_none());
    let email = data.iter().find(|e| e["kind"] == "campaign_email").unwrap();
    assert_eq!(email["summary"], "Spring appeal (sent)");
    let task = data.iter().find(|e| e["kind"] == "task" && e["summary"] == "Call Ada").unwrap();
    assert_eq!(task["task_type"], "call");

    // Kinds: a filter; donations only with donations:read.
    let only = |kinds: &[&str]| want.iter().filter(|(k, _)| kinds.contains(&k.as_str())).cloned().collect::<Vec<_>>();
    let uri = format!("{timeline}?kinds=task,donation");
    assert_eq!(all_pages!(&app, &mae.key, uri, 2), only(&["task", "donation"]));
    assert_eq!(entries(&ok!(&app, 200, get(&vic.key, &timeline))), only(&["task", "campaign_email", "communication"]));
    let uri = format!("{timeline}?kinds=communication");
    assert_eq!(all_pages!(&app, &vic.key, uri, 1), only(&["communication"]));
    let (status, headers, body) = call!(&app, get(&vic.key, &format!("{timeline}?kinds=donation,task")));
    problem(403, &headers, &body, "forbidden");
    assert_eq!(status, 403);

    // Bad input: 422 naming the parameter.
    let first = ok!(&app, 200, get(&mae.key, &format!("{timeline}?limit=1")));
    let foreign =
        ok!(&app, 200, get(&mae.key, "/api/v1/communications?limit=1"))["next_cursor"].as_str().unwrap().to_owned();
    for (query, field) in [
        ("limit=0".to_owned(), "limit"),
        ("limit=201".to_owned(), "limit"),
        ("cursor=tl.x".to_owned(), "cursor"),
        (format!("cursor={foreign}"), "cursor"),
        ("cursor=tl.1.9.0190b0d0e0f0a0b0c0d0e0f0a0b0c0d0".to_owned(), "cursor"),
        ("kinds=letter".to_owned(), "kinds"),
        ("kinds=,".to_owned(), "kinds"),
    ] {
        let (status, headers, body) = call!(&app, get(&mae.key, &format!("{timeline}?{query}")));
        assert_eq!(status, 422, "{query}: {}", String::from_utf8_lossy(&body));
        assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), [field], "{query}");
    }
    // A cursor of this timeline is only a position: on another donor's it reads past it.
    let cursor = first["next_cursor"].as_str().unwrap();
    ok!(&app, 200, get(&mae.key, &format!("/api/v1/donors/{bob}/timeline?cursor={cursor}")));

    // A deleted donor has no timeline.
    assert_eq!(call!(&app, delete(&mae.key, &format!("/api/v1/donors/{bob}"))).0, 204);
    let (status, headers, body) = call!(&app, get(&mae.key, &format!("/api/v1/donors/{bob}/timeline")));
    problem(404, &headers, &body, "not_found");
    assert_eq!(status, 404);
}
on_both_backends!(timeline_merged_and_paged, merged_newest_first_in_pages);

async fn another_organizations_donor_is_a_404(db: &TestDb) {
    let repos = repos(db);
    let alpha = member(&repos, &organization(&repos, "alpha").await, "ann", Role::Manager).await;
    let beta = member(&repos, &organization(&repos, "beta").await, "ben", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let theirs = ok!(&app, 201, post(&beta.key, "/api/v1/donors", json!({ "first_name": "Bea" })))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let note = json!({ "donor_id": theirs, "channel": "phone", "direction": "inbound", "content": "Hello" });
    ok!(&app, 201, post(&beta.key, "/api/v1/communications", note));
    assert_eq!(entries(&ok!(&app, 200, get(&beta.key, &format!("/api/v1/donors/{theirs}/timeline")))).len(), 1);

    for uri in [
        format!("/api/v1/donors/{theirs}/timeline"),
        format!("/api/v1/donors/{}/timeline", Uuid::now_v7()),
        "/api/v1/donors/not-a-uuid/timeline".to_owned(),
    ] {
        let (status, headers, body) = call!(&app, get(&alpha.key, &uri));
        problem(404, &headers, &body, "not_found");
        assert_eq!(status, 404, "{uri}");
    }
}
on_both_backends!(timeline_isolation, another_organizations_donor_is_a_404);
