//! The serde bridge: any `Serialize` type to an [`Item`] or [`Value`], and back.
//!
//! [`to_item`] / [`from_item`] convert whole items (a struct or map at the top level);
//! [`to_value`] / [`from_value`] convert single attribute values.
//!
//! # The mapping
//!
//! | Rust (serde data model)                    | DynamoDB                                   |
//! |--------------------------------------------|--------------------------------------------|
//! | `String`, `&str`, `char`                   | `S` (empty strings allowed)                |
//! | all integers, `i128`/`u128` included       | `N`, exactly                               |
//! | `f32`, `f64`                               | `N`, shortest round-trip text              |
//! | [`Number`](crate::Number)                                 | `N`, exactly                               |
//! | `bool`                                     | `BOOL`                                     |
//! | bytes (`serde_bytes`)                      | `B`                                        |
//! | `Option::None`, `()`, unit structs         | left out of maps; `NULL` in lists          |
//! | sequences, tuples, tuple structs           | `L`                                        |
//! | structs, maps with string-like keys        | `M`                                        |
//! | unit enum variant                          | `S` (the variant name)                     |
//! | newtype / tuple / struct variant           | `M` with one entry `{variant: content}`    |
//! | [`StringSet`], [`NumberSet`], [`BinarySet`]| `SS`, `NS`, `BS` (left out of maps when empty) |
//!
//! Map keys may be strings, chars, integers, booleans or unit enum variants. Internally tagged,
//! adjacently tagged and untagged enums work as serde defines them. Newtype structs are
//! transparent. Plain set fields use the [`string_set`], [`number_set`] and [`binary_set`]
//! helpers with `#[serde(with = ..)]`.
//!
//! `None` is never written as `NULL` in a map: an absent attribute keeps an item out of a sparse
//! index, where a `NULL` key attribute would be rejected. Reading, an absent `Option` field is
//! `None` (serde's own rule); an absent field of another type needs `#[serde(default)]`, the
//! set wrappers excepted. Unit-typed fields (`()`, `PhantomData`) are left out too, so give them
//! `#[serde(skip)]` or `#[serde(default)]`.
//!
//! # Exactness and errors
//!
//! Reads into a typed field are exact: `1.5` into an `i64`, a 39-digit number into a `u64`, or
//! `"42"` into a `u32` is an error, never a rounding or a coercion. Numbers read as strings give
//! their canonical text. Errors are [`Error::Serde`] and name the path of the offending value:
//!
//! ```text
//! orders[3].total: 1.5 does not fit in i64
//! user.age: expected a number, found S "abc"
//! metrics.ratio: NaN cannot be stored (DynamoDB numbers are finite)
//! ```
//!
//! Paths are tracked as a chain of stack frames and rendered only when an error happens, so
//! the success path allocates nothing for them.
//!
//! The one lossy path is `deserialize_any`, used by untagged and internally tagged enums and by
//! self-describing targets such as `serde_json::Value`: there a number becomes a `u64`/`i64`
//! when it fits, else a `u128`/`i128`, else the nearest `f64`. So a 20-digit fraction inside an
//! internally tagged or untagged enum (or an adjacently tagged one whose content key sorts
//! before its tag) loses digits, and `i128`/`u128` fields cannot be read there at all (serde
//! buffers those enums without 128-bit support). Keep exact numbers in structs and externally
//! tagged enums, as [`Number`](crate::Number) or integer fields.
//! Sets read through `deserialize_any` become sequences, binary values byte buffers.
//!
//! Lists and maps may nest at most [`MAX_DEPTH`] levels (DynamoDB's limit); deeper values are
//! an error when writing.
//!
//! ```
//! use orm_core::{from_item, to_item, Value};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Order {
//!     id: String,
//!     total: u64,
//!     note: Option<String>,
//! }
//!
//! let order = Order { id: "o1".into(), total: 1250, note: None };
//! let item = to_item(&order)?;
//! assert_eq!(item["total"], Value::from(1250u64));
//! assert!(!item.contains_key("note")); // None is omitted, not NULL
//! assert_eq!(from_item::<Order>(item)?, order);
//! # Ok::<(), orm_core::Error>(())
//! ```

mod de;
mod field_path;
mod num;
pub(crate) mod reader;
mod ser;
mod sets;

pub use sets::{binary_set, number_set, string_set, BinarySet, NumberSet, StringSet};

use crate::error::{Error, Result};
use crate::name_signature::NameSet;
use crate::value::{Item, Value, ValueRef};
use de::{De, Found};
use field_path::FieldPath;
use reader::ItemReader;
use ser::{ItemSer, Ser, TopLevel};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How deeply lists and maps may nest inside an item or value: DynamoDB's limit of 32 levels.
///
/// An item's attributes are at level 1; a list or map inside one of them at level 2, and so on.
pub const MAX_DEPTH: usize = 32;

// Private newtype-struct names that carry DynamoDB types through serde's data model. They start
// with `$`, which no Rust type name can, so they cannot collide with user types.
pub(crate) const NUMBER: &str = "$orm_core::private::Number";
pub(crate) const STRING_SET: &str = "$orm_core::private::StringSet";
pub(crate) const NUMBER_SET: &str = "$orm_core::private::NumberSet";
pub(crate) const BINARY_SET: &str = "$orm_core::private::BinarySet";

/// Whether a newtype struct's name is one of the magic names above: one byte decides it, as no
/// Rust type name starts with `$`.
#[inline]
pub(crate) fn is_magic_name(name: &str) -> bool {
    name.as_bytes().first() == Some(&b'$')
}

/// Converts a value that serializes as a struct or map into an [`Item`].
///
/// `None` fields, unit fields and empty sets are left out. Anything that is not a struct or map
/// at the top level (a string, a list, `None`...) is an [`Error::Serde`] naming what it was.
///
/// ```
/// use orm_core::{to_item, Value};
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct User { name: String, age: u8, nick: Option<String> }
///
/// let item = to_item(&User { name: "Ada".into(), age: 36, nick: None })?;
/// assert_eq!(item["name"], Value::from("Ada"));
/// assert_eq!(item["age"], Value::from(36u8));
/// assert!(!item.contains_key("nick"));
/// assert!(to_item(&"just a string").is_err());
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn to_item<T: Serialize + ?Sized>(value: &T) -> Result<Item> {
    let root = FieldPath::Root;
    // The item itself is level 0: its attributes are level 1.
    match value
        .serialize(Ser {
            path: &root,
            depth: 0,
        })
        .map_err(|e| e.at(&root))?
    {
        Value::M(map) => Ok(Item(map)),
        other => Err(not_an_item(&other)),
    }
}

/// [`to_item`]'s attributes before they are made a map: a struct's fields in the order serde
/// gives them (a name given twice, by renames, is there twice; the later is the one the map
/// keeps), a map's entries sorted. For a caller that adds attributes of its own (the table
/// layout's keys: `extra` of them, for which a struct's vector leaves room) and then builds the
/// item once. With the entries' [`NameSet`] (told apart as a struct's fields are pushed). The
/// same errors as [`to_item`].
pub(crate) fn to_entries<T: Serialize + ?Sized>(
    value: &T,
    extra: usize,
) -> Result<(Vec<(String, Value)>, NameSet)> {
    let root = FieldPath::Root;
    let top = value
        .serialize(ItemSer {
            ser: Ser {
                path: &root,
                depth: 0,
            },
            extra,
        })
        .map_err(|e| e.at(&root))?;
    match top {
        TopLevel::Fields(fields, names) => Ok((fields, names)),
        TopLevel::Value(Value::M(map)) => {
            let mut names = NameSet::default();
            let entries: Vec<(String, Value)> = map.into_iter().collect();
            for (i, (name, _)) in entries.iter().enumerate() {
                names.add(name, &entries[..i]);
            }
            Ok((entries, names))
        }
        TopLevel::Value(other) => Err(not_an_item(&other)),
    }
}

#[cold]
fn not_an_item(found: &Value) -> Error {
    Error::Serde {
        path: String::new(),
        message: format!(
            "an item must serialize as a struct or map, found {}",
            Found(found)
        ),
    }
}

/// Converts an [`Item`] into a `T`, consuming it (strings and bytes are moved, not copied).
///
/// ```
/// use orm_core::{from_item, Item};
/// use serde::Deserialize;
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct User { name: String, age: u8, nick: Option<String> }
///
/// let item = Item::new().with("name", "Ada").with("age", 36u8);
/// let user: User = from_item(item)?;
/// assert_eq!(user, User { name: "Ada".into(), age: 36, nick: None });
///
/// let bad = Item::new().with("name", "Ada").with("age", "old");
/// let err = from_item::<User>(bad).unwrap_err();
/// assert_eq!(err.to_string(), r#"age: expected a number, found S "old""#);
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T> {
    from_value(Value::M(item.0))
}

/// Converts any serializable value into a single [`Value`].
///
/// Follows the same rules as [`to_item`]; a top-level `None` or unit becomes [`Value::Null`].
///
/// ```
/// use orm_core::{to_value, Value};
///
/// assert_eq!(to_value(&vec![Some(1u8), None])?, Value::L(vec![Value::from(1u8), Value::Null]));
/// assert_eq!(to_value(&0.1f64)?.to_string(), "0.1");
/// assert_eq!(to_value(&f64::NAN).unwrap_err().to_string(),
///            "NaN cannot be stored (DynamoDB numbers are finite)");
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value> {
    let root = FieldPath::Root;
    // A value is stored as an attribute: a list or map here is level 1.
    Ok(value
        .serialize(Ser {
            path: &root,
            depth: 1,
        })
        .map_err(|e| e.at(&root))?)
}

/// Converts a [`Value`] into a `T`, consuming it.
///
/// ```
/// use orm_core::{from_value, Number, Value};
///
/// let n: u64 = from_value(Value::from(42u64))?;
/// assert_eq!(n, 42);
/// let exact: Number = from_value(Value::N("12345678901234567890.123456789".parse()?))?;
/// assert_eq!(exact.to_string(), "12345678901234567890.123456789");
/// let err = from_value::<i64>(Value::N("1.5".parse()?)).unwrap_err();
/// assert_eq!(err.to_string(), "1.5 does not fit in i64");
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T> {
    let root = FieldPath::Root;
    Ok(T::deserialize(De { value, path: &root }).map_err(|e| e.at(&root))?)
}

/// [`from_item`] for an item given as its attributes in any order (as
/// [`RawItem::Entries`](crate::backend::RawItem::Entries) holds them): the same mapping and
/// errors, without sorting the attributes into an [`Item`] first.
///
/// Field order does not matter to serde's structs. It can matter where serde buffers content
/// through `deserialize_any` (untagged and internally tagged enums, `#[serde(flatten)]`), and
/// only for which of two readings of one value wins; such models read the same either way.
///
/// ```
/// use orm_core::{from_entries, Value};
/// use serde::Deserialize;
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct User { name: String, age: u8 }
///
/// let entries = vec![("age".to_owned(), Value::from(36u8)), ("name".to_owned(), Value::from("Ada"))];
/// assert_eq!(from_entries::<User, _>(entries)?, User { name: "Ada".into(), age: 36 });
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn from_entries<T, I>(entries: I) -> Result<T>
where
    T: DeserializeOwned,
    I: IntoIterator<Item = (String, Value)>,
{
    let root = FieldPath::Root;
    Ok(T::deserialize(de::EntriesDe {
        entries: entries.into_iter(),
        path: &root,
    })
    .map_err(|e| e.at(&root))?)
}

/// [`from_item`] for an item a client library read ([`ItemReader`], as
/// [`RawItem::Reader`](crate::backend::RawItem::Reader) holds it), read in place: its
/// attributes are decoded straight into `T`, their strings and buffers moved out of the reader,
/// with no [`Value`] built. The same mapping and errors as [`from_item`].
///
/// ```
/// use orm_core::backend::{ItemReader, ReadValue};
/// use orm_core::{from_reader, Item, Value};
/// use serde::Deserialize;
///
/// /// A reader of one attribute, `tags`, a list of strings.
/// #[derive(Debug, Clone)]
/// struct Tags(Vec<String>, bool);
///
/// impl ItemReader for Tags {
///     fn get(&self, _: &str) -> orm_core::Result<Option<Value>> { Ok(None) }
///     fn to_item(&self) -> orm_core::Result<Item> { Ok(Item::new()) }
///     fn clone_reader(&self) -> Box<dyn ItemReader> { Box::new(self.clone()) }
///     fn next_attribute(&mut self) -> Option<(String, ReadValue)> {
///         // Handed over open: the elements come next.
///         (!std::mem::replace(&mut self.1, true)).then(|| ("tags".into(), ReadValue::L(self.0.len())))
///     }
///     fn next_element(&mut self) -> Option<ReadValue> { self.0.pop().map(ReadValue::S) }
///     fn next_entry(&mut self) -> Option<(String, ReadValue)> { None }
///     fn close(&mut self) {}
/// }
///
/// #[derive(Deserialize)]
/// struct Post { tags: Vec<String> }
///
/// let post: Post = from_reader(Box::new(Tags(vec!["b".into(), "a".into()], false)))?;
/// assert_eq!(post.tags, ["a", "b"]);
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn from_reader<T: DeserializeOwned>(reader: Box<dyn ItemReader>) -> Result<T> {
    from_reader_keeping(reader, |_, _| true)
}

/// [`from_reader`], decoding only the attributes `keep` accepts (the others are skipped unread).
/// `keep` sees each attribute's name and value as handed over, and may take a scalar value it
/// skips (see [`reader::Attributes`]).
pub(crate) fn from_reader_keeping<T: DeserializeOwned>(
    reader: Box<dyn ItemReader>,
    keep: impl FnMut(&str, &mut reader::ReadValue) -> bool,
) -> Result<T> {
    let reader = std::cell::RefCell::new(reader);
    let root = FieldPath::Root;
    let entries = reader::Attributes {
        reader: &reader,
        keep,
    };
    Ok(T::deserialize(de::EntriesDe {
        entries,
        path: &root,
    })
    .map_err(|e| e.at(&root))?)
}

/// [`from_entries`] for an item given as borrowed attributes ([`ValueRef`]s, as a
/// [`SharedItem`](crate::backend::SharedItem) views the item a backend keeps): the same mapping
/// and errors, with no owned [`Value`] built. Strings are copied only into the fields that keep
/// them; integers go into integer fields without a [`Number`](crate::Number) in between.
///
/// ```
/// use orm_core::{from_attributes, NumberRef, ValueRef};
/// use serde::Deserialize;
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct User { name: String, age: u8 }
///
/// let attributes = vec![("age", ValueRef::N(NumberRef::Int(36))), ("name", ValueRef::S("Ada"))];
/// assert_eq!(from_attributes::<User, _>(attributes)?, User { name: "Ada".into(), age: 36 });
/// let bad = vec![("age", ValueRef::N(NumberRef::Int(300))), ("name", ValueRef::S("Ada"))];
/// assert_eq!(from_attributes::<User, _>(bad).unwrap_err().to_string(), "age: 300 does not fit in u8");
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn from_attributes<'a, T, I>(attributes: I) -> Result<T>
where
    T: serde::Deserialize<'a>,
    I: IntoIterator<Item = (&'a str, ValueRef<'a>)>,
{
    let root = FieldPath::Root;
    Ok(T::deserialize(de::EntriesDe {
        entries: attributes.into_iter(),
        path: &root,
    })
    .map_err(|e| e.at(&root))?)
}
