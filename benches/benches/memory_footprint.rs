//! Item 3, memory: resident memory per stored item of MemoryBackend vs the item's DynamoDB size.
//!
//! For each size (`$ORM_BENCH_FOOTPRINT_SIZES`, default 1k, 10k, 100k, 1M) a fresh child
//! process (this binary with `ORM_BENCH_FOOTPRINT_N` set) measures its RSS, stores N orders
//! through `put_item` (each item made and moved in, so nothing else stays alive), and measures
//! again: (RSS after - RSS before) / N, against the mean `Item::size()` of the stored items.

use futures::FutureExt;
use orm_benches::measure::{rss_bytes, write_result};
use orm_benches::model::{sample, Order};
use orm_benches::TABLE;
use orm_core::backend::PutItem;
use orm_core::prelude::*;
use orm_core::Backend as _;
use orm_memory::MemoryBackend;
use std::process::Command;
use std::sync::Arc;

const CHILD_ENV: &str = "ORM_BENCH_FOOTPRINT_N";

fn child(n: u64) {
    let backend = Arc::new(MemoryBackend::new());
    let table = Table::new(backend.clone(), TABLE);
    table
        .create_table::<Order>()
        .now_or_never()
        .unwrap()
        .unwrap();
    let before = rss_bytes().expect("rss");
    let mut dynamo_bytes = 0u64;
    for i in 0..n {
        let item = table.layout().to_stored_item(&sample(i)).unwrap();
        dynamo_bytes += item.size() as u64;
        backend
            .put_item(PutItem::new(TABLE, item))
            .now_or_never()
            .unwrap()
            .unwrap();
    }
    let after = rss_bytes().expect("rss");
    assert_eq!(backend.item_count(TABLE), Some(n as usize));
    let per_item = (after.saturating_sub(before)) as f64 / n as f64;
    let item_size = dynamo_bytes as f64 / n as f64;
    println!(
        "{{\"n\":{n},\"rss_per_item\":{per_item:.1},\"item_size\":{item_size:.1},\"ratio\":{:.3}}}",
        per_item / item_size
    );
}

fn main() {
    if let Ok(n) = std::env::var(CHILD_ENV) {
        child(n.parse().expect("N"));
        return;
    }
    // Only under `cargo bench` (not when `cargo test --all-targets` runs the target).
    if std::env::args().any(|a| a == "--list") || !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let sizes: Vec<u64> = std::env::var("ORM_BENCH_FOOTPRINT_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000, 1_000_000]);
    let exe = std::env::current_exe().expect("exe");
    let mut rows = Vec::new();
    for n in sizes {
        let out = Command::new(&exe)
            .env(CHILD_ENV, n.to_string())
            .output()
            .expect("child");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let row: serde_json::Value = serde_json::from_slice(&out.stdout).expect("child output");
        eprintln!(
            "memory_footprint n={n}: {} B resident per item for a {} B item: {}x",
            row["rss_per_item"], row["item_size"], row["ratio"]
        );
        rows.push(row);
    }
    write_result("memory_footprint", &serde_json::Value::Array(rows));
}
