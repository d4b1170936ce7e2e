//! Threads over HTTP on both databases: open (the caller owns it), read with participants, add
//! and remove staff and donors, status moves, tags and notes, communications filed under a thread
//! and kept when it is deleted, lists by participant and status, bad input (422 naming the
//! field), permissions, and isolation (another organization's thread is a 404, its staff or
//! donors a 422).

use actix_web::test;
use givance_domain::staff::Role;
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, fields, problem, state};
use crate::tenants::{delete, get, json_of, member, organization, patch, post, repos};

const LIST: &str = "/api/v1/threads";

/// Sends `$req`, asserts `$status`, returns the JSON body (null when empty).
macro_rules! ok {
    ($app:expr, $status:expr, $req:expr) => {{
        let (status, _, body) = call!($app, $req);
        assert_eq!(status, $status, "{}", String::from_utf8_lossy(&body));
        if body.is_empty() { Value::Null } else { json_of(&body) }
    }};
}

/// Asserts a 422 naming exactly `$fields`.
macro_rules! refused {
    ($app:expr, $req:expr, $fields:expr) => {{
        let (status, headers, body) = call!($app, $req);
        assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
        assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), $fields);
    }};
}

macro_rules! not_found {
    ($app:expr, $req:expr) => {{
        let (status, headers, body) = call!($app, $req);
        problem(404, &headers, &body, "not_found");
        assert_eq!(status, 404);
    }};
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

fn donor_body() -> Value {
    json!({ "first_name": "Ada" })
}

async fn threads_and_their_participants(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let mae = member(&repos, &hope, "mae", Role::Fundraiser).await;
    let sam = member(&repos, &hope, "sam", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let ada = id(&ok!(&app, 201, post(&mae.key, "/api/v1/donors", donor_body())));
    let bob = id(&ok!(&app, 201, post(&mae.key, "/api/v1/donors", donor_body())));

    let gala = ok!(
        &app,
        201,
        post(
            &mae.key,
            LIST,
            json!({ "subject": " Gala follow-up ", "tags": [" gala ", "2026", "gala"], "internal_notes": "VIP" })
        )
    );
    assert_eq!(gala["subject"], "Gala follow-up");
    assert_eq!((gala["channel"].as_str(), gala["status"].as_str()), (Some("email"), Some("active")), "defaults");
    assert_eq!(gala["tags"], json!(["gala", "2026"]), "trimmed, without duplicates");
    assert_eq!(gala["staff"].as_array().unwrap().len(), 1);
    assert_eq!(gala["staff"][0]["staff_id"], json!(mae.staff.id));
    assert_eq!(gala["staff"][0]["role"], "owner", "the caller owns the thread");
    assert_eq!(gala["donors"], json!([]));
    let one = format!("{LIST}/{}", id(&gala));
    let call_thread = ok!(&app, 201, post(&sam.key, LIST, json!({ "channel": "phone", "status": "archived" })));
    assert!(call_thread["subject"].is_null());

    // Participants: add, re-add (idempotent for donors, a role change for staff), list, remove.
    let added = ok!(&app, 200, post(&mae.key, &format!("{one}/staff"), json!({ "staff_id": sam.staff.id })));
    assert_eq!((added["staff_id"].clone(), added["role"].as_str()), (json!(sam.staff.id), Some("participant")));
    let promoted =
        ok!(&app, 200, post(&mae.key, &format!("{one}/staff"), json!({ "staff_id": sam.staff.id, "role": "owner" })));
    assert_eq!(promoted["role"], "owner");
    assert_eq!(promoted["joined_at"], added["joined_at"], "still the first joining");
    let joined = ok!(&app, 200, post(&mae.key, &format!("{one}/donors"), json!({ "donor_id": ada })));
    let again = ok!(&app, 200, post(&mae.key, &format!("{one}/donors"), json!({ "donor_id": ada })));
    assert_eq!(joined, again);
    ok!(&app, 200, post(&mae.key, &format!("{one}/donors"), json!({ "donor_id": bob })));
    let read = ok!(&app, 200, get(&mae.key, &one));
    let staff: Vec<&Value> = read["staff"].as_array().unwrap().iter().map(|s| &s["staff_id"]).collect();
    assert_eq!(staff, [&json!(mae.staff.id), &json!(sam.staff.id)]);
    let donors: Vec<&str> =
        read["donors"].as_array().unwrap().iter().map(|d| d["donor_id"].as_str().unwrap()).collect();
    assert_eq!(donors.len(), 2);
    assert!(donors.contains(&ada.as_str()) && donors.contains(&bob.as_str()));

    // Lists by participant and by status.
    let listed = |query: &str| format!("{LIST}?{query}");
    assert_eq!(ids(&ok!(&app, 200, get(&mae.key, LIST))), [id(&call_thread), id(&gala)], "newest first");
    assert_eq!(ids(&ok!(&app, 200, get(&mae.key, &listed(&format!("donor_id={ada}"))))), [id(&gala)]);
    assert_eq!(
        ids(&ok!(&app, 200, get(&mae.key, &listed(&format!("staff_id={}", sam.staff.id))))),
        [id(&call_thread), id(&gala)]
    );
    assert_eq!(ids(&ok!(&app, 200, get(&mae.key, &listed(&format!("staff_id={}", mae.staff.id))))), [id(&gala)]);
    assert_eq!(ids(&ok!(&app, 200, get(&mae.key, &listed("status=archived")))), [id(&call_thread)]);
    assert_eq!(ids(&ok!(&app, 200, get(&mae.key, &listed(&format!("status=active&donor_id={bob}"))))), [id(&gala)]);
    let first = ok!(&app, 200, get(&mae.key, &listed("limit=1")));
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = ok!(&app, 200, get(&mae.key, &listed(&format!("limit=1&cursor={cursor}"))));
    assert_eq!([ids(&first), ids(&second)].concat(), [id(&call_thread), id(&gala)]);
    assert!(second["next_cursor"].is_null());

    ok!(&app, 204, delete(&mae.key, &format!("{one}/donors/{bob}")));
    not_found!(&app, delete(&mae.key, &format!("{one}/donors/{bob}")));
    ok!(&app, 204, delete(&mae.key, &format!("{one}/staff/{}", sam.staff.id)));
    not_found!(&app, delete(&mae.key, &format!("{one}/staff/{}", sam.staff.id)));
    assert!(ids(&ok!(&app, 200, get(&mae.key, &listed(&format!("donor_id={bob}"))))).is_empty());

    // Status moves freely; tags and notes change and clear.
    for status in ["resolved", "archived", "active", "archived"] {
        let moved = ok!(&app, 200, patch(&mae.key, &one, json!({ "status": status })));
        assert_eq!(moved["status"], status);
    }
    let changed =
        ok!(&app, 200, patch(&mae.key, &one, json!({ "tags": ["major"], "internal_notes": null, "subject": null })));
    assert_eq!(changed["tags"], json!(["major"]));
    assert!(changed["internal_notes"].is_null() && changed["subject"].is_null());
    assert_eq!(changed["channel"], "email", "left alone");
    let cleared = ok!(&app, 200, patch(&mae.key, &one, json!({ "tags": null })));
    assert_eq!(cleared["tags"], json!([]));

    // Communications filed under the thread; deleting the thread keeps them, unfiled.
    let note = json!({ "donor_id": ada, "channel": "email", "direction": "outbound", "content": "Hi", "thread_id": id(&gala) });
    let filed = ok!(&app, 201, post(&mae.key, "/api/v1/communications", note));
    assert_eq!(filed["thread_id"], gala["id"]);
    let loose = json!({ "donor_id": ada, "channel": "phone", "direction": "inbound", "content": "Call back" });
    let loose = ok!(&app, 201, post(&mae.key, "/api/v1/communications", loose));
    let attached = ok!(
        &app,
        200,
        patch(&mae.key, &format!("/api/v1/communications/{}", id(&loose)), json!({ "thread_id": id(&gala) }))
    );
    assert_eq!(attached["thread_id"], gala["id"]);
    let in_thread = ok!(&app, 200, get(&mae.key, &format!("/api/v1/communications?thread_id={}", id(&gala))));
    assert_eq!(ids(&in_thread), [id(&loose), id(&filed)]);

    ok!(&app, 204, delete(&mae.key, &one));
    not_found!(&app, get(&mae.key, &one));
    not_found!(&app, delete(&mae.key, &one));
    let kept = ok!(&app, 200, get(&mae.key, &format!("/api/v1/communications/{}", id(&filed))));
    assert!(kept["thread_id"].is_null(), "kept, out of the deleted thread");
    assert_eq!(ids(&ok!(&app, 200, get(&mae.key, LIST))), [id(&call_thread)]);
}
on_both_backends!(thread_lifecycle, threads_and_their_participants);

async fn bad_input_is_refused_naming_the_field(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let mae = member(&repos, &hope, "mae", Role::Manager).await;
    let vic = member(&repos, &hope, "vic", Role::Viewer).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    for (body, field) in [
        (json!({ "channel": "text" }), "channel"),
        (json!({ "status": "closed" }), "status"),
        (json!({ "subject": "s".repeat(999) }), "subject"),
        (json!({ "internal_notes": "n".repeat(10_001) }), "internal_notes"),
        (json!({ "tags": ["ok", " "] }), "tags"),
        (json!({ "tags": vec!["t"; 101] }), "tags"),
        (json!({ "tags": ["x".repeat(101)] }), "tags"),
    ] {
        refused!(&app, post(&mae.key, LIST, body), [field]);
    }
    assert!(ids(&ok!(&app, 200, get(&mae.key, LIST))).is_empty(), "nothing was stored");

    let thread = ok!(&app, 201, post(&mae.key, LIST, json!({})));
    let one = format!("{LIST}/{}", id(&thread));
    for (body, field) in [
        (json!({ "status": null }), "status"),
        (json!({ "status": "open" }), "status"),
        (json!({ "channel": null }), "channel"),
        (json!({ "tags": [""] }), "tags"),
    ] {
        refused!(&app, patch(&mae.key, &one, body), [field]);
    }
    let staff = format!("{one}/staff");
    refused!(&app, post(&mae.key, &staff, json!({})), ["staff_id"]);
    refused!(&app, post(&mae.key, &staff, json!({ "staff_id": "x" })), ["staff_id"]);
    refused!(&app, post(&mae.key, &staff, json!({ "staff_id": uuid::Uuid::now_v7() })), ["staff_id"]);
    refused!(&app, post(&mae.key, &staff, json!({ "staff_id": vic.staff.id, "role": "admin" })), ["role"]);
    let donors = format!("{one}/donors");
    refused!(&app, post(&mae.key, &donors, json!({})), ["donor_id"]);
    refused!(&app, post(&mae.key, &donors, json!({ "donor_id": uuid::Uuid::now_v7() })), ["donor_id"]);
    let deleted = id(&ok!(&app, 201, post(&mae.key, "/api/v1/donors", donor_body())));
    ok!(&app, 204, delete(&mae.key, &format!("/api/v1/donors/{deleted}")));
    refused!(&app, post(&mae.key, &donors, json!({ "donor_id": deleted })), ["donor_id"]);
    let read = ok!(&app, 200, get(&mae.key, &one));
    assert_eq!(read["staff"].as_array().unwrap().len(), 1);
    assert_eq!(read["donors"], json!([]));
    not_found!(&app, delete(&mae.key, &format!("{staff}/not-a-uuid")));
    for bad in ["status=open", "staff_id=x", "donor_id=1", "limit=500", "cursor=c.1"] {
        refused!(&app, get(&mae.key, &format!("{LIST}?{bad}")), [bad.split('=').next().unwrap()]);
    }

    // A viewer reads but does not write.
    ok!(&app, 200, get(&vic.key, &one));
    for req in [
        post(&vic.key, LIST, json!({})),
        patch(&vic.key, &one, json!({ "status": "resolved" })),
        delete(&vic.key, &one),
        post(&vic.key, &staff, json!({ "staff_id": vic.staff.id })),
        delete(&vic.key, &format!("{staff}/{}", mae.staff.id)),
    ] {
        let (status, headers, body) = call!(&app, req);
        problem(403, &headers, &body, "forbidden");
        assert_eq!(status, 403);
    }
}
on_both_backends!(thread_bad_input, bad_input_is_refused_naming_the_field);

async fn other_organizations_are_invisible(db: &TestDb) {
    let repos = repos(db);
    let alpha = member(&repos, &organization(&repos, "alpha").await, "ann", Role::Manager).await;
    let beta = member(&repos, &organization(&repos, "beta").await, "ben", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let their_donor = id(&ok!(&app, 201, post(&beta.key, "/api/v1/donors", donor_body())));
    let theirs = ok!(&app, 201, post(&beta.key, LIST, json!({ "subject": "Theirs" })));
    let uri = format!("{LIST}/{}", id(&theirs));
    ok!(&app, 200, post(&beta.key, &format!("{uri}/donors"), json!({ "donor_id": their_donor })));
    let ours = ok!(&app, 201, post(&alpha.key, LIST, json!({ "subject": "Ours" })));
    let our_uri = format!("{LIST}/{}", id(&ours));

    for req in [
        get(&alpha.key, &uri),
        patch(&alpha.key, &uri, json!({ "status": "resolved" })),
        delete(&alpha.key, &uri),
        post(&alpha.key, &format!("{uri}/staff"), json!({ "staff_id": alpha.staff.id })),
        delete(&alpha.key, &format!("{uri}/staff/{}", beta.staff.id)),
        post(&alpha.key, &format!("{uri}/donors"), json!({ "donor_id": their_donor })),
        delete(&alpha.key, &format!("{uri}/donors/{their_donor}")),
        get(&alpha.key, &format!("{LIST}/not-a-uuid")),
    ] {
        not_found!(&app, req);
    }
    let untouched = ok!(&app, 200, get(&beta.key, &uri));
    assert_eq!(untouched["status"], "active");
    assert_eq!(untouched["staff"].as_array().unwrap().len(), 1);
    assert_eq!(untouched["donors"].as_array().unwrap().len(), 1);

    // Their staff member or donor in our thread: 422, nothing stored.
    refused!(&app, post(&alpha.key, &format!("{our_uri}/staff"), json!({ "staff_id": beta.staff.id })), ["staff_id"]);
    refused!(&app, post(&alpha.key, &format!("{our_uri}/donors"), json!({ "donor_id": their_donor })), ["donor_id"]);
    not_found!(&app, delete(&alpha.key, &format!("{our_uri}/staff/{}", beta.staff.id)));
    let read = ok!(&app, 200, get(&alpha.key, &our_uri));
    assert_eq!((read["staff"].as_array().unwrap().len(), read["donors"].as_array().unwrap().len()), (1, 0));

    // Lists never show their threads, whatever the filter.
    assert_eq!(ids(&ok!(&app, 200, get(&alpha.key, LIST))), [id(&ours)]);
    assert!(ids(&ok!(&app, 200, get(&alpha.key, &format!("{LIST}?donor_id={their_donor}")))).is_empty());
    assert!(ids(&ok!(&app, 200, get(&alpha.key, &format!("{LIST}?staff_id={}", beta.staff.id)))).is_empty());
}
on_both_backends!(thread_isolation, other_organizations_are_invisible);
