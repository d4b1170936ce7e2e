//! Communications and their threads. Logging a contact moves the donor's `last_contact_date`
//! forward in the same transaction; thread participants (junctions without organization_id) are
//! only ever written for a thread, staff member or donor of the scope's organization.

use async_trait::async_trait;
use givance_domain::communication::{
    Communication, CommunicationFilter, CommunicationPatch, CommunicationRepository, CommunicationStatus,
    CommunicationThread, CommunicationThreadPatch, CommunicationThreadRepository, NewCommunication,
    NewCommunicationThread, ThreadChannel, ThreadDonor, ThreadFilter, ThreadStaff, ThreadStaffRole, ThreadStatus,
    normalise_tags,
};
use givance_domain::shared::time::now;
use givance_domain::{
    CommunicationId, CommunicationThreadId, DonorId, OrgScope, Page, PageRequest, RepoError, StaffId, Timestamp,
    ValueError,
};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use crate::convert::{parse_optional, required_timestamp, string_list, string_list_json};
use crate::entities::communication::{self, Column, Entity};
use crate::entities::communication_thread::{self as thread, Entity as ThreadEntity};
use crate::entities::communication_thread_donor::{self as thread_donor, Entity as ThreadDonorEntity};
use crate::entities::communication_thread_staff::{self as thread_staff, Entity as ThreadStaffEntity};
use crate::entities::{donor, staff};
use crate::error::{delete_err, require_row, write_err};
use crate::page::fetch_page;
use crate::scoped::{insert_for_live_donor, save_scoped, scoped, scoped_by_id, scoped_delete, scoped_update};

const NO_DONOR: &str = "no donor with this id in the organization (or the donor is deleted)";
const NO_THREAD: &str = "no thread with this id in the organization";
const NO_STAFF: &str = "no staff member with this id in the organization";

// ---------------------------------------------------------------------------------------------
// Row mappings

fn to_domain(m: communication::Model) -> Result<Communication, RepoError> {
    Ok(Communication {
        id: CommunicationId::from_uuid(m.id),
        donor_id: DonorId::from_uuid(m.donor_id),
        thread_id: m.thread_id.map(CommunicationThreadId::from_uuid),
        channel: m.channel.parse()?,
        direction: m.direction.parse()?,
        subject: m.subject,
        content: m.content,
        staff_id: m.staff_id.map(StaffId::from_uuid),
        from_address: m.from_address,
        to_address: m.to_address,
        // A NULL is the schema's default.
        status: parse_optional::<CommunicationStatus>(m.status)?.unwrap_or(CommunicationStatus::Sent),
        scheduled_for: m.scheduled_for,
        sent_at: m.sent_at,
        metadata: m.metadata,
        attachments: m.attachments,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

/// Every column but the keys (id, organization_id) and created_at, which never change.
fn to_row(c: &Communication) -> communication::ActiveModel {
    communication::ActiveModel {
        donor_id: Set(c.donor_id.into_uuid()),
        thread_id: Set(c.thread_id.map(CommunicationThreadId::into_uuid)),
        channel: Set(c.channel.as_str().to_owned()),
        direction: Set(c.direction.as_str().to_owned()),
        subject: Set(c.subject.clone()),
        content: Set(c.content.clone()),
        staff_id: Set(c.staff_id.map(StaffId::into_uuid)),
        from_address: Set(c.from_address.clone()),
        to_address: Set(c.to_address.clone()),
        status: Set(Some(c.status.as_str().to_owned())),
        scheduled_for: Set(c.scheduled_for),
        sent_at: Set(c.sent_at),
        metadata: Set(c.metadata.clone()),
        attachments: Set(c.attachments.clone()),
        updated_at: Set(Some(c.updated_at)),
        ..Default::default()
    }
}

fn thread_to_domain(m: thread::Model) -> Result<CommunicationThread, RepoError> {
    Ok(CommunicationThread {
        id: CommunicationThreadId::from_uuid(m.id),
        subject: m.subject,
        channel: parse_optional::<ThreadChannel>(m.channel)?.unwrap_or(ThreadChannel::Email),
        status: parse_optional::<ThreadStatus>(m.status)?.unwrap_or(ThreadStatus::Active),
        tags: string_list("tags", m.tags)?,
        internal_notes: m.internal_notes,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

fn thread_to_row(t: &CommunicationThread) -> thread::ActiveModel {
    thread::ActiveModel {
        subject: Set(t.subject.clone()),
        channel: Set(Some(t.channel.as_str().to_owned())),
        status: Set(Some(t.status.as_str().to_owned())),
        tags: Set(Some(string_list_json(&t.tags))),
        internal_notes: Set(t.internal_notes.clone()),
        updated_at: Set(Some(t.updated_at)),
        ..Default::default()
    }
}

fn staff_to_domain(m: thread_staff::Model) -> Result<ThreadStaff, RepoError> {
    Ok(ThreadStaff {
        thread_id: CommunicationThreadId::from_uuid(m.thread_id),
        staff_id: StaffId::from_uuid(m.staff_id),
        role: parse_optional::<ThreadStaffRole>(m.role)?.unwrap_or_default(),
        joined_at: required_timestamp("joined_at", m.joined_at)?,
    })
}

fn donor_to_domain(m: thread_donor::Model) -> Result<ThreadDonor, RepoError> {
    Ok(ThreadDonor {
        thread_id: CommunicationThreadId::from_uuid(m.thread_id),
        donor_id: DonorId::from_uuid(m.donor_id),
        joined_at: required_timestamp("joined_at", m.joined_at)?,
    })
}

// ---------------------------------------------------------------------------------------------
// Shared statements

/// Moves the donor's `last_contact_date` to `at` if that is later (or it was unset): never back.
async fn advance_last_contact<C: ConnectionTrait>(
    conn: &C,
    scope: &OrgScope,
    donor: DonorId,
    at: Timestamp,
) -> Result<(), RepoError> {
    scoped_update::<donor::Entity>(scope, donor.into_uuid())
        .col_expr(donor::Column::LastContactDate, Expr::value(at))
        .filter(
            Condition::any().add(donor::Column::LastContactDate.is_null()).add(donor::Column::LastContactDate.lt(at)),
        )
        .exec(conn)
        .await
        .map_err(write_err)?;
    Ok(())
}

async fn thread_exists<C: ConnectionTrait>(
    conn: &C,
    scope: &OrgScope,
    id: CommunicationThreadId,
) -> Result<bool, RepoError> {
    Ok(scoped_by_id::<ThreadEntity>(scope, id.into_uuid()).one(conn).await.map_err(write_err)?.is_some())
}

async fn staff_exists<C: ConnectionTrait>(conn: &C, scope: &OrgScope, id: StaffId) -> Result<bool, RepoError> {
    Ok(scoped_by_id::<staff::Entity>(scope, id.into_uuid()).one(conn).await.map_err(write_err)?.is_some())
}

/// Which reference made the database refuse a write of `c` (its thread or its staff member),
/// as the field to name. Read only on that failure path.
async fn refused_reference(conn: &DatabaseConnection, scope: &OrgScope, c: &Communication) -> RepoError {
    let invalid = |field: &'static str, message: &str| RepoError::Invalid(ValueError::new(field, message));
    if let Some(thread) = c.thread_id {
        match thread_exists(conn, scope, thread).await {
            Ok(false) => return invalid("thread_id", NO_THREAD),
            Err(err) => return err,
            Ok(true) => {}
        }
    }
    if let Some(staff) = c.staff_id {
        match staff_exists(conn, scope, staff).await {
            Ok(false) => return invalid("staff_id", NO_STAFF),
            Err(err) => return err,
            Ok(true) => {}
        }
    }
    // Both exist now: one was deleted and made again meanwhile; the donor is what remains.
    invalid("donor_id", NO_DONOR)
}

// ---------------------------------------------------------------------------------------------
// Communications

pub struct SeaCommunicationRepository {
    conn: DatabaseConnection,
}

impl SeaCommunicationRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

#[async_trait]
impl CommunicationRepository for SeaCommunicationRepository {
    async fn create(&self, scope: &OrgScope, new: NewCommunication) -> Result<Communication, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        let at = now();
        let communication = Communication {
            id: CommunicationId::new(),
            donor_id: new.donor_id,
            thread_id: new.thread_id,
            channel: new.channel,
            direction: new.direction,
            subject: new.subject,
            content: new.content,
            staff_id: new.staff_id,
            from_address: new.from_address,
            to_address: new.to_address,
            status: new.status,
            scheduled_for: new.scheduled_for,
            sent_at: new.sent_at,
            metadata: new.metadata,
            attachments: new.attachments,
            created_at: at,
            updated_at: at,
        };
        let row = communication::ActiveModel {
            id: Set(communication.id.into_uuid()),
            organization_id: Set(scope.org().into_uuid()),
            created_at: Set(Some(at)),
            ..to_row(&communication)
        };
        let txn = self.conn.begin().await.map_err(write_err)?;
        match insert_for_live_donor::<Entity, _>(&txn, scope, communication.donor_id, &row).await {
            Ok(0) => return Err(RepoError::Invalid(ValueError::new("donor_id", NO_DONOR))),
            Ok(_) => {}
            Err(RepoError::NotFound) => {
                txn.rollback().await.map_err(write_err)?;
                return Err(refused_reference(&self.conn, scope, &communication).await);
            }
            Err(err) => return Err(err),
        }
        if let Some(contact) = communication.contact_at() {
            advance_last_contact(&txn, scope, communication.donor_id, contact).await?;
        }
        txn.commit().await.map_err(write_err)?;
        Ok(communication)
    }

    async fn get(&self, scope: &OrgScope, id: CommunicationId) -> Result<Option<Communication>, RepoError> {
        scoped_by_id::<Entity>(scope, id.into_uuid())
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list(
        &self,
        scope: &OrgScope,
        filter: CommunicationFilter,
        request: PageRequest,
    ) -> Result<Page<Communication>, RepoError> {
        let mut select = scoped::<Entity>(scope);
        if let Some(donor) = filter.donor_id {
            select = select.filter(Column::DonorId.eq(donor.into_uuid()));
        }
        if let Some(thread) = filter.thread_id {
            select = select.filter(Column::ThreadId.eq(thread.into_uuid()));
        }
        if let Some(channel) = filter.channel {
            select = select.filter(Column::Channel.eq(channel.as_str()));
        }
        if let Some(direction) = filter.direction {
            select = select.filter(Column::Direction.eq(direction.as_str()));
        }
        if let Some(status) = filter.status {
            select = select.filter(match status {
                // A NULL is the schema's default, sent.
                CommunicationStatus::Sent => {
                    Condition::any().add(Column::Status.eq(status.as_str())).add(Column::Status.is_null())
                }
                _ => Condition::all().add(Column::Status.eq(status.as_str())),
            });
        }
        fetch_page(&self.conn, select, Column::CreatedAt, Column::Id, request, |m| (m.created_at, m.id))
            .await?
            .try_map(to_domain)
    }

    async fn update(
        &self,
        scope: &OrgScope,
        id: CommunicationId,
        patch: CommunicationPatch,
    ) -> Result<Communication, RepoError> {
        let mut communication = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        let contact_before = communication.contact_at();
        communication.apply(patch).map_err(RepoError::Invalid)?;
        communication.updated_at = now();
        let txn = self.conn.begin().await.map_err(write_err)?;
        let written = scoped_update::<Entity>(scope, id.into_uuid()).set(to_row(&communication)).exec(&txn).await;
        match written.map_err(write_err) {
            Ok(result) => require_row(result.rows_affected)?,
            // The row was just read, so a refused write is a newly linked thread or staff member.
            Err(RepoError::NotFound) => {
                txn.rollback().await.map_err(write_err)?;
                return Err(refused_reference(&self.conn, scope, &communication).await);
            }
            Err(err) => return Err(err),
        }
        match communication.contact_at() {
            Some(contact) if contact_before != Some(contact) => {
                advance_last_contact(&txn, scope, communication.donor_id, contact).await?;
            }
            _ => {}
        }
        txn.commit().await.map_err(write_err)?;
        Ok(communication)
    }

    async fn delete(&self, scope: &OrgScope, id: CommunicationId) -> Result<(), RepoError> {
        let result = scoped_delete::<Entity>(scope, id.into_uuid()).exec(&self.conn).await.map_err(delete_err)?;
        require_row(result.rows_affected)
    }
}

// ---------------------------------------------------------------------------------------------
// Threads

pub struct SeaCommunicationThreadRepository {
    conn: DatabaseConnection,
}

impl SeaCommunicationThreadRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    /// `NotFound` unless the thread is the organization's.
    async fn require_thread(&self, scope: &OrgScope, id: CommunicationThreadId) -> Result<(), RepoError> {
        if thread_exists(&self.conn, scope, id).await? { Ok(()) } else { Err(RepoError::NotFound) }
    }

    async fn staff_row(
        &self,
        thread: CommunicationThreadId,
        staff: StaffId,
    ) -> Result<Option<thread_staff::Model>, RepoError> {
        ThreadStaffEntity::find_by_id((thread.into_uuid(), staff.into_uuid())).one(&self.conn).await.map_err(write_err)
    }

    async fn donor_row(
        &self,
        thread: CommunicationThreadId,
        donor: DonorId,
    ) -> Result<Option<thread_donor::Model>, RepoError> {
        ThreadDonorEntity::find_by_id((thread.into_uuid(), donor.into_uuid())).one(&self.conn).await.map_err(write_err)
    }
}

#[async_trait]
impl CommunicationThreadRepository for SeaCommunicationThreadRepository {
    async fn create(&self, scope: &OrgScope, new: NewCommunicationThread) -> Result<CommunicationThread, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        let at = now();
        let thread = CommunicationThread {
            id: CommunicationThreadId::new(),
            subject: new.subject,
            channel: new.channel,
            status: new.status,
            tags: normalise_tags(new.tags),
            internal_notes: new.internal_notes,
            created_at: at,
            updated_at: at,
        };
        let row = thread::ActiveModel {
            id: Set(thread.id.into_uuid()),
            organization_id: Set(scope.org().into_uuid()),
            created_at: Set(Some(at)),
            ..thread_to_row(&thread)
        };
        ThreadEntity::insert(row).exec_without_returning(&self.conn).await.map_err(write_err)?;
        Ok(thread)
    }

    async fn get(&self, scope: &OrgScope, id: CommunicationThreadId) -> Result<Option<CommunicationThread>, RepoError> {
        scoped_by_id::<ThreadEntity>(scope, id.into_uuid())
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(thread_to_domain)
            .transpose()
    }

    async fn list(
        &self,
        scope: &OrgScope,
        filter: ThreadFilter,
        request: PageRequest,
    ) -> Result<Page<CommunicationThread>, RepoError> {
        let mut select = scoped::<ThreadEntity>(scope);
        if let Some(status) = filter.status {
            select = select.filter(match status {
                // A NULL is the schema's default, active.
                ThreadStatus::Active => Condition::any()
                    .add(thread::Column::Status.eq(status.as_str()))
                    .add(thread::Column::Status.is_null()),
                _ => Condition::all().add(thread::Column::Status.eq(status.as_str())),
            });
        }
        // The participant subqueries may name any organization's threads: the scope above
        // keeps only this one's.
        if let Some(staff) = filter.staff_id {
            let threads = Query::select()
                .column(thread_staff::Column::ThreadId)
                .from(ThreadStaffEntity)
                .and_where(thread_staff::Column::StaffId.eq(staff.into_uuid()))
                .to_owned();
            select = select.filter(thread::Column::Id.in_subquery(threads));
        }
        if let Some(donor) = filter.donor_id {
            let threads = Query::select()
                .column(thread_donor::Column::ThreadId)
                .from(ThreadDonorEntity)
                .and_where(thread_donor::Column::DonorId.eq(donor.into_uuid()))
                .to_owned();
            select = select.filter(thread::Column::Id.in_subquery(threads));
        }
        fetch_page(&self.conn, select, thread::Column::CreatedAt, thread::Column::Id, request, |m| (m.created_at, m.id))
            .await?
            .try_map(thread_to_domain)
    }

    async fn update(
        &self,
        scope: &OrgScope,
        id: CommunicationThreadId,
        patch: CommunicationThreadPatch,
    ) -> Result<CommunicationThread, RepoError> {
        let mut thread = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        thread.apply(patch).map_err(RepoError::Invalid)?;
        thread.updated_at = now();
        save_scoped::<ThreadEntity>(&self.conn, scope, id.into_uuid(), thread_to_row(&thread)).await?;
        Ok(thread)
    }

    async fn delete(&self, scope: &OrgScope, id: CommunicationThreadId) -> Result<(), RepoError> {
        let txn = self.conn.begin().await.map_err(write_err)?;
        // communications.thread_id refuses (RESTRICT) the delete of a thread still in use.
        Entity::update_many()
            .col_expr(Column::ThreadId, Expr::value(Option::<uuid::Uuid>::None))
            .filter(Column::OrganizationId.eq(scope.org().into_uuid()))
            .filter(Column::ThreadId.eq(id.into_uuid()))
            .exec(&txn)
            .await
            .map_err(write_err)?;
        let result = scoped_delete::<ThreadEntity>(scope, id.into_uuid()).exec(&txn).await.map_err(delete_err)?;
        require_row(result.rows_affected)?;
        txn.commit().await.map_err(write_err)
    }

    async fn add_staff(
        &self,
        scope: &OrgScope,
        thread: CommunicationThreadId,
        staff: StaffId,
        role: ThreadStaffRole,
    ) -> Result<ThreadStaff, RepoError> {
        self.require_thread(scope, thread).await?;
        // The staff member is checked in the statement itself: no row for another organization's.
        let ours = Query::select()
            .expr(Expr::val(thread.into_uuid()))
            .column(staff::Column::Id)
            .expr(Expr::val(role.as_str()))
            .expr(Expr::val(now()))
            .from(staff::Entity)
            .and_where(staff::Column::OrganizationId.eq(scope.org().into_uuid()))
            .and_where(staff::Column::Id.eq(staff.into_uuid()))
            .to_owned();
        let insert = Query::insert()
            .into_table(ThreadStaffEntity)
            .columns([
                thread_staff::Column::ThreadId,
                thread_staff::Column::StaffId,
                thread_staff::Column::Role,
                thread_staff::Column::JoinedAt,
            ])
            .select_from(ours)
            .map_err(|err| RepoError::Unavailable(Box::new(err)))?
            .on_conflict(
                OnConflict::columns([thread_staff::Column::ThreadId, thread_staff::Column::StaffId])
                    .update_column(thread_staff::Column::Role)
                    .to_owned(),
            )
            .to_owned();
        let inserted = self.conn.execute(&insert).await.map_err(write_err)?.rows_affected();
        if inserted == 0 {
            return Err(RepoError::Invalid(ValueError::new("staff_id", NO_STAFF)));
        }
        self.staff_row(thread, staff).await?.ok_or(RepoError::NotFound).and_then(staff_to_domain)
    }

    async fn remove_staff(
        &self,
        scope: &OrgScope,
        thread: CommunicationThreadId,
        staff: StaffId,
    ) -> Result<(), RepoError> {
        self.require_thread(scope, thread).await?;
        let result = ThreadStaffEntity::delete_many()
            .filter(thread_staff::Column::ThreadId.eq(thread.into_uuid()))
            .filter(thread_staff::Column::StaffId.eq(staff.into_uuid()))
            .exec(&self.conn)
            .await
            .map_err(delete_err)?;
        require_row(result.rows_affected)
    }

    async fn list_staff(&self, scope: &OrgScope, thread: CommunicationThreadId) -> Result<Vec<ThreadStaff>, RepoError> {
        self.require_thread(scope, thread).await?;
        ThreadStaffEntity::find()
            .filter(thread_staff::Column::ThreadId.eq(thread.into_uuid()))
            .order_by_asc(thread_staff::Column::JoinedAt)
            .order_by_asc(thread_staff::Column::StaffId)
            .all(&self.conn)
            .await
            .map_err(write_err)?
            .into_iter()
            .map(staff_to_domain)
            .collect()
    }

    async fn add_donor(
        &self,
        scope: &OrgScope,
        thread: CommunicationThreadId,
        donor: DonorId,
    ) -> Result<ThreadDonor, RepoError> {
        self.require_thread(scope, thread).await?;
        // The donor is checked in the statement itself: no row for another organization's or a
        // deleted one. Adding a donor already there changes nothing and returns their row.
        let live_donor = Query::select()
            .expr(Expr::val(thread.into_uuid()))
            .column(donor::Column::Id)
            .expr(Expr::val(now()))
            .from(donor::Entity)
            .and_where(donor::Column::OrganizationId.eq(scope.org().into_uuid()))
            .and_where(donor::Column::Id.eq(donor.into_uuid()))
            .and_where(donor::Column::DeletedAt.is_null())
            .to_owned();
        let insert = Query::insert()
            .into_table(ThreadDonorEntity)
            .columns([thread_donor::Column::ThreadId, thread_donor::Column::DonorId, thread_donor::Column::JoinedAt])
            .select_from(live_donor)
            .map_err(|err| RepoError::Unavailable(Box::new(err)))?
            .on_conflict(
                OnConflict::columns([thread_donor::Column::ThreadId, thread_donor::Column::DonorId])
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        self.conn.execute(&insert).await.map_err(write_err)?;
        match self.donor_row(thread, donor).await? {
            Some(row) => donor_to_domain(row),
            None => Err(RepoError::Invalid(ValueError::new("donor_id", NO_DONOR))),
        }
    }

    async fn remove_donor(
        &self,
        scope: &OrgScope,
        thread: CommunicationThreadId,
        donor: DonorId,
    ) -> Result<(), RepoError> {
        self.require_thread(scope, thread).await?;
        let result = ThreadDonorEntity::delete_many()
            .filter(thread_donor::Column::ThreadId.eq(thread.into_uuid()))
            .filter(thread_donor::Column::DonorId.eq(donor.into_uuid()))
            .exec(&self.conn)
            .await
            .map_err(delete_err)?;
        require_row(result.rows_affected)
    }

    async fn list_donors(
        &self,
        scope: &OrgScope,
        thread: CommunicationThreadId,
    ) -> Result<Vec<ThreadDonor>, RepoError> {
        self.require_thread(scope, thread).await?;
        ThreadDonorEntity::find()
            .filter(thread_donor::Column::ThreadId.eq(thread.into_uuid()))
            .order_by_asc(thread_donor::Column::JoinedAt)
            .order_by_asc(thread_donor::Column::DonorId)
            .all(&self.conn)
            .await
            .map_err(write_err)?
            .into_iter()
            .map(donor_to_domain)
            .collect()
    }
}
