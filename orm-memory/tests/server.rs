//! Bad input over real HTTP: a raw HTTP/1.1 client on `std::net::TcpStream` sends MemoryServer
//! what no SDK would (malformed JSON, unknown targets and parameters, wrong types, oversized
//! bodies and expressions, invalid keys, oversized or partly invalid batches, a cancelled
//! transaction, UpdateTable and tag requests DynamoDB refuses) and checks DynamoDB-shaped 400
//! answers: the status, `__type` ending in the code, a message naming what was wrong, and that
//! nothing was written or changed. It also checks what the table operations answer (UpdateTable's
//! statuses, DescribeTable's fields, tags, TTL) against the engine's one truth, and the expression
//! forms DynamoDB accepts that the ORM never writes (function calls as `SET` operands,
//! parentheses, key conditions written value-first). Every answer is also checked for
//! `x-amzn-RequestId` and a correct `x-amz-crc32`.

use crate::raw_http;

use orm_memory::server::{MemoryServer, MAX_REQUEST_BYTES};
use orm_memory::MemoryBackend;
use raw_http::Answer;
use serde_json::{json, Value as Json};
use std::net::SocketAddr;

const TARGET: &str = "DynamoDB_20120810.";
const TABLE: &str = "things";

/// Sends one request on a new connection and reads the answer. `target` is the whole
/// `X-Amz-Target` value (None: no such header).
fn send(addr: SocketAddr, target: Option<&str>, body: Vec<u8>) -> Answer {
    let mut headers = vec![("Content-Type", "application/x-amz-json-1.0".to_string())];
    if let Some(target) = target {
        headers.push(("X-Amz-Target", target.to_string()));
    }
    raw_http::post(addr, &headers, body)
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

/// The legacy (non-expression) parameters, end to end over HTTP: each works as its expression
/// does, and a request mixing the two styles is refused without writing anything.
#[test]
fn legacy_parameters_work_as_their_expressions() {
    let server = server();
    let addr = server.addr();
    let item = |sk: &str, n: &str, tag: &str| json!({"pk": {"S": "a"}, "sk": {"S": sk}, "n": {"N": n}, "tag": {"S": tag}});
    // Expected: Exists false creates, then refuses to overwrite.
    let put = |i: Json, expected: Json| {
        call(
            addr,
            "PutItem",
            &json!({"TableName": TABLE, "Item": i, "Expected": expected}),
        )
    };
    for (sk, n, tag) in [
        ("1", "10", "red"),
        ("2", "20", "blue"),
        ("3", "30", "reddish"),
    ] {
        assert_eq!(
            put(item(sk, n, tag), json!({"pk": {"Exists": false}})).status,
            200
        );
    }
    assert_error(
        &put(item("1", "11", "red"), json!({"pk": {"Exists": false}})),
        "ConditionalCheckFailedException",
        "conditional request failed",
    );
    // Expected with ConditionalOperator OR: one of two holds.
    let either = json!({
        "n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "99"}]},
        "tag": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "re"}]}
    });
    let answer = call(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": item("1", "11", "red"), "Expected": either,
                "ConditionalOperator": "OR"}),
    );
    assert_eq!(answer.status, 200, "{}", answer.json());
    // AttributeUpdates: ADD to a number, PUT, DELETE (remove).
    let updated = ok(
        addr,
        "UpdateItem",
        &json!({"TableName": TABLE, "Key": key("a", "1"), "ReturnValues": "ALL_NEW",
                "AttributeUpdates": {"n": {"Action": "ADD", "Value": {"N": "4"}},
                                     "color": {"Value": {"S": "green"}},
                                     "tag": {"Action": "DELETE"}}}),
    );
    assert_eq!(
        updated["Attributes"],
        json!({"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "15"}, "color": {"S": "green"}})
    );
    // KeyConditions and QueryFilter, with AttributesToGet.
    let page = ok(
        addr,
        "Query",
        &json!({"TableName": TABLE,
                "KeyConditions": {
                    "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                    "sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "1"}]}},
                "QueryFilter": {"tag": {"ComparisonOperator": "CONTAINS",
                                        "AttributeValueList": [{"S": "red"}]}},
                "AttributesToGet": ["sk"]}),
    );
    assert_eq!(page["Items"], json!([{"sk": {"S": "3"}}]));
    assert_eq!(page["ScannedCount"], json!(2));
    // ScanFilter with AND.
    let page = ok(
        addr,
        "Scan",
        &json!({"TableName": TABLE,
                "ScanFilter": {
                    "n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "12"}, {"N": "40"}]},
                    "tag": {"ComparisonOperator": "NOT_NULL"}},
                "ConditionalOperator": "AND"}),
    );
    assert_eq!(page["Count"], json!(2));
    // GetItem with AttributesToGet returns only those, keys not included.
    let got = ok(
        addr,
        "GetItem",
        &json!({"TableName": TABLE, "Key": key("a", "2"), "AttributesToGet": ["tag", "none"]}),
    );
    assert_eq!(got["Item"], json!({"tag": {"S": "blue"}}));
    // Mixing the styles is refused, naming both.
    let mixed = call(
        addr,
        "UpdateItem",
        &json!({"TableName": TABLE, "Key": key("a", "9"),
                "AttributeUpdates": {"x": {"Value": {"S": "v"}}},
                "UpdateExpression": "SET x = :v", "ExpressionAttributeValues": {":v": {"S": "v"}}}),
    );
    assert_error(
        &mixed,
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
    );
    assert_eq!(count(addr, TABLE), 3, "the refused update wrote nothing");
}

/// UpdateItem without any update: a missing item is created from its key, an existing one
/// is left as it is; an update of only removals creates nothing.
#[test]
fn update_item_without_an_update_expression() {
    let server = server();
    let addr = server.addr();
    let created = ok(
        addr,
        "UpdateItem",
        &json!({"TableName": TABLE, "Key": key("a", "1"), "ReturnValues": "ALL_NEW"}),
    );
    assert_eq!(created["Attributes"], key("a", "1"));
    ok(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}, "x": {"S": "y"}}}),
    );
    let same = ok(
        addr,
        "UpdateItem",
        &json!({"TableName": TABLE, "Key": key("a", "2"), "ReturnValues": "ALL_NEW"}),
    );
    assert_eq!(same["Attributes"]["x"], json!({"S": "y"}));
    let nothing = ok(
        addr,
        "UpdateItem",
        &json!({"TableName": TABLE, "Key": key("a", "3"), "UpdateExpression": "REMOVE x",
                "ReturnValues": "ALL_NEW"}),
    );
    assert_eq!(nothing, json!({}));
    let nothing = ok(
        addr,
        "UpdateItem",
        &json!({"TableName": TABLE, "Key": key("a", "4"),
                "AttributeUpdates": {"x": {"Action": "DELETE"}}}),
    );
    assert_eq!(nothing, json!({}));
    assert_eq!(count(addr, TABLE), 2);
}

/// DynamoDB's request validation: every violated member constraint, listed together in its
/// order, before any table is looked at.
#[test]
fn constraint_violations_are_listed_together() {
    let server = server();
    let addr = server.addr();
    let enums = call(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": key("a", "b"), "ReturnConsumedCapacity": "X",
                "ReturnItemCollectionMetrics": "Y", "ReturnValues": "Z"}),
    );
    assert_error(
        &enums,
        "ValidationException",
        "3 validation errors detected: Value 'X' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; Value 'Z' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; Value 'Y' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]",
    );
    // A table name is reported on its own, first.
    fails(
        addr,
        "UpdateItem",
        &json!({"TableName": "x!", "Key": {}, "ReturnValues": "Z"}),
        "ValidationException",
        "1 validation error detected: Value 'x!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    );
    fails(
        addr,
        "Scan",
        &json!({"TableName": TABLE, "Limit": -1}),
        "ValidationException",
        "Value '-1' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    fails(
        addr,
        "Query",
        &json!({"TableName": TABLE, "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": "a"}}, "Limit": 0}),
        "ValidationException",
        "1 validation error detected: Value at 'Limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    fails(
        addr,
        "CreateTable",
        &json!({"AttributeDefinitions": [], "KeySchema": []}),
        "ValidationException",
        "The parameter 'TableName' is required but was not present in the request",
    );
    fails(
        addr,
        "CreateTable",
        &json!({"TableName": "ok_name",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "X"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"},
                              {"AttributeName": "x", "KeyType": "RANGE"}]}),
        "ValidationException",
        "2 validation errors detected: Value 'X' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]; Value '[KeySchemaElement(attributeName=pk, keyType=HASH), KeySchemaElement(attributeName=sk, keyType=RANGE), KeySchemaElement(attributeName=x, keyType=RANGE)]' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2",
    );
    let too_many: Vec<Json> = (0..101)
        .map(|i| json!({"Get": {"TableName": TABLE, "Key": key("a", &i.to_string())}}))
        .collect();
    fails(
        addr,
        "TransactGetItems",
        &json!({"TransactItems": too_many}),
        "ValidationException",
        "at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100",
    );
    fails(
        addr,
        "BatchWriteItem",
        &json!({"RequestItems": {}}),
        "ValidationException",
        "The requestItems parameter is required for BatchWriteItem",
    );
    assert_eq!(count(addr, TABLE), 0);
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
    // HTTP 413, as DynamoDB answers a request over its 16 MB.
    assert_eq!(answer.status, 413);
    let json = answer.json();
    assert_eq!(
        json["__type"],
        "com.amazon.coral.service#RequestEntityTooLargeException"
    );
    let message = json["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&MAX_REQUEST_BYTES.to_string()),
        "{message}"
    );
    assert_eq!(answer.header("connection"), Some("close"));
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
            "The provided key element does not match the schema",
        ),
        (
            "GetItem",
            json!({"TableName": TABLE, "Key": {"pk": {"N": "1"}, "sk": {"S": "b"}}}),
            "The provided key element does not match the schema",
        ),
        (
            "GetItem",
            json!({"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}, "x": {"S": "c"}}}),
            "The provided key element does not match the schema",
        ),
        (
            "GetItem",
            json!({"TableName": TABLE, "Key": {"pk": {"S": ""}, "sk": {"S": "b"}}}),
            "empty string value. Key: pk",
        ),
        (
            "DeleteItem",
            json!({"TableName": TABLE, "Key": {"sk": {"S": "b"}}}),
            "The provided key element does not match the schema",
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
            "The provided key element does not match the schema",
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

fn put_item(addr: SocketAddr, table: &str, item: Json) {
    ok(addr, "PutItem", &json!({"TableName": table, "Item": item}));
}

fn describe(addr: SocketAddr, table: &str) -> Json {
    ok(addr, "DescribeTable", &json!({ "TableName": table }))["Table"].clone()
}

/// The GSI named `name` in a table description.
fn gsi<'a>(table: &'a Json, name: &str) -> Option<&'a Json> {
    table["GlobalSecondaryIndexes"]
        .as_array()?
        .iter()
        .find(|i| i["IndexName"] == name)
}

fn create_gsi(name: &str, attribute: &str) -> Json {
    json!({"Create": {
        "IndexName": name,
        "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}
    }})
}

#[test]
fn update_table_creates_a_backfilled_index_and_deletes_it() {
    let server = server();
    let addr = server.addr();
    for (sk, group) in [("1", "a"), ("2", "a"), ("3", "b")] {
        put_item(
            addr,
            TABLE,
            json!({"pk": {"S": "p"}, "sk": {"S": sk}, "g": {"S": group}}),
        );
    }
    let answer = ok(
        addr,
        "UpdateTable",
        &json!({
            "TableName": TABLE,
            "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
            "GlobalSecondaryIndexUpdates": [create_gsi("by_g", "g")]
        }),
    )["TableDescription"]
        .clone();
    // The answer reports the change in progress, as DynamoDB's does.
    assert_eq!(answer["TableStatus"], "UPDATING");
    let index = gsi(&answer, "by_g").expect("the new index");
    assert_eq!(index["IndexStatus"], "CREATING");
    assert_eq!(index["Backfilling"], true);
    // The next DescribeTable finds it ACTIVE (no status delay), backfilled.
    let table = describe(addr, TABLE);
    assert_eq!(table["TableStatus"], "ACTIVE");
    let index = gsi(&table, "by_g").unwrap();
    assert_eq!(index["IndexStatus"], "ACTIVE");
    assert_eq!(index["ItemCount"], 3);
    assert!(index.get("Backfilling").is_none());
    assert!(table["AttributeDefinitions"]
        .as_array()
        .unwrap()
        .contains(&json!({"AttributeName": "g", "AttributeType": "S"})));
    let query = json!({"TableName": TABLE, "IndexName": "by_g", "KeyConditionExpression": "g = :g",
                       "ExpressionAttributeValues": {":g": {"S": "a"}}});
    assert_eq!(ok(addr, "Query", &query)["Count"], 2);

    let answer = ok(
        addr,
        "UpdateTable",
        &json!({"TableName": TABLE, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "by_g"}}]}),
    )["TableDescription"]
        .clone();
    assert_eq!(gsi(&answer, "by_g").unwrap()["IndexStatus"], "DELETING");
    assert!(gsi(&describe(addr, TABLE), "by_g").is_none());
    fails(
        addr,
        "Query",
        &query,
        "ValidationException",
        "does not have the specified index",
    );
    assert_eq!(count(addr, TABLE), 3, "the items stay");
}

#[test]
fn refused_update_tables_change_nothing() {
    let server = server();
    let addr = server.addr();
    ok(
        addr,
        "UpdateTable",
        &json!({
            "TableName": TABLE,
            "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
            "GlobalSecondaryIndexUpdates": [create_gsi("by_g", "g")]
        }),
    );
    let before = describe(addr, TABLE);
    let t = |extra: Json| {
        let mut body = json!({ "TableName": TABLE });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let defs = json!([{"AttributeName": "x", "AttributeType": "S"}, {"AttributeName": "y", "AttributeType": "S"}]);
    let cases = [
        (t(json!({})), "ValidationException", "At least one of"),
        (
            t(json!({"GlobalSecondaryIndexUpdates": [create_gsi("by_x", "unknownAttr")]})),
            "ValidationException",
            "Some index key attributes are not defined in AttributeDefinitions",
        ),
        (
            t(
                json!({"AttributeDefinitions": defs, "GlobalSecondaryIndexUpdates": [create_gsi("by_x", "x"), create_gsi("by_y", "y")]}),
            ),
            "LimitExceededException",
            "Only 1 online index",
        ),
        (
            t(
                json!({"AttributeDefinitions": defs, "GlobalSecondaryIndexUpdates": [create_gsi("by_g", "x")]}),
            ),
            "ValidationException",
            "Index already exists: by_g",
        ),
        (
            t(json!({"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "nope"}}]})),
            "ResourceNotFoundException",
            "nope",
        ),
        (
            t(json!({"GlobalSecondaryIndexUpdates": [{}]})),
            "ValidationException",
            "must not be null",
        ),
        (
            t(
                json!({"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "by_g"}, "Update": {"IndexName": "by_g"}}]}),
            ),
            "ValidationException",
            "Only one of",
        ),
        (
            t(json!({"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}})),
            "ValidationException",
            "Neither ReadCapacityUnits nor WriteCapacityUnits",
        ),
        (
            t(
                json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 5}}),
            ),
            "ValidationException",
            "Value '0' at 'provisionedThroughput.readCapacityUnits'",
        ),
        (
            t(
                json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": -3, "WriteCapacityUnits": 5}}),
            ),
            "ValidationException",
            "Value '-3'",
        ),
        (
            t(
                json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 5}}),
            ),
            "ValidationException",
            "Value null at 'provisionedThroughput.writeCapacityUnits'",
        ),
        (
            t(
                json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}),
            ),
            "ValidationException",
            "ProvisionedThroughput is not specified for index: by_g",
        ),
        (
            t(json!({"BillingMode": "FREE"})),
            "ValidationException",
            "billingMode",
        ),
        (
            t(json!({"TableClass": "COLD"})),
            "ValidationException",
            "tableClass",
        ),
        (
            t(json!({"StreamSpecification": {"StreamEnabled": true}})),
            "ValidationException",
            "StreamViewType",
        ),
        (
            t(
                json!({"StreamSpecification": {"StreamEnabled": true, "StreamViewType": "EVERYTHING"}}),
            ),
            "ValidationException",
            "streamViewType",
        ),
        (
            t(json!({"DeletionProtectionEnabled": "yes"})),
            "SerializationException",
            "DeletionProtectionEnabled",
        ),
        (
            t(json!({"ReplicaUpdates": []})),
            "ValidationException",
            "ReplicaUpdates",
        ),
        (
            json!({"TableName": "missing_table", "DeletionProtectionEnabled": true}),
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
    ];
    for (body, code, needle) in cases {
        assert_error(&call(addr, "UpdateTable", &body), code, needle);
        let mut after = describe(addr, TABLE);
        // The same table: every field as before.
        after["TableStatus"] = before["TableStatus"].clone();
        assert_eq!(after, before, "{body}");
    }
}

#[test]
fn provisioned_throughput_is_stored_and_reported() {
    let server = MemoryServer::start(MemoryBackend::new()).unwrap();
    let addr = server.addr();
    let created = ok(
        addr,
        "CreateTable",
        &json!({
            "TableName": "prov",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        }),
    )["TableDescription"]
        .clone();
    assert_eq!(created["TableStatus"], "CREATING");
    // Regression: 5/5 was described as 0/0.
    let table = describe(addr, "prov");
    assert_eq!(table["ProvisionedThroughput"]["ReadCapacityUnits"], 5);
    assert_eq!(table["ProvisionedThroughput"]["WriteCapacityUnits"], 5);
    assert!(table.get("BillingModeSummary").is_none(), "{table}");
    fails(
        addr,
        "UpdateTable",
        &json!({"TableName": "prov", "BillingMode": "PROVISIONED",
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}),
        "ValidationException",
        "The provisioned throughput for the table will not change",
    );
    ok(
        addr,
        "UpdateTable",
        &json!({"TableName": "prov", "ProvisionedThroughput": {"ReadCapacityUnits": 20, "WriteCapacityUnits": 15}}),
    );
    let table = describe(addr, "prov");
    assert_eq!(table["ProvisionedThroughput"]["ReadCapacityUnits"], 20);
    assert!(table["ProvisionedThroughput"]["LastIncreaseDateTime"].is_number());
    ok(
        addr,
        "UpdateTable",
        &json!({"TableName": "prov", "BillingMode": "PAY_PER_REQUEST"}),
    );
    let table = describe(addr, "prov");
    assert_eq!(
        table["BillingModeSummary"]["BillingMode"],
        "PAY_PER_REQUEST"
    );
    assert!(table["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"].is_number());
    assert_eq!(table["ProvisionedThroughput"]["ReadCapacityUnits"], 0);
    // CreateTable's own throughput checks.
    for (extra, needle) in [
        (
            json!({}),
            "ReadCapacityUnits and WriteCapacityUnits must both be specified",
        ),
        (
            json!({"BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}),
            "Neither ReadCapacityUnits nor WriteCapacityUnits",
        ),
    ] {
        let mut body = json!({
            "TableName": "other",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        fails(addr, "CreateTable", &body, "ValidationException", needle);
    }
    assert_eq!(
        ok(addr, "ListTables", &json!({}))["TableNames"],
        json!(["prov"])
    );
}

#[test]
fn describe_table_reports_every_field() {
    let server = MemoryServer::start(MemoryBackend::new()).unwrap();
    let addr = server.addr();
    ok(
        addr,
        "CreateTable",
        &json!({
            "TableName": "full",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"},
                {"AttributeName": "rank", "AttributeType": "N"}
            ],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "GlobalSecondaryIndexes": [{"IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            "LocalSecondaryIndexes": [{"IndexName": "by_rank",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "rank", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"},
            "TableClass": "STANDARD_INFREQUENT_ACCESS",
            "DeletionProtectionEnabled": true,
            "Tags": [{"Key": "env", "Value": "test"}]
        }),
    );
    put_item(
        addr,
        "full",
        json!({"pk": {"S": "a"}, "sk": {"S": "1"}, "g": {"S": "x"}, "rank": {"N": "3"}}),
    );
    put_item(
        addr,
        "full",
        json!({"pk": {"S": "a"}, "sk": {"S": "2"}, "body": {"S": "hello"}}),
    );
    // Signed for eu-west-1: the ARNs are in eu-west-1.
    let answer = raw_http::post(
        addr,
        &[
            ("Content-Type", "application/x-amz-json-1.0".to_string()),
            ("X-Amz-Target", format!("{TARGET}DescribeTable")),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00".to_string(),
            ),
        ],
        serde_json::to_vec(&json!({"TableName": "full"})).unwrap(),
    );
    assert_eq!(answer.status, 200);
    let table = answer.json()["Table"].clone();
    let arn = "arn:aws:dynamodb:eu-west-1:000000000000:table/full";
    assert_eq!(table["TableArn"], arn);
    assert_eq!(table["TableId"].as_str().unwrap().len(), 36);
    assert!(table["CreationDateTime"].is_number());
    assert_eq!(table["ItemCount"], 2);
    // DynamoDB's item sizes: names and values.
    let sizes = (2 + 1) + (2 + 1) + (1 + 1) + (4 + 2) + (2 + 1) + (2 + 1) + (4 + 5);
    assert_eq!(table["TableSizeBytes"], sizes);
    assert_eq!(
        table["BillingModeSummary"]["BillingMode"],
        "PAY_PER_REQUEST"
    );
    assert_eq!(table["ProvisionedThroughput"]["NumberOfDecreasesToday"], 0);
    assert_eq!(
        table["StreamSpecification"],
        json!({"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"})
    );
    let label = table["LatestStreamLabel"].as_str().unwrap();
    assert_eq!(table["LatestStreamArn"], format!("{arn}/stream/{label}"));
    assert_eq!(
        table["TableClassSummary"]["TableClass"],
        "STANDARD_INFREQUENT_ACCESS"
    );
    assert_eq!(table["DeletionProtectionEnabled"], true);
    let g = gsi(&table, "by_g").unwrap();
    assert_eq!(g["IndexArn"], format!("{arn}/index/by_g"));
    assert_eq!(g["IndexStatus"], "ACTIVE");
    assert_eq!(g["ItemCount"], 1);
    assert_eq!(g["IndexSizeBytes"], (2 + 1) + (2 + 1) + (1 + 1));
    let lsi = &table["LocalSecondaryIndexes"][0];
    assert_eq!(lsi["IndexName"], "by_rank");
    assert_eq!(lsi["ItemCount"], 1);
    assert!(lsi.get("IndexStatus").is_none());
    // Deletion protection: DeleteTable is refused until it is turned off.
    fails(
        addr,
        "DeleteTable",
        &json!({"TableName": "full"}),
        "ValidationException",
        "protected against deletion",
    );
    ok(
        addr,
        "UpdateTable",
        &json!({"TableName": "full", "DeletionProtectionEnabled": false}),
    );
    let deleted = ok(addr, "DeleteTable", &json!({"TableName": "full"}));
    assert_eq!(deleted["TableDescription"]["TableStatus"], "DELETING");
}

#[test]
fn tags_are_kept_by_arn() {
    let server = server();
    let addr = server.addr();
    let arn = describe(addr, TABLE)["TableArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:dynamodb:us-east-1:000000000000:table/{TABLE}")
    );
    let tags = |list: &[(&str, &str)]| {
        Json::Array(
            list.iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect(),
        )
    };
    let list =
        |arn: &str| ok(addr, "ListTagsOfResource", &json!({ "ResourceArn": arn }))["Tags"].clone();
    assert_eq!(list(&arn), json!([]));
    ok(
        addr,
        "TagResource",
        &json!({"ResourceArn": arn, "Tags": tags(&[("env", "test"), ("team", "core")])}),
    );
    ok(
        addr,
        "TagResource",
        &json!({"ResourceArn": arn, "Tags": tags(&[("env", "prod")])}),
    );
    assert_eq!(list(&arn), tags(&[("env", "prod"), ("team", "core")]));
    ok(
        addr,
        "UntagResource",
        &json!({"ResourceArn": arn, "TagKeys": ["team"]}),
    );
    assert_eq!(list(&arn), tags(&[("env", "prod")]));
    // The engine holds them: the in-process API sees the same.
    assert_eq!(
        server.backend().table_tags(TABLE).unwrap(),
        [("env".to_owned(), "prod".to_owned())]
    );

    let missing = "arn:aws:dynamodb:us-east-1:000000000000:table/nonexistent_table";
    let other_account = format!("arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}");
    let too_many: Vec<(String, String)> =
        (0..50).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let too_many: Vec<(&str, &str)> = too_many
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let long_key = "k".repeat(129);
    let cases = [
        (
            "TagResource",
            json!({"ResourceArn": "not-a-valid-arn", "Tags": tags(&[("a", "b")])}),
            "ValidationException",
            "Invalid TableArn",
        ),
        (
            "TagResource",
            json!({"ResourceArn": "", "Tags": tags(&[("a", "b")])}),
            "ValidationException",
            "Invalid TableArn",
        ),
        (
            "TagResource",
            json!({"Tags": tags(&[("a", "b")])}),
            "ValidationException",
            "resourceArn",
        ),
        (
            "TagResource",
            json!({"ResourceArn": arn}),
            "ValidationException",
            "tags",
        ),
        (
            "TagResource",
            json!({"ResourceArn": arn, "Tags": []}),
            "ValidationException",
            "Atleast one Tag",
        ),
        (
            "TagResource",
            json!({"ResourceArn": arn, "Tags": tags(&[("aws:owner", "x")])}),
            "ValidationException",
            "aws:",
        ),
        (
            "TagResource",
            json!({"ResourceArn": arn, "Tags": tags(&[(&long_key, "x")])}),
            "ValidationException",
            "tags.member.key",
        ),
        (
            "TagResource",
            json!({"ResourceArn": arn, "Tags": [{"Key": "k"}]}),
            "ValidationException",
            "tags.member.Value",
        ),
        (
            "TagResource",
            json!({"ResourceArn": arn, "Tags": tags(&too_many)}),
            "LimitExceededException",
            "at most 50 tags",
        ),
        (
            "TagResource",
            json!({"ResourceArn": missing, "Tags": tags(&[("a", "b")])}),
            "ResourceNotFoundException",
            missing,
        ),
        (
            "TagResource",
            json!({"ResourceArn": other_account, "Tags": tags(&[("a", "b")])}),
            "AccessDeniedException",
            "not authorized",
        ),
        (
            "UntagResource",
            json!({"ResourceArn": arn, "TagKeys": []}),
            "ValidationException",
            "Atleast one Tag Key",
        ),
        (
            "UntagResource",
            json!({"ResourceArn": arn, "TagKeys": [1]}),
            "SerializationException",
            "TagKeys",
        ),
        (
            "UntagResource",
            json!({"ResourceArn": missing, "TagKeys": ["a"]}),
            "ResourceNotFoundException",
            missing,
        ),
        (
            "ListTagsOfResource",
            json!({"ResourceArn": missing}),
            "AccessDeniedException",
            "dynamodb:ListTagsOfResource",
        ),
        (
            "ListTagsOfResource",
            json!({"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:stream/x"}),
            "ValidationException",
            "Invalid TableArn",
        ),
    ];
    for (op, body, code, needle) in cases {
        assert_error(&call(addr, op, &body), code, needle);
    }
    assert_eq!(
        list(&arn),
        tags(&[("env", "prod")]),
        "refused requests changed nothing"
    );
}

/// Regression (issue 25): the server kept a TTL enabled over the wire in its own catalog, where
/// `MemoryBackend::purge_expired` never saw it.
#[test]
fn a_ttl_enabled_over_the_wire_is_the_engines() {
    let server = server();
    let addr = server.addr();
    put_item(
        addr,
        TABLE,
        json!({"pk": {"S": "a"}, "sk": {"S": "1"}, "exp": {"N": "100"}}),
    );
    put_item(
        addr,
        TABLE,
        json!({"pk": {"S": "a"}, "sk": {"S": "2"}, "exp": {"N": "99999999999"}}),
    );
    assert_eq!(server.backend().purge_expired(1_000), 0);
    ok(
        addr,
        "UpdateTimeToLive",
        &json!({"TableName": TABLE, "TimeToLiveSpecification": {"AttributeName": "exp", "Enabled": true}}),
    );
    let described = ok(addr, "DescribeTimeToLive", &json!({ "TableName": TABLE }));
    assert_eq!(described["TimeToLiveDescription"]["AttributeName"], "exp");
    assert_eq!(server.backend().purge_expired(1_000), 1);
    assert_eq!(count(addr, TABLE), 1);
    fails(
        addr,
        "UpdateTimeToLive",
        &json!({"TableName": TABLE, "TimeToLiveSpecification": {"AttributeName": "", "Enabled": true}}),
        "ValidationException",
        "timeToLiveSpecification.attributeName",
    );
}
