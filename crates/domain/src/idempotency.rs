//! Idempotency keys: a client sends `Idempotency-Key` with a POST that creates money or sends
//! mail, so that a retry after a lost response returns the first response instead of acting
//! twice. The store remembers, per organization and key, a fingerprint of the request and, once
//! the first request finished, its response. See docs/decisions/0017-idempotency-keys.md.

use async_trait::async_trait;

use crate::shared::{OrgScope, RepoError, Timestamp, ValueError};

/// The header's name, also the `field` of every error about it.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The longest key accepted.
pub const KEY_MAX_LEN: usize = 255;

/// A client-chosen key: 1 to 255 printable ASCII characters (space included, not at either end).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let key = raw.trim();
        if key.is_empty() {
            return Err(ValueError::new(IDEMPOTENCY_KEY_HEADER, "must not be empty"));
        }
        if key.len() > KEY_MAX_LEN {
            return Err(ValueError::new(IDEMPOTENCY_KEY_HEADER, format!("at most {KEY_MAX_LEN} characters")));
        }
        if !key.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(ValueError::new(IDEMPOTENCY_KEY_HEADER, "only printable ASCII characters are allowed"));
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The response a finished request gave, replayed to every repeat of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// The JSON body, as sent.
    pub body: String,
}

/// What the store holds for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub key: IdempotencyKey,
    /// SHA-256 (hex) of the request's method, path and body.
    pub fingerprint: String,
    /// `None` while the first request is still running.
    pub response: Option<StoredResponse>,
    pub created_at: Timestamp,
}

/// The outcome of trying to reserve a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key was free and is now this request's: run it, then `complete` or `release`.
    Reserved,
    /// Another request holds or held the key.
    Existing(IdempotencyRecord),
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request with `fingerprint`. Of concurrent callers with one key exactly
    /// one gets `Reserved` (the store's uniqueness decides); the others see the record.
    async fn reserve(
        &self,
        scope: &OrgScope,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Reservation, RepoError>;

    /// Records the response of the reserved request. `NotFound` when the key is not reserved.
    async fn complete(&self, scope: &OrgScope, key: &IdempotencyKey, response: StoredResponse)
    -> Result<(), RepoError>;

    /// Frees a key whose request failed, so that a retry runs again. Freeing a free key is fine.
    async fn release(&self, scope: &OrgScope, key: &IdempotencyKey) -> Result<(), RepoError>;

    /// Forgets every key, of every organization, created before `cutoff`; returns how many.
    /// Unscoped: housekeeping done on behalf of the system, never on a tenant's request data.
    async fn prune(&self, cutoff: Timestamp) -> Result<u64, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert_eq!(IdempotencyKey::parse(" order-42 ").unwrap().as_str(), "order-42");
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "   ", "caf\u{e9}", "tab\there", &"k".repeat(256)] {
            assert_eq!(IdempotencyKey::parse(bad).unwrap_err().field, IDEMPOTENCY_KEY_HEADER, "{bad:?}");
        }
    }
}
