//! [`TestTable`]: a fresh, uniquely named table per test on the process's one server.

use super::{local_backend, unique_table_name};
use crate::DynamoBackend;
use orm_core::backend::{Backend, TableDefinition};
use orm_core::error::Result;
use orm_core::{ModelSet, Table};

/// A fresh, uniquely named table for one test.
///
/// Create it with [`TestTable::create`]; delete it with [`TestTable::cleanup`]. `Drop` cannot
/// run async code, so a table whose fixture is dropped without `cleanup` is left behind (a
/// warning is printed); on an in-memory DynamoDB Local it disappears with the server.
#[derive(Debug)]
pub struct TestTable {
    backend: DynamoBackend,
    definition: TableDefinition,
    cleaned: bool,
}

impl TestTable {
    /// Creates the table described by `definition` under a unique name derived from its name
    /// ([`unique_table_name`]), waiting until it is ACTIVE (and TTL is enabled, if set).
    pub async fn create(
        backend: &DynamoBackend,
        mut definition: TableDefinition,
    ) -> Result<TestTable> {
        definition.name = unique_table_name(&definition.name);
        backend.create_table(&definition).await?;
        Ok(TestTable {
            backend: backend.clone(),
            definition,
            cleaned: false,
        })
    }

    /// [`TestTable::create`] on [`local_backend`].
    pub async fn new(definition: TableDefinition) -> Result<TestTable> {
        let backend = local_backend().await?;
        TestTable::create(&backend, definition).await
    }

    /// A fresh table holding the models `S` (`User`, or `(User, Todo)`) on the process's one
    /// DynamoDB Local, named `<prefix>-<uuid>`: the one line an integration test starts with.
    ///
    /// ```no_run
    /// # use orm_core::prelude::*;
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
    /// # #[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
    /// # struct User { id: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// let fixture = orm_dynamodb::testing::TestTable::for_models::<User>("app").await?;
    /// let table = fixture.table();
    /// // ... the test ...
    /// fixture.cleanup().await
    /// # }
    /// ```
    pub async fn for_models<S: ModelSet>(prefix: &str) -> Result<TestTable> {
        let backend = local_backend().await?;
        let definition = Table::new(backend.clone(), prefix).definition::<S>()?;
        TestTable::create(&backend, definition).await
    }

    /// A [`Table`] handle on this table (default layout: `pk`, `sk`, `__entity`...).
    pub fn table(&self) -> Table {
        Table::new(self.backend.clone(), self.name())
    }

    /// The table's (unique) name.
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// The table's definition, with its unique name.
    pub fn definition(&self) -> &TableDefinition {
        &self.definition
    }

    /// The backend the table lives on.
    pub fn backend(&self) -> &DynamoBackend {
        &self.backend
    }

    /// Deletes the table.
    pub async fn cleanup(mut self) -> Result<()> {
        self.cleaned = true;
        self.backend.delete_table(&self.definition.name).await
    }
}

impl Drop for TestTable {
    fn drop(&mut self) {
        if !self.cleaned && !std::thread::panicking() {
            eprintln!(
                "orm-dynamodb testing: table {} dropped without cleanup().await; it is left behind",
                self.definition.name
            );
        }
    }
}
