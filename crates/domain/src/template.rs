//! Templates: reusable email and message texts with `{{variable}}` placeholders.

use async_trait::async_trait;

use crate::communication::CommunicationChannel;
use crate::shared::{
    OrgScope, Page, PageRequest, RepoError, TemplateId, Timestamp, UserId, ValueError, optional_text, required_text,
};

pub const NAME_MAX: usize = 200;
pub const CATEGORY_MAX: usize = 100;
pub const SUBJECT_MAX: usize = 998;
pub const BODY_MAX: usize = 200_000;
pub const VARIABLE_MAX: usize = 100;
pub const VARIABLES_MAX: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub id: TemplateId,
    pub name: String,
    pub category: Option<String>,
    /// The channel the template is written for (the communication channels; `email` by default).
    pub channel: CommunicationChannel,
    pub subject: Option<String>,
    pub body: String,
    /// The variables the template expects, such as `donor_name` for `{{donor_name}}`.
    pub variables: Vec<String>,
    pub usage_count: u32,
    pub last_used_at: Option<Timestamp>,
    pub created_by: Option<UserId>,
    pub is_active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A template to create. [`NewTemplate::new`] makes an active email template whose variables are
/// the placeholders found in its subject and body.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    pub name: String,
    pub category: Option<String>,
    pub channel: CommunicationChannel,
    pub subject: Option<String>,
    pub body: String,
    pub variables: Vec<String>,
    pub created_by: Option<UserId>,
    pub is_active: bool,
}

impl NewTemplate {
    pub fn new(name: &str, subject: Option<&str>, body: &str) -> Result<Self, ValueError> {
        let subject = optional_text("subject", subject, SUBJECT_MAX)?;
        let body = required_text("body", body, BODY_MAX)?;
        let mut variables = placeholders(subject.as_deref().unwrap_or_default());
        for variable in placeholders(&body) {
            if !variables.contains(&variable) {
                variables.push(variable);
            }
        }
        validate_variables(&variables)?;
        Ok(Self {
            name: required_text("name", name, NAME_MAX)?,
            category: None,
            channel: CommunicationChannel::Email,
            subject,
            body,
            variables,
            created_by: None,
            is_active: true,
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        required_text("name", &self.name, NAME_MAX)?;
        optional_text("category", self.category.as_deref(), CATEGORY_MAX)?;
        optional_text("subject", self.subject.as_deref(), SUBJECT_MAX)?;
        required_text("body", &self.body, BODY_MAX)?;
        validate_variables(&self.variables)
    }
}

/// The distinct `{{name}}` placeholders of a text, in order of first appearance. Text between
/// braces that is not a variable name is not a placeholder.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("}}") else { break };
        let name = rest[..end].trim();
        if is_variable_name(name) && !found.iter().any(|f| f == name) {
            found.push(name.to_owned());
        }
        rest = &rest[end + 2..];
    }
    found
}

/// A letter or underscore, then letters, digits, underscores or dots (`donor.first_name`).
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && name.len() <= VARIABLE_MAX
}

/// Variables are valid names, each once, at most `VARIABLES_MAX` of them.
pub fn validate_variables(variables: &[String]) -> Result<(), ValueError> {
    if variables.len() > VARIABLES_MAX {
        return Err(ValueError::new("variables", format!("at most {VARIABLES_MAX} variables")));
    }
    for (index, variable) in variables.iter().enumerate() {
        if !is_variable_name(variable) {
            return Err(ValueError::new(
                "variables",
                format!("'{variable}' is not a variable name (letters, digits, '_' and '.', up to {VARIABLE_MAX})"),
            ));
        }
        if variables[..index].contains(variable) {
            return Err(ValueError::new("variables", format!("'{variable}' is listed twice")));
        }
    }
    Ok(())
}

/// Changes to a template: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplatePatch {
    pub name: Option<String>,
    pub category: Option<Option<String>>,
    pub channel: Option<CommunicationChannel>,
    pub subject: Option<Option<String>>,
    pub body: Option<String>,
    pub variables: Option<Vec<String>>,
    pub is_active: Option<bool>,
}

impl TemplatePatch {
    pub fn validate(&self) -> Result<(), ValueError> {
        if let Some(name) = &self.name {
            required_text("name", name, NAME_MAX)?;
        }
        optional_text("category", self.category.as_ref().and_then(|c| c.as_deref()), CATEGORY_MAX)?;
        optional_text("subject", self.subject.as_ref().and_then(|s| s.as_deref()), SUBJECT_MAX)?;
        if let Some(body) = &self.body {
            required_text("body", body, BODY_MAX)?;
        }
        self.variables.as_deref().map_or(Ok(()), validate_variables)
    }
}

/// Which templates to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateFilter {
    pub is_active: Option<bool>,
    pub category: Option<String>,
    pub channel: Option<CommunicationChannel>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TemplateRepository: Send + Sync {
    async fn create(&self, scope: &OrgScope, template: NewTemplate) -> Result<Template, RepoError>;
    /// `None` when the template does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: TemplateId) -> Result<Option<Template>, RepoError>;
    /// Templates matching the filter (active or not, by category, by channel), newest first.
    async fn list(
        &self,
        scope: &OrgScope,
        filter: TemplateFilter,
        page: PageRequest,
    ) -> Result<Page<Template>, RepoError>;
    /// Fails with `NotFound` when the template is not the organization's.
    async fn update(&self, scope: &OrgScope, id: TemplateId, patch: TemplatePatch) -> Result<Template, RepoError>;
    /// Increments `usage_count` atomically and sets `last_used_at = at`. Fails with `NotFound`
    /// when the template is not the organization's.
    async fn record_use(&self, scope: &OrgScope, id: TemplateId, at: Timestamp) -> Result<Template, RepoError>;
    /// Fails with `NotFound` when the template is not the organization's.
    async fn delete(&self, scope: &OrgScope, id: TemplateId) -> Result<(), RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_once_in_order() {
        let cases: [(&str, &[&str]); 6] = [
            ("Dear {{donor_name}}, thank you", &["donor_name"]),
            ("{{ first_name }} {{last_name}} {{first_name}}", &["first_name", "last_name"]),
            ("{{donor.first_name}} gave {{amount}}", &["donor.first_name", "amount"]),
            ("{{}} {{1st}} {{two words}} {{ok}}", &["ok"]),
            ("no placeholders {{unclosed", &[]),
            ("{{a}}{{b}}", &["a", "b"]),
        ];
        for (text, expected) in cases {
            assert_eq!(placeholders(text), expected, "{text:?}");
        }
    }

    #[test]
    fn new_templates_declare_their_placeholders() {
        let template =
            NewTemplate::new(" Thank you ", Some("Thanks, {{first_name}}"), "Dear {{first_name}}, {{amount}}").unwrap();
        assert_eq!(template.name, "Thank you");
        assert_eq!(template.variables, ["first_name", "amount"]);
        assert_eq!(template.channel, CommunicationChannel::Email);
        assert!(template.is_active && template.validate().is_ok());
        assert_eq!(NewTemplate::new("Empty", None, " ").unwrap_err().field, "body");
        assert_eq!(NewTemplate::new(" ", None, "Hi").unwrap_err().field, "name");
    }

    #[test]
    fn variables_are_names_listed_once() {
        let cases: [(&[&str], bool); 6] = [
            (&["donor_name", "amount"], true),
            (&["donor.first_name"], true),
            (&["donor name"], false),
            (&["1st"], false),
            (&[""], false),
            (&["a", "a"], false),
        ];
        for (variables, ok) in cases {
            let variables: Vec<String> = variables.iter().map(|v| (*v).to_owned()).collect();
            assert_eq!(validate_variables(&variables).is_ok(), ok, "{variables:?}");
        }
        let patch = TemplatePatch { variables: Some(vec!["{{x}}".into()]), ..Default::default() };
        assert_eq!(patch.validate().unwrap_err().field, "variables");
    }
}
