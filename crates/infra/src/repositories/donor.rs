use async_trait::async_trait;
use givance_domain::donor::{
    Donor, DonorPatch, DonorQuery, DonorRepository, DonorSort, DonorType, NewDonor, SearchPrefix,
};
use givance_domain::shared::time::now;
use givance_domain::{DonorId, OrgScope, Page, PageRequest, RepoError};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr, UnionType};
use sea_orm::{
    ColumnTrait, Condition, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};

use crate::convert::{donor_changes, donor_new_row, donor_to_domain};
use crate::entities::donor::{Column, Entity};
use crate::error::{delete_err, require_row, write_err};
use crate::page::{Direction, fetch_page_in, past_cursor};
use crate::scoped::{scoped, scoped_by_id, scoped_delete, scoped_update};

pub struct SeaDonorRepository {
    conn: DatabaseConnection,
}

impl SeaDonorRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    async fn find(&self, scope: &OrgScope, id: DonorId, deleted: bool) -> Result<Option<Donor>, RepoError> {
        let deleted_filter = if deleted { Column::DeletedAt.is_not_null() } else { Column::DeletedAt.is_null() };
        scoped_by_id::<Entity>(scope, id.into_uuid())
            .filter(deleted_filter)
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(donor_to_domain)
            .transpose()
    }

    async fn page(
        &self,
        scope: &OrgScope,
        deleted: bool,
        query: &DonorQuery,
        request: PageRequest,
    ) -> Result<Page<Donor>, RepoError> {
        let deleted_filter = if deleted { Column::DeletedAt.is_not_null() } else { Column::DeletedAt.is_null() };
        let backend = self.conn.get_database_backend();
        let mut select = scoped::<Entity>(scope).filter(deleted_filter).filter(filters(query, backend));
        let direction = match query.sort {
            DonorSort::Newest => Direction::NewestFirst,
            DonorSort::Oldest => Direction::OldestFirst,
        };
        match &query.search {
            // Only active donors are in the search indexes (partial on deleted_at IS NULL).
            Some(prefix) if !deleted && prefix.as_str().chars().count() >= SEARCH_KEY_LEN => {
                let hits = search_hits(select.clone(), prefix, direction, &request);
                select = select.filter(Column::Id.in_subquery(hits));
            }
            Some(prefix) => select = select.filter(short_prefix(prefix)),
            None => {}
        }
        fetch_page_in(&self.conn, select, Column::CreatedAt, Column::Id, direction, request, |m| (m.created_at, m.id))
            .await?
            .try_map(donor_to_domain)
    }
}

/// Characters in a search key (docs/decisions/0022-donor-prefix-search.md): each index
/// `idx_donors_search_*` orders a term's `substr(<term>, 1, 3)`, then `(created_at, id)`.
const SEARCH_KEY_LEN: usize = 3;

/// The searched terms, as the SQL the search indexes are built on. Emails are stored
/// lower-cased, so they need no `lower()`.
const SEARCH_TERMS: [&str; 3] =
    [r#"lower("donors"."first_name")"#, r#"lower("donors"."last_name")"#, r#""donors"."email""#];

/// `term` starts with `prefix`: its first characters compared to the prefix, a bound value (no
/// LIKE, so the prefix's own characters never act as wildcards, and no collation is involved).
fn starts_with(term: &'static str, prefix: &SearchPrefix) -> SimpleExpr {
    // int4, as substr() takes: the prefix is at most 100 characters.
    let length = i32::try_from(prefix.as_str().chars().count()).unwrap_or(i32::MAX);
    Expr::expr(Func::cust("substr").arg(Expr::cust(term)).arg(1).arg(length)).eq(prefix.as_str())
}

/// A prefix shorter than a search key matches so many donors that the newest-first page finds
/// its rows early in `idx_donors_org_created`.
fn short_prefix(prefix: &SearchPrefix) -> Condition {
    SEARCH_TERMS.iter().fold(Condition::any(), |any, term| any.add(starts_with(term, prefix)))
}

/// The ids of the page's rows for a prefix of at least [`SEARCH_KEY_LEN`] characters. Per term,
/// the first `limit + 1` rows in page order whose key is the prefix's first characters: an
/// ordered scan of that term's index that stops early. Then the first `limit + 1` of their union
/// (a donor may match on two terms).
fn search_hits(
    select: Select<Entity>,
    prefix: &SearchPrefix,
    direction: Direction,
    request: &PageRequest,
) -> SelectStatement {
    let key: String = prefix.as_str().chars().take(SEARCH_KEY_LEN).collect();
    let longer = prefix.as_str().chars().count() > SEARCH_KEY_LEN;
    let order = direction.order();
    let limit = request.limit() + 1;
    let past = past_cursor(Column::CreatedAt, Column::Id, direction, request);
    let branch = |term: &&'static str| {
        let mut branch = select
            .clone()
            .select_only()
            .column(Column::Id)
            .column(Column::CreatedAt)
            // The index's expression verbatim, constants inlined, so that the planner matches it.
            .filter(Expr::cust(format!("substr({term}, 1, {SEARCH_KEY_LEN})")).eq(key.as_str()));
        if longer {
            branch = branch.filter(starts_with(term, prefix));
        }
        if let Some(past) = past.clone() {
            branch = branch.filter(past);
        }
        let branch = branch.order_by(Column::CreatedAt, order.clone()).order_by(Column::Id, order.clone()).limit(limit);
        // Wrapped, so that its ORDER BY and LIMIT stay its own inside the UNION.
        Query::select().column(Asterisk).from_subquery(branch.into_query(), Alias::new("branch")).to_owned()
    };
    let mut branches = SEARCH_TERMS.iter().map(branch);
    let mut union = branches.next().unwrap_or_else(Query::select);
    for other in branches {
        union.union(UnionType::Distinct, other);
    }
    Query::select()
        .column(Column::Id)
        .from_subquery(union, Alias::new("hits"))
        .order_by(Column::CreatedAt, order.clone())
        .order_by(Column::Id, order)
        .limit(limit)
        .to_owned()
}

/// Compiles a donor query's filters, all but the search, to SQL conditions. Every value is
/// bound as a parameter.
fn filters(query: &DonorQuery, backend: DatabaseBackend) -> Condition {
    let mut all = Condition::all();
    if let Some(stage) = &query.journey_stage {
        all = all.add(Column::JourneyStage.eq(stage.as_str()));
    }
    if let Some(tag) = &query.tag {
        all = all.add(match backend {
            // `@>` on jsonb is what the GIN index idx_donor_tags serves. SeaQuery numbers the
            // placeholders of custom PostgreSQL SQL itself (`$1` is this expression's first value).
            DatabaseBackend::Postgres => Expr::cust_with_values(
                r#""donors"."tags" @> CAST($1 AS jsonb)"#,
                [serde_json::json!([tag]).to_string()],
            ),
            _ => Expr::cust_with_values(
                r#"EXISTS (SELECT 1 FROM json_each("donors"."tags") WHERE json_each.value = ?)"#,
                [tag.as_str()],
            ),
        });
    }
    if let Some(donor_type) = query.donor_type {
        all = all.add(match donor_type {
            // The schema default: a NULL type is an individual.
            DonorType::Individual => Condition::any()
                .add(Column::DonorType.eq(DonorType::Individual.as_str()))
                .add(Column::DonorType.is_null()),
            DonorType::Couple => Condition::all().add(Column::DonorType.eq(DonorType::Couple.as_str())),
        });
    }
    if let Some(from) = query.created_from {
        all = all.add(Column::CreatedAt.gte(from));
    }
    if let Some(to) = query.created_to {
        all = all.add(Column::CreatedAt.lt(to));
    }
    match query.has_email {
        Some(true) => all = all.add(Column::Email.is_not_null()),
        Some(false) => all = all.add(Column::Email.is_null()),
        None => {}
    }
    all
}

#[async_trait]
impl DonorRepository for SeaDonorRepository {
    async fn create(&self, scope: &OrgScope, new: NewDonor) -> Result<Donor, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        let at = now();
        let donor = Donor::register(new, at);
        Entity::insert(donor_new_row(scope.org().into_uuid(), &donor))
            .exec_without_returning(&self.conn)
            .await
            .map_err(write_err)?;
        Ok(donor)
    }

    async fn get(&self, scope: &OrgScope, id: DonorId) -> Result<Option<Donor>, RepoError> {
        self.find(scope, id, false).await
    }

    async fn find_by_external_id(&self, scope: &OrgScope, external_id: &str) -> Result<Option<Donor>, RepoError> {
        scoped::<Entity>(scope)
            .filter(Column::ExternalId.eq(external_id))
            .filter(Column::DeletedAt.is_null())
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(donor_to_domain)
            .transpose()
    }

    async fn list(&self, scope: &OrgScope, query: &DonorQuery, page: PageRequest) -> Result<Page<Donor>, RepoError> {
        self.page(scope, false, query, page).await
    }

    async fn list_deleted(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<Donor>, RepoError> {
        self.page(scope, true, &DonorQuery::default(), page).await
    }

    async fn update(&self, scope: &OrgScope, id: DonorId, patch: DonorPatch) -> Result<Donor, RepoError> {
        let mut donor = self.find(scope, id, false).await?.ok_or(RepoError::NotFound)?;
        donor.apply(patch).map_err(RepoError::Invalid)?;
        donor.updated_at = now();
        let result = scoped_update::<Entity>(scope, id.into_uuid())
            .filter(Column::DeletedAt.is_null())
            .set(donor_changes(&donor))
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        require_row(result.rows_affected)?;
        Ok(donor)
    }

    async fn soft_delete(&self, scope: &OrgScope, id: DonorId) -> Result<(), RepoError> {
        let at = now();
        let result = scoped_update::<Entity>(scope, id.into_uuid())
            .filter(Column::DeletedAt.is_null())
            .col_expr(Column::DeletedAt, Expr::value(at))
            .col_expr(Column::UpdatedAt, Expr::value(at))
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        require_row(result.rows_affected)?;
        Ok(())
    }

    async fn restore(&self, scope: &OrgScope, id: DonorId) -> Result<Donor, RepoError> {
        let result = scoped_update::<Entity>(scope, id.into_uuid())
            .filter(Column::DeletedAt.is_not_null())
            .col_expr(Column::DeletedAt, Expr::value(Option::<givance_domain::Timestamp>::None))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        require_row(result.rows_affected)?;
        self.find(scope, id, false).await?.ok_or(RepoError::NotFound)
    }

    async fn hard_delete(&self, scope: &OrgScope, id: DonorId) -> Result<(), RepoError> {
        let result = scoped_delete::<Entity>(scope, id.into_uuid()).exec(&self.conn).await.map_err(delete_err)?;
        require_row(result.rows_affected)?;
        Ok(())
    }
}
