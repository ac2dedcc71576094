//! Schema versions at the model/item level: the derive's schema, the stored `__schema`
//! attribute (configurable), both decode paths (`from_stored_item`, `from_raw_item`), and the
//! errors for newer, malformed and failing upgrades. Backend behaviour is in the conformance
//! suite (`tests/src/evolution.rs`).

use orm_core::backend::{ItemReader, RawItem, ReadValue};
use orm_core::table::Layout;
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

/// A value the test reader holds: a `Value`, or a number's text as a client hands it over
/// (which may be malformed).
#[derive(Debug, Clone)]
enum Held {
    Value(Value),
    NumberText(String),
}

/// Model `M` read from `item` in place (through a [`Reader`], as DynamoBackend reads), not from a
/// sorted item.
fn read_in_place<M: Model>(layout: &Layout, item: Item) -> Result<M> {
    layout.from_raw_item::<M>(Reader::of(item))
}

/// An item read in place (`RawItem::Reader`, as `DynamoBackend` hands over the SDK's items),
/// its attributes in the order given, lists opened as they are handed over.
#[derive(Debug, Clone)]
struct Reader {
    attributes: std::vec::IntoIter<(String, Held)>,
    open: Vec<std::vec::IntoIter<Value>>,
}

impl Reader {
    fn raw(attributes: Vec<(&str, Held)>) -> RawItem {
        let attributes: Vec<_> = attributes
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
        RawItem::Reader(Box::new(Reader {
            attributes: attributes.into_iter(),
            open: Vec::new(),
        }))
    }

    fn of(item: Item) -> RawItem {
        let attributes: Vec<(String, Held)> = item
            .into_inner()
            .into_iter()
            .rev()
            .map(|(n, v)| (n, Held::Value(v)))
            .collect();
        RawItem::Reader(Box::new(Reader {
            attributes: attributes.into_iter(),
            open: Vec::new(),
        }))
    }

    fn value(held: &Held) -> Result<Value> {
        match held {
            Held::Value(v) => Ok(v.clone()),
            Held::NumberText(t) => t
                .parse()
                .map(Value::N)
                .map_err(|e| Error::backend("test", false, format!("{e}"))),
        }
    }

    fn hand(&mut self, value: Value) -> ReadValue {
        match value {
            Value::S(s) => ReadValue::S(s),
            Value::N(n) => ReadValue::N(n.as_str().to_owned()),
            Value::B(b) => ReadValue::B(b),
            Value::Bool(b) => ReadValue::Bool(b),
            Value::Null => ReadValue::Null,
            Value::L(l) => {
                let n = l.len();
                self.open.push(l.into_iter());
                ReadValue::L(n)
            }
            other => panic!("the test reader hands over scalars and lists, not {other:?}"),
        }
    }
}

impl ItemReader for Reader {
    fn get(&self, name: &str) -> Result<Option<Value>> {
        let found = self.attributes.as_slice().iter().find(|(n, _)| n == name);
        found.map(|(_, v)| Reader::value(v)).transpose()
    }
    fn to_item(&self) -> Result<Item> {
        let mut item = Item::new();
        for (name, held) in self.attributes.as_slice() {
            item.insert(name.clone(), Reader::value(held)?);
        }
        Ok(item)
    }
    fn clone_reader(&self) -> Box<dyn ItemReader> {
        Box::new(self.clone())
    }
    fn next_attribute(&mut self) -> Option<(String, ReadValue)> {
        let (name, held) = self.attributes.next()?;
        let value = match held {
            Held::Value(v) => self.hand(v),
            Held::NumberText(t) => ReadValue::N(t),
        };
        Some((name, value))
    }
    fn next_element(&mut self) -> Option<ReadValue> {
        let value = self.open.last_mut()?.next()?;
        Some(self.hand(value))
    }
    fn next_entry(&mut self) -> Option<(String, ReadValue)> {
        None
    }
    fn close(&mut self) {
        self.open.pop();
    }
}

/// An item read in place (`RawItem::Reader`) is checked for its schema version as the other
/// forms are, whether the version is looked up first (a model above version 1, which may
/// upgrade) or seen as the item is read (version 1): the same models, the same errors with the
/// same keys, and a malformed or non-scalar version is an error too.
#[test]
fn items_read_in_place_check_their_schema_version() {
    let table = table();
    let layout = table.layout();
    let rex = PetV1 {
        id: "rex".into(),
        kind: "dog".into(),
    };
    // Current at version 1: no schema attribute, or 1; what the model skips is not checked.
    assert_eq!(
        read_in_place::<PetV1>(layout, stored_v1("dog")).unwrap(),
        rex
    );
    let one = stored_v1("dog").with("__schema", 1u32);
    assert_eq!(read_in_place::<PetV1>(layout, one).unwrap(), rex);
    let skipped = Reader::raw(vec![
        ("pk", Held::Value(Value::from("PET#rex"))),
        ("junk", Held::NumberText("not a number".into())),
        ("__entity", Held::Value(Value::from("Pet"))),
        ("id", Held::Value(Value::from("rex"))),
        ("kind", Held::Value(Value::from("dog"))),
    ]);
    assert_eq!(layout.from_raw_item::<PetV1>(skipped).unwrap(), rex);

    // Newer, or not a schema version: the errors of the sorted path, word for word, the key
    // taken from the item's key attributes whichever order they come in.
    for stored in [
        Value::from(3u32),
        Value::from(0u32),
        Value::from("3"),
        Value::N("1.5".parse().unwrap()),
        Value::Bool(true),
    ] {
        let item = stored_v1("dog").with("__schema", stored.clone());
        let sorted = layout.from_stored_item::<PetV1>(item.clone()).unwrap_err();
        for raw in [Reader::of(item.clone()), entries(item.clone())] {
            let read = layout.from_raw_item::<PetV1>(raw).unwrap_err();
            assert_eq!(read.to_string(), sorted.to_string(), "{stored:?}");
        }
        // The schema attribute first, the key after it.
        let mut attributes: Vec<(String, Value)> = item.into_inner().into_iter().collect();
        attributes.sort_by_key(|(n, _)| n != "__schema");
        let first = RawItem::Reader(Box::new(Reader {
            attributes: attributes
                .into_iter()
                .map(|(n, v)| (n, Held::Value(v)))
                .collect::<Vec<_>>()
                .into_iter(),
            open: Vec::new(),
        }));
        let read = layout.from_raw_item::<PetV1>(first).unwrap_err();
        assert_eq!(read.to_string(), sorted.to_string(), "{stored:?}");
    }
    let newer =
        read_in_place::<PetV1>(layout, stored_v1("dog").with("__schema", 3u32)).unwrap_err();
    match newer {
        Error::SchemaVersion {
            stored: 3,
            current: 1,
            key: Some(key),
            ..
        } => assert_eq!(key.partition, Value::from("PET#rex")),
        other => panic!("expected a schema version error with the key, got {other:?}"),
    }
    // A list, or a number DynamoDB would not have sent: an error naming what it holds.
    let list = stored_v1("dog").with("__schema", Value::L(vec![Value::from(1u32)]));
    let malformed = |text: &str| {
        let mut attributes: Vec<(&str, Held)> = vec![
            ("pk", Held::Value(Value::from("PET#rex"))),
            ("__entity", Held::Value(Value::from("Pet"))),
            ("id", Held::Value(Value::from("rex"))),
            ("kind", Held::Value(Value::from("dog"))),
        ];
        attributes.insert(2, ("__schema", Held::NumberText(text.into())));
        Reader::raw(attributes)
    };
    for (raw, holds) in [
        (Reader::of(list), "holds a list (L)"),
        (malformed("1e999"), "holds N 1e999"),
        (malformed("twelve"), "holds N twelve"),
    ] {
        match layout.from_raw_item::<PetV1>(raw) {
            Err(Error::Validation { message }) => {
                assert!(
                    message.starts_with("Pet item PET#rex: `__schema` "),
                    "{message}"
                );
                assert!(message.contains(holds), "{message}");
                assert!(message.contains("not a schema version"), "{message}");
            }
            other => panic!("{holds}: expected a validation error, got {other:?}"),
        }
    }
    // Above version 1 the version is looked up first: upgrades and errors as before.
    let pet = Pet {
        id: "rex".into(),
        species: "bird".into(),
        legs: 2,
    };
    assert_eq!(
        read_in_place::<Pet>(layout, stored_v1("bird")).unwrap(),
        pet
    );
    let v4 = stored_v1("dog").with("__schema", 4u32);
    assert_eq!(
        read_in_place::<Pet>(layout, v4.clone())
            .unwrap_err()
            .to_string(),
        layout.from_stored_item::<Pet>(v4).unwrap_err().to_string()
    );
    // A malformed version above version 1: the lookup's error.
    let mut attributes = vec![
        ("pk", Held::Value(Value::from("PET#rex"))),
        ("__entity", Held::Value(Value::from("Pet"))),
        ("id", Held::Value(Value::from("rex"))),
    ];
    attributes.push(("__schema", Held::NumberText("1e999".into())));
    assert!(layout
        .from_raw_item::<Pet>(Reader::raw(attributes))
        .is_err());
}
