//! Givance HTTP API: actix-web routes, extractors, DTOs and the error -> problem+json mapping.
//! Thin: parse, call a use-case, render.
//!
//! [`app`] builds the whole application over an [`AppState`]; [`configure`] registers the
//! routes and extractor settings alone, for callers that assemble their own `App`.
//!
//! ```no_run
//! # async fn run(db: givance_infra::DatabaseConnection) -> std::io::Result<()> {
//! let state = givance_api::AppState::new(db);
//! actix_web::HttpServer::new(move || givance_api::app(state.clone())).bind("127.0.0.1:8080")?.run().await
//! # }
//! ```

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, web};

pub mod auth;
pub mod error;
mod fields;
mod idempotency;
pub mod jwt;
pub mod openapi;
pub mod patch;
pub mod request_id;
pub mod routes;
pub mod state;

pub use auth::Tenant;
pub use error::{ApiError, FieldError};
pub use request_id::RequestId;
pub use state::{AppState, AuthConfig};

/// Registers the routes, the problem+json extractor settings and the 404 for unknown paths.
/// [`app`] adds the state and the middleware (request id, problem fallback) around it.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(error::json_config())
        .app_data(error::query_config())
        .app_data(error::path_config())
        .configure(routes::configure)
        .default_service(web::to(routes::not_found));
}

/// The complete application over `state`: what `givance serve` runs and the tests exercise.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .configure(configure)
        .wrap(from_fn(error::problem_fallback))
        .wrap(from_fn(request_id::middleware))
}
