//! The UpdateTable request: create or delete a global secondary index, switch billing mode,
//! change provisioned throughput, streams, table class or deletion protection.

use super::schema::IndexDefinition;
use super::settings::{BillingMode, StreamSpecification, TableClass, Throughput};
use crate::error::{Error, Result};

/// One change to a table's global secondary indexes: DynamoDB's `GlobalSecondaryIndexUpdate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexUpdate {
    /// Adds a global secondary index (`local: false`), backfilled with the items already in
    /// the table. On a provisioned table it needs a throughput; on demand it takes none.
    Create {
        /// The new index.
        index: IndexDefinition,
        /// Its provisioned throughput (provisioned tables only).
        throughput: Option<Throughput>,
    },
    /// Changes a global secondary index's provisioned throughput.
    Update {
        /// The index.
        name: String,
        /// Its new throughput.
        throughput: Throughput,
    },
    /// Removes a global secondary index.
    Delete {
        /// The index.
        name: String,
    },
}

impl IndexUpdate {
    /// The index it changes.
    pub fn index_name(&self) -> &str {
        match self {
            IndexUpdate::Create { index, .. } => &index.name,
            IndexUpdate::Update { name, .. } | IndexUpdate::Delete { name } => name,
        }
    }

    /// Whether it creates or deletes an index (DynamoDB allows one such change per request).
    pub fn is_create_or_delete(&self) -> bool {
        !matches!(self, IndexUpdate::Update { .. })
    }
}

/// A change to an existing table: DynamoDB's UpdateTable. Each field left `None` (or empty)
/// stays as it is.
///
/// ```
/// use orm_core::backend::{
///     IndexDefinition, KeyAttribute, KeyType, Projection, UpdateTable,
/// };
///
/// let email = KeyAttribute { name: "email".into(), key_type: KeyType::S };
/// let request = UpdateTable::new("app").with_create_index(IndexDefinition::global(
///     "by_email",
///     email,
///     None,
///     Projection::KeysOnly,
/// ));
/// assert!(request.validate().is_ok());
/// assert!(UpdateTable::new("app").validate().is_err()); // nothing to change
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateTable {
    /// The table.
    pub table: String,
    /// A new billing mode. Switching to [`BillingMode::Provisioned`] needs a `throughput`.
    pub billing_mode: Option<BillingMode>,
    /// New provisioned throughput for the table (provisioned tables only).
    pub throughput: Option<Throughput>,
    /// Changes to global secondary indexes: at most one creation or deletion, and one change
    /// per index.
    pub index_updates: Vec<IndexUpdate>,
    /// Turns the table's stream on (with a view type) or off.
    pub streams: Option<StreamSpecification>,
    /// A new table class.
    pub table_class: Option<TableClass>,
    /// Turns deletion protection on or off.
    pub deletion_protection: Option<bool>,
}

setters!(UpdateTable {
    option billing_mode: BillingMode => with_billing_mode, "Switches the billing mode.";
    option throughput: Throughput => with_throughput, "Sets the table's provisioned throughput.";
    option streams: StreamSpecification => with_streams, "Turns the stream on or off.";
    option table_class: TableClass => with_table_class, "Changes the table class.";
    option deletion_protection: bool => with_deletion_protection, "Turns deletion protection on or off.";
});

impl UpdateTable {
    /// A request changing nothing yet on table `table`: add the changes with the `with_*`
    /// methods.
    pub fn new(table: impl Into<String>) -> UpdateTable {
        UpdateTable {
            table: table.into(),
            billing_mode: None,
            throughput: None,
            index_updates: Vec::new(),
            streams: None,
            table_class: None,
            deletion_protection: None,
        }
    }

    /// Adds one index change.
    pub fn with_index_update(mut self, update: IndexUpdate) -> UpdateTable {
        self.index_updates.push(update);
        self
    }

    /// Creates a global secondary index (without a throughput: for on-demand tables).
    pub fn with_create_index(self, index: IndexDefinition) -> UpdateTable {
        self.with_index_update(IndexUpdate::Create {
            index,
            throughput: None,
        })
    }

    /// Deletes the global secondary index `name`.
    pub fn with_delete_index(self, name: impl Into<String>) -> UpdateTable {
        self.with_index_update(IndexUpdate::Delete { name: name.into() })
    }

    /// Whether the request changes nothing.
    pub fn is_empty(&self) -> bool {
        self.billing_mode.is_none()
            && self.throughput.is_none()
            && self.index_updates.is_empty()
            && self.streams.is_none()
            && self.table_class.is_none()
            && self.deletion_protection.is_none()
    }

    /// The checks every backend makes before sending, each DynamoDB's `ValidationException`
    /// (in its words): something to change; throughput values in bounds and none with
    /// `PAY_PER_REQUEST`, one with `PROVISIONED`; one change per index, index names DynamoDB
    /// accepts, a created index global and, with `INCLUDE`, naming attributes. What needs the
    /// table (does the index exist, is the throughput new, one index creation or deletion per
    /// request) is the service's to check.
    pub fn validate(&self) -> Result<()> {
        let invalid = |message: String| {
            Err(Error::validation(format!(
                "One or more parameter values were invalid: {message}"
            )))
        };
        if self.is_empty() {
            return Err(Error::validation(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, \
                 GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
            ));
        }
        if let Some(throughput) = &self.throughput {
            throughput.validate("provisionedThroughput")?;
        }
        match (self.billing_mode, &self.throughput) {
            (Some(BillingMode::PayPerRequest), Some(_)) => {
                return invalid(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when \
                     BillingMode is PAY_PER_REQUEST"
                        .into(),
                )
            }
            (Some(BillingMode::Provisioned), None) => {
                return invalid(
                    "ProvisionedThroughput must be specified when BillingMode is PROVISIONED"
                        .into(),
                )
            }
            _ => {}
        }
        for (i, update) in self.index_updates.iter().enumerate() {
            let name = update.index_name();
            let member = match update {
                IndexUpdate::Create { .. } => "create",
                IndexUpdate::Update { .. } => "update",
                IndexUpdate::Delete { .. } => "delete",
            };
            let valid_chars = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !(3..=255).contains(&name.len()) || !valid_chars {
                return Err(Error::validation(format!(
                    "1 validation error detected: Value '{name}' at \
                     'globalSecondaryIndexUpdates.{}.member.{member}.indexName' failed to \
                     satisfy constraint: Member must satisfy regular expression pattern: \
                     [a-zA-Z0-9_.-]+ and have length between 3 and 255",
                    i + 1
                )));
            }
            if self.index_updates[..i]
                .iter()
                .any(|other| other.index_name() == name)
            {
                return invalid(format!(
                    "Only one global secondary index update per index is allowed \
                     simultaneously. Index: {name}"
                ));
            }
            match update {
                IndexUpdate::Create { index, throughput } => {
                    if index.local {
                        return invalid(format!(
                            "Local secondary indexes can only be created with the table; \
                             {name} is local"
                        ));
                    }
                    if let Some(sort) = &index.sort_key {
                        if sort.name == index.partition_key.name {
                            return invalid(format!(
                                "Invalid KeySchema of index {name}: the partition and sort keys \
                                 must be different attributes"
                            ));
                        }
                    }
                    if matches!(&index.projection, super::Projection::Include(a) if a.is_empty()) {
                        return invalid(format!(
                            "NonKeyAttributes must be specified with ProjectionType INCLUDE \
                             (index {name})"
                        ));
                    }
                    if let Some(throughput) = throughput {
                        throughput.validate(&format!(
                            "globalSecondaryIndexUpdates.{}.member.create.provisionedThroughput",
                            i + 1
                        ))?;
                    }
                }
                IndexUpdate::Update { throughput, .. } => {
                    throughput.validate(&format!(
                        "globalSecondaryIndexUpdates.{}.member.update.provisionedThroughput",
                        i + 1
                    ))?;
                }
                IndexUpdate::Delete { .. } => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{KeyAttribute, KeyType, Projection};

    fn gsi(name: &str) -> IndexDefinition {
        IndexDefinition::global(
            name,
            KeyAttribute::new("g", KeyType::S),
            None,
            Projection::All,
        )
    }

    fn error(request: UpdateTable) -> String {
        request.validate().unwrap_err().to_string()
    }

    #[test]
    fn something_must_change() {
        assert!(error(UpdateTable::new("t")).contains("At least one of ProvisionedThroughput"));
        assert!(UpdateTable::new("t")
            .with_deletion_protection(true)
            .validate()
            .is_ok());
        assert!(UpdateTable::new("t")
            .with_billing_mode(BillingMode::PayPerRequest)
            .validate()
            .is_ok());
    }

    #[test]
    fn throughput_goes_with_provisioned_billing() {
        let both = UpdateTable::new("t")
            .with_billing_mode(BillingMode::PayPerRequest)
            .with_throughput(Throughput::new(5, 5));
        assert!(error(both).contains("Neither ReadCapacityUnits nor WriteCapacityUnits"));
        let none = UpdateTable::new("t").with_billing_mode(BillingMode::Provisioned);
        assert!(error(none).contains("ProvisionedThroughput must be specified"));
        let zero = UpdateTable::new("t").with_throughput(Throughput::new(0, 5));
        assert!(error(zero).contains("greater than or equal to 1"));
        assert!(UpdateTable::new("t")
            .with_billing_mode(BillingMode::Provisioned)
            .with_throughput(Throughput::new(5, 5))
            .validate()
            .is_ok());
    }

    #[test]
    fn index_changes_are_checked() {
        let twice = UpdateTable::new("t")
            .with_create_index(gsi("gsi1"))
            .with_delete_index("gsi1");
        assert!(error(twice).contains("Only one global secondary index update per index"));
        let mut local = gsi("lsi1");
        local.local = true;
        assert!(error(UpdateTable::new("t").with_create_index(local)).contains("Local"));
        assert!(error(UpdateTable::new("t").with_delete_index("ab")).contains("indexName"));
        let mut include = gsi("inc");
        include.projection = Projection::Include(vec![]);
        assert!(error(UpdateTable::new("t").with_create_index(include)).contains("INCLUDE"));
        let bad_throughput = UpdateTable::new("t").with_index_update(IndexUpdate::Update {
            name: "gsi1".into(),
            throughput: Throughput::new(1, 0),
        });
        assert!(error(bad_throughput)
            .contains("globalSecondaryIndexUpdates.1.member.update.provisionedThroughput"));
        // Two creations pass here: that limit is the service's (LimitExceededException).
        assert!(UpdateTable::new("t")
            .with_create_index(gsi("one"))
            .with_create_index(gsi("two"))
            .validate()
            .is_ok());
    }
}
