//! The real application over a real database (SQLite always, PostgreSQL when it answers),
//! through `actix_web::test`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
mod tenants;

mod api_keys;
mod auth;
mod communications;
mod donations;
mod donor_lists;
mod donors;
mod errors;
mod health;
mod idempotency;
mod imports;
mod openapi;
mod organization;
mod projects;
mod reports;
mod staff;
mod templates;
mod threads;
mod timeline;
mod todos;
