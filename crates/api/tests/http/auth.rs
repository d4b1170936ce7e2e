//! Bearer credentials over HTTP, on both databases: API keys and JWTs (HS256, a JWKS file, a
//! JWKS URL served by a local server), every way one can be refused, and an invited user's
//! first sign-in.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::test::{self, TestRequest};
use chrono::{Duration, Utc};
use givance_api::AppState;
use givance_api::jwt::JwtVerifier;
use givance_domain::api_key::NewApiKey;
use givance_domain::shared::time::now;
use givance_domain::staff::{Role, StaffPatch};
use givance_domain::{EmailAddress, OrgScope, StaffId};
use givance_infra::credentials::generate;
use givance_tests::{TestDb, on_both_backends};
use sea_orm::{ConnectionTrait, DatabaseBackend};
use serde_json::{Value, json};

use crate::support::{call, problem, state};
use crate::tenants::{
    AUDIENCE, ISSUER, JWKS, JWKS_KID, OTHER_RSA_PRIVATE, RSA_PRIVATE, claims, get_org, hs256, json_of, key_for, member,
    organization, post, repos, rs256, with_bearer,
};

fn hs256_state(db: &TestDb) -> AppState {
    let verifier = JwtVerifier::hs256(crate::tenants::HS256_SECRET)
        .unwrap()
        .with_issuer(Some(ISSUER.into()))
        .with_audience(Some(AUDIENCE.into()));
    state(db).with_jwt(verifier)
}

/// Asserts a 401 problem with `code` and the Bearer challenge.
fn refused(status: u16, headers: &actix_web::http::header::HeaderMap, body: &[u8], code: &str) -> Value {
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(body));
    let challenge = headers.get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(challenge.starts_with("Bearer"), "WWW-Authenticate: {challenge:?}");
    problem(401, headers, body, code)
}

async fn api_keys_are_checked_on_every_request(db: &TestDb) {
    let repos = repos(db);
    let org = organization(&repos, "hope").await;
    let admin = member(&repos, &org, "ada", Role::Admin).await;
    let state = state(db);
    let app = test::init_service(givance_api::app(state.clone())).await;

    // Missing and malformed headers.
    let (status, headers, body) = call!(&app, TestRequest::get().uri("/api/v1/organization"));
    refused(status, &headers, &body, "missing_credential");
    for header in ["Basic YWRhOnNlY3JldA==", "Bearer", "Bearer ", "Bearer a b", "bearer", &admin.key, "Token x"] {
        let req = TestRequest::get().uri("/api/v1/organization").insert_header(("authorization", header));
        let (status, headers, body) = call!(&app, req);
        refused(status, &headers, &body, "invalid_credential");
    }

    // A valid key.
    let (status, _, body) = call!(&app, get_org(&admin.key));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let got: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(got["id"], org.id.to_string());
    assert_eq!(got["slug"], "hope");
    // "Bearer" is case-insensitive.
    let req = TestRequest::get()
        .uri("/api/v1/organization")
        .insert_header(("authorization", format!("bearer {}", admin.key)));
    assert_eq!(call!(&app, req).0, 200);
    // The use was recorded.
    let listed = repos.api_keys.list(&OrgScope::for_tests(org.id), Default::default()).await.unwrap();
    assert!(listed.items.iter().any(|k| k.last_used_at.is_some()));

    // Wrong keys: a wrong secret for a real prefix, an unknown prefix, a malformed key.
    let (prefix_part, secret) = admin.key.rsplit_once('_').unwrap();
    let flipped: String = secret.chars().map(|c| if c == '0' { '1' } else { '0' }).collect();
    for wrong in [
        format!("{prefix_part}_{flipped}"),
        format!("gv_000000000000_{secret}"),
        format!("{}x", admin.key),
        "gv_short".to_owned(),
    ] {
        let (status, headers, body) = call!(&app, get_org(&wrong));
        let problem = refused(status, &headers, &body, "invalid_credential");
        assert!(!problem.to_string().contains(secret), "the secret is not echoed");
    }

    // An expired key.
    let material = generate().unwrap();
    let expired = NewApiKey {
        staff_id: admin.staff.id,
        name: "old".into(),
        prefix: material.prefix,
        secret_hash: material.secret_hash,
        permissions: vec![],
        expires_at: Some(now() - Duration::seconds(1)),
    };
    repos.api_keys.create(&OrgScope::for_tests(org.id), expired).await.unwrap();
    let (status, headers, body) = call!(&app, get_org(material.token.expose()));
    refused(status, &headers, &body, "expired_credential");

    // A revoked key stops at once.
    let second = key_for(&repos, &org, &admin.staff, &[]).await;
    assert_eq!(call!(&app, get_org(&second)).0, 200);
    let prefix = second.split('_').nth(1).unwrap();
    let key = repos.api_keys.find_by_prefix(prefix).await.unwrap().unwrap().key;
    let req = with_bearer(TestRequest::delete().uri(&format!("/api/v1/api-keys/{}", key.id)), &admin.key);
    assert_eq!(call!(&app, req).0, 204);
    let (status, headers, body) = call!(&app, get_org(&second));
    refused(status, &headers, &body, "revoked_credential");
    assert_eq!(call!(&app, get_org(&admin.key)).0, 200, "the admin's other key still works");

    // A deactivated staff member's keys stop at once, and work again on reactivation.
    let viewer = member(&repos, &org, "vic", Role::Viewer).await;
    assert_eq!(call!(&app, get_org(&viewer.key)).0, 200);
    // (Through the server's own repositories: a change made elsewhere is the next test's.)
    state.repos.staff.deactivate(&OrgScope::for_tests(org.id), viewer.staff.id).await.unwrap();
    let (status, headers, body) = call!(&app, get_org(&viewer.key));
    let problem = refused(status, &headers, &body, "invalid_credential");
    assert!(problem["detail"].as_str().unwrap().contains("deactivated"), "{problem}");
    state.repos.staff.reactivate(&OrgScope::for_tests(org.id), viewer.staff.id).await.unwrap();
    assert_eq!(call!(&app, get_org(&viewer.key)).0, 200);

    // Without JWT configuration, a JWT is refused.
    let (status, headers, body) = call!(&app, get_org(&hs256(&claims(&admin, json!({})))));
    let problem = refused(status, &headers, &body, "invalid_credential");
    assert!(problem["detail"].as_str().unwrap().contains("not accepted"), "{problem}");
}
on_both_backends!(api_key_credentials, api_keys_are_checked_on_every_request);

/// Waits (up to 10 s) until the server serves key lookups from memory: on PostgreSQL once its
/// listener is connected; never on SQLite.
async fn cached_when_postgres(state: &AppState, db: &TestDb) {
    if db.backend() != DatabaseBackend::Postgres {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!state.repos.credentials_cached(), "SQLite never caches credentials");
        return;
    }
    eventually(|| async { state.repos.credentials_cached() }, "the credential cache to serve").await;
}

/// Polls `check` every 10 ms for up to 10 s.
async fn eventually<F, Fut>(check: F, what: &str)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..1000 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("waited 10 s for {what}");
}

async fn changes_made_elsewhere_reach_a_server_that_caches_keys(db: &TestDb) {
    let state = state(db);
    let app = test::init_service(givance_api::app(state.clone())).await;
    cached_when_postgres(&state, db).await;
    // Another process: repositories of their own, and plain SQL.
    let elsewhere = repos(db);
    let org = organization(&elsewhere, "hope").await;
    let admin = member(&elsewhere, &org, "ada", Role::Admin).await;
    let fundraiser = member(&elsewhere, &org, "fay", Role::Fundraiser).await;
    let scope = OrgScope::for_tests(org.id);
    let status_of = |key: String| {
        let app = &app;
        async move { call!(app, get_org(&key)).0 }
    };
    let donors = |key: String| {
        let app = &app;
        async move { call!(app, with_bearer(TestRequest::get().uri("/api/v1/donations"), &key)).0 }
    };

    // Served (and on PostgreSQL cached) before each change.
    assert_eq!(status_of(admin.key.clone()).await, 200);
    assert_eq!(status_of(admin.key.clone()).await, 200);
    let prefix = admin.key.split('_').nth(1).unwrap();
    let key = elsewhere.api_keys.find_by_prefix(prefix).await.unwrap().unwrap().key;
    elsewhere.api_keys.revoke(&scope, key.id).await.unwrap();
    eventually(|| async { status_of(admin.key.clone()).await == 401 }, "a key revoked elsewhere to be refused").await;

    // A staff member deactivated, then reactivated with a lower role.
    assert_eq!(donors(fundraiser.key.clone()).await, 200, "fundraisers read donations");
    elsewhere.staff.deactivate(&scope, fundraiser.staff.id).await.unwrap();
    eventually(|| async { status_of(fundraiser.key.clone()).await == 401 }, "a staff member deactivated elsewhere")
        .await;
    let lower = StaffPatch { role: Some(Role::Viewer), is_active: Some(true), ..StaffPatch::default() };
    elsewhere.staff.update(&scope, fundraiser.staff.id, lower).await.unwrap();
    eventually(|| async { donors(fundraiser.key.clone()).await == 403 }, "a role lowered elsewhere").await;
    assert_eq!(status_of(fundraiser.key.clone()).await, 200, "a viewer still reads the organization");

    // A key deleted by plain SQL (the prefix is hex: safe to inline).
    let other = member(&elsewhere, &org, "bob", Role::Admin).await;
    assert_eq!(status_of(other.key.clone()).await, 200);
    let prefix = other.key.split('_').nth(1).unwrap();
    db.conn().execute_unprepared(&format!("DELETE FROM api_keys WHERE prefix = '{prefix}'")).await.unwrap();
    eventually(|| async { status_of(other.key.clone()).await == 401 }, "a key deleted elsewhere").await;
    if db.backend() == DatabaseBackend::Postgres {
        assert!(state.repos.credentials_cached(), "the cache kept serving through all of it");
        // The cache does serve: a revocation with the triggers off goes unnoticed until the
        // next notification.
        let cy = member(&elsewhere, &org, "cy", Role::Admin).await;
        assert_eq!(status_of(cy.key.clone()).await, 200);
        let prefix = cy.key.split('_').nth(1).unwrap();
        let sql = |statement: String| async move { db.conn().execute_unprepared(&statement).await.unwrap() };
        sql("ALTER TABLE api_keys DISABLE TRIGGER USER".into()).await;
        sql(format!("UPDATE api_keys SET revoked_at = now() WHERE prefix = '{prefix}'")).await;
        assert_eq!(status_of(cy.key.clone()).await, 200, "served from memory");
        sql("ALTER TABLE api_keys ENABLE TRIGGER USER".into()).await;
        sql("NOTIFY givance_credentials".into()).await;
        eventually(|| async { status_of(cy.key.clone()).await == 401 }, "any notification to empty the cache").await;
    }
}
on_both_backends!(credentials_changed_elsewhere, changes_made_elsewhere_reach_a_server_that_caches_keys);

async fn jwts_are_verified_and_bound_to_active_staff(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let ada = member(&repos, &hope, "ada", Role::Admin).await;
    let bob = member(&repos, &other, "bob", Role::Admin).await;
    let vic = member(&repos, &hope, "vic", Role::Viewer).await;
    let app = test::init_service(givance_api::app(hs256_state(db))).await;

    // A valid JWT; the organization comes from the token, not from anything else.
    let (status, _, body) = call!(&app, get_org(&hs256(&claims(&ada, json!({})))));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["id"], hope.id.to_string());
    let (status, _, body) = call!(&app, get_org(&hs256(&claims(&bob, json!({})))));
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["id"], other.id.to_string());
    // API keys work alongside.
    assert_eq!(call!(&app, get_org(&ada.key)).0, 200);

    let expired = json!({ "exp": Utc::now().timestamp() - 120, "nbf": Utc::now().timestamp() - 600 });
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "another organization's org_id",
            hs256(&claims(&ada, json!({ "org_id": other.clerk_id }))),
            "invalid_credential",
        ),
        ("an unknown organization", hs256(&claims(&ada, json!({ "org_id": "org_nope" }))), "invalid_credential"),
        ("an unknown user", hs256(&claims(&ada, json!({ "sub": "user_nope" }))), "invalid_credential"),
        ("no org_id", hs256(&claims(&ada, json!({ "org_id": null }))), "invalid_credential"),
        ("the wrong issuer", hs256(&claims(&ada, json!({ "iss": "https://evil.example" }))), "invalid_credential"),
        ("no issuer", hs256(&claims(&ada, json!({ "iss": null }))), "invalid_credential"),
        ("the wrong audience", hs256(&claims(&ada, json!({ "aud": "someone-else" }))), "invalid_credential"),
        ("no exp", hs256(&claims(&ada, json!({ "exp": null }))), "invalid_credential"),
        ("not valid yet", hs256(&claims(&ada, json!({ "nbf": Utc::now().timestamp() + 600 }))), "invalid_credential"),
        ("an expired token", hs256(&claims(&ada, expired)), "expired_credential"),
        ("an RS256 token", rs256(&claims(&ada, json!({})), RSA_PRIVATE, Some(JWKS_KID)), "invalid_credential"),
        ("garbage", "not.a.jwt".to_owned(), "invalid_credential"),
    ];
    for (what, token, code) in cases {
        let (status, headers, body) = call!(&app, get_org(&token));
        assert_eq!(status, 401, "{what}: {}", String::from_utf8_lossy(&body));
        refused(status, &headers, &body, code);
    }
    // A signature by another secret, and an unsigned token ("alg": "none").
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(&ada, json!({})),
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-xx"),
    )
    .unwrap();
    let (status, headers, body) = call!(&app, get_org(&forged));
    refused(status, &headers, &body, "invalid_credential");
    let signed = hs256(&claims(&ada, json!({})));
    let mut parts = signed.split('.');
    let (_, payload) = (parts.next(), parts.next().unwrap());
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let (status, headers, body) = call!(&app, get_org(&unsigned));
    refused(status, &headers, &body, "invalid_credential");

    // Permissions come from the staff member: a viewer cannot change the organization.
    let viewer_jwt = hs256(&claims(&vic, json!({})));
    assert_eq!(call!(&app, get_org(&viewer_jwt)).0, 200);
    let req =
        with_bearer(TestRequest::patch().uri("/api/v1/organization"), &viewer_jwt).set_json(json!({ "name": "X" }));
    let (status, headers, body) = call!(&app, req);
    problem(403, &headers, &body, "forbidden");
    assert_eq!(status, 403);

    // A deactivated staff member's JWT stops at once.
    repos.staff.deactivate(&OrgScope::for_tests(hope.id), vic.staff.id).await.unwrap();
    let (status, headers, body) = call!(&app, get_org(&viewer_jwt));
    refused(status, &headers, &body, "invalid_credential");
}
on_both_backends!(jwt_credentials, jwts_are_verified_and_bound_to_active_staff);

async fn jwts_verify_against_a_jwks_file(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let ada = member(&repos, &hope, "ada", Role::Admin).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, JWKS).unwrap();
    let verifier = JwtVerifier::jwks_file(&path).unwrap().with_issuer(Some(ISSUER.into()));
    let app = test::init_service(givance_api::app(state(db).with_jwt(verifier))).await;

    let good = rs256(&claims(&ada, json!({})), RSA_PRIVATE, Some(JWKS_KID));
    let (status, _, body) = call!(&app, get_org(&good));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    // With no audience configured, a token's audience is not checked.
    assert_eq!(call!(&app, get_org(&rs256(&claims(&ada, json!({ "aud": null })), RSA_PRIVATE, None))).0, 200);

    for (what, token) in [
        ("another key's signature", rs256(&claims(&ada, json!({})), OTHER_RSA_PRIVATE, Some(JWKS_KID))),
        ("an unknown kid", rs256(&claims(&ada, json!({})), RSA_PRIVATE, Some("nope"))),
        ("an HS256 token (algorithm confusion)", hs256(&claims(&ada, json!({})))),
        ("the wrong issuer", rs256(&claims(&ada, json!({ "iss": "x" })), RSA_PRIVATE, Some(JWKS_KID))),
    ] {
        let (status, headers, body) = call!(&app, get_org(&token));
        assert_eq!(status, 401, "{what}");
        refused(status, &headers, &body, "invalid_credential");
    }
}
on_both_backends!(jwks_file_credentials, jwts_verify_against_a_jwks_file);

/// Serves `body` as JSON to every request on a local port; counts the requests.
fn jwks_server(body: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, hits)
}

async fn jwts_verify_against_a_jwks_url_fetched_once(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let ada = member(&repos, &hope, "ada", Role::Admin).await;
    let (url, hits) = jwks_server(JWKS);
    let verifier =
        JwtVerifier::jwks_url(&url).unwrap().with_issuer(Some(ISSUER.into())).with_audience(Some(AUDIENCE.into()));
    let app = test::init_service(givance_api::app(state(db).with_jwt(verifier))).await;
    assert_eq!(hits.load(Ordering::SeqCst), 0, "fetched on first use, not before");

    let good = rs256(&claims(&ada, json!({})), RSA_PRIVATE, Some(JWKS_KID));
    for _ in 0..3 {
        let (status, _, body) = call!(&app, get_org(&good));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the JWKS is cached");
    let (status, headers, body) =
        call!(&app, get_org(&rs256(&claims(&ada, json!({})), OTHER_RSA_PRIVATE, Some(JWKS_KID))));
    refused(status, &headers, &body, "invalid_credential");

    // A provider that does not answer: the token cannot be verified (401, never a 500).
    let dead = format!(
        "http://127.0.0.1:{}/jwks.json",
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    );
    let app = test::init_service(givance_api::app(state(db).with_jwt(JwtVerifier::jwks_url(&dead).unwrap()))).await;
    let (status, headers, body) = call!(&app, get_org(&good));
    refused(status, &headers, &body, "invalid_credential");
}
on_both_backends!(jwks_url_credentials, jwts_verify_against_a_jwks_url_fetched_once);

/// Whether `email`'s invited user still waits for a first sign-in.
async fn still_invited(repos: &givance_infra::Repositories, email: &str) -> bool {
    let email = EmailAddress::parse(email).unwrap();
    !repos.users.find_invited_by_email(&email).await.unwrap().is_empty()
}

async fn an_invited_user_signs_in_once_with_their_email(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let ada = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(hs256_state(db))).await;
    let invite = |email: &str| post(&ada.key, "/api/v1/staff", json!({ "email": email, "role": "viewer" }));
    let (status, _, nia) = call!(&app, invite("Nia@Example.org"));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&nia));
    let (status, _, dee) = call!(&app, invite("dee@example.org"));
    assert_eq!(status, 201);
    let dee_staff = StaffId::from_uuid(json_of(&dee)["id"].as_str().unwrap().parse().unwrap());
    repos.staff.deactivate(&OrgScope::for_tests(hope.id), dee_staff).await.unwrap();
    // The claims of a token the identity provider issues on first sign-in.
    let first = |sub: &str, changes: Value| {
        let mut changes_over_ada = json!({ "sub": sub, "email": "nia@example.org" });
        for (k, v) in changes.as_object().unwrap() {
            changes_over_ada[k] = v.clone();
        }
        hs256(&claims(&ada, changes_over_ada))
    };

    let refusals: Vec<(&str, String)> = vec![
        ("no email", first("user_nia", json!({ "email": null }))),
        ("an unverified email", first("user_nia", json!({ "email_verified": false }))),
        ("another address", first("user_nia", json!({ "email": "nina@example.org" }))),
        ("an organization she is not staff of", first("user_nia", json!({ "org_id": other.clerk_id }))),
        ("a deactivated invitation", first("user_dee", json!({ "email": "dee@example.org" }))),
    ];
    for (what, token) in refusals {
        let (status, headers, body) = call!(&app, get_org(&token));
        assert_eq!(status, 401, "{what}: {}", String::from_utf8_lossy(&body));
        refused(status, &headers, &body, "invalid_credential");
    }
    assert!(still_invited(&repos, "nia@example.org").await && still_invited(&repos, "dee@example.org").await);

    // Her first token binds the invitation (the address compared case-insensitively); the
    // staff member's permissions apply.
    let nia_jwt = first("user_nia", json!({ "email": "NIA@example.ORG", "email_verified": true }));
    let (status, _, body) = call!(&app, get_org(&nia_jwt));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["id"], hope.id.to_string());
    let bound = repos.users.find_by_clerk_id("user_nia").await.unwrap().expect("bound to the sub");
    assert_eq!(bound.id.to_string(), json_of(&nia)["user"]["id"].as_str().unwrap());
    assert!(!still_invited(&repos, "nia@example.org").await);
    let req = with_bearer(TestRequest::patch().uri("/api/v1/organization"), &nia_jwt).set_json(json!({ "name": "X" }));
    assert_eq!(call!(&app, req).0, 403, "a viewer");
    // Later tokens are found by `sub`, with or without the email.
    assert_eq!(call!(&app, get_org(&first("user_nia", json!({ "email": null })))).0, 200);

    // Another identity with her address cannot take the invitation over.
    let (status, headers, body) = call!(&app, get_org(&first("user_mallory", json!({}))));
    refused(status, &headers, &body, "invalid_credential");
    assert!(repos.users.find_by_clerk_id("user_mallory").await.unwrap().is_none());
    assert_eq!(repos.users.find_by_clerk_id("user_nia").await.unwrap().map(|u| u.id), Some(bound.id));
}
on_both_backends!(jwt_invited_first_sign_in, an_invited_user_signs_in_once_with_their_email);
