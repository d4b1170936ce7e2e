//! Repository tests against real databases: every test runs on SQLite and on PostgreSQL, each
//! on a database of its own (see the givance-tests harness).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_keys;
mod communications;
mod donations;
mod donor_lists;
mod donors;
mod fixtures;
mod giving_totals;
mod organizations;
mod projects;
mod reports;
mod staff;
mod staff_directory;
mod templates;
mod todos;
mod users;
