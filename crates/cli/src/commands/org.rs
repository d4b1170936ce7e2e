//! `givance org create`: an organization, its first user (found by email or created), admin
//! staff and an API key, printed once.

use anyhow::{Context, bail};
use givance_domain::api_key::ApiKeyRequest;
use givance_domain::organization::{NewOrganization, Slug};
use givance_domain::report::FiscalYearStart;
use givance_domain::shared::time::now;
use givance_domain::staff::{NewStaff, Role};
use givance_domain::user::NewUser;
use givance_domain::{CountryCode, EmailAddress, OrgScope, RepoError};
use givance_infra::credentials::issue_api_key;
use serde_json::json;

use crate::commands::open;
use crate::config::{OrgAction, OrgArgs, OrgCreateArgs};
use crate::error::ConfigError;

pub async fn run(args: OrgArgs) -> anyhow::Result<()> {
    match args.action {
        OrgAction::Create(args) => create(args).await,
    }
}

fn local_id() -> String {
    format!("local_{}", uuid::Uuid::new_v4().simple())
}

async fn create(args: OrgCreateArgs) -> anyhow::Result<()> {
    // Everything the command line says is checked before anything is written.
    let usage = |e: givance_domain::ValueError| ConfigError(e.to_string());
    let slug = match &args.slug {
        Some(slug) => Slug::parse(slug).map_err(usage)?,
        None => Slug::from_name(&args.name)
            .map_err(|e| ConfigError(format!("cannot derive a slug from the name ({e}); pass --slug")))?,
    };
    let clerk_id = args.clerk_id.clone().unwrap_or_else(local_id);
    let mut new_org = NewOrganization::new(&clerk_id, &args.name, slug.clone()).map_err(usage)?;
    new_org.country =
        args.country.as_deref().map(CountryCode::parse).transpose().map_err(|e| usage(e.for_field("--country")))?;
    new_org.fiscal_year_start_month = FiscalYearStart::new(args.fiscal_year_start_month).map_err(usage)?;
    let email = EmailAddress::parse(&args.admin_email).map_err(|e| usage(e.for_field("--admin-email")))?;
    let admin_clerk_id = args.admin_clerk_id.clone().unwrap_or_else(local_id);
    let new_user = NewUser::new(&admin_clerk_id, email.clone(), None, None).map_err(usage)?;

    let (conn, repos) = open(&args.database.database_url).await?;
    if repos.organizations.find_by_slug(&slug).await?.is_some() {
        bail!("an organization with the slug '{slug}' exists already; pass another --slug");
    }
    let organization = repos.organizations.create(new_org).await.map_err(|err| match err {
        RepoError::Conflict { constraint } if constraint.contains("clerk_id") => {
            anyhow::anyhow!("an organization with the clerk id '{clerk_id}' exists already")
        }
        err => anyhow::Error::new(err).context("cannot create the organization"),
    })?;
    let scope = OrgScope::operator(organization.id);
    let (user, user_created) = match repos.users.find_by_email(&email).await? {
        Some(user) => (user, false),
        None => (repos.users.create(new_user).await.context("cannot create the admin user")?, true),
    };
    let staff = repos
        .staff
        .create(&scope, NewStaff { user_id: user.id, role: Role::Admin, permissions: vec![] })
        .await
        .context("cannot make the user an admin of the organization")?;
    let request = ApiKeyRequest::new(staff.id, "bootstrap", &[], None, now())
        .map_err(|e| anyhow::anyhow!("{}", e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))?;
    let (key, token) =
        issue_api_key(repos.api_keys.as_ref(), &scope, request).await.context("cannot create the API key")?;
    conn.close().await.ok();

    if args.json {
        let out = json!({
            "organization": {
                "id": organization.id,
                "slug": organization.slug,
                "name": organization.name,
                "clerk_id": organization.clerk_id,
                "country": organization.country,
                "fiscal_year_start_month": organization.fiscal_year_start_month.month(),
            },
            "user": { "id": user.id, "email": user.email.as_str(), "clerk_id": user.clerk_id, "created": user_created },
            "staff": { "id": staff.id, "role": staff.role.as_str() },
            "api_key": { "id": key.id, "name": key.name, "prefix": key.prefix, "token": token.expose() },
        });
        println!("{out}");
    } else {
        println!("created organization '{}' ({}), id {}", organization.name, organization.slug, organization.id);
        let how = if user_created { "new user" } else { "existing user" };
        println!("admin: {} ({how}, id {}), staff id {}", user.email.as_str(), user.id, staff.id);
        println!("API key (shown once; only its hash is stored): {}", token.expose());
    }
    tracing::info!(organization = %organization.id, slug = %organization.slug, key = %key.prefix, "organization created");
    Ok(())
}
