//! The `memory` source: orm-memory's `dynamodb-memory` program (MemoryBackend behind DynamoDB's
//! wire protocol) as a child process on 127.0.0.1. A program rather than an in-process server
//! because orm-dynamodb never depends on orm-memory; in-process, use
//! `orm_memory::server::MemoryServer`.

use super::error::FixtureError;
use super::install::cache_dir;
use super::process::{Lifetime, Starting};
use super::ready::{wait_until_answering, Watched};
use super::{env, file_from_env, Launcher, LocalServer, Source};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The environment variable naming the `dynamodb-memory` program the `memory` source runs
/// (default: `dynamodb-memory` on `PATH`, else one built in this repository's `target/`).
pub const MEMORY_BIN_ENV: &str = "ORM_DYNAMODB_MEMORY_BIN";

/// The environment variable that makes the memory sources require signatures with the fixture's
/// credentials (`1`, `true` or `yes`): [`Launcher::require_signature`]'s default.
pub const MEMORY_REQUIRE_SIGNATURE_ENV: &str = "ORM_DYNAMODB_MEMORY_REQUIRE_SIGNATURE";

/// The program's own variable holding the keys it requires (`KEY:SECRET`), which keeps the
/// secret off its command line.
pub(crate) const PROGRAM_KEYS_ENV: &str = "DYNAMODB_MEMORY_REQUIRE_SIGNATURE";

/// Whether [`MEMORY_REQUIRE_SIGNATURE_ENV`] asks for signatures.
pub(crate) fn require_signature_from_env() -> bool {
    matches!(
        env(MEMORY_REQUIRE_SIGNATURE_ENV).as_deref(),
        Some("1" | "true" | "yes")
    )
}

/// `KEY:SECRET` of the fixture's credentials, for [`PROGRAM_KEYS_ENV`]; an error when they cannot
/// be given so (a `:` or `,` in the key id, a `,` in the secret).
pub(crate) fn program_keys() -> Result<String, String> {
    let (key, secret) = super::local_credentials();
    if key.contains([':', ',']) || secret.contains(',') || key.is_empty() || secret.is_empty() {
        return Err(format!(
            "{MEMORY_REQUIRE_SIGNATURE_ENV}: the fixture's credentials (AWS_ACCESS_KEY_ID, \
             AWS_SECRET_ACCESS_KEY) must be non-empty, the key id without ':' or ',', the secret \
             without ','"
        ));
    }
    Ok(format!("{key}:{secret}"))
}

/// What the program's command line contains: how `stop` knows a PID is still one.
pub(crate) const PROCESS_MARKER: &str = "dynamodb-memory";

/// Where a detached program's log goes: beside its pidfile in the cache, kept after it stops.
pub(crate) fn detached_log(port: u16) -> PathBuf {
    cache_dir().join(format!("dynamodb-memory.{port}.log"))
}

/// Finds the `dynamodb-memory` program: [`MEMORY_BIN_ENV`], `PATH`, or this workspace's
/// `target/{debug,release}`.
pub(crate) fn find_program() -> Result<PathBuf, String> {
    if let Some(bin) = file_from_env(MEMORY_BIN_ENV) {
        return bin;
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

pub(crate) async fn start(launcher: &Launcher) -> Result<LocalServer, FixtureError> {
    let fail = |message: String| FixtureError::new(Source::Memory, message);
    let program = match &launcher.program {
        Some(program) => program.clone(),
        None => find_program().map_err(fail)?,
    };
    let port = launcher.port.unwrap_or(0);
    let log = match &launcher.lifetime {
        // The port is not known before the program binds it: name the log by this process.
        Lifetime::Detached { .. } if port != 0 => detached_log(port),
        _ => std::env::temp_dir().join(format!(
            "orm-dynamodb-memory-{}-{}.log",
            std::process::id(),
            unique()
        )),
    };
    let mut command = Command::new(&program);
    command.args(["--port", &port.to_string()]);
    command.env_remove(PROGRAM_KEYS_ENV);
    if launcher.require_signature {
        command.env(PROGRAM_KEYS_ENV, program_keys().map_err(fail)?);
    }
    let mut starting = Starting::spawn(
        command,
        &program.display().to_string(),
        log,
        &launcher.lifetime,
    )
    .map_err(fail)?;
    // The program prints its endpoint as its first line once it listens.
    let started = Instant::now();
    let endpoint = loop {
        if let Some(line) = starting
            .log_text()
            .lines()
            .find(|l| l.starts_with("http://"))
        {
            break line.trim().to_string();
        }
        if let Some(status) = starting.exited() {
            return Err(fail(format!(
                "{} exited ({status}) before printing its endpoint",
                program.display()
            ))
            .waited(started.elapsed())
            .with_log(starting.log_tail()));
        }
        if started.elapsed() >= launcher.ready_timeout {
            return Err(fail(format!("{} printed no endpoint", program.display()))
                .waited(started.elapsed())
                .with_log(starting.log_tail()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let left = launcher.ready_timeout.saturating_sub(started.elapsed());
    let waited = wait_until_answering(Source::Memory, &endpoint, left, &mut starting)
        .await
        .map_err(|e| e.waited(started.elapsed()))?;
    let pid = starting.pid();
    let process = starting.hold(&launcher.lifetime).map_err(fail)?;
    Ok(LocalServer {
        endpoint,
        source: Source::Memory,
        detail: format!(
            "pid {pid}, {}, answered after {:.2} s",
            program.display(),
            (started.elapsed().max(waited)).as_secs_f64()
        ),
        pid: Some(pid),
        process: Some(process),
    })
}

/// A number that differs between the servers one process starts.
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
