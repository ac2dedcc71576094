//! The backend-neutral requests: `new` + `with_*` setters give the same request as spelling every
//! field, and the count checks take the backend's declared limits.

use orm_core::backend::{
    BatchGet, BatchWrite, ConditionCheck, DeleteItem, GetItem, Limits, PutItem, QueryRequest,
    ReturnValues, ScanRequest, TransactGet, TransactWrite, TransactWriteAction, UpdateItem,
    WriteRequest,
};
use orm_core::expr::{KeyCondition, Update};
use orm_core::{attr, Item};

fn key(pk: &str) -> Item {
    Item::new().with("pk", pk).with("sk", "S")
}

#[test]
fn setters_set_exactly_their_field() {
    assert_eq!(
        GetItem::new("t", key("a"))
            .with_consistent(true)
            .with_projection(vec![attr("x")]),
        GetItem {
            capacity: None,
            table: "t".into(),
            key: key("a"),
            consistent: true,
            projection: Some(vec![attr("x")]),
        }
    );
    assert_eq!(
        PutItem::new("t", key("a"))
            .with_condition(attr("pk").not_exists())
            .with_return_values(ReturnValues::AllOld)
            .with_return_item_on_condition_failure(true),
        PutItem {
            capacity: None,
            table: "t".into(),
            item: key("a"),
            condition: Some(attr("pk").not_exists()),
            return_values: ReturnValues::AllOld,
            return_item_on_condition_failure: true,
        }
    );
    let update = Update::new().add(attr("n"), 1);
    assert_eq!(
        UpdateItem::new("t", key("a"), update.clone())
            .with_condition(attr("n").lt(5))
            .with_return_values(ReturnValues::UpdatedNew),
        UpdateItem {
            capacity: None,
            table: "t".into(),
            key: key("a"),
            update,
            condition: Some(attr("n").lt(5)),
            return_values: ReturnValues::UpdatedNew,
            return_item_on_condition_failure: false,
        }
    );
    assert_eq!(
        DeleteItem::new("t", key("a")).with_return_item_on_condition_failure(true),
        DeleteItem {
            capacity: None,
            table: "t".into(),
            key: key("a"),
            condition: None,
            return_values: ReturnValues::None,
            return_item_on_condition_failure: true,
        }
    );
    let users = KeyCondition::partition("pk", "USER#1");
    assert_eq!(
        QueryRequest::new("t", users.clone())
            .with_index("gsi1")
            .with_filter(attr("x").eq(1))
            .with_limit(10)
            .with_exclusive_start_key(key("b"))
            .with_scan_forward(false)
            .with_consistent(true)
            .with_count_only(true)
            .with_all_attributes(true),
        QueryRequest {
            capacity: None,
            table: "t".into(),
            index: Some("gsi1".into()),
            key_condition: users,
            filter: Some(attr("x").eq(1)),
            projection: None,
            limit: Some(10),
            exclusive_start_key: Some(key("b")),
            scan_forward: false,
            consistent: true,
            count_only: true,
            all_attributes: true,
        }
    );
    // An optional field's setter takes an `Option` too, so a value the caller may not have
    // passes straight through.
    let page_size: Option<u32> = None;
    let scan = ScanRequest::new("t")
        .with_limit(7)
        .with_limit(page_size)
        .with_segment((1, 4));
    assert_eq!((scan.limit, scan.segment), (None, Some((1, 4))));
    assert_eq!(
        BatchGet::new("t", vec![key("a")]).with_consistent(true),
        BatchGet {
            capacity: None,
            table: "t".into(),
            keys: vec![key("a")],
            consistent: true,
            projection: None,
        }
    );
    assert!(
        ConditionCheck::new("t", key("a"), attr("x").exists())
            .with_return_item_on_condition_failure(true)
            .return_item_on_condition_failure
    );
    assert_eq!(
        TransactWrite::new(vec![])
            .with_client_request_token("token")
            .client_request_token
            .as_deref(),
        Some("token")
    );
}

#[test]
fn count_checks_use_the_limits_given() {
    let small = Limits {
        max_batch_get: 2,
        max_batch_write: 2,
        max_transaction_actions: 2,
        ..Limits::default()
    };
    let dynamodb = Limits::default();
    let three_keys = BatchGet::new("t", vec![key("a"), key("b"), key("c")]);
    assert!(three_keys.validate(&dynamodb).is_ok());
    let err = three_keys.validate(&small).unwrap_err().to_string();
    assert!(err.contains("between 1 and 2 entries, got 3"), "{err}");
    let three_writes = BatchWrite::new(
        "t",
        ["a", "b", "c"]
            .map(|k| WriteRequest::Delete(key(k)))
            .to_vec(),
    );
    assert!(three_writes.validate(&dynamodb).is_ok());
    assert!(three_writes.validate(&small).is_err());
    let three_gets = TransactGet::new(["a", "b", "c"].map(|k| GetItem::new("t", key(k))).to_vec());
    assert!(three_gets.validate(&dynamodb).is_ok());
    assert!(three_gets.validate(&small).is_err());
    let three_actions = TransactWrite::new(
        ["a", "b", "c"]
            .map(|k| TransactWriteAction::Delete(DeleteItem::new("t", key(k))))
            .to_vec(),
    );
    assert!(three_actions.validate(&dynamodb).is_ok());
    let err = three_actions.validate(&small).unwrap_err().to_string();
    assert!(err.contains("TransactWriteItems actions"), "{err}");
    // Zero is never allowed, whatever the limits.
    assert!(BatchGet::new("t", vec![]).validate(&dynamodb).is_err());
}
