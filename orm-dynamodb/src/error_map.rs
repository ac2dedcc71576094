//! Mapping of aws-sdk-dynamodb errors onto [`orm_core::Error`], by service error code.
//!
//! The mapping, code by code, is the table in the crate docs (README.md, "Errors").
//!
//! Messages are never parsed: typed SDK variants are matched first, then the error code.

use crate::convert::item_from_attributes;
use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::CancellationReason as SdkReason;
use aws_sdk_dynamodb::Error as ServiceError;
use orm_core::error::{BoxError, CancellationCode, CancellationReason, Error};
use std::fmt::Debug;

/// Maps any SDK error of an operation onto [`Error`].
///
/// `operation` is the DynamoDB operation name (`PutItem`); `table` names the table(s) the
/// request was about, as the caller named them (used for `TableNotFound` / `TableExists`).
pub(crate) fn map_sdk_error<E, R>(
    operation: &'static str,
    table: &str,
    error: SdkError<E, R>,
) -> Error
where
    E: Into<ServiceError> + std::error::Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(context) => {
            map_service_error(operation, table, context.into_err().into())
        }
        SdkError::DispatchFailure(ref failure) => {
            let retryable = !failure.is_user();
            Error::backend(operation, retryable, boxed(error))
        }
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            Error::backend(operation, true, boxed(error))
        }
        other => Error::backend(operation, false, boxed(other)),
    }
}

/// Maps a request the SDK could not build (a required field missing) onto [`Error`]: a bug in
/// this crate's request building, never retryable.
pub(crate) fn build_error(operation: &'static str, e: BuildError) -> Error {
    Error::backend(operation, false, e)
}

fn boxed<E, R>(error: SdkError<E, R>) -> BoxError
where
    E: std::error::Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    Box::new(error)
}

/// Maps a service error (the operation error converted into the SDK's top-level error enum).
pub(crate) fn map_service_error(
    operation: &'static str,
    table: &str,
    error: ServiceError,
) -> Error {
    match error {
        ServiceError::ConditionalCheckFailedException(e) => Error::ConditionFailed {
            entity: None,
            item: e
                .item
                .and_then(|m| item_from_attributes(m).ok())
                .map(Box::new),
        },
        ServiceError::TransactionCanceledException(e) => Error::TransactionCanceled {
            reasons: map_reasons(e.cancellation_reasons.unwrap_or_default()),
        },
        ServiceError::ProvisionedThroughputExceededException(_)
        | ServiceError::ThrottlingException(_)
        | ServiceError::RequestLimitExceeded(_) => throttled(&error),
        ServiceError::ResourceNotFoundException(_) => table_not_found(table, error),
        ServiceError::ResourceInUseException(_) => resource_in_use(operation, table, error),
        ServiceError::TransactionConflictException(_)
        | ServiceError::TransactionInProgressException(_)
        | ServiceError::InternalServerError(_)
        | ServiceError::LimitExceededException(_) => Error::backend(operation, true, error),
        ServiceError::IdempotentParameterMismatchException(ref e) => {
            let message = message_or(
                e.message.as_deref(),
                "IdempotentParameterMismatchException: the client request token was used \
                 with a different request",
            );
            service_validation(operation, message, error)
        }
        other => map_by_code(operation, table, other),
    }
}

/// Maps errors the SDK does not model (or knows only as `Unhandled`) by their code.
fn map_by_code(operation: &'static str, table: &str, error: ServiceError) -> Error {
    let code = error.code().unwrap_or_default().to_owned();
    match code.as_str() {
        "ValidationException" | "IdempotentParameterMismatchException" => {
            let message = message_or(error.message(), &code);
            service_validation(operation, message, error)
        }
        "ConditionalCheckFailedException" => Error::ConditionFailed {
            entity: None,
            item: None,
        },
        "TransactionCanceledException" => Error::TransactionCanceled {
            reasons: Vec::new(),
        },
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "RequestLimitExceeded" => throttled(&error),
        "ResourceNotFoundException" => table_not_found(table, error),
        "ResourceInUseException" => resource_in_use(operation, table, error),
        "TransactionConflictException"
        | "TransactionInProgressException"
        | "InternalServerError"
        | "InternalFailure"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "LimitExceededException" => Error::backend(operation, true, error),
        _ => Error::backend(operation, false, error),
    }
}

/// The service's message, or `fallback` when it gave none (or an empty one).
fn message_or(message: Option<&str>, fallback: &str) -> String {
    match message {
        Some(m) if !m.is_empty() => m.to_owned(),
        _ => fallback.to_owned(),
    }
}

fn throttled(error: &ServiceError) -> Error {
    Error::Throttled {
        message: message_or(error.message(), error.code().unwrap_or("throttled")),
    }
}

/// The service's `ValidationException`: its message, the SDK error as the source.
fn service_validation(operation: &'static str, message: String, error: ServiceError) -> Error {
    Error::ServiceValidation {
        operation: operation.to_owned(),
        message,
        source: Some(Box::new(error)),
    }
}

fn table_not_found(table: &str, error: ServiceError) -> Error {
    Error::TableNotFound {
        table: table.to_owned(),
        source: Some(Box::new(error)),
    }
}

fn resource_in_use(operation: &'static str, table: &str, error: ServiceError) -> Error {
    if operation == "CreateTable" {
        Error::TableExists {
            table: table.to_owned(),
            source: Some(Box::new(error)),
        }
    } else {
        Error::backend(operation, true, error)
    }
}

/// Maps DynamoDB's cancellation reasons, one per action in action order.
pub(crate) fn map_reasons(reasons: Vec<SdkReason>) -> Vec<CancellationReason> {
    reasons
        .into_iter()
        .enumerate()
        .map(|(index, r)| CancellationReason {
            index,
            code: r.code.map(CancellationCode::from).unwrap_or_default(),
            message: r.message,
            item: r.item.and_then(|m| item_from_attributes(m).ok()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    use aws_sdk_dynamodb::types::error::{
        ConditionalCheckFailedException, InternalServerError,
        ProvisionedThroughputExceededException, RequestLimitExceeded, ResourceInUseException,
        ResourceNotFoundException, TransactionCanceledException, TransactionConflictException,
    };
    use aws_sdk_dynamodb::types::AttributeValue;
    use orm_core::{Item, Value};

    fn service<E>(e: E) -> SdkError<E, ()> {
        SdkError::service_error(e, ())
    }

    /// Asserts `err` is a retryable [`Error::Backend`].
    #[track_caller]
    fn assert_retryable_backend(err: &Error) {
        assert!(
            matches!(
                err,
                Error::Backend {
                    retryable: true,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    fn generic(code: &str, message: &str) -> PutItemError {
        PutItemError::generic(ErrorMetadata::builder().code(code).message(message).build())
    }

    #[test]
    fn condition_failed_carries_the_item() {
        let e = ConditionalCheckFailedException::builder()
            .message("The conditional request failed")
            .item("pk", AttributeValue::S("A".into()))
            .item("n", AttributeValue::N("001.500".into()))
            .build();
        let err = map_sdk_error(
            "PutItem",
            "t",
            service(PutItemError::ConditionalCheckFailedException(e)),
        );
        match err {
            Error::ConditionFailed {
                entity: None,
                item: Some(item),
            } => {
                assert_eq!(item.get("pk"), Some(&Value::S("A".into())));
                assert!(item.contains_key("n"));
            }
            other => panic!("{other:?}"),
        }
        let e = ConditionalCheckFailedException::builder().build();
        assert!(matches!(
            map_sdk_error(
                "PutItem",
                "t",
                service(PutItemError::ConditionalCheckFailedException(e))
            ),
            Error::ConditionFailed {
                entity: None,
                item: None
            }
        ));
    }

    #[test]
    fn transaction_reasons_per_action() {
        let e = TransactionCanceledException::builder()
            .message("Transaction cancelled")
            .cancellation_reasons(SdkReason::builder().code("None").build())
            .cancellation_reasons(
                SdkReason::builder()
                    .code("ConditionalCheckFailed")
                    .message("The conditional request failed")
                    .item("pk", AttributeValue::S("B".into()))
                    .build(),
            )
            .cancellation_reasons(SdkReason::builder().build())
            .build();
        let err = map_sdk_error(
            "TransactWriteItems",
            "t",
            service(TransactWriteItemsError::TransactionCanceledException(e)),
        );
        let Error::TransactionCanceled { reasons } = err else {
            panic!("{err:?}")
        };
        assert_eq!(reasons.len(), 3);
        assert_eq!(reasons[0].code, CancellationCode::None);
        assert!(!reasons[0].is_failure());
        assert_eq!(reasons[1].index, 1);
        assert_eq!(reasons[1].code, CancellationCode::ConditionalCheckFailed);
        assert_eq!(
            reasons[1].message.as_deref(),
            Some("The conditional request failed")
        );
        assert_eq!(reasons[1].item, Some(Item::new().with("pk", "B")));
        assert_eq!(reasons[2].code, CancellationCode::None);
        assert_eq!(reasons[2].item, None);
    }

    #[test]
    fn throttling_codes() {
        let typed = [
            PutItemError::ProvisionedThroughputExceededException(
                ProvisionedThroughputExceededException::builder()
                    .message("slow down")
                    .build(),
            ),
            PutItemError::RequestLimitExceeded(RequestLimitExceeded::builder().build()),
            generic("ThrottlingException", "rate exceeded"),
            generic("ProvisionedThroughputExceededException", "x"),
        ];
        for e in typed {
            let err = map_sdk_error("PutItem", "t", service(e));
            assert!(matches!(err, Error::Throttled { .. }), "{err:?}");
            assert!(err.is_retryable());
        }
    }

    #[test]
    fn table_codes() {
        let in_use =
            || ServiceError::ResourceInUseException(ResourceInUseException::builder().build());
        let not_found =
            GetItemError::ResourceNotFoundException(ResourceNotFoundException::builder().build());
        /// What the mapped error must be.
        type Expected = fn(&Error) -> bool;
        let table_not_found: Expected =
            |e| matches!(e, Error::TableNotFound { table, source: Some(_) } if table == "app");
        let cases: [(Error, Expected); 4] = [
            (
                map_sdk_error("GetItem", "app", service(not_found)),
                table_not_found,
            ),
            (
                map_service_error("CreateTable", "app", in_use()),
                |e| matches!(e, Error::TableExists { table, source: Some(_) } if table == "app"),
            ),
            (map_service_error("DeleteTable", "app", in_use()), |e| {
                matches!(
                    e,
                    Error::Backend {
                        retryable: true,
                        ..
                    }
                )
            }),
            (
                map_sdk_error(
                    "PutItem",
                    "app",
                    service(generic("ResourceNotFoundException", "x")),
                ),
                table_not_found,
            ),
        ];
        for (err, expected) in cases {
            assert!(expected(&err), "{err:?}");
        }
    }

    #[test]
    fn validation_keeps_the_service_message() {
        let err = map_sdk_error(
            "PutItem",
            "t",
            service(generic(
                "ValidationException",
                "One or more parameter values were invalid",
            )),
        );
        match &err {
            Error::ServiceValidation {
                operation,
                message,
                source: Some(source),
            } => {
                assert_eq!(operation, "PutItem");
                assert_eq!(message, "One or more parameter values were invalid");
                assert_eq!(
                    source.downcast_ref::<ServiceError>().and_then(|e| e.code()),
                    Some("ValidationException")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn empty_messages_fall_back_to_the_code() {
        use aws_sdk_dynamodb::types::error::IdempotentParameterMismatchException;
        let err = map_service_error(
            "TransactWriteItems",
            "t",
            ServiceError::IdempotentParameterMismatchException(
                IdempotentParameterMismatchException::builder()
                    .message("")
                    .build(),
            ),
        );
        match err {
            Error::ServiceValidation { message, .. } => {
                assert!(
                    message.starts_with("IdempotentParameterMismatchException"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        let err = map_sdk_error("PutItem", "t", service(generic("ValidationException", "")));
        assert!(
            matches!(&err, Error::ServiceValidation { message, .. } if message == "ValidationException"),
            "{err:?}"
        );
    }

    #[test]
    fn transient_and_other_errors() {
        let retryable = [
            ServiceError::TransactionConflictException(
                TransactionConflictException::builder().build(),
            ),
            ServiceError::InternalServerError(InternalServerError::builder().build()),
        ];
        for e in retryable {
            let err = map_service_error("PutItem", "t", e);
            assert_retryable_backend(&err);
        }
        for code in [
            "ServiceUnavailable",
            "InternalFailure",
            "TransactionConflictException",
        ] {
            let err = map_sdk_error("PutItem", "t", service(generic(code, "m")));
            assert_retryable_backend(&err);
        }
        let err = map_sdk_error(
            "PutItem",
            "t",
            service(generic("AccessDeniedException", "no")),
        );
        match err {
            Error::Backend {
                retryable: false,
                operation,
                ..
            } => assert_eq!(operation, "PutItem"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn timeouts_are_retryable_construction_is_not() {
        let err =
            map_sdk_error::<PutItemError, ()>("PutItem", "t", SdkError::timeout_error("slow"));
        assert_retryable_backend(&err);
        let err = map_sdk_error::<PutItemError, ()>(
            "PutItem",
            "t",
            SdkError::construction_failure("bad input"),
        );
        assert!(
            matches!(
                err,
                Error::Backend {
                    retryable: false,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
