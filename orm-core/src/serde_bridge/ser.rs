//! The serializer: any `T: Serialize` into a [`Value`].
//!
//! Struct fields go straight into a `BTreeMap`; `None`, unit values and empty sets are left out
//! of maps (DynamoDB has no use for them: an absent GSI key keeps an item out of the index, and
//! empty sets are rejected). Inside lists they become `NULL`, so positions are kept.

use super::field_path::{BridgeError, FieldPath};
use super::{is_magic_name, BINARY_SET, MAX_DEPTH, NUMBER, NUMBER_SET, STRING_SET};
use crate::name_signature::NameSet;
use crate::number::Number;
use crate::value::Value;
use serde::ser::{self, Impossible, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

type Result<T, E = BridgeError> = std::result::Result<T, E>;

/// Serializes one value at `path`. `depth` is the nesting level a list or map produced here
/// would have (an item's attributes are at level 1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ser<'p> {
    pub(crate) path: &'p FieldPath<'p>,
    pub(crate) depth: usize,
}

/// Whether a value is left out of a map: `NULL` (from `None` or unit) and empty sets.
#[inline]
fn is_omitted(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Ss(s) => s.is_empty(),
        Value::Ns(s) => s.is_empty(),
        Value::Bs(s) => s.is_empty(),
        _ => false,
    }
}

/// A list keeps positions: an empty set (which DynamoDB rejects) becomes `NULL` there.
#[inline]
fn list_element(v: Value) -> Value {
    if is_omitted(&v) {
        Value::Null
    } else {
        v
    }
}

#[cold]
fn too_deep() -> BridgeError {
    BridgeError::new(format!(
        "nesting deeper than {MAX_DEPTH} levels of lists and maps (DynamoDB's limit)"
    ))
}

#[cold]
fn float_error(text: &str, err: crate::number::NumberError) -> BridgeError {
    match text {
        "NaN" | "inf" | "-inf" => BridgeError::new(format!(
            "{text} cannot be stored (DynamoDB numbers are finite)"
        )),
        _ => BridgeError::new(err.to_string()),
    }
}

#[cold]
fn wide_int_error(v: impl Display) -> BridgeError {
    BridgeError::new(format!(
        "{v} cannot be stored: DynamoDB numbers hold at most 38 significant digits"
    ))
}

impl<'p> Ser<'p> {
    /// The depth for the children of a container created here, or the nesting error.
    #[inline]
    fn open(&self) -> Result<usize> {
        if self.depth > MAX_DEPTH {
            Err(too_deep())
        } else {
            Ok(self.depth + 1)
        }
    }

    /// Serializes `value` as the child at `path` (whose depth is `depth`), attaching the path to
    /// any error that does not carry a deeper one.
    #[inline]
    fn child<T: ?Sized + Serialize>(
        path: &FieldPath<'_>,
        depth: usize,
        value: &T,
    ) -> Result<Value> {
        value.serialize(Ser { path, depth }).map_err(|e| e.at(path))
    }
}

/// `Serializer` methods that take one scalar and share a body: `$method($ty)` for each listed
/// method, returning `Result<$ok>` from `$body`, in which the value is `$v` (with the attributes
/// given before it, such as `#[inline]`).
macro_rules! accept {
    (@each $attrs:tt |$v:ident| -> $ok:ty $body:block for $($method:ident($ty:ty)),+) => {
        $(accept!(@one $attrs $method($v: $ty) -> $ok $body);)+
    };
    (@one [$($attr:tt)*] $method:ident($v:ident: $ty:ty) -> $ok:ty $body:block) => {
        $($attr)*
        fn $method(self, $v: $ty) -> Result<$ok> $body
    };
    ($(#[$attr:meta])* |$v:ident| -> $ok:ty $body:block for $($method:ident($ty:ty)),+ $(,)?) => {
        accept!(@each [$(#[$attr])*] |$v| -> $ok $body for $($method($ty)),+);
    };
}

impl<'p> ser::Serializer for Ser<'p> {
    type Ok = Value;
    type Error = BridgeError;
    type SerializeSeq = SeqSer<'p>;
    type SerializeTuple = SeqSer<'p>;
    type SerializeTupleStruct = SeqSer<'p>;
    type SerializeTupleVariant = SeqSer<'p>;
    type SerializeMap = MapSer<'p>;
    type SerializeStruct = StructSer<'p>;
    type SerializeStructVariant = StructSer<'p>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::Bool(v))
    }
    accept!(#[inline] |v| -> Value { Ok(Value::N(Number::from(v))) } for
        serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
        serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64),
    );
    accept!(|v| -> Value { Number::try_from(v).map(Value::N).map_err(|_| wide_int_error(v)) } for
        serialize_i128(i128), serialize_u128(u128),
    );
    fn serialize_f32(self, v: f32) -> Result<Value> {
        Number::from_f32(v)
            .map(Value::N)
            .map_err(|e| float_error(&v.to_string(), e))
    }
    fn serialize_f64(self, v: f64) -> Result<Value> {
        Number::from_f64(v)
            .map(Value::N)
            .map_err(|e| float_error(&v.to_string(), e))
    }
    fn serialize_char(self, v: char) -> Result<Value> {
        Ok(Value::S(v.to_string()))
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result<Value> {
        Ok(Value::S(v.to_owned()))
    }
    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        Ok(Value::B(v.to_vec()))
    }
    #[inline]
    fn serialize_none(self) -> Result<Value> {
        Ok(Value::Null)
    }
    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value> {
        value.serialize(self)
    }
    #[inline]
    fn serialize_unit(self) -> Result<Value> {
        Ok(Value::Null)
    }
    #[inline]
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value> {
        Ok(Value::Null)
    }
    #[inline]
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value> {
        Ok(Value::S(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value> {
        // One byte decides the common (transparent) case.
        if is_magic_name(name) {
            match name {
                NUMBER => return value.serialize(NumberText).map(Value::N),
                STRING_SET => return value.serialize(SetSer::new(SetKind::S, self.path)),
                NUMBER_SET => return value.serialize(SetSer::new(SetKind::N, self.path)),
                BINARY_SET => return value.serialize(SetSer::new(SetKind::B, self.path)),
                _ => {}
            }
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value> {
        let depth = self.open()?;
        let path = FieldPath::Key(self.path, variant);
        // The content is kept even when it is NULL: `{variant: NULL}` is the variant.
        let content = Ser::child(&path, depth, value)?;
        let mut map = BTreeMap::new();
        map.insert(variant.to_owned(), content);
        Ok(Value::M(map))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer<'p>> {
        let depth = self.open()?;
        Ok(SeqSer {
            items: Vec::with_capacity(len.unwrap_or(0)),
            parent: self.path,
            variant: None,
            depth,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqSer<'p>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqSer<'p>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqSer<'p>> {
        // `{variant: [..]}`: the map is one level, the list another.
        let depth = self.open()?;
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        Ok(SeqSer {
            items: Vec::with_capacity(len),
            parent: self.path,
            variant: Some(variant),
            depth: depth + 1,
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapSer<'p>> {
        let depth = self.open()?;
        Ok(MapSer {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            next_key: None,
            path: self.path,
            depth,
        })
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<StructSer<'p>> {
        let depth = self.open()?;
        Ok(StructSer {
            fields: Vec::with_capacity(len),
            parent: self.path,
            variant: None,
            depth,
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructSer<'p>> {
        let depth = self.open()?;
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        Ok(StructSer {
            fields: Vec::with_capacity(len),
            parent: self.path,
            variant: Some(variant),
            depth: depth + 1,
        })
    }

    fn collect_str<T: ?Sized + Display>(self, value: &T) -> Result<Value> {
        Ok(Value::S(value.to_string()))
    }
}

/// Wraps `inner` as `{variant: inner}` when serializing a variant.
#[inline]
fn wrap_variant(variant: Option<&'static str>, inner: Value) -> Value {
    match variant {
        None => inner,
        Some(v) => {
            let mut map = BTreeMap::new();
            map.insert(v.to_owned(), inner);
            Value::M(map)
        }
    }
}

/// Lists: sequences, tuples, tuple structs and (inside `{variant: ..}`) tuple variants.
#[derive(Debug)]
pub(crate) struct SeqSer<'p> {
    items: Vec<Value>,
    parent: &'p FieldPath<'p>,
    variant: Option<&'static str>,
    /// The depth of each element.
    depth: usize,
}

impl SeqSer<'_> {
    #[inline]
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let variant_path;
        let base = match self.variant {
            Some(v) => {
                variant_path = FieldPath::Key(self.parent, v);
                &variant_path
            }
            None => self.parent,
        };
        let path = FieldPath::Index(base, self.items.len());
        let v = Ser::child(&path, self.depth, value)?;
        self.items.push(list_element(v));
        Ok(())
    }

    #[inline]
    fn finish(self) -> Value {
        wrap_variant(self.variant, Value::L(self.items))
    }
}

/// Implements serde's compound-serializer traits for a builder by forwarding: every element
/// (or field) goes to the builder's `push` (`push_field` for named fields), the end to its
/// `finish`. Sequences, tuples, tuple structs and tuple variants are one list builder; structs
/// and struct variants one map builder; a set takes sequences and tuples.
macro_rules! forward_compound {
    ($builder:ident: $($trait:ident::$method:ident),+ $(,)?) => {$(
        impl ser::$trait for $builder<'_> {
            type Ok = Value;
            type Error = BridgeError;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
                self.push(value)
            }
            fn end(self) -> Result<Value> {
                Ok(self.finish())
            }
        }
    )+};
    ($builder:ident: fields $($trait:ident),+ $(,)?) => {$(
        impl ser::$trait for $builder<'_> {
            type Ok = Value;
            type Error = BridgeError;
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<()> {
                self.push_field(key, value)
            }
            fn end(self) -> Result<Value> {
                Ok(self.finish())
            }
        }
    )+};
}

forward_compound!(SeqSer:
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
);

/// Maps with string-like keys. Their entries are collected in a vector and made a map once, at
/// the end, as [`StructSer`]'s fields are (a key given twice keeps its last value, as inserting
/// would).
#[derive(Debug)]
pub(crate) struct MapSer<'p> {
    entries: Vec<(String, Value)>,
    next_key: Option<String>,
    path: &'p FieldPath<'p>,
    /// The depth of each value.
    depth: usize,
}

impl MapSer<'_> {
    #[inline]
    fn insert<T: ?Sized + Serialize>(&mut self, key: String, value: &T) -> Result<()> {
        let path = FieldPath::Key(self.path, &key);
        let v = Ser::child(&path, self.depth, value)?;
        if !is_omitted(&v) {
            self.entries.push((key, v));
        }
        Ok(())
    }
}

impl ser::SerializeMap for MapSer<'_> {
    type Ok = Value;
    type Error = BridgeError;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.next_key = Some(key.serialize(KeySer)?);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let key = self
            .next_key
            .take()
            .ok_or_else(|| BridgeError::new("serialize_value called before serialize_key"))?;
        self.insert(key, value)
    }

    fn serialize_entry<K: ?Sized + Serialize, V: ?Sized + Serialize>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<()> {
        let key = key.serialize(KeySer)?;
        self.insert(key, value)
    }

    fn end(self) -> Result<Value> {
        Ok(Value::M(BTreeMap::from_iter(self.entries)))
    }
}

/// Structs and (inside `{variant: ..}`) struct variants. The fields are collected in a vector
/// and made a map once, at the end: sorting a dozen names and building the map in one pass
/// costs less than inserting them one by one (callgrind: 0.4 to 1 thousand instructions fewer
/// per 12-field model).
#[derive(Debug)]
pub(crate) struct StructSer<'p> {
    fields: Vec<(String, Value)>,
    parent: &'p FieldPath<'p>,
    variant: Option<&'static str>,
    /// The depth of each field value.
    depth: usize,
}

impl StructSer<'_> {
    #[inline]
    fn push_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        let variant_path;
        let base = match self.variant {
            Some(v) => {
                variant_path = FieldPath::Key(self.parent, v);
                &variant_path
            }
            None => self.parent,
        };
        let path = FieldPath::Key(base, key);
        let v = Ser::child(&path, self.depth, value)?;
        if !is_omitted(&v) {
            self.fields.push((key.to_owned(), v));
        }
        Ok(())
    }

    /// The struct's map, built in one pass (`BTreeMap`'s `FromIterator` sorts, stably, and
    /// keeps the last of equal names: a name given twice, by renames, keeps its last value, as
    /// inserting would).
    fn finish(self) -> Value {
        let map = BTreeMap::from_iter(self.fields);
        wrap_variant(self.variant, Value::M(map))
    }
}

forward_compound!(StructSer: fields SerializeStruct, SerializeStructVariant);

/// A narrow serializer: it takes one kind of value, and anything else is its error.
trait Narrow {
    /// What it takes, as its errors begin (`map keys must be strings, ...`).
    fn expected(&self) -> String;

    /// The error for a value of kind `kind` (`a boolean`, `a map`...).
    #[cold]
    fn rejected(&self, kind: &str) -> BridgeError {
        BridgeError::new(format!("{}, found {kind}", self.expected()))
    }
}

/// Generates the `Serializer` methods of a narrow serializer that rejects values of the listed
/// kinds, each with [`Narrow::rejected`]`(kind)` as its error: `"an integer" => i8 u8;` rejects
/// `serialize_i8` and `serialize_u8`. Methods are named by what follows `serialize_`, as in
/// serde's `forward_to_deserialize_any!`.
macro_rules! reject {
    ($($kind:literal => $($method:ident)+;)*) => {
        $($(reject!(@ $kind, $method);)+)*
    };
    (@ $k:literal, bool) => { reject!(@scalar $k, serialize_bool(bool)); };
    (@ $k:literal, i8) => { reject!(@scalar $k, serialize_i8(i8)); };
    (@ $k:literal, i16) => { reject!(@scalar $k, serialize_i16(i16)); };
    (@ $k:literal, i32) => { reject!(@scalar $k, serialize_i32(i32)); };
    (@ $k:literal, i64) => { reject!(@scalar $k, serialize_i64(i64)); };
    (@ $k:literal, i128) => { reject!(@scalar $k, serialize_i128(i128)); };
    (@ $k:literal, u8) => { reject!(@scalar $k, serialize_u8(u8)); };
    (@ $k:literal, u16) => { reject!(@scalar $k, serialize_u16(u16)); };
    (@ $k:literal, u32) => { reject!(@scalar $k, serialize_u32(u32)); };
    (@ $k:literal, u64) => { reject!(@scalar $k, serialize_u64(u64)); };
    (@ $k:literal, u128) => { reject!(@scalar $k, serialize_u128(u128)); };
    (@ $k:literal, f32) => { reject!(@scalar $k, serialize_f32(f32)); };
    (@ $k:literal, f64) => { reject!(@scalar $k, serialize_f64(f64)); };
    (@ $k:literal, char) => { reject!(@scalar $k, serialize_char(char)); };
    (@ $k:literal, str) => { reject!(@scalar $k, serialize_str(&str)); };
    (@ $k:literal, bytes) => { reject!(@scalar $k, serialize_bytes(&[u8])); };
    (@ $k:literal, none) => { reject!(@scalar $k, serialize_none()); };
    (@ $k:literal, unit) => { reject!(@scalar $k, serialize_unit()); };
    (@ $k:literal, unit_struct) => { reject!(@scalar $k, serialize_unit_struct(&'static str)); };
    (@ $k:literal, unit_variant) => {
        reject!(@scalar $k, serialize_unit_variant(&'static str, u32, &'static str));
    };
    (@ $k:literal, seq) => { reject!(@compound $k, serialize_seq(Option<usize>)); };
    (@ $k:literal, tuple) => { reject!(@compound $k, serialize_tuple(usize)); };
    (@ $k:literal, map) => { reject!(@compound $k, serialize_map(Option<usize>)); };
    (@ $k:literal, tuple_struct) => { reject!(@named $k, serialize_tuple_struct); };
    (@ $k:literal, struct) => { reject!(@named $k, serialize_struct); };
    (@ $k:literal, tuple_variant) => { reject!(@variant $k, serialize_tuple_variant); };
    (@ $k:literal, struct_variant) => { reject!(@variant $k, serialize_struct_variant); };
    (@ $k:literal, some) => {
        fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<Self::Ok> {
            Err(self.rejected($k))
        }
    };
    (@ $k:literal, newtype_variant) => {
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _name: &'static str,
            _index: u32,
            _variant: &'static str,
            _value: &T,
        ) -> Result<Self::Ok> {
            Err(self.rejected($k))
        }
    };
    // Structs and variants with fields: (name, len) and (name, index, variant, len).
    (@named $k:literal, $method:ident) => {
        reject!(@compound $k, $method(&'static str, usize));
    };
    (@variant $k:literal, $method:ident) => {
        reject!(@compound $k, $method(&'static str, u32, &'static str, usize));
    };
    (@scalar $k:literal, $method:ident($($arg:ty),*)) => {
        fn $method(self, $(_: $arg),*) -> Result<Self::Ok> {
            Err(self.rejected($k))
        }
    };
    // A narrow serializer's compound serializers are `Impossible`: never made.
    (@compound $k:literal, $method:ident($($arg:ty),*)) => {
        fn $method(self, $(_: $arg),*) -> Result<Impossible<Self::Ok, BridgeError>> {
            Err(self.rejected($k))
        }
    };
}

/// The associated types of a narrow serializer that takes scalars only (its `Ok` is `$ok`, and
/// it has no compound serializers).
macro_rules! scalar_only {
    ($ok:ty) => {
        type Ok = $ok;
        type Error = BridgeError;
        type SerializeSeq = Impossible<$ok, BridgeError>;
        type SerializeTuple = Impossible<$ok, BridgeError>;
        type SerializeTupleStruct = Impossible<$ok, BridgeError>;
        type SerializeTupleVariant = Impossible<$ok, BridgeError>;
        type SerializeMap = Impossible<$ok, BridgeError>;
        type SerializeStruct = Impossible<$ok, BridgeError>;
        type SerializeStructVariant = Impossible<$ok, BridgeError>;
    };
}

/// The methods every narrow serializer here rejects: enum variants with content, and compound
/// types other than sequences and tuples.
macro_rules! reject_compound {
    () => {
        reject! {
            "an enum newtype variant" => newtype_variant;
            "a tuple struct" => tuple_struct;
            "an enum tuple variant" => tuple_variant;
            "a map" => map;
            "a struct" => struct;
            "an enum struct variant" => struct_variant;
        }
    };
}

/// `serialize_newtype_struct` for a narrow serializer: a newtype is its content.
macro_rules! transparent_newtype {
    () => {
        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _name: &'static str,
            value: &T,
        ) -> Result<Self::Ok> {
            value.serialize(self)
        }
    };
}

/// Takes the canonical text a [`Number`] serializes as (under the magic name) back to a Number.
struct NumberText;

impl Narrow for NumberText {
    fn expected(&self) -> String {
        format!("a value named `{NUMBER}` must serialize as number text")
    }
}

impl ser::Serializer for NumberText {
    scalar_only!(Number);

    fn serialize_str(self, v: &str) -> Result<Number> {
        Number::parse(v).map_err(|e| BridgeError::new(e.to_string()))
    }

    transparent_newtype!();

    reject! {
        "a boolean" => bool;
        "an integer" => i8 i16 i32 i64 i128 u8 u16 u32 u64 u128;
        "a float" => f32 f64;
        "a char" => char;
        "bytes" => bytes;
        "None" => none;
        "an option" => some;
        "unit" => unit;
        "a unit struct" => unit_struct;
        "an enum unit variant" => unit_variant;
        "a sequence" => seq;
        "a tuple" => tuple;
    }
    reject_compound!();
}

/// Map keys: strings, chars, integers, booleans and unit variants become attribute names.
struct KeySer;

impl Narrow for KeySer {
    fn expected(&self) -> String {
        "map keys must be strings, integers or unit enum variants".to_owned()
    }
}

impl ser::Serializer for KeySer {
    scalar_only!(String);

    fn serialize_str(self, v: &str) -> Result<String> {
        Ok(v.to_owned())
    }
    fn serialize_bool(self, v: bool) -> Result<String> {
        Ok(if v { "true" } else { "false" }.to_owned())
    }
    accept!(|v| -> String { Ok(v.to_string()) } for
        serialize_char(char),
        serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64),
        serialize_u128(u128),
    );
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String> {
        Ok(variant.to_owned())
    }
    transparent_newtype!();
    fn collect_str<T: ?Sized + Display>(self, value: &T) -> Result<String> {
        Ok(value.to_string())
    }

    reject! {
        "a float" => f32 f64;
        "bytes" => bytes;
        "None" => none;
        "an option" => some;
        "unit" => unit;
        "a unit struct" => unit_struct;
        "a sequence" => seq;
        "a tuple" => tuple;
    }
    reject_compound!();
}

/// Which DynamoDB set a [`SetSer`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetKind {
    S,
    N,
    B,
}

impl SetKind {
    fn describe(self) -> &'static str {
        match self {
            SetKind::S => "a string set (SS) holds strings",
            SetKind::N => "a number set (NS) holds numbers",
            SetKind::B => "a binary set (BS) holds binary values",
        }
    }
}

/// Serializes the sequence inside a set's magic newtype into `SS`, `NS` or `BS`.
struct SetSer<'p> {
    kind: SetKind,
    path: &'p FieldPath<'p>,
}

impl<'p> SetSer<'p> {
    fn new(kind: SetKind, path: &'p FieldPath<'p>) -> SetSer<'p> {
        SetSer { kind, path }
    }
}

impl Narrow for SetSer<'_> {
    fn expected(&self) -> String {
        format!("{} and must serialize as a sequence", self.kind.describe())
    }
}

/// Accumulates set members.
#[derive(Debug)]
pub(crate) struct SetSeq<'p> {
    kind: SetKind,
    path: &'p FieldPath<'p>,
    index: usize,
    value: Value,
}

impl SetSeq<'_> {
    /// Adds a member (a value of the set's type).
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let path = FieldPath::Index(self.path, self.index);
        self.index += 1;
        // Members are scalars: their depth does not matter.
        let member = Ser::child(&path, 1, value)?;
        match (&mut self.value, member) {
            (Value::Ss(set), Value::S(s)) => {
                set.insert(s);
            }
            (Value::Ns(set), Value::N(n)) => {
                set.insert(n);
            }
            (Value::Bs(set), Value::B(b)) => {
                set.insert(b);
            }
            (_, other) => {
                return Err(BridgeError::new(format!(
                    "{}, found {}",
                    self.kind.describe(),
                    other.value_type()
                ))
                .at(&path))
            }
        }
        Ok(())
    }

    fn finish(self) -> Value {
        self.value
    }
}

forward_compound!(SetSeq:
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
);

impl<'p> ser::Serializer for SetSer<'p> {
    type Ok = Value;
    type Error = BridgeError;
    type SerializeSeq = SetSeq<'p>;
    type SerializeTuple = SetSeq<'p>;
    type SerializeTupleStruct = Impossible<Value, BridgeError>;
    type SerializeTupleVariant = Impossible<Value, BridgeError>;
    type SerializeMap = Impossible<Value, BridgeError>;
    type SerializeStruct = Impossible<Value, BridgeError>;
    type SerializeStructVariant = Impossible<Value, BridgeError>;

    fn serialize_seq(self, _len: Option<usize>) -> Result<SetSeq<'p>> {
        let value = match self.kind {
            SetKind::S => Value::Ss(BTreeSet::new()),
            SetKind::N => Value::Ns(BTreeSet::new()),
            SetKind::B => Value::Bs(BTreeSet::new()),
        };
        Ok(SetSeq {
            kind: self.kind,
            path: self.path,
            index: 0,
            value,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<SetSeq<'p>> {
        self.serialize_seq(Some(len))
    }

    transparent_newtype!();

    fn serialize_none(self) -> Result<Value> {
        // `Option<set>` fields under a `with` helper: None is an absent (empty) set.
        self.serialize_seq(Some(0)).map(|s| s.value)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value> {
        value.serialize(self)
    }

    reject! {
        "a boolean" => bool;
        "a number" => i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64;
        "a string" => char str;
        "bytes" => bytes;
        "unit" => unit;
        "a unit struct" => unit_struct;
        "an enum variant" => unit_variant;
    }
    reject_compound!();
}

/// What [`ItemSer`] produced: a struct's fields as serde gave them (unsorted, a name given twice
/// by renames kept twice, the last to win), or any other value whole.
pub(crate) enum TopLevel {
    /// A struct's fields, in serde's order, and their names' set.
    Fields(Vec<(String, Value)>, NameSet),
    /// Anything else, as [`Ser`] makes it (an item when it is a map).
    Value(Value),
}

/// [`Ser`] for a whole item: a struct (the common case: a model) stops short of its map and
/// leaves its fields unsorted, for a caller that adds attributes and builds the item once;
/// everything else is [`Ser`]'s, unchanged.
#[derive(Clone, Copy)]
pub(crate) struct ItemSer<'p> {
    pub(crate) ser: Ser<'p>,
    /// Room to leave in a struct's vector of fields for the attributes the caller adds.
    pub(crate) extra: usize,
}

/// A compound serializer of [`Ser`] whose result is given whole ([`TopLevel::Value`]).
pub(crate) struct Whole<S>(S);

/// A struct's fields, handed over unsorted ([`TopLevel::Fields`]), with their names' set (told
/// apart as they are pushed, while each name is at hand).
pub(crate) struct Fields<'p>(StructSer<'p>, NameSet);

impl ser::SerializeStruct for Fields<'_> {
    type Ok = TopLevel;
    type Error = BridgeError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        let before = self.0.fields.len();
        self.0.push_field(key, value)?;
        if self.0.fields.len() > before {
            self.1.add(key, &self.0.fields[..before]);
        }
        Ok(())
    }
    fn end(self) -> Result<TopLevel> {
        Ok(TopLevel::Fields(self.0.fields, self.1))
    }
}

/// Implements a compound trait for [`Whole`] by forwarding every method to the inner builder.
macro_rules! whole {
    ($trait:ident { $($method:ident($($arg:ident: $ty:ty),*);)* }) => {
        impl<S: ser::$trait<Ok = Value, Error = BridgeError>> ser::$trait for Whole<S> {
            type Ok = TopLevel;
            type Error = BridgeError;
            $(fn $method<T: ?Sized + Serialize>(&mut self, $($arg: $ty,)* value: &T) -> Result<()> {
                self.0.$method($($arg,)* value)
            })*
            fn end(self) -> Result<TopLevel> {
                self.0.end().map(TopLevel::Value)
            }
        }
    };
}

whole!(SerializeSeq { serialize_element(); });
whole!(SerializeTuple { serialize_element(); });
whole!(SerializeTupleStruct { serialize_field(); });
whole!(SerializeTupleVariant { serialize_field(); });
whole!(SerializeMap { serialize_key(); serialize_value(); });
whole!(SerializeStructVariant { serialize_field(key: &'static str); });

/// Forwards scalar methods of [`ItemSer`] to [`Ser`], the value whole.
macro_rules! whole_value {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method(self, $($arg: $ty),*) -> Result<TopLevel> {
            self.ser.$method($($arg),*).map(TopLevel::Value)
        }
    )*};
}

impl<'p> ser::Serializer for ItemSer<'p> {
    type Ok = TopLevel;
    type Error = BridgeError;
    type SerializeSeq = Whole<SeqSer<'p>>;
    type SerializeTuple = Whole<SeqSer<'p>>;
    type SerializeTupleStruct = Whole<SeqSer<'p>>;
    type SerializeTupleVariant = Whole<SeqSer<'p>>;
    type SerializeMap = Whole<MapSer<'p>>;
    type SerializeStruct = Fields<'p>;
    type SerializeStructVariant = Whole<StructSer<'p>>;

    whole_value! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<TopLevel> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<TopLevel> {
        // The magic names are DynamoDB values ([`Ser`]'s); any other newtype is transparent.
        if is_magic_name(name) {
            return self
                .ser
                .serialize_newtype_struct(name, value)
                .map(TopLevel::Value);
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<TopLevel> {
        self.ser
            .serialize_newtype_variant(name, index, variant, value)
            .map(TopLevel::Value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq> {
        self.ser.serialize_seq(len).map(Whole)
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple> {
        self.ser.serialize_tuple(len).map(Whole)
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        self.ser.serialize_tuple_struct(name, len).map(Whole)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        self.ser
            .serialize_tuple_variant(name, index, variant, len)
            .map(Whole)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap> {
        self.ser.serialize_map(len).map(Whole)
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Fields<'p>> {
        self.ser
            .serialize_struct(name, len + self.extra)
            .map(|fields| Fields(fields, NameSet::default()))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        self.ser
            .serialize_struct_variant(name, index, variant, len)
            .map(Whole)
    }

    fn collect_str<T: ?Sized + Display>(self, value: &T) -> Result<TopLevel> {
        self.ser.collect_str(value).map(TopLevel::Value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serde_bridge::{to_item, to_value};
    use serde::Serialize;
    use std::collections::HashMap;

    /// A map whose serializer gives a key twice keeps the later value, as inserting would;
    /// omitted values (`None`) leave their key out, and keys come back sorted.
    #[test]
    fn map_keys_given_twice_keep_the_last_value() {
        struct Twice;
        impl Serialize for Twice {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("b", &1u8)?;
                m.serialize_entry("a", &2u8)?;
                m.serialize_key("b")?;
                m.serialize_value(&3u8)?;
                m.serialize_entry("n", &None::<u8>)?;
                m.end()
            }
        }
        let value = to_value(&vec![Twice]).unwrap();
        let expected = BTreeMap::from([
            ("a".to_owned(), Value::from(2u8)),
            ("b".to_owned(), Value::from(3u8)),
        ]);
        assert_eq!(value, Value::L(vec![Value::M(expected)]));
    }

    /// `to_entries` gives `to_item`'s attributes (unsorted for a struct, each one as `to_item`
    /// keeps it) and `to_item`'s errors, whatever the value serializes as.
    #[test]
    fn entries_are_the_items_attributes() {
        use crate::serde_bridge::to_entries;
        use crate::value::Item;
        fn same<T: Serialize>(value: &T) {
            let entries = to_entries(value, 3).map(|(e, _)| Item(e.into_iter().collect()));
            match (entries, to_item(value)) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("to_entries {a:?}, to_item {b:?}"),
            }
        }
        #[derive(Serialize)]
        struct Inner {
            c: u8,
        }
        #[derive(Serialize)]
        struct Plain {
            z: String,
            a: Option<u8>,
            n: Option<u8>,
            tags: Vec<String>,
        }
        #[derive(Serialize)]
        struct Flat {
            b: u8,
            #[serde(flatten)]
            inner: Inner,
        }
        #[derive(Serialize)]
        struct Twice {
            #[serde(rename = "x")]
            first: u8,
            #[serde(rename = "x")]
            second: u8,
        }
        #[derive(Serialize)]
        struct Wrapped(Plain);
        #[derive(Serialize)]
        enum E {
            S { a: u8 },
            T(u8, u8),
        }
        let plain = Plain {
            z: "z".into(),
            a: Some(1),
            n: None,
            tags: vec!["t".into()],
        };
        let (entries, names) = to_entries(&plain, 0).unwrap();
        assert!(!names.repeated);
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["z", "a", "tags"], "serde's order, None left out");
        assert!(to_entries(&plain, 5).unwrap().0.capacity() >= 4 + 5);
        same(&plain);
        same(&Some(Wrapped(plain)));
        same(&Flat {
            b: 1,
            inner: Inner { c: 2 },
        });
        let (twice, names) = to_entries(
            &Twice {
                first: 1,
                second: 2,
            },
            0,
        )
        .unwrap();
        assert!(names.repeated, "a name given twice is seen");
        assert_eq!(
            twice.len(),
            2,
            "both given: the later wins when the map is built"
        );
        same(&Twice {
            first: 1,
            second: 2,
        });
        same(&E::S { a: 1 });
        same(&HashMap::from([("k", 1u8)]));
        same(&"just a string");
        same(&vec![1u8]);
        same(&E::T(1, 2));
        same(&Option::<u8>::None);
        same(&1.5f64);
    }

    #[test]
    fn omission_rules() {
        assert!(is_omitted(&Value::Null));
        assert!(is_omitted(&Value::Ss(BTreeSet::new())));
        assert!(is_omitted(&Value::Ns(BTreeSet::new())));
        assert!(is_omitted(&Value::Bs(BTreeSet::new())));
        assert!(!is_omitted(&Value::S(String::new())));
        assert!(!is_omitted(&Value::L(Vec::new())));
        assert!(!is_omitted(&Value::M(BTreeMap::new())));
        assert_eq!(list_element(Value::Ss(BTreeSet::new())), Value::Null);
        assert_eq!(list_element(Value::from(1)), Value::from(1));
    }

    #[test]
    fn variant_content_keeps_null() {
        #[derive(Serialize)]
        enum E {
            Maybe(Option<u8>),
        }
        let v = to_value(&E::Maybe(None)).unwrap();
        assert_eq!(
            v,
            Value::M(BTreeMap::from([("Maybe".to_owned(), Value::Null)]))
        );
    }

    #[test]
    fn map_keys_of_every_string_like_kind() {
        #[derive(Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
        enum K {
            Alpha,
        }
        #[derive(Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
        struct Id(u64);
        assert_eq!(
            to_value(&BTreeMap::from([(K::Alpha, 1)])).unwrap(),
            Value::M(BTreeMap::from([("Alpha".to_owned(), Value::from(1))]))
        );
        assert_eq!(
            to_value(&BTreeMap::from([(Id(7), 1)])).unwrap(),
            Value::M(BTreeMap::from([("7".to_owned(), Value::from(1))]))
        );
        assert_eq!(
            to_value(&BTreeMap::from([(-1i128, 1)])).unwrap(),
            Value::M(BTreeMap::from([("-1".to_owned(), Value::from(1))]))
        );
        assert_eq!(
            to_value(&HashMap::from([('c', true)])).unwrap(),
            Value::M(BTreeMap::from([("c".to_owned(), Value::Bool(true))]))
        );
        let err = to_value(&HashMap::from([(Some(1), 1)])).unwrap_err();
        assert!(err.to_string().contains("found an option"), "{err}");
    }

    #[test]
    fn nesting_depth_counts_variants_twice() {
        #[derive(Serialize)]
        enum Tree {
            Leaf,
            Node(Vec<Tree>),
        }
        // Each Node is a map holding a list: two levels.
        let mut t = Tree::Leaf;
        for _ in 0..16 {
            t = Tree::Node(vec![t]);
        }
        assert!(to_value(&t).is_ok());
        let t = Tree::Node(vec![t]);
        let err = to_value(&t).unwrap_err();
        assert!(err.to_string().contains("nesting deeper than 32"), "{err}");
        // The same tree as an item's attribute fits one level less.
        #[derive(Serialize)]
        struct Holder {
            t: Tree,
        }
        let mut t = Tree::Leaf;
        for _ in 0..16 {
            t = Tree::Node(vec![t]);
        }
        assert!(to_item(&Holder { t }).is_ok());
    }

    #[test]
    fn number_text_is_parsed_back_exactly() {
        let n = Number::parse("-0.000123").unwrap();
        assert_eq!(to_value(&n).unwrap(), Value::N(n.clone()));
        // A hand-written value under the magic name must be number text.
        struct Fake;
        impl Serialize for Fake {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_newtype_struct(NUMBER, &true)
            }
        }
        let err = to_value(&Fake).unwrap_err();
        assert!(err.to_string().contains("found a boolean"), "{err}");
    }
}
