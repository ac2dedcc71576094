//! proptest strategies for the expression AST (feature `proptest`): the one set of random trees
//! the workspace's property tests use (the round trip `parse(render(ast)) == ast` below, the
//! differential test against DynamoDB Local).
//!
//! The trees are built from [`Leaves`]: attribute paths and literal values. [`Leaves::awkward`]
//! draws from every value type and from names that are hard to write in an expression (reserved
//! words, dots, `#`, `:`); a test that needs collisions (the differential test) brings its own
//! small vocabulary.
//!
//! ```
//! use orm_core::expr::strategy::Leaves;
//! use proptest::prelude::*;
//!
//! proptest!(|(condition in Leaves::awkward().condition())| {
//!     prop_assert!(!condition.to_string().is_empty());
//! });
//! ```

use super::ast::{
    CompareOp, Condition, KeyCondition, Operand, Path, SetOperand, SetValue, SortKeyCondition,
    Update, UpdateAction,
};
use super::parse::{self, Placeholders};
use super::render::Expressions;
use super::Clause;
use crate::error::Error;
use crate::number::Number;
use crate::value::{Value, ValueType};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// The leaves every tree is built from.
#[derive(Debug, Clone)]
pub struct Leaves {
    /// Attribute paths (conditions, `SET` targets and operands, projections).
    pub path: BoxedStrategy<Path>,
    /// Literal operands.
    pub value: BoxedStrategy<Value>,
    /// Numbers compared with `size(path)`.
    pub number: BoxedStrategy<Number>,
    /// The values of `ADD` and `DELETE` actions.
    pub add_delete_value: BoxedStrategy<Value>,
}

/// Names that are hard to write in an expression: reserved words, separators, placeholder
/// sigils, non-ASCII, empty.
const AWKWARD_NAMES: &[&str] = &[
    "a", "b", "size", "name", "status", "a.b", "x#y", "c:d", "[0]", "#", ":", "", "é", "pk",
];

/// A name: one of a few awkward ones, or short arbitrary text.
pub fn name() -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::sample::select(AWKWARD_NAMES).prop_map(str::to_owned),
        1 => ".{0,6}",
    ]
    .boxed()
}

/// A path of one to three elements (names and list indexes) starting with a [`name`].
pub fn path() -> BoxedStrategy<Path> {
    path_of(name())
}

/// A path of one to three elements (names from `names`, and list indexes) starting with a name.
pub(crate) fn path_of(names: BoxedStrategy<String>) -> BoxedStrategy<Path> {
    let step = prop_oneof![
        names.clone().prop_map(Step::Key),
        (0usize..6).prop_map(Step::Index)
    ];
    (names, prop::collection::vec(step, 0..3))
        .prop_map(|(first, steps)| {
            steps
                .into_iter()
                .fold(Path::name(first), |path, step| match step {
                    Step::Key(k) => path.key(k),
                    Step::Index(i) => path.index(i),
                })
        })
        .boxed()
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// A number: an integer, or a decimal with up to 20 places.
pub fn number() -> BoxedStrategy<Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        (any::<i64>(), 1u32..20).prop_map(|(m, places)| {
            Number::parse(&format!("{m}E-{places}")).expect("within DynamoDB's range")
        }),
    ]
    .boxed()
}

/// A value of any of the ten types, nested up to two levels.
pub fn value() -> BoxedStrategy<Value> {
    let text = || ".{0,6}";
    let bytes = || prop::collection::vec(any::<u8>(), 0..4);
    let leaf = prop_oneof![
        text().prop_map(Value::S),
        number().prop_map(Value::N),
        bytes().prop_map(Value::B),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        prop::collection::btree_set(text(), 0..3).prop_map(Value::Ss),
        prop::collection::btree_set(number(), 0..3).prop_map(Value::Ns),
        prop::collection::btree_set(bytes(), 0..3).prop_map(Value::Bs),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::L),
            prop::collection::btree_map(name(), inner, 0..3).prop_map(Value::M),
        ]
    })
    .boxed()
}

/// A comparison operator.
pub fn compare_op() -> BoxedStrategy<CompareOp> {
    prop::sample::select(&CompareOp::ALL[..]).boxed()
}

/// A value type (for `attribute_type`).
pub fn value_type() -> BoxedStrategy<ValueType> {
    prop::sample::select(&ValueType::ALL[..]).boxed()
}

/// A sort-key condition of every kind, comparing with `values`.
pub fn sort_key_condition(values: BoxedStrategy<Value>) -> BoxedStrategy<SortKeyCondition> {
    let v = values;
    prop_oneof![
        v.clone().prop_map(SortKeyCondition::Eq),
        v.clone().prop_map(SortKeyCondition::Lt),
        v.clone().prop_map(SortKeyCondition::Le),
        v.clone().prop_map(SortKeyCondition::Gt),
        v.clone().prop_map(SortKeyCondition::Ge),
        (v.clone(), v.clone()).prop_map(|(a, b)| SortKeyCondition::Between(a, b)),
        v.prop_map(SortKeyCondition::BeginsWith),
    ]
    .boxed()
}

impl Leaves {
    /// Awkward [`path`]s, [`value`]s of every type and [`number`]s; `ADD`/`DELETE` take numbers
    /// and sets.
    pub fn awkward() -> Leaves {
        Leaves {
            path: path(),
            value: value(),
            number: number(),
            add_delete_value: prop_oneof![
                number().prop_map(Value::N),
                prop::collection::btree_set(".{0,4}", 1..3).prop_map(Value::Ss),
                prop::collection::btree_set(number(), 1..3).prop_map(Value::Ns),
            ]
            .boxed(),
        }
    }

    /// A value, a path or `size(path)`.
    pub fn operand(&self) -> BoxedStrategy<Operand> {
        prop_oneof![
            4 => self.value.clone().prop_map(Operand::Value),
            2 => self.path.clone().prop_map(Operand::Path),
            1 => self.path.clone().prop_map(Operand::Size),
        ]
        .boxed()
    }

    /// A condition of every kind, nested up to two levels of AND / OR / NOT, each comparison
    /// with a path (or `size(path)`) first, as conditions are written.
    pub fn condition(&self) -> BoxedStrategy<Condition> {
        let path = || self.path.clone();
        let operand = || self.operand();
        let leaf = prop_oneof![
            6 => (path(), compare_op(), operand())
                .prop_map(|(p, op, v)| Condition::Compare(Operand::Path(p), op, v)),
            1 => (path(), compare_op(), self.number.clone())
                .prop_map(|(p, op, n)| Condition::Compare(Operand::Size(p), op, Operand::Value(Value::N(n)))),
            1 => (path(), operand(), operand())
                .prop_map(|(p, a, b)| Condition::Between(Operand::Path(p), a, b)),
            1 => (path(), prop::collection::vec(operand(), 1..3))
                .prop_map(|(p, v)| Condition::In(Operand::Path(p), v)),
            2 => (path(), operand()).prop_map(|(p, v)| Condition::BeginsWith(p, v)),
            2 => (path(), operand()).prop_map(|(p, v)| Condition::Contains(p, v)),
            3 => path().prop_map(Condition::Exists),
            3 => path().prop_map(Condition::NotExists),
            1 => (path(), value_type()).prop_map(|(p, t)| Condition::IsType(p, t)),
        ];
        leaf.prop_recursive(2, 6, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..3).prop_map(Condition::And),
                prop::collection::vec(inner.clone(), 1..3).prop_map(Condition::Or),
                inner.prop_map(|c| Condition::Not(Box::new(c))),
            ]
        })
        .boxed()
    }

    /// An operand of a `SET` value: a value, a path, or `if_not_exists` (nested up to twice).
    pub fn set_operand(&self) -> BoxedStrategy<SetOperand> {
        let leaf = prop_oneof![
            2 => self.value.clone().prop_map(SetOperand::Value),
            1 => self.path.clone().prop_map(SetOperand::Path),
        ];
        let path = self.path.clone();
        leaf.prop_recursive(2, 3, 1, move |inner| {
            (path.clone(), inner).prop_map(|(p, fallback)| SetOperand::if_not_exists(p, fallback))
        })
        .boxed()
    }

    /// The right-hand side of a `SET` action, of every kind.
    pub fn set_value(&self) -> BoxedStrategy<SetValue> {
        let operand = || self.set_operand();
        prop_oneof![
            6 => operand().prop_map(SetValue::Operand),
            2 => (operand(), operand()).prop_map(|(a, b)| SetValue::Plus(a, b)),
            1 => (operand(), operand()).prop_map(|(a, b)| SetValue::Minus(a, b)),
            2 => (operand(), operand()).prop_map(|(a, b)| SetValue::ListAppend(a, b)),
        ]
        .boxed()
    }

    /// An update of zero to three actions of every kind (zero, and overlapping paths, are
    /// updates DynamoDB rejects).
    pub fn update(&self) -> BoxedStrategy<Update> {
        let path = || self.path.clone();
        let action = prop_oneof![
            6 => (path(), self.set_value()).prop_map(|(p, v)| UpdateAction::Set(p, v)),
            2 => path().prop_map(UpdateAction::Remove),
            2 => (path(), self.add_delete_value.clone()).prop_map(|(p, v)| UpdateAction::Add(p, v)),
            1 => (path(), self.add_delete_value.clone()).prop_map(|(p, v)| UpdateAction::Delete(p, v)),
        ];
        prop::collection::vec(action, 0..4)
            .prop_map(|actions| Update { actions })
            .boxed()
    }

    /// A projection of one or two paths.
    pub fn projection(&self) -> BoxedStrategy<Vec<Path>> {
        prop::collection::vec(self.path.clone(), 1..3).boxed()
    }

    /// A key condition on `pk` (and `sk`, compared with [`Leaves::value`]s).
    pub fn key_condition(&self) -> BoxedStrategy<KeyCondition> {
        (
            self.value.clone(),
            prop::option::of(sort_key_condition(self.value.clone())),
        )
            .prop_map(|(partition_value, sort)| KeyCondition {
                extra_partition: Vec::new(),
                sort_prefix: Vec::new(),
                partition_name: "pk".into(),
                partition_value,
                sort: sort.map(|s| ("sk".to_owned(), s)),
            })
            .boxed()
    }
}

/// `And([x])` / `Or([x])` render as `x`: compare modulo that.
pub(crate) fn normalize(c: Condition) -> Condition {
    match c {
        Condition::And(mut v) if v.len() == 1 => normalize(v.remove(0)),
        Condition::Or(mut v) if v.len() == 1 => normalize(v.remove(0)),
        Condition::And(v) => Condition::And(v.into_iter().map(normalize).collect()),
        Condition::Or(v) => Condition::Or(v.into_iter().map(normalize).collect()),
        Condition::Not(c) => Condition::Not(Box::new(normalize(*c))),
        other => other,
    }
}

fn placeholders(rendered: &Expressions) -> Placeholders {
    Placeholders::new(rendered.names.clone(), rendered.values.clone())
}

fn message(e: Error) -> String {
    e.to_string()
}

/// The round trip `parse(render(ast)) == ast`, for a condition, an update, a projection and a
/// key condition on `pk` / `sk`: the parser reads back exactly what the renderer writes, with
/// every placeholder used. An update DynamoDB rejects (no actions, overlapping paths) must fail
/// to parse instead. AND / OR of one condition render as that condition, and update
/// actions are grouped by clause, so those compare modulo that.
///
/// For a proptest body: `check_round_trip(condition, update, projection, key)?`.
pub fn check_round_trip(
    condition: Condition,
    update: Update,
    projection: Vec<Path>,
    key: KeyCondition,
) -> Result<(), TestCaseError> {
    let rendered = Expressions::new().with_condition(condition.clone());
    let mut ph = placeholders(&rendered);
    let text = rendered.condition.as_deref().unwrap_or_default();
    let parsed = parse::condition(&mut ph, Clause::Condition, text);
    parsed_back(parsed.map(normalize), normalize(condition), text, ph)?;

    let rendered = Expressions::new().with_update(update.clone());
    let mut ph = placeholders(&rendered);
    let text = rendered.update.as_deref().unwrap_or_default();
    let parsed = parse::update(&mut ph, text);
    if update.validate().is_ok() {
        let sorted = |mut u: Update| {
            u.actions.sort_by_key(|a| format!("{a:?}"));
            u
        };
        parsed_back(parsed.map(sorted), sorted(update), text, ph)?;
    } else {
        prop_assert!(parsed.is_err(), "DynamoDB rejects {:?}", update);
    }

    let rendered = Expressions::new().with_projection(&projection);
    let mut ph = placeholders(&rendered);
    let text = rendered.projection.as_deref().unwrap_or_default();
    let parsed = parse::projection(&mut ph, text);
    parsed_back(parsed, projection, text, ph)?;

    let rendered = Expressions::new().with_key_condition(key.clone());
    let mut ph = placeholders(&rendered);
    let text = rendered.key_condition.as_deref().unwrap_or_default();
    let sort_key = key.sort.as_ref().map(|(name, _)| name.as_str());
    let parsed = parse::key_condition(&mut ph, text, &key.partition_name, sort_key);
    parsed_back(parsed, key, text, ph)
}

/// One clause's round trip: `text` parsed back to `expected`, with every placeholder of `ph`
/// used.
fn parsed_back<T: PartialEq + std::fmt::Debug>(
    parsed: Result<T, Error>,
    expected: T,
    text: &str,
    ph: Placeholders,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(parsed.map_err(message), Ok(expected), "{}", text);
    prop_assert_eq!(ph.finish().map_err(message), Ok(()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::coverage::Seen;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};

    proptest! {
        #![proptest_config(Config { cases: 512, failure_persistence: None, ..Config::default() })]

        /// parse(render(ast)) == ast for conditions, updates, projections and key conditions
        /// over awkward names and values of every type.
        #[test]
        fn parse_inverts_render(
            condition in Leaves::awkward().condition(),
            update in Leaves::awkward().update(),
            projection in Leaves::awkward().projection(),
            key in Leaves::awkward().key_condition(),
        ) {
            check_round_trip(condition, update, projection, key)?;
        }
    }

    /// Every kind of node comes out of the generators (so the round trip covers it).
    #[test]
    fn the_generators_make_every_kind_of_node() {
        let mut runner = TestRunner::deterministic();
        let leaves = Leaves::awkward();
        let mut seen = Seen::default();
        for _ in 0..2000 {
            seen.condition(&leaves.condition().new_tree(&mut runner).unwrap().current());
            seen.update(&leaves.update().new_tree(&mut runner).unwrap().current());
        }
        seen.assert_every_kind();
    }
}
