//! The migration runner: rewrites every item of an entity at the model's current schema
//! version, with the keys and index keys its templates give today.
//!
//! [`Migration`] scans the table (in parallel segments), decodes each item of the entity the way
//! every read does (upgrading older schema versions through [`Model::upgrade`]), re-encodes it,
//! and writes it back where the stored item differs:
//!
//! - **Same key**: one UpdateItem that SETs and REMOVEs only what differs.
//! - **New key** (a changed key template): a transaction that puts the new item (if its key is
//!   free) and deletes the old one, so the item is never lost nor stored twice.
//!
//! Every write is conditional on the item being as it was read: its entity, its schema version,
//! its `#[model(version)]` (for versioned models) or else every attribute it had. A concurrent
//! update makes the condition fail; the runner re-reads the item and migrates what it finds now,
//! so the concurrent update is never overwritten ([`Progress::conflicts`] counts these).
//! Attributes the model does not know are carried over (the upgrade function may remove them).
//!
//! The position of each segment is stored in the table itself after every page, as an item of
//! the entity `__orm_migration` (invisible to every model's reads). A run that stops (a crash,
//! a killed process, a dropped future) resumes from there when started again with the same
//! name; items of the page in flight are read again and, being migrated already, left alone.
//! The checkpoint items are deleted when every segment is done.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use orm_core::migrate::Migration;
//! use orm_core::{Item, Model, ModelExt, Result, Table};
//! use orm_memory::MemoryBackend;
//! use serde::{Deserialize, Serialize};
//!
//! // Version 1, as deployed before: `title`, keyed by id alone.
//! #[derive(Model, Serialize, Deserialize)]
//! #[model(entity = "Note", pk = "NOTE#{id}", sk = "NOTE")]
//! struct NoteV1 { id: u32, title: String }
//!
//! // Version 2: `title` is now `subject`, and notes live under their owner.
//! #[derive(Model, Serialize, Deserialize, Debug, PartialEq)]
//! #[model(entity = "Note", pk = "OWNER#{owner}", sk = "NOTE#{id}",
//!         schema_version = 2, upgrade = upgrade)]
//! struct Note { id: u32, owner: String, subject: String }
//!
//! fn upgrade(mut item: Item, from: u32) -> Result<Item> {
//!     if from == 1 {
//!         let title = item.remove("title").unwrap_or_else(|| "".into());
//!         item.insert("subject".into(), title);
//!         item.insert("owner".into(), "nobody".into());
//!     }
//!     Ok(item)
//! }
//!
//! let table = Table::new(MemoryBackend::new(), "app");
//! table.create_table::<Note>().await?;
//! for id in 0..10 {
//!     NoteV1 { id, title: format!("note {id}") }.create(&table).await?;
//! }
//! let dry = Migration::<Note>::new(&table).dry_run().run().await?;
//! assert_eq!(dry.changed, 10);
//! let done = Migration::<Note>::new(&table).segments(2).run().await?;
//! assert_eq!(done.changed, 10);
//! let note = Note::get(&table, Note::key("nobody", 3u32)).await?;
//! assert_eq!(note.subject, "note 3");
//! # Ok::<(), orm_core::Error>(()) }).unwrap();
//! ```

use crate::backend::{
    DeleteItem, GetItem, PutItem, RawItem, ScanRequest, TransactWrite, TransactWriteAction,
    UpdateItem,
};
use crate::capacity::{CapacityLimit, CapacityRecorder};
use crate::error::{CancellationCode, Error, Result};
use crate::expr::{Condition, Path, Update};
use crate::model::Model;
use crate::serde_bridge::from_item;
use crate::table::Table;
use crate::value::{Item, Value};
use crate::write::{self, WriteRules};
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The entity name of the checkpoint items a migration stores in the table.
pub const CHECKPOINT_ENTITY: &str = "__orm_migration";

/// Counts of a migration run, as reported to [`Migration::on_progress`] after every page and
/// returned by [`Migration::run`]. They count this run only (a resumed run starts from zero).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Items of the entity read.
    pub scanned: u64,
    /// Items rewritten (in a dry run: items that would be).
    pub changed: u64,
    /// Items already at the current version with the current keys. An item moved to a new
    /// key may be read again there, later in the scan, and is then counted here too.
    pub unchanged: u64,
    /// Writes whose condition failed because another writer changed the item after it was
    /// read; each such item was read again and migrated from what it held then.
    pub conflicts: u64,
    /// Items left where they are because their new key holds another item already (reported,
    /// never overwritten: look at both items).
    pub blocked: u64,
    /// Segments finished.
    pub segments_done: u32,
    /// Segments in all.
    pub segments: u32,
    /// Whether this run continued from a stored checkpoint.
    pub resumed: bool,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
}

type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// A migration of every item of the model `M` to its current schema version and key templates;
/// see the [module documentation](self).
pub struct Migration<M> {
    table: Table,
    name: String,
    segments: u32,
    page_size: u32,
    items_per_second: Option<u32>,
    capacity_limit: Option<CapacityLimit>,
    dry_run: bool,
    max_attempts: u32,
    progress: Option<ProgressFn>,
    _model: PhantomData<fn() -> M>,
}

impl<M> fmt::Debug for Migration<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migration")
            .field("table", &self.table.name())
            .field("name", &self.name)
            .field("segments", &self.segments)
            .field("page_size", &self.page_size)
            .field("items_per_second", &self.items_per_second)
            .field("capacity_limit", &self.capacity_limit)
            .field("dry_run", &self.dry_run)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// What one item's migration did.
enum Outcome {
    Unchanged,
    Changed,
    Blocked,
}

/// Paces writes to at most `per_second` items per second, across all segments.
struct RateLimiter {
    interval: Duration,
    next: Mutex<tokio::time::Instant>,
}

impl RateLimiter {
    fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: Mutex::new(tokio::time::Instant::now()),
        }
    }

    async fn acquire(&self) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let at = (*next).max(tokio::time::Instant::now());
            *next = at + self.interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// Where one segment stands.
#[derive(Debug, Clone, PartialEq)]
enum Position {
    Start,
    After(Item),
    Done,
}

impl<M: Model> Migration<M> {
    /// A migration of `M`'s items in `table`: one segment, pages of 100 items, no rate limit,
    /// named `{entity}@v{schema_version}`.
    pub fn new(table: &Table) -> Migration<M> {
        let schema = M::schema();
        Migration {
            table: table.clone(),
            name: format!("{}@v{}", schema.entity, schema.schema_version),
            segments: 1,
            page_size: 100,
            items_per_second: None,
            capacity_limit: None,
            dry_run: false,
            max_attempts: 10,
            progress: None,
            _model: PhantomData,
        }
    }

    /// The name the checkpoint is stored under: a run resumes the checkpoint of its name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Scans in `n` parallel segments (1 to 1,000,000; DynamoDB's limit).
    pub fn segments(mut self, n: u32) -> Self {
        self.segments = n;
        self
    }

    /// Items read per scan page (DynamoDB's `Limit`); a checkpoint is stored after each page.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n;
        self
    }

    /// At most `items_per_second` items read and written per second, over all segments.
    pub fn rate_limit(mut self, items_per_second: u32) -> Self {
        self.items_per_second = Some(items_per_second);
        self
    }

    /// At most `units_per_second` capacity units (reads and writes together) per second, over
    /// all segments (PynamoDB's `rate_limit`): every scan page and write reports its consumed
    /// capacity ([`crate::capacity`]) and the runner waits until the units so far fit the
    /// rate. Works with [`Migration::rate_limit`] (both apply).
    pub fn capacity_limit(mut self, units_per_second: f64) -> Self {
        self.capacity_limit = Some(CapacityLimit::new(units_per_second));
        self
    }

    /// Counts what would change without writing anything (checkpoints included).
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// Attempts per item when writes keep conflicting with other writers (default 10).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Calls `callback` with the counts so far after every page of every segment.
    pub fn on_progress(mut self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// Runs (or resumes) the migration to the end and returns its counts.
    ///
    /// Errors: [`Error::Validation`] for a bad setting or a checkpoint stored with another
    /// number of segments; [`Error::SchemaVersion`] for an item newer than the model; the
    /// error of an item whose upgrade or decoding fails (the checkpoint keeps the position, so
    /// a run after the fix resumes there); backend errors after retries.
    #[tracing::instrument(level = "info", name = "orm.migrate", skip_all, fields(aws.dynamodb.table_names = %self.table.name(), orm.entity = M::schema().entity, orm.migration = %self.name))]
    pub async fn run(self) -> Result<Progress> {
        if self.segments == 0 || self.segments > 1_000_000 {
            return Err(Error::validation(format!(
                "migration `{}`: segments must be 1 to 1000000, got {}",
                self.name, self.segments
            )));
        }
        if self.page_size == 0 {
            return Err(Error::validation(format!(
                "migration `{}`: page_size must be at least 1",
                self.name
            )));
        }
        if let Some(limit) = &self.capacity_limit {
            let rate = limit.per_second();
            if rate.is_nan() || rate <= 0.0 {
                return Err(Error::validation(format!(
                    "migration `{}`: capacity_limit must be above 0 units per second, got {rate}",
                    self.name
                )));
            }
        }
        if self.items_per_second == Some(0) {
            return Err(Error::validation(format!(
                "migration `{}`: rate_limit must be at least 1 item per second",
                self.name
            )));
        }
        if self.segments > 1 && !self.table.capabilities().parallel_scan {
            return Err(Error::validation(format!(
                "migration `{}`: this backend has no parallel scans; use segments(1)",
                self.name
            )));
        }
        let positions = if self.dry_run {
            vec![Position::Start; self.segments as usize]
        } else {
            self.load_checkpoints().await?
        };
        let progress = Mutex::new(Progress {
            segments: self.segments,
            segments_done: positions.iter().filter(|p| **p == Position::Done).count() as u32,
            resumed: positions.iter().any(|p| *p != Position::Start),
            dry_run: self.dry_run,
            ..Progress::default()
        });
        let limiter = self.items_per_second.map(RateLimiter::new);
        let runs = positions
            .into_iter()
            .enumerate()
            .map(|(segment, position)| {
                self.run_segment(segment as u32, position, &progress, limiter.as_ref())
            });
        futures::future::try_join_all(runs).await?;
        if !self.dry_run {
            self.delete_checkpoints().await?;
        }
        Ok(progress.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    /// Deletes the stored checkpoint, so that the next run starts from the beginning.
    pub async fn reset(&self) -> Result<()> {
        self.delete_checkpoints().await
    }

    async fn run_segment(
        &self,
        segment: u32,
        mut position: Position,
        progress: &Mutex<Progress>,
        limiter: Option<&RateLimiter>,
    ) -> Result<()> {
        while position != Position::Done {
            let request = ScanRequest::new(self.table.name())
                .with_filter(WriteRules::<M>::of(self.table.layout()).of_entity())
                .with_limit(self.page_size)
                .with_exclusive_start_key(match &position {
                    Position::After(key) => Some(key.clone()),
                    _ => None,
                })
                .with_consistent(true)
                .with_segment((self.segments > 1).then_some((segment, self.segments)))
                .with_capacity(self.recorder("Scan"));
            let page = self
                .with_retries(|| self.table.backend().scan(&request))
                .await?
                .sorted()?;
            self.settle().await;
            let mut counts = Progress::default();
            for item in page.items {
                if let Some(limiter) = limiter {
                    limiter.acquire().await;
                }
                counts.scanned += 1;
                match self.migrate_item(item, &mut counts).await? {
                    Outcome::Unchanged => counts.unchanged += 1,
                    Outcome::Changed => counts.changed += 1,
                    Outcome::Blocked => counts.blocked += 1,
                }
            }
            position = match page.last_evaluated_key {
                Some(key) => Position::After(key),
                None => Position::Done,
            };
            if !self.dry_run {
                self.store_checkpoint(segment, &position).await?;
            }
            let snapshot = {
                let mut total = progress.lock().unwrap_or_else(|e| e.into_inner());
                total.scanned += counts.scanned;
                total.changed += counts.changed;
                total.unchanged += counts.unchanged;
                total.conflicts += counts.conflicts;
                total.blocked += counts.blocked;
                if position == Position::Done {
                    total.segments_done += 1;
                }
                total.clone()
            };
            if let Some(callback) = &self.progress {
                callback(&snapshot);
            }
        }
        Ok(())
    }

    /// Migrates one stored item, re-reading it after each conflicting concurrent write.
    async fn migrate_item(&self, mut stored: Item, counts: &mut Progress) -> Result<Outcome> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let target = self.target_item(&stored)?;
            if target == stored {
                return Ok(Outcome::Unchanged);
            }
            if self.dry_run {
                return Ok(Outcome::Changed);
            }
            match self.write(&stored, target).await {
                Ok(outcome) => return Ok(outcome),
                Err(Conflict::Changed) if attempt < self.max_attempts => {
                    counts.conflicts += 1;
                    match self.reread(&stored).await? {
                        Some(now) => stored = now,
                        // Deleted meanwhile: nothing left to migrate.
                        None => return Ok(Outcome::Unchanged),
                    }
                }
                Err(Conflict::Changed) => {
                    return Err(Error::validation(format!(
                        "migration `{}`: {} item {} kept changing; gave up after {} attempts",
                        self.name,
                        M::schema().entity,
                        self.table.config().describe_key(&stored),
                        self.max_attempts
                    )))
                }
                Err(Conflict::Other(e)) => return Err(e),
            }
        }
    }

    /// The item `stored` becomes: its attributes upgraded to the current schema version, the
    /// model's attributes and the layout (keys, index keys, entity, schema version) as the
    /// model writes them today, and the attributes the model does not know carried over.
    fn target_item(&self, stored: &Item) -> Result<Item> {
        let schema = M::schema();
        let mut fields = self.table.layout().upgraded_fields::<M>(stored.clone())?;
        let model: M = from_item(fields.clone())?;
        let written = self.table.layout().to_stored_item(&model)?;
        for field in schema.fields {
            if !written.contains_key(field.attribute) {
                fields.remove(field.attribute);
            }
        }
        fields.extend(written.0);
        Ok(fields)
    }

    /// The condition that `stored` is still what the table holds.
    fn unchanged(&self, stored: &Item, written: &[&String]) -> Condition {
        let schema = M::schema();
        let config = self.table.config();
        let entity = WriteRules::<M>::of(self.table.layout()).of_entity();
        let same = |name: &str| write::unchanged(Path::name(name), stored.get(name));
        // A versioned item changes its version on every ORM write: the version, the schema
        // version and what this write touches say it is unchanged. Otherwise every attribute.
        let checked: Vec<&str> = match schema.version {
            Some(v) => [v, config.schema_attribute.as_str()]
                .into_iter()
                .chain(written.iter().map(|n| n.as_str()))
                .collect(),
            None => stored
                .keys()
                .map(String::as_str)
                .chain(written.iter().map(|n| n.as_str()))
                .chain([config.schema_attribute.as_str()])
                .collect(),
        };
        let mut seen = std::collections::BTreeSet::new();
        checked
            .into_iter()
            .filter(|name| {
                *name != config.entity_attribute
                    && *name != config.partition_key
                    && *name != config.sort_key
                    && seen.insert(*name)
            })
            .fold(entity, |condition, name| condition.and(same(name)))
    }

    async fn write(&self, stored: &Item, target: Item) -> Result<Outcome, Conflict> {
        let config = self.table.config();
        let (old_key, new_key) = (config.key_of(stored), config.key_of(&target));
        if old_key == new_key {
            let mut update = Update::new();
            let mut written = Vec::new();
            for (name, value) in target.iter() {
                if old_key.contains_key(name) || stored.get(name) == Some(value) {
                    continue;
                }
                update = update.set(Path::name(name.clone()), value.clone());
                written.push(name);
            }
            for name in stored.keys() {
                if !target.contains_key(name) {
                    update = update.remove(Path::name(name.clone()));
                    written.push(name);
                }
            }
            let request = UpdateItem::new(self.table.name(), old_key, update)
                .with_condition(self.unchanged(stored, &written))
                .with_capacity(self.recorder("UpdateItem"));
            let written = self
                .with_retries(|| self.table.backend().update_item(&request))
                .await;
            self.settle().await;
            return match written {
                Ok(_) => Ok(Outcome::Changed),
                Err(Error::ConditionFailed { .. }) => Err(Conflict::Changed),
                Err(e) => Err(Conflict::Other(e)),
            };
        }
        if !self.table.capabilities().transactions {
            return Err(Conflict::Other(Error::validation(format!(
                "migration `{}`: {} keys changed, and moving items without losing or \
                 duplicating one needs transactions, which this backend lacks",
                self.name,
                M::schema().entity
            ))));
        }
        self.table
            .layout()
            .check_item_size(M::schema().entity, &target)
            .map_err(Conflict::Other)?;
        let request = TransactWrite::new(vec![
            TransactWriteAction::Put(
                PutItem::new(self.table.name(), target)
                    .with_condition(write::absent(self.table.layout())),
            ),
            TransactWriteAction::Delete(
                DeleteItem::new(self.table.name(), old_key)
                    .with_condition(self.unchanged(stored, &[])),
            ),
        ])
        .with_capacity(self.recorder("TransactWriteItems"));
        let written = self
            .with_retries(|| self.table.backend().transact_write(&request))
            .await;
        self.settle().await;
        match written {
            Ok(()) => Ok(Outcome::Changed),
            Err(Error::TransactionCanceled { reasons }) => {
                let failed = |i: usize| {
                    reasons
                        .get(i)
                        .is_some_and(|r| r.code == CancellationCode::ConditionalCheckFailed)
                };
                if failed(1) {
                    Err(Conflict::Changed)
                } else if failed(0) {
                    tracing::warn!(
                        migration = %self.name,
                        old = %config.describe_key(stored),
                        "the new key of the item holds another item already; left both alone"
                    );
                    Ok(Outcome::Blocked)
                } else {
                    Err(Conflict::Other(Error::TransactionCanceled { reasons }))
                }
            }
            Err(e) => Err(Conflict::Other(e)),
        }
    }

    /// The item at `stored`'s key now (strongly consistent), if it is still of entity `M`.
    async fn reread(&self, stored: &Item) -> Result<Option<Item>> {
        let config = self.table.config();
        let request = GetItem::new(self.table.name(), config.key_of(stored))
            .with_consistent(true)
            .with_capacity(self.recorder("GetItem"));
        let item = self
            .with_retries(|| self.table.backend().get_item(&request))
            .await?
            .map(RawItem::into_item)
            .transpose()?;
        self.settle().await;
        Ok(item.filter(|i| self.table.layout().is_entity::<M>(i)))
    }

    /// The capacity recorder of a request of `operation`: the table's meter and the capacity
    /// limit, as set.
    fn recorder(&self, operation: &'static str) -> Option<CapacityRecorder> {
        let meter = self
            .table
            .recorder(operation, Some(M::schema().entity), None);
        let limit = self.capacity_limit.as_ref().map(CapacityLimit::recorder);
        match (meter, limit) {
            (Some(m), Some(l)) => Some(m.and(l)),
            (m, l) => m.or(l),
        }
    }

    /// Waits as the capacity limit says, if there is one.
    async fn settle(&self) {
        if let Some(limit) = &self.capacity_limit {
            limit.settle().await;
        }
    }

    /// Runs `call` again after retryable errors (throttling), with the table's batch backoff.
    async fn with_retries<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let batch = &self.table.config().batch;
        let mut attempt = 0;
        loop {
            match call().await {
                Err(e) if e.is_retryable() && attempt + 1 < batch.max_attempts => {
                    attempt += 1;
                    tokio::time::sleep(batch.backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    fn checkpoint_key(&self, segment: u32) -> Item {
        let config = self.table.config();
        let base = format!("{CHECKPOINT_ENTITY}#{}", self.name);
        let segment = format!("SEGMENT#{segment:07}");
        if M::schema().has_sort_key {
            Item::new()
                .with(config.partition_key.clone(), base)
                .with(config.sort_key.clone(), segment)
        } else {
            Item::new().with(config.partition_key.clone(), format!("{base}#{segment}"))
        }
    }

    async fn load_checkpoint(&self, segment: u32) -> Result<Option<Item>> {
        let request =
            GetItem::new(self.table.name(), self.checkpoint_key(segment)).with_consistent(true);
        let item = self
            .with_retries(|| self.table.backend().get_item(&request))
            .await?;
        item.map(RawItem::into_item).transpose()
    }

    /// The number of segments a stored checkpoint item was written by.
    fn stored_segments(item: &Item) -> Option<u32> {
        item.get("segments")
            .and_then(Value::as_n)
            .and_then(|n| u32::try_from(n).ok())
    }

    async fn load_checkpoints(&self) -> Result<Vec<Position>> {
        let mut positions = Vec::with_capacity(self.segments as usize);
        for segment in 0..self.segments {
            let Some(item) = self.load_checkpoint(segment).await? else {
                positions.push(Position::Start);
                continue;
            };
            if Self::stored_segments(&item) != Some(self.segments) {
                return Err(Error::validation(format!(
                    "migration `{}` has a checkpoint stored by a run with {} segments; resume \
                     with the same number of segments, or reset() the migration to start over",
                    self.name,
                    item.get("segments").map_or("?".into(), Value::to_string)
                )));
            }
            positions.push(match item.get("position") {
                Some(Value::M(key)) => Position::After(Item(key.clone())),
                Some(Value::S(done)) if done == "done" => Position::Done,
                _ => Position::Start,
            });
        }
        Ok(positions)
    }

    async fn store_checkpoint(&self, segment: u32, position: &Position) -> Result<()> {
        let config = self.table.config();
        let mut item = self.checkpoint_key(segment);
        item.insert(config.entity_attribute.clone(), CHECKPOINT_ENTITY.into());
        item.insert("migration".into(), self.name.clone().into());
        item.insert("segments".into(), Value::from(self.segments));
        item.insert(
            "position".into(),
            match position {
                Position::After(key) => Value::M(key.0.clone()),
                Position::Done => "done".into(),
                Position::Start => "start".into(),
            },
        );
        let request = PutItem::new(self.table.name(), item);
        self.with_retries(|| self.table.backend().put_item(request.clone()))
            .await
            .map(|_| ())
    }

    async fn delete_checkpoints(&self) -> Result<()> {
        // Every run stores segment 0: it tells how many segments the checkpoint has.
        let stored = self
            .load_checkpoint(0)
            .await?
            .and_then(|item| Self::stored_segments(&item))
            .unwrap_or(0);
        for segment in 0..self.segments.max(stored) {
            let request =
                DeleteItem::new(self.table.name(), self.checkpoint_key(segment)).with_condition(
                    write::absent_or_entity(self.table.layout(), CHECKPOINT_ENTITY),
                );
            self.with_retries(|| self.table.backend().delete_item(&request))
                .await?;
        }
        Ok(())
    }
}

/// Why a migration write did not happen.
enum Conflict {
    /// The item changed since it was read.
    Changed,
    /// Anything else.
    Other(Error),
}
