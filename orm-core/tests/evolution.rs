//! Schema versions at the model/item level: the derive's schema, the stored `__schema`
//! attribute (configurable), both decode paths (`from_stored_item`, `from_raw_item`), and the
//! errors for newer, malformed and failing upgrades. Backend behaviour is in the conformance
//! suite (`tests/src/evolution.rs`).

use orm_core::backend::RawItem;
use orm_core::{Error, Item, Model, Result, Table, TableConfig, Value};
use orm_memory::MemoryBackend;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Model, Serialize, Deserialize, Debug, PartialEq)]
#[model(entity = "Pet", pk = "PET#{id}")]
struct PetV1 {
    id: String,
    kind: String,
}

#[derive(Model, Serialize, Deserialize, Debug, PartialEq)]
#[model(entity = "Pet", pk = "PET#{id}", schema_version = 3, upgrade = upgrade)]
struct Pet {
    id: String,
    species: String,
    legs: u8,
}

fn upgrade(mut item: Item, from: u32) -> Result<Item> {
    match from {
        1 => {
            let kind = item
                .remove("kind")
                .ok_or_else(|| Error::validation("no kind"))?;
            item.insert("species".into(), kind);
        }
        2 => {
            let legs = match item.get("species").and_then(Value::as_s) {
                Some("bird") => 2u8,
                Some("snake") => return Err(Error::validation("snakes have no legs to count")),
                _ => 4,
            };
            item.insert("legs".into(), legs.into());
        }
        _ => {}
    }
    Ok(item)
}

fn table() -> Table {
    Table::new(MemoryBackend::new(), "app")
}

fn stored_v1(kind: &str) -> Item {
    Item::new()
        .with("pk", "PET#rex")
        .with("__entity", "Pet")
        .with("id", "rex")
        .with("kind", kind)
}

fn entries(item: Item) -> RawItem {
    // Reversed, so that the unsorted path really is unsorted.
    RawItem::Entries(item.into_inner().into_iter().rev().collect())
}

#[test]
fn the_schema_carries_the_version() {
    assert_eq!(PetV1::schema().schema_version, 1);
    assert_eq!(Pet::schema().schema_version, 3);
    assert_eq!(
        Pet::schema().version,
        None,
        "not the optimistic-locking version"
    );
}

#[test]
fn writes_store_the_version_above_one() {
    let table = table();
    let v1 = table
        .layout()
        .to_stored_item(&PetV1 {
            id: "rex".into(),
            kind: "dog".into(),
        })
        .unwrap();
    assert!(!v1.contains_key("__schema"), "version 1 stores no version");
    let v3 = table
        .layout()
        .to_stored_item(&Pet {
            id: "rex".into(),
            species: "dog".into(),
            legs: 4,
        })
        .unwrap();
    assert_eq!(v3.get("__schema"), Some(&Value::from(3u32)));
}

#[test]
fn both_decode_paths_upgrade_step_by_step() {
    let table = table();
    let expected = Pet {
        id: "rex".into(),
        species: "bird".into(),
        legs: 2,
    };
    assert_eq!(
        table
            .layout()
            .from_stored_item::<Pet>(stored_v1("bird"))
            .unwrap(),
        expected
    );
    assert_eq!(
        table
            .layout()
            .from_raw_item::<Pet>(entries(stored_v1("bird")))
            .unwrap(),
        expected
    );
    // From version 2: only the second step runs.
    let v2 = Item::new()
        .with("pk", "PET#rex")
        .with("__entity", "Pet")
        .with("__schema", 2u32)
        .with("id", "rex")
        .with("species", "cat");
    let cat = Pet {
        species: "cat".into(),
        legs: 4,
        ..expected
    };
    assert_eq!(
        table
            .layout()
            .from_raw_item::<Pet>(entries(v2.clone()))
            .unwrap(),
        cat
    );
    assert_eq!(table.layout().stored_schema_version::<Pet>(&v2).unwrap(), 2);
    // Current: the fast path, nothing to upgrade.
    let v3 = table.layout().to_stored_item(&cat).unwrap();
    assert_eq!(
        table.layout().from_raw_item::<Pet>(entries(v3)).unwrap(),
        cat
    );
}

#[test]
fn newer_malformed_and_failing_items_are_errors_that_say_why() {
    let table = table();
    let v4 = stored_v1("dog").with("__schema", 4u32);
    for result in [
        table.layout().from_stored_item::<Pet>(v4.clone()),
        table.layout().from_raw_item::<Pet>(entries(v4.clone())),
    ] {
        let message = result.unwrap_err().to_string();
        assert_eq!(
            message,
            "Pet item PET#rex has schema version 4, newer than this code's schema version 3; \
             deploy the model that knows it before reading or writing it"
        );
    }
    // Version 1 code reading a version 3 item.
    let v3 = stored_v1("dog").with("__schema", 3u32);
    assert!(matches!(
        table.layout().from_stored_item::<PetV1>(v3),
        Err(Error::SchemaVersion {
            stored: 3,
            current: 1,
            ..
        })
    ));
    for bad in [
        Value::from(0u32),
        Value::from("3"),
        Value::N("1.5".parse().unwrap()),
    ] {
        let item = stored_v1("dog").with("__schema", bad.clone());
        match table.layout().from_raw_item::<Pet>(entries(item)) {
            Err(Error::Validation { message }) => {
                assert!(message.contains("`__schema`"), "{message}");
                assert!(message.contains("not a schema version"), "{message}");
            }
            other => panic!("{bad:?}: expected a validation error, got {other:?}"),
        }
    }
    match table.layout().from_stored_item::<Pet>(stored_v1("snake")) {
        Err(Error::Validation { message }) => assert_eq!(
            message,
            "Pet item PET#rex: upgrade from schema version 2 to 3 failed: snakes \
             have no legs to count"
        ),
        other => panic!("expected the upgrade's error, got {other:?}"),
    }
    // Another entity is still an entity mismatch, not a version problem.
    let other = stored_v1("dog")
        .with("__entity", "Cat")
        .with("__schema", 9u32);
    assert!(matches!(
        table.layout().from_raw_item::<Pet>(entries(other)),
        Err(Error::EntityMismatch { .. })
    ));
}

#[test]
fn the_schema_attribute_is_configurable() {
    let config = TableConfig {
        schema_attribute: "_v".into(),
        ..TableConfig::default()
    };
    let table = Table::with_config(Arc::new(MemoryBackend::new()), "app", config);
    let pet = Pet {
        id: "rex".into(),
        species: "dog".into(),
        legs: 4,
    };
    let stored = table.layout().to_stored_item(&pet).unwrap();
    assert_eq!(stored.get("_v"), Some(&Value::from(3u32)));
    assert!(!stored.contains_key("__schema"));
    assert_eq!(table.layout().from_stored_item::<Pet>(stored).unwrap(), pet);
    // `_v` absent: version 1, upgraded.
    assert_eq!(
        table
            .layout()
            .from_stored_item::<Pet>(stored_v1("dog"))
            .unwrap(),
        Pet {
            id: "rex".into(),
            species: "dog".into(),
            legs: 4
        }
    );
}

#[test]
fn a_migration_can_run_on_a_spawned_task() {
    fn assert_send<T: Send + 'static>(_: &T) {}
    let table = table();
    let run = orm_core::migrate::Migration::<Pet>::new(&table)
        .on_progress(|_| {})
        .run();
    assert_send(&run);
}
