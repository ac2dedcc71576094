//! The [`Backend`] trait and the backend-neutral requests it takes.
//!
//! A backend is a store that behaves like DynamoDB: the memory backend interprets these requests,
//! the DynamoDB backend renders them for the service. Everything else (models, keys, paging,
//! batch retries, optimistic locking) is written once above this trait, in orm-core.
//!
//! - [`request`]: the requests and their answers ([`GetItem`], [`QueryRequest`],
//!   [`QueryOutput`], [`RawItem`]...);
//! - [`schema`]: the shape of a table ([`TableDefinition`]);
//! - [`settings`]: a table's settings beside its shape ([`BillingMode`], [`Throughput`],
//!   [`StreamSpecification`], [`TableClass`]);
//! - [`update_table`]: the change of an existing table ([`UpdateTable`], [`IndexUpdate`]);
//! - [`capabilities`]: what a backend can do and its limits ([`Capabilities`], [`Limits`]);
//! - [`stream`]: a table's change stream, DynamoDB Streams' calls ([`GetRecords`],
//!   [`StreamRecord`]...);
//! - [`layer`]: [`BackendLayer`], the forwarding base of a backend wrapped around another.

// Setters, in opendal's `OpRead` style: every request is `new(required parts)` (the rest at
// their defaults) followed by `with_*` calls for what differs, so a request reads as one
// expression and names only what it sets. An optional field's setter takes the value or an
// `Option` of it (`with_limit(10)`, `with_limit(page_size)` with an `Option<u32>`).

/// Defines `with_<field>` setters: `plain` for a field set to the value given, `option` for an
/// `Option` field set from `impl Into<Option<T>>`, `name` for an `Option<String>` set to a name.
macro_rules! setters {
    ($request:ident { $($kind:ident $field:ident: $ty:ty => $with:ident, $doc:literal;)* }) => {
        impl $request {
            $(setters!(@one $kind $field: $ty => $with, $doc);)*
        }
    };
    (@one plain $field:ident: $ty:ty => $with:ident, $doc:literal) => {
        #[doc = $doc]
        #[must_use]
        pub fn $with(mut self, $field: $ty) -> Self {
            self.$field = $field;
            self
        }
    };
    (@one name $field:ident: $ty:ty => $with:ident, $doc:literal) => {
        #[doc = $doc]
        #[must_use]
        pub fn $with(mut self, $field: impl Into<String>) -> Self {
            self.$field = Some($field.into());
            self
        }
    };
    (@one option $field:ident: $ty:ty => $with:ident, $doc:literal) => {
        #[doc = $doc]
        #[must_use]
        pub fn $with(mut self, $field: impl Into<Option<$ty>>) -> Self {
            self.$field = $field.into();
            self
        }
    };
}

pub mod capabilities;
pub mod layer;
pub mod request;
pub mod schema;
pub mod settings;
pub mod stream;
pub mod update_table;

pub use capabilities::{Capabilities, Limits};
pub use layer::{BackendFuture, BackendLayer};
pub use request::{
    BatchGet, BatchGetOutput, BatchWrite, BatchWriteOutput, ConditionCheck, DeleteItem, GetItem,
    ItemReader, PutItem, QueryOutput, QueryRequest, RawItem, ReadValue, ReturnValues, ScanRequest,
    SharedItem, TransactGet, TransactWrite, TransactWriteAction, UpdateItem, WriteRequest,
};
pub use schema::{
    IndexDefinition, KeyAttribute, KeyType, Projection, TableDefinition, MAX_KEY_ATTRIBUTES,
};
pub use settings::{BillingMode, StreamSpecification, StreamViewType, TableClass, Throughput};
pub use stream::{
    ChangeKind, DescribeStream, GetRecords, GetRecordsOutput, GetShardIterator, ListStreams,
    ListStreamsOutput, Shard, ShardIteratorType, StreamDescription, StreamRecord, StreamStatus,
    StreamSummary, UserIdentity,
};
pub use update_table::{IndexUpdate, UpdateTable};

use crate::error::Result;
use crate::value::Item;
/// The attribute a [`Backend`] impl needs (`#[async_trait]`), re-exported so that a backend or
/// a backend layer can be written without depending on `async-trait` itself.
pub use async_trait::async_trait;
use std::fmt::Debug;

/// A store that behaves like DynamoDB. Object-safe: use it as `Arc<dyn Backend>`.
///
/// Every request is borrowed, so a caller that retries (migrations, batch reads) sends the same
/// request again without copying it, except [`put_item`](Backend::put_item)'s and
/// [`batch_write`](Backend::batch_write)'s: they carry whole items, which a backend that hands
/// items to a client of its own (`DynamoBackend`: the SDK's owned attribute maps) then moves
/// instead of copying every name and value. The ORM's batch loop keeps what it needs to send a
/// chunk again (the models, or a copy) rather than making every first attempt pay for a copy. Every read returns its items as [`RawItem`]s: as the
/// backend read them, which the ORM decodes into models without sorting or copying them first.
///
/// Backends report failures with [`crate::Error`]: a failed condition is
/// `ConditionFailed { item }`, a cancelled transaction `TransactionCanceled { reasons }`, a
/// missing table `TableNotFound`, throttling `Throttled`, input the service rejects
/// `ServiceValidation`; `Validation` is for what a backend rejects before sending (see
/// [`crate::Error`], "Who rejected invalid input").
///
/// `Arc<B>` and `Box<B>` are backends whenever `B` is (`B` may be `dyn Backend`), so a shared
/// backend goes wherever a backend is taken. A backend wrapped around another (fault injection,
/// tracing) is written as a [`BackendLayer`], stating only the calls it changes:
///
/// ```
/// use orm_core::{Backend, Table};
/// use orm_memory::MemoryBackend;
/// use std::sync::Arc;
///
/// let shared: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
/// let app = Table::new(shared.clone(), "app");
/// let audit = Table::new(shared, "audit");
/// # let _ = (app, audit);
/// ```
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
    /// Changes a table: creates or deletes a global secondary index (backfilled with the items
    /// already stored), switches billing mode, changes throughput, streams, table class or
    /// deletion protection. Returns once the change is complete (the table and its indexes
    /// `ACTIVE` again); a failed request leaves the table as it was. `TableNotFound` if the
    /// table does not exist.
    async fn update_table(&self, request: &UpdateTable) -> Result<()>;

    /// Reads one item.
    async fn get_item(&self, request: &GetItem) -> Result<Option<RawItem>>;
    /// Writes one item; returns the old item when asked (`AllOld`). Takes the request by value
    /// (see above): a caller that may send it again keeps a clone.
    async fn put_item(&self, request: PutItem) -> Result<Option<Item>>;
    /// Updates one item; returns what `return_values` asks for.
    async fn update_item(&self, request: &UpdateItem) -> Result<Option<Item>>;
    /// Deletes one item; returns the old item when asked (`AllOld`).
    async fn delete_item(&self, request: &DeleteItem) -> Result<Option<Item>>;

    /// Reads one page of a query.
    async fn query(&self, request: &QueryRequest) -> Result<QueryOutput>;
    /// Reads one page of a scan.
    async fn scan(&self, request: &ScanRequest) -> Result<QueryOutput>;

    /// Reads up to 100 keys; unprocessed keys are returned, not dropped.
    async fn batch_get(&self, request: &BatchGet) -> Result<BatchGetOutput>;
    /// Writes up to 25 items; unprocessed writes are returned, not dropped. Takes the request by
    /// value (see above): a caller that may send it again keeps a copy, or what it was made from.
    async fn batch_write(&self, request: BatchWrite) -> Result<BatchWriteOutput>;

    /// Reads up to 100 items as one snapshot; `None` for each missing item, in request order.
    async fn transact_get(&self, request: &TransactGet) -> Result<Vec<Option<RawItem>>>;
    /// Applies up to 100 writes atomically.
    async fn transact_write(&self, request: &TransactWrite) -> Result<()>;

    /// Lists streams, newest first (DynamoDB Streams' ListStreams). Backends without streams
    /// ([`Capabilities::streams`] false) answer [`Error::Unsupported`](crate::Error::Unsupported).
    async fn list_streams(&self, request: &ListStreams) -> Result<ListStreamsOutput> {
        let _ = request;
        Err(unsupported("ListStreams"))
    }
    /// Describes a stream and a page of its shards (DescribeStream); `StreamNotFound` for an
    /// unknown stream.
    async fn describe_stream(&self, request: &DescribeStream) -> Result<StreamDescription> {
        let _ = request;
        Err(unsupported("DescribeStream"))
    }
    /// An iterator on a shard at a position (GetShardIterator).
    async fn get_shard_iterator(&self, request: &GetShardIterator) -> Result<String> {
        let _ = request;
        Err(unsupported("GetShardIterator"))
    }
    /// Reads records from an iterator (GetRecords): `ExpiredIterator` after 15 minutes,
    /// `TrimmedData` when its records were trimmed.
    async fn get_records(&self, request: &GetRecords) -> Result<GetRecordsOutput> {
        let _ = request;
        Err(unsupported("GetRecords"))
    }
}

/// The answer of a backend that does not offer `operation`.
fn unsupported(operation: &str) -> crate::Error {
    crate::Error::Unsupported {
        operation: operation.to_owned(),
    }
}
