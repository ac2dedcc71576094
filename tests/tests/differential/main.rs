//! Differential tests: random sequences of backend operations applied to MemoryBackend and to
//! DynamoDB (DynamoDB Local at `DYNAMODB_ENDPOINT`) must give equal results and equal error kinds.
//!
//! - `differential_sequences` runs `ORM_DIFF_CASES` sequences (default 200) from the seed
//!   `ORM_DIFF_SEED` (default fixed), shrinking a failure to a minimal sequence. Without an
//!   endpoint it is skipped (a printed `SKIP:` line), unless `ORM_REQUIRE_DYNAMODB=1`.
//!   `differential_sequences_through_the_memory_server` runs the same with `DynamoBackend` over
//!   HTTP to a `MemoryServer` as the reference side.
//! - `scripts/differential` is the long run (2,000+ sequences, random seed).
//! - The `regression_*` tests pin every divergence found: they check the DynamoDB behaviour on
//!   MemoryBackend alone, and on both backends when an endpoint is set.
//!
//! Each table has a stream (`NEW_AND_OLD_IMAGES`): after the sequence, both streams' records
//! are compared, each item's in order (DynamoDB orders a stream's records per item only), with
//! what legitimately differs left out: event ids, sequence numbers, times, the region, and the
//! approximate `SizeBytes`.
//!
//! Results are compared after normalising only what DynamoDB leaves unspecified: scan order
//! (scans are collected over all pages and sorted), batch-get order, and the order of index
//! items with equal index keys (index queries are compared over all pages, ties sorted); and
//! the three answers where DynamoDB Local is known to differ from DynamoDB (`local.rs`, listed
//! with their evidence in docs/server.md). Errors compare by kind
//! (for `Validation` and `ServiceValidation`, only the kind, not the message); condition
//! failures compare the returned item; cancelled transactions compare every reason's code and
//! item.
//!
//! Files: this one holds the operations and the two sequence tests; `generators.rs` the random
//! operations (their expression trees come from orm-core's `expr::strategy`, over a small value
//! space of our own), `runner.rs` running and comparing, `local.rs` DynamoDB Local's known
//! differences, `streams.rs` reading and comparing the tables' streams, `regressions.rs` the
//! pinned divergences.

mod generators;
mod local;
mod regressions;
mod runner;
mod streams;

use orm_core::backend::ReturnValues;
use orm_core::expr::{Condition, Path, SortKeyCondition, Update};
use orm_core::{Item, Value};
use runner::{on_a_big_stack, run_sequences, Reference};

/// One step of a sequence (table name filled in when run).
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Put {
        item: Item,
        condition: Option<Condition>,
        return_values: ReturnValues,
    },
    Update {
        key: Item,
        update: Update,
        condition: Option<Condition>,
        return_values: ReturnValues,
    },
    Delete {
        key: Item,
        condition: Option<Condition>,
        return_values: ReturnValues,
    },
    Get {
        key: Item,
        projection: Option<Vec<Path>>,
    },
    Query {
        index: bool,
        partition: Value,
        sort: Option<SortKeyCondition>,
        filter: Option<Condition>,
        projection: Option<Vec<Path>>,
        limit: Option<u32>,
        forward: bool,
        count_only: bool,
    },
    Scan {
        index: bool,
        filter: Option<Condition>,
        limit: Option<u32>,
        count_only: bool,
    },
    BatchWrite(Vec<BatchOp>),
    BatchGet(Vec<Item>),
    Transact(Vec<TxOp>),
    TransactGet(Vec<Item>),
}

#[derive(Debug, Clone)]
pub(crate) enum BatchOp {
    Put(Item),
    Delete(Item),
}

#[derive(Debug, Clone)]
pub(crate) enum TxOp {
    Put(Item, Option<Condition>),
    Update(Item, Update, Option<Condition>),
    Delete(Item, Option<Condition>),
    Check(Item, Condition),
}

#[test]
fn differential_sequences() {
    on_a_big_stack(|| run_sequences(Reference::Memory));
}

/// The same sequences with `DynamoBackend` over HTTP to a `MemoryServer` as the reference side:
/// the wire protocol (request decoding, expression parsing, answers and errors) adds no
/// difference from DynamoDB Local.
#[test]
fn differential_sequences_through_the_memory_server() {
    on_a_big_stack(|| run_sequences(Reference::Server));
}
