//! TransactGetItems and TransactWriteItems.

use super::super::constraints::{java_string, present, Shown, Violations};
use super::super::error::ApiError;
use super::super::json::encode_item;
use super::call::run;
use super::capacity::{recorder, with_capacity, Collector};
use super::items::{delete_request, get_request, put_request, update_request};
use super::request::{
    check_fields, condition, key_of, list, null, obj, opt_str, parsed, return_on_failure,
    table_name, Answer, Body, Context,
};
use crate::MemoryBackend;
use orm_core::backend::{ConditionCheck, GetItem, TransactGet, TransactWrite, TransactWriteAction};
use orm_core::expr::Clause;
use orm_core::{Backend, Item};
use serde_json::{json, Map, Value as Json};

fn transact_items(body: &Body) -> Result<&Vec<Json>, ApiError> {
    list(
        body.get("TransactItems")
            .ok_or_else(|| null("TransactItems"))?,
        "TransactItems",
    )
}

/// The constraints of both transaction operations: `TransactItems` holds 1 to 100 actions,
/// and the return options are in their enums.
fn constraints(body: &Body) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.return_options(body);
    v.not_null(body, "TransactItems");
    if let Some(Json::Array(items)) = present(body, "TransactItems") {
        v.length_within(items.len(), 100, "transactItems", || {
            Shown::Text(java_string(&Json::Array(items.clone())))
        });
    }
    if let Some(Json::String(token)) = present(body, "ClientRequestToken") {
        v.length_within(token.chars().count(), 36, "clientRequestToken", || {
            Shown::Text(token.clone())
        });
    }
    v.finish()
}

fn only_member<'a>(
    action: &'a Body,
    allowed: &[&'static str],
) -> Result<(&'static str, &'a Body), ApiError> {
    check_fields(action, allowed)?;
    let mut found = allowed
        .iter()
        .filter_map(|name| action.get(*name).map(|v| (*name, v)));
    match (found.next(), found.next()) {
        (Some((name, v)), None) => Ok((name, obj(v, name)?)),
        _ => Err(ApiError::validation(format!(
            "A transaction item holds exactly one of {}",
            allowed.join(", ")
        ))),
    }
}

pub(crate) fn transact_get(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    constraints(body)?;
    let mut gets = Vec::new();
    for action in transact_items(body)? {
        let (_, get) = only_member(obj(action, "TransactItems")?, &["Get"])?;
        check_fields(
            get,
            &[
                "TableName",
                "Key",
                "ProjectionExpression",
                "ExpressionAttributeNames",
            ],
        )?;
        let mut request = parsed(get, |ph| get_request(get, ph))?;
        request.consistent = true;
        gets.push(request);
    }
    read_all(backend, gets, Collector::of(body)?, |_, item| item)
}

/// Reads `gets` in one TransactGetItems, answered as DynamoDB answers it: `Responses`, each
/// item found as `shown` makes it (given its read's position), and the `ConsumedCapacity`
/// `capacity` collects, one per table (also ExecuteTransaction's reads).
pub(crate) fn read_all(
    backend: &MemoryBackend,
    gets: Vec<GetItem>,
    capacity: Option<Collector>,
    shown: impl Fn(usize, Item) -> Item,
) -> Answer {
    let found = run(backend.transact_get(&TransactGet {
        capacity: recorder(&capacity),
        ..TransactGet::new(gets)
    }))?;
    let responses = found
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            Ok(match f {
                Some(item) => json!({ "Item": encode_item(&shown(i, item.into_item()?)) }),
                None => json!({}),
            })
        })
        .collect::<orm_core::Result<Vec<Json>>>()?;
    let mut answer = Map::new();
    answer.insert("Responses".into(), Json::Array(responses));
    Ok(with_capacity(answer, capacity.map(|c| c.list())))
}

pub(crate) fn transact_write(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    constraints(body)?;
    let mut actions = Vec::new();
    for action in transact_items(body)? {
        let (kind, spec) = only_member(
            obj(action, "TransactItems")?,
            &["Put", "Update", "Delete", "ConditionCheck"],
        )?;
        let common = [
            "TableName",
            "ConditionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "ReturnValuesOnConditionCheckFailure",
        ];
        let extra: &[&str] = match kind {
            "Put" => &["Item"],
            "Update" => &["Key", "UpdateExpression"],
            _ => &["Key"],
        };
        let allowed: Vec<&str> = common.iter().chain(extra).copied().collect();
        check_fields(spec, &allowed)?;
        if kind == "Update" && present(spec, "UpdateExpression").is_none() {
            return Err(null("UpdateExpression"));
        }
        let action = parsed(spec, |ph| {
            Ok(match kind {
                "Put" => TransactWriteAction::Put(put_request(spec, ph)?),
                "Update" => TransactWriteAction::Update(update_request(spec, ph)?),
                "Delete" => TransactWriteAction::Delete(delete_request(spec, ph)?),
                _ => TransactWriteAction::ConditionCheck(ConditionCheck {
                    table: table_name(spec)?,
                    key: key_of(spec)?,
                    condition: condition(spec, Clause::Condition, ph)?
                        .ok_or_else(|| null("ConditionExpression"))?,
                    return_item_on_condition_failure: return_on_failure(spec)?,
                }),
            })
        })?;
        actions.push(action);
    }
    let token = opt_str(body, "ClientRequestToken")?.map(str::to_string);
    let capacity = Collector::of(body)?;
    run(backend.transact_write(&TransactWrite {
        capacity: recorder(&capacity),
        actions,
        client_request_token: token,
    }))?;
    Ok(match capacity {
        Some(capacity) => json!({ "ConsumedCapacity": capacity.list() }),
        None => json!({}),
    })
}
