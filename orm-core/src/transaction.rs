//! Transactions: up to 100 writes on any models, applied all together or not at all, and
//! transactional reads.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use orm_core::prelude::*;
//! use orm_memory::MemoryBackend;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
//! #[model(entity = "Wallet", pk = "WALLET#{id}", sk = "WALLET")]
//! struct Wallet { id: String, coins: i64 }
//!
//! let table = Table::new(MemoryBackend::new(), "app");
//! table.create_table::<Wallet>().await?;
//! Wallet { id: "a".into(), coins: 10 }.create(&table).await?;
//! Wallet { id: "b".into(), coins: 0 }.create(&table).await?;
//!
//! // Move 10 coins from a to b, only if a has them: both updates happen, or neither.
//! table.transaction()
//!     .update(Wallet::update(&table, Wallet::key("a")).add("coins", -10).condition(attr("coins").ge(10)))
//!     .update(Wallet::update(&table, Wallet::key("b")).add("coins", 10))
//!     .commit().await?;
//!
//! // Again: a has 0 now, so the first action's condition fails and nothing changes.
//! let err = table.transaction()
//!     .update(Wallet::update(&table, Wallet::key("a")).add("coins", -10).condition(attr("coins").ge(10)))
//!     .update(Wallet::update(&table, Wallet::key("b")).add("coins", 10))
//!     .commit().await.unwrap_err();
//! assert!(matches!(err, Error::TransactionCanceled { .. }));
//! assert_eq!(Wallet::get(&table, Wallet::key("b")).await?.coins, 10);
//! # Ok::<(), Error>(()) }).unwrap();
//! ```

use crate::backend::{
    ConditionCheck, DeleteItem, GetItem, PutItem, RawItem, ReturnValues, TransactGet,
    TransactWrite, TransactWriteAction,
};
use crate::error::{Error, Result};
use crate::expr::Condition;
use crate::key::{IntoResult, Key};
use crate::model::Model;
use crate::table::{describe_key, Table};
use crate::update::UpdateBuilder;
use crate::value::{Item, Value};
use crate::write::{self, Stamp, Stamps, WriteRules};
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::SystemTime;

type Pending = Pin<Box<dyn Future<Output = Result<TransactWriteAction>> + Send>>;

/// A write transaction being built; [`WriteTransaction::commit`] sends it.
pub struct WriteTransaction {
    table: Table,
    actions: Vec<Pending>,
    token: Option<String>,
}

impl std::fmt::Debug for WriteTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTransaction")
            .field("table", &self.table.name())
            .field("actions", &self.actions.len())
            .field("token", &self.token)
            .finish()
    }
}

impl Table {
    /// Starts a write transaction on this table.
    pub fn transaction(&self) -> WriteTransaction {
        WriteTransaction {
            table: self.clone(),
            actions: Vec::new(),
            token: None,
        }
    }

    /// Starts a transactional read on this table.
    pub fn transact_get(&self) -> ReadTransaction {
        ReadTransaction {
            table: self.clone(),
            gets: Vec::new(),
            error: None,
        }
    }
}

impl WriteTransaction {
    fn push(mut self, action: Result<TransactWriteAction>) -> Self {
        self.actions.push(Box::pin(async move { action }));
        self
    }

    /// A put of `model` stamped for `stamp`, written only if `condition` holds.
    fn put_action<M: Model>(
        &self,
        model: &M,
        stamp: Stamp,
        stamps: &Stamps,
        condition: Condition,
    ) -> Result<TransactWriteAction> {
        let mut item = self.table.to_stored_item(model)?;
        write::stamp::<M>(&mut item, stamp, stamps)?;
        Ok(TransactWriteAction::Put(PutItem {
            condition: Some(condition),
            return_item_on_condition_failure: true,
            ..PutItem::new(self.table.name(), item)
        }))
    }

    /// Creates a new item (fails the transaction if the key is taken). Versioned models are
    /// written with version 1.
    pub fn create<M: Model>(self, model: &M) -> Self {
        let condition = WriteRules::<M>::of(&self.table).absent();
        let action = Stamps::at::<M>(SystemTime::now())
            .and_then(|stamps| self.put_action(model, Stamp::Create, &stamps, condition));
        self.push(action)
    }

    /// Stores a model (upsert). Versioned models must match the stored version, which is bumped
    /// (the in-memory model keeps its old version: re-read it after the commit).
    pub fn put<M: Model>(self, model: &M) -> Self {
        let version = model.version().unwrap_or(0);
        let condition = WriteRules::<M>::of(&self.table).replace(version);
        let action = Stamps::at::<M>(SystemTime::now()).and_then(|stamps| {
            match self.put_action(model, Stamp::Replace { version }, &stamps, condition)? {
                // Keep a stored created_at: write as an update, like `save`.
                TransactWriteAction::Put(p) if M::schema().created_at.is_some() => {
                    let mut update =
                        self.table
                            .upsert_request::<M>(p.item, p.condition, &stamps)?;
                    update.return_values = ReturnValues::None;
                    Ok(TransactWriteAction::Update(update))
                }
                other => Ok(other),
            }
        });
        self.push(action)
    }

    /// Applies an update built with `M::update(&table, key)`.
    pub fn update<M: Model>(mut self, update: UpdateBuilder<M>) -> Self {
        self.actions.push(Box::pin(async move {
            update.build().await.map(TransactWriteAction::Update)
        }));
        self
    }

    /// Deletes the item at `key` (of entity `M`, or absent).
    pub fn delete<M: Model>(self, key: impl IntoResult<Key>) -> Self {
        let condition = WriteRules::<M>::of(&self.table).absent_or_entity();
        self.delete_if::<M>(key, condition)
    }

    /// Deletes the item at `key` only if `condition` holds.
    pub fn delete_if<M: Model>(self, key: impl IntoResult<Key>, condition: Condition) -> Self {
        let action = key
            .into_result()
            .and_then(|k| self.table.key_item::<M>(&k))
            .map(|key| {
                TransactWriteAction::Delete(DeleteItem {
                    table: self.table.name().to_owned(),
                    key,
                    condition: Some(condition),
                    return_values: ReturnValues::None,
                    return_item_on_condition_failure: true,
                })
            });
        self.push(action)
    }

    /// Requires `condition` to hold on the item at `key`, writing nothing.
    pub fn check<M: Model>(self, key: impl IntoResult<Key>, condition: Condition) -> Self {
        let action = key
            .into_result()
            .and_then(|k| self.table.key_item::<M>(&k))
            .map(|key| {
                TransactWriteAction::ConditionCheck(ConditionCheck {
                    table: self.table.name().to_owned(),
                    key,
                    condition,
                    return_item_on_condition_failure: true,
                })
            });
        self.push(action)
    }

    /// Adds a raw backend action.
    pub fn action(self, action: TransactWriteAction) -> Self {
        self.push(Ok(action))
    }

    /// An idempotency token: the same token and request within 10 minutes applies once.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Builds and validates the request: 1 to 100 actions, at most 4 MB, one action per item.
    /// Errors name the offending action (1-based).
    pub async fn build(self) -> Result<TransactWrite> {
        let limits = self.table.capabilities().limits.clone();
        let mut actions = Vec::with_capacity(self.actions.len());
        for (i, pending) in self.actions.into_iter().enumerate() {
            let action = pending
                .await
                .map_err(|e| Error::validation(format!("transaction action {}: {e}", i + 1)))?;
            actions.push(action);
        }
        if actions.is_empty() || actions.len() > limits.max_transaction_actions {
            return Err(Error::validation(format!(
                "a transaction takes 1 to {} actions, got {}",
                limits.max_transaction_actions,
                actions.len()
            )));
        }
        let mut seen: HashMap<(String, Vec<(String, Value)>), usize> = HashMap::new();
        let mut bytes = 0usize;
        let config = self.table.config();
        for (i, a) in actions.iter().enumerate() {
            let (table, item) = a.target();
            let key = config.key_of(item);
            let id = (
                table.to_owned(),
                key.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            );
            if let Some(first) = seen.insert(id, i) {
                return Err(Error::validation(format!(
                    "transaction actions {} and {} both touch {}; one action per item",
                    first + 1,
                    i + 1,
                    describe_key(config, &key)
                )));
            }
            if let TransactWriteAction::Put(p) = a {
                if p.item.size() > limits.max_item_size {
                    return Err(Error::validation(format!(
                        "transaction action {}: item is {} bytes; the limit is {} bytes",
                        i + 1,
                        p.item.size(),
                        limits.max_item_size
                    )));
                }
            }
            bytes += item.size();
        }
        if bytes > limits.max_transaction_bytes {
            return Err(Error::validation(format!(
                "transaction is {bytes} bytes; the limit is {} bytes (4 MB)",
                limits.max_transaction_bytes
            )));
        }
        Ok(TransactWrite {
            actions,
            client_request_token: self.token,
        })
    }

    /// Sends the transaction. A failed condition cancels all of it:
    /// [`Error::TransactionCanceled`] has one reason per action, in order.
    #[tracing::instrument(level = "debug", name = "orm.transaction", skip_all, fields(table = %self.table.name(), actions = self.actions.len()))]
    pub async fn commit(self) -> Result<()> {
        let table = self.table.clone();
        let request = self.build().await?;
        table.backend().transact_write(&request).await
    }
}

/// A handle on one read of a [`ReadTransaction`], to take its result.
#[derive(Debug)]
pub struct Handle<M> {
    index: usize,
    _m: PhantomData<fn() -> M>,
}

/// A transactional read being built: up to 100 items read as one snapshot.
#[derive(Debug)]
pub struct ReadTransaction {
    table: Table,
    gets: Vec<GetItem>,
    error: Option<Error>,
}

impl ReadTransaction {
    /// Adds a read of the `M` at `key`; take its result from the output with the handle.
    pub fn get<M: Model>(&mut self, key: impl IntoResult<Key>) -> Handle<M> {
        match key.into_result().and_then(|k| self.table.key_item::<M>(&k)) {
            Ok(key) => self.gets.push(GetItem {
                table: self.table.name().to_owned(),
                key,
                consistent: true,
                projection: None,
            }),
            Err(e) => {
                self.error.get_or_insert(e);
                self.gets.push(GetItem {
                    table: String::new(),
                    key: Item::new(),
                    consistent: true,
                    projection: None,
                });
            }
        }
        Handle {
            index: self.gets.len() - 1,
            _m: PhantomData,
        }
    }

    /// Reads everything as one snapshot.
    pub async fn send(self) -> Result<ReadOutput> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let max = self.table.capabilities().limits.max_transaction_actions;
        if self.gets.is_empty() || self.gets.len() > max {
            return Err(Error::validation(format!(
                "a transactional read takes 1 to {max} items, got {}",
                self.gets.len()
            )));
        }
        let items = self
            .table
            .backend()
            .transact_get(&TransactGet::new(self.gets))
            .await?;
        Ok(ReadOutput {
            table: self.table,
            items: items.into_iter().map(Some).collect(),
        })
    }
}

/// The items of a [`ReadTransaction`].
#[derive(Debug)]
pub struct ReadOutput {
    table: Table,
    items: Vec<Option<Option<RawItem>>>,
}

impl ReadOutput {
    /// Takes one read's result: the model, or `None` if no item was there.
    pub fn take<M: Model>(&mut self, handle: Handle<M>) -> Result<Option<M>> {
        let item = self
            .items
            .get_mut(handle.index)
            .and_then(Option::take)
            .ok_or_else(|| Error::validation("handle already taken or from another read"))?;
        item.map(|i| self.table.from_raw_item(i)).transpose()
    }
}
