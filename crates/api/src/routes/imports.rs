//! CSV imports over HTTP: `POST /imports/donors` and `POST /imports/donations` with a `text/csv`
//! body (at most [`MAX_UPLOAD_BYTES`]; larger is a 413). The response is the import report:
//! what was created, updated, unchanged and rejected, with each rejected row's line and reason.
//! A bad header (unknown column, no key column) refuses the whole file with a 422 before
//! anything is written; `dry_run=true` validates and counts without writing.
//!
//! Synchronous for now: a job queue does not exist yet (docs/decisions/0018-csv-import-export.md).
//! The body is held in memory (bounded by the upload limit); rows are processed batch by batch.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use givance_domain::ValueError;
use givance_domain::access::{DONATIONS_WRITE, DONORS_WRITE};
use givance_domain::import::{DonorImportOptions, ImportError, ImportReport, RowError};
use givance_infra::import::{SeaImportStore, import_donations, import_donors};
use serde::{Deserialize, Serialize};

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Conflict, FieldError, Forbidden, PayloadTooLarge, Unauthorized, ValidationFailed,
};
use crate::fields::{Faults, flag};
use crate::state::AppState;

/// The largest CSV body an import accepts.
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let limit = web::PayloadConfig::new(MAX_UPLOAD_BYTES);
    cfg.service(web::resource("/imports/donors").app_data(limit.clone()).post(import_donors_csv))
        .service(web::resource("/imports/donations").app_data(limit).post(import_donations_csv));
}

/// One rejected row.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowErrorResponse {
    /// The physical line in the file; the header is line 1.
    pub line: u64,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportReportResponse {
    /// Nothing was written (`dry_run=true`); the counts say what would have happened.
    pub dry_run: bool,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The first 1,000 rejected rows, by line.
    pub errors: Vec<RowErrorResponse>,
    /// More rows were rejected than `errors` lists.
    pub errors_truncated: bool,
}

impl From<ImportReport> for ImportReportResponse {
    fn from(r: ImportReport) -> Self {
        Self {
            dry_run: r.dry_run,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            rejected: r.rejected,
            errors: r.errors.into_iter().map(|RowError { line, reason }| RowErrorResponse { line, reason }).collect(),
            errors_truncated: r.errors_truncated,
        }
    }
}

/// Read as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    pub dry_run: Option<String>,
    pub match_email: Option<String>,
}

/// What both imports read before touching anything: a CSV body, and the flags (`dry_run`, and
/// `match_email`, which only donor imports understand). Returns `(dry_run, match_email)`.
fn read_options(req: &HttpRequest, query: &ImportQuery, donors: bool) -> Result<(bool, bool), ApiError> {
    require_csv(req)?;
    let mut f = Faults::default();
    let dry_run = flag(&mut f, "dry_run", query.dry_run.as_deref()).unwrap_or(false);
    let match_email = if donors {
        flag(&mut f, "match_email", query.match_email.as_deref()).unwrap_or(false)
    } else {
        if query.match_email.is_some() {
            f.push("match_email", "applies to donor imports only");
        }
        false
    };
    f.finish((dry_run, match_email))
}

/// The 200 with the report, logged with what was imported.
fn reported(what: &'static str, report: ImportReport) -> HttpResponse {
    tracing::info!(
        what,
        created = report.created,
        updated = report.updated,
        unchanged = report.unchanged,
        rejected = report.rejected,
        dry_run = report.dry_run,
        "CSV imported"
    );
    HttpResponse::Ok().json(ImportReportResponse::from(report))
}

/// `text/csv` (any parameters); anything else is named as the faulty field.
fn require_csv(req: &HttpRequest) -> Result<(), ApiError> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence == "text/csv" {
        Ok(())
    } else {
        Err(ApiError::validation([FieldError {
            field: "content-type".into(),
            message: "the body must be CSV, sent with Content-Type: text/csv".into(),
        }]))
    }
}

fn import_error(err: ImportError) -> ApiError {
    match err {
        ImportError::Header(message) => ApiError::validation([ValueError::new("header", message)]),
        ImportError::Read(message) => ApiError::bad_request("unreadable_body", message),
        ImportError::Store(err) => err.into(),
    }
}

fn store(state: &AppState) -> SeaImportStore {
    SeaImportStore::new(state.db.clone())
}

/// Imports donors from a CSV body; rows match stored donors by `external_id` (by email for rows
/// without one, and with `match_email=true` for unknown external ids too).
#[utoipa::path(
    post,
    path = "/imports/donors",
    operation_id = "importDonors",
    tag = "imports",
    params(
        ("dry_run" = Option<bool>, Query, description = "Validate and count, write nothing"),
        ("match_email" = Option<bool>, Query, description = "A row whose external_id is unknown may match a donor without one by email"),
    ),
    request_body(content = String, content_type = "text/csv", description = "At most 50 MB; header = donor field names"),
    responses(
        (status = 200, description = "The import report", body = ImportReportResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
    )
)]
pub async fn import_donors_csv(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    let (dry_run, match_email) = read_options(&req, &query, true)?;
    let organization = state.repos.organizations.get(scope).await?;
    let options = DonorImportOptions::for_organization(&organization, match_email, dry_run)?;
    let store = store(&state);
    let report =
        import_donors(&store, scope, &body[..], options, Box::new(|_| {}), &mut |_| {}).await.map_err(import_error)?;
    Ok(reported("donors", report))
}

/// Imports donations from a CSV body; each row names its donor by `donor_external_id` or
/// `donor_email`. A row identical to a stored donation is unchanged.
#[utoipa::path(
    post,
    path = "/imports/donations",
    operation_id = "importDonations",
    tag = "imports",
    params(("dry_run" = Option<bool>, Query, description = "Validate and count, write nothing")),
    request_body(content = String, content_type = "text/csv", description = "At most 50 MB; header = donation columns"),
    responses(
        (status = 200, description = "The import report", body = ImportReportResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
    )
)]
pub async fn import_donations_csv(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONATIONS_WRITE)?;
    let (dry_run, _) = read_options(&req, &query, false)?;
    let store = store(&state);
    let report = import_donations(&store, scope, &body[..], dry_run, Box::new(|_| {}), &mut |_| {})
        .await
        .map_err(import_error)?;
    Ok(reported("donations", report))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(import_donors_csv, import_donations_csv), components(schemas(ImportReportResponse, RowErrorResponse)))]
pub struct Api;
