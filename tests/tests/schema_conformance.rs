#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Conformance of the migrated schema to `spec/database-schema.md`, on PostgreSQL and SQLite.
//!
//! The expectations live in `tests/fixtures/schema-expected.json`, written from the spec (and
//! the decisions in `docs/decisions/0002` to `0008`): every column of every table with its type
//! family, nullability and default, the primary keys, every foreign key with its target and
//! delete rule, the named unique constraints, the CHECKs (value lists, JSON arrays, the spouse
//! rule), and the 56 named indexes with their columns, order, method and predicate.
//! `tests/fixtures/schema-inventory.json` is the spec's own inventory; the first test holds the
//! expectations to it.
//!
//! The catalogue tests collect every difference and fail with the whole list.

use std::collections::{BTreeMap, BTreeSet};

use givance_tests::TestDb;
use migration::{Migrator, MigratorTrait};
use sea_orm::prelude::ChronoDateTimeUtc;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, ExecResult, QueryResult, Statement, Value};
use serde::Deserialize;
use uuid::Uuid;

const INVENTORY: &str = include_str!("../fixtures/schema-inventory.json");
const EXPECTED: &str = include_str!("../fixtures/schema-expected.json");
/// What later migrations add beyond the spec (API keys, search indexes, ...), in the same shape.
const ADDITIONS: &str = include_str!("../fixtures/schema-additions.json");

// ---------------------------------------------------------------------------------------------
// Expectations
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Inventory {
    tables: BTreeMap<String, Vec<String>>,
    indexes: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Expected {
    tables: BTreeMap<String, TableExp>,
    foreign_keys: Vec<ForeignKeyExp>,
    unique_constraints: Vec<UniqueExp>,
    check_lists: Vec<CheckListExp>,
    json_array_checks: Vec<ArrayCheckExp>,
    row_checks: Vec<RowCheckExp>,
    indexes: Vec<IndexExp>,
    /// Only in schema-additions.json: columns a later migration appends to a spec table, in the
    /// shape of [`TableExp::columns`].
    added_columns: BTreeMap<String, Vec<ColumnExp>>,
}

/// `[name, family, "null" | "not null", default]`, as in [`TableExp::columns`].
type ColumnExp = (String, String, String, Option<String>);

#[derive(Deserialize)]
struct TableExp {
    primary_key: Vec<String>,
    /// `[name, family, "null" | "not null", default]`; family is one of uuid, text, jsonb,
    /// numeric(p,s), timestamptz, date, integer, boolean; default is `null`, `"now"`,
    /// `"gen_random_uuid()"`, a quoted text (`"'US'"`), a number, `"true"`/`"false"`, or JSON.
    columns: Vec<ColumnExp>,
}

#[derive(Deserialize, Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct ForeignKeyExp {
    name: String,
    table: String,
    columns: Vec<String>,
    references: String,
    ref_columns: Vec<String>,
    on_delete: String,
}

#[derive(Deserialize)]
struct UniqueExp {
    name: String,
    table: String,
    columns: Vec<String>,
}

#[derive(Deserialize)]
struct CheckListExp {
    name: String,
    table: String,
    column: String,
    values: Vec<String>,
}

#[derive(Deserialize)]
struct ArrayCheckExp {
    name: String,
    table: String,
    column: String,
}

/// A row-level CHECK (e.g. spouse fields only for couples), known by name and the columns
/// it must mention.
#[derive(Deserialize)]
struct RowCheckExp {
    name: String,
    table: String,
    mentions: Vec<String>,
}

#[derive(Deserialize)]
struct IndexExp {
    name: String,
    table: String,
    /// Column names, `"name DESC"` when descending.
    columns: Vec<String>,
    method: String,
    r#where: Option<String>,
    /// Where SQLite's catalogue differs (an expression column reads as `<expression>`, and it
    /// has no operator classes).
    #[serde(default)]
    sqlite_columns: Option<Vec<String>>,
}

/// The schema the spec describes, and nothing else.
fn spec() -> Expected {
    serde_json::from_str(EXPECTED).expect("tests/fixtures/schema-expected.json parses")
}

/// The spec plus what our own migrations add on top of it: the whole schema after `up`.
fn expected() -> Expected {
    let mut all = spec();
    let additions: Expected = serde_json::from_str(ADDITIONS).expect("tests/fixtures/schema-additions.json parses");
    for table in additions.tables.keys() {
        assert!(!all.tables.contains_key(table), "schema-additions.json redefines the spec table {table}");
    }
    all.tables.extend(additions.tables);
    for (table, columns) in additions.added_columns {
        let spec_table = all.tables.get_mut(&table);
        let spec_table =
            spec_table.unwrap_or_else(|| panic!("schema-additions.json adds columns to {table}, no table"));
        spec_table.columns.extend(columns);
    }
    all.foreign_keys.extend(additions.foreign_keys);
    all.unique_constraints.extend(additions.unique_constraints);
    all.check_lists.extend(additions.check_lists);
    all.json_array_checks.extend(additions.json_array_checks);
    all.row_checks.extend(additions.row_checks);
    all.indexes.extend(additions.indexes);
    all
}

fn expected_tables() -> BTreeSet<String> {
    expected().tables.into_keys().collect()
}

/// Fails with every difference at once.
fn report(problems: Vec<String>, what: &str) {
    assert!(problems.is_empty(), "{what}: {} difference(s)\n  {}", problems.len(), problems.join("\n  "));
}

// ---------------------------------------------------------------------------------------------
// SQL helpers for both backends
// ---------------------------------------------------------------------------------------------

/// Writes `$1, $2, ...` as `?` on SQLite (each placeholder used once, in order).
fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Sqlite {
        let mut out = String::with_capacity(sql.len());
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                out.push('?');
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

async fn exec(db: &TestDb, sql: &str, values: Vec<Value>) -> Result<ExecResult, DbErr> {
    db.conn().execute_raw(statement(db.backend(), sql, values)).await
}

async fn query(db: &TestDb, sql: &str, values: Vec<Value>) -> Vec<QueryResult> {
    db.conn()
        .query_all_raw(statement(db.backend(), sql, values))
        .await
        .unwrap_or_else(|err| panic!("query failed: {err}\n{sql}"))
}

async fn count(db: &TestDb, sql: &str, values: Vec<Value>) -> i64 {
    let rows = query(db, sql, values).await;
    rows[0].try_get_by_index::<i64>(0).unwrap()
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> T {
    row.try_get::<T>("", column).unwrap_or_else(|err| panic!("column {column}: {err}"))
}

async fn table_names(db: &TestDb) -> BTreeSet<String> {
    let sql = match db.backend() {
        DatabaseBackend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    query(db, sql, vec![]).await.iter().map(|row| get::<String>(row, "name")).collect()
}

fn list(columns: &[String]) -> String {
    columns.join(", ")
}

// ---------------------------------------------------------------------------------------------
// 0. The expectations match the spec's inventory
// ---------------------------------------------------------------------------------------------

#[test]
fn expectations_cover_the_spec_inventory() {
    let inventory: Inventory = serde_json::from_str(INVENTORY).unwrap();
    let expected = spec();
    assert_eq!(inventory.tables.len(), 35);
    assert_eq!(inventory.indexes.len(), 56);
    let mut problems = Vec::new();
    for (table, columns) in &inventory.tables {
        match expected.tables.get(table) {
            None => problems.push(format!("table {table} has no expectations")),
            Some(exp) => {
                let names: Vec<&String> = exp.columns.iter().map(|c| &c.0).collect();
                let inventory_names: Vec<&String> = columns.iter().collect();
                if names != inventory_names {
                    problems.push(format!("{table}: columns {names:?} != inventory {inventory_names:?}"));
                }
            }
        }
    }
    for table in expected.tables.keys() {
        if !inventory.tables.contains_key(table) {
            problems.push(format!("expected table {table} is not in the inventory"));
        }
    }
    let index_names: BTreeSet<&String> = expected.indexes.iter().map(|i| &i.name).collect();
    let inventory_indexes: BTreeSet<&String> = inventory.indexes.iter().collect();
    if index_names != inventory_indexes {
        problems.push(format!("indexes differ: {:?}", index_names.symmetric_difference(&inventory_indexes)));
    }
    for fk in &expected.foreign_keys {
        if fk.name != format!("fk_{}_{}", fk.table, fk.columns.last().unwrap()) {
            problems.push(format!("foreign key {} breaks the naming scheme", fk.name));
        }
    }
    report(problems, "fixture vs inventory");
}

// ---------------------------------------------------------------------------------------------
// 1. PostgreSQL catalogue
// ---------------------------------------------------------------------------------------------

fn pg_type(family: &str) -> (String, Option<(i32, i32)>) {
    match family {
        "timestamptz" => ("timestamp with time zone".to_owned(), None),
        numeric if numeric.starts_with("numeric(") => {
            let inner = &numeric["numeric(".len()..numeric.len() - 1];
            let (p, s) = inner.split_once(',').unwrap();
            ("numeric".to_owned(), Some((p.trim().parse().unwrap(), s.trim().parse().unwrap())))
        }
        other => (other.to_owned(), None),
    }
}

/// `'individual'::text` -> `'individual'`, `CURRENT_TIMESTAMP` -> `now`,
/// `'[1, 2, 3, 4, 5]'::jsonb` -> `[1,2,3,4,5]`.
fn normalize_pg_default(raw: &str) -> String {
    if raw == "CURRENT_TIMESTAMP" {
        return "now".to_owned();
    }
    if let Some(json) = raw.strip_suffix("::jsonb") {
        return json.trim_matches('\'').replace(' ', "");
    }
    raw.strip_suffix("::text").unwrap_or(raw).to_owned()
}

fn pg_delete_rule(code: &str) -> &'static str {
    match code {
        "c" => "CASCADE",
        "r" => "RESTRICT",
        "a" => "NO ACTION",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "?",
    }
}

/// The quoted literals of a constraint definition, in order.
fn quoted_literals(definition: &str) -> Vec<String> {
    definition.split('\'').skip(1).step_by(2).map(str::to_owned).collect()
}

const PG_CONSTRAINTS: &str = "
    SELECT c.conname::text AS name, c.contype::text AS kind, t.relname::text AS tbl,
           coalesce(r.relname::text, '') AS ref_tbl, c.confdeltype::text AS on_delete,
           pg_get_constraintdef(c.oid) AS definition,
           coalesce((SELECT string_agg(a.attname::text, ',' ORDER BY k.ord)
                     FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum), '') AS cols,
           coalesce((SELECT string_agg(a.attname::text, ',' ORDER BY k.ord)
                     FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum), '') AS ref_cols
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    LEFT JOIN pg_class r ON r.oid = c.confrelid
    WHERE t.relnamespace = 'public'::regnamespace AND t.relname <> 'seaql_migrations'";

const PG_INDEXES: &str = "
    SELECT i.relname::text AS name, t.relname::text AS tbl, am.amname::text AS method,
           ix.indisunique AS is_unique, ix.indisprimary AS is_primary,
           coalesce(pg_get_expr(ix.indpred, ix.indrelid), '') AS predicate,
           array_to_string(ARRAY(
               SELECT pg_get_indexdef(ix.indexrelid, k, true)
                      || CASE WHEN ix.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END
               FROM generate_series(1, ix.indnkeyatts) AS k ORDER BY k), chr(31)) AS cols
    FROM pg_index ix
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_am am ON am.oid = i.relam
    WHERE t.relnamespace = 'public'::regnamespace AND t.relname <> 'seaql_migrations'";

#[tokio::test]
async fn postgres_catalogue_matches_spec() {
    let Some(db) = TestDb::postgres_empty().await else {
        return;
    };
    Migrator::up(db.conn(), None).await.expect("migrate an empty PostgreSQL database");
    let expected = expected();
    let mut problems = Vec::new();

    // Tables: all 35, and nothing else but sea-orm's bookkeeping table.
    let mut tables = table_names(&db).await;
    assert!(tables.remove("seaql_migrations"));
    let want = expected_tables();
    for missing in want.difference(&tables) {
        problems.push(format!("missing table {missing}"));
    }
    for extra in tables.difference(&want) {
        problems.push(format!("unexpected table {extra}"));
    }

    // Columns: order, type family, nullability, default.
    let rows = query(
        &db,
        "SELECT table_name::text AS tbl, column_name::text AS col, data_type::text AS data_type,
                is_nullable::text AS nullable, column_default::text AS dflt,
                numeric_precision::int AS precision, numeric_scale::int AS scale
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> 'seaql_migrations'
         ORDER BY table_name, ordinal_position",
        vec![],
    )
    .await;
    let mut actual: BTreeMap<String, Vec<&QueryResult>> = BTreeMap::new();
    for row in &rows {
        actual.entry(get(row, "tbl")).or_default().push(row);
    }
    for (table, exp) in &expected.tables {
        let columns = actual.get(table).cloned().unwrap_or_default();
        let names: Vec<String> = columns.iter().map(|r| get::<String>(r, "col")).collect();
        let want_names: Vec<String> = exp.columns.iter().map(|c| c.0.clone()).collect();
        if names != want_names {
            problems.push(format!("{table}: columns {names:?}, expected {want_names:?}"));
            continue;
        }
        for (row, (name, family, nullability, default)) in columns.iter().zip(&exp.columns) {
            let (data_type, numeric) = pg_type(family);
            let actual_type: String = get(row, "data_type");
            if actual_type != data_type {
                problems.push(format!("{table}.{name}: type {actual_type}, expected {data_type}"));
            }
            if let Some((precision, scale)) = numeric {
                let actual = (get::<Option<i32>>(row, "precision"), get::<Option<i32>>(row, "scale"));
                if actual != (Some(precision), Some(scale)) {
                    problems.push(format!("{table}.{name}: numeric{actual:?}, expected ({precision},{scale})"));
                }
            }
            let nullable = get::<String>(row, "nullable") == "YES";
            if nullable != (nullability == "null") {
                problems.push(format!("{table}.{name}: nullable={nullable}, expected {nullability}"));
            }
            let actual_default = get::<Option<String>>(row, "dflt").map(|d| normalize_pg_default(&d));
            if actual_default != *default {
                problems.push(format!("{table}.{name}: default {actual_default:?}, expected {default:?}"));
            }
        }
    }
    for table in actual.keys() {
        if !expected.tables.contains_key(table) {
            problems.push(format!("columns of unexpected table {table}"));
        }
    }

    // Constraints.
    let constraints = query(&db, PG_CONSTRAINTS, vec![]).await;
    let by_kind = |kind: &str| -> Vec<&QueryResult> {
        constraints.iter().filter(|row| get::<String>(row, "kind") == kind).collect()
    };
    let split = |s: String| -> Vec<String> { s.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect() };

    // Primary keys.
    let primary_keys: BTreeMap<String, Vec<String>> =
        by_kind("p").into_iter().map(|row| (get(row, "tbl"), split(get(row, "cols")))).collect();
    for (table, exp) in &expected.tables {
        if primary_keys.get(table) != Some(&exp.primary_key) {
            problems.push(format!(
                "{table}: primary key {:?}, expected {:?}",
                primary_keys.get(table),
                exp.primary_key
            ));
        }
    }

    // Foreign keys: exactly the expected ones, by name, columns, target and delete rule.
    let actual_fks: BTreeSet<ForeignKeyExp> = by_kind("f")
        .into_iter()
        .map(|row| ForeignKeyExp {
            name: get(row, "name"),
            table: get(row, "tbl"),
            columns: split(get(row, "cols")),
            references: get(row, "ref_tbl"),
            ref_columns: split(get(row, "ref_cols")),
            on_delete: pg_delete_rule(&get::<String>(row, "on_delete")).to_owned(),
        })
        .collect();
    let want_fks: BTreeSet<ForeignKeyExp> = expected.foreign_keys.iter().cloned().collect();
    for fk in want_fks.difference(&actual_fks) {
        let found = actual_fks.iter().find(|a| a.name == fk.name);
        problems.push(format!("foreign key {fk:?} missing or different; found {found:?}"));
    }
    for fk in actual_fks.difference(&want_fks) {
        if !want_fks.iter().any(|w| w.name == fk.name) {
            problems.push(format!("unexpected foreign key {fk:?}"));
        }
    }

    // Unique constraints: exactly the expected ones.
    let uniques: BTreeMap<String, (String, Vec<String>)> =
        by_kind("u").into_iter().map(|row| (get(row, "name"), (get(row, "tbl"), split(get(row, "cols"))))).collect();
    for unique in &expected.unique_constraints {
        let want = (unique.table.clone(), unique.columns.clone());
        if uniques.get(&unique.name) != Some(&want) {
            problems.push(format!("unique {}: {:?}, expected {want:?}", unique.name, uniques.get(&unique.name)));
        }
    }
    for name in uniques.keys() {
        if !expected.unique_constraints.iter().any(|u| &u.name == name) {
            problems.push(format!("unexpected unique constraint {name}"));
        }
    }

    // CHECK constraints: each list with exactly its values, each JSON array column checked.
    let checks: BTreeMap<String, (String, String)> =
        by_kind("c").into_iter().map(|row| (get(row, "name"), (get(row, "tbl"), get(row, "definition")))).collect();
    for check in &expected.check_lists {
        match checks.get(&check.name) {
            None => problems.push(format!("missing check {}", check.name)),
            Some((table, definition)) => {
                if table != &check.table || !definition.contains(&check.column) {
                    problems.push(format!("check {} is on {table}: {definition}", check.name));
                }
                if quoted_literals(definition) != check.values {
                    problems.push(format!("check {}: {definition}, expected values {:?}", check.name, check.values));
                }
            }
        }
    }
    for check in &expected.json_array_checks {
        let want = format!("jsonb_typeof({}) = 'array'", check.column);
        match checks.get(&check.name) {
            Some((table, definition)) if table == &check.table && definition.contains(&want) => {}
            other => problems.push(format!("check {}: {other:?}, expected {want}", check.name)),
        }
    }
    for check in &expected.row_checks {
        match checks.get(&check.name) {
            Some((table, definition))
                if table == &check.table && check.mentions.iter().all(|c| definition.contains(c.as_str())) => {}
            other => problems.push(format!(
                "check {}: {other:?}, expected on {} mentioning {:?}",
                check.name, check.table, check.mentions
            )),
        }
    }
    let expected_checks: BTreeSet<&String> = expected
        .check_lists
        .iter()
        .map(|c| &c.name)
        .chain(expected.json_array_checks.iter().map(|c| &c.name))
        .chain(expected.row_checks.iter().map(|c| &c.name))
        .collect();
    for name in checks.keys() {
        if !expected_checks.contains(name) {
            problems.push(format!("unexpected check constraint {name}"));
        }
    }

    // Indexes: every named index with its table, method, columns (and order) and predicate;
    // no other index than those, the primary keys and the unique constraints.
    let indexes = query(&db, PG_INDEXES, vec![]).await;
    let by_name: BTreeMap<String, &QueryResult> = indexes.iter().map(|row| (get(row, "name"), row)).collect();
    for index in &expected.indexes {
        let Some(row) = by_name.get(&index.name) else {
            problems.push(format!("missing index {}", index.name));
            continue;
        };
        let table: String = get(row, "tbl");
        let method: String = get(row, "method");
        // Index columns may be expressions with commas of their own: they are joined by chr(31).
        let columns: Vec<String> =
            get::<String>(row, "cols").replace('"', "").split('\u{1f}').map(str::to_owned).collect();
        let predicate: String = get(row, "predicate");
        let predicate = predicate.trim_start_matches('(').trim_end_matches(')').to_owned();
        let want_predicate = index.r#where.clone().unwrap_or_default();
        if table != index.table
            || method != index.method
            || columns != index.columns
            || predicate != want_predicate
            || get::<bool>(row, "is_unique")
        {
            problems.push(format!(
                "index {}: on {table} using {method} ({}) where [{predicate}], expected on {} using {} ({}) where [{want_predicate}]",
                index.name,
                list(&columns),
                index.table,
                index.method,
                list(&index.columns),
            ));
        }
    }
    for (name, row) in &by_name {
        let known = get::<bool>(row, "is_primary")
            || uniques.contains_key(name)
            || expected.indexes.iter().any(|i| &i.name == name);
        if !known {
            problems.push(format!("unexpected index {name}"));
        }
    }

    report(problems, "PostgreSQL catalogue");
}

// ---------------------------------------------------------------------------------------------
// 2. SQLite catalogue
// ---------------------------------------------------------------------------------------------

fn sqlite_type(family: &str) -> String {
    match family {
        "uuid" => "uuid_text".to_owned(),
        "jsonb" => "jsonb_text".to_owned(),
        "timestamptz" => "timestamp_with_timezone_text".to_owned(),
        "date" => "date_text".to_owned(),
        // SQLite's INTEGER is 64-bit already.
        "bigint" => "integer".to_owned(),
        numeric if numeric.starts_with("numeric(") => {
            let inner = &numeric["numeric(".len()..numeric.len() - 1];
            let (p, s) = inner.split_once(',').unwrap();
            format!("real({}, {})", p.trim(), s.trim())
        }
        other => other.to_owned(),
    }
}

/// The SQLite spelling of an expected default: no uuid default, RFC 3339 text for "now".
fn sqlite_default(expected: &Option<String>) -> Option<String> {
    match expected.as_deref() {
        None | Some("gen_random_uuid()") => None,
        Some("now") => Some("strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')".to_owned()),
        Some("true") => Some("TRUE".to_owned()),
        Some("false") => Some("FALSE".to_owned()),
        Some(json) if json.starts_with('[') => Some(format!("'{json}'")),
        Some(other) => Some(other.to_owned()),
    }
}

fn strip_parens(s: &str) -> &str {
    match s.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        Some(inner) => inner,
        None => s,
    }
}

#[tokio::test]
async fn sqlite_catalogue_matches_spec() {
    let db = TestDb::sqlite_empty().await;
    Migrator::up(db.conn(), None).await.expect("migrate an empty SQLite database");
    let expected = expected();
    let mut problems = Vec::new();

    let mut tables = table_names(&db).await;
    assert!(tables.remove("seaql_migrations"));
    let want = expected_tables();
    for missing in want.difference(&tables) {
        problems.push(format!("missing table {missing}"));
    }
    for extra in tables.difference(&want) {
        problems.push(format!("unexpected table {extra}"));
    }

    let mut actual_fks = BTreeSet::new();
    for (table, exp) in &expected.tables {
        // Columns: names in order, declared type, NOT NULL, default, primary key.
        let rows = query(
            &db,
            "SELECT name, type, \"notnull\" AS not_null, dflt_value, pk FROM pragma_table_info($1) ORDER BY cid",
            vec![table.as_str().into()],
        )
        .await;
        let names: Vec<String> = rows.iter().map(|r| get::<String>(r, "name")).collect();
        let want_names: Vec<String> = exp.columns.iter().map(|c| c.0.clone()).collect();
        if names != want_names {
            problems.push(format!("{table}: columns {names:?}, expected {want_names:?}"));
            continue;
        }
        let mut primary_key: Vec<(i64, String)> = Vec::new();
        for (row, (name, family, nullability, default)) in rows.iter().zip(&exp.columns) {
            let declared = get::<String>(row, "type").to_lowercase();
            if declared != sqlite_type(family) {
                problems.push(format!("{table}.{name}: type {declared}, expected {}", sqlite_type(family)));
            }
            let not_null = get::<i64>(row, "not_null") == 1;
            if not_null != (nullability == "not null") {
                problems.push(format!("{table}.{name}: notnull={not_null}, expected {nullability}"));
            }
            let actual_default = get::<Option<String>>(row, "dflt_value").map(|d| strip_parens(&d).to_owned());
            if actual_default != sqlite_default(default) {
                problems.push(format!(
                    "{table}.{name}: default {actual_default:?}, expected {:?}",
                    sqlite_default(default)
                ));
            }
            let pk: i64 = get(row, "pk");
            if pk > 0 {
                primary_key.push((pk, name.clone()));
            }
        }
        primary_key.sort();
        let primary_key: Vec<String> = primary_key.into_iter().map(|(_, name)| name).collect();
        if primary_key != exp.primary_key {
            problems.push(format!("{table}: primary key {primary_key:?}, expected {:?}", exp.primary_key));
        }

        // Foreign keys (SQLite keeps no constraint names: compared by content).
        let rows = query(
            &db,
            "SELECT id, seq, \"table\" AS parent, \"from\" AS col, \"to\" AS ref_col, on_delete \
             FROM pragma_foreign_key_list($1) ORDER BY id, seq",
            vec![table.as_str().into()],
        )
        .await;
        let mut grouped: BTreeMap<i64, ForeignKeyExp> = BTreeMap::new();
        for row in &rows {
            let fk = grouped.entry(get(row, "id")).or_insert_with(|| ForeignKeyExp {
                name: String::new(),
                table: table.clone(),
                columns: vec![],
                references: get(row, "parent"),
                ref_columns: vec![],
                on_delete: get(row, "on_delete"),
            });
            fk.columns.push(get(row, "col"));
            fk.ref_columns.push(get(row, "ref_col"));
        }
        actual_fks.extend(grouped.into_values());
    }
    let want_fks: BTreeSet<ForeignKeyExp> =
        expected.foreign_keys.iter().map(|fk| ForeignKeyExp { name: String::new(), ..fk.clone() }).collect();
    for fk in want_fks.difference(&actual_fks) {
        problems.push(format!("missing foreign key {fk:?}"));
    }
    for fk in actual_fks.difference(&want_fks) {
        problems.push(format!("unexpected foreign key {fk:?}"));
    }

    // Every parent key that a foreign key names has a unique index ("foreign key mismatch"
    // would otherwise surface only on the first insert).
    let dangling = query(&db, "PRAGMA foreign_key_check", vec![]).await;
    if !dangling.is_empty() {
        problems.push(format!("PRAGMA foreign_key_check reported {} row(s)", dangling.len()));
    }

    // Named unique indexes and named indexes: table, columns, order, uniqueness, predicate.
    let rows =
        query(&db, "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL", vec![])
            .await;
    let indexes: BTreeMap<String, (String, String)> =
        rows.iter().map(|r| (get(r, "name"), (get(r, "tbl_name"), get(r, "sql")))).collect();
    let index_columns = async |name: &str| -> Vec<String> {
        query(
            &db,
            "SELECT name, \"desc\" AS descending FROM pragma_index_xinfo($1) WHERE key = 1 ORDER BY seqno",
            vec![name.into()],
        )
        .await
        .iter()
        .map(|r| {
            let column = get::<Option<String>>(r, "name").unwrap_or_else(|| "<expression>".to_owned());
            if get::<i64>(r, "descending") == 1 { format!("{column} DESC") } else { column }
        })
        .collect()
    };
    for unique in &expected.unique_constraints {
        match indexes.get(&unique.name) {
            Some((table, sql)) if table == &unique.table && sql.starts_with("CREATE UNIQUE INDEX") => {
                let columns = index_columns(&unique.name).await;
                if columns != unique.columns {
                    problems.push(format!(
                        "unique {}: ({}) expected ({})",
                        unique.name,
                        list(&columns),
                        list(&unique.columns)
                    ));
                }
            }
            other => problems.push(format!("unique index {}: {other:?}", unique.name)),
        }
    }
    for index in &expected.indexes {
        match indexes.get(&index.name) {
            Some((table, sql)) if table == &index.table && sql.starts_with("CREATE INDEX") => {
                let columns = index_columns(&index.name).await;
                let want = index.sqlite_columns.as_ref().unwrap_or(&index.columns);
                if &columns != want {
                    problems.push(format!("index {}: ({}) expected ({})", index.name, list(&columns), list(want)));
                }
                let predicate = sql.split_once(" WHERE ").map(|(_, p)| p.replace('"', ""));
                if predicate != index.r#where {
                    problems
                        .push(format!("index {}: predicate {predicate:?}, expected {:?}", index.name, index.r#where));
                }
            }
            other => problems.push(format!("index {}: {other:?}", index.name)),
        }
    }
    for name in indexes.keys() {
        let known = expected.indexes.iter().any(|i| &i.name == name)
            || expected.unique_constraints.iter().any(|u| &u.name == name);
        if !known {
            problems.push(format!("unexpected index {name}"));
        }
    }

    // CHECK constraints: each named in its table's definition, and no others.
    let rows = query(&db, "SELECT name, sql FROM sqlite_master WHERE type = 'table'", vec![]).await;
    let definitions: BTreeMap<String, String> = rows.iter().map(|r| (get(r, "name"), get(r, "sql"))).collect();
    let mut per_table: BTreeMap<&str, usize> = BTreeMap::new();
    for check in &expected.check_lists {
        *per_table.entry(&check.table).or_default() += 1;
        let values = check.values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
        let want = format!("CONSTRAINT \"{}\" CHECK (\"{}\" IN ({values}))", check.name, check.column);
        if !definitions.get(&check.table).is_some_and(|sql| sql.contains(&want)) {
            problems.push(format!("{}: missing {want}", check.table));
        }
    }
    for check in &expected.json_array_checks {
        *per_table.entry(&check.table).or_default() += 1;
        let want = format!("CONSTRAINT \"{}\" CHECK (json_type(\"{}\") = 'array')", check.name, check.column);
        if !definitions.get(&check.table).is_some_and(|sql| sql.contains(&want)) {
            problems.push(format!("{}: missing {want}", check.table));
        }
    }
    for check in &expected.row_checks {
        *per_table.entry(&check.table).or_default() += 1;
        let want = format!("CONSTRAINT \"{}\" CHECK (", check.name);
        let found = definitions.get(&check.table).and_then(|sql| {
            let start = sql.find(&want)?;
            Some(&sql[start..])
        });
        if !found.is_some_and(|sql| check.mentions.iter().all(|c| sql.contains(c.as_str()))) {
            problems.push(format!("{}: missing {want}...", check.table));
        }
    }
    for (table, sql) in &definitions {
        let found = sql.matches(" CHECK (").count();
        let want = per_table.get(table.as_str()).copied().unwrap_or_default();
        if found != want {
            problems.push(format!("{table}: {found} CHECK constraint(s), expected {want}"));
        }
    }

    report(problems, "SQLite catalogue");
}

// ---------------------------------------------------------------------------------------------
// Behaviour on both backends: CHECKs, defaults, tenant keys, cascades and restrictions
// ---------------------------------------------------------------------------------------------

fn id() -> Uuid {
    Uuid::now_v7()
}

async fn organization(db: &TestDb, slug: &str) -> Uuid {
    let org = id();
    exec(
        db,
        "INSERT INTO organizations (id, clerk_id, name, slug) VALUES ($1, $2, $3, $4)",
        vec![org.into(), format!("clerk_{slug}").into(), format!("Org {slug}").into(), slug.into()],
    )
    .await
    .unwrap();
    org
}

async fn donor(db: &TestDb, org: Uuid) -> Uuid {
    let donor = id();
    exec(
        db,
        "INSERT INTO donors (id, organization_id, first_name, tags) VALUES ($1, $2, 'Ada', '[\"vip\"]')",
        vec![donor.into(), org.into()],
    )
    .await
    .unwrap();
    donor
}

async fn donation(db: &TestDb, org: Uuid, donor: Uuid, project: Option<Uuid>) -> Result<Uuid, DbErr> {
    let donation = id();
    exec(
        db,
        "INSERT INTO donations (id, organization_id, donor_id, project_id, amount, date)
         VALUES ($1, $2, $3, $4, 25.00, '2025-01-15')",
        vec![donation.into(), org.into(), donor.into(), project.into()],
    )
    .await
    .map(|_| donation)
}

/// Asserts a refusal, and on PostgreSQL that the named constraint is the one that refused.
fn assert_refused<T: std::fmt::Debug>(db: &TestDb, result: Result<T, DbErr>, constraint: &str, what: &str) {
    let err = match result {
        Ok(value) => panic!("{what}: accepted ({value:?}), expected a refusal by {constraint}"),
        Err(err) => err.to_string(),
    };
    let named = match db.backend() {
        DatabaseBackend::Postgres => err.contains(constraint),
        // SQLite names CHECK constraints in its message, but not foreign keys.
        _ if constraint.starts_with("ck_") => err.contains(constraint),
        _ => err.contains("FOREIGN KEY constraint failed"),
    };
    assert!(named, "{what}: refused, but not by {constraint}: {err}");
}

async fn check_constraints_and_defaults(db: &TestDb) {
    let org = organization(db, "checks").await;

    // The organization's country (migration 13): two upper-case letters, or NULL.
    for bad in ["gb", "G", "GBR", "G1", "É1"] {
        let result =
            exec(db, "UPDATE organizations SET country = $1 WHERE id = $2", vec![bad.into(), org.into()]).await;
        assert_refused(db, result, "ck_organizations_country", &format!("country '{bad}'"));
    }
    exec(db, "UPDATE organizations SET country = 'GB' WHERE id = $1", vec![org.into()]).await.expect("country GB");
    exec(db, "UPDATE organizations SET country = NULL WHERE id = $1", vec![org.into()]).await.expect("no country");

    // The fiscal year's first month (migration 16): 1 to 12.
    for bad in [0, 13] {
        let sql = "UPDATE organizations SET fiscal_year_start_month = $1 WHERE id = $2";
        let result = exec(db, sql, vec![bad.into(), org.into()]).await;
        assert_refused(db, result, "ck_organizations_fiscal_year_start_month", &format!("month {bad}"));
    }
    let july = "UPDATE organizations SET fiscal_year_start_month = 7 WHERE id = $1";
    exec(db, july, vec![org.into()]).await.expect("July");

    let result = exec(
        db,
        "INSERT INTO donors (id, organization_id, donor_type) VALUES ($1, $2, 'company')",
        vec![id().into(), org.into()],
    )
    .await;
    assert_refused(db, result, "ck_donors_donor_type", "donor_type 'company'");

    let result = exec(
        db,
        "INSERT INTO donors (id, organization_id, tags) VALUES ($1, $2, '{\"vip\": true}')",
        vec![id().into(), org.into()],
    )
    .await;
    assert_refused(db, result, "ck_donors_tags_is_array", "tags that are not a JSON array");

    // Data Integrity Rules: spouse fields only for couples.
    let result = exec(
        db,
        "INSERT INTO donors (id, organization_id, donor_type, spouse_first_name) \
         VALUES ($1, $2, 'individual', 'Grace')",
        vec![id().into(), org.into()],
    )
    .await;
    assert_refused(db, result, "ck_donors_spouse_only_for_couples", "an individual with a spouse");
    let result = exec(
        db,
        "INSERT INTO donors (id, organization_id, donor_type, spouse_email) VALUES ($1, $2, NULL, 'g@example.org')",
        vec![id().into(), org.into()],
    )
    .await;
    assert_refused(db, result, "ck_donors_spouse_only_for_couples", "a donor of no type with a spouse");
    exec(
        db,
        "INSERT INTO donors (id, organization_id, donor_type, spouse_first_name) VALUES ($1, $2, 'couple', 'Grace')",
        vec![id().into(), org.into()],
    )
    .await
    .expect("a couple has a spouse");

    // A nullable CHECK-list column still takes NULL.
    let couple = id();
    exec(
        db,
        "INSERT INTO donors (id, organization_id, donor_type) VALUES ($1, $2, NULL)",
        vec![couple.into(), org.into()],
    )
    .await
    .expect("NULL donor_type is allowed");

    // Defaults as the spec writes them.
    let plain = id();
    exec(db, "INSERT INTO donors (id, organization_id) VALUES ($1, $2)", vec![plain.into(), org.into()]).await.unwrap();
    let rows = query(
        db,
        "SELECT donor_type, address_country, created_at, updated_at, deleted_at FROM donors WHERE id = $1",
        vec![plain.into()],
    )
    .await;
    assert_eq!(get::<Option<String>>(&rows[0], "donor_type").as_deref(), Some("individual"));
    assert_eq!(get::<Option<String>>(&rows[0], "address_country").as_deref(), Some("US"));
    let created: ChronoDateTimeUtc = get(&rows[0], "created_at");
    let age = chrono_age_seconds(created);
    assert!((-5..300).contains(&age), "created_at default {created} is not now");
    assert!(get::<Option<ChronoDateTimeUtc>>(&rows[0], "updated_at").is_some());
    assert!(get::<Option<ChronoDateTimeUtc>>(&rows[0], "deleted_at").is_none());

    let session = id();
    exec(
        db,
        "INSERT INTO email_generation_sessions (id, organization_id, name, status) VALUES ($1, $2, 'Spring', 'configuring')",
        vec![session.into(), org.into()],
    )
    .await
    .unwrap();
    exec(
        db,
        "INSERT INTO email_schedule_config (id, organization_id, session_id) VALUES ($1, $2, $3)",
        vec![id().into(), org.into(), session.into()],
    )
    .await
    .unwrap();
    let rows = query(
        db,
        "SELECT daily_limit, timezone, send_days, is_active FROM email_schedule_config WHERE session_id = $1",
        vec![session.into()],
    )
    .await;
    assert_eq!(get::<Option<i32>>(&rows[0], "daily_limit"), Some(100));
    assert_eq!(get::<Option<String>>(&rows[0], "timezone").as_deref(), Some("America/New_York"));
    assert_eq!(get::<Option<serde_json::Value>>(&rows[0], "send_days"), Some(serde_json::json!([1, 2, 3, 4, 5])));
    assert_eq!(get::<Option<bool>>(&rows[0], "is_active"), Some(true));

    // Unique constraints by name.
    let result = exec(
        db,
        "INSERT INTO email_schedule_config (id, organization_id, session_id) VALUES ($1, $2, $3)",
        vec![id().into(), org.into(), session.into()],
    )
    .await;
    let err = result.expect_err("a second schedule for the same session is refused").to_string();
    assert!(err.contains("uq_email_schedule_config_org_session") || err.contains("UNIQUE constraint failed"), "{err}");
}

fn chrono_age_seconds(at: ChronoDateTimeUtc) -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    now - at.timestamp()
}

async fn tenant_keys_refuse_cross_tenant_references(db: &TestDb) {
    let org_a = organization(db, "tenant-a").await;
    let org_b = organization(db, "tenant-b").await;
    let donor_a = donor(db, org_a).await;
    donation(db, org_a, donor_a, None).await.expect("a same-tenant donation is accepted");

    let result = donation(db, org_b, donor_a, None).await;
    assert_refused(db, result, "fk_donations_donor_id", "a donation of org B for a donor of org A");

    let project_a = id();
    exec(
        db,
        "INSERT INTO projects (id, organization_id, name) VALUES ($1, $2, 'Well')",
        vec![project_a.into(), org_a.into()],
    )
    .await
    .unwrap();
    let donor_b = donor(db, org_b).await;
    let result = donation(db, org_b, donor_b, Some(project_a)).await;
    assert_refused(db, result, "fk_donations_project_id", "a donation of org B to a project of org A");

    let thread_a = id();
    exec(
        db,
        "INSERT INTO communication_threads (id, organization_id) VALUES ($1, $2)",
        vec![thread_a.into(), org_a.into()],
    )
    .await
    .unwrap();
    let result = exec(
        db,
        "INSERT INTO communications (id, organization_id, donor_id, thread_id, channel, direction, content)
         VALUES ($1, $2, $3, $4, 'email', 'outbound', 'Hello')",
        vec![id().into(), org_b.into(), donor_b.into(), thread_a.into()],
    )
    .await;
    assert_refused(db, result, "fk_communications_thread_id", "a communication of org B in a thread of org A");

    let result = exec(
        db,
        "INSERT INTO todos (id, organization_id, title, donor_id) VALUES ($1, $2, 'Call', $3)",
        vec![id().into(), org_b.into(), donor_a.into()],
    )
    .await;
    assert_refused(db, result, "fk_todos_donor_id", "a task of org B about a donor of org A");

    assert_eq!(count(db, "SELECT COUNT(*) FROM donations WHERE organization_id = $1", vec![org_b.into()]).await, 0);
}

/// Everything about a donor, for the cascade test.
struct DonorFootprint {
    donor: Uuid,
    session: Uuid,
    list: Uuid,
    thread: Uuid,
}

async fn donor_with_everything(db: &TestDb, org: Uuid) -> DonorFootprint {
    let donor = donor(db, org).await;
    donation(db, org, donor, None).await.unwrap();
    let (session, email, tracker, link, list, thread) = (id(), id(), id(), id(), id(), id());
    let statements: Vec<(&str, Vec<Value>)> = vec![
        (
            "INSERT INTO communications (id, organization_id, donor_id, channel, direction, content)
             VALUES ($1, $2, $3, 'email', 'outbound', 'Thank you')",
            vec![id().into(), org.into(), donor.into()],
        ),
        (
            "INSERT INTO person_research (id, organization_id, donor_id, status) VALUES ($1, $2, $3, 'pending')",
            vec![id().into(), org.into(), donor.into()],
        ),
        (
            "INSERT INTO todos (id, organization_id, title, donor_id) VALUES ($1, $2, 'Call', $3)",
            vec![id().into(), org.into(), donor.into()],
        ),
        (
            "INSERT INTO email_generation_sessions (id, organization_id, name, status) VALUES ($1, $2, 'S', 'generating')",
            vec![session.into(), org.into()],
        ),
        (
            "INSERT INTO generated_emails (id, organization_id, session_id, donor_id, subject, body_plain, body_html)
             VALUES ($1, $2, $3, $4, 'Hi', 'Hi', '<p>Hi</p>')",
            vec![email.into(), org.into(), session.into(), donor.into()],
        ),
        (
            "INSERT INTO email_send_jobs (id, organization_id, email_id, scheduled_for, timezone)
             VALUES ($1, $2, $3, '2030-01-01T09:00:00+00:00', 'UTC')",
            vec![id().into(), org.into(), email.into()],
        ),
        (
            "INSERT INTO email_trackers (id, organization_id, email_id, tracker_id, recipient_email, campaign_id)
             VALUES ($1, $2, $3, $4, 'ada@example.org', $5)",
            vec![tracker.into(), org.into(), email.into(), format!("t-{tracker}").into(), session.into()],
        ),
        (
            "INSERT INTO email_opens (id, email_tracker_id, ip_address) VALUES ($1, $2, '192.0.2.1')",
            vec![id().into(), tracker.into()],
        ),
        (
            "INSERT INTO link_trackers (id, email_tracker_id, tracker_id, original_url) VALUES ($1, $2, $3, 'https://example.org')",
            vec![link.into(), tracker.into(), format!("l-{link}").into()],
        ),
        ("INSERT INTO link_clicks (id, link_tracker_id) VALUES ($1, $2)", vec![id().into(), link.into()]),
        (
            "INSERT INTO donor_lists (id, organization_id, name) VALUES ($1, $2, 'Major donors')",
            vec![list.into(), org.into()],
        ),
        ("INSERT INTO donor_list_members (list_id, donor_id) VALUES ($1, $2)", vec![list.into(), donor.into()]),
        ("INSERT INTO communication_threads (id, organization_id) VALUES ($1, $2)", vec![thread.into(), org.into()]),
        (
            "INSERT INTO communication_thread_donors (thread_id, donor_id) VALUES ($1, $2)",
            vec![thread.into(), donor.into()],
        ),
    ];
    for (sql, values) in statements {
        exec(db, sql, values).await.unwrap_or_else(|err| panic!("{err}\n{sql}"));
    }
    DonorFootprint { donor, session, list, thread }
}

async fn footprint_counts(db: &TestDb, footprint: &DonorFootprint) -> Vec<(&'static str, i64)> {
    let donor = footprint.donor;
    let by_donor = [
        "donations",
        "communications",
        "person_research",
        "todos",
        "generated_emails",
        "donor_list_members",
        "communication_thread_donors",
    ];
    let mut counts = Vec::new();
    for table in by_donor {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE donor_id = $1");
        counts.push((table, count(db, &sql, vec![donor.into()]).await));
    }
    let by_session = [
        (
            "email_send_jobs",
            "SELECT COUNT(*) FROM email_send_jobs j JOIN generated_emails e ON e.id = j.email_id WHERE e.session_id = $1",
        ),
        ("email_trackers", "SELECT COUNT(*) FROM email_trackers WHERE campaign_id = $1"),
    ];
    for (table, sql) in by_session {
        counts.push((table, count(db, sql, vec![footprint.session.into()]).await));
    }
    // The tracking tables have no organization or donor column; this database holds one donor's.
    for table in ["email_opens", "link_trackers", "link_clicks"] {
        counts.push((table, count(db, &format!("SELECT COUNT(*) FROM {table}"), vec![]).await));
    }
    counts
}

async fn deleting_a_donor_erases_everything_about_the_donor(db: &TestDb) {
    let org = organization(db, "cascade").await;
    let footprint = donor_with_everything(db, org).await;
    let before = footprint_counts(db, &footprint).await;
    assert!(before.iter().all(|(_, n)| *n == 1), "setup: {before:?}");

    exec(db, "DELETE FROM donors WHERE id = $1", vec![footprint.donor.into()]).await.expect("delete the donor");

    let after = footprint_counts(db, &footprint).await;
    assert!(after.iter().all(|(_, n)| *n == 0), "left behind after deleting the donor: {after:?}");
    // The donor's campaign, list and thread are not the donor's alone: they stay.
    for (table, parent) in [
        ("email_generation_sessions", footprint.session),
        ("donor_lists", footprint.list),
        ("communication_threads", footprint.thread),
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1");
        assert_eq!(count(db, &sql, vec![parent.into()]).await, 1, "{table} must survive the donor");
    }
}

async fn deleting_a_campaign_cascades_to_its_emails_and_trackers(db: &TestDb) {
    let org = organization(db, "campaign").await;
    let footprint = donor_with_everything(db, org).await;
    exec(db, "DELETE FROM email_generation_sessions WHERE id = $1", vec![footprint.session.into()])
        .await
        .expect("delete the campaign");
    for table in
        ["generated_emails", "email_send_jobs", "email_trackers", "email_opens", "link_trackers", "link_clicks"]
    {
        let n = count(db, &format!("SELECT COUNT(*) FROM {table}"), vec![]).await;
        assert_eq!(n, 0, "{table} rows survive their campaign");
    }
    assert_eq!(count(db, "SELECT COUNT(*) FROM donations", vec![]).await, 1, "the donation is not the campaign's");
}

async fn restrictions_refuse_deleting_parents_in_use(db: &TestDb) {
    let org = organization(db, "restrict").await;
    let donor = donor(db, org).await;
    let project = id();
    exec(
        db,
        "INSERT INTO projects (id, organization_id, name) VALUES ($1, $2, 'School')",
        vec![project.into(), org.into()],
    )
    .await
    .unwrap();
    donation(db, org, donor, Some(project)).await.unwrap();

    let result = exec(db, "DELETE FROM projects WHERE id = $1", vec![project.into()]).await;
    assert_refused(db, result, "fk_donations_project_id", "deleting a project that has donations");

    let result = exec(db, "DELETE FROM organizations WHERE id = $1", vec![org.into()]).await;
    let err = result.expect_err("deleting an organization that still has data is refused").to_string();
    match db.backend() {
        DatabaseBackend::Postgres => assert!(err.contains("_organization_id"), "{err}"),
        _ => assert!(err.contains("FOREIGN KEY constraint failed"), "{err}"),
    }
    assert_eq!(count(db, "SELECT COUNT(*) FROM donors WHERE id = $1", vec![donor.into()]).await, 1);

    // An organization with no data can go.
    let empty = organization(db, "empty").await;
    exec(db, "DELETE FROM organizations WHERE id = $1", vec![empty.into()])
        .await
        .expect("delete an empty organization");

    // A user who is staff somewhere cannot be deleted; their OAuth tokens would go with them.
    let user = id();
    exec(db, "INSERT INTO users (id, clerk_id, email) VALUES ($1, 'user_1', 'u@example.org')", vec![user.into()])
        .await
        .unwrap();
    exec(
        db,
        "INSERT INTO staff (id, organization_id, user_id, role) VALUES ($1, $2, $3, 'admin')",
        vec![id().into(), org.into(), user.into()],
    )
    .await
    .unwrap();
    let result = exec(db, "DELETE FROM users WHERE id = $1", vec![user.into()]).await;
    assert_refused(db, result, "fk_staff_user_id", "deleting a user who is staff");
}

givance_tests::on_both_backends!(
    check_constraints_reject_bad_values_and_defaults_apply,
    check_constraints_and_defaults
);
givance_tests::on_both_backends!(cross_tenant_references_are_refused, tenant_keys_refuse_cross_tenant_references);
givance_tests::on_both_backends!(donor_deletion_cascades, deleting_a_donor_erases_everything_about_the_donor);
givance_tests::on_both_backends!(campaign_deletion_cascades, deleting_a_campaign_cascades_to_its_emails_and_trackers);
givance_tests::on_both_backends!(parents_in_use_cannot_be_deleted, restrictions_refuse_deleting_parents_in_use);

// ---------------------------------------------------------------------------------------------
// 3. Down and up again, on both backends
// ---------------------------------------------------------------------------------------------

async fn statuses(db: &TestDb) -> Vec<(String, String)> {
    Migrator::get_migration_with_status(db.conn())
        .await
        .unwrap()
        .iter()
        .map(|m| (m.name().to_owned(), m.status().to_string()))
        .collect()
}

async fn down_removes_everything_and_up_restores_it(db: &TestDb) {
    let all = expected_tables();
    let migrations = Migrator::migrations().len();
    assert!(migrations >= 9, "the schema is created by the first nine migrations");

    let applied = statuses(db).await;
    assert_eq!(applied.len(), migrations);
    assert!(applied.iter().all(|(_, status)| status == "Applied"), "{applied:?}");
    Migrator::status(db.conn()).await.unwrap();

    // Some data, so that `down` has to respect foreign keys while dropping.
    let org = organization(db, "down").await;
    donor_with_everything(db, org).await;

    Migrator::down(db.conn(), None).await.expect("roll back every migration");
    let left: BTreeSet<String> = table_names(db).await.intersection(&all).cloned().collect();
    assert!(left.is_empty(), "tables left after down: {left:?}");
    let pending = statuses(db).await;
    assert!(pending.iter().all(|(_, status)| status == "Pending"), "{pending:?}");

    Migrator::up(db.conn(), None).await.expect("migrate again after a full rollback");
    let tables = table_names(db).await;
    let missing: Vec<&String> = all.difference(&tables).collect();
    assert!(missing.is_empty(), "tables missing after up again: {missing:?}");
    let applied = statuses(db).await;
    assert!(applied.iter().all(|(_, status)| status == "Applied"), "{applied:?}");
    assert_eq!(count(db, "SELECT COUNT(*) FROM donors", vec![]).await, 0);
}

givance_tests::on_both_backends!(migrations_roll_back_and_reapply, down_removes_everything_and_up_restores_it);

/// Each migration alone: up one step at a time, then down one step at a time.
async fn migrations_step_one_by_one(db: &TestDb) {
    let total = Migrator::migrations().len() as u32;
    Migrator::down(db.conn(), None).await.unwrap();
    for step in 1..=total {
        Migrator::up(db.conn(), Some(1)).await.unwrap_or_else(|err| panic!("up step {step}: {err}"));
    }
    assert!(expected_tables().is_subset(&table_names(db).await));
    for step in 1..=total {
        Migrator::down(db.conn(), Some(1)).await.unwrap_or_else(|err| panic!("down step {step}: {err}"));
    }
    let left: BTreeSet<String> = table_names(db).await.intersection(&expected_tables()).cloned().collect();
    assert!(left.is_empty(), "tables left after stepping down: {left:?}");
}

givance_tests::on_both_backends!(migrations_apply_and_roll_back_one_at_a_time, migrations_step_one_by_one);
