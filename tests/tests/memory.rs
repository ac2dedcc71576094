//! The conformance suite against MemoryBackend.

use orm_core::Table;
use orm_memory::MemoryBackend;
use std::sync::Arc;

async fn setup() -> Table {
    orm_tests::fresh_table(Arc::new(MemoryBackend::new())).await
}

orm_tests::conformance_tests!(setup);
