//! CSV import: reads a CSV stream record by record, hands each row to the domain's importer
//! (which validates, matches and batches), and implements its batch store port with SeaORM:
//! one lookup query per batch and one transaction of multi-row statements to write it.
//!
//! A batch's write runs on its own task while the importer reads, looks up and validates the
//! next one; up to two writes run at once, on two connections (memory: three batches). A write
//! waits for a slot, the donation lookups and `settle` wait for every write, so a failed write
//! stops the import there; the donor lookup does not wait (the importer settles first when it
//! must see earlier batches). On PostgreSQL a batch is one `INSERT ... SELECT * FROM UNNEST(...)`
//! (see `bulk`; docs/decisions/0023-bulk-writes-with-unnest.md).
//!
//! Updates are written as `INSERT ... ON CONFLICT (id) DO UPDATE` over rows found in the
//! organization a moment before, so that a batch of updates is one statement on both
//! databases; the conflict action is limited to the scope's organization as well.

use std::collections::VecDeque;
use std::future::Future;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::NaiveDate;
use givance_domain::donation::Donation;
use givance_domain::donor::Donor;
use givance_domain::import::{
    DonationImporter, DonorImportOptions, DonorImporter, ImportError, ImportReport, ImportStore, RejectSink,
};
use givance_domain::{DonorId, OrgScope, ProjectId, RepoError};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, QueryFilter, QuerySelect};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::bulk::write_batch;
use crate::convert::{donation_new_row, donation_to_domain, donor_new_row, donor_to_domain};
use crate::entities::{donation, donor, project};
use crate::error::write_err;
use crate::scoped::scoped;

/// The batch store of imports, over one connection (pool).
pub struct SeaImportStore {
    conn: DatabaseConnection,
    /// Rows written so far, and the count at which PostgreSQL's statistics are next refreshed.
    written: AtomicU64,
    next_analyze: AtomicU64,
    /// The batches being written (oldest first) while the importer prepares the next one.
    in_flight: Mutex<VecDeque<JoinHandle<Result<(), RepoError>>>>,
}

/// Batches written at once, each on its own connection: PostgreSQL spends one core per writer.
const WRITES_IN_FLIGHT: usize = 2;

/// Rows written before the first statistics refresh; each later refresh waits twice as long.
const FIRST_ANALYZE: u64 = 2_000;

impl SeaImportStore {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self {
            conn,
            written: AtomicU64::new(0),
            next_analyze: AtomicU64::new(FIRST_ANALYZE),
            in_flight: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits for the oldest batch in flight, if any, and returns its outcome.
    async fn oldest_written(&self) -> Result<(), RepoError> {
        let handle = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
        match handle {
            Some(handle) => handle.await.map_err(|err| RepoError::Unavailable(Box::new(err)))?,
            None => Ok(()),
        }
    }

    /// Waits for every batch in flight; the first failure wins.
    async fn written(&self) -> Result<(), RepoError> {
        let mut outcome = Ok(());
        while !self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).is_empty() {
            let result = self.oldest_written().await;
            if outcome.is_ok() {
                outcome = result;
            }
        }
        outcome
    }

    /// Starts a batch's write once fewer than [`WRITES_IN_FLIGHT`] are running.
    async fn start(
        &self,
        write: impl Future<Output = Result<(), RepoError>> + Send + 'static,
    ) -> Result<(), RepoError> {
        while self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).len() >= WRITES_IN_FLIGHT {
            self.oldest_written().await?;
        }
        let handle = tokio::spawn(write);
        self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).push_back(handle);
        Ok(())
    }

    /// Keeps PostgreSQL's planner informed while an organization grows fast. Its statistics
    /// still say the organization has a handful of donors, so it plans the batch lookup as
    /// "every row of the organization, then filter" (idx_donors_journey), which grows with the
    /// table and makes a large import quadratic; fresh statistics make it probe
    /// uq_donors_org_external_id. Refreshed at doubling counts: about a dozen times for a
    /// million rows, and only for the columns the lookups filter on (a full ANALYZE also
    /// samples the expression indexes and took most of a second each time). It runs on its
    /// own task, beside the writes; a failure only costs speed, so it is logged, not returned.
    fn refresh_statistics(&self, table: &'static str, columns: &'static str, rows: usize) {
        let written = self.written.fetch_add(rows as u64, Ordering::Relaxed) + rows as u64;
        let due = self.next_analyze.load(Ordering::Relaxed);
        if self.conn.get_database_backend() != DatabaseBackend::Postgres || written < due {
            return;
        }
        self.next_analyze.store(written.saturating_mul(2), Ordering::Relaxed);
        let conn = self.conn.clone();
        tokio::spawn(async move {
            if let Err(err) = conn.execute_unprepared(&format!("ANALYZE \"{table}\" ({columns})")).await {
                tracing::warn!(error = %err, table, "cannot refresh the planner's statistics during an import");
            }
        });
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
        let rows = created.len() + updated.len();
        self.start(write_donors(self.conn.clone(), scope.org().into_uuid(), created, updated)).await?;
        self.refresh_statistics("donors", r#""organization_id", "external_id", "email""#, rows);
        Ok(())
    }

    async fn known_projects(&self, scope: &OrgScope, ids: Vec<ProjectId>) -> Result<Vec<ProjectId>, RepoError> {
        self.written().await?;
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
        self.written().await?;
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
        let rows = created.len();
        self.start(insert_donations(self.conn.clone(), scope.org().into_uuid(), created)).await?;
        self.refresh_statistics("donations", r#""organization_id", "donor_id", "date""#, rows);
        Ok(())
    }

    async fn settle(&self) -> Result<(), RepoError> {
        self.written().await
    }
}

async fn write_donors(
    conn: DatabaseConnection,
    org: Uuid,
    created: Vec<Donor>,
    updated: Vec<Donor>,
) -> Result<(), RepoError> {
    let rows = |donors: Vec<Donor>| donors.iter().map(|d| donor_new_row(org, d)).collect();
    write_batch::<donor::Entity>(&conn, org, rows(created), rows(updated), DONOR_UPDATE_COLUMNS).await
}

async fn insert_donations(conn: DatabaseConnection, org: Uuid, created: Vec<Donation>) -> Result<(), RepoError> {
    // The composite foreign keys refuse a donor or project of another organization.
    let rows = created.iter().map(|d| donation_new_row(org, d)).collect();
    write_batch::<donation::Entity>(&conn, org, rows, Vec::new(), &[]).await
}

/// What both importers take from the reading loop.
trait RowSink {
    async fn push(&mut self, line: u64, row: &[&str]) -> Result<(), ImportError>;
    fn reject(&mut self, line: u64, reason: String);
    fn rows(&self) -> u64;
    async fn finish(self) -> Result<ImportReport, ImportError>;
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
    async fn finish(self) -> Result<ImportReport, ImportError> {
        DonorImporter::finish(self).await
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
    async fn finish(self) -> Result<ImportReport, ImportError> {
        DonationImporter::finish(self).await
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

/// Reads the header, starts the importer `start` makes of it, feeds it every record, and
/// finishes it.
async fn run<R: Read, S: RowSink>(
    input: R,
    start: impl FnOnce(&[&str]) -> Result<S, ImportError>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ImportReport, ImportError> {
    let mut reader = csv_reader(input);
    let header = header_of(&mut reader)?;
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut sink = start(&names)?;
    drive(reader, header.len(), &mut sink, progress).await?;
    sink.finish().await
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
    run(input, |header| DonorImporter::new(store, scope, header, options, on_reject), progress).await
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
    run(input, |header| DonationImporter::new(store, scope, header, dry_run, on_reject), progress).await
}
