//! Organizations, staff and credentials for the authentication tests: rows made through the
//! repositories, tokens made as the application makes them, JWTs signed here.

use actix_web::test::TestRequest;
use chrono::Utc;
use givance_domain::api_key::ApiKeyRequest;
use givance_domain::organization::{NewOrganization, Organization, Slug};
use givance_domain::shared::time::now;
use givance_domain::staff::{NewStaff, Role, Staff};
use givance_domain::user::{NewUser, User};
use givance_domain::{EmailAddress, OrgScope};
use givance_infra::Repositories;
use givance_infra::credentials::issue_api_key;
use givance_tests::TestDb;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

pub const HS256_SECRET: &str = "a-test-secret-of-at-least-32-bytes!!";
pub const ISSUER: &str = "https://clerk.example.test";
pub const AUDIENCE: &str = "givance-test";
/// Test-only RSA keys (generated for these tests; they protect nothing).
pub const RSA_PRIVATE: &str = include_str!("../fixtures/jwt-rs256-private.pem");
pub const OTHER_RSA_PRIVATE: &str = include_str!("../fixtures/jwt-rs256-other-private.pem");
pub const JWKS: &str = include_str!("../fixtures/jwks.json");
pub const JWKS_KID: &str = "test-key-1";

pub struct Member {
    pub org: Organization,
    pub user: User,
    pub staff: Staff,
    /// An API key of this staff member with their own permissions.
    pub key: String,
}

pub async fn organization(repos: &Repositories, slug: &str) -> Organization {
    let new = NewOrganization::new(&format!("org_{slug}"), &format!("Org {slug}"), Slug::parse(slug).unwrap()).unwrap();
    repos.organizations.create(new).await.unwrap()
}

/// A user, staff of `org` with `role`, and an API key for them.
pub async fn member(repos: &Repositories, org: &Organization, name: &str, role: Role) -> Member {
    member_with(repos, org, name, role, &[]).await
}

pub async fn member_with(repos: &Repositories, org: &Organization, name: &str, role: Role, extra: &[&str]) -> Member {
    let email = EmailAddress::parse(&format!("{name}@example.org")).unwrap();
    let user = repos.users.create(NewUser::new(&format!("user_{name}"), email, None, None).unwrap()).await.unwrap();
    let scope = OrgScope::for_tests(org.id);
    let permissions = extra.iter().map(|p| (*p).to_owned()).collect();
    let staff = repos.staff.create(&scope, NewStaff { user_id: user.id, role, permissions }).await.unwrap();
    let key = key_for(repos, org, &staff, &[]).await;
    Member { org: org.clone(), user, staff, key }
}

/// Another API key for `staff`, narrowed to `permissions` when not empty.
pub async fn key_for(repos: &Repositories, org: &Organization, staff: &Staff, permissions: &[&str]) -> String {
    let permissions: Vec<String> = permissions.iter().map(|p| (*p).to_owned()).collect();
    let request = ApiKeyRequest::new(staff.id, "test", &permissions, None, now()).unwrap();
    let (_, token) = issue_api_key(repos.api_keys.as_ref(), &OrgScope::for_tests(org.id), request).await.unwrap();
    token.expose().to_owned()
}

pub fn repos(db: &TestDb) -> Repositories {
    Repositories::new(db.conn())
}

/// Standard claims for `member`, valid for an hour; `changes` are merged over them.
pub fn claims(member: &Member, changes: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut claims = json!({
        "sub": member.user.clerk_id,
        "org_id": member.org.clerk_id,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now - 5,
        "exp": now + 3600,
    });
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

pub fn hs256(claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(HS256_SECRET.as_bytes()))
        .unwrap()
}

pub fn rs256(claims: &Value, private_pem: &str, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap()).unwrap()
}

pub fn with_bearer(req: TestRequest, token: &str) -> TestRequest {
    req.insert_header(("authorization", format!("Bearer {token}")))
}

pub fn get_org(token: &str) -> TestRequest {
    with_bearer(TestRequest::get().uri("/api/v1/organization"), token)
}

pub fn patch_org(token: &str, body: Value) -> TestRequest {
    with_bearer(TestRequest::patch().uri("/api/v1/organization"), token).set_json(body)
}

/// A request with `Authorization: Bearer <token>` for the resource tests.
pub fn get(token: &str, uri: &str) -> TestRequest {
    with_bearer(TestRequest::get().uri(uri), token)
}

pub fn post(token: &str, uri: &str, body: Value) -> TestRequest {
    with_bearer(TestRequest::post().uri(uri), token).set_json(body)
}

pub fn patch(token: &str, uri: &str, body: Value) -> TestRequest {
    with_bearer(TestRequest::patch().uri(uri), token).set_json(body)
}

pub fn delete(token: &str, uri: &str) -> TestRequest {
    with_bearer(TestRequest::delete().uri(uri), token)
}

pub fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| panic!("JSON: {}", String::from_utf8_lossy(body)))
}
