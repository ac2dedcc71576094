//! The benchmark model: an order of ~1 KB with 12 fields of mixed types.

use orm_core::Model;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The entity name stored on every order item.
pub const ENTITY: &str = "Order";

/// Orders per customer partition (a query of one partition returns this many).
pub const ORDERS_PER_CUSTOMER: u64 = 100;

/// Orders per region (one partition of the `gsi1` index).
pub const ORDERS_PER_REGION: u64 = 1000;

/// Declares an order struct: the same 12 fields (and the same stored item) for [`Order`] and
/// [`OrderByCustomerRegion`], which differ only in the indexes they declare.
macro_rules! order_struct {
    ($(#[$attribute:meta])* $name:ident) => {
        #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
        $(#[$attribute])*
        #[model(
            entity = "Order",
            pk = "CUSTOMER#{customer_id}",
            sk = "ORDER#{order_id}"
        )]
        pub struct $name {
            /// 1. Owner (partition key).
            pub customer_id: String,
            /// 2. Order number (sort key, zero-padded).
            pub order_id: u64,
            /// 3. Region (index partition key).
            pub region: String,
            /// 4. Total, in cents.
            pub total_cents: i64,
            /// 5. Discount rate.
            pub discount: f64,
            /// 6. Item count.
            pub quantity: u32,
            /// 7. Paid or not.
            pub paid: bool,
            /// 8. Optional note (present in the samples).
            pub note: Option<String>,
            /// 9. Tags.
            pub tags: Vec<String>,
            /// 10. Free-form attributes.
            pub attributes: BTreeMap<String, String>,
            /// 11. A binary checksum.
            #[serde(with = "serde_bytes")]
            pub payload: Vec<u8>,
            /// 12. A long description (most of the item's size).
            pub description: String,
        }
    };
}

order_struct! {
    /// An order: 12 fields (strings, integers, a float, a bool, an option, a list, a map and
    /// bytes), stored as ~1 KB with its keys (`CUSTOMER#{customer_id}` / `ORDER#{order_id}`) and a
    /// region index (`REGION#{region}` / `{order_id}`).
    #[model(index(name = "gsi1", pk = "REGION#{region}", sk = "{order_id}"))]
    Order
}

/// The multi-attribute index of [`OrderByCustomerRegion`].
pub const BY_CUSTOMER_REGION: &str = "by_customer_region";

order_struct! {
    /// The same order, stored the same way, declaring instead a multi-attribute index (issue
    /// 26): partition `customer_id`, `region`; sort `quantity`, `order_id`, all under their own
    /// names (no key attribute is built). The client-overhead benchmark of a query on such an
    /// index reads orders through it; it is a model of its own so that [`Order`]'s tables (the
    /// memory benchmarks') keep one index.
    #[model(index(
        name = "by_customer_region",
        pk = [customer_id, region],
        sk = [quantity, order_id]
    ))]
    OrderByCustomerRegion
}

/// The customer id of the `n`th customer.
pub fn customer_id(n: u64) -> String {
    format!("cust{n:06}")
}

/// The region of an order number.
pub fn region_of(order_id: u64) -> String {
    format!("r{:05}", order_id / ORDERS_PER_REGION)
}

/// The deterministic sample order number `order_id` (its customer is `order_id / 100`).
pub fn sample(order_id: u64) -> Order {
    let d = order_id % 97;
    let mut description = String::with_capacity(640);
    while description.len() < 600 {
        description.push_str("Lorem ipsum dolor sit amet, consectetur adipiscing elit; ");
    }
    description.truncate(600);
    Order {
        customer_id: customer_id(order_id / ORDERS_PER_CUSTOMER),
        order_id,
        region: region_of(order_id),
        total_cents: 1_000 + (order_id as i64 * 7919) % 1_000_000,
        discount: 0.05 + d as f64 / 1000.0,
        quantity: (order_id % 50) as u32 + 1,
        paid: !order_id.is_multiple_of(3),
        note: Some(format!("leave at the door, order {order_id}")),
        tags: ["gift", "express", "fragile", "priority", "bulk"]
            .iter()
            .map(|t| format!("{t}-{d}"))
            .collect(),
        attributes: [
            ("color", "midnight blue"),
            ("size", "XL"),
            ("channel", "web"),
            ("coupon", "SPRING-2024"),
            ("warehouse", "eu-central-7"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), format!("{v}-{d}")))
        .collect(),
        payload: (0..32u8)
            .map(|i| i.wrapping_mul(31).wrapping_add(d as u8))
            .collect(),
        description,
    }
}
