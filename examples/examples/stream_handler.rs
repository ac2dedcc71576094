//! A stream handler, tested without deploying it: an aggregate (each customer's order count and
//! revenue) kept up to date from the table's change feed, as a Lambda function on DynamoDB
//! Streams would keep it.
//!
//! The handler is a plain async function over typed changes ([`Change<Order>`]): inserts add an
//! order, modifies add the difference in total, removes take the order away. The example writes
//! orders with the ORM, feeds the handler what the stream recorded (`table.changes()`, narrowed to
//! `Order`: the handler's own writes of `CustomerTotals` are in the stream too, and skipped),
//! checks the aggregate, then stops the reader, keeps its checkpoint as text, and resumes from it
//! after more writes, as a restarted consumer would.
//!
//! ```text
//! cargo run --example stream_handler
//! DYNAMODB_ENDPOINT=http://127.0.0.1:8000 cargo run --example stream_handler
//! ```

use orm_core::backend::{ChangeKind, StreamSpecification, StreamViewType, UpdateTable};
use orm_core::changes::{Change, Changes, Checkpoint};
use orm_core::{Error, Model, ModelExt, Table};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// An order of a customer: `CUSTOMER#{customer}` / `ORDER#{id}`.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Order", pk = "CUSTOMER#{customer}", sk = "ORDER#{id}")]
struct Order {
    customer: String,
    id: u32,
    /// In cents.
    total: i64,
}

/// The aggregate the handler keeps: `CUSTOMER#{customer}` / `TOTALS`.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "CustomerTotals", pk = "CUSTOMER#{customer}", sk = "TOTALS")]
struct CustomerTotals {
    customer: String,
    orders: i64,
    /// In cents.
    revenue: i64,
}

/// The stream handler: applies a batch of order changes to the customers' totals. It needs
/// both images (`NEW_AND_OLD_IMAGES`): a modify adds the difference between them.
async fn handle(table: &Table, changes: Vec<Change<Order>>) -> Result<(), Error> {
    for change in changes {
        let (customer, orders, revenue) = match (change.kind, &change.old, &change.new) {
            (ChangeKind::Insert, _, Some(new)) => (&new.customer, 1, new.total),
            (ChangeKind::Modify, Some(old), Some(new)) => (&new.customer, 0, new.total - old.total),
            (ChangeKind::Remove, Some(old), _) => (&old.customer, -1, -old.total),
            _ => return Err(Error::validation("the handler needs NEW_AND_OLD_IMAGES")),
        };
        // The customer's totals, created at zero on their first order, then added to.
        let mut zero = CustomerTotals {
            customer: customer.clone(),
            orders: 0,
            revenue: 0,
        };
        match zero.create(table).await {
            Ok(()) | Err(Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(e),
        }
        CustomerTotals::update(table, CustomerTotals::key(customer))
            .add("orders", orders)
            .add("revenue", revenue)
            .send()
            .await?;
    }
    Ok(())
}

/// Feeds the handler everything the stream holds beyond what it has seen, batch by batch. A
/// Lambda event source mapping does this in production; DynamoDB may take a moment to deliver a
/// record, so the loop waits (up to 30 s) for `expected` changes.
async fn deliver(table: &Table, feed: &mut Changes<Order>, expected: usize) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut delivered = 0;
    while delivered < expected {
        let batch = feed.next_batch().await?;
        if batch.is_empty() {
            if Instant::now() > deadline {
                return Err(Error::validation(format!(
                    "only {delivered} of {expected} changes arrived"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        delivered += batch.len();
        handle(table, batch).await?;
    }
    Ok(())
}

async fn totals(table: &Table, customer: &str) -> Result<(i64, i64), Error> {
    let totals = CustomerTotals::get(table, CustomerTotals::key(customer)).await?;
    Ok((totals.orders, totals.revenue))
}

fn order(customer: &str, id: u32, total: i64) -> Order {
    Order {
        customer: customer.into(),
        id,
        total,
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = orm_examples::table(&orm_examples::unique_name("shop")).await?;
    println!("backend: {}", orm_examples::backend_name());
    table.create_table::<(Order, CustomerTotals)>().await?;
    // The stream: DynamoDB's UpdateTable with a StreamSpecification.
    let with_stream = UpdateTable::new(table.name()).with_streams(StreamSpecification::Enabled(
        StreamViewType::NewAndOldImages,
    ));
    table.backend().update_table(&with_stream).await?;

    // The consumer reads from the start of the stream, only orders.
    let mut feed = table.changes().entity::<Order>();

    order("ann", 1, 1_000).create(&table).await?;
    order("ann", 2, 2_500).create(&table).await?;
    order("bob", 1, 700).create(&table).await?;
    let mut corrected = order("ann", 2, 2_000);
    corrected.save(&table).await?; // a modify: -500
    deliver(&table, &mut feed, 4).await?;
    assert_eq!(totals(&table, "ann").await?, (2, 3_000));
    assert_eq!(totals(&table, "bob").await?, (1, 700));
    println!("after 4 changes: ann (2, 3000), bob (1, 700)");

    // The consumer stops; its checkpoint is one line of text, stored anywhere.
    let checkpoint = feed.checkpoint().expect("the feed has read").to_string();
    drop(feed);
    Order::delete_key(&table, Order::key("ann", 1)).await?;
    order("bob", 2, 300).create(&table).await?;

    // A new consumer resumes where the old one stopped: nothing is handled twice.
    let checkpoint: Checkpoint = checkpoint.parse()?;
    let mut feed = table.changes().resume(checkpoint).entity::<Order>();
    deliver(&table, &mut feed, 2).await?;
    assert_eq!(totals(&table, "ann").await?, (1, 2_000));
    assert_eq!(totals(&table, "bob").await?, (2, 1_000));
    assert!(
        feed.next_batch().await?.is_empty(),
        "caught up: the handler's own writes are not orders"
    );
    println!("resumed from the checkpoint: ann (1, 2000), bob (2, 1000)");

    table.delete_table().await?;
    Ok(())
}
