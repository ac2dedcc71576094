//! The layout report: a single-table design drawn from its models, for review.
//!
//! [`Report::of`] reads the models' [`Schema`]s (no table, no network) and describes:
//!
//! - an **entity chart**: each entity's key templates with an example key, its indexes (key
//!   templates, multi-attribute keys, computed segments, `when` predicates, projections), TTL,
//!   version and stamp attributes, and the collections it joins;
//! - the **access patterns** the keys support, with the key condition each query uses and
//!   example keys rendered from sample values;
//! - **index overloading**: which entities land in which partition shapes of the table and of
//!   each index (a multi-attribute key's shape is its list of attributes, `[customer, status]`);
//! - **warnings** a reviewer wants: entities whose keys can collide, an index of the table that
//!   no entity populates, integer key segments of different widths where entities share a
//!   partition, and constant partition keys (a hot partition).
//!
//! A stream is a table's setting (`UpdateTable`), not a model's, so the report has none; the
//! browser view of `dynamodb-memory --ui` shows a table's stream records.
//!
//! It renders as Markdown with a Mermaid diagram ([`Report::to_markdown`]), which GitHub and
//! most documentation sites draw, and as JSON ([`Report::to_json`]).
//!
//! ```
//! use orm_core::report::{Report, WarningKind};
//! use orm_core::{collection, Model};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Model, Serialize, Deserialize)]
//! #[model(entity = "Issue", pk = "ISSUE#{org}#{number}", sk = "ISSUE")]
//! struct Issue { org: String, number: u32 }
//!
//! #[derive(Model, Serialize, Deserialize)]
//! #[model(entity = "Comment", pk = "ISSUE#{org}#{number}", sk = "COMMENT#{seq}")]
//! struct Comment { org: String, number: u64, seq: u32 }
//!
//! collection! { enum Thread { Issue(Issue), Comment(Comment) } }
//!
//! let report = Report::builder()
//!     .models::<(Issue, Comment)>()
//!     .collection::<Thread>("Thread")
//!     .build();
//! // `u32` keys have 10 digits, `u64` keys 20: the thread query would miss the comments.
//! assert!(report.warnings.iter().any(|w| w.kind == WarningKind::IntegerWidths));
//! assert!(report.to_markdown().contains("```mermaid"));
//! ```

use crate::backend::KeyType;
use crate::backend::Projection;
use crate::error::Result;
use crate::key::{KeyTemplate, TemplatePart};
use crate::model::{FieldKind, IndexAttribute, IndexSchema, Model, Schema};
use crate::query::QueryTarget;
use crate::table::{ModelSet, TableConfig};
use crate::value::Value;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A layout report of a set of models: see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The attribute names of the table (`pk`, `sk`, `__entity`).
    pub attributes: Attributes,
    /// One chart row per entity, in the order the models were given.
    pub entities: Vec<EntityChart>,
    /// The reads the keys support, each one request.
    pub access_patterns: Vec<AccessPattern>,
    /// The table (`index: None`) and each index, with the partition shapes entities write there.
    pub overloading: Vec<IndexOverloading>,
    /// What a reviewer should look at.
    pub warnings: Vec<Warning>,
}

/// The key and entity attribute names a report renders conditions with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attributes {
    /// The partition-key attribute (`pk`).
    pub partition_key: String,
    /// The sort-key attribute (`sk`).
    pub sort_key: String,
    /// The entity attribute (`__entity`).
    pub entity: String,
}

/// One entity of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityChart {
    /// The entity name.
    pub entity: String,
    /// The partition-key template (`None` for hand-written key logic).
    pub partition_key: Option<String>,
    /// The sort-key template.
    pub sort_key: Option<String>,
    /// A key rendered from sample values (see [`ReportBuilder::sample`]).
    pub example: ExampleKey,
    /// The entity's indexes.
    pub indexes: Vec<IndexChart>,
    /// The TTL attribute.
    pub ttl: Option<String>,
    /// The optimistic-locking version attribute.
    pub version: Option<String>,
    /// The attribute stamped on create.
    pub created_at: Option<String>,
    /// The attribute stamped on every write.
    pub updated_at: Option<String>,
    /// The schema version (`#[model(schema_version = N)]`).
    pub schema_version: u32,
    /// The collections (given to [`ReportBuilder::collection`]) the entity is a member of.
    pub collections: Vec<String>,
}

/// A key rendered from sample values: string fields as `<field>1`, integers as 1 padded to
/// their width, computed segments as `<function(fields)>`, unless a sample model was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExampleKey {
    /// The partition key.
    pub partition: Option<String>,
    /// The sort key.
    pub sort: Option<String>,
}

/// One index of an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexChart {
    /// The index name.
    pub name: String,
    /// A local secondary index (the table's partition key).
    pub local: bool,
    /// The partition-key template (global template indexes).
    pub partition_key: Option<String>,
    /// The sort-key template.
    pub sort_key: Option<String>,
    /// A multi-attribute key's partition attributes, in key order (empty for a template index).
    pub partition_attributes: Vec<String>,
    /// A multi-attribute key's sort attributes, in key order.
    pub sort_attributes: Vec<String>,
    /// The `when` predicate, as written (`Self::is_open(status)`).
    pub when: Option<String>,
    /// Whether a key segment is computed by a function.
    pub computed: bool,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE a, b`.
    pub projection: String,
    /// The index key rendered from sample values (`None` parts: absent for the sample, or a
    /// multi-attribute key).
    pub example: ExampleKey,
    /// A multi-attribute key's attributes with sample values, written as in a key condition
    /// (`("status", "\"PLACED\"")`, `("round", "1")`), partition attributes first.
    pub example_attributes: Vec<(String, String)>,
}

/// A read the keys support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessPattern {
    /// What it reads, in words.
    pub name: String,
    /// The entities it returns.
    pub returns: Vec<String>,
    /// The index queried (`None`: the table).
    pub index: Option<String>,
    /// The operation: `GetItem` or `Query`.
    pub operation: String,
    /// The key condition with example values (`pk = "CUSTOMER#id1" AND begins_with(sk, "ORDER#")`).
    pub key_condition: String,
}

/// The partition shapes entities write to the table or to one index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexOverloading {
    /// The index (`None`: the table).
    pub index: Option<String>,
    /// The partition shapes, each with the entities in it.
    pub partitions: Vec<PartitionShape>,
}

/// A partition-key shape (`CUSTOMER#{}`: literal text with its fields left open) and the
/// entities whose items land in partitions of that shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionShape {
    /// The shape: the template with each field written `{}` (`{:8}` for a padded integer).
    pub shape: String,
    /// The entities, with their sort-key template there.
    pub entities: Vec<(String, Option<String>)>,
}

/// What a reviewer should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The kind of problem.
    pub kind: WarningKind,
    /// What is wrong and where, in words.
    pub message: String,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum WarningKind {
    /// Two entities whose primary keys can be equal: one could overwrite the other.
    KeyCollision,
    /// An index of the table that no model writes keys for.
    UnpopulatedIndex,
    /// Entities that share a partition shape pad an integer segment to different widths: their
    /// keys differ, and a query for one partition misses some of them.
    IntegerWidths,
    /// A partition key without fields: every item of the entity in one partition.
    HotPartition,
}

/// Builds a [`Report`]: the models, the collections read together, the indexes the table has
/// and sample values.
#[derive(Debug, Default)]
pub struct ReportBuilder {
    config: Option<TableConfig>,
    schemas: Vec<&'static Schema>,
    collections: Vec<(String, Vec<&'static str>)>,
    table_indexes: Option<Vec<String>>,
    samples: BTreeMap<&'static str, SampleKeys>,
}

#[derive(Debug, Clone)]
struct SampleKeys {
    primary: ExampleKey,
    indexes: BTreeMap<&'static str, ExampleKey>,
    /// The model's attributes, for multi-attribute index keys.
    item: crate::Item,
}

impl Report {
    /// The report of the models `S` (a model or a tuple of models, as for
    /// [`Table::create_table`](crate::Table::create_table)), with the default attribute names.
    pub fn of<S: ModelSet>() -> Report {
        ReportBuilder::default().models::<S>().build()
    }

    /// A builder, for collections, the table's indexes and sample values.
    pub fn builder() -> ReportBuilder {
        ReportBuilder::default()
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes to JSON")
    }

    /// The report as Markdown: the entity chart, the access patterns, index overloading, a
    /// Mermaid diagram and the warnings.
    pub fn to_markdown(&self) -> String {
        markdown(self)
    }
}

impl ReportBuilder {
    /// The attribute names of `config` instead of the defaults.
    pub fn config(mut self, config: &TableConfig) -> Self {
        self.config = Some(config.clone());
        self
    }

    /// Adds the models `S` (a model or a tuple of models).
    pub fn models<S: ModelSet>(mut self) -> Self {
        for schema in S::schemas() {
            if !self.schemas.iter().any(|s| s.entity == schema.entity) {
                self.schemas.push(schema);
            }
        }
        self
    }

    /// Adds a collection (an enum made with [`collection!`](crate::collection)) under `name`:
    /// its members are read together, so they must share partition shapes and integer widths.
    pub fn collection<C: QueryTarget>(mut self, name: &str) -> Self {
        let schemas = C::schemas();
        for schema in &schemas {
            if !self.schemas.iter().any(|s| s.entity == schema.entity) {
                self.schemas.push(schema);
            }
        }
        self.collections
            .push((name.to_owned(), schemas.iter().map(|s| s.entity).collect()));
        self
    }

    /// The secondary indexes the table has (from `describe_table`, or planned): each one that
    /// no model writes keys for is a warning.
    pub fn table_indexes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.table_indexes = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Renders `model`'s keys as the entity's example keys (instead of generated sample
    /// values).
    ///
    /// # Errors
    ///
    /// The model's key derivation errors (a key field holding the delimiter...).
    pub fn sample<M: Model>(mut self, model: &M) -> Result<Self> {
        let schema = M::schema();
        let primary = model.primary_key()?;
        let text = |v: &Value| match v {
            Value::S(s) => s.clone(),
            other => other.to_string(),
        };
        let mut indexes = BTreeMap::new();
        for index in schema.indexes {
            let key = model.index_key(index.name)?;
            indexes.insert(
                index.name,
                ExampleKey {
                    partition: key.as_ref().map(|k| text(&k.partition)),
                    sort: key.as_ref().and_then(|k| k.sort.as_ref()).map(text),
                },
            );
        }
        self.samples.insert(
            schema.entity,
            SampleKeys {
                primary: ExampleKey {
                    partition: Some(text(&primary.partition)),
                    sort: primary.sort.as_ref().map(text),
                },
                indexes,
                item: crate::serde_bridge::to_item(model)?,
            },
        );
        Ok(self.models::<M>())
    }

    /// The report.
    pub fn build(self) -> Report {
        let config = self.config.clone().unwrap_or_default();
        let attributes = Attributes {
            partition_key: config.partition_key.clone(),
            sort_key: config.sort_key.clone(),
            entity: config.entity_attribute.clone(),
        };
        let entities: Vec<EntityChart> = self
            .schemas
            .iter()
            .map(|schema| self.chart(schema))
            .collect();
        let access_patterns = self.access_patterns(&config, &entities);
        let overloading = self.overloading();
        let warnings = self.warnings();
        Report {
            attributes,
            entities,
            access_patterns,
            overloading,
            warnings,
        }
    }

    fn chart(&self, schema: &'static Schema) -> EntityChart {
        let sample = self.samples.get(schema.entity);
        let example = sample.map_or_else(
            || ExampleKey {
                partition: schema.partition_key.map(|t| sample_key(&t, schema)),
                sort: schema.sort_key.map(|t| sample_key(&t, schema)),
            },
            |s| s.primary.clone(),
        );
        let indexes = schema
            .indexes
            .iter()
            .map(|index| {
                let generated = if index.is_multi_attribute() {
                    ExampleKey {
                        partition: None,
                        sort: None,
                    }
                } else {
                    ExampleKey {
                        partition: match index.partition_key {
                            Some(t) => Some(sample_key(&t, schema)),
                            None => example.partition.clone(),
                        },
                        sort: index.sort_key.map(|t| sample_key(&t, schema)),
                    }
                };
                let names = |attributes: &[IndexAttribute]| -> Vec<String> {
                    attributes.iter().map(|a| a.attribute.to_owned()).collect()
                };
                IndexChart {
                    name: index.name.to_owned(),
                    local: index.local,
                    partition_key: index.partition_key.map(|t| t.text.to_owned()),
                    sort_key: index.sort_key.map(|t| t.text.to_owned()),
                    partition_attributes: names(index.partition_attributes),
                    sort_attributes: names(index.sort_attributes),
                    when: index
                        .when
                        .map(|w| format!("{}({})", w.function, w.fields.join(", "))),
                    computed: index
                        .partition_key
                        .iter()
                        .chain(index.sort_key.iter())
                        .any(KeyTemplate::is_computed),
                    projection: match &index.projection {
                        Projection::All => "ALL".to_owned(),
                        Projection::KeysOnly => "KEYS_ONLY".to_owned(),
                        Projection::Include(names) => format!("INCLUDE {}", names.join(", ")),
                    },
                    example: sample
                        .and_then(|s| s.indexes.get(index.name).cloned())
                        .unwrap_or(generated),
                    example_attributes: index
                        .partition_attributes
                        .iter()
                        .chain(index.sort_attributes)
                        .map(|a| {
                            let value = sample
                                .and_then(|s| s.item.0.get(a.attribute))
                                .map_or_else(|| sample_attribute(a), condition_literal);
                            (a.attribute.to_owned(), value)
                        })
                        .collect(),
                }
            })
            .collect();
        EntityChart {
            entity: schema.entity.to_owned(),
            partition_key: schema.partition_key.map(|t| t.text.to_owned()),
            sort_key: schema.sort_key.map(|t| t.text.to_owned()),
            example,
            indexes,
            ttl: schema.ttl.map(str::to_owned),
            version: schema.version.map(str::to_owned),
            created_at: schema.created_at.map(str::to_owned),
            updated_at: schema.updated_at.map(str::to_owned),
            schema_version: schema.schema_version,
            collections: self
                .collections
                .iter()
                .filter(|(_, members)| members.contains(&schema.entity))
                .map(|(name, _)| name.clone())
                .collect(),
        }
    }

    fn access_patterns(&self, config: &TableConfig, charts: &[EntityChart]) -> Vec<AccessPattern> {
        let mut out = Vec::new();
        for (schema, chart) in self.schemas.iter().zip(charts) {
            let entity = schema.entity;
            let (Some(pk), Some(pk_example)) = (schema.partition_key, &chart.example.partition)
            else {
                continue;
            };
            let partition = format!("{} = {pk_example:?}", config.partition_key);
            match (schema.sort_key, &chart.example.sort) {
                (Some(sk), Some(sk_example)) => {
                    out.push(AccessPattern {
                        name: format!("one {entity} by its key"),
                        returns: vec![entity.to_owned()],
                        index: None,
                        operation: "GetItem".into(),
                        key_condition: format!(
                            "{partition} AND {} = {sk_example:?}",
                            config.sort_key
                        ),
                    });
                    if sk.fields().next().is_some() {
                        out.push(AccessPattern {
                            name: format!("the {entity} items of one `{}` partition", pk.text),
                            returns: vec![entity.to_owned()],
                            index: None,
                            operation: "Query".into(),
                            key_condition: with_prefix(&partition, &config.sort_key, &sk),
                        });
                    }
                }
                _ => out.push(AccessPattern {
                    name: format!("one {entity} by its key"),
                    returns: vec![entity.to_owned()],
                    index: None,
                    operation: "GetItem".into(),
                    key_condition: partition.clone(),
                }),
            }
            for (index, index_chart) in schema.indexes.iter().zip(&chart.indexes) {
                if index.is_multi_attribute() {
                    out.extend(multi_attribute_patterns(entity, index, index_chart));
                    continue;
                }
                let pk_attr = if index.local {
                    config.partition_key.clone()
                } else {
                    config.index_partition_key(index.name)
                };
                let Some(pk_example) = &index_chart.example.partition else {
                    continue;
                };
                let partition = format!("{pk_attr} = {pk_example:?}");
                let key_condition = match index.sort_key {
                    Some(sk) => with_prefix(&partition, &config.index_sort_key(index.name), &sk),
                    None => partition,
                };
                let mut name = format!("{entity} by `{}`", index.name);
                if let Some(when) = &index_chart.when {
                    let _ = write!(name, " (only while {when})");
                }
                out.push(AccessPattern {
                    name,
                    returns: vec![entity.to_owned()],
                    index: Some(index.name.to_owned()),
                    operation: "Query".into(),
                    key_condition,
                });
            }
        }
        for (name, members) in &self.collections {
            let first = self.schemas.iter().find(|s| members.contains(&s.entity));
            let Some(example) = first.and_then(|s| {
                charts
                    .iter()
                    .find(|c| c.entity == s.entity)
                    .and_then(|c| c.example.partition.clone())
            }) else {
                continue;
            };
            out.push(AccessPattern {
                name: format!("the collection {name}: one partition, every member"),
                returns: members.iter().map(|m| (*m).to_owned()).collect(),
                index: None,
                operation: "Query".into(),
                key_condition: format!("{} = {example:?}", config.partition_key),
            });
        }
        out
    }

    fn overloading(&self) -> Vec<IndexOverloading> {
        let mut by_index: BTreeMap<Option<&str>, Shapes> = BTreeMap::new();
        for schema in &self.schemas {
            if let Some(pk) = schema.partition_key {
                by_index
                    .entry(None)
                    .or_default()
                    .entry(shape(&pk))
                    .or_default()
                    .push((
                        schema.entity.to_owned(),
                        schema.sort_key.map(|t| t.text.to_owned()),
                    ));
            }
            for index in schema.indexes {
                let (partition, sort) = if index.is_multi_attribute() {
                    (
                        attribute_list(index.partition_attributes),
                        (!index.sort_attributes.is_empty())
                            .then(|| attribute_list(index.sort_attributes)),
                    )
                } else {
                    let Some(pk) = index.partition_key.or(schema.partition_key) else {
                        continue;
                    };
                    (shape(&pk), index.sort_key.map(|t| t.text.to_owned()))
                };
                by_index
                    .entry(Some(index.name))
                    .or_default()
                    .entry(partition)
                    .or_default()
                    .push((schema.entity.to_owned(), sort));
            }
        }
        by_index
            .into_iter()
            .map(|(index, partitions)| IndexOverloading {
                index: index.map(str::to_owned),
                partitions: partitions
                    .into_iter()
                    .map(|(shape, entities)| PartitionShape { shape, entities })
                    .collect(),
            })
            .collect()
    }

    fn warnings(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        let schemas = &self.schemas;
        // Keys that can collide.
        for (i, a) in schemas.iter().enumerate() {
            for b in &schemas[i + 1..] {
                let (Some(pa), Some(pb)) = (a.partition_key, b.partition_key) else {
                    continue;
                };
                let sorts_collide = match (a.sort_key, b.sort_key) {
                    (Some(sa), Some(sb)) => may_match(&sa, &sb),
                    (None, None) => true,
                    _ => false,
                };
                if may_match(&pa, &pb) && sorts_collide {
                    out.push(Warning {
                        kind: WarningKind::KeyCollision,
                        message: format!(
                            "{} ({} / {}) and {} ({} / {}) can have the same primary key: a \
                             write of one can overwrite the other; give their sort keys \
                             different literal prefixes",
                            a.entity,
                            pa.text,
                            a.sort_key.map_or("-", |t| t.text),
                            b.entity,
                            pb.text,
                            b.sort_key.map_or("-", |t| t.text),
                        ),
                    });
                }
            }
        }
        // Indexes no model populates.
        if let Some(names) = &self.table_indexes {
            for name in names {
                if !schemas.iter().any(|s| s.index(name).is_some()) {
                    out.push(Warning {
                        kind: WarningKind::UnpopulatedIndex,
                        message: format!(
                            "the table's index `{name}` is populated by none of these models: \
                             it costs storage and write capacity for nothing, or a model lost \
                             its declaration"
                        ),
                    });
                }
            }
        }
        // Integer widths where entities share a partition (declared collections, and entities
        // whose partition keys can match).
        let mut pairs: Vec<(&Schema, &Schema, Option<&str>)> = Vec::new();
        for (name, members) in &self.collections {
            let members: Vec<&Schema> = schemas
                .iter()
                .copied()
                .filter(|s| members.contains(&s.entity))
                .collect();
            for (i, a) in members.iter().enumerate() {
                for b in &members[i + 1..] {
                    pairs.push((a, b, Some(name)));
                }
            }
        }
        for (i, a) in schemas.iter().enumerate() {
            for b in &schemas[i + 1..] {
                let seen = pairs.iter().any(|(x, y, _)| {
                    (x.entity, y.entity) == (a.entity, b.entity)
                        || (x.entity, y.entity) == (b.entity, a.entity)
                });
                let shared = match (a.partition_key, b.partition_key) {
                    (Some(pa), Some(pb)) => may_match(&pa, &pb),
                    _ => false,
                };
                if shared && !seen {
                    pairs.push((a, b, None));
                }
            }
        }
        for (a, b, collection) in pairs {
            let (Some(pa), Some(pb)) = (a.partition_key, b.partition_key) else {
                continue;
            };
            for (fa, wa, fb, wb) in width_mismatches(&pa, &pb) {
                let place = match collection {
                    Some(name) => format!("in the collection {name}"),
                    None => "in partitions of one shape".to_owned(),
                };
                out.push(Warning {
                    kind: WarningKind::IntegerWidths,
                    message: format!(
                        "{place}, {}.{fa} is padded to {wa} digits in `{}` but {}.{fb} to {wb} \
                         in `{}`: their keys differ, so a query of one partition misses some of \
                         them; write one width in both templates (`{{{fa}:{w}}}`)",
                        a.entity,
                        pa.text,
                        b.entity,
                        pb.text,
                        w = wa.max(wb),
                    ),
                });
            }
        }
        // Constant partition keys.
        for schema in schemas {
            let templates = schema.partition_key.map(|t| (None, t)).into_iter().chain(
                schema
                    .indexes
                    .iter()
                    .filter_map(|i| i.partition_key.map(|t| (Some(i.name), t))),
            );
            for (index, template) in templates {
                if template.fields().next().is_none() {
                    let place =
                        index.map_or_else(|| "table".to_owned(), |i| format!("index `{i}`"));
                    out.push(Warning {
                        kind: WarningKind::HotPartition,
                        message: format!(
                            "{}'s {place} partition key `{}` is constant: every {} item is in \
                             one partition, which takes at most 3,000 reads and 1,000 writes a \
                             second; add a field (or a computed shard) to the template",
                            schema.entity, template.text, schema.entity
                        ),
                    });
                }
            }
        }
        out
    }
}

/// The reads of a multi-attribute index: every partition attribute by equality; with sort
/// attributes, also the narrowest key (each sort attribute by equality, the last one by a range),
/// as DynamoDB requires them: left to right.
fn multi_attribute_patterns(
    entity: &str,
    index: &IndexSchema,
    chart: &IndexChart,
) -> Vec<AccessPattern> {
    let condition = |attributes: &[(String, String)], last_range: bool| -> String {
        attributes
            .iter()
            .enumerate()
            .map(|(i, (name, value))| {
                let op = if last_range && i + 1 == attributes.len() {
                    ">="
                } else {
                    "="
                };
                format!("{name} {op} {value}")
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let partition_count = index.partition_attributes.len();
    let mut name = format!("{entity} by `{}`", index.name);
    if !index.sort_attributes.is_empty() {
        let _ = write!(name, ", sorted by {}", chart.sort_attributes.join(", "));
    }
    let mut out = vec![AccessPattern {
        name,
        returns: vec![entity.to_owned()],
        index: Some(index.name.to_owned()),
        operation: "Query".into(),
        key_condition: condition(&chart.example_attributes[..partition_count], false),
    }];
    if !index.sort_attributes.is_empty() {
        out.push(AccessPattern {
            name: format!(
                "{entity} by `{}`, narrowed by its sort attributes left to right",
                index.name
            ),
            returns: vec![entity.to_owned()],
            index: Some(index.name.to_owned()),
            operation: "Query".into(),
            key_condition: condition(&chart.example_attributes, true),
        });
    }
    out
}

/// A sample value of a multi-attribute key's attribute, written as in a key condition: a
/// string `"status1"`, a number `1`, bytes `b"AQ=="`.
fn sample_attribute(attribute: &IndexAttribute) -> String {
    match attribute.key_type {
        KeyType::S => format!("{:?}", format!("{}1", attribute.attribute)),
        KeyType::N => "1".to_owned(),
        KeyType::B => "b\"AQ==\"".to_owned(),
    }
}

/// A model's attribute value written as in a key condition (strings quoted).
fn condition_literal(value: &Value) -> String {
    match value {
        Value::S(s) => format!("{s:?}"),
        Value::N(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// A multi-attribute key's attributes as a shape: `[customer, status]`.
fn attribute_list(attributes: &[IndexAttribute]) -> String {
    let names: Vec<&str> = attributes.iter().map(|a| a.attribute).collect();
    format!("[{}]", names.join(", "))
}

/// A key condition with an equality on the partition and, when the sort key starts with
/// literal text, `begins_with` on it.
fn with_prefix(partition: &str, sort_attribute: &str, sort: &KeyTemplate) -> String {
    let prefix = sort.literal_prefix();
    if prefix.is_empty() {
        partition.to_owned()
    } else {
        format!("{partition} AND begins_with({sort_attribute}, {prefix:?})")
    }
}

/// A template rendered from sample values (see [`ExampleKey`]).
fn sample_key(template: &KeyTemplate, schema: &Schema) -> String {
    let mut out = String::new();
    for part in template.parts {
        match part {
            TemplatePart::Literal(l) => out.push_str(l),
            TemplatePart::Padded { width, .. } => {
                let _ = write!(out, "{:0>width$}", 1, width = usize::from(*width));
            }
            TemplatePart::Field(name) => match schema.fields.iter().find(|f| f.name == *name) {
                Some(f) if f.kind == FieldKind::Bool => out.push_str("true"),
                _ => {
                    let _ = write!(out, "{name}1");
                }
            },
            TemplatePart::Computed {
                function, fields, ..
            } => {
                let _ = write!(out, "<{function}({})>", fields.join(", "));
            }
        }
    }
    out
}

/// The shape of a template: literal text with each field written `{}` (`{:N}` padded).
fn shape(template: &KeyTemplate) -> String {
    let mut out = String::new();
    for part in template.parts {
        match part {
            TemplatePart::Literal(l) => out.push_str(l),
            TemplatePart::Padded { width, .. } => {
                let _ = write!(out, "{{:{width}}}");
            }
            TemplatePart::Computed { width: Some(w), .. } => {
                let _ = write!(out, "{{:{w}}}");
            }
            _ => out.push_str("{}"),
        }
    }
    out
}

/// Partition shapes and the entities (with their sort-key template) in each.
type Shapes = BTreeMap<String, Vec<(String, Option<String>)>>;

/// One piece of a `#`-separated token of a template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    /// A field (its name) and its padded width, if known.
    Hole(&'static str, Option<u8>),
}

/// The template split at the delimiter: no field value contains `#`, so tokens align.
fn tokens(template: &KeyTemplate) -> Vec<Vec<Piece>> {
    let mut out = vec![Vec::new()];
    for part in template.parts {
        match part {
            TemplatePart::Literal(l) => {
                for (i, text) in l.split(crate::key::DELIMITER).enumerate() {
                    if i > 0 {
                        out.push(Vec::new());
                    }
                    if !text.is_empty() {
                        out.last_mut()
                            .expect("one token")
                            .push(Piece::Text(text.to_owned()));
                    }
                }
            }
            TemplatePart::Field(f) => out
                .last_mut()
                .expect("one token")
                .push(Piece::Hole(f, None)),
            TemplatePart::Padded { field, width } => out
                .last_mut()
                .expect("one token")
                .push(Piece::Hole(field, Some(*width))),
            TemplatePart::Computed {
                function, width, ..
            } => out
                .last_mut()
                .expect("one token")
                .push(Piece::Hole(function, *width)),
        }
    }
    out
}

fn literal_ends(token: &[Piece]) -> (String, String, bool) {
    let prefix: String = token
        .iter()
        .map_while(|p| match p {
            Piece::Text(t) => Some(t.as_str()),
            Piece::Hole(..) => None,
        })
        .collect();
    let holes = token.iter().any(|p| matches!(p, Piece::Hole(..)));
    let suffix: String = if holes {
        let mut rev: Vec<&str> = token
            .iter()
            .rev()
            .map_while(|p| match p {
                Piece::Text(t) => Some(t.as_str()),
                Piece::Hole(..) => None,
            })
            .collect();
        rev.reverse();
        rev.concat()
    } else {
        String::new()
    };
    (prefix, suffix, holes)
}

/// Whether two tokens can render the same text (an over-approximation: literal ends agree).
fn tokens_may_match(a: &[Piece], b: &[Piece]) -> bool {
    let (pa, sa, ha) = literal_ends(a);
    let (pb, sb, hb) = literal_ends(b);
    match (ha, hb) {
        (false, false) => pa == pb,
        (false, true) => pa.starts_with(&pb) && pa.ends_with(&sb) && pa.len() > pb.len() + sb.len(),
        (true, false) => pb.starts_with(&pa) && pb.ends_with(&sa) && pb.len() > pa.len() + sa.len(),
        (true, true) => {
            (pa.starts_with(&pb) || pb.starts_with(&pa)) && (sa.ends_with(&sb) || sb.ends_with(&sa))
        }
    }
}

/// Whether the templates of two entities can render the same key.
fn may_match(a: &KeyTemplate, b: &KeyTemplate) -> bool {
    let (ta, tb) = (tokens(a), tokens(b));
    ta.len() == tb.len() && ta.iter().zip(&tb).all(|(x, y)| tokens_may_match(x, y))
}

/// The integer segments at the same place of two matching templates that are padded to
/// different widths: (field of a, width, field of b, width).
fn width_mismatches(a: &KeyTemplate, b: &KeyTemplate) -> Vec<(&'static str, u8, &'static str, u8)> {
    let (ta, tb) = (tokens(a), tokens(b));
    let mut out = Vec::new();
    if ta.len() != tb.len() {
        return out;
    }
    for (x, y) in ta.iter().zip(&tb) {
        for (p, q) in x.iter().zip(y) {
            if let (Piece::Hole(fa, Some(wa)), Piece::Hole(fb, Some(wb))) = (p, q) {
                if wa != wb {
                    out.push((*fa, *wa, *fb, *wb));
                }
            }
        }
    }
    out
}

/// Escapes text for a quoted Mermaid label (`#` starts an entity code there).
fn mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell inside backticks.
fn cell(text: &str) -> String {
    format!("`{}`", text.replace('|', "\\|").replace('`', "'"))
}

fn or_dash(text: Option<&str>) -> String {
    text.map_or_else(|| "-".to_owned(), cell)
}

fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let a = &report.attributes;
    let _ = writeln!(out, "### Entities\n");
    let _ = writeln!(
        out,
        "| entity | {} | {} | example key | indexes | special attributes | collections |",
        a.partition_key, a.sort_key
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for e in &report.entities {
        let example = match (&e.example.partition, &e.example.sort) {
            (Some(p), Some(s)) => format!("{} / {}", cell(p), cell(s)),
            (Some(p), None) => cell(p),
            _ => "-".into(),
        };
        let indexes: Vec<String> = e
            .indexes
            .iter()
            .map(|i| {
                let (partition, sort) = if i.partition_attributes.is_empty() {
                    (
                        or_dash(i.partition_key.as_deref()),
                        or_dash(i.sort_key.as_deref()),
                    )
                } else {
                    let list = |names: &[String]| {
                        if names.is_empty() {
                            "-".to_owned()
                        } else {
                            cell(&format!("[{}]", names.join(", ")))
                        }
                    };
                    (list(&i.partition_attributes), list(&i.sort_attributes))
                };
                let mut text = format!(
                    "{}{}: {partition} / {sort}",
                    i.name,
                    if i.local { " (local)" } else { "" },
                );
                if let Some(when) = &i.when {
                    let _ = write!(text, " when {}", cell(when));
                }
                if i.projection != "ALL" {
                    let _ = write!(text, " ({})", i.projection);
                }
                text
            })
            .collect();
        let mut special = Vec::new();
        for (what, attribute) in [
            ("version", &e.version),
            ("ttl", &e.ttl),
            ("created_at", &e.created_at),
            ("updated_at", &e.updated_at),
        ] {
            if let Some(attribute) = attribute {
                special.push(format!("{what}: {}", cell(attribute)));
            }
        }
        if e.schema_version > 1 {
            special.push(format!("schema version {}", e.schema_version));
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {example} | {} | {} | {} |",
            e.entity,
            or_dash(e.partition_key.as_deref()),
            or_dash(e.sort_key.as_deref()),
            if indexes.is_empty() {
                "-".into()
            } else {
                indexes.join("<br>")
            },
            if special.is_empty() {
                "-".into()
            } else {
                special.join(", ")
            },
            if e.collections.is_empty() {
                "-".into()
            } else {
                e.collections.join(", ")
            },
        );
    }
    let _ = writeln!(out, "\n### Access patterns\n");
    let _ = writeln!(out, "| access pattern | returns | reads | key condition |");
    let _ = writeln!(out, "|---|---|---|---|");
    for p in &report.access_patterns {
        let reads = match &p.index {
            Some(i) => format!("{} on `{i}`", p.operation),
            None => p.operation.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {reads} | {} |",
            p.name.replace('|', "\\|"),
            p.returns.join(", "),
            cell(&p.key_condition)
        );
    }
    let _ = writeln!(out, "\n### Index overloading\n");
    let _ = writeln!(
        out,
        "| table or index | partition shape | entities (sort key) |"
    );
    let _ = writeln!(out, "|---|---|---|");
    for o in &report.overloading {
        for p in &o.partitions {
            let entities: Vec<String> = p
                .entities
                .iter()
                .map(|(e, sk)| format!("{e} ({})", or_dash(sk.as_deref())))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                o.index.as_deref().unwrap_or("table"),
                cell(&p.shape),
                entities.join(", ")
            );
        }
    }
    let _ = writeln!(out, "\n```mermaid\nflowchart LR");
    for (i, o) in report.overloading.iter().enumerate() {
        let title = o.index.as_deref().unwrap_or("table");
        let _ = writeln!(out, "  subgraph s{i}[\"{}\"]", mermaid(title));
        for (j, p) in o.partitions.iter().enumerate() {
            let _ = writeln!(out, "    p{i}_{j}[\"{}\"]", mermaid(&p.shape));
        }
        let _ = writeln!(out, "  end");
    }
    for e in &report.entities {
        let _ = writeln!(
            out,
            "  e_{}([\"{}\"])",
            node_id(&e.entity),
            mermaid(&e.entity)
        );
    }
    for (i, o) in report.overloading.iter().enumerate() {
        for (j, p) in o.partitions.iter().enumerate() {
            for (entity, sk) in &p.entities {
                let arrow = if o.index.is_some() { "-.->" } else { "-->" };
                let label = sk.as_deref().map(mermaid).unwrap_or_default();
                if label.is_empty() {
                    let _ = writeln!(out, "  e_{} {arrow} p{i}_{j}", node_id(entity));
                } else {
                    let _ = writeln!(out, "  e_{} {arrow}|\"{label}\"| p{i}_{j}", node_id(entity));
                }
            }
        }
    }
    let _ = writeln!(out, "```\n\n### Warnings\n");
    if report.warnings.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for w in &report.warnings {
        let _ = writeln!(out, "- **{:?}**: {}", w.kind, w.message);
    }
    out
}

/// A Mermaid node id for an entity name (letters, digits and `_`).
fn node_id(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
