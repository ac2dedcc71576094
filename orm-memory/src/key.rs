//! Key values in DynamoDB order, and the checks DynamoDB applies to key attributes.
//!
//! [`KeyPart`] is what the storage maps are keyed by: converting a [`Value`] once on write means
//! every later comparison is a plain `Ord` call (S and B by bytes, N numerically).

use orm_core::backend::{KeyAttribute, KeyType, Limits};
use orm_core::{Error, Item, Number, Result, Value};

/// How many key bytes are stored inline; longer keys go to the heap.
const INLINE: usize = 30;

/// Bytes stored inline when short, so that comparing keys in a B-tree node does not chase a
/// pointer per key (the dominant cost of lookups in large tables).
#[derive(Clone)]
enum Bytes {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Bytes {
    fn new(bytes: &[u8]) -> Bytes {
        if bytes.len() <= INLINE {
            let mut buf = [0; INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            Bytes::Inline {
                len: bytes.len() as u8,
                buf,
            }
        } else {
            Bytes::Heap(bytes.into())
        }
    }

    /// A type tag followed by `body`, without an intermediate allocation when it fits inline.
    fn tagged(tag: u8, body: &[u8]) -> Bytes {
        if body.len() < INLINE {
            let mut buf = [0; INLINE];
            buf[0] = tag;
            buf[1..=body.len()].copy_from_slice(body);
            Bytes::Inline {
                len: body.len() as u8 + 1,
                buf,
            }
        } else {
            let mut heap = Vec::with_capacity(body.len() + 1);
            heap.push(tag);
            heap.extend_from_slice(body);
            Bytes::Heap(heap.into_boxed_slice())
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Inline { len, buf } => &buf[..usize::from(*len)],
            Bytes::Heap(b) => b,
        }
    }
}

/// One key component in an order-preserving byte encoding: comparing encodings as bytes
/// compares the values as DynamoDB orders key values (S and B by bytes, N numerically).
///
/// The first byte tags the type (S, N, B); within one key slot every value has the same type.
/// [`KeyPart::MIN`] (no bytes) sorts below and [`KeyPart::MAX`] above every value, which lets
/// composite keys express range bounds; `MIN` also stands for "no sort key".
#[derive(Clone)]
pub(crate) struct KeyPart(Bytes);

const TAG_S: u8 = 1;
const TAG_N: u8 = 2;
const TAG_B: u8 = 3;

impl KeyPart {
    /// Below every value; the sort key of a table without one.
    pub(crate) const MIN: KeyPart = KeyPart(Bytes::Inline {
        len: 0,
        buf: [0; INLINE],
    });

    /// Above every value.
    pub(crate) const MAX: KeyPart = KeyPart(Bytes::Inline {
        len: 1,
        buf: [0xFF; INLINE],
    });

    /// The key part of a scalar `S`/`N`/`B` value.
    pub(crate) fn from_value(value: &Value) -> Option<KeyPart> {
        Some(KeyPart(match value {
            Value::S(s) => return Some(KeyPart::string(s)),
            Value::B(b) => return Some(KeyPart::binary(b)),
            Value::N(n) => {
                let mut out = Vec::with_capacity(48);
                out.push(TAG_N);
                encode_number(n, &mut out);
                Bytes::new(&out)
            }
            _ => return None,
        }))
    }

    /// The key part of an `S` value.
    pub(crate) fn string(s: &str) -> KeyPart {
        KeyPart(Bytes::tagged(TAG_S, s.as_bytes()))
    }

    /// The key part of a `B` value.
    pub(crate) fn binary(b: &[u8]) -> KeyPart {
        KeyPart(Bytes::tagged(TAG_B, b))
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// The key of a multi-attribute key: its attributes' key parts, each escaped and
    /// terminated ([`Composite::push`]), so that comparing composites as bytes compares the
    /// attributes in sequence, each in DynamoDB's order.
    pub(crate) fn composite(parts: impl IntoIterator<Item = KeyPart>) -> KeyPart {
        let mut c = Composite::default();
        for part in parts {
            c.push(&part);
        }
        c.finish()
    }

    /// The smallest key above every key that starts with this (`S` or `B`) prefix; `None`
    /// when there is none. Byte order makes this the prefix with its last byte below 0xFF
    /// incremented and what follows dropped.
    pub(crate) fn prefix_successor(&self) -> Option<KeyPart> {
        let bytes = self.bytes();
        if !matches!(bytes.first(), Some(&TAG_S | &TAG_B)) {
            return None;
        }
        successor(bytes)
    }

    /// A deterministic hash (FNV-1a, 64 bits) used to assign partitions to scan segments.
    pub(crate) fn segment_hash(&self) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in self.bytes() {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash
    }
}

/// The smallest byte string above every one that starts with `prefix`, if any.
fn successor(prefix: &[u8]) -> Option<KeyPart> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return Some(KeyPart(Bytes::new(&out)));
        }
    }
    None
}

/// A multi-attribute key being built, attribute by attribute.
///
/// Each attribute's encoding is escaped (a `0x00` byte becomes `0x00 0xFF`) and terminated by
/// `0x00 0x01`: the encodings become prefix-free and keep their order, so a composite orders by
/// its first attribute, then its second, and so on; and the composites whose first attributes
/// are given ones share a byte prefix, which is how a query selects them.
#[derive(Default, Clone)]
pub(crate) struct Composite(Vec<u8>);

impl Composite {
    /// Appends one attribute's key part.
    pub(crate) fn push(&mut self, part: &KeyPart) {
        self.push_open(part);
        self.0.extend([0x00, 0x01]);
    }

    /// Appends one attribute's key part unterminated: the composites that begin with the result
    /// are those whose attribute begins with the part (the range of a `begins_with`).
    pub(crate) fn push_open(&mut self, part: &KeyPart) {
        for byte in part.bytes() {
            self.0.push(*byte);
            if *byte == 0x00 {
                self.0.push(0xFF);
            }
        }
    }

    /// The key part of the composite so far.
    pub(crate) fn finish(&self) -> KeyPart {
        KeyPart(Bytes::new(&self.0))
    }

    /// The smallest key above every composite that starts with this one (`None`: no bound).
    pub(crate) fn successor(&self) -> Option<KeyPart> {
        successor(&self.0)
    }
}

impl PartialEq for KeyPart {
    fn eq(&self, other: &KeyPart) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for KeyPart {}

impl PartialOrd for KeyPart {
    fn partial_cmp(&self, other: &KeyPart) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyPart {
    fn cmp(&self, other: &KeyPart) -> std::cmp::Ordering {
        self.bytes().cmp(other.bytes())
    }
}

impl std::fmt::Debug for KeyPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPart({:02x?})", self.bytes())
    }
}

/// Appends an order-preserving encoding of a number, from its canonical plain-notation text.
///
/// Zero is `0x80`. A positive number is `0xC0`, the (biased, big-endian) exponent of its most
/// significant digit, then its significant digits; a negative number is `0x40`, then the same
/// with every byte inverted and a final `0xFF`, so that a longer significand sorts lower.
fn encode_number(n: &Number, out: &mut Vec<u8>) {
    let text = n.as_str();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let Some(first) = digits.iter().position(|d| *d != b'0') else {
        out.push(0x80);
        return;
    };
    let last = digits
        .iter()
        .rposition(|d| *d != b'0')
        .expect("a non-zero digit exists");
    let exponent = int.len() as i32 - 1 - first as i32;
    let biased = u16::try_from(exponent + 0x4000).expect("DynamoDB exponents are small");
    let significand = &digits[first..=last];
    if negative {
        out.push(0x40);
        out.extend((!biased).to_be_bytes());
        out.extend(significand.iter().map(|d| !d));
        out.push(0xFF);
    } else {
        out.push(0xC0);
        out.extend(biased.to_be_bytes());
        out.extend_from_slice(significand);
    }
}

/// The DynamoDB descriptor of a key type.
pub(crate) fn key_type_name(t: KeyType) -> &'static str {
    match t {
        KeyType::S => "S",
        KeyType::N => "N",
        KeyType::B => "B",
    }
}

/// Whether `value` has the key type `t`.
pub(crate) fn has_key_type(value: &Value, t: KeyType) -> bool {
    matches!(
        (value, t),
        (Value::S(_), KeyType::S) | (Value::N(_), KeyType::N) | (Value::B(_), KeyType::B)
    )
}

/// Which slot of a key schema an attribute fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// The partition (hash) key.
    Partition,
    /// The sort (range) key.
    Sort,
}

/// Checks one key attribute value (type, emptiness, size) and converts it.
///
/// `index` names the secondary index the attribute is a key of, for DynamoDB's index-specific
/// messages.
pub(crate) fn check_key_value(
    attribute: &KeyAttribute,
    value: &Value,
    slot: Slot,
    index: Option<&str>,
    limits: &Limits,
) -> Result<KeyPart> {
    let name = &attribute.name;
    if !has_key_type(value, attribute.key_type) {
        let expected = key_type_name(attribute.key_type);
        let actual = value.value_type();
        return Err(Error::validation(match index {
            Some(index) => format!(
                "One or more parameter values were invalid: Type mismatch for Index Key {name} \
                 Expected: {expected} Actual: {actual} IndexName: {index}"
            ),
            None => format!(
                "One or more parameter values were invalid: Type mismatch for key {name} \
                 expected: {expected} actual: {actual}"
            ),
        }));
    }
    let empty = match value {
        Value::S(s) if s.is_empty() => Some("string"),
        Value::B(b) if b.is_empty() => Some("binary"),
        _ => None,
    };
    if let Some(kind) = empty {
        return Err(Error::validation(match index {
            Some(index) => format!(
                "One or more parameter values are not valid. A value specified for a secondary \
                 index key is not supported. The AttributeValue for a key attribute cannot \
                 contain an empty {kind} value. IndexName: {index}, IndexKey: {name}"
            ),
            None => format!(
                "One or more parameter values are not valid. The AttributeValue for a key \
                 attribute cannot contain an empty {kind} value. Key: {name}"
            ),
        }));
    }
    let size = value.size();
    match slot {
        Slot::Partition if size > limits.max_partition_key_size => {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Size of hashkey has exceeded the \
                 maximum size limit of {} bytes (attribute {name}: {size} bytes)",
                limits.max_partition_key_size
            )));
        }
        Slot::Sort if size > limits.max_sort_key_size => {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Aggregated size of all range keys \
                 has exceeded the size limit of {} bytes (attribute {name}: {size} bytes)",
                limits.max_sort_key_size
            )));
        }
        _ => {}
    }
    Ok(KeyPart::from_value(value).expect("type checked above"))
}

/// A table's primary key, converted for the storage maps.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PrimaryKey {
    /// The partition key.
    pub(crate) pk: KeyPart,
    /// The sort key ([`KeyPart::MIN`] when the table has none).
    pub(crate) sk: KeyPart,
}

/// Reads the key attributes named by a key schema from a *full key* (a `Key` of get, delete,
/// update or an `ExclusiveStartKey`): it must hold exactly those attributes with their types.
pub(crate) fn exact_key(
    key: &Item,
    pk: &KeyAttribute,
    sk: Option<&KeyAttribute>,
    limits: &Limits,
) -> Result<PrimaryKey> {
    let expected = 1 + usize::from(sk.is_some());
    if key.len() != expected {
        return Err(key_mismatch());
    }
    let pk_value = key.get(&pk.name).ok_or_else(key_mismatch)?;
    if !has_key_type(pk_value, pk.key_type) {
        return Err(key_mismatch());
    }
    let pk_part = check_key_value(pk, pk_value, Slot::Partition, None, limits)?;
    let sk_part = match sk {
        Some(sk_attr) => {
            let v = key.get(&sk_attr.name).ok_or_else(key_mismatch)?;
            if !has_key_type(v, sk_attr.key_type) {
                return Err(key_mismatch());
            }
            check_key_value(sk_attr, v, Slot::Sort, None, limits)?
        }
        None => KeyPart::MIN,
    };
    Ok(PrimaryKey {
        pk: pk_part,
        sk: sk_part,
    })
}

/// DynamoDB's answer to a key that does not match the table's key schema (a missing or extra
/// attribute, or a value of the wrong type): one message, whatever the mismatch.
fn key_mismatch() -> Error {
    Error::validation("The provided key element does not match the schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> KeyPart {
        KeyPart::from_value(&Value::N(Number::parse(s).unwrap())).unwrap()
    }

    fn s(s: &str) -> KeyPart {
        KeyPart::from_value(&Value::from(s)).unwrap()
    }

    fn b(b: &[u8]) -> KeyPart {
        KeyPart::from_value(&Value::B(b.to_vec())).unwrap()
    }

    #[test]
    fn orders_strings_and_binaries_by_bytes_numbers_numerically() {
        assert!(s("B") < s("a"));
        assert!(s("a") < s("ab"));
        assert!(s("") < s("a"));
        // U+00E9 (0xC3 0xA9) sorts after U+007A by bytes.
        assert!(s("z") < s("\u{e9}"));
        assert!(b(&[1, 255]) < b(&[2]));
        assert!(n("9") < n("10"));
        assert!(n("-10") < n("-9"));
        assert!(n("-0.5") < n("0"));
        assert!(n("1.5") < n("1.50001"));
        assert_eq!(n("1.50"), n("1.5"));
        assert!(KeyPart::MIN < s(""));
        assert!(b(&[255; 40]) < KeyPart::MAX);
        assert!(s(&"x".repeat(100)) < s(&"y".repeat(10)));
        assert!(s(&"x".repeat(31)) > s(&"x".repeat(30)));
    }

    #[test]
    fn number_encoding_preserves_numeric_order() {
        let texts = [
            "-1e125",
            "-123456789012345678901234567890123456.78",
            "-1000",
            "-999.999",
            "-12.3",
            "-12.25",
            "-12.2",
            "-12",
            "-1.5",
            "-1",
            "-0.5",
            "-0.05",
            "-1e-130",
            "0",
            "1e-130",
            "0.000123",
            "0.001",
            "0.0011",
            "0.5",
            "1",
            "1.000001",
            "1.5",
            "9",
            "10",
            "10.5",
            "11",
            "99",
            "100",
            "12300",
            "12301",
            "99999999999999999999999999999999999999",
            "1e125",
        ];
        let numbers: Vec<Number> = texts.iter().map(|t| Number::parse(t).unwrap()).collect();
        for x in &numbers {
            for y in &numbers {
                let (kx, ky) = (
                    KeyPart::from_value(&Value::N(x.clone())).unwrap(),
                    KeyPart::from_value(&Value::N(y.clone())).unwrap(),
                );
                assert_eq!(kx.cmp(&ky), x.cmp(y), "{x} vs {y}");
            }
        }
    }

    #[test]
    fn prefix_successor_bounds_the_prefix_range() {
        let succ = s("ab").prefix_successor().unwrap();
        assert_eq!(succ, s("ac"));
        for inside in ["ab", "ab\u{10FFFF}", "abzzz"] {
            assert!(s(inside) < succ);
        }
        assert!(s("ac") >= succ);
        assert_eq!(b(&[1, 0xFF]).prefix_successor(), Some(b(&[2])));
        // Every binary starting with 0xFF: bounded only by the next type tag.
        assert!(b(&[0xFF]).prefix_successor().unwrap() > b(&[0xFF; 50]));
        assert!(n("1").prefix_successor().is_none());
        // The empty prefix selects every string.
        assert!(s("").prefix_successor().unwrap() > s("\u{10FFFF}"));
    }

    #[test]
    fn checks_key_values() {
        let limits = Limits::default();
        let attr = KeyAttribute::new("pk", KeyType::S);
        assert!(check_key_value(&attr, &Value::from("x"), Slot::Partition, None, &limits).is_ok());
        let err = check_key_value(&attr, &Value::from(""), Slot::Partition, None, &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty string"), "{err}");
        let err = check_key_value(&attr, &Value::from(1), Slot::Partition, None, &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Type mismatch"), "{err}");
        let long = Value::from("x".repeat(2049));
        assert!(check_key_value(&attr, &long, Slot::Partition, None, &limits).is_err());
        let ok = Value::from("x".repeat(2048));
        assert!(check_key_value(&attr, &ok, Slot::Partition, None, &limits).is_ok());
        let sk_long = Value::from("x".repeat(1025));
        assert!(check_key_value(&attr, &sk_long, Slot::Sort, None, &limits).is_err());
        let err = check_key_value(&attr, &Value::from(""), Slot::Sort, Some("gsi1"), &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("secondary index key"), "{err}");
    }

    #[test]
    fn exact_key_needs_exactly_the_key_attributes() {
        let limits = Limits::default();
        let (pk, sk) = (
            KeyAttribute::new("pk", KeyType::S),
            KeyAttribute::new("sk", KeyType::N),
        );
        let good = Item::new().with("pk", "a").with("sk", 1);
        assert!(exact_key(&good, &pk, Some(&sk), &limits).is_ok());
        for bad in [
            Item::new().with("pk", "a"),
            Item::new().with("pk", "a").with("sk", "1"),
            Item::new().with("pk", "a").with("sk", 1).with("x", 1),
            Item::new().with("pk", "a").with("other", 1),
        ] {
            let err = exact_key(&bad, &pk, Some(&sk), &limits).unwrap_err();
            assert!(
                err.to_string().contains("does not match the schema"),
                "{err}"
            );
        }
    }

    #[test]
    fn composites_order_attribute_by_attribute() {
        let c = |parts: &[KeyPart]| KeyPart::composite(parts.iter().cloned());
        // The first attribute decides, whatever follows; a shorter first attribute sorts first.
        assert!(c(&[s("a"), s("z")]) < c(&[s("ab"), s("a")]));
        assert!(c(&[s("a"), n("9")]) < c(&[s("a"), n("10")]));
        assert!(c(&[n("-1.55"), s("a")]) < c(&[n("-1.5"), s("a")]));
        assert!(c(&[b(&[0]), s("a")]) < c(&[b(&[0, 0]), s("a")]));
        assert!(c(&[b(&[0, 0xFF]), s("a")]) < c(&[b(&[1]), s("a")]));
        assert!(c(&[s("a")]) < c(&[s("a"), s("")]));
        // A prefix of attributes bounds the composites that start with it.
        let mut prefix = Composite::default();
        prefix.push(&s("a"));
        let (lo, hi) = (prefix.finish(), prefix.successor().unwrap());
        for inside in [
            c(&[s("a"), s("")]),
            c(&[s("a"), n("5")]),
            c(&[s("a"), s("\u{10ffff}")]),
        ] {
            assert!(lo <= inside && inside < hi, "{inside:?}");
        }
        for outside in [c(&[s("ab"), s("a")]), c(&[s(""), s("z")]), c(&[s("b")])] {
            assert!(!(lo <= outside && outside < hi), "{outside:?}");
        }
        // An open attribute bounds those whose attribute begins with it.
        let mut open = Composite::default();
        open.push(&s("x"));
        open.push_open(&s("ab"));
        let (lo, hi) = (open.finish(), open.successor().unwrap());
        assert!(lo <= c(&[s("x"), s("ab")]) && c(&[s("x"), s("abz"), n("1")]) < hi);
        assert!(c(&[s("x"), s("ac")]) >= hi && c(&[s("x"), s("aa")]) < lo);
    }

    #[test]
    fn segment_hash_is_deterministic() {
        let a = s("USER#1");
        assert_eq!(a.segment_hash(), s("USER#1").segment_hash());
        assert_ne!(a.segment_hash(), b(b"USER#1").segment_hash());
    }
}
