//! The conformance suite against DynamoDB Local, acquired through the orm-dynamodb `testing`
//! fixture ([`orm_tests::dynamodb_backend`]): the server at `DYNAMODB_ENDPOINT` when set (as
//! `scripts/test` does), else one DynamoDB Local container for the whole run (feature
//! `testcontainers`, a Docker engine), else one DynamoDB Local JVM from the jar. Every case gets
//! its own table on that one server. Never run on another backend: without a server every case
//! fails with one message saying what to install (`ORM_DYNAMODB_SKIP=1` opts out, loudly).

use orm_core::Table;
use std::sync::Arc;

async fn setup() -> Table {
    orm_tests::fresh_table(Arc::new(orm_tests::dynamodb_backend().await)).await
}

orm_tests::conformance_tests!(setup);
