//! Projects: the campaigns and funds that donations go to.

use async_trait::async_trait;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::shared::{
    Money, OrgScope, Page, PageRequest, ProjectId, RepoError, Timestamp, ValueError, optional_text, required_text,
};
use crate::string_enum;

string_enum! {
    pub enum ProjectStatus: "status" {
        Draft => "draft",
        Active => "active",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

impl ProjectStatus {
    /// Draft -> active -> completed | cancelled; a draft may also be cancelled.
    pub fn can_become(self, next: ProjectStatus) -> bool {
        use ProjectStatus::*;
        self == next
            || matches!((self, next), (Draft, Active) | (Draft, Cancelled) | (Active, Completed) | (Active, Cancelled))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub description: Option<String>,
    /// The fundraising goal, in the organization's currency.
    pub target_amount: Option<Decimal>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub status: ProjectStatus,
    pub settings: Option<serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    pub name: String,
    pub description: Option<String>,
    pub target_amount: Option<Decimal>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub status: ProjectStatus,
    pub settings: Option<serde_json::Value>,
}

impl NewProject {
    pub fn new(name: &str) -> Result<Self, ValueError> {
        Ok(Self {
            name: required_text("name", name, 200)?,
            description: None,
            target_amount: None,
            start_date: None,
            end_date: None,
            status: ProjectStatus::Draft,
            settings: None,
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        optional_text("description", self.description.as_deref(), 10_000)?;
        check_target(self.target_amount)?;
        check_dates(self.start_date, self.end_date)
    }
}

/// A target is a positive amount with at most two decimal places.
pub fn check_target(target: Option<Decimal>) -> Result<Option<Decimal>, ValueError> {
    target
        .map(|amount| {
            let amount = Money::check_amount(amount).map_err(|e| e.for_field("target_amount"))?;
            if amount <= Decimal::ZERO {
                return Err(ValueError::new("target_amount", "must be greater than zero"));
            }
            Ok(amount)
        })
        .transpose()
}

pub fn check_dates(start: Option<NaiveDate>, end: Option<NaiveDate>) -> Result<(), ValueError> {
    match (start, end) {
        (Some(start), Some(end)) if end < start => Err(ValueError::new("end_date", "must not be before start_date")),
        _ => Ok(()),
    }
}

/// Changes to a project: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub target_amount: Option<Option<Decimal>>,
    pub start_date: Option<Option<NaiveDate>>,
    pub end_date: Option<Option<NaiveDate>>,
    pub status: Option<ProjectStatus>,
    pub settings: Option<Option<serde_json::Value>>,
}

impl Project {
    /// Applies a patch: text limits, a positive target, dates in order, and status moves
    /// only along draft -> active -> completed | cancelled.
    pub fn apply(&mut self, patch: ProjectPatch) -> Result<(), ValueError> {
        if let Some(v) = patch.name {
            self.name = required_text("name", &v, 200)?;
        }
        if let Some(v) = patch.description {
            self.description = optional_text("description", v.as_deref(), 10_000)?;
        }
        if let Some(v) = patch.target_amount {
            self.target_amount = check_target(v)?;
        }
        if let Some(v) = patch.start_date {
            self.start_date = v;
        }
        if let Some(v) = patch.end_date {
            self.end_date = v;
        }
        check_dates(self.start_date, self.end_date)?;
        if let Some(next) = patch.status {
            if !self.status.can_become(next) {
                return Err(ValueError::new("status", format!("a {} project cannot become {next}", self.status)));
            }
            self.status = next;
        }
        if let Some(v) = patch.settings {
            self.settings = v;
        }
        Ok(())
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProjectRepository: Send + Sync {
    async fn create(&self, scope: &OrgScope, project: NewProject) -> Result<Project, RepoError>;
    async fn get(&self, scope: &OrgScope, id: ProjectId) -> Result<Option<Project>, RepoError>;
    async fn list(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<Project>, RepoError>;
    async fn update(&self, scope: &OrgScope, id: ProjectId, patch: ProjectPatch) -> Result<Project, RepoError>;
    /// Fails with `InUse` while donations point at the project.
    async fn delete(&self, scope: &OrgScope, id: ProjectId) -> Result<(), RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProjectStatus::*;

    #[test]
    fn status_moves_forward_only() {
        assert!(Draft.can_become(Active));
        assert!(Active.can_become(Completed));
        assert!(Active.can_become(Cancelled));
        assert!(!Completed.can_become(Active));
        assert!(!Cancelled.can_become(Draft));
        assert!(!Draft.can_become(Completed));
    }

    #[test]
    fn targets_and_dates_are_checked() {
        assert!(check_target(Some(Decimal::new(-1, 0))).is_err());
        assert!(check_target(Some(Decimal::new(1001, 3))).is_err());
        assert_eq!(check_target(Some(Decimal::new(5, 0))).unwrap().unwrap().to_string(), "5.00");
        let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
        assert_eq!(check_dates(Some(day(2)), Some(day(1))).unwrap_err().field, "end_date");
        assert!(check_dates(Some(day(1)), Some(day(1))).is_ok());
    }
}
