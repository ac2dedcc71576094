//! Models that change: schema versions upgraded on every read path, the migration runner
//! (dry run, parallel segments, key changes, resuming, concurrent writers, rate limit) and
//! `save_changes`.
//!
//! The cases run on a table of their own beside the conformance table (on the same backend),
//! holding the models below; they delete it at the end.

use crate::has_transactions;
use orm_core::backend::{BackendLayer, PutItem, TransactWrite, UpdateItem};
use orm_core::expr::Update;
use orm_core::migrate::{Migration, Progress, CHECKPOINT_ENTITY};
use orm_core::{Backend, Error, Item, Model, ModelExt, Path, Result, Table, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A contact as version 1 of the code stored it: `name`, no tier.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Contact", pk = "CONTACT#{id}", sk = "CONTACT")]
pub struct ContactV1 {
    /// Id.
    pub id: u32,
    /// The name (`full_name` from version 2 on).
    pub name: String,
}

/// A contact at schema version 2: `name` renamed `full_name`.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Contact", pk = "CONTACT#{id}", sk = "CONTACT")]
#[model(schema_version = 2, upgrade = upgrade_contact)]
pub struct ContactV2 {
    /// Id.
    pub id: u32,
    /// The name.
    pub full_name: String,
}

/// A contact at schema version 3: a `tier` (new in 3, `free` for older contacts) and an index
/// on it, whose keys items of older versions lack.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Contact", pk = "CONTACT#{id}", sk = "CONTACT")]
#[model(index(name = "evo1", pk = "TIER#{tier}", sk = "{id}"))]
#[model(schema_version = 3, upgrade = upgrade_contact)]
pub struct Contact {
    /// Id.
    pub id: u32,
    /// The name.
    pub full_name: String,
    /// `free` or `paid`.
    pub tier: String,
}

/// The upgrade steps of contacts: 1 -> 2 renames `name`, 2 -> 3 adds `tier`.
pub fn upgrade_contact(mut item: Item, from: u32) -> Result<Item> {
    match from {
        1 => {
            let name = item
                .remove("name")
                .ok_or_else(|| Error::validation("a version 1 contact has a name"))?;
            item.insert("full_name".into(), name);
        }
        2 => {
            item.insert("tier".into(), "free".into());
        }
        other => return Err(Error::validation(format!("no upgrade from {other}"))),
    }
    Ok(item)
}

/// A team member as version 1 stored it: keyed by id alone, with `name`.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Member", pk = "MEMBER#{id}", sk = "MEMBER")]
pub struct MemberV1 {
    /// Id.
    pub id: u32,
    /// Team.
    pub team: String,
    /// Name.
    pub name: String,
}

/// A team member at schema version 2: stored under its team (a new key template), `name`
/// renamed `full_name`, and a new index by name.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Member", pk = "TEAM#{team}", sk = "MEMBER#{id}")]
#[model(index(name = "evo2", pk = "MEMBERNAME#{full_name}", sk = "{id}"))]
#[model(schema_version = 2, upgrade = upgrade_member)]
pub struct Member {
    /// Id.
    pub id: u32,
    /// Team.
    pub team: String,
    /// Name.
    pub full_name: String,
}

/// The upgrade of members: 1 -> 2 renames `name`.
pub fn upgrade_member(mut item: Item, from: u32) -> Result<Item> {
    if from == 1 {
        if let Some(name) = item.remove("name") {
            item.insert("full_name".into(), name);
        }
    }
    Ok(item)
}

/// An unversioned note, for `save_changes` by field.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Note", pk = "NOTE#{id}", sk = "NOTE")]
pub struct Note {
    /// Id.
    pub id: u32,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Optional label.
    pub label: Option<String>,
}

/// A versioned card with a sparse index on its colour, for `save_changes` with a version.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Card", pk = "CARD#{id}", sk = "CARD")]
#[model(index(name = "evo3", pk = "COLOR#{color}", sk = "{id}"))]
pub struct Card {
    /// Id.
    pub id: u32,
    /// Title.
    pub title: String,
    /// Colour; absent means not in the colour index.
    pub color: Option<String>,
    /// Optimistic-locking version.
    #[model(version)]
    pub version: u64,
}

/// The models of the evolution table.
pub type EvolutionModels = (ContactV1, ContactV2, Contact, MemberV1, Member, Note, Card);

/// A new table on `table`'s backend holding [`EvolutionModels`].
pub async fn evolution_table(table: &Table) -> Table {
    let scratch = Table::new(
        table.backend().clone(),
        crate::unique_table_name("evolution"),
    );
    scratch
        .create_table::<EvolutionModels>()
        .await
        .expect("create the evolution table");
    scratch
}

/// Every item of the table, read straight from the backend.
pub use crate::limits::contents as raw_scan;

fn entity_count(items: &[Item], entity: &str) -> usize {
    items
        .iter()
        .filter(|i| i.get("__entity") == Some(&Value::from(entity)))
        .count()
}

/// The members stored at schema version 1 (no `__schema`), read straight from the backend (a
/// `MemberV1` read of a version 2 member is an error, as it should be).
pub async fn v1_members(table: &Table) -> usize {
    raw_scan(table)
        .await
        .iter()
        .filter(|i| {
            i.get("__entity") == Some(&Value::from("Member")) && !i.contains_key("__schema")
        })
        .count()
}

/// An UpdateItem straight to the backend, unconditional: another client's write.
async fn raw_update(backend: &dyn Backend, table: &str, key: Item, update: Update) -> Result<()> {
    backend
        .update_item(&UpdateItem::new(table.to_owned(), key, update))
        .await
        .map(|_| ())
}

/// Sets an attribute no model knows on the item of `M` at `key`.
async fn set_unmodelled<M: Model>(table: &Table, key: orm_core::Key, name: &str, value: &str) {
    let key = table.layout().key_item::<M>(&key).unwrap();
    let update = Update::new().set(Path::name(name), Value::from(value));
    raw_update(table.backend().as_ref(), table.name(), key, update)
        .await
        .unwrap();
}

/// A new evolution table holding the contacts `contacts` and the members `members`, both as
/// version 1 stored them.
async fn seeded(
    table: &Table,
    contacts: std::ops::Range<u32>,
    members: std::ops::Range<u32>,
) -> Table {
    let table = evolution_table(table).await;
    for id in contacts {
        contact_v1(id).create(&table).await.unwrap();
    }
    for id in members {
        member_v1(id).create(&table).await.unwrap();
    }
    table
}

/// Runs `migration` until its first progress report, then drops it mid-way (a crash). Paced
/// by a rate limit, so that the run yields between items even on a backend that never waits.
async fn stop_after_first_page(migration: Migration<Member>) {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let run = migration
        .rate_limit(200)
        .on_progress(move |_| {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        })
        .run();
    futures::pin_mut!(run);
    if let futures::future::Either::Left((result, _)) = futures::future::select(run, rx).await {
        panic!("the run should have been stopped, but ended: {result:?}")
    }
}

fn contact_v1(id: u32) -> ContactV1 {
    ContactV1 {
        id,
        name: format!("Contact {id}"),
    }
}

/// Member `id` as version 1 stored it (team `t{id % 3}`, name `Member {id}`).
pub fn member_v1(id: u32) -> MemberV1 {
    MemberV1 {
        id,
        team: format!("t{}", id % 3),
        name: format!("Member {id}"),
    }
}

fn member(id: u32) -> Member {
    Member {
        id,
        team: format!("t{}", id % 3),
        full_name: format!("Member {id}"),
    }
}

/// Checks that the table holds exactly the members `ids`, each once, at version 2 and its new
/// keys, no version 1 member, and no checkpoint.
pub async fn assert_members_migrated(table: &Table, ids: impl IntoIterator<Item = u32>) {
    let ids: Vec<u32> = ids.into_iter().collect();
    let members = Member::scan(table).all().await.unwrap();
    let mut seen: Vec<u32> = members.iter().map(|m| m.id).collect();
    seen.sort_unstable();
    assert_eq!(seen, ids, "each member exactly once");
    let raw = raw_scan(table).await;
    assert_eq!(
        entity_count(&raw, CHECKPOINT_ENTITY),
        0,
        "checkpoints deleted"
    );
    for item in raw
        .iter()
        .filter(|i| i.get("__entity") == Some(&"Member".into()))
    {
        assert_eq!(item.get("__schema"), Some(&Value::from(2u32)), "{item:?}");
        assert!(
            item.get("pk")
                .and_then(Value::as_s)
                .is_some_and(|p| p.starts_with("TEAM#")),
            "{item:?}"
        );
        assert!(item.contains_key("evo2pk"), "new index key: {item:?}");
        assert!(!item.contains_key("name"), "renamed away: {item:?}");
    }
    for id in ids {
        assert!(MemberV1::find(table, MemberV1::key(id))
            .await
            .unwrap()
            .is_none());
        let got = Member::get(table, Member::key(format!("t{}", id % 3), id))
            .await
            .unwrap();
        assert_eq!(got, member(id));
    }
}

/// Items stored at older schema versions are upgraded by get, find, query, scan, batch_get and
/// transactional gets; an update's returned item too. Items of the current version are read
/// as they are.
pub async fn older_items_upgrade_on_every_read_path(table: &Table) {
    let table = &seeded(table, 1..4, 0..0).await;
    let mut v2 = ContactV2 {
        id: 4,
        full_name: "Contact 4".into(),
    };
    v2.create(table).await.unwrap();
    let mut v3 = Contact {
        id: 5,
        full_name: "Contact 5".into(),
        tier: "paid".into(),
    };
    v3.create(table).await.unwrap();
    let expected = |id: u32| Contact {
        id,
        full_name: format!("Contact {id}"),
        tier: if id == 5 { "paid" } else { "free" }.into(),
    };

    assert_eq!(
        Contact::get(table, Contact::key(1)).await.unwrap(),
        expected(1)
    );
    assert_eq!(
        Contact::find(table, Contact::key(4)).await.unwrap(),
        Some(expected(4))
    );
    let queried = Contact::query(table)
        .partition(Contact::partition(2))
        .all()
        .await
        .unwrap();
    assert_eq!(queried, vec![expected(2)]);
    let mut scanned = Contact::scan(table).all().await.unwrap();
    scanned.sort_by_key(|c| c.id);
    assert_eq!(scanned, (1..=5).map(expected).collect::<Vec<_>>());
    let batch = Contact::batch_get(table, (1..=6).map(Contact::key))
        .await
        .unwrap();
    assert_eq!(
        batch,
        (1..=5)
            .map(|id| Some(expected(id)))
            .chain([None])
            .collect::<Vec<_>>()
    );
    if table.capabilities().transactions {
        let mut read = table.transact_get();
        let old = read.get::<Contact>(Contact::key(3));
        let new = read.get::<Contact>(Contact::key(5));
        let mut out = read.send().await.unwrap();
        assert_eq!(out.take(old).unwrap(), Some(expected(3)));
        assert_eq!(out.take(new).unwrap(), Some(expected(5)));
    }
    // The stored items were only read: still at their versions.
    let raw = crate::crud::raw_item(table, "CONTACT#0000000001", "CONTACT")
        .await
        .expect("stored");
    assert!(
        raw.contains_key("name") && !raw.contains_key("__schema"),
        "{raw:?}"
    );
    // An update of a current item returns it; one of an older item is refused, naming both
    // versions, and changes nothing.
    let updated = Contact::update(table, Contact::key(5))
        .set("tier", "free")
        .returning_new()
        .await
        .unwrap();
    assert_eq!(updated.map(|c| c.tier), Some("free".to_owned()));
    match Contact::update(table, Contact::key(1))
        .set("tier", "paid")
        .await
    {
        Err(Error::SchemaVersion {
            entity,
            stored,
            current,
            ..
        }) => assert_eq!((entity.as_str(), stored, current), ("Contact", 1, 3)),
        other => panic!("expected SchemaVersion, got {other:?}"),
    }
    let after = crate::crud::raw_item(table, "CONTACT#0000000001", "CONTACT")
        .await
        .unwrap();
    assert_eq!(after, raw, "a refused update changes nothing");
    // The index holds only items written by version 3 until the migration runs.
    let paid = Contact::query(table)
        .index("evo1")
        .partition(Contact::evo1_partition("free"))
        .all()
        .await
        .unwrap();
    let five = Contact {
        tier: "free".into(),
        ..expected(5)
    };
    assert_eq!(paid, vec![five]);
    table.delete_table().await.unwrap();
}

/// An item written by newer code than the reader's is an error naming both versions, on every
/// read path; a schema attribute that is not a version is an error naming the attribute.
pub async fn newer_items_are_an_error(table: &Table) {
    let table = &evolution_table(table).await;
    let mut v3 = Contact {
        id: 7,
        full_name: "Seven".into(),
        tier: "paid".into(),
    };
    v3.create(table).await.unwrap();
    let check = |result: Result<ContactV2>| match result {
        Err(e @ Error::SchemaVersion { .. }) => {
            let message = e.to_string();
            assert!(
                message.contains("schema version 3") && message.contains("schema version 2"),
                "{message}"
            );
            assert!(message.contains("CONTACT#0000000007"), "{message}");
        }
        other => panic!("expected SchemaVersion, got {other:?}"),
    };
    check(ContactV2::get(table, ContactV2::key(7)).await);
    check(
        ContactV2::query(table)
            .partition(ContactV2::partition(7))
            .first()
            .await
            .map(|c| c.expect("an item")),
    );
    check(ContactV2::scan(table).all().await.map(|mut v| v.remove(0)));
    check(
        ContactV2::batch_get(table, [ContactV2::key(7)])
            .await
            .map(|mut v| v.remove(0).expect("an item")),
    );
    // ContactV1 has no schema version (1): a version 3 item is newer than it, too.
    assert!(matches!(
        ContactV1::get(table, ContactV1::key(7)).await,
        Err(Error::SchemaVersion {
            stored: 3,
            current: 1,
            ..
        })
    ));
    // A malformed schema attribute.
    table
        .backend()
        .put_item(PutItem::new(
            table.name(),
            Item::new()
                .with("pk", "CONTACT#0000000008")
                .with("sk", "CONTACT")
                .with("__entity", "Contact")
                .with("__schema", "three")
                .with("id", 8u32)
                .with("full_name", "Eight")
                .with("tier", "free"),
        ))
        .await
        .unwrap();
    match Contact::get(table, Contact::key(8)).await {
        Err(Error::Validation { message }) => {
            assert!(
                message.contains("__schema") && message.contains("three"),
                "{message}"
            )
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    table.delete_table().await.unwrap();
}

/// The runner moves every item to its new key (changed template), renames the field, adds the
/// new index keys, keeps unmodelled attributes, leaves other entities alone; a dry run counts
/// without writing; progress is reported per page; a second run finds nothing to do.
pub async fn migration_rewrites_every_item(table: &Table) {
    if !has_transactions(table, "migration_rewrites_every_item") {
        return;
    }
    let ids = 0..40u32;
    let table = &seeded(table, 1..2, ids.clone()).await;
    // An attribute no model knows, on one item: it survives the move.
    set_unmodelled::<MemberV1>(table, MemberV1::key(5).unwrap(), "legacy_note", "keep me").await;

    let dry = Migration::<Member>::new(table)
        .dry_run()
        .segments(2)
        .run()
        .await
        .unwrap();
    assert_eq!((dry.scanned, dry.changed, dry.unchanged), (40, 40, 0));
    assert!(dry.dry_run && !dry.resumed);
    assert_eq!(v1_members(table).await, 40, "a dry run writes nothing");
    assert_eq!(entity_count(&raw_scan(table).await, CHECKPOINT_ENTITY), 0);

    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let log = seen.clone();
    let done = Migration::<Member>::new(table)
        .segments(3)
        .page_size(7)
        .on_progress(move |p| log.lock().unwrap().push(p.clone()))
        .run()
        .await
        .unwrap();
    assert_eq!((done.changed, done.blocked, done.conflicts), (40, 0, 0));
    // Moved items may be read again at their new keys: then they are unchanged.
    assert_eq!(done.scanned, done.changed + done.unchanged);
    assert_eq!((done.segments_done, done.segments), (3, 3));
    {
        let seen = seen.lock().unwrap();
        assert!(seen.len() >= 3, "a report per page: {seen:?}");
        assert!(seen.windows(2).all(|w| w[0].scanned <= w[1].scanned));
        assert_eq!(seen.last(), Some(&done));
    }

    assert_members_migrated(table, ids.clone()).await;
    let five = crate::crud::raw_item(table, "TEAM#t2", "MEMBER#0000000005")
        .await
        .unwrap();
    assert_eq!(five.get("legacy_note"), Some(&Value::from("keep me")));
    let by_name = Member::query(table)
        .index("evo2")
        .partition(Member::evo2_partition("Member 7"))
        .all()
        .await
        .unwrap();
    assert_eq!(by_name, vec![member(7)]);
    // Another entity is untouched: still version 1, at its key.
    let contact = crate::crud::raw_item(table, "CONTACT#0000000001", "CONTACT")
        .await
        .unwrap();
    assert!(contact.contains_key("name") && !contact.contains_key("__schema"));

    let again = Migration::<Member>::new(table).run().await.unwrap();
    assert_eq!((again.scanned, again.changed, again.unchanged), (40, 0, 40));
    table.delete_table().await.unwrap();
}

/// In-place upgrades (same keys): only what changed is written; the new index gets its keys.
pub async fn migration_upgrades_in_place(table: &Table) {
    let table = &seeded(table, 0..12, 0..0).await;
    let done = Migration::<Contact>::new(table)
        .page_size(5)
        .run()
        .await
        .unwrap();
    assert_eq!((done.scanned, done.changed, done.unchanged), (12, 12, 0));
    let free = Contact::query(table)
        .index("evo1")
        .partition(Contact::evo1_partition("free"))
        .count()
        .await
        .unwrap();
    assert_eq!(free, 12);
    let raw = crate::crud::raw_item(table, "CONTACT#0000000003", "CONTACT")
        .await
        .unwrap();
    assert_eq!(raw.get("__schema"), Some(&Value::from(3u32)));
    assert_eq!(raw.get("full_name"), Some(&Value::from("Contact 3")));
    assert!(!raw.contains_key("name"));
    table.delete_table().await.unwrap();
}

/// A run stopped mid-way (its future dropped: a crash) leaves a checkpoint; the next run
/// resumes from it, and every item ends up migrated exactly once.
pub async fn migration_resumes_after_a_crash(table: &Table) {
    if !has_transactions(table, "migration_resumes_after_a_crash") {
        return;
    }
    let ids = 0..30u32;
    let table = &seeded(table, 0..0, ids.clone()).await;
    stop_after_first_page(Migration::<Member>::new(table).segments(2).page_size(4)).await;
    let raw = raw_scan(table).await;
    assert!(
        entity_count(&raw, CHECKPOINT_ENTITY) >= 1,
        "a checkpoint was stored"
    );
    let moved = entity_count(&raw, "Member");
    let left = v1_members(table).await;
    assert!(left > 0, "stopped before the end");
    assert_eq!(moved, 30, "no member lost or duplicated mid-way: {moved}");

    let resumed = Migration::<Member>::new(table)
        .segments(2)
        .page_size(4)
        .run()
        .await
        .unwrap();
    assert!(resumed.resumed);
    assert_eq!(
        resumed.changed as usize, left,
        "only what was left is migrated"
    );
    assert_members_migrated(table, ids).await;

    // A checkpoint of another segment count is refused, not misread.
    for id in 100..110 {
        member_v1(id).create(table).await.unwrap();
    }
    stop_after_first_page(Migration::<Member>::new(table).name("second").page_size(2)).await;
    match Migration::<Member>::new(table)
        .name("second")
        .segments(4)
        .run()
        .await
    {
        Err(Error::Validation { message }) => {
            assert!(
                message.contains("1 segments") && message.contains("reset"),
                "{message}"
            )
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    Migration::<Member>::new(table)
        .name("second")
        .reset()
        .await
        .unwrap();
    let fresh = Migration::<Member>::new(table)
        .name("second")
        .segments(4)
        .run()
        .await
        .unwrap();
    assert!(!fresh.resumed);
    assert_members_migrated(table, (0..30).chain(100..110)).await;
    assert_eq!(v1_members(table).await, 0);
    table.delete_table().await.unwrap();
}

/// A backend layer that, before the first write matching `target` goes through, lets a
/// "concurrent writer" change the item it is about to overwrite.
#[derive(Debug)]
struct Interfering {
    inner: Arc<dyn Backend>,
    table: String,
    key: Item,
    change: Update,
    done: AtomicBool,
}

impl Interfering {
    async fn interfere(&self, key: &Item) -> Result<()> {
        if *key == self.key && !self.done.swap(true, Ordering::SeqCst) {
            raw_update(
                self.inner.as_ref(),
                &self.table,
                self.key.clone(),
                self.change.clone(),
            )
            .await?;
        }
        Ok(())
    }
}

#[orm_core::backend::async_trait]
impl BackendLayer for Interfering {
    type Inner = dyn Backend;
    fn inner(&self) -> &dyn Backend {
        &*self.inner
    }
    async fn update_item(&self, request: &UpdateItem) -> Result<Option<Item>> {
        self.interfere(&request.key).await?;
        self.inner.update_item(request).await
    }
    async fn transact_write(&self, request: &TransactWrite) -> Result<()> {
        for action in &request.actions {
            if let orm_core::backend::TransactWriteAction::Delete(d) = action {
                self.interfere(&d.key).await?;
            }
        }
        self.inner.transact_write(request).await
    }
}

fn interfering(table: &Table, key: Item, change: Update) -> Table {
    Table::new(
        Arc::new(Interfering {
            inner: table.backend().clone(),
            table: table.name().to_owned(),
            key,
            change,
            done: AtomicBool::new(false),
        }),
        table.name(),
    )
}

/// A write by another (older) writer between the runner's read and its write is never
/// overwritten: the runner's conditional write fails, it re-reads and migrates what it finds.
pub async fn migration_never_overwrites_concurrent_updates(table: &Table) {
    let table = &seeded(table, 0..5, 0..0).await;
    // In place: the old code renames contact 2 while the runner works on it.
    let key = table
        .layout()
        .key_item::<Contact>(&Contact::key(2).unwrap())
        .unwrap();
    let busy = interfering(
        table,
        key,
        Update::new().set(Path::name("name"), Value::from("Renamed")),
    );
    let done = Migration::<Contact>::new(&busy).run().await.unwrap();
    assert_eq!((done.changed, done.conflicts), (5, 1));
    let two = Contact::get(table, Contact::key(2)).await.unwrap();
    assert_eq!(two.full_name, "Renamed", "the concurrent change survived");

    if table.capabilities().transactions {
        // Moving to a new key: the old code changes member 3 while it is being moved.
        for id in 0..5 {
            member_v1(id).create(table).await.unwrap();
        }
        let key = table
            .layout()
            .key_item::<MemberV1>(&MemberV1::key(3).unwrap())
            .unwrap();
        let busy = interfering(
            table,
            key,
            Update::new().set(Path::name("name"), Value::from("Changed")),
        );
        let done = Migration::<Member>::new(&busy).run().await.unwrap();
        assert_eq!((done.changed, done.conflicts), (5, 1));
        let three = Member::get(table, Member::key("t0", 3)).await.unwrap();
        assert_eq!(three.full_name, "Changed");
        assert_eq!(Member::scan(table).count().await.unwrap(), 5);
        assert_eq!(v1_members(table).await, 0);
    }
    table.delete_table().await.unwrap();
}

/// The runner paces itself: 15 items at 30 per second take at least ~0.45 s.
pub async fn migration_is_rate_limited(table: &Table) {
    let table = &seeded(table, 0..15, 0..0).await;
    let start = std::time::Instant::now();
    let done = Migration::<Contact>::new(table)
        .rate_limit(30)
        .run()
        .await
        .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(done.changed, 15);
    assert!(
        elapsed >= std::time::Duration::from_millis(450),
        "{elapsed:?}"
    );
    assert_error!(
        Migration::<Contact>::new(table).rate_limit(0).run().await,
        Validation
    );
    table.delete_table().await.unwrap();
}

fn note(id: u32) -> Note {
    Note {
        id,
        title: "title".into(),
        body: "body".into(),
        label: Some("label".into()),
    }
}

/// Two writers changing different fields of an unversioned item both succeed; a writer changing
/// a field another changed since its read fails; attributes no model knows survive
/// `save_changes` (and not a full `save`, which replaces the item).
pub async fn save_changes_keeps_other_writers_changes(table: &Table) {
    let table = &evolution_table(table).await;
    let mut stored = note(1);
    stored.create(table).await.unwrap();
    set_unmodelled::<Note>(table, Note::key(1).unwrap(), "extra", "unmodelled").await;
    let before_a = Note::get(table, Note::key(1)).await.unwrap();
    let before_b = before_a.clone();
    let mut a = before_a.clone();
    a.title = "A's title".into();
    a.save_changes(table, &before_a).await.unwrap();
    let mut b = before_b.clone();
    b.body = "B's body".into();
    b.label = None;
    b.save_changes(table, &before_b).await.unwrap();
    let now = Note::get(table, Note::key(1)).await.unwrap();
    assert_eq!(
        now,
        Note {
            id: 1,
            title: "A's title".into(),
            body: "B's body".into(),
            label: None,
        }
    );
    let raw = crate::crud::raw_item(table, "NOTE#0000000001", "NOTE")
        .await
        .unwrap();
    assert_eq!(raw.get("extra"), Some(&Value::from("unmodelled")));
    assert!(!raw.contains_key("label"), "a None field is removed");

    // A stale writer changing the title A changed: refused, nothing written.
    let mut c = before_a.clone();
    c.title = "C's title".into();
    match c.save_changes(table, &before_a).await {
        Err(Error::ConditionFailed { item, .. }) => {
            if table.capabilities().return_item_on_condition_failure {
                let item = item.expect("the stored item");
                assert_eq!(item.get("title"), Some(&Value::from("A's title")));
            }
        }
        other => panic!("expected ConditionFailed, got {other:?}"),
    }
    assert_eq!(Note::get(table, Note::key(1)).await.unwrap(), now);
    // Nothing changed: nothing to send, no error even for a stale `before`.
    let mut same = before_a.clone();
    same.save_changes(table, &before_a).await.unwrap();
    // The key cannot change this way.
    let mut moved = now.clone();
    moved.id = 2;
    assert_error!(moved.save_changes(table, &now).await, Validation);
    // An absent item is NotFound, not created.
    let mut ghost = note(9);
    ghost.title = "x".into();
    let ghost_before = note(9);
    if table.capabilities().return_item_on_condition_failure {
        assert_error!(ghost.save_changes(table, &ghost_before).await, NotFound);
    } else {
        assert!(ghost.save_changes(table, &ghost_before).await.is_err());
    }
    assert!(Note::find(table, Note::key(9)).await.unwrap().is_none());
    // A full save writes the whole item: the unmodelled attribute is gone.
    let mut whole = now.clone();
    whole.save(table).await.unwrap();
    let raw = crate::crud::raw_item(table, "NOTE#0000000001", "NOTE")
        .await
        .unwrap();
    assert!(!raw.contains_key("extra"));
    table.delete_table().await.unwrap();
}

/// With `#[model(version)]` the version condition is kept (a stale `before` is a version
/// conflict) and bumped; index keys follow the fields they are made of.
pub async fn save_changes_with_versions_and_indexes(table: &Table) {
    let table = &evolution_table(table).await;
    let mut card = Card {
        id: 1,
        title: "Card".into(),
        color: Some("red".into()),
        version: 0,
    };
    card.create(table).await.unwrap();
    let before = card.clone();
    card.color = Some("blue".into());
    card.save_changes(table, &before).await.unwrap();
    assert_eq!(card.version, 2);
    let by_color = |color: &'static str| {
        Card::query(table)
            .index("evo3")
            .partition(Card::evo3_partition(color))
            .all()
    };
    assert!(by_color("red").await.unwrap().is_empty());
    assert_eq!(by_color("blue").await.unwrap(), vec![card.clone()]);
    // A stale copy: a version conflict, even for another field.
    let mut stale = before.clone();
    stale.title = "Stale".into();
    assert_error!(stale.save_changes(table, &before).await, VersionConflict);
    // Leaving the sparse index removes its keys.
    let before = card.clone();
    card.color = None;
    card.save_changes(table, &before).await.unwrap();
    assert!(by_color("blue").await.unwrap().is_empty());
    let raw = crate::crud::raw_item(table, "CARD#0000000001", "CARD")
        .await
        .unwrap();
    assert!(
        !raw.contains_key("evo3pk") && !raw.contains_key("color"),
        "{raw:?}"
    );
    assert_eq!(raw.get("version"), Some(&Value::from(3u64)));
    assert_eq!(Card::get(table, Card::key(1)).await.unwrap(), card);
    // Never stored (version 0): refused.
    let mut fresh = Card {
        id: 2,
        title: "New".into(),
        color: None,
        version: 0,
    };
    let fresh_before = fresh.clone();
    fresh.title = "Newer".into();
    assert_error!(fresh.save_changes(table, &fresh_before).await, Validation);
    table.delete_table().await.unwrap();
}

/// `save_changes` of an item stored at an older schema version is refused with both versions
/// named (a partial write would mix layouts); after the migration it goes through.
pub async fn save_changes_refuses_older_items(table: &Table) {
    let table = &evolution_table(table).await;
    contact_v1(1).create(table).await.unwrap();
    let before = Contact::get(table, Contact::key(1)).await.unwrap();
    let mut after = before.clone();
    after.tier = "paid".into();
    match after.save_changes(table, &before).await {
        Err(e @ Error::SchemaVersion { .. }) => {
            let message = e.to_string();
            assert!(message.contains("schema version 1"), "{message}");
            assert!(message.contains("schema version 3"), "{message}");
        }
        other => panic!("expected SchemaVersion, got {other:?}"),
    }
    Migration::<Contact>::new(table).run().await.unwrap();
    let before = Contact::get(table, Contact::key(1)).await.unwrap();
    let mut after = before.clone();
    after.tier = "paid".into();
    after.save_changes(table, &before).await.unwrap();
    assert_eq!(Contact::get(table, Contact::key(1)).await.unwrap(), after);
    let ids: BTreeSet<u32> = Contact::query(table)
        .index("evo1")
        .partition(Contact::evo1_partition("paid"))
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, BTreeSet::from([1]));
    table.delete_table().await.unwrap();
}
