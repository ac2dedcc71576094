use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "")]
struct User {
    id: String,
}

fn main() {}
