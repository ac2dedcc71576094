//! The [`Table`] handle: one DynamoDB table, its backend, its attribute layout, and the mapping
//! between models and stored items.
//!
//! Every stored item holds the model's own fields under their own names, plus the key attributes
//! (`pk`, `sk`), one partition/sort attribute per index the item is in (`gsi1pk`, `gsi1sk`), and the
//! entity name (`__entity`). Any other DynamoDB client can read such items.
//!
//! # Where `Table`'s methods live
//!
//! `Table` is one type whose `impl` is split by what the methods do, each part in the module
//! of that concept, so a reader finds an operation where its rules are:
//!
//! | part | module |
//! |---|---|
//! | construction, configuration, table definitions, model <-> item mapping, `verify` | `table.rs` (here) |
//! | single-item operations (`create`, `save`, `get`, `find`, `delete`...) | [`crud`](crate::crud) |
//! | batches (`batch_put`, `batch_get`...) | [`batch`](crate::batch) |
//! | transactions (`transaction`, `transact_get`) | [`transaction`](crate::transaction) |
//!
//! The parts share only what this module exposes to the crate (the layout checks and key
//! descriptions below) and the write rules of `write.rs`; none reaches into another's internals.

use crate::backend::{
    Backend, Capabilities, IndexDefinition, KeyAttribute, KeyType, Projection, RawItem, SharedItem,
    TableDefinition,
};
use crate::error::{Error, Result};
use crate::key::Key;
use crate::model::{Model, Schema};
use crate::serde_bridge::{from_attributes, from_entries, from_item, to_item};
use crate::value::{Item, NumberRef, Value, ValueRef};
use rand::Rng;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The attribute layout and behaviour settings of a [`Table`].
#[derive(Clone, PartialEq, Eq)]
pub struct TableConfig {
    /// The partition-key attribute (default `pk`).
    pub partition_key: String,
    /// The sort-key attribute (default `sk`).
    pub sort_key: String,
    /// The attribute holding each item's entity name (default `__entity`).
    pub entity_attribute: String,
    /// The attribute holding each item's schema version (default `__schema`); written for
    /// models with `#[model(schema_version = N)]` above 1, absent meaning version 1.
    pub schema_attribute: String,
    /// The secret cursors are sealed with (encrypted and authenticated, AES-256-GCM-SIV); plain
    /// cursors are refused when set. Without it a cursor is the last key in clear (see
    /// [`crate::cursor`]). Use at least 32 random bytes.
    pub cursor_secret: Option<Vec<u8>>,
    /// Earlier secrets whose cursors still open (secret rotation): `cursor_secret` seals, these
    /// only open.
    pub previous_cursor_secrets: Vec<Vec<u8>>,
    /// Refuse plain cursors even without a secret: a query that would hand one out fails with
    /// `Error::Validation`, and a plain cursor is `Error::InvalidCursor`. For deployments that
    /// must never expose keys in cursors.
    pub require_cursor_secret: bool,
    /// Strongly consistent reads for `get`/`find`/`exists`/queries by default.
    pub consistent_reads: bool,
    /// Batch settings (chunk concurrency, retries).
    pub batch: BatchConfig,
}

/// How batches are chunked, parallelised and retried: the [`TableConfig::batch`] part of a
/// table's settings, used by [`crate::batch`] (which re-exports it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchConfig {
    /// How many chunk requests may be in flight at once.
    pub concurrency: usize,
    /// Attempts per chunk (the first try included) before giving up on what is left.
    pub max_attempts: u32,
    /// The first retry's maximum delay; doubles each attempt (full jitter picks 0..=delay).
    pub base_delay: Duration,
    /// The cap on one retry's delay.
    pub max_delay: Duration,
    /// The cap on the total time spent retrying one chunk.
    pub max_elapsed: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            concurrency: 8,
            max_attempts: 10,
            base_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl BatchConfig {
    /// The delay before retry number `attempt` (1-based): uniform in `0..=min(max, base * 2^(attempt-1))`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(
            1u32.checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let cap = exp.min(self.max_delay);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::thread_rng().gen_range(0..=nanos))
    }
}

impl fmt::Debug for TableConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableConfig")
            .field("partition_key", &self.partition_key)
            .field("sort_key", &self.sort_key)
            .field("entity_attribute", &self.entity_attribute)
            .field("schema_attribute", &self.schema_attribute)
            .field(
                "cursor_secret",
                &self.cursor_secret.as_ref().map(|_| "<secret>"),
            )
            .field(
                "previous_cursor_secrets",
                &self.previous_cursor_secrets.len(),
            )
            .field("require_cursor_secret", &self.require_cursor_secret)
            .field("consistent_reads", &self.consistent_reads)
            .field("batch", &self.batch)
            .finish()
    }
}

impl Default for TableConfig {
    fn default() -> Self {
        TableConfig {
            partition_key: "pk".into(),
            sort_key: "sk".into(),
            entity_attribute: "__entity".into(),
            schema_attribute: "__schema".into(),
            cursor_secret: None,
            previous_cursor_secrets: Vec::new(),
            require_cursor_secret: false,
            consistent_reads: false,
            batch: BatchConfig::default(),
        }
    }
}

impl TableConfig {
    /// The primary key of `item`: its partition and sort key attributes (those it has).
    pub fn key_of(&self, item: &Item) -> Item {
        item.project(&[self.partition_key.as_str(), self.sort_key.as_str()])
    }

    /// The primary key of `item` as a [`Key`] (its partition and, if present, sort key
    /// attribute); `None` if it has no partition key attribute (an item read with a projection).
    pub fn key_from_item(&self, item: &Item) -> Option<Key> {
        Some(Key {
            partition: item.get(&self.partition_key)?.clone(),
            sort: item.get(&self.sort_key).cloned(),
        })
    }

    /// The partition-key attribute of a global index (`<index>pk`).
    pub fn index_partition_key(&self, index: &str) -> String {
        format!("{index}pk")
    }

    /// The sort-key attribute of an index (`<index>sk`).
    pub fn index_sort_key(&self, index: &str) -> String {
        format!("{index}sk")
    }

    /// Whether `name` is an attribute the table layout adds to items of `schema` (keys, index
    /// keys, entity name, schema version) rather than one of the model's fields.
    pub(crate) fn is_layout_attribute(&self, schema: &Schema, name: &str) -> bool {
        name == self.entity_attribute
            || name == self.schema_attribute
            || name == self.partition_key
            || name == self.sort_key
            || schema
                .indexes
                .iter()
                .any(|i| TableConfig::is_index_attribute(i.name, name, !i.local))
    }

    /// Whether `name` is the partition-key (`<index>pk`, when `partition`) or sort-key
    /// (`<index>sk`) attribute of `index`: the names above, compared without allocating.
    fn is_index_attribute(index: &str, name: &str, partition: bool) -> bool {
        name.len() == index.len() + 2
            && name.starts_with(index)
            && (name.ends_with("sk") || (partition && name.ends_with("pk")))
    }
}

struct Inner {
    backend: Arc<dyn Backend>,
    name: String,
    config: TableConfig,
    capabilities: Capabilities,
}

/// A handle on one table of one backend. Cheap to clone; `Send + Sync`.
///
/// ```
/// use orm_core::Table;
/// use orm_memory::MemoryBackend;
///
/// let table = Table::new(MemoryBackend::new(), "app");
/// assert_eq!(table.name(), "app");
/// ```
#[derive(Clone)]
pub struct Table {
    inner: Arc<Inner>,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.inner.name)
            .field("backend", &self.inner.backend)
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Table {
    /// A table named `name` on `backend`, with the default attribute layout.
    pub fn new(backend: impl Backend, name: impl Into<String>) -> Table {
        Table::with_config(backend, name, TableConfig::default())
    }

    /// A table with a custom layout or settings.
    pub fn with_config(
        backend: impl Backend,
        name: impl Into<String>,
        config: TableConfig,
    ) -> Table {
        Table::on_shared(Arc::new(backend), name.into(), config)
    }

    /// A table on a backend already behind an `Arc<dyn Backend>` (kept as it is, not wrapped again).
    fn on_shared(backend: Arc<dyn Backend>, name: String, config: TableConfig) -> Table {
        let capabilities = backend.capabilities();
        Table {
            inner: Arc::new(Inner {
                backend,
                name,
                config,
                capabilities,
            }),
        }
    }

    /// The same table and backend with a changed configuration.
    pub fn reconfigure(&self, change: impl FnOnce(&mut TableConfig)) -> Table {
        let mut config = self.inner.config.clone();
        change(&mut config);
        Table::on_shared(self.inner.backend.clone(), self.inner.name.clone(), config)
    }

    /// The same table, sealing cursors with `secret` (encrypted and authenticated: see
    /// [`crate::cursor`] for what a cursor reveals with and without one).
    pub fn with_cursor_secret(&self, secret: impl Into<Vec<u8>>) -> Table {
        let secret = secret.into();
        self.reconfigure(|c| c.cursor_secret = Some(secret))
    }

    /// The same table, also opening cursors sealed with any of `previous` (secret rotation: the
    /// [current secret](Table::with_cursor_secret) seals new cursors; cursors handed out before
    /// the rotation keep working until their secret is dropped from this list).
    pub fn with_previous_cursor_secrets<S: Into<Vec<u8>>>(
        &self,
        previous: impl IntoIterator<Item = S>,
    ) -> Table {
        let previous: Vec<Vec<u8>> = previous.into_iter().map(Into::into).collect();
        self.reconfigure(|c| c.previous_cursor_secrets = previous)
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    /// The configuration.
    pub fn config(&self) -> &TableConfig {
        &self.inner.config
    }

    /// The backend's capabilities (read once, when the handle was made).
    pub fn capabilities(&self) -> &Capabilities {
        &self.inner.capabilities
    }

    /// The table definition (keys, indexes, TTL) that the models `S` need.
    ///
    /// Every model in one table needs the same key shape: all with a sort key or all without.
    /// Indexes of the same name across models must agree on being local or global.
    pub fn definition<S: ModelSet>(&self) -> Result<TableDefinition> {
        definition_for(&self.inner.name, &self.inner.config, &S::schemas())
    }

    /// Creates the table the models `S` need (e.g. `table.create_table::<(User, Todo)>()`).
    pub async fn create_table<S: ModelSet>(&self) -> Result<()> {
        let def = self.definition::<S>()?;
        self.inner.backend.create_table(&def).await
    }

    /// Creates the table unless it exists; returns whether it was created.
    pub async fn create_table_if_not_exists<S: ModelSet>(&self) -> Result<bool> {
        match self.create_table::<S>().await {
            Ok(()) => Ok(true),
            Err(Error::TableExists { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes the table and everything in it.
    pub async fn delete_table(&self) -> Result<()> {
        self.inner.backend.delete_table(&self.inner.name).await
    }

    /// Checks that the live table has what the models `S` need; the error lists every difference.
    pub async fn verify<S: ModelSet>(&self) -> Result<()> {
        let want = self.definition::<S>()?;
        let have = self.inner.backend.describe_table(&self.inner.name).await?;
        let diff = definition_diff(&want, &have);
        if diff.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(format!(
                "table `{}` does not match the models:\n  {}",
                self.inner.name,
                diff.join("\n  ")
            )))
        }
    }

    /// The key attributes of a model's key, as an item (`{pk: .., sk: ..}`).
    pub fn key_item<M: Model>(&self, key: &Key) -> Result<Item> {
        key_item(&self.inner.config, M::schema(), key)
    }

    /// The item stored for a model: its fields, key attributes, index keys and entity name.
    pub fn to_stored_item<M: Model>(&self, model: &M) -> Result<Item> {
        let schema = M::schema();
        let config = &self.inner.config;
        let mut item = to_item(model)?;
        for reserved in [
            &config.partition_key,
            &config.sort_key,
            &config.entity_attribute,
            &config.schema_attribute,
        ] {
            if item.contains_key(reserved.as_str()) {
                return Err(Error::validation(format!(
                    "{}: field `{reserved}` collides with the table's `{reserved}` attribute; rename the field or configure the table",
                    schema.entity
                )));
            }
        }
        let key = model.primary_key()?;
        let keys = key_item(config, schema, &key)?;
        item.extend(keys.0);
        for index in schema.indexes {
            if let Some(k) = model.index_key(index.name)? {
                if !index.local {
                    item.insert(config.index_partition_key(index.name), k.partition);
                }
                if let Some(s) = k.sort {
                    item.insert(config.index_sort_key(index.name), s);
                }
            }
        }
        item.insert(
            config.entity_attribute.clone(),
            Value::S(schema.entity.to_owned()),
        );
        if schema.schema_version > 1 {
            item.insert(
                config.schema_attribute.clone(),
                Value::from(schema.schema_version),
            );
        }
        Ok(item)
    }

    /// Rejects an item DynamoDB would reject for its size (over 400 KB by DynamoDB's formula),
    /// before anything is sent.
    pub fn check_item_size(&self, entity: &str, item: &Item) -> Result<()> {
        self.check_size(entity, item, item.size())
    }

    /// [`Table::check_item_size`] for an item whose size (`size`) is already known.
    pub(crate) fn check_size(&self, entity: &str, item: &Item, size: usize) -> Result<()> {
        let max = self.inner.capabilities.limits.max_item_size;
        if size > max {
            return Err(Error::validation(format!(
                "{entity} item {} is {size} bytes; DynamoDB's item size limit is {max} bytes (400 KB)",
                describe_key(&self.inner.config, item)
            )));
        }
        Ok(())
    }

    /// Decodes a stored item into a model, checking its entity name, dropping the layout
    /// attributes and upgrading an item of an older schema version (see [`Model::upgrade`]).
    /// An item of another entity is [`Error::EntityMismatch`], one of a schema version newer
    /// than the model's [`Error::SchemaVersion`], never garbage.
    ///
    /// Every read decodes through here or [`Table::from_raw_item`]: get, find, queries, scans,
    /// batch gets, transactional gets, update results and stream records.
    pub fn from_stored_item<M: Model>(&self, item: Item) -> Result<M> {
        from_item(self.upgraded_fields::<M>(item)?)
    }

    /// The model attributes of a stored item of entity `M`, at the model's schema version: the
    /// entity checked, the layout attributes dropped, [`Model::upgrade`] applied once per
    /// version step. Attributes the model does not know are kept.
    pub fn upgraded_fields<M: Model>(&self, mut item: Item) -> Result<Item> {
        let schema = M::schema();
        let config = &self.inner.config;
        self.check_entity::<M>(&item, &item)?;
        let stored = self.stored_schema_version::<M>(&item)?;
        if stored == schema.schema_version {
            item.retain(|name, _| !config.is_layout_attribute(schema, name));
            return Ok(item);
        }
        let key = describe_key(config, &item);
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
        self.schema_version_of::<M>(item.get(&self.inner.config.schema_attribute), item)
    }

    fn schema_version_of<M: Model>(&self, value: Option<&Value>, key: &Item) -> Result<u32> {
        let Some(value) = value else { return Ok(1) };
        value
            .as_n()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|v| *v >= 1)
            .ok_or_else(|| {
                Error::validation(format!(
                    "{} item {}: `{}` holds {value}, not a schema version (a positive integer)",
                    M::schema().entity,
                    describe_key(&self.inner.config, key),
                    self.inner.config.schema_attribute
                ))
            })
    }

    /// [`Table::from_stored_item`] for an item as a backend read it ([`RawItem`]): attributes in
    /// any order are decoded straight into the model, the layout attributes skipped as they go
    /// by, without sorting them into an [`Item`] first.
    pub fn from_raw_item<M: Model>(&self, raw: RawItem) -> Result<M> {
        let entries = match raw {
            RawItem::Item(item) => return self.from_stored_item(item),
            RawItem::Entries(entries) => entries,
            RawItem::Shared(shared) => return self.from_shared_item(&*shared),
        };
        let schema = M::schema();
        let config = &self.inner.config;
        let attribute = |name: &str| entries.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let entity = attribute(&config.entity_attribute).and_then(Value::as_s);
        let version = attribute(&config.schema_attribute)
            .map(|v| v.as_n().and_then(|n| u32::try_from(n).ok()));
        if !self.is_current::<M>(entity, version) {
            // Another entity or another schema version: the sorted path checks, upgrades or
            // describes the error.
            return self.from_stored_item(Item::from_unsorted(entries));
        }
        from_entries(
            entries
                .into_iter()
                .filter(|(name, _)| !config.is_layout_attribute(schema, name)),
        )
    }

    /// [`Table::from_raw_item`] for an item a backend shares ([`SharedItem`]): the model is
    /// decoded from the item's borrowed attributes, the layout attributes skipped; an item of
    /// another entity or schema version goes the owned way ([`Table::from_stored_item`]), which
    /// checks, upgrades or describes the error.
    pub fn from_shared_item<M: Model>(&self, shared: &dyn SharedItem) -> Result<M> {
        let schema = M::schema();
        let config = &self.inner.config;
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
        if !self.is_current::<M>(entity, version) {
            drop(attributes);
            return self.from_stored_item(shared.to_item());
        }
        from_attributes(
            attributes
                .into_iter()
                .filter(|(name, _)| !config.is_layout_attribute(schema, name)),
        )
    }

    /// Whether an item whose entity attribute holds `entity` (a string) and whose schema
    /// attribute holds `version` (`None`: absent; `Some(None)`: not a `u32`) is an item of `M`
    /// at its current schema version, to decode as it is.
    fn is_current<M: Model>(&self, entity: Option<&str>, version: Option<Option<u32>>) -> bool {
        let schema = M::schema();
        let current = match version {
            None => schema.schema_version == 1,
            Some(version) => version == Some(schema.schema_version),
        };
        current && entity == Some(schema.entity)
    }

    /// `Ok` if `stored` is an item of entity `M`, else [`Error::EntityMismatch`] naming the entity
    /// found and the key (taken from `key`, since a projected item may lack its key attributes).
    pub fn check_entity<M: Model>(&self, stored: &Item, key: &Item) -> Result<()> {
        let expected = M::schema().entity;
        match stored.get(&self.inner.config.entity_attribute) {
            Some(Value::S(e)) if e == expected => Ok(()),
            other => Err(Error::EntityMismatch {
                expected: expected.to_owned(),
                found: match other {
                    Some(Value::S(e)) => e.clone(),
                    Some(v) => format!("{v:?}"),
                    None => "(no entity attribute)".into(),
                },
                key: self.inner.config.key_from_item(key),
            }),
        }
    }

    /// `Ok` if `stored` (an item of `M`) is at the model's schema version, else
    /// [`Error::SchemaVersion`] naming both versions and the key (taken from `key`).
    pub fn check_schema_version<M: Model>(&self, stored: &Item, key: &Item) -> Result<()> {
        let current = M::schema().schema_version;
        let found =
            self.schema_version_of::<M>(stored.get(&self.inner.config.schema_attribute), key)?;
        if found == current {
            return Ok(());
        }
        Err(Error::SchemaVersion {
            entity: M::schema().entity.to_owned(),
            key: self.inner.config.key_from_item(key),
            stored: found,
            current,
        })
    }

    /// Whether `item` holds an entity of model `M`.
    pub fn is_entity<M: Model>(&self, item: &Item) -> bool {
        matches!(item.get(&self.inner.config.entity_attribute), Some(Value::S(e)) if e == M::schema().entity)
    }
}

/// Renders the key attributes of an item for messages.
pub(crate) fn describe_key(config: &TableConfig, item: &Item) -> String {
    crate::error::key_text(&config.key_from_item(item))
}

fn key_item(config: &TableConfig, schema: &Schema, key: &Key) -> Result<Item> {
    let mut item = Item::new();
    item.insert(config.partition_key.clone(), key.partition.clone());
    match (&key.sort, schema.has_sort_key) {
        (Some(s), true) => {
            item.insert(config.sort_key.clone(), s.clone());
        }
        (None, false) => {}
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
    Ok(item)
}

fn s_key(name: String) -> KeyAttribute {
    KeyAttribute {
        name,
        key_type: KeyType::S,
    }
}

/// Builds the definition of one table holding every model in `schemas`.
pub(crate) fn definition_for(
    name: &str,
    config: &TableConfig,
    schemas: &[&'static Schema],
) -> Result<TableDefinition> {
    let first = schemas
        .first()
        .ok_or_else(|| Error::validation("a table needs at least one model"))?;
    if let Some(odd) = schemas
        .iter()
        .find(|s| s.has_sort_key != first.has_sort_key)
    {
        return Err(Error::validation(format!(
            "models in one table need the same key shape: {} {} a sort key but {} {}",
            first.entity,
            if first.has_sort_key { "has" } else { "has no" },
            odd.entity,
            if odd.has_sort_key { "has" } else { "has no" },
        )));
    }
    let mut indexes: Vec<IndexDefinition> = Vec::new();
    let mut ttl: Option<(&str, &str)> = None;
    for schema in schemas {
        if let Some(t) = schema.ttl {
            match ttl {
                Some((other, entity)) if other != t => {
                    return Err(Error::validation(format!(
                        "a table has one TTL attribute: {entity} uses `{other}`, {} uses `{t}`",
                        schema.entity
                    )))
                }
                _ => ttl = Some((t, schema.entity)),
            }
        }
        for index in schema.indexes {
            let def = IndexDefinition {
                name: index.name.to_owned(),
                local: index.local,
                partition_key: if index.local {
                    s_key(config.partition_key.clone())
                } else {
                    s_key(config.index_partition_key(index.name))
                },
                sort_key: index
                    .sort_key
                    .map(|_| s_key(config.index_sort_key(index.name))),
                projection: index.projection.clone(),
            };
            match indexes.iter_mut().find(|i| i.name == def.name) {
                None => indexes.push(def),
                Some(existing) => {
                    if existing.local != def.local || existing.sort_key != def.sort_key {
                        return Err(Error::validation(format!(
                            "index `{}` is declared differently by {} (local: {}, sort key: {})",
                            def.name,
                            schema.entity,
                            def.local,
                            def.sort_key.is_some()
                        )));
                    }
                    if existing.projection != def.projection {
                        // Models sharing an index with different projections: keep everything.
                        existing.projection = Projection::All;
                    }
                }
            }
        }
    }
    Ok(TableDefinition {
        name: name.to_owned(),
        partition_key: s_key(config.partition_key.clone()),
        sort_key: first.has_sort_key.then(|| s_key(config.sort_key.clone())),
        indexes,
        ttl_attribute: ttl.map(|(t, _)| t.to_owned()),
    })
}

fn definition_diff(want: &TableDefinition, have: &TableDefinition) -> Vec<String> {
    let mut diff = Vec::new();
    if want.partition_key != have.partition_key {
        diff.push(format!(
            "partition key: want {:?}, table has {:?}",
            want.partition_key, have.partition_key
        ));
    }
    if want.sort_key != have.sort_key {
        diff.push(format!(
            "sort key: want {:?}, table has {:?}",
            want.sort_key, have.sort_key
        ));
    }
    for w in &want.indexes {
        match have.index(&w.name) {
            None => diff.push(format!("index `{}` is missing", w.name)),
            Some(h) => {
                if h.local != w.local {
                    diff.push(format!(
                        "index `{}`: want local={}, table has local={}",
                        w.name, w.local, h.local
                    ));
                }
                if h.partition_key != w.partition_key || h.sort_key != w.sort_key {
                    diff.push(format!(
                        "index `{}`: want keys {:?}/{:?}, table has {:?}/{:?}",
                        w.name, w.partition_key, w.sort_key, h.partition_key, h.sort_key
                    ));
                }
                let covers = match (&w.projection, &h.projection) {
                    (_, Projection::All) => true,
                    (Projection::KeysOnly, _) => true,
                    (Projection::Include(a), Projection::Include(b)) => {
                        a.iter().all(|x| b.contains(x))
                    }
                    _ => false,
                };
                if !covers {
                    diff.push(format!(
                        "index `{}`: want projection {:?}, table has {:?}",
                        w.name, w.projection, h.projection
                    ));
                }
            }
        }
    }
    if want.ttl_attribute.is_some() && want.ttl_attribute != have.ttl_attribute {
        diff.push(format!(
            "TTL attribute: want {:?}, table has {:?}",
            want.ttl_attribute, have.ttl_attribute
        ));
    }
    diff
}

/// A set of models sharing one table: a single model or a tuple of up to 12.
pub trait ModelSet {
    /// The schemas of the models.
    fn schemas() -> Vec<&'static Schema>;
}

impl<M: Model> ModelSet for M {
    fn schemas() -> Vec<&'static Schema> {
        vec![M::schema()]
    }
}

macro_rules! model_set_tuple {
    ($($m:ident),+) => {
        impl<$($m: Model),+> ModelSet for ($($m,)+) {
            fn schemas() -> Vec<&'static Schema> {
                vec![$($m::schema()),+]
            }
        }
    };
}
model_set_tuple!(A);
model_set_tuple!(A, B);
model_set_tuple!(A, B, C);
model_set_tuple!(A, B, C, D);
model_set_tuple!(A, B, C, D, E);
model_set_tuple!(A, B, C, D, E, F);
model_set_tuple!(A, B, C, D, E, F, G);
model_set_tuple!(A, B, C, D, E, F, G, H);
model_set_tuple!(A, B, C, D, E, F, G, H, I);
model_set_tuple!(A, B, C, D, E, F, G, H, I, J);
model_set_tuple!(A, B, C, D, E, F, G, H, I, J, K);
model_set_tuple!(A, B, C, D, E, F, G, H, I, J, K, L);
