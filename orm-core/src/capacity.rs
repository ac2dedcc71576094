//! Consumed capacity: what each request costs in DynamoDB's read and write units, asked for per
//! table ([`TableConfig::capacity`](crate::TableConfig::capacity)) or per call
//! ([`Table::metered`](crate::Table::metered)), totalled by a [`CapacityMeter`] by operation,
//! entity and index, and a rate limit on it ([`CapacityLimit`]) for scans, queries and
//! migrations.
//!
//! A request asks for its capacity by carrying a [`CapacityRecorder`]: the backend then asks
//! DynamoDB for it (`ReturnConsumedCapacity`), or computes it by DynamoDB's formulas (the
//! memory backend), and hands each [`ConsumedCapacity`] to the recorder. A request without one
//! asks for nothing and costs nothing more.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use orm_core::prelude::*;
//! use orm_memory::MemoryBackend;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
//! #[model(entity = "Note", pk = "NOTE#{id}", sk = "NOTE")]
//! struct Note { id: u32, text: String }
//!
//! let table = Table::new(MemoryBackend::new(), "app");
//! table.create_table::<Note>().await?;
//! let metered = table.metered(); // the same table, with a meter of its own
//! Note { id: 1, text: "x".repeat(1500) }.create(&metered).await?; // 2 KB: 2 write units
//! Note::get(&metered, Note::key(1u32)).await?;                    // eventually consistent: 0.5
//! let usage = metered.capacity().total();
//! assert_eq!((usage.read_units, usage.write_units), (0.5, 2.0));
//! let usage = metered.capacity().usage(); // by operation, entity and index
//! assert_eq!(usage[1].operation, "PutItem");
//! assert_eq!(usage[1].entity.as_deref(), Some("Note"));
//! assert_eq!((usage[1].requests, usage[1].write_units), (1, 2.0));
//! # Ok::<(), Error>(()) }).unwrap();
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a request asks the backend to report: DynamoDB's `ReturnConsumedCapacity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum CapacityMode {
    /// `TOTAL`: the units of the whole request, per table.
    #[default]
    Total,
    /// `INDEXES`: also the units of the table and of each index apart.
    Indexes,
}

impl CapacityMode {
    /// The mode as DynamoDB spells it (`TOTAL`, `INDEXES`).
    pub fn as_str(self) -> &'static str {
        match self {
            CapacityMode::Total => "TOTAL",
            CapacityMode::Indexes => "INDEXES",
        }
    }
}

/// Units consumed on one table or one index: DynamoDB's `Capacity`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Capacity {
    /// All the units (reads and writes).
    pub capacity_units: f64,
    /// Read units.
    pub read_units: f64,
    /// Write units.
    pub write_units: f64,
}

impl Capacity {
    /// `units` read units.
    pub fn read(units: f64) -> Capacity {
        Capacity {
            capacity_units: units,
            read_units: units,
            write_units: 0.0,
        }
    }

    /// `units` write units.
    pub fn write(units: f64) -> Capacity {
        Capacity {
            capacity_units: units,
            read_units: 0.0,
            write_units: units,
        }
    }

    /// Whether nothing was consumed.
    pub fn is_zero(&self) -> bool {
        self.capacity_units == 0.0
    }

    /// Adds `other`'s units to these.
    pub fn add(&mut self, other: &Capacity) {
        self.capacity_units += other.capacity_units;
        self.read_units += other.read_units;
        self.write_units += other.write_units;
    }

    /// These units times `factor` (a transaction's 2).
    pub fn times(&self, factor: f64) -> Capacity {
        Capacity {
            capacity_units: self.capacity_units * factor,
            read_units: self.read_units * factor,
            write_units: self.write_units * factor,
        }
    }
}

/// The capacity one request consumed on one table, as DynamoDB reports it.
///
/// The breakdown (`table_capacity`, `global_indexes`, `local_indexes`) is what
/// [`CapacityMode::Indexes`] asks for; with [`CapacityMode::Total`] it is left empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConsumedCapacity {
    /// The table.
    pub table: String,
    /// All the units (reads and writes), the table's and its indexes' together.
    pub capacity_units: f64,
    /// Read units.
    pub read_units: f64,
    /// Write units.
    pub write_units: f64,
    /// With [`CapacityMode::Indexes`]: the units of the table itself (DynamoDB's `Table`).
    pub table_capacity: Option<Capacity>,
    /// With [`CapacityMode::Indexes`]: the units of each global secondary index involved, by
    /// name (DynamoDB's `GlobalSecondaryIndexes`).
    pub global_indexes: BTreeMap<String, Capacity>,
    /// With [`CapacityMode::Indexes`]: the units of each local secondary index involved, by
    /// name (DynamoDB's `LocalSecondaryIndexes`).
    pub local_indexes: BTreeMap<String, Capacity>,
}

impl ConsumedCapacity {
    /// `units` read units of `table`.
    pub fn read(table: impl Into<String>, units: f64) -> ConsumedCapacity {
        ConsumedCapacity {
            table: table.into(),
            capacity_units: units,
            read_units: units,
            ..ConsumedCapacity::default()
        }
    }

    /// `units` write units of `table`.
    pub fn write(table: impl Into<String>, units: f64) -> ConsumedCapacity {
        ConsumedCapacity {
            table: table.into(),
            capacity_units: units,
            write_units: units,
            ..ConsumedCapacity::default()
        }
    }

    /// Adds `other` (of the same table) to this: the totals, and the breakdown part by part.
    pub fn add(&mut self, other: &ConsumedCapacity) {
        self.capacity_units += other.capacity_units;
        self.read_units += other.read_units;
        self.write_units += other.write_units;
        if let Some(table) = &other.table_capacity {
            self.table_capacity
                .get_or_insert_with(Capacity::default)
                .add(table);
        }
        for (mine, theirs) in [
            (&mut self.global_indexes, &other.global_indexes),
            (&mut self.local_indexes, &other.local_indexes),
        ] {
            for (name, units) in theirs {
                mine.entry(name.clone()).or_default().add(units);
            }
        }
    }
}

/// DynamoDB's read units for an item of `bytes` read at once: one per 4 KB (rounded up, at
/// least one), half for an eventually consistent read.
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// DynamoDB's write units for writing an item of `bytes` (the larger of the item before and
/// after the write): one per 1 KB, rounded up, at least one.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

type Sink = Arc<dyn Fn(&ConsumedCapacity) + Send + Sync>;

/// Where a backend reports the capacity a request consumed. A request that carries one asks
/// for its capacity (in the recorder's [`CapacityMode`]); one without asks for nothing.
#[derive(Clone)]
pub struct CapacityRecorder {
    mode: CapacityMode,
    sink: Sink,
}

impl CapacityRecorder {
    /// A recorder in `mode` that passes each report to `sink`.
    pub fn new(
        mode: CapacityMode,
        sink: impl Fn(&ConsumedCapacity) + Send + Sync + 'static,
    ) -> CapacityRecorder {
        CapacityRecorder {
            mode,
            sink: Arc::new(sink),
        }
    }

    /// What to ask the backend for.
    pub fn mode(&self) -> CapacityMode {
        self.mode
    }

    /// Reports `consumed` (a backend calls it once per table a request consumed capacity of).
    pub fn record(&self, consumed: &ConsumedCapacity) {
        (self.sink)(consumed);
    }

    /// Two recorders in one: each report goes to both (`other` in its own mode is not asked
    /// for; the result asks for the more detailed of the two modes).
    pub(crate) fn and(self, other: CapacityRecorder) -> CapacityRecorder {
        let mode = if self.mode == CapacityMode::Indexes || other.mode == CapacityMode::Indexes {
            CapacityMode::Indexes
        } else {
            CapacityMode::Total
        };
        CapacityRecorder::new(mode, move |c| {
            self.record(c);
            other.record(c);
        })
    }
}

impl fmt::Debug for CapacityRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CapacityRecorder")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl PartialEq for CapacityRecorder {
    /// Recorders are equal when they report to the same place in the same mode.
    fn eq(&self, other: &Self) -> bool {
        self.mode == other.mode && Arc::ptr_eq(&self.sink, &other.sink)
    }
}

/// The capacity one kind of call consumed, as totalled by a [`CapacityMeter`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CapacityUsage {
    /// The DynamoDB operation (`GetItem`, `Query`, `TransactWriteItems`...).
    pub operation: String,
    /// The entity (model) the call was for, when it was for one.
    pub entity: Option<String>,
    /// The index queried or scanned, if any.
    pub index: Option<String>,
    /// Requests that reported capacity.
    pub requests: u64,
    /// Read units.
    pub read_units: f64,
    /// Write units.
    pub write_units: f64,
}

type Label = (&'static str, Option<&'static str>, Option<String>);

/// Totals of consumed capacity by operation, entity and index, since the meter was made or
/// last [reset](CapacityMeter::reset). Readable at any time, from any thread.
#[derive(Debug, Default)]
pub struct CapacityMeter {
    totals: Mutex<BTreeMap<Label, CapacityUsage>>,
}

impl CapacityMeter {
    /// An empty meter.
    pub fn new() -> CapacityMeter {
        CapacityMeter::default()
    }

    /// The totals, one entry per operation, entity and index, in that order.
    pub fn usage(&self) -> Vec<CapacityUsage> {
        self.lock().values().cloned().collect()
    }

    /// Everything added up (`operation` empty, `entity` and `index` `None`).
    pub fn total(&self) -> CapacityUsage {
        let mut total = CapacityUsage::default();
        for u in self.lock().values() {
            total.requests += u.requests;
            total.read_units += u.read_units;
            total.write_units += u.write_units;
        }
        total
    }

    /// Starts again from zero.
    pub fn reset(&self) {
        self.lock().clear();
    }

    /// Adds `consumed`, reported for one `operation` on `entity` (and `index`).
    pub fn add(
        &self,
        operation: &'static str,
        entity: Option<&'static str>,
        index: Option<&str>,
        consumed: &ConsumedCapacity,
    ) {
        let label = (operation, entity, index.map(str::to_owned));
        let mut totals = self.lock();
        let usage = totals.entry(label).or_insert_with(|| CapacityUsage {
            operation: operation.to_owned(),
            entity: entity.map(str::to_owned),
            index: index.map(str::to_owned),
            ..CapacityUsage::default()
        });
        usage.requests += 1;
        usage.read_units += consumed.read_units;
        usage.write_units += consumed.write_units;
    }

    /// A recorder adding to this meter under one label.
    pub(crate) fn recorder(
        self: &Arc<Self>,
        mode: CapacityMode,
        operation: &'static str,
        entity: Option<&'static str>,
        index: Option<&str>,
    ) -> CapacityRecorder {
        let meter = self.clone();
        let index = index.map(str::to_owned);
        CapacityRecorder::new(mode, move |c| {
            meter.add(operation, entity, index.as_deref(), c)
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Label, CapacityUsage>> {
        self.totals.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A rate limit in capacity units per second (reads and writes together), shared by every
/// request of a scan, query or migration (PynamoDB's `rate_limit`): after each request, the
/// caller waits until the units consumed so far fit the rate.
#[derive(Debug, Clone)]
pub struct CapacityLimit {
    per_second: f64,
    state: Arc<Mutex<LimitState>>,
}

#[derive(Debug)]
struct LimitState {
    /// Units reported and not yet waited for.
    debt: f64,
    /// When the units waited for so far are paid off.
    free_at: Instant,
}

impl CapacityLimit {
    /// At most `units_per_second` capacity units per second (above 0).
    pub fn new(units_per_second: f64) -> CapacityLimit {
        CapacityLimit {
            per_second: units_per_second,
            state: Arc::new(Mutex::new(LimitState {
                debt: 0.0,
                free_at: Instant::now(),
            })),
        }
    }

    /// The rate, in units per second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// A recorder whose reports count against this limit.
    pub fn recorder(&self) -> CapacityRecorder {
        let state = self.state.clone();
        CapacityRecorder::new(CapacityMode::Total, move |c| {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            s.debt += c.read_units + c.write_units;
        })
    }

    /// Waits until the units reported so far fit the rate.
    pub async fn settle(&self) {
        let wait = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let cost = Duration::from_secs_f64(
                (s.debt / self.per_second.max(f64::MIN_POSITIVE)).min(3600.0),
            );
            s.debt = 0.0;
            let now = Instant::now();
            s.free_at = s.free_at.max(now) + cost;
            s.free_at.saturating_duration_since(now)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_dynamodbs_formulas() {
        assert_eq!(read_units(0, false), 0.5);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(9000, false), 1.5);
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
    }

    #[test]
    fn the_meter_totals_by_label_and_resets() {
        let meter = Arc::new(CapacityMeter::new());
        let get = meter.recorder(CapacityMode::Total, "GetItem", Some("User"), None);
        let query = meter.recorder(CapacityMode::Indexes, "Query", Some("User"), Some("gsi1"));
        get.record(&ConsumedCapacity::read("app", 0.5));
        get.record(&ConsumedCapacity::read("app", 1.0));
        query.record(&ConsumedCapacity::read("app", 2.0));
        let usage = meter.usage();
        assert_eq!(usage.len(), 2);
        assert_eq!((usage[0].requests, usage[0].read_units), (2, 1.5));
        assert_eq!(usage[1].index.as_deref(), Some("gsi1"));
        assert_eq!(meter.total().read_units, 3.5);
        meter.reset();
        assert!(meter.usage().is_empty());
    }

    #[test]
    fn two_recorders_in_one_report_to_both() {
        let meter = Arc::new(CapacityMeter::new());
        let limit = CapacityLimit::new(10.0);
        let both = meter
            .recorder(CapacityMode::Total, "Scan", None, None)
            .and(limit.recorder());
        both.record(&ConsumedCapacity::write("app", 3.0));
        assert_eq!(meter.total().write_units, 3.0);
        assert_eq!(both, both.clone());
    }

    #[tokio::test]
    async fn the_limit_waits_for_the_units_reported() {
        let limit = CapacityLimit::new(100.0);
        let recorder = limit.recorder();
        let started = Instant::now();
        recorder.record(&ConsumedCapacity::read("app", 10.0));
        limit.settle().await; // 10 units at 100 per second: 100 ms
        assert!(
            started.elapsed() >= Duration::from_millis(95),
            "{:?}",
            started.elapsed()
        );
        let again = Instant::now();
        limit.settle().await; // nothing reported since: no wait
        assert!(again.elapsed() < Duration::from_millis(50));
    }
}
