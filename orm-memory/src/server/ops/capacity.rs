//! Consumed capacity by DynamoDB's formulas, when `ReturnConsumedCapacity` asks for it.

use super::super::error::ApiError;
use super::request::{opt_str, Body};
use serde_json::{json, Map, Value as Json};

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
