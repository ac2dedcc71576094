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
//! - [`partiql`]: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction;
//! - [`streams`]: DynamoDB Streams' ListStreams, DescribeStream, GetShardIterator, GetRecords.
//!
//! Each operation belongs to an [`Api`]: DynamoDB's (`X-Amz-Target: DynamoDB_20120810.<name>`)
//! or DynamoDB Streams' (`DynamoDBStreams_20120810.<name>`); the two share the endpoint, as in
//! DynamoDB Local, and no name is in both.
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
mod streams;
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

/// The API an operation belongs to, which its `X-Amz-Target` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// DynamoDB: `X-Amz-Target: DynamoDB_20120810.<name>`.
    DynamoDb,
    /// DynamoDB Streams: `X-Amz-Target: DynamoDBStreams_20120810.<name>`.
    Streams,
}

impl Api {
    /// Every API the server answers.
    pub(crate) const ALL: [Api; 2] = [Api::DynamoDb, Api::Streams];

    /// Its `X-Amz-Target` prefix (before the dot and the operation's name).
    pub(crate) fn target_prefix(self) -> &'static str {
        match self {
            Api::DynamoDb => "DynamoDB_20120810",
            Api::Streams => "DynamoDBStreams_20120810",
        }
    }
}

/// One operation: its API and name (`X-Amz-Target: <API prefix>.<name>`), the request members
/// it accepts (any other is a `ValidationException` naming it), and its handler.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation {
    /// The API it belongs to.
    pub(crate) api: Api,
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
        api: Api::DynamoDb,
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
        api: Api::DynamoDb,
        name: "DescribeTable",
        members: &["TableName"],
        handler: tables::describe_table,
    },
    Operation {
        api: Api::DynamoDb,
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
        api: Api::DynamoDb,
        name: "DeleteTable",
        members: &["TableName"],
        handler: tables::delete_table,
    },
    Operation {
        api: Api::DynamoDb,
        name: "ListTables",
        members: &["ExclusiveStartTableName", "Limit"],
        handler: tables::list_tables,
    },
    Operation {
        api: Api::DynamoDb,
        name: "UpdateTimeToLive",
        members: &["TableName", "TimeToLiveSpecification"],
        handler: ttl::update_ttl,
    },
    Operation {
        api: Api::DynamoDb,
        name: "DescribeTimeToLive",
        members: &["TableName"],
        handler: ttl::describe_ttl,
    },
    Operation {
        api: Api::DynamoDb,
        name: "TagResource",
        members: &["ResourceArn", "Tags"],
        handler: tags::tag_resource,
    },
    Operation {
        api: Api::DynamoDb,
        name: "UntagResource",
        members: &["ResourceArn", "TagKeys"],
        handler: tags::untag_resource,
    },
    Operation {
        api: Api::DynamoDb,
        name: "ListTagsOfResource",
        members: &["ResourceArn", "NextToken"],
        handler: tags::list_tags,
    },
    Operation {
        api: Api::DynamoDb,
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
        api: Api::DynamoDb,
        name: "PutItem",
        members: write_members!["Item"],
        handler: items::put_item,
    },
    Operation {
        api: Api::DynamoDb,
        name: "UpdateItem",
        members: write_members!["Key", "UpdateExpression", "AttributeUpdates"],
        handler: items::update_item,
    },
    Operation {
        api: Api::DynamoDb,
        name: "DeleteItem",
        members: write_members!["Key"],
        handler: items::delete_item,
    },
    Operation {
        api: Api::DynamoDb,
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
        api: Api::DynamoDb,
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
        api: Api::DynamoDb,
        name: "BatchGetItem",
        members: &["RequestItems", "ReturnConsumedCapacity"],
        handler: batch::batch_get,
    },
    Operation {
        api: Api::DynamoDb,
        name: "BatchWriteItem",
        members: &[
            "RequestItems",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ],
        handler: batch::batch_write,
    },
    Operation {
        api: Api::DynamoDb,
        name: "TransactGetItems",
        members: &["TransactItems", "ReturnConsumedCapacity"],
        handler: transactions::transact_get,
    },
    Operation {
        api: Api::DynamoDb,
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
        api: Api::Streams,
        name: "ListStreams",
        members: &["TableName", "Limit", "ExclusiveStartStreamArn"],
        handler: streams::list_streams,
    },
    Operation {
        api: Api::Streams,
        name: "DescribeStream",
        members: &["StreamArn", "Limit", "ExclusiveStartShardId"],
        handler: streams::describe_stream,
    },
    Operation {
        api: Api::Streams,
        name: "GetShardIterator",
        members: &[
            "StreamArn",
            "ShardId",
            "ShardIteratorType",
            "SequenceNumber",
        ],
        handler: streams::get_shard_iterator,
    },
    Operation {
        api: Api::Streams,
        name: "GetRecords",
        members: &["ShardIterator", "Limit"],
        handler: streams::get_records,
    },
    Operation {
        api: Api::DynamoDb,
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
        api: Api::DynamoDb,
        name: "BatchExecuteStatement",
        members: &["Statements", "ReturnConsumedCapacity"],
        handler: partiql::batch_execute_statement,
    },
    Operation {
        api: Api::DynamoDb,
        name: "ExecuteTransaction",
        members: &[
            "TransactStatements",
            "ClientRequestToken",
            "ReturnConsumedCapacity",
        ],
        handler: partiql::execute_transaction,
    },
];

/// The operation named `name` (of either API: no name is in both).
pub(crate) fn operation(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|o| o.name == name)
}

/// The operation an `X-Amz-Target` header names (`DynamoDB_20120810.PutItem`,
/// `DynamoDBStreams_20120810.GetRecords`...), or DynamoDB's `UnknownOperationException`.
pub(crate) fn targeted(target: &str) -> Result<&'static Operation, ApiError> {
    target
        .split_once('.')
        .and_then(|(prefix, name)| {
            OPERATIONS
                .iter()
                .find(|o| o.name == name && o.api.target_prefix() == prefix)
        })
        .ok_or_else(|| {
            let expected: Vec<String> = Api::ALL
                .iter()
                .map(|api| format!("{}.<Operation>", api.target_prefix()))
                .collect();
            ApiError::client(
                "UnknownOperationException",
                format!(
                    "Unknown operation: X-Amz-Target {target:?} (expected {})",
                    expected.join(" or ")
                ),
            )
        })
}

/// Runs the operation named `op` with the request `body`, for a caller in `region`.
pub(crate) fn dispatch(backend: &MemoryBackend, region: &str, op: &str, body: &Json) -> Answer {
    let operation = operation(op).ok_or_else(|| {
        ApiError::client(
            "UnknownOperationException",
            format!("Unknown operation: {op}"),
        )
    })?;
    run(backend, region, operation, body)
}

/// Runs `operation` with the request `body`, for a caller in `region`.
pub(crate) fn run(
    backend: &MemoryBackend,
    region: &str,
    operation: &Operation,
    body: &Json,
) -> Answer {
    let body = body.as_object().ok_or_else(|| {
        ApiError::client(
            "SerializationException",
            "Start of structure or map found where not expected: the request body must be a JSON object",
        )
    })?;
    check_fields(body, operation.members)?;
    (operation.handler)(&Context { backend, region }, body)
}

#[cfg(test)]
mod tests;
