//! How a failed command ends: one line on stderr and an exit code that says whose fault it is.

use std::process::ExitCode;

use givance_infra::db::ConnectError;

/// A setting that cannot work as given (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// 2 for configuration (a malformed URL, an invalid address or log filter), 1 for anything else.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    let configuration = err.chain().any(|cause| {
        cause.is::<ConfigError>()
            || matches!(cause.downcast_ref::<ConnectError>(), Some(ConnectError::Malformed { .. }))
    });
    if configuration { 2 } else { 1 }
}

/// The error and its causes on one line (`a: b: c`), whatever the messages contain.
pub fn one_line(err: &anyhow::Error) -> String {
    let text = format!("{err:#}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints `givance: <error>` on stderr and returns the exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    eprintln!("givance: {}", one_line(err));
    ExitCode::from(exit_code(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_errors_exit_2_and_the_rest_1() {
        let malformed = ConnectError::Malformed { url: "mysql://x".into(), reason: "unsupported".into() };
        assert_eq!(exit_code(&anyhow::Error::new(malformed)), 2);
        assert_eq!(exit_code(&anyhow::Error::new(ConfigError("bad".into())).context("serve")), 2);
        let unreachable = ConnectError::Unreachable { url: "postgres://h/x".into(), reason: "refused".into() };
        assert_eq!(exit_code(&anyhow::Error::new(unreachable)), 1);
        assert_eq!(exit_code(&anyhow::anyhow!("anything else")), 1);
    }

    #[test]
    fn messages_fit_on_one_line() {
        let err = anyhow::anyhow!("first\nsecond\r\n  third").context("outer");
        assert_eq!(one_line(&err), "outer: first second third");
    }
}
