//! The table operations: CreateTable, DescribeTable, DeleteTable, ListTables.

use super::super::error::ApiError;
use super::call::run;
use super::request::{
    list, null, obj, opt_str, opt_u32, req_str, table_name, wrong_type, Answer, Body,
};
use crate::MemoryBackend;
use orm_core::backend::{IndexDefinition, KeyAttribute, KeyType, Projection, TableDefinition};
use orm_core::Backend;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The server's state beside the backend: what DynamoDB reports that the `Backend` trait does
/// not hold (creation times, TTL settings changed after creation, billing modes).
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) tables: Mutex<HashMap<String, TableInfo>>,
}

#[derive(Debug, Clone)]
pub(crate) struct TableInfo {
    created: f64,
    pub(crate) ttl: Option<String>,
    billing: &'static str,
}

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

pub(crate) fn create_table(backend: &MemoryBackend, catalog: &Catalog, body: &Body) -> Answer {
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

pub(crate) fn info(catalog: &Catalog, definition: &TableDefinition) -> TableInfo {
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

pub(crate) fn describe_table(backend: &MemoryBackend, catalog: &Catalog, body: &Body) -> Answer {
    let definition = run(backend.describe_table(&table_name(body)?))?;
    Ok(json!({ "Table": description(backend, catalog, &definition) }))
}

pub(crate) fn delete_table(backend: &MemoryBackend, catalog: &Catalog, body: &Body) -> Answer {
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

pub(crate) fn list_tables(backend: &MemoryBackend, _: &Catalog, body: &Body) -> Answer {
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
