//! Test fixtures (feature `testing`): a backend on DynamoDB Local and fresh, uniquely named
//! tables.
//!
//! [`local_backend`] finds a server, in this order:
//! 1. `DYNAMODB_ENDPOINT` (e.g. set by `scripts/dynamodb-local run -- cargo test`);
//! 2. with feature `testcontainers`: the `amazon/dynamodb-local` image in Docker (skipped with a
//!    message, quickly, when no Docker daemon answers);
//! 3. DynamoDB Local run as a child process (`java -jar DynamoDBLocal.jar -inMemory` on
//!    127.0.0.1 and a free port) from the jar at `DYNAMODB_LOCAL_JAR`, or in
//!    `DYNAMODB_LOCAL_DIR`, or installed by `scripts/dynamodb-local install` in the repository
//!    cache (`DYNAMODB_LOCAL_CACHE`, default `<repo>/.cache/dynamodb-local`). The child is shared
//!    by the backends of one process and killed when the last of them is dropped.
//!
//! Credentials and region come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//! `AWS_REGION` when set, else fixed fake values (DynamoDB Local accepts any).
//!
//! ```no_run
//! # async fn demo(definition: orm_core::backend::TableDefinition) -> orm_core::Result<()> {
//! use orm_dynamodb::testing::{local_backend, TestTable};
//! let backend = local_backend().await?;
//! let table = TestTable::create(&backend, definition).await?; // named `<name>-<uuid>`
//! // ... use backend with table.name() ...
//! table.cleanup().await?; // Drop cannot be async: call cleanup explicitly
//! # Ok(()) }
//! ```

use crate::DynamoBackend;
use orm_core::backend::{Backend, TableDefinition};
use orm_core::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

/// A table name that no other test uses: `prefix` followed by `-` and a random UUID (hex).
pub fn unique_table_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A backend on the endpoint, with credentials and region for a local server.
pub async fn backend_for_endpoint(endpoint: &str) -> Result<DynamoBackend> {
    DynamoBackend::builder()
        .endpoint_url(endpoint)
        .region(env("AWS_REGION").unwrap_or_else(|| "us-east-1".into()))
        .credentials(
            env("AWS_ACCESS_KEY_ID").unwrap_or_else(|| "local".into()),
            env("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|| "local".into()),
        )
        .build()
        .await
}

/// A backend on DynamoDB Local: `DYNAMODB_ENDPOINT`, else Docker (feature `testcontainers`),
/// else a DynamoDB Local child process from a local jar. See the [module docs](self).
pub async fn local_backend() -> Result<DynamoBackend> {
    if let Some(endpoint) = env(crate::ENDPOINT_ENV) {
        return backend_for_endpoint(&endpoint).await;
    }
    #[cfg(feature = "testcontainers")]
    match docker::start().await {
        Ok((endpoint, guard)) => {
            return Ok(backend_for_endpoint(&endpoint).await?.with_keepalive(guard));
        }
        Err(why) => eprintln!("orm-dynamodb testing: Docker not used: {why}; trying a local jar"),
    }
    let server = shared_jar_server().await?;
    let endpoint = server.endpoint.clone();
    Ok(backend_for_endpoint(&endpoint)
        .await?
        .with_keepalive(server))
}

/// A fresh, uniquely named table for one test.
///
/// Create it with [`TestTable::create`]; delete it with [`TestTable::cleanup`]. `Drop` cannot
/// run async code, so a table whose fixture is dropped without `cleanup` is left behind (a
/// warning is printed); on an in-memory DynamoDB Local it disappears with the server.
#[derive(Debug)]
pub struct TestTable {
    backend: DynamoBackend,
    definition: TableDefinition,
    cleaned: bool,
}

impl TestTable {
    /// Creates the table described by `definition` under a unique name derived from its name
    /// ([`unique_table_name`]), waiting until it is ACTIVE (and TTL is enabled, if set).
    pub async fn create(
        backend: &DynamoBackend,
        mut definition: TableDefinition,
    ) -> Result<TestTable> {
        definition.name = unique_table_name(&definition.name);
        backend.create_table(&definition).await?;
        Ok(TestTable {
            backend: backend.clone(),
            definition,
            cleaned: false,
        })
    }

    /// [`TestTable::create`] on [`local_backend`].
    pub async fn new(definition: TableDefinition) -> Result<TestTable> {
        let backend = local_backend().await?;
        TestTable::create(&backend, definition).await
    }

    /// The table's (unique) name.
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// The table's definition, with its unique name.
    pub fn definition(&self) -> &TableDefinition {
        &self.definition
    }

    /// The backend the table lives on.
    pub fn backend(&self) -> &DynamoBackend {
        &self.backend
    }

    /// Deletes the table.
    pub async fn cleanup(mut self) -> Result<()> {
        self.cleaned = true;
        self.backend.delete_table(&self.definition.name).await
    }
}

impl Drop for TestTable {
    fn drop(&mut self) {
        if !self.cleaned && !std::thread::panicking() {
            eprintln!(
                "orm-dynamodb testing: table {} dropped without cleanup().await; it is left behind",
                self.definition.name
            );
        }
    }
}

// ------------------------------------------------------------------ Docker ---

#[cfg(feature = "testcontainers")]
mod docker {
    use std::sync::Arc;
    use std::time::Duration;
    use testcontainers_modules::dynamodb_local::DynamoDb;
    use testcontainers_modules::testcontainers::runners::AsyncRunner;
    use testcontainers_modules::testcontainers::ContainerAsync;

    /// Keeps the container running while a backend uses it.
    struct Container(#[allow(dead_code)] ContainerAsync<DynamoDb>);

    impl std::fmt::Debug for Container {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("DynamoDbContainer")
        }
    }

    /// Whether a Docker daemon could answer: `DOCKER_HOST` is set, or a local socket accepts.
    fn daemon_reachable() -> Result<(), String> {
        if std::env::var_os("DOCKER_HOST").is_some() {
            return Ok(());
        }
        #[cfg(unix)]
        {
            let mut sockets = vec![std::path::PathBuf::from("/var/run/docker.sock")];
            if let Some(home) = std::env::var_os("HOME") {
                sockets.push(std::path::Path::new(&home).join(".docker/run/docker.sock"));
            }
            if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
                sockets.push(std::path::Path::new(&dir).join("docker.sock"));
            }
            for s in &sockets {
                if std::os::unix::net::UnixStream::connect(s).is_ok() {
                    return Ok(());
                }
            }
            Err(format!(
                "no Docker daemon answers (DOCKER_HOST unset, no socket accepts at {})",
                sockets
                    .iter()
                    .map(|s| s.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
        #[cfg(not(unix))]
        Err("DOCKER_HOST is not set".into())
    }

    pub(super) async fn start() -> Result<(String, Arc<dyn std::fmt::Debug + Send + Sync>), String>
    {
        daemon_reachable()?;
        let container = tokio::time::timeout(Duration::from_secs(300), DynamoDb::default().start())
            .await
            .map_err(|_| "the DynamoDB Local container did not start within 300 s".to_string())?
            .map_err(|e| format!("could not start the DynamoDB Local container: {e}"))?;
        let host = container
            .get_host()
            .await
            .map_err(|e| format!("container host: {e}"))?;
        let port = container
            .get_host_port_ipv4(8000)
            .await
            .map_err(|e| format!("container port: {e}"))?;
        Ok((
            format!("http://{host}:{port}"),
            Arc::new(Container(container)),
        ))
    }
}

// --------------------------------------------------------------- local jar ---

/// A DynamoDB Local child process; killed when dropped.
#[derive(Debug)]
struct LocalServer {
    endpoint: String,
    child: Child,
    log: PathBuf,
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The running server, shared while any backend holds it.
fn shared() -> &'static tokio::sync::Mutex<Weak<LocalServer>> {
    static SHARED: OnceLock<tokio::sync::Mutex<Weak<LocalServer>>> = OnceLock::new();
    SHARED.get_or_init(|| tokio::sync::Mutex::new(Weak::new()))
}

async fn shared_jar_server() -> Result<Arc<LocalServer>> {
    let mut slot = shared().lock().await;
    if let Some(server) = slot.upgrade() {
        return Ok(server);
    }
    let server = Arc::new(start_jar_server().await?);
    *slot = Arc::downgrade(&server);
    Ok(server)
}

fn setup_error(message: String) -> Error {
    Error::backend("DynamoDBLocal", false, message)
}

/// Finds `DynamoDBLocal.jar`.
fn find_jar() -> Result<PathBuf> {
    if let Some(jar) = env("DYNAMODB_LOCAL_JAR") {
        let jar = PathBuf::from(jar);
        return if jar.is_file() {
            Ok(jar)
        } else {
            Err(setup_error(format!(
                "DYNAMODB_LOCAL_JAR={} is not a file",
                jar.display()
            )))
        };
    }
    if let Some(dir) = env("DYNAMODB_LOCAL_DIR") {
        let jar = Path::new(&dir).join("DynamoDBLocal.jar");
        return if jar.is_file() {
            Ok(jar)
        } else {
            Err(setup_error(format!(
                "DYNAMODB_LOCAL_DIR={dir} holds no DynamoDBLocal.jar"
            )))
        };
    }
    let mut caches = Vec::new();
    if let Some(c) = env("DYNAMODB_LOCAL_CACHE") {
        caches.push(PathBuf::from(c));
    }
    if let Some(repo) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        caches.push(repo.join(".cache/dynamodb-local"));
    }
    if let Ok(cwd) = std::env::current_dir() {
        caches.extend(cwd.ancestors().map(|a| a.join(".cache/dynamodb-local")));
    }
    for cache in &caches {
        let Ok(entries) = std::fs::read_dir(cache) else {
            continue;
        };
        let mut jars: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("DynamoDBLocal.jar"))
            .filter(|j| j.is_file())
            .collect();
        jars.sort();
        if let Some(jar) = jars.pop() {
            return Ok(jar);
        }
    }
    Err(setup_error(
        "no DynamoDB endpoint: set DYNAMODB_ENDPOINT (scripts/dynamodb-local run -- ...), \
         or install DynamoDB Local with `scripts/dynamodb-local install`, or point \
         DYNAMODB_LOCAL_JAR / DYNAMODB_LOCAL_DIR at DynamoDBLocal.jar"
            .to_string(),
    ))
}

fn java() -> PathBuf {
    match env("JAVA_HOME") {
        Some(home) if Path::new(&home).join("bin/java").is_file() => {
            Path::new(&home).join("bin/java")
        }
        _ => PathBuf::from("java"),
    }
}

fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| setup_error(format!("no free port: {e}")))
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

async fn start_jar_server() -> Result<LocalServer> {
    let jar = find_jar()?;
    let dir = jar.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!(
            "orm-dynamodb-local-{}-{port}.log",
            std::process::id()
        ));
        let log_file = std::fs::File::create(&log)
            .map_err(|e| setup_error(format!("cannot create {}: {e}", log.display())))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| setup_error(format!("cannot clone log handle: {e}")))?;
        let child = Command::new(java())
            .args([
                "-Xms64m",
                "-Xmx1g",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
            ])
            .arg(format!(
                "-Djava.library.path={}",
                dir.join("DynamoDBLocal_lib").display()
            ))
            .arg("-jar")
            .arg(&jar)
            .args(["-inMemory", "-disableTelemetry", "-port"])
            .arg(port.to_string())
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .map_err(|e| {
                setup_error(format!(
                    "cannot run {} (DynamoDB Local needs Java 17+): {e}",
                    java().display()
                ))
            })?;
        let mut server = LocalServer {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        match wait_ready(&mut server).await {
            Ok(()) => return Ok(server),
            Err(e) => last_error = e, // dropping `server` kills the child
        }
    }
    Err(setup_error(format!(
        "DynamoDB Local from {} did not start: {last_error}",
        jar.display()
    )))
}

async fn wait_ready(server: &mut LocalServer) -> std::result::Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let backend = backend_for_endpoint(&server.endpoint)
        .await
        .map_err(|e| e.to_string())?;
    let addr: std::net::SocketAddr = server
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .map_err(|e| format!("bad endpoint {}: {e}", server.endpoint))?;
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!(
                "it exited ({status}); last lines of its log:\n{}",
                log_tail(&server.log)
            ));
        }
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            let probe = backend.client().list_tables().limit(1).send();
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(5), probe).await {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "not ready after 60 s; last lines of its log:\n{}",
                log_tail(&server.log)
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_differ_and_are_valid() {
        let a = unique_table_name("orm_test");
        let b = unique_table_name("orm_test");
        assert_ne!(a, b);
        assert!(a.starts_with("orm_test-"));
        assert!(a.len() <= 255);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)));
    }
}
