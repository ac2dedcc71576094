//! Consumed capacity, by DynamoDB's formulas (developer guide, "DynamoDB read and write
//! operations"; "Provisioned throughput considerations" of global and local secondary
//! indexes): the one place MemoryBackend and the wire server (`server/ops`) compute it.
//!
//! - A read costs one unit per 4 KB of the whole item ([`read_units`]: rounded up, at least one;
//!   half for an eventually consistent read), whatever its projection; a missing item the
//!   minimum. A batch read counts each item on its own.
//! - A query or scan page costs the items it READ, before its filter and projection, their
//!   sizes together rounded up once; on an index, the index entries read, charged to the index.
//! - A write costs one unit per 1 KB of the larger of the item before and after it
//!   ([`write_units`]; the item deleted, for a delete; at least one). A conditional write whose
//!   condition fails still costs the larger of the item stored and the item it would have
//!   put. Each write of a batch is charged on its own.
//! - Each secondary index a write changes costs, by the index entries before and after it: a
//!   new entry or a removed one one write of its size; an entry whose index key changed two
//!   (the delete and the put); an entry rewritten in place one write of the larger; an entry
//!   the write left as it was, and an item in the index neither before nor after, nothing.
//! - A transaction costs twice the units of each of its items (DynamoDB's two-phase commit);
//!   a condition check is a transactional read of its item.
//!
//! Each request's capacity is computed in full (the table's and each index's units), added to
//! its table's totals ([`MemoryBackend::consumed_capacity`]) and reported to the request's
//! [`CapacityRecorder`] in the mode it asked for. A request that carries no recorder asks for
//! nothing and costs nothing more, unless the backend keeps totals of every request
//! ([`MemoryBackend::keep_capacity_totals`]).

use crate::key::PrimaryKey;
use crate::table::{IndexEntry, Part, Schema};
use crate::MemoryBackend;
use orm_core::backend::{DeleteItem, PutItem, QueryRequest, ScanRequest, UpdateItem};
use orm_core::capacity::{
    read_units, write_units, Capacity, CapacityMode, CapacityRecorder, ConsumedCapacity,
};
use std::sync::atomic::Ordering;
use std::sync::PoisonError;

/// A request on one table that may ask for its consumed capacity: what charging it needs.
/// Implemented alike for the single-table requests, whose fields of these names hold it.
pub(crate) trait Charged {
    /// The table the request reads or writes.
    fn table(&self) -> &str;
    /// Where its consumed capacity is reported (`None`: it asks for none).
    fn capacity(&self) -> Option<&CapacityRecorder>;
}

macro_rules! charged {
    ($($request:ty),*) => {$(
        impl Charged for $request {
            fn table(&self) -> &str {
                &self.table
            }
            fn capacity(&self) -> Option<&CapacityRecorder> {
                self.capacity.as_ref()
            }
        }
    )*};
}

charged!(PutItem, UpdateItem, DeleteItem, QueryRequest, ScanRequest);

/// What one request consumed on one table, part by part: the table itself and each secondary
/// index (by its position in the table's definition).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Charge {
    table: Capacity,
    indexes: Vec<(usize, Capacity)>,
}

impl Charge {
    /// A read of `bytes` (the items read together: 0 for a missing item) from the table, or
    /// from the index at position `index`.
    pub(crate) fn read(bytes: usize, consistent: bool, index: Option<usize>) -> Charge {
        let units = Capacity::read(read_units(bytes, consistent));
        match index {
            None => Charge {
                table: units,
                indexes: Vec::new(),
            },
            Some(at) => Charge {
                table: Capacity::default(),
                indexes: vec![(at, units)],
            },
        }
    }

    /// A transactional read of an item of `bytes`: twice a strongly consistent read.
    pub(crate) fn transactional_read(bytes: usize) -> Charge {
        Charge::read(bytes, true, None).times(2.0)
    }

    /// A write that changed the item at one key from `before` to `after` (as
    /// [`Part::item_and_entries`] saw them): the table's units and each index's.
    pub(crate) fn write(before: &ItemState, after: &ItemState) -> Charge {
        let size = |s: &ItemState| s.item.as_ref().map_or(0, |i| i.size());
        let table = Capacity::write(write_units(size(before).max(size(after))));
        let indexes = before
            .entries
            .iter()
            .zip(&after.entries)
            .enumerate()
            .filter_map(|(at, (old, new))| Some((at, Capacity::write(index_write(old, new)?))))
            .collect();
        Charge { table, indexes }
    }

    /// A conditional write whose condition failed: the larger of the item stored (`stored`
    /// bytes) and the item it would have put (`put` bytes; 0 for an update or delete). No index
    /// is written.
    pub(crate) fn failed_write(stored: usize, put: usize) -> Charge {
        Charge {
            table: Capacity::write(write_units(stored.max(put))),
            indexes: Vec::new(),
        }
    }

    /// These units times `factor` (a transaction's 2).
    pub(crate) fn times(mut self, factor: f64) -> Charge {
        self.table = self.table.times(factor);
        for (_, units) in &mut self.indexes {
            *units = units.times(factor);
        }
        self
    }

    /// Adds `other` (of the same table) to this charge.
    pub(crate) fn add(&mut self, other: &Charge) {
        self.table.add(&other.table);
        for (at, units) in &other.indexes {
            match self.indexes.iter_mut().find(|(mine, _)| mine == at) {
                Some((_, mine)) => mine.add(units),
                None => self.indexes.push((*at, *units)),
            }
        }
    }

    /// The charge as DynamoDB reports it for `table` (whose definition is `schema`), with its
    /// breakdown by table and index.
    pub(crate) fn consumed(&self, table: &str, schema: &Schema) -> ConsumedCapacity {
        let mut total = self.table;
        let mut out = ConsumedCapacity {
            table: table.to_owned(),
            table_capacity: Some(self.table),
            ..ConsumedCapacity::default()
        };
        for (at, units) in &self.indexes {
            total.add(units);
            let index = &schema.indexes[*at].def;
            let by_name = if index.local {
                &mut out.local_indexes
            } else {
                &mut out.global_indexes
            };
            by_name.entry(index.name.clone()).or_default().add(units);
        }
        out.capacity_units = total.capacity_units;
        out.read_units = total.read_units;
        out.write_units = total.write_units;
        out
    }
}

/// What one query or scan page read: the bytes of the items (or index entries) it read,
/// before its filter and projection, the index it read them from (by position), and the read
/// units of the items a local index fetched from the table.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PageRead {
    pub(crate) bytes: usize,
    pub(crate) index: Option<usize>,
    /// The units of the table items fetched (developer guide, "Provisioned throughput
    /// considerations for Local Secondary Indexes": a query that reads attributes the index
    /// does not project is charged, besides the index read, for every table item fetched, each
    /// a read of the entire item).
    fetched: f64,
}

impl PageRead {
    /// Nothing read yet from the table (`index: None`) or the index at that position.
    pub(crate) fn of(index: Option<usize>) -> PageRead {
        PageRead {
            index,
            ..PageRead::default()
        }
    }

    /// Counts a whole table item of `bytes` fetched for an entry of a local index: one read of
    /// its own (rounded up on its own).
    pub(crate) fn fetched(&mut self, bytes: usize, consistent: bool) {
        self.fetched += read_units(bytes, consistent);
    }

    /// The page's charge: the bytes read together, rounded up once, to the table or index
    /// read, and each item fetched from the table to the table.
    pub(crate) fn charge(self, consistent: bool) -> Charge {
        let mut charge = Charge::read(self.bytes, consistent, self.index);
        if self.fetched > 0.0 {
            charge.table.add(&Capacity::read(self.fetched));
        }
        charge
    }
}

/// The write units an index entry's change costs; `None` when the index is not written.
fn index_write(old: &Option<IndexEntry>, new: &Option<IndexEntry>) -> Option<f64> {
    match (old, new) {
        (None, None) => None,
        (Some(one), None) | (None, Some(one)) => Some(write_units(one.entry.size())),
        (Some(old), Some(new)) if old.at != new.at => {
            Some(write_units(old.entry.size()) + write_units(new.entry.size()))
        }
        (Some(old), Some(new)) if old.entry.same_encoding(&new.entry) => None,
        (Some(old), Some(new)) => Some(write_units(old.entry.size().max(new.entry.size()))),
    }
}

/// The item at one key and its index entries, before or after a write.
#[derive(Debug, Default)]
pub(crate) struct ItemState {
    item: Option<crate::stored::Stored>,
    entries: Vec<Option<IndexEntry>>,
}

impl ItemState {
    /// The item stored at `key` in `part` and its index entries.
    pub(crate) fn of(part: &Part, key: &PrimaryKey) -> ItemState {
        let (item, entries) = part.item_and_entries(key);
        ItemState { item, entries }
    }

    /// The item's size (0: none).
    pub(crate) fn size(&self) -> usize {
        self.item.as_ref().map_or(0, |i| i.size())
    }
}

/// Adds `charge` to `table`'s in `charges` (one per table, in the order first charged): a
/// request over several tables reports one capacity per table, as DynamoDB does.
pub(crate) fn add_per_table(charges: &mut Vec<(String, Charge)>, table: &str, charge: &Charge) {
    match charges.iter_mut().find(|(t, _)| t == table) {
        Some((_, sum)) => sum.add(charge),
        None => charges.push((table.to_owned(), charge.clone())),
    }
}

/// `consumed` as a request in `mode` asked for it: `TOTAL` leaves the breakdown out.
pub(crate) fn in_mode(mut consumed: ConsumedCapacity, mode: CapacityMode) -> ConsumedCapacity {
    if mode == CapacityMode::Total {
        consumed.table_capacity = None;
        consumed.global_indexes.clear();
        consumed.local_indexes.clear();
    }
    consumed
}

impl MemoryBackend {
    /// Whether a request carrying `recorder` has its capacity computed: when it asks for it,
    /// or when the backend keeps totals of every request.
    pub(crate) fn wants_capacity(&self, recorder: Option<&CapacityRecorder>) -> bool {
        recorder.is_some() || self.state.capacity_totals.load(Ordering::Relaxed)
    }

    /// Adds `consumed` to its table's totals, and reports it to `recorder` (if any) in the mode
    /// the recorder asks for.
    pub(crate) fn account(&self, recorder: Option<&CapacityRecorder>, consumed: ConsumedCapacity) {
        {
            let mut totals = self
                .state
                .capacity
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            totals
                .entry(consumed.table.clone())
                .or_insert_with(|| ConsumedCapacity {
                    table: consumed.table.clone(),
                    ..ConsumedCapacity::default()
                })
                .add(&consumed);
        }
        if let Some(recorder) = recorder {
            recorder.record(&in_mode(consumed, recorder.mode()));
        }
    }

    /// Accounts `charge` on `table` ([`account`](MemoryBackend::account)), its index
    /// positions named by the table's definition (nothing when the table is gone).
    pub(crate) fn charge(&self, table: &str, recorder: Option<&CapacityRecorder>, charge: Charge) {
        let consumed = {
            let tables = self.catalog();
            match tables.get(table) {
                Some(t) => charge.consumed(table, &t.schema),
                None => return,
            }
        };
        self.account(recorder, consumed);
    }

    /// What the requests on `table` consumed since it was created or its totals were last
    /// [reset](MemoryBackend::reset_consumed_capacity), with the breakdown by table and index;
    /// `None` when nothing was counted. Counted are the requests that ask for their capacity
    /// (`ReturnConsumedCapacity`, or an orm-core request carrying a recorder), and every
    /// request once [`keep_capacity_totals`](MemoryBackend::keep_capacity_totals) is on.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use orm_core::backend::{Backend, GetItem, KeyAttribute, KeyType, PutItem, TableDefinition};
    /// use orm_core::{Item, Value};
    /// use orm_memory::MemoryBackend;
    ///
    /// let backend = MemoryBackend::new();
    /// backend.keep_capacity_totals(true);
    /// backend
    ///     .create_table(&TableDefinition {
    ///         name: "app".into(),
    ///         partition_key: KeyAttribute { name: "pk".into(), key_type: KeyType::S },
    ///         sort_key: None,
    ///         indexes: vec![],
    ///         ttl_attribute: None,
    ///     })
    ///     .await?;
    /// let mut item = Item::new();
    /// item.insert("pk".into(), Value::S("a".into()));
    /// backend.put_item(PutItem::new("app", item.clone())).await?;
    /// backend.get_item(&GetItem::new("app", item)).await?;
    /// let used = backend.consumed_capacity("app").unwrap();
    /// assert_eq!((used.read_units, used.write_units), (0.5, 1.0));
    /// backend.reset_consumed_capacity("app");
    /// assert_eq!(backend.consumed_capacity("app"), None);
    /// # Ok::<(), orm_core::Error>(()) }).unwrap();
    /// ```
    pub fn consumed_capacity(&self, table: &str) -> Option<ConsumedCapacity> {
        self.state
            .capacity
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(table)
            .cloned()
    }

    /// Starts `table`'s capacity totals again from zero.
    pub fn reset_consumed_capacity(&self, table: &str) {
        self.state
            .capacity
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(table);
    }

    /// Whether every request's capacity is computed and totalled per table (off by default:
    /// then only the requests that ask for their capacity are, and the others cost nothing
    /// more). `dynamodb-memory` turns it on, so its browser view shows each table's totals.
    pub fn keep_capacity_totals(&self, on: bool) {
        self.state.capacity_totals.store(on, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: &str, size: usize) -> Option<IndexEntry> {
        use crate::key::KeyPart;
        use orm_core::{Item, Value};
        let mut item = Item::new();
        item.insert("a".into(), Value::S("x".repeat(size.saturating_sub(1))));
        let mut names = crate::stored::Names::default();
        let entry = crate::stored::Stored::encode(&item, &mut names, &mut Vec::new(), None);
        let part = KeyPart::from_value(&Value::S(at.into())).unwrap();
        Some(IndexEntry {
            at: (part.clone(), (part.clone(), part.clone(), part)),
            entry,
        })
    }

    #[test]
    fn reads_round_the_bytes_read_together_up_once() {
        assert_eq!(Charge::read(0, false, None).table.read_units, 0.5);
        assert_eq!(Charge::read(3 * 1500, true, None).table.read_units, 2.0);
        assert_eq!(Charge::read(8192, false, None).table.read_units, 1.0);
        let on_index = Charge::read(100, true, Some(1));
        assert_eq!(on_index.table, Capacity::default());
        assert_eq!(on_index.indexes, vec![(1, Capacity::read(1.0))]);
        assert_eq!(Charge::transactional_read(5000).table, Capacity::read(4.0));
    }

    /// A local index query that fetches from the table: the index entries read together, and
    /// each table item fetched on its own, charged to the table (DynamoDB Local 11.1.0's
    /// figures for three 5 KB items: 0.5 for the index and 3.0 for the table, eventually
    /// consistent; 1.0 and 6.0 strongly).
    #[test]
    fn local_index_fetches_are_charged_to_the_table_item_by_item() {
        let page = |consistent| {
            let mut read = PageRead::of(Some(0));
            for _ in 0..3 {
                read.bytes += 40;
                read.fetched(5 * 1024 + 40, consistent);
            }
            read.charge(consistent)
        };
        let eventual = page(false);
        assert_eq!(eventual.indexes, vec![(0, Capacity::read(0.5))]);
        assert_eq!(eventual.table, Capacity::read(3.0));
        let strong = page(true);
        assert_eq!(strong.indexes, vec![(0, Capacity::read(1.0))]);
        assert_eq!(strong.table, Capacity::read(6.0));
        // Nothing fetched: the index alone, and no table units.
        let alone = PageRead {
            bytes: 100,
            ..PageRead::of(Some(0))
        };
        assert_eq!(alone.charge(false).table, Capacity::default());
    }

    #[test]
    fn index_writes_count_entries_added_removed_moved_and_rewritten() {
        assert_eq!(index_write(&None, &None), None);
        assert_eq!(index_write(&None, &entry("a", 1500)), Some(2.0));
        assert_eq!(index_write(&entry("a", 100), &None), Some(1.0));
        // The index key changed: a delete and a put.
        assert_eq!(index_write(&entry("a", 100), &entry("b", 1500)), Some(3.0));
        // Rewritten in place: the larger entry.
        assert_eq!(index_write(&entry("a", 100), &entry("a", 2100)), Some(3.0));
        // Left as it was: nothing.
        assert_eq!(index_write(&entry("a", 100), &entry("a", 100)), None);
    }

    #[test]
    fn failed_writes_cost_the_larger_item_and_transactions_twice() {
        assert_eq!(Charge::failed_write(0, 0).table, Capacity::write(1.0));
        assert_eq!(Charge::failed_write(3000, 100).table, Capacity::write(3.0));
        assert_eq!(Charge::failed_write(100, 1025).table, Capacity::write(2.0));
        let twice = Charge::failed_write(0, 0).times(2.0);
        assert_eq!(twice.table, Capacity::write(2.0));
        let mut sum = Charge::read(0, true, Some(0));
        sum.add(&Charge::read(0, true, Some(0)));
        sum.add(&Charge::read(0, true, None));
        assert_eq!(sum.indexes, vec![(0, Capacity::read(2.0))]);
        assert_eq!(sum.table, Capacity::read(1.0));
    }

    #[test]
    fn total_mode_leaves_the_breakdown_out() {
        let mut full = ConsumedCapacity::read("t", 1.0);
        full.table_capacity = Some(Capacity::read(0.5));
        full.global_indexes.insert("g".into(), Capacity::read(0.5));
        assert_eq!(
            in_mode(full.clone(), CapacityMode::Total),
            ConsumedCapacity::read("t", 1.0)
        );
        assert_eq!(in_mode(full.clone(), CapacityMode::Indexes), full);
    }
}
