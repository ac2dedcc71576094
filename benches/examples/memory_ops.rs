//! Runs `N` operations on a MemoryBackend of `ITEMS` orders, for instruction counts:
//!
//! ```sh
//! cargo build --release -p orm-benches --example memory_ops
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/memory_ops get 10000 200
//! ```
//!
//! Arguments: `get|put|put_input|query100|gsi_query100|orm_get|orm_query100|fork|fork_put`, the number of orders
//! stored first, the number of operations. Subtracting a run of 0 operations leaves the
//! instructions per operation (the table is built the same way in both runs); `get` /
//! `orm_get` read random keys, `put` overwrites random items, the queries read random
//! customer partitions (`gsi_query100`: a random region's partition of `gsi1`, which spans
//! the table's parts), `fork` forks the whole backend (and drops the fork), `fork_put` forks
//! and writes one item into the fork. `put_input` only makes (and drops) a put's request, to
//! subtract from `put` and `fork_put`.

use futures::FutureExt;
use orm_benches::memory::{order_key, order_query, orm_query100, seeded};
use orm_benches::model::{
    customer_id, region_of, sample, Order, ORDERS_PER_CUSTOMER, ORDERS_PER_REGION,
};
use orm_benches::sdk::pk;
use orm_benches::TABLE;
use orm_core::backend::{GetItem, PutItem};
use orm_core::prelude::*;
use orm_core::Backend as _;
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, items, n] = args.as_slice() else {
        eprintln!("usage: memory_ops get|put|put_input|query100|gsi_query100|orm_get|orm_query100|fork|fork_put ITEMS N");
        std::process::exit(2);
    };
    let items: u64 = items.parse().expect("ITEMS");
    let n: u64 = n.parse().expect("N");
    let (backend, table) = seeded(items);
    let customers = (items / ORDERS_PER_CUSTOMER).max(1);
    // Inputs are made the same way whatever N (so a run of 0 subtracts them); a fixed-seed
    // generator spreads the keys.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut below = |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    for _ in 0..n {
        let id = below(items);
        let cust = customer_id(below(customers));
        match op.as_str() {
            "get" => {
                let req = GetItem::new(TABLE, order_key(id));
                black_box(backend.get_item(&req).now_or_never().unwrap().unwrap());
            }
            "put" => {
                let req = PutItem::new(TABLE, table.layout().to_stored_item(&sample(id)).unwrap());
                black_box(backend.put_item(req).now_or_never().unwrap().unwrap());
            }
            "query100" => {
                let req = order_query(Value::S(pk(&cust)), None);
                black_box(backend.query(&req).now_or_never().unwrap().unwrap());
            }
            "gsi_query100" => {
                let regions = (items / ORDERS_PER_REGION).max(1);
                let region = region_of((id % regions) * ORDERS_PER_REGION);
                let req = order_query(Value::S(format!("REGION#{region}")), Some("gsi1"));
                black_box(backend.query(&req).now_or_never().unwrap().unwrap());
            }
            "orm_get" => {
                let key = Order::key(customer_id(id / ORDERS_PER_CUSTOMER), id);
                black_box(Order::get(&table, key).now_or_never().unwrap().unwrap());
            }
            "orm_query100" => {
                black_box(orm_query100(&table, cust));
            }
            "put_input" => {
                black_box(PutItem::new(
                    TABLE,
                    table.layout().to_stored_item(&sample(id)).unwrap(),
                ));
            }
            "fork" => {
                black_box(backend.fork());
            }
            "fork_put" => {
                let fork = backend.fork();
                let req = PutItem::new(TABLE, table.layout().to_stored_item(&sample(id)).unwrap());
                black_box(fork.put_item(req).now_or_never().unwrap().unwrap());
            }
            other => panic!("unknown operation {other}"),
        }
    }
}
