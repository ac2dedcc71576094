//! DynamoDB's AttributeValue JSON (`{"S": "x"}`, `{"N": "1.5"}`, base64 binary, sets, nested
//! maps and lists) to and from [`Value`], with DynamoDB's checks: exact numbers, one type per
//! value, no empty or duplicate sets, at most 32 levels of nesting.
//!
//! A leaf of the server: its errors are [`InvalidValue`]s, which the answers (`super::error`)
//! turn into `ValidationException`s.

use base64::Engine;
use orm_core::{Item, Number, Value};
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

/// DynamoDB's limit on nested lists and maps (the item itself is level 0).
pub(crate) const MAX_NESTING: usize = 32;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Why an AttributeValue or item could not be decoded: DynamoDB's `ValidationException`
/// message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InvalidValue(pub(crate) String);

fn invalid(message: impl Into<String>) -> InvalidValue {
    InvalidValue(message.into())
}

/// Decodes one AttributeValue at nesting `depth`.
pub(crate) fn value(json: &Json, depth: usize) -> Result<Value, InvalidValue> {
    if depth > MAX_NESTING {
        return Err(invalid("Nesting Levels have exceeded supported limits"));
    }
    let map = json.as_object().ok_or_else(|| {
        invalid("Supplied AttributeValue is not an object: expected e.g. {\"S\": \"text\"}")
    })?;
    let mut entries = map.iter();
    let (descriptor, inner) = match (entries.next(), entries.next()) {
        (Some(entry), None) => entry,
        (None, _) => {
            return Err(invalid(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ))
        }
        (Some(_), Some(_)) => {
            return Err(invalid(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ))
        }
    };
    let text = |what: &str| {
        inner
            .as_str()
            .ok_or_else(|| invalid(format!("{what} AttributeValue must hold a string")))
    };
    Ok(match descriptor.as_str() {
        "S" => Value::S(text("S")?.to_owned()),
        "N" => Value::N(number(text("N")?)?),
        "B" => Value::B(binary(text("B")?)?),
        "BOOL" => Value::Bool(
            inner
                .as_bool()
                .ok_or_else(|| invalid("BOOL AttributeValue must hold true or false"))?,
        ),
        "NULL" => match inner {
            Json::Bool(true) => Value::Null,
            _ => return Err(invalid("One or more parameter values were invalid: Null attribute value types must have the value of true")),
        },
        "L" => Value::L(
            list(inner, "L")?
                .iter()
                .map(|v| value(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        "M" => {
            let object = inner
                .as_object()
                .ok_or_else(|| invalid("M AttributeValue must hold an object"))?;
            let mut map = BTreeMap::new();
            for (name, v) in object {
                map.insert(name.clone(), value(v, depth + 1)?);
            }
            Value::M(map)
        }
        "SS" => Value::Ss(set(list(inner, "SS")?, "string", |v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid("SS AttributeValue must hold strings"))
        })?),
        "NS" => Value::Ns(set(list(inner, "NS")?, "number", |v| {
            number(
                v.as_str()
                    .ok_or_else(|| invalid("NS AttributeValue must hold strings"))?,
            )
        })?),
        "BS" => Value::Bs(set(list(inner, "BS")?, "binary", |v| {
            binary(
                v.as_str()
                    .ok_or_else(|| invalid("BS AttributeValue must hold base64 strings"))?,
            )
        })?),
        other => {
            return Err(invalid(format!(
                "Supplied AttributeValue has an unknown datatype {other:?}: use S, N, B, BOOL, NULL, L, M, SS, NS or BS"
            )))
        }
    })
}

fn list<'a>(json: &'a Json, what: &str) -> Result<&'a Vec<Json>, InvalidValue> {
    json.as_array()
        .ok_or_else(|| invalid(format!("{what} AttributeValue must hold a list")))
}

/// A set's members, with DynamoDB's messages for an empty set and for duplicates (their
/// wording differs per set type, as DynamoDB's does).
fn set<T: Ord>(
    values: &[Json],
    kind: &str,
    decode: impl Fn(&Json) -> Result<T, InvalidValue>,
) -> Result<BTreeSet<T>, InvalidValue> {
    if values.is_empty() {
        return Err(invalid(match kind {
            "binary" => {
                "One or more parameter values were invalid: Binary sets should not be empty".into()
            }
            _ => format!(
                "One or more parameter values were invalid: An {kind} set  may not be empty"
            ),
        }));
    }
    let mut set = BTreeSet::new();
    for v in values {
        if !set.insert(decode(v)?) {
            let members: Vec<String> = values
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect();
            return Err(invalid(match kind {
                "number" => "Input collection contains duplicates".to_string(),
                "binary" => format!(
                    "One or more parameter values were invalid: Input collection [{}]of type BS contains duplicates.",
                    members.join(", ")
                ),
                _ => format!(
                    "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
                    members.join(", ")
                ),
            }));
        }
    }
    Ok(set)
}

fn number(text: &str) -> Result<Number, InvalidValue> {
    Number::parse(text).map_err(|e| {
        invalid(format!(
            "The parameter cannot be converted to a numeric value: {text} ({e})"
        ))
    })
}

fn binary(text: &str) -> Result<Vec<u8>, InvalidValue> {
    B64.decode(text)
        .map_err(|_| invalid(format!("Invalid base64 binary value: {text:?}")))
}

/// Decodes an item (a map of attribute name to AttributeValue).
pub(crate) fn item(json: &Json, what: &str) -> Result<Item, InvalidValue> {
    let object = json
        .as_object()
        .ok_or_else(|| invalid(format!("{what} must be a map of attribute names to values")))?;
    let mut item = BTreeMap::new();
    for (name, v) in object {
        if name.is_empty() {
            return Err(invalid(format!(
                "One or more parameter values were invalid: An attribute name in {what} is empty"
            )));
        }
        item.insert(name.clone(), value(v, 1)?);
    }
    Ok(Item(item))
}

/// Encodes a value as AttributeValue JSON.
pub(crate) fn encode_value(value: &Value) -> Json {
    let mut out = Map::with_capacity(1);
    let (descriptor, inner) = match value {
        Value::S(s) => ("S", Json::String(s.clone())),
        Value::N(n) => ("N", Json::String(n.as_str().to_owned())),
        Value::B(b) => ("B", Json::String(B64.encode(b))),
        Value::Bool(b) => ("BOOL", Json::Bool(*b)),
        Value::Null => ("NULL", Json::Bool(true)),
        Value::L(list) => ("L", Json::Array(list.iter().map(encode_value).collect())),
        Value::M(map) => ("M", encode_map(map)),
        Value::Ss(set) => (
            "SS",
            Json::Array(set.iter().map(|s| Json::String(s.clone())).collect()),
        ),
        Value::Ns(set) => (
            "NS",
            Json::Array(
                set.iter()
                    .map(|n| Json::String(n.as_str().to_owned()))
                    .collect(),
            ),
        ),
        Value::Bs(set) => (
            "BS",
            Json::Array(set.iter().map(|b| Json::String(B64.encode(b))).collect()),
        ),
    };
    out.insert(descriptor.to_owned(), inner);
    Json::Object(out)
}

fn encode_map(map: &BTreeMap<String, Value>) -> Json {
    Json::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), encode_value(v)))
            .collect(),
    )
}

/// Encodes an item.
pub(crate) fn encode_item(item: &Item) -> Json {
    encode_map(&item.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_round_trips_exactly() {
        let big = "-12345678901234567890.123456789012345678";
        let j = json!({
            "s": {"S": "x"}, "n": {"N": big}, "b": {"B": "AAEC"}, "t": {"BOOL": true},
            "z": {"NULL": true}, "l": {"L": [{"N": "1"}, {"S": "a"}]},
            "m": {"M": {"k": {"SS": ["b", "a"]}}}, "ns": {"NS": ["10", "1.5"]},
            "bs": {"BS": ["AA==", "AQ=="]}
        });
        let it = item(&j, "Item").unwrap();
        assert_eq!(it.0["n"].as_n().unwrap().as_str(), big);
        assert_eq!(it.0["b"], Value::B(vec![0, 1, 2]));
        let back = encode_item(&it);
        assert_eq!(item(&back, "Item").unwrap(), it);
        assert_eq!(back["n"], json!({"N": big}));
    }

    #[test]
    fn numbers_are_canonical() {
        let v = value(&json!({"N": "001.500"}), 1).unwrap();
        assert_eq!(encode_value(&v), json!({"N": "1.5"}));
    }

    #[test]
    fn bad_values_are_validation_errors() {
        for bad in [
            json!({}),
            json!({"S": "a", "N": "1"}),
            json!({"X": "a"}),
            json!({"N": "1e400"}),
            json!({"N": "123456789012345678901234567890123456789"}),
            json!({"SS": []}),
            json!({"SS": ["a", "a"]}),
            json!({"NULL": false}),
            json!({"B": "%%%"}),
            json!("S"),
            json!({"S": 1}),
        ] {
            let err = value(&bad, 1).unwrap_err();
            assert!(!err.0.is_empty(), "{bad}");
        }
    }

    #[test]
    fn nesting_is_limited_to_32_levels() {
        let mut v = json!({"S": "leaf"});
        for _ in 0..31 {
            v = json!({"L": [v]});
        }
        assert!(value(&v, 1).is_ok());
        let too_deep = json!({"L": [v]});
        let err = value(&too_deep, 1).unwrap_err();
        assert!(err.0.contains("Nesting"), "{}", err.0);
    }
}
