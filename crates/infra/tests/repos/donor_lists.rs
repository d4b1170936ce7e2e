//! Donor list repository on both databases: a round trip of each kind, bulk member changes in
//! one transaction (all or nothing), counts that follow donor deletions, and isolation between
//! organizations (a list or donor of org A is invisible to, and unchanged by, org B).

use givance_domain::donor_list::{DonorFilter, DonorListPatch, ListDefinition, MemberChange, NewDonorList, TagFilter};
use givance_domain::{DonorId, DonorListId, PageRequest, RepoError};
use givance_tests::{TestDb, on_both_backends};

use crate::fixtures::{donor, gift, org, repos};

fn with_gifts(min: u32) -> DonorFilter {
    DonorFilter {
        gift_count: Some(givance_domain::donor_list::CountRange { min: Some(min), max: None }),
        ..DonorFilter::default()
    }
}

async fn round_trips_and_members(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let lists = &repos.donor_lists;
    let (ann, bob) = (donor(&repos, &scope, "Ann").await, donor(&repos, &scope, "Bob").await);
    repos.donations.create(&scope, gift(bob, "10.00")).await.unwrap();

    let fixed = lists.create(&scope, NewDonorList::new("Fixed", Some("desc")).unwrap()).await.unwrap();
    assert_eq!(lists.get(&scope, fixed.id).await.unwrap().unwrap(), fixed);
    let givers = lists.create(&scope, NewDonorList::dynamic("Givers", None, with_gifts(1)).unwrap()).await.unwrap();
    assert_eq!(givers.donor_count, 1, "a dynamic list is counted on create");
    let read = lists.get(&scope, givers.id).await.unwrap().unwrap();
    assert_eq!(read, givers, "the filter reads back as written");

    let change = lists.add_members(&scope, fixed.id, vec![ann, bob, ann]).await.unwrap();
    assert_eq!(change, MemberChange { changed: 2, donor_count: 2 });
    // All or nothing: one unknown donor refuses the batch.
    let unknown = DonorId::new();
    let refused = lists.add_members(&scope, fixed.id, vec![ann, unknown]).await;
    assert!(matches!(&refused, Err(RepoError::Invalid(e)) if e.message.contains(&unknown.to_string())), "{refused:?}");
    let removed = lists.remove_members(&scope, fixed.id, vec![ann, unknown]).await.unwrap();
    assert_eq!(removed, MemberChange { changed: 1, donor_count: 1 });
    let members = lists.members(&scope, fixed.id, PageRequest::default()).await.unwrap();
    assert_eq!(members.items.iter().map(|d| d.id).collect::<Vec<_>>(), [bob]);
    assert!(matches!(
        lists.add_members(&scope, givers.id, vec![ann]).await,
        Err(RepoError::Invalid(e)) if e.field == "type"
    ));

    // A new filter recounts; a static list refuses one.
    let everyone = DonorListPatch { filter: Some(DonorFilter::default()), ..DonorListPatch::default() };
    assert_eq!(lists.update(&scope, givers.id, everyone.clone()).await.unwrap().donor_count, 2);
    assert!(matches!(lists.update(&scope, fixed.id, everyone).await, Err(RepoError::Invalid(_))));

    // Erasing a member: the membership goes, the next count shows it.
    repos.donors.hard_delete(&scope, bob).await.unwrap();
    assert_eq!(lists.recount(&scope, fixed.id).await.unwrap().donor_count, 0);
    assert_eq!(lists.recount(&scope, givers.id).await.unwrap().donor_count, 1);

    let snapshot = lists.freeze(&scope, givers.id, Some("Snap".into())).await.unwrap();
    assert_eq!(snapshot.definition, ListDefinition::Static);
    assert_eq!(snapshot.donor_count, 1);
    assert!(matches!(lists.freeze(&scope, snapshot.id, None).await, Err(RepoError::Invalid(_))));

    let page = lists.list(&scope, PageRequest::default()).await.unwrap();
    let names: Vec<&str> = page.items.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Snap", "Givers", "Fixed"], "newest first");
    lists.delete(&scope, snapshot.id).await.unwrap();
    assert!(lists.get(&scope, snapshot.id).await.unwrap().is_none());
    assert!(repos.donors.get(&scope, ann).await.unwrap().is_some(), "the donors stay");
}
on_both_backends!(donor_list_round_trip, round_trips_and_members);

async fn other_organizations_see_and_change_nothing(db: &TestDb) {
    let repos = repos(db);
    let (a, b) = (org(&repos, "hope").await, org(&repos, "other").await);
    let lists = &repos.donor_lists;
    let ann = donor(&repos, &a, "Ann").await;
    let theirs = donor(&repos, &b, "Tom").await;
    let vip = DonorFilter { tags: Some(TagFilter { any: vec!["vip".into()], all: vec![] }), ..DonorFilter::default() };
    let list = lists.create(&a, NewDonorList::new("Mine", None).unwrap()).await.unwrap();
    lists.create(&a, NewDonorList::dynamic("VIP", None, vip).unwrap()).await.unwrap();
    lists.add_members(&a, list.id, vec![ann]).await.unwrap();

    assert!(lists.get(&b, list.id).await.unwrap().is_none());
    assert!(lists.list(&b, PageRequest::default()).await.unwrap().items.is_empty());
    let not_found = |r: Result<_, RepoError>| matches!(r, Err(RepoError::NotFound));
    assert!(not_found(lists.update(&b, list.id, DonorListPatch::default()).await.map(|_| ())));
    assert!(not_found(lists.add_members(&b, list.id, vec![theirs]).await.map(|_| ())));
    assert!(not_found(lists.remove_members(&b, list.id, vec![ann]).await.map(|_| ())));
    assert!(not_found(lists.members(&b, list.id, PageRequest::default()).await.map(|_| ())));
    assert!(not_found(lists.recount(&b, list.id).await.map(|_| ())));
    assert!(not_found(lists.freeze(&b, list.id, None).await.map(|_| ())));
    assert!(not_found(lists.delete(&b, list.id).await));
    assert!(not_found(lists.get(&a, DonorListId::new()).await.and_then(|l| l.ok_or(RepoError::NotFound)).map(|_| ())));
    // Another organization's donor cannot join my list.
    assert!(matches!(lists.add_members(&a, list.id, vec![theirs]).await, Err(RepoError::Invalid(_))));
    // Their "everyone" list holds only their donors.
    let everyone = lists.create(&b, NewDonorList::dynamic("All", None, DonorFilter::default()).unwrap()).await.unwrap();
    assert_eq!(everyone.donor_count, 1);
    let members = lists.members(&b, everyone.id, PageRequest::default()).await.unwrap();
    assert_eq!(members.items.iter().map(|d| d.id).collect::<Vec<_>>(), [theirs]);

    let unchanged = lists.get(&a, list.id).await.unwrap().unwrap();
    assert_eq!((unchanged.name.as_str(), unchanged.donor_count), ("Mine", 1));
}
on_both_backends!(donor_list_isolation, other_organizations_see_and_change_nothing);
