//! `Table::verify` against a live DynamoDB Local table: a table created for one set of models
//! is checked against another set that needs more (an extra GSI, TTL), and the error is a
//! readable diff naming what is missing.
//!
//! Runs against `DYNAMODB_ENDPOINT`; prints a SKIP line without it, or fails with
//! `ORM_REQUIRE_DYNAMODB=1`.

use crate::common;

use orm_core::{Error, Table};
use serde::{Deserialize, Serialize};

#[derive(orm_core::Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
#[model(index(name = "gsi1", pk = "EMAIL#{email}", sk = "{id}"))]
struct User {
    id: String,
    email: String,
}

/// Needs an index (`gsi2`) and a TTL attribute the `User`-only table lacks.
#[derive(orm_core::Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Session", pk = "USER#{user_id}", sk = "SESSION#{token}")]
#[model(index(name = "gsi1", pk = "EMAIL#{email}", sk = "{token}"))]
#[model(index(name = "gsi2", pk = "TOKEN#{token}"))]
struct Session {
    user_id: String,
    email: String,
    token: String,
    #[model(ttl)]
    expires: i64,
}

#[tokio::test]
async fn verify_names_the_missing_index() {
    let Some(endpoint) = common::endpoint() else {
        return;
    };
    let backend = common::backend(&endpoint).await;
    let table = Table::new(backend, common::unique("orm_verify"));
    table.create_table::<User>().await.unwrap();

    // The models the table was made for match it.
    table.verify::<User>().await.unwrap();

    // A model set needing more does not, and the error says what is missing.
    let err = table.verify::<(User, Session)>().await.unwrap_err();
    println!("verify diff:\n{err}");
    let Error::Validation { message } = &err else {
        panic!("expected a Validation error, got {err:?}");
    };
    assert!(message.contains(table.name()), "{message}");
    assert!(message.contains("index `gsi2` is missing"), "{message}");
    assert!(message.contains("TTL attribute"), "{message}");
    assert!(
        !message.contains("`gsi1`"),
        "gsi1 exists and matches: {message}"
    );
    // One line per difference.
    assert_eq!(message.lines().count(), 3, "{message}");

    // A table that does not exist is TableNotFound, not a diff.
    let gone = Table::new(table.backend().clone(), common::unique("orm_verify_none"));
    assert!(matches!(
        gone.verify::<User>().await,
        Err(Error::TableNotFound { .. })
    ));

    // Once the table has what the models need (here: recreated from them), it verifies.
    table.delete_table().await.unwrap();
    table.create_table::<(User, Session)>().await.unwrap();
    table.verify::<(User, Session)>().await.unwrap();
    table.verify::<User>().await.unwrap();
    table.delete_table().await.unwrap();
}
