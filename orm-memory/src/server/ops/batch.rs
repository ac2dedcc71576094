//! BatchGetItem and BatchWriteItem.

use super::super::constraints::{
    java_string, matches_name_pattern, present, Shown, Violations, RETURN_CONSUMED_CAPACITY,
};
use super::super::error::ApiError;
use super::super::json::{encode_item, item};
use super::super::legacy;
use super::call::run;
use super::capacity::{recorder, Collector};
use super::items::read_projection;
use super::request::{check_fields, list, null, obj, opt_bool, parsed, Answer, Body, Context};
use orm_core::backend::{BatchGet, BatchWrite, RawItem, WriteRequest};
use orm_core::{Backend, Item};
use serde_json::{Map, Value as Json};

/// `RequestItems`: present (a `not null` violation otherwise, with the request's others) and not
/// empty (DynamoDB's own message, naming the operation).
fn request_items<'a>(body: &'a Body, operation: &str) -> Result<&'a Body, ApiError> {
    let items = obj(
        body.get("RequestItems")
            .ok_or_else(|| null("RequestItems"))?,
        "RequestItems",
    )?;
    if items.is_empty() {
        return Err(ApiError::validation(format!(
            "The requestItems parameter is required for {operation}"
        )));
    }
    Ok(items)
}

/// The constraints on `RequestItems`' table names (3 to 255 characters of the name pattern),
/// reported once for the whole map.
fn table_name_constraints(items: &Body, v: &mut Violations) {
    let bad = items
        .keys()
        .any(|name| !matches_name_pattern(name) || name.len() < 3 || name.len() > 255);
    if bad {
        v.push(
            Shown::Text(java_string(&Json::Object(items.clone()))),
            "requestItems",
            "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]",
        );
    }
}

pub(crate) fn batch_get(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let mut v = Violations::new();
    v.one_of(body, "ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
    v.not_null(body, "RequestItems");
    if let Some(Json::Object(items)) = present(body, "RequestItems") {
        table_name_constraints(items, &mut v);
        for (table, spec) in items {
            let Json::Object(spec) = spec else { continue };
            match present(spec, "Keys") {
                None => v.push(
                    Shown::Null,
                    &format!("requestItems.{table}.member.keys"),
                    "Member must not be null",
                ),
                Some(Json::Array(keys)) if keys.is_empty() => v.push(
                    Shown::Text("[]".into()),
                    &format!("requestItems.{table}.member.keys"),
                    "Member must have length greater than or equal to 1",
                ),
                // DynamoDB spells this one's path capitalised and leaves the keys out.
                Some(Json::Array(keys)) if keys.len() > 100 => v.push(
                    Shown::Hidden,
                    &format!("RequestItems.{table}.member.Keys"),
                    "Member must have length less than or equal to 100",
                ),
                _ => {}
            }
            legacy::member_constraints(spec, &mut v);
        }
    }
    v.finish()?;
    let capacity = Collector::of(body)?;
    let mut requests = Vec::new();
    let mut total = 0;
    for (table, spec) in request_items(body, "BatchGetItem")? {
        let spec = obj(spec, "RequestItems")?;
        check_fields(
            spec,
            &[
                "Keys",
                "ConsistentRead",
                "ProjectionExpression",
                "ExpressionAttributeNames",
                "AttributesToGet",
            ],
        )?;
        legacy::check_style(spec, &["ProjectionExpression"], &["AttributesToGet"])?;
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
        let projection = parsed(spec, |ph| read_projection(spec, ph))?;
        requests.push(BatchGet {
            capacity: recorder(&capacity),
            table: table.clone(),
            keys,
            consistent: opt_bool(spec, "ConsistentRead")?.unwrap_or(false),
            projection,
        });
    }
    if total > 100 {
        return Err(ApiError::validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    for request in requests {
        let table = request.table.clone();
        let spec = &body["RequestItems"][&table];
        let out = run(backend.batch_get(&request))?;
        let items: Vec<Item> = out
            .items
            .into_iter()
            .map(RawItem::into_item)
            .collect::<orm_core::Result<_>>()?;
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
    if let Some(capacity) = capacity {
        answer.insert("ConsumedCapacity".into(), capacity.list());
    }
    Ok(Json::Object(answer))
}

pub(crate) fn batch_write(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let mut v = Violations::new();
    v.return_options(body);
    v.not_null(body, "RequestItems");
    if let Some(Json::Object(items)) = present(body, "RequestItems") {
        table_name_constraints(items, &mut v);
        let bad_length = items
            .values()
            .any(|w| matches!(w, Json::Array(w) if w.is_empty() || w.len() > 25));
        if bad_length {
            v.push(
                Shown::Text(java_string(&Json::Object(items.clone()))),
                "requestItems",
                "Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
            );
        }
    }
    v.finish()?;
    let capacity = Collector::of(body)?;
    let mut requests = Vec::new();
    let mut total = 0;
    for (table, writes) in request_items(body, "BatchWriteItem")? {
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
            capacity: recorder(&capacity),
            table: table.clone(),
            writes: decoded,
        });
    }
    if total > 25 {
        return Err(ApiError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    // Every write of every table is checked before any is applied, as one request: an invalid
    // write (or a missing table) anywhere in the batch leaves every table as it was.
    backend.batch_write_tables(&requests)?;
    // MemoryBackend applies every write of a valid batch: nothing is ever left unprocessed.
    let mut answer = Map::new();
    answer.insert("UnprocessedItems".into(), Json::Object(Map::new()));
    if let Some(capacity) = capacity {
        answer.insert("ConsumedCapacity".into(), capacity.list());
    }
    Ok(Json::Object(answer))
}
