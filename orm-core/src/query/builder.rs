//! The query and scan builder: one [`Builder`] generic over its kind, [`QueryKind`] or
//! [`ScanKind`].
//!
//! The settings and terminals both kinds have (`filter`, `limit`, `cursor`, `all`, `stream`...)
//! are written once on `Builder<T, K>`; what only a query has (the key condition, the order) is
//! on [`Query`], what only a scan has (segments) on [`Scan`]. How each kind becomes requests to
//! the backend is in the paging plan (`plan.rs`).

use super::kind::{HasPartition, NoPartition, QueryKind, ScanKind};
use super::plan::{validate_page_size, Common, Planner};
use super::CompositeCondition;
use super::{Page, QueryTarget};
use crate::capacity::CapacityLimit;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::expr::{Condition, Path, SortKeyCondition};
use crate::key::IntoResult;
use crate::table::Table;
use crate::value::Value;
use futures::stream::{self, Stream, StreamExt};
use std::fmt;
use std::marker::PhantomData;

/// A read of a table decoding into `T`: a [`Query`] or a [`Scan`], as its kind `K` says.
///
/// Made by `M::query(&table)` / `M::scan(&table)` (or [`Query::new`] / [`Scan::new`]). Settings
/// are chained (`.filter(..).limit(10)`); a terminal (`paginate`, `all`, `first`, `count`,
/// `exists`, `stream`) runs the read. An invalid setting is reported by the terminal.
pub struct Builder<T, K> {
    common: Common,
    kind: K,
    _t: PhantomData<fn() -> T>,
}

/// A query builder: one partition of the table or of an index, in sort-key order.
///
/// Made by `M::query(&table)` (or [`Query::new`]) as a `Query<T, NoPartition>`, which has every
/// setting but runs only once [`partition`](Builder::partition) made it a `Query<T>`
/// (`Query<T, HasPartition>`): a query without its partition is a compile error, not a
/// runtime one.
///
/// ```compile_fail
/// # async fn f(table: orm_core::Table) -> orm_core::Result<()> {
/// # use orm_core::prelude::*;
/// # #[derive(Model, serde::Serialize, serde::Deserialize)]
/// # #[model(entity = "Todo", pk = "USER#{user}", sk = "TODO#{id}")]
/// # struct Todo { user: String, id: u32 }
/// let todos: Vec<Todo> = Todo::query(&table).sk_begins_with("TODO#").all().await?;
/// # Ok(()) }
/// ```
pub type Query<T, P = HasPartition> = Builder<T, QueryKind<P>>;

/// A scan builder: the whole table (or an index), optionally in parallel segments.
///
/// Made by `M::scan(&table)` (or [`Scan::new`]). Scans read everything; prefer queries.
pub type Scan<T> = Builder<T, ScanKind>;

/// What a [`Builder`] reads and how: [`QueryKind`] or [`ScanKind`]. Sealed: implemented by
/// these two only.
pub trait Kind: fmt::Debug {}

impl Kind for QueryKind<NoPartition> {}

impl Kind for QueryKind<HasPartition> {}

impl Kind for ScanKind {}

/// A [`Kind`] of read that can run: a scan, or a query with its partition. The terminals
/// (`paginate`, `all`, `first`, `count`, `exists`, `stream`) need it. Sealed.
#[diagnostic::on_unimplemented(
    message = "this query has no partition: call `.partition(..)` before running it",
    label = "`.partition(..)` was not called on this query",
    note = "a DynamoDB Query reads one partition (`Model::partition(..)` builds its key); `scan` reads them all"
)]
pub trait Runnable: Kind + Planner {}

impl Runnable for QueryKind<HasPartition> {}

impl Runnable for ScanKind {}

impl<T, K: Kind> fmt::Debug for Builder<T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("table", &self.common.table.name())
            .field("index", &self.common.index)
            .field("filter", &self.common.filter)
            .field("limit", &self.common.limit)
            .field("page_size", &self.common.page_size)
            .field("kind", &self.kind)
            .finish()
    }
}

impl<T: QueryTarget> Builder<T, QueryKind<NoPartition>> {
    /// A query on `table` decoding into `T`, without its partition yet.
    pub fn new(table: &Table) -> Query<T, NoPartition> {
        Builder::with_kind(
            table,
            QueryKind {
                partition: None,
                sort: None,
                composite: None,
                forward: true,
                state: PhantomData,
            },
        )
    }
}

impl<T: QueryTarget, P> Builder<T, QueryKind<P>>
where
    QueryKind<P>: Kind,
{
    /// The partition to read (`Todo::partition("alice")`, or any key value). Required: only a
    /// query with its partition has terminals. Called again, it replaces the partition.
    pub fn partition(self, value: impl IntoResult<Value>) -> Query<T> {
        let Builder {
            mut common,
            kind,
            _t,
        } = self;
        let partition = match value.into_result() {
            Ok(v) => Some(v),
            Err(e) => {
                common.fail(e);
                None
            }
        };
        Builder {
            common,
            kind: QueryKind {
                partition,
                sort: kind.sort,
                composite: None,
                forward: kind.forward,
                state: PhantomData,
            },
            _t,
        }
    }

    /// The key condition on a global index with a multi-attribute key, which it also selects
    /// (`Match::by_region_key("W24", "EU").eq(1).begins_with("up")`): in place of
    /// `.index(..).partition(..)` and the `sk_*` conditions. See
    /// [`CompositeKey`](super::CompositeKey).
    pub fn key(self, key: impl Into<CompositeCondition>) -> Query<T> {
        let key = key.into();
        let Builder {
            mut common,
            kind,
            _t,
        } = self;
        common.index = Some(key.index().to_owned());
        Builder {
            common,
            kind: QueryKind {
                partition: None,
                sort: None,
                composite: Some(key),
                forward: kind.forward,
                state: PhantomData,
            },
            _t,
        }
    }

    fn sort(
        mut self,
        make: impl FnOnce(Value) -> SortKeyCondition,
        v: impl IntoResult<Value>,
    ) -> Self {
        match v.into_result() {
            Ok(v) => self.kind.sort = Some(make(v)),
            Err(e) => self.common.fail(e),
        }
        self
    }

    sort_key_conditions!("Sort key", sort -> Self:
        sk_eq Eq "equals",
        sk_lt Lt "less than",
        sk_le Le "at most",
        sk_gt Gt "greater than",
        sk_ge Ge "at least",
        /// A prefix such as `Todo::sk_prefix_created_at(day)`.
        sk_begins_with BeginsWith "starts with",
    );
    /// Sort key between `low` and `high`, inclusive.
    pub fn sk_between(mut self, low: impl IntoResult<Value>, high: impl IntoResult<Value>) -> Self {
        match (low.into_result(), high.into_result()) {
            (Ok(l), Ok(h)) => self.kind.sort = Some(SortKeyCondition::Between(l, h)),
            (Err(e), _) | (_, Err(e)) => self.common.fail(e),
        }
        self
    }

    /// Descending sort-key order.
    pub fn reverse(mut self) -> Self {
        self.kind.forward = !self.kind.forward;
        self
    }
}

impl<T: QueryTarget> Builder<T, ScanKind> {
    /// A scan of `table` decoding into `T`.
    pub fn new(table: &Table) -> Scan<T> {
        Builder::with_kind(
            table,
            ScanKind {
                segment: None,
                parallel: 1,
            },
        )
    }

    /// Read only segment `segment` of `total` (for spreading a scan over workers yourself).
    pub fn segment(mut self, segment: u32, total: u32) -> Self {
        if total == 0 || segment >= total {
            self.common.fail(Error::validation(format!(
                "segment {segment} of {total}: need 0 <= segment < total"
            )));
        }
        self.kind.segment = Some((segment, total));
        self
    }

    /// Split `all()`, `count()` and `stream()` over `n` segments read concurrently.
    pub fn parallel(mut self, n: u32) -> Self {
        if n == 0 {
            self.common
                .fail(Error::validation("parallel needs at least 1 segment"));
        }
        self.kind.parallel = n.max(1);
        self
    }
}

impl<T: QueryTarget, K: Kind> Builder<T, K> {
    fn with_kind(table: &Table, kind: K) -> Self {
        Builder {
            common: Common::new(table),
            kind,
            _t: PhantomData,
        }
    }

    /// Read the index `name` (declared on the model) instead of the table.
    pub fn index(mut self, name: impl Into<String>) -> Self {
        self.common.index = Some(name.into());
        self
    }

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

    /// At most `units_per_second` read capacity units per second (PynamoDB's `rate_limit`):
    /// after each page, waits until the units consumed so far fit the rate. The backend
    /// reports each page's units (DynamoDB's `ReturnConsumedCapacity`, or the memory
    /// backend's computation). Parallel segments share the one limit.
    pub fn capacity_limit(mut self, units_per_second: f64) -> Self {
        if units_per_second.is_nan() || units_per_second <= 0.0 {
            self.common.fail(Error::validation(format!(
                "capacity_limit must be above 0 units per second, got {units_per_second}"
            )));
        } else {
            self.common.capacity_limit = Some(CapacityLimit::new(units_per_second));
        }
        self
    }

    /// Strongly consistent reads (rejected on global secondary indexes).
    pub fn consistent(mut self) -> Self {
        self.common.consistent = true;
        self.common.explicit_consistent = true;
        self
    }

    /// Leave out items whose `#[model(ttl)]` time has passed but that DynamoDB has not yet
    /// deleted (it deletes expired items lazily, within days).
    pub fn exclude_expired(mut self) -> Self {
        self.common.exclude_expired = true;
        self
    }

    /// Continue where a previous page of the same read stopped (`None`: from the start).
    pub fn cursor(mut self, cursor: impl Into<Option<Cursor>>) -> Self {
        self.common.cursor = cursor.into();
        self
    }

    /// One page: up to `limit` items (or one backend page without `limit`) and the cursor.
    ///
    /// A scan with `parallel` set is read here as one sequential scan (cursors need one order).
    pub async fn paginate(self) -> Result<Page<T>>
    where
        K: Runnable,
    {
        let (plan, start) = self.kind.plan::<T>(self.common)?;
        plan.paginate(start).await
    }

    /// Every matching item (up to `limit`); a parallel scan reads its segments concurrently.
    pub async fn all(self) -> Result<Vec<T>>
    where
        K: Runnable,
    {
        self.kind.plans::<T>(self.common)?.all().await
    }

    /// The first matching item, if any.
    pub async fn first(self) -> Result<Option<T>>
    where
        K: Runnable,
    {
        let this = self.limit(1);
        let (plan, start) = this.kind.plan::<T>(this.common)?;
        Ok(plan.paginate(start).await?.items.pop())
    }

    /// How many items match (up to `limit`), without reading them into models; a parallel scan
    /// counts its segments concurrently.
    pub async fn count(self) -> Result<usize>
    where
        K: Runnable,
    {
        self.kind.plans::<T>(self.common)?.count().await
    }

    /// Whether any item matches.
    pub async fn exists(self) -> Result<bool>
    where
        K: Runnable,
    {
        let this = self.limit(1);
        let (plan, start) = this.kind.plan::<T>(this.common)?;
        Ok(plan.count(start).await? > 0)
    }

    /// A lazy stream of every matching item (up to `limit`), fetching pages as it is polled; a
    /// parallel scan polls its segments concurrently.
    pub fn stream(self) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        K: Runnable,
    {
        match self.kind.plans::<T>(self.common) {
            Ok(plans) => plans.stream().left_stream(),
            Err(e) => stream::once(async move { Err(e) }).right_stream(),
        }
    }
}
