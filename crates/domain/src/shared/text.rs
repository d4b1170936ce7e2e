//! Free-text fields: trimmed, empty means absent, bounded in length.

use std::fmt;

use super::ValueError;

/// Trims `value`; `None` when nothing is left; an error naming `field` when it is longer than
/// `max_chars` characters.
pub fn optional_text(field: &'static str, value: Option<&str>, max_chars: usize) -> Result<Option<String>, ValueError> {
    let Some(trimmed) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if trimmed.chars().count() > max_chars {
        return Err(ValueError::new(field, format!("must be at most {max_chars} characters")));
    }
    Ok(Some(trimmed.to_owned()))
}

/// As [`optional_text`], but the value must be present.
pub fn required_text(field: &'static str, value: &str, max_chars: usize) -> Result<String, ValueError> {
    optional_text(field, Some(value), max_chars)?.ok_or_else(|| ValueError::new(field, "must not be empty"))
}

/// A secret (an OAuth refresh token): never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_is_absent_and_long_text_is_refused() {
        assert_eq!(optional_text("notes", Some("  "), 10).unwrap(), None);
        assert_eq!(optional_text("notes", Some(" hi "), 10).unwrap().as_deref(), Some("hi"));
        assert_eq!(optional_text("notes", Some("ééééé"), 5).unwrap().as_deref(), Some("ééééé"));
        assert_eq!(optional_text("notes", Some("abcdef"), 5).unwrap_err().field, "notes");
        assert_eq!(required_text("name", "", 5).unwrap_err().message, "must not be empty");
    }

    #[test]
    fn secrets_do_not_print() {
        let secret = Secret::new("refresh-token-value");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "refresh-token-value");
    }
}
