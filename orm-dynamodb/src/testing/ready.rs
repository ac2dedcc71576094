//! Readiness: a server is handed out only once a real DynamoDB request, `ListTables` through the
//! SDK client at the exact endpoint the tests will use, has answered 200.
//!
//! A log line, an open port or a container's "started" state is not enough: a container's
//! published port can accept and reset connections for a while after the server inside logs that
//! it listens, and a JVM accepts connections before it answers. Until the deadline, every failure
//! (connection refused or reset, a timeout, an error response) is retried here, every 100-250 ms,
//! so that the tests never see one.

use super::error::FixtureError;
use super::{env, Source};
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use std::time::{Duration, Instant};

/// The environment variable bounding how long the fixture waits for a server to answer, in
/// seconds (default [`DEFAULT_READY_TIMEOUT`]); the bound of [`Launcher::ready_timeout`]'s default.
///
/// [`Launcher::ready_timeout`]: super::Launcher::ready_timeout
pub const READY_TIMEOUT_ENV: &str = "ORM_DYNAMODB_READY_TIMEOUT";

/// How long the fixture waits for a server to answer `ListTables` unless [`READY_TIMEOUT_ENV`]
/// says otherwise: long enough for a JVM on a busy 2-core machine, short enough that a server
/// that never answers fails the run within minutes.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(120);

/// The readiness bound from [`READY_TIMEOUT_ENV`], else [`DEFAULT_READY_TIMEOUT`].
pub(crate) fn ready_timeout_from_env() -> Result<Duration, FixtureError> {
    match env(READY_TIMEOUT_ENV) {
        None => Ok(DEFAULT_READY_TIMEOUT),
        Some(text) => text
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                FixtureError::new(
                    "auto",
                    format!("{READY_TIMEOUT_ENV}={text:?} is not a positive number of seconds"),
                )
            }),
    }
}

/// What the readiness wait watches besides the endpoint: whether the server process has already
/// ended, and its log.
pub(crate) trait Watched {
    /// `Some(status)` once the server process has exited (it never will answer then).
    fn exited(&mut self) -> Option<String>;
    /// The last lines of the server's log, headed by where the log is; empty when there is none.
    fn log_tail(&self) -> String;
}

/// A server the fixture did not start: nothing to watch.
pub(crate) struct NotStarted;

impl Watched for NotStarted {
    fn exited(&mut self) -> Option<String> {
        None
    }
    fn log_tail(&self) -> String {
        String::new()
    }
}

/// Waits until `ListTables` answers 200 at `endpoint`, at most `timeout`; returns the time it
/// took. The error names the source, the endpoint, the last failure, the time waited and the
/// log's last lines.
pub(crate) async fn wait_until_answering(
    source: Source,
    endpoint: &str,
    timeout: Duration,
    server: &mut dyn Watched,
) -> Result<Duration, FixtureError> {
    let started = Instant::now();
    let fail = |message: String, server: &dyn Watched| {
        FixtureError::new(source, message)
            .waited(started.elapsed())
            .with_log(server.log_tail())
    };
    // One attempt per probe (the loop below retries), each bounded, so that a server that
    // accepts connections but never answers is probed again rather than waited on forever.
    let attempt = timeout.min(Duration::from_secs(5));
    let probe = match super::local_builder(endpoint)
        .max_attempts(1)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(attempt)
                .operation_attempt_timeout(attempt)
                .operation_timeout(attempt)
                .build(),
        )
        .build()
        .await
    {
        Ok(backend) => backend,
        Err(e) => return Err(fail(format!("no client for {endpoint}: {e}"), server)),
    };
    let mut pause = Duration::from_millis(100);
    let mut attempts = 0u32;
    loop {
        if let Some(status) = server.exited() {
            return Err(fail(
                format!("the server exited ({status}) before ListTables answered at {endpoint}"),
                server,
            ));
        }
        attempts += 1;
        let request = probe.client().list_tables().limit(1).send();
        let last_error = match tokio::time::timeout(attempt + Duration::from_secs(1), request).await
        {
            Ok(Ok(_)) => return Ok(started.elapsed()),
            Ok(Err(e)) => aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
            Err(_) => format!("no answer within {} s", attempt.as_secs_f64()),
        };
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(fail(
                format!(
                    "ListTables did not answer 200 at {endpoint} within {:.0} s ({attempts} \
                     tries; the last: {last_error}); raise {READY_TIMEOUT_ENV} on a slow machine",
                    timeout.as_secs_f64()
                ),
                server,
            ));
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 3 / 2).min(Duration::from_millis(250));
    }
}
