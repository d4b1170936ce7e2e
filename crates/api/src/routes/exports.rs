//! CSV exports over HTTP: `GET /exports/donors.csv` (donors:read) and
//! `GET /exports/donations.csv` (donations:read and donors:read: each row names its donor's
//! external id and email). Streamed page by page, never the whole table in memory; cells a
//! spreadsheet would run as formulas are neutralised with a leading `'` (the importer strips it).

use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use futures::StreamExt;
use givance_domain::OrgScope;
use givance_domain::access::{DONATIONS_READ, DONORS_READ};
use givance_infra::export::{CsvExport, ExportError, ExportKind};

use crate::auth::Tenant;
use crate::error::{ApiError, Forbidden, Unauthorized};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/exports/donors.csv").get(export_donors_csv))
        .service(web::resource("/exports/donations.csv").get(export_donations_csv));
}

fn export_error(err: ExportError) -> ApiError {
    match err {
        ExportError::Store(err) => err.into(),
        err @ ExportError::Write(_) => ApiError::internal(err),
    }
}

/// The first page is read before the response starts, so that a failure there is still a
/// problem response; a failure later can only cut the stream short (and is logged).
async fn stream(state: &AppState, scope: &OrgScope, kind: ExportKind, file: &str) -> Result<HttpResponse, ApiError> {
    let mut export = CsvExport::new(state.db.clone(), scope.clone(), kind);
    let first = export.next_chunk().await.map_err(export_error)?.unwrap_or_default();
    let rest = futures::stream::unfold(Some(export), |export| async move {
        let mut export = export?;
        match export.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(Bytes::from(chunk)), Some(export))),
            Ok(None) => None,
            Err(err) => {
                tracing::error!(error = %err, "CSV export failed midway");
                Some((Err(actix_web::error::ErrorInternalServerError("export failed")), None))
            }
        }
    });
    let body = futures::stream::once(async move { Ok::<_, actix_web::Error>(Bytes::from(first)) }).chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")))
        .insert_header((CACHE_CONTROL, "no-store"))
        .streaming(body))
}

/// Every donor that is not deleted, oldest first, in the import's columns.
#[utoipa::path(
    get,
    path = "/exports/donors.csv",
    operation_id = "exportDonorsCsv",
    tag = "exports",
    responses(
        (status = 200, description = "CSV, header first", content_type = "text/csv", body = String),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn export_donors_csv(tenant: Tenant, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_READ)?;
    stream(&state, scope, ExportKind::Donors, "donors.csv").await
}

/// Every donation, oldest first, with its donor's external id and email.
#[utoipa::path(
    get,
    path = "/exports/donations.csv",
    operation_id = "exportDonationsCsv",
    tag = "exports",
    responses(
        (status = 200, description = "CSV, header first", content_type = "text/csv", body = String),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn export_donations_csv(tenant: Tenant, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    tenant.require(DONORS_READ)?;
    let scope = tenant.require(DONATIONS_READ)?;
    stream(&state, scope, ExportKind::Donations, "donations.csv").await
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(export_donors_csv, export_donations_csv))]
pub struct Api;
