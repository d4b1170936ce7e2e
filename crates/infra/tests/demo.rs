//! The demo data generator against real databases: exact counts, rows that read back through the
//! repositories (so they pass the domain's checks), tenant references that hold, and
//! reproducibility from the seed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use givance_domain::donation::DonationFilter;
use givance_domain::donor::{DonorQuery, SearchPrefix};
use givance_domain::organization::JourneyGraph;
use givance_domain::staff::Role;
use givance_domain::{Cursor, OrgScope, PageRequest};
use givance_infra::Repositories;
use givance_infra::demo::{self, DemoPlan, Phase, Progress};
use givance_tests::{TestDb, on_both_backends};
use sea_orm::{ConnectionTrait, Statement};

fn plan(seed: u64) -> DemoPlan {
    DemoPlan { organizations: 3, donors: 400, donations: 1_000, largest_org_donors: Some(200), seed }
}

/// Every donor of the organization, page by page, through the repository.
async fn all_donors(repos: &Repositories, scope: &OrgScope) -> Vec<givance_domain::donor::Donor> {
    let mut donors = Vec::new();
    let mut request = PageRequest::first(200);
    loop {
        let page = repos.donors.list(scope, &DonorQuery::default(), request).await.unwrap();
        donors.extend(page.items);
        match page.next_cursor {
            Some(cursor) => request = PageRequest::new(Some(200), Some(Cursor::decode(&cursor).unwrap())),
            None => return donors,
        }
    }
}

async fn all_donations(repos: &Repositories, scope: &OrgScope) -> Vec<givance_domain::donation::Donation> {
    let mut donations = Vec::new();
    let mut request = PageRequest::first(200);
    loop {
        let page = repos.donations.list(scope, DonationFilter::default(), request).await.unwrap();
        donations.extend(page.items);
        match page.next_cursor {
            Some(cursor) => request = PageRequest::new(Some(200), Some(Cursor::decode(&cursor).unwrap())),
            None => return donations,
        }
    }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let row = db.conn().query_one_raw(Statement::from_string(db.backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn generates_exactly_what_was_asked(db: &TestDb) {
    let repos = Repositories::new(db.conn());
    assert!(!demo::has_organizations(db.conn()).await.unwrap());
    let committed = std::sync::Mutex::new(Vec::<(Phase, u64)>::new());
    let report = demo::generate(db.conn(), &plan(7), &|event| {
        let mut seen = committed.lock().unwrap();
        match event {
            Progress::Start { phase, .. } => seen.push((phase, 0)),
            Progress::Advance { rows } => seen.last_mut().unwrap().1 += rows,
            Progress::Finish => {}
        }
    })
    .await
    .unwrap();
    assert!(demo::has_organizations(db.conn()).await.unwrap());
    assert_eq!(
        *committed.lock().unwrap(),
        [(Phase::Organizations, 3), (Phase::Donors, 400), (Phase::Donations, 1_000)],
        "progress accounts for every committed row"
    );
    assert_eq!((report.donors, report.donations), (400, 1_000));
    let shares: Vec<u64> = report.organizations.iter().map(|o| o.donors).collect();
    assert_eq!(shares, [200, 100, 100]);
    assert_eq!(report.organizations.iter().map(|o| o.donations).sum::<u64>(), 1_000);

    for org in &report.organizations {
        let scope = OrgScope::operator(org.id);
        // Read back through the repositories: every row maps to a valid domain value.
        let donors = all_donors(&repos, &scope).await;
        assert_eq!(donors.len() as u64, org.donors, "{}", org.slug);
        let ids: BTreeSet<_> = donors.iter().map(|d| d.id).collect();
        assert_eq!(ids.len(), donors.len(), "ids are unique");
        let graph: JourneyGraph =
            repos.organizations.get(&scope).await.unwrap().journey_graph().unwrap().expect("a journey graph");
        for d in &donors {
            assert_eq!(d.id.into_uuid().get_version_num(), 7, "UUID v7 like the API's");
            assert!(d.first_name.is_some() && d.last_name.is_some());
            if let Some(email) = &d.email {
                assert_eq!(email.as_str(), email.as_str().to_lowercase());
            }
            if let Some(phone) = &d.phone {
                assert!(phone.as_str().starts_with('+'), "E.164: {phone}");
            }
            if let Some(stage) = &d.journey_stage {
                assert!(graph.stage(stage).is_some(), "stage {stage} is the organization's");
            }
            assert!(d.created_at <= d.updated_at && d.deleted_at.is_none());
        }
        let emails: BTreeSet<_> = donors.iter().filter_map(|d| d.email.clone()).collect();
        assert_eq!(emails.len(), donors.iter().filter(|d| d.email.is_some()).count(), "emails are unique");

        let donations = all_donations(&repos, &scope).await;
        assert_eq!(donations.len() as u64, org.donations, "{}", org.slug);
        let projects = repos.projects.list(&scope, PageRequest::first(200)).await.unwrap().items;
        assert_eq!(projects.len(), org.projects);
        assert!((3..=5).contains(&projects.len()));
        assert!(projects.iter().all(|p| p.target_amount.is_some_and(|t| t.scale() == 2)));
        for gift in &donations {
            assert!(ids.contains(&gift.donor_id), "the donor is the organization's");
            assert!(gift.project_id.is_none_or(|p| projects.iter().any(|q| q.id == p)));
            assert_eq!(gift.amount.amount().scale(), 2, "money has two places");
            assert!(gift.amount.is_positive());
            assert!(gift.recurrence.frequency().is_none() || gift.recurrence.is_recurring());
            assert_eq!(gift.receipt_sent, gift.receipt_sent_date.is_some());
        }
        let staff = repos.staff.list(&scope, PageRequest::first(200)).await.unwrap().items;
        assert_eq!(staff.len(), org.staff);
        assert!((3..=4).contains(&staff.len()));
        assert!(staff.iter().any(|s| s.role == Role::Admin && s.id == org.admin_staff));
        let roles: BTreeSet<_> = staff.iter().map(|s| s.role.as_str()).collect();
        assert_eq!(roles.len(), staff.len(), "each staff member has another role");
    }

    // A prefix search like the benchmark's finds donors in the largest organization.
    let largest = OrgScope::operator(report.organizations[0].id);
    let query = DonorQuery { search: Some(SearchPrefix::parse("smi").unwrap()), ..DonorQuery::default() };
    assert!(!repos.donors.list(&largest, &query, PageRequest::first(50)).await.unwrap().items.is_empty());

    // The per-donor giving that triggers keep (decision 0031) accounts for every gift, however
    // the generator batched them.
    let total = count(db, "SELECT COUNT(*) FROM donations WHERE amount > 0").await;
    assert_eq!(count(db, "SELECT CAST(SUM(gift_count) AS BIGINT) FROM donor_giving").await, total);
    assert_eq!(count(db, "SELECT CAST(SUM(gift_count) AS BIGINT) FROM donor_giving_totals").await, total);
    let givers = count(db, "SELECT COUNT(DISTINCT donor_id) FROM donations").await;
    assert_eq!(count(db, "SELECT COUNT(*) FROM donor_giving").await, givers);

    // The tenant references hold in the database itself.
    let crossed = count(
        db,
        "SELECT COUNT(*) FROM donations g JOIN donors d ON d.id = g.donor_id \
         WHERE d.organization_id <> g.organization_id",
    )
    .await;
    assert_eq!(crossed, 0);
    let crossed = count(
        db,
        "SELECT COUNT(*) FROM donations g JOIN projects p ON p.id = g.project_id \
         WHERE p.organization_id <> g.organization_id",
    )
    .await;
    assert_eq!(crossed, 0);
    assert_eq!(count(db, "SELECT COUNT(*) FROM donors").await, 400);
    assert_eq!(count(db, "SELECT COUNT(*) FROM donations").await, 1_000);
    assert_eq!(count(db, "SELECT COUNT(*) FROM api_keys").await, 1, "one key, for the largest organization");
}
on_both_backends!(demo_generates_exactly_what_was_asked, generates_exactly_what_was_asked);

async fn a_second_run_adds_the_same_data_next_to_the_first(db: &TestDb) {
    let repos = Repositories::new(db.conn());
    let small = DemoPlan { organizations: 1, donors: 60, donations: 100, largest_org_donors: None, seed: 3 };
    let first = demo::generate(db.conn(), &small, &|_| {}).await.unwrap();
    let second = demo::generate(db.conn(), &small, &|_| {}).await.unwrap();
    let (a, b) = (&first.organizations[0], &second.organizations[0]);
    assert_ne!(a.slug, b.slug, "slugs stay unique");
    assert_eq!(a.name, b.name);
    let people = |donors: Vec<givance_domain::donor::Donor>| -> BTreeSet<String> {
        donors.into_iter().map(|d| format!("{:?}", (d.first_name, d.last_name, d.email, d.household, d.tags))).collect()
    };
    let a_donors = people(all_donors(&repos, &OrgScope::operator(a.id)).await);
    let b_donors = people(all_donors(&repos, &OrgScope::operator(b.id)).await);
    assert_eq!(a_donors.len(), 60);
    assert_eq!(a_donors, b_donors, "the same seed gives the same donors");
    let total = |id| {
        let repos = repos.clone();
        async move { repos.donations.totals(&OrgScope::operator(id), DonationFilter::default()).await.unwrap() }
    };
    assert_eq!(total(a.id).await, total(b.id).await, "and the same gifts");
}
on_both_backends!(demo_second_run_is_reproducible, a_second_run_adds_the_same_data_next_to_the_first);

async fn impossible_plans_write_nothing(db: &TestDb) {
    let bad = DemoPlan { organizations: 2, donors: 10, donations: 5, largest_org_donors: Some(11), seed: 1 };
    assert!(matches!(demo::generate(db.conn(), &bad, &|_| {}).await, Err(demo::DemoError::Plan(_))));
    assert!(!demo::has_organizations(db.conn()).await.unwrap(), "nothing was written");
}
on_both_backends!(demo_impossible_plans_write_nothing, impossible_plans_write_nothing);
