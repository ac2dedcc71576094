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
//! Requests are `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` (DynamoDB Streams':
//! `DynamoDBStreams_20120810.<Operation>`, on the same endpoint) and a JSON body;
//! answers carry `x-amzn-RequestId` and `x-amz-crc32`, and errors DynamoDB's `__type` and
//! `message`. By default signatures are accepted without being checked, as DynamoDB Local does;
//! a server built with [`MemoryServerBuilder::require_signature`] (the program's
//! `--require-signature KEY:SECRET`) verifies AWS Signature Version 4 as DynamoDB does and lets
//! in only the clients holding one of its keys:
//!
//! ```
//! use orm_memory::server::{Credentials, MemoryServer};
//! use orm_memory::MemoryBackend;
//!
//! let server = MemoryServer::builder(MemoryBackend::new())
//!     .require_signature(Credentials::new("AKIDEXAMPLE", "a-long-random-secret"))
//!     .start()
//!     .unwrap();
//! // Clients configured with that key id and secret get in; any other signature is refused
//! // with DynamoDB's UnrecognizedClientException or InvalidSignatureException.
//! # drop(server);
//! ```
//!
//! See docs/server.md for the operations and what differs from DynamoDB.

mod body;
mod constraints;
mod crc32;
mod error;
mod json;
mod legacy;
mod limits;
mod ops;
mod sigv4;
mod ui;

pub use limits::{ServerLimits, MAX_HEAD_BYTES};
#[doc(hidden)]
pub use sigv4::PreparedSignatureCheck;
pub use sigv4::{Credentials, MAX_CLOCK_SKEW};

use crate::MemoryBackend;
use bytes::Bytes;
use error::ApiError;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::SystemTime;

pub use body::MAX_REQUEST_BYTES;

struct Shared {
    backend: MemoryBackend,
    requests: AtomicU64,
    /// Who may send requests (everyone when it holds no key).
    verifier: sigv4::Verifier,
    limits: ServerLimits,
    connections: Arc<limits::Connections>,
    /// Whether GET `/ui...` serves the browser view.
    ui: bool,
}

/// The region ARNs are written for when a request is not signed.
const DEFAULT_REGION: &str = "us-east-1";

/// A running DynamoDB-compatible server over a [`MemoryBackend`]. It serves on its own thread
/// (a two-worker tokio runtime) until dropped or [`MemoryServer::shutdown`].
pub struct MemoryServer {
    addr: SocketAddr,
    backend: MemoryBackend,
    connections: Arc<limits::Connections>,
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

/// How a [`MemoryServer`] is set up: its address, who may send requests, and its
/// [limits](ServerLimits).
/// [`MemoryServer::builder`] makes one; [`MemoryServerBuilder::start`] serves.
#[derive(Debug)]
#[must_use = "a builder does nothing until `start`"]
pub struct MemoryServerBuilder {
    backend: MemoryBackend,
    addr: SocketAddr,
    credentials: Vec<Credentials>,
    limits: ServerLimits,
    ui: bool,
}

impl MemoryServerBuilder {
    /// Serves the read-only browser view of the engine at `/ui` on the same address (the
    /// program's `--ui`): tables and their definitions, items by partition, index contents,
    /// a query and scan form with pagination. Plain server-rendered HTML; every value is
    /// escaped and the pages run no scripts. It has no sign-in, so [`MemoryServerBuilder::start`]
    /// refuses it together with [`MemoryServerBuilder::require_signature`].
    pub fn ui(mut self, enabled: bool) -> Self {
        self.ui = enabled;
        self
    }

    /// Listens on `addr` (default `127.0.0.1:0`: loopback, a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Accepts only requests signed (AWS Signature Version 4) with `credentials`; call it again
    /// to accept several keys. Without it every request is accepted, signed or not.
    pub fn require_signature(mut self, credentials: Credentials) -> Self {
        self.credentials.push(credentials);
        self
    }

    /// Bounds connections, the time to read requests, and their size (default:
    /// [`ServerLimits::default`]).
    pub fn limits(mut self, limits: ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Binds and starts serving.
    ///
    /// # Errors
    ///
    /// The address cannot be bound, or the browser view was asked for together with required
    /// signatures (the view has no sign-in: it would show every table to anyone who can reach
    /// the port).
    pub fn start(self) -> io::Result<MemoryServer> {
        if self.ui && !self.credentials.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the browser view (--ui) has no sign-in, so it cannot be combined with required \
                 signatures (--require-signature): it would show every table to anyone who can \
                 reach the port",
            ));
        }
        MemoryServer::serve(self)
    }
}

impl MemoryServer {
    /// Serves `backend` on 127.0.0.1 and a free port.
    pub fn start(backend: MemoryBackend) -> io::Result<MemoryServer> {
        MemoryServer::builder(backend).start()
    }

    /// Serves `backend` on `addr` (e.g. `127.0.0.1:8000`).
    pub fn bind(backend: MemoryBackend, addr: SocketAddr) -> io::Result<MemoryServer> {
        MemoryServer::builder(backend).addr(addr).start()
    }

    /// A server to configure before it starts: address, required signatures.
    pub fn builder(backend: MemoryBackend) -> MemoryServerBuilder {
        MemoryServerBuilder {
            backend,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            credentials: Vec::new(),
            limits: ServerLimits::default(),
            ui: false,
        }
    }

    fn serve(config: MemoryServerBuilder) -> io::Result<MemoryServer> {
        let MemoryServerBuilder {
            backend,
            addr,
            credentials,
            limits,
            ui,
        } = config;
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            backend: backend.clone(),
            requests: AtomicU64::new(0),
            verifier: sigv4::Verifier::new(credentials),
            connections: limits::Connections::new(limits.max_connections),
            limits,
            ui,
        });
        let connections = shared.connections.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("dynamodb-memory")
            .enable_io()
            .enable_time()
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
            connections,
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

    /// How many client connections are open now (at most [`ServerLimits::max_connections`]).
    pub fn open_connections(&self) -> usize {
        self.connections.count()
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
                Err(_) => {
                    // Out of file descriptors, most likely: pause rather than spin.
                    tokio::time::sleep(limits::ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
        };
        let admission = tokio::select! {
            _ = &mut stopped => return,
            admission = shared.connections.admit() => admission,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve(shared.clone(), stream, admission));
    }
}

/// Serves one connection until it closes, times out, or the server closes it to make room.
async fn serve(shared: Arc<Shared>, stream: tokio::net::TcpStream, admission: limits::Admission) {
    let connection = admission.connection.clone();
    let io = hyper_util::rt::TokioIo::new(limits::Tracked::new(stream, connection.clone()));
    let limits = shared.limits.clone();
    let service = hyper::service::service_fn(move |request| {
        let shared = shared.clone();
        let connection = connection.clone();
        async move {
            connection.reading_body();
            Ok::<_, std::convert::Infallible>(handle(&shared, &connection, request).await)
        }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEAD_BYTES)
        .serve_connection(io, service);
    tokio::select! {
        _ = served => {}
        // Dropping the connection closes its socket.
        _ = admission.connection.closed() => {}
    }
}

async fn handle(
    shared: &Shared,
    connection: &limits::Connection,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let id = shared.requests.fetch_add(1, Ordering::Relaxed);
    let request_id = format!("MEMORY{id:046}");
    if request.method() == hyper::Method::GET {
        connection.answering();
        if shared.ui {
            let uri = request.uri();
            if let Some(page) = ui::answer(&shared.backend, uri.path(), uri.query().unwrap_or("")) {
                let mut response = respond(
                    StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK),
                    "text/html; charset=utf-8",
                    Bytes::from(page.html),
                    &request_id,
                );
                let headers = response.headers_mut();
                headers.insert(
                    "content-security-policy",
                    hyper::header::HeaderValue::from_static(ui::CONTENT_SECURITY_POLICY),
                );
                headers.insert(
                    "x-content-type-options",
                    hyper::header::HeaderValue::from_static("nosniff"),
                );
                return response;
            }
        }
        return respond(
            StatusCode::OK,
            "text/plain",
            Bytes::from_static(b"healthy: dynamodb-memory"),
            &request_id,
        );
    }
    let answer = answer(shared, connection, request).await;
    let (status, body) = match answer {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.body(),
        ),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = respond(
        status,
        "application/x-amz-json-1.0",
        bytes.into(),
        &request_id,
    );
    if matches!(status.as_u16(), 408 | 413) {
        // The rest of the body was not read: the connection cannot carry another request.
        response.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    response
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
    connection: &limits::Connection,
    request: Request<Incoming>,
) -> Result<serde_json::Value, ApiError> {
    if request.method() != hyper::Method::POST {
        return Err(ApiError::client(
            "UnknownOperationException",
            format!("{} is not supported: send POST /", request.method()),
        ));
    }
    let (head, body) = request.into_parts();
    let region = sigv4::signing_region(&head.headers, head.uri.query().unwrap_or(""))
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let target = head
        .headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .unwrap_or("")
        .to_string();
    let operation = ops::targeted(&target)?;
    let body = body::read(&head.headers, body, shared.limits.body_timeout).await;
    connection.answering();
    let body = body?;
    if shared.verifier.is_enabled() {
        let signed = sigv4::SignedRequest {
            method: head.method.as_str(),
            path: head.uri.path(),
            query: head.uri.query().unwrap_or(""),
            headers: &head.headers,
            body: &body,
        };
        shared.verifier.verify(&signed, SystemTime::now())?;
    }
    // The signature covers the body as sent: it is decoded only once verified.
    let body = body::decode(&head.headers, body)?;
    let json = decode_body(&body)?;
    ops::run(&shared.backend, &region, operation, &json)
}

/// Parses a request body: a JSON object (an empty body counts as `{}`).
fn decode_body(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    // serde_json's own recursion limit (128) guards the parser's stack; DynamoDB's 32 levels are
    // checked on the values themselves.
    serde_json::from_slice(body)
        .map_err(|e| ApiError::serialization(format!("Malformed request body (not JSON): {e}")))
}

/// Handles one request body for `operation` without HTTP (an unsigned request: ARNs in
/// `us-east-1`): what the fuzz target and unit tests drive. Returns the HTTP status and the JSON
/// answer.
#[doc(hidden)]
pub fn handle_json(backend: &MemoryBackend, operation: &str, body: &[u8]) -> (u16, String) {
    let result =
        decode_body(body).and_then(|json| ops::dispatch(backend, DEFAULT_REGION, operation, &json));
    match result {
        Ok(json) => (200, json.to_string()),
        Err(e) => (e.status, e.body().to_string()),
    }
}

/// The names of the operations the server answers, in the order of its table of operations
/// (what the request-decoder fuzz target picks from).
#[doc(hidden)]
pub fn operation_names() -> impl Iterator<Item = &'static str> {
    ops::OPERATIONS.iter().map(|operation| operation.name)
}
