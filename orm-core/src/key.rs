//! Primary keys ([`Key`]) and key templates (`USER#{id}`), rendered from a model's own fields.
//!
//! Template fields render so that keys sort the way their values do:
//! - strings as they are; an empty string, or one containing the delimiter `#`, is rejected (an
//!   empty id would address a real item; a `#` would let one key prefix match other keys);
//! - integers zero-padded to their type's full width (`u32` 7 -> `0000000007`), or to the width
//!   the template writes (`{seq:6}` -> `000007`; a value with more digits is an error, never a
//!   key that sorts out of place); negative signed integers as `-` followed by the padded
//!   complement, so that they sort before positives and in numeric order among themselves;
//! - unit enum variants by their (serde) name, booleans as `true`/`false`;
//! - `None` makes the key absent (a sparse index), or is an error for the primary key.
//!
//! Floats, bytes, sequences and maps cannot be key fields.

use crate::error::{Error, Result};
use crate::number::Number;
use crate::value::Value;
use serde::ser::{self, Impossible, Serialize};
use std::fmt;

/// The character that separates template parts; key field values may not contain it.
pub const DELIMITER: char = '#';

pub use crate::value::Key;

/// Turns a key or a key value, or a `Result` of one, into a `Result`, so that API methods
/// accept what a user has at hand.
///
/// - Where a [`Key`] is taken (`get`, `find`, `update`, `delete_key`, `batch_get`,
///   transactions): a `Key`, a `&Key`, or `Todo::key(..)` (a `Result<Key>`).
/// - Where a key [`Value`] is taken (`Query::partition`, `sk_eq`, `sk_begins_with`,
///   `sk_between`...): anything that converts into a `Value` (`&str`, `String`, `&String`,
///   `i8`..`u64`, `isize`, `usize`, [`Number`], `bool`, bytes, a `Value`), a `Result<Value>`
///   such as `Todo::partition("alice")`, and the numbers whose conversion can fail: `i128`,
///   `u128` (more than 38 digits), `f32` and `f64` (NaN, infinities, out of range; shortest
///   round-trip text as in [`Number::from_f64`]). A failed conversion is reported by the
///   builder's `await`, like any other invalid input.
///
/// A query by plain key text:
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use orm_core::prelude::*;
/// use orm_memory::MemoryBackend;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
/// #[model(entity = "Order", pk = "CUSTOMER#{customer}", sk = "ORDER#{id}")]
/// struct Order { customer: String, id: String, total: u64 }
///
/// let table = Table::new(MemoryBackend::new(), "app");
/// table.create_table::<Order>().await?;
/// for id in ["a", "b"] {
///     Order { customer: "ann".into(), id: id.into(), total: 10 }.create(&table).await?;
/// }
/// let orders = Order::query(&table)
///     .partition("CUSTOMER#ann")
///     .sk_begins_with("ORDER#")
///     .all()
///     .await?;
/// assert_eq!(orders.len(), 2);
/// let b = Order::get(&table, &Order::key("ann", "b")?).await?;
/// assert_eq!(b.id, "b");
/// # Ok::<(), Error>(()) }).unwrap();
/// ```
///
/// The conversions themselves:
///
/// ```
/// # use orm_core::{IntoResult, Number, Value};
/// assert_eq!("ORDER#".into_result().unwrap(), Value::from("ORDER#"));
/// assert_eq!(7u32.into_result().unwrap(), Value::from(7u32));
/// assert_eq!(1.5f64.into_result().unwrap(), Value::N("1.5".parse::<Number>().unwrap()));
/// assert!(IntoResult::<Value>::into_result(f64::NAN).is_err());
/// ```
pub trait IntoResult<T> {
    /// The value, or the error it carries.
    fn into_result(self) -> Result<T>;
}

impl IntoResult<Key> for Key {
    fn into_result(self) -> Result<Key> {
        Ok(self)
    }
}

impl IntoResult<Key> for &Key {
    fn into_result(self) -> Result<Key> {
        Ok(self.clone())
    }
}

impl IntoResult<Key> for Result<Key> {
    fn into_result(self) -> Result<Key> {
        self
    }
}

impl<T: Into<Value>> IntoResult<Value> for T {
    fn into_result(self) -> Result<Value> {
        Ok(self.into())
    }
}

impl IntoResult<Value> for Result<Value> {
    fn into_result(self) -> Result<Value> {
        self
    }
}

macro_rules! fallible_number_value {
    ($($t:ty),*) => {$(
        impl IntoResult<Value> for $t {
            fn into_result(self) -> Result<Value> {
                Ok(Value::N(Number::try_from(self)?))
            }
        }
    )*};
}
fallible_number_value!(i128, u128, f32, f64);

/// One part of a key template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TemplatePart {
    /// Literal text.
    Literal(&'static str),
    /// The value of the named field, rendered by its type (see the [module docs](self)).
    Field(&'static str),
    /// An integer field zero-padded to `width` digits: written in the template (`{seq:6}`), or
    /// implied by the field's integer type (`{seq}` of a `u32`: 10). The derive describes
    /// integer fields of a known type this way, so that tools (the
    /// layout report, `orm_core::report`) can compare the widths of shared key segments.
    Padded {
        /// The field's (Rust) name.
        field: &'static str,
        /// The number of digits (a `-` comes before them for negative values).
        width: u8,
    },
    /// A segment computed by a function of some fields: `{Self::bucket(created_at)}` renders
    /// what `Self::bucket(&self.created_at)` returns. The function sees only the fields named,
    /// so a write that changes none of them cannot change the segment.
    Computed {
        /// The function as written (`Self::bucket`).
        function: &'static str,
        /// The fields it is called with, in order.
        fields: &'static [&'static str],
        /// The zero-padded width of an integer result (`{Self::f(x):6}`), if written.
        width: Option<u8>,
    },
}

/// A parsed key template such as `TODO#{created_at}#{todo_id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyTemplate {
    /// The template text as written.
    pub text: &'static str,
    /// Its parts, in order.
    pub parts: &'static [TemplatePart],
}

impl KeyTemplate {
    /// The names of the fields the template uses, in order (the arguments of computed
    /// segments included): the fields whose change changes the key.
    pub fn fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.parts.iter().flat_map(|p| {
            let fields: &'static [&'static str] = match p {
                TemplatePart::Field(f) | TemplatePart::Padded { field: f, .. } => {
                    std::slice::from_ref(f)
                }
                TemplatePart::Computed { fields, .. } => fields,
                TemplatePart::Literal(_) => &[],
            };
            fields.iter().copied()
        })
    }

    /// Whether a part of the template is computed by a function (`{Self::f(x)}`).
    pub fn is_computed(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, TemplatePart::Computed { .. }))
    }

    /// The literal text before the first field (the whole text for a template without fields).
    pub fn literal_prefix(&self) -> &'static str {
        match self.parts.first() {
            Some(TemplatePart::Literal(l)) => l,
            _ => "",
        }
    }
}

/// Appends one template field's value to a key being rendered, an integer zero-padded to
/// `width` digits (as `{seq:6}` asks) when `width` is given, else to its type's width; a value
/// with more digits than `width` is an error naming the field and the width.
///
/// Returns `Ok(false)` when the value is `None` (the key is absent); an error names the field.
/// Called by the code `#[derive(Model)]` generates, through [`crate::__private`].
pub(crate) fn write_padded_part<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
    field: &str,
    width: Option<u8>,
) -> Result<bool> {
    let start = out.len();
    let result = value.serialize(KeyPartSerializer {
        out,
        width: width.map(usize::from),
    });
    match result {
        Ok(()) => Ok(true),
        Err(KeyPartError::Absent) => Ok(false),
        Err(KeyPartError::Invalid(why)) => {
            out.truncate(start);
            Err(Error::validation(format!("key field `{field}`: {why}")))
        }
    }
}

/// Like [`write_padded_part`] for a required field: `None` is an error naming the field.
pub(crate) fn write_required_part<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
    field: &str,
    width: Option<u8>,
) -> Result<()> {
    if write_padded_part(out, value, field, width)? {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "key field `{field}` is None; a primary key needs every field of its template"
        )))
    }
}

#[derive(Debug)]
enum KeyPartError {
    Absent,
    Invalid(String),
}

impl fmt::Display for KeyPartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyPartError::Absent => f.write_str("absent"),
            KeyPartError::Invalid(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for KeyPartError {}

impl ser::Error for KeyPartError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        KeyPartError::Invalid(msg.to_string())
    }
}

struct KeyPartSerializer<'a> {
    out: &'a mut String,
    /// The width the template writes (`{seq:6}`); integers are otherwise padded to their type's.
    width: Option<usize>,
}

fn invalid<T>(what: &str) -> std::result::Result<T, KeyPartError> {
    Err(KeyPartError::Invalid(format!(
        "{what} cannot be part of a key (use strings, integers, bools or unit enum variants)"
    )))
}

/// Appends `v` zero-padded to `width` digits, without the formatting machinery (keys are
/// rendered on every write and read, and so are expression placeholders).
pub(crate) fn push_padded(out: &mut String, v: u128, width: usize) {
    // Zeros, the digits written over the end of them.
    let mut buf = [b'0'; 40];
    let mut i = buf.len();
    match u64::try_from(v) {
        Ok(mut small) => loop {
            i -= 1;
            buf[i] = b'0' + (small % 10) as u8;
            small /= 10;
            if small == 0 {
                break;
            }
        },
        Err(_) => {
            let mut big = v;
            loop {
                i -= 1;
                buf[i] = b'0' + (big % 10) as u8;
                big /= 10;
                if big == 0 {
                    break;
                }
            }
        }
    }
    // The zeros before the digits come from the buffer as far as it holds them (a wider width
    // is not a key template's: the rest are pushed one by one).
    let start = i.saturating_sub(width.saturating_sub(buf.len() - i));
    let padding = width.saturating_sub(buf.len() - start);
    if padding > 0 {
        out.extend(std::iter::repeat_n('0', padding));
    }
    out.push_str(std::str::from_utf8(&buf[start..]).expect("decimal digits are ASCII"));
}

/// `10^width`, or `None` past `u128` (every value fits such a width).
fn power_of_ten(width: usize) -> Option<u128> {
    10u128.checked_pow(u32::try_from(width).ok()?)
}

fn does_not_fit<T: fmt::Display>(v: T, width: usize) -> KeyPartError {
    KeyPartError::Invalid(format!(
        "{v} does not fit the {width} digits the key template gives it; widen the template's \
         width (which changes every stored key: see \"Integer widths\" in docs/modeling.md)"
    ))
}

impl KeyPartSerializer<'_> {
    fn unsigned(self, v: u128, type_width: usize) -> std::result::Result<(), KeyPartError> {
        let width = self.width.unwrap_or(type_width);
        if self.width.is_some() && power_of_ten(width).is_some_and(|limit| v >= limit) {
            return Err(does_not_fit(v, width));
        }
        push_padded(self.out, v, width);
        Ok(())
    }
    fn signed(
        self,
        v: i128,
        type_max: i128,
        type_width: usize,
    ) -> std::result::Result<(), KeyPartError> {
        let (max, width) = match self.width {
            None => (type_max, type_width),
            Some(width) => match power_of_ten(width).and_then(|p| i128::try_from(p).ok()) {
                // Values from -10^width to 10^width - 1 fit: the complement of a negative
                // value then has `width` digits too.
                Some(limit) if v >= limit || v < -limit => return Err(does_not_fit(v, width)),
                Some(limit) => (limit - 1, width),
                None => (i128::MAX, width),
            },
        };
        if v >= 0 {
            push_padded(self.out, v.unsigned_abs(), width);
        } else {
            // -1 -> -<max>, min -> -000..0: sorts before every non-negative, in numeric order.
            let complement = max + v + 1;
            self.out.push('-');
            push_padded(self.out, complement.unsigned_abs(), width);
        }
        Ok(())
    }
    fn not_an_integer(&self, what: &str) -> std::result::Result<(), KeyPartError> {
        match self.width {
            Some(width) => Err(KeyPartError::Invalid(format!(
                "{what} has no digits to pad to the width {width} the key template gives it; \
                 a width (`{{field:{width}}}`) is for integers"
            ))),
            None => Ok(()),
        }
    }
}

impl<'a> ser::Serializer for KeyPartSerializer<'a> {
    type Ok = ();
    type Error = KeyPartError;
    type SerializeSeq = Impossible<(), KeyPartError>;
    type SerializeTuple = Impossible<(), KeyPartError>;
    type SerializeTupleStruct = Impossible<(), KeyPartError>;
    type SerializeTupleVariant = Impossible<(), KeyPartError>;
    type SerializeMap = Impossible<(), KeyPartError>;
    type SerializeStruct = Impossible<(), KeyPartError>;
    type SerializeStructVariant = Impossible<(), KeyPartError>;

    fn serialize_bool(self, v: bool) -> std::result::Result<(), KeyPartError> {
        self.not_an_integer("a bool")?;
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> std::result::Result<(), KeyPartError> {
        self.signed(v.into(), i8::MAX.into(), 3)
    }
    fn serialize_i16(self, v: i16) -> std::result::Result<(), KeyPartError> {
        self.signed(v.into(), i16::MAX.into(), 5)
    }
    fn serialize_i32(self, v: i32) -> std::result::Result<(), KeyPartError> {
        self.signed(v.into(), i32::MAX.into(), 10)
    }
    fn serialize_i64(self, v: i64) -> std::result::Result<(), KeyPartError> {
        self.signed(v.into(), i64::MAX.into(), 19)
    }
    fn serialize_i128(self, v: i128) -> std::result::Result<(), KeyPartError> {
        if v == i128::MIN && self.width.is_none() {
            self.out.push('-');
            self.out.push_str(&"0".repeat(39));
            return Ok(());
        }
        self.signed(v, i128::MAX, 39)
    }
    fn serialize_u8(self, v: u8) -> std::result::Result<(), KeyPartError> {
        self.unsigned(v.into(), 3)
    }
    fn serialize_u16(self, v: u16) -> std::result::Result<(), KeyPartError> {
        self.unsigned(v.into(), 5)
    }
    fn serialize_u32(self, v: u32) -> std::result::Result<(), KeyPartError> {
        self.unsigned(v.into(), 10)
    }
    fn serialize_u64(self, v: u64) -> std::result::Result<(), KeyPartError> {
        self.unsigned(v.into(), 20)
    }
    fn serialize_u128(self, v: u128) -> std::result::Result<(), KeyPartError> {
        self.unsigned(v, 39)
    }
    fn serialize_f32(self, _: f32) -> std::result::Result<(), KeyPartError> {
        invalid("a float")
    }
    fn serialize_f64(self, _: f64) -> std::result::Result<(), KeyPartError> {
        invalid("a float")
    }
    fn serialize_char(self, v: char) -> std::result::Result<(), KeyPartError> {
        let mut buf = [0u8; 4];
        self.serialize_str(v.encode_utf8(&mut buf))
    }
    fn serialize_str(self, v: &str) -> std::result::Result<(), KeyPartError> {
        self.not_an_integer("a string")?;
        if v.is_empty() {
            // `USER#` for an empty id would address a real item: almost surely a missing value.
            return Err(KeyPartError::Invalid("is empty".into()));
        }
        if v.contains(DELIMITER) {
            return Err(KeyPartError::Invalid(format!(
                "value {v:?} contains the key delimiter `{DELIMITER}`"
            )));
        }
        self.out.push_str(v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> std::result::Result<(), KeyPartError> {
        invalid("bytes")
    }
    fn serialize_none(self) -> std::result::Result<(), KeyPartError> {
        Err(KeyPartError::Absent)
    }
    fn serialize_some<T: Serialize + ?Sized>(
        self,
        value: &T,
    ) -> std::result::Result<(), KeyPartError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> std::result::Result<(), KeyPartError> {
        invalid("a unit value")
    }
    fn serialize_unit_struct(self, _: &'static str) -> std::result::Result<(), KeyPartError> {
        invalid("a unit struct")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> std::result::Result<(), KeyPartError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> std::result::Result<(), KeyPartError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> std::result::Result<(), KeyPartError> {
        invalid("an enum variant with data")
    }
    fn serialize_seq(
        self,
        _: Option<usize>,
    ) -> std::result::Result<Self::SerializeSeq, KeyPartError> {
        invalid("a sequence")
    }
    fn serialize_tuple(self, _: usize) -> std::result::Result<Self::SerializeTuple, KeyPartError> {
        invalid("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeTupleStruct, KeyPartError> {
        invalid("a tuple struct")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeTupleVariant, KeyPartError> {
        invalid("an enum variant with data")
    }
    fn serialize_map(
        self,
        _: Option<usize>,
    ) -> std::result::Result<Self::SerializeMap, KeyPartError> {
        invalid("a map")
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeStruct, KeyPartError> {
        invalid("a struct")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeStructVariant, KeyPartError> {
        invalid("an enum variant with data")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Zero padding as `format!("{v:0width$}")` gives it, after what `out` held, for widths
    /// within and beyond the digit buffer.
    #[test]
    fn push_padded_is_format_zero_padding() {
        for v in [0u128, 7, 42, 1_000_000, u64::MAX.into(), u128::MAX] {
            for width in [0usize, 1, 2, 6, 10, 20, 39, 40, 41, 45, 255] {
                let mut out = "k#".to_owned();
                push_padded(&mut out, v, width);
                assert_eq!(out, format!("k#{v:0width$}"), "{v} to {width}");
            }
        }
    }

    fn render<T: Serialize>(v: T) -> Result<String> {
        let mut s = String::new();
        write_required_part(&mut s, &v, "f", None)?;
        Ok(s)
    }

    fn render_width<T: Serialize>(v: T, width: u8) -> Result<String> {
        let mut s = String::new();
        write_required_part(&mut s, &v, "f", Some(width))?;
        Ok(s)
    }

    #[test]
    fn explicit_widths_pad_and_refuse_what_does_not_fit() {
        assert_eq!(render_width(7u64, 6).unwrap(), "000007");
        assert_eq!(render_width(999_999u32, 6).unwrap(), "999999");
        let e = render_width(1_000_000u32, 6).unwrap_err().to_string();
        assert!(
            e.contains("key field `f`") && e.contains("1000000 does not fit the 6 digits"),
            "{e}"
        );
        assert_eq!(render_width(-1i32, 3).unwrap(), "-999");
        assert_eq!(render_width(-1000i32, 3).unwrap(), "-000");
        assert!(render_width(-1001i32, 3).is_err());
        assert!(render_width(1000i64, 3).is_err());
        assert_eq!(render_width(Some(5u8), 2).unwrap(), "05");
        assert_eq!(render_width(u128::MAX, 39).unwrap(), u128::MAX.to_string());
        assert_eq!(render_width(i128::MIN, 39).unwrap().len(), 40);
        let e = render_width("abc", 4).unwrap_err().to_string();
        assert!(e.contains("a width (`{field:4}`) is for integers"), "{e}");
        // Nothing half-written is left behind by a failed part.
        let mut s = String::from("ORDER#");
        assert!(write_padded_part(&mut s, &12345u32, "f", Some(2)).is_err());
        assert_eq!(s, "ORDER#");
    }

    #[test]
    fn integers_are_padded() {
        assert_eq!(render(7u32).unwrap(), "0000000007");
        assert_eq!(render(7u64).unwrap(), "00000000000000000007");
        assert_eq!(render(-1i8).unwrap(), "-127");
        assert_eq!(render(i8::MIN).unwrap(), "-000");
        assert_eq!(render(u128::MAX).unwrap(), u128::MAX.to_string());
        assert_eq!(render(i128::MIN).unwrap().len(), 40);
    }

    #[test]
    fn delimiter_and_bad_types_are_rejected() {
        let e = render("a#b").unwrap_err().to_string();
        assert!(
            e.contains("key field `f`") && e.contains("delimiter"),
            "{e}"
        );
        assert!(render(1.5f64).is_err());
        assert!(render(vec![1]).is_err());
        assert!(render(Option::<u8>::None)
            .unwrap_err()
            .to_string()
            .contains("None"));
        let mut s = String::new();
        assert!(!write_padded_part(&mut s, &Option::<u8>::None, "f", None).unwrap());
        assert_eq!(
            render("").unwrap_err().to_string(),
            "invalid input: key field `f`: is empty"
        );
    }

    fn value(v: impl IntoResult<Value>) -> Result<Value> {
        v.into_result()
    }

    fn num(text: &str) -> Value {
        Value::N(text.parse().unwrap())
    }

    #[test]
    fn key_values_from_plain_types() {
        let owned = String::from("ORDER#");
        assert_eq!(value("ORDER#").unwrap(), Value::S("ORDER#".into()));
        assert_eq!(value(owned.clone()).unwrap(), Value::S("ORDER#".into()));
        assert_eq!(value(&owned).unwrap(), Value::S("ORDER#".into()));
        assert_eq!(value(Value::from("x")).unwrap(), Value::from("x"));
        assert_eq!(value(Ok(Value::from("x"))).unwrap(), Value::from("x"));
        assert!(value(Err(Error::validation("bad template field"))).is_err());
        assert_eq!(value(true).unwrap(), Value::Bool(true));
        assert_eq!(value(vec![1u8, 2]).unwrap(), Value::B(vec![1, 2]));
        assert_eq!(value(-8i8).unwrap(), num("-8"));
        assert_eq!(value(16i16).unwrap(), num("16"));
        assert_eq!(value(-32i32).unwrap(), num("-32"));
        assert_eq!(value(i64::MIN).unwrap(), num("-9223372036854775808"));
        assert_eq!(value(8u8).unwrap(), num("8"));
        assert_eq!(value(16u16).unwrap(), num("16"));
        assert_eq!(value(32u32).unwrap(), num("32"));
        assert_eq!(value(u64::MAX).unwrap(), num("18446744073709551615"));
        assert_eq!(value(-3isize).unwrap(), num("-3"));
        assert_eq!(value(3usize).unwrap(), num("3"));
        assert_eq!(value(Number::from(7u8)).unwrap(), num("7"));
        assert_eq!(value(-128i128).unwrap(), num("-128"));
        assert_eq!(value(128u128).unwrap(), num("128"));
        assert_eq!(value(1.5f64).unwrap(), num("1.5"));
        assert_eq!(value(0.1f32).unwrap(), num("0.1"));
    }

    #[test]
    fn failed_number_conversions_name_the_value() {
        let too_long = value(u128::MAX).unwrap_err().to_string();
        assert!(too_long.contains(&u128::MAX.to_string()), "{too_long}");
        assert!(too_long.contains("39 significant digits"), "{too_long}");
        assert!(value(i128::MIN).is_err());
        for (v, text) in [(f64::NAN, "NaN"), (f64::NEG_INFINITY, "-inf")] {
            let e = value(v).unwrap_err();
            assert!(matches!(e, Error::Validation { .. }), "{e:?}");
            assert!(e.to_string().contains(&format!("`{text}`")), "{e}");
        }
        assert!(value(f32::INFINITY)
            .unwrap_err()
            .to_string()
            .contains("`inf`"));
        assert!(value(1e300f64).unwrap_err().to_string().contains("`1e300`"));
    }

    #[test]
    fn keys_by_value_reference_or_result() {
        fn key(k: impl IntoResult<Key>) -> Result<Key> {
            k.into_result()
        }
        let k = Key::with_sort("USER#1", "PROFILE");
        assert_eq!(key(&k).unwrap(), k);
        assert_eq!(key(Ok(k.clone())).unwrap(), k);
        assert_eq!(key(k.clone()).unwrap(), k);
        assert!(key(Err(Error::validation("no"))).is_err());
    }

    proptest! {
        #[test]
        fn signed_keys_sort_numerically(a: i64, b: i64) {
            prop_assert_eq!(a.cmp(&b), render(a).unwrap().cmp(&render(b).unwrap()));
        }
        #[test]
        fn i8_keys_sort_numerically(a: i8, b: i8) {
            prop_assert_eq!(a.cmp(&b), render(a).unwrap().cmp(&render(b).unwrap()));
        }
        #[test]
        fn i128_keys_sort_numerically(a: i128, b: i128) {
            prop_assert_eq!(a.cmp(&b), render(a).unwrap().cmp(&render(b).unwrap()));
        }
        #[test]
        fn explicit_width_keys_sort_numerically(a in -100_000i64..100_000, b in -100_000i64..100_000) {
            let (ka, kb) = (render_width(a, 5).unwrap(), render_width(b, 5).unwrap());
            prop_assert_eq!(a.cmp(&b), ka.cmp(&kb));
        }
        #[test]
        fn unsigned_keys_sort_numerically(a: u64, b: u64) {
            prop_assert_eq!(a.cmp(&b), render(a).unwrap().cmp(&render(b).unwrap()));
        }
    }
}
