//! Kill-and-resume: a migration running in a child process is killed with SIGKILL mid-run,
//! then run again; every item must end up migrated exactly once (none lost, none doubled).
//!
//! The child is this test binary itself, re-executed to run the ignored `child_migration` test
//! against the table named in `ORM_KILL_RESUME_TABLE`. Both processes use DynamoDB at
//! `DYNAMODB_ENDPOINT` (storage shared between processes; MemoryBackend's crash is simulated by
//! the conformance case `migration_resumes_after_a_crash`). Without an endpoint the test is
//! skipped, unless `ORM_REQUIRE_DYNAMODB=1` (set by `scripts/test`) makes that a failure.

use orm_core::migrate::{Migration, CHECKPOINT_ENTITY};
use orm_core::Table;
use orm_tests::evolution::{self, EvolutionModels, Member, MemberV1};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const TABLE_ENV: &str = "ORM_KILL_RESUME_TABLE";
const ITEMS: u32 = 200;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

async fn table(name: &str) -> Table {
    let backend = orm_dynamodb::DynamoBackend::from_env()
        .await
        .expect("connect to DYNAMODB_ENDPOINT");
    Table::new(backend, name)
}

/// The migration both processes run: paced so that the parent can kill it mid-way.
fn migration(table: &Table) -> Migration<Member> {
    Migration::<Member>::new(table)
        .segments(2)
        .page_size(5)
        .rate_limit(100)
}

/// The child half of `migration_killed_with_sigkill_resumes`; run by it, not on its own.
#[test]
#[ignore = "run by migration_killed_with_sigkill_resumes in a child process"]
fn child_migration() {
    let name = std::env::var(TABLE_ENV).expect("ORM_KILL_RESUME_TABLE names the table");
    runtime().block_on(async {
        let table = table(&name).await;
        migration(&table)
            .on_progress(|p| println!("progress scanned={} changed={}", p.scanned, p.changed))
            .run()
            .await
            .expect("the child's migration");
    });
    println!("child finished");
}

#[test]
fn migration_killed_with_sigkill_resumes() {
    if std::env::var_os("DYNAMODB_ENDPOINT").is_none() {
        if std::env::var("ORM_REQUIRE_DYNAMODB").as_deref() == Ok("1") {
            panic!("ORM_REQUIRE_DYNAMODB=1 but DYNAMODB_ENDPOINT is not set");
        }
        eprintln!("SKIP: kill-and-resume needs a shared backend at DYNAMODB_ENDPOINT");
        return;
    }
    let rt = runtime();
    let name = orm_tests::unique_table_name("kill-resume");
    let table = rt.block_on(async {
        let table = table(&name).await;
        table.create_table::<EvolutionModels>().await.unwrap();
        let members: Vec<MemberV1> = (0..ITEMS).map(evolution::member_v1).collect();
        table.batch_put(&members).await.unwrap();
        table
    });

    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["child_migration", "--exact", "--ignored", "--nocapture"])
        .env(TABLE_ENV, &name)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the child");
    let stdout = child.stdout.take().expect("the child's stdout");
    // Read on from the same reader after the loop: dropping it would close the pipe, and the
    // child would die of a failed print instead of the kill.
    let mut lines = BufReader::new(stdout).lines();
    let mut pages = 0;
    for line in lines.by_ref() {
        let line = line.expect("read the child's output");
        assert_ne!(
            line, "child finished",
            "the child ended before it was killed"
        );
        if line.starts_with("progress ") {
            pages += 1;
            if pages == 4 {
                break;
            }
        }
    }
    assert_eq!(pages, 4, "the child reported progress before exiting");
    // Into the next page (10 ms an item at 100 items/s): killed between two writes of a page
    // whose checkpoint is not stored yet.
    std::thread::sleep(std::time::Duration::from_millis(27));
    child.kill().expect("SIGKILL the child");
    let status = child.wait().expect("reap the child");
    assert!(!status.success(), "killed, not finished: {status:?}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "ended by SIGKILL: {status:?}");
    }
    drop(lines);

    rt.block_on(async {
        let raw = orm_tests::limits::contents(&table).await;
        let count = |entity: &str| {
            raw.iter()
                .filter(|i| i.get("__entity") == Some(&entity.into()))
                .count()
        };
        assert!(
            count(CHECKPOINT_ENTITY) >= 1,
            "the killed run left a checkpoint"
        );
        assert_eq!(
            count("Member"),
            ITEMS as usize,
            "nothing lost or doubled at the kill"
        );
        let left = evolution::v1_members(&table).await;
        assert!(
            left > 0 && left < ITEMS as usize,
            "killed mid-run: {left} left"
        );

        let resumed = migration(&table).run().await.unwrap();
        eprintln!(
            "killed after {pages} pages with {left} of {ITEMS} members left; the resumed run \
             rewrote {} ({} read)",
            resumed.changed, resumed.scanned
        );
        assert!(resumed.resumed, "the second run resumed the checkpoint");
        assert_eq!(
            resumed.changed as usize, left,
            "only what was left was migrated"
        );
        evolution::assert_members_migrated(&table, 0..ITEMS).await;
        table.delete_table().await.unwrap();
    });
}
