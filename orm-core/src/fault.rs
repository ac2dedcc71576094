//! Fault injection: a [`Backend`] layer that makes any backend misbehave the way DynamoDB does
//! under load, deterministically from a seed, so retry paths run in unit tests.
//!
//! It leaves a fraction of batch entries unprocessed (`UnprocessedItems` / `UnprocessedKeys`),
//! throttles calls, and fails calls with transient (retryable) errors, before they reach the inner
//! backend, so a faulted call never half-happens.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use orm_core::fault::{FaultConfig, FaultInjection};
//! use orm_core::{Model, ModelExt, Table};
//! use orm_memory::MemoryBackend;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
//! #[model(entity = "Row", pk = "ROW#{id}", sk = "ROW")]
//! struct Row { id: u32 }
//!
//! let faulty = FaultInjection::new(
//!     MemoryBackend::new(),
//!     FaultConfig { unprocessed: 0.3, seed: 7, ..FaultConfig::default() },
//! );
//! // One chunk at a time, so that the seed alone decides the faults (see `FaultConfig::seed`).
//! let table = Table::new(faulty, "app").reconfigure(|c| c.batch.concurrency = 1);
//! table.create_table::<Row>().await?;
//! let rows: Vec<Row> = (0..500).map(|id| Row { id }).collect();
//! Row::batch_put(&table, &rows).await?;   // retried until all 500 are stored
//! let got = Row::batch_get(&table, (0..500u32).map(Row::key)).await?;
//! assert!(got.iter().all(Option::is_some));
//! # Ok::<(), orm_core::Error>(()) }).unwrap();
//! ```

use crate::backend::*;
use crate::error::{Error, Result};
use crate::value::Item;
use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What to inject, and how often (each a probability in `0.0..=1.0`).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Fraction of the entries of each batch request left unprocessed.
    pub unprocessed: f64,
    /// Probability that a call is throttled ([`Error::Throttled`]).
    pub throttle: f64,
    /// Probability that a call fails with a transient, retryable backend error.
    pub transient: f64,
    /// Whether throttling and transient faults also hit single-item calls and queries (not only
    /// batches).
    pub all_operations: bool,
    /// The seed: the same seed and the same sequence of calls give the same faults. A batch's
    /// chunks run concurrently (`BatchConfig::concurrency`), so their calls interleave
    /// differently from run to run: set `concurrency` to 1 where the faults must repeat.
    pub seed: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            unprocessed: 0.0,
            throttle: 0.0,
            transient: 0.0,
            all_operations: false,
            seed: 0,
        }
    }
}

/// Counts of what was injected.
#[derive(Debug, Default)]
pub struct FaultStats {
    /// Batch entries left unprocessed.
    pub unprocessed: AtomicU64,
    /// Calls throttled.
    pub throttled: AtomicU64,
    /// Calls failed with a transient error.
    pub transient: AtomicU64,
}

/// A backend wrapper that injects faults; see the module docs.
#[derive(Debug, Clone)]
pub struct FaultInjection {
    inner: Arc<dyn Backend>,
    config: Arc<Mutex<FaultConfig>>,
    rng: Arc<Mutex<StdRng>>,
    stats: Arc<FaultStats>,
}

/// The error a transient fault carries as its source.
#[derive(Debug, thiserror::Error)]
#[error("injected transient fault")]
pub struct InjectedFault;

impl FaultInjection {
    /// Wraps `inner` (any backend, also a shared `Arc<dyn Backend>`).
    pub fn new(inner: impl Backend, config: FaultConfig) -> FaultInjection {
        FaultInjection {
            inner: Arc::new(inner),
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(config.seed))),
            config: Arc::new(Mutex::new(config)),
            stats: Arc::new(FaultStats::default()),
        }
    }

    /// Changes what is injected from now on (e.g. to stop faults and check the data).
    pub fn set_config(&self, config: FaultConfig) {
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = config;
    }

    /// What was injected so far.
    pub fn stats(&self) -> &FaultStats {
        &self.stats
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &Arc<dyn Backend> {
        &self.inner
    }

    fn config(&self) -> FaultConfig {
        self.config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn roll(&self, p: f64) -> bool {
        p > 0.0
            && self
                .rng
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .gen_bool(p.min(1.0))
    }

    /// Maybe fails the call before it reaches the inner backend.
    fn call_fault(&self, operation: &str, batch: bool) -> Result<()> {
        let config = self.config();
        if !batch && !config.all_operations {
            return Ok(());
        }
        if self.roll(config.throttle) {
            self.stats.throttled.fetch_add(1, Ordering::Relaxed);
            return Err(Error::Throttled {
                message: format!("injected throttling of {operation}"),
            });
        }
        if self.roll(config.transient) {
            self.stats.transient.fetch_add(1, Ordering::Relaxed);
            return Err(Error::backend(operation, true, InjectedFault));
        }
        Ok(())
    }

    /// Splits entries into (sent, held back as unprocessed).
    fn split<T>(&self, entries: Vec<T>) -> (Vec<T>, Vec<T>) {
        let p = self.config().unprocessed;
        if p <= 0.0 {
            return (entries, Vec::new());
        }
        let (mut sent, mut held) = (Vec::new(), Vec::new());
        for e in entries {
            if self.roll(p) {
                held.push(e);
            } else {
                sent.push(e);
            }
        }
        self.stats
            .unprocessed
            .fetch_add(held.len() as u64, Ordering::Relaxed);
        (sent, held)
    }
}

#[async_trait]
impl BackendLayer for FaultInjection {
    type Inner = dyn Backend;

    fn inner(&self) -> &dyn Backend {
        &*self.inner
    }

    async fn get_item(&self, request: &GetItem) -> Result<Option<RawItem>> {
        self.call_fault("GetItem", false)?;
        self.inner.get_item(request).await
    }
    async fn put_item(&self, request: PutItem) -> Result<Option<Item>> {
        self.call_fault("PutItem", false)?;
        self.inner.put_item(request).await
    }
    async fn update_item(&self, request: &UpdateItem) -> Result<Option<Item>> {
        self.call_fault("UpdateItem", false)?;
        self.inner.update_item(request).await
    }
    async fn delete_item(&self, request: &DeleteItem) -> Result<Option<Item>> {
        self.call_fault("DeleteItem", false)?;
        self.inner.delete_item(request).await
    }
    async fn query(&self, request: &QueryRequest) -> Result<QueryOutput> {
        self.call_fault("Query", false)?;
        self.inner.query(request).await
    }
    async fn scan(&self, request: &ScanRequest) -> Result<QueryOutput> {
        self.call_fault("Scan", false)?;
        self.inner.scan(request).await
    }
    async fn batch_get(&self, request: &BatchGet) -> Result<BatchGetOutput> {
        self.call_fault("BatchGetItem", true)?;
        // The caller keeps its request: what goes on and what is held back are copies.
        let (sent, held) = self.split(request.keys.clone());
        if sent.is_empty() {
            return Ok(BatchGetOutput {
                items: Vec::new(),
                unprocessed_keys: held,
            });
        }
        let sent = BatchGet::new(request.table.clone(), sent)
            .with_consistent(request.consistent)
            .with_projection(request.projection.clone());
        let mut out = self.inner.batch_get(&sent).await?;
        out.unprocessed_keys.extend(held);
        Ok(out)
    }
    async fn batch_write(&self, request: BatchWrite) -> Result<BatchWriteOutput> {
        self.call_fault("BatchWriteItem", true)?;
        let BatchWrite {
            table,
            writes,
            capacity,
        } = request;
        let (sent, held) = self.split(writes);
        if sent.is_empty() {
            return Ok(BatchWriteOutput { unprocessed: held });
        }
        let sent = BatchWrite {
            table,
            writes: sent,
            capacity,
        };
        let mut out = self.inner.batch_write(sent).await?;
        out.unprocessed.extend(held);
        Ok(out)
    }
    async fn transact_get(&self, request: &TransactGet) -> Result<Vec<Option<RawItem>>> {
        self.call_fault("TransactGetItems", false)?;
        self.inner.transact_get(request).await
    }
    async fn transact_write(&self, request: &TransactWrite) -> Result<()> {
        self.call_fault("TransactWriteItems", false)?;
        self.inner.transact_write(request).await
    }
}
