use chrono::NaiveDate;
use givance_domain::donation::NewDonation;
use givance_domain::donor::NewDonor;
use givance_domain::organization::{NewOrganization, Slug};
use givance_domain::{Currency, DonorId, Money, OrgScope};
use givance_infra::Repositories;
use givance_tests::TestDb;

/// An organization and an all-permissions scope for it.
pub async fn org(repos: &Repositories, slug: &str) -> OrgScope {
    let new =
        NewOrganization::new(&format!("clerk_{slug}"), &format!("Org {slug}"), Slug::parse(slug).unwrap()).unwrap();
    let organization = repos.organizations.create(new).await.unwrap();
    OrgScope::for_tests(organization.id)
}

pub fn repos(db: &TestDb) -> Repositories {
    Repositories::new(db.conn())
}

pub async fn donor(repos: &Repositories, scope: &OrgScope, first: &str) -> DonorId {
    repos.donors.create(scope, NewDonor::individual(Some(first), Some("Tester")).unwrap()).await.unwrap().id
}

pub fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn gift(donor: DonorId, amount: &str) -> NewDonation {
    NewDonation::new(donor, usd(amount), day(2026, 11, 25)).unwrap()
}
