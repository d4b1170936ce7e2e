//! Tenant filtering, applied in one place: repositories start every query on tenant data from
//! these helpers, never from a bare `Entity::find()`.

use givance_domain::{OrgScope, RepoError};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DeleteMany, EntityTrait, QueryFilter, Select, UpdateMany,
};
use uuid::Uuid;

use crate::error::{require_row, write_err};

/// A table whose rows belong to one organization.
pub(crate) trait OrgOwned: EntityTrait {
    fn org_column() -> Self::Column;
    fn id_column() -> Self::Column;
}

/// Every row of the scope's organization.
pub(crate) fn scoped<E: OrgOwned>(scope: &OrgScope) -> Select<E> {
    E::find().filter(E::org_column().eq(scope.org().into_uuid()))
}

/// The row `id`, if it is the scope's organization's.
pub(crate) fn scoped_by_id<E: OrgOwned>(scope: &OrgScope, id: Uuid) -> Select<E> {
    scoped::<E>(scope).filter(E::id_column().eq(id))
}

/// An update of the row `id`, limited to the scope's organization.
pub(crate) fn scoped_update<E: OrgOwned>(scope: &OrgScope, id: Uuid) -> UpdateMany<E> {
    E::update_many().filter(E::org_column().eq(scope.org().into_uuid())).filter(E::id_column().eq(id))
}

/// Writes every set column of `row` to the row `id` of the scope's organization; `NotFound`
/// when no such row exists there.
pub(crate) async fn save_scoped<E: OrgOwned>(
    conn: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    row: E::ActiveModel,
) -> Result<(), RepoError>
where
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let result = scoped_update::<E>(scope, id).set(row).exec(conn).await.map_err(write_err)?;
    require_row(result.rows_affected)
}

/// A delete of the row `id`, limited to the scope's organization.
pub(crate) fn scoped_delete<E: OrgOwned>(scope: &OrgScope, id: Uuid) -> DeleteMany<E> {
    E::delete_many().filter(E::org_column().eq(scope.org().into_uuid())).filter(E::id_column().eq(id))
}

macro_rules! org_owned {
    ($($module:ident),+) => {$(
        impl OrgOwned for crate::entities::$module::Entity {
            fn org_column() -> Self::Column {
                crate::entities::$module::Column::OrganizationId
            }
            fn id_column() -> Self::Column {
                crate::entities::$module::Column::Id
            }
        }
    )+};
}

org_owned!(donor, donation, project, staff, api_key);
