//! Issue 26's number: a Query on a multi-attribute GSI against the same Query on a template
//! (synthetic string key) GSI, MemoryBackend, 1M items (`$ORM_BENCH_SIZES` to change).
//!
//! Every item is a [`Game`] indexed both ways over the same four fields:
//! - `byTemplate`: `T#{tournament}#R#{region}` / `{round}#{bracket}` (two string attributes the
//!   ORM renders, `byTemplatepk` / `byTemplatesk`);
//! - `byRegion`: partition `tournament`, `region`; sort `round` (a number), `bracket`: the
//!   fields themselves, no attribute is built.
//!
//! Each of the 1000 index partitions (tournament, region) holds 1000 games: 10 rounds of 100
//! brackets. Group `gsi_keys_<n>`, each query once per index (`template_*` / `multi_*`), one
//! random partition per iteration (picked outside the timing), entity filter as the ORM sends:
//! - `partition100`: the partition alone, `Limit 100` (100 items);
//! - `sort_eq100`: one round: `begins_with(byTemplatesk, "0000000003#")` against `round = 3`
//!   (100 items);
//! - `sort_between50`: brackets 20..69 of one round: `byTemplatesk BETWEEN "..3#b020" AND
//!   "..3#b069"` against `round = 3 AND bracket BETWEEN "b020" AND "b069"` (50 items);
//! - `orm_partition100`: `Game::query(..)` through the ORM, with serde decoding:
//!   `.index("byTemplate").partition(Game::bytemplate_partition(t, r))` against
//!   `.key(Game::byregion_key(t, r))`.
//!
//! Target: every `multi_*` within 10% of its `template_*` (docs/BENCHMARKS.md, "Multi-attribute
//! GSI keys").

use criterion::Criterion;
use futures::FutureExt;
use orm_benches::memory::{seeded_with, sizes, timed_ref, Lcg};
use orm_core::backend::QueryRequest;
use orm_core::expr::{KeyCondition, Path, SortKeyCondition};
use orm_core::prelude::*;
use orm_core::Backend as _;
use serde::{Deserialize, Serialize};

/// The table every query here reads.
const TABLE: &str = "games";
/// Games per index partition (one tournament and region).
const PER_PARTITION: u64 = 1000;
/// Brackets per round (a partition holds `PER_PARTITION / BRACKETS` rounds).
const BRACKETS: u64 = 100;
/// Regions per tournament.
const REGIONS: u64 = 10;

/// A tournament game, indexed by a template key and by a multi-attribute key over the same
/// fields; ~700 bytes stored (most of it `description`).
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Game", pk = "GAME#{game_id}", sk = "GAME")]
#[model(index(
    name = "byTemplate",
    pk = "T#{tournament}#R#{region}",
    sk = "{round}#{bracket}"
))]
#[model(index(name = "byRegion", pk = [tournament, region], sk = [round, bracket]))]
struct Game {
    game_id: u64,
    tournament: String,
    region: String,
    round: u32,
    bracket: String,
    description: String,
}

/// The tournament and region of index partition `p`.
fn partition_of(p: u64) -> (String, String) {
    (
        format!("t{:04}", p / REGIONS),
        format!("r{:02}", p % REGIONS),
    )
}

/// Game `i`: partition `i / 1000`, round `(i % 1000) / 100`, bracket `i % 100`.
fn game(i: u64) -> Game {
    let (tournament, region) = partition_of(i / PER_PARTITION);
    let mut description = String::with_capacity(640);
    while description.len() < 600 {
        description.push_str("Lorem ipsum dolor sit amet, consectetur adipiscing elit; ");
    }
    description.truncate(600);
    Game {
        game_id: i,
        tournament,
        region,
        round: ((i % PER_PARTITION) / BRACKETS) as u32,
        bracket: format!("b{:03}", i % BRACKETS),
        description,
    }
}

/// A sort condition, in the terms of both indexes.
#[derive(Clone, Copy)]
enum Sort {
    /// The whole partition.
    None,
    /// One round.
    Round(u32),
    /// Brackets `from..=to` of one round.
    Brackets(u32, u64, u64),
}

/// Picks a random sort condition.
type PickSort = fn(&mut Lcg) -> Sort;

/// Makes the Query of an index partition with a sort condition, on one of the two indexes.
type MakeQuery = fn(u64, Sort) -> QueryRequest;

/// The template sort key of `round` and `bracket`, as the derive renders it (u32 zero-padded
/// to 10 digits).
fn template_sort(round: u32, bracket: &str) -> String {
    format!("{round:010}#{bracket}")
}

/// The Query of index partition `p` of `byTemplate`, with `sort`.
fn template_query(p: u64, sort: Sort) -> QueryRequest {
    let (tournament, region) = partition_of(p);
    let mut key = KeyCondition::partition("byTemplatepk", format!("T#{tournament}#R#{region}"));
    match sort {
        Sort::None => {}
        Sort::Round(round) => {
            key = key.with_sort(
                "byTemplatesk",
                SortKeyCondition::BeginsWith(Value::S(format!("{round:010}#"))),
            )
        }
        Sort::Brackets(round, from, to) => {
            key = key.with_sort(
                "byTemplatesk",
                SortKeyCondition::Between(
                    Value::S(template_sort(round, &format!("b{from:03}"))),
                    Value::S(template_sort(round, &format!("b{to:03}"))),
                ),
            )
        }
    }
    finish(key, "byTemplate")
}

/// The Query of index partition `p` of `byRegion`, with `sort`.
fn multi_query(p: u64, sort: Sort) -> QueryRequest {
    let (tournament, region) = partition_of(p);
    let mut key = KeyCondition::partition("tournament", tournament);
    key.extra_partition
        .push(("region".to_owned(), Value::S(region)));
    match sort {
        Sort::None => {}
        Sort::Round(round) => {
            key = key.with_sort("round", SortKeyCondition::Eq(Value::from(round)));
        }
        Sort::Brackets(round, from, to) => {
            key.sort_prefix
                .push(("round".to_owned(), Value::from(round)));
            key = key.with_sort(
                "bracket",
                SortKeyCondition::Between(
                    Value::S(format!("b{from:03}")),
                    Value::S(format!("b{to:03}")),
                ),
            );
        }
    }
    finish(key, "byRegion")
}

/// `key` on `index`, with the entity filter and `Limit 100`, as the ORM sends it.
fn finish(key: KeyCondition, index: &str) -> QueryRequest {
    QueryRequest::new(TABLE, key)
        .with_index(index)
        .with_filter(Path::name("__entity").eq("Game"))
        .with_limit(100)
}

fn benches(c: &mut Criterion, n: u64) {
    let started = std::time::Instant::now();
    let (backend, table) = seeded_with(n, TABLE, game);
    eprintln!("gsi_keys_{n}: built in {:.1?}", started.elapsed());
    let partitions = (n / PER_PARTITION).max(1);
    let rounds = (PER_PARTITION / BRACKETS) as u32;
    let mut rng = Lcg(n);
    let mut g = c.benchmark_group(format!("gsi_keys_{n}"));
    let cases: [(&str, PickSort, usize); 3] = [
        ("partition100", |_| Sort::None, 100),
        ("sort_eq100", |rng| Sort::Round(rng.below(10) as u32), 100),
        (
            "sort_between50",
            |rng| Sort::Brackets(rng.below(10) as u32, 20, 69),
            50,
        ),
    ];
    for (name, sort, want) in cases {
        let shapes: [(&str, MakeQuery); 2] = [("template", template_query), ("multi", multi_query)];
        for (shape, make) in shapes {
            g.bench_function(format!("{shape}_{name}"), |b| {
                b.iter_custom(|iters| {
                    timed_ref(
                        iters,
                        || {
                            let mut s = sort(&mut rng);
                            if let Sort::Round(r) | Sort::Brackets(r, ..) = &mut s {
                                *r %= rounds;
                            }
                            make(rng.below(partitions), s)
                        },
                        |req| {
                            let page = backend.query(req).now_or_never().unwrap().unwrap();
                            assert_eq!(page.items.len(), want, "{shape}_{name}");
                            page
                        },
                    )
                })
            });
        }
    }
    for shape in ["template", "multi"] {
        g.bench_function(format!("{shape}_orm_partition100"), |b| {
            b.iter_custom(|iters| {
                timed_ref(
                    iters,
                    || partition_of(rng.below(partitions)),
                    |(t, r)| {
                        let query = Game::query(&table);
                        let query = match shape {
                            "template" => query
                                .index("byTemplate")
                                .partition(Game::bytemplate_partition(t.clone(), r.clone())),
                            _ => query.key(Game::byregion_key(t.clone(), r.clone())),
                        };
                        let games = query
                            .limit(100)
                            .all()
                            .now_or_never()
                            .expect("memory futures are ready")
                            .expect("query");
                        assert_eq!(games.len(), 100);
                        games
                    },
                )
            })
        });
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    // `cargo test --all-targets`: two partitions, each benchmark run once.
    for n in sizes(&[1_000_000], &[PER_PARTITION * 2]) {
        benches(&mut c, n);
    }
    c.final_summary();
}
