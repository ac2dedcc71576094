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

impl TableDefinition {
    /// Every use of a key attribute: the table's partition and sort key, then each index's, in
    /// order (an attribute several keys share comes once per use).
    pub fn key_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        let index_keys = self
            .indexes
            .iter()
            .flat_map(|i| std::iter::once(&i.partition_key).chain(&i.sort_key));
        std::iter::once(&self.partition_key)
            .chain(&self.sort_key)
            .chain(index_keys)
    }

    /// The checks every backend makes before creating the table (DynamoBackend before sending):
    /// no key attribute declared with two types (by the table or any index), no index name twice,
    /// and every local index on the table's partition key. A failure is
    /// [`Error::Validation`](crate::Error::Validation) naming the attribute or index.
    pub fn validate(&self) -> crate::Result<()> {
        let invalid = |message: String| {
            Err(crate::Error::validation(format!(
                "One or more parameter values were invalid: {message}"
            )))
        };
        let mut declared: Vec<&KeyAttribute> = Vec::new();
        for key in self.key_attributes() {
            match declared.iter().find(|d| d.name == key.name) {
                Some(d) if d.key_type != key.key_type => {
                    return invalid(format!(
                        "attribute {} is declared as both {:?} and {:?}",
                        key.name, d.key_type, key.key_type
                    ))
                }
                Some(_) => {}
                None => declared.push(key),
            }
        }
        for (i, index) in self.indexes.iter().enumerate() {
            if self.indexes[..i]
                .iter()
                .any(|other| other.name == index.name)
            {
                return invalid(format!("Duplicate index name: {}", index.name));
            }
            if index.local && index.partition_key != self.partition_key {
                return invalid(format!(
                    "Local secondary index {} must have the table's partition key ({}) and a sort \
                     key",
                    index.name, self.partition_key.name
                ));
            }
        }
        Ok(())
    }
}

impl TableDefinition {
    /// How the live table `have` falls short of this definition (the one the models need),
    /// one line per difference: a key that differs, an index missing or declared otherwise or
    /// projecting less, a TTL attribute that differs. Empty when `have` serves the models
    /// (extra indexes and wider projections are fine).
    pub fn differences(&self, have: &TableDefinition) -> Vec<String> {
        let want = self;
        let mut diff = Vec::new();
        if want.partition_key != have.partition_key {
            diff.push(format!(
                "partition key: want {:?}, table has {:?}",
                want.partition_key, have.partition_key
            ));
        }
        if want.sort_key != have.sort_key {
            diff.push(format!(
                "sort key: want {:?}, table has {:?}",
                want.sort_key, have.sort_key
            ));
        }
        for w in &want.indexes {
            match have.index(&w.name) {
                None => diff.push(format!("index `{}` is missing", w.name)),
                Some(h) => {
                    if h.local != w.local {
                        diff.push(format!(
                            "index `{}`: want local={}, table has local={}",
                            w.name, w.local, h.local
                        ));
                    }
                    if h.partition_key != w.partition_key || h.sort_key != w.sort_key {
                        diff.push(format!(
                            "index `{}`: want keys {:?}/{:?}, table has {:?}/{:?}",
                            w.name, w.partition_key, w.sort_key, h.partition_key, h.sort_key
                        ));
                    }
                    let covers = match (&w.projection, &h.projection) {
                        (_, Projection::All) => true,
                        (Projection::KeysOnly, _) => true,
                        (Projection::Include(a), Projection::Include(b)) => {
                            a.iter().all(|x| b.contains(x))
                        }
                        _ => false,
                    };
                    if !covers {
                        diff.push(format!(
                            "index `{}`: want projection {:?}, table has {:?}",
                            w.name, w.projection, h.projection
                        ));
                    }
                }
            }
        }
        if want.ttl_attribute.is_some() && want.ttl_attribute != have.ttl_attribute {
            diff.push(format!(
                "TTL attribute: want {:?}, table has {:?}",
                want.ttl_attribute, have.ttl_attribute
            ));
        }
        diff
    }
}
