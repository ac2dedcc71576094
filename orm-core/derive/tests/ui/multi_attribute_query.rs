use orm_core::{Model, ModelExt, Table};
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "M#{id}", sk = "M")]
#[model(index(name = "byRegion", pk = [tournament, region], sk = [round, bracket]))]
struct Match {
    id: String,
    tournament: String,
    region: String,
    round: u32,
    bracket: String,
}

fn queries(table: &Table) {
    // Every partition attribute is a parameter: one missing does not compile.
    let _ = Match::byregion_key("W24");
    // A range ends the key: no condition on a later sort attribute can follow it.
    let _ = Match::query(table).key(Match::byregion_key("W24", "EU").lt(3u32).eq("upper"));
}

fn main() {}
