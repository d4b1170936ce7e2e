//! Donor lists. A static list's members are rows of `donor_list_members`, written in bulk (one
//! statement per call, whatever the number of donors); a dynamic list's members are the donors
//! its filter matches (`donor_list_filter`), evaluated whenever they are read or counted.
//! `donor_count` counts active (not soft-deleted) members only.

use std::collections::HashSet;

use async_trait::async_trait;
use givance_domain::donor::Donor;
use givance_domain::donor_list::{
    DonorFilter, DonorList, DonorListPatch, DonorListRepository, DonorListType, ListDefinition, MemberChange,
    NewDonorList, check_member_batch, freeze_needs_dynamic_list, members_need_static_list, snapshot_name,
    unknown_donors,
};
use givance_domain::shared::time::now;
use givance_domain::{DonorId, DonorListId, OrgScope, Page, PageRequest, RepoError, Timestamp};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    QueryTrait, Select, TransactionTrait,
};
use uuid::Uuid;

use super::donor_list_filter::matching;
use crate::convert::{donor_to_domain, required_timestamp};
use crate::entities::donor_list::{self, Column, Entity};
use crate::entities::{donor, donor_list_member as member};
use crate::error::{delete_err, require_row, write_err};
use crate::page::fetch_page;
use crate::scoped::{save_scoped, scoped, scoped_by_id, scoped_delete, scoped_update};

pub struct SeaDonorListRepository {
    conn: DatabaseConnection,
}

impl SeaDonorListRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

fn to_domain(m: donor_list::Model) -> Result<DonorList, RepoError> {
    let list_type = m.list_type.as_deref().unwrap_or(DonorListType::Static.as_str()).parse::<DonorListType>()?;
    let definition = ListDefinition::from_parts(list_type, m.filters.as_ref()).map_err(|faults| {
        let faults: Vec<String> = faults.iter().map(ToString::to_string).collect();
        RepoError::Corrupt(format!("donor_lists.filters: {}", faults.join("; ")))
    })?;
    Ok(DonorList {
        id: DonorListId::from_uuid(m.id),
        name: m.name,
        description: m.description,
        definition,
        donor_count: m.donor_count.and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        last_updated: required_timestamp("last_updated", m.last_updated)?,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

/// The columns a create or an update writes.
fn to_row(list: &DonorList) -> donor_list::ActiveModel {
    donor_list::ActiveModel {
        name: Set(list.name.clone()),
        description: Set(list.description.clone()),
        list_type: Set(Some(list.definition.list_type().as_str().to_owned())),
        filters: Set(list.definition.filter().map(DonorFilter::to_json)),
        donor_count: Set(Some(count_column(list.donor_count))),
        last_updated: Set(Some(list.last_updated)),
        updated_at: Set(Some(list.updated_at)),
        ..Default::default()
    }
}

fn count_column(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// The ids of a static list's member rows.
fn member_ids(list: DonorListId) -> SelectStatement {
    Query::select()
        .column(member::Column::DonorId)
        .from(member::Entity)
        .and_where(Expr::col(member::Column::ListId).eq(list.into_uuid()))
        .to_owned()
}

/// The list's active members, whichever its kind.
fn members_of(scope: &OrgScope, list: &DonorList, backend: DbBackend) -> Select<donor::Entity> {
    match &list.definition {
        ListDefinition::Static => scoped::<donor::Entity>(scope)
            .filter(donor::Column::DeletedAt.is_null())
            .filter(donor::Column::Id.in_subquery(member_ids(list.id))),
        ListDefinition::Dynamic { filter } => matching(scope, filter, backend),
    }
}

async fn count<C: ConnectionTrait>(conn: &C, members: Select<donor::Entity>) -> Result<u32, RepoError> {
    let n = members.count(conn).await.map_err(write_err)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Stores a freshly computed count.
async fn store_count<C: ConnectionTrait>(
    conn: &C,
    scope: &OrgScope,
    list: &mut DonorList,
    donor_count: u32,
    at: Timestamp,
) -> Result<(), RepoError> {
    let result = scoped_update::<Entity>(scope, list.id.into_uuid())
        .col_expr(Column::DonorCount, Expr::value(count_column(donor_count)))
        .col_expr(Column::LastUpdated, Expr::value(at))
        .exec(conn)
        .await
        .map_err(write_err)?;
    require_row(result.rows_affected)?;
    list.donor_count = donor_count;
    list.last_updated = at;
    Ok(())
}

/// The list within a transaction, held until it ends on PostgreSQL so that concurrent member
/// changes of one list apply (and count) one after the other. SQLite has a single writer.
async fn static_list_for_update<C: ConnectionTrait>(
    txn: &C,
    scope: &OrgScope,
    id: DonorListId,
) -> Result<DonorList, RepoError> {
    let mut select = scoped_by_id::<Entity>(scope, id.into_uuid());
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    let list = select.one(txn).await.map_err(write_err)?.map(to_domain).transpose()?.ok_or(RepoError::NotFound)?;
    if list.definition.list_type() != DonorListType::Static {
        return Err(RepoError::Invalid(members_need_static_list()));
    }
    Ok(list)
}

fn distinct_uuids(donors: &[DonorId]) -> Vec<Uuid> {
    let mut seen = HashSet::with_capacity(donors.len());
    donors.iter().map(|d| d.into_uuid()).filter(|id| seen.insert(*id)).collect()
}

/// The donors of `ids` that are not active donors of the organization, in the caller's order.
async fn missing_donors<C: ConnectionTrait>(
    conn: &C,
    scope: &OrgScope,
    ids: &[Uuid],
) -> Result<Vec<DonorId>, RepoError> {
    let found: HashSet<Uuid> = scoped::<donor::Entity>(scope)
        .select_only()
        .column(donor::Column::Id)
        .filter(donor::Column::DeletedAt.is_null())
        .filter(donor::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(conn)
        .await
        .map_err(write_err)?
        .into_iter()
        .collect();
    Ok(ids.iter().filter(|id| !found.contains(id)).map(|id| DonorId::from_uuid(*id)).collect())
}

/// Inserts `(list, donor)` for every donor `donors` selects (its first column is the donor id),
/// skipping existing members; returns how many rows were added.
async fn insert_members<C: ConnectionTrait>(
    conn: &C,
    list: DonorListId,
    donors: Select<donor::Entity>,
    scope: &OrgScope,
    at: Timestamp,
) -> Result<u64, RepoError> {
    let added_by = scope.user().map(|u| u.into_uuid());
    let rows = donors
        .select_only()
        .expr(Expr::val(list.into_uuid()))
        .column(donor::Column::Id)
        .expr(Expr::val(at))
        .expr(Expr::val(added_by))
        .into_query();
    let insert = Query::insert()
        .into_table(member::Entity)
        .columns([member::Column::ListId, member::Column::DonorId, member::Column::AddedAt, member::Column::AddedBy])
        .select_from(rows)
        .map_err(|e| RepoError::Unavailable(Box::new(e)))?
        .on_conflict(OnConflict::columns([member::Column::ListId, member::Column::DonorId]).do_nothing().to_owned())
        .to_owned();
    Ok(conn.execute(&insert).await.map_err(write_err)?.rows_affected())
}

impl SeaDonorListRepository {
    /// Counts the list now and stores the count.
    async fn recounted<C: ConnectionTrait>(
        &self,
        conn: &C,
        scope: &OrgScope,
        mut list: DonorList,
    ) -> Result<DonorList, RepoError> {
        let n = count(conn, members_of(scope, &list, conn.get_database_backend())).await?;
        store_count(conn, scope, &mut list, n, now()).await?;
        Ok(list)
    }

    /// The work shared by adding and removing members: one transaction holding the list,
    /// `change` applied, then the count stored.
    async fn change_members(
        &self,
        scope: &OrgScope,
        id: DonorListId,
        donors: Vec<DonorId>,
        adding: bool,
    ) -> Result<MemberChange, RepoError> {
        check_member_batch(&donors).map_err(RepoError::Invalid)?;
        let ids = distinct_uuids(&donors);
        let txn = self.conn.begin().await.map_err(write_err)?;
        let list = static_list_for_update(&txn, scope, id).await?;
        let at = now();
        let changed = if adding {
            let missing = missing_donors(&txn, scope, &ids).await?;
            if !missing.is_empty() {
                return Err(RepoError::Invalid(unknown_donors(&missing)));
            }
            let chosen = scoped::<donor::Entity>(scope)
                .filter(donor::Column::DeletedAt.is_null())
                .filter(donor::Column::Id.is_in(ids));
            insert_members(&txn, id, chosen, scope, at).await?
        } else {
            // The list is the organization's (checked above); its rows are reached through it.
            member::Entity::delete_many()
                .filter(member::Column::ListId.eq(id.into_uuid()))
                .filter(member::Column::DonorId.is_in(ids))
                .exec(&txn)
                .await
                .map_err(write_err)?
                .rows_affected
        };
        let list = self.recounted(&txn, scope, list).await?;
        txn.commit().await.map_err(write_err)?;
        Ok(MemberChange { changed, donor_count: list.donor_count })
    }
}

#[async_trait]
impl DonorListRepository for SeaDonorListRepository {
    async fn create(&self, scope: &OrgScope, new: NewDonorList) -> Result<DonorList, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        let at = now();
        let mut list = DonorList {
            id: DonorListId::new(),
            name: new.name,
            description: new.description,
            definition: new.definition,
            donor_count: 0,
            last_updated: at,
            created_at: at,
            updated_at: at,
        };
        if let ListDefinition::Dynamic { filter } = &list.definition {
            list.donor_count = count(&self.conn, matching(scope, filter, self.conn.get_database_backend())).await?;
        }
        let row = donor_list::ActiveModel {
            id: Set(list.id.into_uuid()),
            organization_id: Set(scope.org().into_uuid()),
            created_at: Set(Some(at)),
            ..to_row(&list)
        };
        Entity::insert(row).exec_without_returning(&self.conn).await.map_err(write_err)?;
        Ok(list)
    }

    async fn get(&self, scope: &OrgScope, id: DonorListId) -> Result<Option<DonorList>, RepoError> {
        scoped_by_id::<Entity>(scope, id.into_uuid())
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list(&self, scope: &OrgScope, request: PageRequest) -> Result<Page<DonorList>, RepoError> {
        fetch_page(&self.conn, scoped::<Entity>(scope), Column::CreatedAt, Column::Id, request, |m| {
            (m.created_at, m.id)
        })
        .await?
        .try_map(to_domain)
    }

    async fn update(&self, scope: &OrgScope, id: DonorListId, patch: DonorListPatch) -> Result<DonorList, RepoError> {
        let mut list = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        let new_filter = patch.filter.is_some();
        list.apply(patch).map_err(RepoError::Invalid)?;
        let at = now();
        list.updated_at = at;
        if let (true, ListDefinition::Dynamic { filter }) = (new_filter, &list.definition) {
            list.donor_count = count(&self.conn, matching(scope, filter, self.conn.get_database_backend())).await?;
            list.last_updated = at;
        }
        save_scoped::<Entity>(&self.conn, scope, id.into_uuid(), to_row(&list)).await?;
        Ok(list)
    }

    async fn delete(&self, scope: &OrgScope, id: DonorListId) -> Result<(), RepoError> {
        // The memberships go with the list (ON DELETE CASCADE); the donors stay.
        let result = scoped_delete::<Entity>(scope, id.into_uuid()).exec(&self.conn).await.map_err(delete_err)?;
        require_row(result.rows_affected)
    }

    async fn add_members(
        &self,
        scope: &OrgScope,
        list: DonorListId,
        donors: Vec<DonorId>,
    ) -> Result<MemberChange, RepoError> {
        self.change_members(scope, list, donors, true).await
    }

    async fn remove_members(
        &self,
        scope: &OrgScope,
        list: DonorListId,
        donors: Vec<DonorId>,
    ) -> Result<MemberChange, RepoError> {
        self.change_members(scope, list, donors, false).await
    }

    async fn members(&self, scope: &OrgScope, id: DonorListId, request: PageRequest) -> Result<Page<Donor>, RepoError> {
        let list = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        let members = members_of(scope, &list, self.conn.get_database_backend());
        fetch_page(&self.conn, members, donor::Column::CreatedAt, donor::Column::Id, request, |m| (m.created_at, m.id))
            .await?
            .try_map(donor_to_domain)
    }

    async fn recount(&self, scope: &OrgScope, id: DonorListId) -> Result<DonorList, RepoError> {
        let list = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        self.recounted(&self.conn, scope, list).await
    }

    async fn freeze(&self, scope: &OrgScope, id: DonorListId, name: Option<String>) -> Result<DonorList, RepoError> {
        let source = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        let ListDefinition::Dynamic { filter } = &source.definition else {
            return Err(RepoError::Invalid(freeze_needs_dynamic_list()));
        };
        let at = now();
        let name = name.unwrap_or_else(|| snapshot_name(&source.name, at.date_naive()));
        let new = NewDonorList::new(&name, source.description.as_deref()).map_err(RepoError::Invalid)?;
        let mut snapshot = DonorList {
            id: DonorListId::new(),
            name: new.name,
            description: new.description,
            definition: ListDefinition::Static,
            donor_count: 0,
            last_updated: at,
            created_at: at,
            updated_at: at,
        };
        let txn = self.conn.begin().await.map_err(write_err)?;
        let row = donor_list::ActiveModel {
            id: Set(snapshot.id.into_uuid()),
            organization_id: Set(scope.org().into_uuid()),
            created_at: Set(Some(at)),
            ..to_row(&snapshot)
        };
        Entity::insert(row).exec_without_returning(&txn).await.map_err(write_err)?;
        let matches = matching(scope, filter, txn.get_database_backend());
        let added = insert_members(&txn, snapshot.id, matches, scope, at).await?;
        store_count(&txn, scope, &mut snapshot, u32::try_from(added).unwrap_or(u32::MAX), at).await?;
        txn.commit().await.map_err(write_err)?;
        Ok(snapshot)
    }
}
