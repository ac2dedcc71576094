//! The conformance suite against DynamoDB (DynamoDB Local in `scripts/test`), at the endpoint in
//! `DYNAMODB_ENDPOINT`. Without it the cases are skipped, unless `ORM_REQUIRE_DYNAMODB=1`
//! (set by `scripts/test`), which makes a missing endpoint a failure.

use orm_core::Table;
use orm_memory::MemoryBackend;
use std::sync::Arc;

async fn setup() -> Table {
    if std::env::var_os("DYNAMODB_ENDPOINT").is_none() {
        if std::env::var("ORM_REQUIRE_DYNAMODB").as_deref() == Ok("1") {
            panic!("ORM_REQUIRE_DYNAMODB=1 but DYNAMODB_ENDPOINT is not set");
        }
        eprintln!("SKIP: DYNAMODB_ENDPOINT not set; running the case on MemoryBackend instead");
        return orm_tests::fresh_table(Arc::new(MemoryBackend::new())).await;
    }
    let backend = orm_dynamodb::DynamoBackend::from_env()
        .await
        .expect("connect to DYNAMODB_ENDPOINT");
    orm_tests::fresh_table(Arc::new(backend)).await
}

orm_tests::conformance_tests!(setup);
