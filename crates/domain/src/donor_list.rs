//! Donor lists: named groups of donors for targeting. A static list holds its members
//! (`donor_list_members`); a dynamic list is defined by filters and has no stored members.

use async_trait::async_trait;

use crate::shared::{
    DonorId, DonorListId, OrgScope, Page, PageRequest, RepoError, Timestamp, UserId, ValueError, optional_text,
    required_text,
};
use crate::string_enum;

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;
/// The most donors added or removed in one call.
pub const MEMBERS_PER_CALL_MAX: usize = 10_000;

string_enum! {
    pub enum DonorListType: "type" {
        Static => "static",
        Dynamic => "dynamic",
    }
}

/// How a list is defined. Filters exist only for dynamic lists, and a dynamic list always has
/// them: the type makes "dynamic lists have filters, static ones don't" impossible to break.
#[derive(Debug, Clone, PartialEq)]
pub enum ListDefinition {
    /// Members are added and removed one by one.
    Static,
    /// Members are the donors matching the filters (a JSON object), evaluated when read.
    Dynamic { filters: serde_json::Value },
}

impl ListDefinition {
    /// A dynamic list; the filters must be a JSON object.
    pub fn dynamic(filters: serde_json::Value) -> Result<Self, ValueError> {
        Self::from_parts(DonorListType::Dynamic, Some(filters))
    }

    /// Builds a definition from flat fields (a row, an API body), refusing filters on a static
    /// list and a dynamic list without filters.
    pub fn from_parts(list_type: DonorListType, filters: Option<serde_json::Value>) -> Result<Self, ValueError> {
        match (list_type, filters) {
            (DonorListType::Static, None | Some(serde_json::Value::Null)) => Ok(ListDefinition::Static),
            (DonorListType::Static, Some(_)) => {
                Err(ValueError::new("filters", "may only be set when type is 'dynamic'"))
            }
            (DonorListType::Dynamic, Some(filters @ serde_json::Value::Object(_))) => {
                Ok(ListDefinition::Dynamic { filters })
            }
            (DonorListType::Dynamic, Some(serde_json::Value::Null) | None) => {
                Err(ValueError::new("filters", "are required when type is 'dynamic'"))
            }
            (DonorListType::Dynamic, Some(_)) => Err(ValueError::new("filters", "must be a JSON object")),
        }
    }

    pub fn list_type(&self) -> DonorListType {
        match self {
            ListDefinition::Static => DonorListType::Static,
            ListDefinition::Dynamic { .. } => DonorListType::Dynamic,
        }
    }

    pub fn filters(&self) -> Option<&serde_json::Value> {
        match self {
            ListDefinition::Static => None,
            ListDefinition::Dynamic { filters } => Some(filters),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DonorList {
    pub id: DonorListId,
    pub name: String,
    pub description: Option<String>,
    /// `type` and `filters`.
    pub definition: ListDefinition,
    /// Cached member count.
    pub donor_count: u32,
    /// When `donor_count` was last computed.
    pub last_updated: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDonorList {
    pub name: String,
    pub description: Option<String>,
    pub definition: ListDefinition,
}

impl NewDonorList {
    /// An empty static list.
    pub fn new(name: &str, description: Option<&str>) -> Result<Self, ValueError> {
        Ok(Self {
            name: required_text("name", name, NAME_MAX)?,
            description: optional_text("description", description, DESCRIPTION_MAX)?,
            definition: ListDefinition::Static,
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        required_text("name", &self.name, NAME_MAX)?;
        optional_text("description", self.description.as_deref(), DESCRIPTION_MAX)?;
        Ok(())
    }
}

/// Changes to a list: `None` leaves a field alone, `Some(None)` clears it. Changing the
/// definition from static to dynamic removes the stored members.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DonorListPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub definition: Option<ListDefinition>,
}

impl DonorListPatch {
    pub fn validate(&self) -> Result<(), ValueError> {
        if let Some(name) = &self.name {
            required_text("name", name, NAME_MAX)?;
        }
        optional_text("description", self.description.as_ref().and_then(|d| d.as_deref()), DESCRIPTION_MAX)?;
        Ok(())
    }
}

/// A donor's membership of a static list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonorListMember {
    pub list_id: DonorListId,
    pub donor_id: DonorId,
    pub added_at: Timestamp,
    pub added_by: Option<UserId>,
}

/// The error for adding members to a dynamic list (whose members are its filters' matches);
/// repositories return it as `RepoError::Invalid`.
pub fn members_need_static_list() -> ValueError {
    ValueError::new("type", "members can only be added to a static list")
}

/// At least one and at most `MEMBERS_PER_CALL_MAX` donors per call.
pub fn check_member_batch(donors: &[DonorId]) -> Result<(), ValueError> {
    if donors.is_empty() {
        return Err(ValueError::new("donor_ids", "must name at least one donor"));
    }
    if donors.len() > MEMBERS_PER_CALL_MAX {
        return Err(ValueError::new("donor_ids", format!("at most {MEMBERS_PER_CALL_MAX} donors per call")));
    }
    Ok(())
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DonorListRepository: Send + Sync {
    async fn create(&self, scope: &OrgScope, list: NewDonorList) -> Result<DonorList, RepoError>;
    /// `None` when the list does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: DonorListId) -> Result<Option<DonorList>, RepoError>;
    /// The organization's lists, newest first.
    async fn list(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<DonorList>, RepoError>;
    /// Fails with `NotFound` when the list is not the organization's.
    async fn update(&self, scope: &OrgScope, id: DonorListId, patch: DonorListPatch) -> Result<DonorList, RepoError>;
    /// Deletes the list and its memberships (never the donors). Fails with `NotFound` when the
    /// list is not the organization's.
    async fn delete(&self, scope: &OrgScope, id: DonorListId) -> Result<(), RepoError>;
    /// Adds donors to a static list, ignoring those already in it, updates `donor_count` and
    /// returns how many were added. Fails with `NotFound` when the list or any donor is not the
    /// organization's (nothing is added then), and with `Invalid(members_need_static_list())`
    /// when the list is dynamic.
    async fn add_members(
        &self,
        scope: &OrgScope,
        list: DonorListId,
        donors: Vec<DonorId>,
        added_by: Option<UserId>,
    ) -> Result<u64, RepoError>;
    /// Removes donors from a static list, updates `donor_count` and returns how many were
    /// removed. Fails with `NotFound` when the list is not the organization's.
    async fn remove_members(&self, scope: &OrgScope, list: DonorListId, donors: Vec<DonorId>)
    -> Result<u64, RepoError>;
    /// A static list's members, most recently added first. Fails with `NotFound` when the list is
    /// not the organization's; a dynamic list has no stored members (evaluate its filters instead).
    async fn list_members(
        &self,
        scope: &OrgScope,
        list: DonorListId,
        page: PageRequest,
    ) -> Result<Page<DonorListMember>, RepoError>;
    /// The static lists the donor is a member of; empty when the donor is not the organization's.
    async fn lists_for_donor(&self, scope: &OrgScope, donor: DonorId) -> Result<Vec<DonorList>, RepoError>;
    /// Stores a freshly computed member count (for dynamic lists) with `last_updated = at`. Fails
    /// with `NotFound` when the list is not the organization's.
    async fn set_donor_count(
        &self,
        scope: &OrgScope,
        id: DonorListId,
        donor_count: u32,
        at: Timestamp,
    ) -> Result<DonorList, RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dynamic_lists_have_filters_and_static_ones_do_not() {
        use DonorListType::*;
        let cases: [(DonorListType, Option<serde_json::Value>, Result<DonorListType, &str>); 8] = [
            (Static, None, Ok(Static)),
            (Static, Some(serde_json::Value::Null), Ok(Static)),
            (Static, Some(json!({"journey_stage": "prospect"})), Err("may only be set when type is 'dynamic'")),
            (Static, Some(json!({})), Err("may only be set when type is 'dynamic'")),
            (Dynamic, Some(json!({"journey_stage": "prospect"})), Ok(Dynamic)),
            (Dynamic, None, Err("are required when type is 'dynamic'")),
            (Dynamic, Some(serde_json::Value::Null), Err("are required when type is 'dynamic'")),
            (Dynamic, Some(json!(["prospect"])), Err("must be a JSON object")),
        ];
        for (list_type, filters, expected) in cases {
            let result = ListDefinition::from_parts(list_type, filters.clone());
            match (result, expected) {
                (Ok(definition), Ok(expected_type)) => {
                    assert_eq!(definition.list_type(), expected_type);
                    assert_eq!(definition.filters().is_some(), expected_type == Dynamic);
                }
                (Err(err), Err(message)) => {
                    assert_eq!(err.field, "filters");
                    assert_eq!(err.message, message, "{list_type} {filters:?}");
                }
                (result, expected) => {
                    panic!("{list_type} {filters:?}: got {result:?}, expected {expected:?}")
                }
            }
        }
        assert_eq!(
            ListDefinition::dynamic(json!({"tags": ["major"]})).unwrap().filters(),
            Some(&json!({"tags": ["major"]}))
        );
    }

    #[test]
    fn new_lists_are_static_and_named() {
        let list = NewDonorList::new(" Major donors ", Some("  ")).unwrap();
        assert_eq!(list.name, "Major donors");
        assert_eq!(list.description, None);
        assert_eq!(list.definition.list_type(), DonorListType::Static);
        assert_eq!(NewDonorList::new(" ", None).unwrap_err().field, "name");
        assert_eq!("smart".parse::<DonorListType>().unwrap_err().field, "type");
    }

    #[test]
    fn member_batches_are_bounded() {
        assert!(check_member_batch(&[]).is_err());
        assert!(check_member_batch(&[DonorId::new()]).is_ok());
        let too_many: Vec<DonorId> = (0..=MEMBERS_PER_CALL_MAX).map(|_| DonorId::new()).collect();
        assert_eq!(check_member_batch(&too_many).unwrap_err().field, "donor_ids");
        assert_eq!(members_need_static_list().field, "type");
    }
}
