//! The bad-input table of `docs/reliability.md`, one case per row: each bad input gets a clear
//! error, and nothing is stored or changed.

use crate::has_transactions;
use crate::models::*;
use orm_core::backend::{
    BatchGet, BatchWrite, DeleteItem, GetItem, PutItem, ReturnValues, ScanRequest, TransactGet,
    TransactWrite, TransactWriteAction, UpdateItem, WriteRequest,
};
use orm_core::expr::{Path, Update};
use orm_core::{attr, Cursor, Error, Item, ModelExt, Number, Table, Value};
use std::collections::BTreeMap;

/// Every item of the table, sorted (a scan of all pages).
pub async fn contents(table: &Table) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = table
            .backend()
            .scan(
                &ScanRequest::new(table.name())
                    .with_exclusive_start_key(start)
                    .with_consistent(true),
            )
            .await
            .expect("scan")
            .sorted()
            .unwrap();
        items.extend(page.items);
        match page.last_evaluated_key {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    items.sort_by_key(|i| format!("{i:?}"));
    items
}

/// Stores one item, so that "nothing changed" is checked against a non-empty table.
async fn seed(table: &Table) -> Vec<Item> {
    put(table, key("SEED", "SEED").with("v", 1)).await.unwrap();
    contents(table).await
}

fn key(pk: &str, sk: &str) -> Item {
    Item::new().with("pk", pk).with("sk", sk)
}

async fn put(table: &Table, item: Item) -> orm_core::Result<Option<Item>> {
    table
        .backend()
        .put_item(PutItem::new(table.name(), item))
        .await
}

async fn get(table: &Table, key: Item) -> orm_core::Result<Option<Item>> {
    table
        .backend()
        .get_item(&GetItem::new(table.name(), key).with_consistent(true))
        .await
        .map(|item| item.map(|i| i.into_item().unwrap()))
}

/// Whether `r` is the ORM's own rejection, made before sending.
fn is_validation<T: std::fmt::Debug>(r: &orm_core::Result<T>) -> bool {
    matches!(r, Err(Error::Validation { .. }))
}

/// Whether `r` is the service's rejection of a request (DynamoDB's, or MemoryBackend's as
/// DynamoDB's).
fn is_service_validation<T: std::fmt::Debug>(r: &orm_core::Result<T>) -> bool {
    matches!(r, Err(Error::ServiceValidation { .. }))
}

/// Asserts the ORM's validation error whose message mentions `needle`.
#[track_caller]
fn assert_validation<T: std::fmt::Debug>(r: orm_core::Result<T>, needle: &str) {
    match r {
        Err(Error::Validation { message }) => assert!(
            message.to_lowercase().contains(&needle.to_lowercase()),
            "message `{message}` should mention `{needle}`"
        ),
        other => panic!("expected a validation error mentioning `{needle}`, got {other:?}"),
    }
}

/// Asserts the service's validation error whose message mentions `needle`.
#[track_caller]
fn assert_service_validation<T: std::fmt::Debug>(r: orm_core::Result<T>, needle: &str) {
    match r {
        Err(Error::ServiceValidation { message, .. }) => assert!(
            message.to_lowercase().contains(&needle.to_lowercase()),
            "message `{message}` should mention `{needle}`"
        ),
        other => {
            panic!("expected the service's validation error mentioning `{needle}`, got {other:?}")
        }
    }
}

/// An item over 400 KB is rejected, by the ORM and by the backend.
pub async fn item_over_400_kb(table: &Table) {
    let before = seed(table).await;
    let limit = table.capabilities().limits.max_item_size;
    let big = key("BIG", "BIG").with("data", "x".repeat(limit));
    assert_service_validation(put(table, big).await, "size");
    let blob = Blob {
        id: "b".into(),
        data: "x".repeat(limit),
    };
    assert_validation(blob.clone().create(table).await, "size");
    assert_eq!(contents(table).await, before);
}

/// Partition keys over 2048 bytes and sort keys over 1024 bytes are rejected; at the limit they
/// are stored.
pub async fn key_over_size_limits(table: &Table) {
    let before = seed(table).await;
    let limits = table.capabilities().limits.clone();
    let pk = "p".repeat(limits.max_partition_key_size + 1);
    let sk = "s".repeat(limits.max_sort_key_size + 1);
    assert!(is_service_validation(&put(table, key(&pk, "a")).await));
    assert!(is_service_validation(&put(table, key("a", &sk)).await));
    assert!(is_service_validation(&get(table, key(&pk, "a")).await));
    // Bytes, not characters: 513 four-byte characters are 2052 bytes.
    assert!(is_service_validation(
        &put(table, key(&"\u{1F600}".repeat(513), "a")).await
    ));
    let user = User {
        id: "u".repeat(limits.max_partition_key_size),
        name: "n".into(),
        email: None,
    };
    assert!(is_service_validation(&user.clone().create(table).await));
    assert_eq!(contents(table).await, before);
    put(table, key(&pk[1..], &sk[1..])).await.unwrap();
    put(table, key(&"\u{1F600}".repeat(512), "a"))
        .await
        .unwrap();
}

/// Empty or missing key attributes, and key attributes of another type, are rejected.
pub async fn empty_or_missing_key_fields(table: &Table) {
    let before = seed(table).await;
    for bad in [
        key("", "a"),
        key("a", ""),
        Item::new().with("pk", "a"),
        Item::new().with("sk", "a"),
        Item::new().with("pk", 1).with("sk", "a"),
        Item::new().with("pk", Value::B(vec![])).with("sk", "a"),
    ] {
        assert!(
            is_service_validation(&put(table, bad.clone()).await),
            "{bad:?}"
        );
        assert!(
            is_service_validation(&get(table, bad.clone()).await),
            "{bad:?}"
        );
    }
    // A key with an extra attribute is not a key.
    assert!(is_service_validation(
        &get(table, key("a", "b").with("x", 1)).await
    ));
    // A model whose key template renders an empty key (`sk = "{status}"`, status empty).
    let w = Weird {
        name: "n".into(),
        status: String::new(),
        size: 1,
        dotted: "d".into(),
        hashed: "h".into(),
        coloned: "c".into(),
    };
    assert!(is_validation(&w.clone().create(table).await));
    assert_eq!(contents(table).await, before);
}

/// Numbers DynamoDB cannot hold: 39 significant digits, out of range, NaN and infinities.
pub async fn numbers_out_of_range(table: &Table) {
    let before = seed(table).await;
    for bad in [
        "123456789012345678901234567890123456789",
        "1E+126",
        "-1E+126",
        "1E-131",
        "NaN",
        "Infinity",
        "-inf",
        "",
        "1e",
        "--1",
        "0x10",
    ] {
        assert!(Number::parse(bad).is_err(), "{bad} parsed");
    }
    assert!(Number::from_f64(f64::NAN).is_err());
    assert!(Number::from_f64(f64::INFINITY).is_err());
    // 38 digits and the extremes of the range are fine.
    for good in [
        "12345678901234567890123456789012345678",
        "9.9999999999999999999999999999999999999E+125",
        "1E-130",
    ] {
        assert!(Number::parse(good).is_ok(), "{good}");
    }
    let mut n = Numbers {
        id: "nan".into(),
        exact: Number::from(1),
        big: 0,
        small: 0,
        i: 0,
        u: 0,
        f: f64::NAN,
        nested: BTreeMap::new(),
    };
    assert!(n.clone().create(table).await.is_err());
    n.f = f64::INFINITY;
    assert!(n.clone().create(table).await.is_err());
    // Arithmetic past the range is rejected, not rounded.
    let max = Number::parse("9.9999999999999999999999999999999999999E+125").unwrap();
    put(table, key("N", "N").with("n", Value::N(max.clone())))
        .await
        .unwrap();
    let before_update = contents(table).await;
    let overflow = table
        .backend()
        .update_item(&UpdateItem::new(
            table.name(),
            key("N", "N"),
            Update::new().add(attr("n"), Value::N(max)),
        ))
        .await;
    assert!(is_service_validation(&overflow), "{overflow:?}");
    assert_eq!(contents(table).await, before_update);
    assert_eq!(before_update.len(), before.len() + 1);
}

/// Empty sets are rejected at any depth; duplicate members cannot exist (sets are sets, and
/// numbers are canonical: `1` and `1.00` are one member).
pub async fn empty_and_duplicate_sets(table: &Table) {
    let before = seed(table).await;
    for empty in [
        Value::Ss(Default::default()),
        Value::Ns(Default::default()),
        Value::Bs(Default::default()),
        Value::L(vec![Value::Ss(Default::default())]),
        Value::M(BTreeMap::from([(
            "x".to_owned(),
            Value::Ns(Default::default()),
        )])),
    ] {
        assert_service_validation(
            put(table, key("S", "S").with("s", empty.clone())).await,
            "empty",
        );
    }
    assert_eq!(contents(table).await, before);
    let ns = Value::Ns(
        ["1", "1.00", "10E-1", "2"]
            .iter()
            .map(|n| Number::parse(n).unwrap())
            .collect(),
    );
    put(table, key("S", "S").with("s", ns)).await.unwrap();
    let stored = get(table, key("S", "S")).await.unwrap().unwrap();
    match &stored["s"] {
        Value::Ns(s) => assert_eq!(s.len(), 2, "{s:?}"),
        other => panic!("{other:?}"),
    }
}

fn nest(levels: usize) -> Value {
    let mut v = Value::from(1);
    for _ in 1..levels {
        v = Value::L(vec![v]);
    }
    v
}

/// Documents nested deeper than 32 levels are rejected; 32 levels are stored.
pub async fn nesting_deeper_than_32(table: &Table) {
    let before = seed(table).await;
    let max = table.capabilities().limits.max_nesting_depth;
    // The attribute itself is level 1.
    assert_service_validation(
        put(table, key("D", "D").with("d", nest(max + 1))).await,
        "nest",
    );
    assert_eq!(contents(table).await, before);
    put(table, key("D", "D").with("d", nest(max)))
        .await
        .unwrap();
}

/// Garbage, truncated, foreign and tampered cursors are InvalidCursor, never a wrong page.
pub async fn bad_cursors(table: &Table) {
    for seq in 0..6u32 {
        let mut t = Todo {
            user_id: "c".into(),
            seq,
            title: "t".into(),
            status: None,
            views: 0,
        };
        t.create(table).await.unwrap();
    }
    let page = Todo::query(table)
        .partition(Todo::partition("c"))
        .limit(2)
        .paginate()
        .await
        .unwrap();
    let cursor = page.cursor.expect("more pages");
    let text = cursor.as_str().to_owned();
    let mut candidates: Vec<String> = vec![
        "".into(),
        "garbage".into(),
        "!!!!".into(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
        text[..text.len() / 2].into(),
        text[..text.len() - 1].into(),
        format!("{text}A"),
    ];
    // Tampered: every single-character change.
    for i in 0..text.len() {
        let mut bytes = text.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        candidates.push(String::from_utf8(bytes).unwrap());
    }
    for bad in candidates {
        let Ok(parsed) = bad.parse::<Cursor>() else {
            continue;
        };
        let r = Todo::query(table)
            .partition(Todo::partition("c"))
            .limit(2)
            .cursor(parsed)
            .paginate()
            .await;
        match r {
            Err(Error::InvalidCursor { .. })
            | Err(Error::Validation { .. })
            | Err(Error::ServiceValidation { .. }) => {}
            // An unsigned cursor can be altered into another valid key of the same query; it
            // must then still be a key of this partition.
            Ok(page) => assert!(page.items.iter().all(|t| t.user_id == "c"), "{bad}"),
            Err(other) => panic!("{bad}: {other:?}"),
        }
    }
    // From another query.
    let other = Todo::query(table)
        .partition(Todo::partition("d"))
        .cursor(cursor)
        .paginate()
        .await;
    assert_error!(other, InvalidCursor);
}

/// A key field holding the key template's delimiter is rejected before anything is sent.
pub async fn template_delimiter_in_key_field(table: &Table) {
    let before = seed(table).await;
    for id in ["a#b", "#", "USER#x"] {
        let user = User {
            id: id.into(),
            name: "n".into(),
            email: None,
        };
        let e = user.clone().create(table).await.unwrap_err();
        assert!(matches!(e, Error::Validation { .. }), "{e:?}");
        assert!(User::key(id).is_err());
    }
    assert_eq!(contents(table).await, before);
}

/// A batch naming one key twice is rejected as a whole.
pub async fn batch_with_duplicate_keys(table: &Table) {
    let before = seed(table).await;
    let writes = vec![
        WriteRequest::Put(key("B", "1").with("v", 1)),
        WriteRequest::Put(key("B", "2")),
        WriteRequest::Delete(key("B", "1")),
    ];
    let r = table
        .backend()
        .batch_write(BatchWrite::new(table.name(), writes))
        .await;
    assert_service_validation(r, "duplicate");
    let r = table
        .backend()
        .batch_get(
            &BatchGet::new(table.name(), vec![key("B", "1"), key("B", "1")]).with_consistent(true),
        )
        .await;
    assert_service_validation(r, "duplicate");
    // Over 25 writes.
    let r = table
        .backend()
        .batch_write(BatchWrite::new(
            table.name(),
            (0..26)
                .map(|i| WriteRequest::Put(key("B", &i.to_string())))
                .collect(),
        ))
        .await;
    // Over 25 writes is rejected before sending, the same on every backend.
    assert_validation(r, "between 1 and 25 entries, got 26");
    assert_eq!(contents(table).await, before);
}

fn tx_put(table: &Table, item: Item) -> TransactWriteAction {
    TransactWriteAction::Put(PutItem::new(table.name(), item))
}

/// Transactions over 100 actions, or touching one item twice, are rejected; nothing is written.
pub async fn transaction_limits(table: &Table) {
    if !has_transactions(table, "transaction_limits") {
        return;
    }
    let before = seed(table).await;
    let max = table.capabilities().limits.max_transaction_actions;
    let too_many = TransactWrite::new(
        (0..=max)
            .map(|i| tx_put(table, key("T", &i.to_string())))
            .collect(),
    );
    // Rejected before sending, the same on every backend.
    assert_validation(
        table.backend().transact_write(&too_many).await,
        "TransactWriteItems actions must have between 1 and 100 entries",
    );
    let twice = TransactWrite::new(vec![
        tx_put(table, key("T", "1")),
        TransactWriteAction::Delete(DeleteItem::new(table.name(), key("T", "1"))),
    ]);
    assert_service_validation(table.backend().transact_write(&twice).await, "one item");
    let gets = TransactGet::new(
        (0..=max)
            .map(|i| GetItem::new(table.name(), key("T", &i.to_string())))
            .collect(),
    );
    assert_validation(
        table.backend().transact_get(&gets).await,
        "TransactGetItems actions must have between 1 and 100 entries",
    );
    assert_eq!(contents(table).await, before);
}

/// Attribute names that are reserved words or hold `.`, `#`, `:`, `[`, `]` are ordinary
/// names: stored, read, filtered on and updated verbatim. Empty names are rejected.
pub async fn awkward_attribute_names(table: &Table) {
    let names = [
        "size", "status", "name", "a.b", "x#y", "c:d", "l[0]", "[", "]", "#", ":", ":v0", "#n0",
    ];
    let mut item = key("W", "W");
    for (i, n) in names.iter().enumerate() {
        item.insert((*n).to_owned(), Value::from(i as i64));
    }
    put(table, item.clone()).await.unwrap();
    assert_eq!(get(table, key("W", "W")).await.unwrap(), Some(item.clone()));
    let mut update = Update::new();
    for n in names {
        update = update.add(Path::name(n), 1);
    }
    let mut condition = Path::name("a.b").eq(3);
    for n in names {
        condition = condition.and(Path::name(n).exists());
    }
    let new = table
        .backend()
        .update_item(
            &UpdateItem::new(table.name(), key("W", "W"), update)
                .with_condition(condition)
                .with_return_values(ReturnValues::UpdatedNew),
        )
        .await
        .unwrap()
        .unwrap();
    for (i, n) in names.iter().enumerate() {
        assert_eq!(new[*n], Value::from(i as i64 + 1), "{n}");
    }
    let before = contents(table).await;
    assert!(is_service_validation(
        &put(table, key("W", "E").with("", 1)).await
    ));
    let empty_map_key = Value::M(BTreeMap::from([(String::new(), Value::from(1))]));
    assert!(is_service_validation(
        &put(table, key("W", "E").with("m", empty_map_key)).await
    ));
    assert_eq!(contents(table).await, before);
}

/// Unicode edge cases: canonically equivalent strings are different keys (bytes, not
/// normalisation), NUL and right-to-left marks are ordinary characters, key order is by UTF-8
/// bytes, and key limits count bytes.
pub async fn unicode_edge_cases(table: &Table) {
    let keys = [
        "\u{e9}",                     // é precomposed
        "e\u{301}",                   // e + combining acute
        "a\u{0}b",                    // NUL inside
        "\u{200f}rtl",                // right-to-left mark
        "\u{1F468}\u{200D}\u{1F469}", // ZWJ sequence
        "\u{FFFF}",                   // noncharacter
        "z",
    ];
    for (i, k) in keys.iter().enumerate() {
        put(table, key("U", k).with("i", i as i64)).await.unwrap();
    }
    for (i, k) in keys.iter().enumerate() {
        let got = get(table, key("U", k)).await.unwrap().unwrap();
        assert_eq!(got["i"], Value::from(i as i64), "{k:?}");
    }
    let page = table
        .backend()
        .query(
            &orm_core::backend::QueryRequest::new(
                table.name(),
                orm_core::expr::KeyCondition::partition("pk", "U"),
            )
            .with_consistent(true),
        )
        .await
        .unwrap()
        .sorted()
        .unwrap();
    let order: Vec<String> = page
        .items
        .iter()
        .map(|i| i["sk"].as_s().unwrap().to_owned())
        .collect();
    let mut by_bytes: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    by_bytes.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(order, by_bytes);
}
