use givance_domain::organization::{NewOrganization, OrganizationPatch, Slug};
use givance_domain::report::FiscalYearStart;
use givance_domain::{CountryCode, OrgScope, OrganizationId, RepoError, WebUrl};
use givance_tests::{TestDb, on_both_backends};

use crate::fixtures::{donor, org, repos};

async fn create_read_update(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    let organization = repos.organizations.get(&scope).await.unwrap();
    assert_eq!(organization.slug.as_str(), "hope");
    assert_eq!(repos.organizations.find_by_slug(&Slug::parse("hope").unwrap()).await.unwrap().unwrap().id, scope.org());
    assert_eq!(repos.organizations.find_by_clerk_id("clerk_hope").await.unwrap().unwrap().id, scope.org());
    assert!(repos.organizations.find_by_slug(&Slug::parse("nope").unwrap()).await.unwrap().is_none());

    let patch = OrganizationPatch {
        name: Some("Hope for Kids".into()),
        ai_instructions: Some(Some("Warm, brief.".into())),
        website_url: Some(Some(WebUrl::parse("https://hope.example.org").unwrap())),
        country: Some(Some(CountryCode::parse("GB").unwrap())),
        donor_journey_graph: Some(Some(
            serde_json::json!({"stages": [{"id": "prospect", "name": "Prospect", "transitions": []}]}),
        )),
        ..OrganizationPatch::default()
    };
    let updated = repos.organizations.update(&scope, patch).await.unwrap();
    assert_eq!(repos.organizations.get(&scope).await.unwrap(), updated);
    assert_eq!(updated.name, "Hope for Kids");
    assert_eq!(updated.website_url.unwrap().as_str(), "https://hope.example.org/");
    assert_eq!(updated.country.map(|c| c.to_string()).as_deref(), Some("GB"));

    let cleared = repos
        .organizations
        .update(
            &scope,
            OrganizationPatch { ai_instructions: Some(None), country: Some(None), ..OrganizationPatch::default() },
        )
        .await
        .unwrap();
    assert_eq!((cleared.ai_instructions, cleared.country), (None, None));
    assert_eq!(repos.organizations.get(&scope).await.unwrap().country, None);

    // A country given at creation is stored.
    let mut new = NewOrganization::new("clerk_fr", "Espoir", Slug::parse("espoir").unwrap()).unwrap();
    new.country = Some(CountryCode::parse("fr").unwrap());
    let created = repos.organizations.create(new).await.unwrap();
    let found = repos.organizations.find_by_slug(&Slug::parse("espoir").unwrap()).await.unwrap().unwrap();
    assert_eq!((found.country, found), (created.country, created.clone()));
    assert_eq!(created.country.unwrap().as_str(), "FR");
}
on_both_backends!(create_read_update_organizations, create_read_update);

async fn fiscal_year_start_month(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    assert_eq!(repos.organizations.get(&scope).await.unwrap().fiscal_year_start_month, FiscalYearStart::JANUARY);
    let july = FiscalYearStart::new(7).unwrap();
    let patch = OrganizationPatch { fiscal_year_start_month: Some(july), ..OrganizationPatch::default() };
    assert_eq!(repos.organizations.update(&scope, patch).await.unwrap().fiscal_year_start_month, july);
    let other = OrganizationPatch { name: Some("Hope 2".into()), ..OrganizationPatch::default() };
    repos.organizations.update(&scope, other).await.unwrap();
    assert_eq!(repos.organizations.get(&scope).await.unwrap().fiscal_year_start_month, july, "left alone");

    let mut new = NewOrganization::new("clerk_april", "April", Slug::parse("april").unwrap()).unwrap();
    new.fiscal_year_start_month = FiscalYearStart::new(4).unwrap();
    let created = repos.organizations.create(new).await.unwrap();
    let found = repos.organizations.find_by_slug(&created.slug).await.unwrap().unwrap();
    assert_eq!(found.fiscal_year_start_month.month(), 4);
}
on_both_backends!(organization_fiscal_year_start_month, fiscal_year_start_month);

async fn duplicate_slug_is_a_conflict(db: &TestDb) {
    let repos = repos(db);
    org(&repos, "hope").await;
    let again = NewOrganization::new("clerk_other", "Other", Slug::parse("hope").unwrap()).unwrap();
    match repos.organizations.create(again).await {
        Err(RepoError::Conflict { constraint }) => assert_eq!(constraint, "uq_organizations_slug"),
        other => panic!("expected a conflict, got {other:?}"),
    }
}
on_both_backends!(organization_slug_conflict, duplicate_slug_is_a_conflict);

async fn deleting_an_organization_with_data_is_refused(db: &TestDb) {
    let repos = repos(db);
    let scope = org(&repos, "hope").await;
    donor(&repos, &scope, "Ada").await;
    assert!(matches!(repos.organizations.delete(&scope).await, Err(RepoError::InUse(_))));
    assert!(repos.organizations.get(&scope).await.is_ok(), "the organization must still be there");

    let empty = org(&repos, "empty").await;
    repos.organizations.delete(&empty).await.unwrap();
    assert!(matches!(repos.organizations.get(&empty).await, Err(RepoError::NotFound)));
    let unknown = OrgScope::for_tests(OrganizationId::new());
    assert!(matches!(repos.organizations.delete(&unknown).await, Err(RepoError::NotFound)));
}
on_both_backends!(organization_delete_rules, deleting_an_organization_with_data_is_refused);
