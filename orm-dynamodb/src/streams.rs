//! DynamoDB Streams records (feature `streams`): decode the images of a Lambda event
//! (`aws_lambda_events::dynamodb::Event`) into models, through the same code path as every read
//! ([`Layout::from_stored_item`](orm_core::table::Layout::from_stored_item): entity check included, layout attributes dropped, items of older
//! schema versions upgraded, exact numbers).
//!
//! A stream carries every entity of the table; [`decode_record`] returns `Ok(None)` for records of
//! other entities, so a handler can pick out the changes it cares about:
//!
//! ```
//! use aws_lambda_events::dynamodb::Event;
//! use orm_core::{Model, Table};
//! use orm_dynamodb::streams::{decode_record, ChangeKind};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Model, Serialize, Deserialize, Debug, PartialEq)]
//! #[model(entity = "Order", pk = "CUSTOMER#{customer}", sk = "ORDER#{id}")]
//! struct Order { customer: String, id: u64, total: u64 }
//!
//! // The table handle only supplies the attribute layout here: decoding makes no backend call.
//! let config = aws_sdk_dynamodb::Config::builder()
//!     .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
//!     .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
//!     .build();
//! let backend = orm_dynamodb::DynamoBackend::new(aws_sdk_dynamodb::Client::from_conf(config));
//! let table = Table::new(backend, "app");
//! let event: Event = serde_json::from_str(r#"{"Records": [{
//!     "eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
//!     "dynamodb": {
//!         "Keys": {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#00000000000000000007"}},
//!         "NewImage": {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#00000000000000000007"},
//!                      "__entity": {"S": "Order"}, "customer": {"S": "c1"}, "id": {"N": "7"}, "total": {"N": "4999"}},
//!         "StreamViewType": "NEW_AND_OLD_IMAGES", "SequenceNumber": "1", "SizeBytes": 100
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

use aws_lambda_events::dynamodb::EventRecord;
use orm_core::{Error, Item, Model, Number, Result, Table, Value};
use serde_dynamo::AttributeValue;

/// What happened to the item (the record's `eventName`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// `INSERT`: a new item; `new` is set (with a view type that includes new images).
    Insert,
    /// `MODIFY`: an item changed; `old` and `new` as the view type allows.
    Modify,
    /// `REMOVE`: an item was deleted (by a user or by TTL); `old` as the view type allows.
    Remove,
    /// Any other event name.
    Other(String),
}

/// One decoded stream record.
#[derive(Debug, Clone, PartialEq)]
pub struct Change<M> {
    /// What happened.
    pub kind: ChangeKind,
    /// The key attributes of the item (`pk`, `sk`).
    pub keys: Item,
    /// The item before the change, when the stream carries old images.
    pub old: Option<M>,
    /// The item after the change, when the stream carries new images.
    pub new: Option<M>,
}

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

/// Converts a stream image (a `NewImage` / `OldImage` / `Keys` map) into an [`Item`].
pub fn item_from_image(image: serde_dynamo::Item) -> Result<Item> {
    let mut item = Item::new();
    for (name, value) in image.into_inner() {
        item.insert(name, value_from_stream(value)?);
    }
    Ok(item)
}

/// Decodes an image into the model `M` with [`Layout::from_stored_item`](orm_core::table::Layout::from_stored_item): an image of another
/// entity is [`Error::EntityMismatch`].
pub fn decode_image<M: Model>(table: &Table, image: serde_dynamo::Item) -> Result<M> {
    table.layout().from_stored_item(item_from_image(image)?)
}

/// Decodes a record into a [`Change`] of `M`, or `None` when the record is about an item of
/// another entity. Absent images (a `KEYS_ONLY` stream, or `old` on an insert) are `None`;
/// with a keys-only stream the entity cannot be told, and the change is returned with both
/// images `None`.
pub fn decode_record<M: Model>(table: &Table, record: &EventRecord) -> Result<Option<Change<M>>> {
    let image = |i: &serde_dynamo::Item| -> Result<Option<Item>> {
        if i.is_empty() {
            Ok(None)
        } else {
            item_from_image(i.clone()).map(Some)
        }
    };
    let old = image(&record.change.old_image)?;
    let new = image(&record.change.new_image)?;
    if let Some(any) = new.as_ref().or(old.as_ref()) {
        if !table.layout().is_entity::<M>(any) {
            return Ok(None);
        }
    }
    let kind = match record.event_name.as_str() {
        "INSERT" => ChangeKind::Insert,
        "MODIFY" => ChangeKind::Modify,
        "REMOVE" => ChangeKind::Remove,
        other => ChangeKind::Other(other.to_owned()),
    };
    Ok(Some(Change {
        kind,
        keys: item_from_image(record.change.keys.clone())?,
        old: old
            .map(|i| table.layout().from_stored_item(i))
            .transpose()?,
        new: new
            .map(|i| table.layout().from_stored_item(i))
            .transpose()?,
    }))
}
