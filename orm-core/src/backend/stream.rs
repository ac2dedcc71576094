//! A table's change stream in backend-neutral form: DynamoDB Streams' four calls
//! ([`ListStreams`], [`DescribeStream`], [`GetShardIterator`], [`GetRecords`]) and their answers.
//!
//! A table with a stream enabled records every committed change to its items as a
//! [`StreamRecord`] (an `INSERT`, `MODIFY` or `REMOVE` with the item's keys and, as the stream's
//! [`StreamViewType`] says, its images before and after). Records live in *shards*; a shard is
//! read from a position ([`ShardIteratorType`]) with an opaque iterator, each read handing back
//! the iterator of the next. A closed shard has an ending sequence number; its children (shards
//! whose parent it is) continue it. Disabling a stream closes it; enabling one again makes a new
//! stream, with its own ARN and label.
//!
//! The ORM reads streams through [`Table::changes`](crate::Table::changes), which walks the
//! shards in order and decodes records into models; these requests are what a backend answers.
//! The MemoryBackend records changes itself; DynamoBackend calls DynamoDB Streams.

use super::request::RawItem;
use super::settings::StreamViewType;
use crate::error::{Error, Result};
use crate::value::Item;
use std::fmt;
use std::time::SystemTime;

/// A stream's status, as DescribeStream reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamStatus {
    /// Being enabled (records are not yet written).
    Enabling,
    /// Recording changes.
    Enabled,
    /// Being disabled.
    Disabling,
    /// No longer recording; its records stay readable until they are trimmed (24 hours).
    Disabled,
}

impl StreamStatus {
    /// DynamoDB's name: `ENABLING`, `ENABLED`, `DISABLING` or `DISABLED`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Enabling => "ENABLING",
            StreamStatus::Enabled => "ENABLED",
            StreamStatus::Disabling => "DISABLING",
            StreamStatus::Disabled => "DISABLED",
        }
    }

    /// The status DynamoDB names `name`.
    pub fn from_name(name: &str) -> Option<StreamStatus> {
        [
            StreamStatus::Enabling,
            StreamStatus::Enabled,
            StreamStatus::Disabling,
            StreamStatus::Disabled,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// The limits of DynamoDB Streams' requests, which every backend checks before sending.
pub mod limits {
    /// Most streams one ListStreams answer lists (and its `Limit`'s maximum).
    pub const MAX_LIST_STREAMS: usize = 100;
    /// Most shards one DescribeStream answer lists (and its `Limit`'s maximum).
    pub const MAX_DESCRIBE_SHARDS: usize = 100;
    /// Most records one GetRecords answer holds (and its `Limit`'s maximum).
    pub const MAX_GET_RECORDS: usize = 1000;
    /// Most bytes of records one GetRecords answer holds (1 MB).
    pub const MAX_GET_RECORDS_BYTES: usize = 1024 * 1024;
    /// Shortest and longest sequence number, in digits.
    pub const SEQUENCE_NUMBER_LENGTH: std::ops::RangeInclusive<usize> = 21..=40;
    /// Shortest and longest shard id.
    pub const SHARD_ID_LENGTH: std::ops::RangeInclusive<usize> = 28..=65;
    /// Shortest and longest stream ARN.
    pub const STREAM_ARN_LENGTH: std::ops::RangeInclusive<usize> = 37..=1024;
    /// Shortest and longest shard iterator.
    pub const SHARD_ITERATOR_LENGTH: std::ops::RangeInclusive<usize> = 1..=2048;
    /// How long a shard iterator can be used after it was handed out: 15 minutes.
    pub const ITERATOR_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);
    /// How long records stay readable: 24 hours.
    pub const RETENTION: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);
}

/// DynamoDB's check of a stream request's `Limit`: at least 1, and at most `max`, past which the
/// error is the operation's own wording, `too_big`, followed by `max`.
fn check_limit(limit: Option<usize>, max: usize, too_big: &str) -> Result<()> {
    match limit {
        Some(0) => Err(Error::validation(
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
             Member must have value greater than or equal to 1",
        )),
        Some(n) if n > max => Err(Error::validation(format!(
            "One or more parameter values were invalid: {too_big}{max}"
        ))),
        _ => Ok(()),
    }
}

/// DynamoDB's message for a string member outside its length range.
fn bad_length(member: &str, value: &str, range: &std::ops::RangeInclusive<usize>) -> Error {
    let (bound, side) = if value.len() < *range.start() {
        (range.start(), "greater")
    } else {
        (range.end(), "less")
    };
    Error::validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy \
         constraint: Member must have length {side} than or equal to {bound}"
    ))
}

fn check_length(member: &str, value: &str, range: &std::ops::RangeInclusive<usize>) -> Result<()> {
    if range.contains(&value.len()) {
        Ok(())
    } else {
        Err(bad_length(member, value, range))
    }
}

/// Lists the streams of the account, or of one table: DynamoDB Streams' ListStreams. Newest
/// first; at most [`limits::MAX_LIST_STREAMS`] per answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListStreams {
    /// Only the streams of this table.
    pub table: Option<String>,
    /// At most this many (1 to 100; default 100).
    pub limit: Option<usize>,
    /// Continue after this stream (the previous answer's `last_evaluated_stream_arn`).
    pub exclusive_start_stream_arn: Option<String>,
}

impl ListStreams {
    /// The streams of `table`.
    pub fn of_table(table: impl Into<String>) -> ListStreams {
        ListStreams {
            table: Some(table.into()),
            ..ListStreams::default()
        }
    }

    /// DynamoDB's checks: a limit from 1 to 100, a start ARN of a valid length.
    pub fn validate(&self) -> Result<()> {
        check_limit(
            self.limit,
            limits::MAX_LIST_STREAMS,
            "Limit cannot be greater than the maximum allowed size: ",
        )?;
        if let Some(arn) = &self.exclusive_start_stream_arn {
            check_length("exclusiveStartStreamArn", arn, &limits::STREAM_ARN_LENGTH)?;
        }
        if let Some(table) = &self.table {
            check_length("tableName", table, &(3..=255))?;
        }
        Ok(())
    }
}

/// One stream, as ListStreams lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSummary {
    /// The stream's ARN: `arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>`.
    pub stream_arn: String,
    /// The table it records (as the caller names it: without a backend's table prefix).
    pub table: String,
    /// The stream's label: when it was enabled (`2024-01-31T12:34:56.789`, UTC).
    pub label: String,
}

/// ListStreams' answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListStreamsOutput {
    /// The streams, newest first.
    pub streams: Vec<StreamSummary>,
    /// Where to continue, when more streams remain.
    pub last_evaluated_stream_arn: Option<String>,
}

/// Describes one stream and its shards: DynamoDB Streams' DescribeStream. At most
/// [`limits::MAX_DESCRIBE_SHARDS`] shards per answer, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeStream {
    /// The stream.
    pub stream_arn: String,
    /// At most this many shards (1 to 100; default 100).
    pub limit: Option<usize>,
    /// Continue after this shard (the previous answer's `last_evaluated_shard_id`).
    pub exclusive_start_shard_id: Option<String>,
}

impl DescribeStream {
    /// The first page of the shards of `stream_arn`.
    pub fn new(stream_arn: impl Into<String>) -> DescribeStream {
        DescribeStream {
            stream_arn: stream_arn.into(),
            limit: None,
            exclusive_start_shard_id: None,
        }
    }

    /// DynamoDB's checks: a limit from 1 to 100, a start shard id of a valid length.
    pub fn validate(&self) -> Result<()> {
        check_limit(
            self.limit,
            limits::MAX_DESCRIBE_SHARDS,
            "Limit cannot be greater than the maximum: ",
        )?;
        if self.stream_arn.is_empty() {
            return Err(Error::validation("Invalid StreamArn"));
        }
        if let Some(shard) = &self.exclusive_start_shard_id {
            check_length("exclusiveStartShardId", shard, &limits::SHARD_ID_LENGTH)?;
        }
        Ok(())
    }
}

/// One shard of a stream: a run of records in sequence-number order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// Its id (`shardId-...`).
    pub shard_id: String,
    /// The shard it continues, if any: read that one first.
    pub parent_shard_id: Option<String>,
    /// The sequence number of its first record (or, while it has none, the next one).
    pub starting_sequence_number: String,
    /// The sequence number of its last record, once it is closed (no record will be added).
    pub ending_sequence_number: Option<String>,
}

impl Shard {
    /// Whether the shard is closed: it has all the records it will ever have.
    pub fn is_closed(&self) -> bool {
        self.ending_sequence_number.is_some()
    }
}

/// DescribeStream's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamDescription {
    /// The stream's ARN.
    pub stream_arn: String,
    /// Its label (when it was enabled, `2024-01-31T12:34:56.789`).
    pub label: String,
    /// Its status.
    pub status: StreamStatus,
    /// What its records hold.
    pub view_type: StreamViewType,
    /// When it was asked for.
    pub created: SystemTime,
    /// The table it records (without a backend's table prefix).
    pub table: String,
    /// The table's partition key attribute.
    pub partition_key: String,
    /// The table's sort key attribute, if it has one.
    pub sort_key: Option<String>,
    /// One page of its shards, oldest first.
    pub shards: Vec<Shard>,
    /// Where to continue, when more shards remain.
    pub last_evaluated_shard_id: Option<String>,
}

/// Where in a shard reading starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ShardIteratorType {
    /// At its oldest record still kept (DynamoDB keeps 24 hours).
    TrimHorizon,
    /// After its newest record: only records added from now on.
    Latest,
    /// At the record with this sequence number.
    AtSequenceNumber(String),
    /// After the record with this sequence number.
    AfterSequenceNumber(String),
}

impl ShardIteratorType {
    /// DynamoDB's name: `TRIM_HORIZON`, `LATEST`, `AT_SEQUENCE_NUMBER` or
    /// `AFTER_SEQUENCE_NUMBER`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ShardIteratorType::TrimHorizon => "TRIM_HORIZON",
            ShardIteratorType::Latest => "LATEST",
            ShardIteratorType::AtSequenceNumber(_) => "AT_SEQUENCE_NUMBER",
            ShardIteratorType::AfterSequenceNumber(_) => "AFTER_SEQUENCE_NUMBER",
        }
    }

    /// The sequence number it names, if any.
    pub fn sequence_number(&self) -> Option<&str> {
        match self {
            ShardIteratorType::AtSequenceNumber(s) | ShardIteratorType::AfterSequenceNumber(s) => {
                Some(s)
            }
            _ => None,
        }
    }

    /// The position DynamoDB names `name`, with `sequence_number` (which exactly the
    /// `*_SEQUENCE_NUMBER` positions take). Errors are DynamoDB's `ValidationException`s.
    pub fn from_parts(name: &str, sequence_number: Option<&str>) -> Result<ShardIteratorType> {
        let position = match (name, sequence_number) {
            ("TRIM_HORIZON", None) => ShardIteratorType::TrimHorizon,
            ("LATEST", None) => ShardIteratorType::Latest,
            ("TRIM_HORIZON" | "LATEST", Some(_)) => {
                return Err(Error::validation(
                    "One or more parameter values were invalid: SequenceNumber should not be \
                     passed for this iterator type",
                ))
            }
            ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER", None) => {
                return Err(Error::validation(
                    "One or more parameter values were invalid: Invalid SequenceNumber",
                ))
            }
            ("AT_SEQUENCE_NUMBER", Some(s)) => ShardIteratorType::AtSequenceNumber(s.to_owned()),
            ("AFTER_SEQUENCE_NUMBER", Some(s)) => {
                ShardIteratorType::AfterSequenceNumber(s.to_owned())
            }
            (other, _) => {
                return Err(Error::validation(format!(
                    "1 validation error detected: Value '{other}' at 'shardIteratorType' failed \
                     to satisfy constraint: Member must satisfy enum value set: \
                     [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]"
                )))
            }
        };
        Ok(position)
    }
}

/// Asks for an iterator on one shard: DynamoDB Streams' GetShardIterator. The answer is an
/// opaque string, good for [`limits::ITERATOR_LIFETIME`] (15 minutes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetShardIterator {
    /// The stream.
    pub stream_arn: String,
    /// The shard.
    pub shard_id: String,
    /// Where reading starts.
    pub position: ShardIteratorType,
}

impl GetShardIterator {
    /// An iterator on `shard_id` of `stream_arn` at `position`.
    pub fn new(
        stream_arn: impl Into<String>,
        shard_id: impl Into<String>,
        position: ShardIteratorType,
    ) -> GetShardIterator {
        GetShardIterator {
            stream_arn: stream_arn.into(),
            shard_id: shard_id.into(),
            position,
        }
    }

    /// DynamoDB's checks: an ARN, a shard id and a sequence number (21 to 40 digits) of valid
    /// lengths.
    pub fn validate(&self) -> Result<()> {
        if self.stream_arn.is_empty() {
            return Err(Error::validation("Invalid StreamArn"));
        }
        if self.shard_id.is_empty() {
            return Err(Error::validation("No ShardId specified."));
        }
        check_length("shardId", &self.shard_id, &limits::SHARD_ID_LENGTH)?;
        if let Some(sequence) = self.position.sequence_number() {
            check_length("sequenceNumber", sequence, &limits::SEQUENCE_NUMBER_LENGTH)?;
            if !sequence.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::validation(
                    "One or more parameter values were invalid: Invalid SequenceNumber",
                ));
            }
        }
        Ok(())
    }
}

/// Reads records from a shard iterator: DynamoDB Streams' GetRecords. At most
/// [`limits::MAX_GET_RECORDS`] records and [`limits::MAX_GET_RECORDS_BYTES`] per answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRecords {
    /// The iterator (from GetShardIterator, or the previous answer's `next_shard_iterator`).
    pub shard_iterator: String,
    /// At most this many records (1 to 1000; default 1000).
    pub limit: Option<usize>,
}

impl GetRecords {
    /// Up to 1000 records from `shard_iterator`.
    pub fn new(shard_iterator: impl Into<String>) -> GetRecords {
        GetRecords {
            shard_iterator: shard_iterator.into(),
            limit: None,
        }
    }

    /// DynamoDB's checks: an iterator of a valid length, a limit from 1 to 1000.
    pub fn validate(&self) -> Result<()> {
        check_limit(
            self.limit,
            limits::MAX_GET_RECORDS,
            "Limit should be less than or equal to ",
        )?;
        if !limits::SHARD_ITERATOR_LENGTH.contains(&self.shard_iterator.len()) {
            return Err(Error::validation("Invalid ShardIterator"));
        }
        Ok(())
    }
}

/// GetRecords' answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GetRecordsOutput {
    /// The records, in sequence-number order (possibly none, even when more follow).
    pub records: Vec<StreamRecord>,
    /// The iterator to read on with; `None` once a closed shard has been read to its end.
    pub next_shard_iterator: Option<String>,
}

/// What happened to the item: a stream record's `eventName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// `INSERT`: the item was created.
    Insert,
    /// `MODIFY`: an existing item changed.
    Modify,
    /// `REMOVE`: the item was deleted (by a request, or by TTL).
    Remove,
}

impl ChangeKind {
    /// DynamoDB's name: `INSERT`, `MODIFY` or `REMOVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Insert => "INSERT",
            ChangeKind::Modify => "MODIFY",
            ChangeKind::Remove => "REMOVE",
        }
    }

    /// The event DynamoDB names `name`.
    pub fn from_name(name: &str) -> Option<ChangeKind> {
        [ChangeKind::Insert, ChangeKind::Modify, ChangeKind::Remove]
            .into_iter()
            .find(|e| e.as_str() == name)
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a change, when it was not a request: a record's `userIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserIdentity {
    /// `Service`.
    pub kind: String,
    /// `dynamodb.amazonaws.com`.
    pub principal_id: String,
}

impl UserIdentity {
    /// DynamoDB's own identity: the remover of items whose time to live expired.
    pub fn dynamodb_service() -> UserIdentity {
        UserIdentity {
            kind: "Service".into(),
            principal_id: "dynamodb.amazonaws.com".into(),
        }
    }

    /// Whether this is DynamoDB's TTL deletion.
    pub fn is_ttl_deletion(&self) -> bool {
        self.kind == "Service" && self.principal_id == "dynamodb.amazonaws.com"
    }
}

/// One change to one item, as a stream records it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// The record's unique id.
    pub event_id: String,
    /// What happened.
    pub event_name: ChangeKind,
    /// The region of the table.
    pub aws_region: String,
    /// When the change was made, rounded down to the second.
    pub approximate_creation: SystemTime,
    /// The item's primary key attributes.
    pub keys: Item,
    /// The item after the change (`INSERT` and `MODIFY`, when the view type has new images),
    /// as the backend read it: [`RawItem::into_item`] for an [`Item`]; the ORM decodes it
    /// straight into a model ([`Layout::from_raw_item`](crate::table::Layout::from_raw_item)).
    pub new_image: Option<RawItem>,
    /// The item before the change (`MODIFY` and `REMOVE`, when the view type has old images).
    pub old_image: Option<RawItem>,
    /// Its sequence number: increasing within a shard (21 to 40 digits).
    pub sequence_number: String,
    /// Its size: the DynamoDB size of its keys and images.
    pub size_bytes: u64,
    /// What the stream records.
    pub view_type: StreamViewType,
    /// Who made the change, when it was DynamoDB itself (a TTL deletion); `None` for requests.
    pub user_identity: Option<UserIdentity>,
}

impl StreamRecord {
    /// Whether DynamoDB removed the item because its time to live expired.
    pub fn is_ttl_deletion(&self) -> bool {
        self.event_name == ChangeKind::Remove
            && self
                .user_identity
                .as_ref()
                .is_some_and(UserIdentity::is_ttl_deletion)
    }
}

/// Compares two sequence numbers (strings of digits) by value: DynamoDB's are not all of one
/// length.
pub fn compare_sequence_numbers(a: &str, b: &str) -> std::cmp::Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn names_round_trip() {
        for e in ["INSERT", "MODIFY", "REMOVE"] {
            assert_eq!(ChangeKind::from_name(e).unwrap().as_str(), e);
        }
        assert_eq!(
            StreamStatus::from_name("DISABLED"),
            Some(StreamStatus::Disabled)
        );
    }

    #[test]
    fn positions_take_sequence_numbers_exactly_when_dynamodb_does() {
        let seq = "000000000000000000001";
        assert_eq!(
            ShardIteratorType::from_parts("AT_SEQUENCE_NUMBER", Some(seq)).unwrap(),
            ShardIteratorType::AtSequenceNumber(seq.into())
        );
        let err = |name, seq| {
            ShardIteratorType::from_parts(name, seq)
                .unwrap_err()
                .to_string()
        };
        assert!(err("LATEST", Some(seq)).contains("should not be passed"));
        assert!(err("AFTER_SEQUENCE_NUMBER", None).contains("Invalid SequenceNumber"));
        assert!(err("AT_TIMESTAMP", None).contains("enum value set"));
    }

    #[test]
    fn requests_are_checked_as_dynamodb_checks_them() {
        let err = |r: Result<()>| r.unwrap_err().to_string();
        assert!(err(GetRecords {
            limit: Some(0),
            ..GetRecords::new("it")
        }
        .validate())
        .contains("greater than or equal to 1"));
        assert!(err(GetRecords {
            limit: Some(1001),
            ..GetRecords::new("it")
        }
        .validate())
        .contains("less than or equal to 1000"));
        assert!(err(GetRecords::new("").validate()).contains("Invalid ShardIterator"));
        assert!(err(GetRecords::new("x".repeat(2049)).validate()).contains("Invalid ShardIterator"));
        assert!(GetRecords::new("it").validate().is_ok());
        assert!(err(ListStreams {
            limit: Some(101),
            ..ListStreams::default()
        }
        .validate())
        .contains("maximum allowed size: 100"));
        assert!(err(DescribeStream {
            limit: Some(101),
            ..DescribeStream::new("arn")
        }
        .validate())
        .contains("maximum: 100"));
        let shard = "shardId-00000001796632565919-e2f516eb";
        let at = |s: &str| {
            GetShardIterator::new("arn", shard, ShardIteratorType::AtSequenceNumber(s.into()))
                .validate()
        };
        assert!(err(at("1")).contains("length greater than or equal to 21"));
        assert!(err(at(&"a".repeat(21))).contains("Invalid SequenceNumber"));
        assert!(at(&"1".repeat(21)).is_ok());
        assert!(
            err(GetShardIterator::new("arn", "x", ShardIteratorType::Latest).validate())
                .contains("'shardId'")
        );
    }

    #[test]
    fn sequence_numbers_compare_by_value() {
        assert_eq!(
            compare_sequence_numbers("000000000000000000009", "000000000000000000010"),
            Ordering::Less
        );
        assert_eq!(
            compare_sequence_numbers("4421584500000000017450439091", "000000000000000000010"),
            Ordering::Greater
        );
        assert_eq!(compare_sequence_numbers("0010", "10"), Ordering::Equal);
    }
}
