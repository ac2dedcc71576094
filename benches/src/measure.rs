//! Measurements: process CPU time as a criterion [`Measurement`], a [`Timer`] abstraction for
//! `iter_custom`, resident memory, and the results directory read by `scripts/bench`.

use cpu_time::ProcessTime;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::Throughput;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// CPU time of the whole process (every thread, user + system), as a criterion measurement.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessCpu;

impl Measurement for ProcessCpu {
    type Intermediate = ProcessTime;
    type Value = Duration;

    fn start(&self) -> ProcessTime {
        ProcessTime::now()
    }
    fn end(&self, start: ProcessTime) -> Duration {
        start.elapsed()
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns cpu")
        } else if typical < 1e6 {
            (1e-3, "µs cpu")
        } else if typical < 1e9 {
            (1e-6, "ms cpu")
        } else {
            (1e-9, "s cpu")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let n = match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) => {
                *n as f64
            }
        };
        for v in values {
            *v = n * 1e9 / *v;
        }
        "elem/cpu-s"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// Times a closure with a measurement's clock, for `iter_custom`.
pub trait Timer: Measurement<Value = Duration> {
    /// How long `f` took by this clock.
    fn time(f: impl FnOnce()) -> Duration;
}

impl Timer for WallTime {
    fn time(f: impl FnOnce()) -> Duration {
        let start = Instant::now();
        f();
        start.elapsed()
    }
}

impl Timer for ProcessCpu {
    fn time(f: impl FnOnce()) -> Duration {
        let start = ProcessTime::now();
        f();
        start.elapsed()
    }
}

/// The process's resident set size, in bytes (Linux `/proc/self/status`).
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Where the non-criterion results go: `$ORM_BENCH_OUT`, else `target/orm-bench` of the workspace.
pub fn results_dir() -> PathBuf {
    let dir = match std::env::var_os("ORM_BENCH_OUT") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/orm-bench"),
    };
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Writes `value` as `<results_dir>/<name>.json`.
pub fn write_result(name: &str, value: &serde_json::Value) {
    let path = results_dir().join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(value).expect("json");
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("could not write {}: {e}", path.display());
    }
}
