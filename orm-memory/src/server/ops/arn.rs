//! Amazon Resource Names of tables, indexes and streams:
//! `arn:aws:dynamodb:<region>:<account>:table/<name>[/index/<index> | /stream/<label>]`.
//!
//! The account is [`ACCOUNT`], DynamoDB Local's `000000000000`; the region is the one the
//! caller signed its request for.

use super::super::error::ApiError;
use crate::streams::names::{split_arn, DynamoDbArn};

/// The account id in every ARN the server writes, as DynamoDB Local's.
pub(crate) use crate::streams::names::ACCOUNT;

/// A table's ARN.
pub(crate) fn table(region: &str, name: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}")
}

/// A resource ARN taken apart: its account and the table it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableArn<'a> {
    /// The account id.
    pub(crate) account: &'a str,
    /// The table's name.
    pub(crate) table: &'a str,
}

/// Reads a table ARN (`arn:<partition>:dynamodb:<region>:<account>:table/<name>`), with
/// DynamoDB's error for anything else.
pub(crate) fn parse(arn: &str) -> Result<TableArn<'_>, ApiError> {
    let bad = || {
        ApiError::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        ))
    };
    if arn.is_empty() {
        return Err(ApiError::validation("Invalid TableArn"));
    }
    let DynamoDbArn {
        region,
        account,
        resource,
    } = split_arn(arn).ok_or_else(bad)?;
    let table = resource.strip_prefix("table/").ok_or_else(bad)?;
    let valid_name = (3..=255).contains(&table.len())
        && table
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if region.is_empty()
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
        || !valid_name
    {
        return Err(bad());
    }
    Ok(TableArn { account, table })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_arns_round_trip() {
        let arn = table("eu-west-1", "app");
        assert_eq!(arn, "arn:aws:dynamodb:eu-west-1:000000000000:table/app");
        assert_eq!(
            parse(&arn).unwrap(),
            TableArn {
                account: ACCOUNT,
                table: "app"
            }
        );
    }

    #[test]
    fn other_arns_are_dynamodb_s_error() {
        for bad in [
            "not-a-valid-arn",
            "arn:aws:s3:::bucket",
            "arn:aws:dynamodb:us-east-1:000000000000:table/",
            "arn:aws:dynamodb:us-east-1:000000000000:table/ab",
            "arn:aws:dynamodb:us-east-1:0000:table/app",
            "arn:aws:dynamodb::000000000000:table/app",
            "arn:aws:dynamodb:us-east-1:000000000000:table/app/index/gsi",
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.kind, "ValidationException", "{bad}");
            assert!(err.message.starts_with("Invalid TableArn"), "{bad}");
        }
    }
}
