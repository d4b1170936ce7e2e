use std::fmt;

use serde::{Deserialize, Serialize};

use super::{CountryCode, ValueError};

/// A valid phone number in E.164 form (`+14155552671`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number written in E.164 or in international form (`+44 20 7946 0958`).
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        Self::parse_in_region(raw, None)
    }

    /// Parses a number that may be written nationally (`(415) 555-2671`), reading it as a
    /// number of `region` when it has no country prefix.
    pub fn parse_in_region(raw: &str, region: Option<CountryCode>) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        let invalid = || ValueError::new("phone", format!("'{trimmed}' is not a valid phone number"));
        if trimmed.is_empty() {
            return Err(ValueError::new("phone", "must not be empty"));
        }
        let country = region.and_then(|code| code.as_str().parse::<phonenumber::country::Id>().ok());
        let number = phonenumber::parse(country, trimmed).map_err(|_| invalid())?;
        if !number.is_valid() {
            return Err(invalid());
        }
        Ok(Self(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    /// A number as this system stored it, already validated and in E.164: only its shape
    /// (`+`, then 7 to 15 digits, the first not 0) is checked. Full validation runs a
    /// numbering-plan parser, which cost more than everything else of reading a donor page.
    pub fn from_e164(stored: String) -> Result<Self, ValueError> {
        let digits = stored.strip_prefix('+').unwrap_or_default();
        let shaped =
            (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if shaped {
            Ok(Self(stored))
        } else {
            Err(ValueError::new("phone", format!("'{stored}' is not in E.164 form")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_international_numbers_to_e164() {
        assert_eq!(PhoneNumber::parse("+44 20 7946 0958").unwrap().as_str(), "+442079460958");
        assert_eq!(PhoneNumber::parse("+1 (415) 555-2671").unwrap().as_str(), "+14155552671");
    }

    #[test]
    fn reads_national_numbers_in_the_given_region() {
        let us = Some(CountryCode::US);
        assert_eq!(PhoneNumber::parse_in_region("(415) 555-2671", us).unwrap().as_str(), "+14155552671");
        let gb = Some(CountryCode::parse("GB").unwrap());
        assert_eq!(PhoneNumber::parse_in_region("020 7946 0958", gb).unwrap().as_str(), "+442079460958");
    }

    #[test]
    fn stored_numbers_are_checked_for_shape_only() {
        assert_eq!(PhoneNumber::from_e164("+442079460958".into()).unwrap().as_str(), "+442079460958");
        for bad in ["", "+", "442079460958", "+44 20 7946 0958", "+0442079460958", "+123456", "+1234567890123456"] {
            assert_eq!(PhoneNumber::from_e164(bad.into()).unwrap_err().field, "phone", "{bad:?}");
        }
    }

    #[test]
    fn rejects_invalid_numbers() {
        for bad in ["", "hello", "+1 555", "12345", "+999 123 456 789"] {
            assert_eq!(PhoneNumber::parse(bad).unwrap_err().field, "phone", "{bad:?}");
        }
        // A national number without a region cannot be placed.
        assert!(PhoneNumber::parse("(415) 555-2671").is_err());
    }
}
