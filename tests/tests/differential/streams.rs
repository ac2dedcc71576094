//! Comparing two tables' streams: every record of each, grouped by item, each item's in stream
//! order (DynamoDB orders a stream's records per item only), with what legitimately differs left
//! out.

use orm_core::backend::{
    ChangeKind, DescribeStream, GetRecords, GetShardIterator, ListStreams, ShardIteratorType,
    StreamRecord, StreamViewType,
};
use orm_core::{Backend, Item, Value};
use std::collections::BTreeMap;

/// What a stream record says that DynamoDB specifies: its event, keys, images, view type and
/// (for TTL removals) identity. Left out: its id, sequence number, time and region, which differ
/// legitimately, and its size, which DynamoDB documents as approximate (DynamoDB Local counts a
/// byte more per negative number than the documented rule the engine follows: docs/server.md).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RecordOutcome {
    event: ChangeKind,
    new_image: Option<Item>,
    old_image: Option<Item>,
    view_type: StreamViewType,
    by_service: bool,
}

/// The records of a table's stream, read from its oldest, grouped by item (the keys, as text:
/// `Item` is not ordered), each item's in stream order.
pub(crate) async fn stream_contents(
    backend: &dyn Backend,
    table: &str,
) -> Result<BTreeMap<String, Vec<RecordOutcome>>, String> {
    let listed = backend
        .list_streams(&ListStreams::of_table(table))
        .await
        .map_err(|e| format!("ListStreams: {e}"))?;
    let arn = listed
        .streams
        .iter()
        .max_by(|a, b| a.label.cmp(&b.label))
        .ok_or("the table has no stream")?
        .stream_arn
        .clone();
    let shards = backend
        .describe_stream(&DescribeStream::new(&arn))
        .await
        .map_err(|e| format!("DescribeStream: {e}"))?
        .shards;
    let mut records: Vec<StreamRecord> = Vec::new();
    for shard in shards {
        let mut iterator = Some(
            backend
                .get_shard_iterator(&GetShardIterator::new(
                    &arn,
                    &shard.shard_id,
                    ShardIteratorType::TrimHorizon,
                ))
                .await
                .map_err(|e| format!("GetShardIterator: {e}"))?,
        );
        while let Some(it) = iterator.take() {
            let out = backend
                .get_records(&GetRecords::new(it))
                .await
                .map_err(|e| format!("GetRecords: {e:?}"))?;
            // An open shard answers no records once read to its end.
            if !out.records.is_empty() {
                iterator = out.next_shard_iterator;
            }
            records.extend(out.records);
        }
    }
    let mut by_item: BTreeMap<String, Vec<RecordOutcome>> = BTreeMap::new();
    for r in records {
        by_item
            .entry(format!("{:?}", r.keys))
            .or_default()
            .push(RecordOutcome {
                event: r.event_name,
                by_service: r.is_ttl_deletion(),
                new_image: r.new_image.map(|i| i.into_item().unwrap()),
                old_image: r.old_image.map(|i| i.into_item().unwrap()),
                view_type: r.view_type,
            });
    }
    Ok(by_item)
}

/// Whether any image of these records holds an empty map, at any depth.
pub(crate) fn has_empty_map(records: &BTreeMap<String, Vec<RecordOutcome>>) -> bool {
    fn empty_map(value: &Value) -> bool {
        match value {
            Value::M(m) => m.is_empty() || m.values().any(empty_map),
            Value::L(l) => l.iter().any(empty_map),
            _ => false,
        }
    }
    records
        .values()
        .flatten()
        .flat_map(|r| r.new_image.iter().chain(&r.old_image))
        .any(|image| image.values().any(empty_map))
}
