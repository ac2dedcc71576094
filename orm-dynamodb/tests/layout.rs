//! The stored layout, as another DynamoDB client sees it: items written through the ORM are read
//! back with the raw aws-sdk-dynamodb client (GetItem / Query, no ORM in between) and every
//! attribute is checked, numbers by their exact `N` text. And the other way round: an item
//! written by hand in the documented layout is read by the ORM.
//!
//! Runs against `DYNAMODB_ENDPOINT` (`scripts/dynamodb-local run -- cargo test -p orm-dynamodb
//! --test layout`); prints a SKIP line without it, or fails with `ORM_REQUIRE_DYNAMODB=1`.

use crate::common;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use aws_sdk_dynamodb::Client;
use orm_core::{ModelExt, Number, NumberSet, StringSet, Table};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// One order line: a nested map in the stored item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Line {
    sku: String,
    qty: u16,
    price: Number,
}

/// A model with every kind of value, a GSI and an LSI.
#[derive(orm_core::Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Order", pk = "CUSTOMER#{customer}", sk = "ORDER#{seq}")]
#[model(index(name = "gsi1", pk = "STATUS#{status}", sk = "{placed_at}"))]
#[model(local_index(name = "lsi1", sk = "{placed_at}"))]
struct Order {
    customer: String,
    seq: u32,
    status: Option<String>,
    placed_at: String,
    /// 38 significant digits.
    total: Number,
    max_u64: u64,
    min_i64: i64,
    max_i64: i64,
    /// 10^38 - 1: the widest integer DynamoDB holds exactly.
    wide: u128,
    negative_wide: i128,
    ratio: f64,
    paid: bool,
    note: Option<String>,
    #[serde(with = "serde_bytes")]
    receipt: Vec<u8>,
    tags: StringSet,
    sizes: NumberSet,
    lines: Vec<Line>,
    counts: BTreeMap<String, i32>,
}

const TOTAL: &str = "1234567890123456789012345678.9012345678";
const WIDE: &str = "99999999999999999999999999999999999999";

fn n(s: &str) -> Number {
    Number::parse(s).unwrap()
}

fn order() -> Order {
    Order {
        customer: "alice".into(),
        seq: 7,
        status: Some("open".into()),
        placed_at: "2025-01-02T03:04:05Z".into(),
        total: n(TOTAL),
        max_u64: u64::MAX,
        min_i64: i64::MIN,
        max_i64: i64::MAX,
        wide: WIDE.parse().unwrap(),
        negative_wide: -WIDE.parse::<i128>().unwrap(),
        ratio: 0.1,
        paid: true,
        note: None,
        receipt: vec![0, 1, 2, 255],
        tags: ["b".to_owned(), "a".to_owned()]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into(),
        sizes: [n("1.5"), n("-2")]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into(),
        lines: vec![Line {
            sku: "X-1".into(),
            qty: 3,
            price: n("0.000000000000000000000000000000000001"),
        }],
        counts: BTreeMap::from([("k".to_owned(), -5)]),
    }
}

fn s(v: &str) -> Av {
    Av::S(v.to_owned())
}

fn num(v: &str) -> Av {
    Av::N(v.to_owned())
}

/// Exactly the attributes another client finds for [`order`].
fn expected_attributes() -> HashMap<String, Av> {
    let mut sizes = vec!["-2".to_owned(), "1.5".to_owned()];
    sizes.sort();
    HashMap::from([
        ("pk".to_owned(), s("CUSTOMER#alice")),
        ("sk".to_owned(), s("ORDER#0000000007")),
        ("__entity".to_owned(), s("Order")),
        ("gsi1pk".to_owned(), s("STATUS#open")),
        ("gsi1sk".to_owned(), s("2025-01-02T03:04:05Z")),
        ("lsi1sk".to_owned(), s("2025-01-02T03:04:05Z")),
        ("customer".to_owned(), s("alice")),
        ("seq".to_owned(), num("7")),
        ("status".to_owned(), s("open")),
        ("placed_at".to_owned(), s("2025-01-02T03:04:05Z")),
        ("total".to_owned(), num(TOTAL)),
        ("max_u64".to_owned(), num("18446744073709551615")),
        ("min_i64".to_owned(), num("-9223372036854775808")),
        ("max_i64".to_owned(), num("9223372036854775807")),
        ("wide".to_owned(), num(WIDE)),
        ("negative_wide".to_owned(), num(&format!("-{WIDE}"))),
        ("ratio".to_owned(), num("0.1")),
        ("paid".to_owned(), Av::Bool(true)),
        ("receipt".to_owned(), Av::B(Blob::new(vec![0, 1, 2, 255]))),
        ("tags".to_owned(), Av::Ss(vec!["a".into(), "b".into()])),
        ("sizes".to_owned(), Av::Ns(sizes)),
        (
            "lines".to_owned(),
            Av::L(vec![Av::M(HashMap::from([
                ("sku".to_owned(), s("X-1")),
                ("qty".to_owned(), num("3")),
                (
                    "price".to_owned(),
                    num("0.000000000000000000000000000000000001"),
                ),
            ]))]),
        ),
        (
            "counts".to_owned(),
            Av::M(HashMap::from([("k".to_owned(), num("-5"))])),
        ),
    ])
}

/// Sets come back in no particular order: sort their members before comparing.
fn normalized(mut item: HashMap<String, Av>) -> HashMap<String, Av> {
    for v in item.values_mut() {
        match v {
            Av::Ss(m) | Av::Ns(m) => m.sort(),
            _ => {}
        }
    }
    item
}

/// Compares attribute by attribute, so a failure names the attribute.
fn assert_same(got: HashMap<String, Av>, want: &HashMap<String, Av>) {
    let got = normalized(got);
    let mut names: Vec<&String> = got.keys().chain(want.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        assert_eq!(got.get(name), want.get(name), "attribute `{name}`");
    }
}

/// A new table of [`Order`]s (named from `prefix`) and the raw SDK client of its backend;
/// `None` without an endpoint.
async fn order_table(prefix: &str) -> Option<(Client, Table)> {
    let endpoint = common::endpoint()?;
    let backend = common::backend(&endpoint).await;
    let client = backend.client().clone();
    let table = Table::new(backend, common::unique(prefix));
    table.create_table::<Order>().await.unwrap();
    Some((client, table))
}

/// The item at the documented key of order `seq` of alice, read with a raw consistent GetItem.
async fn raw_order(client: &Client, table: &str, seq: &str) -> HashMap<String, Av> {
    client
        .get_item()
        .table_name(table)
        .key("pk", s("CUSTOMER#alice"))
        .key("sk", s(&format!("ORDER#{seq}")))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the item is where the layout says")
}

#[tokio::test]
async fn raw_client_reads_the_documented_layout() {
    let Some((client, table)) = order_table("orm_layout").await else {
        return;
    };
    let name = table.name().to_owned();

    let mut o = order();
    o.create(&table).await.unwrap();
    let want = expected_attributes();

    // GetItem on the documented key attributes.
    let got = raw_order(&client, &name, "0000000007").await;
    assert!(!got.contains_key("note"), "None is omitted, never NULL");
    assert_same(got, &want);

    // Query on the table, on the GSI (`gsi1pk` / `gsi1sk`) and on the LSI (`pk` / `lsi1sk`).
    for (index, condition, p, sk) in [
        (
            None,
            "pk = :p AND begins_with(sk, :s)",
            "CUSTOMER#alice",
            "ORDER#",
        ),
        (
            Some("gsi1"),
            "gsi1pk = :p AND gsi1sk = :s",
            "STATUS#open",
            "2025-01-02T03:04:05Z",
        ),
        (
            Some("lsi1"),
            "pk = :p AND lsi1sk >= :s",
            "CUSTOMER#alice",
            "2025",
        ),
    ] {
        let out = client
            .query()
            .table_name(&name)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression(condition)
            .expression_attribute_values(":p", s(p))
            .expression_attribute_values(":s", s(sk))
            .send()
            .await
            .unwrap();
        let items = out.items.unwrap_or_default();
        assert_eq!(items.len(), 1, "query on {}", index.unwrap_or("the table"));
        assert_same(items.into_iter().next().unwrap(), &want);
    }

    // An item without a status is absent from the sparse GSI: no gsi1pk/gsi1sk at all.
    let mut sparse = Order {
        seq: 8,
        status: None,
        ..order()
    };
    sparse.create(&table).await.unwrap();
    let got = raw_order(&client, &name, "0000000008").await;
    for absent in ["status", "gsi1pk", "gsi1sk", "note"] {
        assert!(!got.contains_key(absent), "`{absent}` must be absent");
    }
    assert_eq!(got.get("lsi1sk"), Some(&s("2025-01-02T03:04:05Z")));
    table.delete_table().await.unwrap();
}

#[tokio::test]
async fn orm_reads_an_item_written_in_the_layout_by_another_client() {
    let Some((client, table)) = order_table("orm_layout_in").await else {
        return;
    };

    let mut written = expected_attributes();
    // DynamoDB normalizes number text; the ORM reads the normalized value exactly.
    written.insert("total".into(), num(&format!("00{TOTAL}")));
    client
        .put_item()
        .table_name(table.name())
        .set_item(Some(written))
        .send()
        .await
        .unwrap();
    let read = Order::get(&table, Order::key("alice", 7u32)).await.unwrap();
    assert_eq!(read, order());
    assert_eq!(read.total.as_str(), TOTAL);
    table.delete_table().await.unwrap();
}
