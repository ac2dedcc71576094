//! The query and scan builders.

use super::plan::{
    decode_cursor, key_fingerprint, user_filtered, validate_page_size, Common, Plan, Request,
};
use super::{Page, QueryTarget};
use crate::backend;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::expr::{Condition, KeyCondition, Path, SortKeyCondition};
use crate::key::IntoResult;
use crate::table::Table;
use crate::value::{Item, Value};
use futures::stream::{self, Stream, StreamExt};
use std::marker::PhantomData;

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
