//! The staff directory and its guarded writes, on both databases: members listed with their
//! users and filtered, invitations (a user found case-insensitively or created with a placeholder
//! clerk id, one membership per organization), the active-admin guard, profile changes reached
//! through a staff row, and isolation between organizations.

use givance_domain::staff::{INVITED_CLERK_ID_PREFIX, Invitation, NewStaff, Role, StaffFilter, StaffPatch};
use givance_domain::user::{NewUser, UserPatch};
use givance_domain::{EmailAddress, OrgScope, PageRequest, RepoError, StaffId, UserId};
use givance_infra::Repositories;
use givance_tests::{TestDb, on_both_backends};
use sea_orm::ConnectionTrait;

use crate::fixtures::{org, repos};

async fn user(repos: &Repositories, name: &str) -> UserId {
    let email = EmailAddress::parse(&format!("{name}@example.org")).unwrap();
    repos.users.create(NewUser::new(&format!("user_{name}"), email, Some(name), None).unwrap()).await.unwrap().id
}

async fn staff(repos: &Repositories, scope: &OrgScope, name: &str, role: Role) -> StaffId {
    let user_id = user(repos, name).await;
    repos.staff.create(scope, NewStaff { user_id, role, permissions: vec![] }).await.unwrap().id
}

fn invitation(email: &str, role: Role) -> Invitation {
    Invitation {
        email: EmailAddress::parse(email).unwrap(),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        role,
        permissions: vec!["donations:read".into()],
    }
}

fn ids(page: &givance_domain::Page<givance_domain::staff::StaffMember>) -> Vec<StaffId> {
    page.items.iter().map(|m| m.staff.id).collect()
}

async fn members_are_listed_with_their_users(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let admin = staff(&repos, &scope, "ada", Role::Admin).await;
    let viewer = staff(&repos, &scope, "vic", Role::Viewer).await;
    let gone = staff(&repos, &scope, "gus", Role::Viewer).await;
    repos.staff.deactivate(&scope, gone).await.unwrap();

    let all = repos.staff.list_members(&scope, StaffFilter::default(), PageRequest::first(10)).await.unwrap();
    assert_eq!(ids(&all), vec![gone, viewer, admin]);
    assert_eq!(all.items[2].user.email.as_str(), "ada@example.org");
    assert_eq!(all.items[2].user.first_name.as_deref(), Some("ada"));

    let viewers = StaffFilter { role: Some(Role::Viewer), ..StaffFilter::default() };
    let page = repos.staff.list_members(&scope, viewers, PageRequest::first(10)).await.unwrap();
    assert_eq!(ids(&page), vec![gone, viewer]);
    let active_viewers = StaffFilter { is_active: Some(true), ..viewers };
    assert_eq!(
        ids(&repos.staff.list_members(&scope, active_viewers, PageRequest::first(10)).await.unwrap()),
        vec![viewer]
    );
    let inactive = StaffFilter { is_active: Some(false), ..StaffFilter::default() };
    assert_eq!(ids(&repos.staff.list_members(&scope, inactive, PageRequest::first(10)).await.unwrap()), vec![gone]);

    // Keyset pages of one.
    let first = repos.staff.list_members(&scope, StaffFilter::default(), PageRequest::first(1)).await.unwrap();
    let cursor = givance_domain::Cursor::decode(first.next_cursor.as_deref().unwrap()).unwrap();
    let second = repos
        .staff
        .list_members(&scope, StaffFilter::default(), PageRequest::new(Some(1), Some(cursor)))
        .await
        .unwrap();
    assert_eq!((ids(&first), ids(&second)), (vec![gone], vec![viewer]));

    let one = repos.staff.get_member(&scope, viewer).await.unwrap().unwrap();
    assert_eq!(one.user.email.as_str(), "vic@example.org");
    assert!(repos.staff.get_member(&scope, StaffId::new()).await.unwrap().is_none());
    assert_eq!(repos.staff.count_active_admins(&scope).await.unwrap(), 1);
}
on_both_backends!(staff_directory_lists_members, members_are_listed_with_their_users);

async fn invitations_find_or_create_the_user(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let other = org(&repos, "other").await;

    // A new address: a new user with a placeholder clerk id and the invitation's names.
    let invited = repos.staff.invite(&scope, invitation("new@example.org", Role::Fundraiser)).await.unwrap();
    assert!(invited.user.clerk_id.starts_with(INVITED_CLERK_ID_PREFIX), "{}", invited.user.clerk_id);
    assert_eq!(invited.user.first_name.as_deref(), Some("Ada"));
    assert_eq!(
        (invited.staff.role, invited.staff.permissions.clone()),
        (Role::Fundraiser, vec!["donations:read".to_owned()])
    );
    assert!(invited.staff.is_active);
    assert_eq!(repos.staff.get_member(&scope, invited.staff.id).await.unwrap().unwrap(), invited);

    // An existing user (stored with another case) is reused, their names kept.
    let existing = user(&repos, "bea").await;
    db.conn()
        .execute_unprepared("UPDATE users SET email = 'Bea@Example.ORG' WHERE clerk_id = 'user_bea'")
        .await
        .unwrap();
    let reused = repos.staff.invite(&scope, invitation("bea@example.org", Role::Viewer)).await.unwrap();
    assert_eq!(reused.user.id, existing);
    assert_eq!(reused.user.first_name.as_deref(), Some("bea"));

    // Staff already: a conflict, nothing written; the same user may join another organization.
    match repos.staff.invite(&scope, invitation("BEA@example.org", Role::Admin)).await {
        Err(RepoError::Conflict { constraint }) => assert_eq!(constraint, "uq_staff_org_user"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let listed = repos.staff.list_members(&scope, StaffFilter::default(), PageRequest::first(10)).await.unwrap();
    assert_eq!(ids(&listed), vec![reused.staff.id, invited.staff.id]);
    let elsewhere = repos.staff.invite(&other, invitation("new@example.org", Role::Viewer)).await.unwrap();
    assert_eq!(elsewhere.user.id, invited.user.id, "one user, staff of two organizations");
}
on_both_backends!(staff_invitations, invitations_find_or_create_the_user);

async fn an_active_admin_always_remains(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let ada = staff(&repos, &scope, "ada", Role::Admin).await;
    let bob = staff(&repos, &scope, "bob", Role::Admin).await;
    let demote = || StaffPatch { role: Some(Role::Manager), ..StaffPatch::default() };
    let deactivate = || StaffPatch { is_active: Some(false), ..StaffPatch::default() };

    assert_eq!(repos.staff.count_active_admins(&scope).await.unwrap(), 2);
    let bob_now = repos.staff.update_keeping_an_admin(&scope, bob, demote()).await.unwrap().unwrap();
    assert_eq!(bob_now.role, Role::Manager);
    assert_eq!(repos.staff.get(&scope, bob).await.unwrap().unwrap(), bob_now);

    let before = repos.staff.get(&scope, ada).await.unwrap().unwrap();
    assert!(repos.staff.update_keeping_an_admin(&scope, ada, demote()).await.unwrap().is_none());
    assert!(repos.staff.update_keeping_an_admin(&scope, ada, deactivate()).await.unwrap().is_none());
    assert_eq!(repos.staff.get(&scope, ada).await.unwrap().unwrap(), before, "nothing written");

    // A deactivated admin does not count.
    let cy = staff(&repos, &scope, "cy", Role::Admin).await;
    repos.staff.deactivate(&scope, cy).await.unwrap();
    assert_eq!(repos.staff.count_active_admins(&scope).await.unwrap(), 1);
    assert!(repos.staff.update_keeping_an_admin(&scope, ada, demote()).await.unwrap().is_none());
    assert!(matches!(
        repos.staff.update_keeping_an_admin(&scope, StaffId::new(), demote()).await,
        Err(RepoError::NotFound)
    ));
}
on_both_backends!(staff_last_admin_guard, an_active_admin_always_remains);

async fn profiles_change_through_the_organizations_staff(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let other = org(&repos, "other").await;
    let ada = staff(&repos, &scope, "ada", Role::Admin).await;
    let patch = || UserPatch { email_signature: Some(Some("<p>Ada</p>".into())), ..UserPatch::default() };

    let changed = repos.staff.update_user(&scope, ada, patch()).await.unwrap();
    assert_eq!(changed.user.email_signature.as_deref(), Some("<p>Ada</p>"));
    assert_eq!(repos.staff.get_member(&scope, ada).await.unwrap().unwrap().user, changed.user);

    let too_long = UserPatch { email_signature: Some(Some("x".repeat(10_001))), ..UserPatch::default() };
    assert!(matches!(repos.staff.update_user(&scope, ada, too_long).await, Err(RepoError::Invalid(_))));

    // Another organization reaches no user through this staff id; nothing changes.
    let clear = UserPatch { email_signature: Some(None), first_name: Some(None), ..UserPatch::default() };
    assert!(matches!(repos.staff.update_user(&other, ada, clear).await, Err(RepoError::NotFound)));
    assert!(repos.staff.get_member(&other, ada).await.unwrap().is_none());
    assert!(
        repos
            .staff
            .list_members(&other, StaffFilter::default(), PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(repos.staff.count_active_admins(&other).await.unwrap(), 0);
    let demote = StaffPatch { role: Some(Role::Viewer), ..StaffPatch::default() };
    assert!(matches!(repos.staff.update_keeping_an_admin(&other, ada, demote).await, Err(RepoError::NotFound)));
    assert_eq!(repos.staff.get_member(&scope, ada).await.unwrap().unwrap(), changed);
}
on_both_backends!(staff_profiles_and_isolation, profiles_change_through_the_organizations_staff);

async fn concurrent_demotions_leave_an_admin(db: &TestDb) {
    let repos = repos(db);
    for round in 0..5 {
        let scope = org(&repos, &format!("hope{round}")).await;
        let ada = staff(&repos, &scope, &format!("ada{round}"), Role::Admin).await;
        let bob = staff(&repos, &scope, &format!("bob{round}"), Role::Admin).await;
        let demote = || StaffPatch { role: Some(Role::Viewer), ..StaffPatch::default() };
        let (a, b) = tokio::join!(
            repos.staff.update_keeping_an_admin(&scope, ada, demote()),
            repos.staff.update_keeping_an_admin(&scope, bob, demote()),
        );
        // Exactly one wins; the other is refused (or, on a busy SQLite database, fails outright).
        let demoted = [&a, &b].into_iter().filter(|r| matches!(r, Ok(Some(_)))).count();
        assert_eq!(demoted, 1, "round {round}: {a:?} / {b:?}");
        assert_eq!(repos.staff.count_active_admins(&scope).await.unwrap(), 1, "round {round}");
    }
}
on_both_backends!(staff_concurrent_demotions, concurrent_demotions_leave_an_admin);
