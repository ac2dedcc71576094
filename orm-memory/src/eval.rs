//! Condition and filter evaluation, document paths and projections, with DynamoDB's semantics.
//!
//! Conditions are checked once up front ([`check_condition`]) for what DynamoDB rejects as a
//! `ValidationException` (an ordering comparison with a list literal, `BETWEEN` bounds in the
//! wrong order...), then evaluated per item ([`eval`]) to a plain boolean: type mismatches and
//! missing attributes make a comparison false, never an error, except `<>`, which is true.

use crate::limits;
use orm_core::backend::Limits;
use orm_core::expr::{CompareOp, Condition, Operand, Path, PathElement};
use orm_core::{Error, Item, Number, Result, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The value at `path` in `item`, if every step exists with the right container type.
pub(crate) fn resolve<'a>(item: &'a Item, path: &Path) -> Option<&'a Value> {
    let mut elements = path.elements().iter();
    let mut current = match elements.next()? {
        PathElement::Name(name) => item.get(name)?,
        PathElement::Index(_) => return None,
    };
    for element in elements {
        current = step(current, element)?;
    }
    Some(current)
}

/// One step into a map (by name) or a list (by index).
pub(crate) fn step<'a>(value: &'a Value, element: &PathElement) -> Option<&'a Value> {
    match (value, element) {
        (Value::M(m), PathElement::Name(name)) => m.get(name),
        (Value::L(l), PathElement::Index(i)) => l.get(*i),
        _ => None,
    }
}

/// Rejects a set of paths of which two overlap (one is a prefix of the other) or conflict
/// (one indexes a list where the other names a map key), as DynamoDB does for projection and
/// update expressions.
pub(crate) fn check_disjoint_paths<'a>(
    paths: impl IntoIterator<Item = &'a Path>,
    what: &str,
) -> Result<()> {
    let paths: Vec<&Path> = paths.into_iter().collect();
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[..i] {
            let (ea, eb) = (a.elements(), b.elements());
            let mut diverged = false;
            for (x, y) in ea.iter().zip(eb) {
                if x != y {
                    diverged = true;
                    if matches!(
                        (x, y),
                        (PathElement::Name(_), PathElement::Index(_))
                            | (PathElement::Index(_), PathElement::Name(_))
                    ) {
                        return Err(Error::validation(format!(
                            "Invalid {what}: Two document paths conflict with each other; must \
                             remove or rewrite one of these paths; path one: [{b}], path two: [{a}]"
                        )));
                    }
                    break;
                }
            }
            if !diverged {
                return Err(Error::validation(format!(
                    "Invalid {what}: Two document paths overlap with each other; must remove or \
                     rewrite one of these paths; path one: [{b}], path two: [{a}]"
                )));
            }
        }
    }
    Ok(())
}

/// Checks a projection: at least one path, none overlapping or conflicting.
pub(crate) fn check_projection(paths: &[Path]) -> Result<()> {
    if paths.is_empty() {
        return Err(Error::validation(
            "Invalid ProjectionExpression: The expression can not be empty",
        ));
    }
    paths.iter().try_for_each(check_path)?;
    check_disjoint_paths(paths, "ProjectionExpression")
}

/// Rejects a path with an empty attribute name, as DynamoDB rejects an empty expression
/// attribute name (found by the bad-input table, `limits::awkward_attribute_names`).
pub(crate) fn check_path(path: &Path) -> Result<()> {
    if path
        .elements()
        .iter()
        .any(|e| matches!(e, PathElement::Name(n) if n.is_empty()))
    {
        return Err(Error::validation(format!(
            "ExpressionAttributeNames contains invalid value: Empty attribute name in path \
             `{path}`"
        )));
    }
    Ok(())
}

/// A projection being built: nested maps and lists holding only the selected elements.
enum Node {
    Leaf(Value),
    Map(BTreeMap<String, Node>),
    List(BTreeMap<usize, Node>),
}

impl Node {
    fn into_value(self) -> Value {
        match self {
            Node::Leaf(v) => v,
            Node::Map(m) => Value::M(m.into_iter().map(|(k, n)| (k, n.into_value())).collect()),
            Node::List(l) => Value::L(l.into_values().map(Node::into_value).collect()),
        }
    }
}

/// Applies a projection with document paths, as DynamoDB does: `a.b` yields `{a: {b: ..}}`,
/// `l[3]` and `l[1]` yield `{l: [l[1], l[3]]}` (selected list elements, in index order), and
/// paths that do not resolve are left out.
pub(crate) fn project(item: &Item, paths: &[Path]) -> Item {
    if paths.iter().all(Path::is_top_level) {
        return Item(
            paths
                .iter()
                .filter_map(|p| item.get_key_value(p.root()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
    }
    let mut root: BTreeMap<String, Node> = BTreeMap::new();
    for path in paths {
        let Some(value) = resolve(item, path) else {
            continue;
        };
        let elements = path.elements();
        let PathElement::Name(first) = &elements[0] else {
            continue;
        };
        if elements.len() == 1 {
            root.insert(first.clone(), Node::Leaf(value.clone()));
            continue;
        }
        let mut node = root
            .entry(first.clone())
            .or_insert_with(|| match elements[1] {
                PathElement::Name(_) => Node::Map(BTreeMap::new()),
                PathElement::Index(_) => Node::List(BTreeMap::new()),
            });
        for (pos, element) in elements[1..].iter().enumerate() {
            let last = pos + 2 == elements.len();
            let make = || {
                if last {
                    Node::Leaf(value.clone())
                } else {
                    match elements[pos + 2] {
                        PathElement::Name(_) => Node::Map(BTreeMap::new()),
                        PathElement::Index(_) => Node::List(BTreeMap::new()),
                    }
                }
            };
            node = match (node, element) {
                (Node::Map(m), PathElement::Name(n)) => m.entry(n.clone()).or_insert_with(make),
                (Node::List(l), PathElement::Index(i)) => l.entry(*i).or_insert_with(make),
                // Cannot happen for resolvable, non-conflicting paths.
                _ => break,
            };
        }
    }
    Item(root.into_iter().map(|(k, n)| (k, n.into_value())).collect())
}

fn incorrect_operand(op: &str, value: &Value) -> Error {
    Error::validation(format!(
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator \
         or function: {op}, operand type: {}",
        value.value_type()
    ))
}

fn orderable(v: &Value) -> bool {
    matches!(v, Value::S(_) | Value::N(_) | Value::B(_))
}

fn check_literal(operand: &Operand, limits: &Limits) -> Result<()> {
    if let Operand::Value(v) = operand {
        limits::check_value("expression value", v, limits)?;
    }
    Ok(())
}

/// Checks a condition for what DynamoDB rejects before evaluating anything: empty AND/OR,
/// IN lists outside 1..=100, literals of a type an operator cannot take (ordering comparisons
/// and `BETWEEN` take S/N/B, `begins_with` S/B), `BETWEEN` literal bounds of different types or
/// in descending order, and literals DynamoDB never accepts (empty sets, too deep nesting).
pub(crate) fn check_condition(condition: &Condition) -> Result<()> {
    condition.validate()?;
    check_tree(condition, &Limits::default())
}

/// The operands of one operator or function (not of AND/OR/NOT).
fn operands(condition: &Condition) -> Vec<Operand> {
    match condition {
        Condition::Compare(a, _, b) => vec![a.clone(), b.clone()],
        Condition::Between(a, l, h) => vec![a.clone(), l.clone(), h.clone()],
        Condition::In(a, list) => std::iter::once(a).chain(list).cloned().collect(),
        Condition::BeginsWith(p, o) | Condition::Contains(p, o) => {
            vec![Operand::Path(p.clone()), o.clone()]
        }
        // One path (no operands to tell apart), or junctions.
        Condition::Exists(_)
        | Condition::NotExists(_)
        | Condition::IsType(..)
        | Condition::And(_)
        | Condition::Or(_)
        | Condition::Not(_)
        | Condition::Invalid(_) => Vec::new(),
    }
}

fn check_tree(condition: &Condition, limits: &Limits) -> Result<()> {
    // `a = a`, `a IN (b, a)`, `contains(a, a)`...: DynamoDB rejects an operator or function
    // given the same path (or size of a path) twice (regression test
    // `regression_identical_operands_are_rejected`).
    // Only the first operand counts: `a BETWEEN b AND b` is accepted.
    let ops = operands(condition);
    for op in &ops {
        if let Operand::Path(p) | Operand::Size(p) = op {
            check_path(p)?;
        }
    }
    if let Condition::Exists(p) | Condition::NotExists(p) | Condition::IsType(p, _) = condition {
        check_path(p)?;
    }
    if let Some((first, rest)) = ops.split_first() {
        if !matches!(first, Operand::Value(_)) && rest.contains(first) {
            return Err(Error::validation(format!(
                "Invalid ConditionExpression: The first operand must be distinct from the \
                 remaining operands; operand: {first}"
            )));
        }
    }
    match condition {
        Condition::Compare(a, op, b) => {
            check_literal(a, limits)?;
            check_literal(b, limits)?;
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                for operand in [a, b] {
                    if let Operand::Value(v) = operand {
                        if !orderable(v) {
                            return Err(incorrect_operand(op.symbol(), v));
                        }
                    }
                }
            }
            Ok(())
        }
        Condition::Between(a, low, high) => {
            for operand in [a, low, high] {
                check_literal(operand, limits)?;
                if let Operand::Value(v) = operand {
                    if !orderable(v) {
                        return Err(incorrect_operand("BETWEEN", v));
                    }
                }
            }
            if let (Operand::Value(l), Operand::Value(h)) = (low, high) {
                match order(l, h) {
                    None => {
                        return Err(Error::validation(format!(
                            "Invalid ConditionExpression: The BETWEEN operator requires same data \
                             type for lower and upper bounds; lower bound operand: {}, upper \
                             bound operand: {}",
                            l.value_type(),
                            h.value_type()
                        )))
                    }
                    Some(Ordering::Greater) => {
                        return Err(Error::validation(format!(
                            "Invalid ConditionExpression: The BETWEEN operator requires upper \
                             bound to be greater than or equal to lower bound; lower bound \
                             operand: {l}, upper bound operand: {h}"
                        )))
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        Condition::In(a, values) => {
            check_literal(a, limits)?;
            values.iter().try_for_each(|v| check_literal(v, limits))
        }
        Condition::BeginsWith(_, prefix) => {
            check_literal(prefix, limits)?;
            match prefix {
                Operand::Value(Value::S(_) | Value::B(_)) => Ok(()),
                Operand::Value(v) => Err(incorrect_operand("begins_with", v)),
                // size() is a number (regression test `regression_begins_with_size_is_rejected`).
                Operand::Size(_) => Err(Error::validation(
                    "Invalid ConditionExpression: Incorrect operand type for operator or \
                     function; operator or function: begins_with, operand type: N",
                )),
                Operand::Path(_) => Ok(()),
            }
        }
        Condition::Contains(_, operand) => check_literal(operand, limits),
        Condition::Exists(_) | Condition::NotExists(_) | Condition::IsType(..) => Ok(()),
        Condition::And(v) | Condition::Or(v) => v.iter().try_for_each(|c| check_tree(c, limits)),
        Condition::Not(c) => check_tree(c, limits),
        Condition::Invalid(reason) => Err(Error::validation(reason.clone())),
    }
}

/// Every top-level attribute name a condition reads.
pub(crate) fn condition_roots<'a>(condition: &'a Condition, out: &mut Vec<&'a str>) {
    let operand = |o: &'a Operand, out: &mut Vec<&'a str>| {
        if let Operand::Path(p) | Operand::Size(p) = o {
            out.push(p.root());
        }
    };
    match condition {
        Condition::Compare(a, _, b) => {
            operand(a, out);
            operand(b, out);
        }
        Condition::Between(a, l, h) => {
            operand(a, out);
            operand(l, out);
            operand(h, out);
        }
        Condition::In(a, v) => {
            operand(a, out);
            v.iter().for_each(|o| operand(o, out));
        }
        Condition::BeginsWith(p, o) | Condition::Contains(p, o) => {
            out.push(p.root());
            operand(o, out);
        }
        Condition::Exists(p) | Condition::NotExists(p) | Condition::IsType(p, _) => {
            out.push(p.root());
        }
        Condition::And(v) | Condition::Or(v) => {
            v.iter().for_each(|c| condition_roots(c, out));
        }
        Condition::Not(c) => condition_roots(c, out),
        Condition::Invalid(_) => {}
    }
}

/// DynamoDB's `size()`: string length in UTF-16 code units, binary length in bytes, the number
/// of elements of a set, list or map; undefined for numbers, booleans and nulls.
pub(crate) fn size_of(value: &Value) -> Option<usize> {
    match value {
        Value::S(s) => Some(s.encode_utf16().count()),
        Value::B(b) => Some(b.len()),
        Value::Ss(s) => Some(s.len()),
        Value::Ns(s) => Some(s.len()),
        Value::Bs(s) => Some(s.len()),
        Value::L(l) => Some(l.len()),
        Value::M(m) => Some(m.len()),
        Value::N(_) | Value::Bool(_) | Value::Null => None,
    }
}

/// The value of an operand for `item`: `None` when a path does not resolve or `size()` is
/// undefined for the value there.
pub(crate) fn operand_value<'a>(item: &'a Item, operand: &'a Operand) -> Option<Cow<'a, Value>> {
    match operand {
        Operand::Value(v) => Some(Cow::Borrowed(v)),
        Operand::Path(p) => resolve(item, p).map(Cow::Borrowed),
        Operand::Size(p) => {
            let size = size_of(resolve(item, p)?)?;
            Some(Cow::Owned(Value::N(Number::from(size as u64))))
        }
    }
}

/// The order of two values of the same orderable type (S and B by bytes, N numerically);
/// `None` for different types or types without an order.
pub(crate) fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::S(x), Value::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::N(x), Value::N(y)) => Some(x.cmp(y)),
        (Value::B(x), Value::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn compare(a: Option<&Value>, op: CompareOp, b: Option<&Value>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        // A missing operand is unequal to everything (even another missing one) and
        // incomparable; only `<>` holds.
        return op == CompareOp::Ne;
    };
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        CompareOp::Lt => order(a, b) == Some(Ordering::Less),
        CompareOp::Le => matches!(order(a, b), Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => order(a, b) == Some(Ordering::Greater),
        CompareOp::Ge => matches!(order(a, b), Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn contains(haystack: &Value, needle: &Value) -> bool {
    match (haystack, needle) {
        (Value::S(s), Value::S(n)) => s.contains(n.as_str()),
        (Value::B(b), Value::B(n)) => n.is_empty() || b.windows(n.len()).any(|w| w == n.as_slice()),
        (Value::Ss(s), Value::S(n)) => s.contains(n),
        (Value::Ns(s), Value::N(n)) => s.contains(n),
        (Value::Bs(s), Value::B(n)) => s.contains(n),
        (Value::L(l), n) => l.contains(n),
        _ => false,
    }
}

/// Evaluates a (checked) condition against an item (an empty item for a missing one).
pub(crate) fn eval(condition: &Condition, item: &Item) -> bool {
    match condition {
        Condition::Compare(a, op, b) => {
            let a = operand_value(item, a);
            let b = operand_value(item, b);
            compare(a.as_deref(), *op, b.as_deref())
        }
        Condition::Between(a, low, high) => {
            let (Some(a), Some(l), Some(h)) = (
                operand_value(item, a),
                operand_value(item, low),
                operand_value(item, high),
            ) else {
                return false;
            };
            matches!(order(&a, &l), Some(Ordering::Greater | Ordering::Equal))
                && matches!(order(&a, &h), Some(Ordering::Less | Ordering::Equal))
        }
        Condition::In(a, values) => {
            let Some(a) = operand_value(item, a) else {
                return false;
            };
            values
                .iter()
                .any(|v| operand_value(item, v).is_some_and(|v| *v == *a))
        }
        Condition::BeginsWith(path, prefix) => {
            let (Some(v), Some(p)) = (resolve(item, path), operand_value(item, prefix)) else {
                return false;
            };
            match (v, &*p) {
                (Value::S(s), Value::S(p)) => s.starts_with(p.as_str()),
                (Value::B(b), Value::B(p)) => b.starts_with(p),
                _ => false,
            }
        }
        Condition::Contains(path, operand) => {
            let (Some(v), Some(n)) = (resolve(item, path), operand_value(item, operand)) else {
                return false;
            };
            contains(v, &n)
        }
        Condition::Exists(path) => resolve(item, path).is_some(),
        Condition::NotExists(path) => resolve(item, path).is_none(),
        Condition::IsType(path, t) => resolve(item, path).is_some_and(|v| v.value_type() == *t),
        Condition::And(v) => v.iter().all(|c| eval(c, item)),
        Condition::Or(v) => v.iter().any(|c| eval(c, item)),
        Condition::Not(c) => !eval(c, item),
        // Rejected by `check_condition` before anything is evaluated.
        Condition::Invalid(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orm_core::expr::attr;
    use orm_core::ValueType;
    use std::collections::BTreeSet;

    fn num(s: &str) -> Value {
        Value::N(Number::parse(s).unwrap())
    }

    fn sample() -> Item {
        Item::new()
            .with("s", "hello")
            .with("n", 10)
            .with("b", Value::B(b"hi there".to_vec()))
            .with("t", true)
            .with("z", Value::Null)
            .with(
                "ss",
                Value::Ss(BTreeSet::from(["a".to_owned(), "b".to_owned()])),
            )
            .with(
                "ns",
                Value::Ns(BTreeSet::from([1.into(), 2.into(), 3.into()])),
            )
            .with(
                "l",
                Value::L(vec![
                    Value::from(2),
                    Value::from("dog"),
                    Value::L(vec![3.into()]),
                ]),
            )
            .with(
                "m",
                Value::M(BTreeMap::from([
                    ("x".to_owned(), Value::from(1)),
                    (
                        "y".to_owned(),
                        Value::L(vec![Value::from(-1), Value::from(2)]),
                    ),
                ])),
            )
            .with("u", "\u{e9}\u{1D11E}")
    }

    fn holds(c: Condition) -> bool {
        check_condition(&c).unwrap();
        eval(&c, &sample())
    }

    #[test]
    fn comparisons_with_missing_attributes() {
        // Every comparison with a missing operand is false, except `<>`, which is true.
        assert!(!holds(attr("missing").eq(1)));
        assert!(holds(attr("missing").ne(1)));
        for c in [
            attr("missing").lt(1),
            attr("missing").le(1),
            attr("missing").gt(1),
            attr("missing").ge(1),
        ] {
            assert!(!holds(c));
        }
        // Two missing attributes are neither equal nor comparable, but they are "not equal".
        assert!(!holds(attr("q").eq(attr("w"))));
        assert!(holds(attr("q").ne(attr("w"))));
        assert!(!holds(attr("q").le(attr("w"))));
        assert!(!holds(attr("q").between(attr("w"), attr("x"))));
        assert!(!holds(attr("q").is_in([1, 2])));
        // NOT of a false comparison is true.
        assert!(holds(!attr("missing").lt(1)));
    }

    #[test]
    fn comparisons_of_different_types() {
        assert!(!holds(attr("n").eq("10")));
        assert!(holds(attr("n").ne("10")));
        assert!(!holds(attr("n").lt("11")));
        assert!(!holds(attr("n").gt("1")));
        // Stored values of an unorderable type make an ordering comparison false, not an error.
        assert!(!holds(attr("l").lt(1)));
        assert!(!holds(attr("t").ge(attr("z"))));
    }

    #[test]
    fn equality_of_every_type() {
        let item = sample();
        for name in ["s", "n", "b", "t", "z", "ss", "ns", "l", "m"] {
            let v = item.get(name).unwrap().clone();
            assert!(holds(attr(name).eq(v.clone())), "{name}");
            assert!(!holds(attr(name).ne(v)), "{name}");
            // DynamoDB rejects a path compared with itself.
            assert!(
                check_condition(&attr(name).eq(attr(name))).is_err(),
                "{name}"
            );
        }
        assert!(holds(attr("n").eq(num("10.000"))));
    }

    #[test]
    fn ordering_comparisons() {
        assert!(holds(attr("n").lt(11)));
        assert!(holds(attr("n").le(10)));
        assert!(!holds(attr("n").lt(9)));
        assert!(holds(attr("n").gt(num("9.99"))));
        assert!(holds(attr("n").gt(num("-100"))));
        assert!(holds(attr("s").lt("help")));
        assert!(holds(attr("s").gt("Hello")));
        assert!(holds(attr("b").lt(Value::B(b"hj".to_vec()))));
        assert!(holds(attr("m.x").lt(attr("m.y[1]"))));
        assert!(!holds(attr("m.x").lt(attr("m.y[0]"))));
        // Strings compare by UTF-8 bytes: U+00E9 sorts after every ASCII letter.
        assert!(holds(attr("u").gt("zzz")));
    }

    #[test]
    fn ordering_literals_must_be_scalars() {
        for c in [
            attr("n").lt(Value::L(vec![])),
            attr("n").ge(true),
            attr("n").gt(Value::Null),
            attr("n").between(Value::L(vec![]), Value::L(vec![])),
        ] {
            let err = check_condition(&c).unwrap_err().to_string();
            assert!(err.contains("Incorrect operand type"), "{err}");
        }
        // Equality takes any type.
        assert!(check_condition(&attr("n").eq(Value::L(vec![]))).is_ok());
        // An empty set is never a valid literal.
        assert!(check_condition(&attr("ss").eq(Value::Ss(BTreeSet::new()))).is_err());
    }

    #[test]
    fn between() {
        assert!(holds(attr("n").between(10, 10)));
        assert!(holds(attr("n").between(9, 11)));
        assert!(!holds(attr("n").between(11, 12)));
        assert!(holds(attr("s").between("a", "z")));
        assert!(!holds(attr("n").between("0", "99")));
        // Literal bounds in the wrong order or of different types are rejected up front...
        let err = check_condition(&attr("n").between(2, 1)).unwrap_err();
        assert!(err.to_string().contains("upper bound"), "{err}");
        assert!(check_condition(&attr("n").between(1, "2")).is_err());
        // ...but bounds read from the item just make the condition false.
        assert!(!holds(attr("n").between(attr("s"), 1)));
        assert!(!holds(attr("n").between(1, attr("s"))));
    }

    #[test]
    fn in_operator() {
        assert!(holds(attr("n").is_in([1, 10])));
        assert!(!holds(attr("n").is_in([1, 2])));
        // Values of mixed types are fine.
        assert!(holds(
            attr("n").is_in([Operand::from("dog"), Operand::from(10)])
        ));
        assert!(holds(attr("l[1]").is_in([
            Operand::Path(attr("s")),
            Operand::Path(Path::name("x")),
            Operand::from("dog"),
        ])));
        assert!(check_condition(&attr("n").is_in(Vec::<i32>::new())).is_err());
        assert!(check_condition(&attr("n").is_in(0..101)).is_err());
        assert!(check_condition(&attr("n").is_in(0..100)).is_ok());
    }

    #[test]
    fn begins_with() {
        assert!(holds(attr("s").begins_with("hell")));
        assert!(holds(attr("s").begins_with("")));
        assert!(!holds(attr("s").begins_with("dog")));
        assert!(holds(attr("b").begins_with(Value::B(b"hi".to_vec()))));
        assert!(!holds(attr("b").begins_with("hi")));
        assert!(!holds(attr("missing").begins_with("x")));
        assert!(!holds(attr("n").begins_with("1")));
        let err = check_condition(&attr("s").begins_with(2)).unwrap_err();
        assert!(err.to_string().contains("begins_with"), "{err}");
    }

    #[test]
    fn contains() {
        assert!(holds(attr("s").contains("ell")));
        assert!(!holds(attr("s").contains("xyz")));
        assert!(holds(attr("b").contains(Value::B(b"here".to_vec()))));
        assert!(holds(attr("ss").contains("a")));
        assert!(!holds(attr("ss").contains("c")));
        assert!(holds(attr("ns").contains(2)));
        assert!(!holds(attr("ns").contains("2")));
        assert!(holds(attr("l").contains("dog")));
        assert!(holds(attr("l").contains(2)));
        assert!(holds(attr("l").contains(Value::L(vec![3.into()]))));
        assert!(!holds(attr("l").contains(3)));
        assert!(!holds(attr("n").contains(1)));
        assert!(!holds(attr("missing").contains(1)));
        // The operand may be read from the item too.
        assert!(!holds(attr("s").contains(attr("l[1]"))));
        assert!(holds(attr("ns").contains(attr("m.x"))));
    }

    #[test]
    fn size_function() {
        assert!(holds(attr("s").size().eq(5)));
        assert!(holds(attr("b").size().eq(8)));
        assert!(holds(attr("ss").size().eq(2)));
        assert!(holds(attr("ns").size().eq(3)));
        assert!(holds(attr("l").size().eq(3)));
        assert!(holds(attr("m").size().eq(2)));
        // Strings count UTF-16 code units: one for U+00E9, two for U+1D11E.
        assert!(holds(attr("u").size().eq(3)));
        // Undefined for numbers, booleans, nulls and missing attributes.
        for name in ["n", "t", "z", "missing"] {
            assert!(!holds(attr(name).size().eq(1)), "{name}");
            assert!(!holds(attr(name).size().ge(0)), "{name}");
        }
        // Comparing a size with a non-number is false, not an error.
        assert!(!holds(attr("s").size().eq("5")));
        assert!(holds(attr("s").size().between(1, 5)));
        assert!(holds(attr("s").size().gt(Operand::Size(attr("ns")))));
    }

    #[test]
    fn attribute_functions_and_logic() {
        assert!(holds(attr("m.x").exists()));
        assert!(!holds(attr("m.q").exists()));
        assert!(holds(attr("m.q").not_exists()));
        assert!(holds(attr("z").exists()));
        assert!(!holds(attr("l[7]").exists()));
        assert!(!holds(attr("s[0]").exists()));
        assert!(holds(attr("z").is_type(ValueType::Null)));
        assert!(holds(attr("ns").is_type(ValueType::Ns)));
        assert!(!holds(attr("ns").is_type(ValueType::Ss)));
        assert!(!holds(attr("missing").is_type(ValueType::S)));
        assert!(holds(attr("n").eq(10).and(attr("s").eq("hello"))));
        assert!(!holds(attr("n").eq(10).and(attr("s").eq("x"))));
        assert!(holds(attr("n").eq(1).or(attr("s").eq("hello"))));
        assert!(holds(!attr("n").eq(1)));
        assert!(check_condition(&Condition::And(vec![])).is_err());
        assert!(check_condition(&Condition::Or(vec![])).is_err());
    }

    #[test]
    fn projections_with_document_paths() {
        let item = sample();
        assert_eq!(
            project(&item, &[attr("s"), attr("n"), attr("nope")]),
            Item::new().with("s", "hello").with("n", 10)
        );
        let got = project(
            &item,
            &[attr("m.y[1]"), attr("l[2][0]"), attr("l[0]"), attr("m.q")],
        );
        let want = Item::new()
            .with(
                "m",
                Value::M(BTreeMap::from([(
                    "y".to_owned(),
                    Value::L(vec![Value::from(2)]),
                )])),
            )
            .with(
                "l",
                Value::L(vec![Value::from(2), Value::L(vec![Value::from(3)])]),
            );
        assert_eq!(got, want);
        assert!(project(&item, &[attr("s.x"), attr("l[9]")]).is_empty());
        assert!(check_projection(&[]).is_err());
        let err = check_projection(&[attr("a"), attr("a.b")]).unwrap_err();
        assert!(err.to_string().contains("overlap"), "{err}");
        let err = check_projection(&[attr("a.b"), attr("a[1]")]).unwrap_err();
        assert!(err.to_string().contains("conflict"), "{err}");
        assert!(check_projection(&[attr("a.b"), attr("a.c"), attr("l[1]"), attr("l[2]")]).is_ok());
    }

    #[test]
    fn collects_roots() {
        let c = attr("a.b")
            .eq(attr("c"))
            .and(attr("d").size().gt(1))
            .or(!attr("e[0]").exists());
        let mut roots = Vec::new();
        condition_roots(&c, &mut roots);
        roots.sort_unstable();
        assert_eq!(roots, ["a", "c", "d", "e"]);
    }
}
