//! `givance todos suggest --org <slug> [--json]`: runs the rule-based task suggester for one
//! organization, as `POST /api/v1/todos/suggestions` does, and reports what it stored. Running
//! it again stores only what is new (each suggestion has a natural key), so it suits a daily
//! cron job.

use anyhow::Context;
use clap::{Args, Subcommand};
use givance_domain::OrgScope;
use givance_domain::organization::Slug;
use givance_domain::shared::time::now;
use givance_domain::todo::{SuggestionContext, run_suggestions};
use serde_json::json;

use crate::commands::open;
use crate::config::DatabaseArgs;
use crate::error::ConfigError;

#[derive(Debug, Args)]
pub struct TodosArgs {
    #[command(subcommand)]
    pub action: TodosAction,
}

#[derive(Debug, Subcommand)]
pub enum TodosAction {
    /// Propose follow-up tasks (lapsed donors, major donors without contact, failed emails)
    /// and store the new ones as AI-generated tasks.
    Suggest(SuggestArgs),
}

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// The organization's slug.
    #[arg(long, value_name = "SLUG")]
    pub org: String,

    /// Print one JSON object (the counts and the new tasks) instead of text.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

pub async fn run(args: TodosArgs) -> anyhow::Result<()> {
    match args.action {
        TodosAction::Suggest(args) => suggest(args).await,
    }
}

async fn suggest(args: SuggestArgs) -> anyhow::Result<()> {
    let slug = Slug::parse(&args.org).map_err(|e| ConfigError(e.for_field("--org").to_string()))?;
    let (conn, repos) = open(&args.database.database_url).await?;
    let organization = repos
        .organizations
        .find_by_slug(&slug)
        .await?
        .with_context(|| format!("no organization has the slug '{slug}'"))?;
    let scope = OrgScope::operator(organization.id);
    let context = SuggestionContext { today: now().date_naive(), fiscal_year: organization.fiscal_year_start_month };
    let run = run_suggestions(repos.task_suggester.as_ref(), repos.todos.as_ref(), &scope, context)
        .await
        .context("cannot run the task suggester")?;
    conn.close().await.ok();

    if args.json {
        let created: Vec<_> = run
            .created
            .iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "title": t.title,
                    "type": t.todo_type.as_str(),
                    "priority": t.priority.as_str(),
                    "due_date": t.due_date,
                    "donor_id": t.donor_id,
                    "ai_reasoning": t.origin.ai_reasoning(),
                    "ai_confidence": t.origin.ai_confidence().map(|c| c.to_string()),
                })
            })
            .collect();
        let out = json!({
            "organization_slug": organization.slug,
            "created_count": run.created.len(),
            "already_suggested": run.already_suggested,
            "created": created,
        });
        println!("{out}");
    } else {
        println!(
            "stored {} new suggested task(s) for '{slug}'; {} suggestion(s) were stored before",
            run.created.len(),
            run.already_suggested
        );
        for todo in &run.created {
            let due = todo.due_date.map_or_else(String::new, |d| format!(" (due {d})"));
            println!("  [{}] {}{due}", todo.priority, todo.title);
        }
    }
    tracing::info!(organization = %organization.id, created = run.created.len(), "tasks suggested");
    Ok(())
}
