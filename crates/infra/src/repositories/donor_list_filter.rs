//! Compiles a dynamic list's [`DonorFilter`] to SQL over `donors`, built only from SeaQuery
//! expressions: every value is a bound parameter, nothing is spliced into SQL text. The same
//! conditions serve the count, the members page and a freeze.
//!
//! Giving criteria read one grouped subquery over the organization's counted gifts (amount
//! above zero), LEFT JOINed on the donor: `LEFT JOIN (SELECT donor_id, <sum>, COUNT(*),
//! MAX(date) ... GROUP BY donor_id) giving ON giving.donor_id = donors.id`, one pass over the
//! gifts whatever the number of criteria, never a subquery per donor; a donor who never gave
//! has no row there and reads as a sum and a count of zero. Giving capacity reads each donor's latest completed
//! research through a window function (docs/decisions/0028-donor-lists.md).

use givance_domain::donor::DonorType;
use givance_domain::donor_list::{DonorFilter, TagFilter};
use givance_domain::research::{GivingCapacity, ResearchStatus};
use givance_domain::{Currency, OrgScope};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::sea_query::extension::postgres::PgBinOper;
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, Order, Query, SelectStatement, SimpleExpr, WindowStatement,
};
use sea_orm::{ColumnTrait, Condition, DatabaseBackend, DeriveIden, JoinType, QueryFilter, QueryTrait, Select};

use crate::entities::donation::{Column as Gift, Entity as Gifts};
use crate::entities::donor::{Column, Entity};
use crate::money::sum_cents_of;
use crate::scoped::scoped;

/// The organization's active donors matching `filter`.
pub(crate) fn matching(scope: &OrgScope, filter: &DonorFilter, backend: DatabaseBackend) -> Select<Entity> {
    let donors = scoped::<Entity>(scope).filter(Column::DeletedAt.is_null()).filter(condition(scope, filter, backend));
    join_giving(donors, scope, filter, backend)
}

fn condition(scope: &OrgScope, filter: &DonorFilter, backend: DatabaseBackend) -> Condition {
    let mut all = Condition::all();
    if !filter.journey_stages.is_empty() {
        all = all.add(Column::JourneyStage.is_in(filter.journey_stages.iter().map(String::as_str)));
    }
    if let Some(tags) = &filter.tags {
        all = all.add(tag_condition(tags, backend));
    }
    if let Some(donor_type) = filter.donor_type {
        all = all.add(match donor_type {
            // The schema default: a donor without a type is an individual.
            DonorType::Individual => Condition::any()
                .add(Column::DonorType.eq(DonorType::Individual.as_str()))
                .add(Column::DonorType.is_null()),
            DonorType::Couple => Condition::all().add(Column::DonorType.eq(DonorType::Couple.as_str())),
        });
    }
    for (column, values) in [(Column::AddressCity, &filter.cities), (Column::AddressState, &filter.states)] {
        if !values.is_empty() {
            let lowered = values.iter().map(|v| v.to_lowercase());
            all = all.add(Expr::expr(Func::lower(Expr::col((Entity, column)))).is_in(lowered));
        }
    }
    if !filter.countries.is_empty() {
        all = all.add(Column::AddressCountry.is_in(filter.countries.iter().map(|c| c.as_str().to_owned())));
    }
    match filter.has_email {
        Some(true) => all = all.add(Column::Email.is_not_null()),
        Some(false) => all = all.add(Column::Email.is_null()),
        None => {}
    }
    if let Some(created) = filter.created {
        if let Some(from) = created.from {
            all = all.add(Column::CreatedAt.gte(from));
        }
        if let Some(to) = created.to {
            all = all.add(Column::CreatedAt.lt(to));
        }
    }
    if !filter.giving_capacity.is_empty() {
        all = all.add(Column::Id.in_subquery(latest_capacity_in(scope, &filter.giving_capacity)));
    }
    all
}

/// PostgreSQL: `tags @> '["a"]'` per alternative and one `@>` for all required tags, which the
/// GIN index on tags serves. SQLite: `EXISTS (SELECT 1 FROM json_each(tags) WHERE value IN ...)`.
fn tag_condition(tags: &TagFilter, backend: DatabaseBackend) -> Condition {
    let mut all = Condition::all();
    match backend {
        DatabaseBackend::Postgres => {
            let contains = |values: &[String]| {
                Expr::col((Entity, Column::Tags)).binary(PgBinOper::Contains, Expr::val(json(values)))
            };
            if !tags.any.is_empty() {
                all = all.add(
                    tags.any.iter().fold(Condition::any(), |any, tag| any.add(contains(std::slice::from_ref(tag)))),
                );
            }
            if !tags.all.is_empty() {
                all = all.add(contains(&tags.all));
            }
        }
        _ => {
            if !tags.any.is_empty() {
                all = all.add(has_sqlite_tag(&tags.any));
            }
            for tag in &tags.all {
                all = all.add(has_sqlite_tag(std::slice::from_ref(tag)));
            }
        }
    }
    all
}

fn json(values: &[String]) -> serde_json::Value {
    serde_json::Value::Array(values.iter().cloned().map(serde_json::Value::String).collect())
}

/// SQLite: the donor's tags include one of `values`.
fn has_sqlite_tag(values: &[String]) -> SimpleExpr {
    let tag = Alias::new("tag");
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_function(Func::cust("json_each").arg(Expr::col((Entity, Column::Tags))), tag.clone())
            .and_where(Expr::col((tag, Alias::new("value"))).is_in(values.iter().map(String::as_str)))
            .to_owned(),
    )
}

/// The alias of the per-donor gift aggregate and of its columns.
const GIVING: &str = "giving";
const GIVING_CENTS: &str = "total_cents";
const GIVING_COUNT: &str = "gift_count";
const GIVING_LAST: &str = "last_gift";

fn giving_col(column: &str) -> SimpleExpr {
    Expr::col((Alias::new(GIVING), Alias::new(column)))
}

/// Joins the organization's counted gifts (amount above zero), aggregated per donor in one
/// pass, when the filter has giving criteria, and states them: the amount in the filter's
/// currency (a `CASE` picks its gifts), the number of gifts and the latest date in any currency.
/// A LEFT JOIN, so that a donor who never gave has a sum and a count of zero and no latest gift.
fn join_giving(
    mut select: Select<Entity>,
    scope: &OrgScope,
    filter: &DonorFilter,
    backend: DatabaseBackend,
) -> Select<Entity> {
    let (lifetime, count, last) = (filter.lifetime_giving.as_ref(), filter.gift_count, filter.last_gift);
    if lifetime.is_none() && count.is_none() && last.is_none() {
        return select;
    }
    let mut per_donor = Query::select();
    per_donor
        .column((Gifts, Gift::DonorId))
        // COUNT(*), not COUNT(id): the id is not in the covering index idx_donations_giving.
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new(GIVING_COUNT))
        .expr_as(Func::max(Expr::col((Gifts, Gift::Date))), Alias::new(GIVING_LAST))
        .from(Gifts)
        .and_where(Expr::col((Gifts, Gift::OrganizationId)).eq(scope.org().into_uuid()))
        .and_where(Expr::col((Gifts, Gift::Amount)).gt(0))
        .group_by_col((Gifts, Gift::DonorId));
    if let Some(giving) = lifetime {
        let in_currency = Expr::case(currency_is(giving.currency), Expr::col((Gifts, Gift::Amount)));
        per_donor.expr_as(sum_cents_of(backend, in_currency.into()), Alias::new(GIVING_CENTS));
    }
    let zero_if_none = |column: &str| Expr::expr(Func::coalesce([giving_col(column), Expr::val(0)]));
    let mut all = Condition::all();
    if let Some(giving) = lifetime {
        if let Some(min) = giving.min {
            all = all.add(zero_if_none(GIVING_CENTS).gte(cents(min)));
        }
        if let Some(max) = giving.max {
            all = all.add(zero_if_none(GIVING_CENTS).lte(cents(max)));
        }
    }
    if let Some(count) = count {
        if let Some(min) = count.min {
            all = all.add(zero_if_none(GIVING_COUNT).gte(i64::from(min)));
        }
        if let Some(max) = count.max {
            all = all.add(zero_if_none(GIVING_COUNT).lte(i64::from(max)));
        }
    }
    if let Some(last) = last {
        // NULL for a donor who never gave: no date window admits them.
        if let Some(after) = last.after {
            all = all.add(giving_col(GIVING_LAST).gt(after));
        }
        if let Some(before) = last.before {
            all = all.add(giving_col(GIVING_LAST).lt(before));
        }
    }
    let on = Expr::col((Alias::new(GIVING), Gift::DonorId)).equals((Entity, Column::Id));
    QueryTrait::query(&mut select).join_subquery(JoinType::LeftJoin, per_donor, Alias::new(GIVING), on);
    select.filter(all)
}

/// A gift is in `currency`; one stored without a currency is in US dollars (the schema default).
fn currency_is(currency: Currency) -> Condition {
    let code = || Expr::col((Gifts, Gift::Currency));
    let mut any = Condition::any().add(code().eq(currency.code()));
    if currency == Currency::USD {
        any = any.add(code().is_null());
    }
    any
}

/// `amount` in integer cents, as [`sum_cents_of`] compares.
fn cents(amount: Decimal) -> i64 {
    (amount * Decimal::ONE_HUNDRED).to_i64().unwrap_or(i64::MAX)
}

#[derive(DeriveIden)]
enum PersonResearch {
    Table,
    Id,
    OrganizationId,
    DonorId,
    Status,
    GivingCapacity,
    CreatedAt,
}

/// The donors whose latest completed research (by `created_at`, then id) estimates one of
/// `capacities`: research numbered per donor, newest first, keeping the first.
fn latest_capacity_in(scope: &OrgScope, capacities: &[GivingCapacity]) -> SelectStatement {
    let position = Alias::new("position");
    let newest_first = WindowStatement::partition_by(PersonResearch::DonorId)
        .order_by(PersonResearch::CreatedAt, Order::Desc)
        .order_by(PersonResearch::Id, Order::Desc)
        .to_owned();
    let numbered = Query::select()
        .column(PersonResearch::DonorId)
        .column(PersonResearch::GivingCapacity)
        .expr_window_as(Func::cust("row_number"), newest_first, position.clone())
        .from(PersonResearch::Table)
        .and_where(Expr::col(PersonResearch::OrganizationId).eq(scope.org().into_uuid()))
        .and_where(Expr::col(PersonResearch::Status).eq(ResearchStatus::Completed.as_str()))
        .to_owned();
    let latest = Alias::new("latest");
    Query::select()
        .column((latest.clone(), PersonResearch::DonorId))
        .from_subquery(numbered, latest.clone())
        .and_where(Expr::col((latest.clone(), position)).eq(1))
        .and_where(Expr::col((latest, PersonResearch::GivingCapacity)).is_in(capacities.iter().map(|c| c.as_str())))
        .to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use givance_domain::OrganizationId;
    use sea_orm::QueryTrait;
    use serde_json::json;

    use super::*;

    /// Every criterion, with values that would break SQL built from strings.
    fn everything() -> DonorFilter {
        let hostile = "x' OR '1'='1";
        DonorFilter::parse(
            "filters",
            &json!({
                "journey_stages": [hostile], "tags": { "any": [hostile, "b"], "all": ["c", "d"] },
                "donor_type": "individual", "cities": [hostile], "states": ["MA"], "countries": ["US"],
                "lifetime_giving": { "currency": "EUR", "min": "10.50", "max": "99" },
                "gift_count": { "max": 3 }, "last_gift": { "after": "2024-01-01" }, "has_email": true,
                "created": { "from": "2020-01-01" }, "giving_capacity": ["major"]
            }),
        )
        .unwrap()
    }

    #[test]
    fn values_are_bound_never_spliced_into_the_sql() {
        let scope = OrgScope::for_tests(OrganizationId::new());
        for backend in [DatabaseBackend::Postgres, DatabaseBackend::Sqlite] {
            let statement = matching(&scope, &everything(), backend).build(backend);
            let sql = statement.sql.to_lowercase();
            for literal in ["x' or", "'ma'", "'us'", "'eur'", "1050", "9900", "2024-01-01", "'major'", "'completed'"] {
                assert!(!sql.contains(literal), "{backend:?} SQL holds {literal}: {sql}");
            }
            let values = statement.values.unwrap().0;
            assert!(values.len() >= 20, "{backend:?}: {} values", values.len());
            assert!(sql.contains("left join") && sql.contains("group by"), "giving is one grouped subquery: {sql}");
            assert!(sql.contains("row_number() over"), "{sql}");
        }
    }

    #[test]
    fn giving_joins_one_aggregate_only_when_asked() {
        let scope = OrgScope::for_tests(OrganizationId::new());
        let sql = |filter: serde_json::Value| {
            let filter = DonorFilter::parse("filters", &filter).unwrap();
            matching(&scope, &filter, DatabaseBackend::Postgres).build(DatabaseBackend::Postgres).sql
        };
        assert!(!sql(json!({ "has_email": true })).contains("JOIN"));
        let both = sql(json!({ "gift_count": { "max": 2 }, "lifetime_giving": { "currency": "USD", "max": "10" } }));
        assert_eq!(both.matches("LEFT JOIN").count(), 1, "{both}");
        assert_eq!(both.matches("GROUP BY").count(), 1, "{both}");
        assert!(!both.contains("NOT IN"), "{both}");
    }
}
