//! Email tracking: a tracker per sent email (the open pixel), a link tracker per rewritten link,
//! and the open and click events they record.
//!
//! `link_trackers`, `email_opens` and `link_clicks` have no organization of their own: they are
//! reached through their email tracker, which belongs to an organization. Scoped methods take the
//! scope and the parent id; the adapter checks the parent is the scope's.
//!
//! The public tracking endpoints (the pixel and the link redirect) carry no credential, so the
//! methods serving them are the only unscoped ones here. They are keyed by random, unguessable
//! tokens ([`EmailTrackerToken`], [`LinkTrackerToken`]) and reveal nothing but what the request
//! needs: the redirect target, or nothing at all.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::shared::{
    EmailAddress, EmailGenerationSessionId, EmailOpenId, EmailTrackerId, GeneratedEmailId, LinkClickId, LinkTrackerId,
    OrgScope, OrganizationId, Page, PageRequest, RepoError, Timestamp, ValueError, WebUrl, optional_text,
};

macro_rules! tracker_token {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random (v4) token. Never a time-ordered id: tokens must not be guessable.
            pub fn generate() -> Self {
                Self(Uuid::new_v4())
            }

            /// Reads a token from a URL path segment or a stored column.
            pub fn parse(raw: &str) -> Result<Self, ValueError> {
                Uuid::parse_str(raw.trim())
                    .ok()
                    .filter(|uuid| !uuid.is_nil())
                    .map(Self)
                    .ok_or_else(|| ValueError::new($field, "is not a tracking token"))
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
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
                Self::parse(s)
            }
        }
    };
}

tracker_token! {
    /// The token in an email's open-pixel URL (`email_trackers.tracker_id`, and
    /// `generated_emails.tracker_id`).
    EmailTrackerToken, "tracker_id"
}

tracker_token! {
    /// The token in a rewritten link's URL (`link_trackers.tracker_id`).
    LinkTrackerToken, "tracker_id"
}

/// User agents, device and client names are recorded from request headers on a public endpoint:
/// they are clipped to this many characters rather than refused.
pub const HEADER_TEXT_MAX: usize = 1_000;
pub const LINK_TEXT_MAX: usize = 2_000;

/// Reads an `INET` value (an IPv4 or IPv6 address).
pub fn parse_ip_address(raw: &str) -> Result<IpAddr, ValueError> {
    // PostgreSQL's text form of a host address may carry a /32 or /128 suffix.
    let host = raw.trim();
    let host = host.strip_suffix("/32").or_else(|| host.strip_suffix("/128")).unwrap_or(host);
    host.parse().map_err(|_| ValueError::new("ip_address", format!("'{}' is not an IP address", raw.trim())))
}

/// Trims, drops blank values and clips to `max_chars` characters.
fn clip(value: Option<&str>, max_chars: usize) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(|v| v.chars().take(max_chars).collect())
}

/// The tracking record of one sent email.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailTracker {
    pub id: EmailTrackerId,
    pub email_id: GeneratedEmailId,
    /// The pixel token.
    pub tracker_id: EmailTrackerToken,
    pub recipient_email: EmailAddress,
    /// The generation session the email came from.
    pub campaign_id: Option<EmailGenerationSessionId>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEmailTracker {
    pub email_id: GeneratedEmailId,
    pub tracker_id: EmailTrackerToken,
    pub recipient_email: EmailAddress,
    pub campaign_id: Option<EmailGenerationSessionId>,
}

impl NewEmailTracker {
    /// A tracker with a freshly generated pixel token.
    pub fn new(
        email_id: GeneratedEmailId,
        recipient_email: EmailAddress,
        campaign_id: Option<EmailGenerationSessionId>,
    ) -> Self {
        Self { email_id, tracker_id: EmailTrackerToken::generate(), recipient_email, campaign_id }
    }
}

/// One rewritten link of a tracked email.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkTracker {
    pub id: LinkTrackerId,
    pub email_tracker_id: EmailTrackerId,
    pub tracker_id: LinkTrackerToken,
    /// Where a click is redirected: only http(s) URLs, so the redirect cannot become an open
    /// redirect to `javascript:` or a local scheme.
    pub original_url: WebUrl,
    pub link_text: Option<String>,
    /// The link's position in the email, from 0.
    pub link_position: Option<u32>,
    pub created_at: Timestamp,
}

/// A link to track; the email tracker it belongs to is given to the repository.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLinkTracker {
    pub tracker_id: LinkTrackerToken,
    pub original_url: WebUrl,
    pub link_text: Option<String>,
    pub link_position: Option<u32>,
}

impl NewLinkTracker {
    /// A link tracker with a freshly generated token.
    pub fn new(original_url: WebUrl, link_text: Option<&str>, link_position: Option<u32>) -> Result<Self, ValueError> {
        Ok(Self {
            tracker_id: LinkTrackerToken::generate(),
            original_url,
            link_text: optional_text("link_text", link_text, LINK_TEXT_MAX)?,
            link_position,
        })
    }
}

/// One open of a tracked email (a load of its pixel).
#[derive(Debug, Clone, PartialEq)]
pub struct EmailOpen {
    pub id: EmailOpenId,
    pub email_tracker_id: EmailTrackerId,
    pub opened_at: Timestamp,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub device_type: Option<String>,
    pub email_client: Option<String>,
    /// Geo data, when available.
    pub location: Option<serde_json::Value>,
}

/// An open to record, from the pixel request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmailOpen {
    pub opened_at: Timestamp,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub device_type: Option<String>,
    pub email_client: Option<String>,
    pub location: Option<serde_json::Value>,
}

impl NewEmailOpen {
    /// From what the request says; header text is trimmed and clipped, never refused.
    pub fn from_request(opened_at: Timestamp, ip_address: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        Self {
            opened_at,
            ip_address,
            user_agent: clip(user_agent, HEADER_TEXT_MAX),
            device_type: None,
            email_client: None,
            location: None,
        }
    }

    /// Sets the device and client names, clipped like the user agent.
    pub fn with_client(mut self, device_type: Option<&str>, email_client: Option<&str>) -> Self {
        self.device_type = clip(device_type, HEADER_TEXT_MAX);
        self.email_client = clip(email_client, HEADER_TEXT_MAX);
        self
    }
}

/// One click on a tracked link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkClick {
    pub id: LinkClickId,
    pub link_tracker_id: LinkTrackerId,
    pub clicked_at: Timestamp,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub device_type: Option<String>,
    pub browser: Option<String>,
    /// Geo data, when available.
    pub location: Option<serde_json::Value>,
}

/// A click to record, from the redirect request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLinkClick {
    pub clicked_at: Timestamp,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub device_type: Option<String>,
    pub browser: Option<String>,
    pub location: Option<serde_json::Value>,
}

impl NewLinkClick {
    /// From what the request says; header text is trimmed and clipped, never refused.
    pub fn from_request(clicked_at: Timestamp, ip_address: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        Self {
            clicked_at,
            ip_address,
            user_agent: clip(user_agent, HEADER_TEXT_MAX),
            device_type: None,
            browser: None,
            location: None,
        }
    }

    /// Sets the device and browser names, clipped like the user agent.
    pub fn with_client(mut self, device_type: Option<&str>, browser: Option<&str>) -> Self {
        self.device_type = clip(device_type, HEADER_TEXT_MAX);
        self.browser = clip(browser, HEADER_TEXT_MAX);
        self
    }
}

/// What the pixel endpoint learns from a token: the tracker and the organization it belongs to,
/// so the open can be attributed (and a scope built for any follow-up work).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedEmail {
    pub organization_id: OrganizationId,
    pub tracker: EmailTracker,
}

/// What the redirect endpoint learns from a token.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedLink {
    pub organization_id: OrganizationId,
    pub link: LinkTracker,
}

/// Engagement with a session's emails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackingStats {
    pub tracked_emails: u64,
    /// Emails opened at least once.
    pub opened_emails: u64,
    pub total_opens: u64,
    /// Emails with at least one link clicked.
    pub clicked_emails: u64,
    pub total_clicks: u64,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TrackingRepository: Send + Sync {
    /// Creates a tracker for a sent email and records its token on the email
    /// (`generated_emails.tracker_id`). Fails with `NotFound` when the email or the campaign is
    /// not the organization's, and with `Conflict` when the token is already used.
    async fn create_tracker(&self, scope: &OrgScope, tracker: NewEmailTracker) -> Result<EmailTracker, RepoError>;
    /// `None` when the tracker does not exist in the organization.
    async fn get_tracker(&self, scope: &OrgScope, id: EmailTrackerId) -> Result<Option<EmailTracker>, RepoError>;
    /// The email's trackers, oldest first; empty when it has none or is not the organization's.
    async fn trackers_for_email(
        &self,
        scope: &OrgScope,
        email: GeneratedEmailId,
    ) -> Result<Vec<EmailTracker>, RepoError>;
    /// Adds the links of one email, all or none. Fails with `NotFound` when the tracker is not
    /// the organization's, and with `Conflict` when a token is already used.
    async fn add_links(
        &self,
        scope: &OrgScope,
        tracker: EmailTrackerId,
        links: Vec<NewLinkTracker>,
    ) -> Result<Vec<LinkTracker>, RepoError>;
    /// The tracker's links in position order. Fails with `NotFound` when the tracker is not the
    /// organization's.
    async fn list_links(&self, scope: &OrgScope, tracker: EmailTrackerId) -> Result<Vec<LinkTracker>, RepoError>;
    /// The tracker's opens, newest first. Fails with `NotFound` when the tracker is not the
    /// organization's.
    async fn list_opens(
        &self,
        scope: &OrgScope,
        tracker: EmailTrackerId,
        page: PageRequest,
    ) -> Result<Page<EmailOpen>, RepoError>;
    /// The link's clicks, newest first. Fails with `NotFound` when the link's tracker is not the
    /// organization's.
    async fn list_clicks(
        &self,
        scope: &OrgScope,
        link: LinkTrackerId,
        page: PageRequest,
    ) -> Result<Page<LinkClick>, RepoError>;
    /// Opens and clicks of the session's emails; all zero for an unknown session.
    async fn stats_for_session(
        &self,
        scope: &OrgScope,
        session: EmailGenerationSessionId,
    ) -> Result<TrackingStats, RepoError>;

    /// Public pixel endpoint, deliberately unscoped: the request carries no credential, only the
    /// random token. `None` for an unknown token (the endpoint still answers with the pixel).
    async fn find_tracker_for_pixel(&self, token: EmailTrackerToken) -> Result<Option<TrackedEmail>, RepoError>;
    /// Public pixel endpoint, unscoped for the same reason: records the open and, in the same
    /// transaction, increments the email's `opens` and sets `last_opened_at`. `None` (and nothing
    /// written) for an unknown token.
    async fn record_open_for_pixel(
        &self,
        token: EmailTrackerToken,
        open: NewEmailOpen,
    ) -> Result<Option<EmailOpen>, RepoError>;
    /// Public redirect endpoint, deliberately unscoped: the request carries only the random
    /// token. `None` for an unknown token (the endpoint answers 404).
    async fn find_link_for_redirect(&self, token: LinkTrackerToken) -> Result<Option<TrackedLink>, RepoError>;
    /// Public redirect endpoint, unscoped for the same reason: records the click and, in the same
    /// transaction, increments the email's `clicks` and sets `last_clicked_at`. Returns the link
    /// (whose `original_url` is the redirect target) and the click; `None` (and nothing written)
    /// for an unknown token.
    async fn record_click_for_redirect(
        &self,
        token: LinkTrackerToken,
        click: NewLinkClick,
    ) -> Result<Option<(LinkTracker, LinkClick)>, RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::shared::time::now;

    #[test]
    fn tokens_are_random_and_parse_back() {
        let token = EmailTrackerToken::generate();
        assert_eq!(token.as_uuid().get_version_num(), 4);
        assert_ne!(token, EmailTrackerToken::generate());
        assert_eq!(token.to_string().parse::<EmailTrackerToken>().unwrap(), token);
        let link = LinkTrackerToken::generate();
        assert_eq!(LinkTrackerToken::parse(&format!(" {} ", link.as_uuid().simple())).unwrap(), link);
    }

    #[test]
    fn junk_is_not_a_token() {
        for bad in ["", "pixel.gif", "1234", "00000000-0000-0000-0000-000000000000", "../../etc/passwd"] {
            assert_eq!(EmailTrackerToken::parse(bad).unwrap_err().field, "tracker_id", "{bad:?}");
            assert!(LinkTrackerToken::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ip_addresses_parse_in_both_families() {
        let cases: [(&str, Option<&str>); 7] = [
            ("203.0.113.7", Some("203.0.113.7")),
            (" 2001:db8::1 ", Some("2001:db8::1")),
            ("203.0.113.7/32", Some("203.0.113.7")),
            ("2001:db8::1/128", Some("2001:db8::1")),
            ("203.0.113.0/24", None),
            ("300.1.1.1", None),
            ("localhost", None),
        ];
        for (raw, expected) in cases {
            let parsed = parse_ip_address(raw).ok().map(|ip| ip.to_string());
            assert_eq!(parsed.as_deref(), expected, "{raw:?}");
        }
    }

    #[test]
    fn links_redirect_only_to_web_urls() {
        assert!(WebUrl::parse("javascript:alert(1)").is_err());
        let url = WebUrl::parse("https://example.org/give").unwrap();
        let link = NewLinkTracker::new(url, Some("  Give now "), Some(0)).unwrap();
        assert_eq!(link.link_text.as_deref(), Some("Give now"));
        let long = "x".repeat(LINK_TEXT_MAX + 1);
        let url = WebUrl::parse("https://example.org").unwrap();
        assert_eq!(NewLinkTracker::new(url, Some(&long), None).unwrap_err().field, "link_text");
    }

    #[test]
    fn request_headers_are_clipped_not_refused() {
        let huge = "a".repeat(HEADER_TEXT_MAX * 3);
        let open = NewEmailOpen::from_request(now(), None, Some(&huge)).with_client(Some(" "), Some("Apple Mail"));
        assert_eq!(open.user_agent.as_ref().map(|ua| ua.chars().count()), Some(HEADER_TEXT_MAX));
        assert_eq!(open.device_type, None);
        assert_eq!(open.email_client.as_deref(), Some("Apple Mail"));
        let click =
            NewLinkClick::from_request(now(), "198.51.100.1".parse().ok(), None).with_client(None, Some("Firefox"));
        assert_eq!(click.user_agent, None);
        assert_eq!(click.browser.as_deref(), Some("Firefox"));
    }

    #[test]
    fn new_trackers_get_fresh_tokens() {
        let email = EmailAddress::parse("donor@example.org").unwrap();
        let a = NewEmailTracker::new(GeneratedEmailId::new(), email.clone(), None);
        let b = NewEmailTracker::new(GeneratedEmailId::new(), email, None);
        assert_ne!(a.tracker_id, b.tracker_id);
    }
}
