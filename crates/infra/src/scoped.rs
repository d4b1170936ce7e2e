//! Tenant filtering, applied in one place: repositories start every query on tenant data from
//! these helpers, never from a bare `Entity::find()`.

use givance_domain::{DonorId, OrgScope, RepoError};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseConnection, DeleteMany, EntityTrait, Iterable,
    QueryFilter, Select, UpdateMany,
};
use uuid::Uuid;

use crate::entities::donor;
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

/// Inserts `row` only if `donor` is a live donor of the scope's organization, in one statement
/// (`INSERT ... SELECT <values> FROM donors WHERE <the donor is live and ours>`), so there is no
/// read before the write. Returns the number of rows inserted: 0 or 1.
pub(crate) async fn insert_for_live_donor<E, C>(
    conn: &C,
    scope: &OrgScope,
    donor: DonorId,
    row: &E::ActiveModel,
) -> Result<u64, RepoError>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
    C: ConnectionTrait,
{
    let (columns, values): (Vec<E::Column>, Vec<Expr>) = E::Column::iter()
        .filter_map(|column| match row.get(column) {
            ActiveValue::Set(value) | ActiveValue::Unchanged(value) => Some((column, Expr::val(value))),
            ActiveValue::NotSet => None,
        })
        .unzip();
    let live_donor = Query::select()
        .exprs(values)
        .from(donor::Entity)
        .and_where(donor::Column::OrganizationId.eq(scope.org().into_uuid()))
        .and_where(donor::Column::Id.eq(donor.into_uuid()))
        .and_where(donor::Column::DeletedAt.is_null())
        .to_owned();
    let insert = Query::insert()
        .into_table(E::default())
        .columns(columns)
        .select_from(live_donor)
        .map_err(|err| RepoError::Unavailable(Box::new(err)))?
        .to_owned();
    Ok(conn.execute(&insert).await.map_err(write_err)?.rows_affected())
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
org_owned!(template, todo);
org_owned!(donor_list);
org_owned!(communication, communication_thread);
