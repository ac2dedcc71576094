use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "ISSUE#{id:0}", sk = "{title:4}")]
#[model(index(name = "gsi1", pk = "{Self::bucket(missing)}", when = "Self::open(version)"))]
#[model(index(name = "gsi2", pk = "{Self::bucket(a.b)}", when = "not a call"))]
struct Issue {
    id: u32,
    title: String,
    #[model(version)]
    version: u64,
}

fn main() {}
