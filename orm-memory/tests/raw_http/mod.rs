//! A raw HTTP/1.1 client on `std::net::TcpStream`, for sending MemoryServer what no SDK would.
//! Shared by the server's integration tests (each includes it with `mod raw_http;`).

#![allow(dead_code, unreachable_pub)]

use serde_json::Value as Json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the answer is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// CRC-32 (IEEE), bit by bit: independent of the server's table-driven one.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Sends `POST /` with `headers` (besides Host, Content-Length and `Connection: close`) and
/// `body` on a new connection and reads the answer. The body is written from another thread,
/// so that an answer sent before the body was read whole is still received. Every answer must
/// carry `x-amzn-RequestId` and a correct `x-amz-crc32`.
pub fn post(addr: SocketAddr, headers: &[(&str, String)], body: Vec<u8>) -> Answer {
    post_to(addr, "/", headers, body)
}

/// [`post`] to `path_and_query` (e.g. `/?X-Amz-Algorithm=...`).
pub fn post_to(
    addr: SocketAddr,
    path_and_query: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "POST {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        // The server may answer and close before reading all of an oversized body.
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&body);
    });
    let answer = read_answer(&mut stream)
        .unwrap_or_else(|raw| panic!("the connection closed before a whole answer: {raw:?}"));
    drop(stream);
    let _ = sender.join();
    // Every answer, error or not: a request id and the body's CRC-32.
    let id = answer.header("x-amzn-RequestId").unwrap_or_default();
    assert!(!id.is_empty(), "no x-amzn-RequestId: {:?}", answer.headers);
    let crc = answer
        .header("x-amz-crc32")
        .unwrap_or_else(|| panic!("no x-amz-crc32: {:?}", answer.headers));
    assert_eq!(crc, crc32(&answer.body).to_string(), "x-amz-crc32");
    answer
}

/// Sends `GET path_and_query` on a new connection (`Connection: close`) and reads the answer.
pub fn get(addr: SocketAddr, path_and_query: &str) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head =
        format!("GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("send the request");
    read_answer(&mut stream)
        .unwrap_or_else(|raw| panic!("the connection closed before a whole answer: {raw:?}"))
}

/// Reads one answer from `stream` (whose read timeout bounds the wait). `Err` holds what was
/// read when the connection closed (or timed out) before a whole answer.
pub fn read_answer(stream: &mut TcpStream) -> Result<Answer, Vec<u8>> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let (header_end, content_length) = loop {
        let n = stream.read(&mut buf).map_err(|_| raw.clone())?;
        if n == 0 {
            return Err(raw);
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&raw, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().unwrap())
                })
                .expect("a Content-Length header");
            break (end + 4, length);
        }
    };
    while raw.len() < header_end + content_length {
        let n = stream.read(&mut buf).map_err(|_| raw.clone())?;
        if n == 0 {
            return Err(raw);
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8(raw[..header_end - 4].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: raw[header_end..header_end + content_length].to_vec(),
    })
}
