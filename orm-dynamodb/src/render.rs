//! Rendered expressions in the SDK's types.
//!
//! orm-core renders the expression AST ([`orm_core::expr::render::Expressions`]: text with
//! `#name` / `:value` placeholders, values as orm-core [`Value`](orm_core::Value)s); this module
//! only converts the values to `AttributeValue`s, for code that sends its own SDK requests
//! (through [`DynamoBackend::client`](crate::DynamoBackend::client)) with conditions, filters or
//! updates built with the typed AST instead of hand-written strings.
//!
//! ```
//! use orm_core::expr::attr;
//! use orm_core::expr::render::Expressions;
//! use orm_dynamodb::render::SdkExpressions;
//!
//! let e = SdkExpressions::from(Expressions::new().with_condition(attr("status").eq("open")));
//! assert_eq!(e.condition.as_deref(), Some("#c0 = :c0"));
//! assert_eq!(e.names.unwrap()["#c0"], "status");
//! assert!(e.values.unwrap()[":c0"].is_s());
//! ```

use crate::convert::{to_attribute_value, AttributeMap};
use orm_core::expr::render::Expressions;
use std::collections::HashMap;

/// [`Expressions`] in the SDK's types; empty maps are `None` (DynamoDB rejects empty maps).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SdkExpressions {
    /// `KeyConditionExpression`.
    pub key_condition: Option<String>,
    /// `ConditionExpression`.
    pub condition: Option<String>,
    /// `FilterExpression`.
    pub filter: Option<String>,
    /// `UpdateExpression`.
    pub update: Option<String>,
    /// `ProjectionExpression`.
    pub projection: Option<String>,
    /// `ExpressionAttributeNames`, `None` when empty.
    pub names: Option<HashMap<String, String>>,
    /// `ExpressionAttributeValues`, `None` when empty.
    pub values: Option<AttributeMap>,
}

impl From<Expressions> for SdkExpressions {
    /// Converts, moving every value.
    fn from(e: Expressions) -> SdkExpressions {
        SdkExpressions {
            key_condition: e.key_condition,
            condition: e.condition,
            filter: e.filter,
            update: e.update,
            projection: e.projection,
            names: (!e.names.is_empty()).then(|| e.names.into_iter().collect()),
            values: (!e.values.is_empty()).then(|| {
                e.values
                    .into_iter()
                    .map(|(k, v)| (k, to_attribute_value(v)))
                    .collect()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orm_core::expr::attr;

    #[test]
    fn empty_maps_are_none() {
        let s = SdkExpressions::from(Expressions::new());
        assert_eq!(s, SdkExpressions::default());
        let s = SdkExpressions::from(Expressions::new().with_projection(&[attr("a")]));
        assert_eq!(s.projection.as_deref(), Some("#p0"));
        assert_eq!(s.names.unwrap()["#p0"], "a");
        assert!(s.values.is_none());
        let s = SdkExpressions::from(Expressions::new().with_condition(attr("a").eq(1)));
        assert_eq!(
            s.values.unwrap()[":c0"],
            aws_sdk_dynamodb::types::AttributeValue::N("1".into())
        );
    }
}
