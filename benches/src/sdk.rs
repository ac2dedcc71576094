//! The baseline: hand-written aws-sdk-dynamodb code doing exactly what the ORM does.
//!
//! Each function sends the request the ORM sends for the same operation (same attributes, same
//! expressions, same placeholders, same flags; `tests/same_requests.rs` checks the bodies are
//! equal) and decodes answers by hand into [`Order`], checking the entity attribute as the ORM
//! does.

use crate::model::{Order, BY_CUSTOMER_REGION, ENTITY, ORDERS_PER_CUSTOMER};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, PutRequest, ReturnConsumedCapacity, ReturnValue,
    ReturnValuesOnConditionCheckFailure, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::str::FromStr;

/// Any failure of the hand-written code.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The SDK's item type.
pub type AttributeMap = HashMap<String, AttributeValue>;

/// The partition key of a customer (`CUSTOMER#{customer_id}`).
pub fn pk(customer_id: &str) -> String {
    format!("CUSTOMER#{customer_id}")
}

/// The sort key of an order (`ORDER#{order_id}`, zero-padded to 20 digits as the ORM renders a `u64`).
pub fn sk(order_id: u64) -> String {
    format!("ORDER#{order_id:020}")
}

/// The stored item of an order, as the ORM stores it: keys, index keys, entity, 12 fields.
pub fn order_to_attributes(o: &Order) -> AttributeMap {
    let mut m = HashMap::with_capacity(17);
    let s = |v: &str| AttributeValue::S(v.to_owned());
    m.insert("pk".to_owned(), AttributeValue::S(pk(&o.customer_id)));
    m.insert("sk".to_owned(), AttributeValue::S(sk(o.order_id)));
    m.insert(
        "gsi1pk".to_owned(),
        AttributeValue::S(format!("REGION#{}", o.region)),
    );
    m.insert(
        "gsi1sk".to_owned(),
        AttributeValue::S(format!("{:020}", o.order_id)),
    );
    m.insert("__entity".to_owned(), s(ENTITY));
    m.insert("customer_id".to_owned(), s(&o.customer_id));
    m.insert(
        "order_id".to_owned(),
        AttributeValue::N(o.order_id.to_string()),
    );
    m.insert("region".to_owned(), s(&o.region));
    m.insert(
        "total_cents".to_owned(),
        AttributeValue::N(o.total_cents.to_string()),
    );
    m.insert(
        "discount".to_owned(),
        AttributeValue::N(o.discount.to_string()),
    );
    m.insert(
        "quantity".to_owned(),
        AttributeValue::N(o.quantity.to_string()),
    );
    m.insert("paid".to_owned(), AttributeValue::Bool(o.paid));
    if let Some(note) = &o.note {
        m.insert("note".to_owned(), s(note));
    }
    m.insert(
        "tags".to_owned(),
        AttributeValue::L(o.tags.iter().map(|t| s(t)).collect()),
    );
    m.insert(
        "attributes".to_owned(),
        AttributeValue::M(
            o.attributes
                .iter()
                .map(|(k, v)| (k.clone(), s(v)))
                .collect(),
        ),
    );
    m.insert(
        "payload".to_owned(),
        AttributeValue::B(Blob::new(o.payload.clone())),
    );
    m.insert("description".to_owned(), s(&o.description));
    m
}

fn take(m: &mut AttributeMap, name: &str) -> Result<AttributeValue, BoxError> {
    m.remove(name)
        .ok_or_else(|| format!("attribute `{name}` is missing").into())
}

fn string(v: AttributeValue, name: &str) -> Result<String, BoxError> {
    match v {
        AttributeValue::S(s) => Ok(s),
        other => Err(format!("`{name}`: expected S, got {other:?}").into()),
    }
}

fn take_s(m: &mut AttributeMap, name: &str) -> Result<String, BoxError> {
    string(take(m, name)?, name)
}

fn take_n<T: FromStr>(m: &mut AttributeMap, name: &str) -> Result<T, BoxError> {
    match take(m, name)? {
        AttributeValue::N(n) => n
            .parse()
            .map_err(|_| format!("`{name}`: {n} does not fit").into()),
        other => Err(format!("`{name}`: expected N, got {other:?}").into()),
    }
}

/// Decodes a stored order by hand; an item of another entity is an error (as in the ORM).
pub fn order_from_attributes(mut m: AttributeMap) -> Result<Order, BoxError> {
    match m.get("__entity") {
        Some(AttributeValue::S(e)) if e == ENTITY => {}
        other => return Err(format!("not an {ENTITY}: {other:?}").into()),
    }
    Ok(Order {
        customer_id: take_s(&mut m, "customer_id")?,
        order_id: take_n(&mut m, "order_id")?,
        region: take_s(&mut m, "region")?,
        total_cents: take_n(&mut m, "total_cents")?,
        discount: take_n(&mut m, "discount")?,
        quantity: take_n(&mut m, "quantity")?,
        paid: match take(&mut m, "paid")? {
            AttributeValue::Bool(b) => b,
            other => return Err(format!("`paid`: expected BOOL, got {other:?}").into()),
        },
        note: match m.remove("note") {
            None | Some(AttributeValue::Null(_)) => None,
            Some(v) => Some(string(v, "note")?),
        },
        tags: match take(&mut m, "tags")? {
            AttributeValue::L(l) => l
                .into_iter()
                .map(|v| string(v, "tags[]"))
                .collect::<Result<_, _>>()?,
            other => return Err(format!("`tags`: expected L, got {other:?}").into()),
        },
        attributes: match take(&mut m, "attributes")? {
            AttributeValue::M(a) => a
                .into_iter()
                .map(|(k, v)| Ok((k, string(v, "attributes.*")?)))
                .collect::<Result<_, BoxError>>()?,
            other => return Err(format!("`attributes`: expected M, got {other:?}").into()),
        },
        payload: match take(&mut m, "payload")? {
            AttributeValue::B(b) => b.into_inner(),
            other => return Err(format!("`payload`: expected B, got {other:?}").into()),
        },
        description: take_s(&mut m, "description")?,
    })
}

/// The GetItem request of an order by key (eventually consistent, the whole item).
fn get_request(
    client: &Client,
    table: &str,
    customer_id: &str,
    order_id: u64,
) -> aws_sdk_dynamodb::operation::get_item::builders::GetItemFluentBuilder {
    client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk(customer_id)))
        .key("sk", AttributeValue::S(sk(order_id)))
        .consistent_read(false)
}

/// GetItem by key, decoded: what `Order::get(&table, Order::key(..))` does.
pub async fn get(
    client: &Client,
    table: &str,
    customer_id: &str,
    order_id: u64,
) -> Result<Order, BoxError> {
    let out = get_request(client, table, customer_id, order_id)
        .send()
        .await?;
    let item = out.item.ok_or("not found")?;
    order_from_attributes(item)
}

/// [`get`] asking for the consumed capacity (`TOTAL`) and reading it: what `Order::get` does on
/// a table whose `TableConfig::capacity` is set (the capacity-on figure of issue 29).
pub async fn get_with_capacity(
    client: &Client,
    table: &str,
    customer_id: &str,
    order_id: u64,
) -> Result<(Order, f64), BoxError> {
    let out = get_request(client, table, customer_id, order_id)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await?;
    let units = out
        .consumed_capacity
        .as_ref()
        .and_then(|c| c.capacity_units)
        .unwrap_or_default();
    let item = out.item.ok_or("not found")?;
    Ok((order_from_attributes(item)?, units))
}

/// A conditional put that never clobbers another entity's item: what `order.save(&table)` does
/// (condition `attribute_not_exists(pk) OR __entity = :e`, the stored item returned on failure).
pub async fn put(client: &Client, table: &str, order: &Order) -> Result<(), BoxError> {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(order_to_attributes(order)))
        .condition_expression("(attribute_not_exists(#c0) OR #c1 = :c0)")
        .expression_attribute_names("#c0", "pk")
        .expression_attribute_names("#c1", "__entity")
        .expression_attribute_values(":c0", AttributeValue::S(ENTITY.to_owned()))
        .return_values(ReturnValue::None)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await?;
    Ok(())
}

/// Up to 100 orders of a customer, decoded: what
/// `Order::query(&table).partition(Order::partition(c)).limit(100).all()` does (the entity
/// filter included, following `LastEvaluatedKey` until 100 items or the end).
pub async fn query(
    client: &Client,
    table: &str,
    customer_id: &str,
) -> Result<Vec<Order>, BoxError> {
    query_orders(|| {
        client
            .query()
            .table_name(table)
            .key_condition_expression("#k0 = :k0")
            .filter_expression("#f0 = :f0")
            .expression_attribute_names("#k0", "pk")
            .expression_attribute_names("#f0", "__entity")
            .expression_attribute_values(":k0", AttributeValue::S(pk(customer_id)))
            .expression_attribute_values(":f0", AttributeValue::S(ENTITY.to_owned()))
    })
    .await
}

/// Up to 100 orders of a customer in a region, read through the multi-attribute index
/// [`BY_CUSTOMER_REGION`] (partition `customer_id`, `region`), decoded: what
/// `OrderByCustomerRegion::query(&table).key(OrderByCustomerRegion::by_customer_region_key(c, r)).limit(100).all()`
/// does. Key attributes are plain attributes, so the key condition names them (no key string
/// is built).
pub async fn query_by_customer_region(
    client: &Client,
    table: &str,
    customer_id: &str,
    region: &str,
) -> Result<Vec<Order>, BoxError> {
    query_orders(|| {
        client
            .query()
            .table_name(table)
            .index_name(BY_CUSTOMER_REGION)
            .key_condition_expression("#k0 = :k0 AND #k1 = :k1")
            .filter_expression("#f0 = :f0")
            .expression_attribute_names("#k0", "customer_id")
            .expression_attribute_names("#k1", "region")
            .expression_attribute_names("#f0", "__entity")
            .expression_attribute_values(":k0", AttributeValue::S(customer_id.to_owned()))
            .expression_attribute_values(":k1", AttributeValue::S(region.to_owned()))
            .expression_attribute_values(":f0", AttributeValue::S(ENTITY.to_owned()))
    })
    .await
}

/// Sends the query `page()` builds, page after page (each asking for the orders still wanted,
/// from where the last one ended), decoding up to 100 orders.
async fn query_orders(page: impl Fn() -> QueryFluentBuilder) -> Result<Vec<Order>, BoxError> {
    let want = ORDERS_PER_CUSTOMER as usize;
    let mut orders = Vec::with_capacity(want);
    let mut start = None;
    loop {
        let out = page()
            .limit((want - orders.len()) as i32)
            .set_exclusive_start_key(start)
            .scan_index_forward(true)
            .consistent_read(false)
            .send()
            .await?;
        for item in out.items.unwrap_or_default() {
            orders.push(order_from_attributes(item)?);
        }
        start = out.last_evaluated_key;
        if start.is_none() || orders.len() >= want {
            return Ok(orders);
        }
    }
}

/// One BatchWriteItem of up to 25 puts, retrying unprocessed items: what
/// `Order::batch_put(&table, &orders)` does for 25 orders.
pub async fn batch_put(client: &Client, table: &str, orders: &[Order]) -> Result<(), BoxError> {
    let mut writes: Vec<WriteRequest> = orders
        .iter()
        .map(|o| {
            Ok(WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(order_to_attributes(o)))
                        .build()?,
                )
                .build())
        })
        .collect::<Result<_, BoxError>>()?;
    for _ in 0..10 {
        let out = client
            .batch_write_item()
            .request_items(table, writes)
            .send()
            .await?;
        writes = out
            .unprocessed_items
            .and_then(|mut u| u.remove(table))
            .unwrap_or_default();
        if writes.is_empty() {
            return Ok(());
        }
    }
    Err("batch write left unprocessed items".into())
}
