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
use crate::expr::{Condition, Path};
use crate::key::{IntoResult, Key};
use crate::model::Model;
use crate::table::Table;
use crate::unique::{self, Guard, Role};
use crate::update::UpdateBuilder;
use crate::value::Value;
use crate::write::{self, Stamp, Stamps, WriteRules};
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::SystemTime;

/// One action as built: the request, the `created_at` its item holds once the transaction
/// commits, when the action is a `put` that keeps a stored one (read first), and the writes of
/// the guard items of its unique values ([`crate::unique`]).
struct Built {
    action: TransactWriteAction,
    created_at: Option<Value>,
    guards: Vec<Guard>,
}

type Pending = Pin<Box<dyn Future<Output = Result<Built>> + Send>>;

/// What a committed transaction does to the model behind one action: its new version and
/// stamps. Called with the `created_at` of [`Built`].
type Finish<'m> = Box<dyn FnOnce(Option<Value>) -> Result<()> + Send + 'm>;

/// What the commit does to each model, with the `created_at` it gets.
type Models<'m> = Vec<(Finish<'m>, Option<Value>)>;

/// A write transaction being built; [`WriteTransaction::commit`] sends it.
///
/// The models of `create` and `put` are borrowed mutably until the commit, which gives them
/// their new version and stamps, so that each equals its stored item afterwards, as after
/// [`Table::create`] and [`Table::save`].
pub struct WriteTransaction<'m> {
    table: Table,
    actions: Vec<Pending>,
    /// One entry per action: what the commit does to its model, if it has one.
    finish: Vec<Option<Finish<'m>>>,
    token: Option<String>,
}

impl std::fmt::Debug for WriteTransaction<'_> {
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
    pub fn transaction<'m>(&self) -> WriteTransaction<'m> {
        WriteTransaction {
            table: self.clone(),
            actions: Vec::new(),
            finish: Vec::new(),
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

impl<'m> WriteTransaction<'m> {
    fn push(self, action: Result<TransactWriteAction>) -> Self {
        self.push_built(action.map(|action| Built {
            action,
            created_at: None,
            guards: Vec::new(),
        }))
    }

    fn push_built(mut self, built: Result<Built>) -> Self {
        self.actions.push(Box::pin(async move { built }));
        self.finish.push(None);
        self
    }

    /// A put of `model` stamped for `stamp`, written only if `condition` holds.
    fn put_action<M: Model>(
        &self,
        model: &M,
        stamp: Stamp,
        stamps: &Stamps,
        condition: Condition,
    ) -> Result<PutItem> {
        let mut item = self.table.layout().to_stored_item(model)?;
        write::stamp::<M>(&mut item, stamp, stamps)?;
        Ok(PutItem::new(self.table.name(), item)
            .with_condition(condition)
            .with_return_item_on_condition_failure(true))
    }

    /// Creates a new item (fails the transaction if the key is taken), stamped as
    /// [`Table::create`] stamps it. The model gets its stamps now and, once the transaction
    /// commits, version 1 (for `#[model(version)]`).
    pub fn create<M: Model>(self, model: &'m mut M) -> Self {
        let condition = WriteRules::<M>::of(self.table.layout()).absent();
        let action = Stamps::at::<M>(SystemTime::now()).and_then(|stamps| {
            stamps.set_on(model, Stamp::Create)?;
            let put = self.put_action(&*model, Stamp::Create, &stamps, condition)?;
            let owner = self.table.config().key_of(&put.item);
            let guards = unique::changes::<M>(&self.table, &owner, None, Some(&put.item))?;
            Ok(Built {
                action: TransactWriteAction::Put(put),
                created_at: None,
                guards,
            })
        });
        let built = action.is_ok();
        let mut tx = self.push_built(action);
        if built {
            tx.finish_last(move |_| {
                if M::schema().version.is_some() {
                    model.set_version(1);
                }
                Ok(())
            });
        }
        tx
    }

    /// Stores a model (upsert), as [`Table::save`] does: versioned models must match the stored
    /// version, which is bumped; `updated_at` is set; a stored `created_at` is kept. Once the
    /// transaction commits, the model holds the new version, `updated_at` and the stored
    /// `created_at`.
    ///
    /// A transaction returns no items, so for a model with `#[model(created_at)]` that may
    /// already be stored (unversioned, or a version above 0) the stored `created_at` is read
    /// first (one strongly consistent read of that attribute), and the put is conditional on
    /// it being unchanged: an item deleted and created again in between cancels the
    /// transaction rather than hand back a wrong `created_at`.
    pub fn put<M: Model>(self, model: &'m mut M) -> Self {
        let schema = M::schema();
        let version = model.version().unwrap_or(0);
        let condition = WriteRules::<M>::of(self.table.layout()).replace(version);
        let stamp = Stamp::Replace { version };
        let next = match schema.version {
            Some(_) => write::next_version::<M>(version).map(Some),
            None => Ok(None),
        };
        let built = next.and_then(|next| {
            let stamps = Stamps::at::<M>(SystemTime::now())?;
            stamps.set_on(model, stamp)?;
            let put = self.put_action(&*model, stamp, &stamps, condition)?;
            Ok((next, stamps, put))
        });
        let (next, stamps, put) = match built {
            Ok(built) => built,
            Err(e) => return self.push(Err(e)),
        };
        let finish = move |created_at: Option<Value>| {
            if let Some(next) = next {
                model.set_version(next);
            }
            match created_at {
                Some(v) => model.set_created_at(v),
                None => Ok(()),
            }
        };
        let guarded = unique::has_unique::<M>();
        if schema.created_at.is_none() && !guarded {
            let tx = self.push(Ok(TransactWriteAction::Put(put)));
            return tx.finishing(finish);
        }
        // Version 0 requires the key free: nothing stored to read.
        let fresh = schema.version.is_some() && version == 0;
        let table = self.table.clone();
        let pending: Pending = Box::pin(async move {
            let owner = table.config().key_of(&put.item);
            let stored = match fresh {
                true => None,
                false => unique::read_stored(&table, &owner).await?,
            };
            let guards = unique::changes::<M>(&table, &owner, stored.as_ref(), Some(&put.item))?;
            let mut condition = put.condition;
            if !fresh {
                condition = Condition::and_opt(condition, unique::unchanged::<M>(stored.as_ref()));
            }
            let Some(created_attr) = schema.created_at else {
                return Ok(Built {
                    action: TransactWriteAction::Put(PutItem { condition, ..put }),
                    created_at: None,
                    guards,
                });
            };
            // Keep a stored created_at: write as an update, like `save`.
            let mut update = table.upsert_request::<M>(put.item, condition, &stamps)?;
            update.return_values = ReturnValues::None;
            let created_at = if fresh {
                stamps.created_at.clone()
            } else {
                let stored = stored.as_ref().and_then(|i| i.get(created_attr)).cloned();
                let unchanged = write::unchanged(Path::name(created_attr), stored.as_ref());
                update.condition = Condition::and_opt(update.condition.take(), Some(unchanged));
                stored.or_else(|| stamps.created_at.clone())
            };
            Ok(Built {
                action: TransactWriteAction::Update(update),
                created_at,
                guards,
            })
        });
        let mut tx = self;
        tx.actions.push(pending);
        tx.finish.push(None);
        tx.finishing(finish)
    }

    /// Sets what the commit does to the model of the last action added.
    fn finishing(mut self, finish: impl FnOnce(Option<Value>) -> Result<()> + Send + 'm) -> Self {
        self.finish_last(finish);
        self
    }

    fn finish_last(&mut self, finish: impl FnOnce(Option<Value>) -> Result<()> + Send + 'm) {
        if let Some(slot) = self.finish.last_mut() {
            *slot = Some(Box::new(finish));
        }
    }

    /// Applies an update built with `M::update(&table, key)`.
    pub fn update<M: Model>(mut self, update: UpdateBuilder<M>) -> Self {
        self.add_update(update);
        self
    }

    /// [`WriteTransaction::update`] on a borrowed transaction (for actions added by code that
    /// holds `&mut WriteTransaction`, such as [`Sequence::next_in`](crate::sequence::Sequence::next_in)).
    pub(crate) fn add_update<M: Model>(&mut self, update: UpdateBuilder<M>) {
        self.actions.push(Box::pin(async move {
            update.build_guarded().await.map(|(update, guards)| Built {
                action: TransactWriteAction::Update(update),
                created_at: None,
                guards,
            })
        }));
        self.finish.push(None);
    }

    /// The table this transaction writes to.
    pub(crate) fn table(&self) -> &Table {
        &self.table
    }

    /// Deletes the item at `key` (of entity `M`, or absent).
    pub fn delete<M: Model>(self, key: impl IntoResult<Key>) -> Self {
        let condition = WriteRules::<M>::of(self.table.layout()).absent_or_entity();
        self.delete_if::<M>(key, condition)
    }

    /// Deletes the item at `key` only if `condition` holds. For a model with unique fields the
    /// stored item is read first (strongly consistent) to release its values' guards, and the
    /// delete is conditional on those values being unchanged.
    pub fn delete_if<M: Model>(self, key: impl IntoResult<Key>, condition: Condition) -> Self {
        let key = key
            .into_result()
            .and_then(|k| self.table.layout().key_item::<M>(&k));
        let table = self.table.clone();
        let pending: Pending = Box::pin(async move {
            let key = key?;
            let mut condition = Some(condition);
            let mut guards = Vec::new();
            if unique::has_unique::<M>() {
                if let Some(stored) = unique::read_stored(&table, &key).await? {
                    guards = unique::changes::<M>(&table, &key, Some(&stored), None)?;
                    let unchanged = unique::unchanged::<M>(Some(&stored));
                    condition = Condition::and_opt(condition, unchanged);
                }
            }
            Ok(Built {
                action: TransactWriteAction::Delete(
                    DeleteItem::new(table.name(), key)
                        .with_condition(condition)
                        .with_return_item_on_condition_failure(true),
                ),
                created_at: None,
                guards,
            })
        });
        let mut tx = self;
        tx.actions.push(pending);
        tx.finish.push(None);
        tx
    }

    /// Requires `condition` to hold on the item at `key`, writing nothing.
    pub fn check<M: Model>(self, key: impl IntoResult<Key>, condition: Condition) -> Self {
        let action = key
            .into_result()
            .and_then(|k| self.table.layout().key_item::<M>(&k))
            .map(|key| {
                TransactWriteAction::ConditionCheck(
                    ConditionCheck::new(self.table.name(), key, condition)
                        .with_return_item_on_condition_failure(true),
                )
            });
        self.push(action)
    }

    /// Requires an item of `M` to be stored at `key`, writing nothing: the transaction is
    /// canceled (its reason for this action `ConditionalCheckFailed`) when the key is free or
    /// holds another entity. For "the parent exists" while creating a child.
    pub fn check_exists<M: Model>(self, key: impl IntoResult<Key>) -> Self {
        let condition = WriteRules::<M>::of(self.table.layout()).of_entity();
        self.check::<M>(key, condition)
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
    /// Errors name the offending action (1-based). The models of `create` and `put` keep
    /// their old version: only [`WriteTransaction::commit`] gives them the new one.
    pub async fn build(self) -> Result<TransactWrite> {
        self.build_with_models()
            .await
            .map(|(request, _, _)| request)
    }

    /// [`WriteTransaction::build`], also returning what the commit does to each action's model
    /// (with the `created_at` it gets).
    async fn build_with_models(self) -> Result<(TransactWrite, Models<'m>, Vec<Role>)> {
        let limits = self.table.capabilities().limits.clone();
        let mut actions = Vec::with_capacity(self.actions.len());
        let mut roles = Vec::with_capacity(self.actions.len());
        let mut models = Vec::new();
        for (i, (pending, finish)) in self.actions.into_iter().zip(self.finish).enumerate() {
            let built = pending.await.map_err(|e| match e {
                // A value taken is the caller's answer, not a malformed action.
                e @ Error::UniqueViolation { .. } => e,
                e => Error::validation(format!("transaction action {}: {e}", i + 1)),
            })?;
            actions.push(built.action);
            roles.push(Role::Action(i));
            for guard in built.guards {
                actions.push(guard.action);
                roles.push(guard.role);
            }
            if let Some(finish) = finish {
                models.push((finish, built.created_at));
            }
        }
        unique::merge_hand_overs(&self.table, &mut actions, &mut roles);
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
                // Two claims of one value: the second model would break the constraint (and
                // the message would show the value, which lives in the guard's key).
                if let Some(Role::Claim {
                    entity,
                    field,
                    value,
                }) = [&roles[first], &roles[i]]
                    .into_iter()
                    .find(|r| matches!(r, Role::Claim { .. }))
                {
                    return Err(Error::UniqueViolation {
                        entity: (*entity).to_owned(),
                        field: (*field).to_owned(),
                        value: value.clone(),
                    });
                }
                return Err(Error::validation(format!(
                    "transaction actions {} and {} both touch {}; one action per item",
                    first + 1,
                    i + 1,
                    config.describe_key(&key)
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
        let request = TransactWrite {
            client_request_token: self.token,
            ..TransactWrite::new(actions)
        }
        .with_capacity(self.table.recorder("TransactWriteItems", None, None));
        Ok((request, models, roles))
    }

    /// Sends the transaction. A failed condition cancels all of it:
    /// [`Error::TransactionCanceled`] has one reason per action, in order. A unique value
    /// (`#[model(unique)]`) held by another item is [`Error::UniqueViolation`]: the guard
    /// writes the actions add ([`crate::unique`]) are part of the transaction, and count
    /// towards its 100 actions, but never appear among the reasons.
    ///
    /// Once it commits, the models of `create` and `put` hold what was stored: the new version,
    /// `updated_at`, and `created_at` (set by a create, kept by a put).
    #[tracing::instrument(level = "debug", name = "orm.transaction", skip_all, fields(aws.dynamodb.table_names = %self.table.name(), db.operation.batch.size = self.actions.len() as i64))]
    pub async fn commit(self) -> Result<()> {
        let table = self.table.clone();
        let (request, models, roles) = self.build_with_models().await?;
        table
            .backend()
            .transact_write(&request)
            .await
            .map_err(|e| unique::cancellation(e, &roles))?;
        for (finish, created_at) in models {
            finish(created_at)?;
        }
        Ok(())
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
        match key
            .into_result()
            .and_then(|k| self.table.layout().key_item::<M>(&k))
        {
            Ok(key) => self
                .gets
                .push(GetItem::new(self.table.name(), key).with_consistent(true)),
            Err(e) => {
                self.error.get_or_insert(e);
                self.gets.push(GetItem::default());
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
            .transact_get(
                &TransactGet::new(self.gets).with_capacity(self.table.recorder(
                    "TransactGetItems",
                    None,
                    None,
                )),
            )
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
        item.map(|i| self.table.layout().from_raw_item(i))
            .transpose()
    }
}
