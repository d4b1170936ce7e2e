//! Pieces every resource's request and response mapping shares: collecting field errors into
//! one 422, rendering money, and the list envelope.

use givance_domain::ValueError;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::ApiError;

/// Collects field errors while a request is turned into a domain command, so one 422 lists
/// every bad field at once.
#[derive(Default)]
pub(crate) struct Faults(Vec<ValueError>);

impl Faults {
    /// The value, or `None` with its error recorded.
    pub(crate) fn take<T>(&mut self, result: Result<T, ValueError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    pub(crate) fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.record(ValueError::new(field, message));
    }

    pub(crate) fn record(&mut self, error: ValueError) {
        self.0.push(error);
    }

    /// `value` when no field was refused, else the 422 listing them all.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.0.is_empty() { Ok(value) } else { Err(self.0.into()) }
    }
}

/// Money as the API writes it: a decimal string with two places (`"25.00"`).
pub(crate) fn money_text(mut amount: Decimal) -> String {
    amount.rescale(2);
    amount.to_string()
}

/// One page of a list: `{ "data": [...], "next_cursor": ... }`.
#[derive(Debug, Serialize)]
pub struct ListResponse<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}
