// A query reads one partition: running one without `.partition(..)` does not compile, whatever
// else it has (a sort-key condition, an index, a limit).
use orm_core::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(entity = "Todo", pk = "USER#{user}", sk = "TODO#{id}")]
struct Todo {
    user: String,
    id: u32,
}

async fn open_todos(table: &Table) -> Result<Vec<Todo>, Error> {
    Todo::query(table).sk_begins_with(Todo::sk_prefix()).limit(10).all().await
}

fn main() {
    let _ = open_todos;
}
