//! Tables split into parts: writers to different parts proceed at once, reads spanning parts
//! merge them into exactly the order of one map, and batch writes and transactions spanning
//! parts and tables stay atomic and isolated.

use super::*;
use crate::key::KeyPart;
use crate::table::{part_of, PARTS};
use std::future::Future;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Runs one backend operation to completion: MemoryBackend never awaits, so its futures are
/// ready on their first poll (this lets plain threads call it without a runtime).
fn now<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("MemoryBackend operations never wait"),
    }
}

/// The part of an `S` partition key.
fn part(pk: &str) -> usize {
    part_of(&KeyPart::string(pk))
}

/// A partition key `prefix{n}` whose part is (`same`) or is not (`!same`) `of`'s.
fn pk_in(prefix: &str, of: &str, same: bool) -> String {
    (0..)
        .map(|n| format!("{prefix}{n}"))
        .find(|pk| pk != of && (part(pk) == part(of)) == same)
        .expect("some key hashes either way")
}

#[test]
fn a_write_locks_only_its_items_part() {
    let b = MemoryBackend::new();
    now(b.create_table(&definition("app"))).unwrap();
    let other = pk_in("b", "a", false);
    let same = pk_in("c", "a", true);
    let table = b.table_handle("app");
    let held = table.write(part("a"));
    // A put to another part completes while part("a") is write-locked (and so does a read).
    let (done, finished) = mpsc::channel();
    let writer = {
        let (b, other, done) = (b.clone(), other.clone(), done.clone());
        std::thread::spawn(move || {
            now(b.put_item(put(key(&other, "1")))).unwrap();
            now(b.get_item(&get(key(&other, "1")))).unwrap();
            done.send("other").unwrap();
        })
    };
    assert_eq!(finished.recv_timeout(Duration::from_secs(20)), Ok("other"));
    writer.join().unwrap();
    // A put to the held part (another partition key, the same part) waits for the lock.
    let waiter = {
        let (b, same) = (b.clone(), same.clone());
        std::thread::spawn(move || {
            now(b.put_item(put(key(&same, "1")))).unwrap();
            done.send("same").unwrap();
        })
    };
    assert_eq!(
        finished.recv_timeout(Duration::from_millis(300)),
        Err(mpsc::RecvTimeoutError::Timeout)
    );
    drop(held);
    assert_eq!(finished.recv_timeout(Duration::from_secs(20)), Ok("same"));
    waiter.join().unwrap();
    assert_eq!(b.item_count("app"), Some(2));
}

fn merge_definition() -> TableDefinition {
    let pk = key_attr("pk", KeyType::S);
    TableDefinition::new("merge", pk.clone(), Some(key_attr("sk", KeyType::N)))
        .with_index(IndexDefinition::global(
            "gsi",
            key_attr("gpk", KeyType::S),
            Some(key_attr("gsk", KeyType::N)),
            Projection::KeysOnly,
        ))
        .with_index(IndexDefinition::local(
            "lsi",
            pk,
            key_attr("lsk", KeyType::N),
            Projection::All,
        ))
}

/// One stored item of the merge table: `pk`, `sk`, and its index keys when it has them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    pk: String,
    sk: i64,
    gsi: Option<(String, i64)>,
    lsk: i64,
}

impl Row {
    fn item(&self) -> Item {
        let mut item = Item::new()
            .with("pk", self.pk.as_str())
            .with("sk", self.sk)
            .with("lsk", self.lsk);
        if let Some((gpk, gsk)) = &self.gsi {
            item.insert("gpk".into(), gpk.as_str().into());
            item.insert("gsk".into(), (*gsk).into());
        }
        item
    }
}

/// 60 partitions of 5 items, over many parts; GSI keys repeat across partitions (entries tie
/// on the index keys and are ordered by the table keys), a third of the items lack them.
fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for p in 0..60i64 {
        for sk in 0..5i64 {
            let gsi = ((p + sk) % 3 != 0).then(|| {
                let gpk = if (p + sk) % 2 == 0 { "G" } else { "H" };
                (gpk.to_owned(), (p * 7 + sk * 13) % 10)
            });
            rows.push(Row {
                pk: format!("p{p}"),
                sk,
                gsi,
                lsk: (p * 3 + sk) % 4,
            });
        }
    }
    rows
}

/// The `(pk, sk)` of items read.
/// The table keys of the rows in the GSI partition `G` whose index sort key `wanted` accepts,
/// in the index's order (index sort key, then table keys), reversed when not `forward`.
fn gsi_partition_order(
    rows: &[Row],
    wanted: impl Fn(i64) -> bool,
    forward: bool,
) -> Vec<(String, i64)> {
    let mut found: Vec<(i64, String, i64)> = rows
        .iter()
        .filter_map(|r| match &r.gsi {
            Some((gpk, gsk)) if gpk == "G" && wanted(*gsk) => Some((*gsk, r.pk.clone(), r.sk)),
            _ => None,
        })
        .collect();
    found.sort();
    if !forward {
        found.reverse();
    }
    found.into_iter().map(|(_, pk, sk)| (pk, sk)).collect()
}

fn keys_of(items: &[Item]) -> Vec<(String, i64)> {
    items
        .iter()
        .map(|i| {
            let sk = i64::try_from(i["sk"].as_n().unwrap()).unwrap();
            (i["pk"].as_s().unwrap().to_owned(), sk)
        })
        .collect()
}

/// One page's items, after checking that a page that stops early carries the key of its last
/// item (`key_names` of it); and where the next page starts.
fn check_page(page: QueryOutput, key_names: &[&str]) -> (Vec<Item>, Option<Item>) {
    let items: Vec<Item> = page
        .items
        .into_iter()
        .map(|i| i.into_item().unwrap())
        .collect();
    if let Some(lek) = &page.last_evaluated_key {
        let last = items.last().expect("no filter: a stopped page has items");
        let want: Item = key_names
            .iter()
            .map(|n| ((*n).to_owned(), last[*n].clone()))
            .collect();
        assert_eq!(lek, &want);
    }
    (items, page.last_evaluated_key)
}

/// Every page of a read, each checked by [`check_page`]: `read` fetches the page that starts
/// after the key it is given (`None`: the first page).
async fn all_pages(
    key_names: &[&str],
    mut read: impl AsyncFnMut(Option<Item>) -> QueryOutput,
) -> Vec<Item> {
    let mut all = Vec::new();
    let mut start = None;
    loop {
        let (items, next) = check_page(read(start).await, key_names);
        all.extend(items);
        match next {
            Some(k) => start = Some(k),
            None => return all,
        }
    }
}

/// Every page of a query (`limit` per page), each checked by [`check_page`].
async fn query_pages(b: &MemoryBackend, mut q: QueryRequest, key_names: &[&str]) -> Vec<Item> {
    all_pages(key_names, async |start| {
        q.exclusive_start_key = start;
        b.query(&q).await.unwrap()
    })
    .await
}

/// Every page of a scan, each checked by [`check_page`].
async fn scan_pages(b: &MemoryBackend, mut s: ScanRequest, key_names: &[&str]) -> Vec<Item> {
    all_pages(key_names, async |start| {
        s.exclusive_start_key = start;
        b.scan(&s).await.unwrap()
    })
    .await
}

#[tokio::test]
async fn reads_across_parts_keep_one_maps_order_and_pages() {
    let b = MemoryBackend::new();
    b.create_table(&merge_definition()).await.unwrap();
    let rows = rows();
    for row in &rows {
        b.put_item(PutItem::new("merge", row.item())).await.unwrap();
    }
    let parts: BTreeSet<usize> = rows.iter().map(|r| part(&r.pk)).collect();
    assert!(
        parts.len() > PARTS / 2,
        "items spread over parts: {parts:?}"
    );
    let key = |r: &Row| (r.pk.clone(), r.sk);

    // Table scan: partition key (bytes), then sort key; every page size gives the same items.
    let mut want = rows.clone();
    want.sort_by(|a, b| (&a.pk, a.sk).cmp(&(&b.pk, b.sk)));
    let want: Vec<_> = want.iter().map(key).collect();
    for limit in [None, Some(1), Some(7), Some(300)] {
        let mut s = ScanRequest::new("merge");
        s.limit = limit;
        let got = scan_pages(&b, s, &["pk", "sk"]).await;
        assert_eq!(keys_of(&got), want, "limit {limit:?}");
    }
    // Segments: each is the table's order restricted to its partitions.
    for segment in 0..3u32 {
        let mut s = ScanRequest::new("merge");
        s.segment = Some((segment, 3));
        s.limit = Some(4);
        let got = scan_pages(&b, s, &["pk", "sk"]).await;
        let in_segment: Vec<_> = want
            .iter()
            .filter(|(pk, _)| KeyPart::string(pk).segment_hash() % 3 == u64::from(segment))
            .cloned()
            .collect();
        assert_eq!(keys_of(&got), in_segment, "segment {segment}");
    }

    // GSI query, both directions: index sort key, then the table keys.
    for forward in [true, false] {
        let want = gsi_partition_order(&rows, |_| true, forward);
        for limit in [None, Some(1), Some(6)] {
            let mut q = QueryRequest::new("merge", KeyCondition::partition("gpk", "G"));
            q.index = Some("gsi".into());
            q.scan_forward = forward;
            q.limit = limit;
            let got = query_pages(&b, q, &["pk", "sk", "gpk", "gsk"]).await;
            assert_eq!(keys_of(&got), want, "forward {forward}, limit {limit:?}");
        }
        // With a sort-key range.
        let mut q = QueryRequest::new(
            "merge",
            KeyCondition::partition("gpk", "G").with_sort(
                "gsk",
                orm_core::expr::SortKeyCondition::Between(3.into(), 5.into()),
            ),
        );
        q.index = Some("gsi".into());
        q.scan_forward = forward;
        q.limit = Some(4);
        let got = query_pages(&b, q, &["pk", "sk", "gpk", "gsk"]).await;
        let in_range = gsi_partition_order(&rows, |gsk| (3..=5).contains(&gsk), forward);
        assert_eq!(keys_of(&got), in_range);
    }

    // GSI scan: index partition key, index sort key, table keys.
    let mut want: Vec<&Row> = rows.iter().filter(|r| r.gsi.is_some()).collect();
    want.sort_by(|a, b| (&a.gsi, &a.pk, a.sk).cmp(&(&b.gsi, &b.pk, b.sk)));
    let want: Vec<_> = want.into_iter().map(key).collect();
    let mut s = ScanRequest::new("merge");
    s.index = Some("gsi".into());
    s.limit = Some(9);
    let got = scan_pages(&b, s, &["pk", "sk", "gpk", "gsk"]).await;
    assert_eq!(keys_of(&got), want);

    // LSI scan: table partition key, index sort key, table sort key.
    let mut want = rows.clone();
    want.sort_by(|a, b| (&a.pk, a.lsk, a.sk).cmp(&(&b.pk, b.lsk, b.sk)));
    let want: Vec<_> = want.iter().map(key).collect();
    let mut s = ScanRequest::new("merge");
    s.index = Some("lsi".into());
    s.limit = Some(11);
    let got = scan_pages(&b, s, &["pk", "sk", "lsk"]).await;
    assert_eq!(keys_of(&got), want);

    // A snapshot saves its items in the same key order.
    let mut file = Vec::new();
    b.snapshot().write_to(&mut file).unwrap();
    let loaded = Snapshot::read_from(file.as_slice()).unwrap();
    assert_eq!(loaded, b.snapshot());
    let fork = loaded.fork();
    let mut s = ScanRequest::new("merge");
    s.limit = Some(13);
    let want = scan_pages(&b, s.clone(), &["pk", "sk"]).await;
    assert_eq!(scan_pages(&fork, s, &["pk", "sk"]).await, want);
}

/// Partition keys of `count` different parts.
fn keys_in_distinct_parts(count: usize) -> Vec<String> {
    let mut seen = BTreeSet::new();
    (0..)
        .map(|n| format!("k{n}"))
        .filter(|pk| seen.insert(part(pk)))
        .take(count)
        .collect()
}

#[tokio::test]
async fn batch_writes_and_transactions_over_parts_and_tables_are_all_or_nothing() {
    let b = backend().await;
    b.create_table(&definition("other")).await.unwrap();
    let pks = keys_in_distinct_parts(6);
    let everything = |b: &MemoryBackend| (b.snapshot(), b.item_count("app"), b.item_count("other"));
    let before = everything(&b);

    // A batch over both tables and six parts whose last write is invalid: nothing applied.
    let batch = |last: Item| {
        vec![
            BatchWrite::new(
                "app",
                pks.iter()
                    .map(|pk| WriteRequest::Put(key(pk, "1")))
                    .collect(),
            ),
            BatchWrite::new(
                "other",
                pks.iter()
                    .map(|pk| WriteRequest::Put(key(pk, "2")))
                    .chain([WriteRequest::Put(last)])
                    .collect(),
            ),
        ]
    };
    let invalid = Item::new().with("pk", "z");
    assert!(b.batch_write_tables(&batch(invalid)).is_err());
    assert_eq!(everything(&b), before);
    b.batch_write_tables(&batch(key("z", "9"))).unwrap();
    assert_eq!(b.item_count("app"), Some(6));
    assert_eq!(b.item_count("other"), Some(7));
    let before = everything(&b);

    // Transactions over both tables and six parts: a failed condition on the last action, or
    // an invalid update, cancels every action.
    let actions = |last: TransactWriteAction| {
        let mut actions: Vec<TransactWriteAction> = pks
            .iter()
            .map(|pk| {
                TransactWriteAction::Update(update(key(pk, "1"), Update::new().add(attr("n"), 1)))
            })
            .collect();
        actions.extend(pks.iter().map(|pk| {
            TransactWriteAction::Delete(DeleteItem {
                table: "other".into(),
                ..delete(key(pk, "2"))
            })
        }));
        actions.push(last);
        TransactWrite::new(actions)
    };
    let failing_check = TransactWriteAction::ConditionCheck(ConditionCheck::new(
        "other",
        key("z", "9"),
        attr("pk").not_exists(),
    ));
    match b.transact_write(&actions(failing_check)).await {
        Err(Error::TransactionCanceled { reasons }) => {
            assert_eq!(reasons.len(), 13);
            assert_eq!(reasons[12].code, CancellationCode::ConditionalCheckFailed);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(everything(&b), before);
    let invalid_update = TransactWriteAction::Update(UpdateItem {
        table: "other".into(),
        ..update(key("z", "9"), Update::new().add(attr("pk"), 1))
    });
    assert!(b.transact_write(&actions(invalid_update)).await.is_err());
    assert_eq!(everything(&b), before);
    let passing_check = TransactWriteAction::ConditionCheck(ConditionCheck::new(
        "other",
        key("z", "9"),
        attr("pk").exists(),
    ));
    b.transact_write(&actions(passing_check)).await.unwrap();
    assert_eq!(b.item_count("other"), Some(1));
    for pk in &pks {
        assert_eq!(read(&b, key(pk, "1")).await.unwrap()["n"], Value::from(1));
    }
}

#[test]
fn transactions_across_parts_are_isolated_from_every_read() {
    // Accounts in distinct parts; writers move one unit between two of them per transaction
    // (and batch-rewrite two others to the same total); readers must always see the total.
    let b = MemoryBackend::new();
    now(b.create_table(&definition("app"))).unwrap();
    let accounts = keys_in_distinct_parts(8);
    for pk in &accounts {
        now(b.put_item(put(key(pk, "acct").with("n", 100)))).unwrap();
    }
    let total = 100 * accounts.len() as i64;
    let balance = |item: &Item| i64::try_from(item["n"].as_n().unwrap()).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for w in 0..2usize {
            let (b, accounts, stop) = (&b, &accounts, &stop);
            s.spawn(move || {
                for round in 0..300usize {
                    let from = &accounts[(round + w) % accounts.len()];
                    let to = &accounts[(round * 3 + w + 1) % accounts.len()];
                    if from == to {
                        continue;
                    }
                    let t = TransactWrite::new(vec![
                        TransactWriteAction::Update(
                            update(key(from, "acct"), Update::new().add(attr("n"), -1))
                                .with_condition(attr("n").ge(1)),
                        ),
                        TransactWriteAction::Update(update(
                            key(to, "acct"),
                            Update::new().add(attr("n"), 1),
                        )),
                    ]);
                    match now(b.transact_write(&t)) {
                        Ok(()) | Err(Error::TransactionCanceled { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            });
        }
        let (b, accounts, stop) = (&b, &accounts, &stop);
        s.spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || reads < 20 {
                reads += 1;
                let scanned: i64 = now(b.scan(&ScanRequest::new("app")))
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|i| balance(&i.into_item().unwrap()))
                    .sum();
                assert_eq!(scanned, total, "a scan saw a transaction half applied");
                let gets =
                    TransactGet::new(accounts.iter().map(|pk| get(key(pk, "acct"))).collect());
                let got: i64 = now(b.transact_get(&gets))
                    .unwrap()
                    .into_iter()
                    .map(|i| balance(&i.unwrap().into_item().unwrap()))
                    .sum();
                assert_eq!(
                    got, total,
                    "a transactional read saw a transaction half applied"
                );
                let snapshot: i64 = now(b.snapshot().fork().scan(&ScanRequest::new("app")))
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|i| balance(&i.into_item().unwrap()))
                    .sum();
                assert_eq!(
                    snapshot, total,
                    "a snapshot caught a transaction half applied"
                );
            }
        });
    });
}

#[test]
fn one_client_request_token_applies_once_across_parts() {
    // Two different transactions with one token, on items of different parts, at once: one
    // applies, the other is refused, never both.
    let pks = keys_in_distinct_parts(2);
    for round in 0..50 {
        let b = MemoryBackend::new();
        now(b.create_table(&definition("app"))).unwrap();
        let token = format!("token-{round}");
        let results: Vec<Result<()>> = std::thread::scope(|s| {
            let handles: Vec<_> = pks
                .iter()
                .map(|pk| {
                    let (b, token) = (&b, token.clone());
                    s.spawn(move || {
                        now(b.transact_write(
                            &TransactWrite::new(vec![t_put(key(pk, "1"), None)])
                                .with_client_request_token(token),
                        ))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        assert_eq!(b.item_count("app"), Some(1));
    }
}
