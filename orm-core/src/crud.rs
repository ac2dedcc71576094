//! Single-item operations on models: create, save, get, find, exists, delete.
//!
//! Written once above the [`Backend`](crate::Backend) trait; every backend gets them. Call them
//! through [`ModelExt`](crate::ModelExt) (`todo.create(&table)`, `Todo::get(&table, key)`) or on the [`Table`].

use crate::backend::{
    DeleteItem, GetItem, PutItem, RawItem, ReturnValues, TransactWriteAction, UpdateItem,
};
use crate::error::{Error, Result};
use crate::expr::{Condition, Path, Update};
use crate::key::{IntoResult, Key};
use crate::model::Model;
use crate::table::Table;
use crate::unique;
use crate::value::Item;
use crate::write::{self, Stamp, Stamps, WriteRules};
use std::time::SystemTime;

impl Table {
    /// Stores a new item; [`Error::AlreadyExists`] (nothing changed) if its key is taken,
    /// [`Error::UniqueViolation`] if a unique value of it is held by another item (the
    /// model's guard items are written in the same transaction: [`crate::unique`]).
    ///
    /// With `#[model(version)]` the item is written with version 1 and the model's version is set to 1.
    #[tracing::instrument(level = "debug", name = "orm.create", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn create<M: Model>(&self, model: &mut M) -> Result<()> {
        let schema = M::schema();
        let stamps = Stamps::at::<M>(SystemTime::now())?;
        stamps.set_on(model, Stamp::Create)?;
        let mut item = self.layout().to_stored_item(model)?;
        let version = write::stamp::<M>(&mut item, Stamp::Create, &stamps)?;
        self.layout().check_item_size(schema.entity, &item)?;
        let model_key = model.primary_key()?;
        let request = PutItem::new(self.name(), item)
            .with_condition(WriteRules::<M>::of(self.layout()).absent())
            .with_capacity(self.recorder("PutItem", Some(schema.entity), None));
        let owner = self.config().key_of(&request.item);
        let guards = unique::changes::<M>(self, &owner, None, Some(&request.item))?;
        let written = if guards.is_empty() {
            self.backend().put_item(request).await.map(|_| ())
        } else {
            unique::write_with_guards::<M>(self, TransactWriteAction::Put(request), guards).await
        };
        match written {
            Ok(()) => {
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
    #[tracing::instrument(level = "debug", name = "orm.save", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn save<M: Model>(&self, model: &mut M) -> Result<()> {
        if unique::has_unique::<M>() {
            return self.save_guarded(model).await;
        }
        let schema = M::schema();
        let rules = WriteRules::<M>::of(self.layout());
        let stamps = Stamps::at::<M>(SystemTime::now())?;
        let current = model.version().unwrap_or(0);
        let stamp = Stamp::Replace { version: current };
        stamps.set_on(model, stamp)?;
        let mut item = self.layout().to_stored_item(model)?;
        let model_key = model.primary_key()?;
        let key = self.layout().key_item::<M>(&model_key)?;
        let next = write::stamp::<M>(&mut item, stamp, &stamps)?;
        let condition = rules.replace(current);
        self.layout().check_item_size(schema.entity, &item)?;
        if schema.created_at.is_some() {
            // An upsert that never overwrites created_at: an update setting every attribute but
            // created_at (set only if absent) and removing the fields the model leaves out.
            let request = self
                .upsert_request::<M>(item, Some(condition), &stamps)?
                .with_capacity(self.recorder("UpdateItem", Some(schema.entity), None));
            let stored = self
                .backend()
                .update_item(&request)
                .await
                .map_err(|e| rules.conflict(e, &model_key, &key, current))?
                .ok_or_else(|| Error::validation("the backend returned no item for ALL_NEW"))?;
            *model = self.layout().from_stored_item(stored)?;
            return Ok(());
        }
        let request = PutItem::new(self.name(), item)
            .with_condition(condition)
            .with_return_item_on_condition_failure(true)
            .with_capacity(self.recorder("PutItem", Some(schema.entity), None));
        match self.backend().put_item(request).await {
            Ok(_) => {
                if let Some(next) = next {
                    model.set_version(next);
                }
                Ok(())
            }
            Err(e) => Err(rules.conflict(e, &model_key, &key, current)),
        }
    }

    /// [`Table::save`] of a model with unique fields: a transaction's `put`, which reads the
    /// stored item and moves the guards of the values that change.
    async fn save_guarded<M: Model>(&self, model: &mut M) -> Result<()> {
        let current = model.version().unwrap_or(0);
        let model_key = model.primary_key()?;
        let key = self.layout().key_item::<M>(&model_key)?;
        match self.transaction().put(model).commit().await {
            Err(Error::TransactionCanceled { mut reasons })
                if reasons.len() == 1
                    && reasons[0].code
                        == crate::error::CancellationCode::ConditionalCheckFailed =>
            {
                let failed = Error::ConditionFailed {
                    entity: None,
                    item: reasons.pop().and_then(|r| r.item).map(Box::new),
                };
                Err(WriteRules::<M>::of(self.layout()).conflict(failed, &model_key, &key, current))
            }
            other => other,
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
    #[tracing::instrument(level = "debug", name = "orm.save_changes", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
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
        let key_item = self.layout().key_item::<M>(&key)?;
        let version = before.version().unwrap_or(0);
        if schema.version.is_some() && version == 0 {
            return Err(Error::validation(format!(
                "save_changes on {} {key}: `before` has version 0, so it was never stored; use \
                 create or save",
                schema.entity
            )));
        }
        let mut old = self.layout().to_stored_item(before)?;
        Stamps::at::<M>(SystemTime::now())?.set_on(model, Stamp::Replace { version })?;
        let mut new = self.layout().to_stored_item(model)?;
        // The conditions below (the version, or every changed attribute as read) make sure
        // the stored item holds `before`'s unique values.
        let guards = unique::changes::<M>(self, &key_item, Some(&old), Some(&new))?;
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
        let rules = WriteRules::<M>::of(self.layout());
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
                condition = condition.and(write::unchanged(path, old.get(name.as_str())));
            }
        }
        let next = match (schema.version, rules.version_is(version)) {
            (Some(attr), Some(same)) => {
                let next = write::next_version::<M>(version)?;
                update = update.set(Path::name(attr), next);
                condition = condition.and(same);
                Some(next)
            }
            _ => None,
        };
        self.layout().check_item_size(schema.entity, &new)?;
        let request = UpdateItem::new(self.name(), key_item.clone(), update)
            .with_condition(condition)
            .with_return_item_on_condition_failure(true)
            .with_capacity(self.recorder("UpdateItem", Some(schema.entity), None));
        let written = if guards.is_empty() {
            self.backend().update_item(&request).await.map(|_| ())
        } else {
            unique::write_with_guards::<M>(self, TransactWriteAction::Update(request), guards).await
        };
        match written {
            Ok(()) => {
                if let Some(next) = next {
                    model.set_version(next);
                }
                Ok(())
            }
            Err(e) => Err(rules.partial_conflict(
                e,
                &key,
                &key_item,
                next.map(|_| version),
                // No stored item came back: there is none (where the backend returns it).
                self.capabilities().return_item_on_condition_failure,
            )),
        }
    }

    /// The UpdateItem that stores `item` as a whole (an upsert keeping a stored created_at,
    /// [`write::upsert`]) if `condition` holds, returning the whole new item.
    pub(crate) fn upsert_request<M: Model>(
        &self,
        item: Item,
        condition: Option<Condition>,
        stamps: &Stamps,
    ) -> Result<UpdateItem> {
        let (key, update) = write::upsert::<M>(self.layout(), item, stamps)?;
        Ok(UpdateItem::new(self.name(), key, update)
            .with_condition(condition)
            .with_return_values(ReturnValues::AllNew)
            .with_return_item_on_condition_failure(true))
    }

    /// Read-modify-write with optimistic locking: reads the model at `key` (strongly consistent),
    /// applies `change`, and saves; on [`Error::VersionConflict`] re-reads and re-applies, up to
    /// `max_attempts` times with jittered backoff. Returns the saved model.
    ///
    /// Needs a `#[model(version)]` field (without one, concurrent read-modify-writes lose updates:
    /// this refuses to run rather than pretend). `change` may run several times. For a change
    /// that may refuse ("close only if open"), see [`Table::try_modify`].
    pub async fn modify<M: Model>(
        &self,
        key: impl IntoResult<Key>,
        max_attempts: u32,
        mut change: impl FnMut(&mut M) + Send,
    ) -> Result<M> {
        self.try_modify(key, max_attempts, |model: &mut M| {
            change(model);
            Ok::<(), Error>(())
        })
        .await
    }

    /// [`Table::modify`] with a change that may refuse: when `change` returns an error, nothing
    /// is written and that error is returned, decided on the model as read (strongly
    /// consistent), with no second read. The write is conditional on the version read, so a
    /// concurrent writer makes it read and decide again.
    ///
    /// `E` is the caller's error type; ORM errors (not found, conflicts after `max_attempts`,
    /// backend errors) are converted into it with `From<Error>` (or use [`Error`] itself).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use orm_core::prelude::*;
    /// use orm_memory::MemoryBackend;
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
    /// #[model(entity = "Ticket", pk = "TICKET#{id}", sk = "TICKET")]
    /// struct Ticket { id: u32, open: bool, #[model(version)] version: u64 }
    ///
    /// #[derive(Debug)]
    /// enum ApiError { Conflict(&'static str), Orm(Error) }
    /// impl From<Error> for ApiError {
    ///     fn from(e: Error) -> Self { ApiError::Orm(e) }
    /// }
    ///
    /// let table = Table::new(MemoryBackend::new(), "app");
    /// table.create_table::<Ticket>().await?;
    /// Ticket { id: 1, open: true, version: 0 }.create(&table).await?;
    ///
    /// // Close it only if it is open, else 409: one read, one conditional write.
    /// let close = |t: &mut Ticket| {
    ///     if !t.open {
    ///         return Err(ApiError::Conflict("already closed"));
    ///     }
    ///     t.open = false;
    ///     Ok(())
    /// };
    /// let closed = Ticket::try_modify(&table, Ticket::key(1u32), 5, close).await.unwrap();
    /// assert_eq!((closed.open, closed.version), (false, 2));
    /// let again = Ticket::try_modify(&table, Ticket::key(1u32), 5, close).await;
    /// assert!(matches!(again, Err(ApiError::Conflict("already closed"))));
    /// assert_eq!(Ticket::get(&table, Ticket::key(1u32)).await?.version, 2); // nothing written
    /// # Ok::<(), Error>(()) }).unwrap();
    /// ```
    #[tracing::instrument(level = "debug", name = "orm.modify", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn try_modify<M: Model, E: From<Error>>(
        &self,
        key: impl IntoResult<Key>,
        max_attempts: u32,
        mut change: impl FnMut(&mut M) -> std::result::Result<(), E> + Send,
    ) -> std::result::Result<M, E> {
        if M::schema().version.is_none() {
            return Err(Error::validation(format!(
                "modify needs a #[model(version)] field on {}",
                M::schema().entity
            ))
            .into());
        }
        let key = key.into_result()?;
        let consistent = self.reconfigure(|c| c.consistent_reads = true);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut model: M = consistent.get(key.clone()).await?;
            change(&mut model)?;
            match self.save(&mut model).await {
                Ok(()) => return Ok(model),
                Err(Error::VersionConflict { .. }) if attempt < max_attempts.max(1) => {
                    let cap = 1u64 << attempt.min(6);
                    let millis = rand::Rng::gen_range(&mut rand::thread_rng(), 0..=cap);
                    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reads the item at `key`; [`Error::NotFound`] if there is none.
    #[tracing::instrument(level = "debug", name = "orm.get", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn get<M: Model>(&self, key: impl IntoResult<Key>) -> Result<M> {
        let key = key.into_result()?;
        match self.find_item::<M>(&key, None).await? {
            Some(item) => self.layout().from_raw_item(item),
            None => Err(Error::NotFound {
                entity: M::schema().entity.to_owned(),
                key,
            }),
        }
    }

    /// Reads the item at `key`, if there is one.
    #[tracing::instrument(level = "debug", name = "orm.find", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn find<M: Model>(&self, key: impl IntoResult<Key>) -> Result<Option<M>> {
        let key = key.into_result()?;
        match self.find_item::<M>(&key, None).await? {
            Some(item) => self.layout().from_raw_item(item).map(Some),
            None => Ok(None),
        }
    }

    /// Whether an item of `M` exists at `key` (reads only the entity attribute).
    #[tracing::instrument(level = "debug", name = "orm.exists", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn exists<M: Model>(&self, key: impl IntoResult<Key>) -> Result<bool> {
        let key = key.into_result()?;
        let projection = vec![Path::name(self.config().entity_attribute.clone())];
        match self.find_item::<M>(&key, Some(projection)).await? {
            None => Ok(false),
            // The projection holds no key attributes: the message takes them from the key.
            Some(item) => self
                .layout()
                .check_entity::<M>(&item.into_item()?, &self.layout().key_item::<M>(&key)?)
                .map(|()| true),
        }
    }

    async fn find_item<M: Model>(
        &self,
        key: &Key,
        projection: Option<Vec<Path>>,
    ) -> Result<Option<RawItem>> {
        let request = GetItem::new(self.name(), self.layout().key_item::<M>(key)?)
            .with_consistent(self.config().consistent_reads)
            .with_projection(projection)
            .with_capacity(self.recorder("GetItem", Some(M::schema().entity), None));
        self.backend().get_item(&request).await
    }

    /// Deletes the model's item. With `#[model(version)]` (and a stored version) the stored version
    /// must match, else [`Error::VersionConflict`]. Deleting an absent item succeeds.
    #[tracing::instrument(level = "debug", name = "orm.delete", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn delete<M: Model>(&self, model: &M) -> Result<()> {
        let version = model.version().unwrap_or(0);
        let condition = WriteRules::<M>::of(self.layout()).delete(version);
        self.delete_with::<M>(model.primary_key()?, condition, version)
            .await
            .map(|_| ())
    }

    /// Deletes the item at `key`; returns the deleted model, if there was one.
    #[tracing::instrument(level = "debug", name = "orm.delete_key", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn delete_key<M: Model>(&self, key: impl IntoResult<Key>) -> Result<Option<M>> {
        let old = self
            .delete_with::<M>(
                key.into_result()?,
                WriteRules::<M>::of(self.layout()).delete(0),
                0,
            )
            .await?;
        old.map(|item| self.layout().from_stored_item(item))
            .transpose()
    }

    async fn delete_with<M: Model>(
        &self,
        key: Key,
        condition: Condition,
        version: u64,
    ) -> Result<Option<Item>> {
        let mut request = DeleteItem::new(self.name(), self.layout().key_item::<M>(&key)?)
            .with_condition(condition)
            .with_return_values(ReturnValues::AllOld)
            .with_return_item_on_condition_failure(true)
            .with_capacity(self.recorder("DeleteItem", Some(M::schema().entity), None));
        let conflict =
            |e| WriteRules::<M>::of(self.layout()).conflict(e, &key, &request.key, version);
        // A model with unique fields releases the guards of the values its stored item holds
        // (read first), in one transaction conditional on the values being unchanged.
        let stored = match unique::has_unique::<M>() {
            true => unique::read_stored(self, &request.key).await?,
            false => None,
        };
        let Some(stored) = stored else {
            return self.backend().delete_item(&request).await.map_err(conflict);
        };
        let guards = unique::changes::<M>(self, &request.key, Some(&stored), None)?;
        if guards.is_empty() {
            return self.backend().delete_item(&request).await.map_err(conflict);
        }
        request.condition = Condition::and_opt(
            request.condition.take(),
            unique::unchanged::<M>(Some(&stored)),
        );
        request.return_values = ReturnValues::None;
        let key_item = request.key.clone();
        unique::write_with_guards::<M>(self, TransactWriteAction::Delete(request), guards)
            .await
            .map(|()| Some(stored))
            .map_err(|e| WriteRules::<M>::of(self.layout()).conflict(e, &key, &key_item, version))
    }
}
