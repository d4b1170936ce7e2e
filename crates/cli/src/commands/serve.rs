//! `givance serve`: bind, connect, migrate, then answer HTTP until SIGINT or SIGTERM.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use actix_web::HttpServer;
use anyhow::Context;
use givance_api::AppState;
use givance_api::jwt::{JwtConfigError, JwtVerifier};
use givance_infra::db::{self, PoolSettings};

use crate::commands::migration_failed;
use crate::config::{JwtArgs, ServeArgs};
use crate::error::ConfigError;

/// How long in-flight requests may take to finish once a shutdown is asked for.
const SHUTDOWN_TIMEOUT_SECS: u64 = 30;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let url = &args.database.database_url;
    // Configuration first, so that a typo is reported before anything is touched.
    db::backend_of(url.expose())?;
    let jwt = jwt_verifier(&args.jwt)?;
    let mut signals = Signals::install().context("cannot install the signal handlers")?;
    // Bind before connecting: a taken port fails fast, and the port is ours while we migrate.
    let listener = bind(&args.bind)?;
    let local = listener.local_addr().context("cannot read the listening address")?;

    tracing::debug!(database = %url, "connecting");
    let pool = PoolSettings { max_connections: args.db_max_connections, ..PoolSettings::default() };
    let conn = db::connect(url.expose(), &pool).await?;
    let pending =
        db::migration_status(&conn).await.map_err(migration_failed(url))?.iter().filter(|m| !m.applied).count();
    db::migrate_up(&conn).await.map_err(migration_failed(url))?;
    if pending > 0 {
        tracing::info!(database = %url, applied = pending, "applied {pending} pending migration(s)");
    }

    if args.demo {
        crate::commands::demo::seed_for_serve(&conn, local).await?;
    }

    let mut state = if args.no_credential_cache {
        tracing::info!("API keys are looked up in the database on every request (--no-credential-cache)");
        AppState::without_credential_cache(conn.clone())
    } else {
        AppState::new(conn.clone())
    };
    match jwt {
        Some(verifier) => {
            tracing::info!(jwt = ?verifier, "accepting API keys and JWTs");
            state = state.with_jwt(verifier);
        }
        None => tracing::info!("accepting API keys; JWTs are refused (no JWT keys are configured)"),
    }
    let server = HttpServer::new(move || givance_api::app(state.clone()))
        .listen(listener)
        .with_context(|| format!("cannot serve on {local}"))?
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .run();
    let handle = server.handle();
    tracing::info!(address = %format_args!("http://{local}"), database = %url, "listening on http://{local}");

    let stopper = tokio::spawn(async move {
        let signal = signals.next().await;
        tracing::info!(signal, "shutting down: finishing in-flight requests");
        handle.stop(true).await;
    });
    let served = server.await;
    stopper.abort();
    if let Err(err) = conn.close().await {
        tracing::warn!(error = %err, "closing the database pool failed");
    }
    served.with_context(|| format!("the server on {local} failed"))?;
    tracing::info!("stopped");
    Ok(())
}

/// The JWT verifier the settings describe, if any; an unusable setting is a configuration error.
fn jwt_verifier(args: &JwtArgs) -> anyhow::Result<Option<JwtVerifier>> {
    let config = |e: JwtConfigError| ConfigError(e.0);
    let verifier = if let Some(secret) = &args.jwt_hs256_secret {
        JwtVerifier::hs256(secret.expose()).map_err(|e| ConfigError(format!("GIVANCE_JWT_HS256_SECRET: {}", e.0)))?
    } else if let Some(path) = &args.jwks_file {
        JwtVerifier::jwks_file(path).map_err(config)?
    } else if let Some(url) = &args.jwks_url {
        JwtVerifier::jwks_url(url).map_err(config)?
    } else {
        if args.jwt_issuer.is_some() || args.jwt_audience.is_some() {
            tracing::warn!("GIVANCE_JWT_ISSUER / GIVANCE_JWT_AUDIENCE are set but no JWT keys are: JWTs are refused");
        }
        return Ok(None);
    };
    if args.jwt_issuer.is_none() {
        tracing::warn!("GIVANCE_JWT_ISSUER is not set: JWTs of any issuer signed by the configured keys are accepted");
    }
    Ok(Some(verifier.with_issuer(args.jwt_issuer.clone()).with_audience(args.jwt_audience.clone())))
}

fn bind(address: &str) -> anyhow::Result<TcpListener> {
    let addresses: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map_err(|err| ConfigError(format!("invalid listen address '{address}' (GIVANCE_BIND): {err}")))?
        .collect();
    TcpListener::bind(&addresses[..]).with_context(|| format!("cannot listen on {address}"))
}

/// SIGINT and SIGTERM, registered before the server starts so that none is missed.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<Self> {
        Ok(Self {})
    }

    #[cfg(unix)]
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }

    #[cfg(not(unix))]
    async fn next(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "ctrl-c"
    }
}
