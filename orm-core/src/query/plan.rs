//! The paging plan: a builder's settings checked and turned into backend requests, and the
//! requests run into pages, counts and streams, with cursors.
//!
//! [`Planner`] is what the builder's kinds implement: a query becomes one plan over a key
//! condition, a scan one plan (or one per segment when read in parallel).

use super::kind::{QueryKind, ScanKind};
use super::{Page, QueryTarget};
use crate::backend::{self, Backend, QueryOutput, RawItem};
use crate::capacity::{CapacityLimit, CapacityRecorder};
use crate::cursor::{Cursor, CursorSecrets, Fingerprint};
use crate::error::{Error, Result};
use crate::expr::{Condition, KeyCondition, Path, SortKeyCondition};
use crate::model::Schema;
use crate::table::Table;
use crate::value::Item;
use futures::stream::{self, Stream, StreamExt};
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::Arc;

/// A fully checked read, ready to fetch pages.
#[derive(Debug)]
pub struct Plan<T> {
    pub(super) table: Table,
    pub(super) request: Request,
    /// Items to return in all (`limit`), if bounded.
    pub(super) limit: Option<usize>,
    /// Whether the user set DynamoDB's Limit explicitly.
    pub(super) page_size: Option<u32>,
    /// Whether a user filter is present (then requests are not trimmed to the items still wanted).
    pub(super) filtered: bool,
    pub(super) fingerprint: PlanFingerprint,
    pub(super) key_attributes: Arc<[String]>,
    /// The rate limit every page waits for, if one was set.
    pub(super) capacity_limit: Option<CapacityLimit>,
    pub(super) _t: PhantomData<fn() -> T>,
}

/// A plan's cursor fingerprint ([`Plan::fingerprint`]), hashed only when a cursor is opened or
/// made: a read that hands out none (`all()`, `count()`) never hashes its key condition.
#[derive(Clone, Debug)]
pub(super) enum PlanFingerprint {
    /// Hashed.
    Done([u8; 8]),
    /// A query's: the parts of [`Common::resolve`], the key condition (in the request) still to
    /// add ([`key_fingerprint`]).
    Query(Fingerprint),
}

#[derive(Clone, Debug)]
pub(super) enum Request {
    Query(backend::QueryRequest),
    Scan(backend::ScanRequest),
}

impl Request {
    pub(super) fn set_start(&mut self, start: Option<Item>) {
        match self {
            Request::Query(q) => q.exclusive_start_key = start,
            Request::Scan(s) => s.exclusive_start_key = start,
        }
    }
    pub(super) fn set_limit(&mut self, limit: Option<u32>) {
        match self {
            Request::Query(q) => q.limit = limit,
            Request::Scan(s) => s.limit = limit,
        }
    }
    pub(super) fn set_count_only(&mut self) {
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
    pub(super) async fn send(&self, backend: &dyn Backend) -> Result<QueryOutput> {
        match self {
            Request::Query(q) => backend.query(q).await,
            Request::Scan(s) => backend.scan(s).await,
        }
    }
    fn set_capacity(&mut self, capacity: Option<CapacityRecorder>) {
        match self {
            Request::Query(q) => q.capacity = capacity,
            Request::Scan(s) => s.capacity = capacity,
        }
    }
}

impl<T: QueryTarget> Plan<T> {
    /// Sends the plan's request for one page, then waits as the capacity limit (if any) says.
    pub(super) async fn fetch(&self, backend: &dyn Backend) -> Result<QueryOutput> {
        let page = self.request.send(backend).await;
        if let Some(limit) = &self.capacity_limit {
            limit.settle().await;
        }
        page
    }

    /// Fetches the page starting at `start` (the first: `None`), asking for no more than the
    /// `wanted` items still wanted (see [`Plan::request_limit`]).
    async fn fetch_from(
        &mut self,
        backend: &dyn Backend,
        start: Option<Item>,
        wanted: Option<usize>,
    ) -> Result<QueryOutput> {
        self.request.set_limit(self.request_limit(wanted));
        self.request.set_start(start);
        self.fetch(backend).await
    }

    /// The plan of `request`, with the builder's limits.
    fn new(
        common: Common,
        request: Request,
        fingerprint: PlanFingerprint,
        key_attributes: Arc<[String]>,
    ) -> Plan<T> {
        let (operation, index, filter) = match &request {
            Request::Query(q) => ("Query", q.index.as_deref(), &q.filter),
            Request::Scan(s) => ("Scan", s.index.as_deref(), &s.filter),
        };
        let filtered = user_filtered(filter);
        // Only a metered table pays for naming the entity.
        let recorder = common.table.config().capacity.and_then(|_| {
            let entity = match T::schemas().as_slice() {
                [one] => Some(one.entity),
                _ => None,
            };
            common.table.recorder(operation, entity, index)
        });
        let limit = common.capacity_limit.as_ref().map(CapacityLimit::recorder);
        let capacity = match (recorder, limit) {
            (Some(r), Some(l)) => Some(r.and(l)),
            (r, l) => r.or(l),
        };
        let mut request = request;
        request.set_capacity(capacity);
        Plan {
            capacity_limit: common.capacity_limit,
            filtered,
            table: common.table,
            limit: common.limit,
            page_size: common.page_size,
            request,
            fingerprint,
            key_attributes,
            _t: PhantomData,
        }
    }
}

impl<T: QueryTarget> Plan<T> {
    /// The fingerprint of this read that its cursors carry.
    pub(super) fn fingerprint(&self) -> [u8; 8] {
        match (&self.fingerprint, &self.request) {
            (PlanFingerprint::Done(fingerprint), _) => *fingerprint,
            (PlanFingerprint::Query(parts), Request::Query(q)) => {
                key_fingerprint(parts.clone(), &q.key_condition)
            }
            // Scans' plans are built `Done`.
            (PlanFingerprint::Query(parts), Request::Scan(_)) => parts.clone().finish(),
        }
    }

    pub(super) fn cursor_for(&self, item: &RawItem) -> Result<Cursor> {
        let mut key = Item::new();
        for name in self.key_attributes.iter() {
            if let Some(v) = item.get(name)? {
                key.insert(name.clone(), v.into_owned());
            }
        }
        Cursor::encode(
            self.fingerprint(),
            &key,
            &CursorSecrets::of(self.table.config()),
        )
    }

    /// The request `Limit` for the next page, given how many items are still wanted.
    pub(super) fn request_limit(&self, wanted: Option<usize>) -> Option<u32> {
        match (self.page_size, wanted) {
            (Some(p), _) => Some(p),
            // No filter of the user's: every item read is (almost surely) returned, so read no more
            // than needed. With a filter, let the backend read full pages.
            (None, Some(w)) if !self.filtered => Some(u32::try_from(w).unwrap_or(u32::MAX)),
            _ => None,
        }
    }

    /// Fetches pages until `limit` items matched (or one page without limit), starting at `start`.
    #[tracing::instrument(level = "debug", name = "orm.paginate", skip_all, fields(aws.dynamodb.table_names = %self.table.name(), orm.entity = %entities::<T>(), aws.dynamodb.limit = self.limit.map(|l| l as i64)))]
    pub(super) async fn paginate(mut self, start: Option<Item>) -> Result<Page<T>> {
        let backend = self.table.backend().clone();
        let mut items = Vec::new();
        let mut start = start;
        loop {
            let wanted = self.limit.map(|l| l - items.len());
            let page = self
                .fetch_from(backend.as_ref(), start.take(), wanted)
                .await?;
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
                            self.fingerprint(),
                            &lek,
                            &CursorSecrets::of(self.table.config()),
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
    #[tracing::instrument(level = "debug", name = "orm.all", skip_all, fields(aws.dynamodb.table_names = %self.table.name(), orm.entity = %entities::<T>(), aws.dynamodb.limit = self.limit.map(|l| l as i64)))]
    pub(super) async fn all(mut self, start: Option<Item>) -> Result<Vec<T>> {
        // The pages' items decoded straight into the result, as `stream` hands them out (not
        // through it: its state moves with every item, a copy of several hundred bytes each).
        let mut items = Vec::new();
        if self.limit == Some(0) {
            return Ok(items);
        }
        let backend = self.table.backend().clone();
        let mut start = start;
        loop {
            let wanted = self.limit.map(|l| l - items.len());
            let page = self
                .fetch_from(backend.as_ref(), start.take(), wanted)
                .await?;
            let room = wanted.unwrap_or(usize::MAX);
            items.reserve(page.items.len().min(room));
            for raw in page.items.into_iter().take(room) {
                items.push(T::decode_raw(&self.table, raw)?);
            }
            match page.last_evaluated_key {
                Some(lek) if self.limit.is_none_or(|l| items.len() < l) => start = Some(lek),
                _ => return Ok(items),
            }
        }
    }

    /// Counts matching items (up to `limit`) without decoding them.
    #[tracing::instrument(level = "debug", name = "orm.count", skip_all, fields(aws.dynamodb.table_names = %self.table.name(), orm.entity = %entities::<T>()))]
    pub(super) async fn count(mut self, start: Option<Item>) -> Result<usize> {
        let backend = self.table.backend().clone();
        self.request.set_count_only();
        self.request.set_limit(self.page_size);
        let mut total = 0usize;
        let mut start = start;
        loop {
            self.request.set_start(start.take());
            let page = self.fetch(backend.as_ref()).await?;
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
    pub(super) fn stream(
        mut self,
        start: Option<Item>,
    ) -> impl Stream<Item = Result<T>> + Send + 'static {
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
                let backend = st.plan.table.backend().clone();
                let page = st.plan.fetch_from(backend.as_ref(), start, wanted).await?;
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

pub(super) fn validate_page_size(n: u32) -> Result<u32> {
    if n == 0 {
        Err(Error::validation("page_size must be at least 1"))
    } else {
        Ok(n)
    }
}

/// Settings shared by queries and scans.
#[derive(Debug)]
pub struct Common {
    pub(super) table: Table,
    pub(super) index: Option<String>,
    pub(super) filter: Option<Condition>,
    pub(super) projection: Option<Vec<Path>>,
    pub(super) limit: Option<usize>,
    pub(super) page_size: Option<u32>,
    pub(super) consistent: bool,
    /// Whether the user asked for consistent reads (not only the table's default).
    pub(super) explicit_consistent: bool,
    pub(super) cursor: Option<Cursor>,
    pub(super) error: Option<Error>,
    pub(super) exclude_expired: bool,
    pub(super) capacity_limit: Option<CapacityLimit>,
}

impl Common {
    pub(super) fn new(table: &Table) -> Common {
        Common {
            consistent: table.config().consistent_reads,
            explicit_consistent: false,
            table: table.clone(),
            index: None,
            filter: None,
            projection: None,
            limit: None,
            page_size: None,
            cursor: None,
            error: None,
            exclude_expired: false,
            capacity_limit: None,
        }
    }

    pub(super) fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// Resolves the index among the schemas, the entity filter, key attributes and projection.
    pub(super) fn resolve(&mut self, schemas: &[&'static Schema]) -> Result<Resolved> {
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
                if index.is_multi_attribute() {
                    // The keys are model attributes: every one is part of a page's key.
                    for a in index
                        .partition_attributes
                        .iter()
                        .chain(index.sort_attributes)
                    {
                        if !key_attributes.iter().any(|k| k == a.attribute) {
                            key_attributes.push(a.attribute.to_owned());
                        }
                    }
                    let pk = index.partition_attributes[0].attribute.to_owned();
                    let sk = index
                        .sort_attributes
                        .first()
                        .map(|a| a.attribute.to_owned());
                    (pk, sk, false)
                } else {
                    let pk = if index.local {
                        config.partition_key.clone()
                    } else {
                        config.index_partition_key(name)
                    };
                    let sk = index.sort_key.as_ref().map(|_| config.index_sort_key(name));
                    if !index.local {
                        key_attributes.push(pk.clone());
                    }
                    if let Some(s) = &sk {
                        key_attributes.push(s.clone());
                    }
                    (pk, sk, index.local)
                }
            }
        };
        if !local && self.explicit_consistent && self.consistent {
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
        // Cursors are bound to the user's filter too (not to the expiry clause below, whose
        // time changes between pages).
        let filter_binding = format!("{:?}/{}", self.filter, self.exclude_expired);
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
        fingerprint = fingerprint.part("filter", filter_binding.as_bytes());
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

pub(super) struct Resolved {
    pub(super) pk: String,
    pub(super) sk: Option<String>,
    pub(super) filter: Option<Condition>,
    pub(super) projection: Option<Vec<Path>>,
    pub(super) key_attributes: Arc<[String]>,
    pub(super) fingerprint: Fingerprint,
}

/// Whether a resolved filter holds more than the entity filter.
fn user_filtered(filter: &Option<Condition>) -> bool {
    matches!(filter, Some(Condition::And(v)) if v.len() > 1)
}

fn key_fingerprint(fp: Fingerprint, kc: &KeyCondition) -> [u8; 8] {
    let mut fp = fp
        .part("pk", kc.partition_name.as_bytes())
        .value("pv", &kc.partition_value);
    for (name, v) in kc.extra_partition.iter().chain(&kc.sort_prefix) {
        fp = fp.part("eq", name.as_bytes()).value("v", v);
    }
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
    let key = cursor.decode(fingerprint, &CursorSecrets::of(common.table.config()))?;
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

/// How a builder of one kind becomes plans. The supertrait of the sealed [`Kind`]: public only
/// because that trait is, not nameable outside the crate.
///
/// [`Kind`]: super::builder::Kind
pub trait Planner: Sized + Send + 'static {
    /// The one plan of this read, and where it starts (decoded from the cursor).
    fn plan<T: QueryTarget>(self, common: Common) -> Result<(Plan<T>, Option<Item>)>;

    /// The plans `all`, `count` and `stream` run: by default the one plan.
    fn plans<T: QueryTarget>(self, common: Common) -> Result<Plans<T>> {
        let (plan, start) = self.plan(common)?;
        Ok(Plans::One(plan, start))
    }
}

impl Planner for QueryKind {
    fn plan<T: QueryTarget>(self, mut common: Common) -> Result<(Plan<T>, Option<Item>)> {
        let schemas = T::schemas();
        let resolved = common.resolve(&schemas)?;
        let multi_attribute = common
            .index
            .as_deref()
            .and_then(|name| schemas.iter().find_map(|s| s.index(name)))
            .is_some_and(|i| i.is_multi_attribute());
        let key_condition = match self.composite {
            Some(composite) => composite.key_condition()?,
            None if multi_attribute => {
                return Err(Error::validation(format!(
                    "index `{}` has a multi-attribute key: query it with \
                     .key(Model::{}_key(..)), not .partition(..)",
                    common.index.as_deref().unwrap_or_default(),
                    common.index.as_deref().unwrap_or_default()
                )))
            }
            None => {
                let partition = self
                    .partition
                    .ok_or_else(|| Error::validation("a query needs .partition(..)"))?;
                let sort = match self.sort {
                    None => None,
                    Some(c) => {
                        let name = resolved.sk.clone().ok_or_else(|| {
                            Error::validation(
                                "a sort-key condition was given, but there is no sort key",
                            )
                        })?;
                        Some((name, c))
                    }
                };
                KeyCondition {
                    partition_name: resolved.pk,
                    partition_value: partition,
                    sort,
                    extra_partition: Vec::new(),
                    sort_prefix: Vec::new(),
                }
            }
        };
        let (fingerprint, start) = if common.cursor.is_some() {
            let fingerprint = key_fingerprint(resolved.fingerprint, &key_condition);
            let start = decode_cursor(&common, fingerprint, &resolved.key_attributes)?;
            (PlanFingerprint::Done(fingerprint), start)
        } else {
            (PlanFingerprint::Query(resolved.fingerprint), None)
        };
        let request = backend::QueryRequest {
            index: common.index.clone(),
            ..backend::QueryRequest::new(common.table.name(), key_condition)
        }
        .with_filter(resolved.filter)
        .with_projection(resolved.projection)
        .with_limit(common.page_size)
        .with_scan_forward(self.forward)
        .with_consistent(common.consistent);
        let plan = Plan::new(
            common,
            Request::Query(request),
            fingerprint,
            resolved.key_attributes,
        );
        Ok((plan, start))
    }
}

impl Planner for ScanKind {
    fn plan<T: QueryTarget>(self, mut common: Common) -> Result<(Plan<T>, Option<Item>)> {
        let schemas = T::schemas();
        let resolved = common.resolve(&schemas)?;
        let mut fp = resolved.fingerprint.part("scan", b"");
        if let Some((s, t)) = self.segment {
            fp = fp.part("segment", format!("{s}/{t}").as_bytes());
        }
        let fingerprint = fp.finish();
        let start = decode_cursor(&common, fingerprint, &resolved.key_attributes)?;
        let fingerprint = PlanFingerprint::Done(fingerprint);
        let request = backend::ScanRequest {
            index: common.index.clone(),
            ..backend::ScanRequest::new(common.table.name())
        }
        .with_filter(resolved.filter)
        .with_projection(resolved.projection)
        .with_limit(common.page_size)
        .with_consistent(common.consistent)
        .with_segment(self.segment);
        let plan = Plan::new(
            common,
            Request::Scan(request),
            fingerprint,
            resolved.key_attributes,
        );
        Ok((plan, start))
    }

    /// One plan per parallel segment (or the single plan).
    fn plans<T: QueryTarget>(self, common: Common) -> Result<Plans<T>> {
        let n = self.parallel;
        if n <= 1 || self.segment.is_some() {
            let (plan, start) = self.plan(common)?;
            return Ok(Plans::One(plan, start));
        }
        if common.cursor.is_some() || common.limit.is_some() {
            return Err(Error::validation(
                "parallel scans read everything: use segment(i, n) with cursors or limits",
            ));
        }
        let (plan, _) = self.plan::<T>(common)?;
        Ok(Plans::Parallel(
            (0..n)
                .map(|i| {
                    let mut request = plan.request.clone();
                    if let Request::Scan(s) = &mut request {
                        s.segment = Some((i, n));
                    }
                    Plan {
                        table: plan.table.clone(),
                        request,
                        limit: None,
                        page_size: plan.page_size,
                        filtered: plan.filtered,
                        fingerprint: plan.fingerprint.clone(),
                        key_attributes: plan.key_attributes.clone(),
                        capacity_limit: plan.capacity_limit.clone(),
                        _t: PhantomData,
                    }
                })
                .collect(),
        ))
    }
}

/// The plans a terminal runs: one, or several read concurrently (the segments of a scan).
#[derive(Debug)]
// Built once per terminal and consumed at once: boxing the one plan would cost every query an
// allocation for nothing.
#[allow(clippy::large_enum_variant)]
pub enum Plans<T> {
    /// One plan from its start.
    One(Plan<T>, Option<Item>),
    /// Plans read concurrently from their starts, their items merged.
    Parallel(Vec<Plan<T>>),
}

impl<T: QueryTarget> Plans<T> {
    /// Every matching item of every plan.
    pub(super) async fn all(self) -> Result<Vec<T>> {
        match self {
            Plans::One(plan, start) => plan.all(start).await,
            Plans::Parallel(plans) => {
                let parts =
                    futures::future::try_join_all(plans.into_iter().map(|p| p.all(None))).await?;
                Ok(parts.into_iter().flatten().collect())
            }
        }
    }

    /// How many items match in all plans.
    pub(super) async fn count(self) -> Result<usize> {
        match self {
            Plans::One(plan, start) => plan.count(start).await,
            Plans::Parallel(plans) => {
                let parts =
                    futures::future::try_join_all(plans.into_iter().map(|p| p.count(None))).await?;
                Ok(parts.into_iter().sum())
            }
        }
    }

    /// The items of every plan as one stream, polling the plans concurrently.
    pub(super) fn stream(self) -> impl Stream<Item = Result<T>> + Send + 'static {
        match self {
            Plans::One(plan, start) => plan.stream(start).left_stream(),
            Plans::Parallel(plans) => {
                stream::select_all(plans.into_iter().map(|p| p.stream(None).boxed())).right_stream()
            }
        }
    }
}
