//! Item 3: MemoryBackend at 1k, 10k, 100k and 1M items (`$ORM_BENCH_SIZES` to change).
//!
//! Group `memory_<n>`, through the `Backend` trait (what the backend itself costs):
//! - `get`: GetItem of a random stored key;
//! - `put`: unconditional PutItem overwriting a random stored item (same size, same index keys);
//! - `cond_put`: the same put with the ORM's save condition
//!   (`attribute_not_exists(pk) OR __entity = :e`);
//! - `query100`: Query of one random customer partition (100 items, entity filter, Limit 100);
//! - `get_hot` / `query100_hot`: the same, always on one key / partition (its items stay in
//!   the CPU caches); `query100_count_hot`: that query count-only (no item is cloned, nothing
//!   allocated: the algorithm alone);
//! - `gsi_query100`: Query of the `gsi1` index, one random region (1000 items), Limit 100;
//! - `item_clone`: a reference, not a backend operation: `Item::clone()` and drop of one stored
//!   order, the floor of any read that hands out an owned `Item`; `item_drop`: the drop alone
//!   of an order item made like the puts' items (outside the timing), the floor of a put, which
//!   owns and must free (or keep) its item;
//!
//! and through the ORM (`orm_get`: `Order::get`, `orm_query100`: `Order::query(..).limit(100).all()`),
//! which adds key rendering and serde decoding.
//!
//! Forks and threads:
//! - `fork`: `MemoryBackend::fork()` of the whole `n`-item backend, and the fork's drop;
//!   `fork_put`: a fork, then one PutItem into it (the first write after a fork copies the
//!   shared map nodes on its path), then the fork's drop;
//! - `get_1thread` / `get_2threads`: GetItem of random keys, one iteration being one get on one
//!   thread, or one get on each of two threads running at once (both started together, the time
//!   is until both are done): the throughput of two threads over one is
//!   `2 * get_1thread / get_2threads`; `clone_1thread` / `clone_2threads`, the same harness
//!   cloning an `Item` (nothing shared between the threads), is the control: what two threads
//!   gain on this machine at all;
//! - `put_1thread` / `put_2threads`: the same for PutItem of random keys (random partitions,
//!   so the two threads' writes mostly fall in different parts of the table, which lock
//!   separately);
//! - `reference_btreemap_get` / `reference_hashmap_get`: the same lookups in the standard
//!   library's maps holding as many ~1 KB values: the physical floor of a lookup at this size.
//!
//! Items are the ~1 KB orders of the other benches; every customer has 100 orders, every region
//! 1000. Random keys are picked outside the timing.

use criterion::Criterion;
use futures::FutureExt;
use orm_benches::memory::{
    order_key, order_query as query, orm_query100, seeded, sizes, timed_ref, Lcg,
};
use orm_benches::model::{
    customer_id, region_of, sample, Order, ORDERS_PER_CUSTOMER, ORDERS_PER_REGION,
};
use orm_benches::sdk::{pk, sk as sort_key};
use orm_benches::TABLE;
use orm_core::backend::{GetItem, PutItem};
use orm_core::expr::Path;
use orm_core::prelude::*;
use orm_core::Backend as _;
use std::cell::Cell;
use std::hint::black_box;

/// The key of the reference maps: an order's partition and sort key bytes, zero-padded.
type RefKey = ([u8; 32], [u8; 32]);

/// Times `iters` calls of `op`, on inputs made beforehand by `make` (outside the timing); what
/// `op` returns is dropped inside the timing, as a caller would drop it.
fn timed<I, O>(
    iters: u64,
    mut make: impl FnMut() -> I,
    mut op: impl FnMut(I) -> O,
) -> std::time::Duration {
    let inputs: Vec<I> = (0..iters).map(|_| make()).collect();
    let start = std::time::Instant::now();
    for input in inputs {
        drop(black_box(op(input)));
    }
    start.elapsed()
}

/// Runs `op` on `iters` inputs (made beforehand by `make`, borrowed by `op` and dropped after
/// the timing; a put takes its request out of a `Cell`) on each of `threads` threads at once;
/// the time from the start signal until every thread is done.
fn on_threads<I: Send, O>(
    threads: usize,
    iters: u64,
    mut make: impl FnMut() -> I,
    op: impl Fn(&I) -> O + Sync,
) -> std::time::Duration {
    let inputs: Vec<Vec<I>> = (0..threads)
        .map(|_| (0..iters).map(|_| make()).collect())
        .collect();
    let start = std::sync::Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = inputs
            .into_iter()
            .map(|inputs| {
                let (start, op) = (&start, &op);
                scope.spawn(move || {
                    start.wait();
                    for input in &inputs {
                        drop(black_box(op(input)));
                    }
                    inputs
                })
            })
            .collect();
        start.wait();
        let began = std::time::Instant::now();
        let ended: Vec<Vec<I>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        let elapsed = began.elapsed();
        drop(ended);
        elapsed
    })
}

fn benches(c: &mut Criterion, n: u64) {
    let started = std::time::Instant::now();
    let (backend, table) = seeded(n);
    eprintln!("memory_{n}: built in {:.1?}", started.elapsed());
    let customers = (n / ORDERS_PER_CUSTOMER).max(1);
    let regions = (n / ORDERS_PER_REGION).max(1);
    let mut rng = Lcg(n);
    let mut g = c.benchmark_group(format!("memory_{n}"));

    g.bench_function("get", |b| {
        b.iter_custom(|iters| {
            timed_ref(
                iters,
                || GetItem::new(TABLE, order_key(rng.below(n))),
                |req| backend.get_item(req).now_or_never().unwrap().unwrap(),
            )
        })
    });

    g.bench_function("query100", |b| {
        b.iter_custom(|iters| {
            timed_ref(
                iters,
                || query(Value::S(pk(&customer_id(rng.below(customers)))), None),
                |req| {
                    let page = backend.query(req).now_or_never().unwrap().unwrap();
                    assert_eq!(page.items.len(), 100);
                    page
                },
            )
        })
    });
    // The same partition every time: its items stay in the CPU caches, so this isolates the
    // algorithm (O(log n + k)) from the memory hierarchy.
    g.bench_function("query100_hot", |b| {
        b.iter_custom(|iters| {
            timed_ref(
                iters,
                || query(Value::S(pk(&customer_id(customers / 2))), None),
                |req| backend.query(req).now_or_never().unwrap().unwrap(),
            )
        })
    });
    // The same, count-only: the partition's 100 entries are read and filtered but not cloned
    // into the answer, so nothing is allocated; the algorithm alone.
    g.bench_function("query100_count_hot", |b| {
        b.iter_custom(|iters| {
            timed_ref(
                iters,
                || query(Value::S(pk(&customer_id(customers / 2))), None).with_count_only(true),
                |req| {
                    let page = backend.query(req).now_or_never().unwrap().unwrap();
                    assert_eq!(page.count, 100);
                    page
                },
            )
        })
    });
    g.bench_function("get_hot", |b| {
        b.iter_custom(|iters| {
            timed_ref(
                iters,
                || GetItem::new(TABLE, order_key(n / 2)),
                |req| backend.get_item(req).now_or_never().unwrap().unwrap(),
            )
        })
    });
    // The floor of handing out an owned item: `Item::clone()` of one stored order, and its
    // drop (no lookup, no backend). A get cannot cost less while it returns an owned `Item`.
    let one = table.layout().to_stored_item(&sample(n / 2)).unwrap();
    g.bench_function("item_clone", |b| {
        b.iter_custom(|iters| timed(iters, || (), |()| black_box(&one).clone()))
    });
    g.bench_function("gsi_query100", |b| {
        b.iter_custom(|iters| {
            timed_ref(
                iters,
                || {
                    let region = region_of(rng.below(regions) * ORDERS_PER_REGION);
                    query(Value::S(format!("REGION#{region}")), Some("gsi1"))
                },
                |req| {
                    let page = backend.query(req).now_or_never().unwrap().unwrap();
                    assert_eq!(page.items.len(), 100);
                    page
                },
            )
        })
    });
    g.bench_function("orm_get", |b| {
        b.iter_custom(|iters| {
            timed(
                iters,
                || {
                    let id = rng.below(n);
                    Order::key(customer_id(id / ORDERS_PER_CUSTOMER), id)
                },
                |key| black_box(Order::get(&table, key).now_or_never().unwrap().unwrap()),
            )
        })
    });
    g.bench_function("orm_query100", |b| {
        b.iter_custom(|iters| {
            timed(
                iters,
                || customer_id(rng.below(customers)),
                |cust| {
                    let v = orm_query100(&table, cust);
                    assert_eq!(v.len(), 100);
                    v
                },
            )
        })
    });
    // References: the same lookups on the standard library's ordered map and hash map, holding
    // as many ~1 KB items under keys of the same bytes (the physical floor of an in-process
    // lookup at this size, where the maps outgrow the CPU caches), each get cloning the item's
    // `Arc` as MemoryBackend's shared reads do.
    {
        let key_bytes = |id: u64| {
            let mut partition = [0u8; 32];
            let mut sort = [0u8; 32];
            let p = pk(&customer_id(id / ORDERS_PER_CUSTOMER));
            let o = sort_key(id);
            partition[..p.len()].copy_from_slice(p.as_bytes());
            sort[..o.len()].copy_from_slice(o.as_bytes());
            (partition, sort)
        };
        let value = |id: u64| -> std::sync::Arc<[u8]> { vec![id as u8; 1024].into() };
        let ordered: std::collections::BTreeMap<RefKey, std::sync::Arc<[u8]>> =
            (0..n).map(|id| (key_bytes(id), value(id))).collect();
        g.bench_function("reference_btreemap_get", |b| {
            b.iter_custom(|iters| {
                timed_ref(
                    iters,
                    || key_bytes(rng.below(n)),
                    |k| ordered.get(k).cloned(),
                )
            })
        });
        drop(ordered);
        let hashed: std::collections::HashMap<RefKey, std::sync::Arc<[u8]>> =
            (0..n).map(|id| (key_bytes(id), value(id))).collect();
        g.bench_function("reference_hashmap_get", |b| {
            b.iter_custom(|iters| {
                timed_ref(
                    iters,
                    || key_bytes(rng.below(n)),
                    |k| hashed.get(k).cloned(),
                )
            })
        });
    }
    g.bench_function("fork", |b| {
        b.iter_custom(|iters| timed(iters, || (), |()| backend.fork()))
    });
    let get = |id: u64| GetItem::new(TABLE, order_key(id));
    let read = |req: &GetItem| backend.get_item(req).now_or_never().unwrap().unwrap();
    for threads in [1, 2] {
        let name = format!("get_{threads}thread{}", if threads > 1 { "s" } else { "" });
        g.bench_function(name, |b| {
            b.iter_custom(|iters| on_threads(threads, iters, || get(rng.below(n)), read))
        });
    }
    // The control: the same harness on work that takes no lock and writes nothing shared (an
    // `Item::clone()` of one stored order, read by both threads): what two threads get from
    // this machine at all.
    for threads in [1, 2] {
        let name = format!(
            "clone_{threads}thread{}",
            if threads > 1 { "s" } else { "" }
        );
        g.bench_function(name, |b| {
            b.iter_custom(|iters| on_threads(threads, iters, || (), |_: &()| one.clone()))
        });
    }
    // Writes last: replacing random items churns the heap, and later reads would pay for the
    // scattered free lists when they allocate their answers.
    // Stored items to write back over themselves, made outside the timing.
    let stored = |id: u64| table.layout().to_stored_item(&sample(id)).unwrap();
    // A put is taken by value (`Backend::put_item(PutItem)`): dropping the request is the
    // backend's work now, inside the timing (the multi-threaded runs take each request out of
    // its cell).
    g.bench_function("put", |b| {
        b.iter_custom(|iters| {
            timed(
                iters,
                || PutItem::new(TABLE, stored(rng.below(n))),
                |req| backend.put_item(req).now_or_never().unwrap().unwrap(),
            )
        })
    });
    let write = |req: &Cell<Option<PutItem>>| {
        let req = req.take().expect("each request is sent once");
        backend.put_item(req).now_or_never().unwrap().unwrap()
    };
    for threads in [1, 2] {
        let name = format!("put_{threads}thread{}", if threads > 1 { "s" } else { "" });
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                on_threads(
                    threads,
                    iters,
                    || Cell::new(Some(PutItem::new(TABLE, stored(rng.below(n))))),
                    write,
                )
            })
        });
    }
    g.bench_function("cond_put", |b| {
        b.iter_custom(|iters| {
            timed(
                iters,
                || {
                    PutItem::new(TABLE, stored(rng.below(n)))
                        .with_condition(
                            Path::name("pk")
                                .not_exists()
                                .or(Path::name("__entity").eq("Order")),
                        )
                        .with_return_item_on_condition_failure(true)
                },
                |req| backend.put_item(req).now_or_never().unwrap().unwrap(),
            )
        })
    });
    g.bench_function("fork_put", |b| {
        b.iter_custom(|iters| {
            timed(
                iters,
                || PutItem::new(TABLE, stored(rng.below(n))),
                |req| {
                    let fork = backend.fork();
                    fork.put_item(req).now_or_never().unwrap().unwrap();
                    fork
                },
            )
        })
    });
    // The caller's cost around a write, outside the timing of `put`: the backend borrows its
    // request, and whoever made the item frees it; this is that drop alone, of an item made
    // like the puts' items.
    g.bench_function("item_drop", |b| {
        b.iter_custom(|iters| timed(iters, || stored(rng.below(n)), drop))
    });
    g.finish();
    let started = std::time::Instant::now();
    drop(table);
    drop(backend);
    eprintln!("memory_{n}: dropped in {:.1?}", started.elapsed());
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    for n in sizes(&[1_000, 10_000, 100_000, 1_000_000], &[1_000]) {
        benches(&mut c, n);
    }
    c.final_summary();
}
