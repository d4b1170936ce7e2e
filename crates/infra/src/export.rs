//! CSV export of donors and donations, streamed: keyset pages of the organization's rows,
//! oldest first (rows created during an export land after the position reached, so none is
//! skipped or repeated), each page rendered to one chunk of CSV. Every cell passes the
//! spreadsheet formula guard, which the importer undoes.

use std::collections::HashMap;

use givance_domain::donor::Donor;
use givance_domain::import::{DONATION_COLUMNS, DONOR_COLUMNS, donation_cells, donor_cells, guard_cell};
use givance_domain::shared::page::MAX_PAGE_SIZE;
use givance_domain::{Cursor, OrgScope, PageRequest, RepoError};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter};

use crate::convert::{donation_to_domain, donor_to_domain};
use crate::entities::{donation, donor};
use crate::error::write_err;
use crate::page::{Direction, fetch_page_in};
use crate::scoped::scoped;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// Donors that are not deleted, in [`DONOR_COLUMNS`].
    Donors,
    /// Every donation, in [`DONATION_COLUMNS`], with its donor's keys.
    Donations,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] RepoError),
    #[error("cannot write CSV: {0}")]
    Write(String),
}

/// An export in progress: call [`CsvExport::next_chunk`] until it yields `None`.
pub struct CsvExport {
    conn: DatabaseConnection,
    scope: OrgScope,
    kind: ExportKind,
    after: Option<Cursor>,
    started: bool,
    done: bool,
}

fn csv_chunk(header: Option<&[&str]>, records: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>, ExportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write = |e: csv::Error| ExportError::Write(e.to_string());
    if let Some(header) = header {
        writer.write_record(header).map_err(write)?;
    }
    for record in records {
        writer.write_record(record.iter().map(|cell| guard_cell(cell).into_owned())).map_err(write)?;
    }
    writer.into_inner().map_err(|e| ExportError::Write(e.to_string()))
}

/// A whole CSV document, header first, every cell through the formula guard (the reports).
pub fn csv_document(header: &[&str], records: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>, ExportError> {
    csv_chunk(Some(header), records)
}

fn next_cursor(next: Option<String>) -> Result<Option<Cursor>, ExportError> {
    next.map(|c| Cursor::decode(&c)).transpose().map_err(|e| ExportError::Store(RepoError::Corrupt(e.to_string())))
}

impl CsvExport {
    pub fn new(conn: DatabaseConnection, scope: OrgScope, kind: ExportKind) -> Self {
        Self { conn, scope, kind, after: None, started: false, done: false }
    }

    /// The next piece of the file (the header comes with the first), or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ExportError> {
        if self.done {
            return Ok(None);
        }
        let header = if self.started {
            None
        } else {
            self.started = true;
            Some(match self.kind {
                ExportKind::Donors => DONOR_COLUMNS,
                ExportKind::Donations => DONATION_COLUMNS,
            })
        };
        let request = PageRequest::new(Some(MAX_PAGE_SIZE), self.after);
        let (chunk, next) = match self.kind {
            ExportKind::Donors => self.donors(header, request).await?,
            ExportKind::Donations => self.donations(header, request).await?,
        };
        self.after = next_cursor(next)?;
        self.done = self.after.is_none();
        Ok(Some(chunk))
    }

    async fn donors(
        &self,
        header: Option<&[&str]>,
        request: PageRequest,
    ) -> Result<(Vec<u8>, Option<String>), ExportError> {
        let select = scoped::<donor::Entity>(&self.scope).filter(donor::Column::DeletedAt.is_null());
        let page = fetch_page_in(
            &self.conn,
            select,
            donor::Column::CreatedAt,
            donor::Column::Id,
            Direction::OldestFirst,
            request,
            |m| (m.created_at, m.id),
        )
        .await?
        .try_map(donor_to_domain)?;
        let chunk = csv_chunk(header, page.items.iter().map(donor_cells))?;
        Ok((chunk, page.next_cursor))
    }

    async fn donations(
        &self,
        header: Option<&[&str]>,
        request: PageRequest,
    ) -> Result<(Vec<u8>, Option<String>), ExportError> {
        let page = fetch_page_in(
            &self.conn,
            scoped::<donation::Entity>(&self.scope),
            donation::Column::CreatedAt,
            donation::Column::Id,
            Direction::OldestFirst,
            request,
            |m| (m.created_at, m.id),
        )
        .await?
        .try_map(donation_to_domain)?;
        let mut ids: Vec<uuid::Uuid> = page.items.iter().map(|d| d.donor_id.into_uuid()).collect();
        ids.sort_unstable();
        ids.dedup();
        let donors: HashMap<_, Donor> = if ids.is_empty() {
            HashMap::new()
        } else {
            scoped::<donor::Entity>(&self.scope)
                .filter(donor::Column::Id.is_in(ids))
                .all(&self.conn)
                .await
                .map_err(write_err)?
                .into_iter()
                .map(|m| donor_to_domain(m).map(|d| (d.id, d)))
                .collect::<Result<_, _>>()?
        };
        let chunk = csv_chunk(header, page.items.iter().map(|d| donation_cells(d, donors.get(&d.donor_id))))?;
        Ok((chunk, page.next_cursor))
    }
}
