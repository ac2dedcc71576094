use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id}", partition = "USER")]
#[model(index(name = "gsi1", pk = "NAME#{name}", sort = "{id}"))]
struct User {
    id: String,
    #[model(key)]
    name: String,
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "A#{id}", pk = "B#{id}")]
struct Twice {
    id: String,
}

fn main() {}
