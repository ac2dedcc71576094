//! The table definition a set of models needs: [`ModelSet`] and the derivation of keys,
//! indexes and TTL from the models' schemas. How a live table differs from it is
//! [`TableDefinition::differences`].

use super::config::TableConfig;
use crate::backend::{IndexDefinition, KeyAttribute, KeyType, Projection, TableDefinition};
use crate::error::{Error, Result};
use crate::model::{IndexAttribute, IndexSchema, Model, Schema};

/// A set of models sharing one table: a single model or a tuple of up to 12.
pub trait ModelSet {
    /// The schemas of the models.
    fn schemas() -> Vec<&'static Schema>;
}

impl<M: Model> ModelSet for M {
    fn schemas() -> Vec<&'static Schema> {
        vec![M::schema()]
    }
}

macro_rules! model_set_tuple {
    ($($m:ident),+) => {
        impl<$($m: Model),+> ModelSet for ($($m,)+) {
            fn schemas() -> Vec<&'static Schema> {
                vec![$($m::schema()),+]
            }
        }
    };
}
for_each_model_tuple!(model_set_tuple);

fn s_key(name: String) -> KeyAttribute {
    KeyAttribute::new(name, KeyType::S)
}

/// The index a model declares: synthetic string keys for a template index, the model's own
/// attributes for a multi-attribute key.
fn index_definition(config: &TableConfig, index: &IndexSchema) -> IndexDefinition {
    if index.is_multi_attribute() {
        let key = |a: &IndexAttribute| KeyAttribute::new(a.attribute, a.key_type);
        return IndexDefinition::from_key_attributes(
            index.name,
            index.partition_attributes.iter().map(key),
            index.sort_attributes.iter().map(key),
            index.projection.clone(),
        );
    }
    IndexDefinition {
        name: index.name.to_owned(),
        local: index.local,
        partition_key: if index.local {
            s_key(config.partition_key.clone())
        } else {
            s_key(config.index_partition_key(index.name))
        },
        sort_key: index
            .sort_key
            .as_ref()
            .map(|_| s_key(config.index_sort_key(index.name))),
        extra_partition_keys: Vec::new(),
        extra_sort_keys: Vec::new(),
        projection: index.projection.clone(),
    }
}

/// An index's key attributes as `[a S, b N] / [c S]`, for messages.
fn key_shape(index: &IndexDefinition) -> String {
    let list = |keys: &mut dyn Iterator<Item = &KeyAttribute>| {
        let keys: Vec<String> = keys
            .map(|k| format!("{} {:?}", k.name, k.key_type))
            .collect();
        format!("[{}]", keys.join(", "))
    };
    format!(
        "{} / {}",
        list(&mut index.partition_keys()),
        list(&mut index.sort_keys())
    )
}

/// Builds the definition of one table holding every model in `schemas`.
pub(crate) fn definition_for(
    name: &str,
    config: &TableConfig,
    schemas: &[&'static Schema],
) -> Result<TableDefinition> {
    let first = schemas
        .first()
        .ok_or_else(|| Error::validation("a table needs at least one model"))?;
    if let Some(odd) = schemas
        .iter()
        .find(|s| s.has_sort_key != first.has_sort_key)
    {
        return Err(Error::validation(format!(
            "models in one table need the same key shape: {} {} a sort key but {} {}",
            first.entity,
            if first.has_sort_key { "has" } else { "has no" },
            odd.entity,
            if odd.has_sort_key { "has" } else { "has no" },
        )));
    }
    let mut indexes: Vec<IndexDefinition> = Vec::new();
    // The model that declared each index first, for messages naming both models of a clash.
    let mut declared_by: Vec<&str> = Vec::new();
    let mut ttl: Option<(&str, &str)> = None;
    for schema in schemas {
        if let Some(t) = schema.ttl {
            match ttl {
                Some((other, entity)) if other != t => {
                    return Err(Error::validation(format!(
                        "a table has one TTL attribute: {entity} uses `{other}`, {} uses `{t}`",
                        schema.entity
                    )))
                }
                _ => ttl = Some((t, schema.entity)),
            }
        }
        for index in schema.indexes {
            let def = index_definition(config, index);
            match indexes.iter().position(|i| i.name == def.name) {
                None => {
                    indexes.push(def);
                    declared_by.push(schema.entity);
                }
                Some(at) => {
                    let existing = &mut indexes[at];
                    if existing.is_multi_attribute() || def.is_multi_attribute() {
                        let same_keys = existing.local == def.local
                            && existing.partition_keys().eq(def.partition_keys())
                            && existing.sort_keys().eq(def.sort_keys());
                        if !same_keys {
                            return Err(Error::validation(format!(
                                "index `{}` is declared differently by {} ({}) and {} ({}): \
                                 models sharing an index need the same key attributes, names \
                                 and types",
                                def.name,
                                declared_by[at],
                                key_shape(existing),
                                schema.entity,
                                key_shape(&def),
                            )));
                        }
                    } else if existing.local != def.local || existing.sort_key != def.sort_key {
                        return Err(Error::validation(format!(
                            "index `{}` is declared differently by {} (local: {}, sort key: {})",
                            def.name,
                            schema.entity,
                            def.local,
                            def.sort_key.is_some()
                        )));
                    }
                    if existing.projection != def.projection {
                        // Models sharing an index with different projections: keep everything.
                        existing.projection = Projection::All;
                    }
                }
            }
        }
    }
    Ok(TableDefinition {
        name: name.to_owned(),
        partition_key: s_key(config.partition_key.clone()),
        sort_key: first.has_sort_key.then(|| s_key(config.sort_key.clone())),
        indexes,
        ttl_attribute: ttl.map(|(t, _)| t.to_owned()),
    })
}
