use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{id}", sk = "PROFILE")]
#[model(unique(name = "pair", fields = ["email", "nickname"]))]
#[model(unique(name = "email", fields = ["email"]))]
#[model(unique(fields = ["email"]))]
#[model(unique(name = "scored", fields = ["score", "email", "email"]))]
#[model(unique)]
struct User {
    id: String,
    #[model(unique)]
    email: String,
    #[model(unique)]
    score: f64,
    #[model(version, unique)]
    version: u64,
}

fn main() {}
