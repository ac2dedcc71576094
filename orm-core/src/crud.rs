//! Single-item operations on models: create, save, get, find, exists, delete.
//!
//! Written once above the [`Backend`](crate::Backend) trait; every backend gets them. Call them
//! through [`ModelExt`](crate::ModelExt) (`todo.create(&table)`, `Todo::get(&table, key)`) or on the [`Table`].

use crate::backend::{DeleteItem, GetItem, PutItem, RawItem, ReturnValues, UpdateItem};
use crate::error::{Error, Result};
use crate::expr::{Condition, Path, SetValue, Update};
use crate::key::{IntoResult, Key};
use crate::model::Model;
use crate::table::Table;
use crate::value::Item;
use crate::write::{self, Stamp, WriteRules};
use std::time::SystemTime;

impl Table {
    /// Stores a new item; [`Error::AlreadyExists`] (nothing changed) if its key is taken.
    ///
    /// With `#[model(version)]` the item is written with version 1 and the model's version is set to 1.
    #[tracing::instrument(level = "debug", name = "orm.create", skip_all, fields(table = %self.name(), entity = M::schema().entity))]
    pub async fn create<M: Model>(&self, model: &mut M) -> Result<()> {
        let schema = M::schema();
        let now = SystemTime::now();
        model.touch(now, true);
        let mut item = self.to_stored_item(model)?;
        let version = write::stamp::<M>(&mut item, Stamp::Create, now)?;
        self.check_item_size(schema.entity, &item)?;
        let model_key = model.primary_key()?;
        let request = PutItem {
            condition: Some(WriteRules::<M>::of(self).absent()),
            ..PutItem::new(self.name(), item)
        };
        match self.backend().put_item(&request).await {
            Ok(_) => {
                if let Some(version) = version {
                    model.set_version(version);
                }
                Ok(())
            }
            Err(Error::ConditionFailed { .. }) => Err(Error::AlreadyExists {
                entity: schema.entity.to_owned(),
                key: model_key,
            }),
            Err(e) => Err(e),
        }
    }

    /// Stores the model, replacing any item with its key (an upsert).
    ///
    /// With `#[model(version)]` the write is conditional: the stored version must equal the
    /// model's (or no item may exist when the model's version is 0); the stored and the model's
    /// version become one higher. A mismatch is [`Error::VersionConflict`] and changes nothing.
    /// An item of another entity at the key is [`Error::EntityMismatch`] and is left alone.
    #[tracing::instrument(level = "debug", name = "orm.save", skip_all, fields(table = %self.name(), entity = M::schema().entity))]
    pub async fn save<M: Model>(&self, model: &mut M) -> Result<()> {
        let schema = M::schema();
        let rules = WriteRules::<M>::of(self);
        let now = SystemTime::now();
        model.touch(now, false);
        let mut item = self.to_stored_item(model)?;
        let model_key = model.primary_key()?;
        let key = self.key_item::<M>(&model_key)?;
        let current = model.version().unwrap_or(0);
        let next = write::stamp::<M>(&mut item, Stamp::Replace { version: current }, now)?;
        let condition = rules.replace(current);
        self.check_item_size(schema.entity, &item)?;
        if schema.created_at.is_some() {
            // An upsert that never overwrites created_at: an update setting every attribute but
            // created_at (set only if absent) and removing the fields the model leaves out.
            let request = self.upsert_request::<M>(item, Some(condition), now)?;
            let stored = self
                .backend()
                .update_item(&request)
                .await
                .map_err(|e| rules.conflict(self, e, &model_key, &key, current))?
                .ok_or_else(|| Error::validation("the backend returned no item for ALL_NEW"))?;
            *model = self.from_stored_item(stored)?;
            return Ok(());
        }
        let request = PutItem {
            condition: Some(condition),
            return_item_on_condition_failure: true,
            ..PutItem::new(self.name(), item)
        };
        match self.backend().put_item(&request).await {
            Ok(_) => {
                if let Some(next) = next {
                    model.set_version(next);
                }
                Ok(())
            }
            Err(e) => Err(rules.conflict(self, e, &model_key, &key, current)),
        }
    }

    /// Saves only what changed between `before` (the model as it was read) and `model`: one
    /// UpdateItem that SETs the attributes whose values differ, REMOVEs those `model` no longer
    /// has (a `None` field, an index key of a sparse index it left), and leaves every other
    /// attribute of the stored item alone, attributes the model does not know included.
    ///
    /// Conditions, so that nothing another writer stored is lost:
    /// - the item exists, is of entity `M`, and is at the model's schema version (an item of an
    ///   older version is [`Error::SchemaVersion`]: migrate it or [`save`](Table::save) it whole);
    /// - with `#[model(version)]`: the stored version equals `before`'s, else
    ///   [`Error::VersionConflict`]; the version becomes one higher (in `model` too);
    /// - without one: every attribute written still holds `before`'s value, else
    ///   [`Error::ConditionFailed`] with the stored item. Two writers changing different fields
    ///   both succeed; two changing the same field cannot overwrite each other unseen.
    ///
    /// The primary key cannot change this way (a [`Error::Validation`]); index keys follow their
    /// fields. Nothing is sent when nothing but the `#[model(updated_at)]` stamp would change.
    #[tracing::instrument(level = "debug", name = "orm.save_changes", skip_all, fields(table = %self.name(), entity = M::schema().entity))]
    pub async fn save_changes<M: Model>(&self, before: &M, model: &mut M) -> Result<()> {
        let schema = M::schema();
        let config = self.config();
        let key = model.primary_key()?;
        let old_key = before.primary_key()?;
        if key != old_key {
            return Err(Error::validation(format!(
                "save_changes cannot move {} from {old_key} to {key}: the primary key is part of \
                 the item's identity; create the new item and delete the old one (a transaction)",
                schema.entity
            )));
        }
        let key_item = self.key_item::<M>(&key)?;
        let version = before.version().unwrap_or(0);
        if schema.version.is_some() && version == 0 {
            return Err(Error::validation(format!(
                "save_changes on {} {key}: `before` has version 0, so it was never stored; use \
                 create or save",
                schema.entity
            )));
        }
        let mut old = self.to_stored_item(before)?;
        model.touch(SystemTime::now(), false);
        let mut new = self.to_stored_item(model)?;
        for layout in [&config.partition_key, &config.sort_key] {
            old.remove(layout.as_str());
            new.remove(layout.as_str());
        }
        if let Some(v) = schema.version {
            old.remove(v);
            new.remove(v);
        }
        let changed: Vec<&String> = new
            .keys()
            .chain(old.keys().filter(|k| !new.contains_key(k.as_str())))
            .filter(|k| old.get(k.as_str()) != new.get(k.as_str()))
            .collect();
        if changed
            .iter()
            .all(|k| Some(k.as_str()) == schema.updated_at)
        {
            return Ok(());
        }
        let rules = WriteRules::<M>::of(self);
        let mut update = Update::new();
        let mut condition = rules.existing();
        for name in &changed {
            let path = Path::name(name.as_str());
            update = match new.get(name.as_str()) {
                Some(v) => update.set(path.clone(), v.clone()),
                None => update.remove(path.clone()),
            };
            // The ORM's own stamp is last-writer-wins; every other field must be as read.
            if schema.version.is_none() && Some(name.as_str()) != schema.updated_at {
                condition = condition.and(match old.get(name.as_str()) {
                    Some(v) => path.eq(v.clone()),
                    None => path.not_exists(),
                });
            }
        }
        let next = match schema.version {
            Some(attr) => {
                let next = write::next_version::<M>(version)?;
                update = update.set(Path::name(attr), next);
                condition = condition.and(Path::name(attr).eq(version));
                Some(next)
            }
            None => None,
        };
        self.check_item_size(schema.entity, &new)?;
        let request = UpdateItem {
            table: self.name().to_owned(),
            key: key_item.clone(),
            update,
            condition: Some(condition),
            return_values: ReturnValues::None,
            return_item_on_condition_failure: true,
        };
        match self.backend().update_item(&request).await {
            Ok(_) => {
                if let Some(next) = next {
                    model.set_version(next);
                }
                Ok(())
            }
            // No stored item came back: there is none (where the backend returns it).
            Err(Error::ConditionFailed { item: None, .. })
                if self.capabilities().return_item_on_condition_failure =>
            {
                Err(Error::NotFound {
                    entity: schema.entity.to_owned(),
                    key,
                })
            }
            Err(Error::ConditionFailed {
                item: Some(stored), ..
            }) => {
                self.check_entity::<M>(&stored, &key_item)?;
                self.check_schema_version::<M>(&stored, &key_item)?;
                Err(match schema.version {
                    Some(_) => Error::VersionConflict {
                        entity: schema.entity.to_owned(),
                        key,
                        expected: version.to_string(),
                        item: Some(stored),
                    },
                    None => Error::ConditionFailed {
                        entity: Some(schema.entity.to_owned()),
                        item: Some(stored),
                    },
                })
            }
            Err(e) => Err(rules.conflict(self, e, &key, &key_item, version)),
        }
    }

    /// The update that stores `item` as a whole (upsert) while keeping a stored created_at.
    pub(crate) fn upsert_request<M: Model>(
        &self,
        mut item: Item,
        condition: Option<Condition>,
        now: SystemTime,
    ) -> Result<UpdateItem> {
        let schema = M::schema();
        let config = self.config();
        let key = self.key_item::<M>(&Key {
            partition: item
                .remove(&config.partition_key)
                .ok_or_else(|| Error::validation("stored item has no partition key"))?,
            sort: item.remove(&config.sort_key),
        })?;
        let mut update = Update::new();
        let created = schema.created_at;
        for (name, value) in item.iter() {
            if Some(name.as_str()) == created {
                continue;
            }
            update = update.set(Path::name(name.clone()), value.clone());
        }
        if let Some(attr) = created {
            let value = match M::created_at_value(now)? {
                Some(v) => v,
                None => item
                    .get(attr)
                    .cloned()
                    .ok_or_else(|| Error::validation("created_at has no value"))?,
            };
            update = update.set_expr(
                Path::name(attr),
                SetValue::if_not_exists(Path::name(attr), value),
            );
        }
        // Fields the model leaves out (None) and sparse index keys it no longer has.
        let mut absent: Vec<String> = schema
            .fields
            .iter()
            .map(|f| f.attribute.to_owned())
            .filter(|a| !item.contains_key(a.as_str()))
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
        Ok(UpdateItem {
            table: self.name().to_owned(),
            key,
            update,
            condition,
            return_values: ReturnValues::AllNew,
            return_item_on_condition_failure: true,
        })
    }

    /// Read-modify-write with optimistic locking: reads the model at `key` (strongly consistent),
    /// applies `change`, and saves; on [`Error::VersionConflict`] re-reads and re-applies, up to
    /// `max_attempts` times with jittered backoff. Returns the saved model.
    ///
    /// Needs a `#[model(version)]` field (without one, concurrent read-modify-writes lose updates:
    /// this refuses to run rather than pretend). `change` may run several times.
    #[tracing::instrument(level = "debug", name = "orm.modify", skip_all, fields(table = %self.name(), entity = M::schema().entity))]
    pub async fn modify<M: Model>(
        &self,
        key: impl IntoResult<Key>,
        max_attempts: u32,
        mut change: impl FnMut(&mut M) + Send,
    ) -> Result<M> {
        if M::schema().version.is_none() {
            return Err(Error::validation(format!(
                "modify needs a #[model(version)] field on {}",
                M::schema().entity
            )));
        }
        let key = key.into_result()?;
        let consistent = self.reconfigure(|c| c.consistent_reads = true);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut model: M = consistent.get(key.clone()).await?;
            change(&mut model);
            match self.save(&mut model).await {
                Ok(()) => return Ok(model),
                Err(Error::VersionConflict { .. }) if attempt < max_attempts.max(1) => {
                    let cap = 1u64 << attempt.min(6);
                    let millis = rand::Rng::gen_range(&mut rand::thread_rng(), 0..=cap);
                    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the item at `key`; [`Error::NotFound`] if there is none.
    #[tracing::instrument(level = "debug", name = "orm.get", skip_all, fields(table = %self.name(), entity = M::schema().entity))]
    pub async fn get<M: Model>(&self, key: impl IntoResult<Key>) -> Result<M> {
        let key = key.into_result()?;
        match self.find_item::<M>(&key, None).await? {
            Some(item) => self.from_raw_item(item),
            None => Err(Error::NotFound {
                entity: M::schema().entity.to_owned(),
                key,
            }),
        }
    }

    /// Reads the item at `key`, if there is one.
    #[tracing::instrument(level = "debug", name = "orm.find", skip_all, fields(table = %self.name(), entity = M::schema().entity))]
    pub async fn find<M: Model>(&self, key: impl IntoResult<Key>) -> Result<Option<M>> {
        let key = key.into_result()?;
        match self.find_item::<M>(&key, None).await? {
            Some(item) => self.from_raw_item(item).map(Some),
            None => Ok(None),
        }
    }

    /// Whether an item of `M` exists at `key` (reads only the entity attribute).
    #[tracing::instrument(level = "debug", name = "orm.exists", skip_all, fields(table = %self.name(), entity = M::schema().entity))]
    pub async fn exists<M: Model>(&self, key: impl IntoResult<Key>) -> Result<bool> {
        let key = key.into_result()?;
        let projection = vec![Path::name(self.config().entity_attribute.clone())];
        match self.find_item::<M>(&key, Some(projection)).await? {
            None => Ok(false),
            // The projection holds no key attributes: the message takes them from the key.
            Some(item) => self
                .check_entity::<M>(&item.into_item(), &self.key_item::<M>(&key)?)
                .map(|()| true),
        }
    }

    async fn find_item<M: Model>(
        &self,
        key: &Key,
        projection: Option<Vec<Path>>,
    ) -> Result<Option<RawItem>> {
        let request = GetItem {
            consistent: self.config().consistent_reads,
            projection,
            ..GetItem::new(self.name(), self.key_item::<M>(key)?)
        };
        self.backend().get_item(&request).await
    }

    /// Deletes the model's item. With `#[model(version)]` (and a stored version) the stored version
    /// must match, else [`Error::VersionConflict`]. Deleting an absent item succeeds.
    #[tracing::instrument(level = "debug", name = "orm.delete", skip_all, fields(table = %self.name(), entity = M::schema().entity))]
    pub async fn delete<M: Model>(&self, model: &M) -> Result<()> {
        let version = model.version().unwrap_or(0);
        let condition = WriteRules::<M>::of(self).delete(version);
        self.delete_with::<M>(model.primary_key()?, condition, version)
            .await
            .map(|_| ())
    }

    /// Deletes the item at `key`; returns the deleted model, if there was one.
    #[tracing::instrument(level = "debug", name = "orm.delete_key", skip_all, fields(table = %self.name(), entity = M::schema().entity))]
    pub async fn delete_key<M: Model>(&self, key: impl IntoResult<Key>) -> Result<Option<M>> {
        let old = self
            .delete_with::<M>(key.into_result()?, WriteRules::<M>::of(self).delete(0), 0)
            .await?;
        old.map(|item| self.from_stored_item(item)).transpose()
    }

    async fn delete_with<M: Model>(
        &self,
        key: Key,
        condition: Condition,
        version: u64,
    ) -> Result<Option<Item>> {
        let request = DeleteItem {
            condition: Some(condition),
            return_values: ReturnValues::AllOld,
            return_item_on_condition_failure: true,
            ..DeleteItem::new(self.name(), self.key_item::<M>(&key)?)
        };
        self.backend()
            .delete_item(&request)
            .await
            .map_err(|e| WriteRules::<M>::of(self).conflict(self, e, &key, &request.key, version))
    }
}
