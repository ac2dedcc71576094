//! The random operations: keys, items and values from a small space (to force collisions, with
//! the edge cases DynamoDB cares about), and expression trees from orm-core's
//! [`expr::strategy`](orm_core::expr::strategy) over that space.

use crate::{BatchOp, MultiIndex, Op, TxOp};
use orm_core::backend::ReturnValues;
use orm_core::backend::{KeyAttribute, KeyType};
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

/// A whole item: a key, some attributes, sometimes index keys (sometimes of the wrong type),
/// and attributes of the multi-attribute index `m` (sometimes sparse or of the wrong type).
fn arb_item(m: &MultiIndex) -> impl Strategy<Value = Item> {
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
    (arb_key(), attrs, gsi, arb_multi_attributes(m)).prop_map(|(mut item, attrs, gsi, multi)| {
        item.extend(attrs);
        item.extend(multi);
        if let Some((g, s)) = gsi {
            item.insert("gpk".into(), g);
            item.insert("gsk".into(), s);
        }
        item
    })
}

/// The attribute names of a multi-attribute index: partition `h1..h4`, sort `r1..r4`.
const HASH_NAMES: &[&str] = &["h1", "h2", "h3", "h4"];
const RANGE_NAMES: &[&str] = &["r1", "r2", "r3", "r4"];

/// A multi-attribute global index `mgsi`: 1-4 partition and 0-4 sort attributes of S, N or B.
pub(crate) fn arb_multi_index() -> impl Strategy<Value = MultiIndex> {
    let key_type = || prop::sample::select(&[KeyType::S, KeyType::N, KeyType::B][..]);
    (
        prop::collection::vec(key_type(), 1..=4),
        prop::collection::vec(key_type(), 0..=4),
    )
        .prop_map(|(hash, range)| {
            let named = |names: &[&str], types: Vec<KeyType>| {
                names
                    .iter()
                    .zip(types)
                    .map(|(name, key_type)| KeyAttribute {
                        name: (*name).to_owned(),
                        key_type,
                    })
                    .collect()
            };
            MultiIndex {
                partition: named(HASH_NAMES, hash),
                sort: named(RANGE_NAMES, range),
            }
        })
}

const INDEX_PARTITION_BINARIES: &[&[u8]] = &[b"\x01", b"\x02"];
const INDEX_SORT_BINARIES: &[&[u8]] = &[b"\x00", b"\x00\x01", b"a", b"\xff"];

/// A value of `key_type` for a partition attribute (two per type, one mostly, so partitions
/// collide) or a
/// sort attribute (three, with edge cases: a zero byte, a negative number).
fn arb_key_value(key_type: KeyType, partition: bool) -> BoxedStrategy<Value> {
    match (key_type, partition) {
        // One value mostly, so that a query of up to four attributes finds its partition.
        (KeyType::S, true) => {
            prop_oneof![12 => Just(Value::from("x")), 1 => Just(Value::from("y"))].boxed()
        }
        (KeyType::S, false) => prop::sample::select(&["a", "ab", "b", "\u{e9}"][..])
            .prop_map(Value::from)
            .boxed(),
        (KeyType::N, true) => {
            prop_oneof![12 => Just(Value::from(1)), 1 => Just(Value::from(2))].boxed()
        }
        (KeyType::N, false) => prop::sample::select(&["-1", "0.5", "10", "2"][..])
            .prop_map(|n| Value::N(Number::parse(n).expect("valid test number")))
            .boxed(),
        (KeyType::B, true) => prop_oneof![
            12 => Just(Value::B(INDEX_PARTITION_BINARIES[0].to_vec())),
            1 => Just(Value::B(INDEX_PARTITION_BINARIES[1].to_vec())),
        ]
        .boxed(),
        (KeyType::B, false) => prop::sample::select(INDEX_SORT_BINARIES)
            .prop_map(|b| Value::B(b.to_vec()))
            .boxed(),
    }
}

/// A value of another type than `key_type` (an item DynamoDB refuses), or an empty one.
fn arb_bad_key_value(key_type: KeyType) -> BoxedStrategy<Value> {
    let other = match key_type {
        KeyType::S => KeyType::N,
        KeyType::N | KeyType::B => KeyType::S,
    };
    prop_oneof![
        3 => arb_key_value(other, true),
        1 => Just(match key_type {
            KeyType::B => Value::B(Vec::new()),
            _ => Value::from(""),
        }),
        1 => Just(Value::Bool(true)),
    ]
    .boxed()
}

/// Every attribute of `m` with its (partition or sort) value.
fn arb_multi_values(m: &MultiIndex) -> BoxedStrategy<Vec<(String, Value)>> {
    let strategies: Vec<BoxedStrategy<(String, Value)>> = m
        .attributes()
        .map(|(a, partition)| {
            let name = a.name.clone();
            arb_key_value(a.key_type, partition)
                .prop_map(move |v| (name.clone(), v))
                .boxed()
        })
        .collect();
    strategies.boxed()
}

/// The multi-attribute index's attributes of an item: all of them (in the index), all but one
/// (sparse: not in it), or each present, missing or of a wrong type.
fn arb_multi_attributes(m: &MultiIndex) -> BoxedStrategy<Vec<(String, Value)>> {
    let n = m.partition.len() + m.sort.len();
    let each: Vec<BoxedStrategy<Option<(String, Value)>>> = m
        .attributes()
        .map(|(a, partition)| {
            let name = a.name.clone();
            let bad_name = a.name.clone();
            prop_oneof![
                4 => arb_key_value(a.key_type, partition).prop_map(move |v| Some((name.clone(), v))),
                1 => Just(None),
                1 => arb_bad_key_value(a.key_type).prop_map(move |v| Some((bad_name.clone(), v))),
            ]
            .boxed()
        })
        .collect();
    prop_oneof![
        6 => arb_multi_values(m),
        2 => (arb_multi_values(m), 0..n).prop_map(|(mut all, i)| {
            all.remove(i);
            all
        }),
        1 => each.prop_map(|each| each.into_iter().flatten().collect()),
        1 => Just(Vec::new()),
    ]
    .boxed()
}

/// A key condition on `mgsi`: mostly a legal shape (every partition attribute equal, the first
/// `k` sort attributes with equalities and any condition on the last), sometimes an illegal
/// one (a partition attribute missing or of the wrong type, a sort attribute skipped, a range
/// before the last, a non-key attribute).
fn arb_multi_key(m: &MultiIndex) -> BoxedStrategy<KeyCondition> {
    let m = m.clone();
    let partition = arb_multi_values(&MultiIndex {
        partition: m.partition.clone(),
        sort: Vec::new(),
    });
    let sort_values = arb_multi_values(&MultiIndex {
        partition: Vec::new(),
        sort: m.sort.clone(),
    });
    let last: Vec<BoxedStrategy<SortKeyCondition>> = m
        .sort
        .iter()
        .map(|a| strategy::sort_key_condition(arb_key_value(a.key_type, false)))
        .collect();
    let n_sort = m.sort.len();
    (
        partition,
        sort_values,
        last,
        0..=n_sort,
        prop_oneof![
            12 => Just(None),
            1 => (0..4usize).prop_map(Some),
        ],
        any::<prop::sample::Index>(),
        arb_bad_key_value(m.partition[0].key_type),
    )
        .prop_map(move |(partition, sorts, last, k, illegal, pick, bad)| {
            let mut partition = partition;
            let mut given: Vec<(String, Value)> = sorts.into_iter().take(k).collect();
            let condition = last;
            match illegal {
                // A partition attribute missing (when there are others to name).
                Some(0) if partition.len() > 1 => {
                    partition.remove(pick.index(partition.len()));
                }
                // A partition value of the wrong type.
                Some(0) => partition[0].1 = bad,
                // A sort attribute skipped (the first given ones but one).
                Some(1) if given.len() >= 2 => {
                    given.remove(pick.index(given.len() - 1));
                }
                // A range on a sort attribute that is not the last given.
                Some(2) if given.len() >= 2 => {
                    let i = pick.index(given.len() - 1);
                    let moved = given.remove(i);
                    given.push(moved);
                }
                // A condition on an attribute that is not in the key.
                Some(_) => given.push(("a".to_owned(), Value::from("a"))),
                None => {}
            }
            let mut key = KeyCondition::partition(partition[0].0.clone(), partition[0].1.clone());
            key.extra_partition = partition[1..].to_vec();
            if let Some((name, value)) = given.pop() {
                let at = m.sort.iter().position(|a| a.name == name);
                let c = match at.and_then(|i| condition.get(i)) {
                    Some(c) => c.clone(),
                    None => SortKeyCondition::Eq(value),
                };
                key.sort = Some((name, c));
            }
            key.sort_prefix = given;
            key
        })
        .boxed()
}

/// A query or a scan of `mgsi`.
fn arb_multi_read(m: &MultiIndex) -> BoxedStrategy<Op> {
    prop_oneof![
        4 => (
            arb_multi_key(m),
            opt(arb_condition()),
            opt(1u32..5),
            any::<bool>(),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(key, filter, limit, forward, count_only)| Op::MultiQuery {
                key,
                filter,
                limit,
                forward,
                count_only,
            }),
        1 => opt(1u32..4).prop_map(|limit| Op::MultiScan { limit }),
    ]
    .boxed()
}

/// An update that sets or removes attributes of `mgsi` (moving an item in, out or within it).
fn arb_multi_update(m: &MultiIndex) -> BoxedStrategy<Update> {
    let names: Vec<String> = m.attributes().map(|(a, _)| a.name.clone()).collect();
    (
        arb_multi_attributes(m),
        prop::sample::subsequence(names.clone(), 0..=names.len().min(2)),
    )
        .prop_map(|(set, remove)| {
            let mut update = Update::new();
            for (name, value) in set.into_iter().take(2) {
                if !remove.contains(&name) {
                    update = update.set(Path::name(name), value);
                }
            }
            for name in remove {
                update = update.remove(Path::name(name));
            }
            update
        })
        .boxed()
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

fn arb_tx_op(m: &MultiIndex) -> impl Strategy<Value = TxOp> {
    prop_oneof![
        3 => (arb_item(m), opt(arb_condition())).prop_map(|(i, c)| TxOp::Put(i, c)),
        3 => (arb_key(), arb_update(), opt(arb_condition()))
            .prop_map(|(k, u, c)| TxOp::Update(k, u, c)),
        2 => (arb_key(), opt(arb_condition())).prop_map(|(k, c)| TxOp::Delete(k, c)),
        2 => (arb_key(), arb_condition()).prop_map(|(k, c)| TxOp::Check(k, c)),
    ]
}

fn arb_op(m: &MultiIndex) -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (arb_item(m), prop::option::weighted(0.4, arb_condition()), arb_put_return_values())
            .prop_map(|(item, condition, return_values)| Op::Put { item, condition, return_values }),
        6 => (arb_key(), arb_update(), prop::option::weighted(0.4, arb_condition()), arb_return_values())
            .prop_map(|(key, update, condition, return_values)| Op::Update { key, update, condition, return_values }),
        2 => (arb_key(), prop::option::weighted(0.4, arb_condition()), arb_put_return_values())
            .prop_map(|(key, condition, return_values)| Op::Delete { key, condition, return_values }),
        3 => (arb_key(), prop::option::weighted(0.2, arb_projection()))
            .prop_map(|(key, projection)| Op::Get { key, projection }),
        5 => arb_query(),
        4 => arb_multi_read(m),
        // Items in `mgsi` (every attribute there and of its type), so that its reads find some.
        6 => (arb_key(), arb_multi_values(m)).prop_map(|(mut item, multi)| {
            item.extend(multi);
            Op::Put { item, condition: None, return_values: ReturnValues::None }
        }),
        2 => (arb_key(), arb_multi_update(m), arb_return_values())
            .prop_map(|(key, update, return_values)| Op::Update { key, update, condition: None, return_values }),
        2 => (prop::bool::weighted(0.3), opt(arb_condition()), opt(1u32..4), prop::bool::weighted(0.1))
            .prop_map(|(index, filter, limit, count_only)| Op::Scan { index, filter, limit, count_only }),
        2 => prop::collection::vec(
            prop_oneof![3 => arb_item(m).prop_map(BatchOp::Put), 1 => arb_key().prop_map(BatchOp::Delete)],
            0..5,
        )
        .prop_map(Op::BatchWrite),
        1 => prop::collection::vec(arb_key(), 0..4).prop_map(Op::BatchGet),
        3 => prop::collection::vec(arb_tx_op(m), 0..4).prop_map(Op::Transact),
        1 => prop::collection::vec(arb_key(), 0..3).prop_map(Op::TransactGet),
    ]
}

/// A table's multi-attribute index and a sequence of operations on the table.
pub(crate) fn arb_sequence() -> impl Strategy<Value = (MultiIndex, Vec<Op>)> {
    arb_multi_index().prop_flat_map(|m| {
        let ops = prop::collection::vec(arb_op(&m), 5..15);
        (Just(m), ops)
    })
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
