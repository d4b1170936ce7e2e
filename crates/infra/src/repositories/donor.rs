use async_trait::async_trait;
use givance_domain::donor::{Address, Donor, DonorPatch, DonorRepository, DonorType, Household, NewDonor, Spouse};
use givance_domain::shared::time::now;
use givance_domain::{DonorId, OrgScope, Page, PageRequest, RepoError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::convert::{parse_optional, required_timestamp, string_list, string_list_json};
use crate::entities::donor::{self, Column, Entity};
use crate::error::{delete_err, require_row, write_err};
use crate::page::fetch_page;
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
            .map(to_domain)
            .transpose()
    }

    async fn page(&self, scope: &OrgScope, deleted: bool, request: PageRequest) -> Result<Page<Donor>, RepoError> {
        let deleted_filter = if deleted { Column::DeletedAt.is_not_null() } else { Column::DeletedAt.is_null() };
        let select = scoped::<Entity>(scope).filter(deleted_filter);
        let page =
            fetch_page(&self.conn, select, Column::CreatedAt, Column::Id, request, |m| (m.created_at, m.id)).await?;
        page.try_map(to_domain)
    }
}

fn to_domain(m: donor::Model) -> Result<Donor, RepoError> {
    let donor_type = parse_optional::<DonorType>(m.donor_type)?.unwrap_or(DonorType::Individual);
    let spouse = Spouse {
        first_name: m.spouse_first_name,
        last_name: m.spouse_last_name,
        email: parse_optional(m.spouse_email)?,
    };
    Ok(Donor {
        id: DonorId::from_uuid(m.id),
        external_id: m.external_id,
        household: Household::from_parts(donor_type, spouse)?,
        first_name: m.first_name,
        last_name: m.last_name,
        email: parse_optional(m.email)?,
        phone: parse_optional(m.phone)?,
        address: Address {
            street: m.address_street,
            city: m.address_city,
            state: m.address_state,
            zip: m.address_zip,
            country: parse_optional(m.address_country)?,
        },
        journey_stage: m.journey_stage,
        ai_classification: m.ai_classification,
        last_contact_date: m.last_contact_date,
        notes: m.notes,
        tags: string_list("tags", m.tags)?,
        custom_fields: m.custom_fields,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
        deleted_at: m.deleted_at,
    })
}

/// Every column but the keys (id, organization_id) and created_at, which never change.
fn to_row(d: &Donor) -> donor::ActiveModel {
    let spouse = d.household.spouse();
    donor::ActiveModel {
        external_id: Set(d.external_id.clone()),
        donor_type: Set(Some(d.household.donor_type().as_str().to_owned())),
        first_name: Set(d.first_name.clone()),
        last_name: Set(d.last_name.clone()),
        email: Set(d.email.as_ref().map(|e| e.as_str().to_owned())),
        phone: Set(d.phone.as_ref().map(|p| p.as_str().to_owned())),
        spouse_first_name: Set(spouse.and_then(|s| s.first_name.clone())),
        spouse_last_name: Set(spouse.and_then(|s| s.last_name.clone())),
        spouse_email: Set(spouse.and_then(|s| s.email.as_ref().map(|e| e.as_str().to_owned()))),
        address_street: Set(d.address.street.clone()),
        address_city: Set(d.address.city.clone()),
        address_state: Set(d.address.state.clone()),
        address_zip: Set(d.address.zip.clone()),
        address_country: Set(d.address.country.map(|c| c.as_str().to_owned())),
        journey_stage: Set(d.journey_stage.clone()),
        ai_classification: Set(d.ai_classification.clone()),
        last_contact_date: Set(d.last_contact_date),
        notes: Set(d.notes.clone()),
        tags: Set(Some(string_list_json(&d.tags))),
        custom_fields: Set(d.custom_fields.clone()),
        updated_at: Set(Some(d.updated_at)),
        deleted_at: Set(d.deleted_at),
        ..Default::default()
    }
}

#[async_trait]
impl DonorRepository for SeaDonorRepository {
    async fn create(&self, scope: &OrgScope, new: NewDonor) -> Result<Donor, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        let at = now();
        let donor = Donor::register(new, at);
        let row = donor::ActiveModel {
            id: Set(donor.id.into_uuid()),
            organization_id: Set(scope.org().into_uuid()),
            created_at: Set(Some(at)),
            ..to_row(&donor)
        };
        Entity::insert(row).exec_without_returning(&self.conn).await.map_err(write_err)?;
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
            .map(to_domain)
            .transpose()
    }

    async fn list(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<Donor>, RepoError> {
        self.page(scope, false, page).await
    }

    async fn list_deleted(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<Donor>, RepoError> {
        self.page(scope, true, page).await
    }

    async fn update(&self, scope: &OrgScope, id: DonorId, patch: DonorPatch) -> Result<Donor, RepoError> {
        let mut donor = self.find(scope, id, false).await?.ok_or(RepoError::NotFound)?;
        donor.apply(patch).map_err(RepoError::Invalid)?;
        donor.updated_at = now();
        let result = scoped_update::<Entity>(scope, id.into_uuid())
            .filter(Column::DeletedAt.is_null())
            .set(to_row(&donor))
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
