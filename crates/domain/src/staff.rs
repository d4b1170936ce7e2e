//! Staff: a user's membership of an organization, with a role and extra permissions.

use async_trait::async_trait;

use crate::shared::{
    EmailAddress, OrgScope, OrganizationId, Page, PageRequest, RepoError, Secret, StaffId, Timestamp, UserId,
};
use crate::string_enum;

string_enum! {
    /// What a staff member is, which decides the permissions they start with.
    pub enum Role: "role" {
        Admin => "admin",
        Manager => "manager",
        Fundraiser => "fundraiser",
        Viewer => "viewer",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Staff {
    pub id: StaffId,
    pub user_id: UserId,
    pub role: Role,
    /// Permission strings granted on top of the role's.
    pub permissions: Vec<String>,
    pub is_active: bool,
    pub gmail_refresh_token: Option<Secret>,
    pub gmail_email: Option<EmailAddress>,
    pub microsoft_refresh_token: Option<Secret>,
    pub microsoft_email: Option<EmailAddress>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewStaff {
    pub user_id: UserId,
    pub role: Role,
    pub permissions: Vec<String>,
}

/// Changes to a staff member: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffPatch {
    pub role: Option<Role>,
    pub permissions: Option<Vec<String>>,
    pub gmail_refresh_token: Option<Option<Secret>>,
    pub gmail_email: Option<Option<EmailAddress>>,
    pub microsoft_refresh_token: Option<Option<Secret>>,
    pub microsoft_email: Option<Option<EmailAddress>>,
}

impl Staff {
    pub fn apply(&mut self, patch: StaffPatch) {
        if let Some(v) = patch.role {
            self.role = v;
        }
        if let Some(v) = patch.permissions {
            self.permissions = v;
        }
        if let Some(v) = patch.gmail_refresh_token {
            self.gmail_refresh_token = v;
        }
        if let Some(v) = patch.gmail_email {
            self.gmail_email = v;
        }
        if let Some(v) = patch.microsoft_refresh_token {
            self.microsoft_refresh_token = v;
        }
        if let Some(v) = patch.microsoft_email {
            self.microsoft_email = v;
        }
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StaffRepository: Send + Sync {
    /// Fails with `Conflict` when the user is already staff of the organization.
    async fn create(&self, scope: &OrgScope, staff: NewStaff) -> Result<Staff, RepoError>;
    async fn get(&self, scope: &OrgScope, id: StaffId) -> Result<Option<Staff>, RepoError>;
    async fn find_by_user(&self, scope: &OrgScope, user: UserId) -> Result<Option<Staff>, RepoError>;
    /// Active and inactive staff, newest first.
    async fn list(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<Staff>, RepoError>;
    async fn update(&self, scope: &OrgScope, id: StaffId, patch: StaffPatch) -> Result<Staff, RepoError>;
    /// Staff are never deleted (their name stays on what they did): deactivation is the soft delete.
    async fn deactivate(&self, scope: &OrgScope, id: StaffId) -> Result<Staff, RepoError>;
    async fn reactivate(&self, scope: &OrgScope, id: StaffId) -> Result<Staff, RepoError>;
    /// Unscoped: authentication looks up the membership of a verified user (a JWT's subject)
    /// in the organization the credential names, to build the scope from it.
    async fn find_membership(&self, org: OrganizationId, user: UserId) -> Result<Option<Staff>, RepoError>;
}
