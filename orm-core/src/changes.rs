//! A table's change feed: the records of its stream, in order, decoded into models, resumable
//! from a checkpoint, on any backend with [`Capabilities::streams`](crate::backend::Capabilities).
//!
//! [`Table::changes`] opens a [`ChangeFeed`] on the table's newest stream (enable one first:
//! DynamoDB's `UpdateTable` with a `StreamSpecification`). The feed reads every shard of the
//! stream, each parent before its children, so each item's changes come in the order they were
//! made (DynamoDB's guarantee; on MemoryBackend every change of the table comes in commit order).
//! [`ChangeFeed::entity`] narrows it to one model: a [`Changes<M>`] of [`Change<M>`]s, each image
//! decoded as every read decodes (entity checked, layout attributes dropped, older schema
//! versions upgraded), records of other entities skipped.
//!
//! It is a pull API: [`ChangeFeed::next_batch`] (or [`Changes::next`] / [`Changes::stream`])
//! returns what the stream holds beyond what was handed out, and nothing once the reader has
//! caught up; call again later for later changes. [`ChangeFeed::checkpoint`] says where the
//! reader is (the last sequence number handed out, per shard) as a [`Checkpoint`] that prints as
//! a string; [`ChangeFeed::resume`] continues from one, in this process or another.
//!
//! See docs/testing.md, "Testing stream handlers", for a handler tested end to end.

use crate::backend::{
    ChangeKind, DescribeStream, GetRecords, GetShardIterator, ListStreams, ShardIteratorType,
    StreamRecord,
};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::table::Table;
use crate::value::{Item, Value};
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::time::SystemTime;

/// Where a shard is read from next.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ShardPosition {
    /// From its oldest record still kept.
    TrimHorizon,
    /// From the records added after the reader first saw it.
    Latest,
    /// After the record with this sequence number.
    After(String),
    /// Read to its end: it is closed and every record was handed out.
    Done,
}

impl ShardPosition {
    fn as_iterator_type(&self) -> Option<ShardIteratorType> {
        Some(match self {
            ShardPosition::TrimHorizon => ShardIteratorType::TrimHorizon,
            ShardPosition::Latest => ShardIteratorType::Latest,
            ShardPosition::After(s) => ShardIteratorType::AfterSequenceNumber(s.clone()),
            ShardPosition::Done => return None,
        })
    }
}

impl fmt::Display for ShardPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardPosition::TrimHorizon => f.write_str("trim"),
            ShardPosition::Latest => f.write_str("latest"),
            ShardPosition::After(s) => f.write_str(s),
            ShardPosition::Done => f.write_str("done"),
        }
    }
}

/// Where a change feed is: its stream, and for each shard it knows, where reading resumes.
///
/// It prints as one line of text (`Display`) and parses back (`FromStr`), to be stored
/// anywhere: `changes/1 <stream ARN> <shard id>=<position> ...`, where a position is the last
/// sequence number handed out, `done`, `trim` or `latest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The stream read.
    pub stream_arn: String,
    /// Each known shard's position, in the order the stream lists them.
    pub shards: Vec<(String, ShardPosition)>,
}

/// The first word of a checkpoint's text.
const CHECKPOINT_TAG: &str = "changes/1";

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{CHECKPOINT_TAG} {}", self.stream_arn)?;
        for (shard, position) in &self.shards {
            write!(f, " {shard}={position}")?;
        }
        Ok(())
    }
}

impl FromStr for Checkpoint {
    type Err = Error;

    /// Parses [`Checkpoint`]'s text; anything else is [`Error::Validation`].
    fn from_str(text: &str) -> Result<Checkpoint> {
        let bad = |why: &str| {
            Error::validation(format!("not a change feed checkpoint ({why}): {text:?}"))
        };
        let mut words = text.split_ascii_whitespace();
        if words.next() != Some(CHECKPOINT_TAG) {
            return Err(bad("it does not start with `changes/1`"));
        }
        let stream_arn = words.next().ok_or_else(|| bad("no stream ARN"))?.to_owned();
        let shards = words
            .map(|word| {
                let (shard, position) = word
                    .split_once('=')
                    .ok_or_else(|| bad("a shard without `=`"))?;
                let position = match position {
                    "trim" => ShardPosition::TrimHorizon,
                    "latest" => ShardPosition::Latest,
                    "done" => ShardPosition::Done,
                    digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                        ShardPosition::After(digits.to_owned())
                    }
                    _ => return Err(bad("a position that is not a sequence number")),
                };
                if shard.is_empty() {
                    return Err(bad("an empty shard id"));
                }
                Ok((shard.to_owned(), position))
            })
            .collect::<Result<_>>()?;
        Ok(Checkpoint { stream_arn, shards })
    }
}

/// Where a new feed starts.
#[derive(Debug, Clone)]
enum Start {
    /// Every record the stream still keeps.
    TrimHorizon,
    /// Only changes made after the feed first reads the stream.
    Latest,
    /// Where a checkpoint says.
    Resume(Checkpoint),
}

/// What the feed knows of one shard.
#[derive(Debug)]
struct ShardState {
    id: String,
    parent: Option<String>,
    /// Where a checkpoint resumes it: after the last record handed out.
    delivered: ShardPosition,
    /// Where reading resumes without an iterator: after the last record fetched.
    fetched: ShardPosition,
    /// An iterator after the last record fetched.
    iterator: Option<String>,
    /// Fetched to its end.
    exhausted: bool,
    /// Records fetched and not yet handed out.
    pending: usize,
}

/// A table's change feed, as [`StreamRecord`]s: see the [module documentation](self).
#[derive(Debug)]
pub struct ChangeFeed {
    table: Table,
    start: Start,
    batch_size: usize,
    stream_arn: Option<String>,
    shards: Vec<ShardState>,
    /// Fetched records not yet handed out, with their shard's index in `shards` (which only
    /// changes when nothing is pending).
    pending: VecDeque<(usize, StreamRecord)>,
}

impl Table {
    /// This table's change feed, from the oldest record its newest stream keeps (see
    /// [`ChangeFeed`]): [`ChangeFeed::from_latest`] for only the changes to come,
    /// [`ChangeFeed::resume`] to continue from a checkpoint.
    pub fn changes(&self) -> ChangeFeed {
        ChangeFeed {
            table: self.clone(),
            start: Start::TrimHorizon,
            batch_size: crate::backend::stream::limits::MAX_GET_RECORDS,
            stream_arn: None,
            shards: Vec::new(),
            pending: VecDeque::new(),
        }
    }
}

impl ChangeFeed {
    /// Starts with every record the stream keeps (the default; DynamoDB keeps 24 hours).
    pub fn from_trim_horizon(mut self) -> ChangeFeed {
        self.start = Start::TrimHorizon;
        self
    }

    /// Starts with the changes made after the feed first reads the stream.
    pub fn from_latest(mut self) -> ChangeFeed {
        self.start = Start::Latest;
        self
    }

    /// Continues where `checkpoint` says, on its stream (which may no longer be the table's
    /// newest). Shards the checkpoint does not know are newer: read from their start.
    pub fn resume(mut self, checkpoint: Checkpoint) -> ChangeFeed {
        self.stream_arn = Some(checkpoint.stream_arn.clone());
        self.start = Start::Resume(checkpoint);
        self
    }

    /// Fetches at most `n` records per backend call (1 to 1000; default 1000).
    pub fn batch_size(mut self, n: usize) -> ChangeFeed {
        self.batch_size = n.clamp(1, crate::backend::stream::limits::MAX_GET_RECORDS);
        self
    }

    /// The feed narrowed to entity `M`: its changes decoded into models.
    pub fn entity<M: Model>(self) -> Changes<M> {
        Changes {
            feed: self,
            model: PhantomData,
        }
    }

    /// The table.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The ARN of the stream read, once known (after the first read, or from a checkpoint).
    pub fn stream_arn(&self) -> Option<&str> {
        self.stream_arn.as_deref()
    }

    /// Where the feed is: after the last record handed out, per shard. `None` until the feed
    /// has read its stream once (or was resumed from a checkpoint).
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        match &self.start {
            Start::Resume(checkpoint) if self.shards.is_empty() => Some(checkpoint.clone()),
            _ => Some(Checkpoint {
                stream_arn: self.stream_arn.clone()?,
                shards: self
                    .shards
                    .iter()
                    .map(|s| (s.id.clone(), s.delivered.clone()))
                    .collect(),
            }),
        }
    }

    /// The next record, or `None` when the reader has caught up.
    pub async fn next(&mut self) -> Result<Option<StreamRecord>> {
        if self.pending.is_empty() {
            self.fetch().await?;
        }
        Ok(self.pending.pop_front().map(|(shard, record)| {
            self.delivered(shard, &record);
            record
        }))
    }

    /// The next records (at most the batch size, of one shard), or none when the reader has
    /// caught up.
    pub async fn next_batch(&mut self) -> Result<Vec<StreamRecord>> {
        if self.pending.is_empty() {
            self.fetch().await?;
        }
        let mut batch = Vec::with_capacity(self.pending.len());
        while let Some((shard, record)) = self.pending.pop_front() {
            self.delivered(shard, &record);
            batch.push(record);
        }
        Ok(batch)
    }

    /// Marks a record of shard `shard` handed out.
    fn delivered(&mut self, shard: usize, record: &StreamRecord) {
        let state = &mut self.shards[shard];
        state.pending -= 1;
        state.delivered = if state.pending == 0 && state.exhausted {
            ShardPosition::Done
        } else {
            ShardPosition::After(record.sequence_number.clone())
        };
    }

    /// Fetches the next records into `pending` (nothing when caught up).
    async fn fetch(&mut self) -> Result<()> {
        if self.stream_arn.is_none() {
            self.stream_arn = Some(self.newest_stream().await?);
        }
        if self.shards.is_empty() {
            self.refresh().await?;
        }
        let mut refreshed = false;
        let mut tried: Vec<String> = Vec::new();
        loop {
            // Each readable shard once (a parent read to its end makes its children readable).
            while let Some(i) = self.readable(&tried) {
                let records = self.read(i).await?;
                if !records.is_empty() {
                    self.shards[i].pending += records.len();
                    self.pending.extend(records.into_iter().map(|r| (i, r)));
                    return Ok(());
                }
                tried.push(self.shards[i].id.clone());
            }
            if refreshed {
                return Ok(());
            }
            // New shards (children of closed ones, or after a roll-over).
            self.refresh().await?;
            refreshed = true;
        }
    }

    /// The first shard not yet tried that can be read: not exhausted, and its parent (if the
    /// feed knows it) exhausted.
    fn readable(&self, tried: &[String]) -> Option<usize> {
        self.shards.iter().position(|s| {
            !s.exhausted
                && !tried.contains(&s.id)
                && s.parent.as_ref().is_none_or(|parent| {
                    self.shards
                        .iter()
                        .find(|p| p.id == *parent)
                        .is_none_or(|p| p.exhausted)
                })
        })
    }

    /// One GetRecords on shard `i` (getting an iterator first when needed, and again once if it
    /// expired).
    async fn read(&mut self, i: usize) -> Result<Vec<StreamRecord>> {
        let backend = self.table.backend().clone();
        let arn = self.stream_arn.clone().expect("resolved before reading");
        for attempt in 0..2 {
            let shard = &mut self.shards[i];
            let iterator = match shard.iterator.take() {
                Some(iterator) => iterator,
                None => {
                    let Some(position) = shard.fetched.as_iterator_type() else {
                        shard.exhausted = true;
                        return Ok(Vec::new());
                    };
                    backend
                        .get_shard_iterator(&GetShardIterator::new(&arn, &shard.id, position))
                        .await?
                }
            };
            let request = GetRecords {
                limit: Some(self.batch_size),
                ..GetRecords::new(iterator)
            };
            let out = match backend.get_records(&request).await {
                Err(Error::ExpiredIterator { .. }) if attempt == 0 => continue,
                other => other?,
            };
            let shard = &mut self.shards[i];
            if let Some(last) = out.records.last() {
                shard.fetched = ShardPosition::After(last.sequence_number.clone());
            }
            match out.next_shard_iterator {
                Some(next) => shard.iterator = Some(next),
                None => {
                    shard.exhausted = true;
                    shard.fetched = ShardPosition::Done;
                    if shard.pending == 0 && out.records.is_empty() {
                        shard.delivered = ShardPosition::Done;
                    }
                }
            }
            return Ok(out.records);
        }
        unreachable!("the second attempt returns")
    }

    /// The ARN of the table's newest stream.
    async fn newest_stream(&self) -> Result<String> {
        let backend = self.table.backend();
        let mut request = ListStreams::of_table(self.table.name());
        let mut newest: Option<(String, String)> = None;
        loop {
            let out = backend.list_streams(&request).await?;
            for s in out.streams {
                if newest.as_ref().is_none_or(|(label, _)| s.label > *label) {
                    newest = Some((s.label, s.stream_arn));
                }
            }
            match out.last_evaluated_stream_arn {
                Some(arn) => request.exclusive_start_stream_arn = Some(arn),
                None => break,
            }
        }
        newest
            .map(|(_, arn)| arn)
            .ok_or_else(|| Error::StreamNotFound {
                message: format!(
                    "table `{}` has no stream: enable one first (UpdateTable with a \
                 StreamSpecification)",
                    self.table.name()
                ),
                source: None,
            })
    }

    /// Lists the stream's shards again: new ones join (from where the start or the checkpoint
    /// says), trimmed ones leave.
    async fn refresh(&mut self) -> Result<()> {
        let backend = self.table.backend().clone();
        let arn = self
            .stream_arn
            .clone()
            .expect("resolved before listing shards");
        let mut request = DescribeStream::new(&arn);
        let mut listed = Vec::new();
        loop {
            let out = backend.describe_stream(&request).await?;
            listed.extend(out.shards);
            match out.last_evaluated_shard_id {
                Some(id) => request.exclusive_start_shard_id = Some(id),
                None => break,
            }
        }
        let first_listing = self.shards.is_empty();
        let mut shards = Vec::with_capacity(listed.len());
        for shard in listed {
            if let Some(at) = self.shards.iter().position(|s| s.id == shard.shard_id) {
                shards.push(self.shards.swap_remove(at));
                continue;
            }
            let position = match (&self.start, first_listing) {
                (Start::Resume(checkpoint), _) => checkpoint
                    .shards
                    .iter()
                    .find(|(id, _)| *id == shard.shard_id)
                    .map_or(ShardPosition::TrimHorizon, |(_, p)| p.clone()),
                (Start::Latest, true) if shard.is_closed() => ShardPosition::Done,
                (Start::Latest, true) => ShardPosition::Latest,
                _ => ShardPosition::TrimHorizon,
            };
            let done = position == ShardPosition::Done;
            shards.push(ShardState {
                id: shard.shard_id,
                parent: shard.parent_shard_id,
                delivered: position.clone(),
                fetched: position,
                iterator: None,
                exhausted: done,
                pending: 0,
            });
        }
        // Shards no longer listed were trimmed away (nothing is pending while refreshing).
        self.shards = shards;
        Ok(())
    }
}

/// A change feed narrowed to the entity `M` ([`ChangeFeed::entity`]).
#[derive(Debug)]
pub struct Changes<M> {
    feed: ChangeFeed,
    model: PhantomData<fn() -> M>,
}

/// One change to an item of entity `M`.
#[derive(Debug, Clone, PartialEq)]
pub struct Change<M> {
    /// What happened.
    pub kind: ChangeKind,
    /// The item's primary key attributes.
    pub keys: Item,
    /// The item before the change (`MODIFY` and `REMOVE`, when the stream has old images).
    pub old: Option<M>,
    /// The item after the change (`INSERT` and `MODIFY`, when the stream has new images).
    pub new: Option<M>,
    /// The record's sequence number.
    pub sequence_number: String,
    /// When the change was made (to the second).
    pub approximate_creation: SystemTime,
    /// Whether DynamoDB removed the item because its time to live expired.
    pub ttl_deletion: bool,
}

impl<M: Model> Change<M> {
    /// Decodes a record into a change of `M` with `table`'s layout, or `None` when its item is
    /// another entity's. A record without images (a `KEYS_ONLY` stream) cannot be told apart:
    /// it is returned with both images `None`.
    pub fn from_record(table: &Table, record: StreamRecord) -> Result<Option<Change<M>>> {
        if let Some(image) = record.new_image.as_ref().or(record.old_image.as_ref()) {
            let entity = image.get(&table.config().entity_attribute)?;
            if !matches!(entity.as_deref(), Some(Value::S(e)) if e == M::schema().entity) {
                return Ok(None);
            }
        }
        let ttl_deletion = record.is_ttl_deletion();
        Ok(Some(Change {
            kind: record.event_name,
            keys: record.keys,
            old: record
                .old_image
                .map(|i| table.layout().from_raw_item(i))
                .transpose()?,
            new: record
                .new_image
                .map(|i| table.layout().from_raw_item(i))
                .transpose()?,
            sequence_number: record.sequence_number,
            approximate_creation: record.approximate_creation,
            ttl_deletion,
        }))
    }
}

impl<M: Model> Changes<M> {
    /// The next change of `M`, or `None` when the reader has caught up. Records of other
    /// entities are passed over (and count as handed out).
    pub async fn next(&mut self) -> Result<Option<Change<M>>> {
        while let Some(record) = self.feed.next().await? {
            if let Some(change) = Change::from_record(&self.feed.table, record)? {
                return Ok(Some(change));
            }
        }
        Ok(None)
    }

    /// The next changes of `M` (of one fetch), or none when the reader has caught up.
    pub async fn next_batch(&mut self) -> Result<Vec<Change<M>>> {
        loop {
            let records = self.feed.next_batch().await?;
            if records.is_empty() {
                return Ok(Vec::new());
            }
            let mut changes = Vec::with_capacity(records.len());
            for record in records {
                changes.extend(Change::from_record(&self.feed.table, record)?);
            }
            if !changes.is_empty() {
                return Ok(changes);
            }
        }
    }

    /// The changes until the reader has caught up, as a `futures` stream.
    pub fn stream(&mut self) -> impl futures::Stream<Item = Result<Change<M>>> + '_ {
        futures::stream::try_unfold(self, |changes| async move {
            Ok(changes.next().await?.map(|change| (change, changes)))
        })
    }

    /// Where the reader is ([`ChangeFeed::checkpoint`]).
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        self.feed.checkpoint()
    }

    /// The feed underneath.
    pub fn feed(&self) -> &ChangeFeed {
        &self.feed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_print_and_parse_back() {
        let checkpoint = Checkpoint {
            stream_arn:
                "arn:aws:dynamodb:us-east-1:000000000000:table/app/stream/2026-12-07T08:36:05.888"
                    .into(),
            shards: vec![
                (
                    "shardId-00000001796632565919-e2f516eb".into(),
                    ShardPosition::Done,
                ),
                (
                    "shardId-00000001796632565920-00000001".into(),
                    ShardPosition::After("000000000000000000042".into()),
                ),
                (
                    "shardId-00000001796632565921-00000002".into(),
                    ShardPosition::TrimHorizon,
                ),
                (
                    "shardId-00000001796632565922-00000003".into(),
                    ShardPosition::Latest,
                ),
            ],
        };
        let text = checkpoint.to_string();
        assert!(text.starts_with("changes/1 arn:aws:dynamodb:"), "{text}");
        assert_eq!(text.parse::<Checkpoint>().unwrap(), checkpoint);
        for bad in [
            "",
            "changes/2 arn",
            "changes/1",
            "changes/1 arn shard",
            "changes/1 arn s=x1",
            "changes/1 arn =done",
        ] {
            assert!(
                matches!(bad.parse::<Checkpoint>(), Err(Error::Validation { .. })),
                "{bad}"
            );
        }
    }
}
