//! PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.
//!
//! A statement is read by orm-core's PartiQL parser ([`orm_core::expr::partiql`]) into the
//! expression AST, planned into the engine's requests ([`plan`]), and run:
//!
//! - **ExecuteStatement**: a `SELECT` queries each partition its `WHERE` fixes, or scans, with
//!   `Limit` (items evaluated), `NextToken` ([`next_token`]), `ConsistentRead` and
//!   `ReturnConsumedCapacity`; the whole `WHERE` is applied to every item read, and projected
//!   paths come back under their last name. `INSERT` is a put that fails with
//!   `DuplicateItemException` on an existing item; `UPDATE` (of an existing item) and `DELETE`
//!   name the full key, the rest of their `WHERE` a condition; `RETURNING` answers in `Items`.
//! - **BatchExecuteStatement**: 1 to 25 statements, all reads (each one item by its full key) or
//!   all writes, no item twice; each answers on its own, with an `Error` (`Code`, `Message`)
//!   where it failed.
//! - **ExecuteTransaction**: 1 to 100 statements, all reads or all writes (`EXISTS` is a
//!   condition check), applied all or nothing; a failure cancels with one reason per statement
//!   (`DuplicateItem` for an `INSERT` of an existing item).

mod next_token;
mod plan;

use super::super::error::ApiError;
use super::super::json::{encode_item, value};
use super::call;
use super::capacity::{recorder, with_capacity, Collector};
use super::request::{
    check_fields, list, null, obj, opt_bool, opt_str, opt_u32, req_str, return_on_failure, Answer,
    Body, Context,
};
use crate::MemoryBackend;
use next_token::Position;
use orm_core::backend::{
    GetItem, QueryRequest, RawItem, ScanRequest, TableDefinition, TransactWrite,
    TransactWriteAction,
};
use orm_core::capacity::CapacityRecorder;
use orm_core::error::{CancellationCode, CancellationReason};
use orm_core::expr::partiql::{self, projected_name, Select, Statement};
use orm_core::expr::{KeyCondition, Path};
use orm_core::{Backend, Item, Value};
use plan::{NotSingle, Read, Write};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// The most statements BatchExecuteStatement takes.
const MAX_BATCH_STATEMENTS: usize = 25;
/// The most statements ExecuteTransaction takes.
const MAX_TRANSACTION_STATEMENTS: usize = 100;
/// Where a read stops and hands back a `NextToken` (DynamoDB's 1 MB page).
const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// DynamoDB's prefixes of expression errors, which a PartiQL statement's errors do not carry.
const EXPRESSION_PREFIXES: &[&str] = &[
    "Invalid ConditionExpression: ",
    "Invalid FilterExpression: ",
    "Invalid UpdateExpression: ",
    "Invalid KeyConditionExpression: ",
];

/// An engine error as a statement's: without the expression prefixes.
fn bare(mut error: ApiError) -> ApiError {
    for prefix in EXPRESSION_PREFIXES {
        if let Some(rest) = error.message.strip_prefix(prefix) {
            error.message = rest.to_string();
        }
    }
    error
}

/// Runs a backend call, its errors as a statement's.
fn run<T>(future: impl std::future::Future<Output = orm_core::Result<T>>) -> Result<T, ApiError> {
    call::run(future).map_err(bare)
}

fn duplicate_item() -> ApiError {
    ApiError::client(
        "DuplicateItemException",
        "Duplicate primary key exists in table",
    )
}

fn length_error(member: &str, at_least_one: bool, max: usize) -> ApiError {
    ApiError::validation(if at_least_one {
        format!("1 validation error detected: Value '[]' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 1")
    } else {
        format!("1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}")
    })
}

/// One statement of a request: its text and parameters.
struct Entry<'a> {
    text: &'a str,
    parameters: Vec<Value>,
    raw_parameters: Option<&'a Json>,
}

impl<'a> Entry<'a> {
    fn read(body: &'a Body) -> Result<Entry<'a>, ApiError> {
        let text = req_str(body, "Statement")?;
        if text.is_empty() {
            return Err(ApiError::validation(
                "1 validation error detected: Value '' at 'statement' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        let raw_parameters = body.get("Parameters").filter(|p| !p.is_null());
        let parameters = match raw_parameters {
            None => Vec::new(),
            Some(json) => {
                let values = list(json, "Parameters")?;
                if values.is_empty() {
                    return Err(length_error("parameters", true, 0));
                }
                values
                    .iter()
                    .map(|v| value(v, 1).map_err(ApiError::from))
                    .collect::<Result<_, _>>()?
            }
        };
        Ok(Entry {
            text,
            parameters,
            raw_parameters,
        })
    }

    fn parse(&self) -> Result<Statement, ApiError> {
        Ok(partiql::parse(self.text, &self.parameters)?)
    }
}

/// The statements of a batch or transaction (`member`), 1 to `max`, each with the members
/// `allowed`.
fn entries<'a>(body: &'a Body, member: &str, max: usize) -> Result<Vec<&'a Body>, ApiError> {
    let items = list(body.get(member).ok_or_else(|| null(member))?, member)?;
    let name = super::request::lower_first(member);
    if items.is_empty() {
        return Err(length_error(&name, true, max));
    }
    if items.len() > max {
        return Err(length_error(&name, false, max));
    }
    items.iter().map(|e| obj(e, member)).collect()
}

/// The table definitions a request's statements need, each described once.
#[derive(Default)]
struct Tables(BTreeMap<String, Result<TableDefinition, ApiError>>);

impl Tables {
    fn get(&mut self, backend: &MemoryBackend, name: &str) -> Result<&TableDefinition, ApiError> {
        self.0
            .entry(name.to_string())
            .or_insert_with(|| run(backend.describe_table(name)))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// `item` as a `SELECT` answers it: whole, or its projected paths under their last names.
fn project(item: Item, paths: Option<&[Path]>) -> Item {
    match paths {
        None => item,
        Some(paths) => {
            let mut out = Item::new();
            for path in paths {
                if let Some(v) = crate::eval::resolve(&item, path) {
                    out.0.insert(projected_name(path), v.clone());
                }
            }
            out
        }
    }
}

// ------------------------------------------------------- ExecuteStatement ---

pub(crate) fn execute_statement(cx: &Context<'_>, body: &Body) -> Answer {
    let entry = Entry::read(body)?;
    let limit = match opt_u32(body, "Limit")? {
        Some(0) => {
            return Err(ApiError::validation(
                "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
            ))
        }
        other => other,
    };
    let token = opt_str(body, "NextToken")?;
    let consistent = opt_bool(body, "ConsistentRead")?.unwrap_or(false);
    let capacity = Collector::of(body)?;
    let charged = recorder(&capacity);
    match entry.parse()? {
        Statement::Select(select) => {
            let digest = next_token::digest(entry.text, entry.raw_parameters);
            let page = select_page(
                cx.backend, select, limit, token, digest, consistent, charged,
            )?;
            let mut answer = Map::new();
            answer.insert(
                "Items".into(),
                Json::Array(page.items.iter().map(encode_item).collect()),
            );
            if let Some(next) = page.next {
                answer.insert("NextToken".into(), json!(next_token::encode(digest, &next)));
            }
            Ok(with_capacity(answer, capacity.and_then(|c| c.one())))
        }
        Statement::Exists(_) => Err(exists_outside_transactions()),
        statement => {
            if token.is_some() {
                return Err(ApiError::validation(
                    "NextToken is only valid on a SELECT statement",
                ));
            }
            let return_item = return_on_failure(body)?;
            let definition = run(cx.backend.describe_table(statement.table()))?;
            let mut write = plan::write(statement, &definition)?;
            match &mut write {
                Write::Update(u, _) => u.return_item_on_condition_failure = return_item,
                Write::Delete(d, _) => d.return_item_on_condition_failure = return_item,
                Write::Insert(_) | Write::Check(_) => {}
            }
            let done = run_write(cx.backend, write, charged)?;
            let mut answer = Map::new();
            answer.insert(
                "Items".into(),
                Json::Array(done.item.iter().map(encode_item).collect()),
            );
            Ok(with_capacity(answer, capacity.and_then(|c| c.one())))
        }
    }
}

fn exists_outside_transactions() -> ApiError {
    ApiError::validation("EXISTS can only be used in ExecuteTransaction write requests.")
}

/// One page of a `SELECT`.
struct Page {
    items: Vec<Item>,
    /// Bytes of the items read (before the `WHERE`), which bound the page.
    bytes: usize,
    next: Option<Position>,
}

fn select_page(
    backend: &MemoryBackend,
    select: Select,
    limit: Option<u32>,
    token: Option<&str>,
    digest: u64,
    consistent: bool,
    capacity: Option<CapacityRecorder>,
) -> Result<Page, ApiError> {
    let definition = run(backend.describe_table(&select.table))?;
    let read: Read = plan::read(select, &definition, consistent)?;
    if let Some(filter) = &read.filter {
        crate::eval::check_condition(filter).map_err(|e| bare(e.into()))?;
    }
    let mut at = match token {
        Some(t) => next_token::decode(t, digest)?,
        None => Position::default(),
    };
    let mut page = Page {
        items: Vec::new(),
        bytes: 0,
        next: None,
    };
    let mut remaining = limit;
    let take = |page: &mut Page, items: Vec<Item>| {
        for item in items {
            page.bytes += item.size();
            if read
                .filter
                .as_ref()
                .is_none_or(|f| crate::eval::eval(f, &item))
            {
                page.items.push(project(item, read.projection.as_deref()));
            }
        }
    };
    if read.partitions.is_empty() {
        if at.partition != 0 {
            return Err(ApiError::validation("Invalid NextToken"));
        }
        let request = ScanRequest {
            index: read.index.clone(),
            limit: remaining,
            exclusive_start_key: at.key.take(),
            consistent,
            capacity: capacity.clone(),
            ..ScanRequest::new(read.table.clone())
        };
        let out = run(backend.scan(&request))?.sorted()?;
        page.next = out.last_evaluated_key.map(|key| Position {
            partition: 0,
            key: Some(key),
        });
        take(&mut page, out.items);
        return Ok(page);
    }
    if at.partition >= read.partitions.len() {
        return Err(ApiError::validation("Invalid NextToken"));
    }
    while at.partition < read.partitions.len() {
        let key_condition = KeyCondition {
            extra_partition: Vec::new(),
            sort_prefix: Vec::new(),
            partition_name: read.hash.clone(),
            partition_value: read.partitions[at.partition].clone(),
            sort: read.sort.clone(),
        };
        let request = QueryRequest {
            index: read.index.clone(),
            limit: remaining,
            exclusive_start_key: at.key.take(),
            scan_forward: read.forward,
            consistent,
            capacity: capacity.clone(),
            ..QueryRequest::new(read.table.clone(), key_condition)
        };
        let out = run(backend.query(&request))?.sorted()?;
        if let Some(r) = &mut remaining {
            *r = r.saturating_sub(out.scanned_count);
        }
        take(&mut page, out.items);
        if let Some(key) = out.last_evaluated_key {
            page.next = Some(Position {
                partition: at.partition,
                key: Some(key),
            });
            break;
        }
        at.partition += 1;
        if at.partition < read.partitions.len()
            && (remaining == Some(0) || page.bytes >= MAX_PAGE_BYTES)
        {
            page.next = Some(Position {
                partition: at.partition,
                key: None,
            });
            break;
        }
    }
    Ok(page)
}

/// What a write did: the item RETURNING answers.
struct Done {
    item: Option<Item>,
}

/// Runs one write, reporting what it consumed to `capacity` (if any).
fn run_write(
    backend: &MemoryBackend,
    write: Write,
    capacity: Option<CapacityRecorder>,
) -> Result<Done, ApiError> {
    Ok(match write {
        Write::Insert(mut put) => {
            put.capacity = capacity;
            match run(backend.put_item(put)) {
                Ok(_) => Done { item: None },
                Err(e) if e.kind == "ConditionalCheckFailedException" => {
                    return Err(duplicate_item())
                }
                Err(e) => return Err(e),
            }
        }
        Write::Update(mut update, _) => {
            update.capacity = capacity;
            let out = run(backend.update_item(&update))?;
            Done {
                item: out.filter(|i| !i.0.is_empty()),
            }
        }
        Write::Delete(mut delete, returning) => {
            delete.capacity = capacity;
            let old = run(backend.delete_item(&delete))?;
            Done {
                item: old.filter(|_| returning.is_some()),
            }
        }
        Write::Check(_) => return Err(exists_outside_transactions()),
    })
}

// -------------------------------------------------- BatchExecuteStatement ---

/// A batch statement as planned: failed already, one item to read, or a write.
enum Planned {
    Failed(ApiError),
    Read(GetItem, Option<Vec<Path>>),
    Write(Write),
}

/// A statement error's code in a batch response (`ConditionalCheckFailed`...).
fn batch_code(kind: &str) -> &'static str {
    match kind {
        "ConditionalCheckFailedException" => "ConditionalCheckFailed",
        "DuplicateItemException" => "DuplicateItem",
        "ValidationException" => "ValidationError",
        "ResourceNotFoundException" => "ResourceNotFound",
        "ProvisionedThroughputExceededException" => "ProvisionedThroughputExceeded",
        "TransactionConflictException" => "TransactionConflict",
        "ThrottlingException" => "ThrottlingError",
        "RequestLimitExceeded" => "RequestLimitExceeded",
        "ItemCollectionSizeLimitExceededException" => "ItemCollectionSizeLimitExceeded",
        "AccessDeniedException" => "AccessDenied",
        _ => "InternalServerError",
    }
}

fn batch_error(error: &ApiError, table: Option<&str>) -> Json {
    let mut response = Map::new();
    response.insert(
        "Error".into(),
        json!({ "Code": batch_code(error.kind), "Message": error.message }),
    );
    if let Some(table) = table {
        response.insert("TableName".into(), json!(table));
    }
    Json::Object(response)
}

pub(crate) fn batch_execute_statement(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let capacity = Collector::of(body)?;
    let mut requests = Vec::new();
    for spec in entries(body, "Statements", MAX_BATCH_STATEMENTS)? {
        check_fields(
            spec,
            &[
                "Statement",
                "Parameters",
                "ConsistentRead",
                "ReturnValuesOnConditionCheckFailure",
            ],
        )?;
        // Accepted as DynamoDB does; a batch statement's error never carries the item.
        return_on_failure(spec)?;
        let entry = Entry::read(spec)?;
        let consistent = opt_bool(spec, "ConsistentRead")?.unwrap_or(false);
        requests.push((entry.parse(), consistent));
    }
    let parsed = || requests.iter().filter_map(|(s, _)| s.as_ref().ok());
    let reads = parsed().any(Statement::is_read);
    if reads && parsed().any(|s| !s.is_read()) {
        return Err(ApiError::validation(
            "Read and write requests together in the same batch is not supported.",
        ));
    }
    let mut tables = Tables::default();
    let mut planned = Vec::with_capacity(requests.len());
    for (statement, consistent) in requests {
        planned.push(match statement {
            Err(e) => Planned::Failed(e),
            Ok(Statement::Exists(_)) => Planned::Failed(exists_outside_transactions()),
            Ok(statement) => match tables.get(backend, statement.table()) {
                Err(e) => Planned::Failed(e),
                Ok(definition) => match statement {
                    Statement::Select(select) => {
                        match plan::single(&select, definition, consistent) {
                            Ok(get) => Planned::Read(get, select.projection),
                            Err(NotSingle::Invalid(e)) => Planned::Failed(e),
                            Err(NotSingle::Index | NotSingle::NotTheKey) => Planned::Failed(
                                ApiError::validation("Only single item select is supported"),
                            ),
                        }
                    }
                    write => match plan::write(write, definition) {
                        Ok(w) => Planned::Write(w),
                        Err(e) => Planned::Failed(e),
                    },
                },
            },
        });
    }
    let mut targets = Vec::new();
    for p in &planned {
        let target = match p {
            Planned::Read(get, _) => (get.table.as_str(), get.key.clone()),
            Planned::Write(w) => w.target(),
            Planned::Failed(_) => continue,
        };
        if targets.contains(&target) {
            return Err(ApiError::validation(
                "Provided list of item keys contains duplicates",
            ));
        }
        targets.push(target);
    }
    let mut responses = Vec::with_capacity(planned.len());
    for p in planned {
        responses.push(match p {
            Planned::Failed(e) => batch_error(&e, None),
            Planned::Read(mut get, projection) => match run(backend.get_item(&GetItem {
                capacity: recorder(&capacity),
                ..get.clone()
            }))
            .and_then(|found| Ok(found.map(RawItem::into_item).transpose()?))
            {
                Err(e) => batch_error(&e, Some(&get.table)),
                Ok(found) => {
                    get.capacity = None;
                    let mut response = Map::new();
                    response.insert("TableName".into(), json!(get.table));
                    if let Some(item) = found {
                        let item = project(item, projection.as_deref());
                        response.insert("Item".into(), encode_item(&item));
                    }
                    Json::Object(response)
                }
            },
            Planned::Write(write) => {
                let table = write.target().0.to_string();
                match run_write(backend, write, recorder(&capacity)) {
                    Err(e) => batch_error(&e, Some(&table)),
                    Ok(done) => {
                        let mut response = Map::new();
                        response.insert("TableName".into(), json!(table));
                        if let Some(item) = done.item {
                            response.insert("Item".into(), encode_item(&item));
                        }
                        Json::Object(response)
                    }
                }
            }
        });
    }
    let mut answer = Map::new();
    answer.insert("Responses".into(), Json::Array(responses));
    // A batch whose every statement failed consumed nothing, and answers no capacity.
    if let Some(capacity) = capacity.map(|c| c.list()) {
        if capacity.as_array().is_some_and(|tables| !tables.is_empty()) {
            answer.insert("ConsumedCapacity".into(), capacity);
        }
    }
    Ok(Json::Object(answer))
}

// ----------------------------------------------------- ExecuteTransaction ---

/// A transaction's answer with its `ConsumedCapacity` (one per table) when asked for.
fn with_consumed(mut answer: Json, capacity: Option<Collector>) -> Json {
    if let Some(capacity) = capacity {
        answer["ConsumedCapacity"] = capacity.list();
    }
    answer
}

fn in_statement(index: usize, message: &str) -> ApiError {
    ApiError::validation(format!(
        "Validation failed in TransactStatements[{index}]: {message}"
    ))
}

pub(crate) fn execute_transaction(cx: &Context<'_>, body: &Body) -> Answer {
    let backend = cx.backend;
    let capacity = Collector::of(body)?;
    let token = opt_str(body, "ClientRequestToken")?.map(str::to_string);
    let mut statements = Vec::new();
    for spec in entries(body, "TransactStatements", MAX_TRANSACTION_STATEMENTS)? {
        check_fields(
            spec,
            &[
                "Statement",
                "Parameters",
                "ReturnValuesOnConditionCheckFailure",
            ],
        )?;
        let return_item = return_on_failure(spec)?;
        statements.push((Entry::read(spec)?.parse()?, return_item));
    }
    let reads = statements.iter().filter(|(s, _)| s.is_read()).count();
    if reads > 0 && reads < statements.len() {
        return Err(ApiError::validation(
            "ExecuteTransaction API does not support both read and write operations in the same request.",
        ));
    }
    let mut tables = Tables::default();
    if reads > 0 {
        let mut gets = Vec::with_capacity(reads);
        let mut projections = Vec::with_capacity(reads);
        for (i, (statement, _)) in statements.into_iter().enumerate() {
            let Statement::Select(select) = statement else {
                unreachable!("all reads")
            };
            if select.index.is_some() {
                return Err(in_statement(
                    i,
                    "Reads on indices are not supported within transactions.",
                ));
            }
            let definition = tables.get(backend, &select.table)?;
            match plan::single(&select, definition, true) {
                Ok(get) => gets.push(get),
                Err(NotSingle::Invalid(e)) => return Err(e),
                Err(NotSingle::Index | NotSingle::NotTheKey) => {
                    return Err(in_statement(
                        i,
                        "Select statements within ExecuteTransaction must specify the primary key in the where clause.",
                    ))
                }
            }
            projections.push(select.projection);
        }
        return super::transactions::read_all(backend, gets, capacity, |i, item| {
            project(item, projections[i].as_deref())
        });
    }
    let count = statements.len();
    let mut actions = Vec::with_capacity(count);
    let mut inserts = Vec::new();
    let mut reasons: Vec<CancellationReason> = (0..count)
        .map(|i| CancellationReason::new(i, CancellationCode::None))
        .collect();
    for (i, (statement, return_item)) in statements.into_iter().enumerate() {
        let returns = matches!(
            statement,
            Statement::Update {
                returning: Some(_),
                ..
            } | Statement::Delete {
                returning: Some(_),
                ..
            }
        );
        if returns {
            return Err(in_statement(
                i,
                "RETURNING clause is not supported in ExecuteTransaction.",
            ));
        }
        let definition = tables.get(backend, statement.table())?;
        match plan::write(statement, definition) {
            Err(e) if e.message == plan::EXISTS_WITHOUT_CONDITION => {
                return Err(in_statement(i, &e.message))
            }
            Err(e) => {
                reasons[i].code = CancellationCode::ValidationError;
                reasons[i].message = Some(e.message);
            }
            Ok(write) => actions.push(match write {
                Write::Insert(mut put) => {
                    inserts.push(i);
                    put.return_item_on_condition_failure = return_item;
                    TransactWriteAction::Put(put)
                }
                Write::Update(mut update, _) => {
                    update.return_item_on_condition_failure = return_item;
                    TransactWriteAction::Update(update)
                }
                Write::Delete(mut delete, _) => {
                    delete.return_item_on_condition_failure = return_item;
                    delete.return_values = orm_core::backend::ReturnValues::None;
                    TransactWriteAction::Delete(delete)
                }
                Write::Check(mut check) => {
                    check.return_item_on_condition_failure = return_item;
                    TransactWriteAction::ConditionCheck(check)
                }
            }),
        }
    }
    if reasons.iter().any(CancellationReason::is_failure) {
        return Err(ApiError::from(orm_core::Error::TransactionCanceled {
            reasons,
        }));
    }
    let request = TransactWrite {
        capacity: recorder(&capacity),
        actions,
        client_request_token: token,
    };
    match run(backend.transact_write(&request)) {
        Ok(()) => Ok(with_consumed(
            json!({ "Responses": vec![json!({}); count] }),
            capacity,
        )),
        Err(ApiError {
            reasons: Some(reasons),
            ..
        }) => {
            let reasons = reasons
                .into_iter()
                .map(|r| {
                    if inserts.contains(&r.index)
                        && r.code == CancellationCode::ConditionalCheckFailed
                    {
                        CancellationReason {
                            code: CancellationCode::Other("DuplicateItem".into()),
                            message: Some(duplicate_item().message),
                            item: None,
                            ..r
                        }
                    } else {
                        r
                    }
                })
                .collect();
            Err(ApiError::from(orm_core::Error::TransactionCanceled {
                reasons,
            }))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests;
