//! Conversion between orm-core's [`Value`] / [`Item`] and the SDK's [`AttributeValue`].
//!
//! Public for code that mixes the ORM with its own SDK calls (through
//! [`DynamoBackend::client`](crate::DynamoBackend::client)): an item read or written by hand
//! converts to and from the [`Item`] that [`orm_core::from_item`] / [`orm_core::to_item`] and the
//! models use. The backend's other conversions (borrowed items, unsorted entries) stay inside
//! this crate.
//!
//! ```
//! use aws_sdk_dynamodb::types::AttributeValue;
//! use orm_core::{Item, Value};
//! use orm_dynamodb::convert::{item_from_attributes, item_to_attributes};
//!
//! let item = Item::new().with("pk", "USER#1").with("visits", 3u32);
//! let map = item_to_attributes(item.clone());
//! assert_eq!(map["visits"], AttributeValue::N("3".into()));
//! assert_eq!(item_from_attributes(map)?, item);
//! assert_eq!(item.get("pk"), Some(&Value::from("USER#1")));
//! # Ok::<(), orm_core::Error>(())
//! ```
//!
//! Conversions consume their input, so strings, byte buffers and nested containers are moved,
//! never copied. Numbers travel as their exact canonical text ([`Number::as_str`] out,
//! [`Number::parse`] in): no float ever touches them.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use orm_core::error::{Error, Result};
use orm_core::{Item, Number, Value};
use std::collections::HashMap;

/// The SDK's representation of an item (and of a key).
pub type AttributeMap = HashMap<String, AttributeValue>;

/// Converts a [`Value`] into an [`AttributeValue`], moving its contents.
pub fn to_attribute_value(value: Value) -> AttributeValue {
    match value {
        Value::S(s) => AttributeValue::S(s),
        Value::N(n) => AttributeValue::N(n.into_string()),
        Value::B(b) => AttributeValue::B(Blob::new(b)),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Null => AttributeValue::Null(true),
        Value::L(l) => AttributeValue::L(l.into_iter().map(to_attribute_value).collect()),
        Value::M(m) => AttributeValue::M(
            m.into_iter()
                .map(|(k, v)| (k, to_attribute_value(v)))
                .collect(),
        ),
        Value::Ss(s) => AttributeValue::Ss(s.into_iter().collect()),
        Value::Ns(s) => AttributeValue::Ns(s.into_iter().map(Number::into_string).collect()),
        Value::Bs(s) => AttributeValue::Bs(s.into_iter().map(Blob::new).collect()),
    }
}

/// Converts a borrowed [`Value`] into an [`AttributeValue`], copying its contents (for requests
/// the caller keeps, such as batch writes it may have to send again).
pub(crate) fn to_attribute_value_ref(value: &Value) -> AttributeValue {
    match value {
        Value::S(s) => AttributeValue::S(s.clone()),
        Value::N(n) => AttributeValue::N(n.as_str().to_owned()),
        Value::B(b) => AttributeValue::B(Blob::new(b.clone())),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Null => AttributeValue::Null(true),
        Value::L(l) => AttributeValue::L(l.iter().map(to_attribute_value_ref).collect()),
        Value::M(m) => AttributeValue::M(
            m.iter()
                .map(|(k, v)| (k.clone(), to_attribute_value_ref(v)))
                .collect(),
        ),
        Value::Ss(s) => AttributeValue::Ss(s.iter().cloned().collect()),
        Value::Ns(s) => AttributeValue::Ns(s.iter().map(|n| n.as_str().to_owned()).collect()),
        Value::Bs(s) => AttributeValue::Bs(s.iter().map(|b| Blob::new(b.clone())).collect()),
    }
}

/// Converts an [`AttributeValue`] into a [`Value`], moving its contents.
///
/// Fails on a number DynamoDB would not have produced (not a valid [`Number`]) and on an
/// attribute type this SDK version does not know.
pub fn from_attribute_value(value: AttributeValue) -> Result<Value> {
    Ok(match value {
        AttributeValue::S(s) => Value::S(s),
        AttributeValue::N(n) => Value::N(parse_number(n)?),
        AttributeValue::B(b) => Value::B(b.into_inner()),
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(l) => {
            let mut list = Vec::with_capacity(l.len());
            for v in l {
                list.push(from_attribute_value(v)?);
            }
            Value::L(list)
        }
        AttributeValue::M(m) => Value::M(item_from_attributes(m)?.into_inner()),
        AttributeValue::Ss(s) => Value::Ss(s.into_iter().collect()),
        AttributeValue::Ns(s) => Value::Ns(s.into_iter().map(parse_number).collect::<Result<_>>()?),
        AttributeValue::Bs(s) => Value::Bs(s.into_iter().map(Blob::into_inner).collect()),
        other => return Err(unsupported(&other)),
    })
}

#[cold]
fn invalid_number(e: orm_core::NumberError) -> Error {
    Error::backend(
        "convert",
        false,
        format!("DynamoDB returned an invalid number: {e}"),
    )
}

#[cold]
fn unsupported(value: &AttributeValue) -> Error {
    Error::backend(
        "convert",
        false,
        format!("unsupported attribute value type from DynamoDB: {value:?}"),
    )
}

fn parse_number(text: String) -> Result<Number> {
    Number::parse_owned(text).map_err(invalid_number)
}

/// Converts an [`Item`] into the SDK's attribute map, moving its contents.
pub fn item_to_attributes(item: Item) -> AttributeMap {
    entries_to_attributes(item.into_inner())
}

/// Converts an item's attributes (sorted or not, each name once) into the SDK's attribute map,
/// moving their contents (no sorting: the map has no order).
pub(crate) fn entries_to_attributes(
    entries: impl IntoIterator<Item = (String, Value)>,
) -> AttributeMap {
    entries
        .into_iter()
        .map(|(k, v)| (k, to_attribute_value(v)))
        .collect()
}

/// Converts a borrowed [`Item`] into the SDK's attribute map, copying its contents.
pub(crate) fn item_to_attributes_ref(item: &Item) -> AttributeMap {
    item.iter()
        .map(|(k, v)| (k.clone(), to_attribute_value_ref(v)))
        .collect()
}

/// Converts the SDK's attribute map into an [`Item`], moving its contents: the entries are
/// converted into a vector of the exact size and sorted there ([`Item::from_unsorted`]).
pub fn item_from_attributes(map: AttributeMap) -> Result<Item> {
    entries_from_attributes(map).map(Item::from_unsorted)
}

/// Converts the SDK's attribute map into an item's attributes in the map's (arbitrary) order,
/// moving its contents: the unsorted [`RawItem::Entries`](orm_core::backend::RawItem::Entries)
/// form, for readers that decode straight into models.
pub(crate) fn entries_from_attributes(map: AttributeMap) -> Result<Vec<(String, Value)>> {
    let mut entries = Vec::with_capacity(map.len());
    for (k, v) in map {
        entries.push((k, from_attribute_value(v)?));
    }
    Ok(entries)
}

/// Converts an optional attribute map (as found in SDK outputs) into an optional [`Item`].
pub(crate) fn opt_item(map: Option<AttributeMap>) -> Result<Option<Item>> {
    map.map(item_from_attributes).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    fn sample() -> Value {
        let mut inner = BTreeMap::new();
        inner.insert(
            "deep".to_owned(),
            Value::L(vec![Value::Null, Value::Bool(false)]),
        );
        Value::M(BTreeMap::from([
            ("s".to_owned(), Value::S("héllo".into())),
            ("n".to_owned(), Value::N(n("-12.5"))),
            ("b".to_owned(), Value::B(vec![0, 1, 255])),
            ("t".to_owned(), Value::Bool(true)),
            ("z".to_owned(), Value::Null),
            (
                "l".to_owned(),
                Value::L(vec![Value::N(n("1")), Value::S("x".into())]),
            ),
            ("m".to_owned(), Value::M(inner)),
            (
                "ss".to_owned(),
                Value::Ss(BTreeSet::from(["a".to_owned(), "b".to_owned()])),
            ),
            (
                "ns".to_owned(),
                Value::Ns(BTreeSet::from([
                    n("1"),
                    n("12345678901234567890123456789012345678"),
                ])),
            ),
            (
                "bs".to_owned(),
                Value::Bs(BTreeSet::from([vec![1u8], vec![2u8, 3]])),
            ),
        ]))
    }

    #[test]
    fn every_type_round_trips() {
        let v = sample();
        let av = to_attribute_value(v.clone());
        assert_eq!(to_attribute_value_ref(&v), av);
        assert_eq!(from_attribute_value(av).unwrap(), v);
    }

    #[test]
    fn maps_come_back_sorted_by_name() {
        let names = [
            "",
            "a",
            "a\u{0}",
            "abcdefgh",
            "abcdefghi",
            "abcdefgh\u{0}",
            "abcdefgg~",
            "b",
            "Z",
            "é",
            "abcdefghij",
            "abcdefgi",
            "pk",
            "gsi1pk",
            "gsi1sk",
            "gsi10pk",
        ];
        let map: AttributeMap = names
            .iter()
            .map(|n| (n.to_string(), AttributeValue::S(n.to_string())))
            .collect();
        let item = item_from_attributes(map).unwrap();
        let mut sorted: Vec<&str> = names.to_vec();
        sorted.sort_unstable();
        assert_eq!(item.keys().map(String::as_str).collect::<Vec<_>>(), sorted);
        for (k, v) in item.iter() {
            assert_eq!(v, &Value::S(k.clone()));
        }
    }

    #[test]
    fn entries_are_the_same_attributes_unsorted() {
        let Value::M(map) = sample() else {
            unreachable!()
        };
        let attrs = item_to_attributes(Item(map.clone()));
        let entries = entries_from_attributes(attrs.clone()).unwrap();
        assert_eq!(entries.len(), map.len());
        let raw = orm_core::backend::RawItem::Entries(entries);
        assert_eq!(
            raw.into_item().unwrap(),
            item_from_attributes(attrs).unwrap()
        );
    }

    #[test]
    fn renders_exact_shapes() {
        assert_eq!(to_attribute_value(Value::Null), AttributeValue::Null(true));
        assert_eq!(
            to_attribute_value(Value::N(n("0.000001"))),
            AttributeValue::N("0.000001".into())
        );
        assert_eq!(
            to_attribute_value(Value::B(vec![7, 8])),
            AttributeValue::B(Blob::new(vec![7, 8]))
        );
        let av = to_attribute_value(Value::Ns(BTreeSet::from([n("2"), n("10")])));
        match av {
            AttributeValue::Ns(mut v) => {
                v.sort();
                assert_eq!(v, vec!["10".to_owned(), "2".to_owned()]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_numbers_exactly() {
        let v = from_attribute_value(AttributeValue::N(
            "123456789012345678901234567890.12345678".into(),
        ))
        .unwrap();
        assert_eq!(
            v.as_n().unwrap().as_str(),
            "123456789012345678901234567890.12345678"
        );
        // Both NULL encodings mean Null.
        assert_eq!(
            from_attribute_value(AttributeValue::Null(false)).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn rejects_bad_numbers() {
        let e = from_attribute_value(AttributeValue::N("twelve".into())).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Backend {
                    retryable: false,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = from_attribute_value(AttributeValue::Ns(vec!["1".into(), "x".into()])).unwrap_err();
        assert!(matches!(e, Error::Backend { .. }), "{e:?}");
    }

    #[test]
    fn items_round_trip() {
        let item = Item::new()
            .with("pk", "USER#1")
            .with("n", 3)
            .with("name", "x");
        let map = item_to_attributes(item.clone());
        assert_eq!(map.get("pk"), Some(&AttributeValue::S("USER#1".into())));
        assert_eq!(map.get("n"), Some(&AttributeValue::N("3".into())));
        assert_eq!(item_from_attributes(map).unwrap(), item);
        assert_eq!(opt_item(None).unwrap(), None);
    }
}
