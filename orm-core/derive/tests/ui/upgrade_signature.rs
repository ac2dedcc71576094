use orm_core::{Item, Model};
use serde::{Deserialize, Serialize};

// An upgrade function must be `fn(Item, u32) -> orm_core::Result<Item>`.
fn upgrade(item: Item) -> Item {
    item
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "A#{id}", schema_version = 2, upgrade = upgrade)]
struct WrongSignature {
    id: String,
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "B#{id}", schema_version = 2, upgrade = no_such_fn)]
struct MissingFunction {
    id: String,
}

fn main() {}
