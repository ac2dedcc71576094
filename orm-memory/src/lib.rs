#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod capacity;
mod catalog;
mod error;
mod eval;
mod key;
mod limits;
mod lock;
mod merge;
mod metadata;
mod query;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;
mod snapshot;
mod stored;
mod streams;
mod table;
mod update;
mod write;

pub use crate::error::ServiceError;
pub use crate::metadata::{
    IndexDescription, IndexStatus, LatestStream, TableDescription, TableSettings, TableStatus,
    ThroughputDescription, MAX_TAGS, MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS,
};
pub use crate::snapshot::{Snapshot, SnapshotError, SNAPSHOT_VERSION};

use crate::capacity::{Charge, Charged, ItemState, PageRead};
use crate::key::PrimaryKey;
use crate::lock::{ReadGuard, ShardedLock, WriteGuard};
use crate::query::PageRequest;
use crate::stored::Stored;
use crate::streams::{Captured, Streams};
use crate::table::{part_of, Frozen, Part, Schema, Table};
use crate::write::{Failure, Planned, Ready};
use async_trait::async_trait;
use orm_core::backend::{
    BatchGet, BatchGetOutput, BatchWrite, BatchWriteOutput, Capabilities, DeleteItem,
    DescribeStream, GetItem, GetRecords, GetRecordsOutput, GetShardIterator, IndexDefinition,
    KeyType, Limits, ListStreams, ListStreamsOutput, PutItem, QueryOutput, QueryRequest, RawItem,
    ScanRequest, TableDefinition, TransactGet, TransactWrite, TransactWriteAction, UpdateItem,
    UpdateTable, WriteRequest,
};
use orm_core::capacity::ConsumedCapacity;
use orm_core::error::{CancellationCode, CancellationReason};
use orm_core::{Backend, Error, Item, Number, Result, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long DynamoDB remembers a transaction's client request token.
const TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The most a BatchGetItem response holds before the remaining keys come back unprocessed.
const BATCH_GET_MAX_BYTES: usize = 16 * 1024 * 1024;

/// A successful transaction, remembered by its client request token.
#[derive(Debug)]
struct TokenRecord {
    request: TransactWrite,
    at: Instant,
}

/// The tables, by name.
type Catalog = HashMap<String, Arc<Table>>;

/// Everything the backend stores.
///
/// Locks, always taken in this order (so no two requests wait on each other in a cycle):
/// 1. the catalog, `tables`: read-locked by every request for its whole run, write-locked only
///    by CreateTable, UpdateTable and DeleteTable (UpdateTable then read-locks the table's
///    parts to rebuild it);
/// 2. the parts of tables ([`Table`]): a request locks the parts it touches, ordered by table
///    name, then part index (a single-item request locks one part);
/// 3. leaves, taken last and never held while taking another lock: `tokens` (by a
///    transaction with a client request token, after its parts) and a table's metadata;
/// 4. the streams ([`Streams`]): their registry after any part lock (enabling a stream holds
///    every part of its table), a stream's own log (where writes append their records, holding
///    their parts) last of all.
struct State {
    tables: ShardedLock<Catalog>,
    tokens: Mutex<HashMap<String, TokenRecord>>,
    /// [`MemoryBackend::set_status_delay`], in nanoseconds.
    status_delay: AtomicU64,
    streams: Streams,
    /// Each table's consumed capacity totals ([`MemoryBackend::consumed_capacity`]).
    capacity: Mutex<HashMap<String, ConsumedCapacity>>,
    /// [`MemoryBackend::keep_capacity_totals`].
    capacity_totals: AtomicBool,
}

/// The first `N` parts of a delimited text (`None` past its end), to take it apart with a
/// pattern: `let [Some(a), Some(b), None] = fields(text.split('|')) else { .. }`.
pub(crate) fn fields<'a, const N: usize>(
    mut parts: impl Iterator<Item = &'a str>,
) -> [Option<&'a str>; N] {
    std::array::from_fn(|_| parts.next())
}

/// The table named `name`, or DynamoDB's error for a missing table.
fn table_named<'a>(tables: &'a Catalog, name: &str) -> Result<&'a Table> {
    tables
        .get(name)
        .map(|t| &**t)
        .ok_or_else(|| table_not_found(name))
}

/// Locks parts (table name, part index) with `lock` ([`Table::read`] or [`Table::write`]) in
/// the lock order: the set's order.
fn lock_parts<'t, 'n, G>(
    tables: &'t Catalog,
    parts: BTreeSet<(&'n str, usize)>,
    lock: impl Fn(&'t Table, usize) -> G,
) -> BTreeMap<(&'n str, usize), G> {
    parts
        .into_iter()
        .map(|(name, part)| ((name, part), lock(&tables[name], part)))
        .collect()
}

/// Write-locks parts (table name, part index) in the lock order.
fn write_parts<'t, 'n>(
    tables: &'t Catalog,
    parts: BTreeSet<(&'n str, usize)>,
) -> BTreeMap<(&'n str, usize), WriteGuard<'t, Part>> {
    lock_parts(tables, parts, Table::write)
}

/// Read-locks parts (table name, part index) in the lock order.
fn read_parts<'t, 'n>(
    tables: &'t Catalog,
    parts: BTreeSet<(&'n str, usize)>,
) -> BTreeMap<(&'n str, usize), ReadGuard<'t, Part>> {
    lock_parts(tables, parts, Table::read)
}

/// Records the changes of one batch write or transaction (in the order they were applied),
/// each table's in one append, while their parts are still locked: a reader of a stream sees all
/// of its table's changes of the request, or none, together and in action order.
fn record_all<'n>(
    parts: &BTreeMap<(&'n str, usize), WriteGuard<'_, Part>>,
    changes: Vec<(&'n str, Captured)>,
) {
    let mut changes: Vec<Option<(&str, Captured)>> = changes.into_iter().map(Some).collect();
    for i in 0..changes.len() {
        let Some((table, _)) = changes[i] else {
            continue;
        };
        let stream = parts
            .range((table, 0)..)
            .next()
            .and_then(|(_, part)| part.stream.clone());
        let mine = changes[i..]
            .iter_mut()
            .filter(|c| c.as_ref().is_some_and(|(t, _)| *t == table))
            .filter_map(|c| c.take().map(|(_, captured)| captured));
        match stream {
            Some(stream) => stream.record(mine),
            None => mine.for_each(drop),
        }
    }
}

/// The `ValidationError` cancellation reason of a transaction's action `index`, with `error`'s
/// message.
fn validation_reason(index: usize, error: Error) -> CancellationReason {
    CancellationReason {
        index,
        code: CancellationCode::ValidationError,
        message: Some(match error {
            Error::Validation { message } => message,
            other => other.to_string(),
        }),
        item: None,
    }
}

fn table_not_found(name: &str) -> Error {
    Error::TableNotFound {
        table: name.to_owned(),
        source: None,
    }
}

/// An in-process DynamoDB implementing [`orm_core::Backend`].
///
/// Cheap to clone: clones share the same tables (an `Arc`), so a test can hand one to the code
/// under test and inspect the data through another. `Send + Sync`; no lock is held across an
/// `.await` (there are none inside).
///
/// Each table is split into 16 parts by a hash of the partition key, each behind its own lock.
/// Reads never block each other, nor write to memory another reading thread reads (each lock
/// has a shard per core). A single-item write locks only its item's part, so writers to
/// different parts proceed at once; like DynamoDB, writes serialize per item (here: per part).
/// A batch write or a transaction locks every part it touches (in one global order) and
/// applies all or nothing; a transaction is isolated from every read.
///
/// Expired items (by the table's TTL attribute) are not removed automatically, as DynamoDB's
/// deletion is lazy; call [`MemoryBackend::purge_expired`] to remove them.
#[derive(Clone)]
pub struct MemoryBackend {
    state: Arc<State>,
}

impl Default for MemoryBackend {
    fn default() -> MemoryBackend {
        MemoryBackend::from_tables(HashMap::new(), Streams::default())
    }
}

impl fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tables = self.catalog();
        let sizes = table_sizes(tables.iter().map(|(name, t)| (name.as_str(), t.len())));
        f.debug_struct("MemoryBackend")
            .field("tables", &sizes)
            .finish()
    }
}

/// The tables' names and item counts, sorted by name (for `Debug`).
fn table_sizes<'a>(tables: impl Iterator<Item = (&'a str, usize)>) -> Vec<(&'a str, usize)> {
    let mut sizes: Vec<(&str, usize)> = tables.collect();
    sizes.sort_unstable();
    sizes
}

/// Runs an operation as the service does: its invalid-input errors become the service's
/// ([`Error::ServiceValidation`] naming `operation`), as DynamoDB's `ValidationException` does on
/// DynamoBackend. MemoryBackend's checks are DynamoDB's; the few that DynamoBackend makes before
/// sending (entry counts: the requests' `validate`; a table definition it cannot express) are
/// made outside this and stay the ORM's [`Error::Validation`].
fn service<T>(operation: &'static str, body: impl FnOnce() -> Result<T>) -> Result<T> {
    body().map_err(|e| match e {
        Error::Validation { message } => Error::service_validation(operation, message),
        other => other,
    })
}

/// Whether a transaction action's key (or, for a put, its item's table or index key attributes)
/// holds an `S`, `N` or `B` of another type than the schema's: DynamoDB Local's "Type mismatch
/// for key", a per-action `ValidationError` cancellation reason. Other key errors (missing,
/// empty, extra attributes, non-scalar values) fail the whole request.
fn key_type_mismatch(table: &Schema, action: &TransactWriteAction) -> bool {
    match action {
        TransactWriteAction::Put(p) => {
            !key_has_bad_value(table, &p.item, true)
                && !index_key_is_empty(table, &p.item)
                && key_type_mismatch_in(table, &p.item, true)
        }
        other => {
            let key = other.target().1;
            !key_has_bad_value(table, key, true) && key_type_mismatch_in(table, key, false)
        }
    }
}

/// Whether a key holds, in a key attribute, an empty string or binary or a value that is not
/// S, N or B, or (when `missing_is_bad`) lacks a key attribute. DynamoDB Local rejects those with
/// a plain `Validation` error in transactions, and cancels the transaction for other key errors.
fn key_has_bad_value(table: &Schema, key: &Item, missing_is_bad: bool) -> bool {
    let def = &table.def;
    std::iter::once(&def.partition_key)
        .chain(&def.sort_key)
        .any(|attr| match key.get(&attr.name) {
            Some(Value::S(s)) => s.is_empty(),
            Some(Value::B(b)) => b.is_empty(),
            Some(Value::N(_)) => false,
            None => missing_is_bad,
            Some(_) => true,
        })
}

/// Whether an item holds an empty string or binary in an index key attribute (of any of a
/// multi-attribute key's attributes): a plain `Validation` error of the whole transaction, even
/// when another attribute's type mismatch would have been a cancellation reason (found by the
/// differential test on DynamoDB Local).
fn index_key_is_empty(table: &Schema, item: &Item) -> bool {
    table
        .def
        .indexes
        .iter()
        .flat_map(IndexDefinition::key_attributes)
        .any(|attr| match item.get(&attr.name) {
            Some(Value::S(s)) => s.is_empty(),
            Some(Value::B(b)) => b.is_empty(),
            _ => false,
        })
}

pub(crate) fn key_type_mismatch_in(table: &Schema, item: &Item, with_indexes: bool) -> bool {
    let def = &table.def;
    let table_keys = std::iter::once(&def.partition_key).chain(&def.sort_key);
    let index_keys = def
        .indexes
        .iter()
        .filter(|_| with_indexes)
        .flat_map(IndexDefinition::key_attributes);
    table_keys.chain(index_keys).any(|attr| {
        let actual = match item.get(&attr.name) {
            Some(Value::S(_)) => KeyType::S,
            Some(Value::N(_)) => KeyType::N,
            Some(Value::B(_)) => KeyType::B,
            _ => return false,
        };
        actual != attr.key_type
    })
}

impl MemoryBackend {
    /// A backend with no tables.
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }

    /// A backend holding these tables (sharing their items), with these (empty) streams: a
    /// table whose stream was enabled gets a new one of the same view type (a new label and
    /// ARN), recording this backend's changes from now on; one whose latest stream was disabled
    /// has none (that stream's records stayed with the backend that wrote them).
    pub(crate) fn from_tables(tables: HashMap<String, Frozen>, streams: Streams) -> MemoryBackend {
        let tables: Catalog = tables
            .into_iter()
            .map(|(name, frozen)| (name, Arc::new(Table::from_frozen(frozen))))
            .collect();
        for table in tables.values() {
            let latest = table.metadata().stream.take();
            if let Some(latest) = latest.filter(|latest| latest.enabled) {
                streams.enable(table, latest.view_type);
            }
        }
        MemoryBackend {
            state: Arc::new(State {
                tables: ShardedLock::new(tables),
                tokens: Mutex::new(HashMap::new()),
                status_delay: AtomicU64::new(0),
                streams,
                capacity: Mutex::default(),
                capacity_totals: AtomicBool::new(false),
            }),
        }
    }

    /// A frozen copy of every table, O(1) per part: every part of every table read-locked at
    /// once (in the lock order), so a transaction or batch write is in the copy whole or not
    /// at all.
    fn frozen_tables(&self) -> HashMap<String, Frozen> {
        let tables = self.catalog();
        let mut names: Vec<&String> = tables.keys().collect();
        names.sort_unstable();
        let locked: Vec<(&String, &Table, Vec<ReadGuard<'_, Part>>)> = names
            .into_iter()
            .map(|name| {
                let table = &*tables[name];
                (name, table, table.read_all())
            })
            .collect();
        locked
            .iter()
            .map(|(name, table, parts)| ((*name).clone(), table.freeze(parts)))
            .collect()
    }

    /// A frozen copy of every table and item, in O(1) per table whatever the number of items
    /// (the item maps are persistent and shared copy-on-write). Later writes to this backend do
    /// not change the snapshot; [`Snapshot::fork`] starts new backends from it, and
    /// [`Snapshot::save`] keeps it in a file.
    ///
    /// Remembered transaction client request tokens are not part of a snapshot.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            tables: Arc::new(self.frozen_tables()),
        }
    }

    /// An independent copy of this backend, in O(1) per table: writes to either never show in
    /// the other (unlike [`Clone`], which shares the tables). The same as
    /// `self.snapshot().fork()`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use orm_core::backend::{KeyAttribute, KeyType, PutItem, TableDefinition};
    /// use orm_core::{Backend, Item};
    /// use orm_memory::MemoryBackend;
    ///
    /// let seeded = MemoryBackend::new();
    /// seeded.create_table(&TableDefinition {
    ///     name: "app".into(),
    ///     partition_key: KeyAttribute { name: "pk".into(), key_type: KeyType::S },
    ///     sort_key: None,
    ///     indexes: vec![],
    ///     ttl_attribute: None,
    /// }).await?;
    /// let fork = seeded.fork();
    /// fork.put_item(PutItem::new("app", Item::new().with("pk", "a"))).await?;
    /// assert_eq!(fork.item_count("app"), Some(1));
    /// assert_eq!(seeded.item_count("app"), Some(0));
    /// # Ok::<(), orm_core::Error>(()) }).unwrap();
    /// ```
    pub fn fork(&self) -> MemoryBackend {
        MemoryBackend::from_tables(self.frozen_tables(), self.state.streams.fork())
    }

    /// Moves this backend's clock forward by `by`, for tests of what time does to streams:
    /// shard iterators expire 15 minutes after they are handed out, records are trimmed
    /// after 24 hours (and disabled streams forgotten), open shards roll over every 4 hours, and
    /// records made from now on carry the later time. Forks of this backend start from its
    /// clock; nothing else (item TTL: [`MemoryBackend::purge_expired`] takes its own time) reads
    /// it.
    pub fn advance_time(&self, by: Duration) {
        self.state.streams.counters().advance(by);
    }

    /// The catalog, read-locked (see [`State`] for the lock order).
    fn catalog(&self) -> ReadGuard<'_, Catalog> {
        self.state.tables.read()
    }

    /// A table, shared (tests hold its parts' locks with it).
    #[cfg(test)]
    fn table_handle(&self, name: &str) -> Arc<Table> {
        Arc::clone(&self.catalog()[name])
    }

    /// Removes, from every table with TTL enabled (by its definition at creation, or later by
    /// [`MemoryBackend::update_time_to_live`], which the server's UpdateTimeToLive calls), the
    /// items whose TTL attribute is a number (epoch seconds) `<= now_epoch_seconds`; returns
    /// how many were removed.
    ///
    /// Items whose TTL attribute is absent or not a number never expire, as in DynamoDB.
    pub fn purge_expired(&self, now_epoch_seconds: i64) -> usize {
        let now = Number::from(now_epoch_seconds);
        self.catalog().values().map(|t| t.purge_expired(&now)).sum()
    }

    /// The names of the existing tables, sorted.
    pub fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.catalog().keys().cloned().collect();
        names.sort_unstable();
        names
    }

    /// How many items a table holds (`None` if it does not exist).
    pub fn item_count(&self, table: &str) -> Option<usize> {
        self.catalog().get(table).map(|t| t.len())
    }

    /// One BatchWriteItem over any number of tables, as DynamoDB runs it: every write of every
    /// table is checked (the tables exist, the items and keys are valid, no key twice in a
    /// table, at most 25 writes and 16 MB in all) before any is applied, then every part written
    /// is locked (in the lock order) and every write applied, so an invalid write anywhere
    /// leaves every table as it was. The server's BatchWriteItem.
    pub(crate) fn batch_write_tables(&self, requests: &[BatchWrite]) -> Result<()> {
        let limits = Limits::default();
        orm_core::backend::request::check_count(
            "BatchWriteItem requests",
            requests.iter().map(|r| r.writes.len()).sum(),
            limits.max_batch_write,
        )?;
        let bytes: usize = requests
            .iter()
            .flat_map(|r| &r.writes)
            .map(WriteRequest::size)
            .sum();
        if bytes > limits.max_batch_write_bytes {
            return Err(Error::validation(format!(
                "BatchWriteItem request size {bytes} exceeds {} bytes",
                limits.max_batch_write_bytes
            )));
        }
        let tables = self.catalog();
        // Every write is checked before any is applied (DynamoDB rejects the whole batch);
        // batch writes are unconditional, so each is then a plain put or delete of a borrowed
        // item, encoded straight into its part.
        let mut checked = Vec::with_capacity(requests.len());
        for request in requests {
            let table = &table_named(&tables, &request.table)?.schema;
            let mut keys = Vec::with_capacity(request.writes.len());
            let mut seen = BTreeSet::new();
            for write in &request.writes {
                let key = match write {
                    WriteRequest::Put(item) => table.check_item(item, false)?,
                    WriteRequest::PutEntries(entries) => {
                        table.check_item(&Item::from_unsorted(entries.clone()), false)?
                    }
                    WriteRequest::Delete(key) => table.key(key)?,
                };
                if !seen.insert(key.clone()) {
                    return Err(Error::validation(
                        "Provided list of item keys contains duplicates",
                    ));
                }
                keys.push(key);
            }
            checked.push(keys);
        }
        let written = requests
            .iter()
            .zip(&checked)
            .flat_map(|(r, keys)| keys.iter().map(|k| (r.table.as_str(), part_of(&k.pk))))
            .collect();
        let mut parts = write_parts(&tables, written);
        let mut changes = Vec::new();
        // Each write charged on its own (its item and index entries before and after it), one
        // charge per table: only for the requests that want theirs.
        let mut charges = Vec::new();
        for (request, keys) in requests.iter().zip(checked) {
            let mut charge = self
                .wants_capacity(request.capacity.as_ref())
                .then(Charge::default);
            for (write, key) in request.writes.iter().zip(keys) {
                let part = parts
                    .get_mut(&(request.table.as_str(), part_of(&key.pk)))
                    .expect("every written part is locked");
                let before = charge
                    .as_ref()
                    .map(|_| (ItemState::of(part, &key), key.clone()));
                let captured = match write {
                    WriteRequest::Put(item) => part.put_captured(key, item),
                    WriteRequest::PutEntries(entries) => {
                        part.put_captured(key, &Item::from_unsorted(entries.clone()))
                    }
                    WriteRequest::Delete(_) => part.delete_captured(&key),
                };
                if let (Some(charge), Some((before, key))) = (&mut charge, before) {
                    charge.add(&Charge::write(&before, &ItemState::of(part, &key)));
                }
                changes.extend(captured.map(|c| (request.table.as_str(), c)));
            }
            charges.push(charge);
        }
        record_all(&parts, changes);
        drop(parts);
        drop(tables);
        for (request, charge) in requests.iter().zip(charges) {
            if let Some(charge) = charge {
                self.charge(&request.table, request.capacity.as_ref(), charge);
            }
        }
        Ok(())
    }

    /// Plans one write (checks that need no item), then evaluates and commits it holding its
    /// item's part's write lock: the only part lock it takes. When capacity is wanted
    /// (`recorder`, or totals kept), the write's is computed under that lock, from the item and
    /// its index entries before and after it, and accounted once the lock is released; a write
    /// whose condition fails is charged too (as DynamoDB does).
    fn write_one<'a>(
        &self,
        operation: &'static str,
        request: &impl Charged,
        plan: impl FnOnce(&Schema) -> Result<Planned<'a>>,
    ) -> Result<Option<Item>> {
        let (table, recorder) = (request.table(), request.capacity());
        let want = self.wants_capacity(recorder);
        let (result, consumed) = {
            let tables = self.catalog();
            let named = table_named(&tables, table)?;
            let planned = service(operation, || plan(&named.schema))?;
            let mut part = named.write(part_of(&planned.key.pk));
            let before = want.then(|| {
                let state = ItemState::of(&part, &planned.key);
                (state, planned.key.clone(), planned.put_size())
            });
            let (result, charge) = match write::evaluate(&part, planned) {
                Ok(ready) => {
                    let returned = write::commit(&mut part, ready);
                    let charge = before.map(|(before, key, _)| {
                        Charge::write(&before, &ItemState::of(&part, &key))
                    });
                    (Ok(returned), charge)
                }
                Err(failure) => {
                    let charge = match (&failure, before) {
                        (Failure::Condition(_), Some((before, _, put))) => {
                            Some(Charge::failed_write(before.size(), put))
                        }
                        _ => None,
                    };
                    (Err(failure.into_error()), charge)
                }
            };
            drop(part);
            (result, charge.map(|c| c.consumed(table, &named.schema)))
        };
        if let Some(consumed) = consumed {
            // A failed write's capacity counts in the table's totals, but the caller is told
            // none: DynamoDB's error answer carries no `ConsumedCapacity`.
            let told = if result.is_ok() { recorder } else { None };
            self.account(told, consumed);
        }
        service(operation, || result)
    }

    /// One page of `request` (a Query or Scan: `operation` names it in errors), read by `read`
    /// once the table, or the index it names, is readable (not still backfilling), and charged
    /// to the request's recorder by what it read.
    fn read_page(
        &self,
        operation: &'static str,
        request: &impl PageRequest,
        read: impl FnOnce(&Table) -> Result<(QueryOutput, PageRead)>,
    ) -> Result<QueryOutput> {
        let (page, what_was_read) = service(operation, || {
            let tables = self.catalog();
            let table = table_named(&tables, request.table())?;
            if table.pending.is_some() {
                table.check_readable(request.index(), self.status_delay())?;
            }
            read(table)
        })?;
        if self.wants_capacity(request.capacity()) {
            let charge = what_was_read.charge(request.consistent());
            self.charge(request.table(), request.capacity(), charge);
        }
        Ok(page)
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            streams: true,
            ..Capabilities::default()
        }
    }

    async fn create_table(&self, definition: &TableDefinition) -> Result<()> {
        self.create_table_with(definition, &TableSettings::default())
            .map(drop)
    }

    async fn describe_table(&self, name: &str) -> Result<TableDefinition> {
        service("DescribeTable", || {
            let tables = self.catalog();
            let table = table_named(&tables, name)?;
            let ttl_attribute = table.metadata().ttl.clone();
            Ok(TableDefinition {
                ttl_attribute,
                ..table.schema.def.clone()
            })
        })
    }

    async fn delete_table(&self, name: &str) -> Result<()> {
        self.delete_table_described(name).map(drop)
    }

    async fn update_table(&self, request: &UpdateTable) -> Result<()> {
        self.update_table_now(request, false).map(drop)
    }

    async fn get_item(&self, request: &GetItem) -> Result<Option<RawItem>> {
        let (found, size) = self.get_item_now(request)?;
        if self.wants_capacity(request.capacity.as_ref()) {
            let charge = Charge::read(size, request.consistent, None);
            self.charge(&request.table, request.capacity.as_ref(), charge);
        }
        Ok(found)
    }

    async fn put_item(&self, request: PutItem) -> Result<Option<Item>> {
        request.validate()?;
        self.write_one("PutItem", &request, |t| write::plan_put(t, &request))
    }

    async fn update_item(&self, request: &UpdateItem) -> Result<Option<Item>> {
        request.validate()?;
        self.write_one("UpdateItem", request, |t| write::plan_update(t, request))
    }

    async fn delete_item(&self, request: &DeleteItem) -> Result<Option<Item>> {
        request.validate()?;
        self.write_one("DeleteItem", request, |t| write::plan_delete(t, request))
    }

    async fn query(&self, request: &QueryRequest) -> Result<QueryOutput> {
        request.validate()?;
        self.read_page("Query", request, |table| {
            query::query_with(table, request, Part::share)
        })
    }

    async fn scan(&self, request: &ScanRequest) -> Result<QueryOutput> {
        request.validate()?;
        self.read_page("Scan", request, |table| {
            query::scan_with(table, request, Part::share)
        })
    }

    async fn batch_get(&self, request: &BatchGet) -> Result<BatchGetOutput> {
        request.validate(&self.capabilities().limits)?;
        let want = self.wants_capacity(request.capacity.as_ref());
        let (out, charge) = service("BatchGetItem", || self.batch_get_checked(request, want))?;
        if let Some(charge) = charge {
            self.charge(&request.table, request.capacity.as_ref(), charge);
        }
        Ok(out)
    }

    async fn batch_write(&self, mut request: BatchWrite) -> Result<BatchWriteOutput> {
        request.validate(&self.capabilities().limits)?;
        // Items are stored sorted: unsorted puts are sorted once, here.
        request.writes = request
            .writes
            .into_iter()
            .map(WriteRequest::into_sorted)
            .collect();
        service("BatchWriteItem", || {
            self.batch_write_tables(std::slice::from_ref(&request))
        })?;
        Ok(BatchWriteOutput::default())
    }

    async fn transact_get(&self, request: &TransactGet) -> Result<Vec<Option<RawItem>>> {
        request.validate(&self.capabilities().limits)?;
        let want = self.wants_capacity(request.capacity.as_ref());
        let (items, sizes) = service("TransactGetItems", || {
            self.transact_get_checked(request, want)
        })?;
        // One report per table: each item a transactional read (twice a consistent one).
        let mut charges = Vec::new();
        for (get, size) in request.gets.iter().zip(sizes) {
            capacity::add_per_table(&mut charges, &get.table, &Charge::transactional_read(size));
        }
        for (table, charge) in charges {
            self.charge(&table, request.capacity.as_ref(), charge);
        }
        Ok(items)
    }

    async fn transact_write(&self, request: &TransactWrite) -> Result<()> {
        request.validate(&self.capabilities().limits)?;
        let want = self.wants_capacity(request.capacity.as_ref());
        let charges = service("TransactWriteItems", || {
            self.transact_write_checked(request, want)
        })?;
        for (table, charge) in charges {
            self.charge(&table, request.capacity.as_ref(), charge);
        }
        Ok(())
    }

    async fn list_streams(&self, request: &ListStreams) -> Result<ListStreamsOutput> {
        self.list_streams_in(request, streams::names::DEFAULT_REGION)
    }

    async fn describe_stream(
        &self,
        request: &DescribeStream,
    ) -> Result<orm_core::backend::StreamDescription> {
        self.describe_stream_in(request, streams::names::DEFAULT_REGION)
    }

    async fn get_shard_iterator(&self, request: &GetShardIterator) -> Result<String> {
        self.shard_iterator_in(request, streams::names::DEFAULT_REGION)
    }

    async fn get_records(&self, request: &GetRecords) -> Result<GetRecordsOutput> {
        self.records_in(request, streams::names::DEFAULT_REGION)
    }
}

impl MemoryBackend {
    /// GetItem, without the capacity report: the item, and the size of the whole item read
    /// (0: none), whatever the projection.
    fn get_item_now(&self, request: &GetItem) -> Result<(Option<RawItem>, usize)> {
        service("GetItem", || {
            if let Some(p) = &request.projection {
                eval::check_projection(p)?;
            }
            let tables = self.catalog();
            let table = table_named(&tables, &request.table)?;
            let key = table.schema.key(&request.key)?;
            let part = table.read(part_of(&key.pk));
            let stored = part.get(&key);
            let size = stored.map_or(0, Stored::size);
            let found = stored.map(|item| match &request.projection {
                Some(paths) => RawItem::Item(part.project(item, paths)),
                None => part.share(item),
            });
            Ok((found, size))
        })
    }
}

impl MemoryBackend {
    /// BatchGetItem, once its entry count is checked (`validate`); with `want`, what it
    /// consumed: each key read on its own, whole (whatever the projection), a missing one the
    /// minimum, the unprocessed ones nothing.
    fn batch_get_checked(
        &self,
        request: &BatchGet,
        want: bool,
    ) -> Result<(BatchGetOutput, Option<Charge>)> {
        if let Some(p) = &request.projection {
            eval::check_projection(p)?;
        }
        let tables = self.catalog();
        let table = table_named(&tables, &request.table)?;
        let mut seen = BTreeSet::new();
        let mut keys = Vec::with_capacity(request.keys.len());
        for key in &request.keys {
            let key = table.schema.key(key)?;
            if !seen.insert(key.clone()) {
                return Err(Error::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            keys.push(key);
        }
        let name = request.table.as_str();
        let parts = read_parts(
            &tables,
            keys.iter().map(|k| (name, part_of(&k.pk))).collect(),
        );
        // Like DynamoDB, stop at 16 MB of response and hand the remaining keys back.
        let mut out = BatchGetOutput::default();
        let mut charge = want.then(Charge::default);
        let mut bytes = 0usize;
        for (i, k) in keys.iter().enumerate() {
            if bytes >= BATCH_GET_MAX_BYTES {
                out.unprocessed_keys = request.keys[i..].to_vec();
                break;
            }
            let part = &parts[&(name, part_of(&k.pk))];
            let stored = part.get(k);
            if let Some(charge) = &mut charge {
                let size = stored.map_or(0, Stored::size);
                charge.add(&Charge::read(size, request.consistent, None));
            }
            if let Some(item) = stored {
                out.items.push(match &request.projection {
                    Some(paths) => {
                        let projected = part.project(item, paths);
                        bytes += projected.size();
                        RawItem::Item(projected)
                    }
                    None => {
                        bytes += item.size();
                        part.share(item)
                    }
                });
            }
        }
        Ok((out, charge))
    }

    /// TransactGetItems, once its entry count is checked (`validate`): every key checked, then
    /// the parts read locked in the lock order, so no transaction is seen half applied.
    /// With `want`, also the size of each whole item read (0: missing; none without).
    fn transact_get_checked(
        &self,
        request: &TransactGet,
        want: bool,
    ) -> Result<(Vec<Option<RawItem>>, Vec<usize>)> {
        for (i, get) in request.gets.iter().enumerate() {
            if let Some(p) = &get.projection {
                eval::check_projection(p).map_err(|e| e.in_transaction_action(i))?;
            }
        }
        let tables = self.catalog();
        let mut seen: BTreeSet<(&str, PrimaryKey)> = BTreeSet::new();
        let mut keys = Vec::with_capacity(request.gets.len());
        // A key that does not match its table's schema is that action's `ValidationError`
        // cancellation reason, the others' `None`: DynamoDB cancels the transaction with one
        // reason per action (DynamoDB Local cancels with no reasons at all; see
        // docs/server.md's known differences).
        let mut mismatched = Vec::new();
        for (i, get) in request.gets.iter().enumerate() {
            let table = table_named(&tables, &get.table)?;
            let key = match table.schema.key(&get.key) {
                Ok(key) => key,
                Err(e) if key_has_bad_value(&table.schema, &get.key, false) => return Err(e),
                Err(e) => {
                    mismatched.push((i, e));
                    continue;
                }
            };
            if !seen.insert((&get.table, key.clone())) {
                return Err(Error::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            keys.push(key);
        }
        if !mismatched.is_empty() {
            let mut reasons: Vec<CancellationReason> = (0..request.gets.len())
                .map(|index| CancellationReason::new(index, CancellationCode::None))
                .collect();
            for (index, error) in mismatched {
                reasons[index] = validation_reason(index, error);
            }
            return Err(Error::TransactionCanceled { reasons });
        }
        let at: Vec<(&str, usize)> = request
            .gets
            .iter()
            .zip(&keys)
            .map(|(get, key)| (get.table.as_str(), part_of(&key.pk)))
            .collect();
        let parts = read_parts(&tables, at.iter().copied().collect());
        let mut sizes = Vec::new();
        let items = request
            .gets
            .iter()
            .zip(&keys)
            .zip(&at)
            .map(|((get, key), at)| {
                let part = &parts[at];
                let stored = part.get(key);
                if want {
                    sizes.push(stored.map_or(0, Stored::size));
                }
                stored.map(|item| match &get.projection {
                    Some(paths) => RawItem::Item(part.project(item, paths)),
                    None => part.share(item),
                })
            })
            .collect();
        Ok((items, sizes))
    }

    /// TransactWriteItems, once its entry count is checked (`validate`).
    ///
    /// Locks every part an action's item lives in (in the lock order) before looking at any
    /// item, and, when the request has a client request token, the tokens last, until the token
    /// is recorded: two transactions with one token never both apply.
    ///
    /// With `want`, what it consumed, one charge per table: each write twice a write's units
    /// (its table's and indexes', from its item before and after), each condition check a
    /// transactional read of its item. A repeat of an applied request (its token) writes
    /// nothing and is charged nothing.
    fn transact_write_checked(
        &self,
        request: &TransactWrite,
        want: bool,
    ) -> Result<Vec<(String, Charge)>> {
        let tables = self.catalog();
        // An action whose table is missing or whose partition key is unusable touches no item
        // (it fails its checks below): it locks nothing.
        let touched = request
            .actions
            .iter()
            .filter_map(|action| {
                let (name, key) = action.target();
                let part = tables.get(name)?.schema.part_of_item(key)?;
                Some((name, part))
            })
            .collect();
        let mut parts = write_parts(&tables, touched);
        // The tokens last: a leaf lock, nothing is locked while holding it.
        let mut tokens = request.client_request_token.as_ref().map(|_| {
            self.state
                .tokens
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        });
        if let (Some(token), Some(tokens)) = (&request.client_request_token, &mut tokens) {
            tokens.retain(|_, record| record.at.elapsed() < TOKEN_LIFETIME);
            if let Some(record) = tokens.get(token) {
                if record.request == *request {
                    // Already applied: idempotent success.
                    return Ok(Vec::new());
                }
                // DynamoDB's own error type, as DynamoBackend reports it: a
                // `ServiceValidation` whose source carries the code.
                let message = format!(
                    "The client request token `{token}` was used within the last 10 minutes \
                     with a different request"
                );
                return Err(Error::ServiceValidation {
                    operation: "TransactWriteItems".into(),
                    message: message.clone(),
                    source: Some(Box::new(ServiceError::new(
                        "IdempotentParameterMismatchException",
                        message,
                    ))),
                });
            }
        }
        let remembered = request.client_request_token.clone().map(|token| {
            (
                token,
                TokenRecord {
                    request: request.clone(),
                    at: Instant::now(),
                },
            )
        });
        // DynamoDB Local's order (each step pinned by a differential regression test):
        // 1. request-wide checks of every action (expressions, values, item size), and two
        //    actions on one item: `Validation` (DynamoDB rejects those up front; DynamoDB Local
        //    only when no condition on that item failed first, see docs/reliability.md);
        // 2. then action by action: a key holding an S/N/B of the wrong type (table key, or an
        //    index key of a put) is a `ValidationError` reason and the next action runs; any
        //    other key error is a `Validation` error; a failed condition is a
        //    `ConditionalCheckFailed` reason; an update whose condition held but that targets a
        //    key attribute cancels with a single `ValidationError` reason, one that cannot
        //    apply is a `Validation` error;
        // 3. any reason other than `None` cancels the transaction.
        let count = request.actions.len();
        let mut seen: BTreeSet<(&str, PrimaryKey)> = BTreeSet::new();
        for (i, action) in request.actions.iter().enumerate() {
            let (name, key) = action.target();
            let table = &table_named(&tables, name)?.schema;
            write::check_static(action, table).map_err(|e| e.in_transaction_action(i))?;
            let key = match action {
                TransactWriteAction::Put(_) => table.key_item(key),
                _ => key.clone(),
            };
            if let Ok(key) = table.key(&key) {
                // DynamoDB's message names no action.
                if !seen.insert((name, key)) {
                    return Err(Error::validation(
                        "Transaction request cannot include multiple operations on one item",
                    ));
                }
            }
        }
        let mut reasons: Vec<CancellationReason> = (0..count)
            .map(|index| CancellationReason::new(index, CancellationCode::None))
            .collect();
        let mut ready: Vec<((&str, usize), Ready<'_>)> = Vec::with_capacity(count);
        // With `want`: each applied action's item before it, and whether it only checks.
        let mut before: Vec<(PrimaryKey, ItemState, bool)> = Vec::new();
        for (i, action) in request.actions.iter().enumerate() {
            let name = action.target().0;
            let table = &table_named(&tables, name)?.schema;
            let mismatch = key_type_mismatch(table, action);
            let plan = match write::plan_action(table, action) {
                Ok(plan) => plan,
                Err(e @ Error::Validation { .. }) if mismatch => {
                    reasons[i] = validation_reason(i, e);
                    continue;
                }
                Err(e) => return Err(e.in_transaction_action(i)),
            };
            // The planned key's partition key is the one its part was locked by.
            let at = (name, part_of(&plan.key.pk));
            let part = parts.get(&at).expect("every planned item's part is locked");
            let state = want.then(|| {
                let check = matches!(action, TransactWriteAction::ConditionCheck(_));
                (plan.key.clone(), ItemState::of(part, &plan.key), check)
            });
            match write::evaluate(part, plan) {
                Ok(r) => {
                    ready.push((at, r));
                    before.extend(state);
                }
                Err(Failure::Invalid(e)) => return Err(e.in_transaction_action(i)),
                // Regression test `regression_transaction_update_of_index_key_type_is_a_reason`.
                Err(Failure::IndexKeyType(e)) => reasons[i] = validation_reason(i, e),
                Err(Failure::KeyUpdate(e)) => {
                    return Err(Error::TransactionCanceled {
                        reasons: vec![validation_reason(0, e)],
                    })
                }
                Err(Failure::Condition(item)) => {
                    reasons[i] = CancellationReason {
                        index: i,
                        code: CancellationCode::ConditionalCheckFailed,
                        message: Some("The conditional request failed".into()),
                        item,
                    };
                }
            }
        }
        if reasons.iter().any(CancellationReason::is_failure) {
            return Err(Error::TransactionCanceled { reasons });
        }
        let bytes: usize = ready
            .iter()
            .map(|(_, r)| match &r.change {
                write::Change::Put(item) => item.size(),
                _ => 0,
            })
            .sum();
        let limits = Limits::default();
        if bytes > limits.max_transaction_bytes {
            return Err(Error::validation(format!(
                "Transaction size {bytes} exceeds the limit of {} bytes",
                limits.max_transaction_bytes
            )));
        }
        // Apply everything, and record it in the tables' streams.
        let mut changes = Vec::new();
        let written: Vec<(&str, usize)> = ready.iter().map(|(at, _)| *at).collect();
        for ((name, part), r) in ready {
            let (_, captured) =
                write::commit_captured(parts.get_mut(&(name, part)).expect("locked above"), r);
            changes.extend(captured.map(|c| (name, c)));
        }
        let mut charges: Vec<(String, Charge)> = Vec::new();
        for (at, (key, before, check)) in written.into_iter().zip(before) {
            let charge = if check {
                Charge::transactional_read(before.size())
            } else {
                Charge::write(&before, &ItemState::of(&parts[&at], &key)).times(2.0)
            };
            capacity::add_per_table(&mut charges, at.0, &charge);
        }
        record_all(&parts, changes);
        if let (Some((token, record)), Some(tokens)) = (remembered, &mut tokens) {
            tokens.insert(token, record);
        }
        Ok(charges)
    }
}

#[cfg(test)]
mod tests;
