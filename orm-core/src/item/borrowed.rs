//! The deserializer over borrowed values: a [`ValueRef`] (an item a backend shares, see
//! [`SharedItem`](crate::backend::SharedItem)) into any `T: Deserialize`.
//!
//! The same mapping, exactness and errors as the owned deserializer (`de.rs`), which the tests
//! below check value by value. Strings are handed to the visitor borrowed (a `String` field
//! copies what it keeps, once); integers stored as `i64` go into integer fields without a
//! [`Number`] being built.

use super::de::{mismatch, number_error, visit_number_any, KeyDe};
use super::field_path::{BridgeError, FieldPath};
use super::{BINARY_SET, NUMBER, NUMBER_SET, STRING_SET};
use crate::number::Number;
use crate::value::{NumberRef, ValueRef};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::borrow::Cow;

type Result<T, E = BridgeError> = std::result::Result<T, E>;

/// Deserializes one borrowed value found at `path`.
pub(crate) struct RefDe<'a, 'p> {
    pub(crate) value: ValueRef<'a>,
    pub(crate) path: &'p FieldPath<'p>,
}

/// The owned form of a value, for an error message (a cold path).
#[cold]
#[inline(never)]
fn ref_mismatch(expected: &str, found: &ValueRef<'_>) -> BridgeError {
    match found.to_value() {
        Ok(value) => mismatch(expected, &value),
        Err(e) => number_error(e),
    }
}

/// The owned number of a number held as text (the rare path: fractions and wide integers).
fn parse(text: &str) -> Result<Number> {
    Number::parse(text).map_err(number_error)
}

/// The canonical text of a number.
fn number_text(n: NumberRef<'_>) -> Cow<'_, str> {
    match n {
        NumberRef::Int(v) => Cow::Owned(v.to_string()),
        NumberRef::Text(t) => Cow::Borrowed(t),
    }
}

/// Visits a list or set given as an iterator of values, checking that the visitor took all.
fn visit_elements<'a, V, I>(iter: I, path: &FieldPath<'_>, visitor: V) -> Result<V::Value>
where
    V: Visitor<'a>,
    I: ExactSizeIterator<Item = ValueRef<'a>>,
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

/// The members of a set as values.
fn ss(s: Vec<&str>) -> impl ExactSizeIterator<Item = ValueRef<'_>> {
    s.into_iter().map(ValueRef::S)
}
fn ns(s: Vec<NumberRef<'_>>) -> impl ExactSizeIterator<Item = ValueRef<'_>> {
    s.into_iter().map(ValueRef::N)
}
fn bs(s: Vec<Cow<'_, [u8]>>) -> impl ExactSizeIterator<Item = ValueRef<'_>> {
    s.into_iter().map(ValueRef::B)
}

/// Deserializes a top-level map given as its attributes, in any order.
pub(crate) struct AttributesDe<'p, I> {
    pub(crate) attributes: I,
    pub(crate) path: &'p FieldPath<'p>,
}

impl<'de, I: Iterator<Item = (&'de str, ValueRef<'de>)>> de::Deserializer<'de>
    for AttributesDe<'_, I>
{
    type Error = BridgeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_map(MapDe {
            iter: self.attributes,
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

macro_rules! deserialize_int {
    ($($method:ident => $visit:ident($t:ty),)*) => {$(
        #[inline]
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
            match self.value {
                ValueRef::N(NumberRef::Int(v)) => match <$t>::try_from(v) {
                    Ok(x) => visitor.$visit(x),
                    // The owned path words the error.
                    Err(_) => Err(number_error(<$t>::try_from(&Number::from(v)).err().expect("does not fit"))),
                },
                ValueRef::N(NumberRef::Text(t)) => match <$t>::try_from(&parse(t)?) {
                    Ok(x) => visitor.$visit(x),
                    Err(e) => Err(number_error(e)),
                },
                other => Err(ref_mismatch("a number", &other)),
            }
        }
    )*};
}

impl<'a> de::Deserializer<'a> for RefDe<'a, '_> {
    type Error = BridgeError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        let path = self.path;
        match self.value {
            ValueRef::S(s) => visitor.visit_borrowed_str(s),
            ValueRef::N(NumberRef::Int(v)) if v < 0 => visitor.visit_i64(v),
            ValueRef::N(NumberRef::Int(v)) => visitor.visit_u64(v as u64),
            ValueRef::N(NumberRef::Text(t)) => visit_number_any(parse(t)?, visitor),
            ValueRef::B(Cow::Borrowed(b)) => visitor.visit_borrowed_bytes(b),
            ValueRef::B(Cow::Owned(b)) => visitor.visit_byte_buf(b),
            ValueRef::Bool(b) => visitor.visit_bool(b),
            ValueRef::Null => visitor.visit_unit(),
            ValueRef::L(l) => visit_elements(l.into_iter(), path, visitor),
            ValueRef::M(m) => visit_map(m, path, visitor),
            ValueRef::Ss(s) => visit_elements(ss(s), path, visitor),
            ValueRef::Ns(s) => visit_elements(ns(s), path, visitor),
            ValueRef::Bs(s) => visit_elements(bs(s), path, visitor),
        }
    }

    #[inline]
    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            ValueRef::Bool(b) => visitor.visit_bool(b),
            other => Err(ref_mismatch("a boolean", &other)),
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

    fn deserialize_f32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            // Both round once, to nearest (as the owned path's parse of the text does).
            ValueRef::N(NumberRef::Int(v)) => visitor.visit_f32(v as f32),
            ValueRef::N(NumberRef::Text(t)) => match t.parse::<f32>() {
                Ok(x) => visitor.visit_f32(x),
                Err(_) => visitor.visit_f32(parse(t)?.to_f64() as f32),
            },
            other => Err(ref_mismatch("a number", &other)),
        }
    }

    fn deserialize_f64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            ValueRef::N(NumberRef::Int(v)) => visitor.visit_f64(v as f64),
            ValueRef::N(NumberRef::Text(t)) => match t.parse::<f64>() {
                Ok(x) => visitor.visit_f64(x),
                Err(_) => visitor.visit_f64(parse(t)?.to_f64()),
            },
            other => Err(ref_mismatch("a number", &other)),
        }
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            ValueRef::S(s) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => visitor.visit_char(c),
                    _ => Err(ref_mismatch("a single character", &ValueRef::S(s))),
                }
            }
            other => Err(ref_mismatch("a string", &other)),
        }
    }

    #[inline]
    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    #[inline]
    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            ValueRef::S(s) => visitor.visit_borrowed_str(s),
            // A number read as text is its canonical text.
            ValueRef::N(NumberRef::Int(v)) => visitor.visit_string(v.to_string()),
            ValueRef::N(NumberRef::Text(t)) => visitor.visit_borrowed_str(t),
            other => Err(ref_mismatch("a string", &other)),
        }
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            ValueRef::B(Cow::Borrowed(b)) => visitor.visit_borrowed_bytes(b),
            ValueRef::B(Cow::Owned(b)) => visitor.visit_byte_buf(b),
            other => Err(ref_mismatch("binary (B)", &other)),
        }
    }

    #[inline]
    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            ValueRef::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            ValueRef::Null => visitor.visit_unit(),
            other => Err(ref_mismatch("NULL", &other)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name.as_bytes().first() == Some(&b'$') {
            let path = self.path;
            match (name, self.value) {
                (NUMBER, ValueRef::N(n)) => {
                    return match number_text(n) {
                        Cow::Borrowed(t) => visitor.visit_borrowed_str(t),
                        Cow::Owned(t) => visitor.visit_string(t),
                    }
                }
                (NUMBER, other) => return Err(ref_mismatch("a number", &other)),
                (STRING_SET, ValueRef::Ss(s)) => return visit_elements(ss(s), path, visitor),
                (NUMBER_SET, ValueRef::Ns(s)) => return visit_elements(ns(s), path, visitor),
                (BINARY_SET, ValueRef::Bs(s)) => return visit_elements(bs(s), path, visitor),
                // Other clients may have stored a set as a list; its members are checked.
                (STRING_SET | NUMBER_SET | BINARY_SET, ValueRef::L(l)) => {
                    return visit_elements(l.into_iter(), path, visitor)
                }
                (STRING_SET, other) => return Err(ref_mismatch("a string set (SS)", &other)),
                (NUMBER_SET, other) => return Err(ref_mismatch("a number set (NS)", &other)),
                (BINARY_SET, other) => return Err(ref_mismatch("a binary set (BS)", &other)),
                (_, value) => return visitor.visit_newtype_struct(RefDe { value, path }),
            }
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        let path = self.path;
        match self.value {
            ValueRef::L(l) => visit_elements(l.into_iter(), path, visitor),
            ValueRef::Ss(s) => visit_elements(ss(s), path, visitor),
            ValueRef::Ns(s) => visit_elements(ns(s), path, visitor),
            ValueRef::Bs(s) => visit_elements(bs(s), path, visitor),
            other => Err(ref_mismatch("a list", &other)),
        }
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            ValueRef::M(m) => visit_map(m, self.path, visitor),
            other => Err(ref_mismatch("a map", &other)),
        }
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.value {
            ValueRef::S(s) => visitor.visit_enum(s.into_deserializer()),
            ValueRef::M(m) if m.len() == 1 => {
                let (key, value) = m.into_iter().next().expect("one entry");
                visitor.visit_enum(EnumDe {
                    key,
                    value,
                    path: self.path,
                })
            }
            other => Err(ref_mismatch(
                "an enum (a string, or a map with one entry)",
                &other,
            )),
        }
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            ValueRef::S(s) => visitor.visit_borrowed_str(s),
            other => Err(ref_mismatch("a string", &other)),
        }
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

fn visit_map<'a, V: Visitor<'a>>(
    map: Vec<(&'a str, ValueRef<'a>)>,
    path: &FieldPath<'_>,
    visitor: V,
) -> Result<V::Value> {
    visitor.visit_map(MapDe {
        iter: map.into_iter(),
        pending: None,
        path,
    })
}

/// The elements of a list or set.
struct SeqDe<'p, I> {
    iter: I,
    path: &'p FieldPath<'p>,
    index: usize,
}

impl<'a, I: ExactSizeIterator<Item = ValueRef<'a>>> de::SeqAccess<'a> for SeqDe<'_, I> {
    type Error = BridgeError;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'a>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.iter.next() {
            None => Ok(None),
            Some(value) => {
                let path = FieldPath::Index(self.path, self.index);
                self.index += 1;
                seed.deserialize(RefDe { value, path: &path })
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
struct MapDe<'a, 'p, I> {
    iter: I,
    pending: Option<(&'a str, ValueRef<'a>)>,
    path: &'p FieldPath<'p>,
}

impl<'a, I: Iterator<Item = (&'a str, ValueRef<'a>)>> de::MapAccess<'a> for MapDe<'a, '_, I> {
    type Error = BridgeError;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'a>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.iter.next() {
            None => Ok(None),
            Some((key, value)) => {
                let k = seed.deserialize(KeyDe(key))?;
                self.pending = Some((key, value));
                Ok(Some(k))
            }
        }
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'a>>(&mut self, seed: T) -> Result<T::Value> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| BridgeError::new("next_value called before next_key"))?;
        let path = FieldPath::Key(self.path, key);
        seed.deserialize(RefDe { value, path: &path })
            .map_err(|e| e.at(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        match self.iter.size_hint() {
            (low, Some(high)) if low == high => Some(low),
            _ => None,
        }
    }
}

/// An externally tagged enum stored as `{variant: content}`.
struct EnumDe<'a, 'p> {
    key: &'a str,
    value: ValueRef<'a>,
    path: &'p FieldPath<'p>,
}

impl<'a, 'p> de::EnumAccess<'a> for EnumDe<'a, 'p> {
    type Error = BridgeError;
    type Variant = EnumDe<'a, 'p>;

    fn variant_seed<V: DeserializeSeed<'a>>(self, seed: V) -> Result<(V::Value, Self)> {
        let variant = seed.deserialize(KeyDe(self.key))?;
        Ok((variant, self))
    }
}

impl<'a> de::VariantAccess<'a> for EnumDe<'a, '_> {
    type Error = BridgeError;

    fn unit_variant(self) -> Result<()> {
        match self.value {
            ValueRef::Null => Ok(()),
            other => {
                let path = FieldPath::Key(self.path, self.key);
                Err(ref_mismatch("NULL (a unit variant)", &other).at(&path))
            }
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'a>>(self, seed: T) -> Result<T::Value> {
        let path = FieldPath::Key(self.path, self.key);
        seed.deserialize(RefDe {
            value: self.value,
            path: &path,
        })
        .map_err(|e| e.at(&path))
    }

    fn tuple_variant<V: Visitor<'a>>(self, len: usize, visitor: V) -> Result<V::Value> {
        let path = FieldPath::Key(self.path, self.key);
        de::Deserializer::deserialize_tuple(
            RefDe {
                value: self.value,
                path: &path,
            },
            len,
            visitor,
        )
        .map_err(|e| e.at(&path))
    }

    fn struct_variant<V: Visitor<'a>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let path = FieldPath::Key(self.path, self.key);
        de::Deserializer::deserialize_struct(
            RefDe {
                value: self.value,
                path: &path,
            },
            "",
            fields,
            visitor,
        )
        .map_err(|e| e.at(&path))
    }
}
