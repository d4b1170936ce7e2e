//! `GET` / `PATCH /api/v1/organization` on both databases: permissions by role, explicit nulls,
//! slug conflicts, and journey graph faults (422 naming the path, nothing stored).

use actix_web::test::{self, TestRequest};
use givance_domain::staff::Role;
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, problem, state};
use crate::tenants::{get_org, key_for, member, member_with, organization, patch_org, repos};

fn graph() -> Value {
    json!({ "stages": [
        { "id": "prospect", "name": "Prospect", "transitions": [{ "to": "donor", "condition": "first gift" }] },
        { "id": "donor", "name": "Donor", "description": "  gave once  ", "transitions": [{ "to": "prospect" }] }
    ]})
}

async fn read_and_update_with_permissions(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    organization(&repos, "taken").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let manager = member(&repos, &hope, "mia", Role::Manager).await;
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let trusted_viewer = member_with(&repos, &hope, "tom", Role::Viewer, &["organization:write"]).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    // Everyone reads.
    for token in [&admin.key, &manager.key, &viewer.key] {
        let (status, _, body) = call!(&app, get_org(token));
        assert_eq!(status, 200);
        let got: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((got["name"].as_str(), got["donor_journey_graph"].is_null()), (Some("Org hope"), true));
    }

    // Viewers and managers may not write; a key narrowed to reading may not either.
    let read_only_admin_key = key_for(&repos, &hope, &admin.staff, &["organization:read"]).await;
    for token in [&viewer.key, &manager.key, &read_only_admin_key] {
        let (status, headers, body) = call!(&app, patch_org(token, json!({ "name": "Nope" })));
        assert_eq!(status, 403);
        let problem = problem(403, &headers, &body, "forbidden");
        assert!(problem["detail"].as_str().unwrap().contains("organization:write"), "{problem}");
    }
    // A key narrowed to something its staff member lacks gains nothing.
    let narrowed = key_for(&repos, &hope, &viewer.staff, &["organization:write"]).await;
    assert_eq!(call!(&app, patch_org(&narrowed, json!({ "name": "Nope" }))).0, 403);
    let (_, _, body) = call!(&app, get_org(&admin.key));
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["name"], "Org hope", "nothing was stored");

    // An admin writes everything.
    let body = json!({
        "name": "  Hope for Kids ",
        "slug": "hope-kids",
        "website_url": "https://hope.example.org",
        "ai_instructions": "Warm, brief.",
        "donor_journey_graph": graph(),
    });
    let (status, _, response) = call!(&app, patch_org(&admin.key, body));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&response));
    let got: Value = serde_json::from_slice(&response).unwrap();
    assert_eq!(got["name"], "Hope for Kids");
    assert_eq!(got["slug"], "hope-kids");
    assert_eq!(got["website_url"], "https://hope.example.org/");
    assert_eq!(got["ai_instructions"], "Warm, brief.");
    assert_eq!(got["donor_journey_graph"]["stages"][1]["description"], "gave once");
    let (_, _, read) = call!(&app, get_org(&viewer.key));
    assert_eq!(serde_json::from_slice::<Value>(&read).unwrap(), got, "what was returned was stored");

    // `staff.permissions` adds to the role: this viewer may write.
    let (status, _, _) = call!(&app, patch_org(&trusted_viewer.key, json!({ "ai_instructions": "Formal." })));
    assert_eq!(status, 200);

    // Explicit null clears; absent leaves alone.
    let clear = json!({ "website_url": null, "ai_instructions": null, "donor_journey_graph": null });
    let (status, _, response) = call!(&app, patch_org(&admin.key, clear));
    assert_eq!(status, 200);
    let got: Value = serde_json::from_slice(&response).unwrap();
    assert!(got["website_url"].is_null() && got["ai_instructions"].is_null() && got["donor_journey_graph"].is_null());
    assert_eq!(got["name"], "Hope for Kids");

    // A slug another organization has: 409, nothing stored.
    let (status, headers, body) = call!(&app, patch_org(&admin.key, json!({ "slug": "taken", "name": "Changed" })));
    assert_eq!(status, 409);
    problem(409, &headers, &body, "slug_taken");
    let (_, _, read) = call!(&app, get_org(&admin.key));
    let now: Value = serde_json::from_slice(&read).unwrap();
    assert_eq!((now["slug"].as_str(), now["name"].as_str()), (Some("hope-kids"), Some("Hope for Kids")));

    // Bad fields: each listed; an unknown field is a 400.
    let bad =
        json!({ "name": null, "slug": "Not A Slug", "website_url": "ftp://x", "ai_instructions": "x".repeat(20_001) });
    let (status, headers, body) = call!(&app, patch_org(&admin.key, bad));
    assert_eq!(status, 422);
    let problem = problem(422, &headers, &body, "validation_failed");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "slug", "website_url", "ai_instructions"]);
    let (status, headers, body) = call!(&app, patch_org(&admin.key, json!({ "clerk_id": "mine" })));
    assert_eq!(status, 400);
    crate::support::problem(400, &headers, &body, "invalid_json");
    let (_, _, after) = call!(&app, get_org(&admin.key));
    assert_eq!(serde_json::from_slice::<Value>(&after).unwrap(), now, "nothing was stored");
}
on_both_backends!(organization_read_update, read_and_update_with_permissions);

async fn journey_graph_faults_are_422_naming_the_path(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let (status, _, _) = call!(&app, patch_org(&admin.key, json!({ "donor_journey_graph": graph() })));
    assert_eq!(status, 200);
    let (_, _, before) = call!(&app, get_org(&admin.key));

    let stage = |id: &str, to: &[&str]| json!({ "id": id, "name": id, "transitions": to.iter().map(|t| json!({ "to": t })).collect::<Vec<_>>() });
    let many_stages: Vec<Value> = (0..51).map(|i| stage(&format!("s{i}"), &[])).collect();
    let many_transitions: Vec<Value> = (0..21).map(|i| json!({ "to": format!("s{i}") })).collect();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({ "stages": [stage("a", &["b"]), stage("b", &[]), stage("c", &["x"])] }),
            "donor_journey_graph.stages[2].transitions[0].to",
            "unknown stage 'x'",
        ),
        (
            json!({ "stages": [stage("a", &[]), stage("a", &[])] }),
            "donor_journey_graph.stages[1].id",
            "duplicate stage id 'a' (also stages[0])",
        ),
        (json!({ "stages": many_stages }), "donor_journey_graph.stages", "has 51 stages; 1 to 50 are allowed"),
        (
            json!({ "stages": [{ "id": "a", "name": "A", "transitions": many_transitions }] }),
            "donor_journey_graph.stages[0].transitions",
            "has 21 transitions; at most 20 are allowed",
        ),
        (
            json!({ "stages": [{ "id": "a", "name": "A", "description": "x".repeat(70 * 1024) }] }),
            "donor_journey_graph",
            "bytes of JSON; at most 65536 are allowed",
        ),
        (json!({ "stages": [{ "id": "a" }] }), "donor_journey_graph.stages[0].name", "is required"),
        (json!("linear"), "donor_journey_graph", "must be an object with a 'stages' array"),
        (
            json!({ "stages": [stage("a", &["a"])] }),
            "donor_journey_graph.stages[0].transitions[0].to",
            "cannot transition to itself",
        ),
    ];
    for (graph, field, message) in cases {
        let (status, headers, body) =
            call!(&app, patch_org(&admin.key, json!({ "name": "Changed", "donor_journey_graph": graph })));
        assert_eq!(status, 422, "{field}: {}", String::from_utf8_lossy(&body));
        let problem = problem(422, &headers, &body, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains(message), "{problem}");
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{problem}");
    }
    let (_, _, after) = call!(&app, get_org(&admin.key));
    assert_eq!(
        serde_json::from_slice::<Value>(&after).unwrap(),
        serde_json::from_slice::<Value>(&before).unwrap(),
        "no failed PATCH stored anything"
    );
    // A request without a body type is refused before authentication matters.
    let req = TestRequest::patch().uri("/api/v1/organization");
    assert_eq!(call!(&app, req).0, 401);
}
on_both_backends!(organization_journey_graph, journey_graph_faults_are_422_naming_the_path);

async fn country_is_set_cleared_and_checked(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let read = async || -> Value {
        let (status, _, body) = call!(&app, get_org(&admin.key));
        assert_eq!(status, 200);
        serde_json::from_slice(&body).unwrap()
    };
    assert!(read().await["country"].is_null(), "no country by default");

    // Any case in, upper case stored; absent leaves it alone.
    let (status, _, body) = call!(&app, patch_org(&admin.key, json!({ "country": " gb " })));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["country"], "GB");
    let (status, _, _) = call!(&app, patch_org(&admin.key, json!({ "name": "Hope UK" })));
    assert_eq!(status, 200);
    let stored = read().await;
    assert_eq!((stored["country"].as_str(), stored["name"].as_str()), (Some("GB"), Some("Hope UK")));

    // A bad value: 422 naming `country`, with any other bad field; nothing stored.
    for bad in [json!("XX"), json!("GBR"), json!("1"), json!(44)] {
        let (status, headers, body) = call!(&app, patch_org(&admin.key, json!({ "name": "Changed", "country": bad })));
        if bad.is_string() {
            assert_eq!(status, 422, "{bad}: {}", String::from_utf8_lossy(&body));
            let problem = problem(422, &headers, &body, "validation_failed");
            assert_eq!(problem["errors"][0]["field"], "country", "{problem}");
            assert!(problem["errors"][0]["message"].as_str().unwrap().contains("ISO 3166-1"), "{problem}");
        } else {
            // Not a string at all: the body does not parse.
            assert_eq!(status, 400, "{bad}: {}", String::from_utf8_lossy(&body));
        }
    }
    let (status, headers, body) = call!(&app, patch_org(&admin.key, json!({ "slug": "Bad Slug", "country": "ZZ" })));
    assert_eq!(status, 422);
    let problem = problem(422, &headers, &body, "validation_failed");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["slug", "country"]);
    assert_eq!(read().await, stored, "no failed PATCH stored anything");

    // Explicit null clears, and so does blank text.
    let (status, _, body) = call!(&app, patch_org(&admin.key, json!({ "country": null })));
    assert_eq!(status, 200);
    assert!(serde_json::from_slice::<Value>(&body).unwrap()["country"].is_null());
    assert!(read().await["country"].is_null(), "the clear was stored");
    call!(&app, patch_org(&admin.key, json!({ "country": "FR" })));
    assert_eq!(read().await["country"], "FR");
    let (status, _, _) = call!(&app, patch_org(&admin.key, json!({ "country": "  " })));
    assert_eq!(status, 200);
    assert!(read().await["country"].is_null());
}
on_both_backends!(organization_country, country_is_set_cleared_and_checked);
