//! The fundraising reports (`docs/reports.md`) as hand-written, parameterised SQL that runs
//! unchanged on PostgreSQL and SQLite (`$n` placeholders work on both), except for the few
//! expressions [`Dialect`] spells per backend. Money is summed in integer cents through
//! [`sum_cents_sql`], exact on both.
//!
//! The queries start from the donations of the scope's organization (`organization_id = $1`,
//! always the first parameter), so the `(organization_id, ...)` indexes serve them, and every
//! join to donors or projects repeats the organization, so no other tenant's row can match.

use async_trait::async_trait;
use chrono::NaiveDate;
use givance_domain::donation::PaymentMethod;
use givance_domain::report::{
    DateRange, GivingBy, GivingGroup, GivingRow, Lapsed, LapsedDonor, LapsedQuery, LapsedTotal, ReportRepository,
    Retention, RetentionPeriods, TopDonor,
};
use givance_domain::{Currency, Cursor, DonorId, OrgScope, Page, ProjectId, RepoError, ValueError};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, QueryResult, Statement, Value};
use uuid::Uuid;

use crate::convert::parse_optional;
use crate::error::write_err;
use crate::money::{cents_to_decimal, sum_cents_sql};

pub struct SeaReportRepository {
    conn: DatabaseConnection,
}

impl SeaReportRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    async fn rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, RepoError> {
        let statement = Statement::from_sql_and_values(self.conn.get_database_backend(), sql, values);
        self.conn.query_all_raw(statement).await.map_err(write_err)
    }

    fn dialect(&self) -> Dialect {
        Dialect(self.conn.get_database_backend())
    }
}

/// The expressions that differ between the backends.
#[derive(Clone, Copy)]
struct Dialect(DatabaseBackend);

impl Dialect {
    /// Exact cents of the amounts `amount` yields.
    fn cents(self, amount: &str) -> String {
        sum_cents_sql(self.0, amount)
    }

    /// A donation's calendar month as `YYYY-MM`.
    fn month(self) -> &'static str {
        match self.0 {
            DatabaseBackend::Sqlite => "strftime('%Y-%m', d.date)",
            _ => "to_char(d.date, 'YYYY-MM')",
        }
    }
}

/// The currency of a donation row: NULL is the schema's default, which the domain's
/// `Currency::default()` is too (bound as `$2` by every query that uses it).
const CURRENCY: &str = "COALESCE(d.currency, $2)";

/// A donation that counts: of the organization, with an amount that is not zero.
const COUNTED: &str = "d.organization_id = $1 AND d.amount <> 0";

/// The organization and the default currency: `$1` and `$2` of every query.
fn base_values(scope: &OrgScope) -> Vec<Value> {
    vec![scope.org().into_uuid().into(), Currency::default().code().into()]
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> Result<T, RepoError> {
    row.try_get::<T>("", column).map_err(write_err)
}

fn count(row: &QueryResult, column: &str) -> Result<u64, RepoError> {
    let n: i64 = get(row, column)?;
    u64::try_from(n).map_err(|_| RepoError::Corrupt(format!("{column} is {n}")))
}

fn currency(row: &QueryResult) -> Result<Currency, RepoError> {
    Ok(parse_optional::<Currency>(Some(get(row, "currency")?))?.unwrap_or_default())
}

/// The day after a range's last, which queries compare with `<`.
fn end_of(range: &DateRange) -> Result<NaiveDate, RepoError> {
    range.end_exclusive().ok_or_else(|| RepoError::Invalid(ValueError::new("to", "is out of range")))
}

fn limit_value(limit: u64) -> Value {
    i64::try_from(limit).unwrap_or(i64::MAX).into()
}

/// A LYBUNT or SYBUNT page, in two steps. First one pass over the organization's counted gifts
/// before the end of fiscal year Y, per donor, keeps the donors with nothing in Y (and, for
/// LYBUNT, something in Y-1); it reads only `(organization_id, donor_id, date, amount)`, which
/// `idx_donations_giving` (migration 17) covers, in donor order, so PostgreSQL aggregates it from the
/// index alone without sorting. Then only the page's donors (live ones, joined to `donors`) get
/// their per-currency totals, through the same index.
fn lapsed_sql(d: Dialect, kind: Lapsed, after: bool) -> String {
    let last_year = match kind {
        Lapsed::Lybunt => "AND COUNT(CASE WHEN d.date >= $4 THEN 1 END) > 0",
        Lapsed::Sybunt => "",
    };
    let after = if after { "WHERE l.last_gift < $7 OR (l.last_gift = $7 AND l.donor_id < $8)" } else { "" };
    let last_year_cents = d.cents("CASE WHEN d.date >= $4 THEN d.amount END");
    let lifetime_cents = d.cents("d.amount");
    format!(
        "WITH lapsed AS ( \
            SELECT d.donor_id AS donor_id, MAX(d.date) AS last_gift \
            FROM donations d \
            WHERE {COUNTED} AND d.date < $5 \
            GROUP BY d.donor_id \
            HAVING COUNT(CASE WHEN d.date >= $3 THEN 1 END) = 0 {last_year} \
        ), page AS ( \
            SELECT l.donor_id AS donor_id, l.last_gift AS last_gift, \
                dn.first_name AS first_name, dn.last_name AS last_name, dn.email AS email \
            FROM lapsed l \
            JOIN donors dn ON dn.organization_id = $1 AND dn.id = l.donor_id AND dn.deleted_at IS NULL \
            {after} \
            ORDER BY l.last_gift DESC, l.donor_id DESC \
            LIMIT $6 \
        ) \
        SELECT p.donor_id, p.last_gift, p.first_name, p.last_name, p.email, {CURRENCY} AS currency, \
            {last_year_cents} AS last_year_cents, {lifetime_cents} AS lifetime_cents \
        FROM page p \
        JOIN donations d ON {COUNTED} AND d.donor_id = p.donor_id AND d.date < $3 \
        GROUP BY p.donor_id, p.last_gift, p.first_name, p.last_name, p.email, {CURRENCY} \
        ORDER BY p.last_gift DESC, p.donor_id DESC, lifetime_cents DESC, currency"
    )
}

/// Retention in one pass over the two periods' counted gifts: per donor, whether they gave in
/// the prior period (`$2`..`$3`) and in the later one (`$4`..`$5`), counted over live donors.
fn retention_sql() -> String {
    let prior = "d.date >= $2 AND d.date < $3";
    let later = "d.date >= $4 AND d.date < $5";
    format!(
        "SELECT COUNT(*) AS prior_donors, COUNT(CASE WHEN g.later_gifts > 0 THEN 1 END) AS retained_donors \
        FROM ( \
            SELECT d.donor_id AS donor_id, COUNT(CASE WHEN {later} THEN 1 END) AS later_gifts \
            FROM donations d \
            WHERE {COUNTED} AND (({prior}) OR ({later})) \
            GROUP BY d.donor_id \
            HAVING COUNT(CASE WHEN {prior} THEN 1 END) > 0 \
        ) g \
        JOIN donors dn ON dn.organization_id = $1 AND dn.id = g.donor_id AND dn.deleted_at IS NULL"
    )
}

/// Counted gifts from `$3` to before `$4`, per group and currency.
fn giving_sql(d: Dialect, by: GivingBy) -> String {
    let (columns, join, group) = match by {
        GivingBy::Month => (format!("{} AS month", d.month()), "", d.month().to_owned()),
        GivingBy::Project => (
            "d.project_id AS project_id, p.name AS project_name".to_owned(),
            "LEFT JOIN projects p ON p.organization_id = d.organization_id AND p.id = d.project_id",
            "d.project_id, p.name".to_owned(),
        ),
        GivingBy::PaymentMethod => ("d.payment_method AS payment_method".to_owned(), "", "d.payment_method".to_owned()),
    };
    let total = d.cents("d.amount");
    format!(
        "SELECT {columns}, {CURRENCY} AS currency, {total} AS total_cents, COUNT(*) AS gift_count, \
            COUNT(DISTINCT d.donor_id) AS donor_count \
        FROM donations d {join} \
        WHERE {COUNTED} AND d.date >= $3 AND d.date < $4 \
        GROUP BY {group}, {CURRENCY}"
    )
}

/// The donors with the largest counted totals in currency `$5` from `$3` to before `$4`.
fn top_donors_sql(d: Dialect) -> String {
    let total = d.cents("d.amount");
    format!(
        "WITH totals AS ( \
            SELECT d.donor_id AS donor_id, {total} AS total_cents, COUNT(*) AS gift_count, \
                MIN(d.date) AS first_gift, MAX(d.date) AS last_gift \
            FROM donations d \
            WHERE {COUNTED} AND d.date >= $3 AND d.date < $4 AND {CURRENCY} = $5 \
            GROUP BY d.donor_id \
        ) \
        SELECT t.donor_id, t.total_cents, t.gift_count, t.first_gift, t.last_gift, \
            dn.first_name, dn.last_name, dn.email \
        FROM totals t \
        JOIN donors dn ON dn.organization_id = $1 AND dn.id = t.donor_id AND dn.deleted_at IS NULL \
        ORDER BY t.total_cents DESC, t.donor_id \
        LIMIT $6"
    )
}

/// The order of giving rows (see [`ReportRepository::giving`]): groups without a value last,
/// then the month, the project's name, the method's declared position; the currency last.
type GroupKey = (bool, String, usize, Uuid);

fn group_order(group: &GivingGroup) -> GroupKey {
    match group {
        GivingGroup::Month(month) => (false, month.clone(), 0, Uuid::nil()),
        GivingGroup::Project { id: Some(id), name } => {
            (false, name.as_deref().unwrap_or_default().to_lowercase(), 0, id.into_uuid())
        }
        GivingGroup::PaymentMethod(Some(method)) => (
            false,
            String::new(),
            PaymentMethod::ALL.iter().position(|m| m == method).unwrap_or(usize::MAX),
            Uuid::nil(),
        ),
        GivingGroup::Project { id: None, .. } | GivingGroup::PaymentMethod(None) => {
            (true, String::new(), 0, Uuid::nil())
        }
    }
}

fn giving_group(by: GivingBy, row: &QueryResult) -> Result<GivingGroup, RepoError> {
    Ok(match by {
        GivingBy::Month => GivingGroup::Month(get(row, "month")?),
        GivingBy::Project => GivingGroup::Project {
            id: get::<Option<Uuid>>(row, "project_id")?.map(ProjectId::from_uuid),
            name: get(row, "project_name")?,
        },
        GivingBy::PaymentMethod => GivingGroup::PaymentMethod(parse_optional(get(row, "payment_method")?)?),
    })
}

#[async_trait]
impl ReportRepository for SeaReportRepository {
    async fn lapsed(&self, scope: &OrgScope, query: LapsedQuery) -> Result<Page<LapsedDonor>, RepoError> {
        let mut values = base_values(scope);
        values.push(query.year.from().into());
        values.push(query.previous_year.from().into());
        values.push(end_of(&query.year)?.into());
        // One donor more than the page: it only says that another page follows.
        values.push(limit_value(query.limit.saturating_add(1)));
        if let Some(after) = query.after {
            values.push(after.created_at.date_naive().into());
            values.push(after.id.into());
        }
        let rows = self.rows(&lapsed_sql(self.dialect(), query.kind, query.after.is_some()), values).await?;
        let mut donors: Vec<LapsedDonor> = Vec::new();
        for row in &rows {
            let donor_id = DonorId::from_uuid(get(row, "donor_id")?);
            let total = LapsedTotal {
                currency: currency(row)?,
                last_year_total: cents_to_decimal(get(row, "last_year_cents")?),
                lifetime_total: cents_to_decimal(get(row, "lifetime_cents")?),
            };
            match donors.last_mut() {
                Some(donor) if donor.donor_id == donor_id => donor.totals.push(total),
                _ => donors.push(LapsedDonor {
                    donor_id,
                    first_name: get(row, "first_name")?,
                    last_name: get(row, "last_name")?,
                    email: get(row, "email")?,
                    last_gift_date: get(row, "last_gift")?,
                    totals: vec![total],
                }),
            }
        }
        // Like `Page::from_rows`, without its cap of a JSON page: a CSV page may be longer.
        let more = donors.len() as u64 > query.limit;
        donors.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
        // The cursor is the last gift date (as midnight UTC) and the donor id.
        let next_cursor = donors.last().filter(|_| more).map(|d| {
            Cursor {
                created_at: d.last_gift_date.and_time(chrono::NaiveTime::MIN).and_utc(),
                id: d.donor_id.into_uuid(),
            }
            .encode()
        });
        Ok(Page { items: donors, next_cursor })
    }

    async fn retention(&self, scope: &OrgScope, periods: RetentionPeriods) -> Result<Retention, RepoError> {
        // No currency here: `$2` onwards are the periods.
        let mut values: Vec<Value> = vec![scope.org().into_uuid().into()];
        values.push(periods.prior.from().into());
        values.push(end_of(&periods.prior)?.into());
        values.push(periods.current.from().into());
        values.push(end_of(&periods.current)?.into());
        let rows = self.rows(&retention_sql(), values).await?;
        let Some(row) = rows.first() else { return Ok(Retention::default()) };
        Ok(Retention { prior_donors: count(row, "prior_donors")?, retained_donors: count(row, "retained_donors")? })
    }

    async fn giving(&self, scope: &OrgScope, by: GivingBy, range: DateRange) -> Result<Vec<GivingRow>, RepoError> {
        let mut values = base_values(scope);
        values.push(range.from().into());
        values.push(end_of(&range)?.into());
        let rows = self.rows(&giving_sql(self.dialect(), by), values).await?;
        let mut out = rows
            .iter()
            .map(|row| {
                Ok(GivingRow {
                    group: giving_group(by, row)?,
                    currency: currency(row)?,
                    total: cents_to_decimal(get(row, "total_cents")?),
                    gift_count: count(row, "gift_count")?,
                    donor_count: count(row, "donor_count")?,
                })
            })
            .collect::<Result<Vec<_>, RepoError>>()?;
        out.sort_by_cached_key(|row| (group_order(&row.group), row.currency.code()));
        Ok(out)
    }

    async fn top_donors(
        &self,
        scope: &OrgScope,
        range: DateRange,
        currency: Currency,
        limit: u64,
    ) -> Result<Vec<TopDonor>, RepoError> {
        let mut values = base_values(scope);
        values.push(range.from().into());
        values.push(end_of(&range)?.into());
        values.push(currency.code().into());
        values.push(limit_value(limit));
        let rows = self.rows(&top_donors_sql(self.dialect()), values).await?;
        rows.iter()
            .map(|row| {
                Ok(TopDonor {
                    donor_id: DonorId::from_uuid(get(row, "donor_id")?),
                    first_name: get(row, "first_name")?,
                    last_name: get(row, "last_name")?,
                    email: get(row, "email")?,
                    total: cents_to_decimal(get(row, "total_cents")?),
                    gift_count: count(row, "gift_count")?,
                    first_gift_date: get(row, "first_gift")?,
                    last_gift_date: get(row, "last_gift")?,
                })
            })
            .collect()
    }
}
