//! The deserializer's third form of a value: an item read in place from an [`ItemReader`] (a
//! client library's own item, such as the AWS SDK's attribute maps), with no [`Value`] built.
//!
//! Strings, number text and byte buffers are moved out of the reader into the model's fields;
//! containers are read as the reader opens them, depth first, one value at a time (which is how
//! serde reads), all values sharing the one reader. Numbers are checked as they are decoded:
//! an integer field parses the text once, exactly, and anything else goes through [`Number`].
//!
//! [`Value`]: crate::Value

use super::de::{visit_number_any, Num, NumText, Shape, ShapeOf, Source};
use super::field_path::BridgeError;
use crate::error::Error;
use crate::number::{Number, NumberError};
use crate::value::{Item, Value};
use serde::de::Visitor;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Debug;

type Result<T, E = BridgeError> = std::result::Result<T, E>;

/// An item in a client library's own representation (as [`RawItem::Reader`](crate::backend::RawItem::Reader)), handed over whole:
/// the ORM decodes a model by reading it in place, taking its strings and buffers as they are
/// (no [`Value`] is built), through [`ItemReader::next_attribute`] and the calls below it.
/// `DynamoBackend` reads the AWS SDK's attribute maps this way.
///
/// Object-safe. Scalars are handed over owned; a container is handed over *open* (its size in
/// [`ReadValue::L`], [`ReadValue::M`]...): its contents come next, from
/// [`ItemReader::next_element`] (lists and sets) or [`ItemReader::next_entry`] (maps), each of
/// which may itself open a container, and the reader of a container calls
/// [`ItemReader::close`] once it is done with it (read or not), which returns to the container
/// around it. [`ItemReader::get`] and [`ItemReader::to_item`] look at the item before it is
/// read; once [`ItemReader::next_attribute`] has been called the item belongs to the reading.
///
/// A reader need not check its item up front: values are checked as they are decoded. A number
/// is handed over as its text ([`ReadValue::N`]) and decoding it checks it (a malformed one is
/// an error naming the field); a value of a type the reader cannot hand over is
/// [`ReadValue::Unsupported`], an error when decoded. What the model skips is not checked.
/// [`ItemReader::get`] and [`ItemReader::to_item`] decode, so they can fail the same way.
///
/// ```
/// use orm_core::backend::{ItemReader, RawItem, ReadValue};
/// use orm_core::{Item, Value};
///
/// /// An item kept as name/value pairs of strings (a real reader walks a client's item type).
/// #[derive(Debug)]
/// struct Pairs(Vec<(String, String)>);
///
/// impl ItemReader for Pairs {
///     fn get(&self, name: &str) -> orm_core::Result<Option<Value>> {
///         Ok(self.0.iter().find(|(n, _)| n == name).map(|(_, v)| Value::from(v.as_str())))
///     }
///     fn to_item(&self) -> orm_core::Result<Item> {
///         Ok(self.0.iter().fold(Item::new(), |item, (n, v)| item.with(n.as_str(), v.as_str())))
///     }
///     fn clone_reader(&self) -> Box<dyn ItemReader> {
///         Box::new(Pairs(self.0.clone()))
///     }
///     fn next_attribute(&mut self) -> Option<(String, ReadValue)> {
///         self.0.pop().map(|(n, v)| (n, ReadValue::S(v)))
///     }
///     // No containers to read inside.
///     fn next_element(&mut self) -> Option<ReadValue> { None }
///     fn next_entry(&mut self) -> Option<(String, ReadValue)> { None }
///     fn close(&mut self) {}
/// }
///
/// let raw = RawItem::Reader(Box::new(Pairs(vec![("name".into(), "Ada".into())])));
/// assert_eq!(raw.get("name")?.as_deref(), Some(&Value::from("Ada")));
/// assert_eq!(raw.into_item()?, Item::new().with("name", "Ada"));
/// # Ok::<(), orm_core::Error>(())
/// ```
pub trait ItemReader: Debug + Send + Sync {
    /// The attribute `name`, decoded, if present (before the item is read); an error if it does
    /// not decode (a malformed number, a type the reader does not know).
    fn get(&self, name: &str) -> Result<Option<Value>, Error>;
    /// Whether the attribute `name` is the string `value` (before the item is read): the
    /// entity check every read of a model makes first. The default compares
    /// [`ItemReader::get`]'s value; a reader overrides it to compare in place, copying nothing.
    fn is_string(&self, name: &str, value: &str) -> bool {
        matches!(self.get(name), Ok(Some(Value::S(s))) if s == value)
    }
    /// The whole item, decoded (before the item is read); an error if any of it does not
    /// decode.
    fn to_item(&self) -> Result<Item, Error>;
    /// Another reader of the same item, unread (what cloning a
    /// [`RawItem::Reader`](crate::backend::RawItem::Reader) gives; called before the item is
    /// read).
    fn clone_reader(&self) -> Box<dyn ItemReader>;
    /// The next attribute of the item, each once, in any order; `None` after the last.
    fn next_attribute(&mut self) -> Option<(String, ReadValue)>;
    /// The next element of the innermost open list or set; `None` after the last.
    fn next_element(&mut self) -> Option<ReadValue>;
    /// The next entry of the innermost open map; `None` after the last.
    fn next_entry(&mut self) -> Option<(String, ReadValue)>;
    /// Leaves the innermost open container (whatever of it was not read is dropped).
    fn close(&mut self);
}

/// A value an [`ItemReader`] hands over: a scalar, owned, or a container it has opened (its
/// contents are read next; see [`ItemReader`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ReadValue {
    /// String (`S`).
    S(String),
    /// Number (`N`), as its decimal text (checked when it is decoded).
    N(String),
    /// Binary (`B`).
    B(Vec<u8>),
    /// Boolean (`BOOL`).
    Bool(bool),
    /// Null (`NULL`).
    Null,
    /// A list (`L`) of this many elements, opened.
    L(usize),
    /// A map (`M`) of this many entries, opened.
    M(usize),
    /// A string set (`SS`) of this many members (each an `S`), opened.
    Ss(usize),
    /// A number set (`NS`) of this many members (each an `N`), opened.
    Ns(usize),
    /// A binary set (`BS`) of this many members (each a `B`), opened.
    Bs(usize),
    /// A value the reader cannot hand over (of a type its client library does not know),
    /// described as an error message names what it found (`an attribute value of a type this
    /// SDK version does not know (Unknown)`): decoding it is an error naming the field and this
    /// description; skipping it is not.
    Unsupported(String),
}

/// The reader every value of one item is read from.
pub(crate) type SharedReader = RefCell<Box<dyn ItemReader>>;

/// One value handed over by the reader. A container is open in the reader until it has been
/// read (through its [`Opened`] contents) or dropped unread (an ignored field), when it is
/// closed.
pub(crate) struct Read<'r> {
    value: ReadValue,
    reader: &'r SharedReader,
}

impl<'r> Read<'r> {
    pub(crate) fn new(value: ReadValue, reader: &'r SharedReader) -> Read<'r> {
        Read { value, reader }
    }
}

impl Drop for Read<'_> {
    fn drop(&mut self) {
        if let ReadValue::L(_)
        | ReadValue::M(_)
        | ReadValue::Ss(_)
        | ReadValue::Ns(_)
        | ReadValue::Bs(_) = self.value
        {
            self.reader.borrow_mut().close();
        }
    }
}

/// The contents of an open container: `left` more to read, then the container is closed.
pub(crate) struct Opened<'r> {
    reader: &'r SharedReader,
    left: usize,
}

impl Drop for Opened<'_> {
    fn drop(&mut self) {
        self.reader.borrow_mut().close();
    }
}

/// The elements of an open list or set.
pub(crate) struct Elements<'r>(Opened<'r>);

impl<'r> Iterator for Elements<'r> {
    type Item = Read<'r>;

    #[inline]
    fn next(&mut self) -> Option<Read<'r>> {
        let opened = &mut self.0;
        if opened.left == 0 {
            return None;
        }
        opened.left -= 1;
        let value = opened.reader.borrow_mut().next_element()?;
        Some(Read::new(value, opened.reader))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.left, Some(self.0.left))
    }
}

impl ExactSizeIterator for Elements<'_> {}

/// The entries of an open map.
pub(crate) struct Entries<'r>(Opened<'r>);

impl<'r> Iterator for Entries<'r> {
    type Item = (String, Read<'r>);

    #[inline]
    fn next(&mut self) -> Option<(String, Read<'r>)> {
        let opened = &mut self.0;
        if opened.left == 0 {
            return None;
        }
        opened.left -= 1;
        let (key, value) = opened.reader.borrow_mut().next_entry()?;
        Some((key, Read::new(value, opened.reader)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.left, Some(self.0.left))
    }
}

impl ExactSizeIterator for Entries<'_> {}

/// The attributes of the reader's item that `keep` accepts (the others are dropped unread).
/// `keep` sees each attribute's value as handed over: it may take a scalar of one it skips
/// (leaving [`ReadValue::Null`]), never a container (which must stay to be closed).
pub(crate) struct Attributes<'r, K> {
    pub(crate) reader: &'r SharedReader,
    pub(crate) keep: K,
}

impl<'r, K: FnMut(&str, &mut ReadValue) -> bool> Iterator for Attributes<'r, K> {
    type Item = (String, Read<'r>);

    #[inline]
    fn next(&mut self) -> Option<(String, Read<'r>)> {
        loop {
            let (name, value) = self.reader.borrow_mut().next_attribute()?;
            let mut read = Read::new(value, self.reader);
            if (self.keep)(&name, &mut read.value) {
                return Some((name, read));
            }
        }
    }
}

impl ReadValue {
    /// Takes a scalar out (leaving [`ReadValue::Null`]); a container, which its reader has
    /// opened and must close, stays, and is described instead ([`ReadValue::Unsupported`]:
    /// `a list (L)`).
    #[inline]
    pub(crate) fn take_scalar(&mut self) -> ReadValue {
        match self {
            ReadValue::L(_)
            | ReadValue::M(_)
            | ReadValue::Ss(_)
            | ReadValue::Ns(_)
            | ReadValue::Bs(_) => self.described(),
            _ => std::mem::replace(self, ReadValue::Null),
        }
    }

    /// [`ReadValue::Unsupported`] naming this container's type.
    #[cold]
    fn described(&self) -> ReadValue {
        let what = match self {
            ReadValue::L(_) => "a list (L)",
            ReadValue::M(_) => "a map (M)",
            ReadValue::Ss(_) => "a string set (SS)",
            ReadValue::Ns(_) => "a number set (NS)",
            _ => "a binary set (BS)",
        };
        ReadValue::Unsupported(what.into())
    }

    /// A scalar taken with [`ReadValue::take_scalar`] as a [`Value`]; what it is instead when
    /// it is not one (a container, a malformed number, a type the reader does not know).
    pub(crate) fn into_scalar(self) -> Result<Value, String> {
        Ok(match self {
            ReadValue::S(s) => Value::S(s),
            ReadValue::N(n) => match Number::parse(&n) {
                Ok(number) => Value::N(number),
                Err(e) => return Err(format!("N {n} ({e})")),
            },
            ReadValue::B(b) => Value::B(b),
            ReadValue::Bool(b) => Value::Bool(b),
            ReadValue::Null => Value::Null,
            ReadValue::Unsupported(what) => return Err(what),
            // Containers are described by `take_scalar`.
            container => return Err(format!("{container:?}")),
        })
    }
}

impl<'de, 'r> Source<'de> for Read<'r> {
    type Text = String;
    type Num = DecimalText;
    type Bytes = Vec<u8>;
    type List = Elements<'r>;
    type Entries = Entries<'r>;
    type StrSet = Elements<'r>;
    type NumSet = Elements<'r>;
    type BinSet = Elements<'r>;

    #[inline]
    fn is_null(&self) -> bool {
        matches!(self.value, ReadValue::Null)
    }

    #[inline]
    fn shape(mut self) -> ShapeOf<'de, Self> {
        // The contents (if a container) now close it, not this value.
        let value = std::mem::replace(&mut self.value, ReadValue::Null);
        let opened = |left| Opened {
            reader: self.reader,
            left,
        };
        match value {
            ReadValue::S(s) => Shape::S(s),
            ReadValue::N(n) => Shape::N(DecimalText(n)),
            ReadValue::B(b) => Shape::B(b),
            ReadValue::Bool(b) => Shape::Bool(b),
            ReadValue::Null => Shape::Null,
            ReadValue::L(n) => Shape::L(Elements(opened(n))),
            ReadValue::M(n) => Shape::M(Entries(opened(n))),
            ReadValue::Ss(n) => Shape::Ss(Elements(opened(n))),
            ReadValue::Ns(n) => Shape::Ns(Elements(opened(n))),
            ReadValue::Bs(n) => Shape::Bs(Elements(opened(n))),
            ReadValue::Unsupported(what) => Shape::Unsupported(what),
        }
    }
}

/// A number as the reader's decimal text, checked when it is decoded.
pub(crate) struct DecimalText(String);

impl DecimalText {
    /// The exact number (an error naming the text if it is not a DynamoDB number).
    fn number(&self) -> Result<Number> {
        Number::parse(&self.0).map_err(|e: NumberError| BridgeError::new(e.to_string()))
    }

    /// The text, if it is plain decimal notation (digits, a sign, a point: no exponent, no
    /// `inf` or `NaN`) of at most 38 characters, which the standard float parsers read exactly
    /// as [`Number`] would: every such text they accept is a number [`Number::parse`] accepts
    /// too (at most 38 digits, within DynamoDB's range), and what they refuse goes through
    /// [`Number`], which names the error.
    fn plain(&self) -> Option<&str> {
        let plain = self.0.len() <= 38
            && self
                .0
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.');
        plain.then_some(self.0.as_str())
    }
}

impl<'de> Num<'de> for DecimalText {
    #[inline]
    fn integer<T>(self) -> Result<T>
    where
        T: TryFrom<i64> + for<'n> TryFrom<&'n Number, Error = NumberError>,
    {
        // One exact pass over the text for the integers an `i64` holds; the rest (and every
        // error's wording) through `Number`.
        if let Ok(Ok(x)) = self.0.parse::<i64>().map(T::try_from) {
            return Ok(x);
        }
        self.number()?.integer()
    }

    fn nearest_f32(self) -> Result<f32> {
        match self.plain().map(str::parse::<f32>) {
            Some(Ok(x)) => Ok(x),
            _ => self.number()?.nearest_f32(),
        }
    }

    fn nearest_f64(self) -> Result<f64> {
        match self.plain().map(str::parse::<f64>) {
            Some(Ok(x)) => Ok(x),
            _ => self.number()?.nearest_f64(),
        }
    }

    fn visit_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visit_number_any(self.number()?, visitor)
    }

    /// The canonical text (the reader's text may be in any notation DynamoDB accepts).
    fn visit_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let n = self.number()?;
        visitor.visit_str(n.as_str())
    }
}

impl NumText for DecimalText {
    fn text(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_reader;
    use serde::Deserialize;

    /// A reader of attributes given as name/value pairs, each container's contents after it.
    #[derive(Debug, Clone)]
    struct Given(Vec<(String, ReadValue)>);

    impl ItemReader for Given {
        fn get(&self, _: &str) -> Result<Option<Value>, Error> {
            Ok(None)
        }
        fn to_item(&self) -> Result<Item, Error> {
            Ok(Item::new())
        }
        fn clone_reader(&self) -> Box<dyn ItemReader> {
            Box::new(self.clone())
        }
        fn next_attribute(&mut self) -> Option<(String, ReadValue)> {
            (!self.0.is_empty()).then(|| self.0.remove(0))
        }
        fn next_element(&mut self) -> Option<ReadValue> {
            self.next_attribute().map(|(_, v)| v)
        }
        fn next_entry(&mut self) -> Option<(String, ReadValue)> {
            self.next_attribute()
        }
        fn close(&mut self) {}
    }

    fn given(pairs: &[(&str, ReadValue)]) -> Box<dyn ItemReader> {
        Box::new(Given(
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect(),
        ))
    }

    fn unsupported() -> ReadValue {
        ReadValue::Unsupported("an attribute value of a type the client does not know".into())
    }

    #[test]
    fn an_unsupported_value_is_an_error_when_decoded_and_not_when_skipped() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Note {
            note: Option<String>,
        }
        let err = from_reader::<Note>(given(&[("note", unsupported())]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "note: expected a string, found an attribute value of a type the client does not know"
            ),
            "{err}"
        );
        // Inside a list, read as anything: the error names the element.
        let err = from_reader::<std::collections::BTreeMap<String, serde_json::Value>>(given(&[
            ("l", ReadValue::L(2)),
            ("", ReadValue::Bool(true)),
            ("", unsupported()),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("l[1]: expected a value, found an attribute"),
            "{err}"
        );
        // A field the model does not have is skipped unread.
        #[derive(Deserialize, Debug, PartialEq)]
        struct Flag {
            flag: bool,
        }
        let flag: Flag = from_reader(given(&[
            ("other", unsupported()),
            ("flag", ReadValue::Bool(true)),
        ]))
        .unwrap();
        assert_eq!(flag, Flag { flag: true });
    }

    #[test]
    fn number_text_is_checked_when_decoded() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Float {
            n: f64,
        }
        // 39 significant digits: more than DynamoDB keeps.
        let long = "1".repeat(39);
        for text in ["1.2.3", "-", "", &long] {
            let err = from_reader::<Float>(given(&[("n", ReadValue::N(text.into()))]))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("n: "), "{text}: {err}");
        }
        let ok: Float = from_reader(given(&[("n", ReadValue::N("-0.25".into()))])).unwrap();
        assert_eq!(ok.n, -0.25);
    }
}
