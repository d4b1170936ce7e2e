//! What every handler can reach. Later features add their services here.

use std::sync::Arc;

use givance_infra::{DatabaseConnection, Repositories};

use crate::jwt::JwtVerifier;

/// How bearer credentials are verified. API keys always work; JWTs only with a verifier.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// `None`: every JWT is refused with a 401.
    pub jwt: Option<Arc<JwtVerifier>>,
}

/// The application state shared by every worker (cheap to clone: the pool is shared).
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub repos: Repositories,
    pub auth: AuthConfig,
}

impl AppState {
    /// The repositories over `db`, with API keys as the only accepted credential, their lookups
    /// cached on PostgreSQL. Must be called within a Tokio runtime.
    pub fn new(db: DatabaseConnection) -> Self {
        let repos = Repositories::new(&db).cache_credentials(&db);
        Self { db, repos, auth: AuthConfig::default() }
    }

    /// As [`new`](Self::new), with every API key looked up in the database.
    pub fn without_credential_cache(db: DatabaseConnection) -> Self {
        let repos = Repositories::new(&db);
        Self { db, repos, auth: AuthConfig::default() }
    }

    /// Accepts JWTs verified by `verifier` as well.
    pub fn with_jwt(mut self, verifier: JwtVerifier) -> Self {
        self.auth.jwt = Some(Arc::new(verifier));
        self
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("db", &self.db).field("auth", &self.auth).finish_non_exhaustive()
    }
}
