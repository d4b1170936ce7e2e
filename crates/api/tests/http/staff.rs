//! Staff over HTTP on both databases: the directory (list with filters and keyset pages, read),
//! invitations, role and permission changes, deactivation and reactivation with their guard rails
//! (no self-demotion or self-deactivation, an active admin always remains), email signatures,
//! `/me`, permissions (403), validation (422 naming the field, nothing stored) and isolation
//! between organizations (404 on every endpoint, nothing changed).

use actix_web::test::{self, TestRequest};
use givance_domain::staff::{Role, StaffPatch};
use givance_domain::{EmailAddress, OrgScope, Secret};
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, fields, problem, state};
use crate::tenants::{get, json_of, key_for, member, member_with, organization, patch, post, repos, with_bearer};

const LIST: &str = "/api/v1/staff";
const ME: &str = "/api/v1/me";

fn put(token: &str, uri: &str, body: Value) -> TestRequest {
    with_bearer(TestRequest::put().uri(uri), token).set_json(body)
}

fn uri(id: impl std::fmt::Display) -> String {
    format!("{LIST}/{id}")
}

fn emails(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|d| d["user"]["email"].as_str().unwrap().to_owned()).collect()
}

/// GETs `uri` and expects a 200; returns its JSON.
macro_rules! read {
    ($app:expr, $token:expr, $uri:expr) => {{
        let (status, _, body) = call!($app, get($token, $uri));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        json_of(&body)
    }};
}

/// Sends `$req` and expects a problem with `$status` and `$code`; returns it.
macro_rules! refused {
    ($app:expr, $req:expr, $status:expr, $code:expr) => {{
        let (status, headers, body) = call!($app, $req);
        assert_eq!(status, $status, "{}", String::from_utf8_lossy(&body));
        problem($status, &headers, &body, $code)
    }};
}

async fn the_directory_lists_and_reads_members(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let ada = member(&repos, &hope, "ada", Role::Admin).await;
    let mae = member(&repos, &hope, "mae", Role::Manager).await;
    let vic = member(&repos, &hope, "vic", Role::Viewer).await;
    let scope = OrgScope::for_tests(hope.id);
    let mailbox = StaffPatch {
        gmail_refresh_token: Some(Some(Secret::new("very-secret-refresh-token"))),
        gmail_email: Some(Some(EmailAddress::parse("mae@gmail.com").unwrap())),
        ..StaffPatch::default()
    };
    repos.staff.update(&scope, mae.staff.id, mailbox).await.unwrap();
    repos.staff.deactivate(&scope, vic.staff.id).await.unwrap();
    let app = test::init_service(givance_api::app(state(db))).await;

    // Deactivated members are listed too.
    let list = read!(&app, &ada.key, LIST);
    assert_eq!(emails(&list), ["vic@example.org", "mae@example.org", "ada@example.org"]);
    let entry = &list["data"][1];
    assert_eq!(entry["id"], mae.staff.id.to_string());
    assert_eq!(entry["role"], "manager");
    assert_eq!(entry["permissions"], json!([]));
    assert_eq!(entry["is_active"], true);
    assert_eq!(entry["gmail_email"], "mae@gmail.com");
    assert!(entry["microsoft_email"].is_null());
    assert_eq!(entry["user"]["id"], mae.user.id.to_string());
    assert!(entry["user"].get("email_signature").is_none(), "lists leave the signature out");
    assert!(entry["created_at"].is_string() && entry["updated_at"].is_string());
    let text = list.to_string();
    assert!(!text.contains("very-secret-refresh-token") && !text.contains("refresh_token"), "{text}");

    // Filters.
    assert_eq!(emails(&read!(&app, &mae.key, &format!("{LIST}?role=viewer"))), ["vic@example.org"]);
    assert_eq!(emails(&read!(&app, &mae.key, &format!("{LIST}?is_active=false"))), ["vic@example.org"]);
    assert_eq!(emails(&read!(&app, &mae.key, &format!("{LIST}?is_active=true&role=admin"))), ["ada@example.org"]);

    // Keyset pages.
    let first = read!(&app, &mae.key, &format!("{LIST}?limit=2"));
    assert_eq!(emails(&first), ["vic@example.org", "mae@example.org"]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = read!(&app, &mae.key, &format!("{LIST}?limit=2&cursor={cursor}"));
    assert_eq!(emails(&second), ["ada@example.org"]);
    assert!(second["next_cursor"].is_null());

    // Bad parameters: a 422 naming each.
    let bad = refused!(
        &app,
        get(&mae.key, &format!("{LIST}?limit=0&role=boss&is_active=maybe&cursor=p.{}", &cursor[2..])),
        422,
        "validation_failed"
    );
    assert_eq!(fields(&bad), ["limit", "cursor", "role", "is_active"]);
    assert!(bad["errors"][2]["message"].as_str().unwrap().contains("admin, manager, fundraiser, viewer"), "{bad}");
    refused!(&app, get(&mae.key, &format!("{LIST}?limit=201")), 422, "validation_failed");
    refused!(&app, get(&mae.key, &format!("{LIST}?sort=name")), 400, "invalid_query");

    // One member, with the signature; a malformed or unknown id is a 404.
    let one = read!(&app, &mae.key, &uri(mae.staff.id));
    assert_eq!(one["user"]["email"], "mae@example.org");
    assert!(one["user"]["email_signature"].is_null() && one["user"].get("email_signature").is_some());
    refused!(&app, get(&mae.key, &uri("not-a-uuid")), 404, "not_found");
    refused!(&app, get(&mae.key, &uri(uuid::Uuid::new_v4())), 404, "not_found");

    // The deactivated viewer's key no longer works.
    refused!(&app, get(&vic.key, LIST), 401, "invalid_credential");
}
on_both_backends!(staff_directory, the_directory_lists_and_reads_members);

async fn invitations_create_or_reuse_users(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let ada = member(&repos, &hope, "ada", Role::Admin).await;
    let fay = member(&repos, &hope, "fay", Role::Fundraiser).await;
    let vic = member(&repos, &hope, "vic", Role::Viewer).await;
    let oz = member(&repos, &other, "oz", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let count = |list: &Value| list["data"].as_array().unwrap().len();

    // A new address: a new user, staff with the role and permissions asked for.
    let body = json!({
        "email": " New.Person@Example.org ",
        "first_name": "Nia",
        "last_name": "Person",
        "role": "fundraiser",
        "permissions": ["projects:write"]
    });
    let (status, _, created) = call!(&app, post(&ada.key, LIST, body));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&created));
    let created = json_of(&created);
    assert_eq!(created["user"]["email"], "new.person@example.org");
    assert_eq!(
        (created["user"]["first_name"].as_str(), created["user"]["last_name"].as_str()),
        (Some("Nia"), Some("Person"))
    );
    assert_eq!((created["role"].as_str(), created["is_active"].as_bool()), (Some("fundraiser"), Some(true)));
    assert_eq!(created["permissions"], json!(["projects:write"]));
    let read = read!(&app, &ada.key, &uri(created["id"].as_str().unwrap()));
    assert_eq!(
        read["user"],
        json!({
            "id": created["user"]["id"], "email": "new.person@example.org", "first_name": "Nia",
            "last_name": "Person", "email_signature": null
        })
    );
    // Another organization's user (who has no first name), by their address in another case:
    // reused, their names kept.
    let (status, _, reused) =
        call!(&app, post(&ada.key, LIST, json!({ "email": "OZ@example.org", "first_name": "X", "role": "viewer" })));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&reused));
    let reused = json_of(&reused);
    assert_eq!(reused["user"]["id"], oz.user.id.to_string());
    assert!(reused["user"]["first_name"].is_null());
    assert_eq!(reused["permissions"], json!([]));

    let before = read!(&app, &ada.key, LIST);
    assert_eq!(count(&before), 5);

    // Staff already (active or not): 409.
    refused!(&app, post(&ada.key, LIST, json!({ "email": "fay@example.org", "role": "viewer" })), 409, "already_staff");

    // Each bad field named; nothing stored.
    let bad = refused!(
        &app,
        post(
            &ada.key,
            LIST,
            json!({ "email": "not an address", "role": "boss", "permissions": ["donors:delete"], "first_name": "x".repeat(201) })
        ),
        422,
        "validation_failed"
    );
    assert_eq!(fields(&bad), ["email", "first_name", "role", "permissions"]);
    let message = bad["errors"][3]["message"].as_str().unwrap();
    assert!(
        message.contains("donors:delete") && message.contains("staff:manage"),
        "lists the accepted ones: {message}"
    );
    let missing = refused!(&app, post(&ada.key, LIST, json!({})), 422, "validation_failed");
    assert_eq!(fields(&missing), ["email", "role"]);
    refused!(
        &app,
        post(&ada.key, LIST, json!({ "email": "a@b.org", "role": "viewer", "clerk_id": "x" })),
        400,
        "invalid_json"
    );

    // Without staff:manage: 403, nothing stored.
    for token in [&fay.key, &vic.key] {
        refused!(&app, post(token, LIST, json!({ "email": "sneaky@example.org", "role": "admin" })), 403, "forbidden");
    }
    assert_eq!(read!(&app, &ada.key, LIST), before);
    assert!(repos.users.find_by_email(&EmailAddress::parse("sneaky@example.org").unwrap()).await.unwrap().is_none());
}
on_both_backends!(staff_invitations, invitations_create_or_reuse_users);

async fn roles_and_permissions_change(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let ada = member(&repos, &hope, "ada", Role::Admin).await;
    let mae = member(&repos, &hope, "mae", Role::Manager).await;
    let fay = member(&repos, &hope, "fay", Role::Fundraiser).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let one = uri(mae.staff.id);

    let (status, _, body) = call!(
        &app,
        patch(&ada.key, &one, json!({ "role": "fundraiser", "permissions": ["donations:read", "projects:write"] }))
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let changed = json_of(&body);
    assert_eq!(
        (changed["role"].as_str(), &changed["permissions"]),
        (Some("fundraiser"), &json!(["donations:read", "projects:write"]))
    );
    assert_eq!(changed["user"]["email"], "mae@example.org");
    // Mae's key now carries the new permissions.
    let (status, _, _) = call!(&app, post(&mae.key, "/api/v1/projects", json!({ "name": "Roof" })));
    assert_eq!(status, 201, "projects:write was granted");

    // null clears the extra permissions; a field left out is kept.
    let cleared = json_of(&call!(&app, patch(&ada.key, &one, json!({ "permissions": null }))).2);
    assert_eq!((cleared["role"].as_str(), &cleared["permissions"]), (Some("fundraiser"), &json!([])));

    // Bad fields: 422 naming each, nothing changed.
    let before = read!(&app, &ada.key, &one);
    let bad = refused!(
        &app,
        patch(&ada.key, &one, json!({ "role": "boss", "permissions": ["all"] })),
        422,
        "validation_failed"
    );
    assert_eq!(fields(&bad), ["role", "permissions"]);
    let null_role = refused!(&app, patch(&ada.key, &one, json!({ "role": null })), 422, "validation_failed");
    assert_eq!(fields(&null_role), ["role"]);
    refused!(&app, patch(&ada.key, &one, json!({ "is_active": false })), 400, "invalid_json");
    refused!(&app, patch(&ada.key, &one, json!({ "permissions": "donors:read" })), 400, "invalid_json");

    // Without staff:manage: 403 on every change, nothing changed.
    refused!(&app, patch(&fay.key, &one, json!({ "role": "admin" })), 403, "forbidden");
    refused!(&app, post(&fay.key, &format!("{one}/deactivate"), json!({})), 403, "forbidden");
    refused!(&app, post(&fay.key, &format!("{one}/reactivate"), json!({})), 403, "forbidden");
    refused!(&app, patch(&mae.key, &uri(fay.staff.id), json!({ "role": "viewer" })), 403, "forbidden");
    assert_eq!(read!(&app, &ada.key, &one), before);
    refused!(&app, patch(&ada.key, &uri("nope"), json!({ "role": "viewer" })), 404, "not_found");
}
on_both_backends!(staff_role_changes, roles_and_permissions_change);

async fn guard_rails_keep_an_admin(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let ada = member(&repos, &hope, "ada", Role::Admin).await;
    let bob = member(&repos, &hope, "bob", Role::Admin).await;
    // A manager trusted with staff:manage, who can reach the last admin without being one.
    let cal = member_with(&repos, &hope, "cal", Role::Manager, &["staff:manage"]).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let deactivate = |id| format!("{}/deactivate", uri(id));
    let reactivate = |id| format!("{}/reactivate", uri(id));

    // Nobody deactivates or demotes themselves.
    refused!(&app, post(&ada.key, &deactivate(ada.staff.id), json!({})), 409, "self_deactivation");
    refused!(&app, patch(&ada.key, &uri(ada.staff.id), json!({ "role": "manager" })), 409, "self_demotion");
    refused!(&app, patch(&cal.key, &uri(cal.staff.id), json!({ "permissions": null })), 409, "self_demotion");
    // Adding to one's own permissions is no demotion.
    let (status, _, _) = call!(
        &app,
        patch(&cal.key, &uri(cal.staff.id), json!({ "permissions": ["staff:manage", "organization:write"] }))
    );
    assert_eq!(status, 200);

    // Bob deactivates Ada: her key stops working at once.
    let (status, _, body) = call!(&app, post(&bob.key, &deactivate(ada.staff.id), json!({})));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["is_active"], false);
    refused!(&app, get(&ada.key, ME), 401, "invalid_credential");
    let another_key = key_for(&repos, &hope, &ada.staff, &[]).await;
    refused!(&app, get(&another_key, LIST), 401, "invalid_credential");

    // Bob is the last active admin: Cal can neither demote nor deactivate him.
    let before = read!(&app, &cal.key, &uri(bob.staff.id));
    refused!(&app, patch(&cal.key, &uri(bob.staff.id), json!({ "role": "viewer" })), 409, "last_admin");
    refused!(&app, post(&cal.key, &deactivate(bob.staff.id), json!({})), 409, "last_admin");
    assert_eq!(read!(&app, &cal.key, &uri(bob.staff.id)), before, "nothing changed");
    // Changing his extra permissions keeps him admin: allowed.
    let (status, _, _) = call!(&app, patch(&cal.key, &uri(bob.staff.id), json!({ "permissions": ["donors:read"] })));
    assert_eq!(status, 200);

    // Ada back: her key works again, and Bob may now step down.
    let (status, _, body) = call!(&app, post(&cal.key, &reactivate(ada.staff.id), json!({})));
    assert_eq!((status, json_of(&body)["is_active"].as_bool()), (200, Some(true)));
    assert_eq!(read!(&app, &ada.key, ME)["id"], ada.staff.id.to_string());
    let demoted = json_of(&call!(&app, patch(&cal.key, &uri(bob.staff.id), json!({ "role": "manager" }))).2);
    assert_eq!(demoted["role"], "manager");
    assert_eq!(repos.staff.count_active_admins(&OrgScope::for_tests(hope.id)).await.unwrap(), 1);
    refused!(&app, post(&cal.key, &deactivate(ada.staff.id), json!({})), 409, "last_admin");
    // Reactivating an active member is harmless.
    let (status, _, _) = call!(&app, post(&cal.key, &reactivate(ada.staff.id), json!({})));
    assert_eq!(status, 200);
}
on_both_backends!(staff_guard_rails, guard_rails_keep_an_admin);

async fn signatures_and_the_callers_profile(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let ada = member(&repos, &hope, "ada", Role::Admin).await;
    let vic = member(&repos, &hope, "vic", Role::Viewer).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let signature = |id| format!("{}/signature", uri(id));

    // One's own signature, without staff:manage.
    let html = "<p>Vic<br><a href=\"https://example.org\">Hope</a></p>";
    let (status, _, body) = call!(&app, put(&vic.key, &signature(vic.staff.id), json!({ "signature": html })));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["user"]["email_signature"], html);
    // Someone else's needs staff:manage.
    refused!(&app, put(&vic.key, &signature(ada.staff.id), json!({ "signature": "hi" })), 403, "forbidden");
    let (status, _, body) = call!(&app, put(&ada.key, &signature(vic.staff.id), json!({ "signature": "-- Vic" })));
    assert_eq!((status, json_of(&body)["user"]["email_signature"].as_str()), (200, Some("-- Vic")));

    // Bad input: 422 naming the field, the signature kept.
    let long = refused!(
        &app,
        put(&vic.key, &signature(vic.staff.id), json!({ "signature": "x".repeat(10_001) })),
        422,
        "validation_failed"
    );
    assert_eq!(fields(&long), ["signature"]);
    let missing = refused!(&app, put(&vic.key, &signature(vic.staff.id), json!({})), 422, "validation_failed");
    assert_eq!(fields(&missing), ["signature"]);
    refused!(&app, put(&vic.key, &signature(vic.staff.id), json!({ "signature": 5 })), 400, "invalid_json");
    assert_eq!(read!(&app, &vic.key, &uri(vic.staff.id))["user"]["email_signature"], "-- Vic");
    let (status, _, _) =
        call!(&app, put(&vic.key, &signature(vic.staff.id), json!({ "signature": "x".repeat(10_000) })));
    assert_eq!(status, 200, "10,000 characters is the limit");
    // null removes it.
    let (_, _, body) = call!(&app, put(&vic.key, &signature(vic.staff.id), json!({ "signature": null })));
    assert!(json_of(&body)["user"]["email_signature"].is_null());

    // /me: the caller, with effective permissions.
    let me = read!(&app, &vic.key, ME);
    assert_eq!(me["id"], vic.staff.id.to_string());
    assert_eq!((me["role"].as_str(), me["user"]["email"].as_str()), (Some("viewer"), Some("vic@example.org")));
    let effective = me["effective_permissions"].as_array().unwrap();
    assert!(effective.contains(&json!("staff:read")) && !effective.contains(&json!("staff:manage")), "{me}");
    let narrowed = key_for(&repos, &hope, &vic.staff, &["donors:read"]).await;
    assert_eq!(read!(&app, &narrowed, ME)["effective_permissions"], json!(["donors:read"]));

    // PUT and PATCH /me: fields given change, null clears, left out are kept.
    let (status, _, body) = call!(
        &app,
        patch(&vic.key, ME, json!({ "first_name": " Victoria ", "last_name": "Vance", "email_signature": "V." }))
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let body = json_of(&body);
    assert_eq!(
        (
            body["user"]["first_name"].as_str(),
            body["user"]["last_name"].as_str(),
            body["user"]["email_signature"].as_str()
        ),
        (Some("Victoria"), Some("Vance"), Some("V."))
    );
    let (status, _, body) = call!(&app, patch(&vic.key, ME, json!({ "last_name": null })));
    assert_eq!(status, 200);
    let body = json_of(&body);
    assert!(body["user"]["last_name"].is_null());
    assert_eq!(body["user"]["first_name"], "Victoria");

    let before = read!(&app, &vic.key, ME);
    let bad = refused!(
        &app,
        patch(&vic.key, ME, json!({ "first_name": "x".repeat(201), "email_signature": "y".repeat(10_001) })),
        422,
        "validation_failed"
    );
    assert_eq!(fields(&bad), ["first_name", "email_signature"]);
    refused!(&app, patch(&vic.key, ME, json!({ "role": "admin" })), 400, "invalid_json");
    assert_eq!(read!(&app, &vic.key, ME), before, "nothing changed");
    refused!(&app, TestRequest::get().uri(ME), 401, "missing_credential");
}
on_both_backends!(staff_signatures_and_me, signatures_and_the_callers_profile);

async fn another_organizations_staff_are_not_found(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let ada = member(&repos, &hope, "ada", Role::Admin).await;
    let oz = member(&repos, &other, "oz", Role::Admin).await;
    let ola = member(&repos, &other, "ola", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let theirs = uri(ola.staff.id);
    let before = read!(&app, &oz.key, &theirs);

    refused!(&app, get(&ada.key, &theirs), 404, "not_found");
    refused!(&app, patch(&ada.key, &theirs, json!({ "role": "viewer" })), 404, "not_found");
    refused!(&app, post(&ada.key, &format!("{theirs}/deactivate"), json!({})), 404, "not_found");
    refused!(&app, post(&ada.key, &format!("{theirs}/reactivate"), json!({})), 404, "not_found");
    refused!(&app, put(&ada.key, &format!("{theirs}/signature"), json!({ "signature": "pwned" })), 404, "not_found");
    assert_eq!(emails(&read!(&app, &ada.key, LIST)), ["ada@example.org"]);

    assert_eq!(read!(&app, &oz.key, &theirs), before, "nothing changed");
    assert!(repos.users.get(ola.user.id).await.unwrap().unwrap().email_signature.is_none());
}
on_both_backends!(staff_isolation, another_organizations_staff_are_not_found);
