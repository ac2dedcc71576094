//! DynamoDB's limits on expressions, checked where expressions are built and where they are read.

/// The longest expression DynamoDB accepts, in bytes (each of a request's expressions: key
/// condition, condition, filter, update, projection).
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// The most operands one `IN` takes (and the fewest is 1).
pub const MAX_IN_OPERANDS: usize = 100;
