//! # orm-benches
//!
//! Benchmarks of dynamodb-orm, run by `scripts/bench` (results in `docs/BENCHMARKS.md`):
//!
//! - `sdk_overhead`: the ORM vs hand-written aws-sdk-dynamodb code doing the same work ([`sdk`]),
//!   against a canned HTTP stub ([`stub`]) and against DynamoDB Local;
//! - `conversion`: model <-> attribute map vs serde_dynamo 4;
//! - `memory_backend` / `memory_footprint`: the in-memory backend at 1k..1M items;
//! - `local_batch`: `batch_create` vs sequential creates on DynamoDB Local.
//!
//! This library holds what they share: the [`model`], the baseline, the stub, the measurements.

pub mod measure;
pub mod memory;
pub mod model;
pub mod sdk;
pub mod stub;

use orm_core::Table;
use orm_dynamodb::DynamoBackend;

/// The table name every benchmark uses.
pub const TABLE: &str = "bench";

/// A client and an ORM table on the same SDK client (one connection pool, one configuration).
#[derive(Debug, Clone)]
pub struct Clients {
    /// The SDK client, for the hand-written baseline.
    pub client: aws_sdk_dynamodb::Client,
    /// The ORM table on a backend sharing that client.
    pub table: Table,
}

impl Clients {
    /// Clients for `endpoint` with fake credentials in `us-east-1`.
    pub async fn new(endpoint: &str) -> Clients {
        let backend = DynamoBackend::builder()
            .endpoint_url(endpoint)
            .region("us-east-1")
            .credentials("fake", "fake")
            .build()
            .await
            .expect("backend");
        let client = backend.client().clone();
        Clients {
            client,
            table: Table::new(backend, TABLE),
        }
    }
}

/// A multi-thread tokio runtime with `workers` worker threads.
pub fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime")
}
