//! DynamoDB Local's known differences from DynamoDB (docs/server.md, "Where DynamoDB Local
//! differs from DynamoDB"): the only points where the comparison with DynamoDB Local is
//! normalised. MemoryBackend answers as DynamoDB does at each of them (the regression tests
//! check that answer on MemoryBackend and through the server); here DynamoDB Local's answer is
//! accepted in its place, and nothing else.
//!
//! 1. `UPDATED_OLD` / `UPDATED_NEW`: DynamoDB returns the updated paths nested in their
//!    hierarchy (`{a: {b: ..}}` for `SET a.b`), DynamoDB Local the whole top-level attributes.
//!    The same top-level attributes are returned; their values are not compared.
//! 2. An update of only `REMOVE` / `DELETE` actions on a missing item: DynamoDB creates nothing,
//!    DynamoDB Local creates the item from its key. The item DynamoDB Local created is deleted
//!    again after the step, and its `ALL_NEW` answer (that key) accepted for none. The stream
//!    records of such an item (DynamoDB Local's insert and our removal) are not compared.
//! 3. A transactional get of a key that does not match the schema: DynamoDB cancels with a
//!    `ValidationError` reason for that read (`None` for the others), DynamoDB Local with no
//!    reasons.

use crate::runner::{ErrorKind, Outcome};
use crate::{Op, TxOp};
use orm_core::backend::{DeleteItem, GetItem, ReturnValues};
use orm_core::error::CancellationCode;
use orm_core::expr::{Update, UpdateAction};
use orm_core::{Backend, Item, Value};

/// Whether `update` only removes (REMOVE / DELETE actions, at least one).
fn only_removes(update: &Update) -> bool {
    !update.actions.is_empty()
        && update
            .actions
            .iter()
            .all(|a| matches!(a, UpdateAction::Remove(_) | UpdateAction::Delete(..)))
}

/// The keys `op` updates with only removals (difference 2), before knowing whether they exist.
fn removal_only_keys(op: &Op) -> Vec<&Item> {
    match op {
        Op::Update { key, update, .. } if only_removes(update) => vec![key],
        Op::Transact(actions) => actions
            .iter()
            .filter_map(|a| match a {
                TxOp::Update(key, update, _) if only_removes(update) => Some(key),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The items `op` would create on DynamoDB Local and not on DynamoDB: its removal-only updates'
/// keys that the reference side (`reference`, table `table`) does not hold before the step.
pub(crate) async fn created_by_local_only(
    reference: &dyn Backend,
    table: &str,
    op: &Op,
) -> Vec<Item> {
    let mut keys = Vec::new();
    for key in removal_only_keys(op) {
        let got = reference.get_item(&GetItem::new(table, key.clone())).await;
        if matches!(got, Ok(None)) {
            keys.push(key.clone());
        }
    }
    keys
}

/// Deletes, on DynamoDB Local (`dynamo`), the items of `created` (difference 2), so that both
/// sides hold the same items again.
pub(crate) async fn undo(dynamo: &dyn Backend, table: &str, created: &[Item]) {
    for key in created {
        let _ = dynamo
            .delete_item(&DeleteItem::new(table, key.clone()))
            .await;
    }
}

/// Whether `memory` (DynamoDB's answer) and `dynamo` (DynamoDB Local's) differ only by one of
/// the known differences, for `op`, whose removal-only updates created `created` on DynamoDB
/// Local.
pub(crate) fn only_a_known_difference(
    op: &Op,
    memory: &Outcome,
    dynamo: &Outcome,
    created: &[Item],
) -> bool {
    match (op, memory, dynamo) {
        // 1. The same top-level attributes.
        (
            Op::Update {
                return_values: ReturnValues::UpdatedOld | ReturnValues::UpdatedNew,
                ..
            },
            Outcome::Item(m),
            Outcome::Item(d),
        ) => top_level_names(m.as_ref()) == top_level_names(d.as_ref()),
        // 2. DynamoDB Local's ALL_NEW answer is the key item it created.
        (Op::Update { key, .. }, Outcome::Item(None), Outcome::Item(Some(d))) => {
            created.contains(key) && d == key
        }
        // 3. No reasons for DynamoDB's ValidationError (and None) reasons.
        (
            Op::TransactGet(_),
            Outcome::Err(ErrorKind::TransactionCanceled(m)),
            Outcome::Err(ErrorKind::TransactionCanceled(d)),
        ) => {
            d.is_empty()
                && m.iter()
                    .any(|(code, _)| *code == CancellationCode::ValidationError)
                && m.iter().all(|(code, item)| {
                    item.is_none()
                        && matches!(
                            code,
                            CancellationCode::ValidationError | CancellationCode::None
                        )
                })
        }
        _ => false,
    }
}

fn top_level_names(item: Option<&Item>) -> Vec<String> {
    item.map(|i| i.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn known_differences_are_recognised_and_nothing_else() {
    let key = Item::new().with("pk", "p").with("sk", "a");
    let update = |update: Update, return_values| Op::Update {
        key: key.clone(),
        update,
        condition: None,
        return_values,
    };
    let paths = Item::new().with("m", Value::M([("b".to_string(), Value::from(1))].into()));
    let whole = Item::new().with(
        "m",
        Value::M(
            [
                ("b".to_string(), Value::from(1)),
                ("c".to_string(), Value::from(2)),
            ]
            .into(),
        ),
    );
    let set = Update::new().set(orm_core::attr("m.b"), 1);
    let updated = update(set.clone(), ReturnValues::UpdatedNew);
    let item = |i: &Item| Outcome::Item(Some(i.clone()));
    assert!(only_a_known_difference(
        &updated,
        &item(&paths),
        &item(&whole),
        &[]
    ));
    assert!(!only_a_known_difference(
        &updated,
        &item(&paths),
        &item(&Item::new().with("x", 1)),
        &[]
    ));
    assert!(!only_a_known_difference(
        &update(set, ReturnValues::AllNew),
        &item(&paths),
        &item(&whole),
        &[]
    ));
    let remove = update(
        Update::new().remove(orm_core::attr("x")),
        ReturnValues::AllNew,
    );
    assert_eq!(removal_only_keys(&remove), vec![&key]);
    assert!(only_a_known_difference(
        &remove,
        &Outcome::Item(None),
        &item(&key),
        std::slice::from_ref(&key)
    ));
    assert!(!only_a_known_difference(
        &remove,
        &Outcome::Item(None),
        &item(&key),
        &[]
    ));
    let get = Op::TransactGet(vec![key.clone()]);
    let canceled = |codes: Vec<CancellationCode>| {
        Outcome::Err(ErrorKind::TransactionCanceled(
            codes.into_iter().map(|c| (c, None)).collect(),
        ))
    };
    assert!(only_a_known_difference(
        &get,
        &canceled(vec![
            CancellationCode::None,
            CancellationCode::ValidationError
        ]),
        &canceled(vec![]),
        &[]
    ));
    assert!(!only_a_known_difference(
        &get,
        &canceled(vec![CancellationCode::ConditionalCheckFailed]),
        &canceled(vec![]),
        &[]
    ));
}
