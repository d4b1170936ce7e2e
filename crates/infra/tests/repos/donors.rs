use givance_domain::donation::DonationFilter;
use givance_domain::donor::{Address, DonorPatch, DonorQuery, DonorType, Household, NewDonor, SearchPrefix, Spouse};
use givance_domain::{CountryCode, Cursor, DonorId, EmailAddress, PageRequest, PhoneNumber, RepoError};
use givance_tests::{TestDb, on_both_backends};

use crate::fixtures::{donor, gift, org, repos};

fn couple() -> NewDonor {
    let spouse = Spouse {
        first_name: Some("Grace".into()),
        last_name: Some("Hopper".into()),
        email: Some(EmailAddress::parse("grace@example.org").unwrap()),
    };
    let mut new = NewDonor::couple(Some("Ada"), Some("Lovelace"), spouse).unwrap();
    new.external_id = Some("crm-1".into());
    new.email = Some(EmailAddress::parse("ADA@example.org").unwrap());
    new.phone = Some(PhoneNumber::parse("+1 415 555 2671").unwrap());
    new.address = Address {
        street: Some("1 Main St".into()),
        city: Some("Springfield".into()),
        state: Some("IL".into()),
        zip: Some("62701".into()),
        country: Some(CountryCode::US),
    };
    new.journey_stage = Some("prospect".into());
    new.notes = Some("Met at the gala".into());
    new.tags = vec!["major".into(), "board".into()];
    new.custom_fields = Some(serde_json::json!({"shirt": "M"}));
    new
}

async fn create_read_update(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let created = repos.donors.create(&scope, couple()).await.unwrap();
    let read = repos.donors.get(&scope, created.id).await.unwrap().unwrap();
    assert_eq!(read, created, "every field survives the round trip");
    assert_eq!(read.household.donor_type(), DonorType::Couple);
    assert_eq!(read.email.as_ref().unwrap().as_str(), "ada@example.org");
    assert_eq!(read.tags, vec!["major".to_owned(), "board".to_owned()]);
    assert_eq!(repos.donors.find_by_external_id(&scope, "crm-1").await.unwrap().unwrap().id, created.id);

    let patch = DonorPatch {
        household: Some(Household::Individual),
        phone: Some(None),
        notes: Some(None),
        tags: Some(vec!["lapsed".into()]),
        journey_stage: Some(Some("engaged".into())),
        ..DonorPatch::default()
    };
    let updated = repos.donors.update(&scope, created.id, patch).await.unwrap();
    assert_eq!(repos.donors.get(&scope, created.id).await.unwrap().unwrap(), updated);
    assert_eq!(updated.household, Household::Individual);
    assert_eq!(updated.phone, None);
    assert_eq!(updated.notes, None);
    assert_eq!(updated.tags, vec!["lapsed".to_owned()]);
    assert_eq!(updated.first_name.as_deref(), Some("Ada"), "fields not in the patch are kept");
    assert!(updated.updated_at >= created.updated_at);

    let too_long = DonorPatch { first_name: Some(Some("x".repeat(201))), ..DonorPatch::default() };
    assert!(matches!(repos.donors.update(&scope, created.id, too_long).await, Err(RepoError::Invalid(_))));
    assert_eq!(repos.donors.get(&scope, created.id).await.unwrap().unwrap(), updated, "a refused patch stores nothing");
}
on_both_backends!(donor_create_read_update, create_read_update);

async fn soft_delete_restore_and_hard_delete(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let id = donor(&repos, &scope, "Ada").await;
    let kept = donor(&repos, &scope, "Kept").await;
    repos.donations.create(&scope, gift(id, "10.00")).await.unwrap();

    repos.donors.soft_delete(&scope, id).await.unwrap();
    assert!(repos.donors.get(&scope, id).await.unwrap().is_none());
    let active = repos.donors.list(&scope, &DonorQuery::default(), PageRequest::default()).await.unwrap();
    assert_eq!(active.items.iter().map(|d| d.id).collect::<Vec<_>>(), vec![kept]);
    let deleted = repos.donors.list_deleted(&scope, PageRequest::default()).await.unwrap();
    assert_eq!(deleted.items.len(), 1);
    assert!(deleted.items[0].is_deleted());
    assert!(matches!(repos.donors.soft_delete(&scope, id).await, Err(RepoError::NotFound)), "already deleted");
    let filter = DonationFilter { donor_id: Some(id), ..DonationFilter::default() };
    assert_eq!(repos.donations.totals(&scope, filter.clone()).await.unwrap()[0].count, 1, "history is kept");

    let restored = repos.donors.restore(&scope, id).await.unwrap();
    assert!(!restored.is_deleted());
    assert!(matches!(repos.donors.restore(&scope, id).await, Err(RepoError::NotFound)), "not deleted");

    repos.donors.hard_delete(&scope, id).await.unwrap();
    assert!(repos.donors.get(&scope, id).await.unwrap().is_none());
    assert!(repos.donations.totals(&scope, filter).await.unwrap().is_empty(), "donations cascade");
    assert!(matches!(repos.donors.hard_delete(&scope, id).await, Err(RepoError::NotFound)));
}
on_both_backends!(donor_soft_delete_restore, soft_delete_restore_and_hard_delete);

async fn external_ids_are_unique_per_organization(db: &TestDb) {
    let repos = repos(db);
    let a = org(&repos, "alpha").await;
    let b = org(&repos, "beta").await;
    repos.donors.create(&a, couple()).await.unwrap();
    match repos.donors.create(&a, couple()).await {
        Err(RepoError::Conflict { constraint }) => assert_eq!(constraint, "uq_donors_org_external_id"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    repos.donors.create(&b, couple()).await.expect("another organization may use the same external id");
}
on_both_backends!(donor_external_id_conflict, external_ids_are_unique_per_organization);

async fn pages_are_newest_first_and_complete(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(donor(&repos, &scope, &format!("Donor {n}")).await);
    }
    ids.reverse();
    let mut seen: Vec<DonorId> = Vec::new();
    let mut cursor = None;
    loop {
        let page = repos.donors.list(&scope, &DonorQuery::default(), PageRequest::new(Some(3), cursor)).await.unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|d| d.id));
        match page.next_cursor {
            Some(next) => cursor = Some(givance_domain::Cursor::decode(&next).unwrap()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}
on_both_backends!(donor_keyset_pages, pages_are_newest_first_and_complete);

async fn other_organizations_see_nothing(db: &TestDb) {
    let repos = repos(db);
    let a = org(&repos, "alpha").await;
    let b = org(&repos, "beta").await;
    let created = repos.donors.create(&a, couple()).await.unwrap();

    assert!(repos.donors.get(&b, created.id).await.unwrap().is_none());
    assert!(repos.donors.find_by_external_id(&b, "crm-1").await.unwrap().is_none());
    assert!(repos.donors.list(&b, &DonorQuery::default(), PageRequest::default()).await.unwrap().items.is_empty());
    let patch = DonorPatch { first_name: Some(Some("Mallory".into())), ..DonorPatch::default() };
    assert!(matches!(repos.donors.update(&b, created.id, patch).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.donors.soft_delete(&b, created.id).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.donors.restore(&b, created.id).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.donors.hard_delete(&b, created.id).await, Err(RepoError::NotFound)));
    assert_eq!(repos.donors.get(&a, created.id).await.unwrap().unwrap(), created, "org A's donor is unchanged");
}
on_both_backends!(donor_isolation, other_organizations_see_nothing);

async fn meets_the_donor_repository_contract(db: &TestDb) {
    let repos = repos(db);
    let a = org(&repos, "alpha").await;
    let b = org(&repos, "beta").await;
    givance_domain::testing::donor_repository_contract(repos.donors.as_ref(), &a, &b).await;
}
on_both_backends!(donor_contract, meets_the_donor_repository_contract);

async fn filters_combine(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let smith = repos.donors.create(&scope, couple()).await.unwrap();
    let mut plain = NewDonor::individual(Some("Smita"), Some("Rao")).unwrap();
    plain.journey_stage = Some("engaged".into());
    plain.tags = vec!["board".into()];
    let smita = repos.donors.create(&scope, plain).await.unwrap();
    let other = donor(&repos, &scope, "Zed").await;

    let ids = async |query: DonorQuery| -> Vec<DonorId> {
        repos.donors.list(&scope, &query, PageRequest::default()).await.unwrap().items.iter().map(|d| d.id).collect()
    };
    let search = |q: &str| DonorQuery { search: Some(SearchPrefix::parse(q).unwrap()), ..DonorQuery::default() };
    assert_eq!(ids(search("SMI")).await, vec![smita.id], "Smita by first name; Lovelace is not a prefix match");
    assert_eq!(ids(search("love")).await, vec![smith.id], "by last name, any case");
    assert_eq!(ids(search("ada@")).await, vec![smith.id], "by email");
    assert!(ids(search("%")).await.is_empty(), "wildcards are literal");
    assert_eq!(ids(DonorQuery { tag: Some("board".into()), ..DonorQuery::default() }).await, vec![smita.id, smith.id]);
    assert_eq!(ids(DonorQuery { tag: Some("major".into()), ..DonorQuery::default() }).await, vec![smith.id]);
    assert_eq!(ids(DonorQuery { donor_type: Some(DonorType::Couple), ..DonorQuery::default() }).await, vec![smith.id]);
    assert_eq!(
        ids(DonorQuery { donor_type: Some(DonorType::Individual), ..DonorQuery::default() }).await,
        vec![other, smita.id]
    );
    assert_eq!(ids(DonorQuery { has_email: Some(true), ..DonorQuery::default() }).await, vec![smith.id]);
    assert_eq!(
        ids(DonorQuery { journey_stage: Some("engaged".into()), tag: Some("board".into()), ..DonorQuery::default() })
            .await,
        vec![smita.id]
    );
    let window = DonorQuery {
        created_from: Some(smita.created_at),
        created_to: Some(smita.created_at + chrono::Duration::microseconds(1)),
        ..DonorQuery::default()
    };
    assert_eq!(ids(window).await, vec![smita.id], "from is inclusive, to exclusive");
    let oldest = DonorQuery { sort: givance_domain::donor::DonorSort::Oldest, ..DonorQuery::default() };
    assert_eq!(ids(oldest).await, vec![smith.id, smita.id, other]);
}
on_both_backends!(donor_filters, filters_combine);

/// The search's two plans (a prefix shorter than the three-character index key filters the
/// newest-first list; a longer one reads the key indexes per term) give the same pages: every
/// match once, in order, across cursor pages, in both directions and with other filters.
async fn search_pages_through_every_match(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let mut matches = Vec::new();
    for i in 0..7 {
        // Matches "smi" by first name, by last name, by email, or by two terms at once.
        let (first, last, email) = match i % 4 {
            0 => ("Smith", "Jones", None),
            1 => ("Ann", "Smithers", None),
            2 => ("Bo", "Lee", Some("smiley@example.org")),
            _ => ("Smilla", "Smit", Some("smilla@example.org")),
        };
        let mut new = NewDonor::individual(Some(first), Some(last)).unwrap();
        new.email = email.map(|e| EmailAddress::parse(e).unwrap());
        new.journey_stage = Some(if i < 4 { "prospect" } else { "engaged" }.into());
        matches.push(repos.donors.create(&scope, new).await.unwrap().id);
    }
    for name in ["Sam", "Smyth", "Osmin"] {
        donor(&repos, &scope, name).await;
    }
    let newest_first: Vec<DonorId> = matches.iter().rev().copied().collect();

    let pages = async |query: DonorQuery| -> Vec<DonorId> {
        let mut seen = Vec::new();
        let mut request = PageRequest::new(Some(2), None);
        loop {
            let page = repos.donors.list(&scope, &query, request).await.unwrap();
            assert!(page.items.len() <= 2);
            seen.extend(page.items.iter().map(|d| d.id));
            match page.next_cursor {
                Some(cursor) => request = PageRequest::new(Some(2), Some(Cursor::decode(&cursor).unwrap())),
                None => return seen,
            }
        }
    };
    let search = |q: &str| DonorQuery { search: Some(SearchPrefix::parse(q).unwrap()), ..DonorQuery::default() };
    assert_eq!(pages(search("smi")).await, newest_first, "a key-length prefix, each donor once");
    assert_eq!(pages(search("Sm")).await.len(), 8, "a short prefix: the 7 and Smyth");
    assert_eq!(
        pages(search("smith")).await,
        vec![matches[5], matches[4], matches[1], matches[0]],
        "longer than the key"
    );
    let oldest = DonorQuery { sort: givance_domain::donor::DonorSort::Oldest, ..search("smi") };
    assert_eq!(pages(oldest).await, matches, "oldest first");
    let engaged = DonorQuery { journey_stage: Some("engaged".into()), ..search("smi") };
    assert_eq!(pages(engaged).await, vec![matches[6], matches[5], matches[4]], "with another filter");
    assert!(pages(search("smi_")).await.is_empty(), "no wildcards on the key path either");
}
on_both_backends!(donor_search_pages, search_pages_through_every_match);
