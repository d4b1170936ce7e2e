//! Templates: reusable email and message texts with `{{variable}}` placeholders.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::communication::CommunicationChannel;
use crate::donor::Donor;
use crate::organization::Organization;
use crate::shared::{
    OrgScope, Page, PageRequest, RepoError, TemplateId, Timestamp, UserId, ValueError, WebUrl, optional_text,
    required_text,
};
use crate::string_enum;

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
        let variables = declared_variables(subject.as_deref(), &body)?;
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

/// The variables a template declares: the placeholders of its subject, then those of its body,
/// each once; more than [`VARIABLES_MAX`] is refused.
pub fn declared_variables(subject: Option<&str>, body: &str) -> Result<Vec<String>, ValueError> {
    let mut variables = placeholders(subject.unwrap_or_default());
    for variable in placeholders(body) {
        if !variables.contains(&variable) {
            variables.push(variable);
        }
    }
    validate_variables(&variables)?;
    Ok(variables)
}

/// The distinct `{{name}}` placeholders of a text, in order of first appearance. Text between
/// braces that is not a variable name is not a placeholder.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for segment in segments(text) {
        if let Segment::Placeholder { name, .. } = segment
            && !found.iter().any(|f| f == name)
        {
            found.push(name.to_owned());
        }
    }
    found
}

/// A piece of a template's text: literal text, or a placeholder as written (`{{ name }}`) with
/// its variable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'a> {
    Literal(&'a str),
    Placeholder { written: &'a str, name: &'a str },
}

/// Splits a text into literal text and placeholders; the one parser behind [`placeholders`] and
/// [`render`], so that what is declared is exactly what is filled.
fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start + 2..].find("}}") else { break };
        let end = start + 2 + length + 2;
        let name = rest[start + 2..end - 2].trim();
        if is_variable_name(name) {
            out.push(Segment::Literal(&rest[..start]));
            out.push(Segment::Placeholder { written: &rest[start..end], name });
        } else {
            out.push(Segment::Literal(&rest[..end]));
        }
        rest = &rest[end..];
    }
    out.push(Segment::Literal(rest));
    out
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

impl Template {
    /// Applies a patch. Changing the subject or the body declares their placeholders anew
    /// (unless the patch lists the variables itself).
    pub fn apply(&mut self, patch: TemplatePatch) -> Result<(), ValueError> {
        patch.validate()?;
        let text_changed = patch.subject.is_some() || patch.body.is_some();
        if let Some(name) = patch.name {
            self.name = required_text("name", &name, NAME_MAX)?;
        }
        if let Some(category) = patch.category {
            self.category = optional_text("category", category.as_deref(), CATEGORY_MAX)?;
        }
        if let Some(channel) = patch.channel {
            self.channel = channel;
        }
        if let Some(subject) = patch.subject {
            self.subject = optional_text("subject", subject.as_deref(), SUBJECT_MAX)?;
        }
        if let Some(body) = patch.body {
            self.body = required_text("body", &body, BODY_MAX)?;
        }
        if let Some(is_active) = patch.is_active {
            self.is_active = is_active;
        }
        match patch.variables {
            Some(variables) => self.variables = variables,
            None if text_changed => self.variables = declared_variables(self.subject.as_deref(), &self.body)?,
            None => {}
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// The variables rendering can fill, with what each holds. `donor_name`, `first_name`,
/// `last_name` and `organization_name` are accepted as short forms of the dotted names.
pub const KNOWN_VARIABLES: &[(&str, &str)] = &[
    ("donor.first_name", "the donor's first name"),
    ("donor.last_name", "the donor's last name"),
    ("donor.full_name", "first and last name, as far as known"),
    ("donor.email", "the donor's email address"),
    ("donor.phone", "the donor's phone number (E.164)"),
    ("donor.city", "the city of the donor's address"),
    ("donor.state", "the state of the donor's address"),
    ("donor.country", "the country of the donor's address (ISO 3166-1 alpha-2)"),
    ("donor.spouse_first_name", "a couple's second first name"),
    ("donor.spouse_last_name", "a couple's second last name"),
    ("organization.name", "the organization's name"),
    ("organization.website_url", "the organization's website"),
];

/// Short forms and the variable each stands for.
const ALIASES: &[(&str, &str)] = &[
    ("donor_name", "donor.full_name"),
    ("first_name", "donor.first_name"),
    ("last_name", "donor.last_name"),
    ("organization_name", "organization.name"),
];

/// The values of the known variables for one donor of one organization; a variable without a
/// value (no email on file, say) is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateValues(BTreeMap<&'static str, String>);

impl TemplateValues {
    pub fn for_donor(donor: &Donor, organization: &Organization) -> Self {
        Self::of(donor, &organization.name, organization.website_url.as_ref())
    }

    /// The values from the donor and the organization's name and website.
    pub fn of(donor: &Donor, organization_name: &str, website_url: Option<&WebUrl>) -> Self {
        let spouse = donor.household.spouse();
        let full_name = [donor.first_name.as_deref(), donor.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let entries: [(&'static str, Option<String>); 12] = [
            ("donor.first_name", donor.first_name.clone()),
            ("donor.last_name", donor.last_name.clone()),
            ("donor.full_name", Some(full_name)),
            ("donor.email", donor.email.as_ref().map(|e| e.as_str().to_owned())),
            ("donor.phone", donor.phone.as_ref().map(|p| p.as_str().to_owned())),
            ("donor.city", donor.address.city.clone()),
            ("donor.state", donor.address.state.clone()),
            ("donor.country", donor.address.country.map(|c| c.as_str().to_owned())),
            ("donor.spouse_first_name", spouse.and_then(|s| s.first_name.clone())),
            ("donor.spouse_last_name", spouse.and_then(|s| s.last_name.clone())),
            ("organization.name", Some(organization_name.to_owned())),
            ("organization.website_url", website_url.map(|u| u.as_str().to_owned())),
        ];
        Self(
            entries
                .into_iter()
                .filter_map(|(name, value)| value.filter(|v| !v.trim().is_empty()).map(|v| (name, v)))
                .collect(),
        )
    }

    fn lookup(&self, variable: &str) -> Result<&str, UnfilledReason> {
        let name = ALIASES.iter().find(|(alias, _)| *alias == variable).map_or(variable, |(_, name)| *name);
        if !KNOWN_VARIABLES.iter().any(|(known, _)| *known == name) {
            return Err(UnfilledReason::UnknownVariable);
        }
        self.0.get(name).map(String::as_str).ok_or(UnfilledReason::NoValue)
    }
}

string_enum! {
    /// Why a placeholder was left as written.
    pub enum UnfilledReason: "reason" {
        /// Not a variable rendering knows ([`KNOWN_VARIABLES`]).
        UnknownVariable => "unknown_variable",
        /// A known variable this donor has no value for.
        NoValue => "no_value",
    }
}

/// A variable a rendering could not fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfilled {
    pub variable: String,
    pub reason: UnfilledReason,
}

/// A template filled in for one donor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject with the values as plain text (a subject is a header, never HTML).
    pub subject: Option<String>,
    /// The body with every value HTML-escaped: safe to show or send as HTML.
    pub body_html: String,
    /// The body with the values as they are, for plain-text channels.
    pub body_text: String,
    /// Each variable left unfilled, once, in order of first appearance. Its placeholder stays in
    /// the output as written.
    pub unfilled: Vec<Unfilled>,
}

/// Fills a template's subject and body with `values`.
pub fn render(template: &Template, values: &TemplateValues) -> Rendered {
    let mut unfilled = Vec::new();
    let subject = template.subject.as_deref().map(|s| fill(s, values, false, &mut unfilled));
    let body_html = fill(&template.body, values, true, &mut unfilled);
    let body_text = fill(&template.body, values, false, &mut Vec::new());
    Rendered { subject, body_html, body_text, unfilled }
}

fn fill(text: &str, values: &TemplateValues, html: bool, unfilled: &mut Vec<Unfilled>) -> String {
    let mut out = String::with_capacity(text.len());
    for segment in segments(text) {
        match segment {
            Segment::Literal(literal) => out.push_str(literal),
            Segment::Placeholder { written, name } => match values.lookup(name) {
                Ok(value) if html => escape_html(value, &mut out),
                Ok(value) => out.push_str(value),
                Err(reason) => {
                    out.push_str(written);
                    if !unfilled.iter().any(|u| u.variable == name) {
                        unfilled.push(Unfilled { variable: name.to_owned(), reason });
                    }
                }
            },
        }
    }
    out
}

/// Escapes the five characters that matter in HTML text and attribute values.
fn escape_html(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
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
    fn template(subject: Option<&str>, body: &str) -> Template {
        let new = NewTemplate::new("T", subject, body).unwrap();
        let at = crate::shared::time::now();
        Template {
            id: TemplateId::new(),
            name: new.name,
            category: None,
            channel: new.channel,
            subject: new.subject,
            body: new.body,
            variables: new.variables,
            usage_count: 0,
            last_used_at: None,
            created_by: None,
            is_active: true,
            created_at: at,
            updated_at: at,
        }
    }

    fn values(first_name: Option<&str>, last_name: Option<&str>) -> TemplateValues {
        use crate::donor::NewDonor;
        let donor = Donor::register(NewDonor::individual(first_name, last_name).unwrap(), crate::shared::time::now());
        TemplateValues::of(&donor, "Hope & Co", None)
    }

    #[test]
    fn rendering_escapes_donor_data_in_html_and_reports_what_it_cannot_fill() {
        let t = template(
            Some("Thanks, {{ donor.first_name }}"),
            "<p>Dear {{donor.first_name}} {{donor_name}},</p> {{donor.email}} {{favourite}} {{donor.email}} {{x y}} from {{organization.name}}",
        );
        let rendered = render(&t, &values(Some("<b>Ada</b>"), Some("O'Neil")));
        assert_eq!(rendered.subject.as_deref(), Some("Thanks, <b>Ada</b>"));
        assert_eq!(
            rendered.body_html,
            "<p>Dear &lt;b&gt;Ada&lt;/b&gt; &lt;b&gt;Ada&lt;/b&gt; O&#x27;Neil,</p> {{donor.email}} {{favourite}} \
             {{donor.email}} {{x y}} from Hope &amp; Co"
        );
        assert_eq!(
            rendered.body_text,
            "<p>Dear <b>Ada</b> <b>Ada</b> O'Neil,</p> {{donor.email}} {{favourite}} {{donor.email}} {{x y}} from Hope & Co"
        );
        assert_eq!(
            rendered.unfilled,
            [
                Unfilled { variable: "donor.email".into(), reason: UnfilledReason::NoValue },
                Unfilled { variable: "favourite".into(), reason: UnfilledReason::UnknownVariable },
            ]
        );
        // A blank name is no value; the full name falls back to what is known.
        let rendered = render(&template(None, "{{first_name}}|{{donor.full_name}}"), &values(None, Some("Lovelace")));
        assert_eq!(rendered.body_text, "{{first_name}}|Lovelace");
        assert_eq!(rendered.unfilled.len(), 1);
    }

    #[test]
    fn patching_the_text_declares_its_variables_anew() {
        let mut t = template(Some("Hi {{a}}"), "{{b}}");
        assert_eq!(t.variables, ["a", "b"]);
        t.apply(TemplatePatch { name: Some("New".into()), ..Default::default() }).unwrap();
        assert_eq!(t.variables, ["a", "b"], "a rename keeps them");
        t.apply(TemplatePatch { body: Some("{{c}} {{a}}".into()), ..Default::default() }).unwrap();
        assert_eq!(t.variables, ["a", "c"]);
        t.apply(TemplatePatch { subject: Some(None), ..Default::default() }).unwrap();
        assert_eq!((t.subject.as_deref(), t.variables.as_slice()), (None, &["c".to_owned(), "a".to_owned()][..]));
        let err = t.apply(TemplatePatch { body: Some(" ".into()), ..Default::default() }).unwrap_err();
        assert_eq!(err.field, "body");
    }
}
