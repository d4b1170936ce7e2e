use std::fmt;

use serde::{Deserialize, Serialize};

use super::ValueError;

/// An absolute `http` or `https` URL with a host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebUrl(url::Url);

impl WebUrl {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        let url = url::Url::parse(trimmed)
            .map_err(|err| ValueError::new("url", format!("'{trimmed}' is not a valid URL: {err}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(ValueError::new("url", format!("'{trimmed}' must be an http(s) URL with a host")));
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for WebUrl {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for WebUrl {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WebUrl> for String {
    fn from(value: WebUrl) -> Self {
        value.0.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https() {
        assert_eq!(WebUrl::parse(" https://example.org/give ").unwrap().as_str(), "https://example.org/give");
        assert!(WebUrl::parse("http://localhost:8080").is_ok());
    }

    #[test]
    fn rejects_other_schemes_and_relative_urls() {
        for bad in ["", "example.org", "/give", "ftp://example.org", "javascript:alert(1)", "mailto:a@b.co"] {
            assert!(WebUrl::parse(bad).is_err(), "{bad:?}");
        }
    }
}
