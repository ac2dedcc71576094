//! A canned DynamoDB: a tiny HTTP/1.1 server answering by `X-Amz-Target` with fixed bodies, so
//! that the client's work is all that is measured.
//!
//! The benchmarks run it in a child process (the bench binary itself, started with
//! [`STUB_ENV`] set), so the bench process's CPU time is the client's alone; tests run it in
//! process and record the request bodies ([`Recorder`]).

use crate::model::{sample, ORDERS_PER_CUSTOMER};
use crate::sdk::{order_to_attributes, AttributeMap};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use serde_json::{json, Map, Value as Json};
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Set in the environment of a bench binary to make it serve the stub instead of benchmarking.
pub const STUB_ENV: &str = "ORM_BENCH_STUB_SERVE";

/// Set (with [`STUB_ENV`]) to a JSON item in DynamoDB's wire form to make the child's GetItem
/// answer that item instead of order 0 ([`StubProcess::spawn_with_get_item`]).
pub const STUB_GET_ITEM_ENV: &str = "ORM_BENCH_STUB_GET_ITEM";

/// Request bodies received, by target (`GetItem`, `PutItem`...).
pub type Recorder = Arc<Mutex<Vec<(String, Json)>>>;

/// DynamoDB's JSON wire form of an attribute value.
pub fn wire_value(v: &AttributeValue) -> Json {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::B(b) => {
            json!({ "B": base64::engine::general_purpose::STANDARD.encode(b.as_ref()) })
        }
        AttributeValue::L(l) => json!({ "L": l.iter().map(wire_value).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": wire_item(m) }),
        AttributeValue::Ss(s) => json!({ "SS": s }),
        AttributeValue::Ns(s) => json!({ "NS": s }),
        AttributeValue::Bs(s) => json!({
            "BS": s
                .iter()
                .map(|b| base64::engine::general_purpose::STANDARD.encode(b.as_ref()))
                .collect::<Vec<_>>()
        }),
        other => panic!("unsupported attribute value {other:?}"),
    }
}

/// DynamoDB's JSON wire form of an item.
pub fn wire_item(m: &AttributeMap) -> Json {
    Json::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), wire_value(v)))
            .collect::<Map<_, _>>(),
    )
}

/// The canned answers (full HTTP responses, headers included), built once.
#[derive(Debug, Clone)]
pub struct Canned {
    get: Vec<u8>,
    get_with_capacity: Vec<u8>,
    put: Vec<u8>,
    query: Vec<u8>,
    batch_write: Vec<u8>,
    other: Vec<u8>,
}

fn response(body: &Json) -> Vec<u8> {
    let body = serde_json::to_vec(body).expect("json");
    let mut out = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nx-amzn-requestid: stub\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

impl Canned {
    /// GetItem returns order 0 (with `ConsumedCapacity` when the request asks for it); Query returns orders 0..100 (customer 0); PutItem `{}`;
    /// BatchWriteItem no unprocessed items; anything else `{}`.
    pub fn new() -> Canned {
        let items: Vec<Json> = (0..ORDERS_PER_CUSTOMER)
            .map(|i| wire_item(&order_to_attributes(&sample(i))))
            .collect();
        Canned {
            get: response(&json!({ "Item": items[0] })),
            get_with_capacity: response(&json!({
                "Item": items[0],
                "ConsumedCapacity": { "TableName": crate::TABLE, "CapacityUnits": 0.5 },
            })),
            put: response(&json!({})),
            query: response(&json!({
                "Items": items,
                "Count": ORDERS_PER_CUSTOMER,
                "ScannedCount": ORDERS_PER_CUSTOMER,
            })),
            batch_write: response(&json!({ "UnprocessedItems": {} })),
            other: response(&json!({})),
        }
    }

    /// The answer to a request for `target` whose body is `body`.
    fn answer(&self, target: &str, body: &[u8]) -> &[u8] {
        match target {
            "GetItem" if find(body, b"\"ReturnConsumedCapacity\"").is_some() => {
                &self.get_with_capacity
            }
            "GetItem" => &self.get,
            "PutItem" => &self.put,
            "Query" => &self.query,
            "BatchWriteItem" => &self.batch_write,
            _ => &self.other,
        }
    }
}

impl Canned {
    /// The same answers, but GetItem returns `item` (DynamoDB's JSON wire form of an item).
    pub fn with_get_item(mut self, item: Json) -> Canned {
        self.get = response(&json!({ "Item": item }));
        self
    }
}

impl Default for Canned {
    fn default() -> Self {
        Canned::new()
    }
}

/// Serves connections on `listener` forever.
pub async fn serve(listener: TcpListener, canned: Arc<Canned>, recorder: Option<Recorder>) {
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let _ = socket.set_nodelay(true);
        tokio::spawn(connection(socket, canned.clone(), recorder.clone()));
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn connection(
    mut socket: TcpStream,
    canned: Arc<Canned>,
    recorder: Option<Recorder>,
) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(256 * 1024);
    loop {
        let header_end = loop {
            if let Some(p) = find(&buf, b"\r\n\r\n") {
                break p + 4;
            }
            if socket.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        };
        let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
        let mut length = 0usize;
        let mut target = String::new();
        let mut expect_continue = false;
        for line in head.split("\r\n").skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("x-amz-target") {
                target = value.rsplit('.').next().unwrap_or("").to_owned();
            } else if name.eq_ignore_ascii_case("expect") {
                expect_continue = value.eq_ignore_ascii_case("100-continue");
            }
        }
        if expect_continue {
            socket.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        while buf.len() < header_end + length {
            if socket.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        }
        if let Some(r) = &recorder {
            let body =
                serde_json::from_slice(&buf[header_end..header_end + length]).unwrap_or(Json::Null);
            r.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((target.clone(), body));
        }
        let body = &buf[header_end..header_end + length];
        socket.write_all(canned.answer(&target, body)).await?;
        buf.drain(..header_end + length);
    }
}

/// Starts the stub in this process (on the current tokio runtime); returns its endpoint.
pub async fn start_in_process(recorder: Option<Recorder>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(serve(listener, Arc::new(Canned::new()), recorder));
    format!("http://127.0.0.1:{port}")
}

/// When [`STUB_ENV`] is set: serve the stub on a one-thread runtime, print the port on stdout,
/// and exit when stdin closes (the parent ended). Otherwise returns at once.
pub fn serve_if_child() {
    if std::env::var_os(STUB_ENV).is_none() {
        return;
    }
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
        std::process::exit(0);
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{port}");
        let _ = out.flush();
        let mut canned = Canned::new();
        if let Ok(item) = std::env::var(STUB_GET_ITEM_ENV) {
            canned = canned.with_get_item(serde_json::from_str(&item).expect("a JSON item"));
        }
        serve(listener, Arc::new(canned), None).await;
    });
    std::process::exit(0);
}

/// The stub in a child process (this executable, re-run with [`STUB_ENV`]); killed on drop.
#[derive(Debug)]
pub struct StubProcess {
    child: Child,
    endpoint: String,
}

impl StubProcess {
    /// Starts the child and waits for its port.
    pub fn spawn() -> StubProcess {
        StubProcess::start(None)
    }

    /// Starts a child whose GetItem answers `item` (DynamoDB's JSON wire form), so that a
    /// benchmark's client parses the same answer from the stub as from the server it measures.
    pub fn spawn_with_get_item(item: &Json) -> StubProcess {
        StubProcess::start(Some(item))
    }

    fn start(get_item: Option<&Json>) -> StubProcess {
        let exe = std::env::current_exe().expect("current exe");
        let mut command = Command::new(exe);
        if let Some(item) = get_item {
            command.env(STUB_GET_ITEM_ENV, item.to_string());
        }
        let mut child = command
            .env(STUB_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn stub");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("stub port");
        let port: u16 = line.trim().parse().expect("stub port number");
        StubProcess {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The child's process id (to read its CPU time from /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for StubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
