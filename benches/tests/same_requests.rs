//! The baseline is fair: for every benchmarked operation the hand-written SDK code sends the
//! very request the ORM sends (bodies equal as JSON), and both decode the same answers.

use orm_benches::model::{customer_id, region_of, sample, Order, OrderByCustomerRegion};
use orm_benches::stub::{start_in_process, Recorder};
use orm_benches::{sdk, Clients, TABLE};
use orm_core::prelude::*;
use serde_json::Value as Json;
use std::sync::{Arc, Mutex};

fn take(recorder: &Recorder) -> Vec<(String, Json)> {
    std::mem::take(&mut *recorder.lock().unwrap())
}

fn one(recorder: &Recorder, target: &str) -> Json {
    let mut got = take(recorder);
    assert_eq!(got.len(), 1, "{got:?}");
    let (t, body) = got.remove(0);
    assert_eq!(t, target);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orm_and_sdk_send_the_same_requests() {
    let recorder: Recorder = Arc::new(Mutex::new(Vec::new()));
    let endpoint = start_in_process(Some(recorder.clone())).await;
    let c = Clients::new(&endpoint).await;
    let cust = customer_id(0);

    let orm = Order::get(&c.table, Order::key(&cust, 0u64)).await.unwrap();
    let orm_body = one(&recorder, "GetItem");
    let raw = sdk::get(&c.client, TABLE, &cust, 0).await.unwrap();
    assert_eq!(one(&recorder, "GetItem"), orm_body);
    assert_eq!(orm, raw);
    assert_eq!(orm, sample(0));

    let mut order = sample(7);
    order.save(&c.table).await.unwrap();
    let orm_body = one(&recorder, "PutItem");
    sdk::put(&c.client, TABLE, &order).await.unwrap();
    assert_eq!(one(&recorder, "PutItem"), orm_body);

    let orm = Order::query(&c.table)
        .partition(Order::partition(&cust))
        .limit(100)
        .all()
        .await
        .unwrap();
    let orm_body = one(&recorder, "Query");
    let raw = sdk::query(&c.client, TABLE, &cust).await.unwrap();
    assert_eq!(one(&recorder, "Query"), orm_body);
    assert_eq!(orm.len(), 100);
    assert_eq!(orm, raw);

    // A query on a multi-attribute index (issue 26): two partition attributes, no key string.
    let region = region_of(0);
    let orm = OrderByCustomerRegion::query(&c.table)
        .key(OrderByCustomerRegion::by_customer_region_key(
            &cust, &region,
        ))
        .limit(100)
        .all()
        .await
        .unwrap();
    let orm_body = one(&recorder, "Query");
    assert_eq!(orm_body["IndexName"], "by_customer_region");
    let raw = sdk::query_by_customer_region(&c.client, TABLE, &cust, &region)
        .await
        .unwrap();
    assert_eq!(one(&recorder, "Query"), orm_body);
    assert_eq!(orm.len(), 100);
    // The same stored orders, decoded into the two structs declaring the same fields.
    assert_eq!(
        serde_json::to_value(&orm).unwrap(),
        serde_json::to_value(&raw).unwrap()
    );

    let batch: Vec<Order> = (0..25).map(sample).collect();
    Order::batch_put(&c.table, &batch).await.unwrap();
    let orm_body = one(&recorder, "BatchWriteItem");
    sdk::batch_put(&c.client, TABLE, &batch).await.unwrap();
    let raw_body = one(&recorder, "BatchWriteItem");
    // Batch writes may be sent in any order: compare them as sets of puts.
    let puts = |b: &Json| {
        let mut v: Vec<String> = b["RequestItems"][TABLE]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(puts(&raw_body), puts(&orm_body));
    assert_eq!(puts(&raw_body).len(), 25);
}

#[test]
fn stored_item_is_about_one_kilobyte_with_twelve_fields() {
    let table = Table::new(orm_memory::MemoryBackend::new(), TABLE);
    let item = table.layout().to_stored_item(&sample(42)).unwrap();
    let fields = orm_core::to_item(&sample(42)).unwrap();
    assert_eq!(fields.len(), 12);
    let size = item.size();
    assert!((900..=1100).contains(&size), "{size}");
}
