//! The fluent query and scan builders, with opaque cursor pagination.
//!
//! [`Query`] and [`Scan`] are one [`Builder`] of two kinds ([`QueryKind`], [`ScanKind`]); models
//! make them with `M::query(&table)` / `M::scan(&table)` ([`ModelExt`](crate::ModelExt)),
//! collections ([`collection!`](crate::collection)) with their own `query` / `scan`.
//!
//! Semantics, the same on every backend:
//! - `limit(n)` is the number of items *returned*: pages are fetched until `n` items matched or
//!   the end is reached (a selective filter never makes a query return too few items early).
//! - `page_size(n)` is DynamoDB's `Limit`: items *evaluated* per request, before the filter.
//! - Without `limit`, [`Query::paginate`] returns one backend page; it may be empty and still
//!   carry a cursor (a filter rejected everything DynamoDB read).
//! - A cursor is built from the last item *returned*, so stopping mid-page skips and repeats
//!   nothing. It is bound to the entity, index and key condition it came from.
//! - Every query reads only items of the model's entity, even when other entities share the
//!   partition (an entity filter is always added).

/// The one-value sort-key conditions of a query builder: each `$method(value)` hands
/// `SortKeyCondition::$variant` and `value` to the builder's `$set`, and is documented as
/// "$subject $relation `value`." (any further doc lines given before it follow).
macro_rules! sort_key_conditions {
    ($subject:literal, $set:ident -> $out:ty: $($(#[$doc:meta])* $method:ident $variant:ident $relation:literal),+ $(,)?) => {
        $(
            #[doc = concat!($subject, " ", $relation, " `value`.")]
            $(#[$doc])*
            pub fn $method(self, value: impl IntoResult<Value>) -> $out {
                self.$set(SortKeyCondition::$variant, value)
            }
        )+
    };
}

mod builder;
mod collection;
mod composite;
mod kind;
mod plan;

pub use builder::{Builder, Kind, Query, Runnable, Scan};
pub use composite::{CompositeCondition, CompositeKey, CompositeRange};
pub use kind::{HasPartition, NoPartition, QueryKind, ScanKind};

use crate::backend::RawItem;
use crate::cursor::Cursor;
use crate::error::Result;
use crate::model::{Model, Schema};
use crate::table::Table;
use crate::value::Item;

/// What a query decodes items into: a [`Model`], or a collection of several models (an enum
/// made with [`collection!`](crate::collection)).
pub trait QueryTarget: Sized + Send + 'static {
    /// The schemas of the entities this target reads.
    fn schemas() -> Vec<&'static Schema>;
    /// Decodes one stored item.
    fn decode(table: &Table, item: Item) -> Result<Self>;
    /// Decodes one item as the backend read it; by default through [`QueryTarget::decode`].
    fn decode_raw(table: &Table, item: RawItem) -> Result<Self> {
        Self::decode(table, item.into_item()?)
    }
}

impl<M: Model> QueryTarget for M {
    fn schemas() -> Vec<&'static Schema> {
        vec![M::schema()]
    }
    fn decode(table: &Table, item: Item) -> Result<Self> {
        table.layout().from_stored_item(item)
    }
    fn decode_raw(table: &Table, item: RawItem) -> Result<Self> {
        table.layout().from_raw_item(item)
    }
}

/// One page of results and the cursor to the next (`None` at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts; `None` when there is nothing more.
    pub cursor: Option<Cursor>,
}
