//! `ReturnConsumedCapacity` on the wire, every operation, with `INDEXES` breakdowns: the
//! figures (`CapacityUnits` of the request, the table and each index) are DynamoDB Local
//! 11.1.0's for the same requests (recorded with boto3), except where DynamoDB Local departs
//! from DynamoDB's documentation (docs/server.md, known differences): a missing key in a
//! BatchGetItem, and PartiQL, for which DynamoDB Local answers no capacity at all. The per-table
//! totals the engine keeps, and the browser view showing them, are checked too.

use crate::raw_http;

use orm_memory::server::{handle_json, MemoryServer};
use orm_memory::MemoryBackend;
use serde_json::{json, Value as Json};

const T: &str = "cap";

fn call(backend: &MemoryBackend, operation: &str, body: Json) -> Json {
    let (status, answer) = handle_json(backend, operation, body.to_string().as_bytes());
    assert_eq!(status, 200, "{operation}: {answer}");
    serde_json::from_str(&answer).unwrap()
}

/// `pk`/`sk`, a GSI `gsi` (ALL) and `gko` (KEYS_ONLY) on `g`, an LSI `lsi` (ALL) on `l`.
fn table() -> MemoryBackend {
    let backend = MemoryBackend::new();
    let defs: Vec<Json> = ["pk", "sk", "g", "l"]
        .iter()
        .map(|n| json!({"AttributeName": n, "AttributeType": "S"}))
        .collect();
    call(
        &backend,
        "CreateTable",
        json!({
            "TableName": T, "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": defs,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "GlobalSecondaryIndexes": [
                {"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "gko", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            "LocalSecondaryIndexes": [
                {"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                   {"AttributeName": "l", "KeyType": "RANGE"}],
                 "Projection": {"ProjectionType": "ALL"}}]
        }),
    );
    backend
}

fn key(pk: &str, sk: &str) -> Json {
    json!({"pk": {"S": pk}, "sk": {"S": sk}})
}

/// The `CapacityUnits` of a `ConsumedCapacity`: the request's, the table's (`INDEXES` only)
/// and each index's, by name.
fn units(c: &Json) -> (f64, Option<f64>, Vec<(String, f64)>) {
    let mut indexes = Vec::new();
    for member in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
        for (name, u) in c[member].as_object().into_iter().flatten() {
            indexes.push((name.clone(), u["CapacityUnits"].as_f64().unwrap()));
        }
    }
    indexes.sort_by(|a, b| a.0.cmp(&b.0));
    (
        c["CapacityUnits"].as_f64().unwrap(),
        c["Table"]["CapacityUnits"].as_f64(),
        indexes,
    )
}

fn ix(list: &[(&str, f64)]) -> Vec<(String, f64)> {
    list.iter().map(|(n, u)| (n.to_string(), *u)).collect()
}

fn indexes(body: Json) -> Json {
    let mut body = body;
    body["TableName"] = json!(T);
    body["ReturnConsumedCapacity"] = json!("INDEXES");
    body
}

#[test]
fn writes_count_the_table_and_each_index_entry_they_change() {
    let b = table();
    let big = "x".repeat(1500);
    let item = json!({"pk": {"S": "a"}, "sk": {"S": "1"}, "g": {"S": "G"}, "l": {"S": "L"},
                      "d": {"S": big}});
    // A new 1.5 KB item: 2 units in the table, each index its entry (KEYS_ONLY: small).
    let put = call(&b, "PutItem", indexes(json!({"Item": item})));
    let expected = (
        7.0,
        Some(2.0),
        ix(&[("gko", 1.0), ("gsi", 2.0), ("lsi", 2.0)]),
    );
    assert_eq!(units(&put["ConsumedCapacity"]), expected, "{put}");
    assert_eq!(put["ConsumedCapacity"]["WriteCapacityUnits"], json!(7.0));
    // The same item again: the index entries are left as they were.
    let again = call(&b, "PutItem", indexes(json!({"Item": item})));
    assert_eq!(units(&again["ConsumedCapacity"]), (2.0, Some(2.0), vec![]));
    // A non-key attribute: the entries that project it are rewritten in place.
    let update = |expression: &str, values: Json| {
        let mut body = indexes(json!({"Key": key("a", "1"), "UpdateExpression": expression}));
        if !values.is_null() {
            body["ExpressionAttributeValues"] = values;
        }
        call(&b, "UpdateItem", body)["ConsumedCapacity"].clone()
    };
    let set_e = update("SET e = :v", json!({":v": {"S": "e"}}));
    assert_eq!(
        units(&set_e),
        (6.0, Some(2.0), ix(&[("gsi", 2.0), ("lsi", 2.0)]))
    );
    // The GSI key: each GSI entry is deleted and put again (two writes).
    let set_g = update("SET g = :v", json!({":v": {"S": "H"}}));
    let expected = (
        10.0,
        Some(2.0),
        ix(&[("gko", 2.0), ("gsi", 4.0), ("lsi", 2.0)]),
    );
    assert_eq!(units(&set_g), expected);
    // The LSI key removed: its entry deleted (one write of its size).
    let remove_l = update("REMOVE l", Json::Null);
    assert_eq!(
        units(&remove_l),
        (6.0, Some(2.0), ix(&[("gsi", 2.0), ("lsi", 2.0)]))
    );
    // TOTAL: no breakdown.
    let total = call(
        &b,
        "PutItem",
        json!({"TableName": T, "Item": key("a", "3"), "ReturnConsumedCapacity": "TOTAL"}),
    );
    assert_eq!(
        total["ConsumedCapacity"],
        json!({"TableName": T, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0})
    );
    // NONE and absent: none.
    let none = call(
        &b,
        "PutItem",
        json!({"TableName": T, "Item": key("a", "4"), "ReturnConsumedCapacity": "NONE"}),
    );
    assert!(none.get("ConsumedCapacity").is_none(), "{none}");
    // Batch and transaction writes: one entry per table; transactions twice the units.
    let batch = call(
        &b,
        "BatchWriteItem",
        json!({"RequestItems": {T: [
            {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"S": "1"}, "g": {"S": "G"}}}},
            {"DeleteRequest": {"Key": key("a", "4")}}]},
            "ReturnConsumedCapacity": "INDEXES"}),
    );
    let expected = (4.0, Some(2.0), ix(&[("gko", 1.0), ("gsi", 1.0)]));
    assert_eq!(units(&batch["ConsumedCapacity"][0]), expected);
    let transact = call(
        &b,
        "TransactWriteItems",
        json!({"TransactItems": [
            {"Put": {"TableName": T,
                     "Item": {"pk": {"S": "c"}, "sk": {"S": "1"}, "g": {"S": "G"}}}},
            {"ConditionCheck": {"TableName": T, "Key": key("a", "1"),
                                "ConditionExpression": "attribute_exists(pk)"}}],
            "ReturnConsumedCapacity": "INDEXES"}),
    );
    let c = &transact["ConsumedCapacity"][0];
    assert_eq!(
        units(c),
        (8.0, Some(4.0), ix(&[("gko", 2.0), ("gsi", 2.0)]))
    );
    // The condition check is a transactional read of the 2 KB item.
    assert_eq!(
        (
            c["ReadCapacityUnits"].clone(),
            c["WriteCapacityUnits"].clone()
        ),
        (json!(2.0), json!(6.0))
    );
    let delete = call(&b, "DeleteItem", indexes(json!({"Key": key("a", "1")})));
    let expected = (5.0, Some(2.0), ix(&[("gko", 1.0), ("gsi", 2.0)]));
    assert_eq!(units(&delete["ConsumedCapacity"]), expected);
    let missing = call(&b, "DeleteItem", indexes(json!({"Key": key("a", "1")})));
    assert_eq!(
        units(&missing["ConsumedCapacity"]),
        (1.0, Some(1.0), vec![])
    );
}

#[test]
fn reads_count_what_they_read_before_filters_and_projections() {
    let b = table();
    let big = "x".repeat(1500);
    for (sk, g) in [("1", Some("G")), ("2", None), ("3", None)] {
        let mut item = json!({"pk": {"S": "a"}, "sk": {"S": sk}, "d": {"S": big}});
        if let Some(g) = g {
            item["g"] = json!({"S": g});
        }
        call(&b, "PutItem", json!({"TableName": T, "Item": item}));
    }
    let read = |operation: &str, body: Json| {
        units(&call(&b, operation, indexes(body))["ConsumedCapacity"])
    };
    // ~4.5 KB read together: 2 units strongly consistent, 1 eventually.
    let all = json!({"KeyConditionExpression": "pk = :p",
                     "ExpressionAttributeValues": {":p": {"S": "a"}}});
    assert_eq!(read("Query", all.clone()), (1.0, Some(1.0), vec![]));
    let mut consistent = all.clone();
    consistent["ConsistentRead"] = json!(true);
    assert_eq!(read("Query", consistent), (2.0, Some(2.0), vec![]));
    // A filter that keeps nothing, and a projection, read as much.
    let mut filtered = all.clone();
    filtered["FilterExpression"] = json!("zz = :p");
    filtered["ProjectionExpression"] = json!("pk");
    let answer = call(&b, "Query", indexes(filtered));
    assert_eq!(answer["Count"], json!(0));
    assert_eq!(units(&answer["ConsumedCapacity"]), (1.0, Some(1.0), vec![]));
    // Limit bounds what is read: one 1.5 KB item.
    let mut limited = all;
    limited["Limit"] = json!(1);
    limited["ConsistentRead"] = json!(true);
    assert_eq!(read("Query", limited), (1.0, Some(1.0), vec![]));
    assert_eq!(read("Scan", json!({})), (1.0, Some(1.0), vec![]));
    // On an index: the index's units, none of the table's.
    let gsi = json!({"IndexName": "gsi", "KeyConditionExpression": "g = :g",
                     "ExpressionAttributeValues": {":g": {"S": "G"}}});
    assert_eq!(read("Query", gsi), (0.5, Some(0.0), ix(&[("gsi", 0.5)])));
    assert_eq!(
        read("Scan", json!({"IndexName": "gsi"})),
        (0.5, Some(0.0), ix(&[("gsi", 0.5)]))
    );
    // GetItem: the whole item, whatever the projection; a missing one the minimum.
    let get = json!({"Key": key("a", "1"), "ProjectionExpression": "pk", "ConsistentRead": true});
    assert_eq!(read("GetItem", get), (1.0, Some(1.0), vec![]));
    let missing = json!({"Key": key("a", "9"), "ConsistentRead": true});
    assert_eq!(read("GetItem", missing), (1.0, Some(1.0), vec![]));
    // TransactGetItems: twice a strongly consistent read.
    let transact = call(
        &b,
        "TransactGetItems",
        json!({"TransactItems": [{"Get": {"TableName": T, "Key": key("a", "1")}}],
               "ReturnConsumedCapacity": "TOTAL"}),
    );
    assert_eq!(
        transact["ConsumedCapacity"],
        json!([{"TableName": T, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}])
    );
    // BatchGetItem: each key on its own; the missing one at the minimum (DynamoDB's
    // documentation; DynamoDB Local charges it nothing).
    let batch = call(
        &b,
        "BatchGetItem",
        json!({"RequestItems": {T: {"Keys": [key("a", "1"), key("a", "8")]}},
               "ReturnConsumedCapacity": "TOTAL"}),
    );
    assert_eq!(batch["ConsumedCapacity"][0]["CapacityUnits"], json!(1.0));
}

#[test]
fn partiql_reports_the_engines_figures() {
    let b = table();
    let statement = |text: &str| {
        call(
            &b,
            "ExecuteStatement",
            json!({"Statement": text, "ReturnConsumedCapacity": "TOTAL"}),
        )["ConsumedCapacity"]
            .clone()
    };
    let insert = statement(r#"INSERT INTO "cap" VALUE {'pk': 'd', 'sk': '1', 'g': 'G'}"#);
    assert_eq!(insert["CapacityUnits"], json!(3.0), "{insert}");
    let select = statement(r#"SELECT * FROM "cap" WHERE pk = 'd'"#);
    assert_eq!(select["ReadCapacityUnits"], json!(0.5), "{select}");
    let batch = call(
        &b,
        "BatchExecuteStatement",
        json!({"Statements": [{"Statement": r#"SELECT * FROM "cap" WHERE pk = 'd' AND sk = '1'"#}],
               "ReturnConsumedCapacity": "TOTAL"}),
    );
    assert_eq!(batch["ConsumedCapacity"][0]["CapacityUnits"], json!(0.5));
    let transaction = call(
        &b,
        "ExecuteTransaction",
        json!({"TransactStatements": [
            {"Statement": r#"UPDATE "cap" SET q = 1 WHERE pk = 'd' AND sk = '1'"#}],
            "ReturnConsumedCapacity": "TOTAL"}),
    );
    // Twice the table's unit and each GSI entry's rewrite (gsi: ALL); gko keeps its entry.
    assert_eq!(
        transaction["ConsumedCapacity"][0]["CapacityUnits"],
        json!(4.0)
    );
}

#[test]
fn the_engine_totals_each_table_and_the_browser_view_shows_them() {
    let b = table();
    b.keep_capacity_totals(true);
    call(
        &b,
        "PutItem",
        json!({"TableName": T, "Item": {"pk": {"S": "a"}, "sk": {"S": "1"}, "g": {"S": "G"}}}),
    );
    // A failed conditional write still consumes its write unit.
    let (status, _) = handle_json(
        &b,
        "PutItem",
        json!({"TableName": T, "Item": key("a", "1"),
               "ConditionExpression": "attribute_not_exists(pk)"})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(status, 400);
    call(&b, "GetItem", json!({"TableName": T, "Key": key("a", "1")}));
    let used = b.consumed_capacity(T).expect("totals");
    assert_eq!((used.read_units, used.write_units), (0.5, 4.0), "{used:?}");
    assert_eq!(used.global_indexes["gsi"].write_units, 1.0);

    let server = MemoryServer::builder(b.clone()).ui(true).start().unwrap();
    let page = raw_http::get(server.addr(), &format!("/ui/table?table={T}"));
    let page = String::from_utf8(page.body).unwrap();
    assert!(
        page.contains("<tr><td>all</td><td>0.5</td><td>4</td></tr>"),
        "{page}"
    );
    assert!(page.contains("<tr><td>GSI gsi</td><td>0</td><td>1</td></tr>"));
    b.reset_consumed_capacity(T);
    assert_eq!(b.consumed_capacity(T), None);
}
