//! Consumed capacity of in-process requests, by DynamoDB's formulas
//! ([`orm_core::capacity::read_units`], [`write_units`]), reported to a request's
//! [`CapacityRecorder`] (only when it carries one: a request without asks for nothing and costs
//! nothing more):
//!
//! - a read costs one unit per 4 KB of the whole item (at least one; half for an eventually
//!   consistent read), whatever its projection; a missing item the minimum;
//! - a query or scan page costs the size of its items together, rounded up once;
//! - a write costs one unit per 1 KB of the larger of the item before and after it (the item
//!   deleted, for a delete); each write of a batch on its own;
//! - a transaction costs twice the units of each of its items (DynamoDB's two-phase commit).
//!
//! The same numbers the wire server returns (`server/ops/capacity.rs` uses these sizes).

use crate::table::part_of;
use crate::{table_named, MemoryBackend};
use orm_core::backend::RawItem;
use orm_core::capacity::{read_units, write_units, CapacityRecorder, ConsumedCapacity};
use orm_core::Item;

impl MemoryBackend {
    /// The size of the whole item stored at the key of `item` (a key, or an item holding its
    /// key attributes) in `table`; 0 when there is none, and when the table or the key is not
    /// valid (the request then fails with its own error).
    pub(crate) fn stored_size(&self, table: &str, item: &Item) -> usize {
        let tables = self.catalog();
        let Ok(table) = table_named(&tables, table) else {
            return 0;
        };
        let def = &table.schema.def;
        let mut names = vec![def.partition_key.name.as_str()];
        if let Some(sk) = &def.sort_key {
            names.push(sk.name.as_str());
        }
        let Ok(key) = table.schema.key(&item.project(&names)) else {
            return 0;
        };
        let part = table.read(part_of(&key.pk));
        part.get(&key)
            .map_or(0, |stored| RawItem::into_item(part.share(stored)).size())
    }
}

/// Reports `units` read units of `table` to `recorder`.
pub(crate) fn report_read(recorder: &CapacityRecorder, table: &str, units: f64) {
    recorder.record(&ConsumedCapacity::read(table, units));
}

/// Reports `units` write units of `table` to `recorder`.
pub(crate) fn report_write(recorder: &CapacityRecorder, table: &str, units: f64) {
    recorder.record(&ConsumedCapacity::write(table, units));
}

/// The read units of one item of `bytes` (0: missing).
pub(crate) fn item_read(bytes: usize, consistent: bool) -> f64 {
    read_units(bytes, consistent)
}

/// The write units of a write that changes an item of `before` bytes into one of `after`.
pub(crate) fn item_write(before: usize, after: usize) -> f64 {
    write_units(before.max(after))
}
