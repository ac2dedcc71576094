//! The browser view of MemoryServer (`--ui`): pages over HTTP, hostile content escaped, the
//! query and scan form, pagination, and what it refuses.

use crate::raw_http;

use orm_memory::server::{handle_json, Credentials, MemoryServer};
use orm_memory::MemoryBackend;
use raw_http::{get, Answer};
use serde_json::json;

fn call(backend: &MemoryBackend, operation: &str, body: serde_json::Value) {
    let (status, answer) = handle_json(backend, operation, body.to_string().as_bytes());
    assert_eq!(status, 200, "{operation}: {answer}");
}

/// A table `app` (pk/sk, a GSI `gsi1`) holding hostile and awkward items, and 60 todos.
fn seeded() -> MemoryBackend {
    let backend = MemoryBackend::new();
    call(
        &backend,
        "CreateTable",
        json!({
            "TableName": "app",
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "gsi1pk", "AttributeType": "S"},
                {"AttributeName": "region", "AttributeType": "S"},
                {"AttributeName": "city", "AttributeType": "S"}
            ],
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"}
            ],
            "GlobalSecondaryIndexes": [{
                "IndexName": "gsi1",
                "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}
            }, {
                "IndexName": "byRegion",
                "KeySchema": [
                    {"AttributeName": "region", "KeyType": "HASH"},
                    {"AttributeName": "city", "KeyType": "HASH"}
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"}
            }]
        }),
    );
    call(
        &backend,
        "PutItem",
        json!({"TableName": "app", "Item": {
            "pk": {"S": "USER#<b>eve</b>"},
            "sk": {"S": "PROFILE"},
            "<script>": {"S": "<script>alert('owned')</script>"},
            "price": {"N": "001.500"},
            "tags": {"SS": ["a\"b", "c"]},
            "blob": {"B": "AAEC"},
            "gsi1pk": {"S": "EMAIL#eve"}
        }}),
    );
    call(
        &backend,
        "PutItem",
        json!({"TableName": "app", "Item": {
            "pk": {"S": "BIG"}, "sk": {"S": "BIG"},
            "data": {"S": "x".repeat(400 * 1024 - 20)}
        }}),
    );
    for (id, city) in [("s1", "Paris"), ("s2", "Paris"), ("s3", "Rome")] {
        call(
            &backend,
            "PutItem",
            json!({"TableName": "app", "Item": {
                "pk": {"S": "STORE"}, "sk": {"S": id},
                "region": {"S": "EU"}, "city": {"S": city}
            }}),
        );
    }
    for i in 0..60 {
        call(
            &backend,
            "PutItem",
            json!({"TableName": "app", "Item": {
                "pk": {"S": "USER#ann"}, "sk": {"S": format!("TODO#{i:03}")},
                "title": {"S": format!("todo {i}")}
            }}),
        );
    }
    backend
}

fn html(answer: &Answer) -> String {
    assert_eq!(
        answer.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{:?}",
        answer.headers
    );
    let csp = answer.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.starts_with("default-src 'none'"),
        "no script may run: {csp:?}"
    );
    String::from_utf8(answer.body.clone()).expect("UTF-8 HTML")
}

#[test]
fn pages_show_tables_items_and_indexes_escaped() {
    let server = MemoryServer::builder(seeded()).ui(true).start().unwrap();
    let addr = server.addr();

    let tables = get(addr, "/ui");
    assert_eq!(tables.status, 200);
    let tables = html(&tables);
    assert!(
        tables.contains("<a href=\"/ui/table?table=app\">app</a>"),
        "{tables}"
    );
    assert!(tables.contains(">65<"), "the item count: {tables}");
    assert!(tables.contains("gsi1"));

    let page = html(&get(addr, "/ui/table?table=app"));
    // Hostile names and values are text, never markup.
    assert!(!page.contains("<script>"), "an unescaped <script>");
    assert!(!page.contains("<b>eve"), "unescaped markup");
    assert!(page.contains("&lt;script&gt;"));
    assert!(page.contains("USER#&lt;b&gt;eve&lt;/b&gt;"));
    // Exact numbers as stored (DynamoDB normalizes 001.500), sets and binary as DynamoDB's JSON.
    assert!(page.contains("N 1.5<"), "{page}");
    assert!(
        page.contains("SS [&quot;a\\&quot;b&quot;,&quot;c&quot;]"),
        "{page}"
    );
    assert!(page.contains("B AAEC"));
    // The 400 KB item is cut in the list...
    assert!(page.contains("bytes in all)"));
    assert!(
        page.len() < 100_000,
        "the list page holds no 400 KB cell: {}",
        page.len()
    );
    // ... items are grouped by partition, 50 a page, with a link to the next.
    assert!(page.contains("partition pk = S USER#ann"), "{page}");
    let next = link_starting(&page, "/ui/table?table=app&amp;start=");
    let second = html(&get(addr, &next));
    assert!(second.contains("15 items on this page"), "{second}");
    assert!(!second.contains("Next page"));

    // The index's contents: only the item with gsi1pk.
    let index = html(&get(addr, "/ui/table?table=app&index=gsi1"));
    assert!(index.contains("Items of index gsi1"));
    assert!(index.contains("1 items on this page"), "{index}");

    // A multi-attribute index: its partitions by every partition attribute.
    let multi = html(&get(addr, "/ui/table?table=app&index=byRegion"));
    assert!(
        multi.contains("partition region = S EU, city = S Paris (2 items)"),
        "{multi}"
    );
    assert!(multi.contains("partition region = S EU, city = S Rome (1 items)"));

    // One item in full, as DynamoDB JSON, escaped.
    let key = r#"{"pk":{"S":"BIG"},"sk":{"S":"BIG"}}"#;
    let item = get(addr, &format!("/ui/item?table=app&key={}", encode(key)));
    assert_eq!(item.status, 200);
    assert!(html(&item).len() > 400 * 1024 - 20);
}

#[test]
fn the_query_form_runs_queries_and_scans() {
    let server = MemoryServer::builder(seeded()).ui(true).start().unwrap();
    let addr = server.addr();
    let form = html(&get(addr, "/ui/query?table=app"));
    assert!(form.contains("<form method=get action=\"/ui/query\">"));
    let query = format!(
        "/ui/query?table=app&key_condition={}&filter={}&names={}&values={}",
        encode("pk = :pk AND begins_with(sk, :p)"),
        encode("#title <> :skip"),
        encode(r##"{"#title": "title"}"##),
        encode(r#"{":pk": "USER#ann", ":p": {"S": "TODO#00"}, ":skip": "todo 3"}"#),
    );
    let answer = html(&get(addr, &query));
    assert!(answer.contains("<h2>Query</h2>"), "{answer}");
    assert!(
        answer.contains("9 items on this page (10 scanned)"),
        "{answer}"
    );
    assert!(answer.contains("S todo 9") && !answer.contains("S todo 3<"));
    // The form keeps what was asked, escaped.
    assert!(answer.contains("value=\"#title &lt;&gt; :skip\""));
    // A reserved word without a name placeholder: DynamoDB's error, as text.
    let reserved = html(&get(
        addr,
        &format!(
            "/ui/query?table=app&filter={}&values={}",
            encode("status = :s"),
            encode(r#"{":s": "x"}"#)
        ),
    ));
    assert!(reserved.contains("reserved keyword: status"), "{reserved}");
    // A scan with a filter, and an engine error shown as text.
    let scan = html(&get(
        addr,
        &format!(
            "/ui/query?table=app&filter={}&values={}",
            encode("price > :n"),
            encode(r#"{":n": 1}"#)
        ),
    ));
    assert!(
        scan.contains("<h2>Scan</h2>") && !scan.contains("class=error"),
        "{scan}"
    );
    let bad = html(&get(
        addr,
        &format!(
            "/ui/query?table=app&key_condition={}",
            encode("pk = :missing")
        ),
    ));
    assert!(bad.contains("class=error>ValidationException"), "{bad}");
}

#[test]
fn stream_records_are_listed_escaped_and_paginated() {
    let backend = MemoryBackend::new();
    call(
        &backend,
        "CreateTable",
        json!({
            "TableName": "feed",
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        }),
    );
    for i in 0..55 {
        call(
            &backend,
            "PutItem",
            json!({"TableName": "feed", "Item": {"pk": {"S": format!("K{i:02}")}, "n": {"N": "1"}}}),
        );
    }
    call(
        &backend,
        "PutItem",
        json!({"TableName": "feed", "Item": {
            "pk": {"S": "K00"}, "<script>": {"S": "</td><script>alert(1)</script>"}
        }}),
    );
    call(
        &backend,
        "DeleteItem",
        json!({"TableName": "feed", "Key": {"pk": {"S": "K01"}}}),
    );
    let server = MemoryServer::builder(backend).ui(true).start().unwrap();
    let addr = server.addr();

    let table = html(&get(addr, "/ui/table?table=feed"));
    assert!(
        table.contains("Stream enabled (NEW_AND_OLD_IMAGES)")
            && table.contains("<a href=\"/ui/stream?table=feed\">shards and records</a>"),
        "{table}"
    );
    let first = html(&get(addr, "/ui/stream?table=feed"));
    assert!(first.contains("<h2>Shards</h2>"), "{first}");
    assert!(first.contains("(open: still recorded to)"), "{first}");
    assert!(first.contains("50 records on this page."), "{first}");
    assert!(first.contains("<td class=event>INSERT</td>"));
    assert!(
        first.contains("keys</th>") && first.contains("pk: S K00"),
        "{first}"
    );
    let next = link_starting(&first, "/ui/stream?table=feed&amp;stream=");
    assert!(next.contains("&after="), "{next}");
    let second = html(&get(addr, &next));
    // 55 inserts, a replacement (MODIFY, with both images) and a removal: 7 after the first 50.
    assert!(second.contains("7 records on this page."), "{second}");
    assert!(!second.contains("Next page"));
    assert!(second.contains("<td class=event>MODIFY</td>"));
    assert!(second.contains("<td class=event>REMOVE</td>"));
    // The hostile name and value are text in the new image.
    assert!(!second.contains("<script>"), "an unescaped <script>");
    assert!(
        second.contains("&lt;script&gt;: S &lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{second}"
    );
    // A table without a stream says so; an unknown shard is an error shown as text.
    let server_plain = MemoryServer::builder(seeded()).ui(true).start().unwrap();
    let none = html(&get(server_plain.addr(), "/ui/stream?table=app"));
    assert!(none.contains("This table has no stream."), "{none}");
    let missing = html(&get(addr, "/ui/stream?table=feed&shard=shardId-nope"));
    assert!(missing.contains("class=error>"), "{missing}");
}

#[test]
fn what_the_view_refuses() {
    let server = MemoryServer::builder(seeded()).ui(true).start().unwrap();
    let addr = server.addr();
    assert_eq!(get(addr, "/ui/table?table=nope").status, 404);
    assert_eq!(get(addr, "/ui/nothing").status, 404);
    assert_eq!(get(addr, "/ui/table").status, 400);
    // Without --ui, GET is the health answer only.
    let plain = MemoryServer::start(MemoryBackend::new()).unwrap();
    let answer = get(plain.addr(), "/ui");
    assert_eq!(answer.body, b"healthy: dynamodb-memory");
    // No sign-in: not together with required signatures.
    let refused = MemoryServer::builder(MemoryBackend::new())
        .ui(true)
        .require_signature(Credentials::new("AKID", "a-long-random-secret"))
        .start()
        .unwrap_err();
    assert!(refused.to_string().contains("no sign-in"), "{refused}");
}

/// The address of the page's first link starting with `prefix` (as written in the HTML).
fn link_starting(page: &str, prefix: &str) -> String {
    page.split("href=\"")
        .find(|s| s.starts_with(prefix))
        .unwrap_or_else(|| panic!("no link starting with {prefix} in {page}"))
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
