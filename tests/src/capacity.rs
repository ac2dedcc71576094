//! Consumed capacity: asked for per table or per call, reported by every backend by DynamoDB's
//! formulas (DynamoDB Local's figures are the reference), totalled by the table's meter, and
//! a rate limit on it for scans and migrations.

use crate::models::{Blob, Todo};
use orm_core::backend::{
    DeleteItem, GetItem, PutItem, QueryRequest, TransactWrite, TransactWriteAction,
};
use orm_core::capacity::{CapacityMode, CapacityRecorder, CapacityUsage, ConsumedCapacity};
use orm_core::expr::KeyCondition;
use orm_core::migrate::Migration;
use orm_core::prelude::*;
use orm_core::{Item, Value};
use std::sync::{Arc, Mutex};
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
    assert_error!(refused, Validation);
}

/// A recorder in `mode` and what it was told, one report per table.
fn collector(mode: CapacityMode) -> (CapacityRecorder, Arc<Mutex<Vec<ConsumedCapacity>>>) {
    let reports: Arc<Mutex<Vec<ConsumedCapacity>>> = Arc::default();
    let sink = Arc::clone(&reports);
    let recorder = CapacityRecorder::new(mode, move |c| sink.lock().unwrap().push(c.clone()));
    (recorder, reports)
}

/// The one report made since the last call.
fn one(reports: &Mutex<Vec<ConsumedCapacity>>) -> ConsumedCapacity {
    let mut reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "one report per table: {reports:?}");
    reports.pop().unwrap()
}

/// An item of `bytes` data at `CAP#{pk}`, in `gsi1` under `gsi1pk` when given.
fn raw_item(pk: &str, gsi1pk: Option<&str>, bytes: usize) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), Value::S(format!("CAP#{pk}")));
    item.insert("sk".into(), Value::S("RAW".into()));
    if let Some(g) = gsi1pk {
        item.insert("gsi1pk".into(), Value::S(g.into()));
        item.insert("gsi1sk".into(), Value::S("1".into()));
    }
    item.insert("data".into(), Value::S("x".repeat(bytes)));
    item
}

/// The units of `c` as (all, the table's, gsi1's): the INDEXES breakdown every backend reports.
fn breakdown(c: &ConsumedCapacity) -> (f64, Option<f64>, Option<f64>) {
    (
        c.capacity_units,
        c.table_capacity.map(|t| t.capacity_units),
        c.global_indexes.get("gsi1").map(|g| g.capacity_units),
    )
}

/// `INDEXES`: the table's units and each index's, writes by the index entries they change;
/// queries charged for the items they read, before the filter; transactions twice.
pub async fn capacity_is_charged_by_table_and_index(table: &Table) {
    let backend = table.backend();
    let name = table.name();
    let (recorder, reports) = collector(CapacityMode::Indexes);
    let put = |item: Item| PutItem {
        capacity: Some(recorder.clone()),
        ..PutItem::new(name, item)
    };
    // A new 1.5 KB item in gsi1 (projecting everything): 2 units in the table, 2 in the index.
    backend
        .put_item(put(raw_item("a", Some("G"), 1500)))
        .await
        .unwrap();
    let c = one(&reports);
    assert_eq!(c.table, name);
    assert_eq!(breakdown(&c), (4.0, Some(2.0), Some(2.0)), "{c:?}");
    assert_eq!(c.write_units, 4.0);
    // Its index key changed: the entry is deleted and put again, two writes of 2.
    backend
        .put_item(put(raw_item("a", Some("H"), 1500)))
        .await
        .unwrap();
    assert_eq!(breakdown(&one(&reports)), (6.0, Some(2.0), Some(4.0)));
    // The same item again: the entry is left as it was.
    backend
        .put_item(put(raw_item("a", Some("H"), 1500)))
        .await
        .unwrap();
    assert_eq!(breakdown(&one(&reports)), (2.0, Some(2.0), None));

    // Three 1.5 KB items in one partition, none of them in the index.
    for sk in ["1", "2", "3"] {
        let mut item = raw_item("q", None, 1500);
        item.insert("sk".into(), Value::S(sk.into()));
        backend.put_item(PutItem::new(name, item)).await.unwrap();
    }
    let query = |filter: Option<Condition>, limit: Option<u32>| QueryRequest {
        capacity: Some(recorder.clone()),
        filter,
        limit,
        ..QueryRequest::new(name, KeyCondition::partition("pk", "CAP#q"))
    };
    // ~4.5 KB read, eventually consistent: 1 unit, whether the filter keeps them or not.
    let page = backend.query(&query(None, None)).await.unwrap();
    assert_eq!(page.count, 3);
    assert_eq!(breakdown(&one(&reports)), (1.0, Some(1.0), None));
    let none = Some(attr("nothing").exists());
    let page = backend.query(&query(none, None)).await.unwrap();
    assert_eq!((page.count, page.scanned_count), (0, 3));
    assert_eq!(
        one(&reports).capacity_units,
        1.0,
        "charged for what it read"
    );
    // `Limit` bounds what is read: one 1.5 KB item, the minimum.
    backend.query(&query(None, Some(1))).await.unwrap();
    assert_eq!(one(&reports).capacity_units, 0.5);
    // On the index: the index's units.
    let on_index = QueryRequest {
        capacity: Some(recorder.clone()),
        index: Some("gsi1".into()),
        ..QueryRequest::new(name, KeyCondition::partition("gsi1pk", "H"))
    };
    backend.query(&on_index).await.unwrap();
    let c = one(&reports);
    assert_eq!(c.global_indexes["gsi1"].capacity_units, 0.5, "{c:?}");
    assert_eq!(c.capacity_units, 0.5);

    // A transaction: twice the units of the delete (table and index).
    let mut key = Item::new();
    key.insert("pk".into(), Value::S("CAP#a".into()));
    key.insert("sk".into(), Value::S("RAW".into()));
    let delete = TransactWriteAction::Delete(DeleteItem::new(name, key.clone()));
    backend
        .transact_write(&TransactWrite {
            capacity: Some(recorder.clone()),
            ..TransactWrite::new(vec![delete])
        })
        .await
        .unwrap();
    assert_eq!(breakdown(&one(&reports)), (8.0, Some(4.0), Some(4.0)));
    // TOTAL: the request's units, no breakdown.
    let (total, reports) = collector(CapacityMode::Total);
    backend
        .get_item(&GetItem {
            capacity: Some(total),
            consistent: true,
            ..GetItem::new(name, key)
        })
        .await
        .unwrap();
    let c = one(&reports);
    assert_eq!(breakdown(&c), (1.0, None, None), "{c:?}");
}
