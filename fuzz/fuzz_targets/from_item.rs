//! `from_item` / `from_value` on arbitrary values into many shapes of Rust types: never panics,
//! and whatever converts converts back (to_item) without error.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use orm_core::{from_item, from_value, to_item, Number};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Serialize, Deserialize)]
struct Flat {
    a: Option<String>,
    b: Option<i64>,
    size: Option<u8>,
    name: Option<f64>,
    status: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "name")]
enum Tagged {
    A { b: Option<u64> },
    B(BTreeMap<String, i32>),
}

#[derive(Debug, Serialize, Deserialize)]
enum Plain {
    A,
    B(String),
    C { x: i8 },
}

#[derive(Debug, Serialize, Deserialize)]
struct Nested {
    #[serde(default)]
    a: Vec<Option<Number>>,
    #[serde(default)]
    b: BTreeSet<String>,
    #[serde(default, with = "serde_bytes")]
    pk: Vec<u8>,
    #[serde(default)]
    status: Option<Plain>,
    #[serde(flatten)]
    rest: HashMap<String, serde_json_like::Any>,
}

mod serde_json_like {
    use serde::{Deserialize, Serialize};
    /// Any self-describing value.
    #[derive(Debug, Serialize, Deserialize)]
    #[serde(untagged)]
    pub enum Any {
        Bool(bool),
        I(i128),
        U(u128),
        F(f64),
        S(String),
        Bytes(#[serde(with = "serde_bytes")] Vec<u8>),
        L(Vec<Any>),
        M(std::collections::BTreeMap<String, Any>),
        Unit(()),
    }
}

fn check<T: Serialize + for<'de> Deserialize<'de>>(item: &orm_core::Item) {
    if let Ok(v) = from_item::<T>(item.clone()) {
        let _ = to_item(&v);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(item) = orm_core::expr::arbitrary::item(&mut u) else {
        return;
    };
    check::<Flat>(&item);
    check::<Tagged>(&item);
    check::<Nested>(&item);
    check::<BTreeMap<String, serde_json_like::Any>>(&item);
    let value = orm_core::Value::from(item);
    let _ = from_value::<(u8, String)>(value.clone());
    let _ = from_value::<Vec<i16>>(value.clone());
    let _ = from_value::<Plain>(value.clone());
    let _ = from_value::<Option<u128>>(value.clone());
    let _ = from_value::<char>(value);
});
