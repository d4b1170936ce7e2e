//! Todos: tasks for staff (calls, emails, meetings, follow-ups), some suggested by AI.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::report::FiscalYearStart;
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

impl Todo {
    /// Applies a patch. Completing a task that is already completed keeps its first completion;
    /// any other status clears the completion.
    pub fn apply(&mut self, patch: TodoPatch) -> Result<(), ValueError> {
        patch.validate()?;
        if let Some(title) = patch.title {
            self.title = required_text("title", &title, TITLE_MAX)?;
        }
        if let Some(description) = patch.description {
            self.description = optional_text("description", description.as_deref(), DESCRIPTION_MAX)?;
        }
        if let Some(todo_type) = patch.todo_type {
            self.todo_type = todo_type;
        }
        if let Some(due_date) = patch.due_date {
            self.due_date = due_date;
        }
        if let Some(priority) = patch.priority {
            self.priority = priority;
        }
        if let Some(progress) = patch.progress {
            let already_done = matches!(self.progress, TodoProgress::Completed { .. });
            if !(already_done && matches!(progress, TodoProgress::Completed { .. })) {
                self.progress = progress;
            }
        }
        if let Some(donor_id) = patch.donor_id {
            self.donor_id = donor_id;
        }
        if let Some(project_id) = patch.project_id {
            self.project_id = project_id;
        }
        if let Some(assigned_to) = patch.assigned_to {
            self.assigned_to = assigned_to;
        }
        Ok(())
    }
}

/// Which tasks to list; every condition given must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TodoFilter {
    pub status: Option<TodoStatus>,
    pub donor_id: Option<DonorId>,
    pub project_id: Option<ProjectId>,
    pub assigned_to: Option<UserId>,
    /// Only tasks due on or after this day (tasks without a due date are left out).
    pub due_on_or_after: Option<NaiveDate>,
    /// Only tasks due on or before this day (tasks without a due date are left out).
    pub due_on_or_before: Option<NaiveDate>,
    /// Only overdue tasks as of this day: due before it and still open (pending or in progress).
    pub overdue_on: Option<NaiveDate>,
    /// Only suggested (true) or hand-made (false) tasks.
    pub is_ai_generated: Option<bool>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TodoRepository: Send + Sync {
    /// Fails with `Invalid` naming the field when the donor is not a live donor of the
    /// organization, the project not its, or the assignee (a user) not one of its active staff.
    async fn create(&self, scope: &OrgScope, todo: NewTodo) -> Result<Todo, RepoError>;
    /// `None` when the task does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: TodoId) -> Result<Option<Todo>, RepoError>;
    /// Tasks matching the filter (by status, donor, project, assignee, due date), newest first.
    async fn list(&self, scope: &OrgScope, filter: TodoFilter, page: PageRequest) -> Result<Page<Todo>, RepoError>;
    /// Stores a suggested task under its natural key, unless a task with that key exists in the
    /// organization already (whatever became of it): `None` then, and nothing is written. The
    /// check is the database's (a unique key), so concurrent runs cannot both store it.
    async fn create_suggested(
        &self,
        scope: &OrgScope,
        key: &SuggestionKey,
        todo: NewTodo,
    ) -> Result<Option<Todo>, RepoError>;
    /// Fails with `NotFound` when the task is not the organization's, and with `Invalid` naming
    /// the field when a newly linked donor, project or assignee is not (as for `create`).
    async fn update(&self, scope: &OrgScope, id: TodoId, patch: TodoPatch) -> Result<Todo, RepoError>;
    /// Fails with `NotFound` when the task is not the organization's.
    async fn delete(&self, scope: &OrgScope, id: TodoId) -> Result<(), RepoError>;
}

// ---------------------------------------------------------------------------------------------
// Suggested tasks

string_enum! {
    /// The rule that proposed a task.
    pub enum SuggestionRule: "rule" {
        /// Gave in the previous calendar year, not (yet) in this one.
        LapsedDonor => "lapsed_donor",
        /// A major donor with no recorded contact for a while.
        MajorDonorNoContact => "major_donor_no_contact",
        /// A campaign email to the donor failed to send.
        FailedEmail => "failed_email",
    }
}

/// A suggestion's natural key: the rule, the donor, and what makes this occurrence of the rule
/// distinct (the year that lapsed, the last contact, the failed email), so the same
/// suggestion is never stored twice but a new occurrence is suggested again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SuggestionKey(String);

impl SuggestionKey {
    pub fn new(rule: SuggestionRule, donor: DonorId, occurrence: &str) -> Self {
        Self(format!("{rule}:{donor}:{occurrence}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SuggestionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A task a suggester proposes: an AI-generated [`NewTodo`] (with its reasoning and confidence)
/// and its natural key.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestedTask {
    pub rule: SuggestionRule,
    pub key: SuggestionKey,
    pub todo: NewTodo,
}

/// What a suggester needs to know besides the organization's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuggestionContext {
    /// The day the suggestions are for (due dates count from it; "this year" contains it).
    pub today: NaiveDate,
    /// The organization's fiscal year, which "last year" and "this year" mean.
    pub fiscal_year: FiscalYearStart,
}

/// Proposes follow-up tasks for an organization from its data. The built-in adapter is
/// rule-based (`givance_infra::suggester`); a model-backed one may replace it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TaskSuggester: Send + Sync {
    /// The tasks worth doing as of `context.today`; it may propose tasks already stored (the
    /// keys tell them apart).
    async fn suggest(&self, scope: &OrgScope, context: SuggestionContext) -> Result<Vec<SuggestedTask>, RepoError>;
}

/// What one run of the suggester stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SuggestionRun {
    /// The new tasks, in the order proposed.
    pub created: Vec<Todo>,
    /// Proposals whose key was already stored: not stored again.
    pub already_suggested: u64,
}

/// Runs the suggester and stores each proposal once: a proposal whose key is stored already
/// (by an earlier run, or a concurrent one) is skipped.
pub async fn run_suggestions(
    suggester: &dyn TaskSuggester,
    todos: &dyn TodoRepository,
    scope: &OrgScope,
    context: SuggestionContext,
) -> Result<SuggestionRun, RepoError> {
    let mut run = SuggestionRun::default();
    for suggestion in suggester.suggest(scope, context).await? {
        match todos.create_suggested(scope, &suggestion.key, suggestion.todo).await? {
            Some(todo) => run.created.push(todo),
            None => run.already_suggested += 1,
        }
    }
    Ok(run)
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
    fn stored(new: NewTodo) -> Todo {
        let at = now();
        Todo {
            id: TodoId::new(),
            title: new.title,
            description: new.description,
            todo_type: new.todo_type,
            due_date: new.due_date,
            priority: new.priority,
            progress: new.progress,
            donor_id: new.donor_id,
            project_id: new.project_id,
            assigned_to: new.assigned_to,
            created_by: new.created_by,
            origin: new.origin,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn completing_twice_keeps_the_first_completion() {
        let mut todo = stored(NewTodo::new("Call").unwrap());
        let (first, later) = (now(), now() + chrono::Duration::hours(1));
        let done = |at| TodoPatch { progress: Some(TodoProgress::Completed { at, by: None }), ..Default::default() };
        todo.apply(done(first)).unwrap();
        todo.apply(done(later)).unwrap();
        assert_eq!(todo.progress.completed_at(), Some(first));
        todo.apply(TodoPatch { progress: Some(TodoProgress::Pending), ..Default::default() }).unwrap();
        assert_eq!((todo.progress.status(), todo.progress.completed_at()), (TodoStatus::Pending, None));
        assert_eq!(todo.apply(TodoPatch { title: Some(" ".into()), ..Default::default() }).unwrap_err().field, "title");
    }

    #[tokio::test]
    async fn a_run_stores_each_suggestion_once() {
        let scope = OrgScope::for_tests(crate::shared::OrganizationId::new());
        let context = SuggestionContext {
            today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            fiscal_year: FiscalYearStart::JANUARY,
        };
        let donor = DonorId::new();
        let suggestion = |occurrence: &str| {
            let mut todo = NewTodo::new("Thank").unwrap();
            todo.origin = TodoOrigin::Ai { reasoning: Some("why".into()), confidence: AiConfidence::parse("0.8").ok() };
            SuggestedTask {
                rule: SuggestionRule::LapsedDonor,
                key: SuggestionKey::new(SuggestionRule::LapsedDonor, donor, occurrence),
                todo,
            }
        };
        let proposals = vec![suggestion("2025"), suggestion("2024")];
        let mut suggester = MockTaskSuggester::new();
        suggester.expect_suggest().withf(move |_, c| *c == context).times(1).return_once(move |_, _| Ok(proposals));
        let mut todos = MockTodoRepository::new();
        todos.expect_create_suggested().times(2).returning(|_, key, todo| {
            assert!(key.as_str().starts_with("lapsed_donor:"));
            Ok(key.as_str().ends_with(":2025").then(|| stored(todo)))
        });
        let run = run_suggestions(&suggester, &todos, &scope, context).await.unwrap();
        assert_eq!((run.created.len(), run.already_suggested), (1, 1));
        assert!(run.created[0].origin.is_ai_generated());
    }
}
