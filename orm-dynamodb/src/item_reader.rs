//! The SDK's attribute maps read in place: [`SdkItem`], the [`ItemReader`] every read of
//! `DynamoBackend` hands over ([`RawItem::Reader`](orm_core::backend::RawItem::Reader)), so that
//! a model is decoded straight from the SDK's item, its strings and buffers moved into the
//! model's fields, with no [`orm_core::Value`] built in between.
//!
//! The item is checked when it is read (every number is one DynamoDB accepts, every attribute
//! of a type this SDK version knows), so the [`Item`] it decodes into later cannot fail.

use crate::convert::{
    check_attribute_value, from_attribute_value, item_from_attributes, AttributeMap,
};
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
    /// The item `item` as read from DynamoDB, checked (see the module docs).
    pub(crate) fn new(item: AttributeMap) -> Result<SdkItem> {
        for value in item.values() {
            check_attribute_value(value)?;
        }
        Ok(SdkItem {
            item,
            attributes: None,
            open: OpenStack::default(),
        })
    }

    /// The item `item` as read from DynamoDB, checked, as the raw item a read returns.
    pub(crate) fn raw(item: AttributeMap) -> Result<RawItem> {
        Ok(RawItem::Reader(Box::new(SdkItem::new(item)?)))
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
            // NULL, and (checked out in `new`) types this SDK version does not know.
            _ => return ReadValue::Null,
        };
        self.open.push(read);
        open
    }
}

impl ItemReader for SdkItem {
    fn get(&self, name: &str) -> Option<Value> {
        // Checked in `new`: the conversion cannot fail.
        from_attribute_value(self.item.get(name)?.clone()).ok()
    }

    fn is_string(&self, name: &str, value: &str) -> bool {
        matches!(self.item.get(name), Some(AttributeValue::S(s)) if s == value)
    }

    fn to_item(&self) -> Item {
        // Checked in `new`: the conversion cannot fail.
        item_from_attributes(self.item.clone()).unwrap_or_default()
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
    use std::collections::{BTreeMap, BTreeSet};

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
        let read = SdkItem::new(item_to_attributes(item.clone())).unwrap();
        assert_eq!(read.to_item(), item);
        assert_eq!(read.get("n"), Some(n("-12.5")));
        assert_eq!(read.get("missing"), None);
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
        let read = SdkItem::new(item_to_attributes(sample())).unwrap();
        let few: Few = orm_core::from_reader(Box::new(read)).unwrap();
        assert_eq!((few.s.as_str(), few.l.len()), ("héllo", 3));

        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wrong {
            m: BTreeMap<String, u8>,
        }
        let read = SdkItem::new(item_to_attributes(sample())).unwrap();
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

    #[test]
    fn numbers_are_checked_when_read() {
        let bad = AttributeMap::from([("n".to_owned(), AttributeValue::N("twelve".into()))]);
        assert!(SdkItem::new(bad).is_err());
        let nested = AttributeMap::from([(
            "l".to_owned(),
            AttributeValue::L(vec![AttributeValue::Ns(vec!["1".into(), "1e999".into()])]),
        )]);
        assert!(SdkItem::new(nested).is_err());
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
        let two: Two = orm_core::from_reader(Box::new(SdkItem::new(item).unwrap())).unwrap();
        assert_eq!((two.a, two.b), (100, 0.5));
    }
}
