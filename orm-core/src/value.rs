//! DynamoDB attribute values ([`Value`]), items ([`Item`]) and primary keys ([`Key`]).

use crate::number::Number;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One DynamoDB attribute value: the ten types of the DynamoDB data model.
///
/// Sets are ordered sets so that equality ignores insertion order, as DynamoDB's does.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// String (`S`).
    S(String),
    /// Number (`N`), exact.
    N(Number),
    /// Binary (`B`).
    B(Vec<u8>),
    /// Boolean (`BOOL`).
    Bool(bool),
    /// Null (`NULL`).
    Null,
    /// List (`L`).
    L(Vec<Value>),
    /// Map (`M`).
    M(BTreeMap<String, Value>),
    /// String set (`SS`); never empty when stored.
    Ss(BTreeSet<String>),
    /// Number set (`NS`); never empty when stored.
    Ns(BTreeSet<Number>),
    /// Binary set (`BS`); never empty when stored.
    Bs(BTreeSet<Vec<u8>>),
}

/// The DynamoDB type of a [`Value`], as named in `attribute_type` conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    /// `S`
    S,
    /// `N`
    N,
    /// `B`
    B,
    /// `BOOL`
    Bool,
    /// `NULL`
    Null,
    /// `L`
    L,
    /// `M`
    M,
    /// `SS`
    Ss,
    /// `NS`
    Ns,
    /// `BS`
    Bs,
}

impl ValueType {
    /// The ten types, in the order they are declared.
    pub const ALL: [ValueType; 10] = [
        ValueType::S,
        ValueType::N,
        ValueType::B,
        ValueType::Bool,
        ValueType::Null,
        ValueType::L,
        ValueType::M,
        ValueType::Ss,
        ValueType::Ns,
        ValueType::Bs,
    ];

    /// The type whose DynamoDB descriptor is `descriptor` (exactly: `SS`, not `ss`).
    ///
    /// ```
    /// use orm_core::ValueType;
    /// assert_eq!(ValueType::from_descriptor("BOOL"), Some(ValueType::Bool));
    /// assert_eq!(ValueType::from_descriptor("bool"), None);
    /// ```
    pub fn from_descriptor(descriptor: &str) -> Option<ValueType> {
        ValueType::ALL
            .into_iter()
            .find(|t| t.descriptor() == descriptor)
    }

    /// The type's DynamoDB descriptor (`S`, `N`, `BOOL`, `SS`, ...).
    pub fn descriptor(self) -> &'static str {
        match self {
            ValueType::S => "S",
            ValueType::N => "N",
            ValueType::B => "B",
            ValueType::Bool => "BOOL",
            ValueType::Null => "NULL",
            ValueType::L => "L",
            ValueType::M => "M",
            ValueType::Ss => "SS",
            ValueType::Ns => "NS",
            ValueType::Bs => "BS",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.descriptor())
    }
}

impl Value {
    /// This value's DynamoDB type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::S(_) => ValueType::S,
            Value::N(_) => ValueType::N,
            Value::B(_) => ValueType::B,
            Value::Bool(_) => ValueType::Bool,
            Value::Null => ValueType::Null,
            Value::L(_) => ValueType::L,
            Value::M(_) => ValueType::M,
            Value::Ss(_) => ValueType::Ss,
            Value::Ns(_) => ValueType::Ns,
            Value::Bs(_) => ValueType::Bs,
        }
    }

    /// The string, if this is an `S`.
    pub fn as_s(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is an `N`.
    pub fn as_n(&self) -> Option<&Number> {
        match self {
            Value::N(n) => Some(n),
            _ => None,
        }
    }

    /// The bytes, if this is a `B`.
    pub fn as_b(&self) -> Option<&[u8]> {
        match self {
            Value::B(b) => Some(b),
            _ => None,
        }
    }

    /// The map, if this is an `M`.
    pub fn as_m(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::M(m) => Some(m),
            _ => None,
        }
    }

    /// The list, if this is an `L`.
    pub fn as_l(&self) -> Option<&[Value]> {
        match self {
            Value::L(l) => Some(l),
            _ => None,
        }
    }

    /// The size DynamoDB counts for this value (without an attribute name), in bytes.
    ///
    /// Follows DynamoDB's published item-size rules: strings and binaries by length, numbers
    /// as one byte per two significant digits plus one, one byte for booleans and nulls, three bytes
    /// of overhead plus one per element for lists and maps.
    #[inline]
    pub fn size(&self) -> usize {
        match self {
            Value::S(s) => s.len(),
            Value::N(n) => number_size(n),
            Value::B(b) => b.len(),
            Value::Bool(_) | Value::Null => 1,
            container => container.container_size(),
        }
    }

    /// [`Value::size`] of a list, map or set (scalars are sized in line, where items are).
    #[inline(never)]
    fn container_size(&self) -> usize {
        match self {
            Value::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            Value::M(m) => 3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            Value::Ss(s) => s.iter().map(|x| x.len()).sum(),
            Value::Ns(s) => s.iter().map(number_size).sum(),
            Value::Bs(s) => s.iter().map(|x| x.len()).sum(),
            scalar => scalar.size(),
        }
    }

    /// A borrowed view of this value ([`ValueRef`], numbers as their text).
    ///
    /// ```
    /// use orm_core::{Value, ValueRef};
    ///
    /// assert_eq!(Value::from("a").view(), ValueRef::S("a"));
    /// ```
    pub fn view(&self) -> ValueRef<'_> {
        use std::borrow::Cow;
        match self {
            Value::S(s) => ValueRef::S(s),
            Value::N(n) => ValueRef::N(NumberRef::Text(n.as_str())),
            Value::B(b) => ValueRef::B(Cow::Borrowed(b)),
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Null => ValueRef::Null,
            Value::L(l) => ValueRef::L(l.iter().map(Value::view).collect()),
            Value::M(m) => ValueRef::M(m.iter().map(|(k, v)| (k.as_str(), v.view())).collect()),
            Value::Ss(s) => ValueRef::Ss(s.iter().map(String::as_str).collect()),
            Value::Ns(s) => ValueRef::Ns(s.iter().map(|n| NumberRef::Text(n.as_str())).collect()),
            Value::Bs(s) => ValueRef::Bs(s.iter().map(|b| Cow::Borrowed(b.as_slice())).collect()),
        }
    }

    /// Whether this is a key-capable scalar (`S`, `N` or `B`).
    pub fn is_key_type(&self) -> bool {
        matches!(self, Value::S(_) | Value::N(_) | Value::B(_))
    }

    /// A total order of values that agrees with `==` (for sorting values to find equal ones,
    /// such as a batch's keys): by type, in [`ValueType`]'s order, then by content: numbers
    /// numerically, strings and binaries bytewise, lists and maps element by element.
    pub(crate) fn total_cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::S(a), Value::S(b)) => a.cmp(b),
            (Value::N(a), Value::N(b)) => a.cmp(b),
            (Value::B(a), Value::B(b)) => a.cmp(b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::L(a), Value::L(b)) => lexicographic(a.iter(), b.iter(), Value::total_cmp),
            (Value::M(a), Value::M(b)) => {
                lexicographic(a.iter(), b.iter(), |(ka, va), (kb, vb)| {
                    ka.cmp(kb).then_with(|| va.total_cmp(vb))
                })
            }
            (Value::Ss(a), Value::Ss(b)) => a.cmp(b),
            (Value::Ns(a), Value::Ns(b)) => a.cmp(b),
            (Value::Bs(a), Value::Bs(b)) => a.cmp(b),
            _ => self.value_type().cmp(&other.value_type()),
        }
    }
}

/// Orders two sequences by their first unequal elements (`cmp`), else by length.
fn lexicographic<T>(
    mut a: impl Iterator<Item = T>,
    mut b: impl Iterator<Item = T>,
    cmp: impl Fn(T, T) -> Ordering,
) -> Ordering {
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) => match cmp(x, y) {
                Ordering::Equal => {}
                unequal => return unequal,
            },
            (x, y) => return x.is_some().cmp(&y.is_some()),
        }
    }
}

/// A number's size: one byte per two significant digits, plus one.
#[inline]
fn number_size(n: &Number) -> usize {
    n.significant_digits().div_ceil(2) + 1
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::S(s) => write!(f, "S({s:?})"),
            Value::N(n) => write!(f, "N({n})"),
            Value::B(b) => write!(f, "B({} bytes)", b.len()),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Null => f.write_str("Null"),
            Value::L(l) => f.debug_tuple("L").field(l).finish(),
            Value::M(m) => f.debug_tuple("M").field(m).finish(),
            Value::Ss(s) => f.debug_tuple("Ss").field(s).finish(),
            Value::Ns(s) => {
                f.write_str("Ns(")?;
                f.debug_set()
                    .entries(s.iter().map(|n| n.as_str()))
                    .finish()?;
                f.write_str(")")
            }
            Value::Bs(s) => write!(f, "Bs({} members)", s.len()),
        }
    }
}

impl fmt::Display for Value {
    /// Renders the value compactly for error messages and keys (`USER#1`, `42`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::S(s) => f.write_str(s),
            Value::N(n) => f.write_str(n.as_str()),
            other => write!(f, "{other:?}"),
        }
    }
}

macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::N(Number::from(v)) }
        }
    )*};
}
value_from_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

/// `From` impls of the types that are one variant each: `type => |v| value`.
macro_rules! value_from {
    ($($t:ty => |$v:ident| $value:expr),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from($v: $t) -> Self {
                $value
            }
        }
    )*};
}
value_from! {
    &str => |v| Value::S(v.to_owned()),
    String => |v| Value::S(v),
    &String => |v| Value::S(v.clone()),
    Number => |v| Value::N(v),
    bool => |v| Value::Bool(v),
    Vec<u8> => |v| Value::B(v),
    &[u8] => |v| Value::B(v.to_vec()),
    Vec<Value> => |v| Value::L(v),
    BTreeMap<String, Value> => |v| Value::M(v),
    Item => |v| Value::M(v.0),
}

/// One DynamoDB item: attribute names to values.
///
/// A thin wrapper over a `BTreeMap` (so iteration order is stable); it dereferences to the map.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Item(pub BTreeMap<String, Value>);

impl Item {
    /// An empty item.
    pub fn new() -> Item {
        Item(BTreeMap::new())
    }

    /// Adds an attribute, builder style.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Item {
        self.0.insert(name.into(), value.into());
        self
    }

    /// The size DynamoDB counts for this item: names plus values, in bytes (the 400 KB limit).
    pub fn size(&self) -> usize {
        self.0.iter().map(|(k, v)| k.len() + v.size()).sum()
    }

    /// Keeps only the named top-level attributes.
    pub fn project(&self, names: &[&str]) -> Item {
        Item(
            self.0
                .iter()
                .filter(|(k, _)| names.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// An item from its attributes in any order (each name once): they are sorted in place and
    /// the map is bulk-built from the sorted vector.
    ///
    /// ```
    /// use orm_core::{Item, Value};
    ///
    /// let item = Item::from_unsorted(vec![("b".into(), Value::from(2u8)), ("a".into(), Value::from(1u8))]);
    /// assert_eq!(item, Item::new().with("a", 1u8).with("b", 2u8));
    /// ```
    pub fn from_unsorted(mut entries: Vec<(String, Value)>) -> Item {
        // Names are distinct: an unstable sort is exact.
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Item(entries.into_iter().collect())
    }

    /// The inner map.
    pub fn into_inner(self) -> BTreeMap<String, Value> {
        self.0
    }
}

impl std::ops::Deref for Item {
    type Target = BTreeMap<String, Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Item {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

impl From<BTreeMap<String, Value>> for Item {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Item(m)
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Item {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Item(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl IntoIterator for Item {
    type Item = (String, Value);
    type IntoIter = std::collections::btree_map::IntoIter<String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Item {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A primary key (or an index key): partition value and optional sort value.
///
/// Defined here, with the values it holds, so that [`crate::error`] can carry keys without
/// depending on the key templates; used as [`crate::Key`] (also [`crate::key::Key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The partition key value.
    pub partition: Value,
    /// The sort key value, if the model has a sort key.
    pub sort: Option<Value>,
}

impl Key {
    /// A key with a partition value only.
    pub fn new(partition: impl Into<Value>) -> Key {
        Key {
            partition: partition.into(),
            sort: None,
        }
    }

    /// A key with partition and sort values.
    pub fn with_sort(partition: impl Into<Value>, sort: impl Into<Value>) -> Key {
        Key {
            partition: partition.into(),
            sort: Some(sort.into()),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.partition)?;
        if let Some(s) = &self.sort {
            write!(f, " / {s}")?;
        }
        Ok(())
    }
}

/// A number as a backend holds it, borrowed: an `i64` when it is an integer that fits one, else
/// its canonical text (what [`Number::as_str`] gives). Part of [`ValueRef`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberRef<'a> {
    /// An integer that fits an `i64`.
    Int(i64),
    /// The canonical text of a valid DynamoDB number (any number, including integers).
    Text(&'a str),
}

impl NumberRef<'_> {
    /// The owned [`Number`]; an error only if a `Text` is not a valid number (a backend bug).
    ///
    /// ```
    /// use orm_core::{Number, NumberRef};
    ///
    /// assert_eq!(NumberRef::Int(-7).to_number()?, Number::from(-7));
    /// assert_eq!(NumberRef::Text("1.5").to_number()?.as_str(), "1.5");
    /// # Ok::<(), orm_core::NumberError>(())
    /// ```
    pub fn to_number(&self) -> Result<Number, crate::number::NumberError> {
        match *self {
            NumberRef::Int(v) => Ok(Number::from(v)),
            NumberRef::Text(text) => Number::parse(text),
        }
    }
}

/// A borrowed view of one attribute value: what a backend that keeps items in its own encoding
/// hands out ([`SharedItem::attributes`](crate::backend::SharedItem::attributes)) so that a
/// model is decoded from it without an owned [`Item`] in between (see
/// [`from_attributes`](crate::from_attributes)). Strings are borrowed; binaries are borrowed
/// where the backend stores them as they are.
///
/// ```
/// use orm_core::{NumberRef, Value, ValueRef};
///
/// let list = ValueRef::L(vec![ValueRef::S("a"), ValueRef::N(NumberRef::Int(2))]);
/// assert_eq!(list.to_value()?, Value::L(vec![Value::from("a"), Value::from(2)]));
/// # Ok::<(), orm_core::NumberError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ValueRef<'a> {
    /// String (`S`).
    S(&'a str),
    /// Number (`N`).
    N(NumberRef<'a>),
    /// Binary (`B`).
    B(std::borrow::Cow<'a, [u8]>),
    /// Boolean (`BOOL`).
    Bool(bool),
    /// Null (`NULL`).
    Null,
    /// List (`L`).
    L(Vec<ValueRef<'a>>),
    /// Map (`M`): its entries, each key once, in any order.
    M(Vec<(&'a str, ValueRef<'a>)>),
    /// String set (`SS`).
    Ss(Vec<&'a str>),
    /// Number set (`NS`).
    Ns(Vec<NumberRef<'a>>),
    /// Binary set (`BS`).
    Bs(Vec<std::borrow::Cow<'a, [u8]>>),
}

impl ValueRef<'_> {
    /// This value's DynamoDB type.
    pub fn value_type(&self) -> ValueType {
        match self {
            ValueRef::S(_) => ValueType::S,
            ValueRef::N(_) => ValueType::N,
            ValueRef::B(_) => ValueType::B,
            ValueRef::Bool(_) => ValueType::Bool,
            ValueRef::Null => ValueType::Null,
            ValueRef::L(_) => ValueType::L,
            ValueRef::M(_) => ValueType::M,
            ValueRef::Ss(_) => ValueType::Ss,
            ValueRef::Ns(_) => ValueType::Ns,
            ValueRef::Bs(_) => ValueType::Bs,
        }
    }

    /// The owned [`Value`]; an error only if a number's text is invalid (a backend bug).
    pub fn to_value(&self) -> Result<Value, crate::number::NumberError> {
        Ok(match self {
            ValueRef::S(s) => Value::S((*s).to_owned()),
            ValueRef::N(n) => Value::N(n.to_number()?),
            ValueRef::B(b) => Value::B(b.to_vec()),
            ValueRef::Bool(b) => Value::Bool(*b),
            ValueRef::Null => Value::Null,
            ValueRef::L(l) => Value::L(l.iter().map(ValueRef::to_value).collect::<Result<_, _>>()?),
            ValueRef::M(m) => Value::M(
                m.iter()
                    .map(|(k, v)| Ok(((*k).to_owned(), v.to_value()?)))
                    .collect::<Result<_, _>>()?,
            ),
            ValueRef::Ss(s) => Value::Ss(s.iter().map(|x| (*x).to_owned()).collect()),
            ValueRef::Ns(s) => Value::Ns(
                s.iter()
                    .map(NumberRef::to_number)
                    .collect::<Result<_, _>>()?,
            ),
            ValueRef::Bs(s) => Value::Bs(s.iter().map(|x| x.to_vec()).collect()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::strategy;
    use proptest::prelude::*;

    proptest! {
        /// `total_cmp` is a total order that agrees with `==`.
        #[test]
        fn total_cmp_agrees_with_equality(
            a in strategy::value(),
            b in strategy::value(),
            c in strategy::value(),
        ) {
            prop_assert_eq!(a.total_cmp(&b).is_eq(), a == b);
            prop_assert_eq!(a.total_cmp(&a.clone()), Ordering::Equal);
            prop_assert_eq!(a.total_cmp(&b), b.total_cmp(&a).reverse());
            if a.total_cmp(&b).is_le() && b.total_cmp(&c).is_le() {
                prop_assert!(a.total_cmp(&c).is_le());
            }
        }
    }

    #[test]
    fn total_cmp_orders_by_type_then_content() {
        let n = |t: &str| Value::N(Number::parse(t).unwrap());
        assert_eq!(n("-2").total_cmp(&n("10")), Ordering::Less);
        assert_eq!(n("1.5").total_cmp(&n("15e-1")), Ordering::Equal);
        assert_eq!(
            Value::from("b").total_cmp(&Value::from("a")),
            Ordering::Greater
        );
        // `S` before `N` before `B`, as `ValueType` declares them.
        assert_eq!(Value::from("9").total_cmp(&n("1")), Ordering::Less);
        assert_eq!(n("9").total_cmp(&Value::B(vec![0])), Ordering::Less);
        let l = |v: Vec<Value>| Value::L(v);
        assert_eq!(
            l(vec![n("1")]).total_cmp(&l(vec![n("1"), n("0")])),
            Ordering::Less
        );
        assert_eq!(
            l(vec![n("2")]).total_cmp(&l(vec![n("1"), n("0")])),
            Ordering::Greater
        );
    }
}
