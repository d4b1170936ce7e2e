//! Givance adapters: the SeaORM repositories behind the domain's ports, database connection
//! and migration, and (later) mailers, LLM clients and the rest of the outbound world.

mod bulk;
mod convert;
mod credential_cache;
pub mod credentials;
pub mod db;
pub mod demo;
mod entities;
mod error;
pub mod export;
pub mod import;
mod money;
mod page;
pub mod repositories;
mod scoped;
pub mod suggester;
pub mod wiring;

pub use sea_orm::DatabaseConnection;
pub use wiring::Repositories;
