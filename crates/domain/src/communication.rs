//! Communications with donors across channels, and the threads that group them. Thread
//! participants (`communication_thread_staff`, `communication_thread_donors`) have no organization
//! of their own: they are reached through their thread.

use async_trait::async_trait;

use crate::shared::{
    CommunicationId, CommunicationThreadId, DonorId, OrgScope, Page, PageRequest, RepoError, StaffId, Timestamp,
    ValueError, optional_text, required_text,
};
use crate::string_enum;

pub const SUBJECT_MAX: usize = 998;
pub const CONTENT_MAX: usize = 500_000;
pub const ADDRESS_MAX: usize = 500;
pub const NOTES_MAX: usize = 10_000;
pub const TAG_MAX: usize = 100;
pub const TAGS_MAX: usize = 100;

string_enum! {
    /// How a communication travelled (`communications.channel`).
    pub enum CommunicationChannel: "channel" {
        Email => "email",
        Phone => "phone",
        Text => "text",
        Whatsapp => "whatsapp",
        InPerson => "in_person",
        Mail => "mail",
    }
}

string_enum! {
    pub enum Direction: "direction" {
        Inbound => "inbound",
        Outbound => "outbound",
    }
}

string_enum! {
    pub enum CommunicationStatus: "status" {
        Draft => "draft",
        Scheduled => "scheduled",
        Sent => "sent",
        Delivered => "delivered",
        Failed => "failed",
    }
}

string_enum! {
    /// A thread's main channel (`communication_threads.channel`): a different list from
    /// [`CommunicationChannel`].
    pub enum ThreadChannel: "channel" {
        Email => "email",
        Whatsapp => "whatsapp",
        Phone => "phone",
        InPerson => "in_person",
        Other => "other",
    }
}

string_enum! {
    pub enum ThreadStatus: "status" {
        Active => "active",
        Archived => "archived",
        Resolved => "resolved",
    }
}

string_enum! {
    /// A staff member's part in a thread.
    pub enum ThreadStaffRole: "role" {
        Participant => "participant",
        Owner => "owner",
    }
}

impl Default for ThreadStaffRole {
    /// The schema's default.
    fn default() -> Self {
        ThreadStaffRole::Participant
    }
}

// ---------------------------------------------------------------------------------------------
// Communications
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct Communication {
    pub id: CommunicationId,
    pub donor_id: DonorId,
    pub thread_id: Option<CommunicationThreadId>,
    pub channel: CommunicationChannel,
    pub direction: Direction,
    pub subject: Option<String>,
    pub content: String,
    pub staff_id: Option<StaffId>,
    /// An email address, a phone number, ... depending on the channel.
    pub from_address: Option<String>,
    pub to_address: Option<String>,
    pub status: CommunicationStatus,
    pub scheduled_for: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    /// Channel-specific data.
    pub metadata: Option<serde_json::Value>,
    /// Attachment descriptions (a JSON array).
    pub attachments: Option<serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A communication to record. [`NewCommunication::new`] records one already `sent` (the
/// schema's default: most records log what happened).
#[derive(Debug, Clone, PartialEq)]
pub struct NewCommunication {
    pub donor_id: DonorId,
    pub thread_id: Option<CommunicationThreadId>,
    pub channel: CommunicationChannel,
    pub direction: Direction,
    pub subject: Option<String>,
    pub content: String,
    pub staff_id: Option<StaffId>,
    pub from_address: Option<String>,
    pub to_address: Option<String>,
    pub status: CommunicationStatus,
    pub scheduled_for: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub metadata: Option<serde_json::Value>,
    pub attachments: Option<serde_json::Value>,
}

impl NewCommunication {
    pub fn new(
        donor_id: DonorId,
        channel: CommunicationChannel,
        direction: Direction,
        content: &str,
    ) -> Result<Self, ValueError> {
        Ok(Self {
            donor_id,
            thread_id: None,
            channel,
            direction,
            subject: None,
            content: required_text("content", content, CONTENT_MAX)?,
            staff_id: None,
            from_address: None,
            to_address: None,
            status: CommunicationStatus::Sent,
            scheduled_for: None,
            sent_at: None,
            metadata: None,
            attachments: None,
        })
    }

    /// Checks text limits, and that a `scheduled` communication says when.
    pub fn validate(&self) -> Result<(), ValueError> {
        optional_text("subject", self.subject.as_deref(), SUBJECT_MAX)?;
        required_text("content", &self.content, CONTENT_MAX)?;
        optional_text("from_address", self.from_address.as_deref(), ADDRESS_MAX)?;
        optional_text("to_address", self.to_address.as_deref(), ADDRESS_MAX)?;
        check_schedule(self.status, self.scheduled_for)
    }
}

/// Whether a communication with this status and direction records a contact that happened:
/// one sent or delivered, or one received from the donor (inbound). Such a communication moves
/// the donor's `last_contact_date` forward to [`contact_time`].
pub fn is_contact(status: CommunicationStatus, direction: Direction) -> bool {
    matches!(status, CommunicationStatus::Sent | CommunicationStatus::Delivered) || direction == Direction::Inbound
}

/// When a contact happened: `sent_at` when known, else when it was logged.
pub fn contact_time(sent_at: Option<Timestamp>, logged_at: Timestamp) -> Timestamp {
    sent_at.unwrap_or(logged_at)
}

impl Communication {
    /// The contact this communication records, if any (see [`is_contact`]).
    pub fn contact_at(&self) -> Option<Timestamp> {
        is_contact(self.status, self.direction).then(|| contact_time(self.sent_at, self.created_at))
    }
}

/// A `scheduled` communication needs `scheduled_for`.
pub fn check_schedule(status: CommunicationStatus, scheduled_for: Option<Timestamp>) -> Result<(), ValueError> {
    if status == CommunicationStatus::Scheduled && scheduled_for.is_none() {
        return Err(ValueError::new("scheduled_for", "is required when status is 'scheduled'"));
    }
    Ok(())
}

/// Changes to a communication: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommunicationPatch {
    pub thread_id: Option<Option<CommunicationThreadId>>,
    pub channel: Option<CommunicationChannel>,
    pub direction: Option<Direction>,
    pub subject: Option<Option<String>>,
    pub content: Option<String>,
    pub staff_id: Option<Option<StaffId>>,
    pub from_address: Option<Option<String>>,
    pub to_address: Option<Option<String>>,
    pub status: Option<CommunicationStatus>,
    pub scheduled_for: Option<Option<Timestamp>>,
    pub sent_at: Option<Option<Timestamp>>,
    pub metadata: Option<Option<serde_json::Value>>,
    pub attachments: Option<Option<serde_json::Value>>,
}

impl CommunicationPatch {
    pub fn validate(&self) -> Result<(), ValueError> {
        let text = |field: &'static str, value: &Option<Option<String>>, max: usize| {
            optional_text(field, value.as_ref().and_then(|v| v.as_deref()), max).map(drop)
        };
        text("subject", &self.subject, SUBJECT_MAX)?;
        text("from_address", &self.from_address, ADDRESS_MAX)?;
        text("to_address", &self.to_address, ADDRESS_MAX)?;
        if let Some(content) = &self.content {
            required_text("content", content, CONTENT_MAX)?;
        }
        if let (Some(status), Some(scheduled_for)) = (self.status, self.scheduled_for) {
            check_schedule(status, scheduled_for)?;
        }
        Ok(())
    }
}

impl Communication {
    /// Applies a patch, checking text limits and that the result, if `scheduled`, says when.
    pub fn apply(&mut self, patch: CommunicationPatch) -> Result<(), ValueError> {
        patch.validate()?;
        let CommunicationPatch {
            thread_id,
            channel,
            direction,
            subject,
            content,
            staff_id,
            from_address,
            to_address,
            status,
            scheduled_for,
            sent_at,
            metadata,
            attachments,
        } = patch;
        let trimmed = |v: Option<String>| v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if let Some(v) = thread_id {
            self.thread_id = v;
        }
        if let Some(v) = channel {
            self.channel = v;
        }
        if let Some(v) = direction {
            self.direction = v;
        }
        if let Some(v) = subject {
            self.subject = trimmed(v);
        }
        if let Some(v) = content {
            self.content = required_text("content", &v, CONTENT_MAX)?;
        }
        if let Some(v) = staff_id {
            self.staff_id = v;
        }
        if let Some(v) = from_address {
            self.from_address = trimmed(v);
        }
        if let Some(v) = to_address {
            self.to_address = trimmed(v);
        }
        if let Some(v) = status {
            self.status = v;
        }
        if let Some(v) = scheduled_for {
            self.scheduled_for = v;
        }
        if let Some(v) = sent_at {
            self.sent_at = v;
        }
        if let Some(v) = metadata {
            self.metadata = v;
        }
        if let Some(v) = attachments {
            self.attachments = v;
        }
        check_schedule(self.status, self.scheduled_for)
    }
}

/// Which communications to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommunicationFilter {
    pub donor_id: Option<DonorId>,
    pub thread_id: Option<CommunicationThreadId>,
    pub channel: Option<CommunicationChannel>,
    pub direction: Option<Direction>,
    pub status: Option<CommunicationStatus>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CommunicationRepository: Send + Sync {
    /// Records the communication and, in the same transaction, moves the donor's
    /// `last_contact_date` forward (never back) when it records a contact
    /// ([`Communication::contact_at`]). Fails with `Invalid` naming `donor_id`, `thread_id` or
    /// `staff_id` when that reference is not the organization's (or the donor is soft-deleted).
    async fn create(&self, scope: &OrgScope, communication: NewCommunication) -> Result<Communication, RepoError>;
    /// `None` when the communication does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: CommunicationId) -> Result<Option<Communication>, RepoError>;
    /// Communications matching the filter (by donor, thread, channel, status), newest first.
    async fn list(
        &self,
        scope: &OrgScope,
        filter: CommunicationFilter,
        page: PageRequest,
    ) -> Result<Page<Communication>, RepoError>;
    /// Fails with `NotFound` when the communication is not the organization's, and with
    /// `Invalid` when a newly linked thread or staff member is not (naming `thread_id` or
    /// `staff_id`) or the result would be `scheduled` without `scheduled_for` ([`check_schedule`]). A change that makes it a contact (marked sent, say)
    /// moves the donor's `last_contact_date` forward as [`create`](Self::create) does.
    async fn update(
        &self,
        scope: &OrgScope,
        id: CommunicationId,
        patch: CommunicationPatch,
    ) -> Result<Communication, RepoError>;
    /// Fails with `NotFound` when the communication is not the organization's.
    async fn delete(&self, scope: &OrgScope, id: CommunicationId) -> Result<(), RepoError>;
}

// ---------------------------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct CommunicationThread {
    pub id: CommunicationThreadId,
    pub subject: Option<String>,
    pub channel: ThreadChannel,
    pub status: ThreadStatus,
    pub tags: Vec<String>,
    pub internal_notes: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A thread to open. [`NewCommunicationThread::new`] starts an `active` thread.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCommunicationThread {
    pub subject: Option<String>,
    pub channel: ThreadChannel,
    pub status: ThreadStatus,
    pub tags: Vec<String>,
    pub internal_notes: Option<String>,
}

impl NewCommunicationThread {
    pub fn new(subject: Option<&str>, channel: ThreadChannel) -> Result<Self, ValueError> {
        Ok(Self {
            subject: optional_text("subject", subject, SUBJECT_MAX)?,
            channel,
            status: ThreadStatus::Active,
            tags: Vec::new(),
            internal_notes: None,
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        optional_text("subject", self.subject.as_deref(), SUBJECT_MAX)?;
        optional_text("internal_notes", self.internal_notes.as_deref(), NOTES_MAX)?;
        validate_tags(&self.tags)
    }
}

/// Tags are non-empty, at most `TAG_MAX` characters, at most `TAGS_MAX` of them.
pub fn validate_tags(tags: &[String]) -> Result<(), ValueError> {
    if tags.len() > TAGS_MAX {
        return Err(ValueError::new("tags", format!("at most {TAGS_MAX} tags")));
    }
    if tags.iter().any(|tag| tag.trim().is_empty() || tag.chars().count() > TAG_MAX) {
        return Err(ValueError::new("tags", format!("each tag must be 1-{TAG_MAX} characters")));
    }
    Ok(())
}

/// Changes to a thread: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommunicationThreadPatch {
    pub subject: Option<Option<String>>,
    pub channel: Option<ThreadChannel>,
    pub status: Option<ThreadStatus>,
    pub tags: Option<Vec<String>>,
    pub internal_notes: Option<Option<String>>,
}

impl CommunicationThreadPatch {
    pub fn validate(&self) -> Result<(), ValueError> {
        optional_text("subject", self.subject.as_ref().and_then(|s| s.as_deref()), SUBJECT_MAX)?;
        optional_text("internal_notes", self.internal_notes.as_ref().and_then(|n| n.as_deref()), NOTES_MAX)?;
        self.tags.as_deref().map_or(Ok(()), validate_tags)
    }
}

impl CommunicationThread {
    /// Applies a patch: text limits and tags checked; the status may move between any of
    /// active, archived and resolved.
    pub fn apply(&mut self, patch: CommunicationThreadPatch) -> Result<(), ValueError> {
        patch.validate()?;
        if let Some(v) = patch.subject {
            self.subject = optional_text("subject", v.as_deref(), SUBJECT_MAX)?;
        }
        if let Some(v) = patch.channel {
            self.channel = v;
        }
        if let Some(v) = patch.status {
            self.status = v;
        }
        if let Some(v) = patch.tags {
            self.tags = normalise_tags(v);
        }
        if let Some(v) = patch.internal_notes {
            self.internal_notes = optional_text("internal_notes", v.as_deref(), NOTES_MAX)?;
        }
        Ok(())
    }
}

/// Tags trimmed, without duplicates, in their first order.
pub fn normalise_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_owned();
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// A staff member taking part in a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadStaff {
    pub thread_id: CommunicationThreadId,
    pub staff_id: StaffId,
    pub role: ThreadStaffRole,
    pub joined_at: Timestamp,
}

/// A donor taking part in a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadDonor {
    pub thread_id: CommunicationThreadId,
    pub donor_id: DonorId,
    pub joined_at: Timestamp,
}

/// Which threads to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadFilter {
    pub status: Option<ThreadStatus>,
    /// Threads the donor takes part in.
    pub donor_id: Option<DonorId>,
    /// Threads the staff member takes part in.
    pub staff_id: Option<StaffId>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CommunicationThreadRepository: Send + Sync {
    async fn create(&self, scope: &OrgScope, thread: NewCommunicationThread) -> Result<CommunicationThread, RepoError>;
    /// `None` when the thread does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: CommunicationThreadId) -> Result<Option<CommunicationThread>, RepoError>;
    /// Threads matching the filter (by status, participant donor or staff member), newest first.
    async fn list(
        &self,
        scope: &OrgScope,
        filter: ThreadFilter,
        page: PageRequest,
    ) -> Result<Page<CommunicationThread>, RepoError>;
    /// Fails with `NotFound` when the thread is not the organization's.
    async fn update(
        &self,
        scope: &OrgScope,
        id: CommunicationThreadId,
        patch: CommunicationThreadPatch,
    ) -> Result<CommunicationThread, RepoError>;
    /// Deletes the thread and its participant rows; its communications stay, detached
    /// (`thread_id` cleared). Fails with `NotFound` when the thread is not the organization's.
    async fn delete(&self, scope: &OrgScope, id: CommunicationThreadId) -> Result<(), RepoError>;

    /// Adds a staff member to the thread, or changes their role if they already take part.
    /// Fails with `NotFound` when the thread is not the organization's, and with `Invalid` naming
    /// `staff_id` when the staff member is not.
    async fn add_staff(
        &self,
        scope: &OrgScope,
        thread: CommunicationThreadId,
        staff: StaffId,
        role: ThreadStaffRole,
    ) -> Result<ThreadStaff, RepoError>;
    /// Fails with `NotFound` when the thread is not the organization's or the staff member does
    /// not take part in it.
    async fn remove_staff(
        &self,
        scope: &OrgScope,
        thread: CommunicationThreadId,
        staff: StaffId,
    ) -> Result<(), RepoError>;
    /// The thread's staff, in joining order. Fails with `NotFound` when the thread is not the
    /// organization's.
    async fn list_staff(&self, scope: &OrgScope, thread: CommunicationThreadId) -> Result<Vec<ThreadStaff>, RepoError>;
    /// Adds a donor to the thread; adding one already there returns the existing row. Fails with
    /// `NotFound` when the thread is not the organization's, and with `Invalid` naming `donor_id`
    /// when the donor is not (or is soft-deleted).
    async fn add_donor(
        &self,
        scope: &OrgScope,
        thread: CommunicationThreadId,
        donor: DonorId,
    ) -> Result<ThreadDonor, RepoError>;
    /// Fails with `NotFound` when the thread is not the organization's or the donor does not take
    /// part in it.
    async fn remove_donor(
        &self,
        scope: &OrgScope,
        thread: CommunicationThreadId,
        donor: DonorId,
    ) -> Result<(), RepoError>;
    /// The thread's donors, in joining order. Fails with `NotFound` when the thread is not the
    /// organization's.
    async fn list_donors(&self, scope: &OrgScope, thread: CommunicationThreadId)
    -> Result<Vec<ThreadDonor>, RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_two_channel_lists_differ() {
        assert_eq!("text".parse::<CommunicationChannel>().unwrap(), CommunicationChannel::Text);
        assert!("text".parse::<ThreadChannel>().is_err());
        assert_eq!("other".parse::<ThreadChannel>().unwrap(), ThreadChannel::Other);
        assert!("other".parse::<CommunicationChannel>().is_err());
        assert_eq!("mail".parse::<CommunicationChannel>().unwrap(), CommunicationChannel::Mail);
        assert!("mail".parse::<ThreadChannel>().is_err());
    }

    #[test]
    fn check_lists_parse_strictly() {
        assert_eq!("inbound".parse::<Direction>().unwrap(), Direction::Inbound);
        assert_eq!("sideways".parse::<Direction>().unwrap_err().field, "direction");
        assert_eq!("delivered".parse::<CommunicationStatus>().unwrap(), CommunicationStatus::Delivered);
        assert!("read".parse::<CommunicationStatus>().is_err());
        assert_eq!("resolved".parse::<ThreadStatus>().unwrap(), ThreadStatus::Resolved);
        assert!("closed".parse::<ThreadStatus>().is_err());
        assert_eq!(ThreadStaffRole::default().as_str(), "participant");
        assert!("admin".parse::<ThreadStaffRole>().is_err());
    }

    #[test]
    fn communications_need_content_and_scheduled_ones_a_time() {
        let donor = DonorId::new();
        let mut note =
            NewCommunication::new(donor, CommunicationChannel::Phone, Direction::Outbound, " Left a message ").unwrap();
        assert_eq!(note.content, "Left a message");
        assert_eq!(note.status, CommunicationStatus::Sent);
        assert!(note.validate().is_ok());
        note.status = CommunicationStatus::Scheduled;
        assert_eq!(note.validate().unwrap_err().field, "scheduled_for");
        note.scheduled_for = Some(crate::shared::time::now());
        assert!(note.validate().is_ok());
        let blank = NewCommunication::new(donor, CommunicationChannel::Email, Direction::Inbound, "  ");
        assert_eq!(blank.unwrap_err().field, "content");
        let patch = CommunicationPatch {
            status: Some(CommunicationStatus::Scheduled),
            scheduled_for: Some(None),
            ..Default::default()
        };
        assert_eq!(patch.validate().unwrap_err().field, "scheduled_for");
    }

    #[test]
    fn sent_delivered_and_received_communications_are_contacts() {
        use CommunicationStatus::*;
        for (status, direction, contact) in [
            (Sent, Direction::Outbound, true),
            (Delivered, Direction::Outbound, true),
            (Draft, Direction::Outbound, false),
            (Scheduled, Direction::Outbound, false),
            (Failed, Direction::Outbound, false),
            (Draft, Direction::Inbound, true),
        ] {
            assert_eq!(is_contact(status, direction), contact, "{status} {direction}");
        }
        let logged = crate::shared::time::now();
        let sent = logged - chrono::Duration::days(2);
        assert_eq!(contact_time(Some(sent), logged), sent);
        assert_eq!(contact_time(None, logged), logged);
    }

    #[test]
    fn a_patch_keeps_a_scheduled_communication_dated() {
        let at = crate::shared::time::now();
        let mut c = Communication {
            id: CommunicationId::new(),
            donor_id: DonorId::new(),
            thread_id: None,
            channel: CommunicationChannel::Email,
            direction: Direction::Outbound,
            subject: None,
            content: "Hello".into(),
            staff_id: None,
            from_address: None,
            to_address: None,
            status: CommunicationStatus::Scheduled,
            scheduled_for: Some(at),
            sent_at: None,
            metadata: None,
            attachments: None,
            created_at: at,
            updated_at: at,
        };
        assert_eq!(c.contact_at(), None);
        let undated = CommunicationPatch { scheduled_for: Some(None), ..Default::default() };
        assert_eq!(c.clone().apply(undated).unwrap_err().field, "scheduled_for");
        let sent = CommunicationPatch {
            status: Some(CommunicationStatus::Sent),
            subject: Some(Some(" Hi ".into())),
            ..Default::default()
        };
        c.apply(sent).unwrap();
        assert_eq!((c.subject.as_deref(), c.contact_at()), (Some("Hi"), Some(at)));
    }

    #[test]
    fn thread_tags_are_checked() {
        let mut thread = NewCommunicationThread::new(Some("Gala follow-up"), ThreadChannel::Email).unwrap();
        assert_eq!(thread.status, ThreadStatus::Active);
        thread.tags = vec!["gala".into()];
        assert!(thread.validate().is_ok());
        thread.tags.push(String::new());
        assert_eq!(thread.validate().unwrap_err().field, "tags");
        let patch = CommunicationThreadPatch { tags: Some(vec!["x".repeat(TAG_MAX + 1)]), ..Default::default() };
        assert_eq!(patch.validate().unwrap_err().field, "tags");
    }
}
