//! The SDK requests made from orm-core's backend-neutral ones: the one place where a request
//! becomes `aws-sdk-dynamodb` input (table name prefixed, request checked, expressions rendered,
//! items converted).
//!
//! Every conditional write (put, update, delete, condition check) renders its expressions one
//! way, a [`Conditional`], set on the SDK's builder by [`conditional!`]: the single-item calls
//! (`put_item`, `update_item`, `delete_item`) add their return values, a transaction's actions
//! ([`Put`], [`Update`], [`Delete`], [`ConditionCheck`]) are built from the caller's borrowed
//! request. A put is sent once and owned ([`orm_core::Backend::put_item`] takes it by value),
//! so its item's names and values move into the SDK's map rather than being copied. Every
//! request is checked once, by its orm-core `validate`, before it is built (a transaction's
//! check covers its actions). Reads likewise: [`get`] serves `get_item` and transactional gets.

use crate::convert::{entries_to_attributes, item_to_attributes, item_to_attributes_ref};
use crate::error_map::build_error;
use crate::render::ExpressionAttributes;
use crate::DynamoBackend;
use aws_sdk_dynamodb::operation::batch_get_item::builders::BatchGetItemFluentBuilder;
use aws_sdk_dynamodb::operation::batch_write_item::builders::BatchWriteItemFluentBuilder;
use aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder;
use aws_sdk_dynamodb::operation::get_item::builders::GetItemFluentBuilder;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::operation::transact_get_items::builders::TransactGetItemsFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::builders::TransactWriteItemsFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, DeleteRequest, Get, KeysAndAttributes, Put, PutRequest, ReturnValue,
    ReturnValuesOnConditionCheckFailure, Select, TransactGetItem, TransactWriteItem, Update,
    WriteRequest as SdkWriteRequest,
};
use orm_core::backend::{
    BatchGet, BatchWrite, ConditionCheck as CheckRequest, DeleteItem, GetItem, PutItem,
    QueryRequest, ReturnValues, ScanRequest, TransactGet, TransactWrite, TransactWriteAction,
    UpdateItem, WriteRequest,
};
use orm_core::error::Result;
use orm_core::expr::render::Expressions;
use orm_core::expr::{Condition, Path, Update as UpdateActions};
use orm_core::Item;

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

/// The operation named in a transaction's build errors.
const TRANSACT_WRITE: &str = "TransactWriteItems";

/// DynamoDB's `Limit` is an `i32`.
fn limit(limit: Option<u32>) -> Option<i32> {
    limit.map(|l| l.min(i32::MAX as u32) as i32)
}

/// A query's or scan's `Select`: `COUNT` for a count-only request, `ALL_ATTRIBUTES` for one
/// that asks for whole items without a projection (DynamoDB rejects `ALL_ATTRIBUTES` with a
/// `ProjectionExpression`), else none (DynamoDB's default: the table's or index's attributes,
/// or the projection's).
fn select(count_only: bool, all_attributes: bool, projected: bool) -> Option<Select> {
    if count_only {
        Some(Select::Count)
    } else if all_attributes && !projected {
        Some(Select::AllAttributes)
    } else {
        None
    }
}

/// A conditional write's expressions, rendered: its condition (and, for an update, its update
/// expression), the names and values they use in the SDK's types, and whether a failed condition
/// returns the stored item. The part every put, update, delete and condition check shares,
/// whether sent alone or in a transaction ([`conditional!`] sets it on the SDK's builder).
struct Conditional {
    update: Option<String>,
    condition: Option<String>,
    attributes: ExpressionAttributes,
    on_failure: Option<ReturnValuesOnConditionCheckFailure>,
}

impl Conditional {
    /// The parts of a write with a condition (if any) and no update.
    fn condition(condition: Option<Condition>, return_item: bool) -> Self {
        Conditional::render(None, condition, return_item)
    }

    fn render(
        update: Option<UpdateActions>,
        condition: Option<Condition>,
        return_item: bool,
    ) -> Self {
        let mut ex = Expressions::new();
        if let Some(update) = update {
            ex = ex.with_update(update);
        }
        let mut ex = ex.with_condition_opt(condition);
        let attributes = ExpressionAttributes::take(&mut ex);
        Conditional {
            update: ex.update,
            condition: ex.condition,
            attributes,
            on_failure: on_failure(return_item),
        }
    }
}

/// Sets a [`Conditional`]'s parts on an SDK builder: the transaction types (`Put`, `Update`...)
/// and the single-item calls (`put_item()`...) have the same setters, but no common trait.
/// `conditional!(part: builder, c)` builds a transaction's part with `c` set.
macro_rules! conditional {
    (part: $builder:expr, $conditional:expr) => {
        conditional!($builder, $conditional)
            .build()
            .map_err(|e| build_error(TRANSACT_WRITE, e))
    };
    ($builder:expr, $conditional:expr) => {{
        let builder = $builder;
        let c: Conditional = $conditional;
        builder
            .set_condition_expression(c.condition)
            .set_expression_attribute_names(c.attributes.names)
            .set_expression_attribute_values(c.attributes.values)
            .set_return_values_on_condition_check_failure(c.on_failure)
    }};
}

/// A Query's or Scan's request `r` (checked) set on the SDK's builder, which have the same
/// setters but no common trait: its table, index, filter, projection (none for a count-only
/// request: DynamoDB rejects one with `Select=COUNT`; see [`select`]), `Limit`,
/// `ExclusiveStartKey`, consistency and `Select`. `$expressions` are what the request renders
/// before its filter (a query's key condition); the builder is returned with them, rendered.
macro_rules! paged_read {
    ($builder:expr, $backend:expr, $r:expr, $expressions:expr) => {{
        let r = $r;
        r.validate()?;
        let projection = (!r.count_only).then_some(r.projection.as_deref()).flatten();
        let mut ex = $expressions
            .with_filter_opt(r.filter.clone())
            .with_projection_opt(projection);
        let attributes = ExpressionAttributes::take(&mut ex);
        let builder = $builder
            .table_name($backend.table_name(&r.table))
            .set_index_name(r.index.clone())
            .set_filter_expression(ex.filter.take())
            .set_projection_expression(ex.projection.take())
            .set_expression_attribute_names(attributes.names)
            .set_expression_attribute_values(attributes.values)
            .set_limit(limit(r.limit))
            .set_exclusive_start_key(r.exclusive_start_key.as_ref().map(item_to_attributes_ref))
            .consistent_read(r.consistent)
            .set_select(select(r.count_only, r.all_attributes, projection.is_some()));
        (builder, ex)
    }};
}

/// A transaction's put of `r` to table `full` (the name as sent): copied, as the transaction
/// request is the caller's.
fn put(full: String, r: &PutItem) -> Result<Put> {
    let c = Conditional::condition(r.condition.clone(), r.return_item_on_condition_failure);
    conditional!(
        part: Put::builder()
            .table_name(full)
            .set_item(Some(item_to_attributes_ref(&r.item))),
        c
    )
}

/// A transaction's update of the item at `r.key` in table `full`.
fn update(full: String, r: &UpdateItem) -> Result<Update> {
    let mut c = Conditional::render(
        Some(r.update.clone()),
        r.condition.clone(),
        r.return_item_on_condition_failure,
    );
    conditional!(
        part: Update::builder()
            .table_name(full)
            .set_key(Some(item_to_attributes_ref(&r.key)))
            .set_update_expression(c.update.take()),
        c
    )
}

/// A transaction's delete of the item at `r.key` in table `full`.
fn delete(full: String, r: &DeleteItem) -> Result<Delete> {
    let c = Conditional::condition(r.condition.clone(), r.return_item_on_condition_failure);
    conditional!(
        part: Delete::builder()
            .table_name(full)
            .set_key(Some(item_to_attributes_ref(&r.key))),
        c
    )
}

/// A transaction's condition check on the item at `r.key` in table `full`.
fn condition_check(full: String, r: &CheckRequest) -> Result<ConditionCheck> {
    let c = Conditional::condition(
        Some(r.condition.clone()),
        r.return_item_on_condition_failure,
    );
    conditional!(
        part: ConditionCheck::builder()
            .table_name(full)
            .set_key(Some(item_to_attributes_ref(&r.key))),
        c
    )
}

/// A read of the item at `r.key` in table `full` (projection rendered; `consistent` is the
/// caller's: transactional reads have none).
pub(crate) fn get(full: String, r: &GetItem, operation: &'static str) -> Result<Get> {
    let mut ex = Expressions::new().with_projection_opt(r.projection.as_deref());
    let attributes = ExpressionAttributes::take(&mut ex);
    Get::builder()
        .table_name(full)
        .set_key(Some(item_to_attributes_ref(&r.key)))
        .set_projection_expression(ex.projection)
        .set_expression_attribute_names(attributes.names)
        .build()
        .map_err(|e| build_error(operation, e))
}

impl DynamoBackend {
    /// GetItem of `r`.
    pub(crate) fn get_item_request(&self, r: &GetItem) -> Result<GetItemFluentBuilder> {
        let get = get(self.table_name(&r.table), r, "GetItem")?;
        Ok(self
            .client
            .get_item()
            .table_name(get.table_name)
            .set_key(Some(get.key))
            .consistent_read(r.consistent)
            .set_projection_expression(get.projection_expression)
            .set_expression_attribute_names(get.expression_attribute_names))
    }

    /// PutItem of `r`, which it consumes: the item's names and values move into the SDK's map.
    /// `table` is `r.table`, which the caller took out of `r` to name the call.
    pub(crate) fn put_item_request(&self, table: &str, r: PutItem) -> Result<PutItemFluentBuilder> {
        r.validate()?;
        let full = self.table_name(table);
        let c = Conditional::condition(r.condition, r.return_item_on_condition_failure);
        Ok(conditional!(
            self.client
                .put_item()
                .table_name(full)
                .set_item(Some(item_to_attributes(r.item))),
            c
        )
        .return_values(return_value(r.return_values)))
    }

    /// UpdateItem of `r`. An update with no action is sent without an `UpdateExpression`
    /// (DynamoDB then creates a missing item from its key and changes nothing else), which only
    /// UpdateItem allows: a transaction's update needs one.
    pub(crate) fn update_item_request(&self, r: &UpdateItem) -> Result<UpdateItemFluentBuilder> {
        r.validate()?;
        let actions = (!r.update.is_empty()).then(|| r.update.clone());
        let mut c = Conditional::render(
            actions,
            r.condition.clone(),
            r.return_item_on_condition_failure,
        );
        Ok(conditional!(
            self.client
                .update_item()
                .table_name(self.table_name(&r.table))
                .set_key(Some(item_to_attributes_ref(&r.key)))
                .set_update_expression(c.update.take()),
            c
        )
        .return_values(return_value(r.return_values)))
    }

    /// DeleteItem of `r`.
    pub(crate) fn delete_item_request(&self, r: &DeleteItem) -> Result<DeleteItemFluentBuilder> {
        r.validate()?;
        let c = Conditional::condition(r.condition.clone(), r.return_item_on_condition_failure);
        Ok(conditional!(
            self.client
                .delete_item()
                .table_name(self.table_name(&r.table))
                .set_key(Some(item_to_attributes_ref(&r.key))),
            c
        )
        .return_values(return_value(r.return_values)))
    }

    /// Query of `r`.
    pub(crate) fn query_request(&self, r: &QueryRequest) -> Result<QueryFluentBuilder> {
        let key_condition = Expressions::new().with_key_condition(r.key_condition.clone());
        let (sdk, ex) = paged_read!(self.client.query(), self, r, key_condition);
        Ok(sdk
            .set_key_condition_expression(ex.key_condition)
            .scan_index_forward(r.scan_forward))
    }

    /// Scan of `r` (one segment of a parallel scan when `r.segment` is set).
    pub(crate) fn scan_request(&self, r: &ScanRequest) -> Result<ScanFluentBuilder> {
        let (sdk, _) = paged_read!(self.client.scan(), self, r, Expressions::new());
        let (segment, total) = r.segment.map(|(s, t)| (s as i32, t as i32)).unzip();
        Ok(sdk.set_segment(segment).set_total_segments(total))
    }

    /// BatchGetItem of `r` on the batch client (the projection always includes the key
    /// attributes, to match answers to keys).
    pub(crate) fn batch_get_request(&self, r: &BatchGet) -> Result<BatchGetItemFluentBuilder> {
        r.validate(&orm_core::Backend::capabilities(self).limits)?;
        let projection = projection_with_keys(r.projection.clone(), &r.keys);
        let mut ex = Expressions::new().with_projection_opt(projection.as_deref());
        let attributes = ExpressionAttributes::take(&mut ex);
        let keys = KeysAndAttributes::builder()
            .set_keys(Some(r.keys.iter().map(item_to_attributes_ref).collect()))
            .consistent_read(r.consistent)
            .set_projection_expression(ex.projection)
            .set_expression_attribute_names(attributes.names)
            .build()
            .map_err(|e| build_error("BatchGetItem", e))?;
        Ok(self
            .batch_client()
            .batch_get_item()
            .request_items(self.table_name(&r.table), keys))
    }

    /// BatchWriteItem of `r` on the batch client; its items are moved into the SDK's maps.
    pub(crate) fn batch_write_request(&self, r: BatchWrite) -> Result<BatchWriteItemFluentBuilder> {
        r.validate(&orm_core::Backend::capabilities(self).limits)?;
        // Allocated once at its length (a collect through `Result` would grow it step by step).
        let mut writes = Vec::with_capacity(r.writes.len());
        for w in r.writes {
            writes.push(write_request(w)?);
        }
        Ok(self
            .batch_client()
            .batch_write_item()
            .request_items(self.table_name(&r.table), writes))
    }

    /// TransactGetItems of `r`.
    pub(crate) fn transact_get_request(
        &self,
        r: &TransactGet,
    ) -> Result<TransactGetItemsFluentBuilder> {
        r.validate(&orm_core::Backend::capabilities(self).limits)?;
        let gets = r
            .gets
            .iter()
            .map(|g| {
                let get = get(self.table_name(&g.table), g, "TransactGetItems")?;
                Ok(TransactGetItem::builder().get(get).build())
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(self
            .client
            .transact_get_items()
            .set_transact_items(Some(gets)))
    }

    /// TransactWriteItems of `r`: each action built as its single-item request is.
    pub(crate) fn transact_write_request(
        &self,
        r: &TransactWrite,
    ) -> Result<TransactWriteItemsFluentBuilder> {
        r.validate(&orm_core::Backend::capabilities(self).limits)?;
        let actions = r
            .actions
            .iter()
            .map(|action| {
                let full = self.table_name(action.target().0);
                let item = TransactWriteItem::builder();
                Ok(match action {
                    TransactWriteAction::Put(p) => item.put(put(full, p)?),
                    TransactWriteAction::Update(u) => item.update(update(full, u)?),
                    TransactWriteAction::Delete(d) => item.delete(delete(full, d)?),
                    TransactWriteAction::ConditionCheck(c) => {
                        item.condition_check(condition_check(full, c)?)
                    }
                }
                .build())
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .set_client_request_token(r.client_request_token.clone()))
    }
}

/// One write of a BatchWriteItem, its item or key moved into the SDK's map.
fn write_request(w: WriteRequest) -> Result<SdkWriteRequest> {
    let put = |item| {
        PutRequest::builder()
            .set_item(Some(item))
            .build()
            .map_err(|e| build_error("BatchWriteItem", e))
    };
    let write = SdkWriteRequest::builder();
    Ok(match w {
        WriteRequest::Put(item) => write.put_request(put(item_to_attributes(item))?),
        WriteRequest::PutEntries(entries) => {
            write.put_request(put(entries_to_attributes(entries))?)
        }
        WriteRequest::Delete(key) => write.delete_request(
            DeleteRequest::builder()
                .set_key(Some(item_to_attributes(key)))
                .build()
                .map_err(|e| build_error("BatchWriteItem", e))?,
        ),
    }
    .build())
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
