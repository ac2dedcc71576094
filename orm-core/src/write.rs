//! The ORM's write rules, in one place.
//!
//! Every write through a model (create, save, save_changes, update, delete, batch writes and
//! transactions) follows the same rules, and this module is the only place that spells them:
//!
//! - **Conditions** ([`WriteRules`]): a create needs the key free; a write to an existing item
//!   needs it to be of the model's entity (and, for partial writes, at the model's schema
//!   version); a versioned model's write needs the stored version to be the one it read
//!   ([`WriteRules::version_is`]); a write that must not overwrite another writer's change
//!   needs each attribute it read to hold what it read ([`unchanged`]).
//! - **Stamps** ([`Stamps`], [`stamp`], [`stamp_update`], [`upsert`]): the attributes the ORM
//!   itself writes on an item: the version (1 on insert, one more on each write),
//!   `#[model(created_at)]` on insert (and only if absent on an upsert) and
//!   `#[model(updated_at)]` on every write; the same values are set on the model the caller
//!   holds.
//! - **Errors** ([`WriteRules::conflict`] for whole items, [`WriteRules::partial_conflict`] for
//!   updates): a failed condition becomes the precise error: the key holds another entity
//!   ([`Error::EntityMismatch`]), an older schema version ([`Error::SchemaVersion`]), another
//!   version ([`Error::VersionConflict`]), or nothing ([`Error::NotFound`]).

use crate::error::{Error, Result};
use crate::expr::{Condition, Path, SetValue, Update};
use crate::model::Model;
use crate::table::Layout;
use crate::value::{Item, Key, Value};
use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::time::SystemTime;

/// What a write does to the item at its key, which decides the attributes [`stamp`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stamp {
    /// A new item: version 1, `created_at` and `updated_at` set to now.
    Create,
    /// A whole item replacing the one stored at `version` (0: none stored): version
    /// `version + 1` and `updated_at` set to now (`created_at` is the caller's to keep).
    Replace {
        /// The version the writer read (its model's).
        version: u64,
    },
}

/// The stamp values of one write, computed once for its instant: [`stamp`] writes them into
/// the item, and [`Stamps::set_on`] sets them on the model the caller holds (decoded as a read
/// decodes them), so that the model after the write equals the model read back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stamps {
    /// The `#[model(created_at)]` value (`None` without such a field).
    pub(crate) created_at: Option<Value>,
    /// The `#[model(updated_at)]` value (`None` without such a field).
    pub(crate) updated_at: Option<Value>,
}

impl Stamps {
    /// The stamp values of `M` for the instant `now`.
    pub(crate) fn at<M: Model>(now: SystemTime) -> Result<Stamps> {
        let schema = M::schema();
        Ok(Stamps {
            created_at: match schema.created_at {
                Some(_) => M::created_at_value(now)?,
                None => None,
            },
            updated_at: match schema.updated_at {
                Some(_) => M::updated_at_value(now)?,
                None => None,
            },
        })
    }

    /// Sets `model`'s stamp fields to the values a write of kind `stamp` stores: `created_at`
    /// on a create, `updated_at` on every write.
    pub(crate) fn set_on<M: Model>(&self, model: &mut M, stamp: Stamp) -> Result<()> {
        if let (Stamp::Create, Some(v)) = (stamp, &self.created_at) {
            model.set_created_at(v.clone())?;
        }
        if let Some(v) = &self.updated_at {
            model.set_updated_at(v.clone())?;
        }
        Ok(())
    }
}

/// Writes the ORM's own attributes of `M` for `stamp` into `item`, with the values `stamps`;
/// returns the version written (`None` for a model without `#[model(version)]`).
pub(crate) fn stamp<M: Model>(
    item: &mut Item,
    stamp: Stamp,
    stamps: &Stamps,
) -> Result<Option<u64>> {
    let schema = M::schema();
    let version = match (schema.version, stamp) {
        (None, _) => None,
        (Some(attr), Stamp::Create) => {
            item.insert(attr.to_owned(), Value::from(1u64));
            Some(1)
        }
        (Some(attr), Stamp::Replace { version }) => {
            let next = next_version::<M>(version)?;
            item.insert(attr.to_owned(), Value::from(next));
            Some(next)
        }
    };
    if stamp == Stamp::Create {
        if let (Some(attr), Some(v)) = (schema.created_at, &stamps.created_at) {
            item.insert(attr.to_owned(), v.clone());
        }
    }
    if let (Some(attr), Some(v)) = (schema.updated_at, &stamps.updated_at) {
        item.insert(attr.to_owned(), v.clone());
    }
    Ok(version)
}

/// Adds the ORM's own attributes of `M` to a partial update (the update builder's), unless
/// the update sets them itself: the version one higher, `updated_at` now, and on an upsert
/// (`upsert`) `created_at` if absent, the entity and the schema version. Returns the condition
/// that the stored version is `expect_version`, when one is expected.
///
/// `touched` are the top-level attributes the update writes. Writing `created_at` is an error
/// (the ORM sets it once), and so is expecting a version of a model without one.
pub(crate) fn stamp_update<M: Model>(
    layout: &Layout,
    update: &mut Update,
    touched: &BTreeSet<String>,
    upsert: bool,
    expect_version: Option<u64>,
    stamps: &Stamps,
) -> Result<Option<Condition>> {
    let schema = M::schema();
    let mut stamped = std::mem::take(update);
    let guard = match (schema.version, expect_version) {
        (Some(v), expected) => {
            if !touched.contains(v) {
                stamped = stamped.add(Path::name(v), 1u64);
            }
            expected.and_then(|e| WriteRules::<M>::of(layout).version_is(e))
        }
        (None, Some(_)) => {
            return Err(Error::validation(format!(
                "{} has no #[model(version)] field",
                schema.entity
            )))
        }
        (None, None) => None,
    };
    if let Some(attr) = schema.created_at {
        if touched.contains(attr) {
            return Err(Error::validation(format!(
                "cannot update `{attr}` of {}: it is the #[model(created_at)] field, set by the ORM once",
                schema.entity
            )));
        }
        if let (true, Some(v)) = (upsert, &stamps.created_at) {
            stamped = set_created_at(stamped, attr, v.clone());
        }
    }
    if let (Some(attr), Some(v)) = (schema.updated_at, &stamps.updated_at) {
        if !touched.contains(attr) {
            stamped = stamped.set(Path::name(attr), v.clone());
        }
    }
    if upsert {
        if schema.schema_version > 1 {
            stamped = stamped.set(
                Path::name(layout.config().schema_attribute.clone()),
                schema.schema_version,
            );
        }
        stamped = stamped.set(
            Path::name(layout.config().entity_attribute.clone()),
            schema.entity,
        );
    }
    *update = stamped;
    Ok(guard)
}

/// `SET created_at = if_not_exists(created_at, value)`: the `#[model(created_at)]` stamp of
/// every write that may create the item without knowing whether it does (an upsert), so a
/// stored `created_at` is never overwritten.
fn set_created_at(update: Update, attr: &str, value: Value) -> Update {
    update.set_expr(
        Path::name(attr),
        SetValue::if_not_exists(Path::name(attr), value),
    )
}

/// The update that stores `item` (a whole stored item of `M`, key included) at its key while
/// keeping a stored `created_at`: the upsert of `save` and of a transaction's `put`. It SETs
/// every attribute but the key and `created_at`, sets `created_at` only if absent (to the
/// stamp, or to the item's own value for a model without a `created_at_value`), and REMOVEs
/// the fields the model leaves out (`None`) and the keys of sparse indexes it is not in.
/// Returns the key item and the update.
pub(crate) fn upsert<M: Model>(
    layout: &Layout,
    mut item: Item,
    stamps: &Stamps,
) -> Result<(Item, Update)> {
    let schema = M::schema();
    let config = layout.config();
    let key = layout.key_item::<M>(&Key {
        partition: item
            .remove(&config.partition_key)
            .ok_or_else(|| Error::validation("stored item has no partition key"))?,
        sort: item.remove(&config.sort_key),
    })?;
    let mut update = Update::new();
    let created = schema.created_at;
    for (name, value) in item.iter() {
        if Some(name.as_str()) != created {
            update = update.set(Path::name(name.clone()), value.clone());
        }
    }
    if let Some(attr) = created {
        let value = match &stamps.created_at {
            Some(v) => v.clone(),
            None => item
                .get(attr)
                .cloned()
                .ok_or_else(|| Error::validation("created_at has no value"))?,
        };
        update = set_created_at(update, attr, value);
    }
    // Fields the model leaves out (None) and sparse index keys it no longer has; not
    // created_at, which the update sets if absent (a `None` created_at is stamped, never
    // removed).
    let mut absent: Vec<String> = schema
        .fields
        .iter()
        .map(|f| f.attribute)
        .filter(|a| Some(*a) != created && !item.contains_key(*a))
        .map(str::to_owned)
        .collect();
    for index in schema.indexes {
        if !index.local {
            absent.push(config.index_partition_key(index.name));
        }
        if index.sort_key.is_some() {
            absent.push(config.index_sort_key(index.name));
        }
    }
    for name in absent {
        if !item.contains_key(&name) {
            update = update.remove(Path::name(name));
        }
    }
    Ok((key, update))
}

/// The condition that the attribute at `path` still holds `read`, the value a writer read
/// (absent, when it read none): the rule of every write that must not overwrite what another
/// writer changed since.
pub(crate) fn unchanged(path: Path, read: Option<&Value>) -> Condition {
    match read {
        Some(v) => path.eq(v.clone()),
        None => path.not_exists(),
    }
}

/// The version after `version`, or a validation error naming the entity when it overflows.
pub(crate) fn next_version<M: Model>(version: u64) -> Result<u64> {
    version
        .checked_add(1)
        .ok_or_else(|| Error::validation(format!("{}: version overflow", M::schema().entity)))
}

/// The conditions of writes of model `M` to a table with layout `config`.
pub(crate) struct WriteRules<'t, M> {
    layout: &'t Layout,
    _model: PhantomData<fn() -> M>,
}

impl<'t, M: Model> WriteRules<'t, M> {
    /// The rules of `M` in `table`.
    pub(crate) fn of(layout: &'t Layout) -> WriteRules<'t, M> {
        WriteRules {
            layout,
            _model: PhantomData,
        }
    }

    /// No item is stored at the key.
    pub(crate) fn absent(&self) -> Condition {
        absent(self.layout)
    }

    /// The item at the key is of entity `M`.
    pub(crate) fn of_entity(&self) -> Condition {
        Path::name(self.layout.config().entity_attribute.clone()).eq(M::schema().entity)
    }

    /// The item at the key is of entity `M` and, when `M` has a schema version above 1, stored
    /// at that version: a partial write to an item of an older layout would mix two layouts.
    pub(crate) fn of_current_schema(&self) -> Condition {
        let schema = M::schema();
        let entity = self.of_entity();
        if schema.schema_version > 1 {
            entity.and(
                Path::name(self.layout.config().schema_attribute.clone()).eq(schema.schema_version),
            )
        } else {
            entity
        }
    }

    /// An item of entity `M` at its current schema version is stored at the key (partial
    /// writes that must not create an item).
    pub(crate) fn existing(&self) -> Condition {
        Path::name(self.layout.config().partition_key.clone())
            .exists()
            .and(self.of_current_schema())
    }

    /// The key is free or holds an item of entity `M`: writes through one model never clobber
    /// another entity's item.
    pub(crate) fn absent_or_entity(&self) -> Condition {
        absent_or_entity(self.layout, M::schema().entity)
    }

    /// For a versioned model, the condition that the stored version is `version` (`None` for
    /// a model without `#[model(version)]`).
    pub(crate) fn version_is(&self, version: u64) -> Option<Condition> {
        M::schema().version.map(|attr| Path::name(attr).eq(version))
    }

    /// The condition of storing a whole model that was read at `version` (`save`, a
    /// transaction's `put`): for a versioned model, the key free (version 0) or the stored
    /// version equal to `version`; for any other, [`WriteRules::absent_or_entity`].
    pub(crate) fn replace(&self, version: u64) -> Condition {
        match self.version_is(version) {
            Some(_) if version == 0 => self.absent(),
            Some(same) => self.of_entity().and(same),
            None => self.absent_or_entity(),
        }
    }

    /// The condition of deleting the item of a model read at `version`: for a versioned model
    /// read from the table (`version > 0`), the stored version equal to it; else
    /// [`WriteRules::absent_or_entity`] (deleting an absent item succeeds).
    pub(crate) fn delete(&self, version: u64) -> Condition {
        match self.version_is(version) {
            Some(same) if version > 0 => same,
            _ => self.absent_or_entity(),
        }
    }

    /// Turns a failed write condition into the precise error: another entity at the key
    /// ([`Error::EntityMismatch`], when the backend returned the stored item), else a version
    /// conflict on `key` (whose item form, as written, is `key_item`) with `expected_version`.
    /// Other errors pass through.
    pub(crate) fn conflict(
        &self,
        error: Error,
        key: &Key,
        key_item: &Item,
        expected_version: u64,
    ) -> Error {
        match error {
            Error::ConditionFailed { item, .. } => {
                if let Some(Err(mismatch)) = item
                    .as_ref()
                    .map(|s| self.layout.check_entity::<M>(s, key_item))
                {
                    return mismatch;
                }
                Error::VersionConflict {
                    entity: M::schema().entity.to_owned(),
                    key: key.clone(),
                    expected: expected_version.to_string(),
                    item,
                }
            }
            other => other,
        }
    }

    /// Turns a failed condition of a partial write (an update, `save_changes`) of the item at
    /// `key` (whose item form is `key_item`) into the precise error. When the backend returned
    /// the stored item: another entity ([`Error::EntityMismatch`]), an older schema version
    /// ([`Error::SchemaVersion`]), else [`Error::VersionConflict`] when the write expected
    /// `expected_version`, else [`Error::ConditionFailed`] with the item. When it returned
    /// none: [`Error::NotFound`] when `missing_is_not_found` (no item means there is none),
    /// else the version conflict or failed condition without an item. Other errors pass
    /// through.
    pub(crate) fn partial_conflict(
        &self,
        error: Error,
        key: &Key,
        key_item: &Item,
        expected_version: Option<u64>,
        missing_is_not_found: bool,
    ) -> Error {
        let Error::ConditionFailed { item, .. } = error else {
            return error;
        };
        let entity = M::schema().entity.to_owned();
        if let Some(stored) = &item {
            if let Err(e) = self
                .layout
                .check_entity::<M>(stored, key_item)
                .and_then(|()| self.layout.check_schema_version::<M>(stored, key_item))
            {
                return e;
            }
        } else if missing_is_not_found {
            return Error::NotFound {
                entity,
                key: key.clone(),
            };
        }
        match expected_version {
            Some(version) => Error::VersionConflict {
                entity,
                key: key.clone(),
                expected: version.to_string(),
                item,
            },
            None => Error::ConditionFailed {
                entity: Some(entity),
                item,
            },
        }
    }
}

/// No item is stored at the key (of an item of any entity).
pub(crate) fn absent(layout: &Layout) -> Condition {
    Path::name(layout.config().partition_key.clone()).not_exists()
}

/// The key is free or holds an item of the entity `entity`: the condition of writes through
/// one entity (a model's, or the migration runner's checkpoints) that must never clobber
/// another entity's item.
pub(crate) fn absent_or_entity(layout: &Layout, entity: &str) -> Condition {
    let config = layout.config();
    Path::name(config.partition_key.clone())
        .not_exists()
        .or(Path::name(config.entity_attribute.clone()).eq(entity))
}
