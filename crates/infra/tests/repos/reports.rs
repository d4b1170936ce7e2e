//! The fundraising reports (`docs/reports.md`) on hand-built data, on both databases: gifts on
//! either side of a July fiscal-year boundary, zero-amount gifts, a soft-deleted donor, two
//! currencies, and another organization whose gifts must never count.

use chrono::NaiveDate;
use givance_domain::donation::{NewDonation, PaymentMethod};
use givance_domain::project::NewProject;
use givance_domain::report::{
    DateRange, FiscalYearStart, GivingBy, GivingGroup, Lapsed, LapsedDonor, LapsedQuery, RetentionPeriods,
};
use givance_domain::{Currency, DonorId, Money, OrgScope, ProjectId};
use givance_infra::Repositories;
use givance_tests::{TestDb, on_both_backends};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};

use crate::fixtures::{day, donor, org, repos};

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

struct Gift {
    amount: &'static str,
    currency: Currency,
    date: NaiveDate,
    project: Option<ProjectId>,
    method: Option<PaymentMethod>,
}

fn usd(amount: &'static str, date: NaiveDate) -> Gift {
    Gift { amount, currency: Currency::USD, date, project: None, method: None }
}

async fn give(repos: &Repositories, scope: &OrgScope, donor: DonorId, gift: Gift) {
    let mut new = NewDonation::new(donor, Money::parse(gift.amount, gift.currency).unwrap(), gift.date).unwrap();
    new.project_id = gift.project;
    new.payment_method = gift.method;
    repos.donations.create(scope, new).await.unwrap();
}

/// A zero-amount gift, which the API refuses but an older import or a correction may leave.
async fn give_zero(db: &TestDb, scope: &OrgScope, donor: DonorId, date: NaiveDate) {
    let sql = "INSERT INTO donations (id, organization_id, donor_id, amount, currency, date) \
               VALUES ($1, $2, $3, $4, 'USD', $5)";
    let values: Vec<sea_orm::Value> = vec![
        uuid::Uuid::now_v7().into(),
        scope.org().into_uuid().into(),
        donor.into_uuid().into(),
        Decimal::ZERO.into(),
        date.into(),
    ];
    db.conn().execute_raw(Statement::from_sql_and_values(db.backend(), sql, values)).await.unwrap();
}

/// The donors of the examples in `docs/reports.md`, with a July fiscal year (FY2026 is
/// 2025-07-01 to 2026-06-30).
struct Alpha {
    scope: OrgScope,
    ada: DonorId,
    bob: DonorId,
    cy: DonorId,
    dee: DonorId,
    eve: DonorId,
    fay: DonorId,
    gus: DonorId,
    roof: ProjectId,
}

async fn alpha(db: &TestDb, repos: &Repositories) -> Alpha {
    let scope = org(repos, "alpha").await;
    let roof = repos.projects.create(&scope, NewProject::new("Roof").unwrap()).await.unwrap().id;
    let [ada, bob, cy, dee, eve, fay, gus] = [
        donor(repos, &scope, "Ada").await,
        donor(repos, &scope, "Bob").await,
        donor(repos, &scope, "Cy").await,
        donor(repos, &scope, "Dee").await,
        donor(repos, &scope, "Eve").await,
        donor(repos, &scope, "Fay").await,
        donor(repos, &scope, "Gus").await,
    ];
    // Ada: the last day of FY2025, and long ago.
    let last_day = Gift { project: Some(roof), method: Some(PaymentMethod::Check), ..usd("100.00", day(2025, 6, 30)) };
    give(repos, &scope, ada, last_day).await;
    give(repos, &scope, ada, usd("200.00", day(2020, 1, 1))).await;
    // Bob: FY2025 and the first day of FY2026.
    give(repos, &scope, bob, Gift { method: Some(PaymentMethod::CreditCard), ..usd("40.00", day(2024, 8, 1)) }).await;
    let first_day = Gift { project: Some(roof), method: Some(PaymentMethod::Cash), ..usd("50.00", day(2025, 7, 1)) };
    give(repos, &scope, bob, first_day).await;
    // Cy: FY2023 only.
    give(repos, &scope, cy, usd("30.00", day(2023, 1, 15))).await;
    // Dee: FY2025, then only zero-amount "gifts" (one in FY2025 too, one in FY2026).
    give(repos, &scope, dee, usd("20.00", day(2024, 12, 1))).await;
    give_zero(db, &scope, dee, day(2025, 2, 10)).await;
    give_zero(db, &scope, dee, day(2026, 1, 1)).await;
    // Eve: FY2025, then soft-deleted.
    give(repos, &scope, eve, usd("70.00", day(2025, 3, 1))).await;
    repos.donors.soft_delete(&scope, eve).await.unwrap();
    // Fay: euros in FY2025, dollars in FY2022.
    give(repos, &scope, fay, Gift { currency: eur(), ..usd("10.00", day(2025, 2, 1)) }).await;
    give(repos, &scope, fay, usd("5.55", day(2022, 5, 5))).await;
    // Gus: amounts a float sum gets wrong, in May 2025 (FY2025), and in FY2026.
    for amount in ["0.10", "0.20", "33.33"] {
        give(repos, &scope, gus, usd(amount, day(2025, 5, 20))).await;
    }
    give(repos, &scope, gus, usd("1.00", day(2026, 6, 30))).await;
    Alpha { scope, ada, bob, cy, dee, eve, fay, gus, roof }
}

/// Another organization, giving in the same years: none of it may show in alpha's reports.
async fn beta(repos: &Repositories) -> (OrgScope, DonorId) {
    let scope = org(repos, "beta").await;
    let zed = donor(repos, &scope, "Zed").await;
    give(repos, &scope, zed, usd("500.00", day(2025, 6, 30))).await;
    give(
        repos,
        &scope,
        zed,
        Gift { project: None, method: Some(PaymentMethod::Check), ..usd("9.00", day(2024, 12, 1)) },
    )
    .await;
    (scope, zed)
}

fn july() -> FiscalYearStart {
    FiscalYearStart::new(7).unwrap()
}

fn ids(donors: &[LapsedDonor]) -> Vec<DonorId> {
    donors.iter().map(|d| d.donor_id).collect()
}

async fn lapsed(
    repos: &Repositories,
    scope: &OrgScope,
    kind: Lapsed,
    calendar: FiscalYearStart,
    year: i32,
) -> Vec<LapsedDonor> {
    let query = LapsedQuery::new(kind, calendar, year, 100, None).unwrap();
    repos.reports.lapsed(scope, query).await.unwrap().items
}

async fn lybunt_and_sybunt(db: &TestDb) {
    let repos = repos(db);
    let a = alpha(db, &repos).await;
    let (b, zed) = beta(&repos).await;

    // FY2026 (July start): gave in FY2025, nothing counted in FY2026. Bob gave on FY2026's first
    // day, Dee's FY2026 "gift" is zero, Eve is deleted; last gift first.
    let lybunt = lapsed(&repos, &a.scope, Lapsed::Lybunt, july(), 2026).await;
    assert_eq!(ids(&lybunt), [a.ada, a.fay, a.dee]);
    let ada = &lybunt[0];
    assert_eq!((ada.first_name.as_deref(), ada.last_gift_date), (Some("Ada"), day(2025, 6, 30)));
    assert_eq!(ada.totals.len(), 1);
    assert_eq!((ada.totals[0].last_year_total, ada.totals[0].lifetime_total), (dec("100.00"), dec("300.00")));
    // Fay: one total per currency, the largest lifetime first; her last gift in any currency.
    let fay = &lybunt[1];
    assert_eq!(fay.last_gift_date, day(2025, 2, 1));
    let totals: Vec<_> = fay.totals.iter().map(|t| (t.currency.code(), t.last_year_total, t.lifetime_total)).collect();
    assert_eq!(totals, [("EUR", dec("10.00"), dec("10.00")), ("USD", dec("0.00"), dec("5.55"))]);
    assert_eq!(lybunt[2].last_gift_date, day(2024, 12, 1), "Dee's zero-amount gifts are not her last gift");

    // SYBUNT adds Cy, who last gave in FY2023.
    let sybunt = lapsed(&repos, &a.scope, Lapsed::Sybunt, july(), 2026).await;
    assert_eq!(ids(&sybunt), [a.ada, a.fay, a.dee, a.cy]);
    assert_eq!(sybunt[3].totals[0].last_year_total, dec("0.00"));
    assert_eq!(sybunt[3].totals[0].lifetime_total, dec("30.00"));

    // With a January fiscal year the same gifts fall otherwise: FY2026 is calendar 2026, where
    // only Gus gave; Bob's July 2025 gift is now "last year".
    let january = lapsed(&repos, &a.scope, Lapsed::Lybunt, FiscalYearStart::JANUARY, 2026).await;
    assert_eq!(ids(&january), [a.bob, a.ada, a.fay]);
    assert_eq!(january[0].totals[0].last_year_total, dec("50.00"), "Bob's 2025 gift; his 2024 one is lifetime");
    assert_eq!(january[0].totals[0].lifetime_total, dec("90.00"));

    // FY2025 looks back: Gus's FY2025 sum is exact, Cy is SYBUNT, not LYBUNT.
    let fy2025 = lapsed(&repos, &a.scope, Lapsed::Lybunt, july(), 2025).await;
    assert_eq!(ids(&fy2025), [] as [DonorId; 0], "nobody gave in FY2024 and then stopped");
    let sybunt_2025 = lapsed(&repos, &a.scope, Lapsed::Sybunt, july(), 2025).await;
    assert_eq!(ids(&sybunt_2025), [a.cy]);
    let sybunt_2027 = lapsed(&repos, &a.scope, Lapsed::Sybunt, july(), 2027).await;
    let gus = sybunt_2027.iter().find(|d| d.donor_id == a.gus).unwrap();
    assert_eq!((gus.totals[0].last_year_total, gus.totals[0].lifetime_total), (dec("1.00"), dec("34.63")));
    assert!(!ids(&sybunt_2027).contains(&a.eve));

    // Pages of two: the cursor carries on after the last donor of the page.
    let first =
        repos.reports.lapsed(&a.scope, LapsedQuery::new(Lapsed::Sybunt, july(), 2026, 2, None).unwrap()).await.unwrap();
    assert_eq!(ids(&first.items), [a.ada, a.fay]);
    let cursor = givance_domain::Cursor::decode(first.next_cursor.as_deref().unwrap()).unwrap();
    let second = repos
        .reports
        .lapsed(&a.scope, LapsedQuery::new(Lapsed::Sybunt, july(), 2026, 2, Some(cursor)).unwrap())
        .await
        .unwrap();
    assert_eq!((ids(&second.items), second.next_cursor), (vec![a.dee, a.cy], None));

    // The other organization sees only its own donor, and alpha's never see Zed.
    assert_eq!(ids(&lapsed(&repos, &b, Lapsed::Lybunt, july(), 2026).await), [zed]);
    assert!(!ids(&sybunt).contains(&zed));
}
on_both_backends!(report_lybunt_and_sybunt, lybunt_and_sybunt);

async fn retention(db: &TestDb) {
    let repos = repos(db);
    let a = alpha(db, &repos).await;
    beta(&repos).await;

    // Prior twelve months (2024-07-01..2025-06-30): Ada, Bob, Dee, Fay, Gus; Eve is deleted.
    // Again in the last twelve (to 2026-06-30): Bob and Gus (Dee's later gift is zero).
    let rolling =
        repos.reports.retention(&a.scope, RetentionPeriods::rolling(day(2026, 6, 30)).unwrap()).await.unwrap();
    assert_eq!((rolling.prior_donors, rolling.retained_donors), (5, 2));
    assert_eq!(rolling.rate().unwrap().to_string(), "0.4000");

    // By fiscal year, July start: FY2026 against FY2025 is the same pair of periods.
    let fy2026 = repos.reports.retention(&a.scope, RetentionPeriods::fiscal_year(july(), 2026).unwrap()).await.unwrap();
    assert_eq!(fy2026, rolling);
    // January start: 2025 donors (Ada, Bob, Dee's zero does not count, Fay, Gus) -> 2026 (Gus).
    let calendar = repos
        .reports
        .retention(&a.scope, RetentionPeriods::fiscal_year(FiscalYearStart::JANUARY, 2026).unwrap())
        .await
        .unwrap();
    assert_eq!((calendar.prior_donors, calendar.retained_donors), (4, 1));
    // Years with no donors before them.
    let empty = repos.reports.retention(&a.scope, RetentionPeriods::fiscal_year(july(), 2000).unwrap()).await.unwrap();
    assert_eq!((empty.prior_donors, empty.rate()), (0, None));
}
on_both_backends!(report_retention, retention);

fn range(from: NaiveDate, to: NaiveDate) -> DateRange {
    DateRange::new(from, to, "to").unwrap()
}

async fn giving_breakdowns(db: &TestDb) {
    let repos = repos(db);
    let a = alpha(db, &repos).await;
    beta(&repos).await;
    let fy2025 = range(day(2024, 7, 1), day(2025, 7, 1));

    let rows = repos.reports.giving(&a.scope, GivingBy::Month, fy2025).await.unwrap();
    let months: Vec<_> = rows
        .iter()
        .map(|r| match &r.group {
            GivingGroup::Month(m) => (m.as_str(), r.currency.code(), r.total.to_string(), r.gift_count, r.donor_count),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        months,
        [
            ("2024-08", "USD", "40.00".to_owned(), 1, 1),
            ("2024-12", "USD", "20.00".to_owned(), 1, 1),
            ("2025-02", "EUR", "10.00".to_owned(), 1, 1),
            // Eve's gift counts: money reports keep soft-deleted donors' gifts.
            ("2025-03", "USD", "70.00".to_owned(), 1, 1),
            ("2025-05", "USD", "33.63".to_owned(), 3, 1),
            ("2025-06", "USD", "100.00".to_owned(), 1, 1),
            ("2025-07", "USD", "50.00".to_owned(), 1, 1),
        ],
        "Dee's zero-amount gift of 2025-02 is not counted, nor is beta's money"
    );

    let rows = repos.reports.giving(&a.scope, GivingBy::Project, fy2025).await.unwrap();
    let projects: Vec<_> = rows
        .iter()
        .map(|r| match &r.group {
            GivingGroup::Project { id, name } => {
                (*id, name.clone(), r.currency.code(), r.total.to_string(), r.donor_count)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        projects,
        [
            (Some(a.roof), Some("Roof".to_owned()), "USD", "150.00".to_owned(), 2),
            (None, None, "EUR", "10.00".to_owned(), 1),
            (None, None, "USD", "163.63".to_owned(), 4),
        ]
    );

    let rows = repos.reports.giving(&a.scope, GivingBy::PaymentMethod, fy2025).await.unwrap();
    let methods: Vec<_> = rows
        .iter()
        .map(|r| match &r.group {
            GivingGroup::PaymentMethod(m) => (*m, r.currency.code(), r.total.to_string()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        methods,
        [
            (Some(PaymentMethod::Cash), "USD", "50.00".to_owned()),
            (Some(PaymentMethod::Check), "USD", "100.00".to_owned()),
            (Some(PaymentMethod::CreditCard), "USD", "40.00".to_owned()),
            (None, "EUR", "10.00".to_owned()),
            (None, "USD", "123.63".to_owned()),
        ]
    );

    // A one-day range on the fiscal-year boundary holds only that day.
    let rows = repos.reports.giving(&a.scope, GivingBy::Month, range(day(2025, 7, 1), day(2025, 7, 1))).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.total.to_string()).collect::<Vec<_>>(), ["50.00"]);
}
on_both_backends!(report_giving_breakdowns, giving_breakdowns);

async fn top_donors(db: &TestDb) {
    let repos = repos(db);
    let a = alpha(db, &repos).await;
    beta(&repos).await;
    let fy2025 = range(day(2024, 7, 1), day(2025, 6, 30));

    let top = repos.reports.top_donors(&a.scope, fy2025, Currency::USD, 10).await.unwrap();
    let ranked: Vec<_> = top.iter().map(|d| (d.donor_id, d.total.to_string(), d.gift_count)).collect();
    assert_eq!(
        ranked,
        [
            (a.ada, "100.00".to_owned(), 1),
            (a.bob, "40.00".to_owned(), 1),
            (a.gus, "33.63".to_owned(), 3),
            (a.dee, "20.00".to_owned(), 1),
        ],
        "Eve is deleted, Dee's zero gift is not counted, Fay gave euros, Zed is another organization's"
    );
    assert_eq!((top[2].first_gift_date, top[2].last_gift_date), (day(2025, 5, 20), day(2025, 5, 20)));
    assert_eq!(top[0].email, None);
    let two = repos.reports.top_donors(&a.scope, fy2025, Currency::USD, 2).await.unwrap();
    assert_eq!(two.iter().map(|d| d.donor_id).collect::<Vec<_>>(), [a.ada, a.bob]);
    let euros = repos.reports.top_donors(&a.scope, fy2025, eur(), 10).await.unwrap();
    assert_eq!(euros.iter().map(|d| (d.donor_id, d.total)).collect::<Vec<_>>(), [(a.fay, dec("10.00"))]);
}
on_both_backends!(report_top_donors, top_donors);
