//! The WhatsApp assistant: staff ask questions about their donors over WhatsApp (text or voice)
//! and an AI answers. Covers the numbers allowed to ask (`whatsapp_staff`,
//! `staff_whatsapp_phone_numbers`), the questions and answers (`whatsapp_queries`,
//! `whatsapp_chat_history`) and an activity log (`staff_whatsapp_activity_log`).
//!
//! `staff_whatsapp_phone_numbers` has no organization of its own: it is reached through its staff
//! member. The one unscoped method, [`WhatsappRepository::find_senders_for_webhook`], serves the
//! incoming-message webhook, which knows only the sender's number.

use async_trait::async_trait;

use crate::shared::{
    OrgScope, OrganizationId, Page, PageRequest, PhoneNumber, RepoError, StaffId, StaffWhatsappActivityId,
    StaffWhatsappPhoneNumberId, Timestamp, ValueError, WhatsappChatMessageId, WhatsappQueryId, WhatsappStaffId,
    optional_text, required_text,
};
use crate::string_enum;

pub const NAME_MAX: usize = 200;
pub const MESSAGE_MAX: usize = 20_000;
pub const RESPONSE_MAX: usize = 100_000;
pub const FIELD_MAX: usize = 500;
pub const ERROR_MAX: usize = 5_000;
pub const PERMISSION_MAX: usize = 100;
pub const PERMISSIONS_MAX: usize = 100;

string_enum! {
    pub enum WhatsappMessageType: "message_type" {
        Text => "text",
        Voice => "voice",
    }
}

/// Whether a message was typed or spoken. A transcription exists only for voice messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MessageKind {
    #[default]
    Text,
    /// A voice note and, once speech-to-text has run, its transcription.
    Voice { transcription: Option<String> },
}

impl MessageKind {
    /// Builds the kind from flat fields (`message_type` and `voice_transcription`, or
    /// `is_voice_message` and `transcription`), refusing a transcription of a text message.
    pub fn from_parts(message_type: WhatsappMessageType, transcription: Option<&str>) -> Result<Self, ValueError> {
        let transcription = optional_text("transcription", transcription, MESSAGE_MAX)?;
        match (message_type, transcription) {
            (WhatsappMessageType::Voice, transcription) => Ok(MessageKind::Voice { transcription }),
            (WhatsappMessageType::Text, None) => Ok(MessageKind::Text),
            (WhatsappMessageType::Text, Some(_)) => {
                Err(ValueError::new("transcription", "may only be set for voice messages"))
            }
        }
    }

    pub fn message_type(&self) -> WhatsappMessageType {
        match self {
            MessageKind::Text => WhatsappMessageType::Text,
            MessageKind::Voice { .. } => WhatsappMessageType::Voice,
        }
    }

    pub fn is_voice(&self) -> bool {
        matches!(self, MessageKind::Voice { .. })
    }

    pub fn transcription(&self) -> Option<&str> {
        match self {
            MessageKind::Voice { transcription } => transcription.as_deref(),
            MessageKind::Text => None,
        }
    }
}

/// Permission strings are non-empty, at most `PERMISSION_MAX` characters, at most
/// `PERMISSIONS_MAX` of them.
pub fn validate_permissions(permissions: &[String]) -> Result<(), ValueError> {
    if permissions.len() > PERMISSIONS_MAX {
        return Err(ValueError::new("permissions", format!("at most {PERMISSIONS_MAX} permissions")));
    }
    if permissions.iter().any(|p| p.trim().is_empty() || p.chars().count() > PERMISSION_MAX) {
        return Err(ValueError::new("permissions", format!("each permission must be 1-{PERMISSION_MAX} characters")));
    }
    Ok(())
}

fn patch_text(field: &'static str, value: &Option<Option<String>>, max: usize) -> Result<(), ValueError> {
    optional_text(field, value.as_ref().and_then(|v| v.as_deref()), max).map(drop)
}

// ---------------------------------------------------------------------------------------------
// WhatsApp staff
// ---------------------------------------------------------------------------------------------

/// A phone number allowed to use the assistant for the organization.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsappStaff {
    pub id: WhatsappStaffId,
    pub phone_number: PhoneNumber,
    pub display_name: Option<String>,
    pub is_active: bool,
    /// What this number may ask about.
    pub permissions: Vec<String>,
    pub last_query_at: Option<Timestamp>,
    pub query_count: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewWhatsappStaff {
    pub phone_number: PhoneNumber,
    pub display_name: Option<String>,
    pub is_active: bool,
    pub permissions: Vec<String>,
}

impl NewWhatsappStaff {
    /// An active number with no extra permissions.
    pub fn new(phone_number: PhoneNumber, display_name: Option<&str>) -> Result<Self, ValueError> {
        Ok(Self {
            phone_number,
            display_name: optional_text("display_name", display_name, NAME_MAX)?,
            is_active: true,
            permissions: Vec::new(),
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        optional_text("display_name", self.display_name.as_deref(), NAME_MAX)?;
        validate_permissions(&self.permissions)
    }
}

/// Changes to a WhatsApp staff entry: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WhatsappStaffPatch {
    pub phone_number: Option<PhoneNumber>,
    pub display_name: Option<Option<String>>,
    pub is_active: Option<bool>,
    pub permissions: Option<Vec<String>>,
}

impl WhatsappStaffPatch {
    pub fn validate(&self) -> Result<(), ValueError> {
        patch_text("display_name", &self.display_name, NAME_MAX)?;
        self.permissions.as_deref().map_or(Ok(()), validate_permissions)
    }
}

// ---------------------------------------------------------------------------------------------
// Queries and chat history
// ---------------------------------------------------------------------------------------------

/// One question to the assistant and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsappQuery {
    pub id: WhatsappQueryId,
    /// The `whatsapp_staff` entry that asked.
    pub staff_id: WhatsappStaffId,
    pub query_text: String,
    /// `donor_search`, `stats`, ...
    pub query_type: Option<String>,
    pub response_text: String,
    /// The SQL the assistant generated, if it did.
    pub sql_generated: Option<String>,
    pub execution_time_ms: Option<u32>,
    pub token_usage: Option<u32>,
    /// WhatsApp's message id.
    pub message_id: Option<String>,
    /// `is_voice_message` and `transcription`.
    pub kind: MessageKind,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewWhatsappQuery {
    pub staff_id: WhatsappStaffId,
    pub query_text: String,
    pub query_type: Option<String>,
    pub response_text: String,
    pub sql_generated: Option<String>,
    pub execution_time_ms: Option<u32>,
    pub token_usage: Option<u32>,
    pub message_id: Option<String>,
    pub kind: MessageKind,
}

impl NewWhatsappQuery {
    pub fn new(
        staff_id: WhatsappStaffId,
        query_text: &str,
        response_text: &str,
        kind: MessageKind,
    ) -> Result<Self, ValueError> {
        Ok(Self {
            staff_id,
            query_text: required_text("query_text", query_text, MESSAGE_MAX)?,
            query_type: None,
            response_text: required_text("response_text", response_text, RESPONSE_MAX)?,
            sql_generated: None,
            execution_time_ms: None,
            token_usage: None,
            message_id: None,
            kind,
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        required_text("query_text", &self.query_text, MESSAGE_MAX)?;
        required_text("response_text", &self.response_text, RESPONSE_MAX)?;
        optional_text("query_type", self.query_type.as_deref(), FIELD_MAX)?;
        optional_text("sql_generated", self.sql_generated.as_deref(), RESPONSE_MAX)?;
        optional_text("message_id", self.message_id.as_deref(), FIELD_MAX)?;
        Ok(())
    }
}

/// One message of a WhatsApp conversation and the assistant's reply.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsappChatMessage {
    pub id: WhatsappChatMessageId,
    /// The sender's number.
    pub phone_number: PhoneNumber,
    /// The staff member the number belongs to, when known.
    pub staff_id: Option<StaffId>,
    /// `message_type` and `voice_transcription`.
    pub kind: MessageKind,
    pub message_text: String,
    pub ai_response: String,
    pub whatsapp_message_id: Option<String>,
    pub processing_time_ms: Option<u32>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewWhatsappChatMessage {
    pub phone_number: PhoneNumber,
    pub staff_id: Option<StaffId>,
    pub kind: MessageKind,
    pub message_text: String,
    pub ai_response: String,
    pub whatsapp_message_id: Option<String>,
    pub processing_time_ms: Option<u32>,
}

impl NewWhatsappChatMessage {
    pub fn new(
        phone_number: PhoneNumber,
        kind: MessageKind,
        message_text: &str,
        ai_response: &str,
    ) -> Result<Self, ValueError> {
        Ok(Self {
            phone_number,
            staff_id: None,
            kind,
            message_text: required_text("message_text", message_text, MESSAGE_MAX)?,
            ai_response: required_text("ai_response", ai_response, RESPONSE_MAX)?,
            whatsapp_message_id: None,
            processing_time_ms: None,
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        required_text("message_text", &self.message_text, MESSAGE_MAX)?;
        required_text("ai_response", &self.ai_response, RESPONSE_MAX)?;
        optional_text("whatsapp_message_id", self.whatsapp_message_id.as_deref(), FIELD_MAX)?;
        Ok(())
    }
}

/// Which chat messages to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatFilter {
    pub phone_number: Option<PhoneNumber>,
    pub staff_id: Option<StaffId>,
}

// ---------------------------------------------------------------------------------------------
// Staff phone numbers and activity
// ---------------------------------------------------------------------------------------------

/// A phone number a staff member may use the assistant from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffWhatsappPhoneNumber {
    pub id: StaffWhatsappPhoneNumberId,
    pub staff_id: StaffId,
    pub phone_number: PhoneNumber,
    pub created_at: Timestamp,
}

/// One entry of the WhatsApp activity log.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffWhatsappActivity {
    pub id: StaffWhatsappActivityId,
    pub staff_id: StaffId,
    /// `message_received`, `query_answered`, `error`, ...
    pub activity_type: String,
    pub phone_number: PhoneNumber,
    pub query: Option<String>,
    pub response: Option<String>,
    pub processing_time_ms: Option<u32>,
    pub error_message: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewStaffWhatsappActivity {
    pub staff_id: StaffId,
    pub activity_type: String,
    pub phone_number: PhoneNumber,
    pub query: Option<String>,
    pub response: Option<String>,
    pub processing_time_ms: Option<u32>,
    pub error_message: Option<String>,
}

impl NewStaffWhatsappActivity {
    pub fn new(staff_id: StaffId, activity_type: &str, phone_number: PhoneNumber) -> Result<Self, ValueError> {
        Ok(Self {
            staff_id,
            activity_type: required_text("activity_type", activity_type, FIELD_MAX)?,
            phone_number,
            query: None,
            response: None,
            processing_time_ms: None,
            error_message: None,
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        required_text("activity_type", &self.activity_type, FIELD_MAX)?;
        optional_text("query", self.query.as_deref(), MESSAGE_MAX)?;
        optional_text("response", self.response.as_deref(), RESPONSE_MAX)?;
        optional_text("error_message", self.error_message.as_deref(), ERROR_MAX)?;
        Ok(())
    }
}

/// Who an incoming WhatsApp number belongs to, in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhatsappSender {
    /// An active `whatsapp_staff` entry.
    WhatsappStaff { organization_id: OrganizationId, whatsapp_staff_id: WhatsappStaffId },
    /// An active staff member who registered the number (`staff_whatsapp_phone_numbers`).
    Staff { organization_id: OrganizationId, staff_id: StaffId },
}

impl WhatsappSender {
    pub fn organization_id(&self) -> OrganizationId {
        match self {
            WhatsappSender::WhatsappStaff { organization_id, .. } | WhatsappSender::Staff { organization_id, .. } => {
                *organization_id
            }
        }
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WhatsappRepository: Send + Sync {
    /// Fails with `Conflict` when the number is already registered in the organization.
    async fn create_staff(&self, scope: &OrgScope, staff: NewWhatsappStaff) -> Result<WhatsappStaff, RepoError>;
    /// `None` when the entry does not exist in the organization.
    async fn get_staff(&self, scope: &OrgScope, id: WhatsappStaffId) -> Result<Option<WhatsappStaff>, RepoError>;
    /// The organization's entry for this number, active or not.
    async fn find_staff_by_phone(
        &self,
        scope: &OrgScope,
        phone: &PhoneNumber,
    ) -> Result<Option<WhatsappStaff>, RepoError>;
    /// Entries newest first; `active_only` leaves out inactive ones.
    async fn list_staff(
        &self,
        scope: &OrgScope,
        active_only: bool,
        page: PageRequest,
    ) -> Result<Page<WhatsappStaff>, RepoError>;
    /// Fails with `NotFound` when the entry is not the organization's, and with `Conflict` when the
    /// new number is already registered in the organization.
    async fn update_staff(
        &self,
        scope: &OrgScope,
        id: WhatsappStaffId,
        patch: WhatsappStaffPatch,
    ) -> Result<WhatsappStaff, RepoError>;
    /// Fails with `NotFound` when the entry is not the organization's, and with `InUse` while
    /// queries refer to it (deactivate it instead).
    async fn delete_staff(&self, scope: &OrgScope, id: WhatsappStaffId) -> Result<(), RepoError>;

    /// Records a query and, in the same transaction, increments the entry's `query_count` and sets
    /// `last_query_at`. Fails with `NotFound` when the entry is not the organization's.
    async fn record_query(&self, scope: &OrgScope, query: NewWhatsappQuery) -> Result<WhatsappQuery, RepoError>;
    /// Queries, of one entry or all, newest first.
    async fn list_queries(
        &self,
        scope: &OrgScope,
        staff: Option<WhatsappStaffId>,
        page: PageRequest,
    ) -> Result<Page<WhatsappQuery>, RepoError>;

    /// Fails with `NotFound` when the staff member is not the organization's.
    async fn record_chat_message(
        &self,
        scope: &OrgScope,
        message: NewWhatsappChatMessage,
    ) -> Result<WhatsappChatMessage, RepoError>;
    /// Chat messages matching the filter (by number, by staff member), newest first.
    async fn list_chat_messages(
        &self,
        scope: &OrgScope,
        filter: ChatFilter,
        page: PageRequest,
    ) -> Result<Page<WhatsappChatMessage>, RepoError>;

    /// Registers a number for a staff member. Fails with `NotFound` when the staff member is not
    /// the organization's, and with `Conflict` when they already registered it.
    async fn add_staff_phone(
        &self,
        scope: &OrgScope,
        staff: StaffId,
        phone: PhoneNumber,
    ) -> Result<StaffWhatsappPhoneNumber, RepoError>;
    /// Fails with `NotFound` when the staff member is not the organization's or has not registered
    /// the number.
    async fn remove_staff_phone(&self, scope: &OrgScope, staff: StaffId, phone: PhoneNumber) -> Result<(), RepoError>;
    /// The staff member's numbers, oldest first. Fails with `NotFound` when the staff member is
    /// not the organization's.
    async fn list_staff_phones(
        &self,
        scope: &OrgScope,
        staff: StaffId,
    ) -> Result<Vec<StaffWhatsappPhoneNumber>, RepoError>;

    /// Fails with `NotFound` when the staff member is not the organization's.
    async fn log_activity(
        &self,
        scope: &OrgScope,
        activity: NewStaffWhatsappActivity,
    ) -> Result<StaffWhatsappActivity, RepoError>;
    /// Activity, of one staff member or all, newest first.
    async fn list_activity(
        &self,
        scope: &OrgScope,
        staff: Option<StaffId>,
        page: PageRequest,
    ) -> Result<Page<StaffWhatsappActivity>, RepoError>;

    /// Incoming-message webhook, deliberately unscoped: WhatsApp's request (verified by its
    /// signature, not by a credential of ours) names only the sender's number. Returns every
    /// active registration of the number, across organizations; the caller picks one and acts
    /// for it through the scoped methods. Empty for an unknown number.
    async fn find_senders_for_webhook(&self, phone: &PhoneNumber) -> Result<Vec<WhatsappSender>, RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("+14155552671").unwrap()
    }

    #[test]
    fn transcriptions_belong_to_voice_messages() {
        use WhatsappMessageType::*;
        let cases: [(WhatsappMessageType, Option<&str>, Result<MessageKind, &str>); 5] = [
            (Text, None, Ok(MessageKind::Text)),
            (Text, Some("   "), Ok(MessageKind::Text)),
            (Text, Some("hello"), Err("transcription")),
            (Voice, None, Ok(MessageKind::Voice { transcription: None })),
            (
                Voice,
                Some(" how many donors? "),
                Ok(MessageKind::Voice { transcription: Some("how many donors?".into()) }),
            ),
        ];
        for (message_type, transcription, expected) in cases {
            let result = MessageKind::from_parts(message_type, transcription);
            assert_eq!(
                result.map_err(|e| e.field.into_owned()),
                expected.map_err(str::to_owned),
                "{message_type} {transcription:?}"
            );
        }
        let voice = MessageKind::from_parts(Voice, Some("hi")).unwrap();
        assert!(voice.is_voice());
        assert_eq!((voice.message_type(), voice.transcription()), (Voice, Some("hi")));
        assert_eq!("video".parse::<WhatsappMessageType>().unwrap_err().field, "message_type");
    }

    #[test]
    fn queries_and_messages_need_text_and_an_answer() {
        let staff = WhatsappStaffId::new();
        assert!(NewWhatsappQuery::new(staff, "How many donors?", "412", MessageKind::Text).is_ok());
        assert_eq!(NewWhatsappQuery::new(staff, " ", "412", MessageKind::Text).unwrap_err().field, "query_text");
        assert_eq!(NewWhatsappQuery::new(staff, "Q", "", MessageKind::Text).unwrap_err().field, "response_text");
        assert_eq!(NewWhatsappChatMessage::new(phone(), MessageKind::Text, "", "A").unwrap_err().field, "message_text");
        assert_eq!(NewWhatsappChatMessage::new(phone(), MessageKind::Text, "Q", " ").unwrap_err().field, "ai_response");
        assert_eq!(NewStaffWhatsappActivity::new(StaffId::new(), "", phone()).unwrap_err().field, "activity_type");
    }

    #[test]
    fn whatsapp_staff_permissions_are_checked() {
        let mut staff = NewWhatsappStaff::new(phone(), Some(" Ada ")).unwrap();
        assert_eq!(staff.display_name.as_deref(), Some("Ada"));
        assert!(staff.is_active);
        staff.permissions = vec!["donors:read".into()];
        assert!(staff.validate().is_ok());
        staff.permissions.push(" ".into());
        assert_eq!(staff.validate().unwrap_err().field, "permissions");
        let patch = WhatsappStaffPatch { display_name: Some(Some("x".repeat(NAME_MAX + 1))), ..Default::default() };
        assert_eq!(patch.validate().unwrap_err().field, "display_name");
    }

    #[test]
    fn senders_name_their_organization() {
        let org = OrganizationId::new();
        let sender = WhatsappSender::Staff { organization_id: org, staff_id: StaffId::new() };
        assert_eq!(sender.organization_id(), org);
    }
}
