//! DynamoBackend's stream calls on DynamoDB Streams (aws-sdk-dynamodbstreams): ListStreams,
//! DescribeStream, GetShardIterator and GetRecords, their answers converted into orm-core's
//! neutral ones, their errors mapped by code.
//!
//! The streams client shares the DynamoDB client's region, credentials, HTTP client, retry and
//! timeout settings, and the endpoint given to [`DynamoBackendBuilder::endpoint_url`]
//! (DynamoDB Local answers both services on one endpoint).
//!
//! [`DynamoBackendBuilder::endpoint_url`]: crate::DynamoBackendBuilder::endpoint_url

use crate::DynamoBackend;
use aws_sdk_dynamodbstreams::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodbstreams::primitives::DateTime;
use aws_sdk_dynamodbstreams::types::{
    AttributeValue, KeyType, OperationType, Record, Shard as SdkShard,
    ShardIteratorType as SdkPosition, StreamStatus as SdkStatus, StreamViewType as SdkView,
};
use aws_sdk_dynamodbstreams::{Client, Error as StreamsError};
use orm_core::backend::{
    ChangeKind, DescribeStream, GetRecords, GetRecordsOutput, GetShardIterator, ListStreams,
    ListStreamsOutput, RawItem, Shard, ShardIteratorType, StreamDescription, StreamRecord,
    StreamStatus, StreamSummary, StreamViewType, UserIdentity,
};
use orm_core::error::{BoxError, Error, Result};
use orm_core::{Item, Number, Value};
use std::collections::HashMap;
use std::fmt::Debug;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::Instrument;

/// A DynamoDB Streams client: `base` (its credentials: from the same aws-config chain or the
/// same static keys as the DynamoDB client's), with the DynamoDB client's region, HTTP client,
/// retry, timeout, sleep and time settings, on `endpoint_url` when given. (The SDK does not
/// hand out a client's credentials, so they come from `base`.)
pub(crate) fn streams_config(
    mut base: aws_sdk_dynamodbstreams::config::Builder,
    client: &aws_sdk_dynamodb::Client,
    endpoint_url: Option<&str>,
) -> Client {
    let config = client.config();
    base.set_behavior_version(Some(
        aws_sdk_dynamodbstreams::config::BehaviorVersion::latest(),
    ));
    base.set_region(
        config
            .region()
            .map(|r| aws_sdk_dynamodbstreams::config::Region::new(r.to_string())),
    );
    if let Some(http) = config.http_client() {
        base.set_http_client(Some(http));
    }
    if let Some(retry) = config.retry_config() {
        base.set_retry_config(Some(retry.clone()));
    }
    if let Some(timeouts) = config.timeout_config() {
        base.set_timeout_config(Some(timeouts.clone()));
    }
    if let Some(sleep) = config.sleep_impl() {
        base.set_sleep_impl(Some(sleep));
    }
    if let Some(time) = config.time_source() {
        base.set_time_source(Some(time));
    }
    if let Some(url) = endpoint_url {
        base.set_endpoint_url(Some(url.to_owned()));
    }
    Client::from_conf(base.build())
}

/// The streams client of a backend made from a bare DynamoDB client: credentials from the
/// aws-config default chain.
pub(crate) async fn default_streams_client(client: &aws_sdk_dynamodb::Client) -> Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(region) = client.config().region() {
        loader = loader.region(aws_config::Region::new(region.to_string()));
    }
    let sdk = loader.load().await;
    streams_config((&sdk).into(), client, None)
}

/// Runs one streams call in a traced span.
async fn traced<T, E, R>(
    operation: &'static str,
    call: impl std::future::Future<Output = std::result::Result<T, SdkError<E, R>>>,
) -> Result<T>
where
    E: Into<StreamsError> + std::error::Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    let span = tracing::debug_span!("dynamodb_streams", operation);
    call.instrument(span)
        .await
        .map_err(|e| map_streams_error(operation, e))
}

impl DynamoBackend {
    /// ListStreams, with the table prefix added to the table asked for and taken off the tables
    /// listed (streams of tables outside the prefix are left out).
    pub(crate) async fn list_streams_call(
        &self,
        request: &ListStreams,
    ) -> Result<ListStreamsOutput> {
        let out = traced(
            "ListStreams",
            self.streams()
                .await
                .list_streams()
                .set_table_name(request.table.as_deref().map(|t| self.table_name(t)))
                .set_limit(request.limit.map(limit))
                .set_exclusive_start_stream_arn(request.exclusive_start_stream_arn.clone())
                .send(),
        )
        .await?;
        let streams = out
            .streams
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| {
                Some(StreamSummary {
                    table: self.logical(s.table_name?)?,
                    stream_arn: s.stream_arn?,
                    label: s.stream_label.unwrap_or_default(),
                })
            })
            .collect();
        Ok(ListStreamsOutput {
            streams,
            last_evaluated_stream_arn: out.last_evaluated_stream_arn,
        })
    }

    /// DescribeStream.
    pub(crate) async fn describe_stream_call(
        &self,
        request: &DescribeStream,
    ) -> Result<StreamDescription> {
        let out = traced(
            "DescribeStream",
            self.streams()
                .await
                .describe_stream()
                .stream_arn(&request.stream_arn)
                .set_limit(request.limit.map(limit))
                .set_exclusive_start_shard_id(request.exclusive_start_shard_id.clone())
                .send(),
        )
        .await?;
        let d = out
            .stream_description
            .ok_or_else(|| missing("DescribeStream", "StreamDescription"))?;
        let key = |kind: KeyType| {
            d.key_schema
                .iter()
                .flatten()
                .find(|k| k.key_type == kind)
                .map(|k| k.attribute_name.clone())
        };
        let table = d.table_name.clone().unwrap_or_default();
        Ok(StreamDescription {
            stream_arn: d
                .stream_arn
                .clone()
                .unwrap_or_else(|| request.stream_arn.clone()),
            label: d.stream_label.clone().unwrap_or_default(),
            status: status(d.stream_status.as_ref()),
            view_type: view_type(d.stream_view_type.as_ref())?,
            created: d.creation_request_date_time.map_or(UNIX_EPOCH, system_time),
            table: self.logical(table.clone()).unwrap_or(table),
            partition_key: key(KeyType::Hash).unwrap_or_default(),
            sort_key: key(KeyType::Range),
            shards: d
                .shards
                .unwrap_or_default()
                .into_iter()
                .map(shard)
                .collect(),
            last_evaluated_shard_id: d.last_evaluated_shard_id,
        })
    }

    /// GetShardIterator.
    pub(crate) async fn get_shard_iterator_call(
        &self,
        request: &GetShardIterator,
    ) -> Result<String> {
        let (kind, sequence) = match &request.position {
            ShardIteratorType::TrimHorizon => (SdkPosition::TrimHorizon, None),
            ShardIteratorType::Latest => (SdkPosition::Latest, None),
            ShardIteratorType::AtSequenceNumber(s) => (SdkPosition::AtSequenceNumber, Some(s)),
            ShardIteratorType::AfterSequenceNumber(s) => {
                (SdkPosition::AfterSequenceNumber, Some(s))
            }
        };
        let out = traced(
            "GetShardIterator",
            self.streams()
                .await
                .get_shard_iterator()
                .stream_arn(&request.stream_arn)
                .shard_id(&request.shard_id)
                .shard_iterator_type(kind)
                .set_sequence_number(sequence.cloned())
                .send(),
        )
        .await?;
        out.shard_iterator
            .ok_or_else(|| missing("GetShardIterator", "ShardIterator"))
    }

    /// GetRecords.
    pub(crate) async fn get_records_call(&self, request: &GetRecords) -> Result<GetRecordsOutput> {
        let out = traced(
            "GetRecords",
            self.streams()
                .await
                .get_records()
                .shard_iterator(&request.shard_iterator)
                .set_limit(request.limit.map(limit))
                .send(),
        )
        .await?;
        Ok(GetRecordsOutput {
            records: out
                .records
                .unwrap_or_default()
                .into_iter()
                .map(record)
                .collect::<Result<_>>()?,
            next_shard_iterator: out.next_shard_iterator,
        })
    }

    /// The table name the caller uses for the DynamoDB table `full` (the prefix taken off), or
    /// `None` for a table outside the prefix.
    fn logical(&self, full: String) -> Option<String> {
        full.strip_prefix(self.table_prefix()).map(str::to_owned)
    }
}

fn limit(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn missing(operation: &'static str, member: &str) -> Error {
    Error::backend(
        operation,
        false,
        format!("DynamoDB Streams answered without {member}"),
    )
}

fn system_time(t: DateTime) -> SystemTime {
    let secs = t.secs();
    let since = Duration::new(secs.unsigned_abs(), t.subsec_nanos());
    if secs >= 0 {
        UNIX_EPOCH + since
    } else {
        UNIX_EPOCH - since
    }
}

fn status(s: Option<&SdkStatus>) -> StreamStatus {
    s.and_then(|s| StreamStatus::from_name(s.as_str()))
        .unwrap_or(StreamStatus::Disabled)
}

fn view_type(v: Option<&SdkView>) -> Result<StreamViewType> {
    let name = v.map(SdkView::as_str).unwrap_or_default();
    StreamViewType::from_name(name).ok_or_else(|| {
        Error::backend(
            "GetRecords",
            false,
            format!("DynamoDB Streams answered an unknown StreamViewType {name:?}"),
        )
    })
}

fn shard(s: SdkShard) -> Shard {
    let range = s
        .sequence_number_range
        .unwrap_or_else(|| aws_sdk_dynamodbstreams::types::SequenceNumberRange::builder().build());
    Shard {
        shard_id: s.shard_id.unwrap_or_default(),
        parent_shard_id: s.parent_shard_id,
        starting_sequence_number: range.starting_sequence_number.unwrap_or_default(),
        ending_sequence_number: range.ending_sequence_number,
    }
}

/// One record of a GetRecords answer.
fn record(r: Record) -> Result<StreamRecord> {
    let event_name = match r.event_name {
        Some(OperationType::Insert) => ChangeKind::Insert,
        Some(OperationType::Modify) => ChangeKind::Modify,
        Some(OperationType::Remove) => ChangeKind::Remove,
        other => {
            return Err(Error::backend(
                "GetRecords",
                false,
                format!("DynamoDB Streams answered an unknown eventName {other:?}"),
            ))
        }
    };
    let d = r
        .dynamodb
        .ok_or_else(|| missing("GetRecords", "a record's dynamodb"))?;
    let view_type = view_type(d.stream_view_type.as_ref())?;
    Ok(StreamRecord {
        event_id: r.event_id.unwrap_or_default(),
        event_name,
        aws_region: r.aws_region.unwrap_or_default(),
        approximate_creation: d
            .approximate_creation_date_time
            .map_or(UNIX_EPOCH, system_time),
        keys: item(d.keys.unwrap_or_default())?,
        new_image: d.new_image.map(item).transpose()?.map(RawItem::Item),
        old_image: d.old_image.map(item).transpose()?.map(RawItem::Item),
        sequence_number: d.sequence_number.unwrap_or_default(),
        size_bytes: d
            .size_bytes
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0),
        view_type,
        user_identity: r.user_identity.map(|i| UserIdentity {
            kind: i.r#type.unwrap_or_default(),
            principal_id: i.principal_id.unwrap_or_default(),
        }),
    })
}

/// A stream image.
fn item(map: HashMap<String, AttributeValue>) -> Result<Item> {
    let mut entries = Vec::with_capacity(map.len());
    for (name, value) in map {
        entries.push((name, value_of(value)?));
    }
    Ok(Item::from_unsorted(entries))
}

/// A stream attribute value (the same shape as DynamoDB's, another SDK type), numbers exact.
fn value_of(value: AttributeValue) -> Result<Value> {
    let number = |text: String| {
        Number::parse_owned(text).map_err(|e| {
            Error::backend(
                "GetRecords",
                false,
                format!("DynamoDB Streams returned an invalid number: {e}"),
            )
        })
    };
    Ok(match value {
        AttributeValue::S(s) => Value::S(s),
        AttributeValue::N(n) => Value::N(number(n)?),
        AttributeValue::B(b) => Value::B(b.into_inner()),
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(l) => Value::L(l.into_iter().map(value_of).collect::<Result<_>>()?),
        AttributeValue::M(m) => Value::M(item(m)?.into_inner()),
        AttributeValue::Ss(s) => Value::Ss(s.into_iter().collect()),
        AttributeValue::Ns(s) => Value::Ns(s.into_iter().map(number).collect::<Result<_>>()?),
        AttributeValue::Bs(s) => Value::Bs(s.into_iter().map(|b| b.into_inner()).collect()),
        other => {
            return Err(Error::backend(
                "GetRecords",
                false,
                format!("unsupported attribute value type from DynamoDB Streams: {other:?}"),
            ))
        }
    })
}

/// Maps a DynamoDB Streams SDK error onto [`Error`], by service error code.
fn map_streams_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> Error
where
    E: Into<StreamsError> + std::error::Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    let service = match error {
        SdkError::ServiceError(context) => context.into_err().into(),
        SdkError::DispatchFailure(ref failure) => {
            let retryable = !failure.is_user();
            return Error::backend(operation, retryable, Box::new(error) as BoxError);
        }
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            return Error::backend(operation, true, Box::new(error) as BoxError)
        }
        other => return Error::backend(operation, false, Box::new(other) as BoxError),
    };
    map_service_error(operation, service)
}

fn map_service_error(operation: &'static str, error: StreamsError) -> Error {
    let code = error.code().unwrap_or_default().to_owned();
    let message = match error.message() {
        Some(m) if !m.is_empty() => m.to_owned(),
        _ => code.clone(),
    };
    let source = Some(Box::new(error) as BoxError);
    let backend = |retryable: bool, source: Option<BoxError>| Error::Backend {
        operation: operation.to_owned(),
        retryable,
        source: source.expect("the service error"),
    };
    match code.as_str() {
        "ExpiredIteratorException" => Error::ExpiredIterator { message, source },
        "TrimmedDataAccessException" => Error::TrimmedData { message, source },
        "ResourceNotFoundException" => Error::StreamNotFound { message, source },
        "ValidationException" => Error::ServiceValidation {
            operation: operation.to_owned(),
            message,
            source,
        },
        "LimitExceededException"
        | "ThrottlingException"
        | "ProvisionedThroughputExceededException" => Error::Throttled { message },
        "InternalServerError" | "InternalFailure" | "ServiceUnavailable" => backend(true, source),
        _ => backend(false, source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::error::ErrorMetadata;
    use aws_sdk_dynamodbstreams::types::StreamRecord as SdkRecord;

    fn service(code: &str, message: &str) -> Error {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        map_service_error(
            "GetRecords",
            aws_sdk_dynamodbstreams::operation::get_records::GetRecordsError::generic(meta).into(),
        )
    }

    #[test]
    fn errors_map_by_code() {
        assert!(matches!(
            service("ExpiredIteratorException", "x"),
            Error::ExpiredIterator { .. }
        ));
        assert!(matches!(
            service("TrimmedDataAccessException", "x"),
            Error::TrimmedData { .. }
        ));
        assert!(matches!(
            service("ResourceNotFoundException", "Stream does not exist"),
            Error::StreamNotFound { message, .. } if message == "Stream does not exist"
        ));
        assert!(matches!(
            service("ValidationException", "Invalid ShardIterator"),
            Error::ServiceValidation { operation, message, .. }
                if operation == "GetRecords" && message == "Invalid ShardIterator"
        ));
        assert!(matches!(
            service("LimitExceededException", "x"),
            Error::Throttled { .. }
        ));
        assert!(service("InternalServerError", "x").is_retryable());
        assert!(!service("Weird", "x").is_retryable());
    }

    #[test]
    fn records_convert_with_exact_numbers() {
        let keys = HashMap::from([("pk".to_string(), AttributeValue::S("a".into()))]);
        let image = HashMap::from([
            ("pk".to_string(), AttributeValue::S("a".into())),
            (
                "n".to_string(),
                AttributeValue::N("12345678901234567890.123456789012345678".into()),
            ),
            (
                "l".to_string(),
                AttributeValue::L(vec![AttributeValue::Bool(true)]),
            ),
        ]);
        let r = Record::builder()
            .event_id("e1")
            .event_name(OperationType::Remove)
            .aws_region("eu-west-1")
            .dynamodb(
                SdkRecord::builder()
                    .set_keys(Some(keys))
                    .set_old_image(Some(image))
                    .sequence_number("000000000000000000001")
                    .size_bytes(42)
                    .stream_view_type(SdkView::OldImage)
                    .approximate_creation_date_time(DateTime::from_secs(1_700_000_000))
                    .build(),
            )
            .user_identity(
                aws_sdk_dynamodbstreams::types::Identity::builder()
                    .r#type("Service")
                    .principal_id("dynamodb.amazonaws.com")
                    .build(),
            )
            .build();
        let r = record(r).unwrap();
        assert_eq!(r.event_name, ChangeKind::Remove);
        assert!(r.is_ttl_deletion());
        assert_eq!(r.keys, Item::new().with("pk", "a"));
        let old = r.old_image.unwrap().into_item().unwrap();
        assert_eq!(
            old.get("n"),
            Some(&Value::N(
                Number::parse("12345678901234567890.123456789012345678").unwrap()
            ))
        );
        assert_eq!(r.view_type, StreamViewType::OldImage);
        assert_eq!(r.size_bytes, 42);
        assert_eq!(
            r.approximate_creation,
            UNIX_EPOCH + Duration::from_secs(1_700_000_000)
        );
    }
}
