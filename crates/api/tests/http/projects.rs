//! Projects over HTTP on both databases: create / read / update / delete, validation (422
//! naming the field, nothing stored), keyset pages, status transitions, progress (only with
//! `donations:read`), delete refused while donations point at a project, and isolation.

use actix_web::test::{self, TestRequest};
use chrono::NaiveDate;
use givance_domain::donation::NewDonation;
use givance_domain::staff::Role;
use givance_domain::{Currency, DonorId, Money, OrgScope, ProjectId};
use givance_infra::Repositories;
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, fields, problem, state};
use crate::tenants::{delete, get, json_of, member, organization, patch, post, repos};

const LIST: &str = "/api/v1/projects";

/// Creates a project; returns its JSON.
macro_rules! create {
    ($app:expr, $token:expr, $body:expr) => {{
        let (status, _, body) = call!($app, post($token, LIST, $body));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)
    }};
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

fn uri_of(project: &Value) -> String {
    format!("{LIST}/{}", project["id"].as_str().unwrap())
}

fn project_id(project: &Value) -> ProjectId {
    ProjectId::from_uuid(project["id"].as_str().unwrap().parse().unwrap())
}

/// A gift to `project` by a new donor, made through the repositories.
async fn gift(
    repos: &Repositories,
    scope: &OrgScope,
    donor: DonorId,
    project: ProjectId,
    amount: &str,
    currency: &str,
) {
    let money = Money::parse(amount, Currency::parse(currency).unwrap()).unwrap();
    let mut new = NewDonation::new(donor, money, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).unwrap();
    new.project_id = Some(project);
    repos.donations.create(scope, new).await.unwrap();
}

/// Creates a donor over HTTP; returns its id.
macro_rules! donor {
    ($app:expr, $token:expr) => {{
        let (status, _, body) = call!($app, post($token, "/api/v1/donors", json!({ "first_name": "Ada" })));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        DonorId::from_uuid(json_of(&body)["id"].as_str().unwrap().parse().unwrap())
    }};
}

async fn create_read_update_delete(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    let created = create!(
        &app,
        &manager.key,
        json!({
            "name": " Clean water ",
            "description": "Wells for three villages.",
            "target_amount": "5000",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "settings": { "public": true }
        })
    );
    assert_eq!(created["name"], "Clean water");
    assert_eq!(created["target_amount"], "5000.00");
    assert_eq!(created["status"], "draft", "the default status");
    assert_eq!(
        (created["start_date"].as_str(), created["end_date"].as_str()),
        (Some("2026-01-01"), Some("2026-12-31"))
    );
    assert_eq!(created["settings"], json!({ "public": true }));
    assert!(created.get("progress").is_none(), "only a read includes progress");
    let one = uri_of(&created);

    // Only a name is required; a status may be given.
    let bare = create!(&app, &manager.key, json!({ "name": "Roof", "status": "active" }));
    assert_eq!(bare["status"], "active");
    assert!(bare["target_amount"].is_null() && bare["settings"].is_null() && bare["start_date"].is_null());

    // Read: what was returned was stored, with (empty) progress for a manager.
    let (status, _, body) = call!(&app, get(&manager.key, &one));
    assert_eq!(status, 200);
    let read = json_of(&body);
    assert_eq!(read["progress"], json!([]));
    let mut without = read.clone();
    without.as_object_mut().unwrap().remove("progress");
    assert_eq!(without, created);

    // PATCH: set some fields, clear others with null, leave the rest.
    let (status, _, body) = call!(
        &app,
        patch(
            &manager.key,
            &one,
            json!({ "name": "Clean water 2026", "description": null, "target_amount": "7500.50", "end_date": null, "settings": null })
        )
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let patched = json_of(&body);
    assert_eq!(patched["name"], "Clean water 2026");
    assert_eq!(patched["target_amount"], "7500.50");
    assert!(patched["description"].is_null() && patched["end_date"].is_null() && patched["settings"].is_null());
    assert_eq!(patched["start_date"], "2026-01-01");
    let (status, _, body) = call!(&app, patch(&manager.key, &one, json!({ "target_amount": null })));
    assert_eq!(status, 200);
    assert!(json_of(&body)["target_amount"].is_null());

    // Lists: keyset pages over both projects.
    let (status, _, body) = call!(&app, get(&manager.key, &format!("{LIST}?limit=1")));
    assert_eq!(status, 200);
    let first = json_of(&body);
    assert_eq!(ids(&first), [bare["id"].as_str().unwrap()], "newest first");
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let (status, _, body) = call!(&app, get(&manager.key, &format!("{LIST}?limit=1&cursor={cursor}")));
    assert_eq!(status, 200);
    let second = json_of(&body);
    assert_eq!(ids(&second).len(), 1);
    let mut all = [ids(&first), ids(&second)].concat();
    all.sort();
    let mut expected = vec![created["id"].as_str().unwrap().to_owned(), bare["id"].as_str().unwrap().to_owned()];
    expected.sort();
    assert_eq!(all, expected);
    let (_, _, body) = call!(
        &app,
        get(&manager.key, &format!("{LIST}?limit=1&cursor={}", second["next_cursor"].as_str().unwrap_or("")))
    );
    let third = json_of(&body);
    if second["next_cursor"].is_string() {
        assert!(ids(&third).is_empty() && third["next_cursor"].is_null());
    }
    for bad in ["limit=0", "limit=201", "limit=x", "cursor=garbage", "cursor=n.abc"] {
        let (status, headers, body) = call!(&app, get(&manager.key, &format!("{LIST}?{bad}")));
        assert_eq!(status, 422, "{bad}");
        let name = bad.split('=').next().unwrap();
        assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), [name]);
    }

    // Delete: 204, then gone.
    let (status, _, body) = call!(&app, delete(&manager.key, &one));
    assert_eq!((status, body.len()), (204, 0));
    assert_eq!(call!(&app, get(&manager.key, &one)).0, 404);
    assert_eq!(call!(&app, delete(&manager.key, &one)).0, 404);
    assert_eq!(call!(&app, patch(&manager.key, &one, json!({ "name": "x" }))).0, 404);
    let (_, _, body) = call!(&app, get(&manager.key, LIST));
    assert_eq!(ids(&json_of(&body)), [bare["id"].as_str().unwrap()]);
}
on_both_backends!(project_lifecycle, create_read_update_delete);

async fn bad_input_is_refused_naming_the_field(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    let long = "x".repeat(201);
    let cases = [
        (json!({}), "name"),
        (json!({ "name": "  " }), "name"),
        (json!({ "name": long }), "name"),
        (json!({ "name": "P", "description": "d".repeat(10_001) }), "description"),
        (json!({ "name": "P", "target_amount": "0" }), "target_amount"),
        (json!({ "name": "P", "target_amount": "-5" }), "target_amount"),
        (json!({ "name": "P", "target_amount": "10.001" }), "target_amount"),
        (json!({ "name": "P", "target_amount": "ten" }), "target_amount"),
        (json!({ "name": "P", "target_amount": 10 }), "target_amount"),
        (json!({ "name": "P", "start_date": "2026-13-01" }), "start_date"),
        (json!({ "name": "P", "start_date": "01/02/2026" }), "start_date"),
        (json!({ "name": "P", "end_date": "tomorrow" }), "end_date"),
        (json!({ "name": "P", "start_date": "2026-05-02", "end_date": "2026-05-01" }), "end_date"),
        (json!({ "name": "P", "status": "archived" }), "status"),
        (json!({ "name": "P", "settings": [1, 2] }), "settings"),
        (json!({ "name": "P", "settings": "on" }), "settings"),
    ];
    for (body, field) in cases {
        let (status, headers, response) = call!(&app, post(&admin.key, LIST, body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), [field], "{body}");
    }
    // Several faults at once are all named.
    let (status, headers, body) =
        call!(&app, post(&admin.key, LIST, json!({ "target_amount": "0", "status": "nope" })));
    assert_eq!(status, 422);
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), ["name", "target_amount", "status"]);
    // An unknown field is refused too.
    let (status, _, _) = call!(&app, post(&admin.key, LIST, json!({ "name": "P", "organization_id": "x" })));
    assert!((400..500).contains(&status));
    let (_, _, body) = call!(&app, get(&admin.key, LIST));
    assert!(ids(&json_of(&body)).is_empty(), "nothing was stored");

    // The same checks on PATCH; the project is unchanged.
    let project =
        create!(&app, &admin.key, json!({ "name": "Roof", "start_date": "2026-05-01", "target_amount": "100" }));
    let one = uri_of(&project);
    let cases = [
        (json!({ "name": null }), "name"),
        (json!({ "name": "" }), "name"),
        (json!({ "target_amount": "0.00" }), "target_amount"),
        (json!({ "target_amount": "1.234" }), "target_amount"),
        (json!({ "start_date": "nope" }), "start_date"),
        (json!({ "end_date": "2026-04-30" }), "end_date"),
        (json!({ "status": null }), "status"),
        (json!({ "status": "paused" }), "status"),
        (json!({ "settings": 3 }), "settings"),
    ];
    for (body, field) in cases {
        let (status, headers, response) = call!(&app, patch(&admin.key, &one, body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), [field], "{body}");
    }
    let (_, _, body) = call!(&app, get(&admin.key, &one));
    let mut after = json_of(&body);
    after.as_object_mut().unwrap().remove("progress");
    assert_eq!(after, project, "the refused patches changed nothing");
}
on_both_backends!(project_validation, bad_input_is_refused_naming_the_field);

async fn status_moves_forward_only(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    /// Creates a project, walks it along `path`, then asks for `to`: (status code, status after).
    macro_rules! attempt {
        ($path:expr, $to:expr) => {{
            let project = create!(&app, &admin.key, json!({ "name": "P" }));
            let one = uri_of(&project);
            for step in $path {
                let (status, _, body) = call!(&app, patch(&admin.key, &one, json!({ "status": step })));
                assert_eq!(status, 200, "{step}: {}", String::from_utf8_lossy(&body));
            }
            let (status, headers, body) = call!(&app, patch(&admin.key, &one, json!({ "status": $to })));
            if status == 422 {
                let p = problem(422, &headers, &body, "validation_failed");
                assert_eq!(fields(&p), ["status"]);
            }
            let (_, _, current) = call!(&app, get(&admin.key, &one));
            (status, json_of(&current)["status"].clone())
        }};
    }

    let allowed: [(&[&str], &str); 5] = [
        (&[], "active"),
        (&[], "cancelled"),
        (&["active"], "completed"),
        (&["active"], "cancelled"),
        (&["active"], "active"),
    ];
    for (path, to) in allowed {
        assert_eq!(attempt!(path, to), (200, json!(to)), "{path:?} -> {to}");
    }
    let refused: [(&[&str], &str, &str); 6] = [
        (&[], "completed", "draft"),
        (&["active"], "draft", "active"),
        (&["active", "completed"], "active", "completed"),
        (&["active", "completed"], "cancelled", "completed"),
        (&["cancelled"], "draft", "cancelled"),
        (&["cancelled"], "active", "cancelled"),
    ];
    for (path, to, stays) in refused {
        assert_eq!(attempt!(path, to), (422, json!(stays)), "{path:?} -> {to}");
    }
}
on_both_backends!(project_status, status_moves_forward_only);

async fn progress_and_delete_with_donations(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let scope = OrgScope::for_tests(hope.id);
    let donor_id = donor!(&app, &admin.key);

    let water = create!(&app, &admin.key, json!({ "name": "Water", "target_amount": "300" }));
    let roof = create!(&app, &admin.key, json!({ "name": "Roof" }));
    let empty = create!(&app, &admin.key, json!({ "name": "Empty", "target_amount": "10" }));
    for (amount, currency) in [("100.10", "USD"), ("0.10", "USD"), ("25", "USD"), ("40", "EUR")] {
        gift(&repos, &scope, donor_id, project_id(&water), amount, currency).await;
    }
    gift(&repos, &scope, donor_id, project_id(&roof), "12.34", "USD").await;

    let (status, _, body) = call!(&app, get(&admin.key, &uri_of(&water)));
    assert_eq!(status, 200);
    let mut progress = json_of(&body)["progress"].as_array().unwrap().clone();
    progress.sort_by_key(|p| p["currency"].as_str().unwrap().to_owned());
    assert_eq!(
        progress,
        [
            json!({ "currency": "EUR", "raised": "40.00", "gift_count": 1, "percent_of_target": "13.33" }),
            json!({ "currency": "USD", "raised": "125.20", "gift_count": 3, "percent_of_target": "41.73" }),
        ]
    );
    // Without a target: no percentage.
    let (_, _, body) = call!(&app, get(&admin.key, &uri_of(&roof)));
    assert_eq!(json_of(&body)["progress"], json!([{ "currency": "USD", "raised": "12.34", "gift_count": 1 }]));
    let (_, _, body) = call!(&app, get(&admin.key, &uri_of(&empty)));
    assert_eq!(json_of(&body)["progress"], json!([]));

    // A viewer (no donations:read) reads the project but not its progress.
    let (status, _, body) = call!(&app, get(&viewer.key, &uri_of(&water)));
    assert_eq!(status, 200);
    let read = json_of(&body);
    assert_eq!(read["name"], "Water");
    assert!(read.get("progress").is_none(), "{read}");

    // Delete refused while donations point at the project; nothing deleted.
    for project in [&water, &roof] {
        let (status, headers, body) = call!(&app, delete(&admin.key, &uri_of(project)));
        assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
        problem(409, &headers, &body, "project_in_use");
        assert_eq!(call!(&app, get(&admin.key, &uri_of(project))).0, 200);
    }
    let (_, _, body) = call!(&app, get(&admin.key, &uri_of(&water)));
    assert_eq!(json_of(&body)["progress"].as_array().unwrap().len(), 2, "the donations are still there");
    // Allowed without donations.
    assert_eq!(call!(&app, delete(&admin.key, &uri_of(&empty))).0, 204);
    assert_eq!(call!(&app, get(&admin.key, &uri_of(&empty))).0, 404);
}
on_both_backends!(project_progress, progress_and_delete_with_donations);

async fn other_tenants_and_missing_credentials(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let stranger = member(&repos, &other, "sam", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let mine = create!(&app, &admin.key, json!({ "name": "Water", "target_amount": "300" }));
    let one = uri_of(&mine);

    // Another organization's admin: every endpoint on this id is a 404, and nothing changes.
    let attempts = vec![
        get(&stranger.key, &one),
        patch(&stranger.key, &one, json!({ "name": "Stolen" })),
        patch(&stranger.key, &one, json!({ "status": "active" })),
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
    let (_, _, body) = call!(&app, get(&admin.key, &one));
    let mut after = json_of(&body);
    after.as_object_mut().unwrap().remove("progress");
    assert_eq!(after, mine, "the other organization changed nothing");

    // A malformed or unknown id: 404.
    for uri in ["/api/v1/projects/not-a-uuid", "/api/v1/projects/00000000-0000-0000-0000-000000000000"] {
        let (status, headers, body) = call!(&app, get(&admin.key, uri));
        assert_eq!(status, 404);
        problem(404, &headers, &body, "not_found");
    }

    // No credential: 401 everywhere.
    let anonymous = vec![
        TestRequest::get().uri(LIST),
        TestRequest::post().uri(LIST).set_json(json!({ "name": "P" })),
        TestRequest::get().uri(&one),
        TestRequest::patch().uri(&one).set_json(json!({})),
        TestRequest::delete().uri(&one),
    ];
    for req in anonymous {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 401);
        problem(401, &headers, &body, "missing_credential");
    }

    // A viewer reads but never writes.
    assert_eq!(call!(&app, get(&viewer.key, &one)).0, 200);
    assert_eq!(call!(&app, get(&viewer.key, LIST)).0, 200);
    let writes = vec![
        post(&viewer.key, LIST, json!({ "name": "New" })),
        patch(&viewer.key, &one, json!({ "name": "Changed" })),
        delete(&viewer.key, &one),
    ];
    for req in writes {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 403);
        problem(403, &headers, &body, "forbidden");
    }
    let (_, _, body) = call!(&app, get(&admin.key, LIST));
    assert_eq!(ids(&json_of(&body)), [mine["id"].as_str().unwrap()], "the refused writes stored nothing");
    let (_, _, body) = call!(&app, get(&admin.key, &one));
    assert_eq!(json_of(&body)["name"], "Water");
}
on_both_backends!(project_isolation, other_tenants_and_missing_credentials);
