//! The compact stored form of an item: one contiguous, reference-counted string per item.
//!
//! An [`Item`] is a `BTreeMap` of `String` to [`Value`]: some 40 separate heap allocations for
//! a 17-attribute item of 1 KB, over 5x its DynamoDB size. A [`Stored`] item is one allocation
//! of roughly the item's DynamoDB size, shared by the table and by every index that projects
//! all attributes; [`Stored::decode`] rebuilds the identical `Item` when one is handed out, and
//! [`Stored::select`] decodes only the attributes a condition, projection or key needs.
//!
//! # Format
//!
//! ```text
//! item   := size:fixed3 shape:fixed2 count:varint attr*   (attributes in the item's order)
//! attr   := name value
//! name   := varint(id + 1)                           (interned in the table's `Names`)
//!         | 0x00 varint(len) utf8                    (when the table's name table is full)
//! value  := S  varint(len) utf8
//!         | NI zigzag-varint                         (an integer number that fits an i64)
//!         | NT varint(len) ascii                     (any other number: its canonical text)
//!         | B  varint(len) packed                    (`len` bytes, 7 bits per stored byte)
//!         | FALSE | TRUE | NULL
//!         | L  varint(count) fixed3(len) value*      (`len`: bytes after it, to skip in O(1))
//!         | M  varint(count) fixed3(len) (varint(len) utf8 value)*   (keys in order)
//!         | SS varint(count) fixed3(len) (varint(len) utf8)*
//!         | NS varint(count) fixed3(len) (NI ... | NT ...)*
//!         | BS varint(count) fixed3(len) (varint(len) packed)*
//! ```
//!
//! Every byte but those of strings is ASCII (tags; varints of 6 bits per byte with `0x40` as
//! the continuation flag; `fixedN`, N bytes of 7 bits; binaries packed 7 bits per byte), so
//! the whole encoding is valid UTF-8 and is stored as a `str`: decoding a string slices it
//! (an O(1) boundary check) instead of validating its bytes again.
//!
//! `size` is the item's [`Item::size`] (the 1 MB page and 16 MB batch limits read it without
//! decoding); `shape` (0: none) indexes the table's [`Names`] shapes. Numbers are exact: an
//! integer is rebuilt with `Number::from(i64)`, anything else parsed back from its canonical
//! text, and both give the same canonical `Number`.

use crate::key::KeyPart;
use orm_core::backend::SharedItem;
use orm_core::{Item, Number, NumberRef, Value, ValueRef};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

/// How many distinct top-level attribute names a table interns; the names of any further ones
/// are stored inline in each item (so a table of random attribute names cannot grow without
/// bound).
const MAX_INTERNED: usize = 1 << 16;

/// Bytes of the `fixed3` item size and container lengths (21 bits: a stored item is at most
/// 400 KB, and its encoding at most about twice that).
const FIXED: usize = 3;

/// Bytes before the attribute count: the item's size (`fixed3`) and shape (`fixed2`).
const HEADER: usize = FIXED + 2;

/// Tag of a string.
const T_S: u8 = 0;
/// Tag of a number stored as an `i64` (zigzag varint).
const T_NI: u8 = 1;
/// Tag of a number stored as its canonical text.
const T_NT: u8 = 2;
/// Tag of a binary.
const T_B: u8 = 3;
/// Tag of `false`.
const T_FALSE: u8 = 4;
/// Tag of `true`.
const T_TRUE: u8 = 5;
/// Tag of a null.
const T_NULL: u8 = 6;
/// Tag of a list.
const T_L: u8 = 7;
/// Tag of a map.
const T_M: u8 = 8;
/// Tag of a string set.
const T_SS: u8 = 9;
/// Tag of a number set.
const T_NS: u8 = 10;
/// Tag of a binary set.
const T_BS: u8 = 11;

/// A table's interned top-level attribute names (items store a small id instead of each
/// name), and the recurring *shapes* of its items (their lists of names).
///
/// Ids are never reused or removed, so an id read from any stored item of the table stays
/// valid for the table's lifetime; the same holds for shapes. The names and shapes themselves
/// ([`Dict`]) are shared copy-on-write: a forked table shares them until one side interns a
/// new name or shape, and ids from before the fork mean the same on both sides.
#[derive(Debug)]
pub(crate) struct Names {
    /// How many names may be interned ([`MAX_INTERNED`] but in tests).
    limit: usize,
    /// How many shapes may be recorded ([`MAX_SHAPES`] but in tests).
    shape_limit: usize,
    /// The interned names and shapes, shared with the forks of the table.
    dict: Arc<Dict>,
    /// The ids of the last encoded item's attributes, in order: items of one entity usually
    /// have the same attributes, so the next item's names are checked against these before
    /// hashing.
    recent: Vec<u32>,
    /// The ids of the item being encoded (a reusable buffer).
    current: Vec<u32>,
    /// The shape of the last encoded item (0: none), checked before hashing.
    last_shape: u16,
}

/// The interned names and shapes of a table (only ever appended to).
#[derive(Debug, Clone, Default)]
pub(crate) struct Dict {
    /// Name of each id.
    list: Vec<Box<str>>,
    /// Id of each name.
    ids: HashMap<Box<str>, u32>,
    /// The shapes; an item's header holds its shape's index + 1 (0: none).
    shapes: Vec<Shape>,
    /// Index of each shape by its ids.
    shape_ids: HashMap<Box<[u32]>, u16>,
}

impl Clone for Names {
    /// A copy for a forked table: the same ids and shapes (shared until either side adds one),
    /// fresh encoding buffers.
    fn clone(&self) -> Names {
        Names {
            limit: self.limit,
            shape_limit: self.shape_limit,
            dict: Arc::clone(&self.dict),
            recent: Vec::new(),
            current: Vec::new(),
            last_shape: 0,
        }
    }
}

/// The attribute names of the items of one shape, as an item whose values are all null:
/// decoding an item of this shape clones it (no key comparisons, unlike building a map from
/// pairs) and fills in the values, which come in the same (name) order.
#[derive(Debug, Clone)]
struct Shape {
    /// The ids of the names.
    ids: Box<[u32]>,
    /// The attribute names, every value `Null`.
    skeleton: BTreeMap<String, Value>,
}

/// How many shapes a table records (a `fixed2` holds 14 bits); items of further shapes decode
/// without one.
const MAX_SHAPES: usize = 4096;

impl Default for Names {
    fn default() -> Names {
        Names {
            limit: MAX_INTERNED,
            shape_limit: MAX_SHAPES,
            dict: Arc::default(),
            recent: Vec::new(),
            current: Vec::new(),
            last_shape: 0,
        }
    }
}

impl Names {
    /// The id of `name`, interning it if the table has room (`None` if not).
    fn intern(&mut self, name: &str) -> Option<u32> {
        if let Some(id) = self.dict.ids.get(name) {
            return Some(*id);
        }
        if self.dict.list.len() >= self.limit {
            return None;
        }
        let dict = Arc::make_mut(&mut self.dict);
        let id = u32::try_from(dict.list.len()).expect("MAX_INTERNED fits u32");
        dict.list.push(name.into());
        dict.ids.insert(name.into(), id);
        Some(id)
    }

    /// The id of the `position`th attribute `name` of an item being encoded: the id of the
    /// previous item's attribute at that position when the name matches, else interned.
    fn intern_at(&mut self, position: usize, name: &str) -> Option<u32> {
        match self.recent.get(position) {
            Some(&id) if *self.dict.list[id as usize] == *name => Some(id),
            _ => self.intern(name),
        }
    }

    /// The shape (index + 1) of the item whose ids are in `current`, recording it if new and
    /// there is room; 0 for none.
    fn shape_of_current(&mut self) -> u16 {
        let last = usize::from(self.last_shape);
        if last != 0 && *self.dict.shapes[last - 1].ids == *self.current {
            return self.last_shape;
        }
        let shape = match self.dict.shape_ids.get(self.current.as_slice()) {
            Some(&shape) => shape,
            None if self.dict.shapes.len() >= self.shape_limit => return 0,
            None => {
                let skeleton = self
                    .current
                    .iter()
                    .map(|&id| (self.name(id).to_owned(), Value::Null))
                    .collect();
                let ids: Box<[u32]> = self.current.as_slice().into();
                let dict = Arc::make_mut(&mut self.dict);
                dict.shapes.push(Shape {
                    ids: ids.clone(),
                    skeleton,
                });
                let shape = u16::try_from(dict.shapes.len()).expect("MAX_SHAPES fits u16");
                dict.shape_ids.insert(ids, shape);
                shape
            }
        };
        self.last_shape = shape;
        shape
    }

    /// The id of `name`, if it is interned.
    fn id(&self, name: &str) -> Option<u32> {
        self.dict.id(name)
    }

    /// The name of an id read from a stored item.
    fn name(&self, id: u32) -> &str {
        self.dict.name(id)
    }

    /// The interned names and shapes, to read stored items with.
    pub(crate) fn dict(&self) -> &Arc<Dict> {
        &self.dict
    }
}

impl Dict {
    /// The id of `name`, if it is interned.
    fn id(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The name of an id read from a stored item.
    fn name(&self, id: u32) -> &str {
        &self.list[id as usize]
    }
}

/// The top-level attributes [`Stored::select`] decodes: names, and their ids where interned.
#[derive(Debug)]
pub(crate) struct Selector<'a> {
    /// The wanted names, without duplicates.
    names: Vec<&'a str>,
    /// The ids of the wanted names that are interned.
    ids: Vec<u32>,
}

impl<'a> Selector<'a> {
    /// Selects the attributes named `wanted` (duplicates are fine).
    pub(crate) fn new(names: &Names, wanted: impl IntoIterator<Item = &'a str>) -> Selector<'a> {
        let mut selector = Selector {
            names: Vec::new(),
            ids: Vec::new(),
        };
        for name in wanted {
            if !selector.names.contains(&name) {
                selector.names.push(name);
                selector.ids.extend(names.id(name));
            }
        }
        selector
    }
}

/// One stored item in its compact form (see the module documentation). Cloning shares it.
#[derive(Clone)]
pub(crate) struct Stored(Arc<str>);

impl fmt::Debug for Stored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stored({} B item in {} B)", self.size(), self.0.len())
    }
}

/// An attribute name read from a stored item.
enum Name<'a> {
    /// Interned: its id.
    Id(u32),
    /// Stored inline.
    Inline(&'a str),
}

impl Stored {
    /// Encodes `item`, or only its attributes named in `keep` (sorted) when given, interning
    /// new attribute names in `names`; `scratch` is a reusable buffer.
    pub(crate) fn encode(
        item: &Item,
        names: &mut Names,
        scratch: &mut Vec<u8>,
        keep: Option<&[String]>,
    ) -> Stored {
        let kept = |name: &String| keep.is_none_or(|k| k.binary_search(name).is_ok());
        scratch.clear();
        scratch.extend_from_slice(&[0; HEADER]);
        let count = match keep {
            None => item.len(),
            Some(_) => item.keys().filter(|n| kept(n)).count(),
        };
        put_varint(scratch, count as u64);
        let mut size = 0usize;
        let mut shaped = true;
        names.current.clear();
        for (position, (name, value)) in item.iter().filter(|(n, _)| kept(n)).enumerate() {
            size += name.len() + encode_attribute(value, name, position, names, scratch, keep);
            shaped &= names.current.len() == position + 1;
        }
        let shape = if shaped { names.shape_of_current() } else { 0 };
        if keep.is_none() {
            std::mem::swap(&mut names.recent, &mut names.current);
        }
        put_fixed(&mut scratch[..FIXED], size);
        put_fixed(&mut scratch[FIXED..HEADER], usize::from(shape));
        let text = std::str::from_utf8(scratch).expect("the encoding is UTF-8");
        Stored(Arc::from(text))
    }

    /// Whether two stored items of one part hold the same item: an item's encoding in a part is
    /// canonical (attributes in name order, numbers canonical, names interned once and for all,
    /// shapes recorded once and for all).
    pub(crate) fn same_encoding(&self, other: &Stored) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }

    /// The item's DynamoDB size ([`Item::size`]).
    pub(crate) fn size(&self) -> usize {
        fixed(&self.0.as_bytes()[..FIXED])
    }

    /// A cursor on the attribute count.
    fn attributes_reader(&self) -> (Reader<'_>, usize) {
        let mut cursor = Reader {
            buf: &self.0,
            pos: HEADER,
        };
        let count = cursor.varint() as usize;
        (cursor, count)
    }

    /// The whole item.
    pub(crate) fn decode(&self, names: &Dict) -> Item {
        let shape = fixed(&self.0.as_bytes()[FIXED..HEADER]);
        if shape != 0 {
            let (mut c, _) = self.attributes_reader();
            let mut map = names.shapes[shape - 1].skeleton.clone();
            for value in map.values_mut() {
                c.varint();
                *value = decode_value(&mut c);
            }
            return Item(map);
        }
        // Already in order: collecting checks that in one pass and bulk-builds the map.
        Item(self.decode_entries(names).into_iter().collect())
    }

    /// The whole item as its attributes (in name order), without building a map: for readers
    /// that decode straight into models.
    pub(crate) fn decode_entries(&self, names: &Dict) -> Vec<(String, Value)> {
        let (mut c, count) = self.attributes_reader();
        let mut pairs = Vec::with_capacity(count);
        for _ in 0..count {
            let name = match c.name() {
                Name::Id(id) => names.name(id).to_owned(),
                Name::Inline(name) => name.to_owned(),
            };
            pairs.push((name, decode_value(&mut c)));
        }
        pairs
    }

    /// The whole item as borrowed attributes (in name order), nothing copied but binaries
    /// (stored packed): for readers that decode straight into models.
    pub(crate) fn attributes<'a>(&'a self, names: &'a Dict) -> Vec<(&'a str, ValueRef<'a>)> {
        let (mut c, count) = self.attributes_reader();
        let mut pairs = Vec::with_capacity(count);
        for _ in 0..count {
            let name = match c.name() {
                Name::Id(id) => names.name(id),
                Name::Inline(name) => name,
            };
            pairs.push((name, decode_ref(&mut c)));
        }
        pairs
    }

    /// The item reduced to the selected top-level attributes (those it has).
    pub(crate) fn select(&self, names: &Dict, selector: &Selector<'_>) -> Item {
        let (mut c, count) = self.attributes_reader();
        let mut pairs = Vec::with_capacity(selector.names.len().min(count));
        for _ in 0..count {
            if pairs.len() == selector.names.len() {
                break;
            }
            let wanted = match c.name() {
                Name::Id(id) => selector.ids.contains(&id).then(|| names.name(id)),
                Name::Inline(name) => selector.names.contains(&name).then_some(name),
            };
            match wanted {
                Some(name) => pairs.push((name.to_owned(), decode_value(&mut c))),
                None => c.skip_value(),
            }
        }
        Item(pairs.into_iter().collect())
    }

    /// A cursor on the value of one top-level attribute.
    fn find(&self, names: &Dict, name: &str) -> Option<Reader<'_>> {
        let id = names.id(name);
        let (mut c, count) = self.attributes_reader();
        for _ in 0..count {
            let found = match c.name() {
                Name::Id(i) => Some(i) == id,
                Name::Inline(n) => n == name,
            };
            if found {
                return Some(c);
            }
            c.skip_value();
        }
        None
    }

    /// The value of one top-level attribute.
    pub(crate) fn get(&self, names: &Dict, name: &str) -> Option<Value> {
        self.find(names, name).map(|mut c| decode_value(&mut c))
    }

    /// The key part of one top-level attribute holding an S, N or B, without building the
    /// value when it is an S.
    pub(crate) fn key_part(&self, names: &Dict, name: &str) -> Option<KeyPart> {
        let mut c = self.find(names, name)?;
        match c.byte() {
            T_S => Some(KeyPart::string(c.str())),
            T_B => Some(KeyPart::binary(&c.binary())),
            tag @ (T_NI | T_NT) => KeyPart::from_value(&Value::N(decode_number(&mut c, tag))),
            _ => None,
        }
    }
}

/// A stored item handed to a reader ([`orm_core::backend::RawItem::Shared`]): the item and its
/// table's names, both shared (reference-counted), nothing copied. The names are only ever
/// appended to, so the ids in the item stay valid whatever the table does meanwhile.
pub(crate) struct SharedStored {
    /// The item.
    item: Stored,
    /// The table's names when the item was read.
    names: Arc<Dict>,
}

impl SharedStored {
    /// Shares `item`, read with `names`.
    pub(crate) fn new(item: &Stored, names: &Arc<Dict>) -> SharedStored {
        SharedStored {
            item: item.clone(),
            names: Arc::clone(names),
        }
    }
}

impl fmt::Debug for SharedStored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedStored")
            .field(&self.item.decode(&self.names))
            .finish()
    }
}

impl SharedItem for SharedStored {
    fn get(&self, name: &str) -> Option<Value> {
        self.item.get(&self.names, name)
    }

    fn to_item(&self) -> Item {
        self.item.decode(&self.names)
    }

    fn attributes(&self) -> Vec<(&str, ValueRef<'_>)> {
        self.item.attributes(&self.names)
    }
}

/// Appends one top-level attribute (name, then value) and returns the value's DynamoDB size;
/// the name's id, when it has one, goes to `names.current`.
fn encode_attribute(
    value: &Value,
    name: &str,
    position: usize,
    names: &mut Names,
    out: &mut Vec<u8>,
    keep: Option<&[String]>,
) -> usize {
    let id = match keep {
        None => names.intern_at(position, name),
        Some(_) => names.intern(name),
    };
    match id {
        Some(id) => {
            names.current.push(id);
            put_varint(out, u64::from(id) + 1);
        }
        None => {
            out.push(0);
            put_str(out, name);
        }
    }
    encode_value(value, out)
}

/// Appends a varint: 6 bits per byte, least significant first, `0x40` flagging that more
/// follow (so every byte is ASCII).
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x40 {
        out.push((v as u8 & 0x3F) | 0x40);
        v >>= 6;
    }
    out.push(v as u8);
}

/// Writes `v` over `out` (zeros), 7 bits per byte, least significant first.
fn put_fixed(out: &mut [u8], v: usize) {
    assert!(
        v < 1 << (7 * out.len()),
        "{v} does not fit {} bytes",
        out.len()
    );
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = (v >> (7 * i)) as u8 & 0x7F;
    }
}

/// Reads what [`put_fixed`] wrote.
fn fixed(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .enumerate()
        .fold(0, |v, (i, b)| v | usize::from(*b) << (7 * i))
}

/// Appends a length-prefixed string.
fn put_str(out: &mut Vec<u8>, text: &str) {
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// How many bytes [`put_binary`] packs `len` bytes into.
fn packed_len(len: usize) -> usize {
    len + len.div_ceil(7)
}

/// Appends a length-prefixed binary, packed into ASCII: each group of up to 7 bytes as their
/// low 7 bits, then one byte holding their high bits.
fn put_binary(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    for group in bytes.chunks(7) {
        let mut high = 0u8;
        for (i, b) in group.iter().enumerate() {
            out.push(b & 0x7F);
            high |= (b >> 7) << i;
        }
        out.push(high);
    }
}

/// The `i64` of an integer number's canonical text (no leading zeros, no `-0`), when it fits.
fn small_integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // 18 digits always fit; longer ones are rare enough to keep as text.
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits
        .bytes()
        .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
    Some(if negative { -magnitude } else { magnitude })
}

/// Appends a number: an `i64` when it is a small integer, else its canonical text.
fn encode_number(n: &Number, out: &mut Vec<u8>) {
    let text = n.as_str();
    match small_integer(text) {
        Some(v) => {
            out.push(T_NI);
            put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
        }
        None => {
            out.push(T_NT);
            put_str(out, text);
        }
    }
}

/// Appends a container: tag, element count, a `u32` byte length patched after `body` wrote
/// it; returns what `body` returns (the elements' DynamoDB size).
fn encode_container(
    out: &mut Vec<u8>,
    tag: u8,
    count: usize,
    body: impl FnOnce(&mut Vec<u8>) -> usize,
) -> usize {
    out.push(tag);
    put_varint(out, count as u64);
    let at = out.len();
    out.extend_from_slice(&[0; FIXED]);
    let size = body(out);
    let len = out.len() - at - FIXED;
    put_fixed(&mut out[at..at + FIXED], len);
    size
}

/// Appends one value and returns its DynamoDB size ([`Value::size`]), computed on the way.
fn encode_value(value: &Value, out: &mut Vec<u8>) -> usize {
    match value {
        Value::S(s) => {
            out.push(T_S);
            put_str(out, s);
            s.len()
        }
        Value::N(n) => {
            encode_number(n, out);
            value.size()
        }
        Value::B(b) => {
            out.push(T_B);
            put_binary(out, b);
            b.len()
        }
        Value::Bool(false) => {
            out.push(T_FALSE);
            1
        }
        Value::Bool(true) => {
            out.push(T_TRUE);
            1
        }
        Value::Null => {
            out.push(T_NULL);
            1
        }
        Value::L(l) => encode_container(out, T_L, l.len(), |out| {
            3 + l.iter().map(|v| encode_value(v, out) + 1).sum::<usize>()
        }),
        Value::M(m) => encode_container(out, T_M, m.len(), |out| {
            let mut size = 3;
            for (k, v) in m {
                put_str(out, k);
                size += k.len() + encode_value(v, out) + 1;
            }
            size
        }),
        Value::Ss(s) => encode_container(out, T_SS, s.len(), |out| {
            s.iter().for_each(|x| put_str(out, x));
            s.iter().map(String::len).sum()
        }),
        Value::Ns(s) => encode_container(out, T_NS, s.len(), |out| {
            s.iter().for_each(|n| encode_number(n, out));
            value.size()
        }),
        Value::Bs(s) => encode_container(out, T_BS, s.len(), |out| {
            s.iter().for_each(|x| put_binary(out, x));
            s.iter().map(Vec::len).sum()
        }),
    }
}

/// A read position in an encoded item (which this crate wrote, so malformed input is a bug
/// and panics).
struct Reader<'a> {
    /// The encoded item.
    buf: &'a str,
    /// The next byte to read.
    pos: usize,
}

impl<'a> Reader<'a> {
    /// The next byte.
    fn byte(&mut self) -> u8 {
        let b = self.buf.as_bytes()[self.pos];
        self.pos += 1;
        b
    }

    /// The next varint.
    fn varint(&mut self) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte();
            v |= u64::from(b & 0x3F) << shift;
            if b & 0x40 == 0 {
                return v;
            }
            shift += 6;
        }
    }

    /// The next length-prefixed string: a slice of the encoding, not validated again.
    fn str(&mut self) -> &'a str {
        let n = self.varint() as usize;
        let text = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        text
    }

    /// The next length-prefixed binary, unpacked.
    fn binary(&mut self) -> Vec<u8> {
        let n = self.varint() as usize;
        let packed = &self.buf.as_bytes()[self.pos..self.pos + packed_len(n)];
        self.pos += packed.len();
        let mut out = Vec::with_capacity(n);
        let mut groups = packed.chunks_exact(8);
        for group in &mut groups {
            let mut bytes = [0u8; 7];
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = group[i] | ((group[7] >> i) & 1) << 7;
            }
            out.extend_from_slice(&bytes);
        }
        if let Some((high, low)) = groups.remainder().split_last() {
            for (i, b) in low.iter().enumerate() {
                out.push(b | ((high >> i) & 1) << 7);
            }
        }
        out
    }

    /// The next container header: element count (the byte length is skipped).
    fn count(&mut self) -> usize {
        let count = self.varint() as usize;
        self.pos += FIXED;
        count
    }

    /// The next top-level attribute name.
    fn name(&mut self) -> Name<'a> {
        match self.varint() {
            0 => Name::Inline(self.str()),
            id => Name::Id(u32::try_from(id - 1).expect("ids fit u32")),
        }
    }

    /// Skips the next value.
    fn skip_value(&mut self) {
        match self.byte() {
            T_S | T_NT => {
                let n = self.varint() as usize;
                self.pos += n;
            }
            T_B => {
                let n = self.varint() as usize;
                self.pos += packed_len(n);
            }
            T_NI => {
                self.varint();
            }
            T_FALSE | T_TRUE | T_NULL => {}
            _ => {
                self.varint();
                let len = fixed(&self.buf.as_bytes()[self.pos..self.pos + FIXED]);
                self.pos += FIXED + len;
            }
        }
    }
}

/// Reads a number after its tag.
fn decode_number(c: &mut Reader<'_>, tag: u8) -> Number {
    match tag {
        T_NI => {
            let z = c.varint();
            Number::from(((z >> 1) as i64) ^ -((z & 1) as i64))
        }
        _ => Number::parse(c.str()).expect("stored numbers are valid"),
    }
}

/// Reads a number after its tag, borrowed.
fn decode_number_ref<'a>(c: &mut Reader<'a>, tag: u8) -> NumberRef<'a> {
    match tag {
        T_NI => {
            let z = c.varint();
            NumberRef::Int(((z >> 1) as i64) ^ -((z & 1) as i64))
        }
        _ => NumberRef::Text(c.str()),
    }
}

/// Reads the next value, borrowed ([`decode_value`] without copying strings or numbers).
fn decode_ref<'a>(c: &mut Reader<'a>) -> ValueRef<'a> {
    match c.byte() {
        T_S => ValueRef::S(c.str()),
        tag @ (T_NI | T_NT) => ValueRef::N(decode_number_ref(c, tag)),
        T_B => ValueRef::B(Cow::Owned(c.binary())),
        T_FALSE => ValueRef::Bool(false),
        T_TRUE => ValueRef::Bool(true),
        T_NULL => ValueRef::Null,
        T_L => {
            let count = c.count();
            ValueRef::L((0..count).map(|_| decode_ref(c)).collect())
        }
        T_M => {
            let count = c.count();
            let mut pairs = Vec::with_capacity(count);
            for _ in 0..count {
                let key = c.str();
                pairs.push((key, decode_ref(c)));
            }
            ValueRef::M(pairs)
        }
        T_SS => {
            let count = c.count();
            ValueRef::Ss((0..count).map(|_| c.str()).collect())
        }
        T_NS => {
            let count = c.count();
            ValueRef::Ns(
                (0..count)
                    .map(|_| {
                        let tag = c.byte();
                        decode_number_ref(c, tag)
                    })
                    .collect(),
            )
        }
        T_BS => {
            let count = c.count();
            ValueRef::Bs((0..count).map(|_| Cow::Owned(c.binary())).collect())
        }
        tag => unreachable!("unknown stored value tag {tag}"),
    }
}

/// Reads the next value.
fn decode_value(c: &mut Reader<'_>) -> Value {
    match c.byte() {
        T_S => Value::S(c.str().to_owned()),
        tag @ (T_NI | T_NT) => Value::N(decode_number(c, tag)),
        T_B => Value::B(c.binary()),
        T_FALSE => Value::Bool(false),
        T_TRUE => Value::Bool(true),
        T_NULL => Value::Null,
        T_L => {
            let count = c.count();
            let mut list = Vec::with_capacity(count);
            for _ in 0..count {
                list.push(decode_value(c));
            }
            Value::L(list)
        }
        T_M => {
            let count = c.count();
            let mut pairs = Vec::with_capacity(count);
            for _ in 0..count {
                let key = c.str().to_owned();
                pairs.push((key, decode_value(c)));
            }
            Value::M(pairs.into_iter().collect::<BTreeMap<_, _>>())
        }
        T_SS => {
            let count = c.count();
            let mut set = Vec::with_capacity(count);
            for _ in 0..count {
                set.push(c.str().to_owned());
            }
            Value::Ss(set.into_iter().collect::<BTreeSet<_>>())
        }
        T_NS => {
            let count = c.count();
            let mut set = Vec::with_capacity(count);
            for _ in 0..count {
                let tag = c.byte();
                set.push(decode_number(c, tag));
            }
            Value::Ns(set.into_iter().collect::<BTreeSet<_>>())
        }
        T_BS => {
            let count = c.count();
            let mut set = Vec::with_capacity(count);
            for _ in 0..count {
                set.push(c.binary());
            }
            Value::Bs(set.into_iter().collect::<BTreeSet<_>>())
        }
        tag => unreachable!("unknown stored value tag {tag}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    /// Encodes and decodes `item` with `names`, checking the stored size on the way.
    fn round_trip_with(names: &mut Names, item: &Item) -> Item {
        let mut scratch = Vec::new();
        let stored = Stored::encode(item, names, &mut scratch, None);
        assert_eq!(stored.size(), item.size(), "{item:?}");
        // The borrowed view and the shared item read the same attributes.
        let viewed: Item = stored
            .attributes(names.dict())
            .into_iter()
            .map(|(name, value)| (name, value.to_value().unwrap()))
            .collect();
        assert_eq!(&viewed, item);
        let shared = SharedStored::new(&stored, names.dict());
        assert_eq!(&shared.to_item(), item);
        for (name, value) in item.iter() {
            assert_eq!(shared.get(name).as_ref(), Some(value));
        }
        stored.decode(names.dict())
    }

    fn round_trip(item: &Item) -> Item {
        round_trip_with(&mut Names::default(), item)
    }

    /// Numbers at every edge of the two number encodings and of DynamoDB's range.
    const NUMBERS: &[&str] = &[
        "0",
        "1",
        "-1",
        "63",
        "64",
        "-64",
        "-65",
        "127",
        "128",
        "12300",
        "999999999999999999",
        "-999999999999999999",
        "1000000000000000000",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "12345678901234567890123456789012345678",
        "-12345678901234567890123456789012345678",
        "99999999999999999999999999999999999999",
        "1.2345678901234567890123456789012345678",
        "-0.00000000000000000000000000000000000000012345678901234567890123456789012345678",
        "0.001",
        "-0.5",
        "3.14",
        "1e-130",
        "-1e-130",
        "9.9999999999999999999999999999999999999e125",
        "-1e125",
        "1e38",
    ];

    fn every_kind() -> Item {
        let numbers: BTreeSet<Number> = NUMBERS.iter().map(|t| num(t)).collect();
        let nested = Value::M(BTreeMap::from([
            ("".to_owned(), Value::from("")),
            ("empty list".to_owned(), Value::L(vec![])),
            ("empty map".to_owned(), Value::M(BTreeMap::new())),
            (
                "deep".to_owned(),
                Value::L(vec![
                    Value::from(""),
                    Value::B(vec![]),
                    Value::M(BTreeMap::from([
                        ("x".to_owned(), Value::Null),
                        ("y".to_owned(), Value::Ns(BTreeSet::from([num("-0.5")]))),
                    ])),
                    Value::L(vec![Value::L(vec![Value::Bool(false)])]),
                ]),
            ),
        ]));
        let mut item = Item::new()
            .with("s", "hello \u{e9}\u{1D11E}")
            .with("empty", "")
            .with("b", Value::B((0..=255).collect()))
            .with("empty_b", Value::B(vec![]))
            .with("t", true)
            .with("f", false)
            .with("z", Value::Null)
            .with(
                "ss",
                Value::Ss(BTreeSet::from([
                    "".to_owned(),
                    "a".to_owned(),
                    "\u{e9}".to_owned(),
                ])),
            )
            .with("ns", Value::Ns(numbers))
            .with(
                "bs",
                Value::Bs(BTreeSet::from([vec![], vec![0], vec![255; 300]])),
            )
            .with(
                "l",
                Value::L(vec![Value::from(""), Value::from(1), Value::L(vec![])]),
            )
            .with("m", nested)
            .with("long", "x".repeat(100_000))
            .with("", "an empty name (rejected by checks, still encodable)");
        for (i, text) in NUMBERS.iter().enumerate() {
            item.insert(format!("n{i}"), Value::N(num(text)));
        }
        item
    }

    #[test]
    fn round_trips_every_kind_of_value() {
        let item = every_kind();
        let back = round_trip(&item);
        assert_eq!(back, item);
        // Exact numbers: the same canonical text, not just the same value.
        for (i, text) in NUMBERS.iter().enumerate() {
            assert_eq!(
                back[&format!("n{i}")].as_n().unwrap().as_str(),
                num(text).as_str()
            );
        }
        assert_eq!(round_trip(&Item::new()), Item::new());
    }

    #[test]
    fn numbers_use_the_compact_form_when_they_fit() {
        let mut out = Vec::new();
        encode_number(&num("-32"), &mut out);
        assert_eq!(out, [T_NI, 63]);
        out.clear();
        encode_number(&num("9223372036854775807"), &mut out);
        assert_eq!(out[0], T_NT);
        assert_eq!(
            small_integer("999999999999999999"),
            Some(999_999_999_999_999_999)
        );
        assert_eq!(small_integer("-12300"), Some(-12300));
        assert_eq!(small_integer("1.5"), None);
        assert_eq!(small_integer("-"), None);
    }

    #[test]
    fn framing_is_ascii_and_round_trips() {
        for v in [0, 1, 63, 64, 4095, 4096, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert!(out.is_ascii());
            let text = String::from_utf8(out).unwrap();
            assert_eq!(Reader { buf: &text, pos: 0 }.varint(), v);
        }
        for v in [0, 1, 127, 128, (1 << 21) - 1] {
            let mut out = [0u8; FIXED];
            put_fixed(&mut out, v);
            assert!(out.is_ascii());
            assert_eq!(fixed(&out), v);
        }
        for len in 0..30usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 200) as u8).collect();
            for b in [bytes, vec![0xFF; len], vec![0x80; len]] {
                let mut out = Vec::new();
                put_binary(&mut out, &b);
                assert!(out.is_ascii());
                let text = String::from_utf8(out).unwrap();
                let mut c = Reader { buf: &text, pos: 0 };
                assert_eq!(c.binary(), b);
                assert_eq!(c.pos, text.len());
            }
        }
    }

    #[test]
    fn names_are_interned_once_per_table() {
        let mut names = Names::default();
        let mut scratch = Vec::new();
        let a = Item::new().with("pk", "a").with("x", 1);
        let b = Item::new().with("pk", "b").with("y", 2).with("x", 3);
        let sa = Stored::encode(&a, &mut names, &mut scratch, None);
        let sb = Stored::encode(&b, &mut names, &mut scratch, None);
        assert_eq!(names.dict.list.len(), 3);
        assert_eq!(sa.decode(names.dict()), a);
        assert_eq!(sb.decode(names.dict()), b);
        // One byte of id per name, not the name.
        let long = Item::new().with("a_rather_long_attribute_name", 1);
        let first = Stored::encode(&long, &mut names, &mut scratch, None);
        assert_eq!(first.0.len(), HEADER + 4, "{first:?}");
    }

    #[test]
    fn items_decode_alike_with_and_without_a_shape() {
        let mut names = Names {
            shape_limit: 2,
            ..Names::default()
        };
        let mut scratch = Vec::new();
        let items = [
            Item::new().with("pk", "a").with("x", 1),
            Item::new().with("pk", "b").with("x", 2),
            Item::new().with("pk", "c").with("y", Value::L(vec![])),
            Item::new().with("pk", "d").with("x", 3).with("y", true),
            Item::new().with("pk", "e").with("x", 4),
            Item::new(),
        ];
        let stored: Vec<Stored> = items
            .iter()
            .map(|i| Stored::encode(i, &mut names, &mut scratch, None))
            .collect();
        let shape = |s: &Stored| fixed(&s.0.as_bytes()[FIXED..HEADER]);
        // Two shapes recorded: {pk, x} and {pk, y}; {pk, x, y} and {} find no room.
        assert_eq!(
            stored.iter().map(shape).collect::<Vec<_>>(),
            [1, 1, 2, 0, 1, 0]
        );
        for (s, item) in stored.iter().zip(&items) {
            assert_eq!(&s.decode(names.dict()), item);
        }
        // A projection has its own shape.
        let keep = ["pk".to_owned()];
        let projected = Stored::encode(&items[3], &mut names, &mut scratch, Some(&keep));
        assert_eq!(projected.decode(names.dict()), Item::new().with("pk", "d"));
    }

    #[test]
    fn names_beyond_the_limit_are_stored_inline() {
        let mut names = Names {
            limit: 2,
            ..Names::default()
        };
        let item = Item::new()
            .with("a", 1)
            .with("b", "x")
            .with("c", Value::L(vec![]))
            .with("d", true);
        assert_eq!(round_trip_with(&mut names, &item), item);
        assert_eq!(names.dict.list.len(), 2);
        let mut scratch = Vec::new();
        let stored = Stored::encode(&item, &mut names, &mut scratch, None);
        for name in ["a", "b", "c", "d"] {
            assert_eq!(
                stored.get(names.dict(), name).as_ref(),
                item.get(name),
                "{name}"
            );
            let selector = Selector::new(&names, [name, "nope", name]);
            assert_eq!(
                stored.select(names.dict(), &selector),
                item.project(&[name])
            );
        }
        assert_eq!(stored.get(names.dict(), "nope"), None);
    }

    #[test]
    fn selects_and_gets_attributes() {
        let mut names = Names::default();
        let mut scratch = Vec::new();
        let item = every_kind();
        let stored = Stored::encode(&item, &mut names, &mut scratch, None);
        for (name, value) in item.iter() {
            assert_eq!(
                stored.get(names.dict(), name).as_ref(),
                Some(value),
                "{name}"
            );
        }
        assert_eq!(stored.get(names.dict(), "missing"), None);
        for name in [
            "s", "empty", "b", "empty_b", "n0", "n5", "n20", "t", "z", "l", "ss",
        ] {
            let want = KeyPart::from_value(&item[name]);
            assert_eq!(stored.key_part(names.dict(), name), want, "{name}");
        }
        assert_eq!(stored.key_part(names.dict(), "missing"), None);
        let wanted = ["m", "missing", "s", "n3", "bs", "long"];
        let selector = Selector::new(&names, wanted);
        assert_eq!(
            stored.select(names.dict(), &selector),
            item.project(&wanted)
        );
        let none = Selector::new(&names, []);
        assert_eq!(stored.select(names.dict(), &none), Item::new());
    }

    #[test]
    fn projected_encodings_keep_only_the_named_attributes() {
        let mut names = Names::default();
        let mut scratch = Vec::new();
        let item = every_kind();
        let mut keep: Vec<String> = ["s", "m", "n0", "absent"].map(str::to_owned).to_vec();
        keep.sort_unstable();
        let stored = Stored::encode(&item, &mut names, &mut scratch, Some(&keep));
        let want = item.project(&["s", "m", "n0"]);
        assert_eq!(stored.size(), want.size());
        assert_eq!(stored.decode(names.dict()), want);
    }

    fn arb_number() -> impl Strategy<Value = Number> {
        prop_oneof![
            any::<i64>().prop_map(Number::from),
            (any::<bool>(), "[1-9][0-9]{0,37}", -130i32..=125).prop_filter_map(
                "in range",
                |(neg, digits, exp)| {
                    let sign = if neg { "-" } else { "" };
                    let text = format!("{sign}{}.{}e{exp}", &digits[..1], &digits[1..]);
                    Number::parse(&text).ok()
                }
            ),
        ]
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<String>().prop_map(Value::S),
            arb_number().prop_map(Value::N),
            prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::B),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
            prop::collection::btree_set(any::<String>(), 1..4).prop_map(Value::Ss),
            prop::collection::btree_set(arb_number(), 1..4).prop_map(Value::Ns),
            prop::collection::btree_set(prop::collection::vec(any::<u8>(), 0..8), 1..4)
                .prop_map(Value::Bs),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::L),
                prop::collection::btree_map(".{0,6}", inner, 0..5).prop_map(Value::M),
            ]
        })
    }

    proptest! {
        #[test]
        fn prop_round_trip(
            attrs in prop::collection::btree_map(".{0,12}", arb_value(), 0..20),
            limit in 0usize..30,
        ) {
            let item = Item(attrs);
            let mut names = Names { limit, ..Names::default() };
            prop_assert_eq!(round_trip_with(&mut names, &item), item.clone());
            // Again, now that the names are interned (or the table is full).
            prop_assert_eq!(round_trip_with(&mut names, &item), item);
        }
    }
}
