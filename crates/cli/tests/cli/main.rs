//! End-to-end tests of the real `givance` binary: started as a child process, spoken to over
//! HTTP on loopback, against SQLite and PostgreSQL (when it answers; required under CI=true).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod credentials;
mod demo;
mod failures;
mod import;
mod migrate;
mod serve;
mod todos;
