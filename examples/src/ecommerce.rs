//! The e-commerce example's models (examples/ecommerce.rs): customers, products, orders and
//! order items in one table, with a GSI of orders by status, one of a customer's orders by
//! status (a multi-attribute key) and a collection of a customer's profile and orders. The
//! layout report of docs/modeling.md is drawn from them
//! (examples/layout_report.rs; pinned by tests/layout_report.rs).

use orm_core::{collection, Model};
use serde::{Deserialize, Serialize};

/// A customer.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Customer", pk = "CUSTOMER#{id}", sk = "PROFILE")]
pub struct Customer {
    /// Customer id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
}

/// A product and its stock.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Product", pk = "PRODUCT#{sku}", sk = "PRODUCT")]
pub struct Product {
    /// Stock-keeping unit: the product's id.
    pub sku: String,
    /// Product name.
    pub name: String,
    /// Price in cents (integers are exact; see docs/numbers.md for decimals).
    pub price: u64,
    /// Units in stock (never below 0: orders take stock conditionally).
    pub stock: i64,
}

/// An order of a customer, in the customer's partition; also in `gsi1` by status, and in
/// `customerStatus` by customer and status (a multi-attribute key: the attributes themselves).
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Order", pk = "CUSTOMER#{customer}", sk = "ORDER#{id}")]
#[model(index(name = "gsi1", pk = "STATUS#{status}", sk = "{placed_at}"))]
#[model(index(name = "customerStatus", pk = [customer, status], sk = [placed_at]))]
pub struct Order {
    /// The customer who placed it.
    pub customer: String,
    /// Increasing order number: zero-padded in the key, so orders sort by age.
    pub id: u64,
    /// `PLACED`, `SHIPPED`...: the partition of `gsi1`.
    pub status: String,
    /// Fixed-width UTC RFC 3339 (`orm_core::timestamp::rfc3339`).
    pub placed_at: String,
    /// Total in cents.
    pub total: u64,
}

/// One line of an order, in the order's partition.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "OrderItem", pk = "ORDER#{order_id}", sk = "ITEM#{sku}")]
pub struct OrderItem {
    /// The order (its partition).
    pub order_id: u64,
    /// The product.
    pub sku: String,
    /// Units ordered.
    pub quantity: i64,
    /// Unit price in cents, at the time of the order.
    pub price: u64,
}

collection! {
    /// A customer's partition: the profile and the orders.
    #[derive(Debug)]
    pub enum CustomerPage { Customer(Customer), Order(Order) }
}

/// The layout report of these models (see `orm_core::report`): the chart, access patterns,
/// index overloading, diagram and warnings that docs/modeling.md shows.
pub fn layout_report() -> orm_core::report::Report {
    orm_core::report::Report::builder()
        .models::<(Customer, Order, OrderItem, Product)>()
        .collection::<CustomerPage>("CustomerPage")
        .table_indexes(["gsi1", "customerStatus"])
        .build()
}
