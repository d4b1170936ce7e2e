//! OAuth tokens that let Givance send mail from a person's own Gmail or Microsoft mailbox.
//!
//! The schema keeps them in four tables: `gmail_oauth_tokens` and `microsoft_oauth_tokens`
//! (owned by a user) and `staff_gmail_tokens` and `staff_microsoft_tokens` (owned by a staff
//! member), all of the same shape. The domain has one [`OAuthToken`] whose [`OAuthTokenKey`] says
//! which table, which row and which owner, so a Gmail row id can never be paired with a Microsoft
//! table or a user id with a staff table.
//!
//! None of the tables has an organization: a token is reached through its owner. Every method
//! takes the scope and the owner; the adapter checks the owner belongs to the scope's
//! organization (a staff member of it, or a user who is one of its staff). Access and refresh
//! tokens are [`Secret`]s: they never print.

use async_trait::async_trait;
use chrono::TimeDelta;
use uuid::Uuid;

use crate::campaign::EmailProvider;
use crate::shared::{
    EmailAddress, GmailOauthTokenId, MicrosoftOauthTokenId, OrgScope, RepoError, Secret, StaffGmailTokenId, StaffId,
    StaffMicrosoftTokenId, Timestamp, UserId, ValueError, optional_text,
};
use crate::string_enum;

pub const TOKEN_MAX: usize = 10_000;
pub const SCOPE_MAX: usize = 2_000;

string_enum! {
    /// Whose OAuth server issued the token.
    pub enum OAuthProvider: "provider" {
        Gmail => "gmail",
        Microsoft => "microsoft",
    }
}

impl OAuthProvider {
    /// The mail provider a token of this kind sends through.
    pub fn email_provider(self) -> EmailProvider {
        match self {
            OAuthProvider::Gmail => EmailProvider::Gmail,
            OAuthProvider::Microsoft => EmailProvider::Microsoft,
        }
    }
}

/// Who a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenOwner {
    User(UserId),
    Staff(StaffId),
}

/// Which of the four tables a token is stored in, its typed id there, and its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OAuthTokenKey {
    /// `gmail_oauth_tokens`
    UserGmail { id: GmailOauthTokenId, user_id: UserId },
    /// `staff_gmail_tokens`
    StaffGmail { id: StaffGmailTokenId, staff_id: StaffId },
    /// `microsoft_oauth_tokens`
    UserMicrosoft { id: MicrosoftOauthTokenId, user_id: UserId },
    /// `staff_microsoft_tokens`
    StaffMicrosoft { id: StaffMicrosoftTokenId, staff_id: StaffId },
}

impl OAuthTokenKey {
    /// The key of a row `id` of the table for this provider and owner.
    pub fn from_parts(provider: OAuthProvider, owner: TokenOwner, id: Uuid) -> Self {
        match (provider, owner) {
            (OAuthProvider::Gmail, TokenOwner::User(user_id)) => {
                OAuthTokenKey::UserGmail { id: GmailOauthTokenId::from_uuid(id), user_id }
            }
            (OAuthProvider::Gmail, TokenOwner::Staff(staff_id)) => {
                OAuthTokenKey::StaffGmail { id: StaffGmailTokenId::from_uuid(id), staff_id }
            }
            (OAuthProvider::Microsoft, TokenOwner::User(user_id)) => {
                OAuthTokenKey::UserMicrosoft { id: MicrosoftOauthTokenId::from_uuid(id), user_id }
            }
            (OAuthProvider::Microsoft, TokenOwner::Staff(staff_id)) => {
                OAuthTokenKey::StaffMicrosoft { id: StaffMicrosoftTokenId::from_uuid(id), staff_id }
            }
        }
    }

    pub fn provider(&self) -> OAuthProvider {
        match self {
            OAuthTokenKey::UserGmail { .. } | OAuthTokenKey::StaffGmail { .. } => OAuthProvider::Gmail,
            OAuthTokenKey::UserMicrosoft { .. } | OAuthTokenKey::StaffMicrosoft { .. } => OAuthProvider::Microsoft,
        }
    }

    pub fn owner(&self) -> TokenOwner {
        match *self {
            OAuthTokenKey::UserGmail { user_id, .. } | OAuthTokenKey::UserMicrosoft { user_id, .. } => {
                TokenOwner::User(user_id)
            }
            OAuthTokenKey::StaffGmail { staff_id, .. } | OAuthTokenKey::StaffMicrosoft { staff_id, .. } => {
                TokenOwner::Staff(staff_id)
            }
        }
    }

    /// The row id in its table.
    pub fn row_id(&self) -> Uuid {
        match *self {
            OAuthTokenKey::UserGmail { id, .. } => id.into_uuid(),
            OAuthTokenKey::StaffGmail { id, .. } => id.into_uuid(),
            OAuthTokenKey::UserMicrosoft { id, .. } => id.into_uuid(),
            OAuthTokenKey::StaffMicrosoft { id, .. } => id.into_uuid(),
        }
    }

    /// The table the token is stored in.
    pub fn table(&self) -> &'static str {
        match self {
            OAuthTokenKey::UserGmail { .. } => "gmail_oauth_tokens",
            OAuthTokenKey::StaffGmail { .. } => "staff_gmail_tokens",
            OAuthTokenKey::UserMicrosoft { .. } => "microsoft_oauth_tokens",
            OAuthTokenKey::StaffMicrosoft { .. } => "staff_microsoft_tokens",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OAuthToken {
    /// `id` and `user_id` or `staff_id`, and which table.
    pub key: OAuthTokenKey,
    pub access_token: Secret,
    pub refresh_token: Secret,
    /// When the access token expires.
    pub expires_at: Timestamp,
    /// The OAuth scopes granted (space-separated), the `scope` column.
    pub scope: Option<String>,
    /// The mailbox the token gives access to.
    pub email: EmailAddress,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl OAuthToken {
    pub fn provider(&self) -> OAuthProvider {
        self.key.provider()
    }

    pub fn owner(&self) -> TokenOwner {
        self.key.owner()
    }

    /// Whether the access token must be refreshed before use at `now`, allowing `margin` for
    /// clock skew and request time.
    pub fn needs_refresh(&self, now: Timestamp, margin: TimeDelta) -> bool {
        self.expires_at <= now + margin
    }
}

fn check_token(field: &'static str, token: &str) -> Result<Secret, ValueError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ValueError::new(field, "must not be empty"));
    }
    if token.chars().count() > TOKEN_MAX || token.chars().any(char::is_whitespace) {
        return Err(ValueError::new(field, "is not a token"));
    }
    Ok(Secret::new(token))
}

/// A token obtained by a completed OAuth authorization, to store for an owner.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOAuthToken {
    pub provider: OAuthProvider,
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub expires_at: Timestamp,
    pub scope: Option<String>,
    pub email: EmailAddress,
}

impl NewOAuthToken {
    pub fn new(
        provider: OAuthProvider,
        access_token: &str,
        refresh_token: &str,
        expires_at: Timestamp,
        scope: Option<&str>,
        email: EmailAddress,
    ) -> Result<Self, ValueError> {
        Ok(Self {
            provider,
            access_token: check_token("access_token", access_token)?,
            refresh_token: check_token("refresh_token", refresh_token)?,
            expires_at,
            scope: optional_text("scope", scope, SCOPE_MAX)?,
            email,
        })
    }
}

/// The result of refreshing an access token. Providers that rotate refresh tokens return a new
/// one; otherwise the stored refresh token stays.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshedToken {
    pub access_token: Secret,
    pub expires_at: Timestamp,
    pub refresh_token: Option<Secret>,
    pub scope: Option<String>,
}

impl RefreshedToken {
    pub fn new(
        access_token: &str,
        expires_at: Timestamp,
        refresh_token: Option<&str>,
        scope: Option<&str>,
    ) -> Result<Self, ValueError> {
        Ok(Self {
            access_token: check_token("access_token", access_token)?,
            expires_at,
            refresh_token: refresh_token.map(|t| check_token("refresh_token", t)).transpose()?,
            scope: optional_text("scope", scope, SCOPE_MAX)?,
        })
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OAuthTokenRepository: Send + Sync {
    /// Stores the owner's token for the provider, replacing any they had (one per owner and
    /// provider). Fails with `NotFound` when the owner does not belong to the organization.
    async fn save(&self, scope: &OrgScope, owner: TokenOwner, token: NewOAuthToken) -> Result<OAuthToken, RepoError>;
    /// `None` when the owner has no token for the provider, or does not belong to the organization.
    async fn get(
        &self,
        scope: &OrgScope,
        owner: TokenOwner,
        provider: OAuthProvider,
    ) -> Result<Option<OAuthToken>, RepoError>;
    /// The owner's tokens (at most one per provider); empty when the owner does not belong to the
    /// organization.
    async fn list_for_owner(&self, scope: &OrgScope, owner: TokenOwner) -> Result<Vec<OAuthToken>, RepoError>;
    /// Tokens of the organization's staff (and of users who are its staff) whose access token
    /// expires before `before`, soonest first, at most `limit`: the refresher's work list.
    async fn expiring(&self, scope: &OrgScope, before: Timestamp, limit: u64) -> Result<Vec<OAuthToken>, RepoError>;
    /// Stores a refreshed access token (and a rotated refresh token, if any). Fails with
    /// `NotFound` when the owner has no token for the provider in the organization.
    async fn refresh(
        &self,
        scope: &OrgScope,
        owner: TokenOwner,
        provider: OAuthProvider,
        refreshed: RefreshedToken,
    ) -> Result<OAuthToken, RepoError>;
    /// Forgets the token (disconnecting the mailbox). Fails with `NotFound` when the owner has no
    /// token for the provider in the organization.
    async fn delete(&self, scope: &OrgScope, owner: TokenOwner, provider: OAuthProvider) -> Result<(), RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::shared::time::now;

    #[test]
    fn each_provider_and_owner_has_its_own_table() {
        let (user, staff, id) = (UserId::new(), StaffId::new(), Uuid::now_v7());
        let cases = [
            (OAuthProvider::Gmail, TokenOwner::User(user), "gmail_oauth_tokens"),
            (OAuthProvider::Gmail, TokenOwner::Staff(staff), "staff_gmail_tokens"),
            (OAuthProvider::Microsoft, TokenOwner::User(user), "microsoft_oauth_tokens"),
            (OAuthProvider::Microsoft, TokenOwner::Staff(staff), "staff_microsoft_tokens"),
        ];
        for (provider, owner, table) in cases {
            let key = OAuthTokenKey::from_parts(provider, owner, id);
            assert_eq!((key.provider(), key.owner(), key.table(), key.row_id()), (provider, owner, table, id));
        }
        assert_eq!(OAuthProvider::Microsoft.email_provider(), EmailProvider::Microsoft);
        assert!("smtp".parse::<OAuthProvider>().is_err());
    }

    #[test]
    fn tokens_must_be_present_and_never_print() {
        let email = EmailAddress::parse("ada@example.org").unwrap();
        let token = NewOAuthToken::new(
            OAuthProvider::Gmail,
            " ya29.access ",
            "1//refresh",
            now(),
            Some("gmail.send"),
            email.clone(),
        )
        .unwrap();
        assert_eq!(token.access_token.expose(), "ya29.access");
        let printed = format!("{token:?}");
        assert!(!printed.contains("ya29") && !printed.contains("1//refresh"), "{printed}");
        let cases = [("", "r", "access_token"), ("a", " ", "refresh_token"), ("a b", "r", "access_token")];
        for (access, refresh, field) in cases {
            let err =
                NewOAuthToken::new(OAuthProvider::Gmail, access, refresh, now(), None, email.clone()).unwrap_err();
            assert_eq!(err.field, field, "{access:?} {refresh:?}");
        }
        assert_eq!(RefreshedToken::new("a", now(), Some(""), None).unwrap_err().field, "refresh_token");
        assert_eq!(RefreshedToken::new("a", now(), None, None).unwrap().refresh_token, None);
    }

    #[test]
    fn tokens_need_refreshing_shortly_before_they_expire() {
        let at = now();
        let token = OAuthToken {
            key: OAuthTokenKey::from_parts(OAuthProvider::Gmail, TokenOwner::Staff(StaffId::new()), Uuid::now_v7()),
            access_token: Secret::new("a"),
            refresh_token: Secret::new("r"),
            expires_at: at + TimeDelta::minutes(10),
            scope: None,
            email: EmailAddress::parse("ada@example.org").unwrap(),
            created_at: at,
            updated_at: at,
        };
        assert!(!token.needs_refresh(at, TimeDelta::minutes(5)));
        assert!(token.needs_refresh(at, TimeDelta::minutes(10)));
        assert!(token.needs_refresh(at + TimeDelta::hours(1), TimeDelta::zero()));
    }
}
