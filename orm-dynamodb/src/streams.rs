//! DynamoDB Streams and AWS Lambda (feature `streams`): the records of a stream as the
//! `aws_lambda_events` DynamoDB [`Event`] a Lambda function receives, both ways.
//!
//! - In a handler: [`decode_record`] decodes a Lambda record into a [`Change`] of a model,
//!   through the same code path as every read ([`Layout::from_stored_item`](orm_core::table::Layout::from_stored_item): entity check
//!   included, layout attributes dropped, items of older schema versions upgraded, exact
//!   numbers). A stream carries every entity of the table; records of other entities are
//!   `Ok(None)`, so a handler picks out the changes it cares about.
//! - In a test: [`EventSource`] plays the part of Lambda's event source mapping. It reads a
//!   table's change feed ([`Table::changes`], on any backend with streams: MemoryBackend,
//!   DynamoDB, DynamoDB Local) and delivers it to the handler in batches, as the `Event`s Lambda
//!   would pass: the handler function runs unchanged in a `#[tokio::test]`. A failed batch is
//!   delivered again, as Lambda retries it; a handler that reports batch item failures
//!   ([`DynamoDbEventResponse`]) gets the records from the first failure on again.
//!
//! ```
//! use aws_lambda_events::dynamodb::Event;
//! use orm_core::{Model, Table};
//! use orm_dynamodb::streams::decode_record;
//! use orm_core::backend::ChangeKind;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Model, Serialize, Deserialize, Debug, PartialEq)]
//! #[model(entity = "Order", pk = "CUSTOMER#{customer}", sk = "ORDER#{id}")]
//! struct Order { customer: String, id: u64, total: u64 }
//!
//! // The table handle only supplies the attribute layout here: decoding makes no backend call.
//! let table = Table::new(orm_memory::MemoryBackend::new(), "app");
//! let event: Event = serde_json::from_str(r#"{"Records": [{
//!     "eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
//!     "dynamodb": {
//!         "Keys": {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#00000000000000000007"}},
//!         "NewImage": {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#00000000000000000007"},
//!                      "__entity": {"S": "Order"}, "customer": {"S": "c1"}, "id": {"N": "7"}, "total": {"N": "4999"}},
//!         "StreamViewType": "NEW_AND_OLD_IMAGES", "SequenceNumber": "000000000000000000001", "SizeBytes": 100
//!     }
//! }]}"#).unwrap();
//!
//! for record in &event.records {
//!     if let Some(change) = decode_record::<Order>(&table, record).unwrap() {
//!         assert_eq!(change.kind, ChangeKind::Insert);
//!         assert_eq!(change.new, Some(Order { customer: "c1".into(), id: 7, total: 4999 }));
//!     }
//! }
//! ```
//!
//! docs/testing.md, "Testing stream handlers", shows [`EventSource`] driving a handler.

use aws_lambda_events::dynamodb::{
    Event, EventRecord, StreamRecord as LambdaStreamRecord, StreamViewType as LambdaView,
    UserIdentity as LambdaIdentity,
};
use aws_lambda_events::streams::DynamoDbEventResponse;
use orm_core::backend::{RawItem, StreamRecord, StreamViewType, UserIdentity};
use orm_core::changes::{ChangeFeed, Checkpoint};
use orm_core::{Error, Item, Model, Number, Result, Table, Value};
use serde_dynamo::AttributeValue;
use std::collections::VecDeque;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use orm_core::backend::ChangeKind;
pub use orm_core::changes::Change;

/// Converts one stream attribute value into an [`orm_core::Value`] (numbers exactly).
pub fn value_from_stream(value: AttributeValue) -> Result<Value> {
    let number = |s: String| Number::parse(&s).map_err(Error::from);
    Ok(match value {
        AttributeValue::S(s) => Value::S(s),
        AttributeValue::N(n) => Value::N(number(n)?),
        AttributeValue::B(b) => Value::B(b),
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(l) => Value::L(
            l.into_iter()
                .map(value_from_stream)
                .collect::<Result<_>>()?,
        ),
        AttributeValue::M(m) => Value::M(
            m.into_iter()
                .map(|(k, v)| Ok((k, value_from_stream(v)?)))
                .collect::<Result<_>>()?,
        ),
        AttributeValue::Ss(s) => Value::Ss(s.into_iter().collect()),
        AttributeValue::Ns(n) => Value::Ns(n.into_iter().map(number).collect::<Result<_>>()?),
        AttributeValue::Bs(b) => Value::Bs(b.into_iter().collect()),
    })
}

/// Converts an [`orm_core::Value`] into a stream attribute value (numbers as their exact text).
pub fn value_to_stream(value: Value) -> AttributeValue {
    match value {
        Value::S(s) => AttributeValue::S(s),
        Value::N(n) => AttributeValue::N(n.into_string()),
        Value::B(b) => AttributeValue::B(b),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Null => AttributeValue::Null(true),
        Value::L(l) => AttributeValue::L(l.into_iter().map(value_to_stream).collect()),
        Value::M(m) => AttributeValue::M(
            m.into_iter()
                .map(|(k, v)| (k, value_to_stream(v)))
                .collect(),
        ),
        Value::Ss(s) => AttributeValue::Ss(s.into_iter().collect()),
        Value::Ns(n) => AttributeValue::Ns(n.into_iter().map(Number::into_string).collect()),
        Value::Bs(b) => AttributeValue::Bs(b.into_iter().collect()),
    }
}

/// Converts a stream image (a `NewImage` / `OldImage` / `Keys` map) into an [`Item`].
pub fn item_from_image(image: serde_dynamo::Item) -> Result<Item> {
    let mut item = Item::new();
    for (name, value) in image.into_inner() {
        item.insert(name, value_from_stream(value)?);
    }
    Ok(item)
}

/// Converts an [`Item`] into a stream image.
pub fn item_to_image(item: Item) -> serde_dynamo::Item {
    item.into_inner()
        .into_iter()
        .map(|(name, value)| (name, value_to_stream(value)))
        .collect::<std::collections::HashMap<_, _>>()
        .into()
}

/// Decodes an image into the model `M` with [`Layout::from_stored_item`](orm_core::table::Layout::from_stored_item): an image of another
/// entity is [`Error::EntityMismatch`].
pub fn decode_image<M: Model>(table: &Table, image: serde_dynamo::Item) -> Result<M> {
    table.layout().from_stored_item(item_from_image(image)?)
}

/// A Lambda record as orm-core's [`StreamRecord`]. An event name other than `INSERT`,
/// `MODIFY` and `REMOVE` is [`Error::Validation`].
pub fn record_from_lambda(record: &EventRecord) -> Result<StreamRecord> {
    let image = |i: &serde_dynamo::Item| -> Result<Option<Item>> {
        if i.is_empty() {
            Ok(None)
        } else {
            item_from_image(i.clone()).map(Some)
        }
    };
    let change = &record.change;
    let event_name = ChangeKind::from_name(&record.event_name).ok_or_else(|| {
        Error::validation(format!(
            "not a DynamoDB stream record: eventName {:?}",
            record.event_name
        ))
    })?;
    let view_type = match &change.stream_view_type {
        Some(LambdaView::KeysOnly) => StreamViewType::KeysOnly,
        Some(LambdaView::NewImage) => StreamViewType::NewImage,
        Some(LambdaView::OldImage) => StreamViewType::OldImage,
        Some(LambdaView::NewAndOldImages) | None => StreamViewType::NewAndOldImages,
    };
    Ok(StreamRecord {
        event_id: record.event_id.clone(),
        event_name,
        aws_region: record.aws_region.clone(),
        approximate_creation: SystemTime::from(change.approximate_creation_date_time),
        keys: item_from_image(change.keys.clone())?,
        new_image: image(&change.new_image)?.map(RawItem::Item),
        old_image: image(&change.old_image)?.map(RawItem::Item),
        sequence_number: change.sequence_number.clone().unwrap_or_default(),
        size_bytes: u64::try_from(change.size_bytes).unwrap_or(0),
        view_type,
        user_identity: record.user_identity.as_ref().map(|i| UserIdentity {
            kind: i.type_.clone(),
            principal_id: i.principal_id.clone(),
        }),
    })
}

/// orm-core's [`StreamRecord`] of stream `stream_arn` as the Lambda record DynamoDB's event
/// source mapping delivers: `eventVersion` `1.1`, `eventSource` `aws:dynamodb`, the stream's
/// ARN as `eventSourceARN`. An error if an image does not decode (see
/// [`RawItem::into_item`]).
pub fn record_to_lambda(record: StreamRecord, stream_arn: &str) -> Result<EventRecord> {
    let view_type = match record.view_type {
        StreamViewType::KeysOnly => LambdaView::KeysOnly,
        StreamViewType::NewImage => LambdaView::NewImage,
        StreamViewType::OldImage => LambdaView::OldImage,
        StreamViewType::NewAndOldImages => LambdaView::NewAndOldImages,
    };
    let image = |i: Option<RawItem>| -> Result<_> {
        Ok(match i {
            Some(i) => item_to_image(i.into_item()?),
            None => Default::default(),
        })
    };
    // Seconds, as DynamoDB sends them.
    let seconds = record
        .approximate_creation
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(EventRecord {
        aws_region: record.aws_region,
        change: LambdaStreamRecord {
            approximate_creation_date_time: (UNIX_EPOCH + Duration::from_secs(seconds)).into(),
            keys: item_to_image(record.keys),
            new_image: image(record.new_image)?,
            old_image: image(record.old_image)?,
            sequence_number: Some(record.sequence_number),
            size_bytes: i64::try_from(record.size_bytes).unwrap_or(i64::MAX),
            stream_view_type: Some(view_type),
        },
        event_id: record.event_id,
        event_name: record.event_name.as_str().to_owned(),
        event_source: Some("aws:dynamodb".into()),
        event_version: Some("1.1".into()),
        event_source_arn: Some(stream_arn.to_owned()),
        user_identity: record.user_identity.map(|i| LambdaIdentity {
            type_: i.kind,
            principal_id: i.principal_id,
        }),
        record_format: None,
        table_name: None,
    })
}

/// Decodes a Lambda record into a [`Change`] of `M`, or `None` when the record is about an item
/// of another entity. Absent images (a `KEYS_ONLY` stream, or `old` on an insert) are `None`;
/// with a keys-only stream the entity cannot be told, and the change is returned with both
/// images `None`.
pub fn decode_record<M: Model>(table: &Table, record: &EventRecord) -> Result<Option<Change<M>>> {
    Change::from_record(table, record_from_lambda(record)?)
}

/// How many records Lambda puts in one event by default for a DynamoDB stream.
pub const DEFAULT_BATCH_SIZE: usize = 100;

/// The most records Lambda puts in one event for a DynamoDB stream.
pub const MAX_BATCH_SIZE: usize = 10_000;

/// A handler failed on a batch: its error, and how many batches were delivered before it. The
/// failed batch is delivered again by the next [`EventSource::deliver`].
#[derive(Debug)]
pub enum DeliveryError<E> {
    /// Reading the stream failed.
    Stream(Error),
    /// The handler returned an error for a batch.
    Handler {
        /// The handler's error.
        error: E,
        /// Batches handled before it.
        delivered: usize,
    },
}

impl<E: std::fmt::Display> std::fmt::Display for DeliveryError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryError::Stream(e) => write!(f, "reading the stream failed: {e}"),
            DeliveryError::Handler { error, delivered } => write!(
                f,
                "the handler failed on a batch (after {delivered} delivered): {error}"
            ),
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for DeliveryError<E> {}

impl<E> From<Error> for DeliveryError<E> {
    fn from(e: Error) -> Self {
        DeliveryError::Stream(e)
    }
}

/// Delivers a table's change feed to a Lambda handler in batches of `aws_lambda_events`
/// DynamoDB [`Event`]s, as Lambda's event source mapping does: in order, a failed batch again.
/// For tests of stream handlers on any backend with streams (see the [module docs](self)).
#[derive(Debug)]
pub struct EventSource {
    feed: ChangeFeed,
    batch_size: usize,
    /// Records read and not yet handled (a failed batch's come back here, first).
    pending: VecDeque<EventRecord>,
}

impl EventSource {
    /// The table's change feed from its oldest record ([`Table::changes`]), in batches of
    /// [`DEFAULT_BATCH_SIZE`].
    pub fn new(table: &Table) -> EventSource {
        EventSource::from_feed(table.changes())
    }

    /// Delivers this feed (started where it says: [`ChangeFeed::from_latest`],
    /// [`ChangeFeed::resume`]...).
    pub fn from_feed(feed: ChangeFeed) -> EventSource {
        EventSource {
            feed,
            batch_size: DEFAULT_BATCH_SIZE,
            pending: VecDeque::new(),
        }
    }

    /// At most `n` records per event (1 to [`MAX_BATCH_SIZE`], Lambda's `BatchSize`).
    pub fn batch_size(mut self, n: usize) -> EventSource {
        self.batch_size = n.clamp(1, MAX_BATCH_SIZE);
        self
    }

    /// The next event (at most the batch size of records), or `None` when every change so far
    /// has been delivered. The records count as delivered: [`EventSource::deliver`] is the
    /// call that gives a failed batch back.
    pub async fn next_event(&mut self) -> Result<Option<Event>> {
        while self.pending.len() < self.batch_size {
            let Some(record) = self.feed.next().await? else {
                break;
            };
            let arn = self.feed.stream_arn().unwrap_or_default().to_owned();
            self.pending.push_back(record_to_lambda(record, &arn)?);
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        let n = self.pending.len().min(self.batch_size);
        Ok(Some(Event {
            records: self.pending.drain(..n).collect(),
        }))
    }

    /// Delivers every change not yet handled to `handler`, one [`Event`] per batch, in order;
    /// the number of batches handled. When the handler fails, delivery stops with its error and
    /// the batch is delivered again by the next call (as Lambda retries a failed batch).
    pub async fn deliver<F, Fut, E>(
        &mut self,
        mut handler: F,
    ) -> std::result::Result<usize, DeliveryError<E>>
    where
        F: FnMut(Event) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
    {
        let mut delivered = 0;
        while let Some(event) = self.next_event().await? {
            if let Err(error) = handler(event.clone()).await {
                self.give_back(event.records);
                return Err(DeliveryError::Handler { error, delivered });
            }
            delivered += 1;
        }
        Ok(delivered)
    }

    /// [`EventSource::deliver`] for a handler that reports batch item failures (Lambda's
    /// `ReportBatchItemFailures`): the records from the first one it reports (by sequence
    /// number) on are delivered again in the next batch; delivery stops there. A reported
    /// identifier that is in no record of the batch fails the whole batch, as in Lambda.
    pub async fn deliver_reporting_failures<F, Fut, E>(
        &mut self,
        mut handler: F,
    ) -> std::result::Result<usize, DeliveryError<E>>
    where
        F: FnMut(Event) -> Fut,
        Fut: Future<Output = std::result::Result<DynamoDbEventResponse, E>>,
    {
        let mut delivered = 0;
        while let Some(event) = self.next_event().await? {
            let response = match handler(event.clone()).await {
                Ok(response) => response,
                Err(error) => {
                    self.give_back(event.records);
                    return Err(DeliveryError::Handler { error, delivered });
                }
            };
            let failed = response
                .batch_item_failures
                .iter()
                .filter_map(|f| f.item_identifier.as_deref())
                .map(|id| {
                    event
                        .records
                        .iter()
                        .position(|r| r.change.sequence_number.as_deref() == Some(id))
                        .unwrap_or(0)
                })
                .min();
            delivered += 1;
            if let Some(first) = failed {
                let mut records = event.records;
                self.give_back(records.split_off(first));
                return Ok(delivered);
            }
        }
        Ok(delivered)
    }

    /// Puts records back in front of the pending ones, in order.
    fn give_back(&mut self, records: Vec<EventRecord>) {
        for record in records.into_iter().rev() {
            self.pending.push_front(record);
        }
    }

    /// Where the feed is: after the last record read from the stream. Records read but not
    /// yet handled (a failed batch) are before it; take the checkpoint after a successful
    /// [`EventSource::deliver`].
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        self.feed.checkpoint()
    }
}
