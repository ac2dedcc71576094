//! The backend-neutral requests a [`Backend`](super::Backend) takes, and their answers.
//!
//! Every request is a plain struct with public fields, a constructor taking its required
//! parts, and a `with_*` setter for each optional one, so a request reads as one expression
//! that names only what differs from the defaults:
//!
//! ```
//! use orm_core::backend::{GetItem, PutItem, QueryRequest, ReturnValues};
//! use orm_core::expr::KeyCondition;
//! use orm_core::{attr, Item};
//!
//! let key = Item::new().with("pk", "USER#1").with("sk", "PROFILE");
//! let get = GetItem::new("app", key.clone()).with_consistent(true);
//! assert!(get.consistent && get.projection.is_none());
//!
//! let put = PutItem::new("app", key.with("name", "Ada"))
//!     .with_condition(attr("pk").not_exists())
//!     .with_return_values(ReturnValues::AllOld);
//! assert_eq!(put.return_values, ReturnValues::AllOld);
//!
//! // An optional field's setter takes the value or an `Option` of it.
//! let page_size: Option<u32> = None;
//! let users = KeyCondition::partition("pk", "USER#1");
//! let query = QueryRequest::new("app", users)
//!     .with_limit(page_size)
//!     .with_scan_forward(false);
//! assert_eq!((query.limit, query.scan_forward), (None, false));
//! ```

use super::Limits;
use crate::capacity::CapacityRecorder;
use crate::error::{Error, Result};
use crate::expr::{Condition, KeyCondition, Path, Update};
use crate::value::{Item, Value, ValueRef};
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GetItem {
    /// Table name.
    pub table: String,
    /// The full primary key (partition and, if any, sort key attributes).
    pub key: Item,
    /// Strongly consistent read.
    pub consistent: bool,
    /// Only these attributes (None: all).
    pub projection: Option<Vec<Path>>,
    /// Where to report the capacity this request consumes (`None`: do not ask for it).
    pub capacity: Option<CapacityRecorder>,
}

impl GetItem {
    /// An eventually consistent read of the whole item at `key` in `table`.
    pub fn new(table: impl Into<String>, key: Item) -> GetItem {
        GetItem {
            table: table.into(),
            key,
            ..GetItem::default()
        }
    }
}

/// Write a whole item, replacing any item with the same key.
#[derive(Debug, Clone, PartialEq, Default)]
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
    /// Where to report the capacity this request consumes (`None`: do not ask for it);
    /// ignored on an action of a transaction (the transaction's own counts).
    pub capacity: Option<CapacityRecorder>,
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
            ..PutItem::default()
        }
    }
}

/// Change some attributes of an item (creating it if absent, as DynamoDB does).
#[derive(Debug, Clone, PartialEq, Default)]
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
    /// Where to report the capacity this request consumes (`None`: do not ask for it);
    /// ignored on an action of a transaction (the transaction's own counts).
    pub capacity: Option<CapacityRecorder>,
}

impl UpdateItem {
    /// An unconditional update of the item at `key` in `table` that returns nothing.
    pub fn new(table: impl Into<String>, key: Item, update: Update) -> UpdateItem {
        UpdateItem {
            table: table.into(),
            key,
            update,
            ..UpdateItem::default()
        }
    }
}

/// Delete an item by key.
#[derive(Debug, Clone, PartialEq, Default)]
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
    /// Where to report the capacity this request consumes (`None`: do not ask for it);
    /// ignored on an action of a transaction (the transaction's own counts).
    pub capacity: Option<CapacityRecorder>,
}

impl DeleteItem {
    /// An unconditional delete of the item at `key` in `table` that returns nothing.
    pub fn new(table: impl Into<String>, key: Item) -> DeleteItem {
        DeleteItem {
            table: table.into(),
            key,
            ..DeleteItem::default()
        }
    }
}

/// Read one page of a partition (or of an index partition): DynamoDB's Query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
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
    /// DynamoDB's `Select: ALL_ATTRIBUTES` on an index: return each item whole. A local
    /// index fetches from the table the attributes it does not project (each table item
    /// fetched costs a read of the table); a global index must project every attribute, or the
    /// request fails with a validation error. Reads of the table return whole items anyway.
    /// Ignored with a `projection` (which names what is returned) or `count_only`.
    pub all_attributes: bool,
    /// Where to report the capacity this request consumes (`None`: do not ask for it).
    pub capacity: Option<CapacityRecorder>,
}

impl QueryRequest {
    /// The first page, in ascending sort-key order, of the items of `table` that match
    /// `key_condition`.
    pub fn new(table: impl Into<String>, key_condition: KeyCondition) -> QueryRequest {
        QueryRequest {
            table: table.into(),
            index: None,
            key_condition,
            filter: None,
            projection: None,
            limit: None,
            exclusive_start_key: None,
            scan_forward: true,
            consistent: false,
            count_only: false,
            all_attributes: false,
            capacity: None,
        }
    }
}

/// Read one page of a whole table or index, optionally one parallel segment of it: DynamoDB's
/// Scan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScanRequest {
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
    /// DynamoDB's `Select: ALL_ATTRIBUTES` on an index: return each item whole. A local
    /// index fetches from the table the attributes it does not project (each table item
    /// fetched costs a read of the table); a global index must project every attribute, or the
    /// request fails with a validation error. Reads of the table return whole items anyway.
    /// Ignored with a `projection` (which names what is returned) or `count_only`.
    pub all_attributes: bool,
    /// Where to report the capacity this request consumes (`None`: do not ask for it).
    pub capacity: Option<CapacityRecorder>,
}

impl ScanRequest {
    /// The first page of a scan of the whole of `table`.
    pub fn new(table: impl Into<String>) -> ScanRequest {
        ScanRequest {
            table: table.into(),
            ..ScanRequest::default()
        }
    }
}

/// One page of query or scan results.
///
/// Items come as the backend read them ([`RawItem`]); [`QueryOutput::sorted`] turns them into
/// sorted [`Item`]s where a caller wants to compare or inspect whole items.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutput<T = RawItem> {
    /// The items that passed the filter (empty for count-only requests).
    pub items: Vec<T>,
    /// Items that passed the filter.
    pub count: u32,
    /// Items read before the filter.
    pub scanned_count: u32,
    /// Where to continue; `None` when the end was reached. Pages may be empty yet carry a key.
    pub last_evaluated_key: Option<Item>,
}

impl<T> Default for QueryOutput<T> {
    fn default() -> Self {
        QueryOutput {
            items: Vec::new(),
            count: 0,
            scanned_count: 0,
            last_evaluated_key: None,
        }
    }
}

impl<T> QueryOutput<T> {
    /// The same page with each item converted by `f`.
    pub fn map_items<U>(self, f: impl FnMut(T) -> U) -> QueryOutput<U> {
        QueryOutput {
            items: self.items.into_iter().map(f).collect(),
            count: self.count,
            scanned_count: self.scanned_count,
            last_evaluated_key: self.last_evaluated_key,
        }
    }
}

impl QueryOutput {
    /// The same page, every item a sorted [`Item`]; an error if an item does not decode (see
    /// [`RawItem::into_item`]).
    pub fn sorted(self) -> Result<QueryOutput<Item>> {
        let items = self
            .items
            .into_iter()
            .map(RawItem::into_item)
            .collect::<Result<_>>()?;
        Ok(QueryOutput {
            items,
            count: self.count,
            scanned_count: self.scanned_count,
            last_evaluated_key: self.last_evaluated_key,
        })
    }
}

/// An item as a backend read it: a sorted [`Item`], its attributes in the order the backend had
/// them, an item the backend keeps in its own encoding and shares ([`SharedItem`]), or an item
/// in a client's own representation, read in place ([`ItemReader`]).
/// DynamoDB answers with hash maps, so building an `Item` means sorting every item's attributes;
/// a caller that decodes straight into a model needs no order, so every read of the
/// [`Backend`](super::Backend) trait returns `RawItem`s and lets a backend skip that work. An
/// in-process backend skips copying the item too: the model is decoded from a borrowed view of
/// what it stores; a backend over a client library (`DynamoBackend`: the AWS SDK's attribute
/// maps) hands over the client's item, and the model takes its strings and buffers from it.
///
/// ```
/// use orm_core::backend::RawItem;
/// use orm_core::{Item, Value};
///
/// let raw = RawItem::Entries(vec![("b".into(), Value::from(2u8)), ("a".into(), Value::from(1u8))]);
/// assert_eq!(raw.get("a")?.as_deref(), Some(&Value::from(1u8)));
/// assert_eq!(raw.into_item()?, Item::new().with("a", 1u8).with("b", 2u8));
/// # Ok::<(), orm_core::Error>(())
/// ```
///
/// Only a [`RawItem::Reader`] item can fail to decode (its reader checks the client's item as
/// it is read, not before: a malformed number from the server is an error there); the other
/// forms always decode.
#[derive(Debug)]
pub enum RawItem {
    /// A sorted item.
    Item(Item),
    /// Attributes in no particular order, each name once.
    Entries(Vec<(String, Value)>),
    /// An item the backend keeps and shares, read through a borrowed view.
    Shared(Arc<dyn SharedItem>),
    /// An item in a client's own representation, handed over whole and read in place.
    Reader(Box<dyn ItemReader>),
}

impl Clone for RawItem {
    /// A clone; an [`ItemReader`]'s item gets a reader of its own
    /// ([`ItemReader::clone_reader`]).
    fn clone(&self) -> Self {
        match self {
            RawItem::Item(item) => RawItem::Item(item.clone()),
            RawItem::Entries(entries) => RawItem::Entries(entries.clone()),
            RawItem::Shared(shared) => RawItem::Shared(shared.clone()),
            RawItem::Reader(reader) => RawItem::Reader(reader.clone_reader()),
        }
    }
}

impl PartialEq for RawItem {
    /// Raw items are equal when their items are, whatever their forms; an item that does not
    /// decode equals none.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RawItem::Item(a), RawItem::Item(b)) => a == b,
            (RawItem::Entries(a), RawItem::Entries(b)) => a == b,
            (RawItem::Shared(a), RawItem::Shared(b)) => a == b,
            (a, b) => matches!((a.to_item(), b.to_item()), (Ok(a), Ok(b)) if a == b),
        }
    }
}

impl RawItem {
    /// The attribute `name`, if present (decoded, for a [`RawItem::Shared`] or
    /// [`RawItem::Reader`] item); an error if a reader's attribute does not decode.
    pub fn get(&self, name: &str) -> Result<Option<Cow<'_, Value>>> {
        Ok(match self {
            RawItem::Item(item) => item.get(name).map(Cow::Borrowed),
            RawItem::Entries(entries) => entries
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| Cow::Borrowed(v)),
            RawItem::Shared(shared) => shared.get(name).map(Cow::Owned),
            RawItem::Reader(reader) => reader.get(name)?.map(Cow::Owned),
        })
    }

    /// The item as a sorted [`Item`], leaving this one as it is; an error if a reader's item
    /// does not decode.
    pub fn to_item(&self) -> Result<Item> {
        Ok(match self {
            RawItem::Item(item) => item.clone(),
            RawItem::Entries(entries) => Item::from_unsorted(entries.clone()),
            RawItem::Shared(shared) => shared.to_item(),
            RawItem::Reader(reader) => reader.to_item()?,
        })
    }

    /// The item as a sorted [`Item`]; an error if a reader's item does not decode.
    pub fn into_item(self) -> Result<Item> {
        Ok(match self {
            RawItem::Item(item) => item,
            RawItem::Entries(entries) => Item::from_unsorted(entries),
            RawItem::Shared(shared) => shared.to_item(),
            RawItem::Reader(reader) => reader.to_item()?,
        })
    }
}

pub use crate::serde_bridge::reader::{ItemReader, ReadValue};

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
/// assert_eq!(raw.get("a")?.as_deref(), Some(&Value::from(1)));
/// assert_eq!(raw.into_item()?, Item::new().with("a", 1));
/// # Ok::<(), orm_core::Error>(())
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

/// Read up to 100 items by key from one table; unprocessed keys come back to retry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchGet {
    /// Table name.
    pub table: String,
    /// Distinct full primary keys.
    pub keys: Vec<Item>,
    /// Strongly consistent reads.
    pub consistent: bool,
    /// Only these attributes (key attributes are always needed to match answers to keys).
    pub projection: Option<Vec<Path>>,
    /// Where to report the capacity this request consumes (`None`: do not ask for it).
    pub capacity: Option<CapacityRecorder>,
}

impl BatchGet {
    /// Eventually consistent reads of the whole items at `keys` in `table`.
    pub fn new(table: impl Into<String>, keys: Vec<Item>) -> BatchGet {
        BatchGet {
            table: table.into(),
            keys,
            ..BatchGet::default()
        }
    }
}

/// The answer to a [`BatchGet`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchGetOutput {
    /// The items found, in no particular order.
    pub items: Vec<RawItem>,
    /// Keys the backend did not process; the caller retries them.
    pub unprocessed_keys: Vec<Item>,
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteRequest {
    /// Put this item.
    Put(Item),
    /// Put the item with these attributes, in no particular order, each name once: what the
    /// ORM's batch puts send. A backend that keeps items in a map of its own (`DynamoBackend`:
    /// the SDK's hash maps) builds it from them without sorting them into an [`Item`] first;
    /// any other backend can take [`WriteRequest::into_sorted`].
    PutEntries(Vec<(String, Value)>),
    /// Delete the item with this key.
    Delete(Item),
}

impl WriteRequest {
    /// The same write with a put's attributes as a sorted [`Item`]: a
    /// [`WriteRequest::PutEntries`] becomes a [`WriteRequest::Put`], anything else stays.
    ///
    /// ```
    /// use orm_core::backend::WriteRequest;
    /// use orm_core::{Item, Value};
    ///
    /// let put = WriteRequest::PutEntries(vec![("b".into(), Value::from(2u8)), ("a".into(), Value::from(1u8))]);
    /// assert_eq!(put.get("a"), Some(&Value::from(1u8)));
    /// assert_eq!(put.into_sorted(), WriteRequest::Put(Item::new().with("a", 1u8).with("b", 2u8)));
    /// ```
    pub fn into_sorted(self) -> WriteRequest {
        match self {
            WriteRequest::PutEntries(entries) => WriteRequest::Put(Item::from_unsorted(entries)),
            other => other,
        }
    }

    /// The top-level attribute `name` of the item put, or of the key deleted.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            WriteRequest::Put(item) | WriteRequest::Delete(item) => item.get(name),
            // Each name is there once; searched from the end, where the ORM's batch puts have
            // their key attributes (after the model's fields).
            WriteRequest::PutEntries(entries) => entries
                .iter()
                .rev()
                .find_map(|(n, v)| (n.as_str() == name).then_some(v)),
        }
    }

    /// The size DynamoDB counts for the item put, or for the key deleted ([`Item::size`]).
    pub fn size(&self) -> usize {
        match self {
            WriteRequest::Put(item) | WriteRequest::Delete(item) => item.size(),
            WriteRequest::PutEntries(entries) => {
                entries.iter().map(|(k, v)| k.len() + v.size()).sum()
            }
        }
    }
}

/// Up to 25 unconditional writes to one table; unprocessed writes come back to retry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchWrite {
    /// Table name.
    pub table: String,
    /// Writes to distinct keys.
    pub writes: Vec<WriteRequest>,
    /// Where to report the capacity this request consumes (`None`: do not ask for it).
    pub capacity: Option<CapacityRecorder>,
}

impl BatchWrite {
    /// The writes `writes` to `table`.
    pub fn new(table: impl Into<String>, writes: Vec<WriteRequest>) -> BatchWrite {
        BatchWrite {
            table: table.into(),
            writes,
            capacity: None,
        }
    }
}

/// The answer to a [`BatchWrite`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchWriteOutput {
    /// Writes the backend did not process; the caller retries them.
    pub unprocessed: Vec<WriteRequest>,
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

impl ConditionCheck {
    /// A check that `condition` holds for the item at `key` in `table`.
    pub fn new(table: impl Into<String>, key: Item, condition: Condition) -> ConditionCheck {
        ConditionCheck {
            table: table.into(),
            key,
            condition,
            return_item_on_condition_failure: false,
        }
    }
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TransactWrite {
    /// The actions, each on a distinct item.
    pub actions: Vec<TransactWriteAction>,
    /// Idempotency token (DynamoDB keeps it for 10 minutes).
    pub client_request_token: Option<String>,
    /// Where to report the capacity this request consumes (`None`: do not ask for it).
    pub capacity: Option<CapacityRecorder>,
}

impl TransactWrite {
    /// The actions `actions`, with no idempotency token.
    pub fn new(actions: Vec<TransactWriteAction>) -> TransactWrite {
        TransactWrite {
            actions,
            client_request_token: None,
            capacity: None,
        }
    }
}

/// Up to 100 reads done as one consistent snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TransactGet {
    /// The reads (`consistent` is ignored: transactional reads are serializable).
    pub gets: Vec<GetItem>,
    /// Where to report the capacity this request consumes (`None`: do not ask for it).
    pub capacity: Option<CapacityRecorder>,
}

impl TransactGet {
    /// The reads `gets`.
    pub fn new(gets: Vec<GetItem>) -> TransactGet {
        TransactGet {
            gets,
            capacity: None,
        }
    }
}

// The checks every backend makes before it runs a request, written once here: the entry counts
// DynamoDB allows and the shape of every condition, filter and update. A failure is
// `Error::Validation` naming what was wrong; nothing was sent or applied.

/// Fails unless `1 <= count <= max`: `"{what} must have between 1 and {max} entries, got
/// {count}"` (DynamoDB's rule for batch and transaction sizes).
pub fn check_count(what: &str, count: usize, max: usize) -> Result<()> {
    if count == 0 || count > max {
        return Err(Error::validation(format!(
            "{what} must have between 1 and {max} entries, got {count}"
        )));
    }
    Ok(())
}

fn check_condition(condition: Option<&Condition>) -> Result<()> {
    condition.map_or(Ok(()), Condition::validate)
}

impl PutItem {
    /// Checks the condition's shape ([`Condition::validate`]).
    pub fn validate(&self) -> Result<()> {
        check_condition(self.condition.as_ref())
    }
}

impl UpdateItem {
    /// Checks the update ([`Update::validate`]: no overlapping paths) and the condition's shape.
    /// An update with no action is valid: it is DynamoDB's UpdateItem without an
    /// `UpdateExpression`, which creates a missing item from its key and changes nothing else.
    pub fn validate(&self) -> Result<()> {
        if !self.update.is_empty() {
            self.update.validate()?;
        }
        check_condition(self.condition.as_ref())
    }
}

impl DeleteItem {
    /// Checks the condition's shape.
    pub fn validate(&self) -> Result<()> {
        check_condition(self.condition.as_ref())
    }
}

impl ConditionCheck {
    /// Checks the condition's shape.
    pub fn validate(&self) -> Result<()> {
        self.condition.validate()
    }
}

impl QueryRequest {
    /// Checks the filter's shape.
    pub fn validate(&self) -> Result<()> {
        check_condition(self.filter.as_ref())
    }
}

impl ScanRequest {
    /// Checks the filter's shape.
    pub fn validate(&self) -> Result<()> {
        check_condition(self.filter.as_ref())
    }
}

impl BatchGet {
    /// 1 to [`Limits::max_batch_get`] keys, by the backend's `limits` (its
    /// [`Capabilities::limits`](super::Capabilities::limits)).
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        check_count("BatchGetItem keys", self.keys.len(), limits.max_batch_get)
    }
}

impl BatchWrite {
    /// 1 to [`Limits::max_batch_write`] writes, by the backend's `limits`.
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        check_count(
            "BatchWriteItem requests",
            self.writes.len(),
            limits.max_batch_write,
        )
    }
}

impl TransactGet {
    /// 1 to [`Limits::max_transaction_actions`] reads, by the backend's `limits`.
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        check_count(
            "TransactGetItems actions",
            self.gets.len(),
            limits.max_transaction_actions,
        )
    }
}

impl TransactWriteAction {
    /// Checks the action's condition and update (see each request's `validate`; an update
    /// here needs at least one action, as TransactWriteItems requires its `UpdateExpression`).
    pub fn validate(&self) -> Result<()> {
        match self {
            TransactWriteAction::Put(p) => p.validate(),
            // A transaction's update needs an `UpdateExpression`, so at least one action.
            TransactWriteAction::Update(u) => {
                u.update.validate()?;
                u.validate()
            }
            TransactWriteAction::Delete(d) => d.validate(),
            TransactWriteAction::ConditionCheck(c) => c.validate(),
        }
    }
}

impl TransactWrite {
    /// 1 to [`Limits::max_transaction_actions`] actions by the backend's `limits`, each valid
    /// ([`TransactWriteAction::validate`]; the message names the action, `transaction action
    /// 3: ...`, counting from 1).
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        let max = limits.max_transaction_actions;
        check_count("TransactWriteItems actions", self.actions.len(), max)?;
        for (i, action) in self.actions.iter().enumerate() {
            action.validate().map_err(|e| e.in_transaction_action(i))?;
        }
        Ok(())
    }
}

setters!(GetItem {
    plain consistent: bool => with_consistent, "A strongly consistent read (`true`) or not.";
    option projection: Vec<Path> => with_projection, "Only these attributes.";
    option capacity: CapacityRecorder => with_capacity, "Report the capacity this request consumes to `capacity` (asking the backend for it).";
});

setters!(PutItem {
    option condition: Condition => with_condition, "Write only if `condition` holds.";
    plain return_values: ReturnValues => with_return_values, "What to return (`None` or `AllOld`).";
    plain return_item_on_condition_failure: bool => with_return_item_on_condition_failure,
        "On a failed condition, return the stored item in the error.";
    option capacity: CapacityRecorder => with_capacity, "Report the capacity this request consumes to `capacity` (asking the backend for it).";
});

setters!(UpdateItem {
    option condition: Condition => with_condition, "Apply only if `condition` holds.";
    plain return_values: ReturnValues => with_return_values, "What to return.";
    plain return_item_on_condition_failure: bool => with_return_item_on_condition_failure,
        "On a failed condition, return the stored item in the error.";
    option capacity: CapacityRecorder => with_capacity, "Report the capacity this request consumes to `capacity` (asking the backend for it).";
});

setters!(DeleteItem {
    option condition: Condition => with_condition, "Delete only if `condition` holds.";
    plain return_values: ReturnValues => with_return_values, "What to return (`None` or `AllOld`).";
    plain return_item_on_condition_failure: bool => with_return_item_on_condition_failure,
        "On a failed condition, return the stored item in the error.";
    option capacity: CapacityRecorder => with_capacity, "Report the capacity this request consumes to `capacity` (asking the backend for it).";
});

setters!(QueryRequest {
    name index: String => with_index, "Query this index instead of the table.";
    option filter: Condition => with_filter, "Keep only the items `filter` holds for (applied after `limit`).";
    option projection: Vec<Path> => with_projection, "Only these attributes.";
    option limit: u32 => with_limit, "DynamoDB's `Limit`: items evaluated (before the filter) in this page.";
    option exclusive_start_key: Item => with_exclusive_start_key, "Continue after this key (a `last_evaluated_key`).";
    plain scan_forward: bool => with_scan_forward, "Ascending (`true`, the default) or descending sort-key order.";
    plain consistent: bool => with_consistent, "A strongly consistent read (not on global indexes).";
    plain count_only: bool => with_count_only, "Count only: return no items.";
    plain all_attributes: bool => with_all_attributes, "On an index, return each item whole (DynamoDB's `Select: ALL_ATTRIBUTES`; a local index fetches from the table what it does not project).";
    option capacity: CapacityRecorder => with_capacity, "Report the capacity this request consumes to `capacity` (asking the backend for it).";
});

setters!(ScanRequest {
    name index: String => with_index, "Scan this index instead of the table.";
    option filter: Condition => with_filter, "Keep only the items `filter` holds for (applied after `limit`).";
    option projection: Vec<Path> => with_projection, "Only these attributes.";
    option limit: u32 => with_limit, "DynamoDB's `Limit`: items evaluated (before the filter) in this page.";
    option exclusive_start_key: Item => with_exclusive_start_key, "Continue after this key (a `last_evaluated_key`).";
    plain consistent: bool => with_consistent, "A strongly consistent read.";
    option segment: (u32, u32) => with_segment, "One segment of a parallel scan: `(segment, total_segments)`.";
    plain count_only: bool => with_count_only, "Count only: return no items.";
    plain all_attributes: bool => with_all_attributes, "On an index, return each item whole (DynamoDB's `Select: ALL_ATTRIBUTES`; a local index fetches from the table what it does not project).";
    option capacity: CapacityRecorder => with_capacity, "Report the capacity this request consumes to `capacity` (asking the backend for it).";
});

setters!(BatchGet {
    plain consistent: bool => with_consistent, "Strongly consistent reads (`true`) or not.";
    option projection: Vec<Path> => with_projection, "Only these attributes (the key attributes are always needed).";
    option capacity: CapacityRecorder => with_capacity, "Report the capacity this request consumes to `capacity` (asking the backend for it).";
});

setters!(ConditionCheck {
    plain return_item_on_condition_failure: bool => with_return_item_on_condition_failure,
        "On a failed condition, return the stored item in the cancellation reason.";
});

setters!(TransactWrite {
    name client_request_token: String => with_client_request_token,
        "An idempotency token: the same token and request within 10 minutes applies once.";
    option capacity: CapacityRecorder => with_capacity, "Report the capacity this request consumes to `capacity` (asking the backend for it).";
});

setters!(BatchWrite {
    option capacity: CapacityRecorder => with_capacity, "Report the capacity this request consumes to `capacity` (asking the backend for it).";
});

setters!(TransactGet {
    option capacity: CapacityRecorder => with_capacity, "Report the capacity this request consumes to `capacity` (asking the backend for it).";
});
