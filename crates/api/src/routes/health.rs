//! `/healthz`: the process is up (no I/O). `/readyz`: the database answers, so traffic may come.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use givance_infra::db;
use serde_json::json;

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

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(json!({ "status": "ok" }))
}

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
