//! Donor lists: named groups of donors for targeting. A static list holds its members
//! (`donor_list_members`); a dynamic list is defined by a [`DonorFilter`] and its members are
//! the organization's active donors matching it when read. See docs/decisions/0028-donor-lists.md.

mod filter;

use async_trait::async_trait;

pub use filter::{CountRange, DateWindow, DonorFilter, GivingRange, TagFilter, TimeWindow, VALUES_MAX};

use crate::donor::Donor;
use crate::shared::{
    DonorId, DonorListId, OrgScope, Page, PageRequest, RepoError, Timestamp, ValueError, optional_text, required_text,
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
    /// Members are added and removed explicitly.
    Static,
    /// Members are the active donors matching the filter, evaluated when read.
    /// (Boxed: a filter is large beside the static variant.)
    Dynamic { filter: Box<DonorFilter> },
}

impl ListDefinition {
    /// Builds a definition from flat fields (a row, an API body), refusing filters on a static
    /// list and a dynamic list without filters; the filters' own faults are named by their JSON
    /// path under `filters`.
    pub fn from_parts(list_type: DonorListType, filters: Option<&serde_json::Value>) -> Result<Self, Vec<ValueError>> {
        match (list_type, filters) {
            (DonorListType::Static, None | Some(serde_json::Value::Null)) => Ok(ListDefinition::Static),
            (DonorListType::Static, Some(_)) => {
                Err(vec![ValueError::new("filters", "may only be set when type is 'dynamic'")])
            }
            (DonorListType::Dynamic, Some(serde_json::Value::Null) | None) => {
                Err(vec![ValueError::new("filters", "are required when type is 'dynamic'")])
            }
            (DonorListType::Dynamic, Some(filters)) => DonorFilter::parse("filters", filters)
                .map(|filter| ListDefinition::Dynamic { filter: Box::new(filter) }),
        }
    }

    pub fn list_type(&self) -> DonorListType {
        match self {
            ListDefinition::Static => DonorListType::Static,
            ListDefinition::Dynamic { .. } => DonorListType::Dynamic,
        }
    }

    pub fn filter(&self) -> Option<&DonorFilter> {
        match self {
            ListDefinition::Static => None,
            ListDefinition::Dynamic { filter } => Some(filter),
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
    /// Members when `last_updated` was set: the active donors in a static list, the active
    /// donors matching a dynamic one.
    pub donor_count: u32,
    /// When `donor_count` was last computed.
    pub last_updated: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl DonorList {
    /// Applies a patch: text limits, and filters only on a dynamic list (a list's type never
    /// changes; freezing makes a static copy instead).
    pub fn apply(&mut self, patch: DonorListPatch) -> Result<(), ValueError> {
        patch.validate()?;
        if let Some(name) = patch.name {
            self.name = required_text("name", &name, NAME_MAX)?;
        }
        if let Some(description) = patch.description {
            self.description = optional_text("description", description.as_deref(), DESCRIPTION_MAX)?;
        }
        if let Some(filter) = patch.filter {
            match &mut self.definition {
                ListDefinition::Dynamic { filter: current } => **current = filter,
                ListDefinition::Static => return Err(ValueError::new("filters", "a static list has no filters")),
            }
        }
        Ok(())
    }
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

    /// A dynamic list of the donors matching `filter`.
    pub fn dynamic(name: &str, description: Option<&str>, filter: DonorFilter) -> Result<Self, ValueError> {
        Ok(Self { definition: ListDefinition::Dynamic { filter: Box::new(filter) }, ..Self::new(name, description)? })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        required_text("name", &self.name, NAME_MAX)?;
        optional_text("description", self.description.as_deref(), DESCRIPTION_MAX)?;
        Ok(())
    }
}

/// Changes to a list: `None` leaves a field alone, `Some(None)` clears it. `filter` replaces a
/// dynamic list's filter (the count is recomputed); a static list refuses it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DonorListPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub filter: Option<DonorFilter>,
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

/// The outcome of adding or removing members of a static list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberChange {
    /// Donors actually added (not already members) or removed (members until then).
    pub changed: u64,
    /// The list's member count afterwards.
    pub donor_count: u32,
}

/// The error for adding members to (or removing them from) a dynamic list, whose members are
/// its filter's matches; repositories return it as `RepoError::Invalid`.
pub fn members_need_static_list() -> ValueError {
    ValueError::new("type", "members can only be added to or removed from a static list")
}

/// The error for freezing a list that is already static.
pub fn freeze_needs_dynamic_list() -> ValueError {
    ValueError::new("type", "only a dynamic list can be frozen")
}

/// The default name of a snapshot of the list `source` taken on `day`:
/// `"<source> (snapshot YYYY-MM-DD)"`, the source name shortened to fit [`NAME_MAX`].
pub fn snapshot_name(source: &str, day: chrono::NaiveDate) -> String {
    let suffix = format!(" (snapshot {day})");
    let room = NAME_MAX.saturating_sub(suffix.chars().count());
    let mut name: String = source.chars().take(room).collect();
    name.push_str(&suffix);
    name
}

/// How many unknown donors [`unknown_donors`] names before summarising the rest.
const UNKNOWN_NAMED_MAX: usize = 20;

/// The error for donors that are not active donors of the organization (unknown, another
/// organization's, or soft-deleted), naming them; nothing is added then.
pub fn unknown_donors(donors: &[DonorId]) -> ValueError {
    let named: Vec<String> = donors.iter().take(UNKNOWN_NAMED_MAX).map(ToString::to_string).collect();
    let rest = donors.len().saturating_sub(UNKNOWN_NAMED_MAX);
    let more = if rest > 0 { format!(" and {rest} more") } else { String::new() };
    ValueError::new("donor_ids", format!("not donors of this organization: {}{more}", named.join(", ")))
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
    /// Creates a list; a dynamic list's `donor_count` is computed at once.
    async fn create(&self, scope: &OrgScope, list: NewDonorList) -> Result<DonorList, RepoError>;
    /// The list as stored (its `donor_count` as of `last_updated`); `None` when the list does
    /// not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: DonorListId) -> Result<Option<DonorList>, RepoError>;
    /// The organization's lists, newest first, with their stored counts.
    async fn list(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<DonorList>, RepoError>;
    /// Fails with `NotFound` when the list is not the organization's and with `Invalid` when the
    /// patch does not apply (filters on a static list). A new filter recounts the members.
    async fn update(&self, scope: &OrgScope, id: DonorListId, patch: DonorListPatch) -> Result<DonorList, RepoError>;
    /// Deletes the list and its memberships (never the donors). Fails with `NotFound` when the
    /// list is not the organization's.
    async fn delete(&self, scope: &OrgScope, id: DonorListId) -> Result<(), RepoError>;
    /// Adds donors to a static list, ignoring those already in it, recorded as added by the
    /// scope's user, and recounts the list. Fails with `NotFound` when the list is not the
    /// organization's, with `Invalid(unknown_donors(..))` when any donor is not an active donor
    /// of the organization (nothing is added then), with `Invalid(check_member_batch(..))` for
    /// an empty or oversized batch and with `Invalid(members_need_static_list())` when the list
    /// is dynamic.
    async fn add_members(
        &self,
        scope: &OrgScope,
        list: DonorListId,
        donors: Vec<DonorId>,
    ) -> Result<MemberChange, RepoError>;
    /// Removes donors from a static list (ids that are not members are ignored) and recounts
    /// it. Fails as `add_members` does, except that unknown donors are not an error.
    async fn remove_members(
        &self,
        scope: &OrgScope,
        list: DonorListId,
        donors: Vec<DonorId>,
    ) -> Result<MemberChange, RepoError>;
    /// The list's active members, newest donors first: a static list's stored members, a
    /// dynamic list's current matches. Fails with `NotFound` when the list is not the
    /// organization's.
    async fn members(&self, scope: &OrgScope, list: DonorListId, page: PageRequest) -> Result<Page<Donor>, RepoError>;
    /// Computes the list's member count now and stores it with `last_updated`. Fails with
    /// `NotFound` when the list is not the organization's.
    async fn recount(&self, scope: &OrgScope, id: DonorListId) -> Result<DonorList, RepoError>;
    /// Snapshots a dynamic list: a new static list named `name` (by default
    /// [`snapshot_name`]) whose members are the dynamic list's current matches; the dynamic
    /// list is unchanged. Fails with `NotFound` when the list is not the organization's, with
    /// `Invalid(freeze_needs_dynamic_list())` when it is static and with `Invalid` for a bad name.
    async fn freeze(&self, scope: &OrgScope, id: DonorListId, name: Option<String>) -> Result<DonorList, RepoError>;
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
            (Static, Some(json!({"journey_stages": ["prospect"]})), Err("may only be set when type is 'dynamic'")),
            (Static, Some(json!({})), Err("may only be set when type is 'dynamic'")),
            (Dynamic, Some(json!({"journey_stages": ["prospect"]})), Ok(Dynamic)),
            (Dynamic, None, Err("are required when type is 'dynamic'")),
            (Dynamic, Some(serde_json::Value::Null), Err("are required when type is 'dynamic'")),
            (Dynamic, Some(json!(["prospect"])), Err("must be a JSON object")),
        ];
        for (list_type, filters, expected) in cases {
            let result = ListDefinition::from_parts(list_type, filters.as_ref());
            match (result, expected) {
                (Ok(definition), Ok(expected_type)) => {
                    assert_eq!(definition.list_type(), expected_type);
                    assert_eq!(definition.filter().is_some(), expected_type == Dynamic);
                }
                (Err(errors), Err(message)) => {
                    assert_eq!(errors[0].field, "filters");
                    assert_eq!(errors[0].message, message, "{list_type} {filters:?}");
                }
                (result, expected) => {
                    panic!("{list_type} {filters:?}: got {result:?}, expected {expected:?}")
                }
            }
        }
    }

    #[test]
    fn new_lists_are_static_and_named() {
        let list = NewDonorList::new(" Major donors ", Some("  ")).unwrap();
        assert_eq!(list.name, "Major donors");
        assert_eq!(list.description, None);
        assert_eq!(list.definition.list_type(), DonorListType::Static);
        assert_eq!(NewDonorList::new(" ", None).unwrap_err().field, "name");
        assert_eq!("smart".parse::<DonorListType>().unwrap_err().field, "type");
        let dynamic = NewDonorList::dynamic("Everyone", None, DonorFilter::default()).unwrap();
        assert_eq!(dynamic.definition.filter(), Some(&DonorFilter::default()));
    }

    #[test]
    fn patches_change_filters_of_dynamic_lists_only() {
        let at = crate::shared::time::now();
        let mut list = DonorList {
            id: DonorListId::new(),
            name: "A".into(),
            description: Some("d".into()),
            definition: ListDefinition::Static,
            donor_count: 0,
            last_updated: at,
            created_at: at,
            updated_at: at,
        };
        let filter = DonorFilter { has_email: Some(true), ..DonorFilter::default() };
        let refused = list.apply(DonorListPatch { filter: Some(filter.clone()), ..DonorListPatch::default() });
        assert_eq!(refused.unwrap_err().field, "filters");
        list.apply(DonorListPatch { name: Some(" B ".into()), description: Some(None), filter: None }).unwrap();
        assert_eq!((list.name.as_str(), list.description.as_deref()), ("B", None));
        list.definition = ListDefinition::Dynamic { filter: Box::default() };
        list.apply(DonorListPatch { filter: Some(filter.clone()), ..DonorListPatch::default() }).unwrap();
        assert_eq!(list.definition.filter(), Some(&filter));
    }

    #[test]
    fn member_batches_are_bounded() {
        assert!(check_member_batch(&[]).is_err());
        assert!(check_member_batch(&[DonorId::new()]).is_ok());
        let too_many: Vec<DonorId> = (0..=MEMBERS_PER_CALL_MAX).map(|_| DonorId::new()).collect();
        assert_eq!(check_member_batch(&too_many).unwrap_err().field, "donor_ids");
        assert_eq!(members_need_static_list().field, "type");
    }

    #[test]
    fn snapshots_are_named_after_their_source() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(snapshot_name("Lapsed", day), "Lapsed (snapshot 2026-11-26)");
        let long = "x".repeat(NAME_MAX);
        let name = snapshot_name(&long, day);
        assert_eq!(name.chars().count(), NAME_MAX);
        assert!(name.ends_with("(snapshot 2026-11-26)"));
    }

    #[test]
    fn unknown_donors_are_named() {
        let few = [DonorId::new(), DonorId::new()];
        let error = unknown_donors(&few);
        assert!(error.message.contains(&few[1].to_string()), "{}", error.message);
        let many: Vec<DonorId> = (0..25).map(|_| DonorId::new()).collect();
        let error = unknown_donors(&many);
        assert!(error.message.ends_with("and 5 more"), "{}", error.message);
        assert!(!error.message.contains(&many[24].to_string()));
    }
}
