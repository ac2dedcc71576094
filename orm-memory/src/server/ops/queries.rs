//! Query and Scan.

use super::super::constraints::{
    present, TableNameRule, Violations, RETURN_CONSUMED_CAPACITY, SELECT,
};
use super::super::error::ApiError;
use super::super::json::{encode_item, item};
use super::super::legacy;
use super::call::run;
use super::capacity::{recorder, with_capacity, Collector};
use super::items::read_projection;
use super::request::{
    check_constraints, condition, opt_bool, opt_i64, opt_str, opt_u32, placeholders, table_name,
    Answer, Body, Context,
};
use orm_core::backend::{KeyAttribute, QueryOutput, QueryRequest, ScanRequest};
use orm_core::expr::parse::{self as expr, Placeholders};
use orm_core::expr::Clause;
use orm_core::expr::{Condition, Path};
use orm_core::{Backend, Item};
use serde_json::{json, Map, Value as Json};

/// `IndexName`, when present: 3 to 255 characters of the name pattern.
fn index_name_constraints(body: &Body, v: &mut Violations) {
    if let Some(Json::String(name)) = present(body, "IndexName") {
        v.name("indexName", name, TableNameRule::Table);
    }
}

/// What a Query and a Scan read alike, after a query's key condition.
struct Reading {
    /// Its `FilterExpression`, or its legacy `QueryFilter` / `ScanFilter`.
    filter: Option<Condition>,
    projection: Option<Vec<Path>>,
    select: Select,
}

/// Reads a Query's or Scan's [`Reading`] (`legacy_member`: its legacy filter's name), then
/// checks every placeholder of `ph` was used, then reads `Select`.
fn read_filter_projection(
    body: &Body,
    legacy_member: &str,
    mut ph: Placeholders,
) -> Result<Reading, ApiError> {
    let filter = match condition(body, Clause::Filter, &mut ph)? {
        Some(c) => Some(c),
        None => legacy::filter(body, legacy_member)?,
    };
    let projection = read_projection(body, &mut ph)?;
    ph.finish()?;
    let select = select(body, projection.is_some())?;
    Ok(Reading {
        filter,
        projection,
        select,
    })
}

/// `Select`: whether only a count is wanted, and whether whole items are (`ALL_ATTRIBUTES`);
/// `SPECIFIC_ATTRIBUTES` needs a projection, `ALL_ATTRIBUTES` / `COUNT` must not have one,
/// and `ALL_PROJECTED_ATTRIBUTES` needs an index.
fn select(body: &Body, has_projection: bool) -> Result<Select, ApiError> {
    let plain = |count_only, all_attributes| Select {
        count_only,
        all_attributes,
    };
    match opt_str(body, "Select")? {
        None => Ok(plain(false, false)),
        Some("ALL_PROJECTED_ATTRIBUTES") if present(body, "IndexName").is_none() => {
            Err(ApiError::validation(
                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
            ))
        }
        Some("ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES" | "COUNT") if has_projection => {
            Err(ApiError::validation(
                "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES or COUNT",
            ))
        }
        Some("SPECIFIC_ATTRIBUTES") if !has_projection => Err(ApiError::validation(
            "Select SPECIFIC_ATTRIBUTES needs a ProjectionExpression",
        )),
        Some("COUNT") => Ok(plain(true, false)),
        Some("ALL_ATTRIBUTES") => Ok(plain(false, true)),
        // Any other value failed the request's constraints before this runs.
        Some(_) => Ok(plain(false, false)),
    }
}

/// What a request's `Select` asks for.
struct Select {
    count_only: bool,
    all_attributes: bool,
}

/// `Limit` (at least 1: checked with the request's constraints).
fn limit(body: &Body) -> Result<Option<u32>, ApiError> {
    Ok(opt_i64(body, "Limit")?.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
}

fn start_key(body: &Body) -> Result<Option<Item>, ApiError> {
    body.get("ExclusiveStartKey")
        .map(|k| Ok(item(k, "ExclusiveStartKey")?))
        .transpose()
}

fn page_answer(page: QueryOutput<Item>, capacity: Option<Collector>, count_only: bool) -> Json {
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
    with_capacity(answer, capacity.and_then(|c| c.one()))
}

pub(crate) fn query(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    check_constraints(body, |v| {
        v.one_of(body, "Select", SELECT);
        index_name_constraints(body, v);
        v.one_of(body, "ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
        legacy::condition_constraints(body, "QueryFilter", v);
        legacy::member_constraints(body, v);
        // DynamoDB names Query's limit `Limit` and leaves its value out (Scan does neither).
        v.at_least(body, "Limit", "Limit", 1, false);
        legacy::condition_constraints(body, "KeyConditions", v);
    })?;
    legacy::check_style(body, legacy::QUERY_EXPRESSIONS, legacy::QUERY_LEGACY)?;
    if present(body, "KeyConditions").is_none() && present(body, "KeyConditionExpression").is_none()
    {
        return Err(ApiError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    }
    let table = table_name(body)?;
    let index = opt_str(body, "IndexName")?.map(str::to_string);
    let definition = run(backend.describe_table(&table))?;
    // The partition and sort key attributes read (several for a multi-attribute index key).
    let (hash, range): (Vec<&KeyAttribute>, Vec<&KeyAttribute>) = match index.as_deref() {
        None => (
            vec![&definition.partition_key],
            definition.sort_key.iter().collect(),
        ),
        Some(name) => {
            let i = definition.index(name).ok_or_else(|| {
                ApiError::validation(format!(
                    "The table does not have the specified index: {name}"
                ))
            })?;
            (i.partition_keys().collect(), i.sort_keys().collect())
        }
    };
    let mut ph = placeholders(body)?;
    let key_condition = match opt_str(body, "KeyConditionExpression")? {
        Some(text) => {
            let hash: Vec<&str> = hash.iter().map(|k| k.name.as_str()).collect();
            let range: Vec<&str> = range.iter().map(|k| k.name.as_str()).collect();
            expr::multi_key_condition(&mut ph, text, &hash, &range)?
        }
        None => legacy::key_conditions(body, &hash, &range)?
            .expect("KeyConditions is present when KeyConditionExpression is not"),
    };
    let Reading {
        filter,
        projection,
        select,
    } = read_filter_projection(body, "QueryFilter", ph)?;
    let consistent = opt_bool(body, "ConsistentRead")?.unwrap_or(false);
    let capacity = Collector::of(body)?;
    let request = QueryRequest {
        capacity: recorder(&capacity),
        table: table.clone(),
        index,
        key_condition,
        filter,
        projection,
        limit: limit(body)?,
        exclusive_start_key: start_key(body)?,
        scan_forward: opt_bool(body, "ScanIndexForward")?.unwrap_or(true),
        consistent,
        count_only: select.count_only,
        all_attributes: select.all_attributes,
    };
    let page = run(backend.query(&request))?.sorted()?;
    Ok(page_answer(page, capacity, select.count_only))
}

pub(crate) fn scan(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    check_constraints(body, |v| {
        v.one_of(body, "Select", SELECT);
        index_name_constraints(body, v);
        if let Some(total) = present(body, "TotalSegments").and_then(Json::as_i64) {
            if total > 1_000_000 {
                v.push(
                    super::super::constraints::Shown::Text(total.to_string()),
                    "totalSegments",
                    "Member must have value less than or equal to 1000000",
                );
            }
        }
        v.at_least(body, "TotalSegments", "totalSegments", 1, true);
        v.one_of(body, "ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
        legacy::member_constraints(body, v);
        legacy::condition_constraints(body, "ScanFilter", v);
        v.at_least(body, "Segment", "segment", 0, true);
        v.at_least(body, "Limit", "limit", 1, true);
    })?;
    legacy::check_style(
        body,
        &["ProjectionExpression", "FilterExpression"],
        &["AttributesToGet", "ScanFilter", "ConditionalOperator"],
    )?;
    let table = table_name(body)?;
    let ph = placeholders(body)?;
    let Reading {
        filter,
        projection,
        select,
    } = read_filter_projection(body, "ScanFilter", ph)?;
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
    let capacity = Collector::of(body)?;
    let request = ScanRequest {
        capacity: recorder(&capacity),
        table: table.clone(),
        index: opt_str(body, "IndexName")?.map(str::to_string),
        filter,
        projection,
        limit: limit(body)?,
        exclusive_start_key: start_key(body)?,
        consistent,
        segment,
        count_only: select.count_only,
        all_attributes: select.all_attributes,
    };
    let page = run(backend.scan(&request))?.sorted()?;
    Ok(page_answer(page, capacity, select.count_only))
}
