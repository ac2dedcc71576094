//! Errors as DynamoDB sends them: an HTTP status, `__type`
//! (`com.amazonaws.dynamodb.v20120810#<Code>`), `message`, and the extra fields some codes carry
//! (`Item` on `ConditionalCheckFailedException`, `CancellationReasons` on
//! `TransactionCanceledException`).

use super::json::{encode_item, InvalidValue};
use crate::ServiceError;
#[cfg(test)]
use orm_core::error::CancellationCode;
use orm_core::error::CancellationReason;
use orm_core::{Error, Item};
use serde_json::{Map, Value as Json};

/// The namespace DynamoDB puts before every error code of its own in `__type`.
const TYPE_PREFIX: &str = "com.amazonaws.dynamodb.v20120810#";

/// The namespace of the errors AWS's service front end answers before DynamoDB sees a request
/// (signatures, request size): `com.amazon.coral.service#UnrecognizedClientException`.
const SERVICE_PREFIX: &str = "com.amazon.coral.service#";

/// One error answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    /// The HTTP status: 400 for the client's errors, 500 for the server's.
    pub(crate) status: u16,
    /// The code, e.g. `ValidationException`.
    pub(crate) kind: &'static str,
    /// The message.
    pub(crate) message: String,
    /// The stored item (ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure).
    pub(crate) item: Option<Item>,
    /// One reason per action (TransactionCanceledException).
    pub(crate) reasons: Option<Vec<CancellationReason>>,
    /// What `__type` puts before the code.
    pub(crate) namespace: &'static str,
}

impl ApiError {
    fn new(status: u16, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            item: None,
            reasons: None,
            namespace: TYPE_PREFIX,
        }
    }

    /// A 400 error of AWS's service front end (`com.amazon.coral.service#<kind>`): the
    /// signature errors.
    pub(crate) fn service(kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            namespace: SERVICE_PREFIX,
            ..ApiError::new(400, kind, message)
        }
    }

    /// The same error with another HTTP status.
    pub(crate) fn with_status(self, status: u16) -> ApiError {
        ApiError { status, ..self }
    }

    /// A 400 `ValidationException`.
    pub(crate) fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "ValidationException", message)
    }

    /// A 400 `SerializationException`: the body, or a member of it, is not JSON of the shape
    /// the operation reads.
    pub(crate) fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "SerializationException", message)
    }

    /// A 400 error with another code (`UnknownOperationException`, `AccessDeniedException`...).
    pub(crate) fn client(kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(400, kind, message)
    }

    /// A 404-free `ResourceNotFoundException`, as DynamoDB sends it for a missing table.
    pub(crate) fn table_not_found() -> ApiError {
        ApiError::new(
            400,
            "ResourceNotFoundException",
            "Requested resource not found",
        )
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Json {
        let mut body = Map::new();
        body.insert(
            "__type".into(),
            Json::String(format!("{}{}", self.namespace, self.kind)),
        );
        body.insert("message".into(), Json::String(self.message.clone()));
        if let Some(item) = &self.item {
            body.insert("Item".into(), encode_item(item));
        }
        if let Some(reasons) = &self.reasons {
            let list = reasons
                .iter()
                .map(|r| {
                    let mut reason = Map::new();
                    reason.insert("Code".into(), Json::String(r.code.to_string()));
                    if let Some(message) = &r.message {
                        reason.insert("Message".into(), Json::String(message.clone()));
                    }
                    if let Some(item) = &r.item {
                        reason.insert("Item".into(), encode_item(item));
                    }
                    Json::Object(reason)
                })
                .collect();
            body.insert("CancellationReasons".into(), Json::Array(list));
        }
        Json::Object(body)
    }
}

impl From<InvalidValue> for ApiError {
    fn from(invalid: InvalidValue) -> ApiError {
        ApiError::validation(invalid.0)
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        match error {
            // DynamoDB's errors of their own type (IdempotentParameterMismatchException) carry
            // their code in the source.
            Error::ServiceValidation {
                source: Some(source),
                message,
                ..
            } if source.downcast_ref::<ServiceError>().is_some() => {
                let code = source
                    .downcast_ref::<ServiceError>()
                    .expect("checked by the guard")
                    .code;
                ApiError::client(code, message)
            }
            Error::Validation { message } | Error::ServiceValidation { message, .. } => {
                ApiError::validation(message)
            }
            Error::Serde { path, message } => {
                ApiError::validation(format!("{message} (at {path:?})"))
            }
            Error::ConditionFailed { item, .. } => ApiError {
                item: item.map(|i| *i),
                ..ApiError::new(
                    400,
                    "ConditionalCheckFailedException",
                    "The conditional request failed",
                )
            },
            Error::TransactionCanceled { reasons } => {
                let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
                ApiError {
                    reasons: Some(reasons.clone()),
                    ..ApiError::new(
                        400,
                        "TransactionCanceledException",
                        format!(
                            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                            codes.join(", ")
                        ),
                    )
                }
            }
            Error::Throttled { message } => {
                ApiError::new(400, "ProvisionedThroughputExceededException", message)
            }
            Error::TableNotFound { source, .. } => {
                match source
                    .as_deref()
                    .and_then(|s| s.downcast_ref::<ServiceError>())
                {
                    Some(e) => ApiError::client(e.code, e.message.clone()),
                    None => ApiError::table_not_found(),
                }
            }
            Error::TableExists { table, .. } => ApiError::new(
                400,
                "ResourceInUseException",
                format!("Table already exists: {table}"),
            ),
            Error::Backend { source, .. } if source.downcast_ref::<ServiceError>().is_some() => {
                let e = source
                    .downcast_ref::<ServiceError>()
                    .expect("checked by the guard");
                ApiError::client(e.code, e.message.clone())
            }
            Error::StreamNotFound { message, .. } => {
                ApiError::client("ResourceNotFoundException", message)
            }
            Error::ExpiredIterator { message, .. } => {
                ApiError::client("ExpiredIteratorException", message)
            }
            Error::TrimmedData { message, .. } => {
                ApiError::client("TrimmedDataAccessException", message)
            }
            other => ApiError::new(500, "InternalServerError", other.to_string()),
        }
    }
}

/// The JSON of an error, for tests and the fuzz target.
#[cfg(test)]
pub(crate) fn type_of(body: &Json) -> &str {
    body["__type"].as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn condition_failures_carry_the_item() {
        let item = Item::new().with("pk", "a");
        let err = ApiError::from(Error::ConditionFailed {
            entity: None,
            item: Some(Box::new(item)),
        });
        let body = err.body();
        assert_eq!(
            type_of(&body),
            "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
        );
        assert_eq!(body["Item"], json!({"pk": {"S": "a"}}));
    }

    #[test]
    fn cancellations_list_one_reason_per_action() {
        let reasons = vec![
            CancellationReason::new(0, CancellationCode::None),
            CancellationReason {
                index: 1,
                code: CancellationCode::ConditionalCheckFailed,
                message: Some("The conditional request failed".into()),
                item: None,
            },
        ];
        let body = ApiError::from(Error::TransactionCanceled { reasons }).body();
        assert_eq!(body["CancellationReasons"][0], json!({"Code": "None"}));
        assert_eq!(
            body["CancellationReasons"][1]["Code"],
            json!("ConditionalCheckFailed")
        );
        assert!(body["message"]
            .as_str()
            .unwrap()
            .contains("[None, ConditionalCheckFailed]"));
    }
}
