//! Demo and benchmark data: organizations with staff, projects, donors and donations that look
//! like what the API creates (UUID v7 ids, microsecond UTC timestamps, two-place money, values
//! built through the domain's constructors and checks), deterministic from a seed.
//!
//! Organizations, users, staff and projects are few and go through the repositories. Donors and
//! donations are many: they are written with multi-row INSERTs (as many rows per statement as
//! the backend's bind limit allows), several statements per transaction, with a couple of
//! transactions in flight on PostgreSQL while the next batch is being generated. The same code
//! serves SQLite, where one transaction at a time is in flight (SQLite has one writer).
//!
//! Reproducibility: the same seed and counts give the same names, households, amounts, stages
//! and relative dates; ids are fresh on every run, so a second run adds to the first instead of
//! colliding with it. Dates are anchored on the day of generation (donors joined within the
//! last five years, gifts fall between a donor's joining and today), so they stay realistic.

mod words;

use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use givance_domain::api_key::ApiKeyRequest;
use givance_domain::donation::{Donation, DonationPatch, NewDonation, PaymentMethod, Recurrence, RecurringFrequency};
use givance_domain::donor::{Address, Donor, NewDonor, Spouse};
use givance_domain::organization::{JourneyGraph, NewOrganization, OrganizationPatch, Slug};
use givance_domain::project::{NewProject, ProjectStatus};
use givance_domain::shared::time::now;
use givance_domain::staff::{NewStaff, Role};
use givance_domain::user::NewUser;
use givance_domain::{
    CountryCode, Currency, DonationId, DonorId, EmailAddress, Money, OrgScope, OrganizationId, PhoneNumber, ProjectId,
    RepoError, Secret, StaffId, Timestamp, ValueError,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, Iterable, QuerySelect, TransactionTrait};
use tokio::task::JoinSet;

use crate::convert::{donation_new_row, donor_new_row};
use crate::credentials::issue_api_key;
use crate::entities::{donation, donor, organization};
use crate::error::write_err;
use crate::wiring::Repositories;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPlan {
    pub organizations: u32,
    pub donors: u64,
    pub donations: u64,
    /// Donors of the first (largest) organization; the others share the rest evenly. `None`:
    /// every organization gets an even share.
    pub largest_org_donors: Option<u64>,
    pub seed: u64,
}

impl DemoPlan {
    /// The `serve --demo` organization: about 1,000 donors and 5,000 donations.
    pub fn single_demo_org(seed: u64) -> Self {
        Self { organizations: 1, donors: 1_000, donations: 5_000, largest_org_donors: None, seed }
    }

    /// Donors per organization, the largest first; refuses plans that cannot be met.
    pub fn donor_shares(&self) -> Result<Vec<u64>, DemoError> {
        let orgs = u64::from(self.organizations);
        if orgs == 0 {
            return Err(DemoError::Plan("--orgs must be at least 1".into()));
        }
        if self.donations > 0 && self.donors == 0 {
            return Err(DemoError::Plan("donations need donors: --donors must be at least 1".into()));
        }
        let largest = match self.largest_org_donors {
            None => self.donors.div_ceil(orgs),
            Some(largest) if largest > self.donors => {
                return Err(DemoError::Plan(format!(
                    "--largest-org-donors ({largest}) cannot exceed --donors ({})",
                    self.donors
                )));
            }
            Some(largest) => largest,
        };
        let rest = self.donors - largest;
        if orgs == 1 {
            if rest > 0 {
                return Err(DemoError::Plan("with one organization, --largest-org-donors must equal --donors".into()));
            }
            return Ok(vec![largest]);
        }
        let others = orgs - 1;
        let (each, extra) = (rest / others, rest % others);
        let mut shares = vec![largest];
        shares.extend((0..others).map(|i| each + u64::from(i < extra)));
        if shares.iter().skip(1).any(|&share| share > largest) {
            return Err(DemoError::Plan(format!(
                "--largest-org-donors ({largest}) is smaller than the other organizations' share; raise it or omit it"
            )));
        }
        Ok(shares)
    }

    /// Donations per organization, in proportion to its donors (the remainder to the first).
    fn donation_shares(&self, donors: &[u64]) -> Vec<u64> {
        if self.donors == 0 {
            return vec![0; donors.len()];
        }
        let total = u128::from(self.donations);
        let mut shares: Vec<u64> = donors
            .iter()
            .map(|&d| u64::try_from(total * u128::from(d) / u128::from(self.donors)).unwrap_or_default())
            .collect();
        let given: u64 = shares.iter().sum();
        if let Some(first) = shares.first_mut() {
            *first += self.donations - given;
        }
        shares
    }
}

/// Why generation stopped. Rows already committed stay (each batch is its own transaction).
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Plan(String),
    /// A generated value the domain refused: a bug in the generator, reported rather than stored.
    #[error("generated an invalid value: {0}")]
    Invalid(#[from] ValueError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error("cannot issue the demo API key: {0}")]
    Key(String),
}

/// What the generator is doing, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A phase starts with `total` rows to write.
    Start {
        phase: Phase,
        total: u64,
    },
    /// `rows` more rows of the current phase are committed.
    Advance {
        rows: u64,
    },
    Finish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Organizations,
    Donors,
    Donations,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Organizations => "organizations",
            Phase::Donors => "donors",
            Phase::Donations => "donations",
        }
    }
}

/// One generated organization.
#[derive(Debug, Clone)]
pub struct DemoOrganization {
    pub id: OrganizationId,
    pub slug: Slug,
    pub name: String,
    pub admin_staff: StaffId,
    pub admin_email: EmailAddress,
    pub staff: usize,
    pub projects: usize,
    pub donors: u64,
    pub donations: u64,
}

/// What was generated, with throughput figures.
#[derive(Debug)]
pub struct DemoReport {
    /// The largest organization first.
    pub organizations: Vec<DemoOrganization>,
    /// An API key of the largest organization's admin (shown once; only its hash is stored).
    pub api_key: Secret,
    pub donors: u64,
    pub donations: u64,
    pub donor_time: Duration,
    pub donation_time: Duration,
    pub total_time: Duration,
}

impl DemoReport {
    pub fn donors_per_second(&self) -> f64 {
        per_second(self.donors, self.donor_time)
    }

    pub fn donations_per_second(&self) -> f64 {
        per_second(self.donations, self.donation_time)
    }
}

fn per_second(rows: u64, time: Duration) -> f64 {
    let seconds = time.as_secs_f64();
    if seconds > 0.0 { rows as f64 / seconds } else { 0.0 }
}

/// Whether any organization exists (`serve --demo` seeds only an empty database).
pub async fn has_organizations(conn: &DatabaseConnection) -> Result<bool, RepoError> {
    // The organizations table is the tenant list itself, so this global read is not a tenant query.
    let any = organization::Entity::find().select_only().column(organization::Column::Id).limit(1);
    Ok(any.into_tuple::<uuid::Uuid>().one(conn).await.map_err(write_err)?.is_some())
}

/// Generates `plan` into the (migrated) database behind `conn`, reporting progress as it goes.
pub async fn generate(
    conn: &DatabaseConnection,
    plan: &DemoPlan,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<DemoReport, DemoError> {
    let started = Instant::now();
    let donor_shares = plan.donor_shares()?;
    let donation_shares = plan.donation_shares(&donor_shares);
    let repos = Repositories::new(conn);
    let anchor = now();

    progress(Progress::Start { phase: Phase::Organizations, total: u64::from(plan.organizations) });
    let mut orgs = Vec::with_capacity(donor_shares.len());
    for (index, (&donors, &donations)) in donor_shares.iter().zip(&donation_shares).enumerate() {
        let mut rng = org_rng(plan.seed, index, 0);
        let setup = create_organization(&repos, &mut rng, index, anchor).await?;
        orgs.push((setup, donors, donations));
        progress(Progress::Advance { rows: 1 });
    }
    progress(Progress::Finish);

    let mut writer = BulkWriter::new(conn.clone());
    progress(Progress::Start { phase: Phase::Donors, total: plan.donors });
    let donors_started = Instant::now();
    let mut donor_dates = Vec::with_capacity(orgs.len());
    for (index, (setup, donors, _)) in orgs.iter().enumerate() {
        let mut factory = DonorFactory::new(plan.seed, index, anchor, setup.stages.clone());
        let org = setup.organization.id.into_uuid();
        let per_statement = writer.rows_per_statement(donor::Column::iter().count());
        let mut joined = Vec::with_capacity(usize::try_from(*donors).unwrap_or_default());
        let mut statements = Vec::new();
        let mut rows = Vec::with_capacity(per_statement);
        for _ in 0..*donors {
            let donor = factory.next_donor()?;
            joined.push((donor.id, donor.created_at.date_naive()));
            rows.push(donor_new_row(org, &donor));
            if rows.len() == per_statement {
                statements.push(std::mem::replace(&mut rows, Vec::with_capacity(per_statement)));
                if statements.len() == STATEMENTS_PER_TRANSACTION {
                    writer.submit(Batch::Donors(std::mem::take(&mut statements)), progress).await?;
                }
            }
        }
        if !rows.is_empty() {
            statements.push(rows);
        }
        if !statements.is_empty() {
            writer.submit(Batch::Donors(statements), progress).await?;
        }
        donor_dates.push(joined);
    }
    writer.drain(progress).await?;
    let donor_time = donors_started.elapsed();
    progress(Progress::Finish);

    progress(Progress::Start { phase: Phase::Donations, total: plan.donations });
    let donations_started = Instant::now();
    for (index, ((setup, _, donations), joined)) in orgs.iter().zip(&donor_dates).enumerate() {
        let mut rng = org_rng(plan.seed, index, 2);
        let org = setup.organization.id.into_uuid();
        let per_statement = writer.rows_per_statement(donation::Column::iter().count());
        let mut statements = Vec::new();
        let mut rows = Vec::with_capacity(per_statement);
        for _ in 0..*donations {
            let gift = make_donation(&mut rng, joined, &setup.projects, anchor)?;
            rows.push(donation_new_row(org, &gift));
            if rows.len() == per_statement {
                statements.push(std::mem::replace(&mut rows, Vec::with_capacity(per_statement)));
                if statements.len() == DONATION_STATEMENTS_PER_TRANSACTION {
                    writer.submit(Batch::Donations(std::mem::take(&mut statements)), progress).await?;
                }
            }
        }
        if !rows.is_empty() {
            statements.push(rows);
        }
        if !statements.is_empty() {
            writer.submit(Batch::Donations(statements), progress).await?;
        }
    }
    writer.drain(progress).await?;
    let donation_time = donations_started.elapsed();
    progress(Progress::Finish);

    let (largest, ..) = orgs.first().ok_or_else(|| DemoError::Plan("no organization was planned".into()))?;
    let scope = OrgScope::operator(largest.organization.id);
    let request = ApiKeyRequest::new(largest.organization.admin_staff, "demo", &[], None, now())
        .map_err(|e| DemoError::Key(e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))?;
    let (_, api_key) =
        issue_api_key(repos.api_keys.as_ref(), &scope, request).await.map_err(|e| DemoError::Key(e.to_string()))?;

    let organizations = orgs
        .into_iter()
        .map(|(setup, donors, donations)| DemoOrganization { donors, donations, ..setup.organization })
        .collect();
    Ok(DemoReport {
        organizations,
        api_key,
        donors: plan.donors,
        donations: plan.donations,
        donor_time,
        donation_time,
        total_time: started.elapsed(),
    })
}

/// Independent streams per organization and purpose, so that one organization's rows do not
/// depend on how many another has.
fn org_rng(seed: u64, index: usize, purpose: u64) -> StdRng {
    let index = u64::try_from(index).unwrap_or(u64::MAX);
    StdRng::seed_from_u64(
        seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ purpose.wrapping_mul(0xD6E8_FEB8_6659_FD93),
    )
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A v7 id whose time part is `at`. Its random part is not drawn from the seeded generator: a
/// second run with the same seed must not repeat the first run's ids.
fn v7_at(at: Timestamp) -> uuid::Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or_default();
    uuid::Builder::from_unix_timestamp_millis(millis, &rand::random()).into_uuid()
}

/// A moment `seconds_back` (at most) before `anchor`, with microsecond precision like `now()`.
fn some_time_before(rng: &mut StdRng, anchor: Timestamp, seconds_back: i64) -> Timestamp {
    let back = chrono::Duration::seconds(rng.random_range(60..seconds_back.max(61)))
        + chrono::Duration::microseconds(rng.random_range(0..1_000_000));
    anchor - back
}

const YEAR_SECONDS: i64 = 365 * 24 * 3600;

/// The stages the demo organizations' journey graph defines, set on each organization.
fn demo_journey_graph() -> Result<JourneyGraph, DemoError> {
    let json = serde_json::json!({ "stages": [
        { "id": "prospect", "name": "Prospect", "description": "Known to us, has not given yet",
          "transitions": [{ "to": "first_gift" }] },
        { "id": "first_gift", "name": "First-time donor",
          "transitions": [{ "to": "repeat" }, { "to": "lapsed", "condition": "no gift for 18 months" }] },
        { "id": "repeat", "name": "Repeat donor",
          "transitions": [{ "to": "major" }, { "to": "lapsed", "condition": "no gift for 18 months" }] },
        { "id": "major", "name": "Major donor", "description": "Gave 5,000 or more in a year",
          "transitions": [{ "to": "lapsed", "condition": "no gift for 18 months" }] },
        { "id": "lapsed", "name": "Lapsed", "transitions": [{ "to": "repeat", "condition": "gave again" }] }
    ]});
    JourneyGraph::from_json(&json).map_err(|errors| match errors.into_iter().next() {
        Some(first) => DemoError::Invalid(first),
        None => DemoError::Plan("the demo journey graph is invalid".into()),
    })
}

/// An organization with its journey graph, staff and projects, created through the repositories.
struct OrgSetup {
    organization: DemoOrganization,
    stages: Vec<String>,
    projects: Vec<ProjectId>,
}

async fn create_organization(
    repos: &Repositories,
    rng: &mut StdRng,
    index: usize,
    anchor: Timestamp,
) -> Result<OrgSetup, DemoError> {
    let names = words::ORGANIZATION_NAMES;
    let base = names[index % names.len()];
    let name = if index < names.len() { base.to_owned() } else { format!("{base} {}", index / names.len() + 1) };
    // A database that already holds demo organizations gets new ones next to them.
    let mut slug = Slug::from_name(&name)?;
    let mut attempt = 1;
    while repos.organizations.find_by_slug(&slug).await?.is_some() {
        attempt += 1;
        slug = Slug::from_name(&format!("{name} {attempt}"))?;
    }
    let new = NewOrganization::new(&format!("demo_{slug}"), &name, slug.clone())?;
    let organization = repos.organizations.create(new).await?;
    let scope = OrgScope::operator(organization.id);
    let graph = demo_journey_graph()?;
    let patch = OrganizationPatch { donor_journey_graph: Some(Some(graph.to_json())), ..OrganizationPatch::default() };
    repos.organizations.update(&scope, patch).await?;
    let stages = graph.stages.iter().map(|s| s.id.clone()).collect();

    // Every organization has an admin; then a manager, a fundraiser and sometimes a viewer.
    let roles = [Role::Admin, Role::Manager, Role::Fundraiser, Role::Viewer];
    let staff_count = rng.random_range(3..=4);
    let mut admin = None;
    for role in &roles[..staff_count] {
        let first = *pick(rng, words::FIRST_NAMES);
        let last = *pick(rng, words::LAST_NAMES);
        let local = format!("{}.{}", ascii_lower(first), ascii_lower(last));
        let email = EmailAddress::parse(&format!("{local}@{slug}.example.org"))?;
        let user = NewUser::new(&format!("demo_{slug}_{role}"), email.clone(), Some(first), Some(last))?;
        let user = repos.users.create(user).await?;
        let staff = repos.staff.create(&scope, NewStaff { user_id: user.id, role: *role, permissions: vec![] }).await?;
        if *role == Role::Admin {
            admin = Some((staff.id, email));
        }
    }
    let (admin_staff, admin_email) = admin.ok_or_else(|| DemoError::Plan("no admin was created".into()))?;

    let project_count = rng.random_range(3..=5).min(words::PROJECTS.len());
    let mut projects = Vec::with_capacity(project_count);
    for p in 0..project_count {
        let (name, description, target) = words::PROJECTS[(index + p) % words::PROJECTS.len()];
        let mut new = NewProject::new(name)?;
        new.description = Some(description.to_owned());
        new.target_amount = Some(Decimal::new(target * 100, 2));
        let start = (anchor - chrono::Duration::days(rng.random_range(200..1500))).date_naive();
        new.start_date = Some(start);
        // The first project is finished; the others are running.
        new.end_date = Some(start + chrono::Duration::days(rng.random_range(180..1200)));
        new.status = if p == 0 { ProjectStatus::Completed } else { ProjectStatus::Active };
        new.validate()?;
        projects.push(repos.projects.create(&scope, new).await?.id);
    }

    Ok(OrgSetup {
        organization: DemoOrganization {
            id: organization.id,
            slug,
            name,
            admin_staff,
            admin_email,
            staff: staff_count,
            projects: project_count,
            donors: 0,
            donations: 0,
        },
        stages,
        projects,
    })
}

/// Letters and digits only, lower-cased: the local part of a generated email address.
fn ascii_lower(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Makes donors one after another, deterministically from a seed: the generator behind
/// [`generate`] and behind CSV files for import benchmarks.
pub struct DonorFactory {
    rng: StdRng,
    stages: Vec<String>,
    anchor: Timestamp,
    count: u64,
}

impl DonorFactory {
    /// Donors of the `index`-th organization of a plan with this seed; `stages` are the journey
    /// stage ids to place them in (none: no stage).
    pub fn new(seed: u64, index: usize, anchor: Timestamp, stages: Vec<String>) -> Self {
        Self { rng: org_rng(seed, index, 1), stages, anchor, count: 0 }
    }

    /// Donors for a standalone file: the demo journey stages, anchored now.
    pub fn standalone(seed: u64) -> Self {
        let stages = demo_journey_graph().map(|g| g.stages.into_iter().map(|s| s.id).collect()).unwrap_or_default();
        Self::new(seed, 0, now(), stages)
    }

    pub fn next_donor(&mut self) -> Result<Donor, ValueError> {
        self.count += 1;
        let n = self.count;
        let rng = &mut self.rng;
        let first = *pick(rng, words::FIRST_NAMES);
        let last = *pick(rng, words::LAST_NAMES);
        let mut new = if rng.random_bool(0.15) {
            let spouse_first = *pick(rng, words::FIRST_NAMES);
            let spouse_last = if rng.random_bool(0.8) { last } else { *pick(rng, words::LAST_NAMES) };
            let email = if rng.random_bool(0.5) { Some(email_for(rng, spouse_first, spouse_last, n)?) } else { None };
            let spouse = Spouse { first_name: Some(spouse_first.into()), last_name: Some(spouse_last.into()), email };
            NewDonor::couple(Some(first), Some(last), spouse)?
        } else {
            NewDonor::individual(Some(first), Some(last))?
        };
        if rng.random_bool(0.6) {
            new.external_id = Some(format!("crm-{n:07}"));
        }
        if rng.random_bool(0.85) {
            new.email = Some(email_for(rng, first, last, n)?);
        }
        let (address, phone) = address_and_phone(rng, n);
        new.address = address;
        if rng.random_bool(0.7) {
            new.phone = phone;
        }
        if !self.stages.is_empty() && rng.random_bool(0.9) {
            // Most donors are early in the journey.
            let weights = [30, 30, 25, 5, 10];
            let roll = rng.random_range(0..weights.iter().sum::<usize>());
            let mut acc = 0;
            let position = weights.iter().position(|w| {
                acc += w;
                roll < acc
            });
            let stage = position.unwrap_or(0).min(self.stages.len() - 1);
            new.journey_stage = Some(self.stages[stage].clone());
        }
        let tag_count = rng.random_range(0..=3);
        for _ in 0..tag_count {
            let tag = (*pick(rng, words::TAGS)).to_owned();
            if !new.tags.contains(&tag) {
                new.tags.push(tag);
            }
        }
        if rng.random_bool(0.05) {
            new.notes = Some((*pick(rng, words::NOTES)).to_owned());
        }
        new.validate()?;
        let created_at = some_time_before(rng, self.anchor, 5 * YEAR_SECONDS);
        let mut donor = Donor::register(new, created_at);
        donor.id = DonorId::from_uuid(v7_at(created_at));
        Ok(donor)
    }
}

/// `first.last.N@domain`: unique within an organization thanks to the donor's number.
fn email_for(rng: &mut StdRng, first: &str, last: &str, n: u64) -> Result<EmailAddress, ValueError> {
    let domain = pick(rng, words::EMAIL_DOMAINS);
    EmailAddress::parse(&format!("{}.{}.{n}@{domain}", ascii_lower(first), ascii_lower(last)))
}

/// Phone numbers per city, parsed once per process: parsing a number with the phone library is
/// by far the dearest step of making a donor, and a pool of valid numbers per city serves every
/// donor (numbers repeat across donors, as real data's do not, which nothing relies on).
struct PhonePool {
    us: Vec<Vec<PhoneNumber>>,
    ca: Vec<Vec<PhoneNumber>>,
    gb: Vec<PhoneNumber>,
}

const PHONES_PER_CITY: usize = 64;

fn phone_pool() -> &'static PhonePool {
    static POOL: std::sync::OnceLock<PhonePool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(0x00C0_FFEE);
        let mut numbers = |prefix: &str| -> Vec<PhoneNumber> {
            (0..PHONES_PER_CITY)
                .filter_map(|_| {
                    // Exchanges 201-989 avoid the 555 fiction block and N11 service codes.
                    let mut exchange = rng.random_range(201..990);
                    if exchange == 555 || exchange % 100 == 11 {
                        exchange += 1;
                    }
                    let line = rng.random_range(0..10_000);
                    // A number the phone library refuses is left out, never stored.
                    PhoneNumber::parse(&format!("{prefix} {exchange} {line:04}")).ok()
                })
                .collect()
        };
        let us = words::US_CITIES.iter().map(|(.., area)| numbers(&format!("+1 {area}"))).collect();
        let ca = words::CA_CITIES.iter().map(|(.., area)| numbers(&format!("+1 {area}"))).collect();
        // Ofcom's drama range: 020 7946 0000-0999.
        let gb = (0..PHONES_PER_CITY)
            .filter_map(|i| PhoneNumber::parse(&format!("+44 20 7946 0{:03}", i * 15)).ok())
            .collect();
        PhonePool { us, ca, gb }
    })
}

fn pick_phone(rng: &mut StdRng, numbers: &[PhoneNumber]) -> Option<PhoneNumber> {
    if numbers.is_empty() { None } else { Some(pick(rng, numbers).clone()) }
}

/// A postal address, mostly in the United States, and a phone number of the same city.
fn address_and_phone(rng: &mut StdRng, n: u64) -> (Address, Option<PhoneNumber>) {
    let pool = phone_pool();
    let street =
        format!("{} {} {}", rng.random_range(1..9999), pick(rng, words::STREETS), pick(rng, words::STREET_KINDS));
    let roll = rng.random_range(0..100);
    let (address, phone) = if roll < 92 {
        let i = rng.random_range(0..words::US_CITIES.len());
        let (city, state, zip, _) = words::US_CITIES[i];
        let address = Address {
            street: Some(street),
            city: Some(city.into()),
            state: Some(state.into()),
            zip: Some(format!("{zip}{:02}", n % 100)),
            country: Some(CountryCode::US),
        };
        (address, pool.us.get(i).and_then(|numbers| pick_phone(rng, numbers)))
    } else if roll < 96 {
        let i = rng.random_range(0..words::CA_CITIES.len());
        let (city, province, postal, _) = words::CA_CITIES[i];
        let address = Address {
            street: Some(street),
            city: Some(city.into()),
            state: Some(province.into()),
            zip: Some(postal.into()),
            country: CountryCode::parse("CA").ok(),
        };
        (address, pool.ca.get(i).and_then(|numbers| pick_phone(rng, numbers)))
    } else {
        let (city, county, postcode) = *pick(rng, words::GB_CITIES);
        let address = Address {
            street: Some(street),
            city: Some(city.into()),
            state: Some(county.into()),
            zip: Some(postcode.into()),
            country: CountryCode::parse("GB").ok(),
        };
        (address, pick_phone(rng, &pool.gb))
    };
    // A tenth of donors have no postal address on file.
    if rng.random_bool(0.1) { (Address::default(), phone) } else { (address, phone) }
}

/// A gift from one of the organization's donors, made between the donor's joining and today.
fn make_donation(
    rng: &mut StdRng,
    donors: &[(DonorId, NaiveDate)],
    projects: &[ProjectId],
    anchor: Timestamp,
) -> Result<Donation, DemoError> {
    // Regular givers: most gifts come from the first third of donors.
    let pool = if rng.random_bool(0.7) { donors.len().div_ceil(3) } else { donors.len() };
    let (donor_id, joined) = donors[rng.random_range(0..pool.max(1))];
    let today = anchor.date_naive();
    let span = (today - joined).num_days().max(0);
    let date = joined + chrono::Duration::days(rng.random_range(0..=span));

    let cents: i64 = match rng.random_range(0..100) {
        0..60 => *pick(rng, &[1_000, 2_000, 2_500, 5_000, 10_000, 15_000, 25_000]),
        60..90 => rng.random_range(500..50_000),
        90..99 => rng.random_range(50_000..500_000),
        _ => rng.random_range(500_000..5_000_000),
    };
    let currency = match rng.random_range(0..100) {
        0..90 => Currency::USD,
        90..94 => Currency::parse("EUR")?,
        94..97 => Currency::parse("GBP")?,
        _ => Currency::parse("CAD")?,
    };
    let mut new = NewDonation::new(donor_id, Money::new(Decimal::new(cents, 2), currency)?, date)?;
    if !projects.is_empty() && rng.random_bool(0.6) {
        new.project_id = Some(*pick(rng, projects));
    }
    new.payment_method = match rng.random_range(0..100) {
        0..50 => Some(PaymentMethod::CreditCard),
        50..70 => Some(PaymentMethod::Check),
        70..78 => Some(PaymentMethod::Cash),
        78..88 => Some(PaymentMethod::Wire),
        88..90 => Some(PaymentMethod::Crypto),
        90..95 => Some(PaymentMethod::Other),
        _ => None,
    };
    new.reference_number = match new.payment_method {
        Some(PaymentMethod::Check) => Some(format!("chk-{}", rng.random_range(1000..99_999))),
        Some(PaymentMethod::CreditCard) => Some(format!("ch_{:016x}", rng.random::<u64>())),
        Some(PaymentMethod::Wire) => Some(format!("wire-{:08}", rng.random_range(0..100_000_000))),
        _ => None,
    };
    if rng.random_bool(0.2) {
        let frequency = match rng.random_range(0..100) {
            0..70 => Some(RecurringFrequency::Monthly),
            70..82 => Some(RecurringFrequency::Quarterly),
            82..92 => Some(RecurringFrequency::Annually),
            92..96 => Some(RecurringFrequency::SemiAnnually),
            96..99 => Some(RecurringFrequency::Weekly),
            _ => None,
        };
        new.recurrence = Recurrence::Recurring(frequency);
    }
    new.tax_deductible = rng.random_bool(0.95);
    if rng.random_bool(0.02) {
        new.notes = Some("In honour of a friend.".into());
    }
    new.validate()?;

    // Recorded during the day of the gift (or now, for a gift dated today).
    let noon = Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).unwrap_or_default());
    let created_at = (noon + chrono::Duration::microseconds(rng.random_range(0..8 * 3600 * 1_000_000))).min(anchor);
    let mut gift = Donation {
        id: DonationId::from_uuid(v7_at(created_at)),
        donor_id: new.donor_id,
        project_id: new.project_id,
        amount: new.amount,
        date: new.date,
        payment_method: new.payment_method,
        reference_number: new.reference_number,
        notes: new.notes,
        recurrence: new.recurrence,
        tax_deductible: new.tax_deductible,
        receipt_sent: false,
        receipt_sent_date: None,
        created_at,
        updated_at: created_at,
    };
    // Gifts older than a month have mostly been receipted, a couple of days after they came in.
    if (today - date).num_days() > 30 && rng.random_bool(0.85) {
        let sent = created_at + chrono::Duration::days(2);
        gift.apply(DonationPatch { receipt_sent_date: Some(Some(sent)), ..DonationPatch::default() })?;
        gift.updated_at = sent;
    }
    if gift.date.year() < 1900 {
        return Err(DemoError::Plan("generated a gift before 1900".into()));
    }
    Ok(gift)
}

/// Statements per transaction: large enough that commits are rare, small enough that a failure
/// loses little and locks are short.
const STATEMENTS_PER_TRANSACTION: usize = 5;

/// One, for gifts: each statement's trigger upserts its donors' `donor_giving_totals` rows in
/// donor order, which cannot deadlock against another transaction doing the same; a second
/// statement in the same transaction would take a second run of locks out of that order
/// (decision 0031).
const DONATION_STATEMENTS_PER_TRANSACTION: usize = 1;

/// Rows of one kind for one transaction, one inner vector per INSERT statement.
enum Batch {
    Donors(Vec<Vec<donor::ActiveModel>>),
    Donations(Vec<Vec<donation::ActiveModel>>),
}

/// Runs batches as transactions, a few at a time, so that generating the next batch overlaps
/// with the database writing the previous ones.
struct BulkWriter {
    conn: DatabaseConnection,
    in_flight: JoinSet<Result<u64, DbErr>>,
    max_in_flight: usize,
    bind_limit: usize,
}

impl BulkWriter {
    fn new(conn: DatabaseConnection) -> Self {
        let (max_in_flight, bind_limit) = match conn.get_database_backend() {
            // PostgreSQL's protocol carries at most 65,535 parameters per statement.
            DatabaseBackend::Postgres => (2, 65_535),
            // SQLite has one writer; its default limit of bound variables is 32,766.
            _ => (1, 32_766),
        };
        Self { conn, in_flight: JoinSet::new(), max_in_flight, bind_limit }
    }

    fn rows_per_statement(&self, columns: usize) -> usize {
        (self.bind_limit / columns.max(1)).clamp(1, 2_500)
    }

    async fn submit(&mut self, batch: Batch, progress: &(dyn Fn(Progress) + Send + Sync)) -> Result<(), DemoError> {
        while self.in_flight.len() >= self.max_in_flight {
            self.finish_one(progress).await?;
        }
        self.in_flight.spawn(write_batch(self.conn.clone(), batch));
        Ok(())
    }

    async fn finish_one(&mut self, progress: &(dyn Fn(Progress) + Send + Sync)) -> Result<(), DemoError> {
        if let Some(done) = self.in_flight.join_next().await {
            let rows = done.map_err(|e| RepoError::Unavailable(Box::new(e)))?.map_err(write_err)?;
            progress(Progress::Advance { rows });
        }
        Ok(())
    }

    async fn drain(&mut self, progress: &(dyn Fn(Progress) + Send + Sync)) -> Result<(), DemoError> {
        while !self.in_flight.is_empty() {
            self.finish_one(progress).await?;
        }
        Ok(())
    }
}

async fn write_batch(conn: DatabaseConnection, batch: Batch) -> Result<u64, DbErr> {
    let txn = conn.begin().await?;
    let mut rows = 0;
    match batch {
        Batch::Donors(statements) => {
            for statement in statements {
                rows += statement.len() as u64;
                donor::Entity::insert_many(statement).exec_without_returning(&txn).await?;
            }
        }
        Batch::Donations(statements) => {
            for statement in statements {
                rows += statement.len() as u64;
                donation::Entity::insert_many(statement).exec_without_returning(&txn).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn plan(orgs: u32, donors: u64, largest: Option<u64>) -> DemoPlan {
        DemoPlan { organizations: orgs, donors, donations: 10, largest_org_donors: largest, seed: 1 }
    }

    #[test]
    fn shares_add_up_and_the_first_is_largest() {
        assert_eq!(plan(3, 10, None).donor_shares().unwrap(), vec![4, 3, 3]);
        assert_eq!(plan(3, 10, Some(6)).donor_shares().unwrap(), vec![6, 2, 2]);
        assert_eq!(plan(1, 10, None).donor_shares().unwrap(), vec![10]);
        let p = plan(3, 10, Some(6));
        assert_eq!(p.donation_shares(&p.donor_shares().unwrap()).iter().sum::<u64>(), 10);
        assert!(plan(3, 10, Some(11)).donor_shares().is_err());
        assert!(plan(3, 10, Some(2)).donor_shares().is_err());
        assert!(plan(0, 10, None).donor_shares().is_err());
        assert!(plan(2, 0, None).donor_shares().is_err(), "donations without donors");
    }

    #[test]
    fn donors_are_valid_and_reproducible() {
        let anchor = now();
        let stages = vec!["prospect".to_owned()];
        let mut a = DonorFactory::new(7, 0, anchor, stages.clone());
        let mut b = DonorFactory::new(7, 0, anchor, stages);
        for _ in 0..500 {
            let (x, mut y) = (a.next_donor().unwrap(), b.next_donor().unwrap());
            assert_ne!(x.id, y.id, "ids are never repeated");
            y.id = x.id;
            assert_eq!(x, y);
            assert_eq!(x.id.into_uuid().get_version_num(), 7);
            assert!(x.created_at <= anchor);
        }
    }
}
