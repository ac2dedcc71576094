//! Statements planned into the engine's requests as DynamoDB plans them: a `SELECT` whose
//! `WHERE` fixes the partition key (`pk = v`, `pk IN [...]`, or an `OR` of those) queries each
//! such partition, anything else scans; `INSERT`, `UPDATE`, `DELETE` and `EXISTS` address one
//! item by its full key, the rest of their `WHERE` a condition on it.

use super::super::super::error::ApiError;
use orm_core::backend::{
    ConditionCheck, DeleteItem, GetItem, KeyAttribute, KeyType, PutItem, ReturnValues,
    TableDefinition, UpdateItem,
};
use orm_core::expr::partiql::{Returning, Select, Statement};
use orm_core::expr::{CompareOp, Condition, Operand, Path, SortKeyCondition};
use orm_core::{Item, Value};

/// A `SELECT` of ExecuteStatement.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Read {
    /// The table.
    pub(super) table: String,
    /// The index read.
    pub(super) index: Option<String>,
    /// The partition key's name.
    pub(super) hash: String,
    /// The partitions to query, in order; empty for a Scan.
    pub(super) partitions: Vec<Value>,
    /// The sort-key condition of a single-partition query.
    pub(super) sort: Option<(String, SortKeyCondition)>,
    /// The whole `WHERE`, applied to every item read.
    pub(super) filter: Option<Condition>,
    /// The projected paths (`None`: `*`).
    pub(super) projection: Option<Vec<Path>>,
    /// Ascending sort-key order.
    pub(super) forward: bool,
}

/// A write statement as the engine's request.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Write {
    /// `INSERT`: a put on the condition that no item has the key.
    Insert(PutItem),
    /// `UPDATE`: an update on the condition that the item exists (and the rest of `WHERE`).
    Update(UpdateItem, Option<Returning>),
    /// `DELETE`: a delete on the rest of `WHERE`.
    Delete(DeleteItem, Option<Returning>),
    /// `EXISTS(SELECT ...)`: a check that the item exists and meets the rest of `WHERE`.
    Check(ConditionCheck),
}

impl Write {
    /// The table and the key written.
    pub(super) fn target(&self) -> (&str, Item) {
        match self {
            Write::Insert(put) => (&put.table, put.item.clone()),
            Write::Update(u, _) => (&u.table, u.key.clone()),
            Write::Delete(d, _) => (&d.table, d.key.clone()),
            Write::Check(c) => (&c.table, c.key.clone()),
        }
    }
}

/// Why a statement cannot be one single-item read (BatchExecuteStatement and
/// ExecuteTransaction read one item per statement).
#[derive(Debug)]
pub(super) enum NotSingle {
    /// It reads an index.
    Index,
    /// Its `WHERE` is not exactly the full key (a key type mismatch is an `Invalid`).
    NotTheKey,
    /// A key value of the wrong type.
    Invalid(ApiError),
}

/// `EXISTS` of an item with no further condition: a statement error of its own, not a
/// cancellation reason.
pub(super) const EXISTS_WITHOUT_CONDITION: &str =
    "EXISTS() must contain a single item read with additional condition";

fn no_full_key() -> ApiError {
    ApiError::validation("Where clause does not contain a mandatory equality on all key attributes")
}

fn type_mismatch(name: &str) -> ApiError {
    ApiError::validation(format!(
        "Key attribute's data type should match its data type in table's schema: Key {name}"
    ))
}

fn matches_type(value: &Value, key_type: KeyType) -> bool {
    matches!(
        (value, key_type),
        (Value::S(_), KeyType::S) | (Value::N(_), KeyType::N) | (Value::B(_), KeyType::B)
    )
}

/// The conditions `c` is the AND of (nested ANDs flattened).
fn conjuncts(c: Option<&Condition>) -> Vec<&Condition> {
    fn walk<'c>(c: &'c Condition, out: &mut Vec<&'c Condition>) {
        match c {
            Condition::And(all) => all.iter().for_each(|c| walk(c, out)),
            other => out.push(other),
        }
    }
    let mut out = Vec::new();
    if let Some(c) = c {
        walk(c, &mut out);
    }
    out
}

/// Whether `operand` is the top-level attribute `name`.
fn is_attribute(operand: &Operand, name: &str) -> bool {
    matches!(operand, Operand::Path(p) if p.is_top_level() && p.root() == name)
}

/// The value `c` says attribute `name` equals (`name = v` or `v = name`).
fn equality<'c>(c: &'c Condition, name: &str) -> Option<&'c Value> {
    match c {
        Condition::Compare(a, CompareOp::Eq, Operand::Value(v)) if is_attribute(a, name) => Some(v),
        Condition::Compare(Operand::Value(v), CompareOp::Eq, b) if is_attribute(b, name) => Some(v),
        _ => None,
    }
}

/// The conjunction of `rest` (`None` when empty).
fn all_of(mut rest: Vec<Condition>) -> Option<Condition> {
    match rest.len() {
        0 => None,
        1 => rest.pop(),
        _ => Some(Condition::And(rest)),
    }
}

/// The full key of the table that `condition` fixes with top-level equalities, and the
/// conditions left over.
fn full_key(
    condition: Option<&Condition>,
    table: &TableDefinition,
) -> Result<(Item, Vec<Condition>), ApiError> {
    let all = conjuncts(condition);
    let mut used = Vec::new();
    let mut key = Item::new();
    for attribute in std::iter::once(&table.partition_key).chain(&table.sort_key) {
        let (i, value) = all
            .iter()
            .enumerate()
            .find_map(|(i, c)| equality(c, &attribute.name).map(|v| (i, v)))
            .ok_or_else(no_full_key)?;
        if !matches_type(value, attribute.key_type) {
            return Err(type_mismatch(&attribute.name));
        }
        key.0.insert(attribute.name.clone(), value.clone());
        used.push(i);
    }
    let rest = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !used.contains(i))
        .map(|(_, c)| c.clone())
        .collect();
    Ok((key, rest))
}

fn exists(attribute: &KeyAttribute) -> Condition {
    Condition::Exists(Path::name(attribute.name.clone()))
}

/// A write statement (or `EXISTS`) as its request.
pub(super) fn write(statement: Statement, table: &TableDefinition) -> Result<Write, ApiError> {
    Ok(match statement {
        Statement::Insert { table: name, item } => {
            for attribute in std::iter::once(&table.partition_key).chain(&table.sort_key) {
                match item.get(&attribute.name) {
                    None => {
                        return Err(ApiError::validation(format!(
                            "Key attribute should be present in the item: Key {}",
                            attribute.name
                        )))
                    }
                    Some(v) if !matches_type(v, attribute.key_type) => {
                        return Err(type_mismatch(&attribute.name))
                    }
                    Some(_) => {}
                }
            }
            Write::Insert(PutItem {
                condition: Some(Condition::NotExists(Path::name(
                    table.partition_key.name.clone(),
                ))),
                ..PutItem::new(name, item)
            })
        }
        Statement::Update {
            table: name,
            update,
            condition,
            returning,
        } => {
            let (key, rest) = full_key(condition.as_ref(), table)?;
            let mut all = vec![exists(&table.partition_key)];
            all.extend(rest);
            Write::Update(
                UpdateItem {
                    condition: all_of(all),
                    return_values: match returning {
                        None => ReturnValues::None,
                        Some(Returning::AllOld) => ReturnValues::AllOld,
                        Some(Returning::ModifiedOld) => ReturnValues::UpdatedOld,
                        Some(Returning::AllNew) => ReturnValues::AllNew,
                        Some(Returning::ModifiedNew) => ReturnValues::UpdatedNew,
                    },
                    ..UpdateItem::new(name, key, update)
                },
                returning,
            )
        }
        Statement::Delete {
            table: name,
            condition,
            returning,
        } => {
            let (key, rest) = full_key(condition.as_ref(), table)?;
            Write::Delete(
                DeleteItem {
                    condition: all_of(rest),
                    // The old item sizes the consumed capacity; it is answered only when
                    // RETURNING asks for it.
                    return_values: ReturnValues::AllOld,
                    ..DeleteItem::new(name, key)
                },
                returning,
            )
        }
        Statement::Exists(select) => {
            if select.index.is_some() {
                return Err(ApiError::validation(
                    "This operation is not supported on an index",
                ));
            }
            let (key, rest) = full_key(select.condition.as_ref(), table)?;
            if rest.is_empty() {
                return Err(ApiError::validation(EXISTS_WITHOUT_CONDITION));
            }
            let mut all = vec![exists(&table.partition_key)];
            all.extend(rest);
            let condition = all_of(all).expect("at least the existence check");
            Write::Check(ConditionCheck::new(select.table, key, condition))
        }
        Statement::Select(_) => unreachable!("a SELECT is a read"),
    })
}

/// A `SELECT` naming exactly one item by its full key (nothing else in its `WHERE`).
pub(super) fn single(
    select: &Select,
    table: &TableDefinition,
    consistent: bool,
) -> Result<GetItem, NotSingle> {
    if select.index.is_some() {
        return Err(NotSingle::Index);
    }
    match full_key(select.condition.as_ref(), table) {
        Ok((key, rest)) if rest.is_empty() => Ok(GetItem {
            consistent,
            ..GetItem::new(select.table.clone(), key)
        }),
        Ok(_) => Err(NotSingle::NotTheKey),
        Err(e) if e.message == no_full_key().message => Err(NotSingle::NotTheKey),
        Err(e) => Err(NotSingle::Invalid(e)),
    }
}

/// The partition values `c` fixes: `hash = v` or `hash IN [...]` among its conjuncts, or every
/// branch of an `OR` fixing some.
fn partitions(c: &Condition, hash: &KeyAttribute) -> Option<Vec<Value>> {
    for conjunct in conjuncts(Some(c)) {
        if let Some(v) = equality(conjunct, &hash.name) {
            return Some(vec![v.clone()]);
        }
        if let Condition::In(left, values) = conjunct {
            if is_attribute(left, &hash.name) {
                return values
                    .iter()
                    .map(|v| match v {
                        Operand::Value(v) => Some(v.clone()),
                        _ => None,
                    })
                    .collect();
            }
        }
    }
    if let Condition::Or(any) = c {
        let mut all = Vec::new();
        for branch in any {
            all.extend(partitions(branch, hash)?);
        }
        return Some(all);
    }
    None
}

/// The values a key-condition-shaped conjunct compares sort key `name` with (`=`, `<`, `<=`,
/// `>`, `>=`, `BETWEEN`, `begins_with`).
fn sort_values<'c>(c: &'c Condition, name: &str) -> Vec<&'c Value> {
    match c {
        Condition::Compare(a, op, Operand::Value(v))
            if *op != CompareOp::Ne && is_attribute(a, name) =>
        {
            vec![v]
        }
        Condition::Compare(Operand::Value(v), op, b)
            if *op != CompareOp::Ne && is_attribute(b, name) =>
        {
            vec![v]
        }
        Condition::Between(a, low, high) if is_attribute(a, name) => [low, high]
            .into_iter()
            .filter_map(|o| match o {
                Operand::Value(v) => Some(v),
                _ => None,
            })
            .collect(),
        Condition::BeginsWith(p, Operand::Value(v)) if p.is_top_level() && p.root() == name => {
            vec![v]
        }
        _ => Vec::new(),
    }
}

/// The sort-key condition among `c`'s conjuncts, when its values are of the key's type.
fn sort_condition(c: &Condition, range: &KeyAttribute) -> Option<SortKeyCondition> {
    let typed = |v: &Value| matches_type(v, range.key_type);
    let name = range.name.as_str();
    conjuncts(Some(c)).into_iter().find_map(|c| {
        let (op, value) = match c {
            Condition::Compare(a, op, Operand::Value(v)) if is_attribute(a, name) => (*op, v),
            Condition::Compare(Operand::Value(v), op, b) if is_attribute(b, name) => {
                (op.flipped(), v)
            }
            Condition::Between(a, Operand::Value(low), Operand::Value(high))
                if is_attribute(a, name) && typed(low) && typed(high) =>
            {
                return Some(SortKeyCondition::Between(low.clone(), high.clone()))
            }
            Condition::BeginsWith(p, Operand::Value(prefix))
                if p.is_top_level() && p.root() == name && typed(prefix) =>
            {
                return Some(SortKeyCondition::BeginsWith(prefix.clone()))
            }
            _ => return None,
        };
        if !typed(value) {
            return None;
        }
        let v = value.clone();
        Some(match op {
            CompareOp::Eq => SortKeyCondition::Eq(v),
            CompareOp::Lt => SortKeyCondition::Lt(v),
            CompareOp::Le => SortKeyCondition::Le(v),
            CompareOp::Gt => SortKeyCondition::Gt(v),
            CompareOp::Ge => SortKeyCondition::Ge(v),
            CompareOp::Ne => return None,
        })
    })
}

/// What DynamoDB answers a statement on an index with a multi-attribute key (DynamoDB Local
/// 11.1.0 refuses every such `SELECT`, a Query or a Scan alike, and DynamoDB's documentation
/// says nothing to the contrary: docs/server.md, known differences).
pub(super) const MULTI_ATTRIBUTE_INDEX: &str =
    "PartiQL statements cannot be executed on tables with composite HASH keys or composite RANGE keys.";

/// A `SELECT` of ExecuteStatement (`consistent`: with `ConsistentRead`) as a Query of each
/// partition it fixes, or a Scan. An index is checked first, as DynamoDB does: one the table
/// has, not a global one read consistently, not one with a multi-attribute key.
pub(super) fn read(
    select: Select,
    table: &TableDefinition,
    consistent: bool,
) -> Result<Read, ApiError> {
    if let Some(name) = select.index.as_deref() {
        let index = table.index(name).ok_or_else(|| {
            ApiError::validation(format!(
                "The table does not have the specified index: {name}"
            ))
        })?;
        if consistent && !index.local {
            return Err(ApiError::validation(
                crate::query::CONSISTENT_READ_ON_GLOBAL_INDEX,
            ));
        }
        if index.is_multi_attribute() {
            return Err(ApiError::validation(MULTI_ATTRIBUTE_INDEX));
        }
    }
    let (hash, range) = table
        .key_schema(select.index.as_deref())
        .expect("the index was found above");
    let mut found = select
        .condition
        .as_ref()
        .and_then(|c| partitions(c, hash))
        .unwrap_or_default();
    let mut partitions: Vec<Value> = Vec::with_capacity(found.len());
    for v in found.drain(..) {
        if !matches_type(&v, hash.key_type) {
            return Err(type_mismatch(&hash.name));
        }
        if !partitions.contains(&v) {
            partitions.push(v);
        }
    }
    let sort = match (&select.condition, range) {
        (Some(c), Some(range)) if partitions.len() == 1 => {
            for conjunct in conjuncts(Some(c)) {
                if sort_values(conjunct, &range.name)
                    .iter()
                    .any(|v| !matches_type(v, range.key_type))
                {
                    return Err(type_mismatch(&range.name));
                }
            }
            sort_condition(c, range).map(|s| (range.name.clone(), s))
        }
        _ => None,
    };
    let mut forward = true;
    for key in &select.order_by {
        let name = key.path.root();
        let is_key =
            key.path.is_top_level() && (name == hash.name || range.is_some_and(|r| r.name == name));
        if !is_key {
            return Err(ApiError::validation(format!(
                "Variable reference {} in ORDER BY clause must be part of the primary key",
                key.path
            )));
        }
        if partitions.is_empty() {
            return Err(ApiError::validation(
                "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
            ));
        }
        if name != hash.name {
            forward = !key.descending;
        }
    }
    Ok(Read {
        hash: hash.name.clone(),
        table: select.table,
        index: select.index,
        partitions,
        sort,
        filter: select.condition,
        projection: select.projection,
        forward,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use orm_core::backend::{IndexDefinition, Projection};
    use orm_core::expr::attr;
    use orm_core::expr::partiql::parse;

    fn table() -> TableDefinition {
        let key = |name: &str| KeyAttribute::new(name, KeyType::S);
        TableDefinition::new("t", key("pk"), Some(key("sk"))).with_index(IndexDefinition::global(
            "by_g",
            key("g"),
            None,
            Projection::All,
        ))
    }

    fn select(text: &str) -> Select {
        match parse(text, &[]).unwrap() {
            Statement::Select(s) => s,
            other => panic!("{other:?}"),
        }
    }

    fn plan(text: &str) -> Result<Read, String> {
        read(select(text), &table(), false).map_err(|e| e.message)
    }

    #[test]
    fn a_fixed_partition_is_a_query_and_anything_else_a_scan() {
        let r = plan("SELECT * FROM t WHERE pk = 'p' AND begins_with(sk, 'a') AND n > 1").unwrap();
        assert_eq!(r.partitions, vec![Value::from("p")]);
        assert_eq!(
            r.sort,
            Some(("sk".into(), SortKeyCondition::BeginsWith("a".into())))
        );
        let r = plan("SELECT * FROM t WHERE 'b' > sk AND 'p' = pk").unwrap();
        assert_eq!(
            r.sort,
            Some(("sk".into(), SortKeyCondition::Lt("b".into())))
        );
        let r = plan("SELECT * FROM t WHERE pk IN ['p', 'q', 'p']").unwrap();
        assert_eq!(r.partitions, vec![Value::from("p"), Value::from("q")]);
        assert_eq!(r.sort, None);
        let r = plan("SELECT * FROM t WHERE pk = 'p' AND sk = 'x' OR pk = 'q'").unwrap();
        assert_eq!(r.partitions, vec![Value::from("p"), Value::from("q")]);
        for scan in [
            "SELECT * FROM t",
            "SELECT * FROM t WHERE pk > 'p'",
            "SELECT * FROM t WHERE pk = 'p' OR n = 1",
            "SELECT * FROM t WHERE NOT pk = 'p'",
        ] {
            assert_eq!(
                plan(scan).unwrap().partitions,
                Vec::<Value>::new(),
                "{scan}"
            );
        }
        let r = plan("SELECT * FROM t.by_g WHERE g = 'x' AND pk = 'p'").unwrap();
        assert_eq!(
            (r.hash.as_str(), r.partitions),
            ("g", vec![Value::from("x")])
        );
    }

    /// A `SELECT` on an index with a multi-attribute key is refused, Query and Scan alike, as
    /// DynamoDB Local 11.1.0 refuses it; an unknown index and a consistent read of a global
    /// index are reported first, in DynamoDB's order.
    #[test]
    fn an_index_with_a_multi_attribute_key_is_refused() {
        let mut table = table();
        let key = KeyAttribute::new;
        table.indexes.push(IndexDefinition::from_key_attributes(
            "by_ab",
            [key("a", KeyType::S), key("b", KeyType::N)],
            [key("c", KeyType::S)],
            Projection::All,
        ));
        let plan =
            |text: &str, consistent| read(select(text), &table, consistent).map_err(|e| e.message);
        for text in [
            "SELECT * FROM t.by_ab WHERE a = 'x' AND b = 1",
            "SELECT * FROM t.by_ab WHERE a = 'x' AND b = 1 AND c > 'c' ORDER BY c DESC",
            "SELECT * FROM t.by_ab WHERE a = 'x'",
            "SELECT * FROM t.by_ab",
        ] {
            assert_eq!(
                plan(text, false).unwrap_err(),
                MULTI_ATTRIBUTE_INDEX,
                "{text}"
            );
        }
        assert_eq!(
            plan("SELECT * FROM t.by_ab", true).unwrap_err(),
            "Consistent reads are not supported on global secondary indexes"
        );
        assert_eq!(
            plan("SELECT * FROM t.nope", true).unwrap_err(),
            "The table does not have the specified index: nope"
        );
        // The table itself, and its other indexes, are read as before.
        assert!(plan("SELECT * FROM t WHERE pk = 'p'", true).is_ok());
        assert!(plan("SELECT * FROM t.by_g WHERE g = 'x'", false).is_ok());
    }

    #[test]
    fn order_by_needs_a_partition_and_a_key() {
        let r = plan("SELECT * FROM t WHERE pk = 'p' ORDER BY sk DESC").unwrap();
        assert!(!r.forward);
        assert_eq!(
            plan("SELECT * FROM t WHERE n > 1 ORDER BY sk DESC").unwrap_err(),
            "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."
        );
        assert_eq!(
            plan("SELECT * FROM t WHERE pk = 'p' ORDER BY n").unwrap_err(),
            "Variable reference n in ORDER BY clause must be part of the primary key"
        );
    }

    #[test]
    fn key_values_must_have_the_keys_type() {
        for (text, key) in [
            ("SELECT * FROM t WHERE pk = 1", "pk"),
            ("SELECT * FROM t WHERE pk = 'p' AND sk = 1", "sk"),
            ("SELECT * FROM t WHERE pk = 'p' AND sk > 1", "sk"),
            (
                "SELECT * FROM t WHERE pk = 'p' AND sk BETWEEN 'a' AND 1",
                "sk",
            ),
            ("SELECT * FROM t.by_g WHERE g = 1", "g"),
        ] {
            assert_eq!(
                plan(text).unwrap_err(),
                format!("Key attribute's data type should match its data type in table's schema: Key {key}")
            );
        }
    }

    #[test]
    fn writes_name_the_full_key() {
        let w = |text: &str| write(parse(text, &[]).unwrap(), &table()).map_err(|e| e.message);
        let Write::Update(u, returning) =
            w("UPDATE t SET n = 1 WHERE sk = 's' AND n = 0 AND pk = 'p' RETURNING ALL NEW *")
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(u.key, Item::new().with("pk", "p").with("sk", "s"));
        assert_eq!(u.condition, Some(attr("pk").exists().and(attr("n").eq(0))));
        assert_eq!(
            (u.return_values, returning),
            (ReturnValues::AllNew, Some(Returning::AllNew))
        );
        let Write::Delete(d, None) = w("DELETE FROM t WHERE pk = 'p' AND sk = 's'").unwrap() else {
            panic!()
        };
        assert_eq!(d.condition, None);
        let Write::Insert(p) = w("INSERT INTO t VALUE {'pk': 'p', 'sk': 's'}").unwrap() else {
            panic!()
        };
        assert_eq!(p.condition, Some(attr("pk").not_exists()));
        let Write::Check(c) =
            w("EXISTS(SELECT * FROM t WHERE pk = 'p' AND sk = 's' AND n IS MISSING)").unwrap()
        else {
            panic!()
        };
        assert_eq!(c.condition, attr("pk").exists().and(attr("n").not_exists()));
        for (text, message) in [
            (
                "UPDATE t SET n = 1 WHERE pk = 'p'",
                "Where clause does not contain a mandatory equality on all key attributes",
            ),
            (
                "UPDATE t SET n = 1 WHERE pk = 'p' AND sk = 's' OR pk = 'q'",
                "Where clause does not contain a mandatory equality on all key attributes",
            ),
            (
                "DELETE FROM t WHERE pk = 'p' AND sk > 's'",
                "Where clause does not contain a mandatory equality on all key attributes",
            ),
            (
                "DELETE FROM t",
                "Where clause does not contain a mandatory equality on all key attributes",
            ),
            (
                "DELETE FROM t WHERE pk = 'p' AND sk = 1",
                "Key attribute's data type should match its data type in table's schema: Key sk",
            ),
            (
                "INSERT INTO t VALUE {'pk': 'p'}",
                "Key attribute should be present in the item: Key sk",
            ),
            (
                "INSERT INTO t VALUE {'pk': 1, 'sk': 's'}",
                "Key attribute's data type should match its data type in table's schema: Key pk",
            ),
            (
                "EXISTS(SELECT * FROM t WHERE pk = 'p' AND sk = 's')",
                "EXISTS() must contain a single item read with additional condition",
            ),
        ] {
            assert_eq!(w(text).unwrap_err(), message, "{text}");
        }
    }

    #[test]
    fn a_single_item_read_is_exactly_the_key() {
        let s = |text: &str| single(&select(text), &table(), true);
        let get = s("SELECT * FROM t WHERE sk = 's' AND pk = 'p'").unwrap();
        assert_eq!(get.key, Item::new().with("pk", "p").with("sk", "s"));
        assert!(get.consistent);
        assert!(matches!(
            s("SELECT * FROM t WHERE pk = 'p'"),
            Err(NotSingle::NotTheKey)
        ));
        assert!(matches!(
            s("SELECT * FROM t WHERE pk = 'p' AND sk = 's' AND n = 1"),
            Err(NotSingle::NotTheKey)
        ));
        assert!(matches!(
            s("SELECT * FROM t.by_g WHERE g = 'x'"),
            Err(NotSingle::Index)
        ));
        assert!(matches!(
            s("SELECT * FROM t WHERE pk = 'p' AND sk = 1"),
            Err(NotSingle::Invalid(_))
        ));
    }
}
