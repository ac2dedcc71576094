//! The operations' table over a backend, without HTTP.

use super::*;
use serde_json::json;

fn call(backend: &MemoryBackend, op: &str, body: Json) -> Answer {
    dispatch(backend, "us-east-1", op, &body)
}

/// `body` with the members of `extra` added (or replaced).
fn with(mut body: Json, extra: Json) -> Json {
    for (member, value) in extra.as_object().expect("an object") {
        body[member] = value.clone();
    }
    body
}

/// A `KeySchema` of `(attribute, HASH or RANGE)`s.
fn key_schema(key: &[(&str, &str)]) -> Json {
    key.iter()
        .map(|(name, key_type)| json!({"AttributeName": name, "KeyType": key_type}))
        .collect()
}

/// CreateTable of `name`, pay per request, defining the attributes `(name, type)`, keyed by
/// `key` (as [`key_schema`]), with the further members `extra`; its answer.
fn create_table(
    backend: &MemoryBackend,
    name: &str,
    attributes: &[(&str, &str)],
    key: &[(&str, &str)],
    extra: Json,
) -> Answer {
    let attributes: Vec<Json> = attributes
        .iter()
        .map(|(name, t)| json!({"AttributeName": name, "AttributeType": t}))
        .collect();
    let body = json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                      "AttributeDefinitions": attributes, "KeySchema": key_schema(key)});
    call(backend, "CreateTable", with(body, extra))
}

/// The table `name` keyed by a string `id`, with the further CreateTable members `extra`; its
/// description.
fn id_table(backend: &MemoryBackend, name: &str, extra: Json) -> Json {
    create_table(backend, name, &[("id", "S")], &[("id", "HASH")], extra).unwrap()
}

fn table(backend: &MemoryBackend, name: &str) {
    id_table(backend, name, json!({}));
}

/// PutItem of `item` (its attributes' JSON) into `table`, which must succeed.
fn put_item(backend: &MemoryBackend, table: &str, item: Json) {
    call(
        backend,
        "PutItem",
        json!({"TableName": table, "Item": item}),
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
    create_table(
        &backend,
        "seeded",
        &[("id", "S"), ("g", "S")],
        &[("id", "HASH")],
        json!({"GlobalSecondaryIndexes": [{"IndexName": "by_g",
            "KeySchema": key_schema(&[("g", "HASH")]), "Projection": {"ProjectionType": "ALL"}}]}),
    )
    .unwrap();
    put_item(
        &backend,
        "seeded",
        json!({"id": {"S": "a"}, "g": {"S": "x"}}),
    );
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

/// The two APIs share the endpoint: each target names an operation of its own API only, and no
/// name is in both (so `dispatch` by name is unambiguous).
#[test]
fn targets_name_operations_of_their_own_api() {
    assert_eq!(
        targeted("DynamoDB_20120810.PutItem").unwrap().name,
        "PutItem"
    );
    assert_eq!(
        targeted("DynamoDBStreams_20120810.GetRecords").unwrap().api,
        Api::Streams
    );
    for wrong in [
        "DynamoDB_20120810.ListStreams",
        "DynamoDBStreams_20120810.PutItem",
        "DynamoDBStreams_20120810",
        "PutItem",
        "",
    ] {
        let e = targeted(wrong).unwrap_err();
        assert_eq!(e.kind, "UnknownOperationException", "{wrong}");
    }
    let mut names: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), OPERATIONS.len(), "no name in both APIs");
}

/// The value of member `name` of a JSON answer, as a string.
fn text(json: &Json, pointer: &str) -> String {
    json.pointer(pointer)
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("{pointer} in {json}"))
        .to_owned()
}

/// A stream from CreateTable to GetRecords on the wire, DynamoDB's shapes: DescribeTable's
/// StreamSpecification and LatestStream*, ListStreams, DescribeStream's shards and key schema,
/// records of each event with DynamoDB Streams' member names, and the stream disabled
/// (DescribeTable keeps LatestStreamArn, drops StreamSpecification; DescribeStream: DISABLED).
#[test]
fn streams_on_the_wire() {
    let backend = MemoryBackend::new();
    let stream = json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"});
    let created = id_table(&backend, "app", json!({ "StreamSpecification": stream }));
    let arn = text(&created, "/TableDescription/LatestStreamArn");
    let label = text(&created, "/TableDescription/LatestStreamLabel");
    assert_eq!(
        arn,
        format!("arn:aws:dynamodb:us-east-1:000000000000:table/app/stream/{label}")
    );
    let described = call(&backend, "DescribeTable", json!({"TableName": "app"})).unwrap();
    assert_eq!(
        described["Table"]["StreamSpecification"],
        json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    );
    assert_eq!(text(&described, "/Table/LatestStreamArn"), arn);

    let item = |v: &str| json!({"id": {"S": "a"}, "v": {"S": v}});
    put_item(&backend, "app", item("1"));
    put_item(&backend, "app", item("2"));
    put_item(&backend, "app", item("2")); // changes nothing: no record
    call(
        &backend,
        "DeleteItem",
        json!({"TableName": "app", "Key": {"id": {"S": "a"}}}),
    )
    .unwrap();

    let listed = call(&backend, "ListStreams", json!({"TableName": "app"})).unwrap();
    assert_eq!(
        listed,
        json!({"Streams": [{"StreamArn": arn, "TableName": "app", "StreamLabel": label}]})
    );
    let stream = call(&backend, "DescribeStream", json!({"StreamArn": arn})).unwrap();
    let d = &stream["StreamDescription"];
    assert_eq!(d["StreamStatus"], "ENABLED");
    assert_eq!(d["StreamViewType"], "NEW_AND_OLD_IMAGES");
    assert_eq!(d["TableName"], "app");
    assert_eq!(
        d["KeySchema"],
        json!([{"AttributeName": "id", "KeyType": "HASH"}])
    );
    assert!(d["CreationRequestDateTime"].is_f64());
    let shard = text(d, "/Shards/0/ShardId");
    assert!(d["Shards"][0]["SequenceNumberRange"]["StartingSequenceNumber"].is_string());
    assert!(d["Shards"][0]["SequenceNumberRange"]
        .get("EndingSequenceNumber")
        .is_none());

    let iterator = call(
        &backend,
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .unwrap();
    let iterator = text(&iterator, "/ShardIterator");
    let out = call(&backend, "GetRecords", json!({"ShardIterator": iterator})).unwrap();
    let records = out["Records"].as_array().unwrap();
    let events: Vec<&str> = records
        .iter()
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["INSERT", "MODIFY", "REMOVE"]);
    let modify = &records[1];
    assert_eq!(modify["eventSource"], "aws:dynamodb");
    assert_eq!(modify["eventVersion"], "1.1");
    assert_eq!(modify["awsRegion"], "us-east-1");
    assert_eq!(modify["dynamodb"]["Keys"], json!({"id": {"S": "a"}}));
    assert_eq!(
        modify["dynamodb"]["OldImage"],
        json!({"id": {"S": "a"}, "v": {"S": "1"}})
    );
    assert_eq!(
        modify["dynamodb"]["NewImage"],
        json!({"id": {"S": "a"}, "v": {"S": "2"}})
    );
    assert_eq!(modify["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES");
    assert!(modify["dynamodb"]["SizeBytes"].as_u64().unwrap() > 0);
    assert!(modify["dynamodb"]["ApproximateCreationDateTime"].is_f64());
    assert!(modify.get("userIdentity").is_none());
    let sequence = text(modify, "/dynamodb/SequenceNumber");
    assert!(
        out["NextShardIterator"].is_string(),
        "an open shard goes on"
    );

    // Resuming after a sequence number.
    let after = call(
        &backend,
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": shard,
               "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": sequence}),
    )
    .unwrap();
    let out = call(
        &backend,
        "GetRecords",
        json!({"ShardIterator": text(&after, "/ShardIterator")}),
    )
    .unwrap();
    assert_eq!(out["Records"].as_array().unwrap().len(), 1);
    assert_eq!(out["Records"][0]["eventName"], "REMOVE");

    // Disabled: the table keeps it as its latest stream; the stream is DISABLED, closed.
    call(
        &backend,
        "UpdateTable",
        json!({"TableName": "app", "StreamSpecification": {"StreamEnabled": false}}),
    )
    .unwrap();
    let described = call(&backend, "DescribeTable", json!({"TableName": "app"})).unwrap();
    assert!(described["Table"].get("StreamSpecification").is_none());
    assert_eq!(text(&described, "/Table/LatestStreamArn"), arn);
    let again = call(
        &backend,
        "UpdateTable",
        json!({"TableName": "app", "StreamSpecification": {"StreamEnabled": false}}),
    )
    .unwrap_err();
    assert_eq!(
        (again.kind, again.message.as_str()),
        ("ValidationException", "Table has no stream to disable")
    );
    let stream = call(&backend, "DescribeStream", json!({"StreamArn": arn})).unwrap();
    assert_eq!(stream["StreamDescription"]["StreamStatus"], "DISABLED");
    assert!(
        stream["StreamDescription"]["Shards"][0]["SequenceNumberRange"]["EndingSequenceNumber"]
            .is_string()
    );
}

/// DynamoDB Streams' errors on the wire: unknown streams and shards, forged, foreign and expired
/// iterators, trimmed records, bad limits and positions.
#[test]
fn stream_errors_on_the_wire() {
    let backend = MemoryBackend::new();
    let keys_only = json!({"StreamSpecification":
                           {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}});
    id_table(&backend, "app", keys_only.clone());
    let described = call(&backend, "DescribeTable", json!({"TableName": "app"})).unwrap();
    let arn = text(&described, "/Table/LatestStreamArn");
    let error = |op: &str, body: Json| {
        let e = call(&backend, op, body).unwrap_err();
        (e.kind, e.message)
    };
    let missing =
        "arn:aws:dynamodb:us-east-1:000000000000:table/app/stream/2000-01-01T00:00:00.000";
    assert_eq!(
        error("DescribeStream", json!({"StreamArn": missing})),
        (
            "ResourceNotFoundException",
            format!("Requested resource not found: Stream: {missing} not found")
        )
    );
    let stream = call(&backend, "DescribeStream", json!({"StreamArn": arn})).unwrap();
    let shard = text(&stream, "/StreamDescription/Shards/0/ShardId");
    let position =
        |kind: &str| json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": kind});
    assert_eq!(
        error(
            "GetShardIterator",
            json!({"StreamArn": arn, "ShardId": "shardId-00000000000000000000-00000000",
                   "ShardIteratorType": "LATEST"})
        ),
        ("ResourceNotFoundException", "Shard does not exist".into())
    );
    assert_eq!(
        error("GetShardIterator", position("SIDEWAYS")).0,
        "ValidationException"
    );
    assert_eq!(
        error("GetShardIterator", position("AT_SEQUENCE_NUMBER")),
        (
            "ValidationException",
            "One or more parameter values were invalid: Invalid SequenceNumber".into()
        )
    );
    assert_eq!(
        error("GetRecords", json!({"ShardIterator": "forged"})),
        ("ValidationException", "Invalid ShardIterator".into())
    );
    // An iterator of another backend (another secret) is refused the same way.
    let other = MemoryBackend::new();
    id_table(&other, "app", keys_only);
    let foreign_arn = text(
        &call(&other, "DescribeTable", json!({"TableName": "app"})).unwrap(),
        "/Table/LatestStreamArn",
    );
    let foreign_shard = text(
        &call(&other, "DescribeStream", json!({"StreamArn": foreign_arn})).unwrap(),
        "/StreamDescription/Shards/0/ShardId",
    );
    let foreign = call(
        &other,
        "GetShardIterator",
        json!({"StreamArn": foreign_arn, "ShardId": foreign_shard,
               "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .unwrap();
    assert_eq!(
        error(
            "GetRecords",
            json!({"ShardIterator": text(&foreign, "/ShardIterator")})
        ),
        ("ValidationException", "Invalid ShardIterator".into())
    );
    for (limit, op, body) in [
        (0, "GetRecords", json!({"ShardIterator": "x"})),
        (-3, "ListStreams", json!({})),
        (0, "DescribeStream", json!({"StreamArn": arn})),
    ] {
        let mut body = body;
        body["Limit"] = json!(limit);
        let (kind, message) = error(op, body);
        assert_eq!(kind, "ValidationException");
        assert!(
            message.contains(&format!("Value '{limit}' at 'limit'")),
            "{message}"
        );
    }
    assert_eq!(
        error("GetRecords", json!({"ShardIterator": "x", "Limit": 1001})).1,
        "One or more parameter values were invalid: Limit should be less than or equal to 1000"
    );

    // Time: an iterator expires after 15 minutes; records are trimmed after 24 hours.
    put_item(&backend, "app", json!({"id": {"S": "a"}}));
    let first = text(
        &call(
            &backend,
            "GetRecords",
            json!({"ShardIterator": text(
                &call(&backend, "GetShardIterator", position("TRIM_HORIZON")).unwrap(),
                "/ShardIterator",
            )}),
        )
        .unwrap(),
        "/Records/0/dynamodb/SequenceNumber",
    );
    let old = text(
        &call(&backend, "GetShardIterator", position("TRIM_HORIZON")).unwrap(),
        "/ShardIterator",
    );
    backend.advance_time(std::time::Duration::from_secs(16 * 60));
    assert_eq!(
        error("GetRecords", json!({"ShardIterator": old})).0,
        "ExpiredIteratorException"
    );
    backend.advance_time(std::time::Duration::from_secs(24 * 60 * 60));
    let mut at = position("AT_SEQUENCE_NUMBER");
    at["SequenceNumber"] = json!(first);
    assert_eq!(
        error("GetShardIterator", at).0,
        "TrimmedDataAccessException"
    );
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
    let err = create_table(
        &backend,
        "long_key",
        &[(&long, "S")],
        &[(&long, "HASH")],
        json!({}),
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

/// A table `lll` with an LSI `lsi` on `ls` projecting `inc`, and three 5 KB items.
fn local_index_table(backend: &MemoryBackend) {
    let lsi = json!({"IndexName": "lsi", "KeySchema": key_schema(&[("pk", "HASH"), ("ls", "RANGE")]),
                     "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["inc"]}});
    create_table(
        backend,
        "lll",
        &[("pk", "S"), ("sk", "S"), ("ls", "S")],
        &[("pk", "HASH"), ("sk", "RANGE")],
        json!({ "LocalSecondaryIndexes": [lsi] }),
    )
    .unwrap();
    let padding = "z".repeat(5000);
    for i in 1..=3 {
        put_item(
            backend,
            "lll",
            json!({"pk": {"S": "p"}, "sk": {"S": format!("s{i}")}, "ls": {"S": format!("l{i}")},
                   "inc": {"N": i.to_string()}, "padding": {"S": padding}}),
        );
    }
}

/// A local index query that reads attributes the index does not project is charged for the
/// index entries and, on the table, for every item fetched, each a read of the whole item
/// (developer guide, "Provisioned throughput considerations for Local Secondary Indexes"). The
/// figures are DynamoDB Local 11.1.0's for the same requests; one that reads only projected
/// attributes fetches nothing (Local charges the fetches for any ProjectionExpression:
/// docs/server.md, known differences).
#[test]
fn local_index_fetches_are_charged_to_the_table() {
    let backend = MemoryBackend::new();
    local_index_table(&backend);
    let query = |extra: Json| {
        let body = json!({
            "TableName": "lll", "IndexName": "lsi", "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}}, "ReturnConsumedCapacity": "INDEXES"
        });
        let answer = call(&backend, "Query", with(body, extra)).unwrap();
        let c = &answer["ConsumedCapacity"];
        (
            answer["Count"].as_u64().unwrap(),
            c["CapacityUnits"].as_f64().unwrap(),
            c["Table"]["CapacityUnits"].as_f64().unwrap(),
            c["LocalSecondaryIndexes"]["lsi"]["CapacityUnits"]
                .as_f64()
                .unwrap(),
        )
    };
    let values = |v: Json| with(json!({":p": {"S": "p"}}), v);
    for (extra, want) in [
        (json!({}), (3, 0.5, 0.0, 0.5)),
        (
            json!({"ProjectionExpression": "inc, ls"}),
            (3, 0.5, 0.0, 0.5),
        ),
        (
            json!({"ProjectionExpression": "padding"}),
            (3, 3.5, 3.0, 0.5),
        ),
        (
            json!({"ProjectionExpression": "padding", "ConsistentRead": true}),
            (3, 7.0, 6.0, 1.0),
        ),
        (
            json!({"ProjectionExpression": "padding", "Limit": 2}),
            (2, 2.5, 2.0, 0.5),
        ),
        // Every entry read is fetched, before the filter.
        (
            json!({"ProjectionExpression": "padding", "FilterExpression": "inc = :x",
                   "ExpressionAttributeValues": values(json!({":x": {"N": "2"}}))}),
            (1, 3.5, 3.0, 0.5),
        ),
        (json!({"Select": "COUNT"}), (3, 0.5, 0.0, 0.5)),
        // Whole items: every one fetched from the table.
        (json!({"Select": "ALL_ATTRIBUTES"}), (3, 3.5, 3.0, 0.5)),
        (
            json!({"Select": "ALL_ATTRIBUTES", "ConsistentRead": true}),
            (3, 7.0, 6.0, 1.0),
        ),
        (
            json!({"Select": "ALL_ATTRIBUTES", "Limit": 2}),
            (2, 2.5, 2.0, 0.5),
        ),
        (
            json!({"Select": "ALL_PROJECTED_ATTRIBUTES"}),
            (3, 0.5, 0.0, 0.5),
        ),
    ] {
        assert_eq!(query(extra.clone()), want, "{extra}");
    }
    // `Select: ALL_ATTRIBUTES` returns the table's whole items (DynamoDB Local 11.1.0 too),
    // on a Query and a Scan of the index.
    for op in ["Query", "Scan"] {
        let mut body = json!({"TableName": "lll", "IndexName": "lsi", "Select": "ALL_ATTRIBUTES"});
        if op == "Query" {
            body = with(
                body,
                json!({"KeyConditionExpression": "pk = :p",
                       "ExpressionAttributeValues": {":p": {"S": "p"}}}),
            );
        }
        let answer = call(&backend, op, body).unwrap();
        let items = answer["Items"].as_array().unwrap();
        assert_eq!(items.len(), 3, "{op}");
        assert!(items.iter().all(|i| i["padding"]["S"].is_string()), "{op}");
    }
}

/// A table `ttt` with a GSI `ggg` whose partition key is `a` (S) and `b` (N) and whose sort key
/// is `c` (S) and `d` (N), and six items in one index partition (`c1`..`c3` by `d` 1..2).
fn multi_attribute_table(backend: &MemoryBackend) {
    let key = [("a", "HASH"), ("b", "HASH"), ("c", "RANGE"), ("d", "RANGE")];
    let gsi = json!({"IndexName": "ggg", "KeySchema": key_schema(&key),
                     "Projection": {"ProjectionType": "ALL"}});
    create_table(
        backend,
        "ttt",
        &[
            ("pk", "S"),
            ("sk", "S"),
            ("a", "S"),
            ("b", "N"),
            ("c", "S"),
            ("d", "N"),
        ],
        &[("pk", "HASH"), ("sk", "RANGE")],
        json!({ "GlobalSecondaryIndexes": [gsi] }),
    )
    .unwrap();
    for i in 1..=3 {
        for j in 1..=2 {
            put_item(
                backend,
                "ttt",
                json!({"pk": {"S": format!("p{i}{j}")}, "sk": {"S": "s"}, "a": {"S": "x"},
                       "b": {"N": "1"}, "c": {"S": format!("c{i}")}, "d": {"N": j.to_string()}}),
            );
        }
    }
}

/// Legacy `KeyConditions` on a multi-attribute GSI key: every partition attribute by equality,
/// the sort attributes left to right, a range on the last one given; the counts and messages
/// are DynamoDB Local 11.1.0's for the same requests.
#[test]
fn legacy_key_conditions_read_a_multi_attribute_index() {
    let backend = MemoryBackend::new();
    multi_attribute_table(&backend);
    let query = |conditions: Json| {
        call(
            &backend,
            "Query",
            json!({"TableName": "ttt", "IndexName": "ggg", "KeyConditions": conditions}),
        )
    };
    let cond = |op: &str, v: Json| json!({"ComparisonOperator": op, "AttributeValueList": [v]});
    let (a, b) = (cond("EQ", json!({"S": "x"})), cond("EQ", json!({"N": "1"})));
    let pks = |answer: Json| -> Vec<String> {
        answer["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["pk"]["S"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        pks(query(json!({"b": b, "a": a})).unwrap()),
        ["p11", "p12", "p21", "p22", "p31", "p32"]
    );
    assert_eq!(
        pks(query(json!({"a": a, "b": b, "c": cond("GT", json!({"S": "c1"}))})).unwrap()),
        ["p21", "p22", "p31", "p32"]
    );
    let c2_d2 = json!({"a": a, "b": b, "c": cond("EQ", json!({"S": "c2"})), "d": cond("GE", json!({"N": "2"}))});
    assert_eq!(pks(query(c2_d2).unwrap()), ["p22"]);
    let err = query(json!({"a": a})).unwrap_err();
    assert_eq!(
        (err.kind, err.message.as_str()),
        (
            "ValidationException",
            "HASH key attributes b must have equality conditions specified in the query"
        )
    );
    let err = query(json!({"a": a, "b": b, "d": cond("GE", json!({"N": "2"}))})).unwrap_err();
    assert_eq!(
        err.message,
        "RANGE key attributes c must have equality conditions specified in the query because a condition is present on key attribute d"
    );
}

/// PartiQL on an index with a multi-attribute key is refused as DynamoDB Local 11.1.0 refuses
/// it; the table itself is read as before.
#[test]
fn partiql_refuses_an_index_with_a_multi_attribute_key() {
    let backend = MemoryBackend::new();
    multi_attribute_table(&backend);
    let statement = |text: &str| call(&backend, "ExecuteStatement", json!({ "Statement": text }));
    for text in [
        "SELECT * FROM \"ttt\".\"ggg\" WHERE a = 'x' AND b = 1",
        "SELECT * FROM \"ttt\".\"ggg\"",
    ] {
        let err = statement(text).unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (
                "ValidationException",
                "PartiQL statements cannot be executed on tables with composite HASH keys or composite RANGE keys."
            ),
            "{text}"
        );
    }
    let items = statement("SELECT pk FROM \"ttt\" WHERE pk = 'p11'").unwrap();
    assert_eq!(items["Items"], json!([{"pk": {"S": "p11"}}]));
}
