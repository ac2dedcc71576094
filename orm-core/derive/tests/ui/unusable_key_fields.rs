use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "READING#{sensor}#{cache}", sk = "{value}#{version}")]
struct Reading {
    sensor: String,
    value: f64,
    #[model(version)]
    version: u64,
    #[serde(skip)]
    cache: u8,
}

fn main() {}
