//! The random operations: keys, items and values from a small space (to force collisions, with
//! the edge cases DynamoDB cares about), and expression trees from orm-core's
//! [`expr::strategy`](orm_core::expr::strategy) over that space.

use crate::{BatchOp, Op, TxOp};
use orm_core::backend::ReturnValues;
use orm_core::expr::strategy::{self, Leaves};
use orm_core::expr::{Condition, KeyCondition, Path, SortKeyCondition, Update};
use orm_core::{Item, Number, Value};
use proptest::prelude::*;
use proptest::test_runner::Config;

const PARTITIONS: &[&str] = &["p", "q", "é"];
const SORTS: &[&str] = &["a", "a#1", "a#2", "b", "B", "ü", "\u{1F600}", "a\u{0}"];
const INDEX_PARTITIONS: &[&str] = &["g1", "g2"];
const NAMES: &[&str] = &[
    "a", "b", "n", "l", "m", "size", "x.y", "#h", ":c", "gpk", "gsk",
];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "0.5",
    "1E+2",
    "-0.000001",
    "12345678901234567890.123456789",
    "99999999999999999999999999999999999999",
    "9.9999999999999999999999999999999999999E+125",
    "-9.9999999999999999999999999999999999999E+125",
    "1E-130",
];
const STRINGS: &[&str] = &["", "a", "ab", "b", "é", "\u{1F600}", "a\u{0}b", "g1", "p"];
const BINARIES: &[&[u8]] = &[b"", b"\x00", b"\x00\x01", b"\xff", b"a"];

fn number(i: usize) -> Number {
    Number::parse(NUMBERS[i]).expect("valid test number")
}

fn arb_number() -> impl Strategy<Value = Number> {
    (0..NUMBERS.len()).prop_map(number)
}

fn arb_string() -> impl Strategy<Value = String> {
    prop::sample::select(STRINGS).prop_map(str::to_owned)
}

fn arb_binary() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(BINARIES).prop_map(<[u8]>::to_vec)
}

/// Scalars and sets (sets may be empty: DynamoDB rejects those).
fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => arb_string().prop_map(Value::S),
        4 => arb_number().prop_map(Value::N),
        1 => arb_binary().prop_map(Value::B),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
        1 => prop::collection::btree_set(arb_string(), 0..3).prop_map(Value::Ss),
        2 => prop::collection::btree_set(arb_number(), 0..3).prop_map(Value::Ns),
        1 => prop::collection::btree_set(arb_binary(), 0..3).prop_map(Value::Bs),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::L),
            prop::collection::btree_map(
                prop::sample::select(&["x", "y", "", "z.w"][..]).prop_map(str::to_owned),
                inner,
                0..3
            )
            .prop_map(Value::M),
        ]
    })
}

/// Non-empty sets for ADD / DELETE, and numbers.
fn arb_set_or_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => arb_number().prop_map(Value::N),
        1 => prop::collection::btree_set(arb_string(), 0..3).prop_map(Value::Ss),
        2 => prop::collection::btree_set(arb_number(), 0..3).prop_map(Value::Ns),
        1 => prop::collection::btree_set(arb_binary(), 1..3).prop_map(Value::Bs),
        1 => arb_string().prop_map(Value::S),
    ]
}

/// A primary key; mostly valid, sometimes empty, missing a part or of the wrong type.
fn arb_key() -> impl Strategy<Value = Item> {
    let valid = (
        prop::sample::select(PARTITIONS),
        prop::sample::select(SORTS),
    )
        .prop_map(|(p, s)| Item::new().with("pk", p).with("sk", s));
    prop_oneof![
        30 => valid,
        1 => prop::sample::select(PARTITIONS).prop_map(|p| Item::new().with("pk", p).with("sk", "")),
        1 => prop::sample::select(SORTS).prop_map(|s| Item::new().with("pk", "").with("sk", s)),
        1 => prop::sample::select(PARTITIONS).prop_map(|p| Item::new().with("pk", p)),
        1 => Just(Item::new().with("pk", 1).with("sk", "a")),
        1 => Just(Item::new().with("pk", "p").with("sk", "a").with("a", 1)),
    ]
}

/// A whole item: a key, some attributes, sometimes index keys (sometimes of the wrong type).
fn arb_item() -> impl Strategy<Value = Item> {
    let attrs = prop::collection::btree_map(
        prop::sample::select(&NAMES[..9]).prop_map(str::to_owned),
        arb_value(),
        0..4,
    );
    let gsi = prop_oneof![
        3 => Just(None),
        4 => (prop::sample::select(INDEX_PARTITIONS), arb_number())
            .prop_map(|(g, n)| Some((Value::from(g), Value::N(n)))),
        1 => (prop::sample::select(INDEX_PARTITIONS), arb_leaf())
            .prop_map(|(g, v)| Some((Value::from(g), v))),
        1 => arb_leaf().prop_map(|v| Some((v, Value::from(1)))),
    ];
    (arb_key(), attrs, gsi).prop_map(|(mut item, attrs, gsi)| {
        item.extend(attrs);
        if let Some((g, s)) = gsi {
            item.insert("gpk".into(), g);
            item.insert("gsk".into(), s);
        }
        item
    })
}

fn arb_path() -> impl Strategy<Value = Path> {
    prop_oneof![
        8 => prop::sample::select(NAMES).prop_map(Path::name),
        2 => prop::sample::select(&["x", "y", "z.w"][..]).prop_map(|k| Path::name("m").key(k)),
        2 => (0usize..3).prop_map(|i| Path::name("l").index(i)),
        1 => Just(Path::name("m").key("x").key("y")),
        1 => Just(Path::name("l").index(0).key("x")),
        1 => prop::sample::select(&["pk", "sk"][..]).prop_map(Path::name),
        1 => Just(Path::name("")),
    ]
}

/// The leaves of every expression tree: this space's paths, values and numbers.
fn leaves() -> Leaves {
    Leaves {
        path: arb_path().boxed(),
        value: arb_value().boxed(),
        number: arb_number().boxed(),
        add_delete_value: arb_set_or_number().boxed(),
    }
}

fn arb_condition() -> BoxedStrategy<Condition> {
    leaves().condition()
}

fn arb_update() -> BoxedStrategy<Update> {
    leaves().update()
}

fn arb_projection() -> BoxedStrategy<Vec<Path>> {
    leaves().projection()
}

fn arb_sort_condition(index: bool) -> BoxedStrategy<SortKeyCondition> {
    let v: BoxedStrategy<Value> = if index {
        prop_oneof![4 => arb_number().prop_map(Value::N), 1 => arb_string().prop_map(Value::S)]
            .boxed()
    } else {
        prop_oneof![
            6 => prop::sample::select(SORTS).prop_map(Value::from),
            1 => arb_string().prop_map(Value::S),
            1 => arb_number().prop_map(Value::N),
        ]
        .boxed()
    };
    strategy::sort_key_condition(v)
}

fn arb_return_values() -> impl Strategy<Value = ReturnValues> {
    prop::sample::select(
        &[
            ReturnValues::None,
            ReturnValues::AllOld,
            ReturnValues::UpdatedOld,
            ReturnValues::AllNew,
            ReturnValues::UpdatedNew,
        ][..],
    )
}

fn arb_put_return_values() -> impl Strategy<Value = ReturnValues> {
    prop_oneof![
        10 => Just(ReturnValues::None),
        10 => Just(ReturnValues::AllOld),
        1 => Just(ReturnValues::AllNew),
    ]
}

fn opt<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop::option::weighted(0.5, s)
}

fn arb_query() -> impl Strategy<Value = Op> {
    any::<u8>().prop_flat_map(|r| {
        let index = r % 4 == 0;
        let partition: BoxedStrategy<Value> = if index {
            prop::sample::select(INDEX_PARTITIONS)
                .prop_map(Value::from)
                .boxed()
        } else {
            prop_oneof![
                8 => prop::sample::select(PARTITIONS).prop_map(Value::from),
                1 => Just(Value::from("")),
                1 => Just(Value::from(1)),
            ]
            .boxed()
        };
        (
            partition,
            opt(arb_sort_condition(index)),
            opt(arb_condition()),
            prop::option::weighted(0.2, arb_projection()),
            opt(0u32..5),
            any::<bool>(),
            prop::bool::weighted(0.1),
        )
            .prop_map(
                move |(partition, sort, filter, projection, limit, forward, count_only)| {
                    Op::Query {
                        index,
                        partition,
                        sort,
                        filter,
                        projection,
                        limit,
                        forward,
                        count_only,
                    }
                },
            )
    })
}

fn arb_tx_op() -> impl Strategy<Value = TxOp> {
    prop_oneof![
        3 => (arb_item(), opt(arb_condition())).prop_map(|(i, c)| TxOp::Put(i, c)),
        3 => (arb_key(), arb_update(), opt(arb_condition()))
            .prop_map(|(k, u, c)| TxOp::Update(k, u, c)),
        2 => (arb_key(), opt(arb_condition())).prop_map(|(k, c)| TxOp::Delete(k, c)),
        2 => (arb_key(), arb_condition()).prop_map(|(k, c)| TxOp::Check(k, c)),
    ]
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (arb_item(), prop::option::weighted(0.4, arb_condition()), arb_put_return_values())
            .prop_map(|(item, condition, return_values)| Op::Put { item, condition, return_values }),
        6 => (arb_key(), arb_update(), prop::option::weighted(0.4, arb_condition()), arb_return_values())
            .prop_map(|(key, update, condition, return_values)| Op::Update { key, update, condition, return_values }),
        2 => (arb_key(), prop::option::weighted(0.4, arb_condition()), arb_put_return_values())
            .prop_map(|(key, condition, return_values)| Op::Delete { key, condition, return_values }),
        3 => (arb_key(), prop::option::weighted(0.2, arb_projection()))
            .prop_map(|(key, projection)| Op::Get { key, projection }),
        5 => arb_query(),
        2 => (prop::bool::weighted(0.3), opt(arb_condition()), opt(1u32..4), prop::bool::weighted(0.1))
            .prop_map(|(index, filter, limit, count_only)| Op::Scan { index, filter, limit, count_only }),
        2 => prop::collection::vec(
            prop_oneof![3 => arb_item().prop_map(BatchOp::Put), 1 => arb_key().prop_map(BatchOp::Delete)],
            0..5,
        )
        .prop_map(Op::BatchWrite),
        1 => prop::collection::vec(arb_key(), 0..4).prop_map(Op::BatchGet),
        3 => prop::collection::vec(arb_tx_op(), 0..4).prop_map(Op::Transact),
        1 => prop::collection::vec(arb_key(), 0..3).prop_map(Op::TransactGet),
    ]
}

pub(crate) fn arb_sequence() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(arb_op(), 5..15)
}

proptest! {
    #![proptest_config(Config { cases: 512, failure_persistence: None, ..Config::default() })]

    /// parse(render(ast)) == ast over this value space (orm-core checks it over its own):
    /// the parser the MemoryServer uses reads back exactly what the DynamoDB backend sends.
    #[test]
    fn the_server_parser_inverts_the_renderer(
        condition in arb_condition(),
        update in arb_update(),
        projection in arb_projection(),
        sort in arb_sort_condition(false),
    ) {
        let key = KeyCondition {
            extra_partition: Vec::new(),
            sort_prefix: Vec::new(),
            partition_name: "pk".into(),
            partition_value: Value::from("P"),
            sort: Some(("sk".into(), sort)),
        };
        strategy::check_round_trip(condition, update, projection, key)?;
    }
}
