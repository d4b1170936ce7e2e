//! Givance domain: entities, value objects, typed ids, ports (repository and service traits)
//! and use-cases. No I/O lives here: adapters in `givance-infra` implement the ports.
//!
//! One module per aggregate; each holds its entity, commands (`NewX`, `XPatch`), value
//! enums and its repository trait.
//!
//! Every repository method on tenant data takes an [`OrgScope`] first. The few unscoped methods
//! serve requests that carry no credential (the tracking pixel and link redirect, incoming
//! webhooks) or system workers that must find out which organization has work; each says so in its
//! documentation. Each method's documentation names the `RepoError` it returns and when; beyond
//! those, any method may fail with `Unavailable` (the store failed) and any read with `Corrupt`
//! (a stored row no longer parses into the domain types).
//!
//! # Mocking the ports in your own tests
//!
//! With the `mocks` feature every repository trait has a [mockall](https://docs.rs/mockall)
//! double (`MockDonorRepository` for `DonorRepository`, ...), and with `test-util` tests can build
//! a scope with `OrgScope::for_tests`. Enable both in the crate that tests against the ports:
//!
//! ```toml
//! [dev-dependencies]
//! givance-domain = { workspace = true, features = ["mocks", "test-util"] }
//! ```
//!
//! A use-case takes the port as `&dyn DonorRepository`; the test swaps the mock in, states what
//! it expects (here: the caller's organization, and no delete of a missing donor) and what it
//! returns:
//!
//! ```
//! use givance_domain::donor::{DonorRepository, MockDonorRepository};
//! use givance_domain::{DonorId, OrgScope, OrganizationId, RepoError};
//!
//! /// The use-case under test: archive a donor, reporting a missing one as `NotFound`.
//! async fn archive_donor(donors: &dyn DonorRepository, scope: &OrgScope, id: DonorId) -> Result<(), RepoError> {
//!     if donors.get(scope, id).await?.is_none() {
//!         return Err(RepoError::NotFound);
//!     }
//!     donors.soft_delete(scope, id).await
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() {
//!     let org = OrganizationId::new();
//!     let scope = OrgScope::for_tests(org);
//!     let missing = DonorId::new();
//!
//!     let mut donors = MockDonorRepository::new();
//!     donors
//!         .expect_get()
//!         .withf(move |scope, id| scope.org() == org && *id == missing)
//!         .times(1)
//!         .returning(|_, _| Ok(None));
//!     donors.expect_soft_delete().never();
//!
//!     let result = archive_donor(&donors, &scope, missing).await;
//!     assert!(matches!(result, Err(RepoError::NotFound)));
//! }
//! ```

pub mod shared;

pub mod access;
pub mod api_key;
pub mod donation;
pub mod donor;
pub mod idempotency;
pub mod import;
pub mod organization;
pub mod project;
pub mod report;
pub mod staff;
pub mod user;

pub mod campaign;
pub mod communication;
pub mod donor_list;
pub mod email_example;
pub mod oauth_token;
pub mod research;
pub mod signature_image;
pub mod template;
pub mod timeline;
pub mod todo;
pub mod tracking;
pub mod webhook;
pub mod whatsapp;

#[cfg(feature = "test-util")]
pub mod testing;

pub use shared::*;
