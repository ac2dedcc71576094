//! DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator and GetRecords
//! (`X-Amz-Target: DynamoDBStreams_20120810.<name>`), on the engine's streams (those a table's
//! `StreamSpecification` enables). Requests decode into orm-core's stream requests, which check
//! them as DynamoDB does; answers are DynamoDB Streams' JSON, ARNs in the caller's region.

use super::super::error::ApiError;
use super::super::json::encode_item;
use super::request::{opt_i64, opt_str, req_str, Answer, Body, Context};
use crate::metadata::epoch_seconds;
use orm_core::backend::{
    DescribeStream, GetRecords, GetShardIterator, ListStreams, ShardIteratorType, StreamRecord,
};
use serde_json::{json, Map, Value as Json};

/// A `Limit` member: a positive integer (DynamoDB's message for one below 1); its upper bound is
/// the request's own check.
fn limit(body: &Body) -> Result<Option<usize>, ApiError> {
    match opt_i64(body, "Limit")? {
        None => Ok(None),
        Some(n) if n < 1 => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: \
             Member must have value greater than or equal to 1"
        ))),
        Some(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
    }
}

/// An optional string member, owned.
fn opt_string(body: &Body, member: &str) -> Result<Option<String>, ApiError> {
    Ok(opt_str(body, member)?.map(str::to_owned))
}

pub(crate) fn list_streams(cx: &Context<'_>, body: &Body) -> Answer {
    let request = ListStreams {
        table: opt_string(body, "TableName")?,
        limit: limit(body)?,
        exclusive_start_stream_arn: opt_string(body, "ExclusiveStartStreamArn")?,
    };
    let out = cx.backend.list_streams_in(&request, cx.region)?;
    let streams: Vec<Json> = out
        .streams
        .iter()
        .map(|s| json!({"StreamArn": s.stream_arn, "TableName": s.table, "StreamLabel": s.label}))
        .collect();
    let mut answer = Map::new();
    answer.insert("Streams".into(), Json::Array(streams));
    if let Some(arn) = out.last_evaluated_stream_arn {
        answer.insert("LastEvaluatedStreamArn".into(), Json::String(arn));
    }
    Ok(Json::Object(answer))
}

pub(crate) fn describe_stream(cx: &Context<'_>, body: &Body) -> Answer {
    let request = DescribeStream {
        stream_arn: req_str(body, "StreamArn")?.to_owned(),
        limit: limit(body)?,
        exclusive_start_shard_id: opt_string(body, "ExclusiveStartShardId")?,
    };
    let d = cx.backend.describe_stream_in(&request, cx.region)?;
    let mut key_schema = vec![json!({"AttributeName": d.partition_key, "KeyType": "HASH"})];
    if let Some(sort_key) = &d.sort_key {
        key_schema.push(json!({"AttributeName": sort_key, "KeyType": "RANGE"}));
    }
    let shards: Vec<Json> = d
        .shards
        .iter()
        .map(|shard| {
            let mut range = Map::new();
            range.insert(
                "StartingSequenceNumber".into(),
                json!(shard.starting_sequence_number),
            );
            if let Some(end) = &shard.ending_sequence_number {
                range.insert("EndingSequenceNumber".into(), json!(end));
            }
            let mut out = Map::new();
            out.insert("ShardId".into(), json!(shard.shard_id));
            if let Some(parent) = &shard.parent_shard_id {
                out.insert("ParentShardId".into(), json!(parent));
            }
            out.insert("SequenceNumberRange".into(), Json::Object(range));
            Json::Object(out)
        })
        .collect();
    let mut description = Map::new();
    description.insert("StreamArn".into(), json!(d.stream_arn));
    description.insert("StreamLabel".into(), json!(d.label));
    description.insert("StreamStatus".into(), json!(d.status.as_str()));
    description.insert("StreamViewType".into(), json!(d.view_type.as_str()));
    description.insert(
        "CreationRequestDateTime".into(),
        json!(epoch_seconds(d.created)),
    );
    description.insert("TableName".into(), json!(d.table));
    description.insert("KeySchema".into(), Json::Array(key_schema));
    description.insert("Shards".into(), Json::Array(shards));
    if let Some(last) = d.last_evaluated_shard_id {
        description.insert("LastEvaluatedShardId".into(), json!(last));
    }
    Ok(json!({ "StreamDescription": description }))
}

pub(crate) fn get_shard_iterator(cx: &Context<'_>, body: &Body) -> Answer {
    let stream_arn = req_str(body, "StreamArn")?;
    let shard_id = req_str(body, "ShardId")?;
    let position = ShardIteratorType::from_parts(
        req_str(body, "ShardIteratorType")?,
        opt_str(body, "SequenceNumber")?,
    )?;
    let request = GetShardIterator::new(stream_arn, shard_id, position);
    let iterator = cx.backend.shard_iterator_in(&request, cx.region)?;
    Ok(json!({ "ShardIterator": iterator }))
}

pub(crate) fn get_records(cx: &Context<'_>, body: &Body) -> Answer {
    let request = GetRecords {
        shard_iterator: req_str(body, "ShardIterator")?.to_owned(),
        limit: limit(body)?,
    };
    let out = cx.backend.records_in(&request, cx.region)?;
    let mut answer = Map::new();
    answer.insert(
        "Records".into(),
        Json::Array(out.records.iter().map(record).collect::<Result<_, _>>()?),
    );
    if let Some(next) = out.next_shard_iterator {
        answer.insert("NextShardIterator".into(), Json::String(next));
    }
    Ok(Json::Object(answer))
}

/// A stream record as GetRecords writes it.
pub(crate) fn record(r: &StreamRecord) -> Result<Json, ApiError> {
    let mut change = Map::new();
    change.insert(
        "ApproximateCreationDateTime".into(),
        json!(epoch_seconds(r.approximate_creation)),
    );
    change.insert("Keys".into(), encode_item(&r.keys));
    if let Some(image) = &r.new_image {
        change.insert("NewImage".into(), encode_item(&image.to_item()?));
    }
    if let Some(image) = &r.old_image {
        change.insert("OldImage".into(), encode_item(&image.to_item()?));
    }
    change.insert("SequenceNumber".into(), json!(r.sequence_number));
    change.insert("SizeBytes".into(), json!(r.size_bytes));
    change.insert("StreamViewType".into(), json!(r.view_type.as_str()));
    let mut out = Map::new();
    out.insert("eventID".into(), json!(r.event_id));
    out.insert("eventName".into(), json!(r.event_name.as_str()));
    out.insert("eventVersion".into(), json!("1.1"));
    out.insert("eventSource".into(), json!("aws:dynamodb"));
    out.insert("awsRegion".into(), json!(r.aws_region));
    out.insert("dynamodb".into(), Json::Object(change));
    if let Some(identity) = &r.user_identity {
        out.insert(
            "userIdentity".into(),
            json!({"PrincipalId": identity.principal_id, "Type": identity.kind}),
        );
    }
    Ok(Json::Object(out))
}
