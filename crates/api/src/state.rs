//! What every handler can reach. Later features add their services here.

use givance_infra::DatabaseConnection;

/// The application state shared by every worker (cheap to clone: the pool is shared).
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
}

impl AppState {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}
