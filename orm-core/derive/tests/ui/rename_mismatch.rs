use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id}")]
#[serde(rename_all = "camelCase")]
struct User {
    id: String,
    #[model(rename = "display_name")]
    display_name: String,
    #[serde(rename(serialize = "mail", deserialize = "email"))]
    email: String,
}

fn main() {}
