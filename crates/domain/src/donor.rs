//! Donors: individuals and couples who give to an organization.

use async_trait::async_trait;

use crate::shared::{
    CountryCode, DonorId, EmailAddress, OrgScope, Page, PageRequest, PhoneNumber, RepoError, Timestamp, ValueError,
    optional_text, required_text,
};
use crate::string_enum;

string_enum! {
    pub enum DonorType: "donor_type" {
        Individual => "individual",
        Couple => "couple",
    }
}

/// The second person of a couple.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spouse {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<EmailAddress>,
}

/// Whether the donor is one person or a couple. Spouse details exist only for couples: the
/// type makes "spouse fields are set only for couples" impossible to break.
#[derive(Debug, Clone, PartialEq)]
pub enum Household {
    Individual,
    Couple(Spouse),
}

impl Household {
    pub fn donor_type(&self) -> DonorType {
        match self {
            Household::Individual => DonorType::Individual,
            Household::Couple(_) => DonorType::Couple,
        }
    }

    pub fn spouse(&self) -> Option<&Spouse> {
        match self {
            Household::Individual => None,
            Household::Couple(spouse) => Some(spouse),
        }
    }

    /// Builds a household from flat fields (a row, a CSV line, an API body), refusing spouse
    /// details on an individual.
    pub fn from_parts(donor_type: DonorType, spouse: Spouse) -> Result<Self, ValueError> {
        match donor_type {
            DonorType::Couple => Ok(Household::Couple(spouse)),
            DonorType::Individual if spouse == Spouse::default() => Ok(Household::Individual),
            DonorType::Individual => {
                Err(ValueError::new("donor_type", "spouse fields may only be set when donor_type is 'couple'"))
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: Option<CountryCode>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Donor {
    pub id: DonorId,
    /// The donor's id in another system (unique within the organization).
    pub external_id: Option<String>,
    pub household: Household,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    pub address: Address,
    pub journey_stage: Option<String>,
    pub ai_classification: Option<String>,
    pub last_contact_date: Option<Timestamp>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub custom_fields: Option<serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

impl Donor {
    /// A new donor from a create command, with a fresh id, created and updated `at`.
    pub fn register(new: NewDonor, at: Timestamp) -> Donor {
        Donor {
            id: DonorId::new(),
            external_id: new.external_id,
            household: new.household,
            first_name: new.first_name,
            last_name: new.last_name,
            email: new.email,
            phone: new.phone,
            address: new.address,
            journey_stage: new.journey_stage,
            ai_classification: None,
            last_contact_date: None,
            notes: new.notes,
            tags: new.tags,
            custom_fields: new.custom_fields,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        }
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// A donor to create. Build it with [`NewDonor::individual`] or [`NewDonor::couple`] and set
/// the optional fields; [`NewDonor::validate`] checks the free-text limits.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDonor {
    pub external_id: Option<String>,
    pub household: Household,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    pub address: Address,
    pub journey_stage: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub custom_fields: Option<serde_json::Value>,
}

pub const NAME_MAX: usize = 200;
pub const NOTES_MAX: usize = 10_000;
pub const TAG_MAX: usize = 100;
pub const TAGS_MAX: usize = 100;

impl NewDonor {
    pub fn individual(first_name: Option<&str>, last_name: Option<&str>) -> Result<Self, ValueError> {
        Ok(Self {
            external_id: None,
            household: Household::Individual,
            first_name: optional_text("first_name", first_name, NAME_MAX)?,
            last_name: optional_text("last_name", last_name, NAME_MAX)?,
            email: None,
            phone: None,
            address: Address::default(),
            journey_stage: None,
            notes: None,
            tags: Vec::new(),
            custom_fields: None,
        })
    }

    pub fn couple(first_name: Option<&str>, last_name: Option<&str>, spouse: Spouse) -> Result<Self, ValueError> {
        Ok(Self { household: Household::Couple(spouse), ..Self::individual(first_name, last_name)? })
    }

    /// Checks what the field types alone cannot: lengths and tag shape.
    pub fn validate(&self) -> Result<(), ValueError> {
        optional_text("external_id", self.external_id.as_deref(), NAME_MAX)?;
        optional_text("notes", self.notes.as_deref(), NOTES_MAX)?;
        validate_tags(&self.tags)
    }
}

/// Tags are non-empty, at most `TAG_MAX` characters, at most `TAGS_MAX` of them.
pub fn validate_tags(tags: &[String]) -> Result<(), ValueError> {
    if tags.len() > TAGS_MAX {
        return Err(ValueError::new("tags", format!("at most {TAGS_MAX} tags")));
    }
    for tag in tags {
        if tag.trim().is_empty() || tag.chars().count() > TAG_MAX {
            return Err(ValueError::new("tags", format!("each tag must be 1-{TAG_MAX} characters")));
        }
    }
    Ok(())
}

string_enum! {
    /// The order of a donor list. Both are keyset-paginated on `(created_at, id)`.
    #[derive(Default)]
    pub enum DonorSort: "sort" {
        #[default]
        Newest => "newest",
        Oldest => "oldest",
    }
}

/// A case-insensitive prefix of a first name, last name or email address: 1 to 100 characters,
/// held lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPrefix(String);

impl SearchPrefix {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let prefix = required_text("q", raw, 100)?;
        Ok(Self(prefix.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn starts(&self, text: Option<&str>) -> bool {
        text.is_some_and(|t| t.to_lowercase().starts_with(&self.0))
    }
}

/// Which donors a list shows, and in which order. Every filter that is set must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DonorQuery {
    pub search: Option<SearchPrefix>,
    pub journey_stage: Option<String>,
    /// Donors carrying this tag.
    pub tag: Option<String>,
    pub donor_type: Option<DonorType>,
    /// Created at or after.
    pub created_from: Option<Timestamp>,
    /// Created strictly before.
    pub created_to: Option<Timestamp>,
    pub has_email: Option<bool>,
    pub sort: DonorSort,
}

impl DonorQuery {
    /// The same test the database applies, for in-memory implementations.
    pub fn matches(&self, donor: &Donor) -> bool {
        let search = self.search.as_ref().is_none_or(|prefix| {
            prefix.starts(donor.first_name.as_deref())
                || prefix.starts(donor.last_name.as_deref())
                || prefix.starts(donor.email.as_ref().map(EmailAddress::as_str))
        });
        search
            && self.journey_stage.as_ref().is_none_or(|stage| donor.journey_stage.as_ref() == Some(stage))
            && self.tag.as_ref().is_none_or(|tag| donor.tags.contains(tag))
            && self.donor_type.is_none_or(|t| donor.household.donor_type() == t)
            && self.created_from.is_none_or(|from| donor.created_at >= from)
            && self.created_to.is_none_or(|to| donor.created_at < to)
            && self.has_email.is_none_or(|wanted| donor.email.is_some() == wanted)
    }
}

/// Changes to a donor: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DonorPatch {
    pub external_id: Option<Option<String>>,
    pub household: Option<Household>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub email: Option<Option<EmailAddress>>,
    pub phone: Option<Option<PhoneNumber>>,
    pub address: Option<Address>,
    pub journey_stage: Option<Option<String>>,
    pub ai_classification: Option<Option<String>>,
    pub last_contact_date: Option<Option<Timestamp>>,
    pub notes: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Option<serde_json::Value>>,
}

impl Donor {
    /// Applies a patch, checking the same limits as [`NewDonor::validate`].
    pub fn apply(&mut self, patch: DonorPatch) -> Result<(), ValueError> {
        if let Some(v) = patch.external_id {
            self.external_id = optional_text("external_id", v.as_deref(), NAME_MAX)?;
        }
        if let Some(v) = patch.household {
            self.household = v;
        }
        if let Some(v) = patch.first_name {
            self.first_name = optional_text("first_name", v.as_deref(), NAME_MAX)?;
        }
        if let Some(v) = patch.last_name {
            self.last_name = optional_text("last_name", v.as_deref(), NAME_MAX)?;
        }
        if let Some(v) = patch.email {
            self.email = v;
        }
        if let Some(v) = patch.phone {
            self.phone = v;
        }
        if let Some(v) = patch.address {
            self.address = v;
        }
        if let Some(v) = patch.journey_stage {
            self.journey_stage = optional_text("journey_stage", v.as_deref(), NAME_MAX)?;
        }
        if let Some(v) = patch.ai_classification {
            self.ai_classification = optional_text("ai_classification", v.as_deref(), NAME_MAX)?;
        }
        if let Some(v) = patch.last_contact_date {
            self.last_contact_date = v;
        }
        if let Some(v) = patch.notes {
            self.notes = optional_text("notes", v.as_deref(), NOTES_MAX)?;
        }
        if let Some(v) = patch.tags {
            validate_tags(&v)?;
            self.tags = v;
        }
        if let Some(v) = patch.custom_fields {
            self.custom_fields = v;
        }
        Ok(())
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DonorRepository: Send + Sync {
    /// Fails with `Conflict` when the external id is already used in the organization.
    async fn create(&self, scope: &OrgScope, donor: NewDonor) -> Result<Donor, RepoError>;
    /// A donor that is not soft-deleted.
    async fn get(&self, scope: &OrgScope, id: DonorId) -> Result<Option<Donor>, RepoError>;
    async fn find_by_external_id(&self, scope: &OrgScope, external_id: &str) -> Result<Option<Donor>, RepoError>;
    /// Donors that are not soft-deleted and match `query`, in its order.
    async fn list(&self, scope: &OrgScope, query: &DonorQuery, page: PageRequest) -> Result<Page<Donor>, RepoError>;
    /// Soft-deleted donors, most recently created first.
    async fn list_deleted(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<Donor>, RepoError>;
    async fn update(&self, scope: &OrgScope, id: DonorId, patch: DonorPatch) -> Result<Donor, RepoError>;
    /// Marks the donor deleted; it disappears from `get` and `list` but keeps its history.
    async fn soft_delete(&self, scope: &OrgScope, id: DonorId) -> Result<(), RepoError>;
    async fn restore(&self, scope: &OrgScope, id: DonorId) -> Result<Donor, RepoError>;
    /// Erases the donor and everything about them (donations, communications, research, ...).
    async fn hard_delete(&self, scope: &OrgScope, id: DonorId) -> Result<(), RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spouse_fields_need_a_couple() {
        let spouse = Spouse { first_name: Some("Grace".into()), ..Spouse::default() };
        assert!(Household::from_parts(DonorType::Couple, spouse.clone()).is_ok());
        let err = Household::from_parts(DonorType::Individual, spouse).unwrap_err();
        assert_eq!(err.field, "donor_type");
        assert_eq!(Household::from_parts(DonorType::Individual, Spouse::default()).unwrap(), Household::Individual);
    }

    #[test]
    fn new_donors_bound_their_text() {
        let long = "x".repeat(NAME_MAX + 1);
        assert_eq!(NewDonor::individual(Some(&long), None).unwrap_err().field, "first_name");
        let mut donor = NewDonor::individual(Some(" Ada "), Some("Lovelace")).unwrap();
        assert_eq!(donor.first_name.as_deref(), Some("Ada"));
        donor.tags = vec!["major".into(), " ".into()];
        assert_eq!(donor.validate().unwrap_err().field, "tags");
    }

    #[test]
    fn queries_match_like_the_database() {
        let mut new = NewDonor::individual(Some("Ada"), Some("Smith")).unwrap();
        new.email = Some(EmailAddress::parse("ada@example.org").unwrap());
        new.tags = vec!["major".into()];
        let donor = Donor::register(new, crate::shared::time::now());
        let query = |f: fn(&mut DonorQuery)| {
            let mut q = DonorQuery::default();
            f(&mut q);
            q.matches(&donor)
        };
        assert!(query(|_| {}));
        assert!(query(|q| q.search = Some(SearchPrefix::parse("SMI").unwrap())));
        assert!(query(|q| q.search = Some(SearchPrefix::parse("ada@ex").unwrap())));
        assert!(!query(|q| q.search = Some(SearchPrefix::parse("mith").unwrap())), "a prefix, not a substring");
        assert!(query(|q| q.tag = Some("major".into())));
        assert!(!query(|q| q.tag = Some("board".into())));
        assert!(!query(|q| q.donor_type = Some(DonorType::Couple)));
        assert!(query(|q| q.has_email = Some(true)));
        assert!(!query(|q| q.has_email = Some(false)));
        assert!(!query(|q| q.journey_stage = Some("prospect".into())));
        assert!(SearchPrefix::parse("  ").is_err());
        assert!(SearchPrefix::parse(&"x".repeat(101)).is_err());
    }

    #[test]
    fn donor_types_parse_strictly() {
        assert_eq!("couple".parse::<DonorType>().unwrap(), DonorType::Couple);
        assert!("company".parse::<DonorType>().is_err());
    }
}
