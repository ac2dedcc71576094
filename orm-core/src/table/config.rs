//! A table's settings: the attribute layout ([`TableConfig`]: key, index-key, entity and
//! schema-version attribute names) and behaviour (consistent reads, cursor sealing, batches).

use crate::capacity::CapacityMode;
use crate::key::Key;
use crate::model::Schema;
use crate::name_signature::{signature_bit, signature_bit_of};
use crate::value::Item;
use rand::Rng;
use std::fmt;
use std::time::Duration;

/// The attribute layout and behaviour settings of a [`Table`](crate::Table).
#[derive(Clone, PartialEq, Eq)]
pub struct TableConfig {
    /// The partition-key attribute (default `pk`).
    pub partition_key: String,
    /// The sort-key attribute (default `sk`).
    pub sort_key: String,
    /// The attribute holding each item's entity name (default `__entity`).
    pub entity_attribute: String,
    /// The attribute holding each item's schema version (default `__schema`); written for
    /// models with `#[model(schema_version = N)]` above 1, absent meaning version 1.
    pub schema_attribute: String,
    /// The secret cursors are sealed with (encrypted and authenticated, AES-256-GCM-SIV); plain
    /// cursors are refused when set. Without it a cursor is the last key in clear (see
    /// [`crate::cursor`]). Use at least 32 random bytes.
    pub cursor_secret: Option<Vec<u8>>,
    /// Earlier secrets whose cursors still open (secret rotation): `cursor_secret` seals, these
    /// only open.
    pub previous_cursor_secrets: Vec<Vec<u8>>,
    /// Refuse plain cursors even without a secret: a query that would hand one out fails with
    /// `Error::Validation`, and a plain cursor is `Error::InvalidCursor`. For deployments that
    /// must never expose keys in cursors.
    pub require_cursor_secret: bool,
    /// Strongly consistent reads for `get`/`find`/`exists`/queries by default.
    pub consistent_reads: bool,
    /// Batch settings (chunk concurrency, retries).
    pub batch: BatchConfig,
    /// Ask for the consumed capacity of every request, in this mode, and total it in the
    /// table's [meter](crate::Table::capacity) (`None`, the default: ask for nothing; see
    /// [`crate::capacity`]).
    pub capacity: Option<CapacityMode>,
}

/// How batches are chunked, parallelised and retried: the [`TableConfig::batch`] part of a
/// table's settings, used by [`crate::batch`] (which re-exports it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchConfig {
    /// How many chunk requests may be in flight at once.
    pub concurrency: usize,
    /// Attempts per chunk (the first try included) before giving up on what is left.
    pub max_attempts: u32,
    /// The first retry's maximum delay; doubles each attempt (full jitter picks 0..=delay).
    pub base_delay: Duration,
    /// The cap on one retry's delay.
    pub max_delay: Duration,
    /// The cap on the total time spent retrying one chunk.
    pub max_elapsed: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            concurrency: 8,
            max_attempts: 10,
            base_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl BatchConfig {
    /// The delay before retry number `attempt` (1-based): uniform in `0..=min(max, base * 2^(attempt-1))`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(
            1u32.checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let cap = exp.min(self.max_delay);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::thread_rng().gen_range(0..=nanos))
    }
}

impl fmt::Debug for TableConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableConfig")
            .field("partition_key", &self.partition_key)
            .field("sort_key", &self.sort_key)
            .field("entity_attribute", &self.entity_attribute)
            .field("schema_attribute", &self.schema_attribute)
            .field(
                "cursor_secret",
                &self.cursor_secret.as_ref().map(|_| "<secret>"),
            )
            .field(
                "previous_cursor_secrets",
                &self.previous_cursor_secrets.len(),
            )
            .field("require_cursor_secret", &self.require_cursor_secret)
            .field("consistent_reads", &self.consistent_reads)
            .field("batch", &self.batch)
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Default for TableConfig {
    fn default() -> Self {
        TableConfig {
            partition_key: "pk".into(),
            sort_key: "sk".into(),
            entity_attribute: "__entity".into(),
            schema_attribute: "__schema".into(),
            cursor_secret: None,
            previous_cursor_secrets: Vec::new(),
            require_cursor_secret: false,
            consistent_reads: false,
            batch: BatchConfig::default(),
            capacity: None,
        }
    }
}

impl TableConfig {
    /// The primary key of `item`: its partition and sort key attributes (those it has).
    pub fn key_of(&self, item: &Item) -> Item {
        item.project(&[self.partition_key.as_str(), self.sort_key.as_str()])
    }

    /// The primary key of `item` as a [`Key`] (its partition and, if present, sort key
    /// attribute); `None` if it has no partition key attribute (an item read with a projection).
    pub fn key_from_item(&self, item: &Item) -> Option<Key> {
        Some(Key {
            partition: item.get(&self.partition_key)?.clone(),
            sort: item.get(&self.sort_key).cloned(),
        })
    }

    /// The key attributes of `item`, rendered for messages (`pk=USER#1, sk=PROFILE`).
    pub(crate) fn describe_key(&self, item: &Item) -> String {
        crate::error::key_text(&self.key_from_item(item))
    }

    /// The partition-key attribute of a global index (`<index>pk`).
    pub fn index_partition_key(&self, index: &str) -> String {
        suffixed(index, "pk")
    }

    /// The sort-key attribute of an index (`<index>sk`).
    pub fn index_sort_key(&self, index: &str) -> String {
        suffixed(index, "sk")
    }

    /// Whether `name` is an attribute the table layout adds to items of `schema` (keys, index
    /// keys, entity name, schema version) rather than one of the model's fields.
    pub(crate) fn is_layout_attribute(&self, schema: &Schema, name: &str) -> bool {
        self.layout_attribute(schema, name).is_some()
    }

    /// Which attribute the table layout adds to items of `schema` `name` is, if it is one
    /// ([`TableConfig::is_layout_attribute`]).
    pub(crate) fn layout_attribute(&self, schema: &Schema, name: &str) -> Option<LayoutAttribute> {
        Some(if name == self.partition_key {
            LayoutAttribute::PartitionKey
        } else if name == self.sort_key {
            LayoutAttribute::SortKey
        } else if name == self.entity_attribute {
            LayoutAttribute::Entity
        } else if name == self.schema_attribute {
            LayoutAttribute::SchemaVersion
        } else if schema
            .indexes
            .iter()
            .any(|i| TableConfig::is_index_attribute(i.name, name, !i.local))
        {
            LayoutAttribute::IndexKey
        } else {
            return None;
        })
    }

    /// The signatures of the table's own layout attributes (keys, entity name, schema version)
    /// for [`TableConfig::layout_names`], which a [`Layout`](super::Layout) keeps.
    pub(crate) fn layout_signatures(&self) -> u64 {
        signature_bit(&self.entity_attribute)
            | signature_bit(&self.schema_attribute)
            | signature_bit(&self.partition_key)
            | signature_bit(&self.sort_key)
    }

    /// The layout attributes of items of `schema` in this table, to tell them from the model's
    /// fields as an item's attributes go by (what [`TableConfig::is_layout_attribute`] answers,
    /// at a glance for most names); `signatures` are the table's
    /// ([`TableConfig::layout_signatures`]).
    #[inline]
    pub(crate) fn layout_names<'a>(
        &'a self,
        schema: &'a Schema,
        signatures: u64,
    ) -> LayoutNames<'a> {
        let mut signatures = signatures;
        for index in schema.indexes {
            // `<index>pk` and `<index>sk`: the same length, first and last byte.
            signatures |= match index.name.as_bytes().first() {
                Some(&first) => signature_bit_of(index.name.len() + 2, first, b'k'),
                None => signature_bit_of(2, b'p', b'k') | signature_bit_of(2, b's', b'k'),
            };
        }
        LayoutNames {
            config: self,
            schema,
            signatures,
        }
    }

    /// Whether `name` is the partition-key (`<index>pk`, when `partition`) or sort-key
    /// (`<index>sk`) attribute of `index`: the names above, compared without allocating.
    fn is_index_attribute(index: &str, name: &str, partition: bool) -> bool {
        name.len() == index.len() + 2
            && name.starts_with(index)
            && (name.ends_with("sk") || (partition && name.ends_with("pk")))
    }
}

/// The layout attributes of one model's items in one table ([`TableConfig::layout_names`]): a
/// name is compared with them only if one of them has its signature (its length, first and last
/// byte, folded into one of 64 bits), so most of a model's fields are told apart by one bit test,
/// without comparing text.
#[derive(Clone, Copy)]
pub(crate) struct LayoutNames<'a> {
    config: &'a TableConfig,
    schema: &'a Schema,
    /// Bit `n` set: some layout attribute's signature is `n`.
    signatures: u64,
}

impl LayoutNames<'_> {
    /// Whether `name` is one of the layout attributes.
    #[inline]
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }

    /// Which layout attribute `name` is, if it is one.
    #[inline]
    pub(crate) fn attribute(&self, name: &str) -> Option<LayoutAttribute> {
        if self.signatures & signature_bit(name) == 0 {
            return None;
        }
        self.config.layout_attribute(self.schema, name)
    }
}

/// The attributes the table layout adds to a model's items ([`TableConfig::layout_attribute`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LayoutAttribute {
    /// The table's partition key (`pk`).
    PartitionKey,
    /// The table's sort key (`sk`).
    SortKey,
    /// The entity name (`__entity`).
    Entity,
    /// The schema version (`__schema`).
    SchemaVersion,
    /// An index's partition or sort key (`gsi1pk`, `gsi1sk`).
    IndexKey,
}

/// `name` followed by `suffix`, allocated once at its length (every item written names its
/// index keys).
#[inline]
fn suffixed(name: &str, suffix: &str) -> String {
    let mut s = String::with_capacity(name.len() + suffix.len());
    s.push_str(name);
    s.push_str(suffix);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Projection;
    use crate::model::IndexSchema;

    const fn index(name: &'static str, local: bool) -> IndexSchema {
        IndexSchema {
            name,
            local,
            partition_key: None,
            sort_key: None,
            partition_attributes: &[],
            sort_attributes: &[],
            projection: Projection::All,
            when: None,
        }
    }

    /// The signature test only skips comparisons: it answers what `is_layout_attribute` does,
    /// for the default names, renamed ones, local and global indexes, and names that share a
    /// layout attribute's length, first or last byte.
    #[test]
    fn layout_names_answer_as_is_layout_attribute() {
        static INDEXES: [IndexSchema; 3] =
            [index("gsi1", false), index("lsi1", true), index("", false)];
        let schema = Schema {
            indexes: &INDEXES,
            ..Schema::new("Order")
        };
        let renamed = TableConfig {
            partition_key: "PK".into(),
            sort_key: "a-very-long-sort-key-attribute-name-of-more-than-63-bytes-in-all".into(),
            entity_attribute: "type".into(),
            schema_attribute: "é".into(),
            ..TableConfig::default()
        };
        let names = [
            "",
            "p",
            "k",
            "pk",
            "sk",
            "pK",
            "PK",
            "px",
            "__entity",
            "__schema",
            "__entitY",
            "order_id",
            "quantity",
            "discount",
            "gsi1pk",
            "gsi1sk",
            "gsi1xk",
            "gsi2pk",
            "region",
            "lsi1pk",
            "lsi1sk",
            "type",
            "typo",
            "é",
            "e",
            "a-very-long-sort-key-attribute-name-of-more-than-63-bytes-in-all",
            "a-very-long-sort-key-attribute-name-of-more-than-63-bytes-in-alL",
            "customer_id",
        ];
        for config in [TableConfig::default(), renamed] {
            let layout = config.layout_names(&schema, config.layout_signatures());
            for name in names {
                assert_eq!(
                    layout.contains(name),
                    config.is_layout_attribute(&schema, name),
                    "{name:?} with {:?}",
                    config.partition_key
                );
                assert_eq!(
                    layout.attribute(name),
                    config.layout_attribute(&schema, name),
                    "{name:?} with {:?}",
                    config.partition_key
                );
            }
        }
        // The test is not vacuous: some names are layout attributes, some are not.
        let config = TableConfig::default();
        let layout = config.layout_names(&schema, config.layout_signatures());
        assert!(layout.contains("gsi1sk"));
        assert!(layout.contains("lsi1sk"));
        assert!(!layout.contains("lsi1pk"));
        assert!(!layout.contains("order_id"));
        for (name, attribute) in [
            ("pk", LayoutAttribute::PartitionKey),
            ("sk", LayoutAttribute::SortKey),
            ("__entity", LayoutAttribute::Entity),
            ("__schema", LayoutAttribute::SchemaVersion),
            ("gsi1pk", LayoutAttribute::IndexKey),
        ] {
            assert_eq!(layout.attribute(name), Some(attribute), "{name}");
        }
    }
}
