//! The SDK's attribute maps read in place: [`SdkItem`], the [`ItemReader`] every read of
//! `DynamoBackend` hands over ([`RawItem::Reader`](orm_core::backend::RawItem::Reader)), so that
//! a model is decoded straight from the SDK's item, its strings and buffers moved into the
//! model's fields, with no [`orm_core::Value`] built in between.
//!
//! Nothing is checked up front: what the model reads is checked as it is decoded (a number's
//! text when the field parses it, an attribute of a type this SDK version does not know as
//! [`ReadValue::Unsupported`]), each a clear error naming the field; what the model skips (the
//! table's key and index attributes, fields it does not have) is dropped unchecked.
//! [`ItemReader::get`] and [`ItemReader::to_item`] convert, and fail as
//! [`from_attribute_value`] does.

use crate::convert::{from_attribute_value, item_from_attributes, AttributeMap};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use orm_core::backend::{ItemReader, RawItem, ReadValue};
use orm_core::error::Result;
use orm_core::{Item, Value};
use std::collections::hash_map;
use std::vec;

/// An item of the SDK, before and while it is read.
#[derive(Debug)]
pub(crate) struct SdkItem {
    /// The item, until its attributes are read.
    item: AttributeMap,
    /// Its attributes, once they are being read.
    attributes: Option<hash_map::IntoIter<String, AttributeValue>>,
    /// The containers open, innermost last.
    open: OpenStack,
}

/// The containers open, innermost last: the outermost held in line (a model's lists, maps and
/// sets are mostly one level deep), deeper ones in a vector, so that reading most items
/// allocates nothing for it.
#[derive(Debug, Default)]
struct OpenStack {
    outermost: Option<Open>,
    deeper: Vec<Open>,
}

impl OpenStack {
    fn push(&mut self, open: Open) {
        if self.outermost.is_none() {
            self.outermost = Some(open);
        } else {
            self.deeper.push(open);
        }
    }

    fn innermost(&mut self) -> Option<&mut Open> {
        match self.deeper.last_mut() {
            Some(open) => Some(open),
            None => self.outermost.as_mut(),
        }
    }

    fn pop(&mut self) {
        if self.deeper.pop().is_none() {
            self.outermost = None;
        }
    }
}

/// A container being read.
#[derive(Debug)]
enum Open {
    List(vec::IntoIter<AttributeValue>),
    Map(hash_map::IntoIter<String, AttributeValue>),
    Strings(vec::IntoIter<String>),
    Numbers(vec::IntoIter<String>),
    Binaries(vec::IntoIter<Blob>),
}

impl SdkItem {
    /// The item `item` as read from DynamoDB (checked as it is read: see the module docs).
    pub(crate) fn new(item: AttributeMap) -> SdkItem {
        SdkItem {
            item,
            attributes: None,
            open: OpenStack::default(),
        }
    }

    /// The item `item` as read from DynamoDB, as the raw item a read returns.
    pub(crate) fn raw(item: AttributeMap) -> RawItem {
        RawItem::Reader(Box::new(SdkItem::new(item)))
    }

    /// Hands `value` over: a scalar as it is, a container opened. In line in each of the three
    /// readers below, so that the value is not moved through a call (a tenth of what reading
    /// an item costs otherwise).
    #[inline(always)]
    fn hand_over(&mut self, value: AttributeValue) -> ReadValue {
        let (open, read) = match value {
            AttributeValue::S(s) => return ReadValue::S(s),
            AttributeValue::N(n) => return ReadValue::N(n),
            AttributeValue::B(b) => return ReadValue::B(b.into_inner()),
            AttributeValue::Bool(b) => return ReadValue::Bool(b),
            AttributeValue::L(l) => (ReadValue::L(l.len()), Open::List(l.into_iter())),
            AttributeValue::M(m) => (ReadValue::M(m.len()), Open::Map(m.into_iter())),
            AttributeValue::Ss(s) => (ReadValue::Ss(s.len()), Open::Strings(s.into_iter())),
            AttributeValue::Ns(s) => (ReadValue::Ns(s.len()), Open::Numbers(s.into_iter())),
            AttributeValue::Bs(s) => (ReadValue::Bs(s.len()), Open::Binaries(s.into_iter())),
            AttributeValue::Null(_) => return ReadValue::Null,
            // Neither moved nor borrowed: (in line in every reader) the arm costs a call only.
            _ => return unsupported(),
        };
        self.open.push(read);
        open
    }
}

/// [`ReadValue::Unsupported`] for a value of a type this SDK version does not know (the SDK
/// keeps nothing of it to describe).
#[cold]
#[inline(never)]
fn unsupported() -> ReadValue {
    ReadValue::Unsupported("an attribute value of a type this SDK version does not know".into())
}

impl ItemReader for SdkItem {
    fn get(&self, name: &str) -> Result<Option<Value>> {
        self.item
            .get(name)
            .map(|v| from_attribute_value(v.clone()))
            .transpose()
    }

    fn is_string(&self, name: &str, value: &str) -> bool {
        matches!(self.item.get(name), Some(AttributeValue::S(s)) if s == value)
    }

    fn to_item(&self) -> Result<Item> {
        item_from_attributes(self.item.clone())
    }

    fn clone_reader(&self) -> Box<dyn ItemReader> {
        // A reader in a `RawItem` is unread: its whole item is still in `item`.
        Box::new(SdkItem::new(self.item.clone()))
    }

    fn next_attribute(&mut self) -> Option<(String, ReadValue)> {
        let attributes = self.attributes.get_or_insert_with(|| {
            // An empty map in its place, with the same hasher: nothing allocated, no new
            // random keys drawn.
            let empty = AttributeMap::with_hasher(self.item.hasher().clone());
            std::mem::replace(&mut self.item, empty).into_iter()
        });
        let (name, value) = attributes.next()?;
        Some((name, self.hand_over(value)))
    }

    fn next_element(&mut self) -> Option<ReadValue> {
        let value = match self.open.innermost()? {
            Open::List(l) => l.next()?,
            Open::Strings(s) => return s.next().map(ReadValue::S),
            Open::Numbers(s) => return s.next().map(ReadValue::N),
            Open::Binaries(s) => return s.next().map(|b| ReadValue::B(b.into_inner())),
            Open::Map(_) => return None,
        };
        Some(self.hand_over(value))
    }

    fn next_entry(&mut self) -> Option<(String, ReadValue)> {
        let Open::Map(m) = self.open.innermost()? else {
            return None;
        };
        let (key, value) = m.next()?;
        Some((key, self.hand_over(value)))
    }

    fn close(&mut self) {
        self.open.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{item_to_attributes, to_attribute_value};
    use orm_core::Number;
    use serde::{Deserialize, Serialize};
    use std::collections::{BTreeMap, BTreeSet, HashMap};

    fn n(text: &str) -> Value {
        Value::N(Number::parse(text).unwrap())
    }

    /// Every type, nested.
    fn sample() -> Item {
        Item::new()
            .with("s", "héllo")
            .with("n", n("-12.5"))
            .with("i", n("12345678901234567890"))
            .with("b", Value::B(vec![0, 1, 255]))
            .with("t", true)
            .with("z", Value::Null)
            .with(
                "l",
                Value::L(vec![n("1"), Value::from("x"), Value::L(vec![])]),
            )
            .with(
                "m",
                Value::M(BTreeMap::from([
                    (
                        "deep".to_owned(),
                        Value::L(vec![Value::Null, Value::Bool(false)]),
                    ),
                    ("k".to_owned(), Value::from("v")),
                ])),
            )
            .with("ss", Value::Ss(BTreeSet::from(["a".into(), "b".into()])))
            .with(
                "ns",
                Value::Ns(BTreeSet::from([Number::from(1u8), Number::from(2u8)])),
            )
            .with("bs", Value::Bs(BTreeSet::from([vec![1u8], vec![2u8, 3]])))
    }

    #[derive(Deserialize, Serialize, Debug, PartialEq)]
    struct Everything {
        s: String,
        n: f64,
        i: u64,
        #[serde(with = "serde_bytes")]
        b: Vec<u8>,
        t: bool,
        z: Option<String>,
        l: (u8, String, Vec<u8>),
        m: BTreeMap<String, serde_json::Value>,
        #[serde(with = "orm_core::serde_bridge::string_set")]
        ss: BTreeSet<String>,
        #[serde(with = "orm_core::serde_bridge::number_set")]
        ns: BTreeSet<u8>,
        bs: orm_core::BinarySet,
    }

    #[test]
    fn reads_every_type_as_the_item_does() {
        let item = sample();
        let read = SdkItem::new(item_to_attributes(item.clone()));
        assert_eq!(read.to_item().unwrap(), item);
        assert_eq!(read.get("n").unwrap(), Some(n("-12.5")));
        assert_eq!(read.get("missing").unwrap(), None);
        // A clone reads the same item.
        let clone: Everything = orm_core::from_reader(read.clone_reader()).unwrap();
        assert_eq!(clone, orm_core::from_item(item.clone()).unwrap());
        // The entity check compares in place: a string equal to the value, nothing else.
        assert!(read.is_string("s", "héllo"));
        assert!(!read.is_string("s", "hello"));
        assert!(!read.is_string("n", "-12.5"));
        assert!(!read.is_string("missing", ""));
        let from_item: Everything = orm_core::from_item(item).unwrap();
        let from_reader: Everything = orm_core::from_reader(Box::new(read)).unwrap();
        assert_eq!(from_reader, from_item);
    }

    #[test]
    fn skips_what_the_model_ignores_and_reports_errors_with_their_path() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Few {
            s: String,
            l: Vec<serde::de::IgnoredAny>,
        }
        let read = SdkItem::new(item_to_attributes(sample()));
        let few: Few = orm_core::from_reader(Box::new(read)).unwrap();
        assert_eq!((few.s.as_str(), few.l.len()), ("héllo", 3));

        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wrong {
            m: BTreeMap<String, u8>,
        }
        let read = SdkItem::new(item_to_attributes(sample()));
        let err = orm_core::from_reader::<Wrong>(Box::new(read))
            .unwrap_err()
            .to_string();
        // The SDK's map has no order: the first wrong entry read is either of the two.
        assert!(
            ["m.deep: expected a number", "m.k: expected a number"]
                .iter()
                .any(|start| err.starts_with(start)),
            "{err}"
        );
    }

    /// A reader of the one attribute `name`: `value`.
    fn one(name: &str, value: AttributeValue) -> Box<SdkItem> {
        Box::new(SdkItem::new(AttributeMap::from([(name.to_owned(), value)])))
    }

    #[test]
    fn numbers_are_checked_as_they_are_decoded() {
        #[derive(Deserialize, Debug)]
        struct Float {
            n: f64,
        }
        #[derive(Deserialize, Debug)]
        struct Integer {
            n: i64,
        }
        #[derive(Deserialize, Debug)]
        struct Exact {
            n: Number,
        }
        // Every text decodes (as a float, an integer where it is one, an exact number) if and
        // only if the conversion to a `Value` accepts it: the reader checks what it reads as
        // strictly as converting the whole item up front did.
        let long = "1".repeat(39);
        let texts = [
            "0", "-12.5", "007", "+5", "0.000001", "1E2", "-1e-130", "1.", ".5", "", "-", ".",
            "1.2.3", "--1", "1-2", "1e999", "NaN", "inf", "-inf", "0x10", " 1", &long,
        ];
        let nines = "9".repeat(38);
        for text in texts.into_iter().chain([nines.as_str()]) {
            let number = Number::parse(text).ok();
            let valid = from_attribute_value(AttributeValue::N(text.into())).is_ok();
            assert_eq!(valid, number.is_some(), "{text}");
            let float = orm_core::from_reader::<Float>(one("n", AttributeValue::N(text.into())));
            let want = number.as_ref().map(Number::to_f64);
            assert_eq!(
                float.as_ref().ok().map(|f| f.n),
                want,
                "{text} as f64: {float:?}"
            );
            let exact = orm_core::from_reader::<Exact>(one("n", AttributeValue::N(text.into())));
            assert_eq!(
                exact.as_ref().ok().map(|e| &e.n),
                number.as_ref(),
                "{text}: {exact:?}"
            );
            let integer =
                orm_core::from_reader::<Integer>(one("n", AttributeValue::N(text.into())));
            let want = number.as_ref().and_then(|n| i64::try_from(n).ok());
            assert_eq!(
                integer.as_ref().ok().map(|i| i.n),
                want,
                "{text} as i64: {integer:?}"
            );
            // In a number set, in a list, in a map: checked the same way.
            let nested = AttributeValue::M(HashMap::from([(
                "l".to_owned(),
                AttributeValue::L(vec![AttributeValue::Ns(vec!["1".into(), text.into()])]),
            )]));
            let deep = orm_core::from_reader::<BTreeMap<String, BTreeMap<String, Vec<Vec<Number>>>>>(
                one("m", nested),
            );
            assert_eq!(deep.is_ok(), valid, "{text} nested: {deep:?}");
        }
        let err = orm_core::from_reader::<Float>(one("n", AttributeValue::N("twelve".into())))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("n: ") && err.contains("twelve"), "{err}");
        // `get` and `to_item` convert, and fail the same way.
        let bad = one("n", AttributeValue::N("1e999".into()));
        assert!(bad.get("n").is_err() && bad.to_item().is_err());
        assert!(bad.get("other").unwrap().is_none());
        assert!(RawItem::Reader(bad).into_item().is_err());
        // Other notations DynamoDB accepts read as their value.
        let item = AttributeMap::from([
            ("a".to_owned(), AttributeValue::N("1E2".into())),
            ("b".to_owned(), to_attribute_value(n("0.5"))),
        ]);
        #[derive(Deserialize)]
        struct Two {
            a: u8,
            b: f32,
        }
        let two: Two = orm_core::from_reader(Box::new(SdkItem::new(item))).unwrap();
        assert_eq!((two.a, two.b), (100, 0.5));
    }

    /// The SDK's `Unknown` (a type newer than this SDK version) cannot be built outside the SDK;
    /// orm-core's reader tests check that [`ReadValue::Unsupported`], what it is handed over
    /// as, is an error when decoded.
    #[test]
    fn what_the_model_skips_is_not_checked() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Name {
            name: String,
        }
        let item = AttributeMap::from([
            ("name".to_owned(), AttributeValue::S("Ada".into())),
            ("n".to_owned(), AttributeValue::N("not a number".into())),
            (
                "l".to_owned(),
                AttributeValue::L(vec![AttributeValue::Ns(vec!["1e999".into()])]),
            ),
        ]);
        let name: Name = orm_core::from_reader(Box::new(SdkItem::new(item))).unwrap();
        assert_eq!(name.name, "Ada");
    }
}
