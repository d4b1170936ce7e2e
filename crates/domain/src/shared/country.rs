use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ValueError;

/// An ISO 3166-1 alpha-2 country code, upper-case (`US`, `GB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let code = raw.trim().to_ascii_uppercase();
        let known = code.len() == 2 && celes::Country::from_alpha2(&code).is_ok();
        match (known, code.as_bytes()) {
            (true, [a, b]) => Ok(Self([*a, *b])),
            _ => Err(ValueError::new("country", format!("'{}' is not an ISO 3166-1 alpha-2 country code", raw.trim()))),
        }
    }

    /// The United States, the schema's default for donor addresses.
    pub const US: CountryCode = CountryCode(*b"US");

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CountryCode {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CountryCode {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_assigned_codes_in_any_case() {
        assert_eq!(CountryCode::parse("gb").unwrap().as_str(), "GB");
        assert_eq!(CountryCode::parse(" US ").unwrap(), CountryCode::US);
    }

    #[test]
    fn rejects_unassigned_or_malformed_codes() {
        for bad in ["", "U", "USA", "XX", "1A", "ÜS"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
