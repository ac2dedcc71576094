//! Conditional writes, update expressions, optimistic locking and transactions.

use crate::crud::conditional_put;
use crate::has_transactions;
use crate::models::*;
use orm_core::backend::{GetItem, PutItem, ReturnValues, TransactGet, UpdateItem};
use orm_core::error::CancellationCode;
use orm_core::expr::{SetOperand, SetValue, Update};
use orm_core::{attr, Error, Item, ModelExt, Table, Value};
use std::sync::Arc;

fn account(id: &str, coins: i64) -> Account {
    Account {
        id: id.into(),
        coins,
        version: 0,
    }
}

/// The account stored at `id`.
async fn stored_account(table: &Table, id: &str) -> Account {
    Account::get(table, Account::key(id)).await.unwrap()
}

/// Every value the tasks returned, sorted.
async fn sorted_results(tasks: Vec<tokio::task::JoinHandle<Vec<u64>>>) -> Vec<u64> {
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    all
}

/// 8 tasks x 100 increments through optimistic locking with retry end at exactly 800.
pub async fn optimistic_locking_loses_nothing(table: &Table) {
    account("coins", 0).create(table).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let table = table.clone();
            tokio::spawn(async move {
                for _ in 0..100 {
                    Account::modify(&table, Account::key("coins"), 1000, |a| a.coins += 1)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let a = stored_account(table, "coins").await;
    assert_eq!(a.coins, 800);
    assert_eq!(a.version, 801);
}

/// The same read-modify-write without a version check loses updates (why locking exists).
pub async fn unversioned_read_modify_write_loses_updates(table: &Table) {
    let mut t = Todo {
        user_id: "lost".into(),
        seq: 1,
        title: "t".into(),
        status: None,
        views: 0,
    };
    t.create(table).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let table = table.clone();
            tokio::spawn(async move {
                for _ in 0..25 {
                    let mut t = Todo::get(&table, Todo::key("lost", 1u32)).await.unwrap();
                    // Another task runs between the read and the write, as it would under load.
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    t.views += 1;
                    t.save(&table).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let views = Todo::get(table, Todo::key("lost", 1u32))
        .await
        .unwrap()
        .views;
    assert!(
        views < 200,
        "expected lost updates without locking, got all {views}"
    );
}

/// Conditions on put, update and delete; a failed condition changes nothing and returns the item.
pub async fn conditional_writes(table: &Table) {
    let mut a = account("c", 5);
    a.create(table).await.unwrap();
    // Update with a failing condition.
    let r = Account::update(table, Account::key("c"))
        .add("coins", 1)
        .condition(attr("coins").gt(100))
        .await;
    match r {
        Err(Error::ConditionFailed { item, .. }) => {
            if table.capabilities().return_item_on_condition_failure {
                let item = item.expect("current item returned");
                assert_eq!(item.get("coins"), Some(&Value::from(5)));
            }
        }
        other => panic!("expected ConditionFailed, got {other:?}"),
    }
    // Raw put with a condition on the stored item.
    let stored = table.layout().to_stored_item(&a).unwrap();
    let put = |condition| conditional_put(table, &stored, condition);
    assert_error!(
        table.backend().put_item(put(attr("coins").eq(6))).await,
        ConditionFailed
    );
    let old = table
        .backend()
        .put_item(put(attr("coins").eq(5)))
        .await
        .unwrap();
    assert_eq!(
        old.and_then(|o| o.get("coins").cloned()),
        Some(Value::from(5))
    );
    // Update of a missing item is NotFound, not a silent create.
    assert_error!(
        Account::update(table, Account::key("missing"))
            .add("coins", 1)
            .await,
        NotFound
    );
    // ... unless asked to upsert.
    Account::update(table, Account::key("up"))
        .set("id", "up")
        .add("coins", 3)
        .upsert()
        .await
        .unwrap();
    assert_eq!(stored_account(table, "up").await.coins, 3);
    assert_eq!(stored_account(table, "c").await.coins, 5);
}

/// Update actions: set, add, remove, list append/prepend, if_not_exists, set delete, return values.
pub async fn update_actions(table: &Table) {
    let mut n = Numbers {
        id: "u".into(),
        exact: "1.5".parse().unwrap(),
        big: 1,
        small: -1,
        i: 10,
        u: 10,
        f: 0.5,
        nested: [("xs".to_string(), vec!["1".parse().unwrap()])].into(),
    };
    n.create(table).await.unwrap();
    let new = Numbers::update(table, Numbers::key("u"))
        .add("exact", orm_core::Number::parse("0.25").unwrap())
        .increment("i", 5)
        .decrement("u", 3)
        .append("nested.xs", vec![2, 3])
        .set_if_not_exists("big", 99)
        .returning_new()
        .await
        .unwrap()
        .expect("returning_new");
    assert_eq!(new.exact.as_str(), "1.75");
    assert_eq!((new.i, new.u, new.big), (15, 7, 1));
    assert_eq!(
        new.nested["xs"]
            .iter()
            .map(|x| x.as_str())
            .collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    let old = Numbers::update(table, Numbers::key("u"))
        .prepend("nested.xs", vec![0])
        .set("f", 2.5)
        .returning_old()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.f, 0.5);
    let raw = Numbers::update(table, Numbers::key("u"))
        .set("f", 3.5)
        .returning(ReturnValues::UpdatedNew)
        .send_raw()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(raw.get("f"), Some(&Value::N("3.5".parse().unwrap())));
    assert!(!raw.contains_key("exact"));
    let got = Numbers::get(table, Numbers::key("u")).await.unwrap();
    assert_eq!(got.nested["xs"].len(), 4);
    // Remove and sets on a raw item of the User entity.
    let mut u = User {
        id: "r".into(),
        name: "R".into(),
        email: Some("r@x".into()),
    };
    u.create(table).await.unwrap();
    User::update(table, User::key("r"))
        .remove("email")
        .add(
            "tags",
            orm_core::StringSet::from_iter(["a".to_string(), "b".to_string()]),
        )
        .await
        .unwrap();
    User::update(table, User::key("r"))
        .delete_from_set("tags", orm_core::StringSet::from_iter(["a".to_string()]))
        .await
        .unwrap();
    let raw = crate::crud::raw_item(table, "USER#r", "PROFILE")
        .await
        .unwrap();
    assert!(!raw.contains_key("email"));
    assert_eq!(raw.get("tags"), Some(&Value::Ss(["b".to_string()].into())));
    // Key fields cannot be changed: the guarded write fails and nothing changes.
    assert_error!(
        User::update(table, User::key("r")).set("id", "other").await,
        ConditionFailed
    );
    assert_eq!(User::get(table, User::key("r")).await.unwrap().id, "r");
    assert_error!(
        User::update(table, User::key("r"))
            .append("id", vec!["x"])
            .await,
        Validation
    );
}

/// Function calls as operands of `+` / `-` and inside `list_append`, as DynamoDB allows: the
/// counter idiom `SET visits = if_not_exists(visits, :zero) + :one` creates and then bumps,
/// `list_append(if_not_exists(log, :empty), :entry)` creates and then appends, and
/// `i = if_not_exists(i, :zero) - :one` reads the stored value.
pub async fn update_with_function_operands(table: &Table) {
    Numbers {
        id: "fo".into(),
        exact: "1".parse().unwrap(),
        big: 1,
        small: -1,
        i: 10,
        u: 10,
        f: 0.5,
        nested: Default::default(),
    }
    .create(table)
    .await
    .unwrap();
    let bump = || {
        Numbers::update(table, Numbers::key("fo"))
            .set_expr(
                "visits",
                SetValue::Plus(SetOperand::if_not_exists(attr("visits"), 0), 1.into()),
            )
            .set_expr(
                "log",
                SetValue::ListAppend(
                    SetOperand::if_not_exists(attr("log"), Value::L(vec![])),
                    Value::L(vec!["x".into()]).into(),
                ),
            )
            .set_expr(
                "i",
                SetValue::Minus(SetOperand::if_not_exists(attr("i"), 0), 1.into()),
            )
            .returning(ReturnValues::AllNew)
            .send_raw()
    };
    let first = bump().await.unwrap().expect("ALL_NEW");
    assert_eq!(first.get("visits"), Some(&Value::from(1)));
    assert_eq!(first.get("log"), Some(&Value::L(vec!["x".into()])));
    assert_eq!(first.get("i"), Some(&Value::from(9)));
    let second = bump().await.unwrap().expect("ALL_NEW");
    assert_eq!(second.get("visits"), Some(&Value::from(2)));
    assert_eq!(
        second.get("log"),
        Some(&Value::L(vec!["x".into(), "x".into()]))
    );
    assert_eq!(Numbers::get(table, Numbers::key("fo")).await.unwrap().i, 8);
}

/// Updating a field used in a GSI key keeps the index consistent.
pub async fn update_keeps_index_consistent(table: &Table) {
    let mut t = Todo {
        user_id: "ix".into(),
        seq: 1,
        title: "t".into(),
        status: Some("open".into()),
        views: 0,
    };
    t.create(table).await.unwrap();
    let by_status = |s: &'static str| async move {
        Todo::query(table)
            .index("gsi1")
            .partition(Todo::gsi1_partition(s))
            .all()
            .await
            .unwrap()
            .len()
    };
    assert_eq!(by_status("open").await, 1);
    Todo::update(table, Todo::key("ix", 1u32))
        .set("status", "done")
        .await
        .unwrap();
    assert_eq!(by_status("open").await, 0);
    assert_eq!(by_status("done").await, 1);
    // Removing the field takes the item out of the sparse index.
    Todo::update(table, Todo::key("ix", 1u32))
        .remove("status")
        .await
        .unwrap();
    assert_eq!(by_status("done").await, 0);
    let raw = crate::crud::raw_item(table, "USER#ix", "TODO#0000000001")
        .await
        .unwrap();
    assert!(!raw.contains_key("gsi1pk") && !raw.contains_key("gsi1sk"));
    // Arithmetic on an index field is refused: its new value is not known up front.
    assert_error!(
        Todo::update(table, Todo::key("ix", 1u32))
            .add("status", 1)
            .await,
        Validation
    );
}

/// An index key that depends on a condition (`when = "Self::is_open(status)"`) and on code (a
/// computed sort key) stays right through every write path: create, save, update with `.set`,
/// an update that touches no index field, `save_changes`, a transaction and a migration. A
/// closed ticket never lingers in the open-tickets index.
pub async fn computed_index_keys_follow_every_write(table: &Table) {
    let open_numbers = || async {
        Ticket::query(table)
            .index("gsi1")
            .partition(Ticket::gsi1_partition("acme"))
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.number)
            .collect::<Vec<_>>()
    };
    let ticket = |number: u32, priority: u8| Ticket {
        org: "acme".into(),
        number,
        status: "open".into(),
        priority,
        comments: 0,
    };
    let raw = |number: u32| async move {
        crate::crud::raw_item(table, "ORG#acme", &format!("TICKET#{number:06}")).await
    };
    let (mut one, mut two) = (ticket(1, 1), ticket(2, 5));
    one.create(table).await.unwrap();
    two.create(table).await.unwrap();
    // Ranked by the computed sort key: priority 5 before priority 1.
    assert_eq!(open_numbers().await, [2, 1]);
    assert_eq!(
        raw(1).await.unwrap().get("gsi1sk"),
        Some(&Value::from("8000001"))
    );

    // save: closing takes the ticket out of the index, reopening puts it back.
    one.status = "closed".into();
    one.save(table).await.unwrap();
    assert_eq!(open_numbers().await, [2]);
    let stored = raw(1).await.unwrap();
    assert!(!stored.contains_key("gsi1pk") && !stored.contains_key("gsi1sk"));

    // update with .set of a predicate field, and of a computed segment's field.
    Ticket::update(table, Ticket::key("acme", 1u32))
        .set("status", "open")
        .await
        .unwrap();
    Ticket::update(table, Ticket::key("acme", 1u32))
        .set("priority", 9u8)
        .await
        .unwrap();
    assert_eq!(open_numbers().await, [1, 2]);
    // An update of no index field leaves the index as it is.
    Ticket::update(table, Ticket::key("acme", 2u32))
        .add("comments", 1)
        .await
        .unwrap();
    assert_eq!(open_numbers().await, [1, 2]);
    // Arithmetic on a field the computed key reads is refused: its new value is not known.
    assert_error!(
        Ticket::update(table, Ticket::key("acme", 2u32))
            .add("priority", 1)
            .await,
        Validation
    );

    // save_changes: only what changed is written, the index keys with it.
    let before = Ticket::get(table, Ticket::key("acme", 2u32)).await.unwrap();
    two = before.clone();
    two.status = "closed".into();
    table.save_changes(&before, &mut two).await.unwrap();
    assert_eq!(open_numbers().await, [1]);

    // A transaction's put.
    if table.capabilities().transactions {
        two.status = "open".into();
        table.transaction().put(&mut two).commit().await.unwrap();
        assert_eq!(open_numbers().await, [1, 2]);
    }

    // A migration repairs an item written behind the ORM's back (closed, still indexed).
    let stale = Update::new().set(orm_core::Path::name("status"), Value::from("closed"));
    table
        .backend()
        .update_item(&raw_update(table, "ORG#acme", "TICKET#000001", stale))
        .await
        .unwrap();
    assert!(
        open_numbers().await.contains(&1),
        "the raw write left the index entry"
    );
    if table.capabilities().transactions {
        let done = orm_core::migrate::Migration::<Ticket>::new(table)
            .run()
            .await
            .unwrap();
        assert_eq!(done.changed, 1, "{done:?}");
        assert!(!open_numbers().await.contains(&1));
    }
}

/// A transaction whose third action fails leaves every item untouched; the error names action 3.
pub async fn transaction_is_all_or_nothing(table: &Table) {
    if !has_transactions(table, "transaction_is_all_or_nothing") {
        return;
    }
    account("t1", 10).create(table).await.unwrap();
    account("t2", 10).create(table).await.unwrap();
    account("t3", 10).create(table).await.unwrap();
    let err = table
        .transaction()
        .update(Account::update(table, Account::key("t1")).add("coins", -5))
        .update(Account::update(table, Account::key("t2")).add("coins", 5))
        .update(
            Account::update(table, Account::key("t3"))
                .add("coins", 1)
                .condition(attr("coins").gt(1000)),
        )
        .create(&mut account("t4", 1))
        .commit()
        .await
        .unwrap_err();
    match &err {
        Error::TransactionCanceled { reasons } => {
            assert_eq!(reasons.len(), 4);
            let failed: Vec<_> = reasons.iter().filter(|r| r.is_failure()).collect();
            assert_eq!(failed.len(), 1, "{reasons:?}");
            assert_eq!(failed[0].index, 2);
            assert_eq!(
                failed[0].code,
                orm_core::error::CancellationCode::ConditionalCheckFailed
            );
            assert!(err.to_string().contains("action 3"), "{err}");
        }
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
    for id in ["t1", "t2", "t3"] {
        let a = stored_account(table, id).await;
        assert_eq!((a.coins, a.version), (10, 1), "{id} changed");
    }
    assert!(Account::find(table, Account::key("t4"))
        .await
        .unwrap()
        .is_none());
    // The same transaction without the failing condition applies every action.
    table
        .transaction()
        .update(Account::update(table, Account::key("t1")).add("coins", -5))
        .update(Account::update(table, Account::key("t2")).add("coins", 5))
        .create(&mut account("t4", 1))
        .check::<Account>(Account::key("t3"), attr("coins").eq(10))
        .delete::<Account>(Account::key("nobody"))
        .token(format!("tx-{}", table.name()))
        .commit()
        .await
        .unwrap();
    assert_eq!(stored_account(table, "t1").await.coins, 5);
    assert_eq!(stored_account(table, "t2").await.coins, 15);
    assert_eq!(stored_account(table, "t4").await.version, 1);
}

/// The models a transaction creates or puts hold, after `commit()`, what was stored (their new
/// version), as after `create` / `save`; a canceled transaction leaves their versions alone.
pub async fn transaction_models_after_commit(table: &Table) {
    if !has_transactions(table, "transaction_models_after_commit") {
        return;
    }
    let mut held = account("held", 5);
    held.create(table).await.unwrap();
    let mut created = account("created", 1);
    held.coins = 6;
    table
        .transaction()
        .create(&mut created)
        .put(&mut held)
        .commit()
        .await
        .unwrap();
    assert_eq!((created.version, held.version), (1, 2));
    for model in [&created, &held] {
        assert_eq!(&stored_account(table, model.id.as_str()).await, model);
    }
    // Canceled: nothing stored, and the models keep the versions they had.
    held.coins = 7;
    let err = table
        .transaction()
        .put(&mut held)
        .check::<Account>(Account::key("created"), attr("coins").gt(100))
        .commit()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TransactionCanceled { .. }), "{err:?}");
    assert_eq!(held.version, 2);
    // The model can be put again as it is.
    held.coins = 8;
    table.transaction().put(&mut held).commit().await.unwrap();
    assert_eq!(stored_account(table, "held").await, held);
    assert_eq!(held.version, 3);
}

/// A todo status as an application would model it: an enum, stored as serde writes it.
#[derive(serde::Serialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum TodoStatus {
    Open,
    Done,
}

/// Conditions and filters take any `Serialize` value, converted as a model's field of that type
/// is stored: an enum compares with the string serde gives it. A value DynamoDB cannot store
/// (NaN) is a validation error and nothing is written.
pub async fn conditions_take_any_serializable_value(table: &Table) {
    for (seq, status) in [(1, "open"), (2, "done"), (3, "open")] {
        Todo {
            user_id: "ser".into(),
            seq,
            title: format!("t{seq}"),
            status: Some(status.into()),
            views: 0,
        }
        .create(table)
        .await
        .unwrap();
    }
    // Close a todo only if it is not already done.
    Todo::update(table, Todo::key("ser", 1u32))
        .set("status", TodoStatus::Done)
        .condition(attr("status").ne(TodoStatus::Done))
        .await
        .unwrap();
    let again = Todo::update(table, Todo::key("ser", 1u32))
        .set("status", TodoStatus::Done)
        .condition(attr("status").ne(TodoStatus::Done))
        .await;
    assert_error!(again, ConditionFailed);
    // Filters and IN lists too; an Option compares as the value it holds.
    let open = Todo::query(table)
        .partition(Todo::partition("ser"))
        .filter(attr("status").eq(Some(TodoStatus::Open)))
        .all()
        .await
        .unwrap();
    assert_eq!(open.iter().map(|t| t.seq).collect::<Vec<_>>(), [3]);
    let any = Todo::query(table)
        .partition(Todo::partition("ser"))
        .filter(attr("status").is_in([TodoStatus::Open, TodoStatus::Done]))
        .count()
        .await
        .unwrap();
    assert_eq!(any, 3);
    // NaN cannot be stored: the condition is rejected before anything is sent.
    let nan = Todo::update(table, Todo::key("ser", 3u32))
        .set("title", "changed")
        .condition(attr("views").lt(f64::NAN))
        .await;
    match nan {
        Err(Error::Validation { message }) => assert!(message.contains("NaN"), "{message}"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    let filter_nan = Todo::query(table)
        .partition(Todo::partition("ser"))
        .filter(attr("views").between(0, f64::INFINITY))
        .all()
        .await;
    assert_error!(filter_nan, Validation);
    assert_eq!(
        Todo::get(table, Todo::key("ser", 3u32))
            .await
            .unwrap()
            .title,
        "t3"
    );
}

/// `try_modify`: a read-modify-write whose change may refuse. Refusing writes nothing and
/// returns the caller's error, decided on one consistent read; accepting writes as `modify`.
pub async fn try_modify_refuses_without_writing(table: &Table) {
    #[derive(Debug, PartialEq)]
    enum Refused {
        TooPoor(i64),
        Orm(String),
    }
    impl From<Error> for Refused {
        fn from(e: Error) -> Self {
            Refused::Orm(e.to_string())
        }
    }
    account("poor", 3).create(table).await.unwrap();
    let withdraw = |amount: i64| {
        move |a: &mut Account| {
            if a.coins < amount {
                return Err(Refused::TooPoor(a.coins));
            }
            a.coins -= amount;
            Ok(())
        }
    };
    let refused = Account::try_modify(table, Account::key("poor"), 5, withdraw(5)).await;
    assert_eq!(refused, Err(Refused::TooPoor(3)));
    let stored = stored_account(table, "poor").await;
    assert_eq!((stored.coins, stored.version), (3, 1), "nothing written");
    let done = Account::try_modify(table, Account::key("poor"), 5, withdraw(2))
        .await
        .unwrap();
    assert_eq!((done.coins, done.version), (1, 2));
    assert_eq!(stored_account(table, "poor").await, done);
    // ORM errors come through the caller's error type.
    let missing = Account::try_modify(table, Account::key("nobody"), 5, withdraw(1)).await;
    assert!(
        matches!(&missing, Err(Refused::Orm(m)) if m.contains("not found")),
        "{missing:?}"
    );
    // Concurrent refusals and withdrawals never overdraw: 8 tasks take 1 coin each from 5.
    account("shared", 5).create(table).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let table = table.clone();
            tokio::spawn(async move {
                Account::try_modify(&table, Account::key("shared"), 100, withdraw(1)).await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Refused::TooPoor(0)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(ok, 5);
    assert_eq!(stored_account(table, "shared").await.coins, 0);
}

/// Transactions are validated before sending: too many actions, one item twice.
pub async fn transaction_validation(table: &Table) {
    let mut accounts: Vec<Account> = (0..101).map(|i| account(&format!("v{i}"), 0)).collect();
    let mut tx = table.transaction();
    for a in &mut accounts {
        tx = tx.create(a);
    }
    let e = tx.commit().await.unwrap_err().to_string();
    assert!(e.contains("101") && e.contains("100"), "{e}");
    let e = table
        .transaction()
        .create(&mut account("same", 0))
        .update(Account::update(table, Account::key("other")).add("coins", 1))
        .delete::<Account>(Account::key("same"))
        .commit()
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("actions 1 and 3"), "{e}");
    assert!(Account::find(table, Account::key("same"))
        .await
        .unwrap()
        .is_none());
}

/// Transactional reads return a consistent snapshot, typed.
pub async fn transactional_get(table: &Table) {
    if !has_transactions(table, "transactional_get") {
        return;
    }
    account("g1", 1).create(table).await.unwrap();
    let mut read = table.transact_get();
    let a = read.get::<Account>(Account::key("g1"));
    let b = read.get::<Account>(Account::key("g2"));
    let u = read.get::<User>(User::key("nobody"));
    let mut out = read.send().await.unwrap();
    assert_eq!(out.take(a).unwrap().map(|a| a.coins), Some(1));
    assert!(out.take(b).unwrap().is_none());
    assert!(out.take(u).unwrap().is_none());
}

/// Concurrent transactions moving coins between accounts never lose or create coins.
pub async fn concurrent_transfers_conserve_coins(table: &Table) {
    if !has_transactions(table, "concurrent_transfers_conserve_coins") {
        return;
    }
    for i in 0..4 {
        account(&format!("w{i}"), 100).create(table).await.unwrap();
    }
    let table = Arc::new(table.clone());
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let table = table.clone();
            tokio::spawn(async move {
                for i in 0..20 {
                    let from = format!("w{}", (t + i) % 4);
                    let to = format!("w{}", (t + i + 1) % 4);
                    let r = table
                        .transaction()
                        .update(
                            Account::update(&table, Account::key(from.as_str()))
                                .add("coins", -1)
                                .condition(attr("coins").gt(0)),
                        )
                        .update(Account::update(&table, Account::key(to.as_str())).add("coins", 1))
                        .commit()
                        .await;
                    match r {
                        Ok(()) | Err(Error::TransactionCanceled { .. }) => {}
                        Err(e) if e.is_retryable() => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let mut total = 0;
    for i in 0..4 {
        total += Account::get(&table, Account::key(format!("w{i}").as_str()))
            .await
            .unwrap()
            .coins;
    }
    assert_eq!(total, 400);
}

fn session(id: &str) -> Session {
    Session {
        id: id.into(),
        data: "d".into(),
        created_at: String::new(),
        updated_at: 0,
        expires_at: None,
    }
}

/// created_at is set once by the ORM and never overwritten (by save of a fresh copy, update,
/// upsert or transaction); updated_at follows every write.
pub async fn timestamps_are_set_by_the_orm(table: &Table) {
    let mut s = session("ts");
    s.create(table).await.unwrap();
    assert_eq!(s.created_at.len(), 27, "{}", s.created_at);
    assert!(s.updated_at > 1_700_000_000);
    let created = s.created_at.clone();
    let stored = Session::get(table, Session::key("ts")).await.unwrap();
    assert_eq!(stored, s);
    // A fresh copy that does not know created_at (the ElectroDB #256 case) keeps the stored one.
    let mut fresh = session("ts");
    fresh.data = "changed".into();
    fresh.save(table).await.unwrap();
    assert_eq!(
        fresh.created_at, created,
        "save reads back the stored created_at"
    );
    let stored = Session::get(table, Session::key("ts")).await.unwrap();
    assert_eq!(
        (stored.created_at.as_str(), stored.data.as_str()),
        (created.as_str(), "changed")
    );
    // Updates bump updated_at and refuse to touch created_at.
    Session::update(table, Session::key("ts"))
        .set("data", "again")
        .await
        .unwrap();
    assert_error!(
        Session::update(table, Session::key("ts"))
            .set("created_at", "x")
            .await,
        Validation
    );
    // A save removes fields the model leaves out.
    let mut with_ttl = Session::get(table, Session::key("ts")).await.unwrap();
    with_ttl.expires_at = Some(4_000_000_000);
    with_ttl.save(table).await.unwrap();
    with_ttl.expires_at = None;
    with_ttl.save(table).await.unwrap();
    let raw = crate::crud::raw_item(table, "SESSION#ts", "SESSION")
        .await
        .unwrap();
    assert!(!raw.contains_key("expires_at"));
    assert_eq!(raw.get("created_at"), Some(&Value::from(created.as_str())));
    // An upsert creating the item sets created_at; a transaction put keeps it.
    Session::update(table, Session::key("new"))
        .set("id", "new")
        .set("data", "u")
        .upsert()
        .await
        .unwrap();
    let new = Session::get(table, Session::key("new")).await.unwrap();
    assert_eq!(new.created_at.len(), 27);
    if table.capabilities().transactions {
        table
            .transaction()
            .put(&mut session("new"))
            .commit()
            .await
            .unwrap();
        let after = Session::get(table, Session::key("new")).await.unwrap();
        assert_eq!(after.created_at, new.created_at);
    }
}

/// Queries can leave out items whose TTL has passed but which DynamoDB has not deleted yet.
pub async fn exclude_expired_items(table: &Table) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for (id, expires) in [
        ("past", Some(now - 60)),
        ("future", Some(now + 3600)),
        ("never", None),
    ] {
        let mut s = session(id);
        s.expires_at = expires;
        s.create(table).await.unwrap();
    }
    let mut live: Vec<String> = Session::scan(table)
        .exclude_expired()
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    live.sort();
    assert_eq!(live, ["future", "never"]);
    assert_eq!(Session::scan(table).count().await.unwrap(), 3);
    let past = Session::query(table)
        .partition(Session::partition("past"))
        .exclude_expired()
        .all()
        .await
        .unwrap();
    assert!(past.is_empty());
    assert_error!(Todo::scan(table).exclude_expired().all().await, Validation);
}

/// Concurrent sequence bumps hand out distinct, dense ids.
pub async fn sequences_hand_out_distinct_ids(table: &Table) {
    use orm_core::sequence::Sequence;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let table = table.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for _ in 0..10 {
                    ids.push(Sequence::next(&table, "orders").await.unwrap());
                }
                ids
            })
        })
        .collect();
    let all = sorted_results(tasks).await;
    assert_eq!(all, (1..=80).collect::<Vec<u64>>());
    assert_eq!(Sequence::reserve(table, "orders", 20).await.unwrap(), 100);
}

/// `Sequence::next_in`: a value taken inside a transaction is handed out only if the
/// transaction commits; concurrent transactions taking values never hand out one twice (a
/// loser is canceled and retried), and the values stay dense.
pub async fn sequences_join_transactions(table: &Table) {
    use orm_core::sequence::Sequence;
    if !has_transactions(table, "sequences_join_transactions") {
        return;
    }
    let mut tx = table.transaction();
    let first = Sequence::next_in(&mut tx, "accounts").await.unwrap();
    assert_eq!(first, 1);
    let mut a = account(&format!("seq{first}"), 0);
    tx.create(&mut a).commit().await.unwrap();
    assert_eq!(a.version, 1);
    // Canceled (the account exists): the value is not handed out.
    let mut tx = table.transaction();
    let lost = Sequence::next_in(&mut tx, "accounts").await.unwrap();
    assert_eq!(lost, 2);
    let err = tx
        .create(&mut account("seq1", 0))
        .commit()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TransactionCanceled { .. }), "{err:?}");
    // 4 tasks x 5 accounts, each numbered in the transaction that creates it.
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let table = table.clone();
            tokio::spawn(async move {
                let mut numbers = Vec::new();
                while numbers.len() < 5 {
                    let mut tx = table.transaction();
                    let n = Sequence::next_in(&mut tx, "accounts").await.unwrap();
                    let mut a = account(&format!("seq{n}"), 0);
                    match tx.create(&mut a).commit().await {
                        Ok(()) => numbers.push(n),
                        Err(Error::TransactionCanceled { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                numbers
            })
        })
        .collect();
    let all = sorted_results(tasks).await;
    assert_eq!(all, (2..=21).collect::<Vec<u64>>());
    for n in all {
        assert!(
            Account::exists(table, Account::key(format!("seq{n}").as_str()))
                .await
                .unwrap()
        );
    }
    assert_eq!(Sequence::next(table, "accounts").await.unwrap(), 22);
}

/// `check_exists::<M>(key)`: a transaction needs an item of `M` at the key (not a free key, not
/// another entity's item) and writes nothing for it.
pub async fn transaction_check_exists(table: &Table) {
    if !has_transactions(table, "transaction_check_exists") {
        return;
    }
    account("parent", 1).create(table).await.unwrap();
    let child = || Todo {
        user_id: "parent".into(),
        seq: 1,
        title: "child".into(),
        status: None,
        views: 0,
    };
    table
        .transaction()
        .check_exists::<Account>(Account::key("parent"))
        .create(&mut child())
        .commit()
        .await
        .unwrap();
    assert!(Todo::exists(table, Todo::key("parent", 1u32))
        .await
        .unwrap());
    for missing in [
        Account::key("nobody").unwrap(),
        // A todo's key holds a Todo, not an Account.
        Todo::key("parent", 1u32).unwrap(),
    ] {
        let mut other = Todo { seq: 2, ..child() };
        let err = table
            .transaction()
            .check_exists::<Account>(missing)
            .create(&mut other)
            .commit()
            .await
            .unwrap_err();
        match err {
            Error::TransactionCanceled { reasons } => assert_eq!(
                reasons[0].code,
                orm_core::error::CancellationCode::ConditionalCheckFailed
            ),
            other => panic!("expected TransactionCanceled, got {other:?}"),
        }
        assert!(!Todo::exists(table, Todo::key("parent", 2u32))
            .await
            .unwrap());
    }
}

/// Whether the backend answers as DynamoDB where DynamoDB Local does not; prints a SKIP line
/// naming `case` when it does not.
fn answers_as_dynamodb(table: &Table, case: &str) -> bool {
    let exact = table.capabilities().exact_dynamodb;
    if !exact {
        eprintln!(
            "SKIP: {case}: this backend's server answers as DynamoDB Local does, not as DynamoDB \
             (docs/server.md, \"Where DynamoDB Local differs from DynamoDB\")"
        );
    }
    exact
}

/// A raw UpdateItem of the item at `pk`/`sk`.
fn raw_update(table: &Table, pk: &str, sk: &str, update: Update) -> UpdateItem {
    UpdateItem::new(
        table.name(),
        Item::new().with("pk", pk).with("sk", sk),
        update,
    )
}

/// An UpdateItem with no action (DynamoDB's UpdateItem without an `UpdateExpression`) creates a
/// missing item from its key, and leaves an existing one as it is.
pub async fn update_with_no_action_creates_the_key_item(table: &Table) {
    let backend = table.backend();
    let mut request = raw_update(table, "RAW#noaction", "A", Update::new());
    request.return_values = ReturnValues::AllNew;
    let created = backend.update_item(&request).await.unwrap();
    let key = Item::new().with("pk", "RAW#noaction").with("sk", "A");
    assert_eq!(created, Some(key.clone()));
    assert_eq!(
        crate::crud::raw_item(table, "RAW#noaction", "A").await,
        Some(key.clone())
    );
    let stored = key.clone().with("x", "y");
    backend
        .put_item(PutItem::new(table.name(), stored.clone()))
        .await
        .unwrap();
    assert_eq!(backend.update_item(&request).await.unwrap(), Some(stored));
}

/// UPDATED_OLD and UPDATED_NEW return only the updated paths, each nested in its hierarchy
/// (DynamoDB Local returns the whole top-level attributes).
pub async fn updated_values_are_the_updated_paths(table: &Table) {
    if !answers_as_dynamodb(table, "updated_values_are_the_updated_paths") {
        return;
    }
    let backend = table.backend();
    let map = |b: &str| {
        Value::M(
            [
                ("b".to_string(), Value::from(b)),
                ("c".to_string(), Value::L(vec![1.into(), 2.into()])),
            ]
            .into(),
        )
    };
    backend
        .put_item(PutItem::new(
            table.name(),
            Item::new()
                .with("pk", "RAW#updated")
                .with("sk", "A")
                .with("m", map("dog"))
                .with("other", 1),
        ))
        .await
        .unwrap();
    let update = Update::new().set(attr("m.b"), "cat").set(attr("m.c[1]"), 7);
    let mut request = raw_update(table, "RAW#updated", "A", update);
    request.return_values = ReturnValues::UpdatedOld;
    let old = backend.update_item(&request).await.unwrap();
    let only = |b: &str, c: i64| {
        Some(
            Item::new().with(
                "m",
                Value::M(
                    [
                        ("b".to_string(), Value::from(b)),
                        ("c".to_string(), Value::L(vec![c.into()])),
                    ]
                    .into(),
                ),
            ),
        )
    };
    assert_eq!(old, only("dog", 2));
    request.update = Update::new().set(attr("m.b"), "owl").set(attr("m.c[1]"), 8);
    request.return_values = ReturnValues::UpdatedNew;
    assert_eq!(backend.update_item(&request).await.unwrap(), only("owl", 8));
}

/// An update of only REMOVE / DELETE actions on a missing item creates nothing and returns
/// nothing (DynamoDB Local creates the item from its key); one writing action creates it.
pub async fn removal_only_update_creates_nothing(table: &Table) {
    if !answers_as_dynamodb(table, "removal_only_update_creates_nothing") {
        return;
    }
    let backend = table.backend();
    let mut request = raw_update(
        table,
        "RAW#removal",
        "A",
        Update::new()
            .remove(attr("x"))
            .delete(attr("s"), Value::Ss(["a".to_string()].into())),
    );
    request.return_values = ReturnValues::AllNew;
    assert_eq!(backend.update_item(&request).await.unwrap(), None);
    assert_eq!(crate::crud::raw_item(table, "RAW#removal", "A").await, None);
    request.update = Update::new().remove(attr("x")).set(attr("y"), 1);
    let created = backend.update_item(&request).await.unwrap();
    assert_eq!(
        created,
        Some(
            Item::new()
                .with("pk", "RAW#removal")
                .with("sk", "A")
                .with("y", 1)
        )
    );
}

/// A transactional get of a key that does not match the table's schema cancels the
/// transaction with a `ValidationError` reason for that read and `None` for the others
/// (DynamoDB Local cancels with no reasons).
pub async fn transactional_get_of_a_mismatched_key_cancels_per_read(table: &Table) {
    let case = "transactional_get_of_a_mismatched_key_cancels_per_read";
    if !has_transactions(table, case) || !answers_as_dynamodb(table, case) {
        return;
    }
    let good = GetItem::new(
        table.name(),
        Item::new().with("pk", "RAW#tg").with("sk", "A"),
    );
    let bad = GetItem::new(table.name(), Item::new().with("pk", "RAW#tg"));
    let err = table
        .backend()
        .transact_get(&TransactGet::new(vec![good, bad]))
        .await
        .unwrap_err();
    match err {
        Error::TransactionCanceled { reasons } => {
            let codes: Vec<CancellationCode> = reasons.iter().map(|r| r.code.clone()).collect();
            assert_eq!(
                codes,
                [CancellationCode::None, CancellationCode::ValidationError]
            );
        }
        other => panic!("expected a cancellation, got {other:?}"),
    }
}
