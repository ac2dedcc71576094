//! The ORM's write rules, in one place.
//!
//! Every write through a model (create, save, save_changes, update, delete, batch writes and
//! transactions) follows the same rules, and this module is the only place that spells them:
//!
//! - **Conditions** ([`WriteRules`]): a create needs the key free; a write to an existing item
//!   needs it to be of the model's entity (and, for partial writes, at the model's schema
//!   version); a versioned model's write needs the stored version to be the one it read.
//! - **Stamps** ([`stamp`]): the attributes the ORM itself writes on an item: the version
//!   (1 on insert, one more on each replacement), `#[model(created_at)]` on insert and
//!   `#[model(updated_at)]` on every write.
//! - **Errors** ([`WriteRules::conflict`]): a failed condition becomes the precise error: the key
//!   holds another entity ([`Error::EntityMismatch`]) or another version
//!   ([`Error::VersionConflict`]).

use crate::error::{Error, Result};
use crate::expr::{Condition, Path, SetValue, Update};
use crate::model::Model;
use crate::table::{Table, TableConfig};
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

/// Writes the ORM's own attributes of `M` for `stamp` into `item`; returns the version written
/// (`None` for a model without `#[model(version)]`).
pub(crate) fn stamp<M: Model>(
    item: &mut Item,
    stamp: Stamp,
    now: SystemTime,
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
        if let (Some(attr), Some(v)) = (schema.created_at, M::created_at_value(now)?) {
            item.insert(attr.to_owned(), v);
        }
    }
    if let (Some(attr), Some(v)) = (schema.updated_at, M::updated_at_value(now)?) {
        item.insert(attr.to_owned(), v);
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
    config: &TableConfig,
    update: &mut Update,
    touched: &BTreeSet<String>,
    upsert: bool,
    expect_version: Option<u64>,
    now: SystemTime,
) -> Result<Option<Condition>> {
    let schema = M::schema();
    let mut stamped = std::mem::take(update);
    let guard = match (schema.version, expect_version) {
        (Some(v), expected) => {
            if !touched.contains(v) {
                stamped = stamped.add(Path::name(v), 1u64);
            }
            expected.map(|e| Path::name(v).eq(e))
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
        if upsert {
            if let Some(v) = M::created_at_value(now)? {
                stamped = stamped.set_expr(
                    Path::name(attr),
                    SetValue::if_not_exists(Path::name(attr), v),
                );
            }
        }
    }
    if let Some(attr) = schema.updated_at {
        if !touched.contains(attr) {
            if let Some(v) = M::updated_at_value(now)? {
                stamped = stamped.set(Path::name(attr), v);
            }
        }
    }
    if upsert {
        if schema.schema_version > 1 {
            stamped = stamped.set(
                Path::name(config.schema_attribute.clone()),
                schema.schema_version,
            );
        }
        stamped = stamped.set(Path::name(config.entity_attribute.clone()), schema.entity);
    }
    *update = stamped;
    Ok(guard)
}

/// The version after `version`, or a validation error naming the entity when it overflows.
pub(crate) fn next_version<M: Model>(version: u64) -> Result<u64> {
    version
        .checked_add(1)
        .ok_or_else(|| Error::validation(format!("{}: version overflow", M::schema().entity)))
}

/// The conditions of writes of model `M` to a table with layout `config`.
pub(crate) struct WriteRules<'t, M> {
    config: &'t TableConfig,
    _model: PhantomData<fn() -> M>,
}

impl<'t, M: Model> WriteRules<'t, M> {
    /// The rules of `M` in `table`.
    pub(crate) fn of(table: &'t Table) -> WriteRules<'t, M> {
        WriteRules {
            config: table.config(),
            _model: PhantomData,
        }
    }

    /// No item is stored at the key.
    pub(crate) fn absent(&self) -> Condition {
        Path::name(self.config.partition_key.clone()).not_exists()
    }

    /// The item at the key is of entity `M`.
    pub(crate) fn of_entity(&self) -> Condition {
        Path::name(self.config.entity_attribute.clone()).eq(M::schema().entity)
    }

    /// The item at the key is of entity `M` and, when `M` has a schema version above 1, stored
    /// at that version: a partial write to an item of an older layout would mix two layouts.
    pub(crate) fn of_current_schema(&self) -> Condition {
        let schema = M::schema();
        let entity = self.of_entity();
        if schema.schema_version > 1 {
            entity.and(Path::name(self.config.schema_attribute.clone()).eq(schema.schema_version))
        } else {
            entity
        }
    }

    /// An item of entity `M` at its current schema version is stored at the key (partial
    /// writes that must not create an item).
    pub(crate) fn existing(&self) -> Condition {
        Path::name(self.config.partition_key.clone())
            .exists()
            .and(self.of_current_schema())
    }

    /// The key is free or holds an item of entity `M`: writes through one model never clobber
    /// another entity's item.
    pub(crate) fn absent_or_entity(&self) -> Condition {
        self.absent().or(self.of_entity())
    }

    /// The condition of storing a whole model that was read at `version` (`save`, a
    /// transaction's `put`): for a versioned model, the key free (version 0) or the stored
    /// version equal to `version`; for any other, [`WriteRules::absent_or_entity`].
    pub(crate) fn replace(&self, version: u64) -> Condition {
        match M::schema().version {
            Some(_) if version == 0 => self.absent(),
            Some(attr) => self.of_entity().and(Path::name(attr).eq(version)),
            None => self.absent_or_entity(),
        }
    }

    /// The condition of deleting the item of a model read at `version`: for a versioned model
    /// read from the table (`version > 0`), the stored version equal to it; else
    /// [`WriteRules::absent_or_entity`] (deleting an absent item succeeds).
    pub(crate) fn delete(&self, version: u64) -> Condition {
        match M::schema().version {
            Some(attr) if version > 0 => Path::name(attr).eq(version),
            _ => self.absent_or_entity(),
        }
    }

    /// Turns a failed write condition into the precise error: another entity at the key
    /// ([`Error::EntityMismatch`], when the backend returned the stored item), else a version
    /// conflict on `key` (whose item form, as written, is `key_item`) with `expected_version`.
    /// Other errors pass through.
    pub(crate) fn conflict(
        &self,
        table: &Table,
        error: Error,
        key: &Key,
        key_item: &Item,
        expected_version: u64,
    ) -> Error {
        match error {
            Error::ConditionFailed { item, .. } => {
                if let Some(Err(mismatch)) =
                    item.as_ref().map(|s| table.check_entity::<M>(s, key_item))
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
}
