//! Unique fields and groups (`#[model(unique)]`): guard items written in the same transaction
//! as the model, moved when the value changes, released on delete.

use crate::has_transactions;
use crate::models::{Member, User};
use orm_core::backend::PutItem;
use orm_core::error::CancellationCode;
use orm_core::prelude::*;
use orm_core::unique::GUARD_ENTITY;

fn member(id: &str, email: &str) -> Member {
    Member {
        id: id.into(),
        email: email.into(),
        org: "acme".into(),
        handle: None,
        joined: String::new(),
    }
}

/// Asserts `result` is a `UniqueViolation` of `field` with the string value `value`, whose
/// message does not show the value.
fn assert_violation<T: std::fmt::Debug>(result: Result<T>, field: &str, value: Value) {
    match result {
        Err(e @ Error::UniqueViolation { .. }) => {
            let Error::UniqueViolation {
                entity,
                field: f,
                value: v,
            } = &e
            else {
                unreachable!()
            };
            assert_eq!((entity.as_str(), f.as_str(), v), ("Member", field, &value));
            let shown = e.to_string();
            if let Value::S(s) = &value {
                assert!(
                    !shown.contains(s.as_str()),
                    "the message shows the value: {shown}"
                );
            }
        }
        other => panic!("expected UniqueViolation on {field}, got {other:?}"),
    }
}

/// Stores member `ada` holding `ada@example.com`.
async fn store_ada(table: &Table) {
    member("ada", "ada@example.com")
        .create(table)
        .await
        .unwrap();
}

/// The guard items stored in the table (every entity's).
async fn guards(table: &Table) -> Vec<Item> {
    let guard = Value::from(GUARD_ENTITY);
    crate::limits::contents(table)
        .await
        .into_iter()
        .filter(|item| item.get("__entity") == Some(&guard))
        .collect()
}

/// A value held by one item cannot be claimed by another; absent values claim nothing; the
/// guards never show up in the model's reads.
pub async fn unique_values_are_claimed_once(table: &Table) {
    if !has_transactions(table, "unique_values_are_claimed_once") {
        return;
    }
    store_ada(table).await;
    let taken = member("eve", "ada@example.com").create(table).await;
    assert_violation(taken, "email", Value::from("ada@example.com"));
    assert!(Member::find(table, Member::key("eve"))
        .await
        .unwrap()
        .is_none());
    // Another key, another value: fine. Two members without a handle: fine.
    member("eve", "eve@example.com")
        .create(table)
        .await
        .unwrap();
    // The group: (org, handle) once per org.
    let mut bob = member("bob", "bob@example.com");
    bob.handle = Some("b#1".into());
    bob.create(table).await.unwrap();
    let mut rob = member("rob", "rob@example.com");
    rob.handle = Some("b#1".into());
    assert_violation(
        rob.clone().create(table).await,
        "org_handle",
        Value::L(vec!["acme".into(), "b#1".into()]),
    );
    rob.org = "globex".into();
    rob.create(table).await.unwrap();
    // A create whose key is taken is still AlreadyExists.
    let again = member("ada", "new@example.com").create(table).await;
    assert_error!(again, AlreadyExists);
    // 4 members: 4 emails, 2 handles; the model's reads never see the guards.
    assert_eq!(guards(table).await.len(), 6);
    assert_eq!(Member::scan(table).all().await.unwrap().len(), 4);
    for guard in guards(table).await {
        assert!(guard.get("owner_pk").is_some(), "{guard:?}");
    }
}

/// Several writers claim one value at once: exactly one wins, every other one gets
/// `UniqueViolation` (after retrying transaction conflicts, which DynamoDB may report first).
pub async fn concurrent_creates_of_one_value_one_wins(table: &Table) {
    if !has_transactions(table, "concurrent_creates_of_one_value_one_wins") {
        return;
    }
    let mut tasks = Vec::new();
    for i in 0..8 {
        let table = table.clone();
        tasks.push(tokio::spawn(async move {
            let mut attempts = 0;
            loop {
                attempts += 1;
                match member(&format!("m{i}"), "one@example.com")
                    .create(&table)
                    .await
                {
                    Err(e) if e.is_retryable() && attempts < 20 => {
                        tokio::time::sleep(std::time::Duration::from_millis(5 * attempts)).await
                    }
                    other => return other,
                }
            }
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(Error::UniqueViolation { field, .. }) => assert_eq!(field, "email"),
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one create may claim the value");
    assert_eq!(Member::scan(table).all().await.unwrap().len(), 1);
    assert_eq!(guards(table).await.len(), 1);
}

/// `save`, `save_changes` and `update` move a changed value's guard: the old value is free, the
/// new one taken, and a taken new value changes nothing.
pub async fn changing_a_unique_value_moves_its_guard(table: &Table) {
    if !has_transactions(table, "changing_a_unique_value_moves_its_guard") {
        return;
    }
    let mut ada = member("ada", "a1@example.com");
    ada.create(table).await.unwrap();
    member("eve", "e1@example.com").create(table).await.unwrap();
    let joined = ada.joined.clone();

    // save: a1 -> a2; a1 is free again, a2 taken. created_at kept.
    ada.email = "a2@example.com".into();
    ada.save(table).await.unwrap();
    assert_eq!(ada.joined, joined);
    member("x1", "a1@example.com").create(table).await.unwrap();
    assert_violation(
        member("x2", "a2@example.com").create(table).await,
        "email",
        "a2@example.com".into(),
    );
    // save to a taken value: refused, nothing changed.
    let mut clash = Member::get(table, Member::key("ada")).await.unwrap();
    clash.email = "e1@example.com".into();
    assert_violation(clash.save(table).await, "email", "e1@example.com".into());
    let stored = Member::get(table, Member::key("ada")).await.unwrap();
    assert_eq!(stored.email, "a2@example.com");

    // save_changes: a2 -> a3, and a handle appears.
    let before = stored.clone();
    let mut after = stored.clone();
    after.email = "a3@example.com".into();
    after.handle = Some("ada".into());
    table.save_changes(&before, &mut after).await.unwrap();
    member("x3", "a2@example.com").create(table).await.unwrap();
    let mut eve = Member::get(table, Member::key("eve")).await.unwrap();
    let before = eve.clone();
    eve.handle = Some("ada".into());
    assert_violation(
        table.save_changes(&before, &mut eve).await,
        "org_handle",
        Value::L(vec!["acme".into(), "ada".into()]),
    );

    // update: a3 -> a4; the handle removed (the group's guard released).
    Member::update(table, Member::key("ada"))
        .set("email", "a4@example.com")
        .remove("handle")
        .await
        .unwrap();
    member("x4", "a3@example.com").create(table).await.unwrap();
    let mut eve = Member::get(table, Member::key("eve")).await.unwrap();
    eve.handle = Some("ada".into());
    eve.save(table).await.unwrap();
    let taken = Member::update(table, Member::key("ada"))
        .set("email", "e1@example.com")
        .await;
    assert_violation(taken, "email", "e1@example.com".into());
    // An update of a unique field cannot return values (it is a transaction)...
    let returning = Member::update(table, Member::key("ada"))
        .set("email", "a5@example.com")
        .returning_new()
        .await;
    assert!(
        matches!(&returning, Err(Error::Validation { message }) if message.contains("unique")),
        "{returning:?}"
    );
    // ...and an update that changes no guarded value (ada has no handle) is a plain one.
    let renamed = Member::update(table, Member::key("ada"))
        .set("org", "acme")
        .returning_new()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.email, "a4@example.com");
    // Every member's values have exactly their guards: 5 members' emails, eve's handle.
    assert_eq!(guards(table).await.len(), 6);
}

/// Deleting a member releases its values, whichever way it is deleted.
pub async fn delete_releases_the_values(table: &Table) {
    if !has_transactions(table, "delete_releases_the_values") {
        return;
    }
    let mut ada = member("ada", "ada@example.com");
    ada.handle = Some("ada".into());
    ada.create(table).await.unwrap();
    ada.delete(table).await.unwrap();
    assert!(guards(table).await.is_empty());
    let mut again = member("eve", "ada@example.com");
    again.handle = Some("ada".into());
    again.create(table).await.unwrap();
    let deleted = Member::delete_key(table, Member::key("eve"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deleted.email, "ada@example.com");
    assert!(guards(table).await.is_empty());
    member("bob", "ada@example.com")
        .create(table)
        .await
        .unwrap();
    table
        .transaction()
        .delete::<Member>(Member::key("bob"))
        .commit()
        .await
        .unwrap();
    assert!(guards(table).await.is_empty());
    member("rob", "ada@example.com")
        .create(table)
        .await
        .unwrap();
    // Deleting an absent member is fine and touches no guard.
    Member::delete_key(table, Member::key("nobody"))
        .await
        .unwrap();
    assert_eq!(guards(table).await.len(), 1);
}

/// Transactions write the guards with their actions: a taken value cancels all of it, two
/// claims of one value in one transaction are refused, and reasons are numbered by the
/// caller's actions only.
pub async fn transactions_keep_the_guards(table: &Table) {
    if !has_transactions(table, "transactions_keep_the_guards") {
        return;
    }
    store_ada(table).await;
    let mut eve = member("eve", "ada@example.com");
    let mut bob = member("bob", "bob@example.com");
    let taken = table
        .transaction()
        .create(&mut bob)
        .create(&mut eve)
        .commit()
        .await;
    assert_violation(taken, "email", "ada@example.com".into());
    assert!(Member::find(table, Member::key("bob"))
        .await
        .unwrap()
        .is_none());

    let (mut one, mut two) = (
        member("one", "same@example.com"),
        member("two", "same@example.com"),
    );
    let twice = table
        .transaction()
        .create(&mut one)
        .create(&mut two)
        .commit()
        .await;
    assert_violation(twice, "email", "same@example.com".into());

    // A failed condition of the caller's own is reported at the caller's index.
    let mut rob = member("rob", "rob@example.com");
    let canceled = table
        .transaction()
        .create(&mut rob)
        .check::<User>(User::key("nobody"), attr("pk").exists())
        .commit()
        .await;
    match canceled {
        Err(Error::TransactionCanceled { reasons }) => {
            assert_eq!(reasons.len(), 2, "{reasons:?}");
            assert_eq!(reasons[1].index, 1);
            assert_eq!(reasons[1].code, CancellationCode::ConditionalCheckFailed);
        }
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
    // A put moving a value, and a delete, in one transaction.
    let mut ada = Member::get(table, Member::key("ada")).await.unwrap();
    ada.email = "ada2@example.com".into();
    let mut zed = member("zed", "zed@example.com");
    table
        .transaction()
        .put(&mut ada)
        .create(&mut zed)
        .commit()
        .await
        .unwrap();
    table
        .transaction()
        .delete::<Member>(Member::key("zed"))
        .update(Member::update(table, Member::key("ada")).set("email", "zed@example.com"))
        .commit()
        .await
        .unwrap();
    member("x", "ada@example.com").create(table).await.unwrap();
    member("y", "ada2@example.com").create(table).await.unwrap();
    assert_eq!(guards(table).await.len(), 3);
}

/// Batch writes cannot be conditional, so they cannot keep guards: refused before sending.
pub async fn batch_writes_of_unique_models_are_refused(table: &Table) {
    let mut members = vec![member("a", "a@example.com"), member("b", "b@example.com")];
    for result in [
        table.batch_create(&mut members).await,
        table.batch_put(&members).await,
        table.batch_delete::<Member, _>([Member::key("a")]).await,
    ] {
        assert!(
            matches!(&result, Err(Error::Validation { message }) if message.contains("unique")),
            "{result:?}"
        );
    }
    assert!(Member::scan(table).all().await.unwrap().is_empty());
}

/// Items stored without guards (before the constraint existed) get them from
/// `build_unique_guards`; a value two items hold is reported, and running it again changes
/// nothing.
pub async fn guards_are_built_for_existing_items(table: &Table) {
    if !has_transactions(table, "guards_are_built_for_existing_items") {
        return;
    }
    for (id, email) in [
        ("a", "a@example.com"),
        ("b", "b@example.com"),
        ("c", "a@example.com"),
    ] {
        let mut m = member(id, email);
        m.handle = Some(id.into());
        let item = table.layout().to_stored_item(&m).unwrap();
        table
            .backend()
            .put_item(PutItem::new(table.name(), item))
            .await
            .unwrap();
    }
    let report = table.build_unique_guards::<Member>().await.unwrap();
    assert_eq!(report.scanned, 3);
    // 3 handles and 2 emails claimed; one email is held twice.
    assert_eq!(report.claimed, 5, "{report:?}");
    assert_eq!(report.duplicates.len(), 1, "{report:?}");
    assert_eq!(report.duplicates[0].0, "email");
    let again = table.build_unique_guards::<Member>().await.unwrap();
    assert_eq!((again.claimed, again.unchanged), (0, 5), "{again:?}");
    // The guards hold: a new member cannot take b's email.
    assert_violation(
        member("d", "b@example.com").create(table).await,
        "email",
        "b@example.com".into(),
    );
    // A guard whose owner no longer holds the value (deleted without the ORM) is taken over
    // by the item that holds it.
    let (owner, holder) = if report.duplicates[0].1 == Member::key("a").unwrap() {
        ("c", "a")
    } else {
        ("a", "c")
    };
    let owner_key = table
        .layout()
        .key_item::<Member>(&Member::key(owner).unwrap())
        .unwrap();
    table
        .backend()
        .delete_item(&orm_core::backend::DeleteItem::new(table.name(), owner_key))
        .await
        .unwrap();
    let fixed = table.build_unique_guards::<Member>().await.unwrap();
    assert_eq!(fixed.reassigned, 1, "{fixed:?}");
    assert!(fixed.duplicates.is_empty());
    let holder = Member::get(table, Member::key(holder)).await.unwrap();
    holder.delete(table).await.unwrap();
    member("e", "a@example.com").create(table).await.unwrap();
}
