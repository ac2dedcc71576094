//! Item 1: ORM overhead vs hand-written aws-sdk-dynamodb code doing the same work.
//!
//! get, put (conditional), query of 100 items and a 25-item batch write of a ~1 KB order, each
//! as `<op>/orm` and `<op>/sdk` (see `orm_benches::sdk` for exactly what the baseline does):
//! - groups `overhead_stub_{wall,cpu}`: against a canned HTTP stub in a child process (the
//!   server costs ~nothing, and none of it is in this process's CPU time);
//! - groups `overhead_local_{wall,cpu}`: against DynamoDB Local at `$DYNAMODB_ENDPOINT`
//!   (skipped when unset).
//!
//! Criterion gives each side's cost per operation; the headline ratio comes from a paired run
//! (`paired_overhead.json`): rounds of K ORM operations and K SDK operations, alternating which
//! goes first, each timed in process CPU and wall time; the ratio is the median of the rounds'
//! ratios, so drift of the machine's load cancels.

use cpu_time::ProcessTime;
use criterion::measurement::WallTime;
use criterion::Criterion;
use orm_benches::measure::{write_result, ProcessCpu, Timer};
use orm_benches::model::{customer_id, sample, Order, ORDERS_PER_CUSTOMER};
use orm_benches::stub::{serve_if_child, StubProcess};
use orm_benches::{runtime, sdk, Clients, TABLE};
use orm_core::prelude::*;
use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// The operations compared.
#[derive(Debug, Clone, Copy)]
enum Op {
    Get,
    Put,
    Query100,
    BatchWrite25,
}

const OPS: [Op; 4] = [Op::Get, Op::Put, Op::Query100, Op::BatchWrite25];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Get => "get",
            Op::Put => "put",
            Op::Query100 => "query100",
            Op::BatchWrite25 => "batch_write25",
        }
    }
}

/// Everything the operations need, built once.
struct Fixture {
    clients: Clients,
    customer: String,
    /// The order saved by `put/orm` (taken out and put back: `save` needs `&mut`).
    order: Cell<Option<Order>>,
    /// The same order, for `put/sdk`.
    order_ref: Order,
    batch: Vec<Order>,
}

impl Fixture {
    fn new(clients: Clients) -> Fixture {
        Fixture {
            clients,
            customer: customer_id(0),
            order: Cell::new(Some(sample(7))),
            order_ref: sample(7),
            batch: (0..25).map(sample).collect(),
        }
    }

    async fn orm(&self, op: Op) {
        let table = &self.clients.table;
        let cust = self.customer.as_str();
        match op {
            Op::Get => {
                let o: Order = Order::get(table, Order::key(cust, 0u64)).await.unwrap();
                black_box(o);
            }
            Op::Put => {
                let mut order = self.order.take().expect("order");
                order.save(table).await.unwrap();
                self.order.set(Some(order));
            }
            Op::Query100 => {
                let v = Order::query(table)
                    .partition(Order::partition(cust))
                    .limit(ORDERS_PER_CUSTOMER as usize)
                    .all()
                    .await
                    .unwrap();
                assert_eq!(v.len(), ORDERS_PER_CUSTOMER as usize);
                black_box(v);
            }
            Op::BatchWrite25 => Order::batch_put(table, &self.batch).await.unwrap(),
        }
    }

    async fn sdk(&self, op: Op) {
        let client = &self.clients.client;
        let cust = self.customer.as_str();
        match op {
            Op::Get => {
                black_box(sdk::get(client, TABLE, cust, 0).await.unwrap());
            }
            Op::Put => sdk::put(client, TABLE, &self.order_ref).await.unwrap(),
            Op::Query100 => {
                let v = sdk::query(client, TABLE, cust).await.unwrap();
                assert_eq!(v.len(), ORDERS_PER_CUSTOMER as usize);
                black_box(v);
            }
            Op::BatchWrite25 => sdk::batch_put(client, TABLE, &self.batch).await.unwrap(),
        }
    }

    /// `n` sequential operations of one side.
    async fn many(&self, op: Op, orm: bool, n: u64) {
        for _ in 0..n {
            if orm {
                self.orm(op).await
            } else {
                self.sdk(op).await
            }
        }
    }
}

fn group<M: Timer>(c: &mut Criterion<M>, name: &str, rt: &Runtime, f: &Fixture) {
    let mut g = c.benchmark_group(name);
    for op in OPS {
        for (side, orm) in [("orm", true), ("sdk", false)] {
            g.bench_function(format!("{}/{side}", op.name()), |b| {
                b.iter_custom(|n| M::time(|| rt.block_on(f.many(op, orm, n))))
            });
        }
    }
    g.finish();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Paired rounds: K ORM ops and K SDK ops per round, alternating order; median ratios.
fn paired(
    rt: &Runtime,
    f: &Fixture,
    target: &str,
    rounds: usize,
    block: Duration,
) -> serde_json::Value {
    let mut rows = Vec::new();
    for op in OPS {
        // Size K so that one block takes about `block`.
        rt.block_on(f.many(op, false, 3));
        let start = Instant::now();
        rt.block_on(f.many(op, false, 5));
        let per_op = start.elapsed() / 5;
        let k = (block.as_nanos() / per_op.as_nanos().max(1)).clamp(5, 20_000) as u64;
        let (mut cpu_ratios, mut wall_ratios) = (Vec::new(), Vec::new());
        let (mut orm_cpu, mut sdk_cpu, mut orm_wall, mut sdk_wall) = (0.0, 0.0, 0.0, 0.0);
        for round in 0..rounds {
            let measure = |orm: bool| {
                let (w, c) = (Instant::now(), ProcessTime::now());
                rt.block_on(f.many(op, orm, k));
                (c.elapsed().as_secs_f64(), w.elapsed().as_secs_f64())
            };
            let ((oc, ow), (sc, sw)) = if round % 2 == 0 {
                let o = measure(true);
                (o, measure(false))
            } else {
                let s = measure(false);
                (measure(true), s)
            };
            cpu_ratios.push(oc / sc);
            wall_ratios.push(ow / sw);
            orm_cpu += oc;
            sdk_cpu += sc;
            orm_wall += ow;
            sdk_wall += sw;
        }
        let ops = (rounds as u64 * k) as f64;
        let row = serde_json::json!({
            "target": target,
            "op": op.name(),
            "ops_per_side": ops,
            "cpu_ratio": median(cpu_ratios.clone()),
            "cpu_ratio_min": cpu_ratios.iter().cloned().fold(f64::INFINITY, f64::min),
            "cpu_ratio_max": cpu_ratios.iter().cloned().fold(0.0, f64::max),
            "wall_ratio": median(wall_ratios),
            "orm_cpu_us": orm_cpu / ops * 1e6,
            "sdk_cpu_us": sdk_cpu / ops * 1e6,
            "orm_wall_us": orm_wall / ops * 1e6,
            "sdk_wall_us": sdk_wall / ops * 1e6,
        });
        eprintln!(
            "paired {target} {:<14} cpu {:.3}x (orm {:.1} us, sdk {:.1} us)  wall {:.3}x",
            op.name(),
            row["cpu_ratio"].as_f64().unwrap_or(0.0),
            row["orm_cpu_us"].as_f64().unwrap_or(0.0),
            row["sdk_cpu_us"].as_f64().unwrap_or(0.0),
            row["wall_ratio"].as_f64().unwrap_or(0.0),
        );
        rows.push(row);
    }
    serde_json::Value::Array(rows)
}

fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    serve_if_child();
    let rt = runtime(2);
    let mut wall = Criterion::default().configure_from_args();
    let mut cpu = Criterion::default()
        .with_measurement(ProcessCpu)
        .configure_from_args();
    let rounds: usize = env_num("ORM_BENCH_PAIRED_ROUNDS", 15);
    let block = Duration::from_millis(env_num("ORM_BENCH_PAIRED_BLOCK_MS", 150));
    // `cargo test --all-targets` runs this without `--bench`: criterion then runs each
    // benchmark once, and the paired rounds are skipped.
    let list_only =
        std::env::args().any(|a| a == "--list") || !std::env::args().any(|a| a == "--bench");
    let mut results = Vec::new();

    {
        let stub = StubProcess::spawn();
        let f = Fixture::new(rt.block_on(Clients::new(stub.endpoint())));
        if !list_only && rounds > 0 {
            results.push(paired(&rt, &f, "stub", rounds, block));
        }
        group::<WallTime>(&mut wall, "overhead_stub_wall", &rt, &f);
        group::<ProcessCpu>(&mut cpu, "overhead_stub_cpu", &rt, &f);
    }

    match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() && !list_only => {
            let f = Fixture::new(rt.block_on(Clients::new(&endpoint)));
            rt.block_on(async {
                let t = &f.clients.table;
                let _ = t.delete_table().await;
                t.create_table::<Order>().await.unwrap();
                let orders: Vec<Order> = (0..ORDERS_PER_CUSTOMER).map(sample).collect();
                Order::batch_put(t, &orders).await.unwrap();
            });
            if rounds > 0 {
                results.push(paired(&rt, &f, "local", rounds, block));
            }
            group::<WallTime>(&mut wall, "overhead_local_wall", &rt, &f);
            group::<ProcessCpu>(&mut cpu, "overhead_local_cpu", &rt, &f);
            let _ = rt.block_on(f.clients.table.delete_table());
        }
        _ => eprintln!("DYNAMODB_ENDPOINT not set: skipping the DynamoDB Local groups"),
    }
    if !list_only && rounds > 0 {
        let rows: Vec<serde_json::Value> = results
            .into_iter()
            .flat_map(|r| r.as_array().cloned().unwrap_or_default())
            .collect();
        write_result("paired_overhead", &serde_json::Value::Array(rows));
    }
    wall.final_summary();
    cpu.final_summary();
}
