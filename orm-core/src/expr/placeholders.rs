//! A request's placeholders (`ExpressionAttributeNames`, `ExpressionAttributeValues`) and which
//! of them its expressions used: DynamoDB rejects a placeholder that is not defined, and one
//! that no expression of the request uses.

use crate::error::{Error, Result};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The placeholders of one request, shared by the parses of all its expressions, and which of
/// them those used.
///
/// ```
/// use orm_core::expr::parse::{self, Placeholders};
/// use orm_core::expr::Clause;
/// use orm_core::Value;
/// use std::collections::BTreeMap;
///
/// let names = BTreeMap::from([("#s".to_string(), "status".to_string())]);
/// let values = BTreeMap::from([(":o".to_string(), Value::from("open")), (":x".to_string(), Value::from(1))]);
/// let mut placeholders = Placeholders::new(names, values);
/// parse::condition(&mut placeholders, Clause::Condition, "#s = :o").unwrap();
/// let unused = placeholders.finish().unwrap_err();
/// assert!(unused.to_string().contains("unused in expressions: keys: {:x}"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Placeholders {
    names: BTreeMap<String, String>,
    values: BTreeMap<String, Value>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl Placeholders {
    /// The request's `ExpressionAttributeNames` (`#n` -> name) and decoded
    /// `ExpressionAttributeValues` (`:v` -> value).
    pub fn new(names: BTreeMap<String, String>, values: BTreeMap<String, Value>) -> Self {
        Placeholders {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// The name `#key` stands for (`placeholder` with its `#`), marked used.
    pub(crate) fn name(&mut self, placeholder: &str) -> Option<String> {
        let name = self.names.get(placeholder)?.clone();
        if !self.used_names.contains(placeholder) {
            self.used_names.insert(placeholder.to_owned());
        }
        Some(name)
    }

    /// The value `:key` stands for (`placeholder` with its `:`), marked used.
    pub(crate) fn value(&mut self, placeholder: &str) -> Option<Value> {
        let value = self.values.get(placeholder)?.clone();
        if !self.used_values.contains(placeholder) {
            self.used_values.insert(placeholder.to_owned());
        }
        Some(value)
    }

    /// Checks, once every expression of the request is parsed, that each placeholder was used,
    /// with DynamoDB's message naming the unused ones (names first).
    pub fn finish(&self) -> Result<()> {
        unused("Names", self.names.keys(), &self.used_names)?;
        unused("Values", self.values.keys(), &self.used_values)
    }
}

/// DynamoDB's error naming the placeholders of `ExpressionAttribute{kind}` (`keys`) that no
/// expression `used`, if any.
fn unused<'a>(
    kind: &str,
    keys: impl Iterator<Item = &'a String>,
    used: &BTreeSet<String>,
) -> Result<()> {
    let unused: Vec<&str> = keys
        .filter(|k| !used.contains(*k))
        .map(String::as_str)
        .collect();
    if unused.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "Value provided in ExpressionAttribute{kind} unused in expressions: keys: {{{}}}",
            unused.join(", ")
        )))
    }
}
