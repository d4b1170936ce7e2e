//! Compiles a dynamic list's [`DonorFilter`] to SQL over `donors`, built only from SeaQuery
//! expressions: every value is a bound parameter, nothing is spliced into SQL text. The same
//! conditions serve the count, the members page and a freeze.
//!
//! Giving criteria never aggregate the gifts: they read `donor_giving_totals` (one row per donor
//! and currency) and `donor_giving` (one row per donor), which triggers on `donations` keep
//! current (decision 0031). The lifetime amount joins the donor's row in the filter's currency;
//! the number of gifts and the latest date join the donor's row of `donor_giving`. Both are
//! LEFT JOINs, so a donor who never gave reads as a sum and a count of zero. Giving capacity reads each donor's latest completed
//! research through a window function (docs/decisions/0028-donor-lists.md).

use givance_domain::OrgScope;
use givance_domain::donor::DonorType;
use givance_domain::donor_list::{DonorFilter, TagFilter};
use givance_domain::research::{GivingCapacity, ResearchStatus};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::sea_query::extension::postgres::PgBinOper;
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, IntoTableRef, Order, Query, SelectStatement, SimpleExpr, WindowStatement,
};
use sea_orm::{ColumnTrait, Condition, DatabaseBackend, DeriveIden, JoinType, QueryFilter, QueryTrait, Select};

use crate::entities::donor::{Column, Entity};
use crate::entities::donor_giving::{Column as Giving, Entity as PerDonor};
use crate::entities::donor_giving_total::{Column as Total, Entity as Totals};
use crate::scoped::scoped;

/// The organization's active donors matching `filter`.
pub(crate) fn matching(scope: &OrgScope, filter: &DonorFilter, backend: DatabaseBackend) -> Select<Entity> {
    let donors = scoped::<Entity>(scope).filter(Column::DeletedAt.is_null()).filter(condition(scope, filter, backend));
    join_giving(donors, scope, filter)
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

/// The aliases of the joins on the giving tables.
const LIFETIME: &str = "lifetime";
const GIVING: &str = "giving";

/// `COALESCE(value, 0)`: a donor without a row has given nothing.
fn zero_if_none(value: SimpleExpr) -> SimpleExpr {
    Func::coalesce([value, Expr::val(0)]).into()
}

/// `value >= min` for a bound above zero (a donor with no row, NULL, fails it as they fail
/// `0 >= min`); nothing for a bound of zero or less, which every donor meets.
fn at_least(value: SimpleExpr, min: Option<i64>) -> Option<SimpleExpr> {
    min.filter(|min| *min > 0).map(|min| value.gte(min))
}

/// LEFT JOINs `table AS alias` on the donor, within the scope's organization (which lets
/// PostgreSQL read the organization's part of the table's index alone), and `extra`.
fn join_on_donor(
    select: &mut Select<Entity>,
    scope: &OrgScope,
    table: impl IntoTableRef,
    alias: &str,
    extra: Condition,
) {
    let column = |name: &str| Expr::col((Alias::new(alias), Alias::new(name)));
    let on = extra
        .add(column("donor_id").equals((Entity, Column::Id)))
        .add(column("organization_id").eq(scope.org().into_uuid()));
    QueryTrait::query(select).join_as(JoinType::LeftJoin, table, Alias::new(alias), on);
}

/// States the giving criteria over the per-donor tables that triggers keep on `donations`
/// (decision 0031), LEFT JOINed so that a donor who never gave reads as a sum and a count of
/// zero with no latest gift: the lifetime amount from the donor's row of `donor_giving_totals`
/// in the filter's currency, the number of gifts and the latest date from `donor_giving` (every
/// currency). A lower bound above zero is stated without `COALESCE`, which lets the database
/// start from the indexed rows instead of from every donor.
fn join_giving(mut select: Select<Entity>, scope: &OrgScope, filter: &DonorFilter) -> Select<Entity> {
    let mut all = Condition::all();
    if let Some(giving) = &filter.lifetime_giving {
        let currency = Expr::col((Alias::new(LIFETIME), Total::Currency)).eq(giving.currency.code());
        join_on_donor(&mut select, scope, Totals, LIFETIME, Condition::all().add(currency));
        let total = || Expr::col((Alias::new(LIFETIME), Total::TotalCents));
        all = all.add_option(at_least(total(), giving.min.map(cents)));
        if let Some(max) = giving.max {
            all = all.add(zero_if_none(total()).lte(cents(max)));
        }
    }
    if filter.gift_count.is_some() || filter.last_gift.is_some() {
        join_on_donor(&mut select, scope, PerDonor, GIVING, Condition::all());
    }
    let giving = |column: Giving| Expr::col((Alias::new(GIVING), column));
    if let Some(count) = filter.gift_count {
        all = all.add_option(at_least(giving(Giving::GiftCount), count.min.map(i64::from)));
        if let Some(max) = count.max {
            all = all.add(zero_if_none(giving(Giving::GiftCount)).lte(i64::from(max)));
        }
    }
    if let Some(last) = filter.last_gift {
        // NULL for a donor who never gave: no date window admits them.
        if let Some(after) = last.after {
            all = all.add(giving(Giving::LastGiftDate).gt(after));
        }
        if let Some(before) = last.before {
            all = all.add(giving(Giving::LastGiftDate).lt(before));
        }
    }
    select.filter(all)
}

/// `amount` in integer cents, as `donor_giving_totals` stores it.
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
            assert_eq!(sql.matches("left join").count(), 2, "giving reads the two per-donor tables: {sql}");
            assert!(sql.contains("row_number() over"), "{sql}");
        }
    }

    #[test]
    fn giving_reads_the_totals_never_the_gifts() {
        let scope = OrgScope::for_tests(OrganizationId::new());
        let sql = |filter: serde_json::Value| {
            let filter = DonorFilter::parse("filters", &filter).unwrap();
            matching(&scope, &filter, DatabaseBackend::Postgres).build(DatabaseBackend::Postgres).sql
        };
        assert!(!sql(json!({ "has_email": true })).contains("JOIN"));
        let lifetime = sql(json!({ "lifetime_giving": { "currency": "USD", "min": "500" } }));
        assert_eq!(lifetime.matches("LEFT JOIN \"donor_giving_totals\" AS \"lifetime\"").count(), 1, "{lifetime}");
        assert!(!lifetime.contains("GROUP BY") && !lifetime.contains("COALESCE"), "{lifetime}");
        let both = sql(json!({ "gift_count": { "max": 2 }, "lifetime_giving": { "currency": "USD", "max": "10" } }));
        assert_eq!(both.matches("LEFT JOIN").count(), 2, "{both}");
        assert!(both.contains("LEFT JOIN \"donor_giving\" AS \"giving\""), "{both}");
        assert!(!both.contains("GROUP BY") && !both.contains("donations"), "{both}");
    }
}
