//! Shared by the integration tests that need DynamoDB Local: the endpoint (or a SKIP) and a
//! backend on it.

use orm_dynamodb::DynamoBackend;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `DYNAMODB_ENDPOINT`, or `None` after printing a SKIP line; with `ORM_REQUIRE_DYNAMODB=1` a
/// missing endpoint is a failure instead.
pub(crate) fn endpoint() -> Option<String> {
    match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(e) if !e.is_empty() => Some(e),
        _ if std::env::var("ORM_REQUIRE_DYNAMODB").as_deref() == Ok("1") => {
            panic!("ORM_REQUIRE_DYNAMODB=1 but DYNAMODB_ENDPOINT is not set")
        }
        _ => {
            println!("SKIP: no DynamoDB Local (set DYNAMODB_ENDPOINT, e.g. `scripts/dynamodb-local run -- cargo test`)");
            None
        }
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// A backend on `endpoint` with the environment's (or fake) credentials and region.
pub(crate) async fn backend(endpoint: &str) -> DynamoBackend {
    DynamoBackend::builder()
        .endpoint_url(endpoint)
        .region(env_or("AWS_REGION", "us-east-1"))
        .credentials(
            env_or("AWS_ACCESS_KEY_ID", "fake"),
            env_or("AWS_SECRET_ACCESS_KEY", "fake"),
        )
        .build()
        .await
        .expect("a backend on DYNAMODB_ENDPOINT")
}

/// A table name unique to this process and call.
pub(crate) fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
