//! [`ModelExt`]: every operation on a model, in the one trait users import.
//!
//! The trait has its own module because it sits above all the operations it names: single-item
//! writes and reads ([`crud`](crate::crud)), queries and scans ([`query`](crate::query)), updates
//! ([`update`](crate::update)) and batches ([`batch`](crate::batch)). It only forwards to them
//! (to [`Table`] and the builders), and no module of the crate depends on it. Each operation
//! is documented once, where it is written (the `Table` method or the builder); the methods
//! here say in a line what they do and link there.

use crate::error::Result;
use crate::key::{IntoResult, Key};
use crate::model::Model;
use crate::query::{NoPartition, Query, Scan};
use crate::table::Table;
use crate::update::UpdateBuilder;
use std::future::Future;

/// The model operations, available on every [`Model`]: `todo.create(&table)`,
/// `Todo::get(&table, Todo::key(..))`, `Todo::query(&table)`, `Todo::update(&table, key)`,
/// `Todo::batch_create(&table, &mut todos)`...
///
/// Implemented for every model; import it (or `orm_core::prelude::*`) to call these.
/// Collections (made by [`collection!`](crate::collection)) are not models: they get `query`
/// and `scan` as associated functions of their own, without an import.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use orm_core::{Model, ModelExt, Table};
/// use orm_memory::MemoryBackend;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Model, Serialize, Deserialize, Debug, PartialEq)]
/// #[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
/// struct User { id: String, name: String }
///
/// let table = Table::new(MemoryBackend::new(), "app");
/// table.create_table::<User>().await?;
/// let mut alice = User { id: "alice".into(), name: "Alice".into() };
/// alice.create(&table).await?;
/// assert!(matches!(alice.create(&table).await, Err(orm_core::Error::AlreadyExists { .. })));
/// assert_eq!(User::get(&table, User::key("alice")).await?, alice);
/// assert!(User::find(&table, User::key("bob")).await?.is_none());
///
/// User::update(&table, User::key("alice")).set("name", "Al").await?;
/// let users = User::query(&table).partition(User::partition("alice")).all().await?;
/// assert_eq!(users[0].name, "Al");
///
/// User::batch_create(&table, &mut [User { id: "bob".into(), name: "Bob".into() }]).await?;
/// assert_eq!(User::scan(&table).count().await?, 2);
///
/// alice.delete(&table).await?;
/// assert!(!User::exists(&table, User::key("alice")).await?);
/// # Ok::<(), orm_core::Error>(()) }).unwrap();
/// ```
pub trait ModelExt: Model + Sized {
    /// Stores a new item; [`Error::AlreadyExists`](crate::Error::AlreadyExists) if the key is
    /// taken. See [`Table::create`].
    fn create(&mut self, table: &Table) -> impl Future<Output = Result<()>> + Send {
        async move { table.create(self).await }
    }

    /// Stores the model (upsert; versioned models are checked). See [`Table::save`].
    fn save(&mut self, table: &Table) -> impl Future<Output = Result<()>> + Send {
        async move { table.save(self).await }
    }

    /// Saves only the fields that differ from `before` (the model as read); unmodelled
    /// attributes and other writers' changes to other fields survive. See
    /// [`Table::save_changes`].
    fn save_changes<'a>(
        &'a mut self,
        table: &'a Table,
        before: &'a Self,
    ) -> impl Future<Output = Result<()>> + Send + 'a {
        async move { table.save_changes(before, self).await }
    }

    /// Reads the item at `key`; [`Error::NotFound`](crate::Error::NotFound) if absent. See
    /// [`Table::get`].
    fn get(
        table: &Table,
        key: impl IntoResult<Key> + Send,
    ) -> impl Future<Output = Result<Self>> + Send {
        async move { table.get(key).await }
    }

    /// Reads the item at `key`, if any. See [`Table::find`].
    fn find(
        table: &Table,
        key: impl IntoResult<Key> + Send,
    ) -> impl Future<Output = Result<Option<Self>>> + Send {
        async move { table.find(key).await }
    }

    /// Whether an item exists at `key`. See [`Table::exists`].
    fn exists(
        table: &Table,
        key: impl IntoResult<Key> + Send,
    ) -> impl Future<Output = Result<bool>> + Send {
        async move { table.exists::<Self>(key).await }
    }

    /// Read-modify-write with optimistic locking and retries. See [`Table::modify`].
    fn modify(
        table: &Table,
        key: impl IntoResult<Key> + Send,
        max_attempts: u32,
        change: impl FnMut(&mut Self) + Send,
    ) -> impl Future<Output = Result<Self>> + Send {
        async move { table.modify(key, max_attempts, change).await }
    }

    /// Read-modify-write whose change may refuse (returns `Err`), writing nothing then. See
    /// [`Table::try_modify`].
    fn try_modify<E: From<crate::Error> + Send>(
        table: &Table,
        key: impl IntoResult<Key> + Send,
        max_attempts: u32,
        change: impl FnMut(&mut Self) -> std::result::Result<(), E> + Send,
    ) -> impl Future<Output = std::result::Result<Self, E>> + Send {
        async move { table.try_modify(key, max_attempts, change).await }
    }

    /// Deletes this model's item. See [`Table::delete`].
    fn delete(&self, table: &Table) -> impl Future<Output = Result<()>> + Send {
        async move { table.delete(self).await }
    }

    /// Deletes the item at `key`, returning it if it existed. See [`Table::delete_key`].
    fn delete_key(
        table: &Table,
        key: impl IntoResult<Key> + Send,
    ) -> impl Future<Output = Result<Option<Self>>> + Send {
        async move { table.delete_key(key).await }
    }

    /// A query decoding into `Self`; it runs once [`partition`](crate::query::Builder::partition)
    /// is set. See [`Query`].
    fn query(table: &Table) -> Query<Self, NoPartition> {
        Query::new(table)
    }

    /// A scan decoding into `Self`. See [`Scan`].
    fn scan(table: &Table) -> Scan<Self> {
        Scan::new(table)
    }

    /// An update of the item at `key`. See [`UpdateBuilder`].
    fn update(table: &Table, key: impl IntoResult<Key>) -> UpdateBuilder<Self> {
        UpdateBuilder::new(table, key)
    }

    /// See [`Table::batch_create`].
    fn batch_create(table: &Table, models: &mut [Self]) -> impl Future<Output = Result<()>> + Send {
        table.batch_create(models)
    }

    /// See [`Table::batch_put`].
    fn batch_put(table: &Table, models: &[Self]) -> impl Future<Output = Result<()>> + Send {
        table.batch_put(models)
    }

    /// See [`Table::batch_delete`].
    fn batch_delete<K: IntoResult<Key> + Send>(
        table: &Table,
        keys: impl IntoIterator<Item = K> + Send,
    ) -> impl Future<Output = Result<()>> + Send {
        let keys: Vec<K> = keys.into_iter().collect();
        async move { table.batch_delete::<Self, K>(keys).await }
    }

    /// See [`Table::batch_get`].
    fn batch_get<K: IntoResult<Key> + Send>(
        table: &Table,
        keys: impl IntoIterator<Item = K> + Send,
    ) -> impl Future<Output = Result<Vec<Option<Self>>>> + Send {
        let keys: Vec<K> = keys.into_iter().collect();
        async move { table.batch_get::<Self, K>(keys).await }
    }
}

impl<M: Model> ModelExt for M {}
