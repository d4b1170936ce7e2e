//! Fundraising reports over HTTP on both databases: the organization's fiscal-year setting and
//! how the reports follow it, each report in JSON and CSV (by `?format=csv` and by `Accept`),
//! CSV cells guarded against formulas, validation (422 naming the field), permissions, and
//! another organization's data never counted. The definitions themselves are checked in
//! depth by the repository tests (`crates/infra/tests/repos/reports.rs`).

use actix_web::test::{self, TestRequest};
use chrono::NaiveDate;
use givance_domain::donation::{NewDonation, PaymentMethod};
use givance_domain::donor::NewDonor;
use givance_domain::organization::Organization;
use givance_domain::staff::Role;
use givance_domain::{Currency, DonorId, EmailAddress, Money, OrgScope};
use givance_infra::Repositories;
use givance_tests::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::support::{call, content_type, fields, problem, state};
use crate::tenants::{get, json_of, key_for, member, organization, patch_org, repos, with_bearer};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn named_donor(repos: &Repositories, scope: &OrgScope, first: &str, email: &str) -> DonorId {
    let mut new = NewDonor::individual(Some(first), Some("Giver")).unwrap();
    new.email = Some(EmailAddress::parse(email).unwrap());
    repos.donors.create(scope, new).await.unwrap().id
}

async fn give(repos: &Repositories, scope: &OrgScope, donor: DonorId, amount: &str, date: NaiveDate) {
    let mut new = NewDonation::new(donor, Money::parse(amount, Currency::USD).unwrap(), date).unwrap();
    new.payment_method = Some(PaymentMethod::Check);
    repos.donations.create(scope, new).await.unwrap();
}

/// Ada gave on the last day of July-start FY2025, Bob on the first day of FY2026, and a donor
/// whose name a spreadsheet would run as a formula gave in FY2024.
struct Alpha {
    org: Organization,
    ada: DonorId,
    bob: DonorId,
}

async fn alpha(repos: &Repositories) -> Alpha {
    let org = organization(repos, "alpha").await;
    let scope = OrgScope::for_tests(org.id);
    let ada = named_donor(repos, &scope, "Ada", "ada@example.org").await;
    let bob = named_donor(repos, &scope, "Bob", "bob@example.org").await;
    let formula = named_donor(repos, &scope, "=HYPERLINK(\"http://evil\")", "f@example.org").await;
    give(repos, &scope, ada, "100.00", day(2025, 6, 30)).await;
    give(repos, &scope, ada, "0.10", day(2024, 1, 1)).await;
    give(repos, &scope, bob, "50.00", day(2025, 7, 1)).await;
    give(repos, &scope, bob, "0.20", day(2024, 12, 1)).await;
    give(repos, &scope, formula, "7.00", day(2024, 3, 3)).await;
    Alpha { org, ada, bob }
}

fn donor_ids(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|d| d["donor_id"].as_str().unwrap().to_owned()).collect()
}

fn csv_lines(body: &[u8]) -> Vec<String> {
    String::from_utf8(body.to_vec()).unwrap().lines().map(str::to_owned).collect()
}

async fn fiscal_year_setting_drives_the_reports(db: &TestDb) {
    let repos = repos(db);
    let a = alpha(&repos).await;
    let admin = member(&repos, &a.org, "rep-admin", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    // January by default; bad values are 422 and change nothing.
    let (_, _, body) = call!(&app, get(&admin.key, "/api/v1/organization"));
    assert_eq!(json_of(&body)["fiscal_year_start_month"], 1);
    for bad in [json!(0), json!(13), json!(null), json!("7"), json!(7.5)] {
        let (status, headers, body) = call!(&app, patch_org(&admin.key, json!({ "fiscal_year_start_month": bad })));
        let problem = problem(422, &headers, &body, "validation_failed");
        assert_eq!((status, fields(&problem)), (422, vec!["fiscal_year_start_month".to_owned()]), "{bad}");
    }
    let (status, _, body) = call!(&app, patch_org(&admin.key, json!({ "fiscal_year_start_month": 7 })));
    assert_eq!((status, json_of(&body)["fiscal_year_start_month"].clone()), (200, json!(7)));

    // July start: FY2026 is 2025-07-01..2026-06-30; Ada lapsed, Bob gave on its first day.
    let (status, _, body) = call!(&app, get(&admin.key, "/api/v1/reports/lybunt?fiscal_year=2026"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let report = json_of(&body);
    assert_eq!(report["period"], json!({ "from": "2025-07-01", "to": "2026-06-30" }));
    assert_eq!(report["previous_period"], json!({ "from": "2024-07-01", "to": "2025-06-30" }));
    assert_eq!(donor_ids(&report), [a.ada.to_string()]);
    assert_eq!(
        report["data"][0],
        json!({
            "donor_id": a.ada.to_string(), "first_name": "Ada", "last_name": "Giver", "email": "ada@example.org",
            "last_gift_date": "2025-06-30",
            "totals": [{ "currency": "USD", "last_year_total": "100.00", "lifetime_total": "100.10" }],
        })
    );
    // Back to January: calendar 2025 was Bob's last year too.
    call!(&app, patch_org(&admin.key, json!({ "fiscal_year_start_month": 1 })));
    let (_, _, body) = call!(&app, get(&admin.key, "/api/v1/reports/lybunt?fiscal_year=2026"));
    assert_eq!(donor_ids(&json_of(&body)), [a.bob.to_string(), a.ada.to_string()]);
}
on_both_backends!(reports_fiscal_year_setting, fiscal_year_setting_drives_the_reports);

async fn every_report_in_json_and_csv(db: &TestDb) {
    let repos = repos(db);
    let a = alpha(&repos).await;
    let admin = member(&repos, &a.org, "rep-admin", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    call!(&app, patch_org(&admin.key, json!({ "fiscal_year_start_month": 7 })));

    // SYBUNT 2026 pages of one, in CSV: the cursor comes in a header; formulas are guarded.
    let (status, headers, body) =
        call!(&app, get(&admin.key, "/api/v1/reports/sybunt?fiscal_year=2026&limit=1&format=csv"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(content_type(&headers).starts_with("text/csv"), "{}", content_type(&headers));
    let lines = csv_lines(&body);
    assert_eq!(lines[0], "donor_id,first_name,last_name,email,last_gift_date,currency,last_year_total,lifetime_total");
    assert_eq!(lines[1], format!("{},Ada,Giver,ada@example.org,2025-06-30,USD,100.00,100.10", a.ada));
    let cursor = headers.get("x-next-cursor").unwrap().to_str().unwrap().to_owned();
    let uri = format!("/api/v1/reports/sybunt?fiscal_year=2026&limit=5&cursor={cursor}");
    let (_, headers, body) = call!(&app, get(&admin.key, &uri).insert_header(("Accept", "text/csv")));
    let lines = csv_lines(&body);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].contains(",\"'=HYPERLINK(\"\"http://evil\"\")\",Giver,"), "{}", lines[1]);
    assert!(headers.get("x-next-cursor").is_none());

    // Retention, rolling to the end of FY2026: Ada and Bob gave in the prior twelve months
    // (the formula donor's March 2024 gift is earlier), Bob again.
    let (_, _, body) = call!(&app, get(&admin.key, "/api/v1/reports/retention?as_of=2026-06-30"));
    let rolling = json_of(&body);
    assert_eq!(
        (rolling["prior_donors"].clone(), rolling["retained_donors"].clone(), rolling["retention_rate"].clone()),
        (json!(2), json!(1), json!("0.5000"))
    );
    assert_eq!(rolling["current_period"], json!({ "from": "2025-07-01", "to": "2026-06-30" }));
    let (_, _, body) =
        call!(&app, get(&admin.key, "/api/v1/reports/retention/fiscal-years?from_year=2025&to_year=2026"));
    let years = json_of(&body);
    let rows: Vec<_> = years["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| (y["fiscal_year"].clone(), y["prior_donors"].clone(), y["retention_rate"].clone()))
        .collect();
    // FY2024 (2023-07..2024-06): Ada and the formula donor; of them only Ada gave in FY2025.
    assert_eq!(rows, [(json!(2025), json!(2), json!("0.5000")), (json!(2026), json!(2), json!("0.5000"))]);
    let (_, _, body) = call!(&app, get(&admin.key, "/api/v1/reports/retention?as_of=2026-06-30&format=csv"));
    assert_eq!(
        csv_lines(&body),
        [
            "as_of,prior_from,prior_to,current_from,current_to,prior_donors,retained_donors,retention_rate",
            "2026-06-30,2024-07-01,2025-06-30,2025-07-01,2026-06-30,2,1,0.5000",
        ]
    );

    // Giving breakdowns over FY2025 plus a day.
    let range = "from=2024-07-01&to=2025-07-01";
    let (_, _, body) = call!(&app, get(&admin.key, &format!("/api/v1/reports/giving/by-month?{range}")));
    let months = json_of(&body);
    assert_eq!(months["period"], json!({ "from": "2024-07-01", "to": "2025-07-01" }));
    assert_eq!(
        months["data"],
        json!([
            { "month": "2024-12", "currency": "USD", "total": "0.20", "gift_count": 1, "donor_count": 1 },
            { "month": "2025-06", "currency": "USD", "total": "100.00", "gift_count": 1, "donor_count": 1 },
            { "month": "2025-07", "currency": "USD", "total": "50.00", "gift_count": 1, "donor_count": 1 },
        ])
    );
    let (_, _, body) = call!(&app, get(&admin.key, &format!("/api/v1/reports/giving/by-project?{range}")));
    assert_eq!(
        json_of(&body)["data"],
        json!([{ "project_id": null, "project_name": null, "currency": "USD", "total": "150.20", "gift_count": 3, "donor_count": 2 }])
    );
    let (_, _, body) =
        call!(&app, get(&admin.key, &format!("/api/v1/reports/giving/by-payment-method?{range}&format=csv")));
    assert_eq!(csv_lines(&body), ["payment_method,currency,total,gift_count,donor_count", "check,USD,150.20,3,2"]);

    // Top donors over everything.
    let (_, _, body) = call!(&app, get(&admin.key, "/api/v1/reports/top-donors?from=2000-01-01&to=2030-12-31&limit=2"));
    let top = json_of(&body);
    assert_eq!(top["currency"], "USD");
    let ranked: Vec<_> =
        top["data"].as_array().unwrap().iter().map(|d| (d["rank"].clone(), d["total"].clone())).collect();
    assert_eq!(ranked, [(json!(1), json!("100.10")), (json!(2), json!("50.20"))]);
    assert_eq!(donor_ids(&top), [a.ada.to_string(), a.bob.to_string()]);
    let (_, _, body) =
        call!(&app, get(&admin.key, "/api/v1/reports/top-donors?from=2000-01-01&to=2030-12-31&currency=eur"));
    assert_eq!(json_of(&body)["data"], json!([]), "nobody gave euros");
}
on_both_backends!(reports_json_and_csv, every_report_in_json_and_csv);

const ENDPOINTS: &[&str] = &[
    "/api/v1/reports/lybunt",
    "/api/v1/reports/sybunt",
    "/api/v1/reports/retention",
    "/api/v1/reports/retention/fiscal-years",
    "/api/v1/reports/giving/by-month",
    "/api/v1/reports/giving/by-project",
    "/api/v1/reports/giving/by-payment-method",
    "/api/v1/reports/top-donors",
];

async fn bad_parameters_are_422s(db: &TestDb) {
    let repos = repos(db);
    let org = organization(&repos, "alpha").await;
    let admin = member(&repos, &org, "rep-admin", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;
    let cases: &[(&str, &[&str])] = &[
        ("/api/v1/reports/giving/by-month?from=2026-02-01&to=2026-01-31", &["to"]),
        ("/api/v1/reports/giving/by-project?from=2026-02-30", &["from"]),
        ("/api/v1/reports/giving/by-payment-method?to=yesterday&format=xml", &["format", "to"]),
        ("/api/v1/reports/top-donors?from=2026-02-01&to=2026-01-01", &["to"]),
        ("/api/v1/reports/top-donors?currency=ZZZ&limit=201", &["currency", "limit"]),
        ("/api/v1/reports/lybunt?fiscal_year=abc&limit=0", &["fiscal_year", "limit"]),
        ("/api/v1/reports/lybunt?limit=201", &["limit"]),
        ("/api/v1/reports/sybunt?cursor=nope", &["cursor"]),
        ("/api/v1/reports/retention?as_of=2026-13-01", &["as_of"]),
        ("/api/v1/reports/retention/fiscal-years?from_year=2026&to_year=2025", &["to_year"]),
        ("/api/v1/reports/retention/fiscal-years?from_year=1900&to_year=2026", &["to_year"]),
        ("/api/v1/reports/retention/fiscal-years?from_year=0", &["from_year"]),
    ];
    for (uri, want) in cases {
        let (status, headers, body) = call!(&app, get(&admin.key, uri));
        assert_eq!(status, 422, "{uri}: {}", String::from_utf8_lossy(&body));
        let mut got = fields(&problem(422, &headers, &body, "validation_failed"));
        got.sort();
        assert_eq!(got, *want, "{uri}");
    }
    // A CSV page may be longer than a JSON one, up to its own maximum.
    let (status, _, _) = call!(&app, get(&admin.key, "/api/v1/reports/lybunt?limit=10000&format=csv"));
    assert_eq!(status, 200);
    let (status, _, _) = call!(&app, get(&admin.key, "/api/v1/reports/lybunt?limit=10001&format=csv"));
    assert_eq!(status, 422);
    // An unknown parameter is refused, not ignored.
    let (status, headers, body) = call!(&app, get(&admin.key, "/api/v1/reports/lybunt?year=2026"));
    assert_eq!(status, 400);
    problem(400, &headers, &body, "invalid_query");
}
on_both_backends!(reports_bad_parameters, bad_parameters_are_422s);

/// The limits the OpenAPI document states are the ones the code enforces.
async fn documented_limits_are_enforced_ones(db: &TestDb) {
    use givance_api::routes::reports::{MAX_CSV_LIMIT, MAX_LIMIT};
    let app = test::init_service(givance_api::app(state(db))).await;
    let (_, _, body) = call!(&app, TestRequest::get().uri("/api/v1/openapi.json"));
    let doc = json_of(&body);
    let limit_max = |path: &str| {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        limit["schema"]["maximum"].as_u64().unwrap()
    };
    assert_eq!(limit_max("/api/v1/reports/lybunt"), MAX_CSV_LIMIT);
    assert_eq!(limit_max("/api/v1/reports/sybunt"), MAX_CSV_LIMIT);
    assert_eq!(limit_max("/api/v1/reports/top-donors"), MAX_LIMIT);
}
on_both_backends!(reports_documented_limits, documented_limits_are_enforced_ones);

async fn permissions_and_tenants(db: &TestDb) {
    let repos = repos(db);
    let a = alpha(&repos).await;
    let admin = member(&repos, &a.org, "rep-admin", Role::Admin).await;
    let viewer = member(&repos, &a.org, "rep-viewer", Role::Viewer).await;
    let donations_only = key_for(&repos, &a.org, &admin.staff, &["donations:read"]).await;
    let beta = organization(&repos, "beta").await;
    let beta_admin = member(&repos, &beta, "beta-admin", Role::Admin).await;
    let app = test::init_service(givance_api::app(state(db))).await;

    let everything = "from=2000-01-01&to=2030-12-31";
    for endpoint in ENDPOINTS {
        let uri = if endpoint.contains("giving") || endpoint.contains("top-donors") {
            format!("{endpoint}?{everything}")
        } else {
            endpoint.to_string()
        };
        // A viewer lacks donations:read.
        let (status, headers, body) = call!(&app, get(&viewer.key, &uri));
        assert_eq!(status, 403, "{uri}");
        problem(403, &headers, &body, "forbidden");
        // The donor lists also need donors:read.
        let lists_donors = ["lybunt", "sybunt", "top-donors"].iter().any(|n| endpoint.ends_with(n));
        let (status, _, _) = call!(&app, get(&donations_only, &uri));
        assert_eq!(status, if lists_donors { 403 } else { 200 }, "{uri}");
        // Nothing of alpha's reaches beta, in JSON or CSV.
        let (status, _, body) = call!(&app, get(&beta_admin.key, &uri));
        assert_eq!(status, 200, "{uri}: {}", String::from_utf8_lossy(&body));
        let report = json_of(&body);
        match report["data"].as_array() {
            // Retention by fiscal year has a row per year, each with no donors; the others none.
            Some(rows) => assert!(rows.iter().all(|row| row["prior_donors"] == 0), "{uri}: {report}"),
            None => assert_eq!(report["prior_donors"], 0, "{uri}: {report}"),
        }
        let req = with_bearer(TestRequest::get().uri(&uri), &beta_admin.key).insert_header(("Accept", "text/csv"));
        let (_, _, body) = call!(&app, req);
        let text = String::from_utf8(body).unwrap();
        for id in [a.ada, a.bob] {
            assert!(!text.contains(&id.to_string()), "{uri}: {text}");
        }
    }
}
on_both_backends!(reports_permissions_and_tenants, permissions_and_tenants);
