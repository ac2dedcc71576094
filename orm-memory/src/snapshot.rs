//! Frozen copies of a backend's tables ([`Snapshot`]): forked in O(1), saved to and loaded
//! from a file.
//!
//! A snapshot shares the tables' persistent maps with the backend it was taken from; either
//! side's later writes copy only the map nodes on their path (copy-on-write), so taking a
//! snapshot, and forking a backend from one, cost the same whatever the number of items.
//!
//! The file format is documented on [`Snapshot`].

use crate::key::key_type_name;
use crate::metadata::{
    check_tags, new_table_id, now_ms, LatestStream, TableMetadata, ThroughputState,
};
use crate::table::Frozen;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use orm_core::backend::{
    BillingMode, IndexDefinition, KeyAttribute, KeyType, Limits, Projection, StreamViewType,
    TableClass, TableDefinition, Throughput,
};
use orm_core::{Error, Item, Number, Value};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The `format` field of a snapshot file.
const FORMAT: &str = "orm-memory snapshot";

/// The file format version [`Snapshot::write_to`] writes. Version 1 files (without the tables'
/// metadata) are read too.
pub const SNAPSHOT_VERSION: u64 = 2;

/// The file format versions [`Snapshot::read_from`] reads.
const READABLE_VERSIONS: [u64; 2] = [1, 2];

/// A frozen, immutable copy of a [`MemoryBackend`](crate::MemoryBackend)'s tables and items.
///
/// Made in O(1) per table by [`MemoryBackend::snapshot`](crate::MemoryBackend::snapshot);
/// [`Snapshot::fork`] makes, also in O(1), a new backend starting from it, whose writes never
/// affect the snapshot, the backend it came from, or other forks. Cloning a snapshot shares it.
/// [`Snapshot::save`] / [`Snapshot::load`] keep one in a file (the
/// [format](#file-format-version-2) is below), for fixtures checked into a repository.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use orm_core::backend::{KeyAttribute, KeyType, PutItem, TableDefinition};
/// use orm_core::{Backend, Item};
/// use orm_memory::{MemoryBackend, Snapshot};
///
/// let seeded = MemoryBackend::new();
/// let def = TableDefinition {
///     name: "app".into(),
///     partition_key: KeyAttribute { name: "pk".into(), key_type: KeyType::S },
///     sort_key: None,
///     indexes: vec![],
///     ttl_attribute: None,
/// };
/// seeded.create_table(&def).await?;
/// seeded.put_item(PutItem::new("app", Item::new().with("pk", "a").with("n", 1))).await?;
/// let snapshot = seeded.snapshot();
///
/// let mut file = Vec::new();
/// snapshot.write_to(&mut file).unwrap();
/// let loaded = Snapshot::read_from(file.as_slice()).unwrap();
/// assert_eq!(loaded, snapshot);
/// assert_eq!(loaded.fork().item_count("app"), Some(1));
/// # Ok::<(), orm_core::Error>(()) }).unwrap();
/// ```
///
/// # File format, version 2
///
/// A snapshot file is UTF-8 JSON, one object:
///
/// ```text
/// {"format": "orm-memory snapshot", "version": 2, "tables": [TABLE, ...]}
/// TABLE := {"name": "app",
///           "partition_key": KEY, "sort_key": KEY | null,
///           "indexes": [{"name": "gsi1", "local": false, "partition_key": KEY,
///                        "sort_key": KEY | null,
///                        "extra_partition_keys": [KEY, ...], "extra_sort_keys": [KEY, ...],
///                        "projection": "ALL" | "KEYS_ONLY" | {"INCLUDE": ["attr", ...]}}],
///           "ttl_attribute": "expires" | null,
///           "id": "uuid", "created_ms": 1700000000123,
///           "billing_mode": "PAY_PER_REQUEST" | "PROVISIONED",
///           "pay_per_request_since_ms": 1700000000123 | null,
///           "throughput": THROUGHPUT | null, "index_throughput": {"gsi1": THROUGHPUT, ...},
///           "stream": {"view_type": "NEW_IMAGE", "label": "2024-01-31T12:34:56.789"} | null,
///                                                  (an enabled stream; see below)
///           "table_class": "STANDARD" | "STANDARD_INFREQUENT_ACCESS",
///           "deletion_protection": false, "tags": {"key": "value", ...},
///           "items": [ITEM, ...]}
/// THROUGHPUT := {"read": 5, "write": 5, "last_increase_ms": MS | null,
///                "last_decrease_ms": MS | null, "decreases": 0}
/// KEY   := {"name": "pk", "type": "S" | "N" | "B"}
/// ITEM  := {"attr": VALUE, ...}                    (DynamoDB JSON, as DynamoDB's API writes it)
/// VALUE := {"S": "text"} | {"N": "12.5"} | {"B": "base64"} | {"BOOL": true} | {"NULL": true}
///        | {"L": [VALUE, ...]} | {"M": {"name": VALUE, ...}}
///        | {"SS": ["a", ...]} | {"NS": ["1", ...]} | {"BS": ["base64", ...]}
/// ```
///
/// `extra_partition_keys` and `extra_sort_keys` (the further attributes of a multi-attribute
/// global index key, in key-schema order) are written only when not empty, and read as empty
/// when absent, so files of indexes with single-attribute keys are unchanged.
///
/// Numbers are JSON strings (exact, up to DynamoDB's 38 digits); binaries are standard base64
/// with padding; times are milliseconds since the epoch. [`Snapshot::write_to`] writes tables
/// in name order and items in key order, one item per line, so a fixture checked into a
/// repository diffs line by line. Loading checks everything a `CreateTable` and a `PutItem`
/// would check; remembered transaction tokens are not part of a snapshot, and a table change
/// in progress (UpdateTable) is complete in it.
///
/// The table metadata (from `id` to `tags`) may be left out, field by field: a table then has a
/// new id, was created when loaded, is billed on demand, has no stream, is `STANDARD`, without
/// deletion protection or tags. Version 1 files are this format without those fields, and are
/// read the same way. A reader refuses any `version` other than the ones it knows (1 and 2).
///
/// Streams: a snapshot keeps whether each table's stream is enabled, and its view type, not its
/// records. A backend made from it ([`Snapshot::fork`], [`MemoryBackend::fork`]) enables a new
/// stream of that view type on the table (a new label and ARN), recording its own changes from
/// the moment it is made; a stream that was disabled is not part of the copy.
///
/// [`MemoryBackend::fork`]: crate::MemoryBackend::fork
#[derive(Clone, Default)]
pub struct Snapshot {
    pub(crate) tables: Arc<HashMap<String, Frozen>>,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field(
                "tables",
                &crate::table_sizes(self.tables.iter().map(|(n, t)| (n.as_str(), t.len()))),
            )
            .finish()
    }
}

impl PartialEq for Snapshot {
    /// The same tables (definitions and metadata) holding the same items.
    fn eq(&self, other: &Snapshot) -> bool {
        self.tables.len() == other.tables.len()
            && self.tables.iter().all(|(name, table)| {
                other.tables.get(name).is_some_and(|o| {
                    table.def() == o.def()
                        && table.metadata == o.metadata
                        && table.len() == o.len()
                        && table.items().zip(o.items()).all(|(a, b)| a == b)
                })
            })
    }
}

/// Why a snapshot could not be saved or loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Reading or writing failed.
    Io {
        /// The file, when there is one.
        path: Option<PathBuf>,
        /// The I/O error.
        source: io::Error,
    },
    /// The input is not a snapshot, or a damaged one; `message` says what is wrong and where.
    Corrupt {
        /// The file, when there is one.
        path: Option<PathBuf>,
        /// What is wrong, and where (table, item, attribute; or JSON line and column).
        message: String,
    },
    /// A snapshot written in a format version this build does not read.
    UnsupportedVersion {
        /// The file, when there is one.
        path: Option<PathBuf>,
        /// The file's `version` field as JSON text (`2`, `"1"`; `null` when it has none).
        found: String,
        /// The newest version this build reads ([`SNAPSHOT_VERSION`]; it reads every version
        /// from 1).
        supported: u64,
    },
}

impl SnapshotError {
    fn with_path(mut self, file: &Path) -> SnapshotError {
        let (SnapshotError::Io { path, .. }
        | SnapshotError::Corrupt { path, .. }
        | SnapshotError::UnsupportedVersion { path, .. }) = &mut self;
        *path = Some(file.to_owned());
        self
    }

    fn corrupt(message: impl Into<String>) -> SnapshotError {
        SnapshotError::Corrupt {
            path: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (SnapshotError::Io { path, .. }
        | SnapshotError::Corrupt { path, .. }
        | SnapshotError::UnsupportedVersion { path, .. }) = self;
        match path {
            Some(p) => write!(f, "memory backend snapshot {}: ", p.display())?,
            None => write!(f, "memory backend snapshot: ")?,
        }
        match self {
            SnapshotError::Io { source, .. } => write!(f, "{source}"),
            SnapshotError::Corrupt { message, .. } => write!(f, "{message}"),
            SnapshotError::UnsupportedVersion {
                found, supported, ..
            } => write!(
                f,
                "format version {found} is not supported: this build reads versions 1 to {supported}"
            ),
        }
    }
}

impl std::error::Error for SnapshotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SnapshotError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<io::Error> for SnapshotError {
    fn from(source: io::Error) -> SnapshotError {
        SnapshotError::Io { path: None, source }
    }
}

impl Snapshot {
    /// A new backend holding this snapshot's tables, in O(1) per table; its writes affect
    /// neither the snapshot nor anything else forked from it.
    pub fn fork(&self) -> crate::MemoryBackend {
        crate::MemoryBackend::from_tables((*self.tables).clone(), Default::default())
    }

    /// The names of the tables, sorted.
    pub fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tables.keys().cloned().collect();
        names.sort_unstable();
        names
    }

    /// How many items a table holds (`None` if it does not exist).
    pub fn item_count(&self, table: &str) -> Option<usize> {
        self.tables.get(table).map(Frozen::len)
    }

    /// Writes the snapshot to a file (created or replaced), in the [format](Snapshot#file-format-version-2).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SnapshotError> {
        let path = path.as_ref();
        let file =
            std::fs::File::create(path).map_err(|e| SnapshotError::from(e).with_path(path))?;
        self.write_to(file).map_err(|e| e.with_path(path))
    }

    /// Reads a snapshot written by [`Snapshot::save`] (or by hand, in the same format).
    pub fn load(path: impl AsRef<Path>) -> Result<Snapshot, SnapshotError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| SnapshotError::from(e).with_path(path))?;
        Snapshot::read_from(io::BufReader::new(file)).map_err(|e| e.with_path(path))
    }

    /// Writes the snapshot in the [format](Snapshot#file-format-version-2): tables in name
    /// order, items in key order, one per line.
    pub fn write_to(&self, out: impl Write) -> Result<(), SnapshotError> {
        let mut out = BufWriter::new(out);
        write!(
            out,
            "{{\"format\": {}, \"version\": {SNAPSHOT_VERSION}, \"tables\": [",
            json!(FORMAT)
        )?;
        for (i, name) in self.table_names().iter().enumerate() {
            let table = &self.tables[name];
            let mut head = definition_to_json(&table.def());
            head.remove("name");
            head.extend(metadata_to_json(&table.metadata));
            write!(
                out,
                "{}\n{{\"name\": {}",
                if i == 0 { "" } else { "," },
                json!(name)
            )?;
            for (field, value) in &head {
                write!(out, ", {}: {}", json!(field), value)?;
            }
            write!(out, ", \"items\": [")?;
            for (j, item) in table.items().enumerate() {
                let line = item_to_json(&item);
                write!(out, "{}\n{line}", if j == 0 { "" } else { "," })?;
            }
            write!(out, "\n]}}")?;
        }
        writeln!(out, "\n]}}")?;
        out.flush()?;
        Ok(())
    }

    /// Reads a snapshot in the [format](Snapshot#file-format-version-2) (or version 1),
    /// checking every table definition as `CreateTable` does and every item as `PutItem` does.
    pub fn read_from(input: impl Read) -> Result<Snapshot, SnapshotError> {
        let doc: Json = serde_json::from_reader(input).map_err(|e| {
            if e.is_io() {
                SnapshotError::from(io::Error::from(e))
            } else {
                SnapshotError::corrupt(format!("not valid JSON: {e}"))
            }
        })?;
        let Json::Object(doc) = doc else {
            return Err(SnapshotError::corrupt(
                "not a snapshot: the document is not a JSON object",
            ));
        };
        if doc.get("format") != Some(&json!(FORMAT)) {
            return Err(SnapshotError::corrupt(format!(
                "not a snapshot: the `format` field is {}, not \"{FORMAT}\"",
                doc.get("format")
                    .map_or("missing".to_owned(), Json::to_string)
            )));
        }
        match doc.get("version") {
            Some(v) if v.as_u64().is_some_and(|v| READABLE_VERSIONS.contains(&v)) => {}
            other => {
                return Err(SnapshotError::UnsupportedVersion {
                    path: None,
                    found: other.map_or("null".to_owned(), Json::to_string),
                    supported: SNAPSHOT_VERSION,
                })
            }
        }
        let tables =
            array(doc.get("tables"), "the `tables` field").map_err(SnapshotError::corrupt)?;
        let mut out = HashMap::with_capacity(tables.len());
        for (i, table) in tables.iter().enumerate() {
            let table = read_table(table).map_err(|e| {
                let name = table.get("name").and_then(Json::as_str);
                SnapshotError::corrupt(match name {
                    Some(name) => format!("table `{name}`: {e}"),
                    None => format!("table {i}: {e}"),
                })
            })?;
            let name = table.schema.def.name.clone();
            if out.insert(name.clone(), table).is_some() {
                return Err(SnapshotError::corrupt(format!(
                    "table `{name}` appears twice"
                )));
            }
        }
        Ok(Snapshot {
            tables: Arc::new(out),
        })
    }
}

/// A JSON array, or an error naming `what`.
fn array<'a>(value: Option<&'a Json>, what: &str) -> Result<&'a Vec<Json>, String> {
    match value {
        Some(Json::Array(a)) => Ok(a),
        Some(other) => Err(format!("{what} is not an array: {}", brief(other))),
        None => Err(format!("{what} is missing")),
    }
}

/// A JSON value shortened for an error message.
fn brief(value: &Json) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

fn key_to_json(key: &KeyAttribute) -> Json {
    json!({"name": key.name, "type": key_type_name(key.key_type)})
}

fn definition_to_json(def: &TableDefinition) -> Map<String, Json> {
    let indexes: Vec<Json> = def
        .indexes
        .iter()
        .map(|i| {
            let projection = match &i.projection {
                Projection::All => json!("ALL"),
                Projection::KeysOnly => json!("KEYS_ONLY"),
                Projection::Include(names) => json!({ "INCLUDE": names }),
            };
            let mut index = json!({
                "name": i.name,
                "local": i.local,
                "partition_key": key_to_json(&i.partition_key),
                "sort_key": i.sort_key.as_ref().map(key_to_json),
                "projection": projection,
            });
            for (field, keys) in [
                ("extra_partition_keys", &i.extra_partition_keys),
                ("extra_sort_keys", &i.extra_sort_keys),
            ] {
                if !keys.is_empty() {
                    index[field] = keys.iter().map(key_to_json).collect();
                }
            }
            index
        })
        .collect();
    let Json::Object(map) = json!({
        "name": def.name,
        "partition_key": key_to_json(&def.partition_key),
        "sort_key": def.sort_key.as_ref().map(key_to_json),
        "indexes": indexes,
        "ttl_attribute": def.ttl_attribute,
    }) else {
        unreachable!("json! of an object is an object")
    };
    map
}

/// Milliseconds since the epoch of `t`.
fn millis(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis()).unwrap_or(u64::MAX)
}

fn throughput_to_json(state: &ThroughputState) -> Json {
    json!({
        "read": state.units.read_capacity_units,
        "write": state.units.write_capacity_units,
        "last_increase_ms": state.last_increase.map(millis),
        "last_decrease_ms": state.last_decrease.map(millis),
        "decreases": state.decreases,
    })
}

/// A table's metadata fields (`id` to `tags`).
fn metadata_to_json(metadata: &TableMetadata) -> Map<String, Json> {
    let Json::Object(map) = json!({
        "id": metadata.id,
        "created_ms": millis(metadata.created),
        "billing_mode": metadata.billing_mode.as_str(),
        "pay_per_request_since_ms": metadata.pay_per_request_since.map(millis),
        "throughput": metadata.throughput.as_ref().map(throughput_to_json),
        "index_throughput": Map::from_iter(
            metadata.index_throughput.iter().map(|(k, v)| (k.clone(), throughput_to_json(v)))
        ),
        "stream": metadata.stream.as_ref().map(|s| json!({
            "view_type": s.view_type.as_str(), "label": s.label
        })),
        "table_class": metadata.table_class.as_str(),
        "deletion_protection": metadata.deletion_protection,
        "tags": Map::from_iter(
            metadata.tags.iter().map(|(k, v)| (k.clone(), Json::String(v.clone())))
        ),
    }) else {
        unreachable!("json! of an object is an object")
    };
    map
}

/// An optional field: `None` when absent or null.
fn optional<'a>(object: &'a Json, field: &str) -> Option<&'a Json> {
    object.get(field).filter(|v| !v.is_null())
}

/// An optional time in milliseconds since the epoch.
fn time_field(object: &Json, field: &str) -> Result<Option<SystemTime>, String> {
    optional(object, field)
        .map(|v| {
            v.as_u64()
                .map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
                .ok_or_else(|| format!("`{field}` is not a time in milliseconds: {}", brief(v)))
        })
        .transpose()
}

fn throughput_from_json(value: &Json, what: &str) -> Result<ThroughputState, String> {
    let units = |field: &str| {
        value
            .get(field)
            .and_then(Json::as_u64)
            .filter(|&n| (1..=Throughput::MAX_UNITS).contains(&n))
            .ok_or_else(|| {
                format!(
                    "{what}: `{field}` is not a capacity from 1 to {}",
                    Throughput::MAX_UNITS
                )
            })
    };
    Ok(ThroughputState {
        units: Throughput::new(units("read")?, units("write")?),
        last_increase: time_field(value, "last_increase_ms").map_err(|e| format!("{what}: {e}"))?,
        last_decrease: time_field(value, "last_decrease_ms").map_err(|e| format!("{what}: {e}"))?,
        decreases: match optional(value, "decreases") {
            None => 0,
            Some(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("{what}: `decreases` is not a count: {}", brief(n)))?,
        },
    })
}

/// A table's metadata from its fields (each optional: see the format), for `def`.
fn metadata_from_json(table: &Json, def: &TableDefinition) -> Result<TableMetadata, String> {
    let text = |field: &str| -> Result<Option<&str>, String> {
        optional(table, field)
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| format!("`{field}` is not a string: {}", brief(v)))
            })
            .transpose()
    };
    let billing_mode = match text("billing_mode")? {
        None | Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        Some("PROVISIONED") => BillingMode::Provisioned,
        Some(other) => {
            return Err(format!(
                "`billing_mode` is `{other}`, not PAY_PER_REQUEST or PROVISIONED"
            ))
        }
    };
    let throughput = optional(table, "throughput")
        .map(|t| throughput_from_json(t, "`throughput`"))
        .transpose()?;
    if billing_mode == BillingMode::Provisioned && throughput.is_none() {
        return Err("a PROVISIONED table needs a `throughput`".into());
    }
    let mut index_throughput = BTreeMap::new();
    if let Some(map) = optional(table, "index_throughput") {
        let map = map
            .as_object()
            .ok_or_else(|| format!("`index_throughput` is not an object: {}", brief(map)))?;
        for (name, t) in map {
            if !def.indexes.iter().any(|i| &i.name == name && !i.local) {
                return Err(format!(
                    "`index_throughput` names `{name}`, which is not a global index of the table"
                ));
            }
            let what = format!("`index_throughput.{name}`");
            index_throughput.insert(name.clone(), throughput_from_json(t, &what)?);
        }
    }
    let stream = optional(table, "stream")
        .map(|s| -> Result<LatestStream, String> {
            let view_type = s
                .get("view_type")
                .and_then(Json::as_str)
                .and_then(StreamViewType::from_name)
                .ok_or_else(|| format!("`stream.view_type` is not a view type: {}", brief(s)))?;
            let label = string_field(s, "label").map_err(|e| format!("`stream`: {e}"))?;
            Ok(LatestStream {
                view_type,
                label,
                enabled: true,
            })
        })
        .transpose()?;
    let table_class = match text("table_class")? {
        None => TableClass::Standard,
        Some(name) => TableClass::from_name(name).ok_or_else(|| {
            format!("`table_class` is `{name}`, not STANDARD or STANDARD_INFREQUENT_ACCESS")
        })?,
    };
    let deletion_protection = match optional(table, "deletion_protection") {
        None => false,
        Some(Json::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
                "`deletion_protection` is not a boolean: {}",
                brief(other)
            ))
        }
    };
    let mut tags = BTreeMap::new();
    if let Some(map) = optional(table, "tags") {
        let map = map
            .as_object()
            .ok_or_else(|| format!("`tags` is not an object: {}", brief(map)))?;
        let pairs = map
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|v| (k.clone(), v.to_owned()))
                    .ok_or_else(|| format!("tag `{k}` is not a string: {}", brief(v)))
            })
            .collect::<Result<Vec<_>, String>>()?;
        check_tags("Snapshot", &pairs, &mut tags).map_err(|e| e.to_string())?;
    }
    Ok(TableMetadata {
        id: text("id")?.map_or_else(new_table_id, str::to_owned),
        created: time_field(table, "created_ms")?.unwrap_or_else(now_ms),
        ttl: def.ttl_attribute.clone(),
        billing_mode,
        pay_per_request_since: time_field(table, "pay_per_request_since_ms")?,
        throughput,
        index_throughput,
        stream,
        table_class,
        deletion_protection,
        tags,
    })
}

fn string_field(object: &Json, field: &str) -> Result<String, String> {
    match object.get(field) {
        Some(Json::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("`{field}` is not a string: {}", brief(other))),
        None => Err(format!("`{field}` is missing")),
    }
}

fn key_from_json(value: Option<&Json>, what: &str) -> Result<Option<KeyAttribute>, String> {
    let value = match value {
        None | Some(Json::Null) => return Ok(None),
        Some(v) => v,
    };
    let name = string_field(value, "name").map_err(|e| format!("{what}: {e}"))?;
    let key_type = match string_field(value, "type")
        .map_err(|e| format!("{what}: {e}"))?
        .as_str()
    {
        "S" => KeyType::S,
        "N" => KeyType::N,
        "B" => KeyType::B,
        other => {
            return Err(format!(
                "{what}: key type `{other}` is not one of S, N and B"
            ))
        }
    };
    Ok(Some(KeyAttribute { name, key_type }))
}

/// An optional list of keys (absent: empty).
fn keys_from_json(
    index: &Json,
    field: &str,
    what: &dyn Fn(&str) -> String,
) -> Result<Vec<KeyAttribute>, String> {
    match index.get(field) {
        None => Ok(Vec::new()),
        Some(list) => array(Some(list), &what(field))?
            .iter()
            .map(|k| key_from_json(Some(k), &what(field))?.ok_or_else(|| what(field)))
            .collect(),
    }
}

fn definition_from_json(table: &Json) -> Result<TableDefinition, String> {
    if !table.is_object() {
        return Err(format!("not an object: {}", brief(table)));
    }
    let name = string_field(table, "name")?;
    let partition_key = key_from_json(table.get("partition_key"), "`partition_key`")?
        .ok_or("`partition_key` is missing")?;
    let sort_key = key_from_json(table.get("sort_key"), "`sort_key`")?;
    let mut indexes = Vec::new();
    for (i, index) in array(table.get("indexes"), "`indexes`")?.iter().enumerate() {
        let index_name = string_field(index, "name").map_err(|e| format!("index {i}: {e}"))?;
        let what = |field: &str| format!("index `{index_name}`: `{field}`");
        let projection = match index.get("projection") {
            Some(Json::String(p)) if p == "ALL" => Projection::All,
            Some(Json::String(p)) if p == "KEYS_ONLY" => Projection::KeysOnly,
            Some(Json::Object(o)) if o.len() == 1 && o.contains_key("INCLUDE") => {
                let names = array(o.get("INCLUDE"), &what("projection.INCLUDE"))?;
                let names = names
                    .iter()
                    .map(|n| n.as_str().map(str::to_owned))
                    .collect::<Option<Vec<String>>>()
                    .ok_or_else(|| format!("{} holds a non-string", what("projection.INCLUDE")))?;
                Projection::Include(names)
            }
            other => {
                return Err(format!(
                    "{} is {}, not \"ALL\", \"KEYS_ONLY\" or {{\"INCLUDE\": [...]}}",
                    what("projection"),
                    other.map_or("missing".to_owned(), brief)
                ))
            }
        };
        let local = match index.get("local") {
            Some(Json::Bool(b)) => *b,
            other => {
                return Err(format!(
                    "{} is {}, not a boolean",
                    what("local"),
                    other.map_or("missing".to_owned(), brief)
                ))
            }
        };
        indexes.push(IndexDefinition {
            partition_key: key_from_json(index.get("partition_key"), &what("partition_key"))?
                .ok_or_else(|| format!("{} is missing", what("partition_key")))?,
            sort_key: key_from_json(index.get("sort_key"), &what("sort_key"))?,
            extra_partition_keys: keys_from_json(index, "extra_partition_keys", &what)?,
            extra_sort_keys: keys_from_json(index, "extra_sort_keys", &what)?,
            name: index_name,
            local,
            projection,
        });
    }
    let ttl_attribute = match table.get("ttl_attribute") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => return Err(format!("`ttl_attribute` is not a string: {}", brief(other))),
    };
    Ok(TableDefinition {
        name,
        partition_key,
        sort_key,
        indexes,
        ttl_attribute,
    })
}

/// A table read from its JSON, its items distributed into their parts.
fn read_table(json: &Json) -> Result<Frozen, String> {
    let def = definition_from_json(json)?;
    let metadata = metadata_from_json(json, &def)?;
    // A file is not a request: a definition CreateTable would reject is invalid input either way.
    let mut table =
        Frozen::with_metadata(def, Limits::default(), metadata).map_err(|e| match e {
            Error::ServiceValidation { message, .. } => Error::validation(message).to_string(),
            other => other.to_string(),
        })?;
    for (i, item) in array(json.get("items"), "`items`")?.iter().enumerate() {
        let item = item_from_json(item).map_err(|e| format!("item {i}: {e}"))?;
        let key = table
            .schema
            .check_item(&item, false)
            .map_err(|e| format!("item {i}: {e}"))?;
        if table.put(key, &item).is_some() {
            return Err(format!(
                "item {i}: another item of the table has the same key"
            ));
        }
    }
    Ok(table)
}

/// An item in DynamoDB JSON.
pub(crate) fn item_to_json(item: &Item) -> Json {
    Json::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), value_to_json(value)))
            .collect(),
    )
}

fn value_to_json(value: &Value) -> Json {
    match value {
        Value::S(s) => json!({ "S": s }),
        Value::N(n) => json!({ "N": n.as_str() }),
        Value::B(b) => json!({ "B": STANDARD.encode(b) }),
        Value::Bool(b) => json!({ "BOOL": b }),
        Value::Null => json!({ "NULL": true }),
        Value::L(l) => json!({ "L": l.iter().map(value_to_json).collect::<Vec<_>>() }),
        Value::M(m) => json!({ "M": Map::from_iter(
            m.iter().map(|(k, v)| (k.clone(), value_to_json(v)))
        ) }),
        Value::Ss(s) => json!({ "SS": s }),
        Value::Ns(s) => json!({ "NS": s.iter().map(Number::as_str).collect::<Vec<_>>() }),
        Value::Bs(s) => json!({ "BS": s.iter().map(|b| STANDARD.encode(b)).collect::<Vec<_>>() }),
    }
}

/// An item from DynamoDB JSON; the error names the attribute (and the path inside it).
pub(crate) fn item_from_json(json: &Json) -> Result<Item, String> {
    let Json::Object(attrs) = json else {
        return Err(format!("not an object: {}", brief(json)));
    };
    let mut item = BTreeMap::new();
    for (name, value) in attrs {
        let value = value_from_json(value).map_err(|e| format!("attribute `{name}`: {e}"))?;
        item.insert(name.clone(), value);
    }
    Ok(Item(item))
}

fn number(text: &Json) -> Result<Number, String> {
    match text {
        Json::String(s) => {
            Number::parse(s).map_err(|e| format!("`{s}` is not a DynamoDB number: {e}"))
        }
        other => Err(format!(
            "a number must be a JSON string (exact), found {}",
            brief(other)
        )),
    }
}

fn binary(text: &Json) -> Result<Vec<u8>, String> {
    match text {
        Json::String(s) => STANDARD
            .decode(s)
            .map_err(|e| format!("`{}` is not base64: {e}", brief(text))),
        other => Err(format!(
            "a binary must be a base64 string, found {}",
            brief(other)
        )),
    }
}

fn set<T: Ord>(
    elements: &Json,
    tag: &str,
    element: impl Fn(&Json) -> Result<T, String>,
) -> Result<BTreeSet<T>, String> {
    let Json::Array(elements) = elements else {
        return Err(format!("{tag} is not an array: {}", brief(elements)));
    };
    let mut out = BTreeSet::new();
    for (i, e) in elements.iter().enumerate() {
        if !out.insert(element(e).map_err(|m| format!("{tag}[{i}]: {m}"))?) {
            return Err(format!("{tag}[{i}]: duplicate set element {}", brief(e)));
        }
    }
    Ok(out)
}

fn value_from_json(json: &Json) -> Result<Value, String> {
    let (tag, inner) = match json {
        Json::Object(o) if o.len() == 1 => o.iter().next().expect("one entry"),
        other => {
            return Err(format!(
                "a value must be an object with one type tag (S, N, B, BOOL, NULL, L, M, SS, \
                 NS, BS), found {}",
                brief(other)
            ))
        }
    };
    let string = |v: &Json| match v {
        Json::String(s) => Ok(s.clone()),
        other => Err(format!("{tag} must be a string, found {}", brief(other))),
    };
    Ok(match tag.as_str() {
        "S" => Value::S(string(inner)?),
        "N" => Value::N(number(inner)?),
        "B" => Value::B(binary(inner)?),
        "BOOL" => match inner {
            Json::Bool(b) => Value::Bool(*b),
            other => {
                return Err(format!(
                    "BOOL must be true or false, found {}",
                    brief(other)
                ))
            }
        },
        "NULL" => match inner {
            Json::Bool(true) => Value::Null,
            other => return Err(format!("NULL must be true, found {}", brief(other))),
        },
        "L" => match inner {
            Json::Array(elements) => Value::L(
                elements
                    .iter()
                    .enumerate()
                    .map(|(i, e)| value_from_json(e).map_err(|m| format!("L[{i}]: {m}")))
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(format!("L is not an array: {}", brief(other))),
        },
        "M" => match inner {
            Json::Object(entries) => Value::M(
                entries
                    .iter()
                    .map(|(k, v)| {
                        value_from_json(v)
                            .map(|v| (k.clone(), v))
                            .map_err(|m| format!("M.{k}: {m}"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(format!("M is not an object: {}", brief(other))),
        },
        "SS" => Value::Ss(set(inner, "SS", string)?),
        "NS" => Value::Ns(set(inner, "NS", number)?),
        "BS" => Value::Bs(set(inner, "BS", binary)?),
        other => {
            return Err(format!(
                "unknown type tag `{other}` (expected S, N, B, BOOL, NULL, L, M, SS, NS or BS)"
            ))
        }
    })
}

#[cfg(test)]
mod tests;
