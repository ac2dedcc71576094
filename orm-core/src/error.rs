//! The one error type of the ORM, shared by every backend.

use crate::value::{Item, Key};
use std::fmt;

/// A boxed error from below the ORM (an SDK, an I/O layer).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result type of every fallible ORM operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The code of one [`CancellationReason`]: why DynamoDB cancelled (or did not object to) one
/// action of a transaction.
///
/// The variants are the codes DynamoDB documents for `TransactionCanceledException`; any other
/// code a service sends is kept as [`CancellationCode::Other`], so that nothing is lost.
/// [`CancellationCode::as_str`] and [`Display`](fmt::Display) give the code as DynamoDB spells it,
/// and parsing (`FromStr`, `From<&str>`) is the inverse:
///
/// ```
/// use orm_core::error::CancellationCode;
///
/// let code: CancellationCode = "TransactionConflict".parse().unwrap();
/// assert_eq!(code, CancellationCode::TransactionConflict);
/// assert_eq!(code.as_str(), "TransactionConflict");
/// assert_eq!(CancellationCode::from("Unheard"), CancellationCode::Other("Unheard".into()));
/// assert_eq!(CancellationCode::from("Unheard").to_string(), "Unheard");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum CancellationCode {
    /// `None`: this action did not cause the cancellation.
    #[default]
    None,
    /// `ConditionalCheckFailed`: the action's condition did not hold.
    ConditionalCheckFailed,
    /// `ItemCollectionSizeLimitExceeded`: an item collection would exceed 10 GB.
    ItemCollectionSizeLimitExceeded,
    /// `TransactionConflict`: another transaction or write was in progress on the item.
    TransactionConflict,
    /// `ProvisionedThroughputExceeded`: the table or index ran out of provisioned capacity.
    ProvisionedThroughputExceeded,
    /// `ThrottlingError`: the request was throttled (on-demand tables, control plane).
    ThrottlingError,
    /// `ValidationError`: the action was invalid for the item (a key of the wrong type, an update
    /// of a key attribute...).
    ValidationError,
    /// Any other code, as the service sent it.
    Other(String),
}

impl CancellationCode {
    /// The code as DynamoDB spells it (`ConditionalCheckFailed`).
    pub fn as_str(&self) -> &str {
        match self {
            CancellationCode::None => "None",
            CancellationCode::ConditionalCheckFailed => "ConditionalCheckFailed",
            CancellationCode::ItemCollectionSizeLimitExceeded => "ItemCollectionSizeLimitExceeded",
            CancellationCode::TransactionConflict => "TransactionConflict",
            CancellationCode::ProvisionedThroughputExceeded => "ProvisionedThroughputExceeded",
            CancellationCode::ThrottlingError => "ThrottlingError",
            CancellationCode::ValidationError => "ValidationError",
            CancellationCode::Other(code) => code,
        }
    }

    /// Whether retrying the transaction may succeed: a conflict with another write, or
    /// throttling.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            CancellationCode::TransactionConflict
                | CancellationCode::ThrottlingError
                | CancellationCode::ProvisionedThroughputExceeded
        )
    }
}

impl From<&str> for CancellationCode {
    fn from(code: &str) -> CancellationCode {
        match code {
            "None" => CancellationCode::None,
            "ConditionalCheckFailed" => CancellationCode::ConditionalCheckFailed,
            "ItemCollectionSizeLimitExceeded" => CancellationCode::ItemCollectionSizeLimitExceeded,
            "TransactionConflict" => CancellationCode::TransactionConflict,
            "ProvisionedThroughputExceeded" => CancellationCode::ProvisionedThroughputExceeded,
            "ThrottlingError" => CancellationCode::ThrottlingError,
            "ValidationError" => CancellationCode::ValidationError,
            other => CancellationCode::Other(other.to_owned()),
        }
    }
}

impl From<String> for CancellationCode {
    fn from(code: String) -> CancellationCode {
        match CancellationCode::from(code.as_str()) {
            CancellationCode::Other(_) => CancellationCode::Other(code),
            known => known,
        }
    }
}

impl std::str::FromStr for CancellationCode {
    type Err = std::convert::Infallible;

    /// Never fails: an unknown code is [`CancellationCode::Other`].
    fn from_str(code: &str) -> Result<CancellationCode, Self::Err> {
        Ok(CancellationCode::from(code))
    }
}

impl fmt::Display for CancellationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reason DynamoDB (or a backend behaving like it) gave for cancelling one transaction action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationReason {
    /// Zero-based position of the action in the transaction.
    pub index: usize,
    /// The reason code: [`CancellationCode::None`] for the actions that did not cause the
    /// cancellation.
    pub code: CancellationCode,
    /// The human-readable message, when the backend gave one.
    pub message: Option<String>,
    /// The item as stored, when the backend returned it (ReturnValuesOnConditionCheckFailure).
    pub item: Option<Item>,
}

impl CancellationReason {
    /// A reason with no message and no item.
    pub fn new(index: usize, code: CancellationCode) -> CancellationReason {
        CancellationReason {
            index,
            code,
            message: None,
            item: None,
        }
    }

    /// Whether this action was the cause of the cancellation (its code is not `None`).
    pub fn is_failure(&self) -> bool {
        self.code != CancellationCode::None
    }
}

impl fmt::Display for CancellationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "action {}: {}", self.index + 1, self.code)?;
        if let Some(m) = &self.message {
            write!(f, " ({m})")?;
        }
        Ok(())
    }
}

/// One entry of a batch that was not done after every retry, as reported by
/// [`Error::BatchIncomplete`]: resend it, or record it, as the application needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Unprocessed {
    /// A put of this item (as stored, with the table's key and layout attributes) was not
    /// processed.
    Put(Item),
    /// A delete of the item at this key (the primary key attributes only) was not processed.
    Delete(Item),
    /// The item at this key (the primary key attributes only) was not read.
    Get(Item),
}

/// Every way an ORM operation can fail.
///
/// Backends map their service error *codes* (never messages) onto these variants.
///
/// # Who rejected invalid input
///
/// - [`Error::Validation`] is the ORM's own rejection, made before anything is sent: by
///   orm-core (a key template, a builder, a model's limits), or by the checks every backend
///   makes before running a request (the requests' `validate` methods in
///   [`backend::request`](crate::backend::request): batch and transaction sizes, condition,
///   filter and update shapes; [`TableDefinition::validate`](crate::backend::TableDefinition::validate)).
/// - [`Error::ServiceValidation`] is the service's rejection of a request it received:
///   DynamoDB's `ValidationException` (and `IdempotentParameterMismatchException`), with the
///   SDK error as its `source`.
///
/// MemoryBackend (orm-memory) emulates the service, so its checks of what DynamoDB checks
/// (item size, key values and types, expression operands, duplicates, request sizes in bytes)
/// are `ServiceValidation` too, after the same `validate` checks as DynamoBackend: code that
/// matches errors behaves the same on both backends.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The requested item does not exist.
    #[error("{entity} not found: {key}")]
    NotFound {
        /// The entity (model) name.
        entity: String,
        /// The key asked for.
        key: Key,
    },
    /// A create found an item already stored under the same key.
    #[error("{entity} already exists: {key}")]
    AlreadyExists {
        /// The entity (model) name.
        entity: String,
        /// The key that is taken.
        key: Key,
    },
    /// The item stored at a key belongs to another entity (model) than the one asked for.
    #[error("item at {} is a `{found}`, not a `{expected}`", key_text(key))]
    EntityMismatch {
        /// The entity asked for.
        expected: String,
        /// The entity stored there.
        found: String,
        /// The item's key; `None` when it is not known (an item read without its key
        /// attributes), rendered as `(no key)`.
        key: Option<Key>,
    },
    /// A conditional write or check failed; nothing was changed.
    #[error("condition failed{}", entity.as_ref().map(|e| format!(" on {e}")).unwrap_or_default())]
    ConditionFailed {
        /// The entity (model) name, when known.
        entity: Option<String>,
        /// The item as stored, when the backend returned it.
        item: Option<Box<Item>>,
    },
    /// An optimistic-locking save found another version stored.
    #[error("version conflict on {entity} {key}: expected version {expected}")]
    VersionConflict {
        /// The entity (model) name.
        entity: String,
        /// The key written to.
        key: Key,
        /// The version the writer expected to find stored.
        expected: String,
        /// The item as stored, when the backend returned it.
        item: Option<Box<Item>>,
    },
    /// A transaction was cancelled; `reasons` has one entry per action.
    #[error("transaction canceled: {}", reasons.iter().filter(|r| r.is_failure()).map(|r| r.to_string()).collect::<Vec<_>>().join(", "))]
    TransactionCanceled {
        /// One reason per action, in action order.
        reasons: Vec<CancellationReason>,
    },
    /// A stored item's schema version (`#[model(schema_version = N)]`, stored in `__schema`) is
    /// one this code cannot use: newer than the model (written by newer code), or older than the
    /// model where an operation needs the item at the current version (a partial write).
    #[error("{entity} item {} has schema version {stored}, {} this code's schema version {current}{}",
        key_text(key),
        if stored > current { "newer than" } else { "older than" },
        if stored > current { "; deploy the model that knows it before reading or writing it" }
        else { "; save it whole (`save`) or migrate it (orm_core::migrate) first" })]
    SchemaVersion {
        /// The entity (model) name.
        entity: String,
        /// The item's key; `None` when it is not known (an item read without its key
        /// attributes), rendered as `(no key)`.
        key: Option<Key>,
        /// The schema version stored on the item.
        stored: u32,
        /// The model's schema version.
        current: u32,
    },
    /// The ORM rejected the request before sending it: the message says what was wrong. See
    /// [who rejected invalid input](Error#who-rejected-invalid-input).
    #[error("invalid input: {message}")]
    Validation {
        /// What was wrong, naming the offending field, value or action.
        message: String,
    },
    /// The service rejected the request as invalid (DynamoDB's `ValidationException`); nothing
    /// was changed. See [who rejected invalid input](Error#who-rejected-invalid-input).
    #[error("invalid input ({operation}): {message}")]
    ServiceValidation {
        /// The operation that was rejected (PutItem, TransactWriteItems...).
        operation: String,
        /// The service's message.
        message: String,
        /// The service's error (the SDK error), when there is one; `None` from a backend that
        /// emulates the service in process (MemoryBackend).
        #[source]
        source: Option<BoxError>,
    },
    /// A pagination cursor could not be used for this query.
    #[error("invalid cursor: {reason}")]
    InvalidCursor {
        /// Why the cursor was rejected.
        reason: String,
    },
    /// The backend throttled the request; retrying later may succeed.
    #[error("throttled: {message}")]
    Throttled {
        /// The backend's message.
        message: String,
    },
    /// The table does not exist.
    #[error("table not found: {table}")]
    TableNotFound {
        /// The table name.
        table: String,
        /// The service's error (`ResourceNotFoundException`), when it came from one.
        #[source]
        source: Option<BoxError>,
    },
    /// The table already exists (on create_table).
    #[error("table already exists: {table}")]
    TableExists {
        /// The table name.
        table: String,
        /// The service's error (`ResourceInUseException`), when it came from one.
        #[source]
        source: Option<BoxError>,
    },
    /// A stream, or a shard of it, does not exist (DynamoDB Streams' `ResourceNotFoundException`):
    /// a stream ARN that names no stream (or one trimmed away, 24 hours after it was disabled),
    /// an unknown shard, or a table without a stream.
    #[error("stream not found: {message}")]
    StreamNotFound {
        /// The service's message, naming the stream or shard.
        message: String,
        /// The service's error, when it came from one.
        #[source]
        source: Option<BoxError>,
    },
    /// A shard iterator is older than DynamoDB Streams allows (15 minutes):
    /// `ExpiredIteratorException`. Ask for a new one from the last position read.
    #[error("expired shard iterator: {message}")]
    ExpiredIterator {
        /// The service's message.
        message: String,
        /// The service's error, when it came from one.
        #[source]
        source: Option<BoxError>,
    },
    /// The records asked for were trimmed from the stream (older than its retention, 24 hours in
    /// DynamoDB): `TrimmedDataAccessException`. Records were lost to this reader; start again
    /// from the oldest kept (`TRIM_HORIZON`).
    #[error("trimmed stream records: {message}")]
    TrimmedData {
        /// The service's message.
        message: String,
        /// The service's error, when it came from one.
        #[source]
        source: Option<BoxError>,
    },
    /// The backend does not offer this operation (see
    /// [`Capabilities`](crate::backend::Capabilities)).
    #[error("{operation} is not supported by this backend")]
    Unsupported {
        /// The operation (`GetRecords`...).
        operation: String,
    },
    /// A batch finished with some items or keys not done after every retry; everything else was done.
    #[error("batch incomplete: {} of {total} not processed after {attempts} attempts", unprocessed.len())]
    BatchIncomplete {
        /// Exactly the write requests or keys that were not processed.
        unprocessed: Vec<Unprocessed>,
        /// How many entries the batch had in all.
        total: usize,
        /// How many attempts were made (the most any chunk needed).
        attempts: u32,
        /// The error that ended the retries of a chunk, if one did (else retries ran out).
        #[source]
        last_error: Option<Box<Error>>,
    },
    /// An item could not be converted to or from a model.
    #[error("{}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
    Serde {
        /// Where in the item the problem is (`orders[3].total`), empty for the root.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// Any other backend failure, with its source.
    #[error("backend error ({operation}): {source}")]
    Backend {
        /// The operation that failed (GetItem, Query...).
        operation: String,
        /// Whether retrying may succeed.
        retryable: bool,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// Whether retrying the same request may succeed (throttling, transient service errors).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Throttled { .. } => true,
            Error::Backend { retryable, .. } => *retryable,
            Error::TransactionCanceled { reasons } => reasons.iter().any(|r| r.code.is_retryable()),
            _ => false,
        }
    }

    /// [`Error::NotFound`]: no `entity` (a model's entity name, `Org::schema().entity`) at
    /// `key`, for code of its own that finds nothing (a repository, an API handler).
    ///
    /// ```
    /// use orm_core::{Error, Key, Model, Value};
    ///
    /// # #[derive(orm_core::Model, serde::Serialize, serde::Deserialize)]
    /// # #[model(entity = "Org", pk = "ORG#{id}", sk = "ORG")]
    /// # struct Org { id: String }
    /// let key = Org::key("acme")?;
    /// let e = Error::not_found(Org::schema().entity, key.clone());
    /// assert!(matches!(&e, Error::NotFound { entity, key: k } if entity == "Org" && *k == key));
    /// assert_eq!(e.to_string(), "Org not found: ORG#acme / ORG");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn not_found(entity: impl Into<String>, key: Key) -> Error {
        Error::NotFound {
            entity: entity.into(),
            key,
        }
    }

    /// [`Error::AlreadyExists`]: an `entity` is stored at `key` already.
    pub fn already_exists(entity: impl Into<String>, key: Key) -> Error {
        Error::AlreadyExists {
            entity: entity.into(),
            key,
        }
    }

    /// [`Error::ConditionFailed`] on `entity`, without a stored item: a precondition of the
    /// caller's own did not hold.
    pub fn condition_failed(entity: impl Into<String>) -> Error {
        Error::ConditionFailed {
            entity: Some(entity.into()),
            item: None,
        }
    }

    /// [`Error::VersionConflict`]: the `entity` at `key` is not at version `expected`.
    pub fn version_conflict(entity: impl Into<String>, key: Key, expected: u64) -> Error {
        Error::VersionConflict {
            entity: entity.into(),
            key,
            expected: expected.to_string(),
            item: None,
        }
    }

    /// [`Error::Throttled`], for a backend (or a layer over one) that is throttled.
    pub fn throttled(message: impl Into<String>) -> Error {
        Error::Throttled {
            message: message.into(),
        }
    }

    /// [`Error::InvalidCursor`], saying why the cursor cannot be used.
    pub fn invalid_cursor(reason: impl Into<String>) -> Error {
        Error::InvalidCursor {
            reason: reason.into(),
        }
    }

    /// [`Error::TransactionCanceled`] with one reason per action (a backend, or a layer over
    /// one, that cancels a transaction): build them with [`CancellationReason::new`].
    pub fn transaction_canceled(reasons: Vec<CancellationReason>) -> Error {
        Error::TransactionCanceled { reasons }
    }

    /// [`Error::TableNotFound`] for `table`, with no service error behind it.
    pub fn table_not_found(table: impl Into<String>) -> Error {
        Error::TableNotFound {
            table: table.into(),
            source: None,
        }
    }

    /// Shorthand for [`Error::Validation`].
    pub fn validation(message: impl Into<String>) -> Error {
        Error::Validation {
            message: message.into(),
        }
    }

    /// This error as the failure of action `index` (zero-based) of a transaction: a
    /// [`Error::Validation`] message gains `transaction action N: ` (N counting from 1, as
    /// [`CancellationReason`]'s display does); other errors are returned as they are.
    pub fn in_transaction_action(self, index: usize) -> Error {
        match self {
            Error::Validation { message } => {
                Error::validation(format!("transaction action {}: {message}", index + 1))
            }
            other => other,
        }
    }

    /// Shorthand for [`Error::ServiceValidation`] with no source (a backend emulating the
    /// service).
    pub fn service_validation(operation: impl Into<String>, message: impl Into<String>) -> Error {
        Error::ServiceValidation {
            operation: operation.into(),
            message: message.into(),
            source: None,
        }
    }

    /// Shorthand for [`Error::Backend`].
    pub fn backend(
        operation: impl Into<String>,
        retryable: bool,
        source: impl Into<BoxError>,
    ) -> Error {
        Error::Backend {
            operation: operation.into(),
            retryable,
            source: source.into(),
        }
    }
}

/// A key in a message: the key, or `(no key)` when it is not known.
pub(crate) fn key_text(key: &Option<Key>) -> String {
    match key {
        Some(key) => key.to_string(),
        None => "(no key)".to_owned(),
    }
}

impl From<crate::number::NumberError> for Error {
    fn from(e: crate::number::NumberError) -> Self {
        Error::Validation {
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::with_sort("ORG#acme", "ORG")
    }

    #[test]
    fn constructors_build_the_variants_users_match_on() {
        assert!(matches!(
            Error::already_exists("Org", key()),
            Error::AlreadyExists { entity, key: k } if entity == "Org" && k == key()
        ));
        let e = Error::condition_failed("Org");
        assert!(
            matches!(&e, Error::ConditionFailed { entity: Some(en), item: None } if en == "Org")
        );
        assert_eq!(e.to_string(), "condition failed on Org");
        let e = Error::version_conflict("Org", key(), 3);
        assert!(
            matches!(&e, Error::VersionConflict { expected, item: None, .. } if expected == "3")
        );
        assert_eq!(
            e.to_string(),
            "version conflict on Org ORG#acme / ORG: expected version 3"
        );
        let e = Error::throttled("slow down");
        assert!(e.is_retryable());
        assert_eq!(e.to_string(), "throttled: slow down");
        assert_eq!(
            Error::invalid_cursor("expired").to_string(),
            "invalid cursor: expired"
        );
        let e = Error::transaction_canceled(vec![
            CancellationReason::new(0, CancellationCode::None),
            CancellationReason::new(1, CancellationCode::ConditionalCheckFailed),
        ]);
        assert_eq!(
            e.to_string(),
            "transaction canceled: action 2: ConditionalCheckFailed"
        );
        assert!(!e.is_retryable());
        let e = Error::table_not_found("app");
        assert!(matches!(&e, Error::TableNotFound { table, source: None } if table == "app"));
    }
}
