//! Todos: tasks for staff (calls, emails, meetings, follow-ups), some suggested by AI.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::shared::{
    DonorId, Money, OrgScope, Page, PageRequest, ProjectId, RepoError, Timestamp, TodoId, UserId, ValueError,
    optional_text, required_text,
};
use crate::string_enum;

pub const TITLE_MAX: usize = 500;
pub const DESCRIPTION_MAX: usize = 10_000;
pub const REASONING_MAX: usize = 10_000;

string_enum! {
    /// What kind of task (the `type` column).
    pub enum TodoType: "type" {
        Call => "call",
        Email => "email",
        Meeting => "meeting",
        Task => "task",
        FollowUp => "follow_up",
    }
}

string_enum! {
    pub enum Priority: "priority" {
        Low => "low",
        Medium => "medium",
        High => "high",
    }
}

string_enum! {
    pub enum TodoStatus: "status" {
        Pending => "pending",
        InProgress => "in_progress",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

/// How sure the AI was of a suggested task: an exact decimal from 0.00 to 1.00 with at most two
/// places (`DECIMAL(3,2)`), held at scale 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AiConfidence(Decimal);

impl AiConfidence {
    pub fn new(value: Decimal) -> Result<Self, ValueError> {
        let value = Money::check_amount(value).map_err(|e| e.for_field("ai_confidence"))?;
        if value < Decimal::ZERO || value > Decimal::ONE {
            return Err(ValueError::new("ai_confidence", format!("must be between 0.00 and 1.00, not {value}")));
        }
        Ok(Self(value))
    }

    /// Parses a decimal string such as `"0.85"`; floats never enter the domain.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let value = Decimal::from_str_exact(raw.trim())
            .map_err(|_| ValueError::new("ai_confidence", format!("'{}' is not a decimal number", raw.trim())))?;
        Self::new(value)
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for AiConfidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for AiConfidence {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Who proposed the task. Reasoning and confidence exist only for AI-generated tasks.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum TodoOrigin {
    #[default]
    Manual,
    Ai {
        reasoning: Option<String>,
        confidence: Option<AiConfidence>,
    },
}

impl TodoOrigin {
    /// Builds an origin from flat fields, refusing AI details on a task a person created.
    pub fn from_parts(
        is_ai_generated: bool,
        reasoning: Option<&str>,
        confidence: Option<AiConfidence>,
    ) -> Result<Self, ValueError> {
        let reasoning = optional_text("ai_reasoning", reasoning, REASONING_MAX)?;
        match (is_ai_generated, reasoning, confidence) {
            (true, reasoning, confidence) => Ok(TodoOrigin::Ai { reasoning, confidence }),
            (false, None, None) => Ok(TodoOrigin::Manual),
            (false, Some(_), _) => Err(ValueError::new("ai_reasoning", "may only be set when is_ai_generated is true")),
            (false, None, Some(_)) => {
                Err(ValueError::new("ai_confidence", "may only be set when is_ai_generated is true"))
            }
        }
    }

    pub fn is_ai_generated(&self) -> bool {
        matches!(self, TodoOrigin::Ai { .. })
    }

    pub fn ai_reasoning(&self) -> Option<&str> {
        match self {
            TodoOrigin::Ai { reasoning, .. } => reasoning.as_deref(),
            TodoOrigin::Manual => None,
        }
    }

    pub fn ai_confidence(&self) -> Option<AiConfidence> {
        match self {
            TodoOrigin::Ai { confidence, .. } => *confidence,
            TodoOrigin::Manual => None,
        }
    }
}

/// Where a task is. Completion details exist only for completed tasks: the type makes
/// "completed_at and completed_by are set only when status is completed" impossible to break.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TodoProgress {
    #[default]
    Pending,
    InProgress,
    /// Done at `at`, by `by` when a person (rather than an operator or automation) completed it.
    Completed {
        at: Timestamp,
        by: Option<UserId>,
    },
    Cancelled,
}

impl TodoProgress {
    /// Builds the progress from flat fields (a row, an API body). A completed task needs its
    /// completion time; other statuses refuse completion details.
    pub fn from_parts(
        status: TodoStatus,
        completed_at: Option<Timestamp>,
        completed_by: Option<UserId>,
    ) -> Result<Self, ValueError> {
        match (status, completed_at, completed_by) {
            (TodoStatus::Completed, Some(at), by) => Ok(TodoProgress::Completed { at, by }),
            (TodoStatus::Completed, None, _) => {
                Err(ValueError::new("completed_at", "is required when status is 'completed'"))
            }
            (_, Some(_), _) => Err(ValueError::new("completed_at", "may only be set when status is 'completed'")),
            (_, None, Some(_)) => Err(ValueError::new("completed_by", "may only be set when status is 'completed'")),
            (TodoStatus::Pending, None, None) => Ok(TodoProgress::Pending),
            (TodoStatus::InProgress, None, None) => Ok(TodoProgress::InProgress),
            (TodoStatus::Cancelled, None, None) => Ok(TodoProgress::Cancelled),
        }
    }

    pub fn status(self) -> TodoStatus {
        match self {
            TodoProgress::Pending => TodoStatus::Pending,
            TodoProgress::InProgress => TodoStatus::InProgress,
            TodoProgress::Completed { .. } => TodoStatus::Completed,
            TodoProgress::Cancelled => TodoStatus::Cancelled,
        }
    }

    pub fn completed_at(self) -> Option<Timestamp> {
        match self {
            TodoProgress::Completed { at, .. } => Some(at),
            _ => None,
        }
    }

    pub fn completed_by(self) -> Option<UserId> {
        match self {
            TodoProgress::Completed { by, .. } => by,
            _ => None,
        }
    }

    /// Completed and cancelled tasks need no more work.
    pub fn is_closed(self) -> bool {
        matches!(self, TodoProgress::Completed { .. } | TodoProgress::Cancelled)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Todo {
    pub id: TodoId,
    pub title: String,
    pub description: Option<String>,
    /// The `type` column.
    pub todo_type: TodoType,
    pub due_date: Option<NaiveDate>,
    pub priority: Priority,
    /// `status`, `completed_at` and `completed_by`.
    pub progress: TodoProgress,
    pub donor_id: Option<DonorId>,
    pub project_id: Option<ProjectId>,
    pub assigned_to: Option<UserId>,
    pub created_by: Option<UserId>,
    /// `is_ai_generated`, `ai_reasoning` and `ai_confidence`.
    pub origin: TodoOrigin,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A task to create. [`NewTodo::new`] starts from the schema's defaults: a pending,
/// medium-priority `task` created by a person.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTodo {
    pub title: String,
    pub description: Option<String>,
    pub todo_type: TodoType,
    pub due_date: Option<NaiveDate>,
    pub priority: Priority,
    pub progress: TodoProgress,
    pub donor_id: Option<DonorId>,
    pub project_id: Option<ProjectId>,
    pub assigned_to: Option<UserId>,
    pub created_by: Option<UserId>,
    pub origin: TodoOrigin,
}

impl NewTodo {
    pub fn new(title: &str) -> Result<Self, ValueError> {
        Ok(Self {
            title: required_text("title", title, TITLE_MAX)?,
            description: None,
            todo_type: TodoType::Task,
            due_date: None,
            priority: Priority::Medium,
            progress: TodoProgress::Pending,
            donor_id: None,
            project_id: None,
            assigned_to: None,
            created_by: None,
            origin: TodoOrigin::Manual,
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        required_text("title", &self.title, TITLE_MAX)?;
        optional_text("description", self.description.as_deref(), DESCRIPTION_MAX)?;
        optional_text("ai_reasoning", self.origin.ai_reasoning(), REASONING_MAX)?;
        Ok(())
    }
}

/// Changes to a task: `None` leaves a field alone, `Some(None)` clears it. Completing a task is
/// `progress: Some(TodoProgress::Completed { .. })`; reopening it clears the completion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TodoPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub todo_type: Option<TodoType>,
    pub due_date: Option<Option<NaiveDate>>,
    pub priority: Option<Priority>,
    pub progress: Option<TodoProgress>,
    pub donor_id: Option<Option<DonorId>>,
    pub project_id: Option<Option<ProjectId>>,
    pub assigned_to: Option<Option<UserId>>,
}

impl TodoPatch {
    pub fn validate(&self) -> Result<(), ValueError> {
        if let Some(title) = &self.title {
            required_text("title", title, TITLE_MAX)?;
        }
        optional_text("description", self.description.as_ref().and_then(|d| d.as_deref()), DESCRIPTION_MAX)?;
        Ok(())
    }
}

/// Which tasks to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TodoFilter {
    pub status: Option<TodoStatus>,
    pub donor_id: Option<DonorId>,
    pub project_id: Option<ProjectId>,
    pub assigned_to: Option<UserId>,
    /// Only tasks due on or before this day (tasks without a due date are left out).
    pub due_on_or_before: Option<NaiveDate>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TodoRepository: Send + Sync {
    /// Fails with `NotFound` when the donor or project is not the organization's, or the assignee
    /// is not one of its staff.
    async fn create(&self, scope: &OrgScope, todo: NewTodo) -> Result<Todo, RepoError>;
    /// `None` when the task does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: TodoId) -> Result<Option<Todo>, RepoError>;
    /// Tasks matching the filter (by status, donor, project, assignee, due date), newest first.
    async fn list(&self, scope: &OrgScope, filter: TodoFilter, page: PageRequest) -> Result<Page<Todo>, RepoError>;
    /// Fails with `NotFound` when the task, or a newly linked donor, project or assignee, is not
    /// the organization's.
    async fn update(&self, scope: &OrgScope, id: TodoId, patch: TodoPatch) -> Result<Todo, RepoError>;
    /// Fails with `NotFound` when the task is not the organization's.
    async fn delete(&self, scope: &OrgScope, id: TodoId) -> Result<(), RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::shared::time::now;

    #[test]
    fn ai_confidence_is_0_to_1_with_two_places() {
        let cases: [(&str, Option<&str>); 12] = [
            ("0", Some("0.00")),
            ("0.00", Some("0.00")),
            ("0.5", Some("0.50")),
            ("0.85", Some("0.85")),
            ("1", Some("1.00")),
            ("1.00", Some("1.00")),
            ("1.000", Some("1.00")),
            ("1.01", None),
            ("-0.01", None),
            ("0.855", None),
            ("2", None),
            ("high", None),
        ];
        for (raw, expected) in cases {
            let parsed = AiConfidence::parse(raw);
            assert_eq!(parsed.as_ref().ok().map(ToString::to_string).as_deref(), expected, "{raw:?}");
            if let Err(err) = parsed {
                assert_eq!(err.field, "ai_confidence", "{raw:?}");
            }
        }
        assert_eq!(AiConfidence::new(dec!(0.9)).unwrap().value(), dec!(0.90));
        assert!(AiConfidence::new(dec!(0.90)).unwrap() > AiConfidence::new(dec!(0.5)).unwrap());
    }

    #[test]
    fn completion_details_exist_only_for_completed_tasks() {
        use TodoStatus::*;
        let (at, by) = (now(), UserId::new());
        let cases = [
            (Completed, Some(at), Some(by), Ok(TodoProgress::Completed { at, by: Some(by) })),
            (Completed, Some(at), None, Ok(TodoProgress::Completed { at, by: None })),
            (Completed, None, Some(by), Err("completed_at")),
            (Completed, None, None, Err("completed_at")),
            (Pending, None, None, Ok(TodoProgress::Pending)),
            (InProgress, None, None, Ok(TodoProgress::InProgress)),
            (Cancelled, None, None, Ok(TodoProgress::Cancelled)),
            (Pending, Some(at), None, Err("completed_at")),
            (InProgress, None, Some(by), Err("completed_by")),
            (Cancelled, Some(at), Some(by), Err("completed_at")),
        ];
        for (status, completed_at, completed_by, expected) in cases {
            let result = TodoProgress::from_parts(status, completed_at, completed_by);
            assert_eq!(result.map_err(|e| e.field.into_owned()), expected.map_err(str::to_owned), "{status}");
        }
        let done = TodoProgress::Completed { at, by: Some(by) };
        assert_eq!((done.status(), done.completed_at(), done.completed_by()), (Completed, Some(at), Some(by)));
        assert_eq!((TodoProgress::Pending.completed_at(), TodoProgress::Pending.completed_by()), (None, None));
        assert!(done.is_closed() && TodoProgress::Cancelled.is_closed() && !TodoProgress::InProgress.is_closed());
    }

    #[test]
    fn ai_details_exist_only_for_ai_tasks() {
        let confidence = AiConfidence::parse("0.7").ok();
        let ai = TodoOrigin::from_parts(true, Some(" Gave twice last year "), confidence).unwrap();
        assert!(ai.is_ai_generated());
        assert_eq!(ai.ai_reasoning(), Some("Gave twice last year"));
        assert_eq!(ai.ai_confidence(), confidence);
        assert_eq!(TodoOrigin::from_parts(false, None, None).unwrap(), TodoOrigin::Manual);
        assert_eq!(TodoOrigin::from_parts(false, Some("because"), None).unwrap_err().field, "ai_reasoning");
        assert_eq!(TodoOrigin::from_parts(false, None, confidence).unwrap_err().field, "ai_confidence");
        assert_eq!(TodoOrigin::from_parts(false, Some("  "), None).unwrap(), TodoOrigin::Manual);
    }

    #[test]
    fn new_todos_start_from_the_schema_defaults() {
        let todo = NewTodo::new(" Call Ada ").unwrap();
        assert_eq!(todo.title, "Call Ada");
        assert_eq!(
            (todo.todo_type, todo.priority, todo.progress.status()),
            (TodoType::Task, Priority::Medium, TodoStatus::Pending)
        );
        assert!(!todo.origin.is_ai_generated());
        assert_eq!(NewTodo::new("").unwrap_err().field, "title");
        assert_eq!("follow_up".parse::<TodoType>().unwrap(), TodoType::FollowUp);
        assert_eq!("urgent".parse::<Priority>().unwrap_err().field, "priority");
        assert_eq!("done".parse::<TodoStatus>().unwrap_err().field, "status");
    }
}
