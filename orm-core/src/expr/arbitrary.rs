//! Expression trees and values from unstructured bytes (feature `arbitrary`), for fuzz targets:
//! [`::arbitrary::Arbitrary`] for the AST types, [`Value`], [`Number`] and [`Item`], and the
//! depth-bounded builders behind them.
//!
//! Names are drawn mostly from a few that are awkward in expressions (reserved words, `.`, `#`,
//! `:`, empty), the rest arbitrary text; numbers from arbitrary text that parses, else an
//! integer. Trees are broader than what DynamoDB accepts (any operand on either side of a
//! comparison, `size()` in updates, empty AND lists): a renderer or parser must survive them.
//!
//! ```
//! use arbitrary::{Arbitrary, Unstructured};
//! use orm_core::expr::Condition;
//!
//! let mut u = Unstructured::new(&[7, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
//! let condition = Condition::arbitrary(&mut u).unwrap();
//! let _ = condition.to_string();
//! ```

use super::ast::{
    CompareOp, Condition, KeyCondition, Operand, Path, SetOperand, SetValue, SortKeyCondition,
    Update, UpdateAction,
};
use crate::number::Number;
use crate::value::{Item, Value, ValueType};
use ::arbitrary::{Arbitrary, Result, Unstructured};
use std::collections::{BTreeMap, BTreeSet};

/// Short names, some of them awkward for DynamoDB expressions.
const NAMES: &[&str] = &[
    "a", "b", "size", "name", "status", "a.b", "x#y", "c:d", "[0]", "#", ":", "", "é", "pk",
];

/// How deep [`Condition`] and [`Value`] trees nest when made through [`Arbitrary`].
const DEPTH: u32 = 3;

/// A name: one of a few awkward ones, or arbitrary text.
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
        item.insert(name(u)?, value(u, DEPTH)?);
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

/// A value (nested up to two levels), a path or `size(path)`.
pub fn operand(u: &mut Unstructured<'_>) -> Result<Operand> {
    Ok(match u.int_in_range(0..=2)? {
        0 => Operand::Value(value(u, 2)?),
        1 => Operand::Path(path(u)?),
        _ => Operand::Size(path(u)?),
    })
}

fn compare_op(u: &mut Unstructured<'_>) -> Result<CompareOp> {
    Ok(*u.choose(&CompareOp::ALL)?)
}

/// A condition tree at most `depth` levels deep.
pub fn condition(u: &mut Unstructured<'_>, depth: u32) -> Result<Condition> {
    let max = if depth == 0 { 7 } else { 10 };
    Ok(match u.int_in_range(0..=max)? {
        0 => {
            let op = compare_op(u)?;
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
            let t = *u.choose(&ValueType::ALL)?;
            Condition::IsType(path(u)?, t)
        }
        8 => Condition::And(conditions(u, depth - 1)?),
        9 => Condition::Or(conditions(u, depth - 1)?),
        _ => Condition::Not(Box::new(condition(u, depth - 1)?)),
    })
}

/// Zero to three conditions of at most `depth` levels, the terms of an `AND` or `OR`.
fn conditions(u: &mut Unstructured<'_>, depth: u32) -> Result<Vec<Condition>> {
    let n = u.int_in_range(0..=3)?;
    (0..n).map(|_| condition(u, depth)).collect()
}

/// An operand of a `SET` value: a value, a path, or `if_not_exists` nested at most `depth`
/// levels.
pub fn set_operand(u: &mut Unstructured<'_>, depth: u32) -> Result<SetOperand> {
    let max = if depth == 0 { 1 } else { 2 };
    Ok(match u.int_in_range(0..=max)? {
        0 => SetOperand::Value(value(u, 2)?),
        1 => SetOperand::Path(path(u)?),
        _ => SetOperand::if_not_exists(path(u)?, set_operand(u, depth - 1)?),
    })
}

/// The right-hand side of a `SET` action.
pub fn set_value(u: &mut Unstructured<'_>) -> Result<SetValue> {
    let operand = |u: &mut Unstructured<'_>| set_operand(u, 2);
    Ok(match u.int_in_range(0..=3)? {
        0 => SetValue::Operand(operand(u)?),
        1 => SetValue::Plus(operand(u)?, operand(u)?),
        2 => SetValue::Minus(operand(u)?, operand(u)?),
        _ => SetValue::ListAppend(operand(u)?, operand(u)?),
    })
}

/// An update of up to 5 actions.
pub fn update(u: &mut Unstructured<'_>) -> Result<Update> {
    let mut actions = Vec::new();
    for _ in 0..u.int_in_range(0..=5)? {
        actions.push(match u.int_in_range(0..=3)? {
            0 => {
                let v = set_value(u)?;
                UpdateAction::Set(path(u)?, v)
            }
            1 => UpdateAction::Remove(path(u)?),
            2 => UpdateAction::Add(path(u)?, value(u, 1)?),
            _ => UpdateAction::Delete(path(u)?, value(u, 1)?),
        });
    }
    Ok(Update { actions })
}

/// A sort-key condition of any kind, on values nested up to one level.
pub fn sort_key_condition(u: &mut Unstructured<'_>) -> Result<SortKeyCondition> {
    Ok(match u.int_in_range(0..=6)? {
        0 => SortKeyCondition::Eq(value(u, 1)?),
        1 => SortKeyCondition::Lt(value(u, 1)?),
        2 => SortKeyCondition::Le(value(u, 1)?),
        3 => SortKeyCondition::Gt(value(u, 1)?),
        4 => SortKeyCondition::Ge(value(u, 1)?),
        5 => SortKeyCondition::Between(value(u, 1)?, value(u, 1)?),
        _ => SortKeyCondition::BeginsWith(value(u, 1)?),
    })
}

macro_rules! arbitrary_by {
    ($($ty:ty => $make:expr),* $(,)?) => {$(
        impl<'a> Arbitrary<'a> for $ty {
            fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
                ($make)(u)
            }
        }
    )*};
}

arbitrary_by! {
    Number => number,
    Value => |u: &mut Unstructured<'_>| value(u, DEPTH),
    Item => item,
    Path => path,
    Operand => operand,
    SetOperand => |u: &mut Unstructured<'_>| set_operand(u, 2),
    Condition => |u: &mut Unstructured<'_>| condition(u, DEPTH),
    SetValue => set_value,
    Update => update,
    SortKeyCondition => sort_key_condition,
}

impl<'a> Arbitrary<'a> for KeyCondition {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(KeyCondition {
            extra_partition: Vec::new(),
            sort_prefix: Vec::new(),
            partition_name: name(u)?,
            partition_value: value(u, 1)?,
            sort: if u.arbitrary()? {
                Some((name(u)?, sort_key_condition(u)?))
            } else {
                None
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::coverage::{self, CONDITION_KINDS, SET_VALUE_KINDS};
    use std::collections::BTreeSet;

    /// Every kind of node comes out of the builders, from pseudo-random bytes.
    #[test]
    fn the_builders_make_every_kind_of_node() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let bytes: Vec<u8> = (0..1 << 16)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let (mut conditions, mut sets) = (BTreeSet::new(), BTreeSet::new());
        for chunk in bytes.chunks(64) {
            let mut u = Unstructured::new(chunk);
            if let Ok(c) = Condition::arbitrary(&mut u) {
                coverage::condition_kinds(&c, &mut conditions);
            }
            if let Ok(v) = SetValue::arbitrary(&mut u) {
                coverage::set_value_kinds(&v, &mut sets);
            }
        }
        assert_eq!(conditions.len(), CONDITION_KINDS, "{conditions:?}");
        assert_eq!(sets.len(), SET_VALUE_KINDS, "{sets:?}");
    }
}
