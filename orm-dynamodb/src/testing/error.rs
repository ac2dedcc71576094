//! [`FixtureError`]: why the fixture has no server to hand out.

use std::fmt;
use std::time::Duration;

/// Why the fixture could not hand out a server: the source it tried, what went wrong, how long it
/// waited for the server to answer, and the last lines of the server's log.
///
/// Its `Debug` form is its message (several lines when a log tail is attached), so that
/// `local_server().await.unwrap()` in a test prints something a person can read. Where an
/// [`orm_core::Error`] is needed (`TestTable::new`, `?` in a function returning
/// `orm_core::Result`), it becomes `Error::Backend { operation: "testing fixture", .. }` with this
/// error as its source.
#[derive(Clone, PartialEq, Eq)]
pub struct FixtureError {
    source: String,
    message: String,
    waited: Option<Duration>,
    log: Option<String>,
}

/// The `operation` of the [`orm_core::Error::Backend`] a [`FixtureError`] becomes.
pub const FIXTURE_OPERATION: &str = "testing fixture";

impl FixtureError {
    /// A failure of `source` (`jar`, `docker`, ..., or `auto` when every source was tried).
    pub fn new(source: impl fmt::Display, message: impl Into<String>) -> FixtureError {
        FixtureError {
            source: source.to_string(),
            message: message.into(),
            waited: None,
            log: None,
        }
    }

    /// The same error, saying how long the fixture waited for the server.
    pub fn waited(mut self, waited: Duration) -> FixtureError {
        self.waited = Some(waited);
        self
    }

    /// The same error with the last lines of the server's log (or why there is none).
    pub fn with_log(mut self, log: impl Into<String>) -> FixtureError {
        let log = log.into();
        self.log = (!log.trim().is_empty()).then_some(log);
        self
    }

    /// The source that failed, as [`SOURCE_ENV`](super::SOURCE_ENV) names it (`auto` when every
    /// source of the default order was tried).
    pub fn source_name(&self) -> &str {
        &self.source
    }

    /// What went wrong (the log tail and the time waited are apart).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How long the fixture waited for the server to answer, when it started one.
    pub fn time_waited(&self) -> Option<Duration> {
        self.waited
    }

    /// The last lines of the server's log, when it has one.
    pub fn log_tail(&self) -> Option<&str> {
        self.log.as_deref()
    }
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "orm-dynamodb testing: no server from the `{}` source: {}",
            self.source, self.message
        )?;
        if let Some(waited) = self.waited {
            write!(f, " (waited {:.1} s)", waited.as_secs_f64())?;
        }
        if let Some(log) = &self.log {
            write!(f, "\n{}", log.trim_end())?;
        }
        Ok(())
    }
}

impl fmt::Debug for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for FixtureError {}

impl From<FixtureError> for orm_core::Error {
    fn from(e: FixtureError) -> Self {
        orm_core::Error::backend(FIXTURE_OPERATION, false, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_source_the_wait_and_the_log() {
        let e = FixtureError::new("jar", "ListTables did not answer 200 at http://127.0.0.1:1")
            .waited(Duration::from_millis(2500))
            .with_log("last lines of its log (/tmp/x.log):\nline one\nline two\n");
        let text = e.to_string();
        assert_eq!(
            text,
            "orm-dynamodb testing: no server from the `jar` source: ListTables did not answer \
             200 at http://127.0.0.1:1 (waited 2.5 s)\nlast lines of its log (/tmp/x.log):\n\
             line one\nline two"
        );
        assert_eq!(format!("{e:?}"), text, "Debug reads as the message");
        assert_eq!(e.source_name(), "jar");
        assert_eq!(e.time_waited(), Some(Duration::from_millis(2500)));
        let core: orm_core::Error = e.into();
        assert!(
            matches!(&core, orm_core::Error::Backend { operation, retryable: false, .. } if operation == FIXTURE_OPERATION),
            "{core:?}"
        );
        assert!(!core.to_string().contains("DynamoDBLocal"));
    }

    #[test]
    fn an_empty_log_is_left_out() {
        let e = FixtureError::new("endpoint", "DYNAMODB_ENDPOINT is not set").with_log("  \n");
        assert_eq!(e.log_tail(), None);
        assert!(!e.to_string().contains('\n'));
    }
}
