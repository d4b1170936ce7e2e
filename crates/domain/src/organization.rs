//! Organizations: the tenants. Every other row belongs to exactly one.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::shared::{OrgScope, OrganizationId, RepoError, Timestamp, ValueError, WebUrl, optional_text, required_text};

/// A URL-safe organization handle: lower-case letters, digits and single hyphens, 2 to 63 long.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let slug = raw.trim();
        let valid_chars = slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let valid_shape = !slug.starts_with('-') && !slug.ends_with('-') && !slug.contains("--");
        if !(2..=63).contains(&slug.len()) || !valid_chars || !valid_shape {
            return Err(ValueError::new(
                "slug",
                format!(
                    "'{slug}' must be 2-63 lower-case letters, digits or single hyphens, not starting or ending with a hyphen"
                ),
            ));
        }
        Ok(Self(slug.to_owned()))
    }

    /// A slug derived from a display name (`"St. Mary's Food Bank"` -> `st-mary-s-food-bank`).
    pub fn from_name(name: &str) -> Result<Self, ValueError> {
        let mut slug = String::new();
        for c in name.trim().to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug: String = slug.trim_end_matches('-').chars().take(63).collect();
        Self::parse(slug.trim_end_matches('-'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: OrganizationId,
    /// The identity provider's organization id (`org_id` in its JWTs).
    pub clerk_id: String,
    pub name: String,
    pub slug: Slug,
    /// Stage definitions and transitions (validated by the API before it is stored).
    pub donor_journey_graph: Option<serde_json::Value>,
    pub ai_instructions: Option<String>,
    pub website_url: Option<WebUrl>,
    pub website_data: Option<serde_json::Value>,
    pub website_last_crawled: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOrganization {
    pub clerk_id: String,
    pub name: String,
    pub slug: Slug,
    pub website_url: Option<WebUrl>,
}

impl NewOrganization {
    pub fn new(clerk_id: &str, name: &str, slug: Slug) -> Result<Self, ValueError> {
        Ok(Self {
            clerk_id: required_text("clerk_id", clerk_id, 200)?,
            name: required_text("name", name, 200)?,
            slug,
            website_url: None,
        })
    }
}

/// Changes to an organization: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub slug: Option<Slug>,
    pub donor_journey_graph: Option<Option<serde_json::Value>>,
    pub ai_instructions: Option<Option<String>>,
    pub website_url: Option<Option<WebUrl>>,
    pub website_data: Option<Option<serde_json::Value>>,
    pub website_last_crawled: Option<Option<Timestamp>>,
}

impl Organization {
    pub fn apply(&mut self, patch: OrganizationPatch) -> Result<(), ValueError> {
        if let Some(v) = patch.name {
            self.name = required_text("name", &v, 200)?;
        }
        if let Some(v) = patch.slug {
            self.slug = v;
        }
        if let Some(v) = patch.donor_journey_graph {
            self.donor_journey_graph = v;
        }
        if let Some(v) = patch.ai_instructions {
            self.ai_instructions = optional_text("ai_instructions", v.as_deref(), 20_000)?;
        }
        if let Some(v) = patch.website_url {
            self.website_url = v;
        }
        if let Some(v) = patch.website_data {
            self.website_data = v;
        }
        if let Some(v) = patch.website_last_crawled {
            self.website_last_crawled = v;
        }
        Ok(())
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrganizationRepository: Send + Sync {
    /// Creates a tenant. Fails with `Conflict` when the slug or clerk id is taken.
    async fn create(&self, organization: NewOrganization) -> Result<Organization, RepoError>;
    /// The scope's own organization.
    async fn get(&self, scope: &OrgScope) -> Result<Organization, RepoError>;
    /// Looks an organization up by slug, before any scope exists (the CLI's `--org`).
    async fn find_by_slug(&self, slug: &Slug) -> Result<Option<Organization>, RepoError>;
    /// Looks an organization up by the identity provider's id (a JWT's `org_id`).
    async fn find_by_clerk_id(&self, clerk_id: &str) -> Result<Option<Organization>, RepoError>;
    async fn update(&self, scope: &OrgScope, patch: OrganizationPatch) -> Result<Organization, RepoError>;
    /// Deletes the scope's organization; fails with `InUse` while any data still belongs to it.
    async fn delete(&self, scope: &OrgScope) -> Result<(), RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert!(Slug::parse("hope-for-kids-2").is_ok());
        for bad in ["", "a", "Hope", "hope kids", "-hope", "hope-", "ho--pe", "hopé"] {
            assert_eq!(Slug::parse(bad).unwrap_err().field, "slug", "{bad:?}");
        }
    }

    #[test]
    fn slugs_derive_from_names() {
        assert_eq!(Slug::from_name("St. Mary's Food Bank").unwrap().as_str(), "st-mary-s-food-bank");
        assert_eq!(Slug::from_name("  Hope 4 Kids!  ").unwrap().as_str(), "hope-4-kids");
        assert!(Slug::from_name("!!!").is_err());
    }
}
