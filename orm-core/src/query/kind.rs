//! The two kinds of read a [`Builder`](super::Builder) makes: what only a query has (the
//! partition, the sort-key condition, the order) and what only a scan has (its segments).
//!
//! Plain data, which the builder sets (`builder.rs`) and the paging plan reads (`plan.rs`), so
//! neither of those depends on the other for it.

use super::CompositeCondition;
use crate::expr::SortKeyCondition;
use crate::value::Value;
use std::marker::PhantomData;

/// The kind of a [`Query`](super::Query): the settings only a query has (the key condition and the order).
///
/// `P` says whether the partition is set: [`NoPartition`] as `M::query(&table)` makes the
/// query, [`HasPartition`] once `.partition(..)` was called. Only a query with its partition
/// runs: a terminal (`all`, `paginate`...) on one without it is a compile error.
#[derive(Debug, Clone)]
pub struct QueryKind<P = HasPartition> {
    pub(super) partition: Option<Value>,
    pub(super) sort: Option<SortKeyCondition>,
    /// The key condition on a multi-attribute index (`.key(..)`), instead of `partition`/`sort`.
    pub(super) composite: Option<CompositeCondition>,
    pub(super) forward: bool,
    pub(super) state: PhantomData<fn() -> P>,
}

/// The state of a [`Query`](super::Query) whose partition is not set yet
/// (`Query<T, NoPartition>`): it has every setting but no terminal.
#[derive(Debug, Clone, Copy)]
pub enum NoPartition {}

/// The state of a [`Query`](super::Query) whose partition is set (`.partition(..)` was
/// called): the default of `Query<T>`, and the only query that runs.
#[derive(Debug, Clone, Copy)]
pub enum HasPartition {}

/// The kind of a [`Scan`](super::Scan): the settings only a scan has (its segment, or how many segments to
/// read in parallel).
#[derive(Debug, Clone)]
pub struct ScanKind {
    pub(super) segment: Option<(u32, u32)>,
    pub(super) parallel: u32,
}
