//! [`BackendLayer`]: the forwarding base of a backend wrapper, so that a layer (fault injection,
//! tracing, an interfering test double) states only the calls it changes.
//!
//! A layer names the backend it wraps ([`BackendLayer::inner`]); every method it does not write
//! forwards to that backend, and every type that is a `BackendLayer` is a [`Backend`]. It is the
//! shape of opendal's `LayeredAccess`. Adding a method to [`Backend`] means adding it to the list
//! at the bottom of this file (under `borrowed`, or `owned` for a request taken by value): the
//! blanket `impl Backend for L` does not compile until it is there.

use super::*;
use crate::error::Result;
use crate::value::Item;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The future a [`Backend`] method returns: what `#[async_trait]` makes of an `async fn`.
pub type BackendFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// Declares [`BackendLayer`] (each method forwarding to the inner backend by default), implements
/// [`Backend`] for every layer and for `Arc<B>`, from one list of the trait's async methods.
macro_rules! backend_layer {
    (
        borrowed {$(
            $(#[$doc:meta])*
            fn $name:ident(&self, $arg:ident: &$arg_type:ty) -> $output:ty;
        )*}
        owned {$(
            $(#[$odoc:meta])*
            fn $oname:ident(&self, $oarg:ident: $oarg_type:ty) -> $ooutput:ty;
        )*}
    ) => {
        /// A [`Backend`] wrapped around another: every call it does not override goes to
        /// [`inner`](BackendLayer::inner) unchanged (and without another allocation), and every
        /// `BackendLayer` is a `Backend`. A layer states only what it changes.
        ///
        /// Override a method with `#[async_trait]` and `async fn`, as on [`Backend`]:
        ///
        /// ```
        /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
        /// use orm_core::backend::{async_trait, Backend, BackendLayer, PutItem};
        /// use orm_core::{Item, Model, ModelExt, Result, Table};
        /// use orm_memory::MemoryBackend;
        /// use serde::{Deserialize, Serialize};
        /// use std::sync::atomic::{AtomicUsize, Ordering};
        /// use std::sync::Arc;
        ///
        /// /// Counts the puts that reach the backend; everything else passes through.
        /// #[derive(Debug)]
        /// struct CountPuts<B> {
        ///     inner: B,
        ///     puts: Arc<AtomicUsize>,
        /// }
        ///
        /// #[async_trait]
        /// impl<B: Backend> BackendLayer for CountPuts<B> {
        ///     type Inner = B;
        ///     fn inner(&self) -> &B {
        ///         &self.inner
        ///     }
        ///     async fn put_item(&self, request: PutItem) -> Result<Option<Item>> {
        ///         self.puts.fetch_add(1, Ordering::Relaxed);
        ///         self.inner.put_item(request).await
        ///     }
        /// }
        ///
        /// #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
        /// #[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
        /// struct User { id: String }
        ///
        /// let puts = Arc::new(AtomicUsize::new(0));
        /// let table = Table::new(CountPuts { inner: MemoryBackend::new(), puts: puts.clone() }, "app");
        /// table.create_table::<User>().await?;            // forwarded as it is
        /// User { id: "a".into() }.create(&table).await?;  // counted
        /// assert!(User::exists(&table, User::key("a")).await?);
        /// assert_eq!(puts.load(Ordering::Relaxed), 1);
        /// # Ok::<(), orm_core::Error>(()) }).unwrap();
        /// ```
        ///
        /// `Box<B>` is a layer over `B` (so `Box<dyn Backend>` is a backend); `Arc<B>` is a
        /// backend by its own forwarding impl. A type is either a `BackendLayer` or implements
        /// [`Backend`] itself, never both. With this trait and [`Backend`] both imported, call a
        /// layer's (or a `Box`'s) methods through the `Backend` you mean
        /// (`Backend::get_item(&layer, ..)`), as the two traits share the names.
        pub trait BackendLayer: Debug + Send + Sync + 'static {
            /// The backend this layer wraps (`dyn Backend` for a shared `Arc<dyn Backend>`).
            type Inner: Backend + ?Sized;

            /// The backend this layer wraps: where every call it does not override goes.
            fn inner(&self) -> &Self::Inner;

            /// What this backend can do: the inner backend's capabilities unless overridden.
            fn capabilities(&self) -> Capabilities {
                self.inner().capabilities()
            }

            $(
                $(#[$doc])*
                ///
                /// Forwards to the inner backend unless the layer overrides it.
                fn $name<'s, 'r, 'f>(&'s self, $arg: &'r $arg_type) -> BackendFuture<'f, $output>
                where
                    's: 'f,
                    'r: 'f,
                    Self: 'f,
                {
                    self.inner().$name($arg)
                }
            )*

            $(
                $(#[$odoc])*
                ///
                /// Forwards to the inner backend unless the layer overrides it.
                fn $oname<'s, 'f>(&'s self, $oarg: $oarg_type) -> BackendFuture<'f, $ooutput>
                where
                    's: 'f,
                    Self: 'f,
                {
                    self.inner().$oname($oarg)
                }
            )*
        }

        impl<L: BackendLayer> Backend for L {
            fn capabilities(&self) -> Capabilities {
                BackendLayer::capabilities(self)
            }

            $(
                fn $name<'s, 'r, 'f>(&'s self, $arg: &'r $arg_type) -> BackendFuture<'f, $output>
                where
                    's: 'f,
                    'r: 'f,
                    Self: 'f,
                {
                    BackendLayer::$name(self, $arg)
                }
            )*

            $(
                fn $oname<'s, 'f>(&'s self, $oarg: $oarg_type) -> BackendFuture<'f, $ooutput>
                where
                    's: 'f,
                    Self: 'f,
                {
                    BackendLayer::$oname(self, $oarg)
                }
            )*
        }

        /// `Arc<B>` forwards every call to `B` (so `Arc<dyn Backend>` is a backend).
        impl<B: Backend + ?Sized> Backend for Arc<B> {
            fn capabilities(&self) -> Capabilities {
                (**self).capabilities()
            }

            $(
                fn $name<'s, 'r, 'f>(&'s self, $arg: &'r $arg_type) -> BackendFuture<'f, $output>
                where
                    's: 'f,
                    'r: 'f,
                    Self: 'f,
                {
                    (**self).$name($arg)
                }
            )*

            $(
                fn $oname<'s, 'f>(&'s self, $oarg: $oarg_type) -> BackendFuture<'f, $ooutput>
                where
                    's: 'f,
                    Self: 'f,
                {
                    (**self).$oname($oarg)
                }
            )*
        }
    };
}

backend_layer! {
    borrowed {
    /// Creates a table ([`Backend::create_table`]).
    fn create_table(&self, definition: &TableDefinition) -> ();
    /// Describes a table ([`Backend::describe_table`]).
    fn describe_table(&self, name: &str) -> TableDefinition;
    /// Deletes a table ([`Backend::delete_table`]).
    fn delete_table(&self, name: &str) -> ();
    /// Changes a table ([`Backend::update_table`]).
    fn update_table(&self, request: &UpdateTable) -> ();
    /// Reads one item ([`Backend::get_item`]).
    fn get_item(&self, request: &GetItem) -> Option<RawItem>;
    /// Updates one item ([`Backend::update_item`]).
    fn update_item(&self, request: &UpdateItem) -> Option<Item>;
    /// Deletes one item ([`Backend::delete_item`]).
    fn delete_item(&self, request: &DeleteItem) -> Option<Item>;
    /// Reads one page of a query ([`Backend::query`]).
    fn query(&self, request: &QueryRequest) -> QueryOutput;
    /// Reads one page of a scan ([`Backend::scan`]).
    fn scan(&self, request: &ScanRequest) -> QueryOutput;
    /// Reads up to 100 keys ([`Backend::batch_get`]).
    fn batch_get(&self, request: &BatchGet) -> BatchGetOutput;
    /// Reads up to 100 items as one snapshot ([`Backend::transact_get`]).
    fn transact_get(&self, request: &TransactGet) -> Vec<Option<RawItem>>;
    /// Applies up to 100 writes atomically ([`Backend::transact_write`]).
    fn transact_write(&self, request: &TransactWrite) -> ();
    /// Lists streams ([`Backend::list_streams`]).
    fn list_streams(&self, request: &ListStreams) -> ListStreamsOutput;
    /// Describes a stream ([`Backend::describe_stream`]).
    fn describe_stream(&self, request: &DescribeStream) -> StreamDescription;
    /// An iterator on a shard ([`Backend::get_shard_iterator`]).
    fn get_shard_iterator(&self, request: &GetShardIterator) -> String;
    /// Reads stream records ([`Backend::get_records`]).
    fn get_records(&self, request: &GetRecords) -> GetRecordsOutput;
    }
    owned {
    /// Writes one item ([`Backend::put_item`]).
    fn put_item(&self, request: PutItem) -> Option<Item>;
    /// Writes up to 25 items ([`Backend::batch_write`]).
    fn batch_write(&self, request: BatchWrite) -> BatchWriteOutput;
    }
}

/// `Box<B>` forwards every call to `B` (so `Box<dyn Backend>` is a backend). A layer rather than
/// an `impl Backend` of its own: `Box` is a fundamental type, so such an impl would overlap the
/// blanket `impl Backend for L: BackendLayer`.
impl<B: Backend + ?Sized> BackendLayer for Box<B> {
    type Inner = B;

    fn inner(&self) -> &B {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A backend that answers every call with a marker, counting them.
    #[derive(Debug, Default)]
    struct Stub {
        calls: AtomicUsize,
    }

    impl Stub {
        fn answer<T>(&self, what: &str) -> Result<T> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            Err(crate::Error::validation(format!("stub {what}")))
        }
    }

    #[async_trait]
    impl Backend for Stub {
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                parallel_scan: false,
                ..Capabilities::default()
            }
        }
        async fn create_table(&self, _: &TableDefinition) -> Result<()> {
            self.answer("create_table")
        }
        async fn describe_table(&self, _: &str) -> Result<TableDefinition> {
            self.answer("describe_table")
        }
        async fn delete_table(&self, _: &str) -> Result<()> {
            self.answer("delete_table")
        }
        async fn update_table(&self, _: &UpdateTable) -> Result<()> {
            self.answer("update_table")
        }
        async fn get_item(&self, _: &GetItem) -> Result<Option<RawItem>> {
            self.answer("get_item")
        }
        async fn put_item(&self, _: PutItem) -> Result<Option<Item>> {
            self.answer("put_item")
        }
        async fn update_item(&self, _: &UpdateItem) -> Result<Option<Item>> {
            self.answer("update_item")
        }
        async fn delete_item(&self, _: &DeleteItem) -> Result<Option<Item>> {
            self.answer("delete_item")
        }
        async fn query(&self, _: &QueryRequest) -> Result<QueryOutput> {
            self.answer("query")
        }
        async fn scan(&self, _: &ScanRequest) -> Result<QueryOutput> {
            self.answer("scan")
        }
        async fn batch_get(&self, _: &BatchGet) -> Result<BatchGetOutput> {
            self.answer("batch_get")
        }
        async fn batch_write(&self, _: BatchWrite) -> Result<BatchWriteOutput> {
            self.answer("batch_write")
        }
        async fn transact_get(&self, _: &TransactGet) -> Result<Vec<Option<RawItem>>> {
            self.answer("transact_get")
        }
        async fn transact_write(&self, _: &TransactWrite) -> Result<()> {
            self.answer("transact_write")
        }
    }

    /// Overrides one call; the rest must reach the stub.
    #[derive(Debug)]
    struct RefuseDeletes {
        inner: Arc<Stub>,
    }

    #[async_trait]
    impl BackendLayer for RefuseDeletes {
        type Inner = Stub;
        fn inner(&self) -> &Stub {
            &self.inner
        }
        async fn delete_item(&self, _: &DeleteItem) -> Result<Option<Item>> {
            Err(crate::Error::validation("deletes are refused"))
        }
    }

    fn message(result: Result<impl Debug>) -> String {
        match result {
            Err(crate::Error::Validation { message }) => message,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_layer_forwards_what_it_does_not_override() {
        let stub = Arc::new(Stub::default());
        let layer = RefuseDeletes {
            inner: stub.clone(),
        };
        let backend: &dyn Backend = &layer;
        let key: Item = [("pk", Value::from("a"))].into_iter().collect();
        assert!(!backend.capabilities().parallel_scan);
        let definition = TableDefinition::new("t", KeyAttribute::new("pk", KeyType::S), None);
        assert_eq!(
            message(backend.create_table(&definition).await),
            "stub create_table"
        );
        assert_eq!(
            message(backend.describe_table("t").await),
            "stub describe_table"
        );
        assert_eq!(
            message(backend.delete_table("t").await),
            "stub delete_table"
        );
        assert_eq!(
            message(
                backend
                    .update_table(&UpdateTable::new("t").with_deletion_protection(true))
                    .await
            ),
            "stub update_table"
        );
        let get = GetItem::new("t", key.clone());
        assert_eq!(message(backend.get_item(&get).await), "stub get_item");
        let put = PutItem::new("t", key.clone());
        assert_eq!(message(backend.put_item(put).await), "stub put_item");
        let delete = DeleteItem::new("t", key.clone());
        assert_eq!(
            message(backend.delete_item(&delete).await),
            "deletes are refused"
        );
        let batch = BatchWrite::new("t", vec![WriteRequest::Delete(key.clone())]);
        assert_eq!(
            message(backend.batch_write(batch).await),
            "stub batch_write"
        );
        assert_eq!(
            stub.calls.load(Ordering::Relaxed),
            7,
            "the delete never reached it"
        );

        // Box<dyn Backend> forwards everything.
        let boxed: Box<dyn Backend> = Box::new(layer);
        assert_eq!(
            message(Backend::get_item(&boxed, &get).await),
            "stub get_item"
        );
        assert_eq!(
            message(Backend::delete_item(&boxed, &delete).await),
            "deletes are refused"
        );
    }
}
