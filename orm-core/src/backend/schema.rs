//! The shape of a table as backends create and describe it: keys, indexes, projections, TTL.

/// The type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

/// A key attribute: its name and type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyAttribute {
    /// Attribute name.
    pub name: String,
    /// Attribute type.
    pub key_type: KeyType,
}

/// Which attributes an index holds besides its keys and the table keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Projection {
    /// Every attribute.
    #[default]
    All,
    /// Only the keys.
    KeysOnly,
    /// The keys and these attributes.
    Include(Vec<String>),
}

/// A secondary index of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    /// Index name.
    pub name: String,
    /// Local (shares the table's partition key) or global.
    pub local: bool,
    /// Partition key (for an LSI: the table's).
    pub partition_key: KeyAttribute,
    /// Sort key, if any.
    pub sort_key: Option<KeyAttribute>,
    /// Projected attributes.
    pub projection: Projection,
}

/// The shape of a table: keys, indexes, TTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    /// Table name.
    pub name: String,
    /// Partition key.
    pub partition_key: KeyAttribute,
    /// Sort key, if any.
    pub sort_key: Option<KeyAttribute>,
    /// Secondary indexes.
    pub indexes: Vec<IndexDefinition>,
    /// The TTL attribute, if TTL is enabled.
    pub ttl_attribute: Option<String>,
}

impl TableDefinition {
    /// The index named `name`.
    pub fn index(&self, name: &str) -> Option<&IndexDefinition> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// The partition and sort key attributes of the table or of one of its indexes.
    pub fn key_schema(
        &self,
        index: Option<&str>,
    ) -> Option<(&KeyAttribute, Option<&KeyAttribute>)> {
        match index {
            None => Some((&self.partition_key, self.sort_key.as_ref())),
            Some(name) => self
                .index(name)
                .map(|i| (&i.partition_key, i.sort_key.as_ref())),
        }
    }
}
