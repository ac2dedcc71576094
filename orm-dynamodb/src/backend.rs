//! `impl Backend for DynamoBackend`: one SDK call per request, traced.

use crate::convert::{
    entries_from_attributes, item_from_attributes, item_to_attributes_ref, opt_item, AttributeMap,
};
use crate::error_map::{build_error, map_sdk_error};
use crate::render::Expressions;
use crate::schema::{create_table_parts, definition_from_description};
use crate::DynamoBackend;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::types::{
    BillingMode, ConditionCheck as SdkConditionCheck, ConsumedCapacity, Delete as SdkDelete,
    DeleteRequest, Get as SdkGet, IndexStatus, KeysAndAttributes, Put as SdkPut, PutRequest,
    ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure, Select, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus, TransactGetItem, TransactWriteItem,
    Update as SdkUpdate, WriteRequest as SdkWriteRequest,
};
use aws_sdk_dynamodb::Error as ServiceError;
use orm_core::backend::{
    Backend, BatchGet, BatchGetOutput, BatchWrite, BatchWriteOutput, Capabilities, DeleteItem,
    GetItem, PutItem, QueryOutput, QueryRequest, RawItem, ReturnValues, ScanRequest,
    TableDefinition, TransactGet, TransactWrite, TransactWriteAction, UpdateItem, WriteRequest,
};
use orm_core::error::{Error, Result};
use orm_core::expr::Path;
use orm_core::Item;
use std::fmt::Debug;
use std::time::{Duration, Instant};
use tracing::field::Empty;
use tracing::{Instrument, Span};

/// How long create_table / delete_table wait for the table to settle.
const TABLE_WAIT: Duration = Duration::from_secs(600);

/// One traced SDK call: a `dynamodb` span with names and counts, never values.
struct Call {
    span: Span,
    start: Instant,
    operation: &'static str,
    /// The table(s) as the caller named them, for error mapping.
    table: String,
}

impl Call {
    fn new(operation: &'static str, logical: &str, full: &str, index: Option<&str>) -> Call {
        let span = tracing::debug_span!(
            "dynamodb",
            operation,
            table = full,
            index,
            items = Empty,
            consumed_capacity = Empty,
            latency_ms = Empty,
            error = Empty,
        );
        Call {
            span,
            start: Instant::now(),
            operation,
            table: logical.to_owned(),
        }
    }

    /// Ask for consumed capacity only when someone listens.
    fn capacity(&self) -> Option<ReturnConsumedCapacity> {
        (!self.span.is_disabled()).then_some(ReturnConsumedCapacity::Total)
    }

    fn latency(&self) {
        self.span
            .record("latency_ms", self.start.elapsed().as_millis() as u64);
    }

    /// Maps an SDK result, recording the latency (and the error kind on failure).
    fn result<T, E, R>(&self, result: std::result::Result<T, SdkError<E, R>>) -> Result<T>
    where
        E: Into<ServiceError> + std::error::Error + Send + Sync + 'static,
        R: Debug + Send + Sync + 'static,
    {
        self.latency();
        result.map_err(|e| {
            let e = map_sdk_error(self.operation, &self.table, e);
            self.span.record("error", error_kind(&e));
            e
        })
    }

    fn done(&self, items: usize, capacity: Option<f64>) {
        self.span.record("items", items as u64);
        if let Some(c) = capacity {
            self.span.record("consumed_capacity", c);
        }
        tracing::debug!(parent: &self.span, "dynamodb call done");
    }

    /// Records a failure that is not an SDK error (a conversion failure).
    fn fail(&self, e: Error) -> Error {
        self.span.record("error", error_kind(&e));
        e
    }
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

fn capacity_one(c: Option<&ConsumedCapacity>) -> Option<f64> {
    c.and_then(|c| c.capacity_units)
}

fn capacity_sum(c: Option<&Vec<ConsumedCapacity>>) -> Option<f64> {
    c.map(|v| v.iter().filter_map(|c| c.capacity_units).sum())
}

fn return_value(r: ReturnValues) -> ReturnValue {
    match r {
        ReturnValues::None => ReturnValue::None,
        ReturnValues::AllOld => ReturnValue::AllOld,
        ReturnValues::UpdatedOld => ReturnValue::UpdatedOld,
        ReturnValues::AllNew => ReturnValue::AllNew,
        ReturnValues::UpdatedNew => ReturnValue::UpdatedNew,
    }
}

fn on_failure(return_item: bool) -> Option<ReturnValuesOnConditionCheckFailure> {
    return_item.then_some(ReturnValuesOnConditionCheckFailure::AllOld)
}

fn validate_condition(c: Option<&orm_core::Condition>) -> Result<()> {
    c.map(orm_core::Condition::validate).transpose().map(|_| ())
}

/// A batch-get projection must include the key attributes, to match answers to keys.
fn projection_with_keys(projection: Option<Vec<Path>>, keys: &[Item]) -> Option<Vec<Path>> {
    let mut paths = projection?;
    if let Some(first) = keys.first() {
        for name in first.keys() {
            let present = paths
                .iter()
                .any(|p| p.is_top_level() && p.root() == name.as_str());
            if !present {
                paths.push(Path::name(name.clone()));
            }
        }
    }
    Some(paths)
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
        .map(|m| entries_from_attributes(m).map(RawItem::Entries))
        .collect::<Result<Vec<_>>>()?;
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

impl DynamoBackend {
    fn page(
        call: &Call,
        items: Option<Vec<AttributeMap>>,
        count: i32,
        scanned: i32,
        lek: Option<AttributeMap>,
        capacity: Option<f64>,
    ) -> Result<QueryOutput> {
        // Items stay in the SDK's (hash) order: the ORM decodes them straight into models.
        let items = items
            .unwrap_or_default()
            .into_iter()
            .map(|m| entries_from_attributes(m).map(RawItem::Entries))
            .collect::<Result<Vec<_>>>()
            .map_err(|e| call.fail(e))?;
        call.done(items.len(), capacity);
        Ok(QueryOutput {
            items,
            count: count.max(0) as u32,
            scanned_count: scanned.max(0) as u32,
            last_evaluated_key: opt_item(lek).map_err(|e| call.fail(e))?,
        })
    }

    fn sdk_transact_action(&self, action: &TransactWriteAction) -> Result<TransactWriteItem> {
        const OP: &str = "TransactWriteItems";
        let item = match action {
            TransactWriteAction::Put(p) => {
                validate_condition(p.condition.as_ref())?;
                let ex = Expressions::new()
                    .with_condition_opt(p.condition.clone())
                    .into_sdk();
                TransactWriteItem::builder().put(
                    SdkPut::builder()
                        .table_name(self.table_name(&p.table))
                        .set_item(Some(item_to_attributes_ref(&p.item)))
                        .set_condition_expression(ex.condition)
                        .set_expression_attribute_names(ex.names)
                        .set_expression_attribute_values(ex.values)
                        .set_return_values_on_condition_check_failure(on_failure(
                            p.return_item_on_condition_failure,
                        ))
                        .build()
                        .map_err(|e| build_error(OP, e))?,
                )
            }
            TransactWriteAction::Update(u) => {
                u.update.validate()?;
                validate_condition(u.condition.as_ref())?;
                let ex = Expressions::new()
                    .with_update(u.update.clone())
                    .with_condition_opt(u.condition.clone())
                    .into_sdk();
                TransactWriteItem::builder().update(
                    SdkUpdate::builder()
                        .table_name(self.table_name(&u.table))
                        .set_key(Some(item_to_attributes_ref(&u.key)))
                        .set_update_expression(ex.update)
                        .set_condition_expression(ex.condition)
                        .set_expression_attribute_names(ex.names)
                        .set_expression_attribute_values(ex.values)
                        .set_return_values_on_condition_check_failure(on_failure(
                            u.return_item_on_condition_failure,
                        ))
                        .build()
                        .map_err(|e| build_error(OP, e))?,
                )
            }
            TransactWriteAction::Delete(d) => {
                validate_condition(d.condition.as_ref())?;
                let ex = Expressions::new()
                    .with_condition_opt(d.condition.clone())
                    .into_sdk();
                TransactWriteItem::builder().delete(
                    SdkDelete::builder()
                        .table_name(self.table_name(&d.table))
                        .set_key(Some(item_to_attributes_ref(&d.key)))
                        .set_condition_expression(ex.condition)
                        .set_expression_attribute_names(ex.names)
                        .set_expression_attribute_values(ex.values)
                        .set_return_values_on_condition_check_failure(on_failure(
                            d.return_item_on_condition_failure,
                        ))
                        .build()
                        .map_err(|e| build_error(OP, e))?,
                )
            }
            TransactWriteAction::ConditionCheck(c) => {
                c.condition.validate()?;
                let ex = Expressions::new()
                    .with_condition(c.condition.clone())
                    .into_sdk();
                TransactWriteItem::builder().condition_check(
                    SdkConditionCheck::builder()
                        .table_name(self.table_name(&c.table))
                        .set_key(Some(item_to_attributes_ref(&c.key)))
                        .set_condition_expression(ex.condition)
                        .set_expression_attribute_names(ex.names)
                        .set_expression_attribute_values(ex.values)
                        .set_return_values_on_condition_check_failure(on_failure(
                            c.return_item_on_condition_failure,
                        ))
                        .build()
                        .map_err(|e| build_error(OP, e))?,
                )
            }
        };
        Ok(item.build())
    }

    /// Polls DescribeTable (short backoff) until the table and its GSIs are ACTIVE.
    async fn wait_active(&self, name: &str, full: &str) -> Result<()> {
        let deadline = Instant::now() + TABLE_WAIT;
        let mut delay = Duration::from_millis(20);
        loop {
            let call = Call::new("DescribeTable", name, full, None);
            let table = match call.result(
                self.client
                    .describe_table()
                    .table_name(full)
                    .send()
                    .instrument(call.span.clone())
                    .await,
            ) {
                Ok(out) => out.table,
                // Eventually consistent: a just-created table may not be visible yet.
                Err(Error::TableNotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            call.done(0, None);
            if let Some(t) = table {
                let table_active = t.table_status == Some(TableStatus::Active);
                let indexes_active = t.global_secondary_indexes.iter().flatten().all(|g| {
                    g.index_status
                        .as_ref()
                        .is_none_or(|s| *s == IndexStatus::Active)
                });
                if table_active && indexes_active {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(Error::backend(
                    "CreateTable",
                    true,
                    format!("table {full} not ACTIVE after {TABLE_WAIT:?}"),
                ));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    /// Polls DescribeTable until the table is gone.
    async fn wait_deleted(&self, name: &str, full: &str) -> Result<()> {
        let deadline = Instant::now() + TABLE_WAIT;
        let mut delay = Duration::from_millis(20);
        loop {
            let call = Call::new("DescribeTable", name, full, None);
            let out = call.result(
                self.client
                    .describe_table()
                    .table_name(full)
                    .send()
                    .instrument(call.span.clone())
                    .await,
            );
            match out {
                Err(Error::TableNotFound { .. }) => return Ok(()),
                Err(e) => return Err(e),
                Ok(_) if Instant::now() >= deadline => {
                    return Err(Error::backend(
                        "DeleteTable",
                        true,
                        format!("table {full} still exists after {TABLE_WAIT:?}"),
                    ))
                }
                Ok(_) => {}
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }
}

#[async_trait]
impl Backend for DynamoBackend {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            shared_storage: true,
            ..Default::default()
        }
    }

    async fn create_table(&self, definition: &TableDefinition) -> Result<()> {
        let name = definition.name.as_str();
        let full = self.table_name(name);
        let parts = create_table_parts(definition)?;
        let call = Call::new("CreateTable", name, &full, None);
        call.result(
            self.client
                .create_table()
                .table_name(&full)
                .set_attribute_definitions(Some(parts.attribute_definitions))
                .set_key_schema(Some(parts.key_schema))
                .set_global_secondary_indexes(parts.global_secondary_indexes)
                .set_local_secondary_indexes(parts.local_secondary_indexes)
                .billing_mode(BillingMode::PayPerRequest)
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        call.done(0, None);
        self.wait_active(name, &full).await?;
        if let Some(attribute) = &definition.ttl_attribute {
            let spec = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(attribute)
                .build()
                .map_err(|e| build_error("UpdateTimeToLive", e))?;
            let call = Call::new("UpdateTimeToLive", name, &full, None);
            call.result(
                self.client
                    .update_time_to_live()
                    .table_name(&full)
                    .time_to_live_specification(spec)
                    .send()
                    .instrument(call.span.clone())
                    .await,
            )?;
            call.done(0, None);
        }
        Ok(())
    }

    async fn describe_table(&self, name: &str) -> Result<TableDefinition> {
        let full = self.table_name(name);
        let call = Call::new("DescribeTable", name, &full, None);
        let out = call.result(
            self.client
                .describe_table()
                .table_name(&full)
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        call.done(0, None);
        let description = out.table.ok_or_else(|| Error::TableNotFound {
            table: name.to_owned(),
            source: None,
        })?;

        let call = Call::new("DescribeTimeToLive", name, &full, None);
        let ttl = call.result(
            self.client
                .describe_time_to_live()
                .table_name(&full)
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        call.done(0, None);
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
        call.result(
            self.client
                .delete_table()
                .table_name(&full)
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        call.done(0, None);
        self.wait_deleted(name, &full).await
    }

    async fn get_item(&self, request: &GetItem) -> Result<Option<RawItem>> {
        let full = self.table_name(&request.table);
        let call = Call::new("GetItem", &request.table, &full, None);
        let ex = Expressions::new()
            .with_projection_opt(request.projection.as_deref())
            .into_sdk();
        let out = call.result(
            self.client
                .get_item()
                .table_name(full)
                .set_key(Some(item_to_attributes_ref(&request.key)))
                .consistent_read(request.consistent)
                .set_projection_expression(ex.projection)
                .set_expression_attribute_names(ex.names)
                .set_return_consumed_capacity(call.capacity())
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        let item = out
            .item
            .map(|m| entries_from_attributes(m).map(RawItem::Entries))
            .transpose()
            .map_err(|e| call.fail(e))?;
        call.done(
            usize::from(item.is_some()),
            capacity_one(out.consumed_capacity.as_ref()),
        );
        Ok(item)
    }

    async fn put_item(&self, request: &PutItem) -> Result<Option<Item>> {
        validate_condition(request.condition.as_ref())?;
        let full = self.table_name(&request.table);
        let call = Call::new("PutItem", &request.table, &full, None);
        let ex = Expressions::new()
            .with_condition_opt(request.condition.clone())
            .into_sdk();
        let out = call.result(
            self.client
                .put_item()
                .table_name(full)
                .set_item(Some(item_to_attributes_ref(&request.item)))
                .set_condition_expression(ex.condition)
                .set_expression_attribute_names(ex.names)
                .set_expression_attribute_values(ex.values)
                .return_values(return_value(request.return_values))
                .set_return_values_on_condition_check_failure(on_failure(
                    request.return_item_on_condition_failure,
                ))
                .set_return_consumed_capacity(call.capacity())
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        let old = opt_item(out.attributes).map_err(|e| call.fail(e))?;
        call.done(1, capacity_one(out.consumed_capacity.as_ref()));
        Ok(old)
    }

    async fn update_item(&self, request: &UpdateItem) -> Result<Option<Item>> {
        request.update.validate()?;
        validate_condition(request.condition.as_ref())?;
        let full = self.table_name(&request.table);
        let call = Call::new("UpdateItem", &request.table, &full, None);
        let ex = Expressions::new()
            .with_update(request.update.clone())
            .with_condition_opt(request.condition.clone())
            .into_sdk();
        let out = call.result(
            self.client
                .update_item()
                .table_name(full)
                .set_key(Some(item_to_attributes_ref(&request.key)))
                .set_update_expression(ex.update)
                .set_condition_expression(ex.condition)
                .set_expression_attribute_names(ex.names)
                .set_expression_attribute_values(ex.values)
                .return_values(return_value(request.return_values))
                .set_return_values_on_condition_check_failure(on_failure(
                    request.return_item_on_condition_failure,
                ))
                .set_return_consumed_capacity(call.capacity())
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        let attributes = opt_item(out.attributes).map_err(|e| call.fail(e))?;
        call.done(1, capacity_one(out.consumed_capacity.as_ref()));
        Ok(attributes)
    }

    async fn delete_item(&self, request: &DeleteItem) -> Result<Option<Item>> {
        validate_condition(request.condition.as_ref())?;
        let full = self.table_name(&request.table);
        let call = Call::new("DeleteItem", &request.table, &full, None);
        let ex = Expressions::new()
            .with_condition_opt(request.condition.clone())
            .into_sdk();
        let out = call.result(
            self.client
                .delete_item()
                .table_name(full)
                .set_key(Some(item_to_attributes_ref(&request.key)))
                .set_condition_expression(ex.condition)
                .set_expression_attribute_names(ex.names)
                .set_expression_attribute_values(ex.values)
                .return_values(return_value(request.return_values))
                .set_return_values_on_condition_check_failure(on_failure(
                    request.return_item_on_condition_failure,
                ))
                .set_return_consumed_capacity(call.capacity())
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        let old = opt_item(out.attributes).map_err(|e| call.fail(e))?;
        call.done(1, capacity_one(out.consumed_capacity.as_ref()));
        Ok(old)
    }

    async fn query(&self, request: &QueryRequest) -> Result<QueryOutput> {
        validate_condition(request.filter.as_ref())?;
        let full = self.table_name(&request.table);
        let call = Call::new("Query", &request.table, &full, request.index.as_deref());
        // DynamoDB rejects a projection together with Select=COUNT.
        let projection = if request.count_only {
            None
        } else {
            request.projection.as_deref()
        };
        let ex = Expressions::new()
            .with_key_condition(request.key_condition.clone())
            .with_filter_opt(request.filter.clone())
            .with_projection_opt(projection)
            .into_sdk();
        let out = call.result(
            self.client
                .query()
                .table_name(full)
                .set_index_name(request.index.clone())
                .set_key_condition_expression(ex.key_condition)
                .set_filter_expression(ex.filter)
                .set_projection_expression(ex.projection)
                .set_expression_attribute_names(ex.names)
                .set_expression_attribute_values(ex.values)
                .set_limit(request.limit.map(|l| l.min(i32::MAX as u32) as i32))
                .set_exclusive_start_key(
                    request
                        .exclusive_start_key
                        .as_ref()
                        .map(item_to_attributes_ref),
                )
                .scan_index_forward(request.scan_forward)
                .consistent_read(request.consistent)
                .set_select(request.count_only.then_some(Select::Count))
                .set_return_consumed_capacity(call.capacity())
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        let capacity = capacity_one(out.consumed_capacity.as_ref());
        Self::page(
            &call,
            out.items,
            out.count,
            out.scanned_count,
            out.last_evaluated_key,
            capacity,
        )
    }

    async fn scan(&self, request: &ScanRequest) -> Result<QueryOutput> {
        validate_condition(request.filter.as_ref())?;
        let full = self.table_name(&request.table);
        let call = Call::new("Scan", &request.table, &full, request.index.as_deref());
        let projection = if request.count_only {
            None
        } else {
            request.projection.as_deref()
        };
        let ex = Expressions::new()
            .with_filter_opt(request.filter.clone())
            .with_projection_opt(projection)
            .into_sdk();
        let (segment, total) = match request.segment {
            Some((s, t)) => (Some(s as i32), Some(t as i32)),
            None => (None, None),
        };
        let out = call.result(
            self.client
                .scan()
                .table_name(full)
                .set_index_name(request.index.clone())
                .set_filter_expression(ex.filter)
                .set_projection_expression(ex.projection)
                .set_expression_attribute_names(ex.names)
                .set_expression_attribute_values(ex.values)
                .set_limit(request.limit.map(|l| l.min(i32::MAX as u32) as i32))
                .set_exclusive_start_key(
                    request
                        .exclusive_start_key
                        .as_ref()
                        .map(item_to_attributes_ref),
                )
                .consistent_read(request.consistent)
                .set_segment(segment)
                .set_total_segments(total)
                .set_select(request.count_only.then_some(Select::Count))
                .set_return_consumed_capacity(call.capacity())
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        let capacity = capacity_one(out.consumed_capacity.as_ref());
        Self::page(
            &call,
            out.items,
            out.count,
            out.scanned_count,
            out.last_evaluated_key,
            capacity,
        )
    }

    async fn batch_get(&self, request: &BatchGet) -> Result<BatchGetOutput> {
        if request.keys.is_empty() {
            // DynamoDB rejects an empty request (and so does MemoryBackend).
            return Err(Error::validation(
                "BatchGetItem keys must have between 1 and 100 entries, got 0",
            ));
        }
        let full = self.table_name(&request.table);
        let call = Call::new("BatchGetItem", &request.table, &full, None);
        let projection = projection_with_keys(request.projection.clone(), &request.keys);
        let ex = Expressions::new()
            .with_projection_opt(projection.as_deref())
            .into_sdk();
        let keys_and_attributes = KeysAndAttributes::builder()
            .set_keys(Some(
                request.keys.iter().map(item_to_attributes_ref).collect(),
            ))
            .consistent_read(request.consistent)
            .set_projection_expression(ex.projection)
            .set_expression_attribute_names(ex.names)
            .build()
            .map_err(|e| build_error("BatchGetItem", e))?;
        let out = call.result(
            self.batch_client()
                .batch_get_item()
                .request_items(full.clone(), keys_and_attributes)
                .set_return_consumed_capacity(call.capacity())
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        let capacity = capacity_sum(out.consumed_capacity.as_ref());
        let output = batch_get_output(out, &full).map_err(|e| call.fail(e))?;
        call.done(output.items.len(), capacity);
        Ok(output)
    }

    async fn batch_write(&self, request: &BatchWrite) -> Result<BatchWriteOutput> {
        if request.writes.is_empty() {
            return Err(Error::validation(
                "BatchWriteItem requests must have between 1 and 25 entries, got 0",
            ));
        }
        let full = self.table_name(&request.table);
        let call = Call::new("BatchWriteItem", &request.table, &full, None);
        let count = request.writes.len();
        let writes = request
            .writes
            .iter()
            .map(|w| {
                Ok(match w {
                    WriteRequest::Put(item) => SdkWriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(item_to_attributes_ref(item)))
                                .build()
                                .map_err(|e| build_error("BatchWriteItem", e))?,
                        )
                        .build(),
                    WriteRequest::Delete(key) => SdkWriteRequest::builder()
                        .delete_request(
                            DeleteRequest::builder()
                                .set_key(Some(item_to_attributes_ref(key)))
                                .build()
                                .map_err(|e| build_error("BatchWriteItem", e))?,
                        )
                        .build(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let out = call.result(
            self.batch_client()
                .batch_write_item()
                .request_items(full.clone(), writes)
                .set_return_consumed_capacity(call.capacity())
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        let capacity = capacity_sum(out.consumed_capacity.as_ref());
        let output = batch_write_output(out, &full).map_err(|e| call.fail(e))?;
        call.done(count - output.unprocessed.len().min(count), capacity);
        Ok(output)
    }

    async fn transact_get(&self, request: &TransactGet) -> Result<Vec<Option<RawItem>>> {
        if request.gets.is_empty() {
            return Err(Error::validation(
                "TransactGetItems actions must have between 1 and 100 entries, got 0",
            ));
        }
        let (tables, full) = self.table_list(request.gets.iter().map(|g| g.table.as_str()));
        let call = Call::new("TransactGetItems", &tables, &full, None);
        let n = request.gets.len();
        let gets = request
            .gets
            .iter()
            .map(|g| {
                let ex = Expressions::new()
                    .with_projection_opt(g.projection.as_deref())
                    .into_sdk();
                let get = SdkGet::builder()
                    .table_name(self.table_name(&g.table))
                    .set_key(Some(item_to_attributes_ref(&g.key)))
                    .set_projection_expression(ex.projection)
                    .set_expression_attribute_names(ex.names)
                    .build()
                    .map_err(|e| build_error("TransactGetItems", e))?;
                Ok(TransactGetItem::builder().get(get).build())
            })
            .collect::<Result<Vec<_>>>()?;
        let out = call.result(
            self.client
                .transact_get_items()
                .set_transact_items(Some(gets))
                .set_return_consumed_capacity(call.capacity())
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        let capacity = capacity_sum(out.consumed_capacity.as_ref());
        let mut items = out
            .responses
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                r.item
                    .filter(|m| !m.is_empty())
                    .map(|m| entries_from_attributes(m).map(RawItem::Entries))
                    .transpose()
            })
            .collect::<Result<Vec<_>>>()
            .map_err(|e| call.fail(e))?;
        items.resize(n, None);
        call.done(items.iter().filter(|i| i.is_some()).count(), capacity);
        Ok(items)
    }

    async fn transact_write(&self, request: &TransactWrite) -> Result<()> {
        if request.actions.is_empty() {
            return Err(Error::validation(
                "TransactWriteItems actions must have between 1 and 100 entries, got 0",
            ));
        }
        let (tables, full) = self.table_list(request.actions.iter().map(|a| a.target().0));
        let call = Call::new("TransactWriteItems", &tables, &full, None);
        let n = request.actions.len();
        let actions = request
            .actions
            .iter()
            .map(|a| self.sdk_transact_action(a))
            .collect::<Result<Vec<_>>>()?;
        let out = call.result(
            self.client
                .transact_write_items()
                .set_transact_items(Some(actions))
                .set_client_request_token(request.client_request_token.clone())
                .set_return_consumed_capacity(call.capacity())
                .send()
                .instrument(call.span.clone())
                .await,
        )?;
        call.done(n, capacity_sum(out.consumed_capacity.as_ref()));
        Ok(())
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
    use aws_sdk_dynamodb::types::AttributeValue as Av;
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

    #[test]
    fn batch_write_output_maps_unprocessed_items_of_the_table() {
        let put = SdkWriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some({
                        let mut m = key("A", "1");
                        m.insert(
                            "n".into(),
                            Av::N("12345678901234567890123456789012345678".into()),
                        );
                        m
                    }))
                    .build()
                    .unwrap(),
            )
            .build();
        let delete = SdkWriteRequest::builder()
            .delete_request(
                DeleteRequest::builder()
                    .set_key(Some(key("B", "2")))
                    .build()
                    .unwrap(),
            )
            .build();
        let other = SdkWriteRequest::builder()
            .delete_request(
                DeleteRequest::builder()
                    .set_key(Some(key("C", "3")))
                    .build()
                    .unwrap(),
            )
            .build();
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
        let bad = SdkWriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(HashMap::from([(
                        "n".to_owned(),
                        Av::N("not a number".into()),
                    )])))
                    .build()
                    .unwrap(),
            )
            .build();
        let out = BatchWriteItemOutput::builder()
            .unprocessed_items("pre_app", vec![bad])
            .build();
        assert!(batch_write_output(out, "pre_app").is_err());
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
                .map(RawItem::into_item)
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
