use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id}", sk = "PROFILE")]
#[model(
    index(name = "gsi-1", pk = "NAME#{name}"),
    index(name = "gsi_1", pk = "MAIL#{mail}")
)]
struct User {
    id: String,
    name: String,
    mail: String,
}

fn main() {}
