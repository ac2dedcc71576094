//! DynamoDB sets (`SS`, `NS`, `BS`): the wrapper types [`StringSet`], [`NumberSet`] and
//! [`BinarySet`], and the `#[serde(with = ..)]` helper modules [`string_set`], [`number_set`]
//! and [`binary_set`] for plain set fields.
//!
//! Sets serialize as newtype structs with private magic names around their members, which this
//! crate's serializer turns into `SS`/`NS`/`BS` and other serializers see as plain sequences
//! (`serde_json` writes a JSON array). An empty set is left out of its map (DynamoDB rejects
//! empty sets); the wrappers read an absent attribute, `NULL` or JSON `null` back as an empty set.

use super::{BINARY_SET, NUMBER_SET, STRING_SET};
use crate::number::Number;
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

/// Carries the collection, member-as-read and member types of the set visitor.
type Marker<C, W, X> = PhantomData<fn() -> (C, W, X)>;

/// Reads a set: `None`/unit (absent attribute, `NULL`, JSON `null`) is the empty set; `Some` and
/// the magic newtype (`SS`/`NS`/`BS`) are unwrapped; the members (any sequence, in other formats)
/// are collected straight into the target collection.
struct OptionalSet<C, W, X> {
    name: &'static str,
    marker: Marker<C, W, X>,
}

impl<C, W, X> OptionalSet<C, W, X> {
    fn new(name: &'static str) -> Self {
        OptionalSet {
            name,
            marker: PhantomData,
        }
    }
}

impl<'de, C, W, X> Visitor<'de> for OptionalSet<C, W, X>
where
    C: FromIterator<X>,
    W: Deserialize<'de> + Into<X>,
{
    type Value = C;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.name {
            STRING_SET => "a string set",
            NUMBER_SET => "a number set",
            _ => "a binary set",
        })
    }

    fn visit_none<E: de::Error>(self) -> Result<C, E> {
        Ok(std::iter::empty().collect())
    }

    fn visit_unit<E: de::Error>(self) -> Result<C, E> {
        Ok(std::iter::empty().collect())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<C, D::Error> {
        d.deserialize_newtype_struct(self.name, self)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<C, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<C, A::Error> {
        let mut error = None;
        let collected = std::iter::from_fn(|| match seq.next_element::<W>() {
            Ok(Some(w)) => Some(w.into()),
            Ok(None) => None,
            Err(e) => {
                error = Some(e);
                None
            }
        })
        .collect();
        match error {
            Some(e) => Err(e),
            None => Ok(collected),
        }
    }
}

/// One binary member: accepts bytes, or (from formats without bytes) a sequence of `u8`.
struct ByteMember(Vec<u8>);

impl<'de> Deserialize<'de> for ByteMember {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_bytes::ByteBuf::deserialize(d).map(|b| ByteMember(b.into_vec()))
    }
}

impl From<ByteMember> for Vec<u8> {
    fn from(b: ByteMember) -> Vec<u8> {
        b.0
    }
}

/// Serializes each member of a binary set as bytes.
struct BytesMembers<'a, T: ?Sized>(&'a T);

impl<T, V> Serialize for BytesMembers<'_, T>
where
    T: ?Sized,
    for<'a> &'a T: IntoIterator<Item = &'a V>,
    V: AsRef<[u8]>,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.0
                .into_iter()
                .map(|b| serde_bytes::Bytes::new(b.as_ref())),
        )
    }
}

macro_rules! set_wrapper {
    (
        $(#[$doc:meta])*
        $name:ident($member:ty), $into:ident, $magic:ident, $with:ident
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub BTreeSet<$member>);

        impl $name {
            /// An empty set.
            pub fn new() -> Self {
                $name(BTreeSet::new())
            }

            /// The inner `BTreeSet`.
            pub fn into_inner(self) -> BTreeSet<$member> {
                self.0
            }
        }

        impl Deref for $name {
            type Target = BTreeSet<$member>;
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl DerefMut for $name {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }

        impl From<BTreeSet<$member>> for $name {
            fn from(set: BTreeSet<$member>) -> Self {
                $name(set)
            }
        }

        impl From<$name> for BTreeSet<$member> {
            fn from(set: $name) -> Self {
                set.0
            }
        }

        impl<M: $into<$member>> FromIterator<M> for $name {
            fn from_iter<I: IntoIterator<Item = M>>(iter: I) -> Self {
                $name(iter.into_iter().map(Into::into).collect())
            }
        }

        impl<M: $into<$member>> Extend<M> for $name {
            fn extend<I: IntoIterator<Item = M>>(&mut self, iter: I) {
                self.0.extend(iter.into_iter().map(Into::into))
            }
        }

        impl IntoIterator for $name {
            type Item = $member;
            type IntoIter = std::collections::btree_set::IntoIter<$member>;
            fn into_iter(self) -> Self::IntoIter {
                self.0.into_iter()
            }
        }

        impl<'a> IntoIterator for &'a $name {
            type Item = &'a $member;
            type IntoIter = std::collections::btree_set::Iter<'a, $member>;
            fn into_iter(self) -> Self::IntoIter {
                self.0.iter()
            }
        }

        impl From<$name> for crate::value::Value {
            fn from(set: $name) -> Self {
                crate::value::Value::$magic(set.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $with::serialize(&self.0, serializer)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $with::deserialize(d).map($name)
            }
        }
    };
}

set_wrapper! {
    /// A DynamoDB string set (`SS`): serializes to [`Value::Ss`](crate::Value::Ss).
    ///
    /// An empty set is left out of the item (DynamoDB rejects empty sets), and an absent
    /// attribute reads back as an empty set, so no `#[serde(default)]` is needed. Other formats
    /// see a sequence of strings.
    ///
    /// ```
    /// use orm_core::{to_item, from_item, StringSet, Value};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize, Debug, PartialEq)]
    /// struct Post {
    ///     tags: StringSet,
    ///     labels: StringSet,
    /// }
    ///
    /// let post = Post { tags: ["rust", "dynamodb"].into_iter().collect(), labels: StringSet::new() };
    /// let item = to_item(&post)?;
    /// assert!(matches!(item["tags"], Value::Ss(ref s) if s.len() == 2));
    /// assert!(!item.contains_key("labels")); // empty sets are omitted
    /// assert_eq!(from_item::<Post>(item)?, post);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    StringSet(String), Into, Ss, string_set
}

set_wrapper! {
    /// A DynamoDB number set (`NS`) of exact [`Number`]s: serializes to
    /// [`Value::Ns`](crate::Value::Ns).
    ///
    /// Collect it from any integers or numbers. An empty set is left out of the item, and an
    /// absent attribute reads back as an empty set. Other formats see a sequence of number
    /// strings.
    ///
    /// ```
    /// use orm_core::{to_item, from_item, NumberSet, Number, Value};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize, Debug, PartialEq)]
    /// struct Scores {
    ///     scores: NumberSet,
    /// }
    ///
    /// let s = Scores { scores: [3u32, 1, 2].into_iter().collect() };
    /// let item = to_item(&s)?;
    /// assert!(matches!(&item["scores"], Value::Ns(set) if set.contains(&Number::from(2u32))));
    /// assert_eq!(from_item::<Scores>(item)?, s);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    NumberSet(Number), Into, Ns, number_set
}

set_wrapper! {
    /// A DynamoDB binary set (`BS`): serializes to [`Value::Bs`](crate::Value::Bs).
    ///
    /// An empty set is left out of the item, and an absent attribute reads back as an empty
    /// set. Other formats see a sequence of byte sequences.
    ///
    /// ```
    /// use orm_core::{to_item, from_item, BinarySet, Value};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize, Debug, PartialEq)]
    /// struct Keys {
    ///     fingerprints: BinarySet,
    /// }
    ///
    /// let k = Keys { fingerprints: [vec![1u8, 2], vec![3]].into_iter().collect() };
    /// let item = to_item(&k)?;
    /// assert!(matches!(&item["fingerprints"], Value::Bs(set) if set.len() == 2));
    /// assert_eq!(from_item::<Keys>(item)?, k);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    BinarySet(Vec<u8>), Into, Bs, binary_set
}

/// The `serialize` of a set module whose members serialize as themselves: the collection goes
/// under the set's magic name `$name`.
macro_rules! serialize_members {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn serialize<T, S>(set: &T, serializer: S) -> Result<S::Ok, S::Error>
        where
            T: ?Sized + Serialize,
            S: Serializer,
        {
            serializer.serialize_newtype_struct($name, set)
        }
    };
}

/// `#[serde(with = "orm_core::serde_bridge::string_set")]`: stores a plain collection of strings
/// (`BTreeSet<String>`, `HashSet<String>`, even `Vec<String>`) as a DynamoDB string set (`SS`).
///
/// An empty collection is left out of the item; add `default` so that an absent attribute reads
/// back as an empty collection (serde requires it for `with` fields). Duplicates in a `Vec`
/// collapse, and members come back in sorted order.
///
/// ```
/// use orm_core::{to_item, from_item, Value};
/// use serde::{Deserialize, Serialize};
/// use std::collections::{BTreeSet, HashSet};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct User {
///     #[serde(with = "orm_core::serde_bridge::string_set", default)]
///     roles: BTreeSet<String>,
///     #[serde(with = "orm_core::serde_bridge::string_set", default)]
///     groups: HashSet<String>,
/// }
///
/// let u = User { roles: ["admin".to_string()].into(), groups: HashSet::new() };
/// let item = to_item(&u)?;
/// assert!(matches!(item["roles"], Value::Ss(_)));
/// assert!(!item.contains_key("groups"));
/// assert_eq!(from_item::<User>(item)?, u);
/// # Ok::<(), orm_core::Error>(())
/// ```
pub mod string_set {
    use super::*;

    serialize_members!(
        STRING_SET,
        "Serializes any collection of strings as a string set."
    );

    /// Deserializes a string set (or a list of strings) into any collection of strings.
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromIterator<String>,
        D: Deserializer<'de>,
    {
        deserializer.deserialize_option(OptionalSet::<T, String, String>::new(STRING_SET))
    }
}

/// `#[serde(with = "orm_core::serde_bridge::number_set")]`: stores a plain collection of numbers
/// (`BTreeSet<u32>`, `HashSet<i64>`, `BTreeSet<Number>`, ...) as a DynamoDB number set (`NS`).
///
/// Members are read back exactly: a member that does not fit the element type is an error naming
/// it (`scores[2]: 1.5 does not fit in u32`). Floats serialize too, but `f64` is neither `Eq` nor
/// `Hash`, so prefer [`Number`] for fractional members. Add `default` so that an absent attribute
/// reads back as an empty collection.
///
/// ```
/// use orm_core::{to_item, from_item, Value};
/// use serde::{Deserialize, Serialize};
/// use std::collections::{BTreeSet, HashSet};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Stats {
///     #[serde(with = "orm_core::serde_bridge::number_set", default)]
///     years: BTreeSet<u16>,
///     #[serde(with = "orm_core::serde_bridge::number_set", default)]
///     offsets: HashSet<i64>,
/// }
///
/// let s = Stats { years: [2024, 2025].into(), offsets: [-5, 7].into() };
/// let item = to_item(&s)?;
/// assert!(matches!(item["years"], Value::Ns(_)));
/// assert_eq!(from_item::<Stats>(item)?, s);
/// # Ok::<(), orm_core::Error>(())
/// ```
pub mod number_set {
    use super::*;

    serialize_members!(
        NUMBER_SET,
        "Serializes any collection of numbers as a number set."
    );

    /// Deserializes a number set (or a list of numbers) into any collection of a number type.
    pub fn deserialize<'de, T, E, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromIterator<E>,
        E: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        deserializer.deserialize_option(OptionalSet::<T, E, E>::new(NUMBER_SET))
    }
}

/// `#[serde(with = "orm_core::serde_bridge::binary_set")]`: stores a plain collection of byte vectors
/// (`BTreeSet<Vec<u8>>`, `HashSet<Vec<u8>>`) as a DynamoDB binary set (`BS`).
///
/// Add `default` so that an absent attribute reads back as an empty collection.
///
/// ```
/// use orm_core::{to_item, from_item, Value};
/// use serde::{Deserialize, Serialize};
/// use std::collections::HashSet;
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Blobs {
///     #[serde(with = "orm_core::serde_bridge::binary_set", default)]
///     chunks: HashSet<Vec<u8>>,
/// }
///
/// let b = Blobs { chunks: [vec![0u8, 1], vec![2]].into() };
/// let item = to_item(&b)?;
/// assert!(matches!(item["chunks"], Value::Bs(_)));
/// assert_eq!(from_item::<Blobs>(item)?, b);
/// # Ok::<(), orm_core::Error>(())
/// ```
pub mod binary_set {
    use super::*;

    /// Serializes any collection of byte vectors (anything `AsRef<[u8]>`) as a binary set.
    pub fn serialize<T, V, S>(set: &T, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: ?Sized,
        for<'a> &'a T: IntoIterator<Item = &'a V>,
        V: AsRef<[u8]>,
        S: Serializer,
    {
        serializer.serialize_newtype_struct(BINARY_SET, &BytesMembers(set))
    }

    /// Deserializes a binary set (or a list of binary values) into any collection of `Vec<u8>`.
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromIterator<Vec<u8>>,
        D: Deserializer<'de>,
    {
        deserializer.deserialize_option(OptionalSet::<T, ByteMember, Vec<u8>>::new(BINARY_SET))
    }
}
