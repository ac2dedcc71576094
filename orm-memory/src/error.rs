//! DynamoDB's errors that orm-core's [`Error`](orm_core::Error) has no variant of: the
//! engine reports them as [`ServiceError`]s, the source of an `Error::Backend` (or of an
//! `Error::TableNotFound` that names a missing index), and the server answers with their code.

use std::fmt;

/// A refusal of the service with DynamoDB's error code and message, e.g.
/// `ResourceInUseException` ("Attempt to change a resource which is still in use: ...") or
/// `LimitExceededException`. MemoryBackend returns it as the source of an
/// [`Error::Backend`](orm_core::Error::Backend), as DynamoBackend returns the SDK's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// DynamoDB's error code (`ResourceInUseException`, `LimitExceededException`...).
    pub code: &'static str,
    /// DynamoDB's message.
    pub message: String,
}

impl ServiceError {
    /// An error with DynamoDB's `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServiceError {}
