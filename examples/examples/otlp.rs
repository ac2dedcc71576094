//! Exports the ORM's spans to an OpenTelemetry collector over OTLP (gRPC), with
//! `tracing-opentelemetry` and `opentelemetry-otlp`: each ORM operation becomes a span with the
//! DynamoDB calls it made as CLIENT children, named and attributed by OpenTelemetry's semantic
//! conventions for DynamoDB (docs/observability.md).
//!
//! ```sh
//! # a collector (or Jaeger, or any OTLP endpoint) listening on localhost:4317, then:
//! cargo run -p orm-examples --example otlp
//! # elsewhere: OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317 cargo run ...
//! # on DynamoDB: DYNAMODB_ENDPOINT=http://localhost:8000 AWS_REGION=... cargo run ...
//! ```
//!
//! Without a collector the example still runs; the exporter reports that it could not connect.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use orm_core::prelude::*;
use serde::{Deserialize, Serialize};
use tracing_subscriber::layer::SubscriberExt;

#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Order", pk = "CUSTOMER#{customer}", sk = "ORDER#{order}")]
struct Order {
    customer: String,
    order: u32,
    total_cents: u64,
}

/// The tracer provider: spans batched and sent over OTLP/gRPC to
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (default `http://localhost:4317`).
fn provider() -> Result<SdkTracerProvider, Box<dyn std::error::Error>> {
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .unwrap_or_else(|_| "http://localhost:4317".to_owned());
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name("orders").build())
        .build())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider = provider()?;
    // The ORM's spans are at DEBUG level: keep them (a real application filters with
    // tracing-subscriber's `EnvFilter`, e.g. `orm=debug`).
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("orders")));
    tracing::subscriber::set_global_default(subscriber)?;

    println!("backend: {}", orm_examples::backend_name());
    let table = orm_examples::table(&orm_examples::unique_name("otlp")).await?;
    table.create_table::<Order>().await?;
    let orders: Vec<Order> = (1..=5)
        .map(|order| Order {
            customer: "c1".into(),
            order,
            total_cents: 1000 * u64::from(order),
        })
        .collect();
    // Spans: orm.batch_put > orm.batch_attempt > DynamoDB.BatchWriteItem, orm.get >
    // DynamoDB.GetItem, orm.paginate > DynamoDB.Query, each with its capacity when DynamoDB
    // returns it; the keys and totals above appear in none of them.
    Order::batch_put(&table, &orders).await?;
    let first = Order::get(&table, Order::key("c1", 1u32)).await?;
    let all = Order::query(&table)
        .partition(Order::partition("c1"))
        .all()
        .await?;
    println!("first: {first:?}; {} orders", all.len());
    table.delete_table().await?;

    // Sends what is still batched before the process ends.
    provider.shutdown()?;
    Ok(())
}
