//! PartiQL through the operations' table, without HTTP: each behaviour with DynamoDB's answer
//! and message.

use super::super::{dispatch, Answer};
use crate::MemoryBackend;
use serde_json::{json, Value as Json};

fn call(backend: &MemoryBackend, op: &str, body: Json) -> Answer {
    dispatch(backend, "us-east-1", op, &body)
}

/// A backend with `hash` (key `pk`) and `composite` (`pk`, `sk`, and an index `by_g` on `g`).
fn backend() -> MemoryBackend {
    let backend = MemoryBackend::new();
    call(
        &backend,
        "CreateTable",
        json!({
            "TableName": "hash",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
    call(
        &backend,
        "CreateTable",
        json!({
            "TableName": "composite",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"}
            ],
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"}
            ],
            "GlobalSecondaryIndexes": [{
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}
            }],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
    backend
}

fn run(backend: &MemoryBackend, statement: &str) -> Answer {
    call(
        backend,
        "ExecuteStatement",
        json!({ "Statement": statement }),
    )
}

fn ok(backend: &MemoryBackend, statement: &str) -> Json {
    run(backend, statement).unwrap_or_else(|e| panic!("{statement}: {e:?}"))
}

/// The error's code and message.
fn err(answer: Answer) -> (&'static str, String) {
    let e = answer.expect_err("an error");
    (e.kind, e.message)
}

fn get(backend: &MemoryBackend, table: &str, key: Json) -> Json {
    call(
        backend,
        "GetItem",
        json!({"TableName": table, "Key": key, "ConsistentRead": true}),
    )
    .unwrap()["Item"]
        .clone()
}

#[test]
fn insert_select_update_delete() {
    let b = backend();
    assert_eq!(
        ok(
            &b,
            r#"INSERT INTO "hash" VALUE {'pk': 'a', 'n': 1, 'm': {'x': [1, 'two']}, 's': <<'u', 'v'>>}"#
        ),
        json!({"Items": []})
    );
    assert_eq!(
        get(&b, "hash", json!({"pk": {"S": "a"}})),
        json!({"pk": {"S": "a"}, "n": {"N": "1"}, "m": {"M": {"x": {"L": [{"N": "1"}, {"S": "two"}]}}}, "s": {"SS": ["u", "v"]}})
    );
    assert_eq!(
        err(run(&b, r#"INSERT INTO "hash" VALUE {'pk': 'a'}"#)),
        (
            "DuplicateItemException",
            "Duplicate primary key exists in table".into()
        )
    );
    assert_eq!(
        ok(
            &b,
            r#"SELECT m.x[1], n, "missing" FROM "hash" WHERE pk = 'a'"#
        ),
        json!({"Items": [{"x[1]": {"S": "two"}, "n": {"N": "1"}}]})
    );
    assert_eq!(
        ok(&b, r#"SELECT * FROM "hash" WHERE pk = 'nope'"#),
        json!({"Items": []})
    );

    // UPDATE: an existing item only; the rest of WHERE is a condition.
    assert_eq!(
        ok(
            &b,
            r#"UPDATE "hash" SET n = n + 1 SET t = 'x' REMOVE m WHERE pk = 'a' AND n = 1 RETURNING MODIFIED NEW *"#
        ),
        json!({"Items": [{"n": {"N": "2"}, "t": {"S": "x"}}]})
    );
    assert_eq!(
        err(run(
            &b,
            r#"UPDATE "hash" SET n = 5 WHERE pk = 'a' AND n = 1"#
        )),
        (
            "ConditionalCheckFailedException",
            "The conditional request failed".into()
        )
    );
    assert_eq!(
        err(run(&b, r#"UPDATE "hash" SET n = 5 WHERE pk = 'zz'"#)).0,
        "ConditionalCheckFailedException"
    );
    assert_eq!(
        get(&b, "hash", json!({"pk": {"S": "zz"}})),
        Json::Null,
        "UPDATE never creates"
    );
    assert_eq!(
        err(run(&b, r#"UPDATE "hash" SET n = 5 WHERE n = 1"#)),
        (
            "ValidationException",
            "Where clause does not contain a mandatory equality on all key attributes".into()
        )
    );
    assert_eq!(
        ok(
            &b,
            r#"UPDATE "hash" SET s = set_add(s, <<'w'>>) WHERE pk = 'a' RETURNING ALL OLD *"#
        )["Items"][0]["s"],
        json!({"SS": ["u", "v"]})
    );
    assert_eq!(
        get(&b, "hash", json!({"pk": {"S": "a"}}))["s"],
        json!({"SS": ["u", "v", "w"]})
    );

    // DELETE: a missing item is no error; a failing condition is.
    assert_eq!(
        ok(
            &b,
            r#"DELETE FROM "hash" WHERE pk = 'zz' RETURNING ALL OLD *"#
        ),
        json!({"Items": []})
    );
    assert_eq!(
        err(run(&b, r#"DELETE FROM "hash" WHERE pk = 'a' AND n = 99"#)).0,
        "ConditionalCheckFailedException"
    );
    assert_eq!(
        ok(
            &b,
            r#"DELETE FROM "hash" WHERE pk = 'a' RETURNING ALL OLD *"#
        )["Items"][0]["n"],
        json!({"N": "2"})
    );
    assert_eq!(get(&b, "hash", json!({"pk": {"S": "a"}})), Json::Null);
    // ... and an INSERT of the key succeeds again.
    ok(&b, r#"INSERT INTO "hash" VALUE {'pk': 'a'}"#);
}

#[test]
fn parameters_fill_the_question_marks() {
    let b = backend();
    call(
        &b,
        "ExecuteStatement",
        json!({
            "Statement": r#"INSERT INTO "hash" VALUE {'pk': ?, 'b': ?}"#,
            "Parameters": [{"S": "p"}, {"B": "AAE="}]
        }),
    )
    .unwrap();
    let answer = call(
        &b,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT b FROM "hash" WHERE pk = ? AND b = ?"#, "Parameters": [{"S": "p"}, {"B": "AAE="}]}),
    )
    .unwrap();
    assert_eq!(answer, json!({"Items": [{"b": {"B": "AAE="}}]}));
    let mismatch = call(
        &b,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT * FROM "hash" WHERE pk = ?"#}),
    );
    assert_eq!(
        err(mismatch),
        (
            "ValidationException",
            "Number of parameters in request and statement don't match.".into()
        )
    );
    let empty = call(
        &b,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT * FROM "hash""#, "Parameters": []}),
    );
    assert!(err(empty)
        .1
        .contains("at 'parameters' failed to satisfy constraint"));
}

/// Items `p/a1..a5` and `q/a1..a2` in `composite`.
fn seeded() -> MemoryBackend {
    let b = backend();
    for (pk, count) in [("p", 5), ("q", 2)] {
        for i in 1..=count {
            ok(
                &b,
                &format!(
                    r#"INSERT INTO "composite" VALUE {{'pk': '{pk}', 'sk': 'a{i}', 'n': {i}, 'g': 'x'}}"#
                ),
            );
        }
    }
    b
}

fn sks(answer: &Json) -> Vec<String> {
    answer["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}{}",
                i["pk"]["S"].as_str().unwrap_or(""),
                i["sk"]["S"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn selects_query_fixed_partitions_and_scan_the_rest() {
    let b = seeded();
    let q = |s: &str| sks(&ok(&b, s));
    assert_eq!(
        q(
            r#"SELECT pk, sk FROM "composite" WHERE pk = 'p' AND sk BETWEEN 'a2' AND 'a4' AND n <> 3"#
        ),
        ["pa2", "pa4"]
    );
    assert_eq!(
        q(
            r#"SELECT pk, sk FROM "composite" WHERE pk = 'p' AND begins_with(sk, 'a') ORDER BY sk DESC"#
        ),
        ["pa5", "pa4", "pa3", "pa2", "pa1"]
    );
    assert_eq!(
        q(r#"SELECT pk, sk FROM "composite" WHERE pk IN ['q', 'p'] AND n > 1"#),
        ["qa2", "pa2", "pa3", "pa4", "pa5"]
    );
    assert_eq!(
        q(r#"SELECT pk, sk FROM "composite" WHERE sk = 'a1' OR n = 5"#).len(),
        3,
        "a scan"
    );
    assert_eq!(
        q(r#"SELECT pk, sk FROM "composite"."by_g" WHERE g = 'x' AND n = 2"#).len(),
        2
    );
    for (statement, message) in [
        (
            r#"SELECT * FROM "composite" WHERE n > 1 ORDER BY sk"#,
            "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
        ),
        (
            r#"SELECT * FROM "composite" WHERE pk = 1"#,
            "Key attribute's data type should match its data type in table's schema: Key pk",
        ),
        (
            r#"SELECT * FROM "composite" WHERE pk = 'p' AND n < [1]"#,
            "Incorrect operand type for operator or function; operator or function: <, operand type: L",
        ),
    ] {
        assert_eq!(err(run(&b, statement)).1, message, "{statement}");
    }
    assert_eq!(
        err(call(
            &b,
            "ExecuteStatement",
            json!({"Statement": r#"SELECT * FROM "composite"."by_g" WHERE g = 'x'"#, "ConsistentRead": true})
        ))
        .0,
        "ValidationException"
    );
}

/// Pages of `limit` items evaluated, followed by NextToken to the end.
fn pages(b: &MemoryBackend, statement: &str, limit: u32) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"Statement": statement, "Limit": limit});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let answer = call(b, "ExecuteStatement", body).unwrap();
        out.push(sks(&answer));
        match answer.get("NextToken") {
            Some(t) => token = Some(t.as_str().unwrap().to_string()),
            None => return out,
        }
        assert!(out.len() < 20, "the pages end");
    }
}

#[test]
fn limit_and_next_token_page_through_every_read() {
    let b = seeded();
    let all: Vec<String> = pages(
        &b,
        r#"SELECT pk, sk FROM "composite" WHERE pk IN ['p', 'q']"#,
        2,
    )
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(all, ["pa1", "pa2", "pa3", "pa4", "pa5", "qa1", "qa2"]);
    // Limit counts items evaluated: a page may hold fewer matches, or none.
    let filtered = pages(
        &b,
        r#"SELECT pk, sk FROM "composite" WHERE pk = 'p' AND n >= 4"#,
        2,
    );
    assert_eq!(filtered[0], Vec::<String>::new());
    assert_eq!(filtered.concat(), ["pa4", "pa5"]);
    let scanned: Vec<String> = pages(&b, r#"SELECT pk, sk FROM "composite""#, 3).concat();
    assert_eq!(scanned.len(), 7);
    let mut sorted = scanned.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "no item twice: {scanned:?}");

    let first = call(
        &b,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT * FROM "composite""#, "Limit": 1}),
    )
    .unwrap();
    let token = first["NextToken"].clone();
    let other = call(
        &b,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT * FROM "hash""#, "NextToken": token}),
    );
    assert!(err(other).1.starts_with("Invalid NextToken"));
    let garbage = call(
        &b,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT * FROM "hash""#, "NextToken": "garbage"}),
    );
    assert_eq!(err(garbage).1, "Invalid NextToken");
}

#[test]
fn consumed_capacity_is_reported_when_asked() {
    let b = seeded();
    let answer = call(
        &b,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT * FROM "composite" WHERE pk = 'p'"#, "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    assert_eq!(
        answer["ConsumedCapacity"],
        json!({"TableName": "composite", "CapacityUnits": 0.5, "ReadCapacityUnits": 0.5})
    );
    let answer = call(
        &b,
        "ExecuteStatement",
        json!({"Statement": r#"INSERT INTO "hash" VALUE {'pk': 'c'}"#, "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    assert_eq!(answer["ConsumedCapacity"]["WriteCapacityUnits"], json!(1.0));
}

#[test]
fn statement_errors_are_dynamodbs() {
    let b = backend();
    // Each statement's error type, and its message when the second member is not empty.
    for (statement, kind, message) in [
        (r#"SELECTT * FROMM "hash""#, "ValidationException", ""),
        (
            r#"SELECT * FROM "_nope" WHERE pk = 'x'"#,
            "ResourceNotFoundException",
            "",
        ),
        (
            r#"EXISTS(SELECT * FROM "hash" WHERE pk = 'a' AND n = 1)"#,
            "ValidationException",
            "EXISTS can only be used in ExecuteTransaction write requests.",
        ),
        (
            r#"INSERT INTO "hash" VALUE {'x': 1}"#,
            "ValidationException",
            "Key attribute should be present in the item: Key pk",
        ),
    ] {
        let (got_kind, got_message) = err(run(&b, statement));
        assert_eq!(got_kind, kind, "{statement}");
        if !message.is_empty() {
            assert_eq!(got_message, message, "{statement}");
        }
    }
    assert!(err(run(
        &b,
        r#"UPDATE "composite" SET sk = 'x' WHERE pk = 'p' AND sk = 'a1'"#
    ))
    .0
    .ends_with("Exception"));
    let limit = call(
        &b,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT * FROM "hash""#, "Limit": 0}),
    );
    assert!(err(limit)
        .1
        .contains("at 'limit' failed to satisfy constraint"));
    let token_on_write = call(
        &b,
        "ExecuteStatement",
        json!({"Statement": r#"INSERT INTO "hash" VALUE {'pk': 'z'}"#, "NextToken": "x"}),
    );
    assert_eq!(
        err(token_on_write).1,
        "NextToken is only valid on a SELECT statement"
    );
}

fn statements(list: &[&str]) -> Json {
    Json::Array(list.iter().map(|s| json!({ "Statement": s })).collect())
}

#[test]
fn batches_answer_statement_by_statement() {
    let b = seeded();
    let answer = call(
        &b,
        "BatchExecuteStatement",
        json!({"Statements": statements(&[
            r#"SELECT sk FROM "composite" WHERE pk = 'p' AND sk = 'a1'"#,
            r#"SELECT * FROM "composite" WHERE pk = 'p' AND sk = 'zz'"#,
            r#"SELECT * FROM "_nope" WHERE pk = 'x'"#,
            r#"SELECT * FROM "composite" WHERE pk = 'p'"#,
            "SELEC x",
        ]), "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    let responses = answer["Responses"].as_array().unwrap();
    assert_eq!(
        responses[0],
        json!({"TableName": "composite", "Item": {"sk": {"S": "a1"}}})
    );
    assert_eq!(responses[1], json!({"TableName": "composite"}));
    assert_eq!(responses[2]["Error"]["Code"], "ResourceNotFound");
    assert_eq!(
        responses[3]["Error"],
        json!({"Code": "ValidationError", "Message": "Only single item select is supported"})
    );
    assert_eq!(responses[4]["Error"]["Code"], "ValidationError");
    assert_eq!(answer["ConsumedCapacity"][0]["TableName"], "composite");

    let answer = call(
        &b,
        "BatchExecuteStatement",
        json!({"Statements": statements(&[
            r#"INSERT INTO "hash" VALUE {'pk': 'n1'}"#,
            r#"INSERT INTO "composite" VALUE {'pk': 'p', 'sk': 'a1'}"#,
            r#"UPDATE "hash" SET n = 1 WHERE pk = 'nope'"#,
            r#"UPDATE "composite" SET n = 10 WHERE pk = 'q' AND sk = 'a1' RETURNING MODIFIED NEW *"#,
            r#"DELETE FROM "composite" WHERE pk = 'q' AND sk = 'a2'"#,
            r#"UPDATE "hash" SET n = 1 WHERE n = 1"#,
        ])}),
    )
    .unwrap();
    assert_eq!(
        answer["Responses"],
        json!([
            {"TableName": "hash"},
            {"TableName": "composite", "Error": {"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"}},
            {"TableName": "hash", "Error": {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}},
            {"TableName": "composite", "Item": {"n": {"N": "10"}}},
            {"TableName": "composite"},
            {"Error": {"Code": "ValidationError", "Message": "Where clause does not contain a mandatory equality on all key attributes"}},
        ])
    );
    assert_ne!(get(&b, "hash", json!({"pk": {"S": "n1"}})), Json::Null);
    assert_eq!(
        get(
            &b,
            "composite",
            json!({"pk": {"S": "q"}, "sk": {"S": "a2"}})
        ),
        Json::Null
    );

    let batch = |list: &[&str]| {
        call(
            &b,
            "BatchExecuteStatement",
            json!({"Statements": statements(list)}),
        )
    };
    assert_eq!(
        err(batch(&[
            r#"SELECT * FROM "hash" WHERE pk = 'a'"#,
            r#"INSERT INTO "hash" VALUE {'pk': 'x'}"#
        ])),
        (
            "ValidationException",
            "Read and write requests together in the same batch is not supported.".into()
        )
    );
    assert_eq!(
        err(batch(&[
            r#"DELETE FROM "hash" WHERE pk = 'a'"#,
            r#"INSERT INTO "hash" VALUE {'pk': 'a'}"#
        ]))
        .1,
        "Provided list of item keys contains duplicates"
    );
    assert!(err(batch(&[])).1.contains("greater than or equal to 1"));
    let many: Vec<String> = (0..26)
        .map(|i| format!(r#"INSERT INTO "hash" VALUE {{'pk': 'm{i}'}}"#))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert!(err(batch(&many)).1.contains("less than or equal to 25"));
    assert_eq!(get(&b, "hash", json!({"pk": {"S": "m0"}})), Json::Null);
}

#[test]
fn transactions_are_all_or_nothing() {
    let b = seeded();
    let transact = |list: &[&str]| {
        call(
            &b,
            "ExecuteTransaction",
            json!({"TransactStatements": statements(list)}),
        )
    };
    assert_eq!(
        transact(&[
            r#"INSERT INTO "hash" VALUE {'pk': 't1'}"#,
            r#"UPDATE "composite" SET n = 0 WHERE pk = 'p' AND sk = 'a1'"#,
            r#"EXISTS(SELECT * FROM "composite" WHERE pk = 'q' AND sk = 'a1' AND n = 1)"#,
        ])
        .unwrap(),
        json!({"Responses": [{}, {}, {}]})
    );
    assert_ne!(get(&b, "hash", json!({"pk": {"S": "t1"}})), Json::Null);

    let e = transact(&[
        r#"INSERT INTO "hash" VALUE {'pk': 't2'}"#,
        r#"INSERT INTO "hash" VALUE {'pk': 't1'}"#,
        r#"EXISTS(SELECT * FROM "composite" WHERE pk = 'q' AND sk = 'a9' AND n IS MISSING)"#,
    ])
    .unwrap_err();
    assert_eq!(e.kind, "TransactionCanceledException");
    assert_eq!(
        e.message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, DuplicateItem, ConditionalCheckFailed]"
    );
    assert_eq!(
        e.body()["CancellationReasons"][1],
        json!({"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"})
    );
    assert_eq!(
        get(&b, "hash", json!({"pk": {"S": "t2"}})),
        Json::Null,
        "nothing applied"
    );

    let e = transact(&[
        r#"INSERT INTO "hash" VALUE {'pk': 't3'}"#,
        r#"UPDATE "hash" SET n = 1 WHERE n = 1"#,
    ])
    .unwrap_err();
    assert_eq!(
        e.body()["CancellationReasons"][1]["Code"],
        "ValidationError"
    );

    let reads = transact(&[
        r#"SELECT n FROM "composite" WHERE pk = 'p' AND sk = 'a2'"#,
        r#"SELECT * FROM "composite" WHERE pk = 'p' AND sk = 'zz'"#,
    ])
    .unwrap();
    assert_eq!(
        reads,
        json!({"Responses": [{"Item": {"n": {"N": "2"}}}, {}]})
    );

    for (list, message) in [
        (
            vec![r#"SELECT * FROM "hash" WHERE pk = 'a'"#, r#"INSERT INTO "hash" VALUE {'pk': 'x'}"#],
            "ExecuteTransaction API does not support both read and write operations in the same request.",
        ),
        (
            vec![r#"UPDATE "hash" SET n = 1 WHERE pk = 't1' RETURNING ALL NEW *"#],
            "Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction.",
        ),
        (
            vec![r#"SELECT * FROM "composite" WHERE pk = 'p'"#],
            "Validation failed in TransactStatements[0]: Select statements within ExecuteTransaction must specify the primary key in the where clause.",
        ),
        (
            vec![r#"SELECT * FROM "composite"."by_g" WHERE g = 'x'"#],
            "Validation failed in TransactStatements[0]: Reads on indices are not supported within transactions.",
        ),
        (
            vec![r#"EXISTS(SELECT * FROM "hash" WHERE pk = 'a')"#],
            "EXISTS() must contain a single item read with additional condition",
        ),
    ] {
        let e = transact(&list).unwrap_err();
        assert!(e.message.ends_with(message), "{list:?}: {}", e.message);
    }
    assert!(transact(&[])
        .unwrap_err()
        .message
        .contains("greater than or equal to 1"));
    let many: Vec<String> = (0..101)
        .map(|i| format!(r#"INSERT INTO "hash" VALUE {{'pk': 'm{i}'}}"#))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert!(transact(&many)
        .unwrap_err()
        .message
        .contains("less than or equal to 100"));
}
