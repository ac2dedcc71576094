//! Item 2: model <-> attribute map conversion, the ORM's serde bridge vs serde_dynamo 4, for the
//! same ~1 KB order; plus an exactness check of numbers both ways.
//!
//! `to_attrs/*`: `&Order` -> `HashMap<String, AttributeValue>` (the SDK's item type).
//! `from_attrs/*`: `HashMap<String, AttributeValue>` -> `Order` (the map is consumed; its clone
//! is made outside the timing). `*/hand` is hand-written code, for reference.

use aws_sdk_dynamodb::types::AttributeValue;
use criterion::{BatchSize, Criterion, Throughput};
use orm_benches::measure::write_result;
use orm_benches::model::{sample, Order};
use orm_benches::sdk::{order_from_attributes, order_to_attributes, AttributeMap};
use orm_core::{from_item, to_item, Number};
use orm_dynamodb::convert::{item_from_attributes, item_to_attributes};
use serde::{Deserialize, Serialize};
use std::hint::black_box;

fn orm_to(o: &Order) -> AttributeMap {
    item_to_attributes(to_item(o).unwrap())
}

fn orm_from(m: AttributeMap) -> Order {
    from_item(item_from_attributes(m).unwrap()).unwrap()
}

fn sd_to(o: &Order) -> AttributeMap {
    serde_dynamo::to_item(o).unwrap()
}

fn sd_from(m: AttributeMap) -> Order {
    serde_dynamo::from_item(m).unwrap()
}

fn benches(c: &mut Criterion) {
    let order = sample(42);
    // The fields only (no keys), as both libraries see the struct.
    let attrs = sd_to(&order);
    assert_eq!(orm_to(&order), attrs, "both produce the same map");
    assert_eq!(orm_from(attrs.clone()), order);
    assert_eq!(sd_from(attrs.clone()), order);

    let mut g = c.benchmark_group("conversion");
    g.throughput(Throughput::Elements(1));
    g.bench_function("to_attrs/orm", |b| b.iter(|| orm_to(black_box(&order))));
    g.bench_function("to_attrs/serde_dynamo", |b| {
        b.iter(|| sd_to(black_box(&order)))
    });
    g.bench_function("to_attrs/hand", |b| {
        b.iter(|| order_to_attributes(black_box(&order)))
    });
    g.bench_function("from_attrs/orm", |b| {
        b.iter_batched(|| attrs.clone(), orm_from, BatchSize::SmallInput)
    });
    g.bench_function("from_attrs/serde_dynamo", |b| {
        b.iter_batched(|| attrs.clone(), sd_from, BatchSize::SmallInput)
    });
    g.bench_function("from_attrs/hand", |b| {
        let stored = order_to_attributes(&order);
        b.iter_batched(
            || stored.clone(),
            |m| order_from_attributes(m).unwrap(),
            BatchSize::SmallInput,
        )
    });
    // The ORM's own item type, without the SDK map step.
    g.bench_function("to_item/orm", |b| {
        b.iter(|| to_item(black_box(&order)).unwrap())
    });
    let item = to_item(&order).unwrap();
    g.bench_function("from_item/orm", |b| {
        b.iter_batched(
            || item.clone(),
            |i| from_item::<Order>(i).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// One number case: what each library stores and reads back.
fn case<T>(name: &str, value: T) -> serde_json::Value
where
    T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
{
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Doc<T> {
        v: T,
    }
    let doc = Doc { v: value };
    let describe = |stored: Result<AttributeMap, String>, back: Option<Result<Doc<T>, String>>| {
        let stored_text = match &stored {
            Ok(m) => match m.get("v") {
                Some(AttributeValue::N(n)) => format!("N {n}"),
                Some(other) => format!("{other:?}"),
                None => "(absent)".into(),
            },
            Err(e) => format!("refused: {e}"),
        };
        let invalid = matches!(&stored, Ok(m) if matches!(m.get("v"), Some(AttributeValue::N(n)) if Number::parse(n).is_err()));
        let verdict = match back {
            _ if invalid => "invalid number: DynamoDB rejects the write".to_owned(),
            Some(Ok(d)) if d == doc => "exact".to_owned(),
            Some(Ok(d)) => format!("LOSSY: read back {:?}", d.v),
            Some(Err(e)) => format!("read error: {e}"),
            None => "(refused on write)".to_owned(),
        };
        serde_json::json!({ "stored": stored_text, "round_trip": verdict })
    };
    let orm_stored = to_item(&doc)
        .map(item_to_attributes)
        .map_err(|e| e.to_string());
    let orm_back = orm_stored.as_ref().ok().map(|m| {
        item_from_attributes(m.clone())
            .map_err(|e| e.to_string())
            .and_then(|i| from_item::<Doc<T>>(i).map_err(|e| e.to_string()))
    });
    let sd_stored: Result<AttributeMap, String> =
        serde_dynamo::to_item(&doc).map_err(|e| e.to_string());
    let sd_back = sd_stored
        .as_ref()
        .ok()
        .map(|m| serde_dynamo::from_item::<_, Doc<T>>(m.clone()).map_err(|e| e.to_string()));
    serde_json::json!({
        "case": name,
        "orm": describe(orm_stored, orm_back),
        "serde_dynamo": describe(sd_stored, sd_back),
    })
}

/// A 38-digit decimal written as an exact text, read back into a typed field.
fn decimal_case() -> serde_json::Value {
    let text = "1234567890123456789.0123456789012345678";
    let mut m = AttributeMap::new();
    m.insert("v".into(), AttributeValue::N(text.into()));
    #[derive(Deserialize)]
    struct Exact {
        v: Number,
    }
    #[derive(Deserialize)]
    struct Float {
        v: f64,
    }
    let orm = item_from_attributes(m.clone())
        .ok()
        .and_then(|i| from_item::<Exact>(i).ok())
        .map(|e| e.v.to_string());
    let sd = serde_dynamo::from_item::<_, Float>(m)
        .ok()
        .map(|f| f.v.to_string());
    serde_json::json!({
        "case": format!("N {text} read into the type each offers for decimals"),
        "orm": { "stored": format!("N {text}"), "round_trip": match orm {
            Some(t) if t == text => "exact (orm_core::Number)".to_owned(),
            other => format!("LOSSY: {other:?}"),
        }},
        "serde_dynamo": { "stored": format!("N {text}"), "round_trip": match sd {
            Some(t) if t == text => "exact".to_owned(),
            Some(t) => format!("LOSSY: f64 reads {t}"),
            None => "read error".to_owned(),
        }},
    })
}

fn precision() {
    let cases = vec![
        case("u64::MAX", u64::MAX),
        case("i64::MIN", i64::MIN),
        case(
            "u128 with 38 digits",
            99_999_999_999_999_999_999_999_999_999_999_999_999u128,
        ),
        case(
            "i128 with 38 digits",
            -99_999_999_999_999_999_999_999_999_999_999_999_999i128,
        ),
        case("f64 0.1+0.2", 0.1f64 + 0.2),
        case("f64 1e-7", 1e-7f64),
        case(
            "f64 1.7976931348623157e308 (out of DynamoDB's range)",
            f64::MAX,
        ),
        case("f64 NaN", f64::NAN),
        case("f32 0.1", 0.1f32),
        decimal_case(),
    ];
    for c in &cases {
        eprintln!(
            "precision: {:<55} orm: {:<40} serde_dynamo: {}",
            c["case"].as_str().unwrap_or(""),
            c["orm"]["round_trip"].as_str().unwrap_or(""),
            c["serde_dynamo"]["round_trip"].as_str().unwrap_or("")
        );
    }
    write_result("precision", &serde_json::Value::Array(cases));
}

/// The other hot paths of a request: key rendering, expression rendering, cursor encoding,
/// the stored item (fields + keys + entity) and its conversion to the SDK's map.
fn hot_paths(c: &mut Criterion) {
    use orm_core::cursor::{Cursor, CursorSecrets};
    use orm_core::expr::render::Expressions;
    use orm_core::expr::Path;
    use orm_dynamodb::render::ExpressionAttributes;
    let order = sample(42);
    let table = orm_core::Table::new(orm_memory::MemoryBackend::new(), orm_benches::TABLE);
    let mut g = c.benchmark_group("hot_paths");
    g.bench_function("key_render", |b| {
        b.iter(|| Order::key(black_box("cust000001"), black_box(123_456u64)).unwrap())
    });
    g.bench_function("expr_render_save_condition", |b| {
        b.iter(|| {
            let condition = Path::name("pk")
                .not_exists()
                .or(Path::name("__entity").eq("Order"));
            let mut rendered = Expressions::new().with_condition(condition);
            let attributes = ExpressionAttributes::take(&mut rendered);
            (rendered, attributes)
        })
    });
    let key = table
        .layout()
        .key_item::<Order>(&Order::key("cust000001", 123_456u64).unwrap())
        .unwrap();
    g.bench_function("cursor_encode", |b| {
        b.iter(|| Cursor::encode(black_box([7; 8]), black_box(&key), &CursorSecrets::NONE).unwrap())
    });
    g.bench_function("to_stored_item", |b| {
        b.iter(|| table.layout().to_stored_item(black_box(&order)).unwrap())
    });
    let stored = table.layout().to_stored_item(&order).unwrap();
    // What a batch write's retry bookkeeping pays per item when it clones the chunk.
    g.bench_function("stored_item_clone", |b| {
        b.iter(|| black_box(&stored).clone())
    });
    // Decoding a stored item (drops the 5 layout attributes, checks the entity) vs the bare
    // fields (`conversion/from_item/orm`).
    g.bench_function("from_stored_item", |b| {
        b.iter_batched(
            || stored.clone(),
            |i| table.layout().from_stored_item::<Order>(i).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("stored_to_attrs", |b| {
        b.iter_batched(|| stored.clone(), item_to_attributes, BatchSize::SmallInput)
    });
    let attrs = item_to_attributes(stored);
    g.bench_function("attrs_to_model", |b| {
        b.iter_batched(
            || attrs.clone(),
            |m| {
                table
                    .layout()
                    .from_stored_item::<Order>(item_from_attributes(m).unwrap())
                    .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn main() {
    precision();
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    hot_paths(&mut c);
    c.final_summary();
}
