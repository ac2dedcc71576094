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

impl KeyAttribute {
    /// The key attribute `name` of type `key_type`.
    pub fn new(name: impl Into<String>, key_type: KeyType) -> KeyAttribute {
        KeyAttribute {
            name: name.into(),
            key_type,
        }
    }
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

impl Projection {
    /// Whether an index projecting `self` holds every attribute one projecting `declared`
    /// holds (`ALL` holds everything, anything holds the keys).
    pub fn covers(&self, declared: &Projection) -> bool {
        match (declared, self) {
            (_, Projection::All) | (Projection::KeysOnly, _) => true,
            (Projection::Include(want), Projection::Include(have)) => {
                want.iter().all(|x| have.contains(x))
            }
            _ => false,
        }
    }

    /// Whether `self` and `other` project the same attributes (`INCLUDE` lists compared as
    /// sets: DynamoDB may describe them in another order).
    pub fn same_attributes(&self, other: &Projection) -> bool {
        self.covers(other) && other.covers(self)
    }
}

/// The most attributes a global secondary index's partition key, and its sort key, may each be
/// made of (DynamoDB's multi-attribute keys).
pub const MAX_KEY_ATTRIBUTES: usize = 4;

/// A secondary index of a table.
///
/// A global index's partition key and sort key may each be made of up to
/// [`MAX_KEY_ATTRIBUTES`] plain attributes (DynamoDB's multi-attribute keys): `partition_key`
/// and `sort_key` are the first of each, `extra_partition_keys` and `extra_sort_keys` the
/// rest, in key-schema order. Items are ordered by the sort attributes in sequence, and an item
/// lacking any of the key attributes is not in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    /// Index name.
    pub name: String,
    /// Local (shares the table's partition key) or global.
    pub local: bool,
    /// Partition key (for an LSI: the table's); the first attribute of a multi-attribute one.
    pub partition_key: KeyAttribute,
    /// Sort key, if any; the first attribute of a multi-attribute one.
    pub sort_key: Option<KeyAttribute>,
    /// The partition key's further attributes (global indexes only), in order.
    pub extra_partition_keys: Vec<KeyAttribute>,
    /// The sort key's further attributes (global indexes only, after `sort_key`), in order.
    pub extra_sort_keys: Vec<KeyAttribute>,
    /// Projected attributes.
    pub projection: Projection,
}

impl IndexDefinition {
    /// A global index with a single-attribute partition key and an optional sort key.
    pub fn global(
        name: impl Into<String>,
        partition_key: KeyAttribute,
        sort_key: Option<KeyAttribute>,
        projection: Projection,
    ) -> IndexDefinition {
        IndexDefinition::from_key_attributes(name, [partition_key], sort_key, projection)
    }

    /// A global index from its key attributes in key-schema order: `partition_keys` (at least
    /// one) and `sort_keys` (none for an index without a sort key). More than one of either
    /// makes a multi-attribute key.
    ///
    /// ```
    /// use orm_core::backend::{IndexDefinition, KeyAttribute, KeyType, Projection};
    ///
    /// let key = KeyAttribute::new;
    /// let index = IndexDefinition::from_key_attributes(
    ///     "byRegion",
    ///     [key("tournament", KeyType::S), key("region", KeyType::S)],
    ///     [key("round", KeyType::N)],
    ///     Projection::All,
    /// );
    /// assert_eq!(index.extra_partition_keys, [key("region", KeyType::S)]);
    /// assert!(index.is_multi_attribute());
    /// ```
    ///
    /// # Panics
    /// If `partition_keys` is empty: every index has a partition key.
    pub fn from_key_attributes(
        name: impl Into<String>,
        partition_keys: impl IntoIterator<Item = KeyAttribute>,
        sort_keys: impl IntoIterator<Item = KeyAttribute>,
        projection: Projection,
    ) -> IndexDefinition {
        let mut partition = partition_keys.into_iter();
        let mut sort = sort_keys.into_iter();
        IndexDefinition {
            name: name.into(),
            local: false,
            partition_key: partition.next().expect("an index has a partition key"),
            sort_key: sort.next(),
            extra_partition_keys: partition.collect(),
            extra_sort_keys: sort.collect(),
            projection,
        }
    }

    /// A local index: the table's partition key `table_partition_key` and the sort key
    /// `sort_key`.
    pub fn local(
        name: impl Into<String>,
        table_partition_key: KeyAttribute,
        sort_key: KeyAttribute,
        projection: Projection,
    ) -> IndexDefinition {
        IndexDefinition {
            local: true,
            ..IndexDefinition::global(name, table_partition_key, Some(sort_key), projection)
        }
    }

    /// The partition key's attributes, in order (one unless the key is multi-attribute).
    pub fn partition_keys(&self) -> impl Iterator<Item = &KeyAttribute> + Clone {
        std::iter::once(&self.partition_key).chain(&self.extra_partition_keys)
    }

    /// The sort key's attributes, in order (none without a sort key).
    pub fn sort_keys(&self) -> impl Iterator<Item = &KeyAttribute> + Clone {
        self.sort_key.iter().chain(&self.extra_sort_keys)
    }

    /// Every key attribute of the index: the partition key's, then the sort key's.
    pub fn key_attributes(&self) -> impl Iterator<Item = &KeyAttribute> + Clone {
        self.partition_keys().chain(self.sort_keys())
    }

    /// Whether the partition key or the sort key is made of several attributes.
    pub fn is_multi_attribute(&self) -> bool {
        !self.extra_partition_keys.is_empty() || !self.extra_sort_keys.is_empty()
    }
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
    /// A table `name` with these keys, no secondary index and no TTL.
    pub fn new(
        name: impl Into<String>,
        partition_key: KeyAttribute,
        sort_key: Option<KeyAttribute>,
    ) -> TableDefinition {
        TableDefinition {
            name: name.into(),
            partition_key,
            sort_key,
            indexes: Vec::new(),
            ttl_attribute: None,
        }
    }

    /// This definition with `index` added after the others.
    pub fn with_index(mut self, index: IndexDefinition) -> TableDefinition {
        self.indexes.push(index);
        self
    }

    /// This definition with TTL enabled on `attribute`.
    pub fn with_ttl(mut self, attribute: impl Into<String>) -> TableDefinition {
        self.ttl_attribute = Some(attribute.into());
        self
    }

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
            .flat_map(IndexDefinition::key_attributes);
        std::iter::once(&self.partition_key)
            .chain(&self.sort_key)
            .chain(index_keys)
    }

    /// The checks every backend makes before creating the table (DynamoBackend before sending):
    /// no key attribute declared with two types (by the table or any index), no index name twice,
    /// every local index on the table's partition key with one sort attribute, and no index key
    /// of more than [`MAX_KEY_ATTRIBUTES`] attributes or naming an attribute twice. A failure is
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
            if index.local && index.is_multi_attribute() {
                return invalid(format!(
                    "Local secondary index {} cannot have a multi-attribute key: only global \
                     secondary indexes can",
                    index.name
                ));
            }
            if index.partition_keys().count() > MAX_KEY_ATTRIBUTES {
                return invalid(format!(
                    "index {}: Too many partition keys. GSI can have at most \
                     {MAX_KEY_ATTRIBUTES} partition keys",
                    index.name
                ));
            }
            if index.sort_keys().count() > MAX_KEY_ATTRIBUTES {
                return invalid(format!(
                    "index {}: Too many sort keys. GSI can have at most {MAX_KEY_ATTRIBUTES} \
                     sort keys",
                    index.name
                ));
            }
            let names: Vec<&str> = index.key_attributes().map(|k| k.name.as_str()).collect();
            if let Some(twice) = names
                .iter()
                .enumerate()
                .find_map(|(i, n)| names[..i].contains(n).then_some(n))
            {
                return invalid(format!(
                    "index {}: Two keys can not have the same name ({twice})",
                    index.name
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
                    if !h.partition_keys().eq(w.partition_keys())
                        || !h.sort_keys().eq(w.sort_keys())
                    {
                        diff.push(format!(
                            "index `{}`: want keys {}/{}, table has {}/{}",
                            w.name,
                            key_list(w.partition_keys()),
                            key_list(w.sort_keys()),
                            key_list(h.partition_keys()),
                            key_list(h.sort_keys())
                        ));
                    }
                    if !h.projection.covers(&w.projection) {
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

/// Key attributes as `[name S, name N]`, for messages.
/// Key attributes as `[name S, other N]`.
pub(crate) fn key_list<'a>(keys: impl Iterator<Item = &'a KeyAttribute>) -> String {
    let keys: Vec<String> = keys
        .map(|k| format!("{} {:?}", k.name, k.key_type))
        .collect();
    format!("[{}]", keys.join(", "))
}
