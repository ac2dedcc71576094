//! Integration tests of the serde bridge: `to_item`/`from_item`/`to_value`/`from_value`.

use orm_core::{
    from_attributes, from_item, from_value, to_item, to_value, BinarySet, Error, Item, Number,
    NumberRef, NumberSet, StringSet, Value, ValueRef,
};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

fn n(text: &str) -> Number {
    Number::parse(text).unwrap()
}

fn serde_error(e: Error) -> (String, String) {
    match e {
        Error::Serde { path, message } => (path, message),
        other => panic!("expected Error::Serde, got {other:?}"),
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Open,
    Closed,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Shape {
    Point,
    Circle(f64),
    Rect(u32, u32),
    Poly { sides: u8, name: String },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "type")]
enum Event {
    Created { by: String },
    Moved { from: i32, to: i32 },
    Deleted,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Num(i64),
    Text(String),
    Nothing,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
enum Loose {
    Int(i64),
    Text(String),
    Pair { a: bool, b: Option<String> },
    List(Vec<u8>),
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Inner {
    name: String,
    score: u16,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct UserId(String);

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Point3(i32, i32, i32);

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Marker;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Everything {
    s: String,
    empty_s: String,
    c: char,
    b: bool,
    i8_min: i8,
    i8_max: i8,
    i16_min: i16,
    i16_max: i16,
    i32_min: i32,
    i32_max: i32,
    i64_min: i64,
    i64_max: i64,
    isize_min: isize,
    u8_max: u8,
    u16_max: u16,
    u32_max: u32,
    u64_max: u64,
    usize_max: usize,
    i128_big: i128,
    i128_neg: i128,
    u128_big: u128,
    f32_tenth: f32,
    f32_max: f32,
    f64_tenth: f64,
    f64_small: f64,
    f64_third: f64,
    f64_neg: f64,
    f64_int: f64,
    some: Option<String>,
    none: Option<String>,
    nested_opt: Option<Option<u8>>,
    list: Vec<u32>,
    list_of_opts: Vec<Option<i8>>,
    tuple: (u8, String, bool),
    inner: Inner,
    inners: Vec<Inner>,
    hash: HashMap<String, i64>,
    btree: BTreeMap<String, Inner>,
    int_keys: BTreeMap<u32, String>,
    enum_keys: BTreeMap<Status, u8>,
    status: Status,
    shapes: Vec<Shape>,
    events: Vec<Event>,
    adjacent: Vec<Adjacent>,
    loose: Vec<Loose>,
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
    #[serde(with = "serde_bytes")]
    empty_bytes: Vec<u8>,
    tags: StringSet,
    nums: NumberSet,
    blobs: BinarySet,
    #[serde(with = "orm_core::serde_bridge::string_set", default)]
    roles: HashSet<String>,
    #[serde(with = "orm_core::serde_bridge::string_set", default)]
    roles_sorted: BTreeSet<String>,
    #[serde(with = "orm_core::serde_bridge::number_set", default)]
    years: BTreeSet<u16>,
    #[serde(with = "orm_core::serde_bridge::number_set", default)]
    offsets: HashSet<i64>,
    #[serde(with = "orm_core::serde_bridge::number_set", default)]
    exact_set: BTreeSet<Number>,
    #[serde(with = "orm_core::serde_bridge::binary_set", default)]
    chunks: HashSet<Vec<u8>>,
    number: Number,
    numbers: Vec<Number>,
    id: UserId,
    point: Point3,
    marker_list: Vec<Marker>,
}

fn everything() -> Everything {
    Everything {
        s: "hello \u{1F600}".into(),
        empty_s: String::new(),
        c: 'λ',
        b: true,
        i8_min: i8::MIN,
        i8_max: i8::MAX,
        i16_min: i16::MIN,
        i16_max: i16::MAX,
        i32_min: i32::MIN,
        i32_max: i32::MAX,
        i64_min: i64::MIN,
        i64_max: i64::MAX,
        isize_min: isize::MIN,
        u8_max: u8::MAX,
        u16_max: u16::MAX,
        u32_max: u32::MAX,
        u64_max: u64::MAX,
        usize_max: usize::MAX,
        i128_big: 99_999_999_999_999_999_999_999_999_999_999_999_999, // 38 nines
        i128_neg: -12_345_678_901_234_567_890_123_456_789,
        u128_big: 340_282_366_920_938_463_463_374_607_431_768_211_450, // 38 significant digits
        f32_tenth: 0.1,
        f32_max: f32::MAX,
        f64_tenth: 0.1,
        f64_small: 1e-7,
        f64_third: 1.0 / 3.0,
        f64_neg: -2.5e-100,
        f64_int: 1e15,
        some: Some("x".into()),
        none: None,
        nested_opt: Some(Some(3)),
        list: vec![1, 2, 3],
        list_of_opts: vec![Some(1), None, Some(-1)],
        tuple: (7, "seven".into(), false),
        inner: Inner {
            name: "in".into(),
            score: 10,
        },
        inners: vec![
            Inner {
                name: "a".into(),
                score: 1,
            },
            Inner {
                name: "b".into(),
                score: 2,
            },
        ],
        hash: HashMap::from([("a".into(), -1), ("b.c".into(), 2)]),
        btree: BTreeMap::from([(
            "k".into(),
            Inner {
                name: "v".into(),
                score: 3,
            },
        )]),
        int_keys: BTreeMap::from([(1, "one".into()), (20, "twenty".into())]),
        enum_keys: BTreeMap::from([(Status::Open, 1), (Status::Closed, 2)]),
        status: Status::Closed,
        shapes: vec![
            Shape::Point,
            Shape::Circle(1.5),
            Shape::Rect(3, 4),
            Shape::Poly {
                sides: 6,
                name: "hex".into(),
            },
        ],
        events: vec![
            Event::Created { by: "ada".into() },
            Event::Moved { from: -1, to: 5 },
            Event::Deleted,
        ],
        adjacent: vec![
            Adjacent::Num(-42),
            Adjacent::Text("t".into()),
            Adjacent::Nothing,
        ],
        loose: vec![
            Loose::Int(-5),
            Loose::Int(i64::MAX),
            Loose::Text("text".into()),
            Loose::Pair {
                a: true,
                b: Some("b".into()),
            },
            Loose::Pair { a: false, b: None },
            Loose::List(vec![1, 2]),
        ],
        bytes: vec![0, 1, 2, 255],
        empty_bytes: Vec::new(),
        tags: ["x", "y"].into_iter().collect(),
        nums: [
            n("1.5"),
            n("-3"),
            n("12345678901234567890123456789012345678"),
        ]
        .into_iter()
        .collect(),
        blobs: [vec![1u8], vec![2, 3]].into_iter().collect(),
        roles: HashSet::from(["admin".into(), "dev".into()]),
        roles_sorted: BTreeSet::from(["z".into(), "a".into()]),
        years: BTreeSet::from([2024, 2025]),
        offsets: HashSet::from([-5, 0, 7]),
        exact_set: BTreeSet::from([n("0.1"), n("1e-130")]),
        chunks: HashSet::from([vec![9u8, 9], vec![]]),
        number: n("-1234567890.1234567890123456789012345678"),
        numbers: vec![n("0"), n("1e125"), n("-1e-130")],
        id: UserId("u-1".into()),
        point: Point3(1, -2, 3),
        marker_list: vec![Marker, Marker],
    }
}

#[test]
fn round_trips_every_supported_type() {
    let value = everything();
    let item = to_item(&value).unwrap();
    let back: Everything = from_item(item.clone()).unwrap();
    assert_eq!(back, value);
    // And again, through to_value / from_value.
    let v = to_value(&value).unwrap();
    assert_eq!(v, Value::M(item.0.clone()));
    let back: Everything = from_value(v).unwrap();
    assert_eq!(back, value);
}

#[test]
fn writes_the_expected_dynamodb_types() {
    let item = to_item(&everything()).unwrap();
    assert_eq!(item["s"], Value::S("hello \u{1F600}".into()));
    assert_eq!(item["empty_s"], Value::S(String::new()));
    assert_eq!(item["c"], Value::S("λ".into()));
    assert_eq!(item["b"], Value::Bool(true));
    assert_eq!(item["i64_min"], Value::N(n("-9223372036854775808")));
    assert_eq!(item["u64_max"], Value::N(n("18446744073709551615")));
    assert_eq!(
        item["i128_big"],
        Value::N(n("99999999999999999999999999999999999999"))
    );
    assert_eq!(
        item["u128_big"],
        Value::N(n("340282366920938463463374607431768211450"))
    );
    assert_eq!(item["f32_tenth"].to_string(), "0.1");
    assert_eq!(item["f64_tenth"].to_string(), "0.1");
    assert_eq!(item["f64_small"], Value::N(n("1e-7")));
    assert_eq!(item["f64_int"], Value::N(n("1000000000000000")));
    assert_eq!(item["some"], Value::S("x".into()));
    assert_eq!(item["nested_opt"], Value::N(n("3")));
    assert_eq!(
        item["list_of_opts"],
        Value::L(vec![Value::from(1i8), Value::Null, Value::from(-1i8)])
    );
    assert_eq!(
        item["tuple"],
        Value::L(vec![
            Value::from(7u8),
            Value::from("seven"),
            Value::Bool(false)
        ])
    );
    assert!(matches!(&item["inner"], Value::M(m) if m.len() == 2));
    assert!(matches!(&item["hash"], Value::M(m) if m.contains_key("b.c")));
    assert!(matches!(&item["int_keys"], Value::M(m) if m.contains_key("20")));
    assert!(matches!(&item["enum_keys"], Value::M(m) if m.contains_key("Open")));
    assert_eq!(item["status"], Value::S("Closed".into()));
    let Value::L(shapes) = &item["shapes"] else {
        panic!("shapes is a list")
    };
    assert_eq!(shapes[0], Value::S("Point".into()));
    assert_eq!(
        shapes[1],
        Value::M(BTreeMap::from([("Circle".into(), Value::N(n("1.5")))]))
    );
    assert_eq!(
        shapes[2],
        Value::M(BTreeMap::from([(
            "Rect".into(),
            Value::L(vec![Value::from(3u32), Value::from(4u32)])
        )]))
    );
    assert!(matches!(&shapes[3], Value::M(m) if matches!(&m["Poly"], Value::M(f) if f.len() == 2)));
    let Value::L(events) = &item["events"] else {
        panic!("events is a list")
    };
    assert_eq!(
        events[0],
        Value::M(BTreeMap::from([
            ("type".into(), Value::from("Created")),
            ("by".into(), Value::from("ada")),
        ]))
    );
    assert_eq!(
        events[2],
        Value::M(BTreeMap::from([("type".into(), Value::from("Deleted"))]))
    );
    assert_eq!(item["bytes"], Value::B(vec![0, 1, 2, 255]));
    assert_eq!(item["empty_bytes"], Value::B(vec![]));
    assert_eq!(
        item["tags"],
        Value::Ss(BTreeSet::from(["x".into(), "y".into()]))
    );
    assert!(matches!(&item["nums"], Value::Ns(s) if s.len() == 3));
    assert!(matches!(&item["blobs"], Value::Bs(s) if s.len() == 2));
    assert!(matches!(&item["roles"], Value::Ss(s) if s.len() == 2));
    assert_eq!(
        item["years"],
        Value::Ns(BTreeSet::from([n("2024"), n("2025")]))
    );
    assert!(matches!(&item["exact_set"], Value::Ns(s) if s.contains(&n("1e-130"))));
    assert!(matches!(&item["chunks"], Value::Bs(s) if s.contains(&vec![])));
    assert_eq!(
        item["number"],
        Value::N(n("-1234567890.1234567890123456789012345678"))
    );
    assert_eq!(item["id"], Value::S("u-1".into()));
    assert_eq!(
        item["point"],
        Value::L(vec![Value::from(1), Value::from(-2), Value::from(3)])
    );
    assert_eq!(
        item["marker_list"],
        Value::L(vec![Value::Null, Value::Null])
    );
}

#[test]
fn none_and_unit_are_omitted_not_null() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Todo {
        id: String,
        gsi1pk: Option<String>,
        unit: (),
        marker: Marker,
        list: Vec<Option<u8>>,
        map: BTreeMap<String, Option<u8>>,
    }
    let todo = Todo {
        id: "t".into(),
        gsi1pk: None,
        unit: (),
        marker: Marker,
        list: vec![None, Some(1)],
        map: BTreeMap::from([("gone".into(), None), ("kept".into(), Some(2))]),
    };
    let item = to_item(&todo).unwrap();
    assert!(!item.contains_key("gsi1pk"));
    assert!(!item.contains_key("unit"));
    assert!(!item.contains_key("marker"));
    assert!(!item.values().any(|v| *v == Value::Null));
    assert_eq!(item["list"], Value::L(vec![Value::Null, Value::from(1u8)]));
    assert_eq!(
        item["map"],
        Value::M(BTreeMap::from([("kept".into(), Value::from(2u8))]))
    );
    assert_eq!(item.keys().collect::<Vec<_>>(), ["id", "list", "map"]);

    // A top-level None or unit is NULL from to_value.
    assert_eq!(to_value(&None::<u8>).unwrap(), Value::Null);
    assert_eq!(to_value(&()).unwrap(), Value::Null);
}

#[test]
fn missing_option_field_reads_as_none_without_default() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct WithOption {
        id: String,
        maybe: Option<u32>,
        nested: Option<Inner>,
    }
    let item = Item::new().with("id", "x");
    let got: WithOption = from_item(item).unwrap();
    assert_eq!(
        got,
        WithOption {
            id: "x".into(),
            maybe: None,
            nested: None
        }
    );
    // An explicit NULL (written by another client) is None too.
    let item = Item::new().with("id", "x").with("maybe", Value::Null);
    assert_eq!(from_item::<WithOption>(item).unwrap().maybe, None);

    // A missing non-Option field is an error naming it.
    let (path, message) =
        serde_error(from_item::<Inner>(Item::new().with("name", "n")).unwrap_err());
    assert_eq!(path, "");
    assert_eq!(message, "missing field `score`");

    #[derive(Deserialize, Debug, PartialEq)]
    struct Outer {
        inner: Inner,
    }
    let item = Item::new().with(
        "inner",
        Value::M(BTreeMap::from([("name".into(), Value::from("n"))])),
    );
    let err = from_item::<Outer>(item).unwrap_err();
    assert_eq!(err.to_string(), "inner: missing field `score`");
}

#[test]
fn empty_sets_are_omitted_and_read_back_empty() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Sets {
        id: u8,
        tags: StringSet,
        nums: NumberSet,
        blobs: BinarySet,
        #[serde(with = "orm_core::serde_bridge::string_set", default)]
        roles: HashSet<String>,
        #[serde(with = "orm_core::serde_bridge::number_set", default)]
        years: BTreeSet<u16>,
        #[serde(with = "orm_core::serde_bridge::binary_set", default)]
        chunks: BTreeSet<Vec<u8>>,
        list_of_sets: Vec<StringSet>,
    }
    let sets = Sets {
        id: 1,
        tags: StringSet::new(),
        nums: NumberSet::default(),
        blobs: BinarySet::new(),
        roles: HashSet::new(),
        years: BTreeSet::new(),
        chunks: BTreeSet::new(),
        list_of_sets: vec![StringSet::new(), ["a"].into_iter().collect()],
    };
    let item = to_item(&sets).unwrap();
    assert_eq!(item.keys().collect::<Vec<_>>(), ["id", "list_of_sets"]);
    // In a list, positions are kept: the empty set becomes NULL.
    assert_eq!(
        item["list_of_sets"],
        Value::L(vec![Value::Null, Value::Ss(BTreeSet::from(["a".into()]))])
    );
    assert_eq!(from_item::<Sets>(item).unwrap(), sets);
}

#[test]
fn sets_read_from_lists_written_by_other_clients() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Sets {
        tags: StringSet,
        nums: NumberSet,
        #[serde(with = "orm_core::serde_bridge::number_set", default)]
        years: BTreeSet<u16>,
    }
    let item = Item::new()
        .with("tags", Value::L(vec!["a".into(), "b".into(), "a".into()]))
        .with("nums", Value::L(vec![1u8.into(), 2u8.into()]))
        .with("years", Value::L(vec![2024u16.into()]));
    let got: Sets = from_item(item).unwrap();
    assert_eq!(got.tags, ["a", "b"].into_iter().collect());
    assert_eq!(got.nums, [1u8, 2].into_iter().collect());
    assert_eq!(got.years, BTreeSet::from([2024]));

    // A set of the wrong type is a type error naming both types.
    let item = Item::new()
        .with("tags", Value::Ns(BTreeSet::from([n("1")])))
        .with("nums", Value::Ns(BTreeSet::new()));
    let err = from_item::<Sets>(item).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tags: expected a string set (SS), found NS (1 member)"
    );
}

#[test]
fn number_set_members_must_fit_the_element_type() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Stats {
        #[serde(with = "orm_core::serde_bridge::number_set", default)]
        years: BTreeSet<u16>,
    }
    let item = Item::new().with("years", Value::Ns(BTreeSet::from([n("2024"), n("70000")])));
    let err = from_item::<Stats>(item).unwrap_err();
    assert_eq!(err.to_string(), "years[1]: 70000 does not fit in u16");
}

#[test]
fn wrong_member_type_in_a_set_is_an_error() {
    #[derive(Serialize)]
    struct Bad {
        #[serde(with = "orm_core::serde_bridge::string_set")]
        roles: Vec<u8>,
    }
    let (path, message) = serde_error(to_item(&Bad { roles: vec![1] }).unwrap_err());
    assert_eq!(path, "roles[0]");
    assert_eq!(message, "a string set (SS) holds strings, found N");
}

#[test]
fn u128_with_39_digits_is_an_error_naming_the_path() {
    #[derive(Serialize)]
    struct Wide {
        inner: WideInner,
    }
    #[derive(Serialize)]
    struct WideInner {
        big: u128,
    }
    let err = to_item(&Wide {
        inner: WideInner { big: u128::MAX },
    })
    .unwrap_err();
    let (path, message) = serde_error(err);
    assert_eq!(path, "inner.big");
    assert_eq!(
        message,
        "340282366920938463463374607431768211455 cannot be stored: \
         DynamoDB numbers hold at most 38 significant digits"
    );
    // i128::MIN too; but 10^38 (one significant digit) fits.
    assert!(to_value(&i128::MIN).is_err());
    assert_eq!(
        to_value(&10u128.pow(38)).unwrap(),
        Value::N(n("100000000000000000000000000000000000000"))
    );
}

#[test]
fn nan_and_infinity_are_errors_naming_the_path() {
    #[derive(Serialize)]
    struct A {
        a: B,
    }
    #[derive(Serialize)]
    struct B {
        b: f64,
    }
    let err = to_item(&A {
        a: B { b: f64::NAN },
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a.b: NaN cannot be stored (DynamoDB numbers are finite)"
    );
    let err = to_value(&vec![1.0, f64::NEG_INFINITY]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "[1]: -inf cannot be stored (DynamoDB numbers are finite)"
    );
    let (path, _) = serde_error(to_value(&HashMap::from([("x", f32::INFINITY)])).unwrap_err());
    assert_eq!(path, "x");
    // Outside DynamoDB's range.
    let (path, message) = serde_error(to_value(&vec![1e-200f64]).unwrap_err());
    assert_eq!(path, "[0]");
    assert!(message.contains("out of DynamoDB's range"), "{message}");
}

#[test]
fn lossy_number_reads_are_errors_with_paths() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Order {
        total: i64,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Customer {
        orders: Vec<Order>,
    }
    let order = |total: &str| Value::M(BTreeMap::from([("total".into(), Value::N(n(total)))]));

    let err = from_item::<Order>(Item::new().with("total", n("1.5"))).unwrap_err();
    assert_eq!(err.to_string(), "total: 1.5 does not fit in i64");

    let item = Item::new().with(
        "orders",
        Value::L(vec![order("1"), order("2"), order("3"), order("1.5")]),
    );
    let err = from_item::<Customer>(item).unwrap_err();
    assert_eq!(err.to_string(), "orders[3].total: 1.5 does not fit in i64");
    let (path, message) = serde_error(err);
    assert_eq!(path, "orders[3].total");
    assert_eq!(message, "1.5 does not fit in i64");

    // Out of range for the type.
    let err = from_value::<u8>(Value::from(256u16)).unwrap_err();
    assert_eq!(err.to_string(), "256 does not fit in u8");
    let err = from_value::<u64>(Value::from(-1i8)).unwrap_err();
    assert_eq!(err.to_string(), "-1 does not fit in u64");
    let err = from_value::<HashMap<String, u32>>(Value::M(BTreeMap::from([(
        "k".into(),
        Value::N(n("1e20")),
    )])))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "k: 100000000000000000000 does not fit in u32"
    );
}

#[test]
fn type_mismatches_name_expected_and_found_types() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct User {
        age: u32,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Doc {
        user: User,
    }
    let item = Item::new().with(
        "user",
        Value::M(BTreeMap::from([("age".into(), Value::from("abc"))])),
    );
    let err = from_item::<Doc>(item).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"user.age: expected a number, found S "abc""#
    );

    // Strings are never coerced into numbers, even numeric ones; nor into Number.
    assert!(from_value::<u32>(Value::from("42")).is_err());
    let err = from_value::<Number>(Value::from("42")).unwrap_err();
    assert_eq!(err.to_string(), r#"expected a number, found S "42""#);
    let err = from_value::<String>(Value::Bool(true)).unwrap_err();
    assert_eq!(err.to_string(), "expected a string, found BOOL true");
    let err = from_value::<Vec<u8>>(Value::B(vec![1, 2])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected a list, found B (2 bytes) (use serde_bytes for binary fields)"
    );
    let err = from_value::<bool>(Value::L(vec![])).unwrap_err();
    assert_eq!(err.to_string(), "expected a boolean, found L (0 elements)");
    let err = from_value::<char>(Value::from("ab")).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"expected a single character, found S "ab""#
    );
    let err = from_value::<Inner>(Value::from(1u8)).unwrap_err();
    assert_eq!(err.to_string(), "expected a map, found N 1");
}

#[test]
fn numbers_read_as_strings_give_canonical_text() {
    let s: String = from_value(Value::N(n("001.500"))).unwrap();
    assert_eq!(s, "1.5");
    let s: String = from_value(Value::N(n("-1e3"))).unwrap();
    assert_eq!(s, "-1000");
}

#[test]
fn floats_round_trip_with_shortest_text() {
    for f in [
        0.1f64,
        1e-7,
        0.3,
        1.0 / 3.0,
        2.0f64.sqrt(),
        -123.456,
        1e125,
        5e-130,
        0.0,
        f64::MAX / 1e200,
    ] {
        let v = to_value(&f).unwrap();
        assert_eq!(from_value::<f64>(v.clone()).unwrap(), f, "{v:?}");
    }
    assert_eq!(to_value(&0.1f64).unwrap().to_string(), "0.1");
    assert_eq!(to_value(&1e-7f64).unwrap().to_string(), "0.0000001");
    for f in [
        0.1f32,
        1e-7,
        16_777_217.0,
        f32::MAX,
        f32::MIN_POSITIVE,
        -0.3,
    ] {
        let v = to_value(&f).unwrap();
        assert_eq!(from_value::<f32>(v).unwrap(), f);
    }
    assert_eq!(to_value(&0.1f32).unwrap().to_string(), "0.1");
    assert_eq!(to_value(&-0.0f64).unwrap().to_string(), "0");
}

#[test]
fn wide_integers_are_exact() {
    let max38 = 99_999_999_999_999_999_999_999_999_999_999_999_999i128;
    for v in [
        max38,
        -max38,
        0,
        1,
        -1,
        i64::MIN as i128 - 1,
        u64::MAX as i128 + 1,
    ] {
        let value = to_value(&v).unwrap();
        assert_eq!(value.to_string(), v.to_string());
        assert_eq!(from_value::<i128>(value).unwrap(), v);
    }
    let u = 12_345_678_901_234_567_890_123_456_789_012_345_678u128;
    assert_eq!(from_value::<u128>(to_value(&u).unwrap()).unwrap(), u);
}

#[test]
fn number_fields_keep_all_38_digits() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Account {
        balance: Number,
        history: Vec<Number>,
        maybe: Option<Number>,
    }
    let a = Account {
        balance: n("12345678901234567890.123456789012345678"),
        history: vec![n("0.00000000000000000000000000000000000001"), n("-7")],
        maybe: Some(n("99999999999999999999999999999999999999")),
    };
    let item = to_item(&a).unwrap();
    assert_eq!(
        item["balance"],
        Value::N(n("12345678901234567890.123456789012345678"))
    );
    assert_eq!(from_item::<Account>(item).unwrap(), a);

    // serde_json gets the text, as strings, and reads it back.
    let json = serde_json::to_string(&a).unwrap();
    assert!(
        json.contains(r#""balance":"12345678901234567890.123456789012345678""#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Account>(&json).unwrap(), a);
    // ...and accepts JSON numbers.
    let from_numbers: Account =
        serde_json::from_str(r#"{"balance": 1.25, "history": [1, -2], "maybe": null}"#).unwrap();
    assert_eq!(from_numbers.balance, n("1.25"));
    assert_eq!(from_numbers.history, vec![n("1"), n("-2")]);
    assert_eq!(from_numbers.maybe, None);
}

#[test]
fn sets_go_through_serde_json_as_arrays() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Sets {
        tags: StringSet,
        nums: NumberSet,
        blobs: BinarySet,
        #[serde(with = "orm_core::serde_bridge::number_set", default)]
        years: BTreeSet<u16>,
        #[serde(default)]
        absent: StringSet,
        null: StringSet,
    }
    let s = Sets {
        tags: ["b", "a"].into_iter().collect(),
        nums: [1u8, 2].into_iter().collect(),
        blobs: [vec![1u8, 2]].into_iter().collect(),
        years: BTreeSet::from([2024]),
        absent: StringSet::new(),
        null: StringSet::new(),
    };
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "tags": ["a", "b"], "nums": ["1", "2"], "blobs": [[1, 2]], "years": [2024],
            "absent": [], "null": [],
        })
    );
    assert_eq!(serde_json::from_value::<Sets>(json).unwrap(), s);
    let sparse: Sets = serde_json::from_str(
        r#"{"tags": [], "nums": [3], "blobs": [], "years": [], "null": null}"#,
    )
    .unwrap();
    assert!(sparse.null.is_empty() && sparse.absent.is_empty());
    assert_eq!(sparse.nums, [3u8].into_iter().collect());
}

#[test]
fn set_wrappers_read_absent_attributes_as_empty() {
    #[derive(Deserialize, Debug)]
    struct Sets {
        tags: StringSet,
        nums: NumberSet,
        blobs: BinarySet,
        opt: Option<StringSet>,
    }
    let got: Sets = from_item(Item::new()).unwrap();
    assert!(got.tags.is_empty() && got.nums.is_empty() && got.blobs.is_empty());
    assert_eq!(got.opt, None);
    let got: Sets = from_item(Item::new().with("tags", Value::Null)).unwrap();
    assert!(got.tags.is_empty());
}

#[test]
fn set_wrappers_behave_like_sets() {
    let mut tags: StringSet = ["b", "a", "b"].into_iter().collect();
    assert_eq!(tags.len(), 2);
    tags.insert("c".into());
    tags.extend(["d"]);
    assert_eq!(
        tags.iter().map(String::as_str).collect::<Vec<_>>(),
        ["a", "b", "c", "d"]
    );
    let nums: NumberSet = [n("1.5"), n("1.50")].into_iter().collect();
    assert_eq!(nums.len(), 1);
    let ints: NumberSet = [1i64, 2, 3].into_iter().collect();
    assert!(ints.contains(&n("2")));
    let blobs: BinarySet = [vec![1u8], vec![1u8]].into_iter().collect();
    assert_eq!(blobs.len(), 1);
    assert_eq!(Value::from(ints.clone()), to_value(&ints).unwrap());
    assert_eq!(Value::from(tags.clone()), to_value(&tags).unwrap());
    assert_eq!(Value::from(blobs.clone()), to_value(&blobs).unwrap());
}

#[test]
fn top_level_must_be_a_struct_or_map() {
    let (path, message) = serde_error(to_item(&"text").unwrap_err());
    assert_eq!(path, "");
    assert_eq!(
        message,
        r#"an item must serialize as a struct or map, found S "text""#
    );
    let (_, message) = serde_error(to_item(&vec![1, 2]).unwrap_err());
    assert_eq!(
        message,
        "an item must serialize as a struct or map, found L (2 elements)"
    );
    let (_, message) = serde_error(to_item(&None::<Inner>).unwrap_err());
    assert_eq!(
        message,
        "an item must serialize as a struct or map, found NULL"
    );
    // Maps are fine, so are newtypes around structs.
    let item = to_item(&HashMap::from([("a", 1)])).unwrap();
    assert_eq!(item["a"], Value::from(1));
    #[derive(Serialize)]
    struct Wrapper(Inner);
    let item = to_item(&Wrapper(Inner {
        name: "n".into(),
        score: 1,
    }))
    .unwrap();
    assert_eq!(item["score"], Value::from(1u16));
}

#[test]
fn map_keys_must_be_string_like() {
    let err = to_value(&HashMap::from([((1, 2), "x")])).unwrap_err();
    let (path, message) = serde_error(err);
    assert_eq!(path, "");
    assert_eq!(
        message,
        "map keys must be strings, integers or unit enum variants, found a tuple"
    );
    #[derive(Serialize)]
    struct Holder {
        m: BTreeMap<Vec<u8>, u8>,
    }
    let err = to_item(&Holder {
        m: BTreeMap::from([(vec![1], 1)]),
    })
    .unwrap_err();
    assert_eq!(serde_error(err).0, "m");

    // Keys of other types read back by parsing, exactly.
    let m: BTreeMap<i64, bool> =
        from_value(to_value(&BTreeMap::from([(-3i64, true), (9, false)])).unwrap()).unwrap();
    assert_eq!(m, BTreeMap::from([(-3, true), (9, false)]));
    let err = from_value::<BTreeMap<u8, bool>>(Value::M(BTreeMap::from([(
        "300".into(),
        Value::Bool(true),
    )])))
    .unwrap_err();
    assert_eq!(err.to_string(), r#"map key "300" is not a valid u8"#);
    let m: HashMap<char, u8> = from_value(to_value(&HashMap::from([('x', 1u8)])).unwrap()).unwrap();
    assert_eq!(m[&'x'], 1);
    let m: BTreeMap<bool, u8> =
        from_value(to_value(&BTreeMap::from([(true, 1u8)])).unwrap()).unwrap();
    assert_eq!(m[&true], 1);
}

#[test]
fn nesting_is_limited_to_32_levels() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Node {
        #[serde(skip_serializing_if = "Option::is_none")]
        next: Option<Box<Node>>,
    }
    fn chain(levels: usize) -> Node {
        let mut node = Node { next: None };
        for _ in 0..levels {
            node = Node {
                next: Some(Box::new(node)),
            };
        }
        node
    }
    // The item's attributes are level 1: `next` holds levels 1..=32 of maps.
    let ok = chain(32);
    let item = to_item(&ok).unwrap();
    assert_eq!(from_item::<Node>(item).unwrap(), ok);

    let err = to_item(&chain(33)).unwrap_err();
    let (path, message) = serde_error(err);
    assert_eq!(path, vec!["next"; 33].join("."));
    assert_eq!(
        message,
        "nesting deeper than 32 levels of lists and maps (DynamoDB's limit)"
    );

    // Lists count too: a value is level 1 itself.
    fn lists(levels: usize) -> Value {
        let mut v = Value::Null;
        for _ in 0..levels {
            v = Value::L(vec![v]);
        }
        v
    }
    #[derive(Serialize)]
    struct Nested(serde_json::Value);
    let json = |levels: usize| {
        let mut v = serde_json::json!(1);
        for _ in 0..levels {
            v = serde_json::json!([v]);
        }
        v
    };
    assert_eq!(to_value(&json(32)).unwrap(), {
        let mut v = Value::from(1);
        for _ in 0..32 {
            v = Value::L(vec![v]);
        }
        v
    });
    let err = to_value(&json(33)).unwrap_err();
    assert_eq!(serde_error(err).0, format!("{}", "[0]".repeat(32)));
    let _ = lists(1);
    let _ = Nested(serde_json::Value::Null);
}

#[test]
fn externally_tagged_enums_read_from_string_or_single_entry_map() {
    let shapes: Vec<Shape> = from_value(Value::L(vec![
        Value::from("Point"),
        Value::M(BTreeMap::from([("Circle".into(), Value::from(2))])),
    ]))
    .unwrap();
    assert_eq!(shapes, vec![Shape::Point, Shape::Circle(2.0)]);

    let err = from_value::<Shape>(Value::from("Hexagon")).unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `Hexagon`"),
        "{err}"
    );
    let err = from_value::<Shape>(Value::M(BTreeMap::new())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected an enum (a string, or a map with one entry), found M (0 entries)"
    );
    // Errors inside variants name the variant.
    let err = from_value::<Vec<Shape>>(Value::L(vec![Value::M(BTreeMap::from([(
        "Rect".into(),
        Value::L(vec![Value::from(1), Value::from("x")]),
    )]))]))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"[0].Rect[1]: expected a number, found S "x""#
    );
    // Tuple arity is checked.
    let err = from_value::<(u8, u8)>(Value::L(vec![1.into(), 2.into(), 3.into()])).unwrap_err();
    assert_eq!(err.to_string(), "expected 2 elements, found 3");
}

#[test]
fn internally_adjacently_and_untagged_enums_round_trip() {
    for e in [
        Event::Created { by: "x".into() },
        Event::Moved { from: 1, to: -1 },
        Event::Deleted,
    ] {
        assert_eq!(from_item::<Event>(to_item(&e).unwrap()).unwrap(), e);
    }
    for a in [
        Adjacent::Num(i64::MIN),
        Adjacent::Text(String::new()),
        Adjacent::Nothing,
    ] {
        assert_eq!(from_value::<Adjacent>(to_value(&a).unwrap()).unwrap(), a);
    }
    for l in [
        Loose::Int(0),
        Loose::Int(i64::MIN),
        Loose::Text("1".into()),
        Loose::Pair { a: true, b: None },
        Loose::List(vec![]),
    ] {
        assert_eq!(from_value::<Loose>(to_value(&l).unwrap()).unwrap(), l);
    }
    // Internally tagged with a newtype variant around a struct.
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(tag = "kind")]
    enum Wrapped {
        User(Inner),
    }
    let w = Wrapped::User(Inner {
        name: "n".into(),
        score: 5,
    });
    let item = to_item(&w).unwrap();
    assert_eq!(item["kind"], Value::from("User"));
    assert_eq!(from_item::<Wrapped>(item).unwrap(), w);
}

#[test]
fn deserialize_any_feeds_self_describing_types() {
    let mut item = to_item(&everything()).unwrap();
    // serde_json::Value takes no bytes and no integers beyond 64 bits.
    for name in [
        "bytes",
        "empty_bytes",
        "blobs",
        "chunks",
        "i128_big",
        "i128_neg",
        "u128_big",
        "f32_max", // 3.4e38 is an integer beyond u64: handed over as u128
        "nums",    // holds a 38-digit integer
    ] {
        item.remove(name);
    }
    let json: serde_json::Value = from_item(item).unwrap();
    assert_eq!(json["u64_max"], serde_json::json!(u64::MAX));
    assert_eq!(json["i64_min"], serde_json::json!(i64::MIN));
    assert_eq!(json["f64_tenth"], serde_json::json!(0.1));
    assert_eq!(json["status"], serde_json::json!("Closed"));
    assert_eq!(json["tags"], serde_json::json!(["x", "y"]));
    assert_eq!(json["list_of_opts"], serde_json::json!([1, null, -1]));
    assert!(json.get("none").is_none());
}

#[test]
fn deserialize_any_is_the_lossy_path() {
    // Integers go over exactly as the narrowest of u64/i64, u128/i128.
    let any = |text: &str| from_value::<serde_json::Value>(Value::N(n(text)));
    assert_eq!(
        any("18446744073709551615").unwrap(),
        serde_json::json!(u64::MAX)
    );
    assert_eq!(
        any("-9223372036854775808").unwrap(),
        serde_json::json!(i64::MIN)
    );
    // serde_json::Value takes no 128-bit integers.
    assert!(any("18446744073709551616").is_err());
    // Everything else as the nearest f64.
    assert_eq!(
        any("0.12345678901234567890123456789").unwrap(),
        serde_json::json!(0.12345678901234568)
    );
    assert_eq!(any("1e125").unwrap(), serde_json::json!(1e125));
    // Sets become sequences; bytes go over as byte buffers.
    let v: Vec<u8> = from_value::<Vec<Loose>>(Value::L(vec![Value::Ns(BTreeSet::from([n("7")]))]))
        .unwrap()
        .into_iter()
        .flat_map(|l| match l {
            Loose::List(v) => v,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(v, vec![7]);
    let b: serde_bytes::ByteBuf = from_value(Value::B(vec![1, 2])).unwrap();
    assert_eq!(b.into_vec(), vec![1, 2]);
}

#[test]
fn flattened_and_renamed_fields_work() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Base {
        pk: String,
        #[serde(rename = "__entity")]
        entity: String,
    }
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Row {
        #[serde(flatten)]
        base: Base,
        #[serde(rename = "Title")]
        title: String,
        count: u32,
    }
    let r = Row {
        base: Base {
            pk: "P".into(),
            entity: "Row".into(),
        },
        title: "t".into(),
        count: 3,
    };
    let item = to_item(&r).unwrap();
    assert_eq!(
        item.keys().collect::<Vec<_>>(),
        ["Title", "__entity", "count", "pk"]
    );
    assert_eq!(from_item::<Row>(item).unwrap(), r);
}

#[test]
fn custom_serialize_errors_get_the_path() {
    struct Fails;
    impl Serialize for Fails {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no way"))
        }
    }
    #[derive(Serialize)]
    struct Holder {
        list: Vec<BTreeMap<&'static str, Fails>>,
    }
    let err = to_item(&Holder {
        list: vec![BTreeMap::new(), BTreeMap::from([("key", Fails)])],
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "list[1].key: no way");
}

#[test]
fn unknown_fields_are_ignored_and_bytes_round_trip() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Blob {
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
        #[serde(with = "serde_bytes")]
        maybe: Option<Vec<u8>>,
    }
    let item = Item::new()
        .with("data", vec![1u8, 2])
        .with("maybe", vec![3u8])
        .with("extra", Value::L(vec![Value::M(BTreeMap::new())]));
    let b: Blob = from_item(item).unwrap();
    assert_eq!(
        b,
        Blob {
            data: vec![1, 2],
            maybe: Some(vec![3])
        }
    );
    let err = from_item::<Blob>(Item::new().with("data", "AQI=")).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"data: expected binary (B), found S "AQI=""#
    );
}

// ----- property test -----

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Random {
    s: String,
    i: i64,
    u: u64,
    wide: i128,
    f: f64,
    small: f32,
    b: bool,
    opt: Option<u32>,
    opt_str: Option<String>,
    list: Vec<Option<i16>>,
    map: BTreeMap<String, u8>,
    int_map: HashMap<u32, String>,
    nested: Vec<Inner>,
    status: Status,
    shape: Shape,
    tags: StringSet,
    #[serde(with = "orm_core::serde_bridge::number_set", default)]
    years: BTreeSet<i32>,
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
    tuple: (u8, Option<bool>),
}

fn in_range_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        (-1e100f64..1e100f64),
        (-1e-100f64..1e-100f64).prop_filter("nonzero in range", |f| f.abs() > 1e-120),
        proptest::num::f64::NORMAL.prop_filter("in DynamoDB's range", |f| {
            f.abs() > 1e-129 && f.abs() < 1e125
        }),
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Point),
        in_range_f64().prop_map(Shape::Circle),
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| Shape::Rect(a, b)),
        (any::<u8>(), ".*").prop_map(|(sides, name)| Shape::Poly { sides, name }),
    ]
}

prop_compose! {
    fn random()(
        s in ".*",
        i in any::<i64>(),
        u in any::<u64>(),
        wide in -(10i128.pow(38) - 1)..10i128.pow(38),
        f in in_range_f64(),
        small in proptest::num::f32::NORMAL | proptest::num::f32::ZERO,
        b in any::<bool>(),
        opt in any::<Option<u32>>(),
        opt_str in proptest::option::of(".{0,8}"),
        list in proptest::collection::vec(any::<Option<i16>>(), 0..6),
        map in proptest::collection::btree_map(".{0,6}", any::<u8>(), 0..5),
        int_map in proptest::collection::hash_map(any::<u32>(), ".{0,4}", 0..4),
        nested in proptest::collection::vec((".{0,4}", any::<u16>()), 0..3),
        closed in any::<bool>(),
        shape in shape(),
        tags in proptest::collection::btree_set(".{0,5}", 0..4),
        years in proptest::collection::btree_set(any::<i32>(), 0..4),
        bytes in proptest::collection::vec(any::<u8>(), 0..16),
        tuple in any::<(u8, Option<bool>)>(),
    ) -> Random {
        Random {
            s, i, u, wide, f, small, b, opt, opt_str, list, map, int_map,
            nested: nested.into_iter().map(|(name, score)| Inner { name, score }).collect(),
            status: if closed { Status::Closed } else { Status::Open },
            shape,
            tags: StringSet(tags),
            years,
            bytes,
            tuple,
        }
    }
}

proptest! {
    #[test]
    fn random_structs_round_trip(r in random()) {
        let item = to_item(&r).unwrap();
        // Nothing NULL or empty-set is ever stored at the top level.
        for v in item.values() {
            prop_assert!(*v != Value::Null);
            prop_assert!(!matches!(v, Value::Ss(s) if s.is_empty()));
            prop_assert!(!matches!(v, Value::Ns(s) if s.is_empty()));
        }
        let back: Random = from_item(item).unwrap();
        prop_assert_eq!(back, r);
    }

    #[test]
    fn random_values_round_trip_through_numbers(i in any::<i64>(), u in any::<u128>()) {
        prop_assert_eq!(from_value::<i64>(to_value(&i).unwrap()).unwrap(), i);
        match to_value(&u) {
            Ok(v) => prop_assert_eq!(from_value::<u128>(v).unwrap(), u),
            Err(e) => {
                prop_assert!(u >= 10u128.pow(38));
                prop_assert!(e.to_string().contains("38 significant digits"));
            }
        }
    }
}

#[test]
fn buffered_enums_take_numbers_through_deserialize_any() {
    // Internally tagged, untagged (and adjacently tagged, when the content key sorts before the
    // tag) enums are buffered by serde through deserialize_any: numbers there are the lossy path.
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(tag = "type")]
    enum Internal {
        A { big: u64, exact: Number },
    }
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(tag = "t", content = "c")]
    enum Adjacent {
        A { big: u64, exact: Number },
    }
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum External {
        A { big: u128, exact: Number },
    }
    let exact = n("0.1234567890123456789012345");
    let lossy = Number::from_f64(exact.to_f64()).unwrap();
    assert_ne!(exact, lossy);

    let e = External::A {
        big: 10u128.pow(30) + 1,
        exact: exact.clone(),
    };
    assert_eq!(from_value::<External>(to_value(&e).unwrap()).unwrap(), e);

    let i = Internal::A {
        big: u64::MAX,
        exact: exact.clone(),
    };
    let back = from_value::<Internal>(to_value(&i).unwrap()).unwrap();
    assert_eq!(
        back,
        Internal::A {
            big: u64::MAX,
            exact: lossy.clone()
        }
    );

    let a = Adjacent::A {
        big: u64::MAX,
        exact: exact.clone(),
    };
    let back = from_value::<Adjacent>(to_value(&a).unwrap()).unwrap();
    assert_eq!(
        back,
        Adjacent::A {
            big: u64::MAX,
            exact: lossy
        }
    );

    // serde's buffering has no 128-bit integers at all.
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(tag = "type")]
    enum Wide {
        A { big: u128 },
    }
    let err = from_value::<Wide>(to_value(&Wide::A { big: 1 }).unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "u128 is not supported");
}

/// `value` viewed as a backend holding integers as `i64`s would view it ([`NumberRef::Int`]
/// where the number fits one, its text where not).
fn view_with_ints(value: &Value) -> ValueRef<'_> {
    fn number(n: &Number) -> NumberRef<'_> {
        match i64::try_from(n) {
            Ok(v) => NumberRef::Int(v),
            Err(_) => NumberRef::Text(n.as_str()),
        }
    }
    match value {
        Value::N(n) => ValueRef::N(number(n)),
        Value::L(l) => ValueRef::L(l.iter().map(view_with_ints).collect()),
        Value::M(m) => ValueRef::M(
            m.iter()
                .map(|(k, v)| (k.as_str(), view_with_ints(v)))
                .collect(),
        ),
        Value::Ns(s) => ValueRef::Ns(s.iter().map(number).collect()),
        other => other.view(),
    }
}

/// Decodes `item` the owned way and through both borrowed views (numbers as text, integers as
/// `i64`s); all three must agree, errors included.
fn decode_all_ways<T>(item: &Item) -> Result<T, String>
where
    T: serde::de::DeserializeOwned + std::fmt::Debug + PartialEq,
{
    let owned = from_item::<T>(item.clone()).map_err(|e| e.to_string());
    let text = from_attributes::<T, _>(item.iter().map(|(k, v)| (k.as_str(), v.view())))
        .map_err(|e| e.to_string());
    let ints = from_attributes::<T, _>(item.iter().map(|(k, v)| (k.as_str(), view_with_ints(v))))
        .map_err(|e| e.to_string());
    assert_eq!(text, owned, "numbers as text, {item:?}");
    assert_eq!(ints, owned, "integers as i64, {item:?}");
    owned
}

#[test]
fn borrowed_attributes_decode_like_owned_items() {
    let value = everything();
    let item = to_item(&value).unwrap();
    assert_eq!(decode_all_ways::<Everything>(&item).unwrap(), value);
    // Attributes in any order.
    let reversed = item
        .iter()
        .rev()
        .map(|(k, v)| (k.as_str(), view_with_ints(v)));
    assert_eq!(from_attributes::<Everything, _>(reversed).unwrap(), value);
    // The views convert back to the same values.
    for (name, v) in item.iter() {
        assert_eq!(v.view().to_value().unwrap(), *v, "{name}");
        assert_eq!(view_with_ints(v).to_value().unwrap(), *v, "{name}");
    }
    // Every kind of error, worded and placed the same.
    let base = to_item(&value).unwrap();
    let bad = [
        ("u8_max", Value::from(256)),
        ("u64_max", Value::from(-1)),
        ("i8_min", Value::N(n("1.5"))),
        ("i64_max", Value::N(n("9223372036854775808"))),
        ("u128_big", Value::from("text")),
        ("s", Value::Bool(true)),
        ("c", Value::from("ab")),
        ("b", Value::L(vec![])),
        ("f64_tenth", Value::from("0.1")),
        ("bytes", Value::from("x")),
        ("list", Value::L(vec![Value::from(1), Value::from("two")])),
        ("tuple", Value::L(vec![Value::from(1)])),
        ("inner", Value::from(1)),
        ("status", Value::from("Unknown")),
        ("shapes", Value::L(vec![Value::M(BTreeMap::new())])),
        ("tags", Value::from(1)),
        ("nums", Value::Ss(BTreeSet::from(["x".to_owned()]))),
        ("years", Value::Ns(BTreeSet::from([n("70000")]))),
        ("number", Value::Bool(true)),
        (
            "int_keys",
            Value::M(BTreeMap::from([("x".to_owned(), Value::from("v"))])),
        ),
        ("marker_list", Value::L(vec![Value::from(1)])),
    ];
    for (name, wrong) in bad {
        let mut item = base.clone();
        item.insert(name.to_owned(), wrong);
        let err = decode_all_ways::<Everything>(&item).unwrap_err();
        assert!(err.starts_with(name), "{name}: {err}");
    }
    let mut missing = base.clone();
    missing.remove("s");
    assert!(decode_all_ways::<Everything>(&missing).is_err());
    // Numbers read as text, and untyped targets.
    let item = Item::new()
        .with("a", 42)
        .with("b", n("-1.25"))
        .with("c", n("12345678901234567890"));
    let texts: BTreeMap<String, String> = decode_all_ways(&item).unwrap();
    assert_eq!(texts["a"], "42");
    let json: serde_json::Value = decode_all_ways(&item).unwrap();
    assert_eq!(json["b"], serde_json::json!(-1.25));
}

proptest! {
    #[test]
    fn prop_borrowed_numbers_decode_like_owned(v in any::<i64>(), frac in any::<u16>()) {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Numbers {
            a: Option<i8>, b: Option<i64>, c: Option<u64>, d: Option<u32>, e: Option<f32>,
            f: Option<f64>, g: Option<i128>, h: Option<Number>, i: Option<String>,
        }
        let fraction = n(&format!("{v}.{frac}"));
        for x in [Value::from(v), Value::N(fraction)] {
            let item: Item = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
                .into_iter()
                .map(|k| (k, x.clone()))
                .collect();
            let _ = decode_all_ways::<Numbers>(&item);
            for k in ["a", "b", "c", "d", "e", "f", "g", "h", "i"] {
                let one = Item::new().with(k, x.clone());
                let _ = decode_all_ways::<Numbers>(&one);
            }
        }
    }
}
