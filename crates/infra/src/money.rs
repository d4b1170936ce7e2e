//! Exact money aggregates on both databases.
//!
//! PostgreSQL stores `numeric(12,2)` and sums exactly. SQLite stores the amount as a REAL and
//! its SUM adds floats, which drifts (1,000 x 0.10 is not 100.00). Every money aggregate goes
//! through [`sum_cents`]: it adds integer cents on SQLite (each amount rounded to the cent
//! first, which is exact for any stored two-place value) and casts the exact numeric sum to
//! cents on PostgreSQL, so both return the same integer. See docs/decisions/0010-money.md.

use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{DatabaseBackend, Iden};

/// `SUM(<column>)` in integer cents, exact on both backends.
pub(crate) fn sum_cents(backend: DatabaseBackend, table: &str, column: impl Iden + 'static) -> SimpleExpr {
    sum_cents_of(backend, Expr::col((Alias::new(table), column)))
}

/// [`sum_cents`] as SQL text over any amount expression, for hand-written queries (the
/// reports). Rows where `amount` is NULL (a `CASE` without `ELSE`) add nothing.
pub(crate) fn sum_cents_sql(backend: DatabaseBackend, amount: &str) -> String {
    match backend {
        DatabaseBackend::Sqlite => format!("COALESCE(SUM(CAST(ROUND({amount} * 100) AS INTEGER)), 0)"),
        _ => format!("COALESCE(CAST(SUM({amount} * 100) AS BIGINT), 0)"),
    }
}

/// [`sum_cents`] over an amount built with SeaQuery (a `CASE` choosing some rows; NULLs add
/// nothing), for conditions that compare it with bound cents. PostgreSQL scales the exact
/// numeric sum once instead of every row.
pub(crate) fn sum_cents_of(backend: DatabaseBackend, amount: SimpleExpr) -> SimpleExpr {
    let cents: SimpleExpr = match backend {
        DatabaseBackend::Sqlite => Func::sum(Func::cast_as(Func::round(amount.mul(100)), "INTEGER")).into(),
        _ => Func::cast_as(Expr::expr(Func::sum(amount)).mul(100), "BIGINT").into(),
    };
    Func::coalesce([cents, Expr::val(0)]).into()
}

pub(crate) fn cents_to_decimal(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// A stored amount read back exactly: SQLite hands back a float, which rounds to the stored
/// two-place value.
pub(crate) fn stored_amount(amount: Decimal) -> Decimal {
    let mut amount = amount.round_dp(2);
    amount.rescale(2);
    amount
}
