//! The builders take the values a user has at hand: `&str`, `String`, `&String`, integers,
//! `Number` (and the `Result`s the derive's key constructors return) wherever a key value, an
//! update value or a condition value goes. Run on MemoryBackend.

use orm_core::prelude::*;
use orm_core::Number;
use orm_memory::MemoryBackend;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Order", pk = "CUSTOMER#{customer}", sk = "ORDER#{id}")]
struct Order {
    customer: String,
    id: String,
    status: String,
    total: u64,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    views: Option<i64>,
}

fn order(id: &str, total: u64) -> Order {
    Order {
        customer: "ann".into(),
        id: id.into(),
        status: "open".into(),
        total,
        note: None,
        views: None,
    }
}

async fn table() -> Table {
    let table = Table::new(MemoryBackend::new(), "app");
    table.create_table::<Order>().await.unwrap();
    for (id, total) in [("a", 10), ("b", 20), ("c", 30)] {
        order(id, total).create(&table).await.unwrap();
    }
    // Another customer.
    let mut other = order("a", 1);
    other.customer = "bob".into();
    other.create(&table).await.unwrap();
    table
}

async fn ids(query: orm_core::Query<Order>) -> Vec<String> {
    query
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect()
}

#[tokio::test]
async fn partition_and_sort_key_conditions_take_str_and_string() {
    let table = table().await;
    let partition = String::from("CUSTOMER#ann");
    let (prefix, b) = (String::from("ORDER#"), String::from("ORDER#b"));
    let all = ["a", "b", "c"];

    let q = Order::query(&table).partition("CUSTOMER#ann");
    assert_eq!(ids(q.sk_begins_with("ORDER#")).await, all);
    let q = Order::query(&table).partition(partition.clone());
    assert_eq!(ids(q.sk_begins_with(String::from("ORDER#"))).await, all);
    let q = Order::query(&table).partition(&partition);
    assert_eq!(ids(q.sk_begins_with(&prefix)).await, all);
    let q = Order::query(&table).partition(Order::partition("ann"));
    assert_eq!(ids(q.sk_begins_with(Order::sk_prefix())).await, all);
    let q = Order::query(&table).partition(Value::from("CUSTOMER#bob"));
    assert_eq!(ids(q.sk_begins_with("ORDER#")).await, ["a"]);

    let q = || Order::query(&table).partition("CUSTOMER#ann");
    assert_eq!(ids(q().sk_eq("ORDER#b")).await, ["b"]);
    assert_eq!(ids(q().sk_lt("ORDER#b")).await, ["a"]);
    assert_eq!(ids(q().sk_le(String::from("ORDER#b"))).await, ["a", "b"]);
    assert_eq!(ids(q().sk_gt(&b)).await, ["c"]);
    assert_eq!(ids(q().sk_ge("ORDER#b")).await, ["b", "c"]);
    assert_eq!(
        ids(q().sk_between("ORDER#b", String::from("ORDER#c"))).await,
        ["b", "c"]
    );
    assert_eq!(
        ids(q().sk_between(Order::sort_key("a"), "ORDER#b")).await,
        ["a", "b"]
    );
}

#[tokio::test]
async fn numbers_are_key_values_too() {
    let table = table().await;
    // The ORM's tables have string keys, so a number is the wrong type for them: what matters
    // here is that integers, `Number` and floats are accepted where a key value goes, and that a
    // value which is not a DynamoDB number is reported when the query runs, naming the value.
    let q = || Order::query(&table).partition("CUSTOMER#ann");
    let _ = (
        q().sk_gt(5u8),
        q().sk_gt(-5i32),
        q().sk_lt(5u64),
        q().sk_eq(5usize),
        q().sk_ge(Number::from(5u8)),
        q().sk_between(1i128, 2u128),
        q().sk_le(2.5f64),
        Order::query(&table).partition(7u32),
    );
    for (query, text) in [
        (q().sk_gt(f64::NAN), "`NaN`"),
        (q().sk_between(0.5f32, f32::INFINITY), "`inf`"),
        (q().sk_eq(u128::MAX), "39 significant digits"),
        (Order::query(&table).partition(f64::NEG_INFINITY), "`-inf`"),
    ] {
        let err = query.all().await.unwrap_err();
        assert!(matches!(err, Error::Validation { .. }), "{err:?}");
        assert!(err.to_string().contains(text), "{err} (wanted {text})");
    }
}

#[tokio::test]
async fn updates_and_conditions_take_plain_values() {
    let table = table().await;
    let key = Order::key("ann", "b").unwrap();
    let updated = Order::update(&table, &key)
        .set("status", "shipped")
        .set("note", String::from("left at the door"))
        .add("total", 5u8)
        .add("views", -2i64)
        .condition(
            attr("status")
                .eq("open")
                .and(attr("customer").eq(String::from("ann")))
                .and(attr("total").eq(20u32))
                .and(attr("total").lt(Number::from(21u8)))
                .and(attr("total").between(19i64, 21usize)),
        )
        .returning_new()
        .await
        .unwrap()
        .expect("returning_new gives the item");
    assert_eq!(updated.status, "shipped");
    assert_eq!(updated.note.as_deref(), Some("left at the door"));
    assert_eq!(updated.total, 25);
    assert_eq!(updated.views, Some(-2));

    let total: Number = "0.5".parse().unwrap();
    let err = Order::update(&table, key)
        .add("total", total.clone())
        .condition(attr("status").eq(String::from("open")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { .. }), "{err:?}");

    let same = Order::get(&table, Order::key("ann", "b")).await.unwrap();
    assert_eq!(same, updated);
    let gone = Order::find(&table, &Order::key("ann", "zz").unwrap())
        .await
        .unwrap();
    assert_eq!(gone, None);
}
