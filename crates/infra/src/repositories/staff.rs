use async_trait::async_trait;
use givance_domain::shared::time::now;
use givance_domain::staff::{NewStaff, Role, Staff, StaffPatch, StaffRepository};
use givance_domain::{OrgScope, OrganizationId, Page, PageRequest, RepoError, Secret, StaffId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::convert::{parse_optional, required_timestamp, string_list, string_list_json};
use crate::entities::staff::{self, Column, Entity};
use crate::error::{require_row, write_err};
use crate::page::fetch_page;
use crate::scoped::{save_scoped, scoped, scoped_by_id, scoped_update};

pub struct SeaStaffRepository {
    conn: DatabaseConnection,
}

impl SeaStaffRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    async fn set_active(&self, scope: &OrgScope, id: StaffId, active: bool) -> Result<Staff, RepoError> {
        let result = scoped_update::<Entity>(scope, id.into_uuid())
            .col_expr(Column::IsActive, Expr::value(active))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        require_row(result.rows_affected)?;
        self.get(scope, id).await?.ok_or(RepoError::NotFound)
    }
}

pub(super) fn to_domain(m: staff::Model) -> Result<Staff, RepoError> {
    Ok(Staff {
        id: StaffId::from_uuid(m.id),
        user_id: UserId::from_uuid(m.user_id),
        role: m.role.parse::<Role>()?,
        permissions: string_list("permissions", m.permissions)?,
        is_active: m.is_active.unwrap_or(true),
        gmail_refresh_token: m.gmail_refresh_token.map(Secret::new),
        gmail_email: parse_optional(m.gmail_email)?,
        microsoft_refresh_token: m.microsoft_refresh_token.map(Secret::new),
        microsoft_email: parse_optional(m.microsoft_email)?,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

fn to_row(s: &Staff) -> staff::ActiveModel {
    staff::ActiveModel {
        user_id: Set(s.user_id.into_uuid()),
        role: Set(s.role.as_str().to_owned()),
        permissions: Set(Some(string_list_json(&s.permissions))),
        is_active: Set(Some(s.is_active)),
        gmail_refresh_token: Set(s.gmail_refresh_token.as_ref().map(|t| t.expose().to_owned())),
        gmail_email: Set(s.gmail_email.as_ref().map(|e| e.as_str().to_owned())),
        microsoft_refresh_token: Set(s.microsoft_refresh_token.as_ref().map(|t| t.expose().to_owned())),
        microsoft_email: Set(s.microsoft_email.as_ref().map(|e| e.as_str().to_owned())),
        updated_at: Set(Some(s.updated_at)),
        ..Default::default()
    }
}

#[async_trait]
impl StaffRepository for SeaStaffRepository {
    async fn create(&self, scope: &OrgScope, new: NewStaff) -> Result<Staff, RepoError> {
        let at = now();
        let staff = Staff {
            id: StaffId::new(),
            user_id: new.user_id,
            role: new.role,
            permissions: new.permissions,
            is_active: true,
            gmail_refresh_token: None,
            gmail_email: None,
            microsoft_refresh_token: None,
            microsoft_email: None,
            created_at: at,
            updated_at: at,
        };
        let row = staff::ActiveModel {
            id: Set(staff.id.into_uuid()),
            organization_id: Set(scope.org().into_uuid()),
            created_at: Set(Some(at)),
            ..to_row(&staff)
        };
        Entity::insert(row).exec_without_returning(&self.conn).await.map_err(write_err)?;
        Ok(staff)
    }

    async fn get(&self, scope: &OrgScope, id: StaffId) -> Result<Option<Staff>, RepoError> {
        scoped_by_id::<Entity>(scope, id.into_uuid())
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(to_domain)
            .transpose()
    }

    async fn find_by_user(&self, scope: &OrgScope, user: UserId) -> Result<Option<Staff>, RepoError> {
        scoped::<Entity>(scope)
            .filter(Column::UserId.eq(user.into_uuid()))
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list(&self, scope: &OrgScope, request: PageRequest) -> Result<Page<Staff>, RepoError> {
        let page = fetch_page(&self.conn, scoped::<Entity>(scope), Column::CreatedAt, Column::Id, request, |m| {
            (m.created_at, m.id)
        })
        .await?;
        page.try_map(to_domain)
    }

    async fn update(&self, scope: &OrgScope, id: StaffId, patch: StaffPatch) -> Result<Staff, RepoError> {
        let mut staff = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        staff.apply(patch);
        staff.updated_at = now();
        save_scoped::<Entity>(&self.conn, scope, id.into_uuid(), to_row(&staff)).await?;
        Ok(staff)
    }

    async fn deactivate(&self, scope: &OrgScope, id: StaffId) -> Result<Staff, RepoError> {
        self.set_active(scope, id, false).await
    }

    async fn reactivate(&self, scope: &OrgScope, id: StaffId) -> Result<Staff, RepoError> {
        self.set_active(scope, id, true).await
    }

    // Unscoped by design (see the port): filters on the organization the credential names.
    async fn find_membership(&self, org: OrganizationId, user: UserId) -> Result<Option<Staff>, RepoError> {
        Entity::find()
            .filter(Column::OrganizationId.eq(org.into_uuid()))
            .filter(Column::UserId.eq(user.into_uuid()))
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(to_domain)
            .transpose()
    }
}
