//! In-memory fakes and fixtures for tests (feature `test-util`).

mod donor;

pub use donor::{InMemoryDonorRepository, donor_repository_contract};
