//! Attribute names DynamoDB treats specially in expressions: reserved words (`name`, `status`,
//! `size`) and names containing `.`, `#` or `:`, in CONDITIONS (updates, puts, deletes,
//! transaction checks) and in UPDATES (set, add, remove, nested map keys). Keys and filters on
//! such names are covered in `crud` and `query`.
//!
//! A name with a dot is one attribute when built with [`Path::name`] (`"a.b"`), and a nested
//! path when parsed ([`attr`]`("a.b")` is map `a`, key `b`): the cases check both stay apart.

use crate::crud::{conditional_put, raw_item};
use crate::models::Weird;
use orm_core::backend::{DeleteItem, ReturnValues};
use orm_core::{attr, Error, Item, ModelExt, Path, Table, Value};
use std::collections::BTreeMap;

fn key() -> orm_core::Result<orm_core::Key> {
    Weird::key("n", "open")
}

/// Conditions on reserved words and on names with `.`, `#`, `:` hold and fail as they should,
/// in updates, puts, deletes and transactions.
pub async fn conditions_on_awkward_names(table: &Table) {
    let mut w = Weird::sample();
    w.create(table).await.unwrap();

    // Every awkward name in one condition that holds.
    let holds = attr("name")
        .eq("n")
        .and(attr("status").eq("open"))
        .and(attr("size").eq(3))
        .and(Path::name("a.b").eq("d"))
        .and(Path::name("x#y").eq("h"))
        .and(Path::name("c:d").begins_with("c"))
        .and(Path::name("a.b").size().eq(1))
        // `a.b` parsed is map `a`, key `b`: no such attribute.
        .and(attr("a.b").not_exists())
        .and(attr("size").between(1, 5))
        .and(attr("status").is_in(["open", "done"]));
    Weird::update(table, key())
        .set(Path::name("x#y"), "h2")
        .condition(holds)
        .await
        .unwrap();
    assert_eq!(Weird::get(table, key()).await.unwrap().hashed, "h2");

    // One that fails on each awkward name in turn: nothing changes, the item comes back.
    let failing = [
        attr("name").ne("n"),
        attr("status").eq("done"),
        attr("size").gt(3),
        Path::name("a.b").eq("x"),
        Path::name("x#y").eq("h"),
        Path::name("c:d").contains("zz"),
        attr("a.b").exists(),
    ];
    for condition in failing {
        let shown = format!("{condition:?}");
        let r = Weird::update(table, key())
            .set(Path::name("c:d"), "changed")
            .condition(condition)
            .await;
        match r {
            Err(Error::ConditionFailed { item, .. }) => {
                if table.capabilities().return_item_on_condition_failure {
                    let item = item.expect("current item returned");
                    assert_eq!(item.get("x#y"), Some(&Value::from("h2")), "{shown}");
                }
            }
            other => panic!("{shown}: expected ConditionFailed, got {other:?}"),
        }
    }
    assert_eq!(Weird::get(table, key()).await.unwrap().coloned, "c");

    // A put conditioned on awkward names.
    let stored = table.layout().to_stored_item(&Weird::sample()).unwrap();
    let put = |condition| conditional_put(table, &stored, condition);
    assert_error!(
        table
            .backend()
            .put_item(put(Path::name("x#y").eq("h")))
            .await,
        ConditionFailed
    );
    let old = table
        .backend()
        .put_item(put(Path::name("x#y").eq("h2").and(attr("size").eq(3))))
        .await
        .unwrap()
        .expect("old item");
    assert_eq!(old.get("x#y"), Some(&Value::from("h2")));
    assert_eq!(
        raw_item(table, "WEIRD#n", "open").await.unwrap().get("x#y"),
        Some(&Value::from("h"))
    );

    // Transactions: a check and a conditional delete on awkward names.
    if table.capabilities().transactions {
        let mut other = Weird {
            status: "done".into(),
            ..Weird::sample()
        };
        let err = table
            .transaction()
            .create(&mut other)
            .check::<Weird>(key(), Path::name("c:d").eq("wrong"))
            .commit()
            .await
            .unwrap_err();
        match &err {
            Error::TransactionCanceled { reasons } => {
                assert_eq!(reasons.len(), 2, "{reasons:?}");
                assert_eq!(
                    reasons[1].code,
                    orm_core::error::CancellationCode::ConditionalCheckFailed
                );
            }
            other => panic!("expected TransactionCanceled, got {other:?}"),
        }
        assert!(!Weird::exists(table, Weird::key("n", "done")).await.unwrap());
        table
            .transaction()
            .create(&mut other)
            .check::<Weird>(
                key(),
                Path::name("c:d").eq("c").and(Path::name("a.b").eq("d")),
            )
            .commit()
            .await
            .unwrap();
        assert!(Weird::exists(table, Weird::key("n", "done")).await.unwrap());
        table
            .transaction()
            .delete_if::<Weird>(
                Weird::key("n", "done"),
                attr("status").eq("done").and(Path::name("x#y").eq("h")),
            )
            .commit()
            .await
            .unwrap();
        assert!(!Weird::exists(table, Weird::key("n", "done")).await.unwrap());
    }

    // A plain delete conditioned on awkward names.
    let delete = |condition| {
        DeleteItem::new(
            table.name(),
            Item::new().with("pk", "WEIRD#n").with("sk", "open"),
        )
        .with_condition(condition)
        .with_return_values(ReturnValues::AllOld)
    };
    assert_error!(
        table
            .backend()
            .delete_item(&delete(Path::name("a.b").ne("d")))
            .await,
        ConditionFailed
    );
    table
        .backend()
        .delete_item(&delete(Path::name("a.b").eq("d").and(attr("name").eq("n"))))
        .await
        .unwrap()
        .expect("old item");
    assert!(!Weird::exists(table, key()).await.unwrap());
}

/// Updates set, add, remove and nest under reserved words and names with `.`, `#`, `:`, and a
/// dotted name stays one top-level attribute.
pub async fn updates_on_awkward_names(table: &Table) {
    let mut w = Weird::sample();
    w.create(table).await.unwrap();

    let new = Weird::update(table, key())
        .set(Path::name("a.b"), "d2")
        .set(Path::name("x#y"), "h2")
        .set(Path::name("c:d"), "c2")
        .add("size", 2)
        .returning_new()
        .await
        .unwrap()
        .expect("new item");
    assert_eq!(
        new,
        Weird {
            size: 5,
            dotted: "d2".into(),
            hashed: "h2".into(),
            coloned: "c2".into(),
            ..Weird::sample()
        }
    );

    // Arithmetic on a reserved word; attributes the model does not know, named awkwardly,
    // including map keys with `.`, `#`, `:` and a nested update through them.
    let maps = BTreeMap::from([("k.1".to_owned(), 1), ("k#2".to_owned(), 2)]);
    Weird::update(table, key())
        .increment("size", 10)
        .set_if_not_exists(Path::name("new.attr"), "first")
        .set(Path::name("m:ap"), &maps)
        .await
        .unwrap();
    Weird::update(table, key())
        .set_if_not_exists(Path::name("new.attr"), "second")
        .set(Path::name("m:ap").key("k:3"), 3)
        .add(Path::name("m:ap").key("k.1"), 40)
        .remove(Path::name("m:ap").key("k#2"))
        .await
        .unwrap();
    let raw = raw_item(table, "WEIRD#n", "open").await.unwrap();
    assert_eq!(raw.get("size"), Some(&Value::from(15)));
    assert_eq!(raw.get("new.attr"), Some(&Value::from("first")));
    assert!(
        !raw.contains_key("new"),
        "a dotted name is not a nested path"
    );
    assert!(!raw.contains_key("a"), "a dotted name is not a nested path");
    let Some(Value::M(m)) = raw.get("m:ap") else {
        panic!("m:ap is a map: {raw:?}");
    };
    assert_eq!(m.get("k.1"), Some(&Value::from(41)));
    assert_eq!(m.get("k:3"), Some(&Value::from(3)));
    assert!(!m.contains_key("k#2"), "{m:?}");
    assert_eq!(m.len(), 2, "{m:?}");

    // Removing awkward top-level attributes; UpdatedNew names exactly the updated ones.
    let updated = Weird::update(table, key())
        .remove(Path::name("new.attr"))
        .remove(Path::name("m:ap"))
        .set(Path::name("x#y"), "h3")
        .returning(ReturnValues::UpdatedNew)
        .send_raw()
        .await
        .unwrap()
        .expect("updated attributes");
    assert_eq!(updated.get("x#y"), Some(&Value::from("h3")));
    assert!(!updated.contains_key("new.attr") && !updated.contains_key("m:ap"));
    let raw = raw_item(table, "WEIRD#n", "open").await.unwrap();
    assert!(
        !raw.contains_key("new.attr") && !raw.contains_key("m:ap"),
        "{raw:?}"
    );
    let got = Weird::get(table, key()).await.unwrap();
    assert_eq!((got.size, got.hashed.as_str()), (15, "h3"));

    // A nested path through a dotted attribute name that is not a map is DynamoDB's
    // validation error for an invalid document path, on every backend.
    let err = Weird::update(table, key())
        .set(Path::name("a.b").key("inner"), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ServiceValidation { .. }), "{err:?}");
}
