//! Running one operation on a backend, comparing a sequence's outcomes on two backends, and the
//! seeded runs of `differential_sequences`.

use crate::generators::arb_sequence;
use crate::streams::{has_empty_map, stream_contents};
use crate::{BatchOp, MultiIndex, Op, TxOp};
use orm_core::backend::{
    BatchGet, BatchWrite, ConditionCheck, DeleteItem, GetItem, IndexDefinition, KeyAttribute,
    KeyType, Projection, PutItem, QueryOutput, QueryRequest, ScanRequest, StreamSpecification,
    StreamViewType, TableDefinition, TransactGet, TransactWrite, TransactWriteAction, UpdateItem,
    UpdateTable, WriteRequest,
};
use orm_core::error::CancellationCode;
use orm_core::expr::KeyCondition;
use orm_core::{Backend, Error, Item, Value};
use orm_memory::server::MemoryServer;
use orm_memory::MemoryBackend;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What an operation returned, normalised for comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Item(Option<Item>),
    Pages(Vec<PageOutcome>),
    Scanned {
        items: Vec<Item>,
        count: u32,
        scanned: u32,
    },
    /// An index query: DynamoDB leaves the order of items with equal index keys unspecified
    /// (DynamoDB Local orders them by a hash), so items are compared over all pages, sorted
    /// within each run of equal index sort keys, with the totals.
    IndexPages {
        items: Vec<Item>,
        pages: usize,
        count: u64,
        scanned: u64,
    },
    Items(Vec<Option<Item>>),
    Unit,
    Err(ErrorKind),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PageOutcome {
    pub(crate) items: Vec<Item>,
    pub(crate) count: u32,
    pub(crate) scanned_count: u32,
    pub(crate) last_evaluated_key: Option<Item>,
}

impl From<QueryOutput> for PageOutcome {
    fn from(p: QueryOutput) -> Self {
        PageOutcome {
            items: p
                .items
                .into_iter()
                .map(|i| i.into_item().unwrap())
                .collect(),
            count: p.count,
            scanned_count: p.scanned_count,
            last_evaluated_key: p.last_evaluated_key,
        }
    }
}

/// An error, by kind and by what DynamoDB specifies about it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ErrorKind {
    /// The ORM's rejection before sending (an empty batch or transaction).
    Validation,
    /// The service's rejection (DynamoDB's `ValidationException`, MemoryBackend's checks).
    ServiceValidation,
    ConditionFailed(Option<Item>),
    TransactionCanceled(Vec<(CancellationCode, Option<Item>)>),
    TableNotFound,
    Other(String),
}

pub(crate) fn kind(e: &Error) -> ErrorKind {
    match e {
        Error::Validation { .. } => ErrorKind::Validation,
        Error::ServiceValidation { .. } => ErrorKind::ServiceValidation,
        Error::ConditionFailed { item, .. } => ErrorKind::ConditionFailed(item.as_deref().cloned()),
        Error::TransactionCanceled { reasons } => ErrorKind::TransactionCanceled(
            reasons
                .iter()
                .map(|r| (r.code.clone(), r.item.clone()))
                .collect(),
        ),
        Error::TableNotFound { .. } => ErrorKind::TableNotFound,
        other => ErrorKind::Other(format!("{other:?}")),
    }
}

fn outcome<T>(r: orm_core::Result<T>, f: impl FnOnce(T) -> Outcome) -> Outcome {
    match r {
        Ok(v) => f(v),
        Err(e) => Outcome::Err(kind(&e)),
    }
}

pub(crate) fn definition(name: &str) -> TableDefinition {
    let s = |n: &str| KeyAttribute {
        name: n.into(),
        key_type: KeyType::S,
    };
    TableDefinition {
        name: name.into(),
        partition_key: s("pk"),
        sort_key: Some(s("sk")),
        indexes: vec![IndexDefinition {
            name: "gsi".into(),
            local: false,
            partition_key: s("gpk"),
            sort_key: Some(KeyAttribute {
                name: "gsk".into(),
                key_type: KeyType::N,
            }),
            extra_partition_keys: Vec::new(),
            extra_sort_keys: Vec::new(),
            projection: Projection::All,
        }],
        ttl_attribute: None,
    }
}

/// [`definition`] with the multi-attribute index `mgsi` of `multi` (none when it has no
/// partition attributes).
pub(crate) fn definition_with(name: &str, multi: &MultiIndex) -> TableDefinition {
    let mut table = definition(name);
    if let Some((first, extra)) = multi.partition.split_first() {
        let (sort_key, extra_sort_keys) = match multi.sort.split_first() {
            Some((s, rest)) => (Some(s.clone()), rest.to_vec()),
            None => (None, Vec::new()),
        };
        table.indexes.push(IndexDefinition {
            name: MULTI_INDEX.into(),
            local: false,
            partition_key: first.clone(),
            sort_key,
            extra_partition_keys: extra.to_vec(),
            extra_sort_keys,
            projection: Projection::All,
        });
    }
    table
}

/// The name of the multi-attribute index.
pub(crate) const MULTI_INDEX: &str = "mgsi";

/// The names every multi-attribute index's sort attributes are taken from, in order.
const MULTI_SORT_NAMES: &[&str] = &["r1", "r2", "r3", "r4"];

const MAX_PAGES: usize = 20;

/// Every page of `request` (at most `MAX_PAGES`), following `LastEvaluatedKey`; an error on the
/// first page is the outcome, a later one ends the pages with a marker page.
async fn query_pages(
    backend: &dyn Backend,
    mut request: QueryRequest,
) -> Result<Vec<PageOutcome>, Outcome> {
    let mut pages = Vec::new();
    for _ in 0..MAX_PAGES {
        match backend.query(&request).await {
            Ok(page) => {
                let next = page.last_evaluated_key.clone();
                pages.push(PageOutcome::from(page));
                match next {
                    Some(k) => request.exclusive_start_key = Some(k),
                    None => break,
                }
            }
            Err(e) => {
                if pages.is_empty() {
                    return Err(Outcome::Err(kind(&e)));
                }
                pages.push(PageOutcome {
                    items: vec![],
                    count: u32::MAX,
                    scanned_count: u32::MAX,
                    last_evaluated_key: None,
                });
                break;
            }
        }
    }
    drop_empty_last_page(&mut pages);
    Ok(pages)
}

/// Every page of `request`, its items sorted (DynamoDB leaves a scan's order unspecified).
async fn scan_all(backend: &dyn Backend, mut request: ScanRequest) -> Outcome {
    let (mut items, mut count, mut scanned) = (Vec::new(), 0, 0);
    for _ in 0..100 {
        match backend.scan(&request).await {
            Ok(page) => {
                items.extend(page.items.into_iter().map(|i| i.into_item().unwrap()));
                count += page.count;
                scanned += page.scanned_count;
                match page.last_evaluated_key {
                    Some(k) => request.exclusive_start_key = Some(k),
                    None => break,
                }
            }
            Err(e) => return Outcome::Err(kind(&e)),
        }
    }
    items.sort_by_key(|i| format!("{i:?}"));
    Outcome::Scanned {
        items,
        count,
        scanned,
    }
}

/// Runs one operation on one backend.
pub(crate) async fn run_op(backend: &dyn Backend, table: &str, op: &Op) -> Outcome {
    let t = table.to_owned();
    match op.clone() {
        Op::Put {
            item,
            condition,
            return_values,
        } => outcome(
            backend
                .put_item(
                    PutItem::new(t, item)
                        .with_condition(condition)
                        .with_return_values(return_values)
                        .with_return_item_on_condition_failure(true),
                )
                .await,
            Outcome::Item,
        ),
        Op::Update {
            key,
            update,
            condition,
            return_values,
        } => outcome(
            backend
                .update_item(
                    &UpdateItem::new(t, key, update)
                        .with_condition(condition)
                        .with_return_values(return_values)
                        .with_return_item_on_condition_failure(true),
                )
                .await,
            Outcome::Item,
        ),
        Op::Delete {
            key,
            condition,
            return_values,
        } => outcome(
            backend
                .delete_item(
                    &DeleteItem::new(t, key)
                        .with_condition(condition)
                        .with_return_values(return_values)
                        .with_return_item_on_condition_failure(true),
                )
                .await,
            Outcome::Item,
        ),
        Op::Get { key, projection } => outcome(
            backend
                .get_item(
                    &GetItem::new(t, key)
                        .with_consistent(true)
                        .with_projection(projection),
                )
                .await
                .map(|item| item.map(|i| i.into_item().unwrap())),
            Outcome::Item,
        ),
        Op::Query {
            index,
            partition,
            sort,
            filter,
            projection,
            limit,
            forward,
            count_only,
        } => {
            let (pk, sk) = if index { ("gpk", "gsk") } else { ("pk", "sk") };
            let key_condition = KeyCondition {
                extra_partition: Vec::new(),
                sort_prefix: Vec::new(),
                partition_name: pk.into(),
                partition_value: partition,
                sort: sort.map(|c| (sk.to_owned(), c)),
            };
            let mut request = QueryRequest::new(t, key_condition)
                .with_filter(filter)
                .with_projection(projection)
                .with_limit(limit)
                .with_scan_forward(forward)
                .with_count_only(count_only);
            request.index = index.then(|| "gsi".to_owned());
            match query_pages(backend, request).await {
                Ok(pages) if index => index_pages(pages, &["gsk"]),
                Ok(pages) => Outcome::Pages(pages),
                Err(e) => e,
            }
        }
        Op::MultiQuery {
            key,
            filter,
            limit,
            forward,
            count_only,
        } => {
            let request = QueryRequest::new(t, key)
                .with_index(MULTI_INDEX)
                .with_filter(filter)
                .with_limit(limit)
                .with_scan_forward(forward)
                .with_count_only(count_only);
            match query_pages(backend, request).await {
                Ok(pages) => index_pages(pages, MULTI_SORT_NAMES),
                Err(e) => e,
            }
        }
        Op::MultiScan { limit } => {
            scan_all(
                backend,
                ScanRequest::new(t)
                    .with_index(MULTI_INDEX)
                    .with_limit(limit),
            )
            .await
        }
        Op::Scan {
            index,
            filter,
            limit,
            count_only,
        } => {
            let mut request = ScanRequest::new(t)
                .with_filter(filter)
                .with_limit(limit)
                .with_count_only(count_only);
            request.index = index.then(|| "gsi".to_owned());
            scan_all(backend, request).await
        }
        Op::BatchWrite(writes) => outcome(
            backend
                .batch_write(BatchWrite::new(
                    t,
                    writes
                        .into_iter()
                        .map(|w| match w {
                            BatchOp::Put(i) => WriteRequest::Put(i),
                            BatchOp::Delete(k) => WriteRequest::Delete(k),
                        })
                        .collect(),
                ))
                .await,
            |out| {
                if out.unprocessed.is_empty() {
                    Outcome::Unit
                } else {
                    Outcome::Err(ErrorKind::Other("unprocessed writes".into()))
                }
            },
        ),
        Op::BatchGet(keys) => outcome(
            backend
                .batch_get(&BatchGet::new(t, keys).with_consistent(true))
                .await,
            |out| {
                let mut items: Vec<Option<Item>> = out
                    .items
                    .into_iter()
                    .map(|item| Some(item.into_item().unwrap()))
                    .collect();
                items.sort_by_key(|i| format!("{i:?}"));
                if !out.unprocessed_keys.is_empty() {
                    items.push(None);
                }
                Outcome::Items(items)
            },
        ),
        Op::Transact(actions) => outcome(
            backend
                .transact_write(&TransactWrite::new(
                    actions.into_iter().map(|a| tx_action(&t, a)).collect(),
                ))
                .await,
            |()| Outcome::Unit,
        ),
        Op::TransactGet(keys) => outcome(
            backend
                .transact_get(&TransactGet::new(
                    keys.into_iter()
                        .map(|key| GetItem::new(t.clone(), key))
                        .collect(),
                ))
                .await
                .map(|items| {
                    items
                        .into_iter()
                        .map(|item| item.map(|i| i.into_item().unwrap()))
                        .collect()
                }),
            Outcome::Items,
        ),
    }
}

/// A page that reached `Limit` may or may not carry a `LastEvaluatedKey` when nothing is left
/// (DynamoDB documents that it may; DynamoDB Local omits it when the last item read equals the
/// inclusive bound it was reading towards, MemoryBackend always returns it): a final page that
/// read nothing is dropped, with the key that led to it.
fn drop_empty_last_page(pages: &mut Vec<PageOutcome>) {
    while pages.len() >= 2 {
        let last = &pages[pages.len() - 1];
        let empty = last.items.is_empty()
            && last.count == 0
            && last.scanned_count == 0
            && last.last_evaluated_key.is_none();
        if !empty {
            break;
        }
        pages.pop();
        if let Some(p) = pages.last_mut() {
            p.last_evaluated_key = None;
        }
    }
}

/// An index query's pages as one [`Outcome::IndexPages`]: items with equal values of the index's
/// sort attributes (`sort`, all of them when the index has no sort key) in a canonical order.
fn index_pages(pages: Vec<PageOutcome>, sort: &[&str]) -> Outcome {
    let (mut items, mut count, mut scanned) = (Vec::new(), 0u64, 0u64);
    let n = pages.len();
    for p in pages {
        items.extend(p.items);
        count += u64::from(p.count);
        scanned += u64::from(p.scanned_count);
    }
    let mut sorted: Vec<Item> = Vec::with_capacity(items.len());
    let mut run: Vec<Item> = Vec::new();
    for item in items {
        let sort_key = |i: &Item| sort.iter().map(|n| i.get(*n).cloned()).collect::<Vec<_>>();
        if run.first().is_some_and(|r| sort_key(r) != sort_key(&item)) {
            run.sort_by_key(|i| format!("{i:?}"));
            sorted.append(&mut run);
        }
        run.push(item);
    }
    run.sort_by_key(|i| format!("{i:?}"));
    sorted.append(&mut run);
    Outcome::IndexPages {
        items: sorted,
        pages: n,
        count,
        scanned,
    }
}

fn tx_action(table: &str, op: TxOp) -> TransactWriteAction {
    match op {
        TxOp::Put(item, condition) => TransactWriteAction::Put(
            PutItem::new(table, item)
                .with_condition(condition)
                .with_return_item_on_condition_failure(true),
        ),
        TxOp::Update(key, update, condition) => TransactWriteAction::Update(
            UpdateItem::new(table, key, update)
                .with_condition(condition)
                .with_return_item_on_condition_failure(true),
        ),
        TxOp::Delete(key, condition) => TransactWriteAction::Delete(
            DeleteItem::new(table, key)
                .with_condition(condition)
                .with_return_item_on_condition_failure(true),
        ),
        TxOp::Check(key, condition) => TransactWriteAction::ConditionCheck(
            ConditionCheck::new(table, key, condition).with_return_item_on_condition_failure(true),
        ),
    }
}

/// The final contents of a table, sorted.
pub(crate) async fn contents(backend: &dyn Backend, table: &str) -> Outcome {
    run_op(
        backend,
        table,
        &Op::Scan {
            index: false,
            filter: None,
            limit: None,
            count_only: false,
        },
    )
    .await
}

/// The valid primary key an action targets, if it has one.
fn target_key(op: &TxOp) -> Option<(String, String)> {
    let item = match op {
        TxOp::Put(item, _) => item,
        TxOp::Update(key, ..) | TxOp::Delete(key, _) | TxOp::Check(key, _) => key,
    };
    match (item.get("pk"), item.get("sk")) {
        (Some(Value::S(p)), Some(Value::S(s))) if !p.is_empty() && !s.is_empty() => {
            Some((p.clone(), s.clone()))
        }
        _ => None,
    }
}

/// A transaction touching one item twice: DynamoDB rejects it up front (`ServiceValidation`), and so
/// does MemoryBackend; DynamoDB Local does so only when no condition on that item failed first,
/// else it cancels the transaction (its reasons even show later actions' writes). Both are
/// errors that write nothing (the final contents are still compared), so either kind is
/// accepted from either backend for such a request.
fn both_reject_one_item_twice(op: &Op, memory: &Outcome, dynamo: &Outcome) -> bool {
    let Op::Transact(actions) = op else {
        return false;
    };
    let mut seen = std::collections::BTreeSet::new();
    let twice = actions
        .iter()
        .filter_map(target_key)
        .any(|k| !seen.insert(k));
    let rejected = |o: &Outcome| {
        matches!(
            o,
            Outcome::Err(ErrorKind::ServiceValidation | ErrorKind::TransactionCanceled(_))
        )
    };
    twice && rejected(memory) && rejected(dynamo)
}

pub(crate) static NEXT_TABLE: AtomicUsize = AtomicUsize::new(0);

/// What a differential run compared (when nothing diverged).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Compared {
    /// Every outcome, the final contents and the streams.
    All,
    /// Every outcome and the final contents; not the streams, which DynamoDB Local could not
    /// hand out (an empty map in a record: docs/server.md, known differences).
    NotTheStreams,
}

/// The reference side of a differential run: MemoryBackend itself, or `DynamoBackend` talking
/// HTTP to a `MemoryServer` (the same store behind DynamoDB's wire protocol).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Reference {
    Memory,
    Server,
}

/// The process's one MemoryServer, and a DynamoBackend on it.
pub(crate) async fn server_backend() -> Arc<dyn Backend> {
    static SERVER: std::sync::OnceLock<MemoryServer> = std::sync::OnceLock::new();
    let server = SERVER
        .get_or_init(|| MemoryServer::start(MemoryBackend::new()).expect("start MemoryServer"));
    Arc::new(
        orm_dynamodb::testing::backend_for_endpoint(&server.endpoint())
            .await
            .expect("a DynamoBackend on the MemoryServer"),
    )
}

/// Applies `ops` to a fresh table (with a stream) on the reference side and a fresh table on
/// `dynamo`; returns the first divergence as a message, or what was compared.
pub(crate) async fn differ(
    reference: Reference,
    dynamo: &dyn Backend,
    multi: &MultiIndex,
    ops: &[Op],
) -> Result<Compared, String> {
    let name = format!(
        "diff-{}-{}",
        std::process::id(),
        NEXT_TABLE.fetch_add(1, Ordering::Relaxed)
    );
    let memory: Arc<dyn Backend> = match reference {
        Reference::Memory => Arc::new(MemoryBackend::new()),
        Reference::Server => server_backend().await,
    };
    let memory = &*memory;
    memory
        .create_table(&definition_with(&name, multi))
        .await
        .map_err(|e| e.to_string())?;
    dynamo
        .create_table(&definition_with(&name, multi))
        .await
        .map_err(|e| format!("create table on DynamoDB: {e}"))?;
    let with_stream = UpdateTable::new(&name).with_streams(StreamSpecification::Enabled(
        StreamViewType::NewAndOldImages,
    ));
    memory
        .update_table(&with_stream)
        .await
        .map_err(|e| e.to_string())?;
    dynamo
        .update_table(&with_stream)
        .await
        .map_err(|e| format!("enable the stream on DynamoDB: {e}"))?;
    let result = async {
        // Items only DynamoDB Local created and then had deleted again (known difference 2):
        // their stream records (an insert and a removal DynamoDB never writes) are not compared.
        let mut local_only = std::collections::BTreeSet::new();
        for (i, op) in ops.iter().enumerate() {
            let created = crate::local::created_by_local_only(memory, &name, op).await;
            local_only.extend(created.iter().map(|key| format!("{key:?}")));
            let m = run_op(memory, &name, op).await;
            let d = run_op(dynamo, &name, op).await;
            crate::local::undo(dynamo, &name, &created).await;
            if m != d
                && !both_reject_one_item_twice(op, &m, &d)
                && !crate::local::only_a_known_difference(op, &m, &d, &created)
            {
                return Err(format!(
                    "step {i} diverges:\n  index: {multi:?}\n  op: {op:?}\n  memory:   {m:?}\n  \
                     dynamodb: {d:?}"
                ));
            }
        }
        let (m, d) = (contents(memory, &name).await, contents(dynamo, &name).await);
        if m != d {
            return Err(format!(
                "final contents diverge:\n  memory:   {m:?}\n  dynamodb: {d:?}"
            ));
        }
        let m = stream_contents(memory, &name).await?;
        let d = match stream_contents(dynamo, &name).await {
            Ok(d) => d,
            // DynamoDB Local writes an empty map in a stream record as `{}` rather than
            // `{"M": {}}`, which no SDK can read (docs/server.md, known differences): the
            // streams of such a sequence cannot be compared.
            Err(e) if e.contains("Union did not contain a valid variant") && has_empty_map(&m) => {
                return Ok(Compared::NotTheStreams);
            }
            Err(e) => return Err(format!("DynamoDB's stream: {e}")),
        };
        if let Some(key) = m
            .keys()
            .chain(d.keys())
            .filter(|k| !local_only.contains(*k))
            .find(|k| m.get(*k) != d.get(*k))
        {
            return Err(format!(
                "the streams diverge on item {key}:\n  memory:   {:?}\n  dynamodb: {:?}",
                m.get(key),
                d.get(key)
            ));
        }
        Ok(Compared::All)
    }
    .await;
    let _ = dynamo.delete_table(&name).await;
    if reference == Reference::Server {
        let _ = memory.delete_table(&name).await;
    }
    result
}

/// The DynamoDB backend at `DYNAMODB_ENDPOINT`, or `None` (skip) when unset and not required.
async fn dynamo() -> Option<Arc<dyn Backend>> {
    if std::env::var_os("DYNAMODB_ENDPOINT").is_none() {
        if std::env::var("ORM_REQUIRE_DYNAMODB").as_deref() == Ok("1") {
            panic!("ORM_REQUIRE_DYNAMODB=1 but DYNAMODB_ENDPOINT is not set");
        }
        eprintln!("SKIP: DYNAMODB_ENDPOINT not set; differential test not run");
        return None;
    }
    Some(Arc::new(
        orm_dynamodb::DynamoBackend::from_env()
            .await
            .expect("connect to DYNAMODB_ENDPOINT"),
    ))
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub(crate) fn on_a_big_stack(f: impl FnOnce() + Send + 'static) {
    // Deep strategy types and async state machines need more than the default test stack.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

pub(crate) fn run_sequences(reference: Reference) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Some(dynamo) = rt.block_on(dynamo()) else {
        return;
    };
    let cases = env_number("ORM_DIFF_CASES", 200) as u32;
    let seed = env_number("ORM_DIFF_SEED", 0x0d1f_f5ee_d000_0001);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let started = std::time::Instant::now();
    if std::env::var("ORM_DIFF_SURVEY").as_deref() == Ok("1") {
        // Survey mode: no shrinking, every divergent sequence reported (to triage many at once).
        use proptest::strategy::ValueTree;
        let mut failures = 0;
        for case in 0..cases {
            let (multi, ops) = arb_sequence().new_tree(&mut runner).unwrap().current();
            if let Err(e) = rt.block_on(differ(reference, &*dynamo, &multi, &ops)) {
                failures += 1;
                eprintln!("case {case}: {e}\n");
            }
        }
        assert_eq!(failures, 0, "{failures} of {cases} sequences diverge");
        return;
    }
    let without_streams = AtomicUsize::new(0);
    let result = runner.run(&arb_sequence(), |(multi, ops)| {
        let compared = rt
            .block_on(differ(reference, &*dynamo, &multi, &ops))
            .map_err(TestCaseError::fail)?;
        if compared == Compared::NotTheStreams {
            without_streams.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    eprintln!(
        "differential ({reference:?}): {cases} sequences, seed {seed:#x}, {:.1}s; streams not \
         comparable (DynamoDB Local's empty maps) in {} runs",
        started.elapsed().as_secs_f64(),
        without_streams.load(Ordering::Relaxed)
    );
    if let Err(e) = result {
        panic!("{reference:?} and DynamoDB diverge (seed {seed:#x}):\n{e}");
    }
}
