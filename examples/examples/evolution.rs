//! Evolution: a model that changed after its items were stored. Version 1 of `Customer` kept
//! `name` under `CUSTOMER#{id}`; version 2 calls it `full_name`, stores customers under their
//! region (a new key template) and adds an index by email. Old items read as version 2 at once
//! (upgraded on read); the migration runner then rewrites them all, with a progress bar.
//!
//! Runs on the in-memory backend by default; set `DYNAMODB_ENDPOINT` to run it on DynamoDB:
//!
//! ```text
//! cargo run -p orm-examples --example evolution
//! cargo run -p orm-examples --example evolution -- --items 5000 --segments 8 --rate 2000
//! DYNAMODB_ENDPOINT=http://127.0.0.1:8000 cargo run -p orm-examples --example evolution
//! ```

use orm_core::migrate::Migration;
use orm_core::{Error, Item, Model, ModelExt, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;

/// Version 1, as the code stored it before: `CUSTOMER#{id}` / `CUSTOMER`, with `name`.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Customer", pk = "CUSTOMER#{id}", sk = "CUSTOMER")]
struct CustomerV1 {
    id: u32,
    name: String,
    email: String,
}

/// Version 2: stored under its region, `name` renamed `full_name`, an index by email.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Customer", pk = "REGION#{region}", sk = "CUSTOMER#{id}")]
#[model(index(name = "by_email", pk = "EMAIL#{email}"))]
#[model(schema_version = 2, upgrade = upgrade)]
struct Customer {
    id: u32,
    full_name: String,
    email: String,
    region: String,
}

/// Brings a stored customer one schema version up: `from` 1 renames `name` and derives the
/// region every version 1 customer was in.
fn upgrade(mut item: Item, from: u32) -> Result<Item> {
    if from == 1 {
        let name = item
            .remove("name")
            .ok_or_else(|| Error::validation("a version 1 customer has a name"))?;
        item.insert("full_name".into(), name);
        item.insert("region".into(), "eu".into());
    }
    Ok(item)
}

/// `--items N --segments N --rate N` (items per second), with fast defaults.
struct Args {
    items: u32,
    segments: u32,
    rate: Option<u32>,
}

fn args() -> std::result::Result<Args, String> {
    let mut args = Args {
        items: 300,
        segments: 4,
        rate: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || -> std::result::Result<u32, String> {
            let v = it.next().ok_or(format!("{flag} needs a value"))?;
            v.parse()
                .map_err(|_| format!("{flag}: `{v}` is not a whole number"))
        };
        match flag.as_str() {
            "--items" => args.items = value()?,
            "--segments" => args.segments = value()?,
            "--rate" => args.rate = Some(value()?),
            other => {
                return Err(format!(
                    "unknown argument `{other}`; use --items N, --segments N, --rate N"
                ))
            }
        }
    }
    Ok(args)
}

/// Draws `changed` of the `total` items to rewrite as a bar on one terminal line, with the
/// number of items read (moved items are read again at their new key, so it ends higher).
fn draw(changed: u64, total: u64, read: u64) {
    let width = 40;
    let filled = (changed.min(total) * width / total.max(1)) as usize;
    eprint!(
        "\r[{}{}] {changed}/{total} rewritten, {read} read",
        "#".repeat(filled),
        " ".repeat(width as usize - filled)
    );
    let _ = std::io::stderr().flush();
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = args().map_err(Error::validation)?;
    let table = orm_examples::table(&orm_examples::unique_name("evolution")).await?;
    println!("backend: {}", orm_examples::backend_name());
    table.create_table::<(CustomerV1, Customer)>().await?;

    // What version 1 of the application stored.
    let old: Vec<CustomerV1> = (0..args.items)
        .map(|id| CustomerV1 {
            id,
            name: format!("Customer {id}"),
            email: format!("c{id}@example.com"),
        })
        .collect();
    table.batch_put(&old).await?;
    println!("stored {} customers at schema version 1", old.len());

    // Version 2 reads them already: scans and queries upgrade every item they return.
    let first = Customer::scan(&table).limit(1).all().await?;
    println!("read through version 2 before migrating: {first:?}");

    let dry = Migration::<Customer>::new(&table)
        .segments(args.segments)
        .dry_run()
        .run()
        .await?;
    println!(
        "dry run: {} of {} customers would be rewritten",
        dry.changed, dry.scanned
    );

    let total = dry.changed;
    let mut migration = Migration::<Customer>::new(&table)
        .segments(args.segments)
        .page_size(50)
        .on_progress(move |p| draw(p.changed, total, p.scanned));
    if let Some(rate) = args.rate {
        migration = migration.rate_limit(rate);
    }
    let done = migration.run().await?;
    eprintln!();
    println!(
        "migrated: {} rewritten, {} already current, {} conflicts, {} blocked, {} segments",
        done.changed, done.unchanged, done.conflicts, done.blocked, done.segments
    );

    // Every customer now lives under its region, with its index key.
    let seven = Customer::get(&table, Customer::key("eu", 7u32)).await?;
    assert!(CustomerV1::find(&table, CustomerV1::key(7u32))
        .await?
        .is_none());
    let by_email = Customer::query(&table)
        .index("by_email")
        .partition(Customer::by_email_partition("c7@example.com"))
        .all()
        .await?;
    assert_eq!(by_email, vec![seven.clone()]);
    println!("customer 7 at its new key, and by email: {seven:?}");
    let count = Customer::scan(&table).count().await?;
    assert_eq!(count, args.items as usize, "every customer exactly once");

    // Two writers changing different fields both keep their change with save_changes.
    let before = seven.clone();
    let mut a = before.clone();
    a.full_name = "Seven Jr.".into();
    a.save_changes(&table, &before).await?;
    let mut b = before.clone();
    b.email = "seven@example.com".into();
    b.save_changes(&table, &before).await?;
    let now = Customer::get(&table, Customer::key("eu", 7u32)).await?;
    assert_eq!(
        (now.full_name.as_str(), now.email.as_str()),
        ("Seven Jr.", "seven@example.com")
    );
    println!("after two save_changes: {now:?}");

    table.delete_table().await?;
    Ok(())
}
