//! Table schemas: orm-core's [`TableDefinition`] to and from DynamoDB's CreateTable /
//! DescribeTable shapes (pure functions).

use crate::error_map::build_error;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode as SdkBillingMode, CreateGlobalSecondaryIndexAction,
    DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndex, GlobalSecondaryIndexUpdate,
    KeySchemaElement, KeyType as SdkKeyType, LocalSecondaryIndex, Projection as SdkProjection,
    ProjectionType, ProvisionedThroughput, ScalarAttributeType,
    StreamSpecification as SdkStreamSpecification, StreamViewType as SdkStreamViewType,
    TableClass as SdkTableClass, TableDescription, UpdateGlobalSecondaryIndexAction,
};
use orm_core::backend::{
    BillingMode, IndexDefinition, IndexUpdate, KeyAttribute, KeyType, Projection,
    StreamSpecification, StreamViewType, TableClass, TableDefinition, Throughput, UpdateTable,
};
use orm_core::error::{Error, Result};

/// The parts of a CreateTable request derived from a [`TableDefinition`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CreateTableParts {
    /// Every key attribute of the table and its indexes, each once, in first-use order.
    pub(crate) attribute_definitions: Vec<AttributeDefinition>,
    /// The table's key schema (HASH, then RANGE if any).
    pub(crate) key_schema: Vec<KeySchemaElement>,
    /// Global secondary indexes (`None` when there are none: DynamoDB rejects empty lists).
    pub(crate) global_secondary_indexes: Option<Vec<GlobalSecondaryIndex>>,
    /// Local secondary indexes (`None` when there are none).
    pub(crate) local_secondary_indexes: Option<Vec<LocalSecondaryIndex>>,
}

fn scalar(t: KeyType) -> ScalarAttributeType {
    match t {
        KeyType::S => ScalarAttributeType::S,
        KeyType::N => ScalarAttributeType::N,
        KeyType::B => ScalarAttributeType::B,
    }
}

fn key_type(t: &ScalarAttributeType) -> Result<KeyType> {
    match t {
        ScalarAttributeType::S => Ok(KeyType::S),
        ScalarAttributeType::N => Ok(KeyType::N),
        ScalarAttributeType::B => Ok(KeyType::B),
        other => Err(Error::backend(
            "DescribeTable",
            false,
            format!("unknown key attribute type {other:?}"),
        )),
    }
}

fn key_schema(
    partition: &KeyAttribute,
    sort: Option<&KeyAttribute>,
) -> Result<Vec<KeySchemaElement>> {
    multi_key_schema(std::iter::once(partition), sort)
}

/// A `KeySchema`: the HASH elements, then the RANGE elements (several of each for an index
/// with a multi-attribute key).
fn multi_key_schema<'a>(
    partition: impl IntoIterator<Item = &'a KeyAttribute>,
    sort: impl IntoIterator<Item = &'a KeyAttribute>,
) -> Result<Vec<KeySchemaElement>> {
    let element = |k: &KeyAttribute, kind: SdkKeyType| {
        KeySchemaElement::builder()
            .attribute_name(&k.name)
            .key_type(kind)
            .build()
            .map_err(|e| build_error("CreateTable", e))
    };
    partition
        .into_iter()
        .map(|k| element(k, SdkKeyType::Hash))
        .chain(sort.into_iter().map(|k| element(k, SdkKeyType::Range)))
        .collect()
}

/// The key schema of an index.
fn index_key_schema(index: &IndexDefinition) -> Result<Vec<KeySchemaElement>> {
    multi_key_schema(index.partition_keys(), index.sort_keys())
}

fn projection(p: &Projection) -> SdkProjection {
    match p {
        Projection::All => SdkProjection::builder()
            .projection_type(ProjectionType::All)
            .build(),
        Projection::KeysOnly => SdkProjection::builder()
            .projection_type(ProjectionType::KeysOnly)
            .build(),
        Projection::Include(names) => SdkProjection::builder()
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(names.clone()))
            .build(),
    }
}

/// Builds the CreateTable parts: attribute definitions deduplicated across the table and index
/// keys (a name used with two different types is a `Validation` error), key schemas, indexes.
pub(crate) fn create_table_parts(definition: &TableDefinition) -> Result<CreateTableParts> {
    definition.validate()?;
    // Each key attribute once (validate checked that its uses agree on the type).
    let mut attributes: Vec<&KeyAttribute> = Vec::new();
    for key in definition.key_attributes() {
        if !attributes.iter().any(|a| a.name == key.name) {
            attributes.push(key);
        }
    }

    let mut gsis = Vec::new();
    let mut lsis = Vec::new();
    for index in &definition.indexes {
        let keys = index_key_schema(index)?;
        if index.local {
            lsis.push(
                LocalSecondaryIndex::builder()
                    .index_name(&index.name)
                    .set_key_schema(Some(keys))
                    .projection(projection(&index.projection))
                    .build()
                    .map_err(|e| build_error("CreateTable", e))?,
            );
        } else {
            gsis.push(
                GlobalSecondaryIndex::builder()
                    .index_name(&index.name)
                    .set_key_schema(Some(keys))
                    .projection(projection(&index.projection))
                    .build()
                    .map_err(|e| build_error("CreateTable", e))?,
            );
        }
    }

    Ok(CreateTableParts {
        attribute_definitions: attributes
            .into_iter()
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(&a.name)
                    .attribute_type(scalar(a.key_type))
                    .build()
                    .map_err(|e| build_error("CreateTable", e))
            })
            .collect::<Result<_>>()?,
        key_schema: key_schema(&definition.partition_key, definition.sort_key.as_ref())?,
        global_secondary_indexes: (!gsis.is_empty()).then_some(gsis),
        local_secondary_indexes: (!lsis.is_empty()).then_some(lsis),
    })
}

/// The parts of an UpdateTable request derived from an [`UpdateTable`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UpdateTableParts {
    /// The key attributes of the index created, if any (DynamoDB needs them declared again).
    pub(crate) attribute_definitions: Option<Vec<AttributeDefinition>>,
    /// The index changes (`None` when there are none).
    pub(crate) index_updates: Option<Vec<GlobalSecondaryIndexUpdate>>,
    pub(crate) billing_mode: Option<SdkBillingMode>,
    pub(crate) throughput: Option<ProvisionedThroughput>,
    pub(crate) streams: Option<SdkStreamSpecification>,
    pub(crate) table_class: Option<SdkTableClass>,
}

fn throughput(t: &Throughput, operation: &'static str) -> Result<ProvisionedThroughput> {
    let units = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    ProvisionedThroughput::builder()
        .read_capacity_units(units(t.read_capacity_units))
        .write_capacity_units(units(t.write_capacity_units))
        .build()
        .map_err(|e| build_error(operation, e))
}

/// Builds the UpdateTable parts, after [`UpdateTable::validate`].
pub(crate) fn update_table_parts(request: &UpdateTable) -> Result<UpdateTableParts> {
    const OP: &str = "UpdateTable";
    request.validate()?;
    let mut attributes: Vec<AttributeDefinition> = Vec::new();
    let mut updates = Vec::new();
    for update in &request.index_updates {
        let built = match update {
            IndexUpdate::Create {
                index,
                throughput: t,
            } => {
                for key in index.key_attributes() {
                    if !attributes.iter().any(|a| a.attribute_name == key.name) {
                        attributes.push(
                            AttributeDefinition::builder()
                                .attribute_name(&key.name)
                                .attribute_type(scalar(key.key_type))
                                .build()
                                .map_err(|e| build_error(OP, e))?,
                        );
                    }
                }
                let action = CreateGlobalSecondaryIndexAction::builder()
                    .index_name(&index.name)
                    .set_key_schema(Some(index_key_schema(index)?))
                    .projection(projection(&index.projection))
                    .set_provisioned_throughput(t.as_ref().map(|t| throughput(t, OP)).transpose()?)
                    .build()
                    .map_err(|e| build_error(OP, e))?;
                GlobalSecondaryIndexUpdate::builder().create(action).build()
            }
            IndexUpdate::Update {
                name,
                throughput: t,
            } => {
                let action = UpdateGlobalSecondaryIndexAction::builder()
                    .index_name(name)
                    .provisioned_throughput(throughput(t, OP)?)
                    .build()
                    .map_err(|e| build_error(OP, e))?;
                GlobalSecondaryIndexUpdate::builder().update(action).build()
            }
            IndexUpdate::Delete { name } => {
                let action = DeleteGlobalSecondaryIndexAction::builder()
                    .index_name(name)
                    .build()
                    .map_err(|e| build_error(OP, e))?;
                GlobalSecondaryIndexUpdate::builder().delete(action).build()
            }
        };
        updates.push(built);
    }
    let streams = request
        .streams
        .map(|s| {
            let builder = match s {
                StreamSpecification::Disabled => {
                    SdkStreamSpecification::builder().stream_enabled(false)
                }
                StreamSpecification::Enabled(view) => SdkStreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(match view {
                        StreamViewType::KeysOnly => SdkStreamViewType::KeysOnly,
                        StreamViewType::NewImage => SdkStreamViewType::NewImage,
                        StreamViewType::OldImage => SdkStreamViewType::OldImage,
                        StreamViewType::NewAndOldImages => SdkStreamViewType::NewAndOldImages,
                    }),
            };
            builder.build().map_err(|e| build_error(OP, e))
        })
        .transpose()?;
    Ok(UpdateTableParts {
        attribute_definitions: (!attributes.is_empty()).then_some(attributes),
        index_updates: (!updates.is_empty()).then_some(updates),
        billing_mode: request.billing_mode.map(|m| match m {
            BillingMode::PayPerRequest => SdkBillingMode::PayPerRequest,
            BillingMode::Provisioned => SdkBillingMode::Provisioned,
        }),
        throughput: request
            .throughput
            .as_ref()
            .map(|t| throughput(t, OP))
            .transpose()?,
        streams,
        table_class: request.table_class.map(|c| match c {
            TableClass::Standard => SdkTableClass::Standard,
            TableClass::StandardInfrequentAccess => SdkTableClass::StandardInfrequentAccess,
        }),
    })
}

fn keys_from_schema(
    schema: Option<Vec<KeySchemaElement>>,
    attributes: &[AttributeDefinition],
) -> Result<(KeyAttribute, Option<KeyAttribute>)> {
    let (mut partition, mut sort) = multi_keys_from_schema(schema, attributes)?;
    if partition.len() > 1 || sort.len() > 1 {
        return Err(Error::backend(
            "DescribeTable",
            false,
            "a table key schema with several HASH or RANGE elements",
        ));
    }
    Ok((partition.remove(0), sort.pop()))
}

/// The HASH and the RANGE attributes of a key schema, each in order (at least one HASH).
fn multi_keys_from_schema(
    schema: Option<Vec<KeySchemaElement>>,
    attributes: &[AttributeDefinition],
) -> Result<(Vec<KeyAttribute>, Vec<KeyAttribute>)> {
    let lookup = |name: String| -> Result<KeyAttribute> {
        let def = attributes
            .iter()
            .find(|a| a.attribute_name == name)
            .ok_or_else(|| {
                Error::backend(
                    "DescribeTable",
                    false,
                    format!("key attribute `{name}` has no attribute definition"),
                )
            })?;
        Ok(KeyAttribute {
            key_type: key_type(&def.attribute_type)?,
            name,
        })
    };
    let mut partition = Vec::new();
    let mut sort = Vec::new();
    for element in schema.unwrap_or_default() {
        match element.key_type {
            SdkKeyType::Hash => partition.push(lookup(element.attribute_name)?),
            SdkKeyType::Range => sort.push(lookup(element.attribute_name)?),
            other => {
                return Err(Error::backend(
                    "DescribeTable",
                    false,
                    format!("unknown key type {other:?}"),
                ))
            }
        }
    }
    if partition.is_empty() {
        return Err(Error::backend(
            "DescribeTable",
            false,
            "key schema without a HASH key",
        ));
    }
    Ok((partition, sort))
}

/// An index from its described key schema.
fn described_index(
    name: Option<String>,
    local: bool,
    schema: Option<Vec<KeySchemaElement>>,
    attributes: &[AttributeDefinition],
    projection: Option<SdkProjection>,
) -> Result<IndexDefinition> {
    let (partition, sort) = multi_keys_from_schema(schema, attributes)?;
    Ok(IndexDefinition {
        local,
        ..IndexDefinition::from_key_attributes(
            name.unwrap_or_default(),
            partition,
            sort,
            projection_from(projection),
        )
    })
}

fn projection_from(p: Option<SdkProjection>) -> Projection {
    match p {
        Some(p) => match p.projection_type {
            Some(ProjectionType::KeysOnly) => Projection::KeysOnly,
            Some(ProjectionType::Include) => {
                Projection::Include(p.non_key_attributes.unwrap_or_default())
            }
            _ => Projection::All,
        },
        None => Projection::All,
    }
}

/// Rebuilds a [`TableDefinition`] from DescribeTable's answer. `name` is the table name as the
/// caller knows it (without the backend's prefix); `ttl_attribute` comes from
/// DescribeTimeToLive. Indexes are sorted by name.
pub(crate) fn definition_from_description(
    name: &str,
    description: TableDescription,
    ttl_attribute: Option<String>,
) -> Result<TableDefinition> {
    let attributes = description.attribute_definitions.unwrap_or_default();
    let (partition_key, sort_key) = keys_from_schema(description.key_schema, &attributes)?;
    let mut indexes = Vec::new();
    for gsi in description.global_secondary_indexes.unwrap_or_default() {
        indexes.push(described_index(
            gsi.index_name,
            false,
            gsi.key_schema,
            &attributes,
            gsi.projection,
        )?);
    }
    for lsi in description.local_secondary_indexes.unwrap_or_default() {
        indexes.push(described_index(
            lsi.index_name,
            true,
            lsi.key_schema,
            &attributes,
            lsi.projection,
        )?);
    }
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(TableDefinition {
        name: name.to_owned(),
        partition_key,
        sort_key,
        indexes,
        ttl_attribute,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{
        GlobalSecondaryIndexDescription, LocalSecondaryIndexDescription,
    };

    fn ka(name: &str, key_type: KeyType) -> KeyAttribute {
        KeyAttribute::new(name, key_type)
    }

    pub(crate) fn sample() -> TableDefinition {
        TableDefinition::new("app", ka("pk", KeyType::S), Some(ka("sk", KeyType::S)))
            .with_index(IndexDefinition::global(
                "gsi1",
                ka("gsi1pk", KeyType::S),
                Some(ka("sk", KeyType::S)),
                Projection::All,
            ))
            .with_index(IndexDefinition::local(
                "by_n",
                ka("pk", KeyType::S),
                ka("n", KeyType::N),
                Projection::Include(vec!["title".into()]),
            ))
            .with_index(IndexDefinition::global(
                "keys",
                ka("gsi1pk", KeyType::S),
                None,
                Projection::KeysOnly,
            ))
            .with_ttl("expires")
    }

    #[test]
    fn attribute_definitions_are_deduplicated() {
        let parts = create_table_parts(&sample()).unwrap();
        let defs: Vec<(&str, &ScalarAttributeType)> = parts
            .attribute_definitions
            .iter()
            .map(|a| (a.attribute_name.as_str(), &a.attribute_type))
            .collect();
        assert_eq!(
            defs,
            vec![
                ("pk", &ScalarAttributeType::S),
                ("sk", &ScalarAttributeType::S),
                ("gsi1pk", &ScalarAttributeType::S),
                ("n", &ScalarAttributeType::N),
            ]
        );
        assert_eq!(parts.key_schema.len(), 2);
        assert_eq!(parts.key_schema[0].key_type, SdkKeyType::Hash);
        assert_eq!(parts.key_schema[1].attribute_name, "sk");
        let gsis = parts.global_secondary_indexes.unwrap();
        assert_eq!(gsis.len(), 2);
        assert_eq!(gsis[1].index_name, "keys");
        assert_eq!(gsis[1].key_schema.len(), 1);
        assert_eq!(
            gsis[1].projection.as_ref().unwrap().projection_type,
            Some(ProjectionType::KeysOnly)
        );
        let lsis = parts.local_secondary_indexes.unwrap();
        assert_eq!(lsis.len(), 1);
        assert_eq!(
            lsis[0].projection.as_ref().unwrap().non_key_attributes,
            Some(vec!["title".to_owned()])
        );
    }

    #[test]
    fn multi_attribute_keys_render_and_read_back() {
        let mut d = sample();
        d.indexes[0].extra_partition_keys = vec![ka("region", KeyType::S)];
        d.indexes[0].extra_sort_keys = vec![ka("round", KeyType::N)];
        let parts = create_table_parts(&d).unwrap();
        let gsi = &parts.global_secondary_indexes.as_ref().unwrap()[0];
        let schema: Vec<(&str, &SdkKeyType)> = gsi
            .key_schema
            .iter()
            .map(|k| (k.attribute_name.as_str(), &k.key_type))
            .collect();
        assert_eq!(
            schema,
            [
                ("gsi1pk", &SdkKeyType::Hash),
                ("region", &SdkKeyType::Hash),
                ("sk", &SdkKeyType::Range),
                ("round", &SdkKeyType::Range),
            ]
        );
        assert!(parts
            .attribute_definitions
            .iter()
            .any(|a| a.attribute_name == "round" && a.attribute_type == ScalarAttributeType::N));
        let described = TableDescription::builder()
            .set_attribute_definitions(Some(parts.attribute_definitions))
            .set_key_schema(Some(parts.key_schema))
            .set_global_secondary_indexes(Some(gsi_descriptions(
                parts.global_secondary_indexes.unwrap(),
            )))
            .build();
        let back = definition_from_description("t", described, None).unwrap();
        let index = back.index("gsi1").unwrap();
        assert_eq!(index, &d.indexes[0]);
        // Too many attributes is refused before sending.
        d.indexes[0].extra_sort_keys = ["a", "b", "c", "e"].map(|n| ka(n, KeyType::S)).to_vec();
        assert!(matches!(
            create_table_parts(&d),
            Err(Error::Validation { .. })
        ));
    }

    #[test]
    fn no_indexes_means_no_lists() {
        let mut d = sample();
        d.indexes.clear();
        let parts = create_table_parts(&d).unwrap();
        assert!(parts.global_secondary_indexes.is_none());
        assert!(parts.local_secondary_indexes.is_none());
    }

    #[test]
    fn conflicting_types_and_bad_lsis_are_rejected() {
        let mut d = sample();
        d.indexes[0].sort_key = Some(ka("sk", KeyType::N));
        assert!(matches!(
            create_table_parts(&d),
            Err(Error::Validation { .. })
        ));
        let mut d = sample();
        d.indexes[1].partition_key = ka("other", KeyType::S);
        assert!(matches!(
            create_table_parts(&d),
            Err(Error::Validation { .. })
        ));
        let mut d = sample();
        d.indexes[2].name = "gsi1".into();
        assert!(matches!(
            create_table_parts(&d),
            Err(Error::Validation { .. })
        ));
    }

    #[test]
    fn update_table_parts_declare_the_new_index_keys() {
        let index = sample().indexes.remove(0);
        let parts = update_table_parts(
            &UpdateTable::new("app")
                .with_index_update(IndexUpdate::Create {
                    index,
                    throughput: Some(Throughput::new(3, 4)),
                })
                .with_table_class(TableClass::StandardInfrequentAccess)
                .with_streams(StreamSpecification::Enabled(StreamViewType::NewImage)),
        )
        .unwrap();
        let defs: Vec<&str> = parts
            .attribute_definitions
            .iter()
            .flatten()
            .map(|a| a.attribute_name.as_str())
            .collect();
        assert_eq!(defs, ["gsi1pk", "sk"]);
        let create = parts.index_updates.unwrap()[0].create.clone().unwrap();
        assert_eq!(create.index_name, "gsi1");
        assert_eq!(
            create.provisioned_throughput.unwrap().write_capacity_units,
            4
        );
        assert_eq!(
            parts.table_class,
            Some(SdkTableClass::StandardInfrequentAccess)
        );
        assert_eq!(
            parts.streams.unwrap().stream_view_type,
            Some(SdkStreamViewType::NewImage)
        );
        assert!(parts.billing_mode.is_none() && parts.throughput.is_none());
        // The ORM's checks run first.
        assert!(matches!(
            update_table_parts(&UpdateTable::new("app")),
            Err(Error::Validation { .. })
        ));
    }

    /// The GSIs of a CreateTable request as DescribeTable describes them.
    fn gsi_descriptions(
        gsis: Vec<aws_sdk_dynamodb::types::GlobalSecondaryIndex>,
    ) -> Vec<GlobalSecondaryIndexDescription> {
        gsis.into_iter()
            .map(|g| {
                GlobalSecondaryIndexDescription::builder()
                    .index_name(g.index_name)
                    .set_key_schema(Some(g.key_schema))
                    .set_projection(g.projection)
                    .build()
            })
            .collect()
    }

    #[test]
    fn description_round_trips() {
        let d = sample();
        let parts = create_table_parts(&d).unwrap();
        let description = TableDescription::builder()
            .table_name("prefix_app")
            .set_attribute_definitions(Some(parts.attribute_definitions))
            .set_key_schema(Some(parts.key_schema))
            .set_global_secondary_indexes(Some(gsi_descriptions(
                parts.global_secondary_indexes.unwrap(),
            )))
            .set_local_secondary_indexes(Some(
                parts
                    .local_secondary_indexes
                    .unwrap()
                    .into_iter()
                    .map(|l| {
                        LocalSecondaryIndexDescription::builder()
                            .index_name(l.index_name)
                            .set_key_schema(Some(l.key_schema))
                            .set_projection(l.projection)
                            .build()
                    })
                    .collect(),
            ))
            .build();
        let back = definition_from_description("app", description, Some("expires".into())).unwrap();
        let mut want = d;
        want.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(back, want);
    }
}
