//! The operations' table over a backend, without HTTP.

use super::*;
use serde_json::json;

fn call(backend: &MemoryBackend, op: &str, body: Json) -> Answer {
    dispatch(backend, "us-east-1", op, &body)
}

fn table(backend: &MemoryBackend, name: &str) {
    call(
        backend,
        "CreateTable",
        json!({
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
}

fn put(id: Json) -> Json {
    json!({"PutRequest": {"Item": {"id": id}}})
}

/// Regression: BatchWriteItem applied each table's writes in turn, so a batch whose later
/// table was missing or held an invalid write left the earlier tables written.
#[test]
fn batch_write_over_tables_is_checked_whole_before_any_write() {
    let backend = MemoryBackend::new();
    table(&backend, "aaa");
    table(&backend, "zzz");
    let ok = put(json!({"S": "1"}));
    let err = call(
        &backend,
        "BatchWriteItem",
        json!({"RequestItems": {"aaa": [ok.clone()], "zzz": [put(json!({"N": "1"}))]}}),
    )
    .unwrap_err();
    assert_eq!(err.kind, "ValidationException");
    let err = call(
        &backend,
        "BatchWriteItem",
        json!({"RequestItems": {"aaa": [ok.clone()], "zzz_missing": [ok.clone()]}}),
    )
    .unwrap_err();
    assert_eq!(err.kind, "ResourceNotFoundException");
    assert_eq!(backend.item_count("aaa"), Some(0));
    assert_eq!(backend.item_count("zzz"), Some(0));
    call(
        &backend,
        "BatchWriteItem",
        json!({"RequestItems": {"aaa": [ok.clone()], "zzz": [ok]}}),
    )
    .unwrap();
    assert_eq!(backend.item_count("aaa"), Some(1));
    assert_eq!(backend.item_count("zzz"), Some(1));
}

/// Values of every JSON shape, for a member that expects one of them.
fn junk() -> Vec<Json> {
    vec![
        Json::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(u64::MAX),
        json!(""),
        json!("x"),
        json!("arn:aws:dynamodb:us-east-1:000000000000:table/seeded"),
        json!([]),
        json!([{}]),
        json!([null]),
        json!(["x"]),
        json!({}),
        json!({"S": "a"}),
        json!({"Create": {}}),
        json!({"Key": "k", "Value": "v"}),
        json!({"ReadCapacityUnits": 0, "WriteCapacityUnits": -5}),
    ]
}

/// A small systematic sweep of the decoder (the fuzz target's property, without the fuzzer):
/// every member of every operation, alone and beside a valid table name, given values of every
/// JSON shape, on a backend holding a table with a GSI and data. Each answer is a 200 or a
/// DynamoDB-shaped 400 (never a 500, never a panic), and the backend still serves.
#[test]
fn every_member_of_every_operation_survives_junk() {
    let backend = MemoryBackend::new();
    call(
        &backend,
        "CreateTable",
        json!({
            "TableName": "seeded",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                                     {"AttributeName": "g", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{"IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
    call(
        &backend,
        "PutItem",
        json!({"TableName": "seeded", "Item": {"id": {"S": "a"}, "g": {"S": "x"}}}),
    )
    .unwrap();
    let mut answers = 0;
    for operation in OPERATIONS {
        for member in operation.members {
            for value in junk() {
                for with_table in [false, true] {
                    let mut body = serde_json::Map::new();
                    if with_table {
                        body.insert("TableName".into(), json!("seeded"));
                        body.insert(
                            "ResourceArn".into(),
                            json!("arn:aws:dynamodb:us-east-1:000000000000:table/seeded"),
                        );
                    }
                    body.insert((*member).to_owned(), value.clone());
                    // Members the operation does not take are refused by name: keep to its own.
                    body.retain(|k, _| operation.members.contains(&k.as_str()));
                    let body = Json::Object(body);
                    match dispatch(&backend, "us-east-1", operation.name, &body) {
                        Ok(answer) => assert!(answer.is_object(), "{}: {body}", operation.name),
                        Err(e) => {
                            assert_eq!(e.status, 400, "{} {body}: {e:?}", operation.name);
                            assert!(!e.message.is_empty(), "{} {body}", operation.name);
                        }
                    }
                    answers += 1;
                }
            }
        }
    }
    assert!(answers > 2000, "{answers}");
    // Still serving, the seeded table whatever was asked (DeleteTable of it aside).
    call(&backend, "ListTables", json!({})).unwrap();
}

/// Consumed capacity by DynamoDB's rules: a read costs the whole item whatever its projection,
/// a batch read each item on its own (missing ones at the minimum), a write the larger of the
/// item before and after it, a delete the item deleted.
#[test]
fn capacity_follows_dynamodbs_rules() {
    let backend = MemoryBackend::new();
    table(&backend, "cap");
    let big = "x".repeat(5 * 1024);
    let units = |answer: Json| {
        answer["ConsumedCapacity"]["CapacityUnits"]
            .as_f64()
            .unwrap()
    };
    let put = |data: &str| {
        call(
            &backend,
            "PutItem",
            json!({"TableName": "cap", "Item": {"id": {"S": "a"}, "data": {"S": data}},
                   "ReturnConsumedCapacity": "TOTAL"}),
        )
        .unwrap()
    };
    assert_eq!(units(put(&big)), 6.0, "a 5 KB item and its name: 6 units");
    assert_eq!(
        units(put("small")),
        6.0,
        "replacing it costs the larger, old, item"
    );
    assert_eq!(units(put(&big)), 6.0);
    let get = call(
        &backend,
        "GetItem",
        json!({"TableName": "cap", "Key": {"id": {"S": "a"}}, "ProjectionExpression": "id",
               "ConsistentRead": true, "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    assert_eq!(get["Item"], json!({"id": {"S": "a"}}));
    assert_eq!(
        units(get),
        2.0,
        "the whole 5 KB item is read: two 4 KB units"
    );
    let batch = call(
        &backend,
        "BatchGetItem",
        json!({"RequestItems": {"cap": {"Keys": [{"id": {"S": "a"}}, {"id": {"S": "none"}}],
               "ProjectionExpression": "id"}}, "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    assert_eq!(
        batch["ConsumedCapacity"][0]["CapacityUnits"],
        json!(1.5),
        "eventually consistent: 1 for the item, 0.5 for the missing key"
    );
    let update = call(
        &backend,
        "UpdateItem",
        json!({"TableName": "cap", "Key": {"id": {"S": "a"}}, "UpdateExpression": "REMOVE #d",
               "ExpressionAttributeNames": {"#d": "data"}, "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    assert_eq!(units(update), 6.0, "the larger of before and after");
    put(&big);
    let delete = call(
        &backend,
        "DeleteItem",
        json!({"TableName": "cap", "Key": {"id": {"S": "a"}}, "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    assert_eq!(units(delete), 6.0, "the item deleted, though not returned");
}

/// `Select: ALL_PROJECTED_ATTRIBUTES` needs an index; key attribute names have 1 to 255
/// characters.
#[test]
fn select_and_key_name_limits() {
    let backend = MemoryBackend::new();
    table(&backend, "sel");
    let err = call(
        &backend,
        "Scan",
        json!({"TableName": "sel", "Select": "ALL_PROJECTED_ATTRIBUTES"}),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
    );
    let long = "k".repeat(256);
    let err = call(
        &backend,
        "CreateTable",
        json!({
            "TableName": "long_key",
            "AttributeDefinitions": [{"AttributeName": long, "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": long, "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap_err();
    assert!(
        err.message.starts_with("2 validation errors detected: ")
            && err
                .message
                .contains("at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must have length less than or equal to 255"),
        "{}",
        err.message
    );
}
