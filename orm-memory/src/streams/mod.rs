//! Change streams: what a table with a stream enabled records of each committed change
//! ([`stream`]), and DynamoDB Streams' four reads of them (ListStreams, DescribeStream,
//! GetShardIterator, GetRecords) over every stream of one backend ([`Streams`]).
//!
//! A stream outlives its enabling: disabling it (or deleting its table) closes its open shard,
//! and its records stay readable for the retention period (24 hours) before the stream is
//! forgotten. Enabling a stream again makes a new one, with a new label and ARN.
//!
//! Whether a table has a stream is its metadata's to say (CreateTable and UpdateTable change
//! it, DescribeTable reports it); [`Streams::enable`] and [`disable`] are the one place that
//! turns the recording on and off, and keep the metadata's latest stream in step with it.
//!
//! Time is the backend's clock ([`Counters::now_ms`]): the system's, moved forward by
//! [`MemoryBackend::advance_time`](crate::MemoryBackend::advance_time), so that iterator expiry
//! (15 minutes), shard roll-over and retention can be tested without waiting.

#[cfg(test)]
mod feed_tests;
pub(crate) mod iterator;
pub(crate) mod names;
pub(crate) mod stream;
#[cfg(test)]
mod tests;

pub(crate) use stream::{Captured, Counters, PartNames, Retention, Stream};

use crate::metadata::LatestStream;
use crate::table::Table;
use crate::{service, MemoryBackend};
use iterator::Position;
use orm_core::backend::stream::limits;
use orm_core::backend::{
    DescribeStream, GetRecords, GetRecordsOutput, GetShardIterator, ListStreams, ListStreamsOutput,
    StreamDescription, StreamSummary, StreamViewType,
};
use orm_core::{Error, Result};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Every stream of one backend, enabled or kept after being disabled.
///
/// Lock order: the registry is taken after any part lock (by enabling, which holds every part
/// of the table), and a stream's own locks after the registry's; readers take the registry,
/// then (having let it go) a stream, then (having let that go) the parts' names.
#[derive(Debug)]
pub(crate) struct Streams {
    counters: Arc<Counters>,
    retention: Mutex<Retention>,
    registry: Mutex<Registry>,
}

/// The streams of a backend, and the last label time it handed out.
#[derive(Debug, Default)]
struct Registry {
    /// Oldest first.
    streams: Vec<Arc<Stream>>,
    /// When the newest stream was enabled (ms): labels only increase, so that no two streams of
    /// a backend, or of a backend and its forks, share an ARN.
    last_label_ms: u64,
}

impl Default for Streams {
    fn default() -> Streams {
        Streams::with_counters(Counters::new(0, 0))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// DynamoDB Streams' `ResourceNotFoundException` for a stream ARN that names no stream.
fn stream_not_found(arn: &str) -> Error {
    Error::StreamNotFound {
        message: format!("Requested resource not found: Stream: {arn} not found"),
        source: None,
    }
}

impl Streams {
    fn with_counters(counters: Counters) -> Streams {
        Streams {
            counters: Arc::new(counters),
            retention: Mutex::new(Retention::default()),
            registry: Mutex::new(Registry::default()),
        }
    }

    /// The streams of a fork of this backend: none yet, the same clock, sequence numbers and
    /// labels continuing from this backend's (so the fork's streams have ARNs of their own), new
    /// ids and a new iterator secret.
    pub(crate) fn fork(&self) -> Streams {
        let streams = Streams::with_counters(Counters::new(
            self.counters.offset_ms(),
            self.counters.last_sequence(),
        ));
        *lock(&streams.retention) = *lock(&self.retention);
        lock(&streams.registry).last_label_ms = lock(&self.registry).last_label_ms;
        streams
    }

    /// The backend's clock and counters.
    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Changes how long and how much streams enabled from now on keep.
    #[cfg(test)]
    pub(crate) fn set_retention(&self, retention: Retention) {
        *lock(&self.retention) = retention;
    }

    /// A new, enabled stream of `table`, registered: its label is the backend's time, a
    /// millisecond after the previous stream's if that is later.
    fn create(&self, table: &Arc<Table>, view_type: StreamViewType) -> Arc<Stream> {
        let mut registry = lock(&self.registry);
        let created_ms = self
            .counters
            .now_ms()
            .max(registry.last_label_ms.saturating_add(1));
        registry.last_label_ms = created_ms;
        let stream = Arc::new(Stream::new(
            &table.schema.def,
            part_names(table),
            names::label(created_ms),
            view_type,
            created_ms,
            Arc::clone(&self.counters),
            *lock(&self.retention),
        ));
        registry.streams.push(Arc::clone(&stream));
        stream
    }

    /// Enables a new stream of `view_type` on `table` (which has none enabled): every change
    /// committed to its items from now on is recorded in it, and the table's metadata names it
    /// as its latest stream. Called holding the catalog's write lock (no request is running).
    pub(crate) fn enable(&self, table: &Arc<Table>, view_type: StreamViewType) -> Arc<Stream> {
        let stream = self.create(table, view_type);
        attach(table, &stream);
        stream
    }

    /// The streams kept, oldest first, after forgetting those disabled longer ago than the
    /// retention period.
    fn kept(&self) -> Vec<Arc<Stream>> {
        let now = self.counters.now_ms();
        let mut registry = lock(&self.registry);
        registry.streams.retain(|s| !s.expired(now));
        registry.streams.clone()
    }

    /// The stream an ARN names.
    fn find(&self, arn: &str) -> Option<Arc<Stream>> {
        let (table, label) = names::parse_stream_arn(arn)?;
        self.kept()
            .into_iter()
            .find(|s| s.table == table && s.label == label)
    }

    /// ListStreams (checked by the caller): newest first.
    pub(crate) fn list(&self, request: &ListStreams, region: &str) -> ListStreamsOutput {
        let mut streams: Vec<Arc<Stream>> = self
            .kept()
            .into_iter()
            .rev()
            .filter(|s| request.table.as_ref().is_none_or(|t| *t == s.table))
            .collect();
        let start = request
            .exclusive_start_stream_arn
            .as_deref()
            .and_then(names::parse_stream_arn);
        if let Some((table, label)) = start {
            if let Some(at) = streams
                .iter()
                .position(|s| s.table == table && s.label == label)
            {
                streams.drain(..=at);
            }
        }
        let limit = request.limit.unwrap_or(limits::MAX_LIST_STREAMS);
        let more = streams.len() > limit;
        streams.truncate(limit);
        ListStreamsOutput {
            last_evaluated_stream_arn: more
                .then(|| streams.last().map(|s| s.arn(region)))
                .flatten(),
            streams: streams
                .iter()
                .map(|s| StreamSummary {
                    stream_arn: s.arn(region),
                    table: s.table.clone(),
                    label: s.label.clone(),
                })
                .collect(),
        }
    }

    /// DescribeStream (checked by the caller).
    pub(crate) fn describe(
        &self,
        request: &DescribeStream,
        region: &str,
    ) -> Result<StreamDescription> {
        let stream = self
            .find(&request.stream_arn)
            .ok_or_else(|| stream_not_found(&request.stream_arn))?;
        Ok(stream.describe(
            region,
            request.exclusive_start_shard_id.as_deref(),
            request.limit.unwrap_or(limits::MAX_DESCRIBE_SHARDS),
        ))
    }

    /// GetShardIterator (checked by the caller).
    pub(crate) fn shard_iterator(
        &self,
        request: &GetShardIterator,
        region: &str,
    ) -> Result<String> {
        let stream = self
            .find(&request.stream_arn)
            .ok_or_else(|| Error::StreamNotFound {
                message: "Stream does not exist".into(),
                source: None,
            })?;
        stream.shard_iterator(region, &request.shard_id, &request.position)
    }

    /// GetRecords (checked by the caller): `Invalid ShardIterator` for an iterator this backend
    /// did not hand out, `ExpiredIterator` for one older than 15 minutes.
    pub(crate) fn records(&self, request: &GetRecords, region: &str) -> Result<GetRecordsOutput> {
        let position = Position::decode(&request.shard_iterator, &self.counters.secret)
            .ok_or_else(|| Error::service_validation("GetRecords", "Invalid ShardIterator"))?;
        let age = self.counters.now_ms().saturating_sub(position.issued_ms);
        if u128::from(age) > limits::ITERATOR_LIFETIME.as_millis() {
            return Err(Error::ExpiredIterator {
                message: "The provided iterator exceeds the maximum age allowed.".into(),
                source: None,
            });
        }
        let stream = self
            .find(&position.stream_arn)
            .ok_or_else(|| stream_not_found(&position.stream_arn))?;
        stream.read(
            region,
            &position,
            request.limit.unwrap_or(limits::MAX_GET_RECORDS),
        )
    }
}

/// DynamoDB Streams' four calls, answered with ARNs and records of `region` (the Backend calls
/// name `us-east-1`, the server the caller's region).
impl MemoryBackend {
    /// ListStreams.
    pub(crate) fn list_streams_in(
        &self,
        request: &ListStreams,
        region: &str,
    ) -> Result<ListStreamsOutput> {
        request.validate()?;
        Ok(self.state.streams.list(request, region))
    }

    /// DescribeStream.
    pub(crate) fn describe_stream_in(
        &self,
        request: &DescribeStream,
        region: &str,
    ) -> Result<StreamDescription> {
        request.validate()?;
        self.state.streams.describe(request, region)
    }

    /// GetShardIterator.
    pub(crate) fn shard_iterator_in(
        &self,
        request: &GetShardIterator,
        region: &str,
    ) -> Result<String> {
        request.validate()?;
        service("GetShardIterator", || {
            self.state.streams.shard_iterator(request, region)
        })
    }

    /// GetRecords.
    pub(crate) fn records_in(
        &self,
        request: &GetRecords,
        region: &str,
    ) -> Result<GetRecordsOutput> {
        request.validate()?;
        service("GetRecords", || self.state.streams.records(request, region))
    }
}

/// Makes every part of `table` record in `stream`, and the table's metadata name it as its
/// latest, enabled stream: for a new stream, and for the stream of a table UpdateTable rebuilt.
/// Called holding the catalog's write lock.
pub(crate) fn attach(table: &Arc<Table>, stream: &Arc<Stream>) {
    for part in table.write_all().iter_mut() {
        part.stream = Some(Arc::clone(stream));
    }
    stream.read_from(part_names(table));
    table.metadata().stream = Some(LatestStream {
        view_type: stream.view_type,
        label: stream.label.clone(),
        enabled: true,
    });
}

/// Disables the stream of `table`, if one is enabled: no change is recorded from now on, its
/// open shard closes, and its records stay readable for 24 hours; the metadata keeps it as the
/// latest stream, disabled. Whether there was one. Called holding the catalog's write lock
/// (UpdateTable, DeleteTable).
pub(crate) fn disable(table: &Table) -> bool {
    let mut parts = table.write_all();
    let Some(stream) = parts[0].stream.clone() else {
        return false;
    };
    for part in parts.iter_mut() {
        part.stream = None;
    }
    stream.disable(parts.iter().map(|p| Arc::clone(p.dict())).collect());
    drop(parts);
    if let Some(latest) = &mut table.metadata().stream {
        latest.enabled = false;
    }
    true
}

/// `table`, as the names its stream decodes records with.
fn part_names(table: &Arc<Table>) -> std::sync::Weak<dyn PartNames> {
    let table: std::sync::Weak<Table> = Arc::downgrade(table);
    table
}
