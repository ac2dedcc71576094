//! Forks and snapshot files: isolation both ways, and exact round trips.

use super::*;
use crate::tests::key_attr;
use crate::MemoryBackend;
use orm_core::backend::{DeleteItem, GetItem, PutItem, ScanRequest, UpdateItem};
use orm_core::expr::{attr, Update};
use orm_core::Backend;

/// A table with a GSI projecting everything, a KEYS_ONLY GSI, an INCLUDE LSI and TTL.
fn definition(name: &str) -> TableDefinition {
    let pk = key_attr("pk", KeyType::S);
    TableDefinition::new(name, pk.clone(), Some(key_attr("sk", KeyType::S)))
        .with_index(IndexDefinition::global(
            "gsi1",
            key_attr("gsi1pk", KeyType::S),
            Some(key_attr("gsi1sk", KeyType::N)),
            Projection::All,
        ))
        .with_index(IndexDefinition::global(
            "gsi2",
            key_attr("gsi2pk", KeyType::B),
            None,
            Projection::KeysOnly,
        ))
        .with_index(IndexDefinition::local(
            "lsi1",
            pk,
            key_attr("rank", KeyType::N),
            Projection::Include(vec!["title".into()]),
        ))
        .with_ttl("expires")
}

fn order(i: u32) -> Item {
    Item::new()
        .with("pk", format!("P#{}", i % 3))
        .with("sk", format!("S#{i:03}"))
        .with("gsi1pk", format!("G#{}", i % 2))
        .with("gsi1sk", i)
        .with("gsi2pk", Value::B(vec![0xFF, (i % 4) as u8]))
        .with("rank", 100 - i)
        .with("title", format!("title {i}"))
        .with("expires", 1000 + i)
}

fn key(i: u32) -> Item {
    let item = order(i);
    Item::new()
        .with("pk", item["pk"].clone())
        .with("sk", item["sk"].clone())
}

async fn seeded(n: u32) -> MemoryBackend {
    let b = MemoryBackend::new();
    b.create_table(&definition("app")).await.unwrap();
    for i in 0..n {
        b.put_item(PutItem::new("app", order(i))).await.unwrap();
    }
    b
}

/// Every item of a table or index, in scan order.
async fn scan(b: &MemoryBackend, index: Option<&str>) -> Vec<Item> {
    let page = b
        .scan(&ScanRequest {
            index: index.map(str::to_owned),
            ..ScanRequest::new("app")
        })
        .await
        .unwrap()
        .sorted()
        .unwrap();
    assert!(page.last_evaluated_key.is_none());
    page.items
}

/// The table and each index, as scans see them.
async fn contents(b: &MemoryBackend) -> Vec<Vec<Item>> {
    let mut out = Vec::new();
    for index in [None, Some("gsi1"), Some("gsi2"), Some("lsi1")] {
        out.push(scan(b, index).await);
    }
    out
}

async fn get(b: &MemoryBackend, k: Item) -> Option<Item> {
    b.get_item(&GetItem::new("app", k).with_consistent(true))
        .await
        .unwrap()
        .map(|i| i.into_item().unwrap())
}

/// Writes of every kind, changing index keys, adding a new attribute name and deleting.
async fn scribble(b: &MemoryBackend, new_name: &str) {
    b.put_item(PutItem::new("app", order(100).with(new_name, "new")))
        .await
        .unwrap();
    // Moves item 1 to another gsi1 partition and out of gsi2 and lsi1.
    let moved = Item::new()
        .with("pk", "P#1")
        .with("sk", "S#001")
        .with("gsi1pk", "G#moved")
        .with("gsi1sk", 7);
    b.put_item(PutItem::new("app", moved)).await.unwrap();
    b.update_item(&UpdateItem::new(
        "app",
        key(2),
        Update::new()
            .set(attr("title"), "changed")
            .add(attr("rank"), 1),
    ))
    .await
    .unwrap();
    b.delete_item(&DeleteItem::new("app", key(3)))
        .await
        .unwrap();
}

#[tokio::test]
async fn forks_are_isolated_both_ways() {
    let original = seeded(30).await;
    let before = contents(&original).await;
    let fork = original.fork();
    assert_eq!(contents(&fork).await, before);

    // Writes to the fork leave the original as it was, indexes included.
    scribble(&fork, "only_in_fork").await;
    assert_eq!(contents(&original).await, before);
    let forked = contents(&fork).await;
    assert_ne!(forked, before);
    assert_eq!(
        get(&fork, key(100)).await.unwrap()["only_in_fork"],
        Value::from("new")
    );
    assert_eq!(get(&original, key(100)).await, None);
    assert_eq!(get(&original, key(3)).await, Some(order(3)));
    assert_eq!(get(&fork, key(3)).await, None);

    // Writes to the original leave the fork as it was; the original interns another new name
    // under the id the fork gave its own.
    scribble(&original, "only_in_original").await;
    assert_eq!(contents(&fork).await, forked);
    let item = get(&original, key(100)).await.unwrap();
    assert_eq!(item["only_in_original"], Value::from("new"));
    assert!(item.get("only_in_fork").is_none());
    assert!(get(&fork, key(100))
        .await
        .unwrap()
        .get("only_in_original")
        .is_none());

    // TTL purges and tables created or deleted after the fork stay on their side.
    // Items 0..=10 expire by 1010, but item 1 lost its TTL attribute and item 3 was deleted.
    assert_eq!(fork.purge_expired(1010), 9);
    assert_eq!(original.item_count("app"), Some(30));
    assert_eq!(fork.item_count("app"), Some(21));
    fork.create_table(&definition("later")).await.unwrap();
    fork.put_item(PutItem::new("later", order(1).with("pk", "later")))
        .await
        .unwrap();
    assert_eq!(original.table_names(), ["app"]);
    original.create_table(&definition("later")).await.unwrap();
    assert_eq!(original.item_count("later"), Some(0));
    assert_eq!(fork.item_count("later"), Some(1));
    original.delete_table("app").await.unwrap();
    assert_eq!(fork.item_count("app"), Some(21));

    // Clone still shares.
    let shared = fork.clone();
    shared.delete_table("later").await.unwrap();
    assert_eq!(fork.table_names(), ["app"]);
}

#[tokio::test]
async fn snapshots_are_frozen_and_fork_many_times() {
    let b = seeded(30).await;
    let before = contents(&b).await;
    let snapshot = b.snapshot();
    scribble(&b, "later_name").await;
    let (one, two) = (snapshot.fork(), snapshot.fork());
    assert_eq!(contents(&one).await, before);
    scribble(&one, "x").await;
    assert_eq!(contents(&two).await, before);
    assert_eq!(contents(&snapshot.fork()).await, before);
    assert_eq!(snapshot.item_count("app"), Some(30));
    assert_eq!(snapshot.table_names(), ["app"]);
    assert_eq!(snapshot, two.snapshot());
    assert_ne!(snapshot, one.snapshot());
}

/// Every kind of value, at its edges.
fn every_kind() -> Item {
    let n = |t: &str| Number::parse(t).unwrap();
    Item::new()
        .with("pk", "every \u{e9} \"kind\"\n")
        .with("sk", "edge")
        .with("s", "")
        .with("unicode", "\u{1D11E} \\ /")
        .with("n38", Value::N(n("12345678901234567890123456789012345678")))
        .with(
            "n38neg",
            Value::N(n("-99999999999999999999999999999999999999")),
        )
        .with(
            "frac",
            Value::N(n(
                "0.00000000000000000000000000000000000012345678901234567890123456789012345678",
            )),
        )
        .with(
            "big",
            Value::N(n("9.9999999999999999999999999999999999999e125")),
        )
        .with("small", Value::N(n("1e-130")))
        .with("int", -42)
        .with("b", Value::B((0..=255).collect()))
        .with("empty_b", Value::B(vec![]))
        .with("t", true)
        .with("f", false)
        .with("null", Value::Null)
        .with(
            "ss",
            Value::Ss(["", "a", "\u{e9}"].map(str::to_owned).into()),
        )
        .with(
            "ns",
            Value::Ns(
                [
                    n("1"),
                    n("-1.5"),
                    n("12345678901234567890123456789012345678"),
                ]
                .into(),
            ),
        )
        .with("bs", Value::Bs([vec![], vec![0], vec![255; 40]].into()))
        .with(
            "l",
            Value::L(vec![
                Value::from(""),
                Value::L(vec![]),
                Value::M(BTreeMap::new()),
                Value::Null,
            ]),
        )
        .with(
            "m",
            Value::M(BTreeMap::from([
                ("n".to_owned(), Value::from(1)),
                (
                    "nested".to_owned(),
                    Value::M(BTreeMap::from([(
                        "deep".to_owned(),
                        Value::L(vec![Value::Bool(true), Value::B(vec![1, 2])]),
                    )])),
                ),
            ])),
        )
}

fn to_string(snapshot: &Snapshot) -> String {
    let mut out = Vec::new();
    snapshot.write_to(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn files_round_trip_every_value_exactly() {
    let b = seeded(30).await;
    b.put_item(PutItem::new("app", every_kind())).await.unwrap();
    let mut bare = definition("bare");
    bare.sort_key = None;
    bare.indexes.clear();
    bare.ttl_attribute = None;
    bare.partition_key = key_attr("id", KeyType::N);
    b.create_table(&bare).await.unwrap();
    b.create_table(&definition("empty")).await.unwrap();
    b.put_item(PutItem::new(
        "bare",
        Item::new().with("id", Value::N(Number::parse("-1e-130").unwrap())),
    ))
    .await
    .unwrap();
    let snapshot = b.snapshot();
    let text = to_string(&snapshot);
    let loaded = Snapshot::read_from(text.as_bytes()).unwrap();
    assert_eq!(loaded, snapshot);
    assert_eq!(loaded.table_names(), ["app", "bare", "empty"]);
    // The same file again: tables by name, items in key order, one per line.
    assert_eq!(to_string(&loaded), text);
    // The header, each table's opening and closing lines around its items, the end.
    let (app_items, bare_items, empty_items) = (31, 1, 0);
    assert_eq!(
        text.lines().count(),
        1 + (2 + app_items) + (2 + bare_items) + (2 + empty_items) + 1
    );
    assert!(text.lines().all(|line| line.len() < 2000), "{text}");
    // Exact numbers: the same canonical text.
    let fork = loaded.fork();
    let back = get(
        &fork,
        Item::new()
            .with("pk", every_kind()["pk"].clone())
            .with("sk", "edge"),
    )
    .await
    .unwrap();
    assert_eq!(back, every_kind());
    assert_eq!(
        back["n38"].as_n().unwrap().as_str(),
        "12345678901234567890123456789012345678"
    );
    // Indexes are rebuilt: a loaded backend answers as the original does.
    assert_eq!(contents(&fork).await, contents(&b).await);
    assert_eq!(fork.describe_table("app").await.unwrap(), definition("app"));
    assert_eq!(fork.describe_table("bare").await.unwrap(), bare);

    // Through a file.
    let path =
        std::env::temp_dir().join(format!("orm-memory-snapshot-{}.json", std::process::id()));
    snapshot.save(&path).unwrap();
    let from_file = Snapshot::load(&path);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(from_file.unwrap(), snapshot);
    assert_eq!(
        Snapshot::read_from(to_string(&Snapshot::default()).as_bytes()).unwrap(),
        Snapshot::default()
    );
}

fn load_error(text: &str) -> SnapshotError {
    Snapshot::read_from(text.as_bytes()).unwrap_err()
}

/// A version 1 file holding one table `app` (pk S) with these items.
fn with_items(items: &str) -> String {
    format!(
        r#"{{"format": "orm-memory snapshot", "version": 1, "tables": [{{"name": "app",
        "partition_key": {{"name": "pk", "type": "S"}}, "sort_key": null, "indexes": [],
        "ttl_attribute": null, "items": [{items}]}}]}}"#
    )
}

/// A version 2 file holding one table `app` (pk S, no items) with these metadata fields.
fn with_metadata(fields: &str) -> String {
    with_items("")
        .replace("\"version\": 1", "\"version\": 2")
        .replace("\"items\": []", &format!("{fields}, \"items\": []"))
}

#[test]
fn bad_files_say_what_is_wrong() {
    assert!(Snapshot::read_from(with_items(r#"{"pk": {"S": "a"}}"#).as_bytes()).is_ok());
    match load_error(r#"{"format": "orm-memory snapshot", "version": 3, "tables": []}"#) {
        SnapshotError::UnsupportedVersion {
            found,
            supported: 2,
            path: None,
        } => assert_eq!(found, "3"),
        other => panic!("{other:?}"),
    }
    let message = |text: &str| load_error(text).to_string();
    assert_eq!(
        message(r#"{"format": "orm-memory snapshot", "tables": []}"#),
        "memory backend snapshot: format version null is not supported: this build reads versions 1 to 2"
    );
    for (text, needle) in [
        ("{\"format\": \"orm-memory snapshot\",\n \"version\": 1, \"tables\": [", "not valid JSON: EOF while parsing a list at line 2"),
        ("[]", "not a snapshot: the document is not a JSON object"),
        (r#"{"format": "something else", "version": 1}"#, "the `format` field is \"something else\""),
        (r#"{"version": 1}"#, "the `format` field is missing"),
        (r#"{"format": "orm-memory snapshot", "version": 1}"#, "the `tables` field is missing"),
        (&with_items(r#"{"pk": {"S": "a"}, "n": {"N": "1e200"}}"#), "table `app`: item 0: attribute `n`: `1e200` is not a DynamoDB number"),
        (&with_items(r#"{"pk": {"S": "a"}, "n": {"N": 12}}"#), "attribute `n`: a number must be a JSON string"),
        (&with_items(r#"{"pk": {"S": "a"}}, {"pk": {"S": "b"}, "b": {"B": "!!"}}"#), "item 1: attribute `b`: `\"!!\"` is not base64"),
        (&with_items(r#"{"pk": {"S": "a"}, "x": {"Q": 1}}"#), "unknown type tag `Q`"),
        (&with_items(r#"{"pk": {"S": "a"}, "x": {"S": "a", "N": "1"}}"#), "one type tag"),
        (&with_items(r#"{"pk": {"S": "a"}, "m": {"M": {"k": {"L": [{"NS": ["1", "1.0"]}]}}}}"#), "attribute `m`: M.k: L[0]: NS[1]: duplicate set element"),
        (&with_items(r#"{"pk": {"S": "a"}, "s": {"SS": []}}"#), "item 0: invalid input: One or more parameter values were invalid: An string set may not be empty (attribute `s`)"),
        (&with_items(r#"{"sk": {"S": "a"}}"#), "item 0: invalid input: One or more parameter values were invalid: Missing the key pk"),
        (&with_items(r#"{"pk": {"S": "a"}}, {"pk": {"S": "a"}}"#), "item 1: another item of the table has the same key"),
        (&with_items(r#"{"pk": {"N": "1"}}"#), "item 0: "),
        (&with_items(r#"{"pk": {"NULL": false}}"#), "NULL must be true"),
        (&with_items(r#"{"pk": {"S": "a"}}"#).replace("\"S\"}, \"sort_key\"", "\"Z\"}, \"sort_key\""), "`partition_key`: key type `Z` is not one of S, N and B"),
        (&with_items("").replace("\"app\"", "\"a\""), "table `a`: invalid input: Table name `a` is invalid"),
        (&with_items("").replace("\"indexes\": []", "\"indexes\": [{\"name\": \"gsi\", \"local\": false, \"partition_key\": {\"name\": \"g\", \"type\": \"S\"}, \"projection\": \"SOME\"}]"), "index `gsi`: `projection` is \"SOME\", not"),
        (&with_metadata(r#""billing_mode": "FREE""#), "`billing_mode` is `FREE`"),
        (&with_metadata(r#""billing_mode": "PROVISIONED""#), "a PROVISIONED table needs a `throughput`"),
        (&with_metadata(r#""throughput": {"read": 0, "write": 1}"#), "`throughput`: `read` is not a capacity"),
        (&with_metadata(r#""index_throughput": {"gsi": {"read": 1, "write": 1}}"#), "`index_throughput` names `gsi`, which is not a global index"),
        (&with_metadata(r#""stream": {"view_type": "ALL", "label": "x"}"#), "`stream.view_type` is not a view type"),
        (&with_metadata(r#""table_class": "COLD""#), "`table_class` is `COLD`"),
        (&with_metadata(r#""deletion_protection": "yes""#), "`deletion_protection` is not a boolean"),
        (&with_metadata(r#""tags": {"aws:owner": "x"}"#), "aws: prefix is reserved"),
        (&with_metadata(r#""created_ms": -1"#), "`created_ms` is not a time in milliseconds"),
    ] {
        let got = message(text);
        assert!(got.contains(needle), "{got:?} should contain {needle:?}");
    }
    // Two tables of one name.
    let one = with_items("");
    let table = &one[one.find("{\"name\"").unwrap()..one.rfind(']').unwrap()];
    let twice = one.replace(table, &format!("{table}, {table}"));
    assert!(
        message(&twice).contains("table `app` appears twice"),
        "{}",
        message(&twice)
    );
    // A missing file names the file.
    let missing = std::env::temp_dir().join("orm-memory-no-such-snapshot.json");
    let error = Snapshot::load(&missing).unwrap_err();
    assert!(matches!(error, SnapshotError::Io { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("orm-memory-no-such-snapshot.json"),
        "{error}"
    );
}

/// Version 2 keeps what the engine knows of each table beside its items: its id, creation
/// time, billing, throughput, stream, class, deletion protection, TTL set after creation, tags.
#[tokio::test]
async fn files_keep_table_metadata() {
    use crate::TableSettings;
    use orm_core::backend::{
        BillingMode, StreamSpecification, StreamViewType, TableClass, Throughput, UpdateTable,
    };
    let b = MemoryBackend::new();
    let mut def = definition("app");
    def.ttl_attribute = None;
    let settings = TableSettings::provisioned(Throughput::new(5, 5))
        .with_index_throughput("gsi1", Throughput::new(2, 3))
        .with_index_throughput("gsi2", Throughput::new(1, 1))
        .with_streams(StreamSpecification::Enabled(StreamViewType::NewImage))
        .with_table_class(TableClass::StandardInfrequentAccess)
        .with_deletion_protection(true)
        .with_tag("env", "test");
    b.create_table_with(&def, &settings).unwrap();
    b.update_time_to_live("app", "expires", true).unwrap();
    b.update_table(&UpdateTable::new("app").with_throughput(Throughput::new(10, 4)))
        .await
        .unwrap();
    let snapshot = b.snapshot();
    let text = to_string(&snapshot);
    assert!(text.contains("\"version\": 2"), "{text}");
    let loaded = Snapshot::read_from(text.as_bytes()).unwrap();
    assert_eq!(loaded, snapshot);
    let fork = loaded.fork();
    let (was, is) = (
        b.table_description("app").unwrap(),
        fork.table_description("app").unwrap(),
    );
    // The fork's stream is a new one of the same view type (see `Snapshot`).
    let is_stream = is.latest_stream.clone().unwrap();
    assert_eq!(is_stream.view_type, StreamViewType::NewImage);
    assert!(is_stream.enabled);
    let same_but_the_stream = crate::TableDescription {
        latest_stream: was.latest_stream.clone(),
        ..is.clone()
    };
    assert_eq!(same_but_the_stream, was);
    assert_eq!(is.billing_mode, BillingMode::Provisioned);
    assert_eq!(is.throughput.read_capacity_units, 10);
    assert!(is.throughput.last_increase.is_some() && is.throughput.last_decrease.is_some());
    assert_eq!(is.definition.ttl_attribute.as_deref(), Some("expires"));
    assert_eq!(
        fork.table_tags("app").unwrap(),
        [("env".into(), "test".into())]
    );
    // The TTL enabled after creation is the one a fork purges by.
    fork.put_item(PutItem::new("app", order(1))).await.unwrap();
    assert_eq!(fork.purge_expired(i64::MAX / 2), 1);
}

/// Files written before the metadata (version 1) still load: their tables get the defaults.
#[test]
fn version_1_files_load_with_default_metadata() {
    use orm_core::backend::{BillingMode, TableClass};
    let text = with_items(r#"{"pk": {"S": "a"}}"#)
        .replace("\"ttl_attribute\": null", "\"ttl_attribute\": \"expires\"");
    let loaded = Snapshot::read_from(text.as_bytes()).unwrap();
    let fork = loaded.fork();
    let description = fork.table_description("app").unwrap();
    assert_eq!(description.item_count, 1);
    assert_eq!(description.billing_mode, BillingMode::PayPerRequest);
    assert_eq!(description.table_class, TableClass::Standard);
    assert!(!description.deletion_protection && description.latest_stream.is_none());
    assert_eq!(
        description.definition.ttl_attribute.as_deref(),
        Some("expires")
    );
    assert_eq!(description.id.len(), 36);
    // Written back, it is a version 2 file that loads to the same snapshot.
    let again = to_string(&loaded);
    assert!(again.contains("\"version\": 2"));
    assert_eq!(Snapshot::read_from(again.as_bytes()).unwrap(), loaded);
}
