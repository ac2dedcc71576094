#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

/// Invokes `$impl!` once for each tuple of type parameters from `(A)` to `(A, ..., L)`: the
/// tuples of up to twelve models one table holds ([`table::ModelSet`] and the traits beside it
/// implement themselves for each).
macro_rules! for_each_model_tuple {
    ($impl:ident) => {
        $impl!(A);
        $impl!(A, B);
        $impl!(A, B, C);
        $impl!(A, B, C, D);
        $impl!(A, B, C, D, E);
        $impl!(A, B, C, D, E, F);
        $impl!(A, B, C, D, E, F, G);
        $impl!(A, B, C, D, E, F, G, H);
        $impl!(A, B, C, D, E, F, G, H, I);
        $impl!(A, B, C, D, E, F, G, H, I, J);
        $impl!(A, B, C, D, E, F, G, H, I, J, K);
        $impl!(A, B, C, D, E, F, G, H, I, J, K, L);
    };
}

pub mod backend;
pub mod batch;
pub mod capacity;
pub mod changes;
pub mod crud;
pub mod cursor;
pub mod error;
pub mod expr;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod fault;
pub mod index_sync;
pub mod key;
pub mod migrate;
pub mod model;
pub mod model_ext;
mod name_signature;
pub mod number;
pub mod query;
pub mod report;
pub mod sequence;
pub mod serde_bridge;
pub mod table;
pub mod timestamp;
pub mod transaction;
pub mod types;
pub mod unique;
pub mod update;
pub mod value;
mod write;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use backend::Backend;
pub use cursor::Cursor;
pub use error::{Error, Result};
pub use expr::{attr, Condition, Path};
pub use key::{IntoResult, Key};
pub use model::{Field, FieldKind, Model, Schema};
pub use model_ext::ModelExt;
pub use number::{Number, NumberError};
pub use orm_core_derive::Model;
pub use query::{Page, Query, QueryTarget, Scan};
pub use serde_bridge::{
    from_attributes, from_entries, from_item, from_reader, from_value, to_item, to_value,
    BinarySet, NumberSet, StringSet,
};
pub use table::{ModelSet, Table, TableConfig};
pub use update::UpdateBuilder;
pub use value::{Item, NumberRef, Value, ValueRef, ValueType};

/// Everything a typical user needs, in one import: `use orm_core::prelude::*;`.
///
/// The model, the table and the extension trait `ModelExt` that puts `create`, `get`, `query`,
/// `update`, `batch_create`... on every model.
pub mod prelude {
    pub use crate::cursor::Cursor;
    pub use crate::error::{Error, Result};
    pub use crate::expr::{attr, Condition, Path};
    pub use crate::key::Key;
    pub use crate::model::Model;
    pub use crate::model_ext::ModelExt;
    pub use crate::query::Page;
    pub use crate::table::Table;
    pub use crate::value::{Item, Value};
    pub use orm_core_derive::Model;
}

// The user guide's Rust code blocks run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/getting-started.md")]
pub struct GettingStartedDoc;
#[cfg(doctest)]
#[doc = include_str!("../../docs/modeling.md")]
pub struct ModelingDoc;
#[cfg(doctest)]
#[doc = include_str!("../../docs/queries.md")]
pub struct QueriesDoc;
#[cfg(doctest)]
#[doc = include_str!("../../docs/writes.md")]
pub struct WritesDoc;
#[cfg(doctest)]
#[doc = include_str!("../../docs/batch.md")]
pub struct BatchDoc;
#[cfg(doctest)]
#[doc = include_str!("../../docs/numbers.md")]
pub struct NumbersDoc;
#[cfg(doctest)]
#[doc = include_str!("../../docs/evolution.md")]
pub struct EvolutionDoc;
