//! The deserializer: a stored value into any `T: Deserialize`, written once over the two forms a
//! value comes in (a [`Source`]):
//!
//! - an owned [`Value`] (what [`from_item`](crate::from_item) and
//!   [`from_value`](crate::from_value) consume): strings, byte buffers and map keys are moved
//!   out, not cloned;
//! - a borrowed [`ValueRef`] (an item a backend shares, see
//!   [`SharedItem`](crate::backend::SharedItem)): strings are handed to the visitor borrowed (a
//!   `String` field copies what it keeps, once), and integers stored as `i64` go into integer
//!   fields without a [`Number`] being built.
//!
//! Typed reads are exact: a number goes into an integer type only if it fits (`1.5` into `i64`
//! is an error, never a truncation), a string is never coerced into a number.
//!
//! `deserialize_any` (used by untagged and internally tagged enums, `serde_json::Value` and the
//! like) is the one lossy path: a number is handed over as `u64`/`i64` when it fits, else as
//! `u128`/`i128`, else as the nearest `f64`.

use super::field_path::{BridgeError, FieldPath};
use super::{BINARY_SET, NUMBER, NUMBER_SET, STRING_SET};
use crate::number::{Number, NumberError};
use crate::value::{NumberRef, Value, ValueRef};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::borrow::Cow;
use std::collections::{btree_map, btree_set};
use std::fmt;
use std::iter::Map;

type Result<T, E = BridgeError> = std::result::Result<T, E>;

/// A value in one of its forms, taken apart by type (see [`Source::shape`]). The parts are the
/// form's own: `String` or `&str`, [`Number`] or [`NumberRef`], and iterators over elements
/// that are sources themselves.
pub(crate) enum Shape<Text, Num, Bytes, List, Entries, StrSet, NumSet, BinSet> {
    S(Text),
    N(Num),
    B(Bytes),
    Bool(bool),
    Null,
    L(List),
    M(Entries),
    Ss(StrSet),
    Ns(NumSet),
    Bs(BinSet),
    /// A value of a type the source cannot hand over, described (only an
    /// [`ItemReader`](super::reader::ItemReader) has such values: a type its client library
    /// does not know). Every read of it is an error.
    Unsupported(String),
}

/// The [`Shape`] of a [`Source`].
pub(crate) type ShapeOf<'de, S> = Shape<
    <S as Source<'de>>::Text,
    <S as Source<'de>>::Num,
    <S as Source<'de>>::Bytes,
    <S as Source<'de>>::List,
    <S as Source<'de>>::Entries,
    <S as Source<'de>>::StrSet,
    <S as Source<'de>>::NumSet,
    <S as Source<'de>>::BinSet,
>;

/// A form a stored value comes in: [`Value`] (owned) or [`ValueRef`] (borrowed for `'de`).
pub(crate) trait Source<'de>: Sized {
    /// A string or map key: `String` (moved into the visitor) or `&'de str` (lent to it).
    type Text: Text<'de>;
    /// A number: [`Number`] or [`NumberRef`].
    type Num: Num<'de>;
    /// A binary: `Vec<u8>` or `Cow<'de, [u8]>`.
    type Bytes: Bytes<'de>;
    /// The elements of a list.
    type List: ExactSizeIterator<Item = Self>;
    /// The entries of a map.
    type Entries: ExactSizeIterator<Item = (Self::Text, Self)>;
    /// The members of a string set, as values.
    type StrSet: ExactSizeIterator<Item = Self>;
    /// The members of a number set, as values.
    type NumSet: ExactSizeIterator<Item = Self>;
    /// The members of a binary set, as values.
    type BinSet: ExactSizeIterator<Item = Self>;

    /// Whether this is `NULL` (an `Option` reads it as `None`).
    fn is_null(&self) -> bool;
    /// The value taken apart by type.
    fn shape(self) -> ShapeOf<'de, Self>;
}

/// A string or map key of a [`Source`].
pub(crate) trait Text<'de>: KeyText {
    /// Hands the string to a visitor: moved if owned, lent for `'de` if borrowed.
    fn visit_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value>;
}

/// A number of a [`Source`].
pub(crate) trait Num<'de>: NumText + Sized {
    /// The number as an integer type, exactly (an error, never a truncation, if it does not fit).
    fn integer<T>(self) -> Result<T>
    where
        T: TryFrom<i64> + for<'n> TryFrom<&'n Number, Error = NumberError>;
    /// The nearest `f32`, rounded once.
    fn nearest_f32(self) -> Result<f32>;
    /// The nearest `f64`.
    fn nearest_f64(self) -> Result<f64>;
    /// The lossy `deserialize_any` reading (see the module docs).
    fn visit_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value>;
    /// Hands the canonical text to a visitor.
    fn visit_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value>;
}

/// The canonical text of a number, for messages.
pub(crate) trait NumText {
    /// The canonical text.
    fn text(&self) -> Cow<'_, str>;
}

/// The size of a binary, for messages.
pub(crate) trait ByteCount {
    /// The number of bytes.
    fn byte_count(&self) -> usize;
}

/// A binary of a [`Source`].
pub(crate) trait Bytes<'de>: ByteCount + Sized {
    /// Hands the bytes to a visitor: moved if owned, lent for `'de` if borrowed.
    fn visit_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value>;
}

/// The two [`Source`] methods of a value enum whose variants match [`Shape`]'s one to one
/// ([`Value`], [`ValueRef`]): each variant is its shape, containers as their iterators, set
/// members as values of the enum.
macro_rules! source_by_variant {
    ($value:ident) => {
        #[inline]
        fn is_null(&self) -> bool {
            matches!(self, $value::Null)
        }

        #[inline]
        fn shape(self) -> ShapeOf<'de, Self> {
            match self {
                $value::S(s) => Shape::S(s),
                $value::N(n) => Shape::N(n),
                $value::B(b) => Shape::B(b),
                $value::Bool(b) => Shape::Bool(b),
                $value::Null => Shape::Null,
                $value::L(l) => Shape::L(l.into_iter()),
                $value::M(m) => Shape::M(m.into_iter()),
                $value::Ss(s) => Shape::Ss(s.into_iter().map($value::S as fn(_) -> _)),
                $value::Ns(s) => Shape::Ns(s.into_iter().map($value::N as fn(_) -> _)),
                $value::Bs(s) => Shape::Bs(s.into_iter().map($value::B as fn(_) -> _)),
            }
        }
    };
}

impl<'de> Source<'de> for Value {
    type Text = String;
    type Num = Number;
    type Bytes = Vec<u8>;
    type List = std::vec::IntoIter<Value>;
    type Entries = btree_map::IntoIter<String, Value>;
    type StrSet = Map<btree_set::IntoIter<String>, fn(String) -> Value>;
    type NumSet = Map<btree_set::IntoIter<Number>, fn(Number) -> Value>;
    type BinSet = Map<btree_set::IntoIter<Vec<u8>>, fn(Vec<u8>) -> Value>;

    source_by_variant!(Value);
}

impl<'de> Source<'de> for ValueRef<'de> {
    type Text = &'de str;
    type Num = NumberRef<'de>;
    type Bytes = Cow<'de, [u8]>;
    type List = std::vec::IntoIter<ValueRef<'de>>;
    type Entries = std::vec::IntoIter<(&'de str, ValueRef<'de>)>;
    type StrSet = Map<std::vec::IntoIter<&'de str>, fn(&'de str) -> ValueRef<'de>>;
    type NumSet = Map<std::vec::IntoIter<NumberRef<'de>>, fn(NumberRef<'de>) -> ValueRef<'de>>;
    type BinSet = Map<std::vec::IntoIter<Cow<'de, [u8]>>, fn(Cow<'de, [u8]>) -> ValueRef<'de>>;

    source_by_variant!(ValueRef);
}

impl<'de> Text<'de> for String {
    #[inline]
    fn visit_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_string(self)
    }
}

impl<'de> Text<'de> for &'de str {
    #[inline]
    fn visit_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self)
    }
}

impl<'de> Num<'de> for Number {
    #[inline]
    fn integer<T>(self) -> Result<T>
    where
        T: TryFrom<i64> + for<'n> TryFrom<&'n Number, Error = NumberError>,
    {
        // Most stored integers fit an `i64`: read in one pass over the canonical text (a
        // fraction or a wider integer fails to parse); the exact conversion takes the rest and
        // words the error.
        if let Ok(Ok(x)) = self.as_str().parse::<i64>().map(T::try_from) {
            return Ok(x);
        }
        T::try_from(&self).map_err(number_error)
    }

    fn nearest_f32(self) -> Result<f32> {
        // Parsing the canonical text as f32 rounds once (going through f64 could round twice).
        Ok(self
            .as_str()
            .parse::<f32>()
            .unwrap_or_else(|_| Number::to_f64(&self) as f32))
    }

    fn nearest_f64(self) -> Result<f64> {
        Ok(Number::to_f64(&self))
    }

    fn visit_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visit_number_any(self, visitor)
    }

    fn visit_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_str(self.as_str())
    }
}

impl NumText for Number {
    fn text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }
}

/// The owned number of a number held as text (the rare path: fractions and wide integers).
fn parse(text: &str) -> Result<Number> {
    Number::parse(text).map_err(number_error)
}

impl<'de> Num<'de> for NumberRef<'de> {
    #[inline]
    fn integer<T>(self) -> Result<T>
    where
        T: TryFrom<i64> + for<'n> TryFrom<&'n Number, Error = NumberError>,
    {
        match self {
            NumberRef::Int(v) => match T::try_from(v) {
                Ok(x) => Ok(x),
                // The owned path words the error.
                Err(_) => T::try_from(&Number::from(v)).map_err(number_error),
            },
            NumberRef::Text(t) => parse(t)?.integer(),
        }
    }

    fn nearest_f32(self) -> Result<f32> {
        match self {
            // Both round once, to nearest (as the owned path's parse of the text does).
            NumberRef::Int(v) => Ok(v as f32),
            NumberRef::Text(t) => match t.parse::<f32>() {
                Ok(x) => Ok(x),
                Err(_) => Ok(parse(t)?.to_f64() as f32),
            },
        }
    }

    fn nearest_f64(self) -> Result<f64> {
        match self {
            NumberRef::Int(v) => Ok(v as f64),
            NumberRef::Text(t) => match t.parse::<f64>() {
                Ok(x) => Ok(x),
                Err(_) => Ok(parse(t)?.to_f64()),
            },
        }
    }

    fn visit_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            NumberRef::Int(v) if v < 0 => visitor.visit_i64(v),
            NumberRef::Int(v) => visitor.visit_u64(v as u64),
            NumberRef::Text(t) => visit_number_any(parse(t)?, visitor),
        }
    }

    fn visit_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            NumberRef::Int(v) => visitor.visit_string(v.to_string()),
            NumberRef::Text(t) => visitor.visit_borrowed_str(t),
        }
    }
}

impl NumText for NumberRef<'_> {
    fn text(&self) -> Cow<'_, str> {
        match *self {
            NumberRef::Int(v) => Cow::Owned(v.to_string()),
            NumberRef::Text(t) => Cow::Borrowed(t),
        }
    }
}

impl<'de> Bytes<'de> for Vec<u8> {
    #[inline]
    fn visit_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_byte_buf(self)
    }
}

impl ByteCount for Vec<u8> {
    fn byte_count(&self) -> usize {
        self.len()
    }
}

impl<'de> Bytes<'de> for Cow<'de, [u8]> {
    #[inline]
    fn visit_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Cow::Borrowed(b) => visitor.visit_borrowed_bytes(b),
            Cow::Owned(b) => visitor.visit_byte_buf(b),
        }
    }
}

impl ByteCount for Cow<'_, [u8]> {
    fn byte_count(&self) -> usize {
        self.len()
    }
}

/// Deserializes one value, owned ([`Value`]) or borrowed ([`ValueRef`]), found at `path`.
pub(crate) struct De<'p, S> {
    pub(crate) value: S,
    pub(crate) path: &'p FieldPath<'p>,
}

/// Describes a value for a type-mismatch message: `S "abc"`, `N 1.5`, `L (3 elements)`.
pub(crate) struct Found<'a>(pub(crate) &'a Value);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Source::shape(self.0.view()).fmt(f)
    }
}

impl<T, N, B, L, M, SS, NS, BS> fmt::Display for Shape<T, N, B, L, M, SS, NS, BS>
where
    T: KeyText,
    N: NumText,
    B: ByteCount,
    L: ExactSizeIterator,
    M: ExactSizeIterator,
    SS: ExactSizeIterator,
    NS: ExactSizeIterator,
    BS: ExactSizeIterator,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn plural(n: usize, one: &str, many: &str) -> String {
            format!("{n} {}", if n == 1 { one } else { many })
        }
        match self {
            Shape::S(s) => {
                const MAX: usize = 40;
                let s = s.text();
                if s.chars().count() > MAX {
                    let short: String = s.chars().take(MAX).collect();
                    write!(f, "S {:?}...", short)
                } else {
                    write!(f, "S {s:?}")
                }
            }
            Shape::N(n) => write!(f, "N {}", n.text()),
            Shape::B(b) => write!(f, "B ({})", plural(b.byte_count(), "byte", "bytes")),
            Shape::Bool(b) => write!(f, "BOOL {b}"),
            Shape::Null => f.write_str("NULL"),
            Shape::L(l) => write!(f, "L ({})", plural(l.len(), "element", "elements")),
            Shape::M(m) => write!(f, "M ({})", plural(m.len(), "entry", "entries")),
            Shape::Ss(s) => write!(f, "SS ({})", plural(s.len(), "member", "members")),
            Shape::Ns(s) => write!(f, "NS ({})", plural(s.len(), "member", "members")),
            Shape::Bs(s) => write!(f, "BS ({})", plural(s.len(), "member", "members")),
            Shape::Unsupported(what) => f.write_str(what),
        }
    }
}

/// `expected {expected}, found {found}`.
#[cold]
#[inline(never)]
fn mismatch<'de, S: Source<'de>>(expected: &str, found: ShapeOf<'de, S>) -> BridgeError {
    let hint = match (expected, &found) {
        ("a list", Shape::B(_)) => " (use serde_bytes for binary fields)",
        _ => "",
    };
    BridgeError::new(format!("expected {expected}, found {found}{hint}"))
}

#[cold]
#[inline(never)]
fn number_error(e: NumberError) -> BridgeError {
    BridgeError::new(e.to_string())
}

/// Visits the elements of a list or set, checking that the visitor took all of them.
fn visit_elements<'de, V, S, I>(iter: I, path: &FieldPath<'_>, visitor: V) -> Result<V::Value>
where
    V: Visitor<'de>,
    S: Source<'de>,
    I: ExactSizeIterator<Item = S>,
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

/// Visits the entries of a map (or the attributes of an item), in any order.
fn visit_map<'de, V, S, I>(entries: I, path: &FieldPath<'_>, visitor: V) -> Result<V::Value>
where
    V: Visitor<'de>,
    S: Source<'de>,
    I: Iterator<Item = (S::Text, S)>,
{
    visitor.visit_map(MapDe {
        iter: entries,
        pending: None,
        path,
    })
}

/// Deserializes a top-level map given as its entries, in any order (an item's attributes as a
/// backend read them, owned or borrowed), without building a map first.
pub(crate) struct EntriesDe<'p, I> {
    pub(crate) entries: I,
    pub(crate) path: &'p FieldPath<'p>,
}

impl<'de, S, I> de::Deserializer<'de> for EntriesDe<'_, I>
where
    S: Source<'de>,
    I: Iterator<Item = (S::Text, S)>,
{
    type Error = BridgeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visit_map(self.entries, self.path, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The lossy `deserialize_any` reading of a number: the narrowest of `u64`/`i64`, then
/// `u128`/`i128`, else the nearest `f64`.
pub(crate) fn visit_number_any<'de, V: Visitor<'de>>(n: Number, visitor: V) -> Result<V::Value> {
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

/// `De`'s number methods: `$method` reads a number with the [`Num`] method `$read` (an exact
/// integer, the nearest float) and hands it to the visitor's `$visit`.
macro_rules! deserialize_number {
    ($($method:ident => $visit:ident($read:ident$(::<$t:ty>)?),)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            match self.value.shape() {
                Shape::N(n) => visitor.$visit(n.$read$(::<$t>)?()?),
                other => Err(mismatch::<S>("a number", other)),
            }
        }
    )*};
}

/// `De`'s methods that read their type as another (`str` as `string`, a struct as a map),
/// ignoring the names and lengths serde passes.
macro_rules! deserialize_as {
    ($($method:ident($($arg:ty),*) => $as:ident;)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, $(_: $arg,)* visitor: V) -> Result<V::Value> {
            self.$as(visitor)
        }
    )*};
}

impl<'de, S: Source<'de>> de::Deserializer<'de> for De<'_, S> {
    type Error = BridgeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let path = self.path;
        match self.value.shape() {
            Shape::S(s) => s.visit_text(visitor),
            Shape::N(n) => n.visit_any(visitor),
            Shape::B(b) => b.visit_bytes(visitor),
            Shape::Bool(b) => visitor.visit_bool(b),
            Shape::Null => visitor.visit_unit(),
            Shape::L(l) => visit_elements(l, path, visitor),
            Shape::M(m) => visit_map(m, path, visitor),
            Shape::Ss(s) => visit_elements(s, path, visitor),
            Shape::Ns(s) => visit_elements(s, path, visitor),
            Shape::Bs(s) => visit_elements(s, path, visitor),
            other @ Shape::Unsupported(_) => Err(mismatch::<S>("a value", other)),
        }
    }

    #[inline]
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value.shape() {
            Shape::Bool(b) => visitor.visit_bool(b),
            other => Err(mismatch::<S>("a boolean", other)),
        }
    }

    deserialize_number! {
        deserialize_i8 => visit_i8(integer::<i8>),
        deserialize_i16 => visit_i16(integer::<i16>),
        deserialize_i32 => visit_i32(integer::<i32>),
        deserialize_i64 => visit_i64(integer::<i64>),
        deserialize_i128 => visit_i128(integer::<i128>),
        deserialize_u8 => visit_u8(integer::<u8>),
        deserialize_u16 => visit_u16(integer::<u16>),
        deserialize_u32 => visit_u32(integer::<u32>),
        deserialize_u64 => visit_u64(integer::<u64>),
        deserialize_u128 => visit_u128(integer::<u128>),
        deserialize_f32 => visit_f32(nearest_f32),
        deserialize_f64 => visit_f64(nearest_f64),
    }

    deserialize_as! {
        deserialize_str() => deserialize_string;
        deserialize_bytes() => deserialize_byte_buf;
        deserialize_unit_struct(&'static str) => deserialize_unit;
        deserialize_tuple(usize) => deserialize_seq;
        deserialize_tuple_struct(&'static str, usize) => deserialize_seq;
        deserialize_struct(&'static str, &'static [&'static str]) => deserialize_map;
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value.shape() {
            Shape::S(s) => {
                let mut chars = s.text().chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => visitor.visit_char(c),
                    _ => Err(mismatch::<S>("a single character", Shape::S(s))),
                }
            }
            other => Err(mismatch::<S>("a string", other)),
        }
    }

    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value.shape() {
            Shape::S(s) => s.visit_text(visitor),
            // A number read as text is its canonical text.
            Shape::N(n) => n.visit_text(visitor),
            other => Err(mismatch::<S>("a string", other)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value.shape() {
            Shape::B(b) => b.visit_bytes(visitor),
            other => Err(mismatch::<S>("binary (B)", other)),
        }
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.value.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value.shape() {
            Shape::Null => visitor.visit_unit(),
            other => Err(mismatch::<S>("NULL", other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if !matches!(name, NUMBER | STRING_SET | NUMBER_SET | BINARY_SET) {
            return visitor.visit_newtype_struct(self);
        }
        let path = self.path;
        match (name, self.value.shape()) {
            (NUMBER, Shape::N(n)) => n.visit_text(visitor),
            (NUMBER, other) => Err(mismatch::<S>("a number", other)),
            (STRING_SET, Shape::Ss(s)) => visit_elements(s, path, visitor),
            (NUMBER_SET, Shape::Ns(s)) => visit_elements(s, path, visitor),
            (BINARY_SET, Shape::Bs(s)) => visit_elements(s, path, visitor),
            // Other clients may have stored a set as a list; its members are checked.
            (STRING_SET | NUMBER_SET | BINARY_SET, Shape::L(l)) => visit_elements(l, path, visitor),
            (STRING_SET, other) => Err(mismatch::<S>("a string set (SS)", other)),
            (NUMBER_SET, other) => Err(mismatch::<S>("a number set (NS)", other)),
            // The name is BINARY_SET here.
            (_, other) => Err(mismatch::<S>("a binary set (BS)", other)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let path = self.path;
        match self.value.shape() {
            Shape::L(l) => visit_elements(l, path, visitor),
            Shape::Ss(s) => visit_elements(s, path, visitor),
            Shape::Ns(s) => visit_elements(s, path, visitor),
            Shape::Bs(s) => visit_elements(s, path, visitor),
            other => Err(mismatch::<S>("a list", other)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value.shape() {
            Shape::M(m) => visit_map(m, self.path, visitor),
            other => Err(mismatch::<S>("a map", other)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.value.shape() {
            Shape::S(s) => s.visit_enum(visitor),
            Shape::M(mut m) if m.len() == 1 => {
                let (key, value) = m.next().expect("one entry");
                visitor.visit_enum(EnumDe {
                    key,
                    value,
                    path: self.path,
                })
            }
            other => Err(mismatch::<S>(
                "an enum (a string, or a map with one entry)",
                other,
            )),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value.shape() {
            Shape::S(s) => s.visit_text(visitor),
            other => Err(mismatch::<S>("a string", other)),
        }
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

/// The elements of a list or set.
struct SeqDe<'p, I> {
    iter: I,
    path: &'p FieldPath<'p>,
    index: usize,
}

impl<'de, S, I> de::SeqAccess<'de> for SeqDe<'_, I>
where
    S: Source<'de>,
    I: ExactSizeIterator<Item = S>,
{
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
struct MapDe<'p, K, S, I> {
    iter: I,
    pending: Option<(K, S)>,
    path: &'p FieldPath<'p>,
}

impl<'de, S, I> de::MapAccess<'de> for MapDe<'_, S::Text, S, I>
where
    S: Source<'de>,
    I: Iterator<Item = (S::Text, S)>,
{
    type Error = BridgeError;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.iter.next() {
            None => Ok(None),
            Some((key, value)) => {
                // Struct field names are matched by reference; the key stays for the path.
                let k = seed.deserialize(KeyDe(key.text()))?;
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
        let path = FieldPath::Key(self.path, key.text());
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
                    let path = FieldPath::Key(self.path, key.text());
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
pub(crate) trait KeyText: Sized {
    /// The key's text.
    fn text(&self) -> &str;
    /// Hands the key to a visitor as a string.
    fn visit<'v, V: Visitor<'v>>(self, visitor: V) -> Result<V::Value>;
    /// Hands the key to a visitor as a unit enum variant's name.
    fn visit_enum<'v, V: Visitor<'v>>(self, visitor: V) -> Result<V::Value>;
}

/// `KeyText` for a borrowed and an owned key, which differ only in the visitor method that takes
/// them (`visit_str`, `visit_string`).
macro_rules! key_text {
    ($($key:ty => $visit:ident),+ $(,)?) => {$(
        impl KeyText for $key {
            fn text(&self) -> &str {
                self
            }
            #[inline]
            fn visit<'v, V: Visitor<'v>>(self, visitor: V) -> Result<V::Value> {
                visitor.$visit(self)
            }
            fn visit_enum<'v, V: Visitor<'v>>(self, visitor: V) -> Result<V::Value> {
                visitor.visit_enum(self.into_deserializer())
            }
        }
    )+};
}

key_text!(&str => visit_str, String => visit_string);

/// Deserializes a map key: as text, or parsed into an integer, bool or char key type.
struct KeyDe<K>(K);

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

/// An externally tagged enum stored as `{variant: content}`; also the access to its content.
struct EnumDe<'p, K, S> {
    key: K,
    value: S,
    path: &'p FieldPath<'p>,
}

impl<'de, 'p, S: Source<'de>> de::EnumAccess<'de> for EnumDe<'p, S::Text, S> {
    type Error = BridgeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let variant = seed.deserialize(KeyDe(self.key.text()))?;
        Ok((variant, self))
    }
}

impl<'de, S: Source<'de>> EnumDe<'_, S::Text, S> {
    /// Reads the variant's content with `read`, at the path `parent.variant` (which any error
    /// without a deeper path is given).
    #[inline]
    fn read_content<T>(self, read: impl FnOnce(De<'_, S>) -> Result<T>) -> Result<T> {
        let EnumDe { key, value, path } = self;
        let path = FieldPath::Key(path, key.text());
        read(De { value, path: &path }).map_err(|e| e.at(&path))
    }
}

impl<'de, S: Source<'de>> de::VariantAccess<'de> for EnumDe<'_, S::Text, S> {
    type Error = BridgeError;

    fn unit_variant(self) -> Result<()> {
        if self.value.is_null() {
            return Ok(());
        }
        let path = FieldPath::Key(self.path, self.key.text());
        Err(mismatch::<S>("NULL (a unit variant)", self.value.shape()).at(&path))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        self.read_content(|content| seed.deserialize(content))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        self.read_content(|content| de::Deserializer::deserialize_tuple(content, len, visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.read_content(|content| {
            de::Deserializer::deserialize_struct(content, "", fields, visitor)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serde_bridge::from_value;
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
