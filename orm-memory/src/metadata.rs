//! What the engine keeps about a table beside its items and shape: its identity (id, creation
//! time), its settings (billing mode, provisioned throughput, stream, table class, deletion
//! protection, time to live, tags), and the description DescribeTable reports of it
//! ([`TableDescription`]).
//!
//! One owner: MemoryBackend holds these per table; the server reads and changes them through
//! MemoryBackend's methods, and in-process users see the same (a TTL enabled over the wire is the
//! one [`MemoryBackend::purge_expired`](crate::MemoryBackend::purge_expired) uses).

use orm_core::backend::{
    BillingMode, IndexDefinition, StreamSpecification, StreamViewType, TableClass, TableDefinition,
    Throughput,
};
use orm_core::{Error, Result};
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// DynamoDB's limit on tags per table (`aws:` tags aside).
pub const MAX_TAGS: usize = 50;
/// DynamoDB's limit on a tag key's length, in characters.
pub const MAX_TAG_KEY_CHARS: usize = 128;
/// DynamoDB's limit on a tag value's length, in characters.
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// A table's status, as DescribeTable reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableStatus {
    /// Just created (only the CreateTable answer says so: tables are usable at once).
    Creating,
    /// An UpdateTable is in progress.
    Updating,
    /// Ready.
    Active,
    /// Being deleted (only the DeleteTable answer says so: the table is gone at once).
    Deleting,
}

impl TableStatus {
    /// DynamoDB's name: `CREATING`, `UPDATING`, `ACTIVE` or `DELETING`.
    pub fn as_str(self) -> &'static str {
        match self {
            TableStatus::Creating => "CREATING",
            TableStatus::Updating => "UPDATING",
            TableStatus::Active => "ACTIVE",
            TableStatus::Deleting => "DELETING",
        }
    }
}

/// A secondary index's status, as DescribeTable reports it (local indexes are always
/// [`IndexStatus::Active`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexStatus {
    /// Being created and backfilled: it cannot be read yet.
    Creating,
    /// Its provisioned throughput is being changed.
    Updating,
    /// Ready.
    Active,
    /// Being deleted: it is no longer read nor written.
    Deleting,
}

impl IndexStatus {
    /// DynamoDB's name: `CREATING`, `UPDATING`, `ACTIVE` or `DELETING`.
    pub fn as_str(self) -> &'static str {
        match self {
            IndexStatus::Creating => "CREATING",
            IndexStatus::Updating => "UPDATING",
            IndexStatus::Active => "ACTIVE",
            IndexStatus::Deleting => "DELETING",
        }
    }
}

/// Provisioned throughput as DescribeTable reports it: the units (0 and 0 for an on-demand
/// table or index), and when they last went up and down.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ThroughputDescription {
    /// Read capacity units.
    pub read_capacity_units: u64,
    /// Write capacity units.
    pub write_capacity_units: u64,
    /// When either unit count last increased.
    pub last_increase: Option<SystemTime>,
    /// When either unit count last decreased.
    pub last_decrease: Option<SystemTime>,
    /// How many decreases there were this UTC day.
    pub decreases_today: u32,
}

/// A table's latest stream, as DescribeTable reports it (`LatestStreamArn`, `LatestStreamLabel`,
/// and `StreamSpecification` while it is enabled). A disabled stream stays the latest (its
/// records readable for 24 hours) until another is enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LatestStream {
    /// What each stream record holds.
    pub view_type: StreamViewType,
    /// The stream's label: when it was enabled (`2024-01-31T12:34:56.789`, UTC). With the table's
    /// name it makes the stream's ARN, `<table ARN>/stream/<label>`.
    pub label: String,
    /// Whether it records the table's changes (`false` once disabled).
    pub enabled: bool,
}

/// A secondary index, as DescribeTable reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexDescription {
    /// Its definition.
    pub definition: IndexDefinition,
    /// Its status.
    pub status: IndexStatus,
    /// Whether it is being backfilled with the items that were in the table when it was
    /// created (while [`IndexStatus::Creating`]).
    pub backfilling: bool,
    /// Its provisioned throughput (global indexes only).
    pub throughput: Option<ThroughputDescription>,
    /// How many items it holds.
    pub item_count: usize,
    /// The size of the items it holds (as projected), in DynamoDB's bytes.
    pub size_bytes: usize,
}

/// A table, as DescribeTable reports it:
/// [`MemoryBackend::table_description`](crate::MemoryBackend::table_description).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableDescription {
    /// Its definition: keys, indexes (those being deleted left out) and TTL attribute.
    pub definition: TableDefinition,
    /// Its status.
    pub status: TableStatus,
    /// Its id (a UUID, new each time a table of this name is created).
    pub id: String,
    /// When it was created.
    pub created: SystemTime,
    /// How it is billed.
    pub billing_mode: BillingMode,
    /// When it last switched to on demand, if it ever did after creation.
    pub pay_per_request_since: Option<SystemTime>,
    /// Its provisioned throughput (0 and 0 on demand).
    pub throughput: ThroughputDescription,
    /// Its latest stream, enabled or not (none if it never had one).
    pub latest_stream: Option<LatestStream>,
    /// Its table class.
    pub table_class: TableClass,
    /// Whether DeleteTable is refused.
    pub deletion_protection: bool,
    /// How many items it holds (exact, at once: DynamoDB refreshes its figure every six hours).
    pub item_count: usize,
    /// The size of its items, in DynamoDB's bytes (exact, at once).
    pub size_bytes: usize,
    /// Its secondary indexes, in definition order, then any being deleted.
    pub indexes: Vec<IndexDescription>,
}

/// The settings of a table being created, beside its [`TableDefinition`]:
/// [`MemoryBackend::create_table_with`](crate::MemoryBackend::create_table_with). The default is
/// what `Backend::create_table` gives: on demand, no stream, `STANDARD`, no deletion protection,
/// no tags.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableSettings {
    /// How it is billed.
    pub billing_mode: BillingMode,
    /// Its provisioned throughput (provisioned tables: required).
    pub throughput: Option<Throughput>,
    /// The provisioned throughput of each global index, by name (provisioned tables: one for
    /// each global index).
    pub index_throughput: BTreeMap<String, Throughput>,
    /// Its stream.
    pub streams: StreamSpecification,
    /// Its table class.
    pub table_class: TableClass,
    /// Whether DeleteTable is refused.
    pub deletion_protection: bool,
    /// Its tags.
    pub tags: Vec<(String, String)>,
}

impl Default for TableSettings {
    fn default() -> TableSettings {
        TableSettings {
            billing_mode: BillingMode::PayPerRequest,
            throughput: None,
            index_throughput: BTreeMap::new(),
            streams: StreamSpecification::Disabled,
            table_class: TableClass::Standard,
            deletion_protection: false,
            tags: Vec::new(),
        }
    }
}

impl TableSettings {
    /// Provisioned billing at `throughput` (global indexes: [`TableSettings::with_index_throughput`]).
    pub fn provisioned(throughput: Throughput) -> TableSettings {
        TableSettings {
            billing_mode: BillingMode::Provisioned,
            throughput: Some(throughput),
            ..TableSettings::default()
        }
    }

    /// Sets the provisioned throughput of global index `index`.
    pub fn with_index_throughput(
        mut self,
        index: impl Into<String>,
        throughput: Throughput,
    ) -> TableSettings {
        self.index_throughput.insert(index.into(), throughput);
        self
    }

    /// Sets the stream.
    pub fn with_streams(mut self, streams: StreamSpecification) -> TableSettings {
        self.streams = streams;
        self
    }

    /// Sets the table class.
    pub fn with_table_class(mut self, class: TableClass) -> TableSettings {
        self.table_class = class;
        self
    }

    /// Turns deletion protection on or off.
    pub fn with_deletion_protection(mut self, enabled: bool) -> TableSettings {
        self.deletion_protection = enabled;
        self
    }

    /// Adds a tag.
    pub fn with_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> TableSettings {
        self.tags.push((key.into(), value.into()));
        self
    }
}

/// The service's rejection of invalid input to `operation`.
pub(crate) fn invalid(operation: &str, message: impl Into<String>) -> Error {
    Error::service_validation(operation, message)
}

/// A provisioned throughput and when it last changed (the engine's record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ThroughputState {
    pub(crate) units: Throughput,
    pub(crate) last_increase: Option<SystemTime>,
    pub(crate) last_decrease: Option<SystemTime>,
    /// Decreases on the UTC day of `last_decrease`.
    pub(crate) decreases: u32,
}

/// Days since the epoch (UTC) of `t`.
fn day_of(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() / 86_400
}

impl ThroughputState {
    pub(crate) fn new(units: Throughput) -> ThroughputState {
        ThroughputState {
            units,
            last_increase: None,
            last_decrease: None,
            decreases: 0,
        }
    }

    /// Records a change to `units` at `now` (an increase of either count, a decrease of
    /// either, or both).
    pub(crate) fn change(&mut self, units: Throughput, now: SystemTime) {
        let old = self.units;
        if units.read_capacity_units > old.read_capacity_units
            || units.write_capacity_units > old.write_capacity_units
        {
            self.last_increase = Some(now);
        }
        if units.read_capacity_units < old.read_capacity_units
            || units.write_capacity_units < old.write_capacity_units
        {
            let same_day = self.last_decrease.is_some_and(|t| day_of(t) == day_of(now));
            self.decreases = if same_day { self.decreases + 1 } else { 1 };
            self.last_decrease = Some(now);
        }
        self.units = units;
    }

    pub(crate) fn describe(&self, now: SystemTime) -> ThroughputDescription {
        ThroughputDescription {
            read_capacity_units: self.units.read_capacity_units,
            write_capacity_units: self.units.write_capacity_units,
            last_increase: self.last_increase,
            last_decrease: self.last_decrease,
            decreases_today: match self.last_decrease {
                Some(t) if day_of(t) == day_of(now) => self.decreases,
                _ => 0,
            },
        }
    }
}

/// Everything the engine keeps about a table beside its items and shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableMetadata {
    pub(crate) id: String,
    pub(crate) created: SystemTime,
    /// The TTL attribute, while TTL is enabled.
    pub(crate) ttl: Option<String>,
    pub(crate) billing_mode: BillingMode,
    pub(crate) pay_per_request_since: Option<SystemTime>,
    /// The table's throughput (provisioned tables only).
    pub(crate) throughput: Option<ThroughputState>,
    /// Each global index's throughput (provisioned tables only).
    pub(crate) index_throughput: BTreeMap<String, ThroughputState>,
    /// The latest stream (set by [`crate::streams`] as it enables and disables streams).
    pub(crate) stream: Option<LatestStream>,
    pub(crate) table_class: TableClass,
    pub(crate) deletion_protection: bool,
    pub(crate) tags: BTreeMap<String, String>,
}

/// A new table id: a random (version 4 shaped) UUID.
pub(crate) fn new_table_id() -> String {
    let random = || {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    };
    let (a, b) = (random(), random());
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// Now, to the millisecond (what snapshot files keep of times).
pub(crate) fn now_ms() -> SystemTime {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    UNIX_EPOCH + Duration::from_millis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

impl TableMetadata {
    /// The metadata of a table created now from `definition` with `settings` (checked by
    /// [`TableMetadata::check_settings`]), without a stream yet: the caller enables the one
    /// `settings.streams` asks for.
    pub(crate) fn new(definition: &TableDefinition, settings: &TableSettings) -> TableMetadata {
        let now = now_ms();
        let provisioned = settings.billing_mode == BillingMode::Provisioned;
        TableMetadata {
            id: new_table_id(),
            created: now,
            ttl: definition.ttl_attribute.clone(),
            billing_mode: settings.billing_mode,
            pay_per_request_since: None,
            throughput: settings
                .throughput
                .filter(|_| provisioned)
                .map(ThroughputState::new),
            index_throughput: settings
                .index_throughput
                .iter()
                .filter(|_| provisioned)
                .map(|(name, t)| (name.clone(), ThroughputState::new(*t)))
                .collect(),
            // Enabled by the caller, who then records it here (`settings.streams`).
            stream: None,
            table_class: settings.table_class,
            deletion_protection: settings.deletion_protection,
            tags: settings.tags.iter().cloned().collect(),
        }
    }

    /// CreateTable's checks of the settings against the definition: throughput with
    /// provisioned billing (for the table and each global index) and none on demand, values
    /// in bounds, throughput only for indexes that exist, tags valid.
    pub(crate) fn check_settings(
        definition: &TableDefinition,
        settings: &TableSettings,
    ) -> Result<()> {
        const OP: &str = "CreateTable";
        let invalid_parameter = |m: String| {
            invalid(
                OP,
                format!("One or more parameter values were invalid: {m}"),
            )
        };
        let globals: Vec<&IndexDefinition> =
            definition.indexes.iter().filter(|i| !i.local).collect();
        if let Some(name) = settings
            .index_throughput
            .keys()
            .find(|name| !globals.iter().any(|g| &g.name == *name))
        {
            return Err(invalid_parameter(format!(
                "ProvisionedThroughput is given for index {name}, which is not a global \
                 secondary index of the table"
            )));
        }
        match settings.billing_mode {
            BillingMode::PayPerRequest => {
                if settings.throughput.is_some() {
                    return Err(invalid_parameter(
                        "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when \
                         BillingMode is PAY_PER_REQUEST"
                            .into(),
                    ));
                }
                if let Some(name) = settings.index_throughput.keys().next() {
                    return Err(invalid_parameter(format!(
                        "ProvisionedThroughput should not be specified for index: {name} when \
                         BillingMode is PAY_PER_REQUEST"
                    )));
                }
            }
            BillingMode::Provisioned => {
                let throughput = settings.throughput.ok_or_else(|| {
                    invalid_parameter(
                        "ReadCapacityUnits and WriteCapacityUnits must both be specified when \
                         BillingMode is PROVISIONED"
                            .into(),
                    )
                })?;
                service_checked(OP, throughput.validate("provisionedThroughput"))?;
                for index in &globals {
                    let throughput =
                        settings.index_throughput.get(&index.name).ok_or_else(|| {
                            invalid_parameter(format!(
                                "ProvisionedThroughput is not specified for index: {}",
                                index.name
                            ))
                        })?;
                    service_checked(
                        OP,
                        throughput.validate("globalSecondaryIndexes.member.provisionedThroughput"),
                    )?;
                }
            }
        }
        let mut tags = BTreeMap::new();
        check_tags(OP, &settings.tags, &mut tags)?;
        Ok(())
    }

    /// How DescribeTable reports the throughput of the table (`None`) or of a global index.
    pub(crate) fn throughput_of(
        &self,
        index: Option<&str>,
        now: SystemTime,
    ) -> ThroughputDescription {
        let state = match index {
            None => self.throughput.as_ref(),
            Some(name) => self.index_throughput.get(name),
        };
        match (self.billing_mode, state) {
            (BillingMode::Provisioned, Some(state)) => state.describe(now),
            // On demand: 0 and 0, but the record of past changes stays.
            (_, Some(state)) => ThroughputDescription {
                read_capacity_units: 0,
                write_capacity_units: 0,
                ..state.describe(now)
            },
            (_, None) => ThroughputDescription::default(),
        }
    }
}

/// A check made by orm-core (an `Error::Validation`) as the service's own.
fn service_checked(operation: &str, result: Result<()>) -> Result<()> {
    result.map_err(|e| match e {
        Error::Validation { message } => invalid(operation, message),
        other => other,
    })
}

/// DynamoDB's checks of tags being added, which are then merged into `tags` (a key given
/// again replaces its value): keys of 1 to 128 characters, values of at most 256, the
/// characters DynamoDB allows, no `aws:` prefix, at most 50 tags on the table afterwards.
pub(crate) fn check_tags(
    operation: &str,
    new: &[(String, String)],
    tags: &mut BTreeMap<String, String>,
) -> Result<()> {
    let allowed = |s: &str| {
        s.chars().all(|c| {
            c.is_alphanumeric()
                || c.is_whitespace()
                || matches!(c, '+' | '-' | '=' | '.' | '_' | ':' | '/' | '@')
        })
    };
    let mut merged = tags.clone();
    for (key, value) in new {
        let key_chars = key.chars().count();
        if !(1..=MAX_TAG_KEY_CHARS).contains(&key_chars) {
            return Err(invalid(
                operation,
                format!(
                    "1 validation error detected: Value '{key}' at 'tags.member.key' failed to \
                     satisfy constraint: Member must have length between 1 and \
                     {MAX_TAG_KEY_CHARS}"
                ),
            ));
        }
        if value.chars().count() > MAX_TAG_VALUE_CHARS {
            return Err(invalid(
                operation,
                format!(
                    "1 validation error detected: Value '{value}' at 'tags.member.value' failed \
                     to satisfy constraint: Member must have length less than or equal to \
                     {MAX_TAG_VALUE_CHARS}"
                ),
            ));
        }
        if !allowed(key) || !allowed(value) {
            return Err(invalid(
                operation,
                format!(
                    "Invalid tag: {key}={value}: tag keys and values may hold letters, digits, \
                     white space and + - = . _ : / @"
                ),
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid(
                operation,
                format!("Invalid tag key {key}: the aws: prefix is reserved for AWS"),
            ));
        }
        merged.insert(key.clone(), value.clone());
    }
    if merged.len() > MAX_TAGS {
        return Err(Error::backend(
            operation,
            false,
            crate::ServiceError::new(
                "LimitExceededException",
                format!(
                    "Too many tags: a table holds at most {MAX_TAGS} tags (this request would \
                     leave {})",
                    merged.len()
                ),
            ),
        ));
    }
    *tags = merged;
    Ok(())
}

/// Seconds since the epoch of `t`, as DynamoDB's JSON writes dates (for the wire server).
#[cfg(feature = "server")]
pub(crate) fn epoch_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as f64
        / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_ids_are_uuids_and_differ() {
        let a = new_table_id();
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
        assert_ne!(a, new_table_id());
    }

    #[test]
    fn throughput_changes_are_recorded() {
        let t0 = UNIX_EPOCH + Duration::from_secs(86_400 * 100);
        let mut state = ThroughputState::new(Throughput::new(5, 5));
        state.change(Throughput::new(10, 5), t0);
        assert_eq!(state.last_increase, Some(t0));
        state.change(Throughput::new(10, 4), t0 + Duration::from_secs(1));
        state.change(Throughput::new(9, 4), t0 + Duration::from_secs(2));
        let same_day = state.describe(t0 + Duration::from_secs(3));
        assert_eq!(same_day.decreases_today, 2);
        assert_eq!(same_day.read_capacity_units, 9);
        let next_day = state.describe(t0 + Duration::from_secs(86_400));
        assert_eq!(next_day.decreases_today, 0);
    }

    #[test]
    fn tags_are_checked_as_dynamodb_does() {
        let mut tags = BTreeMap::new();
        let tag = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        check_tags(
            "TagResource",
            &[tag("env", "test"), tag("a b", "x:y/z")],
            &mut tags,
        )
        .unwrap();
        assert_eq!(tags.len(), 2);
        for bad in [
            tag("", "v"),
            tag(&"k".repeat(129), "v"),
            tag("k", &"v".repeat(257)),
            tag("aws:owner", "v"),
            tag("k", "v;"),
        ] {
            assert!(
                check_tags("TagResource", std::slice::from_ref(&bad), &mut tags).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(tags.len(), 2, "a rejected request changes nothing");
        let many: Vec<(String, String)> = (0..49).map(|i| tag(&format!("k{i}"), "v")).collect();
        let err = check_tags("TagResource", &many, &mut tags).unwrap_err();
        assert!(err.to_string().contains("at most 50 tags"), "{err}");
        // The same key again replaces its value and does not count twice.
        check_tags("TagResource", &[tag("env", "prod")], &mut tags).unwrap();
        assert_eq!(tags["env"], "prod");
    }
}
