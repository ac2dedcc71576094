//! Managing tables: creating one with its settings, describing it, changing it (UpdateTable:
//! indexes created with a backfill or deleted, billing, throughput, streams, class,
//! protection), deleting it, its time to live and its tags. Every change takes the catalog's
//! write lock, so no request runs meanwhile, and checks everything before changing anything: a
//! refused request leaves the table as it was.

use crate::error::ServiceError;
use crate::metadata::{
    check_tags, invalid, now_ms, IndexStatus, TableDescription, TableMetadata, TableSettings,
    TableStatus, ThroughputState,
};
use crate::streams;
use crate::table::{Frozen, PendingChange, Table};
use crate::{service, table_named, table_not_found, MemoryBackend};
use orm_core::backend::{
    BillingMode, IndexDefinition, IndexUpdate, Limits, StreamSpecification, TableDefinition,
    UpdateTable,
};
use orm_core::{Error, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The longest TTL attribute name DynamoDB accepts.
const MAX_TTL_ATTRIBUTE_CHARS: usize = 255;

/// DynamoDB's error for a request that names a table being changed by `pending`.
fn in_use(operation: &str, table: &str, pending: &PendingChange) -> Error {
    let what = if pending.creating_index.is_some() {
        "Index is being created.".to_owned()
    } else if pending.deleting_index.is_some() {
        "Index is being deleted.".to_owned()
    } else {
        format!("Table is being updated: {table}")
    };
    Error::backend(
        operation,
        true,
        ServiceError::new(
            "ResourceInUseException",
            format!("Attempt to change a resource which is still in use: {what}"),
        ),
    )
}

/// `message` with DynamoDB's prefix for invalid parameter values.
fn invalid_parameter(operation: &str, message: impl std::fmt::Display) -> Error {
    invalid(
        operation,
        format!("One or more parameter values were invalid: {message}"),
    )
}

impl MemoryBackend {
    /// How long a change made by UpdateTable stays in progress: DescribeTable reports the table
    /// `UPDATING` and an index being created `CREATING` (with `Backfilling`; reading it is
    /// refused, as DynamoDB does) or being deleted `DELETING` until it has passed. Zero (the
    /// default): only the UpdateTable answer reports them, and the next DescribeTable finds
    /// the table and its indexes `ACTIVE`. Any delay suits waiters written for DynamoDB (they
    /// poll DescribeTable until `ACTIVE`); a longer one lets a test see the statuses.
    ///
    /// The index is backfilled at once either way, and the in-process
    /// [`Backend::update_table`](orm_core::Backend::update_table) completes the change before it
    /// returns, as DynamoBackend waits for it.
    pub fn set_status_delay(&self, delay: Duration) {
        let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
        self.state.status_delay.store(nanos, Ordering::Relaxed);
    }

    /// The delay [`MemoryBackend::set_status_delay`] set (zero by default).
    pub fn status_delay(&self) -> Duration {
        Duration::from_nanos(self.state.status_delay.load(Ordering::Relaxed))
    }

    /// Creates a table with `settings` (billing mode, throughput, stream, class, deletion
    /// protection, tags) beside its definition: DynamoDB's CreateTable. Returns the table as
    /// CreateTable's answer describes it (`CREATING`; it is usable at once, and DescribeTable
    /// reports it `ACTIVE`). `Backend::create_table` is this with the default settings.
    pub fn create_table_with(
        &self,
        definition: &TableDefinition,
        settings: &TableSettings,
    ) -> Result<TableDescription> {
        definition.validate()?;
        service("CreateTable", || {
            TableMetadata::check_settings(definition, settings)?;
            let metadata = TableMetadata::new(definition, settings);
            let frozen = Frozen::with_metadata(definition.clone(), Limits::default(), metadata)?;
            let mut tables = self.state.tables.write();
            if tables.contains_key(&definition.name) {
                return Err(Error::TableExists {
                    table: definition.name.clone(),
                    source: None,
                });
            }
            let table = Arc::new(Table::from_frozen(frozen));
            if let StreamSpecification::Enabled(view_type) = settings.streams {
                self.state.streams.enable(&table, view_type);
            }
            let mut description = table.describe(Some(Duration::ZERO));
            tables.insert(definition.name.clone(), table);
            description.status = TableStatus::Creating;
            for index in description.indexes.iter_mut() {
                if !index.definition.local {
                    index.status = IndexStatus::Creating;
                }
            }
            Ok(description)
        })
    }

    /// A table as DescribeTable reports it: definition (with its TTL attribute), status,
    /// settings, item count and size, and each index's status, item count and size (counts and
    /// sizes exact at once). `TableNotFound` if it does not exist.
    pub fn table_description(&self, table: &str) -> Result<TableDescription> {
        service("DescribeTable", || {
            let tables = self.catalog();
            Ok(table_named(&tables, table)?.describe(Some(self.status_delay())))
        })
    }

    /// Deletes a table, as DynamoDB's DeleteTable: refused while deletion protection is on.
    /// Returns the table as DeleteTable's answer describes it (`DELETING`; it is gone at once).
    pub fn delete_table_described(&self, table: &str) -> Result<TableDescription> {
        service("DeleteTable", || {
            let mut tables = self.state.tables.write();
            let live = tables.get(table).ok_or_else(|| table_not_found(table))?;
            if live.metadata().deletion_protection {
                return Err(invalid(
                    "DeleteTable",
                    format!(
                        "Resource cannot be deleted as it is currently protected against \
                         deletion. Disable deletion protection first. Table: {table}"
                    ),
                ));
            }
            let mut description = live.describe(Some(self.status_delay()));
            description.status = TableStatus::Deleting;
            // Its stream closes; its records stay readable for 24 hours.
            streams::disable(live);
            tables.remove(table);
            Ok(description)
        })
    }

    /// Changes a table as DynamoDB's UpdateTable does, and returns it as UpdateTable's answer
    /// describes it: `UPDATING`, an index being created `CREATING` with `Backfilling`, one
    /// being deleted `DELETING`. DescribeTable reports those statuses until the
    /// [status delay](MemoryBackend::set_status_delay) has passed.
    ///
    /// A created index is backfilled with the items already stored (those whose index key
    /// attributes are of the declared type and valid keys), at once. Checked as DynamoDB
    /// does, before anything changes: at most one index created or deleted, an index created
    /// under a new name with a throughput exactly when the table is provisioned, one deleted or
    /// updated that exists, a throughput that changes, no change while another is in progress
    /// (`ResourceInUseException`)...
    pub fn apply_table_update(&self, request: &UpdateTable) -> Result<TableDescription> {
        self.update_table_now(request, true)
    }

    /// UpdateTable; `in_progress` records the change as in progress (for the status delay), or
    /// not (the change complete).
    pub(crate) fn update_table_now(
        &self,
        request: &UpdateTable,
        in_progress: bool,
    ) -> Result<TableDescription> {
        const OP: &str = "UpdateTable";
        request.validate()?;
        service(OP, || {
            let index_changes = request
                .index_updates
                .iter()
                .filter(|u| u.is_create_or_delete())
                .count();
            if index_changes > 1 {
                return Err(Error::backend(
                    OP,
                    true,
                    ServiceError::new(
                        "LimitExceededException",
                        "Subscriber limit exceeded: Only 1 online index can be created or \
                         deleted simultaneously per table",
                    ),
                ));
            }
            let mut tables = self.state.tables.write();
            let table = tables
                .get(&request.table)
                .ok_or_else(|| table_not_found(&request.table))?;
            let delay = self.status_delay();
            if let Some(pending) = table.pending_within(delay) {
                return Err(in_use(OP, &request.table, pending));
            }
            let now = now_ms();
            let mut metadata = table.metadata().clone();
            let mut definition = table.schema.def.clone();
            let change = plan_update(request, &mut definition, &mut metadata, now)?;
            definition.validate()?;
            let pending = in_progress.then(|| PendingChange {
                at: Instant::now(),
                ..change
            });
            let stream = table.stream();
            let rebuilt = Arc::new(table.reshaped(definition, metadata, pending)?);
            // The stream follows the table into its rebuilt parts, then changes as asked.
            if let Some(stream) = &stream {
                streams::attach(&rebuilt, stream);
            }
            match request.streams {
                Some(StreamSpecification::Enabled(view_type)) => {
                    self.state.streams.enable(&rebuilt, view_type);
                }
                Some(StreamSpecification::Disabled) => {
                    streams::disable(&rebuilt);
                }
                None => {}
            }
            let description = rebuilt.describe(if in_progress {
                None
            } else {
                Some(Duration::ZERO)
            });
            tables.insert(request.table.clone(), rebuilt);
            Ok(description)
        })
    }

    /// Enables (`enabled`) or disables time to live on `attribute`: DynamoDB's
    /// UpdateTimeToLive. Expired items are then what
    /// [`MemoryBackend::purge_expired`] removes. Refused when TTL is already enabled (on any
    /// attribute) or already disabled, or to disable it on another attribute than its own.
    pub fn update_time_to_live(&self, table: &str, attribute: &str, enabled: bool) -> Result<()> {
        const OP: &str = "UpdateTimeToLive";
        service(OP, || {
            let length = attribute.chars().count();
            if !(1..=MAX_TTL_ATTRIBUTE_CHARS).contains(&length) {
                let constraint = if length == 0 {
                    "Member must have length greater than or equal to 1".to_owned()
                } else {
                    format!(
                        "Member must have length less than or equal to {MAX_TTL_ATTRIBUTE_CHARS}"
                    )
                };
                return Err(invalid(
                    OP,
                    format!(
                        "1 validation error detected: Value '{attribute}' at \
                         'timeToLiveSpecification.attributeName' failed to satisfy constraint: \
                         {constraint}"
                    ),
                ));
            }
            let tables = self.catalog();
            let live = table_named(&tables, table)?;
            let mut metadata = live.metadata();
            match (&metadata.ttl, enabled) {
                (Some(_), true) => {
                    return Err(invalid(OP, "TimeToLive is already enabled"));
                }
                (None, false) => {
                    return Err(invalid(OP, "TimeToLive is already disabled"));
                }
                (Some(current), false) if current != attribute => {
                    return Err(invalid(
                        OP,
                        format!("TimeToLive is enabled on attribute {current}, not {attribute}"),
                    ));
                }
                _ => {}
            }
            metadata.ttl = enabled.then(|| attribute.to_owned());
            Ok(())
        })
    }

    /// Adds tags to a table (a key it has already gets the new value): DynamoDB's
    /// TagResource, with its checks (at least one tag, keys of 1 to 128 characters, values of
    /// at most 256, DynamoDB's characters, no `aws:` prefix, at most 50 tags on the table).
    pub fn tag_table(&self, table: &str, tags: &[(String, String)]) -> Result<()> {
        const OP: &str = "TagResource";
        service(OP, || {
            if tags.is_empty() {
                return Err(invalid(
                    OP,
                    "Atleast one Tag needs to be provided as Input.",
                ));
            }
            let tables = self.catalog();
            let live = table_named(&tables, table)?;
            let mut metadata = live.metadata();
            check_tags(OP, tags, &mut metadata.tags)
        })
    }

    /// Removes tags from a table by key (keys it does not have are ignored): DynamoDB's
    /// UntagResource.
    pub fn untag_table(&self, table: &str, keys: &[String]) -> Result<()> {
        const OP: &str = "UntagResource";
        service(OP, || {
            if keys.is_empty() {
                return Err(invalid(
                    OP,
                    "Atleast one Tag Key needs to be provided as Input.",
                ));
            }
            if let Some(key) = keys
                .iter()
                .find(|k| !(1..=crate::metadata::MAX_TAG_KEY_CHARS).contains(&k.chars().count()))
            {
                return Err(invalid(
                    OP,
                    format!(
                        "1 validation error detected: Value '{key}' at 'tagKeys.member' failed \
                         to satisfy constraint: Member must have length between 1 and 128"
                    ),
                ));
            }
            let tables = self.catalog();
            let live = table_named(&tables, table)?;
            let mut metadata = live.metadata();
            for key in keys {
                metadata.tags.remove(key);
            }
            Ok(())
        })
    }

    /// A table's tags, sorted by key: DynamoDB's ListTagsOfResource.
    pub fn table_tags(&self, table: &str) -> Result<Vec<(String, String)>> {
        service("ListTagsOfResource", || {
            let tables = self.catalog();
            let live = table_named(&tables, table)?;
            let metadata = live.metadata();
            Ok(metadata
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect())
        })
    }
}

/// Checks an UpdateTable against the table (its `definition` and `metadata`, which it
/// changes) and returns the change in progress it makes. Nothing is applied when it fails: the
/// caller changes copies.
fn plan_update(
    request: &UpdateTable,
    definition: &mut TableDefinition,
    metadata: &mut TableMetadata,
    now: SystemTime,
) -> Result<PendingChange> {
    const OP: &str = "UpdateTable";
    let billing = request.billing_mode.unwrap_or(metadata.billing_mode);
    let switching = billing != metadata.billing_mode;
    if request.throughput.is_some() && billing == BillingMode::PayPerRequest {
        return Err(invalid_parameter(
            OP,
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode \
             is PAY_PER_REQUEST",
        ));
    }
    if let (Some(wanted), false) = (request.throughput, switching) {
        let current = metadata.throughput.as_ref().map(|t| t.units);
        if current == Some(wanted) {
            let current = current.unwrap_or(wanted);
            return Err(invalid(
                OP,
                format!(
                    "The provisioned throughput for the table will not change. The requested \
                     value equals the current value. Current ReadCapacityUnits provisioned for \
                     the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits \
                     provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to \
                     the Amazon DynamoDB Developer Guide for current limits and how to request \
                     higher limits.",
                    current.read_capacity_units,
                    wanted.read_capacity_units,
                    current.write_capacity_units,
                    wanted.write_capacity_units
                ),
            ));
        }
    }
    let mut change = PendingChange {
        at: Instant::now(),
        creating_index: None,
        deleting_index: None,
        updating_indexes: Vec::new(),
    };
    let global = |definition: &TableDefinition, name: &str| {
        definition
            .indexes
            .iter()
            .position(|i| i.name == name && !i.local)
    };
    let mut index_throughput = metadata.index_throughput.clone();
    for update in &request.index_updates {
        match update {
            IndexUpdate::Create { index, throughput } => {
                if definition.indexes.iter().any(|i| i.name == index.name) {
                    return Err(invalid_parameter(
                        OP,
                        format!("Index already exists: {}", index.name),
                    ));
                }
                match (billing, throughput) {
                    (BillingMode::Provisioned, None) => {
                        return Err(invalid_parameter(
                            OP,
                            format!(
                                "ProvisionedThroughput is not specified for index: {}",
                                index.name
                            ),
                        ))
                    }
                    (BillingMode::PayPerRequest, Some(_)) => {
                        return Err(invalid_parameter(
                            OP,
                            format!(
                                "ProvisionedThroughput should not be specified for index: {} \
                                 when BillingMode is PAY_PER_REQUEST",
                                index.name
                            ),
                        ))
                    }
                    (_, Some(t)) => {
                        index_throughput.insert(index.name.clone(), ThroughputState::new(*t));
                    }
                    (_, None) => {}
                }
                let mut index = index.clone();
                // An attribute the table already declares keeps its type (DynamoDB ignores a
                // declaration of it again).
                let keys = std::iter::once(&mut index.partition_key)
                    .chain(index.sort_key.as_mut())
                    .chain(&mut index.extra_partition_keys)
                    .chain(&mut index.extra_sort_keys);
                for key in keys {
                    if let Some(declared) = definition.key_attributes().find(|a| a.name == key.name)
                    {
                        key.key_type = declared.key_type;
                    }
                }
                change.creating_index = Some(index.name.clone());
                definition.indexes.push(index);
            }
            IndexUpdate::Delete { name } => {
                let position = global(definition, name).ok_or_else(|| Error::TableNotFound {
                    table: request.table.clone(),
                    source: Some(Box::new(ServiceError::new(
                        "ResourceNotFoundException",
                        format!(
                            "Requested resource not found: Index: {name} not found for table: {}",
                            request.table
                        ),
                    ))),
                })?;
                let removed: IndexDefinition = definition.indexes.remove(position);
                index_throughput.remove(name);
                change.deleting_index = Some(removed);
            }
            IndexUpdate::Update { name, throughput } => {
                if global(definition, name).is_none() {
                    return Err(invalid(
                        OP,
                        "This operation cannot be performed with given input values. Please \
                         contact DynamoDB service team for more info: Action Blocked: IndexUpdate",
                    ));
                }
                if billing == BillingMode::PayPerRequest {
                    return Err(invalid_parameter(
                        OP,
                        format!(
                            "ProvisionedThroughput should not be specified for index: {name} \
                             when BillingMode is PAY_PER_REQUEST"
                        ),
                    ));
                }
                index_throughput
                    .entry(name.clone())
                    .and_modify(|state| state.change(*throughput, now))
                    .or_insert_with(|| ThroughputState::new(*throughput));
                change.updating_indexes.push(name.clone());
            }
        }
    }
    if billing == BillingMode::Provisioned {
        if let Some(index) = definition
            .indexes
            .iter()
            .find(|i| !i.local && !index_throughput.contains_key(&i.name))
        {
            return Err(invalid_parameter(
                OP,
                format!(
                    "ProvisionedThroughput is not specified for index: {}",
                    index.name
                ),
            ));
        }
    }
    metadata.index_throughput = index_throughput;
    // Billing and the table's throughput.
    match (billing, request.throughput) {
        (BillingMode::PayPerRequest, _) if switching => {
            metadata.pay_per_request_since = Some(now);
        }
        (BillingMode::Provisioned, Some(units)) => match &mut metadata.throughput {
            Some(state) => state.change(units, now),
            None => metadata.throughput = Some(ThroughputState::new(units)),
        },
        _ => {}
    }
    metadata.billing_mode = billing;
    // Streams: checked here, enabled or disabled by the caller once the table is rebuilt.
    let stream_enabled = metadata.stream.as_ref().is_some_and(|s| s.enabled);
    match (request.streams, stream_enabled) {
        (Some(StreamSpecification::Enabled(_)), true) => {
            return Err(invalid(
                OP,
                format!(
                    "Table already has an enabled stream: TableName: {}",
                    request.table
                ),
            ));
        }
        (Some(StreamSpecification::Disabled), false) => {
            return Err(invalid(OP, "Table has no stream to disable"));
        }
        _ => {}
    }
    if let Some(class) = request.table_class {
        metadata.table_class = class;
    }
    if let Some(protection) = request.deletion_protection {
        metadata.deletion_protection = protection;
    }
    Ok(change)
}

#[cfg(test)]
mod tests;
