//! orm-core's change feed ([`orm_core::changes`]) over the engine's streams: typed changes, the
//! entity filter, order across shards, checkpoints, schema upgrades, expired iterators.

use super::tests::{disable, enable};
use crate::MemoryBackend;
use orm_core::backend::{ChangeKind, PutItem, StreamViewType};
use orm_core::changes::{Checkpoint, ShardPosition};
use orm_core::{Error, Item, Model, ModelExt, Table};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[model(entity = "Order", pk = "CUSTOMER#{customer}", sk = "ORDER#{id}")]
struct Order {
    customer: String,
    id: u64,
    total: u64,
}

#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[model(entity = "Customer", pk = "CUSTOMER#{id}", sk = "PROFILE")]
struct Customer {
    id: String,
}

/// A shopper at schema version 2; version 1 stored `display_name` as `nick`.
#[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[model(entity = "Shopper", pk = "SHOPPER#{id}", sk = "PROFILE")]
#[model(schema_version = 2, upgrade = upgrade_shopper)]
struct Shopper {
    id: String,
    display_name: String,
}

fn upgrade_shopper(mut item: Item, from: u32) -> orm_core::Result<Item> {
    if from == 1 {
        let nick = item.remove("nick").unwrap_or_else(|| "".into());
        item.insert("display_name".into(), nick);
    }
    Ok(item)
}

fn order(id: u64, total: u64) -> Order {
    Order {
        customer: "c1".into(),
        id,
        total,
    }
}

async fn table(view: StreamViewType) -> (MemoryBackend, Table) {
    let backend = MemoryBackend::new();
    let table = Table::new(backend.clone(), "app");
    table
        .create_table::<(Order, Customer, Shopper)>()
        .await
        .unwrap();
    enable(&backend, "app", view).await.unwrap();
    (backend, table)
}

#[tokio::test]
async fn typed_changes_of_one_entity_in_order_and_resumable() {
    let (_, table) = table(StreamViewType::NewAndOldImages).await;
    let mut orders = table.changes().entity::<Order>();
    assert!(orders.checkpoint().is_none(), "no stream read yet");
    order(1, 10).create(&table).await.unwrap();
    Customer { id: "c1".into() }.create(&table).await.unwrap();
    order(1, 20).save(&table).await.unwrap();
    order(2, 5).create(&table).await.unwrap();
    order(1, 20).delete(&table).await.unwrap();

    let first = orders.next().await.unwrap().unwrap();
    assert_eq!(
        (first.kind, first.old, first.new),
        (ChangeKind::Insert, None, Some(order(1, 10)))
    );
    let second = orders.next().await.unwrap().unwrap();
    assert_eq!(
        (second.kind, second.old, second.new),
        (ChangeKind::Modify, Some(order(1, 10)), Some(order(1, 20)))
    );
    assert!(first.sequence_number < second.sequence_number);
    let checkpoint = orders.checkpoint().unwrap();
    let text = checkpoint.to_string();

    // The rest, then nothing: caught up.
    let rest = orders.next_batch().await.unwrap();
    let kinds: Vec<(ChangeKind, Option<Order>)> = rest
        .iter()
        .map(|c| (c.kind, c.new.clone().or(c.old.clone())))
        .collect();
    assert_eq!(
        kinds,
        [
            (ChangeKind::Insert, Some(order(2, 5))),
            (ChangeKind::Remove, Some(order(1, 20)))
        ]
    );
    assert!(orders.next().await.unwrap().is_none());
    assert!(orders.next_batch().await.unwrap().is_empty());

    // Resumed from the checkpoint (as text): the same rest, again.
    let resumed: Checkpoint = text.parse().unwrap();
    let mut again = table.changes().resume(resumed).entity::<Order>();
    let again: Vec<_> = futures::TryStreamExt::try_collect::<Vec<_>>(again.stream())
        .await
        .unwrap();
    assert_eq!(again, rest);

    // Later changes reach a caught-up reader.
    order(3, 1).create(&table).await.unwrap();
    let later = orders.next().await.unwrap().unwrap();
    assert_eq!(later.new, Some(order(3, 1)));

    // The raw feed has every entity's records.
    let mut raw = table.changes().batch_size(2);
    let mut all = Vec::new();
    loop {
        let batch = raw.next_batch().await.unwrap();
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 2);
        all.extend(batch);
    }
    assert_eq!(all.len(), 6);
}

#[tokio::test]
async fn older_schema_versions_are_upgraded_and_newer_ones_refused() {
    let (backend, table) = table(StreamViewType::NewImage).await;
    let v1 = Item::new()
        .with("pk", "SHOPPER#s1")
        .with("sk", "PROFILE")
        .with("__entity", "Shopper")
        .with("id", "s1")
        .with("nick", "Old Nick");
    backend.put_item_now(PutItem::new("app", v1.clone())).await;
    let mut shoppers = table.changes().entity::<Shopper>();
    let change = shoppers.next().await.unwrap().unwrap();
    assert_eq!(
        change.new,
        Some(Shopper {
            id: "s1".into(),
            display_name: "Old Nick".into()
        })
    );
    backend
        .put_item_now(PutItem::new(
            "app",
            v1.with("__schema", 3).with("display_name", "x"),
        ))
        .await;
    let e = shoppers.next().await.unwrap_err();
    assert!(matches!(e, Error::SchemaVersion { stored: 3, .. }), "{e:?}");
}

#[tokio::test]
async fn keys_only_streams_yield_changes_without_images() {
    let (_, table) = table(StreamViewType::KeysOnly).await;
    order(1, 10).create(&table).await.unwrap();
    let change = table
        .changes()
        .entity::<Order>()
        .next()
        .await
        .unwrap()
        .unwrap();
    assert_eq!((change.old, change.new), (None, None));
    assert_eq!(
        change.keys,
        Item::new()
            .with("pk", "CUSTOMER#c1")
            .with("sk", "ORDER#00000000000000000001")
    );
}

#[tokio::test]
async fn parents_are_read_before_children_and_checkpoints_say_done() {
    let (backend, table) = table(StreamViewType::NewImage).await;
    order(1, 1).create(&table).await.unwrap();
    let mut orders = table.changes().entity::<Order>();
    assert_eq!(orders.next().await.unwrap().unwrap().new, Some(order(1, 1)));
    backend.advance_time(Duration::from_secs(4 * 60 * 60 + 1));
    order(2, 2).create(&table).await.unwrap();
    order(3, 3).create(&table).await.unwrap();
    let news: Vec<Option<Order>> = orders
        .next_batch()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.new)
        .collect();
    assert_eq!(news, [Some(order(2, 2)), Some(order(3, 3))]);
    let checkpoint = orders.checkpoint().unwrap();
    assert_eq!(checkpoint.shards.len(), 2);
    assert_eq!(checkpoint.shards[0].1, ShardPosition::Done);
    assert!(matches!(checkpoint.shards[1].1, ShardPosition::After(_)));
    // An iterator held over 15 minutes expires: the feed asks for a new one, losing nothing.
    backend.advance_time(Duration::from_secs(16 * 60));
    order(4, 4).create(&table).await.unwrap();
    assert_eq!(orders.next().await.unwrap().unwrap().new, Some(order(4, 4)));
}

#[tokio::test]
async fn latest_skips_what_was_there_and_a_disabled_stream_ends() {
    let (backend, table) = table(StreamViewType::NewImage).await;
    order(1, 1).create(&table).await.unwrap();
    let mut orders = table.changes().from_latest().entity::<Order>();
    assert!(orders.next().await.unwrap().is_none());
    order(2, 2).create(&table).await.unwrap();
    disable(&backend, "app").await.unwrap();
    order(3, 3).create(&table).await.unwrap();
    assert_eq!(orders.next().await.unwrap().unwrap().new, Some(order(2, 2)));
    assert!(orders.next().await.unwrap().is_none());
    let checkpoint = orders.checkpoint().unwrap();
    assert!(checkpoint
        .shards
        .iter()
        .all(|(_, p)| *p == ShardPosition::Done));

    // A table without a stream: the feed says so.
    orm_core::Backend::delete_table(&backend, "app")
        .await
        .unwrap();
    let plain = Table::new(backend.clone(), "plain");
    plain.create_table::<Order>().await.unwrap();
    let e = plain.changes().next().await.unwrap_err();
    assert!(
        matches!(&e, Error::StreamNotFound { message, .. } if message.contains("has no stream")),
        "{e:?}"
    );
}

impl MemoryBackend {
    /// A put that must succeed (for tests writing raw items).
    async fn put_item_now(&self, request: PutItem) {
        orm_core::Backend::put_item(self, request).await.unwrap();
    }
}
