use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "DOC#{id}")]
struct Doc {
    id: String,
    #[model(version)]
    version: u64,
    #[model(version)]
    revision: u64,
    #[model(ttl)]
    expires_at: Option<i64>,
    #[model(ttl)]
    purge_at: i64,
}

fn main() {}
