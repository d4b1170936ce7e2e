//! Logs: `tracing` to stderr, filtered by `GIVANCE_LOG`, as text or JSON (`GIVANCE_LOG_FORMAT`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::error::ConfigError;

/// Libraries that narrate routine work at `info`; quieted to `warn` unless the filter names them.
const CHATTY: &[&str] = &["sea_orm_migration", "actix_server"];

/// The filter actually applied: the user's, plus `warn` for each chatty library it leaves out.
pub fn effective_filter(filter: &str) -> String {
    let mut directives = filter.trim().to_owned();
    for target in CHATTY {
        if !filter.contains(target) {
            if !directives.is_empty() {
                directives.push(',');
            }
            directives.push_str(target);
            directives.push_str("=warn");
        }
    }
    directives
}

/// Installs the global subscriber. Fails, without installing anything, on an invalid filter.
pub fn init(filter: &str, format: LogFormat) -> Result<(), ConfigError> {
    let env_filter = EnvFilter::builder()
        .parse(effective_filter(filter))
        .map_err(|err| ConfigError(format!("invalid log filter '{filter}' (GIVANCE_LOG): {err}")))?;
    let builder = tracing_subscriber::fmt().with_env_filter(env_filter).with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).try_init(),
    };
    installed.map_err(|err| ConfigError(format!("cannot install the logger: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatty_libraries_are_quieted_unless_named() {
        assert_eq!(effective_filter("info"), "info,sea_orm_migration=warn,actix_server=warn");
        assert_eq!(effective_filter(""), "sea_orm_migration=warn,actix_server=warn");
        assert_eq!(effective_filter("debug,sea_orm_migration=info"), "debug,sea_orm_migration=info,actix_server=warn");
    }
}
