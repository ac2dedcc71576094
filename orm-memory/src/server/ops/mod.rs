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

    /// Its operation `name`, which accepts the request `members` and runs `handler`.
    const fn operation(
        self,
        name: &'static str,
        members: &'static [&'static str],
        handler: Handler,
    ) -> Operation {
        Operation {
            api: self,
            name,
            members,
            handler,
        }
    }

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

/// The members of a Query or a Scan that both accept.
macro_rules! page_members {
    ($($extra:literal),* $(,)?) => {
        &[
            "TableName",
            "IndexName",
            $($extra,)*
            "FilterExpression",
            "ProjectionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "Select",
            "Limit",
            "ExclusiveStartKey",
            "ConsistentRead",
            "ReturnConsumedCapacity",
            "ConditionalOperator",
            "AttributesToGet",
        ]
    };
}

/// Every operation the server answers.
pub(crate) const OPERATIONS: &[Operation] = &[
    Api::DynamoDb.operation(
        "CreateTable",
        &[
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
        tables::create_table,
    ),
    Api::DynamoDb.operation("DescribeTable", &["TableName"], tables::describe_table),
    Api::DynamoDb.operation(
        "UpdateTable",
        &[
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
        tables::update_table,
    ),
    Api::DynamoDb.operation("DeleteTable", &["TableName"], tables::delete_table),
    Api::DynamoDb.operation(
        "ListTables",
        &["ExclusiveStartTableName", "Limit"],
        tables::list_tables,
    ),
    Api::DynamoDb.operation(
        "UpdateTimeToLive",
        &["TableName", "TimeToLiveSpecification"],
        ttl::update_ttl,
    ),
    Api::DynamoDb.operation("DescribeTimeToLive", &["TableName"], ttl::describe_ttl),
    Api::DynamoDb.operation("TagResource", &["ResourceArn", "Tags"], tags::tag_resource),
    Api::DynamoDb.operation(
        "UntagResource",
        &["ResourceArn", "TagKeys"],
        tags::untag_resource,
    ),
    Api::DynamoDb.operation(
        "ListTagsOfResource",
        &["ResourceArn", "NextToken"],
        tags::list_tags,
    ),
    Api::DynamoDb.operation(
        "GetItem",
        &[
            "TableName",
            "Key",
            "ConsistentRead",
            "ProjectionExpression",
            "ExpressionAttributeNames",
            "ReturnConsumedCapacity",
            "AttributesToGet",
        ],
        items::get_item,
    ),
    Api::DynamoDb.operation("PutItem", write_members!["Item"], items::put_item),
    Api::DynamoDb.operation(
        "UpdateItem",
        write_members!["Key", "UpdateExpression", "AttributeUpdates"],
        items::update_item,
    ),
    Api::DynamoDb.operation("DeleteItem", write_members!["Key"], items::delete_item),
    Api::DynamoDb.operation(
        "Query",
        page_members![
            "KeyConditionExpression",
            "ScanIndexForward",
            "KeyConditions",
            "QueryFilter",
        ],
        queries::query,
    ),
    Api::DynamoDb.operation(
        "Scan",
        page_members!["Segment", "TotalSegments", "ScanFilter"],
        queries::scan,
    ),
    Api::DynamoDb.operation(
        "BatchGetItem",
        &["RequestItems", "ReturnConsumedCapacity"],
        batch::batch_get,
    ),
    Api::DynamoDb.operation(
        "BatchWriteItem",
        &[
            "RequestItems",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ],
        batch::batch_write,
    ),
    Api::DynamoDb.operation(
        "TransactGetItems",
        &["TransactItems", "ReturnConsumedCapacity"],
        transactions::transact_get,
    ),
    Api::DynamoDb.operation(
        "TransactWriteItems",
        &[
            "TransactItems",
            "ClientRequestToken",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ],
        transactions::transact_write,
    ),
    Api::Streams.operation(
        "ListStreams",
        &["TableName", "Limit", "ExclusiveStartStreamArn"],
        streams::list_streams,
    ),
    Api::Streams.operation(
        "DescribeStream",
        &["StreamArn", "Limit", "ExclusiveStartShardId"],
        streams::describe_stream,
    ),
    Api::Streams.operation(
        "GetShardIterator",
        &[
            "StreamArn",
            "ShardId",
            "ShardIteratorType",
            "SequenceNumber",
        ],
        streams::get_shard_iterator,
    ),
    Api::Streams.operation(
        "GetRecords",
        &["ShardIterator", "Limit"],
        streams::get_records,
    ),
    Api::DynamoDb.operation(
        "ExecuteStatement",
        &[
            "Statement",
            "Parameters",
            "ConsistentRead",
            "NextToken",
            "Limit",
            "ReturnConsumedCapacity",
            "ReturnValuesOnConditionCheckFailure",
        ],
        partiql::execute_statement,
    ),
    Api::DynamoDb.operation(
        "BatchExecuteStatement",
        &["Statements", "ReturnConsumedCapacity"],
        partiql::batch_execute_statement,
    ),
    Api::DynamoDb.operation(
        "ExecuteTransaction",
        &[
            "TransactStatements",
            "ClientRequestToken",
            "ReturnConsumedCapacity",
        ],
        partiql::execute_transaction,
    ),
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
        ApiError::serialization("Start of structure or map found where not expected: the request body must be a JSON object")
    })?;
    check_fields(body, operation.members)?;
    (operation.handler)(&Context { backend, region }, body)
}

#[cfg(test)]
mod tests;
