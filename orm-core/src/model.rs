//! The [`Model`] trait, its static [`Schema`] and [`Field`] descriptors.
//!
//! `#[derive(Model)]` implements [`Model`] from `#[model(...)]` attributes; a hand-written impl
//! may derive keys with arbitrary logic instead of templates.

use crate::backend::Projection;
use crate::error::Result;
use crate::key::{Key, KeyTemplate};
use crate::value::{Item, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::SystemTime;

/// What kind of value a field holds, as far as the derive can tell from its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// `String`, `&str`, `char`.
    String,
    /// A signed or unsigned integer type.
    Integer,
    /// `f32` or `f64`.
    Float,
    /// `bool`.
    Bool,
    /// Bytes (`Vec<u8>` with `serde_bytes`, `bytes::Bytes`).
    Bytes,
    /// Anything else (structs, enums, collections, timestamps...).
    Other,
}

/// A static description of one model field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The Rust field name.
    pub name: &'static str,
    /// The attribute name it is stored under (after `#[serde(rename)]` / `#[model(rename)]`).
    pub attribute: &'static str,
    /// What kind of value it holds.
    pub kind: FieldKind,
    /// Whether the type is an `Option` (absent when `None`).
    pub optional: bool,
    /// Whether a key template of the table or of an index uses it.
    pub in_key: bool,
}

/// A secondary index declared by a model.
///
/// A template index derives synthetic key attributes (`gsi1pk`, `gsi1sk`) from its templates.
/// A global index with a multi-attribute key (`partition_attributes` not empty) has no
/// templates: its keys are model attributes, stored under their own names and types, so
/// nothing is built, parsed or backfilled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSchema {
    /// The index name (`gsi1`).
    pub name: &'static str,
    /// A local secondary index shares the table's partition key; it has no partition template.
    pub local: bool,
    /// The partition-key template (global template indexes).
    pub partition_key: Option<KeyTemplate>,
    /// The sort-key template, if the template index has a sort key.
    pub sort_key: Option<KeyTemplate>,
    /// A multi-attribute key's partition attributes, in key order (1 to 4); empty for a
    /// template index.
    pub partition_attributes: &'static [IndexAttribute],
    /// A multi-attribute key's sort attributes, in key order (0 to 4).
    pub sort_attributes: &'static [IndexAttribute],
    /// Which attributes the index holds.
    pub projection: Projection,
    /// The condition for an item to be in the index (`when = "Self::is_open(status)"`), besides
    /// having every field of its keys; `None`: every item with its key fields is in it.
    pub when: Option<IndexPredicate>,
}

impl IndexSchema {
    /// The names of the fields whose change can move an item in or out of the index, or change
    /// its keys there: the fields of the key templates and of the [`IndexSchema::when`]
    /// predicate.
    pub fn fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.partition_key
            .iter()
            .chain(self.sort_key.iter())
            .flat_map(|t| t.fields())
            .chain(self.when.iter().flat_map(|w| w.fields.iter().copied()))
    }
}

/// A condition on some of a model's own fields for an item to be in an index: written
/// `when = "Self::is_open(status)"`, it calls `Self::is_open(&self.status) -> bool`. The function
/// sees only the fields named, so a write that changes none of them cannot move the item in or
/// out of the index, and every write that changes one recomputes the index keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IndexPredicate {
    /// The function as written (`Self::is_open`).
    pub function: &'static str,
    /// The fields it is called with, in order.
    pub fields: &'static [&'static str],
}

/// A unique constraint of a model (`#[model(unique)]` on a field, or a named group
/// `#[model(unique(name = "...", fields = [...]))]`): no two items of the entity hold the same
/// values in its attributes. The ORM keeps it with a guard item per value, written in the same
/// transaction as the model (see [`crate::unique`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueSchema {
    /// The constraint's name: the field's Rust name for `#[model(unique)]`, the group's name
    /// otherwise. Part of each guard item's key, and named by [`crate::Error::UniqueViolation`].
    pub name: &'static str,
    /// The attribute names of its fields, in order (one for a single field).
    pub attributes: &'static [&'static str],
}

impl IndexSchema {
    /// Whether the index's keys are model attributes (a multi-attribute key) rather than
    /// templates.
    pub fn is_multi_attribute(&self) -> bool {
        !self.partition_attributes.is_empty()
    }
}

/// One attribute of a multi-attribute index key: the model attribute and its key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexAttribute {
    /// The attribute name (the field's stored name).
    pub attribute: &'static str,
    /// Its key type (S for strings, N for numbers, B for bytes).
    pub key_type: crate::backend::KeyType,
}

/// The static description of a model: entity name, fields, key templates, indexes, special fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The entity name, stored on every item (`__entity` by default) and checked on every read.
    pub entity: &'static str,
    /// The fields, in declaration order.
    pub fields: &'static [Field],
    /// The partition-key template (None for hand-written key logic).
    pub partition_key: Option<KeyTemplate>,
    /// The sort-key template, if the model has a sort key (or `has_sort_key` for hand-written logic).
    pub sort_key: Option<KeyTemplate>,
    /// Whether items of this model carry a sort key.
    pub has_sort_key: bool,
    /// Secondary indexes.
    pub indexes: &'static [IndexSchema],
    /// The attribute holding the optimistic-locking version (`#[model(version)]`).
    pub version: Option<&'static str>,
    /// The TTL attribute (`#[model(ttl)]`), epoch seconds.
    pub ttl: Option<&'static str>,
    /// The attribute set once on create (`#[model(created_at)]`).
    pub created_at: Option<&'static str>,
    /// The attribute set on every write (`#[model(updated_at)]`).
    pub updated_at: Option<&'static str>,
    /// The schema version of the model (`#[model(schema_version = N)]`, default 1): stored on
    /// every item written with a version above 1, and older items are upgraded on read through
    /// [`Model::upgrade`]. Not the optimistic-locking [`Schema::version`].
    pub schema_version: u32,
    /// Unique constraints (`#[model(unique)]`), kept by guard items ([`crate::unique`]).
    pub unique: &'static [UniqueSchema],
}

impl Schema {
    /// A schema with an entity name and nothing else, to build hand-written schemas from:
    /// `Schema { has_sort_key: true, ..Schema::new("User") }`.
    pub const fn new(entity: &'static str) -> Schema {
        Schema {
            entity,
            fields: &[],
            partition_key: None,
            sort_key: None,
            has_sort_key: false,
            indexes: &[],
            version: None,
            ttl: None,
            created_at: None,
            updated_at: None,
            schema_version: 1,
            unique: &[],
        }
    }

    /// The index declared under `name`.
    pub fn index(&self, name: &str) -> Option<&IndexSchema> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// The field stored under attribute `attribute`.
    pub fn field_by_attribute(&self, attribute: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.attribute == attribute)
    }
}

/// A Rust type stored as DynamoDB items of one entity type.
///
/// Usually derived:
///
/// ```
/// use orm_core::Model;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
/// #[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
/// struct User {
///     id: String,
///     name: String,
/// }
///
/// let key = User::key("alice").unwrap();
/// assert_eq!(key.partition.as_s(), Some("USER#alice"));
/// assert_eq!(key.sort.as_ref().and_then(|v| v.as_s()), Some("PROFILE"));
/// ```
///
/// Implemented by hand, keys may come from any logic (the schema still names the entity):
///
/// ```
/// use orm_core::{Key, Model, Result, Schema, Value};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct Counter { name: String, value: u64 }
///
/// impl Model for Counter {
///     fn schema() -> &'static Schema {
///         static SCHEMA: Schema = Schema::new("Counter");
///         &SCHEMA
///     }
///     fn primary_key(&self) -> Result<Key> {
///         Ok(Key::new(Value::S(format!("COUNTER#{}", self.name.to_lowercase()))))
///     }
/// }
/// ```
pub trait Model: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The static description of this model.
    fn schema() -> &'static Schema;

    /// The primary key derived from this value's fields.
    fn primary_key(&self) -> Result<Key>;

    /// The key of this value in the index `index`; `None` when a field it needs is absent
    /// (the item is then not in that sparse index). For a local index only `sort` is used.
    fn index_key(&self, index: &str) -> Result<Option<Key>> {
        let _ = index;
        Ok(None)
    }

    /// The optimistic-locking version of this value (`#[model(version)]`), if the model has one.
    ///
    /// `0` means "never stored": a save of version 0 requires that no item exists.
    fn version(&self) -> Option<u64> {
        None
    }

    /// Sets the optimistic-locking version after a successful write (no-op without a version field).
    fn set_version(&mut self, version: u64) {
        let _ = version;
    }

    /// Upgrades the attributes of a stored item from schema version `from` to `from + 1`.
    ///
    /// Reads call it once per step, in order (`1 -> 2`, `2 -> 3`, ...), for items stored at a
    /// schema version older than [`Schema::schema_version`], before decoding the item into the
    /// model. `item` holds the model's attributes as stored (renamed or removed fields
    /// included, layout attributes such as keys and `__entity` left out). The default changes
    /// nothing: right for steps that only change key templates or add indexes. The derive's
    /// `#[model(upgrade = path::to::fn)]` calls `fn(item, from)`.
    ///
    /// ```
    /// use orm_core::{Item, Result, Value};
    ///
    /// // v1 stored `name`; v2 calls it `full_name`.
    /// fn upgrade(mut item: Item, from: u32) -> Result<Item> {
    ///     if from == 1 {
    ///         if let Some(name) = item.remove("name") {
    ///             item.insert("full_name".into(), name);
    ///         }
    ///     }
    ///     Ok(item)
    /// }
    /// let v2 = upgrade(Item::new().with("name", "Ada"), 1)?;
    /// assert_eq!(v2.get("full_name"), Some(&Value::from("Ada")));
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    fn upgrade(item: Item, from: u32) -> Result<Item> {
        let _ = from;
        Ok(item)
    }

    /// The stored value of the `#[model(created_at)]` attribute for the instant `now`.
    fn created_at_value(now: SystemTime) -> Result<Option<Value>> {
        let _ = now;
        Ok(None)
    }

    /// The stored value of the `#[model(updated_at)]` attribute for the instant `now`.
    fn updated_at_value(now: SystemTime) -> Result<Option<Value>> {
        let _ = now;
        Ok(None)
    }

    /// Sets the `#[model(created_at)]` field to `value`, the value a write stores (made by
    /// [`Model::created_at_value`]), decoded as a read decodes the field: so the model a
    /// caller holds after a write equals the one read back (a `DateTime` keeps the
    /// microseconds the stored text has, not the nanoseconds of the clock). No-op without
    /// such a field.
    ///
    /// The derive decodes through the field's `#[serde(with)]` / `deserialize_with`, if any.
    fn set_created_at(&mut self, value: Value) -> Result<()> {
        let _ = value;
        Ok(())
    }

    /// Sets the `#[model(updated_at)]` field to `value`, the value a write stores, decoded as
    /// a read decodes it (see [`Model::set_created_at`]). No-op without such a field.
    fn set_updated_at(&mut self, value: Value) -> Result<()> {
        let _ = value;
        Ok(())
    }
}
