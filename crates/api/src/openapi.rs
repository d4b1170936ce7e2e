//! The OpenAPI 3.1 document, generated from the code with utoipa, served at
//! `GET /api/v1/openapi.json`, and a browsable Scalar page at `GET /docs`; both are public.
//!
//! Each route module documents its handlers with `#[utoipa::path(...)]`, writing each `path` as
//! the module registers it in its `configure` (relative to the scope it is mounted under), and
//! ends with `#[derive(utoipa::OpenApi)] #[openapi(paths(...), components(schemas(...)))] pub struct Api;`.
//! [`modules`] is the one list of those documents: adding a module is one line there, plus its
//! tag in [`ApiDoc`]'s `tags(...)` (the HTTP tests refuse an undeclared tag).
//! Errors are described once, in `crate::error` (the [`Problem`] schema and one reusable
//! response per status, registered here), so a handler lists them as
//! `(status = 404, response = NotFound)`. utoipa allows nothing else beside `response = ...`;
//! for a status-specific description write
//! `(status = 409, description = "...", body = Problem, content_type = "application/problem+json")`.
//! Limits in the annotations must be literals (utoipa takes no constants there); the HTTP tests
//! compare the important ones with the constants the code enforces.

use std::sync::LazyLock;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_scalar::Scalar;

use crate::error::{
    ApiError, BadRequest, Conflict, FieldError, Forbidden, NotFound, PayloadTooLarge, Problem, ServiceUnavailable,
    Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use crate::routes::{self, API_BASE};

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
/// Where the browsable page is served.
pub const DOCS_PATH: &str = "/docs";
/// The name of the security scheme every authenticated operation requires.
pub const BEARER: &str = "bearer";

/// Every route module's document, with the prefix its routes are mounted under in
/// `routes::configure`. A new module adds its line here.
fn modules() -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
    vec![
        ("", routes::health::Api::openapi()),
        (API_BASE, routes::organization::Api::openapi()),
        (API_BASE, routes::api_keys::Api::openapi()),
        (API_BASE, routes::communications::Api::openapi()),
        (API_BASE, routes::threads::Api::openapi()),
        (API_BASE, routes::timeline::Api::openapi()),
        (API_BASE, routes::donors::Api::openapi()),
        (API_BASE, routes::donor_lists::Api::openapi()),
        (API_BASE, routes::projects::Api::openapi()),
        (API_BASE, routes::donations::Api::openapi()),
        (API_BASE, routes::staff::Api::openapi()),
        (API_BASE, routes::imports::Api::openapi()),
        (API_BASE, routes::exports::Api::openapi()),
        (API_BASE, routes::reports::Api::openapi()),
        (API_BASE, routes::templates::Api::openapi()),
        (API_BASE, routes::todos::Api::openapi()),
    ]
}

/// The top of the document: info, the security scheme and the global requirement, tags, and the
/// components every module shares (the problem body and the error responses).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Givance",
        description = "Multi-tenant donor management for nonprofits: donors, projects, donations, \
            staff and more, for one organization per credential.\n\n\
            Every operation except health and this documentation needs \
            `Authorization: Bearer <token>` (see the `bearer` scheme). JSON is snake_case, \
            timestamps are RFC 3339 UTC, money is a decimal string (`\"25.00\"`) with a `currency`. \
            Lists are keyset-paginated: `?limit=&cursor=`, answered with `{\"data\": [...], \"next_cursor\": ...}`; \
            pass `next_cursor` back as `cursor` until it is null. Errors are \
            `application/problem+json` (RFC 9457) with a stable `code`; a 422 lists each invalid field. \
            Another organization's resource is a 404, never a 403.",
    ),
    paths(openapi_json, docs_page),
    components(
        schemas(Problem, FieldError),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            ValidationFailed,
            ServiceUnavailable
        )
    ),
    modifiers(&BearerScheme),
    security(("bearer" = [])),
    tags(
        (name = "health", description = "Liveness and readiness probes; no credential."),
        (name = "meta", description = "This document and its browsable page; no credential."),
        (name = "organization", description = "The caller's own organization."),
        (name = "api-keys", description = "First-party API keys (`staff:manage`)."),
        (name = "donors", description = "Donors (individuals and couples), their giving summary, soft delete and erasure."),
        (name = "donor-lists", description = "Static and dynamic (filter-defined) lists of donors, their members, and snapshots."),
        (name = "projects", description = "Projects donations go to, with progress against a target."),
        (name = "communications", description = "Every contact with a donor, on any channel; logging a sent or received one moves the donor's `last_contact_date`."),
        (name = "threads", description = "Threads grouping communications: staff and donor participants, active / archived / resolved, tags and internal notes."),
        (name = "donations", description = "Gifts from donors, optionally to a project; receipts; `Idempotency-Key` on create."),
        (name = "staff", description = "Staff members and their users: directory, invitations, roles, deactivation, signatures, and `/me`."),
        (name = "imports", description = "CSV imports of donors and donations, with a report of each row."),
        (name = "exports", description = "CSV exports of donors and donations."),
        (name = "reports", description = "Fundraising reports by fiscal year and date range: LYBUNT, SYBUNT, retention, giving by month, project and payment method, top donors; JSON or CSV."),
        (name = "templates", description = "Reusable message templates with `{{variable}}` placeholders: preview for a donor, usage counts."),
        (name = "todos", description = "Tasks for staff, with filters (status, assignee, donor, project, due range, overdue) and suggested follow-ups."),
    )
)]
pub struct ApiDoc;

/// The `bearer` scheme (added here because the derive cannot describe a security scheme).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("gv_<prefix>_<secret> API key, or JWT")
            .description(Some(
                "`Authorization: Bearer <token>`, where the token is either\n\n\
                 * a first-party **API key** `gv_<prefix>_<secret>` (created with `POST /api/v1/api-keys` or \
                 `givance api-key create`; bound to one organization and one staff member, optionally \
                 narrowed to some permissions and given an expiry; shown once, stored only as a hash), or\n\
                 * a **JWT** from a Clerk-compatible identity provider, verified against the configured keys: \
                 `sub` is the user's `clerk_id`, `org_id` the organization's `clerk_id`.\n\n\
                 A missing, malformed, unknown, revoked or expired credential is a 401 with \
                 `WWW-Authenticate: Bearer`; a valid one lacking the operation's permission is a 403.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER, SecurityScheme::Http(scheme));
    }
}

/// One page of a keyset list.
// The schema of `crate::fields::ListResponse<T>` (a unit test keeps the two alike), for
// `body = Page<T>` in a handler's responses.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass it back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The schema of a string enum of the domain (`string_enum!`), listing its values, for
/// `#[schema(schema_with = ...)]` on a field of that type (the domain crate has no utoipa).
pub fn text_enum(values: impl IntoIterator<Item = &'static str>) -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).build()
}

/// The whole document: [`ApiDoc`] with every module's paths and components.
pub fn document() -> utoipa::openapi::OpenApi {
    modules().into_iter().fold(ApiDoc::openapi(), |doc, (prefix, api)| doc.nest(prefix, api))
}

/// The document and the page, rendered once per process: the document does not change while
/// it runs.
struct Rendered {
    json: String,
    html: String,
}

static RENDERED: LazyLock<Result<Rendered, String>> = LazyLock::new(|| {
    let value = serde_json::to_value(document()).map_err(|err| err.to_string())?;
    let json = serde_json::to_string(&value).map_err(|err| err.to_string())?;
    let html = Scalar::new(value).title("Givance API").to_html();
    Ok(Rendered { json, html })
});

fn rendered() -> Result<&'static Rendered, ApiError> {
    RENDERED.as_ref().map_err(|err| ApiError::internal(format!("the OpenAPI document cannot be rendered: {err}")))
}

/// Registers the document and the page at their full paths (before the `/api/v1` scope, which
/// would otherwise answer 404 for a path it does not know).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(OPENAPI_PATH).get(openapi_json)).service(web::resource(DOCS_PATH).get(docs_page));
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(
    get,
    path = OPENAPI_PATH,
    operation_id = "getOpenApiDocument",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object, content_type = "application/json"))
)]
async fn openapi_json() -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().content_type("application/json").body(rendered()?.json.clone()))
}

/// A browsable reference of this API (Scalar; the page loads Scalar's script from its CDN).
#[utoipa::path(
    get,
    path = DOCS_PATH,
    operation_id = "getApiReferencePage",
    tag = "meta",
    security(()),
    responses((status = 200, description = "An HTML page rendering the document", body = String, content_type = "text/html"))
)]
async fn docs_page() -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(rendered()?.html.clone()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::fields::ListResponse;

    #[test]
    fn page_describes_the_list_envelope_exactly() {
        let list = serde_json::to_value(ListResponse::<u8> { data: vec![1], next_cursor: None }).unwrap();
        let page = serde_json::to_value(Page::<u8> { data: vec![1], next_cursor: None }).unwrap();
        assert_eq!(list, page, "Page<T> is the schema of ListResponse<T>: same members");
    }

    #[test]
    fn the_document_is_openapi_3_1_with_the_bearer_scheme() {
        let doc = serde_json::to_value(document()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(doc["components"]["securitySchemes"][BEARER]["scheme"], "bearer");
        assert_eq!(doc["security"][0][BEARER], serde_json::json!([]));
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    }
}
