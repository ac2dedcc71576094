//! The fluent query and scan builders, with opaque cursor pagination.
//!
//! Semantics, the same on every backend:
//! - `limit(n)` is the number of items *returned*: pages are fetched until `n` items matched or
//!   the end is reached (a selective filter never makes a query return too few items early).
//! - `page_size(n)` is DynamoDB's `Limit`: items *evaluated* per request, before the filter.
//! - Without `limit`, [`Query::paginate`] returns one backend page; it may be empty and still
//!   carry a cursor (a filter rejected everything DynamoDB read).
//! - A cursor is built from the last item *returned*, so stopping mid-page skips and repeats
//!   nothing. It is bound to the entity, index and key condition it came from.
//! - Every query reads only items of the model's entity, even when other entities share the
//!   partition (an entity filter is always added).

use crate::backend::{self, Backend, QueryOutput, RawItem};
use crate::cursor::{Cursor, Fingerprint};
use crate::error::{Error, Result};
use crate::expr::{Condition, KeyCondition, Path, SortKeyCondition};
use crate::key::IntoResult;
use crate::model::{Model, Schema};
use crate::table::Table;
use crate::value::{Item, Value};
use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::Arc;

/// What a query decodes items into: a [`Model`], or a collection of several models (an enum
/// made with [`collection!`](crate::collection)).
pub trait QueryTarget: Sized + Send + 'static {
    /// The schemas of the entities this target reads.
    fn schemas() -> Vec<&'static Schema>;
    /// Decodes one stored item.
    fn decode(table: &Table, item: Item) -> Result<Self>;
    /// Decodes one item as the backend read it; by default through [`QueryTarget::decode`].
    fn decode_raw(table: &Table, item: RawItem) -> Result<Self> {
        Self::decode(table, item.into_item())
    }
}

impl<M: Model> QueryTarget for M {
    fn schemas() -> Vec<&'static Schema> {
        vec![M::schema()]
    }
    fn decode(table: &Table, item: Item) -> Result<Self> {
        table.from_stored_item(item)
    }
    fn decode_raw(table: &Table, item: RawItem) -> Result<Self> {
        table.from_raw_item(item)
    }
}

/// One page of results and the cursor to the next (`None` at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts; `None` when there is nothing more.
    pub cursor: Option<Cursor>,
}

/// A fully checked read, ready to fetch pages.
struct Plan<T> {
    table: Table,
    request: Request,
    /// Items to return in all (`limit`), if bounded.
    limit: Option<usize>,
    /// Whether the user set DynamoDB's Limit explicitly.
    page_size: Option<u32>,
    /// Whether a user filter is present (then requests are not trimmed to the items still wanted).
    filtered: bool,
    fingerprint: [u8; 8],
    key_attributes: Arc<[String]>,
    _t: PhantomData<fn() -> T>,
}

#[derive(Clone)]
enum Request {
    Query(backend::QueryRequest),
    Scan(backend::ScanRequest),
}

impl Request {
    fn set_start(&mut self, start: Option<Item>) {
        match self {
            Request::Query(q) => q.exclusive_start_key = start,
            Request::Scan(s) => s.exclusive_start_key = start,
        }
    }
    fn set_limit(&mut self, limit: Option<u32>) {
        match self {
            Request::Query(q) => q.limit = limit,
            Request::Scan(s) => s.limit = limit,
        }
    }
    fn set_count_only(&mut self) {
        match self {
            Request::Query(q) => {
                q.count_only = true;
                q.projection = None;
            }
            Request::Scan(s) => {
                s.count_only = true;
                s.projection = None;
            }
        }
    }
    async fn send(&self, backend: &dyn Backend) -> Result<QueryOutput> {
        match self {
            Request::Query(q) => backend.query(q).await,
            Request::Scan(s) => backend.scan(s).await,
        }
    }
}

impl<T: QueryTarget> Plan<T> {
    fn cursor_for(&self, item: &RawItem) -> Result<Cursor> {
        let mut key = Item::new();
        for name in self.key_attributes.iter() {
            if let Some(v) = item.get(name) {
                key.insert(name.clone(), v.into_owned());
            }
        }
        Cursor::encode(
            self.fingerprint,
            &key,
            self.table.config().cursor_secret.as_deref(),
        )
    }

    /// The request `Limit` for the next page, given how many items are still wanted.
    fn request_limit(&self, wanted: Option<usize>) -> Option<u32> {
        match (self.page_size, wanted) {
            (Some(p), _) => Some(p),
            // No filter of the user's: every item read is (almost surely) returned, so read no more
            // than needed. With a filter, let the backend read full pages.
            (None, Some(w)) if !self.filtered => Some(u32::try_from(w).unwrap_or(u32::MAX)),
            _ => None,
        }
    }

    /// Fetches pages until `limit` items matched (or one page without limit), starting at `start`.
    #[tracing::instrument(level = "debug", name = "orm.paginate", skip_all, fields(table = %self.table.name(), entity = %entities::<T>(), limit = ?self.limit))]
    async fn paginate(mut self, start: Option<Item>) -> Result<Page<T>> {
        let backend = self.table.backend().clone();
        let mut items = Vec::new();
        let mut start = start;
        loop {
            let wanted = self.limit.map(|l| l - items.len());
            self.request.set_limit(self.request_limit(wanted));
            self.request.set_start(start.take());
            let page = self.request.send(backend.as_ref()).await?;
            let count = page.items.len();
            for (i, raw) in page.items.into_iter().enumerate() {
                let last_wanted = self.limit.is_some_and(|l| items.len() + 1 == l);
                let more_after = i + 1 < count || page.last_evaluated_key.is_some();
                let cursor = if last_wanted && more_after {
                    Some(self.cursor_for(&raw)?)
                } else {
                    None
                };
                items.push(T::decode_raw(&self.table, raw)?);
                if last_wanted {
                    return Ok(Page { items, cursor });
                }
            }
            match page.last_evaluated_key {
                None => {
                    return Ok(Page {
                        items,
                        cursor: None,
                    })
                }
                Some(lek) => {
                    if self.limit.is_none() {
                        let cursor = Cursor::encode(
                            self.fingerprint,
                            &lek,
                            self.table.config().cursor_secret.as_deref(),
                        )?;
                        return Ok(Page {
                            items,
                            cursor: Some(cursor),
                        });
                    }
                    start = Some(lek);
                }
            }
        }
    }

    /// Every matching item (up to `limit`), fetching page after page.
    async fn all(self, start: Option<Item>) -> Result<Vec<T>> {
        self.stream(start).try_collect().await
    }

    /// Counts matching items (up to `limit`) without decoding them.
    #[tracing::instrument(level = "debug", name = "orm.count", skip_all, fields(table = %self.table.name(), entity = %entities::<T>()))]
    async fn count(mut self, start: Option<Item>) -> Result<usize> {
        let backend = self.table.backend().clone();
        self.request.set_count_only();
        self.request.set_limit(self.page_size);
        let mut total = 0usize;
        let mut start = start;
        loop {
            self.request.set_start(start.take());
            let page = self.request.send(backend.as_ref()).await?;
            total += page.count as usize;
            if let Some(l) = self.limit {
                if total >= l {
                    return Ok(l);
                }
            }
            match page.last_evaluated_key {
                None => return Ok(total),
                Some(k) => start = Some(k),
            }
        }
    }

    /// A lazy stream of items, fetching a page when the previous one is used up.
    fn stream(mut self, start: Option<Item>) -> impl Stream<Item = Result<T>> + Send + 'static {
        struct State<T> {
            plan: Plan<T>,
            buffer: VecDeque<RawItem>,
            next: Option<Option<Item>>,
            returned: usize,
        }
        self.request.set_start(None);
        let state = State {
            plan: self,
            buffer: VecDeque::new(),
            next: Some(start),
            returned: 0,
        };
        stream::try_unfold(state, |mut st| async move {
            loop {
                if st.plan.limit.is_some_and(|l| st.returned >= l) {
                    return Ok(None);
                }
                if let Some(raw) = st.buffer.pop_front() {
                    st.returned += 1;
                    let item = T::decode_raw(&st.plan.table, raw)?;
                    return Ok(Some((item, st)));
                }
                let Some(start) = st.next.take() else {
                    return Ok(None);
                };
                let wanted = st.plan.limit.map(|l| l - st.returned);
                let limit = st.plan.request_limit(wanted);
                st.plan.request.set_limit(limit);
                st.plan.request.set_start(start);
                let backend = st.plan.table.backend().clone();
                let page = st.plan.request.send(backend.as_ref()).await?;
                st.buffer.extend(page.items);
                st.next = page.last_evaluated_key.map(Some);
            }
        })
    }
}

/// The entity names a target reads, for spans.
fn entities<T: QueryTarget>() -> String {
    T::schemas()
        .iter()
        .map(|s| s.entity)
        .collect::<Vec<_>>()
        .join("/")
}

fn validate_page_size(n: u32) -> Result<u32> {
    if n == 0 {
        Err(Error::validation("page_size must be at least 1"))
    } else {
        Ok(n)
    }
}

/// Settings shared by queries and scans.
struct Common {
    table: Table,
    index: Option<String>,
    filter: Option<Condition>,
    projection: Option<Vec<Path>>,
    limit: Option<usize>,
    page_size: Option<u32>,
    consistent: bool,
    cursor: Option<Cursor>,
    error: Option<Error>,
    exclude_expired: bool,
}

impl Common {
    fn new(table: &Table) -> Common {
        Common {
            consistent: table.config().consistent_reads,
            table: table.clone(),
            index: None,
            filter: None,
            projection: None,
            limit: None,
            page_size: None,
            cursor: None,
            error: None,
            exclude_expired: false,
        }
    }

    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// Resolves the index among the schemas, the entity filter, key attributes and projection.
    fn resolve(
        &mut self,
        schemas: &[&'static Schema],
        explicit_consistent: bool,
    ) -> Result<Resolved> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let config = self.table.config().clone();
        let entities: Vec<&str> = schemas.iter().map(|s| s.entity).collect();
        let mut key_attributes = vec![config.partition_key.clone()];
        if schemas.iter().any(|s| s.has_sort_key) {
            key_attributes.push(config.sort_key.clone());
        }
        let (pk, sk, local) = match &self.index {
            None => (
                config.partition_key.clone(),
                Some(config.sort_key.clone()),
                true,
            ),
            Some(name) => {
                let index = schemas.iter().find_map(|s| s.index(name)).ok_or_else(|| {
                    Error::validation(format!("{} declares no index `{name}`", entities.join("/")))
                })?;
                let pk = if index.local {
                    config.partition_key.clone()
                } else {
                    config.index_partition_key(name)
                };
                let sk = index.sort_key.map(|_| config.index_sort_key(name));
                if !index.local {
                    key_attributes.push(pk.clone());
                }
                if let Some(s) = &sk {
                    key_attributes.push(s.clone());
                }
                (pk, sk, index.local)
            }
        };
        if !local && explicit_consistent && self.consistent {
            return Err(Error::validation(format!(
                "consistent reads are not supported on global secondary index `{}`",
                self.index.as_deref().unwrap_or_default()
            )));
        }
        if !local {
            // A table-wide default of consistent reads does not apply to global indexes.
            self.consistent = false;
        }
        let entity_path = Path::name(config.entity_attribute.clone());
        let entity_filter = if entities.len() == 1 {
            entity_path.eq(entities[0])
        } else {
            entity_path.is_in(entities.iter().copied())
        };
        let mut filter = match self.filter.take() {
            Some(f) => entity_filter.and(f),
            None => entity_filter,
        };
        if self.exclude_expired {
            let mut ttls: Vec<&str> = schemas.iter().filter_map(|s| s.ttl).collect();
            ttls.dedup();
            if ttls.is_empty() {
                return Err(Error::validation(format!(
                    "exclude_expired: {} has no #[model(ttl)] field",
                    entities.join("/")
                )));
            }
            let now = crate::timestamp::Timestamp::from_system_time(std::time::SystemTime::now());
            for ttl in ttls {
                let now: i64 = now;
                filter = filter.and(Path::name(ttl).not_exists().or(Path::name(ttl).gt(now)));
            }
        }
        let filter = Some(filter);
        let projection = self.projection.take().map(|mut p| {
            // The schema version too: an item read without it would pass for version 1.
            for name in key_attributes
                .iter()
                .chain([&config.entity_attribute, &config.schema_attribute])
            {
                let path = Path::name(name.clone());
                if !p.contains(&path) {
                    p.push(path);
                }
            }
            p
        });
        let mut fingerprint = Fingerprint::new();
        for e in &entities {
            fingerprint = fingerprint.part("entity", e.as_bytes());
        }
        fingerprint = fingerprint.part("index", self.index.as_deref().unwrap_or("").as_bytes());
        Ok(Resolved {
            pk,
            sk,
            filter,
            projection,
            key_attributes: key_attributes.into(),
            fingerprint,
        })
    }
}

struct Resolved {
    pk: String,
    sk: Option<String>,
    filter: Option<Condition>,
    projection: Option<Vec<Path>>,
    key_attributes: Arc<[String]>,
    fingerprint: Fingerprint,
}

macro_rules! builder_methods {
    () => {
        /// Only items matching this condition (applied after `page_size` items were read;
        /// combined with AND when called again).
        pub fn filter(mut self, condition: Condition) -> Self {
            self.common.filter = Condition::and_opt(self.common.filter.take(), Some(condition));
            self
        }

        /// Reads only these attributes (keys and the entity attribute are always read). Fields
        /// not read must be `Option` or `#[serde(default)]` in the model.
        pub fn project(mut self, paths: impl IntoIterator<Item = Path>) -> Self {
            self.common.projection = Some(paths.into_iter().collect());
            self
        }

        /// Returns at most `n` items in all, fetching as many pages as that takes.
        pub fn limit(mut self, n: usize) -> Self {
            if n == 0 {
                self.common
                    .fail(Error::validation("limit must be at least 1"));
            }
            self.common.limit = Some(n);
            self
        }

        /// DynamoDB's `Limit`: items read per request, before the filter.
        pub fn page_size(mut self, n: u32) -> Self {
            match validate_page_size(n) {
                Ok(n) => self.common.page_size = Some(n),
                Err(e) => self.common.fail(e),
            }
            self
        }

        /// Strongly consistent reads (rejected on global secondary indexes).
        pub fn consistent(mut self) -> Self {
            self.common.consistent = true;
            self.explicit_consistent = true;
            self
        }

        /// Leave out items whose `#[model(ttl)]` time has passed but that DynamoDB has not yet
        /// deleted (it deletes expired items lazily, within days).
        pub fn exclude_expired(mut self) -> Self {
            self.common.exclude_expired = true;
            self
        }

        /// Continue where a previous page of the same query stopped (`None`: from the start).
        pub fn cursor(mut self, cursor: impl Into<Option<Cursor>>) -> Self {
            self.common.cursor = cursor.into();
            self
        }
    };
}

macro_rules! query_terminals {
    () => {
        /// One page: up to `limit` items (or one backend page without `limit`) and the cursor.
        pub async fn paginate(self) -> Result<Page<T>> {
            let (plan, start) = self.plan()?;
            plan.paginate(start).await
        }

        /// Every matching item (up to `limit`).
        pub async fn all(self) -> Result<Vec<T>> {
            let (plan, start) = self.plan()?;
            plan.all(start).await
        }

        /// The first matching item, if any.
        pub async fn first(self) -> Result<Option<T>> {
            let (plan, start) = self.limit(1).plan()?;
            Ok(plan.paginate(start).await?.items.pop())
        }

        /// How many items match (up to `limit`), without reading them into models.
        pub async fn count(self) -> Result<usize> {
            let (plan, start) = self.plan()?;
            plan.count(start).await
        }

        /// Whether any item matches.
        pub async fn exists(self) -> Result<bool> {
            let (plan, start) = self.limit(1).plan()?;
            Ok(plan.count(start).await? > 0)
        }

        /// A lazy stream of every matching item (up to `limit`), fetching pages as it is polled.
        pub fn stream(self) -> impl Stream<Item = Result<T>> + Send + 'static {
            match self.plan() {
                Ok((plan, start)) => plan.stream(start).left_stream(),
                Err(e) => stream::once(async move { Err(e) }).right_stream(),
            }
        }
    };
}

/// A query builder: one partition of the table or of an index, in sort-key order.
///
/// Made by `M::query(&table)` (or [`Query::new`]).
pub struct Query<T> {
    common: Common,
    partition: Option<Value>,
    sort: Option<SortKeyCondition>,
    forward: bool,
    explicit_consistent: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Query<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("table", &self.common.table.name())
            .field("index", &self.common.index)
            .field("partition", &self.partition)
            .field("sort", &self.sort)
            .field("filter", &self.common.filter)
            .field("limit", &self.common.limit)
            .field("page_size", &self.common.page_size)
            .field("forward", &self.forward)
            .finish()
    }
}

impl<T: QueryTarget> Query<T> {
    /// A query on `table` decoding into `T`.
    pub fn new(table: &Table) -> Query<T> {
        Query {
            common: Common::new(table),
            partition: None,
            sort: None,
            forward: true,
            explicit_consistent: false,
            _t: PhantomData,
        }
    }

    /// The partition to read (`Todo::partition("alice")`, or any key value). Required.
    pub fn partition(mut self, value: impl IntoResult<Value>) -> Self {
        match value.into_result() {
            Ok(v) => self.partition = Some(v),
            Err(e) => self.common.fail(e),
        }
        self
    }

    /// Query the index `name` (declared on the model) instead of the table.
    pub fn index(mut self, name: impl Into<String>) -> Self {
        self.common.index = Some(name.into());
        self
    }

    fn sort(
        mut self,
        make: impl FnOnce(Value) -> SortKeyCondition,
        v: impl IntoResult<Value>,
    ) -> Self {
        match v.into_result() {
            Ok(v) => self.sort = Some(make(v)),
            Err(e) => self.common.fail(e),
        }
        self
    }

    /// Sort key equals `v`.
    pub fn sk_eq(self, v: impl IntoResult<Value>) -> Self {
        self.sort(SortKeyCondition::Eq, v)
    }
    /// Sort key less than `v`.
    pub fn sk_lt(self, v: impl IntoResult<Value>) -> Self {
        self.sort(SortKeyCondition::Lt, v)
    }
    /// Sort key at most `v`.
    pub fn sk_le(self, v: impl IntoResult<Value>) -> Self {
        self.sort(SortKeyCondition::Le, v)
    }
    /// Sort key greater than `v`.
    pub fn sk_gt(self, v: impl IntoResult<Value>) -> Self {
        self.sort(SortKeyCondition::Gt, v)
    }
    /// Sort key at least `v`.
    pub fn sk_ge(self, v: impl IntoResult<Value>) -> Self {
        self.sort(SortKeyCondition::Ge, v)
    }
    /// Sort key starts with `prefix` (e.g. `Todo::sk_prefix_created_at(day)`).
    pub fn sk_begins_with(self, prefix: impl IntoResult<Value>) -> Self {
        self.sort(SortKeyCondition::BeginsWith, prefix)
    }
    /// Sort key between `low` and `high`, inclusive.
    pub fn sk_between(mut self, low: impl IntoResult<Value>, high: impl IntoResult<Value>) -> Self {
        match (low.into_result(), high.into_result()) {
            (Ok(l), Ok(h)) => self.sort = Some(SortKeyCondition::Between(l, h)),
            (Err(e), _) | (_, Err(e)) => self.common.fail(e),
        }
        self
    }

    /// Descending sort-key order.
    pub fn reverse(mut self) -> Self {
        self.forward = !self.forward;
        self
    }

    fn plan(mut self) -> Result<(Plan<T>, Option<Item>)> {
        let schemas = T::schemas();
        let resolved = self.common.resolve(&schemas, self.explicit_consistent)?;
        let partition = self
            .partition
            .ok_or_else(|| Error::validation("a query needs .partition(..)"))?;
        let sort = match self.sort {
            None => None,
            Some(c) => {
                let name = resolved.sk.clone().ok_or_else(|| {
                    Error::validation("a sort-key condition was given, but there is no sort key")
                })?;
                Some((name, c))
            }
        };
        let key_condition = KeyCondition {
            partition_name: resolved.pk,
            partition_value: partition,
            sort,
        };
        let fingerprint = key_fingerprint(resolved.fingerprint, &key_condition);
        let start = decode_cursor(&self.common, fingerprint, &resolved.key_attributes)?;
        let request = backend::QueryRequest {
            table: self.common.table.name().to_owned(),
            index: self.common.index.clone(),
            key_condition,
            filter: resolved.filter,
            projection: resolved.projection,
            limit: self.common.page_size,
            exclusive_start_key: None,
            scan_forward: self.forward,
            consistent: self.common.consistent,
            count_only: false,
        };
        Ok((
            Plan {
                filtered: user_filtered(&request.filter),
                table: self.common.table,
                request: Request::Query(request),
                limit: self.common.limit,
                page_size: self.common.page_size,
                fingerprint,
                key_attributes: resolved.key_attributes,
                _t: PhantomData,
            },
            start,
        ))
    }

    builder_methods!();
    query_terminals!();
}

/// Whether a resolved filter holds more than the entity filter.
fn user_filtered(filter: &Option<Condition>) -> bool {
    matches!(filter, Some(Condition::And(v)) if v.len() > 1)
}

fn key_fingerprint(fp: Fingerprint, kc: &KeyCondition) -> [u8; 8] {
    let mut fp = fp
        .part("pk", kc.partition_name.as_bytes())
        .value("pv", &kc.partition_value);
    if let Some((name, c)) = &kc.sort {
        fp = fp.part("sk", name.as_bytes());
        fp = match c {
            SortKeyCondition::Eq(v) => fp.part("op", b"eq").value("v", v),
            SortKeyCondition::Lt(v) => fp.part("op", b"lt").value("v", v),
            SortKeyCondition::Le(v) => fp.part("op", b"le").value("v", v),
            SortKeyCondition::Gt(v) => fp.part("op", b"gt").value("v", v),
            SortKeyCondition::Ge(v) => fp.part("op", b"ge").value("v", v),
            SortKeyCondition::BeginsWith(v) => fp.part("op", b"begins").value("v", v),
            SortKeyCondition::Between(a, b) => {
                fp.part("op", b"between").value("a", a).value("b", b)
            }
        };
    }
    fp.finish()
}

fn decode_cursor(
    common: &Common,
    fingerprint: [u8; 8],
    key_attributes: &[String],
) -> Result<Option<Item>> {
    let Some(cursor) = &common.cursor else {
        return Ok(None);
    };
    let key = cursor.decode(fingerprint, common.table.config().cursor_secret.as_deref())?;
    for name in key_attributes {
        if !key.contains_key(name) {
            return Err(Error::InvalidCursor {
                reason: format!("cursor lacks key attribute `{name}`"),
            });
        }
    }
    if key.len() != key_attributes.len() {
        return Err(Error::InvalidCursor {
            reason: "cursor has unexpected attributes".into(),
        });
    }
    Ok(Some(key))
}

/// A scan builder: the whole table (or an index), optionally in parallel segments.
///
/// Made by `M::scan(&table)` (or [`Scan::new`]). Scans read everything; prefer queries.
pub struct Scan<T> {
    common: Common,
    segment: Option<(u32, u32)>,
    parallel: u32,
    explicit_consistent: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Scan<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scan")
            .field("table", &self.common.table.name())
            .field("index", &self.common.index)
            .field("filter", &self.common.filter)
            .field("segment", &self.segment)
            .field("parallel", &self.parallel)
            .finish()
    }
}

impl<T: QueryTarget> Scan<T> {
    /// A scan of `table` decoding into `T`.
    pub fn new(table: &Table) -> Scan<T> {
        Scan {
            common: Common::new(table),
            segment: None,
            parallel: 1,
            explicit_consistent: false,
            _t: PhantomData,
        }
    }

    /// Scan the index `name` (declared on the model) instead of the table.
    pub fn index(mut self, name: impl Into<String>) -> Self {
        self.common.index = Some(name.into());
        self
    }

    /// Read only segment `segment` of `total` (for spreading a scan over workers yourself).
    pub fn segment(mut self, segment: u32, total: u32) -> Self {
        if total == 0 || segment >= total {
            self.common.fail(Error::validation(format!(
                "segment {segment} of {total}: need 0 <= segment < total"
            )));
        }
        self.segment = Some((segment, total));
        self
    }

    /// Split `all()`, `count()` and `stream()` over `n` segments read concurrently.
    pub fn parallel(mut self, n: u32) -> Self {
        if n == 0 {
            self.common
                .fail(Error::validation("parallel needs at least 1 segment"));
        }
        self.parallel = n.max(1);
        self
    }

    fn plan(mut self) -> Result<(Plan<T>, Option<Item>)> {
        let schemas = T::schemas();
        let resolved = self.common.resolve(&schemas, self.explicit_consistent)?;
        let mut fp = resolved.fingerprint.part("scan", b"");
        if let Some((s, t)) = self.segment {
            fp = fp.part("segment", format!("{s}/{t}").as_bytes());
        }
        let fingerprint = fp.finish();
        let start = decode_cursor(&self.common, fingerprint, &resolved.key_attributes)?;
        let request = backend::ScanRequest {
            table: self.common.table.name().to_owned(),
            index: self.common.index.clone(),
            filter: resolved.filter,
            projection: resolved.projection,
            limit: self.common.page_size,
            exclusive_start_key: None,
            consistent: self.common.consistent,
            segment: self.segment,
            count_only: false,
        };
        Ok((
            Plan {
                filtered: user_filtered(&request.filter),
                table: self.common.table,
                request: Request::Scan(request),
                limit: self.common.limit,
                page_size: self.common.page_size,
                fingerprint,
                key_attributes: resolved.key_attributes,
                _t: PhantomData,
            },
            start,
        ))
    }

    /// One plan per parallel segment (or the single plan).
    fn plans(self) -> Result<Vec<(Plan<T>, Option<Item>)>> {
        let n = self.parallel;
        if n <= 1 || self.segment.is_some() {
            return Ok(vec![self.plan()?]);
        }
        if self.common.cursor.is_some() || self.common.limit.is_some() {
            return Err(Error::validation(
                "parallel scans read everything: use segment(i, n) with cursors or limits",
            ));
        }
        let (plan, _) = self.plan()?;
        Ok((0..n)
            .map(|i| {
                let mut request = plan.request.clone();
                if let Request::Scan(s) = &mut request {
                    s.segment = Some((i, n));
                }
                (
                    Plan {
                        table: plan.table.clone(),
                        request,
                        limit: None,
                        page_size: plan.page_size,
                        filtered: plan.filtered,
                        fingerprint: plan.fingerprint,
                        key_attributes: plan.key_attributes.clone(),
                        _t: PhantomData,
                    },
                    None,
                )
            })
            .collect())
    }

    /// Every matching item, reading `parallel` segments concurrently.
    pub async fn all(self) -> Result<Vec<T>> {
        let plans = self.plans()?;
        let parts = futures::future::try_join_all(plans.into_iter().map(|(p, s)| p.all(s))).await?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// How many items match, counting `parallel` segments concurrently.
    pub async fn count(self) -> Result<usize> {
        let plans = self.plans()?;
        let parts =
            futures::future::try_join_all(plans.into_iter().map(|(p, s)| p.count(s))).await?;
        Ok(parts.into_iter().sum())
    }

    /// A lazy stream of every matching item, polling `parallel` segments concurrently.
    pub fn stream(self) -> impl Stream<Item = Result<T>> + Send + 'static {
        match self.plans() {
            Ok(plans) => stream::select_all(plans.into_iter().map(|(p, s)| p.stream(s).boxed()))
                .left_stream(),
            Err(e) => stream::once(async move { Err(e) }).right_stream(),
        }
    }

    /// One page: up to `limit` items (or one backend page without `limit`) and the cursor.
    pub async fn paginate(self) -> Result<Page<T>> {
        let (plan, start) = self.plan()?;
        plan.paginate(start).await
    }

    /// The first matching item, if any.
    pub async fn first(mut self) -> Result<Option<T>> {
        self.common.limit = Some(1);
        let (plan, start) = self.plan()?;
        Ok(plan.paginate(start).await?.items.pop())
    }

    /// Whether any item matches.
    pub async fn exists(mut self) -> Result<bool> {
        self.common.limit = Some(1);
        let (plan, start) = self.plan()?;
        Ok(plan.count(start).await? > 0)
    }

    builder_methods!();
}

/// Query and scan entry points on every model: `Todo::query(&table)`, `Todo::scan(&table)`.
pub trait QueryExt: QueryTarget {
    /// A query decoding into `Self`.
    fn query(table: &Table) -> Query<Self> {
        Query::new(table)
    }
    /// A scan decoding into `Self`.
    fn scan(table: &Table) -> Scan<Self> {
        Scan::new(table)
    }
}

impl<T: QueryTarget> QueryExt for T {}

/// Declares an enum over several models read together by one query (a *collection*: e.g. a
/// user's profile and orders, which share a partition, in one round trip).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use orm_core::{collection, Model, ModelExt, QueryExt, Table};
/// use orm_memory::MemoryBackend;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
/// #[model(entity = "User", pk = "USER#{id}", sk = "A#PROFILE")]
/// struct User { id: String, name: String }
///
/// #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
/// #[model(entity = "Order", pk = "USER#{user}", sk = "B#ORDER#{id}")]
/// struct Order { user: String, id: u32 }
///
/// collection! {
///     /// A user's profile and orders.
///     #[derive(Debug, PartialEq)]
///     pub enum UserData { User(User), Order(Order) }
/// }
///
/// let table = Table::new(MemoryBackend::new(), "app");
/// table.create_table::<(User, Order)>().await?;
/// User { id: "al".into(), name: "Al".into() }.create(&table).await?;
/// Order { user: "al".into(), id: 1 }.create(&table).await?;
/// let all = UserData::query(&table).partition(User::partition("al")).all().await?;
/// assert!(matches!(all[0], UserData::User(_)));
/// assert!(matches!(all[1], UserData::Order(_)));
/// # Ok::<(), orm_core::Error>(()) }).unwrap();
/// ```
#[macro_export]
macro_rules! collection {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident($model:ty)),+ $(,)? }) => {
        $(#[$meta])*
        $vis enum $name { $(
            #[doc = concat!("A `", stringify!($model), "`.")]
            $variant($model)
        ),+ }

        impl $crate::query::QueryTarget for $name {
            fn schemas() -> ::std::vec::Vec<&'static $crate::Schema> {
                ::std::vec![$(<$model as $crate::Model>::schema()),+]
            }
            fn decode(table: &$crate::Table, item: $crate::Item) -> $crate::Result<Self> {
                <Self as $crate::query::QueryTarget>::decode_raw(
                    table,
                    $crate::backend::RawItem::Item(item),
                )
            }
            fn decode_raw(
                table: &$crate::Table,
                item: $crate::backend::RawItem,
            ) -> $crate::Result<Self> {
                let entity = match item.get(&table.config().entity_attribute).as_deref() {
                    ::std::option::Option::Some($crate::Value::S(e)) => e.clone(),
                    _ => ::std::string::String::new(),
                };
                $(
                    if entity == <$model as $crate::Model>::schema().entity {
                        return table.from_raw_item::<$model>(item).map($name::$variant);
                    }
                )+
                let config = table.config();
                let key = item.get(&config.partition_key).map(|partition| $crate::Key {
                    partition: partition.into_owned(),
                    sort: item.get(&config.sort_key).map(|sort| sort.into_owned()),
                });
                ::std::result::Result::Err($crate::Error::EntityMismatch {
                    expected: ::std::stringify!($name).into(),
                    found: entity,
                    key,
                })
            }
        }
    };
}
