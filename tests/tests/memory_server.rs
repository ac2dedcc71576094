//! The conformance suite through the wire: `DynamoBackend` (aws-sdk-dynamodb, its request
//! rendering, response decoding and error mapping) talking HTTP to a `MemoryServer`, the
//! DynamoDB-compatible front on MemoryBackend. One server for the whole process; each case gets
//! its own table on it.
//!
//! By default the server runs in this process (no JVM, no Docker). With `ORM_DYNAMODB_SOURCE`
//! set to `memory` (the `dynamodb-memory` program as a child process) or `memory-docker` (that
//! program in a container, feature `testcontainers`), the `testing` fixture starts it instead,
//! so the same cases check the program and its image. Any other source is DynamoDB Local, not a
//! MemoryServer: this file ignores it (`tests/dynamodb.rs` runs those).

use orm_core::Table;
use orm_dynamodb::DynamoBackend;
use orm_memory::server::MemoryServer;
use orm_memory::MemoryBackend;
use std::sync::{Arc, OnceLock};

fn server() -> &'static MemoryServer {
    static SERVER: OnceLock<MemoryServer> = OnceLock::new();
    SERVER.get_or_init(|| MemoryServer::start(MemoryBackend::new()).expect("start MemoryServer"))
}

async fn backend() -> DynamoBackend {
    let source = std::env::var(orm_dynamodb::testing::SOURCE_ENV).unwrap_or_default();
    if matches!(source.as_str(), "memory" | "memory-docker") {
        return orm_dynamodb::testing::local_backend()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    orm_dynamodb::testing::backend_for_endpoint(&server().endpoint())
        .await
        .expect("a DynamoBackend on the MemoryServer")
}

async fn setup() -> Table {
    orm_tests::fresh_table(Arc::new(backend().await)).await
}

orm_tests::conformance_tests!(setup);
