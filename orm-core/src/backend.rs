//! The [`Backend`] trait and the backend-neutral requests it takes.
//!
//! A backend is a store that behaves like DynamoDB: the memory backend interprets these requests,
//! the DynamoDB backend renders them for the service. Everything else (models, keys, paging,
//! batch retries, optimistic locking) is written once above this trait, in orm-core.

use crate::error::Result;
use crate::expr::{Condition, KeyCondition, Path, Update};
use crate::value::{Item, Value, ValueRef};
/// The attribute a [`Backend`] impl needs (`#[async_trait]`), re-exported so that a backend or
/// a backend layer can be written without depending on `async-trait` itself.
pub use async_trait::async_trait;
use std::borrow::Cow;
use std::fmt::Debug;
use std::sync::Arc;

/// What the caller wants back from a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnValues {
    /// Nothing.
    #[default]
    None,
    /// The whole item as it was before the write.
    AllOld,
    /// Only the updated attributes, as they were before (update only).
    UpdatedOld,
    /// The whole item as it is after the write (update only).
    AllNew,
    /// Only the updated attributes, as they are after (update only).
    UpdatedNew,
}

/// Read one item by its primary key.
#[derive(Debug, Clone, PartialEq)]
pub struct GetItem {
    /// Table name.
    pub table: String,
    /// The full primary key (partition and, if any, sort key attributes).
    pub key: Item,
    /// Strongly consistent read.
    pub consistent: bool,
    /// Only these attributes (None: all).
    pub projection: Option<Vec<Path>>,
}

/// Write a whole item, replacing any item with the same key.
#[derive(Debug, Clone, PartialEq)]
pub struct PutItem {
    /// Table name.
    pub table: String,
    /// The item, key attributes included.
    pub item: Item,
    /// Write only if this holds for the stored item (absent attributes for a missing item).
    pub condition: Option<Condition>,
    /// `None` or `AllOld`.
    pub return_values: ReturnValues,
    /// On a failed condition, return the stored item in the error.
    pub return_item_on_condition_failure: bool,
}

impl PutItem {
    /// An unconditional put of `item` into `table` that returns nothing.
    ///
    /// ```
    /// use orm_core::backend::{PutItem, ReturnValues};
    /// use orm_core::Item;
    ///
    /// let put = PutItem::new("app", Item::new().with("pk", "a"));
    /// assert_eq!((put.condition, put.return_values), (None, ReturnValues::None));
    /// ```
    pub fn new(table: impl Into<String>, item: Item) -> PutItem {
        PutItem {
            table: table.into(),
            item,
            condition: None,
            return_values: ReturnValues::None,
            return_item_on_condition_failure: false,
        }
    }
}

/// Change some attributes of an item (creating it if absent, as DynamoDB does).
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateItem {
    /// Table name.
    pub table: String,
    /// The full primary key.
    pub key: Item,
    /// The actions.
    pub update: Update,
    /// Apply only if this holds.
    pub condition: Option<Condition>,
    /// What to return.
    pub return_values: ReturnValues,
    /// On a failed condition, return the stored item in the error.
    pub return_item_on_condition_failure: bool,
}

/// Delete an item by key.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteItem {
    /// Table name.
    pub table: String,
    /// The full primary key.
    pub key: Item,
    /// Delete only if this holds.
    pub condition: Option<Condition>,
    /// `None` or `AllOld`.
    pub return_values: ReturnValues,
    /// On a failed condition, return the stored item in the error.
    pub return_item_on_condition_failure: bool,
}

/// Read one page of a partition (or of an index partition).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Table name.
    pub table: String,
    /// Index name, if querying an index.
    pub index: Option<String>,
    /// Partition equality plus an optional sort-key condition.
    pub key_condition: KeyCondition,
    /// Applied after `limit` items were read.
    pub filter: Option<Condition>,
    /// Only these attributes (None: all).
    pub projection: Option<Vec<Path>>,
    /// DynamoDB's `Limit`: items evaluated (before the filter) in this page.
    pub limit: Option<u32>,
    /// Continue after this key (a `last_evaluated_key`).
    pub exclusive_start_key: Option<Item>,
    /// Ascending sort-key order when true.
    pub scan_forward: bool,
    /// Strongly consistent read (not on GSIs).
    pub consistent: bool,
    /// Count only: return no items, just counts.
    pub count_only: bool,
}

/// Read one page of a whole table or index, optionally one parallel segment of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// Table name.
    pub table: String,
    /// Index name, if scanning an index.
    pub index: Option<String>,
    /// Applied after `limit` items were read.
    pub filter: Option<Condition>,
    /// Only these attributes (None: all).
    pub projection: Option<Vec<Path>>,
    /// DynamoDB's `Limit`.
    pub limit: Option<u32>,
    /// Continue after this key.
    pub exclusive_start_key: Option<Item>,
    /// Strongly consistent read.
    pub consistent: bool,
    /// `(segment, total_segments)` for parallel scans.
    pub segment: Option<(u32, u32)>,
    /// Count only.
    pub count_only: bool,
}

/// One page of query or scan results: sorted [`Item`]s, or [`RawItem`]s as
/// [`Backend::query_raw`] / [`Backend::scan_raw`] return them ([`RawPage`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T = Item> {
    /// The items that passed the filter (empty for count-only requests).
    pub items: Vec<T>,
    /// Items that passed the filter.
    pub count: u32,
    /// Items read before the filter.
    pub scanned_count: u32,
    /// Where to continue; `None` when the end was reached. Pages may be empty yet carry a key.
    pub last_evaluated_key: Option<Item>,
}

/// An item as a backend read it: a sorted [`Item`], its attributes in the order the backend had
/// them, or an item the backend keeps in its own encoding and shares ([`SharedItem`]).
/// DynamoDB answers with hash maps, so building an `Item` means sorting every item's attributes;
/// a caller that decodes straight into a model needs no order, and [`Backend::query_raw`] /
/// [`Backend::scan_raw`] let a backend skip that work. An in-process backend skips copying the
/// item too: the model is decoded from a borrowed view of what it stores.
///
/// ```
/// use orm_core::backend::RawItem;
/// use orm_core::{Item, Value};
///
/// let raw = RawItem::Entries(vec![("b".into(), Value::from(2u8)), ("a".into(), Value::from(1u8))]);
/// assert_eq!(raw.get("a").as_deref(), Some(&Value::from(1u8)));
/// assert_eq!(raw.into_item(), Item::new().with("a", 1u8).with("b", 2u8));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum RawItem {
    /// A sorted item.
    Item(Item),
    /// Attributes in no particular order, each name once.
    Entries(Vec<(String, Value)>),
    /// An item the backend keeps and shares, read through a borrowed view.
    Shared(Arc<dyn SharedItem>),
}

impl RawItem {
    /// The attribute `name`, if present (decoded, for a [`RawItem::Shared`] item).
    pub fn get(&self, name: &str) -> Option<Cow<'_, Value>> {
        match self {
            RawItem::Item(item) => item.get(name).map(Cow::Borrowed),
            RawItem::Entries(entries) => entries
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| Cow::Borrowed(v)),
            RawItem::Shared(shared) => shared.get(name).map(Cow::Owned),
        }
    }

    /// The item as a sorted [`Item`].
    pub fn into_item(self) -> Item {
        match self {
            RawItem::Item(item) => item,
            RawItem::Entries(entries) => Item::from_unsorted(entries),
            RawItem::Shared(shared) => shared.to_item(),
        }
    }
}

/// An item that a backend keeps in its own encoding and hands out without copying it (as
/// [`RawItem::Shared`]): the ORM decodes a model from its borrowed view ([`SharedItem::attributes`],
/// through [`from_attributes`](crate::from_attributes)), with no owned [`Item`] in between.
///
/// Object-safe; an implementation holds a reference-counted handle to the stored item (and to
/// whatever it needs to read it, such as a table's interned attribute names), never a copy.
///
/// ```
/// use orm_core::backend::{RawItem, SharedItem};
/// use orm_core::{Item, Value, ValueRef};
/// use std::sync::Arc;
///
/// /// An item kept as an `Item` (a real backend keeps its own compact form).
/// #[derive(Debug)]
/// struct Kept(Item);
///
/// impl SharedItem for Kept {
///     fn get(&self, name: &str) -> Option<Value> {
///         self.0.get(name).cloned()
///     }
///     fn to_item(&self) -> Item {
///         self.0.clone()
///     }
///     fn attributes(&self) -> Vec<(&str, ValueRef<'_>)> {
///         self.0.iter().map(|(n, v)| (n.as_str(), v.view())).collect()
///     }
/// }
///
/// let raw = RawItem::Shared(Arc::new(Kept(Item::new().with("a", 1))));
/// assert_eq!(raw.get("a").as_deref(), Some(&Value::from(1)));
/// assert_eq!(raw.into_item(), Item::new().with("a", 1));
/// ```
pub trait SharedItem: Debug + Send + Sync {
    /// The attribute `name`, decoded, if present.
    fn get(&self, name: &str) -> Option<Value>;
    /// The whole item, decoded.
    fn to_item(&self) -> Item;
    /// Every attribute, borrowed from the stored item, each name once, in any order.
    fn attributes(&self) -> Vec<(&str, ValueRef<'_>)>;
}

impl PartialEq for dyn SharedItem {
    /// Shared items are equal when their items are.
    fn eq(&self, other: &Self) -> bool {
        self.to_item() == other.to_item()
    }
}

impl From<Item> for RawItem {
    fn from(item: Item) -> Self {
        RawItem::Item(item)
    }
}

/// A [`Page`] of items as the backend read them.
pub type RawPage = Page<RawItem>;

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            count: 0,
            scanned_count: 0,
            last_evaluated_key: None,
        }
    }
}

impl<T> Page<T> {
    /// The same page with each item converted by `f`.
    pub fn map_items<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            count: self.count,
            scanned_count: self.scanned_count,
            last_evaluated_key: self.last_evaluated_key,
        }
    }
}

impl From<Page> for RawPage {
    fn from(page: Page) -> Self {
        page.map_items(RawItem::Item)
    }
}

impl From<RawPage> for Page {
    fn from(page: RawPage) -> Self {
        page.map_items(RawItem::into_item)
    }
}

/// Read up to 100 items by key from one table; unprocessed keys come back to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchGet {
    /// Table name.
    pub table: String,
    /// Distinct full primary keys.
    pub keys: Vec<Item>,
    /// Strongly consistent reads.
    pub consistent: bool,
    /// Only these attributes (key attributes are always needed to match answers to keys).
    pub projection: Option<Vec<Path>>,
}

/// The answer to a [`BatchGet`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchGetOutput {
    /// The items found, in no particular order.
    pub items: Vec<Item>,
    /// Keys the backend did not process; the caller retries them.
    pub unprocessed_keys: Vec<Item>,
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteRequest {
    /// Put this item.
    Put(Item),
    /// Delete the item with this key.
    Delete(Item),
}

/// Up to 25 unconditional writes to one table; unprocessed writes come back to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchWrite {
    /// Table name.
    pub table: String,
    /// Writes to distinct keys.
    pub writes: Vec<WriteRequest>,
}

/// The answer to a [`BatchWrite`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchWriteOutput {
    /// Writes the backend did not process; the caller retries them.
    pub unprocessed: Vec<WriteRequest>,
}

/// One entry of a batch that was not done, as reported by [`crate::Error::BatchIncomplete`].
#[derive(Debug, Clone, PartialEq)]
pub enum BatchEntry {
    /// A write that was not processed.
    Write(WriteRequest),
    /// A key that was not read.
    Get(Item),
}

/// A condition check inside a transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionCheck {
    /// Table name.
    pub table: String,
    /// The full primary key.
    pub key: Item,
    /// The condition that must hold.
    pub condition: Condition,
    /// On a failed condition, return the stored item in the reason.
    pub return_item_on_condition_failure: bool,
}

/// One action of a write transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum TransactWriteAction {
    /// A conditional put.
    Put(PutItem),
    /// A conditional update.
    Update(UpdateItem),
    /// A conditional delete.
    Delete(DeleteItem),
    /// A condition check that writes nothing.
    ConditionCheck(ConditionCheck),
}

impl TransactWriteAction {
    /// The table and key this action touches.
    pub fn target(&self) -> (&str, &Item) {
        match self {
            TransactWriteAction::Put(p) => (&p.table, &p.item),
            TransactWriteAction::Update(u) => (&u.table, &u.key),
            TransactWriteAction::Delete(d) => (&d.table, &d.key),
            TransactWriteAction::ConditionCheck(c) => (&c.table, &c.key),
        }
    }
}

/// Up to 100 writes applied atomically: all or none.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactWrite {
    /// The actions, each on a distinct item.
    pub actions: Vec<TransactWriteAction>,
    /// Idempotency token (DynamoDB keeps it for 10 minutes).
    pub client_request_token: Option<String>,
}

/// Up to 100 reads done as one consistent snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactGet {
    /// The reads (`consistent` is ignored: transactional reads are serializable).
    pub gets: Vec<GetItem>,
}

/// The type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

/// A key attribute: its name and type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyAttribute {
    /// Attribute name.
    pub name: String,
    /// Attribute type.
    pub key_type: KeyType,
}

/// Which attributes an index holds besides its keys and the table keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Projection {
    /// Every attribute.
    #[default]
    All,
    /// Only the keys.
    KeysOnly,
    /// The keys and these attributes.
    Include(Vec<String>),
}

/// A secondary index of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    /// Index name.
    pub name: String,
    /// Local (shares the table's partition key) or global.
    pub local: bool,
    /// Partition key (for an LSI: the table's).
    pub partition_key: KeyAttribute,
    /// Sort key, if any.
    pub sort_key: Option<KeyAttribute>,
    /// Projected attributes.
    pub projection: Projection,
}

/// The shape of a table: keys, indexes, TTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    /// Table name.
    pub name: String,
    /// Partition key.
    pub partition_key: KeyAttribute,
    /// Sort key, if any.
    pub sort_key: Option<KeyAttribute>,
    /// Secondary indexes.
    pub indexes: Vec<IndexDefinition>,
    /// The TTL attribute, if TTL is enabled.
    pub ttl_attribute: Option<String>,
}

impl TableDefinition {
    /// The index named `name`.
    pub fn index(&self, name: &str) -> Option<&IndexDefinition> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// The partition and sort key attributes of the table or of one of its indexes.
    pub fn key_schema(
        &self,
        index: Option<&str>,
    ) -> Option<(&KeyAttribute, Option<&KeyAttribute>)> {
        match index {
            None => Some((&self.partition_key, self.sort_key.as_ref())),
            Some(name) => self
                .index(name)
                .map(|i| (&i.partition_key, i.sort_key.as_ref())),
        }
    }
}

/// DynamoDB's limits, which a backend enforces (and the ORM checks before sending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest item, in bytes (400 KB).
    pub max_item_size: usize,
    /// Largest partition key value, in bytes (2048).
    pub max_partition_key_size: usize,
    /// Largest sort key value, in bytes (1024).
    pub max_sort_key_size: usize,
    /// Writes per batch-write request (25).
    pub max_batch_write: usize,
    /// Keys per batch-get request (100).
    pub max_batch_get: usize,
    /// Bytes per batch-write request (16 MB).
    pub max_batch_write_bytes: usize,
    /// Actions per transaction (100).
    pub max_transaction_actions: usize,
    /// Bytes per transaction (4 MB).
    pub max_transaction_bytes: usize,
    /// Bytes read per query/scan page before it stops (1 MB).
    pub max_page_bytes: usize,
    /// Deepest document nesting (32).
    pub max_nesting_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_item_size: 400 * 1024,
            max_partition_key_size: 2048,
            max_sort_key_size: 1024,
            max_batch_write: 25,
            max_batch_get: 100,
            max_batch_write_bytes: 16 * 1024 * 1024,
            max_transaction_actions: 100,
            max_transaction_bytes: 4 * 1024 * 1024,
            max_page_bytes: 1024 * 1024,
            max_nesting_depth: 32,
        }
    }
}

/// What a backend can do; the conformance suite picks its cases from this, never from names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// The limits the backend enforces.
    pub limits: Limits,
    /// Write transactions and transactional gets.
    pub transactions: bool,
    /// Failed conditions can return the stored item.
    pub return_item_on_condition_failure: bool,
    /// Time-to-live: expired items can be removed.
    pub ttl: bool,
    /// Parallel scan segments.
    pub parallel_scan: bool,
    /// Data is shared across processes (a server), not private to this process.
    pub shared_storage: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            limits: Limits::default(),
            transactions: true,
            return_item_on_condition_failure: true,
            ttl: true,
            parallel_scan: true,
            shared_storage: false,
        }
    }
}

/// A store that behaves like DynamoDB. Object-safe: use it as `Arc<dyn Backend>`.
///
/// Backends report failures with [`crate::Error`]: a failed condition is
/// `ConditionFailed { item }`, a cancelled transaction `TransactionCanceled { reasons }`, a
/// missing table `TableNotFound`, throttling `Throttled`, bad input `Validation`.
#[async_trait]
pub trait Backend: Debug + Send + Sync + 'static {
    /// What this backend can do.
    fn capabilities(&self) -> Capabilities;

    /// Creates a table; `TableExists` if it exists.
    async fn create_table(&self, definition: &TableDefinition) -> Result<()>;
    /// Describes a table; `TableNotFound` if it does not exist.
    async fn describe_table(&self, name: &str) -> Result<TableDefinition>;
    /// Deletes a table; `TableNotFound` if it does not exist.
    async fn delete_table(&self, name: &str) -> Result<()>;

    /// Reads one item.
    async fn get_item(&self, request: GetItem) -> Result<Option<Item>>;
    /// Writes one item; returns the old item when asked (`AllOld`).
    async fn put_item(&self, request: PutItem) -> Result<Option<Item>>;
    /// Updates one item; returns what `return_values` asks for.
    async fn update_item(&self, request: UpdateItem) -> Result<Option<Item>>;
    /// Deletes one item; returns the old item when asked (`AllOld`).
    async fn delete_item(&self, request: DeleteItem) -> Result<Option<Item>>;

    /// Reads one page of a query.
    async fn query(&self, request: Query) -> Result<Page>;
    /// Reads one page of a scan.
    async fn scan(&self, request: Scan) -> Result<Page>;
    /// [`Backend::query`], its items as the backend read them. The ORM's query terminals read
    /// through this; the default wraps `query`'s sorted items. A backend whose native items are
    /// unordered (DynamoDB's hash maps) overrides it to skip sorting items nobody needs sorted.
    async fn query_raw(&self, request: Query) -> Result<RawPage> {
        Ok(self.query(request).await?.into())
    }
    /// [`Backend::scan`], its items as the backend read them; see [`Backend::query_raw`].
    async fn scan_raw(&self, request: Scan) -> Result<RawPage> {
        Ok(self.scan(request).await?.into())
    }

    /// Reads up to 100 keys; unprocessed keys are returned, not dropped.
    async fn batch_get(&self, request: BatchGet) -> Result<BatchGetOutput>;
    /// Writes up to 25 items; unprocessed writes are returned, not dropped.
    ///
    /// The request is borrowed: the caller keeps the writes so that it can send them again after
    /// a retryable error, without copying every item before each attempt.
    async fn batch_write(&self, request: &BatchWrite) -> Result<BatchWriteOutput>;

    /// Reads up to 100 items as one snapshot; `None` for each missing item, in request order.
    async fn transact_get(&self, request: TransactGet) -> Result<Vec<Option<Item>>>;
    /// Applies up to 100 writes atomically.
    async fn transact_write(&self, request: TransactWrite) -> Result<()>;
}
