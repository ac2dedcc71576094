//! The conformance suite through the wire: `DynamoBackend` (aws-sdk-dynamodb, its request
//! rendering, response decoding and error mapping) talking HTTP to a `MemoryServer`, the
//! DynamoDB-compatible front on MemoryBackend. One server for the whole process; each case gets
//! its own table on it. No JVM, no Docker.

use orm_core::Table;
use orm_memory::server::MemoryServer;
use orm_memory::MemoryBackend;
use std::sync::{Arc, OnceLock};

fn server() -> &'static MemoryServer {
    static SERVER: OnceLock<MemoryServer> = OnceLock::new();
    SERVER.get_or_init(|| MemoryServer::start(MemoryBackend::new()).expect("start MemoryServer"))
}

async fn setup() -> Table {
    let backend = orm_dynamodb::testing::backend_for_endpoint(&server().endpoint())
        .await
        .expect("a DynamoBackend on the MemoryServer");
    orm_tests::fresh_table(Arc::new(backend)).await
}

orm_tests::conformance_tests!(setup);
