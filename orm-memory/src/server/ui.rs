//! The browser view of the engine (`dynamodb-memory --ui`, [`MemoryServerBuilder::ui`]): plain
//! server-rendered HTML pages under `/ui` on the server's own address, read-only.
//!
//! - `/ui`: the tables, with their item counts, keys and indexes;
//! - `/ui/table?table=T`: a table's definition, and its items (or an index's, `&index=I`) by
//!   partition, a page at a time;
//! - `/ui/query?table=T&...`: the query and scan form: a key condition and a filter, written as
//!   DynamoDB expressions, with their names and values, run by the engine as a Query or Scan
//!   request would be, with pagination;
//! - `/ui/item?table=T&key=...`: one item in full, as DynamoDB JSON;
//! - `/ui/stream?table=T`: the table's stream (or a kept older one, `&stream=ARN`): its shards,
//!   and a shard's records (`&shard=S`, from its start or `&after=SEQUENCE_NUMBER`) with their
//!   event name, keys and images, a page at a time.
//!
//! Every page is built from the answers of the server's own operations (ListTables,
//! DescribeTable, Scan, Query, GetItem; ListStreams, DescribeStream, GetShardIterator and
//! GetRecords for streams), so what it shows is what a DynamoDB client would read:
//! numbers exact as stored, sets and binary as DynamoDB's JSON writes them. It changes nothing:
//! only those read operations are called, and only for GET requests. Every value, attribute name
//! and message is HTML-escaped, and the pages forbid scripts altogether
//! (`Content-Security-Policy: default-src 'none'`), so stored text can never run in the browser.
//!
//! [`MemoryServerBuilder::ui`]: super::MemoryServerBuilder::ui

use super::ops;
use crate::MemoryBackend;
use serde_json::{json, Map, Value as Json};
use std::fmt::Write as _;

/// Items shown per page.
const PAGE_SIZE: usize = 50;
/// Characters of one attribute shown in a list before it is cut (the item page shows it all).
const CELL_CHARS: usize = 120;
/// The region the pages' requests are made in (ARNs only).
const REGION: &str = "us-east-1";

/// The Content-Security-Policy of every page: no scripts, no outside resources, inline style only.
pub(crate) const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/// An answer of the browser view: HTTP status and HTML.
#[derive(Debug)]
pub(crate) struct Page {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The HTML document.
    pub(crate) html: String,
}

/// Answers a GET of `path` with query string `query`, or `None` when the path is not the
/// browser view's.
pub(crate) fn answer(backend: &MemoryBackend, path: &str, query: &str) -> Option<Page> {
    let params = Params::parse(query);
    let page = match path {
        "/ui" | "/ui/" => tables_page(backend),
        "/ui/table" => table_page(backend, &params),
        "/ui/query" => query_page(backend, &params),
        "/ui/item" => item_page(backend, &params),
        "/ui/stream" => stream_page(backend, &params),
        _ if path.starts_with("/ui/") => Err(Problem::not_found(format!("no page {path}"))),
        _ => return None,
    };
    Some(page.unwrap_or_else(|problem| Page {
        status: problem.status,
        html: document(
            "Error",
            &format!("<p class=error>{}</p>", escape(&problem.message)),
        ),
    }))
}

/// Why a page cannot be shown.
#[derive(Debug)]
struct Problem {
    status: u16,
    message: String,
}

impl Problem {
    fn not_found(message: String) -> Problem {
        Problem {
            status: 404,
            message,
        }
    }
    fn bad_request(message: String) -> Problem {
        Problem {
            status: 400,
            message,
        }
    }
}

/// Runs one of the server's read operations.
fn call(backend: &MemoryBackend, operation: &str, request: &Json) -> Result<Json, Problem> {
    debug_assert!(matches!(
        operation,
        "ListTables"
            | "DescribeTable"
            | "Scan"
            | "Query"
            | "GetItem"
            | "ListStreams"
            | "DescribeStream"
            | "GetShardIterator"
            | "GetRecords"
    ));
    ops::dispatch(backend, REGION, operation, request).map_err(|e| Problem {
        status: if e.kind == "ResourceNotFoundException" {
            404
        } else {
            e.status
        },
        message: format!("{}: {}", e.kind, e.message),
    })
}

/// The decoded query string.
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: &str) -> Params {
        Params(
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (form_decode(k), form_decode(v))
                })
                .collect(),
        )
    }

    /// The value of `name`, if given and not empty.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn required(&self, name: &str) -> Result<&str, Problem> {
        self.get(name)
            .ok_or_else(|| Problem::bad_request(format!("the parameter `{name}` is missing")))
    }
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space, `%XX` a byte).
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes text for a query-string value.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Escapes text for HTML content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A link to `path` with the query `params` (encoded) and the text `text` (escaped).
fn link(path: &str, params: &[(&str, &str)], text: &str) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect();
    format!(
        "<a href=\"{}?{}\">{}</a>",
        path,
        escape(&query.join("&")),
        escape(text)
    )
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>{} - dynamodb-memory</title><style>{STYLE}</style></head>\
         <body><header><a href=\"/ui\">dynamodb-memory</a> <span class=muted>read-only view</span></header>\
         <main><h1>{}</h1>\n{body}</main></body></html>\n",
        escape(title),
        escape(title),
    )
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24}\
header{background:#232f3e;color:#fff;padding:8px 16px}header a{color:#fff;font-weight:bold;\
text-decoration:none}.muted{color:#8a96a3}main{padding:8px 16px}table{border-collapse:collapse;\
margin:8px 0}td,th{border:1px solid #d0d7de;padding:3px 6px;vertical-align:top;text-align:left}\
th{background:#f3f5f7}tr.partition td{background:#eef6ff;font-weight:bold}code,pre,td.v{font-family:\
ui-monospace,monospace;font-size:12px}pre{background:#f6f8fa;padding:8px;white-space:pre-wrap;\
word-break:break-all}.error{color:#b42318;font-weight:bold}form{background:#f6f8fa;padding:8px;\
border:1px solid #d0d7de}label{display:block;margin:4px 0}input[type=text],textarea,select{\
font-family:ui-monospace,monospace;width:40em;max-width:100%}td.v{max-width:40em;overflow-wrap:anywhere}";

/// The tables, with their keys, indexes and item counts.
fn tables_page(backend: &MemoryBackend) -> Result<Page, Problem> {
    let mut names = Vec::new();
    let mut start: Option<Json> = None;
    loop {
        let mut request = json!({});
        if let Some(start) = start.take() {
            request["ExclusiveStartTableName"] = start;
        }
        let listed = call(backend, "ListTables", &request)?;
        names.extend(
            listed["TableNames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_str().map(str::to_owned)),
        );
        match listed.get("LastEvaluatedTableName") {
            Some(next) if !next.is_null() => start = Some(next.clone()),
            _ => break,
        }
    }
    let mut body = String::new();
    if names.is_empty() {
        body.push_str("<p>No tables yet.</p>");
    } else {
        body.push_str(
            "<table><tr><th>table</th><th>items</th><th>key</th><th>indexes</th>\
             <th>status</th></tr>",
        );
        for name in &names {
            let table = call(backend, "DescribeTable", &json!({"TableName": name}))?;
            let table = &table["Table"];
            let indexes: Vec<String> = index_names(table)
                .into_iter()
                .map(|(index, _)| {
                    link(
                        "/ui/table",
                        &[("table", name.as_str()), ("index", index.as_str())],
                        &index,
                    )
                })
                .collect();
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                link("/ui/table", &[("table", name.as_str())], name),
                table["ItemCount"].as_u64().unwrap_or(0),
                escape(&key_schema(&table["KeySchema"])),
                indexes.join(" "),
                escape(table["TableStatus"].as_str().unwrap_or("")),
            );
        }
        body.push_str("</table>");
    }
    Ok(Page {
        status: 200,
        html: document("Tables", &body),
    })
}

/// `pk (HASH), sk (RANGE)`.
fn key_schema(schema: &Json) -> String {
    schema
        .as_array()
        .into_iter()
        .flatten()
        .map(|k| {
            format!(
                "{} ({})",
                k["AttributeName"].as_str().unwrap_or(""),
                k["KeyType"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table's indexes: (name, description), global ones first.
fn index_names(table: &Json) -> Vec<(String, Json)> {
    ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
        .iter()
        .flat_map(|kind| table[*kind].as_array().cloned().unwrap_or_default())
        .filter_map(|index| {
            let name = index["IndexName"].as_str()?.to_owned();
            Some((name, index))
        })
        .collect()
}

/// The `KeySchema` of the table, or of its index `index` (empty for an index it does not have).
fn key_schema_of(table: &Json, index: Option<&str>) -> Json {
    match index {
        Some(index) => index_names(table)
            .into_iter()
            .find(|(n, _)| n == index)
            .map(|(_, d)| d["KeySchema"].clone())
            .unwrap_or_default(),
        None => table["KeySchema"].clone(),
    }
}

/// A table's definition, and its items (or an index's) by partition, one page at a time.
fn table_page(backend: &MemoryBackend, params: &Params) -> Result<Page, Problem> {
    let name = params.required("table")?;
    let described = call(backend, "DescribeTable", &json!({"TableName": name}))?;
    let table = &described["Table"];
    let index = params.get("index");
    let mut body = String::new();
    let _ = write!(
        body,
        "<h2>Definition</h2><table><tr><th>key</th><td><code>{}</code></td></tr>\
         <tr><th>attribute definitions</th><td><code>{}</code></td></tr>\
         <tr><th>items</th><td>{}</td></tr><tr><th>billing</th><td>{}</td></tr>",
        escape(&key_schema(&table["KeySchema"])),
        escape(
            &table["AttributeDefinitions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| format!(
                    "{} {}",
                    d["AttributeName"].as_str().unwrap_or(""),
                    d["AttributeType"].as_str().unwrap_or("")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        table["ItemCount"].as_u64().unwrap_or(0),
        escape(
            table["BillingModeSummary"]["BillingMode"]
                .as_str()
                .unwrap_or("PROVISIONED")
        ),
    );
    for (index_name, description) in index_names(table) {
        let _ = write!(
            body,
            "<tr><th>index {}</th><td><code>{}</code>, projection {}</td></tr>",
            link(
                "/ui/table",
                &[("table", name), ("index", &index_name)],
                &index_name
            ),
            escape(&key_schema(&description["KeySchema"])),
            escape(
                description["Projection"]["ProjectionType"]
                    .as_str()
                    .unwrap_or("")
            ),
        );
    }
    body.push_str("</table>");
    body.push_str(&streams_section(name, table));
    body.push_str(&capacity_section(backend, name, table));
    let _ = write!(
        body,
        "<p>{}</p>",
        link("/ui/query", &[("table", name)], "Query or scan this table")
    );
    let mut request = json!({"TableName": name, "Limit": PAGE_SIZE});
    if let Some(index) = index {
        request["IndexName"] = json!(index);
    }
    if let Some(start) = params.get("start") {
        request["ExclusiveStartKey"] = parse_start(start)?;
    }
    let scanned = call(backend, "Scan", &request)?;
    let _ = write!(
        body,
        "<h2>{}</h2>",
        escape(&match index {
            Some(index) => format!("Items of index {index}"),
            None => "Items".to_owned(),
        })
    );
    let partition_key = key_schema_of(table, index);
    body.push_str(&items_table(name, table, &partition_key, &scanned));
    let mut next_params = vec![("table", name.to_owned())];
    if let Some(index) = index {
        next_params.push(("index", index.to_owned()));
    }
    body.push_str(&pagination("/ui/table", next_params, &scanned));
    Ok(Page {
        status: 200,
        html: document(&format!("Table {name}"), &body),
    })
}

/// The stream of a table: its view type, and a link to its records (`/ui/stream`), when the
/// table has (or had) one.
fn streams_section(name: &str, table: &Json) -> String {
    let enabled = table["StreamSpecification"]["StreamEnabled"].as_bool() == Some(true);
    if !enabled && table.get("LatestStreamArn").is_none() {
        return String::new();
    }
    let state = if enabled {
        format!(
            "enabled ({})",
            table["StreamSpecification"]["StreamViewType"]
                .as_str()
                .unwrap_or("")
        )
    } else {
        "disabled; its records are kept for 24 hours".to_owned()
    };
    format!(
        "<h2>Stream</h2><p>Stream {}: {}.</p>",
        escape(&state),
        link("/ui/stream", &[("table", name)], "shards and records")
    )
}

/// A table's capacity: its provisioned throughput, when it has one, and what its requests
/// consumed, the engine's totals ([`MemoryBackend::consumed_capacity`]) for the table itself
/// and each index.
fn capacity_section(backend: &MemoryBackend, name: &str, table: &Json) -> String {
    let mut out = String::from("<h2>Capacity</h2>");
    let throughput = &table["ProvisionedThroughput"];
    if let (Some(read), Some(write)) = (
        throughput["ReadCapacityUnits"].as_u64(),
        throughput["WriteCapacityUnits"].as_u64(),
    ) {
        if read + write > 0 {
            let _ = write!(
                out,
                "<p>Provisioned: {read} read, {write} write units a second.</p>"
            );
        }
    }
    let Some(used) = backend.consumed_capacity(name) else {
        out.push_str("<p>No consumed capacity counted yet.</p>");
        return out;
    };
    out.push_str("<table><tr><th>consumed by</th><th>read units</th><th>write units</th></tr>");
    let mut row = |what: &str, read: f64, write: f64| {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{read}</td><td>{write}</td></tr>",
            escape(what)
        );
    };
    row("all", used.read_units, used.write_units);
    if let Some(t) = &used.table_capacity {
        row("the table", t.read_units, t.write_units);
    }
    for (kind, indexes) in [("GSI", &used.global_indexes), ("LSI", &used.local_indexes)] {
        for (index, units) in indexes {
            row(
                &format!("{kind} {index}"),
                units.read_units,
                units.write_units,
            );
        }
    }
    out.push_str("</table>");
    out
}

/// An `ExclusiveStartKey` from a page link: DynamoDB JSON.
fn parse_start(text: &str) -> Result<Json, Problem> {
    serde_json::from_str(text)
        .map_err(|e| Problem::bad_request(format!("the page start key is not JSON: {e}")))
}

/// The link to the next page, if the answer has a `LastEvaluatedKey`.
fn pagination(path: &str, mut params: Vec<(&str, String)>, answer: &Json) -> String {
    let mut out = format!(
        "<p>{} items on this page ({} scanned).",
        answer["Count"].as_u64().unwrap_or(0),
        answer["ScannedCount"].as_u64().unwrap_or(0)
    );
    if let Some(last) = answer.get("LastEvaluatedKey").filter(|k| !k.is_null()) {
        params.push(("start", last.to_string()));
        let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let _ = write!(out, " {}", link(path, &borrowed, "Next page"));
    }
    out.push_str("</p>");
    out
}

/// The items of an answer as a table, grouped by partition (a row per partition value before
/// its items), the key attributes first.
fn items_table(table_name: &str, table: &Json, partition_schema: &Json, answer: &Json) -> String {
    let items: Vec<&Map<String, Json>> = answer["Items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_object)
        .collect();
    if items.is_empty() {
        return "<p>No items.</p>".to_owned();
    }
    let key_names: Vec<String> = table["KeySchema"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["AttributeName"].as_str().map(str::to_owned))
        .collect();
    // Every partition attribute: a multi-attribute index key has up to four.
    let partition: Vec<&str> = partition_schema
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| k["KeyType"] == "HASH")
        .filter_map(|k| k["AttributeName"].as_str())
        .collect();
    let mut columns: Vec<String> = key_names.clone();
    for item in &items {
        for name in item.keys() {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    let mut out = String::from("<table class=items><tr><th></th>");
    for column in &columns {
        let _ = write!(out, "<th>{}</th>", escape(column));
    }
    out.push_str("</tr>");
    let mut groups: Vec<(String, Vec<&Map<String, Json>>)> = Vec::new();
    for item in items {
        let value = partition
            .iter()
            .map(|name| {
                let value = item.get(*name).map(show).unwrap_or_default();
                format!("{name} = {value}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        match groups.iter_mut().find(|(v, _)| *v == value) {
            Some((_, members)) => members.push(item),
            None => groups.push((value, vec![item])),
        }
    }
    for (value, members) in groups {
        let _ = write!(
            out,
            "<tr class=partition><td colspan={}>partition {} ({} items)</td></tr>",
            columns.len() + 1,
            escape(&value),
            members.len()
        );
        for item in members {
            let key: Map<String, Json> = key_names
                .iter()
                .filter_map(|k| item.get(k).map(|v| (k.clone(), v.clone())))
                .collect();
            let _ = write!(
                out,
                "<tr><td>{}</td>",
                link(
                    "/ui/item",
                    &[
                        ("table", table_name),
                        ("key", &Json::Object(key).to_string())
                    ],
                    "item"
                )
            );
            for column in &columns {
                let text = item.get(column).map(show).unwrap_or_default();
                let _ = write!(out, "<td class=v>{}</td>", escape(&cut(&text)));
            }
            out.push_str("</tr>");
        }
    }
    out.push_str("</table>");
    out
}

/// An attribute value as DynamoDB's JSON writes it, compactly: `{"N":"1.50"}` -> `N 1.50`,
/// `{"SS":["a","b"]}` -> `SS ["a","b"]`, maps and lists as their JSON.
fn show(value: &Json) -> String {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return value.to_string();
    };
    match inner {
        Json::String(s) => format!("{kind} {s}"),
        Json::Bool(b) => format!("{kind} {b}"),
        other => format!("{kind} {other}"),
    }
}

/// Text cut to [`CELL_CHARS`] characters, saying how long it was.
fn cut(text: &str) -> String {
    match text.char_indices().nth(CELL_CHARS) {
        Some((at, _)) => format!("{}… ({} bytes in all)", &text[..at], text.len()),
        None => text.to_owned(),
    }
}

/// One item in full, as DynamoDB JSON.
fn item_page(backend: &MemoryBackend, params: &Params) -> Result<Page, Problem> {
    let name = params.required("table")?;
    let key: Json = serde_json::from_str(params.required("key")?)
        .map_err(|e| Problem::bad_request(format!("the key is not JSON: {e}")))?;
    let got = call(
        backend,
        "GetItem",
        &json!({"TableName": name, "Key": key, "ConsistentRead": true}),
    )?;
    let body = match got.get("Item") {
        Some(item) => format!(
            "<p>{}</p><pre>{}</pre>",
            link("/ui/table", &[("table", name)], &format!("Back to {name}")),
            escape(&serde_json::to_string_pretty(item).unwrap_or_default())
        ),
        None => return Err(Problem::not_found(format!("no item at {key} in {name}"))),
    };
    Ok(Page {
        status: 200,
        html: document(&format!("Item of {name}"), &body),
    })
}

/// The query and scan form, and the answer when it was sent.
fn query_page(backend: &MemoryBackend, params: &Params) -> Result<Page, Problem> {
    let name = params.required("table")?;
    let described = call(backend, "DescribeTable", &json!({"TableName": name}))?;
    let table = &described["Table"];
    let index = params.get("index");
    let key_condition = params.get("key_condition");
    let filter = params.get("filter");
    let names = params.get("names");
    let values = params.get("values");
    let mut body = String::new();
    let _ = write!(
        body,
        "<form method=get action=\"/ui/query\"><input type=hidden name=table value=\"{}\">\
         <label>Index <select name=index><option value=\"\">(the table)</option>",
        escape(name)
    );
    for (index_name, _) in index_names(table) {
        let selected = if Some(index_name.as_str()) == index {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            body,
            "<option value=\"{0}\"{selected}>{0}</option>",
            escape(&index_name)
        );
    }
    let _ = write!(
        body,
        "</select></label>\
         <label>Key condition (a Query; empty: a Scan) <input type=text name=key_condition \
         value=\"{}\" placeholder=\"pk = :pk AND begins_with(sk, :prefix)\"></label>\
         <label>Filter <input type=text name=filter value=\"{}\" \
         placeholder=\"attribute_exists(email)\"></label>\
         <label>Names (JSON, for reserved words such as status or name) <input type=text \
         name=names value=\"{}\" placeholder='{{\"#status\": \"status\"}}'></label>\
         <label>Values (JSON: DynamoDB's typed values, or plain strings and numbers) \
         <textarea name=values rows=3 placeholder='{{\":pk\": \"USER#alice\", \":prefix\": \
         {{\"S\": \"TODO#\"}}}}'>{}</textarea></label>\
         <button type=submit>Run</button></form>",
        escape(key_condition.unwrap_or("")),
        escape(filter.unwrap_or("")),
        escape(names.unwrap_or("")),
        escape(values.unwrap_or("")),
    );
    let ran = params.get("run").is_some() || key_condition.is_some() || filter.is_some();
    if ran || params.get("start").is_some() {
        let operation = if key_condition.is_some() {
            "Query"
        } else {
            "Scan"
        };
        let mut request = json!({
            "TableName": name,
            "Limit": PAGE_SIZE,
            "ReturnConsumedCapacity": "TOTAL",
        });
        if let Some(index) = index {
            request["IndexName"] = json!(index);
        }
        if let Some(condition) = key_condition {
            request["KeyConditionExpression"] = json!(condition);
        }
        if let Some(filter) = filter {
            request["FilterExpression"] = json!(filter);
        }
        if let Some(names) = names {
            request["ExpressionAttributeNames"] = attribute_names(names)?;
        }
        if let Some(values) = values {
            request["ExpressionAttributeValues"] = typed_values(values)?;
        }
        if let Some(start) = params.get("start") {
            request["ExclusiveStartKey"] = parse_start(start)?;
        }
        match call(backend, operation, &request) {
            Ok(answer) => {
                let partition_schema = key_schema_of(table, index);
                let _ = write!(
                    body,
                    "<h2>{operation}</h2><p>Consumed capacity: {} read units.</p>",
                    answer["ConsumedCapacity"]["CapacityUnits"]
                );
                body.push_str(&items_table(name, table, &partition_schema, &answer));
                let mut next = vec![("table", name.to_owned()), ("run", "1".to_owned())];
                for (param, value) in [
                    ("index", index),
                    ("key_condition", key_condition),
                    ("filter", filter),
                    ("names", names),
                    ("values", values),
                ] {
                    if let Some(value) = value {
                        next.push((param, value.to_owned()));
                    }
                }
                body.push_str(&pagination("/ui/query", next, &answer));
            }
            Err(problem) => {
                let _ = write!(body, "<p class=error>{}</p>", escape(&problem.message));
            }
        }
    }
    Ok(Page {
        status: 200,
        html: document(&format!("Query {name}"), &body),
    })
}

/// The expression attribute names of the form: a JSON object of strings (`{"#s": "status"}`).
fn attribute_names(text: &str) -> Result<Json, Problem> {
    match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(members)) if members.values().all(Json::is_string) => {
            Ok(Json::Object(members))
        }
        Ok(_) => Err(Problem::bad_request(
            "the names must be a JSON object of strings such as {\"#s\": \"status\"}".to_owned(),
        )),
        Err(e) => Err(Problem::bad_request(format!("the names are not JSON: {e}"))),
    }
}

/// The expression values of the form: a JSON object whose members are DynamoDB typed values
/// (`{"S": "x"}`), or plain strings (S), numbers (N, kept as written) and booleans (BOOL).
fn typed_values(text: &str) -> Result<Json, Problem> {
    let parsed: Json = serde_json::from_str(text)
        .map_err(|e| Problem::bad_request(format!("the values are not JSON: {e}")))?;
    let Json::Object(members) = parsed else {
        return Err(Problem::bad_request(
            "the values must be a JSON object such as {\":pk\": \"USER#alice\"}".to_owned(),
        ));
    };
    let typed = members
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                Json::String(s) => json!({"S": s}),
                Json::Number(n) => json!({"N": n.to_string()}),
                Json::Bool(b) => json!({"BOOL": b}),
                other => other,
            };
            (name, value)
        })
        .collect();
    Ok(Json::Object(typed))
}

/// Every page of a paginated listing: `list` is called with the previous answer's
/// `last_member` (none at first), and the members under `member` of each answer are collected.
fn every_page(
    mut list: impl FnMut(Option<&Json>) -> Result<Json, Problem>,
    member: &str,
    last_member: &str,
) -> Result<Vec<Json>, Problem> {
    let mut all = Vec::new();
    let mut last: Option<Json> = None;
    loop {
        let answer = list(last.as_ref())?;
        all.extend(answer[member].as_array().cloned().unwrap_or_default());
        match answer.get(last_member) {
            Some(next) if !next.is_null() => last = Some(next.clone()),
            _ => return Ok(all),
        }
    }
}

/// A table's stream: the table's streams (the current one, and older ones still kept), the
/// chosen stream's shards, and one shard's records, a page at a time.
fn stream_page(backend: &MemoryBackend, params: &Params) -> Result<Page, Problem> {
    let name = params.required("table")?;
    let described = call(backend, "DescribeTable", &json!({"TableName": name}))?;
    let streams = every_page(
        |start| {
            let mut request = json!({"TableName": name});
            if let Some(start) = start {
                request["ExclusiveStartStreamArn"] = start.clone();
            }
            call(backend, "ListStreams", &request)
        },
        "Streams",
        "LastEvaluatedStreamArn",
    )?;
    let mut body = format!(
        "<p>{}</p>",
        link("/ui/table", &[("table", name)], &format!("Back to {name}"))
    );
    // The stream asked for, else the table's latest, else the newest listed.
    let Some(arn) = params
        .get("stream")
        .map(str::to_owned)
        .or_else(|| {
            described["Table"]["LatestStreamArn"]
                .as_str()
                .map(str::to_owned)
        })
        .or_else(|| {
            streams
                .last()
                .and_then(|s| s["StreamArn"].as_str().map(str::to_owned))
        })
    else {
        body.push_str("<p>This table has no stream.</p>");
        return Ok(Page {
            status: 200,
            html: document(&format!("Stream of {name}"), &body),
        });
    };
    if streams.len() > 1 {
        body.push_str("<p>Streams of this table (the older ones are kept for 24 hours after they are disabled):</p><ul>");
        for stream in &streams {
            let other = stream["StreamArn"].as_str().unwrap_or_default();
            let label = stream["StreamLabel"].as_str().unwrap_or_default();
            if other == arn {
                let _ = write!(body, "<li>{} (shown)</li>", escape(label));
            } else {
                let _ = write!(
                    body,
                    "<li>{}</li>",
                    link("/ui/stream", &[("table", name), ("stream", other)], label)
                );
            }
        }
        body.push_str("</ul>");
    }
    let mut description = json!({});
    let shards = every_page(
        |start| {
            let mut request = json!({"StreamArn": arn});
            if let Some(start) = start {
                request["ExclusiveStartShardId"] = start.clone();
            }
            let answer = call(backend, "DescribeStream", &request)?;
            description = answer["StreamDescription"].clone();
            Ok(answer["StreamDescription"].clone())
        },
        "Shards",
        "LastEvaluatedShardId",
    )?;
    let _ = write!(
        body,
        "<h2>Stream {}</h2><table><tr><th>ARN</th><td><code>{}</code></td></tr>\
         <tr><th>status</th><td>{}</td></tr><tr><th>view type</th><td>{}</td></tr></table>",
        escape(description["StreamLabel"].as_str().unwrap_or_default()),
        escape(&arn),
        escape(description["StreamStatus"].as_str().unwrap_or_default()),
        escape(description["StreamViewType"].as_str().unwrap_or_default()),
    );
    let shard_ids: Vec<&str> = shards
        .iter()
        .filter_map(|s| s["ShardId"].as_str())
        .collect();
    let shard = params.get("shard").or_else(|| shard_ids.first().copied());
    body.push_str(
        "<h2>Shards</h2><table><tr><th>shard</th><th>parent</th><th>first sequence number</th>\
         <th>last sequence number</th></tr>",
    );
    for s in &shards {
        let id = s["ShardId"].as_str().unwrap_or_default();
        let shown = if Some(id) == shard {
            format!("{} (shown)", escape(id))
        } else {
            link(
                "/ui/stream",
                &[("table", name), ("stream", &arn), ("shard", id)],
                id,
            )
        };
        let range = &s["SequenceNumberRange"];
        let _ = write!(
            body,
            "<tr><td>{shown}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            escape(s["ParentShardId"].as_str().unwrap_or("")),
            escape(range["StartingSequenceNumber"].as_str().unwrap_or("")),
            match range["EndingSequenceNumber"].as_str() {
                Some(end) => format!("<code>{}</code>", escape(end)),
                None => "(open: still recorded to)".to_owned(),
            },
        );
    }
    body.push_str("</table>");
    if let Some(shard) = shard {
        body.push_str(&shard_records(
            backend,
            name,
            &arn,
            shard,
            params.get("after"),
        ));
    }
    Ok(Page {
        status: 200,
        html: document(&format!("Stream of {name}"), &body),
    })
}

/// A page of one shard's records: from its start, or after the sequence number `after`.
fn shard_records(
    backend: &MemoryBackend,
    table: &str,
    arn: &str,
    shard: &str,
    after: Option<&str>,
) -> String {
    let mut request = json!({"StreamArn": arn, "ShardId": shard});
    match after {
        Some(sequence) => {
            request["ShardIteratorType"] = json!("AFTER_SEQUENCE_NUMBER");
            request["SequenceNumber"] = json!(sequence);
        }
        None => request["ShardIteratorType"] = json!("TRIM_HORIZON"),
    }
    // One record more than a page: whether there is a next page.
    let read = call(backend, "GetShardIterator", &request).and_then(|iterator| {
        call(
            backend,
            "GetRecords",
            &json!({"ShardIterator": iterator["ShardIterator"], "Limit": PAGE_SIZE + 1}),
        )
    });
    let mut out = format!("<h2>Records of shard {}</h2>", escape(shard));
    let records = match read {
        Ok(answer) => answer["Records"].as_array().cloned().unwrap_or_default(),
        Err(problem) => {
            let _ = write!(out, "<p class=error>{}</p>", escape(&problem.message));
            return out;
        }
    };
    if records.is_empty() {
        out.push_str("<p>No records.</p>");
        return out;
    }
    let more = records.len() > PAGE_SIZE;
    let shown = &records[..records.len().min(PAGE_SIZE)];
    out.push_str(
        "<table class=records><tr><th>sequence number</th><th>event</th><th>time (UTC)</th>\
         <th>keys</th><th>new image</th><th>old image</th><th>bytes</th></tr>",
    );
    for record in shown {
        let change = &record["dynamodb"];
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td class=event>{}</td><td>{}</td><td class=v>{}</td>\
             <td class=v>{}</td><td class=v>{}</td><td>{}</td></tr>",
            escape(change["SequenceNumber"].as_str().unwrap_or("")),
            escape(record["eventName"].as_str().unwrap_or("")),
            escape(
                &change["ApproximateCreationDateTime"]
                    .as_f64()
                    .map(utc)
                    .unwrap_or_default()
            ),
            escape(&cut(&image(&change["Keys"]))),
            escape(&cut(&image(&change["NewImage"]))),
            escape(&cut(&image(&change["OldImage"]))),
            change["SizeBytes"].as_u64().unwrap_or(0),
        );
    }
    out.push_str("</table>");
    let _ = write!(out, "<p>{} records on this page.", shown.len());
    if more {
        let last = shown[shown.len() - 1]["dynamodb"]["SequenceNumber"]
            .as_str()
            .unwrap_or_default();
        let _ = write!(
            out,
            " {}",
            link(
                "/ui/stream",
                &[
                    ("table", table),
                    ("stream", arn),
                    ("shard", shard),
                    ("after", last)
                ],
                "Next page"
            )
        );
    }
    out.push_str("</p>");
    out
}

/// An item (keys or an image) as `name: value` pairs, each value as [`show`] writes it; empty
/// when absent.
fn image(item: &Json) -> String {
    item.as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| format!("{name}: {}", show(value)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Seconds since the epoch, as UTC RFC 3339.
fn utc(seconds: f64) -> String {
    std::time::Duration::try_from_secs_f64(seconds)
        .map(|d| orm_core::timestamp::rfc3339(std::time::UNIX_EPOCH + d))
        .unwrap_or_else(|_| seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_decoding() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(form_decode("a+b%3Cc%3E%2"), "a b<c>%2");
        assert_eq!(form_decode("%E2%82%AC"), "€");
        assert_eq!(url_encode("a b<#>"), "a%20b%3C%23%3E");
        let params = Params::parse("table=app&key_condition=pk+%3D+%3Apk&empty=");
        assert_eq!(params.get("key_condition"), Some("pk = :pk"));
        assert_eq!(params.get("empty"), None);
    }

    #[test]
    fn values_are_typed() {
        let typed =
            typed_values(r#"{":a": "x", ":n": 1.50, ":b": true, ":s": {"SS": ["q"]}}"#).unwrap();
        assert_eq!(typed[":a"], json!({"S": "x"}));
        assert_eq!(typed[":n"], json!({"N": "1.5"}));
        assert_eq!(typed[":b"], json!({"BOOL": true}));
        assert_eq!(typed[":s"], json!({"SS": ["q"]}));
        assert!(typed_values("[1]").is_err());
        assert_eq!(
            attribute_names(r##"{"#s": "status"}"##).unwrap(),
            json!({"#s": "status"})
        );
        assert!(attribute_names(r##"{"#s": 1}"##).is_err());
        assert!(attribute_names("{").is_err());
    }

    #[test]
    fn cells_are_cut_and_values_shown_as_dynamodb_writes_them() {
        assert_eq!(show(&json!({"N": "1.50"})), "N 1.50");
        assert_eq!(show(&json!({"SS": ["a", "b"]})), "SS [\"a\",\"b\"]");
        let long = "x".repeat(500);
        let shown = cut(&long);
        assert!(shown.ends_with("… (500 bytes in all)"), "{shown}");
        assert!(shown.len() < 200);
    }
}
