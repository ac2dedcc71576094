//! The table operations: CreateTable, DescribeTable, UpdateTable, DeleteTable, ListTables.
//! Each reads its request into the engine's terms (a [`TableDefinition`], [`TableSettings`], an
//! [`UpdateTable`]) and answers with the table's description (`super::description`).

use super::super::constraints::{present, Shown, TableNameRule, Violations};
use super::super::error::ApiError;
use super::description;
use super::request::{
    list, null, obj, opt_bool, opt_i64, opt_str, opt_u32, req_str, table_name_under, wrong_type,
    Answer, Body, Context,
};
use super::tags::tag_list;
use crate::TableSettings;
use orm_core::backend::{
    BillingMode, IndexDefinition, IndexUpdate, KeyAttribute, KeyType, Projection,
    StreamSpecification, StreamViewType, TableClass, TableDefinition, Throughput, UpdateTable,
    MAX_KEY_ATTRIBUTES,
};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

/// The request's `TableName`, checked as the table operations check it.
pub(crate) fn table_name(body: &Body) -> Result<String, ApiError> {
    table_name_under(body, TableNameRule::Table)
}

/// A key attribute's `AttributeName` (at `path`) has 1 to 255 characters.
fn name_length(element: &Body, path: &str, v: &mut Violations) {
    if let Some(Json::String(name)) = present(element, "AttributeName") {
        v.length_within(name.chars().count(), 255, path, || {
            Shown::Text(name.clone())
        });
    }
}

/// The member constraints of `AttributeDefinitions` (`at` names it in messages).
fn attribute_definition_constraints(json: Option<&Json>, at: &str, v: &mut Violations) {
    let Some(Json::Array(definitions)) = json else {
        return;
    };
    members_constraints(
        definitions,
        at,
        ("AttributeType", "attributeType"),
        &["B", "N", "S"],
        v,
    );
}

/// The member constraints of a `KeySchema` at `at`: 1 or 2 elements (DynamoDB prints them as
/// `KeySchemaElement(attributeName=pk, keyType=HASH)`), each with a name and a key type.
fn key_schema_constraints(json: Option<&Json>, at: &str, v: &mut Violations) {
    let elements = match json.filter(|j| !j.is_null()) {
        None => {
            v.push(Shown::Null, at, "Member must not be null");
            return;
        }
        Some(Json::Array(elements)) => elements,
        Some(_) => return,
    };
    let printed = || {
        let shown: Vec<String> = elements
            .iter()
            .map(|e| {
                let field = |name: &str| {
                    e.get(name)
                        .and_then(Json::as_str)
                        .unwrap_or("null")
                        .to_string()
                };
                format!(
                    "KeySchemaElement(attributeName={}, keyType={})",
                    field("AttributeName"),
                    field("KeyType")
                )
            })
            .collect();
        Shown::Text(format!("[{}]", shown.join(", ")))
    };
    v.length_within(elements.len(), 2, at, printed);
    members_constraints(elements, at, ("KeyType", "keyType"), &["HASH", "RANGE"], v);
}

/// The constraints of each member of a list of named attributes at `at` (`AttributeDefinitions`,
/// a `KeySchema`): its `AttributeName` (not null, 1 to 255 characters) and its `field` (named
/// `shown` in messages), not null and one of `allowed`.
fn members_constraints(
    members: &[Json],
    at: &str,
    (field, shown): (&str, &str),
    allowed: &[&str],
    v: &mut Violations,
) {
    for (i, m) in members.iter().enumerate() {
        let Json::Object(m) = m else { continue };
        let member = format!("{at}.{}.member", i + 1);
        name_length(m, &format!("{member}.attributeName"), v);
        if present(m, "AttributeName").is_none() {
            v.push(
                Shown::Null,
                &format!("{member}.attributeName"),
                "Member must not be null",
            );
        }
        let path = format!("{member}.{shown}");
        if present(m, field).is_none() {
            v.push(Shown::Null, &path, "Member must not be null");
        }
        v.one_of_at(m, field, &path, allowed);
    }
}

/// CreateTable's member constraints, in DynamoDB's order; a missing `TableName` is its own
/// error.
fn create_constraints(body: &Body) -> Result<(), ApiError> {
    let mut v = Violations::new();
    if present(body, "AttributeDefinitions").is_none() {
        v.not_null(body, "AttributeDefinitions");
    }
    attribute_definition_constraints(
        body.get("AttributeDefinitions"),
        "attributeDefinitions",
        &mut v,
    );
    v.table_name(body, TableNameRule::Table)?;
    key_schema_constraints(body.get("KeySchema"), "keySchema", &mut v);
    v.one_of(body, "BillingMode", &["PROVISIONED", "PAY_PER_REQUEST"]);
    v.finish()
}

/// `AttributeDefinitions`: each attribute's type, by name.
fn attribute_types(json: &Json) -> Result<BTreeMap<String, KeyType>, ApiError> {
    let mut types = BTreeMap::new();
    for (i, d) in list(json, "AttributeDefinitions")?.iter().enumerate() {
        let d = obj(d, "AttributeDefinitions")?;
        let key_type = match req_str(d, "AttributeType")? {
            "S" => KeyType::S,
            "N" => KeyType::N,
            "B" => KeyType::B,
            other => {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'attributeDefinitions.{}.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
                    i + 1
                )))
            }
        };
        types.insert(req_str(d, "AttributeName")?.to_string(), key_type);
    }
    Ok(types)
}

/// The partition and sort key of a table's `KeySchema`: one HASH element, at most one RANGE.
fn key_schema(
    json: Option<&Json>,
    types: &BTreeMap<String, KeyType>,
    what: &str,
) -> Result<(KeyAttribute, Option<KeyAttribute>), ApiError> {
    let (mut hash, mut range) = key_elements(json, types)?;
    if hash.len() > 1 || range.len() > 1 {
        return Err(ApiError::validation(format!(
            "Invalid KeySchema of {what}: one HASH and at most one RANGE key"
        )));
    }
    let hash = hash
        .pop()
        .ok_or_else(|| ApiError::validation(format!("Invalid KeySchema of {what}: no HASH key")))?;
    Ok((hash, range.pop()))
}

/// An index of `index_name` with the key of its `KeySchema`: for a global index up to four
/// HASH elements then up to four RANGE elements (a multi-attribute key), for a local one one
/// HASH and one RANGE element.
fn index_definition(
    index_name: String,
    local: bool,
    json: Option<&Json>,
    types: &BTreeMap<String, KeyType>,
    projection: Projection,
) -> Result<IndexDefinition, ApiError> {
    let elements = list(json.ok_or_else(|| null("KeySchema"))?, "KeySchema")?;
    let kinds: Vec<&str> = elements
        .iter()
        .filter_map(|e| e.get("KeyType").and_then(Json::as_str))
        .collect();
    if kinds.windows(2).any(|w| w == ["RANGE", "HASH"]) {
        return Err(ApiError::validation(
            "Invalid key order. Hash Key must be specified first in key schema, Range Key must be specifed second",
        ));
    }
    let (hash, range) = key_elements(json, types)?;
    let too_big = || {
        ApiError::validation(
            "Key Schema too big.  Key Schema must at most consist of the hash and range key of a table",
        )
    };
    if hash.len() + range.len() > 2 * MAX_KEY_ATTRIBUTES
        || (local && (hash.len() > 1 || range.len() > 1))
    {
        return Err(too_big());
    }
    if hash.len() > MAX_KEY_ATTRIBUTES {
        return Err(ApiError::validation(format!(
            "Too many partition keys. GSI can have at most {MAX_KEY_ATTRIBUTES} partition keys"
        )));
    }
    if range.len() > MAX_KEY_ATTRIBUTES {
        return Err(ApiError::validation(format!(
            "Too many sort keys. GSI can have at most {MAX_KEY_ATTRIBUTES} sort keys"
        )));
    }
    let names: Vec<&str> = hash.iter().chain(&range).map(|k| k.name.as_str()).collect();
    if names.len() > 2 && (1..names.len()).any(|i| names[..i].contains(&names[i])) {
        return Err(ApiError::validation("Two keys can not have the same name"));
    }
    if hash.is_empty() {
        return Err(ApiError::validation(format!(
            "Invalid KeySchema of {index_name}: no HASH key"
        )));
    }
    Ok(IndexDefinition {
        local,
        ..IndexDefinition::from_key_attributes(index_name, hash, range, projection)
    })
}

/// The HASH and the RANGE elements of a `KeySchema`, each in order, typed by the attribute
/// definitions.
fn key_elements(
    json: Option<&Json>,
    types: &BTreeMap<String, KeyType>,
) -> Result<(Vec<KeyAttribute>, Vec<KeyAttribute>), ApiError> {
    let elements = list(json.ok_or_else(|| null("KeySchema"))?, "KeySchema")?;
    let names: Vec<&str> = elements
        .iter()
        .filter_map(|e| e.get("AttributeName").and_then(Json::as_str))
        .collect();
    if names.len() == 2 && names[0] == names[1] {
        // One definition per attribute leaves one of the two key elements without its own.
        return Err(ApiError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    let (mut hash, mut range) = (Vec::new(), Vec::new());
    for e in elements {
        let e = obj(e, "KeySchema")?;
        let name = req_str(e, "AttributeName")?;
        let key_type = *types.get(name).ok_or_else(|| {
            ApiError::validation(format!(
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{name}], AttributeDefinitions: [{}]",
                types.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        let attr = KeyAttribute {
            name: name.to_string(),
            key_type,
        };
        match req_str(e, "KeyType")? {
            "HASH" => hash.push(attr),
            "RANGE" => range.push(attr),
            other => {
                return Err(ApiError::validation(format!(
                    "Invalid KeySchema: unknown KeyType {other}"
                )))
            }
        }
    }
    Ok((hash, range))
}

fn projection_of(json: Option<&Json>) -> Result<Projection, ApiError> {
    let Some(p) = json else {
        return Err(null("Projection"));
    };
    let p = obj(p, "Projection")?;
    Ok(match opt_str(p, "ProjectionType")?.unwrap_or("ALL") {
        "ALL" => Projection::All,
        "KEYS_ONLY" => Projection::KeysOnly,
        "INCLUDE" => {
            let names = p
                .get("NonKeyAttributes")
                .map(|n| list(n, "NonKeyAttributes"))
                .transpose()?
                .ok_or_else(|| {
                    ApiError::validation(
                        "One or more parameter values were invalid: NonKeyAttributes must be specified with ProjectionType INCLUDE",
                    )
                })?;
            Projection::Include(
                names
                    .iter()
                    .map(|n| {
                        n.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| wrong_type("NonKeyAttributes", "a list of strings"))
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        other => {
            return Err(ApiError::validation(format!(
                "Unknown ProjectionType {other}: use ALL, KEYS_ONLY or INCLUDE"
            )))
        }
    })
}

/// A `ProvisionedThroughput` member (`at` names it in DynamoDB's messages).
fn throughput(json: &Json, at: &str) -> Result<Throughput, ApiError> {
    let spec = obj(json, "ProvisionedThroughput")?;
    let mut units = [0u64; 2];
    for (slot, member) in units
        .iter_mut()
        .zip(["ReadCapacityUnits", "WriteCapacityUnits"])
    {
        let lower = super::request::lower_first(member);
        let value = opt_i64(spec, member)?.ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value null at '{at}.{lower}' failed to satisfy constraint: Member must not be null"
            ))
        })?;
        *slot = u64::try_from(value).ok().filter(|&v| v >= 1).ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value '{value}' at '{at}.{lower}' failed to satisfy constraint: Member must have value greater than or equal to 1"
            ))
        })?;
    }
    Ok(Throughput::new(units[0], units[1]))
}

fn billing_mode(body: &Body) -> Result<Option<BillingMode>, ApiError> {
    opt_str(body, "BillingMode")?
        .map(|mode| match mode {
            "PROVISIONED" => Ok(BillingMode::Provisioned),
            "PAY_PER_REQUEST" => Ok(BillingMode::PayPerRequest),
            other => Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
            ))),
        })
        .transpose()
}

fn table_class(body: &Body) -> Result<Option<TableClass>, ApiError> {
    opt_str(body, "TableClass")?
        .map(|name| {
            TableClass::from_name(name).ok_or_else(|| {
                ApiError::validation(format!(
                    "1 validation error detected: Value '{name}' at 'tableClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, STANDARD_INFREQUENT_ACCESS]"
                ))
            })
        })
        .transpose()
}

/// `StreamSpecification`: `StreamEnabled`, and `StreamViewType` when enabled.
fn streams(body: &Body) -> Result<Option<StreamSpecification>, ApiError> {
    let Some(json) = body.get("StreamSpecification").filter(|j| !j.is_null()) else {
        return Ok(None);
    };
    let spec = obj(json, "StreamSpecification")?;
    let enabled = opt_bool(spec, "StreamEnabled")?.ok_or_else(|| {
        ApiError::validation(
            "1 validation error detected: Value null at 'streamSpecification.streamEnabled' failed to satisfy constraint: Member must not be null",
        )
    })?;
    let view_type = opt_str(spec, "StreamViewType")?
        .map(|name| {
            StreamViewType::from_name(name).ok_or_else(|| {
                ApiError::validation(format!(
                    "1 validation error detected: Value '{name}' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]"
                ))
            })
        })
        .transpose()?;
    Ok(Some(match (enabled, view_type) {
        (true, Some(view_type)) => StreamSpecification::Enabled(view_type),
        (true, None) => {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: StreamViewType must be specified when StreamEnabled is true",
            ))
        }
        (false, _) => StreamSpecification::Disabled,
    }))
}

/// The answer to CreateTable, UpdateTable and DeleteTable: the table described.
fn table_answer(description: &crate::TableDescription, cx: &Context<'_>) -> Json {
    json!({ "TableDescription": description::table(description, cx.region) })
}

pub(crate) fn create_table(cx: &Context<'_>, body: &Body) -> Answer {
    create_constraints(body)?;
    let name = table_name(body)?;
    let types = attribute_types(
        body.get("AttributeDefinitions")
            .ok_or_else(|| null("AttributeDefinitions"))?,
    )?;
    let (partition_key, sort_key) = key_schema(body.get("KeySchema"), &types, "the table")?;
    let mut indexes = Vec::new();
    let mut index_throughput = BTreeMap::new();
    for (member, local) in [
        ("GlobalSecondaryIndexes", false),
        ("LocalSecondaryIndexes", true),
    ] {
        let Some(list_json) = body.get(member) else {
            continue;
        };
        for index in list(list_json, member)? {
            let index = obj(index, member)?;
            let index_name = req_str(index, "IndexName")?.to_string();
            let index_def = index_definition(
                index_name.clone(),
                local,
                index.get("KeySchema"),
                &types,
                projection_of(index.get("Projection"))?,
            )?;
            if local && index_def.partition_key.name != partition_key.name {
                return Err(ApiError::validation(format!(
                    "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {index_name}"
                )));
            }
            if let Some(t) = index.get("ProvisionedThroughput").filter(|_| !local) {
                let at = format!(
                    "globalSecondaryIndexes.{}.member.provisionedThroughput",
                    indexes.len() + 1
                );
                index_throughput.insert(index_name.clone(), throughput(t, &at)?);
            }
            indexes.push(index_def);
        }
    }
    let used = |n: &String| {
        partition_key.name == *n
            || sort_key.as_ref().is_some_and(|s| s.name == *n)
            || indexes
                .iter()
                .any(|i| i.key_attributes().any(|k| k.name == *n))
    };
    if let Some(unused) = types.keys().find(|n| !used(n)) {
        return Err(ApiError::validation(format!(
            "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
            types.keys().cloned().collect::<Vec<_>>().join(", "),
            unused
        )));
    }
    let settings = TableSettings {
        // DynamoDB's default billing mode is PROVISIONED.
        billing_mode: billing_mode(body)?.unwrap_or(BillingMode::Provisioned),
        throughput: body
            .get("ProvisionedThroughput")
            .filter(|j| !j.is_null())
            .map(|t| throughput(t, "provisionedThroughput"))
            .transpose()?,
        index_throughput,
        streams: streams(body)?.unwrap_or(StreamSpecification::Disabled),
        table_class: table_class(body)?.unwrap_or_default(),
        deletion_protection: opt_bool(body, "DeletionProtectionEnabled")?.unwrap_or(false),
        tags: match body.get("Tags") {
            Some(json) => tag_list(json)?,
            None => Vec::new(),
        },
    };
    let definition = TableDefinition {
        name,
        partition_key,
        sort_key,
        indexes,
        ttl_attribute: None,
    };
    let created = cx.backend.create_table_with(&definition, &settings)?;
    Ok(table_answer(&created, cx))
}

pub(crate) fn describe_table(cx: &Context<'_>, body: &Body) -> Answer {
    let description = cx.backend.table_description(&table_name(body)?)?;
    Ok(json!({ "Table": description::table(&description, cx.region) }))
}

pub(crate) fn delete_table(cx: &Context<'_>, body: &Body) -> Answer {
    let deleted = cx.backend.delete_table_described(&table_name(body)?)?;
    Ok(table_answer(&deleted, cx))
}

/// One entry of `GlobalSecondaryIndexUpdates` (the `position`-th, from 1): exactly one of
/// `Create`, `Update` and `Delete`.
fn index_update(
    json: &Json,
    position: usize,
    types: &BTreeMap<String, KeyType>,
) -> Result<IndexUpdate, ApiError> {
    let entry = obj(json, "GlobalSecondaryIndexUpdates")?;
    super::request::check_fields(entry, &["Create", "Update", "Delete"])?;
    let mut actions = ["Create", "Update", "Delete"]
        .into_iter()
        .filter_map(|name| entry.get(name).filter(|j| !j.is_null()).map(|j| (name, j)));
    let (action, spec) = match (actions.next(), actions.next()) {
        (Some(one), None) => one,
        (None, _) => {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
            ))
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: Only one of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete can be specified",
            ))
        }
    };
    let spec = obj(spec, action)?;
    let at = format!(
        "globalSecondaryIndexUpdates.{position}.member.{}.provisionedThroughput",
        super::request::lower_first(action)
    );
    Ok(match action {
        "Create" => {
            super::request::check_fields(
                spec,
                &[
                    "IndexName",
                    "KeySchema",
                    "Projection",
                    "ProvisionedThroughput",
                    "OnDemandThroughput",
                    "WarmThroughput",
                ],
            )?;
            let name = req_str(spec, "IndexName")?.to_string();
            IndexUpdate::Create {
                index: index_definition(
                    name,
                    false,
                    spec.get("KeySchema"),
                    types,
                    projection_of(spec.get("Projection"))?,
                )?,
                throughput: spec
                    .get("ProvisionedThroughput")
                    .filter(|j| !j.is_null())
                    .map(|t| throughput(t, &at))
                    .transpose()?,
            }
        }
        "Update" => {
            super::request::check_fields(
                spec,
                &[
                    "IndexName",
                    "ProvisionedThroughput",
                    "OnDemandThroughput",
                    "WarmThroughput",
                ],
            )?;
            IndexUpdate::Update {
                name: req_str(spec, "IndexName")?.to_string(),
                throughput: throughput(
                    spec.get("ProvisionedThroughput")
                        .ok_or_else(|| null("ProvisionedThroughput"))?,
                    &at,
                )?,
            }
        }
        _ => {
            super::request::check_fields(spec, &["IndexName"])?;
            IndexUpdate::Delete {
                name: req_str(spec, "IndexName")?.to_string(),
            }
        }
    })
}

pub(crate) fn update_table(cx: &Context<'_>, body: &Body) -> Answer {
    let name = table_name(body)?;
    let types = match body.get("AttributeDefinitions") {
        Some(json) if !json.is_null() => attribute_types(json)?,
        _ => BTreeMap::new(),
    };
    let mut request = UpdateTable::new(name.clone());
    request.billing_mode = billing_mode(body)?;
    request.throughput = body
        .get("ProvisionedThroughput")
        .filter(|j| !j.is_null())
        .map(|t| throughput(t, "provisionedThroughput"))
        .transpose()?;
    if let Some(updates) = body
        .get("GlobalSecondaryIndexUpdates")
        .filter(|j| !j.is_null())
    {
        for (i, update) in list(updates, "GlobalSecondaryIndexUpdates")?
            .iter()
            .enumerate()
        {
            request
                .index_updates
                .push(index_update(update, i + 1, &types)?);
        }
    }
    request.streams = streams(body)?;
    request.table_class = table_class(body)?;
    request.deletion_protection = opt_bool(body, "DeletionProtectionEnabled")?;
    // Settings the engine does not model (encryption, on-demand ceilings, warm throughput) are
    // accepted; a request of only those changes nothing and answers with the table as it is.
    let unmodelled = ["SSESpecification", "OnDemandThroughput", "WarmThroughput"]
        .iter()
        .any(|m| body.get(*m).is_some_and(|j| !j.is_null()));
    if request.is_empty() && unmodelled {
        let description = cx.backend.table_description(&name)?;
        return Ok(table_answer(&description, cx));
    }
    let updated = cx.backend.apply_table_update(&request)?;
    Ok(table_answer(&updated, cx))
}

pub(crate) fn list_tables(cx: &Context<'_>, body: &Body) -> Answer {
    let limit = opt_u32(body, "Limit")?.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100 and greater than or equal to 1"
        )));
    }
    let start = opt_str(body, "ExclusiveStartTableName")?;
    let mut names = cx.backend.table_names();
    names.sort();
    let mut page: Vec<String> = names
        .into_iter()
        .filter(|n| start.is_none_or(|s| n.as_str() > s))
        .take(limit as usize + 1)
        .collect();
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    let mut answer = json!({ "TableNames": page });
    if more {
        answer["LastEvaluatedTableName"] = json!(page.last());
    }
    Ok(answer)
}
