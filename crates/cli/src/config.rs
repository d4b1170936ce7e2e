//! The command line and its environment variables: every setting is a flag with a `GIVANCE_*`
//! variable behind it and a default that works on a laptop.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use givance_infra::db::{DEFAULT_DATABASE_URL, redact};

const ENVIRONMENT_HELP: &str = "\
Configuration (each flag can also be set by its environment variable; flags win):
  GIVANCE_DATABASE_URL  database URL [default: sqlite://givance.db]
                        sqlite://PATH (the file is created if missing) or
                        postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE
  GIVANCE_BIND          address `givance serve` listens on [default: 127.0.0.1:8080]
  GIVANCE_DB_MAX_CONNECTIONS  database pool size of `givance serve` [default: 32]
  GIVANCE_LOG           log filter, tracing EnvFilter syntax [default: info]
                        e.g. `debug`, `info,givance_api=debug`
  GIVANCE_LOG_FORMAT    log format, `text` or `json` [default: text]
  GIVANCE_JWT_HS256_SECRET  accept JWTs signed with this HS256 secret (at least 32 bytes)
  GIVANCE_JWKS_FILE     accept JWTs signed by a key of this JWKS file
  GIVANCE_JWKS_URL      accept JWTs signed by a key of this JWKS URL (fetched, cached 10 min)
                        (at most one of the three; none: only API keys are accepted)
  GIVANCE_JWT_ISSUER    required `iss` of JWTs (recommended with any of the above)
  GIVANCE_JWT_AUDIENCE  required `aud` of JWTs
Logs go to stderr. Exit codes: 0 success, 1 failure at run time, 2 configuration or usage error.";

/// Givance: donor management for nonprofits (HTTP API and administration).
#[derive(Debug, Parser)]
#[command(name = "givance", version, about, after_help = ENVIRONMENT_HELP, propagate_version = true)]
pub struct Cli {
    /// Log filter in tracing's EnvFilter syntax (`info`, `debug`, `info,givance_api=debug`).
    #[arg(long, env = "GIVANCE_LOG", default_value = "info", value_name = "FILTER", global = true)]
    pub log: String,

    /// Log format: human-readable text, or one JSON object per line.
    #[arg(long, env = "GIVANCE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API: connect to the database, apply pending migrations, then listen.
    /// SIGINT or SIGTERM stops it gracefully.
    Serve(ServeArgs),
    /// Manage the database schema.
    Migrate(MigrateArgs),
    /// Manage organizations.
    Org(OrgArgs),
    /// Manage API keys.
    Apikey(ApikeyArgs),
    /// Demo and benchmark data: generate organizations, donors and donations; write donor CSVs.
    Demo(crate::commands::demo::DemoArgs),
    /// Import donors or donations from a CSV file (exit 3 when some rows were rejected).
    Import(crate::commands::import::ImportArgs),
    /// Export donors or donations as CSV.
    Export(crate::commands::export::ExportArgs),
    /// Tasks: run the task suggester.
    Todos(crate::commands::todos::TodosArgs),
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER[:PASSWORD]@HOST[:PORT]/DB.
    #[arg(
        long,
        env = "GIVANCE_DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        value_name = "URL",
        hide_env_values = true,
        global = true
    )]
    pub database_url: DatabaseUrl,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (port 0 picks a free port; the log line says which).
    #[arg(long, env = "GIVANCE_BIND", default_value = "127.0.0.1:8080", value_name = "ADDRESS")]
    pub bind: String,

    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(flatten)]
    pub jwt: JwtArgs,

    /// Most database connections the server keeps open (PostgreSQL; SQLite uses at most 8).
    #[arg(
        long,
        env = "GIVANCE_DB_MAX_CONNECTIONS",
        value_name = "N",
        default_value_t = 32,
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    pub db_max_connections: u32,

    /// Look up the API key of every request in the database instead of memory. Needed where
    /// PostgreSQL's LISTEN does not reach the server (PgBouncer in transaction mode); the cache
    /// is never used on SQLite.
    #[arg(long, env = "GIVANCE_NO_CREDENTIAL_CACHE")]
    pub no_credential_cache: bool,

    /// On a database with no organization, seed a demo organization (about 1,000 donors and
    /// 5,000 donations) and print an API key for it with a ready `curl` line.
    #[arg(long)]
    pub demo: bool,
}

/// How JWTs are verified (`givance serve`). No key source: JWTs are refused, API keys work.
#[derive(Debug, Args)]
pub struct JwtArgs {
    /// Accept JWTs signed with this HS256 secret (at least 32 bytes). Prefer the variable: a
    /// flag shows in the process list.
    #[arg(
        long,
        env = "GIVANCE_JWT_HS256_SECRET",
        value_name = "SECRET",
        hide_env_values = true,
        conflicts_with_all = ["jwks_file", "jwks_url"]
    )]
    pub jwt_hs256_secret: Option<SecretArg>,

    /// Accept JWTs signed by a key of this JWKS file (read at start).
    #[arg(long, env = "GIVANCE_JWKS_FILE", value_name = "PATH", conflicts_with = "jwks_url")]
    pub jwks_file: Option<PathBuf>,

    /// Accept JWTs signed by a key of the JWKS at this URL (fetched on first use, cached).
    #[arg(long, env = "GIVANCE_JWKS_URL", value_name = "URL")]
    pub jwks_url: Option<String>,

    /// The issuer (`iss`) every JWT must name.
    #[arg(long, env = "GIVANCE_JWT_ISSUER", value_name = "ISSUER")]
    pub jwt_issuer: Option<String>,

    /// The audience (`aud`) every JWT must include.
    #[arg(long, env = "GIVANCE_JWT_AUDIENCE", value_name = "AUDIENCE")]
    pub jwt_audience: Option<String>,
}

/// A secret setting whose `Debug` hides it.
#[derive(Clone)]
pub struct SecretArg(String);

impl SecretArg {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for SecretArg {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretArg(***)")
    }
}

#[derive(Debug, Args)]
pub struct OrgArgs {
    #[command(subcommand)]
    pub action: OrgAction,
}

#[derive(Debug, Subcommand)]
pub enum OrgAction {
    /// Create an organization with its first user, admin staff and an API key (printed once).
    /// Applies pending migrations first.
    Create(OrgCreateArgs),
}

#[derive(Debug, Args)]
pub struct OrgCreateArgs {
    /// The organization's display name.
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// The first administrator's email: an existing user with this email, or a new one.
    #[arg(long, value_name = "EMAIL")]
    pub admin_email: String,

    /// URL-safe handle [default: derived from the name].
    #[arg(long, value_name = "SLUG")]
    pub slug: Option<String>,

    /// The identity provider's organization id (a JWT's `org_id`) [default: local_<uuid>].
    #[arg(long, value_name = "ID")]
    pub clerk_id: Option<String>,

    /// The identity provider's user id (a JWT's `sub`) for a new admin user [default: local_<uuid>].
    #[arg(long, value_name = "ID")]
    pub admin_clerk_id: Option<String>,

    /// Where the organization works, ISO 3166-1 alpha-2 (`GB`): donors' phone numbers written
    /// without a country code are read as numbers of this country when the donor has none
    /// [default: none, then the US].
    #[arg(long, value_name = "XX")]
    pub country: Option<String>,

    /// The month the fiscal year starts in, 1 (January) to 12; the reports count fiscal years
    /// by it, each named after the calendar year it ends in.
    #[arg(long, value_name = "1-12", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=12))]
    pub fiscal_year_start_month: u32,

    /// Print one JSON object (ids, slug and the API key) instead of text.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct ApikeyArgs {
    #[command(subcommand)]
    pub action: ApikeyAction,
}

#[derive(Debug, Subcommand)]
pub enum ApikeyAction {
    /// Create an API key for a staff member (printed once; only its hash is stored).
    Create(ApikeyCreateArgs),
}

#[derive(Debug, Args)]
pub struct ApikeyCreateArgs {
    /// The organization's slug.
    #[arg(long, value_name = "SLUG")]
    pub org: String,

    /// The staff member's email.
    #[arg(long, value_name = "EMAIL")]
    pub staff: String,

    /// A name to recognise the key by.
    #[arg(long, value_name = "NAME", default_value = "cli")]
    pub name: String,

    /// Days until the key stops working [default: never].
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub expires_in_days: Option<u32>,

    /// Narrow the key to these permissions (comma-separated) [default: the staff member's].
    #[arg(long, value_name = "PERMISSIONS", value_delimiter = ',')]
    pub permissions: Vec<String>,

    /// Print one JSON object (ids and the key) instead of text.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub action: MigrateAction,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last N migrations, or all of them (then the migration table is dropped too).
    Down {
        /// How many migrations to revert [default: all].
        #[arg(long, value_name = "N")]
        steps: Option<u32>,
    },
    /// List every migration as applied or pending.
    Status,
    /// Drop every table, then apply every migration (destroys all data).
    Fresh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A database URL whose `Debug` and `Display` hide the password.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;

    /// Any string: its shape is checked when connecting, which reports a malformed URL in one
    /// line (clap's own error would print a usage block).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.trim().to_owned()))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", redact(&self.0))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn database_urls_never_show_their_password() {
        let url: DatabaseUrl = "postgres://givance:s3cret@db:5432/givance".parse().unwrap();
        assert!(!format!("{url} {url:?}").contains("s3cret"));
        assert_eq!(url.expose(), "postgres://givance:s3cret@db:5432/givance");
    }

    #[test]
    fn migrate_accepts_the_database_url_after_the_action() {
        let cli =
            Cli::try_parse_from(["givance", "migrate", "down", "--steps", "2", "--database-url", "sqlite://x.db"])
                .unwrap();
        let Command::Migrate(args) = cli.command else { panic!("migrate") };
        assert_eq!(args.database.database_url.expose(), "sqlite://x.db");
        assert!(matches!(args.action, MigrateAction::Down { steps: Some(2) }));
    }
}
