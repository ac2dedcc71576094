//! Concurrency on MemoryBackend: many tasks doing conditional writes, transactions and batch
//! writes on overlapping keys. Invariants: no lost update, no partial transaction (never
//! observed, never stored), no deadlock (every test runs under a timeout).

use orm_core::backend::{
    BatchWrite, GetItem, KeyAttribute, KeyType, PutItem, ScanRequest, TableDefinition, TransactGet,
    TransactWrite, TransactWriteAction, UpdateItem, WriteRequest,
};
use orm_core::expr::{attr, Update};
use orm_core::{Backend, Error, Item, Number, Value};
use orm_memory::MemoryBackend;
use std::sync::Arc;
use std::time::Duration;

const TABLE: &str = "concurrency";
const DEADLINE: Duration = Duration::from_secs(60);

async fn backend() -> Arc<MemoryBackend> {
    let b = MemoryBackend::new();
    let pk = KeyAttribute::new("pk", KeyType::S);
    b.create_table(&TableDefinition::new(TABLE, pk, None))
        .await
        .unwrap();
    Arc::new(b)
}

fn key(k: &str) -> Item {
    Item::new().with("pk", k)
}

fn int(item: &Item, name: &str) -> i64 {
    item[name].as_n().unwrap().as_str().parse().unwrap()
}

async fn get(b: &MemoryBackend, k: &str) -> Option<Item> {
    b.get_item(&GetItem::new(TABLE, key(k)).with_consistent(true))
        .await
        .unwrap()
        .map(|i| i.into_item().unwrap())
}

/// Read-modify-write with a version condition, 8 tasks x 100 increments on one item: all 800
/// land, and every failed attempt was a `ConditionFailed` that changed nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conditional_writes_lose_no_update() {
    let b = backend().await;
    b.put_item(PutItem::new(
        TABLE,
        key("counter").with("n", 0).with("version", 0),
    ))
    .await
    .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let b = Arc::clone(&b);
            tokio::spawn(async move {
                let mut conflicts = 0u32;
                for _ in 0..100 {
                    loop {
                        let item = get(&b, "counter").await.unwrap();
                        let (n, v) = (int(&item, "n"), int(&item, "version"));
                        tokio::task::yield_now().await;
                        let r = b
                            .put_item(
                                PutItem::new(
                                    TABLE,
                                    key("counter").with("n", n + 1).with("version", v + 1),
                                )
                                .with_condition(attr("version").eq(v))
                                .with_return_item_on_condition_failure(true),
                            )
                            .await;
                        match r {
                            Ok(_) => break,
                            Err(Error::ConditionFailed {
                                item: Some(stored), ..
                            }) => {
                                assert!(int(&stored, "version") > v);
                                conflicts += 1;
                            }
                            Err(e) => panic!("{e:?}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    let run = async {
        for t in tasks {
            t.await.unwrap();
        }
    };
    tokio::time::timeout(DEADLINE, run).await.expect("deadlock");
    let item = get(&b, "counter").await.unwrap();
    assert_eq!(int(&item, "n"), 800);
    assert_eq!(int(&item, "version"), 800);
}

/// Atomic counters (`ADD`) from 8 tasks x 200 updates, plus conditional `SET`s that must see
/// the counter below a bound: every increment lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn atomic_adds_lose_no_update() {
    let b = backend().await;
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let b = Arc::clone(&b);
            tokio::spawn(async move {
                for i in 0..200 {
                    b.update_item(&UpdateItem::new(
                        TABLE,
                        key(&format!("c{}", i % 3)),
                        Update::new().add(attr("n"), 1).add(
                            attr("who"),
                            Value::Ss([format!("t{t}")].into_iter().collect()),
                        ),
                    ))
                    .await
                    .unwrap();
                }
            })
        })
        .collect();
    let run = async {
        for t in tasks {
            t.await.unwrap();
        }
    };
    tokio::time::timeout(DEADLINE, run).await.expect("deadlock");
    let total: i64 = ["c0", "c1", "c2"]
        .iter()
        .map(|k| {
            let b = Arc::clone(&b);
            async move { int(&get(&b, k).await.unwrap(), "n") }
        })
        .collect::<futures::future::JoinAll<_>>()
        .await
        .into_iter()
        .sum();
    assert_eq!(total, 1600);
}

fn transfer(from: &str, to: &str, amount: i64) -> TransactWrite {
    let update = |k: &str, delta: i64, condition| {
        TransactWriteAction::Update(
            UpdateItem::new(TABLE, key(k), Update::new().add(attr("coins"), delta))
                .with_condition(condition),
        )
    };
    TransactWrite::new(vec![
        update(from, -amount, Some(attr("coins").ge(amount))),
        update(to, amount, Some(attr("coins").exists())),
    ])
}

const ACCOUNTS: [&str; 5] = ["a0", "a1", "a2", "a3", "a4"];

async fn snapshot(b: &MemoryBackend) -> Vec<i64> {
    let items = b
        .transact_get(&TransactGet::new(
            ACCOUNTS
                .iter()
                .map(|k| GetItem::new(TABLE, key(k)).with_consistent(true))
                .collect(),
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.map(|i| i.into_item().unwrap()))
        .collect::<Vec<_>>();
    items
        .iter()
        .map(|i| int(i.as_ref().unwrap(), "coins"))
        .collect()
}

/// 200 random transfers between the accounts from task `t`: (done, canceled).
async fn transfers(b: Arc<MemoryBackend>, t: u64) -> (u32, u32) {
    let mut x = t.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let (mut done, mut canceled) = (0u32, 0u32);
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let from = ACCOUNTS[(x % 5) as usize];
        let to = ACCOUNTS[((x >> 8) % 5) as usize];
        if from == to {
            continue;
        }
        let amount = ((x >> 16) % 60) as i64 + 1;
        match b.transact_write(&transfer(from, to, amount)).await {
            Ok(()) => done += 1,
            Err(Error::TransactionCanceled { reasons }) => {
                assert_eq!(reasons.len(), 2);
                assert_eq!(
                    reasons[0].code,
                    orm_core::error::CancellationCode::ConditionalCheckFailed
                );
                canceled += 1;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    (done, canceled)
}

/// Five accounts of 100 coins each.
async fn accounts() -> Arc<MemoryBackend> {
    let b = backend().await;
    for k in ACCOUNTS {
        b.put_item(PutItem::new(TABLE, key(k).with("coins", 100)))
            .await
            .unwrap();
    }
    b
}

/// 8 tasks, each running [`transfers`] on `b`.
fn spawn_transfers(b: &Arc<MemoryBackend>) -> Vec<tokio::task::JoinHandle<(u32, u32)>> {
    (0..8u64)
        .map(|t| tokio::spawn(transfers(Arc::clone(b), t)))
        .collect()
}

/// Transfers between 5 accounts from 8 tasks, with concurrent snapshot readers: every snapshot
/// sums to the total (no partial transaction observed), no balance goes negative, and the
/// final total is conserved.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transactions_are_never_partial() {
    let b = accounts().await;
    let writers = spawn_transfers(&b);
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let b = Arc::clone(&b);
            tokio::spawn(async move {
                for _ in 0..300 {
                    let s = snapshot(&b).await;
                    assert_eq!(
                        s.iter().sum::<i64>(),
                        500,
                        "partial transaction seen: {s:?}"
                    );
                    assert!(s.iter().all(|c| *c >= 0), "{s:?}");
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let run = async {
        let mut done = 0;
        for w in writers {
            done += w.await.unwrap().0;
        }
        for r in readers {
            r.await.unwrap();
        }
        done
    };
    let done = tokio::time::timeout(DEADLINE, run).await.expect("deadlock");
    assert!(done > 0);
    let s = snapshot(&b).await;
    assert_eq!(s.iter().sum::<i64>(), 500);
    // A scan agrees with the transactional read.
    let page = b
        .scan(&ScanRequest::new(TABLE).with_consistent(true))
        .await
        .unwrap()
        .sorted()
        .unwrap();
    let total: i64 = page.items.iter().map(|i| int(i, "coins")).sum();
    assert_eq!(total, 500);
}

/// Forks taken while 8 tasks run transfers: each fork holds a whole state (its accounts sum to
/// the total: no transaction half in it), and transfers run in a fork afterwards change neither
/// the original nor the other forks.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forks_taken_during_transactions_are_consistent_and_isolated() {
    let b = accounts().await;
    let writers = spawn_transfers(&b);
    let forker = {
        let b = Arc::clone(&b);
        tokio::spawn(async move {
            let mut forks = Vec::new();
            for _ in 0..50 {
                let fork = b.fork();
                let s = snapshot(&fork).await;
                assert_eq!(
                    s.iter().sum::<i64>(),
                    500,
                    "partial transaction in a fork: {s:?}"
                );
                forks.push((fork, s));
                tokio::task::yield_now().await;
            }
            forks
        })
    };
    let run = async {
        for w in writers {
            w.await.unwrap();
        }
        forker.await.unwrap()
    };
    let forks = tokio::time::timeout(DEADLINE, run).await.expect("deadlock");
    let original = snapshot(&b).await;
    // Each fork still holds what it held when taken, whatever the original did since; then
    // transfers inside one fork move its coins and nobody else's.
    for (fork, taken) in &forks {
        assert_eq!(&snapshot(fork).await, taken);
    }
    let (fork, taken) = &forks[forks.len() / 2];
    let (done, _) = transfers(Arc::new(fork.clone()), 99).await;
    assert!(done > 0);
    let moved = snapshot(fork).await;
    assert_eq!(moved.iter().sum::<i64>(), 500);
    assert_ne!(&moved, taken);
    assert_eq!(snapshot(&b).await, original);
    for (other, taken) in forks.iter().filter(|(f, _)| !std::ptr::eq(f, fork)) {
        assert_eq!(&snapshot(other).await, taken);
    }
}

/// Batch writes (puts and deletes) from 8 tasks on 10 overlapping keys, interleaved with
/// transactions on the same keys: every stored item is one that some writer wrote whole (same
/// generation in every attribute), nothing errors, nothing deadlocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batch_writes_on_overlapping_keys() {
    let b = backend().await;
    let tasks: Vec<_> = (0..8u64)
        .map(|t| {
            let b = Arc::clone(&b);
            tokio::spawn(async move {
                for round in 0..100u64 {
                    let generation = Number::from(t * 1000 + round);
                    let item = |k: u64| {
                        key(&format!("k{k}"))
                            .with("g", Value::N(generation.clone()))
                            .with("h", Value::N(generation.clone()))
                    };
                    if round % 5 == 4 {
                        // A transaction writing 3 of the keys.
                        let actions = (0..3)
                            .map(|i| {
                                TransactWriteAction::Put(PutItem::new(
                                    TABLE,
                                    item((round + i * 3) % 10),
                                ))
                            })
                            .collect();
                        b.transact_write(&TransactWrite::new(actions))
                            .await
                            .unwrap();
                        continue;
                    }
                    let writes = (0..10u64)
                        .filter(|k| (k + round + t) % 3 != 0)
                        .map(|k| {
                            if (k + round) % 7 == 0 {
                                WriteRequest::Delete(key(&format!("k{k}")))
                            } else {
                                WriteRequest::Put(item(k))
                            }
                        })
                        .collect();
                    let out = b.batch_write(BatchWrite::new(TABLE, writes)).await.unwrap();
                    assert!(out.unprocessed.is_empty());
                }
            })
        })
        .collect();
    let run = async {
        for t in tasks {
            t.await.unwrap();
        }
    };
    tokio::time::timeout(DEADLINE, run).await.expect("deadlock");
    for k in 0..10 {
        if let Some(item) = get(&b, &format!("k{k}")).await {
            assert_eq!(item["g"], item["h"], "{item:?}");
            let g = int(&item, "g");
            assert!(g % 1000 < 100 && g / 1000 < 8, "{item:?}");
        }
    }
}
