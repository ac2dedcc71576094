use orm_core::Model;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "USER#{usr_id}", sk = "TODO#{todo_id}")]
struct Todo {
    user_id: String,
    todo_id: String,
    title: String,
}

fn main() {}
