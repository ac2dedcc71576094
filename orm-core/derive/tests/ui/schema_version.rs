use orm_core::{Item, Model, Result};
use serde::{Deserialize, Serialize};

fn upgrade(item: Item, _from: u32) -> Result<Item> {
    Ok(item)
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "A#{id}", schema_version = 0)]
struct Zero {
    id: String,
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "B#{id}", upgrade = upgrade)]
struct UpgradeWithoutVersion {
    id: String,
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "C#{id}", schema_version = "2")]
struct NotANumber {
    id: String,
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "D#{id}", schema_version = 2, schema_version = 3)]
struct Twice {
    id: String,
}

fn main() {}
