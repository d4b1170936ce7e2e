//! Keyset pagination over `(created_at, id)`, newest first.

use givance_domain::{Cursor, Page, PageRequest, RepoError, Timestamp};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::write_err;

/// Reads one page of `select`, ordered by `created` then `id`, both descending.
pub(crate) async fn fetch_page<E, C>(
    conn: &C,
    select: Select<E>,
    created: E::Column,
    id: E::Column,
    request: PageRequest,
    key: impl Fn(&E::Model) -> (Option<Timestamp>, Uuid),
) -> Result<Page<E::Model>, RepoError>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
    C: ConnectionTrait,
{
    let mut select = select.order_by_desc(created).order_by_desc(id).limit(request.limit() + 1);
    if let Some(after) = request.after() {
        select = select.filter(
            Condition::any()
                .add(created.lt(after.created_at))
                .add(Condition::all().add(created.eq(after.created_at)).add(id.lt(after.id))),
        );
    }
    let rows = select.all(conn).await.map_err(write_err)?;
    Ok(Page::from_rows(rows, request, |row| {
        let (created_at, id) = key(row);
        Cursor { created_at: created_at.unwrap_or_default(), id }
    }))
}
