//! Quickstart: two entity types with composite keys in one table, create / get / save / find /
//! exists / delete, and a query.
//!
//! Runs on the in-memory backend by default; set `DYNAMODB_ENDPOINT` (e.g. DynamoDB Local) to
//! run the same code on DynamoDB:
//!
//! ```text
//! cargo run --example quickstart
//! DYNAMODB_ENDPOINT=http://127.0.0.1:8000 cargo run --example quickstart
//! ```

use orm_core::{attr, Error, Model, ModelExt};
use serde::{Deserialize, Serialize};

/// A user profile, stored at `USER#{id}` / `PROFILE`.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
struct User {
    id: String,
    name: String,
    email: Option<String>,
}

/// A user's todo, in the same partition as the user: `USER#{user_id}` / `TODO#{seq}`.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Todo", pk = "USER#{user_id}", sk = "TODO#{seq}")]
struct Todo {
    user_id: String,
    seq: u32,
    title: String,
    done: bool,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = orm_examples::table("quickstart").await?;
    println!("backend: {}", orm_examples::backend_name());
    table.create_table_if_not_exists::<(User, Todo)>().await?;
    println!(
        "table `{}` ready (pk/sk, entity attribute `__entity`)",
        table.name()
    );

    let mut alice = User {
        id: "alice".into(),
        name: "Alice".into(),
        email: None,
    };
    alice.save(&table).await?;
    println!("saved {alice:?}");

    for (seq, title) in ["write docs", "ship it", "celebrate"]
        .into_iter()
        .enumerate()
    {
        let mut todo = Todo {
            user_id: "alice".into(),
            seq: seq as u32 + 1,
            title: title.into(),
            done: false,
        };
        match todo.create(&table).await {
            Ok(()) => println!("created todo {}: {title}", todo.seq),
            Err(Error::AlreadyExists { key, .. }) => println!("todo {key} exists already"),
            Err(e) => return Err(e),
        }
    }

    let user = User::get(&table, User::key("alice")).await?;
    println!("got {user:?}");
    println!(
        "bob exists: {}",
        User::exists(&table, User::key("bob")).await?
    );

    let mut first = Todo::get(&table, Todo::key("alice", 1u32)).await?;
    first.done = true;
    first.save(&table).await?;
    println!("marked todo 1 done");

    let open = Todo::query(&table)
        .partition(Todo::partition("alice"))
        .filter(attr("done").eq(false))
        .all()
        .await?;
    println!(
        "open todos (the profile in the same partition is never mixed in): {:?}",
        open.iter().map(|t| &t.title).collect::<Vec<_>>()
    );

    let page = Todo::query(&table)
        .partition(Todo::partition("alice"))
        .reverse()
        .limit(2)
        .paginate()
        .await?;
    println!(
        "newest two: {:?}, more: {}",
        page.items.iter().map(|t| t.seq).collect::<Vec<_>>(),
        page.cursor.is_some()
    );

    first.delete(&table).await?;
    println!(
        "after delete, todo 1 found: {}",
        Todo::find(&table, Todo::key("alice", 1u32))
            .await?
            .is_some()
    );
    Ok(())
}
