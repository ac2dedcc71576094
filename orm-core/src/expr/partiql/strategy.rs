//! proptest strategies for PartiQL statements (feature `proptest`), built from the expression
//! generators ([`crate::expr::strategy`]): every kind of statement, over awkward names and values
//! of every type, and the round trip `parse(render(statement)) == statement`.
//!
//! ```
//! use orm_core::expr::partiql::strategy::{check_round_trip, statement};
//! use proptest::prelude::*;
//!
//! proptest!(ProptestConfig::with_cases(16), |(s in statement())| {
//!     check_round_trip(&s)?;
//! });
//! ```

use super::{parse, render, OrderBy, Returning, Select, Statement};
use crate::expr::strategy::{self as expr, normalize, Leaves};
use crate::expr::{Condition, Operand, Path, Update};
use crate::value::{Item, Value};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// A name PartiQL can write: not empty.
pub fn name() -> BoxedStrategy<String> {
    expr::name()
        .prop_filter("PartiQL names are not empty", |n| !n.is_empty())
        .boxed()
}

/// The expression generators' leaves, with paths of [`name`]s.
pub fn leaves() -> Leaves {
    Leaves {
        path: expr::path_of(name()),
        // `set_add` and `set_delete` take sets.
        add_delete_value: prop_oneof![
            prop::collection::btree_set(".{0,4}", 1..3).prop_map(Value::Ss),
            prop::collection::btree_set(expr::number(), 1..3).prop_map(Value::Ns),
            prop::collection::btree_set(prop::collection::vec(any::<u8>(), 0..3), 1..3)
                .prop_map(Value::Bs),
        ]
        .boxed(),
        ..Leaves::awkward()
    }
}

/// A condition PartiQL can write: the expression generators' trees, with each `IN` made of a
/// path and values (as PartiQL's `IN` is).
pub fn condition() -> BoxedStrategy<Condition> {
    let leaves = leaves();
    (leaves.condition(), leaves.path.clone())
        .prop_map(|(c, path)| fit(c, &path))
        .boxed()
}

/// `c` with every `IN` rewritten to a path on the left (`path` where it had none) and values
/// on the right (a value for each path or `size` it had).
fn fit(c: Condition, path: &Path) -> Condition {
    match c {
        Condition::In(left, values) => {
            let left = match left {
                Operand::Path(p) => Operand::Path(p),
                _ => Operand::Path(path.clone()),
            };
            let values = values
                .into_iter()
                .map(|v| match v {
                    Operand::Value(v) => Operand::Value(v),
                    _ => Operand::Value(Value::from(1)),
                })
                .collect();
            Condition::In(left, values)
        }
        Condition::And(all) => Condition::And(all.into_iter().map(|c| fit(c, path)).collect()),
        Condition::Or(any) => Condition::Or(any.into_iter().map(|c| fit(c, path)).collect()),
        Condition::Not(c) => Condition::Not(Box::new(fit(*c, path))),
        other => other,
    }
}

/// A `SELECT` of every shape: `*` or paths (under distinct names), an index or none, a
/// condition or none, `ORDER BY` keys.
pub fn select() -> BoxedStrategy<Select> {
    let leaves = leaves();
    (
        name(),
        prop::option::of(name()),
        prop::option::of(leaves.projection()),
        prop::option::of(condition()),
        prop::collection::vec((leaves.path.clone(), any::<bool>()), 0..3),
    )
        .prop_filter(
            "projected paths come back under distinct names",
            |(_, _, projection, _, _)| {
                projection.as_ref().is_none_or(|paths| {
                    let names: std::collections::BTreeSet<String> =
                        paths.iter().map(super::projected_name).collect();
                    names.len() == paths.len()
                })
            },
        )
        .prop_map(|(table, index, projection, condition, order_by)| Select {
            table,
            index,
            projection,
            condition,
            order_by: order_by
                .into_iter()
                .map(|(path, descending)| OrderBy { path, descending })
                .collect(),
        })
        .boxed()
}

/// An update DynamoDB takes: one to three actions on disjoint paths.
pub fn update() -> BoxedStrategy<Update> {
    leaves()
        .update()
        .prop_filter("DynamoDB rejects empty and overlapping updates", |u| {
            u.validate().is_ok()
        })
        .boxed()
}

/// A statement of every kind.
pub fn statement() -> BoxedStrategy<Statement> {
    let item = prop::collection::btree_map(expr::name(), expr::value(), 0..4).prop_map(Item);
    prop_oneof![
        3 => select().prop_map(Statement::Select),
        2 => (name(), item).prop_map(|(table, item)| Statement::Insert { table, item }),
        3 => (
            name(),
            update(),
            prop::option::of(condition()),
            prop::option::of(prop::sample::select(&Returning::ALL[..])),
        )
            .prop_map(|(table, update, condition, returning)| Statement::Update {
                table,
                update,
                condition,
                returning,
            }),
        2 => (name(), prop::option::of(condition()), any::<bool>()).prop_map(
            |(table, condition, returning)| Statement::Delete {
                table,
                condition,
                returning: returning.then_some(Returning::AllOld),
            }
        ),
        1 => select().prop_map(Statement::Exists),
    ]
    .boxed()
}

fn normalize_statement(s: Statement) -> Statement {
    let select = |mut s: Select| {
        s.condition = s.condition.map(normalize);
        s
    };
    match s {
        Statement::Select(s) => Statement::Select(select(s)),
        Statement::Exists(s) => Statement::Exists(select(s)),
        Statement::Update {
            table,
            update,
            condition,
            returning,
        } => Statement::Update {
            table,
            update,
            condition: condition.map(normalize),
            returning,
        },
        Statement::Delete {
            table,
            condition,
            returning,
        } => Statement::Delete {
            table,
            condition: condition.map(normalize),
            returning,
        },
        insert @ Statement::Insert { .. } => insert,
    }
}

/// The round trip: `statement` renders, and its text and parameters parse back to it (AND / OR
/// of one condition render as that condition, so those compare modulo that).
///
/// For a proptest body: `check_round_trip(&statement)?`.
pub fn check_round_trip(statement: &Statement) -> Result<(), TestCaseError> {
    let rendered = render(statement).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let parsed = parse(&rendered.statement, &rendered.parameters)
        .map(normalize_statement)
        .map_err(|e| e.to_string());
    prop_assert_eq!(
        parsed,
        Ok(normalize_statement(statement.clone())),
        "{}",
        rendered.statement
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::coverage::Seen;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    use std::collections::BTreeSet;

    proptest! {
        #![proptest_config(Config { cases: 512, failure_persistence: None, ..Config::default() })]

        /// parse(render(statement)) == statement for every kind of statement, over awkward
        /// names and values of every type (binaries as parameters).
        #[test]
        fn parse_inverts_render(statement in statement()) {
            check_round_trip(&statement)?;
        }
    }

    /// Pieces spliced into rendered statements, to reach the parser's error paths.
    const SPLICES: &[&str] = &[
        "",
        " ",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "<<",
        ">>",
        ",",
        ".",
        ":",
        "?",
        "'",
        "\"",
        "-",
        "+",
        "=",
        "<>",
        "!=",
        "NOT ",
        " AND ",
        " OR ",
        "SELECT ",
        " FROM ",
        " WHERE ",
        "SET ",
        "REMOVE ",
        "VALUE ",
        "IS ",
        "MISSING",
        "NULL",
        "1e400",
        "1.5",
        "size(",
        "EXISTS(",
        "RETURNING ",
        "ALL ",
        "OLD ",
        "*",
        "é",
        "\n",
    ];

    proptest! {
        #![proptest_config(Config { cases: 1024, failure_persistence: None, ..Config::default() })]

        /// The parser never panics on rendered statements with a piece cut out or spliced in,
        /// whatever parameters come with them; what parses still renders and parses back.
        #[test]
        fn damaged_statements_never_panic(
            statement in statement(),
            at in any::<prop::sample::Index>(),
            cut in 0usize..6,
            splice in prop::sample::select(SPLICES),
            extra in 0usize..3,
        ) {
            let Ok(rendered) = render(&statement) else { return Ok(()) };
            let text = rendered.statement;
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let damaged = format!("{}{}{}", &text[..start], splice, &text[end..]);
            let mut parameters = rendered.parameters;
            parameters.truncate(parameters.len().saturating_sub(extra % 2));
            parameters.extend((0..extra / 2).map(|_| Value::from("extra")));
            if let Ok(parsed) = parse(&damaged, &parameters) {
                let again = render(&parsed).map_err(|e| TestCaseError::fail(e.to_string()))?;
                match parse(&again.statement, &again.parameters) {
                    Ok(reparsed) => prop_assert_eq!(reparsed, parsed, "{}", again.statement),
                    // Rendering's parentheses deepen nesting and its quotes lengthen the text.
                    Err(e) => prop_assert!(
                        e.to_string().contains("nests too deeply")
                            || again.statement.len() > super::super::MAX_STATEMENT_BYTES,
                        "{} -> {}: {}", damaged, again.statement, e
                    ),
                }
            }
        }
    }

    /// Every kind of statement, condition and update action comes out of the generators (so
    /// the round trip covers it).
    #[test]
    fn the_generators_make_every_kind_of_node() {
        let mut runner = TestRunner::deterministic();
        let (mut kinds, mut seen) = (BTreeSet::new(), Seen::default());
        let strategy = statement();
        for _ in 0..3000 {
            let s = strategy.new_tree(&mut runner).unwrap().current();
            let (kind, condition, update) = match &s {
                Statement::Select(s) => ("select", s.condition.as_ref(), None),
                Statement::Exists(s) => ("exists", s.condition.as_ref(), None),
                Statement::Insert { .. } => ("insert", None, None),
                Statement::Update {
                    condition, update, ..
                } => ("update", condition.as_ref(), Some(update)),
                Statement::Delete { condition, .. } => ("delete", condition.as_ref(), None),
            };
            kinds.insert(kind);
            if let Some(c) = condition {
                seen.condition(c);
            }
            if let Some(u) = update {
                seen.update(u);
            }
        }
        assert_eq!(kinds.len(), 5, "{kinds:?}");
        seen.assert_every_kind();
    }
}
