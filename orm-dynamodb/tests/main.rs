//! DynamoBackend's integration tests, in one test binary (`cargo test -p orm-dynamodb
//! --all-features --test orm-dynamodb-tests`): each file here is a module of it, so a test build
//! links the SDK into one binary, not one per file (docs/reliability.md, "CI time"). The
//! fixture's own tests, which `scripts/test` runs once per fixture source, are the separate
//! binary `fixture`.
//!
//! Those that need DynamoDB Local take `DYNAMODB_ENDPOINT` from `common`, and print a SKIP line
//! without it (or fail, with `ORM_REQUIRE_DYNAMODB=1`).

mod common;

mod layout;
mod local;
mod readiness;
mod streams;
mod unprocessed;
mod verify;
