//! Templates over HTTP on both databases: create / read / list / update / delete with variables
//! taken from the text, validation (422 naming the field, nothing stored), preview for a donor
//! (HTML-escaped donor data, unfilled variables reported, not a use), recorded uses, roles, and
//! isolation between organizations.

use actix_web::test::{self, TestRequest};
use givance_domain::staff::Role;
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, fields, problem, state};
use crate::tenants::{delete, get, json_of, member, organization, patch, post, repos};

const LIST: &str = "/api/v1/templates";

/// Creates a template; returns its JSON.
macro_rules! create {
    ($app:expr, $token:expr, $body:expr) => {{
        let (status, _, body) = call!($app, post($token, LIST, $body));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)
    }};
}

/// Creates a donor over HTTP; returns its id.
macro_rules! donor {
    ($app:expr, $token:expr, $body:expr) => {{
        let (status, _, body) = call!($app, post($token, "/api/v1/donors", $body));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)["id"].as_str().unwrap().to_owned()
    }};
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

fn uri_of(template: &Value) -> String {
    format!("{LIST}/{}", template["id"].as_str().unwrap())
}

fn id_of(template: &Value) -> String {
    template["id"].as_str().unwrap().to_owned()
}

async fn create_read_list_update_delete(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let fundraiser = member(&repos, &hope, "fay", Role::Fundraiser).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    let thanks = create!(
        &app,
        &fundraiser.key,
        json!({
            "name": " Thank you ",
            "category": "stewardship",
            "subject": "Thank you, {{donor.first_name}}!",
            "body": "<p>Dear {{ donor.first_name }} {{donor.last_name}},</p><p>{{organization.name}} thanks you, {{donor.first_name}}.</p>"
        })
    );
    assert_eq!(thanks["name"], "Thank you");
    assert_eq!(thanks["channel"], "email", "the default channel");
    assert_eq!(thanks["variables"], json!(["donor.first_name", "donor.last_name", "organization.name"]));
    assert_eq!((thanks["usage_count"].as_u64(), thanks["last_used_at"].is_null()), (Some(0), true));
    assert_eq!(thanks["is_active"], true);
    assert_eq!(thanks["created_by"], json!(fundraiser.user.id.into_uuid()));
    let sms = create!(
        &app,
        &fundraiser.key,
        json!({ "name": "Reminder", "channel": "text", "body": "Hi {{first_name}}, see you Friday", "is_active": false })
    );
    assert_eq!((sms["channel"].as_str(), sms["subject"].is_null()), (Some("text"), true));
    assert_eq!(sms["variables"], json!(["first_name"]));
    let plain = create!(&app, &fundraiser.key, json!({ "name": "Plain", "body": "No placeholders {{ here" }));
    assert_eq!(plain["variables"], json!([]));

    // Read: what was returned was stored.
    let (status, _, body) = call!(&app, get(&fundraiser.key, &uri_of(&thanks)));
    assert_eq!(status, 200);
    assert_eq!(json_of(&body), thanks);

    // Lists: newest first, keyset pages, filters.
    let (_, _, body) = call!(&app, get(&fundraiser.key, LIST));
    assert_eq!(ids(&json_of(&body)), [id_of(&plain), id_of(&sms), id_of(&thanks)]);
    let (_, _, body) = call!(&app, get(&fundraiser.key, &format!("{LIST}?limit=2")));
    let first = json_of(&body);
    assert_eq!(ids(&first), [id_of(&plain), id_of(&sms)]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, _, body) = call!(&app, get(&fundraiser.key, &format!("{LIST}?limit=2&cursor={cursor}")));
    let second = json_of(&body);
    assert_eq!((ids(&second), second["next_cursor"].is_null()), (vec![id_of(&thanks)], true));
    for (query, expected) in [
        ("is_active=false", vec![id_of(&sms)]),
        ("is_active=true", vec![id_of(&plain), id_of(&thanks)]),
        ("category=stewardship", vec![id_of(&thanks)]),
        ("category=other", vec![]),
        ("channel=text", vec![id_of(&sms)]),
        ("channel=email&is_active=true", vec![id_of(&plain), id_of(&thanks)]),
    ] {
        let (status, _, body) = call!(&app, get(&fundraiser.key, &format!("{LIST}?{query}")));
        assert_eq!(status, 200, "{query}");
        assert_eq!(ids(&json_of(&body)), expected, "{query}");
    }

    // PATCH: a new body declares its variables anew; null clears the nullable fields.
    let (status, _, body) = call!(
        &app,
        patch(
            &fundraiser.key,
            &uri_of(&thanks),
            json!({ "body": "Dear {{donor_name}}, from {{organization.name}}", "category": null, "is_active": false })
        )
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let patched = json_of(&body);
    assert_eq!(patched["variables"], json!(["donor.first_name", "donor_name", "organization.name"]));
    assert!(patched["category"].is_null());
    assert_eq!((patched["is_active"].as_bool(), patched["name"].as_str()), (Some(false), Some("Thank you")));
    let (_, _, body) = call!(&app, patch(&fundraiser.key, &uri_of(&thanks), json!({ "subject": null })));
    let patched = json_of(&body);
    assert_eq!(
        (patched["subject"].is_null(), &patched["variables"]),
        (true, &json!(["donor_name", "organization.name"]))
    );
    let (_, _, body) = call!(&app, patch(&fundraiser.key, &uri_of(&thanks), json!({ "name": "Thanks" })));
    assert_eq!(json_of(&body)["variables"], json!(["donor_name", "organization.name"]), "a rename keeps them");
    let (_, _, body) = call!(&app, get(&fundraiser.key, &uri_of(&thanks)));
    assert_eq!(json_of(&body)["name"], "Thanks");

    // Delete: 204, then gone everywhere.
    let (status, _, body) = call!(&app, delete(&fundraiser.key, &uri_of(&sms)));
    assert_eq!((status, body.len()), (204, 0));
    assert_eq!(call!(&app, get(&fundraiser.key, &uri_of(&sms))).0, 404);
    assert_eq!(call!(&app, delete(&fundraiser.key, &uri_of(&sms))).0, 404);
    assert_eq!(call!(&app, patch(&fundraiser.key, &uri_of(&sms), json!({ "name": "x" }))).0, 404);
    let (_, _, body) = call!(&app, get(&fundraiser.key, LIST));
    assert_eq!(ids(&json_of(&body)), [id_of(&plain), id_of(&thanks)]);
}
on_both_backends!(template_lifecycle, create_read_list_update_delete);

async fn bad_input_is_refused_naming_the_field(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    let many: String = (0..101).map(|i| format!("{{{{v{i}}}}}")).collect();
    let cases = [
        (json!({ "body": "x" }), "name"),
        (json!({ "name": " ", "body": "x" }), "name"),
        (json!({ "name": "n".repeat(201), "body": "x" }), "name"),
        (json!({ "name": "T" }), "body"),
        (json!({ "name": "T", "body": "  " }), "body"),
        (json!({ "name": "T", "body": "b".repeat(200_001) }), "body"),
        (json!({ "name": "T", "body": "x", "subject": "s".repeat(999) }), "subject"),
        (json!({ "name": "T", "body": "x", "category": "c".repeat(101) }), "category"),
        (json!({ "name": "T", "body": "x", "channel": "fax" }), "channel"),
        (json!({ "name": "T", "body": many }), "variables"),
    ];
    for (body, field) in cases {
        let (status, headers, response) = call!(&app, post(&admin.key, LIST, body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), [field], "{body}");
    }
    // Several faults at once are all named.
    let (status, headers, body) = call!(&app, post(&admin.key, LIST, json!({ "channel": "pigeon" })));
    assert_eq!(status, 422);
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), ["name", "channel", "body"]);
    // Variables come from the text, never from the client; other unknown fields neither.
    for extra in [json!({ "variables": ["x"] }), json!({ "usage_count": 5 }), json!({ "organization_id": "x" })] {
        let mut body = json!({ "name": "T", "body": "x" });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let (status, headers, response) = call!(&app, post(&admin.key, LIST, body));
        assert_eq!(status, 400, "{extra}");
        problem(400, &headers, &response, "invalid_json");
    }
    let (status, _, _) = call!(&app, post(&admin.key, LIST, json!({ "name": 5, "body": "x" })));
    assert_eq!(status, 400);
    let (_, _, body) = call!(&app, get(&admin.key, LIST));
    assert!(ids(&json_of(&body)).is_empty(), "nothing was stored");

    // The same checks on PATCH; the template is unchanged.
    let template = create!(&app, &admin.key, json!({ "name": "T", "subject": "Hi {{a}}", "body": "{{b}}" }));
    let cases = [
        (json!({ "name": null }), "name"),
        (json!({ "name": "" }), "name"),
        (json!({ "body": null }), "body"),
        (json!({ "body": " " }), "body"),
        (json!({ "channel": null }), "channel"),
        (json!({ "channel": "carrier_pigeon" }), "channel"),
        (json!({ "is_active": null }), "is_active"),
        (json!({ "subject": "s".repeat(999) }), "subject"),
        (json!({ "category": "c".repeat(101) }), "category"),
        (json!({ "body": (0..101).map(|i| format!("{{{{v{i}}}}}")).collect::<String>() }), "variables"),
    ];
    for (body, field) in cases {
        let (status, headers, response) = call!(&app, patch(&admin.key, &uri_of(&template), body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), [field], "{body}");
    }
    let (status, _, _) = call!(&app, patch(&admin.key, &uri_of(&template), json!({ "variables": ["a"] })));
    assert_eq!(status, 400);
    let (_, _, body) = call!(&app, get(&admin.key, &uri_of(&template)));
    assert_eq!(json_of(&body), template, "the refused patches changed nothing");

    // List parameters.
    for bad in ["limit=0", "limit=201", "cursor=garbage", "is_active=yes", "channel=fax", "category=%20"] {
        let (status, headers, body) = call!(&app, get(&admin.key, &format!("{LIST}?{bad}")));
        assert_eq!(status, 422, "{bad}");
        let name = bad.split('=').next().unwrap();
        assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), [name], "{bad}");
    }
    let (status, _, _) = call!(&app, get(&admin.key, &format!("{LIST}?sort=name")));
    assert_eq!(status, 400, "an unknown parameter");
}
on_both_backends!(template_validation, bad_input_is_refused_naming_the_field);

async fn preview_renders_for_a_donor_and_uses_are_counted(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let fundraiser = member(&repos, &hope, "fay", Role::Fundraiser).await;
    let stranger = member(&repos, &other, "sam", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    let ada = donor!(
        &app,
        &fundraiser.key,
        json!({ "first_name": "<script>alert(1)</script>", "last_name": "O'Hara & Sons", "address_city": "Lyon" })
    );
    let template = create!(
        &app,
        &fundraiser.key,
        json!({
            "name": "Thanks",
            "subject": "Thanks {{donor.first_name}}",
            "body": "<p>Dear {{donor.full_name}} of {{donor.city}},</p> {{donor.email}} {{shoe_size}} {{donor.email}} {{not a var}} {{organization.name}}"
        })
    );
    let preview_uri = format!("{}/preview", uri_of(&template));
    let (status, _, body) = call!(&app, post(&fundraiser.key, &preview_uri, json!({ "donor_id": ada })));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let preview = json_of(&body);
    assert_eq!((preview["template_id"].as_str(), preview["donor_id"].as_str()), (template["id"].as_str(), Some(&*ada)));
    assert_eq!(preview["subject"], "Thanks <script>alert(1)</script>", "a subject is plain text");
    assert_eq!(
        preview["body_html"],
        "<p>Dear &lt;script&gt;alert(1)&lt;/script&gt; O&#x27;Hara &amp; Sons of Lyon,</p> {{donor.email}} \
         {{shoe_size}} {{donor.email}} {{not a var}} Org hope"
    );
    assert_eq!(
        preview["body_text"],
        "<p>Dear <script>alert(1)</script> O'Hara & Sons of Lyon,</p> {{donor.email}} {{shoe_size}} {{donor.email}} \
         {{not a var}} Org hope"
    );
    assert_eq!(
        preview["unfilled"],
        json!([
            { "variable": "donor.email", "reason": "no_value" },
            { "variable": "shoe_size", "reason": "unknown_variable" },
        ])
    );

    // A preview is not a use.
    let (_, _, body) = call!(&app, get(&fundraiser.key, &uri_of(&template)));
    assert_eq!((json_of(&body)["usage_count"].as_u64(), json_of(&body)["last_used_at"].is_null()), (Some(0), true));

    // Each use counts, and sets last_used_at.
    let use_uri = format!("{}/use", uri_of(&template));
    let (status, _, body) = call!(&app, TestRequest::post().uri(&use_uri).insert_header(bearer(&fundraiser.key)));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let used = json_of(&body);
    assert_eq!(used["usage_count"], 1);
    let first_use = used["last_used_at"].as_str().expect("last_used_at is set").to_owned();
    let (_, _, body) = call!(&app, TestRequest::post().uri(&use_uri).insert_header(bearer(&fundraiser.key)));
    let used = json_of(&body);
    assert_eq!(used["usage_count"], 2);
    assert!(used["last_used_at"].as_str().unwrap() >= first_use.as_str());
    let (_, _, body) = call!(&app, get(&fundraiser.key, &uri_of(&template)));
    assert_eq!(json_of(&body)["usage_count"], 2);

    // The donor must be a live donor of the organization: otherwise a 422 naming donor_id.
    let theirs = donor!(&app, &stranger.key, json!({ "first_name": "Sam" }));
    let gone = donor!(&app, &fundraiser.key, json!({ "first_name": "Gone" }));
    assert_eq!(call!(&app, delete(&fundraiser.key, &format!("/api/v1/donors/{gone}"))).0, 204);
    for body in [
        json!({ "donor_id": theirs }),
        json!({ "donor_id": gone }),
        json!({ "donor_id": "00000000-0000-0000-0000-000000000000" }),
        json!({ "donor_id": "not-a-uuid" }),
        json!({}),
    ] {
        let (status, headers, response) = call!(&app, post(&fundraiser.key, &preview_uri, body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        assert_eq!(fields(&problem(422, &headers, &response, "validation_failed")), ["donor_id"], "{body}");
    }
    let (status, _, _) = call!(&app, post(&fundraiser.key, &preview_uri, json!({ "donor_id": ada, "x": 1 })));
    assert_eq!(status, 400);
}
on_both_backends!(template_preview_and_use, preview_renders_for_a_donor_and_uses_are_counted);

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

async fn roles_other_tenants_and_missing_credentials(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let stranger = member(&repos, &other, "sam", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let mine = create!(&app, &admin.key, json!({ "name": "Thanks", "body": "Dear {{first_name}}" }));
    let one = uri_of(&mine);
    let ada = donor!(&app, &admin.key, json!({ "first_name": "Ada" }));
    let theirs = donor!(&app, &stranger.key, json!({ "first_name": "Sam" }));

    // Another organization's admin: every endpoint on this id is a 404, and nothing changes,
    // even with a donor of their own.
    let attempts = vec![
        get(&stranger.key, &one),
        patch(&stranger.key, &one, json!({ "name": "Stolen" })),
        delete(&stranger.key, &one),
        post(&stranger.key, &format!("{one}/preview"), json!({ "donor_id": theirs })),
        post(&stranger.key, &format!("{one}/use"), json!({})),
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
    assert_eq!(json_of(&body), mine, "the other organization changed nothing, nor used it");

    // A malformed or unknown id: 404.
    for uri in [
        format!("{LIST}/not-a-uuid"),
        format!("{LIST}/00000000-0000-0000-0000-000000000000"),
        format!("{LIST}/00000000-0000-0000-0000-000000000000/use"),
    ] {
        let req = if uri.ends_with("/use") { post(&admin.key, &uri, json!({})) } else { get(&admin.key, &uri) };
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 404, "{uri}");
        problem(404, &headers, &body, "not_found");
    }

    // No credential: 401 everywhere.
    let anonymous = vec![
        TestRequest::get().uri(LIST),
        TestRequest::post().uri(LIST).set_json(json!({ "name": "T", "body": "x" })),
        TestRequest::get().uri(&one),
        TestRequest::patch().uri(&one).set_json(json!({})),
        TestRequest::delete().uri(&one),
        TestRequest::post().uri(&format!("{one}/preview")).set_json(json!({ "donor_id": ada })),
        TestRequest::post().uri(&format!("{one}/use")),
    ];
    for req in anonymous {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 401);
        problem(401, &headers, &body, "missing_credential");
    }

    // A viewer reads and previews but never writes or uses.
    assert_eq!(call!(&app, get(&viewer.key, &one)).0, 200);
    assert_eq!(call!(&app, get(&viewer.key, LIST)).0, 200);
    assert_eq!(call!(&app, post(&viewer.key, &format!("{one}/preview"), json!({ "donor_id": ada }))).0, 200);
    let writes = vec![
        post(&viewer.key, LIST, json!({ "name": "New", "body": "x" })),
        patch(&viewer.key, &one, json!({ "name": "Changed" })),
        delete(&viewer.key, &one),
        post(&viewer.key, &format!("{one}/use"), json!({})),
    ];
    for req in writes {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
        problem(403, &headers, &body, "forbidden");
    }
    let (_, _, body) = call!(&app, get(&admin.key, &one));
    assert_eq!(json_of(&body), mine, "the viewer changed nothing");
}
on_both_backends!(template_access, roles_other_tenants_and_missing_credentials);
