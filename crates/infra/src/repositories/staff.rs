//! Staff over SeaORM. Users are not tenant data: this repository reaches them only through staff
//! rows of the scope's organization (the directory, invitations, profile changes).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use givance_domain::shared::time::now;
use givance_domain::staff::{Invitation, NewStaff, Role, Staff, StaffFilter, StaffMember, StaffPatch, StaffRepository};
use givance_domain::user::{NewUser, User, UserPatch};
use givance_domain::{OrgScope, OrganizationId, Page, PageRequest, RepoError, Secret, StaffId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, TransactionTrait,
};

use super::user as users;
use crate::convert::{parse_optional, required_timestamp, string_list, string_list_json};
use crate::credential_cache::CredentialCache;
use crate::entities::staff::{self, Column, Entity};
use crate::entities::user as user_entity;
use crate::error::{require_row, write_err};
use crate::page::fetch_page;
use crate::scoped::{save_scoped, scoped, scoped_by_id, scoped_update};

pub struct SeaStaffRepository {
    conn: DatabaseConnection,
    credentials: Arc<CredentialCache>,
}

impl SeaStaffRepository {
    /// Every change to a staff member empties `credentials`: their keys' permissions and
    /// activity come from the staff row.
    pub fn new(conn: DatabaseConnection, credentials: Arc<CredentialCache>) -> Self {
        Self { conn, credentials }
    }

    async fn set_active(&self, scope: &OrgScope, id: StaffId, active: bool) -> Result<Staff, RepoError> {
        let result = scoped_update::<Entity>(scope, id.into_uuid())
            .col_expr(Column::IsActive, Expr::value(active))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        self.credentials.invalidate();
        require_row(result.rows_affected)?;
        self.get(scope, id).await?.ok_or(RepoError::NotFound)
    }
}

/// `is_active` is nullable with a default of true; a NULL counts as active, as `to_domain` reads it.
fn activity(active: bool) -> Condition {
    if active {
        Condition::any().add(Column::IsActive.eq(true)).add(Column::IsActive.is_null())
    } else {
        Condition::all().add(Column::IsActive.eq(false))
    }
}

fn active_admins(scope: &OrgScope) -> Select<Entity> {
    scoped::<Entity>(scope).filter(Column::Role.eq(Role::Admin.as_str())).filter(activity(true))
}

/// Pairs each staff row with its user, read by the ids those rows name.
async fn with_users<C: ConnectionTrait>(conn: &C, staff: Vec<Staff>) -> Result<Vec<StaffMember>, RepoError> {
    let ids: Vec<uuid::Uuid> = staff.iter().map(|s| s.user_id.into_uuid()).collect();
    let mut found: HashMap<UserId, User> = HashMap::with_capacity(ids.len());
    for row in
        user_entity::Entity::find().filter(user_entity::Column::Id.is_in(ids)).all(conn).await.map_err(write_err)?
    {
        let user = users::to_domain(row)?;
        found.insert(user.id, user);
    }
    staff
        .into_iter()
        .map(|staff| match found.get(&staff.user_id) {
            Some(user) => Ok(StaffMember { user: user.clone(), staff }),
            None => Err(RepoError::Corrupt(format!("staff {} names a missing user", staff.id))),
        })
        .collect()
}

async fn insert<C: ConnectionTrait>(conn: &C, scope: &OrgScope, new: NewStaff) -> Result<Staff, RepoError> {
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
    Entity::insert(row).exec_without_returning(conn).await.map_err(write_err)?;
    Ok(staff)
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
        insert(&self.conn, scope, new).await
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
        self.credentials.invalidate();
        Ok(staff)
    }

    async fn deactivate(&self, scope: &OrgScope, id: StaffId) -> Result<Staff, RepoError> {
        self.set_active(scope, id, false).await
    }

    async fn reactivate(&self, scope: &OrgScope, id: StaffId) -> Result<Staff, RepoError> {
        self.set_active(scope, id, true).await
    }

    async fn list_members(
        &self,
        scope: &OrgScope,
        filter: StaffFilter,
        request: PageRequest,
    ) -> Result<Page<StaffMember>, RepoError> {
        let mut select = scoped::<Entity>(scope);
        if let Some(role) = filter.role {
            select = select.filter(Column::Role.eq(role.as_str()));
        }
        if let Some(active) = filter.is_active {
            select = select.filter(activity(active));
        }
        let page = fetch_page(&self.conn, select, Column::CreatedAt, Column::Id, request, |m| (m.created_at, m.id))
            .await?
            .try_map(to_domain)?;
        Ok(Page { items: with_users(&self.conn, page.items).await?, next_cursor: page.next_cursor })
    }

    async fn get_member(&self, scope: &OrgScope, id: StaffId) -> Result<Option<StaffMember>, RepoError> {
        let Some(staff) = self.get(scope, id).await? else {
            return Ok(None);
        };
        Ok(with_users(&self.conn, vec![staff]).await?.pop())
    }

    async fn invite(&self, scope: &OrgScope, invitation: Invitation) -> Result<StaffMember, RepoError> {
        // One transaction, so a refused membership leaves no new user behind.
        let txn = self.conn.begin().await.map_err(write_err)?;
        let user = match users::find_by_email(&txn, &invitation.email).await? {
            Some(user) => user,
            None => {
                let new = NewUser::invited(invitation.email, invitation.first_name, invitation.last_name);
                users::insert(&txn, new).await?
            }
        };
        let new = NewStaff { user_id: user.id, role: invitation.role, permissions: invitation.permissions };
        let staff = insert(&txn, scope, new).await?;
        txn.commit().await.map_err(write_err)?;
        Ok(StaffMember { staff, user })
    }

    async fn count_active_admins(&self, scope: &OrgScope) -> Result<u64, RepoError> {
        active_admins(scope).count(&self.conn).await.map_err(write_err)
    }

    async fn update_keeping_an_admin(
        &self,
        scope: &OrgScope,
        id: StaffId,
        patch: StaffPatch,
    ) -> Result<Option<Staff>, RepoError> {
        let mut staff = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        staff.apply(patch);
        staff.updated_at = now();
        let txn = self.conn.begin().await.map_err(write_err)?;
        if txn.get_database_backend() == DbBackend::Postgres {
            // Holding the admins' rows (in one order, so two callers cannot deadlock) makes a
            // concurrent demotion wait for this one and then count again. SQLite needs no lock:
            // the UPDATE below takes its single write lock before the count.
            active_admins(scope).order_by_asc(Column::Id).lock_exclusive().all(&txn).await.map_err(write_err)?;
        }
        let result =
            scoped_update::<Entity>(scope, id.into_uuid()).set(to_row(&staff)).exec(&txn).await.map_err(write_err)?;
        require_row(result.rows_affected)?;
        if active_admins(scope).count(&txn).await.map_err(write_err)? == 0 {
            txn.rollback().await.map_err(write_err)?;
            return Ok(None);
        }
        txn.commit().await.map_err(write_err)?;
        self.credentials.invalidate();
        Ok(Some(staff))
    }

    async fn update_user(&self, scope: &OrgScope, id: StaffId, patch: UserPatch) -> Result<StaffMember, RepoError> {
        let staff = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        let user = users::update(&self.conn, staff.user_id, patch).await?;
        Ok(StaffMember { staff, user })
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
