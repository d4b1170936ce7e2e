//! The OpenAPI document and the /docs page, over HTTP on the real app. Every assertion loops
//! over the served document, so a route module added later is held to the same rules: unique
//! operation ids, tags, the bearer requirement with 401/403 on every non-public operation, 404
//! on operations that take an id, 413/422 where a body is accepted, capped `limit`s, resolvable
//! `$ref`s, problem+json error bodies, and every documented (method, path) really routed.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::Method;
use actix_web::test;
use givance_domain::staff::Role;
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, content_type, problem, state};
use crate::tenants::{get, json_of, member, organization, post, repos};

/// The operations that need no credential: health probes and the documentation itself.
const PUBLIC: &[&str] = &["/healthz", "/readyz", "/api/v1/openapi.json", "/docs"];

/// Paths whose operations any valid credential may call (the caller's own staff record): no
/// permission to lack, so no 403 to document. Listed here so that the exception stays visible.
const ANY_CREDENTIAL: &[&str] = &["/api/v1/me"];

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// One documented operation.
struct Operation {
    method: &'static str,
    path: String,
    op: Value,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    fn statuses(&self) -> BTreeSet<String> {
        self.op["responses"].as_object().map(|r| r.keys().cloned().collect()).unwrap_or_default()
    }

    /// The operation's own parameters and its path item's.
    fn parameters<'a>(&'a self, doc: &'a Value) -> Vec<&'a Value> {
        let item = &doc["paths"][&self.path]["parameters"];
        self.op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(item.as_array().into_iter().flatten())
            .map(|p| resolve(doc, p))
            .collect()
    }

    /// `security: [{}]` (or `[]`) on the operation: no credential needed.
    fn is_public(&self) -> bool {
        self.op["security"]
            .as_array()
            .is_some_and(|reqs| reqs.is_empty() || reqs.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty())))
    }
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                out.push(Operation { method, path: path.clone(), op: op.clone() });
            }
        }
    }
    out
}

/// `value`, or what its `$ref` points at.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or_else(|| panic!("unresolved $ref #{pointer}")),
        None => value,
    }
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

async fn document(db: &TestDb) -> Value {
    let app = test::init_service(givance_api::app(state(db))).await;
    let (status, headers, body) = call!(&app, test::TestRequest::get().uri("/api/v1/openapi.json"));
    assert_eq!(status, 200, "served without a credential: {}", String::from_utf8_lossy(&body));
    assert!(content_type(&headers).starts_with("application/json"), "{}", content_type(&headers));
    serde_json::from_slice(&body).expect("the document is JSON")
}

async fn the_document_holds_its_rules(db: &TestDb) {
    let doc = document(db).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "Givance");
    assert!(doc["info"]["version"].as_str().is_some_and(|v| !v.is_empty()));
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!((scheme["type"].as_str(), scheme["scheme"].as_str()), (Some("http"), Some("bearer")), "{scheme}");
    let global: Vec<Value> = doc["security"].as_array().cloned().unwrap_or_default();
    let declared_tags: BTreeSet<&str> =
        doc["tags"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();

    let tag_names: Vec<&str> =
        doc["tags"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(tag_names.len(), declared_tags.len(), "a tag is declared twice: {tag_names:?}");

    let ops = operations(&doc);
    // The operations this suite was written against, at least (health, docs, organization,
    // API keys, donors, projects): a document that lost a module fails here.
    assert!(ops.len() >= 23, "only {} operations documented", ops.len());
    // Every broken rule of every operation, reported together.
    let mut faults: Vec<String> = Vec::new();
    let mut fault = |ok: bool, message: String| {
        if !ok {
            faults.push(message);
        }
    };
    let mut ids = BTreeMap::new();
    for op in &ops {
        let name = op.name();
        match op.op["operationId"].as_str() {
            None => fault(false, format!("{name}: no operationId")),
            Some(id) => {
                if let Some(other) = ids.insert(id.to_owned(), name.clone()) {
                    fault(false, format!("operationId {id} is used by {other} and {name}"));
                }
            }
        }
        let tags: Vec<&str> = op.op["tags"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        fault(!tags.is_empty(), format!("{name}: no tag"));
        for tag in tags {
            fault(declared_tags.contains(tag), format!("{name}: tag '{tag}' is not declared in ApiDoc's tags"));
        }
        let statuses = op.statuses();
        fault(statuses.iter().any(|s| s.starts_with('2')), format!("{name}: no success response ({statuses:?})"));

        let public = PUBLIC.contains(&op.path.as_str());
        fault(op.is_public() == public, format!("{name}: public is {} in the document", op.is_public()));
        if !public {
            let requirements = op.op.get("security").and_then(Value::as_array).cloned().unwrap_or(global.clone());
            fault(
                requirements.iter().any(|r| r.get("bearer").is_some()),
                format!("{name}: does not require the bearer scheme ({requirements:?})"),
            );
            fault(statuses.contains("401"), format!("{name}: 401 not listed ({statuses:?})"));
            if !ANY_CREDENTIAL.contains(&op.path.as_str()) {
                fault(statuses.contains("403"), format!("{name}: 403 not listed ({statuses:?})"));
            }
        }
        if op.path.contains("{id}") {
            fault(statuses.contains("404"), format!("{name}: takes an id but lists no 404 ({statuses:?})"));
        }
        if op.op.get("requestBody").is_some() {
            for status in ["400", "413", "422"] {
                fault(
                    statuses.contains(status),
                    format!("{name}: accepts a body but lists no {status} ({statuses:?})"),
                );
            }
        }
        for param in op.parameters(&doc) {
            if param["name"] == "limit" {
                let schema = resolve(&doc, &param["schema"]);
                fault(schema["maximum"].is_number(), format!("{name}: `limit` has no maximum ({param})"));
                fault(schema["minimum"].is_number(), format!("{name}: `limit` has no minimum ({param})"));
            }
        }
        for (status, response) in op.op["responses"].as_object().into_iter().flatten() {
            if status.starts_with('4') || status.starts_with('5') {
                let response = resolve(&doc, response);
                fault(
                    response["content"].get("application/problem+json").is_some(),
                    format!("{name}: the {status} response is not a problem+json body"),
                );
            }
        }
    }
    assert!(faults.is_empty(), "the document breaks its rules:\n{}", faults.join("\n"));

    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for reference in all {
        let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {reference}"));
        assert!(doc.pointer(pointer).is_some(), "$ref {reference} does not resolve");
    }
}

/// `path` with every `{parameter}` replaced by `value`.
fn fill_parameters(path: &str, value: &str) -> String {
    path.split('/')
        .map(|segment| if segment.starts_with('{') && segment.ends_with('}') { value } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// Each documented operation, called without a credential: a secured one answers 401 (so it is
/// routed, and guarded), a public one neither 404 nor 405.
async fn every_documented_operation_is_routed(db: &TestDb) {
    let doc = document(db).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let id = uuid::Uuid::now_v7().to_string();
    for op in operations(&doc) {
        let uri = fill_parameters(&op.path, &id);
        let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
        let (status, headers, body) = call!(&app, test::TestRequest::default().method(method).uri(&uri));
        if PUBLIC.contains(&op.path.as_str()) {
            assert!(![404, 405].contains(&status), "{}: {status} {}", op.name(), String::from_utf8_lossy(&body));
        } else {
            assert_eq!(status, 401, "{}: {}", op.name(), String::from_utf8_lossy(&body));
            problem(401, &headers, &body, "missing_credential");
        }
    }
}

async fn the_docs_page_is_html(db: &TestDb) {
    let app = test::init_service(givance_api::app(state(db))).await;
    let (status, headers, body) = call!(&app, test::TestRequest::get().uri("/docs"));
    assert_eq!(status, 200);
    assert!(content_type(&headers).starts_with("text/html"), "{}", content_type(&headers));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<title>Givance API</title>"), "{html}");
    assert!(html.contains("\"openapi\":\"3.1"), "the page embeds the document");
}

/// The limits written in the annotations (literals: utoipa takes no constants there) are the
/// ones the code enforces.
async fn the_limits_are_the_code_s(db: &TestDb) {
    use givance_api::routes::{api_keys, donors, projects};

    let doc = document(db).await;
    let limit_max = |path: &str| {
        let op = Operation { method: "get", path: path.to_owned(), op: doc["paths"][path]["get"].clone() };
        let limit = op.parameters(&doc).into_iter().find(|p| p["name"] == "limit").cloned();
        limit.map(|p| p["schema"]["maximum"].as_u64()).unwrap_or_else(|| panic!("{path}: no limit"))
    };
    assert_eq!(limit_max("/api/v1/projects"), Some(projects::MAX_LIMIT));
    assert_eq!(limit_max("/api/v1/donors"), Some(donors::MAX_LIMIT));
    assert_eq!(limit_max("/api/v1/donors/deleted"), Some(donors::MAX_LIMIT));
    assert_eq!(limit_max("/api/v1/api-keys"), Some(givance_domain::shared::page::MAX_PAGE_SIZE));

    let schema = |name: &str| doc["components"]["schemas"][name]["properties"].clone();
    let max = |props: &Value, field: &str, key: &str| props[field][key].as_u64();
    let keys = schema("CreateApiKeyRequest");
    assert_eq!(max(&keys, "expires_in_days", "maximum"), Some(u64::from(api_keys::MAX_EXPIRES_IN_DAYS)));
    let project = schema("CreateProjectRequest");
    assert_eq!(max(&project, "name", "maxLength"), Some(projects::NAME_MAX as u64));
    assert_eq!(max(&project, "description", "maxLength"), Some(projects::DESCRIPTION_MAX as u64));
    let donor = schema("CreateDonorRequest");
    assert_eq!(max(&donor, "first_name", "maxLength"), Some(givance_domain::donor::NAME_MAX as u64));
    assert_eq!(max(&donor, "notes", "maxLength"), Some(givance_domain::donor::NOTES_MAX as u64));
    assert_eq!(max(&donor, "tags", "maxItems"), Some(givance_domain::donor::TAGS_MAX as u64));
}

/// Real error bodies fit the documented `Problem` schema: every member is a documented
/// property, every required one is there (a 401 without a credential, a 422 with field errors).
async fn problem_bodies_fit_the_problem_schema(db: &TestDb) {
    let doc = document(db).await;
    let schema = &doc["components"]["schemas"]["Problem"];
    let properties = schema["properties"].as_object().expect("Problem has properties");
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let field_error = &doc["components"]["schemas"]["FieldError"]["properties"];

    let repos = repos(db);
    let org = organization(&repos, "openapi-problems").await;
    let admin = member(&repos, &org, "openapi-admin", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    let (status, headers, body) = call!(&app, test::TestRequest::get().uri("/api/v1/donors"));
    assert_eq!(status, 401);
    let unauthorized = problem(401, &headers, &body, "missing_credential");
    let (status, headers, body) =
        call!(&app, post(&admin.key, "/api/v1/projects", json!({ "name": " ", "settings": 3 })));
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    let invalid = problem(422, &headers, &body, "validation_failed");
    assert_eq!(invalid["errors"].as_array().map(Vec::len), Some(2), "{invalid}");

    for body in [&unauthorized, &invalid] {
        let members = body.as_object().unwrap();
        for key in members.keys() {
            assert!(properties.contains_key(key), "'{key}' is not in the Problem schema: {body}");
        }
        for key in &required {
            assert!(members.contains_key(*key), "required '{key}' missing: {body}");
        }
    }
    for error in invalid["errors"].as_array().unwrap() {
        let keys: BTreeSet<&String> = error.as_object().unwrap().keys().collect();
        let documented: BTreeSet<&String> = field_error.as_object().unwrap().keys().collect();
        assert_eq!(keys, documented, "{error}");
    }
    let (_, _, body) = call!(&app, get(&admin.key, "/api/v1/projects"));
    assert_eq!(json_of(&body)["data"], json!([]), "the refused create stored nothing");
}

on_both_backends!(openapi_document, the_document_holds_its_rules);
on_both_backends!(openapi_operations_routed, every_documented_operation_is_routed);
on_both_backends!(openapi_docs_page, the_docs_page_is_html);
on_both_backends!(openapi_limits, the_limits_are_the_code_s);
on_both_backends!(openapi_problem_bodies, problem_bodies_fit_the_problem_schema);
