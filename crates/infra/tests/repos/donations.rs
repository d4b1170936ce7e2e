use futures::StreamExt;
use givance_domain::donation::{DonationFilter, DonationPatch, PaymentMethod, Recurrence, RecurringFrequency};
use givance_domain::{Currency, DonationId, Money, OrgScope, PageRequest, RepoError};
use givance_infra::Repositories;
use givance_tests::{TestDb, on_both_backends};
use rand::Rng;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::fixtures::{day, donor, gift, org, repos, usd};

async fn create_read_update(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let donor_id = donor(&repos, &scope, "Ada").await;
    let mut new = gift(donor_id, "1234.56");
    new.payment_method = Some(PaymentMethod::CreditCard);
    new.recurrence = Recurrence::Recurring(Some(RecurringFrequency::Monthly));
    new.reference_number = Some("txn_1".into());
    let created = repos.donations.create(&scope, new).await.unwrap();
    let read = repos.donations.get(&scope, created.id).await.unwrap().unwrap();
    assert_eq!(read, created);
    assert_eq!(read.amount.amount().to_string(), "1234.56");

    let sent_at = givance_domain::shared::time::now();
    let patch = DonationPatch {
        amount: Some(Money::parse("99.9", Currency::parse("EUR").unwrap()).unwrap()),
        receipt_sent_date: Some(Some(sent_at)),
        recurrence: Some(Recurrence::OneOff),
        ..DonationPatch::default()
    };
    let updated = repos.donations.update(&scope, created.id, patch).await.unwrap();
    assert_eq!(repos.donations.get(&scope, created.id).await.unwrap().unwrap(), updated);
    assert_eq!(updated.amount.to_string(), "99.90 EUR");
    assert!(updated.receipt_sent);
    assert_eq!(updated.receipt_sent_date, Some(sent_at));

    let zero = DonationPatch { amount: Some(usd("0")), ..DonationPatch::default() };
    assert!(matches!(repos.donations.update(&scope, created.id, zero).await, Err(RepoError::Invalid(_))));

    let list = repos
        .donations
        .list(&scope, DonationFilter { donor_id: Some(donor_id), ..DonationFilter::default() }, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.items, vec![updated]);
    repos.donations.delete(&scope, created.id).await.unwrap();
    assert!(matches!(repos.donations.delete(&scope, created.id).await, Err(RepoError::NotFound)));
}
on_both_backends!(donation_create_read_update, create_read_update);

async fn a_donor_of_another_organization_is_refused(db: &TestDb) {
    let repos = repos(db);
    let a = org(&repos, "alpha").await;
    let b = org(&repos, "beta").await;
    let a_donor = donor(&repos, &a, "Ada").await;
    assert!(matches!(repos.donations.create(&b, gift(a_donor, "10.00")).await, Err(RepoError::NotFound)));
    assert!(repos.donations.totals(&b, DonationFilter::default()).await.unwrap().is_empty(), "nothing stored");
}
on_both_backends!(donation_cross_tenant_donor, a_donor_of_another_organization_is_refused);

async fn other_organizations_see_nothing(db: &TestDb) {
    let repos = repos(db);
    let a = org(&repos, "alpha").await;
    let b = org(&repos, "beta").await;
    let donation = repos.donations.create(&a, gift(donor(&repos, &a, "Ada").await, "5.00")).await.unwrap();
    assert!(repos.donations.get(&b, donation.id).await.unwrap().is_none());
    assert!(
        repos.donations.list(&b, DonationFilter::default(), PageRequest::default()).await.unwrap().items.is_empty()
    );
    let patch = DonationPatch { amount: Some(usd("1.00")), ..DonationPatch::default() };
    assert!(matches!(repos.donations.update(&b, donation.id, patch).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.donations.delete(&b, donation.id).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.donations.delete(&a, DonationId::new()).await, Err(RepoError::NotFound)));
    assert_eq!(repos.donations.get(&a, donation.id).await.unwrap().unwrap(), donation);
}
on_both_backends!(donation_isolation, other_organizations_see_nothing);

/// Inserts one donation per amount. SQLite has one writer, so concurrent inserts only queue on
/// its lock; PostgreSQL takes them eight at a time.
async fn insert_all(db: &TestDb, repos: &Repositories, scope: &OrgScope, amounts: &[Decimal]) {
    let db_is_sqlite = db.backend() == sea_orm::DatabaseBackend::Sqlite;
    let donor_id = donor(repos, scope, "Ada").await;
    futures::stream::iter(amounts.iter().map(|amount| {
        let new = gift(donor_id, &amount.to_string());
        async move { repos.donations.create(scope, new).await.unwrap() }
    }))
    .buffer_unordered(if db_is_sqlite { 1 } else { 8 })
    .collect::<Vec<_>>()
    .await;
}

async fn a_thousand_dimes_make_exactly_one_hundred(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    insert_all(db, &repos, &scope, &vec![dec!(0.10); 1000]).await;
    let totals = repos.donations.totals(&scope, DonationFilter::default()).await.unwrap();
    assert_eq!(totals.len(), 1);
    assert_eq!(totals[0].total, dec!(100.00));
    assert_eq!(totals[0].total.to_string(), "100.00");
    assert_eq!(totals[0].count, 1000);
}
on_both_backends!(money_sum_of_dimes, a_thousand_dimes_make_exactly_one_hundred);

async fn random_amounts_sum_to_the_cent(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let mut rng = rand::rng();
    let amounts: Vec<Decimal> = (0..10_000).map(|_| Decimal::new(rng.random_range(1..=99_999_999), 2)).collect();
    insert_all(db, &repos, &scope, &amounts).await;
    let expected: Decimal = amounts.iter().sum();
    let totals = repos.donations.totals(&scope, DonationFilter::default()).await.unwrap();
    assert_eq!(totals[0].total, expected);
    assert_eq!(totals[0].count, 10_000);
    let to = DonationFilter { to: Some(day(2020, 1, 1)), ..DonationFilter::default() };
    assert!(repos.donations.totals(&scope, to).await.unwrap().is_empty(), "filters apply to totals");
}
on_both_backends!(money_sum_of_random_amounts, random_amounts_sum_to_the_cent);

async fn giving_summary_is_exact_per_currency_and_year(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let ada = donor(&repos, &scope, "Ada").await;
    let other = donor(&repos, &scope, "Other").await;
    assert!(repos.donations.giving_summary(&scope, ada).await.unwrap().is_empty(), "no gifts, no summary");
    for (amount, date) in [("0.10", day(2024, 3, 1)), ("0.20", day(2024, 12, 31)), ("100.05", day(2026, 1, 1))] {
        let mut new = gift(ada, amount);
        new.date = date;
        repos.donations.create(&scope, new).await.unwrap();
    }
    let mut euros = gift(ada, "7.00");
    euros.amount = Money::parse("7.00", Currency::parse("EUR").unwrap()).unwrap();
    repos.donations.create(&scope, euros).await.unwrap();
    repos.donations.create(&scope, gift(other, "999.99")).await.unwrap();

    let summaries = repos.donations.giving_summary(&scope, ada).await.unwrap();
    assert_eq!(summaries.len(), 2);
    let usd = &summaries[0];
    assert_eq!(usd.currency, Currency::USD);
    assert_eq!(usd.lifetime_total, dec!(100.35));
    assert_eq!(usd.gift_count, 3);
    assert_eq!(usd.first_gift_date, day(2024, 3, 1));
    assert_eq!(usd.last_gift_date, day(2026, 1, 1));
    assert_eq!(usd.largest_gift.to_string(), "100.05");
    let years: Vec<(i32, String, u64)> = usd.by_year.iter().map(|y| (y.year, y.total.to_string(), y.count)).collect();
    assert_eq!(years, vec![(2024, "0.30".to_owned(), 2), (2026, "100.05".to_owned(), 1)]);
    assert_eq!(summaries[1].currency.code(), "EUR");
    assert_eq!(summaries[1].lifetime_total, dec!(7.00));

    let b = org(&repos, "beta").await;
    assert!(repos.donations.giving_summary(&b, ada).await.unwrap().is_empty(), "another organization sees nothing");
}
on_both_backends!(donation_giving_summary, giving_summary_is_exact_per_currency_and_year);
