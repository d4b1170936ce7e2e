use std::sync::Arc;

use async_trait::async_trait;
use givance_domain::organization::{NewOrganization, Organization, OrganizationPatch, OrganizationRepository, Slug};
use givance_domain::report::FiscalYearStart;
use givance_domain::shared::time::now;
use givance_domain::{OrgScope, OrganizationId, RepoError};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::convert::{parse_optional, required_timestamp};
use crate::credential_cache::CredentialCache;
use crate::entities::organization::{self, Column, Entity};
use crate::error::{delete_err, require_row, write_err};

pub struct SeaOrganizationRepository {
    conn: DatabaseConnection,
    credentials: Arc<CredentialCache>,
}

impl SeaOrganizationRepository {
    /// Deleting an organization empties `credentials` (its keys and staff are gone).
    pub fn new(conn: DatabaseConnection, credentials: Arc<CredentialCache>) -> Self {
        Self { conn, credentials }
    }

    async fn find_one(&self, column: Column, value: sea_orm::Value) -> Result<Option<Organization>, RepoError> {
        Entity::find().filter(column.eq(value)).one(&self.conn).await.map_err(write_err)?.map(to_domain).transpose()
    }
}

fn to_domain(m: organization::Model) -> Result<Organization, RepoError> {
    Ok(Organization {
        id: OrganizationId::from_uuid(m.id),
        clerk_id: m.clerk_id,
        name: m.name,
        slug: Slug::parse(&m.slug)?,
        donor_journey_graph: m.donor_journey_graph,
        ai_instructions: m.ai_instructions,
        website_url: parse_optional(m.website_url)?,
        website_data: m.website_data,
        website_last_crawled: m.website_last_crawled,
        country: parse_optional(m.country)?,
        fiscal_year_start_month: u32::try_from(m.fiscal_year_start_month)
            .ok()
            .and_then(|month| FiscalYearStart::new(month).ok())
            .ok_or_else(|| RepoError::Corrupt(format!("fiscal_year_start_month {}", m.fiscal_year_start_month)))?,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

fn to_row(o: &Organization) -> organization::ActiveModel {
    organization::ActiveModel {
        clerk_id: Set(o.clerk_id.clone()),
        name: Set(o.name.clone()),
        slug: Set(o.slug.as_str().to_owned()),
        donor_journey_graph: Set(o.donor_journey_graph.clone()),
        ai_instructions: Set(o.ai_instructions.clone()),
        website_url: Set(o.website_url.as_ref().map(|u| u.as_str().to_owned())),
        website_data: Set(o.website_data.clone()),
        website_last_crawled: Set(o.website_last_crawled),
        country: Set(o.country.map(|c| c.as_str().to_owned())),
        fiscal_year_start_month: Set(i32::try_from(o.fiscal_year_start_month.month()).unwrap_or(1)),
        updated_at: Set(Some(o.updated_at)),
        ..Default::default()
    }
}

// The organizations table is the tenant itself: a scope's organization is the row whose id
// is the scope's, so these queries filter on `id` rather than through `scoped`.
#[async_trait]
impl OrganizationRepository for SeaOrganizationRepository {
    async fn create(&self, new: NewOrganization) -> Result<Organization, RepoError> {
        let at = now();
        let organization = Organization {
            id: OrganizationId::new(),
            clerk_id: new.clerk_id,
            name: new.name,
            slug: new.slug,
            donor_journey_graph: None,
            ai_instructions: None,
            website_url: new.website_url,
            website_data: None,
            website_last_crawled: None,
            country: new.country,
            fiscal_year_start_month: new.fiscal_year_start_month,
            created_at: at,
            updated_at: at,
        };
        let row = organization::ActiveModel {
            id: Set(organization.id.into_uuid()),
            created_at: Set(Some(at)),
            ..to_row(&organization)
        };
        Entity::insert(row).exec_without_returning(&self.conn).await.map_err(write_err)?;
        Ok(organization)
    }

    async fn get(&self, scope: &OrgScope) -> Result<Organization, RepoError> {
        self.find_one(Column::Id, scope.org().into_uuid().into()).await?.ok_or(RepoError::NotFound)
    }

    async fn find_by_slug(&self, slug: &Slug) -> Result<Option<Organization>, RepoError> {
        self.find_one(Column::Slug, slug.as_str().into()).await
    }

    async fn find_by_clerk_id(&self, clerk_id: &str) -> Result<Option<Organization>, RepoError> {
        self.find_one(Column::ClerkId, clerk_id.into()).await
    }

    async fn update(&self, scope: &OrgScope, patch: OrganizationPatch) -> Result<Organization, RepoError> {
        let mut organization = self.get(scope).await?;
        organization.apply(patch).map_err(RepoError::Invalid)?;
        organization.updated_at = now();
        let result = Entity::update_many()
            .filter(Column::Id.eq(scope.org().into_uuid()))
            .set(to_row(&organization))
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        require_row(result.rows_affected)?;
        Ok(organization)
    }

    async fn delete(&self, scope: &OrgScope) -> Result<(), RepoError> {
        let result = Entity::delete_many()
            .filter(Column::Id.eq(scope.org().into_uuid()))
            .exec(&self.conn)
            .await
            .map_err(delete_err)?;
        // The organization's keys and staff went with it.
        self.credentials.invalidate();
        require_row(result.rows_affected)
    }
}
