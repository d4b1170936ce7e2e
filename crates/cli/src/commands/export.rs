//! `givance export donors|donations --org <slug> [--output FILE]`: the organization's donors or
//! donations as CSV, page by page (never the whole table in memory), to stdout by default.
//! Cells a spreadsheet would run as formulas get a leading `'`; `givance import` strips it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use givance_domain::OrgScope;
use givance_domain::organization::Slug;
use givance_infra::export::{CsvExport, ExportKind};

use crate::commands::open;
use crate::config::DatabaseArgs;
use crate::error::ConfigError;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub what: ExportWhat,
}

#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// Donors that are not deleted, in the columns `givance import donors` reads.
    Donors(ExportTarget),
    /// Every donation, with its donor's external_id and email, in the columns
    /// `givance import donations` reads.
    Donations(ExportTarget),
}

#[derive(Debug, Args)]
pub struct ExportTarget {
    /// The organization's slug.
    #[arg(long, value_name = "SLUG")]
    pub org: String,

    /// Write to FILE (replaced only once the export is complete) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    match args.what {
        ExportWhat::Donors(target) => export(ExportKind::Donors, target).await,
        ExportWhat::Donations(target) => export(ExportKind::Donations, target).await,
    }
}

async fn export(kind: ExportKind, args: ExportTarget) -> anyhow::Result<()> {
    let slug = Slug::parse(&args.org).map_err(|e| ConfigError(e.for_field("--org").to_string()))?;
    let (conn, repos) = open(&args.database.database_url).await?;
    let organization = repos
        .organizations
        .find_by_slug(&slug)
        .await?
        .with_context(|| format!("no organization has the slug '{slug}'"))?;
    let scope = OrgScope::operator(organization.id);
    let mut export = CsvExport::new(conn.clone(), scope, kind);
    match &args.output {
        None => {
            let mut out = BufWriter::new(std::io::stdout());
            while let Some(chunk) = export.next_chunk().await? {
                out.write_all(&chunk).context("cannot write to stdout")?;
            }
            out.flush().context("cannot write to stdout")?;
        }
        Some(path) => {
            // Written beside the target, then renamed: a failed export leaves no partial file
            // that looks complete.
            let partial = path.with_extension("partial");
            let file = File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
            let mut out = BufWriter::new(file);
            let written = async {
                while let Some(chunk) = export.next_chunk().await? {
                    out.write_all(&chunk)?;
                }
                out.flush()?;
                anyhow::Ok(())
            }
            .await;
            if let Err(err) = written {
                std::fs::remove_file(&partial).ok();
                return Err(err.context(format!("cannot export to {}", path.display())));
            }
            std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    conn.close().await.ok();
    Ok(())
}
