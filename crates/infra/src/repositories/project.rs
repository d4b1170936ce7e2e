use async_trait::async_trait;
use givance_domain::project::{NewProject, Project, ProjectPatch, ProjectRepository, ProjectStatus};
use givance_domain::shared::time::now;
use givance_domain::{OrgScope, Page, PageRequest, ProjectId, RepoError};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use crate::convert::{parse_optional, required_timestamp};
use crate::entities::project::{self, Column, Entity};
use crate::error::{delete_err, require_row, write_err};
use crate::money::stored_amount;
use crate::page::fetch_page;
use crate::scoped::{save_scoped, scoped, scoped_by_id, scoped_delete};

pub struct SeaProjectRepository {
    conn: DatabaseConnection,
}

impl SeaProjectRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

fn to_domain(m: project::Model) -> Result<Project, RepoError> {
    Ok(Project {
        id: ProjectId::from_uuid(m.id),
        name: m.name,
        description: m.description,
        target_amount: m.target_amount.map(stored_amount),
        start_date: m.start_date,
        end_date: m.end_date,
        status: parse_optional::<ProjectStatus>(m.status)?.unwrap_or(ProjectStatus::Draft),
        settings: m.settings,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

fn to_row(p: &Project) -> project::ActiveModel {
    project::ActiveModel {
        name: Set(p.name.clone()),
        description: Set(p.description.clone()),
        target_amount: Set(p.target_amount),
        start_date: Set(p.start_date),
        end_date: Set(p.end_date),
        status: Set(Some(p.status.as_str().to_owned())),
        settings: Set(p.settings.clone()),
        updated_at: Set(Some(p.updated_at)),
        ..Default::default()
    }
}

#[async_trait]
impl ProjectRepository for SeaProjectRepository {
    async fn create(&self, scope: &OrgScope, new: NewProject) -> Result<Project, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        let at = now();
        let project = Project {
            id: ProjectId::new(),
            name: new.name,
            description: new.description,
            target_amount: new.target_amount,
            start_date: new.start_date,
            end_date: new.end_date,
            status: new.status,
            settings: new.settings,
            created_at: at,
            updated_at: at,
        };
        let row = project::ActiveModel {
            id: Set(project.id.into_uuid()),
            organization_id: Set(scope.org().into_uuid()),
            created_at: Set(Some(at)),
            ..to_row(&project)
        };
        Entity::insert(row).exec_without_returning(&self.conn).await.map_err(write_err)?;
        Ok(project)
    }

    async fn get(&self, scope: &OrgScope, id: ProjectId) -> Result<Option<Project>, RepoError> {
        scoped_by_id::<Entity>(scope, id.into_uuid())
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list(&self, scope: &OrgScope, request: PageRequest) -> Result<Page<Project>, RepoError> {
        fetch_page(&self.conn, scoped::<Entity>(scope), Column::CreatedAt, Column::Id, request, |m| {
            (m.created_at, m.id)
        })
        .await?
        .try_map(to_domain)
    }

    async fn update(&self, scope: &OrgScope, id: ProjectId, patch: ProjectPatch) -> Result<Project, RepoError> {
        let mut project = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        project.apply(patch).map_err(RepoError::Invalid)?;
        project.updated_at = now();
        save_scoped::<Entity>(&self.conn, scope, id.into_uuid(), to_row(&project)).await?;
        Ok(project)
    }

    async fn delete(&self, scope: &OrgScope, id: ProjectId) -> Result<(), RepoError> {
        let result = scoped_delete::<Entity>(scope, id.into_uuid()).exec(&self.conn).await.map_err(delete_err)?;
        require_row(result.rows_affected)
    }
}
