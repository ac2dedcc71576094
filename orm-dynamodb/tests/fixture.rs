//! The `testing` fixture's servers: one per test process, whatever the source, and removed when
//! the process ends, however it ends.
//!
//! These start a server themselves (a JVM, a program, or a container with feature
//! `testcontainers` and `ORM_DYNAMODB_SOURCE=docker` or `memory-docker`), so they are
//! `#[ignore]`d: `scripts/test` runs them with `DYNAMODB_ENDPOINT` unset, once per source:
//!
//! ```sh
//! ORM_DYNAMODB_SOURCE=jar cargo test -p orm-dynamodb --features testing --test fixture -- --ignored
//! ORM_DYNAMODB_SOURCE=docker cargo test -p orm-dynamodb --features testcontainers --test fixture -- --ignored
//! ORM_DYNAMODB_SOURCE=memory-docker cargo test -p orm-dynamodb --features testcontainers --test fixture -- --ignored
//! ```

#[cfg(not(feature = "testing"))]
#[test]
fn fixture_tests_need_the_testing_feature() {
    println!("SKIP: orm-dynamodb fixture tests need `--features testing`");
}

#[cfg(feature = "testing")]
mod fixture {
    use orm_core::backend::{Backend, KeyAttribute, KeyType, TableDefinition};
    use orm_dynamodb::testing::{local_backend, local_server, Source, TestTable};
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// The environment variable that turns [`child_holds_a_server`] into the child process of
    /// [`the_server_goes_when_its_process_ends`]: `exit`, `panic` or `kill` (wait to be killed).
    const CHILD_ENV: &str = "ORM_FIXTURE_CHILD";

    fn require_started_server() {
        assert!(
            std::env::var("DYNAMODB_ENDPOINT").map_or(true, |e| e.is_empty()),
            "unset DYNAMODB_ENDPOINT: these tests check servers the fixture starts itself"
        );
    }

    fn definition(name: &str) -> TableDefinition {
        TableDefinition {
            name: name.into(),
            partition_key: KeyAttribute {
                name: "pk".into(),
                key_type: KeyType::S,
            },
            sort_key: None,
            indexes: Vec::new(),
            ttl_attribute: None,
        }
    }

    /// Every `local_backend()` of a process talks to the same server, so a table one creates is
    /// seen by the others (it was a new container per call before).
    #[tokio::test]
    #[ignore = "starts DynamoDB Local (a JVM or a container); run with --ignored"]
    async fn one_server_per_process() {
        require_started_server();
        let first = local_server().await.unwrap();
        let again = local_server().await.unwrap();
        assert!(
            std::ptr::eq(first, again),
            "local_server() started a second server"
        );
        assert_ne!(first.source(), Source::Endpoint);
        if let Ok(wanted) = std::env::var("ORM_DYNAMODB_SOURCE") {
            assert_eq!(first.source().to_string(), wanted, "{first:?}");
        }
        let a = local_backend().await.unwrap();
        let b = local_backend().await.unwrap();
        let table = TestTable::create(&a, definition("orm_fixture"))
            .await
            .unwrap();
        b.describe_table(table.name()).await.unwrap();
        table.cleanup().await.unwrap();
    }

    /// Parallel tests share the server, each on its own table (run in other tests' runtimes).
    #[tokio::test]
    #[ignore = "starts DynamoDB Local (a JVM or a container); run with --ignored"]
    async fn parallel_tests_share_the_server() {
        require_started_server();
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    tokio::runtime::Runtime::new()
                        .unwrap()
                        .block_on(async move {
                            let backend = local_backend().await.unwrap();
                            let table = TestTable::create(&backend, definition(&format!("par{i}")))
                                .await
                                .unwrap();
                            let name = table.name().to_string();
                            table.cleanup().await.unwrap();
                            (local_server().await.unwrap().endpoint().to_string(), name)
                        })
                })
            })
            .collect();
        let results: Vec<(String, String)> = tasks.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(results.windows(2).all(|w| w[0].0 == w[1].0), "{results:?}");
        let mut names: Vec<&String> = results.iter().map(|r| &r.1).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 4, "table names must be unique: {results:?}");
    }

    /// The child side of [`the_server_goes_when_its_process_ends`]: starts the server, prints
    /// its endpoint, then exits, panics or waits to be killed, as `ORM_FIXTURE_CHILD` says.
    /// Without that variable it only says what it is for.
    #[tokio::test]
    #[ignore = "the child process of the_server_goes_when_its_process_ends"]
    async fn child_holds_a_server() {
        let Ok(mode) = std::env::var(CHILD_ENV) else {
            println!("child_holds_a_server: started by the_server_goes_when_its_process_ends only");
            return;
        };
        let server = local_server().await.unwrap();
        println!("ENDPOINT {} {}", server.endpoint(), server.source());
        match mode.as_str() {
            "exit" => {}
            "panic" => panic!("the child panics while holding a server, as a failing test does"),
            "kill" => tokio::time::sleep(Duration::from_secs(120)).await,
            other => panic!("{CHILD_ENV}={other}: use exit, panic or kill"),
        }
    }

    fn labelled_containers(pid: u32) -> Vec<String> {
        let out = Command::new("docker")
            .args(["ps", "-a", "-q", "--filter"])
            .arg(format!("label=orm-dynamodb.testing.pid={pid}"))
            .output()
            .expect("the docker CLI");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// A test process that ends normally, panics, or is killed (SIGKILL) leaves no server
    /// behind: no JVM answering, no container (`docker ps -a`).
    #[test]
    #[ignore = "starts DynamoDB Local three times in child processes; run with --ignored"]
    fn the_server_goes_when_its_process_ends() {
        require_started_server();
        for mode in ["exit", "panic", "kill"] {
            let mut child = Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "fixture::child_holds_a_server", "--ignored"])
                .args(["--nocapture", "--test-threads=1"])
                .env(CHILD_ENV, mode)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let pid = child.id();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            let (endpoint, source) = loop {
                let Some(line) = lines.next() else {
                    panic!(
                        "{mode}: the child ended without a server ({:?})",
                        child.wait()
                    );
                };
                let line = line.unwrap();
                // libtest prints `test ... ` before the test's own output on the same line.
                if let Some(rest) = line.split_once("ENDPOINT ").map(|(_, rest)| rest) {
                    let (endpoint, source) = rest.split_once(' ').unwrap();
                    break (endpoint.to_string(), source.to_string());
                }
            };
            let addr = endpoint.trim_start_matches("http://").to_string();
            assert!(
                std::net::TcpStream::connect(&addr).is_ok(),
                "{mode}: nothing answers at {endpoint}"
            );
            if matches!(source.as_str(), "docker" | "memory-docker") {
                assert_eq!(labelled_containers(pid).len(), 1, "{mode}: one container");
            }
            if mode == "kill" {
                child.kill().unwrap();
            }
            let status = child.wait().unwrap();
            assert_eq!(status.success(), mode == "exit", "{mode}: {status}");
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let answering = std::net::TcpStream::connect(&addr).is_ok();
                let containers = if matches!(source.as_str(), "docker" | "memory-docker") {
                    labelled_containers(pid)
                } else {
                    Vec::new()
                };
                if !answering && containers.is_empty() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{mode}: 20 s after the process ended, the server is still there \
                     (answering: {answering}, containers: {containers:?})"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}
