//! Global indexes with multi-attribute keys: key schemas, ordering by the sort attributes in
//! sequence, DynamoDB's key-condition rules, sparse items, pages, backfill and snapshots.

use super::*;
use orm_core::expr::SortKeyCondition;

/// `matches`: partition `match_id`; index `byRegion` on (tournament S, region S) /
/// (round N, bracket S).
fn matches_table() -> TableDefinition {
    TableDefinition::new("matches", key_attr("match_id", KeyType::S), None)
        .with_index(region_index())
}

fn region_index() -> IndexDefinition {
    IndexDefinition::from_key_attributes(
        "byRegion",
        [
            key_attr("tournament", KeyType::S),
            key_attr("region", KeyType::S),
        ],
        [
            key_attr("round", KeyType::N),
            key_attr("bracket", KeyType::S),
        ],
        Projection::All,
    )
}

fn game(id: &str, tournament: &str, region: &str, round: i64, bracket: &str) -> Item {
    Item::new()
        .with("match_id", id)
        .with("tournament", tournament)
        .with("region", region)
        .with("round", round)
        .with("bracket", bracket)
}

async fn seeded() -> MemoryBackend {
    let b = MemoryBackend::new();
    b.create_table(&matches_table()).await.unwrap();
    let games = [
        game("m1", "W24", "EU", 1, "upper"),
        game("m2", "W24", "EU", 1, "lower"),
        game("m3", "W24", "EU", 2, "upper"),
        game("m4", "W24", "EU", 10, "lower"),
        game("m5", "W24", "NA", 1, "upper"),
        game("m6", "S25", "EU", 1, "upper"),
        // Sparse: no bracket, so not in the index.
        Item::new()
            .with("match_id", "m7")
            .with("tournament", "W24")
            .with("region", "EU")
            .with("round", 3),
    ];
    for g in games {
        b.put_item(PutItem::new("matches", g)).await.unwrap();
    }
    b
}

fn eu(sort_prefix: &[(&str, Value)], sort: Option<(&str, SortKeyCondition)>) -> QueryRequest {
    let mut kc = KeyCondition::partition("tournament", "W24");
    kc.extra_partition = vec![("region".into(), "EU".into())];
    kc.sort_prefix = sort_prefix
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    kc.sort = sort.map(|(n, c)| (n.to_string(), c));
    QueryRequest {
        index: Some("byRegion".into()),
        ..QueryRequest::new("matches", kc)
    }
}

async fn ids(b: &MemoryBackend, request: &QueryRequest) -> Result<Vec<String>> {
    let page = b.query(request).await?;
    Ok(page
        .items
        .into_iter()
        .map(|i| match i.into_item().unwrap().get("match_id") {
            Some(Value::S(s)) => s.clone(),
            other => panic!("no match_id: {other:?}"),
        })
        .collect())
}

#[tokio::test]
async fn items_are_ordered_by_the_sort_attributes_in_sequence() {
    let b = seeded().await;
    // Round is a number: 1 < 2 < 10; within a round, bracket by bytes. m7 lacks a bracket.
    assert_eq!(
        ids(&b, &eu(&[], None)).await.unwrap(),
        ["m2", "m1", "m3", "m4"]
    );
    let mut reverse = eu(&[], None);
    reverse.scan_forward = false;
    assert_eq!(ids(&b, &reverse).await.unwrap(), ["m4", "m3", "m1", "m2"]);
}

#[tokio::test]
async fn every_legal_key_condition_shape_selects_its_items() {
    let b = seeded().await;
    use SortKeyCondition::{BeginsWith, Between, Eq, Ge, Gt, Le, Lt};
    let round = |n: i64| Value::from(n);
    // A condition on `round`; or equality on `round` and a condition on `bracket`.
    let on_round = |c: SortKeyCondition| eu(&[], Some(("round", c)));
    let on_bracket = |n: i64, c| eu(&[("round", round(n))], Some(("bracket", c)));
    let cases: Vec<(QueryRequest, Vec<&str>)> = vec![
        (on_round(Eq(round(1))), vec!["m2", "m1"]),
        (on_round(Lt(round(2))), vec!["m2", "m1"]),
        (on_round(Le(round(2))), vec!["m2", "m1", "m3"]),
        (on_round(Gt(round(1))), vec!["m3", "m4"]),
        (on_round(Ge(round(2))), vec!["m3", "m4"]),
        (on_round(Between(round(2), round(10))), vec!["m3", "m4"]),
        (on_bracket(1, Eq("upper".into())), vec!["m1"]),
        (on_bracket(1, BeginsWith("lo".into())), vec!["m2"]),
        (on_bracket(1, Gt("lower".into())), vec!["m1"]),
        (on_bracket(10, Le("z".into())), vec!["m4"]),
        (on_bracket(1, Between("a".into(), "m".into())), vec!["m2"]),
        (on_bracket(2, Lt("upper".into())), vec![]),
    ];
    for (request, want) in cases {
        assert_eq!(
            ids(&b, &request).await.unwrap(),
            want,
            "{}",
            request.key_condition
        );
    }
}

#[tokio::test]
async fn illegal_key_conditions_are_rejected_as_dynamodb_does() {
    let b = seeded().await;
    // A partition attribute missing.
    let mut r = eu(&[], None);
    r.key_condition.extra_partition.clear();
    let e = ids(&b, &r).await.unwrap_err().to_string();
    assert!(
        e.contains("HASH key attributes region must have equality conditions"),
        "{e}"
    );
    // A sort attribute skipped.
    let r = eu(&[], Some(("bracket", SortKeyCondition::Eq("upper".into()))));
    let e = ids(&b, &r).await.unwrap_err().to_string();
    assert!(
        e.contains(
            "RANGE key attributes round must have equality conditions specified in the query \
             because a condition is present on key attribute bracket"
        ),
        "{e}"
    );
    // A value of the wrong type.
    let r = eu(&[], Some(("round", SortKeyCondition::Eq("one".into()))));
    assert!(ids(&b, &r).await.is_err());
    // An attribute that is not a key of the index.
    let r = eu(&[], Some(("match_id", SortKeyCondition::Eq("m1".into()))));
    assert!(ids(&b, &r).await.is_err());
    // A range on a sort attribute before the last one given, whatever field holds it.
    let r = eu(
        &[("bracket", "upper".into())],
        Some(("round", SortKeyCondition::Lt(3.into()))),
    );
    let e = ids(&b, &r).await.unwrap_err().to_string();
    assert!(
        e.contains("RANGE key attributes round must have equality conditions"),
        "{e}"
    );
    // One attribute twice.
    let r = eu(
        &[("round", 1.into())],
        Some(("round", SortKeyCondition::Eq(1.into()))),
    );
    let e = ids(&b, &r).await.unwrap_err().to_string();
    assert!(e.contains("only contain one condition per key"), "{e}");
}

/// A [`KeyCondition`] means the AND of its conditions, as the expression it renders to does:
/// equalities given in another order than the key's (found by the differential test: DynamoDB
/// answers `r2 = :a AND r1 = :b`, and MemoryBackend refused the same conditions as fields).
#[tokio::test]
async fn key_conditions_are_read_in_any_order() {
    let b = seeded().await;
    let in_order = eu(
        &[("round", 1.into())],
        Some(("bracket", SortKeyCondition::Eq("upper".into()))),
    );
    let swapped = eu(
        &[("bracket", "upper".into())],
        Some(("round", SortKeyCondition::Eq(1.into()))),
    );
    let want = ids(&b, &in_order).await.unwrap();
    assert!(!want.is_empty());
    assert_eq!(ids(&b, &swapped).await.unwrap(), want);
    let mut partition_swapped = swapped.clone();
    partition_swapped.key_condition.partition_name = "region".into();
    partition_swapped.key_condition.partition_value = "EU".into();
    partition_swapped.key_condition.extra_partition = vec![("tournament".into(), "W24".into())];
    assert_eq!(ids(&b, &partition_swapped).await.unwrap(), want);
}

#[tokio::test]
async fn pages_resume_after_the_last_index_key() {
    let b = seeded().await;
    let mut request = eu(&[], None);
    request.limit = Some(1);
    let mut seen = Vec::new();
    loop {
        let page = b.query(&request).await.unwrap();
        for item in page.items {
            seen.push(item.into_item().unwrap()["match_id"].clone());
        }
        match page.last_evaluated_key {
            Some(key) => {
                // The table key and every index key attribute.
                let mut names: Vec<&str> = key.keys().map(String::as_str).collect();
                names.sort_unstable();
                assert_eq!(
                    names,
                    ["bracket", "match_id", "region", "round", "tournament"]
                );
                request.exclusive_start_key = Some(key);
            }
            None => break,
        }
    }
    let want: Vec<Value> = ["m2", "m1", "m3", "m4"].map(Value::from).to_vec();
    assert_eq!(seen, want);
}

#[tokio::test]
async fn writes_check_every_key_attribute_type_and_keep_the_index_sparse() {
    let b = seeded().await;
    let err = b
        .put_item(PutItem::new(
            "matches",
            game("m8", "W24", "EU", 1, "x").with("round", "one"),
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("round"), "{err}");
    // Removing one key attribute takes the item out of the index; restoring it puts it back.
    b.put_item(PutItem::new(
        "matches",
        Item::new()
            .with("match_id", "m1")
            .with("tournament", "W24")
            .with("round", 1)
            .with("bracket", "upper"),
    ))
    .await
    .unwrap();
    assert_eq!(ids(&b, &eu(&[], None)).await.unwrap(), ["m2", "m3", "m4"]);
    b.put_item(PutItem::new("matches", game("m1", "W24", "EU", 1, "upper")))
        .await
        .unwrap();
    assert_eq!(
        ids(&b, &eu(&[], None)).await.unwrap(),
        ["m2", "m1", "m3", "m4"]
    );
}

#[tokio::test]
async fn key_schemas_are_checked() {
    let b = MemoryBackend::new();
    let mut five = matches_table();
    five.indexes[0].extra_partition_keys = ["a", "b", "c", "d"]
        .map(|n| key_attr(n, KeyType::S))
        .to_vec();
    assert!(b.create_table(&five).await.is_err());
    let mut twice = matches_table();
    twice.indexes[0].extra_sort_keys = vec![key_attr("tournament", KeyType::S)];
    assert!(b.create_table(&twice).await.is_err());
    let mut four_and_four = matches_table();
    four_and_four.indexes[0].extra_partition_keys = ["region", "a", "b"]
        .map(|n| key_attr(n, KeyType::S))
        .to_vec();
    four_and_four.indexes[0].extra_sort_keys = ["bracket", "c", "d"]
        .map(|n| key_attr(n, KeyType::N))
        .to_vec();
    four_and_four.indexes[0].extra_sort_keys[0].key_type = KeyType::S;
    b.create_table(&four_and_four).await.unwrap();
}

#[tokio::test]
async fn an_index_created_later_is_backfilled_and_survives_a_snapshot() {
    let b = MemoryBackend::new();
    let mut plain = matches_table();
    plain.indexes.clear();
    b.create_table(&plain).await.unwrap();
    for g in [
        game("m1", "W24", "EU", 1, "upper"),
        game("m2", "W24", "EU", 1, "lower"),
        game("m3", "W24", "NA", 1, "lower"),
    ] {
        b.put_item(PutItem::new("matches", g)).await.unwrap();
    }
    b.update_table(&UpdateTable::new("matches").with_create_index(region_index()))
        .await
        .unwrap();
    assert_eq!(ids(&b, &eu(&[], None)).await.unwrap(), ["m2", "m1"]);
    let mut file = Vec::new();
    b.snapshot().write_to(&mut file).unwrap();
    let text = String::from_utf8(file.clone()).unwrap();
    assert!(text.contains("\"extra_sort_keys\""), "{text}");
    let loaded = crate::Snapshot::read_from(&file[..]).unwrap().fork();
    let described = loaded.describe_table("matches").await.unwrap();
    assert_eq!(described.indexes, vec![region_index()]);
    assert_eq!(ids(&loaded, &eu(&[], None)).await.unwrap(), ["m2", "m1"]);
}
