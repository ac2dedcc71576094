//! BatchGetItem and BatchWriteItem.

use super::super::error::ApiError;
use super::super::json::{encode_item, item};
use super::call::run;
use super::capacity::{capacity_mode, consumed, read_units, write_units, CapacityMode};
use super::request::{
    check_fields, list, null, obj, opt_bool, parsed, projection, Answer, Body, Context,
};
use orm_core::backend::{BatchGet, BatchWrite, RawItem, WriteRequest};
use orm_core::{Backend, Item};
use serde_json::{Map, Value as Json};

fn request_items(body: &Body) -> Result<&Body, ApiError> {
    let items = obj(
        body.get("RequestItems")
            .ok_or_else(|| null("RequestItems"))?,
        "RequestItems",
    )?;
    if items.is_empty() {
        return Err(ApiError::validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    Ok(items)
}

pub(crate) fn batch_get(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let mode = capacity_mode(body)?;
    let mut requests = Vec::new();
    let mut total = 0;
    for (table, spec) in request_items(body)? {
        let spec = obj(spec, "RequestItems")?;
        check_fields(
            spec,
            &[
                "Keys",
                "ConsistentRead",
                "ProjectionExpression",
                "ExpressionAttributeNames",
            ],
        )?;
        let keys: Vec<Item> = list(spec.get("Keys").ok_or_else(|| null("Keys"))?, "Keys")?
            .iter()
            .map(|k| item(k, "Keys"))
            .collect::<Result<_, _>>()?;
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].contains(k) {
                return Err(ApiError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
        }
        total += keys.len();
        let projection = parsed(spec, |ph| projection(spec, ph))?;
        requests.push(BatchGet {
            table: table.clone(),
            keys,
            consistent: opt_bool(spec, "ConsistentRead")?.unwrap_or(false),
            projection,
        });
    }
    if total > 100 {
        return Err(ApiError::validation(format!(
            "Too many items requested for the BatchGetItem call: {total} keys (at most 100)"
        )));
    }
    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    let mut capacity = Vec::new();
    for request in requests {
        let table = request.table.clone();
        let consistent = request.consistent;
        let spec = &body["RequestItems"][&table];
        let out = run(backend.batch_get(&request))?;
        let items: Vec<Item> = out.items.into_iter().map(RawItem::into_item).collect();
        let bytes: usize = items.iter().map(Item::size).sum();
        capacity.extend(consumed(&table, read_units(bytes, consistent), mode, true));
        responses.insert(
            table.clone(),
            Json::Array(items.iter().map(encode_item).collect()),
        );
        if !out.unprocessed_keys.is_empty() {
            let mut again = spec.as_object().cloned().unwrap_or_default();
            again.insert(
                "Keys".into(),
                Json::Array(out.unprocessed_keys.iter().map(encode_item).collect()),
            );
            unprocessed.insert(table, Json::Object(again));
        }
    }
    let mut answer = Map::new();
    answer.insert("Responses".into(), Json::Object(responses));
    answer.insert("UnprocessedKeys".into(), Json::Object(unprocessed));
    if mode != CapacityMode::None {
        answer.insert("ConsumedCapacity".into(), Json::Array(capacity));
    }
    Ok(Json::Object(answer))
}

pub(crate) fn batch_write(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let mode = capacity_mode(body)?;
    let mut requests = Vec::new();
    let mut total = 0;
    for (table, writes) in request_items(body)? {
        let mut decoded = Vec::new();
        for w in list(writes, "RequestItems")? {
            let w = obj(w, "RequestItems")?;
            check_fields(w, &["PutRequest", "DeleteRequest"])?;
            let request = match (w.get("PutRequest"), w.get("DeleteRequest")) {
                (Some(p), None) => WriteRequest::Put(item(
                    obj(p, "PutRequest")?.get("Item").ok_or_else(|| null("Item"))?,
                    "Item",
                )?),
                (None, Some(d)) => WriteRequest::Delete(item(
                    obj(d, "DeleteRequest")?.get("Key").ok_or_else(|| null("Key"))?,
                    "Key",
                )?),
                _ => {
                    return Err(ApiError::validation(
                        "Supplied AttributeValue has more than one datatypes set: a WriteRequest holds exactly one of PutRequest or DeleteRequest",
                    ))
                }
            };
            decoded.push(request);
        }
        total += decoded.len();
        requests.push(BatchWrite {
            table: table.clone(),
            writes: decoded,
        });
    }
    if total > 25 {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1] ({total} writes)"
        )));
    }
    // Every write of every table is checked before any is applied, as one request: an invalid
    // write (or a missing table) anywhere in the batch leaves every table as it was.
    backend.batch_write_tables(&requests)?;
    let capacity: Vec<Json> = requests
        .iter()
        .filter_map(|request| {
            let units: f64 = request
                .writes
                .iter()
                .map(|w| match w {
                    WriteRequest::Put(i) => write_units(i.size()),
                    WriteRequest::Delete(k) => write_units(k.size()),
                })
                .sum();
            consumed(&request.table, units, mode, false)
        })
        .collect();
    // MemoryBackend applies every write of a valid batch: nothing is ever left unprocessed.
    let mut answer = Map::new();
    answer.insert("UnprocessedItems".into(), Json::Object(Map::new()));
    if mode != CapacityMode::None {
        answer.insert("ConsumedCapacity".into(), Json::Array(capacity));
    }
    Ok(Json::Object(answer))
}
