//! The DynamoDB operations, as ONE table ([`OPERATIONS`]): each operation's name, the request
//! members it accepts, and its handler. A handler decodes its JSON request into orm-core's
//! backend-neutral request (or a [`MemoryBackend`] call), runs it, and encodes the answer as
//! DynamoDB does. One file per group of operations:
//!
//! - [`tables`]: CreateTable, DescribeTable, UpdateTable, DeleteTable, ListTables;
//! - [`ttl`]: UpdateTimeToLive, DescribeTimeToLive;
//! - [`tags`]: TagResource, UntagResource, ListTagsOfResource;
//! - [`items`]: GetItem, PutItem, UpdateItem, DeleteItem;
//! - [`queries`]: Query, Scan;
//! - [`batch`]: BatchGetItem, BatchWriteItem;
//! - [`transactions`]: TransactGetItems, TransactWriteItems;
//! - [`partiql`]: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction.
//!
//! Beside them: [`request`] reads a request's members and expressions, [`capacity`] computes
//! consumed capacity, [`collections`] item collection metrics, [`call`] runs a backend call,
//! [`description`] writes a table's description, [`arn`] writes and reads ARNs.
//!
//! Adding an operation: a handler in its group's file, and one row in [`OPERATIONS`].

mod arn;
mod batch;
mod call;
mod capacity;
mod collections;
mod description;
mod items;
mod partiql;
mod queries;
mod request;
mod tables;
mod tags;
mod transactions;
mod ttl;

use super::error::ApiError;
use crate::MemoryBackend;
use request::{check_fields, Answer, Body, Context};
use serde_json::Value as Json;

/// Handles one request body of an operation.
type Handler = fn(&Context<'_>, &Body) -> Answer;

/// One DynamoDB operation: its name (`X-Amz-Target: DynamoDB_20120810.<name>`), the request
/// members it accepts (any other is a `ValidationException` naming it), and its handler.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation {
    /// The operation's name, e.g. `PutItem`.
    pub(crate) name: &'static str,
    /// The request members it accepts.
    pub(crate) members: &'static [&'static str],
    /// What runs it.
    handler: Handler,
}

/// The members of a single-item write that every one of them accepts.
macro_rules! write_members {
    ($($extra:literal),* $(,)?) => {
        &[
            "TableName",
            $($extra,)*
            "ConditionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "ReturnValues",
            "ReturnValuesOnConditionCheckFailure",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
            "Expected",
            "ConditionalOperator",
        ]
    };
}

/// Every operation the server answers.
pub(crate) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateTable",
        members: &[
            "TableName",
            "KeySchema",
            "AttributeDefinitions",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
            "BillingMode",
            "ProvisionedThroughput",
            "StreamSpecification",
            "SSESpecification",
            "Tags",
            "TableClass",
            "DeletionProtectionEnabled",
            "OnDemandThroughput",
        ],
        handler: tables::create_table,
    },
    Operation {
        name: "DescribeTable",
        members: &["TableName"],
        handler: tables::describe_table,
    },
    Operation {
        name: "UpdateTable",
        members: &[
            "TableName",
            "AttributeDefinitions",
            "BillingMode",
            "ProvisionedThroughput",
            "GlobalSecondaryIndexUpdates",
            "StreamSpecification",
            "SSESpecification",
            "TableClass",
            "DeletionProtectionEnabled",
            "OnDemandThroughput",
            "WarmThroughput",
        ],
        handler: tables::update_table,
    },
    Operation {
        name: "DeleteTable",
        members: &["TableName"],
        handler: tables::delete_table,
    },
    Operation {
        name: "ListTables",
        members: &["ExclusiveStartTableName", "Limit"],
        handler: tables::list_tables,
    },
    Operation {
        name: "UpdateTimeToLive",
        members: &["TableName", "TimeToLiveSpecification"],
        handler: ttl::update_ttl,
    },
    Operation {
        name: "DescribeTimeToLive",
        members: &["TableName"],
        handler: ttl::describe_ttl,
    },
    Operation {
        name: "TagResource",
        members: &["ResourceArn", "Tags"],
        handler: tags::tag_resource,
    },
    Operation {
        name: "UntagResource",
        members: &["ResourceArn", "TagKeys"],
        handler: tags::untag_resource,
    },
    Operation {
        name: "ListTagsOfResource",
        members: &["ResourceArn", "NextToken"],
        handler: tags::list_tags,
    },
    Operation {
        name: "GetItem",
        members: &[
            "TableName",
            "Key",
            "ConsistentRead",
            "ProjectionExpression",
            "ExpressionAttributeNames",
            "ReturnConsumedCapacity",
            "AttributesToGet",
        ],
        handler: items::get_item,
    },
    Operation {
        name: "PutItem",
        members: write_members!["Item"],
        handler: items::put_item,
    },
    Operation {
        name: "UpdateItem",
        members: write_members!["Key", "UpdateExpression", "AttributeUpdates"],
        handler: items::update_item,
    },
    Operation {
        name: "DeleteItem",
        members: write_members!["Key"],
        handler: items::delete_item,
    },
    Operation {
        name: "Query",
        members: &[
            "TableName",
            "IndexName",
            "KeyConditionExpression",
            "FilterExpression",
            "ProjectionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "Select",
            "Limit",
            "ExclusiveStartKey",
            "ScanIndexForward",
            "ConsistentRead",
            "ReturnConsumedCapacity",
            "KeyConditions",
            "QueryFilter",
            "ConditionalOperator",
            "AttributesToGet",
        ],
        handler: queries::query,
    },
    Operation {
        name: "Scan",
        members: &[
            "TableName",
            "IndexName",
            "FilterExpression",
            "ProjectionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "Select",
            "Limit",
            "ExclusiveStartKey",
            "ConsistentRead",
            "Segment",
            "TotalSegments",
            "ReturnConsumedCapacity",
            "ScanFilter",
            "ConditionalOperator",
            "AttributesToGet",
        ],
        handler: queries::scan,
    },
    Operation {
        name: "BatchGetItem",
        members: &["RequestItems", "ReturnConsumedCapacity"],
        handler: batch::batch_get,
    },
    Operation {
        name: "BatchWriteItem",
        members: &[
            "RequestItems",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ],
        handler: batch::batch_write,
    },
    Operation {
        name: "TransactGetItems",
        members: &["TransactItems", "ReturnConsumedCapacity"],
        handler: transactions::transact_get,
    },
    Operation {
        name: "TransactWriteItems",
        members: &[
            "TransactItems",
            "ClientRequestToken",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ],
        handler: transactions::transact_write,
    },
    Operation {
        name: "ExecuteStatement",
        members: &[
            "Statement",
            "Parameters",
            "ConsistentRead",
            "NextToken",
            "Limit",
            "ReturnConsumedCapacity",
            "ReturnValuesOnConditionCheckFailure",
        ],
        handler: partiql::execute_statement,
    },
    Operation {
        name: "BatchExecuteStatement",
        members: &["Statements", "ReturnConsumedCapacity"],
        handler: partiql::batch_execute_statement,
    },
    Operation {
        name: "ExecuteTransaction",
        members: &[
            "TransactStatements",
            "ClientRequestToken",
            "ReturnConsumedCapacity",
        ],
        handler: partiql::execute_transaction,
    },
];

/// The operation named `name`.
pub(crate) fn operation(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|o| o.name == name)
}

/// Runs operation `op` with the request `body`, for a caller in `region`.
pub(crate) fn dispatch(backend: &MemoryBackend, region: &str, op: &str, body: &Json) -> Answer {
    let body = body.as_object().ok_or_else(|| {
        ApiError::client(
            "SerializationException",
            "Start of structure or map found where not expected: the request body must be a JSON object",
        )
    })?;
    let operation = operation(op).ok_or_else(|| {
        ApiError::client(
            "UnknownOperationException",
            format!("Unknown operation: {op}"),
        )
    })?;
    check_fields(body, operation.members)?;
    (operation.handler)(&Context { backend, region }, body)
}

#[cfg(test)]
mod tests;
