//! The tenant scope: proof of which organization a piece of code acts for.
//!
//! Every port method on tenant data takes `&OrgScope` first, so an unscoped query does not
//! compile. A scope can only be made by the constructors below: the API builds one from a
//! verified credential, the CLI from an explicit `--org`, tests from `for_tests`.

use std::collections::BTreeSet;

use super::{OrganizationId, StaffId, UserId};

/// Who acts within the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A staff member, authenticated by an API key or a JWT.
    Staff { user: UserId, staff: StaffId },
    /// An operator at the command line, trusted with the whole organization.
    Operator,
}

/// Permission strings such as `donors:read`; `*` grants everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Permissions(BTreeSet<String>);

impl Permissions {
    pub fn all() -> Self {
        Self(BTreeSet::from(["*".to_owned()]))
    }

    pub fn from_strings<I, S>(permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(permissions.into_iter().map(Into::into).collect())
    }

    pub fn allows(&self, permission: &str) -> bool {
        self.0.contains("*") || self.0.contains(permission)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgScope {
    org: OrganizationId,
    actor: Actor,
    permissions: Permissions,
}

impl OrgScope {
    /// For a staff member whose credential has been verified and whose membership of `org`
    /// has been checked (the API's authentication extractor).
    pub fn from_membership(org: OrganizationId, user: UserId, staff: StaffId, permissions: Permissions) -> Self {
        Self { org, actor: Actor::Staff { user, staff }, permissions }
    }

    /// For an operator who named the organization explicitly (`givance ... --org <slug>`).
    pub fn operator(org: OrganizationId) -> Self {
        Self { org, actor: Actor::Operator, permissions: Permissions::all() }
    }

    /// An all-permissions scope for tests.
    #[cfg(any(test, feature = "test-util"))]
    pub fn for_tests(org: OrganizationId) -> Self {
        Self::operator(org)
    }

    pub fn org(&self) -> OrganizationId {
        self.org
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    pub fn permissions(&self) -> &Permissions {
        &self.permissions
    }

    /// The acting user, when a person (not an operator) acts.
    pub fn user(&self) -> Option<UserId> {
        match self.actor {
            Actor::Staff { user, .. } => Some(user),
            Actor::Operator => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_may_do_everything() {
        let scope = OrgScope::operator(OrganizationId::new());
        assert!(scope.permissions().allows("donations:write"));
        assert_eq!(scope.user(), None);
    }

    #[test]
    fn staff_have_only_their_permissions() {
        let user = UserId::new();
        let scope = OrgScope::from_membership(
            OrganizationId::new(),
            user,
            StaffId::new(),
            Permissions::from_strings(["donors:read"]),
        );
        assert!(scope.permissions().allows("donors:read"));
        assert!(!scope.permissions().allows("donors:write"));
        assert_eq!(scope.user(), Some(user));
    }
}
