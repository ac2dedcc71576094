//! The DynamoDB backend against real service responses carrying `UnprocessedItems`,
//! `UnprocessedKeys` and throttling errors.
//!
//! A small loopback HTTP/1.1 proxy sits between the SDK and DynamoDB Local. For
//! `BatchWriteItem` / `BatchGetItem` it removes some entries from the request it forwards and
//! hands them back in the answer's `UnprocessedItems` / `UnprocessedKeys` (sometimes all of them,
//! without forwarding), and answers some calls with DynamoDB's 400
//! `ProvisionedThroughputExceededException`. Everything else is forwarded untouched. So the SDK
//! parses real wire-format answers, and the backend and orm-core's batch retries have to put it
//! back together.
//!
//! `batch_put_get_delete_survive_unprocessed_and_throttling` needs `DYNAMODB_ENDPOINT` (SKIP line
//! without it, failure with `ORM_REQUIRE_DYNAMODB=1`); `throttling_maps_to_throttled` needs no
//! server (the proxy throttles every call and never forwards).

use crate::common;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::Client;
use orm_core::backend::{Backend, BatchGet, BatchWrite, PutItem, WriteRequest};
use orm_core::batch::BatchConfig;
use orm_core::error::Unprocessed;
use orm_core::{Error, Item, ModelExt, Table};
use orm_dynamodb::DynamoBackend;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use std::io;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

// ------------------------------------------------------------------- proxy ---

/// What the proxy does to batch calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    /// Forward everything untouched.
    PassThrough = 0,
    /// Throttle some batch calls, leave entries of others unprocessed.
    Faults = 1,
    /// Throttle every call (of any operation) without forwarding.
    ThrottleAll = 2,
}

#[derive(Debug, Default)]
struct Stats {
    batch_calls: AtomicUsize,
    throttled: AtomicUsize,
    unprocessed_writes: AtomicUsize,
    unprocessed_keys: AtomicUsize,
    forwarded: AtomicUsize,
}

impl Stats {
    fn get(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
struct State {
    upstream: String,
    mode: AtomicU8,
    stats: Stats,
}

/// A running proxy; stops accepting when dropped.
struct Proxy {
    endpoint: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// A proxy on 127.0.0.1 (a free port) in front of `upstream` (`http://host:port`).
    async fn start(upstream: &str, mode: Mode) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            upstream: upstream
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned(),
            mode: AtomicU8::new(mode as u8),
            stats: Stats::default(),
        });
        let s = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(conn, &s).await {
                        eprintln!("proxy connection ended: {e}");
                    }
                });
            }
        });
        Proxy {
            endpoint,
            state,
            task,
        }
    }

    fn set_mode(&self, mode: Mode) {
        self.state.mode.store(mode as u8, Ordering::SeqCst);
    }

    fn mode(&self) -> Mode {
        mode_of(&self.state)
    }

    fn stats(&self) -> &Stats {
        &self.state.stats
    }
}

fn mode_of(state: &State) -> Mode {
    match state.mode.load(Ordering::SeqCst) {
        1 => Mode::Faults,
        2 => Mode::ThrottleAll,
        _ => Mode::PassThrough,
    }
}

/// One HTTP/1.1 message: start line, headers, body.
#[derive(Debug)]
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The bytes of this message with `body`, a fresh `content-length` and `extra` headers;
    /// hop-by-hop and body-describing headers (and the CRC of a body that changed) are dropped.
    fn encode(&self, body: &[u8], extra: &[(&str, &str)]) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (n, v) in &self.headers {
            let drop = [
                "content-length",
                "transfer-encoding",
                "connection",
                "x-amz-crc32",
            ]
            .iter()
            .any(|d| n.eq_ignore_ascii_case(d));
            if !drop {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
        }
        for (n, v) in extra {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Reads one message; `None` at a clean end of stream. `until_eof`: a body with neither
/// content-length nor chunked encoding runs to the end of the stream (answers with
/// `connection: close`).
async fn read_message<R: AsyncBufRead + Unpin>(
    r: &mut R,
    until_eof: bool,
) -> io::Result<Option<Message>> {
    let mut start = String::new();
    if r.read_line(&mut start).await? == 0 {
        return Ok(None);
    }
    let start = start.trim_end().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Err(bad("end of stream in headers"));
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (n, v) = line
            .split_once(':')
            .ok_or_else(|| bad(format!("header `{line}`")))?;
        headers.push((n.trim().to_owned(), v.trim().to_owned()));
    }
    let mut message = Message {
        start,
        headers,
        body: Vec::new(),
    };
    let chunked = message
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).await?;
            let size = size.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size, 16).map_err(|_| bad("chunk size"))?;
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk).await?;
            chunk.truncate(size);
            message.body.extend_from_slice(&chunk);
        }
    } else if let Some(len) = message.header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("content-length"))?;
        message.body = vec![0; len];
        r.read_exact(&mut message.body).await?;
    } else if until_eof {
        r.read_to_end(&mut message.body).await?;
    }
    Ok(Some(message))
}

/// Serves one client connection (keep-alive): one request after another.
async fn serve(conn: TcpStream, state: &State) -> io::Result<()> {
    let (read, mut write) = conn.into_split();
    let mut read = BufReader::new(read);
    while let Some(request) = read_message(&mut read, false).await? {
        let answer = answer(&request, state).await?;
        write.write_all(&answer).await?;
        write.flush().await?;
    }
    Ok(())
}

/// Sends `request` with `body` upstream on a fresh connection and reads the answer.
async fn forward(state: &State, request: &Message, body: &[u8]) -> io::Result<Message> {
    state.stats.forwarded.fetch_add(1, Ordering::SeqCst);
    let mut upstream = TcpStream::connect(&state.upstream).await?;
    upstream
        .write_all(&request.encode(body, &[("connection", "close")]))
        .await?;
    let mut r = BufReader::new(upstream);
    read_message(&mut r, true)
        .await?
        .ok_or_else(|| bad("upstream closed without answering"))
}

fn json_answer(status: &str, body: &Json, request_id: usize) -> Vec<u8> {
    let body = serde_json::to_vec(body).unwrap();
    let message = Message {
        start: format!("HTTP/1.1 {status}"),
        headers: vec![
            ("content-type".into(), "application/x-amz-json-1.0".into()),
            ("x-amzn-requestid".into(), format!("proxy-{request_id}")),
        ],
        body: Vec::new(),
    };
    message.encode(&body, &[])
}

fn throttle(state: &State, call: usize) -> Vec<u8> {
    state.stats.throttled.fetch_add(1, Ordering::SeqCst);
    json_answer(
        "400 Bad Request",
        &json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
        }),
        call,
    )
}

/// How many of `n` entries a call leaves unprocessed: all, a third, or none.
fn withheld(call: usize, n: usize) -> usize {
    if call % 6 == 4 {
        n
    } else {
        n / 3
    }
}

async fn answer(request: &Message, state: &State) -> io::Result<Vec<u8>> {
    let operation = request
        .header("x-amz-target")
        .and_then(|t| t.strip_prefix("DynamoDB_20120810."))
        .unwrap_or("")
        .to_owned();
    let mode = mode_of(state);
    if mode == Mode::ThrottleAll {
        let call = state.stats.batch_calls.fetch_add(1, Ordering::SeqCst);
        return Ok(throttle(state, call));
    }
    let batch = operation == "BatchWriteItem" || operation == "BatchGetItem";
    if mode == Mode::PassThrough || !batch {
        let answer = forward(state, request, &request.body).await?;
        return Ok(answer.encode(&answer.body, &[]));
    }
    let call = state.stats.batch_calls.fetch_add(1, Ordering::SeqCst);
    if call % 6 == 2 {
        return Ok(throttle(state, call));
    }
    let mut body: Json = serde_json::from_slice(&request.body).map_err(|e| bad(e.to_string()))?;
    let write = operation == "BatchWriteItem";
    // Take entries off the request: table -> what is withheld.
    let mut moved = serde_json::Map::new();
    let items = body["RequestItems"]
        .as_object_mut()
        .ok_or_else(|| bad("no RequestItems"))?;
    for (table, entries) in items.iter_mut() {
        let list = if write {
            entries.as_array_mut()
        } else {
            entries["Keys"].as_array_mut()
        }
        .ok_or_else(|| bad("RequestItems entry"))?;
        let n = withheld(call, list.len());
        if n == 0 {
            continue;
        }
        let taken: Vec<Json> = list.split_off(list.len() - n);
        let counter = if write {
            &state.stats.unprocessed_writes
        } else {
            &state.stats.unprocessed_keys
        };
        counter.fetch_add(taken.len(), Ordering::SeqCst);
        let entry = if write {
            Json::Array(taken)
        } else {
            // The same KeysAndAttributes (projection, consistency), with the withheld keys.
            let mut keys_and_attributes = entries.clone();
            keys_and_attributes["Keys"] = Json::Array(taken);
            keys_and_attributes
        };
        moved.insert(table.clone(), entry);
    }
    items.retain(|_, entries| {
        let list = if write {
            Some(&*entries)
        } else {
            entries.get("Keys")
        };
        list.and_then(Json::as_array).is_some_and(|l| !l.is_empty())
    });
    let unprocessed_field = if write {
        "UnprocessedItems"
    } else {
        "UnprocessedKeys"
    };
    let mut answer_body = if items.is_empty() {
        // Nothing left to forward: DynamoDB processed none of it.
        let mut empty = json!({ unprocessed_field: {} });
        if !write {
            empty["Responses"] = json!(moved
                .keys()
                .map(|t| (t.clone(), json!([])))
                .collect::<serde_json::Map<_, _>>());
        }
        empty
    } else {
        let forwarded = serde_json::to_vec(&body).unwrap();
        let answer = forward(state, request, &forwarded).await?;
        if !answer.start.contains(" 200 ") {
            return Ok(answer.encode(&answer.body, &[]));
        }
        serde_json::from_slice(&answer.body).map_err(|e| bad(e.to_string()))?
    };
    // Merge what was withheld into what DynamoDB itself left unprocessed.
    let unprocessed = answer_body
        .as_object_mut()
        .ok_or_else(|| bad("answer is not an object"))?
        .entry(unprocessed_field)
        .or_insert_with(|| json!({}));
    for (table, entry) in moved {
        match unprocessed.get_mut(&table) {
            None => {
                unprocessed[table.as_str()] = entry;
            }
            Some(existing) => {
                let (into, from) = if write {
                    (existing.as_array_mut(), entry.as_array().cloned())
                } else {
                    (
                        existing["Keys"].as_array_mut(),
                        entry["Keys"].as_array().cloned(),
                    )
                };
                into.ok_or_else(|| bad("unprocessed entry"))?
                    .extend(from.unwrap_or_default());
            }
        }
    }
    Ok(json_answer("200 OK", &answer_body, call))
}

// ------------------------------------------------------------------- tests ---

#[derive(orm_core::Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Row", pk = "ROW#{group}", sk = "{id}")]
struct Row {
    group: u8,
    id: u32,
    payload: String,
}

fn rows(n: u32) -> Vec<Row> {
    (0..n)
        .map(|id| Row {
            group: (id % 7) as u8,
            id,
            payload: format!("row {id} {}", "x".repeat((id % 50) as usize)),
        })
        .collect()
}

/// A backend on `endpoint` whose SDK client does not retry, so that every throttling answer
/// reaches the backend's error mapping and orm-core's retries.
async fn backend_without_sdk_retries(endpoint: &str) -> DynamoBackend {
    let base = common::backend(endpoint).await;
    let config = base
        .client()
        .config()
        .to_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    DynamoBackend::new(Client::from_conf(config))
}

fn patient(table: Table) -> Table {
    table.reconfigure(|c| {
        c.batch = BatchConfig {
            concurrency: 8,
            max_attempts: 40,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(50),
            max_elapsed: Duration::from_secs(120),
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_put_get_delete_survive_unprocessed_and_throttling() {
    let Some(endpoint) = common::endpoint() else {
        return;
    };
    let direct = Table::new(
        common::backend(&endpoint).await,
        common::unique("orm_unprocessed"),
    );
    direct.create_table::<Row>().await.unwrap();
    let proxy = Proxy::start(&endpoint, Mode::Faults).await;
    let proxied = patient(Table::new(
        backend_without_sdk_retries(&proxy.endpoint).await,
        direct.name(),
    ));

    // Writes: 3000 items in 120 chunks, many answered with UnprocessedItems or throttled.
    let all = rows(3000);
    Row::batch_put(&proxied, &all).await.unwrap();
    let stats = proxy.stats();
    println!(
        "batch_put through the proxy: {} batch calls, {} throttled, {} writes left unprocessed, {} forwarded",
        Stats::get(&stats.batch_calls),
        Stats::get(&stats.throttled),
        Stats::get(&stats.unprocessed_writes),
        Stats::get(&stats.forwarded)
    );
    assert!(Stats::get(&stats.throttled) > 10);
    assert!(Stats::get(&stats.unprocessed_writes) > 1000);
    // Everything is stored, read without the proxy.
    let mut stored: Vec<Row> = Row::scan(&direct).consistent().all().await.unwrap();
    stored.sort_by_key(|r| r.id);
    assert_eq!(stored.len(), all.len());
    assert_eq!(stored, all);

    // Reads: every key (and some missing ones) answered at its position.
    let throttled_before = Stats::get(&stats.throttled);
    let keys: Vec<_> = (0..3100u32)
        .rev()
        .map(|id| Row::key((id % 7) as u8, id))
        .collect();
    let got = Row::batch_get(&proxied, keys).await.unwrap();
    assert_eq!(got.len(), 3100);
    for (i, row) in got.iter().enumerate() {
        let id = 3099 - i as u32;
        match row {
            Some(r) => assert_eq!(r, &all[id as usize]),
            None => assert!(id >= 3000, "row {id} not read"),
        }
    }
    println!(
        "batch_get through the proxy: {} keys left unprocessed, {} more throttled",
        Stats::get(&stats.unprocessed_keys),
        Stats::get(&stats.throttled) - throttled_before
    );
    assert!(Stats::get(&stats.unprocessed_keys) > 100);
    assert!(Stats::get(&stats.throttled) > throttled_before);

    // Deletes go through the same path.
    let doomed: Vec<_> = all
        .iter()
        .filter(|r| r.id.is_multiple_of(2))
        .map(|r| Row::key(r.group, r.id))
        .collect();
    Row::batch_delete(&proxied, doomed).await.unwrap();
    let left = Row::scan(&direct).consistent().count().await.unwrap();
    assert_eq!(left, 1500);

    proxy.set_mode(Mode::PassThrough);
    assert_eq!(proxy.mode(), Mode::PassThrough);
    direct.delete_table().await.unwrap();
}

#[tokio::test]
async fn throttling_maps_to_throttled() {
    // Throttles every call without forwarding: no server needed behind it.
    let proxy = Proxy::start("http://127.0.0.1:9", Mode::ThrottleAll).await;
    let backend = backend_without_sdk_retries(&proxy.endpoint).await;
    let key = Item::new().with("pk", "A").with("sk", "1");

    let is_throttled = |r: Result<(), Error>, what: &str| match r {
        Err(e @ Error::Throttled { .. }) => {
            assert!(e.is_retryable(), "{what}: {e:?}");
            assert!(e.to_string().contains("throughput"), "{what}: {e}");
        }
        other => panic!("{what}: expected Throttled, got {other:?}"),
    };
    is_throttled(
        backend
            .batch_write(BatchWrite::new("t", vec![WriteRequest::Put(key.clone())]))
            .await
            .map(drop),
        "BatchWriteItem",
    );
    is_throttled(
        backend
            .batch_get(&BatchGet::new("t", vec![key.clone()]))
            .await
            .map(drop),
        "BatchGetItem",
    );
    is_throttled(
        backend
            .put_item(PutItem::new("t", key.clone()))
            .await
            .map(drop),
        "PutItem",
    );
    assert_eq!(Stats::get(&proxy.stats().throttled), 3);

    // The default client retries other calls in the SDK, but sends a batch call once: orm-core's
    // batch loop owns those retries (see sdk_retries_do_not_multiply_the_orm_batch_retries).
    let sdk_retrying = common::backend(&proxy.endpoint).await;
    let before = Stats::get(&proxy.stats().throttled);
    is_throttled(
        sdk_retrying
            .batch_write(BatchWrite::new(
                "t",
                vec![WriteRequest::Delete(key.clone())],
            ))
            .await
            .map(drop),
        "BatchWriteItem on the default client",
    );
    assert_eq!(Stats::get(&proxy.stats().throttled) - before, 1);

    // orm-core's batch retries give up after max_attempts and report exactly what is missing,
    // with the throttling error as the cause.
    let table = Table::new(backend, "t").reconfigure(|c| {
        c.batch = BatchConfig {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            ..BatchConfig::default()
        }
    });
    let some = rows(30);
    let err = Row::batch_put(&table, &some).await.unwrap_err();
    match err {
        Error::BatchIncomplete {
            unprocessed,
            total,
            attempts,
            last_error,
        } => {
            assert_eq!((unprocessed.len(), total, attempts), (30, 30, 3));
            assert!(unprocessed.iter().all(|e| matches!(e, Unprocessed::Put(_))));
            assert!(
                matches!(last_error.as_deref(), Some(Error::Throttled { .. })),
                "{last_error:?}"
            );
        }
        other => panic!("expected BatchIncomplete, got {other:?}"),
    }
}

/// The SDK's retries sit under orm-core's without multiplying them: a throttled batch chunk is
/// sent exactly `BatchConfig::max_attempts` times (not that times the SDK's attempts), any other
/// call exactly the SDK's `max_attempts` times. Needs no server (the proxy throttles everything).
#[tokio::test]
async fn sdk_retries_do_not_multiply_the_orm_batch_retries() {
    let proxy = Proxy::start("http://127.0.0.1:9", Mode::ThrottleAll).await;
    let with_sdk_attempts = |attempts: u32| {
        DynamoBackend::builder()
            .endpoint_url(&proxy.endpoint)
            .region("us-east-1")
            .credentials("fake", "fake")
            .retry_config(
                RetryConfig::standard()
                    .with_initial_backoff(Duration::from_millis(1))
                    .with_max_backoff(Duration::from_millis(5)),
            )
            .max_attempts(attempts)
            .build()
    };
    let throttled = || Stats::get(&proxy.stats().throttled);
    let put = |backend: DynamoBackend| async move {
        backend
            .put_item(PutItem::new(
                "t",
                Item::new().with("pk", "A").with("sk", "1"),
            ))
            .await
    };

    // A single-item call: the SDK's attempts, then Throttled.
    let backend = with_sdk_attempts(3).await.unwrap();
    let before = throttled();
    let err = put(backend.clone()).await.unwrap_err();
    assert!(matches!(err, Error::Throttled { .. }), "{err:?}");
    assert_eq!(throttled() - before, 3, "PutItem: the SDK's 3 attempts");

    // A batch through orm-core: 4 requests in all (BatchConfig), not 4 x 3.
    let table = Table::new(backend, "t").reconfigure(|c| {
        c.batch = BatchConfig {
            concurrency: 1,
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            ..BatchConfig::default()
        }
    });
    let before = throttled();
    let err = Row::batch_put(&table, &rows(10)).await.unwrap_err();
    assert!(
        matches!(err, Error::BatchIncomplete { attempts: 4, .. }),
        "{err:?}"
    );
    assert_eq!(
        throttled() - before,
        4,
        "BatchWriteItem: orm-core's 4 attempts only"
    );

    // max_attempts(1) turns the SDK's retries off for the other calls too.
    let before = throttled();
    put(with_sdk_attempts(1).await.unwrap()).await.unwrap_err();
    assert_eq!(throttled() - before, 1);
}
