//! The one place where database errors become domain errors.

use givance_domain::RepoError;
use sea_orm::{DbErr, SqlErr};

/// What the failed statement was doing, which decides what a foreign-key failure means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// An insert or update: a foreign-key failure means a referenced row is not the
    /// organization's (or does not exist), which callers see as `NotFound`.
    Write,
    /// A delete: a foreign-key failure means other rows still depend on this one (`InUse`).
    Delete,
}

pub(crate) fn map_db_err(op: Op, err: DbErr) -> RepoError {
    let foreign_key = |constraint: String| match op {
        Op::Write => RepoError::NotFound,
        Op::Delete => RepoError::InUse(constraint),
    };
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) => {
            RepoError::Conflict { constraint: constraint_name(&message) }
        }
        Some(SqlErr::ForeignKeyConstraintViolation(message)) => foreign_key(constraint_name(&message)),
        // SQLite reports a RESTRICT refusal as SQLITE_CONSTRAINT_TRIGGER (1811), which SeaORM
        // does not classify; its message is SQLite's fixed foreign-key text.
        _ if err.to_string().contains("FOREIGN KEY constraint failed") => foreign_key("foreign key".to_owned()),
        _ => RepoError::Unavailable(Box::new(err)),
    }
}

/// Shorthand for the common case.
pub(crate) fn write_err(err: DbErr) -> RepoError {
    map_db_err(Op::Write, err)
}

pub(crate) fn delete_err(err: DbErr) -> RepoError {
    map_db_err(Op::Delete, err)
}

/// An update or delete of one row that touched none: the row is not the organization's.
pub(crate) fn require_row(rows_affected: u64) -> Result<(), RepoError> {
    if rows_affected == 0 { Err(RepoError::NotFound) } else { Ok(()) }
}

/// The constraint's stable name. PostgreSQL names it in quotes; SQLite lists the columns
/// (`UNIQUE constraint failed: donors.organization_id, donors.external_id`), which are mapped
/// to the name the PostgreSQL migration gives the same constraint.
fn constraint_name(message: &str) -> String {
    if let Some(name) = message.split('"').nth(1) {
        return name.to_owned();
    }
    let columns = message.rsplit_once("failed: ").map_or(message, |(_, columns)| columns).trim();
    SQLITE_UNIQUE_NAMES
        .iter()
        .find(|(cols, _)| *cols == columns)
        .map_or_else(|| columns.to_owned(), |(_, name)| (*name).to_owned())
}

/// SQLite's column lists for the unique constraints the application reports by name.
const SQLITE_UNIQUE_NAMES: &[(&str, &str)] = &[
    ("users.clerk_id", "uq_users_clerk_id"),
    ("organizations.clerk_id", "uq_organizations_clerk_id"),
    ("organizations.slug", "uq_organizations_slug"),
    ("donors.organization_id, donors.external_id", "uq_donors_org_external_id"),
    ("staff.organization_id, staff.user_id", "uq_staff_org_user"),
    ("api_keys.prefix", "uq_api_keys_prefix"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_constraint_names_from_both_backends() {
        assert_eq!(
            constraint_name("duplicate key value violates unique constraint \"uq_donors_org_external_id\""),
            "uq_donors_org_external_id"
        );
        assert_eq!(
            constraint_name("UNIQUE constraint failed: donors.organization_id, donors.external_id"),
            "uq_donors_org_external_id"
        );
        assert_eq!(constraint_name("UNIQUE constraint failed: t.a"), "t.a");
    }
}
