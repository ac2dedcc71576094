//! Bounds on what clients can hold of the server, so that idle connections, a slow-loris
//! client (a request head sent a byte at a time) or a body that never ends cannot starve the
//! others:
//!
//! - **connections**: at most [`ServerLimits::max_connections`] open at once. When a new client
//!   arrives at the limit, the server closes the connection that has waited longest without a
//!   request in progress: an idle keep-alive connection, one still sending its request head, or
//!   one whose body has been arriving for over a second. A connection whose request is being
//!   answered is never closed. Only when every connection is answering does a new client wait
//!   (in the listen backlog) for one to finish;
//! - **time**: a request head must arrive whole within [`ServerLimits::header_timeout`] of the
//!   connection opening or of the previous answer (so this is also how long an idle keep-alive
//!   connection is kept), and its body within [`ServerLimits::body_timeout`] of the head;
//! - **memory per request**: the head at most [`MAX_HEAD_BYTES`] (HTTP 431 past it), the body at
//!   most 16 MB as sent and 16 MB decoded (HTTP 413 past either).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// The largest request head (request line and headers) read: 64 KiB. A DynamoDB request's head
/// is about 1 KB.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long a body may have been arriving before its connection may be closed to make room for
/// a new client (when the server is at its connection limit).
const BODY_GRACE: Duration = Duration::from_secs(1);

/// How often a client waiting for a slot (every connection answering) looks again for one to
/// close.
const RETRY: Duration = Duration::from_millis(100);

/// How long the accept loop pauses after the system refuses a connection (out of file
/// descriptors), instead of spinning on the error.
pub(crate) const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Bounds on connections, time and memory per request, so that idle connections, a slow-loris
/// client or a body that never ends cannot starve the others. `Default` holds the defaults,
/// which the program's flags change.
///
/// - **connections**: at most [`max_connections`](Self::max_connections) open at once. When a
///   new client arrives at the limit, the server closes the connection that has waited longest
///   without a request in progress (idle, still sending its head, or sending its body for over
///   a second); a connection being answered is never closed. Only when every connection is
///   being answered does a new client wait, in the listen backlog, for one to finish;
/// - **time**: a request head must arrive whole within
///   [`header_timeout`](Self::header_timeout), counted from the connection's start or the
///   previous answer (so it is also how long an idle keep-alive connection stays), and its body
///   within [`body_timeout`](Self::body_timeout) of the head;
/// - **memory per request** (fixed): the head at most [`MAX_HEAD_BYTES`] (HTTP 431 past it), the
///   body at most 16 MB as sent and 16 MB decoded (HTTP 413 past either).
///
/// ```
/// use orm_memory::server::{MemoryServer, ServerLimits};
/// use orm_memory::MemoryBackend;
/// use std::time::Duration;
///
/// let mut limits = ServerLimits::default();
/// limits.max_connections = 256;
/// limits.header_timeout = Duration::from_secs(10);
/// let server = MemoryServer::builder(MemoryBackend::new()).limits(limits).start().unwrap();
/// # drop(server);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// Connections open at once (default 1024; at least 1).
    pub max_connections: usize,
    /// The time to read a request head, from the connection's start or the previous answer
    /// (default 60 s): also how long an idle keep-alive connection stays open.
    pub header_timeout: Duration,
    /// The time to read a request body once its head is read (default 60 s); past it the answer
    /// is HTTP 408 `RequestTimeoutException` and the connection closes.
    pub body_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(60),
        }
    }
}

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// Waiting for (or reading) a request head.
    Idle = 0,
    /// Reading a request's body.
    Body = 1,
    /// Answering: the request is being served or its answer written.
    Answering = 2,
}

/// One open connection, as the server tracks it.
#[derive(Debug)]
pub(crate) struct Connection {
    phase: AtomicU8,
    /// When the phase began, in milliseconds since the server started.
    since: AtomicU64,
    /// Set once it was chosen to close (so it is not chosen twice).
    closing: AtomicBool,
    /// Wakes the connection's task to close it.
    close: Notify,
    clock: Instant,
}

impl Connection {
    fn set(&self, phase: Phase) {
        let now = self.clock.elapsed().as_millis() as u64;
        self.since.store(now, Ordering::Relaxed);
        self.phase.store(phase as u8, Ordering::Release);
    }

    /// The request head was read: its body comes next.
    pub(crate) fn reading_body(&self) {
        self.set(Phase::Body);
    }

    /// The body was read: the request is being answered.
    pub(crate) fn answering(&self) {
        self.set(Phase::Answering);
    }

    /// Resolves when the server chose to close this connection.
    pub(crate) fn closed(&self) -> impl Future<Output = ()> + '_ {
        self.close.notified()
    }

    /// Whether it may be closed to make room, and since when it has been so (ms).
    fn closable_since(&self, now_ms: u64) -> Option<u64> {
        if self.closing.load(Ordering::Relaxed) {
            return None;
        }
        let since = self.since.load(Ordering::Relaxed);
        match self.phase.load(Ordering::Acquire) {
            p if p == Phase::Idle as u8 => Some(since),
            p if p == Phase::Body as u8
                && now_ms.saturating_sub(since) >= BODY_GRACE.as_millis() as u64 =>
            {
                Some(since)
            }
            _ => None,
        }
    }
}

/// The open connections and the slots for new ones.
#[derive(Debug)]
pub(crate) struct Connections {
    slots: Arc<Semaphore>,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
    next_id: AtomicU64,
    clock: Instant,
}

/// A connection's place: frees its slot and leaves the registry when dropped.
#[derive(Debug)]
pub(crate) struct Admission {
    id: u64,
    connections: Arc<Connections>,
    pub(crate) connection: Arc<Connection>,
    _slot: OwnedSemaphorePermit,
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.connections
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

impl Connections {
    pub(crate) fn new(max: usize) -> Arc<Connections> {
        Arc::new(Connections {
            slots: Arc::new(Semaphore::new(max.max(1))),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            clock: Instant::now(),
        })
    }

    /// How many are open.
    pub(crate) fn count(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// A slot for a client that just connected: a free one, else one made by closing the
    /// connection that has waited longest without a request in progress, else the first to
    /// free up.
    pub(crate) async fn admit(self: &Arc<Self>) -> Admission {
        let slot = loop {
            if let Ok(slot) = self.slots.clone().try_acquire_owned() {
                break slot;
            }
            self.close_longest_waiting();
            // The closed connection's slot frees as its task ends; without one to close, the
            // first answer to finish frees one (and a connection may turn idle meanwhile).
            if let Ok(Ok(slot)) =
                tokio::time::timeout(RETRY, self.slots.clone().acquire_owned()).await
            {
                break slot;
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection {
            phase: AtomicU8::new(Phase::Idle as u8),
            since: AtomicU64::new(self.clock.elapsed().as_millis() as u64),
            closing: AtomicBool::new(false),
            close: Notify::new(),
            clock: self.clock,
        });
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, connection.clone());
        Admission {
            id,
            connections: self.clone(),
            connection,
            _slot: slot,
        }
    }

    /// Closes the connection that has waited longest without a request in progress, if any.
    fn close_longest_waiting(&self) {
        let now = self.clock.elapsed().as_millis() as u64;
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let victim = open
            .values()
            .filter_map(|c| c.closable_since(now).map(|since| (since, c)))
            .min_by_key(|(since, _)| *since)
            .map(|(_, c)| c);
        if let Some(victim) = victim {
            victim.closing.store(true, Ordering::Relaxed);
            victim.close.notify_one();
        }
    }
}

/// A connection's socket, which marks the connection idle again once an answer has been
/// written out whole (hyper flushes the socket after each answer).
#[derive(Debug)]
pub(crate) struct Tracked<S> {
    inner: S,
    connection: Arc<Connection>,
}

impl<S> Tracked<S> {
    pub(crate) fn new(inner: S, connection: Arc<Connection>) -> Tracked<S> {
        Tracked { inner, connection }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = Pin::new(&mut self.inner).poll_flush(cx);
        if matches!(flushed, Poll::Ready(Ok(())))
            && self.connection.phase.load(Ordering::Acquire) == Phase::Answering as u8
        {
            self.connection.set(Phase::Idle);
        }
        flushed
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_server_closes_the_longest_waiting_idle_connection() {
        let connections = Connections::new(2);
        let first = connections.admit().await;
        let second = connections.admit().await;
        assert_eq!(connections.count(), 2);
        // The first is answering: never closed. The second is idle: closed for the newcomer.
        first.connection.answering();
        let closed = second.connection.clone();
        let waiting = tokio::spawn({
            let connections = connections.clone();
            async move { connections.admit().await }
        });
        tokio::time::timeout(Duration::from_secs(10), closed.closed())
            .await
            .expect("the idle connection is asked to close");
        drop(second);
        let third = tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("the newcomer gets the freed slot")
            .unwrap();
        assert_eq!(connections.count(), 2);
        assert!(!first.connection.closing.load(Ordering::Relaxed));
        drop((first, third));
        assert_eq!(connections.count(), 0);
    }

    #[tokio::test]
    async fn a_body_is_closable_only_after_its_grace() {
        let connections = Connections::new(1);
        let only = connections.admit().await;
        only.connection.reading_body();
        let now = connections.clock.elapsed().as_millis() as u64;
        assert_eq!(only.connection.closable_since(now), None);
        let later = now + BODY_GRACE.as_millis() as u64;
        assert!(only.connection.closable_since(later).is_some());
        only.connection.answering();
        assert_eq!(only.connection.closable_since(later + 10_000), None);
    }
}
