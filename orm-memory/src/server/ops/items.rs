//! The single-item operations: GetItem, PutItem, UpdateItem, DeleteItem (and the requests
//! TransactWriteItems shares with them).

use super::super::constraints::{
    Violations, RETURN_CONSUMED_CAPACITY, RETURN_ITEM_COLLECTION_METRICS, RETURN_VALUES,
    RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
};
use super::super::error::ApiError;
use super::super::json::{encode_item, item};
use super::super::legacy;
use super::call::run;
use super::capacity::{recorder, with_capacity, Collector};
use super::collections;
use super::request::{
    check_constraints, condition, key_of, null, opt_bool, opt_str, parsed, projection,
    return_on_failure, return_values, table_name, Answer, Body, Context,
};
use orm_core::backend::{DeleteItem, GetItem, PutItem, RawItem, UpdateItem};
use orm_core::expr::parse::{self as expr, Placeholders};
use orm_core::expr::Clause;
use orm_core::expr::{Condition, Path};
use orm_core::{Backend, Item};
use serde_json::{Map, Value as Json};

/// The request's condition: its `ConditionExpression`, or its legacy `Expected` (a request
/// has at most one of them, [`legacy::check_style`]).
fn write_condition(body: &Body, ph: &mut Placeholders) -> Result<Option<Condition>, ApiError> {
    match condition(body, Clause::Condition, ph)? {
        Some(c) => Ok(Some(c)),
        None => legacy::expected(body),
    }
}

/// The request's projection: its `ProjectionExpression`, or its legacy `AttributesToGet`.
pub(crate) fn read_projection(
    body: &Body,
    ph: &mut Placeholders,
) -> Result<Option<Vec<Path>>, ApiError> {
    match projection(body, ph)? {
        Some(p) => Ok(Some(p)),
        None => legacy::attributes_to_get(body),
    }
}

/// The constraints of the members every single-item write has, in DynamoDB's order for
/// `operation`, plus the legacy members'.
fn write_constraints(body: &Body, order: &[&str]) -> Result<(), ApiError> {
    check_constraints(body, |v: &mut Violations| {
        for member in order {
            match *member {
                "ReturnConsumedCapacity" => {
                    v.one_of(body, member, RETURN_CONSUMED_CAPACITY);
                }
                "ReturnValues" => v.one_of(body, member, RETURN_VALUES),
                "ReturnItemCollectionMetrics" => {
                    v.one_of(body, member, RETURN_ITEM_COLLECTION_METRICS);
                }
                other => v.not_null(body, other),
            }
        }
        v.one_of(
            body,
            "ReturnValuesOnConditionCheckFailure",
            RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
        );
        legacy::condition_constraints(body, "Expected", v);
        legacy::update_constraints(body, v);
        legacy::member_constraints(body, v);
    })
}

/// The item collection metrics of a write to `key` in `table`, when asked for and the table
/// has local indexes.
fn collection_metrics(
    cx: &Context<'_>,
    body: &Body,
    table: &str,
    key: &Item,
) -> Result<Option<Json>, ApiError> {
    if !collections::wanted(body)? {
        return Ok(None);
    }
    let definition = run(cx.backend.describe_table(table))?;
    collections::metrics(cx.backend, &definition, key)
}

pub(crate) fn get_request(body: &Body, ph: &mut Placeholders) -> Result<GetItem, ApiError> {
    Ok(GetItem::new(table_name(body)?, key_of(body)?)
        .with_consistent(opt_bool(body, "ConsistentRead")?.unwrap_or(false))
        .with_projection(read_projection(body, ph)?))
}

pub(crate) fn get_item(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    check_constraints(body, |v| {
        legacy::member_constraints(body, v);
        v.one_of(body, "ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
        v.not_null(body, "Key");
    })?;
    legacy::check_style(body, &["ProjectionExpression"], &["AttributesToGet"])?;
    if body.contains_key("ExpressionAttributeValues") {
        return Err(ApiError::validation(
            "ExpressionAttributeValues can only be specified when using expressions",
        ));
    }
    let mut request = parsed(body, |ph| get_request(body, ph))?;
    let capacity = Collector::of(body)?;
    request.capacity = recorder(&capacity);
    let found = run(backend.get_item(&request))?
        .map(RawItem::into_item)
        .transpose()?;
    let mut answer = Map::new();
    if let Some(item) = found {
        answer.insert("Item".into(), encode_item(&item));
    }
    Ok(with_capacity(answer, capacity.and_then(|c| c.one())))
}

fn attributes_answer(old: Option<Item>, capacity: Option<Json>, metrics: Option<Json>) -> Json {
    let mut answer = Map::new();
    if let Some(item) = old {
        answer.insert("Attributes".into(), encode_item(&item));
    }
    if let Some(metrics) = metrics {
        answer.insert("ItemCollectionMetrics".into(), metrics);
    }
    with_capacity(answer, capacity)
}

pub(crate) fn put_request(body: &Body, ph: &mut Placeholders) -> Result<PutItem, ApiError> {
    let table = table_name(body)?;
    let item = item(body.get("Item").ok_or_else(|| null("Item"))?, "Item")?;
    Ok(PutItem::new(table, item)
        .with_condition(write_condition(body, ph)?)
        .with_return_values(return_values(body, &["ALL_OLD", "NONE"])?)
        .with_return_item_on_condition_failure(return_on_failure(body)?))
}

pub(crate) fn put_item(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    write_constraints(
        body,
        &[
            "ReturnConsumedCapacity",
            "Item",
            "ReturnValues",
            "ReturnItemCollectionMetrics",
        ],
    )?;
    legacy::check_style(body, &["ConditionExpression"], &["Expected"])?;
    let mut request = parsed(body, |ph| put_request(body, ph))?;
    let capacity = Collector::of(body)?;
    request.capacity = recorder(&capacity);
    let table = request.table.clone();
    // The backend takes the put by value: the item's collection metrics (rarely asked for) need
    // a copy of it.
    let written = collections::wanted(body)?.then(|| request.item.clone());
    let old = run(backend.put_item(request))?;
    let metrics = match &written {
        Some(item) => collection_metrics(cx, body, &table, item)?,
        None => None,
    };
    Ok(attributes_answer(
        old,
        capacity.and_then(|c| c.one()),
        metrics,
    ))
}

/// An UpdateItem request: its `UpdateExpression`, or its legacy `AttributeUpdates`, or
/// neither (an update with no action, which creates a missing item from its key).
pub(crate) fn update_request(body: &Body, ph: &mut Placeholders) -> Result<UpdateItem, ApiError> {
    let update = match opt_str(body, "UpdateExpression")? {
        Some(text) => expr::update(ph, text)?,
        None => legacy::attribute_updates(body)?.unwrap_or_default(),
    };
    let returned = ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];
    Ok(UpdateItem::new(table_name(body)?, key_of(body)?, update)
        .with_condition(write_condition(body, ph)?)
        .with_return_values(return_values(body, &returned)?)
        .with_return_item_on_condition_failure(return_on_failure(body)?))
}

pub(crate) fn update_item(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    write_constraints(
        body,
        &[
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
            "ReturnValues",
            "Key",
        ],
    )?;
    legacy::check_style(
        body,
        &["UpdateExpression", "ConditionExpression"],
        &["AttributeUpdates", "Expected"],
    )?;
    let mut request = parsed(body, |ph| update_request(body, ph))?;
    let capacity = Collector::of(body)?;
    request.capacity = recorder(&capacity);
    let out = run(backend.update_item(&request)).map_err(|e| {
        if body.contains_key("AttributeUpdates") {
            legacy::update_error(e)
        } else {
            e
        }
    })?;
    let metrics = collection_metrics(cx, body, &request.table, &request.key)?;
    Ok(attributes_answer(
        out,
        capacity.and_then(|c| c.one()),
        metrics,
    ))
}

pub(crate) fn delete_request(body: &Body, ph: &mut Placeholders) -> Result<DeleteItem, ApiError> {
    Ok(DeleteItem::new(table_name(body)?, key_of(body)?)
        .with_condition(write_condition(body, ph)?)
        .with_return_values(return_values(body, &["ALL_OLD", "NONE"])?)
        .with_return_item_on_condition_failure(return_on_failure(body)?))
}

pub(crate) fn delete_item(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    write_constraints(
        body,
        &[
            "ReturnConsumedCapacity",
            "ReturnValues",
            "ReturnItemCollectionMetrics",
            "Key",
        ],
    )?;
    legacy::check_style(body, &["ConditionExpression"], &["Expected"])?;
    let mut request = parsed(body, |ph| delete_request(body, ph))?;
    let capacity = Collector::of(body)?;
    request.capacity = recorder(&capacity);
    let old = run(backend.delete_item(&request))?;
    let metrics = collection_metrics(cx, body, &request.table, &request.key)?;
    Ok(attributes_answer(
        old,
        capacity.and_then(|c| c.one()),
        metrics,
    ))
}
