//! Shared set-up for the examples: a [`Table`] on the in-memory backend, or on DynamoDB when
//! `DYNAMODB_ENDPOINT` is set.
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

use orm_core::{Result, Table};
use orm_memory::MemoryBackend;

/// Whether the examples run against DynamoDB (`DYNAMODB_ENDPOINT` set and not empty).
pub fn use_dynamodb() -> bool {
    std::env::var("DYNAMODB_ENDPOINT").is_ok_and(|v| !v.is_empty())
}

/// A human name for the backend the examples use.
pub fn backend_name() -> String {
    if use_dynamodb() {
        format!(
            "DynamoDB at {}",
            std::env::var("DYNAMODB_ENDPOINT").unwrap_or_default()
        )
    } else {
        "MemoryBackend (set DYNAMODB_ENDPOINT to use DynamoDB)".into()
    }
}

/// A table named `name` on the chosen backend.
pub async fn table(name: &str) -> Result<Table> {
    if use_dynamodb() {
        let backend = orm_dynamodb::DynamoBackend::from_env().await?;
        Ok(Table::new(backend, name))
    } else {
        Ok(Table::new(MemoryBackend::new(), name))
    }
}

/// A table name unique to this run (`{prefix}-{pid}-{nanos}`), so that an example run twice
/// against the same DynamoDB endpoint starts from an empty table.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

// The user guide pages that use DynamoDB or tracing run their Rust code blocks as doc tests here
// (orm-core's doc tests cannot depend on orm-dynamodb).
#[cfg(doctest)]
#[doc = include_str!("../../docs/testing.md")]
pub struct TestingDoc;
#[cfg(doctest)]
#[doc = include_str!("../../docs/observability.md")]
pub struct ObservabilityDoc;
#[cfg(doctest)]
#[doc = include_str!("../../docs/server.md")]
pub struct ServerDoc;
#[cfg(doctest)]
#[doc = include_str!("../../docs/streams.md")]
pub struct StreamsDoc;
