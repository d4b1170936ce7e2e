//! Organizations: the tenants. Every other row belongs to exactly one.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::report::FiscalYearStart;
use crate::shared::{
    CountryCode, OrgScope, OrganizationId, RepoError, Timestamp, ValueError, WebUrl, optional_text, required_text,
};

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
    /// Stage definitions and transitions, as stored: a [`JourneyGraph`] in its JSON form
    /// (`apply` refuses a graph that does not validate).
    pub donor_journey_graph: Option<serde_json::Value>,
    pub ai_instructions: Option<String>,
    pub website_url: Option<WebUrl>,
    pub website_data: Option<serde_json::Value>,
    pub website_last_crawled: Option<Timestamp>,
    /// Where the organization works (not in the spec): the region of donor phone numbers written
    /// without a country code, when the donor's own address has no country.
    pub country: Option<CountryCode>,
    /// The month the fiscal year starts in (not in the spec; January by default), which the
    /// fundraising reports count years by.
    pub fiscal_year_start_month: FiscalYearStart,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOrganization {
    pub clerk_id: String,
    pub name: String,
    pub slug: Slug,
    pub website_url: Option<WebUrl>,
    pub country: Option<CountryCode>,
    pub fiscal_year_start_month: FiscalYearStart,
}

impl NewOrganization {
    pub fn new(clerk_id: &str, name: &str, slug: Slug) -> Result<Self, ValueError> {
        Ok(Self {
            clerk_id: required_text("clerk_id", clerk_id, 200)?,
            name: required_text("name", name, 200)?,
            slug,
            website_url: None,
            country: None,
            fiscal_year_start_month: FiscalYearStart::default(),
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
    pub country: Option<Option<CountryCode>>,
    pub fiscal_year_start_month: Option<FiscalYearStart>,
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
            if let Some(graph) = &v {
                JourneyGraph::from_json(graph).map_err(|mut errors| errors.remove(0))?;
            }
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
        if let Some(v) = patch.country {
            self.country = v;
        }
        if let Some(v) = patch.fiscal_year_start_month {
            self.fiscal_year_start_month = v;
        }
        Ok(())
    }
}

impl Organization {
    /// The region a donor's national phone number is read in: the donor's own country, else
    /// the organization's, else the United States.
    pub fn phone_region(&self, donor_country: Option<CountryCode>) -> CountryCode {
        phone_region(donor_country, self.country)
    }

    /// The stored journey graph, typed (`None` when there is none).
    pub fn journey_graph(&self) -> Result<Option<JourneyGraph>, RepoError> {
        self.donor_journey_graph
            .as_ref()
            .map(|json| JourneyGraph::from_json(json).map_err(|e| RepoError::Corrupt(e[0].to_string())))
            .transpose()
    }
}

/// The region a donor's national phone number is read in: the donor's country, else the
/// organization's, else the United States (see `docs/decisions/0021-organization-country.md`).
pub fn phone_region(donor_country: Option<CountryCode>, organization_country: Option<CountryCode>) -> CountryCode {
    donor_country.or(organization_country).unwrap_or(CountryCode::US)
}

/// The donor journey: named stages and the moves allowed between them.
///
/// ```json
/// { "stages": [
///     { "id": "prospect", "name": "Prospect", "transitions": [{ "to": "donor" }] },
///     { "id": "donor", "name": "First-time donor", "description": "gave once",
///       "transitions": [{ "to": "prospect", "condition": "no gift for 2 years" }] } ] }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyGraph {
    pub stages: Vec<JourneyStage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyStage {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub transitions: Vec<JourneyTransition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyTransition {
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

impl JourneyGraph {
    pub const FIELD: &'static str = "donor_journey_graph";
    pub const MAX_STAGES: usize = 50;
    pub const MAX_TRANSITIONS: usize = 20;
    /// The graph's JSON text, compact.
    pub const MAX_BYTES: usize = 64 * 1024;
    pub const MAX_ID_CHARS: usize = 64;
    pub const MAX_NAME_CHARS: usize = 200;
    pub const MAX_TEXT_CHARS: usize = 2000;

    /// Validates a graph given as JSON and returns it typed, or every fault found, each named by
    /// its path (`donor_journey_graph.stages[2].transitions[0].to: unknown stage 'x'`).
    ///
    /// Rules: an object `{ "stages": [...] }` of 1 to 50 stages, at most 64 KiB as JSON; stage
    /// ids unique, 1-64 of `a-z 0-9 _ -`; names 1-200 characters; descriptions and conditions at
    /// most 2000; at most 20 transitions per stage, each to an existing other stage, once.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, Vec<ValueError>> {
        let root = Self::FIELD;
        let fault = |path: String, message: String| vec![ValueError::new(path, message)];
        let size = serde_json::to_vec(value).map(|v| v.len()).unwrap_or(usize::MAX);
        if size > Self::MAX_BYTES {
            return Err(fault(
                root.into(),
                format!("is {size} bytes of JSON; at most {} are allowed", Self::MAX_BYTES),
            ));
        }
        let object =
            value.as_object().ok_or_else(|| fault(root.into(), "must be an object with a 'stages' array".into()))?;
        let mut errors = Vec::new();
        for key in object.keys().filter(|k| *k != "stages") {
            errors.push(ValueError::new(format!("{root}.{key}"), "unknown field; expected only 'stages'"));
        }
        let stages = match object.get("stages") {
            Some(serde_json::Value::Array(stages)) => stages,
            Some(_) => return Err(fault(format!("{root}.stages"), "must be an array".into())),
            None => return Err(fault(format!("{root}.stages"), "is required".into())),
        };
        if stages.is_empty() || stages.len() > Self::MAX_STAGES {
            return Err(fault(
                format!("{root}.stages"),
                format!("has {} stages; 1 to {} are allowed", stages.len(), Self::MAX_STAGES),
            ));
        }
        let mut graph = JourneyGraph { stages: Vec::with_capacity(stages.len()) };
        for (i, stage) in stages.iter().enumerate() {
            let path = format!("{root}.stages[{i}]");
            if let Some(stage) = parse_stage(&path, stage, &mut errors) {
                graph.stages.push(stage);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Now every stage parsed: identities and references.
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, stage) in graph.stages.iter().enumerate() {
            if let Some(first) = seen.insert(&stage.id, i) {
                errors.push(ValueError::new(
                    format!("{root}.stages[{i}].id"),
                    format!("duplicate stage id '{}' (also stages[{first}])", stage.id),
                ));
                seen.insert(&stage.id, first);
            }
        }
        for (i, stage) in graph.stages.iter().enumerate() {
            let mut targets = std::collections::HashSet::new();
            for (j, transition) in stage.transitions.iter().enumerate() {
                let path = format!("{root}.stages[{i}].transitions[{j}].to");
                if !seen.contains_key(transition.to.as_str()) {
                    errors.push(ValueError::new(path, format!("unknown stage '{}'", transition.to)));
                } else if transition.to == stage.id {
                    errors.push(ValueError::new(path, format!("stage '{}' cannot transition to itself", stage.id)));
                } else if !targets.insert(transition.to.as_str()) {
                    errors.push(ValueError::new(path, format!("duplicate transition to '{}'", transition.to)));
                }
            }
        }
        if errors.is_empty() { Ok(graph) } else { Err(errors) }
    }

    /// The graph in its stored JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    pub fn stage(&self, id: &str) -> Option<&JourneyStage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// Whether the graph allows moving a donor from stage `from` to stage `to`.
    pub fn allows(&self, from: &str, to: &str) -> bool {
        self.stage(from).is_some_and(|s| s.transitions.iter().any(|t| t.to == to))
    }
}

fn string_member(
    path: &str,
    object: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    required: bool,
    max_chars: usize,
    errors: &mut Vec<ValueError>,
) -> Option<String> {
    let at = format!("{path}.{key}");
    match object.get(key) {
        None | Some(serde_json::Value::Null) if !required => None,
        None | Some(serde_json::Value::Null) => {
            errors.push(ValueError::new(at, "is required"));
            None
        }
        Some(serde_json::Value::String(text)) => {
            let text = text.trim();
            if required && text.is_empty() {
                errors.push(ValueError::new(at, "must not be empty"));
                None
            } else if text.chars().count() > max_chars {
                errors.push(ValueError::new(at, format!("must be at most {max_chars} characters")));
                None
            } else {
                Some(text.to_owned())
            }
        }
        Some(_) => {
            errors.push(ValueError::new(at, "must be a string"));
            None
        }
    }
}

fn unknown_members(
    path: &str,
    object: &serde_json::Map<String, serde_json::Value>,
    known: &[&str],
    errors: &mut Vec<ValueError>,
) {
    for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.push(ValueError::new(format!("{path}.{key}"), format!("unknown field; expected {}", known.join(", "))));
    }
}

fn parse_stage(path: &str, value: &serde_json::Value, errors: &mut Vec<ValueError>) -> Option<JourneyStage> {
    let Some(object) = value.as_object() else {
        errors.push(ValueError::new(path.to_owned(), "must be an object"));
        return None;
    };
    let before = errors.len();
    unknown_members(path, object, &["id", "name", "description", "transitions"], errors);
    let id = string_member(path, object, "id", true, JourneyGraph::MAX_ID_CHARS, errors);
    if let Some(id) = &id
        && !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        errors.push(ValueError::new(format!("{path}.id"), format!("'{id}' may contain only a-z, 0-9, '_' and '-'")));
    }
    let name = string_member(path, object, "name", true, JourneyGraph::MAX_NAME_CHARS, errors);
    let description = string_member(path, object, "description", false, JourneyGraph::MAX_TEXT_CHARS, errors)
        .filter(|d| !d.is_empty());
    let mut transitions = Vec::new();
    match object.get("transitions") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Array(items)) if items.len() > JourneyGraph::MAX_TRANSITIONS => {
            errors.push(ValueError::new(
                format!("{path}.transitions"),
                format!("has {} transitions; at most {} are allowed", items.len(), JourneyGraph::MAX_TRANSITIONS),
            ));
        }
        Some(serde_json::Value::Array(items)) => {
            for (j, item) in items.iter().enumerate() {
                let at = format!("{path}.transitions[{j}]");
                let Some(object) = item.as_object() else {
                    errors.push(ValueError::new(at, "must be an object with 'to'"));
                    continue;
                };
                unknown_members(&at, object, &["to", "condition"], errors);
                let to = string_member(&at, object, "to", true, JourneyGraph::MAX_ID_CHARS, errors);
                let condition = string_member(&at, object, "condition", false, JourneyGraph::MAX_TEXT_CHARS, errors)
                    .filter(|c| !c.is_empty());
                if let Some(to) = to {
                    transitions.push(JourneyTransition { to, condition });
                }
            }
        }
        Some(_) => errors.push(ValueError::new(format!("{path}.transitions"), "must be an array")),
    }
    if errors.len() > before {
        return None;
    }
    Some(JourneyStage { id: id?, name: name?, description, transitions })
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

    fn graph_faults(value: serde_json::Value) -> Vec<String> {
        JourneyGraph::from_json(&value).unwrap_err().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_valid_journey_graph_round_trips() {
        let json = serde_json::json!({ "stages": [
            { "id": "prospect", "name": "Prospect", "transitions": [{ "to": "donor", "condition": "first gift" }] },
            { "id": "donor", "name": "Donor", "description": "gave once", "transitions": [{ "to": "prospect" }] },
            { "id": "lapsed", "name": "Lapsed" }
        ]});
        let graph = JourneyGraph::from_json(&json).unwrap();
        assert_eq!(graph.stages.len(), 3);
        assert!(graph.allows("prospect", "donor"));
        assert!(!graph.allows("donor", "lapsed"));
        assert_eq!(JourneyGraph::from_json(&graph.to_json()).unwrap(), graph);
        assert_eq!(graph.to_json()["stages"][2]["transitions"], serde_json::json!([]));
    }

    #[test]
    fn journey_graph_faults_name_their_path() {
        let stage = |id: &str, to: &[&str]| serde_json::json!({ "id": id, "name": id, "transitions": to.iter().map(|t| serde_json::json!({ "to": t })).collect::<Vec<_>>() });
        assert_eq!(
            graph_faults(serde_json::json!({ "stages": [stage("a", &["b"]), stage("b", &[]), stage("c", &["x"])] })),
            ["donor_journey_graph.stages[2].transitions[0].to: unknown stage 'x'"]
        );
        assert_eq!(
            graph_faults(serde_json::json!({ "stages": [stage("a", &[]), stage("b", &[]), stage("a", &[])] })),
            ["donor_journey_graph.stages[2].id: duplicate stage id 'a' (also stages[0])"]
        );
        assert_eq!(
            graph_faults(serde_json::json!({ "stages": [stage("a", &["a"])] })),
            ["donor_journey_graph.stages[0].transitions[0].to: stage 'a' cannot transition to itself"]
        );
        assert_eq!(
            graph_faults(serde_json::json!({ "stages": [stage("a", &["b", "b"]), stage("b", &[])] })),
            ["donor_journey_graph.stages[0].transitions[1].to: duplicate transition to 'b'"]
        );
        assert_eq!(
            graph_faults(serde_json::json!([])),
            ["donor_journey_graph: must be an object with a 'stages' array"]
        );
        assert_eq!(graph_faults(serde_json::json!({})), ["donor_journey_graph.stages: is required"]);
        assert_eq!(
            graph_faults(serde_json::json!({ "stages": [] })),
            ["donor_journey_graph.stages: has 0 stages; 1 to 50 are allowed"]
        );
        assert_eq!(
            graph_faults(
                serde_json::json!({ "stages": [{ "id": "Bad Id", "name": "", "colour": 1, "transitions": {} }] })
            ),
            [
                "donor_journey_graph.stages[0].colour: unknown field; expected id, name, description, transitions",
                "donor_journey_graph.stages[0].id: 'Bad Id' may contain only a-z, 0-9, '_' and '-'",
                "donor_journey_graph.stages[0].name: must not be empty",
                "donor_journey_graph.stages[0].transitions: must be an array",
            ]
        );
        assert_eq!(
            graph_faults(
                serde_json::json!({ "stages": [{ "id": "a", "name": "A", "transitions": [{ "condition": "x" }, 3] }] })
            ),
            [
                "donor_journey_graph.stages[0].transitions[0].to: is required",
                "donor_journey_graph.stages[0].transitions[1]: must be an object with 'to'",
            ]
        );
    }

    #[test]
    fn journey_graphs_are_bounded() {
        let many: Vec<_> = (0..51).map(|i| serde_json::json!({ "id": format!("s{i}"), "name": "S" })).collect();
        assert_eq!(
            graph_faults(serde_json::json!({ "stages": many })),
            ["donor_journey_graph.stages: has 51 stages; 1 to 50 are allowed"]
        );
        let targets: Vec<_> = (0..21).map(|i| serde_json::json!({ "to": format!("s{i}") })).collect();
        let faults =
            graph_faults(serde_json::json!({ "stages": [{ "id": "a", "name": "A", "transitions": targets }] }));
        assert_eq!(faults, ["donor_journey_graph.stages[0].transitions: has 21 transitions; at most 20 are allowed"]);
        let huge = serde_json::json!({ "stages": [{ "id": "a", "name": "A", "description": "x".repeat(70_000) }] });
        assert!(graph_faults(huge)[0].starts_with("donor_journey_graph: is 700"), "the size is checked first");
    }

    fn hope() -> Organization {
        let at = crate::shared::time::now();
        Organization {
            id: OrganizationId::new(),
            clerk_id: "org_1".into(),
            name: "Hope".into(),
            slug: Slug::parse("hope").unwrap(),
            donor_journey_graph: None,
            ai_instructions: None,
            website_url: None,
            website_data: None,
            website_last_crawled: None,
            country: None,
            fiscal_year_start_month: FiscalYearStart::default(),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn applying_a_bad_graph_is_refused() {
        let mut org = hope();
        let patch = OrganizationPatch {
            donor_journey_graph: Some(Some(serde_json::json!({ "stages": 1 }))),
            ..Default::default()
        };
        assert_eq!(org.apply(patch).unwrap_err().field, "donor_journey_graph.stages");
        assert_eq!(org.donor_journey_graph, None);
    }

    #[test]
    fn phone_region_prefers_the_donor_then_the_organization_then_the_us() {
        let gb = CountryCode::parse("GB").unwrap();
        let fr = CountryCode::parse("FR").unwrap();
        assert_eq!(phone_region(Some(fr), Some(gb)), fr);
        assert_eq!(phone_region(None, Some(gb)), gb);
        assert_eq!(phone_region(None, None), CountryCode::US);
    }

    #[test]
    fn a_patch_sets_and_clears_the_country() {
        let mut org = hope();
        let gb = CountryCode::parse("GB").unwrap();
        org.apply(OrganizationPatch { country: Some(Some(gb)), ..Default::default() }).unwrap();
        assert_eq!((org.country, org.phone_region(None)), (Some(gb), gb));
        org.apply(OrganizationPatch { name: Some("Hope 2".into()), ..Default::default() }).unwrap();
        assert_eq!(org.country, Some(gb), "absent leaves it alone");
        org.apply(OrganizationPatch { country: Some(None), ..Default::default() }).unwrap();
        assert_eq!((org.country, org.phone_region(None)), (None, CountryCode::US));
    }

    #[test]
    fn slugs_derive_from_names() {
        assert_eq!(Slug::from_name("St. Mary's Food Bank").unwrap().as_str(), "st-mary-s-food-bank");
        assert_eq!(Slug::from_name("  Hope 4 Kids!  ").unwrap().as_str(), "hope-4-kids");
        assert!(Slug::from_name("!!!").is_err());
    }
}
