//! CSV import and export over HTTP on both databases: counts, a re-run that changes nothing,
//! bad rows reported by line while good rows go in, dry runs, email matching, donations by
//! donor email, the formula guard and the export -> import round trip, refusals (header,
//! content type, permission) that store nothing, and tenant isolation.

use actix_web::test::{self, TestRequest};
use givance_domain::OrgScope;
use givance_domain::donation::DonationFilter;
use givance_domain::staff::Role;
use givance_domain::{PageRequest, shared::page::MAX_PAGE_SIZE};
use givance_infra::Repositories;
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, problem, state};
use crate::tenants::{get, json_of, member, organization, post, repos, with_bearer};

const DONORS: &str = "/api/v1/imports/donors";
const DONATIONS: &str = "/api/v1/imports/donations";

fn csv_post(token: &str, uri: &str, body: &str) -> TestRequest {
    with_bearer(TestRequest::post().uri(uri), token)
        .insert_header(("content-type", "text/csv; charset=utf-8"))
        .set_payload(body.to_owned())
}

/// Posts a CSV body and returns the 200 report.
macro_rules! import {
    ($app:expr, $token:expr, $uri:expr, $body:expr) => {{
        let (status, _, body) = call!($app, csv_post($token, $uri, $body));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        json_of(&body)
    }};
}

/// Every donor of the organization, as the API shows them, by external id then email.
macro_rules! donors {
    ($app:expr, $token:expr) => {{
        let (status, _, body) = call!($app, get($token, "/api/v1/donors?limit=200&sort=oldest"));
        assert_eq!(status, 200);
        let mut data = json_of(&body)["data"].as_array().unwrap().clone();
        data.sort_by_key(|d| (d["external_id"].to_string(), d["email"].to_string()));
        data
    }};
}

fn counts(report: &Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| report[k].as_u64().unwrap();
    (n("created"), n("updated"), n("unchanged"), n("rejected"))
}

fn lines(report: &Value) -> Vec<u64> {
    report["errors"].as_array().unwrap().iter().map(|e| e["line"].as_u64().unwrap()).collect()
}

async fn donation_count(repos: &Repositories, scope: &OrgScope) -> usize {
    let page = PageRequest::new(Some(MAX_PAGE_SIZE), None);
    repos.donations.list(scope, DonationFilter::default(), page).await.unwrap().items.len()
}

const PEOPLE: &str = "\
external_id,first_name,last_name,email,phone,donor_type,spouse_first_name,tags,notes,address_country
D1,Ada,Lovelace,Ada@Example.org,+1 202 555 0101,individual,,major; board ;major,,GB
D2,Bad,Email,not-an-email,,,,,,
D3,Grace,Hopper,grace@example.org,,couple,Vincent,,Navy,
,No,Keys,,,,,,,
D4,Alan,Turing,,(202) 555-0199,,,,,
";

async fn import_then_rerun_changes_nothing(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    let report = import!(&app, &manager.key, DONORS, PEOPLE);
    assert_eq!(counts(&report), (3, 0, 0, 2), "{report}");
    assert_eq!(lines(&report), vec![3, 5], "{report}");
    assert!(report["errors"][0]["reason"].as_str().unwrap().contains("email"), "{report}");
    assert_eq!(report["dry_run"], false);

    let stored = donors!(&app, &manager.key);
    assert_eq!(stored.len(), 3);
    let ada = &stored[0];
    assert_eq!(ada["external_id"], "D1");
    assert_eq!(ada["email"], "ada@example.org", "emails are stored lower-cased");
    assert_eq!(ada["phone"], "+12025550101");
    assert_eq!(ada["tags"], json!(["major", "board"]), "trimmed, de-duplicated");
    assert_eq!(ada["address_country"], "GB");
    let grace = &stored[1];
    assert_eq!((grace["donor_type"].as_str(), grace["spouse_first_name"].as_str()), (Some("couple"), Some("Vincent")));
    assert_eq!(stored[2]["phone"], "+12025550199", "a national number is read as one of the US");

    // The same file again: nothing changes, not even updated_at.
    let again = import!(&app, &manager.key, DONORS, PEOPLE);
    assert_eq!(counts(&again), (0, 0, 3, 2), "{again}");
    assert_eq!(donors!(&app, &manager.key), stored);

    // A changed cell updates that donor only; an absent column is left alone.
    let changed = import!(&app, &manager.key, DONORS, "external_id,first_name\nD1,Augusta\nD3,Grace\n");
    assert_eq!(counts(&changed), (0, 1, 1, 0), "{changed}");
    let now = donors!(&app, &manager.key);
    assert_eq!(now[0]["first_name"], "Augusta");
    assert_eq!(now[0]["phone"], "+12025550101", "columns not in the file keep their value");

    // The same key twice in one file: the later row is the error.
    let twice = import!(&app, &manager.key, DONORS, "external_id,first_name\nD9,One\nD9,Two\n");
    assert_eq!(counts(&twice), (1, 0, 0, 1), "{twice}");
    assert_eq!(lines(&twice), vec![3]);
    assert!(twice["errors"][0]["reason"].as_str().unwrap().contains("line 2"), "{twice}");
}
on_both_backends!(import_then_rerun, import_then_rerun_changes_nothing);

async fn dry_runs_and_refusals_write_nothing(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    let dry = import!(&app, &manager.key, &format!("{DONORS}?dry_run=true"), PEOPLE);
    assert_eq!(counts(&dry), (3, 0, 0, 2), "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert!(donors!(&app, &manager.key).is_empty(), "a dry run writes nothing");

    // An unknown column refuses the whole file, naming it.
    let (status, headers, body) = call!(&app, csv_post(&manager.key, DONORS, "external_id,nickname\nD1,Ada\n"));
    let refused = problem(status, &headers, &body, "validation_failed");
    assert_eq!(status, 422);
    assert_eq!(refused["errors"][0]["field"], "header");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("nickname"), "{refused}");

    // No key column at all.
    let (status, _, _) = call!(&app, csv_post(&manager.key, DONORS, "first_name\nAda\n"));
    assert_eq!(status, 422);

    // Not CSV.
    let (status, headers, body) = call!(&app, post(&manager.key, DONORS, json!({ "external_id": "D1" })));
    let refused = problem(status, &headers, &body, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "content-type");

    // A bad flag.
    let (status, headers, body) = call!(&app, csv_post(&manager.key, &format!("{DONORS}?dry_run=maybe"), PEOPLE));
    let refused = problem(status, &headers, &body, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "dry_run");

    // Over the upload limit.
    let huge = "x".repeat(givance_api::routes::imports::MAX_UPLOAD_BYTES + 1);
    let (status, headers, body) = call!(&app, csv_post(&manager.key, DONORS, &huge));
    problem(status, &headers, &body, "payload_too_large");
    assert_eq!(status, 413);

    // Without donors:write.
    let (status, headers, body) = call!(&app, csv_post(&viewer.key, DONORS, PEOPLE));
    problem(status, &headers, &body, "forbidden");
    let (status, _, _) = call!(&app, csv_post(&viewer.key, DONATIONS, "donor_external_id,amount,date\n"));
    assert_eq!(status, 403);

    assert!(donors!(&app, &manager.key).is_empty(), "no refused request stored anything");
}
on_both_backends!(dry_runs_and_refusals, dry_runs_and_refusals_write_nothing);

async fn emails_match_case_insensitively(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let (status, _, _) =
        call!(&app, post(&manager.key, "/api/v1/donors", json!({ "first_name": "Ada", "email": "Ada@Example.org" })));
    assert_eq!(status, 201);

    // Without an external id a row always matches by email.
    let report = import!(&app, &manager.key, DONORS, "email,last_name\nADA@example.ORG,Lovelace\n");
    assert_eq!(counts(&report), (0, 1, 0, 0), "{report}");

    // An unknown external id creates a donor, unless match_email lets it claim the donor
    // without one that has the email.
    let csv = "external_id,email,first_name\nX1,ada@EXAMPLE.org,Ada\n";
    let dry = import!(&app, &manager.key, &format!("{DONORS}?dry_run=true"), csv);
    assert_eq!(counts(&dry), (1, 0, 0, 0), "{dry}");
    let matched = import!(&app, &manager.key, &format!("{DONORS}?match_email=true"), csv);
    assert_eq!(counts(&matched), (0, 1, 0, 0), "{matched}");
    let stored = donors!(&app, &manager.key);
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0]["external_id"].as_str(), stored[0]["last_name"].as_str()), (Some("X1"), Some("Lovelace")));
    let again = import!(&app, &manager.key, &format!("{DONORS}?match_email=true"), csv);
    assert_eq!(counts(&again), (0, 0, 1, 0), "{again}");
}
on_both_backends!(email_matching, emails_match_case_insensitively);

async fn donations_by_donor_email(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let scope = OrgScope::for_tests(hope.id);
    let app = test::init_service(givance_api::app(state(db))).await;
    import!(&app, &manager.key, DONORS, "external_id,email\nD1,ada@example.org\nD2,bob@example.org\n");

    let gifts = "\
donor_external_id,donor_email,amount,currency,date,payment_method,reference_number,is_recurring,recurring_frequency
,ADA@Example.ORG,25,usd,2026-03-01,check,1001,,
D2,,10.50,EUR,2026-03-02,,,true,monthly
,nobody@example.org,5,,2026-03-03,,,,
D1,,-3,,2026-03-04,,,,
D1,,7,,03/05/2026,,,,
D2,,10.50,EUR,2026-03-02,,,true,monthly
";
    let report = import!(&app, &manager.key, DONATIONS, gifts);
    assert_eq!(counts(&report), (2, 0, 0, 4), "{report}");
    assert_eq!(lines(&report), vec![4, 5, 6, 7], "{report}");
    assert_eq!(donation_count(&repos, &scope).await, 2);

    let again = import!(&app, &manager.key, DONATIONS, gifts);
    assert_eq!(counts(&again), (0, 0, 2, 4), "{again}");
    assert_eq!(donation_count(&repos, &scope).await, 2, "a re-run adds nothing");

    let dry = import!(
        &app,
        &manager.key,
        &format!("{DONATIONS}?dry_run=true"),
        "donor_external_id,amount,date\nD1,99,2026-04-01\n"
    );
    assert_eq!(counts(&dry), (1, 0, 0, 0));
    assert_eq!(donation_count(&repos, &scope).await, 2, "a dry run adds nothing");

    // A project of another organization is refused like a missing one.
    let other = organization(&repos, "other").await;
    let other_manager = member(&repos, &other, "oz", Role::Manager).await;
    let (status, _, body) = call!(&app, post(&other_manager.key, "/api/v1/projects", json!({ "name": "Roof" })));
    assert_eq!(status, 201);
    let project = json_of(&body)["id"].as_str().unwrap().to_owned();
    let csv = format!("donor_external_id,amount,date,project_id\nD1,5,2026-05-01,{project}\n");
    let foreign = import!(&app, &manager.key, DONATIONS, &csv);
    assert_eq!(counts(&foreign), (0, 0, 0, 1), "{foreign}");
}
on_both_backends!(donations_by_email, donations_by_donor_email);

async fn exports_neutralise_formulas_and_round_trip(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let csv = "\
external_id,first_name,last_name,email,phone,notes,tags,custom_fields
D1,=HYPERLINK(\"http://evil\"),-Smith,ada@example.org,+44 20 7946 0958,@risk,a;b,\"{\"\"k\"\":1}\"
D2,Bob,,bob@example.org,,\"multi
line\",,
";
    let report = import!(&app, &manager.key, DONORS, csv);
    assert_eq!(counts(&report), (2, 0, 0, 0), "{report}");
    import!(&app, &manager.key, DONATIONS, "donor_external_id,amount,date,notes\nD1,25,2026-03-01,+1 gift\n");

    let (status, headers, body) = call!(&app, get(&manager.key, "/api/v1/exports/donors.csv"));
    assert_eq!(status, 200);
    assert!(crate::support::content_type(&headers).starts_with("text/csv"));
    let exported = String::from_utf8(body).unwrap();
    assert!(exported.starts_with("external_id,donor_type,first_name,"), "{exported}");
    assert!(exported.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{exported}");
    assert!(exported.contains(",'-Smith,"), "{exported}");
    assert!(exported.contains(",'+442079460958,"), "{exported}");
    assert!(exported.contains(",'@risk,"), "{exported}");

    // The export imports back as it is: nothing changes.
    let back = import!(&app, &manager.key, DONORS, &exported);
    assert_eq!(counts(&back), (0, 0, 2, 0), "{back}");
    let stored = donors!(&app, &manager.key);
    assert_eq!(stored[0]["first_name"], "=HYPERLINK(\"http://evil\")", "the guard is stripped on import");
    assert_eq!(stored[0]["custom_fields"], json!({ "k": 1 }));

    let (status, _, body) = call!(&app, get(&manager.key, "/api/v1/exports/donations.csv"));
    assert_eq!(status, 200);
    let gifts = String::from_utf8(body).unwrap();
    assert!(gifts.starts_with("donor_external_id,donor_email,project_id,amount,"), "{gifts}");
    assert!(gifts.contains("D1,ada@example.org,,25.00,USD,2026-03-01,,,'+1 gift,false,,true"), "{gifts}");
    let back = import!(&app, &manager.key, DONATIONS, &gifts);
    assert_eq!(counts(&back), (0, 0, 1, 0), "{back}");

    // Exports need the read permissions.
    let viewer = member(&repos, &hope, "vic", Role::Viewer).await;
    let (status, _, _) = call!(&app, get(&viewer.key, "/api/v1/exports/donations.csv"));
    assert_eq!(status, 403);
    let (status, _, _) = call!(&app, get(&viewer.key, "/api/v1/exports/donors.csv"));
    assert_eq!(status, 200);
}
on_both_backends!(export_round_trip, exports_neutralise_formulas_and_round_trip);

async fn imports_never_touch_another_organization(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let other = organization(&repos, "other").await;
    let ours = member(&repos, &hope, "mae", Role::Manager).await;
    let theirs = member(&repos, &other, "oz", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    import!(&app, &theirs.key, DONORS, "external_id,first_name,email\nD1,Theirs,same@example.org\n");
    let before = donors!(&app, &theirs.key);

    // Same external id and email in our organization: a new donor of ours.
    let report = import!(
        &app,
        &ours.key,
        &format!("{DONORS}?match_email=true"),
        "external_id,first_name,email\nD1,Ours,same@example.org\n"
    );
    assert_eq!(counts(&report), (1, 0, 0, 0), "{report}");
    let report = import!(&app, &ours.key, DONORS, "email,first_name\nsame@example.org,Ours again\n");
    assert_eq!(counts(&report), (0, 1, 0, 0), "{report}");
    // A donation for "D1" lands on our donor.
    import!(&app, &ours.key, DONATIONS, "donor_external_id,amount,date\nD1,5,2026-01-01\n");

    assert_eq!(donors!(&app, &theirs.key), before, "the other organization's donor is untouched");
    let theirs_scope = OrgScope::for_tests(other.id);
    assert_eq!(donation_count(&repos, &theirs_scope).await, 0);
    let (_, _, body) = call!(&app, get(&theirs.key, "/api/v1/exports/donors.csv"));
    let exported = String::from_utf8(body).unwrap();
    assert!(exported.contains("Theirs") && !exported.contains("Ours"), "{exported}");
}
on_both_backends!(tenant_isolation, imports_never_touch_another_organization);

/// A national phone number on a row without a country reads in the organization's country.
async fn national_phones_read_in_the_organization_country(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let admin = member(&repos, &hope, "ada", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let csv = "external_id,phone,address_country\nP1,020 7946 0958,\nP2,01 42 68 53 00,FR\n";

    // No organization country: the US, where the London number is no number.
    let report = import!(&app, &admin.key, DONORS, csv);
    assert_eq!(counts(&report), (1, 0, 0, 1), "{report}");
    assert_eq!(lines(&report), vec![2], "{report}");
    assert!(report["errors"][0]["reason"].as_str().unwrap().starts_with("phone"), "{report}");

    let (status, _, _) = call!(&app, crate::tenants::patch_org(&admin.key, json!({ "country": "GB" })));
    assert_eq!(status, 200);
    let report = import!(&app, &admin.key, DONORS, csv);
    assert_eq!(counts(&report), (1, 0, 1, 0), "{report}");
    let stored = donors!(&app, &admin.key);
    let phones: Vec<(&str, &str)> =
        stored.iter().map(|d| (d["external_id"].as_str().unwrap(), d["phone"].as_str().unwrap())).collect();
    assert_eq!(phones, [("P1", "+442079460958"), ("P2", "+33142685300")], "the donor's own FR still wins");
}
on_both_backends!(import_phone_region, national_phones_read_in_the_organization_country);

/// A file of several batches: on PostgreSQL they are written two at a time with `UNNEST`, the
/// lookups running beside the writes. Creates, then updates every other donor, then a line in a
/// later batch that reaches an email an earlier line took away is refused.
async fn many_batches_create_update_and_stay_consistent(db: &TestDb) {
    let repos = repos(db);
    let hope = organization(&repos, "hope").await;
    let manager = member(&repos, &hope, "mae", Role::Manager).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let scope = OrgScope::for_tests(hope.id);
    let rows = 5 * givance_domain::import::BATCH_SIZE + 7;
    let file = |name: &dyn Fn(usize) -> String| {
        let mut csv = String::from("external_id,first_name,email\n");
        for i in 0..rows {
            csv.push_str(&format!("B{i},{},b{i}@example.org\n", name(i)));
        }
        csv
    };
    let created = import!(&app, &manager.key, DONORS, &file(&|i| format!("Name{i}")));
    assert_eq!(counts(&created), (rows as u64, 0, 0, 0), "{created}");
    let renamed =
        import!(&app, &manager.key, DONORS, &file(&|i| format!("Name{}", if i % 2 == 0 { i + 1 } else { i })));
    let evens = rows.div_ceil(2) as u64;
    assert_eq!(counts(&renamed), (0, evens, rows as u64 - evens, 0), "{renamed}");
    for i in [0, 1, rows / 2, rows - 1] {
        let donor = repos.donors.find_by_external_id(&scope, &format!("B{i}")).await.unwrap().unwrap();
        let want = format!("Name{}", if i % 2 == 0 { i + 1 } else { i });
        assert_eq!(donor.first_name.as_deref(), Some(want.as_str()), "B{i}");
        assert_eq!(donor.email.as_ref().map(|e| e.as_str().to_owned()), Some(format!("b{i}@example.org")));
    }

    // Line 2 moves B0 to a new email; a line one batch later carries B0's former email and no
    // external id: refused, whether or not its lookup already sees the move.
    let mut moved = String::from("external_id,first_name,email\nB0,Name1,moved@example.org\n");
    for i in 1..givance_domain::import::BATCH_SIZE {
        let name = if i % 2 == 0 { i + 1 } else { i };
        moved.push_str(&format!("B{i},Name{name},b{i}@example.org\n"));
    }
    moved.push_str(",Somebody,b0@example.org\n");
    let report = import!(&app, &manager.key, DONORS, &moved);
    let late_line = givance_domain::import::BATCH_SIZE as u64 + 2;
    assert_eq!(lines(&report), vec![late_line], "{report}");
    let unchanged = givance_domain::import::BATCH_SIZE as u64 - 1;
    assert_eq!(counts(&report), (0, 1, unchanged, 1), "only B0 moved: {report}");
    let b0 = repos.donors.find_by_external_id(&scope, "B0").await.unwrap().unwrap();
    assert_eq!(b0.email.as_ref().map(|e| e.as_str()), Some("moved@example.org"));
}
on_both_backends!(import_many_batches, many_batches_create_update_and_stay_consistent);
