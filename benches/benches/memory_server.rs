//! The `dynamodb-memory` program (orm-memory's MemoryServer) against DynamoDB Local, side by
//! side, from aws-sdk-dynamodb over HTTP on loopback (issue 14's targets):
//! - start to first answer (spawn -> a ListTables answered), and idle resident memory;
//! - GetItem round trip, p50 and p99 of sequential calls, and the client's CPU time per call,
//!   from three callers ([`Caller`]: a current-thread runtime, a task on a 2-worker runtime,
//!   `block_on` on that runtime), since the runtime's structure moves the figure by tens of µs;
//! - PutItem throughput with 4 concurrent connections, with the client's and the server's CPU
//!   time per PutItem (which bound the throughput on this machine's cores);
//! - the same against the canned stub (`benches/src/stub.rs`, answers without any work, GetItem
//!   with an item of the same shape): the client's own floor, so what the server adds shows;
//! - the same with a minimal raw HTTP client: what the server costs without the SDK.
//!
//! The program is `target/release/dynamodb-memory` (or `$ORM_DYNAMODB_MEMORY_BIN`); DynamoDB Local
//! is the server at `$DYNAMODB_ENDPOINT` (its side is skipped when unset; its start time and RSS
//! come from scripts/bench, which started it). `$ORM_BENCH_SERVER_GETS` (default 5000) and
//! `$ORM_BENCH_SERVER_SECONDS` (default 3) size the runs.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use cpu_time::ProcessTime;
use orm_benches::measure::write_result;
use orm_benches::runtime;
use serde_json::json;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TABLE: &str = "bench_server";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn client(endpoint: &str) -> Client {
    orm_dynamodb::testing::backend_for_endpoint(endpoint)
        .await
        .expect("client")
        .client()
        .clone()
}

fn item(i: u64) -> std::collections::HashMap<String, AttributeValue> {
    let mut m = std::collections::HashMap::new();
    m.insert("pk".into(), AttributeValue::S(format!("P#{}", i % 100)));
    m.insert("sk".into(), AttributeValue::S(format!("S#{i:08}")));
    m.insert("n".into(), AttributeValue::N(format!("{i}.5")));
    m.insert("text".into(), AttributeValue::S("x".repeat(200)));
    m
}

async fn create(client: &Client) {
    let _ = client.delete_table().table_name(TABLE).send().await;
    client
        .create_table()
        .table_name(TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create table");
}

/// Writes the 1,000 items the GetItems read.
async fn fill(client: &Client) {
    for i in 0..1000 {
        client
            .put_item()
            .table_name(TABLE)
            .set_item(Some(item(i)))
            .send()
            .await
            .unwrap();
    }
}

/// Where the calls run: a tokio runtime's structure decides how many threads hand each call
/// on (a wake-up of another thread costs tens of µs of CPU and of latency on a busy machine).
#[derive(Debug, Clone, Copy)]
enum Caller {
    /// A current-thread runtime (what `#[tokio::test]` and a CLI's `block_on` give): the call,
    /// hyper's connection task and the socket's readiness all on one thread.
    CurrentThread,
    /// A task spawned on the 2-worker runtime (how a server's request handlers call): the call
    /// and the connection task on the runtime's workers.
    Task,
    /// `block_on` on the 2-worker runtime (an `async fn main` under `#[tokio::main]`): the call
    /// on the blocking thread, the connection task on a worker, two cross-thread wake-ups a call.
    BlockOn,
}

impl Caller {
    const ALL: [Caller; 3] = [Caller::CurrentThread, Caller::Task, Caller::BlockOn];

    fn name(self) -> &'static str {
        match self {
            Caller::CurrentThread => "current_thread",
            Caller::Task => "task",
            Caller::BlockOn => "block_on",
        }
    }

    /// Runs `work` (which builds its own client) the way this caller does.
    fn run<T: Send + 'static>(
        self,
        workers: &tokio::runtime::Runtime,
        work: impl std::future::Future<Output = T> + Send + 'static,
    ) -> T {
        match self {
            Caller::CurrentThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(work),
            Caller::Task => workers.block_on(async { tokio::spawn(work).await.expect("task") }),
            Caller::BlockOn => workers.block_on(work),
        }
    }
}

/// GetItem over `n` sequential calls after a warm-up: p50 and p99 latency (µs) and the client
/// process's CPU time per call (µs; the servers are other processes).
async fn get_latency(client: &Client, n: u64) -> (f64, f64, f64) {
    let get = |i: u64| {
        client
            .get_item()
            .table_name(TABLE)
            .key("pk", AttributeValue::S(format!("P#{}", i % 100)))
            .key("sk", AttributeValue::S(format!("S#{i:08}")))
            .send()
    };
    for i in 0..500 {
        get(i % 1000).await.unwrap();
    }
    let mut times = Vec::with_capacity(n as usize);
    let cpu = ProcessTime::now();
    for i in 0..n {
        let started = Instant::now();
        let out = get(i % 1000).await.unwrap();
        times.push(started.elapsed().as_secs_f64() * 1e6);
        assert!(out.item.is_some());
    }
    let cpu_per_call = cpu.elapsed().as_secs_f64() * 1e6 / n as f64;
    times.sort_by(f64::total_cmp);
    (
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        cpu_per_call,
    )
}

/// PutItems per second with 4 concurrent connections (4 clients, 4 tasks on the 2-worker
/// runtime) for `seconds`; also the CPU time per PutItem of this (client) process and of the
/// server process `server` when known (µs).
fn put_throughput(
    rt: &tokio::runtime::Runtime,
    endpoint: &str,
    seconds: u64,
    server: Option<u32>,
) -> (f64, f64, Option<f64>) {
    let clients: Vec<Client> = rt.block_on(async {
        let mut clients = Vec::new();
        for _ in 0..4 {
            clients.push(client(endpoint).await);
        }
        clients
    });
    let server_cpu = server.and_then(cpu_of);
    let cpu = ProcessTime::now();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let total: u64 = rt.block_on(async {
        let tasks: Vec<_> = clients
            .into_iter()
            .enumerate()
            .map(|(worker, c)| {
                tokio::spawn(async move {
                    let mut done = 0u64;
                    while Instant::now() < deadline {
                        c.put_item()
                            .table_name(TABLE)
                            .set_item(Some(item(1_000_000 + worker as u64 * 10_000_000 + done)))
                            .send()
                            .await
                            .unwrap();
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    });
    let elapsed = started.elapsed().as_secs_f64();
    let client_cpu = cpu.elapsed().as_secs_f64() * 1e6 / total as f64;
    let server_cpu = server_cpu
        .zip(server.and_then(cpu_of))
        .map(|(before, after)| (after - before) * 1e6 / total as f64);
    (total as f64 / elapsed, client_cpu, server_cpu)
}

/// A minimal keep-alive HTTP/1.1 client on one connection: what the server costs without the
/// SDK's own per-call work (signing, the SDK's pipeline).
struct RawClient {
    stream: std::io::BufReader<std::net::TcpStream>,
}

impl RawClient {
    fn connect(endpoint: &str) -> RawClient {
        let addr = endpoint.trim_start_matches("http://");
        let stream = std::net::TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).unwrap();
        RawClient {
            stream: std::io::BufReader::new(stream),
        }
    }

    /// Sends one request; returns the status code.
    fn call(&mut self, op: &str, body: &str) -> u16 {
        use std::io::{Read, Write};
        let request = format!(
            "POST / HTTP/1.1\r\nHost: bench\r\nX-Amz-Target: DynamoDB_20120810.{op}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=fake/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=fake\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.get_mut().write_all(request.as_bytes()).unwrap();
        let mut status = 0;
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(rest) = line.strip_prefix("HTTP/1.1 ") {
                status = rest[..3].parse().unwrap();
            } else if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).unwrap();
        status
    }
}

fn raw_get_body(i: u64) -> String {
    format!(
        r#"{{"TableName":"{TABLE}","Key":{{"pk":{{"S":"P#{}"}},"sk":{{"S":"S#{i:08}"}}}}}}"#,
        i % 100
    )
}

fn raw_put_body(i: u64) -> String {
    format!(
        r#"{{"TableName":"{TABLE}","Item":{{"pk":{{"S":"P#{}"}},"sk":{{"S":"S#{i:08}"}},"n":{{"N":"{i}.5"}},"text":{{"S":"{}"}}}}}}"#,
        i % 100,
        "x".repeat(200)
    )
}

/// Raw-client GetItem p50 / p99 (µs), PutItems per second with 4 connections (4 threads), and
/// the server process's CPU time per PutItem (µs) when its pid is known.
fn raw_numbers(
    endpoint: &str,
    gets: u64,
    seconds: u64,
    server: Option<u32>,
) -> (f64, f64, f64, Option<f64>) {
    let mut c = RawClient::connect(endpoint);
    for i in 0..1000 {
        assert_eq!(c.call("PutItem", &raw_put_body(i)), 200);
    }
    let mut times = Vec::with_capacity(gets as usize);
    for i in 0..gets {
        let body = raw_get_body(i % 1000);
        let started = Instant::now();
        assert_eq!(c.call("GetItem", &body), 200);
        times.push(started.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    let server_cpu = server.and_then(cpu_of);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..4u64)
        .map(|w| {
            let endpoint = endpoint.to_string();
            std::thread::spawn(move || {
                let mut c = RawClient::connect(&endpoint);
                let mut done = 0u64;
                while Instant::now() < deadline {
                    assert_eq!(
                        c.call("PutItem", &raw_put_body(2_000_000 + w * 10_000_000 + done)),
                        200
                    );
                    done += 1;
                }
                done
            })
        })
        .collect();
    let total: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let elapsed = started.elapsed().as_secs_f64();
    let server_cpu = server_cpu
        .zip(server.and_then(cpu_of))
        .map(|(before, after)| (after - before) * 1e6 / total as f64);
    (
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        total as f64 / elapsed,
        server_cpu,
    )
}

/// The CPU time (user + system, seconds) process `pid` has used, from /proc (10 ms steps).
fn cpu_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

fn main() {
    orm_benches::stub::serve_if_child();
    // Only under `cargo bench` (not when `cargo test --all-targets` runs the target).
    if std::env::args().any(|a| a == "--list") || !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let bin = std::env::var("ORM_DYNAMODB_MEMORY_BIN").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/release/dynamodb-memory"
        )
        .to_string()
    });
    let gets = env_u64("ORM_BENCH_SERVER_GETS", 5000);
    let seconds = env_u64("ORM_BENCH_SERVER_SECONDS", 3);
    let rt = runtime(2);

    // Start to first answer: spawn, read the endpoint line, then ListTables until it answers.
    let started = Instant::now();
    let mut child = Command::new(&bin)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {bin} (cargo build --release -p orm-memory --features server): {e}")
        });
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = line.trim().to_string();
    let (memory_client, start_ms) = rt.block_on(async {
        let c = client(&endpoint).await;
        loop {
            if c.list_tables().send().await.is_ok() {
                break;
            }
        }
        (c, started.elapsed().as_secs_f64() * 1e3)
    });
    std::thread::sleep(Duration::from_millis(200));
    let idle_rss = rss_of(child.id()).unwrap_or(0);
    eprintln!(
        "memory_server: start to first answer {start_ms:.1} ms, idle RSS {:.1} MB",
        idle_rss as f64 / 1e6
    );

    let mut results = json!({
        "start_ms": start_ms,
        "idle_rss_bytes": idle_rss,
        "load_at_start": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
    });
    drop(memory_client);
    // The canned stub answers without doing any work: the client's own floor.
    // It answers GetItem with the item the gets read from the servers (one of the same shape).
    let stub = orm_benches::stub::StubProcess::spawn_with_get_item(&orm_benches::stub::wire_item(
        &item(0),
    ));
    let mut sides = vec![
        ("memory_server", endpoint.clone(), Some(child.id())),
        ("stub", stub.endpoint().to_string(), Some(stub.pid())),
    ];
    if let Some(local) = std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
    {
        sides.push(("dynamodb_local", local, None));
    } else {
        eprintln!("DYNAMODB_ENDPOINT not set: DynamoDB Local side skipped");
    }
    for (name, endpoint, pid) in sides {
        rt.block_on(async {
            let c = client(&endpoint).await;
            create(&c).await;
            fill(&c).await;
        });
        results[name] = json!({});
        for caller in Caller::ALL {
            let endpoint = endpoint.clone();
            let (p50, p99, cpu) = caller.run(&rt, async move {
                get_latency(&client(&endpoint).await, gets).await
            });
            eprintln!(
                "memory_server: {name}: GetItem p50 {p50:.0} µs, p99 {p99:.0} µs, client CPU {cpu:.0} µs/call (aws-sdk-dynamodb, {})",
                caller.name()
            );
            results[name][format!("get_p50_us_{}", caller.name())] = json!(p50);
            results[name][format!("get_p99_us_{}", caller.name())] = json!(p99);
            results[name][format!("get_client_cpu_us_{}", caller.name())] = json!(cpu);
        }
        let (puts, client_cpu, server_cpu) = put_throughput(&rt, &endpoint, seconds, pid);
        let server_cpu_text =
            server_cpu.map_or(String::new(), |c| format!(", server CPU {c:.0} µs/put"));
        eprintln!(
            "memory_server: {name}: PutItem {puts:.0}/s with 4 connections, client CPU {client_cpu:.0} µs/put{server_cpu_text} (aws-sdk-dynamodb, 4 tasks on 2 workers)"
        );
        results[name]["puts_per_s"] = json!(puts);
        results[name]["put_client_cpu_us"] = json!(client_cpu);
        results[name]["put_server_cpu_us"] = json!(server_cpu);
        let (raw_p50, raw_p99, raw_puts, raw_server_cpu) =
            raw_numbers(&endpoint, gets, seconds, pid);
        let server_cpu_text =
            raw_server_cpu.map_or(String::new(), |c| format!(", server CPU {c:.0} µs/put"));
        eprintln!(
            "memory_server: {name}: GetItem p50 {raw_p50:.0} µs, p99 {raw_p99:.0} µs; PutItem {raw_puts:.0}/s with 4 connections{server_cpu_text} (raw HTTP client)"
        );
        results[name]["raw_get_p50_us"] = json!(raw_p50);
        results[name]["raw_get_p99_us"] = json!(raw_p99);
        results[name]["raw_puts_per_s"] = json!(raw_puts);
        results[name]["raw_put_server_cpu_us"] = json!(raw_server_cpu);
    }
    results["load_at_end"] = json!(std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim());
    let _ = child.kill();
    let _ = child.wait();
    drop(stub);
    write_result("memory_server", &results);
}
