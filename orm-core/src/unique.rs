//! Unique fields and groups (`#[model(unique)]`), kept by guard items.
//!
//! DynamoDB enforces uniqueness only for primary keys, so each unique value is claimed by a
//! **guard item** whose key is the value: a write that gives a model a unique value also puts
//! the value's guard (if the key is free, or the guard is the model's own), in the same
//! transaction. Two writers claiming one value cannot both succeed; the loser gets
//! [`Error::UniqueViolation`] and nothing it wrote is stored.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use orm_core::prelude::*;
//! use orm_memory::MemoryBackend;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
//! #[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
//! #[model(unique(name = "tenant_handle", fields = ["tenant", "handle"]))]
//! struct User {
//!     id: String,
//!     #[model(unique)]
//!     email: String,
//!     tenant: String,
//!     handle: String,
//! }
//!
//! let table = Table::new(MemoryBackend::new(), "app");
//! table.create_table::<User>().await?;
//! let user = |id: &str, email: &str| User {
//!     id: id.into(), email: email.into(), tenant: "acme".into(), handle: id.into(),
//! };
//! user("ada", "ada@example.com").create(&table).await?;
//! let taken = user("eve", "ada@example.com").create(&table).await.unwrap_err();
//! assert!(matches!(&taken, Error::UniqueViolation { field, .. } if field == "email"));
//! // The message names the constraint, never the value.
//! assert_eq!(taken.to_string(), "unique User.email violated: another User holds the value");
//!
//! // Changing the value moves its guard: the old value is free again.
//! let mut ada = User::get(&table, User::key("ada")).await?;
//! ada.email = "ada@example.org".into();
//! ada.save(&table).await?;
//! user("eve", "ada@example.com").create(&table).await?;
//! # Ok::<(), Error>(()) }).unwrap();
//! ```
//!
//! # What each write does
//!
//! | write | guards |
//! |---|---|
//! | `create`, a transaction's `create` | claims every unique value the model has |
//! | `save`, a transaction's `put` | reads the stored item (strongly consistent), claims the values that changed, releases the old ones; the write is conditional on the stored values being the ones read |
//! | `save_changes` | claims and releases the values that differ between `before` and the model |
//! | `update` (the builder) setting a unique field | reads the item, claims the new value, releases the old one; the field must be set to a value or removed (an arithmetic change of a unique field is refused) and the update cannot return values (it is a transaction) |
//! | `delete`, `delete_key`, a transaction's `delete` | reads the stored item and releases its values |
//! | `batch_create`, `batch_put`, `batch_delete` | refused with [`Error::Validation`]: batch writes cannot be conditional, so they cannot keep guards; use a transaction (up to 100 actions) |
//!
//! A value that is absent (`None`) claims nothing, so any number of items may leave a unique
//! field empty, as in SQL. A group claims a value only when every field of it is present.
//! Values are compared exactly as stored: normalise them first (lower-case emails) if two
//! spellings should collide.
//!
//! # The guard item
//!
//! Stored in the same table, under the key `UNIQUE#{entity}#{name}#{value}` (the partition
//! key, and the sort key too when the table has one), where `name` is the constraint's name
//! (the field's Rust name, or the group's name) and `value` the value's text (a group's
//! values joined by `#`, with `\` and `#` inside a value escaped by `\`). Its entity attribute
//! is [`GUARD_ENTITY`], so no model's read sees it, and [`OWNER_PARTITION`] /
//! [`OWNER_SORT`] hold the key of the item that holds the value. Guard items have no index
//! keys. Each guard costs one more write in the transaction (transactions cost two write
//! units per KB and action in DynamoDB).
//!
//! # Existing items
//!
//! Adding `#[model(unique)]` to a model with stored items, or changing a unique value with a
//! [`Migration`](crate::migrate::Migration)'s upgrade function, leaves values without guards.
//! [`Table::build_unique_guards`] scans the entity and claims every value; values held by two
//! items are reported, not guessed at.

use crate::backend::{
    DeleteItem, GetItem, PutItem, ScanRequest, TransactWrite, TransactWriteAction,
};
use crate::error::{CancellationCode, CancellationReason, Error, Result};
use crate::expr::{Condition, Path};
use crate::key::Key;
use crate::model::{Model, Schema, UniqueSchema};
use crate::table::Table;
use crate::value::{Item, Value};

/// The entity attribute of every guard item: no model's read returns guard items.
pub const GUARD_ENTITY: &str = "__unique";
/// The attribute of a guard item holding the partition key of the item that holds the value.
pub const OWNER_PARTITION: &str = "owner_pk";
/// The attribute of a guard item holding the sort key of the item that holds the value (absent
/// for a table without a sort key).
pub const OWNER_SORT: &str = "owner_sk";

/// The partition-key text of the guard of the unique constraint `unique` of `entity` for the
/// values `values` (in the order of the constraint's attributes):
/// `UNIQUE#{entity}#{name}#{value}`.
///
/// ```
/// use orm_core::model::UniqueSchema;
/// use orm_core::unique::guard_key_text;
/// use orm_core::Value;
///
/// let email = UniqueSchema { name: "email", attributes: &["email"] };
/// let text = guard_key_text("User", &email, &[&Value::from("ada@example.com")])?;
/// assert_eq!(text, "UNIQUE#User#email#ada@example.com");
/// let pair = UniqueSchema { name: "slot", attributes: &["room", "hour"] };
/// let text = guard_key_text("Booking", &pair, &[&Value::from("a#1"), &Value::from(9)])?;
/// assert_eq!(text, r"UNIQUE#Booking#slot#a\#1#9");
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn guard_key_text(entity: &str, unique: &UniqueSchema, values: &[&Value]) -> Result<String> {
    let mut out = format!("UNIQUE#{entity}#{}", unique.name);
    for (value, attribute) in values.iter().zip(unique.attributes) {
        out.push('#');
        match value {
            Value::S(s) => {
                for c in s.chars() {
                    if c == '#' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            Value::N(n) => out.push_str(&n.to_string()),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::B(bytes) => {
                for b in bytes {
                    out.push_str(&format!("{b:02x}"));
                }
            }
            other => {
                return Err(Error::validation(format!(
                    "unique {entity}.{}: attribute `{attribute}` holds a {}; a unique value \
                     must be a string, number, bool or bytes",
                    unique.name,
                    other.value_type().descriptor()
                )))
            }
        }
    }
    Ok(out)
}

/// The values of `unique`'s attributes in `item`, in order; `None` when one is absent or NULL
/// (the item then claims no value of that constraint).
fn values_in<'i>(unique: &UniqueSchema, item: &'i Item) -> Option<Vec<&'i Value>> {
    unique
        .attributes
        .iter()
        .map(|a| item.get(*a).filter(|v| !matches!(v, Value::Null)))
        .collect()
}

/// The value reported by [`Error::UniqueViolation`]: the field's value, or a list of a group's.
fn reported_value(values: &[&Value]) -> Value {
    match values {
        [one] => (*one).clone(),
        many => Value::L(many.iter().map(|v| (*v).clone()).collect()),
    }
}

/// One write of a guard item, as part of a model's write.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    /// The put (a claim) or delete (a release) of the guard item.
    pub(crate) action: TransactWriteAction,
    /// What a failed condition of `action` means.
    pub(crate) role: Role,
}

/// What an action of a transaction is, to turn a cancellation into the precise error.
#[derive(Debug, Clone)]
pub(crate) enum Role {
    /// The caller's action at this position (0-based).
    Action(usize),
    /// A claim of `value` for the constraint `field` of `entity`.
    Claim {
        entity: &'static str,
        field: &'static str,
        value: Value,
    },
    /// A release of a guard (unconditional) held by the item at `owner` (a key item).
    Release { owner: Item },
}

/// The guard key item of `text` in `table` for a model of schema `schema`.
fn guard_key(table: &Table, schema: &Schema, text: &str) -> Item {
    let config = table.config();
    let mut key = Item::new().with(config.partition_key.clone(), text);
    if schema.has_sort_key {
        key.insert(config.sort_key.clone(), Value::from(text));
    }
    key
}

/// The condition that the guard at the key is free or held by `owner` (a key item).
fn free_or_owned_by(table: &Table, owner: &Item) -> Condition {
    let config = table.config();
    Path::name(config.partition_key.clone())
        .not_exists()
        .or(owned_by(table, owner))
}

/// The condition that the guard at the key is held by `owner` (a key item).
fn owned_by(table: &Table, owner: &Item) -> Condition {
    let config = table.config();
    let mut ours = Path::name(OWNER_PARTITION).eq(owner
        .get(&config.partition_key)
        .cloned()
        .unwrap_or(Value::Null));
    if let Some(sort) = owner.get(&config.sort_key) {
        ours = ours.and(Path::name(OWNER_SORT).eq(sort.clone()));
    }
    ours
}

/// Merges, in a transaction's `actions` (with their `roles`), each release of a guard that
/// another action claims into that claim: one item may have one action only, and a value
/// passed from one item to another in one transaction (the one that held it deleted, or
/// given another value) is a claim that may also find the guard held by the releaser.
pub(crate) fn merge_hand_overs(
    table: &Table,
    actions: &mut Vec<TransactWriteAction>,
    roles: &mut Vec<Role>,
) {
    let config = table.config();
    let mut released = Vec::new();
    for (i, role) in roles.iter().enumerate() {
        if let Role::Release { owner } = role {
            let (_, key) = actions[i].target();
            let claim = actions.iter().enumerate().position(|(j, a)| {
                matches!(roles[j], Role::Claim { .. })
                    && matches!(a, TransactWriteAction::Put(p) if config.key_of(&p.item) == config.key_of(key))
            });
            if let Some(j) = claim {
                released.push((i, j, owner.clone()));
            }
        }
    }
    for (_, j, owner) in &released {
        if let TransactWriteAction::Put(put) = &mut actions[*j] {
            put.condition = Condition::and_opt(None, put.condition.take())
                .map(|c| c.or(owned_by(table, owner)));
        }
    }
    let drop: Vec<usize> = released.iter().map(|(i, _, _)| *i).collect();
    let mut index = 0;
    actions.retain(|_| {
        index += 1;
        !drop.contains(&(index - 1))
    });
    let mut index = 0;
    roles.retain(|_| {
        index += 1;
        !drop.contains(&(index - 1))
    });
}

/// The guard item claiming `text` for the item at `owner`.
fn guard_item(table: &Table, schema: &Schema, text: &str, owner: &Item) -> Item {
    let config = table.config();
    let mut item = guard_key(table, schema, text);
    item.insert(config.entity_attribute.clone(), Value::from(GUARD_ENTITY));
    if let Some(pk) = owner.get(&config.partition_key) {
        item.insert(OWNER_PARTITION.to_owned(), pk.clone());
    }
    if let Some(sk) = owner.get(&config.sort_key) {
        item.insert(OWNER_SORT.to_owned(), sk.clone());
    }
    item
}

/// The values of one unique constraint of a model, and the key text of their guard.
struct Guarded<'a> {
    schema: &'static Schema,
    unique: &'static UniqueSchema,
    values: &'a [&'a Value],
    text: String,
}

impl<'a> Guarded<'a> {
    /// `unique`'s `values` in an item of `M`.
    fn new<M: Model>(unique: &'static UniqueSchema, values: &'a [&'a Value]) -> Result<Self> {
        let schema = M::schema();
        let text = guard_key_text(schema.entity, unique, values)?;
        Ok(Guarded {
            schema,
            unique,
            values,
            text,
        })
    }

    /// The claim of the values for the item at `owner`.
    fn claim(&self, table: &Table, owner: &Item) -> Guard {
        let item = guard_item(table, self.schema, &self.text, owner);
        let put = PutItem::new(table.name(), item)
            .with_condition(free_or_owned_by(table, owner))
            .with_return_item_on_condition_failure(true);
        Guard {
            action: TransactWriteAction::Put(put),
            role: Role::Claim {
                entity: self.schema.entity,
                field: self.unique.name,
                value: reported_value(self.values),
            },
        }
    }

    /// The release of the values, held by the item at `owner`. Unconditional: the write it
    /// goes with is conditional on its item holding the values, and no other item can hold
    /// them, so the guard is that item's (or absent, for a value stored before the constraint
    /// existed).
    fn release(&self, table: &Table, owner: &Item) -> Guard {
        let delete = DeleteItem::new(table.name(), guard_key(table, self.schema, &self.text));
        Guard {
            action: TransactWriteAction::Delete(delete),
            role: Role::Release {
                owner: owner.clone(),
            },
        }
    }
}

/// The guard writes of a write of `M` that changes the stored item at `owner` (a key item)
/// from `old` (`None`: no item) to `new` (`None`: deleted): a claim of each value `new` has and
/// `old` has not, a release of each value `old` has and `new` has not.
pub(crate) fn changes<M: Model>(
    table: &Table,
    owner: &Item,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<Vec<Guard>> {
    let mut guards = Vec::new();
    for unique in M::schema().unique {
        let before = old.and_then(|i| values_in(unique, i));
        let after = new.and_then(|i| values_in(unique, i));
        if before == after {
            continue;
        }
        if let Some(values) = &after {
            guards.push(Guarded::new::<M>(unique, values)?.claim(table, owner));
        }
        if let Some(values) = &before {
            guards.push(Guarded::new::<M>(unique, values)?.release(table, owner));
        }
    }
    Ok(guards)
}

/// The condition that the stored item's unique attributes hold what `old` holds (absent where
/// `old` has none, or when there is no `old`): a write whose guard changes were computed from
/// `old` applies only to that item. `None` for a model without unique constraints.
pub(crate) fn unchanged<M: Model>(old: Option<&Item>) -> Option<Condition> {
    let mut attributes: Vec<&str> = M::schema()
        .unique
        .iter()
        .flat_map(|u| u.attributes.iter().copied())
        .collect();
    attributes.sort_unstable();
    attributes.dedup();
    attributes
        .into_iter()
        .map(|a| crate::write::unchanged(Path::name(a), old.and_then(|i| i.get(a))))
        .reduce(Condition::and)
}

/// Whether `M` has unique constraints.
pub(crate) fn has_unique<M: Model>() -> bool {
    !M::schema().unique.is_empty()
}

/// The stored item at `key` (a strongly consistent read), to learn the unique values it holds.
pub(crate) async fn read_stored(table: &Table, key: &Item) -> Result<Option<Item>> {
    let request = GetItem::new(table.name(), key.clone())
        .with_consistent(true)
        .with_capacity(table.recorder("GetItem", None, None));
    table
        .backend()
        .get_item(&request)
        .await?
        .map(crate::backend::RawItem::into_item)
        .transpose()
}

/// Refuses a batch write of `M` when it has unique constraints (batch writes cannot be
/// conditional, so they cannot keep the guards).
pub(crate) fn refuse_batch<M: Model>(operation: &str) -> Result<()> {
    if has_unique::<M>() {
        return Err(Error::validation(format!(
            "{operation} of {}: it has unique fields, whose guards need conditional writes in a \
             transaction, which a batch write cannot do; write each model (or up to 100 in a \
             transaction) instead",
            M::schema().entity
        )));
    }
    Ok(())
}

/// Sends the caller's `main` action with its `guards` as one transaction. A failed claim is
/// [`Error::UniqueViolation`]; a failed condition of `main` is [`Error::ConditionFailed`] with
/// the stored item (for the caller to make precise).
pub(crate) async fn write_with_guards<M: Model>(
    table: &Table,
    main: TransactWriteAction,
    guards: Vec<Guard>,
) -> Result<()> {
    let mut roles = vec![Role::Action(0)];
    let mut actions = vec![main];
    for guard in guards {
        actions.push(guard.action);
        roles.push(guard.role);
    }
    let request = TransactWrite::new(actions).with_capacity(table.recorder(
        "TransactWriteItems",
        Some(M::schema().entity),
        None,
    ));
    request.validate(&table.capabilities().limits)?;
    match table.backend().transact_write(&request).await {
        Ok(()) => Ok(()),
        Err(e) => match cancellation(e, &roles) {
            Error::TransactionCanceled { mut reasons }
                if reasons.len() == 1
                    && reasons[0].code == CancellationCode::ConditionalCheckFailed =>
            {
                Err(Error::ConditionFailed {
                    entity: None,
                    item: reasons.pop().and_then(|r| r.item).map(Box::new),
                })
            }
            other => Err(other),
        },
    }
}

/// Turns a cancelled transaction whose actions are `roles` into the precise error: the first
/// failed claim is [`Error::UniqueViolation`]; otherwise the reasons of the caller's own actions, numbered as the caller numbered them
/// (the guards' reasons left out). Other errors pass through.
pub(crate) fn cancellation(error: Error, roles: &[Role]) -> Error {
    let Error::TransactionCanceled { reasons } = error else {
        return error;
    };
    let failed = |code: &CancellationCode| *code == CancellationCode::ConditionalCheckFailed;
    for (reason, role) in reasons.iter().zip(roles) {
        match role {
            Role::Claim {
                entity,
                field,
                value,
            } if failed(&reason.code) => {
                return Error::UniqueViolation {
                    entity: (*entity).to_owned(),
                    field: (*field).to_owned(),
                    value: value.clone(),
                }
            }
            _ => {}
        }
    }
    let reasons = reasons.into_iter().zip(roles).fold(
        Vec::new(),
        |mut kept: Vec<CancellationReason>, (mut reason, role)| {
            match role {
                Role::Action(index) => {
                    reason.index = *index;
                    kept.push(reason);
                }
                // A guard follows its action: another failure of the guard (a transaction
                // conflict, throttling) is its action's, so that retrying stays possible.
                _ if reason.is_failure() => {
                    if let Some(action) = kept.last_mut().filter(|a| !a.is_failure()) {
                        action.code = reason.code;
                        action.message = reason.message;
                    }
                }
                _ => {}
            }
            kept
        },
    );
    Error::TransactionCanceled { reasons }
}

/// What [`Table::build_unique_guards`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuardReport {
    /// Items of the entity read.
    pub scanned: u64,
    /// Guards written (values that had none).
    pub claimed: u64,
    /// Values whose guard was already the item's.
    pub unchanged: u64,
    /// Guards taken over from an owner that no longer holds the value (an item deleted, or
    /// moved to a new key by a migration, without the ORM's guards).
    pub reassigned: u64,
    /// Values held by another item too: `(constraint, the key of the item left without a
    /// guard)`. Nothing was changed for them; make the values distinct, then run again.
    pub duplicates: Vec<(String, Key)>,
}

impl Table {
    /// Claims the unique values of every stored item of `M` that has no guard yet: for models
    /// given `#[model(unique)]` after items were stored, or after a migration changed unique
    /// values or keys. Scans the table (strongly consistent pages); each claim is a
    /// conditional put, so running it again, or while the application writes, is safe.
    ///
    /// A value held by two items is reported in [`GuardReport::duplicates`] (the second item
    /// found), not resolved. A guard of a value no item holds any more is not removed.
    #[tracing::instrument(level = "info", name = "orm.build_unique_guards", skip_all, fields(aws.dynamodb.table_names = %self.name(), orm.entity = M::schema().entity))]
    pub async fn build_unique_guards<M: Model>(&self) -> Result<GuardReport> {
        let schema = M::schema();
        let config = self.config();
        let mut report = GuardReport::default();
        let filter = Path::name(config.entity_attribute.clone()).eq(schema.entity);
        let mut start: Option<Item> = None;
        loop {
            let request = ScanRequest::new(self.name())
                .with_filter(filter.clone())
                .with_consistent(true)
                .with_exclusive_start_key(start.take());
            let page = self.backend().scan(&request).await?;
            for raw in page.items {
                let item = raw.into_item()?;
                report.scanned += 1;
                let owner = config.key_of(&item);
                for unique in schema.unique {
                    let Some(values) = values_in(unique, &item) else {
                        continue;
                    };
                    let guard = Guarded::new::<M>(unique, &values)?.claim(self, &owner);
                    let TransactWriteAction::Put(mut put) = guard.action else {
                        continue;
                    };
                    // Count a guard already held apart from a new one.
                    let key = config.key_of(&put.item);
                    let held = read_stored(self, &key).await?.is_some();
                    put.return_item_on_condition_failure = false;
                    // A clone: a failed condition hands the same guard to take_over_stale.
                    match self.backend().put_item(put.clone()).await {
                        Ok(_) if held => report.unchanged += 1,
                        Ok(_) => report.claimed += 1,
                        Err(Error::ConditionFailed { .. }) => {
                            if self.take_over_stale::<M>(unique, &values, put).await? {
                                report.reassigned += 1;
                            } else {
                                let key = config.key_from_item(&owner).ok_or_else(|| {
                                    Error::validation("a scanned item has no partition key")
                                })?;
                                report.duplicates.push((unique.name.to_owned(), key));
                            }
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(report),
            }
        }
    }

    /// Puts the guard `put` over a guard whose owner does not hold `values` of `unique` (any
    /// more), conditional on that owner; `false` when the owner holds them (a duplicate).
    async fn take_over_stale<M: Model>(
        &self,
        unique: &UniqueSchema,
        values: &[&Value],
        mut put: PutItem,
    ) -> Result<bool> {
        let config = self.config();
        let Some(guard) = read_stored(self, &config.key_of(&put.item)).await? else {
            return Ok(false); // released meanwhile: the next run claims it
        };
        let mut owner = Item::new();
        let mut stale = Path::name(OWNER_PARTITION).not_exists();
        if let Some(pk) = guard.get(OWNER_PARTITION) {
            owner.insert(config.partition_key.clone(), pk.clone());
            stale = Path::name(OWNER_PARTITION).eq(pk.clone());
        }
        if let Some(sk) = guard.get(OWNER_SORT) {
            owner.insert(config.sort_key.clone(), sk.clone());
            stale = stale.and(Path::name(OWNER_SORT).eq(sk.clone()));
        }
        if owner.get(&config.partition_key).is_some() {
            let held = read_stored(self, &owner).await?;
            let holds = held.as_ref().is_some_and(|item| {
                self.layout().is_entity::<M>(item)
                    && values_in(unique, item).as_deref() == Some(values)
            });
            if holds {
                return Ok(false);
            }
        }
        put.condition = Some(stale);
        match self.backend().put_item(put).await {
            Ok(_) => Ok(true),
            Err(Error::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
