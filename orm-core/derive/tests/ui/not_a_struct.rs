use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "STATUS")]
enum Status {
    Open,
    Done,
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "PAIR")]
struct Pair(String, u64);

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "UNIT")]
struct Unit;

fn main() {}
