//! The [`Table`] handle: one DynamoDB table on one backend, with its settings
//! ([`TableConfig`]) and its stored layout ([`Layout`]: how models become items and back).
//!
//! # Where things are
//!
//! | what | where |
//! |---|---|
//! | the handle: construction, configuration, creating, deleting and verifying the table | `table/mod.rs` (here) |
//! | the settings ([`TableConfig`], [`BatchConfig`]) | `table/config.rs` |
//! | the stored layout: key items, model <-> item codec, upgrades, entity and schema checks ([`Layout`]) | `table/layout.rs` |
//! | the table definition the models need ([`ModelSet`]) | `table/definition.rs`; how a live table differs: [`TableDefinition::differences`] |
//! | adding the indexes the models declare to a live table ([`Table::sync_indexes`]) | `index_sync.rs` (above `table` and `migrate`) |
//! | single-item operations (`create`, `save`, `get`, `find`, `delete`...) | [`crud`](crate::crud) |
//! | batches (`batch_put`, `batch_get`...) | [`batch`](crate::batch) |
//! | transactions (`transaction`, `transact_get`) | [`transaction`](crate::transaction) |
//!
//! Each model operation is documented once, on its `Table` method;
//! [`ModelExt`](crate::ModelExt) (`todo.create(&table)`) forwards to it. The operations share
//! only the layout and the write rules of `write.rs`; none reaches into another's internals.

mod config;
mod definition;
mod layout;

pub use config::{BatchConfig, TableConfig};
pub use definition::ModelSet;
pub use layout::Layout;

use crate::backend::{Backend, Capabilities, TableDefinition};
use crate::capacity::{CapacityMeter, CapacityMode, CapacityRecorder};
use crate::error::{Error, Result};
use std::fmt;
use std::sync::Arc;

struct Inner {
    backend: Arc<dyn Backend>,
    name: String,
    layout: Layout,
    capabilities: Capabilities,
    meter: Arc<CapacityMeter>,
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
            .field("config", self.config())
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
        let meter = Arc::new(CapacityMeter::new());
        Table::on_shared(Arc::new(backend), name.into(), config, meter)
    }

    /// A table on a backend already behind an `Arc<dyn Backend>` (kept as it is, not wrapped
    /// again), totalling capacity in `meter`.
    fn on_shared(
        backend: Arc<dyn Backend>,
        name: String,
        config: TableConfig,
        meter: Arc<CapacityMeter>,
    ) -> Table {
        let capabilities = backend.capabilities();
        let layout = Layout::new(config, &capabilities.limits);
        Table {
            inner: Arc::new(Inner {
                backend,
                name,
                layout,
                capabilities,
                meter,
            }),
        }
    }

    /// The same table and backend with a changed configuration (and the same capacity meter).
    pub fn reconfigure(&self, change: impl FnOnce(&mut TableConfig)) -> Table {
        let mut config = self.config().clone();
        change(&mut config);
        Table::on_shared(
            self.inner.backend.clone(),
            self.inner.name.clone(),
            config,
            self.inner.meter.clone(),
        )
    }

    /// The same table with a [capacity meter](Table::capacity) of its own, asking for the
    /// consumed capacity of every request (in the table's mode, `TOTAL` if it has none): the
    /// capacity of the calls made through it, apart from every other call.
    pub fn metered(&self) -> Table {
        let mut config = self.config().clone();
        config.capacity.get_or_insert(CapacityMode::Total);
        Table::on_shared(
            self.inner.backend.clone(),
            self.inner.name.clone(),
            config,
            Arc::new(CapacityMeter::new()),
        )
    }

    /// The capacity consumed through this table (and the handles made from it by
    /// [`Table::reconfigure`]), by operation, entity and index; empty unless
    /// [`TableConfig::capacity`] is set (or the handle is [`Table::metered`]).
    pub fn capacity(&self) -> &CapacityMeter {
        &self.inner.meter
    }

    /// The recorder for a request of `operation` for `entity` (and `index`), when the table
    /// asks for capacity. In line, so that with capacity off (the default) a request pays one
    /// test of the setting in its caller, and no call.
    #[inline(always)]
    pub(crate) fn recorder(
        &self,
        operation: &'static str,
        entity: Option<&'static str>,
        index: Option<&str>,
    ) -> Option<CapacityRecorder> {
        let mode = self.config().capacity?;
        Some(self.inner.meter.recorder(mode, operation, entity, index))
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
        self.inner.layout.config()
    }

    /// The stored layout: how models become items of this table and back (key items, the
    /// model <-> item codec with its entity and schema-version checks).
    pub fn layout(&self) -> &Layout {
        &self.inner.layout
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
        definition::definition_for(&self.inner.name, self.config(), &S::schemas())
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
        let diff = want.differences(&have);
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
}
