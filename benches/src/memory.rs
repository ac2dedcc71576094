//! MemoryBackend tables of orders, shared by the memory benchmarks and `examples/memory_ops.rs`.

use crate::model::{customer_id, sample, Order, ORDERS_PER_CUSTOMER};
use crate::sdk::{pk, sk};
use crate::TABLE;
use futures::FutureExt;
use orm_core::backend::{PutItem, QueryRequest};
use orm_core::expr::{KeyCondition, Path};
use orm_core::{Backend as _, Item, Table, Value};
use orm_core::{Model, ModelExt as _};
use orm_memory::MemoryBackend;
use std::hint::black_box;
use std::sync::Arc;

/// A fresh backend holding orders `0..n` (`sample(i)`, through `put_item`), and an ORM table on
/// it.
pub fn seeded(n: u64) -> (Arc<MemoryBackend>, Table) {
    seeded_with(n, TABLE, sample)
}

/// A fresh backend with a table `name` created for `M`, holding `make(0..n)` (through
/// `put_item`), and an ORM table on it.
pub fn seeded_with<M: Model>(
    n: u64,
    name: &str,
    make: impl Fn(u64) -> M,
) -> (Arc<MemoryBackend>, Table) {
    let backend = Arc::new(MemoryBackend::new());
    let table = Table::new(backend.clone(), name);
    table
        .create_table::<M>()
        .now_or_never()
        .expect("memory futures are ready")
        .expect("create table");
    for i in 0..n {
        let item = table.layout().to_stored_item(&make(i)).expect("an item");
        backend
            .put_item(PutItem::new(name, item))
            .now_or_never()
            .expect("memory futures are ready")
            .expect("put");
    }
    (backend, table)
}

/// The table sizes to run: `$ORM_BENCH_SIZES` (comma-separated), else `bench` under
/// `cargo bench` and `test` under `cargo test --all-targets` (each benchmark run once).
pub fn sizes(bench: &[u64], test: &[u64]) -> Vec<u64> {
    std::env::var("ORM_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| {
            if std::env::args().any(|a| a == "--bench") {
                bench.to_vec()
            } else {
                test.to_vec()
            }
        })
}

/// The table key (`pk`, `sk`) of order `order_id`.
pub fn order_key(order_id: u64) -> Item {
    Item::new()
        .with("pk", pk(&customer_id(order_id / ORDERS_PER_CUSTOMER)))
        .with("sk", sk(order_id))
}

/// A Query of one partition of the table (`index: None`, partition value `CUSTOMER#..`) or of
/// an index (`<index>pk`), with the entity filter and `Limit 100`, as the ORM would send it.
pub fn order_query(partition: Value, index: Option<&str>) -> QueryRequest {
    let query = QueryRequest::new(
        TABLE,
        KeyCondition {
            extra_partition: Vec::new(),
            sort_prefix: Vec::new(),
            partition_name: index.map_or("pk".to_owned(), |i| format!("{i}pk")),
            partition_value: partition,
            sort: None,
        },
    )
    .with_filter(Path::name("__entity").eq("Order"))
    .with_limit(100);
    match index {
        Some(index) => query.with_index(index),
        None => query,
    }
}

/// `Order::query(table).partition(Order::partition(customer)).limit(100).all()`, run to
/// completion (MemoryBackend futures are ready at once).
pub fn orm_query100(table: &Table, customer: String) -> Vec<Order> {
    Order::query(table)
        .partition(Order::partition(customer))
        .limit(100)
        .all()
        .now_or_never()
        .expect("memory futures are ready")
        .expect("query")
}

/// A small deterministic generator of random indexes.
#[derive(Debug)]
pub struct Lcg(pub u64);

impl Lcg {
    /// The next index below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Times `iters` calls of `op` on inputs made beforehand by `make`, which `op` borrows: the
/// backend borrows its requests (`&GetItem`, `&QueryRequest`, ...; a put is taken by value), so
/// making and dropping them is the caller's cost (see `memory_backend`'s `item_drop`) and stays
/// outside the timing; what `op` returns is dropped inside it.
pub fn timed_ref<I, O>(
    iters: u64,
    mut make: impl FnMut() -> I,
    mut op: impl FnMut(&I) -> O,
) -> std::time::Duration {
    let inputs: Vec<I> = (0..iters).map(|_| make()).collect();
    let start = std::time::Instant::now();
    for input in &inputs {
        drop(black_box(op(input)));
    }
    let elapsed = start.elapsed();
    drop(inputs);
    elapsed
}
