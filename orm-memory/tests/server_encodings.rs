//! Request bodies over real HTTP: `Content-Encoding: gzip` and `deflate` bodies are decoded and
//! served; a zip bomb (a small body that inflates past 16 MB) and a body over 16 MB, sent or
//! only announced, are HTTP 413 and write nothing; a broken or unknown encoding is a 400 naming
//! it; the server serves on after each.

use crate::raw_http;

use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use orm_memory::server::{MemoryServer, MAX_REQUEST_BYTES};
use orm_memory::MemoryBackend;
use raw_http::Answer;
use serde_json::{json, Value as Json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const TABLE: &str = "encoded";

fn call(addr: SocketAddr, op: &str, encoding: Option<&str>, body: Vec<u8>) -> Answer {
    let mut headers = vec![
        ("Content-Type", "application/x-amz-json-1.0".to_owned()),
        ("X-Amz-Target", format!("DynamoDB_20120810.{op}")),
    ];
    if let Some(encoding) = encoding {
        headers.push(("Content-Encoding", encoding.to_owned()));
    }
    raw_http::post(addr, &headers, body)
}

fn json_body(value: &Json) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn server() -> MemoryServer {
    let server = MemoryServer::start(MemoryBackend::new()).unwrap();
    let create = json!({
        "TableName": TABLE,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
    });
    let answer = call(
        server.addr(),
        "CreateTable",
        Some("gzip"),
        gzip(&json_body(&create)),
    );
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    server
}

fn put(pk: &str) -> Vec<u8> {
    json_body(&json!({"TableName": TABLE, "Item": {"pk": {"S": pk}, "v": {"S": "x".repeat(100)}}}))
}

fn count(addr: SocketAddr) -> u64 {
    let answer = call(
        addr,
        "Scan",
        None,
        json_body(&json!({"TableName": TABLE, "Select": "COUNT"})),
    );
    answer.json()["Count"].as_u64().unwrap()
}

fn assert_too_large(answer: &Answer) {
    assert_eq!(
        answer.status,
        413,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(
        answer.json()["__type"],
        "com.amazon.coral.service#RequestEntityTooLargeException"
    );
}

#[test]
fn gzip_and_deflate_bodies_are_served() {
    let server = server();
    let addr = server.addr();
    assert_eq!(
        call(addr, "PutItem", Some("gzip"), gzip(&put("g"))).status,
        200
    );
    assert_eq!(
        call(addr, "PutItem", Some("deflate"), zlib(&put("d"))).status,
        200
    );
    assert_eq!(
        call(addr, "PutItem", Some("identity"), put("i")).status,
        200
    );
    let got = call(
        addr,
        "GetItem",
        Some("gzip"),
        gzip(&json_body(
            &json!({"TableName": TABLE, "Key": {"pk": {"S": "g"}}}),
        )),
    );
    assert_eq!(got.json()["Item"]["v"]["S"], "x".repeat(100));
    assert_eq!(count(addr), 3);
}

#[test]
fn a_zip_bomb_is_413_and_writes_nothing() {
    let server = server();
    let addr = server.addr();
    // A valid PutItem padded with spaces past 16 MB, gzipped to a few kilobytes.
    let mut json = put("bomb");
    json.resize(MAX_REQUEST_BYTES + 1, b' ');
    let bomb = gzip(&json);
    assert!(bomb.len() < 100_000, "{} bytes", bomb.len());
    let answer = call(addr, "PutItem", Some("gzip"), bomb);
    assert_too_large(&answer);
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("decodes (gzip)"),
        "{}",
        answer.json()
    );
    // At the limit, decoded: served.
    let mut json = put("full");
    json.resize(MAX_REQUEST_BYTES, b' ');
    assert_eq!(call(addr, "PutItem", Some("gzip"), gzip(&json)).status, 200);
    assert_eq!(count(addr), 1);
}

#[test]
fn a_body_announced_over_16_mb_is_413_before_it_is_sent() {
    let server = server();
    let addr = server.addr();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n",
        MAX_REQUEST_BYTES + 1
    );
    s.write_all(head.as_bytes()).unwrap();
    // Not a byte of the body sent: the answer comes anyway.
    let answer = raw_http::read_answer(&mut s).expect("an answer before the body");
    assert_too_large(&answer);
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert_eq!(count(addr), 0);
}

#[test]
fn broken_and_unknown_encodings_are_named() {
    let server = server();
    let addr = server.addr();
    let answer = call(addr, "PutItem", Some("gzip"), put("plain"));
    assert_eq!(answer.status, 400);
    let body = answer.json();
    assert_eq!(
        body["__type"],
        "com.amazonaws.dynamodb.v20120810#SerializationException"
    );
    assert!(
        body["message"].as_str().unwrap().contains("not valid gzip"),
        "{body}"
    );
    let answer = call(addr, "PutItem", Some("br"), put("br"));
    assert_eq!(answer.status, 400);
    assert!(answer.json()["message"].as_str().unwrap().contains("'br'"));
    assert_eq!(count(addr), 0);
}
