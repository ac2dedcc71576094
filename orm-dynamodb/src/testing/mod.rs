//! Test fixtures (feature `testing`): one DynamoDB Local per test process, and fresh, uniquely
//! named tables on it.
//!
//! [`local_backend`] returns a backend on the process's one server ([`local_server`]), which is
//! found or started on first use and then shared by every backend and test of the process (tests
//! run in parallel, each on its own [`TestTable`]). Where it comes from is chosen by
//! [`SOURCE_ENV`] (`ORM_DYNAMODB_SOURCE`); the default, `auto`, tries in this order:
//! 1. `endpoint`: the server at `DYNAMODB_ENDPOINT` (e.g. set by `scripts/dynamodb-local run --
//!    cargo test`); nothing is started.
//! 2. `docker` (feature `testcontainers`): one `amazon/dynamodb-local` container
//!    ([`DEFAULT_IMAGE`], or the image named by [`IMAGE_ENV`]), its port published on
//!    127.0.0.1. Skipped, with one line on stderr, when no Docker daemon answers.
//! 3. `jar`: DynamoDB Local run as a child process (`java -jar DynamoDBLocal.jar -inMemory` on
//!    127.0.0.1 and a free port) from the jar at `DYNAMODB_LOCAL_JAR`, or in
//!    `DYNAMODB_LOCAL_DIR`, or installed by `scripts/dynamodb-local install` in the repository
//!    cache (`DYNAMODB_LOCAL_CACHE`, default `<repo>/.cache/dynamodb-local`).
//!
//! 4. `memory` (only when chosen): orm-memory's `dynamodb-memory` program, MemoryBackend behind
//!    DynamoDB's wire protocol, as a child process on 127.0.0.1 (no JVM, no Docker; build it with
//!    `cargo build -p orm-memory --features server --bin dynamodb-memory`, or name it in
//!    [`MEMORY_BIN_ENV`]). It is a separate program, not an in-process server, because
//!    orm-dynamodb never depends on orm-memory; in-process, use `orm_memory::server::MemoryServer`.
//!
//! 5. `memory-docker` (feature `testcontainers`, only when chosen): the same `dynamodb-memory`
//!    program in a container ([`DynamoDbMemoryImage`]: [`DEFAULT_MEMORY_IMAGE`], or the image
//!    named by [`MEMORY_IMAGE_ENV`]), its port published on 127.0.0.1, labelled and removed like
//!    the `docker` source's containers. The image is built locally, never pulled: `scripts/docker
//!    memory-image` (a few MB, no base image); a missing image is an error naming that command.
//!
//! Setting `ORM_DYNAMODB_SOURCE` to one of `endpoint`, `docker`, `jar`, `memory` or
//! `memory-docker` uses that source only: a failure is then an error, never a fall-back to
//! another.
//!
//! **Cleanup.** A server the fixture started lives as long as the test process and is removed when
//! it ends, however it ends (tests done, a panic, Ctrl-C, SIGKILL): a small watcher process
//! (`sh`, in its own process group so Ctrl-C does not reach it) waits for the test process to exit,
//! then removes the container (`docker rm -f`) or kills the jar's JVM. Containers carry the label
//! [`CONTAINER_LABEL`] with the owning process's PID and host, and the fixture also removes the
//! labelled containers of dead processes of this host when it starts one, should a watcher itself
//! have been killed.
//!
//! Credentials and region come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//! `AWS_REGION` when set, else fixed fake values (DynamoDB Local accepts any).
//!
//! ```no_run
//! # async fn demo(definition: orm_core::backend::TableDefinition) -> orm_core::Result<()> {
//! use orm_dynamodb::testing::{local_backend, TestTable};
//! let backend = local_backend().await?;                        // the process's one server
//! let table = TestTable::create(&backend, definition).await?; // named `<name>-<uuid>`
//! // ... use backend with table.name() ...
//! table.cleanup().await?; // Drop cannot be async: call cleanup explicitly
//! # Ok(()) }
//! ```
#![cfg_attr(
    not(feature = "testcontainers"),
    doc = "[`DynamoDbMemoryImage`]: #sources \"needs feature `testcontainers`\""
)]

use crate::DynamoBackend;
use orm_core::backend::{Backend, TableDefinition};
use orm_core::error::{Error, Result};
use orm_core::{ModelSet, Table};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable choosing where the fixture's server comes from: `auto` (the
/// default), `endpoint`, `docker` (DynamoDB Local in a container), `jar` (DynamoDB Local as a
/// JVM), `memory` (the `dynamodb-memory` program as a child process) or `memory-docker` (that
/// program in a container, [`DynamoDbMemoryImage`]). See the [module docs](self).
#[cfg_attr(
    not(feature = "testcontainers"),
    doc = "",
    doc = "[`DynamoDbMemoryImage`]: index.html \"needs feature `testcontainers`\""
)]
pub const SOURCE_ENV: &str = "ORM_DYNAMODB_SOURCE";

/// The environment variable naming the `dynamodb-memory` program the `memory` source runs
/// (default: `dynamodb-memory` on `PATH`, else one built in this repository's `target/`).
pub const MEMORY_BIN_ENV: &str = "ORM_DYNAMODB_MEMORY_BIN";

/// The environment variable naming the DynamoDB Local image the `docker` source starts, as
/// `name[:tag]` (default [`DEFAULT_IMAGE`]); e.g. `amazon/dynamodb-local:2.0.0` to pin a tag.
pub const IMAGE_ENV: &str = "ORM_DYNAMODB_LOCAL_IMAGE";

/// The image the `docker` source starts unless [`IMAGE_ENV`] names another: the DynamoDB Local
/// version that `scripts/dynamodb-local` installs, so that every source runs the same server.
pub const DEFAULT_IMAGE: &str = "amazon/dynamodb-local:3.3.1";

/// The environment variable naming the `dynamodb-memory` image the `memory-docker` source
/// starts, as `name[:tag]` (default [`DEFAULT_MEMORY_IMAGE`]).
pub const MEMORY_IMAGE_ENV: &str = "ORM_DYNAMODB_MEMORY_IMAGE";

/// The name of the `dynamodb-memory` image that `scripts/docker memory-image` builds: local only,
/// never published, so it has no registry namespace.
pub const MEMORY_IMAGE_NAME: &str = "orm-dynamodb-memory";

/// The `dynamodb-memory` image the `memory-docker` source starts unless [`MEMORY_IMAGE_ENV`]
/// names another: [`MEMORY_IMAGE_NAME`] tagged with this crate's version, which is orm-memory's
/// (one workspace version), the tag `scripts/docker memory-image` gives by default.
pub const DEFAULT_MEMORY_IMAGE: &str = concat!("orm-dynamodb-memory:", env!("CARGO_PKG_VERSION"));

/// The environment variable by which a user opts out of suites that need DynamoDB Local
/// (`ORM_DYNAMODB_SKIP=1`); [`skip_requested`] reads it. The fixture itself never skips.
pub const SKIP_ENV: &str = "ORM_DYNAMODB_SKIP";

/// The label on every container the fixture starts; `<label>.pid` and `<label>.host` name the
/// process that owns it.
pub const CONTAINER_LABEL: &str = "orm-dynamodb.testing";

/// A table name that no other test uses: `prefix` followed by `-` and a random UUID (hex).
pub fn unique_table_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether the user asked to skip suites that need DynamoDB Local ([`SKIP_ENV`] is `1` or
/// `true`). A suite that honours it should say SKIP loudly and not report its cases as passed.
pub fn skip_requested() -> bool {
    matches!(env(SKIP_ENV).as_deref(), Some("1" | "true" | "yes"))
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

/// Where a [`LocalServer`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// An endpoint given in `DYNAMODB_ENDPOINT`; the fixture started nothing.
    Endpoint,
    /// A DynamoDB Local container started through testcontainers.
    Docker,
    /// A DynamoDB Local JVM started from the local jar.
    Jar,
    /// orm-memory's `dynamodb-memory` program (MemoryBackend behind DynamoDB's wire protocol)
    /// started as a child process: no JVM, no Docker, ready in milliseconds.
    Memory,
    /// The `dynamodb-memory` program in a container (`DynamoDbMemoryImage`, feature
    /// `testcontainers`) started through testcontainers.
    MemoryDocker,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Endpoint => "endpoint",
            Source::Docker => "docker",
            Source::Jar => "jar",
            Source::Memory => "memory",
            Source::MemoryDocker => "memory-docker",
        })
    }
}

/// The process's one DynamoDB server: its endpoint and where it came from.
#[derive(Debug)]
pub struct LocalServer {
    endpoint: String,
    source: Source,
    detail: String,
    /// The jar's JVM, kept so that it is not reaped early; the watcher kills it at exit.
    _child: Option<Child>,
}

impl LocalServer {
    /// The endpoint, e.g. `http://127.0.0.1:49153`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Where the server came from.
    pub fn source(&self) -> Source {
        self.source
    }

    /// A human-readable description: the container's id and image, the jar's path, or the
    /// endpoint's variable.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// The process's one DynamoDB server, found or started on the first call and shared by every
/// later one (see the [module docs](self) for the sources and cleanup). A failure is remembered:
/// every call in the process answers with the same error.
pub async fn local_server() -> Result<&'static LocalServer> {
    static SERVER: tokio::sync::OnceCell<std::result::Result<LocalServer, String>> =
        tokio::sync::OnceCell::const_new();
    match SERVER.get_or_init(acquire).await {
        Ok(server) => Ok(server),
        Err(why) => Err(setup_error(why.clone())),
    }
}

/// A backend on the process's one DynamoDB server ([`local_server`]).
pub async fn local_backend() -> Result<DynamoBackend> {
    let server = local_server().await?;
    backend_for_endpoint(&server.endpoint).await
}

async fn acquire() -> std::result::Result<LocalServer, String> {
    let source = env(SOURCE_ENV).unwrap_or_else(|| "auto".into());
    let server = match source.as_str() {
        "auto" => match env(crate::ENDPOINT_ENV) {
            Some(endpoint) => Ok(from_endpoint(endpoint)),
            None => auto_start().await,
        },
        "endpoint" => env(crate::ENDPOINT_ENV).map(from_endpoint).ok_or_else(|| {
            format!(
                "{SOURCE_ENV}=endpoint but {} is not set",
                crate::ENDPOINT_ENV
            )
        }),
        "docker" => start_docker().await,
        "jar" => start_jar_server().await,
        "memory" => start_memory_server().await,
        "memory-docker" => start_memory_docker().await,
        other => Err(format!(
            "{SOURCE_ENV}={other:?} is not a source: use auto, endpoint, docker, jar, memory or \
             memory-docker"
        )),
    }?;
    eprintln!(
        "orm-dynamodb testing: DynamoDB at {} ({}: {})",
        server.endpoint, server.source, server.detail
    );
    Ok(server)
}

fn from_endpoint(endpoint: String) -> LocalServer {
    LocalServer {
        endpoint,
        source: Source::Endpoint,
        detail: crate::ENDPOINT_ENV.into(),
        _child: None,
    }
}

async fn auto_start() -> std::result::Result<LocalServer, String> {
    #[cfg(feature = "testcontainers")]
    let docker_error = match docker::start().await {
        Ok(server) => return Ok(server),
        Err(why) => {
            eprintln!("orm-dynamodb testing: Docker not used: {why}; trying a local jar");
            format!("Docker: {why}")
        }
    };
    #[cfg(not(feature = "testcontainers"))]
    let docker_error = "Docker: not tried (feature `testcontainers` is off)".to_string();
    start_jar_server().await.map_err(|jar| {
        format!(
            "no DynamoDB Local for the tests. Set DYNAMODB_ENDPOINT to a running server, or \
             install Java 17+ (the jar: `scripts/dynamodb-local install`), or run a Docker \
             engine and enable feature `testcontainers`; {SKIP_ENV}=1 skips such suites. \
             {docker_error}. Jar: {jar}"
        )
    })
}

#[cfg(feature = "testcontainers")]
async fn start_docker() -> std::result::Result<LocalServer, String> {
    docker::start().await
}

#[cfg(not(feature = "testcontainers"))]
async fn start_docker() -> std::result::Result<LocalServer, String> {
    Err(format!(
        "{SOURCE_ENV}=docker needs orm-dynamodb's feature `testcontainers`"
    ))
}

#[cfg(feature = "testcontainers")]
async fn start_memory_docker() -> std::result::Result<LocalServer, String> {
    docker::start_memory().await
}

#[cfg(not(feature = "testcontainers"))]
async fn start_memory_docker() -> std::result::Result<LocalServer, String> {
    Err(format!(
        "{SOURCE_ENV}=memory-docker needs orm-dynamodb's feature `testcontainers`"
    ))
}

/// Starts the watcher that cleans up after this process: once it has exited, `what` runs
/// (`docker rm -f ID` or killing a PID). In its own process group, ignoring INT/TERM/HUP, so
/// that a Ctrl-C to the tests does not take it down before it has cleaned up.
fn spawn_watcher(script: &str, args: &[&str]) -> std::result::Result<(), String> {
    let program = format!(
        "trap '' INT TERM HUP; while kill -0 \"$0\" 2>/dev/null; do sleep 1; done; {script}"
    );
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(program)
        .arg(std::process::id().to_string())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command
        .spawn()
        .map(drop)
        .map_err(|e| format!("cannot start the cleanup watcher (sh): {e}"))
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

    /// A fresh table holding the models `S` (`User`, or `(User, Todo)`) on the process's one
    /// DynamoDB Local, named `<prefix>-<uuid>`: the one line an integration test starts with.
    ///
    /// ```no_run
    /// # use orm_core::prelude::*;
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
    /// # #[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
    /// # struct User { id: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// let fixture = orm_dynamodb::testing::TestTable::for_models::<User>("app").await?;
    /// let table = fixture.table();
    /// // ... the test ...
    /// fixture.cleanup().await
    /// # }
    /// ```
    pub async fn for_models<S: ModelSet>(prefix: &str) -> Result<TestTable> {
        let backend = local_backend().await?;
        let definition = Table::new(backend.clone(), prefix).definition::<S>()?;
        TestTable::create(&backend, definition).await
    }

    /// A [`Table`] handle on this table (default layout: `pk`, `sk`, `__entity`...).
    pub fn table(&self) -> Table {
        Table::new(self.backend.clone(), self.name())
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
    use super::{env, spawn_watcher, DynamoDbMemoryImage, LocalServer, Source};
    use super::{CONTAINER_LABEL, DEFAULT_IMAGE, IMAGE_ENV};
    use super::{DEFAULT_MEMORY_IMAGE, MEMORY_IMAGE_ENV, MEMORY_IMAGE_NAME};
    use std::collections::HashMap;
    use std::process::Command;
    use std::time::Duration;
    use testcontainers_modules::dynamodb_local::DynamoDb;
    use testcontainers_modules::testcontainers::bollard::models::{HostConfig, PortBinding};
    use testcontainers_modules::testcontainers::runners::AsyncRunner;
    use testcontainers_modules::testcontainers::{ContainerRequest, Image, ImageExt};

    /// The host name the containers' owner label records.
    fn host_name() -> String {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "unknown".into())
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

    /// Whether the daemon runs on this machine (its published ports are then bound to loopback).
    fn daemon_is_local() -> bool {
        match std::env::var("DOCKER_HOST") {
            Ok(host) => host.starts_with("unix://") || host.starts_with("npipe://"),
            Err(_) => true,
        }
    }

    /// `name[:tag]` split at the tag's colon (a registry's `host:port/` is part of the name).
    pub(super) fn split_image(reference: &str) -> (&str, &str) {
        match reference.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') && !name.is_empty() => (name, tag),
            _ => (reference, "latest"),
        }
    }

    /// Removes the labelled containers of this host whose owning process is gone (their watcher
    /// was killed too). Best effort: without the `docker` CLI there is nothing to do.
    fn remove_orphans(host: &str) {
        let Ok(out) = Command::new("docker")
            .args(["ps", "-a", "--filter", &format!("label={CONTAINER_LABEL}")])
            .arg("--format")
            .arg(format!(
                "{{{{.ID}}}} {{{{.Label \"{CONTAINER_LABEL}.pid\"}}}} {{{{.Label \"{CONTAINER_LABEL}.host\"}}}}"
            ))
            .output()
        else {
            return;
        };
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut parts = line.split_whitespace();
            let (Some(id), Some(pid), Some(owner)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let alive = std::path::Path::new("/proc").join(pid).exists();
            if owner == host && !alive {
                eprintln!("orm-dynamodb testing: removing container {id} of dead process {pid}");
                let _ = Command::new("docker").args(["rm", "-f", "-v", id]).output();
            }
        }
    }

    /// Starts the DynamoDB Local container of the `docker` source.
    pub(super) async fn start() -> Result<LocalServer, String> {
        daemon_reachable()?;
        let image = env(IMAGE_ENV).unwrap_or_else(|| DEFAULT_IMAGE.to_string());
        let (name, tag) = split_image(&image);
        let request = DynamoDb::default().with_name(name).with_tag(tag);
        run(
            request,
            &image,
            Source::Docker,
            "without a registry, build the image with `scripts/docker image`",
        )
        .await
    }

    /// Starts the `dynamodb-memory` container of the `memory-docker` source. The image is built
    /// locally, never pulled: a missing one is an error naming the command that builds it.
    pub(super) async fn start_memory() -> Result<LocalServer, String> {
        daemon_reachable()?;
        let image = env(MEMORY_IMAGE_ENV).unwrap_or_else(|| DEFAULT_MEMORY_IMAGE.to_string());
        let build = build_hint(&image);
        if image_missing(&image) {
            return Err(format!("the image {image} is not there: {build}"));
        }
        let (name, tag) = split_image(&image);
        let request = DynamoDbMemoryImage::default().with_name(name).with_tag(tag);
        run(request, &image, Source::MemoryDocker, &build).await
    }

    /// How to build the `dynamodb-memory` image `image` names.
    pub(super) fn build_hint(image: &str) -> String {
        let tag = match split_image(image) {
            (MEMORY_IMAGE_NAME, tag) if image != DEFAULT_MEMORY_IMAGE => format!(" --tag {tag}"),
            (MEMORY_IMAGE_NAME, _) => String::new(),
            _ => " (then tag it as this image)".to_string(),
        };
        format!("build it with `scripts/docker memory-image{tag}` in this repository")
    }

    /// Whether the daemon certainly lacks `image` (`docker image inspect` says so). Without the
    /// `docker` CLI nothing is known, and starting the container reports what is wrong.
    fn image_missing(image: &str) -> bool {
        match Command::new("docker")
            .args(["image", "inspect", "--format", "{{.Id}}", image])
            .output()
        {
            Ok(out) => {
                !out.status.success()
                    && String::from_utf8_lossy(&out.stderr)
                        .to_lowercase()
                        .contains("no such image")
            }
            Err(_) => false,
        }
    }

    /// Starts `request`'s container (an image listening on port 8000) labelled as the fixture's,
    /// publishes its port on 127.0.0.1 when the daemon is local, and hands its removal to the
    /// watcher: it serves the whole process.
    async fn run<I: Image>(
        request: ContainerRequest<I>,
        image: &str,
        source: Source,
        hint: &str,
    ) -> Result<LocalServer, String> {
        let host = host_name();
        remove_orphans(&host);
        let mut request = request
            .with_label(CONTAINER_LABEL, "1")
            .with_label(
                format!("{CONTAINER_LABEL}.pid"),
                std::process::id().to_string(),
            )
            .with_label(format!("{CONTAINER_LABEL}.host"), host)
            .with_startup_timeout(Duration::from_secs(120));
        let local = daemon_is_local();
        if local {
            // Publish port 8000 on 127.0.0.1 only (a free port), not on every interface.
            request = request.with_host_config_modifier(|config: &mut HostConfig| {
                config.publish_all_ports = Some(false);
                config.port_bindings = Some(HashMap::from([(
                    "8000/tcp".to_string(),
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some(String::new()),
                    }]),
                )]));
            });
        }
        let container = tokio::time::timeout(Duration::from_secs(300), request.start())
            .await
            .map_err(|_| format!("the {image} container did not start within 300 s"))?
            .map_err(|e| format!("could not start the {image} container: {e} ({hint})"))?;
        let id = container.id().to_string();
        // From here on the watcher owns the container's removal: it outlives this process.
        // Without one, returning drops the handle, which removes the container at once.
        spawn_watcher("docker rm -f -v \"$1\" >/dev/null 2>&1", &[&id])?;
        let port = container
            .get_host_port_ipv4(8000)
            .await
            .map_err(|e| format!("container port: {e}"))?;
        let host = if local {
            "127.0.0.1".to_string()
        } else {
            container
                .get_host()
                .await
                .map_err(|e| format!("container host: {e}"))?
                .to_string()
        };
        // Dropping the handle would remove the container now, at the end of this test; the
        // server must outlive it and serve the whole process, so the watcher removes it.
        std::mem::forget(container);
        Ok(LocalServer {
            endpoint: format!("http://{host}:{port}"),
            source,
            detail: format!("container {} of {image}", &id[..id.len().min(12)]),
            _child: None,
        })
    }
}

// ---------------------------------------------------- dynamodb-memory image ---

/// The testcontainers crate the fixture uses (feature `testcontainers`), for starting
/// [`DynamoDbMemoryImage`] yourself with the same version (`runners::AsyncRunner`, `ImageExt`).
#[cfg(feature = "testcontainers")]
#[cfg_attr(docsrs, doc(cfg(feature = "testcontainers")))]
pub use testcontainers_modules::testcontainers;

/// orm-memory's `dynamodb-memory` program in a container, as a testcontainers [`Image`]
/// (feature `testcontainers`): DynamoDB's wire protocol on the in-memory backend, a few MB,
/// ready in milliseconds.
///
/// The image is built locally, never pulled: `scripts/docker memory-image` makes
/// [`DEFAULT_MEMORY_IMAGE`] (`orm-dynamodb-memory:<version>`, the program and the shared libraries
/// it links, no base image). The program listens on port [`DynamoDbMemoryImage::PORT`] (8000) on
/// every interface of the container; the image is ready when the program prints
/// [`DynamoDbMemoryImage::READY_MESSAGE`] on stderr. `with_name` / `with_tag`
/// ([`ImageExt`](testcontainers::ImageExt)) pick another build.
///
/// The container lives as long as its handle: dropping the `ContainerAsync` removes it. The
/// fixture's `memory-docker` source ([`SOURCE_ENV`]) starts one per test process instead, removed
/// when the process ends, with its port published on 127.0.0.1 only.
///
/// ```no_run
/// use orm_dynamodb::testing::testcontainers::runners::AsyncRunner;
/// use orm_dynamodb::testing::{backend_for_endpoint, DynamoDbMemoryImage};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let container = DynamoDbMemoryImage::default().start().await?;
/// let host = container.get_host().await?;
/// let port = container.get_host_port_ipv4(DynamoDbMemoryImage::PORT).await?;
/// let backend = backend_for_endpoint(&format!("http://{host}:{port}")).await?;
/// let table = orm_core::Table::new(backend, "app");
/// // ... the test, on `table` ...
/// drop(container); // removes the container
/// # Ok(()) }
/// ```
///
/// [`Image`]: testcontainers::Image
#[cfg(feature = "testcontainers")]
#[cfg_attr(docsrs, doc(cfg(feature = "testcontainers")))]
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DynamoDbMemoryImage {}

#[cfg(feature = "testcontainers")]
impl DynamoDbMemoryImage {
    /// The port the program listens on inside the container.
    pub const PORT: u16 = 8000;

    /// What the program prints on stderr once it listens (followed by its endpoint); the
    /// readiness condition.
    pub const READY_MESSAGE: &'static str = "dynamodb-memory: serving DynamoDB's JSON protocol at";
}

#[cfg(feature = "testcontainers")]
impl testcontainers_modules::testcontainers::Image for DynamoDbMemoryImage {
    fn name(&self) -> &str {
        MEMORY_IMAGE_NAME
    }

    fn tag(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }

    fn ready_conditions(&self) -> Vec<testcontainers_modules::testcontainers::core::WaitFor> {
        vec![
            testcontainers_modules::testcontainers::core::WaitFor::message_on_stderr(
                Self::READY_MESSAGE,
            ),
        ]
    }

    fn expose_ports(&self) -> &[testcontainers_modules::testcontainers::core::ContainerPort] {
        const PORTS: [testcontainers_modules::testcontainers::core::ContainerPort; 1] = [
            testcontainers_modules::testcontainers::core::ContainerPort::Tcp(
                DynamoDbMemoryImage::PORT,
            ),
        ];
        &PORTS
    }
}

// ------------------------------------------------------------- memory server ---

/// Finds the `dynamodb-memory` program.
fn find_memory_bin() -> std::result::Result<PathBuf, String> {
    if let Some(bin) = env(MEMORY_BIN_ENV) {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("{MEMORY_BIN_ENV}={} is not a file", bin.display()))
        };
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("dynamodb-memory"))
            .find(|p| p.is_file())
    });
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(|repo| {
            let target = env("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| repo.join("target"));
            ["debug", "release"]
                .iter()
                .map(|profile| target.join(profile).join("dynamodb-memory"))
                .find(|p| p.is_file())
        });
    on_path.or(built).ok_or_else(|| {
        format!(
            "the dynamodb-memory program was not found (set {MEMORY_BIN_ENV}, or build it: cargo \
             build -p orm-memory --features server --bin dynamodb-memory)"
        )
    })
}

async fn start_memory_server() -> std::result::Result<LocalServer, String> {
    let bin = find_memory_bin()?;
    let mut child = Command::new(&bin)
        .args(["--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let pid = child.id().to_string();
    let stdout = child.stdout.take().ok_or("no stdout of dynamodb-memory")?;
    // The program prints its endpoint as its first line once it listens.
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(10), line).await;
    let endpoint = match line {
        Ok(Ok(Ok(line))) if line.starts_with("http://") => line.trim().to_string(),
        other => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{} did not print its endpoint within 10 s ({other:?})",
                bin.display()
            ));
        }
    };
    spawn_watcher("kill -TERM \"$1\" 2>/dev/null", &[&pid])?;
    Ok(LocalServer {
        endpoint,
        source: Source::Memory,
        detail: format!("pid {pid}, {}", bin.display()),
        _child: Some(child),
    })
}

// --------------------------------------------------------------- local jar ---

fn setup_error(message: String) -> Error {
    Error::backend("DynamoDBLocal", false, message)
}

/// Finds `DynamoDBLocal.jar`, installing it with the repository's `scripts/dynamodb-local` when
/// that script is at hand and nothing is installed yet.
fn find_jar() -> std::result::Result<PathBuf, String> {
    if let Some(jar) = env("DYNAMODB_LOCAL_JAR") {
        let jar = PathBuf::from(jar);
        return if jar.is_file() {
            Ok(jar)
        } else {
            Err(format!(
                "DYNAMODB_LOCAL_JAR={} is not a file",
                jar.display()
            ))
        };
    }
    if let Some(dir) = env("DYNAMODB_LOCAL_DIR") {
        let jar = Path::new(&dir).join("DynamoDBLocal.jar");
        return if jar.is_file() {
            Ok(jar)
        } else {
            Err(format!(
                "DYNAMODB_LOCAL_DIR={dir} holds no DynamoDBLocal.jar"
            ))
        };
    }
    let mut caches = Vec::new();
    if let Some(c) = env("DYNAMODB_LOCAL_CACHE") {
        caches.push(PathBuf::from(c));
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent();
    if let Some(repo) = repo {
        caches.push(repo.join(".cache/dynamodb-local"));
    }
    if let Ok(cwd) = std::env::current_dir() {
        caches.extend(cwd.ancestors().map(|a| a.join(".cache/dynamodb-local")));
    }
    let installed = |caches: &[PathBuf]| {
        caches.iter().find_map(|cache| {
            let mut jars: Vec<PathBuf> = std::fs::read_dir(cache)
                .ok()?
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("DynamoDBLocal.jar"))
                .filter(|j| j.is_file())
                .collect();
            jars.sort();
            jars.pop()
        })
    };
    if let Some(jar) = installed(&caches) {
        return Ok(jar);
    }
    let script = repo.map(|r| r.join("scripts/dynamodb-local"));
    if let Some(script) = script.filter(|s| s.is_file()) {
        eprintln!(
            "orm-dynamodb testing: installing DynamoDB Local ({} install)",
            script.display()
        );
        let status = Command::new(&script)
            .arg("install")
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !status.success() {
            return Err(format!("{} install failed ({status})", script.display()));
        }
        if let Some(jar) = installed(&caches) {
            return Ok(jar);
        }
    }
    Err(
        "DynamoDBLocal.jar not found: install it with `scripts/dynamodb-local install`, or point \
         DYNAMODB_LOCAL_JAR / DYNAMODB_LOCAL_DIR at it"
            .to_string(),
    )
}

fn java() -> PathBuf {
    match env("JAVA_HOME") {
        Some(home) if Path::new(&home).join("bin/java").is_file() => {
            Path::new(&home).join("bin/java")
        }
        _ => PathBuf::from("java"),
    }
}

fn free_port() -> std::result::Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A JVM being started; killed (and its log removed) if it does not become ready.
struct Starting {
    endpoint: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

async fn start_jar_server() -> std::result::Result<LocalServer, String> {
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
            .map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| format!("cannot clone log handle: {e}"))?;
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
                format!(
                    "cannot run {} (DynamoDB Local needs Java 17+; install it or set JAVA_HOME): {e}",
                    java().display()
                )
            })?;
        let pid = child.id().to_string();
        let mut starting = Starting {
            endpoint: format!("http://127.0.0.1:{port}"),
            child: Some(child),
            log,
        };
        match wait_ready(&mut starting).await {
            Ok(()) => {
                let log = starting.log.display().to_string();
                spawn_watcher(
                    "kill -TERM \"$1\" 2>/dev/null; sleep 2; kill -KILL \"$1\" 2>/dev/null; rm -f \"$2\"",
                    &[&pid, &log],
                )?;
                return Ok(LocalServer {
                    endpoint: starting.endpoint.clone(),
                    source: Source::Jar,
                    detail: format!("pid {pid}, {}", jar.display()),
                    _child: starting.child.take(),
                });
            }
            Err(e) => last_error = e, // dropping `starting` kills the child
        }
    }
    Err(format!(
        "DynamoDB Local from {} did not start: {last_error}",
        jar.display()
    ))
}

async fn wait_ready(server: &mut Starting) -> std::result::Result<(), String> {
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
        if let Some(Ok(Some(status))) = server.child.as_mut().map(|c| c.try_wait()) {
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

    #[cfg(feature = "testcontainers")]
    #[test]
    fn image_references_split_at_the_tag() {
        use super::docker::split_image;
        assert_eq!(
            split_image("amazon/dynamodb-local:2.0.0"),
            ("amazon/dynamodb-local", "2.0.0")
        );
        assert_eq!(split_image("ddb"), ("ddb", "latest"));
        assert_eq!(
            split_image("localhost:5000/ddb"),
            ("localhost:5000/ddb", "latest")
        );
        assert_eq!(
            split_image("localhost:5000/ddb:1"),
            ("localhost:5000/ddb", "1")
        );
    }

    #[test]
    fn sources_display_as_their_env_values() {
        let names: Vec<String> = [
            Source::Endpoint,
            Source::Docker,
            Source::Jar,
            Source::Memory,
            Source::MemoryDocker,
        ]
        .iter()
        .map(Source::to_string)
        .collect();
        assert_eq!(
            names,
            ["endpoint", "docker", "jar", "memory", "memory-docker"]
        );
    }

    #[cfg(feature = "testcontainers")]
    #[test]
    fn the_memory_image_is_the_default_reference_and_waits_for_the_serving_line() {
        use testcontainers_modules::testcontainers::core::{ContainerPort, WaitFor};
        use testcontainers_modules::testcontainers::Image;
        let image = DynamoDbMemoryImage::default();
        assert_eq!(
            format!("{}:{}", image.name(), image.tag()),
            DEFAULT_MEMORY_IMAGE
        );
        assert_eq!(image.expose_ports(), [ContainerPort::Tcp(8000)]);
        assert!(matches!(image.ready_conditions()[..], [WaitFor::Log(_)]));
        // The program prints the line the image waits for (read from its source in this
        // workspace, so that a reworded line fails here rather than as a start-up timeout).
        let program = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../orm-memory/src/bin/dynamodb-memory.rs");
        let source = std::fs::read_to_string(&program).unwrap();
        assert!(
            source.contains(&format!("\"{} {{}}", DynamoDbMemoryImage::READY_MESSAGE)),
            "{} no longer prints {:?}",
            program.display(),
            DynamoDbMemoryImage::READY_MESSAGE
        );
    }

    #[cfg(feature = "testcontainers")]
    #[test]
    fn a_missing_memory_image_names_the_command_that_builds_it() {
        use super::docker::build_hint;
        assert_eq!(
            build_hint(DEFAULT_MEMORY_IMAGE),
            "build it with `scripts/docker memory-image` in this repository"
        );
        assert_eq!(
            build_hint("orm-dynamodb-memory:dev"),
            "build it with `scripts/docker memory-image --tag dev` in this repository"
        );
        assert!(build_hint("registry.example/ddb-memory:1").contains("then tag it as this image"));
    }

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
