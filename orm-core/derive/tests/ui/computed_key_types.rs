use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "ISSUE#{id}")]
#[model(index(name = "gsi1", pk = "{Self::bucket(title)}", when = "Self::open(id)"))]
struct Issue {
    id: u32,
    title: String,
}

impl Issue {
    fn bucket(title: &u64) -> u64 {
        *title
    }
    fn open(id: &u32) -> u32 {
        *id
    }
}

fn main() {}
