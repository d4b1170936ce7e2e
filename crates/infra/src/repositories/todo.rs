//! Todos: rows of `todos`, tenant-scoped. A task's donor, project and assignee are checked to be
//! the organization's before a write (a 422 naming the field, rather than a foreign-key error);
//! suggested tasks are inserted under their natural key with `ON CONFLICT DO NOTHING`.

use async_trait::async_trait;
use chrono::NaiveDate;
use givance_domain::shared::time::now;
use givance_domain::todo::{
    AiConfidence, NewTodo, Priority, SuggestionKey, Todo, TodoFilter, TodoOrigin, TodoPatch, TodoProgress,
    TodoRepository, TodoStatus, TodoType,
};
use givance_domain::{DonorId, OrgScope, Page, PageRequest, ProjectId, RepoError, TodoId, UserId, ValueError};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Select,
};

use crate::convert::{parse_optional, required_timestamp};
use crate::entities::todo::{self, Column, Entity};
use crate::entities::{donor, project, staff};
use crate::error::{delete_err, require_row, write_err};
use crate::money::stored_amount;
use crate::page::fetch_page;
use crate::scoped::{save_scoped, scoped, scoped_by_id, scoped_delete};

pub struct SeaTodoRepository {
    conn: DatabaseConnection,
}

impl SeaTodoRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    /// Refuses a donor, project or assignee that is not the organization's, naming the field.
    async fn check_references(
        &self,
        scope: &OrgScope,
        donor: Option<DonorId>,
        project: Option<ProjectId>,
        assignee: Option<UserId>,
    ) -> Result<(), RepoError> {
        let invalid = |field: &'static str, message: &str| Err(RepoError::Invalid(ValueError::new(field, message)));
        if let Some(donor) = donor {
            let live =
                scoped_by_id::<donor::Entity>(scope, donor.into_uuid()).filter(donor::Column::DeletedAt.is_null());
            if !self.exists(live).await? {
                return invalid("donor_id", "no donor with this id in the organization (or the donor is deleted)");
            }
        }
        if let Some(project) = project
            && !self.exists(scoped_by_id::<project::Entity>(scope, project.into_uuid())).await?
        {
            return invalid("project_id", "no project with this id in the organization");
        }
        if let Some(user) = assignee {
            let member = scoped::<staff::Entity>(scope)
                .filter(staff::Column::UserId.eq(user.into_uuid()))
                .filter(Condition::any().add(staff::Column::IsActive.eq(true)).add(staff::Column::IsActive.is_null()));
            if !self.exists(member).await? {
                return invalid("assigned_to", "no active staff member of the organization has this user id");
            }
        }
        Ok(())
    }

    async fn exists<E: EntityTrait>(&self, select: Select<E>) -> Result<bool, RepoError>
    where
        E::Model: Sync,
    {
        Ok(select.count(&self.conn).await.map_err(write_err)? > 0)
    }
}

/// NULLs read as the schema's defaults (ADR 0012): a pending, medium-priority `task`.
fn to_domain(m: todo::Model) -> Result<Todo, RepoError> {
    let status = parse_optional::<TodoStatus>(m.status)?.unwrap_or(TodoStatus::Pending);
    let confidence = m.ai_confidence.map(|c| AiConfidence::new(stored_amount(c))).transpose()?;
    Ok(Todo {
        id: TodoId::from_uuid(m.id),
        title: m.title,
        description: m.description,
        todo_type: parse_optional::<TodoType>(m.todo_type)?.unwrap_or(TodoType::Task),
        due_date: m.due_date,
        priority: parse_optional::<Priority>(m.priority)?.unwrap_or(Priority::Medium),
        progress: TodoProgress::from_parts(status, m.completed_at, m.completed_by.map(UserId::from_uuid))?,
        donor_id: m.donor_id.map(DonorId::from_uuid),
        project_id: m.project_id.map(ProjectId::from_uuid),
        assigned_to: m.assigned_to.map(UserId::from_uuid),
        created_by: m.created_by.map(UserId::from_uuid),
        origin: TodoOrigin::from_parts(m.is_ai_generated.unwrap_or(false), m.ai_reasoning.as_deref(), confidence)?,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

/// Every column a patch may change.
fn to_row(t: &Todo) -> todo::ActiveModel {
    todo::ActiveModel {
        title: Set(t.title.clone()),
        description: Set(t.description.clone()),
        todo_type: Set(Some(t.todo_type.as_str().to_owned())),
        due_date: Set(t.due_date),
        priority: Set(Some(t.priority.as_str().to_owned())),
        status: Set(Some(t.progress.status().as_str().to_owned())),
        completed_at: Set(t.progress.completed_at()),
        completed_by: Set(t.progress.completed_by().map(UserId::into_uuid)),
        donor_id: Set(t.donor_id.map(DonorId::into_uuid)),
        project_id: Set(t.project_id.map(ProjectId::into_uuid)),
        assigned_to: Set(t.assigned_to.map(UserId::into_uuid)),
        updated_at: Set(Some(t.updated_at)),
        ..Default::default()
    }
}

/// A new row: every column, the organization's id from the scope.
fn new_row(scope: &OrgScope, t: &Todo, key: Option<&SuggestionKey>) -> todo::ActiveModel {
    todo::ActiveModel {
        id: Set(t.id.into_uuid()),
        organization_id: Set(scope.org().into_uuid()),
        created_by: Set(t.created_by.map(UserId::into_uuid)),
        is_ai_generated: Set(Some(t.origin.is_ai_generated())),
        ai_reasoning: Set(t.origin.ai_reasoning().map(str::to_owned)),
        ai_confidence: Set(t.origin.ai_confidence().map(AiConfidence::value)),
        created_at: Set(Some(t.created_at)),
        suggestion_key: Set(key.map(|k| k.as_str().to_owned())),
        ..to_row(t)
    }
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

/// `status = value`; a NULL status is pending (ADR 0012).
fn status_is(status: TodoStatus) -> Condition {
    let condition = Condition::any().add(Column::Status.eq(status.as_str()));
    if status == TodoStatus::Pending { condition.add(Column::Status.is_null()) } else { condition }
}

fn due_before_and_open(day: NaiveDate) -> Condition {
    Condition::all()
        .add(Column::DueDate.lt(day))
        .add(Condition::any().add(status_is(TodoStatus::Pending)).add(status_is(TodoStatus::InProgress)))
}

fn filtered(scope: &OrgScope, filter: &TodoFilter) -> Select<Entity> {
    let mut select = scoped::<Entity>(scope);
    if let Some(status) = filter.status {
        select = select.filter(status_is(status));
    }
    if let Some(donor) = filter.donor_id {
        select = select.filter(Column::DonorId.eq(donor.into_uuid()));
    }
    if let Some(project) = filter.project_id {
        select = select.filter(Column::ProjectId.eq(project.into_uuid()));
    }
    if let Some(user) = filter.assigned_to {
        select = select.filter(Column::AssignedTo.eq(user.into_uuid()));
    }
    if let Some(day) = filter.due_on_or_after {
        select = select.filter(Column::DueDate.gte(day));
    }
    if let Some(day) = filter.due_on_or_before {
        select = select.filter(Column::DueDate.lte(day));
    }
    if let Some(day) = filter.overdue_on {
        select = select.filter(due_before_and_open(day));
    }
    if let Some(ai) = filter.is_ai_generated {
        select = select.filter(if ai {
            Condition::all().add(Column::IsAiGenerated.eq(true))
        } else {
            Condition::any().add(Column::IsAiGenerated.eq(false)).add(Column::IsAiGenerated.is_null())
        });
    }
    select
}

#[async_trait]
impl TodoRepository for SeaTodoRepository {
    async fn create(&self, scope: &OrgScope, new: NewTodo) -> Result<Todo, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        self.check_references(scope, new.donor_id, new.project_id, new.assigned_to).await?;
        let todo = stored(new);
        Entity::insert(new_row(scope, &todo, None)).exec_without_returning(&self.conn).await.map_err(write_err)?;
        Ok(todo)
    }

    async fn get(&self, scope: &OrgScope, id: TodoId) -> Result<Option<Todo>, RepoError> {
        scoped_by_id::<Entity>(scope, id.into_uuid())
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list(&self, scope: &OrgScope, filter: TodoFilter, request: PageRequest) -> Result<Page<Todo>, RepoError> {
        fetch_page(&self.conn, filtered(scope, &filter), Column::CreatedAt, Column::Id, request, |m| {
            (m.created_at, m.id)
        })
        .await?
        .try_map(to_domain)
    }

    async fn create_suggested(
        &self,
        scope: &OrgScope,
        key: &SuggestionKey,
        new: NewTodo,
    ) -> Result<Option<Todo>, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        let todo = stored(new);
        let inserted = Entity::insert(new_row(scope, &todo, Some(key)))
            .on_conflict(OnConflict::columns([Column::OrganizationId, Column::SuggestionKey]).do_nothing().to_owned())
            .exec_without_returning(&self.conn)
            .await
            .map_err(write_err)?;
        Ok((inserted == 1).then_some(todo))
    }

    async fn update(&self, scope: &OrgScope, id: TodoId, patch: TodoPatch) -> Result<Todo, RepoError> {
        let mut todo = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        // Only references the patch changes are checked: a task keeps working after, say, its
        // assignee was deactivated.
        let donor = patch.donor_id.flatten();
        let project = patch.project_id.flatten();
        let assignee = patch.assigned_to.flatten();
        todo.apply(patch).map_err(RepoError::Invalid)?;
        self.check_references(scope, donor, project, assignee).await?;
        todo.updated_at = now();
        save_scoped::<Entity>(&self.conn, scope, id.into_uuid(), to_row(&todo)).await?;
        Ok(todo)
    }

    async fn delete(&self, scope: &OrgScope, id: TodoId) -> Result<(), RepoError> {
        let result = scoped_delete::<Entity>(scope, id.into_uuid()).exec(&self.conn).await.map_err(delete_err)?;
        require_row(result.rows_affected)
    }
}
