//! The communication, thread and timeline repositories on both databases: what is stored reads
//! back, last contact moves in the same write, participants stay within the organization, and
//! another organization's scope sees and changes nothing.

use givance_domain::communication::{
    CommunicationChannel, CommunicationFilter, CommunicationPatch, CommunicationStatus, Direction, NewCommunication,
    NewCommunicationThread, ThreadChannel, ThreadFilter, ThreadStaffRole, ThreadStatus,
};
use givance_domain::timeline::{TimelineKind, TimelineRequest};
use givance_domain::{PageRequest, RepoError, StaffId};
use givance_tests::{TestDb, on_both_backends};

use crate::fixtures::{donor, gift, org, repos};

fn invalid_field(result: Result<impl std::fmt::Debug, RepoError>) -> String {
    match result {
        Err(RepoError::Invalid(err)) => err.field.into_owned(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

async fn communications_threads_and_timeline(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let ada = donor(&repos, &scope, "Ada").await;
    let thread = repos
        .communication_threads
        .create(&scope, NewCommunicationThread::new(Some("Gala"), ThreadChannel::Email).unwrap())
        .await
        .unwrap();
    assert_eq!(repos.communication_threads.get(&scope, thread.id).await.unwrap().unwrap(), thread);

    let mut new = NewCommunication::new(ada, CommunicationChannel::Phone, Direction::Inbound, "Called back").unwrap();
    new.thread_id = Some(thread.id);
    new.metadata = Some(serde_json::json!({ "minutes": 12 }));
    let call = repos.communications.create(&scope, new).await.unwrap();
    assert_eq!(repos.communications.get(&scope, call.id).await.unwrap().unwrap(), call);
    let stored = repos.donors.get(&scope, ada).await.unwrap().unwrap();
    assert_eq!(stored.last_contact_date, Some(call.created_at), "an inbound call is a contact");

    let filter = CommunicationFilter { thread_id: Some(thread.id), ..CommunicationFilter::default() };
    assert_eq!(
        repos.communications.list(&scope, filter, PageRequest::default()).await.unwrap().items,
        std::slice::from_ref(&call)
    );
    let draft = CommunicationPatch { status: Some(CommunicationStatus::Draft), ..CommunicationPatch::default() };
    let changed = repos.communications.update(&scope, call.id, draft).await.unwrap();
    assert_eq!(changed.status, CommunicationStatus::Draft);

    // Participants: only the organization's.
    let missing = StaffId::new();
    assert_eq!(
        invalid_field(repos.communication_threads.add_staff(&scope, thread.id, missing, ThreadStaffRole::Owner).await),
        "staff_id"
    );
    let joined = repos.communication_threads.add_donor(&scope, thread.id, ada).await.unwrap();
    assert_eq!(repos.communication_threads.add_donor(&scope, thread.id, ada).await.unwrap(), joined);
    let by_donor = ThreadFilter { donor_id: Some(ada), status: Some(ThreadStatus::Active), ..ThreadFilter::default() };
    assert_eq!(
        repos.communication_threads.list(&scope, by_donor, PageRequest::default()).await.unwrap().items,
        std::slice::from_ref(&thread)
    );

    // The timeline: the call and a gift.
    let donation = repos.donations.create(&scope, gift(ada, "12.50")).await.unwrap();
    let request = TimelineRequest::new(None, None, TimelineKind::ALL);
    let page = repos.timelines.page(&scope, ada, request).await.unwrap();
    let kinds: Vec<TimelineKind> = page.items.iter().map(|e| e.kind()).collect();
    assert_eq!(kinds.len(), 2);
    assert!(page.items.iter().any(|e| e.id == call.id.into_uuid()));
    assert!(page.items.iter().any(|e| e.id == donation.id.into_uuid()));

    // Deleting the thread keeps the communication.
    repos.communication_threads.delete(&scope, thread.id).await.unwrap();
    assert_eq!(repos.communications.get(&scope, call.id).await.unwrap().unwrap().thread_id, None);
}
on_both_backends!(communication_repositories, communications_threads_and_timeline);

async fn other_organizations_see_nothing(db: &TestDb) {
    let repos = repos(db);
    let a = org(&repos, "alpha").await;
    let b = org(&repos, "beta").await;
    let ada = donor(&repos, &a, "Ada").await;
    let bea = donor(&repos, &b, "Bea").await;
    let thread = repos
        .communication_threads
        .create(&a, NewCommunicationThread::new(None, ThreadChannel::Phone).unwrap())
        .await
        .unwrap();
    let note = NewCommunication::new(ada, CommunicationChannel::Email, Direction::Outbound, "Hello").unwrap();
    let note = repos.communications.create(&a, note).await.unwrap();

    assert!(repos.communications.get(&b, note.id).await.unwrap().is_none());
    assert!(
        repos
            .communications
            .list(&b, CommunicationFilter::default(), PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let patch = CommunicationPatch { content: Some("Stolen".into()), ..CommunicationPatch::default() };
    assert!(matches!(repos.communications.update(&b, note.id, patch).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.communications.delete(&b, note.id).await, Err(RepoError::NotFound)));
    assert_eq!(repos.communications.get(&a, note.id).await.unwrap().unwrap(), note);

    // B's communication about A's donor, or filed under A's thread: refused, naming it.
    let theirs = NewCommunication::new(ada, CommunicationChannel::Email, Direction::Outbound, "Hi").unwrap();
    assert_eq!(invalid_field(repos.communications.create(&b, theirs).await), "donor_id");
    let mut filed = NewCommunication::new(bea, CommunicationChannel::Email, Direction::Outbound, "Hi").unwrap();
    filed.thread_id = Some(thread.id);
    assert_eq!(invalid_field(repos.communications.create(&b, filed).await), "thread_id");
    assert!(repos.donors.get(&b, bea).await.unwrap().unwrap().last_contact_date.is_none(), "nothing written");

    assert!(repos.communication_threads.get(&b, thread.id).await.unwrap().is_none());
    assert!(
        repos
            .communication_threads
            .list(&b, ThreadFilter::default(), PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(matches!(repos.communication_threads.add_donor(&b, thread.id, bea).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.communication_threads.list_staff(&b, thread.id).await, Err(RepoError::NotFound)));
    assert!(matches!(repos.communication_threads.delete(&b, thread.id).await, Err(RepoError::NotFound)));
    assert_eq!(invalid_field(repos.communication_threads.add_donor(&a, thread.id, bea).await), "donor_id");
    assert!(repos.communication_threads.list_donors(&a, thread.id).await.unwrap().is_empty());

    let request = TimelineRequest::new(None, None, TimelineKind::ALL);
    assert!(matches!(repos.timelines.page(&b, ada, request).await, Err(RepoError::NotFound)));
}
on_both_backends!(communication_isolation, other_organizations_see_nothing);
