//! Calling the backend: its futures never wait (MemoryBackend does no I/O), so a handler runs
//! them to completion in place.

use super::super::error::ApiError;

/// Runs a backend call; the backend does no I/O, so its futures complete at once.
pub(crate) fn run<T>(
    future: impl std::future::Future<Output = orm_core::Result<T>>,
) -> Result<T, ApiError> {
    poll_to_completion(future).map_err(ApiError::from)
}

/// Polls a future that never waits (MemoryBackend's: no `.await` inside) to completion.
fn poll_to_completion<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}
