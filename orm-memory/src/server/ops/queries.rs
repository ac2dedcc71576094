//! Query and Scan.

use super::super::error::ApiError;
use super::super::json::{encode_item, item};
use super::call::run;
use super::capacity::{capacity_mode, consumed, read_units, with_capacity, CapacityMode};
use super::request::{
    condition, opt_bool, opt_str, opt_u32, placeholders, projection, req_str, table_name, Answer,
    Body, Context,
};
use orm_core::backend::{QueryOutput, QueryRequest, ScanRequest};
use orm_core::expr::parse as expr;
use orm_core::expr::Clause;
use orm_core::{Backend, Item};
use serde_json::{json, Map, Value as Json};

/// `Select`: whether only a count is wanted; `SPECIFIC_ATTRIBUTES` needs a projection and
/// `ALL_ATTRIBUTES` / `COUNT` must not have one.
fn select(body: &Body, has_projection: bool) -> Result<bool, ApiError> {
    match opt_str(body, "Select")? {
        None => Ok(false),
        Some("ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES" | "COUNT") if has_projection => {
            Err(ApiError::validation(
                "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES or COUNT",
            ))
        }
        Some("SPECIFIC_ATTRIBUTES") if !has_projection => Err(ApiError::validation(
            "Select SPECIFIC_ATTRIBUTES needs a ProjectionExpression",
        )),
        Some("COUNT") => Ok(true),
        Some("ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES" | "SPECIFIC_ATTRIBUTES") => Ok(false),
        Some(other) => Err(ApiError::validation(format!(
            "Select must be ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, SPECIFIC_ATTRIBUTES or COUNT; got {other}"
        ))),
    }
}

fn limit(body: &Body) -> Result<Option<u32>, ApiError> {
    match opt_u32(body, "Limit")? {
        Some(0) => Err(ApiError::validation(
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        )),
        other => Ok(other),
    }
}

fn start_key(body: &Body) -> Result<Option<Item>, ApiError> {
    body.get("ExclusiveStartKey")
        .map(|k| Ok(item(k, "ExclusiveStartKey")?))
        .transpose()
}

fn page_answer(
    page: QueryOutput<Item>,
    table: &str,
    consistent: bool,
    mode: CapacityMode,
    count_only: bool,
) -> Json {
    let bytes: usize = page.items.iter().map(Item::size).sum();
    let mut answer = Map::new();
    if !count_only {
        answer.insert(
            "Items".into(),
            Json::Array(page.items.iter().map(encode_item).collect()),
        );
    }
    answer.insert("Count".into(), json!(page.count));
    answer.insert("ScannedCount".into(), json!(page.scanned_count));
    if let Some(key) = &page.last_evaluated_key {
        answer.insert("LastEvaluatedKey".into(), encode_item(key));
    }
    with_capacity(
        answer,
        consumed(table, read_units(bytes, consistent), mode, true),
    )
}

pub(crate) fn query(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let table = table_name(body)?;
    let index = opt_str(body, "IndexName")?.map(str::to_string);
    let definition = run(backend.describe_table(&table))?;
    let (hash, range) = definition.key_schema(index.as_deref()).ok_or_else(|| {
        ApiError::validation(format!(
            "The table does not have the specified index: {}",
            index.as_deref().unwrap_or_default()
        ))
    })?;
    let mut ph = placeholders(body)?;
    let text = req_str(body, "KeyConditionExpression").map_err(|_| {
        ApiError::validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
    })?;
    let key_condition =
        expr::key_condition(&mut ph, text, &hash.name, range.map(|r| r.name.as_str()))?;
    let filter = condition(body, Clause::Filter, &mut ph)?;
    let projection = projection(body, &mut ph)?;
    ph.finish()?;
    let count_only = select(body, projection.is_some())?;
    let consistent = opt_bool(body, "ConsistentRead")?.unwrap_or(false);
    let request = QueryRequest {
        table: table.clone(),
        index,
        key_condition,
        filter,
        projection,
        limit: limit(body)?,
        exclusive_start_key: start_key(body)?,
        scan_forward: opt_bool(body, "ScanIndexForward")?.unwrap_or(true),
        consistent,
        count_only,
    };
    let page = run(backend.query(&request))?.sorted();
    Ok(page_answer(
        page,
        &table,
        consistent,
        capacity_mode(body)?,
        count_only,
    ))
}

pub(crate) fn scan(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let table = table_name(body)?;
    let mut ph = placeholders(body)?;
    let filter = condition(body, Clause::Filter, &mut ph)?;
    let projection = projection(body, &mut ph)?;
    ph.finish()?;
    let count_only = select(body, projection.is_some())?;
    let segment = match (opt_u32(body, "Segment")?, opt_u32(body, "TotalSegments")?) {
        (None, None) => None,
        (Some(segment), Some(total)) => {
            if total == 0 || total > 1_000_000 || segment >= total {
                return Err(ApiError::validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
                )));
            }
            Some((segment, total))
        }
        (Some(_), None) => {
            return Err(ApiError::validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ))
        }
    };
    let consistent = opt_bool(body, "ConsistentRead")?.unwrap_or(false);
    let request = ScanRequest {
        table: table.clone(),
        index: opt_str(body, "IndexName")?.map(str::to_string),
        filter,
        projection,
        limit: limit(body)?,
        exclusive_start_key: start_key(body)?,
        consistent,
        segment,
        count_only,
    };
    let page = run(backend.scan(&request))?.sorted();
    Ok(page_answer(
        page,
        &table,
        consistent,
        capacity_mode(body)?,
        count_only,
    ))
}
