//! Sample data for looking at a table: the e-commerce models (examples/ecommerce.rs) written into
//! one table with a stream, as a shop's first weeks would write them. Five customers, six
//! products, 90 orders (70 of them Ada's, so her partition spans pages) with their lines, some
//! orders shipped (an update that moves them within `gsi1`) and one cancelled (a delete), so the
//! stream holds inserts, modifications and removals.
//!
//! ```text
//! cargo run --example shop_data                      # MemoryBackend: writes, checks, deletes
//! dynamodb-memory --ui &                             # then look at it in a browser:
//! DYNAMODB_ENDPOINT=http://127.0.0.1:8000 cargo run --example shop_data -- --keep shop
//! # http://127.0.0.1:8000/ui/table?table=shop
//! ```
//!
//! With `--keep NAME` the table is named NAME and left in place (scripts/ui-browser fills the
//! browser view this way); without it, a table of a unique name is checked and deleted.

use orm_core::backend::{StreamSpecification, StreamViewType, UpdateTable};
use orm_core::{attr, Error, ModelExt};
use orm_examples::ecommerce::{Customer, Order, OrderItem, Product};

/// Orders of each customer: Ada's partition is longer than a page of the browser view (50).
const ORDERS: [(&str, &str, u64); 5] = [
    ("c1", "Ada", 70),
    ("c2", "Grace", 5),
    ("c3", "Edsger", 5),
    ("c4", "Barbara", 5),
    ("c5", "Alan", 5),
];

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep = match args.as_slice() {
        [] => None,
        [flag, name] if flag == "--keep" => Some(name.clone()),
        _ => {
            eprintln!("usage: shop_data [--keep TABLE_NAME]");
            std::process::exit(2);
        }
    };
    let name = keep
        .clone()
        .unwrap_or_else(|| orm_examples::unique_name("shop"));
    let table = orm_examples::table(&name).await?;
    println!("backend: {}", orm_examples::backend_name());
    table
        .create_table::<(Customer, Product, Order, OrderItem)>()
        .await?;
    let with_stream = UpdateTable::new(table.name()).with_streams(StreamSpecification::Enabled(
        StreamViewType::NewAndOldImages,
    ));
    table.backend().update_table(&with_stream).await?;

    let mut products: Vec<Product> = [
        ("KB-1", "Keyboard", 4_999),
        ("MS-1", "Mouse", 1_999),
        ("MN-1", "Monitor", 19_999),
        ("CB-1", "USB-C cable", 899),
        ("HS-1", "Headset", 7_450),
        ("DK-1", "Dock", 12_900),
    ]
    .into_iter()
    .map(|(sku, name, price)| Product {
        sku: sku.into(),
        name: name.into(),
        price,
        stock: 500,
    })
    .collect();
    Product::batch_create(&table, &mut products).await?;

    let mut id = 0u64;
    for (customer, customer_name, orders) in ORDERS {
        Customer {
            id: customer.into(),
            name: customer_name.into(),
            email: format!("{}@example.com", customer_name.to_lowercase()),
        }
        .create(&table)
        .await?;
        for _ in 0..orders {
            id += 1;
            let mut lines: Vec<OrderItem> = (0..1 + id % 3)
                .map(|line| {
                    let product = &products[((id + line * 2) % 6) as usize];
                    OrderItem {
                        order_id: id,
                        sku: product.sku.clone(),
                        quantity: 1 + (id % 2) as i64,
                        price: product.price,
                    }
                })
                .collect();
            let mut order = Order {
                customer: customer.into(),
                id,
                status: "PLACED".into(),
                placed_at: format!(
                    "2025-01-{:02}T{:02}:{:02}:00.000000Z",
                    1 + id / 6,
                    8 + id % 10,
                    (id * 7) % 60
                ),
                total: lines.iter().map(|l| l.price * l.quantity as u64).sum(),
            };
            order.create(&table).await?;
            OrderItem::batch_create(&table, &mut lines).await?;
        }
    }
    // Every third order shipped: the update moves it from STATUS#PLACED to STATUS#SHIPPED in gsi1.
    for (customer, id) in order_ids().filter(|(_, id)| id % 3 == 0) {
        Order::update(&table, Order::key(customer, id))
            .set("status", "SHIPPED")
            .condition(attr("status").eq("PLACED"))
            .await?;
    }
    // Order 2 cancelled.
    Order::delete_key(&table, Order::key("c1", 2u64)).await?;

    let ada = Order::query(&table)
        .partition(Order::partition("c1"))
        .count()
        .await?;
    assert_eq!(ada, 69, "Ada's orders, less the cancelled one");
    let shipped = Order::query(&table)
        .index("gsi1")
        .partition(Order::gsi1_partition("SHIPPED"))
        .count()
        .await?;
    assert_eq!(shipped, 30);
    println!("table `{name}`: 5 customers, 6 products, 89 orders ({shipped} shipped)");

    if keep.is_some() {
        println!("shop_data: kept table `{name}`");
    } else {
        table.delete_table().await?;
        println!("shop_data: ok");
    }
    Ok(())
}

/// Every order's customer and id, in the order they were placed.
fn order_ids() -> impl Iterator<Item = (&'static str, u64)> {
    ORDERS
        .iter()
        .flat_map(|(customer, _, orders)| std::iter::repeat_n(*customer, *orders as usize))
        .zip(1u64..)
}
