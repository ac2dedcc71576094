//! Builders of orm-core values and expressions from fuzzer bytes, shared by the fuzz targets.

use arbitrary::{Result, Unstructured};
use orm_core::expr::{
    CompareOp, Condition, Operand, Path, PathElement, SetValue, Update, UpdateAction,
};
use orm_core::{Item, Number, Value, ValueType};
use std::collections::{BTreeMap, BTreeSet};

/// Short names, some of them awkward for DynamoDB expressions.
const NAMES: &[&str] = &[
    "a", "b", "size", "name", "status", "a.b", "x#y", "c:d", "[0]", "#", ":", "", "é", "pk",
];

/// A name: one of [`NAMES`] or arbitrary text.
pub fn name(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(3, 4)? {
        Ok((*u.choose(NAMES)?).to_owned())
    } else {
        u.arbitrary()
    }
}

/// A number: arbitrary text that parses, or an integer.
pub fn number(u: &mut Unstructured<'_>) -> Result<Number> {
    let text: String = u.arbitrary()?;
    Ok(Number::parse(&text).unwrap_or_else(|_| Number::from(u.arbitrary::<i64>().unwrap_or(0))))
}

/// A value of any type, nested at most `depth` more levels.
pub fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let max = if depth == 0 { 9 } else { 11 };
    Ok(match u.int_in_range(0..=max)? {
        0 => Value::S(u.arbitrary()?),
        1 => Value::N(number(u)?),
        2 => Value::B(u.arbitrary()?),
        3 => Value::Bool(u.arbitrary()?),
        4 => Value::Null,
        5 => Value::Ss(u.arbitrary::<BTreeSet<String>>()?),
        6 => {
            let n = u.int_in_range(0..=3)?;
            Value::Ns((0..n).map(|_| number(u)).collect::<Result<_>>()?)
        }
        7 => Value::Bs(u.arbitrary::<BTreeSet<Vec<u8>>>()?),
        8 | 9 => Value::N(Number::from(u.arbitrary::<i32>()?)),
        10 => {
            let n = u.int_in_range(0..=3)?;
            Value::L((0..n).map(|_| value(u, depth - 1)).collect::<Result<_>>()?)
        }
        _ => {
            let n = u.int_in_range(0..=3)?;
            let mut m = BTreeMap::new();
            for _ in 0..n {
                m.insert(name(u)?, value(u, depth - 1)?);
            }
            Value::M(m)
        }
    })
}

/// An item of up to 6 attributes.
pub fn item(u: &mut Unstructured<'_>) -> Result<Item> {
    let n = u.int_in_range(0..=6)?;
    let mut item = Item::new();
    for _ in 0..n {
        item.insert(name(u)?, value(u, 3)?);
    }
    Ok(item)
}

/// A document path of 1 to 3 elements.
pub fn path(u: &mut Unstructured<'_>) -> Result<Path> {
    let mut p = Path::name(name(u)?);
    for _ in 0..u.int_in_range(0..=2)? {
        p = if u.arbitrary()? {
            p.key(name(u)?)
        } else {
            p.index(u.int_in_range(0..=5)?)
        };
    }
    Ok(p)
}

fn operand(u: &mut Unstructured<'_>) -> Result<Operand> {
    Ok(match u.int_in_range(0..=2)? {
        0 => Operand::Value(value(u, 2)?),
        1 => Operand::Path(path(u)?),
        _ => Operand::Size(path(u)?),
    })
}

/// A condition tree at most `depth` levels deep.
pub fn condition(u: &mut Unstructured<'_>, depth: u32) -> Result<Condition> {
    let max = if depth == 0 { 7 } else { 10 };
    Ok(match u.int_in_range(0..=max)? {
        0 => {
            let op = *u.choose(&[
                CompareOp::Eq,
                CompareOp::Ne,
                CompareOp::Lt,
                CompareOp::Le,
                CompareOp::Gt,
                CompareOp::Ge,
            ])?;
            Condition::Compare(operand(u)?, op, operand(u)?)
        }
        1 => Condition::Between(operand(u)?, operand(u)?, operand(u)?),
        2 => {
            let n = u.int_in_range(0..=3)?;
            Condition::In(
                operand(u)?,
                (0..n).map(|_| operand(u)).collect::<Result<_>>()?,
            )
        }
        3 => Condition::BeginsWith(path(u)?, operand(u)?),
        4 => Condition::Contains(path(u)?, operand(u)?),
        5 => Condition::Exists(path(u)?),
        6 => Condition::NotExists(path(u)?),
        7 => {
            let t = *u.choose(&[
                ValueType::S,
                ValueType::N,
                ValueType::B,
                ValueType::Bool,
                ValueType::Null,
                ValueType::L,
                ValueType::M,
                ValueType::Ss,
                ValueType::Ns,
                ValueType::Bs,
            ])?;
            Condition::IsType(path(u)?, t)
        }
        8 => {
            let n = u.int_in_range(0..=3)?;
            Condition::And(
                (0..n)
                    .map(|_| condition(u, depth - 1))
                    .collect::<Result<_>>()?,
            )
        }
        9 => {
            let n = u.int_in_range(0..=3)?;
            Condition::Or(
                (0..n)
                    .map(|_| condition(u, depth - 1))
                    .collect::<Result<_>>()?,
            )
        }
        _ => Condition::Not(Box::new(condition(u, depth - 1)?)),
    })
}

/// An update of up to 5 actions.
pub fn update(u: &mut Unstructured<'_>) -> Result<Update> {
    let mut actions = Vec::new();
    for _ in 0..u.int_in_range(0..=5)? {
        actions.push(match u.int_in_range(0..=3)? {
            0 => {
                let v = match u.int_in_range(0..=4)? {
                    0 => SetValue::Operand(operand(u)?),
                    1 => SetValue::Plus(operand(u)?, operand(u)?),
                    2 => SetValue::Minus(operand(u)?, operand(u)?),
                    3 => SetValue::IfNotExists(path(u)?, operand(u)?),
                    _ => SetValue::ListAppend(operand(u)?, operand(u)?),
                };
                UpdateAction::Set(path(u)?, v)
            }
            1 => UpdateAction::Remove(path(u)?),
            2 => UpdateAction::Add(path(u)?, value(u, 1)?),
            _ => UpdateAction::Delete(path(u)?, value(u, 1)?),
        });
    }
    Ok(Update { actions })
}

/// Whether a path's first element is a name (always, for paths built here).
pub fn rooted(p: &Path) -> bool {
    matches!(p.elements().first(), Some(PathElement::Name(_)))
}
