//! The operations' table over a backend, without HTTP.

use super::*;
use serde_json::json;

fn call(backend: &MemoryBackend, catalog: &Catalog, op: &str, body: Json) -> Answer {
    dispatch(backend, catalog, op, &body)
}

fn table(backend: &MemoryBackend, catalog: &Catalog, name: &str) {
    call(
        backend,
        catalog,
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
    let catalog = Catalog::default();
    table(&backend, &catalog, "aaa");
    table(&backend, &catalog, "zzz");
    let ok = put(json!({"S": "1"}));
    let err = call(
        &backend,
        &catalog,
        "BatchWriteItem",
        json!({"RequestItems": {"aaa": [ok.clone()], "zzz": [put(json!({"N": "1"}))]}}),
    )
    .unwrap_err();
    assert_eq!(err.kind, "ValidationException");
    let err = call(
        &backend,
        &catalog,
        "BatchWriteItem",
        json!({"RequestItems": {"aaa": [ok.clone()], "zzz_missing": [ok.clone()]}}),
    )
    .unwrap_err();
    assert_eq!(err.kind, "ResourceNotFoundException");
    assert_eq!(backend.item_count("aaa"), Some(0));
    assert_eq!(backend.item_count("zzz"), Some(0));
    call(
        &backend,
        &catalog,
        "BatchWriteItem",
        json!({"RequestItems": {"aaa": [ok.clone()], "zzz": [ok]}}),
    )
    .unwrap();
    assert_eq!(backend.item_count("aaa"), Some(1));
    assert_eq!(backend.item_count("zzz"), Some(1));
}
