//! Update expressions (`SET`, `REMOVE`, `ADD`, `DELETE`) applied with DynamoDB's semantics.
//!
//! An update is checked up front ([`check_update`]), then [`apply`] computes the new item from
//! the stored one without touching it: every right-hand side reads the item as it was *before*
//! the update (so `SET x = :v, y = x` reads the old `x`), list indexes refer to positions before
//! any removal, and any error leaves nothing applied.

use crate::eval::{check_disjoint_paths, check_path, resolve, step};
use crate::limits;
use orm_core::backend::{Limits, ReturnValues, TableDefinition};
use orm_core::expr::{Path, PathElement, SetOperand, SetValue, Update, UpdateAction};
use orm_core::{Error, Item, Result, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

fn incorrect_operand(op: &str, value: &Value) -> Error {
    Error::validation(format!(
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or \
         function: {op}, operand type: {}",
        value.value_type()
    ))
}

fn invalid_path(path: &Path) -> Error {
    Error::validation(format!(
        "The document path provided in the update expression is invalid for update: {path}"
    ))
}

fn missing_attribute(path: &Path) -> Error {
    Error::validation(format!(
        "The provided expression refers to an attribute that does not exist in the item: {path}"
    ))
}

/// How DynamoDB's message for an `ADD` or `DELETE` whose operand does not fit the stored
/// value begins.
pub(crate) const WRONG_OPERAND_TYPE: &str =
    "An operand in the update expression has an incorrect data type";

fn wrong_type(op: &str, path: &Path, existing: &Value, operand: &Value) -> Error {
    Error::validation(format!(
        "{WRONG_OPERAND_TYPE}: {op} of a {} to attribute `{path}` of type {}",
        operand.value_type(),
        existing.value_type()
    ))
}

/// Checks an update for what DynamoDB rejects before reading the item: no actions, overlapping
/// or conflicting paths, `if_not_exists(a, a)`, and literals of a type their operator cannot
/// take (`+`/`-` take N, `list_append` L, `ADD` N or a set, `DELETE` a set; empty sets never).
/// (`size()` in an update is rejected when it is parsed: the AST cannot hold it.)
pub(crate) fn check_update(update: &Update, _definition: &TableDefinition) -> Result<()> {
    // No action is valid (UpdateItem without an UpdateExpression); overlapping paths are
    // checked below, with DynamoDB's message.
    if !update.is_empty() {
        update.validate()?;
    }
    check_disjoint_paths(
        update.actions.iter().map(UpdateAction::path),
        "UpdateExpression",
    )?;
    let limits = Limits::default();
    for action in &update.actions {
        let path = action.path();
        check_path(path)?;
        if !matches!(path.elements().first(), Some(PathElement::Name(_))) {
            return Err(invalid_path(path));
        }
        match action {
            UpdateAction::Set(_, value) => {
                // A literal operand of `+`, `-` or `list_append` must be of the type it takes
                // (a fallback of `if_not_exists` is checked only if it is used).
                let typed = |o: &SetOperand, op: &str, takes: fn(&Value) -> bool| match o {
                    SetOperand::Value(v) if !takes(v) => Err(incorrect_operand(op, v)),
                    SetOperand::Value(_) | SetOperand::Path(_) | SetOperand::IfNotExists(..) => {
                        Ok(())
                    }
                };
                let number = |v: &Value| matches!(v, Value::N(_));
                let list = |v: &Value| matches!(v, Value::L(_));
                match value {
                    SetValue::Operand(o) => check_operand(o, &limits)?,
                    SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
                        let op = if matches!(value, SetValue::Plus(..)) {
                            "+"
                        } else {
                            "-"
                        };
                        for o in [a, b] {
                            check_operand(o, &limits)?;
                            typed(o, op, number)?;
                        }
                    }
                    SetValue::ListAppend(a, b) => {
                        for o in [a, b] {
                            check_operand(o, &limits)?;
                            typed(o, "list_append", list)?;
                        }
                    }
                }
            }
            UpdateAction::Remove(_) => {}
            UpdateAction::Add(_, v) => {
                if !matches!(v, Value::N(_) | Value::Ss(_) | Value::Ns(_) | Value::Bs(_)) {
                    return Err(incorrect_operand("ADD", v));
                }
                limits::check_value("expression value", v, &limits)?;
            }
            UpdateAction::Delete(_, v) => {
                if !matches!(v, Value::Ss(_) | Value::Ns(_) | Value::Bs(_)) {
                    return Err(incorrect_operand("DELETE", v));
                }
                limits::check_value("expression value", v, &limits)?;
            }
        }
    }
    Ok(())
}

/// Checks an operand of a `SET` value, nested functions included: literals within DynamoDB's
/// limits, paths with names, and no `if_not_exists(a, a)`.
fn check_operand(operand: &SetOperand, limits: &Limits) -> Result<()> {
    match operand {
        SetOperand::Value(v) => limits::check_value("expression value", v, limits),
        SetOperand::Path(p) => check_path(p),
        SetOperand::IfNotExists(p, fallback) => {
            check_path(p)?;
            // `if_not_exists(a, a)` (only this function: `a + a` is fine), regression test
            // `regression_if_not_exists_of_itself_is_rejected`.
            if matches!(&**fallback, SetOperand::Path(f) if f == p) {
                return Err(Error::validation(format!(
                    "Invalid UpdateExpression: The first operand must be distinct from the \
                     remaining operands for this operator or function; operator: \
                     if_not_exists, first operand: {p}"
                )));
            }
            check_operand(fallback, limits)
        }
    }
}

/// Rejects an update of a key attribute. DynamoDB checks this only after the condition held
/// (regression test `regression_key_update_checked_after_condition`).
pub(crate) fn check_key_targets(update: &Update, definition: &TableDefinition) -> Result<()> {
    for action in &update.actions {
        let root = action.path().root();
        let is_key = root == definition.partition_key.name
            || definition.sort_key.as_ref().is_some_and(|s| s.name == root);
        if is_key {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {root}. This \
                 attribute is part of the key"
            )));
        }
    }
    Ok(())
}

/// Reads an operand of a `SET` right-hand side from the item as it was before the update.
fn read<'a>(item: &'a Item, operand: &'a SetOperand) -> Result<Cow<'a, Value>> {
    match operand {
        SetOperand::Value(v) => Ok(Cow::Borrowed(v)),
        SetOperand::Path(p) => resolve(item, p)
            .map(Cow::Borrowed)
            .ok_or_else(|| missing_attribute(p)),
        SetOperand::IfNotExists(path, fallback) => {
            // DynamoDB resolves the fallback even when the path exists: a fallback path that
            // does not resolve is an error either way (regression test
            // `regression_if_not_exists_reads_its_fallback`).
            let fallback = read(item, fallback)?;
            Ok(match resolve(item, path) {
                Some(v) => Cow::Borrowed(v),
                None => fallback,
            })
        }
    }
}

fn set_value(item: &Item, value: &SetValue) -> Result<Value> {
    Ok(match value {
        SetValue::Operand(o) => read(item, o)?.into_owned(),
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
            let plus = matches!(value, SetValue::Plus(..));
            let (a, b) = (read(item, a)?, read(item, b)?);
            let (Value::N(x), Value::N(y)) = (&*a, &*b) else {
                let bad = if matches!(&*a, Value::N(_)) { &b } else { &a };
                return Err(Error::validation(format!(
                    "An operand in the update expression has an incorrect data type: {} takes \
                     numbers, got {}",
                    if plus { "+" } else { "-" },
                    bad.value_type()
                )));
            };
            let result = if plus {
                x.checked_add(y)
            } else {
                x.checked_sub(y)
            };
            Value::N(result.map_err(|e| {
                Error::validation(format!("Number overflow or precision loss in update: {e}"))
            })?)
        }
        SetValue::ListAppend(a, b) => {
            let (a, b) = (read(item, a)?, read(item, b)?);
            match (&*a, &*b) {
                (Value::L(x), Value::L(y)) => Value::L(x.iter().chain(y).cloned().collect()),
                (Value::L(_), other) | (other, _) => {
                    return Err(incorrect_operand("list_append", other))
                }
            }
        }
    })
}

/// Orders paths element by element, list indexes numerically.
fn path_cmp(a: &Path, b: &Path) -> Ordering {
    for (x, y) in a.elements().iter().zip(b.elements()) {
        let o = match (x, y) {
            (PathElement::Name(x), PathElement::Name(y)) => x.cmp(y),
            (PathElement::Index(x), PathElement::Index(y)) => x.cmp(y),
            (PathElement::Name(_), PathElement::Index(_)) => Ordering::Less,
            (PathElement::Index(_), PathElement::Name(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.elements().len().cmp(&b.elements().len())
}

fn step_mut<'a>(value: &'a mut Value, element: &PathElement) -> Option<&'a mut Value> {
    match (value, element) {
        (Value::M(m), PathElement::Name(name)) => m.get_mut(name),
        (Value::L(l), PathElement::Index(i)) => l.get_mut(*i),
        _ => None,
    }
}

/// The container holding the last element of `path` (its parent must exist).
fn parent_mut<'a>(item: &'a mut Item, path: &Path) -> Result<&'a mut Value> {
    let elements = path.elements();
    let mut current = item
        .get_mut(path.root())
        .ok_or_else(|| invalid_path(path))?;
    for element in &elements[1..elements.len() - 1] {
        current = step_mut(current, element).ok_or_else(|| invalid_path(path))?;
    }
    Ok(current)
}

/// `SET`: a list index past the end appends.
fn assign(item: &mut Item, path: &Path, value: Value) -> Result<()> {
    if path.is_top_level() {
        item.insert(path.root().to_owned(), value);
        return Ok(());
    }
    let last = path.elements().last().expect("paths are never empty");
    match (parent_mut(item, path)?, last) {
        (Value::M(m), PathElement::Name(name)) => {
            m.insert(name.clone(), value);
        }
        (Value::L(l), PathElement::Index(i)) => match l.get_mut(*i) {
            Some(slot) => *slot = value,
            None => l.push(value),
        },
        _ => return Err(invalid_path(path)),
    }
    Ok(())
}

/// `REMOVE`: a missing leaf (map key, list index past the end) is a no-op; a missing parent or
/// a parent of the wrong type is an error.
fn remove(item: &mut Item, path: &Path) -> Result<()> {
    if path.is_top_level() {
        item.remove(path.root());
        return Ok(());
    }
    let last = path.elements().last().expect("paths are never empty");
    match (parent_mut(item, path)?, last) {
        (Value::M(m), PathElement::Name(name)) => {
            m.remove(name);
        }
        (Value::L(l), PathElement::Index(i)) => {
            if *i < l.len() {
                l.remove(*i);
            }
        }
        _ => return Err(invalid_path(path)),
    }
    Ok(())
}

fn add(path: &Path, existing: Option<&Value>, operand: &Value) -> Result<Value> {
    let Some(existing) = existing else {
        // A missing attribute is 0 for numbers and the empty set for sets.
        return Ok(operand.clone());
    };
    Ok(match (existing, operand) {
        (Value::N(a), Value::N(b)) => Value::N(a.checked_add(b).map_err(|e| {
            Error::validation(format!("Number overflow or precision loss in ADD: {e}"))
        })?),
        (Value::Ss(a), Value::Ss(b)) => Value::Ss(a.union(b).cloned().collect()),
        (Value::Ns(a), Value::Ns(b)) => Value::Ns(a.union(b).cloned().collect()),
        (Value::Bs(a), Value::Bs(b)) => Value::Bs(a.union(b).cloned().collect()),
        _ => return Err(wrong_type("ADD", path, existing, operand)),
    })
}

/// `DELETE`: the set difference; `None` when nothing is left (the attribute is removed).
fn delete(path: &Path, existing: &Value, operand: &Value) -> Result<Option<Value>> {
    let result = match (existing, operand) {
        (Value::Ss(a), Value::Ss(b)) => Value::Ss(a.difference(b).cloned().collect()),
        (Value::Ns(a), Value::Ns(b)) => Value::Ns(a.difference(b).cloned().collect()),
        (Value::Bs(a), Value::Bs(b)) => Value::Bs(a.difference(b).cloned().collect()),
        _ => return Err(wrong_type("DELETE", path, existing, operand)),
    };
    let empty = match &result {
        Value::Ss(s) => s.is_empty(),
        Value::Ns(s) => s.is_empty(),
        Value::Bs(s) => s.is_empty(),
        _ => false,
    };
    Ok((!empty).then_some(result))
}

/// Computes the item after a (checked) update: `None` when there is no item to store.
///
/// `old` is the stored item, `key` the request's key (the item starts as just its key when
/// absent). A missing item is created, as DynamoDB does, by an update that writes something
/// and by an update with no action at all; an update of only `REMOVE` and `DELETE` actions
/// leaves a missing item missing (DynamoDB creates nothing then, unlike DynamoDB Local: see
/// docs/server.md's known differences).
pub(crate) fn apply(old: Option<&Item>, key: &Item, update: &Update) -> Result<Option<Item>> {
    let before: &Item = old.unwrap_or(key);
    let mut writes: Vec<(&Path, Value)> = Vec::new();
    let mut removals: Vec<&Path> = Vec::new();
    for action in &update.actions {
        match action {
            UpdateAction::Set(path, value) => writes.push((path, set_value(before, value)?)),
            UpdateAction::Remove(path) => removals.push(path),
            UpdateAction::Add(path, value) => {
                writes.push((path, add(path, resolve(before, path), value)?));
            }
            UpdateAction::Delete(path, value) => match resolve(before, path) {
                Some(existing) => match delete(path, existing, value)? {
                    Some(rest) => writes.push((path, rest)),
                    None => removals.push(path),
                },
                // A missing leaf is a no-op, a missing parent an error (regression test
                // `regression_nested_update_of_missing_parent_is_rejected`).
                None if !path.is_top_level() => {
                    let elements = path.elements();
                    let parent = before.get(path.root()).and_then(|root| {
                        elements[1..elements.len() - 1]
                            .iter()
                            .try_fold(root, |v, e| step(v, e))
                    });
                    match (parent, elements.last()) {
                        (Some(Value::M(_)), Some(PathElement::Name(_)))
                        | (Some(Value::L(_)), Some(PathElement::Index(_))) => {}
                        _ => return Err(invalid_path(path)),
                    }
                }
                None => {}
            },
        }
    }
    let only_removes = !update.is_empty()
        && update
            .actions
            .iter()
            .all(|a| matches!(a, UpdateAction::Remove(_) | UpdateAction::Delete(..)));
    let mut item = before.clone();
    // Appends past the end of a list land in index order; removals go from the highest index
    // down so that every index refers to the list as it was.
    writes.sort_by(|a, b| path_cmp(a.0, b.0));
    for (path, value) in writes {
        assign(&mut item, path, value)?;
    }
    removals.sort_by(|a, b| path_cmp(b, a));
    for path in removals {
        remove(&mut item, path)?;
    }
    // Checked like any update (a nested path still needs its parent), but nothing to store.
    if old.is_none() && only_removes {
        return Ok(None);
    }
    Ok(Some(item))
}

/// What an update returns for `return_values`: whole items, or (`Updated*`) the updated
/// attributes of the old or new item ([`updated_attributes`]), `None` when that is empty.
pub(crate) fn returned(
    return_values: ReturnValues,
    old: Option<&Item>,
    new: Option<&Item>,
    update: &Update,
) -> Option<Item> {
    let picked = match return_values {
        ReturnValues::None => None,
        ReturnValues::AllOld => old.cloned(),
        ReturnValues::AllNew => new.cloned(),
        ReturnValues::UpdatedOld => old.map(|o| updated_attributes(o, update)),
        ReturnValues::UpdatedNew => new.map(|n| updated_attributes(n, update)),
    };
    picked.filter(|item| !item.is_empty())
}

/// `UPDATED_OLD` / `UPDATED_NEW` as DynamoDB answers them: `item` (the old item or the new one)
/// projected on the paths the actions updated, each nested in its hierarchy, as a projection
/// expression of those paths would return it. So `SET a.b = :v` returns `{a: {b: ..}}` and
/// `SET a.c[1] = :v` returns `{a: {c: [..]}}` (DynamoDB Local returns the whole top-level `a`:
/// see docs/server.md's known differences); a path that is not in the item adds nothing (a new
/// attribute in the old item, a removed one in the new item).
fn updated_attributes(item: &Item, update: &Update) -> Item {
    let paths: Vec<Path> = update
        .actions
        .iter()
        .map(|action| action.path().clone())
        .collect();
    crate::eval::project(item, &paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use orm_core::backend::{KeyAttribute, KeyType};
    use orm_core::expr::attr;
    use orm_core::Number;
    use std::collections::{BTreeMap, BTreeSet};

    fn def() -> TableDefinition {
        let (pk, sk) = (
            KeyAttribute::new("pk", KeyType::S),
            KeyAttribute::new("sk", KeyType::S),
        );
        TableDefinition::new("t", pk, Some(sk))
    }

    fn key() -> Item {
        Item::new().with("pk", "p").with("sk", "s")
    }

    fn ss(v: &[&str]) -> Value {
        Value::Ss(v.iter().map(|s| s.to_string()).collect())
    }

    fn list(v: Vec<Value>) -> Value {
        Value::L(v)
    }

    fn map(v: Vec<(&str, Value)>) -> Value {
        Value::M(v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    fn run(old: Option<&Item>, update: Update) -> Result<Option<Item>> {
        check_update(&update, &def())?;
        apply(old, &key(), &update)
    }

    fn ints(v: &[i64]) -> Value {
        list(v.iter().map(|i| Value::from(*i)).collect())
    }

    #[test]
    fn set_and_copy_read_the_old_item() {
        let old = key().with("a", "hello");
        let new = run(Some(&old), Update::new().set(attr("b"), attr("a")))
            .unwrap()
            .unwrap();
        assert_eq!(new, old.clone().with("b", "hello"));
        // `SET x = :v, y = x` reads the old x, which does not exist.
        let err = run(
            Some(&old),
            Update::new().set(attr("x"), 4).set(attr("y"), attr("x")),
        )
        .unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        // REMOVE a SET b = a copies the old a.
        let new = run(
            Some(&old),
            Update::new().remove(attr("a")).set(attr("c"), attr("a")),
        )
        .unwrap()
        .unwrap();
        assert_eq!(new, key().with("c", "hello"));
    }

    #[test]
    fn arithmetic() {
        let old = key().with("n", 2).with("s", "x");
        let plus = SetValue::Plus(attr("n").into(), 3.into());
        let new = run(Some(&old), Update::new().set_expr(attr("n"), plus))
            .unwrap()
            .unwrap();
        assert_eq!(new.get("n"), Some(&Value::from(5)));
        let minus = SetValue::Minus(7.into(), attr("n").into());
        let new = run(Some(&old), Update::new().set_expr(attr("m"), minus))
            .unwrap()
            .unwrap();
        assert_eq!(new.get("m"), Some(&Value::from(5)));
        // A string operand (literal or stored) is an error.
        let bad = SetValue::Plus("a".into(), 1.into());
        assert!(run(Some(&old), Update::new().set_expr(attr("n"), bad)).is_err());
        let bad = SetValue::Plus(attr("s").into(), 1.into());
        assert!(run(Some(&old), Update::new().set_expr(attr("n"), bad)).is_err());
        // A missing operand is an error, not 0.
        let bad = SetValue::Plus(attr("missing").into(), 1.into());
        assert!(run(Some(&old), Update::new().set_expr(attr("n"), bad)).is_err());
        // if_not_exists + 1: the counter idiom.
        let counter = SetValue::if_not_exists(attr("c"), 0);
        let new = run(Some(&old), Update::new().set_expr(attr("c"), counter))
            .unwrap()
            .unwrap();
        assert_eq!(new.get("c"), Some(&Value::from(0)));
    }

    /// Function calls as operands (`SET c = if_not_exists(c, :zero) + :one`) and nested
    /// (`list_append(if_not_exists(l, :empty), :new)`, `if_not_exists(a, if_not_exists(b, :v))`),
    /// as DynamoDB evaluates them: against the item before the update.
    #[test]
    fn function_calls_as_operands() {
        let counter = || {
            Update::new().set_expr(
                attr("c"),
                SetValue::Plus(SetOperand::if_not_exists(attr("c"), 0), 1.into()),
            )
        };
        let missing = key();
        let new = run(Some(&missing), counter()).unwrap().unwrap();
        assert_eq!(new.get("c"), Some(&Value::from(1)));
        let new = run(Some(&new), counter()).unwrap().unwrap();
        assert_eq!(new.get("c"), Some(&Value::from(2)));

        let left = Update::new().set_expr(
            attr("r"),
            SetValue::Minus(10.into(), SetOperand::if_not_exists(attr("c"), 0)),
        );
        let new = run(Some(&key().with("c", 3)), left).unwrap().unwrap();
        assert_eq!(new.get("r"), Some(&Value::from(7)));

        let append = || {
            Update::new().set_expr(
                attr("l"),
                SetValue::ListAppend(
                    SetOperand::if_not_exists(attr("l"), Value::L(vec![])),
                    Value::L(vec!["x".into()]).into(),
                ),
            )
        };
        let new = run(Some(&missing), append()).unwrap().unwrap();
        assert_eq!(new.get("l"), Some(&Value::L(vec!["x".into()])));
        let new = run(Some(&new), append()).unwrap().unwrap();
        assert_eq!(new.get("l"), Some(&Value::L(vec!["x".into(), "x".into()])));

        let nested = Update::new().set_expr(
            attr("a"),
            SetValue::if_not_exists(attr("a"), SetOperand::if_not_exists(attr("b"), 9)),
        );
        let new = run(Some(&key().with("b", 4)), nested.clone())
            .unwrap()
            .unwrap();
        assert_eq!(new.get("a"), Some(&Value::from(4)));
        let new = run(Some(&missing), nested).unwrap().unwrap();
        assert_eq!(new.get("a"), Some(&Value::from(9)));

        // A fallback of the wrong type is an error only where it is used.
        let typed = || {
            Update::new().set_expr(
                attr("c"),
                SetValue::Plus(SetOperand::if_not_exists(attr("c"), "x"), 1.into()),
            )
        };
        assert!(check_update(&typed(), &def()).is_ok());
        let new = run(Some(&key().with("c", 1)), typed()).unwrap().unwrap();
        assert_eq!(new.get("c"), Some(&Value::from(2)));
        let err = run(Some(&missing), typed()).unwrap_err().to_string();
        assert!(err.contains("incorrect data type"), "{err}");
        // A fallback path that does not resolve is an error even when the path exists.
        let unresolved = Update::new().set_expr(
            attr("c"),
            SetValue::Plus(SetOperand::if_not_exists(attr("c"), attr("nope")), 1.into()),
        );
        assert!(run(Some(&key().with("c", 1)), unresolved).is_err());
    }

    #[test]
    fn arithmetic_keeps_38_digits() {
        let big = Number::parse(&"9".repeat(38)).unwrap();
        let old = key().with("n", big.clone());
        let err = run(
            Some(&old),
            Update::new().set_expr(attr("n"), SetValue::Plus(attr("n").into(), 1.into())),
        );
        // 10^38 has one significant digit, so it is fine; adding 0.1 is not.
        assert!(err.is_ok());
        let tenth = Number::parse("0.1").unwrap();
        let err = run(
            Some(&old),
            Update::new().set_expr(attr("n"), SetValue::Plus(attr("n").into(), tenth.into())),
        );
        assert!(err.is_err());
    }

    #[test]
    fn if_not_exists_and_list_append() {
        let old = key().with("a", 2).with("l", ints(&[1, 2]));
        let u = Update::new()
            .set_expr(attr("a"), SetValue::if_not_exists(attr("a"), 9))
            .set_expr(attr("b"), SetValue::if_not_exists(attr("zz"), 9))
            .set_expr(
                attr("l"),
                SetValue::ListAppend(attr("l").into(), ints(&[3]).into()),
            )
            .set_expr(
                attr("m"),
                SetValue::ListAppend(ints(&[0]).into(), attr("l").into()),
            );
        let new = run(Some(&old), u).unwrap().unwrap();
        assert_eq!(new.get("a"), Some(&Value::from(2)));
        assert_eq!(new.get("b"), Some(&Value::from(9)));
        assert_eq!(new.get("l"), Some(&ints(&[1, 2, 3])));
        assert_eq!(new.get("m"), Some(&ints(&[0, 1, 2])));
        let bad = SetValue::ListAppend(attr("a").into(), ints(&[1]).into());
        assert!(run(Some(&old), Update::new().set_expr(attr("x"), bad)).is_err());
        let bad = SetValue::ListAppend(attr("nope").into(), ints(&[1]).into());
        assert!(run(Some(&old), Update::new().set_expr(attr("x"), bad)).is_err());
        let bad = SetValue::ListAppend("s".into(), ints(&[1]).into());
        assert!(check_update(&Update::new().set_expr(attr("x"), bad), &def()).is_err());
    }

    #[test]
    fn nested_set_and_remove() {
        let old = key().with("a", map(vec![("b", 3.into()), ("c", ints(&[1, 2, 3]))]));
        let u = Update::new()
            .set(attr("a.d"), "new")
            .set(attr("a.c[1]"), 20)
            .remove(attr("a.b"));
        let new = run(Some(&old), u).unwrap().unwrap();
        assert_eq!(
            new.get("a"),
            Some(&map(vec![("c", ints(&[1, 20, 3])), ("d", "new".into())]))
        );
        // The parent must exist, with the right type.
        for bad in [
            Update::new().set(attr("x.y"), 1),
            Update::new().set(attr("a.b.c"), 1),
            Update::new().set(attr("a.c.x"), 1),
            Update::new().set(attr("a[0]"), 1),
            Update::new().remove(attr("x.y")),
            Update::new().remove(attr("a.b[0]")),
        ] {
            let err = run(Some(&old), bad).unwrap_err();
            assert!(err.to_string().contains("document path"), "{err}");
        }
        // A missing leaf is fine for REMOVE.
        let same = run(
            Some(&old),
            Update::new()
                .remove(attr("a.zz"))
                .remove(attr("a.c[9]"))
                .remove(attr("q")),
        )
        .unwrap()
        .unwrap();
        assert_eq!(same, old);
        // Removing the only member leaves an empty map.
        let one = key().with("m", map(vec![("b", 1.into())]));
        let new = run(Some(&one), Update::new().remove(attr("m.b")))
            .unwrap()
            .unwrap();
        assert_eq!(new.get("m"), Some(&Value::M(BTreeMap::new())));
    }

    #[test]
    fn list_indexes_refer_to_the_old_list() {
        let old = key().with("a", ints(&[2, 3, 4, 5, 6, 7]));
        for u in [
            Update::new().remove(attr("a[1]")).set(attr("a[3]"), 17),
            Update::new().set(attr("a[3]"), 17).remove(attr("a[1]")),
        ] {
            let new = run(Some(&old), u).unwrap().unwrap();
            assert_eq!(new.get("a"), Some(&ints(&[2, 4, 17, 6, 7])));
        }
        let new = run(
            Some(&old),
            Update::new().remove(attr("a[1]")).remove(attr("a[4]")),
        )
        .unwrap()
        .unwrap();
        assert_eq!(new.get("a"), Some(&ints(&[2, 4, 5, 7])));
        // Setting past the end appends, several in index order.
        let old = key().with("a", ints(&[1, 2, 3]));
        let new = run(
            Some(&old),
            Update::new()
                .set(attr("a[84]"), 84)
                .set(attr("a[37]"), 37)
                .set(attr("a[17]"), 17)
                .set(attr("a[50]"), 50),
        )
        .unwrap()
        .unwrap();
        assert_eq!(new.get("a"), Some(&ints(&[1, 2, 3, 17, 37, 50, 84])));
    }

    #[test]
    fn add_numbers_and_sets() {
        let old = key()
            .with("n", 3)
            .with("s", ss(&["a", "b"]))
            .with("str", "x");
        let u = Update::new()
            .add(attr("n"), 4)
            .add(attr("new"), 8)
            .add(attr("s"), ss(&["b", "c"]))
            .add(attr("fresh"), ss(&["z"]));
        let new = run(Some(&old), u).unwrap().unwrap();
        assert_eq!(new.get("n"), Some(&Value::from(7)));
        assert_eq!(new.get("new"), Some(&Value::from(8)));
        assert_eq!(new.get("s"), Some(&ss(&["a", "b", "c"])));
        assert_eq!(new.get("fresh"), Some(&ss(&["z"])));
        // Wrong operand or stored type.
        assert!(check_update(&Update::new().add(attr("n"), "x"), &def()).is_err());
        assert!(check_update(&Update::new().add(attr("n"), ints(&[1])), &def()).is_err());
        assert!(run(Some(&old), Update::new().add(attr("str"), 1)).is_err());
        assert!(run(Some(&old), Update::new().add(attr("n"), ss(&["a"]))).is_err());
        let ns = Value::Ns(BTreeSet::from([Number::from(1)]));
        assert!(run(Some(&old), Update::new().add(attr("s"), ns)).is_err());
        assert!(check_update(
            &Update::new().add(attr("s"), Value::Ss(BTreeSet::new())),
            &def()
        )
        .is_err());
    }

    #[test]
    fn delete_from_sets() {
        let old = key().with("s", ss(&["dog", "cat", "mouse"])).with("n", 1);
        let new = run(
            Some(&old),
            Update::new().delete(attr("s"), ss(&["cat", "mouse", "pig"])),
        )
        .unwrap()
        .unwrap();
        assert_eq!(new.get("s"), Some(&ss(&["dog"])));
        // Deleting every element removes the attribute.
        let new = run(
            Some(&old),
            Update::new().delete(attr("s"), ss(&["dog", "cat", "mouse"])),
        )
        .unwrap()
        .unwrap();
        assert_eq!(new.get("s"), None);
        // From a missing attribute: nothing happens.
        let same = run(Some(&old), Update::new().delete(attr("zz"), ss(&["a"])))
            .unwrap()
            .unwrap();
        assert_eq!(same, old);
        assert!(check_update(&Update::new().delete(attr("s"), "dog"), &def()).is_err());
        assert!(check_update(
            &Update::new().delete(attr("s"), Value::Ss(BTreeSet::new())),
            &def()
        )
        .is_err());
        assert!(run(Some(&old), Update::new().delete(attr("n"), ss(&["a"]))).is_err());
    }

    #[test]
    fn static_checks() {
        for u in [
            Update::new().set(attr("pk"), "x"),
            Update::new().remove(attr("sk")),
            Update::new().add(attr("sk"), 1),
        ] {
            let err = check_key_targets(&u, &def()).unwrap_err().to_string();
            assert!(err.contains("part of the key"), "{err}");
        }
        for (u, needle) in [
            (Update::new().set(attr("a"), 1).remove(attr("a")), "overlap"),
            (
                Update::new().set(attr("a.b"), 1).set(attr("a"), 2),
                "overlap",
            ),
            (
                Update::new().set(attr("a.b"), 1).set(attr("a[1]"), 2),
                "conflict",
            ),
            (
                Update::new().set_expr(
                    attr("x"),
                    SetValue::Plus(SetOperand::if_not_exists(attr("a"), attr("a")), 1.into()),
                ),
                "first operand must be distinct",
            ),
            (
                Update::new().set(attr("a"), Value::Ss(BTreeSet::new())),
                "empty",
            ),
        ] {
            let err = check_update(&u, &def()).unwrap_err().to_string();
            assert!(err.contains(needle), "{err} should mention {needle}");
        }
        // No action at all is UpdateItem without an UpdateExpression.
        check_update(&Update::new(), &def()).unwrap();
    }

    #[test]
    fn missing_items() {
        // SET/ADD create the item from its key.
        let new = run(None, Update::new().set(attr("a"), 1)).unwrap().unwrap();
        assert_eq!(new, key().with("a", 1));
        let new = run(None, Update::new().add(attr("n"), 1)).unwrap().unwrap();
        assert_eq!(new, key().with("n", 1));
        // So does an update with no action (UpdateItem without an UpdateExpression).
        assert_eq!(run(None, Update::new()).unwrap(), Some(key()));
        // REMOVE/DELETE alone create nothing (as DynamoDB does, unlike DynamoDB Local); nested
        // paths still need their parent.
        assert_eq!(run(None, Update::new().remove(attr("a"))).unwrap(), None);
        assert!(run(None, Update::new().remove(attr("x.y"))).is_err());
        assert_eq!(
            run(None, Update::new().delete(attr("s"), ss(&["a"]))).unwrap(),
            None
        );
        assert_eq!(
            run(
                None,
                Update::new()
                    .remove(attr("a"))
                    .delete(attr("s"), ss(&["a"]))
            )
            .unwrap(),
            None
        );
        assert!(run(None, Update::new().delete(attr("x.y"), ss(&["a"]))).is_err());
        // One writing action among them creates the item.
        assert_eq!(
            run(None, Update::new().remove(attr("a")).set(attr("b"), 1)).unwrap(),
            Some(key().with("b", 1))
        );
        // A nested SET on a missing item has no parent.
        assert!(run(None, Update::new().set(attr("c.c"), 1)).is_err());
        // The key attributes can be read.
        let new = run(None, Update::new().set(attr("copy"), attr("pk")))
            .unwrap()
            .unwrap();
        assert_eq!(new.get("copy"), Some(&Value::from("p")));
    }

    #[test]
    fn return_values() {
        let old = key()
            .with("a", map(vec![("b", "dog".into()), ("c", ints(&[1, 2, 3]))]))
            .with("d", "cat")
            .with("e", 1);
        let u = Update::new()
            .set(attr("a.b"), "hi")
            .set(attr("a.c[1]"), 7)
            .set(attr("f"), 2)
            .remove(attr("e"));
        check_update(&u, &def()).unwrap();
        let new = apply(Some(&old), &key(), &u).unwrap().unwrap();
        let rv = |r| returned(r, Some(&old), Some(&new), &u);
        assert_eq!(rv(ReturnValues::None), None);
        assert_eq!(rv(ReturnValues::AllOld), Some(old.clone()));
        assert_eq!(rv(ReturnValues::AllNew), Some(new.clone()));
        // Only the updated paths, each in its hierarchy, as DynamoDB returns them (DynamoDB
        // Local returns the whole top-level attributes).
        assert_eq!(
            rv(ReturnValues::UpdatedOld),
            Some(
                Item::new()
                    .with("a", map(vec![("b", "dog".into()), ("c", ints(&[2]))]))
                    .with("e", 1)
            )
        );
        assert_eq!(
            rv(ReturnValues::UpdatedNew),
            Some(
                Item::new()
                    .with("a", map(vec![("b", "hi".into()), ("c", ints(&[7]))]))
                    .with("f", 2)
            )
        );
        // SET past a list's end appends: the path is in neither item, nothing is returned.
        let u = Update::new().set(attr("a.c[9]"), 4);
        check_update(&u, &def()).unwrap();
        let new = apply(Some(&old), &key(), &u).unwrap().unwrap();
        assert_eq!(
            new["a"],
            map(vec![("b", "dog".into()), ("c", ints(&[1, 2, 3, 4]))])
        );
        assert_eq!(
            returned(ReturnValues::UpdatedOld, Some(&old), Some(&new), &u),
            None
        );
        assert_eq!(
            returned(ReturnValues::UpdatedNew, Some(&old), Some(&new), &u),
            None
        );
        // REMOVE of a list element: the element that was there, and the one there now.
        let u = Update::new().remove(attr("a.c[0]"));
        let new = apply(Some(&old), &key(), &u).unwrap().unwrap();
        assert_eq!(
            returned(ReturnValues::UpdatedOld, Some(&old), Some(&new), &u),
            Some(Item::new().with("a", map(vec![("c", ints(&[1]))])))
        );
        assert_eq!(
            returned(ReturnValues::UpdatedNew, Some(&old), Some(&new), &u),
            Some(Item::new().with("a", map(vec![("c", ints(&[2]))])))
        );
        // Writing only new attributes: nothing updated "old".
        let u = Update::new().set(attr("zz"), 1);
        let new = apply(Some(&old), &key(), &u).unwrap().unwrap();
        assert_eq!(
            returned(ReturnValues::UpdatedOld, Some(&old), Some(&new), &u),
            None
        );
        // A created item has no old values.
        assert_eq!(returned(ReturnValues::AllOld, None, Some(&new), &u), None);
        // UPDATED_NEW of a REMOVE alone is empty.
        let u = Update::new().remove(attr("d"));
        let new = apply(Some(&old), &key(), &u).unwrap().unwrap();
        assert_eq!(
            returned(ReturnValues::UpdatedNew, Some(&old), Some(&new), &u),
            None
        );
        assert_eq!(
            returned(ReturnValues::UpdatedOld, Some(&old), Some(&new), &u),
            Some(Item::new().with("d", "cat"))
        );
    }
}
