//! In-memory fakes and fixtures for tests (feature `test-util`).
