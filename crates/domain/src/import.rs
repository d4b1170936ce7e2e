//! CSV import and export of donors and donations, minus the CSV itself: which columns exist, how
//! a row becomes a domain command (through the same value objects and rules as the HTTP API),
//! how a batch of rows is matched against what is stored (created / updated / unchanged), the
//! report, and the spreadsheet formula guard. The adapters read and write the bytes; the batch
//! store port ([`ImportStore`]) does the few queries per batch.
//!
//! Rules (see docs/decisions/0018-csv-import-export.md):
//! - a donor row matches a stored donor by `external_id`; a row without one matches by email
//!   (always), and with `match_email` a row whose `external_id` is unknown may match a donor
//!   that has no external id by email. A row with neither key is refused: a re-run could not
//!   find what it created and would duplicate it.
//! - columns absent from the header leave stored values alone; a present but empty cell clears.
//! - a donation row identical to a stored donation (donor, date, amount, currency,
//!   reference_number, project) is unchanged; donations are never updated by an import.
//! - a key seen earlier in the same file makes the later row an error.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;

use crate::donation::{Donation, NewDonation, PaymentMethod, Recurrence, RecurringFrequency, check_gift_amount};
use crate::donor::{Donor, DonorPatch, DonorType, Household, NAME_MAX, NOTES_MAX, NewDonor, Spouse, validate_tags};
use crate::organization::{JourneyGraph, Organization, phone_region};
use crate::shared::time::now;
use crate::shared::{
    CountryCode, Currency, DonationId, DonorId, EmailAddress, Money, OrgScope, PhoneNumber, ProjectId, RepoError,
    Timestamp, ValueError, optional_text,
};

/// Rows written per transaction: large enough that a million rows take ~2,000 round trips,
/// small enough to stay under SQLite's bound-parameter limit (26 columns x 500).
pub const BATCH_SIZE: usize = 500;
/// Row errors kept in a report; the count goes on past it.
pub const MAX_REPORTED_ERRORS: usize = 1_000;
/// The largest `custom_fields` cell, as JSON text (the API's limit).
pub const CUSTOM_FIELDS_MAX_BYTES: usize = 64 * 1024;

/// The donor columns, in export order: the donor API's field names.
pub const DONOR_COLUMNS: &[&str] = &[
    "external_id",
    "donor_type",
    "first_name",
    "last_name",
    "email",
    "phone",
    "spouse_first_name",
    "spouse_last_name",
    "spouse_email",
    "address_street",
    "address_city",
    "address_state",
    "address_zip",
    "address_country",
    "journey_stage",
    "notes",
    "tags",
    "custom_fields",
];

/// The donation columns, in export order.
pub const DONATION_COLUMNS: &[&str] = &[
    "donor_external_id",
    "donor_email",
    "project_id",
    "amount",
    "currency",
    "date",
    "payment_method",
    "reference_number",
    "notes",
    "is_recurring",
    "recurring_frequency",
    "tax_deductible",
];

// ---------------------------------------------------------------------------------------------
// Formula guard

/// A cell a spreadsheet would run as a formula gets a leading `'`, which spreadsheets show as
/// text. Tab and CR are included because some spreadsheets strip them before the check.
pub fn guard_cell(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Undoes [`guard_cell`], so that an export imports back unchanged (phone numbers start with `+`).
pub fn unguard_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

// ---------------------------------------------------------------------------------------------
// Report

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The physical line of the file; the header is line 1.
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The first [`MAX_REPORTED_ERRORS`] rejected rows.
    pub errors: Vec<RowError>,
    /// More rows were rejected than `errors` lists.
    pub errors_truncated: bool,
}

impl ImportReport {
    pub fn rows(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.rejected
    }
}

/// Why a whole import stopped. Row problems never stop it; they are reported per row.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The header is unusable (an unknown or repeated column, a missing key column): nothing
    /// was written.
    #[error("{0}")]
    Header(String),
    /// The file could not be read (I/O error).
    #[error("cannot read the file: {0}")]
    Read(String),
    #[error(transparent)]
    Store(#[from] RepoError),
}

/// Receives each rejected row as it is found (the CLI prints them at once).
pub type RejectSink<'a> = Box<dyn FnMut(&RowError) + Send + 'a>;

struct Tally<'a> {
    report: ImportReport,
    sink: RejectSink<'a>,
}

impl Tally<'_> {
    fn reject(&mut self, line: u64, reason: impl Into<String>) {
        let error = RowError { line, reason: reason.into() };
        (self.sink)(&error);
        self.report.rejected += 1;
        if self.report.errors.len() < MAX_REPORTED_ERRORS {
            self.report.errors.push(error);
        } else {
            self.report.errors_truncated = true;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The store port

/// The few queries an import makes per batch. Every method is scoped to the organization.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Donors, soft-deleted ones included, whose external id is one of `external_ids` or whose
    /// (lower-case) email is one of `emails`. It does not wait for a write in flight: the
    /// batches of this import are only certain to be seen after [`ImportStore::settle`].
    async fn donors_by_keys(
        &self,
        scope: &OrgScope,
        external_ids: Vec<String>,
        emails: Vec<String>,
    ) -> Result<Vec<Donor>, RepoError>;
    /// Inserts `created` and overwrites `updated` (stored donors of the organization) in one
    /// transaction. `Conflict` when another writer took an external id meanwhile. A store may
    /// return before the write is done, so that the next batch is read and validated meanwhile;
    /// it then finishes it before its next call, and reports its failure there or from
    /// [`ImportStore::settle`].
    async fn write_donors(&self, scope: &OrgScope, created: Vec<Donor>, updated: Vec<Donor>) -> Result<(), RepoError>;
    /// Which of `ids` are projects of the organization.
    async fn known_projects(&self, scope: &OrgScope, ids: Vec<ProjectId>) -> Result<Vec<ProjectId>, RepoError>;
    /// Donations of any of `donors` on any of `dates`.
    async fn donations_of(
        &self,
        scope: &OrgScope,
        donors: Vec<DonorId>,
        dates: Vec<NaiveDate>,
    ) -> Result<Vec<Donation>, RepoError>;
    /// Inserts `created` in one transaction; may return before it is done, like `write_donors`.
    async fn insert_donations(&self, scope: &OrgScope, created: Vec<Donation>) -> Result<(), RepoError>;
    /// Waits for the last write, and returns its failure: the report is only final after it.
    async fn settle(&self) -> Result<(), RepoError>;
}

// ---------------------------------------------------------------------------------------------
// Columns

/// Where each known column sits in a file's header.
#[derive(Debug, Clone)]
pub struct Columns {
    index: HashMap<&'static str, usize>,
}

impl Columns {
    /// Refuses an unknown or repeated column (before anything is written), naming it.
    pub fn parse(header: &[&str], known: &'static [&'static str]) -> Result<Self, ImportError> {
        let mut index = HashMap::new();
        for (i, raw) in header.iter().enumerate() {
            // A UTF-8 byte-order mark (spreadsheets write one) is not part of the name.
            let name = raw.trim_start_matches('\u{feff}').trim().to_ascii_lowercase();
            let Some(column) = known.iter().find(|k| **k == name) else {
                return Err(ImportError::Header(format!(
                    "unknown column '{}' (column {}); known columns: {}",
                    raw.trim(),
                    i + 1,
                    known.join(", ")
                )));
            };
            if index.insert(*column, i).is_some() {
                return Err(ImportError::Header(format!("column '{column}' appears twice")));
            }
        }
        Ok(Self { index })
    }

    fn has(&self, column: &str) -> bool {
        self.index.contains_key(column)
    }

    /// `None`: the column is not in the file. `Some(None)`: the cell is empty.
    fn cell<'r>(&self, row: &[&'r str], column: &str) -> Option<Option<&'r str>> {
        let i = *self.index.get(column)?;
        let raw = row.get(i).copied().unwrap_or("");
        let value = unguard_cell(raw).trim();
        Some(if value.is_empty() { None } else { Some(value) })
    }

    /// The cell's text, or `None` when empty or absent.
    fn text<'r>(&self, row: &[&'r str], column: &str) -> Option<&'r str> {
        self.cell(row, column).flatten()
    }
}

/// A small, fixed-size fingerprint of a key, so that remembering every key of a million-row
/// file costs a few bytes per row rather than the keys themselves. SipHash with fixed keys:
/// a false "duplicate" needs a 64-bit collision.
fn fingerprint(parts: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

fn describe(err: &ValueError) -> String {
    format!("{}: {}", err.field, err.message)
}

fn map_text(field: &'static str, cell: Option<Option<&str>>, max: usize) -> Result<Option<Option<String>>, ValueError> {
    cell.map(|v| optional_text(field, v, max)).transpose()
}

fn parse_bool(field: &'static str, raw: &str) -> Result<bool, ValueError> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(ValueError::new(field, format!("'{raw}' is not a boolean; expected 'true' or 'false'"))),
    }
}

// ---------------------------------------------------------------------------------------------
// Donor rows

/// The address columns of a row; `None`: the column is not in the file.
#[derive(Debug, Clone, Default)]
struct AddressCells {
    street: Option<Option<String>>,
    city: Option<Option<String>>,
    state: Option<Option<String>>,
    zip: Option<Option<String>>,
    country: Option<Option<CountryCode>>,
}

/// A donor row, parsed: the present columns as a patch, plus what needs the stored donor to
/// resolve (household, address and the phone number's region).
#[derive(Debug, Clone)]
struct DonorRow {
    line: u64,
    external_id: Option<String>,
    email: Option<EmailAddress>,
    patch: DonorPatch,
    donor_type: Option<DonorType>,
    spouse_first_name: Option<Option<String>>,
    spouse_last_name: Option<Option<String>>,
    spouse_email: Option<Option<EmailAddress>>,
    address: AddressCells,
    phone: Option<Option<String>>,
}

fn parse_email_cell(
    field: &'static str,
    cell: Option<Option<&str>>,
) -> Result<Option<Option<EmailAddress>>, ValueError> {
    cell.map(|v| v.map(|e| EmailAddress::parse(e).map_err(|err| err.for_field(field))).transpose()).transpose()
}

fn parse_tags_cell(raw: Option<&str>) -> Result<Vec<String>, ValueError> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.unwrap_or("").split(';').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    validate_tags(&tags)?;
    Ok(tags)
}

fn parse_custom_fields_cell(raw: Option<&str>) -> Result<Option<serde_json::Value>, ValueError> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.len() > CUSTOM_FIELDS_MAX_BYTES {
        return Err(ValueError::new("custom_fields", format!("at most {CUSTOM_FIELDS_MAX_BYTES} bytes of JSON")));
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(Some(value)),
        Ok(serde_json::Value::Null) => Ok(None),
        _ => Err(ValueError::new("custom_fields", "must be a JSON object")),
    }
}

fn check_stage(graph: Option<&JourneyGraph>, stage: &str) -> Result<(), ValueError> {
    match graph {
        Some(graph) if graph.stage(stage).is_none() => Err(ValueError::new(
            "journey_stage",
            format!("'{stage}' is not a stage of the organization's journey graph"),
        )),
        _ => Ok(()),
    }
}

fn parse_donor_type(raw: &str) -> Result<DonorType, ValueError> {
    raw.parse::<DonorType>().map_err(|_| {
        ValueError::new("donor_type", format!("'{raw}' is not a donor type; expected 'individual' or 'couple'"))
    })
}

impl DonorRow {
    fn parse(columns: &Columns, line: u64, row: &[&str], graph: Option<&JourneyGraph>) -> Result<Self, ValueError> {
        let c = |name| columns.cell(row, name);
        let external_id = optional_text("external_id", columns.text(row, "external_id"), NAME_MAX)?;
        let email = parse_email_cell("email", c("email"))?;
        let journey_stage = map_text("journey_stage", c("journey_stage"), NAME_MAX)?;
        if let Some(Some(stage)) = &journey_stage {
            check_stage(graph, stage)?;
        }
        let patch = DonorPatch {
            // A row without an external id never clears a stored one (it matched by email).
            external_id: external_id.clone().map(Some),
            first_name: map_text("first_name", c("first_name"), NAME_MAX)?,
            last_name: map_text("last_name", c("last_name"), NAME_MAX)?,
            email: email.clone(),
            journey_stage,
            notes: map_text("notes", c("notes"), NOTES_MAX)?,
            tags: c("tags").map(parse_tags_cell).transpose()?,
            custom_fields: c("custom_fields").map(parse_custom_fields_cell).transpose()?,
            ..DonorPatch::default()
        };
        let address = AddressCells {
            street: map_text("address_street", c("address_street"), 500)?,
            city: map_text("address_city", c("address_city"), NAME_MAX)?,
            state: map_text("address_state", c("address_state"), NAME_MAX)?,
            zip: map_text("address_zip", c("address_zip"), 20)?,
            country: c("address_country")
                .map(|v| v.map(|raw| CountryCode::parse(raw).map_err(|e| e.for_field("address_country"))).transpose())
                .transpose()?,
        };
        Ok(Self {
            line,
            external_id,
            email: email.flatten(),
            patch,
            donor_type: c("donor_type").map(|v| v.map_or(Ok(DonorType::Individual), parse_donor_type)).transpose()?,
            spouse_first_name: map_text("spouse_first_name", c("spouse_first_name"), NAME_MAX)?,
            spouse_last_name: map_text("spouse_last_name", c("spouse_last_name"), NAME_MAX)?,
            spouse_email: parse_email_cell("spouse_email", c("spouse_email"))?,
            address,
            phone: c("phone").map(|v| v.map(str::to_owned)),
        })
    }

    /// The row as a patch of `current` (a stored donor, or a blank new one); a national phone
    /// number without a donor country is read in `default_region` (the organization's), else
    /// the US.
    fn patch_for(&self, current: &Donor, default_region: Option<CountryCode>) -> Result<DonorPatch, ValueError> {
        let mut patch = self.patch.clone();
        let a = &self.address;
        let stored = &current.address;
        let address = crate::donor::Address {
            street: a.street.clone().unwrap_or_else(|| stored.street.clone()),
            city: a.city.clone().unwrap_or_else(|| stored.city.clone()),
            state: a.state.clone().unwrap_or_else(|| stored.state.clone()),
            zip: a.zip.clone().unwrap_or_else(|| stored.zip.clone()),
            country: a.country.unwrap_or(stored.country),
        };
        if let Some(raw) = &self.phone {
            // The API's rule: the donor's country, else the organization's, else the US.
            let region = Some(phone_region(address.country, default_region));
            let phone = raw
                .as_deref()
                .map(|p| PhoneNumber::parse_in_region(p, region))
                .transpose()
                .map_err(|e| e.for_field("phone"))?;
            patch.phone = Some(phone);
        }
        patch.address = Some(address);
        let spouse_cells = [
            self.spouse_first_name.as_ref().map(Option::is_some),
            self.spouse_last_name.as_ref().map(Option::is_some),
            self.spouse_email.as_ref().map(Option::is_some),
        ];
        if self.donor_type.is_some() || spouse_cells.iter().any(Option::is_some) {
            let donor_type = self.donor_type.unwrap_or(current.household.donor_type());
            let stored = current.household.spouse().cloned().unwrap_or_default();
            let spouse = if donor_type == DonorType::Individual && !spouse_cells.contains(&Some(true)) {
                Spouse::default()
            } else {
                Spouse {
                    first_name: self.spouse_first_name.clone().unwrap_or(stored.first_name),
                    last_name: self.spouse_last_name.clone().unwrap_or(stored.last_name),
                    email: self.spouse_email.clone().unwrap_or(stored.email),
                }
            };
            patch.household = Some(Household::from_parts(donor_type, spouse)?);
        }
        Ok(patch)
    }

    /// `current` with the row applied.
    fn applied_to(&self, current: &Donor, default_region: Option<CountryCode>) -> Result<Donor, ValueError> {
        let mut donor = current.clone();
        donor.apply(self.patch_for(current, default_region)?)?;
        Ok(donor)
    }
}

/// How a donor import matches and whether it writes.
#[derive(Debug, Clone, Default)]
pub struct DonorImportOptions {
    /// A row whose external id is unknown may match, by email, a stored donor without one.
    pub match_email: bool,
    /// Validate and count, write nothing.
    pub dry_run: bool,
    /// The organization's journey graph: a row's stage must be one of its stages.
    pub journey_graph: Option<JourneyGraph>,
    /// The organization's country: the region of a national phone number on a row whose donor
    /// has no country (`None`: the US).
    pub default_region: Option<CountryCode>,
}

impl DonorImportOptions {
    /// The options for importing into `organization`: its journey graph and its country.
    pub fn for_organization(organization: &Organization, match_email: bool, dry_run: bool) -> Result<Self, RepoError> {
        Ok(Self {
            match_email,
            dry_run,
            journey_graph: organization.journey_graph()?,
            default_region: organization.country,
        })
    }
}

/// The stored donor a row updates (`None`: the row creates one), or why the row is refused.
fn find_target<'d>(
    row: &DonorRow,
    match_email: bool,
    by_external_id: &HashMap<&str, &'d Donor>,
    by_email: &HashMap<&str, Vec<&'d Donor>>,
) -> Result<Option<&'d Donor>, String> {
    if let Some(id) = &row.external_id {
        if let Some(donor) = by_external_id.get(id.as_str()) {
            if donor.is_deleted() {
                return Err(format!("external_id '{id}' belongs to a deleted donor; restore it first"));
            }
            return Ok(Some(donor));
        }
        if !match_email {
            return Ok(None);
        }
    }
    let Some(email) = &row.email else { return Ok(None) };
    match by_email.get(email.as_str()).map_or(&[][..], Vec::as_slice) {
        [] => Ok(None),
        [one] => match (&row.external_id, &one.external_id) {
            (Some(_), Some(theirs)) => Err(format!("email '{email}' belongs to the donor with external_id '{theirs}'")),
            _ => Ok(Some(one)),
        },
        many => Err(format!("email '{email}' matches {} donors; give the row an external_id", many.len())),
    }
}

/// Stored donors indexed by external id (all) and by email (not deleted).
fn index_donors(stored: &[Donor]) -> (HashMap<&str, &Donor>, HashMap<&str, Vec<&Donor>>) {
    let mut by_external_id = HashMap::new();
    let mut by_email: HashMap<&str, Vec<&Donor>> = HashMap::new();
    for donor in stored {
        if let Some(id) = &donor.external_id {
            by_external_id.insert(id.as_str(), donor);
        }
        if let (Some(email), false) = (&donor.email, donor.is_deleted()) {
            by_email.entry(email.as_str()).or_default().push(donor);
        }
    }
    (by_external_id, by_email)
}

/// Imports donor rows in batches: feed it rows with [`DonorImporter::push`], then
/// [`DonorImporter::finish`]. Memory holds one batch plus a fingerprint per key seen.
pub struct DonorImporter<'a> {
    store: &'a dyn ImportStore,
    scope: &'a OrgScope,
    options: DonorImportOptions,
    columns: Columns,
    /// Key fingerprint -> the line that first used it.
    seen: HashMap<u64, u64>,
    pending: Vec<DonorRow>,
    tally: Tally<'a>,
}

impl<'a> DonorImporter<'a> {
    /// Checks the header: only known columns, and a key column (`external_id` or `email`).
    pub fn new(
        store: &'a dyn ImportStore,
        scope: &'a OrgScope,
        header: &[&str],
        options: DonorImportOptions,
        on_reject: RejectSink<'a>,
    ) -> Result<Self, ImportError> {
        let columns = Columns::parse(header, DONOR_COLUMNS)?;
        if !columns.has("external_id") && !columns.has("email") {
            return Err(ImportError::Header(
                "the file needs an 'external_id' or an 'email' column to recognise donors on a re-run".into(),
            ));
        }
        let report = ImportReport { dry_run: options.dry_run, ..ImportReport::default() };
        Ok(Self {
            store,
            scope,
            options,
            columns,
            seen: HashMap::new(),
            pending: Vec::with_capacity(BATCH_SIZE),
            tally: Tally { report, sink: on_reject },
        })
    }

    /// Records a row that could not even be read (malformed CSV, invalid UTF-8).
    pub fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.tally.reject(line, reason);
    }

    pub fn report(&self) -> &ImportReport {
        &self.tally.report
    }

    pub async fn push(&mut self, line: u64, row: &[&str]) -> Result<(), ImportError> {
        let row = match DonorRow::parse(&self.columns, line, row, self.options.journey_graph.as_ref()) {
            Ok(row) => row,
            Err(err) => {
                self.tally.reject(line, describe(&err));
                return Ok(());
            }
        };
        let email_key = row.email.as_ref().map(|e| fingerprint(("email", e.as_str())));
        match (&row.external_id, email_key) {
            (Some(id), email_key) => {
                let key = fingerprint(("external_id", id));
                if let Some(first) = self.seen.get(&key) {
                    let reason = format!("external_id '{id}' appears already on line {first}");
                    self.tally.reject(line, reason);
                    return Ok(());
                }
                self.seen.insert(key, line);
                // Remembered, not checked: people sharing an address may have their own ids.
                if let Some(email_key) = email_key {
                    self.seen.entry(email_key).or_insert(line);
                }
            }
            (None, Some(key)) => {
                if let Some(first) = self.seen.get(&key) {
                    let email = row.email.as_ref().map_or("", EmailAddress::as_str);
                    self.tally.reject(line, format!("email '{email}' appears already on line {first}"));
                    return Ok(());
                }
                self.seen.insert(key, line);
            }
            (None, None) => {
                self.tally.reject(
                    line,
                    "a row needs an external_id or an email: without either, a re-run would not recognise the donor",
                );
                return Ok(());
            }
        }
        self.pending.push(row);
        if self.pending.len() >= BATCH_SIZE {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ImportError> {
        let rows = std::mem::take(&mut self.pending);
        if rows.is_empty() {
            return Ok(());
        }
        let match_email = self.options.match_email;
        let external_ids = rows.iter().filter_map(|r| r.external_id.clone()).collect();
        let emails = rows
            .iter()
            .filter(|r| r.external_id.is_none() || match_email)
            .filter_map(|r| r.email.as_ref().map(|e| e.as_str().to_owned()))
            .collect();
        // Without email matching, what an earlier batch of this file writes cannot change what
        // this lookup finds for a row that reaches it: a repeated external id or email was
        // refused on its line (`seen`), and so is a second line for a donor already changed
        // or an email a line took away from its donor. So the lookup runs while earlier batches
        // are still being written. A row that may match by email needs them written first.
        if match_email {
            self.store.settle().await?;
        }
        let stored = self.store.donors_by_keys(self.scope, external_ids, emails).await?;
        let (by_external_id, by_email) = index_donors(&stored);
        let blank =
            Donor::register(NewDonor::individual(None, None).map_err(|e| ImportError::Header(describe(&e)))?, now());
        let (mut created, mut updated) = (Vec::new(), Vec::new());
        for row in &rows {
            let target = match find_target(row, match_email, &by_external_id, &by_email) {
                Ok(target) => target,
                Err(reason) => {
                    self.tally.reject(row.line, reason);
                    continue;
                }
            };
            let current = target.unwrap_or(&blank);
            let donor = match row.applied_to(current, self.options.default_region) {
                Ok(donor) => donor,
                Err(err) => {
                    self.tally.reject(row.line, describe(&err));
                    continue;
                }
            };
            match target {
                None => created.push(Donor { id: DonorId::new(), ..donor }),
                Some(stored) => {
                    // A donor one line of the file changed is not changed again by another, in
                    // this batch or a later one: the later line's lookup may or may not see the
                    // first change (see the lookup above), so either outcome would be by chance.
                    if let Some(&first) = self.seen.get(&fingerprint(("donor", stored.id))) {
                        self.tally.reject(row.line, format!("matches the same donor as line {first}"));
                        continue;
                    }
                    self.seen.insert(fingerprint(("donor", stored.id)), row.line);
                    // Likewise an email this line takes away from the donor: a later line with
                    // that email would match the donor or not depending on timing.
                    if let Some(old) = stored.email.as_ref().filter(|old| donor.email.as_ref() != Some(*old)) {
                        self.seen.entry(fingerprint(("email", old.as_str()))).or_insert(row.line);
                    }
                    if donor == *stored {
                        self.tally.report.unchanged += 1;
                    } else {
                        updated.push(Donor { updated_at: blank.updated_at, ..donor });
                    }
                }
            }
        }
        self.tally.report.created += created.len() as u64;
        self.tally.report.updated += updated.len() as u64;
        let nothing = created.is_empty() && updated.is_empty();
        if !self.options.dry_run && !nothing {
            self.store.write_donors(self.scope, created, updated).await?;
        }
        Ok(())
    }

    pub async fn finish(mut self) -> Result<ImportReport, ImportError> {
        self.flush().await?;
        self.store.settle().await?;
        let mut report = self.tally.report;
        report.errors.sort_by_key(|e| e.line);
        Ok(report)
    }
}

// ---------------------------------------------------------------------------------------------
// Donation rows

#[derive(Debug, Clone, PartialEq, Eq)]
enum DonorRef {
    ExternalId(String),
    Email(EmailAddress),
}

#[derive(Debug, Clone)]
struct DonationRow {
    line: u64,
    donor: DonorRef,
    project_id: Option<ProjectId>,
    amount: Money,
    date: NaiveDate,
    payment_method: Option<PaymentMethod>,
    reference_number: Option<String>,
    notes: Option<String>,
    recurrence: Recurrence,
    tax_deductible: bool,
}

impl DonationRow {
    fn parse(columns: &Columns, line: u64, row: &[&str]) -> Result<Self, ValueError> {
        let t = |name| columns.text(row, name);
        let donor = match (t("donor_external_id"), t("donor_email")) {
            (Some(id), _) => DonorRef::ExternalId(id.to_owned()),
            (None, Some(email)) => DonorRef::Email(EmailAddress::parse(email).map_err(|e| e.for_field("donor_email"))?),
            (None, None) => {
                return Err(ValueError::new("donor_external_id", "donor_external_id or donor_email is required"));
            }
        };
        let project_id = t("project_id")
            .map(|raw| {
                uuid::Uuid::parse_str(raw)
                    .map(ProjectId::from_uuid)
                    .map_err(|_| ValueError::new("project_id", format!("'{raw}' is not a project id")))
            })
            .transpose()?;
        let currency = t("currency").map(Currency::parse).transpose()?.unwrap_or_default();
        let amount = t("amount").ok_or_else(|| ValueError::new("amount", "is required"))?;
        let amount = Money::parse(amount, currency).map_err(|e| e.for_field("amount"))?;
        check_gift_amount(&amount)?;
        let date = t("date").ok_or_else(|| ValueError::new("date", "is required"))?;
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| ValueError::new("date", format!("'{date}' is not a date (YYYY-MM-DD)")))?;
        let payment_method = t("payment_method").map(str::parse::<PaymentMethod>).transpose()?;
        let is_recurring = t("is_recurring").map(|v| parse_bool("is_recurring", v)).transpose()?.unwrap_or(false);
        let frequency = t("recurring_frequency").map(str::parse::<RecurringFrequency>).transpose()?;
        Ok(Self {
            line,
            donor,
            project_id,
            amount,
            date,
            payment_method,
            reference_number: optional_text("reference_number", t("reference_number"), 200)?,
            notes: optional_text("notes", t("notes"), NOTES_MAX)?,
            recurrence: Recurrence::from_parts(is_recurring, frequency)?,
            tax_deductible: t("tax_deductible").map(|v| parse_bool("tax_deductible", v)).transpose()?.unwrap_or(true),
        })
    }

    fn command(&self, donor_id: DonorId) -> NewDonation {
        NewDonation {
            donor_id,
            project_id: self.project_id,
            amount: self.amount,
            date: self.date,
            payment_method: self.payment_method,
            reference_number: self.reference_number.clone(),
            notes: self.notes.clone(),
            recurrence: self.recurrence,
            tax_deductible: self.tax_deductible,
        }
    }
}

/// What makes two donations "the same" for an import.
fn donation_key(
    donor: DonorId,
    date: NaiveDate,
    amount: &Money,
    reference: Option<&str>,
    project: Option<ProjectId>,
) -> u64 {
    fingerprint((donor, date, amount.amount().normalize().to_string(), amount.currency().code(), reference, project))
}

/// A new donation recorded `at`.
fn record(new: NewDonation, at: Timestamp) -> Donation {
    Donation {
        id: DonationId::new(),
        donor_id: new.donor_id,
        project_id: new.project_id,
        amount: new.amount,
        date: new.date,
        payment_method: new.payment_method,
        reference_number: new.reference_number,
        notes: new.notes,
        recurrence: new.recurrence,
        tax_deductible: new.tax_deductible,
        receipt_sent_date: None,
        receipt_sent: false,
        created_at: at,
        updated_at: at,
    }
}

/// Imports donation rows in batches, like [`DonorImporter`]. Rows are only ever created or
/// found unchanged.
pub struct DonationImporter<'a> {
    store: &'a dyn ImportStore,
    scope: &'a OrgScope,
    dry_run: bool,
    columns: Columns,
    seen: HashMap<u64, u64>,
    pending: Vec<DonationRow>,
    tally: Tally<'a>,
}

impl<'a> DonationImporter<'a> {
    /// Checks the header: only known columns, a donor column, `amount` and `date`.
    pub fn new(
        store: &'a dyn ImportStore,
        scope: &'a OrgScope,
        header: &[&str],
        dry_run: bool,
        on_reject: RejectSink<'a>,
    ) -> Result<Self, ImportError> {
        let columns = Columns::parse(header, DONATION_COLUMNS)?;
        if !columns.has("donor_external_id") && !columns.has("donor_email") {
            return Err(ImportError::Header("the file needs a 'donor_external_id' or a 'donor_email' column".into()));
        }
        for required in ["amount", "date"] {
            if !columns.has(required) {
                return Err(ImportError::Header(format!("the file needs an '{required}' column")));
            }
        }
        let report = ImportReport { dry_run, ..ImportReport::default() };
        Ok(Self {
            store,
            scope,
            dry_run,
            columns,
            seen: HashMap::new(),
            pending: Vec::with_capacity(BATCH_SIZE),
            tally: Tally { report, sink: on_reject },
        })
    }

    pub fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.tally.reject(line, reason);
    }

    pub fn report(&self) -> &ImportReport {
        &self.tally.report
    }

    pub async fn push(&mut self, line: u64, row: &[&str]) -> Result<(), ImportError> {
        match DonationRow::parse(&self.columns, line, row) {
            Ok(row) => self.pending.push(row),
            Err(err) => self.tally.reject(line, describe(&err)),
        }
        if self.pending.len() >= BATCH_SIZE {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ImportError> {
        let rows = std::mem::take(&mut self.pending);
        if rows.is_empty() {
            return Ok(());
        }
        let (mut external_ids, mut emails) = (Vec::new(), Vec::new());
        for row in &rows {
            match &row.donor {
                DonorRef::ExternalId(id) => external_ids.push(id.clone()),
                DonorRef::Email(email) => emails.push(email.as_str().to_owned()),
            }
        }
        let stored = self.store.donors_by_keys(self.scope, external_ids, emails).await?;
        let (by_external_id, by_email) = index_donors(&stored);
        let projects: HashSet<ProjectId> = rows.iter().filter_map(|r| r.project_id).collect();
        let known: HashSet<ProjectId> = if projects.is_empty() {
            HashSet::new()
        } else {
            self.store.known_projects(self.scope, projects.into_iter().collect()).await?.into_iter().collect()
        };
        let mut resolved = Vec::with_capacity(rows.len());
        for row in rows {
            let donor = match &row.donor {
                DonorRef::ExternalId(id) => match by_external_id.get(id.as_str()) {
                    Some(d) if d.is_deleted() => Err(format!("donor_external_id '{id}' is a deleted donor")),
                    Some(d) => Ok(d.id),
                    None => Err(format!("no donor has the external_id '{id}'")),
                },
                DonorRef::Email(email) => match by_email.get(email.as_str()).map_or(&[][..], Vec::as_slice) {
                    [one] => Ok(one.id),
                    [] => Err(format!("no donor has the email '{email}'")),
                    many => Err(format!("the email '{email}' matches {} donors; use donor_external_id", many.len())),
                },
            };
            let donor = donor.and_then(|id| match row.project_id {
                Some(project) if !known.contains(&project) => {
                    Err(format!("project_id '{project}' is not a project of the organization"))
                }
                _ => Ok(id),
            });
            match donor {
                Ok(id) => resolved.push((row, id)),
                Err(reason) => self.tally.reject(row.line, reason),
            }
        }
        if resolved.is_empty() {
            return Ok(());
        }
        let donors: HashSet<DonorId> = resolved.iter().map(|(_, id)| *id).collect();
        let dates: HashSet<NaiveDate> = resolved.iter().map(|(row, _)| row.date).collect();
        let existing: HashSet<u64> = self
            .store
            .donations_of(self.scope, donors.into_iter().collect(), dates.into_iter().collect())
            .await?
            .iter()
            .map(|d| donation_key(d.donor_id, d.date, &d.amount, d.reference_number.as_deref(), d.project_id))
            .collect();
        let at = now();
        let mut created = Vec::new();
        for (row, donor_id) in resolved {
            let key = donation_key(donor_id, row.date, &row.amount, row.reference_number.as_deref(), row.project_id);
            if let Some(first) = self.seen.get(&key) {
                self.tally.reject(row.line, format!("the same donation as line {first}"));
                continue;
            }
            self.seen.insert(key, row.line);
            let new = row.command(donor_id);
            if let Err(err) = new.validate() {
                self.tally.reject(row.line, describe(&err));
            } else if existing.contains(&key) {
                self.tally.report.unchanged += 1;
            } else {
                created.push(record(new, at));
            }
        }
        self.tally.report.created += created.len() as u64;
        if !self.dry_run && !created.is_empty() {
            self.store.insert_donations(self.scope, created).await?;
        }
        Ok(())
    }

    pub async fn finish(mut self) -> Result<ImportReport, ImportError> {
        self.flush().await?;
        self.store.settle().await?;
        let mut report = self.tally.report;
        report.errors.sort_by_key(|e| e.line);
        Ok(report)
    }
}

// ---------------------------------------------------------------------------------------------
// Export

fn text(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

/// A donor as a CSV record in [`DONOR_COLUMNS`] order, before the formula guard.
pub fn donor_cells(d: &Donor) -> Vec<String> {
    let spouse = d.household.spouse();
    vec![
        text(d.external_id.as_deref()),
        d.household.donor_type().as_str().to_owned(),
        text(d.first_name.as_deref()),
        text(d.last_name.as_deref()),
        text(d.email.as_ref().map(EmailAddress::as_str)),
        text(d.phone.as_ref().map(PhoneNumber::as_str)),
        text(spouse.and_then(|s| s.first_name.as_deref())),
        text(spouse.and_then(|s| s.last_name.as_deref())),
        text(spouse.and_then(|s| s.email.as_ref().map(EmailAddress::as_str))),
        text(d.address.street.as_deref()),
        text(d.address.city.as_deref()),
        text(d.address.state.as_deref()),
        text(d.address.zip.as_deref()),
        text(d.address.country.as_ref().map(CountryCode::as_str)),
        text(d.journey_stage.as_deref()),
        text(d.notes.as_deref()),
        d.tags.join(";"),
        d.custom_fields.as_ref().map(ToString::to_string).unwrap_or_default(),
    ]
}

/// A donation as a CSV record in [`DONATION_COLUMNS`] order; `donor` supplies its keys.
pub fn donation_cells(d: &Donation, donor: Option<&Donor>) -> Vec<String> {
    let mut amount = d.amount.amount();
    amount.rescale(2);
    vec![
        text(donor.and_then(|x| x.external_id.as_deref())),
        text(donor.and_then(|x| x.email.as_ref().map(EmailAddress::as_str))),
        d.project_id.map(|p| p.to_string()).unwrap_or_default(),
        amount.to_string(),
        d.amount.currency().code().to_owned(),
        d.date.format("%Y-%m-%d").to_string(),
        text(d.payment_method.map(PaymentMethod::as_str)),
        text(d.reference_number.as_deref()),
        text(d.notes.as_deref()),
        d.recurrence.is_recurring().to_string(),
        text(d.recurrence.frequency().map(RecurringFrequency::as_str)),
        d.tax_deductible.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrganizationId;

    #[test]
    fn the_formula_guard_round_trips() {
        for cell in ["=1+1", "+44 20", "-5", "@SUM(A1)", "\tx", "\rx"] {
            let guarded = guard_cell(cell);
            assert_eq!(guarded, format!("'{cell}"));
            assert_eq!(unguard_cell(&guarded), cell);
        }
        for cell in ["Ada", "", "'quoted", "1-2", "a=b"] {
            assert_eq!(guard_cell(cell), cell, "left alone");
            assert_eq!(unguard_cell(cell), cell, "a leading quote before ordinary text is kept");
        }
    }

    #[test]
    fn headers_must_be_known_and_unique() {
        assert!(Columns::parse(&["\u{feff}External_ID", " email "], DONOR_COLUMNS).is_ok());
        let Err(ImportError::Header(message)) = Columns::parse(&["external_id", "nick"], DONOR_COLUMNS) else {
            panic!("an unknown column is refused")
        };
        assert!(message.contains("'nick'") && message.contains("column 2"), "{message}");
        assert!(matches!(Columns::parse(&["email", "email"], DONOR_COLUMNS), Err(ImportError::Header(_))));
    }

    fn parse(header: &[&str], row: &[&str]) -> Result<DonorRow, ValueError> {
        let columns = Columns::parse(header, DONOR_COLUMNS).unwrap();
        DonorRow::parse(&columns, 2, row, None)
    }

    #[test]
    fn donor_rows_use_the_value_objects() {
        let row = parse(&["external_id", "email", "tags", "phone"], &["D1", "A@B.org", "x; y;x;", "'+1 202 555 0101"])
            .unwrap();
        assert_eq!(row.email.as_ref().map(EmailAddress::as_str), Some("a@b.org"));
        assert_eq!(row.patch.tags, Some(vec!["x".to_owned(), "y".to_owned()]));
        let blank = Donor::register(NewDonor::individual(None, None).unwrap(), now());
        let donor = row.applied_to(&blank, None).unwrap();
        assert_eq!(donor.phone.map(|p| p.as_str().to_owned()).as_deref(), Some("+12025550101"));
        assert_eq!(parse(&["email"], &["nope"]).unwrap_err().field, "email");
        assert_eq!(parse(&["external_id", "donor_type"], &["D1", "company"]).unwrap_err().field, "donor_type");
        assert_eq!(parse(&["external_id", "custom_fields"], &["D1", "[1]"]).unwrap_err().field, "custom_fields");
        let individual = parse(&["external_id", "spouse_first_name"], &["D1", "Vincent"]).unwrap();
        assert_eq!(individual.applied_to(&blank, None).unwrap_err().field, "donor_type", "spouse needs a couple");
    }

    fn ada() -> Donor {
        let mut new = NewDonor::individual(Some("Ada"), None).unwrap();
        new.external_id = Some("D1".into());
        new.email = Some(EmailAddress::parse("ada@example.org").unwrap());
        Donor::register(new, now())
    }

    #[tokio::test]
    async fn a_batch_is_one_lookup_and_one_write() {
        let scope = OrgScope::for_tests(OrganizationId::new());
        let stored = ada();
        let mut store = MockImportStore::new();
        let lookup = stored.clone();
        store
            .expect_donors_by_keys()
            .times(1)
            .withf(|_, ids, emails| ids == &["D1", "D2"] && emails == &["x@example.org"])
            .returning(move |_, _, _| Ok(vec![lookup.clone()]));
        store
            .expect_write_donors()
            .times(1)
            .withf(|_, created, updated| created.len() == 2 && updated.is_empty())
            .returning(|_, _, _| Ok(()));
        store.expect_settle().times(1).returning(|| Ok(()));
        let mut rejected = Vec::new();
        let header = ["external_id", "first_name", "email"];
        let options = DonorImportOptions::default();
        let mut importer =
            DonorImporter::new(&store, &scope, &header, options, Box::new(|e| rejected.push(e.line))).unwrap();
        importer.push(2, &["D1", "Ada", "ADA@example.org"]).await.unwrap();
        importer.push(3, &["D2", "Bob", ""]).await.unwrap();
        importer.push(4, &["D1", "Again", ""]).await.unwrap();
        importer.push(5, &["", "Xu", "x@example.org"]).await.unwrap();
        importer.push(6, &["", "Nobody", ""]).await.unwrap();
        let report = importer.finish().await.unwrap();
        assert_eq!((report.created, report.updated, report.unchanged, report.rejected), (2, 0, 1, 2));
        assert_eq!(report.errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![4, 6]);
        assert_eq!(rejected, vec![4, 6]);
    }

    /// Lookups may run before earlier batches are written, so they may see the donors as they
    /// were before the import: a later line with an email an earlier line took away from its
    /// donor is refused, whichever state the lookup sees.
    #[tokio::test]
    async fn an_email_taken_away_in_one_batch_is_not_matched_in_a_later_one() {
        let scope = OrgScope::for_tests(OrganizationId::new());
        let stored = ada();
        let mut store = MockImportStore::new();
        let lookup = stored.clone();
        store.expect_donors_by_keys().times(2).returning(move |_, _, _| Ok(vec![lookup.clone()]));
        store.expect_write_donors().times(2).returning(|_, _, _| Ok(()));
        store.expect_settle().returning(|| Ok(()));
        let header = ["external_id", "first_name", "email"];
        let mut importer =
            DonorImporter::new(&store, &scope, &header, DonorImportOptions::default(), Box::new(|_| {})).unwrap();
        let mut line = 1;
        let mut batch = async |importer: &mut DonorImporter<'_>, row: [&str; 3]| {
            line += 1;
            importer.push(line, &row).await.unwrap();
            for _ in 1..BATCH_SIZE {
                line += 1;
                importer.push(line, &[&format!("F{line}"), "Filler", ""]).await.unwrap();
            }
        };
        // Batch 1: D1 (Ada, ada@example.org) takes a new email.
        batch(&mut importer, ["D1", "Ada", "new@example.org"]).await;
        // Batch 2: a line without an external id and Ada's former email: refused, not matched
        // (or, had the lookup run later, made into a new donor).
        batch(&mut importer, ["", "Ada again", "ada@example.org"]).await;
        let report = importer.finish().await.unwrap();
        assert_eq!((report.created, report.updated, report.rejected), (2 * (BATCH_SIZE as u64 - 1), 1, 1));
        let refused: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(refused, [(2 + BATCH_SIZE as u64, "email 'ada@example.org' appears already on line 2")]);
    }

    /// The phones of the donors one import creates from `rows` (external_id, phone,
    /// address_country), with the organization's country `default_region`.
    async fn imported_phones(default_region: Option<CountryCode>, rows: &[[&str; 3]]) -> Vec<Option<String>> {
        let scope = OrgScope::for_tests(OrganizationId::new());
        let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut store = MockImportStore::new();
        store.expect_donors_by_keys().returning(|_, _, _| Ok(Vec::new()));
        let sink = written.clone();
        store.expect_write_donors().returning(move |_, created, _| {
            sink.lock().unwrap().extend(created);
            Ok(())
        });
        store.expect_settle().returning(|| Ok(()));
        let options = DonorImportOptions { default_region, ..DonorImportOptions::default() };
        let header = ["external_id", "phone", "address_country"];
        let mut importer = DonorImporter::new(&store, &scope, &header, options, Box::new(|_| {})).unwrap();
        for (i, row) in rows.iter().enumerate() {
            importer.push(i as u64 + 2, row).await.unwrap();
        }
        let report = importer.finish().await.unwrap();
        assert_eq!(report.rejected, 0, "{:?}", report.errors);
        let donors = written.lock().unwrap().clone();
        donors.iter().map(|d| d.phone.as_ref().map(|p| p.as_str().to_owned())).collect()
    }

    #[tokio::test]
    async fn national_phone_numbers_read_in_the_donor_then_the_organization_country() {
        let gb = CountryCode::parse("GB").ok();
        let rows = [["D1", "020 7946 0958", ""], ["D2", "01 42 68 53 00", "FR"], ["D3", "+1 202 555 0101", ""]];
        let phones = imported_phones(gb, &rows).await;
        let want = ["+442079460958", "+33142685300", "+12025550101"];
        assert_eq!(phones, want.map(|p| Some(p.to_owned())), "the organization's GB, the donor's FR, E.164 as is");
        // Without an organization country, a national number reads as one of the US.
        let phones = imported_phones(None, &[["D1", "(202) 555-0199", ""]]).await;
        assert_eq!(phones, [Some("+12025550199".to_owned())]);
    }

    #[tokio::test]
    async fn a_dry_run_never_writes() {
        let scope = OrgScope::for_tests(OrganizationId::new());
        let mut store = MockImportStore::new();
        store.expect_donors_by_keys().returning(|_, _, _| Ok(Vec::new()));
        store.expect_write_donors().never();
        store.expect_settle().returning(|| Ok(()));
        let options = DonorImportOptions { dry_run: true, ..DonorImportOptions::default() };
        let mut importer = DonorImporter::new(&store, &scope, &["external_id"], options, Box::new(|_| {})).unwrap();
        importer.push(2, &["D1"]).await.unwrap();
        let report = importer.finish().await.unwrap();
        assert!(report.dry_run);
        assert_eq!(report.created, 1);
    }

    #[test]
    fn reports_keep_the_first_thousand_errors() {
        let mut tally = Tally { report: ImportReport::default(), sink: Box::new(|_| {}) };
        for line in 0..1_500 {
            tally.reject(line, "bad");
        }
        assert_eq!(tally.report.rejected, 1_500);
        assert_eq!(tally.report.errors.len(), MAX_REPORTED_ERRORS);
        assert!(tally.report.errors_truncated);
    }
}
