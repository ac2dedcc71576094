//! An e-commerce single-table design: customers, products, orders and order items in ONE table.
//!
//! | entity    | pk                   | sk             | gsi1pk (orders by status) | gsi1sk       |
//! |-----------|----------------------|----------------|---------------------------|--------------|
//! | Customer  | `CUSTOMER#{id}`      | `PROFILE`      |                           |              |
//! | Order     | `CUSTOMER#{customer}`| `ORDER#{id}`   | `STATUS#{status}`         | `{placed_at}`|
//! | OrderItem | `ORDER#{order_id}`   | `ITEM#{sku}`   |                           |              |
//! | Product   | `PRODUCT#{sku}`      | `PRODUCT`      |                           |              |
//!
//! Access patterns, each one request:
//! - a customer's profile and most recent orders: one reverse query of the customer's partition,
//!   decoded into a collection (`PROFILE` sorts after `ORDER#...`);
//! - an order's items: one query of the order's partition;
//! - orders by status, oldest first: the `gsi1` index (`placed_at` is fixed-width RFC 3339, so it
//!   sorts as text);
//! - a customer's orders in one status, newest first: the `customerStatus` index, whose key is
//!   the attributes `customer` and `status` (sorted by `placed_at`), with nothing synthetic;
//! - placing an order: one transaction that creates the order and its items and takes the stock,
//!   only if there is enough of every product (all or nothing).
//!
//! ```text
//! cargo run --example ecommerce
//! DYNAMODB_ENDPOINT=http://127.0.0.1:8000 cargo run --example ecommerce
//! ```

use orm_core::{attr, Error, ModelExt, Table};
// The models live in the examples' library, so that the layout report (examples/layout_report.rs,
// docs/modeling.md) is drawn from exactly these.
use orm_examples::ecommerce::{Customer, CustomerPage, Order, OrderItem, Product};

/// Places an order in one transaction: creates the order and its items and takes the stock of
/// every product, on the condition that there is enough. Either everything happens or nothing.
async fn place_order(
    table: &Table,
    customer: &str,
    id: u64,
    placed_at: &str,
    lines: &[(&str, i64)],
) -> Result<Order, Error> {
    let products = Product::batch_get(table, lines.iter().map(|(sku, _)| Product::key(*sku)))
        .await?
        .into_iter()
        .map(|p| p.ok_or_else(|| Error::validation("unknown product")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut items: Vec<OrderItem> = lines
        .iter()
        .zip(&products)
        .map(|((sku, quantity), p)| OrderItem {
            order_id: id,
            sku: (*sku).into(),
            quantity: *quantity,
            price: p.price,
        })
        .collect();
    let mut order = Order {
        customer: customer.into(),
        id,
        status: "PLACED".into(),
        placed_at: placed_at.into(),
        total: items.iter().map(|i| i.price * i.quantity as u64).sum(),
    };
    // The transaction borrows the models it creates, and gives them their stamps and versions
    // when it commits.
    let mut tx = table.transaction().create(&mut order);
    for item in &mut items {
        let (sku, quantity) = (item.sku.clone(), item.quantity);
        tx = tx.create(item).update(
            Product::update(table, Product::key(sku.as_str()))
                .add("stock", -quantity)
                .condition(attr("stock").ge(quantity)),
        );
    }
    tx.commit().await?;
    Ok(order)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = orm_examples::table(&orm_examples::unique_name("shop")).await?;
    println!("backend: {}", orm_examples::backend_name());
    table
        .create_table::<(Customer, Product, Order, OrderItem)>()
        .await?;
    println!("table `{}` created", table.name());

    // Catalogue: a batch write (chunked, retried, nothing lost).
    let mut products = vec![
        Product {
            sku: "KB-1".into(),
            name: "Keyboard".into(),
            price: 4_999,
            stock: 10,
        },
        Product {
            sku: "MS-1".into(),
            name: "Mouse".into(),
            price: 1_999,
            stock: 3,
        },
        Product {
            sku: "MN-1".into(),
            name: "Monitor".into(),
            price: 19_999,
            stock: 1,
        },
    ];
    Product::batch_create(&table, &mut products).await?;
    println!("{} products stored with batch_create", products.len());

    for (id, name) in [("c1", "Ada"), ("c2", "Grace")] {
        Customer {
            id: id.into(),
            name: name.into(),
            email: format!("{id}@example.com"),
        }
        .create(&table)
        .await?;
    }

    // Orders, each in one transaction.
    let o1 = place_order(
        &table,
        "c1",
        1,
        "2025-01-10T09:00:00.000000Z",
        &[("KB-1", 1), ("MS-1", 2)],
    )
    .await?;
    place_order(
        &table,
        "c1",
        2,
        "2025-01-11T10:30:00.000000Z",
        &[("MN-1", 1)],
    )
    .await?;
    place_order(
        &table,
        "c2",
        3,
        "2025-01-11T11:00:00.000000Z",
        &[("KB-1", 2)],
    )
    .await?;
    place_order(
        &table,
        "c1",
        4,
        "2025-01-12T08:15:00.000000Z",
        &[("KB-1", 1)],
    )
    .await?;
    println!("placed 4 orders; order 1 totals {} cents", o1.total);
    assert_eq!(o1.total, 4_999 + 2 * 1_999);

    // Overselling: only 1 mouse is left. The whole transaction is cancelled, naming the action.
    let oversell = place_order(
        &table,
        "c2",
        5,
        "2025-01-12T09:00:00.000000Z",
        &[("KB-1", 1), ("MS-1", 5)],
    )
    .await;
    match &oversell {
        Err(Error::TransactionCanceled { reasons }) => {
            let failed: Vec<_> = reasons.iter().filter(|r| r.is_failure()).collect();
            println!("order 5 refused: {}", oversell.as_ref().unwrap_err());
            // Actions: create order, create item KB-1, take KB-1, create item MS-1, take MS-1.
            assert_eq!(failed.len(), 1);
            assert_eq!(failed[0].index, 4);
        }
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
    assert!(!Order::exists(&table, Order::key("c2", 5u64)).await?);
    let stock = Product::batch_get(&table, ["KB-1", "MS-1", "MN-1"].map(Product::key))
        .await?
        .into_iter()
        .map(|p| p.map(|p| p.stock).unwrap_or(-1))
        .collect::<Vec<_>>();
    assert_eq!(stock, [6, 1, 0], "the refused order took nothing");
    println!("stock left (keyboard, mouse, monitor): {stock:?}");

    // A customer's profile and two most recent orders: ONE query, newest first.
    let page = CustomerPage::query(&table)
        .partition(Customer::partition("c1"))
        .reverse()
        .limit(3)
        .all()
        .await?;
    let CustomerPage::Customer(ada) = &page[0] else {
        panic!("the profile comes first in reverse order")
    };
    let recent: Vec<u64> = page[1..]
        .iter()
        .filter_map(|x| match x {
            CustomerPage::Order(o) => Some(o.id),
            CustomerPage::Customer(_) => None,
        })
        .collect();
    println!(
        "{} and her latest orders {recent:?}, in one query",
        ada.name
    );
    assert_eq!(recent, [4, 2]);

    // An order's items: one query of the order's partition.
    let lines = OrderItem::query(&table)
        .partition(OrderItem::partition(1u64))
        .all()
        .await?;
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.sku.as_str(), l.quantity))
            .collect::<Vec<_>>(),
        [("KB-1", 1), ("MS-1", 2)]
    );
    println!("order 1 has {} lines", lines.len());

    // Ship order 2: changing `status` moves the order within gsi1 (the index keys are
    // recomputed in the same update).
    Order::update(&table, Order::key("c1", 2u64))
        .set("status", "SHIPPED")
        .condition(attr("status").eq("PLACED"))
        .await?;

    // Orders waiting to ship, oldest first, across customers.
    let placed = Order::query(&table)
        .index("gsi1")
        .partition(Order::gsi1_partition("PLACED"))
        .all()
        .await?;
    let ids: Vec<u64> = placed.iter().map(|o| o.id).collect();
    println!("orders to ship, oldest first: {ids:?}");
    assert_eq!(ids, [1, 3, 4]);
    let placed_on_the_11th = Order::query(&table)
        .index("gsi1")
        .partition(Order::gsi1_partition("PLACED"))
        .sk_begins_with(Order::gsi1_sort_key("2025-01-11"))
        .count()
        .await?;
    assert_eq!(placed_on_the_11th, 1);
    let shipped = Order::query(&table)
        .index("gsi1")
        .partition(Order::gsi1_partition("SHIPPED"))
        .first()
        .await?
        .expect("order 2 was shipped");
    assert_eq!(shipped.id, 2);

    // Ada's orders still to ship, newest first: `customerStatus` is keyed by the attributes
    // themselves (customer and status, sorted by placed_at), so its query is typed.
    let waiting = Order::query(&table)
        .key(Order::customerstatus_key("c1", "PLACED"))
        .reverse()
        .all()
        .await?;
    let ids: Vec<u64> = waiting.iter().map(|o| o.id).collect();
    println!("Ada's orders to ship, newest first: {ids:?}");
    assert_eq!(ids, [4, 1]);

    // Shipping twice fails its condition: nothing changes.
    let again = Order::update(&table, Order::key("c1", 2u64))
        .set("status", "SHIPPED")
        .condition(attr("status").eq("PLACED"))
        .await;
    assert!(matches!(again, Err(Error::ConditionFailed { .. })));

    table.delete_table().await?;
    println!("ecommerce: ok");
    Ok(())
}
