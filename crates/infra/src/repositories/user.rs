use async_trait::async_trait;
use givance_domain::shared::time::now;
use givance_domain::staff::INVITED_CLERK_ID_PREFIX;
use givance_domain::user::{NewUser, User, UserPatch, UserRepository};
use givance_domain::{EmailAddress, RepoError, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use crate::convert::required_timestamp;
use crate::entities::user::{self, Column, Entity};
use crate::error::{require_row, write_err};

pub struct SeaUserRepository {
    conn: DatabaseConnection,
}

impl SeaUserRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    async fn find_one(&self, column: Column, value: sea_orm::Value) -> Result<Option<User>, RepoError> {
        Entity::find().filter(column.eq(value)).one(&self.conn).await.map_err(write_err)?.map(to_domain).transpose()
    }
}

pub(super) fn to_domain(m: user::Model) -> Result<User, RepoError> {
    Ok(User {
        id: UserId::from_uuid(m.id),
        clerk_id: m.clerk_id,
        email: EmailAddress::parse(&m.email)?,
        first_name: m.first_name,
        last_name: m.last_name,
        email_signature: m.email_signature,
        personal_memory: m.personal_memory,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

fn to_row(u: &User) -> user::ActiveModel {
    user::ActiveModel {
        clerk_id: Set(u.clerk_id.clone()),
        email: Set(u.email.as_str().to_owned()),
        first_name: Set(u.first_name.clone()),
        last_name: Set(u.last_name.clone()),
        email_signature: Set(u.email_signature.clone()),
        personal_memory: Set(u.personal_memory.clone()),
        updated_at: Set(Some(u.updated_at)),
        ..Default::default()
    }
}

/// Inserts a new user on `conn` (a connection or the transaction of an invitation).
pub(super) async fn insert<C: ConnectionTrait>(conn: &C, new: NewUser) -> Result<User, RepoError> {
    let at = now();
    let user = User {
        id: UserId::new(),
        clerk_id: new.clerk_id,
        email: new.email,
        first_name: new.first_name,
        last_name: new.last_name,
        email_signature: None,
        personal_memory: None,
        created_at: at,
        updated_at: at,
    };
    let row = user::ActiveModel { id: Set(user.id.into_uuid()), created_at: Set(Some(at)), ..to_row(&user) };
    Entity::insert(row).exec_without_returning(conn).await.map_err(write_err)?;
    Ok(user)
}

/// The oldest user with `email`, compared case-insensitively: addresses are stored lower-cased,
/// but rows written before that rule (or by other tools) may not be.
pub(super) async fn find_by_email<C: ConnectionTrait>(
    conn: &C,
    email: &EmailAddress,
) -> Result<Option<User>, RepoError> {
    Entity::find()
        .filter(ExprTrait::eq(Func::lower(Expr::col(Column::Email)), email.as_str()))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .one(conn)
        .await
        .map_err(write_err)?
        .map(to_domain)
        .transpose()
}

/// Applies `patch` to the user `id` on `conn`; `NotFound` when there is none.
pub(super) async fn update<C: ConnectionTrait>(conn: &C, id: UserId, patch: UserPatch) -> Result<User, RepoError> {
    let row = Entity::find_by_id(id.into_uuid()).one(conn).await.map_err(write_err)?.ok_or(RepoError::NotFound)?;
    let mut user = to_domain(row)?;
    user.apply(patch).map_err(RepoError::Invalid)?;
    user.updated_at = now();
    let result = Entity::update_many()
        .filter(Column::Id.eq(id.into_uuid()))
        .set(to_row(&user))
        .exec(conn)
        .await
        .map_err(write_err)?;
    require_row(result.rows_affected)?;
    Ok(user)
}

#[async_trait]
impl UserRepository for SeaUserRepository {
    async fn create(&self, new: NewUser) -> Result<User, RepoError> {
        insert(&self.conn, new).await
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, RepoError> {
        self.find_one(Column::Id, id.into_uuid().into()).await
    }

    async fn find_by_clerk_id(&self, clerk_id: &str) -> Result<Option<User>, RepoError> {
        self.find_one(Column::ClerkId, clerk_id.into()).await
    }

    async fn find_by_email(&self, email: &EmailAddress) -> Result<Option<User>, RepoError> {
        find_by_email(&self.conn, email).await
    }

    async fn update(&self, id: UserId, patch: UserPatch) -> Result<User, RepoError> {
        update(&self.conn, id, patch).await
    }

    async fn find_invited_by_email(&self, email: &EmailAddress) -> Result<Vec<User>, RepoError> {
        Entity::find()
            .filter(ExprTrait::eq(Func::lower(Expr::col(Column::Email)), email.as_str()))
            .filter(Column::ClerkId.starts_with(INVITED_CLERK_ID_PREFIX))
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .all(&self.conn)
            .await
            .map_err(write_err)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    async fn claim_invitation(&self, id: UserId, clerk_id: &str) -> Result<bool, RepoError> {
        // The placeholder condition makes the UPDATE the arbiter between concurrent first
        // sign-ins: only one of them changes the row.
        let result = Entity::update_many()
            .col_expr(Column::ClerkId, Expr::value(clerk_id))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .filter(Column::Id.eq(id.into_uuid()))
            .filter(Column::ClerkId.starts_with(INVITED_CLERK_ID_PREFIX))
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        Ok(result.rows_affected == 1)
    }
}
