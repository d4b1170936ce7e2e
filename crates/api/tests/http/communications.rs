//! Communications over HTTP on both databases: log, read, list (filters, keyset pages), update,
//! delete; the value lists and limits (422 naming the field, nothing stored); the donor's
//! `last_contact_date` moving forward only; permissions; and isolation (another organization's
//! communication is a 404, its donor, thread or staff member in a body a 422).

use actix_web::test;
use givance_domain::staff::Role;
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, fields, problem, state};
use crate::tenants::{delete, get, json_of, member, organization, patch, post, repos};

const LIST: &str = "/api/v1/communications";

/// Logs a communication; returns its JSON.
macro_rules! create {
    ($app:expr, $token:expr, $body:expr) => {{
        let (status, _, body) = call!($app, post($token, LIST, $body));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)
    }};
}

/// Creates a donor over HTTP; returns its id.
macro_rules! donor {
    ($app:expr, $token:expr) => {{
        let (status, _, body) = call!($app, post($token, "/api/v1/donors", json!({ "first_name": "Ada" })));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)["id"].as_str().unwrap().to_owned()
    }};
}

/// The donor's `last_contact_date` as the API reads it.
macro_rules! last_contact {
    ($app:expr, $token:expr, $donor:expr) => {{
        let (status, _, body) = call!($app, get($token, &format!("/api/v1/donors/{}", $donor)));
        assert_eq!(status, 200);
        json_of(&body)["last_contact_date"].clone()
    }};
}

/// The ids of the whole list at `uri`.
macro_rules! listed {
    ($app:expr, $token:expr, $uri:expr) => {{
        let (status, _, body) = call!($app, get($token, $uri));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        ids(&json_of(&body))
    }};
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

fn uri_of(communication: &Value) -> String {
    format!("{LIST}/{}", communication["id"].as_str().unwrap())
}

/// `body` with the members of `changes` set (a null included).
fn set(mut body: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn call_note(donor: &str) -> Value {
    json!({ "donor_id": donor, "channel": "phone", "direction": "outbound", "content": "Left a message" })
}

async fn log_read_list_update_delete(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let mae = member(&repos, &hope, "mae", Role::Fundraiser).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let ada = donor!(&app, &mae.key);
    let bob = donor!(&app, &mae.key);

    let email = create!(
        &app,
        &mae.key,
        json!({
            "donor_id": ada,
            "channel": "email",
            "direction": "outbound",
            "subject": " Thank you ",
            "content": "Dear Ada, thank you for your gift.",
            "from_address": "mae@example.org",
            "to_address": "ada@example.org",
            "sent_at": "2026-03-01T10:00:00Z",
            "metadata": { "message_id": "<1@example.org>" },
            "attachments": [{ "name": "receipt.pdf", "content_type": "application/pdf", "size": 1234 }]
        })
    );
    assert_eq!(email["subject"], "Thank you");
    assert_eq!(email["status"], "sent", "the default status");
    assert_eq!(email["staff_id"], json!(mae.staff.id), "the caller handled it by default");
    assert_eq!(email["sent_at"], "2026-03-01T10:00:00Z");
    assert_eq!(email["attachments"][0]["name"], "receipt.pdf");
    assert!(email["thread_id"].is_null() && email["scheduled_for"].is_null());

    let (status, _, body) = call!(&app, get(&mae.key, &uri_of(&email)));
    assert_eq!(status, 200);
    assert_eq!(json_of(&body), email, "what was returned was stored");

    let nobody = create!(&app, &mae.key, set(call_note(&bob), json!({ "staff_id": null })));
    assert!(nobody["staff_id"].is_null(), "null: no staff member");
    let scheduled = create!(
        &app,
        &mae.key,
        json!({ "donor_id": bob, "channel": "text", "direction": "outbound", "content": "See you Friday",
                "status": "scheduled", "scheduled_for": "2030-01-01T09:00:00+01:00" })
    );
    assert_eq!(scheduled["scheduled_for"], "2030-01-01T08:00:00Z", "stored in UTC");
    let inbound = create!(
        &app,
        &mae.key,
        json!({ "donor_id": ada, "channel": "whatsapp", "direction": "inbound", "content": "Thanks!" })
    );

    // Filters and pages, newest first.
    let all = [&inbound, &scheduled, &nobody, &email].map(|c| c["id"].as_str().unwrap().to_owned());
    assert_eq!(listed!(&app, &mae.key, LIST), all);
    assert_eq!(listed!(&app, &mae.key, &format!("{LIST}?donor_id={ada}")), [all[0].clone(), all[3].clone()]);
    assert_eq!(listed!(&app, &mae.key, &format!("{LIST}?channel=text")), [all[1].clone()]);
    assert_eq!(listed!(&app, &mae.key, &format!("{LIST}?direction=inbound")), [all[0].clone()]);
    assert_eq!(listed!(&app, &mae.key, &format!("{LIST}?status=scheduled")), [all[1].clone()]);
    assert_eq!(listed!(&app, &mae.key, &format!("{LIST}?donor_id={bob}&status=sent")), [all[2].clone()]);
    let mut paged = Vec::new();
    let mut uri = format!("{LIST}?limit=3");
    loop {
        let (_, _, body) = call!(&app, get(&mae.key, &uri));
        let page = json_of(&body);
        paged.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("{LIST}?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(paged, all);

    // PATCH: set, clear with null, leave the rest.
    let (status, _, body) = call!(
        &app,
        patch(
            &mae.key,
            &uri_of(&email),
            json!({ "subject": null, "status": "delivered", "attachments": null, "channel": "mail" })
        )
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let changed = json_of(&body);
    assert!(changed["subject"].is_null() && changed["attachments"].is_null());
    assert_eq!((changed["status"].as_str(), changed["channel"].as_str()), (Some("delivered"), Some("mail")));
    assert_eq!(changed["content"], email["content"]);
    let (_, _, body) = call!(&app, get(&mae.key, &uri_of(&email)));
    assert_eq!(json_of(&body), changed);

    // Delete: 204, then gone.
    let (status, _, body) = call!(&app, delete(&mae.key, &uri_of(&email)));
    assert_eq!((status, body.len()), (204, 0));
    for req in
        [get(&mae.key, &uri_of(&email)), delete(&mae.key, &uri_of(&email)), patch(&mae.key, &uri_of(&email), json!({}))]
    {
        let (status, headers, body) = call!(&app, req);
        problem(404, &headers, &body, "not_found");
        assert_eq!(status, 404);
    }
    assert_eq!(listed!(&app, &mae.key, LIST).len(), 3);
}
on_both_backends!(communication_lifecycle, log_read_list_update_delete);

async fn contacts_move_last_contact_date_forward_only(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let mae = member(&repos, &hope, "mae", Role::Fundraiser).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let ada = donor!(&app, &mae.key);
    assert!(last_contact!(&app, &mae.key, ada).is_null());

    let at = |sent_at: &str, status: &str, direction: &str| {
        json!({ "donor_id": ada, "channel": "email", "direction": direction, "content": "Hello",
                "status": status, "sent_at": sent_at, "scheduled_for": "2026-01-01T00:00:00Z" })
    };
    // Not contacts: a draft, a scheduled or a failed outbound message.
    for status in ["draft", "scheduled", "failed"] {
        create!(&app, &mae.key, at("2026-05-01T00:00:00Z", status, "outbound"));
    }
    assert!(last_contact!(&app, &mae.key, ada).is_null(), "nothing was sent or received");

    create!(&app, &mae.key, at("2026-03-01T10:00:00Z", "sent", "outbound"));
    assert_eq!(last_contact!(&app, &mae.key, ada), "2026-03-01T10:00:00Z");
    create!(&app, &mae.key, at("2026-02-01T10:00:00Z", "delivered", "outbound"));
    assert_eq!(last_contact!(&app, &mae.key, ada), "2026-03-01T10:00:00Z", "an older contact does not move it back");
    let reply = create!(&app, &mae.key, at("2026-03-02T08:30:00.5Z", "draft", "inbound"));
    assert_eq!(last_contact!(&app, &mae.key, ada), "2026-03-02T08:30:00.500Z", "a received message is a contact");

    // A scheduled message later marked sent is a contact from then.
    let scheduled = create!(&app, &mae.key, at("2026-04-01T00:00:00Z", "scheduled", "outbound"));
    assert_eq!(last_contact!(&app, &mae.key, ada), "2026-03-02T08:30:00.500Z");
    let (status, _, body) = call!(
        &app,
        patch(&mae.key, &uri_of(&scheduled), json!({ "status": "sent", "sent_at": "2026-04-03T12:00:00Z" }))
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(last_contact!(&app, &mae.key, ada), "2026-04-03T12:00:00Z");

    // Without sent_at a contact happened when it was logged: now, later than all of the above.
    let before = chrono::Utc::now();
    create!(&app, &mae.key, call_note(&ada));
    let now: chrono::DateTime<chrono::Utc> = last_contact!(&app, &mae.key, ada).as_str().unwrap().parse().unwrap();
    assert!(now >= before - chrono::Duration::seconds(1), "{now} vs {before}");

    // Deleting a communication or changing it to an older time never moves it back.
    call!(&app, patch(&mae.key, &uri_of(&reply), json!({ "sent_at": "2020-01-01T00:00:00Z" })));
    call!(&app, delete(&mae.key, &uri_of(&scheduled)));
    let after: chrono::DateTime<chrono::Utc> = last_contact!(&app, &mae.key, ada).as_str().unwrap().parse().unwrap();
    assert_eq!(after, now);
}
on_both_backends!(communication_last_contact, contacts_move_last_contact_date_forward_only);

async fn bad_input_is_refused_naming_the_field(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let mae = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let ada = donor!(&app, &mae.key);
    let with = |changes: Value| {
        let mut body = call_note(&ada);
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (with(json!({ "donor_id": null })), vec!["donor_id"]),
        (with(json!({ "donor_id": "nope" })), vec!["donor_id"]),
        (with(json!({ "donor_id": uuid::Uuid::now_v7() })), vec!["donor_id"]),
        (with(json!({ "channel": null })), vec!["channel"]),
        (with(json!({ "channel": "fax" })), vec!["channel"]),
        (with(json!({ "channel": "other" })), vec!["channel"]),
        (with(json!({ "direction": "sideways" })), vec!["direction"]),
        (with(json!({ "status": "read" })), vec!["status"]),
        (with(json!({ "status": "scheduled" })), vec!["scheduled_for"]),
        (with(json!({ "content": "   " })), vec!["content"]),
        (with(json!({ "content": null })), vec!["content"]),
        (with(json!({ "subject": "s".repeat(999) })), vec!["subject"]),
        (with(json!({ "to_address": "a".repeat(501) })), vec!["to_address"]),
        (with(json!({ "sent_at": "yesterday" })), vec!["sent_at"]),
        (with(json!({ "scheduled_for": "2026-13-01T00:00:00Z" })), vec!["scheduled_for"]),
        (with(json!({ "thread_id": "x" })), vec!["thread_id"]),
        (with(json!({ "thread_id": uuid::Uuid::now_v7() })), vec!["thread_id"]),
        (with(json!({ "staff_id": uuid::Uuid::now_v7() })), vec!["staff_id"]),
        (with(json!({ "metadata": [1] })), vec!["metadata"]),
        (with(json!({ "attachments": { "name": "a" } })), vec!["attachments"]),
        (with(json!({ "attachments": ["a.pdf"] })), vec!["attachments"]),
        (with(json!({ "attachments": vec![json!({}); 51] })), vec!["attachments"]),
        (with(json!({ "channel": "fax", "direction": "up", "content": "" })), vec!["channel", "direction", "content"]),
    ];
    for (body, expected) in cases {
        let (status, headers, response) = call!(&app, post(&mae.key, LIST, body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), expected, "{body}");
    }
    // Not JSON for this endpoint: 400.
    let (status, headers, body) = call!(&app, post(&mae.key, LIST, json!({ "colour": "red" })));
    problem(400, &headers, &body, "invalid_json");
    assert_eq!(status, 400);
    assert!(listed!(&app, &mae.key, LIST).is_empty(), "nothing was stored");
    assert!(last_contact!(&app, &mae.key, ada).is_null());

    let one = create!(&app, &mae.key, call_note(&ada));
    for (body, field) in [
        (json!({ "content": null }), "content"),
        (json!({ "status": null }), "status"),
        (json!({ "status": "scheduled" }), "scheduled_for"),
        (json!({ "channel": "pigeon" }), "channel"),
        (json!({ "thread_id": uuid::Uuid::now_v7() }), "thread_id"),
        (json!({ "staff_id": "x" }), "staff_id"),
        (json!({ "metadata": "x" }), "metadata"),
    ] {
        let (status, headers, response) = call!(&app, patch(&mae.key, &uri_of(&one), body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), [field], "{body}");
    }
    let (_, _, body) = call!(&app, get(&mae.key, &uri_of(&one)));
    assert_eq!(json_of(&body), one, "refused changes changed nothing");
    for bad in ["limit=0", "cursor=x.1", "donor_id=x", "channel=fax", "direction=x", "status=read", "thread_id=1"] {
        let (status, headers, body) = call!(&app, get(&mae.key, &format!("{LIST}?{bad}")));
        assert_eq!(status, 422, "{bad}");
        assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), [bad.split('=').next().unwrap()]);
    }
}
on_both_backends!(communication_bad_input, bad_input_is_refused_naming_the_field);

async fn permissions(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let mae = member(&repos, &hope, "mae", Role::Fundraiser).await;
    let vic = member(&repos, &hope, "vic", Role::Viewer).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let ada = donor!(&app, &mae.key);
    let one = create!(&app, &mae.key, call_note(&ada));

    // A viewer reads but does not write.
    assert_eq!(listed!(&app, &vic.key, LIST).len(), 1);
    assert_eq!(call!(&app, get(&vic.key, &uri_of(&one))).0, 200);
    for req in [
        post(&vic.key, LIST, call_note(&ada)),
        patch(&vic.key, &uri_of(&one), json!({ "content": "x" })),
        delete(&vic.key, &uri_of(&one)),
    ] {
        let (status, headers, body) = call!(&app, req);
        problem(403, &headers, &body, "forbidden");
        assert_eq!(status, 403);
    }
    let (status, _, _) = call!(&app, test::TestRequest::get().uri(LIST));
    assert_eq!(status, 401);
    assert_eq!(listed!(&app, &mae.key, LIST).len(), 1, "the refused create stored nothing");
}
on_both_backends!(communication_permissions, permissions);

async fn other_organizations_are_invisible(db: &TestDb) {
    let repos = repos(db);
    let alpha = member(&repos, &organization(&repos, "alpha").await, "ann", Role::Manager).await;
    let beta = member(&repos, &organization(&repos, "beta").await, "ben", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let ours = donor!(&app, &alpha.key);
    let theirs = donor!(&app, &beta.key);
    let (status, _, body) = call!(&app, post(&beta.key, "/api/v1/threads", json!({ "subject": "Theirs" })));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let their_thread = json_of(&body)["id"].as_str().unwrap().to_owned();
    let their_note = create!(&app, &beta.key, call_note(&theirs));
    let uri = uri_of(&their_note);

    for req in [
        get(&alpha.key, &uri),
        patch(&alpha.key, &uri, json!({ "content": "mine now" })),
        delete(&alpha.key, &uri),
        get(&alpha.key, &format!("{LIST}/not-a-uuid")),
    ] {
        let (status, headers, body) = call!(&app, req);
        problem(404, &headers, &body, "not_found");
        assert_eq!(status, 404);
    }
    let (_, _, body) = call!(&app, get(&beta.key, &uri));
    assert_eq!(json_of(&body), their_note, "untouched");

    // Their donor, thread or staff member in our body: 422 naming it, nothing stored.
    for (body, field) in [
        (call_note(&theirs), "donor_id"),
        (set(call_note(&ours), json!({ "thread_id": their_thread })), "thread_id"),
        (set(call_note(&ours), json!({ "staff_id": beta.staff.id })), "staff_id"),
    ] {
        let (status, headers, response) = call!(&app, post(&alpha.key, LIST, body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), [field], "{body}");
    }
    assert!(listed!(&app, &alpha.key, LIST).is_empty());
    assert!(last_contact!(&app, &beta.key, theirs).is_string(), "only their own note touched their donor");
    let mine = create!(&app, &alpha.key, call_note(&ours));
    for (body, field) in
        [(json!({ "thread_id": their_thread }), "thread_id"), (json!({ "staff_id": beta.staff.id }), "staff_id")]
    {
        let (status, headers, response) = call!(&app, patch(&alpha.key, &uri_of(&mine), body.clone()));
        assert_eq!(status, 422, "{body}");
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), [field]);
    }
    // Lists and filters never show the other organization's rows.
    assert_eq!(listed!(&app, &alpha.key, LIST), [mine["id"].as_str().unwrap().to_owned()]);
    assert!(listed!(&app, &alpha.key, &format!("{LIST}?donor_id={theirs}")).is_empty());
    assert!(listed!(&app, &alpha.key, &format!("{LIST}?thread_id={their_thread}")).is_empty());
}
on_both_backends!(communication_isolation, other_organizations_are_invisible);
