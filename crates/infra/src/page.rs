//! Keyset pagination over `(created_at, id)`, in either direction.

use givance_domain::{Cursor, Page, PageRequest, RepoError, Timestamp};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use uuid::Uuid;

use crate::error::write_err;

/// The direction of a keyset page over `(created_at, id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    NewestFirst,
    OldestFirst,
}

impl Direction {
    pub(crate) fn order(self) -> Order {
        match self {
            Direction::NewestFirst => Order::Desc,
            Direction::OldestFirst => Order::Asc,
        }
    }
}

/// The rows after the request's cursor in `direction`, by `created` then `id`; `None` on the
/// first page.
pub(crate) fn past_cursor<C: ColumnTrait>(
    created: C,
    id: C,
    direction: Direction,
    request: &PageRequest,
) -> Option<Condition> {
    let after = request.after()?;
    let (past_created, past_id) = match direction {
        Direction::NewestFirst => (created.lt(after.created_at), id.lt(after.id)),
        Direction::OldestFirst => (created.gt(after.created_at), id.gt(after.id)),
    };
    Some(Condition::any().add(past_created).add(Condition::all().add(created.eq(after.created_at)).add(past_id)))
}

/// Reads one page of `select`, newest first, by `created` then `id`.
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
    fetch_page_in(conn, select, created, id, Direction::NewestFirst, request, key).await
}

/// Reads one page of `select` in `direction`, by `created` then `id`.
pub(crate) async fn fetch_page_in<E, C>(
    conn: &C,
    select: Select<E>,
    created: E::Column,
    id: E::Column,
    direction: Direction,
    request: PageRequest,
    key: impl Fn(&E::Model) -> (Option<Timestamp>, Uuid),
) -> Result<Page<E::Model>, RepoError>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
    C: ConnectionTrait,
{
    let order = direction.order();
    let mut select = select.order_by(created, order.clone()).order_by(id, order).limit(request.limit() + 1);
    if let Some(past) = past_cursor(created, id, direction, &request) {
        select = select.filter(past);
    }
    let rows = select.all(conn).await.map_err(write_err)?;
    Ok(Page::from_rows(rows, request, |row| {
        let (created_at, id) = key(row);
        Cursor { created_at: created_at.unwrap_or_default(), id }
    }))
}
