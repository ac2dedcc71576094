use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id}")]
#[model(index(name = "g", pk = "EMAIL#{email}"))]
#[model(index(pk = "NAME#{name}"))]
#[model(index(name = "gsi3", pk = "NAME#{name}", projection = "some"))]
#[model(index(name = "gsi4", pk = "NAME#{name}", projection = ["name", "nickname"]))]
struct User {
    id: String,
    name: String,
    email: String,
}

fn main() {}
