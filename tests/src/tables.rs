//! Changing a live table: a global secondary index created on a table that already holds items
//! (backfilled, then kept up to date), queried once `update_table` returns (the table and the
//! index ACTIVE), and deleted; a refused change leaves the table as it was. A global index with
//! a multi-attribute key, created with a table and on a live one.

use crate::models::{Note, Todo};
use orm_core::backend::{
    IndexDefinition, KeyAttribute, KeyType, Projection, PutItem, QueryRequest, TableDefinition,
    UpdateTable,
};
use orm_core::expr::{KeyCondition, SortKeyCondition};
use orm_core::index_sync::IndexSyncStep;
use orm_core::{Backend, Error, Item, ModelExt, Table, Value};

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

/// Creates the `(match_id)` table `name` holding [`games`], with the index `byRegion`
/// (multi-attribute key: partition `tournament` S, `region` S; sort `round` N, `bracket` S) or
/// without it.
async fn games_table(backend: &dyn Backend, name: &str, with_index: bool) {
    let definition = TableDefinition::new(name, KeyAttribute::new("match_id", KeyType::S), None);
    let definition = if with_index {
        definition.with_index(region_index())
    } else {
        definition
    };
    backend.create_table(&definition).await.unwrap();
    for item in games() {
        backend.put_item(PutItem::new(name, item)).await.unwrap();
    }
}

fn region_index() -> IndexDefinition {
    let key = KeyAttribute::new;
    IndexDefinition::from_key_attributes(
        "byRegion",
        [key("tournament", KeyType::S), key("region", KeyType::S)],
        [key("round", KeyType::N), key("bracket", KeyType::S)],
        Projection::All,
    )
}

fn game(id: &str, region: &str, round: i64, bracket: Option<&str>) -> Item {
    let item = Item::new()
        .with("match_id", id)
        .with("tournament", "W24")
        .with("region", region)
        .with("round", round);
    match bracket {
        Some(b) => item.with("bracket", b),
        None => item,
    }
}

/// The games stored by [`multi_attribute_index`]: one lacks `bracket`, so the index skips it.
fn games() -> Vec<Item> {
    vec![
        game("m1", "EU", 1, Some("upper")),
        game("m2", "EU", 1, Some("lower")),
        game("m3", "EU", 2, Some("upper")),
        game("m4", "EU", 10, Some("lower")),
        game("m5", "NA", 1, Some("upper")),
        game("m6", "EU", 3, None),
    ]
}

/// A query of `byRegion` in (W24, EU): `sort_prefix` equalities, then `sort` on the next one.
fn eu_query(
    table: &str,
    sort_prefix: &[(&str, Value)],
    sort: Option<(&str, SortKeyCondition)>,
) -> QueryRequest {
    let mut kc = KeyCondition::partition("tournament", "W24");
    kc.extra_partition = vec![("region".into(), "EU".into())];
    kc.sort_prefix = sort_prefix
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    kc.sort = sort.map(|(n, c)| (n.to_string(), c));
    QueryRequest {
        index: Some("byRegion".into()),
        ..QueryRequest::new(table, kc)
    }
}

/// Every page of a query, as `match_id`s in order.
async fn match_ids(table: &Table, mut request: QueryRequest) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    loop {
        let page = table.backend().query(&request).await?;
        for item in page.items {
            match item.into_item().unwrap().get("match_id") {
                Some(Value::S(id)) => out.push(id.clone()),
                other => panic!("an item without its match_id: {other:?}"),
            }
        }
        match page.last_evaluated_key {
            Some(key) => request.exclusive_start_key = Some(key),
            None => return Ok(out),
        }
    }
}

/// A global index whose partition and sort keys are each made of two plain attributes
/// (DynamoDB's multi-attribute keys): created with the table, and on a table already holding
/// items (backfilled); items ordered by round (a number) then bracket; every legal key-condition
/// shape; the illegal ones refused as the service refuses them; sparse items; pages of one item.
pub async fn multi_attribute_index(table: &Table) {
    if !crate::has_multi_attribute_keys(table, "multi_attribute_index") {
        return;
    }
    let backend = table.backend();
    let name = format!("{}-multi", table.name());
    games_table(backend.as_ref(), &name, true).await;
    let round = |n: i64| Value::from(n);
    // `round` alone, then `bracket` after `round = 1`.
    let by_round = |c| eu_query(&name, &[], Some(("round", c)));
    let by_bracket = |c| eu_query(&name, &[("round", round(1))], Some(("bracket", c)));
    let legal: Vec<(QueryRequest, Vec<&str>)> = vec![
        (eu_query(&name, &[], None), vec!["m2", "m1", "m3", "m4"]),
        (by_round(SortKeyCondition::Eq(round(1))), vec!["m2", "m1"]),
        (by_round(SortKeyCondition::Lt(round(2))), vec!["m2", "m1"]),
        (
            by_round(SortKeyCondition::Le(round(2))),
            vec!["m2", "m1", "m3"],
        ),
        (by_round(SortKeyCondition::Gt(round(2))), vec!["m4"]),
        (by_round(SortKeyCondition::Ge(round(2))), vec!["m3", "m4"]),
        (
            by_round(SortKeyCondition::Between(round(2), round(10))),
            vec!["m3", "m4"],
        ),
        (by_bracket(SortKeyCondition::Eq("upper".into())), vec!["m1"]),
        (
            by_bracket(SortKeyCondition::BeginsWith("lo".into())),
            vec!["m2"],
        ),
        (by_bracket(SortKeyCondition::Gt("lower".into())), vec!["m1"]),
        (
            by_bracket(SortKeyCondition::Between("a".into(), "m".into())),
            vec!["m2"],
        ),
    ];
    for (request, want) in legal {
        let shown = request.key_condition.to_string();
        assert_eq!(
            match_ids(table, request.clone()).await.unwrap(),
            want,
            "{shown}"
        );
        // Pages of one item each: resumed from LastEvaluatedKey, nothing skipped or repeated.
        let mut paged = request.clone();
        paged.limit = Some(1);
        assert_eq!(
            match_ids(table, paged).await.unwrap(),
            want,
            "{shown}, pages of 1"
        );
        let mut reversed = request;
        reversed.scan_forward = false;
        let mut back: Vec<&str> = want.clone();
        back.reverse();
        assert_eq!(
            match_ids(table, reversed).await.unwrap(),
            back,
            "{shown}, reversed"
        );
    }
    // A page's LastEvaluatedKey holds the table key and every index key attribute.
    let mut one = eu_query(&name, &[], None);
    one.limit = Some(1);
    let key = backend
        .query(&one)
        .await
        .unwrap()
        .last_evaluated_key
        .unwrap();
    let mut names: Vec<&str> = key.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["bracket", "match_id", "region", "round", "tournament"]
    );

    // Illegal shapes: a partition attribute missing, a sort attribute skipped, a range before
    // the last attribute given.
    let mut no_region = eu_query(&name, &[], None);
    no_region.key_condition.extra_partition.clear();
    let skipped = eu_query(
        &name,
        &[],
        Some(("bracket", SortKeyCondition::Eq("upper".into()))),
    );
    let range_first = eu_query(
        &name,
        &[("round", round(1))],
        Some(("bracket", SortKeyCondition::Eq("upper".into()))),
    );
    let mut range_first = range_first;
    range_first.key_condition.sort_prefix.clear();
    range_first.key_condition.sort = Some(("bracket".into(), SortKeyCondition::Eq("upper".into())));
    for (request, wanted) in [
        (
            no_region,
            "HASH key attributes region must have equality conditions",
        ),
        (
            skipped,
            "RANGE key attributes round must have equality conditions",
        ),
        (
            range_first,
            "RANGE key attributes round must have equality conditions",
        ),
    ] {
        let e = match_ids(table, request).await.unwrap_err();
        assert!(
            matches!(&e, Error::ServiceValidation { message, .. } if message.contains(wanted)),
            "wanted a ValidationException saying `{wanted}`, got {e:?}"
        );
    }
    // DescribeTable answers the key schema as created.
    let described = backend.describe_table(&name).await.unwrap();
    assert_eq!(described.index("byRegion"), Some(&region_index()));
    backend.delete_table(&name).await.unwrap();

    // The same index added to a table that already holds the items: backfilled.
    let later = format!("{}-multi-later", table.name());
    games_table(backend.as_ref(), &later, false).await;
    backend
        .update_table(&UpdateTable::new(&later).with_create_index(region_index()))
        .await
        .unwrap();
    assert_eq!(
        match_ids(table, eu_query(&later, &[], None)).await.unwrap(),
        ["m2", "m1", "m3", "m4"]
    );
    // Writes after it keep it up to date; one without `round` leaves it.
    backend
        .put_item(PutItem::new(&later, game("m7", "EU", 1, Some("middle"))))
        .await
        .unwrap();
    backend
        .put_item(PutItem::new(
            &later,
            Item::new()
                .with("match_id", "m1")
                .with("tournament", "W24")
                .with("region", "EU"),
        ))
        .await
        .unwrap();
    assert_eq!(
        match_ids(table, eu_query(&later, &[], None)).await.unwrap(),
        ["m2", "m7", "m3", "m4"]
    );
    backend.delete_table(&later).await.unwrap();
}

/// `table.sync_indexes::<Match>()` on a table created for [`MatchBefore`](crate::models::MatchBefore) (no indexes) that
/// holds matches: creates `by_player` (template: its keys backfilled by a migration) and
/// `byRegion` (multi-attribute: indexed from the attributes the items hold), reports each
/// step, then both answer queries; a second sync changes nothing, and an undeclared index is
/// reported, never deleted.
pub async fn indexes_synced_from_models(table: &Table) {
    use crate::models::{Match, MatchBefore};
    if !crate::has_multi_attribute_keys(table, "indexes_synced_from_models") {
        return;
    }
    let own = Table::new(table.backend().clone(), format!("{}-sync", table.name()));
    own.create_table::<MatchBefore>().await.unwrap();
    let before: Vec<MatchBefore> = (0..12)
        .map(|i| MatchBefore {
            match_id: format!("{i:02}"),
            tournament: "W24".into(),
            region: ["EU", "NA"][i % 2].into(),
            round: i as u32,
            bracket: (i != 0).then(|| "upper".to_owned()),
            player: format!("p{}", i % 3),
        })
        .collect();
    own.batch_put(&before).await.unwrap();
    let steps = std::sync::Mutex::new(Vec::new());
    let synced = own
        .sync_indexes::<Match>(|step| steps.lock().unwrap().push(step.clone()))
        .await
        .unwrap();
    let mut created = synced.created.clone();
    created.sort();
    assert_eq!(created, ["byRegion", "by_player"]);
    assert_eq!(synced.backfilled.len(), 1, "{synced:?}");
    assert_eq!(synced.backfilled[0].0, "Match");
    assert_eq!(synced.backfilled[0].1.changed, 12);
    let steps = steps.into_inner().unwrap();
    assert_eq!(steps.len(), 5, "{steps:?}");
    assert!(matches!(&steps[0], IndexSyncStep::Creating(_)));
    assert!(matches!(&steps[1], IndexSyncStep::Active(_)));

    let eu = Match::query(&own)
        .key(Match::byregion_key("W24", "EU"))
        .all()
        .await
        .unwrap();
    // 00 has no bracket: not in byRegion.
    let ids: Vec<&str> = eu.iter().map(|m| m.match_id.as_str()).collect();
    assert_eq!(ids, ["02", "04", "06", "08", "10"]);
    let p0 = Match::query(&own)
        .index("by_player")
        .partition(Match::by_player_partition("p0"))
        .all()
        .await
        .unwrap();
    assert_eq!(p0.len(), 4);

    let again = own.sync_indexes::<Match>(|_| {}).await.unwrap();
    assert!(
        again.created.is_empty() && again.backfilled.is_empty(),
        "{again:?}"
    );
    // Synced to a model set without them, the indexes stay, reported as undeclared.
    let other = own.sync_indexes::<MatchBefore>(|_| {}).await.unwrap();
    let mut undeclared = other.undeclared.clone();
    undeclared.sort();
    assert_eq!(undeclared, ["byRegion", "by_player"]);
    assert_eq!(
        Match::query(&own)
            .key(Match::byregion_key("W24", "NA"))
            .count()
            .await
            .unwrap(),
        6
    );
    own.backend().delete_table(own.name()).await.unwrap();
}

/// `sync_indexes` compares each declared index with the live one and never deletes one:
/// a live projection lacking declared attributes, or other keys (a type, an attribute), is an
/// error naming the index and both sides, before anything is created; a live projection
/// holding more than declared is reported in `projection_differences`.
pub async fn sync_indexes_compares_keys_and_projections(table: &Table) {
    use crate::models::{Match, MatchKeysOnly};
    use crate::query::RegionClash;
    use orm_core::backend::Projection;
    if !crate::has_multi_attribute_keys(table, "sync_indexes_compares_keys_and_projections") {
        return;
    }
    let backend = table.backend();
    // Live: `by_player` KEYS_ONLY (created by hand), no `byRegion`.
    let own = Table::new(backend.clone(), format!("{}-projections", table.name()));
    let mut definition = own.definition::<Match>().unwrap();
    definition.indexes.retain(|i| i.name == "by_player");
    definition.indexes[0].projection = Projection::KeysOnly;
    backend.create_table(&definition).await.unwrap();
    let e = own.sync_indexes::<Match>(|_| {}).await.unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, Error::Validation { .. }), "{e:?}");
    for part in [
        "index `by_player`",
        "projects KEYS_ONLY where the models declare ALL",
        "never deletes",
    ] {
        assert!(message.contains(part), "{part:?} in {message}");
    }
    let live = backend.describe_table(own.name()).await.unwrap();
    assert!(
        live.index("byRegion").is_none(),
        "nothing created: {live:?}"
    );
    assert_eq!(
        live.index("by_player").unwrap().projection,
        Projection::KeysOnly
    );
    // Declared KEYS_ONLY on a live ALL: reported, nothing changed.
    let all = Table::new(backend.clone(), format!("{}-projections-all", table.name()));
    all.create_table::<Match>().await.unwrap();
    let synced = all.sync_indexes::<MatchKeysOnly>(|_| {}).await.unwrap();
    assert!(synced.created.is_empty(), "{synced:?}");
    assert_eq!(synced.undeclared, ["byRegion"]);
    assert_eq!(synced.projection_differences.len(), 1, "{synced:?}");
    let difference = &synced.projection_differences[0];
    assert_eq!(
        (difference.declared.clone(), difference.live.clone()),
        (Projection::KeysOnly, Projection::All)
    );
    assert_eq!(
        difference.to_string(),
        "index `by_player` projects ALL where the models declare KEYS_ONLY"
    );
    // Other key types and attributes (`round` a string, no `bracket`): refused, naming both.
    let e = all.sync_indexes::<RegionClash>(|_| {}).await.unwrap_err();
    let message = e.to_string();
    for part in [
        "index `byRegion`",
        "other keys",
        "[tournament S, region S]/[round N, bracket S]",
        "[tournament S, region S]/[round S]",
    ] {
        assert!(message.contains(part), "{part:?} in {message}");
    }
    assert!(backend
        .describe_table(all.name())
        .await
        .unwrap()
        .index("byRegion")
        .is_some());
    backend.delete_table(own.name()).await.unwrap();
    backend.delete_table(all.name()).await.unwrap();
}
