//! Incoming webhooks (WhatsApp, payment providers, ...): each request is stored as an event,
//! then processed in the background.
//!
//! Webhook requests carry no credential of ours (they are verified by the sender's signature),
//! and many arrive before anyone knows which organization they concern, so `organization_id` is
//! optional. Recording and processing are therefore the unscoped, system-side methods of
//! [`WebhookEventRepository`]; what an organization may read is only its own events, through the
//! scoped methods.

use std::net::IpAddr;

use async_trait::async_trait;

use crate::shared::{
    OrgScope, OrganizationId, Page, PageRequest, RepoError, Timestamp, ValueError, WebhookEventId, required_text,
};
use crate::string_enum;

pub const SOURCE_MAX: usize = 50;
pub const EVENT_TYPE_MAX: usize = 200;
pub const SIGNATURE_MAX: usize = 2_000;
pub const ERROR_MAX: usize = 5_000;
/// The largest payload accepted, in bytes of JSON.
pub const PAYLOAD_MAX_BYTES: usize = 1024 * 1024;

string_enum! {
    pub enum WebhookStatus: "status" {
        Pending => "pending",
        Processed => "processed",
        Failed => "failed",
    }
}

impl WebhookStatus {
    /// pending -> processed | failed; a failed event may be queued again. Processed is final.
    pub fn can_become(self, next: WebhookStatus) -> bool {
        use WebhookStatus::*;
        self == next || matches!((self, next), (Pending, Processed | Failed) | (Failed, Pending))
    }
}

/// A webhook body: a JSON document (anything but `null`), at most `PAYLOAD_MAX_BYTES` long.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookPayload(serde_json::Value);

impl WebhookPayload {
    /// Parses a request body; anything that is not JSON is refused.
    pub fn parse(body: &[u8]) -> Result<Self, ValueError> {
        if body.len() > PAYLOAD_MAX_BYTES {
            return Err(ValueError::new("payload", format!("must be at most {PAYLOAD_MAX_BYTES} bytes")));
        }
        let value = serde_json::from_slice(body)
            .map_err(|err| ValueError::new("payload", format!("is not valid JSON: {err}")))?;
        Self::from_value(value)
    }

    /// Wraps a parsed value (a stored row, a test).
    pub fn from_value(value: serde_json::Value) -> Result<Self, ValueError> {
        if value.is_null() {
            return Err(ValueError::new("payload", "must not be null"));
        }
        Ok(Self(value))
    }

    pub fn as_json(&self) -> &serde_json::Value {
        &self.0
    }

    pub fn into_json(self) -> serde_json::Value {
        self.0
    }
}

/// A webhook source is a short name: lower-case letters, digits, `_` and `-` (`whatsapp`).
pub fn check_source(source: &str) -> Result<String, ValueError> {
    let source = required_text("source", source, SOURCE_MAX)?;
    if !source.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
        return Err(ValueError::new("source", "must be lower-case letters, digits, '_' or '-'"));
    }
    Ok(source)
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    pub id: WebhookEventId,
    /// The organization the event concerns, once known; `None` for system events.
    pub organization_id: Option<OrganizationId>,
    /// `whatsapp`, `stripe`, ...
    pub source: String,
    pub event_type: String,
    pub payload: WebhookPayload,
    pub status: WebhookStatus,
    pub processed_at: Option<Timestamp>,
    pub error_message: Option<String>,
    pub retry_count: u32,
    /// The request headers worth keeping (a JSON object).
    pub headers: Option<serde_json::Value>,
    pub signature: Option<String>,
    pub ip_address: Option<IpAddr>,
    pub created_at: Timestamp,
}

/// An incoming request to store; it starts `pending`. The organization is never taken from the
/// request: it comes from the scope, or is assigned once processing has resolved it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWebhookEvent {
    pub source: String,
    pub event_type: String,
    pub payload: WebhookPayload,
    pub headers: Option<serde_json::Value>,
    pub signature: Option<String>,
    pub ip_address: Option<IpAddr>,
}

impl NewWebhookEvent {
    pub fn new(source: &str, event_type: &str, payload: WebhookPayload) -> Result<Self, ValueError> {
        Ok(Self {
            source: check_source(source)?,
            event_type: required_text("event_type", event_type, EVENT_TYPE_MAX)?,
            payload,
            headers: None,
            signature: None,
            ip_address: None,
        })
    }

    /// Every event starts here.
    pub fn status(&self) -> WebhookStatus {
        WebhookStatus::Pending
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        check_source(&self.source)?;
        required_text("event_type", &self.event_type, EVENT_TYPE_MAX)?;
        if self.signature.as_ref().is_some_and(|s| s.chars().count() > SIGNATURE_MAX) {
            return Err(ValueError::new("signature", format!("must be at most {SIGNATURE_MAX} characters")));
        }
        Ok(())
    }
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookFilter {
    pub status: Option<WebhookStatus>,
    pub source: Option<String>,
    pub event_type: Option<String>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookEventRepository: Send + Sync {
    /// Webhook endpoint, deliberately unscoped: stores an event whose organization is not known
    /// yet (`organization_id` null).
    async fn record_incoming(&self, event: NewWebhookEvent) -> Result<WebhookEvent, RepoError>;
    /// Stores an event that concerns the scope's organization.
    async fn record(&self, scope: &OrgScope, event: NewWebhookEvent) -> Result<WebhookEvent, RepoError>;
    /// Processing resolved the organization (from a sender's number, an account id, ...): assigns
    /// an event that has none to the scope's organization. Fails with `NotFound` when the event
    /// does not exist or already belongs to an organization.
    async fn assign_to_organization(&self, scope: &OrgScope, id: WebhookEventId) -> Result<WebhookEvent, RepoError>;

    /// Worker, deliberately unscoped (events may have no organization): up to `limit` `pending`
    /// events, oldest first.
    async fn pending(&self, limit: u64) -> Result<Vec<WebhookEvent>, RepoError>;
    /// Worker, unscoped: marks the event `processed` at `at`. Fails with `NotFound` when the event
    /// does not exist, and with `Invalid` when it is not `pending`.
    async fn mark_processed(&self, id: WebhookEventId, at: Timestamp) -> Result<WebhookEvent, RepoError>;
    /// Worker, unscoped: marks the event `failed` with the error and increments `retry_count`.
    /// Fails with `NotFound` when the event does not exist, and with `Invalid` when it is not
    /// `pending`.
    async fn mark_failed(&self, id: WebhookEventId, error: String, at: Timestamp) -> Result<WebhookEvent, RepoError>;
    /// Worker or operator, unscoped: queues a `failed` event again; a `pending` one is returned
    /// unchanged. Fails with `NotFound` when the event does not exist, and with `Invalid` when it
    /// is `processed`.
    async fn requeue(&self, id: WebhookEventId) -> Result<WebhookEvent, RepoError>;
    /// Operator, unscoped: events with no organization, newest first.
    async fn list_unassigned(&self, filter: WebhookFilter, page: PageRequest) -> Result<Page<WebhookEvent>, RepoError>;

    /// `None` when the event does not exist or is not the organization's (including events with no
    /// organization).
    async fn get(&self, scope: &OrgScope, id: WebhookEventId) -> Result<Option<WebhookEvent>, RepoError>;
    /// The organization's events matching the filter (by status, source, event type), newest
    /// first.
    async fn list(
        &self,
        scope: &OrgScope,
        filter: WebhookFilter,
        page: PageRequest,
    ) -> Result<Page<WebhookEvent>, RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn payloads_are_json_documents() {
        let cases: [(&[u8], Option<serde_json::Value>); 9] = [
            (br#"{"entry": [1, 2]}"#, Some(json!({"entry": [1, 2]}))),
            (b"[1, 2, 3]", Some(json!([1, 2, 3]))),
            (br#""text""#, Some(json!("text"))),
            (b"42", Some(json!(42))),
            (b"null", None),
            (b"", None),
            (b"{not json", None),
            (b"entry=1&id=2", None),
            (b"\xff\xfe", None),
        ];
        for (body, expected) in cases {
            let parsed = WebhookPayload::parse(body);
            assert_eq!(parsed.as_ref().ok().map(WebhookPayload::as_json), expected.as_ref(), "{body:?}");
            if let Err(err) = parsed {
                assert_eq!(err.field, "payload");
            }
        }
        assert!(WebhookPayload::from_value(serde_json::Value::Null).is_err());
    }

    #[test]
    fn oversized_payloads_are_refused() {
        let big = format!("\"{}\"", "x".repeat(PAYLOAD_MAX_BYTES));
        assert!(WebhookPayload::parse(big.as_bytes()).unwrap_err().message.contains("at most"));
    }

    #[test]
    fn sources_are_short_names() {
        let payload = WebhookPayload::from_value(json!({})).unwrap();
        for (source, ok) in [("whatsapp", true), ("stripe-v2", true), ("WhatsApp", false), ("", false), ("a b", false)]
        {
            assert_eq!(NewWebhookEvent::new(source, "message", payload.clone()).is_ok(), ok, "{source:?}");
        }
        let event = NewWebhookEvent::new("whatsapp", "message", payload.clone()).unwrap();
        assert_eq!(event.status(), WebhookStatus::Pending);
        assert_eq!(NewWebhookEvent::new("whatsapp", " ", payload).unwrap_err().field, "event_type");
    }

    #[test]
    fn status_transitions() {
        use WebhookStatus::*;
        let cases = [
            (Pending, Processed, true),
            (Pending, Failed, true),
            (Failed, Pending, true),
            (Processed, Pending, false),
            (Processed, Failed, false),
            (Failed, Processed, false),
        ];
        for (from, to, expected) in cases {
            assert_eq!(from.can_become(to), expected, "{from} -> {to}");
        }
        assert_eq!("done".parse::<WebhookStatus>().unwrap_err().field, "status");
    }
}
