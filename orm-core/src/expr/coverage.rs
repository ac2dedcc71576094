//! The kinds of node of the AST, each listed without a catch-all arm, for the generators' tests
//! (`strategy`, `arbitrary`): each collects the kinds it makes and checks it made them all, so a
//! new variant fails to compile here until it is named, and those tests fail until the
//! generators make it.

use super::ast::{Condition, Operand, SetOperand, SetValue, Update, UpdateAction};
use std::collections::BTreeSet;

/// How many kinds of DynamoDB condition [`condition_kinds`] tells apart (not counting
/// `Invalid`, a condition that could not be built, which has no text and no generator makes).
pub(crate) const CONDITION_KINDS: usize = 12;

/// How many kinds [`set_value_kinds`] tells apart.
pub(crate) const SET_VALUE_KINDS: usize = 8;

/// How many kinds [`action_kinds`] tells apart.
pub(crate) const ACTION_KINDS: usize = SET_VALUE_KINDS + 3;

/// The kinds of `c` and of every condition nested in it.
pub(crate) fn condition_kinds(c: &Condition, out: &mut BTreeSet<&'static str>) {
    out.insert(match c {
        Condition::Compare(Operand::Size(_), ..) => "Compare(size)",
        Condition::Compare(..) => "Compare",
        Condition::Between(..) => "Between",
        Condition::In(..) => "In",
        Condition::BeginsWith(..) => "BeginsWith",
        Condition::Contains(..) => "Contains",
        Condition::Exists(_) => "Exists",
        Condition::NotExists(_) => "NotExists",
        Condition::IsType(..) => "IsType",
        Condition::And(_) => "And",
        Condition::Or(_) => "Or",
        Condition::Not(_) => "Not",
        Condition::Invalid(_) => "Invalid",
    });
    match c {
        Condition::And(v) | Condition::Or(v) => v.iter().for_each(|c| condition_kinds(c, out)),
        Condition::Not(c) => condition_kinds(c, out),
        Condition::Compare(..)
        | Condition::Between(..)
        | Condition::In(..)
        | Condition::BeginsWith(..)
        | Condition::Contains(..)
        | Condition::Exists(_)
        | Condition::NotExists(_)
        | Condition::IsType(..)
        | Condition::Invalid(_) => {}
    }
}

fn set_operand_kind(o: &SetOperand) -> &'static str {
    match o {
        SetOperand::Value(_) => "Value",
        SetOperand::Path(_) => "Path",
        SetOperand::IfNotExists(_, fallback) => match **fallback {
            SetOperand::IfNotExists(..) => "IfNotExists(IfNotExists)",
            SetOperand::Value(_) | SetOperand::Path(_) => "IfNotExists",
        },
    }
}

/// The kind of `v` and of its operands.
pub(crate) fn set_value_kinds(v: &SetValue, out: &mut BTreeSet<&'static str>) {
    let (kind, operands) = match v {
        SetValue::Operand(o) => ("Operand", vec![o]),
        SetValue::Plus(a, b) => ("Plus", vec![a, b]),
        SetValue::Minus(a, b) => ("Minus", vec![a, b]),
        SetValue::ListAppend(a, b) => ("ListAppend", vec![a, b]),
    };
    out.insert(kind);
    out.extend(operands.into_iter().map(set_operand_kind));
}

/// The kind of `a` (with its `SET` value's kinds).
pub(crate) fn action_kinds(a: &UpdateAction, out: &mut BTreeSet<&'static str>) {
    match a {
        UpdateAction::Set(_, v) => set_value_kinds(v, out),
        UpdateAction::Remove(_) => {
            out.insert("Remove");
        }
        UpdateAction::Add(..) => {
            out.insert("Add");
        }
        UpdateAction::Delete(..) => {
            out.insert("Delete");
        }
    }
}

/// The kinds of condition and of update action a generator's test has seen, to check at the end
/// that it made them all.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    conditions: BTreeSet<&'static str>,
    actions: BTreeSet<&'static str>,
}

impl Seen {
    /// Records the kinds of `c` and of every condition nested in it.
    pub(crate) fn condition(&mut self, c: &Condition) {
        condition_kinds(c, &mut self.conditions);
    }

    /// Records the kinds of `u`'s actions.
    pub(crate) fn update(&mut self, u: &Update) {
        for a in &u.actions {
            action_kinds(a, &mut self.actions);
        }
    }

    /// Fails, listing what was seen, unless every kind of condition and action was.
    pub(crate) fn assert_every_kind(&self) {
        let Seen {
            conditions,
            actions,
        } = self;
        assert_eq!(conditions.len(), CONDITION_KINDS, "{conditions:?}");
        assert_eq!(actions.len(), ACTION_KINDS, "{actions:?}");
    }
}
