//! The two kinds of read a [`Builder`](super::Builder) makes: what only a query has (the
//! partition, the sort-key condition, the order) and what only a scan has (its segments).
//!
//! Plain data, which the builder sets (`builder.rs`) and the paging plan reads (`plan.rs`), so
//! neither of those depends on the other for it.

use crate::expr::SortKeyCondition;
use crate::value::Value;

/// The kind of a [`Query`](super::Query): the settings only a query has (the key condition and the order).
#[derive(Debug, Clone)]
pub struct QueryKind {
    pub(super) partition: Option<Value>,
    pub(super) sort: Option<SortKeyCondition>,
    pub(super) forward: bool,
}

/// The kind of a [`Scan`](super::Scan): the settings only a scan has (its segment, or how many segments to
/// read in parallel).
#[derive(Debug, Clone)]
pub struct ScanKind {
    pub(super) segment: Option<(u32, u32)>,
    pub(super) parallel: u32,
}
