//! `givance import donors FILE --org <slug> [--match-email] [--dry-run] [--json]` and
//! `givance import donations FILE --org <slug> [--dry-run] [--json]`: stream a CSV file into
//! the organization, batch by batch. Rejected rows go to stderr as they are found
//! (`line N: reason`), a progress bar too (only on a terminal), then one summary line (or the
//! report as JSON) on stdout. Exit code 0 when every row went in, 3 when some were rejected,
//! 2 when the file or its header is refused as a whole (nothing written).

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use givance_domain::OrgScope;
use givance_domain::import::{DonorImportOptions, ImportError, ImportReport, RejectSink};
use givance_domain::organization::Slug;
use givance_infra::import::{SeaImportStore, import_donations, import_donors};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::commands::open;
use crate::config::DatabaseArgs;
use crate::error::ConfigError;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub what: ImportWhat,
}

#[derive(Debug, Subcommand)]
pub enum ImportWhat {
    /// Import donors: a row updates the donor with its external_id (or, without one, its email)
    /// and creates one otherwise. Columns are the donor API's field names; tags `;`-separated.
    Donors(ImportDonorsArgs),
    /// Import donations: each row names its donor by donor_external_id or donor_email; a row
    /// identical to a stored donation is left alone.
    Donations(ImportDonationsArgs),
}

#[derive(Debug, Args)]
pub struct ImportDonorsArgs {
    /// The CSV file, with a header line.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    #[command(flatten)]
    pub common: ImportCommon,

    /// A row whose external_id is unknown may match, by email, a donor without an external_id.
    #[arg(long)]
    pub match_email: bool,
}

#[derive(Debug, Args)]
pub struct ImportDonationsArgs {
    /// The CSV file, with a header line.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    #[command(flatten)]
    pub common: ImportCommon,
}

#[derive(Debug, Args)]
pub struct ImportCommon {
    /// The organization's slug.
    #[arg(long, value_name = "SLUG")]
    pub org: String,

    /// Validate and count; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Print the report as one JSON object instead of a summary line.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Some rows were rejected (exit code 3); the report has been printed already.
#[derive(Debug, thiserror::Error)]
#[error("{0} rows were rejected")]
pub struct RowsRejected(pub u64);

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    match args.what {
        ImportWhat::Donors(args) => {
            import(Kind::Donors { match_email: args.match_email }, &args.file, args.common).await
        }
        ImportWhat::Donations(args) => import(Kind::Donations, &args.file, args.common).await,
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Donors { match_email: bool },
    Donations,
}

fn progress_bar(len: u64) -> ProgressBar {
    // The stderr target draws nothing when stderr is not a terminal.
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} ({eta} left)") {
        bar.set_style(style);
    }
    bar
}

async fn import(kind: Kind, path: &PathBuf, args: ImportCommon) -> anyhow::Result<()> {
    let slug = Slug::parse(&args.org).map_err(|e| ConfigError(e.for_field("--org").to_string()))?;
    let file = File::open(path).map_err(|e| ConfigError(format!("cannot open {}: {e}", path.display())))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let (conn, repos) = open(&args.database.database_url).await?;
    let organization = repos
        .organizations
        .find_by_slug(&slug)
        .await?
        .with_context(|| format!("no organization has the slug '{slug}'"))?;
    let scope = OrgScope::operator(organization.id);
    let store = SeaImportStore::new(conn.clone());

    let bar = progress_bar(len);
    let input = bar.wrap_read(BufReader::with_capacity(1 << 16, file));
    let printer = bar.clone();
    let on_reject: RejectSink<'_> = Box::new(move |e| printer.suspend(|| eprintln!("line {}: {}", e.line, e.reason)));
    let mut progress = |_rows: u64| {};
    let result = match kind {
        Kind::Donors { match_email } => {
            let options = DonorImportOptions::for_organization(&organization, match_email, args.dry_run)?;
            import_donors(&store, &scope, input, options, on_reject, &mut progress).await
        }
        Kind::Donations => import_donations(&store, &scope, input, args.dry_run, on_reject, &mut progress).await,
    };
    bar.finish_and_clear();
    conn.close().await.ok();
    let report = result.map_err(|err| match err {
        ImportError::Header(message) => anyhow::Error::new(ConfigError(format!("{}: {message}", path.display()))),
        err => anyhow::Error::new(err).context(format!("cannot import {}", path.display())),
    })?;

    let what = match kind {
        Kind::Donors { .. } => "donors",
        Kind::Donations => "donations",
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", summary(what, &report));
    }
    tracing::info!(organization = %organization.id, what, created = report.created, updated = report.updated, rejected = report.rejected, "import finished");
    if report.rejected > 0 { Err(RowsRejected(report.rejected).into()) } else { Ok(()) }
}

fn summary(what: &str, r: &ImportReport) -> String {
    let dry = if r.dry_run { " (dry run: nothing was written)" } else { "" };
    format!(
        "{what}: {} rows, {} created, {} updated, {} unchanged, {} rejected{dry}",
        r.rows(),
        r.created,
        r.updated,
        r.unchanged,
        r.rejected
    )
}
