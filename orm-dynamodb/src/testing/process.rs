//! Server processes: started with their output in a log file, tied to the life of the test process
//! (a watcher removes them when it ends, however it ends) or detached with a pidfile, and stopped
//! by PID.

use super::ready::Watched;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server the fixture starts lives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Lifetime {
    /// As long as this process: a watcher removes the server when this process ends, however it
    /// ends (tests done, a panic, Ctrl-C, SIGKILL). The default, and what the fixture's one
    /// server per test process uses.
    #[default]
    ThisProcess,
    /// Until stopped: the server outlives this process, its PID in `pidfile` (the `start` and
    /// `stop` commands of the `dynamodb-fixture` program). Only for servers that are processes
    /// (`jar`, `memory`).
    Detached {
        /// Where the server's PID is written.
        pidfile: PathBuf,
    },
}

/// A free TCP port on 127.0.0.1 (the OS picks it; another process may take it before it is used,
/// which the sources that bind it themselves retry).
pub(crate) fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Whether nothing listens on `port` on any interface (DynamoDB Local binds them all).
pub(crate) fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("0.0.0.0", port)).is_ok()
}

/// The last `lines` lines of the file at `path`, headed by its path; empty when it is empty.
pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    if all.is_empty() {
        return format!("(its log {} is empty)", path.display());
    }
    format!(
        "last lines of its log ({}):\n{}",
        path.display(),
        all[all.len().saturating_sub(lines)..].join("\n")
    )
}

/// A server process being started: killed (and its log removed, unless it is kept for a detached
/// server) if it is dropped before [`Starting::hold`] hands it on.
#[derive(Debug)]
pub(crate) struct Starting {
    child: Option<Child>,
    log: PathBuf,
    keep_log: bool,
}

impl Starting {
    /// Runs `command` with stdin closed and stdout and stderr appended to `log`; in its own
    /// process group when `lifetime` is detached, so that a Ctrl-C to the caller does not reach it.
    pub(crate) fn spawn(
        mut command: Command,
        what: &str,
        log: PathBuf,
        lifetime: &Lifetime,
    ) -> Result<Starting, String> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let out =
            File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot share the log handle: {e}"))?;
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        #[cfg(unix)]
        if matches!(lifetime, Lifetime::Detached { .. }) {
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot run {what}: {e}"))?;
        Ok(Starting {
            child: Some(child),
            log,
            keep_log: matches!(lifetime, Lifetime::Detached { .. }),
        })
    }

    /// The process's id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The log file.
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// The log's content so far.
    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The server answers: hands the process to its `lifetime` (a watcher, or a pidfile) and
    /// returns what [`ServerProcess::stop`] needs.
    pub(crate) fn hold(mut self, lifetime: &Lifetime) -> Result<ServerProcess, String> {
        // On an error, `self` is dropped with its child, which kills it.
        let pid = self.pid();
        let watcher = match lifetime {
            Lifetime::ThisProcess => {
                let log = self.log.display().to_string();
                Some(spawn_watcher(
                    "kill -TERM \"$1\" 2>/dev/null; sleep 2; kill -KILL \"$1\" 2>/dev/null; \
                     rm -f \"$2\"",
                    &[&pid.to_string(), &log],
                )?)
            }
            Lifetime::Detached { pidfile } => {
                write_pidfile(pidfile, pid)?;
                None
            }
        };
        let child = self.child.take().expect("held once");
        Ok(ServerProcess::Child {
            child,
            watcher,
            log: self.log.clone(),
        })
    }
}

impl Watched for Starting {
    fn exited(&mut self) -> Option<String> {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(status))) => Some(status.to_string()),
            _ => None,
        }
    }

    fn log_tail(&self) -> String {
        log_tail(&self.log, 20)
    }
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            if !self.keep_log {
                let _ = std::fs::remove_file(&self.log);
            }
        }
    }
}

/// What a running server is, for stopping it.
#[derive(Debug)]
pub(crate) enum ServerProcess {
    /// A child process (the jar's JVM, `dynamodb-memory`).
    Child {
        child: Child,
        /// The watcher that stops it when this process ends (none when detached).
        watcher: Option<Child>,
        log: PathBuf,
    },
    /// A container, removed by `docker rm -f -v`.
    #[cfg_attr(not(feature = "testcontainers"), allow(dead_code))]
    Container { id: String, watcher: Child },
}

impl ServerProcess {
    /// Stops the server now (TERM, then KILL after 10 s; a container is removed), and its
    /// watcher, which has nothing left to do.
    pub(crate) fn stop(self) -> Result<(), String> {
        match self {
            ServerProcess::Child {
                mut child,
                watcher,
                log,
            } => {
                if let Some(mut watcher) = watcher {
                    let _ = watcher.kill();
                    let _ = watcher.wait();
                    let _ = std::fs::remove_file(&log);
                }
                terminate(child.id());
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = child.try_wait() {
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                let _ = child.kill();
                child
                    .wait()
                    .map(drop)
                    .map_err(|e| format!("pid {}: {e}", child.id()))
            }
            ServerProcess::Container { id, mut watcher } => {
                let _ = watcher.kill();
                let _ = watcher.wait();
                run(
                    Command::new("docker").args(["rm", "-f", "-v", &id]),
                    &format!("docker rm -f -v {id}"),
                )
            }
        }
    }
}

/// Runs `command` (no stdin) to its end: an error naming `what` if it cannot start or fails
/// (its exit status and its stderr).
pub(super) fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Sends SIGTERM to `pid` (through `kill`, the crate has no libc binding).
fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Starts the watcher that cleans up after this process: once it has exited, `script` runs with
/// `args` as `$1`... (`docker rm -f ID`, or killing a PID). In its own process group, ignoring
/// INT/TERM/HUP, so that a Ctrl-C to the tests does not take it down before it has cleaned up.
pub(crate) fn spawn_watcher(script: &str, args: &[&str]) -> Result<Child, String> {
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
        .map_err(|e| format!("cannot start the cleanup watcher (sh): {e}"))
}

fn write_pidfile(pidfile: &Path, pid: u32) -> Result<(), String> {
    if let Some(dir) = pidfile.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = pidfile.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, format!("{pid}\n"))
        .and_then(|()| std::fs::rename(&tmp, pidfile))
        .map_err(|e| format!("cannot write {}: {e}", pidfile.display()))
}

/// The PID recorded in `pidfile`.
pub(crate) fn read_pidfile(pidfile: &Path) -> Result<Option<u32>, String> {
    match std::fs::read_to_string(pidfile) {
        Ok(text) => Ok(text.trim().parse().ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", pidfile.display())),
    }
}

/// The command line of process `pid`, if it runs (a zombie does not).
pub(crate) fn command_line(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
    if let Ok(stat) = &stat {
        // `pid (comm) state ...`: the state follows the last parenthesis.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim().chars().next());
        if state == Some('Z') {
            return None;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        return Some(String::from_utf8_lossy(&cmdline).replace('\0', " "));
    }
    // No /proc (macOS): ask ps.
    let out = Command::new("ps")
        .args(["-ww", "-o", "stat=,args=", "-p", &pid.to_string()])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (state, args) = text.split_once(char::is_whitespace)?;
    (out.status.success() && !state.starts_with('Z')).then(|| args.trim().to_string())
}

/// Stops the server whose PID `pidfile` records: TERM, then KILL after 10 s; only if that process
/// is still a server of the expected kind (its command line contains `marker`, so that a reused
/// PID is never killed). The pidfile is removed. Returns what was done, for a log line.
pub(crate) fn stop_pidfile(pidfile: &Path, marker: &str) -> Result<String, String> {
    let Some(pid) = read_pidfile(pidfile)? else {
        let _ = std::fs::remove_file(pidfile);
        return Ok(format!("no server recorded in {}", pidfile.display()));
    };
    let Some(args) = command_line(pid) else {
        let _ = std::fs::remove_file(pidfile);
        return Ok(format!(
            "process {pid} is not running; removed the stale {}",
            pidfile.display()
        ));
    };
    if !args.contains(marker) {
        let _ = std::fs::remove_file(pidfile);
        return Ok(format!(
            "process {pid} is not a {marker} server (a reused PID?); not killed, {} removed",
            pidfile.display()
        ));
    }
    terminate(pid);
    let deadline = Instant::now() + Duration::from_secs(10);
    while command_line(pid).is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    if command_line(pid).is_some() {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while command_line(pid).is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if command_line(pid).is_some() {
            return Err(format!("process {pid} did not exit after KILL"));
        }
    }
    let _ = std::fs::remove_file(pidfile);
    Ok(format!("stopped pid {pid}"))
}
