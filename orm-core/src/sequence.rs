//! Auto-increment ids: a counter item per sequence, bumped atomically with `ADD`.
//!
//! Mostly an anti-pattern on DynamoDB: every id costs a write to one hot item (about 1,000 writes
//! per second per partition at most), ids leak on failed creates, and an extra round trip precedes
//! every create. Prefer random ids (UUIDs, ULIDs) or natural keys. A sequence fits when people need
//! short, dense numbers (invoice numbers, order numbers shown to customers) at modest rates.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use orm_core::sequence::Sequence;
//! use orm_core::Table;
//! use orm_memory::MemoryBackend;
//!
//! let table = Table::new(MemoryBackend::new(), "app");
//! table.create_table::<Sequence>().await?;
//! assert_eq!(Sequence::next(&table, "invoices").await?, 1);
//! assert_eq!(Sequence::next(&table, "invoices").await?, 2);
//! assert_eq!(Sequence::next(&table, "orders").await?, 1);
//! # Ok::<(), orm_core::Error>(()) }).unwrap();
//! ```
//!
//! Sequence items live at `__SEQUENCE#{name}` / `__SEQUENCE`, so the table needs a sort key (as
//! every single-table design has); add `Sequence` to the models of `create_table`.

use crate::error::{Error, Result};
use crate::table::Table;
use crate::update::UpdateBuilder;
use serde::{Deserialize, Serialize};

/// One named counter; its `value` is the last id handed out.
#[derive(crate::Model, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[model(
    crate = "crate",
    entity = "__Sequence",
    pk = "__SEQUENCE#{name}",
    sk = "__SEQUENCE"
)]
pub struct Sequence {
    /// The sequence name.
    pub name: String,
    /// The last value handed out.
    pub value: u64,
}

impl Sequence {
    /// Atomically adds 1 to the sequence `name` (created at 0 if absent) and returns the new value.
    pub async fn next(table: &Table, name: &str) -> Result<u64> {
        Sequence::reserve(table, name, 1).await
    }

    /// Atomically reserves `count` consecutive values; returns the last of them.
    pub async fn reserve(table: &Table, name: &str, count: u64) -> Result<u64> {
        if count == 0 {
            return Err(Error::validation("reserve at least one sequence value"));
        }
        let seq = UpdateBuilder::<Sequence>::new(table, Sequence::key(name))
            .set("name", name)
            .add("value", count)
            .upsert()
            .returning_new()
            .await?
            .ok_or_else(|| Error::validation("the backend returned no item for ALL_NEW"))?;
        Ok(seq.value)
    }
}
