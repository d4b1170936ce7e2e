//! Templates: rows of `templates`, tenant-scoped; a use is counted with one atomic UPDATE.

use async_trait::async_trait;
use givance_domain::communication::CommunicationChannel;
use givance_domain::shared::time::now;
use givance_domain::template::{NewTemplate, Template, TemplateFilter, TemplatePatch, TemplateRepository};
use givance_domain::{OrgScope, Page, PageRequest, RepoError, TemplateId, Timestamp, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};

use crate::convert::{parse_optional, required_timestamp, string_list, string_list_json};
use crate::entities::template::{self, Column, Entity};
use crate::error::{delete_err, require_row, write_err};
use crate::page::fetch_page;
use crate::scoped::{save_scoped, scoped, scoped_by_id, scoped_delete, scoped_update};

pub struct SeaTemplateRepository {
    conn: DatabaseConnection,
}

impl SeaTemplateRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

/// NULLs read as the schema's defaults (ADR 0012): an email template, used never, active.
fn to_domain(m: template::Model) -> Result<Template, RepoError> {
    Ok(Template {
        id: TemplateId::from_uuid(m.id),
        name: m.name,
        category: m.category,
        channel: parse_optional::<CommunicationChannel>(m.channel)?.unwrap_or(CommunicationChannel::Email),
        subject: m.subject,
        body: m.body,
        variables: string_list("variables", m.variables)?,
        usage_count: u32::try_from(m.usage_count.unwrap_or(0))
            .map_err(|_| RepoError::Corrupt(format!("usage_count is {:?}", m.usage_count)))?,
        last_used_at: m.last_used_at,
        created_by: m.created_by.map(UserId::from_uuid),
        is_active: m.is_active.unwrap_or(true),
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

/// The columns a patch may change.
fn to_row(t: &Template) -> template::ActiveModel {
    template::ActiveModel {
        name: Set(t.name.clone()),
        category: Set(t.category.clone()),
        channel: Set(Some(t.channel.as_str().to_owned())),
        subject: Set(t.subject.clone()),
        body: Set(t.body.clone()),
        variables: Set(Some(string_list_json(&t.variables))),
        is_active: Set(Some(t.is_active)),
        updated_at: Set(Some(t.updated_at)),
        ..Default::default()
    }
}

#[async_trait]
impl TemplateRepository for SeaTemplateRepository {
    async fn create(&self, scope: &OrgScope, new: NewTemplate) -> Result<Template, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        let at = now();
        let template = Template {
            id: TemplateId::new(),
            name: new.name,
            category: new.category,
            channel: new.channel,
            subject: new.subject,
            body: new.body,
            variables: new.variables,
            usage_count: 0,
            last_used_at: None,
            created_by: new.created_by,
            is_active: new.is_active,
            created_at: at,
            updated_at: at,
        };
        let row = template::ActiveModel {
            id: Set(template.id.into_uuid()),
            organization_id: Set(scope.org().into_uuid()),
            usage_count: Set(Some(0)),
            created_by: Set(template.created_by.map(UserId::into_uuid)),
            created_at: Set(Some(at)),
            ..to_row(&template)
        };
        Entity::insert(row).exec_without_returning(&self.conn).await.map_err(write_err)?;
        Ok(template)
    }

    async fn get(&self, scope: &OrgScope, id: TemplateId) -> Result<Option<Template>, RepoError> {
        scoped_by_id::<Entity>(scope, id.into_uuid())
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list(
        &self,
        scope: &OrgScope,
        filter: TemplateFilter,
        request: PageRequest,
    ) -> Result<Page<Template>, RepoError> {
        let mut select = scoped::<Entity>(scope);
        if let Some(active) = filter.is_active {
            // A NULL is active, as `to_domain` reads it.
            select = select.filter(if active {
                Condition::any().add(Column::IsActive.eq(true)).add(Column::IsActive.is_null())
            } else {
                Condition::all().add(Column::IsActive.eq(false))
            });
        }
        if let Some(category) = filter.category {
            select = select.filter(Column::Category.eq(category));
        }
        if let Some(channel) = filter.channel {
            select = select.filter(if channel == CommunicationChannel::Email {
                Condition::any().add(Column::Channel.eq(channel.as_str())).add(Column::Channel.is_null())
            } else {
                Condition::all().add(Column::Channel.eq(channel.as_str()))
            });
        }
        fetch_page(&self.conn, select, Column::CreatedAt, Column::Id, request, |m| (m.created_at, m.id))
            .await?
            .try_map(to_domain)
    }

    async fn update(&self, scope: &OrgScope, id: TemplateId, patch: TemplatePatch) -> Result<Template, RepoError> {
        let mut template = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        template.apply(patch).map_err(RepoError::Invalid)?;
        template.updated_at = now();
        save_scoped::<Entity>(&self.conn, scope, id.into_uuid(), to_row(&template)).await?;
        Ok(template)
    }

    async fn record_use(&self, scope: &OrgScope, id: TemplateId, at: Timestamp) -> Result<Template, RepoError> {
        // One UPDATE, so that concurrent uses each count.
        let result = scoped_update::<Entity>(scope, id.into_uuid())
            .col_expr(Column::UsageCount, Expr::cust("COALESCE(usage_count, 0) + 1"))
            .col_expr(Column::LastUsedAt, Expr::value(at))
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        require_row(result.rows_affected)?;
        self.get(scope, id).await?.ok_or(RepoError::NotFound)
    }

    async fn delete(&self, scope: &OrgScope, id: TemplateId) -> Result<(), RepoError> {
        let result = scoped_delete::<Entity>(scope, id.into_uuid()).exec(&self.conn).await.map_err(delete_err)?;
        require_row(result.rows_affected)
    }
}
