//! Email campaigns: a generation session drafts one personalised email per selected donor; the
//! emails are reviewed, scheduled by the session's schedule config into send jobs, sent through
//! the staff member's mailbox and tracked (see [`crate::tracking`]).

use std::collections::HashSet;
use std::num::NonZeroU32;

use async_trait::async_trait;
use chrono::{TimeDelta, Weekday};
use serde::{Deserialize, Serialize};

use crate::shared::{
    DonorId, EmailGenerationSessionId, EmailScheduleConfigId, EmailSendJobId, GeneratedEmailId, OrgScope,
    OrganizationId, Page, PageRequest, RepoError, StaffId, TimeZone, Timestamp, ValueError, optional_text,
    required_text,
};
use crate::string_enum;
use crate::tracking::EmailTrackerToken;

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;
pub const INSTRUCTIONS_MAX: usize = 50_000;
pub const SUBJECT_MAX: usize = 998;
/// Bodies of generated emails, plain or HTML.
pub const BODY_MAX: usize = 500_000;
pub const FIELD_MAX: usize = 500;
pub const ERROR_MAX: usize = 5_000;
/// The most donors one session may address.
pub const SELECTED_DONORS_MAX: usize = 50_000;

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

string_enum! {
    /// Where a generation session is.
    pub enum SessionStatus: "status" {
        Configuring => "configuring",
        Generating => "generating",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

impl SessionStatus {
    /// configuring -> generating -> completed; a session that has not completed may be cancelled.
    pub fn can_become(self, next: SessionStatus) -> bool {
        use SessionStatus::*;
        self == next
            || matches!(
                (self, next),
                (Configuring, Generating) | (Generating, Completed) | (Configuring | Generating, Cancelled)
            )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailGenerationSession {
    pub id: EmailGenerationSessionId,
    pub name: String,
    pub description: Option<String>,
    pub status: SessionStatus,
    /// Instructions for the AI writer.
    pub instructions: Option<String>,
    /// The filters and criteria the donors were selected by.
    pub donor_selection: Option<serde_json::Value>,
    pub selected_donor_ids: Vec<DonorId>,
    /// The conversation with the AI that shaped the instructions (a JSON array of messages).
    pub chat_history: Option<serde_json::Value>,
    /// How many emails the session will generate, once known.
    pub total_emails: Option<u32>,
    pub generated_count: u32,
    pub failed_count: u32,
    /// The background job generating the emails.
    pub job_id: Option<String>,
    pub job_started_at: Option<Timestamp>,
    pub job_completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A session to create; it starts `configuring` with zero counts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmailGenerationSession {
    pub name: String,
    pub description: Option<String>,
    pub instructions: Option<String>,
    pub donor_selection: Option<serde_json::Value>,
    pub selected_donor_ids: Vec<DonorId>,
    pub chat_history: Option<serde_json::Value>,
}

impl NewEmailGenerationSession {
    pub fn new(name: &str) -> Result<Self, ValueError> {
        Ok(Self {
            name: required_text("name", name, NAME_MAX)?,
            description: None,
            instructions: None,
            donor_selection: None,
            selected_donor_ids: Vec::new(),
            chat_history: None,
        })
    }

    /// Every session starts here.
    pub fn status(&self) -> SessionStatus {
        SessionStatus::Configuring
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        required_text("name", &self.name, NAME_MAX)?;
        optional_text("description", self.description.as_deref(), DESCRIPTION_MAX)?;
        optional_text("instructions", self.instructions.as_deref(), INSTRUCTIONS_MAX)?;
        check_selected_donors(&self.selected_donor_ids)
    }
}

/// At most `SELECTED_DONORS_MAX` donors, each once.
pub fn check_selected_donors(donors: &[DonorId]) -> Result<(), ValueError> {
    if donors.len() > SELECTED_DONORS_MAX {
        return Err(ValueError::new("selected_donor_ids", format!("at most {SELECTED_DONORS_MAX} donors")));
    }
    let mut seen = HashSet::with_capacity(donors.len());
    if let Some(duplicate) = donors.iter().find(|id| !seen.insert(**id)) {
        return Err(ValueError::new("selected_donor_ids", format!("donor {duplicate} is listed twice")));
    }
    Ok(())
}

/// Changes to a session: `None` leaves a field alone, `Some(None)` clears it. The counters change
/// only through [`EmailGenerationSessionRepository::add_counts`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub status: Option<SessionStatus>,
    pub instructions: Option<Option<String>>,
    pub donor_selection: Option<Option<serde_json::Value>>,
    pub selected_donor_ids: Option<Vec<DonorId>>,
    pub chat_history: Option<Option<serde_json::Value>>,
    pub total_emails: Option<Option<u32>>,
    pub job_id: Option<Option<String>>,
    pub job_started_at: Option<Option<Timestamp>>,
    pub job_completed_at: Option<Option<Timestamp>>,
}

impl SessionPatch {
    pub fn validate(&self) -> Result<(), ValueError> {
        if let Some(name) = &self.name {
            required_text("name", name, NAME_MAX)?;
        }
        let text = |field: &'static str, value: &Option<Option<String>>, max: usize| {
            optional_text(field, value.as_ref().and_then(|v| v.as_deref()), max).map(drop)
        };
        text("description", &self.description, DESCRIPTION_MAX)?;
        text("instructions", &self.instructions, INSTRUCTIONS_MAX)?;
        text("job_id", &self.job_id, FIELD_MAX)?;
        self.selected_donor_ids.as_deref().map_or(Ok(()), check_selected_donors)
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EmailGenerationSessionRepository: Send + Sync {
    /// Creates a `configuring` session. Fails with `NotFound` when a selected donor is not the
    /// organization's.
    async fn create(
        &self,
        scope: &OrgScope,
        session: NewEmailGenerationSession,
    ) -> Result<EmailGenerationSession, RepoError>;
    /// `None` when the session does not exist in the organization.
    async fn get(
        &self,
        scope: &OrgScope,
        id: EmailGenerationSessionId,
    ) -> Result<Option<EmailGenerationSession>, RepoError>;
    /// Sessions, optionally of one status, newest first.
    async fn list(
        &self,
        scope: &OrgScope,
        status: Option<SessionStatus>,
        page: PageRequest,
    ) -> Result<Page<EmailGenerationSession>, RepoError>;
    /// Fails with `NotFound` when the session (or a newly selected donor) is not the
    /// organization's, and with `Invalid` when the patched status cannot follow the stored one
    /// ([`SessionStatus::can_become`]).
    async fn update(
        &self,
        scope: &OrgScope,
        id: EmailGenerationSessionId,
        patch: SessionPatch,
    ) -> Result<EmailGenerationSession, RepoError>;
    /// Adds to `generated_count` and `failed_count` atomically (generation workers run
    /// concurrently). Fails with `NotFound` when the session is not the organization's.
    async fn add_counts(
        &self,
        scope: &OrgScope,
        id: EmailGenerationSessionId,
        generated: u32,
        failed: u32,
    ) -> Result<EmailGenerationSession, RepoError>;
    /// Fails with `NotFound` when the session is not the organization's and with `InUse` while
    /// generated emails belong to it (cancel it instead).
    async fn delete(&self, scope: &OrgScope, id: EmailGenerationSessionId) -> Result<(), RepoError>;
}

// ---------------------------------------------------------------------------------------------
// Generated emails
// ---------------------------------------------------------------------------------------------

string_enum! {
    /// Where a generated email is in review and delivery.
    pub enum GeneratedEmailStatus: "status" {
        Draft => "draft",
        Approved => "approved",
        Scheduled => "scheduled",
        Sent => "sent",
        Failed => "failed",
    }
}

impl GeneratedEmailStatus {
    /// draft <-> approved -> scheduled -> sent | failed. A draft may be scheduled directly, an
    /// approved email sent at once, a scheduled one taken back to approved, a failed one
    /// rescheduled or re-approved. Sent is final.
    pub fn can_become(self, next: GeneratedEmailStatus) -> bool {
        use GeneratedEmailStatus::*;
        self == next
            || matches!(
                (self, next),
                (Draft, Approved)
                    | (Approved, Draft)
                    | (Draft | Approved, Scheduled)
                    | (Scheduled, Approved)
                    | (Approved | Scheduled, Sent | Failed)
                    | (Failed, Scheduled | Approved)
            )
    }
}

string_enum! {
    /// How an email left: the staff member's Gmail or Microsoft mailbox, or SMTP.
    pub enum EmailProvider: "provider" {
        Gmail => "gmail",
        Microsoft => "microsoft",
        Smtp => "smtp",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedEmail {
    pub id: GeneratedEmailId,
    pub session_id: EmailGenerationSessionId,
    pub donor_id: DonorId,
    pub subject: String,
    pub body_plain: String,
    pub body_html: String,
    /// Paragraphs and sections, for the editor.
    pub structured_content: Option<serde_json::Value>,
    pub status: GeneratedEmailStatus,
    pub sent_at: Option<Timestamp>,
    pub scheduled_for: Option<Timestamp>,
    pub sent_by_staff_id: Option<StaffId>,
    pub provider: Option<EmailProvider>,
    pub provider_message_id: Option<String>,
    pub provider_thread_id: Option<String>,
    pub ai_model: Option<String>,
    pub token_usage: Option<u32>,
    pub generation_time_ms: Option<u32>,
    /// What donor information the writer used.
    pub donor_context_used: Option<serde_json::Value>,
    /// The tracking pixel token of this email, once it has a tracker.
    pub tracker_id: Option<EmailTrackerToken>,
    /// Counters kept by [`crate::tracking::TrackingRepository::record_open_for_pixel`] and
    /// [`crate::tracking::TrackingRepository::record_click_for_redirect`].
    pub opens: u32,
    pub clicks: u32,
    pub last_opened_at: Option<Timestamp>,
    pub last_clicked_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A generated email to store; it starts as a `draft` with no opens or clicks.
#[derive(Debug, Clone, PartialEq)]
pub struct NewGeneratedEmail {
    pub session_id: EmailGenerationSessionId,
    pub donor_id: DonorId,
    pub subject: String,
    pub body_plain: String,
    pub body_html: String,
    pub structured_content: Option<serde_json::Value>,
    pub ai_model: Option<String>,
    pub token_usage: Option<u32>,
    pub generation_time_ms: Option<u32>,
    pub donor_context_used: Option<serde_json::Value>,
}

impl NewGeneratedEmail {
    pub fn new(
        session_id: EmailGenerationSessionId,
        donor_id: DonorId,
        subject: &str,
        body_plain: &str,
        body_html: &str,
    ) -> Result<Self, ValueError> {
        Ok(Self {
            session_id,
            donor_id,
            subject: check_subject(subject)?,
            body_plain: required_text("body_plain", body_plain, BODY_MAX)?,
            body_html: required_text("body_html", body_html, BODY_MAX)?,
            structured_content: None,
            ai_model: None,
            token_usage: None,
            generation_time_ms: None,
            donor_context_used: None,
        })
    }

    /// Every generated email starts here.
    pub fn status(&self) -> GeneratedEmailStatus {
        GeneratedEmailStatus::Draft
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        check_subject(&self.subject)?;
        required_text("body_plain", &self.body_plain, BODY_MAX)?;
        required_text("body_html", &self.body_html, BODY_MAX)?;
        optional_text("ai_model", self.ai_model.as_deref(), FIELD_MAX)?;
        Ok(())
    }
}

/// A subject is one line (a header cannot carry a line break), 1 to `SUBJECT_MAX` characters.
pub fn check_subject(subject: &str) -> Result<String, ValueError> {
    let subject = required_text("subject", subject, SUBJECT_MAX)?;
    if subject.contains(['\r', '\n']) {
        return Err(ValueError::new("subject", "must be a single line"));
    }
    Ok(subject)
}

/// Changes to a generated email: `None` leaves a field alone, `Some(None)` clears it. Delivery
/// is recorded with [`GeneratedEmailRepository::mark_sent`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneratedEmailPatch {
    pub subject: Option<String>,
    pub body_plain: Option<String>,
    pub body_html: Option<String>,
    pub structured_content: Option<Option<serde_json::Value>>,
    pub status: Option<GeneratedEmailStatus>,
    pub scheduled_for: Option<Option<Timestamp>>,
    pub tracker_id: Option<Option<EmailTrackerToken>>,
}

impl GeneratedEmailPatch {
    pub fn validate(&self) -> Result<(), ValueError> {
        if let Some(subject) = &self.subject {
            check_subject(subject)?;
        }
        if let Some(body) = &self.body_plain {
            required_text("body_plain", body, BODY_MAX)?;
        }
        if let Some(body) = &self.body_html {
            required_text("body_html", body, BODY_MAX)?;
        }
        Ok(())
    }
}

/// The result of handing an email to a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    pub sent_at: Timestamp,
    pub sent_by_staff_id: Option<StaffId>,
    pub provider: EmailProvider,
    pub provider_message_id: Option<String>,
    pub provider_thread_id: Option<String>,
}

/// Which generated emails to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GeneratedEmailFilter {
    pub session_id: Option<EmailGenerationSessionId>,
    pub donor_id: Option<DonorId>,
    pub status: Option<GeneratedEmailStatus>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GeneratedEmailRepository: Send + Sync {
    /// Stores a draft. Fails with `NotFound` when the session or the donor is not the
    /// organization's.
    async fn create(&self, scope: &OrgScope, email: NewGeneratedEmail) -> Result<GeneratedEmail, RepoError>;
    /// `None` when the email does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: GeneratedEmailId) -> Result<Option<GeneratedEmail>, RepoError>;
    /// The email carrying this pixel token, if it is the organization's.
    async fn find_by_tracker(
        &self,
        scope: &OrgScope,
        tracker: EmailTrackerToken,
    ) -> Result<Option<GeneratedEmail>, RepoError>;
    /// Emails matching the filter (by session, donor, status), newest first.
    async fn list(
        &self,
        scope: &OrgScope,
        filter: GeneratedEmailFilter,
        page: PageRequest,
    ) -> Result<Page<GeneratedEmail>, RepoError>;
    /// How many of the session's emails are in each status (statuses with none are left out).
    /// An unknown session has no emails.
    async fn status_counts(
        &self,
        scope: &OrgScope,
        session: EmailGenerationSessionId,
    ) -> Result<Vec<(GeneratedEmailStatus, u64)>, RepoError>;
    /// Fails with `NotFound` when the email is not the organization's, and with `Invalid` when
    /// the patched status cannot follow the stored one ([`GeneratedEmailStatus::can_become`]).
    async fn update(
        &self,
        scope: &OrgScope,
        id: GeneratedEmailId,
        patch: GeneratedEmailPatch,
    ) -> Result<GeneratedEmail, RepoError>;
    /// Records delivery: status `sent` with the provider's ids. Fails with `NotFound` when the
    /// email (or the sending staff member) is not the organization's, and with `Invalid` when the
    /// email cannot become `sent` (a draft, or already sent).
    async fn mark_sent(
        &self,
        scope: &OrgScope,
        id: GeneratedEmailId,
        sent: SentEmail,
    ) -> Result<GeneratedEmail, RepoError>;
    /// Fails with `NotFound` when the email is not the organization's and with `InUse` while send
    /// jobs or trackers refer to it.
    async fn delete(&self, scope: &OrgScope, id: GeneratedEmailId) -> Result<(), RepoError>;
}

// ---------------------------------------------------------------------------------------------
// Schedule config
// ---------------------------------------------------------------------------------------------

/// The largest value an `INTEGER` column holds.
const INTEGER_MAX: i64 = i32::MAX as i64;

/// How many emails of a session go out per day: at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct DailyLimit(NonZeroU32);

impl DailyLimit {
    pub fn new(limit: i64) -> Result<Self, ValueError> {
        u32::try_from(limit)
            .ok()
            .filter(|l| i64::from(*l) <= INTEGER_MAX)
            .and_then(NonZeroU32::new)
            .map(Self)
            .ok_or_else(|| ValueError::new("daily_limit", format!("must be between 1 and {INTEGER_MAX}, not {limit}")))
    }

    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl Default for DailyLimit {
    /// The schema's default: 100 a day.
    fn default() -> Self {
        Self(NonZeroU32::MIN.saturating_add(99))
    }
}

impl TryFrom<i64> for DailyLimit {
    type Error = ValueError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<DailyLimit> for u32 {
    fn from(value: DailyLimit) -> Self {
        value.get()
    }
}

/// The least number of hours between two emails to the same donor: zero or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct MinGapHours(u32);

impl MinGapHours {
    pub fn new(hours: i64) -> Result<Self, ValueError> {
        u32::try_from(hours).ok().filter(|h| i64::from(*h) <= INTEGER_MAX).map(Self).ok_or_else(|| {
            ValueError::new("min_gap_hours", format!("must be between 0 and {INTEGER_MAX}, not {hours}"))
        })
    }

    pub fn get(self) -> u32 {
        self.0
    }

    pub fn as_duration(self) -> TimeDelta {
        TimeDelta::hours(i64::from(self.0))
    }
}

impl Default for MinGapHours {
    /// The schema's default: a day.
    fn default() -> Self {
        Self(24)
    }
}

impl TryFrom<i64> for MinGapHours {
    type Error = ValueError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<MinGapHours> for u32 {
    fn from(value: MinGapHours) -> Self {
        value.get()
    }
}

/// An hour of the day, 0 to 23, in the schedule's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct HourOfDay(u8);

impl HourOfDay {
    pub fn new(hour: i64) -> Result<Self, ValueError> {
        u8::try_from(hour)
            .ok()
            .filter(|h| *h <= 23)
            .map(Self)
            .ok_or_else(|| ValueError::new("hour", format!("must be between 0 and 23, not {hour}")))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for HourOfDay {
    type Error = ValueError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<HourOfDay> for u8 {
    fn from(value: HourOfDay) -> Self {
        value.get()
    }
}

/// The hours of the day emails may go out: from `start` (inclusive) to `end` (exclusive), with
/// `start` before `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendWindow {
    start: HourOfDay,
    end: HourOfDay,
}

impl SendWindow {
    /// Checks `send_start_hour` and `send_end_hour` (each 0-23) and that the start comes first.
    pub fn new(start_hour: i64, end_hour: i64) -> Result<Self, ValueError> {
        let start = HourOfDay::new(start_hour).map_err(|e| e.for_field("send_start_hour"))?;
        let end = HourOfDay::new(end_hour).map_err(|e| e.for_field("send_end_hour"))?;
        if start >= end {
            return Err(ValueError::new(
                "send_end_hour",
                format!("must be after send_start_hour ({start_hour}), not {end_hour}"),
            ));
        }
        Ok(Self { start, end })
    }

    pub fn start_hour(self) -> u8 {
        self.start.get()
    }

    pub fn end_hour(self) -> u8 {
        self.end.get()
    }

    /// Whether an email may go out during `hour` (0-23).
    pub fn contains(self, hour: u32) -> bool {
        (u32::from(self.start_hour())..u32::from(self.end_hour())).contains(&hour)
    }
}

impl Default for SendWindow {
    /// The schema's default: 9 AM to 5 PM.
    fn default() -> Self {
        Self { start: HourOfDay(9), end: HourOfDay(17) }
    }
}

/// The days of the week emails may go out: at least one, each once, Monday first. Stored as ISO
/// weekday numbers (1 = Monday ... 7 = Sunday).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<i64>", into = "Vec<u8>")]
pub struct SendDays(Vec<Weekday>);

impl SendDays {
    /// From ISO weekday numbers; duplicates are dropped, the order does not matter.
    pub fn from_iso(days: &[i64]) -> Result<Self, ValueError> {
        let weekdays = days.iter().map(|day| iso_weekday(*day)).collect::<Result<Vec<_>, _>>()?;
        Self::new(weekdays)
    }

    /// From weekdays; duplicates are dropped, the order does not matter.
    pub fn new(days: impl IntoIterator<Item = Weekday>) -> Result<Self, ValueError> {
        let mut days: Vec<Weekday> = days.into_iter().collect();
        days.sort_by_key(|day| day.number_from_monday());
        days.dedup();
        if days.is_empty() {
            return Err(ValueError::new("send_days", "must name at least one day"));
        }
        Ok(Self(days))
    }

    pub fn days(&self) -> &[Weekday] {
        &self.0
    }

    /// The stored form: ISO weekday numbers, ascending.
    pub fn iso_numbers(&self) -> Vec<u8> {
        // number_from_monday is 1..=7.
        self.0.iter().map(|day| day.number_from_monday() as u8).collect()
    }

    pub fn contains(&self, day: Weekday) -> bool {
        self.0.contains(&day)
    }
}

fn iso_weekday(day: i64) -> Result<Weekday, ValueError> {
    let invalid = || ValueError::new("send_days", format!("{day} is not an ISO weekday (1 = Monday ... 7 = Sunday)"));
    let index = u8::try_from(day).ok().and_then(|d| d.checked_sub(1)).ok_or_else(invalid)?;
    Weekday::try_from(index).map_err(|_| invalid())
}

impl Default for SendDays {
    /// The schema's default: Monday to Friday.
    fn default() -> Self {
        Self(vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri])
    }
}

impl TryFrom<Vec<i64>> for SendDays {
    type Error = ValueError;
    fn try_from(value: Vec<i64>) -> Result<Self, Self::Error> {
        Self::from_iso(&value)
    }
}

impl From<SendDays> for Vec<u8> {
    fn from(value: SendDays) -> Self {
        value.iso_numbers()
    }
}

/// How a session's emails are spread over time. One per session.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailScheduleConfig {
    pub id: EmailScheduleConfigId,
    pub session_id: EmailGenerationSessionId,
    pub daily_limit: DailyLimit,
    pub min_gap_hours: MinGapHours,
    pub timezone: TimeZone,
    /// `send_start_hour` and `send_end_hour`.
    pub send_window: SendWindow,
    pub send_days: SendDays,
    pub is_active: bool,
    /// When sending was last paused; `None` while it never was.
    pub paused_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A schedule to set for a session. [`NewEmailScheduleConfig::new`] starts from the schema's
/// defaults (100 a day, 24 hours apart, 9 to 17 New York time, Monday to Friday, active).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmailScheduleConfig {
    pub session_id: EmailGenerationSessionId,
    pub daily_limit: DailyLimit,
    pub min_gap_hours: MinGapHours,
    pub timezone: TimeZone,
    pub send_window: SendWindow,
    pub send_days: SendDays,
    pub is_active: bool,
}

impl NewEmailScheduleConfig {
    pub fn new(session_id: EmailGenerationSessionId) -> Self {
        Self {
            session_id,
            daily_limit: DailyLimit::default(),
            min_gap_hours: MinGapHours::default(),
            timezone: TimeZone::default(),
            send_window: SendWindow::default(),
            send_days: SendDays::default(),
            is_active: true,
        }
    }
}

/// Changes to a schedule: `None` leaves a field alone. Pausing and resuming have their own
/// repository methods.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmailScheduleConfigPatch {
    pub daily_limit: Option<DailyLimit>,
    pub min_gap_hours: Option<MinGapHours>,
    pub timezone: Option<TimeZone>,
    pub send_window: Option<SendWindow>,
    pub send_days: Option<SendDays>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EmailScheduleRepository: Send + Sync {
    /// Sets the session's schedule, replacing any it had (one per session). Fails with
    /// `NotFound` when the session is not the organization's.
    async fn upsert(&self, scope: &OrgScope, config: NewEmailScheduleConfig) -> Result<EmailScheduleConfig, RepoError>;
    /// `None` when the config does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: EmailScheduleConfigId) -> Result<Option<EmailScheduleConfig>, RepoError>;
    /// The session's schedule; `None` when it has none (or the session is not the organization's).
    async fn get_for_session(
        &self,
        scope: &OrgScope,
        session: EmailGenerationSessionId,
    ) -> Result<Option<EmailScheduleConfig>, RepoError>;
    /// Schedules of the organization, newest first; `active_only` leaves out paused ones.
    async fn list(
        &self,
        scope: &OrgScope,
        active_only: bool,
        page: PageRequest,
    ) -> Result<Page<EmailScheduleConfig>, RepoError>;
    /// Fails with `NotFound` when the session has no schedule in the organization.
    async fn update(
        &self,
        scope: &OrgScope,
        session: EmailGenerationSessionId,
        patch: EmailScheduleConfigPatch,
    ) -> Result<EmailScheduleConfig, RepoError>;
    /// Sets `is_active = false` and `paused_at = at`. Fails with `NotFound` when the session has
    /// no schedule in the organization.
    async fn pause(
        &self,
        scope: &OrgScope,
        session: EmailGenerationSessionId,
        at: Timestamp,
    ) -> Result<EmailScheduleConfig, RepoError>;
    /// Sets `is_active = true` (keeping `paused_at` as history). Fails with `NotFound` when the
    /// session has no schedule in the organization.
    async fn resume(
        &self,
        scope: &OrgScope,
        session: EmailGenerationSessionId,
    ) -> Result<EmailScheduleConfig, RepoError>;
    /// Fails with `NotFound` when the session has no schedule in the organization.
    async fn delete(&self, scope: &OrgScope, session: EmailGenerationSessionId) -> Result<(), RepoError>;
}

// ---------------------------------------------------------------------------------------------
// Send jobs
// ---------------------------------------------------------------------------------------------

string_enum! {
    /// Where one scheduled send is.
    pub enum SendJobStatus: "status" {
        Pending => "pending",
        Processing => "processing",
        Sent => "sent",
        Failed => "failed",
        Cancelled => "cancelled",
    }
}

impl SendJobStatus {
    /// pending -> processing -> sent | failed; a processing job may go back to pending (retry
    /// later), a failed one may be retried, a pending one cancelled. Sent and cancelled are final.
    pub fn can_become(self, next: SendJobStatus) -> bool {
        use SendJobStatus::*;
        self == next
            || matches!(
                (self, next),
                (Pending, Processing | Cancelled)
                    | (Processing, Sent | Failed | Pending)
                    | (Failed, Pending | Cancelled)
            )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailSendJob {
    pub id: EmailSendJobId,
    pub email_id: GeneratedEmailId,
    /// The moment to send, in UTC.
    pub scheduled_for: Timestamp,
    /// The zone the moment was chosen in (the schedule's).
    pub timezone: TimeZone,
    pub status: SendJobStatus,
    pub attempts: u32,
    pub last_attempt_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub error_message: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A send to schedule; it starts `pending` with no attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmailSendJob {
    pub email_id: GeneratedEmailId,
    pub scheduled_for: Timestamp,
    pub timezone: TimeZone,
}

impl NewEmailSendJob {
    pub fn new(email_id: GeneratedEmailId, scheduled_for: Timestamp, timezone: TimeZone) -> Self {
        Self { email_id, scheduled_for, timezone }
    }

    /// Every job starts here.
    pub fn status(&self) -> SendJobStatus {
        SendJobStatus::Pending
    }
}

/// Which send jobs to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendJobFilter {
    pub status: Option<SendJobStatus>,
    pub email_id: Option<GeneratedEmailId>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EmailSendJobRepository: Send + Sync {
    /// Schedules the sends, all or none. Fails with `NotFound` when any email is not the
    /// organization's.
    async fn create_many(&self, scope: &OrgScope, jobs: Vec<NewEmailSendJob>) -> Result<Vec<EmailSendJob>, RepoError>;
    /// `None` when the job does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: EmailSendJobId) -> Result<Option<EmailSendJob>, RepoError>;
    /// Jobs matching the filter (by status, by email), newest first.
    async fn list(
        &self,
        scope: &OrgScope,
        filter: SendJobFilter,
        page: PageRequest,
    ) -> Result<Page<EmailSendJob>, RepoError>;
    /// Worker entry point, deliberately unscoped: a worker serves every organization and needs to
    /// know which have work before it can act for one. Returns only the ids of organizations
    /// with a `pending` job due at `now` (or a `processing` job whose lease has expired); all
    /// reading and claiming is then done through the scoped methods.
    async fn organizations_with_due_jobs(
        &self,
        now: Timestamp,
        lease: TimeDelta,
    ) -> Result<Vec<OrganizationId>, RepoError>;
    /// Claims up to `limit` jobs due at `now`, oldest `scheduled_for` first: `pending` jobs with
    /// `scheduled_for <= now` and `processing` jobs whose `last_attempt_at` is older than
    /// `now - lease` (their worker died). Claimed jobs become `processing`, with `attempts`
    /// incremented and `last_attempt_at = now`. Concurrent workers never claim the same job.
    async fn claim_due(
        &self,
        scope: &OrgScope,
        now: Timestamp,
        lease: TimeDelta,
        limit: u64,
    ) -> Result<Vec<EmailSendJob>, RepoError>;
    /// Marks the job `sent`. Fails with `NotFound` when the job is not the organization's, and
    /// with `Invalid` when it is not `processing`.
    async fn mark_sent(
        &self,
        scope: &OrgScope,
        id: EmailSendJobId,
        sent_at: Timestamp,
    ) -> Result<EmailSendJob, RepoError>;
    /// Records a failed attempt: with `retry_at` the job goes back to `pending` for that moment,
    /// without it the job is `failed`. Fails with `NotFound` when the job is not the
    /// organization's, and with `Invalid` when it is not `processing`.
    async fn mark_failed(
        &self,
        scope: &OrgScope,
        id: EmailSendJobId,
        error: String,
        retry_at: Option<Timestamp>,
    ) -> Result<EmailSendJob, RepoError>;
    /// Cancels a `pending` or `failed` job; a cancelled one is returned unchanged. Fails with
    /// `NotFound` when the job is not the organization's, and with `Invalid` when it is
    /// `processing` or `sent`.
    async fn cancel(&self, scope: &OrgScope, id: EmailSendJobId) -> Result<EmailSendJob, RepoError>;
    /// Cancels every `pending` job of the session's emails and returns how many; an unknown
    /// session has none.
    async fn cancel_pending_for_session(
        &self,
        scope: &OrgScope,
        session: EmailGenerationSessionId,
    ) -> Result<u64, RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn field_of<T: std::fmt::Debug>(result: Result<T, ValueError>) -> Option<String> {
        result.err().map(|e| e.field.into_owned())
    }

    #[test]
    fn session_status_moves_forward() {
        use SessionStatus::*;
        let cases = [
            (Configuring, Generating, true),
            (Generating, Completed, true),
            (Configuring, Cancelled, true),
            (Generating, Cancelled, true),
            (Completed, Cancelled, false),
            (Completed, Generating, false),
            (Cancelled, Configuring, false),
            (Configuring, Completed, false),
        ];
        for (from, to, expected) in cases {
            assert_eq!(from.can_become(to), expected, "{from} -> {to}");
        }
        assert!("draft".parse::<SessionStatus>().is_err());
    }

    #[test]
    fn sessions_select_each_donor_once() {
        let mut session = NewEmailGenerationSession::new(" Year-end appeal ").unwrap();
        assert_eq!(session.name, "Year-end appeal");
        assert_eq!(session.status(), SessionStatus::Configuring);
        let donor = DonorId::new();
        session.selected_donor_ids = vec![donor, DonorId::new()];
        assert!(session.validate().is_ok());
        session.selected_donor_ids.push(donor);
        assert_eq!(field_of(session.validate()).as_deref(), Some("selected_donor_ids"));
        assert_eq!(field_of(NewEmailGenerationSession::new("  ")).as_deref(), Some("name"));
    }

    #[test]
    fn generated_email_status_transitions() {
        use GeneratedEmailStatus::*;
        let cases = [
            (Draft, Approved, true),
            (Approved, Scheduled, true),
            (Scheduled, Sent, true),
            (Scheduled, Failed, true),
            (Failed, Scheduled, true),
            (Approved, Sent, true),
            (Sent, Draft, false),
            (Sent, Failed, false),
            (Draft, Sent, false),
        ];
        for (from, to, expected) in cases {
            assert_eq!(from.can_become(to), expected, "{from} -> {to}");
        }
    }

    #[test]
    fn generated_emails_need_content_and_a_one_line_subject() {
        let (session, donor) = (EmailGenerationSessionId::new(), DonorId::new());
        let ok = NewGeneratedEmail::new(session, donor, "Thank you", "Hi", "<p>Hi</p>").unwrap();
        assert_eq!(ok.status(), GeneratedEmailStatus::Draft);
        let cases = [
            ("", "Hi", "<p>Hi</p>", "subject"),
            ("Thanks\r\nBcc: x@example.org", "Hi", "<p>Hi</p>", "subject"),
            ("Thanks", " ", "<p>Hi</p>", "body_plain"),
            ("Thanks", "Hi", "", "body_html"),
        ];
        for (subject, plain, html, field) in cases {
            let result = NewGeneratedEmail::new(session, donor, subject, plain, html);
            assert_eq!(field_of(result).as_deref(), Some(field), "{subject:?}");
        }
        let patch = GeneratedEmailPatch { subject: Some("a\nb".into()), ..Default::default() };
        assert_eq!(field_of(patch.validate()).as_deref(), Some("subject"));
    }

    #[test]
    fn email_providers_are_a_closed_set() {
        for provider in EmailProvider::ALL {
            assert_eq!(provider.as_str().parse::<EmailProvider>().unwrap(), *provider);
        }
        assert!("yahoo".parse::<EmailProvider>().is_err());
    }

    #[test]
    fn hours_are_0_to_23_and_the_window_starts_first() {
        let cases: [(i64, i64, Option<&str>); 8] = [
            (9, 17, None),
            (0, 23, None),
            (22, 23, None),
            (-1, 17, Some("send_start_hour")),
            (9, 24, Some("send_end_hour")),
            (17, 9, Some("send_end_hour")),
            (9, 9, Some("send_end_hour")),
            (24, 25, Some("send_start_hour")),
        ];
        for (start, end, field) in cases {
            assert_eq!(field_of(SendWindow::new(start, end)).as_deref(), field, "{start}..{end}");
        }
        let window = SendWindow::default();
        assert_eq!((window.start_hour(), window.end_hour()), (9, 17));
        assert!(window.contains(9) && window.contains(16) && !window.contains(17) && !window.contains(8));
        assert!(HourOfDay::new(23).is_ok() && HourOfDay::new(24).is_err());
    }

    #[test]
    fn send_days_are_iso_weekdays_non_empty_and_deduplicated() {
        let ok: [(&[i64], &[u8]); 4] =
            [(&[1, 2, 3, 4, 5], &[1, 2, 3, 4, 5]), (&[7], &[7]), (&[5, 1, 5, 3, 1], &[1, 3, 5]), (&[6, 7, 6], &[6, 7])];
        for (input, stored) in ok {
            assert_eq!(SendDays::from_iso(input).unwrap().iso_numbers(), stored, "{input:?}");
        }
        for bad in [&[][..], &[0], &[8], &[1, 2, 8], &[-1], &[256 + 1]] {
            assert_eq!(field_of(SendDays::from_iso(bad)).as_deref(), Some("send_days"), "{bad:?}");
        }
        assert!(SendDays::from_iso(&[1]).unwrap().contains(Weekday::Mon));
        assert_eq!(SendDays::default().iso_numbers(), [1, 2, 3, 4, 5]);
        assert!(serde_json::from_str::<SendDays>("[]").is_err());
        assert_eq!(serde_json::to_string(&serde_json::from_str::<SendDays>("[3,3,1]").unwrap()).unwrap(), "[1,3]");
    }

    #[test]
    fn daily_limit_is_at_least_one_and_min_gap_is_not_negative() {
        let limits: [(i64, bool); 6] =
            [(1, true), (100, true), (i64::from(i32::MAX), true), (0, false), (-5, false), (INTEGER_MAX + 1, false)];
        for (limit, ok) in limits {
            assert_eq!(DailyLimit::new(limit).is_ok(), ok, "{limit}");
        }
        let gaps: [(i64, bool); 5] =
            [(0, true), (24, true), (i64::from(i32::MAX), true), (-1, false), (INTEGER_MAX + 1, false)];
        for (gap, ok) in gaps {
            assert_eq!(MinGapHours::new(gap).is_ok(), ok, "{gap}");
        }
        assert_eq!(DailyLimit::default().get(), 100);
        assert_eq!(MinGapHours::default().as_duration(), TimeDelta::hours(24));
        assert!(serde_json::from_str::<DailyLimit>("0").is_err());
        assert!(serde_json::from_str::<MinGapHours>("-1").is_err());
    }

    #[test]
    fn new_schedules_start_from_the_schema_defaults() {
        let config = NewEmailScheduleConfig::new(EmailGenerationSessionId::new());
        assert_eq!(config.daily_limit.get(), 100);
        assert_eq!(config.min_gap_hours.get(), 24);
        assert_eq!(config.timezone.name(), "America/New_York");
        assert_eq!((config.send_window.start_hour(), config.send_window.end_hour()), (9, 17));
        assert_eq!(config.send_days.iso_numbers(), [1, 2, 3, 4, 5]);
        assert!(config.is_active);
    }

    #[test]
    fn send_job_status_transitions() {
        use SendJobStatus::*;
        let cases = [
            (Pending, Processing, true),
            (Processing, Sent, true),
            (Processing, Pending, true),
            (Processing, Failed, true),
            (Failed, Pending, true),
            (Pending, Cancelled, true),
            (Sent, Pending, false),
            (Cancelled, Pending, false),
            (Pending, Sent, false),
            (Processing, Cancelled, false),
        ];
        for (from, to, expected) in cases {
            assert_eq!(from.can_become(to), expected, "{from} -> {to}");
        }
        let job = NewEmailSendJob::new(GeneratedEmailId::new(), crate::shared::time::now(), TimeZone::default());
        assert_eq!(job.status(), Pending);
    }
}
