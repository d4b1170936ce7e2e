//! Routes, one module per aggregate (health first; donors, donations, ... under `/api/v1`).

use actix_web::{HttpResponse, web};

use crate::error::ApiError;

pub mod api_keys;
pub mod communications;
pub mod donations;
pub mod donor_lists;
pub mod donors;
pub mod exports;
pub mod health;
pub mod imports;
pub mod organization;
pub mod projects;
pub mod reports;
pub mod staff;
pub mod templates;
pub mod threads;
pub mod timeline;
pub mod todos;

/// The base path of the versioned API.
pub const API_BASE: &str = "/api/v1";

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure).configure(crate::openapi::configure).service(
        web::scope(API_BASE)
            .configure(organization::configure)
            .configure(api_keys::configure)
            .configure(communications::configure)
            .configure(threads::configure)
            .configure(timeline::configure)
            .configure(donors::configure)
            .configure(donor_lists::configure)
            .configure(projects::configure)
            .configure(imports::configure)
            .configure(exports::configure)
            .configure(donations::configure)
            .configure(reports::configure)
            .configure(staff::configure)
            .configure(templates::configure)
            .configure(todos::configure),
    );
}

/// Anything no route matches.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("no resource at this path"))
}
