use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id}", sk = "PROFILE")]
#[model(local_index(name = "lsi1", pk = "NAME#{name}", sk = "{name}"))]
struct User {
    id: String,
    name: String,
}

fn main() {}
