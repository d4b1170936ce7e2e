//! API keys over HTTP on both databases: an admin creates, lists and revokes them; the token is
//! shown once; other roles get 403; another organization's key is a 404.

use actix_web::test::{self, TestRequest};
use givance_domain::staff::Role;
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, fields, problem, state};
use crate::tenants::{get_org, member, organization, patch_org, repos, with_bearer};

fn create(token: &str, body: Value) -> TestRequest {
    with_bearer(TestRequest::post().uri("/api/v1/api-keys"), token).set_json(body)
}

async fn admins_manage_api_keys(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let manager = member(&repos, &hope, "mia", Role::Manager).await;
    let stranger = member(&repos, &other, "sam", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    // An admin makes a key for a manager, narrowed to reading the organization.
    let body = json!({ "name": "reporting", "staff_id": manager.staff.id, "permissions": ["organization:read"], "expires_in_days": 30 });
    let (status, headers, response) = call!(&app, create(&admin.key, body));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&response));
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    let created: Value = serde_json::from_slice(&response).unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with(&format!("gv_{}_", created["prefix"].as_str().unwrap())), "{created}");
    assert_eq!(token.len(), 3 + 12 + 1 + 64);
    assert_eq!(created["staff_id"], manager.staff.id.to_string());
    assert_eq!(created["permissions"], json!(["organization:read"]));
    assert!(created["expires_at"].is_string() && created["revoked_at"].is_null());

    // It works, within its permissions.
    assert_eq!(call!(&app, get_org(&token)).0, 200);
    assert_eq!(call!(&app, patch_org(&token, json!({ "name": "x" }))).0, 403);

    // The list shows it, never its token or hash; the caller's own key when no staff_id.
    let (status, _, _) = call!(&app, create(&admin.key, json!({ "name": "mine" })));
    assert_eq!(status, 201);
    let (status, _, listing) = call!(&app, with_bearer(TestRequest::get().uri("/api/v1/api-keys?limit=2"), &admin.key));
    assert_eq!(status, 200);
    let listing: Value = serde_json::from_slice(&listing).unwrap();
    let text = listing.to_string();
    assert!(!text.contains(&token[16..]) && !text.contains("secret_hash") && !text.contains("\"token\""), "{text}");
    assert_eq!(listing["data"][0]["name"], "mine");
    assert_eq!(listing["data"][0]["staff_id"], admin.staff.id.to_string());
    assert_eq!(listing["data"][1]["name"], "reporting");
    assert!(listing["next_cursor"].is_string(), "four keys, pages of two");
    let next = format!("/api/v1/api-keys?limit=2&cursor={}", listing["next_cursor"].as_str().unwrap());
    let (_, _, page2) = call!(&app, with_bearer(TestRequest::get().uri(&next), &admin.key));
    let page2: Value = serde_json::from_slice(&page2).unwrap();
    assert_eq!(page2["data"].as_array().unwrap().len(), 2);
    assert!(page2["next_cursor"].is_null());
    // Paging is checked as on every list: a 422 naming the parameter, another list's cursor too.
    let projects_cursor = format!("p.{}", listing["next_cursor"].as_str().unwrap().split_once('.').unwrap().1);
    let bad = [
        ("limit=0".to_owned(), "limit"),
        ("limit=201".to_owned(), "limit"),
        ("cursor=garbage".to_owned(), "cursor"),
        (format!("cursor={projects_cursor}"), "cursor"),
    ];
    for (query, field) in bad {
        let uri = format!("/api/v1/api-keys?{query}");
        let (status, headers, body) = call!(&app, with_bearer(TestRequest::get().uri(&uri), &admin.key));
        assert_eq!(status, 422, "{query}");
        assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), [field], "{query}");
    }
    let one = format!("/api/v1/api-keys/{}", created["id"].as_str().unwrap());
    let (status, _, got) = call!(&app, with_bearer(TestRequest::get().uri(&one), &admin.key));
    assert_eq!(status, 200);
    assert!(serde_json::from_slice::<Value>(&got).unwrap()["last_used_at"].is_string(), "its use was recorded");

    // Revoking stops it at once.
    let (status, _, _) = call!(&app, with_bearer(TestRequest::delete().uri(&one), &admin.key));
    assert_eq!(status, 204);
    assert_eq!(call!(&app, get_org(&token)).0, 401);
    let (_, _, got) = call!(&app, with_bearer(TestRequest::get().uri(&one), &admin.key));
    assert!(serde_json::from_slice::<Value>(&got).unwrap()["revoked_at"].is_string());

    // Another organization sees nothing of it and cannot revoke it; its staff are not ours.
    for req in [TestRequest::get().uri(&one), TestRequest::delete().uri(&one)] {
        let (status, headers, body) = call!(&app, with_bearer(req, &stranger.key));
        assert_eq!(status, 404);
        problem(404, &headers, &body, "not_found");
    }
    let (_, _, theirs) = call!(&app, with_bearer(TestRequest::get().uri("/api/v1/api-keys"), &stranger.key));
    assert_eq!(
        serde_json::from_slice::<Value>(&theirs).unwrap()["data"].as_array().unwrap().len(),
        1,
        "only their own"
    );
    let (status, _, _) = call!(&app, create(&admin.key, json!({ "name": "x", "staff_id": stranger.staff.id })));
    assert_eq!(status, 404);

    // Without staff:manage: 403, for every operation.
    for req in [
        create(&manager.key, json!({ "name": "x" })),
        with_bearer(TestRequest::get().uri("/api/v1/api-keys"), &manager.key),
        with_bearer(TestRequest::delete().uri(&one), &manager.key),
    ] {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 403);
        problem(403, &headers, &body, "forbidden");
    }

    // Bad input: each fault listed, nothing created.
    let bad = json!({ "name": " ", "permissions": ["donors:delete"], "expires_at": "2001-01-01T00:00:00Z" });
    let (status, headers, body) = call!(&app, create(&admin.key, bad));
    assert_eq!(status, 422);
    let problem = problem(422, &headers, &body, "validation_failed");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "permissions", "expires_at"]);
    let (status, _, _) = call!(&app, create(&admin.key, json!({ "name": "x", "expires_in_days": 0 })));
    assert_eq!(status, 422);
    let (_, _, listing) = call!(&app, with_bearer(TestRequest::get().uri("/api/v1/api-keys"), &admin.key));
    assert_eq!(serde_json::from_slice::<Value>(&listing).unwrap()["data"].as_array().unwrap().len(), 4);
}
on_both_backends!(api_key_management, admins_manage_api_keys);
