use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id}", sk = "PROFILE", local_index(name = "lsi1"))]
struct User {
    id: String,
    name: String,
}

fn main() {}
