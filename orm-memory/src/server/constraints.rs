//! DynamoDB's request validation: the constraints each member of a request must satisfy (not
//! null, a length, a pattern, one of an enum's values, a numeric range), checked before an
//! operation looks at any table, with every violation found reported together in one
//! `ValidationException`:
//!
//! ```text
//! 1 validation error detected: Value 'x!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+
//! 2 validation errors detected: Value 'X' at 'returnConsumedCapacity' failed to satisfy constraint: ...; Value 'X' at 'returnValues' failed to satisfy constraint: ...
//! ```
//!
//! A member is named in the message with its first letter lowered (`returnValues`), nested
//! members by their path (`keySchema.1.member.keyType`, list positions from 1). Each operation
//! declares its checks in DynamoDB's order (the handlers in `ops`); this module holds the
//! vocabulary and the message.

use super::error::ApiError;
use serde_json::{Map, Value as Json};

/// DynamoDB's enum of `ReturnValues` (every operation validates the full set first; a value
/// the operation does not take is refused afterwards with its own message).
pub(crate) const RETURN_VALUES: &[&str] =
    &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"];
/// DynamoDB's enum of `ReturnConsumedCapacity`.
pub(crate) const RETURN_CONSUMED_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
/// DynamoDB's enum of `ReturnItemCollectionMetrics`.
pub(crate) const RETURN_ITEM_COLLECTION_METRICS: &[&str] = &["SIZE", "NONE"];
/// DynamoDB's enum of `ReturnValuesOnConditionCheckFailure`.
pub(crate) const RETURN_VALUES_ON_CONDITION_CHECK_FAILURE: &[&str] = &["ALL_OLD", "NONE"];
/// DynamoDB's enum of `Select`.
pub(crate) const SELECT: &[&str] = &[
    "SPECIFIC_ATTRIBUTES",
    "COUNT",
    "ALL_ATTRIBUTES",
    "ALL_PROJECTED_ATTRIBUTES",
];
/// DynamoDB's enum of `ConditionalOperator`.
pub(crate) const CONDITIONAL_OPERATOR: &[&str] = &["OR", "AND"];

/// The pattern every table and index name must match.
pub(crate) const NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";

/// Whether `name` matches [`NAME_PATTERN`].
pub(crate) fn matches_name_pattern(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// `s` with its first letter lowered: how DynamoDB names a member in constraint messages.
pub(crate) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// How a violating value appears in the message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shown {
    /// `Value null at '...'`: the member is missing.
    Null,
    /// `Value 'text' at '...'`.
    Text(String),
    /// `Value at '...'`: DynamoDB leaves some values out (Query's `Limit`, BatchGetItem's keys).
    Hidden,
}

/// The table-name rules of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TableNameRule {
    /// The table operations (CreateTable, DescribeTable, ...): a missing name is "The parameter
    /// 'TableName' is required ...", and a name is 3 to 255 characters of [`NAME_PATTERN`].
    Table,
    /// The item operations, which also take a table's ARN: a missing name is a `not null`
    /// violation, and a name has at least 1 and at most 255 characters, matching the pattern
    /// when it is not empty.
    Item,
}

/// The violations found in one request, in the order they were checked.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<String>);

impl Violations {
    /// No violation yet.
    pub(crate) fn new() -> Violations {
        Violations::default()
    }

    /// Records that the member at `path` (already in DynamoDB's spelling) fails `constraint`.
    pub(crate) fn push(&mut self, shown: Shown, path: &str, constraint: &str) {
        let value = match shown {
            Shown::Null => "Value null".to_string(),
            Shown::Text(text) => format!("Value '{text}'"),
            Shown::Hidden => "Value".to_string(),
        };
        self.0.push(format!(
            "{value} at '{path}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A member at `path` of `length` elements (or characters) must have 1 to `max`; `shown`
    /// gives the value as the message quotes it (built only for a violation).
    pub(crate) fn length_within(
        &mut self,
        length: usize,
        max: usize,
        path: &str,
        shown: impl FnOnce() -> Shown,
    ) {
        let constraint = if length == 0 {
            "Member must have length greater than or equal to 1".to_string()
        } else if length > max {
            format!("Member must have length less than or equal to {max}")
        } else {
            return;
        };
        self.push(shown(), path, &constraint);
    }

    /// The return options of a request on several items (BatchWriteItem, TransactWriteItems,
    /// TransactGetItems): `ReturnConsumedCapacity`, then `ReturnItemCollectionMetrics`, each in
    /// its enum.
    pub(crate) fn return_options(&mut self, body: &Map<String, Json>) {
        self.one_of(body, "ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
        self.one_of(
            body,
            "ReturnItemCollectionMetrics",
            RETURN_ITEM_COLLECTION_METRICS,
        );
    }

    /// `member` of `body` is required.
    pub(crate) fn not_null(&mut self, body: &Map<String, Json>, member: &str) {
        if present(body, member).is_none() {
            self.push(Shown::Null, &lower_first(member), "Member must not be null");
        }
    }

    /// `member` of `body`, when a string, must be one of `allowed` (listed in the message in
    /// DynamoDB's order, which is the order given).
    pub(crate) fn one_of(&mut self, body: &Map<String, Json>, member: &str, allowed: &[&str]) {
        self.one_of_at(body, member, &lower_first(member), allowed);
    }

    /// [`one_of`](Self::one_of) for a member named `path` in the message.
    pub(crate) fn one_of_at(
        &mut self,
        body: &Map<String, Json>,
        member: &str,
        path: &str,
        allowed: &[&str],
    ) {
        if let Some(Json::String(value)) = present(body, member) {
            if !allowed.contains(&value.as_str()) {
                self.push(
                    Shown::Text(value.clone()),
                    path,
                    &format!(
                        "Member must satisfy enum value set: [{}]",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    /// `member` of `body`, when a number, must be at least `min`; `shown` decides whether the
    /// message quotes it.
    pub(crate) fn at_least(
        &mut self,
        body: &Map<String, Json>,
        member: &str,
        path: &str,
        min: i64,
        quote: bool,
    ) {
        if let Some(n) = present(body, member).and_then(Json::as_i64) {
            if n < min {
                let shown = if quote {
                    Shown::Text(n.to_string())
                } else {
                    Shown::Hidden
                };
                self.push(
                    shown,
                    path,
                    &format!("Member must have value greater than or equal to {min}"),
                );
            }
        }
    }

    /// The table name `TableName` of `body` under `rule`. A missing name of a table operation
    /// is its own error (returned at once, before any other check).
    pub(crate) fn table_name(
        &mut self,
        body: &Map<String, Json>,
        rule: TableNameRule,
    ) -> Result<(), ApiError> {
        let name = match present(body, "TableName") {
            None if rule == TableNameRule::Table => {
                return Err(ApiError::validation(
                    "The parameter 'TableName' is required but was not present in the request",
                ))
            }
            None => {
                self.not_null(body, "TableName");
                return Ok(());
            }
            Some(Json::String(name)) => name,
            // A mistyped member is a SerializationException, which the handler reports.
            Some(_) => return Ok(()),
        };
        self.name("tableName", name, rule);
        Ok(())
    }

    /// A table or index name at `path`, under `rule`.
    pub(crate) fn name(&mut self, path: &str, name: &str, rule: TableNameRule) {
        let shown = || Shown::Text(name.to_string());
        let pattern = format!("Member must satisfy regular expression pattern: {NAME_PATTERN}");
        let (min, pattern_applies) = match rule {
            TableNameRule::Table => (3, true),
            TableNameRule::Item => (1, !name.is_empty()),
        };
        if pattern_applies && !matches_name_pattern(name) {
            self.push(shown(), path, &pattern);
        }
        let length = name.chars().count();
        if length < min {
            self.push(
                shown(),
                path,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if length > 255 {
            self.push(
                shown(),
                path,
                "Member must have length less than or equal to 255",
            );
        }
    }

    /// The error listing every violation, if there is one: `1 validation error detected: ...`
    /// or `N validation errors detected: ...; ...`.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.0[0]
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }
}

/// `member` of `body`, unless absent or JSON `null` (which DynamoDB reads as absent).
pub(crate) fn present<'a>(body: &'a Map<String, Json>, member: &str) -> Option<&'a Json> {
    body.get(member).filter(|v| !v.is_null())
}

/// A request value as DynamoDB's Java front end prints it in constraint messages: maps as
/// `{key=value, ...}`, lists as `[a, b]`, strings bare.
pub(crate) fn java_string(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(java_string).collect::<Vec<_>>().join(", ")
        ),
        Json::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}={}", java_string(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Json) -> Map<String, Json> {
        v.as_object().unwrap().clone()
    }

    fn message(v: Violations) -> String {
        v.finish().unwrap_err().message
    }

    #[test]
    fn one_violation_and_several() {
        let b = body(json!({"ReturnValues": "X", "ReturnConsumedCapacity": "Y"}));
        let mut v = Violations::new();
        v.one_of(&b, "ReturnValues", RETURN_VALUES);
        assert_eq!(
            message(v),
            "1 validation error detected: Value 'X' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
        );
        let mut v = Violations::new();
        v.one_of(&b, "ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
        v.one_of(&b, "ReturnValues", RETURN_VALUES);
        let m = message(v);
        assert!(
            m.starts_with("2 validation errors detected: Value 'Y' at 'returnConsumedCapacity'")
        );
        assert!(m.contains("; Value 'X' at 'returnValues'"));
    }

    #[test]
    fn valid_and_absent_members_pass() {
        let b = body(json!({"ReturnValues": "ALL_OLD", "Limit": 1, "Select": null}));
        let mut v = Violations::new();
        v.one_of(&b, "ReturnValues", RETURN_VALUES);
        v.one_of(&b, "Select", SELECT);
        v.at_least(&b, "Limit", "limit", 1, true);
        v.not_null(&b, "Limit");
        assert!(v.finish().is_ok());
    }

    #[test]
    fn values_are_quoted_null_or_left_out() {
        let b = body(json!({"Limit": 0}));
        let mut v = Violations::new();
        v.at_least(&b, "Limit", "Limit", 1, false);
        v.at_least(&b, "Limit", "limit", 1, true);
        v.not_null(&b, "Key");
        assert_eq!(
            message(v),
            "3 validation errors detected: Value at 'Limit' failed to satisfy constraint: Member must have value greater than or equal to 1; Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; Value null at 'key' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn table_names_of_item_operations() {
        let check = |name: Json| {
            let mut v = Violations::new();
            v.table_name(&body(json!({ "TableName": name })), TableNameRule::Item)
                .unwrap();
            v.finish().err().map(|e| e.message)
        };
        assert_eq!(
            check(json!("ab")),
            None,
            "an item operation takes short names"
        );
        assert_eq!(
            check(json!("")).unwrap(),
            "1 validation error detected: Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        assert_eq!(
            check(json!("bad table!")).unwrap(),
            "1 validation error detected: Value 'bad table!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        );
        assert!(check(json!("a".repeat(256)))
            .unwrap()
            .ends_with("Member must have length less than or equal to 255"));
        let mut v = Violations::new();
        v.table_name(&body(json!({})), TableNameRule::Item).unwrap();
        assert_eq!(
            message(v),
            "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn table_names_of_table_operations() {
        let mut v = Violations::new();
        let missing = v
            .table_name(&body(json!({})), TableNameRule::Table)
            .unwrap_err();
        assert_eq!(
            missing.message,
            "The parameter 'TableName' is required but was not present in the request"
        );
        let mut v = Violations::new();
        v.table_name(&body(json!({"TableName": "ab"})), TableNameRule::Table)
            .unwrap();
        assert_eq!(
            message(v),
            "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"
        );
        let mut v = Violations::new();
        v.table_name(&body(json!({"TableName": ""})), TableNameRule::Table)
            .unwrap();
        assert!(message(v).starts_with("2 validation errors detected: Value '' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern"));
    }

    #[test]
    fn java_strings() {
        assert_eq!(
            java_string(&json!({"t": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]})),
            "{t=[{PutRequest={Item={pk={S=a}}}}]}"
        );
        assert_eq!(java_string(&json!([])), "[]");
    }
}
