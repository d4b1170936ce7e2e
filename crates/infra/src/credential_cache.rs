//! The API-key lookup behind every request, kept in memory on PostgreSQL so that a request costs
//! one round trip less (decision 0026).
//!
//! A revoked or expired key and a deactivated staff member must stop working at once, so the cache
//! only serves while it is told of every change:
//! - triggers on `api_keys` and `staff` (migration `m20250101_000015`) `NOTIFY` the channel
//!   [`CHANNEL`] on every change that matters, whoever makes it (another server, the CLI, psql);
//!   a listener task empties the cache on each notification;
//! - this process's own writes empty it synchronously, before they return, so the next request
//!   of the same server never sees the old state even before the notification arrives;
//! - while the listener is not connected (not yet, or lost) nothing is cached or served from
//!   the cache: every lookup goes to the database, as without a cache;
//! - a lookup that started before an invalidation is not stored when it ends (a generation
//!   counter), so a refill cannot bring back what a change removed.
//!
//! Expiry needs no notification: it is checked against the cached `expires_at` on every request.
//! SQLite has no notifications, and another process (the CLI) may write the same file, so the
//! cache is never enabled there.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use givance_domain::api_key::ApiKeyCredential;
use givance_domain::{ApiKeyId, Timestamp};
use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::{DatabaseConnection, DbBackend};

/// The notification channel the triggers signal.
pub const CHANNEL: &str = "givance_credentials";
/// More keys than this in use at once empties the cache before the next one is stored.
const MAX_ENTRIES: usize = 10_000;
/// How long the listener waits before connecting again after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);
/// The longest wait between attempts while the database stays unreachable.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(30);
/// How often an idle listener checks that its cache is still in use.
const IDLE_CHECK: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Entries {
    generation: u64,
    by_prefix: HashMap<String, ApiKeyCredential>,
}

/// API-key credentials by prefix; see the module documentation for when it serves.
#[derive(Default)]
pub struct CredentialCache {
    entries: RwLock<Entries>,
    live: AtomicBool,
}

/// Where a lookup that missed the cache stands: stored only if nothing changed meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct Lookup(u64);

impl CredentialCache {
    /// A cache that serves nothing until [`listen`] connects its listener.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        // A panic while holding the lock cannot leave the map half-changed: every write is one
        // map operation or a clear.
        self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the cache serves: only while the listener is connected.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// The cached credential for `prefix`, when the cache serves and holds it.
    pub fn get(&self, prefix: &str) -> Option<ApiKeyCredential> {
        if !self.is_live() {
            return None;
        }
        self.read().by_prefix.get(prefix).cloned()
    }

    /// To call before a lookup in the database whose result [`store`](Self::store) may keep.
    pub fn begin_lookup(&self) -> Lookup {
        Lookup(self.read().generation)
    }

    /// Keeps `credential`, unless the cache does not serve or was invalidated since `lookup`.
    pub fn store(&self, lookup: Lookup, credential: &ApiKeyCredential) {
        if !self.is_live() {
            return;
        }
        let mut entries = self.write();
        if entries.generation != lookup.0 {
            return;
        }
        if entries.by_prefix.len() >= MAX_ENTRIES {
            entries.by_prefix.clear();
        }
        entries.by_prefix.insert(credential.key.prefix.clone(), credential.clone());
    }

    /// Forgets everything: a key or a staff member changed.
    pub fn invalidate(&self) {
        let mut entries = self.write();
        entries.generation = entries.generation.wrapping_add(1);
        entries.by_prefix.clear();
    }

    /// Notes that the key's use at `at` was recorded, so that it is not recorded again within
    /// the minute (`ApiKey::needs_touch` reads the cached `last_used_at`).
    pub fn record_use(&self, key: ApiKeyId, at: Timestamp) {
        let mut entries = self.write();
        if let Some(credential) = entries.by_prefix.values_mut().find(|c| c.key.id == key) {
            credential.key.last_used_at = Some(at);
        }
    }

    fn set_live(&self, live: bool) {
        // Empty in both directions: nothing cached before the listener connected, or while it
        // was away, can be trusted.
        self.invalidate();
        self.live.store(live, Ordering::Release);
    }
}

/// Starts the listener that keeps `cache` serving, when `conn` is PostgreSQL (on SQLite the cache
/// never serves). The task ends once the cache is dropped. Must be called within a Tokio runtime.
pub fn listen(conn: &DatabaseConnection, cache: &Arc<CredentialCache>) {
    if conn.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let pool = conn.get_postgres_connection_pool();
    // A connection of its own, outside the request pool: the listener holds it for good.
    let options = (*pool.connect_options()).clone();
    let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(options);
    let cache = Arc::downgrade(cache);
    tokio::spawn(async move {
        let mut delay = RECONNECT_DELAY;
        while still_used(&cache) {
            match PgListener::connect_with(&pool).await {
                Ok(listener) => {
                    serve_notifications(listener, &cache).await;
                    delay = RECONNECT_DELAY;
                }
                Err(err) => {
                    tracing::warn!(error = %err, retry_in = ?delay, "the credential cache's listener cannot connect");
                    delay = (delay * 2).min(MAX_RECONNECT_DELAY);
                }
            }
            tokio::time::sleep(delay).await;
        }
    });
}

fn still_used(cache: &Weak<CredentialCache>) -> bool {
    cache.strong_count() > 0
}

/// Empties the cache on every notification until the connection is lost or the cache dropped.
async fn serve_notifications(mut listener: PgListener, cache: &Weak<CredentialCache>) {
    // Reconnecting is done here, so that the cache goes live only after LISTEN succeeded again.
    listener.eager_reconnect(false);
    if let Err(err) = listener.listen(CHANNEL).await {
        tracing::warn!(error = %err, "the credential cache's listener cannot LISTEN");
        return;
    }
    let Some(strong) = cache.upgrade() else { return };
    strong.set_live(true);
    drop(strong);
    tracing::debug!("the credential cache serves");
    loop {
        let received = tokio::time::timeout(IDLE_CHECK, listener.try_recv()).await;
        let Some(cache) = cache.upgrade() else { return };
        match received {
            Err(_idle) => continue,
            Ok(Ok(Some(_notification))) => cache.invalidate(),
            Ok(Ok(None)) | Ok(Err(_)) => {
                cache.set_live(false);
                tracing::warn!("the credential cache's listener lost its connection: not caching until it is back");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use givance_domain::api_key::ApiKey;
    use givance_domain::shared::time::now;
    use givance_domain::staff::{Role, Staff};
    use givance_domain::{OrganizationId, StaffId, UserId};

    use super::*;

    fn credential(prefix: &str) -> ApiKeyCredential {
        let staff = Staff {
            id: StaffId::new(),
            user_id: UserId::new(),
            role: Role::Admin,
            permissions: vec![],
            is_active: true,
            gmail_refresh_token: None,
            gmail_email: None,
            microsoft_refresh_token: None,
            microsoft_email: None,
            created_at: now(),
            updated_at: now(),
        };
        ApiKeyCredential {
            organization_id: OrganizationId::new(),
            key: ApiKey {
                id: ApiKeyId::new(),
                staff_id: staff.id,
                name: "ci".into(),
                prefix: prefix.into(),
                permissions: vec![],
                created_at: now(),
                last_used_at: None,
                expires_at: None,
                revoked_at: None,
            },
            secret_hash: "00".into(),
            staff,
        }
    }

    #[test]
    fn serves_nothing_until_live() {
        let cache = CredentialCache::new();
        let lookup = cache.begin_lookup();
        cache.store(lookup, &credential("aaaaaaaaaaaa"));
        assert_eq!(cache.get("aaaaaaaaaaaa"), None);
        cache.set_live(true);
        cache.store(cache.begin_lookup(), &credential("aaaaaaaaaaaa"));
        assert!(cache.get("aaaaaaaaaaaa").is_some());
        cache.set_live(false);
        assert_eq!(cache.get("aaaaaaaaaaaa"), None, "a lost listener stops the serving");
        cache.set_live(true);
        assert_eq!(cache.get("aaaaaaaaaaaa"), None, "and what was cached before is gone");
    }

    #[test]
    fn a_lookup_that_began_before_an_invalidation_is_not_stored() {
        let cache = CredentialCache::new();
        cache.set_live(true);
        let lookup = cache.begin_lookup();
        cache.invalidate();
        cache.store(lookup, &credential("bbbbbbbbbbbb"));
        assert_eq!(cache.get("bbbbbbbbbbbb"), None);
        cache.store(cache.begin_lookup(), &credential("bbbbbbbbbbbb"));
        cache.invalidate();
        assert_eq!(cache.get("bbbbbbbbbbbb"), None);
    }

    #[test]
    fn a_recorded_use_is_remembered() {
        let cache = CredentialCache::new();
        cache.set_live(true);
        let found = credential("cccccccccccc");
        cache.store(cache.begin_lookup(), &found);
        let at = now();
        cache.record_use(found.key.id, at);
        assert_eq!(cache.get("cccccccccccc").unwrap().key.last_used_at, Some(at));
    }
}
