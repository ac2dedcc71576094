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
//! Each table has a generated multi-attribute global index `mgsi` ([`MultiIndex`]: 1-4
//! partition and 0-4 sort attributes of S, N or B) beside the single-attribute `gsi`; items hold
//! its attributes, all, some (sparse) or of the wrong type; its queries take every legal
//! key-condition shape and some illegal ones.
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

use orm_core::backend::{KeyAttribute, ReturnValues};
use orm_core::expr::{Condition, KeyCondition, Path, SortKeyCondition, Update};
use orm_core::{Backend as _, Item, Value};
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
    /// A query of the multi-attribute index `mgsi` (its key condition may be illegal).
    MultiQuery {
        key: KeyCondition,
        filter: Option<Condition>,
        limit: Option<u32>,
        forward: bool,
        count_only: bool,
    },
    /// A scan of `mgsi` (which items a sparse index holds).
    MultiScan {
        limit: Option<u32>,
    },
    BatchWrite(Vec<BatchOp>),
    BatchGet(Vec<Item>),
    Transact(Vec<TxOp>),
    TransactGet(Vec<Item>),
}

/// The key schema of a table's multi-attribute global index `mgsi` (1-4 partition and 0-4
/// sort attributes).
#[derive(Debug, Clone, Default)]
pub(crate) struct MultiIndex {
    pub(crate) partition: Vec<KeyAttribute>,
    pub(crate) sort: Vec<KeyAttribute>,
}

impl MultiIndex {
    /// Every key attribute, partition ones first, each with `true` for a partition attribute.
    pub(crate) fn attributes(&self) -> impl Iterator<Item = (&KeyAttribute, bool)> {
        self.partition
            .iter()
            .map(|a| (a, true))
            .chain(self.sort.iter().map(|a| (a, false)))
    }
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

/// The generated multi-attribute index reads are not vacuous: on MemoryBackend alone, many
/// find items (sparse items and all), and some are rejected (the illegal shapes).
#[test]
fn multi_attribute_reads_find_items_and_illegal_ones_are_rejected() {
    on_a_big_stack(|| {
        use proptest::strategy::{Strategy, ValueTree};
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut found, mut rejected, mut reads, mut scanned_some) = (0, 0, 0, 0);
        for _ in 0..200 {
            let (multi, ops) = generators::arb_sequence()
                .new_tree(&mut runner)
                .unwrap()
                .current();
            rt.block_on(async {
                let memory = orm_memory::MemoryBackend::new();
                memory
                    .create_table(&runner::definition_with("reads", &multi))
                    .await
                    .unwrap();
                for op in &ops {
                    let outcome = runner::run_op(&memory, "reads", op).await;
                    if std::env::var_os("DEBUG_READS").is_some() {
                        eprintln!("{multi:?}\n  {op:?}\n  -> {outcome:?}");
                    }
                    match (op, outcome) {
                        (Op::MultiQuery { .. }, runner::Outcome::Err(_)) => rejected += 1,
                        (Op::MultiQuery { .. }, runner::Outcome::IndexPages { items, .. }) => {
                            found += usize::from(!items.is_empty());
                        }
                        (Op::MultiScan { .. }, runner::Outcome::Scanned { items, .. }) => {
                            scanned_some += usize::from(!items.is_empty());
                        }
                        _ => continue,
                    }
                    reads += 1;
                }
            });
        }
        eprintln!(
            "{reads} multi-attribute reads: {found} queries found items, {rejected} rejected, \
             {scanned_some} scans found items"
        );
        assert!(found * 12 >= reads, "{found} of {reads} found items");
        assert!(rejected * 50 >= reads, "{rejected} of {reads} rejected");
        assert!(scanned_some > 0, "no scan of the index found an item");
    });
}
