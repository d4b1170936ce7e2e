//! Users: people who sign in (identities from the external identity provider). Users are global;
//! what a user may do in an organization comes from their `staff` membership.

use async_trait::async_trait;

use crate::shared::{EmailAddress, RepoError, Timestamp, UserId, ValueError, optional_text, required_text};
use crate::staff::INVITED_CLERK_ID_PREFIX;

/// The longest first or last name.
pub const NAME_MAX: usize = 200;
/// The longest email signature (text or HTML), in characters.
pub const SIGNATURE_MAX: usize = 10_000;

/// A first or last name as input: trimmed, blank means none.
pub fn parse_name(field: &'static str, value: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(field, value, NAME_MAX)
}

/// An email signature as input (text or HTML, not interpreted): trimmed, blank means none.
pub fn parse_signature(field: &'static str, value: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(field, value, SIGNATURE_MAX)
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    /// The identity provider's subject (`sub`).
    pub clerk_id: String,
    pub email: EmailAddress,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email_signature: Option<String>,
    /// Context about the user that AI features may use.
    pub personal_memory: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub clerk_id: String,
    pub email: EmailAddress,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl NewUser {
    pub fn new(
        clerk_id: &str,
        email: EmailAddress,
        first_name: Option<&str>,
        last_name: Option<&str>,
    ) -> Result<Self, ValueError> {
        Ok(Self {
            clerk_id: required_text("clerk_id", clerk_id, 200)?,
            email,
            first_name: parse_name("first_name", first_name)?,
            last_name: parse_name("last_name", last_name)?,
        })
    }

    /// A user invited by email who has not signed in yet: the `clerk_id` is a unique placeholder
    /// (`invited:<uuid>`) that the identity provider's id replaces on first sign-in.
    pub fn invited(email: EmailAddress, first_name: Option<String>, last_name: Option<String>) -> Self {
        Self { clerk_id: format!("{INVITED_CLERK_ID_PREFIX}{}", uuid::Uuid::new_v4()), email, first_name, last_name }
    }
}

/// Changes to a user: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserPatch {
    pub email: Option<EmailAddress>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub email_signature: Option<Option<String>>,
    pub personal_memory: Option<Option<String>>,
}

impl User {
    pub fn apply(&mut self, patch: UserPatch) -> Result<(), ValueError> {
        if let Some(v) = patch.email {
            self.email = v;
        }
        if let Some(v) = patch.first_name {
            self.first_name = parse_name("first_name", v.as_deref())?;
        }
        if let Some(v) = patch.last_name {
            self.last_name = parse_name("last_name", v.as_deref())?;
        }
        if let Some(v) = patch.email_signature {
            self.email_signature = parse_signature("email_signature", v.as_deref())?;
        }
        if let Some(v) = patch.personal_memory {
            self.personal_memory = optional_text("personal_memory", v.as_deref(), 10_000)?;
        }
        Ok(())
    }
}

/// Users are not tenant data, so this port takes no scope; callers reach users of an
/// organization through its staff.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Fails with `Conflict` when the clerk id is taken.
    async fn create(&self, user: NewUser) -> Result<User, RepoError>;
    async fn get(&self, id: UserId) -> Result<Option<User>, RepoError>;
    async fn find_by_clerk_id(&self, clerk_id: &str) -> Result<Option<User>, RepoError>;
    /// Compares case-insensitively; of several users with the address, the oldest.
    async fn find_by_email(&self, email: &EmailAddress) -> Result<Option<User>, RepoError>;
    /// Fails with `NotFound` when the user does not exist.
    async fn update(&self, id: UserId, patch: UserPatch) -> Result<User, RepoError>;
    /// The users with this address (compared case-insensitively) who were invited and have not
    /// signed in yet (their `clerk_id` is still an [`INVITED_CLERK_ID_PREFIX`] placeholder),
    /// oldest first.
    async fn find_invited_by_email(&self, email: &EmailAddress) -> Result<Vec<User>, RepoError>;
    /// Replaces the invited user's placeholder `clerk_id` with the identity provider's id, once:
    /// `Ok(false)` when the user has no placeholder any more (another sign-in claimed it first).
    /// `Conflict` when `clerk_id` is already another user's.
    async fn claim_invitation(&self, id: UserId, clerk_id: &str) -> Result<bool, RepoError>;
}
