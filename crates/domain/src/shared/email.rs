use std::fmt;

use serde::{Deserialize, Serialize};
use validator::ValidateEmail;

use super::ValueError;

/// A syntactically valid email address, trimmed and lower-cased so that comparisons are
/// case-insensitive everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let normalised = raw.trim().to_lowercase();
        if normalised.is_empty() {
            return Err(ValueError::new("email", "must not be empty"));
        }
        if !normalised.validate_email() {
            return Err(ValueError::new("email", format!("'{}' is not a valid email address", raw.trim())));
        }
        Ok(Self(normalised))
    }

    /// An address as this system stored it, already validated and normalised: only its shape
    /// (one `@` with text on both sides, no upper case or white space) is checked, not the full
    /// syntax, which costs a regular expression per address read.
    pub fn from_normalised(stored: String) -> Result<Self, ValueError> {
        let shaped = stored
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
            && !stored.chars().any(|c| c.is_uppercase() || c.is_whitespace());
        if shaped {
            Ok(Self(stored))
        } else {
            Err(ValueError::new("email", format!("'{stored}' is not a normalised email address")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for EmailAddress {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases() {
        let email = EmailAddress::parse("  Ada.Lovelace@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.org");
        assert_eq!(email.domain(), "example.org");
    }

    #[test]
    fn stored_addresses_are_checked_for_shape_only() {
        assert_eq!(EmailAddress::from_normalised("ada@example.org".into()).unwrap().as_str(), "ada@example.org");
        for bad in ["", "ada", "@example.org", "ada@", "ada@b@example.org", "Ada@example.org", "ada @example.org"] {
            assert_eq!(EmailAddress::from_normalised(bad.into()).unwrap_err().field, "email", "{bad:?}");
        }
    }

    #[test]
    fn rejects_invalid_addresses() {
        for bad in ["", "   ", "plainaddress", "@example.org", "ada@", "ada@@example.org", "ada lovelace@example.org"] {
            let err = EmailAddress::parse(bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad:?}");
        }
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<EmailAddress>("\"not-an-email\"").is_err());
        let email: EmailAddress = serde_json::from_str("\"A@B.CO\"").unwrap();
        assert_eq!(email.as_str(), "a@b.co");
    }
}
