use async_trait::async_trait;
use givance_domain::donor::{Donor, DonorPatch, DonorQuery, DonorRepository, DonorSort, DonorType, NewDonor};
use givance_domain::shared::time::now;
use givance_domain::{DonorId, OrgScope, Page, PageRequest, RepoError};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, Select};

use crate::convert::{donor_changes, donor_new_row, donor_to_domain};
use crate::entities::donor::{Column, Entity};
use crate::error::{delete_err, require_row, write_err};
use crate::page::{Direction, fetch_page_in};
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
        let select = filtered(scoped::<Entity>(scope).filter(deleted_filter), query, self.conn.get_database_backend());
        let direction = match query.sort {
            DonorSort::Newest => Direction::NewestFirst,
            DonorSort::Oldest => Direction::OldestFirst,
        };
        fetch_page_in(&self.conn, select, Column::CreatedAt, Column::Id, direction, request, |m| (m.created_at, m.id))
            .await?
            .try_map(donor_to_domain)
    }
}

/// Compiles a donor query to SQL conditions. Every value is bound as a parameter.
fn filtered(mut select: Select<Entity>, query: &DonorQuery, backend: DatabaseBackend) -> Select<Entity> {
    if let Some(prefix) = &query.search {
        // Names are compared lower-cased (the search indexes are on lower(name)); emails are
        // stored lower-cased already. The prefix's own % and _ are escaped, so they match literally.
        let pattern = || LikeExpr::new(format!("{}%", escape_like(prefix.as_str()))).escape('\\');
        select = select.filter(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(Column::FirstName))).like(pattern()))
                .add(Expr::expr(Func::lower(Expr::col(Column::LastName))).like(pattern()))
                .add(Expr::col(Column::Email).like(pattern())),
        );
    }
    if let Some(stage) = &query.journey_stage {
        select = select.filter(Column::JourneyStage.eq(stage.as_str()));
    }
    if let Some(tag) = &query.tag {
        select = select.filter(match backend {
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
        select = select.filter(match donor_type {
            // The schema default: a NULL type is an individual.
            DonorType::Individual => Condition::any()
                .add(Column::DonorType.eq(DonorType::Individual.as_str()))
                .add(Column::DonorType.is_null()),
            DonorType::Couple => Condition::all().add(Column::DonorType.eq(DonorType::Couple.as_str())),
        });
    }
    if let Some(from) = query.created_from {
        select = select.filter(Column::CreatedAt.gte(from));
    }
    if let Some(to) = query.created_to {
        select = select.filter(Column::CreatedAt.lt(to));
    }
    match query.has_email {
        Some(true) => select = select.filter(Column::Email.is_not_null()),
        Some(false) => select = select.filter(Column::Email.is_null()),
        None => {}
    }
    select
}

/// Escapes LIKE's wildcards (and the escape character) so the text matches literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
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
