//! Staff email examples: emails a staff member wrote, kept so the AI writer can match their
//! voice.

use async_trait::async_trait;

use crate::communication::validate_tags;
use crate::shared::{
    OrgScope, Page, PageRequest, RepoError, StaffEmailExampleId, StaffId, Timestamp, ValueError, optional_text,
    required_text,
};

pub const SUBJECT_MAX: usize = 998;
pub const BODY_MAX: usize = 100_000;
pub const LABEL_MAX: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct StaffEmailExample {
    pub id: StaffEmailExampleId,
    /// The staff member who wrote it.
    pub staff_id: StaffId,
    pub subject: Option<String>,
    pub body: String,
    pub tags: Vec<String>,
    /// The kind of donor it was written to (`major`, `first_time`, ...).
    pub donor_type: Option<String>,
    /// The kind of campaign it belongs to (`year_end`, `thank_you`, ...).
    pub campaign_type: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewStaffEmailExample {
    pub staff_id: StaffId,
    pub subject: Option<String>,
    pub body: String,
    pub tags: Vec<String>,
    pub donor_type: Option<String>,
    pub campaign_type: Option<String>,
}

impl NewStaffEmailExample {
    pub fn new(staff_id: StaffId, subject: Option<&str>, body: &str) -> Result<Self, ValueError> {
        Ok(Self {
            staff_id,
            subject: optional_text("subject", subject, SUBJECT_MAX)?,
            body: required_text("body", body, BODY_MAX)?,
            tags: Vec::new(),
            donor_type: None,
            campaign_type: None,
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        optional_text("subject", self.subject.as_deref(), SUBJECT_MAX)?;
        required_text("body", &self.body, BODY_MAX)?;
        optional_text("donor_type", self.donor_type.as_deref(), LABEL_MAX)?;
        optional_text("campaign_type", self.campaign_type.as_deref(), LABEL_MAX)?;
        validate_tags(&self.tags)
    }
}

/// Changes to an example: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffEmailExamplePatch {
    pub subject: Option<Option<String>>,
    pub body: Option<String>,
    pub tags: Option<Vec<String>>,
    pub donor_type: Option<Option<String>>,
    pub campaign_type: Option<Option<String>>,
}

impl StaffEmailExamplePatch {
    pub fn validate(&self) -> Result<(), ValueError> {
        optional_text("subject", self.subject.as_ref().and_then(|s| s.as_deref()), SUBJECT_MAX)?;
        if let Some(body) = &self.body {
            required_text("body", body, BODY_MAX)?;
        }
        optional_text("donor_type", self.donor_type.as_ref().and_then(|d| d.as_deref()), LABEL_MAX)?;
        optional_text("campaign_type", self.campaign_type.as_ref().and_then(|c| c.as_deref()), LABEL_MAX)?;
        self.tags.as_deref().map_or(Ok(()), validate_tags)
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StaffEmailExampleRepository: Send + Sync {
    /// Fails with `NotFound` when the staff member is not the organization's.
    async fn create(&self, scope: &OrgScope, example: NewStaffEmailExample) -> Result<StaffEmailExample, RepoError>;
    /// `None` when the example does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: StaffEmailExampleId) -> Result<Option<StaffEmailExample>, RepoError>;
    /// Examples, of one staff member or all, newest first.
    async fn list(
        &self,
        scope: &OrgScope,
        staff: Option<StaffId>,
        page: PageRequest,
    ) -> Result<Page<StaffEmailExample>, RepoError>;
    /// Fails with `NotFound` when the example is not the organization's.
    async fn update(
        &self,
        scope: &OrgScope,
        id: StaffEmailExampleId,
        patch: StaffEmailExamplePatch,
    ) -> Result<StaffEmailExample, RepoError>;
    /// Fails with `NotFound` when the example is not the organization's.
    async fn delete(&self, scope: &OrgScope, id: StaffEmailExampleId) -> Result<(), RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn examples_need_a_body_and_valid_labels() {
        let staff = StaffId::new();
        let mut example = NewStaffEmailExample::new(staff, Some(" Thank you "), "Dear Ada, ...").unwrap();
        assert_eq!(example.subject.as_deref(), Some("Thank you"));
        assert!(example.validate().is_ok());
        assert_eq!(NewStaffEmailExample::new(staff, None, "  ").unwrap_err().field, "body");
        example.tags = vec!["warm".into(), "".into()];
        assert_eq!(example.validate().unwrap_err().field, "tags");
        example.tags.clear();
        example.campaign_type = Some("x".repeat(LABEL_MAX + 1));
        assert_eq!(example.validate().unwrap_err().field, "campaign_type");
        let patch = StaffEmailExamplePatch { body: Some(String::new()), ..Default::default() };
        assert_eq!(patch.validate().unwrap_err().field, "body");
    }
}
