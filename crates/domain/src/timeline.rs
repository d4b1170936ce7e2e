//! A donor's timeline: their communications, donations, sent campaign emails and completed tasks,
//! merged newest first and read a page at a time.
//!
//! Entries are ordered by `(timestamp, kind, id)`, all descending; the kind breaks ties between
//! entries of different kinds at the same instant (a donation's timestamp is its date at 00:00
//! UTC, so ties are common), the id ties within a kind. A page's cursor is the position of its
//! last entry.

use async_trait::async_trait;
use uuid::Uuid;

use crate::communication::{CommunicationChannel, CommunicationStatus, Direction};
use crate::shared::{DonorId, Money, OrgScope, Page, ProjectId, RepoError, Timestamp, ValueError};
use crate::string_enum;
use crate::todo::TodoType;

pub use crate::shared::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// The longest communication excerpt an entry carries, in characters.
pub const EXCERPT_MAX: usize = 160;

string_enum! {
    /// What a timeline entry is.
    pub enum TimelineKind: "kind" {
        Communication => "communication",
        Donation => "donation",
        CampaignEmail => "campaign_email",
        Task => "task",
    }
}

impl TimelineKind {
    /// The kind's place in the tie-break: at the same timestamp a higher rank comes first.
    pub const fn rank(self) -> i32 {
        match self {
            TimelineKind::Donation => 1,
            TimelineKind::Communication => 2,
            TimelineKind::CampaignEmail => 3,
            TimelineKind::Task => 4,
        }
    }

    pub fn from_rank(rank: i32) -> Option<Self> {
        Self::ALL.iter().copied().find(|kind| kind.rank() == rank)
    }
}

/// What an entry says, by kind: a small summary, not the whole record.
#[derive(Debug, Clone, PartialEq)]
pub enum TimelineDetail {
    Communication {
        channel: CommunicationChannel,
        direction: Direction,
        status: CommunicationStatus,
        subject: Option<String>,
        /// The first [`EXCERPT_MAX`] characters of the content.
        excerpt: String,
    },
    Donation {
        amount: Money,
        project_id: Option<ProjectId>,
    },
    CampaignEmail {
        subject: String,
    },
    Task {
        title: String,
        task_type: TodoType,
    },
}

impl TimelineDetail {
    pub fn kind(&self) -> TimelineKind {
        match self {
            TimelineDetail::Communication { .. } => TimelineKind::Communication,
            TimelineDetail::Donation { .. } => TimelineKind::Donation,
            TimelineDetail::CampaignEmail { .. } => TimelineKind::CampaignEmail,
            TimelineDetail::Task { .. } => TimelineKind::Task,
        }
    }
}

/// One entry: the id of the row it comes from (a communication, donation, generated email or
/// todo), when it happened, and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub id: Uuid,
    /// A communication's `sent_at` (else when it was logged), a donation's date at 00:00 UTC, a
    /// campaign email's `sent_at`, a task's `completed_at`.
    pub at: Timestamp,
    pub detail: TimelineDetail,
}

impl TimelineEntry {
    pub fn kind(&self) -> TimelineKind {
        self.detail.kind()
    }

    pub fn position(&self) -> TimelinePosition {
        TimelinePosition { at: self.at, kind: self.kind(), id: self.id }
    }
}

/// A place in a timeline: the entries after it are older, or as old and of a lower-ranked
/// kind, or as old, of the same kind and with a lower id. Opaque to clients:
/// `<micros>.<rank>.<uuid>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelinePosition {
    pub at: Timestamp,
    pub kind: TimelineKind,
    pub id: Uuid,
}

impl TimelinePosition {
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.at.timestamp_micros(), self.kind.rank(), self.id.simple())
    }

    pub fn decode(raw: &str) -> Result<Self, ValueError> {
        let invalid = || ValueError::new("cursor", "is not a cursor returned by this list");
        let mut parts = raw.split('.');
        let (Some(micros), Some(rank), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let at = micros.parse().ok().and_then(chrono::DateTime::from_timestamp_micros).ok_or_else(invalid)?;
        let kind = rank.parse().ok().and_then(TimelineKind::from_rank).ok_or_else(invalid)?;
        let id = Uuid::parse_str(id).map_err(|_| invalid())?;
        Ok(Self { at, kind, id })
    }
}

/// Which page of a timeline to read, and which kinds of entries it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineRequest {
    limit: u64,
    after: Option<TimelinePosition>,
    kinds: Vec<TimelineKind>,
}

impl TimelineRequest {
    /// `limit` is clamped to `1..=MAX_PAGE_SIZE` (`None`: the default size); `kinds` is
    /// deduplicated, and empty means an empty timeline.
    pub fn new(limit: Option<u64>, after: Option<TimelinePosition>, kinds: &[TimelineKind]) -> Self {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        let mut kinds = kinds.to_vec();
        kinds.sort();
        kinds.dedup();
        Self { limit, after, kinds }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn after(&self) -> Option<TimelinePosition> {
        self.after
    }

    pub fn kinds(&self) -> &[TimelineKind] {
        &self.kinds
    }

    /// The page of up to `limit + 1` entries read in timeline order: the extra one only says
    /// that another page exists.
    pub fn page(&self, mut entries: Vec<TimelineEntry>) -> Page<TimelineEntry> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let more = entries.len() > limit;
        entries.truncate(limit);
        let next_cursor = if more { entries.last().map(|e| e.position().encode()) } else { None };
        Page { items: entries, next_cursor }
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TimelineRepository: Send + Sync {
    /// One page of the donor's timeline, newest first. Fails with `NotFound` when the donor is
    /// not the organization's or is soft-deleted.
    async fn page(
        &self,
        scope: &OrgScope,
        donor: DonorId,
        request: TimelineRequest,
    ) -> Result<Page<TimelineEntry>, RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_foreign_ones_are_refused() {
        let position =
            TimelinePosition { at: crate::shared::time::now(), kind: TimelineKind::Task, id: Uuid::now_v7() };
        assert_eq!(TimelinePosition::decode(&position.encode()).unwrap(), position);
        for bad in [
            "",
            "1.2",
            "1.9.0190b0d0e0f0a0b0c0d0e0f0a0b0c0d0",
            "x.1.0190b0d0e0f0a0b0c0d0e0f0a0b0c0d0",
            "1.1.x",
            "1.1.a.b",
        ] {
            assert_eq!(TimelinePosition::decode(bad).unwrap_err().field, "cursor", "{bad}");
        }
    }

    #[test]
    fn every_kind_has_its_own_rank() {
        for kind in TimelineKind::ALL {
            assert_eq!(TimelineKind::from_rank(kind.rank()), Some(*kind));
        }
        assert_eq!(TimelineKind::from_rank(0), None);
    }

    #[test]
    fn the_extra_entry_becomes_the_cursor() {
        let at = crate::shared::time::now();
        let entry = |title: &str| TimelineEntry {
            id: Uuid::now_v7(),
            at,
            detail: TimelineDetail::Task { title: title.into(), task_type: TodoType::Call },
        };
        let request = TimelineRequest::new(Some(1), None, &[TimelineKind::Task, TimelineKind::Task]);
        assert_eq!(request.kinds(), [TimelineKind::Task]);
        let (first, second) = (entry("a"), entry("b"));
        let page = request.page(vec![first.clone(), second]);
        assert_eq!(page.items, std::slice::from_ref(&first));
        assert_eq!(TimelinePosition::decode(page.next_cursor.as_deref().unwrap()).unwrap(), first.position());
        assert_eq!(request.page(vec![first]).next_cursor, None);
    }
}
