//! CSV import: reads a CSV stream record by record, hands each row to the domain's importer
//! (which validates, matches and batches), and implements its batch store port with SeaORM:
//! one lookup query per batch and one transaction of multi-row statements to write it.
//!
//! Updates are written as `INSERT ... ON CONFLICT (id) DO UPDATE` over rows found in the
//! organization a moment before, so that a batch of updates is one statement on both
//! databases; the conflict action is limited to the scope's organization as well.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::NaiveDate;
use givance_domain::donation::{Donation, PaymentMethod, Recurrence, RecurringFrequency};
use givance_domain::donor::{Address, Donor, DonorType, Household, Spouse};
use givance_domain::import::{
    DonationImporter, DonorImportOptions, DonorImporter, ImportError, ImportReport, ImportStore, RejectSink,
};
use givance_domain::{Currency, DonationId, DonorId, Money, OrgScope, ProjectId, RepoError};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    QueryFilter, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use crate::convert::{parse_optional, required_timestamp, string_list, string_list_json};
use crate::entities::{donation, donor, project};
use crate::error::write_err;
use crate::money::stored_amount;
use crate::scoped::scoped;

/// The batch store of imports, over one connection (pool).
pub struct SeaImportStore {
    conn: DatabaseConnection,
    /// Rows written so far, and the count at which PostgreSQL's statistics are next refreshed.
    written: AtomicU64,
    next_analyze: AtomicU64,
}

/// Rows written before the first statistics refresh; each later refresh waits twice as long.
const FIRST_ANALYZE: u64 = 2_000;

impl SeaImportStore {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn, written: AtomicU64::new(0), next_analyze: AtomicU64::new(FIRST_ANALYZE) }
    }

    /// Keeps PostgreSQL's planner informed while an organization grows fast. Its statistics
    /// still say the organization has a handful of donors, so it plans the batch lookup as
    /// "every row of the organization, then filter" (idx_donors_journey), which grows with the
    /// table and makes a large import quadratic; fresh statistics make it probe
    /// uq_donors_org_external_id. Refreshed at doubling counts: about a dozen times for a
    /// million rows. A failure only costs speed, so it is logged, not returned.
    async fn refresh_statistics(&self, table: &str, rows: usize) {
        let written = self.written.fetch_add(rows as u64, Ordering::Relaxed) + rows as u64;
        let due = self.next_analyze.load(Ordering::Relaxed);
        if self.conn.get_database_backend() != DatabaseBackend::Postgres || written < due {
            return;
        }
        self.next_analyze.store(written.saturating_mul(2), Ordering::Relaxed);
        if let Err(err) = self.conn.execute_unprepared(&format!("ANALYZE \"{table}\"")).await {
            tracing::warn!(error = %err, table, "cannot refresh the planner's statistics during an import");
        }
    }
}

pub(crate) fn donor_to_domain(m: donor::Model) -> Result<Donor, RepoError> {
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

/// Every column, the organization's id from the scope.
fn donor_row(scope: &OrgScope, d: &Donor) -> donor::ActiveModel {
    let spouse = d.household.spouse();
    donor::ActiveModel {
        id: Set(d.id.into_uuid()),
        organization_id: Set(scope.org().into_uuid()),
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
        created_at: Set(Some(d.created_at)),
        updated_at: Set(Some(d.updated_at)),
        deleted_at: Set(d.deleted_at),
    }
}

pub(crate) fn donation_to_domain(m: donation::Model) -> Result<Donation, RepoError> {
    let currency = parse_optional::<Currency>(m.currency)?.unwrap_or_default();
    let frequency = parse_optional::<RecurringFrequency>(m.recurring_frequency)?;
    Ok(Donation {
        id: DonationId::from_uuid(m.id),
        donor_id: DonorId::from_uuid(m.donor_id),
        project_id: m.project_id.map(ProjectId::from_uuid),
        amount: Money::new(stored_amount(m.amount), currency)?,
        date: m.date,
        payment_method: parse_optional::<PaymentMethod>(m.payment_method)?,
        reference_number: m.reference_number,
        notes: m.notes,
        recurrence: Recurrence::from_parts(m.is_recurring.unwrap_or(false), frequency)?,
        tax_deductible: m.tax_deductible.unwrap_or(true),
        receipt_sent: m.receipt_sent.unwrap_or(false) || m.receipt_sent_date.is_some(),
        receipt_sent_date: m.receipt_sent_date,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

fn donation_row(scope: &OrgScope, d: &Donation) -> donation::ActiveModel {
    donation::ActiveModel {
        id: Set(d.id.into_uuid()),
        organization_id: Set(scope.org().into_uuid()),
        donor_id: Set(d.donor_id.into_uuid()),
        project_id: Set(d.project_id.map(ProjectId::into_uuid)),
        amount: Set(d.amount.amount()),
        currency: Set(Some(d.amount.currency().code().to_owned())),
        date: Set(d.date),
        payment_method: Set(d.payment_method.map(|m| m.as_str().to_owned())),
        reference_number: Set(d.reference_number.clone()),
        notes: Set(d.notes.clone()),
        is_recurring: Set(Some(d.recurrence.is_recurring())),
        recurring_frequency: Set(d.recurrence.frequency().map(|f| f.as_str().to_owned())),
        tax_deductible: Set(Some(d.tax_deductible)),
        receipt_sent: Set(Some(d.receipt_sent)),
        receipt_sent_date: Set(d.receipt_sent_date),
        created_at: Set(Some(d.created_at)),
        updated_at: Set(Some(d.updated_at)),
    }
}

/// The columns an import may change; id, organization_id and created_at never do.
const DONOR_UPDATE_COLUMNS: &[donor::Column] = &[
    donor::Column::ExternalId,
    donor::Column::DonorType,
    donor::Column::FirstName,
    donor::Column::LastName,
    donor::Column::Email,
    donor::Column::Phone,
    donor::Column::SpouseFirstName,
    donor::Column::SpouseLastName,
    donor::Column::SpouseEmail,
    donor::Column::AddressStreet,
    donor::Column::AddressCity,
    donor::Column::AddressState,
    donor::Column::AddressZip,
    donor::Column::AddressCountry,
    donor::Column::JourneyStage,
    donor::Column::Notes,
    donor::Column::Tags,
    donor::Column::CustomFields,
    donor::Column::UpdatedAt,
];

#[async_trait]
impl ImportStore for SeaImportStore {
    async fn donors_by_keys(
        &self,
        scope: &OrgScope,
        external_ids: Vec<String>,
        emails: Vec<String>,
    ) -> Result<Vec<Donor>, RepoError> {
        let mut keys = Condition::any();
        if !external_ids.is_empty() {
            keys = keys.add(donor::Column::ExternalId.is_in(external_ids));
        }
        // Emails are stored lower-cased (EmailAddress normalises them), and so are these: an
        // equality test is case-insensitive and can use idx_donors_org_email.
        if !emails.is_empty() {
            keys = keys.add(donor::Column::Email.is_in(emails));
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = scoped::<donor::Entity>(scope).filter(keys).all(&self.conn).await.map_err(write_err)?;
        rows.into_iter().map(donor_to_domain).collect()
    }

    async fn write_donors(&self, scope: &OrgScope, created: Vec<Donor>, updated: Vec<Donor>) -> Result<(), RepoError> {
        let txn = self.conn.begin().await.map_err(write_err)?;
        if !created.is_empty() {
            donor::Entity::insert_many(created.iter().map(|d| donor_row(scope, d)))
                .exec_without_returning(&txn)
                .await
                .map_err(write_err)?;
        }
        if !updated.is_empty() {
            let on_conflict = OnConflict::column(donor::Column::Id)
                .update_columns(DONOR_UPDATE_COLUMNS.iter().copied())
                .action_and_where(Expr::col((donor::Entity, donor::Column::OrganizationId)).eq(scope.org().into_uuid()))
                .to_owned();
            donor::Entity::insert_many(updated.iter().map(|d| donor_row(scope, d)))
                .on_conflict(on_conflict)
                .exec_without_returning(&txn)
                .await
                .map_err(write_err)?;
        }
        txn.commit().await.map_err(write_err)?;
        self.refresh_statistics("donors", created.len() + updated.len()).await;
        Ok(())
    }

    async fn known_projects(&self, scope: &OrgScope, ids: Vec<ProjectId>) -> Result<Vec<ProjectId>, RepoError> {
        let ids: Vec<Uuid> = ids.into_iter().map(ProjectId::into_uuid).collect();
        let found: Vec<Uuid> = scoped::<project::Entity>(scope)
            .filter(project::Column::Id.is_in(ids))
            .select_only()
            .column(project::Column::Id)
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(write_err)?;
        Ok(found.into_iter().map(ProjectId::from_uuid).collect())
    }

    async fn donations_of(
        &self,
        scope: &OrgScope,
        donors: Vec<DonorId>,
        dates: Vec<NaiveDate>,
    ) -> Result<Vec<Donation>, RepoError> {
        if donors.is_empty() || dates.is_empty() {
            return Ok(Vec::new());
        }
        let rows = scoped::<donation::Entity>(scope)
            .filter(donation::Column::DonorId.is_in(donors.into_iter().map(DonorId::into_uuid)))
            .filter(donation::Column::Date.is_in(dates))
            .all(&self.conn)
            .await
            .map_err(write_err)?;
        rows.into_iter().map(donation_to_domain).collect()
    }

    async fn insert_donations(&self, scope: &OrgScope, created: Vec<Donation>) -> Result<(), RepoError> {
        if created.is_empty() {
            return Ok(());
        }
        let txn = self.conn.begin().await.map_err(write_err)?;
        // The composite foreign keys refuse a donor or project of another organization.
        donation::Entity::insert_many(created.iter().map(|d| donation_row(scope, d)))
            .exec_without_returning(&txn)
            .await
            .map_err(write_err)?;
        txn.commit().await.map_err(write_err)?;
        self.refresh_statistics("donations", created.len()).await;
        Ok(())
    }
}

/// What both importers take from the reading loop.
trait RowSink {
    async fn push(&mut self, line: u64, row: &[&str]) -> Result<(), ImportError>;
    fn reject(&mut self, line: u64, reason: String);
    fn rows(&self) -> u64;
}

impl RowSink for DonorImporter<'_> {
    async fn push(&mut self, line: u64, row: &[&str]) -> Result<(), ImportError> {
        DonorImporter::push(self, line, row).await
    }
    fn reject(&mut self, line: u64, reason: String) {
        DonorImporter::reject(self, line, reason);
    }
    fn rows(&self) -> u64 {
        self.report().rows()
    }
}

impl RowSink for DonationImporter<'_> {
    async fn push(&mut self, line: u64, row: &[&str]) -> Result<(), ImportError> {
        DonationImporter::push(self, line, row).await
    }
    fn reject(&mut self, line: u64, reason: String) {
        DonationImporter::reject(self, line, reason);
    }
    fn rows(&self) -> u64 {
        self.report().rows()
    }
}

fn csv_reader<R: Read>(input: R) -> csv::Reader<R> {
    // Flexible: a row with the wrong number of cells is reported as that row's error rather
    // than stopping the reader.
    csv::ReaderBuilder::new().flexible(true).from_reader(input)
}

fn header_of<R: Read>(reader: &mut csv::Reader<R>) -> Result<Vec<String>, ImportError> {
    match reader.headers() {
        Ok(header) => Ok(header.iter().map(str::to_owned).collect()),
        Err(err) => match err.kind() {
            csv::ErrorKind::Io(_) => Err(ImportError::Read(err.to_string())),
            _ => Err(ImportError::Header(format!("the header line is not readable CSV: {err}"))),
        },
    }
}

/// Feeds every record of `reader` to `sink`. Unreadable records are rejected with their line;
/// an I/O error stops the import.
async fn drive<R: Read, S: RowSink>(
    mut reader: csv::Reader<R>,
    width: usize,
    sink: &mut S,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(), ImportError> {
    let mut record = csv::StringRecord::new();
    loop {
        let line_before = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(line_before, csv::Position::line);
                if record.len() == width {
                    let cells: Vec<&str> = record.iter().collect();
                    sink.push(line, &cells).await?;
                } else {
                    sink.reject(line, format!("has {} cells; the header has {width}", record.len()));
                }
            }
            Err(err) => match err.kind() {
                csv::ErrorKind::Io(_) => return Err(ImportError::Read(err.to_string())),
                _ => {
                    let line = err.position().map_or(line_before, csv::Position::line);
                    sink.reject(line, format!("unreadable row: {err}"));
                }
            },
        }
        progress(sink.rows());
    }
    Ok(())
}

/// Imports donors from CSV `input` for the scope's organization.
pub async fn import_donors<R: Read>(
    store: &dyn ImportStore,
    scope: &OrgScope,
    input: R,
    options: DonorImportOptions,
    on_reject: RejectSink<'_>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ImportReport, ImportError> {
    let mut reader = csv_reader(input);
    let header = header_of(&mut reader)?;
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut importer = DonorImporter::new(store, scope, &names, options, on_reject)?;
    drive(reader, header.len(), &mut importer, progress).await?;
    importer.finish().await
}

/// Imports donations from CSV `input` for the scope's organization.
pub async fn import_donations<R: Read>(
    store: &dyn ImportStore,
    scope: &OrgScope,
    input: R,
    dry_run: bool,
    on_reject: RejectSink<'_>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ImportReport, ImportError> {
    let mut reader = csv_reader(input);
    let header = header_of(&mut reader)?;
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut importer = DonationImporter::new(store, scope, &names, dry_run, on_reject)?;
    drive(reader, header.len(), &mut importer, progress).await?;
    importer.finish().await
}
