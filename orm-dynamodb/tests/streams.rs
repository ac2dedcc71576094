//! Decoding DynamoDB Streams records (Lambda events) into models: feature `streams`.
#![cfg(feature = "streams")]

use aws_lambda_events::dynamodb::Event;
use orm_core::{Error, Model, Number, Table};
use orm_dynamodb::streams::{decode_image, decode_record, item_from_image, ChangeKind};
use orm_dynamodb::DynamoBackend;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[model(entity = "Order", pk = "CUSTOMER#{customer}", sk = "ORDER#{id}")]
#[model(index(name = "gsi1", pk = "STATUS#{status}"))]
struct Order {
    customer: String,
    id: u64,
    status: String,
    total: Number,
    tags: Vec<String>,
}

#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[model(entity = "Customer", pk = "CUSTOMER#{id}", sk = "PROFILE")]
struct Customer {
    id: String,
}

fn table() -> Table {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .build();
    Table::new(
        DynamoBackend::new(aws_sdk_dynamodb::Client::from_conf(config)),
        "app",
    )
}

const ORDER_OLD: &str = r#"{"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#00000000000000000007"},
    "gsi1pk": {"S": "STATUS#PLACED"}, "__entity": {"S": "Order"}, "customer": {"S": "c1"},
    "id": {"N": "7"}, "status": {"S": "PLACED"},
    "total": {"N": "12345678901234567890.123456789012345678"}, "tags": {"L": [{"S": "gift"}]}}"#;
const ORDER_NEW: &str = r#"{"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#00000000000000000007"},
    "gsi1pk": {"S": "STATUS#SHIPPED"}, "__entity": {"S": "Order"}, "customer": {"S": "c1"},
    "id": {"N": "7"}, "status": {"S": "SHIPPED"},
    "total": {"N": "12345678901234567890.123456789012345678"}, "tags": {"L": []}}"#;
const CUSTOMER: &str = r#"{"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "PROFILE"},
    "__entity": {"S": "Customer"}, "id": {"S": "c1"}}"#;
const KEYS: &str = r#"{"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#00000000000000000007"}}"#;

fn record(name: &str, keys: &str, old: Option<&str>, new: Option<&str>) -> String {
    let mut images = String::new();
    if let Some(old) = old {
        images.push_str(&format!(r#""OldImage": {old},"#));
    }
    if let Some(new) = new {
        images.push_str(&format!(r#""NewImage": {new},"#));
    }
    format!(
        r#"{{"eventID": "id-{name}", "eventName": "{name}", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "dynamodb": {{"ApproximateCreationDateTime": 1700000000, "Keys": {keys}, {images}
            "SequenceNumber": "1", "SizeBytes": 10, "StreamViewType": "NEW_AND_OLD_IMAGES"}},
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/app/stream/2025"}}"#
    )
}

fn event(records: &[String]) -> Event {
    serde_json::from_str(&format!(r#"{{"Records": [{}]}}"#, records.join(","))).unwrap()
}

#[test]
fn records_decode_into_models_through_the_entity_check() {
    let table = table();
    let event = event(&[
        record("INSERT", KEYS, None, Some(ORDER_OLD)),
        record("MODIFY", KEYS, Some(ORDER_OLD), Some(ORDER_NEW)),
        record("INSERT", KEYS, None, Some(CUSTOMER)),
        record("REMOVE", KEYS, Some(ORDER_NEW), None),
    ]);
    let changes: Vec<_> = event
        .records
        .iter()
        .map(|r| decode_record::<Order>(&table, r).unwrap())
        .collect();
    assert_eq!(changes.len(), 4);
    let insert = changes[0].as_ref().unwrap();
    assert_eq!(insert.kind, ChangeKind::Insert);
    assert!(insert.old.is_none());
    let placed = insert.new.as_ref().unwrap();
    assert_eq!(placed.status, "PLACED");
    assert_eq!(
        placed.total.as_str(),
        "12345678901234567890.123456789012345678",
        "38 digits, exact"
    );
    let modify = changes[1].as_ref().unwrap();
    assert_eq!(modify.kind, ChangeKind::Modify);
    assert_eq!(modify.old.as_ref().unwrap().status, "PLACED");
    assert_eq!(modify.new.as_ref().unwrap().status, "SHIPPED");
    assert!(modify.new.as_ref().unwrap().tags.is_empty());
    assert!(
        changes[2].is_none(),
        "a Customer record is not an Order change"
    );
    let remove = changes[3].as_ref().unwrap();
    assert_eq!(remove.kind, ChangeKind::Remove);
    assert!(remove.new.is_none());
    assert_eq!(remove.old.as_ref().unwrap().id, 7);
    assert_eq!(
        remove.keys.get("sk").and_then(|v| v.as_s()),
        Some("ORDER#00000000000000000007")
    );
    // The customer record decodes as a Customer.
    let customer = decode_record::<Customer>(&table, &event.records[2])
        .unwrap()
        .unwrap();
    assert_eq!(customer.new, Some(Customer { id: "c1".into() }));
}

#[test]
fn decode_image_checks_the_entity() {
    let table = table();
    let event = event(&[record("INSERT", KEYS, None, Some(CUSTOMER))]);
    let image = event.records[0].change.new_image.clone();
    assert!(matches!(
        decode_image::<Order>(&table, image.clone()),
        Err(Error::EntityMismatch { .. })
    ));
    assert_eq!(
        decode_image::<Customer>(&table, image).unwrap(),
        Customer { id: "c1".into() }
    );
}

#[test]
fn keys_only_records_and_bad_numbers() {
    let table = table();
    let event = event(&[record("REMOVE", KEYS, None, None)]);
    let change = decode_record::<Order>(&table, &event.records[0])
        .unwrap()
        .unwrap();
    assert!(change.old.is_none() && change.new.is_none());
    let bad: serde_dynamo::Item = serde_json::from_str(r#"{"n": {"N": "1e999"}}"#).unwrap();
    assert!(item_from_image(bad).is_err());
    let sets: serde_dynamo::Item = serde_json::from_str(
        r#"{"ss": {"SS": ["b", "a"]}, "ns": {"NS": ["2", "1.50"]}, "bs": {"BS": ["AQ=="]}, "nul": {"NULL": true}, "m": {"M": {"x": {"BOOL": true}}}}"#,
    )
    .unwrap();
    let item = item_from_image(sets).unwrap();
    assert_eq!(item.len(), 5);
    assert_eq!(
        item.get("ns"),
        Some(&orm_core::Value::Ns(
            ["1.5", "2"].iter().map(|n| n.parse().unwrap()).collect()
        ))
    );
}

/// A shopper at schema version 2; version 1 stored `display_name` as `nick`.
#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[model(entity = "Shopper", pk = "SHOPPER#{id}", sk = "PROFILE")]
#[model(schema_version = 2, upgrade = upgrade_shopper)]
struct Shopper {
    id: String,
    display_name: String,
}

fn upgrade_shopper(mut item: orm_core::Item, from: u32) -> orm_core::Result<orm_core::Item> {
    if from == 1 {
        let nick = item.remove("nick").unwrap_or_else(|| "".into());
        item.insert("display_name".into(), nick);
    }
    Ok(item)
}

#[test]
fn stream_images_of_older_schema_versions_are_upgraded() {
    let table = table();
    let keys = r#"{"pk": {"S": "SHOPPER#s1"}, "sk": {"S": "PROFILE"}}"#;
    let v1 = r#"{"pk": {"S": "SHOPPER#s1"}, "sk": {"S": "PROFILE"}, "__entity": {"S": "Shopper"},
        "id": {"S": "s1"}, "nick": {"S": "Old Nick"}}"#;
    let v2 = r#"{"pk": {"S": "SHOPPER#s1"}, "sk": {"S": "PROFILE"}, "__entity": {"S": "Shopper"},
        "__schema": {"N": "2"}, "id": {"S": "s1"}, "display_name": {"S": "New Nick"}}"#;
    let v3 = r#"{"pk": {"S": "SHOPPER#s1"}, "sk": {"S": "PROFILE"}, "__entity": {"S": "Shopper"},
        "__schema": {"N": "3"}, "id": {"S": "s1"}, "display_name": {"S": "Future"}}"#;
    let event = event(&[
        record("MODIFY", keys, Some(v1), Some(v2)),
        record("MODIFY", keys, Some(v2), Some(v3)),
    ]);
    let change = decode_record::<Shopper>(&table, &event.records[0])
        .unwrap()
        .expect("a Shopper record");
    let shopper = |name: &str| Shopper {
        id: "s1".into(),
        display_name: name.into(),
    };
    assert_eq!(change.old, Some(shopper("Old Nick")));
    assert_eq!(change.new, Some(shopper("New Nick")));
    match decode_record::<Shopper>(&table, &event.records[1]) {
        Err(Error::SchemaVersion {
            stored: 3,
            current: 2,
            ..
        }) => {}
        other => panic!("expected SchemaVersion, got {other:?}"),
    }
}

mod event_source {
    //! [`EventSource`]: a table's change feed delivered as Lambda events, on MemoryBackend.

    use super::Order;
    use aws_lambda_events::dynamodb::Event;
    use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
    use orm_core::backend::{StreamSpecification, StreamViewType, UpdateTable};
    use orm_core::{Backend, ModelExt, Number, Table};
    use orm_dynamodb::streams::{
        decode_record, record_from_lambda, record_to_lambda, ChangeKind, DeliveryError, EventSource,
    };
    use orm_memory::MemoryBackend;
    use std::sync::{Arc, Mutex};

    async fn table() -> (MemoryBackend, Table) {
        let backend = MemoryBackend::new();
        let table = Table::new(backend.clone(), "app");
        table.create_table::<Order>().await.unwrap();
        let enable = UpdateTable::new("app").with_streams(StreamSpecification::Enabled(
            StreamViewType::NewAndOldImages,
        ));
        backend.update_table(&enable).await.unwrap();
        (backend, table)
    }

    fn order(id: u64) -> Order {
        Order {
            customer: "c1".into(),
            id,
            status: "PLACED".into(),
            total: Number::from(id * 100),
            tags: vec![],
        }
    }

    /// The stream-enabled table holding orders `1..=n`.
    async fn table_with_orders(n: u64) -> Table {
        let (_, table) = table().await;
        for id in 1..=n {
            order(id).create(&table).await.unwrap();
        }
        table
    }

    /// A real handler's shape: it takes the event, decodes what it needs, and fails on a
    /// poisoned order.
    async fn handle(table: Table, seen: Arc<Mutex<Vec<u64>>>, event: Event) -> Result<(), String> {
        for record in &event.records {
            if let Some(change) =
                decode_record::<Order>(&table, record).map_err(|e| e.to_string())?
            {
                let order = change.new.or(change.old).expect("images");
                if order.status == "POISON" {
                    return Err(format!("poisoned order {}", order.id));
                }
                seen.lock().unwrap().push(order.id);
            }
        }
        Ok(())
    }

    #[tokio::test]
    async fn batches_arrive_as_lambda_events_in_order() {
        let table = table_with_orders(5).await;
        let mut source = EventSource::new(&table).batch_size(2);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let delivered = source
            .deliver(|event| {
                sizes.lock().unwrap().push(event.records.len());
                handle(table.clone(), seen.clone(), event)
            })
            .await
            .unwrap();
        assert_eq!(delivered, 3);
        assert_eq!(*sizes.lock().unwrap(), [2, 2, 1]);
        assert_eq!(*seen.lock().unwrap(), [1, 2, 3, 4, 5]);
        // Caught up: nothing more until the next change.
        assert_eq!(
            source
                .deliver(|_| async { Ok::<(), String>(()) })
                .await
                .unwrap(),
            0
        );
        order(6).create(&table).await.unwrap();
        let event = source.next_event().await.unwrap().unwrap();
        // DynamoDB's record shape, as Lambda delivers it.
        let json = serde_json::to_value(&event).unwrap();
        let record = &json["Records"][0];
        assert_eq!(record["eventName"], "INSERT");
        assert_eq!(record["eventVersion"], "1.1");
        assert_eq!(record["eventSource"], "aws:dynamodb");
        assert!(record["eventSourceARN"]
            .as_str()
            .unwrap()
            .contains(":table/app/stream/"));
        assert_eq!(record["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES");
        assert_eq!(
            record["dynamodb"]["SequenceNumber"].as_str().unwrap().len(),
            21
        );
        assert_eq!(
            record["dynamodb"]["Keys"]["sk"]["S"],
            "ORDER#00000000000000000006"
        );
        assert!(record["dynamodb"]["SizeBytes"].as_i64().unwrap() > 0);
        // The record reads back unchanged (time to the second, as DynamoDB sends it).
        let back = record_from_lambda(&event.records[0]).unwrap();
        assert_eq!(back.event_name, ChangeKind::Insert);
        let again =
            record_to_lambda(back, event.records[0].event_source_arn.as_deref().unwrap()).unwrap();
        assert_eq!(again, event.records[0]);
    }

    #[tokio::test]
    async fn a_failed_batch_is_delivered_again() {
        let (_, table) = table().await;
        order(1).create(&table).await.unwrap();
        let mut poison = order(2);
        poison.status = "POISON".into();
        poison.create(&table).await.unwrap();
        order(3).create(&table).await.unwrap();
        let mut source = EventSource::new(&table).batch_size(1);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let e = source
            .deliver(|event| handle(table.clone(), seen.clone(), event))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, DeliveryError::Handler { error, delivered: 1 } if error == "poisoned order 2"),
            "{e:?}"
        );
        // Retried: the same batch again, still failing, nothing skipped.
        assert!(source
            .deliver(|event| handle(table.clone(), seen.clone(), event))
            .await
            .is_err());
        assert_eq!(*seen.lock().unwrap(), [1]);
        // A fixed handler: the retried batch passes, then the rest.
        let delivered = source
            .deliver(|event| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push(event.records.len() as u64 * 100);
                    Ok::<(), String>(())
                }
            })
            .await
            .unwrap();
        assert_eq!(delivered, 2);
        assert_eq!(*seen.lock().unwrap(), [1, 100, 100]);
    }

    #[tokio::test]
    async fn reported_item_failures_come_back_from_the_first() {
        let table = table_with_orders(4).await;
        let mut source = EventSource::new(&table).batch_size(4);
        let batches = Arc::new(Mutex::new(Vec::new()));
        let record = |batches: Arc<Mutex<Vec<Vec<String>>>>, event: Event, fail_third: bool| {
            let sequence: Vec<String> = event
                .records
                .iter()
                .map(|r| r.change.sequence_number.clone().unwrap())
                .collect();
            batches.lock().unwrap().push(sequence.clone());
            async move {
                let batch_item_failures = if fail_third {
                    vec![DynamoDbBatchItemFailure {
                        item_identifier: Some(sequence[2].clone()),
                    }]
                } else {
                    vec![]
                };
                Ok::<_, String>(DynamoDbEventResponse {
                    batch_item_failures,
                })
            }
        };
        assert_eq!(
            source
                .deliver_reporting_failures(|e| record(batches.clone(), e, true))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            source
                .deliver_reporting_failures(|e| record(batches.clone(), e, false))
                .await
                .unwrap(),
            1
        );
        let batches = batches.lock().unwrap();
        assert_eq!(batches[0].len(), 4);
        assert_eq!(batches[1], batches[0][2..], "the third and fourth again");
    }
}
