//! The stored layout of a table's items: how a model becomes the item stored for it and back.
//!
//! Every stored item holds the model's own fields under their own names, plus the key attributes
//! (`pk`, `sk`), one partition/sort attribute per index the item is in (`gsi1pk`, `gsi1sk`), the
//! entity name (`__entity`) and, above schema version 1, the schema version (`__schema`). Any
//! other DynamoDB client can read such items.
//!
//! [`Layout`] is that mapping, for one [`TableConfig`]: the key items of a model's keys, the
//! model <-> item codec with its entity and schema-version checks, upgrades of items stored at an
//! older schema version, and the item-size check. A [`Table`](crate::Table) owns one
//! ([`Table::layout`](crate::Table::layout)); the write rules (`write.rs`) and every operation
//! read and write items through it.

use super::config::{LayoutAttribute, TableConfig};
use crate::backend::{ItemReader, Limits, RawItem, ReadValue, SharedItem};
use crate::error::{Error, Result};
use crate::key::Key;
use crate::model::{Model, Schema};
use crate::name_signature::{signature_bit, NameSet};
use crate::serde_bridge::{
    from_attributes, from_entries, from_item, from_reader_keeping, to_entries,
};
use crate::value::{Item, NumberRef, Value, ValueRef};

/// How models are stored as items in one table: the key items of a model's keys, the model <->
/// item codec with its entity and schema-version checks, and upgrades of items stored at an
/// older schema version. A [`Table`](crate::Table) owns one
/// ([`Table::layout`](crate::Table::layout)).
///
/// Every stored item holds the model's own fields under their own names, plus the key
/// attributes (`pk`, `sk`), one partition/sort attribute per index the item is in (`gsi1pk`,
/// `gsi1sk`), the entity name (`__entity`) and, above schema version 1, the schema version
/// (`__schema`), so any other DynamoDB client can read such items.
///
/// ```
/// use orm_core::{Model, Table, Value};
/// use orm_memory::MemoryBackend;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Model, Serialize, Deserialize, Debug, PartialEq)]
/// #[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
/// struct User { id: String, name: String }
///
/// let table = Table::new(MemoryBackend::new(), "app");
/// let user = User { id: "ada".into(), name: "Ada".into() };
/// let item = table.layout().to_stored_item(&user)?;
/// assert_eq!(item.get("pk"), Some(&Value::from("USER#ada")));
/// assert_eq!(item.get("__entity"), Some(&Value::from("User")));
/// assert_eq!(table.layout().from_stored_item::<User>(item)?, user);
/// # Ok::<(), orm_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    config: TableConfig,
    max_item_size: usize,
    /// `config`'s [`TableConfig::layout_signatures`], for telling layout attributes from
    /// fields on every read.
    layout_signatures: u64,
}

impl Layout {
    /// The layout `config` describes, for a backend whose limits are `limits` (items over
    /// `limits.max_item_size` are rejected before anything is sent).
    pub fn new(config: TableConfig, limits: &Limits) -> Layout {
        Layout {
            layout_signatures: config.layout_signatures(),
            config,
            max_item_size: limits.max_item_size,
        }
    }

    /// The attribute names (and the table's other settings).
    pub fn config(&self) -> &TableConfig {
        &self.config
    }

    /// The key attributes of a model's key, as an item (`{pk: .., sk: ..}`).
    pub fn key_item<M: Model>(&self, key: &Key) -> Result<Item> {
        key_item(&self.config, M::schema(), key)
    }

    /// The item stored for a model: its fields, key attributes, index keys and entity name.
    pub fn to_stored_item<M: Model>(&self, model: &M) -> Result<Item> {
        // The map built once, sorted stably: of two equal names the later wins, as inserting
        // them one by one would.
        Ok(Item(self.stored_attributes(model)?.0.into_iter().collect()))
    }

    /// [`Layout::to_stored_item`]'s attributes, unsorted, each name once (an index key named
    /// like a field replaces it, as does the later of two fields serde gives one name).
    pub(crate) fn to_stored_entries<M: Model>(&self, model: &M) -> Result<Vec<(String, Value)>> {
        let (mut entries, fields) = self.stored_attributes(model)?;
        // The fields were told apart among themselves; the layout's names are told apart from
        // them and from each other here.
        let mut names = fields.names;
        for i in fields.count..entries.len() {
            names.add(&entries[i].0, &entries[..i]);
        }
        if names.repeated {
            keep_last_of_each_name(&mut entries);
        }
        Ok(entries)
    }

    /// The fields as the serializer gives them, then the layout's attributes (keys, index keys,
    /// entity, schema version); a name may be there twice, the later to win. With what was
    /// learnt of the fields' names.
    fn stored_attributes<M: Model>(&self, model: &M) -> Result<(Vec<(String, Value)>, FieldNames)> {
        let schema = M::schema();
        let config = &self.config;
        let (mut entries, field_names) = to_entries(model, schema.indexes.len() * 2 + 4)?;
        let names = FieldNames {
            count: entries.len(),
            names: field_names,
        };
        // The table's layout attributes are not fields (one bit test clears most models).
        let fields = names.names.signatures;
        if fields & self.layout_signatures != 0 {
            for reserved in [
                &config.partition_key,
                &config.sort_key,
                &config.entity_attribute,
                &config.schema_attribute,
            ] {
                if fields & signature_bit(reserved) != 0
                    && entries.iter().any(|(name, _)| name == reserved)
                {
                    return Err(Error::validation(format!(
                        "{}: field `{reserved}` collides with the table's `{reserved}` attribute; rename the field or configure the table",
                        schema.entity
                    )));
                }
            }
        }
        push_key(config, schema, model.primary_key()?, &mut entries)?;
        for index in schema.indexes {
            if let Some(k) = model.index_key(index.name)? {
                if !index.local {
                    entries.push((config.index_partition_key(index.name), k.partition));
                }
                if let Some(s) = k.sort {
                    entries.push((config.index_sort_key(index.name), s));
                }
            }
        }
        entries.push((
            config.entity_attribute.clone(),
            Value::S(schema.entity.to_owned()),
        ));
        if schema.schema_version > 1 {
            entries.push((
                config.schema_attribute.clone(),
                Value::from(schema.schema_version),
            ));
        }
        Ok((entries, names))
    }

    /// DynamoDB's item size limit, for a size already computed.
    pub(crate) fn max_item_size(&self) -> usize {
        self.max_item_size
    }

    /// Rejects an item DynamoDB would reject for its size (over 400 KB by DynamoDB's formula),
    /// before anything is sent.
    pub(crate) fn check_item_size(&self, entity: &str, item: &Item) -> Result<()> {
        self.check_size(entity, item, item.size())
    }

    /// [`Layout::check_item_size`] for an item whose size (`size`) is already known.
    pub(crate) fn check_size(&self, entity: &str, item: &Item, size: usize) -> Result<()> {
        let max = self.max_item_size;
        if size > max {
            return Err(Error::validation(format!(
                "{entity} item {} is {size} bytes; DynamoDB's item size limit is {max} bytes (400 KB)",
                self.config.describe_key(item)
            )));
        }
        Ok(())
    }

    /// Decodes a stored item into a model, checking its entity name, dropping the layout
    /// attributes and upgrading an item of an older schema version (see [`Model::upgrade`]).
    /// An item of another entity is [`Error::EntityMismatch`], one of a schema version newer
    /// than the model's [`Error::SchemaVersion`], never garbage.
    ///
    /// Every read decodes through here or [`Layout::from_raw_item`]: get, find, queries, scans,
    /// batch gets, transactional gets, update results and stream records.
    pub fn from_stored_item<M: Model>(&self, item: Item) -> Result<M> {
        from_item(self.upgraded_fields::<M>(item)?)
    }

    /// The model attributes of a stored item of entity `M`, at the model's schema version: the
    /// entity checked, the layout attributes dropped, [`Model::upgrade`] applied once per
    /// version step. Attributes the model does not know are kept.
    pub(crate) fn upgraded_fields<M: Model>(&self, mut item: Item) -> Result<Item> {
        let schema = M::schema();
        let config = &self.config;
        self.check_entity::<M>(&item, &item)?;
        let stored = self.stored_schema_version::<M>(&item)?;
        if stored == schema.schema_version {
            item.retain(|name, _| !config.is_layout_attribute(schema, name));
            return Ok(item);
        }
        let key = config.describe_key(&item);
        if stored > schema.schema_version {
            return Err(Error::SchemaVersion {
                entity: schema.entity.to_owned(),
                key: config.key_from_item(&item),
                stored,
                current: schema.schema_version,
            });
        }
        item.retain(|name, _| !config.is_layout_attribute(schema, name));
        for from in stored..schema.schema_version {
            item = M::upgrade(item, from).map_err(|e| {
                let e = match e {
                    Error::Validation { message } => message,
                    other => other.to_string(),
                };
                Error::validation(format!(
                    "{} item {key}: upgrade from schema version {from} to {} failed: {e}",
                    schema.entity,
                    from + 1
                ))
            })?;
        }
        Ok(item)
    }

    /// The schema version stored on an item of `M` (1 when the schema attribute is absent); an
    /// attribute that is not a positive integer is [`Error::Validation`].
    pub fn stored_schema_version<M: Model>(&self, item: &Item) -> Result<u32> {
        self.schema_version_of::<M>(item.get(&self.config.schema_attribute), item)
    }

    fn schema_version_of<M: Model>(&self, value: Option<&Value>, key: &Item) -> Result<u32> {
        let Some(value) = value else { return Ok(1) };
        value
            .as_n()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|v| *v >= 1)
            .ok_or_else(|| self.not_a_schema_version::<M>(value, key))
    }

    /// The error for an item of `M` (key taken from `key`) whose schema attribute holds `what`,
    /// which is not a schema version.
    #[cold]
    fn not_a_schema_version<M: Model>(&self, what: impl std::fmt::Display, key: &Item) -> Error {
        Error::validation(format!(
            "{} item {}: `{}` holds {what}, not a schema version (a positive integer)",
            M::schema().entity,
            self.config.describe_key(key),
            self.config.schema_attribute
        ))
    }

    /// [`Layout::from_stored_item`] for an item as a backend read it ([`RawItem`]): attributes in
    /// any order are decoded straight into the model, the layout attributes skipped as they go
    /// by, without sorting them into an [`Item`] first.
    pub fn from_raw_item<M: Model>(&self, raw: RawItem) -> Result<M> {
        let entries = match raw {
            RawItem::Item(item) => return self.from_stored_item(item),
            RawItem::Entries(entries) => entries,
            RawItem::Shared(shared) => return self.from_shared_item(&*shared),
            RawItem::Reader(reader) => return self.from_item_reader(reader),
        };
        let schema = M::schema();
        let config = &self.config;
        let attribute = |name: &str| entries.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let entity = attribute(&config.entity_attribute).and_then(Value::as_s);
        let version = attribute(&config.schema_attribute)
            .map(|v| v.as_n().and_then(|n| u32::try_from(n).ok()));
        if !self.is_current::<M>(entity == Some(schema.entity), version) {
            // Another entity or another schema version: the sorted path checks, upgrades or
            // describes the error.
            return self.from_stored_item(Item::from_unsorted(entries));
        }
        let layout = config.layout_names(schema, self.layout_signatures);
        from_entries(
            entries
                .into_iter()
                .filter(|(name, _)| !layout.contains(name)),
        )
    }

    /// [`Layout::from_raw_item`] for an item a backend shares ([`SharedItem`]): the model is
    /// decoded from the item's borrowed attributes, the layout attributes skipped; an item of
    /// another entity or schema version goes the owned way ([`Layout::from_stored_item`]), which
    /// checks, upgrades or describes the error.
    // Named as its public siblings `from_stored_item` / `from_raw_item` (which clippy leaves
    // alone as exported API).
    #[allow(clippy::wrong_self_convention)]
    pub(crate) fn from_shared_item<M: Model>(&self, shared: &dyn SharedItem) -> Result<M> {
        let schema = M::schema();
        let config = &self.config;
        let attributes = shared.attributes();
        let attribute = |name: &str| attributes.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
        let entity = match attribute(&config.entity_attribute) {
            Some(ValueRef::S(e)) => Some(*e),
            _ => None,
        };
        let version = attribute(&config.schema_attribute).map(|v| match v {
            ValueRef::N(NumberRef::Int(i)) => u32::try_from(*i).ok(),
            // Canonical text: an integer has no sign, leading zero or fraction to parse away.
            ValueRef::N(NumberRef::Text(t)) => t.parse::<u32>().ok(),
            _ => None,
        });
        if !self.is_current::<M>(entity == Some(schema.entity), version) {
            drop(attributes);
            return self.from_stored_item(shared.to_item());
        }
        let layout = config.layout_names(schema, self.layout_signatures);
        from_attributes(
            attributes
                .into_iter()
                .filter(|(name, _)| !layout.contains(name)),
        )
    }

    /// [`Layout::from_raw_item`] for an item a client library read ([`ItemReader`]): decoded
    /// in place, the layout attributes skipped unread; an item of another entity or schema
    /// version goes the owned way ([`Layout::from_stored_item`]), which checks, upgrades or
    /// describes the error.
    #[allow(clippy::wrong_self_convention)]
    fn from_item_reader<M: Model>(&self, reader: Box<dyn ItemReader>) -> Result<M> {
        let schema = M::schema();
        let config = &self.config;
        let is_entity = reader.is_string(&config.entity_attribute, schema.entity);
        let layout = config.layout_names(schema, self.layout_signatures);
        if schema.schema_version > 1 {
            // An item of an older version is upgraded, which needs the whole item: its version
            // is looked up before the item is read.
            let version = reader
                .get(&config.schema_attribute)?
                .map(|v| v.as_n().and_then(|n| u32::try_from(n).ok()));
            if !self.is_current::<M>(is_entity, version) {
                return self.from_stored_item(reader.to_item()?);
            }
            return from_reader_keeping(reader, |name, _| !layout.contains(name));
        }
        if !is_entity {
            return self.from_stored_item(reader.to_item()?);
        }
        // At schema version 1 an item is current unless it holds a schema attribute other than
        // 1, which is an error, never an upgrade: the attribute is looked at as the reading
        // passes it (no lookup before), and the key attributes with it, for the error's key.
        let mut seen = SeenLayout::default();
        let decoded = from_reader_keeping(reader, |name, value| {
            let slot = match layout.attribute(name) {
                None => return true,
                Some(LayoutAttribute::SchemaVersion) => &mut seen.schema_version,
                Some(LayoutAttribute::PartitionKey) => &mut seen.partition,
                Some(LayoutAttribute::SortKey) => &mut seen.sort,
                Some(_) => return false,
            };
            *slot = Some(value.take_scalar());
            false
        });
        if let Some(stored) = seen.schema_version.take() {
            self.check_read_version::<M>(stored, seen)?;
        }
        decoded
    }

    /// `Ok` if the schema attribute read from an item of `M` (`stored`, taken with
    /// [`ReadValue::take_scalar`]) holds `M`'s schema version, else the error
    /// [`Layout::from_stored_item`] gives for that item: [`Error::SchemaVersion`], or
    /// [`Error::Validation`] when it is not a schema version. The key comes from the key
    /// attributes the reading passed (`seen`).
    #[cold]
    #[inline(never)]
    fn check_read_version<M: Model>(&self, stored: ReadValue, seen: SeenLayout) -> Result<()> {
        let config = &self.config;
        let mut key = Item::new();
        for (name, value) in [
            (&config.partition_key, seen.partition),
            (&config.sort_key, seen.sort),
        ] {
            if let Some(Ok(value)) = value.map(ReadValue::into_scalar) {
                key.insert(name.clone(), value);
            }
        }
        match stored.into_scalar() {
            Ok(value) => self.check_version_value::<M>(Some(&value), &key),
            Err(what) => Err(self.not_a_schema_version::<M>(what, &key)),
        }
    }

    /// Whether an item whose entity attribute holds `M`'s entity name (`is_entity`) and whose
    /// schema attribute holds `version` (`None`: absent; `Some(None)`: not a `u32`) is an item
    /// of `M` at its current schema version, to decode as it is.
    fn is_current<M: Model>(&self, is_entity: bool, version: Option<Option<u32>>) -> bool {
        let schema = M::schema();
        let current = match version {
            None => schema.schema_version == 1,
            Some(version) => version == Some(schema.schema_version),
        };
        current && is_entity
    }

    /// `Ok` if `stored` is an item of entity `M`, else [`Error::EntityMismatch`] naming the entity
    /// found and the key (taken from `key`, since a projected item may lack its key attributes).
    pub(crate) fn check_entity<M: Model>(&self, stored: &Item, key: &Item) -> Result<()> {
        let expected = M::schema().entity;
        match stored.get(&self.config.entity_attribute) {
            Some(Value::S(e)) if e == expected => Ok(()),
            other => Err(Error::EntityMismatch {
                expected: expected.to_owned(),
                found: match other {
                    Some(Value::S(e)) => e.clone(),
                    Some(v) => format!("{v:?}"),
                    None => "(no entity attribute)".into(),
                },
                key: self.config.key_from_item(key),
            }),
        }
    }

    /// `Ok` if `stored` (an item of `M`) is at the model's schema version, else
    /// [`Error::SchemaVersion`] naming both versions and the key (taken from `key`).
    pub(crate) fn check_schema_version<M: Model>(&self, stored: &Item, key: &Item) -> Result<()> {
        self.check_version_value::<M>(stored.get(&self.config.schema_attribute), key)
    }

    /// [`Layout::check_schema_version`] for the schema attribute's value (`None`: absent).
    fn check_version_value<M: Model>(&self, value: Option<&Value>, key: &Item) -> Result<()> {
        let current = M::schema().schema_version;
        let found = self.schema_version_of::<M>(value, key)?;
        if found == current {
            return Ok(());
        }
        Err(Error::SchemaVersion {
            entity: M::schema().entity.to_owned(),
            key: self.config.key_from_item(key),
            stored: found,
            current,
        })
    }

    /// Whether `item` holds an entity of model `M`.
    pub fn is_entity<M: Model>(&self, item: &Item) -> bool {
        matches!(item.get(&self.config.entity_attribute), Some(Value::S(e)) if e == M::schema().entity)
    }
}

/// What [`Layout::stored_attributes`] learnt of a model's fields (the first `count` entries).
struct FieldNames {
    count: usize,
    /// Their names' signatures, and whether one is there twice.
    names: NameSet,
}

/// The layout attributes [`Layout::from_raw_item`] keeps as an item is read (taken with
/// [`ReadValue::take_scalar`]): the schema version, and
/// the key attributes for its error.
#[derive(Default)]
struct SeenLayout {
    schema_version: Option<ReadValue>,
    partition: Option<ReadValue>,
    sort: Option<ReadValue>,
}

/// Removes all but the last of equal names, keeping the order of the rest (a map built from the
/// entries would keep the same values).
fn keep_last_of_each_name(entries: &mut Vec<(String, Value)>) {
    let mut i = 0;
    while i < entries.len() {
        let (name, later) = (&entries[i].0, &entries[i + 1..]);
        if later.iter().any(|(n, _)| n == name) {
            entries.remove(i);
        } else {
            i += 1;
        }
    }
}

fn key_item(config: &TableConfig, schema: &Schema, key: &Key) -> Result<Item> {
    let mut entries = Vec::with_capacity(2);
    push_key(config, schema, key.clone(), &mut entries)?;
    Ok(Item::from_unsorted(entries))
}

/// Adds the key attributes of `key` to `entries`, checking that the key has the schema's parts.
fn push_key(
    config: &TableConfig,
    schema: &Schema,
    key: Key,
    entries: &mut Vec<(String, Value)>,
) -> Result<()> {
    match (key.sort, schema.has_sort_key) {
        (Some(s), true) => {
            entries.push((config.partition_key.clone(), key.partition));
            entries.push((config.sort_key.clone(), s));
        }
        (None, false) => entries.push((config.partition_key.clone(), key.partition)),
        (None, true) => {
            return Err(Error::validation(format!(
                "{} keys need a sort key, got only partition {}",
                schema.entity, key.partition
            )))
        }
        (Some(s), false) => {
            return Err(Error::validation(format!(
                "{} has no sort key, but one was given ({s})",
                schema.entity
            )))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: &[(String, Value)]) -> Vec<(&str, &Value)> {
        entries.iter().map(|(n, v)| (n.as_str(), v)).collect()
    }

    /// Of equal names the last stays, where it was; the rest keep their order.
    #[test]
    fn keeps_the_last_of_each_name() {
        let e = |n: &str, v: u8| (n.to_owned(), Value::from(v));
        let mut entries = vec![
            e("a", 1),
            e("pk", 2),
            e("b", 3),
            e("a", 4),
            e("sk", 5),
            e("a", 6),
        ];
        keep_last_of_each_name(&mut entries);
        let (two, three, five, six) = (
            Value::from(2u8),
            Value::from(3u8),
            Value::from(5u8),
            Value::from(6u8),
        );
        assert_eq!(
            names(&entries),
            [("pk", &two), ("b", &three), ("sk", &five), ("a", &six)]
        );
        // Names of one signature that differ (same length, first and last byte) are all kept.
        let mut same_class = vec![e("gsi1pk", 1), e("gsi2pk", 2), e("gxxxxk", 3)];
        keep_last_of_each_name(&mut same_class);
        assert_eq!(same_class.len(), 3);
        let mut none: Vec<(String, Value)> = Vec::new();
        keep_last_of_each_name(&mut none);
        assert!(none.is_empty());
        let mut empty_name = vec![e("", 1), e("x", 2), e("", 3)];
        keep_last_of_each_name(&mut empty_name);
        assert_eq!(
            names(&empty_name),
            [("x", &Value::from(2u8)), ("", &Value::from(3u8))]
        );
    }
}
