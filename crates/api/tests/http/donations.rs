//! Donations over HTTP on both databases: create / read / update / delete, every bad field (422
//! naming it, nothing stored), recurrence rules, receipt marking, keyset pages and filters,
//! permissions, and isolation (another organization's donation is a 404 on every endpoint; its
//! donor or project in a body is a 422 and stores nothing).

use actix_web::test::{self, TestRequest};
use givance_domain::staff::Role;
use givance_domain::{DonorId, OrgScope};
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, fields, problem, state};
use crate::tenants::{delete, get, json_of, member, organization, patch, post, repos, with_bearer};

pub const LIST: &str = "/api/v1/donations";

/// Creates a donation; returns its JSON.
macro_rules! create {
    ($app:expr, $token:expr, $body:expr) => {{
        let (status, _, body) = call!($app, post($token, LIST, $body));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)
    }};
}
pub(crate) use create;

/// Creates a donor over HTTP; returns its id as text.
macro_rules! donor {
    ($app:expr, $token:expr) => {{
        let (status, _, body) = call!($app, post($token, "/api/v1/donors", json!({ "first_name": "Ada" })));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)["id"].as_str().unwrap().to_owned()
    }};
}
pub(crate) use donor;

/// Creates a project over HTTP; returns its id as text.
macro_rules! project {
    ($app:expr, $token:expr) => {{
        let (status, _, body) = call!($app, post($token, "/api/v1/projects", json!({ "name": "Wells" })));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)["id"].as_str().unwrap().to_owned()
    }};
}

/// The ids of every donation the token's organization holds, newest first.
macro_rules! stored {
    ($app:expr, $token:expr) => {{
        let (status, _, body) = call!($app, get($token, &format!("{LIST}?limit=200")));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        $crate::donations::ids(&json_of(&body))
    }};
}
pub(crate) use stored;

pub fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

fn uri_of(donation: &Value) -> String {
    format!("{LIST}/{}", donation["id"].as_str().unwrap())
}

pub fn gift(donor: &str, amount: &str) -> Value {
    json!({ "donor_id": donor, "amount": amount, "date": "2026-11-25" })
}

async fn create_read_update_delete(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);
    let project = project!(&app, &manager.key);

    let created = create!(
        &app,
        &manager.key,
        json!({
            "donor_id": donor,
            "project_id": project,
            "amount": "1234.5",
            "currency": "eur",
            "date": "2026-03-01",
            "payment_method": "credit_card",
            "reference_number": " txn_1 ",
            "notes": "Spring appeal",
            "is_recurring": true,
            "recurring_frequency": "monthly",
            "tax_deductible": false,
        })
    );
    assert_eq!(created["donor_id"], donor.as_str());
    assert_eq!(created["project_id"], project.as_str());
    assert_eq!(created["amount"], "1234.50");
    assert_eq!(created["currency"], "EUR");
    assert_eq!(created["date"], "2026-03-01");
    assert_eq!(created["payment_method"], "credit_card");
    assert_eq!(created["reference_number"], "txn_1");
    assert_eq!(
        (created["is_recurring"].clone(), created["recurring_frequency"].clone()),
        (json!(true), json!("monthly"))
    );
    assert_eq!(created["tax_deductible"], false);
    assert_eq!((created["receipt_sent"].clone(), created["receipt_sent_date"].clone()), (json!(false), Value::Null));

    let (status, _, body) = call!(&app, get(&manager.key, &uri_of(&created)));
    assert_eq!(status, 200);
    assert_eq!(json_of(&body), created);

    // Defaults: USD, one-off, tax-deductible.
    let plain = create!(&app, &manager.key, gift(&donor, "25"));
    assert_eq!((plain["amount"].as_str(), plain["currency"].as_str()), (Some("25.00"), Some("USD")));
    assert_eq!((plain["is_recurring"].clone(), plain["tax_deductible"].clone()), (json!(false), json!(true)));
    assert_eq!((plain["project_id"].clone(), plain["payment_method"].clone()), (Value::Null, Value::Null));

    // An amount alone keeps the currency; null clears the nullable fields.
    let (status, _, body) = call!(
        &app,
        patch(
            &manager.key,
            &uri_of(&created),
            json!({ "amount": "99.9", "project_id": null, "notes": null, "payment_method": null, "date": "2026-04-02" })
        )
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let updated = json_of(&body);
    assert_eq!((updated["amount"].as_str(), updated["currency"].as_str()), (Some("99.90"), Some("EUR")));
    assert_eq!((updated["project_id"].clone(), updated["notes"].clone()), (Value::Null, Value::Null));
    assert_eq!(updated["payment_method"], Value::Null);
    assert_eq!(updated["date"], "2026-04-02");
    assert_eq!(updated["reference_number"], "txn_1", "left out, unchanged");
    // A currency alone keeps the amount.
    let (status, _, body) = call!(&app, patch(&manager.key, &uri_of(&created), json!({ "currency": "GBP" })));
    assert_eq!(status, 200);
    assert_eq!((json_of(&body)["amount"].as_str(), json_of(&body)["currency"].as_str()), (Some("99.90"), Some("GBP")));
    let (status, _, body) = call!(&app, get(&manager.key, &uri_of(&created)));
    assert_eq!((status, json_of(&body)["currency"].as_str()), (200, Some("GBP")));

    let (status, _, _) = call!(&app, delete(&manager.key, &uri_of(&created)));
    assert_eq!(status, 204);
    let (status, headers, body) = call!(&app, get(&manager.key, &uri_of(&created)));
    problem(404, &headers, &body, "not_found");
    assert_eq!(status, 404);
    let (status, _, _) = call!(&app, delete(&manager.key, &uri_of(&created)));
    assert_eq!(status, 404);
    assert_eq!(stored!(&app, &manager.key), vec![plain["id"].as_str().unwrap().to_owned()]);
}
on_both_backends!(donation_crud, create_read_update_delete);

async fn bad_fields_are_422_and_store_nothing(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);

    let with = |changes: Value| {
        let mut body = gift(&donor, "25.00");
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (with(json!({ "amount": 25 })), "amount"),
        (with(json!({ "amount": 25.5 })), "amount"),
        (with(json!({ "amount": "0" })), "amount"),
        (with(json!({ "amount": "0.00" })), "amount"),
        (with(json!({ "amount": "-5.00" })), "amount"),
        (with(json!({ "amount": "1.001" })), "amount"),
        (with(json!({ "amount": "10000000000.00" })), "amount"),
        (with(json!({ "amount": "abc" })), "amount"),
        (with(json!({ "amount": "1e3" })), "amount"),
        (with(json!({ "amount": null })), "amount"),
        (with(json!({ "currency": "XYZ" })), "currency"),
        (with(json!({ "currency": "dollars" })), "currency"),
        (with(json!({ "date": "25/11/2026" })), "date"),
        (with(json!({ "date": null })), "date"),
        (with(json!({ "payment_method": "paypal" })), "payment_method"),
        (with(json!({ "donor_id": "not-a-uuid" })), "donor_id"),
        (with(json!({ "donor_id": null })), "donor_id"),
        (with(json!({ "project_id": "nope" })), "project_id"),
        (with(json!({ "recurring_frequency": "monthly" })), "recurring_frequency"),
        (with(json!({ "is_recurring": false, "recurring_frequency": "monthly" })), "recurring_frequency"),
        (with(json!({ "is_recurring": true, "recurring_frequency": "daily" })), "recurring_frequency"),
        (with(json!({ "reference_number": "r".repeat(201) })), "reference_number"),
        (with(json!({ "notes": "n".repeat(10_001) })), "notes"),
        // Unknown, but well-formed: the database refuses it, the field is named.
        (with(json!({ "donor_id": uuid::Uuid::now_v7() })), "donor_id"),
        (with(json!({ "project_id": uuid::Uuid::now_v7() })), "project_id"),
    ];
    for (body, field) in cases {
        let (status, headers, response) = call!(&app, post(&manager.key, LIST, body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        let problem = problem(422, &headers, &response, "validation_failed");
        assert_eq!(fields(&problem), vec![field.to_owned()], "{body}");
    }
    // Several faults at once are listed together.
    let (_, headers, body) =
        call!(&app, post(&manager.key, LIST, json!({ "amount": 1, "currency": "XX", "payment_method": "gold" })));
    let listed = fields(&problem(422, &headers, &body, "validation_failed"));
    for field in ["donor_id", "amount", "currency", "date", "payment_method"] {
        assert!(listed.contains(&field.to_owned()), "{listed:?}");
    }
    // A wrong JSON type or an unknown member is a 400.
    let (status, headers, body) = call!(&app, post(&manager.key, LIST, with(json!({ "is_recurring": "yes" }))));
    problem(400, &headers, &body, "invalid_json");
    assert_eq!(status, 400);
    let (status, _, _) = call!(&app, post(&manager.key, LIST, with(json!({ "organization_id": donor.clone() }))));
    assert_eq!(status, 400);
    assert!(stored!(&app, &manager.key).is_empty(), "nothing stored");

    // The largest numeric(12,2) is fine, exactly.
    let big = create!(&app, &manager.key, with(json!({ "amount": "9999999999.99" })));
    assert_eq!(big["amount"], "9999999999.99");

    // PATCH: each bad field too, and the stored donation is unchanged.
    let uri = uri_of(&big);
    let patches: Vec<(Value, &str)> = vec![
        (json!({ "amount": "0" }), "amount"),
        (json!({ "amount": 12 }), "amount"),
        (json!({ "amount": null }), "amount"),
        (json!({ "currency": "XYZ" }), "currency"),
        (json!({ "currency": null }), "currency"),
        (json!({ "date": null }), "date"),
        (json!({ "date": "tomorrow" }), "date"),
        (json!({ "payment_method": "barter" }), "payment_method"),
        (json!({ "project_id": uuid::Uuid::now_v7() }), "project_id"),
        (json!({ "project_id": "x" }), "project_id"),
        (json!({ "tax_deductible": null }), "tax_deductible"),
        (json!({ "is_recurring": null }), "is_recurring"),
        (json!({ "recurring_frequency": "weekly" }), "recurring_frequency"),
        (json!({ "receipt_sent_date": "yesterday" }), "receipt_sent_date"),
        (json!({ "notes": "n".repeat(10_001) }), "notes"),
    ];
    for (body, field) in patches {
        let (status, headers, response) = call!(&app, patch(&manager.key, &uri, body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), vec![field.to_owned()], "{body}");
    }
    let (_, _, body) = call!(&app, get(&manager.key, &uri));
    assert_eq!(json_of(&body), big, "unchanged");
}
on_both_backends!(donation_validation, bad_fields_are_422_and_store_nothing);

async fn recurrence_rules(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);

    // Recurring without a frequency is allowed (the spec's column is optional).
    let mut body = gift(&donor, "10.00");
    body["is_recurring"] = json!(true);
    let open = create!(&app, &manager.key, body.clone());
    assert_eq!((open["is_recurring"].clone(), open["recurring_frequency"].clone()), (json!(true), Value::Null));
    let (status, _, response) =
        call!(&app, patch(&manager.key, &uri_of(&open), json!({ "recurring_frequency": "quarterly" })));
    assert_eq!((status, json_of(&response)["recurring_frequency"].clone()), (200, json!("quarterly")));

    // Switching recurrence off drops the frequency; naming one with it off is refused.
    let (status, _, response) = call!(&app, patch(&manager.key, &uri_of(&open), json!({ "is_recurring": false })));
    let off = json_of(&response);
    assert_eq!(
        (status, off["is_recurring"].clone(), off["recurring_frequency"].clone()),
        (200, json!(false), Value::Null)
    );
    let (status, headers, response) = call!(
        &app,
        patch(&manager.key, &uri_of(&open), json!({ "is_recurring": false, "recurring_frequency": "weekly" }))
    );
    assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), vec!["recurring_frequency"]);
    assert_eq!(status, 422);
    // Both at once turn it on.
    let (status, _, response) = call!(
        &app,
        patch(&manager.key, &uri_of(&open), json!({ "is_recurring": true, "recurring_frequency": "annually" }))
    );
    let on = json_of(&response);
    assert_eq!(
        (status, on["is_recurring"].clone(), on["recurring_frequency"].clone()),
        (200, json!(true), json!("annually"))
    );
    // Null clears the frequency and keeps the gift recurring.
    let (_, _, response) = call!(&app, patch(&manager.key, &uri_of(&open), json!({ "recurring_frequency": null })));
    let cleared = json_of(&response);
    assert_eq!((cleared["is_recurring"].clone(), cleared["recurring_frequency"].clone()), (json!(true), Value::Null));
}
on_both_backends!(donation_recurrence, recurrence_rules);

async fn receipts_are_marked(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);
    let donation = create!(&app, &manager.key, gift(&donor, "50.00"));
    let receipt = format!("{}/receipt", uri_of(&donation));

    // No body at all: now.
    let (status, _, body) = call!(&app, with_bearer(TestRequest::post().uri(&receipt), &manager.key));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let marked = json_of(&body);
    assert_eq!(marked["receipt_sent"], true);
    let first_date = marked["receipt_sent_date"].as_str().unwrap().to_owned();
    // Again without a time: unchanged, so a retry is harmless.
    let (_, _, body) = call!(&app, post(&manager.key, &receipt, json!({})));
    assert_eq!(json_of(&body)["receipt_sent_date"], first_date.as_str());
    // An explicit time replaces it.
    let (status, _, body) = call!(&app, post(&manager.key, &receipt, json!({ "sent_at": "2026-11-20T09:30:00Z" })));
    assert_eq!(status, 200);
    let at: chrono::DateTime<chrono::Utc> = json_of(&body)["receipt_sent_date"].as_str().unwrap().parse().unwrap();
    assert_eq!(at, "2026-11-20T09:30:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap());
    let (_, _, body) = call!(&app, get(&manager.key, &uri_of(&donation)));
    assert_eq!(json_of(&body)["receipt_sent"], true, "stored");

    let (status, headers, body) = call!(&app, post(&manager.key, &receipt, json!({ "sent_at": "last week" })));
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), vec!["sent_at"]);
    assert_eq!(status, 422);
    let (status, _, _) = call!(&app, post(&manager.key, &receipt, json!({ "sent": true })));
    assert_eq!(status, 400, "unknown member");

    // PATCH null unmarks it.
    let (status, _, body) = call!(&app, patch(&manager.key, &uri_of(&donation), json!({ "receipt_sent_date": null })));
    let unmarked = json_of(&body);
    assert_eq!(
        (status, unmarked["receipt_sent"].clone(), unmarked["receipt_sent_date"].clone()),
        (200, json!(false), Value::Null)
    );

    let (status, _, _) =
        call!(&app, post(&manager.key, &format!("{LIST}/{}/receipt", uuid::Uuid::now_v7()), json!({})));
    assert_eq!(status, 404);
}
on_both_backends!(donation_receipts, receipts_are_marked);

async fn pages_and_filters(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let ada = donor!(&app, &manager.key);
    let bo = donor!(&app, &manager.key);
    let wells = project!(&app, &manager.key);

    let mut made = Vec::new();
    for (donor, date, extra) in [
        (&ada, "2026-01-10", json!({})),
        (&ada, "2026-03-05", json!({ "currency": "EUR", "payment_method": "cash" })),
        (&bo, "2026-03-05", json!({ "project_id": wells, "is_recurring": true })),
        (&bo, "2025-12-31", json!({ "payment_method": "cash" })),
        (&ada, "2026-06-01", json!({ "project_id": wells })),
    ] {
        let mut body = gift(donor, "10.00");
        body["date"] = json!(date);
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        made.push(create!(&app, &manager.key, body)["id"].as_str().unwrap().to_owned());
    }
    // Newest gift date first; on one date, the most recently recorded first.
    let newest_first = vec![made[4].clone(), made[2].clone(), made[1].clone(), made[0].clone(), made[3].clone()];
    assert_eq!(stored!(&app, &manager.key), newest_first);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => format!("{LIST}?limit=2&cursor={c}"),
            None => format!("{LIST}?limit=2"),
        };
        let (status, _, body) = call!(&app, get(&manager.key, &uri));
        assert_eq!(status, 200);
        let page = json_of(&body);
        assert!(page["data"].as_array().unwrap().len() <= 2);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, newest_first, "pages cover every donation once, in order");

    let filtered = |query: &str| format!("{LIST}?{query}");
    let cases: Vec<(String, Vec<String>)> = vec![
        (filtered(&format!("donor_id={ada}")), vec![made[4].clone(), made[1].clone(), made[0].clone()]),
        (filtered(&format!("project_id={wells}")), vec![made[4].clone(), made[2].clone()]),
        (filtered("date_from=2026-01-01&date_to=2026-03-31"), vec![made[2].clone(), made[1].clone(), made[0].clone()]),
        (filtered("currency=eur"), vec![made[1].clone()]),
        (filtered("payment_method=cash"), vec![made[1].clone(), made[3].clone()]),
        (filtered("is_recurring=true"), vec![made[2].clone()]),
        (filtered(&format!("is_recurring=false&donor_id={bo}")), vec![made[3].clone()]),
    ];
    for (uri, expected) in cases {
        let (status, _, body) = call!(&app, get(&manager.key, &uri));
        assert_eq!(status, 200, "{uri}: {}", String::from_utf8_lossy(&body));
        assert_eq!(ids(&json_of(&body)), expected, "{uri}");
    }

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=nonsense", "cursor"),
        ("cursor=p.1.0190b0d0e0f0a0b0c0d0e0f0a0b0c0d0", "cursor"),
        ("donor_id=x", "donor_id"),
        ("date_from=2026-13-01", "date_from"),
        ("date_from=2026-02-01&date_to=2026-01-01", "date_to"),
        ("currency=XYZ", "currency"),
        ("payment_method=iou", "payment_method"),
        ("is_recurring=maybe", "is_recurring"),
    ] {
        let (status, headers, body) = call!(&app, get(&manager.key, &filtered(query)));
        assert_eq!(status, 422, "{query}");
        assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), vec![field.to_owned()], "{query}");
    }
}
on_both_backends!(donation_pages_and_filters, pages_and_filters);

async fn permissions(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);
    let donation = create!(&app, &manager.key, gift(&donor, "5.00"));
    let uri = uri_of(&donation);

    for req in [
        get(&viewer.key, LIST),
        get(&viewer.key, &uri),
        post(&viewer.key, LIST, gift(&donor, "5.00")),
        patch(&viewer.key, &uri, json!({ "notes": "x" })),
        delete(&viewer.key, &uri),
        post(&viewer.key, &format!("{uri}/receipt"), json!({})),
    ] {
        let (status, headers, body) = call!(&app, req);
        problem(403, &headers, &body, "forbidden");
        assert_eq!(status, 403);
    }
    let (status, _, _) = call!(&app, TestRequest::get().uri(LIST));
    assert_eq!(status, 401);
    assert_eq!(stored!(&app, &manager.key).len(), 1, "the refused create stored nothing");
}
on_both_backends!(donation_permissions, permissions);

async fn other_organizations_are_invisible(db: &TestDb) {
    let repos = repos(db);
    let alpha = member(&repos, &organization(&repos, "alpha").await, "ann", Role::Manager).await;
    let beta = member(&repos, &organization(&repos, "beta").await, "ben", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let alpha_donor = donor!(&app, &alpha.key);
    let beta_donor = donor!(&app, &beta.key);
    let beta_project = project!(&app, &beta.key);
    let theirs = create!(&app, &beta.key, gift(&beta_donor, "70.00"));
    let uri = uri_of(&theirs);

    for req in [
        get(&alpha.key, &uri),
        patch(&alpha.key, &uri, json!({ "notes": "mine now" })),
        delete(&alpha.key, &uri),
        post(&alpha.key, &format!("{uri}/receipt"), json!({})),
        get(&alpha.key, &format!("{LIST}/not-a-uuid")),
    ] {
        let (status, headers, body) = call!(&app, req);
        problem(404, &headers, &body, "not_found");
        assert_eq!(status, 404);
    }
    let (_, _, body) = call!(&app, get(&beta.key, &uri));
    assert_eq!(json_of(&body), theirs, "untouched");

    // Their donor, their project, or both, in our body: 422 naming each, nothing stored.
    let mut with_their_project = gift(&alpha_donor, "5.00");
    with_their_project["project_id"] = json!(beta_project);
    let mut both = gift(&beta_donor, "5.00");
    both["project_id"] = json!(beta_project);
    for (body, expected) in [
        (gift(&beta_donor, "5.00"), vec!["donor_id"]),
        (with_their_project, vec!["project_id"]),
        (both, vec!["donor_id", "project_id"]),
    ] {
        let (status, headers, response) = call!(&app, post(&alpha.key, LIST, body.clone()));
        assert_eq!(status, 422, "{body}");
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), expected, "{body}");
    }
    assert!(stored!(&app, &alpha.key).is_empty());
    // Moving our donation to their project is refused too.
    let ours = create!(&app, &alpha.key, gift(&alpha_donor, "5.00"));
    let (status, headers, body) = call!(&app, patch(&alpha.key, &uri_of(&ours), json!({ "project_id": beta_project })));
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), vec!["project_id"]);
    assert_eq!(status, 422);
    // Lists and filters never show the other organization's rows.
    assert_eq!(stored!(&app, &alpha.key), vec![ours["id"].as_str().unwrap().to_owned()]);
    let (_, _, body) = call!(&app, get(&alpha.key, &format!("{LIST}?donor_id={beta_donor}")));
    assert!(ids(&json_of(&body)).is_empty());
}
on_both_backends!(donation_isolation, other_organizations_are_invisible);

async fn a_deleted_donor_takes_no_new_gifts(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &manager.key);
    let earlier = create!(&app, &manager.key, gift(&donor, "5.00"));
    let scope = OrgScope::for_tests(hope.id);
    repos.donors.soft_delete(&scope, DonorId::from_uuid(donor.parse().unwrap())).await.unwrap();

    let (status, headers, body) = call!(&app, post(&manager.key, LIST, gift(&donor, "5.00")));
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), vec!["donor_id"]);
    assert_eq!(status, 422);
    assert_eq!(stored!(&app, &manager.key), vec![earlier["id"].as_str().unwrap().to_owned()], "history kept");
}
on_both_backends!(donation_deleted_donor, a_deleted_donor_takes_no_new_gifts);
