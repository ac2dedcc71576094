//! Integration tests against DynamoDB Local.
//!
//! They run when `DYNAMODB_ENDPOINT` is set (e.g. `scripts/dynamodb-local run -- cargo test -p
//! orm-dynamodb --features testing`) and print a `SKIP` line and return otherwise.

#[cfg(not(feature = "testing"))]
#[test]
fn local_tests_need_the_testing_feature() {
    println!("SKIP: orm-dynamodb local tests need `--features testing`");
}

#[cfg(feature = "testing")]
// The module of tests/main.rs is named for this file; this one gates the tests on the feature.
#[allow(clippy::module_inception)]
mod local {
    use orm_core::backend::{
        Backend, BatchGet, BatchWrite, ConditionCheck, DeleteItem, GetItem, IndexDefinition,
        KeyAttribute, KeyType, Projection, PutItem, QueryRequest, RawItem, ReturnValues,
        ScanRequest, TableDefinition, TransactGet, TransactWrite, TransactWriteAction, UpdateItem,
        WriteRequest,
    };
    use orm_core::expr::{
        attr, KeyCondition, Path, SetOperand, SetValue, SortKeyCondition, Update,
    };
    use orm_core::{Error, Item, Number, Value};
    use orm_dynamodb::testing::{backend_for_endpoint, unique_table_name, TestTable};
    use orm_dynamodb::DynamoBackend;
    use std::collections::BTreeSet;

    async fn backend() -> Option<DynamoBackend> {
        match std::env::var("DYNAMODB_ENDPOINT") {
            Ok(e) if !e.is_empty() => Some(backend_for_endpoint(&e).await.expect("backend")),
            _ => {
                println!(
                    "SKIP: DYNAMODB_ENDPOINT is not set; run under `scripts/dynamodb-local run --`"
                );
                None
            }
        }
    }

    /// DynamoDB Local's backend and a new table of [`definition`] named after `name`, or `None`
    /// (after the SKIP line) without an endpoint.
    async fn fresh_table(name: &str) -> Option<(DynamoBackend, TestTable)> {
        let backend = backend().await?;
        let table = TestTable::create(&backend, definition(name)).await.unwrap();
        Some((backend, table))
    }

    /// Runs `test` on DynamoDB Local's backend and the name of a new table of [`definition`]
    /// named after `name`, then deletes the table; without an endpoint, only the SKIP line.
    async fn on_fresh_table(name: &str, test: impl AsyncFnOnce(&DynamoBackend, &str)) {
        let Some((backend, table)) = fresh_table(name).await else {
            return;
        };
        test(&backend, table.name()).await;
        table.cleanup().await.unwrap();
    }

    fn definition(name: &str) -> TableDefinition {
        let ka = KeyAttribute::new;
        TableDefinition::new(name, ka("pk", KeyType::S), Some(ka("sk", KeyType::S)))
            .with_index(IndexDefinition::global(
                "gsi1",
                ka("gsi1pk", KeyType::S),
                Some(ka("gsi1sk", KeyType::S)),
                Projection::All,
            ))
            .with_index(IndexDefinition::local(
                "lsi1",
                ka("pk", KeyType::S),
                ka("rank", KeyType::N),
                Projection::Include(vec!["title".into()]),
            ))
            .with_index(IndexDefinition::global(
                "gsi2",
                ka("gsi2pk", KeyType::N),
                None,
                Projection::KeysOnly,
            ))
            .with_ttl("expires")
    }

    fn key(pk: &str, sk: &str) -> Item {
        Item::new().with("pk", pk).with("sk", sk)
    }

    fn put(table: &str, item: Item) -> PutItem {
        PutItem::new(table, item)
    }

    fn get(table: &str, key: Item) -> GetItem {
        GetItem::new(table, key).with_consistent(true)
    }

    /// The item stored under `key` in `table`, read consistently.
    async fn stored(backend: &DynamoBackend, table: &str, key: Item) -> Option<Item> {
        backend
            .get_item(&get(table, key))
            .await
            .unwrap()
            .map(|i| i.into_item().unwrap())
    }

    fn query(table: &str, pk: &str) -> QueryRequest {
        QueryRequest::new(table, KeyCondition::partition("pk", pk)).with_consistent(true)
    }

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[tokio::test]
    async fn table_lifecycle_with_gsi_lsi_ttl() {
        let Some(backend) = backend().await else {
            return;
        };
        let name = unique_table_name("orm_lifecycle");
        let mut def = definition(&name);
        backend.create_table(&def).await.unwrap();

        let described = backend.describe_table(&name).await.unwrap();
        def.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(described, def);

        let err = backend.create_table(&def).await.unwrap_err();
        assert!(
            matches!(&err, Error::TableExists { table, source: Some(_) } if *table == name),
            "{err:?}"
        );

        backend.delete_table(&name).await.unwrap();
        let err = backend.describe_table(&name).await.unwrap_err();
        assert!(
            matches!(&err, Error::TableNotFound { table, source: Some(_) } if *table == name),
            "{err:?}"
        );
        let err = backend.delete_table(&name).await.unwrap_err();
        assert!(matches!(err, Error::TableNotFound { .. }), "{err:?}");
        let err = backend
            .get_item(&get(&name, key("a", "b")))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::TableNotFound { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn table_prefix_is_applied_and_hidden() {
        let Some(base) = backend().await else { return };
        let prefixed = DynamoBackend::builder()
            .client(base.client().clone())
            .table_prefix("ormpfx_")
            .build()
            .await
            .unwrap();
        let mut def = definition("orm_prefix");
        def.indexes.clear();
        def.ttl_attribute = None;
        let table = TestTable::create(&prefixed, def).await.unwrap();
        let full = format!("ormpfx_{}", table.name());
        // The real table carries the prefix; the backend speaks without it.
        base.client()
            .describe_table()
            .table_name(&full)
            .send()
            .await
            .unwrap();
        let d = prefixed.describe_table(table.name()).await.unwrap();
        assert_eq!(d.name, table.name());
        prefixed
            .put_item(put(table.name(), key("p", "s")))
            .await
            .unwrap();
        let got = stored(&base, &full, key("p", "s")).await;
        assert_eq!(got, Some(key("p", "s")));
        table.cleanup().await.unwrap();
    }

    #[tokio::test]
    async fn put_get_update_delete_with_conditions() {
        on_fresh_table("orm_crud", async |backend, t| {
            // Awkward attribute names everywhere: reserved words, dots, '#', ':'.
            let item = key("USER#1", "PROFILE")
                .with("name", "Alice")
                .with("status", "open")
                .with("size", 3)
                .with("a.b", "dotted")
                .with("x#y:z", true)
                .with(
                    "doc",
                    Value::M(
                        [(
                            "list".to_owned(),
                            Value::L(vec![Value::from(1), Value::from("two")]),
                        )]
                        .into_iter()
                        .collect(),
                    ),
                );
            backend.put_item(put(t, item.clone())).await.unwrap();
            assert_eq!(
                stored(backend, t, key("USER#1", "PROFILE")).await,
                Some(item.clone())
            );

            // create-style put fails, returning the stored item.
            let mut create = put(t, key("USER#1", "PROFILE").with("name", "Bob"));
            create.condition = Some(attr("pk").not_exists());
            create.return_item_on_condition_failure = true;
            let err = backend.put_item(create.clone()).await.unwrap_err();
            match err {
                Error::ConditionFailed {
                    entity: None,
                    item: Some(stored),
                } => {
                    assert_eq!(*stored, item)
                }
                other => panic!("{other:?}"),
            }
            create.return_item_on_condition_failure = false;
            let err = backend.put_item(create).await.unwrap_err();
            assert!(
                matches!(err, Error::ConditionFailed { item: None, .. }),
                "{err:?}"
            );

            // Put returning the old item.
            let mut replace = put(t, item.clone().with("v", 1));
            replace.return_values = ReturnValues::AllOld;
            assert_eq!(backend.put_item(replace).await.unwrap(), Some(item.clone()));

            // Projection with nested paths.
            let mut g = get(t, key("USER#1", "PROFILE"));
            g.projection = Some(vec![
                Path::name("name"),
                Path::name("a.b"),
                attr("doc.list[1]"),
            ]);
            let projected = backend
                .get_item(&g)
                .await
                .unwrap()
                .map(|i| i.into_item().unwrap())
                .unwrap();
            assert_eq!(projected.get("name"), Some(&Value::from("Alice")));
            assert_eq!(projected.get("a.b"), Some(&Value::from("dotted")));
            assert_eq!(
                projected.get("doc"),
                Some(&Value::M(
                    [("list".to_owned(), Value::L(vec![Value::from("two")]))]
                        .into_iter()
                        .collect()
                ))
            );
            assert!(!projected.contains_key("status"));

            // Update: SET / ADD / REMOVE / arithmetic / list_append / sets, with a condition.
            let update = UpdateItem::new(
                t,
                key("USER#1", "PROFILE"),
                Update::new()
                    .set(Path::name("status"), "done")
                    .add(Path::name("size"), 2)
                    .remove(Path::name("x#y:z"))
                    .set_expr(
                        Path::name("v"),
                        SetValue::Plus(
                            SetOperand::Path(Path::name("v")),
                            SetOperand::Value(10.into()),
                        ),
                    )
                    .set_expr(
                        attr("doc.list"),
                        SetValue::ListAppend(
                            SetOperand::Path(attr("doc.list")),
                            SetOperand::Value(Value::L(vec![Value::from(3)])),
                        ),
                    )
                    .add(
                        Path::name("tags"),
                        Value::Ss(BTreeSet::from(["a".to_owned(), "b".to_owned()])),
                    ),
            )
            .with_condition(attr("status").eq("open").and(attr("size").lt(10)))
            .with_return_values(ReturnValues::AllNew)
            .with_return_item_on_condition_failure(true);
            let new = backend.update_item(&update).await.unwrap().unwrap();
            assert_eq!(new.get("status"), Some(&Value::from("done")));
            assert_eq!(new.get("size"), Some(&Value::from(5)));
            assert_eq!(new.get("v"), Some(&Value::from(11)));
            assert!(!new.contains_key("x#y:z"));
            assert_eq!(
                new.get("doc")
                    .and_then(|d| d.as_m())
                    .and_then(|m| m.get("list")),
                Some(&Value::L(vec![
                    Value::from(1),
                    Value::from("two"),
                    Value::from(3)
                ]))
            );
            assert_eq!(
                new.get("tags"),
                Some(&Value::Ss(BTreeSet::from(["a".to_owned(), "b".to_owned()])))
            );

            // The same update again: the condition fails, the item as stored comes back.
            let err = backend.update_item(&update).await.unwrap_err();
            match err {
                Error::ConditionFailed {
                    item: Some(stored), ..
                } => assert_eq!(*stored, new),
                other => panic!("{other:?}"),
            }

            // UpdatedOld returns only the touched attributes, as they were.
            let old = backend
                .update_item(
                    &UpdateItem::new(
                        t,
                        key("USER#1", "PROFILE"),
                        Update::new().set(Path::name("name"), "Carol"),
                    )
                    .with_return_values(ReturnValues::UpdatedOld),
                )
                .await
                .unwrap();
            assert_eq!(old, Some(Item::new().with("name", "Alice")));

            // Delete with a failing, then a passing condition.
            let mut delete = DeleteItem::new(t, key("USER#1", "PROFILE"))
                .with_condition(attr("name").eq("Alice"))
                .with_return_values(ReturnValues::AllOld)
                .with_return_item_on_condition_failure(true);
            let err = backend.delete_item(&delete).await.unwrap_err();
            assert!(
                matches!(err, Error::ConditionFailed { item: Some(_), .. }),
                "{err:?}"
            );
            delete.condition = Some(attr("name").eq("Carol"));
            let old = backend.delete_item(&delete).await.unwrap().unwrap();
            assert_eq!(old.get("name"), Some(&Value::from("Carol")));
            assert_eq!(stored(backend, t, key("USER#1", "PROFILE")).await, None);

            // Invalid input is the service's validation error, with its message and the SDK error.
            let err = backend
                .put_item(put(t, Item::new().with("pk", "only-pk")))
                .await
                .unwrap_err();
            match err {
                Error::ServiceValidation {
                    operation,
                    message,
                    source,
                } => {
                    assert_eq!(operation, "PutItem");
                    assert!(!message.is_empty());
                    assert!(source.is_some());
                }
                other => panic!("{other:?}"),
            }
        })
        .await;
    }

    #[tokio::test]
    async fn query_pages_with_limit_and_last_evaluated_key() {
        on_fresh_table("orm_query", async |backend, t| {
            for i in 0..10 {
                let item = key("P", &format!("ITEM#{i:02}"))
                    .with("rank", 100 - i)
                    .with("title", format!("t{i}"))
                    .with("gsi1pk", if i % 2 == 0 { "EVEN" } else { "ODD" })
                    .with("gsi1sk", format!("{i:02}"))
                    .with("status", if i < 5 { "open" } else { "closed" });
                backend.put_item(put(t, item)).await.unwrap();
            }
            backend
                .put_item(put(t, key("OTHER", "ITEM#00")))
                .await
                .unwrap();

            // Pages of `limit`: every full page carries a LastEvaluatedKey, even when it ends
            // exactly at the last item (then the next page is empty and has none).
            for (limit, want_sizes) in
                [(3, vec![3, 3, 3, 1]), (5, vec![5, 5, 0]), (10, vec![10, 0])]
            {
                let mut seen = Vec::new();
                let mut sizes = Vec::new();
                let mut start = None;
                loop {
                    let mut q = query(t, "P");
                    q.limit = Some(limit);
                    q.exclusive_start_key = start;
                    let page = backend.query(&q).await.unwrap().sorted().unwrap();
                    sizes.push(page.items.len());
                    seen.extend(page.items.iter().map(|i| i["sk"].clone()));
                    if let Some(lek) = &page.last_evaluated_key {
                        assert_eq!(lek.keys().collect::<Vec<_>>(), vec!["pk", "sk"]);
                        assert_eq!(Some(&lek["sk"]), seen.last(), "LEK is the last item read");
                    }
                    start = page.last_evaluated_key;
                    if start.is_none() {
                        break;
                    }
                    assert!(sizes.len() < 20);
                }
                let want: Vec<Value> = (0..10)
                    .map(|i| Value::from(format!("ITEM#{i:02}")))
                    .collect();
                assert_eq!(seen, want);
                assert_eq!(sizes, want_sizes, "page sizes with limit {limit}");
            }

            // An exclusive start key need not be a stored item.
            let mut q = query(t, "P");
            q.exclusive_start_key = Some(key("P", "ITEM#04a"));
            let page = backend.query(&q).await.unwrap().sorted().unwrap();
            assert_eq!(page.items.len(), 5);
            assert_eq!(page.items[0]["sk"], Value::from("ITEM#05"));

            // Reverse, begins_with and between.
            let mut q = query(t, "P");
            q.scan_forward = false;
            q.key_condition.sort =
                Some(("sk".into(), SortKeyCondition::BeginsWith("ITEM#0".into())));
            let page = backend.query(&q).await.unwrap().sorted().unwrap();
            assert_eq!(page.items.len(), 10);
            assert_eq!(page.items[0]["sk"], Value::from("ITEM#09"));
            let mut q = query(t, "P");
            q.key_condition.sort = Some((
                "sk".into(),
                SortKeyCondition::Between("ITEM#03".into(), "ITEM#05".into()),
            ));
            assert_eq!(backend.query(&q).await.unwrap().count, 3);

            // Limit applies before the filter: 4 read, 4 - ... matched.
            let mut q = query(t, "P");
            q.limit = Some(4);
            q.filter = Some(attr("status").eq("closed"));
            let page = backend.query(&q).await.unwrap().sorted().unwrap();
            assert_eq!(page.scanned_count, 4);
            assert_eq!(page.count, 0);
            assert!(page.items.is_empty());
            assert!(page.last_evaluated_key.is_some(), "empty page with a key");

            // Count only.
            let mut q = query(t, "P");
            q.count_only = true;
            q.filter = Some(attr("status").eq("open"));
            q.projection = Some(vec![attr("title")]);
            let page = backend.query(&q).await.unwrap().sorted().unwrap();
            assert_eq!((page.count, page.scanned_count), (5, 10));
            assert!(page.items.is_empty());

            // GSI query; LEK carries table and index keys.
            let mut q = query(t, "EVEN");
            q.index = Some("gsi1".into());
            q.consistent = false;
            q.key_condition.partition_name = "gsi1pk".into();
            q.limit = Some(2);
            let page = backend.query(&q).await.unwrap().sorted().unwrap();
            assert_eq!(page.items.len(), 2);
            let lek = page.last_evaluated_key.unwrap();
            assert_eq!(
                lek.keys().collect::<Vec<_>>(),
                vec!["gsi1pk", "gsi1sk", "pk", "sk"]
            );

            // LSI on a number sort key, with a projection.
            let mut q = query(t, "P");
            q.index = Some("lsi1".into());
            q.key_condition.sort = Some(("rank".into(), SortKeyCondition::Ge(Value::from(98))));
            q.projection = Some(vec![attr("title"), attr("rank")]);
            let page = backend.query(&q).await.unwrap().sorted().unwrap();
            let titles: Vec<&Value> = page.items.iter().map(|i| &i["title"]).collect();
            assert_eq!(
                titles,
                vec![&Value::from("t2"), &Value::from("t1"), &Value::from("t0")]
            );
            assert!(page.items.iter().all(|i| i.len() == 2));

            // Scan: parallel segments cover everything exactly once; count only.
            let mut total = 0;
            for segment in 0..3 {
                let page = backend
                    .scan(
                        &ScanRequest::new(t)
                            .with_consistent(true)
                            .with_segment((segment, 3)),
                    )
                    .await
                    .unwrap()
                    .sorted()
                    .unwrap();
                total += page.items.len();
            }
            assert_eq!(total, 11);
            let page = backend
                .scan(
                    &ScanRequest::new(t)
                        .with_filter(attr("pk").eq("OTHER"))
                        .with_count_only(true),
                )
                .await
                .unwrap()
                .sorted()
                .unwrap();
            assert_eq!((page.count, page.scanned_count), (1, 11));
        })
        .await;
    }

    #[tokio::test]
    async fn transact_write_cancellation_reasons() {
        on_fresh_table("orm_tx", async |backend, t| {
            backend
                .put_item(put(t, key("A", "1").with("v", 1)))
                .await
                .unwrap();
            backend
                .put_item(put(t, key("B", "1").with("v", 1)))
                .await
                .unwrap();

            let actions = |expected_b: i64| {
                TransactWrite::new(vec![
                    TransactWriteAction::Put(put(t, key("C", "1").with("v", 1))),
                    TransactWriteAction::ConditionCheck(
                        ConditionCheck::new(t, key("B", "1"), attr("v").eq(expected_b))
                            .with_return_item_on_condition_failure(true),
                    ),
                    TransactWriteAction::Update(
                        UpdateItem::new(t, key("A", "1"), Update::new().add(attr("v"), 1))
                            .with_condition(attr("v").eq(1)),
                    ),
                    TransactWriteAction::Delete(DeleteItem::new(t, key("D", "1"))),
                ])
            };

            let err = backend.transact_write(&actions(2)).await.unwrap_err();
            let Error::TransactionCanceled { reasons } = &err else {
                panic!("{err:?}")
            };
            println!("cancellation reasons from DynamoDB Local: {reasons:?}");
            assert_eq!(reasons.len(), 4);
            let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
            assert_eq!(
                codes,
                vec!["None", "ConditionalCheckFailed", "None", "None"]
            );
            assert_eq!(reasons[1].index, 1);
            assert!(reasons[1].message.is_some());
            assert_eq!(reasons[1].item, Some(key("B", "1").with("v", 1)));
            assert!(!err.is_retryable());
            // Nothing was written.
            assert_eq!(stored(backend, t, key("C", "1")).await, None);

            // The same transaction succeeds when the check holds; a token makes it idempotent.
            // Tokens live server-wide for 10 minutes: make one per run (at most 36 characters).
            let token = unique_table_name("tok");
            let mut ok = actions(1);
            ok.client_request_token = Some(token.clone());
            backend.transact_write(&ok).await.unwrap();
            backend.transact_write(&ok).await.unwrap();
            let got = backend
                .transact_get(&TransactGet::new(vec![
                    get(t, key("A", "1")),
                    get(t, key("missing", "1")),
                    get(t, key("C", "1")).with_projection(vec![attr("v")]),
                ]))
                .await
                .unwrap()
                .into_iter()
                .map(|i| i.map(|i| i.into_item().unwrap()))
                .collect::<Vec<_>>();
            assert_eq!(
                got,
                vec![
                    Some(key("A", "1").with("v", 2)),
                    None,
                    Some(Item::new().with("v", 1))
                ]
            );

            // Reusing a token with a different request is a validation error.
            let err = backend
                .transact_write(
                    &TransactWrite::new(vec![TransactWriteAction::Put(put(t, key("F", "1")))])
                        .with_client_request_token(token),
                )
                .await
                .unwrap_err();
            match err {
                Error::ServiceValidation { message, .. } => assert!(!message.is_empty()),
                other => panic!("{other:?}"),
            }

            // A failed check on a missing item returns no item.
            let err = backend
                .transact_write(&TransactWrite::new(vec![
                    TransactWriteAction::ConditionCheck(
                        ConditionCheck::new(t, key("missing", "1"), attr("pk").exists())
                            .with_return_item_on_condition_failure(true),
                    ),
                ]))
                .await
                .unwrap_err();
            match err {
                Error::TransactionCanceled { reasons } => {
                    assert_eq!(reasons.len(), 1);
                    assert_eq!(
                        reasons[0].code,
                        orm_core::error::CancellationCode::ConditionalCheckFailed
                    );
                    assert_eq!(reasons[0].item, None);
                }
                other => panic!("{other:?}"),
            }

            // Two actions on one item is a validation error.
            let err = backend
                .transact_write(&TransactWrite::new(vec![
                    TransactWriteAction::Put(put(t, key("E", "1"))),
                    TransactWriteAction::Put(put(t, key("E", "1"))),
                ]))
                .await
                .unwrap_err();
            println!("duplicate-item transaction: {err:?}");
            assert!(matches!(err, Error::ServiceValidation { .. }), "{err:?}");
        })
        .await;
    }

    #[tokio::test]
    async fn batch_write_and_batch_get() {
        on_fresh_table("orm_batch", async |backend, t| {
        let writes: Vec<WriteRequest> = (0..25)
            .map(|i| WriteRequest::Put(key("B", &format!("{i:02}")).with("i", i)))
            .collect();
        let out = backend
            .batch_write(BatchWrite::new(t, writes))
            .await
            .unwrap();
        assert!(out.unprocessed.is_empty());

        let keys: Vec<Item> = (0..30).map(|i| key("B", &format!("{i:02}"))).collect();
        let out = backend
            .batch_get(
                &BatchGet::new(t, keys.clone())
                    .with_consistent(true)
                    .with_projection(vec![attr("i")]),
            )
            .await
            .unwrap();
        assert!(out.unprocessed_keys.is_empty());
        assert_eq!(out.items.len(), 25);
        // Key attributes are added to the projection so answers match keys.
        assert!(out.items.into_iter().all(|i| {
            let i = i.into_item().unwrap();
            i.len() == 3 && i.contains_key("sk")
        }));

        let deletes: Vec<WriteRequest> = (0..10)
            .map(|i| WriteRequest::Delete(key("B", &format!("{i:02}"))))
            .collect();
        backend
            .batch_write(BatchWrite::new(t, deletes))
            .await
            .unwrap();
        let out = backend.batch_get(&BatchGet::new(t, keys)).await.unwrap();
        assert_eq!(out.items.len(), 15);

        // 26 writes is rejected before sending (`BatchWrite::validate`, as on MemoryBackend), not
        // silently truncated.
        let writes: Vec<WriteRequest> = (0..26)
            .map(|i| WriteRequest::Put(key("C", &format!("{i:02}"))))
            .collect();
        let err = backend
            .batch_write(BatchWrite::new(t, writes))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Validation { message } if message.contains("between 1 and 25 entries, got 26")),
            "{err:?}"
        );
        })
        .await;
    }

    #[tokio::test]
    async fn numbers_are_canonicalized_and_exact() {
        on_fresh_table("orm_numbers", async |backend, t| {
            // Sent as raw text through the SDK, read back through the backend.
            let full = backend.table_name(t);
            use aws_sdk_dynamodb::types::AttributeValue as Av;
            backend
                .client()
                .put_item()
                .table_name(&full)
                .item("pk", Av::S("N".into()))
                .item("sk", Av::S("raw".into()))
                .item("n", Av::N("001.500".into()))
                .item("ns", Av::Ns(vec!["010".into(), "1e2".into()]))
                .send()
                .await
                .unwrap();
            let item = stored(backend, t, key("N", "raw")).await.unwrap();
            assert_eq!(item["n"].as_n().unwrap().as_str(), "1.5");
            assert_eq!(item["ns"], Value::Ns(BTreeSet::from([n("10"), n("100")])));

            // And through the backend, with exact 38-digit values.
            let big = "12345678901234567890.123456789012345678";
            let item = key("N", "exact")
                .with("n", Value::N(n("001.500")))
                .with("big", Value::N(n(big)))
                .with(
                    "neg",
                    Value::N(n("-0.000000000000000000000000000000000000001")),
                )
                .with("int", Value::N(n("99999999999999999999999999999999999999")));
            backend.put_item(put(t, item)).await.unwrap();
            let back = stored(backend, t, key("N", "exact")).await.unwrap();
            assert_eq!(back["n"].as_n().unwrap().as_str(), "1.5");
            assert_eq!(back["big"].as_n().unwrap().as_str(), big);
            assert_eq!(
                back["neg"].as_n().unwrap().as_str(),
                "-0.000000000000000000000000000000000000001"
            );
            assert_eq!(
                back["int"].as_n().unwrap().as_str(),
                "99999999999999999999999999999999999999"
            );

            // Arithmetic in DynamoDB stays exact.
            let new = backend
                .update_item(
                    &UpdateItem::new(
                        t,
                        key("N", "exact"),
                        Update::new().add(attr("big"), Value::N(n("0.000000000000000001"))),
                    )
                    .with_return_values(ReturnValues::UpdatedNew),
                )
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                new["big"].as_n().unwrap().as_str(),
                "12345678901234567890.123456789012345679"
            );
        })
        .await;
    }

    /// DynamoBackend's stream calls on DynamoDB Local: a stream enabled with the SDK's
    /// UpdateTable, read through the backend and through the change feed.
    #[tokio::test]
    async fn streams_read_through_dynamodb_streams() {
        use aws_sdk_dynamodb::types::{StreamSpecification, StreamViewType as SdkView};
        use orm_core::backend::{
            ChangeKind, DescribeStream, GetRecords, GetShardIterator, ListStreams,
            ShardIteratorType, StreamViewType,
        };
        let Some(backend) = backend().await else {
            return;
        };
        let mut d = definition(&unique_table_name("streams"));
        d.indexes.clear();
        let table = TestTable::create(&backend, d).await.unwrap();
        let t = table.name();
        backend
            .client()
            .update_table()
            .table_name(backend.table_name(t))
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(SdkView::NewAndOldImages)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let item = |v: &str| Item::new().with("pk", "a").with("sk", "1").with("v", v);
        for v in ["x", "x", "y"] {
            backend.put_item(PutItem::new(t, item(v))).await.unwrap();
        }
        backend
            .delete_item(&DeleteItem::new(t, key("a", "1")))
            .await
            .unwrap();
        let listed = backend
            .list_streams(&ListStreams::of_table(t))
            .await
            .unwrap();
        assert_eq!(listed.streams.len(), 1);
        assert_eq!(listed.streams[0].table, t);
        let arn = listed.streams[0].stream_arn.clone();
        let description = backend
            .describe_stream(&DescribeStream::new(&arn))
            .await
            .unwrap();
        assert_eq!(description.view_type, StreamViewType::NewAndOldImages);
        assert_eq!(description.table, t);
        assert_eq!(
            (
                description.partition_key.as_str(),
                description.sort_key.as_deref()
            ),
            ("pk", Some("sk"))
        );
        let shard = &description.shards[0].shard_id;
        let iterator = backend
            .get_shard_iterator(&GetShardIterator::new(
                &arn,
                shard,
                ShardIteratorType::TrimHorizon,
            ))
            .await
            .unwrap();
        let out = backend
            .get_records(&GetRecords::new(iterator))
            .await
            .unwrap();
        let kinds: Vec<ChangeKind> = out.records.iter().map(|r| r.event_name).collect();
        assert_eq!(
            kinds,
            [ChangeKind::Insert, ChangeKind::Modify, ChangeKind::Remove]
        );
        // DynamoDB's sizes: keys 6 bytes (pk: 2+1, sk: 2+1) and images of 8.
        let sizes: Vec<u64> = out.records.iter().map(|r| r.size_bytes).collect();
        assert_eq!(sizes, [14, 22, 14]);
        let image = |i: &Option<RawItem>| i.as_ref().map(|i| i.to_item().unwrap());
        assert_eq!(image(&out.records[1].old_image), Some(item("x")));
        assert_eq!(image(&out.records[1].new_image), Some(item("y")));
        // The change feed sees the same records.
        let mut feed = orm_core::Table::new(backend.clone(), t).changes();
        let all = feed.next_batch().await.unwrap();
        assert_eq!(all, out.records);
        assert!(feed.next_batch().await.unwrap().is_empty());
        // A forged iterator: DynamoDB's ValidationException.
        let e = backend
            .get_records(&GetRecords::new("x".repeat(50)))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::ServiceValidation { message, .. } if message == "Invalid ShardIterator"),
            "{e:?}"
        );
        let missing = arn.replace(t, "nope-nope-nope");
        let e = backend
            .describe_stream(&DescribeStream::new(missing))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::StreamNotFound { .. }), "{e:?}");
        table.cleanup().await.unwrap();
    }
}
