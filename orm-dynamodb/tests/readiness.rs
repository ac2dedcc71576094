//! Readiness: the fixture hands a server out only once `ListTables` has answered through its
//! endpoint, gives up within its bound with an error naming the source and the log tail, and
//! retries connection resets itself. Tested on stand-ins for the `dynamodb-memory` program (a
//! script that prints an endpoint whose listener the test controls), so these run in every
//! `cargo test`, without Java or Docker.

#[cfg(not(feature = "testing"))]
#[test]
fn readiness_tests_need_the_testing_feature() {
    println!("SKIP: orm-dynamodb readiness tests need `--features testing`");
}

#[cfg(all(feature = "testing", unix))]
// The module of tests/main.rs is named for this file; this one gates the tests on the feature.
#[allow(clippy::module_inception)]
mod readiness {
    use orm_dynamodb::testing::{Launcher, Source, FIXTURE_OPERATION};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::PathBuf;
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
}
