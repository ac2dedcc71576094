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
mod expr;
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
    requests: AtomicU64,
}

/// The region ARNs are written for when a request is not signed.
const DEFAULT_REGION: &str = "us-east-1";

/// The region a request is signed for: the third field of its SigV4 credential scope
/// (`Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/dynamodb/aws4_request,
/// ...`), or [`DEFAULT_REGION`]. Signatures are not checked; the region only names ARNs.
fn signed_region(authorization: Option<&str>) -> String {
    authorization
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|scope| scope.split(['/', ',']).nth(2))
        .map(str::trim)
        .filter(|r| {
            !r.is_empty()
                && r.len() <= 32
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .unwrap_or(DEFAULT_REGION)
        .to_owned()
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
    let region = signed_region(
        request
            .headers()
            .get("authorization")
            .and_then(|a| a.to_str().ok()),
    );
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
    ops::dispatch(&shared.backend, &region, &op, &json)
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

/// DynamoDB's expression language parsed into orm-core's AST, with the placeholders of
/// `ExpressionAttributeNames` (`#n` -> name) and `ExpressionAttributeValues` (`:v` -> value)
/// substituted: the parser the server uses, for anyone who needs to read expressions written for
/// DynamoDB. Errors are `Error::Validation` with DynamoDB's message. These check one expression
/// each; a placeholder that the expression does not use is not an error here (the server checks
/// that across all expressions of a request, as DynamoDB does).
///
/// ```
/// use orm_core::expr::attr;
/// use orm_core::Value;
/// use orm_memory::server::expression;
/// use std::collections::BTreeMap;
///
/// let names = BTreeMap::from([("#s".to_string(), "status".to_string())]);
/// let values = BTreeMap::from([(":o".to_string(), Value::from("open"))]);
/// let parsed = expression::condition("#s = :o", &names, &values).unwrap();
/// assert_eq!(parsed, attr("status").eq("open"));
/// assert!(expression::condition("status = :o", &names, &values).is_err()); // reserved word
/// ```
pub mod expression {
    use super::expr::{self, Placeholders};
    use orm_core::expr::{Condition, KeyCondition, Path, Update};
    use orm_core::{Error, Value};
    use std::collections::BTreeMap;

    type Names = BTreeMap<String, String>;
    type Values = BTreeMap<String, Value>;

    fn placeholders(names: &Names, values: &Values) -> Placeholders {
        Placeholders::new(names.clone(), values.clone())
    }

    fn error(e: super::ApiError) -> Error {
        Error::validation(e.message)
    }

    /// A `ConditionExpression` or `FilterExpression`.
    pub fn condition(text: &str, names: &Names, values: &Values) -> Result<Condition, Error> {
        expr::condition(
            &mut placeholders(names, values),
            "ConditionExpression",
            text,
        )
        .map_err(error)
    }

    /// An `UpdateExpression`.
    pub fn update(text: &str, names: &Names, values: &Values) -> Result<Update, Error> {
        expr::update(&mut placeholders(names, values), text).map_err(error)
    }

    /// A `KeyConditionExpression` on keys named `hash_key` and `range_key`.
    pub fn key_condition(
        text: &str,
        names: &Names,
        values: &Values,
        hash_key: &str,
        range_key: Option<&str>,
    ) -> Result<KeyCondition, Error> {
        expr::key_condition(&mut placeholders(names, values), text, hash_key, range_key)
            .map_err(error)
    }

    /// A `ProjectionExpression`.
    pub fn projection(text: &str, names: &Names) -> Result<Vec<Path>, Error> {
        expr::projection(&mut placeholders(names, &Values::new()), text).map_err(error)
    }
}
