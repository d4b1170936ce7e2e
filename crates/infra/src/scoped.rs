//! Tenant filtering, applied in one place: repositories start every query on tenant data from
//! these helpers, never from a bare `Entity::find()`.

use givance_domain::OrgScope;
use sea_orm::{ColumnTrait, DeleteMany, EntityTrait, QueryFilter, Select, UpdateMany};
use uuid::Uuid;

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
