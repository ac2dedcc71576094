//! The ORM's own stamps (`#[model(created_at)]`, `#[model(updated_at)]`, `#[model(version)]`)
//! on every write path, for every field type a stamp may have: one case per cell of the matrix
//! field type x write.
//!
//! The matrix is written once, in [`__stamp_matrix!`](crate::__stamp_matrix): its types become
//! the models below (one per type, both stamps of that type), its writes the generic cases
//! below, and [`conformance_tests!`](crate::conformance_tests) runs every pair
//! (`stamps::<type>::<write>`) on every backend row.
//!
//! What every cell checks:
//! - the write succeeds (an `Option` stamp that is `None` is stamped, never an error: issue 28
//!   item 1, which no test caught because the only stamped model here had `String` stamps);
//! - the stored item holds the stamps the write promises (`created_at` set once and kept
//!   afterwards, `updated_at` on every stamping write), and `version` as documented;
//! - where the write hands the model back (`create`, `save`, `save_changes`, an update with
//!   `returning_new`), the model the caller holds equals the model read back.

use crate::has_transactions;
use orm_core::migrate::Migration;
use orm_core::{Item, Key, Model, ModelExt, Table, Value};
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// Lists the stamp matrix once and hands it to the macro `[$callback]`, after the tokens that
/// follow it: `ops [..]`, the writes (the generic cases of this module), and `types [..]`, one
/// `(module, Model, field type, initial value, [field attributes], versioned|unversioned)` per
/// stamp field type.
#[doc(hidden)]
#[macro_export]
macro_rules! __stamp_matrix {
    ([$($callback:tt)*] $($prefix:tt)*) => {
        $($callback)*! { $($prefix)*
            ops [
                create,
                save_new,
                save_existing,
                save_changes,
                update,
                update_upsert,
                transaction_create,
                transaction_put_new,
                transaction_put_existing,
                batch_create,
                batch_put,
                migration,
            ];
            types [
                (string, StampString, String, String::new(), [], versioned),
                (option_string, StampOptionString, Option<String>, None, [], versioned),
                (option_string_unversioned, StampOptionStringUnversioned, Option<String>, None, [], unversioned),
                (epoch_i64, StampEpochI64, i64, 0, [], versioned),
                (epoch_u64, StampEpochU64, u64, 0, [], versioned),
                (option_epoch_i64, StampOptionEpochI64, Option<i64>, None, [], versioned),
                (system_time, StampSystemTime, std::time::SystemTime, std::time::UNIX_EPOCH, [], versioned),
                (chrono, StampChrono, chrono::DateTime<chrono::Utc>, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH, [], versioned),
                (option_chrono, StampOptionChrono, Option<chrono::DateTime<chrono::Utc>>, None, [], versioned),
                (chrono_rfc3339, StampChronoRfc3339, chrono::DateTime<chrono::Utc>, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
                    [#[serde(with = "orm_core::types::chrono::rfc3339")]], versioned),
                (option_chrono_rfc3339, StampOptionChronoRfc3339, Option<chrono::DateTime<chrono::Utc>>, None,
                    [#[serde(default, with = "orm_core::types::chrono::rfc3339::option")]], unversioned),
                (chrono_rfc3339_newtype, StampChronoRfc3339Newtype, orm_core::types::chrono::Rfc3339,
                    orm_core::types::chrono::Rfc3339(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH), [], versioned),
                (chrono_epoch_seconds, StampChronoEpochSeconds, chrono::DateTime<chrono::Utc>, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
                    [#[serde(with = "orm_core::types::chrono::epoch_seconds")]], versioned),
                (time_rfc3339, StampTimeRfc3339, time::OffsetDateTime, time::OffsetDateTime::UNIX_EPOCH,
                    [#[serde(with = "orm_core::types::time::rfc3339")]], versioned),
                (option_time_rfc3339, StampOptionTimeRfc3339, Option<time::OffsetDateTime>, None,
                    [#[serde(default, with = "orm_core::types::time::rfc3339::option")]], versioned),
                (time_rfc3339_newtype, StampTimeRfc3339Newtype, orm_core::types::time::Rfc3339,
                    orm_core::types::time::Rfc3339(time::OffsetDateTime::UNIX_EPOCH), [], unversioned),
            ];
        }
    };
}

/// One `#[tokio::test]` per cell of the stamp matrix, in modules `stamps::<type>::<write>`.
#[doc(hidden)]
#[macro_export]
macro_rules! __stamp_cases {
    ($setup:ident; ops $ops:tt; types [$(($module:ident, $model:ident, $($rest:tt)*)),* $(,)?];) => {
        mod stamps {
            $($crate::__stamp_type_cases! { $setup; $module; $model; $ops })*
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __stamp_type_cases {
    ($setup:ident; $module:ident; $model:ident; [$($op:ident),* $(,)?]) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $op() {
                    let table = super::super::$setup().await;
                    $crate::stamps::$op::<$crate::stamps::$model>(&table).await;
                    let _ = table.delete_table().await;
                }
            )*
        }
    };
}

/// A model of the matrix: an id, some data, and both stamps of one field type.
pub trait StampModel: Model + ModelExt + Clone + PartialEq + Debug {
    /// A model never stored: its stamps hold their initial values (`None`, `0`, the epoch...).
    fn fresh(id: &str) -> Self;
    /// The data field, to change between writes.
    fn data_mut(&mut self) -> &mut String;
    /// The primary key of the model with this id.
    fn key_for(id: &str) -> Key;
}

macro_rules! stamp_models {
    (ops $ops:tt; types [$(($module:ident, $model:ident, $($rest:tt)*)),* $(,)?];) => {
        $(stamp_model! { $model, $($rest)* })*
    };
}

macro_rules! stamp_model {
    ($model:ident, $ty:ty, $init:expr, $attrs:tt, versioned) => {
        stamp_model! { @model $model, $ty, $init, $attrs, "versioned",
            [
                /// Optimistic-locking version.
                #[model(version)]
                pub version: u64,
            ],
            [version: 0,]
        }
    };
    ($model:ident, $ty:ty, $init:expr, $attrs:tt, unversioned) => {
        stamp_model! { @model $model, $ty, $init, $attrs, "unversioned", [], [] }
    };
    (
        @model $model:ident, $ty:ty, $init:expr, [$(#[$($attr:tt)*])*], $versioning:literal,
        [$($version_field:tt)*], [$($version_init:tt)*]
    ) => {
        #[doc = concat!("A model of the stamp matrix (", $versioning, "): `", stringify!($ty), "` stamps.")]
        #[derive(orm_core::Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
        #[model(pk = "STAMP#{id}", sk = "STAMP", schema_version = 2)]
        pub struct $model {
            /// Id.
            pub id: String,
            /// Data.
            pub data: String,
            $($version_field)*
            /// Set once by the ORM.
            #[model(created_at)]
            $(#[$($attr)*])*
            pub created_at: $ty,
            /// Set by the ORM on every write.
            #[model(updated_at)]
            $(#[$($attr)*])*
            pub updated_at: $ty,
        }

        impl StampModel for $model {
            fn fresh(id: &str) -> Self {
                $model {
                    id: id.into(),
                    data: "fresh".into(),
                    $($version_init)*
                    created_at: $init,
                    updated_at: $init,
                }
            }
            fn data_mut(&mut self) -> &mut String {
                &mut self.data
            }
            fn key_for(id: &str) -> Key {
                $model::key(id).expect("stamp key")
            }
        }
    };
}

crate::__stamp_matrix!([stamp_models]);

/// The item stored at `id`'s key, as it is (strongly consistent).
async fn stored<M: StampModel>(table: &Table, id: &str) -> Item {
    let key = table
        .layout()
        .key_item::<M>(&M::key_for(id))
        .expect("key item");
    let request = orm_core::backend::GetItem::new(table.name(), key).with_consistent(true);
    table
        .backend()
        .get_item(&request)
        .await
        .expect("raw get")
        .map(|i| i.into_item().unwrap())
        .unwrap_or_else(|| panic!("{}: no item at {id}", M::schema().entity))
}

/// The model read back at `id`'s key.
async fn read<M: StampModel>(table: &Table, id: &str) -> M {
    let consistent = table.reconfigure(|c| c.consistent_reads = true);
    M::get(&consistent, M::key_for(id))
        .await
        .unwrap_or_else(|e| panic!("{}: read {id}: {e}", M::schema().entity))
}

/// The stored value of the `created_at` and `updated_at` attributes.
fn stamps<M: StampModel>(item: &Item) -> (Option<Value>, Option<Value>) {
    let schema = M::schema();
    let get = |a: Option<&str>| a.and_then(|a| item.get(a).cloned());
    (get(schema.created_at), get(schema.updated_at))
}

/// The stored version (`None` for an unversioned model).
fn version<M: StampModel>(item: &Item) -> Option<u64> {
    M::schema().version.map(|v| {
        item.get(v)
            .and_then(Value::as_n)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or_else(|| panic!("{}: no version stored", M::schema().entity))
    })
}

/// Checks an item just written by a stamping write: both stamps present, `version` as given.
fn check_stamped<M: StampModel>(item: &Item, version_: Option<u64>, what: &str) -> Value {
    let entity = M::schema().entity;
    let (created, updated) = stamps::<M>(item);
    let created = created.unwrap_or_else(|| panic!("{entity} {what}: no created_at stored"));
    assert!(updated.is_some(), "{entity} {what}: no updated_at stored");
    if M::schema().version.is_some() {
        assert_eq!(
            version::<M>(item),
            version_,
            "{entity} {what}: stored version"
        );
    }
    created
}

/// Checks that the model a write handed back equals the model read back.
async fn check_held<M: StampModel>(table: &Table, id: &str, held: &M, what: &str) {
    assert_eq!(
        held,
        &read::<M>(table, id).await,
        "{} {what}: the model held after the write is the model read back",
        M::schema().entity
    );
}

/// Checks the item a write of a model never stored left at `id`: stamped, version 1, and the
/// model the write handed back (`held`) is the model read back. Returns the stored `created_at`.
async fn check_new<M: StampModel>(table: &Table, id: &str, held: &M, what: &str) -> Value {
    let item = stored::<M>(table, id).await;
    let created = check_stamped::<M>(&item, Some(1), what);
    check_held(table, id, held, what).await;
    created
}

/// Checks the item a stamping write over the item stored at `id` left: stamped, version 2, the
/// `created_at` it was created with kept, and the model the write handed back (`held`) is the
/// model read back. Returns the item.
async fn check_rewritten<M: StampModel>(
    table: &Table,
    id: &str,
    held: &M,
    created: &Value,
    what: &str,
) -> Item {
    let item = stored::<M>(table, id).await;
    assert_eq!(
        &check_stamped::<M>(&item, Some(2), what),
        created,
        "{}: {what} kept created_at",
        M::schema().entity
    );
    check_held(table, id, held, what).await;
    item
}

/// Creates `id`, checks it, and returns the model and its stored `created_at`.
async fn created<M: StampModel>(table: &Table, id: &str) -> (M, Value) {
    let mut m = M::fresh(id);
    m.create(table)
        .await
        .unwrap_or_else(|e| panic!("{} create: {e}", M::schema().entity));
    let created = check_new(table, id, &m, "create").await;
    (m, created)
}

/// A copy of `first` that does not know its stored `created_at`: the model built afresh, with
/// `first`'s version and changed data.
fn copy_without_stamps<M: StampModel>(first: &M, id: &str) -> M {
    let mut copy = M::fresh(id);
    copy.set_version(first.version().unwrap_or(0));
    *copy.data_mut() = "changed".into();
    copy
}

/// `create` stamps the new item (created_at, updated_at, version 1), and the model.
pub async fn create<M: StampModel>(table: &Table) {
    created::<M>(table, "create").await;
}

/// `save` of a model never stored stamps it as a create does.
pub async fn save_new<M: StampModel>(table: &Table) {
    let entity = M::schema().entity;
    let mut m = M::fresh("save");
    m.save(table)
        .await
        .unwrap_or_else(|e| panic!("{entity} save of a new model: {e}"));
    check_new(table, "save", &m, "save (new)").await;
}

/// `save` of a copy that does not know `created_at` keeps the stored one.
pub async fn save_existing<M: StampModel>(table: &Table) {
    let entity = M::schema().entity;
    let (first, created) = created::<M>(table, "save").await;
    let mut copy = copy_without_stamps(&first, "save");
    copy.save(table)
        .await
        .unwrap_or_else(|e| panic!("{entity} save over an item: {e}"));
    let item = check_rewritten(table, "save", &copy, &created, "save (existing)").await;
    assert_eq!(item.get("data"), Some(&Value::from("changed")));
}

/// `save_changes` writes updated_at and keeps created_at.
pub async fn save_changes<M: StampModel>(table: &Table) {
    let entity = M::schema().entity;
    let (mut m, created) = created::<M>(table, "changes").await;
    let before = m.clone();
    *m.data_mut() = "changed".into();
    m.save_changes(table, &before)
        .await
        .unwrap_or_else(|e| panic!("{entity} save_changes: {e}"));
    check_rewritten(table, "changes", &m, &created, "save_changes").await;
}

/// An update of an existing item writes updated_at and keeps created_at.
pub async fn update<M: StampModel>(table: &Table) {
    let entity = M::schema().entity;
    let (_, created) = created::<M>(table, "update").await;
    let updated = M::update(table, M::key_for("update"))
        .set("data", "updated")
        .returning_new()
        .await
        .unwrap_or_else(|e| panic!("{entity} update: {e}"))
        .expect("returning_new gives the model");
    check_rewritten(table, "update", &updated, &created, "update").await;
}

/// An update that creates the item (upsert) stamps it.
pub async fn update_upsert<M: StampModel>(table: &Table) {
    let entity = M::schema().entity;
    let upserted = M::update(table, M::key_for("upsert"))
        .set("id", "upsert")
        .set("data", "upserted")
        .upsert()
        .returning_new()
        .await
        .unwrap_or_else(|e| panic!("{entity} upsert: {e}"))
        .expect("returning_new gives the model");
    check_new(table, "upsert", &upserted, "update (upsert)").await;
}

/// A transaction's `create` stamps the new item.
pub async fn transaction_create<M: StampModel>(table: &Table) {
    transaction_new::<M>(table, TxWrite::Create).await
}

/// A transaction's `put` of a model never stored stamps it.
pub async fn transaction_put_new<M: StampModel>(table: &Table) {
    transaction_new::<M>(table, TxWrite::Put).await
}

/// The transactional write of a model never stored.
#[derive(Clone, Copy)]
enum TxWrite {
    Create,
    Put,
}

/// A model never stored, written by a transaction's `create` or `put`, is stamped, and the
/// model held after the commit is the model stored.
async fn transaction_new<M: StampModel>(table: &Table, kind: TxWrite) {
    let write = match kind {
        TxWrite::Create => "transaction create",
        TxWrite::Put => "transaction put (new)",
    };
    if !has_transactions(table, "transaction_new") {
        return;
    }
    let entity = M::schema().entity;
    let mut m = M::fresh("tx");
    let tx = table.transaction();
    let tx = match kind {
        TxWrite::Create => tx.create(&mut m),
        TxWrite::Put => tx.put(&mut m),
    };
    tx.commit()
        .await
        .unwrap_or_else(|e| panic!("{entity} {write}: {e}"));
    check_new(table, "tx", &m, write).await;
}

/// A transaction's `put` of a copy that does not know `created_at` keeps the stored one.
pub async fn transaction_put_existing<M: StampModel>(table: &Table) {
    if !has_transactions(table, "transaction_put_existing") {
        return;
    }
    let entity = M::schema().entity;
    let (first, created) = created::<M>(table, "tx").await;
    let mut copy = copy_without_stamps(&first, "tx");
    table
        .transaction()
        .put(&mut copy)
        .commit()
        .await
        .unwrap_or_else(|e| panic!("{entity} transaction put over an item: {e}"));
    check_rewritten(table, "tx", &copy, &created, "transaction put (existing)").await;
}

/// `batch_create` stamps every new item, and the models.
pub async fn batch_create<M: StampModel>(table: &Table) {
    let entity = M::schema().entity;
    let mut models = [M::fresh("b1"), M::fresh("b2")];
    M::batch_create(table, &mut models)
        .await
        .unwrap_or_else(|e| panic!("{entity} batch_create: {e}"));
    for (m, id) in models.iter().zip(["b1", "b2"]) {
        check_new(table, id, m, "batch_create").await;
    }
}

/// `batch_put` writes the models as they are (batch writes cannot keep a stored created_at):
/// what is read back is what was written.
pub async fn batch_put<M: StampModel>(table: &Table) {
    let entity = M::schema().entity;
    let models = [M::fresh("b1"), M::fresh("b2")];
    M::batch_put(table, &models)
        .await
        .unwrap_or_else(|e| panic!("{entity} batch_put: {e}"));
    for (m, id) in models.iter().zip(["b1", "b2"]) {
        check_held(table, id, m, "batch_put (stored as it is)").await;
    }
}

/// A migration rewrites an item of an older schema version without restamping it: the stamps
/// and the version stay as stored.
pub async fn migration<M: StampModel>(table: &Table) {
    let entity = M::schema().entity;
    let (_, _) = created::<M>(table, "migrate").await;
    // The same item as schema version 1 stored it: no schema attribute.
    let mut old = stored::<M>(table, "migrate").await;
    old.remove(table.config().schema_attribute.as_str());
    table
        .backend()
        .put_item(orm_core::backend::PutItem::new(table.name(), old.clone()))
        .await
        .expect("raw put of a version-1 item");
    let done = Migration::<M>::new(table)
        .run()
        .await
        .unwrap_or_else(|e| panic!("{entity} migration: {e}"));
    assert_eq!(done.changed, 1, "{entity}: the migration rewrote the item");
    let item = stored::<M>(table, "migrate").await;
    assert_eq!(
        stamps::<M>(&item),
        stamps::<M>(&old),
        "{entity}: migration kept the stamps"
    );
    assert_eq!(
        version::<M>(&item),
        version::<M>(&old),
        "{entity}: migration kept the version"
    );
    assert_eq!(
        item.get(table.config().schema_attribute.as_str()),
        Some(&Value::from(2u32)),
        "{entity}: migrated to schema version 2"
    );
}
