//! Batch writes on PostgreSQL as `INSERT ... SELECT * FROM UNNEST($1, ..., $n)`: one array
//! parameter per column, so that a batch of any size is one short statement with as many
//! parameters as the table has columns. A multi-row `VALUES` list of 500 donors binds 12,500
//! parameters, and parsing, planning and encoding it cost more than writing the rows
//! (docs/decisions/0023-bulk-writes-with-unnest.md). SQLite keeps multi-row `VALUES`: its
//! statements are compiled in-process and it has no arrays. [`write_batch`] picks the form.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use givance_domain::RepoError;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::sqlx::{self, Postgres};
use sea_orm::{
    ActiveModelTrait, ActiveValue, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, IdenStatic, Iterable,
    RuntimeErr, TransactionTrait, Value,
};
use uuid::Uuid;

use crate::error::write_err;
use crate::scoped::OrgOwned;

/// The values of one column over a batch, typed as the driver binds an array.
enum ColumnArray {
    Bool(Vec<Option<bool>>),
    Int(Vec<Option<i32>>),
    BigInt(Vec<Option<i64>>),
    Text(Vec<Option<String>>),
    Uuid(Vec<Option<Uuid>>),
    Json(Vec<Option<serde_json::Value>>),
    Decimal(Vec<Option<Decimal>>),
    Date(Vec<Option<NaiveDate>>),
    Timestamp(Vec<Option<DateTime<Utc>>>),
}

impl ColumnArray {
    /// An empty array for values like `first`; `None` for a type no table of ours uses.
    fn like(first: &Value, rows: usize) -> Option<Self> {
        Some(match first {
            Value::Bool(_) => Self::Bool(Vec::with_capacity(rows)),
            Value::Int(_) => Self::Int(Vec::with_capacity(rows)),
            Value::BigInt(_) => Self::BigInt(Vec::with_capacity(rows)),
            Value::String(_) => Self::Text(Vec::with_capacity(rows)),
            Value::Uuid(_) => Self::Uuid(Vec::with_capacity(rows)),
            Value::Json(_) => Self::Json(Vec::with_capacity(rows)),
            Value::Decimal(_) => Self::Decimal(Vec::with_capacity(rows)),
            Value::ChronoDate(_) => Self::Date(Vec::with_capacity(rows)),
            Value::ChronoDateTimeUtc(_) => Self::Timestamp(Vec::with_capacity(rows)),
            _ => return None,
        })
    }

    /// Appends `value`; `false` when it is not of this array's type.
    fn push(&mut self, value: Value) -> bool {
        match (self, value) {
            (Self::Bool(values), Value::Bool(v)) => values.push(v),
            (Self::Int(values), Value::Int(v)) => values.push(v),
            (Self::BigInt(values), Value::BigInt(v)) => values.push(v),
            (Self::Text(values), Value::String(v)) => values.push(v),
            (Self::Uuid(values), Value::Uuid(v)) => values.push(v),
            (Self::Json(values), Value::Json(v)) => values.push(v.map(|json| *json)),
            (Self::Decimal(values), Value::Decimal(v)) => values.push(v),
            (Self::Date(values), Value::ChronoDate(v)) => values.push(v),
            (Self::Timestamp(values), Value::ChronoDateTimeUtc(v)) => values.push(v),
            _ => return false,
        }
        true
    }

    fn bind<'q>(
        self,
        query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
        match self {
            Self::Bool(values) => query.bind(values),
            Self::Int(values) => query.bind(values),
            Self::BigInt(values) => query.bind(values),
            Self::Text(values) => query.bind(values),
            Self::Uuid(values) => query.bind(values),
            Self::Json(values) => query.bind(values),
            Self::Decimal(values) => query.bind(values),
            Self::Date(values) => query.bind(values),
            Self::Timestamp(values) => query.bind(values),
        }
    }
}

fn quoted(column: impl IdenStatic) -> String {
    format!("\"{}\"", column.as_str())
}

/// One `INSERT ... SELECT * FROM UNNEST(...)` of a batch of rows of `E`, ready to run.
struct BulkInsert {
    sql: String,
    arrays: Vec<ColumnArray>,
    /// The organization the conflict action is limited to, bound after the arrays.
    org: Option<Uuid>,
}

impl BulkInsert {
    /// Inserts `rows`, every column their first row sets. `None` for an empty batch.
    fn new<E: EntityTrait>(rows: Vec<E::ActiveModel>) -> Result<Option<Self>, RepoError> {
        let Some(first) = rows.first() else { return Ok(None) };
        let columns: Vec<E::Column> = E::Column::iter().filter(|column| first.get(*column).is_set()).collect();
        let count = rows.len();
        let mut arrays = Vec::with_capacity(columns.len());
        for column in &columns {
            let value = set_value(first.get(*column), *column)?;
            arrays.push(ColumnArray::like(&value, count).ok_or_else(|| unsupported(*column))?);
        }
        for row in rows {
            for (column, array) in columns.iter().zip(arrays.iter_mut()) {
                if !array.push(set_value(row.get(*column), *column)?) {
                    return Err(unsupported(*column));
                }
            }
        }
        let names: Vec<String> = columns.iter().map(|c| quoted(*c)).collect();
        let parameters: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) SELECT * FROM UNNEST({})",
            quoted(E::default()),
            names.join(", "),
            parameters.join(", ")
        );
        Ok(Some(Self { sql, arrays, org: None }))
    }

    /// A row whose `id` exists already overwrites `update` columns instead, when the stored
    /// row is `org`'s (another organization's row is left alone).
    fn or_update<E: OrgOwned>(mut self, update: &[E::Column], org: Uuid) -> Self {
        let sets: Vec<String> = update.iter().map(|c| format!("{0} = EXCLUDED.{0}", quoted(*c))).collect();
        self.sql.push_str(&format!(
            " ON CONFLICT ({}) DO UPDATE SET {} WHERE {}.{} = ${}",
            quoted(E::id_column()),
            sets.join(", "),
            quoted(E::default()),
            quoted(E::org_column()),
            self.arrays.len() + 1
        ));
        self.org = Some(org);
        self
    }

    /// Runs the statement in `tx`.
    async fn execute(self, tx: &mut sqlx::Transaction<'_, Postgres>) -> Result<(), RepoError> {
        // Audited: the text holds only our own table and column names and numbered parameters.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(self.sql));
        for array in self.arrays {
            query = array.bind(query);
        }
        if let Some(org) = self.org {
            query = query.bind(org);
        }
        query.execute(&mut **tx).await.map_err(sqlx_err)?;
        Ok(())
    }
}

/// Writes one batch of `E` rows of the organization `org` in one transaction: `created` rows
/// are inserted, `updated` rows (stored rows of `org`, by id) get their `update_columns`
/// overwritten. PostgreSQL takes one `UNNEST` statement for each; SQLite a multi-row `VALUES`.
pub(crate) async fn write_batch<E>(
    conn: &DatabaseConnection,
    org: Uuid,
    created: Vec<E::ActiveModel>,
    updated: Vec<E::ActiveModel>,
    update_columns: &[E::Column],
) -> Result<(), RepoError>
where
    E: OrgOwned,
    E::ActiveModel: Send,
{
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        let upsert = BulkInsert::new::<E>(updated)?.map(|rows| rows.or_update::<E>(update_columns, org));
        let mut tx = conn.get_postgres_connection_pool().begin().await.map_err(sqlx_err)?;
        for statement in [BulkInsert::new::<E>(created)?, upsert].into_iter().flatten() {
            statement.execute(&mut tx).await?;
        }
        return tx.commit().await.map_err(sqlx_err);
    }
    let txn = conn.begin().await.map_err(write_err)?;
    if !created.is_empty() {
        E::insert_many(created).exec_without_returning(&txn).await.map_err(write_err)?;
    }
    if !updated.is_empty() {
        let on_conflict = OnConflict::column(E::id_column())
            .update_columns(update_columns.iter().copied())
            .action_and_where(Expr::col((E::default(), E::org_column())).eq(org))
            .to_owned();
        E::insert_many(updated).on_conflict(on_conflict).exec_without_returning(&txn).await.map_err(write_err)?;
    }
    txn.commit().await.map_err(write_err)
}

fn set_value<C: IdenStatic>(value: ActiveValue<Value>, column: C) -> Result<Value, RepoError> {
    match value {
        ActiveValue::Set(value) | ActiveValue::Unchanged(value) => Ok(value),
        ActiveValue::NotSet => Err(RepoError::Corrupt(format!(
            "a batch's rows set different columns: {} is missing from one",
            column.as_str()
        ))),
    }
}

fn unsupported<C: IdenStatic>(column: C) -> RepoError {
    RepoError::Corrupt(format!("column {} has a type the bulk writer does not bind", column.as_str()))
}

/// A driver error, classified as any other statement's.
fn sqlx_err(err: sqlx::Error) -> RepoError {
    write_err(DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err))))
}
