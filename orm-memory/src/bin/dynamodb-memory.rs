//! `dynamodb-memory`: a DynamoDB-compatible server over an in-memory store, for any DynamoDB
//! client (no JVM, no Docker). Serves until Ctrl-C (or SIGTERM) and prints its endpoint.
//!
//! ```text
//! cargo run -p orm-memory --features server --bin dynamodb-memory -- --port 8000
//! ```
//!
//! Options:
//! - `--port P` (default 8000; 0 picks a free port), `--host H` (default 127.0.0.1);
//! - `--require-signature KEY:SECRET[:SESSION_TOKEN]`: accept only requests signed (AWS
//!   Signature Version 4) with this key; repeat it (or give a comma-separated list) to accept
//!   several. `DYNAMODB_MEMORY_REQUIRE_SIGNATURE` holds the same list, for secrets kept out of
//!   the command line (which other users of the machine can read). Without either, any
//!   signature is accepted, as DynamoDB Local does, and binding to an address other than
//!   loopback prints a warning;
//! - `--max-connections N` (default 1024): connections open at once; at the limit a new client
//!   takes the place of the connection waiting longest without a request in progress;
//! - `--header-timeout SECS` (default 60): the time to send a request head (also how long an idle
//!   keep-alive connection stays open); `--body-timeout SECS` (default 60): the time to send a
//!   body once its head is in;
//! - `--status-delay-ms N` (default 0): how long UpdateTable's `UPDATING` / `CREATING` /
//!   `DELETING` statuses stay visible to DescribeTable (`MemoryBackend::set_status_delay`);
//! - `--ui`: serve a read-only browser view of the tables at `http://HOST:PORT/ui` (not with
//!   `--require-signature`: the view has no sign-in).

use orm_memory::server::{Credentials, MemoryServer, ServerLimits};
use orm_memory::MemoryBackend;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The environment variable that may hold `--require-signature`'s list.
const REQUIRE_SIGNATURE_ENV: &str = "DYNAMODB_MEMORY_REQUIRE_SIGNATURE";

fn usage() -> ! {
    eprintln!(
        "usage: dynamodb-memory [--port P] [--host H] [--require-signature KEY:SECRET[:TOKEN][,...]]...\n\
         \x20      [--max-connections N] [--header-timeout SECS] [--body-timeout SECS]\n\
         \x20      [--status-delay-ms N] [--ui]\n\
         \x20      (defaults: 127.0.0.1:8000, any signature accepted ({REQUIRE_SIGNATURE_ENV} may hold\n\
         \x20      the keys), 1024 connections, 60 s for a request head, 60 s for a body,\n\
         \x20      no status delay; --ui: a read-only browser view at /ui)"
    );
    std::process::exit(2);
}

/// `KEY:SECRET[:TOKEN]` entries, comma-separated.
fn parse_keys(list: &str, from: &str) -> Vec<Credentials> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry.parse().unwrap_or_else(|e| {
                eprintln!("dynamodb-memory: {from}: {e}");
                usage()
            })
        })
        .collect()
}

/// The warning printed when the server listens beyond loopback and lets anyone in.
fn exposure_warning(host: IpAddr, signed: bool) -> Option<String> {
    (!signed && !host.is_loopback()).then(|| {
        format!(
            "dynamodb-memory: WARNING: listening on {host}, beyond this machine, without \
             --require-signature: anyone who can reach the port can read and change every table. \
             Give --require-signature KEY:SECRET to let in only clients holding that key."
        )
    })
}

/// A positive number of seconds (fractions allowed).
fn parse_seconds(name: &str, v: &str) -> Duration {
    match v.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() && secs <= 86_400.0 => {
            Duration::from_secs_f64(secs)
        }
        _ => {
            eprintln!(
                "dynamodb-memory: {name} takes seconds (more than 0, at most 86400), got {v:?}"
            );
            usage()
        }
    }
}

fn main() {
    let mut limits = ServerLimits::default();
    let mut port: u16 = 8000;
    let mut host: IpAddr = [127, 0, 0, 1].into();
    let mut status_delay = Duration::ZERO;
    let mut ui = false;
    let mut keys: Vec<Credentials> = Vec::new();
    if let Ok(list) = std::env::var(REQUIRE_SIGNATURE_ENV) {
        keys.extend(parse_keys(&list, REQUIRE_SIGNATURE_ENV));
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("dynamodb-memory: {name} needs a value");
                usage()
            })
        };
        match arg.as_str() {
            "--port" => {
                let v = value("--port");
                port = v.parse().unwrap_or_else(|_| {
                    eprintln!("dynamodb-memory: invalid port {v:?}");
                    usage()
                })
            }
            "--host" => {
                let v = value("--host");
                host = v.parse().unwrap_or_else(|_| {
                    eprintln!("dynamodb-memory: invalid host address {v:?}");
                    usage()
                })
            }
            "--require-signature" => {
                let list = value("--require-signature");
                let parsed = parse_keys(&list, "--require-signature");
                if parsed.is_empty() {
                    eprintln!("dynamodb-memory: --require-signature names no key");
                    usage()
                }
                keys.extend(parsed);
            }
            "--max-connections" => {
                let v = value("--max-connections");
                limits.max_connections = v.parse().ok().filter(|n| *n > 0).unwrap_or_else(|| {
                    eprintln!(
                        "dynamodb-memory: --max-connections takes a positive number, got {v:?}"
                    );
                    usage()
                })
            }
            "--header-timeout" => {
                limits.header_timeout =
                    parse_seconds("--header-timeout", &value("--header-timeout"))
            }
            "--body-timeout" => {
                limits.body_timeout = parse_seconds("--body-timeout", &value("--body-timeout"))
            }
            "--status-delay-ms" => {
                let v = value("--status-delay-ms");
                status_delay = Duration::from_millis(v.parse().unwrap_or_else(|_| {
                    eprintln!("dynamodb-memory: invalid status delay {v:?} (milliseconds)");
                    usage()
                }))
            }
            "--ui" => ui = true,
            "-h" | "--help" => usage(),
            other => {
                eprintln!("dynamodb-memory: unknown argument {other:?}");
                usage()
            }
        }
    }
    if let Some(warning) = exposure_warning(host, !keys.is_empty()) {
        eprintln!("{warning}");
    }
    let signed = !keys.is_empty();
    let backend = MemoryBackend::new();
    backend.set_status_delay(status_delay);
    // Every request's consumed capacity is totalled per table (the browser view shows them).
    backend.keep_capacity_totals(true);
    let mut builder = MemoryServer::builder(backend)
        .addr(SocketAddr::new(host, port))
        .limits(limits)
        .ui(ui);
    for key in keys {
        builder = builder.require_signature(key);
    }
    let server = match builder.start() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("dynamodb-memory: cannot serve on {host}:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", server.endpoint());
    eprintln!(
        "dynamodb-memory: serving DynamoDB's JSON protocol at {} (Ctrl-C stops it){}",
        server.endpoint(),
        if signed { "; signatures required" } else { "" }
    );
    if ui {
        eprintln!(
            "dynamodb-memory: the read-only browser view is at {}/ui",
            server.endpoint()
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the signal handlers");
    runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    });
    server.shutdown();
    eprintln!("dynamodb-memory: stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unsigned_server_beyond_loopback_is_warned_about() {
        let any: IpAddr = [0, 0, 0, 0].into();
        let lan: IpAddr = [192, 168, 1, 20].into();
        for host in [any, lan, "::".parse().unwrap()] {
            let warning = exposure_warning(host, false).expect("a warning");
            assert!(warning.contains("--require-signature"), "{warning}");
            assert_eq!(exposure_warning(host, true), None);
        }
        for host in [IpAddr::from([127, 0, 0, 1]), "::1".parse().unwrap()] {
            assert_eq!(exposure_warning(host, false), None);
        }
    }

    #[test]
    fn key_lists_split_on_commas() {
        let keys = parse_keys("A:1, B:2:T,,", "test");
        assert_eq!(
            keys,
            [
                Credentials::new("A", "1"),
                Credentials::new("B", "2").with_session_token("T")
            ]
        );
    }
}
