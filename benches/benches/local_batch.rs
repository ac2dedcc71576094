//! Item 5: `Order::batch_create` of 10,000 orders vs 10,000 sequential `create`s, against
//! DynamoDB Local at `$DYNAMODB_ENDPOINT` (skipped when unset); `$ORM_BENCH_BATCH_N` changes
//! the count. Each side writes into its own fresh table; one timed run each. `batch_put` (the
//! same writes without `batch_create`'s existence check) is timed too, for context.
//! `$ORM_BENCH_BATCH_CONCURRENCY` overrides the batch chunks in flight (default: the
//! `BatchConfig` default, 8), to see whether the server or the client is the bottleneck.

use orm_benches::measure::write_result;
use orm_benches::model::{sample, Order};
use orm_benches::{runtime, Clients};
use orm_core::prelude::*;
use std::time::Instant;

fn main() {
    // Only under `cargo bench` (not when `cargo test --all-targets` runs the target).
    if std::env::args().any(|a| a == "--list") || !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let Some(endpoint) = std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
    else {
        eprintln!("DYNAMODB_ENDPOINT not set: skipping local_batch");
        return;
    };
    let n: u64 = std::env::var("ORM_BENCH_BATCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let rt = runtime(2);
    rt.block_on(async {
        let clients = Clients::new(&endpoint).await;
        let backend = clients.table.backend().clone();
        let seq_table = Table::new(backend.clone(), "bench_sequential");
        let concurrency: usize = std::env::var("ORM_BENCH_BATCH_CONCURRENCY")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(orm_core::batch::BatchConfig::default().concurrency);
        let batch_table = Table::new(backend.clone(), "bench_batch")
            .reconfigure(|c| c.batch.concurrency = concurrency);
        let put_table = Table::new(backend, "bench_batch_put")
            .reconfigure(|c| c.batch.concurrency = concurrency);
        for t in [&seq_table, &batch_table, &put_table] {
            let _ = t.delete_table().await;
            t.create_table::<Order>().await.unwrap();
        }
        let mut orders: Vec<Order> = (0..n).map(sample).collect();

        let started = Instant::now();
        for o in orders.iter_mut() {
            o.create(&seq_table).await.unwrap();
        }
        let sequential = started.elapsed();
        eprintln!("local_batch: {n} sequential creates: {sequential:.2?}");

        let started = Instant::now();
        Order::batch_create(&batch_table, &mut orders)
            .await
            .unwrap();
        let batch = started.elapsed();
        eprintln!("local_batch: batch_create of {n}: {batch:.2?}");
        let ratio = sequential.as_secs_f64() / batch.as_secs_f64();
        eprintln!("local_batch: batch_create is {ratio:.1}x faster");

        // For context: the same writes without batch_create's existence check.
        let started = Instant::now();
        Order::batch_put(&put_table, &orders).await.unwrap();
        let put = started.elapsed();
        eprintln!("local_batch: batch_put of {n} (no existence check): {put:.2?}");

        let count = batch_table
            .backend()
            .scan(
                &orm_core::backend::ScanRequest::new("bench_batch")
                    .with_consistent(true)
                    .with_count_only(true),
            )
            .await
            .unwrap()
            .count;
        eprintln!("local_batch: first scan page counts {count} items (1 MB page cap applies)");
        write_result(
            "local_batch",
            &serde_json::json!({
                "n": n,
                "sequential_s": sequential.as_secs_f64(),
                "batch_create_s": batch.as_secs_f64(),
                "ratio": ratio,
                "batch_put_s": put.as_secs_f64(),
            }),
        );
        for t in [&seq_table, &batch_table, &put_table] {
            let _ = t.delete_table().await;
        }
    });
}
