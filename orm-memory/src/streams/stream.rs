//! One stream: its shards and their records, appended by writers and read by GetRecords.
//!
//! # Recording
//!
//! Every part of a table with a stream enabled holds the stream ([`crate::table::Part`]'s
//! `stream`); a write, holding the write lock of every part it changes, appends its changes
//! ([`Captured`]) with [`Stream::record`] before releasing them. The append takes the stream's
//! own lock (a leaf: nothing is locked while holding it), so records are in commit order, each
//! item's changes in the order they were applied, and the records of one transaction or batch
//! are appended together, in action order. A record keeps the item's stored form (shared with
//! the table, not copied) and is decoded only when read.
//!
//! A change that leaves the item as it was (a put of an identical item, an update that changes
//! nothing) records nothing, as in DynamoDB; neither does a delete of a missing item.
//!
//! # Shards and retention
//!
//! A stream has one open shard at a time, so its records are in one total order. The open shard
//! closes, and a child shard continues it, when it is [`SHARD_LIFETIME`] old (DynamoDB rolls its
//! shards over every few hours), and when the stream is disabled. Records are trimmed when they
//! are older than the retention period (24 hours, DynamoDB's), and, oldest first, while the
//! stream keeps more than its byte budget ([`Retention::max_bytes`]), so a stream nobody reads
//! holds a bounded amount of memory. A closed shard whose records are all trimmed is dropped
//! once it has been closed for the retention period; a disabled stream is dropped once it has
//! been disabled for that long.

use super::iterator::Position;
use super::names;
use crate::stored::{Dict, SharedStored, Stored};
use orm_core::backend::{
    ChangeKind, GetRecordsOutput, RawItem, Shard, ShardIteratorType, StreamDescription,
    StreamRecord, StreamStatus, StreamViewType, TableDefinition, UserIdentity,
};
use orm_core::{Error, Item, Result};
use std::collections::hash_map::RandomState;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a shard stays open before it closes and a child continues it.
pub(crate) const SHARD_LIFETIME: Duration = Duration::from_secs(4 * 60 * 60);

/// The bytes a record costs beyond its images (its bookkeeping), in the byte budget.
const ENTRY_OVERHEAD: usize = std::mem::size_of::<Entry>() + 16;

/// How long records are kept, and how many bytes of them a stream holds at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retention {
    /// Records older than this are trimmed (DynamoDB: 24 hours).
    pub(crate) max_age: Duration,
    /// The most bytes of records (their stored images, and [`ENTRY_OVERHEAD`] each) a stream
    /// keeps; the oldest are trimmed beyond it.
    pub(crate) max_bytes: usize,
}

impl Default for Retention {
    fn default() -> Retention {
        Retention {
            max_age: orm_core::backend::stream::limits::RETENTION,
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What every stream of one backend shares: its clock, its sequence counter, the salt of its
/// ids and the secret its iterators are signed with.
#[derive(Debug)]
pub(crate) struct Counters {
    /// How far the clock is ahead of the system's, in ms ([`crate::MemoryBackend::advance_time`]).
    offset_ms: AtomicU64,
    /// The last sequence number handed out.
    sequence: AtomicU64,
    /// Mixed into shard and event ids.
    pub(crate) salt: u64,
    /// Signs iterators.
    pub(crate) secret: RandomState,
}

impl Counters {
    /// New counters: the system's clock, sequence numbers from `after + 1`.
    pub(crate) fn new(offset_ms: u64, after: u64) -> Counters {
        let secret = RandomState::new();
        let salt = std::hash::BuildHasher::hash_one(&secret, "salt");
        Counters {
            offset_ms: AtomicU64::new(offset_ms),
            sequence: AtomicU64::new(after),
            salt,
            secret,
        }
    }

    /// The backend's time, in ms since the epoch.
    pub(crate) fn now_ms(&self) -> u64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        system.saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward.
    pub(crate) fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// How far the clock is ahead of the system's.
    pub(crate) fn offset_ms(&self) -> u64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// The last sequence number handed out.
    pub(crate) fn last_sequence(&self) -> u64 {
        self.sequence.load(Ordering::Relaxed)
    }

    /// The next sequence number.
    fn next_sequence(&self) -> u64 {
        self.sequence.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// The time `ms` milliseconds after the epoch.
pub(crate) fn time_of(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// One committed change to an item, as a write hands it to [`Stream::record`]: the item's stored
/// form before and after (`None` when absent), in part `part` of the table.
#[derive(Debug)]
pub(crate) struct Captured {
    /// The part holding the item (its names decode the stored forms).
    pub(crate) part: usize,
    /// The item before the change.
    pub(crate) old: Option<Stored>,
    /// The item after the change.
    pub(crate) new: Option<Stored>,
    /// Removed by TTL (DynamoDB's service identity), not by a request.
    pub(crate) by_ttl: bool,
}

/// One record, as kept: the stored images it needs (only those its view type shows, and one
/// for its keys), decoded when read.
#[derive(Debug, Clone)]
struct Entry {
    sequence: u64,
    at_ms: u64,
    event: ChangeKind,
    part: u8,
    by_ttl: bool,
    old: Option<Stored>,
    new: Option<Stored>,
}

impl Entry {
    /// The bytes it costs in the budget.
    fn bytes(&self) -> usize {
        ENTRY_OVERHEAD
            + self.old.as_ref().map_or(0, Stored::size)
            + self.new.as_ref().map_or(0, Stored::size)
    }
}

/// One shard's records and range.
#[derive(Debug)]
struct ShardLog {
    id: String,
    parent: Option<String>,
    /// The first sequence number it can hold (the counter's next when it was opened).
    start: u64,
    /// Its last record's sequence number (or `start` when it has none), once closed.
    end: Option<u64>,
    created_ms: u64,
    closed_ms: Option<u64>,
    /// The records kept, oldest first.
    records: VecDeque<Entry>,
    /// Records with sequence numbers up to this were trimmed (0: none).
    trimmed_through: u64,
    /// The sequence number of its newest record (`start - 1` before the first).
    last: u64,
}

impl ShardLog {
    fn new(id: String, parent: Option<String>, start: u64, created_ms: u64) -> ShardLog {
        ShardLog {
            id,
            parent,
            start,
            end: None,
            created_ms,
            closed_ms: None,
            records: VecDeque::new(),
            trimmed_through: 0,
            last: start.saturating_sub(1),
        }
    }

    fn close(&mut self, now: u64) {
        if self.end.is_none() {
            self.end = Some(self.last.max(self.start));
            self.closed_ms = Some(now);
        }
    }

    fn describe(&self) -> Shard {
        Shard {
            shard_id: self.id.clone(),
            parent_shard_id: self.parent.clone(),
            starting_sequence_number: names::sequence_number(self.start),
            ending_sequence_number: self.end.map(names::sequence_number),
        }
    }

    /// Where a GetShardIterator position starts reading (the first sequence number to read).
    fn resolve(&self, position: &ShardIteratorType, latest: u64) -> Result<u64> {
        let (at, after) = match position {
            ShardIteratorType::TrimHorizon => {
                return Ok(self
                    .records
                    .front()
                    .map_or(self.last.saturating_add(1).max(self.start), |e| e.sequence))
            }
            ShardIteratorType::Latest => {
                return Ok(match self.end {
                    Some(end) => end.saturating_add(1),
                    None => latest.saturating_add(1),
                })
            }
            ShardIteratorType::AtSequenceNumber(s) => (names::parse_sequence_number(s), false),
            ShardIteratorType::AfterSequenceNumber(s) => (names::parse_sequence_number(s), true),
        };
        let next = if after { at.saturating_add(1) } else { at };
        if self.is_trimmed(next) {
            return Err(trimmed());
        }
        let beyond_end = self.end.is_some_and(|end| at > end);
        if at < self.start || beyond_end {
            return Err(Error::service_validation(
                "GetShardIterator",
                "Invalid SequenceNumber for the shard",
            ));
        }
        Ok(next)
    }

    /// Whether reading from `next` on would miss trimmed records.
    fn is_trimmed(&self, next: u64) -> bool {
        self.trimmed_through > 0 && next <= self.trimmed_through
    }
}

/// The stream's mutable part.
#[derive(Debug)]
struct Log {
    /// Its shards, oldest first; the last is open unless the stream is disabled.
    shards: VecDeque<ShardLog>,
    /// When it was disabled.
    disabled_ms: Option<u64>,
    /// The bytes its records cost ([`Entry::bytes`]).
    bytes: usize,
    /// How many shards it has opened (mixed into their ids).
    opened: u64,
}

/// The live table a stream records, as the stream sees it: the names (interned attribute
/// names and shapes) each of its parts stores items with. `crate::table::Table` is the one
/// implementation; the trait keeps a stream from depending on the table that holds it.
pub(crate) trait PartNames: Send + Sync + std::fmt::Debug {
    /// The names of part `part` (their list is only ever appended to).
    fn part_names(&self, part: usize) -> Arc<Dict>;
}

/// Where a stream's records are decoded from: the names of the table's parts.
#[derive(Debug)]
enum Source {
    /// The live table's parts, while the stream is enabled (their names are only ever appended
    /// to, so today's decode any record ever written).
    Live(Weak<dyn PartNames>),
    /// The parts' names when the stream was disabled.
    Frozen(Vec<Arc<Dict>>),
}

/// One stream of one table.
#[derive(Debug)]
pub(crate) struct Stream {
    /// The table it records.
    pub(crate) table: String,
    /// Its label: when it was enabled.
    pub(crate) label: String,
    /// What its records show.
    pub(crate) view_type: StreamViewType,
    /// The table's partition key attribute.
    partition_key: String,
    /// The table's sort key attribute.
    sort_key: Option<String>,
    /// When it was enabled (ms).
    created_ms: u64,
    counters: Arc<Counters>,
    retention: Retention,
    source: Mutex<Source>,
    log: Mutex<Log>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// DynamoDB Streams' `TrimmedDataAccessException`.
fn trimmed() -> Error {
    Error::TrimmedData {
        message: "The operation attempted to read past the oldest stream record in a shard.".into(),
        source: None,
    }
}

/// DynamoDB Streams' `ResourceNotFoundException` for an unknown shard.
pub(crate) fn shard_not_found() -> Error {
    Error::StreamNotFound {
        message: "Shard does not exist".into(),
        source: None,
    }
}

impl Stream {
    /// A new, enabled stream of the table `def` defines (it names its keys), whose records are
    /// decoded with `names`, created at `created_ms` with label `label`.
    pub(crate) fn new(
        def: &TableDefinition,
        names: Weak<dyn PartNames>,
        label: String,
        view_type: StreamViewType,
        created_ms: u64,
        counters: Arc<Counters>,
        retention: Retention,
    ) -> Stream {
        let mut log = Log {
            shards: VecDeque::new(),
            disabled_ms: None,
            bytes: 0,
            opened: 0,
        };
        log.open_shard(None, created_ms, &counters);
        Stream {
            table: def.name.clone(),
            label,
            view_type,
            partition_key: def.partition_key.name.clone(),
            sort_key: def.sort_key.as_ref().map(|k| k.name.clone()),
            created_ms,
            counters,
            retention,
            source: Mutex::new(Source::Live(names)),
            log: Mutex::new(log),
        }
    }

    /// Appends the records of `changes` (one write's, or one transaction's or batch's, in the
    /// order they were applied). Called holding the write locks of the parts changed.
    pub(crate) fn record(&self, changes: impl IntoIterator<Item = Captured>) {
        let now = self.counters.now_ms();
        let mut log = lock(&self.log);
        if log.disabled_ms.is_some() {
            return;
        }
        log.roll_over(now, &self.counters);
        let view = self.view_type;
        for change in changes {
            let event = match (&change.old, &change.new) {
                (None, Some(_)) => ChangeKind::Insert,
                (Some(old), Some(new)) if old.same_encoding(new) => continue,
                (Some(_), Some(_)) => ChangeKind::Modify,
                (Some(_), None) => ChangeKind::Remove,
                (None, None) => continue,
            };
            // Keep the images the view type shows, or else one image for the keys.
            let (shows_new, shows_old) = (view.has_new_image(), view.has_old_image());
            let (new, old) = match (change.new, change.old) {
                (new, old) if (shows_new && new.is_some()) || (shows_old && old.is_some()) => {
                    (new.filter(|_| shows_new), old.filter(|_| shows_old))
                }
                (Some(new), _) => (Some(new), None),
                (None, old) => (None, old),
            };
            let entry = Entry {
                sequence: self.counters.next_sequence(),
                at_ms: now,
                event,
                part: u8::try_from(change.part).expect("a table has at most 256 parts"),
                by_ttl: change.by_ttl,
                old,
                new,
            };
            log.bytes += entry.bytes();
            let shard = log
                .shards
                .back_mut()
                .expect("an enabled stream has an open shard");
            shard.last = entry.sequence;
            shard.records.push_back(entry);
        }
        log.trim(now, &self.retention);
    }

    /// Stops recording: the open shard closes, and the stream keeps `parts_names` (the names of
    /// every part of the table, in order) to decode its records with, whatever becomes of the table
    /// (deleted, or rebuilt by UpdateTable): no record is added after this, and a part's names
    /// are only ever added to, so these decode every record it has. Called holding the write
    /// locks of every part of the table, after taking the stream out of them.
    pub(crate) fn disable(&self, parts_names: Vec<Arc<Dict>>) {
        let now = self.counters.now_ms();
        let mut log = lock(&self.log);
        if log.disabled_ms.is_none() {
            log.disabled_ms = Some(now);
            if let Some(open) = log.shards.back_mut() {
                open.close(now);
            }
        }
        *lock(&self.source) = Source::Frozen(parts_names);
    }

    /// Decodes its records with `names` (a table's parts) from now on: the table it records is
    /// that one (new, or rebuilt by UpdateTable). Called holding the catalog's write lock.
    pub(crate) fn read_from(&self, names: Weak<dyn PartNames>) {
        *lock(&self.source) = Source::Live(names);
    }

    /// Whether it was disabled longer ago than the retention period (it can be forgotten).
    pub(crate) fn expired(&self, now: u64) -> bool {
        let retention = duration_ms(self.retention.max_age);
        lock(&self.log)
            .disabled_ms
            .is_some_and(|at| now.saturating_sub(at) >= retention)
    }

    /// Its ARN, as seen from `region`.
    pub(crate) fn arn(&self, region: &str) -> String {
        names::stream_arn(region, &self.table, &self.label)
    }

    /// DescribeStream: its state and one page of its shards.
    pub(crate) fn describe(
        &self,
        region: &str,
        exclusive_start_shard_id: Option<&str>,
        limit: usize,
    ) -> StreamDescription {
        let now = self.counters.now_ms();
        let mut log = lock(&self.log);
        log.trim(now, &self.retention);
        let skip = exclusive_start_shard_id
            .and_then(|id| log.shards.iter().position(|s| s.id == id))
            .map_or(0, |i| i + 1);
        let mut shards: Vec<Shard> = log
            .shards
            .iter()
            .skip(skip)
            .take(limit + 1)
            .map(ShardLog::describe)
            .collect();
        let last_evaluated_shard_id = if shards.len() > limit {
            shards.truncate(limit);
            shards.last().map(|s| s.shard_id.clone())
        } else {
            None
        };
        StreamDescription {
            stream_arn: self.arn(region),
            label: self.label.clone(),
            status: if log.disabled_ms.is_some() {
                StreamStatus::Disabled
            } else {
                StreamStatus::Enabled
            },
            view_type: self.view_type,
            created: time_of(self.created_ms),
            table: self.table.clone(),
            partition_key: self.partition_key.clone(),
            sort_key: self.sort_key.clone(),
            shards,
            last_evaluated_shard_id,
        }
    }

    /// GetShardIterator on one of its shards.
    pub(crate) fn shard_iterator(
        &self,
        region: &str,
        shard_id: &str,
        position: &ShardIteratorType,
    ) -> Result<String> {
        let now = self.counters.now_ms();
        let mut log = lock(&self.log);
        log.trim(now, &self.retention);
        let shard = log
            .shards
            .iter()
            .find(|s| s.id == shard_id)
            .ok_or_else(shard_not_found)?;
        let next = shard.resolve(position, self.counters.last_sequence())?;
        Ok(Position {
            stream_arn: self.arn(region),
            shard_id: shard_id.to_owned(),
            next,
            issued_ms: now,
        }
        .encode(&self.counters.secret))
    }

    /// GetRecords from a (checked, unexpired) iterator position on this stream.
    pub(crate) fn read(
        &self,
        region: &str,
        position: &Position,
        limit: usize,
    ) -> Result<GetRecordsOutput> {
        let now = self.counters.now_ms();
        let (entries, next) = {
            let mut log = lock(&self.log);
            log.trim(now, &self.retention);
            let shard = log
                .shards
                .iter()
                .find(|s| s.id == position.shard_id)
                .ok_or_else(shard_not_found)?;
            if shard.is_trimmed(position.next) {
                return Err(trimmed());
            }
            let first = shard
                .records
                .partition_point(|e| e.sequence < position.next);
            let mut bytes = 0;
            let entries: Vec<Entry> = shard
                .records
                .iter()
                .skip(first)
                .take(limit)
                .take_while(|e| {
                    bytes += e.bytes();
                    bytes <= orm_core::backend::stream::limits::MAX_GET_RECORDS_BYTES
                        || bytes == e.bytes()
                })
                .cloned()
                .collect();
            let next = entries
                .last()
                .map_or(position.next, |e| e.sequence.saturating_add(1));
            let finished = shard.end.is_some_and(|end| next > end)
                || (shard.end.is_some() && first + entries.len() >= shard.records.len());
            (entries, (!finished).then_some(next))
        };
        let dicts = self.dicts(&entries)?;
        let records = entries
            .iter()
            .map(|e| self.decode(region, e, &dicts[usize::from(e.part)]))
            .collect();
        Ok(GetRecordsOutput {
            records,
            next_shard_iterator: next.map(|next| {
                Position {
                    stream_arn: position.stream_arn.clone(),
                    shard_id: position.shard_id.clone(),
                    next,
                    issued_ms: now,
                }
                .encode(&self.counters.secret)
            }),
        })
    }

    /// The names of the parts the entries were written in (indexed by part).
    fn dicts(&self, entries: &[Entry]) -> Result<Vec<Option<Arc<Dict>>>> {
        let mut dicts: Vec<Option<Arc<Dict>>> = Vec::new();
        let source = match &*lock(&self.source) {
            Source::Live(table) => Source::Live(Weak::clone(table)),
            Source::Frozen(frozen) => Source::Frozen(frozen.clone()),
        };
        for entry in entries {
            let part = usize::from(entry.part);
            if dicts.len() <= part {
                dicts.resize(part + 1, None);
            }
            if dicts[part].is_some() {
                continue;
            }
            dicts[part] = Some(match &source {
                Source::Frozen(frozen) => Arc::clone(&frozen[part]),
                Source::Live(table) => {
                    let table = table.upgrade().ok_or_else(|| {
                        Error::backend(
                            "GetRecords",
                            false,
                            format!("the table of stream {} is gone", self.label),
                        )
                    })?;
                    table.part_names(part)
                }
            });
        }
        Ok(dicts)
    }

    /// A kept record as DynamoDB Streams shows it. Its images are the stored items, shared
    /// ([`RawItem::Shared`]): nothing is decoded but the keys, and a reader decodes an image
    /// straight into a model (or into an `Item` when it asks).
    fn decode(&self, region: &str, entry: &Entry, dict: &Option<Arc<Dict>>) -> StreamRecord {
        let dict = dict
            .as_ref()
            .expect("the names of every entry's part were fetched");
        let view = self.view_type;
        let either = entry
            .new
            .as_ref()
            .or(entry.old.as_ref())
            .expect("a record keeps an image");
        let keys = self.keys(either, dict);
        let new = entry.new.as_ref().filter(|_| view.has_new_image());
        let old = entry.old.as_ref().filter(|_| view.has_old_image());
        // An image's DynamoDB size is kept with it.
        let size_bytes = keys.size() + new.map_or(0, Stored::size) + old.map_or(0, Stored::size);
        let share = |stored: &Stored| RawItem::Shared(Arc::new(SharedStored::new(stored, dict)));
        StreamRecord {
            event_id: names::event_id(self.counters.salt, entry.sequence),
            event_name: entry.event,
            aws_region: region.to_owned(),
            approximate_creation: time_of(entry.at_ms / 1000 * 1000),
            keys,
            new_image: new.map(share),
            old_image: old.map(share),
            sequence_number: names::sequence_number(entry.sequence),
            size_bytes: size_bytes.max(1) as u64,
            view_type: view,
            user_identity: entry.by_ttl.then(UserIdentity::dynamodb_service),
        }
    }

    /// The primary key attributes of a stored image.
    fn keys(&self, image: &Stored, dict: &Dict) -> Item {
        let mut keys = Item::new();
        for name in std::iter::once(&self.partition_key).chain(&self.sort_key) {
            if let Some(value) = image.get(dict, name) {
                keys.insert(name.clone(), value);
            }
        }
        keys
    }

    /// How many records it keeps, and their bytes (for tests and `Debug`).
    #[cfg(test)]
    pub(crate) fn kept(&self) -> (usize, usize) {
        let log = lock(&self.log);
        (log.shards.iter().map(|s| s.records.len()).sum(), log.bytes)
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Log {
    /// Opens a shard (the child of `parent`, if any).
    fn open_shard(&mut self, parent: Option<String>, now: u64, counters: &Counters) {
        self.opened += 1;
        let id = names::shard_id(now, names::mix(counters.salt ^ self.opened ^ now));
        let start = counters.last_sequence().saturating_add(1);
        self.shards.push_back(ShardLog::new(id, parent, start, now));
    }

    /// Closes the open shard and opens its child when it has been open [`SHARD_LIFETIME`].
    fn roll_over(&mut self, now: u64, counters: &Counters) {
        let open = self
            .shards
            .back_mut()
            .expect("an enabled stream has an open shard");
        if now.saturating_sub(open.created_ms) < duration_ms(SHARD_LIFETIME) {
            return;
        }
        open.close(now);
        let parent = open.id.clone();
        self.open_shard(Some(parent), now, counters);
    }

    /// Trims records older than the retention period, then the oldest while over the byte
    /// budget, and drops closed shards left empty for the retention period.
    fn trim(&mut self, now: u64, retention: &Retention) {
        let max_age = duration_ms(retention.max_age);
        for shard in &mut self.shards {
            while let Some(front) = shard.records.front() {
                let old = now.saturating_sub(front.at_ms) >= max_age;
                if !old && self.bytes <= retention.max_bytes {
                    break;
                }
                let entry = shard.records.pop_front().expect("front exists");
                self.bytes -= entry.bytes();
                shard.trimmed_through = entry.sequence;
            }
        }
        while self.shards.len() > 1 || self.disabled_ms.is_some() {
            let Some(front) = self.shards.front() else {
                break;
            };
            let gone = front.records.is_empty()
                && front
                    .closed_ms
                    .is_some_and(|at| now.saturating_sub(at) >= max_age);
            if !gone {
                break;
            }
            self.shards.pop_front();
        }
    }
}
