use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id")]
struct Unclosed {
    id: String,
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#id}")]
struct Unopened {
    id: String,
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id{x}}")]
struct Nested {
    id: String,
}

fn main() {}
