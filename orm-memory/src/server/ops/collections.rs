//! `ItemCollectionMetrics`: what a write answers, when `ReturnItemCollectionMetrics` is
//! `SIZE` and its table has local secondary indexes, about the item collection it wrote to
//! (the items sharing its partition key, in the table and in every local index).
//!
//! DynamoDB answers `{"ItemCollectionKey": {pk: value}, "SizeEstimateRangeGB": [low, high]}`:
//! an estimate, which it documents as imprecise, of the collection's size against the 10 GB
//! limit of tables with local indexes. The estimate here brackets the exact size (the items'
//! sizes plus their projections into each local index) with the whole gigabytes around it:
//! `[0.0, 1.0]` for any collection under a gigabyte, as DynamoDB answers for small ones.

use super::super::error::ApiError;
use super::super::json::encode_value;
use super::call::run;
use super::request::{opt_str, Body};
use crate::MemoryBackend;
use orm_core::backend::{QueryRequest, TableDefinition};
use orm_core::expr::KeyCondition;
use orm_core::{Backend, Item, Value};
use serde_json::{json, Value as Json};

/// Whether the request asked for `SIZE` (the enum is checked with the request's constraints).
pub(crate) fn wanted(body: &Body) -> Result<bool, ApiError> {
    Ok(opt_str(body, "ReturnItemCollectionMetrics")? == Some("SIZE"))
}

/// The metrics of the collection holding `key` in `table`, if the table has local indexes.
pub(crate) fn metrics(
    backend: &MemoryBackend,
    definition: &TableDefinition,
    key: &Item,
) -> Result<Option<Json>, ApiError> {
    let local: Vec<&str> = definition
        .indexes
        .iter()
        .filter(|i| i.local)
        .map(|i| i.name.as_str())
        .collect();
    let partition = &definition.partition_key.name;
    let Some(value) = key.get(partition) else {
        return Ok(None);
    };
    if local.is_empty() {
        return Ok(None);
    }
    let mut bytes = collection_bytes(backend, definition, None, value)?;
    for index in local {
        bytes += collection_bytes(backend, definition, Some(index), value)?;
    }
    let gigabytes = bytes as f64 / (1024.0 * 1024.0 * 1024.0);
    let low = gigabytes.floor();
    Ok(Some(json!({
        "ItemCollectionKey": { partition.as_str(): encode_value(value) },
        "SizeEstimateRangeGB": [low, low + 1.0],
    })))
}

/// The bytes of the items with partition key `value` in the table or one of its indexes.
fn collection_bytes(
    backend: &MemoryBackend,
    definition: &TableDefinition,
    index: Option<&str>,
    value: &Value,
) -> Result<usize, ApiError> {
    let condition = KeyCondition {
        extra_partition: Vec::new(),
        sort_prefix: Vec::new(),
        partition_name: definition.partition_key.name.clone(),
        partition_value: value.clone(),
        sort: None,
    };
    let mut request = QueryRequest::new(definition.name.clone(), condition);
    request.index = index.map(str::to_string);
    request.consistent = true;
    let mut bytes = 0;
    loop {
        let page = run(backend.query(&request))?.sorted()?;
        bytes += page.items.iter().map(Item::size).sum::<usize>();
        match page.last_evaluated_key {
            Some(key) => request.exclusive_start_key = Some(key),
            None => return Ok(bytes),
        }
    }
}
