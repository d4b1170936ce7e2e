//! Tasks over HTTP on both databases: create / read / update / complete / delete, every list
//! filter, validation (422 naming the field, nothing stored), references checked against the
//! organization, the task suggester (its three rules, stored once however often it runs), roles,
//! and isolation between organizations.

use actix_web::test::{self, TestRequest};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use givance_domain::donation::NewDonation;
use givance_domain::staff::Role;
use givance_domain::{Currency, DonorId, Money, OrgScope};
use givance_infra::Repositories;
use givance_tests::{TestDb, on_both_backends};
use sea_orm::{ConnectionTrait, Statement, Value as SqlValue};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{call, fields, problem, state};
use crate::tenants::{delete, get, json_of, member, organization, patch, post, repos};

const LIST: &str = "/api/v1/todos";
const SUGGEST: &str = "/api/v1/todos/suggestions";

/// Creates a task; returns its JSON.
macro_rules! create {
    ($app:expr, $token:expr, $body:expr) => {{
        let (status, _, body) = call!($app, post($token, LIST, $body));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)
    }};
}

/// Creates something over HTTP at `$uri`; returns its id.
macro_rules! created_id {
    ($app:expr, $token:expr, $uri:expr, $body:expr) => {{
        let (status, _, body) = call!($app, post($token, $uri, $body));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)["id"].as_str().unwrap().to_owned()
    }};
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

fn uri_of(todo: &Value) -> String {
    format!("{LIST}/{}", todo["id"].as_str().unwrap())
}

fn id_of(todo: &Value) -> String {
    todo["id"].as_str().unwrap().to_owned()
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

async fn create_read_update_complete_delete(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let fundraiser = member(&repos, &hope, "fay", Role::Fundraiser).await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = created_id!(&app, &fundraiser.key, "/api/v1/donors", json!({ "first_name": "Ada" }));
    let project = created_id!(&app, &manager.key, "/api/v1/projects", json!({ "name": "Water" }));
    let fay = fundraiser.user.id.into_uuid().to_string();
    let mae = manager.user.id.into_uuid().to_string();

    let call_ada = create!(
        &app,
        &fundraiser.key,
        json!({
            "title": " Call Ada ",
            "description": "Thank her for the well.",
            "type": "call",
            "due_date": day(3),
            "priority": "high",
            "donor_id": donor,
            "project_id": project,
            "assigned_to": mae
        })
    );
    assert_eq!(call_ada["title"], "Call Ada");
    assert_eq!((call_ada["type"].as_str(), call_ada["priority"].as_str()), (Some("call"), Some("high")));
    assert_eq!((call_ada["status"].as_str(), call_ada["is_overdue"].as_bool()), (Some("pending"), Some(false)));
    assert_eq!((call_ada["donor_id"].as_str(), call_ada["project_id"].as_str()), (Some(&*donor), Some(&*project)));
    assert_eq!((call_ada["assigned_to"].as_str(), call_ada["created_by"].as_str()), (Some(&*mae), Some(&*fay)));
    assert_eq!(call_ada["is_ai_generated"], false);
    assert!(call_ada["ai_reasoning"].is_null() && call_ada["ai_confidence"].is_null());
    assert!(call_ada["completed_at"].is_null() && call_ada["completed_by"].is_null());
    let bare = create!(&app, &fundraiser.key, json!({ "title": "Tidy the files" }));
    assert_eq!((bare["type"].as_str(), bare["priority"].as_str()), (Some("task"), Some("medium")), "defaults");
    assert!(bare["due_date"].is_null() && bare["donor_id"].is_null() && bare["assigned_to"].is_null());
    let late = create!(
        &app,
        &fundraiser.key,
        json!({ "title": "Send the report", "type": "email", "due_date": day(-2), "assigned_to": fay })
    );
    assert_eq!(late["is_overdue"], true);
    let done_at_once = create!(&app, &fundraiser.key, json!({ "title": "Logged call", "status": "completed" }));
    assert_eq!(done_at_once["completed_by"].as_str(), Some(&*fay));
    assert!(done_at_once["completed_at"].is_string());

    // Read: what was returned was stored.
    let (status, _, body) = call!(&app, get(&fundraiser.key, &uri_of(&call_ada)));
    assert_eq!(status, 200);
    assert_eq!(json_of(&body), call_ada);

    // Completing records when and by whom; completing again keeps the first; reopening clears.
    let (status, _, body) = call!(&app, patch(&manager.key, &uri_of(&call_ada), json!({ "status": "completed" })));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let completed = json_of(&body);
    assert_eq!((completed["status"].as_str(), completed["completed_by"].as_str()), (Some("completed"), Some(&*mae)));
    let completed_at = completed["completed_at"].as_str().expect("completed_at is set").to_owned();
    let (_, _, body) = call!(&app, patch(&fundraiser.key, &uri_of(&call_ada), json!({ "status": "completed" })));
    let again = json_of(&body);
    assert_eq!((again["completed_at"].as_str(), again["completed_by"].as_str()), (Some(&*completed_at), Some(&*mae)));
    let (_, _, body) = call!(&app, patch(&fundraiser.key, &uri_of(&call_ada), json!({ "status": "in_progress" })));
    let reopened = json_of(&body);
    assert_eq!(reopened["status"], "in_progress");
    assert!(reopened["completed_at"].is_null() && reopened["completed_by"].is_null());

    // PATCH: set some fields, clear others with null, leave the rest.
    let (status, _, body) = call!(
        &app,
        patch(
            &fundraiser.key,
            &uri_of(&call_ada),
            json!({ "title": "Visit Ada", "type": "meeting", "description": null, "due_date": null, "project_id": null, "assigned_to": fay })
        )
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let patched = json_of(&body);
    assert_eq!((patched["title"].as_str(), patched["type"].as_str()), (Some("Visit Ada"), Some("meeting")));
    assert!(patched["description"].is_null() && patched["due_date"].is_null() && patched["project_id"].is_null());
    assert_eq!((patched["assigned_to"].as_str(), patched["donor_id"].as_str()), (Some(&*fay), Some(&*donor)));
    let (_, _, body) = call!(&app, get(&fundraiser.key, &uri_of(&call_ada)));
    assert_eq!(json_of(&body), patched);

    // Lists: newest first, keyset pages.
    let all = [id_of(&done_at_once), id_of(&late), id_of(&bare), id_of(&call_ada)];
    let (_, _, body) = call!(&app, get(&fundraiser.key, LIST));
    assert_eq!(ids(&json_of(&body)), all);
    let (_, _, body) = call!(&app, get(&fundraiser.key, &format!("{LIST}?limit=3")));
    let first = json_of(&body);
    assert_eq!(ids(&first), all[..3]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, _, body) = call!(&app, get(&fundraiser.key, &format!("{LIST}?limit=3&cursor={cursor}")));
    let second = json_of(&body);
    assert_eq!((ids(&second), second["next_cursor"].is_null()), (all[3..].to_vec(), true));

    // Delete: 204, then gone everywhere.
    let (status, _, body) = call!(&app, delete(&fundraiser.key, &uri_of(&bare)));
    assert_eq!((status, body.len()), (204, 0));
    assert_eq!(call!(&app, get(&fundraiser.key, &uri_of(&bare))).0, 404);
    assert_eq!(call!(&app, delete(&fundraiser.key, &uri_of(&bare))).0, 404);
    assert_eq!(call!(&app, patch(&fundraiser.key, &uri_of(&bare), json!({ "title": "x" }))).0, 404);
}
on_both_backends!(todo_lifecycle, create_read_update_complete_delete);

async fn lists_filter_by_every_field(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let fundraiser = member(&repos, &hope, "fay", Role::Fundraiser).await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let ada = created_id!(&app, &fundraiser.key, "/api/v1/donors", json!({ "first_name": "Ada" }));
    let bob = created_id!(&app, &fundraiser.key, "/api/v1/donors", json!({ "first_name": "Bob" }));
    let water = created_id!(&app, &manager.key, "/api/v1/projects", json!({ "name": "Water" }));
    let mae = manager.user.id.into_uuid().to_string();

    let overdue = create!(&app, &fundraiser.key, json!({ "title": "1", "due_date": day(-3), "donor_id": ada }));
    let overdue_started = create!(
        &app,
        &fundraiser.key,
        json!({ "title": "2", "due_date": day(-1), "status": "in_progress", "assigned_to": mae, "project_id": water })
    );
    let late_but_done = create!(
        &app,
        &fundraiser.key,
        json!({ "title": "3", "due_date": day(-5), "status": "completed", "donor_id": bob })
    );
    let late_but_cancelled =
        create!(&app, &fundraiser.key, json!({ "title": "4", "due_date": day(-5), "status": "cancelled" }));
    let today = create!(
        &app,
        &fundraiser.key,
        json!({ "title": "5", "due_date": day(0), "assigned_to": mae, "donor_id": ada })
    );
    let later = create!(&app, &fundraiser.key, json!({ "title": "6", "due_date": day(10), "project_id": water }));
    let undated = create!(&app, &fundraiser.key, json!({ "title": "7" }));

    let cases: Vec<(String, Vec<&Value>)> = vec![
        ("status=pending".into(), vec![&undated, &later, &today, &overdue]),
        ("status=in_progress".into(), vec![&overdue_started]),
        ("status=completed".into(), vec![&late_but_done]),
        ("status=cancelled".into(), vec![&late_but_cancelled]),
        (format!("assigned_to={mae}"), vec![&today, &overdue_started]),
        ("assigned_to=me".into(), vec![]),
        (format!("donor_id={ada}"), vec![&today, &overdue]),
        (format!("donor_id={bob}"), vec![&late_but_done]),
        (format!("project_id={water}"), vec![&later, &overdue_started]),
        (format!("due_from={}", day(-1)), vec![&later, &today, &overdue_started]),
        (format!("due_to={}", day(-1)), vec![&late_but_cancelled, &late_but_done, &overdue_started, &overdue]),
        (format!("due_from={}&due_to={}", day(-3), day(0)), vec![&today, &overdue_started, &overdue]),
        ("overdue=true".into(), vec![&overdue_started, &overdue]),
        (format!("overdue=true&donor_id={ada}"), vec![&overdue]),
        (
            "is_ai_generated=false".into(),
            vec![&undated, &later, &today, &late_but_cancelled, &late_but_done, &overdue_started, &overdue],
        ),
        ("is_ai_generated=true".into(), vec![]),
    ];
    for (query, expected) in cases {
        let (status, _, body) = call!(&app, get(&fundraiser.key, &format!("{LIST}?{query}")));
        assert_eq!(status, 200, "{query}: {}", String::from_utf8_lossy(&body));
        let expected: Vec<String> = expected.into_iter().map(id_of).collect();
        assert_eq!(ids(&json_of(&body)), expected, "{query}");
    }
    // `me` is the caller.
    let (_, _, body) = call!(&app, get(&manager.key, &format!("{LIST}?assigned_to=me")));
    assert_eq!(ids(&json_of(&body)), [id_of(&today), id_of(&overdue_started)]);
    // The overdue flag in each task agrees with the filter.
    let (_, _, body) = call!(&app, get(&fundraiser.key, LIST));
    let flagged: Vec<String> =
        json_of(&body)["data"].as_array().unwrap().iter().filter(|t| t["is_overdue"] == true).map(id_of).collect();
    assert_eq!(flagged, [id_of(&overdue_started), id_of(&overdue)]);

    for bad in [
        "status=done",
        "assigned_to=someone",
        "donor_id=12",
        "project_id=x",
        "due_from=yesterday",
        "due_to=2026-02-30",
        "overdue=maybe",
        "overdue=false",
        "is_ai_generated=1",
        "limit=0",
        "cursor=p.abc",
    ] {
        let (status, headers, body) = call!(&app, get(&fundraiser.key, &format!("{LIST}?{bad}")));
        assert_eq!(status, 422, "{bad}: {}", String::from_utf8_lossy(&body));
        let name = bad.split('=').next().unwrap();
        assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), [name], "{bad}");
    }
    let (status, headers, body) =
        call!(&app, get(&fundraiser.key, &format!("{LIST}?due_from={}&due_to={}", day(1), day(0))));
    assert_eq!(status, 422);
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), ["due_to"]);
    assert_eq!(call!(&app, get(&fundraiser.key, &format!("{LIST}?sort=due"))).0, 400);
}
on_both_backends!(todo_filters, lists_filter_by_every_field);

async fn bad_input_and_foreign_references_are_refused(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let leaver = member(&repos, &hope, "lee", Role::Fundraiser).await;
    let stranger = member(&repos, &other, "sam", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let their_donor = created_id!(&app, &stranger.key, "/api/v1/donors", json!({ "first_name": "Sam" }));
    let their_project = created_id!(&app, &stranger.key, "/api/v1/projects", json!({ "name": "Theirs" }));
    let gone = created_id!(&app, &admin.key, "/api/v1/donors", json!({ "first_name": "Gone" }));
    assert_eq!(call!(&app, delete(&admin.key, &format!("/api/v1/donors/{gone}"))).0, 204);
    let staff_uri = format!("/api/v1/staff/{}/deactivate", leaver.staff.id);
    let (status, _, body) = call!(&app, post(&admin.key, &staff_uri, json!({})));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let stranger_user = stranger.user.id.into_uuid().to_string();
    let leaver_user = leaver.user.id.into_uuid().to_string();

    let cases = [
        (json!({}), "title"),
        (json!({ "title": "  " }), "title"),
        (json!({ "title": "t".repeat(501) }), "title"),
        (json!({ "title": "T", "description": "d".repeat(10_001) }), "description"),
        (json!({ "title": "T", "type": "visit" }), "type"),
        (json!({ "title": "T", "priority": "urgent" }), "priority"),
        (json!({ "title": "T", "status": "done" }), "status"),
        (json!({ "title": "T", "due_date": "2026-13-01" }), "due_date"),
        (json!({ "title": "T", "due_date": "tomorrow" }), "due_date"),
        (json!({ "title": "T", "donor_id": "nope" }), "donor_id"),
        (json!({ "title": "T", "project_id": "nope" }), "project_id"),
        (json!({ "title": "T", "assigned_to": "nope" }), "assigned_to"),
        (json!({ "title": "T", "donor_id": their_donor }), "donor_id"),
        (json!({ "title": "T", "donor_id": gone }), "donor_id"),
        (json!({ "title": "T", "project_id": their_project }), "project_id"),
        (json!({ "title": "T", "assigned_to": stranger_user }), "assigned_to"),
        (json!({ "title": "T", "assigned_to": leaver_user }), "assigned_to"),
        (json!({ "title": "T", "assigned_to": Uuid::nil() }), "assigned_to"),
    ];
    for (body, field) in cases {
        let (status, headers, response) = call!(&app, post(&admin.key, LIST, body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), [field], "{body}");
    }
    let (status, headers, body) =
        call!(&app, post(&admin.key, LIST, json!({ "type": "x", "priority": "y", "due_date": "z" })));
    assert_eq!(status, 422);
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), ["title", "type", "due_date", "priority"]);
    // AI details are the suggester's alone; unknown fields are refused.
    for extra in [
        json!({ "is_ai_generated": true }),
        json!({ "ai_reasoning": "because" }),
        json!({ "ai_confidence": "0.9" }),
        json!({ "completed_by": stranger_user }),
        json!({ "organization_id": Uuid::nil() }),
    ] {
        let mut body = json!({ "title": "T" });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let (status, headers, response) = call!(&app, post(&admin.key, LIST, body));
        assert_eq!(status, 400, "{extra}");
        problem(400, &headers, &response, "invalid_json");
    }
    let (_, _, body) = call!(&app, get(&admin.key, LIST));
    assert!(ids(&json_of(&body)).is_empty(), "nothing was stored");

    // The same checks on PATCH; the task is unchanged.
    let todo = create!(&app, &admin.key, json!({ "title": "T", "due_date": day(1) }));
    let cases = [
        (json!({ "title": null }), "title"),
        (json!({ "title": "" }), "title"),
        (json!({ "type": null }), "type"),
        (json!({ "type": "visit" }), "type"),
        (json!({ "priority": null }), "priority"),
        (json!({ "priority": "urgent" }), "priority"),
        (json!({ "status": null }), "status"),
        (json!({ "status": "finished" }), "status"),
        (json!({ "due_date": "soon" }), "due_date"),
        (json!({ "donor_id": "x" }), "donor_id"),
        (json!({ "donor_id": their_donor }), "donor_id"),
        (json!({ "project_id": their_project }), "project_id"),
        (json!({ "assigned_to": stranger_user }), "assigned_to"),
        (json!({ "assigned_to": leaver_user }), "assigned_to"),
    ];
    for (body, field) in cases {
        let (status, headers, response) = call!(&app, patch(&admin.key, &uri_of(&todo), body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), [field], "{body}");
    }
    assert_eq!(call!(&app, patch(&admin.key, &uri_of(&todo), json!({ "is_ai_generated": true }))).0, 400);
    let (_, _, body) = call!(&app, get(&admin.key, &uri_of(&todo)));
    assert_eq!(json_of(&body), todo, "the refused patches changed nothing");
}
on_both_backends!(todo_validation, bad_input_and_foreign_references_are_refused);

async fn roles_other_tenants_and_missing_credentials(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let stranger = member(&repos, &other, "sam", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let mine = create!(&app, &admin.key, json!({ "title": "Call Ada", "due_date": day(2) }));
    let one = uri_of(&mine);

    // Another organization's admin: every endpoint on this id is a 404, and nothing changes.
    let attempts = vec![
        get(&stranger.key, &one),
        patch(&stranger.key, &one, json!({ "title": "Stolen" })),
        patch(&stranger.key, &one, json!({ "status": "completed" })),
        delete(&stranger.key, &one),
    ];
    for req in attempts {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
        problem(404, &headers, &body, "not_found");
    }
    let (status, _, body) = call!(&app, get(&stranger.key, LIST));
    assert_eq!(status, 200);
    assert!(ids(&json_of(&body)).is_empty(), "the other organization lists nothing");
    let (status, _, body) = call!(&app, get(&stranger.key, &format!("{LIST}?overdue=true")));
    assert_eq!((status, ids(&json_of(&body)).len()), (200, 0));
    let (_, _, body) = call!(&app, get(&admin.key, &one));
    assert_eq!(json_of(&body), mine, "the other organization changed nothing");

    // A malformed or unknown id: 404.
    for uri in [format!("{LIST}/not-a-uuid"), format!("{LIST}/{}", Uuid::nil())] {
        let (status, headers, body) = call!(&app, get(&admin.key, &uri));
        assert_eq!(status, 404);
        problem(404, &headers, &body, "not_found");
    }

    // No credential: 401 everywhere.
    let anonymous = vec![
        TestRequest::get().uri(LIST),
        TestRequest::post().uri(LIST).set_json(json!({ "title": "T" })),
        TestRequest::get().uri(&one),
        TestRequest::patch().uri(&one).set_json(json!({})),
        TestRequest::delete().uri(&one),
        TestRequest::post().uri(SUGGEST),
    ];
    for req in anonymous {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 401);
        problem(401, &headers, &body, "missing_credential");
    }

    // A viewer reads but never writes, nor runs the suggester.
    assert_eq!(call!(&app, get(&viewer.key, &one)).0, 200);
    assert_eq!(call!(&app, get(&viewer.key, LIST)).0, 200);
    let writes = vec![
        post(&viewer.key, LIST, json!({ "title": "New" })),
        patch(&viewer.key, &one, json!({ "status": "completed" })),
        delete(&viewer.key, &one),
        post(&viewer.key, SUGGEST, json!({})),
    ];
    for req in writes {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
        problem(403, &headers, &body, "forbidden");
    }
    let (_, _, body) = call!(&app, get(&admin.key, &one));
    assert_eq!(json_of(&body), mine, "the viewer changed nothing");
}
on_both_backends!(todo_access, roles_other_tenants_and_missing_credentials);

// ---------------------------------------------------------------------------------------------
// Suggestions

async fn gift(repos: &Repositories, scope: &OrgScope, donor: &str, amount: &str, currency: &str, date: NaiveDate) {
    let donor = DonorId::from_uuid(donor.parse().unwrap());
    let money = Money::parse(amount, Currency::parse(currency).unwrap()).unwrap();
    repos.donations.create(scope, NewDonation::new(donor, money, date).unwrap()).await.unwrap();
}

async fn exec(db: &TestDb, sql: &str, values: Vec<SqlValue>) {
    let statement = Statement::from_sql_and_values(db.backend(), sql, values);
    db.conn().execute_raw(statement).await.unwrap_or_else(|err| panic!("{sql}: {err}"));
}

fn uuid_of(id: &str) -> SqlValue {
    id.parse::<Uuid>().unwrap().into()
}

/// A campaign email to `donor` with `status`, in a session of its own.
async fn campaign_email(db: &TestDb, org: Uuid, donor: &str, subject: &str, status: &str) -> Uuid {
    let (session, email, at) = (Uuid::now_v7(), Uuid::now_v7(), Utc::now());
    exec(
        db,
        "INSERT INTO email_generation_sessions (id, organization_id, name, status, created_at, updated_at) \
         VALUES ($1, $2, 'Spring appeal', 'completed', $3, $4)",
        vec![session.into(), org.into(), at.into(), at.into()],
    )
    .await;
    exec(
        db,
        "INSERT INTO generated_emails (id, organization_id, session_id, donor_id, subject, body_plain, body_html, \
         status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'Hi', '<p>Hi</p>', $6, $7, $8)",
        vec![
            email.into(),
            org.into(),
            session.into(),
            uuid_of(donor),
            subject.into(),
            status.into(),
            at.into(),
            at.into(),
        ],
    )
    .await;
    email
}

async fn send_job(db: &TestDb, org: Uuid, email: Uuid, status: &str, error: Option<&str>) {
    let at = Utc::now();
    exec(
        db,
        "INSERT INTO email_send_jobs (id, organization_id, email_id, scheduled_for, timezone, status, error_message, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, 'UTC', $5, $6, $7, $8)",
        vec![
            Uuid::now_v7().into(),
            org.into(),
            email.into(),
            at.into(),
            status.into(),
            error.map(str::to_owned).into(),
            at.into(),
            at.into(),
        ],
    )
    .await;
}

/// The created tasks of a run, by donor id: (title, priority, type, reasoning, confidence).
fn by_donor(run: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = run["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["donor_id"].as_str().unwrap().to_owned(), t["title"].as_str().unwrap().to_owned()))
        .collect();
    out.sort();
    out
}

async fn suggestions_follow_the_rules_and_are_stored_once(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let fundraiser = member(&repos, &hope, "fay", Role::Fundraiser).await;
    let stranger = member(&repos, &other, "sam", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let scope = OrgScope::for_tests(hope.id);
    let (org, today) = (hope.id.into_uuid(), Utc::now().date_naive());
    let this_year = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap();
    let last_year = NaiveDate::from_ymd_opt(today.year() - 1, 6, 15).unwrap();
    let two_years_ago = NaiveDate::from_ymd_opt(today.year() - 2, 3, 1).unwrap();
    macro_rules! donor {
        ($name:expr) => {
            created_id!(&app, &fundraiser.key, "/api/v1/donors", json!({ "first_name": $name, "last_name": "Doe" }))
        };
    }

    // Lapsed: gave last year, not this year. Not lapsed: gave both years; gave only two years
    // ago; a zero... refund-free small gift this year still counts as giving this year.
    let lapsed = donor!("Lapsed");
    gift(&repos, &scope, &lapsed, "50.00", "USD", last_year).await;
    gift(&repos, &scope, &lapsed, "25.00", "USD", last_year - Duration::days(30)).await;
    let loyal = donor!("Loyal");
    gift(&repos, &scope, &loyal, "50.00", "USD", last_year).await;
    gift(&repos, &scope, &loyal, "0.01", "USD", this_year).await;
    let older = donor!("Older");
    gift(&repos, &scope, &older, "50.00", "USD", two_years_ago).await;
    let deleted = donor!("Deleted");
    gift(&repos, &scope, &deleted, "50.00", "USD", last_year).await;
    assert_eq!(call!(&app, delete(&fundraiser.key, &format!("/api/v1/donors/{deleted}"))).0, 204);

    // Major donors (1,000.00 in one currency): one last contacted 200 days ago, one never, one
    // with a recent communication, one recently contacted, one just below, one split across
    // currencies.
    let major_stale = donor!("Stale");
    gift(&repos, &scope, &major_stale, "600.00", "USD", this_year).await;
    gift(&repos, &scope, &major_stale, "400.00", "USD", two_years_ago).await;
    let stale_contact = Utc::now() - Duration::days(200);
    exec(
        db,
        "UPDATE donors SET last_contact_date = $1 WHERE organization_id = $2 AND id = $3",
        vec![stale_contact.into(), org.into(), uuid_of(&major_stale)],
    )
    .await;
    let major_never = donor!("Never");
    gift(&repos, &scope, &major_never, "5000.00", "EUR", this_year).await;
    let major_written_to = donor!("Written");
    gift(&repos, &scope, &major_written_to, "2000.00", "USD", this_year).await;
    let at = Utc::now() - Duration::days(10);
    exec(
        db,
        "INSERT INTO communications (id, organization_id, donor_id, channel, direction, content, status, sent_at, \
         created_at, updated_at) VALUES ($1, $2, $3, 'email', 'outbound', 'Thanks!', 'sent', $4, $5, $6)",
        vec![Uuid::now_v7().into(), org.into(), uuid_of(&major_written_to), at.into(), at.into(), at.into()],
    )
    .await;
    let major_called = donor!("Called");
    gift(&repos, &scope, &major_called, "3000.00", "USD", this_year).await;
    exec(
        db,
        "UPDATE donors SET last_contact_date = $1 WHERE organization_id = $2 AND id = $3",
        vec![(Utc::now() - Duration::days(5)).into(), org.into(), uuid_of(&major_called)],
    )
    .await;
    let almost = donor!("Almost");
    gift(&repos, &scope, &almost, "999.99", "USD", this_year).await;
    let split = donor!("Split");
    gift(&repos, &scope, &split, "600.00", "USD", this_year).await;
    gift(&repos, &scope, &split, "600.00", "EUR", this_year).await;

    // Failed emails: a failed email; a draft with a failed send job (and its error); a failed
    // job later sent; a failed job being retried.
    let bounced = donor!("Bounced");
    campaign_email(db, org, &bounced, "Spring news", "failed").await;
    let job_failed = donor!("Jobfail");
    let email = campaign_email(db, org, &job_failed, "Your impact", "approved").await;
    send_job(db, org, email, "failed", Some("mailbox disconnected")).await;
    let resent = donor!("Resent");
    let email = campaign_email(db, org, &resent, "Your impact", "sent").await;
    send_job(db, org, email, "failed", Some("timeout")).await;
    let retrying = donor!("Retrying");
    let email = campaign_email(db, org, &retrying, "Your impact", "scheduled").await;
    send_job(db, org, email, "failed", Some("timeout")).await;
    send_job(db, org, email, "pending", None).await;

    // Another organization's lapsed donor is never suggested to this one.
    let theirs = created_id!(&app, &stranger.key, "/api/v1/donors", json!({ "first_name": "Theirs" }));
    gift(&repos, &OrgScope::for_tests(other.id), &theirs, "50.00", "USD", last_year).await;

    let (status, _, body) = call!(&app, post(&fundraiser.key, SUGGEST, json!({})));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let run = json_of(&body);
    let year = today.year();
    let mut expected = vec![
        (lapsed.clone(), format!("Re-engage Lapsed Doe: gave in {}, not yet in {year}", year - 1)),
        (major_stale.clone(), "Call Stale Doe: major donor, no contact in 90 days".to_owned()),
        (major_never.clone(), "Call Never Doe: major donor, no contact in 90 days".to_owned()),
        (bounced.clone(), "Resend \"Spring news\" to Bounced Doe".to_owned()),
        (job_failed.clone(), "Resend \"Your impact\" to Jobfail Doe".to_owned()),
    ];
    expected.sort();
    assert_eq!(by_donor(&run), expected, "{run}");
    assert_eq!(run["already_suggested"], 0);
    let created = run["created"].as_array().unwrap();
    for task in created {
        assert_eq!(task["is_ai_generated"], true, "{task}");
        assert!(task["ai_reasoning"].as_str().is_some_and(|r| r.len() > 20), "{task}");
        assert!(task["ai_confidence"].as_str().is_some_and(|c| c.starts_with("0.")), "{task}");
        assert!(task["created_by"].is_null() && task["status"] == "pending", "{task}");
    }
    let task_of = |donor: &str| created.iter().find(|t| t["donor_id"] == donor).unwrap().clone();
    let stale_task = task_of(&major_stale);
    assert_eq!((stale_task["priority"].as_str(), stale_task["type"].as_str()), (Some("high"), Some("call")));
    assert_eq!(stale_task["due_date"].as_str(), Some(&*day(7)));
    let reasoning = stale_task["ai_reasoning"].as_str().unwrap();
    assert!(
        reasoning.contains("1000.00 USD") && reasoning.contains(&stale_contact.date_naive().to_string()),
        "{reasoning}"
    );
    assert!(task_of(&major_never)["ai_reasoning"].as_str().unwrap().contains("5000.00 EUR"));
    let lapsed_task = task_of(&lapsed);
    assert!(lapsed_task["ai_reasoning"].as_str().unwrap().contains("2 gifts"), "{lapsed_task}");
    assert_eq!(lapsed_task["ai_confidence"], "0.85");
    let failed_task = task_of(&job_failed);
    assert_eq!((failed_task["type"].as_str(), failed_task["ai_confidence"].as_str()), (Some("email"), Some("0.95")));
    assert!(failed_task["ai_reasoning"].as_str().unwrap().contains("mailbox disconnected"));

    // The stored tasks are listed as AI-generated.
    let (_, _, body) = call!(&app, get(&fundraiser.key, &format!("{LIST}?is_ai_generated=true")));
    assert_eq!(ids(&json_of(&body)).len(), 5);

    // Running again stores nothing new, even after a task was completed or cancelled.
    let (_, _, body) = call!(&app, patch(&fundraiser.key, &uri_of(&lapsed_task), json!({ "status": "cancelled" })));
    assert_eq!(json_of(&body)["status"], "cancelled");
    let (_, _, body) = call!(&app, patch(&fundraiser.key, &uri_of(&failed_task), json!({ "status": "completed" })));
    assert_eq!(json_of(&body)["status"], "completed");
    let (status, _, body) = call!(&app, post(&fundraiser.key, SUGGEST, json!({})));
    assert_eq!(status, 200);
    let again = json_of(&body);
    assert_eq!((again["created"].as_array().unwrap().len(), again["already_suggested"].as_u64()), (0, Some(5)));

    // A new occurrence is a new suggestion: the stale donor is contacted, then again goes quiet.
    let newer_contact = Utc::now() - Duration::days(120);
    exec(
        db,
        "UPDATE donors SET last_contact_date = $1 WHERE organization_id = $2 AND id = $3",
        vec![newer_contact.into(), org.into(), uuid_of(&major_stale)],
    )
    .await;
    // A deleted suggestion may be proposed again.
    assert_eq!(call!(&app, delete(&fundraiser.key, &uri_of(&task_of(&bounced)))).0, 204);
    let (_, _, body) = call!(&app, post(&fundraiser.key, SUGGEST, json!({})));
    let third = json_of(&body);
    let mut donors: Vec<String> = by_donor(&third).into_iter().map(|(donor, _)| donor).collect();
    donors.sort();
    let mut expected = vec![major_stale.clone(), bounced.clone()];
    expected.sort();
    assert_eq!(donors, expected, "{third}");
    assert_eq!(third["already_suggested"], 3);
    let (_, _, body) =
        call!(&app, get(&fundraiser.key, &format!("{LIST}?is_ai_generated=true&donor_id={major_stale}")));
    assert_eq!(ids(&json_of(&body)).len(), 2);

    // The other organization's run sees only its own donor.
    let (status, _, body) = call!(&app, post(&stranger.key, SUGGEST, json!({})));
    assert_eq!(status, 200);
    let theirs_run = json_of(&body);
    assert_eq!(
        by_donor(&theirs_run),
        [(theirs.clone(), format!("Re-engage Theirs: gave in {}, not yet in {year}", year - 1))]
    );
    let (_, _, body) = call!(&app, get(&stranger.key, LIST));
    assert_eq!(ids(&json_of(&body)).len(), 1);
}
on_both_backends!(todo_suggestions, suggestions_follow_the_rules_and_are_stored_once);
