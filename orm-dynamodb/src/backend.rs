//! `impl Backend for DynamoBackend`: each method takes the SDK request built in `request.rs`,
//! sends it as one traced call ([`Call`]: a `dynamodb` span with OpenTelemetry's attribute names, error type) and decodes the
//! answer.

use crate::convert::{item_from_attributes, opt_item, AttributeMap};
use crate::error_map::{build_error, map_sdk_error};
use crate::item_reader::SdkItem;
use crate::schema::{create_table_parts, definition_from_description, update_table_parts};
use crate::DynamoBackend;
use async_trait::async_trait;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::operation::RequestId;
use aws_sdk_dynamodb::types::{
    BillingMode, ConsumedCapacity, IndexStatus, ReturnConsumedCapacity, Select, TableDescription,
    TableStatus, TimeToLiveSpecification, TimeToLiveStatus, WriteRequest as SdkWriteRequest,
};
use aws_sdk_dynamodb::Error as ServiceError;
use orm_core::backend::{
    Backend, BatchGet, BatchGetOutput, BatchWrite, BatchWriteOutput, Capabilities, DeleteItem,
    DescribeStream, GetItem, GetRecords, GetRecordsOutput, GetShardIterator, ListStreams,
    ListStreamsOutput, PutItem, QueryOutput, QueryRequest, RawItem, ScanRequest, StreamDescription,
    TableDefinition, TransactGet, TransactWrite, UpdateItem, UpdateTable, WriteRequest,
};
use orm_core::capacity::{Capacity, CapacityMode, CapacityRecorder, ConsumedCapacity as Consumed};
use orm_core::error::{Error, Result};
use orm_core::Item;
use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, Instant};
use tracing::field::Empty;
use tracing::{Instrument, Span};

/// How long create_table / delete_table wait for the table to settle.
const TABLE_WAIT: Duration = Duration::from_secs(600);

/// One traced SDK call: a `dynamodb` span carrying OpenTelemetry's semantic-convention attribute
/// names for DynamoDB clients (docs/observability.md has the mapping): names and counts, never
/// attribute values.
struct Call {
    span: Span,
    operation: &'static str,
    /// The table(s) as the caller named them, for error mapping.
    table: String,
    /// Where the request asked its consumed capacity to go, if it did.
    recorder: Option<CapacityRecorder>,
}

/// The result of an SDK call.
type SdkResult<T, E> = std::result::Result<T, SdkError<E, HttpResponse>>;

/// An SDK request (fluent builder) that a [`Call`] sends: the SDK's builders have the same
/// `send` (and, the item operations, the same `ReturnConsumedCapacity` setter and answer field)
/// but no common trait, so [`sdk_requests!`] implements this one through their own methods.
trait SdkRequest: Sized + Send {
    /// The operation's answer.
    type Output: RequestId;
    /// The operation's error.
    type Error: Into<ServiceError> + std::error::Error + Send + Sync + 'static;
    /// The request with `ReturnConsumedCapacity` set to `mode` (an operation that reports no
    /// capacity, as it is).
    fn return_consumed_capacity(self, mode: ReturnConsumedCapacity) -> Self;
    /// Sends the request.
    fn send(self) -> impl Future<Output = SdkResult<Self::Output, Self::Error>> + Send;
    /// The `ConsumedCapacity` of the answer (one, several for a batch or a transaction, or none).
    fn consumed_capacity(out: &Self::Output) -> &[ConsumedCapacity];
}

/// Implements [`SdkRequest`] for the SDK's fluent builders, each with how its operation reports
/// capacity: `one` `ConsumedCapacity`, `many` (a batch or a transaction), or `none` (table
/// management).
macro_rules! sdk_requests {
    ($($operation:ident::{$builder:ident, $output:ident, $error:ident}: $capacity:ident),* $(,)?) => {$(
        impl SdkRequest for aws_sdk_dynamodb::operation::$operation::builders::$builder {
            type Output = aws_sdk_dynamodb::operation::$operation::$output;
            type Error = aws_sdk_dynamodb::operation::$operation::$error;
            sdk_requests!(@capacity $capacity);
            fn send(self) -> impl Future<Output = SdkResult<Self::Output, Self::Error>> + Send {
                self.send()
            }
        }
    )*};
    (@capacity none) => {
        fn return_consumed_capacity(self, _: ReturnConsumedCapacity) -> Self {
            self
        }
        fn consumed_capacity(_: &Self::Output) -> &[ConsumedCapacity] {
            &[]
        }
    };
    (@capacity one) => {
        fn return_consumed_capacity(self, mode: ReturnConsumedCapacity) -> Self {
            self.return_consumed_capacity(mode)
        }
        fn consumed_capacity(out: &Self::Output) -> &[ConsumedCapacity] {
            out.consumed_capacity.as_slice()
        }
    };
    (@capacity many) => {
        fn return_consumed_capacity(self, mode: ReturnConsumedCapacity) -> Self {
            self.return_consumed_capacity(mode)
        }
        fn consumed_capacity(out: &Self::Output) -> &[ConsumedCapacity] {
            out.consumed_capacity.as_deref().unwrap_or_default()
        }
    };
}

sdk_requests!(
    get_item::{GetItemFluentBuilder, GetItemOutput, GetItemError}: one,
    put_item::{PutItemFluentBuilder, PutItemOutput, PutItemError}: one,
    update_item::{UpdateItemFluentBuilder, UpdateItemOutput, UpdateItemError}: one,
    delete_item::{DeleteItemFluentBuilder, DeleteItemOutput, DeleteItemError}: one,
    query::{QueryFluentBuilder, QueryOutput, QueryError}: one,
    scan::{ScanFluentBuilder, ScanOutput, ScanError}: one,
    batch_get_item::{BatchGetItemFluentBuilder, BatchGetItemOutput, BatchGetItemError}: many,
    batch_write_item::{BatchWriteItemFluentBuilder, BatchWriteItemOutput, BatchWriteItemError}: many,
    transact_get_items::{TransactGetItemsFluentBuilder, TransactGetItemsOutput, TransactGetItemsError}: many,
    transact_write_items::{TransactWriteItemsFluentBuilder, TransactWriteItemsOutput, TransactWriteItemsError}: many,
    create_table::{CreateTableFluentBuilder, CreateTableOutput, CreateTableError}: none,
    describe_table::{DescribeTableFluentBuilder, DescribeTableOutput, DescribeTableError}: none,
    delete_table::{DeleteTableFluentBuilder, DeleteTableOutput, DeleteTableError}: none,
    update_table::{UpdateTableFluentBuilder, UpdateTableOutput, UpdateTableError}: none,
    update_time_to_live::{UpdateTimeToLiveFluentBuilder, UpdateTimeToLiveOutput, UpdateTimeToLiveError}: none,
    describe_time_to_live::{DescribeTimeToLiveFluentBuilder, DescribeTimeToLiveOutput, DescribeTimeToLiveError}: none,
);

/// A single-item write (PutItem, UpdateItem, DeleteItem): the table it names and the attributes
/// its answer returned (`ReturnValues`).
trait ItemWrite: SdkRequest {
    /// The table name as sent.
    fn table(&self) -> &str;
    /// The answer's `Attributes`.
    fn attributes(out: Self::Output) -> Option<AttributeMap>;
}

/// Implements [`ItemWrite`] for the single-item write builders (the same getter and answer
/// field, no common trait).
macro_rules! item_writes {
    ($($builder:ty),* $(,)?) => {$(
        impl ItemWrite for $builder {
            fn table(&self) -> &str {
                full(self.get_table_name())
            }
            fn attributes(out: Self::Output) -> Option<AttributeMap> {
                out.attributes
            }
        }
    )*};
}

item_writes!(
    aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder,
    aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder,
);

/// A Query or Scan: the table it names, its read parameters, and the parts of its answer that
/// make a page (`Items`, `Count` and `ScannedCount`, `LastEvaluatedKey`).
trait PagedRead: SdkRequest {
    /// The table name as sent.
    fn table(&self) -> &str;
    /// The read parameters OpenTelemetry's DynamoDB conventions name.
    fn read_parameters(&self) -> ReadParameters<'_>;
    /// The answer's items, `[Count, ScannedCount]` and `LastEvaluatedKey`.
    fn page(out: Self::Output) -> PageParts;
}

/// A Query's or Scan's answer as [`PagedRead::page`] gives it.
type PageParts = (Option<Vec<AttributeMap>>, [i32; 2], Option<AttributeMap>);

/// Implements [`PagedRead`] for the Query and Scan builders (the same getters and answer fields,
/// no common trait); `{ parameter: getter }` are the read parameters only that one has.
macro_rules! paged_reads {
    ($($builder:ty { $($own:ident: $getter:ident),* }),* $(,)?) => {$(
        impl PagedRead for $builder {
            fn table(&self) -> &str {
                full(self.get_table_name())
            }
            fn read_parameters(&self) -> ReadParameters<'_> {
                ReadParameters {
                    consistent_read: self.get_consistent_read().as_ref().copied(),
                    limit: self.get_limit().as_ref().copied(),
                    projection: self.get_projection_expression().as_deref(),
                    select: self.get_select().as_ref(),
                    $($own: self.$getter().as_ref().copied(),)*
                    ..ReadParameters::default()
                }
            }
            fn page(out: Self::Output) -> PageParts {
                (out.items, [out.count, out.scanned_count], out.last_evaluated_key)
            }
        }
    )*};
}

paged_reads!(
    aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        scan_forward: get_scan_index_forward
    },
    aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder {
        segment: get_segment,
        total_segments: get_total_segments
    },
);

/// The span name OpenTelemetry's AWS SDK conventions give a DynamoDB call (`Service.Operation`).
fn otel_name(operation: &'static str) -> &'static str {
    match operation {
        "GetItem" => "DynamoDB.GetItem",
        "PutItem" => "DynamoDB.PutItem",
        "UpdateItem" => "DynamoDB.UpdateItem",
        "DeleteItem" => "DynamoDB.DeleteItem",
        "Query" => "DynamoDB.Query",
        "Scan" => "DynamoDB.Scan",
        "BatchGetItem" => "DynamoDB.BatchGetItem",
        "BatchWriteItem" => "DynamoDB.BatchWriteItem",
        "TransactGetItems" => "DynamoDB.TransactGetItems",
        "TransactWriteItems" => "DynamoDB.TransactWriteItems",
        "CreateTable" => "DynamoDB.CreateTable",
        "DescribeTable" => "DynamoDB.DescribeTable",
        "DeleteTable" => "DynamoDB.DeleteTable",
        "UpdateTable" => "DynamoDB.UpdateTable",
        "UpdateTimeToLive" => "DynamoDB.UpdateTimeToLive",
        "DescribeTimeToLive" => "DynamoDB.DescribeTimeToLive",
        _ => "DynamoDB",
    }
}

impl Call {
    fn new(operation: &'static str, logical: &str, full: &str, index: Option<&str>) -> Call {
        let span = tracing::debug_span!(
            "dynamodb",
            otel.name = otel_name(operation),
            otel.kind = "client",
            otel.status_code = Empty,
            db.system.name = "aws.dynamodb",
            db.operation.name = operation,
            rpc.system = "aws-api",
            rpc.service = "DynamoDB",
            rpc.method = operation,
            aws.dynamodb.table_names = full,
            aws.dynamodb.index_name = index,
            aws.dynamodb.consistent_read = Empty,
            aws.dynamodb.limit = Empty,
            aws.dynamodb.projection = Empty,
            aws.dynamodb.select = Empty,
            aws.dynamodb.scan_forward = Empty,
            aws.dynamodb.segment = Empty,
            aws.dynamodb.total_segments = Empty,
            aws.dynamodb.count = Empty,
            aws.dynamodb.scanned_count = Empty,
            aws.dynamodb.consumed_capacity = Empty,
            aws.request_id = Empty,
            db.response.returned_rows = Empty,
            db.operation.batch.size = Empty,
            orm.capacity_units = Empty,
            error.type = Empty,
        );
        Call {
            span,
            operation,
            table: logical.to_owned(),
            recorder: None,
        }
    }

    /// The call, reporting its consumed capacity to `recorder` (the request's) too.
    fn recording(mut self, recorder: Option<&CapacityRecorder>) -> Call {
        self.recorder = recorder.cloned();
        self
    }

    /// Ask for consumed capacity only when someone listens: the request's recorder (in its
    /// mode), or the span.
    fn capacity(&self) -> Option<ReturnConsumedCapacity> {
        match &self.recorder {
            Some(r) => Some(match r.mode() {
                CapacityMode::Total => ReturnConsumedCapacity::Total,
                CapacityMode::Indexes => ReturnConsumedCapacity::Indexes,
            }),
            None => (!self.span.is_disabled()).then_some(ReturnConsumedCapacity::Total),
        }
    }

    /// Sends `sdk` inside the call's span, asking for its consumed capacity when
    /// [`Call::capacity`] says to (otherwise the request is left as it is: capacity reporting
    /// off adds no work to a call); records the request id, the error or the consumed capacity.
    async fn send<R: SdkRequest>(&self, sdk: R) -> Result<R::Output> {
        let sdk = match self.capacity() {
            Some(mode) => sdk.return_consumed_capacity(mode),
            None => sdk,
        };
        // The SDK's future is large (kilobytes): boxed, it is built in place once instead of
        // being moved into each enclosing future (callgrind: ~9 thousand instructions of
        // `memcpy` per put).
        let out = self.result(Box::pin(sdk.send()).instrument(self.span.clone()).await)?;
        self.consumed(R::consumed_capacity(&out));
        Ok(out)
    }

    /// Whether the operation reads (its capacity units are read units when DynamoDB does
    /// not say which).
    fn reads(&self) -> bool {
        matches!(
            self.operation,
            "GetItem" | "Query" | "Scan" | "BatchGetItem" | "TransactGetItems"
        )
    }

    /// Records the read parameters of a GetItem, Query or Scan that have a convention
    /// (`aws.dynamodb.consistent_read`, `limit`, `projection`, `select`, `scan_forward`,
    /// `segment`, `total_segments`). The projection is a list of attribute names (or their
    /// `#placeholders`), never a value.
    fn read_parameters(&self, read: ReadParameters<'_>) {
        if self.span.is_disabled() {
            return;
        }
        let span = &self.span;
        if let Some(v) = read.consistent_read {
            span.record("aws.dynamodb.consistent_read", v);
        }
        if let Some(v) = read.limit {
            span.record("aws.dynamodb.limit", i64::from(v));
        }
        if let Some(v) = read.projection {
            span.record("aws.dynamodb.projection", v);
        }
        if let Some(v) = read.select {
            span.record("aws.dynamodb.select", v.as_str());
        }
        if let Some(v) = read.scan_forward {
            span.record("aws.dynamodb.scan_forward", v);
        }
        if let Some(v) = read.segment {
            span.record("aws.dynamodb.segment", i64::from(v));
        }
        if let Some(v) = read.total_segments {
            span.record("aws.dynamodb.total_segments", i64::from(v));
        }
    }

    /// Maps an SDK result, recording the request id (and the error type on failure).
    fn result<T, E>(&self, result: std::result::Result<T, SdkError<E, HttpResponse>>) -> Result<T>
    where
        T: RequestId,
        E: Into<ServiceError> + std::error::Error + Send + Sync + 'static,
    {
        if !self.span.is_disabled() {
            let id = match &result {
                Ok(out) => out.request_id(),
                Err(e) => e.request_id(),
            };
            if let Some(id) = id {
                self.span.record("aws.request_id", id);
            }
        }
        result.map_err(|e| self.fail(map_sdk_error(self.operation, &self.table, e)))
    }

    /// `db.response.returned_rows`: the items a read (or a write's `ReturnValues`) returned.
    /// Counts are recorded as `i64`: tracing-opentelemetry exports a `u64` field as text.
    fn returned_rows(&self, rows: usize) {
        self.span.record("db.response.returned_rows", rows as i64);
    }

    /// `db.operation.batch.size`: the requests of a batch or the actions of a transaction.
    fn batch_size(&self, size: usize) {
        self.span.record("db.operation.batch.size", size as i64);
    }

    /// Records the `ConsumedCapacity` DynamoDB returned: `aws.dynamodb.consumed_capacity` (its
    /// JSON, one object, or an array of them for a batch or a transaction) and
    /// `orm.capacity_units` (their total, a number dashboards can sum).
    fn consumed(&self, capacity: &[ConsumedCapacity]) {
        if let Some(recorder) = &self.recorder {
            for c in capacity {
                recorder.record(&consumed_capacity(c, self.reads()));
            }
        }
        if capacity.is_empty() || self.span.is_disabled() {
            return;
        }
        let total: f64 = capacity.iter().filter_map(|c| c.capacity_units).sum();
        self.span.record("orm.capacity_units", total);
        self.span
            .record("aws.dynamodb.consumed_capacity", capacity_json(capacity));
    }

    /// Records a failure: `error.type` (the error kind) and the span's status.
    fn fail(&self, e: Error) -> Error {
        self.span.record("error.type", error_kind(&e));
        self.span.record("otel.status_code", "ERROR");
        e
    }
}

/// DynamoDB's `ConsumedCapacity` as orm-core's: the units DynamoDB names, and `CapacityUnits`
/// as read units (`reads`) or write units where it names neither.
fn consumed_capacity(c: &ConsumedCapacity, reads: bool) -> Consumed {
    let total = c.capacity_units.unwrap_or(0.0);
    let (read, write) = match (c.read_capacity_units, c.write_capacity_units) {
        (None, None) if reads => (total, 0.0),
        (None, None) => (0.0, total),
        (r, w) => (r.unwrap_or(0.0), w.unwrap_or(0.0)),
    };
    fn capacity(c: &aws_sdk_dynamodb::types::Capacity) -> Capacity {
        Capacity {
            capacity_units: c.capacity_units.unwrap_or(0.0),
            read_units: c.read_capacity_units.unwrap_or(0.0),
            write_units: c.write_capacity_units.unwrap_or(0.0),
        }
    }
    let by_name = |map: &Option<std::collections::HashMap<String, _>>| {
        map.iter()
            .flatten()
            .map(|(name, c)| (name.clone(), capacity(c)))
            .collect()
    };
    Consumed {
        table: c.table_name.clone().unwrap_or_default(),
        capacity_units: total,
        read_units: read,
        write_units: write,
        table_capacity: c.table.as_ref().map(capacity),
        global_indexes: by_name(&c.global_secondary_indexes),
        local_indexes: by_name(&c.local_secondary_indexes),
    }
}

/// The read parameters of a request that OpenTelemetry's DynamoDB conventions name.
#[derive(Default)]
struct ReadParameters<'a> {
    consistent_read: Option<bool>,
    limit: Option<i32>,
    projection: Option<&'a str>,
    select: Option<&'a Select>,
    scan_forward: Option<bool>,
    segment: Option<i32>,
    total_segments: Option<i32>,
}

/// `ConsumedCapacity` as DynamoDB's JSON (one object, or an array of several): the value of
/// `aws.dynamodb.consumed_capacity`. Numbers and names only; table and index names need no
/// escaping (DynamoDB allows `[a-zA-Z0-9_.-]` in them).
fn capacity_json(capacity: &[ConsumedCapacity]) -> String {
    use std::fmt::Write;
    /// `"CapacityUnits":..,"ReadCapacityUnits":..,"WriteCapacityUnits":..` (those present),
    /// the first one preceded by `sep`.
    fn unit_fields(out: &mut String, units: [Option<f64>; 3], mut sep: &str) {
        let names = ["CapacityUnits", "ReadCapacityUnits", "WriteCapacityUnits"];
        for (name, v) in names.into_iter().zip(units) {
            if let Some(v) = v {
                let _ = write!(out, "{sep}\"{name}\":{v}");
                sep = ",";
            }
        }
    }
    fn units(out: &mut String, c: &aws_sdk_dynamodb::types::Capacity) {
        out.push('{');
        let values = [
            c.capacity_units,
            c.read_capacity_units,
            c.write_capacity_units,
        ];
        unit_fields(out, values, "");
        out.push('}');
    }
    fn indexes(
        out: &mut String,
        name: &str,
        map: &Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::Capacity>>,
    ) {
        let Some(map) = map.as_ref().filter(|m| !m.is_empty()) else {
            return;
        };
        let mut names: Vec<&String> = map.keys().collect();
        names.sort();
        let _ = write!(out, ",\"{name}\":{{");
        for (i, index) in names.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "\"{index}\":");
            units(out, &map[index]);
        }
        out.push('}');
    }
    let mut out = String::new();
    if capacity.len() > 1 {
        out.push('[');
    }
    for (i, c) in capacity.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"TableName\":\"{}\"",
            c.table_name.as_deref().unwrap_or_default()
        );
        let values = [
            c.capacity_units,
            c.read_capacity_units,
            c.write_capacity_units,
        ];
        unit_fields(&mut out, values, ",");
        if let Some(table) = &c.table {
            out.push_str(",\"Table\":");
            units(&mut out, table);
        }
        indexes(
            &mut out,
            "GlobalSecondaryIndexes",
            &c.global_secondary_indexes,
        );
        indexes(
            &mut out,
            "LocalSecondaryIndexes",
            &c.local_secondary_indexes,
        );
        out.push('}');
    }
    if capacity.len() > 1 {
        out.push(']');
    }
    out
}

/// The table name a request builder was given (always set by [`crate::request`]).
fn full(table_name: &Option<String>) -> &str {
    table_name.as_deref().unwrap_or_default()
}

fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::ConditionFailed { .. } => "ConditionFailed",
        Error::TransactionCanceled { .. } => "TransactionCanceled",
        Error::Validation { .. } => "Validation",
        Error::ServiceValidation { .. } => "ServiceValidation",
        Error::Throttled { .. } => "Throttled",
        Error::TableNotFound { .. } => "TableNotFound",
        Error::TableExists { .. } => "TableExists",
        Error::Backend { .. } => "Backend",
        _ => "Other",
    }
}

fn write_request_from_sdk(w: SdkWriteRequest) -> Result<Option<WriteRequest>> {
    if let Some(p) = w.put_request {
        return Ok(Some(WriteRequest::Put(item_from_attributes(p.item)?)));
    }
    if let Some(d) = w.delete_request {
        return Ok(Some(WriteRequest::Delete(item_from_attributes(d.key)?)));
    }
    Ok(None)
}

/// The items and the `UnprocessedKeys` of a BatchGetItem answer for table `full` (the name sent).
fn batch_get_output(out: BatchGetItemOutput, full: &str) -> Result<BatchGetOutput> {
    let items = out
        .responses
        .and_then(|mut r| r.remove(full))
        .unwrap_or_default()
        .into_iter()
        .map(SdkItem::raw)
        .collect();
    let unprocessed_keys = out
        .unprocessed_keys
        .and_then(|mut u| u.remove(full))
        .map(|k| k.keys)
        .unwrap_or_default()
        .into_iter()
        .map(item_from_attributes)
        .collect::<Result<Vec<_>>>()?;
    Ok(BatchGetOutput {
        items,
        unprocessed_keys,
    })
}

/// The `UnprocessedItems` of a BatchWriteItem answer for table `full` (the name sent).
fn batch_write_output(out: BatchWriteItemOutput, full: &str) -> Result<BatchWriteOutput> {
    let unprocessed = out
        .unprocessed_items
        .and_then(|mut u| u.remove(full))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|w| write_request_from_sdk(w).transpose())
        .collect::<Result<Vec<_>>>()?;
    Ok(BatchWriteOutput { unprocessed })
}

/// Sends a single-item write (`sdk`, the request on logical table `table`) as one traced call:
/// the attributes it returned (`ReturnValues`).
async fn write_item<R: ItemWrite>(
    operation: &'static str,
    table: &str,
    capacity: Option<&CapacityRecorder>,
    sdk: R,
) -> Result<Option<Item>> {
    let call = Call::new(operation, table, sdk.table(), None).recording(capacity);
    let out = call.send(sdk).await?;
    let attributes = opt_item(R::attributes(out)).map_err(|e| call.fail(e))?;
    call.returned_rows(usize::from(attributes.is_some()));
    Ok(attributes)
}

/// Sends a Query or Scan (`sdk`, the request on logical table `table`, `index`) as one traced
/// call: one page of its answer (its items, `Count` and `ScannedCount`, `LastEvaluatedKey`), the
/// items as the SDK read them (`RawItem::Reader`).
async fn read_page<R: PagedRead>(
    operation: &'static str,
    table: &str,
    index: Option<&str>,
    capacity: Option<&CapacityRecorder>,
    sdk: R,
) -> Result<QueryOutput> {
    let call = Call::new(operation, table, sdk.table(), index).recording(capacity);
    call.read_parameters(sdk.read_parameters());
    let (items, [count, scanned], lek) = R::page(call.send(sdk).await?);
    // Items stay in the SDK's (hash) order: the ORM decodes them straight into models.
    let items = items
        .unwrap_or_default()
        .into_iter()
        .map(SdkItem::raw)
        .collect::<Vec<_>>();
    call.returned_rows(items.len());
    if !call.span.is_disabled() {
        call.span.record("aws.dynamodb.count", i64::from(count));
        call.span
            .record("aws.dynamodb.scanned_count", i64::from(scanned));
    }
    Ok(QueryOutput {
        items,
        count: count.max(0) as u32,
        scanned_count: scanned.max(0) as u32,
        last_evaluated_key: opt_item(lek).map_err(|e| call.fail(e))?,
    })
}

impl DynamoBackend {
    /// Polls DescribeTable (short backoff, for up to [`TABLE_WAIT`]) until `settled` holds of the
    /// table's description (`None`: not found; DescribeTable is eventually consistent, so a
    /// just-created table may not be visible yet). On time out, an error of `operation` saying
    /// the table is still `unsettled`.
    async fn wait_until(
        &self,
        (name, full): (&str, &str),
        operation: &'static str,
        unsettled: &str,
        settled: impl Fn(Option<&TableDescription>) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + TABLE_WAIT;
        let mut delay = Duration::from_millis(20);
        loop {
            let call = Call::new("DescribeTable", name, full, None);
            let table = match call
                .send(self.client.describe_table().table_name(full))
                .await
            {
                Ok(out) => out.table,
                Err(Error::TableNotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            if settled(table.as_ref()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::backend(
                    operation,
                    true,
                    format!("table {full} {unsettled} after {TABLE_WAIT:?}"),
                ));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    /// Waits until the table and its GSIs are ACTIVE.
    async fn wait_active(&self, name: &str, full: &str) -> Result<()> {
        let active = |table: Option<&TableDescription>| {
            table.is_some_and(|t| {
                t.table_status == Some(TableStatus::Active)
                    && t.global_secondary_indexes.iter().flatten().all(|g| {
                        g.index_status
                            .as_ref()
                            .is_none_or(|s| *s == IndexStatus::Active)
                    })
            })
        };
        self.wait_until((name, full), "CreateTable", "not ACTIVE", active)
            .await
    }

    /// Waits until the table is gone.
    async fn wait_deleted(&self, name: &str, full: &str) -> Result<()> {
        let gone = |table: Option<&TableDescription>| table.is_none();
        self.wait_until((name, full), "DeleteTable", "still exists", gone)
            .await
    }
}

#[async_trait]
impl Backend for DynamoBackend {
    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    async fn create_table(&self, definition: &TableDefinition) -> Result<()> {
        let name = definition.name.as_str();
        let full = self.table_name(name);
        let parts = create_table_parts(definition)?;
        let call = Call::new("CreateTable", name, &full, None);
        call.send(
            self.client
                .create_table()
                .table_name(&full)
                .set_attribute_definitions(Some(parts.attribute_definitions))
                .set_key_schema(Some(parts.key_schema))
                .set_global_secondary_indexes(parts.global_secondary_indexes)
                .set_local_secondary_indexes(parts.local_secondary_indexes)
                .billing_mode(BillingMode::PayPerRequest),
        )
        .await?;
        self.wait_active(name, &full).await?;
        if let Some(attribute) = &definition.ttl_attribute {
            let spec = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(attribute)
                .build()
                .map_err(|e| build_error("UpdateTimeToLive", e))?;
            let call = Call::new("UpdateTimeToLive", name, &full, None);
            call.send(
                self.client
                    .update_time_to_live()
                    .table_name(&full)
                    .time_to_live_specification(spec),
            )
            .await?;
        }
        Ok(())
    }

    async fn describe_table(&self, name: &str) -> Result<TableDefinition> {
        let full = self.table_name(name);
        let call = Call::new("DescribeTable", name, &full, None);
        let out = call
            .send(self.client.describe_table().table_name(&full))
            .await?;
        let description = out.table.ok_or_else(|| Error::TableNotFound {
            table: name.to_owned(),
            source: None,
        })?;

        let call = Call::new("DescribeTimeToLive", name, &full, None);
        let ttl = call
            .send(self.client.describe_time_to_live().table_name(&full))
            .await?;
        let ttl_attribute =
            ttl.time_to_live_description
                .and_then(|d| match d.time_to_live_status {
                    Some(TimeToLiveStatus::Enabled) | Some(TimeToLiveStatus::Enabling) => {
                        d.attribute_name
                    }
                    _ => None,
                });
        definition_from_description(name, description, ttl_attribute)
    }

    async fn delete_table(&self, name: &str) -> Result<()> {
        let full = self.table_name(name);
        let call = Call::new("DeleteTable", name, &full, None);
        call.send(self.client.delete_table().table_name(&full))
            .await?;
        self.wait_deleted(name, &full).await
    }

    async fn update_table(&self, request: &UpdateTable) -> Result<()> {
        let name = request.table.as_str();
        let full = self.table_name(name);
        let parts = update_table_parts(request)?;
        let call = Call::new("UpdateTable", name, &full, None);
        call.send(
            self.client
                .update_table()
                .table_name(&full)
                .set_attribute_definitions(parts.attribute_definitions)
                .set_global_secondary_index_updates(parts.index_updates)
                .set_billing_mode(parts.billing_mode)
                .set_provisioned_throughput(parts.throughput)
                .set_stream_specification(parts.streams)
                .set_table_class(parts.table_class)
                .set_deletion_protection_enabled(request.deletion_protection),
        )
        .await?;
        // The table back to ACTIVE, a created index ACTIVE, a deleted one gone.
        self.wait_active(name, &full).await
    }

    async fn get_item(&self, request: &GetItem) -> Result<Option<RawItem>> {
        let sdk = self.get_item_request(request)?;
        let call = Call::new("GetItem", &request.table, full(sdk.get_table_name()), None)
            .recording(request.capacity.as_ref());
        call.read_parameters(ReadParameters {
            consistent_read: sdk.get_consistent_read().as_ref().copied(),
            projection: sdk.get_projection_expression().as_deref(),
            ..ReadParameters::default()
        });
        let out = call.send(sdk).await?;
        let item = out.item.map(SdkItem::raw);
        call.returned_rows(usize::from(item.is_some()));
        Ok(item)
    }

    async fn put_item(&self, mut request: PutItem) -> Result<Option<Item>> {
        let table = std::mem::take(&mut request.table);
        let capacity = request.capacity.take();
        let sdk = self.put_item_request(&table, request)?;
        write_item("PutItem", &table, capacity.as_ref(), sdk).await
    }

    async fn update_item(&self, request: &UpdateItem) -> Result<Option<Item>> {
        let sdk = self.update_item_request(request)?;
        write_item("UpdateItem", &request.table, request.capacity.as_ref(), sdk).await
    }

    async fn delete_item(&self, request: &DeleteItem) -> Result<Option<Item>> {
        let sdk = self.delete_item_request(request)?;
        write_item("DeleteItem", &request.table, request.capacity.as_ref(), sdk).await
    }

    async fn query(&self, request: &QueryRequest) -> Result<QueryOutput> {
        let sdk = self.query_request(request)?;
        let (index, capacity) = (request.index.as_deref(), request.capacity.as_ref());
        read_page("Query", &request.table, index, capacity, sdk).await
    }

    async fn scan(&self, request: &ScanRequest) -> Result<QueryOutput> {
        let sdk = self.scan_request(request)?;
        let (index, capacity) = (request.index.as_deref(), request.capacity.as_ref());
        read_page("Scan", &request.table, index, capacity, sdk).await
    }

    async fn batch_get(&self, request: &BatchGet) -> Result<BatchGetOutput> {
        let sdk = self.batch_get_request(request)?;
        let full = self.table_name(&request.table);
        let call = Call::new("BatchGetItem", &request.table, &full, None)
            .recording(request.capacity.as_ref());
        call.batch_size(request.keys.len());
        let out = call.send(sdk).await?;
        let output = batch_get_output(out, &full).map_err(|e| call.fail(e))?;
        call.returned_rows(output.items.len());
        Ok(output)
    }

    async fn batch_write(&self, mut request: BatchWrite) -> Result<BatchWriteOutput> {
        // The items move into the SDK's request; the rest is kept here for the call's span.
        let table = request.table.clone();
        let capacity = request.capacity.take();
        let size = request.writes.len();
        let sdk = self.batch_write_request(request)?;
        let full = self.table_name(&table);
        let call = Call::new("BatchWriteItem", &table, &full, None).recording(capacity.as_ref());
        call.batch_size(size);
        let out = call.send(sdk).await?;
        let output = batch_write_output(out, &full).map_err(|e| call.fail(e))?;
        Ok(output)
    }

    async fn transact_get(&self, request: &TransactGet) -> Result<Vec<Option<RawItem>>> {
        let sdk = self.transact_get_request(request)?;
        let (tables, full) = self.table_list(request.gets.iter().map(|g| g.table.as_str()));
        let call = Call::new("TransactGetItems", &tables, &full, None)
            .recording(request.capacity.as_ref());
        call.batch_size(request.gets.len());
        let out = call.send(sdk).await?;
        let mut items = out
            .responses
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.item.filter(|m| !m.is_empty()).map(SdkItem::raw))
            .collect::<Vec<_>>();
        items.resize(request.gets.len(), None);
        call.returned_rows(items.iter().filter(|i| i.is_some()).count());
        Ok(items)
    }

    async fn transact_write(&self, request: &TransactWrite) -> Result<()> {
        let sdk = self.transact_write_request(request)?;
        let (tables, full) = self.table_list(request.actions.iter().map(|a| a.target().0));
        let call = Call::new("TransactWriteItems", &tables, &full, None)
            .recording(request.capacity.as_ref());
        call.batch_size(request.actions.len());
        call.send(sdk).await?;
        Ok(())
    }

    async fn list_streams(&self, request: &ListStreams) -> Result<ListStreamsOutput> {
        request.validate()?;
        self.list_streams_call(request).await
    }

    async fn describe_stream(&self, request: &DescribeStream) -> Result<StreamDescription> {
        request.validate()?;
        self.describe_stream_call(request).await
    }

    async fn get_shard_iterator(&self, request: &GetShardIterator) -> Result<String> {
        request.validate()?;
        self.get_shard_iterator_call(request).await
    }

    async fn get_records(&self, request: &GetRecords) -> Result<GetRecordsOutput> {
        request.validate()?;
        self.get_records_call(request).await
    }
}

impl DynamoBackend {
    /// The distinct tables of a multi-table request, as `(logical, full)` lists (`a, b`) for
    /// spans and errors.
    fn table_list<'a>(&self, names: impl Iterator<Item = &'a str>) -> (String, String) {
        let mut seen: Vec<&str> = Vec::new();
        for n in names {
            if !seen.contains(&n) {
                seen.push(n);
            }
        }
        let full: Vec<String> = seen.iter().map(|n| self.table_name(n)).collect();
        (seen.join(", "), full.join(", "))
    }
}

const _: () = {
    const fn is<T: Send + Sync + Clone + Debug + 'static>() {}
    is::<DynamoBackend>();
};

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{
        AttributeValue as Av, DeleteRequest, KeysAndAttributes, PutRequest,
    };
    use std::collections::HashMap;

    fn key(pk: &str, sk: &str) -> AttributeMap {
        HashMap::from([
            ("pk".to_owned(), Av::S(pk.into())),
            ("sk".to_owned(), Av::S(sk.into())),
        ])
    }

    fn item(pk: &str, sk: &str) -> Item {
        Item::new().with("pk", pk).with("sk", sk)
    }

    /// The SDK's batch put of `item`.
    fn sdk_put(item: AttributeMap) -> SdkWriteRequest {
        let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
        SdkWriteRequest::builder().put_request(put).build()
    }

    /// The SDK's batch delete of the item at `key`.
    fn sdk_delete(key: AttributeMap) -> SdkWriteRequest {
        let delete = DeleteRequest::builder().set_key(Some(key)).build().unwrap();
        SdkWriteRequest::builder().delete_request(delete).build()
    }

    #[test]
    fn batch_write_output_maps_unprocessed_items_of_the_table() {
        let mut wide = key("A", "1");
        wide.insert(
            "n".into(),
            Av::N("12345678901234567890123456789012345678".into()),
        );
        let put = sdk_put(wide);
        let delete = sdk_delete(key("B", "2"));
        let other = sdk_delete(key("C", "3"));
        let out = BatchWriteItemOutput::builder()
            .unprocessed_items("pre_app", vec![put, delete])
            .unprocessed_items("other", vec![other])
            .build();
        let mapped = batch_write_output(out, "pre_app").unwrap();
        let n = orm_core::Number::parse("12345678901234567890123456789012345678").unwrap();
        assert_eq!(
            mapped.unprocessed,
            vec![
                WriteRequest::Put(item("A", "1").with("n", orm_core::Value::N(n))),
                WriteRequest::Delete(item("B", "2")),
            ]
        );

        // Nothing unprocessed: an absent map, or an empty one.
        let none = batch_write_output(BatchWriteItemOutput::builder().build(), "pre_app").unwrap();
        assert!(none.unprocessed.is_empty());
        let empty = BatchWriteItemOutput::builder()
            .set_unprocessed_items(Some(HashMap::new()))
            .build();
        assert!(batch_write_output(empty, "pre_app")
            .unwrap()
            .unprocessed
            .is_empty());

        // An unprocessed item the ORM cannot read is an error, never a silent drop.
        let bad = sdk_put(HashMap::from([(
            "n".to_owned(),
            Av::N("not a number".into()),
        )]));
        let out = BatchWriteItemOutput::builder()
            .unprocessed_items("pre_app", vec![bad])
            .build();
        assert!(batch_write_output(out, "pre_app").is_err());
    }

    #[test]
    fn capacity_json_is_dynamodbs_consumed_capacity() {
        use aws_sdk_dynamodb::types::Capacity;
        let one = ConsumedCapacity::builder()
            .table_name("pre_app")
            .capacity_units(0.5)
            .build();
        assert_eq!(
            capacity_json(std::slice::from_ref(&one)),
            r#"{"TableName":"pre_app","CapacityUnits":0.5}"#
        );
        let indexes = ConsumedCapacity::builder()
            .table_name("other")
            .capacity_units(3.0)
            .write_capacity_units(3.0)
            .table(Capacity::builder().capacity_units(1.0).build())
            .global_secondary_indexes("gsi2", Capacity::builder().capacity_units(1.0).build())
            .global_secondary_indexes("gsi1", Capacity::builder().capacity_units(1.0).build())
            .build();
        let json = capacity_json(&[one, indexes]);
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!([
                {"TableName": "pre_app", "CapacityUnits": 0.5},
                // Whole numbers are written without a fraction, as DynamoDB writes them.
                {"TableName": "other", "CapacityUnits": 3, "WriteCapacityUnits": 3,
                 "Table": {"CapacityUnits": 1},
                 "GlobalSecondaryIndexes": {"gsi1": {"CapacityUnits": 1}, "gsi2": {"CapacityUnits": 1}}}
            ])
        );
        // Index names in a stable (sorted) order.
        assert!(json.find("gsi1").unwrap() < json.find("gsi2").unwrap());
    }

    #[test]
    fn batch_get_output_maps_items_and_unprocessed_keys_of_the_table() {
        let mut found = key("A", "1");
        found.insert("v".into(), Av::Ss(vec!["x".into(), "y".into()]));
        let out = BatchGetItemOutput::builder()
            .responses("pre_app", vec![found, key("A", "2")])
            .responses("other", vec![key("Z", "9")])
            .unprocessed_keys(
                "pre_app",
                KeysAndAttributes::builder()
                    .keys(key("B", "1"))
                    .keys(key("B", "2"))
                    .consistent_read(true)
                    .build()
                    .unwrap(),
            )
            .unprocessed_keys(
                "other",
                KeysAndAttributes::builder()
                    .keys(key("Y", "1"))
                    .build()
                    .unwrap(),
            )
            .build();
        let mapped = batch_get_output(out, "pre_app").unwrap();
        assert_eq!(
            mapped
                .items
                .into_iter()
                .map(|i| i.into_item().unwrap())
                .collect::<Vec<_>>(),
            vec![
                item("A", "1").with(
                    "v",
                    orm_core::Value::Ss(["x".to_owned(), "y".to_owned()].into())
                ),
                item("A", "2"),
            ]
        );
        assert_eq!(
            mapped.unprocessed_keys,
            vec![item("B", "1"), item("B", "2")]
        );

        let none = batch_get_output(BatchGetItemOutput::builder().build(), "pre_app").unwrap();
        assert!(none.items.is_empty() && none.unprocessed_keys.is_empty());
    }
}
