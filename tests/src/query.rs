//! Queries, scans, pagination and cursors.

use crate::models::*;
use futures::TryStreamExt;
use orm_core::backend::KeyType;
use orm_core::{attr, Cursor, Error, ModelExt, Page, Query, Table, Value};

fn todo(user: &str, seq: u32) -> Todo {
    Todo {
        user_id: user.into(),
        seq,
        title: format!("todo {seq}"),
        status: match seq % 3 {
            0 => Some("open".into()),
            1 => Some("done".into()),
            _ => None,
        },
        views: u64::from(seq % 7),
    }
}

/// Stores `n` todos of `user` plus a User and a Profile in the same partition.
async fn seed(table: &Table, user: &str, n: u32) -> Vec<Todo> {
    let todos: Vec<Todo> = (0..n).map(|i| todo(user, i)).collect();
    Todo::batch_put(table, &todos).await.unwrap();
    User {
        id: user.into(),
        name: "U".into(),
        email: None,
    }
    .save(table)
    .await
    .unwrap();
    Profile {
        user_id: user.into(),
        kind: "work".into(),
        bio: "b".into(),
    }
    .save(table)
    .await
    .unwrap();
    todos
}

/// Pages through 1,000 items with every combination of limit, page_size, filter and reverse:
/// each matching item comes exactly once, in order, by cursors and by `all()`.
pub async fn paging_combinations_are_exact(table: &Table) {
    let todos = seed(table, "p", 1000).await;
    for filtered in [false, true] {
        for reverse in [false, true] {
            let mut expected: Vec<u32> = todos
                .iter()
                .filter(|t| !filtered || t.views == 0)
                .map(|t| t.seq)
                .collect();
            if reverse {
                expected.reverse();
            }
            for limit in [None, Some(23), Some(250)] {
                for page_size in [None, Some(37), Some(400)] {
                    // The query of this combination, for the cursor walk and for `all()`.
                    let query = || {
                        let mut q = Todo::query(table).partition(Todo::partition("p"));
                        if filtered {
                            q = q.filter(attr("views").eq(0));
                        }
                        if reverse {
                            q = q.reverse();
                        }
                        if let Some(l) = limit {
                            q = q.limit(l);
                        }
                        if let Some(p) = page_size {
                            q = q.page_size(p);
                        }
                        q
                    };
                    let mut seen = Vec::new();
                    let mut cursor: Option<Cursor> = None;
                    let mut pages = 0;
                    loop {
                        let q = query();
                        // Cursors travel as text.
                        let c = cursor
                            .take()
                            .map(|c| c.to_string().parse::<Cursor>().unwrap());
                        let page: Page<Todo> = q.cursor(c).paginate().await.unwrap();
                        if let Some(l) = limit {
                            assert!(page.items.len() <= l);
                            if page.cursor.is_some() {
                                assert_eq!(page.items.len(), l, "a full page before a cursor");
                            }
                        }
                        seen.extend(page.items.iter().map(|t| t.seq));
                        pages += 1;
                        assert!(pages < 2000, "paging does not terminate");
                        match page.cursor {
                            Some(c) => cursor = Some(c),
                            None => break,
                        }
                    }
                    assert_eq!(
                        seen, expected,
                        "filtered={filtered} reverse={reverse} limit={limit:?} page_size={page_size:?}"
                    );

                    // `all()` reads the same items in one call, page after page, up to the limit.
                    let q = query();
                    let all: Vec<u32> = q.all().await.unwrap().iter().map(|t| t.seq).collect();
                    let wanted = limit.unwrap_or(usize::MAX).min(expected.len());
                    assert_eq!(
                        all,
                        expected[..wanted],
                        "all(): filtered={filtered} reverse={reverse} limit={limit:?} page_size={page_size:?}"
                    );
                }
            }
        }
    }
}

/// A filter matching 1 item in 10,000 with limit(5) terminates and finds exactly that item.
pub async fn selective_filter_terminates(table: &Table) {
    let todos: Vec<Todo> = (0..10_000).map(|i| todo("sel", i)).collect();
    Todo::batch_put(table, &todos).await.unwrap();
    let page = Todo::query(table)
        .partition(Todo::partition("sel"))
        .filter(attr("title").eq("todo 7777"))
        .limit(5)
        .paginate()
        .await
        .unwrap();
    assert_eq!(page.items.iter().map(|t| t.seq).collect::<Vec<_>>(), [7777]);
    assert!(page.cursor.is_none());
    let n = Todo::query(table)
        .partition(Todo::partition("sel"))
        .filter(attr("views").eq(3))
        .count()
        .await
        .unwrap();
    assert_eq!(n, todos.iter().filter(|t| t.views == 3).count());
}

/// Sort-key conditions and typed sort-key prefixes.
pub async fn sort_key_conditions(table: &Table) {
    seed(table, "k", 30).await;
    let seqs = |v: Vec<Todo>| v.into_iter().map(|t| t.seq).collect::<Vec<_>>();
    let q = || Todo::query(table).partition(Todo::partition("k"));
    assert_eq!(
        seqs(q().sk_eq(Todo::sort_key(5u32)).all().await.unwrap()),
        [5]
    );
    assert_eq!(
        seqs(q().sk_lt(Todo::sort_key(3u32)).all().await.unwrap()),
        [0, 1, 2]
    );
    assert_eq!(
        seqs(q().sk_le(Todo::sort_key(2u32)).all().await.unwrap()),
        [0, 1, 2]
    );
    assert_eq!(
        seqs(q().sk_gt(Todo::sort_key(27u32)).all().await.unwrap()),
        [28, 29]
    );
    assert_eq!(
        seqs(q().sk_ge(Todo::sort_key(28u32)).all().await.unwrap()),
        [28, 29]
    );
    assert_eq!(
        seqs(
            q().sk_between(Todo::sort_key(10u32), Todo::sort_key(12u32))
                .all()
                .await
                .unwrap()
        ),
        [10, 11, 12]
    );
    // The literal prefix `TODO#` selects the todos only (the profile items sort before them).
    assert_eq!(
        q().sk_begins_with(Todo::sk_prefix()).count().await.unwrap(),
        30
    );
    assert_eq!(
        seqs(q().reverse().limit(3).all().await.unwrap()),
        [29, 28, 27]
    );
    assert_eq!(q().first().await.unwrap().map(|t| t.seq), Some(0));
    assert!(q()
        .sk_gt(Todo::sort_key(29u32))
        .first()
        .await
        .unwrap()
        .is_none());
    assert!(q().exists().await.unwrap());
    let streamed: Vec<Todo> = q().page_size(4).stream().try_collect().await.unwrap();
    assert_eq!(seqs(streamed), (0..30).collect::<Vec<_>>());
}

/// Items of other entities sharing the partition never appear in a model's query.
pub async fn other_entities_never_appear(table: &Table) {
    seed(table, "mix", 5).await;
    let todos = Todo::query(table)
        .partition(Todo::partition("mix"))
        .all()
        .await
        .unwrap();
    assert_eq!(todos.len(), 5);
    let users = User::query(table)
        .partition(User::partition("mix"))
        .all()
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    let profiles = Profile::query(table)
        .partition(Profile::partition("mix"))
        .all()
        .await
        .unwrap();
    assert_eq!(profiles.len(), 1);
    let scanned = Todo::scan(table).all().await.unwrap();
    assert_eq!(scanned.len(), 5);
}

/// One query decodes several entity types of a partition, in sort-key order.
pub async fn collection_returns_every_entity_in_order(table: &Table) {
    seed(table, "c", 3).await;
    let all = UserPartition::query(table)
        .partition(User::partition("c"))
        .all()
        .await
        .unwrap();
    let kinds: Vec<&str> = all
        .iter()
        .map(|x| match x {
            UserPartition::User(_) => "user",
            UserPartition::Profile(_) => "profile",
            UserPartition::Todo(_) => "todo",
        })
        .collect();
    // sk order: PROFILE < PROFILE#work < TODO#...
    assert_eq!(kinds, ["user", "profile", "todo", "todo", "todo"]);
}

/// A cursor used with another partition, index or entity is InvalidCursor.
pub async fn cursor_misuse_is_rejected(table: &Table) {
    seed(table, "a", 10).await;
    seed(table, "b", 10).await;
    let page = Todo::query(table)
        .partition(Todo::partition("a"))
        .limit(3)
        .paginate()
        .await
        .unwrap();
    let cursor = page.cursor.expect("more pages");
    let other_partition = Todo::query(table)
        .partition(Todo::partition("b"))
        .cursor(cursor.clone())
        .paginate()
        .await;
    assert_error!(other_partition, InvalidCursor);
    let other_index = Todo::query(table)
        .index("gsi1")
        .partition(Todo::gsi1_partition("open"))
        .cursor(cursor.clone())
        .paginate()
        .await;
    assert_error!(other_index, InvalidCursor);
    let other_entity = Profile::query(table)
        .partition(Profile::partition("a"))
        .cursor(cursor.clone())
        .paginate()
        .await;
    assert_error!(other_entity, InvalidCursor);
    let other_condition = Todo::query(table)
        .partition(Todo::partition("a"))
        .sk_begins_with(Todo::sk_prefix())
        .cursor(cursor.clone())
        .paginate()
        .await;
    assert_error!(other_condition, InvalidCursor);
    for garbage in ["", "not a cursor", "AAAA", &cursor.as_str()[1..]] {
        assert!(garbage.parse::<Cursor>().is_err(), "{garbage:?} accepted");
    }
    // The same query continues fine.
    let next = Todo::query(table)
        .partition(Todo::partition("a"))
        .limit(3)
        .cursor(cursor)
        .paginate()
        .await
        .unwrap();
    assert_eq!(
        next.items.iter().map(|t| t.seq).collect::<Vec<_>>(),
        [3, 4, 5]
    );
}

/// With a cursor secret, cursors are sealed (encrypted and authenticated): a full listing pages
/// through them exactly; their text shows nothing of the keys; any 1-character change, a plain
/// cursor, another secret and another filter are rejected; after a rotation, cursors sealed with
/// the previous secret still open until it is dropped.
pub async fn sealed_cursors_hide_keys_and_reject_tampering(table: &Table) {
    seed(table, "s", 10).await;
    let sealed = table.with_cursor_secret(b"top secret, 32 bytes or more ok".to_vec());
    let q = |t: &Table| Todo::query(t).partition(Todo::partition("s")).limit(4);

    // A round trip through every page.
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = q(&sealed).cursor(cursor.take()).paginate().await.unwrap();
        seen.extend(page.items.iter().map(|t| t.seq));
        match page.cursor {
            Some(c) => {
                let decoded = base64_bytes(c.as_str());
                assert!(
                    !contains(&decoded, b"USER#s") && !contains(&decoded, b"TODO#"),
                    "a sealed cursor shows the key: {c}"
                );
                cursor = Some(c.to_string().parse().unwrap());
            }
            None => break,
        }
    }
    assert_eq!(seen, (0..10).collect::<Vec<_>>());

    let cursor = q(&sealed).paginate().await.unwrap().cursor.unwrap();
    let text = cursor.to_string();
    let mut tampered = 0;
    for i in 0..text.len() {
        let mut bytes = text.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(bytes).unwrap();
        let result = match t.parse::<Cursor>() {
            Ok(c) => q(&sealed).cursor(c).paginate().await.map(|_| ()),
            Err(e) => Err(e),
        };
        assert_error!(result, InvalidCursor, "change at {i} accepted");
        tampered += 1;
    }
    assert!(tampered > 10);

    // A plain cursor, and one sealed with another secret.
    let plain = q(table).paginate().await.unwrap().cursor.unwrap();
    assert_error!(q(&sealed).cursor(plain).paginate().await, InvalidCursor);
    let other = table.with_cursor_secret(b"another secret".to_vec());
    assert_error!(
        q(&other).cursor(cursor.clone()).paginate().await,
        InvalidCursor
    );

    // Rotation: the new secret seals, the old one still opens, until it is dropped.
    let rotated = table
        .with_cursor_secret(b"the next secret".to_vec())
        .with_previous_cursor_secrets([b"top secret, 32 bytes or more ok".to_vec()]);
    let next = q(&rotated).cursor(cursor.clone()).paginate().await.unwrap();
    assert_eq!(next.items[0].seq, 4);
    let resealed = next.cursor.unwrap();
    assert_eq!(
        q(&rotated)
            .cursor(resealed.clone())
            .paginate()
            .await
            .unwrap()
            .items[0]
            .seq,
        8
    );
    assert_error!(q(&sealed).cursor(resealed).paginate().await, InvalidCursor);
    let dropped = table.with_cursor_secret(b"the next secret".to_vec());
    assert_error!(
        q(&dropped).cursor(cursor.clone()).paginate().await,
        InvalidCursor
    );
    assert_eq!(
        q(&sealed).cursor(cursor).paginate().await.unwrap().items[0].seq,
        4
    );
}

/// A cursor is bound to the query's filter: a filtered listing's cursor does not continue an
/// unfiltered one (nor one with another filter), sealed or plain.
pub async fn cursors_are_bound_to_the_filter(table: &Table) {
    seed(table, "f", 12).await;
    for t in [
        table.clone(),
        table.with_cursor_secret(b"filter secret".to_vec()),
    ] {
        let open = || {
            Todo::query(&t)
                .partition(Todo::partition("f"))
                .filter(attr("status").eq("open"))
                .limit(2)
        };
        let page = open().paginate().await.unwrap();
        assert_eq!(page.items.iter().map(|t| t.seq).collect::<Vec<_>>(), [0, 3]);
        let cursor = page.cursor.unwrap();
        // The same filter continues.
        let next = open().cursor(cursor.clone()).paginate().await.unwrap();
        assert_eq!(next.items.iter().map(|t| t.seq).collect::<Vec<_>>(), [6, 9]);
        let unfiltered = Todo::query(&t)
            .partition(Todo::partition("f"))
            .cursor(cursor.clone())
            .paginate()
            .await;
        assert_error!(unfiltered, InvalidCursor);
        let other_filter = Todo::query(&t)
            .partition(Todo::partition("f"))
            .filter(attr("status").eq("done"))
            .cursor(cursor)
            .paginate()
            .await;
        assert_error!(other_filter, InvalidCursor);
    }
}

/// A table requiring cursor secrets refuses plain cursors, and without a secret refuses to
/// hand one out.
pub async fn a_table_can_require_sealed_cursors(table: &Table) {
    seed(table, "r", 6).await;
    let q = |t: &Table| Todo::query(t).partition(Todo::partition("r")).limit(2);
    let required = table.reconfigure(|c| c.require_cursor_secret = true);
    let err = q(&required).paginate().await.unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    let plain = q(table).paginate().await.unwrap().cursor.unwrap();
    let sealing = required.with_cursor_secret(b"required secret".to_vec());
    assert_error!(q(&sealing).cursor(plain).paginate().await, InvalidCursor);
    let sealed = q(&sealing).paginate().await.unwrap().cursor.unwrap();
    let next = q(&sealing).cursor(sealed).paginate().await.unwrap();
    assert_eq!(next.items.iter().map(|t| t.seq).collect::<Vec<_>>(), [2, 3]);
}

fn base64_bytes(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .expect("a cursor is base64url")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// GSI queries: sparse (items without the index field are absent), paging with cursors carrying
/// table and index keys, and consistent reads rejected clearly.
pub async fn gsi_queries(table: &Table) {
    let todos = seed(table, "g", 60).await;
    let open: Vec<u32> = todos
        .iter()
        .filter(|t| t.status.as_deref() == Some("open"))
        .map(|t| t.seq)
        .collect();
    let q = || {
        Todo::query(table)
            .index("gsi1")
            .partition(Todo::gsi1_partition("open"))
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = q().limit(7).cursor(cursor.take()).paginate().await.unwrap();
        seen.extend(page.items.iter().map(|t| t.seq));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, open);
    let none_status = Todo::scan(table)
        .index("gsi1")
        .all()
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.status.is_none())
        .count();
    assert_eq!(none_status, 0, "sparse index holds no item without status");
    match q().consistent().all().await {
        Err(Error::Validation { message }) => assert!(message.contains("consistent"), "{message}"),
        r => panic!("expected a validation error, got {r:?}"),
    }
    assert_error!(
        Todo::query(table)
            .index("nope")
            .partition(Value::from("x"))
            .all()
            .await,
        Validation
    );
}

/// Scans: filter, limit with cursor, parallel segments, count.
pub async fn scans(table: &Table) {
    let todos = seed(table, "sc", 100).await;
    let all = Todo::scan(table).parallel(4).all().await.unwrap();
    assert_eq!(all.len(), 100);
    assert_eq!(Todo::scan(table).parallel(3).count().await.unwrap(), 100);
    let filtered = Todo::scan(table)
        .filter(attr("views").eq(2))
        .count()
        .await
        .unwrap();
    assert_eq!(filtered, todos.iter().filter(|t| t.views == 2).count());
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = Todo::scan(table)
            .limit(17)
            .cursor(cursor.take())
            .paginate()
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|t| t.seq));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..100).collect::<Vec<_>>());
    let mut by_segment = 0;
    for s in 0..3 {
        by_segment += Todo::scan(table).segment(s, 3).count().await.unwrap();
    }
    assert_eq!(by_segment, 100);
}

/// Filters on awkward attribute names (reserved words, `.`, `#`, `:`) and nested paths.
pub async fn filters_on_awkward_names(table: &Table) {
    for (i, status) in ["open", "closed"].into_iter().enumerate() {
        Weird {
            name: "w".into(),
            status: status.into(),
            size: i as u32,
            dotted: format!("d{i}"),
            hashed: format!("h{i}"),
            coloned: format!("c{i}"),
        }
        .create(table)
        .await
        .unwrap();
    }
    let q = || Weird::query(table).partition(Weird::partition("w"));
    let by = |c| async move { q().filter(c).all().await.unwrap().len() };
    assert_eq!(by(attr("size").eq(1)).await, 1);
    assert_eq!(by(attr("status").eq("open")).await, 1);
    assert_eq!(by(attr("name").begins_with("w")).await, 2);
    assert_eq!(by(orm_core::Path::name("a.b").eq("d0")).await, 1);
    assert_eq!(by(orm_core::Path::name("x#y").eq("h1")).await, 1);
    assert_eq!(by(orm_core::Path::name("c:d").is_in(["c0", "c1"])).await, 2);
    assert_eq!(by(orm_core::Path::name("a.b").exists()).await, 2);
    assert_eq!(
        by(attr("size").between(0, 5).and(!attr("status").eq("closed"))).await,
        1
    );
}

/// Projections read only the named attributes (keys and entity are always read).
pub async fn projection_reads_only_some_attributes(table: &Table) {
    seed(table, "pr", 3).await;
    let q = || {
        Todo::query(table)
            .partition(Todo::partition("pr"))
            .project([attr("user_id"), attr("seq"), attr("title"), attr("views")])
    };
    let todos = q().all().await.unwrap();
    assert_eq!(todos.len(), 3);
    assert_eq!(todos[0].status, None, "status was not read");
    assert_eq!(todos[0].title, "todo 0");
    let first = q()
        .sk_eq(Todo::sort_key(1u32))
        .first()
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.seq, first.status), (1, None));
    // Leaving out a required field is a clear decode error, not garbage.
    let e = Todo::query(table)
        .partition(Todo::partition("pr"))
        .project([attr("user_id")])
        .all()
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field"), "{e}");
}

fn a_match(id: u32, region: &str, round: u32, bracket: Option<&str>) -> Match {
    Match {
        match_id: format!("{id:02}"),
        tournament: "W24".into(),
        region: region.into(),
        round,
        bracket: bracket.map(str::to_owned),
        player: format!("p{}", id % 2),
    }
}

fn match_ids(matches: &[Match]) -> Vec<&str> {
    matches.iter().map(|m| m.match_id.as_str()).collect()
}

/// A model with a multi-attribute index (`Match::byRegion`) beside a template one, on a table
/// created from it: typed keys (`Match::byregion_key(tournament, region)`, then sort attributes
/// left to right), every shape, pages by cursor, reverse, filters, sparse items; and the same
/// index declared differently by another model is refused naming both.
pub async fn multi_attribute_model_queries(table: &Table) {
    if !crate::has_multi_attribute_keys(table, "multi_attribute_model_queries") {
        return;
    }
    let own = Table::new(table.backend().clone(), format!("{}-matches", table.name()));
    own.create_table::<Match>().await.unwrap();
    let described = own.backend().describe_table(own.name()).await.unwrap();
    let index = described.index("byRegion").expect("byRegion created");
    let names: Vec<&str> = index.key_attributes().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["tournament", "region", "round", "bracket"]);
    assert_eq!(index.sort_key.as_ref().unwrap().key_type, KeyType::N);
    let matches = vec![
        a_match(1, "EU", 1, Some("upper")),
        a_match(2, "EU", 1, Some("lower")),
        a_match(3, "EU", 2, Some("upper")),
        a_match(4, "EU", 10, Some("lower")),
        a_match(5, "NA", 1, Some("upper")),
        a_match(6, "EU", 3, None),
    ];
    own.batch_put(&matches).await.unwrap();
    // Stored under their own names: no synthetic key attributes for byRegion.
    let stored = own
        .backend()
        .get_item(&orm_core::backend::GetItem::new(
            own.name(),
            orm_core::Item::new()
                .with("pk", "MATCH#01")
                .with("sk", "MATCH"),
        ))
        .await
        .unwrap()
        .unwrap()
        .into_item()
        .unwrap();
    assert_eq!(stored.get("round"), Some(&orm_core::Value::from(1)));
    assert!(
        !stored.keys().any(|k| k.starts_with("byRegion")),
        "{stored:?}"
    );

    let q = || Match::query(&own);
    let eu = || Match::byregion_key("W24", "EU");
    let all = q().key(eu()).all().await.unwrap();
    assert_eq!(
        match_ids(&all),
        ["02", "01", "03", "04"],
        "round, then bracket"
    );
    let cases: Vec<(Query<Match>, Vec<&str>)> = vec![
        (q().key(eu().eq(1u32)), vec!["02", "01"]),
        (q().key(eu().lt(2u32)), vec!["02", "01"]),
        (q().key(eu().ge(2u32)), vec!["03", "04"]),
        (q().key(eu().between(2u32, 10u32)), vec!["03", "04"]),
        (q().key(eu().eq(1u32).eq("upper")), vec!["01"]),
        (q().key(eu().eq(1u32).begins_with("lo")), vec!["02"]),
        (q().key(eu().eq(10u32).le("zzz")), vec!["04"]),
        (q().key(Match::byregion_key("W24", "NA")), vec!["05"]),
    ];
    for (query, want) in cases {
        assert_eq!(match_ids(&query.all().await.unwrap()), want);
    }
    assert_eq!(
        match_ids(&q().key(eu()).reverse().all().await.unwrap()),
        ["04", "03", "01", "02"]
    );
    assert_eq!(
        match_ids(
            &q().key(eu())
                .filter(orm_core::attr("player").eq("p1"))
                .all()
                .await
                .unwrap()
        ),
        ["01", "03"]
    );
    // Pages of one, by cursor: nothing skipped or repeated.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = q()
            .key(eu())
            .limit(1)
            .cursor(cursor)
            .paginate()
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|m| m.match_id.clone()));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ["02", "01", "03", "04"]);
    // A cursor of another key condition is refused.
    let page = q().key(eu()).limit(1).paginate().await.unwrap();
    let other = q()
        .key(eu().eq(1u32))
        .cursor(page.cursor)
        .paginate()
        .await
        .unwrap_err();
    assert!(
        matches!(other, orm_core::Error::InvalidCursor { .. }),
        "{other:?}"
    );
    // More sort attributes than the index has; a template-style query of it.
    let too_many = q()
        .key(eu().eq(1u32).eq("upper").eq("x"))
        .all()
        .await
        .unwrap_err();
    assert!(
        too_many.to_string().contains("has 2 sort attributes"),
        "{too_many}"
    );
    let templated = q()
        .index("byRegion")
        .partition("W24")
        .all()
        .await
        .unwrap_err();
    assert!(templated.to_string().contains(".key("), "{templated}");
    // The template index of the same model still works.
    assert_eq!(
        Match::query(&own)
            .index("by_player")
            .partition(Match::by_player_partition("p0"))
            .all()
            .await
            .unwrap()
            .len(),
        3
    );
    // Sparse: dropping the bracket takes a match out of byRegion.
    let mut third = matches[2].clone();
    third.bracket = None;
    third.save(&own).await.unwrap();
    assert_eq!(
        match_ids(&q().key(eu()).all().await.unwrap()),
        ["02", "01", "04"]
    );

    // Another model declaring byRegion with other attribute types clashes, naming both.
    let clash = own
        .definition::<(Match, RegionClash)>()
        .unwrap_err()
        .to_string();
    assert!(
        clash.contains("Match") && clash.contains("RegionClash"),
        "{clash}"
    );
    own.backend().delete_table(own.name()).await.unwrap();
}

/// Declares `byRegion` with `round` a string: clashes with [`Match`]'s.
#[derive(orm_core::Model, serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "RegionClash", pk = "CLASH#{id}", sk = "CLASH")]
#[model(index(name = "byRegion", pk = [tournament, region], sk = [round]))]
pub struct RegionClash {
    /// Id.
    pub id: String,
    /// Tournament.
    pub tournament: String,
    /// Region.
    pub region: String,
    /// Round, as a string.
    pub round: String,
}
