//! A table's description as DynamoDB's JSON (`TableDescription`): what CreateTable,
//! DescribeTable, UpdateTable and DeleteTable answer with.

use super::arn;
use crate::key::key_type_name;
use crate::metadata::{epoch_seconds, IndexDescription, ThroughputDescription};
use crate::TableDescription;
use orm_core::backend::{BillingMode, KeyAttribute, KeyType, Projection};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

fn key_schema(hash: &KeyAttribute, range: Option<&KeyAttribute>) -> Json {
    multi_key_schema(std::iter::once(hash), range)
}

/// A `KeySchema`: the HASH elements, then the RANGE elements (several of each for a
/// multi-attribute index key).
fn multi_key_schema<'a>(
    hash: impl IntoIterator<Item = &'a KeyAttribute>,
    range: impl IntoIterator<Item = &'a KeyAttribute>,
) -> Json {
    let element = |k: &KeyAttribute, kind: &str| json!({"AttributeName": k.name, "KeyType": kind});
    Json::Array(
        hash.into_iter()
            .map(|k| element(k, "HASH"))
            .chain(range.into_iter().map(|k| element(k, "RANGE")))
            .collect(),
    )
}

fn projection(p: &Projection) -> Json {
    match p {
        Projection::All => json!({"ProjectionType": "ALL"}),
        Projection::KeysOnly => json!({"ProjectionType": "KEYS_ONLY"}),
        Projection::Include(names) => {
            json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": names})
        }
    }
}

/// `ProvisionedThroughput` (a table's or a global index's).
fn throughput(t: &ThroughputDescription) -> Json {
    let mut out = Map::new();
    out.insert("ReadCapacityUnits".into(), json!(t.read_capacity_units));
    out.insert("WriteCapacityUnits".into(), json!(t.write_capacity_units));
    out.insert("NumberOfDecreasesToday".into(), json!(t.decreases_today));
    if let Some(at) = t.last_increase {
        out.insert("LastIncreaseDateTime".into(), json!(epoch_seconds(at)));
    }
    if let Some(at) = t.last_decrease {
        out.insert("LastDecreaseDateTime".into(), json!(epoch_seconds(at)));
    }
    Json::Object(out)
}

fn index(i: &IndexDescription, table_arn: &str) -> Json {
    let d = &i.definition;
    let mut out = Map::new();
    out.insert("IndexName".into(), json!(d.name));
    out.insert(
        "KeySchema".into(),
        multi_key_schema(d.partition_keys(), d.sort_keys()),
    );
    out.insert("Projection".into(), projection(&d.projection));
    if !d.local {
        out.insert("IndexStatus".into(), json!(i.status.as_str()));
        if i.backfilling {
            out.insert("Backfilling".into(), json!(true));
        }
        if let Some(t) = &i.throughput {
            out.insert("ProvisionedThroughput".into(), throughput(t));
        }
    }
    out.insert("IndexSizeBytes".into(), json!(i.size_bytes));
    out.insert("ItemCount".into(), json!(i.item_count));
    out.insert(
        "IndexArn".into(),
        json!(format!("{table_arn}/index/{}", d.name)),
    );
    Json::Object(out)
}

/// The `TableDescription` JSON of a table, its ARNs in `region`.
pub(crate) fn table(d: &TableDescription, region: &str) -> Json {
    let def = &d.definition;
    let table_arn = arn::table(region, &def.name);
    // Each key attribute of the table and its indexes once, by name.
    let attributes: BTreeMap<&str, KeyType> = def
        .key_attributes()
        .chain(d.indexes.iter().flat_map(|i| i.definition.key_attributes()))
        .map(|a| (a.name.as_str(), a.key_type))
        .collect();
    let mut out = Map::new();
    out.insert("TableName".into(), json!(def.name));
    out.insert("TableStatus".into(), json!(d.status.as_str()));
    out.insert("TableArn".into(), json!(table_arn));
    out.insert("TableId".into(), json!(d.id));
    out.insert("CreationDateTime".into(), json!(epoch_seconds(d.created)));
    out.insert(
        "KeySchema".into(),
        key_schema(&def.partition_key, def.sort_key.as_ref()),
    );
    out.insert(
        "AttributeDefinitions".into(),
        Json::Array(
            attributes
                .iter()
                .map(|(n, t)| json!({"AttributeName": n, "AttributeType": key_type_name(*t)}))
                .collect(),
        ),
    );
    out.insert("ItemCount".into(), json!(d.item_count));
    out.insert("TableSizeBytes".into(), json!(d.size_bytes));
    out.insert("ProvisionedThroughput".into(), throughput(&d.throughput));
    // DynamoDB reports the billing mode of an on-demand table, and of a provisioned one that
    // was on demand before.
    if d.billing_mode == BillingMode::PayPerRequest || d.pay_per_request_since.is_some() {
        let mut summary = Map::new();
        summary.insert("BillingMode".into(), json!(d.billing_mode.as_str()));
        if let Some(at) = d.pay_per_request_since {
            summary.insert(
                "LastUpdateToPayPerRequestDateTime".into(),
                json!(epoch_seconds(at)),
            );
        }
        out.insert("BillingModeSummary".into(), Json::Object(summary));
    }
    if let Some(stream) = &d.latest_stream {
        if stream.enabled {
            out.insert(
                "StreamSpecification".into(),
                json!({"StreamEnabled": true, "StreamViewType": stream.view_type.as_str()}),
            );
        }
        out.insert("LatestStreamLabel".into(), json!(stream.label));
        out.insert(
            "LatestStreamArn".into(),
            json!(format!("{table_arn}/stream/{}", stream.label)),
        );
    }
    out.insert(
        "TableClassSummary".into(),
        json!({"TableClass": d.table_class.as_str()}),
    );
    out.insert(
        "DeletionProtectionEnabled".into(),
        json!(d.deletion_protection),
    );
    let (local, global): (Vec<&IndexDescription>, Vec<&IndexDescription>) =
        d.indexes.iter().partition(|i| i.definition.local);
    if !global.is_empty() {
        out.insert(
            "GlobalSecondaryIndexes".into(),
            Json::Array(global.iter().map(|i| index(i, &table_arn)).collect()),
        );
    }
    if !local.is_empty() {
        out.insert(
            "LocalSecondaryIndexes".into(),
            Json::Array(local.iter().map(|i| index(i, &table_arn)).collect()),
        );
    }
    Json::Object(out)
}
