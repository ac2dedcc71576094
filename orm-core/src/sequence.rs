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
//!
//! [`Sequence::next_in`] takes a value inside a transaction, so that the value is handed out
//! only if the items that use it are stored.

use crate::error::{Error, Result};
use crate::expr::Path;
use crate::table::Table;
use crate::transaction::WriteTransaction;
use crate::update::UpdateBuilder;
use crate::write;
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

    /// The next value of the sequence `name`, taken inside the transaction `tx`: it is handed
    /// out only if the transaction commits, so the value and the items that use it (an
    /// invoice numbered with it) are stored together or not at all, and no value is lost to
    /// a failed create.
    ///
    /// Reads the counter (strongly consistent) and adds to `tx` an update that sets it one
    /// higher if it still holds what was read. A concurrent `next` between the read and the
    /// commit cancels the transaction ([`Error::TransactionCanceled`] with
    /// `ConditionalCheckFailed` for this action): build it again (the value read then is
    /// fresh).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use orm_core::prelude::*;
    /// use orm_core::sequence::Sequence;
    /// use orm_memory::MemoryBackend;
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
    /// #[model(entity = "Invoice", pk = "INVOICE#{number}", sk = "INVOICE")]
    /// struct Invoice { number: u64, total: u64 }
    ///
    /// let table = Table::new(MemoryBackend::new(), "app");
    /// table.create_table::<(Invoice, Sequence)>().await?;
    ///
    /// let mut tx = table.transaction();
    /// let number = Sequence::next_in(&mut tx, "invoices").await?;
    /// let mut invoice = Invoice { number, total: 100 };
    /// tx.create(&mut invoice).commit().await?;
    /// assert_eq!(invoice.number, 1);
    ///
    /// // A transaction that fails hands out nothing: the next invoice is number 2.
    /// let mut tx = table.transaction();
    /// let number = Sequence::next_in(&mut tx, "invoices").await?;
    /// let mut duplicate = Invoice { number: 1, total: 5 };     // key taken: canceled
    /// assert!(tx.create(&mut duplicate).commit().await.is_err());
    /// assert_eq!(Sequence::next(&table, "invoices").await?, number);
    /// # Ok::<(), Error>(()) }).unwrap();
    /// ```
    pub async fn next_in(tx: &mut WriteTransaction<'_>, name: &str) -> Result<u64> {
        Sequence::reserve_in(tx, name, 1).await
    }

    /// [`Sequence::reserve`] inside a transaction, as [`Sequence::next_in`] takes one value:
    /// reserves `count` consecutive values, taken only if `tx` commits; returns the last.
    pub async fn reserve_in(tx: &mut WriteTransaction<'_>, name: &str, count: u64) -> Result<u64> {
        if count == 0 {
            return Err(Error::validation("reserve at least one sequence value"));
        }
        let table = tx.table().reconfigure(|c| c.consistent_reads = true);
        let current = table.find::<Sequence>(Sequence::key(name)).await?;
        let read = current.as_ref().map(|s| crate::Value::from(s.value));
        let value = current.map_or(0, |s| s.value);
        let next = value
            .checked_add(count)
            .ok_or_else(|| Error::validation(format!("sequence `{name}` would pass u64::MAX")))?;
        tx.add_update(
            UpdateBuilder::<Sequence>::new(&table, Sequence::key(name))
                .set("name", name)
                .set("value", next)
                .upsert()
                .condition(write::unchanged(Path::name("value"), read.as_ref())),
        );
        Ok(next)
    }
}
