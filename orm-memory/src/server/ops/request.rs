//! Reading a request body: its members (typed, with DynamoDB's errors for missing and mistyped
//! ones), its table name, key and placeholders, and its expressions parsed against them.

use super::super::constraints::{TableNameRule, Violations};
use super::super::error::ApiError;
use super::super::json::{item, value};
use crate::MemoryBackend;
use orm_core::backend::ReturnValues;
use orm_core::expr::parse::{self as expr, Placeholders};
use orm_core::expr::{Clause, Condition, Path};
use orm_core::Item;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// What a handler serves a request with: the backend, and the region the caller signed the
/// request for (the region of the ARNs it is answered with).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// The backend.
    pub(crate) backend: &'a MemoryBackend,
    /// The caller's region (`us-east-1` when the request is not signed).
    pub(crate) region: &'a str,
}

/// A request body: a JSON object.
pub(crate) type Body = Map<String, Json>;
/// An operation's answer: the JSON body of a 200, or an error.
pub(crate) type Answer = Result<Json, ApiError>;

/// Rejects a member the operation does not take, naming the ones it does.
pub(crate) fn check_fields(body: &Body, allowed: &[&str]) -> Result<(), ApiError> {
    for name in body.keys() {
        if !allowed.contains(&name.as_str()) {
            return Err(ApiError::validation(format!(
                "Unknown parameter {name:?}; this operation takes: {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

// ------------------------------------------------------------ field access ---

pub(crate) fn null(member: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        lower_first(member)
    ))
}

pub(crate) use super::super::constraints::lower_first;

pub(crate) fn wrong_type(member: &str, expected: &str) -> ApiError {
    ApiError::serialization(format!("{member} must be {expected}"))
}

/// An optional member: `None` when absent or null, else what `read` makes of it, and a member
/// `read` refuses is not `expected`.
fn optional<'a, T>(
    body: &'a Body,
    member: &str,
    expected: &str,
    read: impl FnOnce(&'a Json) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    match body.get(member) {
        None | Some(Json::Null) => Ok(None),
        Some(json) => read(json)
            .map(Some)
            .ok_or_else(|| wrong_type(member, expected)),
    }
}

pub(crate) fn opt_str<'a>(body: &'a Body, member: &str) -> Result<Option<&'a str>, ApiError> {
    optional(body, member, "a string", Json::as_str)
}

pub(crate) fn req_str<'a>(body: &'a Body, member: &str) -> Result<&'a str, ApiError> {
    opt_str(body, member)?.ok_or_else(|| null(member))
}

pub(crate) fn opt_bool(body: &Body, member: &str) -> Result<Option<bool>, ApiError> {
    optional(body, member, "a boolean", Json::as_bool)
}

pub(crate) fn opt_u32(body: &Body, member: &str) -> Result<Option<u32>, ApiError> {
    optional(body, member, "an integer", Json::as_number)?
        .map(|n| {
            n.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| wrong_type(member, "a non-negative integer"))
        })
        .transpose()
}

/// An optional integer member (any sign: the caller checks the range with DynamoDB's message).
pub(crate) fn opt_i64(body: &Body, member: &str) -> Result<Option<i64>, ApiError> {
    optional(body, member, "an integer", Json::as_i64)
}

pub(crate) fn obj<'a>(json: &'a Json, member: &str) -> Result<&'a Body, ApiError> {
    json.as_object()
        .ok_or_else(|| wrong_type(member, "an object"))
}

pub(crate) fn list<'a>(json: &'a Json, member: &str) -> Result<&'a Vec<Json>, ApiError> {
    json.as_array().ok_or_else(|| wrong_type(member, "a list"))
}

/// Checks the member constraints of an item operation's request (see `server::constraints`):
/// its `TableName` first, reported on its own when it is invalid (DynamoDB resolves the table,
/// or its ARN, before anything else), then every other constraint `rest` checks, reported
/// together.
pub(crate) fn check_constraints(
    body: &Body,
    rest: impl FnOnce(&mut Violations),
) -> Result<(), ApiError> {
    let mut violations = Violations::new();
    violations.table_name(body, TableNameRule::Item)?;
    violations.finish()?;
    let mut violations = Violations::new();
    rest(&mut violations);
    violations.finish()
}

/// The request's `TableName`, checked as the item operations check it (see
/// [`TableNameRule::Item`]).
pub(crate) fn table_name(body: &Body) -> Result<String, ApiError> {
    table_name_under(body, TableNameRule::Item)
}

/// The request's `TableName`, checked under `rule`.
pub(crate) fn table_name_under(body: &Body, rule: TableNameRule) -> Result<String, ApiError> {
    let mut violations = Violations::new();
    violations.table_name(body, rule)?;
    violations.finish()?;
    Ok(req_str(body, "TableName")?.to_string())
}

pub(crate) fn key_of(body: &Body) -> Result<Item, ApiError> {
    Ok(item(body.get("Key").ok_or_else(|| null("Key"))?, "Key")?)
}

/// One placeholder map of the request (`member`, keys starting with `sigil`), each value
/// decoded by `decode`; absent is empty, present-but-empty is DynamoDB's error.
pub(crate) fn placeholder_map<T>(
    body: &Body,
    member: &str,
    sigil: char,
    decode: impl Fn(&Json) -> Result<T, ApiError>,
) -> Result<BTreeMap<String, T>, ApiError> {
    let mut map = BTreeMap::new();
    let Some(json) = body.get(member) else {
        return Ok(map);
    };
    let entries = obj(json, member)?;
    if entries.is_empty() {
        return Err(ApiError::validation(format!("{member} must not be empty")));
    }
    for (key, value) in entries {
        if !key.starts_with(sigil) {
            return Err(ApiError::validation(format!(
                "{member} contains invalid key: Syntax error; key: \"{key}\""
            )));
        }
        map.insert(key.clone(), decode(value)?);
    }
    Ok(map)
}

/// Decodes a request with `decode`, which parses its expressions against the request's
/// placeholders; then checks that every placeholder was used, as DynamoDB does.
pub(crate) fn parsed<T>(
    body: &Body,
    decode: impl FnOnce(&mut Placeholders) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut ph = placeholders(body)?;
    let out = decode(&mut ph)?;
    ph.finish()?;
    Ok(out)
}

/// The request's placeholders: `ExpressionAttributeNames` and `ExpressionAttributeValues`.
pub(crate) fn placeholders(body: &Body) -> Result<Placeholders, ApiError> {
    let names = placeholder_map(body, "ExpressionAttributeNames", '#', |v| {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| wrong_type("ExpressionAttributeNames", "a map of strings"))
    })?;
    let values = placeholder_map(body, "ExpressionAttributeValues", ':', |v| Ok(value(v, 1)?))?;
    Ok(Placeholders::new(names, values))
}

pub(crate) fn condition(
    body: &Body,
    clause: Clause,
    ph: &mut Placeholders,
) -> Result<Option<Condition>, ApiError> {
    Ok(opt_str(body, clause.member())?
        .map(|text| expr::condition(ph, clause, text))
        .transpose()?)
}

pub(crate) fn projection(
    body: &Body,
    ph: &mut Placeholders,
) -> Result<Option<Vec<Path>>, ApiError> {
    Ok(opt_str(body, Clause::Projection.member())?
        .map(|text| expr::projection(ph, text))
        .transpose()?)
}

/// `ReturnValues` (its enum already checked with the request's constraints), of which the
/// operation takes only `allowed`: DynamoDB's message names them (`ReturnValues can only be
/// ALL_OLD or NONE`).
pub(crate) fn return_values(body: &Body, allowed: &[&str]) -> Result<ReturnValues, ApiError> {
    let text = opt_str(body, "ReturnValues")?.unwrap_or("NONE");
    if !allowed.contains(&text) {
        return Err(ApiError::validation(format!(
            "ReturnValues can only be {}",
            allowed.join(" or ")
        )));
    }
    Ok(match text {
        "ALL_OLD" => ReturnValues::AllOld,
        "UPDATED_OLD" => ReturnValues::UpdatedOld,
        "ALL_NEW" => ReturnValues::AllNew,
        "UPDATED_NEW" => ReturnValues::UpdatedNew,
        _ => ReturnValues::None,
    })
}

pub(crate) fn return_on_failure(body: &Body) -> Result<bool, ApiError> {
    match opt_str(body, "ReturnValuesOnConditionCheckFailure")? {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(other) => Err(ApiError::validation(format!(
            "ReturnValuesOnConditionCheckFailure must be NONE or ALL_OLD; got {other}"
        ))),
    }
}
