//! The `docker` and `memory-docker` sources: one container per test process through
//! testcontainers (feature `testcontainers`), its port published on 127.0.0.1, labelled with its
//! owner, removed when the owner ends; and the list of the fixture's containers (`leftovers`).
//!
//! The fixture owns containers. Docker engines and images are `scripts/docker`'s (this
//! repository's): it starts an engine and builds the images where no registry answers.

#[cfg(feature = "testcontainers")]
pub use self::containers::DynamoDbMemoryImage;

/// The environment variable naming the DynamoDB Local image the `docker` source starts, as
/// `name[:tag]` (default [`DEFAULT_IMAGE`]); e.g. `amazon/dynamodb-local:2.0.0` to pin a tag.
pub const IMAGE_ENV: &str = "ORM_DYNAMODB_LOCAL_IMAGE";

/// The image the `docker` source starts unless [`IMAGE_ENV`] names another: the DynamoDB Local
/// version the `jar` source installs ([`DYNAMODB_LOCAL_VERSION`](super::DYNAMODB_LOCAL_VERSION)),
/// so that every source runs the same server.
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

/// The label on every container the fixture starts; `<label>.pid` and `<label>.host` name the
/// process that owns it.
pub const CONTAINER_LABEL: &str = "orm-dynamodb.testing";

/// `name[:tag]` split at the tag's colon (a registry's `host:port/` is part of the name).
#[cfg(any(feature = "testcontainers", test))]
pub(crate) fn split_image(reference: &str) -> (&str, &str) {
    match reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') && !name.is_empty() => (name, tag),
        _ => (reference, "latest"),
    }
}

/// How to build the `dynamodb-memory` image `image` names.
#[cfg(any(feature = "testcontainers", test))]
pub(crate) fn build_hint(image: &str) -> String {
    let tag = match split_image(image) {
        (MEMORY_IMAGE_NAME, tag) if image != DEFAULT_MEMORY_IMAGE => format!(" --tag {tag}"),
        (MEMORY_IMAGE_NAME, _) => String::new(),
        _ => " (then tag it as this image)".to_string(),
    };
    format!("build it with `scripts/docker memory-image{tag}` in this repository")
}

/// The containers the fixture started that still exist (running or not), one `ID NAME STATUS
/// OWNER-PID` line each, through the `docker` CLI.
pub fn leftovers() -> Result<Vec<String>, String> {
    let out = std::process::Command::new("docker")
        .args(["ps", "-a", "--filter", &format!("label={CONTAINER_LABEL}")])
        .arg("--format")
        .arg(format!(
            "{{{{.ID}}}} {{{{.Names}}}} {{{{.Status}}}} pid={{{{.Label \"{CONTAINER_LABEL}.pid\"}}}}"
        ))
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run docker: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "docker ps failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

#[cfg(feature = "testcontainers")]
pub(crate) use self::containers::{start, start_memory};

#[cfg(feature = "testcontainers")]
mod containers {
    use super::super::error::FixtureError;
    use super::super::process::{spawn_watcher, ServerProcess};
    use super::super::ready::{wait_until_answering, Watched};
    use super::super::{env, Launcher, LocalServer, Source};
    use super::{build_hint, split_image, CONTAINER_LABEL, DEFAULT_IMAGE, IMAGE_ENV};
    use super::{DEFAULT_MEMORY_IMAGE, MEMORY_IMAGE_ENV, MEMORY_IMAGE_NAME};
    use std::collections::HashMap;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    use testcontainers_modules::dynamodb_local::DynamoDb;
    use testcontainers_modules::testcontainers::bollard::models::{HostConfig, PortBinding};
    use testcontainers_modules::testcontainers::runners::AsyncRunner;
    use testcontainers_modules::testcontainers::{ContainerRequest, Image, ImageExt};

    /// orm-memory's `dynamodb-memory` program in a container, as a testcontainers [`Image`]
    /// (feature `testcontainers`): DynamoDB's wire protocol on the in-memory backend, a few MB,
    /// ready in milliseconds.
    ///
    /// The image is built locally, never pulled: `scripts/docker memory-image` makes
    /// [`DEFAULT_MEMORY_IMAGE`] (`orm-dynamodb-memory:<version>`, the program and the shared
    /// libraries it links, no base image). The program listens on port
    /// [`DynamoDbMemoryImage::PORT`] (8000) on every interface of the container; testcontainers
    /// waits for it to print [`DynamoDbMemoryImage::READY_MESSAGE`] on stderr. `with_name` /
    /// `with_tag` ([`ImageExt`]) pick another build.
    ///
    /// The container lives as long as its handle: dropping the `ContainerAsync` removes it. The
    /// fixture's `memory-docker` source ([`SOURCE_ENV`](super::super::SOURCE_ENV)) starts one per
    /// test process instead, removed when the process ends, with its port published on 127.0.0.1
    /// only, and hands it out once a request has answered through that port.
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
    #[cfg_attr(docsrs, doc(cfg(feature = "testcontainers")))]
    #[derive(Debug, Clone, Default)]
    #[non_exhaustive]
    pub struct DynamoDbMemoryImage {}

    impl DynamoDbMemoryImage {
        /// The port the program listens on inside the container.
        pub const PORT: u16 = 8000;

        /// What the program prints on stderr once it listens (followed by its endpoint); the
        /// condition testcontainers waits for.
        pub const READY_MESSAGE: &'static str =
            "dynamodb-memory: serving DynamoDB's JSON protocol at";
    }

    impl Image for DynamoDbMemoryImage {
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

    /// The host name the containers' owner label records.
    fn host_name() -> String {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "unknown".into())
    }

    /// Whether a Docker daemon could answer: `DOCKER_HOST` is set, or a local socket accepts.
    pub(crate) fn daemon_reachable() -> Result<(), String> {
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

    /// Removes the labelled containers of this host whose owning process is gone (their
    /// watcher was killed too). Best effort: without the `docker` CLI there is nothing to do.
    fn remove_orphans(host: &str) {
        let Ok(out) = Command::new("docker")
            .args(["ps", "-a", "--filter", &format!("label={CONTAINER_LABEL}")])
            .arg("--format")
            .arg(format!(
                "{{{{.ID}}}} {{{{.Label \"{CONTAINER_LABEL}.pid\"}}}} {{{{.Label \"{CONTAINER_LABEL}.host\"}}}}"
            ))
            .stdin(Stdio::null())
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
    pub(crate) async fn start(launcher: &Launcher) -> Result<LocalServer, FixtureError> {
        daemon_reachable().map_err(|e| FixtureError::new(Source::Docker, e))?;
        let image = env(IMAGE_ENV).unwrap_or_else(|| DEFAULT_IMAGE.to_string());
        let (name, tag) = split_image(&image);
        let request = DynamoDb::default().with_name(name).with_tag(tag);
        run(
            launcher,
            request,
            &image,
            Source::Docker,
            "without a registry, build the image with `scripts/docker image`",
        )
        .await
    }

    /// Starts the `dynamodb-memory` container of the `memory-docker` source. The image is built
    /// locally, never pulled: a missing one is an error naming the command that builds it.
    pub(crate) async fn start_memory(launcher: &Launcher) -> Result<LocalServer, FixtureError> {
        let fail = |message: String| FixtureError::new(Source::MemoryDocker, message);
        daemon_reachable().map_err(fail)?;
        let image = env(MEMORY_IMAGE_ENV).unwrap_or_else(|| DEFAULT_MEMORY_IMAGE.to_string());
        let build = build_hint(&image);
        if image_missing(&image) {
            return Err(fail(format!("the image {image} is not there: {build}")));
        }
        let (name, tag) = split_image(&image);
        let mut request = DynamoDbMemoryImage::default().with_name(name).with_tag(tag);
        if launcher.require_signature {
            let keys = super::super::memory::program_keys().map_err(fail)?;
            request = request.with_env_var(super::super::memory::PROGRAM_KEYS_ENV, keys);
        }
        run(launcher, request, &image, Source::MemoryDocker, &build).await
    }

    /// Whether the daemon certainly lacks `image` (`docker image inspect` says so). Without the
    /// `docker` CLI nothing is known, and starting the container reports what is wrong.
    fn image_missing(image: &str) -> bool {
        match Command::new("docker")
            .args(["image", "inspect", "--format", "{{.Id}}", image])
            .stdin(Stdio::null())
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

    /// A container being made ready: its logs are the log tail of a readiness failure.
    struct Container {
        id: String,
    }

    impl Watched for Container {
        fn exited(&mut self) -> Option<String> {
            let out = Command::new("docker")
                .args([
                    "inspect",
                    "--format",
                    "{{.State.Status}} {{.State.ExitCode}}",
                ])
                .arg(&self.id)
                .stdin(Stdio::null())
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
            match text.split_once(' ') {
                Some(("exited" | "dead", code)) => Some(format!("container exit code {code}")),
                _ => None,
            }
        }

        fn log_tail(&self) -> String {
            match Command::new("docker")
                .args(["logs", "--tail", "20", &self.id])
                .stdin(Stdio::null())
                .output()
            {
                Ok(out) => format!(
                    "last lines of its log (docker logs {}):\n{}{}",
                    &self.id[..self.id.len().min(12)],
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
                Err(e) => format!("(no log: cannot run docker logs: {e})"),
            }
        }
    }

    /// Starts `request`'s container (an image listening on port 8000) labelled as the
    /// fixture's, publishes its port on 127.0.0.1 when the daemon is local, hands its removal to
    /// the watcher (it serves the whole process), and waits until a request answers through the
    /// published port.
    async fn run<I: Image>(
        launcher: &Launcher,
        request: ContainerRequest<I>,
        image: &str,
        source: Source,
        hint: &str,
    ) -> Result<LocalServer, FixtureError> {
        let fail = |message: String| FixtureError::new(source, message);
        let started = Instant::now();
        let host = host_name();
        remove_orphans(&host);
        let mut request = request
            .with_label(CONTAINER_LABEL, "1")
            .with_label(
                format!("{CONTAINER_LABEL}.pid"),
                std::process::id().to_string(),
            )
            .with_label(format!("{CONTAINER_LABEL}.host"), host)
            .with_startup_timeout(launcher.ready_timeout);
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
        // Pulling an image counts against a longer bound than the readiness wait.
        let container = tokio::time::timeout(
            launcher.ready_timeout + Duration::from_secs(180),
            request.start(),
        )
        .await
        .map_err(|_| {
            fail(format!("the {image} container did not start")).waited(started.elapsed())
        })?
        .map_err(|e| {
            fail(format!(
                "could not start the {image} container: {e} ({hint})"
            ))
            .waited(started.elapsed())
        })?;
        let id = container.id().to_string();
        let remove = |id: &str| {
            let _ = Command::new("docker").args(["rm", "-f", "-v", id]).output();
        };
        // From here on the watcher owns the container's removal: it outlives this process.
        // Without one, returning drops the handle, which removes the container at once.
        let watcher = spawn_watcher("docker rm -f -v \"$1\" >/dev/null 2>&1", &[&id])
            .map_err(|e| fail(e.clone()));
        let port = container.get_host_port_ipv4(8000).await;
        let host = if local {
            Ok("127.0.0.1".to_string())
        } else {
            container.get_host().await.map(|h| h.to_string())
        };
        // Dropping the handle would remove the container now, at the end of this test; the
        // server must outlive it and serve the whole process, so the watcher removes it.
        std::mem::forget(container);
        let mut watched = Container { id: id.clone() };
        let (watcher, endpoint) = match (watcher, port, host) {
            (Ok(watcher), Ok(port), Ok(host)) => (watcher, format!("http://{host}:{port}")),
            (watcher, port, host) => {
                let why = match (watcher, port, host) {
                    (Err(e), _, _) => e,
                    (_, Err(e), _) => fail(format!("the container's port 8000: {e}")),
                    (_, _, Err(e)) => fail(format!("the container's host: {e}")),
                    _ => unreachable!("one of them failed"),
                };
                let why = why.with_log(watched.log_tail());
                remove(&id);
                return Err(why);
            }
        };
        let left = launcher.ready_timeout.saturating_sub(started.elapsed());
        let waited = wait_until_answering(source, &endpoint, left, &mut watched).await;
        if let Err(e) = waited {
            remove(&id);
            return Err(e.waited(started.elapsed()));
        }
        Ok(LocalServer {
            endpoint,
            source,
            detail: format!(
                "container {} of {image}, answered after {:.1} s",
                &id[..id.len().min(12)],
                started.elapsed().as_secs_f64()
            ),
            pid: None,
            process: Some(ServerProcess::Container { id, watcher }),
        })
    }
}
