use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "DOC#{id}")]
struct Doc {
    id: String,
    #[model(version)]
    version: Option<u64>,
    #[model(ttl)]
    expires_at: String,
}

fn main() {}
