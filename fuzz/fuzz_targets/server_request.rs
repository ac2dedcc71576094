//! MemoryServer's request decoder on arbitrary bodies: the first byte picks an operation, the
//! rest is the body given to `orm_memory::server::handle_json` over a backend seeded with a table
//! (with a GSI) and two items. It never panics, and every answer is a 200 or a DynamoDB-shaped
//! 400 (a JSON object with a `__type` and a `message`), never a 500.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orm_memory::server::{handle_json, operation_names};
use orm_memory::MemoryBackend;

/// The operations the server knows (its table of operations: a new operation is fuzzed as soon
/// as it is added), and one it does not.
fn operations() -> &'static [&'static str] {
    static OPERATIONS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    OPERATIONS.get_or_init(|| operation_names().chain(["Frobnicate"]).collect())
}

const SEED: &[(&str, &str)] = &[
    (
        "CreateTable",
        r#"{"TableName":"tbl","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
              {"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
            "GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],
              "Projection":{"ProjectionType":"ALL"}}]}"#,
    ),
    (
        "PutItem",
        r#"{"TableName":"tbl","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"x"},
            "l":{"L":[{"N":"1"},{"M":{"k":{"SS":["a"]}}}]},"n":{"N":"12345678901234567890.123456789012345678"}}}"#,
    ),
    (
        "PutItem",
        r#"{"TableName":"tbl","Item":{"pk":{"S":"a"},"sk":{"N":"2"},"b":{"B":"AAE="},"s":{"NS":["1","2"]}}}"#,
    ),
];

fn seeded() -> MemoryBackend {
    let backend = MemoryBackend::new();
    for (op, body) in SEED {
        let (status, answer) = handle_json(&backend, op, body.as_bytes());
        assert_eq!(status, 200, "seeding {op}: {answer}");
    }
    backend
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let operations = operations();
    let op = operations[pick as usize % operations.len()];
    let backend = seeded();
    let (status, answer) = handle_json(&backend, op, body);
    let json: serde_json::Value = serde_json::from_str(&answer).expect("every answer is JSON");
    assert!(json.is_object(), "{op}: {answer}");
    match status {
        200 => {}
        400 => {
            assert!(
                json["__type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("com.amazonaws.dynamodb.v20120810#")),
                "{op}: {answer}"
            );
            assert!(json["message"].is_string(), "{op}: {answer}");
        }
        other => panic!("{op} answered {other}: {answer}"),
    }
    // The backend still serves after whatever that request did.
    let (status, answer) = handle_json(&backend, "ListTables", b"{}");
    assert_eq!(status, 200, "{answer}");
});
