//! Change streams, read through the ORM's change feed ([`Table::changes`]): what each view type
//! records, transactions and batches, each item's changes in order, writes that change nothing,
//! resuming from a checkpoint, and a stream disabled then enabled again.
//!
//! Every case needs [`Capabilities::streams`](orm_core::backend::Capabilities) and prints a SKIP
//! line without it. Records are awaited (DynamoDB delivers them within a second or so; the
//! memory engine and DynamoDB Local at once), and what must be absent is checked against a
//! sentinel written last: everything before it has arrived once it has.

use crate::models::{Account, Todo, User};
use orm_core::backend::stream::compare_sequence_numbers;
use orm_core::backend::{
    ChangeKind, DeleteItem, DescribeStream, ListStreams, StreamSpecification, StreamStatus,
    StreamViewType, UpdateTable,
};
use orm_core::changes::{Change, ChangeFeed, Changes, Checkpoint};
use orm_core::{Error, Item, Model, ModelExt, Table};
use std::fmt::Debug;
use std::time::{Duration, Instant};

/// How long a case waits for records to arrive.
const DELIVERY: Duration = Duration::from_secs(30);

/// Whether the backend has streams (a SKIP line when not).
fn has_streams(table: &Table, case: &str) -> bool {
    let yes = table.capabilities().streams;
    if !yes {
        eprintln!("SKIP streams::{case}: this backend has no streams (Capabilities::streams)");
    }
    yes
}

/// Turns the table's stream on (with `view`) or off, as UpdateTable does.
async fn set_stream(table: &Table, spec: StreamSpecification) {
    table
        .backend()
        .update_table(&UpdateTable::new(table.name()).with_streams(spec))
        .await
        .unwrap_or_else(|e| panic!("UpdateTable {spec:?} on {}: {e}", table.name()));
}

async fn enable(table: &Table, view: StreamViewType) {
    set_stream(table, StreamSpecification::Enabled(view)).await;
}

async fn disable(table: &Table) {
    set_stream(table, StreamSpecification::Disabled).await;
}

/// The next `n` changes of `M` (exactly: the feed keeps the rest), waiting for them to arrive.
async fn collect<M: Model + Debug>(changes: &mut Changes<M>, n: usize) -> Vec<Change<M>> {
    let deadline = Instant::now() + DELIVERY;
    let mut out = Vec::new();
    while out.len() < n {
        match changes.next().await.expect("read the change feed") {
            Some(change) => out.push(change),
            None => {
                assert!(
                    Instant::now() < deadline,
                    "only {} of {n} changes arrived in {DELIVERY:?}: {out:#?}",
                    out.len()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    out
}

/// The changes of `M` up to and including the first whose keys are `sentinel`'s.
async fn collect_until<M: Model + Debug>(
    changes: &mut Changes<M>,
    sentinel: &Item,
) -> Vec<Change<M>> {
    let deadline = Instant::now() + DELIVERY;
    let mut out: Vec<Change<M>> = Vec::new();
    while !out.iter().any(|c| c.keys == *sentinel) {
        let batch = changes.next_batch().await.expect("read the change feed");
        if batch.is_empty() {
            assert!(
                Instant::now() < deadline,
                "the sentinel's change did not arrive in {DELIVERY:?}; got {out:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        out.extend(batch);
    }
    out
}

fn user(id: &str, name: &str) -> User {
    User {
        id: id.to_owned(),
        name: name.to_owned(),
        email: None,
    }
}

/// A user's primary key attributes, as a record's `keys`.
fn user_keys(table: &Table, id: &str) -> Item {
    table
        .layout()
        .key_item::<User>(&User::key(id).unwrap())
        .unwrap()
}

fn kinds<M>(changes: &[Change<M>]) -> Vec<ChangeKind> {
    changes.iter().map(|c| c.kind).collect()
}

/// Each view type shows what it says: keys always; the new image (`NEW_IMAGE`,
/// `NEW_AND_OLD_IMAGES`) after an insert or a modify; the old image (`OLD_IMAGE`,
/// `NEW_AND_OLD_IMAGES`) before a modify or a remove. Each view type is its own stream: enabled,
/// written, read, disabled.
pub async fn each_view_type_shows_its_images(table: &Table) {
    if !has_streams(table, "each_view_type_shows_its_images") {
        return;
    }
    for view in StreamViewType::ALL {
        enable(table, view).await;
        let mut changes = table.changes().entity::<User>();
        let id = format!("view-{view}");
        user(&id, "before").create(table).await.unwrap();
        user(&id, "after").save(table).await.unwrap();
        User::delete_key(table, User::key(&id)).await.unwrap();
        let got = collect(&mut changes, 3).await;
        assert_eq!(
            kinds(&got),
            [ChangeKind::Insert, ChangeKind::Modify, ChangeKind::Remove],
            "{view}"
        );
        let keys = user_keys(table, &id);
        assert!(got.iter().all(|c| c.keys == keys), "{view}: {got:#?}");
        let names = |image: fn(&Change<User>) -> Option<&User>| -> Vec<Option<String>> {
            got.iter()
                .map(|c| image(c).map(|u| u.name.clone()))
                .collect()
        };
        let (before, after) = (Some("before".to_owned()), Some("after".to_owned()));
        let new_images = names(|c| c.new.as_ref());
        let old_images = names(|c| c.old.as_ref());
        if view.has_new_image() {
            assert_eq!(new_images, [before.clone(), after.clone(), None], "{view}");
        } else {
            assert_eq!(new_images, [None, None, None], "{view}");
        }
        if view.has_old_image() {
            assert_eq!(old_images, [None, before, after], "{view}");
        } else {
            assert_eq!(old_images, [None, None, None], "{view}");
        }
        disable(table).await;
    }
}

/// A transaction records one change per write action (a condition check records none), and a
/// batch one per put or delete; each item's changes keep their order.
pub async fn transactions_and_batches_record_each_write(table: &Table) {
    if !has_streams(table, "transactions_and_batches_record_each_write") {
        return;
    }
    enable(table, StreamViewType::NewAndOldImages).await;
    let mut changes = table.changes();
    user("checked", "c").create(table).await.unwrap();
    let (mut t1, mut t2) = (
        Account {
            id: "t1".into(),
            coins: 10,
            version: 0,
        },
        Account {
            id: "t2".into(),
            coins: 0,
            version: 0,
        },
    );
    let mut tx_user = user("tx", "in a transaction");
    table
        .transaction()
        .create(&mut t1)
        .create(&mut t2)
        .put(&mut tx_user)
        .check::<User>(User::key("checked"), orm_core::expr::attr("name").eq("c"))
        .commit()
        .await
        .unwrap();
    let batch: Vec<User> = (0..5).map(|i| user(&format!("b{i}"), "batch")).collect();
    table.batch_put(&batch).await.unwrap();
    table
        .batch_delete::<User, _>([User::key("b0"), User::key("b1")])
        .await
        .unwrap();
    // 1 create, 3 transaction writes (the check records nothing), 5 puts, 2 deletes.
    let records = collect_records(&mut changes, 11).await;
    let keys_of = |id: &str| user_keys(table, id);
    let count = |keys: &Item, kind: ChangeKind| {
        records
            .iter()
            .filter(|r| r.keys == *keys && r.event_name == kind)
            .count()
    };
    assert_eq!(count(&keys_of("checked"), ChangeKind::Insert), 1);
    assert_eq!(
        count(&keys_of("checked"), ChangeKind::Modify),
        0,
        "a check writes nothing"
    );
    assert_eq!(count(&keys_of("tx"), ChangeKind::Insert), 1);
    for id in ["t1", "t2"] {
        let keys = table
            .layout()
            .key_item::<Account>(&Account::key(id).unwrap())
            .unwrap();
        assert_eq!(count(&keys, ChangeKind::Insert), 1, "account {id}");
    }
    for (i, removed) in [(0, true), (1, true), (2, false), (3, false), (4, false)] {
        let keys = keys_of(&format!("b{i}"));
        let mine: Vec<ChangeKind> = records
            .iter()
            .filter(|r| r.keys == keys)
            .map(|r| r.event_name)
            .collect();
        let expected: &[ChangeKind] = if removed {
            &[ChangeKind::Insert, ChangeKind::Remove]
        } else {
            &[ChangeKind::Insert]
        };
        assert_eq!(mine, expected, "b{i}");
    }
    let removed = records
        .iter()
        .find(|r| r.event_name == ChangeKind::Remove)
        .expect("a batch delete");
    assert!(removed.old_image.is_some() && removed.new_image.is_none());
    assert!(
        !removed.is_ttl_deletion(),
        "a request's delete is not TTL's"
    );
}

/// The next `n` records of a feed, waiting for them to arrive.
async fn collect_records(feed: &mut ChangeFeed, n: usize) -> Vec<orm_core::backend::StreamRecord> {
    let deadline = Instant::now() + DELIVERY;
    let mut out = Vec::new();
    while out.len() < n {
        let batch = feed.next_batch().await.expect("read the change feed");
        if batch.is_empty() {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} records arrived in {DELIVERY:?}: {out:#?}",
                out.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        out.extend(batch);
    }
    out
}

/// Each item's changes come in the order they were made, with increasing sequence numbers,
/// however they interleave with other items' changes.
pub async fn each_item_s_changes_come_in_order(table: &Table) {
    if !has_streams(table, "each_item_s_changes_come_in_order") {
        return;
    }
    enable(table, StreamViewType::NewImage).await;
    let mut changes = table.changes().entity::<Todo>();
    let todo = |seq: u32| Todo {
        user_id: "u".into(),
        seq,
        title: format!("todo {seq}"),
        status: None,
        views: 0,
    };
    todo(1).create(table).await.unwrap();
    todo(2).create(table).await.unwrap();
    const ROUNDS: u64 = 15;
    for _ in 0..ROUNDS {
        for seq in [1, 2] {
            Todo::update(table, Todo::key("u", seq))
                .increment("views", 1)
                .send()
                .await
                .unwrap();
        }
    }
    let got = collect(&mut changes, 2 + 2 * ROUNDS as usize).await;
    for seq in [1, 2] {
        let keys = table
            .layout()
            .key_item::<Todo>(&Todo::key("u", seq).unwrap())
            .unwrap();
        let mine: Vec<&Change<Todo>> = got.iter().filter(|c| c.keys == keys).collect();
        let views: Vec<u64> = mine
            .iter()
            .map(|c| c.new.as_ref().expect("a new image").views)
            .collect();
        assert_eq!(views, (0..=ROUNDS).collect::<Vec<u64>>(), "todo {seq}");
        assert_eq!(mine[0].kind, ChangeKind::Insert);
        assert!(
            mine.windows(2).all(|w| compare_sequence_numbers(
                &w[0].sequence_number,
                &w[1].sequence_number
            )
            .is_lt()),
            "todo {seq}: sequence numbers increase"
        );
    }
}

/// A write that leaves the table as it was records nothing: a put of an identical item, an
/// update setting a value already there, a delete of a missing item, a refused conditional write.
pub async fn writes_that_change_nothing_record_nothing(table: &Table) {
    if !has_streams(table, "writes_that_change_nothing_record_nothing") {
        return;
    }
    enable(table, StreamViewType::NewAndOldImages).await;
    let mut changes = table.changes().entity::<User>();
    let mut same = user("same", "unchanged");
    same.create(table).await.unwrap();
    same.save(table).await.unwrap();
    User::update(table, User::key("same"))
        .set("name", "unchanged")
        .send()
        .await
        .unwrap();
    table
        .backend()
        .delete_item(&DeleteItem::new(table.name(), user_keys(table, "missing")))
        .await
        .unwrap();
    let refused = user("same", "other").create(table).await.unwrap_err();
    assert!(
        matches!(refused, Error::AlreadyExists { .. }),
        "{refused:?}"
    );
    user("sentinel", "last").create(table).await.unwrap();
    let got = collect_until(&mut changes, &user_keys(table, "sentinel")).await;
    let keys: Vec<&Item> = got.iter().map(|c| &c.keys).collect();
    assert_eq!(
        keys,
        [&user_keys(table, "same"), &user_keys(table, "sentinel")],
        "only the two creates: {got:#?}"
    );
    assert_eq!(kinds(&got), [ChangeKind::Insert, ChangeKind::Insert]);
}

/// A reader that stops keeps a checkpoint (a line of text); a new feed resumed from it hands out
/// exactly the changes after it, those made while no one read included.
pub async fn a_feed_resumes_from_its_checkpoint(table: &Table) {
    if !has_streams(table, "a_feed_resumes_from_its_checkpoint") {
        return;
    }
    enable(table, StreamViewType::NewImage).await;
    let mut first = table.changes().entity::<User>();
    for i in 1..=5 {
        user(&format!("r{i}"), "x").create(table).await.unwrap();
    }
    let read = collect(&mut first, 3).await;
    let text = first
        .checkpoint()
        .expect("a feed that has read has a checkpoint")
        .to_string();
    drop(first);
    for i in 6..=7 {
        user(&format!("r{i}"), "x").create(table).await.unwrap();
    }
    let checkpoint: Checkpoint = text.parse().unwrap();
    let mut resumed = table.changes().resume(checkpoint).entity::<User>();
    let rest = collect(&mut resumed, 4).await;
    let ids: Vec<String> = read
        .iter()
        .chain(&rest)
        .map(|c| c.new.as_ref().expect("a new image").id.clone())
        .collect();
    assert_eq!(ids, ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]);
}

/// Disabling a stream closes it (readable still, its shards closed, its status `DISABLED`);
/// changes made meanwhile are in no stream; enabling again makes a new stream with its own ARN,
/// and the old one stays listed.
pub async fn disabling_and_enabling_again_makes_a_new_stream(table: &Table) {
    if !has_streams(table, "disabling_and_enabling_again_makes_a_new_stream") {
        return;
    }
    enable(table, StreamViewType::NewAndOldImages).await;
    let mut first = table.changes().entity::<User>();
    user("a", "first stream").create(table).await.unwrap();
    assert_eq!(collect(&mut first, 1).await[0].keys, user_keys(table, "a"));
    let first_arn = first.feed().stream_arn().expect("read").to_owned();
    let checkpoint = first.checkpoint().expect("read");

    disable(table).await;
    user("b", "no stream").create(table).await.unwrap();
    enable(table, StreamViewType::KeysOnly).await;
    user("c", "second stream").create(table).await.unwrap();

    let mut second = table.changes().entity::<User>();
    let got = collect(&mut second, 1).await;
    assert_eq!(got[0].keys, user_keys(table, "c"), "{got:#?}");
    let second_arn = second.feed().stream_arn().expect("read").to_owned();
    assert_ne!(second_arn, first_arn, "a new stream has a new ARN");

    let listed = table
        .backend()
        .list_streams(&ListStreams::of_table(table.name()))
        .await
        .unwrap();
    let arns: Vec<&str> = listed
        .streams
        .iter()
        .map(|s| s.stream_arn.as_str())
        .collect();
    assert!(
        arns.contains(&first_arn.as_str()) && arns.contains(&second_arn.as_str()),
        "{arns:?}"
    );
    let old = table
        .backend()
        .describe_stream(&DescribeStream::new(&first_arn))
        .await
        .unwrap();
    assert!(
        matches!(old.status, StreamStatus::Disabled | StreamStatus::Disabling),
        "{:?}",
        old.status
    );
    assert!(old.shards.iter().all(|s| s.is_closed()), "{old:#?}");
    // The old stream, resumed, has nothing more: `b` was made while no stream recorded.
    let mut resumed = table.changes().resume(checkpoint).entity::<User>();
    assert!(resumed.next_batch().await.unwrap().is_empty());
    assert_eq!(resumed.feed().stream_arn(), Some(first_arn.as_str()));
}
