use orm_core::Model;
use serde::{Deserialize, Serialize};

// More than four partition attributes.
#[derive(Model, Serialize, Deserialize)]
#[model(pk = "M#{id}", sk = "M")]
#[model(index(name = "tooMany", pk = [a, b, c, d, e]))]
struct TooMany {
    id: String,
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
}

// A field that does not exist.
#[derive(Model, Serialize, Deserialize)]
#[model(pk = "M#{id}", sk = "M")]
#[model(index(name = "byRegion", pk = [tournament, regoin]))]
struct Unknown {
    id: String,
    tournament: String,
    region: String,
}

// A type that cannot be a key attribute.
#[derive(Model, Serialize, Deserialize)]
#[model(pk = "M#{id}", sk = "M")]
#[model(index(name = "byFlag", pk = [tournament], sk = [done]))]
struct NotAKey {
    id: String,
    tournament: String,
    done: bool,
}

// A field used twice.
#[derive(Model, Serialize, Deserialize)]
#[model(pk = "M#{id}", sk = "M")]
#[model(index(name = "twice", pk = [tournament], sk = [round, tournament]))]
struct Twice {
    id: String,
    tournament: String,
    round: u32,
}

// A template mixed with a list of fields.
#[derive(Model, Serialize, Deserialize)]
#[model(pk = "M#{id}", sk = "M")]
#[model(index(name = "mixed", pk = "T#{tournament}", sk = [round]))]
struct Mixed {
    id: String,
    tournament: String,
    round: u32,
}

// A local index with several sort attributes.
#[derive(Model, Serialize, Deserialize)]
#[model(pk = "M#{id}", sk = "M")]
#[model(local_index(name = "local", sk = [round, tournament]))]
struct Local {
    id: String,
    tournament: String,
    round: u32,
}

// A condition on a multi-attribute index: sparse by its key attributes, not by `when`.
#[derive(Model, Serialize, Deserialize)]
#[model(pk = "M#{id}", sk = "M")]
#[model(index(name = "open", pk = [tournament], sk = [round], when = "Self::is_open(open)"))]
struct Conditional {
    id: String,
    tournament: String,
    round: u32,
    open: bool,
}

fn main() {}
