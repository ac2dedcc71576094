//! The deserializer: an owned [`Value`] into any `T: DeserializeOwned`.
//!
//! Typed reads are exact: a number goes into an integer type only if it fits (`1.5` into `i64`
//! is an error, never a truncation), a string is never coerced into a number. Strings, byte
//! buffers and map keys are moved out of the value, not cloned.
//!
//! `deserialize_any` (used by untagged and internally tagged enums, `serde_json::Value` and the
//! like) is the one lossy path: a number is handed over as `u64`/`i64` when it fits, else as
//! `u128`/`i128`, else as the nearest `f64`.

use super::field_path::{BridgeError, FieldPath};
use super::{BINARY_SET, NUMBER, NUMBER_SET, STRING_SET};
use crate::number::Number;
use crate::value::Value;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::fmt;

type Result<T, E = BridgeError> = std::result::Result<T, E>;

/// Deserializes one owned value found at `path`.
#[derive(Debug)]
pub(crate) struct De<'p> {
    pub(crate) value: Value,
    pub(crate) path: &'p FieldPath<'p>,
}

/// Describes a value for a type-mismatch message: `S "abc"`, `N 1.5`, `L (3 elements)`.
pub(crate) struct Found<'a>(pub(crate) &'a Value);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn plural(n: usize, one: &str, many: &str) -> String {
            format!("{n} {}", if n == 1 { one } else { many })
        }
        match self.0 {
            Value::S(s) => {
                const MAX: usize = 40;
                if s.chars().count() > MAX {
                    let short: String = s.chars().take(MAX).collect();
                    write!(f, "S {:?}...", short)
                } else {
                    write!(f, "S {s:?}")
                }
            }
            Value::N(n) => write!(f, "N {}", n.as_str()),
            Value::B(b) => write!(f, "B ({})", plural(b.len(), "byte", "bytes")),
            Value::Bool(b) => write!(f, "BOOL {b}"),
            Value::Null => f.write_str("NULL"),
            Value::L(l) => write!(f, "L ({})", plural(l.len(), "element", "elements")),
            Value::M(m) => write!(f, "M ({})", plural(m.len(), "entry", "entries")),
            Value::Ss(s) => write!(f, "SS ({})", plural(s.len(), "member", "members")),
            Value::Ns(s) => write!(f, "NS ({})", plural(s.len(), "member", "members")),
            Value::Bs(s) => write!(f, "BS ({})", plural(s.len(), "member", "members")),
        }
    }
}

/// `expected {expected}, found {found}`.
#[cold]
#[inline(never)]
pub(super) fn mismatch(expected: &str, found: &Value) -> BridgeError {
    let hint = match (expected, found) {
        ("a list", Value::B(_)) => " (use serde_bytes for binary fields)",
        _ => "",
    };
    BridgeError::new(format!("expected {expected}, found {}{hint}", Found(found)))
}

#[cold]
#[inline(never)]
pub(super) fn number_error(e: crate::number::NumberError) -> BridgeError {
    BridgeError::new(e.to_string())
}

/// Visits the elements of a list or set, checking that the visitor took all of them.
fn visit_elements<'de, V, I>(iter: I, path: &FieldPath<'_>, visitor: V) -> Result<V::Value>
where
    V: Visitor<'de>,
    I: ExactSizeIterator<Item = Value>,
{
    let mut seq = SeqDe {
        iter,
        path,
        index: 0,
    };
    let out = visitor.visit_seq(&mut seq)?;
    let rest = seq.iter.len();
    if rest == 0 {
        Ok(out)
    } else {
        Err(BridgeError::new(format!(
            "expected {} elements, found {}",
            seq.index,
            seq.index + rest
        )))
    }
}

fn visit_map<'de, V: Visitor<'de>>(
    map: std::collections::BTreeMap<String, Value>,
    path: &FieldPath<'_>,
    visitor: V,
) -> Result<V::Value> {
    visitor.visit_map(MapDe {
        iter: map.into_iter(),
        pending: None,
        path,
    })
}

/// Deserializes a top-level map given as its entries, in any order (an item's attributes as a
/// backend read them), without building a map first.
pub(crate) struct EntriesDe<'p, I> {
    pub(crate) entries: I,
    pub(crate) path: &'p FieldPath<'p>,
}

impl<'de, I: Iterator<Item = (String, Value)>> de::Deserializer<'de> for EntriesDe<'_, I> {
    type Error = BridgeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_map(MapDe {
            iter: self.entries,
            pending: None,
            path: self.path,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The lossy `deserialize_any` reading of a number: the narrowest of `u64`/`i64`, then
/// `u128`/`i128`, else the nearest `f64`.
pub(super) fn visit_number_any<'de, V: Visitor<'de>>(n: Number, visitor: V) -> Result<V::Value> {
    if n.is_integer() {
        let text = n.as_str();
        let negative = text.starts_with('-');
        let digits = text.len() - usize::from(negative);
        if digits <= 20 {
            if negative {
                if let Ok(x) = i64::try_from(&n) {
                    return visitor.visit_i64(x);
                }
            } else if let Ok(x) = u64::try_from(&n) {
                return visitor.visit_u64(x);
            }
        }
        if digits <= 39 {
            if negative {
                if let Ok(x) = i128::try_from(&n) {
                    return visitor.visit_i128(x);
                }
            } else if let Ok(x) = u128::try_from(&n) {
                return visitor.visit_u128(x);
            }
        }
    }
    visitor.visit_f64(n.to_f64())
}

macro_rules! deserialize_int {
    ($($method:ident => $visit:ident($t:ty),)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            match self.value {
                Value::N(n) => match <$t>::try_from(&n) {
                    Ok(x) => visitor.$visit(x),
                    Err(e) => Err(number_error(e)),
                },
                other => Err(mismatch("a number", &other)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = BridgeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::S(s) => visitor.visit_string(s),
            Value::N(n) => visit_number_any(n, visitor),
            Value::B(b) => visitor.visit_byte_buf(b),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Null => visitor.visit_unit(),
            Value::L(l) => visit_elements(l.into_iter(), self.path, visitor),
            Value::M(m) => visit_map(m, self.path, visitor),
            Value::Ss(s) => visit_elements(s.into_iter().map(Value::S), self.path, visitor),
            Value::Ns(s) => visit_elements(s.into_iter().map(Value::N), self.path, visitor),
            Value::Bs(s) => visit_elements(s.into_iter().map(Value::B), self.path, visitor),
        }
    }

    #[inline]
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(b),
            other => Err(mismatch("a boolean", &other)),
        }
    }

    deserialize_int! {
        deserialize_i8 => visit_i8(i8),
        deserialize_i16 => visit_i16(i16),
        deserialize_i32 => visit_i32(i32),
        deserialize_i64 => visit_i64(i64),
        deserialize_i128 => visit_i128(i128),
        deserialize_u8 => visit_u8(u8),
        deserialize_u16 => visit_u16(u16),
        deserialize_u32 => visit_u32(u32),
        deserialize_u64 => visit_u64(u64),
        deserialize_u128 => visit_u128(u128),
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            // Parsing the canonical text as f32 rounds once (going through f64 could round twice).
            Value::N(n) => visitor.visit_f32(
                n.as_str()
                    .parse::<f32>()
                    .unwrap_or_else(|_| n.to_f64() as f32),
            ),
            other => Err(mismatch("a number", &other)),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::N(n) => visitor.visit_f64(n.to_f64()),
            other => Err(mismatch("a number", &other)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::S(s) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => visitor.visit_char(c),
                    _ => Err(mismatch("a single character", &Value::S(s))),
                }
            }
            other => Err(mismatch("a string", &other)),
        }
    }

    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::S(s) => visitor.visit_string(s),
            // A number read as text is its canonical text.
            Value::N(n) => visitor.visit_str(n.as_str()),
            other => Err(mismatch("a string", &other)),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::B(b) => visitor.visit_byte_buf(b),
            other => Err(mismatch("binary (B)", &other)),
        }
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            other => Err(mismatch("NULL", &other)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name.as_bytes().first() == Some(&b'$') {
            let path = self.path;
            match (name, self.value) {
                (NUMBER, Value::N(n)) => return visitor.visit_str(n.as_str()),
                (NUMBER, other) => return Err(mismatch("a number", &other)),
                (STRING_SET, Value::Ss(s)) => {
                    return visit_elements(s.into_iter().map(Value::S), path, visitor)
                }
                (NUMBER_SET, Value::Ns(s)) => {
                    return visit_elements(s.into_iter().map(Value::N), path, visitor)
                }
                (BINARY_SET, Value::Bs(s)) => {
                    return visit_elements(s.into_iter().map(Value::B), path, visitor)
                }
                // Other clients may have stored a set as a list; its members are checked.
                (STRING_SET | NUMBER_SET | BINARY_SET, Value::L(l)) => {
                    return visit_elements(l.into_iter(), path, visitor)
                }
                (STRING_SET, other) => return Err(mismatch("a string set (SS)", &other)),
                (NUMBER_SET, other) => return Err(mismatch("a number set (NS)", &other)),
                (BINARY_SET, other) => return Err(mismatch("a binary set (BS)", &other)),
                (_, value) => return visitor.visit_newtype_struct(De { value, path }),
            }
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::L(l) => visit_elements(l.into_iter(), self.path, visitor),
            Value::Ss(s) => visit_elements(s.into_iter().map(Value::S), self.path, visitor),
            Value::Ns(s) => visit_elements(s.into_iter().map(Value::N), self.path, visitor),
            Value::Bs(s) => visit_elements(s.into_iter().map(Value::B), self.path, visitor),
            other => Err(mismatch("a list", &other)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::M(m) => visit_map(m, self.path, visitor),
            other => Err(mismatch("a map", &other)),
        }
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.value {
            Value::S(s) => visitor.visit_enum(s.into_deserializer()),
            Value::M(m) if m.len() == 1 => {
                let (key, value) = m.into_iter().next().expect("one entry");
                visitor.visit_enum(EnumDe {
                    key,
                    value,
                    path: self.path,
                })
            }
            other => Err(mismatch(
                "an enum (a string, or a map with one entry)",
                &other,
            )),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::S(s) => visitor.visit_string(s),
            other => Err(mismatch("a string", &other)),
        }
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

/// The elements of a list or set.
struct SeqDe<'a, I> {
    iter: I,
    path: &'a FieldPath<'a>,
    index: usize,
}

impl<'de, I: ExactSizeIterator<Item = Value>> de::SeqAccess<'de> for SeqDe<'_, I> {
    type Error = BridgeError;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.iter.next() {
            None => Ok(None),
            Some(value) => {
                let path = FieldPath::Index(self.path, self.index);
                self.index += 1;
                seed.deserialize(De { value, path: &path })
                    .map(Some)
                    .map_err(|e| e.at(&path))
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// The entries of a map or the fields of a struct.
struct MapDe<'a, I> {
    iter: I,
    pending: Option<(String, Value)>,
    path: &'a FieldPath<'a>,
}

impl<'de, I: Iterator<Item = (String, Value)>> de::MapAccess<'de> for MapDe<'_, I> {
    type Error = BridgeError;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.iter.next() {
            None => Ok(None),
            Some((key, value)) => {
                // Struct field names are matched by reference; the key stays for the path.
                let k = seed.deserialize(KeyDe(key.as_str()))?;
                self.pending = Some((key, value));
                Ok(Some(k))
            }
        }
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| BridgeError::new("next_value called before next_key"))?;
        let path = FieldPath::Key(self.path, &key);
        seed.deserialize(De { value, path: &path })
            .map_err(|e| e.at(&path))
    }

    /// Maps (`HashMap`, `BTreeMap`) read entry by entry: the value first, while the key can
    /// still name it in an error, then the key, moved rather than copied.
    #[inline]
    fn next_entry_seed<K, V>(&mut self, kseed: K, vseed: V) -> Result<Option<(K::Value, V::Value)>>
    where
        K: DeserializeSeed<'de>,
        V: DeserializeSeed<'de>,
    {
        match self.iter.next() {
            None => Ok(None),
            Some((key, value)) => {
                let v = {
                    let path = FieldPath::Key(self.path, &key);
                    vseed
                        .deserialize(De { value, path: &path })
                        .map_err(|e| e.at(&path))?
                };
                let k = kseed.deserialize(KeyDe(key))?;
                Ok(Some((k, v)))
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        match self.iter.size_hint() {
            (low, Some(high)) if low == high => Some(low),
            _ => None,
        }
    }
}

/// A map key, borrowed (`&str`) or owned (`String`, moved into the visitor).
pub(super) trait KeyText: Sized {
    fn text(&self) -> &str;
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value>;
    fn visit_enum<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value>;
}

impl KeyText for &str {
    fn text(&self) -> &str {
        self
    }
    #[inline]
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_str(self)
    }
    fn visit_enum<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_enum(self.into_deserializer())
    }
}

impl KeyText for String {
    fn text(&self) -> &str {
        self
    }
    #[inline]
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_string(self)
    }
    fn visit_enum<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_enum(self.into_deserializer())
    }
}

/// Deserializes a map key: as text, or parsed into an integer, bool or char key type.
pub(super) struct KeyDe<K>(pub(super) K);

#[cold]
fn bad_key(key: &str, target: &str) -> BridgeError {
    BridgeError::new(format!("map key {key:?} is not a valid {target}"))
}

macro_rules! deserialize_key_parsed {
    ($($method:ident => $visit:ident($t:ty),)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            match self.0.text().parse::<$t>() {
                Ok(x) => visitor.$visit(x),
                Err(_) => Err(bad_key(self.0.text(), stringify!($t))),
            }
        }
    )*};
}

impl<'de, K: KeyText> de::Deserializer<'de> for KeyDe<K> {
    type Error = BridgeError;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.0.visit(visitor)
    }

    deserialize_key_parsed! {
        deserialize_bool => visit_bool(bool),
        deserialize_i8 => visit_i8(i8),
        deserialize_i16 => visit_i16(i16),
        deserialize_i32 => visit_i32(i32),
        deserialize_i64 => visit_i64(i64),
        deserialize_i128 => visit_i128(i128),
        deserialize_u8 => visit_u8(u8),
        deserialize_u16 => visit_u16(u16),
        deserialize_u32 => visit_u32(u32),
        deserialize_u64 => visit_u64(u64),
        deserialize_u128 => visit_u128(u128),
        deserialize_char => visit_char(char),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.0.visit_enum(visitor)
    }

    serde::forward_to_deserialize_any! {
        f32 f64 str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// An externally tagged enum stored as `{variant: content}`.
struct EnumDe<'a> {
    key: String,
    value: Value,
    path: &'a FieldPath<'a>,
}

impl<'de, 'a> de::EnumAccess<'de> for EnumDe<'a> {
    type Error = BridgeError;
    type Variant = VariantDe<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, VariantDe<'a>)> {
        let variant = seed.deserialize(KeyDe(self.key.as_str()))?;
        Ok((
            variant,
            VariantDe {
                key: self.key,
                value: self.value,
                path: self.path,
            },
        ))
    }
}

/// The content of an externally tagged variant.
struct VariantDe<'a> {
    key: String,
    value: Value,
    path: &'a FieldPath<'a>,
}

impl<'de> de::VariantAccess<'de> for VariantDe<'_> {
    type Error = BridgeError;

    fn unit_variant(self) -> Result<()> {
        match self.value {
            Value::Null => Ok(()),
            other => {
                let path = FieldPath::Key(self.path, &self.key);
                Err(mismatch("NULL (a unit variant)", &other).at(&path))
            }
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        let VariantDe { key, value, path } = self;
        let path = FieldPath::Key(path, &key);
        seed.deserialize(De { value, path: &path })
            .map_err(|e| e.at(&path))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        let VariantDe { key, value, path } = self;
        let path = FieldPath::Key(path, &key);
        de::Deserializer::deserialize_tuple(De { value, path: &path }, len, visitor)
            .map_err(|e| e.at(&path))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let VariantDe { key, value, path } = self;
        let path = FieldPath::Key(path, &key);
        de::Deserializer::deserialize_struct(De { value, path: &path }, "", fields, visitor)
            .map_err(|e| e.at(&path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::from_value;
    use std::collections::{BTreeMap, BTreeSet};

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn found_describes_values() {
        let cases = [
            (Value::from("abc"), r#"S "abc""#),
            (Value::N(n("1.5")), "N 1.5"),
            (Value::B(vec![1]), "B (1 byte)"),
            (Value::Bool(false), "BOOL false"),
            (Value::Null, "NULL"),
            (Value::L(vec![Value::Null, Value::Null]), "L (2 elements)"),
            (Value::M(BTreeMap::new()), "M (0 entries)"),
            (Value::Ss(BTreeSet::from(["a".into()])), "SS (1 member)"),
            (Value::Ns(BTreeSet::new()), "NS (0 members)"),
            (Value::Bs(BTreeSet::new()), "BS (0 members)"),
        ];
        for (value, text) in cases {
            assert_eq!(Found(&value).to_string(), text);
        }
        let long = Value::from("x".repeat(100));
        assert_eq!(
            Found(&long).to_string(),
            format!("S \"{}\"...", "x".repeat(40))
        );
    }

    /// Records which visit method `deserialize_any` chose.
    struct Which;

    impl<'de> Visitor<'de> for Which {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("anything")
        }
        fn visit_u64<E>(self, v: u64) -> Result<String, E> {
            Ok(format!("u64 {v}"))
        }
        fn visit_i64<E>(self, v: i64) -> Result<String, E> {
            Ok(format!("i64 {v}"))
        }
        fn visit_u128<E>(self, v: u128) -> Result<String, E> {
            Ok(format!("u128 {v}"))
        }
        fn visit_i128<E>(self, v: i128) -> Result<String, E> {
            Ok(format!("i128 {v}"))
        }
        fn visit_f64<E>(self, v: f64) -> Result<String, E> {
            Ok(format!("f64 {v:e}"))
        }
    }

    fn any(text: &str) -> String {
        let root = FieldPath::Root;
        de::Deserializer::deserialize_any(
            De {
                value: Value::N(n(text)),
                path: &root,
            },
            Which,
        )
        .unwrap()
    }

    #[test]
    fn deserialize_any_picks_the_narrowest_number_type() {
        assert_eq!(any("0"), "u64 0");
        assert_eq!(any("18446744073709551615"), "u64 18446744073709551615");
        assert_eq!(any("-1"), "i64 -1");
        assert_eq!(any("-9223372036854775808"), "i64 -9223372036854775808");
        assert_eq!(any("18446744073709551616"), "u128 18446744073709551616");
        assert_eq!(any("-9223372036854775809"), "i128 -9223372036854775809");
        assert_eq!(
            any("99999999999999999999999999999999999999"),
            "u128 99999999999999999999999999999999999999"
        );
        assert_eq!(any("1e40"), "f64 1e40");
        assert_eq!(any("-1e125"), "f64 -1e125");
        assert_eq!(any("1.5"), "f64 1.5e0");
    }

    #[test]
    fn moves_strings_and_bytes() {
        let s: String = from_value(Value::from("owned")).unwrap();
        assert_eq!(s, "owned");
        let b: serde_bytes::ByteBuf = from_value(Value::B(vec![1, 2, 3])).unwrap();
        assert_eq!(b.into_vec(), vec![1, 2, 3]);
    }

    #[test]
    fn unit_and_ignored_values() {
        from_value::<()>(Value::Null).unwrap();
        let err = from_value::<()>(Value::from(1)).unwrap_err();
        assert_eq!(err.to_string(), "expected NULL, found N 1");
        from_value::<serde::de::IgnoredAny>(Value::L(vec![Value::M(BTreeMap::new())])).unwrap();
    }
}
