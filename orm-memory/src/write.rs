//! Single-item writes as three steps shared by every write path (put, update, delete, batch
//! writes and transactions): [`plan`] checks the request against its table, [`evaluate`] checks
//! the condition and computes the change without modifying anything, [`commit`] applies it.
//!
//! A transaction evaluates all its actions before committing any, which is what makes it atomic.

use crate::eval::{check_condition, eval};
use crate::key::PrimaryKey;
use crate::streams::Captured;
use crate::table::{Part, Schema};
use crate::update;
use orm_core::backend::{
    ConditionCheck, DeleteItem, PutItem, ReturnValues, TransactWriteAction, UpdateItem,
};
use orm_core::expr::{Condition, Update};
use orm_core::{Error, Item, Result};
use std::borrow::Cow;

/// What a planned write does once its condition holds.
#[derive(Debug)]
enum Kind<'a> {
    Put(&'a Item),
    Update { key: &'a Item, update: &'a Update },
    Delete,
    Check,
}

/// A write checked against its table, ready to evaluate.
#[derive(Debug)]
pub(crate) struct Planned<'a> {
    /// The key of the item written.
    pub(crate) key: PrimaryKey,
    kind: Kind<'a>,
    condition: Option<&'a Condition>,
    return_values: ReturnValues,
    return_item_on_failure: bool,
}

impl Planned<'_> {
    /// The size of the item a put writes (0 for other writes): what a put whose condition
    /// fails still costs, when larger than the item stored.
    pub(crate) fn put_size(&self) -> usize {
        match &self.kind {
            Kind::Put(item) => item.size(),
            _ => 0,
        }
    }
}

/// How a planned write changes its table.
#[derive(Debug)]
pub(crate) enum Change<'a> {
    /// Store this item (the request's own, or an update's result).
    Put(Cow<'a, Item>),
    /// Delete the item.
    Delete,
    /// Leave the table as it is.
    Nothing,
}

/// An evaluated write whose condition held.
#[derive(Debug)]
pub(crate) struct Ready<'a> {
    /// The key of the item written.
    pub(crate) key: PrimaryKey,
    /// The change to apply.
    pub(crate) change: Change<'a>,
    /// What the write returns (per its `return_values`).
    pub(crate) returned: Option<Item>,
}

/// Why an evaluated write cannot be applied.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The condition did not hold; the stored item, when asked for and present.
    Condition(Option<Item>),
    /// The write is invalid for the stored item (an update of the wrong type, an item grown too
    /// big...).
    Invalid(Error),
    /// An update whose condition held targets a key attribute (DynamoDB checks this late: a
    /// transaction is cancelled with a single `ValidationError` reason).
    KeyUpdate(Error),
    /// An update that leaves an index key holding an S/N/B of another type than the index's (a
    /// `ValidationError` cancellation reason in a transaction, the other actions still run).
    IndexKeyType(Error),
}

impl Failure {
    /// The error of a single (non-transactional) write.
    pub(crate) fn into_error(self) -> Error {
        match self {
            Failure::Condition(item) => Error::ConditionFailed {
                entity: None,
                item: item.map(Box::new),
            },
            Failure::Invalid(e) | Failure::KeyUpdate(e) | Failure::IndexKeyType(e) => e,
        }
    }
}

fn only_none_or_all_old(operation: &str, return_values: ReturnValues) -> Result<()> {
    match return_values {
        ReturnValues::None | ReturnValues::AllOld => Ok(()),
        other => Err(Error::validation(format!(
            "ReturnValues {other:?} is not valid for {operation}: only None and AllOld are"
        ))),
    }
}

fn check_optional(condition: &Option<Condition>) -> Result<()> {
    condition.as_ref().map_or(Ok(()), check_condition)
}

/// Plans a put: the item is checked as DynamoDB checks items.
pub(crate) fn plan_put<'a>(table: &Schema, request: &'a PutItem) -> Result<Planned<'a>> {
    only_none_or_all_old("PutItem", request.return_values)?;
    check_optional(&request.condition)?;
    let key = table.check_item(&request.item, false)?;
    Ok(Planned {
        key,
        kind: Kind::Put(&request.item),
        condition: request.condition.as_ref(),
        return_values: request.return_values,
        return_item_on_failure: request.return_item_on_condition_failure,
    })
}

/// Plans an update: the key and the update expression are checked.
pub(crate) fn plan_update<'a>(table: &Schema, request: &'a UpdateItem) -> Result<Planned<'a>> {
    check_optional(&request.condition)?;
    let key = table.key(&request.key)?;
    update::check_update(&request.update, &table.def)?;
    Ok(Planned {
        key,
        kind: Kind::Update {
            key: &request.key,
            update: &request.update,
        },
        condition: request.condition.as_ref(),
        return_values: request.return_values,
        return_item_on_failure: request.return_item_on_condition_failure,
    })
}

/// Plans a delete.
pub(crate) fn plan_delete<'a>(table: &Schema, request: &'a DeleteItem) -> Result<Planned<'a>> {
    only_none_or_all_old("DeleteItem", request.return_values)?;
    check_optional(&request.condition)?;
    Ok(Planned {
        key: table.key(&request.key)?,
        kind: Kind::Delete,
        condition: request.condition.as_ref(),
        return_values: request.return_values,
        return_item_on_failure: request.return_item_on_condition_failure,
    })
}

/// Plans a condition check (transactions only).
pub(crate) fn plan_check<'a>(table: &Schema, request: &'a ConditionCheck) -> Result<Planned<'a>> {
    check_condition(&request.condition)?;
    Ok(Planned {
        key: table.key(&request.key)?,
        kind: Kind::Check,
        condition: Some(&request.condition),
        return_values: ReturnValues::None,
        return_item_on_failure: request.return_item_on_condition_failure,
    })
}

/// The checks of a transaction action that DynamoDB makes on the request as a whole, before
/// looking at keys or items: expressions, attribute values and item size. A failure is a plain
/// `Validation` error, not a cancellation reason.
pub(crate) fn check_static(action: &TransactWriteAction, table: &Schema) -> Result<()> {
    match action {
        TransactWriteAction::Put(p) => {
            check_optional(&p.condition)?;
            crate::limits::check_item(&p.item, &table.limits, false)
        }
        TransactWriteAction::Update(u) => {
            check_optional(&u.condition)?;
            update::check_update(&u.update, &table.def)
        }
        TransactWriteAction::Delete(d) => check_optional(&d.condition),
        TransactWriteAction::ConditionCheck(c) => check_condition(&c.condition),
    }
}

/// Plans one action of a transaction (which returns nothing on success).
pub(crate) fn plan_action<'a>(
    table: &Schema,
    action: &'a TransactWriteAction,
) -> Result<Planned<'a>> {
    let mut planned = match action {
        TransactWriteAction::Put(p) => plan_put(table, p)?,
        TransactWriteAction::Update(u) => plan_update(table, u)?,
        TransactWriteAction::Delete(d) => plan_delete(table, d)?,
        TransactWriteAction::ConditionCheck(c) => plan_check(table, c)?,
    };
    planned.return_values = ReturnValues::None;
    Ok(planned)
}

/// Checks the condition against the stored item (an empty item when there is none; `table` is
/// the part holding its key) and computes the change and what the write returns, without
/// modifying the part.
///
/// The stored item is decoded only as far as needed: the attributes the condition reads, and
/// the whole item only for an update or to return it.
pub(crate) fn evaluate<'a>(
    table: &Part,
    planned: Planned<'a>,
) -> std::result::Result<Ready<'a>, Failure> {
    let old = table.get(&planned.key);
    if let Some(condition) = planned.condition {
        let subject = match old {
            Some(old) => table.select(old, &table.condition_selector(condition)),
            None => Item::new(),
        };
        if !eval(condition, &subject) {
            let item = old
                .filter(|_| planned.return_item_on_failure)
                .map(|old| table.decode(old));
            return Err(Failure::Condition(item));
        }
    }
    let all_old = || {
        old.filter(|_| planned.return_values == ReturnValues::AllOld)
            .map(|old| table.decode(old))
    };
    let (change, returned) = match planned.kind {
        Kind::Put(item) => (Change::Put(Cow::Borrowed(item)), all_old()),
        Kind::Delete => {
            let change = if old.is_some() {
                Change::Delete
            } else {
                Change::Nothing
            };
            (change, all_old())
        }
        Kind::Check => (Change::Nothing, None),
        Kind::Update { key, update } => {
            let schema = &*table.schema;
            update::check_key_targets(update, &schema.def).map_err(Failure::KeyUpdate)?;
            let old_item = old.map(|old| table.decode(old));
            let old_item = old_item.as_ref();
            let new = update::apply(old_item, key, update).map_err(Failure::Invalid)?;
            if let Some(new) = &new {
                schema.check_item(new, true).map_err(|e| {
                    if crate::key_type_mismatch_in(schema, new, true) {
                        Failure::IndexKeyType(e)
                    } else {
                        Failure::Invalid(e)
                    }
                })?;
            }
            let returned = update::returned(planned.return_values, old_item, new.as_ref(), update);
            (
                new.map_or(Change::Nothing, |new| Change::Put(Cow::Owned(new))),
                returned,
            )
        }
    };
    Ok(Ready {
        key: planned.key,
        change,
        returned,
    })
}

/// Applies an evaluated write to the part holding its item, and records it in the table's
/// stream, if it has one.
pub(crate) fn commit(table: &mut Part, ready: Ready) -> Option<Item> {
    let (returned, captured) = commit_captured(table, ready);
    if let Some(captured) = captured {
        table.record([captured]);
    }
    returned
}

/// Applies an evaluated write to the part holding its item; what it returns, and the change when
/// the table has a stream (to record with the other writes of a transaction or batch).
pub(crate) fn commit_captured(table: &mut Part, ready: Ready) -> (Option<Item>, Option<Captured>) {
    let captured = match ready.change {
        Change::Put(item) => table.put_captured(ready.key, &item),
        Change::Delete => table.delete_captured(&ready.key),
        Change::Nothing => None,
    };
    (ready.returned, captured)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{part_of, Table};
    use orm_core::backend::{KeyAttribute, KeyType, Limits, TableDefinition};
    use orm_core::expr::attr;

    fn table() -> Table {
        let def = TableDefinition::new("app", KeyAttribute::new("pk", KeyType::S), None);
        Table::new(def, Limits::default()).unwrap()
    }

    fn put(item: Item, condition: Option<Condition>) -> PutItem {
        PutItem::new("app", item)
            .with_condition(condition)
            .with_return_values(ReturnValues::AllOld)
            .with_return_item_on_condition_failure(true)
    }

    /// A request a test plans, evaluates and commits with [`run`].
    trait Request {
        fn plan<'a>(&'a self, table: &Schema) -> Result<Planned<'a>>;
    }

    impl Request for PutItem {
        fn plan<'a>(&'a self, table: &Schema) -> Result<Planned<'a>> {
            plan_put(table, self)
        }
    }

    impl Request for UpdateItem {
        fn plan<'a>(&'a self, table: &Schema) -> Result<Planned<'a>> {
            plan_update(table, self)
        }
    }

    impl Request for DeleteItem {
        fn plan<'a>(&'a self, table: &Schema) -> Result<Planned<'a>> {
            plan_delete(table, self)
        }
    }

    fn run(t: &Table, request: impl Request) -> std::result::Result<Option<Item>, Failure> {
        let planned = request.plan(&t.schema).unwrap();
        let mut part = t.write(part_of(&planned.key.pk));
        let ready = evaluate(&part, planned)?;
        Ok(commit(&mut part, ready))
    }

    #[test]
    fn conditions_see_the_stored_item_or_nothing() {
        let t = table();
        let a = Item::new().with("pk", "a").with("v", 1);
        let create = || put(a.clone(), Some(attr("pk").not_exists()));
        assert_eq!(run(&t, create()).unwrap(), None);
        match run(&t, create()) {
            Err(Failure::Condition(Some(item))) => assert_eq!(item, a),
            other => panic!("{other:?}"),
        }
        let mut quiet = create();
        quiet.return_item_on_condition_failure = false;
        assert!(matches!(run(&t, quiet), Err(Failure::Condition(None))));
        // A missing item fails with no item even when asked for.
        let absent = put(Item::new().with("pk", "b"), Some(attr("pk").exists()));
        assert!(matches!(run(&t, absent), Err(Failure::Condition(None))));
        // Overwrite returns the old item.
        let b = Item::new().with("pk", "a").with("v", 2);
        let old = run(&t, put(b, Some(attr("v").eq(1)))).unwrap();
        assert_eq!(old, Some(a));
    }

    #[test]
    fn return_values_are_checked_per_operation() {
        let t = table();
        let mut p = put(Item::new().with("pk", "a"), None);
        p.return_values = ReturnValues::AllNew;
        assert!(plan_put(&t.schema, &p).is_err());
        let d = DeleteItem::new("app", Item::new().with("pk", "a"))
            .with_return_values(ReturnValues::UpdatedOld);
        assert!(plan_delete(&t.schema, &d).is_err());
    }

    #[test]
    fn deletes_and_updates() {
        let t = table();
        let a = Item::new().with("pk", "a").with("v", 1);
        run(&t, put(a.clone(), None)).unwrap();
        let key = Item::new().with("pk", "a");
        let u = UpdateItem::new("app", key.clone(), Update::new().add(attr("v"), 1))
            .with_condition(attr("v").eq(1))
            .with_return_values(ReturnValues::UpdatedNew);
        let got = run(&t, u.clone()).unwrap();
        assert_eq!(got, Some(Item::new().with("v", 2)));
        assert!(matches!(run(&t, u), Err(Failure::Condition(None))));
        // An update that makes the item invalid is rejected as a whole.
        let big = Update::new().set(attr("big"), "x".repeat(400 * 1024));
        let grow = UpdateItem::new("app", key.clone(), big);
        match run(&t, grow) {
            Err(Failure::Invalid(e)) => assert!(e.to_string().contains("Item size to update")),
            other => panic!("{other:?}"),
        }
        let d = DeleteItem::new("app", key).with_return_values(ReturnValues::AllOld);
        let old = run(&t, d.clone()).unwrap();
        assert_eq!(old, Some(a.with("v", 2)));
        assert_eq!(run(&t, d).unwrap(), None);
        assert_eq!(t.len(), 0);
    }
}
