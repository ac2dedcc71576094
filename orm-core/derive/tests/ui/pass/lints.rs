//! The generated code is clean under strict lints: documented, no unused or unreachable items.
#![deny(missing_docs, unreachable_pub, unused, missing_debug_implementations)]

use orm_core::Model;
use serde::{Deserialize, Serialize};

/// A public model: its constructors are public and documented.
#[derive(Model, Serialize, Deserialize, Debug)]
#[model(pk = "USER#{user_id}", sk = "TODO#{created_at}#{todo_id}")]
#[model(index(name = "gsi1", pk = "STATUS#{status}", sk = "{created_at}", projection = ["title"]))]
#[model(local_index(name = "lsi1", sk = "TITLE#{title}#{created_at}"))]
pub struct Todo {
    /// Owner.
    pub user_id: String,
    /// Id.
    pub todo_id: String,
    /// Title.
    pub title: String,
    /// Status.
    pub status: Option<String>,
    /// Creation time.
    pub created_at: u64,
}

/// A private model, whose generated constructors are never called.
#[derive(Model, Serialize, Deserialize, Debug)]
#[model(pk = "NOTE#{id}", sk = "{rev}#{lang}")]
struct Note {
    id: String,
    rev: i32,
    lang: String,
}

mod inner {
    /// A model in a private module, visible to its parent.
    #[derive(orm_core::Model, serde::Serialize, serde::Deserialize, Debug)]
    #[model(pk = "TAG#{name}")]
    pub(crate) struct Tag {
        pub(crate) name: String,
    }
}

fn main() {
    let note = Note {
        id: "n".into(),
        rev: 1,
        lang: "en".into(),
    };
    assert_eq!(
        note.primary_key().unwrap(),
        Note::key("n", 1, "en").unwrap()
    );
    assert!(inner::Tag::key("rust").is_ok());
    assert!(inner::Tag { name: "x".into() }.primary_key().is_ok());
    assert!(Todo::key("a", 1, "t").is_ok());
}
