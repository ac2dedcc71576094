//! The key condition of a query on a global index with a multi-attribute key
//! ([`CompositeKey`]): every partition attribute by equality, then the sort attributes left to
//! right, the last one given with any condition.
//!
//! The derive makes one per index (`Match::by_region_key(tournament, region)`, one typed
//! argument per partition attribute). Sort attributes are then given in key order, each by
//! [`CompositeKey::eq`]; a range (`lt`, `between`, `begins_with`...) ends the key
//! ([`CompositeRange`] has no further methods), so a skipped attribute or a range on a middle
//! attribute cannot be written. Giving more sort attributes than the index has is an error when
//! the query runs.

use crate::error::{Error, Result};
use crate::expr::{KeyCondition, SortKeyCondition};
use crate::key::IntoResult;
use crate::model::IndexSchema;
use crate::value::Value;

/// A query's key on a multi-attribute index: the partition, and equality on the leading sort
/// attributes so far, built by the derive's `{index}_key` functions. Sort attributes are given
/// left to right with [`CompositeKey::eq`]; a range ([`CompositeKey::lt`], `between`,
/// `begins_with`...) ends the key.
#[derive(Debug, Clone)]
pub struct CompositeKey {
    index: &'static IndexSchema,
    partition: Vec<Value>,
    sort_prefix: Vec<Value>,
    /// The first error met while building (kept as its message: keys are `Clone`).
    error: Option<String>,
}

/// A [`CompositeKey`] ended by a condition on its last sort attribute given.
#[derive(Debug, Clone)]
pub struct CompositeRange {
    key: CompositeKey,
    condition: SortKeyCondition,
}

/// What [`Query::key`](super::Query::key) takes: a [`CompositeKey`] or a [`CompositeRange`].
#[derive(Debug, Clone)]
pub struct CompositeCondition {
    key: CompositeKey,
    condition: Option<SortKeyCondition>,
}

impl From<CompositeKey> for CompositeCondition {
    fn from(key: CompositeKey) -> Self {
        CompositeCondition {
            key,
            condition: None,
        }
    }
}

impl From<CompositeRange> for CompositeCondition {
    fn from(range: CompositeRange) -> Self {
        CompositeCondition {
            key: range.key,
            condition: Some(range.condition),
        }
    }
}

impl CompositeKey {
    /// The key of the partition `values` (one per partition attribute, in key order) of the
    /// multi-attribute index `index`. A wrong number of values, or an index with template keys,
    /// is an error when the query runs.
    pub fn new(
        index: &'static IndexSchema,
        values: impl IntoIterator<Item = Result<Value>>,
    ) -> CompositeKey {
        let mut key = CompositeKey {
            index,
            partition: Vec::new(),
            sort_prefix: Vec::new(),
            error: None,
        };
        for v in values {
            match v {
                Ok(v) => key.partition.push(v),
                Err(e) => key.fail(e),
            }
        }
        if !index.is_multi_attribute() {
            key.fail(Error::validation(format!(
                "index `{}` has template keys, not a multi-attribute key: query it with \
                 .index(..).partition(..)",
                index.name
            )));
        } else if key.partition.len() != index.partition_attributes.len() {
            key.fail(Error::validation(format!(
                "index `{}` has {} partition attributes, {} values were given",
                index.name,
                index.partition_attributes.len(),
                key.partition.len()
            )));
        }
        key
    }

    fn fail(&mut self, e: Error) {
        self.error.get_or_insert_with(|| e.to_string());
    }

    /// The index this key is of.
    pub fn index(&self) -> &'static str {
        self.index.name
    }

    /// Equality on the next sort attribute.
    #[allow(clippy::should_implement_trait)]
    pub fn eq(mut self, value: impl IntoResult<Value>) -> CompositeKey {
        match value.into_result() {
            Ok(v) => self.sort_prefix.push(v),
            Err(e) => self.fail(e),
        }
        self
    }

    fn range(self, condition: SortKeyCondition) -> CompositeRange {
        CompositeRange {
            key: self,
            condition,
        }
    }

    fn range_of(
        mut self,
        make: impl FnOnce(Value) -> SortKeyCondition,
        value: impl IntoResult<Value>,
    ) -> CompositeRange {
        match value.into_result() {
            Ok(v) => self.range(make(v)),
            Err(e) => {
                self.fail(e);
                self.range(SortKeyCondition::Eq(Value::Null))
            }
        }
    }

    sort_key_conditions!("The next sort attribute", range_of -> CompositeRange:
        lt Lt "is below",
        le Le "is at most",
        gt Gt "is above",
        ge Ge "is at least",
        /// Strings and binaries only.
        begins_with BeginsWith "starts with",
    );

    /// The next sort attribute is between `low` and `high`, both included.
    pub fn between(
        mut self,
        low: impl IntoResult<Value>,
        high: impl IntoResult<Value>,
    ) -> CompositeRange {
        match (low.into_result(), high.into_result()) {
            (Ok(a), Ok(b)) => self.range(SortKeyCondition::Between(a, b)),
            (Err(e), _) | (_, Err(e)) => {
                self.fail(e);
                self.range(SortKeyCondition::Eq(Value::Null))
            }
        }
    }
}

impl CompositeCondition {
    /// The index the condition is on.
    pub(super) fn index(&self) -> &'static str {
        self.key.index.name
    }

    /// The backend's key condition.
    pub(super) fn key_condition(self) -> Result<KeyCondition> {
        let CompositeCondition { key, condition } = self;
        if let Some(e) = key.error {
            return Err(Error::validation(e));
        }
        let index = key.index;
        let given = key.sort_prefix.len() + usize::from(condition.is_some());
        if given > index.sort_attributes.len() {
            return Err(Error::validation(format!(
                "index `{}` has {} sort attributes, conditions on {given} were given",
                index.name,
                index.sort_attributes.len()
            )));
        }
        let mut partition = index
            .partition_attributes
            .iter()
            .map(|a| a.attribute.to_owned())
            .zip(key.partition);
        let (partition_name, partition_value) = partition.next().expect("checked on creation");
        let mut sort_prefix: Vec<(String, Value)> = index
            .sort_attributes
            .iter()
            .map(|a| a.attribute.to_owned())
            .zip(key.sort_prefix)
            .collect();
        // The last attribute given carries the condition: a range, or the last equality.
        let sort = match condition {
            Some(c) => Some((
                index.sort_attributes[sort_prefix.len()]
                    .attribute
                    .to_owned(),
                c,
            )),
            None => sort_prefix
                .pop()
                .map(|(name, v)| (name, SortKeyCondition::Eq(v))),
        };
        Ok(KeyCondition {
            partition_name,
            partition_value,
            sort,
            extra_partition: partition.collect(),
            sort_prefix,
        })
    }
}
