//! A DynamoDB-compatible HTTP front on [`MemoryBackend`] (feature `server`): DynamoDB's JSON 1.0
//! protocol over HTTP/1.1, so that any DynamoDB client (aws-sdk-dynamodb, boto3, the JS SDK, the
//! AWS CLI...) can use the memory backend as it would DynamoDB Local, without a JVM or Docker.
//!
//! ```
//! use orm_memory::server::MemoryServer;
//! use orm_memory::MemoryBackend;
//!
//! let server = MemoryServer::start(MemoryBackend::new()).unwrap(); // 127.0.0.1, a free port
//! let endpoint = server.endpoint();                                 // http://127.0.0.1:PORT
//! assert!(endpoint.starts_with("http://127.0.0.1:"));
//! // ... point a DynamoDB client at `endpoint` ...
//! drop(server); // stops serving
//! ```
//!
//! Requests are `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` and a JSON body;
//! answers carry `x-amzn-RequestId` and `x-amz-crc32`, and errors DynamoDB's `__type` and
//! `message`. Signatures are accepted without being checked, as DynamoDB Local does. See
//! docs/server.md for the operations and what differs from DynamoDB.

mod crc32;
mod error;
mod json;
mod ops;

use crate::MemoryBackend;
use bytes::Bytes;
use error::ApiError;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The largest request body accepted: DynamoDB's 16 MB (a full BatchWriteItem).
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// The prefix of every `X-Amz-Target` this server answers.
const TARGET_PREFIX: &str = "DynamoDB_20120810.";

struct Shared {
    backend: MemoryBackend,
    catalog: ops::Catalog,
    requests: AtomicU64,
}

/// A running DynamoDB-compatible server over a [`MemoryBackend`]. It serves on its own thread
/// (a two-worker tokio runtime) until dropped or [`MemoryServer::shutdown`].
pub struct MemoryServer {
    addr: SocketAddr,
    backend: MemoryBackend,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MemoryServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryServer")
            .field("addr", &self.addr)
            .field("backend", &self.backend)
            .finish()
    }
}

impl MemoryServer {
    /// Serves `backend` on 127.0.0.1 and a free port.
    pub fn start(backend: MemoryBackend) -> io::Result<MemoryServer> {
        MemoryServer::bind(backend, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves `backend` on `addr` (e.g. `127.0.0.1:8000`).
    pub fn bind(backend: MemoryBackend, addr: SocketAddr) -> io::Result<MemoryServer> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            backend: backend.clone(),
            catalog: ops::Catalog::default(),
            requests: AtomicU64::new(0),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("dynamodb-memory")
            .enable_io()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("dynamodb-memory-accept".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    accept(listener, shared, stopped).await;
                });
                runtime.shutdown_background();
            })?;
        Ok(MemoryServer {
            addr,
            backend,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint to give a DynamoDB client: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The backend it serves (a clone shares its tables).
    pub fn backend(&self) -> &MemoryBackend {
        &self.backend
    }

    /// Stops serving and waits for the server thread to end (also done on drop).
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MemoryServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}

async fn accept(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(_) => continue,
            },
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&shared, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let id = shared.requests.fetch_add(1, Ordering::Relaxed);
    let request_id = format!("MEMORY{id:046}");
    if request.method() == hyper::Method::GET {
        return respond(
            StatusCode::OK,
            "text/plain",
            Bytes::from_static(b"healthy: dynamodb-memory"),
            &request_id,
        );
    }
    let answer = answer(shared, request).await;
    let (status, body) = match answer {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.body(),
        ),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    respond(
        status,
        "application/x-amz-json-1.0",
        bytes.into(),
        &request_id,
    )
}

fn respond(
    status: StatusCode,
    content_type: &str,
    body: Bytes,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let crc = crc32::checksum(&body);
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let mut insert = |name: &'static str, value: String| {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    insert("content-type", content_type.to_string());
    insert("x-amzn-requestid", request_id.to_string());
    insert("x-amz-crc32", crc.to_string());
    response
}

async fn answer(
    shared: &Shared,
    request: Request<Incoming>,
) -> Result<serde_json::Value, ApiError> {
    if request.method() != hyper::Method::POST {
        return Err(ApiError::client(
            "UnknownOperationException",
            format!("{} is not supported: send POST /", request.method()),
        ));
    }
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .unwrap_or("")
        .to_string();
    let op = target
        .strip_prefix(TARGET_PREFIX)
        .ok_or_else(|| {
            ApiError::client(
                "UnknownOperationException",
                format!("Unknown X-Amz-Target {target:?}: expected {TARGET_PREFIX}<Operation>"),
            )
        })?
        .to_string();
    let body = Limited::new(request.into_body(), MAX_REQUEST_BYTES)
        .collect()
        .await
        .map_err(|e| {
            ApiError::validation(format!(
                "Request body could not be read (at most {MAX_REQUEST_BYTES} bytes): {e}"
            ))
        })?
        .to_bytes();
    let json = decode_body(&body)?;
    ops::dispatch(&shared.backend, &shared.catalog, &op, &json)
}

/// Parses a request body: a JSON object (an empty body counts as `{}`).
fn decode_body(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    // serde_json's own recursion limit (128) guards the parser's stack; DynamoDB's 32 levels are
    // checked on the values themselves.
    serde_json::from_slice(body).map_err(|e| {
        ApiError::client(
            "SerializationException",
            format!("Malformed request body (not JSON): {e}"),
        )
    })
}

/// Handles one request body for `operation` without HTTP: what the fuzz target and unit tests
/// drive. Returns the HTTP status and the JSON answer.
#[doc(hidden)]
pub fn handle_json(backend: &MemoryBackend, operation: &str, body: &[u8]) -> (u16, String) {
    static CATALOG: std::sync::OnceLock<ops::Catalog> = std::sync::OnceLock::new();
    let catalog = CATALOG.get_or_init(ops::Catalog::default);
    let result =
        decode_body(body).and_then(|json| ops::dispatch(backend, catalog, operation, &json));
    match result {
        Ok(json) => (200, json.to_string()),
        Err(e) => (e.status, e.body().to_string()),
    }
}
