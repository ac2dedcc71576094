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
use orm_benches::memory::{seeded, sizes, Lcg};
use orm_benches::model::{sample, Order};
use orm_benches::TABLE;
use orm_core::backend::{PutItem, StreamSpecification, StreamViewType, UpdateTable};
use orm_core::{Backend as _, Number, Table, Value};
use std::future::Future;
use std::hint::black_box;

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

/// The answer of a memory future (ready when made).
fn ready<T>(future: impl Future<Output = orm_core::Result<T>>) -> T {
    future
        .now_or_never()
        .expect("memory futures are ready")
        .expect("read")
}

/// Reads a change feed to its end, a batch (`next_batch`) at a time: how many changes it held.
fn read_to_end<T>(mut next_batch: impl FnMut() -> Vec<T>) -> u64 {
    let mut read = 0;
    loop {
        let batch = next_batch();
        if batch.is_empty() {
            return read;
        }
        read += batch.len() as u64;
        black_box(batch);
    }
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
            assert_eq!(read_to_end(|| ready(changes.next_batch())), CHANGES);
        })
    });
    g.bench_function("records_1000", |b| {
        b.iter(|| {
            let mut feed = table.changes();
            assert_eq!(read_to_end(|| ready(feed.next_batch())), CHANGES);
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    for n in sizes(&[100_000], &[1_000]) {
        puts(&mut c, n);
    }
    feed(&mut c);
    c.final_summary();
}
