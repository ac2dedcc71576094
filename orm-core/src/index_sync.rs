//! Adding access patterns to a live table: [`Table::sync_indexes`] creates the global indexes
//! the models declare and the table lacks, one `UpdateTable` at a time (as DynamoDB requires),
//! each waited for until `ACTIVE`, and backfills the synthetic keys of template indexes.
//!
//! A multi-attribute index needs no backfill of ours: its keys are attributes the items already
//! hold, which the service indexes when it builds the index. A template index's keys
//! (`gsi1pk`...) are written by the ORM, so items stored before the index was declared lack
//! them: after creating one, the [`Migration`] of each model
//! declaring it rewrites those items with their index keys.
//!
//! An index the table has and the models do not declare is reported, never deleted.
//!
//! This module sits above both [`table`](crate::table) and [`migrate`](crate::migrate): it
//! creates indexes through the table and backfills them with migrations ([`IndexBackfill`]).

use crate::backend::schema::key_list;
use crate::backend::{Projection, UpdateTable};
use crate::error::{Error, Result};
use crate::migrate::{Migration, Progress};
use crate::model::Model;
use crate::table::{ModelSet, Table};
use futures::future::BoxFuture;

/// A [`ModelSet`] whose template index keys [`Table::sync_indexes`] can backfill: implemented
/// for every model and every tuple of up to 12 models.
pub trait IndexBackfill: ModelSet {
    /// Writes the synthetic keys of the template indexes `indexes` (just created on a live
    /// table) into the items of every model of the set declaring one: a [`Migration`] of that
    /// model. Returns each migrated entity with its counts.
    fn backfill_index_keys<'a>(
        table: &'a Table,
        indexes: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(String, Progress)>>>;
}

/// Migrates `M`'s items when it declares one of `indexes`.
async fn backfill_model<M: Model>(
    table: &Table,
    indexes: &[String],
) -> Result<Option<(String, Progress)>> {
    let schema = M::schema();
    if !schema
        .indexes
        .iter()
        .any(|i| indexes.iter().any(|n| n == i.name))
    {
        return Ok(None);
    }
    let name = format!("{}@indexes:{}", schema.entity, indexes.join(","));
    let done = Migration::<M>::new(table).name(name).run().await?;
    Ok(Some((schema.entity.to_owned(), done)))
}

impl<M: Model> IndexBackfill for M {
    fn backfill_index_keys<'a>(
        table: &'a Table,
        indexes: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(String, Progress)>>> {
        Box::pin(async move {
            Ok(backfill_model::<M>(table, indexes)
                .await?
                .into_iter()
                .collect())
        })
    }
}

macro_rules! index_backfill_tuple {
    ($($m:ident),+) => {
        impl<$($m: Model),+> IndexBackfill for ($($m,)+) {
            fn backfill_index_keys<'a>(
                table: &'a Table,
                indexes: &'a [String],
            ) -> BoxFuture<'a, Result<Vec<(String, Progress)>>> {
                Box::pin(async move {
                    let mut done = Vec::new();
                    $(done.extend(backfill_model::<$m>(table, indexes).await?);)+
                    Ok(done)
                })
            }
        }
    };
}
for_each_model_tuple!(index_backfill_tuple);

/// What [`Table::sync_indexes`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexSync {
    /// The global indexes created, in the order they were created.
    pub created: Vec<String>,
    /// For each model whose template index was created: its migration's counts (the items
    /// given their new index keys).
    pub backfilled: Vec<(String, Progress)>,
    /// Indexes the table has and no model declares: left as they are.
    pub undeclared: Vec<String>,
    /// Declared indexes whose live projection holds more than the models declare (for example
    /// `ALL` where they declare `KEYS_ONLY`): the models' reads work, the index costs more than
    /// declared. Left as they are: DynamoDB cannot change an index's projection in place.
    pub projection_differences: Vec<ProjectionDifference>,
}

/// A declared index that exists with another projection than the models declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionDifference {
    /// The index.
    pub index: String,
    /// What the models declare.
    pub declared: Projection,
    /// What the live index projects.
    pub live: Projection,
}

impl std::fmt::Display for ProjectionDifference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "index `{}` projects {} where the models declare {}",
            self.index,
            projection_name(&self.live),
            projection_name(&self.declared)
        )
    }
}

/// A projection as DynamoDB names it: `ALL`, `KEYS_ONLY`, `INCLUDE (a, b)`.
fn projection_name(p: &Projection) -> String {
    match p {
        Projection::All => "ALL".to_owned(),
        Projection::KeysOnly => "KEYS_ONLY".to_owned(),
        Projection::Include(names) => format!("INCLUDE ({})", names.join(", ")),
    }
}

/// One step of [`Table::sync_indexes`], reported as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexSyncStep {
    /// `UpdateTable` creating this index was sent.
    Creating(String),
    /// The index is `ACTIVE` (the backend's `update_table` returned).
    Active(String),
    /// The migration of this entity, writing its template index keys, finished.
    Backfilled(String, Progress),
}

impl Table {
    /// Creates the global secondary indexes the models `S` declare and the live table lacks,
    /// one at a time, each `ACTIVE` before the next; then backfills the synthetic keys of the
    /// template indexes created ([`Migration`] of each model that
    /// declares one). Returns what it did; `progress` is called at each step.
    ///
    /// Never deletes an index. A declared index that exists with other keys (names or types),
    /// or with a projection lacking attributes the models declare, or a local index that is
    /// missing (DynamoDB creates those only with the table), is [`Error::Validation`] naming
    /// it and what differs, before anything is changed. A live projection holding more than
    /// declared is reported in [`IndexSync::projection_differences`] and left as it is
    /// (DynamoDB cannot change a projection in place).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use orm_core::{Model, Table};
    /// use orm_memory::MemoryBackend;
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Model, Serialize, Deserialize)]
    /// #[model(entity = "Match", pk = "MATCH#{id}", sk = "MATCH")]
    /// struct Before { id: String, tournament: String, region: String, round: u32 }
    ///
    /// // The same entity, with an access pattern added later.
    /// #[derive(Model, Serialize, Deserialize)]
    /// #[model(entity = "Match", pk = "MATCH#{id}", sk = "MATCH")]
    /// #[model(index(name = "byRegion", pk = [tournament, region], sk = [round]))]
    /// struct Match { id: String, tournament: String, region: String, round: u32 }
    ///
    /// let table = Table::new(MemoryBackend::new(), "app");
    /// table.create_table::<Before>().await?;
    /// let synced = table.sync_indexes::<Match>(|_| {}).await?;
    /// assert_eq!(synced.created, ["byRegion"]);
    /// assert!(table.sync_indexes::<Match>(|_| {}).await?.created.is_empty());
    /// # Ok::<(), orm_core::Error>(()) }).unwrap();
    /// ```
    pub async fn sync_indexes<S: IndexBackfill>(
        &self,
        progress: impl Fn(&IndexSyncStep) + Send + Sync,
    ) -> Result<IndexSync> {
        let want = self.definition::<S>()?;
        let have = self.backend().describe_table(self.name()).await?;
        let mut missing = Vec::new();
        let mut projection_differences = Vec::new();
        for index in &want.indexes {
            match have.index(&index.name) {
                Some(existing) => {
                    let same = existing.local == index.local
                        && existing.partition_keys().eq(index.partition_keys())
                        && existing.sort_keys().eq(index.sort_keys());
                    if !same {
                        return Err(Error::validation(format!(
                            "index `{}` exists on table `{}` with other keys than the models \
                             declare: it has {}{}/{}, they declare {}{}/{}; sync_indexes never \
                             deletes an index: delete it with UpdateTable, or give the new one \
                             another name",
                            index.name,
                            self.name(),
                            if existing.local { "local " } else { "" },
                            key_list(existing.partition_keys()),
                            key_list(existing.sort_keys()),
                            if index.local { "local " } else { "" },
                            key_list(index.partition_keys()),
                            key_list(index.sort_keys()),
                        )));
                    }
                    if !existing.projection.covers(&index.projection) {
                        return Err(Error::validation(format!(
                            "index `{}` on table `{}` projects {} where the models declare {}: \
                             their reads of it would miss attributes. DynamoDB cannot change an \
                             index's projection in place and sync_indexes never deletes an \
                             index: declare the new projection under another index name \
                             (sync_indexes creates it), move the queries to it, then delete `{}` \
                             with UpdateTable",
                            index.name,
                            self.name(),
                            projection_name(&existing.projection),
                            projection_name(&index.projection),
                            index.name
                        )));
                    }
                    if !existing.projection.same_attributes(&index.projection) {
                        projection_differences.push(ProjectionDifference {
                            index: index.name.clone(),
                            declared: index.projection.clone(),
                            live: existing.projection.clone(),
                        });
                    }
                }
                None if index.local => {
                    return Err(Error::validation(format!(
                        "local index `{}` is missing from table `{}`: DynamoDB creates local \
                         indexes only with the table",
                        index.name,
                        self.name()
                    )))
                }
                None => missing.push(index.clone()),
            }
        }
        let mut sync = IndexSync {
            undeclared: have
                .indexes
                .iter()
                .filter(|i| want.index(&i.name).is_none())
                .map(|i| i.name.clone())
                .collect(),
            projection_differences,
            ..IndexSync::default()
        };
        let mut templated = Vec::new();
        for index in missing {
            progress(&IndexSyncStep::Creating(index.name.clone()));
            let request = UpdateTable::new(self.name()).with_create_index(index.clone());
            // The backend's update_table returns once the table and the index are ACTIVE.
            self.backend().update_table(&request).await?;
            progress(&IndexSyncStep::Active(index.name.clone()));
            if !index.is_multi_attribute() {
                templated.push(index.name.clone());
            }
            sync.created.push(index.name);
        }
        if !templated.is_empty() {
            for (entity, done) in S::backfill_index_keys(self, &templated).await? {
                progress(&IndexSyncStep::Backfilled(entity.clone(), done.clone()));
                sync.backfilled.push((entity, done));
            }
        }
        Ok(sync)
    }
}
