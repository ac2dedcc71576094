//! MemoryBackend tables of orders, shared by the memory benchmarks and `examples/memory_ops.rs`.

use crate::model::{customer_id, sample, Order, ORDERS_PER_CUSTOMER};
use crate::sdk::{pk, sk};
use crate::TABLE;
use futures::FutureExt;
use orm_core::backend::PutItem;
use orm_core::{Backend as _, Item, Table};
use orm_memory::MemoryBackend;
use std::sync::Arc;

/// A fresh backend holding orders `0..n` (`sample(i)`, through `put_item`), and an ORM table on
/// it.
pub fn seeded(n: u64) -> (Arc<MemoryBackend>, Table) {
    let backend = Arc::new(MemoryBackend::new());
    let table = Table::from_arc(backend.clone(), TABLE);
    table
        .create_table::<Order>()
        .now_or_never()
        .expect("memory futures are ready")
        .expect("create table");
    for i in 0..n {
        let item = table.to_stored_item(&sample(i)).expect("order item");
        backend
            .put_item(PutItem::new(TABLE, item))
            .now_or_never()
            .expect("memory futures are ready")
            .expect("put");
    }
    (backend, table)
}

/// The table key (`pk`, `sk`) of order `order_id`.
pub fn order_key(order_id: u64) -> Item {
    Item::new()
        .with("pk", pk(&customer_id(order_id / ORDERS_PER_CUSTOMER)))
        .with("sk", sk(order_id))
}
