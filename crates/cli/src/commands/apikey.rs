//! `givance apikey create --org <slug> --staff <email>`: a key for a staff member, printed once.

use anyhow::Context;
use chrono::Duration;
use givance_domain::api_key::ApiKeyRequest;
use givance_domain::organization::Slug;
use givance_domain::shared::time::now;
use givance_domain::{EmailAddress, OrgScope};
use givance_infra::credentials::issue_api_key;
use serde_json::json;

use crate::commands::open;
use crate::config::{ApikeyAction, ApikeyArgs, ApikeyCreateArgs};
use crate::error::ConfigError;

pub async fn run(args: ApikeyArgs) -> anyhow::Result<()> {
    match args.action {
        ApikeyAction::Create(args) => create(args).await,
    }
}

async fn create(args: ApikeyCreateArgs) -> anyhow::Result<()> {
    let slug = Slug::parse(&args.org).map_err(|e| ConfigError(e.for_field("--org").to_string()))?;
    let email = EmailAddress::parse(&args.staff).map_err(|e| ConfigError(e.for_field("--staff").to_string()))?;
    let (conn, repos) = open(&args.database.database_url).await?;

    let organization = repos
        .organizations
        .find_by_slug(&slug)
        .await?
        .with_context(|| format!("no organization has the slug '{slug}'"))?;
    let scope = OrgScope::operator(organization.id);
    let not_staff = || format!("{} is not staff of '{slug}'", email.as_str());
    let user = repos.users.find_by_email(&email).await?.with_context(not_staff)?;
    let staff = repos.staff.find_by_user(&scope, user.id).await?.with_context(not_staff)?;
    if !staff.is_active {
        anyhow::bail!("{} is deactivated in '{slug}': reactivate them first", email.as_str());
    }
    let at = now();
    let expires_at = args.expires_in_days.map(|days| at + Duration::days(i64::from(days)));
    let request = ApiKeyRequest::new(staff.id, &args.name, &args.permissions, expires_at, at)
        .map_err(|e| ConfigError(e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))?;
    let (key, token) =
        issue_api_key(repos.api_keys.as_ref(), &scope, request).await.context("cannot create the API key")?;
    conn.close().await.ok();

    if args.json {
        let out = json!({
            "id": key.id,
            "name": key.name,
            "prefix": key.prefix,
            "organization_id": organization.id,
            "organization_slug": organization.slug,
            "staff_id": staff.id,
            "permissions": key.permissions,
            "expires_at": key.expires_at,
            "token": token.expose(),
        });
        println!("{out}");
    } else {
        let expiry =
            key.expires_at.map_or_else(|| "never expires".to_owned(), |at| format!("expires {}", at.to_rfc3339()));
        println!(
            "created API key '{}' (prefix {}) for {} in '{slug}'; it {expiry}",
            key.name,
            key.prefix,
            email.as_str()
        );
        println!("API key (shown once; only its hash is stored): {}", token.expose());
    }
    tracing::info!(organization = %organization.id, key = %key.prefix, staff = %staff.id, "API key created");
    Ok(())
}
