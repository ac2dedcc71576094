//! Runs `N` operations of one side against the canned stub, for instruction-count profiling:
//!
//! ```sh
//! cargo build --release -p orm-benches --example ops
//! valgrind --tool=callgrind target/release/examples/ops put orm 200
//! ```
//!
//! Arguments: `get|get_capacity|put|query100|multi_gsi_query100|batch_write25`, `orm|sdk`, the
//! number of operations (`multi_gsi_query100`: 100 orders through a multi-attribute index;
//! `get_capacity`: the get on a [metered](orm_core::Table::metered) table, asking for and
//! totalling the consumed capacity, against SDK code reading it). Two warm-up
//! operations run before the counted ones; `scripts/profile` subtracts a run with 0 operations,
//! so what is left is the instructions per operation (client side only: the stub is a child
//! process, which callgrind does not follow).

use orm_benches::model::{
    customer_id, region_of, sample, Order, OrderByCustomerRegion, ORDERS_PER_CUSTOMER,
};
use orm_benches::stub::{serve_if_child, StubProcess};
use orm_benches::{sdk, Clients, TABLE};
use orm_core::prelude::*;
use std::hint::black_box;

fn main() {
    serve_if_child();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, side, n] = args.as_slice() else {
        eprintln!(
            "usage: ops get|get_capacity|put|query100|multi_gsi_query100|batch_write25 orm|sdk N"
        );
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("N");
    let orm = match side.as_str() {
        "orm" => true,
        "sdk" => false,
        other => panic!("side must be orm or sdk, not {other}"),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stub = StubProcess::spawn();
    rt.block_on(async {
        let clients = Clients::new(stub.endpoint()).await;
        let table = &clients.table;
        let metered = clients.table.metered();
        let client = &clients.client;
        let cust = customer_id(0);
        let region = region_of(0);
        let mut order = sample(7);
        let batch: Vec<Order> = (0..25).map(sample).collect();
        for _ in 0..n + 2 {
            match (op.as_str(), orm) {
                ("get", true) => {
                    black_box(Order::get(table, Order::key(&cust, 0u64)).await.unwrap());
                }
                ("get", false) => {
                    black_box(sdk::get(client, TABLE, &cust, 0).await.unwrap());
                }
                ("get_capacity", true) => {
                    black_box(Order::get(&metered, Order::key(&cust, 0u64)).await.unwrap());
                }
                ("get_capacity", false) => {
                    black_box(
                        sdk::get_with_capacity(client, TABLE, &cust, 0)
                            .await
                            .unwrap(),
                    );
                }
                ("put", true) => order.save(table).await.unwrap(),
                ("put", false) => sdk::put(client, TABLE, &order).await.unwrap(),
                ("query100", true) => {
                    let v = Order::query(table)
                        .partition(Order::partition(&cust))
                        .limit(ORDERS_PER_CUSTOMER as usize)
                        .all()
                        .await
                        .unwrap();
                    black_box(v);
                }
                ("query100", false) => {
                    black_box(sdk::query(client, TABLE, &cust).await.unwrap());
                }
                ("multi_gsi_query100", true) => {
                    let v = OrderByCustomerRegion::query(table)
                        .key(OrderByCustomerRegion::by_customer_region_key(
                            &cust, &region,
                        ))
                        .limit(ORDERS_PER_CUSTOMER as usize)
                        .all()
                        .await
                        .unwrap();
                    black_box(v);
                }
                ("multi_gsi_query100", false) => {
                    black_box(
                        sdk::query_by_customer_region(client, TABLE, &cust, &region)
                            .await
                            .unwrap(),
                    );
                }
                ("batch_write25", true) => Order::batch_put(table, &batch).await.unwrap(),
                ("batch_write25", false) => sdk::batch_put(client, TABLE, &batch).await.unwrap(),
                (other, _) => panic!("unknown operation {other}"),
            }
        }
    });
}
