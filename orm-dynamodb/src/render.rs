//! Rendered expressions' placeholder maps in the SDK's types.
//!
//! orm-core renders the expression AST ([`orm_core::expr::render::Expressions`]: the text of each
//! expression with `#name` / `:value` placeholders, and the two maps, values as orm-core
//! [`Value`](orm_core::Value)s); this module only converts the maps, for code that sends its own
//! SDK requests (through [`DynamoBackend::client`](crate::DynamoBackend::client)) with conditions,
//! filters or updates built with the typed AST instead of hand-written strings.
//!
//! ```
//! use orm_core::expr::attr;
//! use orm_core::expr::render::Expressions;
//! use orm_dynamodb::render::ExpressionAttributes;
//!
//! let mut e = Expressions::new().with_condition(attr("status").eq("open"));
//! let attributes = ExpressionAttributes::take(&mut e);
//! assert_eq!(e.condition.as_deref(), Some("#c0 = :c0"));
//! assert_eq!(attributes.names.unwrap()["#c0"], "status");
//! assert!(attributes.values.unwrap()[":c0"].is_s());
//! ```

use crate::convert::{to_attribute_value, AttributeMap};
use orm_core::expr::render::Expressions;
use std::collections::HashMap;

/// The `ExpressionAttributeNames` and `ExpressionAttributeValues` of rendered [`Expressions`],
/// in the SDK's types; an empty map is `None` (DynamoDB rejects empty maps).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpressionAttributes {
    /// `ExpressionAttributeNames`, `None` when empty.
    pub names: Option<HashMap<String, String>>,
    /// `ExpressionAttributeValues`, `None` when empty.
    pub values: Option<AttributeMap>,
}

impl ExpressionAttributes {
    /// Moves the maps out of `expressions` (leaving them empty), converting every value.
    pub fn take(expressions: &mut Expressions) -> ExpressionAttributes {
        let names = std::mem::take(&mut expressions.names);
        let values = std::mem::take(&mut expressions.values);
        ExpressionAttributes {
            names: (!names.is_empty()).then(|| names.into_iter().collect()),
            values: (!values.is_empty()).then(|| {
                values
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
        let s = ExpressionAttributes::take(&mut Expressions::new());
        assert_eq!(s, ExpressionAttributes::default());
        let mut e = Expressions::new().with_projection(&[attr("a")]);
        let s = ExpressionAttributes::take(&mut e);
        assert_eq!(e.projection.as_deref(), Some("#p0"));
        assert!(e.names.is_empty());
        assert_eq!(s.names.unwrap()["#p0"], "a");
        assert!(s.values.is_none());
        let s = ExpressionAttributes::take(&mut Expressions::new().with_condition(attr("a").eq(1)));
        assert_eq!(
            s.values.unwrap()[":c0"],
            aws_sdk_dynamodb::types::AttributeValue::N("1".into())
        );
    }
}
