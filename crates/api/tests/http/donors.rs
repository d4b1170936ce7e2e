//! Donors over HTTP on both databases: create / read / update / soft delete / restore / erase,
//! validation (422 naming the field, nothing stored), keyset pages, search and filters, the
//! giving summary (only with `donations:read`), journey stage transitions, and isolation.

use actix_web::test::{self, TestRequest};
use chrono::NaiveDate;
use givance_domain::donation::NewDonation;
use givance_domain::staff::Role;
use givance_domain::{Currency, DonationId, DonorId, Money, OrgScope};
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, fields, problem, state};
use crate::tenants::{delete, get, json_of, member, organization, patch, patch_org, post, repos};

/// Creates a donor; returns its JSON.
macro_rules! create {
    ($app:expr, $token:expr, $body:expr) => {{
        let (status, _, body) = call!($app, post($token, "/api/v1/donors", $body));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_of(&body)
    }};
}

/// The ids of a list response, in order.
fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

fn names(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|d| d["first_name"].as_str().unwrap_or("").to_owned()).collect()
}

async fn create_read_update_delete_restore_erase(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let fundraiser = member(&repos, &hope, "fay", Role::Fundraiser).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    // A couple with every field; email and phones normalised.
    let created = create!(
        &app,
        &fundraiser.key,
        json!({
            "donor_type": "couple",
            "first_name": " Ada ",
            "last_name": "Lovelace",
            "email": "ADA@Example.ORG",
            "phone": "(415) 555-2671",
            "spouse_first_name": "William",
            "spouse_last_name": "King",
            "spouse_email": "William@Example.org",
            "address_street": "12 St James's Square",
            "address_city": "London",
            "address_zip": "SW1Y 4JH",
            "external_id": "crm-1",
            "journey_stage": "prospect",
            "notes": "Met at the gala.",
            "tags": ["major", "board"],
            "custom_fields": { "source": "gala" }
        })
    );
    assert_eq!(created["donor_type"], "couple");
    assert_eq!(created["first_name"], "Ada");
    assert_eq!(created["email"], "ada@example.org");
    assert_eq!(created["phone"], "+14155552671", "a national number reads as US by default");
    assert_eq!(created["spouse_email"], "william@example.org");
    assert_eq!(created["tags"], json!(["major", "board"]));
    assert_eq!(created["custom_fields"], json!({ "source": "gala" }));
    assert!(created["deleted_at"].is_null());
    assert!(created.get("giving").is_none(), "only a read includes giving");
    let id = created["id"].as_str().unwrap().to_owned();
    let one = format!("/api/v1/donors/{id}");

    // A national number reads in the donor's country when one is given.
    let uk =
        create!(&app, &admin.key, json!({ "first_name": "Mary", "phone": "020 7946 0958", "address_country": "gb" }));
    assert_eq!((uk["phone"].as_str(), uk["address_country"].as_str()), (Some("+442079460958"), Some("GB")));
    assert_eq!(uk["donor_type"], "individual", "the default type");

    // Read: what was returned was stored; a fundraiser also sees (empty) giving.
    let (status, _, body) = call!(&app, get(&fundraiser.key, &one));
    assert_eq!(status, 200);
    let read = json_of(&body);
    assert_eq!(read["giving"], json!([]));
    let mut without_giving = read.clone();
    without_giving.as_object_mut().unwrap().remove("giving");
    assert_eq!(without_giving, created);

    // The same external id again: 409, nothing stored.
    let (status, headers, body) = call!(&app, post(&admin.key, "/api/v1/donors", json!({ "external_id": "crm-1" })));
    assert_eq!(status, 409);
    problem(409, &headers, &body, "external_id_taken");
    let (_, _, list) = call!(&app, get(&admin.key, "/api/v1/donors"));
    assert_eq!(json_of(&list)["data"].as_array().unwrap().len(), 2);

    // PATCH: set some fields, clear others with null, leave the rest.
    let (status, _, body) = call!(
        &app,
        patch(
            &fundraiser.key,
            &one,
            json!({ "last_name": "King", "notes": null, "custom_fields": null, "tags": ["major"], "email": "ada@lovelace.org" })
        )
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let patched = json_of(&body);
    assert_eq!(patched["last_name"], "King");
    assert!(patched["notes"].is_null() && patched["custom_fields"].is_null());
    assert_eq!(patched["tags"], json!(["major"]));
    assert_eq!(patched["email"], "ada@lovelace.org");
    assert_eq!((patched["first_name"].as_str(), patched["spouse_first_name"].as_str()), (Some("Ada"), Some("William")));

    // Becoming an individual while the spouse is set: 422; clearing the spouse in the same patch works.
    let (status, headers, body) = call!(&app, patch(&fundraiser.key, &one, json!({ "donor_type": "individual" })));
    assert_eq!(status, 422);
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), ["donor_type"]);
    let uk_one = format!("/api/v1/donors/{}", uk["id"].as_str().unwrap());
    let (status, headers, body) =
        call!(&app, patch(&fundraiser.key, &uk_one, json!({ "spouse_first_name": "Someone" })));
    assert_eq!(status, 422, "a spouse on an individual");
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), ["spouse_first_name"]);
    let clear = json!({ "donor_type": "individual", "spouse_first_name": null, "spouse_last_name": null, "spouse_email": null });
    let (status, _, body) = call!(&app, patch(&fundraiser.key, &one, clear));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let individual = json_of(&body);
    assert_eq!(individual["donor_type"], "individual");
    assert!(individual["spouse_first_name"].is_null() && individual["spouse_email"].is_null());

    // Phone re-read in the patched country; a patched external id that is taken is a 409.
    let (status, _, body) =
        call!(&app, patch(&admin.key, &one, json!({ "address_country": "GB", "phone": "020 7946 0958" })));
    assert_eq!(status, 200);
    assert_eq!(json_of(&body)["phone"], "+442079460958");
    let (status, headers, body) = call!(&app, patch(&admin.key, &uk_one, json!({ "external_id": "crm-1" })));
    assert_eq!(status, 409);
    problem(409, &headers, &body, "external_id_taken");

    // A gift, so that erasing has something to cascade to.
    let scope = OrgScope::for_tests(hope.id);
    let donor_id = DonorId::from_uuid(id.parse().unwrap());
    let gift = NewDonation::new(
        donor_id,
        Money::parse("25.00", Currency::USD).unwrap(),
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
    )
    .unwrap();
    let gift: DonationId = repos.donations.create(&scope, gift).await.unwrap().id;

    // Soft delete: gone from reads and lists, listed as deleted; restore brings it back.
    let (status, _, body) = call!(&app, delete(&fundraiser.key, &one));
    assert_eq!((status, body.len()), (204, 0));
    assert_eq!(call!(&app, get(&admin.key, &one)).0, 404);
    assert_eq!(call!(&app, patch(&admin.key, &one, json!({ "notes": "x" }))).0, 404);
    assert_eq!(call!(&app, delete(&admin.key, &one)).0, 404, "already deleted");
    let (_, _, list) = call!(&app, get(&admin.key, "/api/v1/donors"));
    assert_eq!(ids(&json_of(&list)), [uk["id"].as_str().unwrap()]);
    let (status, _, deleted) = call!(&app, get(&admin.key, "/api/v1/donors/deleted"));
    assert_eq!(status, 200);
    let deleted = json_of(&deleted);
    assert_eq!(ids(&deleted), [id.as_str()]);
    assert!(deleted["data"][0]["deleted_at"].is_string() && deleted["next_cursor"].is_null());
    let restore = format!("{one}/restore");
    let (status, _, body) = call!(&app, post(&fundraiser.key, &restore, json!({})));
    assert_eq!(status, 200);
    assert!(json_of(&body)["deleted_at"].is_null());
    assert_eq!(call!(&app, get(&admin.key, &one)).0, 200);
    assert_eq!(call!(&app, post(&admin.key, &restore, json!({}))).0, 404, "not deleted");
    let (_, _, deleted) = call!(&app, get(&admin.key, "/api/v1/donors/deleted"));
    assert!(ids(&json_of(&deleted)).is_empty());

    // Erase: admins only; the donor and their donations are gone.
    let erase = format!("{one}/erase");
    let (status, headers, body) = call!(&app, delete(&fundraiser.key, &erase));
    assert_eq!(status, 403);
    assert!(problem(403, &headers, &body, "forbidden")["detail"].as_str().unwrap().contains("staff:manage"));
    assert!(repos.donations.get(&scope, gift).await.unwrap().is_some(), "the refused erase changed nothing");
    let (status, _, _) = call!(&app, delete(&admin.key, &erase));
    assert_eq!(status, 204);
    assert_eq!(call!(&app, get(&admin.key, &one)).0, 404);
    assert!(repos.donations.get(&scope, gift).await.unwrap().is_none(), "donations cascade");
    assert_eq!(call!(&app, delete(&admin.key, &erase)).0, 404);
    // A soft-deleted donor can be erased too.
    assert_eq!(call!(&app, delete(&admin.key, &uk_one)).0, 204);
    assert_eq!(call!(&app, delete(&admin.key, &format!("{uk_one}/erase"))).0, 204);
    let (_, _, deleted) = call!(&app, get(&admin.key, "/api/v1/donors/deleted"));
    assert!(ids(&json_of(&deleted)).is_empty());
}
on_both_backends!(donor_lifecycle, create_read_update_delete_restore_erase);

async fn bad_input_is_refused_naming_the_field(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let long = "x".repeat(201);
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({ "email": "not-an-email" }), &["email"]),
        (json!({ "phone": "12" }), &["phone"]),
        (json!({ "phone": "call me" }), &["phone"]),
        (json!({ "address_country": "XX" }), &["address_country"]),
        (json!({ "address_country": "USA" }), &["address_country"]),
        (json!({ "spouse_first_name": "Grace" }), &["spouse_first_name"]),
        (json!({ "donor_type": "individual", "spouse_email": "g@example.org" }), &["spouse_email"]),
        (json!({ "donor_type": "company" }), &["donor_type"]),
        (json!({ "first_name": long }), &["first_name"]),
        (json!({ "last_name": "y".repeat(201) }), &["last_name"]),
        (json!({ "tags": ["ok", "  "] }), &["tags"]),
        (json!({ "tags": ["z".repeat(101)] }), &["tags"]),
        (json!({ "custom_fields": [1, 2] }), &["custom_fields"]),
        (json!({ "notes": "n".repeat(10_001) }), &["notes"]),
        (json!({ "donor_type": "couple", "spouse_email": "nope" }), &["spouse_email"]),
        // Every fault at once, in field order.
        (
            json!({ "donor_type": "robot", "email": "x@", "phone": "1", "address_country": "ZZ", "tags": [""] }),
            &["donor_type", "email", "address_country", "phone", "tags"],
        ),
    ];
    for (body, expected) in cases {
        let (status, headers, response) = call!(&app, post(&admin.key, "/api/v1/donors", body.clone()));
        assert_eq!(status, 422, "{body}: {}", String::from_utf8_lossy(&response));
        let problem = problem(422, &headers, &response, "validation_failed");
        assert_eq!(fields(&problem), *expected, "{body}: {problem}");
    }
    // An unknown field, or a field of the wrong JSON type: 400 naming it.
    for (body, name) in
        [(json!({ "first_name": "A", "organization_id": "x" }), "organization_id"), (json!({ "tags": "major" }), "")]
    {
        let (status, headers, response) = call!(&app, post(&admin.key, "/api/v1/donors", body));
        assert_eq!(status, 400);
        let problem = problem(400, &headers, &response, "invalid_json");
        assert!(problem["detail"].as_str().unwrap().contains(name), "{problem}");
    }

    // Nothing was stored.
    let (_, _, list) = call!(&app, get(&admin.key, "/api/v1/donors"));
    assert!(ids(&json_of(&list)).is_empty());

    // The same faults on PATCH leave the donor as it was.
    let donor = create!(&app, &admin.key, json!({ "first_name": "Ada", "email": "ada@example.org" }));
    let one = format!("/api/v1/donors/{}", donor["id"].as_str().unwrap());
    let bad = json!({ "email": "nope", "phone": "12", "first_name": long, "donor_type": null, "tags": [""] });
    let (status, headers, body) = call!(&app, patch(&admin.key, &one, bad));
    assert_eq!(status, 422);
    let problem = problem(422, &headers, &body, "validation_failed");
    assert_eq!(fields(&problem), ["first_name", "email", "phone", "donor_type", "tags"]);
    let (status, _, _) = call!(&app, patch(&admin.key, &one, json!({ "id": "x" })));
    assert_eq!(status, 400);
    let (_, _, read) = call!(&app, get(&admin.key, &one));
    let mut read = json_of(&read);
    read.as_object_mut().unwrap().remove("giving");
    assert_eq!(read, donor, "nothing was stored");
}
on_both_backends!(donor_validation, bad_input_is_refused_naming_the_field);

async fn lists_page_search_and_filter(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let people = [
        json!({ "first_name": "Alice", "last_name": "Smith", "email": "alice@example.org", "tags": ["major"], "journey_stage": "donor" }),
        json!({ "first_name": "Bob", "last_name": "Smithers", "tags": ["board"] }),
        json!({ "first_name": "Carol", "last_name": "Jones", "email": "SMITTY@example.org", "donor_type": "couple", "spouse_first_name": "Dan" }),
        json!({ "first_name": "Erin", "last_name": "Brown", "email": "erin@example.org", "tags": ["major", "board"] }),
        json!({ "first_name": "Frank", "last_name": "Smyth" }),
        json!({ "first_name": "Gina", "last_name": "Green", "journey_stage": "donor" }),
        json!({ "first_name": "Hank", "last_name": "Hill", "email": "hank@example.org" }),
    ];
    let mut created = Vec::new();
    for person in people {
        created.push(create!(&app, &admin.key, person));
    }
    let middle = created[3]["created_at"].as_str().unwrap().to_owned();

    // Newest first by default, through pages of three.
    let mut seen = Vec::new();
    let mut uri = "/api/v1/donors?limit=3".to_owned();
    let mut pages = 0;
    let mut first_cursor = String::new();
    loop {
        let (status, _, body) = call!(&app, get(&admin.key, &uri));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let page = json_of(&body);
        pages += 1;
        assert!(page["data"].as_array().unwrap().len() <= 3);
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                if first_cursor.is_empty() {
                    first_cursor = cursor.to_owned();
                }
                uri = format!("/api/v1/donors?limit=3&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["Hank", "Gina", "Frank", "Erin", "Carol", "Bob", "Alice"]);
    let (_, _, body) = call!(&app, get(&admin.key, "/api/v1/donors?sort=oldest&limit=4"));
    let oldest = json_of(&body);
    assert_eq!(names(&oldest), ["Alice", "Bob", "Carol", "Erin"]);
    let next = format!("/api/v1/donors?sort=oldest&limit=4&cursor={}", oldest["next_cursor"].as_str().unwrap());
    let (_, _, body) = call!(&app, get(&admin.key, &next));
    assert_eq!(names(&json_of(&body)), ["Frank", "Gina", "Hank"]);

    // Search and filters.
    let cases: Vec<(&str, &[&str])> = vec![
        ("q=smi", &["Carol", "Bob", "Alice"]),
        ("q=SMITH", &["Bob", "Alice"]),
        ("q=al", &["Alice"]),
        ("q=erin%40ex", &["Erin"]),
        ("q=mith", &[]),
        ("tag=major", &["Erin", "Alice"]),
        ("tag=board&q=b", &["Erin", "Bob"]),
        ("donor_type=couple", &["Carol"]),
        ("journey_stage=donor", &["Gina", "Alice"]),
        ("has_email=true", &["Hank", "Erin", "Carol", "Alice"]),
        ("has_email=false&sort=oldest", &["Bob", "Frank", "Gina"]),
        ("q=s&donor_type=individual&has_email=false", &["Frank", "Bob"]),
    ];
    for (params, expected) in cases {
        let (status, _, body) = call!(&app, get(&admin.key, &format!("/api/v1/donors?{params}")));
        assert_eq!(status, 200, "{params}");
        assert_eq!(names(&json_of(&body)), *expected, "{params}");
    }
    let encoded = middle.replace('+', "%2B");
    let (_, _, body) = call!(&app, get(&admin.key, &format!("/api/v1/donors?created_from={encoded}")));
    assert_eq!(names(&json_of(&body)), ["Hank", "Gina", "Frank", "Erin"]);
    let (_, _, body) = call!(&app, get(&admin.key, &format!("/api/v1/donors?created_to={encoded}")));
    assert_eq!(names(&json_of(&body)), ["Carol", "Bob", "Alice"]);

    // Bad parameters: a problem naming each.
    let raw_position = first_cursor.split_once('.').unwrap().1.to_owned();
    let bad: Vec<(String, &str)> = vec![
        ("limit=0".into(), "limit"),
        ("cursor=garbage".into(), "cursor"),
        (format!("sort=oldest&cursor={first_cursor}"), "cursor"),
        (format!("cursor={raw_position}"), "cursor"),
        ("limit=201".into(), "limit"),
        ("limit=ten".into(), "limit"),
        ("cursor=123.not-a-uuid".into(), "cursor"),
        ("sort=alphabetical".into(), "sort"),
        ("donor_type=company".into(), "donor_type"),
        ("has_email=maybe".into(), "has_email"),
        ("created_from=yesterday".into(), "created_from"),
        ("created_to=2026-13-01".into(), "created_to"),
        ("q=".into(), "q"),
    ];
    for (params, field) in bad {
        let (status, headers, body) = call!(&app, get(&admin.key, &format!("/api/v1/donors?{params}")));
        assert_eq!(status, 422, "{params}");
        assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), [field], "{params}");
    }
    let (status, headers, body) = call!(&app, get(&admin.key, "/api/v1/donors?color=red"));
    assert_eq!(status, 400);
    assert!(problem(400, &headers, &body, "invalid_query")["detail"].as_str().unwrap().contains("color"));
    let (status, headers, body) = call!(&app, get(&admin.key, "/api/v1/donors/deleted?limit=500"));
    assert_eq!(status, 422);
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), ["limit"]);

    // The deleted list pages too, newest first; its cursors belong to it alone.
    for donor in &created[..3] {
        let uri = format!("/api/v1/donors/{}", donor["id"].as_str().unwrap());
        assert_eq!(call!(&app, delete(&admin.key, &uri)).0, 204);
    }
    let (status, _, body) = call!(&app, get(&admin.key, "/api/v1/donors/deleted?limit=2"));
    assert_eq!(status, 200);
    let page = json_of(&body);
    assert_eq!(names(&page), ["Carol", "Bob"]);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, _, body) = call!(&app, get(&admin.key, &format!("/api/v1/donors/deleted?limit=2&cursor={cursor}")));
    let page = json_of(&body);
    assert_eq!((names(&page), page["next_cursor"].is_null()), (vec!["Alice".to_owned()], true));
    let (status, headers, body) = call!(&app, get(&admin.key, &format!("/api/v1/donors?cursor={cursor}")));
    assert_eq!(status, 422);
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), ["cursor"]);
    let (status, _, _) = call!(&app, get(&admin.key, &format!("/api/v1/donors/deleted?cursor={first_cursor}")));
    assert_eq!(status, 422);
    let (_, _, body) = call!(&app, get(&admin.key, "/api/v1/donors?q=smi"));
    assert!(names(&json_of(&body)).is_empty(), "deleted donors leave the list and the search");
}
on_both_backends!(donor_listing, lists_page_search_and_filter);

async fn giving_needs_donations_read(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let donor = create!(&app, &admin.key, json!({ "first_name": "Ada" }));
    let donor_id = DonorId::from_uuid(donor["id"].as_str().unwrap().parse().unwrap());
    let scope = OrgScope::for_tests(hope.id);
    let gifts = [("25", "USD", 2025, 3), ("10.50", "USD", 2025, 7), ("100.10", "USD", 2026, 2), ("40", "EUR", 2026, 4)];
    for (amount, currency, year, month) in gifts {
        let money = Money::parse(amount, Currency::parse(currency).unwrap()).unwrap();
        let date = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
        repos.donations.create(&scope, NewDonation::new(donor_id, money, date).unwrap()).await.unwrap();
    }
    let one = format!("/api/v1/donors/{donor_id}");

    let (status, _, body) = call!(&app, get(&admin.key, &one));
    assert_eq!(status, 200);
    let giving = json_of(&body)["giving"].clone();
    let usd = giving.as_array().unwrap().iter().find(|g| g["currency"] == "USD").unwrap().clone();
    assert_eq!(
        usd,
        json!({
            "currency": "USD",
            "lifetime_total": "135.60",
            "gift_count": 3,
            "first_gift_date": "2025-03-01",
            "last_gift_date": "2026-02-01",
            "largest_gift": "100.10",
            "by_year": [
                { "year": 2025, "total": "35.50", "count": 2 },
                { "year": 2026, "total": "100.10", "count": 1 }
            ]
        })
    );
    let eur = giving.as_array().unwrap().iter().find(|g| g["currency"] == "EUR").unwrap().clone();
    assert_eq!((eur["lifetime_total"].as_str(), eur["gift_count"].as_u64()), (Some("40.00"), Some(1)));

    // A viewer reads the donor but not their giving: the field is absent.
    let (status, _, body) = call!(&app, get(&viewer.key, &one));
    assert_eq!(status, 200);
    let read = json_of(&body);
    assert_eq!(read["first_name"], "Ada");
    assert!(read.get("giving").is_none(), "{read}");
}
on_both_backends!(donor_giving, giving_needs_donations_read);

fn graph() -> Value {
    json!({ "stages": [
        { "id": "prospect", "name": "Prospect", "transitions": [{ "to": "donor" }] },
        { "id": "donor", "name": "Donor", "transitions": [{ "to": "major" }, { "to": "lapsed" }] },
        { "id": "major", "name": "Major donor", "transitions": [{ "to": "lapsed" }] },
        { "id": "lapsed", "name": "Lapsed", "transitions": [] }
    ]})
}

async fn journey_moves_follow_the_graph(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let fundraiser = member(&repos, &hope, "fay", Role::Fundraiser).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    // Without a graph any stage goes.
    let free = create!(&app, &fundraiser.key, json!({ "first_name": "Free", "journey_stage": "anything" }));
    let free_one = format!("/api/v1/donors/{}", free["id"].as_str().unwrap());
    let (status, _, _) = call!(&app, patch(&fundraiser.key, &free_one, json!({ "journey_stage": "else" })));
    assert_eq!(status, 200);

    assert_eq!(call!(&app, patch_org(&admin.key, json!({ "donor_journey_graph": graph() }))).0, 200);

    // From no stage, any stage of the graph; a stage outside it is refused.
    let donor = create!(&app, &fundraiser.key, json!({ "first_name": "Ada" }));
    let one = format!("/api/v1/donors/{}", donor["id"].as_str().unwrap());
    let (status, headers, body) = call!(&app, patch(&fundraiser.key, &one, json!({ "journey_stage": "vip" })));
    assert_eq!(status, 422);
    let refused = problem(422, &headers, &body, "validation_failed");
    assert_eq!(fields(&refused), ["journey_stage"]);
    let (status, _, body) =
        call!(&app, post(&fundraiser.key, "/api/v1/donors", json!({ "first_name": "X", "journey_stage": "vip" })));
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    let (status, _, body) = call!(&app, patch(&fundraiser.key, &one, json!({ "journey_stage": "prospect" })));
    assert_eq!(status, 200);
    assert_eq!(json_of(&body)["journey_stage"], "prospect");

    // Along a transition: allowed. Skipping ahead: refused, naming the allowed next stages.
    let (status, _, _) = call!(&app, patch(&fundraiser.key, &one, json!({ "journey_stage": "donor" })));
    assert_eq!(status, 200);
    let (status, headers, body) = call!(&app, patch(&fundraiser.key, &one, json!({ "journey_stage": "prospect" })));
    assert_eq!(status, 422);
    let refused = problem(422, &headers, &body, "validation_failed");
    assert_eq!(fields(&refused), ["journey_stage"]);
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("major, lapsed"), "{message}");
    let (_, _, body) = call!(&app, get(&admin.key, &one));
    assert_eq!(json_of(&body)["journey_stage"], "donor", "nothing was stored");

    // Forcing: a fundraiser may not; an admin may.
    let forced = format!("{one}?force=true");
    let (status, headers, body) = call!(&app, patch(&fundraiser.key, &forced, json!({ "journey_stage": "prospect" })));
    assert_eq!(status, 403);
    problem(403, &headers, &body, "forbidden");
    let (status, _, _) = call!(&app, patch(&admin.key, &one, json!({ "journey_stage": "prospect" })));
    assert_eq!(status, 422, "admins follow the graph too unless they force");
    let (status, _, body) = call!(&app, patch(&admin.key, &forced, json!({ "journey_stage": "prospect" })));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["journey_stage"], "prospect");
    let (status, _, _) = call!(&app, patch(&admin.key, &forced, json!({ "journey_stage": "vip" })));
    assert_eq!(status, 422, "forcing does not invent stages");
    let (status, _, _) = call!(&app, patch(&admin.key, &format!("{one}?force=maybe"), json!({})));
    assert_eq!(status, 400);

    // Clearing the stage is always allowed.
    let (status, _, body) = call!(&app, patch(&fundraiser.key, &one, json!({ "journey_stage": null })));
    assert_eq!(status, 200);
    assert!(json_of(&body)["journey_stage"].is_null());
}
on_both_backends!(donor_journey, journey_moves_follow_the_graph);

async fn other_tenants_and_missing_credentials(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let stranger = member(&repos, &other, "sam", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let mine = create!(&app, &admin.key, json!({ "first_name": "Ada", "external_id": "e-1" }));
    let id = mine["id"].as_str().unwrap().to_owned();
    let one = format!("/api/v1/donors/{id}");
    let gone = create!(&app, &admin.key, json!({ "first_name": "Gone" }));
    let gone_one = format!("/api/v1/donors/{}", gone["id"].as_str().unwrap());
    assert_eq!(call!(&app, delete(&admin.key, &gone_one)).0, 204);

    // Another organization's admin: every endpoint is a 404, and nothing changes.
    let attempts = vec![
        get(&stranger.key, &one),
        patch(&stranger.key, &one, json!({ "first_name": "Stolen" })),
        delete(&stranger.key, &one),
        delete(&stranger.key, &format!("{one}/erase")),
        post(&stranger.key, &format!("{gone_one}/restore"), json!({})),
        delete(&stranger.key, &format!("{gone_one}/erase")),
    ];
    for req in attempts {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
        problem(404, &headers, &body, "not_found");
    }
    for (uri, what) in
        [("/api/v1/donors", "list"), ("/api/v1/donors/deleted", "deleted list"), ("/api/v1/donors?q=ada", "search")]
    {
        let (status, _, body) = call!(&app, get(&stranger.key, uri));
        assert_eq!(status, 200);
        assert!(ids(&json_of(&body)).is_empty(), "{what}");
    }
    // The same external id is free in another organization.
    create!(&app, &stranger.key, json!({ "external_id": "e-1" }));
    let (_, _, body) = call!(&app, get(&admin.key, &one));
    let mut after = json_of(&body);
    after.as_object_mut().unwrap().remove("giving");
    assert_eq!(after, mine, "the other organization changed nothing");
    let (_, _, deleted) = call!(&app, get(&admin.key, "/api/v1/donors/deleted"));
    assert_eq!(ids(&json_of(&deleted)), [gone["id"].as_str().unwrap()]);

    // A malformed or unknown id: 404.
    for uri in ["/api/v1/donors/not-a-uuid", "/api/v1/donors/00000000-0000-0000-0000-000000000000"] {
        let (status, headers, body) = call!(&app, get(&admin.key, uri));
        assert_eq!(status, 404);
        problem(404, &headers, &body, "not_found");
    }

    // No credential: 401 everywhere.
    let anonymous = vec![
        TestRequest::get().uri("/api/v1/donors"),
        TestRequest::post().uri("/api/v1/donors").set_json(json!({})),
        TestRequest::get().uri(&one),
        TestRequest::patch().uri(&one).set_json(json!({})),
        TestRequest::delete().uri(&one),
        TestRequest::get().uri("/api/v1/donors/deleted"),
        TestRequest::post().uri(&format!("{gone_one}/restore")),
        TestRequest::delete().uri(&format!("{one}/erase")),
    ];
    for req in anonymous {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 401);
        problem(401, &headers, &body, "missing_credential");
    }

    // A viewer reads but never writes.
    assert_eq!(call!(&app, get(&viewer.key, &one)).0, 200);
    assert_eq!(call!(&app, get(&viewer.key, "/api/v1/donors")).0, 200);
    let writes = vec![
        post(&viewer.key, "/api/v1/donors", json!({ "first_name": "New" })),
        patch(&viewer.key, &one, json!({ "first_name": "Changed" })),
        delete(&viewer.key, &one),
        post(&viewer.key, &format!("{gone_one}/restore"), json!({})),
        delete(&viewer.key, &format!("{one}/erase")),
    ];
    for req in writes {
        let (status, headers, body) = call!(&app, req);
        assert_eq!(status, 403);
        problem(403, &headers, &body, "forbidden");
    }
    let (_, _, body) = call!(&app, get(&admin.key, "/api/v1/donors"));
    assert_eq!(names(&json_of(&body)), ["Ada"], "the refused writes stored nothing");
    let (_, _, body) = call!(&app, get(&admin.key, &one));
    assert_eq!(json_of(&body)["first_name"], "Ada");
}
on_both_backends!(donor_isolation, other_tenants_and_missing_credentials);

/// National phone numbers read in the donor's country, else the organization's, else the US.
async fn phone_region_falls_back_to_the_organization_country(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    const LONDON: &str = "020 7946 0958";

    // No organization country: the US. "020 7946 0958" is no valid US number.
    let (status, headers, body) = call!(&app, post(&admin.key, "/api/v1/donors", json!({ "phone": LONDON })));
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), ["phone"]);
    let us = create!(&app, &admin.key, json!({ "first_name": "Sam", "phone": "(202) 555-0199" }));
    assert_eq!(us["phone"], "+12025550199");

    assert_eq!(call!(&app, patch_org(&admin.key, json!({ "country": "GB" }))).0, 200);

    // The organization's GB for a donor without a country; the donor's own country wins.
    let uk = create!(&app, &admin.key, json!({ "first_name": "Mary", "phone": LONDON }));
    assert_eq!((uk["phone"].as_str(), uk["address_country"].as_str()), (Some("+442079460958"), None));
    let french =
        create!(&app, &admin.key, json!({ "first_name": "Luc", "phone": "01 42 68 53 00", "address_country": "FR" }));
    assert_eq!(french["phone"], "+33142685300");
    let american = create!(&app, &admin.key, json!({ "phone": "(202) 555-0100", "address_country": "US" }));
    assert_eq!(american["phone"], "+12025550100");
    let international = create!(&app, &admin.key, json!({ "phone": "+1 202 555 0101" }));
    assert_eq!(international["phone"], "+12025550101", "a number with its country code keeps it");

    // PATCH: the same order, with the donor's country as patched.
    let sam = format!("/api/v1/donors/{}", us["id"].as_str().unwrap());
    let (status, _, body) = call!(&app, patch(&admin.key, &sam, json!({ "phone": LONDON })));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["phone"], "+442079460958", "no donor country: the organization's");
    let (status, _, body) =
        call!(&app, patch(&admin.key, &sam, json!({ "address_country": "FR", "phone": "01 42 68 53 00" })));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["phone"], "+33142685300");
    let (status, headers, body) = call!(&app, patch(&admin.key, &sam, json!({ "phone": LONDON })));
    assert_eq!(status, 422, "the stored FR wins over the organization's GB: {}", String::from_utf8_lossy(&body));
    assert_eq!(fields(&problem(422, &headers, &body, "validation_failed")), ["phone"]);
    let (status, _, body) = call!(&app, patch(&admin.key, &sam, json!({ "address_country": null, "phone": LONDON })));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["phone"], "+442079460958", "a cleared donor country falls back to the organization's");

    // Clearing the organization's country brings the US back.
    assert_eq!(call!(&app, patch_org(&admin.key, json!({ "country": null }))).0, 200);
    let (status, _, body) = call!(&app, patch(&admin.key, &sam, json!({ "phone": "(202) 555-0142" })));
    assert_eq!(status, 200);
    assert_eq!(json_of(&body)["phone"], "+12025550142");
    let (status, _, _) = call!(&app, post(&admin.key, "/api/v1/donors", json!({ "phone": LONDON })));
    assert_eq!(status, 422);
}
on_both_backends!(donor_phone_region, phone_region_falls_back_to_the_organization_country);
