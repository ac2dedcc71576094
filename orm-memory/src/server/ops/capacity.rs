//! `ReturnConsumedCapacity` on the wire: the server computes nothing itself. A request that
//! asks for its capacity carries a [`Collector`]'s recorder into the engine, which charges it by
//! DynamoDB's formulas (`crate::capacity`, the one place they live) and reports one
//! [`ConsumedCapacity`] per table; the answer renders them as DynamoDB's `ConsumedCapacity`
//! (with `INDEXES`: `Table`, `GlobalSecondaryIndexes` and `LocalSecondaryIndexes` too).

use super::super::error::ApiError;
use super::request::{opt_str, Body};
use orm_core::capacity::{Capacity, CapacityMode, CapacityRecorder, ConsumedCapacity};
use serde_json::{json, Map, Value as Json};
use std::sync::{Arc, Mutex, PoisonError};

/// What `ReturnConsumedCapacity` asks for: `None` for `NONE` or absent.
pub(crate) fn capacity_mode(body: &Body) -> Result<Option<CapacityMode>, ApiError> {
    match opt_str(body, "ReturnConsumedCapacity")? {
        None | Some("NONE") => Ok(None),
        Some("TOTAL") => Ok(Some(CapacityMode::Total)),
        Some("INDEXES") => Ok(Some(CapacityMode::Indexes)),
        Some(other) => Err(ApiError::validation(format!(
            "ReturnConsumedCapacity must be NONE, TOTAL or INDEXES; got {other}"
        ))),
    }
}

/// Collects what the engine reports for one request that asked for its capacity.
#[derive(Clone)]
pub(crate) struct Collector {
    recorder: CapacityRecorder,
    reports: Arc<Mutex<Vec<ConsumedCapacity>>>,
}

impl Collector {
    /// A collector for `body`'s `ReturnConsumedCapacity`; `None` when it asks for nothing.
    pub(crate) fn of(body: &Body) -> Result<Option<Collector>, ApiError> {
        Ok(capacity_mode(body)?.map(|mode| {
            let reports: Arc<Mutex<Vec<ConsumedCapacity>>> = Arc::default();
            let sink = Arc::clone(&reports);
            let recorder = CapacityRecorder::new(mode, move |c| {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(c.clone());
            });
            Collector { recorder, reports }
        }))
    }

    /// The recorder to give the engine's requests.
    pub(crate) fn recorder(&self) -> CapacityRecorder {
        self.recorder.clone()
    }

    /// The reports, one per table (in the order first reported; a table reported several
    /// times, by several calls of one request, summed).
    fn per_table(&self) -> Vec<ConsumedCapacity> {
        let reports = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
        let mut tables: Vec<ConsumedCapacity> = Vec::new();
        for report in reports.iter() {
            match tables.iter_mut().find(|t| t.table == report.table) {
                Some(sum) => sum.add(report),
                None => tables.push(report.clone()),
            }
        }
        tables
    }

    /// The `ConsumedCapacity` of a single-table operation: one object (`None`: nothing was
    /// reported, the operation failed before reading or writing).
    pub(crate) fn one(&self) -> Option<Json> {
        self.per_table().first().map(consumed_json)
    }

    /// The `ConsumedCapacity` of a batch or transaction: one object per table.
    pub(crate) fn list(&self) -> Json {
        Json::Array(self.per_table().iter().map(consumed_json).collect())
    }
}

/// The recorder of an optional collector (a request's `capacity`).
pub(crate) fn recorder(collector: &Option<Collector>) -> Option<CapacityRecorder> {
    collector.as_ref().map(Collector::recorder)
}

/// DynamoDB's `Capacity`: `CapacityUnits`, and the read and write units that are not 0.
fn capacity_json(units: &Capacity) -> Map<String, Json> {
    let mut out = Map::new();
    out.insert("CapacityUnits".into(), json!(units.capacity_units));
    if units.read_units != 0.0 {
        out.insert("ReadCapacityUnits".into(), json!(units.read_units));
    }
    if units.write_units != 0.0 {
        out.insert("WriteCapacityUnits".into(), json!(units.write_units));
    }
    out
}

/// DynamoDB's `ConsumedCapacity` of one table.
fn consumed_json(c: &ConsumedCapacity) -> Json {
    let mut out = Map::new();
    out.insert("TableName".into(), json!(c.table));
    out.extend(capacity_json(&Capacity {
        capacity_units: c.capacity_units,
        read_units: c.read_units,
        write_units: c.write_units,
    }));
    if let Some(table) = &c.table_capacity {
        out.insert("Table".into(), Json::Object(capacity_json(table)));
    }
    for (member, indexes) in [
        ("GlobalSecondaryIndexes", &c.global_indexes),
        ("LocalSecondaryIndexes", &c.local_indexes),
    ] {
        if !indexes.is_empty() {
            let by_name = indexes
                .iter()
                .map(|(name, units)| (name.clone(), Json::Object(capacity_json(units))))
                .collect();
            out.insert(member.into(), Json::Object(by_name));
        }
    }
    Json::Object(out)
}

/// `answer` with its `ConsumedCapacity` when there is one.
pub(crate) fn with_capacity(mut answer: Body, capacity: Option<Json>) -> Json {
    if let Some(c) = capacity {
        answer.insert("ConsumedCapacity".into(), c);
    }
    Json::Object(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_names_what_was_consumed_by_table_and_index() {
        let mut c = ConsumedCapacity::write("t", 3.0);
        assert_eq!(
            consumed_json(&c),
            json!({"TableName": "t", "CapacityUnits": 3.0, "WriteCapacityUnits": 3.0})
        );
        c.table_capacity = Some(Capacity::write(1.0));
        c.global_indexes.insert("g".into(), Capacity::write(2.0));
        assert_eq!(
            consumed_json(&c),
            json!({"TableName": "t", "CapacityUnits": 3.0, "WriteCapacityUnits": 3.0,
                   "Table": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0},
                   "GlobalSecondaryIndexes": {"g": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}}})
        );
    }

    #[test]
    fn reports_of_one_table_are_summed() {
        let body: Body =
            serde_json::from_value(json!({"ReturnConsumedCapacity": "TOTAL"})).unwrap();
        let collector = Collector::of(&body).unwrap().unwrap();
        let recorder = collector.recorder();
        recorder.record(&ConsumedCapacity::read("a", 0.5));
        recorder.record(&ConsumedCapacity::read("b", 1.0));
        recorder.record(&ConsumedCapacity::read("a", 0.5));
        assert_eq!(collector.one().unwrap()["CapacityUnits"], json!(1.0));
        assert_eq!(collector.list()[1]["TableName"], json!("b"));
        let none: Body = serde_json::from_value(json!({"ReturnConsumedCapacity": "NONE"})).unwrap();
        assert!(Collector::of(&none).unwrap().is_none());
    }
}
