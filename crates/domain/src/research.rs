//! Person research: AI-assisted research about a donor. A run searches the web, analyses what it
//! found and stores a profile (employer, interests, giving capacity, ...) with its sources.

use async_trait::async_trait;

use crate::shared::{
    DonorId, OrgScope, Page, PageRequest, PersonResearchId, RepoError, Timestamp, ValueError, optional_text,
};
use crate::string_enum;

string_enum! {
    /// Where a research run is: queued, searching the web, analysing the results, done or failed.
    pub enum ResearchStatus: "status" {
        Pending => "pending",
        Searching => "searching",
        Analyzing => "analyzing",
        Completed => "completed",
        Failed => "failed",
    }
}

impl ResearchStatus {
    /// Completed and failed runs do no more work.
    pub fn is_finished(self) -> bool {
        matches!(self, ResearchStatus::Completed | ResearchStatus::Failed)
    }

    /// pending -> searching -> analyzing -> completed; a run that has not finished may fail; a
    /// failed run may be queued again.
    pub fn can_become(self, next: ResearchStatus) -> bool {
        use ResearchStatus::*;
        self == next
            || matches!(
                (self, next),
                (Pending, Searching)
                    | (Searching, Analyzing)
                    | (Analyzing, Completed)
                    | (Pending | Searching | Analyzing, Failed)
                    | (Failed, Pending)
            )
    }
}

string_enum! {
    /// How deep a run goes (how many searches, how long an analysis).
    pub enum ResearchType: "research_type" {
        Basic => "basic",
        Standard => "standard",
        Comprehensive => "comprehensive",
    }
}

impl Default for ResearchType {
    /// The schema's default.
    fn default() -> Self {
        ResearchType::Standard
    }
}

string_enum! {
    /// The analysis' estimate of what a donor could give.
    pub enum GivingCapacity: "giving_capacity" {
        Low => "low",
        Medium => "medium",
        High => "high",
        Major => "major",
    }
}

pub const SUMMARY_MAX: usize = 20_000;
pub const FIELD_MAX: usize = 500;
pub const ERROR_MAX: usize = 5_000;
pub const INTEREST_MAX: usize = 200;
pub const INTERESTS_MAX: usize = 100;
/// No person is older; an estimate above it is a model error.
pub const AGE_MAX: u8 = 130;

#[derive(Debug, Clone, PartialEq)]
pub struct PersonResearch {
    pub id: PersonResearchId,
    pub donor_id: DonorId,
    pub status: ResearchStatus,
    pub research_type: ResearchType,
    /// The search queries used (a JSON array).
    pub search_queries: Option<serde_json::Value>,
    /// Raw search results.
    pub search_results: Option<serde_json::Value>,
    pub summary: Option<String>,
    pub age: Option<u8>,
    /// Free text as the analysis phrased it ("$100k-$150k").
    pub estimated_income: Option<String>,
    pub employer: Option<String>,
    pub job_title: Option<String>,
    pub interests: Vec<String>,
    pub giving_capacity: Option<GivingCapacity>,
    /// The full research data.
    pub data: Option<serde_json::Value>,
    /// Sources with URLs and relevance (a JSON array).
    pub sources: Option<serde_json::Value>,
    pub ai_model: Option<String>,
    pub token_usage: Option<u32>,
    pub processing_time_ms: Option<u32>,
    pub error_message: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A research run to queue. It starts `pending`; the worker fills in the results through
/// [`ResearchPatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPersonResearch {
    pub donor_id: DonorId,
    pub research_type: ResearchType,
}

impl NewPersonResearch {
    pub fn new(donor_id: DonorId, research_type: ResearchType) -> Self {
        Self { donor_id, research_type }
    }

    /// Every run starts here.
    pub fn status(&self) -> ResearchStatus {
        ResearchStatus::Pending
    }
}

/// Changes to a research run: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResearchPatch {
    pub status: Option<ResearchStatus>,
    pub search_queries: Option<Option<serde_json::Value>>,
    pub search_results: Option<Option<serde_json::Value>>,
    pub summary: Option<Option<String>>,
    pub age: Option<Option<u8>>,
    pub estimated_income: Option<Option<String>>,
    pub employer: Option<Option<String>>,
    pub job_title: Option<Option<String>>,
    pub interests: Option<Vec<String>>,
    pub giving_capacity: Option<Option<GivingCapacity>>,
    pub data: Option<Option<serde_json::Value>>,
    pub sources: Option<Option<serde_json::Value>>,
    pub ai_model: Option<Option<String>>,
    pub token_usage: Option<Option<u32>>,
    pub processing_time_ms: Option<Option<u32>>,
    pub error_message: Option<Option<String>>,
}

impl ResearchPatch {
    /// Checks what the field types alone cannot: text lengths, the age range and the interests.
    pub fn validate(&self) -> Result<(), ValueError> {
        let text = |field: &'static str, value: &Option<Option<String>>, max: usize| {
            optional_text(field, value.as_ref().and_then(|v| v.as_deref()), max).map(drop)
        };
        text("summary", &self.summary, SUMMARY_MAX)?;
        text("estimated_income", &self.estimated_income, FIELD_MAX)?;
        text("employer", &self.employer, FIELD_MAX)?;
        text("job_title", &self.job_title, FIELD_MAX)?;
        text("ai_model", &self.ai_model, FIELD_MAX)?;
        text("error_message", &self.error_message, ERROR_MAX)?;
        if let Some(Some(age)) = self.age {
            check_age(age)?;
        }
        if let Some(interests) = &self.interests {
            validate_interests(interests)?;
        }
        Ok(())
    }
}

pub fn check_age(age: u8) -> Result<u8, ValueError> {
    if age > AGE_MAX {
        return Err(ValueError::new("age", format!("must be at most {AGE_MAX}")));
    }
    Ok(age)
}

/// Interests are non-empty, at most `INTEREST_MAX` characters, at most `INTERESTS_MAX` of them.
pub fn validate_interests(interests: &[String]) -> Result<(), ValueError> {
    if interests.len() > INTERESTS_MAX {
        return Err(ValueError::new("interests", format!("at most {INTERESTS_MAX} interests")));
    }
    if interests.iter().any(|i| i.trim().is_empty() || i.chars().count() > INTEREST_MAX) {
        return Err(ValueError::new("interests", format!("each interest must be 1-{INTEREST_MAX} characters")));
    }
    Ok(())
}

/// Which research runs to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResearchFilter {
    pub donor_id: Option<DonorId>,
    pub status: Option<ResearchStatus>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ResearchRepository: Send + Sync {
    /// Queues a run (status `pending`). Fails with `NotFound` when the donor is not the
    /// organization's.
    async fn create(&self, scope: &OrgScope, research: NewPersonResearch) -> Result<PersonResearch, RepoError>;
    /// `None` when the run does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: PersonResearchId) -> Result<Option<PersonResearch>, RepoError>;
    /// The donor's most recently created run, whatever its status; `None` when there is none (or
    /// the donor is not the organization's).
    async fn latest_for_donor(&self, scope: &OrgScope, donor: DonorId) -> Result<Option<PersonResearch>, RepoError>;
    /// Runs matching the filter (by donor, by status), newest first.
    async fn list(
        &self,
        scope: &OrgScope,
        filter: ResearchFilter,
        page: PageRequest,
    ) -> Result<Page<PersonResearch>, RepoError>;
    /// Applies the patch. Fails with `NotFound` when the run is not the organization's, and with
    /// `Invalid` when the patched status cannot follow the stored one
    /// ([`ResearchStatus::can_become`]).
    async fn update(
        &self,
        scope: &OrgScope,
        id: PersonResearchId,
        patch: ResearchPatch,
    ) -> Result<PersonResearch, RepoError>;
    /// Fails with `NotFound` when the run is not the organization's.
    async fn delete(&self, scope: &OrgScope, id: PersonResearchId) -> Result<(), RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ResearchStatus::*;

    #[test]
    fn status_moves_forward_and_failed_runs_may_be_retried() {
        let allowed = [
            (Pending, Searching, true),
            (Searching, Analyzing, true),
            (Analyzing, Completed, true),
            (Pending, Failed, true),
            (Searching, Failed, true),
            (Analyzing, Failed, true),
            (Failed, Pending, true),
            (Completed, Completed, true),
            (Pending, Completed, false),
            (Completed, Failed, false),
            (Completed, Pending, false),
            (Analyzing, Searching, false),
            (Failed, Completed, false),
        ];
        for (from, to, expected) in allowed {
            assert_eq!(from.can_become(to), expected, "{from} -> {to}");
        }
        assert!(Completed.is_finished() && Failed.is_finished() && !Analyzing.is_finished());
    }

    #[test]
    fn check_lists_parse_strictly() {
        assert_eq!("analyzing".parse::<ResearchStatus>().unwrap(), Analyzing);
        assert!("analysing".parse::<ResearchStatus>().is_err());
        assert_eq!(ResearchType::default(), ResearchType::Standard);
        assert!("deep".parse::<ResearchType>().is_err());
        assert_eq!("major".parse::<GivingCapacity>().unwrap(), GivingCapacity::Major);
        assert_eq!("huge".parse::<GivingCapacity>().unwrap_err().field, "giving_capacity");
    }

    #[test]
    fn new_runs_start_pending() {
        let research = NewPersonResearch::new(DonorId::new(), ResearchType::Basic);
        assert_eq!(research.status(), Pending);
    }

    #[test]
    fn patches_are_checked() {
        let cases: [(ResearchPatch, Option<&str>); 5] = [
            (ResearchPatch { age: Some(Some(AGE_MAX)), ..Default::default() }, None),
            (ResearchPatch { age: Some(Some(AGE_MAX + 1)), ..Default::default() }, Some("age")),
            (ResearchPatch { employer: Some(Some("x".repeat(FIELD_MAX + 1))), ..Default::default() }, Some("employer")),
            (
                ResearchPatch { interests: Some(vec!["sailing".into(), " ".into()]), ..Default::default() },
                Some("interests"),
            ),
            (ResearchPatch { summary: Some(None), interests: Some(vec!["music".into()]), ..Default::default() }, None),
        ];
        for (patch, field) in cases {
            assert_eq!(patch.validate().err().map(|e| e.field.into_owned()).as_deref(), field, "{patch:?}");
        }
    }
}
