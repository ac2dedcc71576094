//! Backend-level tests: the `Backend` operations end to end, on DynamoDB-semantics edge cases.

use super::*;
use orm_core::backend::{
    ConditionCheck, IndexDefinition, KeyAttribute, KeyType, Projection, RawItem, ReturnValues,
    TransactWriteAction,
};
use orm_core::expr::{attr, Condition, KeyCondition, SetValue, Update};
use orm_core::Value;

/// The key attribute `name` of type `key_type` (short for the tests' many key schemas).
pub(crate) fn key_attr(name: &str, key_type: KeyType) -> KeyAttribute {
    KeyAttribute::new(name, key_type)
}

fn definition(name: &str) -> TableDefinition {
    TableDefinition::new(
        name,
        key_attr("pk", KeyType::S),
        Some(key_attr("sk", KeyType::S)),
    )
    .with_index(IndexDefinition::global(
        "gsi1",
        key_attr("gsi1pk", KeyType::S),
        Some(key_attr("gsi1sk", KeyType::S)),
        Projection::All,
    ))
    .with_ttl("expires")
}

async fn backend() -> MemoryBackend {
    let b = MemoryBackend::new();
    b.create_table(&definition("app")).await.unwrap();
    b
}

fn key(pk: &str, sk: &str) -> Item {
    Item::new().with("pk", pk).with("sk", sk)
}

fn put(item: Item) -> PutItem {
    PutItem::new("app", item)
}

fn get(k: Item) -> GetItem {
    GetItem::new("app", k)
}

/// The whole item at `k` in table `app`, sorted (`None` if absent).
async fn read(b: &MemoryBackend, k: Item) -> Option<Item> {
    b.get_item(&get(k))
        .await
        .unwrap()
        .map(|i| i.into_item().unwrap())
}

fn update(k: Item, u: Update) -> UpdateItem {
    UpdateItem::new("app", k, u)
}

fn delete(k: Item) -> DeleteItem {
    DeleteItem::new("app", k)
}

/// The message of the service's validation error (MemoryBackend's checks are DynamoDB's).
fn message(err: Error) -> String {
    match err {
        Error::ServiceValidation {
            message,
            source: None,
            ..
        } => message,
        other => panic!("expected the service's validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn table_lifecycle() {
    let b = backend().await;
    assert!(matches!(
        b.create_table(&definition("app")).await,
        Err(Error::TableExists { .. })
    ));
    assert_eq!(b.describe_table("app").await.unwrap(), definition("app"));
    assert_eq!(b.table_names(), ["app"]);
    b.delete_table("app").await.unwrap();
    assert!(matches!(
        b.describe_table("app").await,
        Err(Error::TableNotFound { .. })
    ));
    assert!(matches!(
        b.delete_table("app").await,
        Err(Error::TableNotFound { .. })
    ));
    assert!(matches!(
        b.get_item(&get(key("a", "b"))).await,
        Err(Error::TableNotFound { .. })
    ));
    assert!(matches!(
        b.put_item(put(key("a", "b"))).await,
        Err(Error::TableNotFound { .. })
    ));
    assert_eq!(
        b.capabilities(),
        Capabilities {
            streams: true,
            ..Capabilities::default()
        }
    );
}

#[tokio::test]
async fn get_put_delete() {
    let b = backend().await;
    let item = key("a", "1").with("m", Value::M([("x".to_owned(), 1.into())].into()));
    assert_eq!(b.put_item(put(item.clone())).await.unwrap(), None);
    assert_eq!(read(&b, key("a", "1")).await, Some(item.clone()));
    assert_eq!(read(&b, key("a", "2")).await, None);
    let mut projected = get(key("a", "1"));
    projected.projection = Some(vec![attr("m.x"), attr("sk")]);
    assert_eq!(
        b.get_item(&projected)
            .await
            .unwrap()
            .map(|i| i.into_item().unwrap()),
        Some(
            Item::new()
                .with("sk", "1")
                .with("m", Value::M([("x".to_owned(), 1.into())].into()))
        )
    );
    // The key of a get must be exactly the key attributes.
    for bad in [
        Item::new().with("pk", "a"),
        key("a", "1").with("m", 1),
        Item::new().with("pk", "a").with("sk", 1),
    ] {
        let err = message(b.get_item(&get(bad)).await.unwrap_err());
        assert!(err.contains("does not match the schema"), "{err}");
    }
    let err = message(b.get_item(&get(key("", "1"))).await.unwrap_err());
    assert!(err.contains("empty string"), "{err}");
    // Put with AllOld, delete with AllOld.
    let mut replace = put(key("a", "1").with("v", 2));
    replace.return_values = ReturnValues::AllOld;
    assert_eq!(b.put_item(replace).await.unwrap(), Some(item.clone()));
    let mut d = delete(key("a", "1"));
    d.return_values = ReturnValues::AllOld;
    assert_eq!(
        b.delete_item(&d).await.unwrap(),
        Some(key("a", "1").with("v", 2))
    );
    assert_eq!(b.delete_item(&d).await.unwrap(), None);
    assert_eq!(b.item_count("app"), Some(0));
}

#[tokio::test]
async fn conditional_writes_report_the_stored_item() {
    let b = backend().await;
    let item = key("a", "1").with("v", 1);
    let mut create = put(item.clone());
    create.condition = Some(attr("pk").not_exists());
    create.return_item_on_condition_failure = true;
    b.put_item(create.clone()).await.unwrap();
    match b.put_item(create).await {
        Err(Error::ConditionFailed {
            entity: None,
            item: Some(stored),
        }) => {
            assert_eq!(*stored, item)
        }
        other => panic!("{other:?}"),
    }
    // A condition on a missing item sees no attributes; no item is returned.
    let mut d = delete(key("a", "2"));
    d.condition = Some(attr("v").ne(5));
    b.delete_item(&d).await.unwrap();
    d.condition = Some(attr("v").eq(5));
    d.return_item_on_condition_failure = true;
    assert!(matches!(
        b.delete_item(&d).await,
        Err(Error::ConditionFailed { item: None, .. })
    ));
    // A failed update changes nothing.
    let mut u = update(key("a", "1"), Update::new().set(attr("v"), 9));
    u.condition = Some(attr("v").gt(1));
    assert!(matches!(
        b.update_item(&u).await,
        Err(Error::ConditionFailed { item: None, .. })
    ));
    assert_eq!(read(&b, key("a", "1")).await, Some(item));
}

#[tokio::test]
async fn updates() {
    let b = backend().await;
    // REMOVE alone on a missing item creates nothing and returns nothing, as DynamoDB does.
    let mut u = update(key("a", "1"), Update::new().remove(attr("x")));
    u.return_values = ReturnValues::AllNew;
    assert_eq!(b.update_item(&u).await.unwrap(), None);
    assert_eq!(b.item_count("app"), Some(0));
    // An update with no action (UpdateItem without an UpdateExpression) creates it from its key.
    let mut u = update(key("a", "1"), Update::new());
    u.return_values = ReturnValues::AllNew;
    assert_eq!(b.update_item(&u).await.unwrap(), Some(key("a", "1")));
    assert_eq!(b.item_count("app"), Some(1));
    b.delete_item(&delete(key("a", "1"))).await.unwrap();
    // SET creates it from the key.
    let mut u = update(
        key("a", "1"),
        Update::new()
            .set_expr(attr("n"), SetValue::if_not_exists(attr("n"), 0))
            .add(attr("views"), 1),
    );
    u.return_values = ReturnValues::AllNew;
    assert_eq!(
        b.update_item(&u).await.unwrap(),
        Some(key("a", "1").with("n", 0).with("views", 1))
    );
    u.return_values = ReturnValues::UpdatedNew;
    assert_eq!(
        b.update_item(&u).await.unwrap(),
        Some(Item::new().with("n", 0).with("views", 2))
    );
    u.return_values = ReturnValues::UpdatedOld;
    assert_eq!(
        b.update_item(&u).await.unwrap(),
        Some(Item::new().with("n", 0).with("views", 2))
    );
    let err = message(
        b.update_item(&update(key("a", "1"), Update::new().set(attr("pk"), "b")))
            .await
            .unwrap_err(),
    );
    assert!(
        err.contains("Cannot update attribute pk. This attribute is part of the key"),
        "{err}"
    );
    // A type error leaves the item untouched.
    let bad = Update::new()
        .set(attr("z"), 1)
        .add(attr("pk2"), 1)
        .add(attr("n"), Value::Ss(["x".to_owned()].into()));
    assert!(b.update_item(&update(key("a", "1"), bad)).await.is_err());
    assert_eq!(
        read(&b, key("a", "1")).await,
        Some(key("a", "1").with("n", 0).with("views", 3))
    );
}

#[tokio::test]
async fn index_keys_are_checked_on_every_write() {
    let b = backend().await;
    let err = message(
        b.put_item(put(key("a", "1").with("gsi1pk", "")))
            .await
            .unwrap_err(),
    );
    assert!(err.contains("secondary index key"), "{err}");
    let err = message(
        b.put_item(put(key("a", "1").with("gsi1pk", 7)))
            .await
            .unwrap_err(),
    );
    assert!(err.contains("Type mismatch for Index Key gsi1pk"), "{err}");
    b.put_item(put(key("a", "1"))).await.unwrap();
    let err = message(
        b.update_item(&update(
            key("a", "1"),
            Update::new().set(attr("gsi1sk"), ""),
        ))
        .await
        .unwrap_err(),
    );
    assert!(err.contains("secondary index key"), "{err}");
    // Sparse: the item enters the index once it has both index keys.
    let gsi_query =
        QueryRequest::new("app", KeyCondition::partition("gsi1pk", "G")).with_index("gsi1");
    for (change, in_index) in [
        (Update::new().set(attr("gsi1pk"), "G"), 0),
        (Update::new().set(attr("gsi1sk"), "s"), 1),
        (Update::new().remove(attr("gsi1pk")), 0),
    ] {
        b.update_item(&update(key("a", "1"), change.clone()))
            .await
            .unwrap();
        assert_eq!(
            b.query(&gsi_query).await.unwrap().count,
            in_index,
            "after {change:?}"
        );
    }
}

#[tokio::test]
async fn batches() {
    let b = backend().await;
    let writes = (0..25)
        .map(|i| WriteRequest::Put(key("a", &format!("{i:02}")).with("i", i)))
        .collect::<Vec<_>>();
    b.batch_write(BatchWrite::new("app", writes.clone()))
        .await
        .unwrap();
    assert_eq!(b.item_count("app"), Some(25));
    let mut too_many = writes.clone();
    too_many.push(WriteRequest::Delete(key("a", "00")));
    assert!(b
        .batch_write(BatchWrite::new("app", too_many))
        .await
        .is_err());
    // Two writes to one key, or one invalid put: nothing is applied.
    for writes in [
        vec![
            WriteRequest::Delete(key("a", "00")),
            WriteRequest::Put(key("a", "00")),
        ],
        vec![
            WriteRequest::Delete(key("a", "00")),
            WriteRequest::Put(Item::new().with("pk", "a")),
        ],
    ] {
        assert!(b.batch_write(BatchWrite::new("app", writes)).await.is_err());
        assert_eq!(b.item_count("app"), Some(25));
    }
    let got = b
        .batch_get(
            &BatchGet::new("app", vec![key("a", "03"), key("a", "99"), key("a", "07")])
                .with_projection(vec![attr("sk"), attr("i")]),
        )
        .await
        .unwrap();
    assert_eq!(got.items.len(), 2);
    assert!(got
        .items
        .contains(&RawItem::Item(Item::new().with("sk", "07").with("i", 7))));
    assert!(got.unprocessed_keys.is_empty());
    let dup = b
        .batch_get(&BatchGet::new("app", vec![key("a", "03"), key("a", "03")]))
        .await
        .unwrap_err();
    assert!(message(dup).contains("duplicates"));
    let too_many = b
        .batch_get(&BatchGet::new(
            "app",
            (0..101).map(|i| key("a", &i.to_string())).collect(),
        ))
        .await;
    assert!(too_many.is_err());
}

fn t_put(item: Item, condition: Option<Condition>) -> TransactWriteAction {
    TransactWriteAction::Put(
        put(item)
            .with_condition(condition)
            .with_return_item_on_condition_failure(true),
    )
}

#[tokio::test]
async fn transactions_are_all_or_nothing() {
    let b = backend().await;
    b.create_table(&definition("other")).await.unwrap();
    b.put_item(put(key("a", "1").with("v", 1))).await.unwrap();
    let ok = TransactWrite::new(vec![
        t_put(key("a", "2"), Some(attr("pk").not_exists())),
        TransactWriteAction::Update(update(key("a", "1"), Update::new().add(attr("v"), 1))),
        TransactWriteAction::Put(PutItem {
            table: "other".into(),
            ..put(key("x", "1"))
        }),
    ]);
    b.transact_write(&ok).await.unwrap();
    assert_eq!(b.item_count("app"), Some(2));
    assert_eq!(b.item_count("other"), Some(1));
    // One failed condition cancels everything, with a reason per action.
    let failing = TransactWrite::new(vec![
        t_put(key("a", "3"), None),
        TransactWriteAction::ConditionCheck(
            ConditionCheck::new("app", key("a", "1"), attr("v").eq(1))
                .with_return_item_on_condition_failure(true),
        ),
        TransactWriteAction::Delete(delete(key("a", "2"))),
        t_put(key("a", "2b"), Some(attr("pk").exists())),
    ]);
    match b.transact_write(&failing).await {
        Err(Error::TransactionCanceled { reasons }) => {
            let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
            assert_eq!(
                codes,
                [
                    "None",
                    "ConditionalCheckFailed",
                    "None",
                    "ConditionalCheckFailed"
                ]
            );
            assert_eq!(reasons[1].item, Some(key("a", "1").with("v", 2)));
            assert_eq!(reasons[3].item, None);
            assert_eq!(
                reasons.iter().map(|r| r.index).collect::<Vec<_>>(),
                [0, 1, 2, 3]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(b.item_count("app"), Some(2));
    // Two actions on one item.
    let twice = TransactWrite::new(vec![
        t_put(key("a", "1"), None),
        TransactWriteAction::Delete(delete(key("a", "1"))),
    ]);
    let err = message(b.transact_write(&twice).await.unwrap_err());
    assert!(err.contains("multiple operations on one item"), "{err}");
    // An invalid action is named.
    let invalid = TransactWrite::new(vec![
        t_put(key("a", "5"), None),
        TransactWriteAction::Update(update(key("a", "1"), Update::new().add(attr("v"), "x"))),
    ]);
    let err = message(b.transact_write(&invalid).await.unwrap_err());
    assert!(err.starts_with("transaction action 2:"), "{err}");
    // A runtime type error (ADD a number to a string attribute) is reported, nothing applied.
    let runtime = TransactWrite::new(vec![
        t_put(key("a", "6"), None),
        TransactWriteAction::Update(update(
            key("a", "1"),
            Update::new()
                .add(attr("pk2"), 1)
                .add(attr("sk2"), Value::Ss(["a".to_owned()].into())),
        )),
        TransactWriteAction::Update(update(key("x", "9"), Update::new().add(attr("v"), 1))),
    ]);
    assert!(b.transact_write(&runtime).await.is_ok());
    let bad_runtime = TransactWrite::new(vec![
        t_put(key("a", "7"), None),
        TransactWriteAction::Update(update(key("a", "6"), Update::new().add(attr("pk2"), 1))),
        TransactWriteAction::Update(update(key("a", "1"), Update::new().add(attr("sk2"), 1))),
    ]);
    let err = message(b.transact_write(&bad_runtime).await.unwrap_err());
    assert!(err.starts_with("transaction action 3:"), "{err}");
    assert_eq!(read(&b, key("a", "7")).await, None);
    assert!(b.transact_write(&TransactWrite::new(vec![])).await.is_err());
    assert!(b
        .transact_write(&TransactWrite::new(
            (0..101)
                .map(|i| t_put(key("a", &format!("t{i}")), None))
                .collect()
        ))
        .await
        .is_err());
    let missing_table = TransactWrite::new(vec![TransactWriteAction::Put(PutItem {
        table: "nope".into(),
        ..put(key("a", "1"))
    })]);
    assert!(matches!(
        b.transact_write(&missing_table).await,
        Err(Error::TableNotFound { .. })
    ));
}

#[tokio::test]
async fn client_request_tokens_make_transactions_idempotent() {
    let b = backend().await;
    let bump = TransactWrite::new(vec![TransactWriteAction::Update(update(
        key("a", "1"),
        Update::new().add(attr("n"), 1),
    ))])
    .with_client_request_token("token-1");
    b.transact_write(&bump).await.unwrap();
    b.transact_write(&bump).await.unwrap();
    let got = read(&b, key("a", "1")).await.unwrap();
    assert_eq!(got["n"], Value::from(1));
    let mut other = bump.clone();
    other.actions = vec![TransactWriteAction::Update(update(
        key("a", "1"),
        Update::new().add(attr("n"), 2),
    ))];
    let err = b.transact_write(&other).await.unwrap_err();
    // DynamoDB's own error type, as DynamoBackend reports it: the code in the source.
    let code = match &err {
        Error::ServiceValidation {
            source: Some(source),
            ..
        } => source.downcast_ref::<crate::ServiceError>().map(|e| e.code),
        _ => None,
    };
    assert_eq!(code, Some("IdempotentParameterMismatchException"), "{err}");
    let mut fresh = bump;
    fresh.client_request_token = Some("token-2".into());
    b.transact_write(&fresh).await.unwrap();
    let got = read(&b, key("a", "1")).await.unwrap();
    assert_eq!(got["n"], Value::from(2));
}

#[tokio::test]
async fn batch_get_stops_at_16_megabytes() {
    let b = backend().await;
    let big = "x".repeat(390 * 1024);
    let keys: Vec<Item> = (0..60).map(|i| key("big", &format!("{i:02}"))).collect();
    for k in &keys {
        b.put_item(put(k.clone().with("data", big.as_str())))
            .await
            .unwrap();
    }
    let got = b
        .batch_get(&BatchGet::new("app", keys.clone()))
        .await
        .unwrap();
    // 43 items of ~390 KB reach 16 MB; the other keys come back, none is lost.
    assert_eq!(got.items.len(), 43);
    assert_eq!(got.unprocessed_keys, keys[43..]);
}

#[tokio::test]
async fn transact_get_reads_a_snapshot() {
    let b = backend().await;
    b.put_item(put(key("a", "1").with("v", 1))).await.unwrap();
    let mut projected = get(key("a", "1"));
    projected.projection = Some(vec![attr("v")]);
    let got = b
        .transact_get(&TransactGet::new(vec![projected, get(key("a", "2"))]))
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.map(|i| i.into_item().unwrap()))
        .collect::<Vec<_>>();
    assert_eq!(got, [Some(Item::new().with("v", 1)), None]);
    let dup = b
        .transact_get(&TransactGet::new(vec![
            get(key("a", "1")),
            get(key("a", "1")),
        ]))
        .await;
    assert!(dup.is_err());
    assert!(b.transact_get(&TransactGet::new(vec![])).await.is_err());
}

#[tokio::test]
async fn ttl_items_are_purged_on_demand() {
    let b = backend().await;
    b.put_item(put(key("a", "1").with("expires", 100)))
        .await
        .unwrap();
    b.put_item(put(key("a", "2").with("expires", 300)))
        .await
        .unwrap();
    b.put_item(put(key("a", "3"))).await.unwrap();
    // Nothing disappears by itself.
    assert_eq!(b.item_count("app"), Some(3));
    assert_eq!(b.purge_expired(200), 1);
    assert_eq!(read(&b, key("a", "1")).await, None);
    assert_eq!(b.purge_expired(1_000_000), 1);
    assert_eq!(b.item_count("app"), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_share_storage_and_conditional_writes_are_atomic() {
    let b = backend().await;
    b.put_item(put(key("c", "1").with("version", 0)))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            let mut wins = 0u32;
            for _ in 0..50 {
                loop {
                    let current = read(&b, key("c", "1")).await.unwrap();
                    let version = current["version"].clone();
                    let mut u = update(
                        key("c", "1"),
                        Update::new().set_expr(
                            attr("version"),
                            SetValue::Plus(attr("version").into(), 1.into()),
                        ),
                    );
                    u.condition = Some(attr("version").eq(version));
                    match b.update_item(&u).await {
                        Ok(_) => {
                            wins += 1;
                            break;
                        }
                        Err(Error::ConditionFailed { .. }) => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            wins
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 200);
    let got = read(&b, key("c", "1")).await.unwrap();
    assert_eq!(got["version"], Value::from(200));
    assert_eq!(
        format!("{b:?}"),
        r#"MemoryBackend { tables: [("app", 1)] }"#
    );
}

#[tokio::test]
async fn queries_and_scans_through_the_backend() {
    let b = backend().await;
    for i in 0..10 {
        b.put_item(put(key("p", &format!("{i}")).with("i", i)))
            .await
            .unwrap();
    }
    let query = QueryRequest::new(
        "app",
        KeyCondition::partition("pk", "p")
            .with_sort("sk", orm_core::expr::SortKeyCondition::Ge("0".into())),
    )
    .with_filter(attr("i").ge(5))
    .with_limit(6)
    .with_consistent(true);
    let page = b.query(&query).await.unwrap().sorted().unwrap();
    assert_eq!((page.count, page.scanned_count), (1, 6));
    assert_eq!(page.last_evaluated_key, Some(key("p", "5")));
    let scan = ScanRequest::new("app")
        .with_segment((0, 1))
        .with_count_only(true);
    assert_eq!(b.scan(&scan).await.unwrap().count, 10);

    // Reads answer whole items shared (read through a borrowed view), projected ones as items.
    let page = b.query(&query).await.unwrap();
    assert!(matches!(page.items[..], [RawItem::Shared(_)]));
    let projected = query.with_projection(vec![attr("i")]);
    let page = b.query(&projected).await.unwrap();
    assert!(matches!(page.items[..], [RawItem::Item(_)]));
    let scan = scan.with_count_only(false).with_limit(4);
    assert_eq!(b.scan(&scan).await.unwrap().items.len(), 4);
}

/// What DynamoBackend rejects before sending is the ORM's `Validation` here too; what DynamoDB
/// rejects is the service's `ServiceValidation`, naming the operation.
#[tokio::test]
async fn validation_is_the_orms_or_the_services_as_on_dynamodb() {
    let b = backend().await;
    let empty = b
        .batch_write(BatchWrite::new("app", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(empty, Error::Validation { .. }), "{empty:?}");
    let empty = b.transact_get(&TransactGet::new(vec![])).await.unwrap_err();
    assert!(matches!(empty, Error::Validation { .. }), "{empty:?}");
    let too_many = (0..26)
        .map(|i| WriteRequest::Put(key("a", &i.to_string())))
        .collect();
    // Entry counts are checked before sending on DynamoBackend too (`BatchWrite::validate`).
    let err = b
        .batch_write(BatchWrite::new("app", too_many))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    let err = b.put_item(put(key("", "1"))).await.unwrap_err();
    assert!(
        matches!(&err, Error::ServiceValidation { operation, .. } if operation == "PutItem"),
        "{err:?}"
    );
    let mut twice = definition("other");
    twice.indexes.push(twice.indexes[0].clone());
    let err = b.create_table(&twice).await.unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    let err = b.create_table(&definition("x")).await.unwrap_err();
    assert!(
        matches!(&err, Error::ServiceValidation { operation, .. } if operation == "CreateTable"),
        "{err:?}"
    );
}

mod multi_attribute;
mod parts;
