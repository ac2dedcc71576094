//! A multi-tenant issue tracker in one table: organisations, their members, issues and comments,
//! with two global indexes (one of them sparse), issue numbers from a sequence taken in the
//! transaction that opens the issue, and an issue read with its comments in one query.
//!
//! | entity  | pk                        | sk              | gsi1pk / gsi1sk               | gsi2pk / gsi2sk (sparse: while open) |
//! |---------|---------------------------|-----------------|-------------------------------|--------------------------------------|
//! | Org     | `ORG#{id}`                | `ORG`           |                               |                                      |
//! | Member  | `ORG#{org}`               | `MEMBER#{id}`   | `EMAIL#{email}` / `MEMBER`    |                                      |
//! | Issue   | `ISSUE#{org}#{number:8}`  | `ISSUE`         | `ISSUES#{org}` / `{number:8}` | `OPEN#{org}` / `ISSUE#{number:8}`    |
//! | Comment | `ISSUE#{org}#{number:8}`  | `COMMENT#{seq}` |                               |                                      |
//!
//! Access patterns, each one request:
//! - a member by email, in any organisation: `gsi1`;
//! - an organisation's issues by number: `gsi1`; only the open ones: `gsi2`, which holds an issue
//!   only while `Issue::is_open(status)` holds (`when = "..."`: a sparse index with a condition,
//!   so closing an issue takes it out on every write path, with no second field to keep in sync);
//! - an issue and its comments: one query of the issue's partition, decoded into the collection
//!   `Thread`. `Issue` and `Comment` share the integer key segment `number`, and both write its
//!   width, `{number:8}`: eight digits whatever the Rust type, checked on every write (a number
//!   that does not fit is an error, never a key that sorts out of place).
//!
//! Writes:
//! - opening an issue is one transaction: the next issue number of the organisation
//!   (`Sequence::next_in`, handed out only if the transaction commits, so numbers are dense),
//!   a check that the reporter is a member (`check_exists`), the issue, and the organisation's
//!   count of open issues. The issue held afterwards is the issue stored: version 1, `created_at`
//!   and `updated_at` as stored;
//! - closing an issue is a transaction too ("close only if open, else 409"): the issue comes back
//!   with its new version and `updated_at`, and the count goes down;
//! - a comment on an issue that does not exist is refused (`check_exists`).
//!
//! ```text
//! cargo run --example issue_tracker
//! DYNAMODB_ENDPOINT=http://127.0.0.1:8000 cargo run --example issue_tracker
//! ```
//!
//! Every step asserts its result, so running it is a test (`scripts/test` runs it on both backends).

use orm_core::sequence::Sequence;
use orm_core::{attr, collection, Error, Model, ModelExt, Table};
use serde::{Deserialize, Serialize};

/// An organisation (a tenant). `created_at` is an `Option`: `None` until the ORM stamps it.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Org", pk = "ORG#{id}", sk = "ORG")]
struct Org {
    id: String,
    name: String,
    /// Issues open now; kept by the transactions that open and close issues.
    #[serde(default)]
    open_issues: i64,
    #[model(created_at)]
    created_at: Option<String>,
}

/// A member of an organisation; also in `gsi1` by email.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Member", pk = "ORG#{org}", sk = "MEMBER#{id}")]
#[model(index(name = "gsi1", pk = "EMAIL#{email}", sk = "MEMBER"))]
struct Member {
    org: String,
    id: String,
    email: String,
}

/// Open or closed.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Open,
    Closed,
}

/// An issue, numbered per organisation. In `gsi1` always, in the sparse `gsi2` while open.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Issue", pk = "ISSUE#{org}#{number:8}", sk = "ISSUE")]
#[model(index(name = "gsi1", pk = "ISSUES#{org}", sk = "{number:8}"))]
#[model(index(
    name = "gsi2",
    pk = "OPEN#{org}",
    sk = "ISSUE#{number:8}",
    when = "Self::is_open(status)"
))]
struct Issue {
    org: String,
    /// Eight digits in keys, as `Comment::number`: the collection `Thread` reads both from one
    /// partition.
    number: u32,
    title: String,
    reporter: String,
    status: Status,
    #[model(version)]
    version: u64,
    #[model(created_at)]
    created_at: Option<String>,
    #[model(updated_at)]
    updated_at: Option<String>,
}

/// Why an issue cannot be closed: the answer would be HTTP 409.
#[derive(Debug)]
enum CloseError {
    AlreadyClosed(u32),
    Orm(Error),
}

impl From<Error> for CloseError {
    fn from(e: Error) -> Self {
        CloseError::Orm(e)
    }
}

impl Issue {
    /// Whether the issue is in the open-issues index `gsi2`.
    fn is_open(status: &Status) -> bool {
        *status == Status::Open
    }

    /// Closes the issue, taking it out of the open-issues index; refuses a closed one.
    fn close(&mut self) -> Result<(), CloseError> {
        if self.status != Status::Open {
            return Err(CloseError::AlreadyClosed(self.number));
        }
        self.status = Status::Closed;
        Ok(())
    }
}

/// A comment on an issue, in the issue's partition.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(
    entity = "Comment",
    pk = "ISSUE#{org}#{number:8}",
    sk = "COMMENT#{seq}"
)]
struct Comment {
    org: String,
    /// Eight digits in keys, as `Issue::number`.
    number: u32,
    seq: u32,
    author: String,
    body: String,
    #[model(created_at)]
    created_at: Option<String>,
}

collection! {
    /// An issue's partition: the issue and its comments (`COMMENT#...` sorts before `ISSUE`).
    #[derive(Debug)]
    enum Thread { Issue(Issue), Comment(Comment) }
}

/// The member with this email, in whichever organisation: `Error::NotFound` when there is none.
async fn member_by_email(table: &Table, email: &str) -> Result<Member, Error> {
    Member::query(table)
        .index("gsi1")
        .partition(Member::gsi1_partition(email))
        .first()
        .await?
        .ok_or_else(|| match Member::gsi1_key(email) {
            Ok(key) => Error::not_found(Member::schema().entity, key),
            Err(e) => e,
        })
}

/// Whether to build a canceled transaction again: its first action (the sequence's counter)
/// failed, as another writer moved the counter between the read and the commit, or it met
/// another transaction on one of its items (`TransactionConflict`, retryable).
fn try_again(e: &Error) -> bool {
    let counter_moved = matches!(e, Error::TransactionCanceled { reasons }
        if reasons.first().is_some_and(|r| r.is_failure()));
    counter_moved || e.is_retryable()
}

/// Opens an issue in `org`, reported by the member `reporter`: one transaction, retried while
/// another writer takes the same issue number first.
async fn open_issue(table: &Table, org: &str, reporter: &str, title: &str) -> Result<Issue, Error> {
    loop {
        let mut tx = table.transaction();
        let number = Sequence::next_in(&mut tx, &format!("issues/{org}")).await?;
        let number = u32::try_from(number)
            .map_err(|_| Error::validation(format!("{org} has more than u32::MAX issues")))?;
        let mut issue = Issue {
            org: org.into(),
            number,
            title: title.into(),
            reporter: reporter.into(),
            status: Status::Open,
            version: 0,
            created_at: None,
            updated_at: None,
        };
        let committed = tx
            .check_exists::<Member>(Member::key(org, reporter))
            .create(&mut issue)
            .update(Org::update(table, Org::key(org)).add("open_issues", 1))
            .commit()
            .await;
        match committed {
            Ok(()) => return Ok(issue),
            Err(e) if try_again(&e) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Closes issue `number` of `org`: the issue comes back with its new version and `updated_at`.
async fn close_issue(table: &Table, org: &str, number: u32) -> Result<Issue, CloseError> {
    let mut issue = Issue::get(table, Issue::key(org, number)).await?;
    issue.close()?;
    table
        .transaction()
        .put(&mut issue)
        .update(Org::update(table, Org::key(org)).add("open_issues", -1))
        .commit()
        .await?;
    Ok(issue)
}

/// Comments on issue `number` of `org`, refused when the issue does not exist.
async fn comment(
    table: &Table,
    org: &str,
    number: u32,
    author: &str,
    body: &str,
) -> Result<Comment, Error> {
    loop {
        let mut tx = table.transaction();
        let seq = Sequence::next_in(&mut tx, &format!("comments/{org}/{number}")).await?;
        let mut comment = Comment {
            org: org.into(),
            number,
            seq: u32::try_from(seq).map_err(|_| Error::validation("too many comments"))?,
            author: author.into(),
            body: body.into(),
            created_at: None,
        };
        let committed = tx
            .check_exists::<Issue>(Issue::key(org, number))
            .create(&mut comment)
            .commit()
            .await;
        match committed {
            Ok(()) => return Ok(comment),
            Err(e) if try_again(&e) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The numbers of `org`'s open issues, from the sparse index.
async fn open_numbers(table: &Table, org: &str) -> Result<Vec<u32>, Error> {
    let open = Issue::query(table)
        .index("gsi2")
        .partition(Issue::gsi2_partition(org))
        .all()
        .await?;
    Ok(open.iter().map(|i| i.number).collect())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = orm_examples::table(&orm_examples::unique_name("issue-tracker")).await?;
    println!("backend: {}", orm_examples::backend_name());
    table
        .create_table::<(Org, Member, Issue, Comment, Sequence)>()
        .await?;
    println!("table `{}` created (pk, sk, gsi1, gsi2)", table.name());

    // An upsert of an organisation whose created_at is None: stamped, and the model held is the
    // model stored (to the microsecond).
    let mut acme = Org {
        id: "acme".into(),
        name: "Acme".into(),
        open_issues: 0,
        created_at: None,
    };
    acme.save(&table).await?;
    assert!(acme.created_at.is_some());
    assert_eq!(Org::get(&table, Org::key("acme")).await?, acme);
    // Saved again, it keeps its created_at.
    let first_stamp = acme.created_at.clone();
    acme.name = "Acme Corp".into();
    acme.created_at = None;
    acme.save(&table).await?;
    assert_eq!(acme.created_at, first_stamp);
    println!(
        "org acme saved (created_at {})",
        first_stamp.unwrap_or_default()
    );

    for (id, email) in [("ada", "ada@acme.test"), ("bob", "bob@acme.test")] {
        Member {
            org: "acme".into(),
            id: id.into(),
            email: email.into(),
        }
        .create(&table)
        .await?;
    }
    assert_eq!(member_by_email(&table, "bob@acme.test").await?.id, "bob");
    let missing = member_by_email(&table, "eve@acme.test").await;
    assert!(matches!(missing, Err(Error::NotFound { ref entity, .. }) if entity == "Member"));
    println!(
        "members ada and bob; eve@acme.test: {}",
        missing.unwrap_err()
    );

    // Open issues: the issue held after the commit equals the issue stored.
    let login = open_issue(&table, "acme", "ada", "login fails on Safari").await?;
    assert_eq!((login.number, login.version), (1, 1));
    assert!(login.created_at.is_some() && login.updated_at.is_some());
    assert_eq!(Issue::get(&table, Issue::key("acme", 1u32)).await?, login);
    println!(
        "opened #{} {:?} (version {})",
        login.number, login.title, login.version
    );

    // A reporter who is not a member: the transaction is canceled, and the number is not lost.
    let outsider = open_issue(&table, "acme", "mallory", "spam").await;
    assert!(matches!(outsider, Err(Error::TransactionCanceled { .. })));
    println!("an issue reported by a non-member is refused");

    // Four writers at once: the issue numbers stay dense (2..=9), none taken twice.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let table = table.clone();
            tokio::spawn(async move {
                let mut numbers = Vec::new();
                for i in 0..2 {
                    let title = format!("report {w}.{i}");
                    numbers.push(open_issue(&table, "acme", "bob", &title).await?.number);
                }
                Ok::<_, Error>(numbers)
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for w in writers {
        numbers.extend(w.await.expect("a writer panicked")?);
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (2..=9).collect::<Vec<u32>>());
    assert_eq!(Org::get(&table, Org::key("acme")).await?.open_issues, 9);
    println!("4 concurrent writers opened #2..#9");

    // Comments, and an issue read with them in one query.
    comment(&table, "acme", 1, "bob", "same on Firefox").await?;
    comment(&table, "acme", 1, "ada", "fixed in 2.3.1").await?;
    let nowhere = comment(&table, "acme", 404, "bob", "hello?").await;
    assert!(matches!(nowhere, Err(Error::TransactionCanceled { .. })));
    let thread = Thread::query(&table)
        .partition(Issue::partition("acme", 1u32))
        .all()
        .await?;
    let bodies: Vec<&str> = thread
        .iter()
        .filter_map(|t| match t {
            Thread::Comment(c) => Some(c.body.as_str()),
            Thread::Issue(_) => None,
        })
        .collect();
    assert_eq!(bodies, ["same on Firefox", "fixed in 2.3.1"]);
    assert!(matches!(thread.last(), Some(Thread::Issue(i)) if i == &login));
    println!("issue #1 and its {} comments in one query", bodies.len());

    // Close #1 and #3: they leave the sparse index; closing again is a 409.
    let closed = close_issue(&table, "acme", 1).await.map_err(|e| match e {
        CloseError::Orm(e) => e,
        CloseError::AlreadyClosed(n) => Error::validation(format!("#{n} was open")),
    })?;
    assert_eq!(
        (closed.status, closed.version, closed.index_key("gsi2")?),
        (Status::Closed, 2, None)
    );
    assert_eq!(Issue::get(&table, Issue::key("acme", 1u32)).await?, closed);
    assert!(closed.updated_at >= login.updated_at);
    assert!(close_issue(&table, "acme", 3).await.is_ok());
    assert!(matches!(
        close_issue(&table, "acme", 1).await,
        Err(CloseError::AlreadyClosed(1))
    ));
    assert_eq!(open_numbers(&table, "acme").await?, [2, 4, 5, 6, 7, 8, 9]);
    assert_eq!(Org::get(&table, Org::key("acme")).await?.open_issues, 7);
    println!(
        "closed #1 and #3; open: {:?}",
        open_numbers(&table, "acme").await?
    );

    // Every issue stays in gsi1; a filter with a typed value picks the closed ones.
    let closed_numbers: Vec<u32> = Issue::query(&table)
        .index("gsi1")
        .partition(Issue::gsi1_partition("acme"))
        .filter(attr("status").eq(Status::Closed))
        .all()
        .await?
        .iter()
        .map(|i| i.number)
        .collect();
    assert_eq!(closed_numbers, [1, 3]);
    println!("closed issues through gsi1: {closed_numbers:?}");

    println!("issue_tracker: every step checked");
    Ok(())
}
