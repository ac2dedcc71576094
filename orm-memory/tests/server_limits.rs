//! Limits against abuse, over real sockets on 127.0.0.1: 1,000 idle connections, slow-loris
//! clients (a request head never finished) and bodies that never end do not keep a normal
//! client from its answers; at the connection limit, new clients take the place of the
//! connections waiting longest; heads and bodies that take too long are cut off; a head too
//! large is refused.
//!
//! Every bound here is generous (tens of seconds where the server takes milliseconds), so a busy
//! machine cannot make a test fail; what is checked is that answers come at all, and that the
//! counts hold.

use crate::raw_http;

use orm_memory::server::{MemoryServer, ServerLimits, MAX_HEAD_BYTES};
use orm_memory::MemoryBackend;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The most any one wait below may take: far above what any of them needs.
const BOUND: Duration = Duration::from_secs(60);

fn list_tables(addr: SocketAddr) -> raw_http::Answer {
    let headers = [
        ("Content-Type", "application/x-amz-json-1.0".to_owned()),
        ("X-Amz-Target", "DynamoDB_20120810.ListTables".to_owned()),
    ];
    raw_http::post(addr, &headers, b"{}".to_vec())
}

/// `n` ListTables in a row, each answered 200.
fn answered(addr: SocketAddr, n: usize, during: impl Fn()) {
    for _ in 0..n {
        let answer = list_tables(addr);
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        during();
    }
}

/// `n` connections that never send a byte.
fn idle(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|i| {
            TcpStream::connect(addr).unwrap_or_else(|e| {
                panic!(
                    "idle connection {i} of {n}: {e} (is the open-file limit below {}?)",
                    2 * n
                )
            })
        })
        .collect()
}

/// `n` connections that sent part of a request head and stop there.
fn slow_heads(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_2012")
                .unwrap();
            s
        })
        .collect()
}

/// `n` connections that sent a whole head announcing 1,000 bytes of body, and 10 of them.
fn slow_bodies(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(
                b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\
                  Content-Type: application/x-amz-json-1.0\r\nContent-Length: 1000\r\n\r\n{\"Limit\"",
            )
            .unwrap();
            s
        })
        .collect()
}

/// Waits until `done` holds, at most [`BOUND`].
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < BOUND, "{what}: not within {BOUND:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the server closed `s` (without blocking).
fn closed_by_server(s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 1024];
    let closed = loop {
        match (&mut &*s).read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break false,
            Err(_) => break true,
        }
    };
    s.set_nonblocking(false).unwrap();
    closed
}

#[test]
fn a_thousand_idle_connections_and_slow_clients_do_not_starve_others() {
    let server = MemoryServer::start(MemoryBackend::new()).unwrap();
    let addr = server.addr();
    let _idle = idle(addr, 1000);
    let _heads = slow_heads(addr, 10);
    let _bodies = slow_bodies(addr, 10);
    eventually("the server accepts all 1,020 connections", || {
        server.open_connections() >= 1020
    });
    let start = Instant::now();
    answered(addr, 20, || {});
    assert!(
        start.elapsed() < BOUND,
        "20 answers took {:?}",
        start.elapsed()
    );
    assert!(server.open_connections() <= ServerLimits::default().max_connections);
}

#[test]
fn at_the_limit_new_clients_take_the_place_of_the_longest_waiting() {
    const MAX: usize = 16;
    let mut limits = ServerLimits::default();
    limits.max_connections = MAX;
    let server = MemoryServer::builder(MemoryBackend::new())
        .limits(limits)
        .start()
        .unwrap();
    let addr = server.addr();
    // More idle and slow-loris connections than the limit: each newcomer closes the oldest.
    let mut waiting = idle(addr, 40);
    waiting.extend(slow_heads(addr, 10));
    waiting.extend(slow_bodies(addr, 10));
    eventually("every connection was accepted or made room", || {
        let closed = waiting.iter().filter(|s| closed_by_server(s)).count();
        closed >= waiting.len() - MAX
    });
    assert!(
        server.open_connections() <= MAX,
        "{}",
        server.open_connections()
    );
    // Normal clients still get their answers, each in place of a waiting connection.
    answered(addr, 20, || {
        let open = server.open_connections();
        assert!(open <= MAX, "{open}");
    });
    // The connections still open are the newest; all but MAX of the 60 were closed.
    let closed = waiting.iter().filter(|s| closed_by_server(s)).count();
    assert!(
        closed >= waiting.len() - MAX,
        "{closed} of {} closed",
        waiting.len()
    );
}

#[test]
fn slow_heads_slow_bodies_and_idle_keep_alives_are_cut_off() {
    let mut limits = ServerLimits::default();
    limits.header_timeout = Duration::from_millis(500);
    limits.body_timeout = Duration::from_millis(500);
    let server = MemoryServer::builder(MemoryBackend::new())
        .limits(limits)
        .start()
        .unwrap();
    let addr = server.addr();

    // A head never finished: the connection closes, with no answer.
    let mut head = slow_heads(addr, 1).remove(0);
    head.set_read_timeout(Some(BOUND)).unwrap();
    let mut buf = Vec::new();
    let read = head.read_to_end(&mut buf);
    assert!(read.is_ok(), "the server closes the connection: {read:?}");
    assert!(
        !String::from_utf8_lossy(&buf).contains(" 200 "),
        "{}",
        String::from_utf8_lossy(&buf)
    );

    // A body never finished: HTTP 408 RequestTimeoutException, then the connection closes.
    let mut body = slow_bodies(addr, 1).remove(0);
    body.set_read_timeout(Some(BOUND)).unwrap();
    let answer = raw_http::read_answer(&mut body).expect("an answer to the slow body");
    assert_eq!(answer.status, 408);
    assert_eq!(
        answer.json()["__type"],
        "com.amazon.coral.service#RequestTimeoutException"
    );
    assert_eq!(answer.header("connection"), Some("close"));

    // An idle keep-alive connection, after one answer: closed.
    let mut keep = TcpStream::connect(addr).unwrap();
    keep.set_read_timeout(Some(BOUND)).unwrap();
    keep.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\
          Content-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}",
    )
    .unwrap();
    let answer = raw_http::read_answer(&mut keep).expect("an answer");
    assert_eq!(answer.status, 200);
    let mut rest = Vec::new();
    assert!(keep.read_to_end(&mut rest).is_ok(), "closed by the server");
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));

    // The server serves on.
    assert_eq!(list_tables(addr).status, 200);
}

#[test]
fn a_head_over_the_limit_is_refused() {
    let server = MemoryServer::start(MemoryBackend::new()).unwrap();
    let addr = server.addr();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(BOUND)).unwrap();
    let big = "x".repeat(MAX_HEAD_BYTES + 1);
    let head =
        format!("POST / HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nContent-Length: 2\r\n\r\n{{}}");
    let _ = s.write_all(head.as_bytes());
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
    assert_eq!(list_tables(addr).status, 200);
}
