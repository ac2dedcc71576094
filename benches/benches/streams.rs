//! What streams cost on MemoryBackend (issue 27), on a table of 100k orders (`$ORM_BENCH_SIZES`
//! to change), through the `Backend` trait:
//!
//! - `put_no_stream`: PutItem replacing a random stored order with a changed one (its `total_cents`
//!   differs, so the write changes the item), on a table without a stream;
//! - `put_stream`: the same on a table whose stream is enabled (`NEW_AND_OLD_IMAGES`, every
//!   write recorded with both images, the stream trimmed to its byte budget as it grows). The
//!   target: at most 10% more than `put_no_stream`.
//!
//! and through the ORM's change feed, a stream holding 1000 changes of orders:
//!
//! - `changes_1000`: a new `table.changes().entity::<Order>()` read to the end: 1000 typed
//!   changes, each image decoded into an `Order` (target: at most 2 ms);
//! - `records_1000`: the same records untyped (`table.changes()`), the feed's own cost.
//!
//! ```text
//! cargo bench -p orm-benches --bench streams
//! ```

use criterion::Criterion;
use futures::FutureExt;
use orm_benches::memory::seeded;
use orm_benches::model::{sample, Order};
use orm_benches::TABLE;
use orm_core::backend::{PutItem, StreamSpecification, StreamViewType, UpdateTable};
use orm_core::{Backend as _, Number, Table, Value};
use std::hint::black_box;

/// A small deterministic generator of random indexes.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn sizes() -> Vec<u64> {
    std::env::var("ORM_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| {
            if std::env::args().any(|a| a == "--bench") {
                vec![100_000]
            } else {
                // `cargo test --all-targets`: one small table, each benchmark run once.
                vec![1_000]
            }
        })
}

/// Order `id` as stored, with its `total_cents` set to `total` (so that writing it changes the item).
fn changed(table: &Table, id: u64, total: u64) -> PutItem {
    let mut item = table
        .layout()
        .to_stored_item(&sample(id))
        .expect("order item");
    item.insert("total_cents".to_owned(), Value::N(Number::from(total)));
    PutItem::new(TABLE, item)
}

fn enable_stream(table: &Table) {
    let request = UpdateTable::new(TABLE).with_streams(StreamSpecification::Enabled(
        StreamViewType::NewAndOldImages,
    ));
    table
        .backend()
        .update_table(&request)
        .now_or_never()
        .expect("memory futures are ready")
        .expect("enable the stream");
}

/// Times `iters` puts, made beforehand (outside the timing; a put is taken by value, so each
/// request's drop is inside it).
fn timed_puts(table: &Table, iters: u64, mut make: impl FnMut() -> PutItem) -> std::time::Duration {
    let requests: Vec<PutItem> = (0..iters).map(|_| make()).collect();
    let backend = table.backend();
    let start = std::time::Instant::now();
    for request in requests {
        black_box(
            backend
                .put_item(request)
                .now_or_never()
                .expect("memory futures are ready")
                .expect("put"),
        );
    }
    start.elapsed()
}

fn puts(c: &mut Criterion, n: u64) {
    let mut g = c.benchmark_group(format!("streams_{n}"));
    for with_stream in [false, true] {
        let (_backend, table) = seeded(n);
        if with_stream {
            enable_stream(&table);
        }
        let mut rng = Lcg(n);
        let mut total = 0u64;
        let name = if with_stream {
            "put_stream"
        } else {
            "put_no_stream"
        };
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                timed_puts(&table, iters, || {
                    total += 1;
                    changed(&table, rng.below(n), total)
                })
            })
        });
    }
    g.finish();
}

fn feed(c: &mut Criterion) {
    const CHANGES: u64 = 1000;
    let (_backend, table) = seeded(0);
    enable_stream(&table);
    for id in 0..CHANGES {
        table
            .backend()
            .put_item(changed(&table, id, id))
            .now_or_never()
            .expect("memory futures are ready")
            .expect("put");
    }
    let mut g = c.benchmark_group("streams_feed");
    g.bench_function("changes_1000", |b| {
        b.iter(|| {
            let mut changes = table.changes().entity::<Order>();
            let mut read = 0;
            loop {
                let batch = changes
                    .next_batch()
                    .now_or_never()
                    .expect("memory futures are ready")
                    .expect("read");
                if batch.is_empty() {
                    break;
                }
                read += batch.len();
                black_box(batch);
            }
            assert_eq!(read as u64, CHANGES);
        })
    });
    g.bench_function("records_1000", |b| {
        b.iter(|| {
            let mut feed = table.changes();
            let mut read = 0;
            loop {
                let batch = feed
                    .next_batch()
                    .now_or_never()
                    .expect("memory futures are ready")
                    .expect("read");
                if batch.is_empty() {
                    break;
                }
                read += batch.len();
                black_box(batch);
            }
            assert_eq!(read as u64, CHANGES);
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    for n in sizes() {
        puts(&mut c, n);
    }
    feed(&mut c);
    c.final_summary();
}
