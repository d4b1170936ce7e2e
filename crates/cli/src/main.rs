//! `givance`: the HTTP API server and the administration commands. Thin: parse the command
//! line, set up logs, call into `givance-infra` and `givance-api`, report failures in one line.

mod commands;
mod config;
mod error;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

use crate::config::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(err) = telemetry::init(&cli.log, cli.log_format) {
        return error::report(&err.into());
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => return error::report(&anyhow::Error::new(err).context("cannot start the async runtime")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => commands::serve::run(args).await,
            Command::Migrate(args) => commands::migrate::run(args).await,
            Command::Org(args) => commands::org::run(args).await,
            Command::Apikey(args) => commands::apikey::run(args).await,
            Command::Demo(args) => commands::demo::run(args).await,
            Command::Import(args) => commands::import::run(args).await,
            Command::Export(args) => commands::export::run(args).await,
            Command::Todos(args) => commands::todos::run(args).await,
        }
    });
    // Never hang on exit because of a stuck background task.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The import printed its report; 3 tells scripts that some rows did not go in.
        Err(err) if err.is::<commands::import::RowsRejected>() => ExitCode::from(3),
        Err(err) => error::report(&err),
    }
}
