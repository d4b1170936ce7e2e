//! `donor_giving_totals` and `donor_giving` follow every write to `donations`, whoever makes it: the triggers of
//! migration 000020 (decision 0031). Each step states the rows it expects, worked out by hand.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use futures::StreamExt;
use givance_domain::donation::DonationPatch;
use givance_domain::{Currency, DonorId, Money, OrgScope};
use givance_infra::Repositories;
use givance_tests::{TestDb, on_both_backends};
use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use uuid::Uuid;

use crate::fixtures::{day, donor, gift, org, repos};

/// One row of `donor_giving_totals`: currency, cents, gifts, latest date.
type Row = (String, i64, i32, NaiveDate);

/// The donor's rows of `donor_giving_totals`, after checking that their row of `donor_giving`
/// (every currency) holds their number of gifts and latest date.
async fn totals(db: &TestDb, donor: DonorId) -> Vec<Row> {
    let query = |sql: &str| {
        db.conn().query_all_raw(Statement::from_sql_and_values(db.backend(), sql, [donor.into_uuid().into()]))
    };
    let sql = "SELECT currency, total_cents, gift_count, last_gift_date FROM donor_giving_totals \
               WHERE donor_id = $1 ORDER BY currency";
    let rows: Vec<Row> = query(sql)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("", "currency").unwrap(),
                r.try_get("", "total_cents").unwrap(),
                r.try_get("", "gift_count").unwrap(),
                r.try_get("", "last_gift_date").unwrap(),
            )
        })
        .collect();
    let per_donor: Vec<(i32, NaiveDate)> =
        query("SELECT gift_count, last_gift_date FROM donor_giving WHERE donor_id = $1")
            .await
            .unwrap()
            .iter()
            .map(|r| (r.try_get("", "gift_count").unwrap(), r.try_get("", "last_gift_date").unwrap()))
            .collect();
    let expected: Vec<(i32, NaiveDate)> = rows
        .iter()
        .map(|(_, _, count, last)| (*count, *last))
        .reduce(|(count, last), (more, other)| (count + more, last.max(other)))
        .into_iter()
        .collect();
    assert_eq!(per_donor, expected, "donor_giving agrees with donor_giving_totals");
    rows
}

fn row(currency: &str, cents: i64, gifts: i32, last: NaiveDate) -> Row {
    (currency.to_owned(), cents, gifts, last)
}

async fn execute(db: &TestDb, sql: &str, values: Vec<Value>) {
    db.conn().execute_raw(Statement::from_sql_and_values(db.backend(), sql, values)).await.unwrap();
}

async fn give(
    repos: &Repositories,
    scope: &OrgScope,
    donor: DonorId,
    amount: &str,
    currency: &str,
    on: NaiveDate,
) -> Uuid {
    let mut new = gift(donor, amount);
    new.amount = Money::parse(amount, Currency::parse(currency).unwrap()).unwrap();
    new.date = on;
    repos.donations.create(scope, new).await.unwrap().id.into_uuid()
}

async fn totals_follow_every_write(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let ada = donor(&repos, &scope, "Ada").await;
    let bob = donor(&repos, &scope, "Bob").await;
    assert!(totals(db, ada).await.is_empty(), "no gifts, no row");

    let small = give(&repos, &scope, ada, "0.20", "USD", day(2025, 3, 1)).await;
    let large = give(&repos, &scope, ada, "10.10", "USD", day(2024, 1, 1)).await;
    give(&repos, &scope, ada, "7.00", "EUR", day(2023, 5, 5)).await;
    give(&repos, &scope, bob, "1.00", "USD", day(2026, 1, 1)).await;
    // A zero gift (an old import may hold one) is not counted; neither is a refund.
    let zero = "INSERT INTO donations (id, organization_id, donor_id, amount, currency, date) \
                VALUES ($1, $2, $3, $4, NULL, $5)";
    for amount in [rust_decimal::Decimal::ZERO, rust_decimal::Decimal::new(-500, 2)] {
        let values = vec![
            Uuid::now_v7().into(),
            scope.org().into_uuid().into(),
            bob.into_uuid().into(),
            amount.into(),
            day(2027, 1, 1).into(),
        ];
        execute(db, zero, values).await;
    }
    assert_eq!(totals(db, ada).await, vec![row("EUR", 700, 1, day(2023, 5, 5)), row("USD", 1030, 2, day(2025, 3, 1))]);
    assert_eq!(totals(db, bob).await, vec![row("USD", 100, 1, day(2026, 1, 1))]);

    // A changed amount and date recount the donor: the latest date moves back.
    let patch = DonationPatch {
        amount: Some(Money::parse("0.30", Currency::USD).unwrap()),
        date: Some(day(2022, 1, 1)),
        ..DonationPatch::default()
    };
    repos.donations.update(&scope, small.into(), patch).await.unwrap();
    assert_eq!(totals(db, ada).await[1], row("USD", 1040, 2, day(2024, 1, 1)));

    // A change of currency moves the gift between the donor's rows.
    let to_euros = DonationPatch {
        amount: Some(Money::parse("10.10", Currency::parse("EUR").unwrap()).unwrap()),
        ..DonationPatch::default()
    };
    repos.donations.update(&scope, large.into(), to_euros).await.unwrap();
    assert_eq!(totals(db, ada).await, vec![row("EUR", 1710, 2, day(2024, 1, 1)), row("USD", 30, 1, day(2022, 1, 1))]);

    // Notes change nothing.
    let notes = DonationPatch { notes: Some(Some("thanked".into())), ..DonationPatch::default() };
    repos.donations.update(&scope, large.into(), notes).await.unwrap();
    assert_eq!(totals(db, ada).await[0], row("EUR", 1710, 2, day(2024, 1, 1)));

    // Deleting a currency's last gift deletes its row.
    repos.donations.delete(&scope, small.into()).await.unwrap();
    assert_eq!(totals(db, ada).await, vec![row("EUR", 1710, 2, day(2024, 1, 1))]);

    // A gift moved to another donor, outside the API, leaves one and joins the other.
    execute(db, "UPDATE donations SET donor_id = $1 WHERE id = $2", vec![bob.into_uuid().into(), large.into()]).await;
    assert_eq!(totals(db, ada).await, vec![row("EUR", 700, 1, day(2023, 5, 5))]);
    assert_eq!(totals(db, bob).await, vec![row("EUR", 1010, 1, day(2024, 1, 1)), row("USD", 100, 1, day(2026, 1, 1))]);

    // Erasing a donor erases their totals.
    repos.donors.hard_delete(&scope, bob).await.unwrap();
    assert!(totals(db, bob).await.is_empty());
    assert_eq!(totals(db, ada).await, vec![row("EUR", 700, 1, day(2023, 5, 5))]);
}
on_both_backends!(giving_totals_follow_every_write, totals_follow_every_write);

/// What the totals must be for `gifts` of (donor, cents, currency, date): folded here in Rust.
fn folded(gifts: &[(DonorId, i64, &str, NaiveDate)]) -> BTreeMap<(Uuid, String), (i64, i32, NaiveDate)> {
    let mut expected = BTreeMap::new();
    for (donor, cents, currency, date) in gifts {
        let entry = expected.entry((donor.into_uuid(), (*currency).to_owned())).or_insert((0, 0, *date));
        entry.0 += cents;
        entry.1 += 1;
        entry.2 = entry.2.max(*date);
    }
    expected
}

async fn all_totals(db: &TestDb, donors: &[DonorId]) -> BTreeMap<(Uuid, String), (i64, i32, NaiveDate)> {
    let mut all = BTreeMap::new();
    for donor in donors {
        for (currency, cents, count, last) in totals(db, *donor).await {
            all.insert((donor.into_uuid(), currency), (cents, count, last));
        }
    }
    all
}

/// Many gifts of the same donors in one statement (as imports and the demo generator write
/// them), then concurrent single gifts: the sums are exact to the cent and none is lost.
async fn batches_and_concurrent_gifts_add_up(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let mut donors = Vec::new();
    for name in ["Ada", "Bob", "Cy", "Dee", "Eve"] {
        donors.push(donor(&repos, &scope, name).await);
    }
    let mut rng = rand::rng();
    let mut gifts = Vec::new();
    for _ in 0..300 {
        let donor = donors[rng.random_range(0..donors.len())];
        let currency = if rng.random_bool(0.2) { "EUR" } else { "USD" };
        let on = day(2020, 1, 1) + chrono::Days::new(rng.random_range(0..2000));
        gifts.push((donor, rng.random_range(1..=99_999_999_i64), currency, on));
    }
    let placeholders: Vec<String> = (0..gifts.len())
        .map(|i| {
            let n = i * 6;
            format!("(${}, ${}, ${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4, n + 5, n + 6)
        })
        .collect();
    let sql = format!(
        "INSERT INTO donations (id, organization_id, donor_id, amount, currency, date) VALUES {}",
        placeholders.join(", ")
    );
    let mut values: Vec<Value> = Vec::new();
    for (donor, cents, currency, on) in &gifts {
        values.push(Uuid::now_v7().into());
        values.push(scope.org().into_uuid().into());
        values.push(donor.into_uuid().into());
        values.push(rust_decimal::Decimal::new(*cents, 2).into());
        values.push((*currency).into());
        values.push((*on).into());
    }
    execute(db, &sql, values).await;
    assert_eq!(all_totals(db, &donors).await, folded(&gifts));

    let singles: Vec<_> = (0..200).map(|i| (donors[i % donors.len()], 1_i64, "USD", day(2030, 1, 1))).collect();
    let parallel = if db.backend() == DatabaseBackend::Sqlite { 1 } else { 8 };
    futures::stream::iter(singles.iter().map(|(donor, _, _, on)| give(&repos, &scope, *donor, "0.01", "USD", *on)))
        .buffer_unordered(parallel)
        .collect::<Vec<_>>()
        .await;
    gifts.extend(singles);
    assert_eq!(all_totals(db, &donors).await, folded(&gifts));
}
on_both_backends!(giving_totals_add_up_over_batches_and_concurrent_gifts, batches_and_concurrent_gifts_add_up);
