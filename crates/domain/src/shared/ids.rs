//! One id type per table, so a `DonorId` can never be passed where a `ProjectId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ValueError;

macro_rules! typed_ids {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn into_uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ValueError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|_| ValueError::new("id", format!("'{s}' is not a UUID")))
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    )+};
}

typed_ids!(
    UserId,
    OrganizationId,
    DonorId,
    ProjectId,
    DonationId,
    StaffId,
    PersonResearchId,
    EmailGenerationSessionId,
    GeneratedEmailId,
    EmailTrackerId,
    LinkTrackerId,
    EmailOpenId,
    LinkClickId,
    EmailScheduleConfigId,
    EmailSendJobId,
    DonorListId,
    TodoId,
    CommunicationId,
    CommunicationThreadId,
    TemplateId,
    WhatsappStaffId,
    WhatsappQueryId,
    WebhookEventId,
    GmailOauthTokenId,
    StaffGmailTokenId,
    MicrosoftOauthTokenId,
    StaffMicrosoftTokenId,
    WhatsappChatMessageId,
    StaffWhatsappPhoneNumberId,
    StaffWhatsappActivityId,
    SignatureImageId,
    StaffEmailExampleId,
    ApiKeyId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_the_same_uuid() {
        let id = DonorId::new();
        let parsed: DonorId = id.to_string().parse().unwrap();
        assert_eq!(parsed, id);
    }

    #[test]
    fn rejects_text_that_is_not_a_uuid() {
        let err = "donor-1".parse::<DonorId>().unwrap_err();
        assert!(err.message.contains("not a UUID"), "{err}");
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let first = DonationId::new();
        let second = DonationId::new();
        assert!(first < second);
    }
}
