//! An application's integration tests on DynamoDB Local, written the way a user writes them in
//! their own crate: each test starts with one line, `TestTable::for_models::<...>("app")`, which
//! gives it a fresh table on the test process's one DynamoDB Local.
//!
//! In your `Cargo.toml`:
//!
//! ```toml
//! [dev-dependencies]
//! orm-dynamodb = { version = "0.1", features = ["testcontainers"] }  # or just "testing"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! The server comes from `DYNAMODB_ENDPOINT` when set, else one `amazon/dynamodb-local`
//! container (Docker, feature `testcontainers`) for the whole test process, else a DynamoDB Local
//! JVM from the jar; it is removed when the process ends. `scripts/test` runs this file both on
//! its jar server and through testcontainers. See docs/testing.md.

use orm_core::prelude::*;
use orm_dynamodb::testing::TestTable;
use serde::{Deserialize, Serialize};

/// The application's models (in a real app they live in its library).
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Account", pk = "ACCOUNT#{email}", sk = "ACCOUNT")]
struct Account {
    email: String,
    name: String,
    #[model(version)]
    version: u64,
}

#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Note", pk = "ACCOUNT#{email}", sk = "NOTE#{note_id}")]
struct Note {
    email: String,
    note_id: u32,
    text: String,
}

/// The application code under test: takes a `Table`, whatever the backend.
async fn sign_up(table: &Table, email: &str, name: &str) -> Result<Account> {
    let mut account = Account {
        email: email.into(),
        name: name.into(),
        version: 0,
    };
    account.create(table).await?;
    Ok(account)
}

#[tokio::test]
async fn signing_up_twice_is_refused() {
    let fixture = TestTable::for_models::<(Account, Note)>("app")
        .await
        .unwrap();
    let table = fixture.table();

    let account = sign_up(&table, "ada@example.com", "Ada").await.unwrap();
    assert_eq!(account.version, 1);
    let again = sign_up(&table, "ada@example.com", "Ada again").await;
    assert!(
        matches!(again, Err(Error::AlreadyExists { .. })),
        "{again:?}"
    );
    let stored = Account::get(&table, Account::key("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(stored.name, "Ada");

    fixture.cleanup().await.unwrap();
}

#[tokio::test]
async fn notes_page_with_a_cursor() {
    let fixture = TestTable::for_models::<(Account, Note)>("app")
        .await
        .unwrap();
    let table = fixture.table();

    sign_up(&table, "bob@example.com", "Bob").await.unwrap();
    let mut notes: Vec<Note> = (0..7)
        .map(|note_id| Note {
            email: "bob@example.com".into(),
            note_id,
            text: format!("note {note_id}"),
        })
        .collect();
    Note::batch_create(&table, &mut notes).await.unwrap();

    let first = Note::query(&table)
        .partition(Note::partition("bob@example.com"))
        .limit(4)
        .paginate()
        .await
        .unwrap();
    assert_eq!(first.items, notes[..4]);
    let rest = Note::query(&table)
        .partition(Note::partition("bob@example.com"))
        .limit(4)
        .cursor(first.cursor)
        .paginate()
        .await
        .unwrap();
    assert_eq!(rest.items, notes[4..]);
    assert!(rest.cursor.is_none());

    fixture.cleanup().await.unwrap();
}
