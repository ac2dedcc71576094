//! `dynamodb-memory`: a DynamoDB-compatible server over an in-memory store, for any DynamoDB
//! client (no JVM, no Docker). Serves until Ctrl-C (or SIGTERM) and prints its endpoint.
//!
//! ```text
//! cargo run -p orm-memory --features server --bin dynamodb-memory -- --port 8000
//! ```
//!
//! Options: `--port P` (default 8000; 0 picks a free port), `--host H` (default 127.0.0.1),
//! `--status-delay-ms N` (default 0: how long UpdateTable's `UPDATING` / `CREATING` /
//! `DELETING` statuses stay visible to DescribeTable; `MemoryBackend::set_status_delay`).

use orm_memory::server::MemoryServer;
use orm_memory::MemoryBackend;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

fn usage() -> ! {
    eprintln!(
        "usage: dynamodb-memory [--port P] [--host H] [--status-delay-ms N]   (defaults: 127.0.0.1:8000, 0)"
    );
    std::process::exit(2);
}

fn main() {
    let mut port: u16 = 8000;
    let mut host: IpAddr = [127, 0, 0, 1].into();
    let mut status_delay = Duration::ZERO;
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
            "--status-delay-ms" => {
                let v = value("--status-delay-ms");
                status_delay = Duration::from_millis(v.parse().unwrap_or_else(|_| {
                    eprintln!("dynamodb-memory: invalid status delay {v:?} (milliseconds)");
                    usage()
                }))
            }
            "-h" | "--help" => usage(),
            other => {
                eprintln!("dynamodb-memory: unknown argument {other:?}");
                usage()
            }
        }
    }
    let backend = MemoryBackend::new();
    backend.set_status_delay(status_delay);
    let server = match MemoryServer::bind(backend, SocketAddr::new(host, port)) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("dynamodb-memory: cannot listen on {host}:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", server.endpoint());
    eprintln!(
        "dynamodb-memory: serving DynamoDB's JSON protocol at {} (Ctrl-C stops it)",
        server.endpoint()
    );
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
