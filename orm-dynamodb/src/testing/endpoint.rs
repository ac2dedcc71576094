//! The `endpoint` source: a server someone else started, at `DYNAMODB_ENDPOINT` (e.g. set by
//! `scripts/dynamodb-local run -- cargo test`). Nothing is started; the server is still handed
//! out only once it answers, so a server that is still starting up is waited for.

use super::error::FixtureError;
use super::ready::{wait_until_answering, NotStarted};
use super::{env, Launcher, LocalServer, Source};
use crate::ENDPOINT_ENV;

pub(crate) async fn start(launcher: &Launcher) -> Result<LocalServer, FixtureError> {
    let endpoint = match &launcher.endpoint {
        Some(endpoint) => endpoint.clone(),
        None => env(ENDPOINT_ENV).ok_or_else(|| {
            FixtureError::new(
                Source::Endpoint,
                format!("{ENDPOINT_ENV} is not set (the `endpoint` source uses the server there)"),
            )
        })?,
    };
    let waited = wait_until_answering(
        Source::Endpoint,
        &endpoint,
        launcher.ready_timeout,
        &mut NotStarted,
    )
    .await
    .map_err(|e| {
        e.with_log(format!(
            "(no log: the fixture did not start the server at {endpoint})"
        ))
    })?;
    Ok(LocalServer {
        detail: format!(
            "{ENDPOINT_ENV}, answered after {:.2} s",
            waited.as_secs_f64()
        ),
        endpoint,
        source: Source::Endpoint,
        pid: None,
        process: None,
    })
}
