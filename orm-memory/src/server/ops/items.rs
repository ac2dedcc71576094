//! The single-item operations: GetItem, PutItem, UpdateItem, DeleteItem (and the requests
//! TransactWriteItems shares with them).

use super::super::error::ApiError;
use super::super::json::{encode_item, item};
use super::call::run;
use super::capacity::{
    capacity_mode, consumed, read_units, with_capacity, write_units, CapacityMode,
};
use super::request::{
    condition, key_of, null, opt_bool, opt_str, parsed, projection, return_on_failure,
    return_values, table_name, Answer, Body, Context,
};
use orm_core::backend::{DeleteItem, GetItem, PutItem, RawItem, UpdateItem};
use orm_core::expr::parse::{self as expr, Placeholders};
use orm_core::expr::Clause;
use orm_core::{Backend, Item};
use serde_json::{Map, Value as Json};

pub(crate) fn get_request(body: &Body, ph: &mut Placeholders) -> Result<GetItem, ApiError> {
    Ok(GetItem {
        table: table_name(body)?,
        key: key_of(body)?,
        consistent: opt_bool(body, "ConsistentRead")?.unwrap_or(false),
        projection: projection(body, ph)?,
    })
}

pub(crate) fn get_item(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    if body.contains_key("ExpressionAttributeValues") {
        return Err(ApiError::validation(
            "ExpressionAttributeValues can only be specified when using expressions",
        ));
    }
    let request = parsed(body, |ph| get_request(body, ph))?;
    let mode = capacity_mode(body)?;
    let (table, consistent) = (request.table.clone(), request.consistent);
    let found = run(backend.get_item(&request))?.map(RawItem::into_item);
    let units = read_units(found.as_ref().map_or(0, Item::size), consistent);
    let mut answer = Map::new();
    if let Some(item) = found {
        answer.insert("Item".into(), encode_item(&item));
    }
    Ok(with_capacity(answer, consumed(&table, units, mode, true)))
}

fn attributes_answer(old: Option<Item>, capacity: Option<Json>) -> Json {
    let mut answer = Map::new();
    if let Some(item) = old {
        answer.insert("Attributes".into(), encode_item(&item));
    }
    with_capacity(answer, capacity)
}

pub(crate) fn put_request(body: &Body, ph: &mut Placeholders) -> Result<PutItem, ApiError> {
    Ok(PutItem {
        table: table_name(body)?,
        item: item(body.get("Item").ok_or_else(|| null("Item"))?, "Item")?,
        condition: condition(body, Clause::Condition, ph)?,
        return_values: return_values(body, &["NONE", "ALL_OLD"])?,
        return_item_on_condition_failure: return_on_failure(body)?,
    })
}

pub(crate) fn put_item(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let request = parsed(body, |ph| put_request(body, ph))?;
    let mode = capacity_mode(body)?;
    let (table, size) = (request.table.clone(), request.item.size());
    let old = run(backend.put_item(&request))?;
    Ok(attributes_answer(
        old,
        consumed(&table, write_units(size), mode, false),
    ))
}

pub(crate) fn update_request(body: &Body, ph: &mut Placeholders) -> Result<UpdateItem, ApiError> {
    let text = opt_str(body, "UpdateExpression")?.ok_or_else(|| {
        ApiError::validation(
            "dynamodb-memory needs an UpdateExpression on UpdateItem (an UpdateItem without one only creates the key; use PutItem with attribute_not_exists)",
        )
    })?;
    Ok(UpdateItem {
        table: table_name(body)?,
        key: key_of(body)?,
        update: expr::update(ph, text)?,
        condition: condition(body, Clause::Condition, ph)?,
        return_values: return_values(
            body,
            &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
        )?,
        return_item_on_condition_failure: return_on_failure(body)?,
    })
}

pub(crate) fn update_item(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let request = parsed(body, |ph| update_request(body, ph))?;
    let mode = capacity_mode(body)?;
    let table = request.table.clone();
    let key = request.key.clone();
    let out = run(backend.update_item(&request))?;
    let capacity = if mode == CapacityMode::None {
        None
    } else {
        let after = run(backend.get_item(&GetItem {
            consistent: true,
            ..GetItem::new(table.clone(), key)
        }))?
        .map(RawItem::into_item);
        consumed(
            &table,
            write_units(after.map_or(0, |i| i.size())),
            mode,
            false,
        )
    };
    Ok(attributes_answer(out, capacity))
}

pub(crate) fn delete_request(body: &Body, ph: &mut Placeholders) -> Result<DeleteItem, ApiError> {
    Ok(DeleteItem {
        table: table_name(body)?,
        key: key_of(body)?,
        condition: condition(body, Clause::Condition, ph)?,
        return_values: return_values(body, &["NONE", "ALL_OLD"])?,
        return_item_on_condition_failure: return_on_failure(body)?,
    })
}

pub(crate) fn delete_item(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let request = parsed(body, |ph| delete_request(body, ph))?;
    let mode = capacity_mode(body)?;
    let table = request.table.clone();
    let old = run(backend.delete_item(&request))?;
    let size = old.as_ref().map_or(0, Item::size);
    Ok(attributes_answer(
        old,
        consumed(&table, write_units(size), mode, false),
    ))
}
