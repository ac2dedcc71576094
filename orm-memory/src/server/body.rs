//! Request bodies as the server reads them: within the [body timeout](super::ServerLimits) and
//! at most [`MAX_REQUEST_BYTES`](super::MAX_REQUEST_BYTES).

use super::error::ApiError;
use super::MAX_REQUEST_BYTES;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use std::time::Duration;

/// Reads `body` whole, within `timeout`.
pub(crate) async fn read(body: Incoming, timeout: Duration) -> Result<Bytes, ApiError> {
    let collected = tokio::time::timeout(timeout, Limited::new(body, MAX_REQUEST_BYTES).collect())
        .await
        .map_err(|_| {
            ApiError::service(
                "RequestTimeoutException",
                format!(
                    "The request body was not received within {} s",
                    timeout.as_secs_f64()
                ),
            )
            .with_status(408)
        })?;
    let body = collected.map_err(|e| {
        ApiError::validation(format!(
            "Request body could not be read (at most {MAX_REQUEST_BYTES} bytes): {e}"
        ))
    })?;
    Ok(body.to_bytes())
}
