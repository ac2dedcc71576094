//! Consumed capacity: asked for per table or per call, reported by every backend by DynamoDB's
//! formulas (DynamoDB Local's figures are the reference), totalled by the table's meter, and
//! a rate limit on it for scans and migrations.

use crate::models::{Blob, Todo};
use orm_core::capacity::{CapacityMode, CapacityUsage};
use orm_core::migrate::Migration;
use orm_core::prelude::*;
use std::time::{Duration, Instant};

fn blob(id: &str, bytes: usize) -> Blob {
    Blob {
        id: id.into(),
        data: "x".repeat(bytes),
    }
}

fn todo(seq: u32) -> Todo {
    Todo {
        user_id: "cap".into(),
        seq,
        title: format!("todo {seq}"),
        status: None,
        views: 0,
    }
}

/// The meter's entry for `operation`, `entity` (all indexes together).
fn usage(table: &Table, operation: &str, entity: Option<&str>) -> CapacityUsage {
    let mut sum = CapacityUsage::default();
    for u in table.capacity().usage() {
        if u.operation == operation && u.entity.as_deref() == entity {
            sum.requests += u.requests;
            sum.read_units += u.read_units;
            sum.write_units += u.write_units;
        }
    }
    sum
}

/// Each operation's units, as DynamoDB computes them: a read one unit per 4 KB (half when
/// eventually consistent), a write one per 1 KB of the larger of the item before and after.
pub async fn consumed_capacity_by_dynamodb_formulas(table: &Table) {
    // Off by default: nothing asked, nothing metered.
    blob("off", 100).create(table).await.unwrap();
    assert_eq!(table.capacity().total(), CapacityUsage::default());

    let metered = table.metered();
    blob("a", 1500).create(&metered).await.unwrap(); // ~1.5 KB: 2 units
    let put = usage(&metered, "PutItem", Some("Blob"));
    assert_eq!((put.requests, put.write_units), (1, 2.0), "{put:?}");

    Blob::get(&metered, Blob::key("a")).await.unwrap(); // eventually consistent: 0.5
    let consistent = metered.reconfigure(|c| c.consistent_reads = true);
    Blob::get(&consistent, Blob::key("a")).await.unwrap(); // strongly consistent: 1
    Blob::find(&metered, Blob::key("missing")).await.unwrap(); // missing: the minimum, 0.5
    let get = usage(&metered, "GetItem", Some("Blob"));
    assert_eq!((get.requests, get.read_units), (3, 2.0), "{get:?}");

    // Replacing 1.5 KB by 0.5 KB costs the larger: 2; deleting 0.5 KB: 1.
    blob("a", 500).save(&metered).await.unwrap();
    assert_eq!(usage(&metered, "PutItem", Some("Blob")).write_units, 4.0);
    blob("a", 500).delete(&metered).await.unwrap();
    assert_eq!(usage(&metered, "DeleteItem", Some("Blob")).write_units, 1.0);

    // A query page of 3 small items: their sizes together, rounded up once: 0.5.
    let mut todos: Vec<Todo> = (1..=3).map(todo).collect();
    for t in &mut todos {
        t.create(table).await.unwrap();
    }
    let page = Todo::query(&metered)
        .partition(Todo::partition("cap"))
        .all()
        .await
        .unwrap();
    assert_eq!(page.len(), 3);
    let query = usage(&metered, "Query", Some("Todo"));
    assert_eq!((query.requests, query.read_units), (1, 0.5), "{query:?}");

    // Batches: each item on its own, a unit per small write, 0.5 per small eventual read.
    metered.batch_put(&todos).await.unwrap();
    let batch = usage(&metered, "BatchWriteItem", None);
    assert_eq!(batch.write_units, 3.0, "{batch:?}");
    let keys = (1..=3u32).map(|s| Todo::key("cap", s));
    let got = Todo::batch_get(&metered, keys).await.unwrap();
    assert!(got.iter().all(Option::is_some));
    let batch = usage(&metered, "BatchGetItem", None);
    assert_eq!(batch.read_units, 1.5, "{batch:?}");

    let total = metered.capacity().total();
    assert_eq!(
        (total.read_units, total.write_units),
        (4.0, 8.0),
        "{total:?}"
    );
    // The meter of the table `metered` came from saw none of it.
    assert_eq!(table.capacity().total(), CapacityUsage::default());
    metered.capacity().reset();
    assert_eq!(metered.capacity().total(), CapacityUsage::default());

    // Per table: TableConfig::capacity, INDEXES mode, totals by index too.
    let per_table = table.reconfigure(|c| c.capacity = Some(CapacityMode::Indexes));
    Todo::get(&per_table, Todo::key("cap", 1u32)).await.unwrap();
    assert_eq!(table.capacity().total().read_units, 0.5);
}

/// `capacity_limit` paces a scan and a migration to the units per second asked for.
pub async fn capacity_limits_pace_scans_and_migrations(table: &Table) {
    for i in 0..6 {
        blob(&format!("r{i}"), 100).create(table).await.unwrap();
    }
    // Pages of 2 small items, 0.5 units each (eventually consistent): 3 or 4 pages, 1.5 to 2
    // units, at 2 units per second take at least 0.75 s.
    let started = Instant::now();
    let read = Blob::scan(table)
        .page_size(2)
        .capacity_limit(2.0)
        .all()
        .await
        .unwrap();
    assert_eq!(read.len(), 6);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(700), "scan took {took:?}");

    // A migration's pages are strongly consistent: 1 unit each, 3 or 4 pages at 4 units/s.
    let started = Instant::now();
    let done = Migration::<Blob>::new(table)
        .page_size(2)
        .capacity_limit(4.0)
        .run()
        .await
        .unwrap();
    assert_eq!(done.scanned, 6);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(700),
        "migration took {took:?}"
    );

    let refused = Blob::scan(table).capacity_limit(0.0).all().await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
}
