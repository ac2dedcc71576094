//! The DynamoDB operations: each decodes its JSON request into orm-core's backend-neutral
//! request, runs it on the [`MemoryBackend`], and encodes the answer as DynamoDB does.

use super::error::ApiError;
use super::json::{encode_item, item, value};
use crate::MemoryBackend;
use orm_core::backend::{
    BatchGet, BatchWrite, ConditionCheck, DeleteItem, GetItem, IndexDefinition, KeyAttribute,
    KeyType, Projection, PutItem, QueryOutput, QueryRequest, RawItem, ReturnValues, ScanRequest,
    TableDefinition, TransactGet, TransactWrite, TransactWriteAction, UpdateItem, WriteRequest,
};
use orm_core::expr::parse::{self as expr, Placeholders};
use orm_core::expr::{Clause, Condition, Path};
use orm_core::{Backend, Item};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The server's state beside the backend: what DynamoDB reports that the `Backend` trait does
/// not hold (creation times, TTL settings changed after creation, billing modes).
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    tables: Mutex<HashMap<String, TableInfo>>,
}

#[derive(Debug, Clone)]
struct TableInfo {
    created: f64,
    ttl: Option<String>,
    billing: &'static str,
}

type Body = Map<String, Json>;
type Answer = Result<Json, ApiError>;

/// Legacy parameters: rejected with a ValidationException naming the parameter and its
/// expression-based replacement.
const LEGACY: &[(&str, &str)] = &[
    ("KeyConditions", "KeyConditionExpression"),
    ("QueryFilter", "FilterExpression"),
    ("ScanFilter", "FilterExpression"),
    ("Expected", "ConditionExpression"),
    ("AttributesToGet", "ProjectionExpression"),
    ("AttributeUpdates", "UpdateExpression"),
    (
        "ConditionalOperator",
        "ConditionExpression / FilterExpression",
    ),
];

/// Runs operation `op` with the request `body`.
pub(crate) fn dispatch(
    backend: &MemoryBackend,
    catalog: &Catalog,
    op: &str,
    body: &Json,
) -> Answer {
    let body = body.as_object().ok_or_else(|| {
        ApiError::client(
            "SerializationException",
            "Start of structure or map found where not expected: the request body must be a JSON object",
        )
    })?;
    let fields: &[&str] = match op {
        "CreateTable" => &[
            "TableName",
            "KeySchema",
            "AttributeDefinitions",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
            "BillingMode",
            "ProvisionedThroughput",
            "StreamSpecification",
            "SSESpecification",
            "Tags",
            "TableClass",
            "DeletionProtectionEnabled",
            "OnDemandThroughput",
        ],
        "DescribeTable" | "DeleteTable" | "DescribeTimeToLive" => &["TableName"],
        "ListTables" => &["ExclusiveStartTableName", "Limit"],
        "UpdateTimeToLive" => &["TableName", "TimeToLiveSpecification"],
        "GetItem" => &[
            "TableName",
            "Key",
            "ConsistentRead",
            "ProjectionExpression",
            "ExpressionAttributeNames",
            "ReturnConsumedCapacity",
        ],
        "PutItem" => &[
            "TableName",
            "Item",
            "ConditionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "ReturnValues",
            "ReturnValuesOnConditionCheckFailure",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ],
        "UpdateItem" => &[
            "TableName",
            "Key",
            "UpdateExpression",
            "ConditionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "ReturnValues",
            "ReturnValuesOnConditionCheckFailure",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ],
        "DeleteItem" => &[
            "TableName",
            "Key",
            "ConditionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "ReturnValues",
            "ReturnValuesOnConditionCheckFailure",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ],
        "Query" => &[
            "TableName",
            "IndexName",
            "KeyConditionExpression",
            "FilterExpression",
            "ProjectionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "Select",
            "Limit",
            "ExclusiveStartKey",
            "ScanIndexForward",
            "ConsistentRead",
            "ReturnConsumedCapacity",
        ],
        "Scan" => &[
            "TableName",
            "IndexName",
            "FilterExpression",
            "ProjectionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "Select",
            "Limit",
            "ExclusiveStartKey",
            "ConsistentRead",
            "Segment",
            "TotalSegments",
            "ReturnConsumedCapacity",
        ],
        "BatchGetItem" => &["RequestItems", "ReturnConsumedCapacity"],
        "BatchWriteItem" => &[
            "RequestItems",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ],
        "TransactGetItems" => &["TransactItems", "ReturnConsumedCapacity"],
        "TransactWriteItems" => &[
            "TransactItems",
            "ClientRequestToken",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ],
        _ => {
            return Err(ApiError::client(
                "UnknownOperationException",
                format!("Unknown operation: {op}"),
            ))
        }
    };
    check_fields(body, fields)?;
    match op {
        "CreateTable" => create_table(backend, catalog, body),
        "DescribeTable" => describe_table(backend, catalog, body),
        "DeleteTable" => delete_table(backend, catalog, body),
        "ListTables" => list_tables(backend, body),
        "UpdateTimeToLive" => update_ttl(backend, catalog, body),
        "DescribeTimeToLive" => describe_ttl(backend, catalog, body),
        "GetItem" => get_item(backend, body),
        "PutItem" => put_item(backend, body),
        "UpdateItem" => update_item(backend, body),
        "DeleteItem" => delete_item(backend, body),
        "Query" => query(backend, body),
        "Scan" => scan(backend, body),
        "BatchGetItem" => batch_get(backend, body),
        "BatchWriteItem" => batch_write(backend, body),
        "TransactGetItems" => transact_get(backend, body),
        _ => transact_write(backend, body),
    }
}

/// Runs a backend call; the backend does no I/O, so its futures complete at once.
fn run<T>(future: impl std::future::Future<Output = orm_core::Result<T>>) -> Result<T, ApiError> {
    poll_to_completion(future).map_err(ApiError::from)
}

/// Polls a future that never waits (MemoryBackend's: no `.await` inside) to completion.
fn poll_to_completion<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

fn check_fields(body: &Body, allowed: &[&str]) -> Result<(), ApiError> {
    for name in body.keys() {
        if let Some((_, instead)) = LEGACY.iter().find(|(legacy, _)| legacy == name) {
            return Err(ApiError::validation(format!(
                "dynamodb-memory does not support the legacy parameter {name}: use {instead}"
            )));
        }
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

fn null(member: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        lower_first(member)
    ))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn wrong_type(member: &str, expected: &str) -> ApiError {
    ApiError::client(
        "SerializationException",
        format!("{member} must be {expected}"),
    )
}

fn opt_str<'a>(body: &'a Body, member: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(member) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type(member, "a string")),
    }
}

fn req_str<'a>(body: &'a Body, member: &str) -> Result<&'a str, ApiError> {
    opt_str(body, member)?.ok_or_else(|| null(member))
}

fn opt_bool(body: &Body, member: &str) -> Result<Option<bool>, ApiError> {
    match body.get(member) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(wrong_type(member, "a boolean")),
    }
}

fn opt_u32(body: &Body, member: &str) -> Result<Option<u32>, ApiError> {
    match body.get(member) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| wrong_type(member, "a non-negative integer")),
        Some(_) => Err(wrong_type(member, "an integer")),
    }
}

fn obj<'a>(json: &'a Json, member: &str) -> Result<&'a Body, ApiError> {
    json.as_object()
        .ok_or_else(|| wrong_type(member, "an object"))
}

fn list<'a>(json: &'a Json, member: &str) -> Result<&'a Vec<Json>, ApiError> {
    json.as_array().ok_or_else(|| wrong_type(member, "a list"))
}

fn table_name(body: &Body) -> Result<String, ApiError> {
    let name = req_str(body, "TableName")?;
    if name.len() < 3
        || name.len() > 255
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255"
        )));
    }
    Ok(name.to_string())
}

fn key_of(body: &Body) -> Result<Item, ApiError> {
    item(body.get("Key").ok_or_else(|| null("Key"))?, "Key")
}

/// One placeholder map of the request (`member`, keys starting with `sigil`), each value
/// decoded by `decode`; absent is empty, present-but-empty is DynamoDB's error.
fn placeholder_map<T>(
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
fn parsed<T>(
    body: &Body,
    decode: impl FnOnce(&mut Placeholders) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut ph = placeholders(body)?;
    let out = decode(&mut ph)?;
    ph.finish()?;
    Ok(out)
}

/// The request's placeholders: `ExpressionAttributeNames` and `ExpressionAttributeValues`.
fn placeholders(body: &Body) -> Result<Placeholders, ApiError> {
    let names = placeholder_map(body, "ExpressionAttributeNames", '#', |v| {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| wrong_type("ExpressionAttributeNames", "a map of strings"))
    })?;
    let values = placeholder_map(body, "ExpressionAttributeValues", ':', |v| value(v, 1))?;
    Ok(Placeholders::new(names, values))
}

fn condition(
    body: &Body,
    clause: Clause,
    ph: &mut Placeholders,
) -> Result<Option<Condition>, ApiError> {
    Ok(opt_str(body, clause.member())?
        .map(|text| expr::condition(ph, clause, text))
        .transpose()?)
}

fn projection(body: &Body, ph: &mut Placeholders) -> Result<Option<Vec<Path>>, ApiError> {
    Ok(opt_str(body, Clause::Projection.member())?
        .map(|text| expr::projection(ph, text))
        .transpose()?)
}

fn return_values(body: &Body, allowed: &[&str]) -> Result<ReturnValues, ApiError> {
    let text = opt_str(body, "ReturnValues")?.unwrap_or("NONE");
    if !allowed.contains(&text) {
        return Err(ApiError::validation(format!(
            "ReturnValues can only be {} for this operation; got {text}",
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

fn return_on_failure(body: &Body) -> Result<bool, ApiError> {
    match opt_str(body, "ReturnValuesOnConditionCheckFailure")? {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(other) => Err(ApiError::validation(format!(
            "ReturnValuesOnConditionCheckFailure must be NONE or ALL_OLD; got {other}"
        ))),
    }
}

// ---------------------------------------------------------------- capacity ---

/// What `ReturnConsumedCapacity` asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum CapacityMode {
    None,
    Total,
    Indexes,
}

fn capacity_mode(body: &Body) -> Result<CapacityMode, ApiError> {
    match opt_str(body, "ReturnConsumedCapacity")? {
        None | Some("NONE") => Ok(CapacityMode::None),
        Some("TOTAL") => Ok(CapacityMode::Total),
        Some("INDEXES") => Ok(CapacityMode::Indexes),
        Some(other) => Err(ApiError::validation(format!(
            "ReturnConsumedCapacity must be NONE, TOTAL or INDEXES; got {other}"
        ))),
    }
}

/// Read units for `bytes` read at once: 4 KB a unit, halved for eventually consistent reads.
fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Write units for an item of `bytes`: 1 KB a unit.
fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

fn consumed(table: &str, units: f64, mode: CapacityMode, read: bool) -> Option<Json> {
    let mut c = Map::new();
    c.insert("TableName".into(), json!(table));
    c.insert("CapacityUnits".into(), json!(units));
    c.insert(
        if read {
            "ReadCapacityUnits"
        } else {
            "WriteCapacityUnits"
        }
        .into(),
        json!(units),
    );
    match mode {
        CapacityMode::None => return None,
        CapacityMode::Total => {}
        CapacityMode::Indexes => {
            c.insert("Table".into(), json!({ "CapacityUnits": units }));
        }
    }
    Some(Json::Object(c))
}

fn with_capacity(mut answer: Body, capacity: Option<Json>) -> Json {
    if let Some(c) = capacity {
        answer.insert("ConsumedCapacity".into(), c);
    }
    Json::Object(answer)
}

// ------------------------------------------------------------------ tables ---

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as f64 / 1000.0)
        .unwrap_or(0.0)
}

fn key_schema(
    json: Option<&Json>,
    types: &HashMap<String, KeyType>,
    what: &str,
) -> Result<(KeyAttribute, Option<KeyAttribute>), ApiError> {
    let elements = list(json.ok_or_else(|| null("KeySchema"))?, "KeySchema")?;
    let mut hash = None;
    let mut range = None;
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
            "HASH" if hash.is_none() => hash = Some(attr),
            "RANGE" if range.is_none() => range = Some(attr),
            other => {
                return Err(ApiError::validation(format!(
                    "Invalid KeySchema of {what}: one HASH and at most one RANGE key, got {other} again or an unknown KeyType"
                )))
            }
        }
    }
    let hash = hash
        .ok_or_else(|| ApiError::validation(format!("Invalid KeySchema of {what}: no HASH key")))?;
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

fn create_table(backend: &MemoryBackend, catalog: &Catalog, body: &Body) -> Answer {
    let name = table_name(body)?;
    let mut types = HashMap::new();
    for d in list(
        body.get("AttributeDefinitions")
            .ok_or_else(|| null("AttributeDefinitions"))?,
        "AttributeDefinitions",
    )? {
        let d = obj(d, "AttributeDefinitions")?;
        let key_type = match req_str(d, "AttributeType")? {
            "S" => KeyType::S,
            "N" => KeyType::N,
            "B" => KeyType::B,
            other => {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"
                )))
            }
        };
        types.insert(req_str(d, "AttributeName")?.to_string(), key_type);
    }
    let (partition_key, sort_key) = key_schema(body.get("KeySchema"), &types, "the table")?;
    let mut indexes = Vec::new();
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
            let (hash, range) = key_schema(index.get("KeySchema"), &types, &index_name)?;
            if local && hash.name != partition_key.name {
                return Err(ApiError::validation(format!(
                    "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {index_name}"
                )));
            }
            indexes.push(IndexDefinition {
                name: index_name,
                local,
                partition_key: hash,
                sort_key: range,
                projection: projection_of(index.get("Projection"))?,
            });
        }
    }
    let used = |n: &String| {
        partition_key.name == *n
            || sort_key.as_ref().is_some_and(|s| s.name == *n)
            || indexes.iter().any(|i| {
                i.partition_key.name == *n || i.sort_key.as_ref().is_some_and(|s| s.name == *n)
            })
    };
    if let Some(unused) = types.keys().find(|n| !used(n)) {
        return Err(ApiError::validation(format!(
            "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
            types.keys().cloned().collect::<Vec<_>>().join(", "),
            unused
        )));
    }
    let billing = match opt_str(body, "BillingMode")? {
        None | Some("PROVISIONED") => "PROVISIONED",
        Some("PAY_PER_REQUEST") => "PAY_PER_REQUEST",
        Some(other) => {
            return Err(ApiError::validation(format!(
                "BillingMode must be PROVISIONED or PAY_PER_REQUEST; got {other}"
            )))
        }
    };
    let definition = TableDefinition {
        name: name.clone(),
        partition_key,
        sort_key,
        indexes,
        ttl_attribute: None,
    };
    run(backend.create_table(&definition))?;
    catalog
        .tables
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            name,
            TableInfo {
                created: now(),
                ttl: None,
                billing,
            },
        );
    Ok(json!({ "TableDescription": description(backend, catalog, &definition) }))
}

fn info(catalog: &Catalog, definition: &TableDefinition) -> TableInfo {
    catalog
        .tables
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(definition.name.clone())
        .or_insert_with(|| TableInfo {
            created: now(),
            ttl: definition.ttl_attribute.clone(),
            billing: "PAY_PER_REQUEST",
        })
        .clone()
}

fn key_schema_json(hash: &KeyAttribute, range: Option<&KeyAttribute>) -> Json {
    let mut schema = vec![json!({"AttributeName": hash.name, "KeyType": "HASH"})];
    if let Some(r) = range {
        schema.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    Json::Array(schema)
}

fn key_type_name(t: KeyType) -> &'static str {
    match t {
        KeyType::S => "S",
        KeyType::N => "N",
        KeyType::B => "B",
    }
}

fn description(backend: &MemoryBackend, catalog: &Catalog, d: &TableDefinition) -> Json {
    let info = info(catalog, d);
    let mut attributes: BTreeMap<&str, KeyType> = BTreeMap::new();
    let keys = std::iter::once(&d.partition_key)
        .chain(d.sort_key.as_ref())
        .chain(
            d.indexes
                .iter()
                .flat_map(|i| std::iter::once(&i.partition_key).chain(i.sort_key.as_ref())),
        );
    for a in keys {
        attributes.insert(&a.name, a.key_type);
    }
    let arn = format!("arn:aws:dynamodb:ddblocal:000000000000:table/{}", d.name);
    let index_json = |i: &IndexDefinition| {
        let projection = match &i.projection {
            Projection::All => json!({"ProjectionType": "ALL"}),
            Projection::KeysOnly => json!({"ProjectionType": "KEYS_ONLY"}),
            Projection::Include(n) => json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": n}),
        };
        let mut j = json!({
            "IndexName": i.name,
            "KeySchema": key_schema_json(&i.partition_key, i.sort_key.as_ref()),
            "Projection": projection,
            "IndexArn": format!("{arn}/index/{}", i.name),
            "IndexSizeBytes": 0,
            "ItemCount": 0,
        });
        if !i.local {
            j["IndexStatus"] = json!("ACTIVE");
            j["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0});
        }
        j
    };
    let gsis: Vec<Json> = d
        .indexes
        .iter()
        .filter(|i| !i.local)
        .map(index_json)
        .collect();
    let lsis: Vec<Json> = d
        .indexes
        .iter()
        .filter(|i| i.local)
        .map(index_json)
        .collect();
    let mut t = json!({
        "TableName": d.name,
        "TableStatus": "ACTIVE",
        "TableArn": arn,
        "TableId": format!("{:032x}", fnv(&d.name)),
        "CreationDateTime": info.created,
        "KeySchema": key_schema_json(&d.partition_key, d.sort_key.as_ref()),
        "AttributeDefinitions": attributes.iter().map(|(n, t)| json!({"AttributeName": n, "AttributeType": key_type_name(*t)})).collect::<Vec<_>>(),
        "ItemCount": backend.item_count(&d.name).unwrap_or(0),
        "TableSizeBytes": 0,
        "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0},
        "BillingModeSummary": {"BillingMode": info.billing},
    });
    if !gsis.is_empty() {
        t["GlobalSecondaryIndexes"] = Json::Array(gsis);
    }
    if !lsis.is_empty() {
        t["LocalSecondaryIndexes"] = Json::Array(lsis);
    }
    t
}

fn fnv(s: &str) -> u128 {
    s.bytes()
        .fold(0x6c62272e07bb014262b821756295c58d_u128, |h, b| {
            (h ^ b as u128).wrapping_mul(0x0000000001000000000000000000013B)
        })
}

fn describe_table(backend: &MemoryBackend, catalog: &Catalog, body: &Body) -> Answer {
    let definition = run(backend.describe_table(&table_name(body)?))?;
    Ok(json!({ "Table": description(backend, catalog, &definition) }))
}

fn delete_table(backend: &MemoryBackend, catalog: &Catalog, body: &Body) -> Answer {
    let name = table_name(body)?;
    let definition = run(backend.describe_table(&name))?;
    let mut described = description(backend, catalog, &definition);
    run(backend.delete_table(&name))?;
    catalog
        .tables
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&name);
    described["TableStatus"] = json!("DELETING");
    Ok(json!({ "TableDescription": described }))
}

fn list_tables(backend: &MemoryBackend, body: &Body) -> Answer {
    let limit = opt_u32(body, "Limit")?.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100 and greater than or equal to 1"
        )));
    }
    let start = opt_str(body, "ExclusiveStartTableName")?;
    let mut names = backend.table_names();
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

fn ttl_of(
    backend: &MemoryBackend,
    catalog: &Catalog,
    name: &str,
) -> Result<Option<String>, ApiError> {
    let definition = run(backend.describe_table(name))?;
    Ok(info(catalog, &definition).ttl)
}

fn update_ttl(backend: &MemoryBackend, catalog: &Catalog, body: &Body) -> Answer {
    let name = table_name(body)?;
    let spec = obj(
        body.get("TimeToLiveSpecification")
            .ok_or_else(|| null("TimeToLiveSpecification"))?,
        "TimeToLiveSpecification",
    )?;
    let attribute = req_str(spec, "AttributeName")?.to_string();
    let enabled = opt_bool(spec, "Enabled")?.ok_or_else(|| null("Enabled"))?;
    let current = ttl_of(backend, catalog, &name)?;
    match (&current, enabled) {
        (Some(_), true) => return Err(ApiError::validation("TimeToLive is already enabled")),
        (None, false) => return Err(ApiError::validation("TimeToLive is already disabled")),
        (Some(a), false) if *a != attribute => {
            return Err(ApiError::validation(format!(
                "TimeToLive is enabled on attribute {a}, not {attribute}"
            )))
        }
        _ => {}
    }
    if let Some(t) = catalog
        .tables
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_mut(&name)
    {
        t.ttl = enabled.then(|| attribute.clone());
    }
    Ok(json!({ "TimeToLiveSpecification": {"AttributeName": attribute, "Enabled": enabled} }))
}

fn describe_ttl(backend: &MemoryBackend, catalog: &Catalog, body: &Body) -> Answer {
    let name = table_name(body)?;
    Ok(match ttl_of(backend, catalog, &name)? {
        Some(attribute) => json!({ "TimeToLiveDescription": {
            "TimeToLiveStatus": "ENABLED", "AttributeName": attribute } }),
        None => json!({ "TimeToLiveDescription": { "TimeToLiveStatus": "DISABLED" } }),
    })
}

// ------------------------------------------------------------- single items ---

fn get_request(body: &Body, ph: &mut Placeholders) -> Result<GetItem, ApiError> {
    Ok(GetItem {
        table: table_name(body)?,
        key: key_of(body)?,
        consistent: opt_bool(body, "ConsistentRead")?.unwrap_or(false),
        projection: projection(body, ph)?,
    })
}

fn get_item(backend: &MemoryBackend, body: &Body) -> Answer {
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

fn put_request(body: &Body, ph: &mut Placeholders) -> Result<PutItem, ApiError> {
    Ok(PutItem {
        table: table_name(body)?,
        item: item(body.get("Item").ok_or_else(|| null("Item"))?, "Item")?,
        condition: condition(body, Clause::Condition, ph)?,
        return_values: return_values(body, &["NONE", "ALL_OLD"])?,
        return_item_on_condition_failure: return_on_failure(body)?,
    })
}

fn put_item(backend: &MemoryBackend, body: &Body) -> Answer {
    let request = parsed(body, |ph| put_request(body, ph))?;
    let mode = capacity_mode(body)?;
    let (table, size) = (request.table.clone(), request.item.size());
    let old = run(backend.put_item(&request))?;
    Ok(attributes_answer(
        old,
        consumed(&table, write_units(size), mode, false),
    ))
}

fn update_request(body: &Body, ph: &mut Placeholders) -> Result<UpdateItem, ApiError> {
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

fn update_item(backend: &MemoryBackend, body: &Body) -> Answer {
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

fn delete_request(body: &Body, ph: &mut Placeholders) -> Result<DeleteItem, ApiError> {
    Ok(DeleteItem {
        table: table_name(body)?,
        key: key_of(body)?,
        condition: condition(body, Clause::Condition, ph)?,
        return_values: return_values(body, &["NONE", "ALL_OLD"])?,
        return_item_on_condition_failure: return_on_failure(body)?,
    })
}

fn delete_item(backend: &MemoryBackend, body: &Body) -> Answer {
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

// ------------------------------------------------------------ query, scan ---

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
        .map(|k| item(k, "ExclusiveStartKey"))
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

fn query(backend: &MemoryBackend, body: &Body) -> Answer {
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

fn scan(backend: &MemoryBackend, body: &Body) -> Answer {
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

// ----------------------------------------------------------------- batches ---

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

fn batch_get(backend: &MemoryBackend, body: &Body) -> Answer {
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

fn batch_write(backend: &MemoryBackend, body: &Body) -> Answer {
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

// ------------------------------------------------------------ transactions ---

fn transact_items(body: &Body) -> Result<&Vec<Json>, ApiError> {
    list(
        body.get("TransactItems")
            .ok_or_else(|| null("TransactItems"))?,
        "TransactItems",
    )
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

fn transact_get(backend: &MemoryBackend, body: &Body) -> Answer {
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
    let found = run(backend.transact_get(&TransactGet::new(gets)))?;
    let responses: Vec<Json> = found
        .into_iter()
        .map(|f| match f {
            Some(item) => json!({ "Item": encode_item(&item.into_item()) }),
            None => json!({}),
        })
        .collect();
    Ok(json!({ "Responses": responses }))
}

fn transact_write(backend: &MemoryBackend, body: &Body) -> Answer {
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
    run(backend.transact_write(&TransactWrite {
        actions,
        client_request_token: token,
    }))?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(backend: &MemoryBackend, catalog: &Catalog, op: &str, body: Json) -> Answer {
        dispatch(backend, catalog, op, &body)
    }

    fn table(backend: &MemoryBackend, catalog: &Catalog, name: &str) {
        call(
            backend,
            catalog,
            "CreateTable",
            json!({
                "TableName": name,
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        )
        .unwrap();
    }

    fn put(id: Json) -> Json {
        json!({"PutRequest": {"Item": {"id": id}}})
    }

    /// Regression: BatchWriteItem applied each table's writes in turn, so a batch whose later
    /// table was missing or held an invalid write left the earlier tables written.
    #[test]
    fn batch_write_over_tables_is_checked_whole_before_any_write() {
        let backend = MemoryBackend::new();
        let catalog = Catalog::default();
        table(&backend, &catalog, "aaa");
        table(&backend, &catalog, "zzz");
        let ok = put(json!({"S": "1"}));
        let err = call(
            &backend,
            &catalog,
            "BatchWriteItem",
            json!({"RequestItems": {"aaa": [ok.clone()], "zzz": [put(json!({"N": "1"}))]}}),
        )
        .unwrap_err();
        assert_eq!(err.kind, "ValidationException");
        let err = call(
            &backend,
            &catalog,
            "BatchWriteItem",
            json!({"RequestItems": {"aaa": [ok.clone()], "zzz_missing": [ok.clone()]}}),
        )
        .unwrap_err();
        assert_eq!(err.kind, "ResourceNotFoundException");
        assert_eq!(backend.item_count("aaa"), Some(0));
        assert_eq!(backend.item_count("zzz"), Some(0));
        call(
            &backend,
            &catalog,
            "BatchWriteItem",
            json!({"RequestItems": {"aaa": [ok.clone()], "zzz": [ok]}}),
        )
        .unwrap();
        assert_eq!(backend.item_count("aaa"), Some(1));
        assert_eq!(backend.item_count("zzz"), Some(1));
    }
}
