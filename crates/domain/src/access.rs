//! Who may do what: the permission strings, what each role grants, and how a credential's
//! effective permissions are computed. The table is documented in `docs/api.md`.
//!
//! A staff member's permissions are their role's plus `staff.permissions`; an API key whose own
//! permission list is not empty narrows (intersects) them; a JWT carries the staff member's.

use crate::shared::{Permissions, ValueError};
use crate::staff::Role;

pub const DONORS_READ: &str = "donors:read";
pub const DONORS_WRITE: &str = "donors:write";
pub const DONATIONS_READ: &str = "donations:read";
pub const DONATIONS_WRITE: &str = "donations:write";
pub const PROJECTS_READ: &str = "projects:read";
pub const PROJECTS_WRITE: &str = "projects:write";
pub const STAFF_READ: &str = "staff:read";
/// Invite, change and deactivate staff, and create, list and revoke API keys (any staff
/// member's): an administrator's power, since a key can be made for anyone.
pub const STAFF_MANAGE: &str = "staff:manage";
pub const ORGANIZATION_READ: &str = "organization:read";
pub const ORGANIZATION_WRITE: &str = "organization:write";
/// Read communications, threads and donor timelines.
pub const COMMUNICATIONS_READ: &str = "communications:read";
/// Log, change and delete communications; open, change and delete threads.
pub const COMMUNICATIONS_WRITE: &str = "communications:write";
/// Read templates and preview them for a donor (previewing also needs `donors:read`).
pub const TEMPLATES_READ: &str = "templates:read";
/// Create, change, delete templates and record their use.
pub const TEMPLATES_WRITE: &str = "templates:write";
/// Read tasks.
pub const TODOS_READ: &str = "todos:read";
/// Create, change, complete and delete tasks; running the suggester also needs `donations:read`.
pub const TODOS_WRITE: &str = "todos:write";

/// Every permission string, in the order the documentation lists them.
pub const ALL_PERMISSIONS: &[&str] = &[
    DONORS_READ,
    DONORS_WRITE,
    DONATIONS_READ,
    DONATIONS_WRITE,
    PROJECTS_READ,
    PROJECTS_WRITE,
    STAFF_READ,
    STAFF_MANAGE,
    ORGANIZATION_READ,
    ORGANIZATION_WRITE,
    COMMUNICATIONS_READ,
    COMMUNICATIONS_WRITE,
    TEMPLATES_READ,
    TEMPLATES_WRITE,
    TODOS_READ,
    TODOS_WRITE,
];

/// What a role grants by itself.
pub fn role_permissions(role: Role) -> &'static [&'static str] {
    match role {
        Role::Admin => ALL_PERMISSIONS,
        Role::Manager => &[
            DONORS_READ,
            DONORS_WRITE,
            DONATIONS_READ,
            DONATIONS_WRITE,
            PROJECTS_READ,
            PROJECTS_WRITE,
            STAFF_READ,
            ORGANIZATION_READ,
            COMMUNICATIONS_READ,
            COMMUNICATIONS_WRITE,
            TEMPLATES_READ,
            TEMPLATES_WRITE,
            TODOS_READ,
            TODOS_WRITE,
        ],
        Role::Fundraiser => &[
            DONORS_READ,
            DONORS_WRITE,
            DONATIONS_READ,
            DONATIONS_WRITE,
            PROJECTS_READ,
            STAFF_READ,
            ORGANIZATION_READ,
            COMMUNICATIONS_READ,
            COMMUNICATIONS_WRITE,
            TEMPLATES_READ,
            TEMPLATES_WRITE,
            TODOS_READ,
            TODOS_WRITE,
        ],
        Role::Viewer => &[
            DONORS_READ,
            PROJECTS_READ,
            STAFF_READ,
            ORGANIZATION_READ,
            COMMUNICATIONS_READ,
            TEMPLATES_READ,
            TODOS_READ,
        ],
    }
}

/// The permissions of a staff member (`role` plus `extra`, the `staff.permissions` column), as
/// narrowed by a credential's own list when that list is not empty (an API key's permissions).
pub fn effective_permissions(role: Role, extra: &[String], narrowed_to: &[String]) -> Permissions {
    let granted =
        Permissions::from_strings(role_permissions(role).iter().copied().chain(extra.iter().map(String::as_str)));
    if narrowed_to.is_empty() {
        return granted;
    }
    Permissions::from_strings(narrowed_to.iter().filter(|p| granted.allows(p)).cloned())
}

/// Checks a list of permission strings given as input (an API key's, a staff member's extra
/// ones): each must be one of [`ALL_PERMISSIONS`]. Returns them sorted and without duplicates.
pub fn parse_permissions(field: &'static str, values: &[String]) -> Result<Vec<String>, ValueError> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let value = value.trim();
        if !ALL_PERMISSIONS.contains(&value) {
            return Err(ValueError::new(
                field,
                format!("unknown permission '{value}'; expected one of {}", ALL_PERMISSIONS.join(", ")),
            ));
        }
        out.push(value.to_owned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn the_role_table() {
        let allows = |role, permission| effective_permissions(role, &[], &[]).allows(permission);
        for permission in ALL_PERMISSIONS {
            assert!(allows(Role::Admin, permission), "admin: {permission}");
        }
        for (role, denied) in [
            (Role::Manager, &[STAFF_MANAGE, ORGANIZATION_WRITE][..]),
            (Role::Fundraiser, &[PROJECTS_WRITE, STAFF_MANAGE, ORGANIZATION_WRITE][..]),
            (
                Role::Viewer,
                &[
                    DONORS_WRITE,
                    DONATIONS_READ,
                    DONATIONS_WRITE,
                    PROJECTS_WRITE,
                    STAFF_MANAGE,
                    ORGANIZATION_WRITE,
                    COMMUNICATIONS_WRITE,
                    TEMPLATES_WRITE,
                    TODOS_WRITE,
                ][..],
            ),
        ] {
            for permission in ALL_PERMISSIONS {
                assert_eq!(allows(role, permission), !denied.contains(permission), "{role}: {permission}");
            }
        }
        assert!(!allows(Role::Viewer, "*"), "no role grants the wildcard");
    }

    #[test]
    fn staff_permissions_add_to_the_role() {
        let perms = effective_permissions(Role::Viewer, &strings(&[DONATIONS_READ]), &[]);
        assert!(perms.allows(DONATIONS_READ));
        assert!(perms.allows(DONORS_READ));
        assert!(!perms.allows(DONORS_WRITE));
    }

    #[test]
    fn a_key_narrows_and_never_widens() {
        let narrowed = effective_permissions(Role::Manager, &[], &strings(&[DONORS_READ, STAFF_MANAGE]));
        assert!(narrowed.allows(DONORS_READ));
        assert!(!narrowed.allows(DONORS_WRITE), "narrowed away");
        assert!(!narrowed.allows(STAFF_MANAGE), "a key cannot add what the staff member lacks");

        let with_extra = effective_permissions(Role::Viewer, &strings(&[STAFF_MANAGE]), &strings(&[STAFF_MANAGE]));
        assert_eq!(with_extra.iter().collect::<Vec<_>>(), vec![STAFF_MANAGE]);
    }

    #[test]
    fn permission_input_is_checked() {
        assert_eq!(
            parse_permissions("permissions", &strings(&["donors:write", " donors:read", "donors:write"])).unwrap(),
            strings(&["donors:read", "donors:write"])
        );
        let err = parse_permissions("permissions", &strings(&["donors:delete"])).unwrap_err();
        assert!(err.message.contains("unknown permission 'donors:delete'"), "{err}");
        assert!(parse_permissions("permissions", &strings(&["*"])).is_err());
    }
}
