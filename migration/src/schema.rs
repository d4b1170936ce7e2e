//! A small, declarative vocabulary for the tables of the schema, so that no migration repeats
//! the boilerplate of ids, tenant columns, timestamps, CHECK lists, tenant foreign keys and
//! per-backend index syntax.
//!
//! A migration describes its tables as [`TableSpec`] values and calls [`create_all`] in `up` and
//! [`drop_all`] in `down`, so `down` always drops exactly what `up` created, in reverse order.
//!
//! Rendering per backend (see `docs/decisions/0002-type-mappings.md`):
//!
//! | spec                | PostgreSQL             | SQLite (declared type, affinity)     |
//! |---------------------|------------------------|--------------------------------------|
//! | UUID                | uuid                   | uuid_text (TEXT)                     |
//! | TEXT, INET          | text                   | text                                 |
//! | JSONB, TEXT[] ...   | jsonb                  | jsonb_text (TEXT, JSON)              |
//! | DECIMAL(p,s)        | numeric(p,s)           | real(p, s) (REAL)                    |
//! | TIMESTAMP           | timestamp with time zone | timestamp_with_timezone_text (TEXT, RFC 3339) |
//! | DATE                | date                   | date_text (TEXT)                     |
//! | INTEGER / BOOLEAN   | integer / boolean      | integer / boolean                    |
//!
//! Naming (stable, referenced by tests and by error mapping in infra):
//! `fk_<table>_<column>`, `uq_<table>_<columns>`, `uq_<table>_org_id` for the tenant key
//! `(organization_id, id)`, `ck_<table>_<column>` for a CHECK list, `ck_<table>_<column>_is_array`
//! for a JSON-array column, and the spec's own `idx_*` names for indexes.
//!
//! **Migrations are history.** A released migration must create the same schema forever, so a
//! change to how this module renders something is a new migration, never an edit here that
//! alters the output for existing tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// The table every tenant row belongs to.
pub const ORGANIZATIONS: &str = "organizations";
/// The tenant column.
pub const ORG_ID: &str = "organization_id";

/// RFC 3339 UTC "now" on SQLite, in the shape sqlx writes a `DateTime<Utc>`
/// (`2025-01-31T12:00:00.123+00:00`), so that text comparison orders defaults and app-written
/// values alike. `+00:00` (not `Z`) sorts below the digits and `.`, as chronology requires.
const SQLITE_NOW: &str = "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')";

/// The column types of the spec (see the module documentation for how each is rendered).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Uuid,
    /// TEXT, and INET (an IP address validated by the domain, stored as text on both backends).
    Text,
    /// JSONB: any JSON document.
    Jsonb,
    /// TEXT[] / UUID[] / INTEGER[]: a JSON array (checked to be one) in a JSONB column.
    JsonArray,
    Decimal(u32, u32),
    /// TIMESTAMP: timestamptz on PostgreSQL, always UTC.
    Timestamp,
    Date,
    Integer,
    /// BIGINT: 64-bit (SQLite's INTEGER is 64-bit already).
    BigInteger,
    Boolean,
}

impl Ty {
    fn column_type(self) -> ColumnType {
        match self {
            Ty::Uuid => ColumnType::Uuid,
            Ty::Text => ColumnType::Text,
            Ty::Jsonb | Ty::JsonArray => ColumnType::JsonBinary,
            Ty::Decimal(precision, scale) => ColumnType::Decimal(Some((precision, scale))),
            Ty::Timestamp => ColumnType::TimestampWithTimeZone,
            Ty::Date => ColumnType::Date,
            Ty::Integer => ColumnType::Integer,
            Ty::BigInteger => ColumnType::BigInteger,
            Ty::Boolean => ColumnType::Boolean,
        }
    }
}

/// A column default, rendered per backend.
#[derive(Clone, Copy, Debug)]
enum DefaultValue {
    /// `gen_random_uuid()` on PostgreSQL; none on SQLite (the app supplies v7 ids anyway).
    RandomUuid,
    /// `CURRENT_TIMESTAMP` on PostgreSQL; an RFC 3339 UTC text on SQLite.
    Now,
    Text(&'static str),
    Int(i32),
    Bool(bool),
    /// A JSON literal such as `[1,2,3,4,5]`.
    Json(&'static str),
}

/// One column: its type, nullability, default and CHECK list. Nullable unless [`Col::not_null`].
#[derive(Clone, Debug)]
pub struct Col {
    ty: Ty,
    not_null: bool,
    primary_key: bool,
    default: Option<DefaultValue>,
    one_of: Option<&'static [&'static str]>,
}

fn col(ty: Ty) -> Col {
    Col { ty, not_null: false, primary_key: false, default: None, one_of: None }
}

pub fn uuid() -> Col {
    col(Ty::Uuid)
}
pub fn text() -> Col {
    col(Ty::Text)
}
/// INET: text on both backends, validated as an IP address by the domain.
pub fn inet() -> Col {
    col(Ty::Text)
}
pub fn jsonb() -> Col {
    col(Ty::Jsonb)
}
/// TEXT[] / UUID[] / INTEGER[]: a JSON array.
pub fn json_array() -> Col {
    col(Ty::JsonArray)
}
pub fn decimal(precision: u32, scale: u32) -> Col {
    col(Ty::Decimal(precision, scale))
}
pub fn timestamp() -> Col {
    col(Ty::Timestamp)
}
pub fn date() -> Col {
    col(Ty::Date)
}
pub fn integer() -> Col {
    col(Ty::Integer)
}
pub fn big_integer() -> Col {
    col(Ty::BigInteger)
}
pub fn boolean() -> Col {
    col(Ty::Boolean)
}

impl Col {
    pub fn not_null(mut self) -> Self {
        self.not_null = true;
        self
    }
    pub fn default_text(mut self, value: &'static str) -> Self {
        self.default = Some(DefaultValue::Text(value));
        self
    }
    pub fn default_int(mut self, value: i32) -> Self {
        self.default = Some(DefaultValue::Int(value));
        self
    }
    pub fn default_bool(mut self, value: bool) -> Self {
        self.default = Some(DefaultValue::Bool(value));
        self
    }
    pub fn default_now(mut self) -> Self {
        self.default = Some(DefaultValue::Now);
        self
    }
    pub fn default_json(mut self, literal: &'static str) -> Self {
        self.default = Some(DefaultValue::Json(literal));
        self
    }
    /// `CHECK (column IN (...))`; a NULL still passes when the column is nullable.
    pub fn one_of(mut self, values: &'static [&'static str]) -> Self {
        self.one_of = Some(values);
        self
    }

    fn definition(&self, name: &'static str, backend: DbBackend) -> ColumnDef {
        let mut def = ColumnDef::new_with_type(name, self.ty.column_type());
        if self.not_null || self.primary_key {
            def.not_null();
        }
        if self.primary_key {
            def.primary_key();
        }
        let postgres = backend == DbBackend::Postgres;
        let default: Option<Expr> = match self.default {
            None => None,
            // The app supplies v7 ids; SQLite has no uuid generator worth using as a default.
            Some(DefaultValue::RandomUuid) => postgres.then(|| Expr::cust("gen_random_uuid()")),
            Some(DefaultValue::Now) if postgres => Some(Expr::current_timestamp()),
            Some(DefaultValue::Now) => Some(Expr::cust(SQLITE_NOW)),
            Some(DefaultValue::Text(value)) => Some(value.into()),
            Some(DefaultValue::Int(value)) => Some(value.into()),
            Some(DefaultValue::Bool(value)) => Some(value.into()),
            Some(DefaultValue::Json(literal)) if postgres => Some(Expr::cust(format!("'{literal}'::jsonb"))),
            Some(DefaultValue::Json(literal)) => Some(literal.into()),
        };
        if let Some(default) = default {
            def.default(default);
        }
        def
    }
}

/// What deleting the referenced row does to the referencing rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnDelete {
    Cascade,
    Restrict,
}

impl OnDelete {
    fn action(self) -> ForeignKeyAction {
        match self {
            OnDelete::Cascade => ForeignKeyAction::Cascade,
            OnDelete::Restrict => ForeignKeyAction::Restrict,
        }
    }
}

#[derive(Clone, Debug)]
struct ForeignKeySpec {
    name: String,
    columns: Vec<&'static str>,
    parent: &'static str,
    parent_columns: Vec<&'static str>,
    on_delete: OnDelete,
}

#[derive(Clone, Debug)]
struct UniqueSpec {
    name: String,
    columns: Vec<&'static str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IndexKind {
    BTree,
    /// GIN on PostgreSQL (jsonb containment); a plain index on SQLite.
    Gin,
}

#[derive(Clone, Debug)]
struct IndexSpec {
    name: &'static str,
    /// Column names, each optionally suffixed with ` DESC`.
    columns: Vec<&'static str>,
    kind: IndexKind,
    /// Partial index: only rows where this column IS NULL.
    where_null: Option<&'static str>,
}

/// One table of the schema, with its constraints and indexes.
#[derive(Clone, Debug)]
pub struct TableSpec {
    name: &'static str,
    columns: Vec<(&'static str, Col)>,
    primary_key: Vec<&'static str>,
    uniques: Vec<UniqueSpec>,
    foreign_keys: Vec<ForeignKeySpec>,
    /// Row-level CHECKs beyond the per-column lists: (name, SQL valid on both backends).
    checks: Vec<(String, &'static str)>,
    indexes: Vec<IndexSpec>,
}

/// Starts the description of a table.
pub fn table(name: &'static str) -> TableSpec {
    TableSpec {
        name,
        columns: Vec::new(),
        primary_key: Vec::new(),
        uniques: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
        indexes: Vec::new(),
    }
}

impl TableSpec {
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// `id UUID PRIMARY KEY DEFAULT gen_random_uuid()`.
    pub fn id(mut self) -> Self {
        let mut id = uuid().not_null();
        id.primary_key = true;
        id.default = Some(DefaultValue::RandomUuid);
        self.columns.push(("id", id));
        self
    }

    /// `organization_id UUID NOT NULL REFERENCES organizations(id)`, RESTRICT: an organization
    /// that still has rows cannot be deleted.
    pub fn organization(self) -> Self {
        self.col(ORG_ID, uuid().not_null()).fk(ORG_ID, ORGANIZATIONS, OnDelete::Restrict)
    }

    pub fn col(mut self, name: &'static str, col: Col) -> Self {
        self.columns.push((name, col));
        self
    }

    /// `created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP` (nullable, as the spec writes it).
    pub fn created_at(self) -> Self {
        self.col("created_at", timestamp().default_now())
    }

    /// `created_at` and `updated_at`, both `TIMESTAMP DEFAULT CURRENT_TIMESTAMP`.
    pub fn timestamps(self) -> Self {
        self.created_at().col("updated_at", timestamp().default_now())
    }

    /// A composite primary key (junction tables, which have no `id`).
    pub fn primary_key(mut self, columns: &[&'static str]) -> Self {
        self.primary_key = columns.to_vec();
        self
    }

    /// A named UNIQUE constraint (PostgreSQL) / unique index (SQLite).
    pub fn unique(mut self, name: &str, columns: &[&'static str]) -> Self {
        self.uniques.push(UniqueSpec { name: name.to_owned(), columns: columns.to_vec() });
        self
    }

    /// `UNIQUE (organization_id, id)` named `uq_<table>_org_id`: the key that tenant children
    /// reference with a composite foreign key.
    pub fn tenant_parent(self) -> Self {
        let name = format!("uq_{}_org_id", self.name);
        self.unique(&name, &[ORG_ID, "id"])
    }

    /// `column -> parent(id)`, named `fk_<table>_<column>`: for a global parent (users), or a
    /// child without organization_id (junctions, trackers, tokens).
    pub fn fk(mut self, column: &'static str, parent: &'static str, on_delete: OnDelete) -> Self {
        self.foreign_keys.push(ForeignKeySpec {
            name: format!("fk_{}_{}", self.name, column),
            columns: vec![column],
            parent,
            parent_columns: vec!["id"],
            on_delete,
        });
        self
    }

    /// `(organization_id, column) -> parent(organization_id, id)`, named `fk_<table>_<column>`:
    /// the database itself refuses a reference to another organization's row. A NULL `column`
    /// is not checked (MATCH SIMPLE), so optional references stay optional.
    pub fn tenant_fk(mut self, column: &'static str, parent: &'static str, on_delete: OnDelete) -> Self {
        self.foreign_keys.push(ForeignKeySpec {
            name: format!("fk_{}_{}", self.name, column),
            columns: vec![ORG_ID, column],
            parent,
            parent_columns: vec![ORG_ID, "id"],
            on_delete,
        });
        self
    }

    /// A row-level CHECK named `ck_<table>_<rule>`; `sql` must be valid on both backends.
    pub fn check(mut self, rule: &str, sql: &'static str) -> Self {
        self.checks.push((format!("ck_{}_{}", self.name, rule), sql));
        self
    }

    /// A B-tree index; a column written `"name DESC"` is descending.
    pub fn index(mut self, name: &'static str, columns: &[&'static str]) -> Self {
        self.indexes.push(IndexSpec { name, columns: columns.to_vec(), kind: IndexKind::BTree, where_null: None });
        self
    }

    /// A GIN index on PostgreSQL (containment on a jsonb document or array); plain on SQLite.
    pub fn gin_index(mut self, name: &'static str, column: &'static str) -> Self {
        self.indexes.push(IndexSpec { name, columns: vec![column], kind: IndexKind::Gin, where_null: None });
        self
    }

    /// A partial B-tree index over the rows where `null_column IS NULL` (e.g. not soft-deleted).
    pub fn index_where_null(mut self, name: &'static str, columns: &[&'static str], null_column: &'static str) -> Self {
        self.indexes.push(IndexSpec {
            name,
            columns: columns.to_vec(),
            kind: IndexKind::BTree,
            where_null: Some(null_column),
        });
        self
    }

    fn create_statement(&self, backend: DbBackend) -> TableCreateStatement {
        let mut stmt = Table::create();
        stmt.table(self.name);
        for (name, col) in &self.columns {
            stmt.col(col.definition(name, backend));
        }
        if !self.primary_key.is_empty() {
            let mut pk = Index::create();
            for column in &self.primary_key {
                pk.col(*column);
            }
            stmt.primary_key(&mut pk);
        }
        // PostgreSQL: real UNIQUE constraints (usable by ON CONFLICT ON CONSTRAINT and named in
        // unique-violation errors). SQLite cannot name a table constraint's index, so it gets
        // named unique indexes instead (see `create_all`).
        if backend == DbBackend::Postgres {
            for unique in &self.uniques {
                let mut index = Index::create();
                index.name(unique.name.as_str()).unique();
                for column in &unique.columns {
                    index.col(*column);
                }
                stmt.index(&mut index);
            }
        }
        // Inside CREATE TABLE on both backends: SQLite cannot add a foreign key later.
        for fk in &self.foreign_keys {
            let mut foreign_key = ForeignKey::create();
            foreign_key.name(fk.name.as_str()).from_tbl(self.name).to_tbl(fk.parent);
            for column in &fk.columns {
                foreign_key.from_col(*column);
            }
            for column in &fk.parent_columns {
                foreign_key.to_col(*column);
            }
            foreign_key.on_delete(fk.on_delete.action());
            stmt.foreign_key(&mut foreign_key);
        }
        for (name, col) in &self.columns {
            if let Some(values) = col.one_of {
                let check_name = format!("ck_{}_{}", self.name, name);
                stmt.check((Alias::new(check_name), Expr::col(*name).is_in(values.iter().copied())));
            }
            if col.ty == Ty::JsonArray {
                let check_name = format!("ck_{}_{}_is_array", self.name, name);
                let function = if backend == DbBackend::Postgres { "jsonb_typeof" } else { "json_type" };
                stmt.check((Alias::new(check_name), Expr::cust(format!("{function}(\"{name}\") = 'array'"))));
            }
        }
        for (name, sql) in &self.checks {
            stmt.check((Alias::new(name.as_str()), Expr::cust(*sql)));
        }
        stmt
    }

    fn index_statements(&self, backend: DbBackend) -> Vec<IndexCreateStatement> {
        let postgres = backend == DbBackend::Postgres;
        let mut statements = Vec::new();
        if !postgres {
            for unique in &self.uniques {
                let mut index = Index::create();
                index.name(unique.name.as_str()).table(self.name).unique();
                for column in &unique.columns {
                    index.col(*column);
                }
                statements.push(index);
            }
        }
        for spec in &self.indexes {
            let mut index = Index::create();
            index.name(spec.name).table(self.name);
            for column in &spec.columns {
                match column.strip_suffix(" DESC") {
                    Some(column) => index.col((column, IndexOrder::Desc)),
                    None => index.col(*column),
                };
            }
            if spec.kind == IndexKind::Gin && postgres {
                index.index_type(IndexType::FullText); // rendered `USING GIN` by PostgreSQL
            }
            if let Some(column) = spec.where_null {
                index.and_where(Expr::col(column).is_null());
            }
            statements.push(index);
        }
        statements
    }
}

/// Creates the tables in order (parents first), each followed by its indexes.
pub async fn create_all(manager: &SchemaManager<'_>, tables: &[TableSpec]) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    for table in tables {
        manager.create_table(table.create_statement(backend)).await?;
        for index in table.index_statements(backend) {
            manager.create_index(index).await?;
        }
    }
    Ok(())
}

/// Drops the tables in reverse order (children first); their indexes go with them.
pub async fn drop_all(manager: &SchemaManager<'_>, tables: &[TableSpec]) -> Result<(), DbErr> {
    for table in tables.iter().rev() {
        manager.drop_table(Table::drop().table(table.name).to_owned()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm_migration::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

    fn donors() -> TableSpec {
        table("donors")
            .id()
            .organization()
            .col("donor_type", text().one_of(&["individual", "couple"]).default_text("individual"))
            .col("tags", json_array())
            .timestamps()
            .col("deleted_at", timestamp())
            .tenant_parent()
            .index("idx_donors_date", &["organization_id", "created_at DESC"])
            .gin_index("idx_donor_tags", "tags")
            .index_where_null("idx_donors_active", &["organization_id"], "deleted_at")
    }

    #[test]
    fn postgres_rendering() {
        let spec = donors();
        let sql = spec.create_statement(DbBackend::Postgres).to_string(PostgresQueryBuilder);
        assert!(sql.contains(r#""id" uuid NOT NULL DEFAULT (gen_random_uuid()) PRIMARY KEY"#), "{sql}");
        assert!(sql.contains(r#""created_at" timestamp with time zone DEFAULT CURRENT_TIMESTAMP"#), "{sql}");
        assert!(sql.contains(r#"CONSTRAINT "uq_donors_org_id" UNIQUE ("organization_id", "id")"#), "{sql}");
        assert!(
            sql.contains(r#"CONSTRAINT "ck_donors_donor_type" CHECK ("donor_type" IN ('individual', 'couple'))"#),
            "{sql}"
        );
        assert!(
            sql.contains(r#"CONSTRAINT "ck_donors_tags_is_array" CHECK (jsonb_typeof("tags") = 'array')"#),
            "{sql}"
        );
        assert!(sql.contains(r#"CONSTRAINT "fk_donors_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON DELETE RESTRICT"#), "{sql}");
        let indexes: Vec<String> =
            spec.index_statements(DbBackend::Postgres).iter().map(|i| i.to_string(PostgresQueryBuilder)).collect();
        assert_eq!(indexes.len(), 3, "{indexes:?}");
        assert!(indexes[0].contains(r#"("organization_id", "created_at" DESC)"#), "{indexes:?}");
        assert!(indexes[1].contains("USING GIN"), "{indexes:?}");
        assert!(indexes[2].ends_with(r#"WHERE "deleted_at" IS NULL"#), "{indexes:?}");
    }

    #[test]
    fn sqlite_rendering() {
        let spec = donors();
        let sql = spec.create_statement(DbBackend::Sqlite).to_string(SqliteQueryBuilder);
        assert!(sql.contains(r#""id" uuid_text NOT NULL PRIMARY KEY"#), "{sql}");
        assert!(!sql.contains("gen_random_uuid"), "{sql}");
        assert!(sql.contains(r#"DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))"#), "{sql}");
        assert!(sql.contains(r#"CHECK (json_type("tags") = 'array')"#), "{sql}");
        assert!(!sql.contains("UNIQUE"), "SQLite gets named unique indexes instead: {sql}");
        let indexes: Vec<String> =
            spec.index_statements(DbBackend::Sqlite).iter().map(|i| i.to_string(SqliteQueryBuilder)).collect();
        assert_eq!(indexes.len(), 4, "{indexes:?}");
        assert!(indexes[0].starts_with(r#"CREATE UNIQUE INDEX "uq_donors_org_id""#), "{indexes:?}");
        assert!(!indexes[2].contains("GIN"), "{indexes:?}");
    }
}
