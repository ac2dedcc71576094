//! The engine's streams end to end, through the `Backend` calls.

use super::Retention;
use crate::MemoryBackend;
use orm_core::backend::{
    BatchWrite, ChangeKind, DeleteItem, DescribeStream, GetRecords, GetShardIterator, KeyAttribute,
    KeyType, ListStreams, PutItem, RawItem, ShardIteratorType, StreamRecord, StreamSpecification,
    StreamStatus, StreamViewType, TableDefinition, TransactWrite, TransactWriteAction, UpdateItem,
    UpdateTable, WriteRequest,
};
use orm_core::expr::{attr, Update};
use orm_core::{Backend, Error, Item, Result};
use std::time::Duration;

fn definition(name: &str) -> TableDefinition {
    let (pk, sk) = (
        KeyAttribute::new("pk", KeyType::S),
        KeyAttribute::new("sk", KeyType::N),
    );
    TableDefinition::new(name, pk, Some(sk)).with_ttl("expires")
}

/// Enables a stream of `view` on `table` (UpdateTable).
pub(super) async fn enable(b: &MemoryBackend, table: &str, view: StreamViewType) -> Result<()> {
    b.update_table(&UpdateTable::new(table).with_streams(StreamSpecification::Enabled(view)))
        .await
}

/// Disables the stream of `table` (UpdateTable).
pub(super) async fn disable(b: &MemoryBackend, table: &str) -> Result<()> {
    b.update_table(&UpdateTable::new(table).with_streams(StreamSpecification::Disabled))
        .await
}

/// A backend with table `app`, its stream on with `view`; the stream's ARN.
async fn with_stream(view: StreamViewType) -> (MemoryBackend, String) {
    let b = MemoryBackend::new();
    b.create_table(&definition("app")).await.unwrap();
    enable(&b, "app", view).await.unwrap();
    let arn = latest_arn(&b, "app").await;
    (b, arn)
}

async fn latest_arn(b: &MemoryBackend, table: &str) -> String {
    b.list_streams(&ListStreams::of_table(table))
        .await
        .unwrap()
        .streams[0]
        .stream_arn
        .clone()
}

fn item(pk: &str, sk: u32, v: &str) -> Item {
    Item::new().with("pk", pk).with("sk", sk).with("v", v)
}

fn key(pk: &str, sk: u32) -> Item {
    Item::new().with("pk", pk).with("sk", sk)
}

async fn put(b: &MemoryBackend, item: Item) {
    b.put_item(PutItem::new("app", item)).await.unwrap();
}

async fn iterator(b: &MemoryBackend, arn: &str, position: ShardIteratorType) -> String {
    let shard = first_shard(b, arn).await;
    b.get_shard_iterator(&GetShardIterator::new(arn, shard, position))
        .await
        .unwrap()
}

async fn first_shard(b: &MemoryBackend, arn: &str) -> String {
    b.describe_stream(&DescribeStream::new(arn))
        .await
        .unwrap()
        .shards[0]
        .shard_id
        .clone()
}

/// Every record of every shard of the stream, from the trim horizon, shards in order.
async fn read_all(b: &MemoryBackend, arn: &str) -> Vec<StreamRecord> {
    let description = b.describe_stream(&DescribeStream::new(arn)).await.unwrap();
    let mut records = Vec::new();
    for shard in description.shards {
        let mut it = Some(
            b.get_shard_iterator(&GetShardIterator::new(
                arn,
                &shard.shard_id,
                ShardIteratorType::TrimHorizon,
            ))
            .await
            .unwrap(),
        );
        while let Some(i) = it {
            let out = b.get_records(&GetRecords::new(i)).await.unwrap();
            let empty = out.records.is_empty();
            records.extend(out.records);
            it = out.next_shard_iterator.filter(|_| !empty);
        }
    }
    records
}

fn events(records: &[StreamRecord]) -> Vec<(ChangeKind, Item)> {
    records
        .iter()
        .map(|r| (r.event_name, r.keys.clone()))
        .collect()
}

#[tokio::test]
async fn each_view_type_shows_its_images_and_dynamodb_s_sizes() {
    for view in StreamViewType::ALL {
        let (b, arn) = with_stream(view).await;
        put(&b, item("a", 1, "x")).await;
        put(&b, item("a", 1, "y")).await;
        b.delete_item(&DeleteItem::new("app", key("a", 1)))
            .await
            .unwrap();
        let records = read_all(&b, &arn).await;
        use ChangeKind::*;
        assert_eq!(
            events(&records),
            [
                (Insert, key("a", 1)),
                (Modify, key("a", 1)),
                (Remove, key("a", 1))
            ],
            "{view}"
        );
        let (new, old) = (view.has_new_image(), view.has_old_image());
        let images: Vec<(Option<Item>, Option<Item>)> = records
            .iter()
            .map(|r| {
                let item = |i: &Option<RawItem>| i.as_ref().map(|i| i.to_item().unwrap());
                (item(&r.new_image), item(&r.old_image))
            })
            .collect();
        let shown = |i: Item, on: bool| on.then_some(i);
        assert_eq!(
            images,
            [
                (shown(item("a", 1, "x"), new), None),
                (shown(item("a", 1, "y"), new), shown(item("a", 1, "x"), old)),
                (None, shown(item("a", 1, "y"), old)),
            ],
            "{view}"
        );
        // DynamoDB's sizes: keys 7 bytes (pk: 2+1, sk: 2+2), each image 9; DynamoDB Local
        // reports 16, 25 and 16 for NEW_AND_OLD_IMAGES.
        let sizes: Vec<u64> = records.iter().map(|r| r.size_bytes).collect();
        let image = |on: bool| if on { 9 } else { 0 };
        assert_eq!(
            sizes,
            [7 + image(new), 7 + image(new) + image(old), 7 + image(old)],
            "{view}"
        );
        for r in &records {
            assert_eq!(r.view_type, view);
            assert_eq!(r.sequence_number.len(), 21);
            assert_eq!(r.event_id.len(), 32);
            assert_eq!(r.aws_region, "us-east-1");
            assert!(r.user_identity.is_none());
        }
    }
}

#[tokio::test]
async fn writes_that_change_nothing_record_nothing() {
    let (b, arn) = with_stream(StreamViewType::NewAndOldImages).await;
    put(&b, item("a", 1, "x")).await;
    put(&b, item("a", 1, "x")).await; // identical
    let same = UpdateItem {
        update: Update::new().set(attr("v"), "x"),
        ..UpdateItem::new("app", key("a", 1), Update::new())
    };
    b.update_item(&same).await.unwrap();
    let remove_missing = UpdateItem::new("app", key("a", 1), Update::new().remove(attr("nope")));
    b.update_item(&remove_missing).await.unwrap();
    b.delete_item(&DeleteItem::new("app", key("zz", 1)))
        .await
        .unwrap();
    b.batch_write(BatchWrite::new(
        "app",
        vec![
            WriteRequest::Put(item("a", 1, "x")),
            WriteRequest::Delete(key("zz", 2)),
        ],
    ))
    .await
    .unwrap();
    // A failed condition writes nothing.
    let refused = PutItem {
        condition: Some(attr("pk").not_exists()),
        ..PutItem::new("app", item("a", 1, "z"))
    };
    assert!(b.put_item(refused).await.is_err());
    let records = read_all(&b, &arn).await;
    assert_eq!(events(&records), [(ChangeKind::Insert, key("a", 1))]);
}

#[tokio::test]
async fn transactions_and_batches_record_together_in_action_order() {
    let (b, arn) = with_stream(StreamViewType::NewAndOldImages).await;
    b.create_table(&definition("other")).await.unwrap();
    enable(&b, "other", StreamViewType::KeysOnly).await.unwrap();
    let other = latest_arn(&b, "other").await;
    put(&b, item("d", 1, "x")).await;
    let keys = ["k", "b", "z", "a", "m"];
    let transaction = TransactWrite::new(
        keys.iter()
            .map(|k| TransactWriteAction::Put(PutItem::new("app", item(k, 1, "t"))))
            .chain([
                TransactWriteAction::Delete(DeleteItem::new("app", key("d", 1))),
                TransactWriteAction::Put(PutItem::new("other", item("o", 1, "t"))),
            ])
            .collect(),
    );
    b.transact_write(&transaction).await.unwrap();
    b.batch_write(BatchWrite::new(
        "app",
        vec![
            WriteRequest::Delete(key("k", 1)),
            WriteRequest::Put(item("q", 1, "b")),
            WriteRequest::Put(item("b", 1, "b")),
        ],
    ))
    .await
    .unwrap();
    let records = read_all(&b, &arn).await;
    use ChangeKind::*;
    let mut expected = vec![(Insert, key("d", 1))];
    expected.extend(keys.iter().map(|k| (Insert, key(k, 1))));
    expected.extend([
        (Remove, key("d", 1)),
        (Remove, key("k", 1)),
        (Insert, key("q", 1)),
        (Modify, key("b", 1)),
    ]);
    assert_eq!(events(&records), expected);
    let sequence: Vec<&str> = records.iter().map(|r| r.sequence_number.as_str()).collect();
    assert!(sequence.windows(2).all(|w| w[0] < w[1]), "{sequence:?}");
    // The other table's stream has its own action, keys only.
    let others = read_all(&b, &other).await;
    assert_eq!(events(&others), [(Insert, key("o", 1))]);
    assert!(others[0].new_image.is_none() && others[0].old_image.is_none());
}

#[tokio::test]
async fn iterator_positions_read_from_where_they_say() {
    let (b, arn) = with_stream(StreamViewType::KeysOnly).await;
    for i in 0..5 {
        put(&b, item("a", i, "x")).await;
    }
    let all = read_all(&b, &arn).await;
    let seq = |i: usize| all[i].sequence_number.clone();
    let from =
        |records: Vec<StreamRecord>| -> Vec<Item> { records.into_iter().map(|r| r.keys).collect() };
    let read = |it: String| {
        let b = b.clone();
        async move { b.get_records(&GetRecords::new(it)).await.unwrap() }
    };
    let at = read(iterator(&b, &arn, ShardIteratorType::AtSequenceNumber(seq(2))).await).await;
    assert_eq!(from(at.records), [key("a", 2), key("a", 3), key("a", 4)]);
    let after =
        read(iterator(&b, &arn, ShardIteratorType::AfterSequenceNumber(seq(2))).await).await;
    assert_eq!(from(after.records), [key("a", 3), key("a", 4)]);
    let latest = read(iterator(&b, &arn, ShardIteratorType::Latest).await).await;
    assert!(latest.records.is_empty());
    put(&b, item("a", 9, "x")).await;
    let next = read(latest.next_shard_iterator.expect("an open shard")).await;
    assert_eq!(from(next.records), [key("a", 9)]);
    // A limit, then the rest from the next iterator.
    let first = b
        .get_records(&GetRecords {
            limit: Some(2),
            ..GetRecords::new(iterator(&b, &arn, ShardIteratorType::TrimHorizon).await)
        })
        .await
        .unwrap();
    assert_eq!(from(first.records), [key("a", 0), key("a", 1)]);
    let rest = read(first.next_shard_iterator.unwrap()).await;
    assert_eq!(rest.records.len(), 4);
    // A sequence number before the shard: DynamoDB's ValidationException.
    let shard = first_shard(&b, &arn).await;
    let before = b
        .get_shard_iterator(&GetShardIterator::new(
            &arn,
            &shard,
            ShardIteratorType::AtSequenceNumber("0".repeat(21)),
        ))
        .await
        .unwrap_err();
    assert!(
        before
            .to_string()
            .contains("Invalid SequenceNumber for the shard"),
        "{before}"
    );
    let unknown = b
        .get_shard_iterator(&GetShardIterator::new(
            &arn,
            "shardId-00000000000000000000-00000000",
            ShardIteratorType::Latest,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, Error::StreamNotFound { .. }),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn forged_foreign_and_expired_iterators_are_refused() {
    let (b, arn) = with_stream(StreamViewType::KeysOnly).await;
    put(&b, item("a", 1, "x")).await;
    let it = iterator(&b, &arn, ShardIteratorType::TrimHorizon).await;
    // Forged.
    for forged in [
        "x".repeat(40),
        format!("{it}x"),
        it.replacen("|1|", "|2|", 1),
    ] {
        let e = b.get_records(&GetRecords::new(forged)).await.unwrap_err();
        assert!(
            matches!(&e, Error::ServiceValidation { message, .. } if message == "Invalid ShardIterator"),
            "{e:?}"
        );
    }
    // Foreign: a fork's own streams, and it cannot read this backend's iterators.
    let fork = b.fork();
    let e = fork
        .get_records(&GetRecords::new(it.clone()))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ServiceValidation { .. }), "{e:?}");
    // Another stream's ARN.
    let missing = arn.replace("table/app/", "table/nope/");
    let e = b
        .describe_stream(&DescribeStream::new(&missing))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("stream not found: Requested resource not found: Stream: {missing} not found")
    );
    // Expired: 15 minutes after it was handed out; the next iterator is new.
    let out = b.get_records(&GetRecords::new(it.clone())).await.unwrap();
    b.advance_time(Duration::from_secs(15 * 60 + 1));
    let e = b.get_records(&GetRecords::new(it)).await.unwrap_err();
    assert!(matches!(e, Error::ExpiredIterator { .. }), "{e:?}");
    let e = b
        .get_records(&GetRecords::new(out.next_shard_iterator.unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ExpiredIterator { .. }), "{e:?}");
    let fresh = iterator(&b, &arn, ShardIteratorType::TrimHorizon).await;
    assert_eq!(
        b.get_records(&GetRecords::new(fresh))
            .await
            .unwrap()
            .records
            .len(),
        1
    );
}

#[tokio::test]
async fn disabling_closes_the_stream_and_enabling_makes_a_new_one() {
    let (b, first) = with_stream(StreamViewType::NewImage).await;
    put(&b, item("a", 1, "x")).await;
    let open = iterator(&b, &first, ShardIteratorType::TrimHorizon).await;
    disable(&b, "app").await.unwrap();
    assert!(disable(&b, "app")
        .await
        .unwrap_err()
        .to_string()
        .contains("Table has no stream to disable"));
    put(&b, item("a", 2, "unrecorded")).await;
    enable(&b, "app", StreamViewType::KeysOnly).await.unwrap();
    assert!(enable(&b, "app", StreamViewType::KeysOnly)
        .await
        .unwrap_err()
        .to_string()
        .contains("already has an enabled stream"));
    put(&b, item("a", 3, "x")).await;
    let second = latest_arn(&b, "app").await;
    assert_ne!(first, second);
    let listed = b.list_streams(&ListStreams::of_table("app")).await.unwrap();
    assert_eq!(
        listed
            .streams
            .iter()
            .map(|s| &s.stream_arn)
            .collect::<Vec<_>>(),
        [&second, &first],
        "newest first"
    );
    let old = b
        .describe_stream(&DescribeStream::new(&first))
        .await
        .unwrap();
    assert_eq!(old.status, StreamStatus::Disabled);
    assert!(old.shards.iter().all(|s| s.is_closed()));
    assert_eq!(
        b.describe_stream(&DescribeStream::new(&second))
            .await
            .unwrap()
            .status,
        StreamStatus::Enabled
    );
    // The closed shard reads to its end, then has no next iterator.
    let out = b.get_records(&GetRecords::new(open)).await.unwrap();
    assert_eq!(events(&out.records), [(ChangeKind::Insert, key("a", 1))]);
    assert_eq!(out.next_shard_iterator, None);
    assert_eq!(
        events(&read_all(&b, &second).await),
        [(ChangeKind::Insert, key("a", 3))]
    );
}

#[tokio::test]
async fn a_deleted_table_s_stream_stays_readable_for_24_hours() {
    let (b, arn) = with_stream(StreamViewType::NewAndOldImages).await;
    put(&b, item("a", 1, "x")).await;
    b.delete_table("app").await.unwrap();
    // A new table of the same name, and its own stream.
    b.create_table(&definition("app")).await.unwrap();
    enable(&b, "app", StreamViewType::NewAndOldImages)
        .await
        .unwrap();
    put(&b, item("a", 1, "new table")).await;
    let records = read_all(&b, &arn).await;
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].new_image.as_ref().map(|i| i.to_item().unwrap()),
        Some(item("a", 1, "x"))
    );
    assert_eq!(
        b.describe_stream(&DescribeStream::new(&arn))
            .await
            .unwrap()
            .status,
        StreamStatus::Disabled
    );
    b.advance_time(Duration::from_secs(24 * 60 * 60));
    let e = b
        .describe_stream(&DescribeStream::new(&arn))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::StreamNotFound { .. }), "{e:?}");
    assert_eq!(
        b.list_streams(&ListStreams::default())
            .await
            .unwrap()
            .streams
            .len(),
        1,
        "only the new table's"
    );
}

#[tokio::test]
async fn ttl_deletions_carry_dynamodb_s_identity() {
    let (b, arn) = with_stream(StreamViewType::OldImage).await;
    put(&b, item("a", 1, "x").with("expires", 100)).await;
    put(&b, item("a", 2, "x").with("expires", 300)).await;
    b.delete_item(&DeleteItem::new("app", key("a", 2)))
        .await
        .unwrap();
    assert_eq!(b.purge_expired(200), 1);
    let records = read_all(&b, &arn).await;
    let removals: Vec<(Item, bool)> = records
        .iter()
        .filter(|r| r.event_name == ChangeKind::Remove)
        .map(|r| (r.keys.clone(), r.is_ttl_deletion()))
        .collect();
    assert_eq!(removals, [(key("a", 2), false), (key("a", 1), true)]);
    let ttl = records.last().unwrap().user_identity.clone().unwrap();
    assert_eq!(
        (ttl.kind.as_str(), ttl.principal_id.as_str()),
        ("Service", "dynamodb.amazonaws.com")
    );
}

#[tokio::test]
async fn records_are_trimmed_after_24_hours_and_beyond_the_byte_budget() {
    let (b, arn) = with_stream(StreamViewType::KeysOnly).await;
    put(&b, item("a", 1, "x")).await;
    let it = iterator(&b, &arn, ShardIteratorType::TrimHorizon).await;
    let seq = read_all(&b, &arn).await[0].sequence_number.clone();
    b.advance_time(Duration::from_secs(24 * 60 * 60));
    put(&b, item("a", 2, "x")).await;
    // The old record is gone: reading where it was is DynamoDB's TrimmedDataAccessException
    // (the iterator itself is older than 15 minutes, so get a new one at its position).
    let e = b.get_records(&GetRecords::new(it)).await.unwrap_err();
    assert!(matches!(e, Error::ExpiredIterator { .. }), "{e:?}");
    let shard = first_shard(&b, &arn).await;
    let e = b
        .get_shard_iterator(&GetShardIterator::new(
            &arn,
            &shard,
            ShardIteratorType::AtSequenceNumber(seq),
        ))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TrimmedData { .. }), "{e:?}");
    assert_eq!(
        events(&read_all(&b, &arn).await),
        [(ChangeKind::Insert, key("a", 2))]
    );

    // A stream nobody reads keeps at most its byte budget.
    let small = MemoryBackend::new();
    small.state.streams.set_retention(Retention {
        max_bytes: 10_000,
        ..Retention::default()
    });
    small.create_table(&definition("app")).await.unwrap();
    enable(&small, "app", StreamViewType::NewAndOldImages)
        .await
        .unwrap();
    let stream = small
        .table_handle("app")
        .stream()
        .expect("the stream is enabled");
    let big = "x".repeat(1000);
    for i in 0..100 {
        put(&small, item("a", i, &big)).await;
    }
    let (kept, bytes) = stream.kept();
    assert!(bytes <= 10_000, "{bytes}");
    assert!((5..100).contains(&kept), "{kept}");
    let arn = latest_arn(&small, "app").await;
    let records = read_all(&small, &arn).await;
    assert_eq!(records.len(), kept);
    assert_eq!(
        records.last().unwrap().keys,
        key("a", 99),
        "the newest are kept"
    );
}

#[tokio::test]
async fn shards_roll_over_into_children() {
    let (b, arn) = with_stream(StreamViewType::KeysOnly).await;
    put(&b, item("a", 1, "x")).await;
    b.advance_time(Duration::from_secs(4 * 60 * 60 + 1));
    put(&b, item("a", 2, "x")).await;
    let shards = b
        .describe_stream(&DescribeStream::new(&arn))
        .await
        .unwrap()
        .shards;
    assert_eq!(shards.len(), 2);
    assert!(shards[0].is_closed() && !shards[1].is_closed());
    assert_eq!(
        shards[1].parent_shard_id.as_ref(),
        Some(&shards[0].shard_id)
    );
    assert_eq!(
        events(&read_all(&b, &arn).await),
        [
            (ChangeKind::Insert, key("a", 1)),
            (ChangeKind::Insert, key("a", 2))
        ]
    );
    // Pages of one shard.
    let first = b
        .describe_stream(&DescribeStream {
            limit: Some(1),
            ..DescribeStream::new(&arn)
        })
        .await
        .unwrap();
    assert_eq!(first.shards.len(), 1);
    let rest = b
        .describe_stream(&DescribeStream {
            exclusive_start_shard_id: first.last_evaluated_shard_id,
            ..DescribeStream::new(&arn)
        })
        .await
        .unwrap();
    assert_eq!(rest.shards, shards[1..]);
    assert_eq!(rest.last_evaluated_shard_id, None);
}

#[tokio::test]
async fn a_fork_records_its_own_changes_in_a_new_stream() {
    let (b, arn) = with_stream(StreamViewType::NewImage).await;
    put(&b, item("a", 1, "before the fork")).await;
    let fork = b.fork();
    put(&fork, item("f", 1, "fork")).await;
    put(&b, item("s", 1, "source")).await;
    let fork_arn = latest_arn(&fork, "app").await;
    assert_ne!(fork_arn, arn, "a new stream");
    assert_eq!(
        events(&read_all(&fork, &fork_arn).await),
        [(ChangeKind::Insert, key("f", 1))]
    );
    assert_eq!(
        events(&read_all(&b, &arn).await),
        [
            (ChangeKind::Insert, key("a", 1)),
            (ChangeKind::Insert, key("s", 1))
        ]
    );
    // A snapshot's forks too: the view type is kept, the records are not.
    let again = b.snapshot().fork();
    put(&again, item("g", 1, "x")).await;
    let again_arn = latest_arn(&again, "app").await;
    let records = read_all(&again, &again_arn).await;
    assert_eq!(events(&records), [(ChangeKind::Insert, key("g", 1))]);
    assert_eq!(records[0].view_type, StreamViewType::NewImage);
}

#[test]
fn concurrent_writers_are_recorded_in_commit_order() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (b, arn) = runtime.block_on(with_stream(StreamViewType::NewImage));
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let b = b.clone();
            s.spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    for i in 0..200u32 {
                        // Two keys per thread, rewritten: each key's records must end with its
                        // stored value.
                        let k = format!("t{t}-{}", i % 2);
                        put(&b, item(&k, 1, &i.to_string())).await;
                    }
                });
            });
        }
    });
    let records = runtime.block_on(read_all(&b, &arn));
    assert_eq!(records.len(), 800);
    let sequence: Vec<&str> = records.iter().map(|r| r.sequence_number.as_str()).collect();
    assert!(sequence.windows(2).all(|w| w[0] < w[1]));
    let mut last = std::collections::HashMap::new();
    for r in &records {
        last.insert(
            r.keys.clone(),
            r.new_image.as_ref().unwrap().to_item().unwrap(),
        );
    }
    for (k, image) in last {
        let stored = runtime
            .block_on(b.get_item(&orm_core::backend::GetItem::new("app", k)))
            .unwrap()
            .unwrap()
            .into_item()
            .unwrap();
        assert_eq!(stored, image);
    }
}
