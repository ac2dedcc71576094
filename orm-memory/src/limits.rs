//! DynamoDB's limits on attribute values and items: empty sets, nesting depth, item size.

use orm_core::backend::Limits;
use orm_core::{Error, Item, Result, Value};

/// Checks one value for what DynamoDB never stores: empty sets (at any depth) and documents
/// nested deeper than `limits.max_nesting_depth` levels (a top-level attribute is level 1).
pub(crate) fn check_value(name: &str, value: &Value, limits: &Limits) -> Result<()> {
    check_at(name, value, 1, limits)
}

fn check_at(name: &str, value: &Value, level: usize, limits: &Limits) -> Result<()> {
    if level > limits.max_nesting_depth {
        return Err(Error::validation(format!(
            "Nesting Levels have exceeded supported limits: attribute `{name}` is nested deeper \
             than {} levels",
            limits.max_nesting_depth
        )));
    }
    let empty_set = match value {
        Value::Ss(s) if s.is_empty() => Some("string"),
        Value::Ns(s) if s.is_empty() => Some("number"),
        Value::Bs(s) if s.is_empty() => Some("binary"),
        _ => None,
    };
    if let Some(kind) = empty_set {
        return Err(Error::validation(format!(
            "One or more parameter values were invalid: An {kind} set may not be empty \
             (attribute `{name}`)"
        )));
    }
    match value {
        Value::L(l) => l
            .iter()
            .try_for_each(|v| check_at(name, v, level + 1, limits)),
        Value::M(m) => m.iter().try_for_each(|(key, v)| {
            // DynamoDB Local rejects an empty map key at any depth (differential test
            // `regression_empty_map_key_is_rejected`).
            if key.is_empty() {
                return Err(Error::validation(format!(
                    "One or more parameter values were invalid: An attribute name in a map may \
                     not be empty (attribute `{name}`)"
                )));
            }
            check_at(name, v, level + 1, limits)
        }),
        _ => Ok(()),
    }
}

/// Checks every attribute of an item and its total size.
///
/// `update` picks DynamoDB's UpdateItem wording for the size error.
pub(crate) fn check_item(item: &Item, limits: &Limits, update: bool) -> Result<()> {
    for (name, value) in item.iter() {
        if name.is_empty() {
            return Err(Error::validation(
                "One or more parameter values were invalid: An attribute name may not be empty",
            ));
        }
        check_value(name, value, limits)?;
    }
    let size = item.size();
    if size > limits.max_item_size {
        let what = if update {
            "Item size to update"
        } else {
            "Item size"
        };
        return Err(Error::validation(format!(
            "{what} has exceeded the maximum allowed size ({size} bytes > {} bytes)",
            limits.max_item_size
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn nest(levels: usize) -> Value {
        let mut v = Value::from("leaf");
        for _ in 0..levels {
            v = Value::M(BTreeMap::from([("n".to_owned(), v)]));
        }
        v
    }

    #[test]
    fn nesting_limit_counts_the_attribute_as_level_one() {
        let limits = Limits::default();
        // 31 wraps: the leaf is at level 32, the deepest DynamoDB accepts.
        assert!(check_value("a", &nest(31), &limits).is_ok());
        let err = check_value("a", &nest(32), &limits).unwrap_err();
        assert!(err.to_string().contains("Nesting Levels"), "{err}");
        let mut list = Value::from(1);
        for _ in 0..32 {
            list = Value::L(vec![list]);
        }
        assert!(check_value("a", &list, &limits).is_err());
    }

    #[test]
    fn rejects_empty_sets_at_any_depth() {
        let limits = Limits::default();
        assert!(check_value("s", &Value::Ss(BTreeSet::new()), &limits).is_err());
        assert!(check_value("s", &Value::Ns(BTreeSet::new()), &limits).is_err());
        assert!(check_value("s", &Value::Bs(BTreeSet::new()), &limits).is_err());
        let nested = Value::L(vec![Value::M(BTreeMap::from([(
            "x".to_owned(),
            Value::Ss(BTreeSet::new()),
        )]))]);
        assert!(check_value("s", &nested, &limits).is_err());
        // Empty strings, binaries, lists and maps are fine outside keys.
        for ok in [
            Value::from(""),
            Value::B(vec![]),
            Value::L(vec![]),
            Value::M(BTreeMap::new()),
        ] {
            assert!(check_value("s", &ok, &limits).is_ok());
        }
    }

    #[test]
    fn item_size_limit_is_inclusive() {
        let limits = Limits::default();
        // name "pk" (2) + "d" (1) + value lengths
        let fits = Item::new()
            .with("pk", "k")
            .with("d", "x".repeat(400 * 1024 - 4));
        assert_eq!(fits.size(), 400 * 1024);
        assert!(check_item(&fits, &limits, false).is_ok());
        let too_big = Item::new()
            .with("pk", "k")
            .with("d", "x".repeat(400 * 1024 - 3));
        let err = check_item(&too_big, &limits, true).unwrap_err().to_string();
        assert!(err.contains("Item size to update"), "{err}");
    }
}
