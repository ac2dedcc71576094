//! Changing a live table: a global secondary index created on a table that already holds items
//! (backfilled, then kept up to date), queried once `update_table` returns (the table and the
//! index ACTIVE), and deleted; a refused change leaves the table as it was.

use crate::models::{Note, Todo};
use orm_core::backend::UpdateTable;
use orm_core::{Error, ModelExt, Table};

fn note(id: u32, kind: &str) -> Note {
    Note {
        id: format!("{id:03}"),
        kind: kind.to_owned(),
        text: format!("note {id}"),
    }
}

/// The notes of `kind`, by the index `by_kind`.
async fn by_kind(table: &Table, kind: &str) -> Result<Vec<Note>, Error> {
    Note::query(table)
        .index("by_kind")
        .partition(Note::by_kind_partition(kind))
        .all()
        .await
}

/// Creates `by_kind` on a table holding notes and todos, queries it (backfilled: the notes
/// stored before; kept up to date: one stored after), then deletes it.
pub async fn index_created_on_a_live_table(table: &Table) {
    let notes: Vec<Note> = (0..30)
        .map(|i| note(i, ["red", "green", "blue"][i as usize % 3]))
        .collect();
    table.batch_put(&notes).await.unwrap();
    Todo {
        user_id: "u".into(),
        seq: 1,
        title: "not a note".into(),
        status: Some("open".into()),
        views: 0,
    }
    .create(table)
    .await
    .unwrap();
    // The index as the model declares it, which the table was created without.
    let index = table
        .definition::<Note>()
        .unwrap()
        .index("by_kind")
        .cloned()
        .expect("Note declares by_kind");
    let before = table.backend().describe_table(table.name()).await.unwrap();
    assert!(before.index("by_kind").is_none());
    assert!(by_kind(table, "red").await.is_err(), "no such index yet");

    table
        .backend()
        .update_table(&UpdateTable::new(table.name()).with_create_index(index.clone()))
        .await
        .unwrap();
    // update_table returned: the index is ACTIVE and backfilled.
    let red = by_kind(table, "red").await.unwrap();
    let expected: Vec<Note> = notes.iter().filter(|n| n.kind == "red").cloned().collect();
    assert_eq!(red, expected);
    let described = table.backend().describe_table(table.name()).await.unwrap();
    assert_eq!(described.index("by_kind"), Some(&index));
    // Writes after the creation keep it up to date.
    note(100, "red").create(table).await.unwrap();
    note(3, "green").save(table).await.unwrap();
    let red = by_kind(table, "red").await.unwrap();
    assert_eq!(red.len(), expected.len());
    assert_eq!(red.last().map(|n| n.id.as_str()), Some("100"));
    assert!(red.iter().all(|n| n.id != "003"), "moved to green");
    assert_eq!(by_kind(table, "green").await.unwrap().len(), 11);

    // A second index of the same name is refused, and changes nothing.
    let again = table
        .backend()
        .update_table(&UpdateTable::new(table.name()).with_create_index(index.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(again, Error::ServiceValidation { .. }),
        "{again:?}"
    );
    assert_eq!(by_kind(table, "blue").await.unwrap().len(), 10);

    table
        .backend()
        .update_table(&UpdateTable::new(table.name()).with_delete_index("by_kind"))
        .await
        .unwrap();
    let after = table.backend().describe_table(table.name()).await.unwrap();
    assert_eq!(after, before);
    assert!(by_kind(table, "red").await.is_err(), "the index is gone");
    assert_eq!(
        Note::scan(table).count().await.unwrap(),
        31,
        "the notes stay"
    );
}
