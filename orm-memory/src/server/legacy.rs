//! DynamoDB's legacy (non-expression) parameters, translated in one place into orm-core's
//! expression AST, which the engine then evaluates exactly as it evaluates expressions:
//!
//! | legacy parameter | becomes | as |
//! |---|---|---|
//! | `Expected` (+ `ConditionalOperator`) | [`Condition`] | `ConditionExpression` |
//! | `QueryFilter`, `ScanFilter` (+ `ConditionalOperator`) | [`Condition`] | `FilterExpression` |
//! | `KeyConditions` | [`KeyCondition`] | `KeyConditionExpression` |
//! | `AttributesToGet` | a list of [`Path`]s | `ProjectionExpression` |
//! | `AttributeUpdates` | [`Update`] | `UpdateExpression` |
//!
//! Each parameter names top-level attributes (never document paths), and each comparison
//! operator maps onto the expression language: `EQ` is `=`, `NE` is `<>`, `NULL` is
//! `attribute_not_exists`, `NOT_CONTAINS` is `NOT contains`, `IN` and `BETWEEN` are themselves;
//! `Expected`'s `Exists: false` is `attribute_not_exists` and its `Value` alone is `=`.
//! `AttributeUpdates`' `PUT` is `SET`, `DELETE` without a value `REMOVE`, `DELETE` with a set
//! `DELETE`, `ADD` of a number or set `ADD`, and `ADD` of a list appends to it (to an empty
//! list when there is none).
//!
//! DynamoDB checks these parameters with their own messages ("Invalid number of argument(s)
//! for the BETWEEN ComparisonOperator", "Value must be provided when Exists is true for
//! Attribute: a"...), and refuses a request that mixes them with expressions
//! ([`check_style`]). The messages follow DynamoDB's, as recorded by the Parity Suite and by
//! dynalite's tests against DynamoDB.

use super::constraints::{lower_first, present, Shown, Violations, CONDITIONAL_OPERATOR};
use super::error::ApiError;
use super::json::value;
use crate::eval::order;
use orm_core::backend::{KeyAttribute, KeyType};
use orm_core::expr::parse::key_condition_in_key_order;
use orm_core::expr::{
    CompareOp, Condition, KeyCondition, Operand, Path, SetOperand, SetValue, SortKeyCondition,
    Update,
};
use orm_core::{Value, ValueType};
use serde_json::{Map, Value as Json};
use std::cmp::Ordering;

/// The comparison operators of legacy conditions, in DynamoDB's enum order (its messages list
/// them so).
const OPERATORS: &[&str] = &[
    "IN",
    "NULL",
    "BETWEEN",
    "LT",
    "NOT_CONTAINS",
    "EQ",
    "GT",
    "NOT_NULL",
    "NE",
    "LE",
    "BEGINS_WITH",
    "GE",
    "CONTAINS",
];

/// The actions of `AttributeUpdates`, in DynamoDB's enum order.
const ACTIONS: &[&str] = &["ADD", "PUT", "DELETE"];

fn invalid(message: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!(
        "One or more parameter values were invalid: {message}"
    ))
}

// ------------------------------------------------------------ one style ---

/// Query's expression members, for [`check_style`].
pub(crate) const QUERY_EXPRESSIONS: &[&str] = &[
    "ProjectionExpression",
    "FilterExpression",
    "KeyConditionExpression",
];

/// Query's legacy members, which replace [`QUERY_EXPRESSIONS`], for [`check_style`].
pub(crate) const QUERY_LEGACY: &[&str] = &[
    "AttributesToGet",
    "QueryFilter",
    "ConditionalOperator",
    "KeyConditions",
];

/// Refuses a request that mixes the expression members `expressions` with the legacy members
/// `legacy` that replace them (listing the ones present of each, in the order given), and
/// placeholders without an expression to use them, as DynamoDB does:
///
/// - `Can not use both expression and non-expression parameters in the same request:
///   Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}`;
/// - `ExpressionAttributeNames can only be specified when using expressions`;
/// - `ExpressionAttributeValues can only be specified when using expressions:
///   ConditionExpression is null` (naming the expressions that take values).
///
/// `KeyConditions` is the one exception: a Query may pair it with a `FilterExpression` or a
/// `ProjectionExpression`, as long as it has no `KeyConditionExpression`.
pub(crate) fn check_style(
    body: &Map<String, Json>,
    expressions: &[&str],
    legacy: &[&str],
) -> Result<(), ApiError> {
    let used: Vec<&str> = expressions
        .iter()
        .copied()
        .filter(|m| present(body, m).is_some())
        .collect();
    if !used.is_empty() {
        let key_conditions_alone = present(body, "KeyConditionExpression").is_none();
        let mixed: Vec<&str> = legacy
            .iter()
            .copied()
            .filter(|m| present(body, m).is_some())
            .filter(|m| !(*m == "KeyConditions" && key_conditions_alone))
            .collect();
        if !mixed.is_empty() {
            return Err(ApiError::validation(format!(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
                mixed.join(", "),
                used.join(", ")
            )));
        }
    }
    if present(body, "ExpressionAttributeNames").is_some() && used.is_empty() {
        return Err(ApiError::validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    let with_values: Vec<&str> = expressions
        .iter()
        .copied()
        .filter(|m| *m != "ProjectionExpression")
        .collect();
    if present(body, "ExpressionAttributeValues").is_some()
        && !with_values.is_empty()
        && with_values.iter().all(|m| present(body, m).is_none())
    {
        return Err(ApiError::validation(format!(
            "ExpressionAttributeValues can only be specified when using expressions: {} {} null",
            with_values.join(" and "),
            if with_values.len() > 1 { "are" } else { "is" }
        )));
    }
    Ok(())
}

// ------------------------------------------------------------ constraints ---

/// The member constraints of a legacy condition map (`QueryFilter`, `ScanFilter`,
/// `KeyConditions`: each entry's `ComparisonOperator` is required; `Expected`: optional), for
/// the request's violation list.
pub(crate) fn condition_constraints(
    body: &Map<String, Json>,
    member: &str,
    violations: &mut Violations,
) {
    let Some(Json::Object(entries)) = present(body, member) else {
        return;
    };
    let required = member != "Expected";
    for (attribute, entry) in entries {
        let Json::Object(entry) = entry else { continue };
        let path = format!(
            "{}.{attribute}.member.comparisonOperator",
            lower_first(member)
        );
        if required && present(entry, "ComparisonOperator").is_none() {
            violations.push(Shown::Null, &path, "Member must not be null");
        }
        violations.one_of_at(entry, "ComparisonOperator", &path, OPERATORS);
    }
}

/// The member constraints of `AttributesToGet` (1 to 255 names) and `ConditionalOperator`.
pub(crate) fn member_constraints(body: &Map<String, Json>, violations: &mut Violations) {
    if let Some(Json::Array(names)) = present(body, "AttributesToGet") {
        violations.length_within(names.len(), 255, "attributesToGet", || {
            Shown::Text(super::constraints::java_string(&Json::Array(names.clone())))
        });
    }
    violations.one_of(body, "ConditionalOperator", CONDITIONAL_OPERATOR);
}

/// The member constraints of `AttributeUpdates`: each `Action` one of ADD, PUT, DELETE.
pub(crate) fn update_constraints(body: &Map<String, Json>, violations: &mut Violations) {
    let Some(Json::Object(entries)) = present(body, "AttributeUpdates") else {
        return;
    };
    for (attribute, entry) in entries {
        if let Json::Object(entry) = entry {
            let path = format!("attributeUpdates.{attribute}.member.action");
            violations.one_of_at(entry, "Action", &path, ACTIONS);
        }
    }
}

// ------------------------------------------------------------ conditions ---

/// One legacy condition on one attribute, read from its JSON.
struct Entry<'a> {
    attribute: &'a str,
    operator: Option<&'a str>,
    values: Option<Vec<Value>>,
    value: Option<Value>,
    exists: Option<bool>,
}

fn entries<'a>(body: &'a Map<String, Json>, member: &str) -> Result<Vec<Entry<'a>>, ApiError> {
    let Some(json) = present(body, member) else {
        return Ok(Vec::new());
    };
    let map = json.as_object().ok_or_else(|| {
        ApiError::serialization(format!(
            "{member} must be a map of attribute names to conditions"
        ))
    })?;
    let mut out = Vec::with_capacity(map.len());
    for (attribute, entry) in map {
        let entry = entry.as_object().ok_or_else(|| {
            ApiError::serialization(format!("{member}.{attribute} must be an object"))
        })?;
        let values = match present(entry, "AttributeValueList") {
            None => None,
            Some(Json::Array(list)) => Some(
                list.iter()
                    .map(|v| value(v, 1))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => {
                return Err(ApiError::serialization(
                    "AttributeValueList must be a list of AttributeValues",
                ))
            }
        };
        let exists = match present(entry, "Exists") {
            None => None,
            Some(Json::Bool(b)) => Some(*b),
            Some(_) => return Err(ApiError::serialization("Exists must be a boolean")),
        };
        out.push(Entry {
            attribute,
            operator: present(entry, "ComparisonOperator").and_then(Json::as_str),
            values,
            value: present(entry, "Value").map(|v| value(v, 1)).transpose()?,
            exists,
        });
    }
    Ok(out)
}

/// How many values `operator` takes: exactly `Some(n)`, or at least one (`None`, for `IN`).
fn arity(operator: &str) -> Option<usize> {
    match operator {
        "NULL" | "NOT_NULL" => Some(0),
        "BETWEEN" => Some(2),
        "IN" => None,
        _ => Some(1),
    }
}

/// Whether `operator` takes a value of type `t`.
fn takes(operator: &str, t: ValueType) -> bool {
    use ValueType::*;
    match operator {
        "LT" | "LE" | "GT" | "GE" | "IN" | "BETWEEN" => matches!(t, S | N | B),
        "CONTAINS" | "NOT_CONTAINS" => matches!(t, S | N | B | Bool | Null),
        "BEGINS_WITH" => matches!(t, S | B),
        _ => true,
    }
}

/// The checks DynamoDB makes on one operator and its values: their number, one type for all,
/// a type the operator takes, and `BETWEEN` bounds in order.
fn check_values(operator: &str, values: &[Value], check_types: bool) -> Result<(), ApiError> {
    if !OPERATORS.contains(&operator) {
        // Reported with the request's constraints first; this keeps the translation total.
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{operator}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            OPERATORS.join(", ")
        )));
    }
    let count_ok = match arity(operator) {
        Some(n) => values.len() == n,
        None => !values.is_empty(),
    };
    if !count_ok {
        return Err(invalid(format!(
            "Invalid number of argument(s) for the {operator} ComparisonOperator"
        )));
    }
    if let Some(first) = values.first() {
        if values.iter().any(|v| v.value_type() != first.value_type()) {
            return Err(invalid(
                "AttributeValues inside AttributeValueList must be of same type",
            ));
        }
        if check_types && !takes(operator, first.value_type()) {
            return Err(invalid(format!(
                "ComparisonOperator {operator} is not valid for {} AttributeValue type",
                first.value_type().descriptor()
            )));
        }
    }
    if operator == "BETWEEN" && order(&values[0], &values[1]) == Some(Ordering::Greater) {
        return Err(ApiError::validation(
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        ));
    }
    Ok(())
}

/// The condition `operator` states about `attribute` with `values` (already checked).
fn comparison(attribute: &str, operator: &str, mut values: Vec<Value>) -> Condition {
    let path = || Path::name(attribute);
    let operand = || Operand::Path(Path::name(attribute));
    let compare = |op: CompareOp, v: Value| Condition::Compare(operand(), op, Operand::Value(v));
    let first = |values: &mut Vec<Value>| values.remove(0);
    match operator {
        "NULL" => Condition::NotExists(path()),
        "NOT_NULL" => Condition::Exists(path()),
        "EQ" => compare(CompareOp::Eq, first(&mut values)),
        "NE" => compare(CompareOp::Ne, first(&mut values)),
        "LT" => compare(CompareOp::Lt, first(&mut values)),
        "LE" => compare(CompareOp::Le, first(&mut values)),
        "GT" => compare(CompareOp::Gt, first(&mut values)),
        "GE" => compare(CompareOp::Ge, first(&mut values)),
        "CONTAINS" => Condition::Contains(path(), Operand::Value(first(&mut values))),
        "NOT_CONTAINS" => Condition::Contains(path(), Operand::Value(first(&mut values))).not(),
        "BEGINS_WITH" => Condition::BeginsWith(path(), Operand::Value(first(&mut values))),
        "IN" => Condition::In(operand(), values.into_iter().map(Operand::Value).collect()),
        // BETWEEN, the one operator left ([`check_values`] admits only DynamoDB's).
        _ => {
            let high = values.pop().expect("BETWEEN has two values");
            let low = values.pop().expect("BETWEEN has two values");
            Condition::Between(operand(), Operand::Value(low), Operand::Value(high))
        }
    }
}

/// The conditions joined by `ConditionalOperator` (AND when absent); `None` for none.
fn joined(body: &Map<String, Json>, mut parts: Vec<Condition>) -> Option<Condition> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ if present(body, "ConditionalOperator").and_then(Json::as_str) == Some("OR") => {
            Some(Condition::Or(parts))
        }
        _ => Some(Condition::And(parts)),
    }
}

/// `Expected` (with `ConditionalOperator`) as the condition of a write; `None` when absent.
pub(crate) fn expected(body: &Map<String, Json>) -> Result<Option<Condition>, ApiError> {
    let mut parts = Vec::new();
    for entry in entries(body, "Expected")? {
        let attribute = entry.attribute;
        if entry.values.is_some() && entry.value.is_some() {
            return Err(invalid(format!(
                "Value and AttributeValueList cannot be used together for Attribute: {attribute}"
            )));
        }
        if let Some(operator) = entry.operator {
            if entry.exists.is_some() {
                return Err(invalid(format!(
                    "Exists and ComparisonOperator cannot be used together for Attribute: {attribute}"
                )));
            }
            if arity(operator) != Some(0) && entry.values.is_none() && entry.value.is_none() {
                return Err(invalid(format!(
                    "Value or AttributeValueList must be used with ComparisonOperator: {operator} for Attribute: {attribute}"
                )));
            }
            let values = match (entry.values, entry.value) {
                (Some(values), _) => values,
                (None, Some(value)) => vec![value],
                (None, None) => Vec::new(),
            };
            check_values(operator, &values, false)?;
            parts.push(comparison(attribute, operator, values));
        } else if entry.values.is_some() {
            return Err(invalid(format!(
                "AttributeValueList can only be used with a ComparisonOperator for Attribute: {attribute}"
            )));
        } else {
            match (entry.exists, entry.value) {
                (Some(false), None) => parts.push(Condition::NotExists(Path::name(attribute))),
                (Some(false), Some(_)) => {
                    return Err(invalid(format!(
                        "Value cannot be used when Exists is false for Attribute: {attribute}"
                    )))
                }
                (exists, None) => {
                    return Err(invalid(format!(
                        "Value must be provided when Exists is {} for Attribute: {attribute}",
                        if exists.is_some() { "true" } else { "null" }
                    )))
                }
                (_, Some(value)) => parts.push(comparison(attribute, "EQ", vec![value])),
            }
        }
    }
    Ok(joined(body, parts))
}

/// `QueryFilter` or `ScanFilter` (`member`, with `ConditionalOperator`) as a filter; `None`
/// when absent.
pub(crate) fn filter(
    body: &Map<String, Json>,
    member: &str,
) -> Result<Option<Condition>, ApiError> {
    let mut parts = Vec::new();
    for entry in entries(body, member)? {
        // A missing operator is a constraint violation reported before this runs.
        let operator = entry.operator.unwrap_or("EQ");
        let values = entry.values.unwrap_or_default();
        check_values(operator, &values, true)?;
        parts.push(comparison(entry.attribute, operator, values));
    }
    Ok(joined(body, parts))
}

/// `KeyConditions` as the key condition of a Query on a table or index whose partition key is
/// made of the attributes `hash` and whose sort key of `range` (in key-schema order: one and at
/// most one each, but for a global index with a multi-attribute key); `None` when absent.
///
/// A multi-attribute key's conditions are checked by the rule `KeyConditionExpression` follows
/// ([`key_condition_in_key_order`]): every partition attribute by equality, the sort attributes
/// left to right, a range only on the last one given.
pub(crate) fn key_conditions(
    body: &Map<String, Json>,
    hash: &[&KeyAttribute],
    range: &[&KeyAttribute],
) -> Result<Option<KeyCondition>, ApiError> {
    if present(body, "KeyConditions").is_none() {
        return Ok(None);
    }
    let entries = entries(body, "KeyConditions")?;
    for entry in &entries {
        let operator = entry.operator.unwrap_or("EQ");
        check_values(operator, entry.values.as_deref().unwrap_or_default(), true)?;
    }
    if hash.len() > 1 || range.len() > 1 {
        return multi_attribute_key_conditions(&entries, hash, range).map(Some);
    }
    let (hash, range) = (hash[0], range.first().copied());
    if entries.is_empty() || entries.len() > 2 {
        return Err(ApiError::validation(
            "Conditions can be of length 1 or 2 only",
        ));
    }
    let find = |name: &str| entries.iter().find(|e| e.attribute == name);
    let mut partition_value = None;
    let mut sort = None;
    for (key, is_hash) in std::iter::once((hash, true)).chain(range.map(|r| (r, false))) {
        if is_hash && range.is_none() && entries.len() > 1 {
            return Err(ApiError::validation("Query key condition not supported"));
        }
        let Some(entry) = find(&key.name) else {
            if is_hash || entries.len() > 1 {
                return Err(ApiError::validation(format!(
                    "Query condition missed key schema element: {}",
                    key.name
                )));
            }
            continue;
        };
        let (operator, values) = key_operands(entry, Some(key))?;
        if is_hash {
            if operator != "EQ" {
                return Err(ApiError::validation("Query key condition not supported"));
            }
            partition_value = values.into_iter().next();
            continue;
        }
        sort = Some((key.name.clone(), sort_key_condition(operator, values)));
    }
    Ok(Some(KeyCondition {
        extra_partition: Vec::new(),
        sort_prefix: Vec::new(),
        partition_name: hash.name.clone(),
        partition_value: partition_value.expect("the partition key's condition was found"),
        sort,
    }))
}

/// [`key_conditions`] on a multi-attribute key: each entry checked against its attribute
/// (an indexable operator; values of the attribute's type), then all of them by the rule
/// `KeyConditionExpression` follows. As DynamoDB Local 11.1.0 answers: no entry at all is
/// "Conditions must be at least length 1".
fn multi_attribute_key_conditions(
    entries: &[Entry<'_>],
    hash: &[&KeyAttribute],
    range: &[&KeyAttribute],
) -> Result<KeyCondition, ApiError> {
    if entries.is_empty() {
        return Err(ApiError::validation("Conditions must be at least length 1"));
    }
    let mut parts = Vec::with_capacity(entries.len());
    for entry in entries {
        let key = hash
            .iter()
            .chain(range)
            .find(|k| k.name == entry.attribute)
            .copied();
        let (operator, values) = key_operands(entry, key)?;
        parts.push(Ok((
            entry.attribute.to_string(),
            sort_key_condition(operator, values),
        )));
    }
    let hash: Vec<&str> = hash.iter().map(|k| k.name.as_str()).collect();
    let range: Vec<&str> = range.iter().map(|k| k.name.as_str()).collect();
    Ok(key_condition_in_key_order(parts, &hash, &range)?)
}

/// A `KeyConditions` entry's operator and values, checked as a key condition: an operator a
/// key can be read by, and values of the type of `key` (the key attribute it names, if any).
fn key_operands<'e>(
    entry: &Entry<'e>,
    key: Option<&KeyAttribute>,
) -> Result<(&'e str, Vec<Value>), ApiError> {
    let operator = entry.operator.unwrap_or("EQ");
    if ["NULL", "NOT_NULL", "NE", "CONTAINS", "NOT_CONTAINS", "IN"].contains(&operator) {
        return Err(ApiError::validation(
            "Attempted conditional constraint is not an indexable operation",
        ));
    }
    let values = entry.values.clone().unwrap_or_default();
    if let Some(key) = key {
        if values.iter().any(|v| !of_key_type(v, key.key_type)) {
            return Err(invalid(
                "Condition parameter type does not match schema type",
            ));
        }
    }
    Ok((operator, values))
}

/// The key condition an indexable `operator` states with `values` (already checked).
fn sort_key_condition(operator: &str, values: Vec<Value>) -> SortKeyCondition {
    let mut values = values.into_iter();
    let mut next = || {
        values
            .next()
            .expect("checked: the operator's number of values")
    };
    match operator {
        "EQ" => SortKeyCondition::Eq(next()),
        "LT" => SortKeyCondition::Lt(next()),
        "LE" => SortKeyCondition::Le(next()),
        "GT" => SortKeyCondition::Gt(next()),
        "GE" => SortKeyCondition::Ge(next()),
        "BEGINS_WITH" => SortKeyCondition::BeginsWith(next()),
        // BETWEEN, the one indexable operator left.
        _ => {
            let low = next();
            SortKeyCondition::Between(low, next())
        }
    }
}

fn of_key_type(value: &Value, key_type: KeyType) -> bool {
    matches!(
        (value, key_type),
        (Value::S(_), KeyType::S) | (Value::N(_), KeyType::N) | (Value::B(_), KeyType::B)
    )
}

// ------------------------------------------------------------ projections ---

/// `AttributesToGet` as a projection of top-level attributes; `None` when absent.
pub(crate) fn attributes_to_get(body: &Map<String, Json>) -> Result<Option<Vec<Path>>, ApiError> {
    let Some(json) = present(body, "AttributesToGet") else {
        return Ok(None);
    };
    let names = json.as_array().ok_or_else(|| {
        ApiError::serialization("AttributesToGet must be a list of attribute names")
    })?;
    let mut paths: Vec<Path> = Vec::with_capacity(names.len());
    for name in names {
        let name = name.as_str().ok_or_else(|| {
            ApiError::serialization("AttributesToGet must be a list of attribute names")
        })?;
        if paths.iter().any(|p| p.root() == name) {
            return Err(invalid(format!(
                "Duplicate value in attribute name: {name}"
            )));
        }
        paths.push(Path::name(name));
    }
    Ok(Some(paths))
}

// ------------------------------------------------------------ updates ---

/// The type name DynamoDB's `AttributeUpdates` messages give a value.
fn type_name(value: &Value) -> &'static str {
    value.value_type().descriptor()
}

/// `AttributeUpdates` as an update; `None` when absent. An empty map is an update with no
/// action (which creates a missing item from its key).
pub(crate) fn attribute_updates(body: &Map<String, Json>) -> Result<Option<Update>, ApiError> {
    let Some(json) = present(body, "AttributeUpdates") else {
        return Ok(None);
    };
    let map = json.as_object().ok_or_else(|| {
        ApiError::serialization("AttributeUpdates must be a map of attribute names to updates")
    })?;
    let mut update = Update::new();
    for (attribute, entry) in map {
        let entry = entry.as_object().ok_or_else(|| {
            ApiError::serialization(format!("AttributeUpdates.{attribute} must be an object"))
        })?;
        let value = present(entry, "Value").map(|v| value(v, 1)).transpose()?;
        let action = present(entry, "Action")
            .and_then(Json::as_str)
            .unwrap_or("PUT");
        let path = Path::name(attribute);
        let is_set = |v: &Value| matches!(v, Value::Ss(_) | Value::Ns(_) | Value::Bs(_));
        update = match (action, value) {
            ("DELETE", None) => update.remove(path),
            (_, None) => {
                return Err(invalid(
                    "Only DELETE action is allowed when no attribute value is specified",
                ))
            }
            ("DELETE", Some(v)) if is_set(&v) => update.delete(path, v),
            ("DELETE", Some(v)) => {
                return Err(invalid(format!(
                    "DELETE action with value is not supported for the type {}",
                    type_name(&v)
                )))
            }
            ("ADD", Some(v @ (Value::N(_) | Value::Ss(_) | Value::Ns(_) | Value::Bs(_)))) => {
                update.add(path, v)
            }
            // `list_append(if_not_exists(a, []), :v)`: a missing list is an empty one.
            ("ADD", Some(Value::L(elements))) => update.set_expr(
                path.clone(),
                SetValue::ListAppend(
                    SetOperand::if_not_exists(path, Value::L(Vec::new())),
                    SetOperand::Value(Value::L(elements)),
                ),
            ),
            ("ADD", Some(v)) => {
                return Err(invalid(format!(
                    "ADD action is not supported for the type {}",
                    type_name(&v)
                )))
            }
            (_, Some(v)) => update.set(path, v),
        };
    }
    Ok(Some(update))
}

/// An error of an update written with `AttributeUpdates`, as DynamoDB words it: an `ADD` or
/// `DELETE` whose value does not fit the stored one is a "Type mismatch for attribute to
/// update" (an `UpdateExpression` gets the expression language's message).
pub(crate) fn update_error(error: ApiError) -> ApiError {
    if error.message.starts_with(crate::update::WRONG_OPERAND_TYPE) {
        ApiError::validation("Type mismatch for attribute to update")
    } else {
        error
    }
}

#[cfg(test)]
mod tests;
