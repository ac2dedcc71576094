use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id}", sk = "POST#{}")]
struct Post {
    id: String,
}

fn main() {}
