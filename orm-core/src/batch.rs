//! Batch reads and writes that never lose an item: chunking, bounded concurrency, retries with
//! exponential backoff and full jitter, and a typed error listing exactly what was not done.
//!
//! - Writes go out in chunks of at most 25 requests and 16 MB; reads in chunks of at most 100 keys.
//! - Two writes to one key in one call are rejected up front (naming the key); duplicate keys in a
//!   read are asked once and answered at every position.
//! - `UnprocessedItems` / `UnprocessedKeys` and retryable errors (throttling, transient service
//!   errors) are retried with exponential backoff and full jitter, up to
//!   [`BatchConfig::max_attempts`] and [`BatchConfig::max_elapsed`] per chunk.
//! - Whatever is still not done comes back in [`Error::BatchIncomplete`], listing exactly those
//!   writes or keys; everything else was done.
//!
//! DynamoDB batch writes cannot be conditional. `batch_create` therefore checks first (one
//! consistent batch read of the keys) and writes only if none exists; an item written by someone
//! else between the check and the write would be overwritten. Where that race matters, create the
//! items in a transaction (`table.transaction()`), which is atomic and conditional per item
//! (up to 100 items).

use crate::backend::{BatchGet, BatchWrite, RawItem, WriteRequest};
use crate::error::{Error, Result, Unprocessed};
use crate::key::{IntoResult, Key};
use crate::model::Model;
pub use crate::table::BatchConfig;
use crate::table::Table;
use crate::unique;
use crate::value::{Item, Value};
use crate::write::{self, Stamp, Stamps};
use futures::stream::{self, StreamExt};
use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

/// A key's identity: its partition- and sort-key values, borrowed.
fn key_identity<'i>(
    config: &crate::table::TableConfig,
    item: &'i Item,
) -> (Option<&'i Value>, Option<&'i Value>) {
    (item.get(&config.partition_key), item.get(&config.sort_key))
}

/// The identity of the key a write writes (see [`key_identity`]).
fn write_identity<'w>(
    config: &crate::table::TableConfig,
    w: &'w WriteRequest,
) -> (Option<&'w Value>, Option<&'w Value>) {
    (w.get(&config.partition_key), w.get(&config.sort_key))
}

/// The positions `(earlier, later)` of the first write (by position) whose key an earlier write
/// writes too, or `None` when each key is written once. The keys are sorted with their
/// positions, which puts equal keys side by side: O(n log n) comparisons of borrowed values and
/// no hashing (nothing to hash for a batch's two dozen keys, and no input makes it quadratic).
fn first_repeated_key(
    config: &crate::table::TableConfig,
    writes: &[WriteRequest],
) -> Option<(usize, usize)> {
    fn order(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
        match (a, b) {
            (Some(a), Some(b)) => a.total_cmp(b),
            (a, b) => a.is_some().cmp(&b.is_some()),
        }
    }
    let same = |(a, b): (Option<&Value>, Option<&Value>),
                (c, d): (Option<&Value>, Option<&Value>)| {
        order(a, c).then_with(|| order(b, d))
    };
    let mut keys: Vec<_> = (writes.iter().enumerate())
        .map(|(i, w)| (write_identity(config, w), i))
        .collect();
    // Writes in ascending key order (as batches often are) have no repeat: one comparison each.
    if keys
        .windows(2)
        .all(|pair| same(pair[0].0, pair[1].0).is_lt())
    {
        return None;
    }
    // Positions are distinct: an unstable sort is exact.
    keys.sort_unstable_by(|(a, i), (b, j)| same(*a, *b).then(i.cmp(j)));
    // In a run of equal keys, the first two positions are the key's first repeat.
    keys.windows(2)
        .filter(|pair| same(pair[0].0, pair[1].0).is_eq())
        .map(|pair| (pair[0].1, pair[1].1))
        .min_by_key(|&(_, later)| later)
}

/// The primary key a write writes (for messages).
fn write_key(table: &Table, w: &WriteRequest) -> Item {
    let config = table.config();
    match w {
        WriteRequest::Delete(key) => key.clone(),
        WriteRequest::Put(_) | WriteRequest::PutEntries(_) => {
            let mut key = Item::new();
            for name in [&config.partition_key, &config.sort_key] {
                if let Some(v) = w.get(name) {
                    key.insert(name.clone(), v.clone());
                }
            }
            key
        }
    }
}

/// Outcome of one chunk after its retries.
struct ChunkOutcome<T> {
    not_done: Vec<T>,
    attempts: u32,
    error: Option<Error>,
    /// The chunk's writes could not be made again after an attempt consumed them (see
    /// [`Rebuild`]): what was done is unknown, so this error is the batch's.
    lost: Option<Error>,
}

/// Makes write `i` of a batch again, from what it was made of (`batch_put`'s models): the
/// backend consumes each request, so a chunk whose attempt failed is rebuilt this way instead
/// of every first attempt sending a copy.
type Rebuild<'a> = &'a (dyn Fn(usize) -> Result<WriteRequest> + Sync);

/// How an attempt's writes are had again if the attempt fails.
enum Resend<'a> {
    /// A copy kept before sending.
    Copy(Vec<WriteRequest>),
    /// Made again by the rebuild (only the first attempt's: the whole chunk, in order).
    Rebuild(Rebuild<'a>),
}

/// The retry policy's state for one chunk: attempts made and time spent.
struct Attempts<'c> {
    config: &'c BatchConfig,
    started: Instant,
    made: u32,
}

impl<'c> Attempts<'c> {
    fn new(config: &'c BatchConfig) -> Self {
        Attempts {
            config,
            started: Instant::now(),
            made: 0,
        }
    }

    /// Counts one more attempt of `entries` entries; the span to run it in.
    fn start(&mut self, entries: usize) -> tracing::Span {
        self.made += 1;
        tracing::debug_span!(
            "orm.batch_attempt",
            orm.attempt = i64::from(self.made),
            db.operation.batch.size = entries as i64
        )
    }

    /// After an attempt left `remaining` entries (`remaining > 0`), the delay before the next
    /// one, or `None` when the attempts or the time are used up.
    fn delay(&self, remaining: usize, error: Option<&Error>) -> Option<Duration> {
        let config = self.config;
        let delay = config.backoff(self.made);
        if self.made >= config.max_attempts || self.started.elapsed() + delay > config.max_elapsed {
            return None;
        }
        tracing::debug!(
            target: "orm_core::batch",
            attempt = self.made,
            remaining,
            attempts_left = config.max_attempts - self.made,
            delay_ms = delay.as_millis() as u64,
            retryable_error = error.map(|e| e.to_string()),
            "retrying unprocessed batch entries"
        );
        Some(delay)
    }

    fn outcome<T>(&self, not_done: Vec<T>, error: Option<Error>) -> ChunkOutcome<T> {
        ChunkOutcome {
            not_done,
            attempts: self.made,
            error,
            lost: None,
        }
    }
}

/// Runs `send` on `pending` until nothing is left or retries are exhausted. Each attempt sends
/// a copy, which is cheap for what this serves (batch reads: keys); writes go through
/// `Table::write_chunk`, which lends its request instead.
async fn retry_chunk<T, F, Fut>(
    config: &BatchConfig,
    mut pending: Vec<T>,
    send: F,
) -> ChunkOutcome<T>
where
    T: Clone,
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = Result<Vec<T>>>,
{
    let mut attempts = Attempts::new(config);
    loop {
        let span = attempts.start(pending.len());
        let (left, error) = match tracing::Instrument::instrument(send(pending.clone()), span).await
        {
            Ok(left) => (left, None),
            Err(e) if e.is_retryable() => (pending, Some(e)),
            Err(e) => return attempts.outcome(pending, Some(e)),
        };
        if left.is_empty() {
            return attempts.outcome(left, None);
        }
        match attempts.delay(left.len(), error.as_ref()) {
            Some(delay) => tokio::time::sleep(delay).await,
            None => return attempts.outcome(left, error),
        }
        pending = left;
    }
}

/// Folds chunk outcomes into `Ok` or [`Error::BatchIncomplete`].
fn finish<T>(
    outcomes: Vec<ChunkOutcome<T>>,
    total: usize,
    entry: impl Fn(T) -> Unprocessed,
) -> Result<()> {
    let mut unprocessed = Vec::new();
    let mut attempts = 0;
    let mut last_error = None;
    for o in outcomes {
        if let Some(e) = o.lost {
            return Err(e);
        }
        attempts = attempts.max(o.attempts);
        if let Some(e) = o.error {
            if !o.not_done.is_empty() {
                last_error = Some(e);
            }
        }
        unprocessed.extend(o.not_done.into_iter().map(&entry));
    }
    if unprocessed.is_empty() {
        Ok(())
    } else {
        Err(Error::BatchIncomplete {
            unprocessed,
            total,
            attempts,
            last_error: last_error.map(Box::new),
        })
    }
}

impl Table {
    /// Writes (puts and deletes, any entities) in chunks, retrying until done; see the module docs.
    ///
    /// Two writes to the same key are rejected before anything is sent.
    pub async fn batch_write_items(&self, writes: Vec<WriteRequest>) -> Result<()> {
        self.write_batch(writes, None).await
    }

    /// [`Table::batch_write_items`]; with `rebuild`, a chunk is sent without a copy kept of it
    /// and made again from `rebuild` if an attempt fails.
    #[tracing::instrument(level = "debug", name = "orm.batch_write", skip_all, fields(aws.dynamodb.table_names = %self.name(), db.operation.batch.size = writes.len() as i64))]
    async fn write_batch(
        &self,
        writes: Vec<WriteRequest>,
        rebuild: Option<Rebuild<'_>>,
    ) -> Result<()> {
        let limits = &self.capabilities().limits;
        let config = self.config();
        // Each item's size (checked, then reused to cut chunks) and a duplicate check on
        // borrowed key values, so nothing is cloned before sending. Of the two errors, the one
        // at the earlier write is given (the size first at the same write).
        let sizes: Vec<usize> = writes.iter().map(WriteRequest::size).collect();
        let max = self.layout().max_item_size();
        let oversized = (writes.iter().zip(&sizes))
            .position(|(w, &size)| !matches!(w, WriteRequest::Delete(_)) && size > max);
        let twice = first_repeated_key(config, &writes);
        if let Some(i) = oversized.filter(|&i| twice.is_none_or(|(_, second)| i <= second)) {
            let w = &writes[i];
            let entity = match w.get(&config.entity_attribute) {
                Some(Value::S(e)) => e.as_str(),
                _ => "item",
            };
            self.layout()
                .check_size(entity, &write_key(self, w), sizes[i])?;
        }
        if let Some((first, second)) = twice {
            return Err(Error::validation(format!(
                "batch writes {} twice (entries {first} and {second}); one write per key per batch",
                config.describe_key(&write_key(self, &writes[second]))
            )));
        }
        let total = writes.len();
        // Chunks are consecutive runs of the writes: each is its first write's position and
        // its writes.
        let mut chunks: Vec<(usize, Vec<WriteRequest>)> = Vec::new();
        let mut bytes = 0usize;
        for (i, (w, size)) in writes.into_iter().zip(sizes).enumerate() {
            let full = chunks.last().is_none_or(|(_, c)| {
                c.len() >= limits.max_batch_write || bytes + size > limits.max_batch_write_bytes
            });
            if full {
                let room = (total - i).min(limits.max_batch_write.max(1));
                chunks.push((i, Vec::with_capacity(room)));
                bytes = 0;
            }
            bytes += size;
            if let Some((_, c)) = chunks.last_mut() {
                c.push(w);
            }
        }
        let outcomes: Vec<_> = stream::iter(chunks)
            .map(|(first, chunk)| self.write_chunk(first, chunk, rebuild))
            .buffer_unordered(config.batch.concurrency.max(1))
            .collect()
            .await;
        finish(outcomes, total, |write| match write {
            WriteRequest::Put(item) => Unprocessed::Put(item),
            WriteRequest::PutEntries(entries) => Unprocessed::Put(Item::from_unsorted(entries)),
            WriteRequest::Delete(key) => Unprocessed::Delete(key),
        })
    }

    /// Sends one chunk of writes (the batch's writes from position `first` on) until all are
    /// processed or the retries are used up. Each request moves into the backend, so what an
    /// attempt that fails has sent must be had again: the first attempt of a chunk that
    /// `rebuild` can make again is sent as it is (the common case costs no copy), any other
    /// attempt keeps a copy of what it sends. After a partial success only the unprocessed
    /// writes the backend returned are sent again.
    async fn write_chunk(
        &self,
        first: usize,
        writes: Vec<WriteRequest>,
        rebuild: Option<Rebuild<'_>>,
    ) -> ChunkOutcome<WriteRequest> {
        let count = writes.len();
        let mut pending = writes;
        let mut attempts = Attempts::new(&self.config().batch);
        loop {
            let span = attempts.start(pending.len());
            let resend = match rebuild {
                Some(rebuild) if attempts.made == 1 => Resend::Rebuild(rebuild),
                _ => Resend::Copy(pending.clone()),
            };
            let request = BatchWrite::new(self.name(), pending).with_capacity(self.recorder(
                "BatchWriteItem",
                None,
                None,
            ));
            let sent = tracing::Instrument::instrument(self.backend().batch_write(request), span);
            let (left, error) = match sent.await {
                Ok(out) => (out.unprocessed, None),
                Err(e) => {
                    let again = match resend {
                        Resend::Copy(kept) => kept,
                        Resend::Rebuild(rebuild) => {
                            match (first..first + count).map(rebuild).collect() {
                                Ok(again) => again,
                                Err(lost) => {
                                    let mut outcome = attempts.outcome(Vec::new(), Some(e));
                                    outcome.lost = Some(lost);
                                    return outcome;
                                }
                            }
                        }
                    };
                    if !e.is_retryable() {
                        return attempts.outcome(again, Some(e));
                    }
                    (again, Some(e))
                }
            };
            pending = left;
            if pending.is_empty() {
                return attempts.outcome(pending, None);
            }
            match attempts.delay(pending.len(), error.as_ref()) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return attempts.outcome(pending, error),
            }
        }
    }

    /// Reads items by key (any entities) in chunks, retrying until done. The answer has one entry
    /// per key asked, in order; duplicate keys are asked once and answered at every position.
    #[tracing::instrument(level = "debug", name = "orm.batch_get_items", skip_all, fields(aws.dynamodb.table_names = %self.name(), db.operation.batch.size = keys.len() as i64))]
    pub async fn batch_get_items(&self, keys: Vec<Item>) -> Result<Vec<Option<RawItem>>> {
        let limits = &self.capabilities().limits;
        let table_config = self.config();
        let mut index: HashMap<(Option<&Value>, Option<&Value>), usize> =
            HashMap::with_capacity(keys.len());
        let mut distinct: Vec<&Item> = Vec::new();
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| {
                *index
                    .entry(key_identity(table_config, k))
                    .or_insert_with(|| {
                        distinct.push(k);
                        distinct.len() - 1
                    })
            })
            .collect();
        let total = distinct.len();
        let config = &table_config.batch;
        let consistent = table_config.consistent_reads;
        // The item found for each distinct key, filled in as chunks answer.
        let found = std::sync::Mutex::new(vec![None::<RawItem>; total]);
        let chunks: Vec<Vec<Item>> = distinct
            .chunks(limits.max_batch_get.max(1))
            .map(|c| c.iter().map(|k| (*k).clone()).collect())
            .collect();
        let index = &index;
        let outcomes: Vec<_> = stream::iter(chunks)
            .map(|chunk| {
                let found = &found;
                retry_chunk(config, chunk, move |keys| async move {
                    let out = self
                        .backend()
                        .batch_get(
                            &BatchGet::new(self.name(), keys)
                                .with_consistent(consistent)
                                .with_capacity(self.recorder("BatchGetItem", None, None)),
                        )
                        .await?;
                    let mut found = found.lock().unwrap_or_else(|p| p.into_inner());
                    for item in out.items {
                        let (pk, sk) = (
                            item.get(&table_config.partition_key)?,
                            item.get(&table_config.sort_key)?,
                        );
                        let d = index.get(&(pk.as_deref(), sk.as_deref())).copied();
                        if let Some(d) = d {
                            found[d] = Some(item);
                        }
                    }
                    Ok(out.unprocessed_keys)
                })
            })
            .buffer_unordered(config.concurrency.max(1))
            .collect()
            .await;
        finish(outcomes, total, Unprocessed::Get)?;
        let mut found = found.into_inner().unwrap_or_else(|p| p.into_inner());
        // Each found item moves to its last position and is copied only to earlier duplicates.
        let mut remaining = vec![0usize; total];
        for &d in &positions {
            remaining[d] += 1;
        }
        Ok(positions
            .into_iter()
            .map(|d| {
                remaining[d] -= 1;
                if remaining[d] == 0 {
                    found[d].take()
                } else {
                    found[d].clone()
                }
            })
            .collect())
    }

    /// Stores many new models, with version 1 and `created_at` / `updated_at` set to now, in
    /// the models too (as [`Table::create`] does), so each equals what a read gives back.
    /// Checks first that none of the keys is taken (one consistent batch read), then writes them
    /// in batches; see the module docs for the race this leaves and the transactional
    /// alternative. [`Error::AlreadyExists`] names the first taken key (nothing was written).
    #[tracing::instrument(level = "debug", name = "orm.batch_create", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity, db.operation.batch.size = models.len() as i64))]
    pub async fn batch_create<M: Model>(&self, models: &mut [M]) -> Result<()> {
        unique::refuse_batch::<M>("batch_create")?;
        let stamps = Stamps::at::<M>(std::time::SystemTime::now())?;
        let mut items = Vec::with_capacity(models.len());
        for m in models.iter_mut() {
            stamps.set_on(m, Stamp::Create)?;
            let mut item = self.layout().to_stored_item(m)?;
            write::stamp::<M>(&mut item, Stamp::Create, &stamps)?;
            items.push(item);
        }
        let keys: Vec<Item> = items.iter().map(|i| self.config().key_of(i)).collect();
        let consistent = self.reconfigure(|c| c.consistent_reads = true);
        let existing = consistent.batch_get_items(keys).await?;
        if let Some(taken) = existing.iter().position(Option::is_some) {
            return Err(Error::AlreadyExists {
                entity: M::schema().entity.to_owned(),
                key: models[taken].primary_key()?,
            });
        }
        let made: &[M] = models;
        let create = |i: usize| {
            let mut item = self.layout().to_stored_item(&made[i])?;
            write::stamp::<M>(&mut item, Stamp::Create, &stamps)?;
            Ok(WriteRequest::Put(item))
        };
        self.write_batch(
            items.into_iter().map(WriteRequest::Put).collect(),
            Some(&create),
        )
        .await?;
        if M::schema().version.is_some() {
            for m in models.iter_mut() {
                m.set_version(1);
            }
        }
        Ok(())
    }

    /// Stores many models, replacing items with the same keys (no version checks: batch writes
    /// cannot be conditional). Models are written as they are: `created_at` / `updated_at` fields
    /// keep the values the models hold (use `save` to keep a stored `created_at`).
    #[tracing::instrument(level = "debug", name = "orm.batch_put", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity, db.operation.batch.size = models.len() as i64))]
    pub async fn batch_put<M: Model>(&self, models: &[M]) -> Result<()> {
        unique::refuse_batch::<M>("batch_put")?;
        let put = |i: usize| {
            self.layout()
                .to_stored_entries(&models[i])
                .map(WriteRequest::PutEntries)
        };
        let writes = (0..models.len()).map(put).collect::<Result<Vec<_>>>()?;
        self.write_batch(writes, Some(&put)).await
    }

    /// Deletes the items at these keys (absent items are fine).
    #[tracing::instrument(level = "debug", name = "orm.batch_delete", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn batch_delete<M: Model, K: IntoResult<Key>>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<()> {
        unique::refuse_batch::<M>("batch_delete")?;
        let writes = keys
            .into_iter()
            .map(|k| {
                k.into_result()
                    .and_then(|k| self.layout().key_item::<M>(&k))
                    .map(WriteRequest::Delete)
            })
            .collect::<Result<Vec<_>>>()?;
        self.batch_write_items(writes).await
    }

    /// Reads models by key: one `Option` per key, in the order asked.
    #[tracing::instrument(level = "debug", name = "orm.batch_get", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn batch_get<M: Model, K: IntoResult<Key>>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Vec<Option<M>>> {
        let keys = keys
            .into_iter()
            .map(|k| {
                k.into_result()
                    .and_then(|k| self.layout().key_item::<M>(&k))
            })
            .collect::<Result<Vec<_>>>()?;
        self.batch_get_items(keys)
            .await?
            .into_iter()
            .map(|i| i.map(|i| self.layout().from_raw_item(i)).transpose())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableConfig;

    fn put(pk: impl Into<Value>, sk: Option<Value>) -> WriteRequest {
        let mut item = Item::new().with("pk", pk).with("data", 1u8);
        if let Some(sk) = sk {
            item.insert("sk".into(), sk);
        }
        WriteRequest::Put(item)
    }

    fn repeated(writes: &[WriteRequest]) -> Option<(usize, usize)> {
        first_repeated_key(&TableConfig::default(), writes)
    }

    #[test]
    fn distinct_keys_pass() {
        let s = |v: &str| Some(Value::from(v));
        let writes = vec![
            put("A", s("1")),
            put("A", s("2")),
            put("B", s("1")),
            // One sort-key value of each type, and none.
            put("A", Some(Value::from(1u8))),
            put("A", Some(Value::B(b"1".to_vec()))),
            put("A", None),
            put(Value::from(1u8), s("1")),
            put(Value::B(b"A".to_vec()), s("1")),
        ];
        assert_eq!(repeated(&writes), None);
        assert_eq!(repeated(&[]), None);
        // Many writes, in and out of key order.
        let many: Vec<_> = (0..300u32)
            .map(|i| put(format!("P{}", (i * 7919) % 300), Some(Value::from(i % 3))))
            .collect();
        assert_eq!(repeated(&many), None);
        // In ascending key order (told at a glance).
        let ascending: Vec<_> = (0..30u32).map(|i| put("P", Some(Value::from(i)))).collect();
        assert_eq!(repeated(&ascending), None);
    }

    #[test]
    fn the_first_repeat_is_found_in_every_form() {
        let s = |v: &str| Some(Value::from(v));
        // A put and a delete of one key; the key given as a sorted item and as entries.
        let delete = WriteRequest::Delete(Item::new().with("pk", "A").with("sk", "1"));
        assert_eq!(repeated(&[put("A", s("1")), delete.clone()]), Some((0, 1)));
        let entries = WriteRequest::PutEntries(vec![
            ("sk".into(), Value::from("1")),
            ("pk".into(), Value::from("A")),
        ]);
        assert_eq!(repeated(&[put("B", s("1")), delete, entries]), Some((1, 2)));
        // Numbers equal by value are one key.
        let n = |t: &str| Some(Value::N(crate::Number::parse(t).unwrap()));
        assert_eq!(
            repeated(&[put("A", n("1.50")), put("A", n("2")), put("A", n("15e-1"))]),
            Some((0, 2))
        );
        // The earliest second write wins, whatever the order of the keys.
        let keys = |ks: &[&str]| ks.iter().map(|k| put(*k, None)).collect::<Vec<_>>();
        assert_eq!(repeated(&keys(&["B", "A", "B", "A"])), Some((0, 2)));
        assert_eq!(repeated(&keys(&["B", "A", "A", "B"])), Some((1, 2)));
        assert_eq!(
            repeated(&keys(&["C", "B", "A", "C", "A", "C"])),
            Some((0, 3))
        );
        // Ascending but for one key written twice in a row.
        let mut ascending: Vec<_> = (0..30u32).map(|i| put("P", Some(Value::from(i)))).collect();
        ascending.insert(8, put("P", Some(Value::from(7u32))));
        assert_eq!(repeated(&ascending), Some((7, 8)));
        // A repeat at the end of a long batch.
        let mut many: Vec<_> = (0..300u32)
            .map(|i| put("P", Some(Value::from(i))))
            .collect();
        many.push(put("P", Some(Value::from(123u32))));
        assert_eq!(repeated(&many), Some((123, 300)));
    }
}
