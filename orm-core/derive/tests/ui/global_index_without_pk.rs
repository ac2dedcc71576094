use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id}", sk = "PROFILE")]
#[model(index(name = "gsi1", sk = "{name}"))]
struct User {
    id: String,
    name: String,
}

fn main() {}
