use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(entity = "User", sk = "PROFILE")]
struct User {
    id: String,
}

fn main() {}
