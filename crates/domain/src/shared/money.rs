//! Money is an exact decimal with two places and an ISO 4217 currency; never a float.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ValueError;

/// The largest magnitude `numeric(12,2)` holds.
fn max_amount() -> Decimal {
    // 9_999_999_999.99
    Decimal::new(999_999_999_999, 2)
}

/// An active ISO 4217 currency code (`USD`, `EUR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub const USD: Currency = Currency(iso_currency::Currency::USD);

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let code = raw.trim().to_ascii_uppercase();
        iso_currency::Currency::from_code(&code)
            .map(Self)
            .ok_or_else(|| ValueError::new("currency", format!("'{}' is not an ISO 4217 currency code", raw.trim())))
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self::USD
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.code().to_owned()
    }
}

/// An amount with at most two decimal places, within what `numeric(12,2)` stores, in a currency.
/// The amount is always held at scale 2, so `25` and `25.00` are the same value and print alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, ValueError> {
        Ok(Self { amount: Self::check_amount(amount)?, currency })
    }

    /// Parses a decimal string such as `"25.00"`; floats never enter the domain.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, ValueError> {
        let parsed = Decimal::from_str_exact(amount.trim())
            .map_err(|_| ValueError::new("amount", format!("'{}' is not a decimal number", amount.trim())))?;
        Self::new(parsed, currency)
    }

    /// Checks scale and range, returning the amount at scale 2.
    pub fn check_amount(amount: Decimal) -> Result<Decimal, ValueError> {
        let normalised = amount.normalize();
        if normalised.scale() > 2 {
            return Err(ValueError::new("amount", format!("{amount} has more than two decimal places")));
        }
        if normalised.abs() > max_amount() {
            return Err(ValueError::new("amount", format!("{amount} is larger than 9999999999.99")));
        }
        let mut at_two = normalised;
        at_two.rescale(2);
        Ok(at_two)
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn holds_amounts_at_two_places() {
        let money = Money::new(dec!(25), Currency::USD).unwrap();
        assert_eq!(money.amount().to_string(), "25.00");
        assert_eq!(Money::parse("0.1", Currency::USD).unwrap().amount().to_string(), "0.10");
        assert_eq!(Money::parse("12.500", Currency::USD).unwrap().amount().to_string(), "12.50");
    }

    #[test]
    fn rejects_more_than_two_places_and_overflow() {
        assert_eq!(Money::parse("0.001", Currency::USD).unwrap_err().field, "amount");
        assert!(Money::parse("10000000000.00", Currency::USD).is_err());
        assert!(Money::parse("9999999999.99", Currency::USD).is_ok());
        assert!(Money::parse("1e3", Currency::USD).is_err());
        assert!(Money::parse("abc", Currency::USD).is_err());
    }

    #[test]
    fn sums_exactly() {
        let total: Decimal = (0..1000).map(|_| Money::parse("0.10", Currency::USD).unwrap().amount()).sum();
        assert_eq!(total, dec!(100.00));
    }

    #[test]
    fn currencies_are_iso_4217() {
        assert_eq!(Currency::parse("eur").unwrap().code(), "EUR");
        assert_eq!(Currency::default(), Currency::USD);
        for bad in ["", "EURO", "XYZ", "us"] {
            assert!(Currency::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serialises_amount_as_a_decimal_string() {
        let money = Money::parse("1234.5", Currency::parse("GBP").unwrap()).unwrap();
        let json = serde_json::to_value(money).unwrap();
        assert_eq!(json, serde_json::json!({"amount": "1234.50", "currency": "GBP"}));
    }
}
