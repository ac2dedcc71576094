//! A todo app on one table: users and their todos in one partition, auto-increment todo ids from
//! a counter on the user item, a sparse "due date" index, cursor pagination as it would travel in
//! a URL, partial updates, optimistic locking, a TTL for finished todos, and a collection query.
//!
//! Runs on the in-memory backend by default; set `DYNAMODB_ENDPOINT` to run it on DynamoDB:
//!
//! ```text
//! cargo run --example todo_app
//! DYNAMODB_ENDPOINT=http://127.0.0.1:8000 cargo run --example todo_app
//! ```
//!
//! Every step asserts its result, so running it is a test (`scripts/test` runs it on both backends).

use orm_core::{attr, collection, Cursor, Error, Model, ModelExt};
use serde::{Deserialize, Serialize};

/// A user, at `USER#{id}` / `PROFILE`. `next_todo` is the counter todo ids come from.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
struct User {
    id: String,
    name: String,
    #[serde(default)]
    next_todo: u64,
}

/// Open or finished.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Open,
    Done,
}

/// A todo, in its user's partition: `USER#{user_id}` / `TODO#{id}` (the id zero-padded, so todos
/// sort by id). Todos with a due date are also in the sparse index `gsi1`
/// (`DUE#{user_id}` / `{due}`): a todo without one is simply not in that index.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Todo", pk = "USER#{user_id}", sk = "TODO#{id}")]
#[model(index(name = "gsi1", pk = "DUE#{user_id}", sk = "{due}"))]
struct Todo {
    user_id: String,
    id: u64,
    title: String,
    status: Status,
    /// `YYYY-MM-DD`: sorts as text.
    due: Option<String>,
    /// Optimistic locking: a save of a stale copy is `Error::VersionConflict`.
    #[model(version)]
    version: u64,
    /// DynamoDB deletes the item some time after this instant (epoch seconds).
    #[model(ttl)]
    expires_at: Option<i64>,
}

collection! {
    /// A user's partition read in one query: the profile and the todos.
    #[derive(Debug)]
    enum UserPage { User(User), Todo(Todo) }
}

/// Allocates the next todo id of `user`: an atomic `ADD` on the user item, returning the new value.
async fn next_todo_id(table: &orm_core::Table, user: &str) -> Result<u64, Error> {
    let user = User::update(table, User::key(user))
        .add("next_todo", 1)
        .returning_new()
        .await?
        .expect("returning_new returns the item");
    Ok(user.next_todo)
}

/// Adds a todo with the next id of its user.
async fn add_todo(
    table: &orm_core::Table,
    user: &str,
    title: &str,
    due: Option<&str>,
) -> Result<Todo, Error> {
    let mut todo = Todo {
        user_id: user.into(),
        id: next_todo_id(table, user).await?,
        title: title.into(),
        status: Status::Open,
        due: due.map(Into::into),
        version: 0,
        expires_at: None,
    };
    todo.create(table).await?;
    println!("  added todo {} `{title}` (due {due:?})", todo.id);
    Ok(todo)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = orm_examples::table(&orm_examples::unique_name("todo-app")).await?;
    println!("backend: {}", orm_examples::backend_name());
    table.create_table::<(User, Todo)>().await?;
    println!("table `{}` created (pk, sk, gsi1, TTL)", table.name());

    // Users.
    for (id, name) in [("alice", "Alice"), ("bob", "Bob")] {
        User {
            id: id.into(),
            name: name.into(),
            next_todo: 0,
        }
        .create(&table)
        .await?;
    }
    println!("created users alice and bob");

    // Todos with auto-increment ids.
    let plan = [
        ("write the docs", Some("2025-03-03")),
        ("review the PR", None),
        ("book flights", Some("2025-02-14")),
        ("water the plants", Some("2025-03-01")),
        ("call mum", None),
    ];
    for (title, due) in plan {
        add_todo(&table, "alice", title, due).await?;
    }
    add_todo(&table, "bob", "fix the bike", Some("2025-02-20")).await?;
    assert_eq!(User::get(&table, User::key("alice")).await?.next_todo, 5);

    // Page through alice's todos two at a time. The cursor is opaque text: it would travel to
    // the client in a URL (`?cursor=...`) and come back; parsing it back is all it takes.
    println!("alice's todos, two per page:");
    let mut token: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let cursor = token.as_deref().map(str::parse::<Cursor>).transpose()?;
        let page = Todo::query(&table)
            .partition(Todo::partition("alice"))
            .limit(2)
            .cursor(cursor)
            .paginate()
            .await?;
        println!(
            "  page: {:?}",
            page.items.iter().map(|t| &t.title).collect::<Vec<_>>()
        );
        seen.extend(page.items.iter().map(|t| t.id));
        match page.cursor {
            Some(c) => token = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, [1, 2, 3, 4, 5], "every todo once, in id order");

    // A cursor from alice's query does not continue bob's.
    let alice_cursor = Todo::query(&table)
        .partition(Todo::partition("alice"))
        .limit(1)
        .paginate()
        .await?
        .cursor;
    let misuse = Todo::query(&table)
        .partition(Todo::partition("bob"))
        .cursor(alice_cursor)
        .paginate()
        .await;
    assert!(matches!(misuse, Err(Error::InvalidCursor { .. })));
    println!("a cursor from another query is rejected: InvalidCursor");

    // Finish todo 3: a partial update. Removing `due` takes it out of the sparse due-date index;
    // the TTL makes DynamoDB delete it about 30 days from now.
    let in_30_days: i64 = orm_core::timestamp::Timestamp::from_system_time(
        std::time::SystemTime::now() + std::time::Duration::from_secs(30 * 86_400),
    );
    let done: Todo = Todo::update(&table, Todo::key("alice", 3u64))
        .set("status", Status::Done)
        .remove("due")
        .set("expires_at", in_30_days)
        .returning_new()
        .await?
        .expect("returning_new");
    assert_eq!((done.status, done.due.as_deref()), (Status::Done, None));
    assert_eq!(done.version, 2, "an update bumps the version");
    println!("finished todo 3 (expires at {:?})", done.expires_at);

    // Alice's due todos, soonest first, through the sparse index; the finished one is gone.
    let due: Vec<Todo> = Todo::query(&table)
        .index("gsi1")
        .partition(Todo::gsi1_partition("alice"))
        .all()
        .await?;
    println!(
        "due, soonest first: {:?}",
        due.iter()
            .map(|t| (t.due.as_deref().unwrap_or(""), t.title.as_str()))
            .collect::<Vec<_>>()
    );
    assert_eq!(due.iter().map(|t| t.id).collect::<Vec<_>>(), [4, 1]);
    let due_in_march = Todo::query(&table)
        .index("gsi1")
        .partition(Todo::gsi1_partition("alice"))
        .sk_between(
            Todo::gsi1_sort_key("2025-03-01"),
            Todo::gsi1_sort_key("2025-03-31"),
        )
        .count()
        .await?;
    assert_eq!(due_in_march, 2);

    // Open todos, with a filter (applied after the key condition, on the server).
    let open = Todo::query(&table)
        .partition(Todo::partition("alice"))
        .filter(attr("status").eq("Open"))
        .count()
        .await?;
    assert_eq!(open, 4);
    println!("alice has {open} open todos");

    // Optimistic locking: two copies of todo 1; the second save is refused.
    let mut tab_a = Todo::get(&table, Todo::key("alice", 1u64)).await?;
    let mut tab_b = tab_a.clone();
    tab_a.title = "write the docs (all of them)".into();
    tab_a.save(&table).await?;
    tab_b.title = "skip the docs".into();
    let stale = tab_b.save(&table).await;
    assert!(matches!(stale, Err(Error::VersionConflict { .. })));
    println!("a save of a stale copy is a VersionConflict; nothing was lost");

    // modify(): read, change, save, retrying on conflicts.
    let renamed = Todo::modify(&table, Todo::key("alice", 2u64), 5, |t| {
        t.title = t.title.to_uppercase();
    })
    .await?;
    assert_eq!(renamed.title, "REVIEW THE PR");

    // One query reads the user's profile and todos together (a collection).
    let partition = UserPage::query(&table)
        .partition(User::partition("alice"))
        .all()
        .await?;
    let (users, todos) = partition.iter().fold((0, 0), |(u, t), x| match x {
        UserPage::User(_) => (u + 1, t),
        UserPage::Todo(_) => (u, t + 1),
    });
    assert_eq!((users, todos), (1, 5));
    println!("alice's partition: {users} profile, {todos} todos, one query");

    // Delete.
    let call = Todo::get(&table, Todo::key("alice", 5u64)).await?;
    call.delete(&table).await?;
    assert!(!Todo::exists(&table, Todo::key("alice", 5u64)).await?);
    assert!(matches!(
        Todo::get(&table, Todo::key("alice", 5u64)).await,
        Err(Error::NotFound { .. })
    ));
    println!("deleted todo 5");

    table.delete_table().await?;
    println!("todo_app: ok");
    Ok(())
}
