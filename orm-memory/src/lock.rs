//! A reader-writer lock whose readers do not share a lock word: [`ShardedLock`].
//!
//! A `std::sync::RwLock` counts its readers in one word, which every reader writes twice (lock,
//! unlock): two threads reading at once pass that word's cache line back and forth, and reads
//! that take a microsecond stop scaling with threads. Here each reader locks one of several
//! shards (each on its own cache line), chosen by its thread; a writer locks every shard, in
//! order. Readers never block each other and never touch each other's lines.
//!
//! Each shard holds an `Arc` of the one value. Readers dereference it (no reference count is
//! touched); a writer, holding every shard, takes the `Arc`s out, so that it holds the only one
//! and can borrow the value mutably (`Arc::get_mut`), and puts clones back when done. No
//! `unsafe` code.
//!
//! MemoryBackend has one for its catalog of tables (written only by CreateTable and
//! DeleteTable) and one per part of each table (`crate::table::Table`): a writer blocks only
//! the readers and writers of its own part.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The most shards a lock has (more threads than shards share them).
const MAX_SHARDS: usize = 8;

/// One shard, on a cache line of its own (128 bytes: two lines, as adjacent-line prefetchers
/// pair them).
#[repr(align(128))]
#[derive(Debug)]
struct Shard<T>(RwLock<Option<Arc<T>>>);

/// A reader-writer lock whose readers lock only their thread's shard.
///
/// The shards are inline (the first `count` of [`MAX_SHARDS`] are used), so that making a
/// lock allocates nothing but the value's `Arc`, and an array of locks (a table's parts) is
/// one allocation: a fork makes a lock per part of every table.
#[derive(Debug)]
pub(crate) struct ShardedLock<T> {
    shards: [Shard<T>; MAX_SHARDS],
    /// How many shards are used.
    count: usize,
}

/// The shard index of the current thread (threads are numbered as they first lock).
fn thread_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    INDEX.with(|i| *i)
}

/// How many shards a new lock has: one per available core, at most [`MAX_SHARDS`].
///
/// Asked of the system once per process: `available_parallelism` reads the scheduler's affinity
/// mask and the cgroup's CPU quota files (~25 µs), which made every `fork()` cost that much.
fn shard_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, MAX_SHARDS)
    })
}

impl<T> ShardedLock<T> {
    /// A lock holding `value`, with a shard per available core (at most [`MAX_SHARDS`]).
    pub(crate) fn new(value: T) -> ShardedLock<T> {
        ShardedLock::with_shards(value, shard_count())
    }

    /// A lock holding `value`, with `count` shards (at least one, at most [`MAX_SHARDS`]).
    fn with_shards(value: T, count: usize) -> ShardedLock<T> {
        let count = count.clamp(1, MAX_SHARDS);
        let value = Arc::new(value);
        ShardedLock {
            shards: std::array::from_fn(|i| {
                Shard(RwLock::new((i < count).then(|| Arc::clone(&value))))
            }),
            count,
        }
    }

    /// Shared access: locks this thread's shard.
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        let shard = &self.shards[thread_index() % self.count];
        ReadGuard(shard.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Exclusive access: locks every shard, in order.
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        let mut guards: Vec<RwLockWriteGuard<'_, Option<Arc<T>>>> = self.shards[..self.count]
            .iter()
            .map(|s| s.0.write().unwrap_or_else(PoisonError::into_inner))
            .collect();
        let mut value = None;
        for guard in &mut guards {
            // Every shard holds a clone; keep one, drop the others.
            value = guard.take();
        }
        assert!(value.is_some(), "every shard holds the value");
        WriteGuard { guards, value }
    }
}

/// Shared access to the value of a [`ShardedLock`].
#[derive(Debug)]
pub(crate) struct ReadGuard<'a, T>(RwLockReadGuard<'a, Option<Arc<T>>>);

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0
            .as_deref()
            .expect("a shard holds the value unless a writer has it")
    }
}

/// Exclusive access to the value of a [`ShardedLock`]; dropping it hands the value back to
/// every shard (also when a panic unwinds through it).
#[derive(Debug)]
pub(crate) struct WriteGuard<'a, T> {
    guards: Vec<RwLockWriteGuard<'a, Option<Arc<T>>>>,
    /// The value, taken out of the shards (`None` once handed back).
    value: Option<Arc<T>>,
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value.as_deref().expect("held until dropped")
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        let value = self.value.as_mut().expect("held until dropped");
        Arc::get_mut(value).expect("the writer holds the only reference")
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    /// Hands the value back to every shard before any shard is unlocked (the guards drop after
    /// this), so that the next writer again finds exactly one reference per shard.
    fn drop(&mut self) {
        let value = self.value.take().expect("held until dropped");
        let (last, rest) = self.guards.split_last_mut().expect("at least one shard");
        for guard in rest {
            **guard = Some(Arc::clone(&value));
        }
        **last = Some(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_see_what_writers_wrote() {
        for shards in [1, 2, 3, 8] {
            let lock = ShardedLock::with_shards(vec![1], shards);
            assert_eq!(*lock.read(), [1]);
            lock.write().push(2);
            assert_eq!(*lock.read(), [1, 2]);
            {
                let mut w = lock.write();
                w.push(3);
                assert_eq!(*w, [1, 2, 3]);
            }
            assert_eq!(*lock.read(), [1, 2, 3]);
        }
    }

    #[test]
    fn threads_read_and_write_through_every_shard() {
        let lock = ShardedLock::with_shards(0u64, 3);
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        *lock.write() += 1;
                        let seen = *lock.read();
                        assert!(seen >= 1);
                    }
                });
            }
        });
        assert_eq!(*lock.read(), 6000);
    }

    #[test]
    fn a_panicking_writer_leaves_the_value_readable() {
        let lock = ShardedLock::with_shards(String::from("a"), 2);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut w = lock.write();
            w.push('b');
            panic!("writer fails");
        }));
        assert!(result.is_err());
        assert_eq!(*lock.read(), "ab");
        lock.write().push('c');
        assert_eq!(*lock.read(), "abc");
    }
}
