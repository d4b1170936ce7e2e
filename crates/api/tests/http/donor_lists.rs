//! Donor lists over HTTP on both databases: static lists with bulk, idempotent member changes
//! (limits, unknown and other organizations' donors refused with nothing stored), dynamic lists
//! for each filter criterion and combinations, invalid filters (422 naming the JSON path),
//! counts kept current through donor deletions, keyset pages of members, freezing, permissions
//! and isolation between organizations.

use actix_web::test::{self, TestRequest};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use givance_domain::donation::NewDonation;
use givance_domain::staff::Role;
use givance_domain::{Currency, DonorId, Money, OrgScope, OrganizationId};
use givance_infra::Repositories;
use givance_tests::{TestDb, on_both_backends};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Query};
use serde_json::{Value, json};

use crate::support::{call, fields, problem, state};
use crate::tenants::{delete, get, json_of, key_for, member, organization, patch, post, repos};

const LISTS: &str = "/api/v1/donor-lists";

fn uri(list: &Value, tail: &str) -> String {
    format!("{LISTS}/{}{tail}", list["id"].as_str().unwrap())
}

/// Creates a list; returns its JSON.
macro_rules! create {
    ($app:expr, $token:expr, $body:expr) => {{
        let (status, _, body) = call!($app, post($token, LISTS, $body));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)
    }};
}

/// Creates a donor over HTTP from `body`; returns its id.
macro_rules! donor {
    ($app:expr, $token:expr, $body:expr) => {{
        let (status, _, body) = call!($app, post($token, "/api/v1/donors", $body));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)["id"].as_str().unwrap().to_owned()
    }};
}

/// Every member of a list, following `next_cursor` with pages of `limit`; returns the donors'
/// first names in page order.
macro_rules! members {
    ($app:expr, $token:expr, $list:expr, $limit:expr) => {{
        let mut names: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut uri = format!("{}?limit={}", uri($list, "/members"), $limit);
            if let Some(c) = &cursor {
                uri.push_str(&format!("&cursor={c}"));
            }
            let (status, _, body) = call!($app, get($token, &uri));
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            let page = json_of(&body);
            let data = page["data"].as_array().unwrap();
            assert!(data.len() <= $limit);
            names.extend(data.iter().map(|d| d["first_name"].as_str().unwrap_or_default().to_owned()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        names
    }};
}

/// Adds (or with `/remove`, removes) `ids`; yields `(status, body)`.
macro_rules! change {
    ($app:expr, $token:expr, $list:expr, $tail:expr, $ids:expr) => {{
        let (status, headers, body) = call!($app, post($token, &uri($list, $tail), json!({ "donor_ids": $ids })));
        (status, headers, body)
    }};
}

fn donor_id(raw: &str) -> DonorId {
    DonorId::from_uuid(raw.parse().unwrap())
}

async fn gift(repos: &Repositories, scope: &OrgScope, donor: &str, amount: &str, currency: &str, date: &str) {
    let money = Money::parse(amount, Currency::parse(currency).unwrap()).unwrap();
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    repos.donations.create(scope, NewDonation::new(donor_id(donor), money, date).unwrap()).await.unwrap();
}

/// A research row, written directly: the research feature has no API yet.
async fn research(
    db: &TestDb,
    org: OrganizationId,
    donor: &str,
    status: &str,
    capacity: Option<&str>,
    at: DateTime<Utc>,
) {
    let columns = ["id", "organization_id", "donor_id", "status", "giving_capacity", "created_at", "updated_at"];
    let insert = Query::insert()
        .into_table(Alias::new("person_research"))
        .columns(columns.map(Alias::new))
        .values_panic([
            uuid::Uuid::now_v7().into(),
            org.into_uuid().into(),
            donor_id(donor).into_uuid().into(),
            status.into(),
            capacity.map(str::to_owned).into(),
            at.into(),
            at.into(),
        ])
        .to_owned();
    db.conn().execute(&insert).await.unwrap();
}

async fn static_lists_hold_members_in_bulk(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    let list = create!(&app, &admin.key, json!({ "name": " Gala guests ", "description": "2026 gala" }));
    assert_eq!(list["name"], "Gala guests");
    assert_eq!(list["type"], "static");
    assert_eq!(list["filters"], Value::Null);
    assert_eq!(list["donor_count"], 0);

    let names = ["Ann", "Bob", "Cid", "Dot", "Eli"];
    let mut ids = Vec::new();
    for name in names {
        ids.push(donor!(&app, &admin.key, json!({ "first_name": name })));
    }

    // Adding: repeats in one call count once; adding again changes nothing.
    let (status, _, body) = change!(&app, &admin.key, &list, "/members", [&ids[0], &ids[1], &ids[2], &ids[0]]);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body), json!({ "changed": 3, "donor_count": 3 }));
    let (_, _, body) = change!(&app, &admin.key, &list, "/members", [&ids[1], &ids[2], &ids[3]]);
    assert_eq!(json_of(&body), json!({ "changed": 1, "donor_count": 4 }));
    let (_, _, body) = change!(&app, &admin.key, &list, "/members", [&ids[3]]);
    assert_eq!(json_of(&body), json!({ "changed": 0, "donor_count": 4 }));

    // Removing: a donor who is not a member, or no donor at all, is fine.
    let nobody = uuid::Uuid::now_v7().to_string();
    let (status, _, body) = change!(&app, &admin.key, &list, "/members/remove", [&ids[4], &nobody]);
    assert_eq!(status, 200);
    assert_eq!(json_of(&body), json!({ "changed": 0, "donor_count": 4 }));
    let (_, _, body) = change!(&app, &admin.key, &list, "/members/remove", [&ids[3], &ids[3]]);
    assert_eq!(json_of(&body), json!({ "changed": 1, "donor_count": 3 }));

    // Members, newest donors first, over pages of two.
    assert_eq!(members!(&app, &admin.key, &list, 2), ["Cid", "Bob", "Ann"]);
    let (_, _, body) = call!(&app, get(&admin.key, &uri(&list, "")));
    assert_eq!(json_of(&body)["donor_count"], 3);

    // A soft-deleted donor leaves the members and the count; restored, it is back.
    assert_eq!(call!(&app, delete(&admin.key, &format!("/api/v1/donors/{}", ids[1]))).0, 204);
    assert_eq!(members!(&app, &admin.key, &list, 50), ["Cid", "Ann"]);
    let (_, _, body) = call!(&app, get(&admin.key, &uri(&list, "")));
    assert_eq!(json_of(&body)["donor_count"], 2, "reading the list recounts it");
    // A soft-deleted donor cannot be added.
    let (status, headers, body) = change!(&app, &admin.key, &list, "/members", [&ids[1]]);
    let refused = problem(status, &headers, &body, "validation_failed");
    assert_eq!(status, 422);
    assert!(refused["detail"].as_str().unwrap().contains(&ids[1]), "{refused}");

    // A hard-deleted (erased) donor's membership goes with it; the list keeps working.
    let scope = OrgScope::for_tests(hope.id);
    repos.donors.hard_delete(&scope, donor_id(&ids[2])).await.unwrap();
    assert_eq!(members!(&app, &admin.key, &list, 50), ["Ann"]);
    let (_, _, body) = call!(&app, post(&admin.key, &uri(&list, "/refresh"), json!({})));
    assert_eq!(json_of(&body)["donor_count"], 1);
    let (_, _, body) = call!(&app, get(&admin.key, LISTS));
    assert_eq!(json_of(&body)["data"][0]["donor_count"], 1, "the refreshed count is stored");

    // Updating: name and description; filters are refused on a static list.
    let (status, _, body) =
        call!(&app, patch(&admin.key, &uri(&list, ""), json!({ "name": "Guests", "description": null })));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let updated = json_of(&body);
    assert_eq!((updated["name"].as_str(), updated["description"].as_str()), (Some("Guests"), None));
    let (status, headers, body) = call!(&app, patch(&admin.key, &uri(&list, ""), json!({ "filters": {} })));
    assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["filters"]);
    let (status, headers, body) = call!(&app, patch(&admin.key, &uri(&list, ""), json!({ "name": null })));
    assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["name"]);

    // Deleting the list keeps the donors.
    assert_eq!(call!(&app, delete(&admin.key, &uri(&list, ""))).0, 204);
    assert_eq!(call!(&app, get(&admin.key, &uri(&list, ""))).0, 404);
    assert_eq!(call!(&app, get(&admin.key, &format!("/api/v1/donors/{}", ids[0]))).0, 200);
    assert_eq!(call!(&app, delete(&admin.key, &uri(&list, ""))).0, 404);
}
on_both_backends!(donor_list_static, static_lists_hold_members_in_bulk);

async fn member_batches_are_bounded_and_all_or_nothing(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let stranger = member(&repos, &other, "sam", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let list = create!(&app, &admin.key, json!({ "name": "Big" }));
    let dynamic = create!(&app, &admin.key, json!({ "name": "All", "filters": {} }));
    assert_eq!(dynamic["type"], "dynamic");

    // 200 real donors in one call.
    let mut mine = Vec::new();
    for i in 0..200 {
        mine.push(donor!(&app, &admin.key, json!({ "first_name": format!("D{i:03}") })));
    }
    let (status, _, body) = change!(&app, &admin.key, &list, "/members", &mine);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body), json!({ "changed": 200, "donor_count": 200 }));
    let all = members!(&app, &admin.key, &list, 7);
    assert_eq!(all.len(), 200);
    let expected: Vec<String> = (0..200).rev().map(|i| format!("D{i:03}")).collect();
    assert_eq!(all, expected, "pages cover every member once, newest first");

    // 10,000 ids pass the limit and are checked in bulk; unknown ones are named, nothing is added.
    let unknown: Vec<String> = (0..10_000).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let (status, headers, body) = change!(&app, &admin.key, &list, "/members", &unknown);
    let refused = problem(status, &headers, &body, "validation_failed");
    assert_eq!(status, 422);
    assert_eq!(fields(&refused), ["donor_ids"]);
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains(&unknown[0]) && detail.ends_with("and 9980 more"), "{detail}");
    // 10,001 ids: refused before anything is read.
    let too_many: Vec<String> = mine.iter().cycle().take(10_001).cloned().collect();
    for tail in ["/members", "/members/remove"] {
        let (status, headers, body) = change!(&app, &admin.key, &list, tail, &too_many);
        assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["donor_ids"]);
        let (status, headers, body) = change!(&app, &admin.key, &list, tail, Vec::<String>::new());
        assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["donor_ids"]);
    }
    let (status, headers, body) = change!(&app, &admin.key, &list, "/members", [&mine[0], "not-a-uuid"]);
    assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["donor_ids[1]"]);
    let (status, headers, body) = call!(&app, post(&admin.key, &uri(&list, "/members"), json!({ "ids": [] })));
    problem(status, &headers, &body, "invalid_json");

    // Another organization's donor among mine: 422 naming it, nothing of the batch is added.
    let theirs = donor!(&app, &stranger.key, json!({ "first_name": "Theirs" }));
    let (_, _, body) = change!(&app, &admin.key, &list, "/members/remove", &mine[..10]);
    assert_eq!(json_of(&body), json!({ "changed": 10, "donor_count": 190 }));
    let (status, headers, body) = change!(&app, &admin.key, &list, "/members", [&mine[0], &theirs, &mine[1]]);
    let refused = problem(status, &headers, &body, "validation_failed");
    assert_eq!(status, 422);
    assert!(refused["detail"].as_str().unwrap().contains(&theirs), "{refused}");
    assert!(!refused["detail"].as_str().unwrap().contains(&mine[0]), "{refused}");
    let (_, _, body) = call!(&app, get(&admin.key, &uri(&list, "")));
    assert_eq!(json_of(&body)["donor_count"], 190, "nothing was added");
    assert!(!members!(&app, &admin.key, &list, 200).contains(&"D000".to_owned()));

    // Removing all at once, then again: idempotent.
    for expected_change in [190, 0] {
        let (_, _, body) = change!(&app, &admin.key, &list, "/members/remove", &mine);
        assert_eq!(json_of(&body), json!({ "changed": expected_change, "donor_count": 0 }));
    }

    // A dynamic list has no stored members to change.
    for tail in ["/members", "/members/remove"] {
        let (status, headers, body) = change!(&app, &admin.key, &dynamic, tail, [&mine[0]]);
        assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["type"]);
    }
}
on_both_backends!(donor_list_batches, member_batches_are_bounded_and_all_or_nothing);

/// The donors of the filter tests, by first name (see the table in `each_filter_criterion`).
async fn filter_fixture(db: &TestDb, repos: &Repositories, org: OrganizationId, key: &str) -> DateTime<Utc> {
    let app = test::init_service(givance_api::app(crate::support::state(db))).await;
    let scope = OrgScope::for_tests(org);
    let ada = donor!(
        &app,
        key,
        json!({
            "first_name": "Ada", "journey_stage": "prospect", "tags": ["vip", "gala"], "email": "ada@example.org",
            "address_city": "Boston", "address_state": "MA", "address_country": "US"
        })
    );
    let ben = donor!(
        &app,
        key,
        json!({
            "first_name": "Ben", "donor_type": "couple", "spouse_first_name": "Bea", "journey_stage": "donor",
            "tags": ["vip"], "address_city": "boston", "address_state": "ma", "address_country": "US"
        })
    );
    let _cy = donor!(
        &app,
        key,
        json!({
            "first_name": "Cy", "donor_type": "individual", "journey_stage": "donor", "tags": ["gala"],
            "email": "cy@example.org", "address_city": "Toronto", "address_state": "ON", "address_country": "CA"
        })
    );
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let between = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let dee = donor!(&app, key, json!({ "first_name": "Dee", "email": "dee@example.org", "address_country": "GB" }));
    let eve = donor!(&app, key, json!({ "first_name": "Eve", "journey_stage": "prospect", "tags": ["vip"] }));

    gift(repos, &scope, &ada, "100.00", "USD", "2024-03-01").await;
    gift(repos, &scope, &ada, "50.00", "USD", "2025-06-01").await;
    gift(repos, &scope, &ben, "500.00", "EUR", "2025-01-10").await;
    gift(repos, &scope, &dee, "1000.00", "USD", "2023-01-01").await;
    gift(repos, &scope, &dee, "0.50", "USD", "2023-02-01").await;
    gift(repos, &scope, &eve, "100.00", "USD", "2025-01-01").await;

    let day = |n: i64| Utc::now() - Duration::days(n);
    research(db, org, &ada, "completed", Some("high"), day(30)).await;
    research(db, org, &ada, "completed", Some("major"), day(10)).await;
    research(db, org, &ben, "completed", Some("low"), day(30)).await;
    research(db, org, &ben, "pending", None, day(1)).await;
    research(db, org, &dee, "completed", Some("major"), day(30)).await;
    research(db, org, &dee, "completed", Some("medium"), day(5)).await;
    research(db, org, &eve, "completed", Some("major"), day(5)).await;

    // Eve is soft-deleted: she matches nothing.
    assert_eq!(call!(&app, delete(key, &format!("/api/v1/donors/{eve}"))).0, 204);
    between
}

async fn each_filter_criterion(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let between = filter_fixture(db, &repos, hope.id, &admin.key).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let between = between.to_rfc3339();

    let usd = |range: Value| {
        let mut range = range;
        range["currency"] = json!("USD");
        json!({ "lifetime_giving": range })
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["Ada", "Ben", "Cy", "Dee"]),
        (json!({ "journey_stages": ["prospect"] }), vec!["Ada"]),
        (json!({ "journey_stages": ["donor", "prospect"] }), vec!["Ada", "Ben", "Cy"]),
        (json!({ "tags": { "any": ["gala"] } }), vec!["Ada", "Cy"]),
        (json!({ "tags": { "any": ["gala", "vip"] } }), vec!["Ada", "Ben", "Cy"]),
        (json!({ "tags": { "all": ["vip", "gala"] } }), vec!["Ada"]),
        (json!({ "tags": { "any": ["gala"], "all": ["vip"] } }), vec!["Ada"]),
        (json!({ "tags": { "any": ["nobody"] } }), vec![]),
        (json!({ "donor_type": "individual" }), vec!["Ada", "Cy", "Dee"]),
        (json!({ "donor_type": "couple" }), vec!["Ben"]),
        (json!({ "cities": ["BOSTON"] }), vec!["Ada", "Ben"]),
        (json!({ "states": ["on", "xx"] }), vec!["Cy"]),
        (json!({ "countries": ["ca"] }), vec!["Cy"]),
        (json!({ "countries": ["US", "GB"] }), vec!["Ada", "Ben", "Dee"]),
        (usd(json!({ "min": "100" })), vec!["Ada", "Dee"]),
        (usd(json!({ "min": "150.00", "max": "150.00" })), vec!["Ada"]),
        (usd(json!({ "min": "1000.50" })), vec!["Dee"]),
        (usd(json!({ "min": "1000.51" })), vec![]),
        (usd(json!({ "max": "149.99" })), vec!["Ben", "Cy"]),
        (json!({ "lifetime_giving": { "currency": "EUR", "min": "500" } }), vec!["Ben"]),
        (json!({ "gift_count": { "min": 2 } }), vec!["Ada", "Dee"]),
        (json!({ "gift_count": { "max": 0 } }), vec!["Cy"]),
        (json!({ "gift_count": { "min": 1, "max": 1 } }), vec!["Ben"]),
        (json!({ "gift_count": { "max": 1 } }), vec!["Ben", "Cy"]),
        (json!({ "last_gift": { "after": "2025-01-01" } }), vec!["Ada", "Ben"]),
        (json!({ "last_gift": { "after": "2025-01-10" } }), vec!["Ada"]),
        (json!({ "last_gift": { "before": "2025-01-10" } }), vec!["Dee"]),
        (json!({ "last_gift": { "before": "2030-01-01" } }), vec!["Ada", "Ben", "Dee"]),
        (json!({ "has_email": true }), vec!["Ada", "Cy", "Dee"]),
        (json!({ "has_email": false }), vec!["Ben"]),
        (json!({ "created": { "from": between } }), vec!["Dee"]),
        (json!({ "created": { "to": between } }), vec!["Ada", "Ben", "Cy"]),
        (json!({ "giving_capacity": ["major"] }), vec!["Ada"]),
        (json!({ "giving_capacity": ["low"] }), vec!["Ben"]),
        (json!({ "giving_capacity": ["medium", "high"] }), vec!["Dee"]),
        (json!({ "giving_capacity": ["high"] }), vec![]),
        // Combinations: every criterion must hold.
        (json!({ "tags": { "any": ["vip"] }, "gift_count": { "min": 1 }, "has_email": true }), vec!["Ada"]),
        (
            json!({ "journey_stages": ["donor"], "lifetime_giving": { "currency": "USD", "max": "0" } }),
            vec!["Ben", "Cy"],
        ),
        (
            json!({ "countries": ["US"], "last_gift": { "after": "2024-12-31" }, "giving_capacity": ["low", "major"] }),
            vec!["Ada", "Ben"],
        ),
        (json!({ "cities": ["boston"], "donor_type": "individual", "gift_count": { "max": 5 } }), vec!["Ada"]),
    ];
    for (filters, expected) in cases {
        let list = create!(&app, &admin.key, json!({ "name": "Segment", "type": "dynamic", "filters": filters }));
        let mut names = members!(&app, &admin.key, &list, 2);
        names.sort();
        assert_eq!(names, expected, "{filters}");
        assert_eq!(list["donor_count"], expected.len(), "counted on create: {filters}");
        let (_, _, body) = call!(&app, get(&admin.key, &uri(&list, "")));
        assert_eq!(json_of(&body)["donor_count"], expected.len(), "counted on read: {filters}");
    }
}
on_both_backends!(donor_list_filters, each_filter_criterion);

async fn dynamic_lists_follow_their_donors_and_freeze(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let ann = donor!(&app, &admin.key, json!({ "first_name": "Ann", "tags": ["vip"] }));
    let list = create!(&app, &admin.key, json!({ "name": "VIPs", "filters": { "tags": { "any": [" vip "] } } }));
    assert_eq!(list["type"], "dynamic", "filters without a type make a dynamic list");
    assert_eq!(list["filters"], json!({ "tags": { "any": ["vip"] } }), "stored normalised");
    assert_eq!(list["donor_count"], 1);

    // A new matching donor is a member as soon as the list is read.
    let _bob = donor!(&app, &admin.key, json!({ "first_name": "Bob", "tags": ["vip", "board"] }));
    let _cat = donor!(&app, &admin.key, json!({ "first_name": "Cat", "tags": ["board"] }));
    assert_eq!(members!(&app, &admin.key, &list, 50), ["Bob", "Ann"]);
    let (_, _, body) = call!(&app, get(&admin.key, LISTS));
    assert_eq!(json_of(&body)["data"][0]["donor_count"], 1, "the list of lists shows the stored count");
    let (_, _, body) = call!(&app, get(&admin.key, &uri(&list, "")));
    let read = json_of(&body);
    assert_eq!(read["donor_count"], 2);
    assert!(read["last_updated"].as_str().unwrap() > list["last_updated"].as_str().unwrap());

    // Freezing: a static snapshot of today's matches; the dynamic list stays.
    let (status, _, body) = call!(&app, post(&admin.key, &uri(&list, "/freeze"), json!({ "name": "VIPs in Nov" })));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let snapshot = json_of(&body);
    assert_eq!((snapshot["type"].as_str(), snapshot["donor_count"].as_u64()), (Some("static"), Some(2)));
    assert_eq!(snapshot["name"], "VIPs in Nov");
    // Without a body: the default name.
    let (status, _, body) = call!(&app, with_empty_body(&admin.key, &uri(&list, "/freeze")));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let named = json_of(&body);
    assert!(named["name"].as_str().unwrap().starts_with("VIPs (snapshot "), "{named}");

    // Changing the filter recounts the dynamic list; the snapshot keeps its members.
    let (status, _, body) =
        call!(&app, patch(&admin.key, &uri(&list, ""), json!({ "filters": { "tags": { "any": ["board"] } } })));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["donor_count"], 2);
    assert_eq!(members!(&app, &admin.key, &list, 50), ["Cat", "Bob"]);
    assert_eq!(members!(&app, &admin.key, &snapshot, 50), ["Bob", "Ann"]);
    // The snapshot is an ordinary static list.
    let (_, _, body) = change!(&app, &admin.key, &snapshot, "/members/remove", [&ann]);
    assert_eq!(json_of(&body), json!({ "changed": 1, "donor_count": 1 }));
    // Only a dynamic list can be frozen; a bad name or body is refused.
    let (status, headers, body) = call!(&app, post(&admin.key, &uri(&snapshot, "/freeze"), json!({})));
    assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["type"]);
    let (status, headers, body) = call!(&app, post(&admin.key, &uri(&list, "/freeze"), json!({ "name": " " })));
    assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["name"]);
    let (status, headers, body) = call!(&app, post(&admin.key, &uri(&list, "/freeze"), json!({ "nom": "x" })));
    problem(status, &headers, &body, "invalid_json");
    let (status, headers, body) = call!(&app, patch(&admin.key, &uri(&list, ""), json!({ "filters": null })));
    assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["filters"]);

    // Deleting a list's donors never breaks it.
    let scope = OrgScope::for_tests(hope.id);
    repos.donors.hard_delete(&scope, donor_id(&ann)).await.unwrap();
    let (_, _, body) = call!(&app, get(&admin.key, &uri(&named, "")));
    assert_eq!(json_of(&body)["donor_count"], 1);
}
on_both_backends!(donor_list_dynamic, dynamic_lists_follow_their_donors_and_freeze);

fn with_empty_body(token: &str, uri: &str) -> TestRequest {
    crate::tenants::with_bearer(TestRequest::post().uri(uri), token)
}

async fn invalid_filters_name_their_path(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let dynamic = |filters: Value| json!({ "name": "Bad", "type": "dynamic", "filters": filters });
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            dynamic(json!({ "lifetime_giving": { "currency": "USD", "min": "lots" } })),
            vec!["filters.lifetime_giving.min"],
        ),
        (dynamic(json!({ "lifetime_giving": { "min": "10" } })), vec!["filters.lifetime_giving.currency"]),
        (
            dynamic(json!({ "lifetime_giving": { "currency": "USD", "min": "10", "max": "5" } })),
            vec!["filters.lifetime_giving.max"],
        ),
        (dynamic(json!({ "gift_count": { "min": -1 } })), vec!["filters.gift_count.min"]),
        (dynamic(json!({ "last_gift": { "after": "01/02/2025" } })), vec!["filters.last_gift.after"]),
        (dynamic(json!({ "created": { "to": 5 } })), vec!["filters.created.to"]),
        (dynamic(json!({ "journey_stage": "prospect" })), vec!["filters.journey_stage"]),
        (dynamic(json!({ "tags": { "none": ["x"] } })), vec!["filters.tags.none"]),
        (dynamic(json!({ "countries": ["US", "Narnia"] })), vec!["filters.countries[1]"]),
        (dynamic(json!({ "giving_capacity": ["vast"] })), vec!["filters.giving_capacity[0]"]),
        (
            dynamic(json!({ "donor_type": "company", "has_email": "yes" })),
            vec!["filters.donor_type", "filters.has_email"],
        ),
        (dynamic(json!([])), vec!["filters"]),
        (json!({ "name": "Bad", "type": "dynamic" }), vec!["filters"]),
        (json!({ "name": "Bad", "type": "static", "filters": {} }), vec!["filters"]),
        (json!({ "name": "Bad", "type": "smart" }), vec!["type"]),
        (json!({ "filters": {} }), vec!["name"]),
    ];
    for (body, expected) in cases {
        let (status, headers, response) = call!(&app, post(&admin.key, LISTS, body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        let mut named = fields(&problem(422, &headers, &response, "validation_failed"));
        named.sort();
        assert_eq!(named, expected, "{body}");
    }
    let list = create!(&app, &admin.key, json!({ "name": "Good", "filters": {} }));
    let (status, headers, body) =
        call!(&app, patch(&admin.key, &uri(&list, ""), json!({ "filters": { "gift_count": { "max": "3" } } })));
    assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["filters.gift_count.max"]);
    let (_, _, body) = call!(&app, get(&admin.key, LISTS));
    let stored = json_of(&body);
    assert_eq!(stored["data"].as_array().unwrap().len(), 1, "nothing else was stored");
    assert_eq!(stored["data"][0]["filters"], json!({}));
    // A foreign cursor is refused.
    let (status, headers, body) = call!(&app, get(&admin.key, &format!("{}?cursor=l.1.abc", uri(&list, "/members"))));
    assert_eq!(fields(&problem(status, &headers, &body, "validation_failed")), ["cursor"]);
}
on_both_backends!(donor_list_invalid_filters, invalid_filters_name_their_path);

async fn permissions_and_other_tenants(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let stranger = member(&repos, &other, "sam", Role::Admin).await;
    let no_gifts = key_for(&repos, &hope, &admin.staff, &["donors:read", "donors:write"]).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = donor!(&app, &admin.key, json!({ "first_name": "Ann" }));
    let list = create!(&app, &admin.key, json!({ "name": "Mine" }));
    change!(&app, &admin.key, &list, "/members", [&donor]);
    let dynamic = create!(&app, &admin.key, json!({ "name": "Givers", "filters": { "gift_count": { "min": 1 } } }));

    // Another organization: every endpoint on these ids is a 404, and nothing changes.
    for target in [&list, &dynamic] {
        let attempts = vec![
            get(&stranger.key, &uri(target, "")),
            get(&stranger.key, &uri(target, "/members")),
            patch(&stranger.key, &uri(target, ""), json!({ "name": "Stolen" })),
            post(&stranger.key, &uri(target, "/members"), json!({ "donor_ids": [&donor] })),
            post(&stranger.key, &uri(target, "/members/remove"), json!({ "donor_ids": [&donor] })),
            post(&stranger.key, &uri(target, "/refresh"), json!({})),
            post(&stranger.key, &uri(target, "/freeze"), json!({})),
            delete(&stranger.key, &uri(target, "")),
        ];
        for req in attempts {
            let (status, headers, body) = call!(&app, req);
            assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
            problem(404, &headers, &body, "not_found");
        }
    }
    let (_, _, body) = call!(&app, get(&stranger.key, LISTS));
    assert_eq!(json_of(&body)["data"], json!([]), "the other organization lists nothing");
    // Their dynamic lists never see my donors.
    let theirs = create!(&app, &stranger.key, json!({ "name": "Everyone", "filters": {} }));
    assert_eq!(theirs["donor_count"], 0);
    assert!(members!(&app, &stranger.key, &theirs, 50).is_empty());
    let (_, _, body) = call!(&app, get(&admin.key, &uri(&list, "")));
    let mine = json_of(&body);
    assert_eq!((mine["name"].as_str(), mine["donor_count"].as_u64()), (Some("Mine"), Some(1)));
    assert_eq!(members!(&app, &admin.key, &list, 50), ["Ann"]);

    // Malformed and unknown ids: 404.
    for id in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let (status, headers, body) = call!(&app, get(&admin.key, &format!("{LISTS}/{id}/members")));
        assert_eq!(status, 404);
        problem(404, &headers, &body, "not_found");
    }

    // A viewer reads but never writes.
    assert_eq!(call!(&app, get(&viewer.key, &uri(&list, ""))).0, 200);
    assert_eq!(call!(&app, get(&viewer.key, &uri(&dynamic, "/members"))).0, 200);
    let writes = vec![
        post(&viewer.key, LISTS, json!({ "name": "New" })),
        patch(&viewer.key, &uri(&list, ""), json!({ "name": "Changed" })),
        post(&viewer.key, &uri(&list, "/members"), json!({ "donor_ids": [&donor] })),
        post(&viewer.key, &uri(&list, "/members/remove"), json!({ "donor_ids": [&donor] })),
        post(&viewer.key, &uri(&dynamic, "/freeze"), json!({})),
        delete(&viewer.key, &uri(&list, "")),
    ];
    for req in writes {
        let (status, headers, body) = call!(&app, req);
        problem(status, &headers, &body, "forbidden");
    }
    // Filters on giving need donations:read as well.
    let giving = json!({ "name": "Big", "filters": { "lifetime_giving": { "currency": "USD", "min": "1000" } } });
    let (status, headers, body) = call!(&app, post(&no_gifts, LISTS, giving));
    assert!(problem(status, &headers, &body, "forbidden")["detail"].as_str().unwrap().contains("donations:read"));
    let (status, headers, body) = call!(
        &app,
        patch(&no_gifts, &uri(&dynamic, ""), json!({ "filters": { "last_gift": { "after": "2025-01-01" } } }))
    );
    problem(status, &headers, &body, "forbidden");
    assert_eq!(
        call!(&app, post(&no_gifts, LISTS, json!({ "name": "Plain", "filters": { "has_email": true } }))).0,
        201
    );

    // No credential: 401 everywhere.
    let anonymous = vec![
        TestRequest::get().uri(LISTS),
        TestRequest::post().uri(LISTS).set_json(json!({ "name": "L" })),
        TestRequest::get().uri(&uri(&list, "")),
        TestRequest::get().uri(&uri(&list, "/members")),
        TestRequest::post().uri(&uri(&list, "/members")).set_json(json!({ "donor_ids": [&donor] })),
        TestRequest::delete().uri(&uri(&list, "")),
    ];
    for req in anonymous {
        let (status, headers, body) = call!(&app, req);
        problem(status, &headers, &body, "missing_credential");
    }
}
on_both_backends!(donor_list_isolation, permissions_and_other_tenants);
