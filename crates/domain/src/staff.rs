//! Staff: a user's membership of an organization, with a role and extra permissions.
//!
//! Changes of role, permissions and activity go through [`change_staff`], which keeps two rules:
//! nobody deactivates or demotes themselves, and an organization always keeps an active admin.

use async_trait::async_trait;

use crate::access::effective_permissions;
use crate::shared::{
    Actor, EmailAddress, OrgScope, OrganizationId, Page, PageRequest, RepoError, Secret, StaffId, Timestamp, UserId,
};
use crate::string_enum;
use crate::user::{User, UserPatch};

/// The prefix of the placeholder `clerk_id` an invited user gets until the identity provider's
/// id replaces it on first sign-in (ADR 0016).
pub const INVITED_CLERK_ID_PREFIX: &str = "invited:";

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

/// A staff member together with the user behind them: what the staff directory shows.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffMember {
    pub staff: Staff,
    pub user: User,
}

/// Which staff a list returns; `None` matches any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StaffFilter {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// An invitation to the organization. The user is the existing one with this email (compared
/// case-insensitively) or a new one whose `clerk_id` is a placeholder starting with
/// [`INVITED_CLERK_ID_PREFIX`]; names only fill a new user, an existing one keeps theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub email: EmailAddress,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Role,
    /// Already checked against the permission table (`access::parse_permissions`).
    pub permissions: Vec<String>,
}

/// Changes to a staff member: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffPatch {
    pub role: Option<Role>,
    pub permissions: Option<Vec<String>>,
    pub is_active: Option<bool>,
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
        if let Some(v) = patch.is_active {
            self.is_active = v;
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

    /// Whether this member counts towards the organization's required active admin.
    pub fn is_active_admin(&self) -> bool {
        self.is_active && self.role == Role::Admin
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
    /// One page of the organization's staff matching `filter`, each with their user, newest first.
    async fn list_members(
        &self,
        scope: &OrgScope,
        filter: StaffFilter,
        page: PageRequest,
    ) -> Result<Page<StaffMember>, RepoError>;
    async fn get_member(&self, scope: &OrgScope, id: StaffId) -> Result<Option<StaffMember>, RepoError>;
    /// Finds or creates the user and makes them staff, in one transaction. Fails with
    /// `Conflict { constraint: "uq_staff_org_user" }` when they are staff of the organization already.
    async fn invite(&self, scope: &OrgScope, invitation: Invitation) -> Result<StaffMember, RepoError>;
    async fn count_active_admins(&self, scope: &OrgScope) -> Result<u64, RepoError>;
    /// As `update`, but writes only if the organization still has an active admin afterwards,
    /// checked in the same transaction as the write (which holds the admins' rows on PostgreSQL and
    /// the database's write lock on SQLite): `Ok(None)` when it would have none, and nothing changed.
    async fn update_keeping_an_admin(
        &self,
        scope: &OrgScope,
        id: StaffId,
        patch: StaffPatch,
    ) -> Result<Option<Staff>, RepoError>;
    /// Changes the user behind the staff member `id` (names, email signature). Users are not tenant
    /// data: this reaches one only through a staff row of the scope's organization.
    /// `NotFound` when `id` is not the organization's; `Invalid` when the patch breaks a rule.
    async fn update_user(&self, scope: &OrgScope, id: StaffId, patch: UserPatch) -> Result<StaffMember, RepoError>;
    /// Unscoped: authentication looks up the membership of a verified user (a JWT's subject)
    /// in the organization the credential names, to build the scope from it.
    async fn find_membership(&self, org: OrganizationId, user: UserId) -> Result<Option<Staff>, RepoError>;
}

/// Why [`change_staff`] refused a change.
#[derive(Debug, thiserror::Error)]
pub enum StaffChangeError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The change would leave the organization without an active admin.
    #[error("the organization must keep at least one active admin")]
    LastAdmin,
    #[error("staff members cannot deactivate themselves")]
    SelfDeactivation,
    /// The actor's own role or permissions would grant them less than before.
    #[error("staff members cannot lower their own role or permissions")]
    SelfDemotion,
}

/// Changes a staff member's role, permissions or activity for the actor of `scope`.
///
/// Refuses to let the actor deactivate themselves or lose any permission they hold (they could
/// not undo it), and to leave the organization without an active admin. The last check is made
/// by the repository in the transaction that writes, so two admins demoting each other at once
/// cannot both succeed.
pub async fn change_staff(
    repo: &dyn StaffRepository,
    scope: &OrgScope,
    id: StaffId,
    patch: StaffPatch,
) -> Result<Staff, StaffChangeError> {
    let before = repo.get(scope, id).await?.ok_or(RepoError::NotFound)?;
    let mut after = before.clone();
    after.apply(patch.clone());
    if let Actor::Staff { staff: me, .. } = scope.actor()
        && me == id
    {
        if before.is_active && !after.is_active {
            return Err(StaffChangeError::SelfDeactivation);
        }
        let had = effective_permissions(before.role, &before.permissions, &[]);
        let has = effective_permissions(after.role, &after.permissions, &[]);
        if had.iter().any(|p| !has.allows(p)) {
            return Err(StaffChangeError::SelfDemotion);
        }
    }
    if before.is_active_admin() && !after.is_active_admin() {
        return repo.update_keeping_an_admin(scope, id, patch).await?.ok_or(StaffChangeError::LastAdmin);
    }
    Ok(repo.update(scope, id, patch).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::shared::{Permissions, time::now};

    fn staff(id: StaffId, role: Role) -> Staff {
        Staff {
            id,
            user_id: UserId::new(),
            role,
            permissions: vec![],
            is_active: true,
            gmail_refresh_token: None,
            gmail_email: None,
            microsoft_refresh_token: None,
            microsoft_email: None,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn acting_as(me: StaffId) -> OrgScope {
        OrgScope::from_membership(OrganizationId::new(), UserId::new(), me, Permissions::all())
    }

    fn repo_with(target: Staff) -> MockStaffRepository {
        let mut repo = MockStaffRepository::new();
        repo.expect_get().returning(move |_, _| Ok(Some(target.clone())));
        repo
    }

    #[tokio::test]
    async fn nobody_deactivates_or_demotes_themselves() {
        let me = StaffId::new();
        let mut repo = repo_with(staff(me, Role::Admin));
        repo.expect_update().never();
        repo.expect_update_keeping_an_admin().never();
        let scope = acting_as(me);
        let off = StaffPatch { is_active: Some(false), ..StaffPatch::default() };
        assert!(matches!(change_staff(&repo, &scope, me, off).await, Err(StaffChangeError::SelfDeactivation)));
        let down = StaffPatch { role: Some(Role::Manager), ..StaffPatch::default() };
        assert!(matches!(change_staff(&repo, &scope, me, down).await, Err(StaffChangeError::SelfDemotion)));
    }

    #[tokio::test]
    async fn adding_to_ones_own_permissions_is_no_demotion() {
        let me = StaffId::new();
        let mut repo = repo_with(staff(me, Role::Viewer));
        repo.expect_update().times(1).returning(move |_, _, _| Ok(staff(me, Role::Viewer)));
        let more = StaffPatch { permissions: Some(vec!["donations:read".into()]), ..StaffPatch::default() };
        change_staff(&repo, &acting_as(me), me, more).await.unwrap();
    }

    #[tokio::test]
    async fn demoting_an_admin_is_guarded_by_the_repository() {
        let (me, other) = (StaffId::new(), StaffId::new());
        let mut repo = repo_with(staff(other, Role::Admin));
        repo.expect_update().never();
        repo.expect_update_keeping_an_admin().times(1).returning(|_, _, _| Ok(None));
        let down = StaffPatch { role: Some(Role::Viewer), ..StaffPatch::default() };
        let result = change_staff(&repo, &acting_as(me), other, down).await;
        assert!(matches!(result, Err(StaffChangeError::LastAdmin)));
    }

    #[tokio::test]
    async fn other_changes_are_plain_updates() {
        let (me, other) = (StaffId::new(), StaffId::new());
        let mut repo = repo_with(staff(other, Role::Viewer));
        repo.expect_update_keeping_an_admin().never();
        repo.expect_update().times(1).returning(move |_, _, _| Ok(staff(other, Role::Manager)));
        let up = StaffPatch { role: Some(Role::Manager), ..StaffPatch::default() };
        assert_eq!(change_staff(&repo, &acting_as(me), other, up).await.unwrap().role, Role::Manager);
    }
}
