use chrono::{DateTime, SubsecRound, Utc};

/// Timestamps are UTC with microsecond precision: what PostgreSQL's `timestamptz` keeps, so a
/// value read back equals the value written on both databases.
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to microseconds.
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}
