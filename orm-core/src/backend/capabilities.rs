//! What a backend can do and the limits it enforces; the conformance suite picks its cases
//! from these, never from a backend's name.

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
    /// Change streams: a table's stream can be enabled and read ([`Backend::list_streams`],
    /// [`Backend::get_records`]...; [`Table::changes`](crate::Table::changes)).
    ///
    /// [`Backend::list_streams`]: crate::Backend::list_streams
    /// [`Backend::get_records`]: crate::Backend::get_records
    pub streams: bool,
    /// The service answers as DynamoDB itself where DynamoDB Local differs from it
    /// (docs/server.md, "Where DynamoDB Local differs from DynamoDB"): `UPDATED_OLD` /
    /// `UPDATED_NEW` return only the updated paths, an update of only `REMOVE` / `DELETE`
    /// actions creates no missing item, a transactional get of a key that does not match its
    /// schema cancels with a reason per action. True for DynamoDB, MemoryBackend and its
    /// server; false for DynamoDB Local (the `testing` fixture says so).
    pub exact_dynamodb: bool,
    /// Global secondary indexes whose partition and sort keys are each made of up to four
    /// attributes (DynamoDB's multi-attribute keys, November 2025). True for DynamoDB,
    /// DynamoDB Local 3.x, MemoryBackend and its server.
    pub multi_attribute_index_keys: bool,
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
            streams: false,
            exact_dynamodb: true,
            multi_attribute_index_keys: true,
        }
    }
}
