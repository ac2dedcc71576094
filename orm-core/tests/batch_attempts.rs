//! The batch loop when an attempt fails: each request moves into the backend, so `batch_put`
//! sends a failed chunk again rebuilt from its models, and a write the loop gave up on is
//! listed exactly as stored.

use orm_core::backend::{async_trait, Backend, BackendLayer, BatchWrite, BatchWriteOutput};
use orm_core::error::Unprocessed;
use orm_core::{Error, Model, Result, Table};
use orm_memory::MemoryBackend;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Row", pk = "ROW#{id}", sk = "ROW")]
#[model(index(name = "gsi1", pk = "G#{group}", sk = "{id}"))]
struct Row {
    id: u32,
    group: String,
    note: Option<String>,
}

/// Fails the first `failures` batch writes with `error()`, then passes them on.
#[derive(Debug)]
struct FailFirst {
    inner: MemoryBackend,
    failures: usize,
    calls: Arc<AtomicUsize>,
    retryable: bool,
}

#[async_trait]
impl BackendLayer for FailFirst {
    type Inner = MemoryBackend;
    fn inner(&self) -> &MemoryBackend {
        &self.inner
    }
    async fn batch_write(&self, request: BatchWrite) -> Result<BatchWriteOutput> {
        if self.calls.fetch_add(1, Ordering::Relaxed) < self.failures {
            return Err(if self.retryable {
                Error::throttled("slow down")
            } else {
                Error::validation("refused")
            });
        }
        self.inner.batch_write(request).await
    }
}

fn rows(n: u32) -> Vec<Row> {
    (0..n)
        .map(|id| Row {
            id,
            group: format!("g{}", id % 3),
            note: (id % 2 == 0).then(|| "even".to_owned()),
        })
        .collect()
}

async fn table(failures: usize, retryable: bool) -> (Table, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let backend = FailFirst {
        inner: MemoryBackend::new(),
        failures,
        calls: calls.clone(),
        retryable,
    };
    let table = Table::new(backend, "rows").reconfigure(|c| {
        c.batch.base_delay = std::time::Duration::from_millis(1);
    });
    table.create_table::<Row>().await.unwrap();
    (table, calls)
}

/// Throttled first attempts: every chunk is sent again, rebuilt from the models, and every row
/// is stored as `save` would store it.
#[tokio::test]
async fn a_failed_chunk_is_rebuilt_from_its_models() {
    let (table, calls) = table(2, true).await;
    let rows = rows(40);
    table.batch_put(&rows).await.unwrap();
    assert_eq!(
        calls.load(Ordering::Relaxed),
        4,
        "two chunks, each failed once"
    );
    let got = table
        .batch_get::<Row, _>(rows.iter().map(|r| r.primary_key()))
        .await
        .unwrap();
    assert_eq!(got.into_iter().flatten().collect::<Vec<_>>(), rows);
}

/// A refused first attempt is not retried, and the error lists every write of the chunk as the
/// stored item it would have been.
#[tokio::test]
async fn a_refused_chunk_is_listed_whole() {
    let (table, calls) = table(1, false).await;
    let rows = rows(3);
    let err = table.batch_put(&rows).await.unwrap_err();
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    let Error::BatchIncomplete {
        unprocessed,
        total,
        last_error,
        ..
    } = err
    else {
        panic!("expected BatchIncomplete, got {err:?}");
    };
    assert_eq!(total, 3);
    assert!(last_error.unwrap().to_string().contains("refused"));
    let expected: Vec<Unprocessed> = rows
        .iter()
        .map(|r| Unprocessed::Put(table.layout().to_stored_item(r).unwrap()))
        .collect();
    assert_eq!(unprocessed, expected);
}
