//! `/healthz`: the process is up (no I/O). `/readyz`: the database answers, so traffic may come.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use givance_infra::db;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiError;

/// How long `/readyz` waits for the database before saying it is not ready.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Resources (not `cfg.route`) so that another method gets a 405, not a 404. HEAD is answered
    // too (without a body), for load balancers that probe with it.
    cfg.service(web::resource("/healthz").get(healthz).route(web::head().to(healthz)))
        .service(web::resource("/readyz").get(readyz).route(web::head().to(readyz)));
}

/// The body of a healthy probe.
#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    #[schema(example = "ok")]
    pub status: String,
    /// `/readyz` only.
    #[schema(example = "ok", required = false)]
    pub database: Option<String>,
}

/// The process is up; no I/O, so it answers even when the database does not.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "getHealthz",
    tag = "health",
    security(()),
    responses((status = 200, description = "The process is up", body = HealthResponse,
        example = json!({"status": "ok"})))
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(json!({ "status": "ok" }))
}

/// The database answers (within 2 s), so the instance may take traffic.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "getReadyz",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Ready: the database answers", body = HealthResponse,
            example = json!({"status": "ok", "database": "ok"})),
        (status = 503, response = crate::error::ServiceUnavailable),
    )
)]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match tokio::time::timeout(READINESS_TIMEOUT, db::is_ready(&state.db)).await {
        Ok(true) => Ok(HttpResponse::Ok()
            .insert_header(("cache-control", "no-store"))
            .json(json!({ "status": "ok", "database": "ok" }))),
        Ok(false) => Err(ApiError::unavailable("the database does not answer")),
        Err(_) => {
            Err(ApiError::unavailable(format!("the database did not answer within {} s", READINESS_TIMEOUT.as_secs())))
        }
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz, readyz), components(schemas(HealthResponse)))]
pub struct Api;
