//! Table storage and secondary indexes, maintained on every write.
//!
//! A table ([`Table`]) is its definition ([`Schema`], immutable) and [`PARTS`] parts, each
//! behind its own lock. An item lives in the part its partition key hashes to
//! ([`part_of`]), so a write locks one part and writers to different parts proceed at once;
//! reads of one partition (a get, a query of the table or of a local index) read one part, and
//! reads spanning partitions (a scan, a query of a global index) merge the parts' ordered
//! ranges ([`crate::merge::Merge`]).
//!
//! A part ([`Part`]) is an ordered map of partitions, each an ordered map from sort key to
//! item, so a partition query is `O(log n + k)`. The maps are persistent B-trees ([`Map`],
//! `imbl`'s `OrdMap`): cloning a part is O(1) and shares every node, and a write copies only
//! the nodes on its path that are shared, so a fork ([`crate::Snapshot`]) never copies the
//! items. Each part keeps its own slice of every secondary index (the entries of its own
//! items), keyed by `(index sort key, table partition key, table sort key)`, holding the
//! projected item. Items lacking an index key attribute are not in that index (sparse
//! indexes). Items are stored in their compact form ([`Stored`], one allocation each), with
//! attribute names interned per part (encoding and decoding a part's items never touches
//! another part), shared between the table and the indexes that project every attribute;
//! `KeysOnly` and `Include` indexes store their own compact projection.

use crate::key::{check_key_value, exact_key, Composite, KeyPart, PrimaryKey, Slot};
use crate::limits;
use crate::lock::{ReadGuard, ShardedLock, WriteGuard};
use crate::merge::Merge;
use crate::metadata::{
    IndexDescription, IndexStatus, TableDescription, TableMetadata, TableStatus,
};
use crate::stored::{Dict, Names, Selector, SharedStored, Stored};
use crate::streams::stream::{Captured, PartNames, Stream};
use orm_core::backend::{
    IndexDefinition, KeyAttribute, Limits, Projection, RawItem, TableDefinition, MAX_KEY_ATTRIBUTES,
};
use orm_core::expr::{Condition, Path};
use orm_core::{Error, Item, Number, Result, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// How many parts a table has: fixed, so that where an item lives (and so which writes
/// contend) does not vary by machine.
pub(crate) const PARTS: usize = 16;

/// The part holding the items of partition key `pk`.
pub(crate) fn part_of(pk: &KeyPart) -> usize {
    (pk.segment_hash() % PARTS as u64) as usize
}

/// The ordered maps of tables and indexes: persistent (structurally shared) B-trees.
pub(crate) type Map<K, V> = imbl::OrdMap<K, V>;

/// The position of an entry within an index partition: index sort key ([`KeyPart::MIN`] when
/// the index has none), then the table's partition and sort keys.
pub(crate) type IndexKey = (KeyPart, KeyPart, KeyPart);

/// The entries of a secondary index (in one part): index partition key -> entry position ->
/// projected item.
pub(crate) type IndexMap = Map<KeyPart, Map<IndexKey, Stored>>;

/// One item's entry in a secondary index: where it sits, and the projected item.
#[derive(Debug, Clone)]
pub(crate) struct IndexEntry {
    /// The index partition key and the entry's position in that partition.
    pub(crate) at: (KeyPart, IndexKey),
    /// The projected item.
    pub(crate) entry: Stored,
}

/// A secondary index's definition, and what it keeps of an item.
#[derive(Debug)]
pub(crate) struct Index {
    /// The definition.
    pub(crate) def: IndexDefinition,
    /// For `KeysOnly` / `Include`: the attributes kept (keys included); empty for `All`.
    kept: Vec<String>,
}

impl Index {
    fn new(def: IndexDefinition, table: &TableDefinition) -> Index {
        let mut kept = Vec::new();
        if def.projection != Projection::All {
            kept.push(table.partition_key.name.clone());
            kept.extend(table.sort_key.iter().map(|k| k.name.clone()));
            kept.extend(def.key_attributes().map(|k| k.name.clone()));
            if let Projection::Include(names) = &def.projection {
                kept.extend(names.iter().cloned());
            }
            kept.sort_unstable();
            kept.dedup();
        }
        Index { def, kept }
    }

    /// Whether the index holds every attribute of its items.
    pub(crate) fn projects_all(&self) -> bool {
        self.def.projection == Projection::All
    }

    /// Whether the index holds the attribute `name` of its items (a key or a projected one).
    pub(crate) fn keeps(&self, name: &str) -> bool {
        self.projects_all() || self.kept.binary_search_by(|k| k.as_str().cmp(name)).is_ok()
    }

    /// The index partition and sort key parts ([`KeyPart::MIN`] without a sort key) from the
    /// parts `part` gives of its key attributes; `None` if one has none (the item is not in the
    /// index). A multi-attribute key's part is the [`KeyPart::composite`] of its attributes'.
    pub(crate) fn key_parts(
        &self,
        mut part: impl FnMut(&KeyAttribute, Slot) -> Option<KeyPart>,
    ) -> Option<(KeyPart, KeyPart)> {
        let pk = side(self.def.partition_keys(), Slot::Partition, &mut part)?;
        let sk = match self.def.sort_key {
            Some(_) => side(self.def.sort_keys(), Slot::Sort, &mut part)?,
            None => KeyPart::MIN,
        };
        Some((pk, sk))
    }

    /// Where an item sits in this index; `None` if it lacks an index key attribute (or has one
    /// of the wrong type, which a checked item never has).
    fn position(&self, item: &Item, key: &PrimaryKey) -> Option<(KeyPart, IndexKey)> {
        let (pk, sk) = self.key_parts(|attr, _| KeyPart::from_value(item.get(&attr.name)?))?;
        Some((pk, (sk, key.pk.clone(), key.sk.clone())))
    }

    /// Where a stored item goes when the index is built over a table that holds it (a
    /// backfill): `None` when it lacks an index key attribute, or holds one of another type
    /// than declared or that is not a valid key (empty, too long), which DynamoDB's backfill
    /// also leaves out of the index.
    fn backfill_position(
        &self,
        names: &Dict,
        item: &Stored,
        key: &PrimaryKey,
        limits: &Limits,
    ) -> Option<(KeyPart, IndexKey)> {
        let (pk, sk) = self.key_parts(|attr, slot| {
            let value = item.get(names, &attr.name)?;
            check_key_value(attr, &value, slot, Some(&self.def.name), limits).ok()
        })?;
        Some((pk, (sk, key.pk.clone(), key.sk.clone())))
    }

    /// [`Index::position`] of a stored item.
    fn stored_position(
        &self,
        names: &Dict,
        item: &Stored,
        key: &PrimaryKey,
    ) -> Option<(KeyPart, IndexKey)> {
        let (pk, sk) = self.key_parts(|attr, _| item.key_part(names, &attr.name))?;
        Some((pk, (sk, key.pk.clone(), key.sk.clone())))
    }
}

/// The key part of one side (partition or sort) of an index key: its attribute's part, or the
/// composite of its attributes' parts.
fn side<'a>(
    mut attrs: impl Iterator<Item = &'a KeyAttribute>,
    slot: Slot,
    part: &mut impl FnMut(&KeyAttribute, Slot) -> Option<KeyPart>,
) -> Option<KeyPart> {
    let first = part(attrs.next()?, slot)?;
    let Some(second) = attrs.next() else {
        return Some(first);
    };
    let mut composite = Composite::default();
    composite.push(&first);
    composite.push(&part(second, slot)?);
    for attr in attrs {
        composite.push(&part(attr, slot)?);
    }
    Some(composite.finish())
}

/// Removes the entry at a position of an index (dropping its partition when that empties it).
fn remove_entry(entries: &mut IndexMap, (pk, position): &(KeyPart, IndexKey)) {
    if let Some(partition) = entries.get_mut(pk) {
        partition.remove(position);
        if partition.is_empty() {
            entries.remove(pk);
        }
    }
}

/// A table's definition and limits, shared (never changed) by its parts.
#[derive(Debug)]
pub(crate) struct Schema {
    /// The definition it was created with.
    pub(crate) def: TableDefinition,
    /// The secondary indexes, in definition order.
    pub(crate) indexes: Vec<Index>,
    /// The limits enforced on writes.
    pub(crate) limits: Limits,
}

/// Items of one part of a table: its partitions, its slice of every index, its names, and the
/// table's stream, when one is enabled.
#[derive(Debug)]
pub(crate) struct Part {
    /// The table's definition.
    pub(crate) schema: Arc<Schema>,
    /// Its position among the table's parts.
    pub(crate) index: usize,
    /// The stream every committed change to this part's items is recorded in (the same for
    /// every part of the table; set and cleared holding every part's write lock).
    pub(crate) stream: Option<Arc<Stream>>,
    /// Partition key -> sort key ([`KeyPart::MIN`] without one) -> item.
    pub(crate) partitions: Map<KeyPart, Map<KeyPart, Stored>>,
    /// The entries of each secondary index for this part's items, in definition order.
    pub(crate) indexes: Vec<IndexMap>,
    /// The interned attribute names of the stored items (and index entries).
    names: Names,
    /// A reusable buffer for encoding items.
    scratch: Vec<u8>,
    len: usize,
}

impl Clone for Part {
    /// A fork of the part: O(1), sharing the item maps and names copy-on-write. The copy
    /// records in no stream (a fork's tables get streams of their own).
    fn clone(&self) -> Part {
        Part {
            schema: Arc::clone(&self.schema),
            index: self.index,
            stream: None,
            partitions: self.partitions.clone(),
            indexes: self.indexes.clone(),
            names: self.names.clone(),
            scratch: Vec::new(),
            len: self.len,
        }
    }
}

fn check_name(kind: &str, name: &str) -> Result<()> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !(3..=255).contains(&name.len()) || !valid_chars {
        return Err(invalid(format!(
            "{kind} name `{name}` is invalid: it must be 3 to 255 characters of a-z, A-Z, 0-9, \
             `_`, `-` and `.`"
        )));
    }
    Ok(())
}

/// The service's rejection of a CreateTable request.
fn invalid(message: impl Into<String>) -> Error {
    Error::service_validation("CreateTable", message)
}

/// Checks a table definition as CreateTable does, after [`TableDefinition::validate`] (the checks
/// DynamoBackend makes before sending, the ORM's [`Error::Validation`] on both backends). Errors
/// here are the service's ([`Error::ServiceValidation`]).
fn check_definition(def: &TableDefinition) -> Result<()> {
    check_name("Table", &def.name)?;
    if let Some(sk) = &def.sort_key {
        // DynamoDB's answer to a key schema naming one attribute twice (which, with one
        // definition per attribute, leaves a key element without its own definition).
        if sk.name == def.partition_key.name {
            return Err(invalid(
                "Invalid KeySchema: Some index key attribute have no definition",
            ));
        }
    }
    let (mut local, mut global) = (0, 0);
    for index in &def.indexes {
        check_name("Index", &index.name)?;
        if let Some(sk) = &index.sort_key {
            if sk.name == index.partition_key.name {
                return Err(invalid(format!(
                    "Invalid KeySchema of index {}: the partition and sort keys must be \
                     different attributes",
                    index.name
                )));
            }
        }
        if index.partition_keys().count() > MAX_KEY_ATTRIBUTES {
            return Err(invalid(format!(
                "Too many partition keys. GSI can have at most {MAX_KEY_ATTRIBUTES} partition keys"
            )));
        }
        if index.sort_keys().count() > MAX_KEY_ATTRIBUTES {
            return Err(invalid(format!(
                "Too many sort keys. GSI can have at most {MAX_KEY_ATTRIBUTES} sort keys"
            )));
        }
        let names: Vec<&str> = index.key_attributes().map(|k| k.name.as_str()).collect();
        if (1..names.len()).any(|i| names[..i].contains(&names[i])) {
            return Err(invalid("Two keys can not have the same name"));
        }
        if index.local {
            local += 1;
            if index.is_multi_attribute() {
                return Err(invalid(
                    "Key Schema too big.  Key Schema must at most consist of the hash and range \
                     key of a table",
                ));
            }
            if def.sort_key.is_none() {
                return Err(invalid(
                    "One or more parameter values were invalid: Table KeySchema does not have a \
                     range key, which is required when specifying a LocalSecondaryIndex",
                ));
            }
            if index.sort_key.is_none() {
                return Err(invalid(format!(
                    "One or more parameter values were invalid: Local secondary index {} must \
                     have the table's partition key and a sort key",
                    index.name
                )));
            }
        } else {
            global += 1;
        }
        if let Projection::Include(attrs) = &index.projection {
            if attrs.is_empty() {
                return Err(invalid(format!(
                    "One or more parameter values were invalid: index {} projects INCLUDE but \
                     names no attributes",
                    index.name
                )));
            }
        }
    }
    if local > 5 {
        return Err(invalid(
            "One or more parameter values were invalid: a table can have at most 5 local \
             secondary indexes",
        ));
    }
    if global > 20 {
        return Err(invalid(
            "One or more parameter values were invalid: a table can have at most 20 global \
             secondary indexes",
        ));
    }
    Ok(())
}

impl Schema {
    /// The definition of a new table, after checking it.
    pub(crate) fn new(def: TableDefinition, limits: Limits) -> Result<Schema> {
        check_definition(&def)?;
        let indexes = def
            .indexes
            .iter()
            .map(|i| Index::new(i.clone(), &def))
            .collect();
        Ok(Schema {
            def,
            indexes,
            limits,
        })
    }

    /// The index named `name` with its position, or DynamoDB's error for an unknown index.
    pub(crate) fn index(&self, name: &str) -> Result<(usize, &Index)> {
        self.indexes
            .iter()
            .enumerate()
            .find(|(_, i)| i.def.name == name)
            .ok_or_else(|| {
                Error::validation(format!(
                    "The table does not have the specified index: {name}"
                ))
            })
    }

    /// Converts the full key of a get, update or delete (exactly the key attributes).
    pub(crate) fn key(&self, key: &Item) -> Result<PrimaryKey> {
        exact_key(
            key,
            &self.def.partition_key,
            self.def.sort_key.as_ref(),
            &self.limits,
        )
    }

    /// The part holding the item whose key (or whole item) is `item`, by its partition key
    /// attribute; `None` when that is absent or not an S, N or B (no part is then read or
    /// written: the request fails its checks).
    pub(crate) fn part_of_item(&self, item: &Item) -> Option<usize> {
        let pk = KeyPart::from_value(item.get(&self.def.partition_key.name)?)?;
        Some(part_of(&pk))
    }

    /// The table's key attributes of an item.
    pub(crate) fn key_item(&self, item: &Item) -> Item {
        let mut key = Item::new();
        for attr in std::iter::once(&self.def.partition_key).chain(&self.def.sort_key) {
            if let Some(v) = item.get(&attr.name) {
                key.insert(attr.name.clone(), v.clone());
            }
        }
        key
    }

    /// Checks an item to be written as DynamoDB does and returns its key: the key attributes
    /// present, typed and non-empty within their size limits; index key attributes, when present,
    /// of their declared type and non-empty; no empty set; nesting and item size within limits.
    ///
    /// `update` picks UpdateItem's wording for the size error.
    pub(crate) fn check_item(&self, item: &Item, update: bool) -> Result<PrimaryKey> {
        let key_of = |attr: &KeyAttribute, slot: Slot| -> Result<KeyPart> {
            let value = item.get(&attr.name).ok_or_else(|| {
                Error::validation(format!(
                    "One or more parameter values were invalid: Missing the key {} in the item",
                    attr.name
                ))
            })?;
            check_key_value(attr, value, slot, None, &self.limits)
        };
        let pk = key_of(&self.def.partition_key, Slot::Partition)?;
        let sk = match &self.def.sort_key {
            Some(attr) => key_of(attr, Slot::Sort)?,
            None => KeyPart::MIN,
        };
        for index in &self.def.indexes {
            let slots = index
                .partition_keys()
                .map(|k| (k, Slot::Partition))
                .chain(index.sort_keys().map(|k| (k, Slot::Sort)));
            for (attr, slot) in slots {
                if let Some(value) = item.get(&attr.name) {
                    check_key_value(attr, value, slot, Some(&index.name), &self.limits)?;
                }
            }
        }
        limits::check_item(item, &self.limits, update)?;
        Ok(PrimaryKey { pk, sk })
    }
}

impl Part {
    /// An empty part of a table, at position `index`.
    fn new(schema: Arc<Schema>, index: usize) -> Part {
        Part {
            indexes: vec![Map::new(); schema.indexes.len()],
            schema,
            index,
            stream: None,
            partitions: Map::new(),
            names: Names::default(),
            scratch: Vec::new(),
            len: 0,
        }
    }

    /// The interned names its stored items are decoded with.
    pub(crate) fn dict(&self) -> &Arc<Dict> {
        self.names.dict()
    }

    /// The whole item of a stored item or index entry of this part.
    pub(crate) fn decode(&self, item: &Stored) -> Item {
        item.decode(self.names.dict())
    }

    /// A stored item handed out shared ([`RawItem::Shared`]): no copy, decoded by the reader.
    pub(crate) fn share(&self, item: &Stored) -> RawItem {
        RawItem::Shared(Arc::new(SharedStored::new(item, self.names.dict())))
    }

    /// A selector of the named top-level attributes, for [`Part::select`].
    pub(crate) fn selector<'a>(&self, wanted: impl IntoIterator<Item = &'a str>) -> Selector<'a> {
        Selector::new(&self.names, wanted)
    }

    /// The selected top-level attributes of a stored item or index entry.
    pub(crate) fn select(&self, item: &Stored, selector: &Selector<'_>) -> Item {
        item.select(self.names.dict(), selector)
    }

    /// A selector of the top-level attributes a condition reads: evaluating the condition on
    /// just those gives the same answer as on the whole item.
    pub(crate) fn condition_selector<'a>(&self, condition: &'a Condition) -> Selector<'a> {
        let mut roots = Vec::new();
        crate::eval::condition_roots(condition, &mut roots);
        self.selector(roots)
    }

    /// Applies a (checked) projection to a stored item, decoding only the attributes it
    /// names.
    pub(crate) fn project(&self, item: &Stored, paths: &[Path]) -> Item {
        self.project_with(item, paths, &self.selector(paths.iter().map(Path::root)))
    }

    /// [`Part::project`] with the selector of the paths' roots made beforehand.
    pub(crate) fn project_with(&self, item: &Stored, paths: &[Path], roots: &Selector<'_>) -> Item {
        let selected = self.select(item, roots);
        if paths.iter().all(Path::is_top_level) {
            selected
        } else {
            crate::eval::project(&selected, paths)
        }
    }

    /// The stored item with this key.
    pub(crate) fn get(&self, key: &PrimaryKey) -> Option<&Stored> {
        self.partitions.get(&key.pk)?.get(&key.sk)
    }

    /// Stores a (checked) item of this part, replacing and returning the one with the same key.
    ///
    /// The item is encoded once (and once more per `KeysOnly`/`Include` index holding it);
    /// it is borrowed, so a caller that owns it drops it afterwards.
    pub(crate) fn put(&mut self, key: PrimaryKey, item: &Item) -> Option<Stored> {
        self.store(key, item, false).0
    }

    /// Stores a (checked) item of this part: the replaced item, and, when `keep` is set, the
    /// stored form of the new one (for the stream).
    fn store(
        &mut self,
        key: PrimaryKey,
        item: &Item,
        keep: bool,
    ) -> (Option<Stored>, Option<Stored>) {
        let stored = Stored::encode(item, &mut self.names, &mut self.scratch, None);
        let old = self
            .partitions
            .entry(key.pk.clone())
            .or_default()
            .insert(key.sk.clone(), stored.clone());
        for (index, entries) in self.schema.indexes.iter().zip(&mut self.indexes) {
            let now = index.position(item, &key);
            if let Some(old) = &old {
                // Drop the old entry unless the new one replaces it in place.
                if let Some(was) = index.stored_position(self.names.dict(), old, &key) {
                    if Some(&was) != now.as_ref() {
                        remove_entry(entries, &was);
                    }
                }
            }
            if let Some((pk, position)) = now {
                let entry = if index.projects_all() {
                    stored.clone()
                } else {
                    Stored::encode(
                        item,
                        &mut self.names,
                        &mut self.scratch,
                        Some(index.kept.as_slice()),
                    )
                };
                entries.entry(pk).or_default().insert(position, entry);
            }
        }
        if old.is_none() {
            self.len += 1;
        }
        (old, keep.then_some(stored))
    }

    /// Stores a (checked) item; the change, when the table has a stream (to record with others
    /// of the same write: [`Part::record`]).
    pub(crate) fn put_captured(&mut self, key: PrimaryKey, item: &Item) -> Option<Captured> {
        if self.stream.is_none() {
            self.put(key, item);
            return None;
        }
        let (old, new) = self.store(key, item, true);
        Some(Captured {
            part: self.index,
            old,
            new,
            by_ttl: false,
        })
    }

    /// Deletes the item with this key; the change, when there was an item and the table has a
    /// stream.
    pub(crate) fn delete_captured(&mut self, key: &PrimaryKey) -> Option<Captured> {
        let old = self.delete(key)?;
        self.stream.as_ref()?;
        Some(Captured {
            part: self.index,
            old: Some(old),
            new: None,
            by_ttl: false,
        })
    }

    /// Records changes of this part's items in the table's stream (nothing without one).
    pub(crate) fn record(&self, changes: impl IntoIterator<Item = Captured>) {
        if let Some(stream) = &self.stream {
            stream.record(changes);
        }
    }

    /// Deletes and returns the item with this key.
    pub(crate) fn delete(&mut self, key: &PrimaryKey) -> Option<Stored> {
        let partition = self.partitions.get_mut(&key.pk)?;
        let old = partition.remove(&key.sk)?;
        if partition.is_empty() {
            self.partitions.remove(&key.pk);
        }
        for (index, entries) in self.schema.indexes.iter().zip(&mut self.indexes) {
            if let Some(was) = index.stored_position(self.names.dict(), &old, key) {
                remove_entry(entries, &was);
            }
        }
        self.len -= 1;
        Some(old)
    }

    /// How many items the part holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The item stored at `key`, and its entry in each secondary index (in definition order;
    /// `None` where the index does not hold it): what a write's consumed capacity compares
    /// before and after it.
    pub(crate) fn item_and_entries(
        &self,
        key: &PrimaryKey,
    ) -> (Option<Stored>, Vec<Option<IndexEntry>>) {
        let item = self.get(key).cloned();
        let entries = self
            .schema
            .indexes
            .iter()
            .zip(&self.indexes)
            .map(|(index, entries)| {
                let at = index.stored_position(self.names.dict(), item.as_ref()?, key)?;
                let entry = entries.get(&at.0)?.get(&at.1)?.clone();
                Some(IndexEntry { at, entry })
            })
            .collect();
        (item, entries)
    }

    /// The part's items, decoded, in key order (partition key, then sort key), with their keys.
    fn items(&self) -> impl Iterator<Item = ((&KeyPart, &KeyPart), Item)> + '_ {
        self.partitions
            .iter()
            .flat_map(|(pk, partition)| partition.iter().map(move |(sk, item)| ((pk, sk), item)))
            .map(|(key, item)| (key, self.decode(item)))
    }

    /// The size of the part's items, in DynamoDB's bytes.
    pub(crate) fn size_bytes(&self) -> usize {
        self.partitions
            .values()
            .flat_map(|partition| partition.values())
            .map(Stored::size)
            .sum()
    }

    /// How many entries the part's slice of index `position` holds, and their size (as
    /// projected).
    pub(crate) fn index_stats(&self, position: usize) -> (usize, usize) {
        self.indexes[position]
            .values()
            .flat_map(|partition| partition.values())
            .fold((0, 0), |(count, bytes), entry| {
                (count + 1, bytes + entry.size())
            })
    }

    /// This part's items under another definition of its table, `schema`, that differs by its
    /// secondary indexes: an index both have keeps its entries (shared, O(1)); a new one is
    /// built from the part's items (a backfill); one `schema` lacks is dropped. The new part
    /// records in no stream until one is attached to its table.
    pub(crate) fn reindexed(&self, schema: Arc<Schema>) -> Part {
        let mut names = self.names.clone();
        let mut scratch = Vec::new();
        let indexes = schema
            .indexes
            .iter()
            .map(|index| {
                let kept = self
                    .schema
                    .indexes
                    .iter()
                    .position(|old| old.def == index.def);
                if let Some(old) = kept {
                    return self.indexes[old].clone();
                }
                let mut entries = IndexMap::new();
                for (pk, partition) in &self.partitions {
                    for (sk, stored) in partition {
                        let key = PrimaryKey {
                            pk: pk.clone(),
                            sk: sk.clone(),
                        };
                        let Some((ipk, position)) =
                            index.backfill_position(names.dict(), stored, &key, &schema.limits)
                        else {
                            continue;
                        };
                        let entry = if index.projects_all() {
                            stored.clone()
                        } else {
                            let item = stored.decode(names.dict());
                            Stored::encode(&item, &mut names, &mut scratch, Some(&index.kept))
                        };
                        entries.entry(ipk).or_default().insert(position, entry);
                    }
                }
                entries
            })
            .collect();
        Part {
            schema,
            index: self.index,
            stream: None,
            partitions: self.partitions.clone(),
            indexes,
            names,
            scratch: Vec::new(),
            len: self.len,
        }
    }

    /// Deletes the items whose TTL attribute `ttl` is a number `<= now` (epoch seconds).
    pub(crate) fn purge_expired(&mut self, now: &Number, ttl: &str) -> usize {
        let expired: Vec<PrimaryKey> = self
            .partitions
            .iter()
            .flat_map(|(pk, items)| {
                items
                    .iter()
                    .filter_map(|(sk, item)| match item.get(self.names.dict(), ttl) {
                        Some(Value::N(at)) if at <= *now => Some(PrimaryKey {
                            pk: pk.clone(),
                            sk: sk.clone(),
                        }),
                        _ => None,
                    })
            })
            .collect();
        let mut removed = Vec::new();
        for key in &expired {
            let old = self.delete(key);
            if self.stream.is_some() {
                removed.extend(old.map(|old| Captured {
                    part: self.index,
                    old: Some(old),
                    new: None,
                    by_ttl: true,
                }));
            }
        }
        // Removed by DynamoDB itself: REMOVE records with its service identity.
        self.record(removed);
        expired.len()
    }
}

/// The items of every part of a table, in key order (the parts merged).
fn merged_items<'a>(parts: &[&'a Part]) -> impl Iterator<Item = Item> + 'a {
    Merge::new(parts.iter().map(|&p| p.items()), true).map(|(_, item)| item)
}

/// An UpdateTable change in progress: what DescribeTable reports, and what reads of a new
/// index are refused for, until the backend's status delay has passed since `at`.
#[derive(Debug, Clone)]
pub(crate) struct PendingChange {
    /// When the change was made.
    pub(crate) at: Instant,
    /// The global index being created (backfilled).
    pub(crate) creating_index: Option<String>,
    /// The global index being deleted (already out of the table's definition).
    pub(crate) deleting_index: Option<IndexDefinition>,
    /// The global indexes whose throughput is changing.
    pub(crate) updating_indexes: Vec<String>,
}

/// A live table: its definition, its [`PARTS`] parts, each behind its own lock, and its
/// metadata.
///
/// Lock order (see the crate's `MemoryBackend` docs): a request locks the parts it touches in
/// increasing part index, after every part of the tables before it by name; the metadata lock is
/// a leaf, taken last and never held while taking another.
#[derive(Debug)]
pub(crate) struct Table {
    /// The definition, shared with the parts.
    pub(crate) schema: Arc<Schema>,
    parts: Box<[ShardedLock<Part>]>,
    metadata: Mutex<TableMetadata>,
    /// The UpdateTable change in progress, if any (set when the table is rebuilt for it).
    pub(crate) pending: Option<PendingChange>,
    /// Whether `pending` was seen complete: it then stays complete, whatever the delay later.
    settled: AtomicBool,
}

impl PartNames for Table {
    fn part_names(&self, part: usize) -> Arc<Dict> {
        Arc::clone(self.read(part).dict())
    }
}

impl Table {
    /// A new empty table, after checking its definition (with the default settings).
    #[cfg(test)]
    pub(crate) fn new(def: TableDefinition, limits: Limits) -> Result<Table> {
        Ok(Table::from_frozen(Frozen::new(def, limits)?))
    }

    /// A live table holding a frozen table's items (sharing them, O(1) per part).
    pub(crate) fn from_frozen(frozen: Frozen) -> Table {
        Table {
            schema: frozen.schema,
            parts: frozen.parts.into_iter().map(ShardedLock::new).collect(),
            metadata: Mutex::new(frozen.metadata),
            pending: None,
            settled: AtomicBool::new(true),
        }
    }

    /// A frozen copy of the parts whose read guards are `parts` (all of this table's, from
    /// [`Table::read_all`]): O(1) per part. A change in progress is complete in the copy. The
    /// copy records in no stream; its metadata says whether the table has one (a backend made
    /// from the copy enables a new one).
    pub(crate) fn freeze(&self, parts: &[ReadGuard<'_, Part>]) -> Frozen {
        Frozen {
            schema: Arc::clone(&self.schema),
            parts: parts.iter().map(|p| Part::clone(p)).collect(),
            metadata: {
                let mut metadata = self.metadata().clone();
                metadata.stream = metadata.stream.filter(|latest| latest.enabled);
                metadata
            },
        }
    }

    /// The table's metadata, locked (a leaf lock).
    pub(crate) fn metadata(&self) -> MutexGuard<'_, TableMetadata> {
        self.metadata.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// This table with the secondary indexes of `def` (its keys unchanged) and `metadata`,
    /// each part re-indexed ([`Part::reindexed`]: new indexes backfilled), with `pending` the
    /// change in progress. Every part is read-locked meanwhile; the caller holds the catalog's
    /// write lock, so no request is running.
    pub(crate) fn reshaped(
        &self,
        def: TableDefinition,
        metadata: TableMetadata,
        pending: Option<PendingChange>,
    ) -> Result<Table> {
        let schema = Arc::new(Schema::new(def, self.schema.limits.clone())?);
        let parts = self
            .read_all()
            .iter()
            .map(|part| ShardedLock::new(part.reindexed(Arc::clone(&schema))))
            .collect();
        Ok(Table {
            schema,
            parts,
            metadata: Mutex::new(metadata),
            settled: AtomicBool::new(pending.is_none()),
            pending,
        })
    }

    /// The change in progress, while `delay` has not passed since it was made (once seen
    /// complete, it stays complete).
    pub(crate) fn pending_within(&self, delay: Duration) -> Option<&PendingChange> {
        if self.settled.load(Ordering::Relaxed) {
            return None;
        }
        let pending = self.pending.as_ref()?;
        if pending.at.elapsed() < delay {
            Some(pending)
        } else {
            self.settled.store(true, Ordering::Relaxed);
            None
        }
    }

    /// The change in progress as the answer to the request that made it reports it.
    pub(crate) fn pending_as_made(&self) -> Option<&PendingChange> {
        self.pending.as_ref()
    }

    /// DynamoDB's refusal to read an index still being backfilled.
    pub(crate) fn check_readable(&self, index: Option<&str>, delay: Duration) -> Result<()> {
        let creating = self
            .pending_within(delay)
            .and_then(|p| p.creating_index.as_deref());
        match (index, creating) {
            (Some(index), Some(creating)) if index == creating => Err(Error::validation(format!(
                "Cannot read from backfilling global secondary index: {index}"
            ))),
            _ => Ok(()),
        }
    }

    /// The table as DescribeTable reports it, `delay` being how long a change stays in
    /// progress (`None`: as the answer to the UpdateTable that made the change reports it):
    /// counts and sizes read with every part read-locked at once.
    pub(crate) fn describe(&self, delay: Option<Duration>) -> TableDescription {
        let now = SystemTime::now();
        let parts = self.read_all();
        let metadata = self.metadata().clone();
        let pending = match delay {
            Some(delay) => self.pending_within(delay),
            None => self.pending_as_made(),
        };
        let mut indexes: Vec<IndexDescription> = self
            .schema
            .indexes
            .iter()
            .enumerate()
            .map(|(position, index)| {
                let (item_count, size_bytes) = parts
                    .iter()
                    .map(|p| p.index_stats(position))
                    .fold((0, 0), |(c, b), (pc, pb)| (c + pc, b + pb));
                let name = index.def.name.as_str();
                let creating = pending.is_some_and(|p| p.creating_index.as_deref() == Some(name));
                let updating =
                    pending.is_some_and(|p| p.updating_indexes.iter().any(|u| u == name));
                IndexDescription {
                    definition: index.def.clone(),
                    status: if creating {
                        IndexStatus::Creating
                    } else if updating {
                        IndexStatus::Updating
                    } else {
                        IndexStatus::Active
                    },
                    backfilling: creating,
                    throughput: (!index.def.local).then(|| metadata.throughput_of(Some(name), now)),
                    item_count,
                    size_bytes,
                }
            })
            .collect();
        if let Some(deleting) = pending.and_then(|p| p.deleting_index.as_ref()) {
            indexes.push(IndexDescription {
                definition: deleting.clone(),
                status: IndexStatus::Deleting,
                backfilling: false,
                throughput: Some(metadata.throughput_of(Some(&deleting.name), now)),
                item_count: 0,
                size_bytes: 0,
            });
        }
        let mut definition = self.schema.def.clone();
        definition.ttl_attribute = metadata.ttl.clone();
        TableDescription {
            definition,
            status: if pending.is_some() {
                TableStatus::Updating
            } else {
                TableStatus::Active
            },
            id: metadata.id.clone(),
            created: metadata.created,
            billing_mode: metadata.billing_mode,
            pay_per_request_since: metadata.pay_per_request_since,
            throughput: metadata.throughput_of(None, now),
            latest_stream: metadata.stream.clone(),
            table_class: metadata.table_class,
            deletion_protection: metadata.deletion_protection,
            item_count: parts.iter().map(|p| p.len()).sum(),
            size_bytes: parts.iter().map(|p| p.size_bytes()).sum(),
            indexes,
        }
    }

    /// Shared access to one part.
    pub(crate) fn read(&self, part: usize) -> ReadGuard<'_, Part> {
        self.parts[part].read()
    }

    /// Exclusive access to one part.
    pub(crate) fn write(&self, part: usize) -> WriteGuard<'_, Part> {
        self.parts[part].write()
    }

    /// Exclusive access to every part, locked in order.
    pub(crate) fn write_all(&self) -> Vec<WriteGuard<'_, Part>> {
        self.parts.iter().map(ShardedLock::write).collect()
    }

    /// The stream the table's changes are recorded in, while one is enabled.
    pub(crate) fn stream(&self) -> Option<Arc<Stream>> {
        self.parts[0].read().stream.clone()
    }

    /// Shared access to every part, locked in order.
    pub(crate) fn read_all(&self) -> Vec<ReadGuard<'_, Part>> {
        self.parts.iter().map(ShardedLock::read).collect()
    }

    /// How many items the table holds (every part read-locked at once, so a transaction's
    /// writes count whole).
    pub(crate) fn len(&self) -> usize {
        self.read_all().iter().map(|p| p.len()).sum()
    }

    /// Checks and stores an item in its part (for tests that fill tables directly).
    #[cfg(test)]
    pub(crate) fn put(&self, item: &Item) -> Option<Stored> {
        let key = self.schema.check_item(item, false).expect("a valid item");
        self.write(part_of(&key.pk)).put(key, item)
    }

    /// Deletes, part by part, the items whose TTL attribute (the metadata's, when TTL is
    /// enabled) is a number `<= now`.
    pub(crate) fn purge_expired(&self, now: &Number) -> usize {
        let Some(ttl) = self.metadata().ttl.clone() else {
            return 0;
        };
        (0..PARTS)
            .map(|i| self.write(i).purge_expired(now, &ttl))
            .sum()
    }
}

/// A table's parts without locks, and its metadata: a snapshot's frozen copy, or a table being
/// loaded or created.
#[derive(Debug, Clone)]
pub(crate) struct Frozen {
    /// The definition, shared with the parts (its TTL attribute is in `metadata`).
    pub(crate) schema: Arc<Schema>,
    parts: Vec<Part>,
    /// The table's metadata (its stream settings included: a backend made from the copy
    /// enables a new stream of the same view type).
    pub(crate) metadata: TableMetadata,
}

impl Frozen {
    /// A new empty table, after checking its definition, with the default settings
    /// ([`TableSettings::default`]) and the definition's TTL attribute.
    #[cfg(test)]
    pub(crate) fn new(def: TableDefinition, limits: Limits) -> Result<Frozen> {
        let metadata = TableMetadata::new(&def, &crate::metadata::TableSettings::default());
        Frozen::with_metadata(def, limits, metadata)
    }

    /// A new empty table with this metadata (whose TTL attribute, not the definition's, counts).
    pub(crate) fn with_metadata(
        mut def: TableDefinition,
        limits: Limits,
        metadata: TableMetadata,
    ) -> Result<Frozen> {
        def.ttl_attribute = None;
        let schema = Arc::new(Schema::new(def, limits)?);
        Ok(Frozen {
            parts: (0..PARTS)
                .map(|index| Part::new(Arc::clone(&schema), index))
                .collect(),
            schema,
            metadata,
        })
    }

    /// The table's definition, with its TTL attribute.
    pub(crate) fn def(&self) -> TableDefinition {
        TableDefinition {
            ttl_attribute: self.metadata.ttl.clone(),
            ..self.schema.def.clone()
        }
    }

    /// Stores a (checked) item in its part, replacing and returning the one with the same key.
    pub(crate) fn put(&mut self, key: PrimaryKey, item: &Item) -> Option<Stored> {
        self.parts[part_of(&key.pk)].put(key, item)
    }

    /// How many items the table holds.
    pub(crate) fn len(&self) -> usize {
        self.parts.iter().map(Part::len).sum()
    }

    /// Every item, decoded, in key order (partition key, then sort key).
    pub(crate) fn items(&self) -> impl Iterator<Item = Item> + '_ {
        let parts: Vec<&Part> = self.parts.iter().collect();
        merged_items(&parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orm_core::backend::KeyType;

    pub(crate) fn definition() -> TableDefinition {
        let pk = KeyAttribute::new("pk", KeyType::S);
        TableDefinition::new("app", pk.clone(), Some(KeyAttribute::new("sk", KeyType::S)))
            .with_index(IndexDefinition::global(
                "gsi1",
                KeyAttribute::new("gsi1pk", KeyType::S),
                Some(KeyAttribute::new("gsi1sk", KeyType::N)),
                Projection::KeysOnly,
            ))
            .with_index(IndexDefinition::local(
                "lsi1",
                pk,
                KeyAttribute::new("rank", KeyType::N),
                Projection::Include(vec!["title".into()]),
            ))
            .with_ttl("expires")
    }

    /// One part of a table (every item in it, whatever its partition key).
    fn table() -> Part {
        Part::new(
            Arc::new(Schema::new(definition(), Limits::default()).unwrap()),
            0,
        )
    }

    fn put(t: &mut Part, item: Item) -> Option<Item> {
        let key = t.schema.check_item(&item, false).unwrap();
        t.put(key, &item).map(|old| t.decode(&old))
    }

    #[test]
    fn indexes_are_sparse_and_follow_writes() {
        let mut t = table();
        put(
            &mut t,
            Item::new()
                .with("pk", "a")
                .with("sk", "1")
                .with("title", "x"),
        );
        assert!(t.indexes[0].is_empty());
        assert!(t.indexes[1].is_empty());
        let full = Item::new()
            .with("pk", "a")
            .with("sk", "1")
            .with("gsi1pk", "G")
            .with("gsi1sk", 5)
            .with("rank", 2)
            .with("title", "x")
            .with("body", "long");
        put(&mut t, full);
        assert_eq!(t.len(), 1);
        let gsi = &t.indexes[0][&KeyPart::from_value(&"G".into()).unwrap()];
        let entry = t.decode(gsi.values().next().unwrap());
        // KeysOnly: table keys and index keys.
        assert_eq!(
            entry.keys().map(String::as_str).collect::<Vec<_>>(),
            ["gsi1pk", "gsi1sk", "pk", "sk"]
        );
        let lsi = &t.indexes[1][&KeyPart::from_value(&"a".into()).unwrap()];
        let entry = t.decode(lsi.values().next().unwrap());
        assert_eq!(
            entry.keys().map(String::as_str).collect::<Vec<_>>(),
            ["pk", "rank", "sk", "title"]
        );
        // Moving the item to another GSI partition removes the old entry.
        let moved = Item::new()
            .with("pk", "a")
            .with("sk", "1")
            .with("gsi1pk", "H")
            .with("gsi1sk", 5);
        let old = put(&mut t, moved).unwrap();
        assert_eq!(old.get("body"), Some(&Value::from("long")));
        assert_eq!(
            t.indexes[0].keys().collect::<Vec<_>>(),
            [&KeyPart::from_value(&"H".into()).unwrap()]
        );
        assert!(t.indexes[1].is_empty());
        let key = t
            .schema
            .key(&Item::new().with("pk", "a").with("sk", "1"))
            .unwrap();
        assert!(t.delete(&key).is_some());
        assert!(t.indexes[0].is_empty());
        assert!(t.partitions.is_empty());
        assert_eq!(t.len(), 0);
        assert!(t.delete(&key).is_none());
    }

    #[test]
    fn checks_items() {
        let t = table();
        let base = Item::new().with("pk", "a").with("sk", "1");
        assert!(t.schema.check_item(&base, false).is_ok());
        for (bad, needle) in [
            (Item::new().with("pk", "a"), "Missing the key sk"),
            (base.clone().with("pk", ""), "empty string"),
            (base.clone().with("pk", 1), "Type mismatch for key pk"),
            (base.clone().with("gsi1pk", ""), "secondary index key"),
            (
                base.clone().with("gsi1sk", "5"),
                "Type mismatch for Index Key gsi1sk",
            ),
            (
                base.clone().with("rank", Value::Null),
                "Type mismatch for Index Key rank",
            ),
            (base.clone().with("pk", "x".repeat(2049)), "hashkey"),
            (base.clone().with("sk", "x".repeat(1025)), "range keys"),
            (base.clone().with("gsi1pk", "x".repeat(2049)), "hashkey"),
            (
                base.clone().with("s", Value::Ss(Default::default())),
                "may not be empty",
            ),
            (
                base.clone().with("big", "x".repeat(400 * 1024)),
                "Item size",
            ),
        ] {
            let err = t.schema.check_item(&bad, false).unwrap_err().to_string();
            assert!(err.contains(needle), "{err} should mention {needle}");
        }
        // Empty strings are fine outside keys.
        assert!(t
            .schema
            .check_item(&base.clone().with("title", ""), false)
            .is_ok());
    }

    #[test]
    fn checks_definitions() {
        let mut d = definition();
        d.name = "ab".into();
        assert!(Table::new(d, Limits::default()).is_err());
        // A duplicate index name and an attribute of two types: the checks both backends make
        // before CreateTable (`TableDefinition::validate`, called by `create_table`).
        let mut d = definition();
        d.indexes[1].name = "gsi1".into();
        assert!(d.validate().is_err());
        let mut d = definition();
        d.indexes[0].sort_key = Some(KeyAttribute::new("rank", KeyType::S));
        assert!(d.validate().is_err());
        assert!(definition().validate().is_ok());
        let mut d = definition();
        d.sort_key = None;
        assert!(Table::new(d, Limits::default()).is_err());
        // A local index on another partition key: also `TableDefinition::validate`.
        let mut d = definition();
        d.indexes[1].partition_key = KeyAttribute::new("other", KeyType::S);
        assert!(d.validate().is_err());
    }

    #[test]
    fn purges_expired_items() {
        let mut t = table();
        for (sk, expires) in [("1", Some(100)), ("2", Some(200)), ("3", None)] {
            let mut item = Item::new().with("pk", "a").with("sk", sk);
            if let Some(at) = expires {
                item.insert("expires".into(), Value::from(at));
            }
            put(&mut t, item);
        }
        put(
            &mut t,
            Item::new()
                .with("pk", "b")
                .with("sk", "1")
                .with("expires", "50"),
        );
        assert_eq!(t.purge_expired(&Number::from(150), "expires"), 1);
        assert_eq!(t.len(), 3);
        assert_eq!(t.purge_expired(&Number::from(200), "expires"), 1);
        assert_eq!(t.purge_expired(&Number::from(10_000), "expires"), 0);
    }
}
