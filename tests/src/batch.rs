//! Batch writes and reads that never lose an item, proven through the fault-injection layer.

use crate::models::*;
use orm_core::error::Unprocessed;
use orm_core::fault::{FaultConfig, FaultInjection};
use orm_core::{Error, Key, ModelExt, Table};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn todos(user: &str, n: u32) -> Vec<Todo> {
    (0..n)
        .map(|seq| Todo {
            user_id: user.into(),
            seq,
            title: format!("t{seq}"),
            status: Some("open".into()),
            views: 0,
        })
        .collect()
}

/// The same table seen through a fault-injection layer.
fn faulty(table: &Table, config: FaultConfig) -> (Table, FaultInjection) {
    let layer = FaultInjection::new(table.backend().clone(), config);
    let t = Table::with_config(
        Arc::new(layer.clone()),
        table.name(),
        table.config().clone(),
    )
    .reconfigure(|c| {
        // Injected faults need no real back-off: retry at once, so the suite measures the
        // backend rather than sleeps.
        c.batch.base_delay = Duration::ZERO;
        c.batch.max_delay = Duration::from_millis(1);
        // Faults are drawn per item and per attempt, and concurrent chunks draw in no fixed
        // order, so the seed does not pin which items fail. With the default 10 attempts an
        // item left unprocessed 30% of the time stays unprocessed with p = 0.3^10 = 6e-6, and
        // over 20,000 writes and reads that fails about one run in eight. With 40 attempts the
        // chance is 0.4^40 * 20,000 < 1e-11 even at the throttling case's 40% per attempt.
        // Tests that want exhaustion lower this again.
        c.batch.max_attempts = 40;
    });
    (t, layer)
}

/// [`faulty`], leaving `share` of the batch entries unprocessed on every attempt (drawn from
/// `seed`).
fn leaving_unprocessed(table: &Table, share: f64, seed: u64) -> (Table, FaultInjection) {
    let config = FaultConfig {
        unprocessed: share,
        seed,
        ..FaultConfig::default()
    };
    faulty(table, config)
}

/// The value of one of the fault layer's counters.
fn count(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// batch_create of 10,000 items with 30% left unprocessed on every attempt stores all 10,000.
pub async fn batch_create_survives_unprocessed_items(table: &Table) {
    let (t, layer) = leaving_unprocessed(table, 0.3, 42);
    let mut items = todos("bulk", 10_000);
    Todo::batch_create(&t, &mut items).await.unwrap();
    assert!(count(&layer.stats().unprocessed) > 1000);
    let got = Todo::batch_get(table, items.iter().map(|t| Todo::key("bulk", t.seq)))
        .await
        .unwrap();
    assert_eq!(got.iter().filter(|x| x.is_some()).count(), 10_000);
    assert_eq!(
        got.into_iter().map(Option::unwrap).collect::<Vec<_>>(),
        items
    );
    // Creating again finds the keys taken and writes nothing.
    assert_error!(
        Todo::batch_create(table, &mut items[..10]).await,
        AlreadyExists
    );
}

/// Throttling and transient errors are retried too.
pub async fn batch_survives_throttling(table: &Table) {
    let (t, layer) = faulty(
        table,
        FaultConfig {
            unprocessed: 0.1,
            throttle: 0.2,
            transient: 0.1,
            seed: 3,
            ..FaultConfig::default()
        },
    );
    let items = todos("thr", 500);
    Todo::batch_put(&t, &items).await.unwrap();
    let got = Todo::batch_get(&t, items.iter().map(|t| Todo::key("thr", t.seq)))
        .await
        .unwrap();
    assert!(got.iter().all(Option::is_some));
    assert!(count(&layer.stats().throttled) > 0);
}

/// With retries exhausted, the error lists exactly the missing items: those are absent and
/// every other item is stored.
pub async fn exhausted_retries_report_exactly_the_missing(table: &Table) {
    let (t, _) = leaving_unprocessed(table, 0.5, 9);
    let t = t.reconfigure(|c| c.batch.max_attempts = 2);
    let items = todos("ex", 400);
    let err = Todo::batch_put(&t, &items).await.unwrap_err();
    let Error::BatchIncomplete {
        unprocessed, total, ..
    } = err
    else {
        panic!("expected BatchIncomplete, got {err:?}");
    };
    assert_eq!(total, 400);
    assert!(!unprocessed.is_empty() && unprocessed.len() < 400);
    let missing: BTreeSet<String> = unprocessed
        .iter()
        .map(|e| match e {
            Unprocessed::Put(item) => item.get("sk").unwrap().as_s().unwrap().to_owned(),
            other => panic!("unexpected entry {other:?}"),
        })
        .collect();
    assert_eq!(
        missing.len(),
        unprocessed.len(),
        "each missing item listed once"
    );
    let got = Todo::batch_get(table, items.iter().map(|t| Todo::key("ex", t.seq)))
        .await
        .unwrap();
    for (item, stored) in items.iter().zip(got) {
        let sk = Todo::sort_key(item.seq).unwrap().as_s().unwrap().to_owned();
        assert_eq!(stored.is_none(), missing.contains(&sk), "{sk}");
    }
}

/// batch_get of 250 keys with duplicates and missing items: the right Option at every position.
pub async fn batch_get_answers_every_position(table: &Table) {
    let items = todos("bg", 100);
    Todo::batch_put(table, &items).await.unwrap();
    let seqs: Vec<u32> = (0..250).map(|i| (i * 7) % 160).collect();
    let keys: Vec<Key> = seqs.iter().map(|s| Todo::key("bg", *s).unwrap()).collect();
    let got = Todo::batch_get(table, keys).await.unwrap();
    assert_eq!(got.len(), 250);
    for (seq, got) in seqs.iter().zip(got) {
        match got {
            Some(t) => assert_eq!(t.seq, *seq),
            None => assert!(*seq >= 100, "{seq} should be found"),
        }
    }
}

/// Two writes to one key in one batch are rejected up front, naming the key; nothing is written.
pub async fn duplicate_keys_in_a_batch_write(table: &Table) {
    let mut items = todos("dup", 30);
    items.push(items[3].clone());
    let e = Todo::batch_put(table, &items)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("TODO#0000000003") && e.contains("twice"), "{e}");
    assert!(Todo::batch_get(table, [Todo::key("dup", 0u32)])
        .await
        .unwrap()[0]
        .is_none());
}

/// batch_delete removes exactly the keys given.
pub async fn batch_delete(table: &Table) {
    let items = todos("del", 60);
    Todo::batch_put(table, &items).await.unwrap();
    Todo::batch_delete(
        table,
        (0..60u32)
            .filter(|s| s % 2 == 0)
            .map(|s| Todo::key("del", s)),
    )
    .await
    .unwrap();
    let got = Todo::batch_get(table, (0..60u32).map(|s| Todo::key("del", s)))
        .await
        .unwrap();
    for (s, g) in got.iter().enumerate() {
        assert_eq!(g.is_some(), s % 2 == 1);
    }
}
