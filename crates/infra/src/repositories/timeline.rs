//! A donor's timeline in one statement: a `UNION ALL` of one branch per kind (communications,
//! donations, sent campaign emails, completed todos). Each branch reads the first `limit + 1`
//! of its own rows past the cursor, in the order of an index of migration 000018
//! (docs/decisions/0029-communications-and-timeline.md), so that it stops early; the union of
//! those is ordered once more and cut to `limit + 1`.
//!
//! Every branch yields the same columns: `kind` (the kind's rank), `id`, `at`, five texts
//! `a`..`e`, `cents` and `ref_id`; what each holds depends on the kind (see [`entry`]).

use async_trait::async_trait;
use chrono::NaiveTime;
use givance_domain::communication::{CommunicationChannel, CommunicationStatus, Direction};
use givance_domain::timeline::{
    EXCERPT_MAX, TimelineDetail, TimelineEntry, TimelineKind, TimelinePosition, TimelineRepository, TimelineRequest,
};
use givance_domain::todo::TodoType;
use givance_domain::{Currency, DonorId, Money, OrgScope, Page, ProjectId, RepoError, Timestamp};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Order, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, QueryResult};
use uuid::Uuid;

use crate::convert::parse_optional;
use crate::entities::donor;
use crate::error::write_err;
use crate::money::cents_to_decimal;

pub struct SeaTimelineRepository {
    conn: DatabaseConnection,
}

impl SeaTimelineRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    async fn donor_is_live(&self, scope: &OrgScope, donor: DonorId) -> Result<bool, RepoError> {
        let found = self.conn.query_one(&live_donor(scope, donor)).await.map_err(write_err)?;
        Ok(found.is_some())
    }
}

/// `SELECT 1 FROM donors WHERE <the donor is the organization's and not deleted>`.
fn live_donor(scope: &OrgScope, donor: DonorId) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(donor::Entity)
        .and_where(Expr::col((donor::Entity, donor::Column::OrganizationId)).eq(scope.org().into_uuid()))
        .and_where(Expr::col((donor::Entity, donor::Column::Id)).eq(donor.into_uuid()))
        .and_where(Expr::col((donor::Entity, donor::Column::DeletedAt)).is_null())
        .to_owned()
}

/// A quoted, table-qualified column for the SQL the branches are written in.
fn col(table: &str, column: &str) -> String {
    format!(r#""{table}"."{column}""#)
}

/// A NULL of `sql_type`: PostgreSQL types an untyped NULL in a subquery as text, which a union
/// with a bigint or uuid column refuses.
fn null(backend: DatabaseBackend, sql_type: &str) -> Expr {
    match backend {
        DatabaseBackend::Postgres => Expr::cust(format!("CAST(NULL AS {sql_type})")),
        _ => Expr::cust("NULL"),
    }
}

/// How a branch orders its rows and compares them with the cursor.
enum Clock {
    /// A timestamp expression (the SQL of an index's key).
    Timestamp(String),
    /// A date column, whose entries stand at 00:00 UTC of the day.
    Date(String),
}

impl Clock {
    /// The entry's timestamp, as the union's `at` column.
    fn at(&self, backend: DatabaseBackend) -> Expr {
        match (self, backend) {
            (Clock::Timestamp(sql), _) => Expr::cust(sql.clone()),
            (Clock::Date(sql), DatabaseBackend::Postgres) => {
                Expr::cust(format!("(CAST({sql} AS timestamp) AT TIME ZONE 'UTC')"))
            }
            // RFC 3339 as stored timestamps are written (ADR 0007), so that the texts sort together.
            (Clock::Date(sql), _) => Expr::cust(format!("({sql} || 'T00:00:00+00:00')")),
        }
    }

    fn key(&self) -> Expr {
        match self {
            Clock::Timestamp(sql) | Clock::Date(sql) => Expr::cust(sql.clone()),
        }
    }

    /// The rows of a branch of `kind` that come after `cursor` in timeline order
    /// `(at, kind, id)` descending, as a condition on the branch's own index key `(clock, id)`.
    fn past(&self, kind: TimelineKind, id: &str, cursor: TimelinePosition) -> Expr {
        let id = Expr::cust(id.to_owned());
        match self {
            Clock::Timestamp(_) => {
                let at = self.key();
                if kind.rank() < cursor.kind.rank() {
                    at.lte(cursor.at)
                } else if kind.rank() > cursor.kind.rank() {
                    at.lt(cursor.at)
                } else {
                    // A row comparison: one index condition on PostgreSQL.
                    Expr::tuple([at, id]).lt(Expr::tuple([Expr::val(cursor.at), Expr::val(cursor.id)]))
                }
            }
            Clock::Date(_) => {
                let date = self.key();
                let day = cursor.at.date_naive();
                // An entry stands at 00:00 of its day: a cursor later in that day is past it.
                let at_midnight = cursor.at.time() == NaiveTime::MIN;
                if kind.rank() < cursor.kind.rank() || !at_midnight {
                    date.lte(day)
                } else if kind.rank() > cursor.kind.rank() {
                    date.lt(day)
                } else {
                    Expr::tuple([date, id]).lt(Expr::tuple([Expr::val(day), Expr::val(cursor.id)]))
                }
            }
        }
    }
}

/// One branch of the union: a kind's rows of the donor, past the cursor, first `limit + 1` in
/// index order, with the union's columns.
struct Branch {
    kind: TimelineKind,
    table: &'static str,
    clock: Clock,
    /// Conditions beyond organization and donor, as constant SQL (not bound), so that
    /// PostgreSQL can match a partial index's predicate.
    only: &'static [&'static str],
    /// `a`..`e`, `cents`, `ref_id`.
    columns: [Option<String>; 7],
}

impl Branch {
    fn select(
        &self,
        backend: DatabaseBackend,
        scope: &OrgScope,
        donor: DonorId,
        request: &TimelineRequest,
    ) -> SelectStatement {
        let table = Alias::new(self.table);
        let id = col(self.table, "id");
        let mut select = Query::select();
        select
            .expr_as(Expr::val(self.kind.rank()), Alias::new("kind"))
            .expr_as(Expr::cust(id.clone()), Alias::new("id"))
            .expr_as(self.clock.at(backend), Alias::new("at"));
        let types = ["text", "text", "text", "text", "text", "bigint", "uuid"];
        for ((name, column), sql_type) in
            ["a", "b", "c", "d", "e", "cents", "ref_id"].iter().zip(&self.columns).zip(types)
        {
            let value = column.as_ref().map_or_else(|| null(backend, sql_type), |sql| Expr::cust(sql.clone()));
            select.expr_as(value, Alias::new(*name));
        }
        select
            .from(table)
            .and_where(Expr::cust(col(self.table, "organization_id")).eq(scope.org().into_uuid()))
            .and_where(Expr::cust(col(self.table, "donor_id")).eq(donor.into_uuid()));
        for condition in self.only {
            select.and_where(Expr::cust(*condition));
        }
        if let Some(cursor) = request.after() {
            select.and_where(self.clock.past(self.kind, &id, cursor));
        }
        select
            .order_by_expr(self.clock.key(), Order::Desc)
            .order_by_expr(Expr::cust(id), Order::Desc)
            .limit(request.limit() + 1);
        // Wrapped, so that its ORDER BY and LIMIT stay its own inside the UNION.
        Query::select().column(Asterisk).from_subquery(select.to_owned(), Alias::new("branch")).to_owned()
    }
}

fn branch(kind: TimelineKind, backend: DatabaseBackend) -> Branch {
    let c = |column: &str| Some(col(branch_table(kind), column));
    match kind {
        TimelineKind::Communication => Branch {
            kind,
            table: "communications",
            clock: Clock::Timestamp(format!(
                "COALESCE({}, {})",
                col("communications", "sent_at"),
                col("communications", "created_at")
            )),
            only: &[],
            columns: [
                c("channel"),
                c("direction"),
                c("status"),
                c("subject"),
                Some(format!("substr({}, 1, {EXCERPT_MAX})", col("communications", "content"))),
                None,
                None,
            ],
        },
        TimelineKind::Donation => Branch {
            kind,
            table: "donations",
            clock: Clock::Date(col("donations", "date")),
            only: &[],
            columns: [c("currency"), None, None, None, None, Some(cents(backend)), c("project_id")],
        },
        TimelineKind::CampaignEmail => Branch {
            kind,
            table: "generated_emails",
            clock: Clock::Timestamp(col("generated_emails", "sent_at")),
            only: &[r#""generated_emails"."status" = 'sent'"#, r#""generated_emails"."sent_at" IS NOT NULL"#],
            columns: [None, None, None, c("subject"), None, None, None],
        },
        TimelineKind::Task => Branch {
            kind,
            table: "todos",
            clock: Clock::Timestamp(col("todos", "completed_at")),
            only: &[r#""todos"."status" = 'completed'"#, r#""todos"."completed_at" IS NOT NULL"#],
            columns: [c("type"), None, None, c("title"), None, None, None],
        },
    }
}

fn branch_table(kind: TimelineKind) -> &'static str {
    match kind {
        TimelineKind::Communication => "communications",
        TimelineKind::Donation => "donations",
        TimelineKind::CampaignEmail => "generated_emails",
        TimelineKind::Task => "todos",
    }
}

/// A donation's amount in integer cents, exact on both backends (SQLite keeps a float).
fn cents(backend: DatabaseBackend) -> String {
    let amount = col("donations", "amount");
    match backend {
        DatabaseBackend::Sqlite => format!("CAST(ROUND({amount} * 100) AS INTEGER)"),
        _ => format!("CAST({amount} * 100 AS BIGINT)"),
    }
}

/// The whole statement: the branches of the requested kinds, merged and cut to `limit + 1`,
/// only while the donor is live.
fn timeline(
    backend: DatabaseBackend,
    scope: &OrgScope,
    donor: DonorId,
    request: &TimelineRequest,
) -> Option<SelectStatement> {
    let mut branches = request.kinds().iter().map(|kind| branch(*kind, backend).select(backend, scope, donor, request));
    let mut union = branches.next()?;
    for other in branches {
        union.union(UnionType::All, other);
    }
    Some(
        Query::select()
            .column(Asterisk)
            .from_subquery(union, Alias::new("timeline"))
            .and_where(Expr::exists(live_donor(scope, donor)))
            .order_by(Alias::new("at"), Order::Desc)
            .order_by(Alias::new("kind"), Order::Desc)
            .order_by(Alias::new("id"), Order::Desc)
            .limit(request.limit() + 1)
            .to_owned(),
    )
}

/// One row of the union as an entry.
fn entry(row: &QueryResult) -> Result<TimelineEntry, RepoError> {
    let get_text = |column: &str| row.try_get::<Option<String>>("", column).map_err(write_err);
    let rank: i32 = row.try_get("", "kind").map_err(write_err)?;
    let kind = TimelineKind::from_rank(rank).ok_or_else(|| RepoError::Corrupt(format!("timeline kind {rank}")))?;
    let id: Uuid = row.try_get("", "id").map_err(write_err)?;
    let at: Timestamp = row.try_get("", "at").map_err(write_err)?;
    let required = |column: &str, value: Option<String>| {
        value.ok_or_else(|| RepoError::Corrupt(format!("{} {id}: {column} is NULL", kind.as_str())))
    };
    let detail = match kind {
        TimelineKind::Communication => TimelineDetail::Communication {
            channel: required("channel", get_text("a")?)?.parse::<CommunicationChannel>()?,
            direction: required("direction", get_text("b")?)?.parse::<Direction>()?,
            status: parse_optional::<CommunicationStatus>(get_text("c")?)?.unwrap_or(CommunicationStatus::Sent),
            subject: get_text("d")?,
            excerpt: get_text("e")?.unwrap_or_default(),
        },
        TimelineKind::Donation => {
            let cents: i64 = row.try_get("", "cents").map_err(write_err)?;
            let currency = parse_optional::<Currency>(get_text("a")?)?.unwrap_or_default();
            let project: Option<Uuid> = row.try_get("", "ref_id").map_err(write_err)?;
            TimelineDetail::Donation {
                amount: Money::new(cents_to_decimal(cents), currency)?,
                project_id: project.map(ProjectId::from_uuid),
            }
        }
        TimelineKind::CampaignEmail => TimelineDetail::CampaignEmail { subject: required("subject", get_text("d")?)? },
        TimelineKind::Task => TimelineDetail::Task {
            title: required("title", get_text("d")?)?,
            // A NULL is the schema's default.
            task_type: parse_optional::<TodoType>(get_text("a")?)?.unwrap_or(TodoType::Task),
        },
    };
    Ok(TimelineEntry { id, at, detail })
}

#[async_trait]
impl TimelineRepository for SeaTimelineRepository {
    async fn page(
        &self,
        scope: &OrgScope,
        donor: DonorId,
        request: TimelineRequest,
    ) -> Result<Page<TimelineEntry>, RepoError> {
        let backend = self.conn.get_database_backend();
        let rows = match timeline(backend, scope, donor, &request) {
            Some(statement) => self.conn.query_all(&statement).await.map_err(write_err)?,
            None => Vec::new(),
        };
        // No rows: an empty timeline, or no such donor. Only then is the donor looked up.
        if rows.is_empty() && !self.donor_is_live(scope, donor).await? {
            return Err(RepoError::NotFound);
        }
        let entries = rows.iter().map(entry).collect::<Result<Vec<_>, _>>()?;
        Ok(request.page(entries))
    }
}
