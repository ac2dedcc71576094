//! The update builder: `Todo::update(&table, key).set("title", "x").add("views", 1).await`.
//!
//! - An update applies to an existing item of the model's entity: a missing item is
//!   [`Error::NotFound`] and another entity's item is [`Error::EntityMismatch`] (use
//!   [`UpdateBuilder::upsert`] to create missing items as DynamoDB's `UpdateItem` does).
//! - Fields of the primary-key templates cannot be changed (the item would move): delete and
//!   create. Setting one to a literal is allowed only as a guarded no-op on existing items, so that
//!   an upsert can store it on a new item (keep it equal to the value in the key).
//! - Fields used by index-key templates can: the builder reads the item, applies the literal
//!   changes to a copy, recomputes the index keys with the model's own key logic, and writes them in
//!   the same update, conditioned on the fields it read being unchanged (so a concurrent writer makes
//!   the update fail with [`Error::ConditionFailed`] rather than leave the index stale). Index fields
//!   changed by arithmetic (`add`) are refused with an error: their new value is not known up front.
//! - With `#[model(version)]` every update adds 1 to the version, so stale saves conflict; use
//!   [`UpdateBuilder::expect_version`] to make the update itself conditional on a version.

use crate::backend::{ReturnValues, TransactWriteAction, UpdateItem};
use crate::error::{Error, Result};
use crate::expr::{Condition, IntoPath, Path, SetOperand, SetValue, Update, UpdateAction};
use crate::key::{IntoResult, Key};
use crate::model::Model;
use crate::serde_bridge::to_value;
use crate::table::{Table, TableConfig};
use crate::unique::{self, Guard};
use crate::value::{Item, Value};
use crate::write::{self, Stamps, WriteRules};
use serde::Serialize;
use std::collections::BTreeSet;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::SystemTime;

/// A pending update of one item of model `M`; await it (or call [`UpdateBuilder::send`]).
pub struct UpdateBuilder<M> {
    table: Table,
    key: Result<Key>,
    update: Update,
    condition: Option<Condition>,
    return_values: ReturnValues,
    upsert: bool,
    expect_version: Option<u64>,
    error: Option<Error>,
    _m: PhantomData<fn() -> M>,
}

impl<M> std::fmt::Debug for UpdateBuilder<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateBuilder")
            .field("table", &self.table.name())
            .field("key", &self.key.as_ref().ok())
            .field("update", &self.update)
            .field("condition", &self.condition)
            .field("return_values", &self.return_values)
            .field("upsert", &self.upsert)
            .finish()
    }
}

fn path_of(path: impl IntoPath) -> Path {
    path.into_path()
}

impl<M: Model> UpdateBuilder<M> {
    /// An update of the item at `key`.
    pub fn new(table: &Table, key: impl IntoResult<Key>) -> UpdateBuilder<M> {
        UpdateBuilder {
            table: table.clone(),
            key: key.into_result(),
            update: Update::new(),
            condition: None,
            return_values: ReturnValues::None,
            upsert: false,
            expect_version: None,
            error: None,
            _m: PhantomData,
        }
    }

    fn value(&mut self, v: &(impl Serialize + ?Sized)) -> Option<Value> {
        match to_value(v) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        }
    }

    fn push(mut self, action: UpdateAction) -> Self {
        self.update.actions.push(action);
        self
    }

    /// `SET path = set_value(path, value)`, `value` serialized (a value that cannot be is the
    /// builder's error).
    fn set_with(
        mut self,
        path: impl IntoPath,
        value: &impl Serialize,
        set_value: impl FnOnce(Path, Value) -> SetValue,
    ) -> Self {
        let path = path_of(path);
        match self.value(value) {
            Some(v) => {
                let set_value = set_value(path.clone(), v);
                self.push(UpdateAction::Set(path, set_value))
            }
            None => self,
        }
    }

    /// `SET path = value` (any serializable value).
    pub fn set(self, path: impl IntoPath, value: impl Serialize) -> Self {
        self.set_with(path, &value, |_, v| SetValue::from(v))
    }

    /// `SET path = if_not_exists(path, value)`: sets only if the attribute is absent.
    pub fn set_if_not_exists(self, path: impl IntoPath, value: impl Serialize) -> Self {
        self.set_with(path, &value, SetValue::if_not_exists)
    }

    /// `SET path = <expression>` for arithmetic and other expressions.
    pub fn set_expr(self, path: impl IntoPath, value: SetValue) -> Self {
        self.push(UpdateAction::Set(path_of(path), value))
    }

    /// `SET path = path + n` (the attribute must exist; use [`UpdateBuilder::add`] otherwise).
    pub fn increment(self, path: impl IntoPath, n: impl Serialize) -> Self {
        self.set_with(path, &n, |path, v| {
            SetValue::Plus(SetOperand::Path(path), SetOperand::Value(v))
        })
    }

    /// `SET path = path - n`.
    pub fn decrement(self, path: impl IntoPath, n: impl Serialize) -> Self {
        self.set_with(path, &n, |path, v| {
            SetValue::Minus(SetOperand::Path(path), SetOperand::Value(v))
        })
    }

    /// `SET path = list_append(path, values)` (the list must exist).
    pub fn append(self, path: impl IntoPath, values: impl Serialize) -> Self {
        self.set_with(path, &values, |path, v| {
            SetValue::ListAppend(SetOperand::Path(path), SetOperand::Value(v))
        })
    }

    /// `SET path = list_append(values, path)`.
    pub fn prepend(self, path: impl IntoPath, values: impl Serialize) -> Self {
        self.set_with(path, &values, |path, v| {
            SetValue::ListAppend(SetOperand::Value(v), SetOperand::Path(path))
        })
    }

    /// `ADD path value`: atomic counter (a missing attribute counts as 0) or set union.
    pub fn add(mut self, path: impl IntoPath, value: impl Serialize) -> Self {
        match self.value(&value) {
            Some(v) => self.push(UpdateAction::Add(path_of(path), v)),
            None => self,
        }
    }

    /// `REMOVE path`.
    pub fn remove(self, path: impl IntoPath) -> Self {
        self.push(UpdateAction::Remove(path_of(path)))
    }

    /// `DELETE path set`: removes these members from a set.
    pub fn delete_from_set(mut self, path: impl IntoPath, set: impl Serialize) -> Self {
        match self.value(&set) {
            Some(v) => self.push(UpdateAction::Delete(path_of(path), v)),
            None => self,
        }
    }

    /// Apply only if `condition` holds (combined with AND when called again).
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = Condition::and_opt(self.condition.take(), Some(condition));
        self
    }

    /// Apply only if the stored version is `version` (models with `#[model(version)]`).
    pub fn expect_version(mut self, version: u64) -> Self {
        self.expect_version = Some(version);
        self
    }

    /// Create the item if it is missing (DynamoDB's `UpdateItem` behaviour) instead of `NotFound`.
    pub fn upsert(mut self) -> Self {
        self.upsert = true;
        self
    }

    /// Return the whole item as it is after the update.
    pub fn returning_new(mut self) -> Self {
        self.return_values = ReturnValues::AllNew;
        self
    }

    /// Return the whole item as it was before the update.
    pub fn returning_old(mut self) -> Self {
        self.return_values = ReturnValues::AllOld;
        self
    }

    /// Return what `values` asks for (see [`UpdateBuilder::send_raw`] for `Updated*`).
    pub fn returning(mut self, values: ReturnValues) -> Self {
        self.return_values = values;
        self
    }

    /// Builds the backend request, in steps: the primary key guarded against change, index keys
    /// recomputed, the ORM's stamps and conditions added (the write rules every model write
    /// shares).
    ///
    /// An update that changes a unique field (`#[model(unique)]`) needs guard writes beside
    /// it, in one transaction ([`crate::unique`]): send it, or add it to a transaction; its
    /// `build` is an [`Error::Validation`].
    pub async fn build(self) -> Result<UpdateItem> {
        let entity = M::schema().entity;
        match self.build_guarded().await? {
            (request, guards) if guards.is_empty() => Ok(request),
            _ => Err(Error::validation(format!(
                "this update changes a unique field of {entity}, which moves its guard item in \
                 the same transaction: send it, or add it to a transaction, instead of building \
                 the UpdateItem alone"
            ))),
        }
    }

    /// [`UpdateBuilder::build`] with the guard writes of the unique values it changes.
    pub(crate) async fn build_guarded(self) -> Result<(UpdateItem, Vec<Guard>)> {
        self.build_for_key()
            .await
            .map(|(_, request, guards)| (request, guards))
    }

    /// [`UpdateBuilder::build_guarded`], also returning the key the request is for.
    async fn build_for_key(mut self) -> Result<(Key, UpdateItem, Vec<Guard>)> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let key = self.key?;
        let key_item = self.table.layout().key_item::<M>(&key)?;
        let mut update = self.update;
        let touched: BTreeSet<String> = update
            .actions
            .iter()
            .map(|a| a.path().root().to_owned())
            .collect();
        let key_guard = primary_key_guard::<M>(self.table.config(), &touched, &update)?;
        let index_guard =
            recompute_index_keys::<M>(&self.table, &key, &touched, &mut update).await?;
        let (unique_guard, guards) =
            unique_changes::<M>(&self.table, &key_item, &touched, &update).await?;
        let version_guard = write::stamp_update::<M>(
            self.table.layout(),
            &mut update,
            &touched,
            self.upsert,
            self.expect_version,
            &Stamps::at::<M>(SystemTime::now())?,
        )?;
        let rules = WriteRules::<M>::of(self.table.layout());
        let existence = if self.upsert {
            rules.absent().or(rules.of_current_schema())
        } else {
            rules.existing()
        };
        let condition = [
            self.condition,
            key_guard,
            index_guard,
            unique_guard,
            version_guard,
        ]
        .into_iter()
        .flatten()
        .fold(existence, Condition::and);
        update.validate()?;
        let request = UpdateItem::new(self.table.name(), key_item, update)
            .with_condition(condition)
            .with_return_values(self.return_values)
            .with_return_item_on_condition_failure(true)
            .with_capacity(
                self.table
                    .recorder("UpdateItem", Some(M::schema().entity), None),
            );
        Ok((key, request, guards))
    }

    /// Sends the update; returns the item as asked by `returning*` (raw, so that `UpdatedOld` /
    /// `UpdatedNew` partial items are available too).
    #[tracing::instrument(level = "debug", name = "orm.update", skip_all, fields(aws.dynamodb.table_names = %self.table.name(), orm.entity = M::schema().entity))]
    pub async fn send_raw(self) -> Result<Option<Item>> {
        let table = self.table.clone();
        let upsert = self.upsert;
        let (key, request, guards) = self.build_for_key().await?;
        let key_item = request.key.clone();
        let conflict = |e| {
            WriteRules::<M>::of(table.layout()).partial_conflict(
                e, &key, &key_item, None, // an update expects no version of its own
                !upsert,
            )
        };
        if guards.is_empty() {
            return table
                .backend()
                .update_item(&request)
                .await
                .map_err(conflict);
        }
        if request.return_values != ReturnValues::None {
            return Err(Error::validation(format!(
                "an update that changes a unique field of {} runs as a transaction (it moves the \
                 value's guard), which returns no item: drop returning_*() and read the item after",
                M::schema().entity
            )));
        }
        unique::write_with_guards::<M>(&table, TransactWriteAction::Update(request), guards)
            .await
            .map(|()| None)
            .map_err(conflict)
    }

    /// Sends the update; returns the model as asked by `returning_new` / `returning_old`
    /// (`None` without them).
    pub async fn send(self) -> Result<Option<M>> {
        let partial = matches!(
            self.return_values,
            ReturnValues::UpdatedNew | ReturnValues::UpdatedOld
        );
        if partial {
            return Err(Error::validation(
                "Updated* return values hold only some attributes: use send_raw()",
            ));
        }
        let table = self.table.clone();
        let item = self.send_raw().await?;
        item.map(|i| table.layout().from_stored_item(i)).transpose()
    }
}

impl<M: Model> IntoFuture for UpdateBuilder<M> {
    type Output = Result<Option<M>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Option<M>>> + Send>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The guard that keeps an update from changing the primary key: a key field may be set to
/// its own value (an upsert stores it on the new item), guarded to be a no-op on an existing
/// item; any other write to a key field, or to a layout attribute, is an error.
fn primary_key_guard<M: Model>(
    config: &TableConfig,
    touched: &BTreeSet<String>,
    update: &Update,
) -> Result<Option<Condition>> {
    let schema = M::schema();
    let reserved = [
        config.partition_key.as_str(),
        config.sort_key.as_str(),
        config.entity_attribute.as_str(),
        config.schema_attribute.as_str(),
    ];
    let mut guards: Vec<Condition> = Vec::new();
    for root in touched {
        if reserved.contains(&root.as_str()) {
            return Err(Error::validation(format!(
                "cannot update `{root}`: it is a key or layout attribute of the table"
            )));
        }
        let Some(field) = schema.field_by_attribute(root) else {
            continue;
        };
        let in_primary = schema
            .partition_key
            .iter()
            .chain(schema.sort_key.iter())
            .any(|t| t.fields().any(|f| f == field.name));
        if !in_primary {
            continue;
        }
        let literal = update.actions.iter().find_map(|a| match a {
            UpdateAction::Set(p, SetValue::Operand(SetOperand::Value(v)))
                if p.is_top_level() && p.root() == root.as_str() =>
            {
                Some(v.clone())
            }
            _ => None,
        });
        match literal {
            Some(v) => guards.push(
                Path::name(root.as_str())
                    .not_exists()
                    .or(Path::name(root.as_str()).eq(v)),
            ),
            None => {
                return Err(Error::validation(format!(
                    "cannot update `{}` of {}: it is part of the primary key (delete the item and create it anew)",
                    field.name, schema.entity
                )))
            }
        }
    }
    Ok(guards.into_iter().reduce(Condition::and))
}

/// The guard writes of an update that changes unique fields (none when it changes none), and the
/// condition that the unique fields still hold what was read: reads the item (strongly
/// consistent) and applies the update's values of those fields. A unique field changed by
/// anything but a value or a REMOVE is refused: its new value must be known up front.
async fn unique_changes<M: Model>(
    table: &Table,
    key_item: &Item,
    touched: &BTreeSet<String>,
    update: &Update,
) -> Result<(Option<Condition>, Vec<Guard>)> {
    let schema = M::schema();
    let unique_attributes: BTreeSet<&str> = schema
        .unique
        .iter()
        .flat_map(|u| u.attributes.iter().copied())
        .collect();
    if !unique_attributes.iter().any(|a| touched.contains(*a)) {
        return Ok((None, Vec::new()));
    }
    let stored = unique::read_stored(table, key_item).await?;
    let mut new = stored.clone().unwrap_or_default();
    apply_known_values(
        update,
        &unique_attributes,
        &mut new,
        schema.entity,
        "it is unique, and its guard needs the new value up front",
    )?;
    let guards = unique::changes::<M>(table, key_item, stored.as_ref(), Some(&new))?;
    Ok((unique::unchanged::<M>(stored.as_ref()), guards))
}

/// Applies `update`'s actions on the top-level attributes `attributes` to `item`: a value set,
/// or a REMOVE. Any other action on them is refused (an [`Error::Validation`] about `entity`),
/// `why` saying why their new value must be known up front.
fn apply_known_values(
    update: &Update,
    attributes: &BTreeSet<&str>,
    item: &mut Item,
    entity: &str,
    why: &str,
) -> Result<()> {
    for action in &update.actions {
        let root = action.path().root();
        if !attributes.contains(root) {
            continue;
        }
        match action {
            UpdateAction::Set(p, SetValue::Operand(SetOperand::Value(v))) if p.is_top_level() => {
                item.insert(root.to_owned(), v.clone());
            }
            UpdateAction::Remove(p) if p.is_top_level() => {
                item.remove(root);
            }
            _ => {
                return Err(Error::validation(format!(
                    "cannot update `{root}` of {entity} with this action: {why}; set it to a \
                     value instead"
                )))
            }
        }
    }
    Ok(())
}

/// Recomputes the keys of the indexes whose template fields `update` changes: reads the item
/// (strongly consistent), applies the update's values of those fields, derives the new index
/// keys and adds them to `update`. Returns the guard that the fields still hold what was read.
async fn recompute_index_keys<M: Model>(
    table: &Table,
    key: &Key,
    touched: &BTreeSet<String>,
    update: &mut Update,
) -> Result<Option<Condition>> {
    let schema = M::schema();
    let config = table.config();
    let field_attribute = |name: &str| {
        schema
            .fields
            .iter()
            .find(|x| x.name == name)
            .map(|f| f.attribute)
    };
    let affected: Vec<_> = schema
        .indexes
        .iter()
        .filter(|index| {
            index
                .fields()
                .filter_map(field_attribute)
                .any(|a| touched.contains(a))
        })
        .collect();
    if affected.is_empty() {
        return Ok(None);
    }
    let index_fields: BTreeSet<&str> = affected
        .iter()
        .flat_map(|index| index.fields())
        .filter_map(field_attribute)
        .collect();
    let mut current = table
        .reconfigure(|c| c.consistent_reads = true)
        .find::<M>(key.clone())
        .await?
        .ok_or_else(|| Error::NotFound {
            entity: schema.entity.to_owned(),
            key: key.clone(),
        })
        .and_then(|m| table.layout().to_stored_item(&m))?;
    let guard = index_fields
        .iter()
        .map(|attr| write::unchanged(Path::name(*attr), current.get(*attr)))
        .reduce(Condition::and);
    apply_known_values(
        update,
        &index_fields,
        &mut current,
        schema.entity,
        "it is used by an index key, whose new value must be known up front",
    )?;
    let model: M = table.layout().from_stored_item(current)?;
    for index in affected {
        let pk_attr = config.index_partition_key(index.name);
        let sk_attr = config.index_sort_key(index.name);
        let next = std::mem::take(update);
        *update = match model.index_key(index.name)? {
            Some(k) => {
                let next = if index.local {
                    next
                } else {
                    next.set(Path::name(pk_attr), k.partition)
                };
                match k.sort {
                    Some(s) => next.set(Path::name(sk_attr), s),
                    None => next,
                }
            }
            None => {
                let next = if index.local {
                    next
                } else {
                    next.remove(Path::name(pk_attr))
                };
                if index.sort_key.is_some() {
                    next.remove(Path::name(sk_attr))
                } else {
                    next
                }
            }
        };
    }
    Ok(guard)
}
