//! Bad input over real HTTP: a raw HTTP/1.1 client on `std::net::TcpStream` sends MemoryServer
//! what no SDK would (malformed JSON, unknown targets and parameters, wrong types, oversized
//! bodies and expressions, invalid keys, oversized or partly invalid batches, a cancelled
//! transaction) and checks DynamoDB-shaped 400 answers: the status, `__type` ending in the code,
//! a message naming what was wrong, and that nothing was written. Every answer is also checked
//! for `x-amzn-RequestId` and a correct `x-amz-crc32`. It also sends the expression forms DynamoDB
//! accepts that the ORM never writes (function calls as `SET` operands, parentheses, key
//! conditions written value-first).

use orm_memory::server::{MemoryServer, MAX_REQUEST_BYTES};
use orm_memory::MemoryBackend;
use serde_json::{json, Value as Json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const TARGET: &str = "DynamoDB_20120810.";
const TABLE: &str = "things";

/// One HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Json {
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

/// Sends one request on a new connection and reads the answer. `target` is the whole
/// `X-Amz-Target` value (None: no such header). The body is written from another thread, so
/// that an answer sent before the body was read whole is still received.
fn send(addr: SocketAddr, target: Option<&str>, body: Vec<u8>) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(target) = target {
        head.push_str(&format!("X-Amz-Target: {target}\r\n"));
    }
    head.push_str("\r\n");
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        // The server may answer and close before reading all of an oversized body.
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&body);
    });
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let (header_end, content_length) = loop {
        let n = stream.read(&mut buf).expect("read the answer");
        assert!(
            n > 0,
            "the connection closed before a whole answer: {raw:?}"
        );
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
        let n = stream.read(&mut buf).expect("read the body");
        assert!(n > 0, "the connection closed inside the body");
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
    let answer = Answer {
        status,
        headers,
        body: raw[header_end..header_end + content_length].to_vec(),
    };
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

/// `op` with a JSON body.
fn call(addr: SocketAddr, op: &str, body: &Json) -> Answer {
    send(
        addr,
        Some(&format!("{TARGET}{op}")),
        serde_json::to_vec(body).unwrap(),
    )
}

/// `op` must succeed; returns its JSON.
fn ok(addr: SocketAddr, op: &str, body: &Json) -> Json {
    let answer = call(addr, op, body);
    assert_eq!(
        answer.status,
        200,
        "{op} failed: {}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()
}

/// The answer must be a 400 whose `__type` ends in `#code` and whose message contains `needle`.
fn assert_error(answer: &Answer, code: &str, needle: &str) {
    let json = answer.json();
    assert_eq!(answer.status, 400, "status of {json}");
    let kind = json["__type"].as_str().unwrap_or_default();
    assert!(
        kind.starts_with("com.amazonaws.dynamodb.v20120810#")
            && kind.ends_with(&format!("#{code}")),
        "__type {kind:?}, expected {code}: {json}"
    );
    let message = json["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "message {message:?} does not name {needle:?}"
    );
}

fn fails(addr: SocketAddr, op: &str, body: &Json, code: &str, needle: &str) {
    assert_error(&call(addr, op, body), code, needle);
}

/// A server with a table `things` (pk S, sk S) and one `zeta` (id S).
fn server() -> MemoryServer {
    let server = MemoryServer::start(MemoryBackend::new()).expect("start the server");
    let addr = server.addr();
    assert!(addr.ip().is_loopback());
    ok(
        addr,
        "CreateTable",
        &json!({
            "TableName": TABLE,
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"}
            ],
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"}
            ],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    );
    ok(
        addr,
        "CreateTable",
        &json!({
            "TableName": "zeta",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    );
    server
}

/// The number of items in `table`, by a Scan.
fn count(addr: SocketAddr, table: &str) -> u64 {
    ok(
        addr,
        "Scan",
        &json!({"TableName": table, "Select": "COUNT"}),
    )["Count"]
        .as_u64()
        .unwrap()
}

fn key(pk: &str, sk: &str) -> Json {
    json!({"pk": {"S": pk}, "sk": {"S": sk}})
}

#[test]
fn malformed_json_is_a_serialization_exception() {
    let server = server();
    let addr = server.addr();
    for body in [
        &b"{\"TableName\": "[..],
        b"{\"TableName\": \"things\",}",
        b"not json",
        b"{\"TableName\": \"th\xffings\"}",
    ] {
        let answer = send(addr, Some("DynamoDB_20120810.DescribeTable"), body.to_vec());
        assert_error(&answer, "SerializationException", "not JSON");
    }
}

#[test]
fn a_body_that_is_not_an_object_is_refused() {
    let server = server();
    let addr = server.addr();
    for body in ["[1, 2]", "\"things\"", "42", "null", "true"] {
        let answer = send(addr, Some("DynamoDB_20120810.PutItem"), body.into());
        assert_error(&answer, "SerializationException", "JSON object");
    }
    assert_eq!(count(addr, TABLE), 0);
}

#[test]
fn unknown_or_missing_targets_are_unknown_operations() {
    let server = server();
    let addr = server.addr();
    let body = br#"{"TableName": "things"}"#.to_vec();
    let answer = send(addr, Some("DynamoDB_20120810.Frobnicate"), body.clone());
    assert_error(&answer, "UnknownOperationException", "Frobnicate");
    let answer = send(addr, None, body.clone());
    assert_error(&answer, "UnknownOperationException", "X-Amz-Target");
    let answer = send(addr, Some("DynamoDB_20111205.DescribeTable"), body.clone());
    assert_error(
        &answer,
        "UnknownOperationException",
        "DynamoDB_20111205.DescribeTable",
    );
    let answer = send(addr, Some("DynamoDB_20120810."), body);
    assert_error(&answer, "UnknownOperationException", "Unknown operation");
}

#[test]
fn unknown_fields_are_named() {
    let server = server();
    let addr = server.addr();
    fails(
        addr,
        "GetItem",
        &json!({"TableName": TABLE, "Key": key("a", "b"), "Bogus": 1}),
        "ValidationException",
        "Bogus",
    );
    fails(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": key("a", "b"), "tablename": "x"}),
        "ValidationException",
        "tablename",
    );
    assert_eq!(count(addr, TABLE), 0, "a refused PutItem wrote nothing");
}

#[test]
fn legacy_parameters_are_named_with_their_replacement() {
    let server = server();
    let addr = server.addr();
    let eq = json!({"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]});
    let cases = [
        (
            "Query",
            json!({"TableName": TABLE, "KeyConditions": {"pk": eq}}),
            "KeyConditions",
            "KeyConditionExpression",
        ),
        (
            "Query",
            json!({"TableName": TABLE, "KeyConditionExpression": "pk = :p",
                   "ExpressionAttributeValues": {":p": {"S": "a"}}, "QueryFilter": {"x": eq}}),
            "QueryFilter",
            "FilterExpression",
        ),
        (
            "Scan",
            json!({"TableName": TABLE, "ScanFilter": {"x": eq}}),
            "ScanFilter",
            "FilterExpression",
        ),
        (
            "PutItem",
            json!({"TableName": TABLE, "Item": key("a", "b"), "Expected": {"pk": {"Exists": false}}}),
            "Expected",
            "ConditionExpression",
        ),
        (
            "GetItem",
            json!({"TableName": TABLE, "Key": key("a", "b"), "AttributesToGet": ["pk"]}),
            "AttributesToGet",
            "ProjectionExpression",
        ),
        (
            "UpdateItem",
            json!({"TableName": TABLE, "Key": key("a", "b"),
                   "AttributeUpdates": {"x": {"Action": "PUT", "Value": {"S": "v"}}}}),
            "AttributeUpdates",
            "UpdateExpression",
        ),
        (
            "DeleteItem",
            json!({"TableName": TABLE, "Key": key("a", "b"), "ConditionalOperator": "AND"}),
            "ConditionalOperator",
            "ConditionExpression",
        ),
    ];
    for (op, body, legacy, instead) in cases {
        let answer = call(addr, op, &body);
        assert_error(&answer, "ValidationException", legacy);
        assert_error(&answer, "ValidationException", instead);
    }
    assert_eq!(count(addr, TABLE), 0, "no legacy write was applied");
}

#[test]
fn wrong_json_types_are_named() {
    let server = server();
    let addr = server.addr();
    let cases = [
        ("DescribeTable", json!({"TableName": 123}), "TableName"),
        (
            "PutItem",
            json!({"TableName": ["things"], "Item": key("a", "b")}),
            "TableName",
        ),
        (
            "GetItem",
            json!({"TableName": TABLE, "Key": key("a", "b"), "ConsistentRead": "yes"}),
            "ConsistentRead",
        ),
        ("Scan", json!({"TableName": TABLE, "Limit": "5"}), "Limit"),
        ("Scan", json!({"TableName": TABLE, "Limit": -1}), "Limit"),
        (
            "TransactWriteItems",
            json!({"TransactItems": {"Put": {}}}),
            "TransactItems",
        ),
    ];
    for (op, body, member) in cases {
        let answer = call(addr, op, &body);
        assert_error(&answer, "SerializationException", member);
    }
    // An attribute value of the wrong shape names what is wrong with it.
    fails(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": {"pk": {"S": "a"}, "sk": {"S": "b"}, "n": {"N": 5}}}),
        "ValidationException",
        "N AttributeValue must hold a string",
    );
    fails(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": {"pk": {"S": "a"}, "sk": {"S": "b"}, "x": "plain"}}),
        "ValidationException",
        "not an object",
    );
    assert_eq!(count(addr, TABLE), 0);
}

#[test]
fn a_body_over_16_mb_is_refused_and_the_server_goes_on() {
    let server = server();
    let addr = server.addr();
    // A valid PutItem padded with spaces to one byte over the limit.
    let mut body =
        serde_json::to_vec(&json!({"TableName": TABLE, "Item": key("big", "1")})).unwrap();
    body.resize(MAX_REQUEST_BYTES + 1, b' ');
    let answer = send(addr, Some("DynamoDB_20120810.PutItem"), body);
    assert_error(
        &answer,
        "ValidationException",
        &format!("at most {MAX_REQUEST_BYTES} bytes"),
    );
    assert_eq!(count(addr, TABLE), 0, "the oversized PutItem wrote nothing");
    // At the limit it is read and served.
    let mut body =
        serde_json::to_vec(&json!({"TableName": TABLE, "Item": key("big", "2")})).unwrap();
    body.resize(MAX_REQUEST_BYTES, b' ');
    let answer = send(addr, Some("DynamoDB_20120810.PutItem"), body);
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(count(addr, TABLE), 1);
}

/// An attribute value nested `levels` deep: the attribute itself is level 1.
fn nested(levels: usize) -> Json {
    let mut v = json!({"S": "leaf"});
    for i in 1..levels {
        v = if i % 2 == 0 {
            json!({"L": [v]})
        } else {
            json!({"M": {"m": v}})
        };
    }
    v
}

#[test]
fn nesting_past_32_levels_is_refused() {
    let server = server();
    let addr = server.addr();
    let mut item = key("deep", "32");
    item["v"] = nested(32);
    ok(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": item.clone()}),
    );
    let got = ok(
        addr,
        "GetItem",
        &json!({"TableName": TABLE, "Key": key("deep", "32")}),
    );
    assert_eq!(
        got["Item"], item,
        "32 levels are stored and read back whole"
    );

    let mut item = key("deep", "33");
    item["v"] = nested(33);
    fails(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": item}),
        "ValidationException",
        "Nesting Levels have exceeded supported limits",
    );
    assert_eq!(count(addr, TABLE), 1, "the 33-level item was not written");
}

#[test]
fn an_expression_over_4_kb_is_refused() {
    let server = server();
    let addr = server.addr();
    let sized = |len: usize| {
        let mut text = String::from("attribute_not_exists(pk)");
        text.push_str(&" ".repeat(len - text.len()));
        text
    };
    ok(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": key("a", "1"), "ConditionExpression": sized(4096)}),
    );
    fails(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": key("a", "2"), "ConditionExpression": sized(4097)}),
        "ValidationException",
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size",
    );
    fails(
        addr,
        "UpdateItem",
        &json!({"TableName": TABLE, "Key": key("a", "3"),
                "UpdateExpression": format!("SET x = :v{}", " ".repeat(4096)),
                "ExpressionAttributeValues": {":v": {"S": "v"}}}),
        "ValidationException",
        "maximum allowed size",
    );
    assert_eq!(
        count(addr, TABLE),
        1,
        "only the 4096-byte condition's put was written"
    );
}

#[test]
fn invalid_keys_are_refused() {
    let server = server();
    let addr = server.addr();
    let cases = [
        (
            "GetItem",
            json!({"TableName": TABLE, "Key": {"pk": {"S": "a"}}}),
            "got [pk (S)]",
        ),
        (
            "GetItem",
            json!({"TableName": TABLE, "Key": {"pk": {"N": "1"}, "sk": {"S": "b"}}}),
            "got [pk (N), sk (S)]",
        ),
        (
            "GetItem",
            json!({"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}, "x": {"S": "c"}}}),
            "got [pk (S), sk (S), x (S)]",
        ),
        (
            "GetItem",
            json!({"TableName": TABLE, "Key": {"pk": {"S": ""}, "sk": {"S": "b"}}}),
            "empty string value. Key: pk",
        ),
        (
            "DeleteItem",
            json!({"TableName": TABLE, "Key": {"sk": {"S": "b"}}}),
            "got [sk (S)]",
        ),
        (
            "PutItem",
            json!({"TableName": TABLE, "Item": {"pk": {"S": "a"}}}),
            "Missing the key sk",
        ),
        (
            "PutItem",
            json!({"TableName": TABLE, "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
            "Type mismatch for key sk expected: S actual: N",
        ),
        (
            "PutItem",
            json!({"TableName": TABLE, "Item": {"pk": {"S": "a"}, "sk": {"S": ""}}}),
            "empty string value. Key: sk",
        ),
        (
            "UpdateItem",
            json!({"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}, "x": {"S": "c"}},
                   "UpdateExpression": "SET y = :v", "ExpressionAttributeValues": {":v": {"S": "v"}}}),
            "x (S)",
        ),
    ];
    for (op, body, needle) in cases {
        let answer = call(addr, op, &body);
        assert_error(&answer, "ValidationException", needle);
    }
    assert_eq!(count(addr, TABLE), 0, "no invalid key was written");
}

fn put(item: Json) -> Json {
    json!({"PutRequest": {"Item": item}})
}

#[test]
fn batch_writes_are_all_or_nothing_on_invalid_input() {
    let server = server();
    let addr = server.addr();
    let writes: Vec<Json> = (0..26).map(|i| put(key("b", &i.to_string()))).collect();
    fails(
        addr,
        "BatchWriteItem",
        &json!({"RequestItems": {TABLE: writes}}),
        "ValidationException",
        "less than or equal to 25",
    );
    assert_eq!(count(addr, TABLE), 0, "26 writes: nothing written");

    // 25 writes, the 14th without its sort key.
    let mut writes: Vec<Json> = (0..25).map(|i| put(key("b", &i.to_string()))).collect();
    writes[13] = put(json!({"pk": {"S": "b"}}));
    fails(
        addr,
        "BatchWriteItem",
        &json!({"RequestItems": {TABLE: writes}}),
        "ValidationException",
        "sk",
    );
    assert_eq!(
        count(addr, TABLE),
        0,
        "one invalid write of 25: nothing written"
    );

    // Across tables: 24 valid writes to `things`, one invalid to `zeta`, which comes after it.
    let writes: Vec<Json> = (0..24).map(|i| put(key("b", &i.to_string()))).collect();
    fails(
        addr,
        "BatchWriteItem",
        &json!({"RequestItems": {TABLE: writes, "zeta": [put(json!({"id": {"N": "1"}}))]}}),
        "ValidationException",
        "id",
    );
    assert_eq!(
        count(addr, TABLE),
        0,
        "an invalid write to another table: nothing written"
    );
    assert_eq!(count(addr, "zeta"), 0);

    // Across tables, a table that does not exist.
    let writes: Vec<Json> = (0..3).map(|i| put(key("b", &i.to_string()))).collect();
    fails(
        addr,
        "BatchWriteItem",
        &json!({"RequestItems": {TABLE: writes, "zzz_missing": [put(json!({"id": {"S": "1"}}))]}}),
        "ResourceNotFoundException",
        "not found",
    );
    assert_eq!(
        count(addr, TABLE),
        0,
        "a missing table in the batch: nothing written"
    );

    // And 25 valid writes are all written.
    let writes: Vec<Json> = (0..25).map(|i| put(key("b", &i.to_string()))).collect();
    let answer = ok(
        addr,
        "BatchWriteItem",
        &json!({"RequestItems": {TABLE: writes}}),
    );
    assert_eq!(answer["UnprocessedItems"], json!({}));
    assert_eq!(count(addr, TABLE), 25);
}

#[test]
fn a_cancelled_transaction_names_each_reason_and_writes_nothing() {
    let server = server();
    let addr = server.addr();
    let answer = call(
        addr,
        "TransactWriteItems",
        &json!({"TransactItems": [
            {"Put": {"TableName": TABLE, "Item": key("t", "1")}},
            {"Put": {"TableName": TABLE, "Item": key("t", "2"),
                     "ConditionExpression": "attribute_exists(pk)"}}
        ]}),
    );
    assert_error(
        &answer,
        "TransactionCanceledException",
        "[None, ConditionalCheckFailed]",
    );
    let reasons = answer.json()["CancellationReasons"].clone();
    assert_eq!(reasons[0], json!({"Code": "None"}));
    assert_eq!(reasons[1]["Code"], json!("ConditionalCheckFailed"));
    assert_eq!(reasons.as_array().unwrap().len(), 2);
    assert_eq!(
        count(addr, TABLE),
        0,
        "the cancelled transaction wrote nothing"
    );
}

#[test]
fn get_item_returns_the_exact_item_json() {
    let server = server();
    let addr = server.addr();
    let item = json!({
        "pk": {"S": "exact"}, "sk": {"S": "é\u{1F600}\"\\"},
        "n": {"N": "12345678901234567890.123456789012345678"},
        "big": {"N": "99999999999999999999999999999999999999"},
        "neg": {"N": "-0.5"},
        "b": {"B": "AAEC/w=="},
        "t": {"BOOL": true}, "f": {"BOOL": false}, "z": {"NULL": true},
        "l": {"L": [{"N": "1"}, {"S": ""}, {"M": {}}, {"L": []}]},
        "m": {"M": {"k": {"SS": ["a", "b"]}, "e": {"S": ""}}},
        "ns": {"NS": ["1.5", "10"]},
        "bs": {"BS": ["AA==", "AQ=="]}
    });
    ok(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": item.clone()}),
    );
    let got = ok(
        addr,
        "GetItem",
        &json!({"TableName": TABLE, "Key": key("exact", "é\u{1F600}\"\\"), "ConsistentRead": true}),
    );
    assert_eq!(got, json!({ "Item": item }));
    // Numbers come back in DynamoDB's canonical form.
    let mut odd = key("canon", "1");
    odd["n"] = json!({"N": "001.500"});
    odd["e"] = json!({"N": "1E+3"});
    ok(addr, "PutItem", &json!({"TableName": TABLE, "Item": odd}));
    let got = ok(
        addr,
        "GetItem",
        &json!({"TableName": TABLE, "Key": key("canon", "1")}),
    );
    assert_eq!(got["Item"]["n"], json!({"N": "1.5"}));
    assert_eq!(got["Item"]["e"], json!({"N": "1000"}));
    // A missing item is an empty object, not an error.
    assert_eq!(
        ok(
            addr,
            "GetItem",
            &json!({"TableName": TABLE, "Key": key("none", "1")})
        ),
        json!({})
    );
}

#[test]
fn a_missing_table_is_resource_not_found() {
    let server = server();
    let addr = server.addr();
    fails(
        addr,
        "GetItem",
        &json!({"TableName": "nope_missing", "Key": key("a", "b")}),
        "ResourceNotFoundException",
        "Requested resource not found",
    );
    fails(
        addr,
        "DescribeTable",
        &json!({"TableName": "x"}),
        "ValidationException",
        "tableName",
    );
}

#[test]
fn request_ids_differ_and_answers_are_json_1_0() {
    let server = server();
    let addr = server.addr();
    let a = call(addr, "ListTables", &json!({}));
    let b = call(addr, "ListTables", &json!({}));
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["TableNames"], json!(["things", "zeta"]));
    assert_ne!(a.header("x-amzn-RequestId"), b.header("x-amzn-RequestId"));
    assert_eq!(a.header("content-type"), Some("application/x-amz-json-1.0"));
}

/// `UpdateExpression`s with function calls as operands, as DynamoDB accepts them (each form
/// checked against DynamoDB Local): the counter idiom, `list_append` of `if_not_exists`, nested
/// `if_not_exists`, parentheses; and DynamoDB's errors for `list_append` elsewhere than the whole
/// value and for redundant parentheses, writing nothing.
#[test]
fn function_calls_as_set_operands() {
    let server = server();
    let addr = server.addr();
    let update = |expression: &str| {
        json!({
            "TableName": TABLE,
            "Key": key("fn", "1"),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": {
                ":zero": {"N": "0"}, ":one": {"N": "1"},
                ":empty": {"L": []}, ":entry": {"L": [{"S": "x"}]}
            },
            "ReturnValues": "ALL_NEW"
        })
    };
    let counter = "SET visits = if_not_exists(visits, :zero) + :one, \
                   trail = list_append(if_not_exists(trail, :empty), :entry), \
                   remaining = :one - if_not_exists(used, if_not_exists(visits, :zero)) \
                   ADD calls :zero REMOVE nothing";
    let first = ok(addr, "UpdateItem", &update(counter));
    assert_eq!(first["Attributes"]["visits"], json!({"N": "1"}));
    assert_eq!(first["Attributes"]["trail"], json!({"L": [{"S": "x"}]}));
    assert_eq!(first["Attributes"]["remaining"], json!({"N": "1"}));
    let second = ok(addr, "UpdateItem", &update(counter));
    assert_eq!(second["Attributes"]["visits"], json!({"N": "2"}));
    assert_eq!(
        second["Attributes"]["trail"],
        json!({"L": [{"S": "x"}, {"S": "x"}]})
    );
    // `remaining` read `visits` as it was before this update.
    assert_eq!(second["Attributes"]["remaining"], json!({"N": "0"}));
    let grouped = ok(
        addr,
        "UpdateItem",
        &update(
            "SET visits = (visits - :one), calls = (:one) + (calls), \
             trail = (list_append(:entry, :empty)) ADD x :zero",
        ),
    );
    assert_eq!(grouped["Attributes"]["visits"], json!({"N": "1"}));
    assert_eq!(grouped["Attributes"]["calls"], json!({"N": "1"}));
    assert_eq!(grouped["Attributes"]["trail"], json!({"L": [{"S": "x"}]}));
    for (expression, needle) in [
        (
            "SET trail = list_append(trail, :entry) + :one",
            "Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append",
        ),
        (
            "SET trail = if_not_exists(trail, list_append(trail, :entry))",
            "function: list_append",
        ),
        (
            "SET visits = ((visits))",
            "Invalid UpdateExpression: The expression has redundant parentheses;",
        ),
        (
            "SET visits = visits + (visits - :one)",
            "Invalid UpdateExpression: Syntax error; token: \"-\"",
        ),
    ] {
        fails(
            addr,
            "UpdateItem",
            &update(expression),
            "ValidationException",
            needle,
        );
    }
    let stored = ok(
        addr,
        "GetItem",
        &json!({"TableName": TABLE, "Key": key("fn", "1"), "ConsistentRead": true}),
    );
    assert_eq!(stored["Item"]["visits"], json!({"N": "1"}));
}

/// Key conditions written value-first, as DynamoDB accepts them: `:v = pk`, and `:v < sk`
/// meaning `sk > :v` (checked against DynamoDB Local); BETWEEN and begins_with still take the
/// key first.
#[test]
fn key_conditions_written_value_first() {
    let server = server();
    let addr = server.addr();
    for sk in ["a", "m", "z"] {
        ok(
            addr,
            "PutItem",
            &json!({"TableName": TABLE, "Item": key("vf", sk)}),
        );
    }
    let query = |expression: &str| {
        json!({
            "TableName": TABLE,
            "KeyConditionExpression": expression,
            "ExpressionAttributeValues": {":p": {"S": "vf"}, ":s": {"S": "m"}}
        })
    };
    let sort_keys = |expression: &str| -> Vec<String> {
        ok(addr, "Query", &query(expression))["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["sk"]["S"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(sort_keys(":p = pk AND :s < sk"), ["z"]);
    assert_eq!(sort_keys(":s >= sk AND :p = pk"), ["a", "m"]);
    assert_eq!(sort_keys("pk = :p AND :s = sk"), ["m"]);
    assert_eq!(sort_keys("(:p = pk) AND (:s > sk)"), ["a"]);
    fails(
        addr,
        "Query",
        &query("pk = :p AND :s BETWEEN sk AND :s"),
        "ValidationException",
        "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand",
    );
}
