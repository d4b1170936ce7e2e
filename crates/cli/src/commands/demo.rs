//! `givance demo generate`: organizations, staff, projects, donors and donations for demos and
//! benchmarks, written in bulk; `givance demo csv`: a donor CSV for import benchmarks; and the
//! seeding behind `givance serve --demo`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Mutex;

use anyhow::Context;
use clap::{Args, Subcommand};
use givance_domain::import::{DONOR_COLUMNS, donor_cells};
use givance_infra::DatabaseConnection;
use givance_infra::demo::{self, DemoPlan, DemoReport, DonorFactory, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::commands::open;
use crate::config::DatabaseArgs;

/// The seed `serve --demo` uses, so every fresh demo database looks the same.
const SERVE_DEMO_SEED: u64 = 42;

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub action: DemoAction,
}

#[derive(Debug, Subcommand)]
pub enum DemoAction {
    /// Generate organizations (each with an admin and other staff, projects), donors and
    /// donations with bulk inserts, deterministically from a seed; print what was made and an
    /// API key of the largest (first) organization. Applies pending migrations first.
    Generate(GenerateArgs),
    /// Write a CSV of generated donors (the donor import format) to stdout.
    Csv(CsvArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Organizations to create.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub orgs: u32,

    /// Donors in all, shared between the organizations.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    pub donors: u64,

    /// Donations in all, shared in proportion to each organization's donors.
    #[arg(long, value_name = "N", default_value_t = 5_000)]
    pub donations: u64,

    /// Donors of the first organization; the others share the rest evenly [default: an even share].
    #[arg(long, value_name = "N")]
    pub largest_org_donors: Option<u64>,

    /// Seed of the generator: the same seed and counts give the same data.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Print one JSON object (organization slugs, counts, rates and the API key) instead of text.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct CsvArgs {
    /// Data rows to write (after the header).
    #[arg(long, value_name = "N")]
    pub rows: u64,

    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    match args.action {
        DemoAction::Generate(args) => generate(args).await,
        DemoAction::Csv(args) => csv(&args),
    }
}

async fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let plan = DemoPlan {
        organizations: args.orgs,
        donors: args.donors,
        donations: args.donations,
        largest_org_donors: args.largest_org_donors,
        seed: args.seed,
    };
    // A plan that cannot be met is a usage error, reported before the database is touched.
    plan.donor_shares().map_err(|e| crate::error::ConfigError(e.to_string()))?;
    let (conn, _) = open(&args.database.database_url).await?;
    let bar = ProgressDisplay::new();
    let report = demo::generate(&conn, &plan, &|event| bar.show(event)).await;
    bar.clear();
    conn.close().await.ok();
    let report = report.context("generating the demo data failed")?;

    if args.json {
        let organizations: Vec<_> = report
            .organizations
            .iter()
            .map(|o| {
                json!({
                    "id": o.id, "slug": o.slug, "name": o.name, "admin_email": o.admin_email.as_str(),
                    "staff": o.staff, "projects": o.projects, "donors": o.donors, "donations": o.donations,
                })
            })
            .collect();
        let largest = report.organizations.first().map(|o| o.slug.as_str().to_owned());
        let out = json!({
            "organizations": organizations,
            "largest_org": largest,
            "api_key": report.api_key.expose(),
            "donors": report.donors,
            "donations": report.donations,
            "seconds": {
                "donors": report.donor_time.as_secs_f64(),
                "donations": report.donation_time.as_secs_f64(),
                "total": report.total_time.as_secs_f64(),
            },
            "rows_per_second": { "donors": report.donors_per_second().round(), "donations": report.donations_per_second().round() },
        });
        println!("{out}");
    } else {
        print_summary(&report);
    }
    Ok(())
}

fn print_summary(report: &DemoReport) {
    println!(
        "generated {} organization(s), {} donors and {} donations in {:.1} s",
        report.organizations.len(),
        report.donors,
        report.donations,
        report.total_time.as_secs_f64()
    );
    println!("  donors:    {:.1} s, {:.0} rows/s", report.donor_time.as_secs_f64(), report.donors_per_second());
    println!("  donations: {:.1} s, {:.0} rows/s", report.donation_time.as_secs_f64(), report.donations_per_second());
    const LISTED: usize = 10;
    for o in report.organizations.iter().take(LISTED) {
        println!(
            "  {} ({}): {} donors, {} donations, {} projects, {} staff; admin {}",
            o.slug,
            o.name,
            o.donors,
            o.donations,
            o.projects,
            o.staff,
            o.admin_email.as_str()
        );
    }
    if report.organizations.len() > LISTED {
        println!("  ... and {} more", report.organizations.len() - LISTED);
    }
    if let Some(largest) = report.organizations.first() {
        println!("API key for {} (shown once; only its hash is stored): {}", largest.slug, report.api_key.expose());
    }
}

/// `serve --demo`: seeds one demo organization into an empty database and prints its API key
/// and a ready `curl` line; a database with any organization is left alone.
pub async fn seed_for_serve(conn: &DatabaseConnection, local: SocketAddr) -> anyhow::Result<()> {
    if demo::has_organizations(conn).await.context("cannot check whether the database is empty")? {
        tracing::info!(
            "--demo: not seeding demo data: the database already has an organization (demo data goes only into an empty database)"
        );
        return Ok(());
    }
    tracing::info!("--demo: the database has no organization; seeding a demo organization");
    let report = demo::generate(conn, &DemoPlan::single_demo_org(SERVE_DEMO_SEED), &|_| {})
        .await
        .context("seeding the demo organization failed")?;
    let org = report.organizations.first().context("the demo seeding made no organization")?;
    // A wildcard listen address is not something to send requests to.
    let host = if local.ip().is_unspecified() { SocketAddr::from(([127, 0, 0, 1], local.port())) } else { local };
    println!(
        "Demo organization '{}' ({}): {} donors, {} donations, {} projects, {} staff (admin {}).",
        org.name,
        org.slug,
        org.donors,
        org.donations,
        org.projects,
        org.staff,
        org.admin_email.as_str()
    );
    println!("API key (shown once; only its hash is stored): {}", report.api_key.expose());
    println!("Try: curl -H 'Authorization: Bearer {}' 'http://{host}/api/v1/donors?limit=5'", report.api_key.expose());
    tracing::info!(organization = %org.id, slug = %org.slug, "demo organization seeded");
    Ok(())
}

fn csv(args: &CsvArgs) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    // The export's columns and cells: what the donor import reads.
    out.write_record(DONOR_COLUMNS).context("cannot write to stdout")?;
    let mut factory = DonorFactory::standalone(args.seed);
    for n in 1..=args.rows {
        let mut d = factory.next_donor().context("generated an invalid donor")?;
        // Every row gets an external id, so that importing the file twice changes nothing.
        d.external_id.get_or_insert_with(|| format!("demo-{n:07}"));
        out.write_record(donor_cells(&d)).context("cannot write to stdout")?;
    }
    out.flush().context("cannot write to stdout")?;
    Ok(())
}

/// One progress bar on stderr, reused for each phase; hidden when stderr is not a terminal.
struct ProgressDisplay {
    bar: Mutex<ProgressBar>,
}

impl ProgressDisplay {
    fn new() -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{msg:>13} [{bar:40}] {human_pos}/{human_len} {per_sec} eta {eta}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        Self { bar: Mutex::new(bar) }
    }

    fn show(&self, event: Progress) {
        let Ok(bar) = self.bar.lock() else { return };
        match event {
            Progress::Start { phase, total } => {
                bar.reset();
                bar.set_length(total);
                bar.set_message(phase.label());
            }
            Progress::Advance { rows } => bar.inc(rows),
            Progress::Finish => bar.tick(),
        }
    }

    fn clear(&self) {
        if let Ok(bar) = self.bar.lock() {
            bar.finish_and_clear();
        }
    }
}
