//! The spans as OpenTelemetry receives them: `tracing-opentelemetry` over an in-memory exporter,
//! the ORM on `DynamoBackend` talking to a `MemoryServer` over HTTP. Checks the semantic-
//! convention attribute names of docs/observability.md, the span names, kinds, parents and
//! statuses, and that no attribute value of an item ever reaches a span.

use opentelemetry::trace::{SpanKind, Status, TracerProvider as _};
use opentelemetry::{KeyValue, Value as OtelValue};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use orm_core::prelude::*;
use orm_dynamodb::DynamoBackend;
use orm_memory::server::MemoryServer;
use orm_memory::MemoryBackend;
use serde::{Deserialize, Serialize};
use tracing_subscriber::layer::SubscriberExt;

/// A model whose key and attributes are personal data: none of it may appear in a span.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Member", pk = "MEMBER#{email}", sk = "PROFILE")]
#[model(index(name = "gsi1", pk = "CITY#{city}", sk = "{email}"))]
struct Member {
    email: String,
    city: String,
    phone: String,
}

const SECRETS: [&str; 3] = ["ada@secret.example", "Llanfair-secret", "+44-secret-0000"];

fn member(n: u32) -> Member {
    Member {
        email: if n == 0 {
            SECRETS[0].to_owned()
        } else {
            format!("{n}-{}", SECRETS[0])
        },
        city: SECRETS[1].to_owned(),
        phone: SECRETS[2].to_owned(),
    }
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a OtelValue> {
    span.attributes
        .iter()
        .find(|kv: &&KeyValue| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn string(span: &SpanData, key: &str) -> String {
    match attr(span, key) {
        Some(v) => v.as_str().into_owned(),
        None => panic!(
            "span {} has no attribute {key}: {:?}",
            span.name, span.attributes
        ),
    }
}

fn int(span: &SpanData, key: &str) -> i64 {
    match attr(span, key) {
        Some(OtelValue::I64(v)) => *v,
        other => panic!("span {}: {key} is {other:?}, not an integer", span.name),
    }
}

/// The spans named `name`. aws-sdk-dynamodb opens its own internal span of the same name
/// (`DynamoDB.GetItem`, ...) inside ours: a `DynamoDB.` name means ours, the CLIENT span that
/// carries `db.system.name`.
fn spans_named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| !name.starts_with("DynamoDB.") || attr(s, "db.system.name").is_some())
        .collect()
}

fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found = spans_named(spans, name);
    assert_eq!(
        found.len(),
        1,
        "expected one span {name}, got {}: {:?}",
        found.len(),
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_and_orm_spans_carry_the_semantic_convention_names_and_no_values() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("orm-test")));
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MemoryServer::start(MemoryBackend::new()).expect("MemoryServer");
    let backend = DynamoBackend::builder()
        .endpoint_url(server.endpoint())
        .region("us-east-1")
        .credentials("fake", "fake")
        .table_prefix("test_")
        .build()
        .await
        .expect("backend");
    let table = Table::new(backend, "app");
    table.create_table::<Member>().await.expect("create_table");

    member(0).create(&table).await.expect("create");
    let again = member(0).create(&table).await;
    assert!(
        matches!(again, Err(Error::AlreadyExists { .. })),
        "{again:?}"
    );
    let got = Member::get(&table, Member::key(SECRETS[0])).await.unwrap();
    assert_eq!(got, member(0));
    let batch: Vec<Member> = (1..=3).map(member).collect();
    Member::batch_put(&table, &batch).await.unwrap();
    let by_city: Vec<Member> = Member::query(&table)
        .index("gsi1")
        .partition(format!("CITY#{}", SECRETS[1]))
        .limit(10)
        .all()
        .await
        .unwrap();
    assert_eq!(by_city.len(), 4);

    drop(_guard);
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();

    // Values never recorded: no attribute of any span holds a key or an attribute value.
    for span in &spans {
        for kv in &span.attributes {
            let v = kv.value.as_str();
            for secret in SECRETS {
                assert!(
                    !v.contains(secret),
                    "span {} records a value in {}: {v}",
                    span.name,
                    kv.key
                );
            }
        }
    }

    // Every DynamoDB call: a CLIENT span named `DynamoDB.<Operation>` with the conventions'
    // system, RPC and table attributes.
    let calls: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name.starts_with("DynamoDB.") && attr(s, "db.system.name").is_some())
        .collect();
    assert!(calls.len() >= 6, "{calls:?}");
    for call in &calls {
        let operation = call.name.trim_start_matches("DynamoDB.");
        assert_eq!(call.span_kind, SpanKind::Client, "{}", call.name);
        assert_eq!(string(call, "db.system.name"), "aws.dynamodb");
        assert_eq!(string(call, "db.operation.name"), operation);
        assert_eq!(string(call, "rpc.system"), "aws-api");
        assert_eq!(string(call, "rpc.service"), "DynamoDB");
        assert_eq!(string(call, "rpc.method"), operation);
        // The name sent to DynamoDB, prefix included.
        assert_eq!(string(call, "aws.dynamodb.table_names"), "test_app");
        assert!(!string(call, "aws.request_id").is_empty());
    }

    // A GetItem inside `orm.get`: its parent, the read parameters, the rows, the capacity.
    let get = one(&spans, "DynamoDB.GetItem");
    let orm_get = one(&spans, "orm.get");
    assert_eq!(get.parent_span_id, orm_get.span_context.span_id());
    assert_eq!(string(orm_get, "aws.dynamodb.table_names"), "app");
    assert_eq!(string(orm_get, "orm.entity"), "Member");
    // Recorded when the request says it (an eventually consistent read may leave it out).
    assert!(attr(get, "aws.dynamodb.consistent_read").is_none_or(|v| *v == false.into()));
    assert_eq!(int(get, "db.response.returned_rows"), 1);
    let capacity: serde_json::Value =
        serde_json::from_str(&string(get, "aws.dynamodb.consumed_capacity")).unwrap();
    assert_eq!(capacity["TableName"], "test_app");
    assert_eq!(capacity["CapacityUnits"], 0.5, "{capacity}");
    assert_eq!(attr(get, "orm.capacity_units"), Some(&0.5.into()));

    // The refused create: the call has an ERROR status and `error.type`.
    let puts = spans_named(&spans, "DynamoDB.PutItem");
    assert_eq!(puts.len(), 2);
    let failed = puts
        .iter()
        .find(|s| matches!(s.status, Status::Error { .. }))
        .expect("the refused PutItem has an ERROR status");
    assert_eq!(string(failed, "error.type"), "ConditionFailed");
    let ok = puts.iter().find(|s| s.status == Status::Unset).unwrap();
    assert!(attr(ok, "error.type").is_none());
    // One unit for the table and one for gsi1, which a Member is written to: TOTAL counts
    // every index write, as DynamoDB does.
    assert_eq!(attr(ok, "orm.capacity_units"), Some(&2.0.into()));

    // The batch: its size on the ORM span and on the call.
    let batch_put = one(&spans, "orm.batch_put");
    assert_eq!(int(batch_put, "db.operation.batch.size"), 3);
    let batch_write = one(&spans, "DynamoDB.BatchWriteItem");
    assert_eq!(int(batch_write, "db.operation.batch.size"), 3);
    assert_eq!(attr(batch_write, "orm.capacity_units"), Some(&6.0.into()));

    // The index query: index name, limit, counts.
    let query = one(&spans, "DynamoDB.Query");
    assert_eq!(string(query, "aws.dynamodb.index_name"), "gsi1");
    assert!(int(query, "aws.dynamodb.limit") >= 4);
    assert!(attr(query, "aws.dynamodb.scan_forward").is_none_or(|v| *v == true.into()));
    assert_eq!(int(query, "aws.dynamodb.count"), 4);
    assert_eq!(int(query, "aws.dynamodb.scanned_count"), 4);
    assert_eq!(int(query, "db.response.returned_rows"), 4);
    let all = one(&spans, "orm.all");
    assert_eq!(query.parent_span_id, all.span_context.span_id());
    assert_eq!(int(all, "aws.dynamodb.limit"), 10);
    assert_eq!(string(all, "orm.entity"), "Member");

    server.shutdown();
}
