//! Managing tables: UpdateTable (indexes backfilled and dropped, billing, throughput, streams,
//! class, protection; refusals that change nothing; statuses over the status delay), time to
//! live, tags, and the descriptions.

use crate::tests::key_attr;
use crate::{
    IndexStatus, MemoryBackend, ServiceError, TableDescription, TableSettings, TableStatus,
};
use orm_core::backend::{
    BillingMode, IndexDefinition, IndexUpdate, KeyType, Projection, PutItem, QueryRequest,
    ScanRequest, StreamSpecification, StreamViewType, TableClass, TableDefinition, Throughput,
    UpdateTable,
};
use orm_core::expr::KeyCondition;
use orm_core::{Backend, Error, Item, Value};
use std::time::Duration;

fn definition() -> TableDefinition {
    let pk = key_attr("pk", KeyType::S);
    TableDefinition::new("app", pk.clone(), Some(key_attr("sk", KeyType::S))).with_index(
        IndexDefinition::local(
            "lsi",
            pk,
            key_attr("rank", KeyType::N),
            Projection::KeysOnly,
        ),
    )
}

fn gsi(name: &str, pk: &str, projection: Projection) -> IndexDefinition {
    IndexDefinition::global(name, key_attr(pk, KeyType::S), None, projection)
}

fn item(pk: &str, sk: &str) -> Item {
    Item::new()
        .with("pk", pk)
        .with("sk", sk)
        .with("title", format!("{pk}/{sk}"))
}

/// A table holding five items: three with `g` (two in group `a`), one whose `g` is a number (the
/// wrong type for an S index key) and one whose `g` is empty (not a valid key).
async fn seeded() -> MemoryBackend {
    let b = MemoryBackend::new();
    b.create_table(&definition()).await.unwrap();
    for (sk, g) in [
        ("1", Value::from("a")),
        ("2", Value::from("a")),
        ("3", Value::from("b")),
        ("4", Value::from(7)),
        ("5", Value::from("")),
    ] {
        b.put_item(PutItem::new("app", item("p", sk).with("g", g)))
            .await
            .unwrap();
    }
    b
}

/// Creates the global index `by_g` on `g`, projecting `projection` (UpdateTable).
async fn create_by_g(b: &MemoryBackend, projection: Projection) {
    b.update_table(&UpdateTable::new("app").with_create_index(gsi("by_g", "g", projection)))
        .await
        .unwrap();
}

/// The items of index `index` in partition `g`.
async fn query_index(b: &MemoryBackend, index: &str, g: &str) -> Result<Vec<Item>, Error> {
    let page = b
        .query(&QueryRequest {
            index: Some(index.into()),
            ..QueryRequest::new("app", KeyCondition::partition("g", Value::from(g)))
        })
        .await?;
    Ok(page
        .items
        .into_iter()
        .map(|i| i.into_item().unwrap())
        .collect())
}

fn gsi_description<'a>(d: &'a TableDescription, name: &str) -> &'a crate::IndexDescription {
    d.indexes
        .iter()
        .find(|i| i.definition.name == name)
        .unwrap_or_else(|| panic!("no index {name} in {d:?}"))
}

fn service_code(error: &Error) -> Option<&'static str> {
    match error {
        Error::Backend { source, .. } => source.downcast_ref::<ServiceError>().map(|e| e.code),
        _ => None,
    }
}

#[tokio::test]
async fn a_created_index_is_backfilled_and_kept_up_to_date() {
    let b = seeded().await;
    create_by_g(&b, Projection::KeysOnly).await;
    let group_a = query_index(&b, "by_g", "a").await.unwrap();
    assert_eq!(group_a.len(), 2);
    // KEYS_ONLY: the table's and the index's keys, nothing else.
    assert_eq!(
        group_a[0].keys().map(String::as_str).collect::<Vec<_>>(),
        ["g", "pk", "sk"]
    );
    // The item with a number `g` and the one with an empty `g` are not in the index.
    let description = b.table_description("app").unwrap();
    let index = gsi_description(&description, "by_g");
    assert_eq!(index.item_count, 3);
    assert_eq!(index.status, IndexStatus::Active);
    assert!(!index.backfilling);
    assert!(index.size_bytes > 0);
    // Writes after the creation maintain it, and are checked against its key type.
    b.put_item(PutItem::new("app", item("q", "1").with("g", "a")))
        .await
        .unwrap();
    assert_eq!(query_index(&b, "by_g", "a").await.unwrap().len(), 3);
    let err = b
        .put_item(PutItem::new("app", item("q", "2").with("g", 1)))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Type mismatch for Index Key g"),
        "{err}"
    );
    // The local index still answers.
    assert_eq!(b.table_description("app").unwrap().item_count, 6);
}

#[tokio::test]
async fn a_deleted_index_is_gone_and_writes_go_on() {
    let b = seeded().await;
    create_by_g(&b, Projection::All).await;
    b.update_table(&UpdateTable::new("app").with_delete_index("by_g"))
        .await
        .unwrap();
    let err = query_index(&b, "by_g", "a").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("does not have the specified index"),
        "{err}"
    );
    // Its key attribute is free again: any type goes.
    b.put_item(PutItem::new("app", item("q", "1").with("g", 1)))
        .await
        .unwrap();
    let definition = b.describe_table("app").await.unwrap();
    assert_eq!(definition.indexes.len(), 1);
}

/// Every refused UpdateTable leaves the table as it was.
#[tokio::test]
async fn refused_changes_leave_the_table_as_it_was() {
    let b = seeded().await;
    create_by_g(&b, Projection::All).await;
    let before = b.table_description("app").unwrap();
    let refused: Vec<(UpdateTable, &str)> = vec![
        (UpdateTable::new("app"), "At least one of"),
        (
            UpdateTable::new("app")
                .with_create_index(gsi("one", "x", Projection::All))
                .with_create_index(gsi("two", "y", Projection::All)),
            "Only 1 online index",
        ),
        (
            UpdateTable::new("app").with_create_index(gsi("by_g", "g", Projection::All)),
            "Index already exists: by_g",
        ),
        (
            UpdateTable::new("app").with_create_index(gsi("lsi", "g", Projection::All)),
            "Index already exists: lsi",
        ),
        (
            UpdateTable::new("app").with_delete_index("nope"),
            "table not found",
        ),
        (
            UpdateTable::new("app").with_delete_index("lsi"),
            "table not found",
        ),
        (
            UpdateTable::new("app").with_throughput(Throughput::new(5, 5)),
            "Neither ReadCapacityUnits nor WriteCapacityUnits",
        ),
        (
            UpdateTable::new("app")
                .with_billing_mode(BillingMode::Provisioned)
                .with_throughput(Throughput::new(5, 5)),
            "ProvisionedThroughput is not specified for index: by_g",
        ),
        (
            UpdateTable::new("app").with_index_update(IndexUpdate::Update {
                name: "by_g".into(),
                throughput: Throughput::new(1, 1),
            }),
            "ProvisionedThroughput should not be specified for index: by_g",
        ),
        (
            UpdateTable::new("app").with_index_update(IndexUpdate::Update {
                name: "nope".into(),
                throughput: Throughput::new(1, 1),
            }),
            "Action Blocked: IndexUpdate",
        ),
        (
            UpdateTable::new("app").with_index_update(IndexUpdate::Create {
                index: gsi("new", "n", Projection::All),
                throughput: Some(Throughput::new(1, 1)),
            }),
            "should not be specified for index: new",
        ),
        (
            UpdateTable::new("gone").with_deletion_protection(true),
            "table not found",
        ),
    ];
    for (request, needle) in refused {
        let err = b.update_table(&request).await.unwrap_err();
        assert!(err.to_string().contains(needle), "{request:?}: {err}");
        assert_eq!(b.table_description("app").unwrap(), before, "{request:?}");
    }
    let err = b
        .update_table(
            &UpdateTable::new("app")
                .with_create_index(gsi("one", "x", Projection::All))
                .with_delete_index("by_g"),
        )
        .await
        .unwrap_err();
    assert_eq!(service_code(&err), Some("LimitExceededException"), "{err}");
    // A missing index is DynamoDB's ResourceNotFoundException (on DynamoBackend too:
    // `TableNotFound`), its message naming the index.
    match b
        .update_table(&UpdateTable::new("app").with_delete_index("nope"))
        .await
        .unwrap_err()
    {
        Error::TableNotFound {
            source: Some(source),
            ..
        } => assert!(
            source.to_string().contains("Index: nope not found"),
            "{source}"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn billing_and_throughput_follow_dynamodb() {
    let b = MemoryBackend::new();
    let mut def = definition();
    def.indexes.push(gsi("by_g", "g", Projection::All));
    let settings = TableSettings::provisioned(Throughput::new(5, 5))
        .with_index_throughput("by_g", Throughput::new(3, 3));
    let created = b.create_table_with(&def, &settings).unwrap();
    assert_eq!(created.status, TableStatus::Creating);
    assert_eq!(
        gsi_description(&created, "by_g").status,
        IndexStatus::Creating
    );
    let described = b.table_description("app").unwrap();
    assert_eq!(described.status, TableStatus::Active);
    assert_eq!(described.throughput.read_capacity_units, 5);
    assert_eq!(
        gsi_description(&described, "by_g")
            .throughput
            .as_ref()
            .unwrap()
            .write_capacity_units,
        3
    );
    // The same throughput again changes nothing: refused.
    let same = b
        .update_table(&UpdateTable::new("app").with_throughput(Throughput::new(5, 5)))
        .await
        .unwrap_err();
    assert!(same.to_string().contains("will not change"), "{same}");
    // Down, then up: recorded.
    b.update_table(&UpdateTable::new("app").with_throughput(Throughput::new(4, 5)))
        .await
        .unwrap();
    b.update_table(&UpdateTable::new("app").with_throughput(Throughput::new(20, 15)))
        .await
        .unwrap();
    let t = b.table_description("app").unwrap().throughput;
    assert_eq!((t.read_capacity_units, t.write_capacity_units), (20, 15));
    assert_eq!(t.decreases_today, 1);
    assert!(t.last_increase.is_some() && t.last_decrease.is_some());
    // On demand: 0 and 0 reported, the switch's time kept.
    b.update_table(&UpdateTable::new("app").with_billing_mode(BillingMode::PayPerRequest))
        .await
        .unwrap();
    let on_demand = b.table_description("app").unwrap();
    assert_eq!(on_demand.billing_mode, BillingMode::PayPerRequest);
    assert_eq!(on_demand.throughput.read_capacity_units, 0);
    assert!(on_demand.pay_per_request_since.is_some());
    // On demand to on demand is accepted (a no-op).
    b.update_table(&UpdateTable::new("app").with_billing_mode(BillingMode::PayPerRequest))
        .await
        .unwrap();
    // Back to provisioned: the table and every global index need a throughput.
    b.update_table(
        &UpdateTable::new("app")
            .with_billing_mode(BillingMode::Provisioned)
            .with_throughput(Throughput::new(5, 5))
            .with_index_update(IndexUpdate::Update {
                name: "by_g".into(),
                throughput: Throughput::new(2, 2),
            }),
    )
    .await
    .unwrap();
    let back = b.table_description("app").unwrap();
    assert_eq!(back.billing_mode, BillingMode::Provisioned);
    assert_eq!(back.throughput.read_capacity_units, 5);
    // Settings that CreateTable refuses.
    for (settings, needle) in [
        (
            TableSettings::provisioned(Throughput::new(5, 5)),
            "ProvisionedThroughput is not specified for index: by_g",
        ),
        (
            TableSettings::default().with_index_throughput("by_g", Throughput::new(1, 1)),
            "should not be specified for index: by_g",
        ),
        (
            TableSettings::provisioned(Throughput::new(0, 1))
                .with_index_throughput("by_g", Throughput::new(1, 1)),
            "greater than or equal to 1",
        ),
    ] {
        let mut other = def.clone();
        other.name = "other".into();
        let err = b.create_table_with(&other, &settings).unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
        assert!(b.table_description("other").is_err());
    }
}

#[tokio::test]
async fn streams_class_and_deletion_protection() {
    let b = MemoryBackend::new();
    b.create_table(&definition()).await.unwrap();
    b.update_table(
        &UpdateTable::new("app")
            .with_streams(StreamSpecification::Enabled(
                StreamViewType::NewAndOldImages,
            ))
            .with_table_class(TableClass::StandardInfrequentAccess)
            .with_deletion_protection(true),
    )
    .await
    .unwrap();
    let d = b.table_description("app").unwrap();
    let stream = d.latest_stream.clone().unwrap();
    assert_eq!(stream.view_type, StreamViewType::NewAndOldImages);
    assert_eq!(stream.label.len(), 23);
    assert!(stream.enabled);
    assert_eq!(d.table_class, TableClass::StandardInfrequentAccess);
    let again = b
        .update_table(
            &UpdateTable::new("app")
                .with_streams(StreamSpecification::Enabled(StreamViewType::KeysOnly)),
        )
        .await
        .unwrap_err();
    assert!(
        again.to_string().contains("already has an enabled stream"),
        "{again}"
    );
    // Protected: DeleteTable is refused and the table stays.
    let err = b.delete_table("app").await.unwrap_err();
    assert!(
        err.to_string().contains("protected against deletion"),
        "{err}"
    );
    assert!(b.table_description("app").is_ok());
    b.update_table(
        &UpdateTable::new("app")
            .with_deletion_protection(false)
            .with_streams(StreamSpecification::Disabled),
    )
    .await
    .unwrap();
    // The disabled stream stays the latest (readable for 24 hours), no longer enabled.
    let latest = b.table_description("app").unwrap().latest_stream.unwrap();
    assert_eq!((latest.label, latest.enabled), (stream.label, false));
    let deleted = b.delete_table_described("app").unwrap();
    assert_eq!(deleted.status, TableStatus::Deleting);
    assert!(b.table_description("app").is_err());
}

/// With a status delay, the change is seen in progress (and the new index cannot be read) until
/// the delay passes; without one, only UpdateTable's answer reports it.
#[tokio::test]
async fn statuses_advance_after_the_status_delay() {
    let b = seeded().await;
    b.set_status_delay(Duration::from_secs(3600));
    let answer = b
        .apply_table_update(&UpdateTable::new("app").with_create_index(gsi(
            "by_g",
            "g",
            Projection::All,
        )))
        .unwrap();
    assert_eq!(answer.status, TableStatus::Updating);
    let index = gsi_description(&answer, "by_g");
    assert_eq!(
        (index.status, index.backfilling),
        (IndexStatus::Creating, true)
    );
    let described = b.table_description("app").unwrap();
    assert_eq!(described.status, TableStatus::Updating);
    assert_eq!(
        gsi_description(&described, "by_g").status,
        IndexStatus::Creating
    );
    let err = query_index(&b, "by_g", "a").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("Cannot read from backfilling global secondary index: by_g"),
        "{err}"
    );
    let busy = b
        .apply_table_update(&UpdateTable::new("app").with_deletion_protection(true))
        .unwrap_err();
    assert_eq!(
        service_code(&busy),
        Some("ResourceInUseException"),
        "{busy}"
    );
    // The table itself answers meanwhile.
    let scanned = b.scan(&ScanRequest::new("app")).await.unwrap();
    assert_eq!(scanned.items.len(), 5);

    b.set_status_delay(Duration::ZERO);
    let settled = b.table_description("app").unwrap();
    assert_eq!(settled.status, TableStatus::Active);
    assert_eq!(
        gsi_description(&settled, "by_g").status,
        IndexStatus::Active
    );
    assert_eq!(query_index(&b, "by_g", "a").await.unwrap().len(), 2);

    // Deleting: listed DELETING while the delay runs, then gone.
    b.set_status_delay(Duration::from_secs(3600));
    let answer = b
        .apply_table_update(&UpdateTable::new("app").with_delete_index("by_g"))
        .unwrap();
    assert_eq!(
        gsi_description(&answer, "by_g").status,
        IndexStatus::Deleting
    );
    assert!(query_index(&b, "by_g", "a").await.is_err());
    b.set_status_delay(Duration::ZERO);
    assert!(b
        .table_description("app")
        .unwrap()
        .indexes
        .iter()
        .all(|i| i.definition.name != "by_g"));

    // The in-process Backend::update_table returns with the change complete, whatever the delay.
    b.set_status_delay(Duration::from_secs(3600));
    create_by_g(&b, Projection::All).await;
    assert_eq!(
        b.table_description("app").unwrap().status,
        TableStatus::Active
    );
    assert_eq!(query_index(&b, "by_g", "a").await.unwrap().len(), 2);
}

/// Regression (issue 25): a TTL enabled over the wire was kept by the server alone, so
/// `purge_expired` never saw it.
#[tokio::test]
async fn time_to_live_set_after_creation_is_the_one_purged_by() {
    let b = MemoryBackend::new();
    b.create_table(&definition()).await.unwrap();
    for (sk, at) in [("1", 100), ("2", 10_000)] {
        b.put_item(PutItem::new("app", item("p", sk).with("expires", at)))
            .await
            .unwrap();
    }
    assert_eq!(b.purge_expired(1_000), 0, "TTL is not enabled yet");
    b.update_time_to_live("app", "expires", true).unwrap();
    assert_eq!(
        b.describe_table("app")
            .await
            .unwrap()
            .ttl_attribute
            .as_deref(),
        Some("expires")
    );
    assert_eq!(b.purge_expired(1_000), 1);
    for (attribute, enabled, needle) in [
        ("expires", true, "already enabled"),
        ("other", false, "enabled on attribute expires, not other"),
        (
            "",
            true,
            "Member must have length greater than or equal to 1",
        ),
    ] {
        let err = b
            .update_time_to_live("app", attribute, enabled)
            .unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    b.update_time_to_live("app", "expires", false).unwrap();
    assert!(b
        .update_time_to_live("app", "expires", false)
        .unwrap_err()
        .to_string()
        .contains("already disabled"));
    assert_eq!(b.purge_expired(i64::MAX / 2), 0);
    assert!(matches!(
        b.update_time_to_live("gone", "expires", true),
        Err(Error::TableNotFound { .. })
    ));
}

#[tokio::test]
async fn tags_are_added_replaced_removed_and_listed() {
    let b = MemoryBackend::new();
    b.create_table_with(
        &definition(),
        &TableSettings::default().with_tag("team", "core"),
    )
    .unwrap();
    let tag = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    b.tag_table("app", &[tag("env", "test"), tag("project", "orm")])
        .unwrap();
    b.tag_table("app", &[tag("env", "prod")]).unwrap();
    assert_eq!(
        b.table_tags("app").unwrap(),
        [
            tag("env", "prod"),
            tag("project", "orm"),
            tag("team", "core")
        ]
    );
    b.untag_table("app", &["team".into(), "absent".into()])
        .unwrap();
    assert_eq!(b.table_tags("app").unwrap().len(), 2);
    assert!(b
        .tag_table("app", &[])
        .unwrap_err()
        .to_string()
        .contains("Atleast one Tag"));
    assert!(b.untag_table("app", &[]).is_err());
    let too_many: Vec<(String, String)> = (0..49).map(|i| tag(&format!("k{i}"), "v")).collect();
    let err = b.tag_table("app", &too_many).unwrap_err();
    assert_eq!(service_code(&err), Some("LimitExceededException"), "{err}");
    assert_eq!(b.table_tags("app").unwrap().len(), 2, "nothing was added");
    assert!(matches!(
        b.table_tags("gone"),
        Err(Error::TableNotFound { .. })
    ));
}

#[tokio::test]
async fn descriptions_count_items_and_bytes() {
    let b = seeded().await;
    let d = b.table_description("app").unwrap();
    assert_eq!(d.item_count, 5);
    let expected: usize = {
        let page = b.scan(&ScanRequest::new("app")).await.unwrap();
        page.items
            .into_iter()
            .map(|i| i.into_item().unwrap().size())
            .sum()
    };
    assert_eq!(d.size_bytes, expected);
    assert_eq!(d.billing_mode, BillingMode::PayPerRequest);
    assert_eq!(d.throughput.read_capacity_units, 0);
    assert_eq!(d.id.len(), 36);
    // The local index holds the items that have its sort key: none here.
    assert_eq!(gsi_description(&d, "lsi").item_count, 0);
}
