//! Exact money aggregates on both databases.
//!
//! PostgreSQL stores `numeric(12,2)` and sums exactly. SQLite stores the amount as a REAL and
//! its SUM adds floats, which drifts (1,000 x 0.10 is not 100.00). Every money aggregate goes
//! through [`sum_cents`]: it adds integer cents on SQLite (each amount rounded to the cent
//! first, which is exact for any stored two-place value) and casts the exact numeric sum to
//! cents on PostgreSQL, so both return the same integer. See docs/decisions/0010-money.md.

use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{DatabaseBackend, Iden};

/// `SUM(<column>)` in integer cents, exact on both backends.
pub(crate) fn sum_cents(backend: DatabaseBackend, table: &str, column: impl Iden) -> SimpleExpr {
    let column = format!("\"{table}\".\"{}\"", column.to_string());
    match backend {
        DatabaseBackend::Sqlite => Expr::cust(format!("COALESCE(SUM(CAST(ROUND({column} * 100) AS INTEGER)), 0)")),
        _ => Expr::cust(format!("COALESCE(CAST(SUM({column} * 100) AS BIGINT), 0)")),
    }
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
