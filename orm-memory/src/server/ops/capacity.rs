//! Consumed capacity by DynamoDB's formulas, when `ReturnConsumedCapacity` asks for it:
//!
//! - a read costs one unit per 4 KB of the whole item (rounded up, at least one; half for an
//!   eventually consistent read), whatever its projection: the item is read whole;
//! - a batch read counts each item on its own (each rounded up), missing ones at the minimum;
//! - a write costs one unit per 1 KB of the larger of the item before and after it (the item
//!   deleted, for a delete), each write of a batch on its own.

use super::super::error::ApiError;
use super::call::run;
use super::request::{opt_str, Body};
use crate::MemoryBackend;
use orm_core::backend::{GetItem, RawItem};
use orm_core::{Backend, Item};
use serde_json::{json, Map, Value as Json};

/// The size of the whole item stored at the key of `item` (a key, or an item holding its key
/// attributes) in `table`; 0 when there is none, and when the table or the key is not valid
/// (the operation then fails with its own error).
pub(crate) fn stored_size(backend: &MemoryBackend, table: &str, item: &Item) -> usize {
    let Ok(definition) = run(backend.describe_table(table)) else {
        return 0;
    };
    let mut key = Item::new();
    for attribute in std::iter::once(&definition.partition_key).chain(&definition.sort_key) {
        match item.get(&attribute.name) {
            Some(value) => key.insert(attribute.name.clone(), value.clone()),
            None => return 0,
        };
    }
    let found = run(backend.get_item(&GetItem {
        consistent: true,
        ..GetItem::new(table, key)
    }));
    match found {
        Ok(Some(item)) => RawItem::into_item(item).size(),
        _ => 0,
    }
}

/// What `ReturnConsumedCapacity` asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CapacityMode {
    None,
    Total,
    Indexes,
}

pub(crate) fn capacity_mode(body: &Body) -> Result<CapacityMode, ApiError> {
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
pub(crate) fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Write units for an item of `bytes`: 1 KB a unit.
pub(crate) fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

pub(crate) fn consumed(table: &str, units: f64, mode: CapacityMode, read: bool) -> Option<Json> {
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

pub(crate) fn with_capacity(mut answer: Body, capacity: Option<Json>) -> Json {
    if let Some(c) = capacity {
        answer.insert("ConsumedCapacity".into(), c);
    }
    Json::Object(answer)
}
