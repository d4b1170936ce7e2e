//! First-party API keys: credentials bound to one organization and one staff member.
//!
//! A key is shown once, as `gv_<prefix>_<secret>`. Only the prefix (to find the key) and a hash
//! of the secret are stored; making the secret and hashing it is an adapter's job (infra's
//! `credentials` module), since it needs a CSPRNG.

use async_trait::async_trait;

use crate::access::parse_permissions;
use crate::shared::{
    ApiKeyId, OrgScope, OrganizationId, Page, PageRequest, RepoError, StaffId, Timestamp, ValueError, required_text,
};
use crate::staff::Staff;

/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "gv_";
/// The prefix part's length: lower-case hex.
pub const PREFIX_LEN: usize = 12;
/// The secret part's length: lower-case hex of 32 random bytes.
pub const SECRET_LEN: usize = 64;

/// The two parts of a presented token, when it has the shape of an API key.
#[derive(Debug, PartialEq, Eq)]
pub struct TokenParts<'a> {
    pub prefix: &'a str,
    pub secret: &'a str,
}

impl<'a> TokenParts<'a> {
    /// `gv_<12 hex>_<64 hex>`, or `None`.
    pub fn parse(token: &'a str) -> Option<Self> {
        let rest = token.strip_prefix(TOKEN_PREFIX)?;
        let (prefix, secret) = rest.split_once('_')?;
        let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        (hex(prefix, PREFIX_LEN) && hex(secret, SECRET_LEN)).then_some(Self { prefix, secret })
    }

    /// Whether `token` looks like an API key at all (rather than a JWT).
    pub fn looks_like_key(token: &str) -> bool {
        token.starts_with(TOKEN_PREFIX)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub staff_id: StaffId,
    pub name: String,
    pub prefix: String,
    /// Empty: the staff member's own permissions; otherwise they are narrowed to these.
    pub permissions: Vec<String>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// Why a stored key no longer opens anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    Revoked,
    Expired,
    StaffInactive,
}

impl ApiKey {
    /// Whether the key may be used at `now` (the staff member's activity is checked apart).
    pub fn check_usable(&self, now: Timestamp) -> Result<(), KeyRefusal> {
        if self.revoked_at.is_some() {
            return Err(KeyRefusal::Revoked);
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(KeyRefusal::Expired);
        }
        Ok(())
    }

    /// `last_used_at` is written at most once a minute per key.
    pub fn needs_touch(&self, now: Timestamp) -> bool {
        self.last_used_at.is_none_or(|at| now - at >= chrono::Duration::seconds(60))
    }
}

/// What to create: the caller made the token and passes its prefix and secret hash.
#[derive(Debug, Clone, PartialEq)]
pub struct NewApiKey {
    pub staff_id: StaffId,
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    pub permissions: Vec<String>,
    pub expires_at: Option<Timestamp>,
}

/// The validated, user-supplied part of a new key.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRequest {
    pub staff_id: StaffId,
    pub name: String,
    pub permissions: Vec<String>,
    pub expires_at: Option<Timestamp>,
}

impl ApiKeyRequest {
    /// Checks the name (1-200 characters), the permission strings and that an expiry lies in the
    /// future; collects every fault.
    pub fn new(
        staff_id: StaffId,
        name: &str,
        permissions: &[String],
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Self, Vec<ValueError>> {
        let mut errors = Vec::new();
        let name = required_text("name", name, 200).map_err(|e| errors.push(e)).ok();
        let permissions = parse_permissions("permissions", permissions).map_err(|e| errors.push(e)).ok();
        if expires_at.is_some_and(|at| at <= now) {
            errors.push(ValueError::new("expires_at", "must be in the future"));
        }
        match (name, permissions) {
            (Some(name), Some(permissions)) if errors.is_empty() => {
                Ok(Self { staff_id, name, permissions, expires_at })
            }
            _ => Err(errors),
        }
    }
}

/// A key found by its prefix, with what authentication needs to decide about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyCredential {
    pub organization_id: OrganizationId,
    pub key: ApiKey,
    /// Lower-case hex SHA-256 of the secret.
    pub secret_hash: String,
    /// The staff member the key belongs to (active or not).
    pub staff: Staff,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    /// Fails with `NotFound` when the staff member is not the organization's, and with
    /// `Conflict` when the prefix is taken (a one-in-2^48 chance: make another token).
    async fn create(&self, scope: &OrgScope, key: NewApiKey) -> Result<ApiKey, RepoError>;
    async fn get(&self, scope: &OrgScope, id: ApiKeyId) -> Result<Option<ApiKey>, RepoError>;
    /// Every key, revoked and expired ones included, newest first.
    async fn list(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<ApiKey>, RepoError>;
    /// Sets `revoked_at` (kept when already revoked). Fails with `NotFound` for another
    /// organization's key.
    async fn revoke(&self, scope: &OrgScope, id: ApiKeyId) -> Result<ApiKey, RepoError>;
    /// Records a use at `at`, unless one was recorded less than a minute before.
    async fn touch(&self, scope: &OrgScope, id: ApiKeyId, at: Timestamp) -> Result<(), RepoError>;
    /// Unscoped: authentication finds a presented key, and so its organization, by its prefix
    /// before any scope exists.
    async fn find_by_prefix(&self, prefix: &str) -> Result<Option<ApiKeyCredential>, RepoError>;
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::shared::time::now;

    fn key() -> ApiKey {
        ApiKey {
            id: ApiKeyId::new(),
            staff_id: StaffId::new(),
            name: "ci".into(),
            prefix: "0123456789ab".into(),
            permissions: vec![],
            created_at: now(),
            last_used_at: None,
            expires_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn tokens_parse_only_in_their_exact_shape() {
        let secret = "a".repeat(64);
        let token = format!("gv_0123456789ab_{secret}");
        assert_eq!(TokenParts::parse(&token), Some(TokenParts { prefix: "0123456789ab", secret: &secret }));
        for bad in [
            "".to_owned(),
            "gv_".to_owned(),
            format!("gv_0123456789ab{secret}"),
            format!("gv_0123456789AB_{secret}"),
            format!("gv_0123456789a_{secret}"),
            format!("gv_0123456789ab_{secret}0"),
            format!("xx_0123456789ab_{secret}"),
        ] {
            assert_eq!(TokenParts::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn revoked_and_expired_keys_are_refused() {
        let at = now();
        assert_eq!(key().check_usable(at), Ok(()));
        assert_eq!(ApiKey { revoked_at: Some(at), ..key() }.check_usable(at), Err(KeyRefusal::Revoked));
        assert_eq!(ApiKey { expires_at: Some(at), ..key() }.check_usable(at), Err(KeyRefusal::Expired));
        assert_eq!(ApiKey { expires_at: Some(at + Duration::seconds(5)), ..key() }.check_usable(at), Ok(()));
    }

    #[test]
    fn last_use_is_recorded_at_most_once_a_minute() {
        let at = now();
        assert!(key().needs_touch(at));
        assert!(!ApiKey { last_used_at: Some(at - Duration::seconds(59)), ..key() }.needs_touch(at));
        assert!(ApiKey { last_used_at: Some(at - Duration::seconds(60)), ..key() }.needs_touch(at));
    }

    #[test]
    fn requests_are_validated() {
        let at = now();
        let ok = ApiKeyRequest::new(StaffId::new(), " deploy ", &["donors:read".into()], None, at).unwrap();
        assert_eq!(ok.name, "deploy");
        let errors =
            ApiKeyRequest::new(StaffId::new(), "", &["nope".into()], Some(at - Duration::days(1)), at).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_ref()).collect();
        assert_eq!(fields, ["name", "permissions", "expires_at"]);
    }
}
