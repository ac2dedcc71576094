//! Query and scan paging: key conditions, `Limit` before the filter, the 1 MB page cap and
//! `LastEvaluatedKey`, as DynamoDB pages.
//!
//! A page reads items in key order until `Limit` items were *evaluated* or the items read reach
//! 1 MB (the item that crosses 1 MB is still part of the page); the filter then only decides
//! which evaluated items are returned. When a page stops for either reason it carries the key of
//! the last evaluated item (table keys, plus the index keys for an index), even if no item
//! follows; the next page starts strictly after that key, whether or not the item still exists.
//!
//! A query of the table or of a local index reads one partition, so one part of the table
//! (read-locked); a query of a global index and a scan read every part (read-locked in order)
//! and merge their ordered ranges by the same key a single map would order them by, so pages,
//! their order and `LastEvaluatedKey` do not depend on how items are spread over parts.

use crate::capacity::{Charged, PageRead};
use crate::eval::{check_condition, check_projection, condition_roots, eval};
use crate::key::{
    check_key_value, exact_key, has_key_type, key_type_name, Composite, KeyPart, Slot,
};
use crate::merge::Merge;
use crate::stored::{Selector, Stored};
use crate::table::{part_of, Index, IndexKey, Map, Part, Schema, Table};
use orm_core::backend::{KeyAttribute, KeyType, Limits, QueryOutput, QueryRequest, ScanRequest};
use orm_core::expr::parse::key_condition_in_key_order;
use orm_core::expr::{Condition, KeyCondition, Path, SortKeyCondition};
use orm_core::{Error, Item, Result, Value};
use std::cell::OnceCell;
use std::ops::Bound::{self, Excluded, Included, Unbounded};

/// What a Query and a Scan request share: the table (from [`Charged`]) or index read, and how a
/// page of it is read. Implemented alike for [`QueryRequest`] and [`ScanRequest`], whose fields
/// of the same names hold these.
pub(crate) trait PageRequest: Charged {
    /// The index read, if any.
    fn index(&self) -> Option<&str>;
    /// The filter applied to the items read.
    fn filter(&self) -> Option<&Condition>;
    /// The paths returned (`None`: every attribute).
    fn projection(&self) -> Option<&[Path]>;
    /// The most items evaluated.
    fn limit(&self) -> Option<u32>;
    /// Whether only the count is returned.
    fn count_only(&self) -> bool;
    /// Whether the read is strongly consistent.
    fn consistent(&self) -> bool;
    /// Whether each item is returned whole (`Select: ALL_ATTRIBUTES`): only without a
    /// projection and when the request returns items.
    fn whole_items(&self) -> bool {
        self.all_attributes() && self.projection().is_none() && !self.count_only()
    }
    /// The request's `all_attributes`.
    fn all_attributes(&self) -> bool;
}

macro_rules! page_request {
    ($($request:ty),*) => {$(
        impl PageRequest for $request {
            fn index(&self) -> Option<&str> {
                self.index.as_deref()
            }
            fn filter(&self) -> Option<&Condition> {
                self.filter.as_ref()
            }
            fn projection(&self) -> Option<&[Path]> {
                self.projection.as_deref()
            }
            fn limit(&self) -> Option<u32> {
                self.limit
            }
            fn count_only(&self) -> bool {
                self.count_only
            }
            fn consistent(&self) -> bool {
                self.consistent
            }
            fn all_attributes(&self) -> bool {
                self.all_attributes
            }
        }
    )*};
}

page_request!(QueryRequest, ScanRequest);

/// A position key of a partition map: a table sort key or an index entry position.
trait EntryKey: Ord + Clone {
    /// The smallest position whose sort key is `sort`.
    fn lowest(sort: KeyPart) -> Self;
    /// The largest position whose sort key is `sort`.
    fn highest(sort: KeyPart) -> Self;
}

impl EntryKey for KeyPart {
    fn lowest(sort: KeyPart) -> Self {
        sort
    }
    fn highest(sort: KeyPart) -> Self {
        sort
    }
}

impl EntryKey for IndexKey {
    fn lowest(sort: KeyPart) -> Self {
        (sort, KeyPart::MIN, KeyPart::MIN)
    }
    fn highest(sort: KeyPart) -> Self {
        (sort, KeyPart::MAX, KeyPart::MAX)
    }
}

type Range<K> = (Bound<K>, Bound<K>);

/// The positions a sort-key condition selects.
fn sort_range<K: EntryKey>(condition: Option<&SortKeyCondition>) -> Range<K> {
    let part = |v: &Value| KeyPart::from_value(v).expect("checked key value");
    match condition {
        None => (Unbounded, Unbounded),
        Some(SortKeyCondition::Eq(v)) => {
            (Included(K::lowest(part(v))), Included(K::highest(part(v))))
        }
        Some(SortKeyCondition::Lt(v)) => (Unbounded, Excluded(K::lowest(part(v)))),
        Some(SortKeyCondition::Le(v)) => (Unbounded, Included(K::highest(part(v)))),
        Some(SortKeyCondition::Gt(v)) => (Excluded(K::highest(part(v))), Unbounded),
        Some(SortKeyCondition::Ge(v)) => (Included(K::lowest(part(v))), Unbounded),
        Some(SortKeyCondition::Between(a, b)) => {
            (Included(K::lowest(part(a))), Included(K::highest(part(b))))
        }
        Some(SortKeyCondition::BeginsWith(p)) => {
            let prefix = part(p);
            let end = prefix
                .prefix_successor()
                .map_or(Unbounded, |s| Excluded(K::lowest(s)));
            (Included(K::lowest(prefix)), end)
        }
    }
}

/// The positions a condition on a multi-attribute sort key selects: equality on the attributes
/// before the last one given (`prefix`, their values in key order), then `condition` on it.
/// Composite keys ([`KeyPart::composite`]) that start with the same attributes share a byte
/// prefix, so each shape is one range.
fn composite_sort_range<K: EntryKey>(prefix: &[&Value], condition: &SortKeyCondition) -> Range<K> {
    let part = |v: &Value| KeyPart::from_value(v).expect("checked key value");
    let mut base = Composite::default();
    for v in prefix {
        base.push(&part(v));
    }
    let with = |v: &Value| {
        let mut c = base.clone();
        c.push(&part(v));
        c
    };
    let at = |c: &Composite| K::lowest(c.finish());
    // A composite always holds a byte below 0xFF (its first attribute's type tag), so it has a
    // successor.
    let past = |c: &Composite| K::lowest(c.successor().expect("a composite has a successor"));
    let (all_lo, all_hi) = if prefix.is_empty() {
        (Unbounded, Unbounded)
    } else {
        (Included(at(&base)), Excluded(past(&base)))
    };
    match condition {
        SortKeyCondition::Eq(v) => (Included(at(&with(v))), Excluded(past(&with(v)))),
        SortKeyCondition::Lt(v) => (all_lo, Excluded(at(&with(v)))),
        SortKeyCondition::Le(v) => (all_lo, Excluded(past(&with(v)))),
        SortKeyCondition::Gt(v) => (Included(past(&with(v))), all_hi),
        SortKeyCondition::Ge(v) => (Included(at(&with(v))), all_hi),
        SortKeyCondition::Between(a, b) => (Included(at(&with(a))), Excluded(past(&with(b)))),
        SortKeyCondition::BeginsWith(p) => {
            let mut open = base.clone();
            open.push_open(&part(p));
            (Included(at(&open)), Excluded(past(&open)))
        }
    }
}

/// Narrows a range to the positions after (or, reading backwards, before) `start`.
fn continue_after<K: EntryKey>(range: Range<K>, start: K, forward: bool) -> Range<K> {
    let (lo, hi) = range;
    if forward {
        let lo = match &lo {
            Included(k) | Excluded(k) if start < *k => lo,
            _ => Excluded(start),
        };
        (lo, hi)
    } else {
        let hi = match &hi {
            Included(k) | Excluded(k) if start > *k => hi,
            _ => Excluded(start),
        };
        (lo, hi)
    }
}

/// Whether a range selects nothing (and must not be passed to `Map::range`, which panics
/// on a start above the end).
fn is_empty<K: Ord>(range: &Range<K>) -> bool {
    match range {
        (Included(a), Included(b)) => a > b,
        (Included(a) | Excluded(a), Included(b) | Excluded(b)) => a >= b,
        _ => false,
    }
}

/// The entries of a partition map in a range, with their positions, in order.
fn items_in<'a, K: EntryKey>(
    partition: &'a Map<K, Stored>,
    range: Range<K>,
    forward: bool,
) -> Box<dyn Iterator<Item = (&'a K, &'a Stored)> + 'a> {
    if is_empty(&range) {
        return Box::new(std::iter::empty());
    }
    let items = partition.range(range);
    if forward {
        Box::new(items)
    } else {
        Box::new(items.rev())
    }
}

/// How the items of one page are read: filter, projection, limits and the key to resume at.
///
/// Entries are decoded only as far as needed: the attributes the filter reads, those the
/// projection names, the keys; the whole item only when it is returned.
struct Reader<'a> {
    /// The table's definition.
    schema: &'a Schema,
    /// The filter, with the attributes it reads.
    filter: Option<(&'a Condition, Vec<&'a str>)>,
    /// The projection.
    projection: Option<&'a [Path]>,
    limit: Option<u32>,
    count_only: bool,
    max_bytes: usize,
    /// The attributes of a `LastEvaluatedKey`.
    key_names: &'a [&'a str],
    /// For a local index that lacks attributes the projection or filter names, or that
    /// returns whole items: read them from the table (as DynamoDB does for LSIs), by the
    /// entry's table keys.
    fetch_from_table: bool,
    /// Whether an item returned without a projection is the table's whole item (fetched)
    /// rather than the index entry (`Select: ALL_ATTRIBUTES` on a local index).
    whole_items: bool,
    /// Whether the read is strongly consistent (what each item fetched costs).
    consistent: bool,
    /// The index read, by position (`None`: the table).
    index: Option<usize>,
}

/// The selectors of a [`Reader`]'s attributes in one part's names (ids are per part).
struct Selectors<'a> {
    filter: Option<Selector<'a>>,
    projection: Option<Selector<'a>>,
    key_names: Selector<'a>,
    /// The table's key attributes, when the reader fetches from the table.
    table_keys: Option<Selector<'a>>,
}

impl<'a> Reader<'a> {
    fn selectors(&self, part: &Part) -> Selectors<'a> {
        let def = &self.schema.def;
        Selectors {
            filter: self
                .filter
                .as_ref()
                .map(|(_, roots)| part.selector(roots.iter().copied())),
            projection: self
                .projection
                .map(|p| part.selector(p.iter().map(Path::root))),
            key_names: part.selector(self.key_names.iter().copied()),
            table_keys: self.fetch_from_table.then(|| {
                part.selector(
                    std::iter::once(&def.partition_key)
                        .chain(&def.sort_key)
                        .map(|k| k.name.as_str()),
                )
            }),
        }
    }

    /// Reads a page of `entries`, each tagged with the index of its part in `parts`, whose
    /// items `decode` makes from the entries returned whole; projected items are built as
    /// [`Item`]s and converted.
    fn read<'i, T: From<Item>>(
        &self,
        parts: &[&Part],
        entries: impl Iterator<Item = (usize, &'i Stored)>,
        decode: impl Fn(&Part, &Stored) -> T,
    ) -> (QueryOutput<T>, PageRead) {
        let selectors: Vec<OnceCell<Selectors<'a>>> =
            parts.iter().map(|_| OnceCell::new()).collect();
        let mut page = QueryOutput::default();
        if !self.count_only {
            // Room for a page of `Limit` items (a page without one grows as it goes).
            page.items
                .reserve(self.limit.map_or(0, |l| l.min(1024) as usize));
        }
        let mut read = PageRead::of(self.index);
        for (at, entry) in entries {
            let part = parts[at];
            let selected_by = selectors[at].get_or_init(|| self.selectors(part));
            page.scanned_count += 1;
            read.bytes += entry.size();
            let full = selected_by.table_keys.as_ref().and_then(|keys| {
                let key = self.schema.key(&part.select(entry, keys)).ok()?;
                part.get(&key)
            });
            if let Some(item) = full {
                read.fetched(item.size(), self.consistent);
            }
            let subject = full.unwrap_or(entry);
            let selected = self.filter.as_ref().is_none_or(|(f, _)| {
                let roots = selected_by.filter.as_ref().expect("made with the filter");
                eval(f, &part.select(subject, roots))
            });
            if selected {
                page.count += 1;
                if !self.count_only {
                    page.items.push(match self.projection {
                        Some(paths) => {
                            let roots = selected_by.projection.as_ref().expect("made with it");
                            part.project_with(subject, paths, roots).into()
                        }
                        None if self.whole_items => decode(part, subject),
                        None => decode(part, entry),
                    });
                }
            }
            let limited = self.limit.is_some_and(|l| page.scanned_count >= l);
            if limited || read.bytes >= self.max_bytes {
                page.last_evaluated_key = Some(part.select(entry, &selected_by.key_names));
                break;
            }
        }
        (page, read)
    }

    /// An empty page: nothing read.
    fn nothing<T>(&self) -> (QueryOutput<T>, PageRead) {
        (QueryOutput::default(), PageRead::of(self.index))
    }
}

/// The checks a query and a scan share: the `Limit`, and the projection unless the request
/// only counts. A count-only request ignores its projection, as DynamoBackend does (DynamoDB
/// rejects a projection with Select=COUNT, so it is not sent): regression test
/// `regression_count_only_ignores_the_projection`.
fn check_page_request(request: &impl PageRequest) -> Result<()> {
    check_limit(request.limit())?;
    match request.projection() {
        Some(p) if !request.count_only() => check_projection(p),
        _ => Ok(()),
    }
}

fn check_limit(limit: Option<u32>) -> Result<()> {
    if limit == Some(0) {
        return Err(Error::validation(
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
             Member must have value greater than or equal to 1",
        ));
    }
    Ok(())
}

/// The key schema read (table or index), the `LastEvaluatedKey` attributes, and the index.
struct Target<'a> {
    /// The partition key's attributes (several for a multi-attribute index key).
    pks: Vec<&'a KeyAttribute>,
    /// The sort key's attributes (none without a sort key).
    sks: Vec<&'a KeyAttribute>,
    key_names: Vec<&'a str>,
    /// The index read, and its position in the table's indexes.
    index: Option<(usize, &'a Index)>,
}

impl Target<'_> {
    /// Whether the key read is made of several attributes (partition or sort).
    fn multi_attribute(&self) -> bool {
        self.pks.len() > 1 || self.sks.len() > 1
    }
}

/// What DynamoDB answers a consistent read of a global secondary index.
pub(crate) const CONSISTENT_READ_ON_GLOBAL_INDEX: &str =
    "Consistent reads are not supported on global secondary indexes";

fn target<'a>(table: &'a Schema, index: Option<&str>, consistent: bool) -> Result<Target<'a>> {
    let def = &table.def;
    let mut key_names: Vec<&str> = std::iter::once(&def.partition_key)
        .chain(&def.sort_key)
        .map(|k| k.name.as_str())
        .collect();
    let Some(name) = index else {
        return Ok(Target {
            pks: vec![&def.partition_key],
            sks: def.sort_key.iter().collect(),
            key_names,
            index: None,
        });
    };
    let (position, index) = table.index(name)?;
    if consistent && !index.def.local {
        return Err(Error::validation(CONSISTENT_READ_ON_GLOBAL_INDEX));
    }
    for k in index.def.key_attributes() {
        if !key_names.contains(&k.name.as_str()) {
            key_names.push(&k.name);
        }
    }
    Ok(Target {
        pks: index.def.partition_keys().collect(),
        sks: index.def.sort_keys().collect(),
        key_names,
        index: Some((position, index)),
    })
}

fn invalid_start_key(why: &str) -> Error {
    Error::validation(format!("The provided starting key is invalid: {why}"))
}

/// Converts an index `ExclusiveStartKey`: exactly the table and index key attributes.
fn index_start(
    table: &Schema,
    index: &Index,
    key_names: &[&str],
    start: &Item,
) -> Result<(KeyPart, IndexKey)> {
    if start.len() != key_names.len() || key_names.iter().any(|n| !start.contains_key(*n)) {
        return Err(invalid_start_key(
            "The provided key element does not match the schema",
        ));
    }
    let table_key = table
        .key(&table.key_item(start))
        .map_err(|e| invalid_start_key(&e.to_string()))?;
    let mut error = None;
    let parts = index.key_parts(|attr, slot| {
        let v = &start[&attr.name];
        let checked = if has_key_type(v, attr.key_type) {
            check_key_value(attr, v, slot, None, &table.limits)
        } else {
            Err(invalid_start_key(
                "The provided key element does not match the schema",
            ))
        };
        checked.map_err(|e| error = Some(e)).ok()
    });
    match (parts, error) {
        (Some((pk, sk)), None) => Ok((pk, (sk, table_key.pk, table_key.sk))),
        (_, Some(e)) => Err(e),
        (None, None) => unreachable!("every key attribute is in the start key"),
    }
}

/// Checks `Select: ALL_ATTRIBUTES` on `target`: a global index must project every attribute
/// (a local one fetches from the table what it lacks).
fn check_whole_items(target: &Target<'_>, request: &impl PageRequest) -> Result<()> {
    match target.index {
        Some((_, i)) if request.whole_items() && !i.def.local && !i.projects_all() => {
            Err(Error::validation(format!(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not \
                 supported for global secondary index {} because its projection type is not ALL",
                i.def.name
            )))
        }
        _ => Ok(()),
    }
}

/// The reader of `request`'s page of `target` (the table `table` or one of its indexes).
fn reader<'a>(
    table: &'a Schema,
    target: &'a Target<'a>,
    request: &'a impl PageRequest,
) -> Reader<'a> {
    let (projection, count_only) = (request.projection(), request.count_only());
    let filter = request.filter().map(|f| {
        let mut roots = Vec::new();
        condition_roots(f, &mut roots);
        (f, roots)
    });
    // A local index fetches from the table the attributes it does not project that the
    // projection (unless only counting) or the filter names, and whole items when asked for
    // them (`Select: ALL_ATTRIBUTES`).
    let whole_items = request.whole_items()
        && target
            .index
            .is_some_and(|(_, i)| i.def.local && !i.projects_all());
    let fetch_from_table = whole_items
        || target.index.is_some_and(|(_, i)| {
            let mut named = projection
                .filter(|_| !count_only)
                .into_iter()
                .flatten()
                .map(Path::root)
                .chain(filter.iter().flat_map(|(_, roots)| roots.iter().copied()));
            i.def.local && !i.projects_all() && named.any(|n| !i.keeps(n))
        });
    Reader {
        schema: table,
        filter,
        projection,
        limit: request.limit(),
        count_only,
        max_bytes: table.limits.max_page_bytes,
        key_names: &target.key_names,
        fetch_from_table,
        whole_items,
        consistent: request.consistent(),
        index: target.index.map(|(at, _)| at),
    }
}

fn type_mismatch() -> Error {
    Error::validation(
        "One or more parameter values were invalid: Condition parameter type does not match \
         schema type",
    )
}

/// Checks a sort-key condition against the key schema.
fn check_sort_condition(attr: &KeyAttribute, condition: &SortKeyCondition) -> Result<()> {
    let values: Vec<&Value> = match condition {
        SortKeyCondition::Eq(v)
        | SortKeyCondition::Lt(v)
        | SortKeyCondition::Le(v)
        | SortKeyCondition::Gt(v)
        | SortKeyCondition::Ge(v)
        | SortKeyCondition::BeginsWith(v) => vec![v],
        SortKeyCondition::Between(a, b) => vec![a, b],
    };
    if values.iter().any(|v| !has_key_type(v, attr.key_type)) {
        return Err(type_mismatch());
    }
    // Regression test `regression_empty_sort_key_condition_value_is_rejected`.
    if values.iter().any(|v| {
        matches!(v, Value::S(s) if s.is_empty()) || matches!(v, Value::B(b) if b.is_empty())
    }) {
        return Err(Error::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute \
             cannot contain an empty {} value. Key: {}",
            key_type_name(attr.key_type),
            attr.name
        )));
    }
    match condition {
        SortKeyCondition::BeginsWith(_) if attr.key_type == KeyType::N => {
            Err(Error::validation(format!(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or \
                 function; operator or function: begins_with, operand type: {}",
                key_type_name(attr.key_type)
            )))
        }
        SortKeyCondition::Between(a, b) if KeyPart::from_value(a) > KeyPart::from_value(b) => {
            Err(Error::validation(format!(
                "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be \
                 greater than or equal to lower bound; lower operand: {a}, upper operand: {b}"
            )))
        }
        _ => Ok(()),
    }
}

/// A key condition on a multi-attribute key, its conditions taken in any order (the ORM's
/// [`KeyCondition`] names them in fields, but it means the `AND` of its conditions, as the
/// `KeyConditionExpression` it renders to does), checked as DynamoDB checks that expression
/// and put in key order.
fn multi_key_condition(target: &Target<'_>, kc: &KeyCondition) -> Result<KeyCondition> {
    let equal = |(n, v): &(String, Value)| Ok((n.clone(), SortKeyCondition::Eq(v.clone())));
    let conditions = std::iter::once(Ok((
        kc.partition_name.clone(),
        SortKeyCondition::Eq(kc.partition_value.clone()),
    )))
    .chain(kc.extra_partition.iter().map(equal))
    .chain(kc.sort_prefix.iter().map(equal))
    .chain(kc.sort.iter().map(|(n, c)| Ok((n.clone(), c.clone()))));
    let hash: Vec<&str> = target.pks.iter().map(|k| k.name.as_str()).collect();
    let range: Vec<&str> = target.sks.iter().map(|k| k.name.as_str()).collect();
    key_condition_in_key_order(conditions, &hash, &range)
}

/// Checks a key condition's partition attributes against the key schema read (every one
/// compared for equality, no other) and returns the partition's key part.
fn check_partition(target: &Target<'_>, kc: &KeyCondition, limits: &Limits) -> Result<KeyPart> {
    let given: Vec<(&str, &Value)> = kc.partition_values().collect();
    if !target.multi_attribute() {
        let pk = target.pks[0];
        if given.len() > 1 || kc.partition_name != pk.name {
            return Err(Error::validation(format!(
                "Query condition missed key schema element: {} (the key condition names {})",
                pk.name, kc.partition_name
            )));
        }
        if !has_key_type(&kc.partition_value, pk.key_type) {
            return Err(type_mismatch());
        }
        return check_key_value(pk, &kc.partition_value, Slot::Partition, None, limits);
    }
    if given
        .iter()
        .any(|(name, _)| !target.pks.iter().any(|k| k.name == *name))
    {
        return Err(Error::service_validation(
            "Query",
            "Query condition missed key schema element",
        ));
    }
    let missing: Vec<&str> = target
        .pks
        .iter()
        .filter(|k| !given.iter().any(|(name, _)| *name == k.name))
        .map(|k| k.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::service_validation(
            "Query",
            format!(
                "HASH key attributes {} must have equality conditions specified in the query",
                missing.join(", ")
            ),
        ));
    }
    let mut parts = Vec::with_capacity(target.pks.len());
    for attr in &target.pks {
        let (_, value) = given
            .iter()
            .find(|(name, _)| *name == attr.name)
            .expect("checked above");
        if !has_key_type(value, attr.key_type) {
            return Err(type_mismatch());
        }
        parts.push(check_key_value(attr, value, Slot::Partition, None, limits)?);
    }
    Ok(if parts.len() == 1 {
        parts.pop().expect("one")
    } else {
        KeyPart::composite(parts)
    })
}

/// Checks a key condition's sort attributes against the key schema read: given left to right
/// from the first, equality on all but the last given, each value of its attribute's type.
fn check_sort(target: &Target<'_>, kc: &KeyCondition, index: Option<&str>) -> Result<()> {
    let Some((name, condition)) = &kc.sort else {
        if let Some((name, _)) = kc.sort_prefix.first() {
            return Err(Error::validation(format!(
                "Query key condition not supported: equality on {name} is given without the \
                 condition on the last sort attribute given"
            )));
        }
        return Ok(());
    };
    let Some(last) = target.sks.iter().position(|k| k.name == *name) else {
        return Err(Error::validation(format!(
            "Query key condition not supported: {name} is not the sort key of the {}",
            index.unwrap_or("table")
        )));
    };
    let in_order = kc.sort_prefix.len() == last
        && kc
            .sort_prefix
            .iter()
            .zip(&target.sks)
            .all(|((n, _), k)| *n == k.name);
    if !in_order {
        let missing: Vec<&str> = target.sks[..last]
            .iter()
            .filter(|k| !kc.sort_prefix.iter().any(|(n, _)| *n == k.name))
            .map(|k| k.name.as_str())
            .collect();
        let listed = if missing.is_empty() {
            target.sks[..last]
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            missing.join(", ")
        };
        return Err(Error::service_validation(
            "Query",
            format!(
                "RANGE key attributes {listed} must have equality conditions specified in the \
                 query because a condition is present on key attribute {name}"
            ),
        ));
    }
    for ((_, value), attr) in kc.sort_prefix.iter().zip(&target.sks) {
        check_sort_condition(attr, &SortKeyCondition::Eq(value.clone()))?;
    }
    check_sort_condition(target.sks[last], condition)
}

/// Reads one page of a query on a table or one of its indexes, as sorted [`Item`]s (the
/// tests' form; the backend returns [`query_with`]'s raw items).
#[cfg(test)]
pub(crate) fn query(table: &Table, request: &QueryRequest) -> Result<QueryOutput<Item>> {
    query_with(table, request, Part::decode).map(|(page, _)| page)
}

/// [`query`], with `decode` making each item returned whole (a sorted [`Item`], or unsorted
/// entries for the backend's answers).
pub(crate) fn query_with<T: From<Item>>(
    live: &Table,
    request: &QueryRequest,
    decode: impl Fn(&Part, &Stored) -> T,
) -> Result<(QueryOutput<T>, PageRead)> {
    let table = &*live.schema;
    check_page_request(request)?;
    let target = target(table, request.index.as_deref(), request.consistent)?;
    check_whole_items(&target, request)?;
    let in_key_order;
    let kc = if target.multi_attribute() {
        in_key_order = multi_key_condition(&target, &request.key_condition)?;
        &in_key_order
    } else {
        &request.key_condition
    };
    let pk = check_partition(&target, kc, &table.limits)?;
    check_sort(&target, kc, request.index.as_deref())?;
    if let Some(filter) = &request.filter {
        check_condition(filter)?;
        let mut roots = Vec::new();
        condition_roots(filter, &mut roots);
        for key in target.pks.iter().chain(&target.sks) {
            if roots.contains(&key.name.as_str()) {
                return Err(Error::validation(format!(
                    "Filter Expression can only contain non-primary key attributes: Primary key \
                     attribute: {}",
                    key.name
                )));
            }
        }
    }
    let forward = request.scan_forward;
    let sort = kc.sort.as_ref().map(|(_, c)| c);
    let prefix: Vec<&Value> = kc.sort_prefix.iter().map(|(_, v)| v).collect();
    let read = reader(table, &target, request);
    let outside = || {
        invalid_start_key(
            "The provided starting key is outside query boundaries based on provided conditions",
        )
    };
    let page_and_read = match target.index {
        None => {
            let mut range = sort_range::<KeyPart>(sort);
            if let Some(start) = &request.exclusive_start_key {
                let key = exact_key(
                    start,
                    target.pks[0],
                    target.sks.first().copied(),
                    &table.limits,
                )
                .map_err(|e| invalid_start_key(&e.to_string()))?;
                if key.pk != pk {
                    return Err(outside());
                }
                range = continue_after(range, key.sk, forward);
            }
            // One partition: one part.
            let part = live.read(part_of(&pk));
            match part.partitions.get(&pk) {
                Some(partition) => {
                    let entries = items_in(partition, range, forward).map(|(_, item)| (0, item));
                    read.read(&[&part], entries, &decode)
                }
                None => read.nothing(),
            }
        }
        Some((at, index)) => {
            let mut range = match sort {
                Some(condition) if target.sks.len() > 1 => {
                    composite_sort_range::<IndexKey>(&prefix, condition)
                }
                _ => sort_range::<IndexKey>(sort),
            };
            if let Some(start) = &request.exclusive_start_key {
                let (start_pk, position) = index_start(table, index, &target.key_names, start)?;
                if start_pk != pk {
                    return Err(outside());
                }
                range = continue_after(range, position, forward);
            }
            if index.def.local {
                // A local index's partition is the table's: one part.
                let part = live.read(part_of(&pk));
                match part.indexes[at].get(&pk) {
                    Some(partition) => {
                        let entries =
                            items_in(partition, range, forward).map(|(_, item)| (0, item));
                        read.read(&[&part], entries, &decode)
                    }
                    None => read.nothing(),
                }
            } else {
                // A global index's partition spans parts: merge theirs.
                let guards = live.read_all();
                let parts: Vec<&Part> = guards.iter().map(|g| &**g).collect();
                let sequences = parts.iter().enumerate().filter_map(|(i, part)| {
                    let partition = part.indexes[at].get(&pk)?;
                    Some(
                        items_in(partition, range.clone(), forward)
                            .map(move |(position, item)| (position, (i, item))),
                    )
                });
                let entries = Merge::new(sequences, forward).map(|(_, entry)| entry);
                read.read(&parts, entries, &decode)
            }
        }
    };
    Ok(page_and_read)
}

/// A parallel scan's `ExclusiveStartKey` must be one its own segment returned: DynamoDB refuses
/// a key of another segment (API reference, ScanRequest `ExclusiveStartKey`: "must specify the
/// same segment whose previous Scan returned the corresponding value of LastEvaluatedKey").
fn check_start_in_segment(pk: &KeyPart, segment: Option<(u64, u64)>) -> Result<()> {
    match segment {
        Some((s, n)) if pk.segment_hash() % n != s => Err(Error::validation(
            "The provided Exclusive start key does not map to the provided segment",
        )),
        _ => Ok(()),
    }
}

/// Reads one page of a scan of a table or index, or of one parallel-scan segment of it.
///
/// Items come in key order (partition, then sort key); segment `s` of `n` holds the partitions
/// whose key hashes to `s` modulo `n`.
#[cfg(test)]
pub(crate) fn scan(table: &Table, request: &ScanRequest) -> Result<QueryOutput<Item>> {
    scan_with(table, request, Part::decode).map(|(page, _)| page)
}

/// [`scan`], with `decode` as for [`query_with`].
pub(crate) fn scan_with<T: From<Item>>(
    live: &Table,
    request: &ScanRequest,
    decode: impl Fn(&Part, &Stored) -> T,
) -> Result<(QueryOutput<T>, PageRead)> {
    let table = &*live.schema;
    check_page_request(request)?;
    if let Some(filter) = &request.filter {
        check_condition(filter)?;
    }
    let segment = match request.segment {
        Some((segment, total)) => {
            if !(1..=1_000_000).contains(&total) {
                return Err(Error::validation(format!(
                    "TotalSegments must be between 1 and 1000000, got {total}"
                )));
            }
            if segment >= total {
                return Err(Error::validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter \
                     TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
                )));
            }
            Some((u64::from(segment), u64::from(total)))
        }
        None => None,
    };
    let in_segment = move |pk: &KeyPart| segment.is_none_or(|(s, n)| pk.segment_hash() % n == s);
    let target = target(table, request.index.as_deref(), request.consistent)?;
    check_whole_items(&target, request)?;
    let read = reader(table, &target, request);
    // A scan spans partitions, so parts: merge theirs.
    let guards = live.read_all();
    let parts: Vec<&Part> = guards.iter().map(|g| &**g).collect();
    let page_and_read = match target.index {
        None => {
            let start = match &request.exclusive_start_key {
                Some(s) => Some(
                    exact_key(s, target.pks[0], target.sks.first().copied(), &table.limits)
                        .map_err(|e| invalid_start_key(&e.to_string()))?,
                ),
                None => None,
            };
            if let Some(start) = &start {
                check_start_in_segment(&start.pk, segment)?;
            }
            let start = &start;
            let first = start.as_ref().map_or(Unbounded, |k| Included(k.pk.clone()));
            let sequences = parts.iter().enumerate().map(|(i, part)| {
                part.partitions
                    .range((first.clone(), Unbounded))
                    .filter(move |(pk, _)| in_segment(pk))
                    .flat_map(move |(pk, partition)| {
                        let range = match start {
                            Some(k) if k.pk == *pk => (Excluded(k.sk.clone()), Unbounded),
                            _ => (Unbounded, Unbounded),
                        };
                        items_in(partition, range, true)
                            .map(move |(sk, item)| ((pk, sk), (i, item)))
                    })
            });
            let entries = Merge::new(sequences, true).map(|(_, entry)| entry);
            read.read(&parts, entries, &decode)
        }
        Some((at, index)) => {
            let start = match &request.exclusive_start_key {
                Some(s) => Some(index_start(table, index, &target.key_names, s)?),
                None => None,
            };
            if let Some((pk, _)) = &start {
                check_start_in_segment(pk, segment)?;
            }
            let start = &start;
            let first = start.as_ref().map_or(Unbounded, |k| Included(k.0.clone()));
            let sequences = parts.iter().enumerate().map(|(i, part)| {
                part.indexes[at]
                    .range((first.clone(), Unbounded))
                    .filter(move |(pk, _)| in_segment(pk))
                    .flat_map(move |(pk, partition)| {
                        let range = match start {
                            Some((spk, position)) if spk == pk => {
                                (Excluded(position.clone()), Unbounded)
                            }
                            _ => (Unbounded, Unbounded),
                        };
                        items_in(partition, range, true)
                            .map(move |(position, item)| ((pk, position), (i, item)))
                    })
            });
            let entries = Merge::new(sequences, true).map(|(_, entry)| entry);
            read.read(&parts, entries, &decode)
        }
    };
    Ok(page_and_read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Table;
    use orm_core::backend::{IndexDefinition, Limits, Projection, TableDefinition};
    use orm_core::expr::{attr, KeyCondition};
    use orm_core::Number;

    fn definition() -> TableDefinition {
        let pk = KeyAttribute::new("pk", KeyType::S);
        TableDefinition::new("app", pk.clone(), Some(KeyAttribute::new("sk", KeyType::N)))
            .with_index(IndexDefinition::global(
                "gsi1",
                KeyAttribute::new("gpk", KeyType::S),
                Some(KeyAttribute::new("gsk", KeyType::S)),
                Projection::KeysOnly,
            ))
            .with_index(IndexDefinition::local(
                "lsi1",
                pk,
                KeyAttribute::new("rank", KeyType::N),
                Projection::KeysOnly,
            ))
    }

    /// Partition "p" holds sk 0..20 (n = sk, even items in gsi1 partition "G" with gsk
    /// "k{sk:02}", rank = 100 - sk); partition "q" holds sk 0..3.
    fn table() -> Table {
        let t = Table::new(definition(), Limits::default()).unwrap();
        for sk in 0..20i64 {
            let mut item = Item::new()
                .with("pk", "p")
                .with("sk", sk)
                .with("n", sk)
                .with("rank", 100 - sk)
                .with("body", "b");
            if sk % 2 == 0 {
                item.insert("gpk".into(), "G".into());
                item.insert("gsk".into(), format!("k{sk:02}").into());
            }
            t.put(&item);
        }
        for sk in 0..3i64 {
            let item = Item::new().with("pk", "q").with("sk", sk);
            t.put(&item);
        }
        t
    }

    fn q(sort: Option<SortKeyCondition>) -> QueryRequest {
        QueryRequest::new(
            "app",
            KeyCondition {
                sort: sort.map(|c| ("sk".to_owned(), c)),
                ..KeyCondition::partition("pk", "p")
            },
        )
    }

    fn sks(page: &QueryOutput<Item>) -> Vec<i64> {
        page.items
            .iter()
            .map(|i| i64::try_from(i["sk"].as_n().unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn sort_key_conditions() {
        let t = table();
        let cases: Vec<(SortKeyCondition, Vec<i64>)> = vec![
            (SortKeyCondition::Eq(5.into()), vec![5]),
            (SortKeyCondition::Lt(3.into()), vec![0, 1, 2]),
            (SortKeyCondition::Le(2.into()), vec![0, 1, 2]),
            (SortKeyCondition::Gt(17.into()), vec![18, 19]),
            (SortKeyCondition::Ge(18.into()), vec![18, 19]),
            (
                SortKeyCondition::Between(9.into(), 11.into()),
                vec![9, 10, 11],
            ),
            (SortKeyCondition::Between(4.into(), 4.into()), vec![4]),
            (SortKeyCondition::Gt(19.into()), vec![]),
            (SortKeyCondition::Lt(0.into()), vec![]),
            (
                SortKeyCondition::Gt(Value::N(Number::parse("2.5").unwrap())),
                (3..20).collect(),
            ),
        ];
        for (condition, want) in cases {
            let page = query(&t, &q(Some(condition.clone()))).unwrap();
            assert_eq!(sks(&page), want, "{condition:?}");
            assert_eq!(page.last_evaluated_key, None);
        }
        let mut r = q(Some(SortKeyCondition::Between(9.into(), 11.into())));
        r.scan_forward = false;
        assert_eq!(sks(&query(&t, &r).unwrap()), [11, 10, 9]);
        // Numbers sort numerically: 10 after 9.
        assert_eq!(
            sks(&query(&t, &q(None)).unwrap()),
            (0..20).collect::<Vec<_>>()
        );
    }

    #[test]
    fn key_condition_checks() {
        let t = table();
        for (condition, needle) in [
            (
                SortKeyCondition::Eq("5".into()),
                "does not match schema type",
            ),
            (SortKeyCondition::BeginsWith(5.into()), "begins_with"),
            (SortKeyCondition::Between(3.into(), 2.into()), "BETWEEN"),
        ] {
            let err = query(&t, &q(Some(condition))).unwrap_err().to_string();
            assert!(err.contains(needle), "{err} should mention {needle}");
        }
        let mut r = q(None);
        r.key_condition.partition_name = "sk".into();
        assert!(query(&t, &r).is_err());
        let mut r = q(None);
        r.key_condition.partition_value = "".into();
        assert!(query(&t, &r).unwrap_err().to_string().contains("empty"));
        let mut r = q(None);
        r.key_condition.sort = Some(("n".into(), SortKeyCondition::Eq(1.into())));
        assert!(query(&t, &r).is_err());
        let mut r = q(None);
        r.limit = Some(0);
        assert!(query(&t, &r).is_err());
        let mut r = q(None);
        r.filter = Some(attr("sk").gt(1));
        let err = query(&t, &r).unwrap_err().to_string();
        assert!(err.contains("non-primary key attributes"), "{err}");
        let mut r = q(None);
        r.index = Some("nope".into());
        assert!(query(&t, &r)
            .unwrap_err()
            .to_string()
            .contains("specified index"));
        let mut r = gsi_query();
        r.consistent = true;
        let err = query(&t, &r).unwrap_err().to_string();
        assert!(err.contains("Consistent reads are not supported"), "{err}");
    }

    #[test]
    fn limit_counts_items_evaluated_before_the_filter() {
        let t = table();
        let mut r = q(None);
        r.limit = Some(5);
        r.filter = Some(attr("n").ge(3));
        let page = query(&t, &r).unwrap();
        assert_eq!(page.scanned_count, 5);
        assert_eq!(page.count, 2);
        assert_eq!(sks(&page), [3, 4]);
        assert_eq!(
            page.last_evaluated_key,
            Some(Item::new().with("pk", "p").with("sk", 4))
        );
        // A page may be empty and still carry a key.
        r.filter = Some(attr("n").gt(100));
        let page = query(&t, &r).unwrap();
        assert!(page.items.is_empty());
        assert!(page.last_evaluated_key.is_some());
    }

    #[test]
    fn pages_resume_strictly_after_the_last_key() {
        let t = table();
        for forward in [true, false] {
            let mut r = q(None);
            r.limit = Some(7);
            r.scan_forward = forward;
            let mut seen = Vec::new();
            let mut pages = 0;
            loop {
                let page = query(&t, &r).unwrap();
                pages += 1;
                seen.extend(sks(&page));
                match page.last_evaluated_key {
                    Some(k) => r.exclusive_start_key = Some(k),
                    None => break,
                }
            }
            let mut want: Vec<i64> = (0..20).collect();
            if !forward {
                want.reverse();
            }
            assert_eq!(seen, want);
            assert_eq!(pages, 3);
        }
        // Limit reached exactly at the end: the key is still returned, the next page is empty.
        let mut r = q(Some(SortKeyCondition::Ge(15.into())));
        r.limit = Some(5);
        let page = query(&t, &r).unwrap();
        assert_eq!(sks(&page), [15, 16, 17, 18, 19]);
        r.exclusive_start_key = page.last_evaluated_key;
        let next = query(&t, &r).unwrap();
        assert!(next.items.is_empty());
        assert_eq!(next.last_evaluated_key, None);
        // Resuming after a key whose item is gone (or never existed) works.
        let mut r = q(None);
        r.exclusive_start_key = Some(
            Item::new()
                .with("pk", "p")
                .with("sk", Value::N(Number::parse("4.5").unwrap())),
        );
        assert_eq!(sks(&query(&t, &r).unwrap()), (5..20).collect::<Vec<_>>());
        // Resuming at a key before the range starts at the range.
        let mut r = q(Some(SortKeyCondition::Ge(10.into())));
        r.exclusive_start_key = Some(Item::new().with("pk", "p").with("sk", 2));
        assert_eq!(sks(&query(&t, &r).unwrap()), (10..20).collect::<Vec<_>>());
        // Resuming past the range end yields nothing (and does not panic).
        let mut r = q(Some(SortKeyCondition::Between(1.into(), 3.into())));
        r.exclusive_start_key = Some(Item::new().with("pk", "p").with("sk", 3));
        assert!(query(&t, &r).unwrap().items.is_empty());
        r.scan_forward = false;
        r.exclusive_start_key = Some(Item::new().with("pk", "p").with("sk", 1));
        assert!(query(&t, &r).unwrap().items.is_empty());
    }

    #[test]
    fn start_key_checks() {
        let t = table();
        for bad in [
            Item::new().with("pk", "p"),
            Item::new().with("pk", "p").with("sk", "1"),
            Item::new().with("pk", "p").with("sk", 1).with("x", 1),
        ] {
            let mut r = q(None);
            r.exclusive_start_key = Some(bad);
            let err = query(&t, &r).unwrap_err().to_string();
            assert!(err.contains("starting key"), "{err}");
        }
        let mut r = q(None);
        r.exclusive_start_key = Some(Item::new().with("pk", "q").with("sk", 1));
        assert!(query(&t, &r).is_err());
        // An index start key needs the index keys too.
        let mut r = gsi_query();
        r.exclusive_start_key = Some(Item::new().with("pk", "p").with("sk", 1));
        assert!(query(&t, &r).is_err());
    }

    fn gsi_query() -> QueryRequest {
        let mut r = q(None);
        r.index = Some("gsi1".into());
        r.key_condition = KeyCondition::partition("gpk", "G");
        r
    }

    #[test]
    fn gsi_queries_are_sparse_projected_and_resume_with_index_keys() {
        let t = table();
        let page = query(&t, &gsi_query()).unwrap();
        assert_eq!(sks(&page), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
        assert_eq!(
            page.items[0],
            Item::new()
                .with("pk", "p")
                .with("sk", 0)
                .with("gpk", "G")
                .with("gsk", "k00")
        );
        let mut r = gsi_query();
        r.key_condition.sort = Some(("gsk".into(), SortKeyCondition::BeginsWith("k1".into())));
        r.limit = Some(2);
        let page = query(&t, &r).unwrap();
        assert_eq!(sks(&page), [10, 12]);
        let lek = page.last_evaluated_key.unwrap();
        assert_eq!(
            lek,
            Item::new()
                .with("pk", "p")
                .with("sk", 12)
                .with("gpk", "G")
                .with("gsk", "k12")
        );
        r.exclusive_start_key = Some(lek);
        assert_eq!(sks(&query(&t, &r).unwrap()), [14, 16]);
        // A GSI filter sees only projected attributes.
        let mut r = gsi_query();
        r.filter = Some(attr("n").exists());
        assert_eq!(query(&t, &r).unwrap().count, 0);
    }

    #[test]
    fn lsi_queries_read_missing_attributes_from_the_table() {
        let t = table();
        let mut r = q(None);
        r.index = Some("lsi1".into());
        r.key_condition.sort = Some(("rank".into(), SortKeyCondition::Ge(98.into())));
        let page = query(&t, &r).unwrap();
        // Ordered by rank (100 - sk).
        assert_eq!(sks(&page), [2, 1, 0]);
        assert_eq!(page.items[0].get("body"), None);
        r.projection = Some(vec![attr("body"), attr("n")]);
        r.filter = Some(attr("n").lt(2));
        let page = query(&t, &r).unwrap();
        assert_eq!(
            page.items,
            [
                Item::new().with("body", "b").with("n", 1),
                Item::new().with("body", "b").with("n", 0)
            ]
        );
    }

    /// `Select: ALL_ATTRIBUTES` on a local index that does not project every attribute returns
    /// the table's whole items, each fetched from the table and charged to it (a query and a
    /// scan); on a global index that does not, it is rejected.
    #[test]
    fn all_attributes_on_a_local_index_fetches_whole_items_from_the_table() {
        let t = table();
        let whole = |sk: i64| {
            let item = Item::new()
                .with("pk", "p")
                .with("sk", sk)
                .with("n", sk)
                .with("rank", 100 - sk)
                .with("body", "b");
            match sk % 2 {
                0 => item.with("gpk", "G").with("gsk", format!("k{sk:02}")),
                _ => item,
            }
        };
        let mut r = q(None).with_index("lsi1").with_all_attributes(true);
        r.key_condition.sort = Some(("rank".into(), SortKeyCondition::Ge(98.into())));
        let (page, read) = query_with(&t, &r, Part::decode).unwrap();
        assert_eq!(page.items, [whole(2), whole(1), whole(0)]);
        // The index entries read, and the table items fetched.
        let index_alone = |bytes| {
            let mut alone = PageRead::of(Some(1));
            alone.bytes = bytes;
            alone
        };
        assert_ne!(read, index_alone(read.bytes));
        // A filter still applies after the fetch; a projection or a count ignores the flag.
        let filtered = r.clone().with_filter(attr("n").eq(1));
        assert_eq!(query(&t, &filtered).unwrap().items, [whole(1)]);
        let projected = r.clone().with_projection(vec![attr("sk")]);
        let sks_only: Vec<Item> = (0..3).rev().map(|sk| Item::new().with("sk", sk)).collect();
        assert_eq!(query(&t, &projected).unwrap().items, sks_only);
        let counted = r.clone().with_count_only(true);
        let (page, read) = query_with(&t, &counted, Part::decode).unwrap();
        assert_eq!((page.count, page.items.len()), (3, 0));
        assert_eq!(read, index_alone(read.bytes));
        // A scan of the index too.
        let s = ScanRequest::new("app")
            .with_index("lsi1")
            .with_all_attributes(true)
            .with_filter(attr("pk").eq("p"));
        let scanned = scan(&t, &s).unwrap();
        assert_eq!(scanned.count, 20);
        assert!(scanned.items.iter().all(|i| i.get("body").is_some()));
        // Without the flag, the index's own attributes.
        let projected = scan(&t, &s.clone().with_all_attributes(false)).unwrap();
        assert!(projected.items.iter().all(|i| i.get("body").is_none()));
        // A global index that does not project everything cannot.
        let g = gsi_query().with_all_attributes(true);
        let e = query(&t, &g).unwrap_err().to_string();
        assert!(
            e.contains(
                "Select type ALL_ATTRIBUTES is not supported for global secondary index gsi1 \
                 because its projection type is not ALL"
            ),
            "{e}"
        );
        let s = ScanRequest::new("app")
            .with_index("gsi1")
            .with_all_attributes(true);
        assert!(scan(&t, &s).is_err());
        assert!(scan(&t, &s.with_count_only(true)).is_ok());
    }

    #[test]
    fn count_only_and_projection() {
        let t = table();
        let mut r = q(None);
        r.count_only = true;
        r.filter = Some(attr("n").lt(5));
        let page = query(&t, &r).unwrap();
        assert!(page.items.is_empty());
        assert_eq!((page.count, page.scanned_count), (5, 20));
        let mut r = q(Some(SortKeyCondition::Eq(1.into())));
        r.projection = Some(vec![attr("n")]);
        assert_eq!(query(&t, &r).unwrap().items, [Item::new().with("n", 1)]);
    }

    #[test]
    fn pages_stop_after_the_item_that_crosses_one_megabyte() {
        let t = Table::new(definition(), Limits::default()).unwrap();
        for sk in 0..10i64 {
            // ~300 KB each: the page holds 4 items (the 4th crosses 1 MB).
            let item = Item::new()
                .with("pk", "big")
                .with("sk", sk)
                .with("data", "x".repeat(300 * 1024));
            t.put(&item);
        }
        let mut r = q(None);
        r.key_condition.partition_value = "big".into();
        let page = query(&t, &r).unwrap();
        assert_eq!(sks(&page), [0, 1, 2, 3]);
        assert_eq!(
            page.last_evaluated_key,
            Some(Item::new().with("pk", "big").with("sk", 3))
        );
        let mut s = ScanRequest::new("app");
        s.count_only = true;
        let page = scan(&t, &s).unwrap();
        assert_eq!(page.scanned_count, 4);
        assert!(page.last_evaluated_key.is_some());
    }

    fn scan_all(t: &Table, mut s: ScanRequest) -> Vec<Item> {
        let mut all = Vec::new();
        loop {
            let page = scan(t, &s).unwrap();
            all.extend(page.items);
            match page.last_evaluated_key {
                Some(k) => s.exclusive_start_key = Some(k),
                None => return all,
            }
        }
    }

    #[test]
    fn scans_are_ordered_resumable_and_segmented() {
        let t = table();
        let all = scan_all(&t, ScanRequest::new("app"));
        assert_eq!(all.len(), 23);
        let mut s = ScanRequest::new("app");
        s.limit = Some(4);
        assert_eq!(scan_all(&t, s), all);
        // Segments partition the table.
        let mut from_segments = Vec::new();
        for segment in 0..3 {
            let mut s = ScanRequest::new("app");
            s.segment = Some((segment, 3));
            s.limit = Some(3);
            from_segments.extend(scan_all(&t, s));
        }
        from_segments.sort_by_key(|i| {
            (
                i["pk"].as_s().unwrap().to_owned(),
                sks(&QueryOutput::<Item> {
                    items: vec![i.clone()],
                    ..QueryOutput::<Item>::default()
                }),
            )
        });
        let mut sorted = all.clone();
        sorted.sort_by_key(|i| {
            (
                i["pk"].as_s().unwrap().to_owned(),
                sks(&QueryOutput::<Item> {
                    items: vec![i.clone()],
                    ..QueryOutput::<Item>::default()
                }),
            )
        });
        assert_eq!(from_segments, sorted);
        let mut s = ScanRequest::new("app");
        s.segment = Some((3, 3));
        assert!(scan(&t, &s).is_err());
        s.segment = Some((0, 0));
        assert!(scan(&t, &s).is_err());
        // A start key is taken only by the segment that returned it.
        let (own, start) = (0..3)
            .find_map(|segment| {
                let mut first = ScanRequest::new("app");
                first.segment = Some((segment, 3));
                first.limit = Some(1);
                let page = scan(&t, &first).unwrap();
                page.last_evaluated_key.map(|k| (segment, k))
            })
            .expect("a segment holds items");
        let mut same = ScanRequest::new("app");
        same.segment = Some((own, 3));
        same.exclusive_start_key = Some(start);
        scan(&t, &same).unwrap();
        for other in (0..3).filter(|s| *s != own) {
            let mut s = same.clone();
            s.segment = Some((other, 3));
            let err = scan(&t, &s).unwrap_err().to_string();
            assert!(
                err.contains("does not map to the provided segment"),
                "{err}"
            );
        }
        // Index scans and filters.
        let mut s = ScanRequest::new("app");
        s.index = Some("gsi1".into());
        s.limit = Some(3);
        assert_eq!(scan_all(&t, s).len(), 10);
        let mut s = ScanRequest::new("app");
        s.filter = Some(attr("pk").eq("q"));
        assert_eq!(scan(&t, &s).unwrap().count, 3);
        let mut s = ScanRequest::new("app");
        s.index = Some("gsi1".into());
        s.consistent = true;
        assert!(scan(&t, &s).is_err());
    }
}
