//! Single-item operations: create, save, get, find, exists, delete, entity isolation, limits.

use crate::models::*;
use orm_core::backend::{GetItem, PutItem, ReturnValues};
use orm_core::expr::Condition;
use orm_core::{Error, Item, ModelExt, Number, Table, Value};

fn alice() -> User {
    User {
        id: "alice".into(),
        name: "Alice".into(),
        email: Some("alice@example.com".into()),
    }
}

/// The raw stored item at a model key, read straight from the backend.
pub async fn raw_item(table: &Table, pk: &str, sk: &str) -> Option<Item> {
    table
        .backend()
        .get_item(
            &GetItem::new(table.name(), Item::new().with("pk", pk).with("sk", sk))
                .with_consistent(true),
        )
        .await
        .expect("raw get")
        .map(|i| i.into_item().unwrap())
}

/// A raw put of `stored` under `condition`, returning the old item, and the current one when
/// the condition fails.
pub fn conditional_put(table: &Table, stored: &Item, condition: Condition) -> PutItem {
    PutItem::new(table.name(), stored.clone())
        .with_condition(condition)
        .with_return_values(ReturnValues::AllOld)
        .with_return_item_on_condition_failure(true)
}

/// create stores; get/find/exists read it back; delete removes it.
pub async fn create_get_find_exists_delete(table: &Table) {
    let mut user = alice();
    user.create(table).await.unwrap();
    assert_eq!(User::get(table, User::key("alice")).await.unwrap(), user);
    assert_eq!(
        User::find(table, User::key("alice")).await.unwrap(),
        Some(user.clone())
    );
    assert!(User::exists(table, User::key("alice")).await.unwrap());
    assert!(User::find(table, User::key("bob")).await.unwrap().is_none());
    assert!(!User::exists(table, User::key("bob")).await.unwrap());
    match User::get(table, User::key("bob")).await {
        Err(Error::NotFound { entity, key }) => {
            assert_eq!(entity, "User");
            assert_eq!(key, User::key("bob").unwrap());
            assert!(key.to_string().contains("USER#bob"), "{key}");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    user.delete(table).await.unwrap();
    assert!(User::find(table, User::key("alice"))
        .await
        .unwrap()
        .is_none());
    // Deleting again is not an error (DynamoDB deletes are idempotent).
    user.delete(table).await.unwrap();
}

/// The stored layout: fields under their own names, pk/sk/__entity beside them, None omitted.
pub async fn stored_layout_is_documented(table: &Table) {
    let mut user = User {
        email: None,
        ..alice()
    };
    user.create(table).await.unwrap();
    let raw = raw_item(table, "USER#alice", "PROFILE")
        .await
        .expect("stored");
    assert_eq!(raw.get("pk"), Some(&Value::from("USER#alice")));
    assert_eq!(raw.get("sk"), Some(&Value::from("PROFILE")));
    assert_eq!(raw.get("__entity"), Some(&Value::from("User")));
    assert_eq!(raw.get("name"), Some(&Value::from("Alice")));
    assert!(!raw.contains_key("email"), "None must be omitted, not NULL");
    assert_eq!(raw.len(), 5, "{raw:?}");
}

/// create on a taken key is AlreadyExists and leaves the stored item unchanged.
pub async fn create_existing_is_already_exists(table: &Table) {
    let mut user = alice();
    user.create(table).await.unwrap();
    let mut other = User {
        name: "Mallory".into(),
        ..alice()
    };
    match other.create(table).await {
        Err(Error::AlreadyExists { entity, key }) => {
            assert_eq!(entity, "User");
            assert_eq!(key, User::key("alice").unwrap());
            assert!(key.to_string().contains("USER#alice"));
        }
        r => panic!("expected AlreadyExists, got {r:?}"),
    }
    assert_eq!(User::get(table, User::key("alice")).await.unwrap(), user);
}

/// save is an upsert.
pub async fn save_upserts(table: &Table) {
    let mut user = alice();
    user.save(table).await.unwrap();
    user.name = "Alice B.".into();
    user.save(table).await.unwrap();
    assert_eq!(
        User::get(table, User::key("alice")).await.unwrap().name,
        "Alice B."
    );
}

/// Two entities with overlapping key prefixes live in one table without mixing.
pub async fn overlapping_entities_coexist(table: &Table) {
    let mut user = alice();
    user.create(table).await.unwrap();
    let mut profile = Profile {
        user_id: "alice".into(),
        kind: "work".into(),
        bio: "engineer".into(),
    };
    profile.create(table).await.unwrap();
    assert_eq!(User::get(table, User::key("alice")).await.unwrap(), user);
    assert_eq!(
        Profile::get(table, Profile::key("alice", "work"))
            .await
            .unwrap(),
        profile
    );
}

/// Reading another entity's item through a model is an error, never garbage.
pub async fn other_entity_is_an_error(table: &Table) {
    alice().create(table).await.unwrap();
    // A hand-written key pointing at the User item, read as a Profile.
    let key = orm_core::Key::with_sort("USER#alice", "PROFILE");
    match Profile::get(table, key.clone()).await {
        Err(Error::EntityMismatch {
            expected, found, ..
        }) => {
            assert_eq!((expected.as_str(), found.as_str()), ("Profile", "User"));
        }
        r => panic!("expected EntityMismatch, got {r:?}"),
    }
    assert_error!(Profile::delete_key(table, key).await, EntityMismatch);
    assert!(
        User::exists(table, User::key("alice")).await.unwrap(),
        "not deleted"
    );
}

/// Optimistic locking: create writes version 1; a stale save is VersionConflict.
pub async fn version_conflict(table: &Table) {
    let mut a = Account {
        id: "a1".into(),
        coins: 10,
        version: 0,
    };
    a.create(table).await.unwrap();
    assert_eq!(a.version, 1);
    let mut stale = a.clone();
    a.coins = 20;
    a.save(table).await.unwrap();
    assert_eq!(a.version, 2);
    stale.coins = 99;
    match stale.save(table).await {
        Err(Error::VersionConflict { expected, .. }) => assert_eq!(expected, "1"),
        r => panic!("expected VersionConflict, got {r:?}"),
    }
    let stored = Account::get(table, Account::key("a1")).await.unwrap();
    assert_eq!((stored.coins, stored.version), (20, 2));
}

/// Exact numbers: 38 digits and the 38-digit u128/i128 extremes round-trip through a model.
pub async fn numbers_round_trip_exactly(table: &Table) {
    let mut n = Numbers {
        id: "n".into(),
        exact: "12345678901234567890.123456789012345678".parse().unwrap(),
        big: 99_999_999_999_999_999_999_999_999_999_999_999_999u128,
        small: -99_999_999_999_999_999_999_999_999_999_999_999_999i128,
        i: i64::MIN,
        u: u64::MAX,
        f: 0.1,
        nested: [(
            "xs".to_string(),
            vec![
                Number::parse("1e-130").unwrap(),
                Number::parse("-9.9e125").unwrap(),
            ],
        )]
        .into(),
    };
    n.create(table).await.unwrap();
    assert_eq!(Numbers::get(table, Numbers::key("n")).await.unwrap(), n);
    let raw = raw_item(table, "NUM#n", "NUM").await.unwrap();
    assert_eq!(
        raw.get("exact").and_then(Value::as_n).map(Number::as_str),
        Some("12345678901234567890.123456789012345678")
    );
}

/// Numbers DynamoDB cannot hold are rejected with a clear error, and nothing is stored.
pub async fn unrepresentable_numbers_are_rejected(table: &Table) {
    let base = Numbers {
        id: "bad".into(),
        exact: Number::zero(),
        big: 0,
        small: 0,
        i: 0,
        u: 0,
        f: 0.0,
        nested: Default::default(),
    };
    let mut too_big = Numbers {
        big: u128::MAX,
        ..base.clone()
    };
    let e = too_big.create(table).await.unwrap_err().to_string();
    assert!(e.contains("big") && e.contains("38"), "{e}");
    let mut nan = Numbers {
        f: f64::NAN,
        ..base.clone()
    };
    let e = nan.create(table).await.unwrap_err().to_string();
    assert!(e.contains('f') && e.contains("NaN"), "{e}");
    let e = "1234567890123456789012345678901234567890"
        .parse::<Number>()
        .unwrap_err()
        .to_string();
    assert!(e.contains("39"), "{e}");
    assert!(Numbers::find(table, Numbers::key("bad"))
        .await
        .unwrap()
        .is_none());
}

/// A stored number that does not fit the model's integer type is an error naming the field.
pub async fn lossy_integer_read_is_an_error(table: &Table) {
    let item = Item::new()
        .with("pk", "ACCOUNT#x")
        .with("sk", "ACCOUNT")
        .with("__entity", "Account")
        .with("id", "x")
        .with("coins", Number::parse("1.5").unwrap())
        .with("version", 1u64);
    table
        .backend()
        .put_item(PutItem::new(table.name(), item))
        .await
        .unwrap();
    let e = Account::get(table, Account::key("x")).await.unwrap_err();
    assert_eq!(e.to_string(), "coins: 1.5 does not fit in i64");
}

/// An item over 400 KB is rejected before it is stored; one just under is stored.
pub async fn item_size_limit(table: &Table) {
    let limit = table.capabilities().limits.max_item_size;
    let mut blob = Blob {
        id: "b".into(),
        data: String::new(),
    };
    let overhead = table.layout().to_stored_item(&blob).unwrap().size();
    blob.data = "x".repeat(limit + 1 - overhead);
    assert_eq!(
        table.layout().to_stored_item(&blob).unwrap().size(),
        limit + 1
    );
    let e = blob.create(table).await.unwrap_err();
    assert!(matches!(e, Error::Validation { .. }), "{e:?}");
    assert!(e.to_string().contains("400"), "{e}");
    assert!(Blob::find(table, Blob::key("b")).await.unwrap().is_none());
    blob.data = "x".repeat(limit - 1024 - overhead);
    blob.create(table).await.unwrap();
    assert_eq!(
        Blob::get(table, Blob::key("b")).await.unwrap().data.len(),
        blob.data.len()
    );
}

/// A key field containing the template delimiter is rejected, and nothing is stored.
pub async fn delimiter_in_key_field_is_rejected(table: &Table) {
    let mut user = User {
        id: "a#b".into(),
        ..alice()
    };
    let e = user.create(table).await.unwrap_err().to_string();
    assert!(e.contains("`id`") && e.contains('#'), "{e}");
    assert!(User::key("a#b").is_err());
}

/// Attribute names that are reserved words or hold `.`, `#`, `:` work as plain fields and keys.
pub async fn awkward_attribute_names(table: &Table) {
    let mut w = Weird::sample();
    w.create(table).await.unwrap();
    assert_eq!(Weird::get(table, Weird::key("n", "open")).await.unwrap(), w);
    let raw = raw_item(table, "WEIRD#n", "open").await.unwrap();
    assert!(raw.contains_key("a.b") && raw.contains_key("x#y") && raw.contains_key("c:d"));
}

/// A model with hand-written key logic works like a derived one.
pub async fn hand_written_model(table: &Table) {
    let mut t = Tenant {
        name: "ACME Corp".into(),
        plan: "pro".into(),
    };
    t.create(table).await.unwrap();
    assert_eq!(
        Tenant::get(table, Tenant::key_for("acme corp"))
            .await
            .unwrap(),
        t
    );
    assert_error!(
        Tenant {
            name: "acme CORP".into(),
            plan: "free".into()
        }
        .create(table)
        .await,
        AlreadyExists
    );
    let raw = raw_item(table, "TENANT#acme corp", "TENANT").await.unwrap();
    assert_eq!(raw.get("__entity"), Some(&Value::from("Tenant")));
}
