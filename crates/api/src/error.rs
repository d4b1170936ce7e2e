//! Errors as HTTP responses: RFC 9457 `application/problem+json`, with a stable `code`.
//!
//! Every error the API returns goes through [`ApiError`]: domain errors convert into it, the
//! JSON / query / path extractors are configured to produce it, and [`problem_fallback`] turns
//! whatever else would leave without a problem body (unknown route, wrong method) into one.
//! A 5xx never carries its cause to the client: the cause is logged, with the request id.

use std::fmt;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use givance_domain::{RepoError, ValueError};
use serde::Serialize;
use utoipa::{ToResponse, ToSchema};

use crate::request_id::RequestId;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The prefix of every problem `type`: `urn:givance:problem:<code>`.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:givance:problem:";

/// One invalid input field and why, in words an API consumer can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field as the request names it (`email`, `limit`, `donor_journey_graph.stages[0].id`).
    #[schema(example = "email")]
    pub field: String,
    #[schema(example = "'x' is not an email address")]
    pub message: String,
}

impl From<ValueError> for FieldError {
    fn from(err: ValueError) -> Self {
        Self { field: err.field.into_owned(), message: err.message }
    }
}

/// An error on its way to becoming an `application/problem+json` response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    /// Logged for a 5xx, never rendered.
    cause: Option<BoxError>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, title, detail: detail.into(), errors: Vec::new(), cause: None }
    }

    /// 400: the request is malformed; `code` says how (`invalid_json`, `invalid_query`, ...).
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    /// 401: no credential, or one that is malformed, unknown, revoked or expired; `code` says
    /// which (`missing_credential`, `invalid_credential`, `expired_credential`,
    /// `revoked_credential`). The response carries `WWW-Authenticate: Bearer`.
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, "Unauthorized", detail)
    }

    /// 403: the credential is good but lacks `permission`.
    pub fn forbidden(permission: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            format!("this credential lacks the permission '{permission}'"),
        )
    }

    /// 404: no such resource, or one that belongs to another organization (indistinguishable).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found", detail)
    }

    /// 409: the request conflicts with the current state of the data.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, "Conflict", detail)
    }

    /// 422: the input is well-formed but some fields are invalid; each is listed.
    pub fn validation(errors: impl IntoIterator<Item = impl Into<FieldError>>) -> Self {
        Self::unprocessable("validation_failed", errors)
    }

    /// 422 under a code of its own, for a refusal a client handles apart from ordinary field
    /// validation (`idempotency_key_reused`); the fields concerned are listed as in
    /// [`ApiError::validation`].
    pub fn unprocessable(code: &'static str, errors: impl IntoIterator<Item = impl Into<FieldError>>) -> Self {
        let errors: Vec<FieldError> = errors.into_iter().map(Into::into).collect();
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        Self { errors, ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, "Invalid input", detail) }
    }

    /// 503: a dependency (the database) does not answer; the client may retry.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", "Service unavailable", detail)
    }

    /// 500: something failed that the client can do nothing about. The cause is logged, not sent.
    pub fn internal(cause: impl Into<BoxError>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal server error",
                "an unexpected error occurred; quote the request id when reporting it",
            )
        }
    }

    /// The problem for a bare status produced outside our handlers (unknown route, wrong method).
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::not_found("no resource at this path"),
            StatusCode::METHOD_NOT_ALLOWED => Self::new(
                status,
                "method_not_allowed",
                "Method not allowed",
                "this resource does not support the request's method",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => Self::payload_too_large(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::unsupported_media_type(),
            status if status.is_server_error() => {
                Self { status, ..Self::internal("a response failed without a cause") }
            }
            status => Self::new(
                status,
                "http_error",
                status.canonical_reason().unwrap_or("Error"),
                status.canonical_reason().unwrap_or("the request failed").to_ascii_lowercase(),
            ),
        }
    }

    fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Payload too large",
            "the request body is larger than this endpoint accepts",
        )
    }

    fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "the request body must be JSON, sent with Content-Type: application/json",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable, machine-readable code (`not_found`, `validation_failed`, ...).
    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status.as_u16(), self.detail)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

/// The body of every error response, `application/problem+json` (RFC 9457): the standard
/// members plus a stable `code`, the invalid `errors` of a 422 and the request's `request_id`.
// It is the very struct `ApiError` renders, so the OpenAPI schema cannot drift from the wire.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:givance:problem:<code>`.
    #[serde(rename = "type")]
    #[schema(example = "urn:givance:problem:not_found")]
    pub kind: String,
    /// A short summary of the kind of problem, the same for every occurrence of a status.
    #[schema(example = "Not found")]
    pub title: &'static str,
    /// The HTTP status code.
    #[schema(example = 404, minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong this time, for a human.
    #[schema(example = "no donor with this id")]
    pub detail: String,
    /// Stable and machine-readable: `validation_failed`, `not_found`, `missing_credential`,
    /// `forbidden`, `invalid_json`, `payload_too_large`, a resource's own conflict or 422 code
    /// (`idempotency_key_reused`), ...
    #[schema(example = "not_found")]
    pub code: &'static str,
    /// Each invalid field with why; only on a 422 (`validation_failed`, or an operation's own
    /// 422 code such as `idempotency_key_reused`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
    /// The request's id, as in the `X-Request-Id` response header; quote it when reporting.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false)]
    pub request_id: Option<RequestId>,
}

impl Problem {
    fn of(err: &ApiError) -> Self {
        Self {
            kind: format!("{PROBLEM_TYPE_PREFIX}{}", err.code),
            title: err.title,
            status: err.status.as_u16(),
            detail: err.detail.clone(),
            code: err.code,
            errors: err.errors.clone(),
            request_id: RequestId::current(),
        }
    }
}

// Reusable OpenAPI responses, one per error status, so that a handler lists its errors as
// `(status = 404, response = NotFound)`. Each is a problem body; they are registered once as
// components in `crate::openapi`. Only the documentation constructs them.

/// The request is malformed: the body is not JSON of the expected shape (`invalid_json`,
/// `invalid_body`), or a path or query parameter cannot be read (`invalid_path`, `invalid_query`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "urn:givance:problem:invalid_json", "title": "Bad request", "status": 400,
        "detail": "the request body is not valid JSON for this endpoint: expected value at line 1 column 1",
        "code": "invalid_json", "request_id": "019abf3e-7c2d-7a10-9f3e-2b1c4d5e6f70"})
)]
pub struct BadRequest(pub Problem);

/// No credential, or one that is malformed, unknown, revoked or expired (`missing_credential`,
/// `invalid_credential`, `revoked_credential`, `expired_credential`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"givance\"`, with `error=\"invalid_token\"` when a credential was sent")),
    example = json!({"type": "urn:givance:problem:missing_credential", "title": "Unauthorized", "status": 401,
        "detail": "this endpoint needs a credential: send 'Authorization: Bearer <API key or JWT>'", "code": "missing_credential",
        "request_id": "019abf3e-7c2d-7a10-9f3e-2b1c4d5e6f70"})
)]
pub struct Unauthorized(pub Problem);

/// The credential is valid but lacks the permission this operation needs (`forbidden`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "urn:givance:problem:forbidden", "title": "Forbidden", "status": 403,
        "detail": "this credential lacks the permission 'donors:write'", "code": "forbidden",
        "request_id": "019abf3e-7c2d-7a10-9f3e-2b1c4d5e6f70"})
)]
pub struct Forbidden(pub Problem);

/// No such resource in the caller's organization: a malformed id, an unknown one and another
/// organization's are indistinguishable (`not_found`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "urn:givance:problem:not_found", "title": "Not found", "status": 404,
        "detail": "no donor with this id", "code": "not_found", "request_id": "019abf3e-7c2d-7a10-9f3e-2b1c4d5e6f70"})
)]
pub struct NotFound(pub Problem);

/// The request conflicts with stored data; `code` names the conflict (`slug_taken`,
/// `external_id_taken`, `project_in_use`, `conflict`, `in_use`, ...).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "urn:givance:problem:external_id_taken", "title": "Conflict", "status": 409,
        "detail": "another donor of the organization already has this external_id", "code": "external_id_taken",
        "request_id": "019abf3e-7c2d-7a10-9f3e-2b1c4d5e6f70"})
)]
pub struct Conflict(pub Problem);

/// The body is larger than this endpoint accepts (2 MiB of JSON; `payload_too_large`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "urn:givance:problem:payload_too_large", "title": "Payload too large", "status": 413,
        "detail": "the request body is larger than this endpoint accepts", "code": "payload_too_large",
        "request_id": "019abf3e-7c2d-7a10-9f3e-2b1c4d5e6f70"})
)]
pub struct PayloadTooLarge(pub Problem);

/// The body was not sent as `Content-Type: application/json` (`unsupported_media_type`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "urn:givance:problem:unsupported_media_type", "title": "Unsupported media type",
        "status": 415, "detail": "the request body must be JSON, sent with Content-Type: application/json",
        "code": "unsupported_media_type", "request_id": "019abf3e-7c2d-7a10-9f3e-2b1c4d5e6f70"})
)]
pub struct UnsupportedMediaType(pub Problem);

/// Some fields are invalid; `errors` lists each with why (`validation_failed`; an operation may
/// use a 422 code of its own, such as `idempotency_key_reused`, which it documents).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "urn:givance:problem:validation_failed", "title": "Invalid input", "status": 422,
        "detail": "2 fields are invalid", "code": "validation_failed",
        "errors": [{"field": "email", "message": "'x' is not an email address"},
                   {"field": "limit", "message": "must be an integer from 1 to 200"}],
        "request_id": "019abf3e-7c2d-7a10-9f3e-2b1c4d5e6f70"})
)]
pub struct ValidationFailed(pub Problem);

/// A dependency (the database) does not answer; retry later (`service_unavailable`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "urn:givance:problem:service_unavailable", "title": "Service unavailable",
        "status": 503, "detail": "the database does not answer", "code": "service_unavailable",
        "request_id": "019abf3e-7c2d-7a10-9f3e-2b1c4d5e6f70"})
)]
pub struct ServiceUnavailable(pub Problem);

/// `error: cause: cause ...`, for logs.
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, status = self.status.as_u16(), error = %chain(self), "request failed");
        }
        let body =
            serde_json::to_vec(&Problem::of(self)).unwrap_or_else(|_| br#"{"title":"Internal server error"}"#.to_vec());
        let mut response = HttpResponse::build(self.status);
        response.content_type(PROBLEM_JSON);
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = if self.code == "missing_credential" {
                r#"Bearer realm="givance""#
            } else {
                r#"Bearer realm="givance", error="invalid_token""#
            };
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        response.body(body)
    }
}

impl From<RepoError> for ApiError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::NotFound => Self::not_found("the requested resource does not exist"),
            RepoError::Conflict { constraint } => {
                Self::conflict("conflict", format!("the request conflicts with existing data ({constraint})"))
            }
            RepoError::InUse(what) => Self::conflict("in_use", format!("the resource is still in use: {what}")),
            RepoError::Invalid(err) => Self::from(err),
            err @ (RepoError::Corrupt(_) | RepoError::Unavailable(_)) => Self::internal(err),
        }
    }
}

impl From<ValueError> for ApiError {
    fn from(err: ValueError) -> Self {
        Self::validation([err])
    }
}

impl From<Vec<ValueError>> for ApiError {
    fn from(errors: Vec<ValueError>) -> Self {
        Self::validation(errors)
    }
}

impl From<JsonPayloadError> for ApiError {
    fn from(err: JsonPayloadError) -> Self {
        match err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                Self::payload_too_large()
            }
            JsonPayloadError::ContentType => Self::unsupported_media_type(),
            JsonPayloadError::Deserialize(err) => Self::bad_request(
                "invalid_json",
                format!("the request body is not valid JSON for this endpoint: {err}"),
            ),
            JsonPayloadError::Serialize(err) => Self::internal(err),
            other => Self::bad_request("invalid_body", format!("the request body could not be read: {other}")),
        }
    }
}

impl From<QueryPayloadError> for ApiError {
    fn from(err: QueryPayloadError) -> Self {
        let reason = match &err {
            QueryPayloadError::Deserialize(err) => err.to_string(),
            other => other.to_string(),
        };
        Self::bad_request("invalid_query", format!("the query string is invalid: {reason}"))
    }
}

impl From<PathError> for ApiError {
    fn from(err: PathError) -> Self {
        let reason = match &err {
            PathError::Deserialize(err) => err.to_string(),
            other => other.to_string(),
        };
        Self::bad_request("invalid_path", format!("a path parameter is invalid: {reason}"))
    }
}

/// `web::Json` extraction failures as problems (400 / 413 / 415), never a plain-text 400.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().error_handler(|err, _req| ApiError::from(err).into())
}

/// `web::Query` extraction failures as 400 problems.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| ApiError::from(err).into())
}

/// `web::Path` extraction failures as 400 problems.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| ApiError::from(err).into())
}

fn is_problem(response: &ServiceResponse<impl MessageBody>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with(PROBLEM_JSON))
}

/// Middleware: an error response that is not already a problem (actix's own 405, a plain
/// error from a handler or extractor we did not configure) is replaced by the problem for its status.
pub async fn problem_fallback(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // An `Err` here comes from a middleware, not a handler; actix renders it with the error's own
    // `error_response`, which for an `ApiError` is a problem already. (The request cannot be
    // cloned before routing to build a response here: routing needs it unshared.)
    let response = next.call(req).await?.map_into_boxed_body();
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&response) {
        return Ok(response);
    }
    let mut problem = ApiError::from_status(status);
    if let Some(cause) = response.response().error() {
        problem.cause = Some(cause.to_string().into());
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let (req, _) = response.into_parts();
    let mut rendered = problem.error_response();
    if let Some(allow) = allow {
        rendered.headers_mut().insert(header::ALLOW, allow);
    }
    rendered.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(ServiceResponse::new(req, rendered))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    async fn body_of(err: &ApiError) -> serde_json::Value {
        let response = err.error_response();
        assert_eq!(response.headers().get(header::CONTENT_TYPE).unwrap(), PROBLEM_JSON);
        let bytes = actix_web::body::to_bytes(response.into_body()).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[actix_web::test]
    async fn repository_errors_map_to_statuses_and_stable_codes() {
        let cases: Vec<(RepoError, u16, &str)> = vec![
            (RepoError::NotFound, 404, "not_found"),
            (RepoError::Conflict { constraint: "donors_org_email_key".into() }, 409, "conflict"),
            (RepoError::InUse("3 donations reference this project".into()), 409, "in_use"),
            (RepoError::Invalid(ValueError::new("amount", "must be positive")), 422, "validation_failed"),
            (RepoError::Corrupt("amount is not a number".into()), 500, "internal_error"),
            (RepoError::Unavailable("pool timed out".into()), 500, "internal_error"),
        ];
        for (repo, status, code) in cases {
            let err = ApiError::from(repo);
            assert_eq!(err.status().as_u16(), status);
            assert_eq!(err.code(), code);
            let body = body_of(&err).await;
            assert_eq!(body["status"], status);
            assert_eq!(body["code"], code);
            assert_eq!(body["type"], format!("urn:givance:problem:{code}"));
            assert!(body["title"].is_string());
        }
    }

    #[actix_web::test]
    async fn server_errors_do_not_reveal_their_cause() {
        let err = ApiError::from(RepoError::Unavailable("connection to 10.0.0.5 refused: SELECT secret".into()));
        let body = body_of(&err).await.to_string();
        assert!(!body.contains("10.0.0.5") && !body.contains("SELECT"), "{body}");
        assert!(chain(&err).contains("connection to 10.0.0.5 refused"), "the log keeps the cause");
    }

    #[actix_web::test]
    async fn value_errors_are_422_with_each_field() {
        let err = ApiError::from(vec![
            ValueError::new("email", "'x' is not an email address"),
            ValueError::new("currency", "'XXY' is not an ISO 4217 code"),
        ]);
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = body_of(&err).await;
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(body["errors"][1]["message"], "'XXY' is not an ISO 4217 code");

        let one = body_of(&ApiError::from(ValueError::new("name", "must not be empty"))).await;
        assert_eq!(one["detail"], "name: must not be empty");
        assert_eq!(one["errors"].as_array().map(Vec::len), Some(1));
    }

    #[actix_web::test]
    async fn problems_without_field_errors_omit_the_list() {
        let body = body_of(&ApiError::not_found("nothing here")).await;
        assert!(body.get("errors").is_none());
        assert!(body.get("request_id").is_none(), "no request in flight, no id");
    }
}
