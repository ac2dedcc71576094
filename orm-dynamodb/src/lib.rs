#![doc = include_str!("../README.md")]
// The README's links into feature-gated modules: the items with the feature on, the README's
// "Features" section without it, so that the docs of every feature set are free of broken links.
#![doc = ""]
#![cfg_attr(feature = "testing", doc = "[local_backend]: testing::local_backend")]
#![cfg_attr(feature = "testing", doc = "[TestTable]: testing::TestTable")]
#![cfg_attr(
    not(feature = "testing"),
    doc = "[local_backend]: #features \"needs feature `testing`\""
)]
#![cfg_attr(
    not(feature = "testing"),
    doc = "[TestTable]: #features \"needs feature `testing`\""
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod backend;
pub mod convert;
mod dynamodb_streams;
mod error_map;
mod item_reader;
pub mod render;
mod request;
mod schema;
#[cfg(feature = "streams")]
#[cfg_attr(docsrs, doc(cfg(feature = "streams")))]
pub mod streams;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

/// The aws-sdk-dynamodb crate this backend is built on, re-exported so that code handing it a
/// [`Client`] (or reading [`DynamoBackend::client`]) uses the same version without naming it in
/// its own `Cargo.toml`: `orm_dynamodb::aws_sdk_dynamodb::Client`.
pub use aws_sdk_dynamodb;
/// The aws-sdk-dynamodbstreams crate the backend reads streams with (see
/// [`DynamoBackend::streams_client`]).
pub use aws_sdk_dynamodbstreams;

use aws_sdk_dynamodb::config::retry::{RetryConfig, RetryMode};
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::Client;
use orm_core::backend::Capabilities;
use orm_core::error::Result;
use std::fmt;
use std::sync::Arc;

/// The environment variable naming an endpoint that overrides the default one
/// ([`DynamoBackend::from_env`]), e.g. `http://127.0.0.1:8000` for DynamoDB Local.
pub const ENDPOINT_ENV: &str = "DYNAMODB_ENDPOINT";

/// orm-core's backend on Amazon DynamoDB (or DynamoDB Local).
///
/// Cheap to clone: clones share the SDK client (and its connection pool).
///
/// # Retries
///
/// Two layers retry, and they never multiply:
/// - `BatchWriteItem` / `BatchGetItem` are retried by orm-core's batch loop only
///   ([`orm_core::batch::BatchConfig`]: `max_attempts`, exponential backoff with full jitter),
///   which also resends what DynamoDB left unprocessed. The backend sends them with the SDK's
///   retries turned off (one attempt per call of the loop; an adaptive mode's client-side rate
///   limiting still applies), so a throttled chunk costs at most `BatchConfig::max_attempts`
///   requests.
/// - Every other operation is retried by the SDK alone, as its [`RetryConfig`] says (default:
///   standard mode, 3 attempts in all); orm-core does not retry them.
///
/// [`DynamoBackendBuilder::retry_config`] / [`DynamoBackendBuilder::max_attempts`] /
/// [`DynamoBackendBuilder::retry_mode`] set the SDK side, [`DynamoBackendBuilder::timeout_config`]
/// its timeouts (per attempt and per operation, including the retries):
///
/// ```no_run
/// # async fn demo() -> orm_core::Result<()> {
/// use aws_sdk_dynamodb::config::retry::RetryMode;
/// use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
/// use std::time::Duration;
///
/// let backend = orm_dynamodb::DynamoBackend::builder()
///     .retry_mode(RetryMode::Adaptive) // client-side rate limiting after throttling
///     .max_attempts(5) // in all, the first try included; 1 turns the SDK's retries off
///     .timeout_config(
///         TimeoutConfig::builder()
///             .operation_attempt_timeout(Duration::from_secs(2))
///             .operation_timeout(Duration::from_secs(10)) // all attempts of one call
///             .build(),
///     )
///     .build()
///     .await?;
/// // Batches: at most `BatchConfig::max_attempts` requests per chunk (default 10);
/// // any other call: at most 5.
/// # drop(backend); Ok(()) }
/// ```
///
/// # Streams
///
/// Table streams are read with DynamoDB Streams' own client
/// ([`DynamoBackend::streams_client`]), configured as the DynamoDB client is: same region,
/// credentials (the same aws-config chain, or the same static keys), HTTP client, retries and
/// timeouts, and the endpoint given to [`DynamoBackendBuilder::endpoint_url`] (DynamoDB Local
/// serves both on one endpoint). The SDK does not let a client's credentials or endpoint be read
/// back, so a backend made with [`DynamoBackend::new`] from a client of your own reads streams
/// with the aws-config default credentials, at the region's DynamoDB Streams endpoint: for
/// another endpoint or other credentials, give them to the builder
/// (`DynamoBackend::builder().client(c).endpoint_url(url).credentials(..)`) or hand it a
/// streams client ([`DynamoBackendBuilder::streams_client`]).
#[derive(Clone)]
pub struct DynamoBackend {
    client: Client,
    /// The same client with the SDK's retries off: batch calls, which orm-core retries.
    batch_client: Client,
    /// DynamoDB Streams, for the change feed: made by the builder, or, for a backend made from
    /// a bare DynamoDB client, on first use.
    streams_client: Arc<tokio::sync::OnceCell<aws_sdk_dynamodbstreams::Client>>,
    table_prefix: Arc<str>,
    /// What the service behind the client can do.
    capabilities: Capabilities,
}

impl fmt::Debug for DynamoBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoBackend")
            .field("table_prefix", &self.table_prefix)
            .field("region", &self.client.config().region())
            .field("retry", &self.client.config().retry_config())
            .finish_non_exhaustive()
    }
}

impl DynamoBackend {
    /// A backend on this SDK client (no table prefix).
    pub fn new(client: Client) -> DynamoBackend {
        DynamoBackend::builder().assemble(client)
    }

    /// Same as [`DynamoBackend::new`].
    pub fn from_client(client: Client) -> DynamoBackend {
        DynamoBackend::new(client)
    }

    /// A backend configured from the environment: the aws-config default chain for region and
    /// credentials, and [`ENDPOINT_ENV`] (`DYNAMODB_ENDPOINT`), when set, as the endpoint.
    pub async fn from_env() -> Result<DynamoBackend> {
        let mut builder = DynamoBackend::builder();
        if let Some(endpoint) = std::env::var(ENDPOINT_ENV).ok().filter(|e| !e.is_empty()) {
            builder = builder.endpoint_url(endpoint);
        }
        builder.build().await
    }

    /// A builder for every setting.
    pub fn builder() -> DynamoBackendBuilder {
        DynamoBackendBuilder::default()
    }

    /// The SDK client, for anything this crate does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The client batch calls go through: [`DynamoBackend::client`] with one attempt per call,
    /// since orm-core's batch loop does the retrying (see [Retries](DynamoBackend#retries)).
    pub(crate) fn batch_client(&self) -> &Client {
        &self.batch_client
    }

    /// The DynamoDB Streams client stream reads go through (see [Streams](DynamoBackend#streams)).
    pub async fn streams_client(&self) -> &aws_sdk_dynamodbstreams::Client {
        self.streams().await
    }

    /// The streams client, made on first use when the backend was made from a bare client.
    pub(crate) async fn streams(&self) -> &aws_sdk_dynamodbstreams::Client {
        self.streams_client
            .get_or_init(|| dynamodb_streams::default_streams_client(&self.client))
            .await
    }

    /// The prefix prepended to every table name sent to DynamoDB.
    pub fn table_prefix(&self) -> &str {
        &self.table_prefix
    }

    /// The table name sent to DynamoDB for the table the caller calls `name`.
    pub fn table_name(&self, name: &str) -> String {
        let mut full = String::with_capacity(self.table_prefix.len() + name.len());
        full.push_str(&self.table_prefix);
        full.push_str(name);
        full
    }
}

/// Builds a [`DynamoBackend`]; every constructor goes through it.
#[derive(Default)]
pub struct DynamoBackendBuilder {
    client: Option<Client>,
    endpoint_url: Option<String>,
    region: Option<String>,
    credentials: Option<(String, String)>,
    table_prefix: String,
    retry: Option<RetryConfig>,
    timeouts: Option<TimeoutConfig>,
    streams_client: Option<aws_sdk_dynamodbstreams::Client>,
    capabilities: Option<Capabilities>,
}

impl fmt::Debug for DynamoBackendBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoBackendBuilder")
            .field("client", &self.client.is_some())
            .field("endpoint_url", &self.endpoint_url)
            .field("region", &self.region)
            .field("credentials", &self.credentials.as_ref().map(|_| "<set>"))
            .field("table_prefix", &self.table_prefix)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("streams_client", &self.streams_client.is_some())
            .field("capabilities", &self.capabilities)
            .finish()
    }
}

impl DynamoBackendBuilder {
    /// Start from this SDK client; endpoint, region and credentials set on the builder are
    /// applied on top of its configuration.
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Send requests to this endpoint (`http://127.0.0.1:8000` for DynamoDB Local).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Use this region (default: the aws-config chain; `us-east-1` with an explicit endpoint
    /// when the chain finds none).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Use these static credentials instead of the aws-config chain (for local testing).
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.credentials = Some((access_key_id.into(), secret_access_key.into()));
        self
    }

    /// Prepend this to every table name sent to DynamoDB (`test_` turns `app` into
    /// `test_app`); tables are still named without it in requests, answers and errors.
    pub fn table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.table_prefix = prefix.into();
        self
    }

    /// The SDK's retry configuration for every operation but the batch calls (which orm-core
    /// retries; see [Retries](DynamoBackend#retries)). Default: the client's or the aws-config
    /// chain's, i.e. standard mode with 3 attempts in all unless `AWS_MAX_ATTEMPTS` /
    /// `AWS_RETRY_MODE` or the profile say otherwise.
    ///
    /// ```
    /// use aws_sdk_dynamodb::config::retry::RetryConfig;
    /// use std::time::Duration;
    /// let builder = orm_dynamodb::DynamoBackend::builder().retry_config(
    ///     RetryConfig::adaptive()
    ///         .with_max_attempts(5)
    ///         .with_initial_backoff(Duration::from_millis(50)),
    /// );
    /// # drop(builder);
    /// ```
    pub fn retry_config(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// How many attempts in all (first try included) the SDK makes for an operation other than
    /// the batch calls; `1` turns its retries off. Keeps the mode and backoff already set.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        let retry = self.retry.take().unwrap_or_else(RetryConfig::standard);
        self.retry = Some(retry.with_max_attempts(attempts));
        self
    }

    /// The SDK's retry mode: `Standard` (exponential backoff) or `Adaptive` (also rate-limits
    /// the client after throttling). Keeps the attempts and backoff already set.
    pub fn retry_mode(mut self, mode: RetryMode) -> Self {
        let retry = self.retry.take().unwrap_or_else(RetryConfig::standard);
        self.retry = Some(retry.with_retry_mode(mode));
        self
    }

    /// The SDK's timeouts: connect, per attempt, and per operation (all of its attempts).
    ///
    /// ```
    /// use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
    /// use std::time::Duration;
    /// let builder = orm_dynamodb::DynamoBackend::builder().timeout_config(
    ///     TimeoutConfig::builder()
    ///         .connect_timeout(Duration::from_secs(1))
    ///         .operation_attempt_timeout(Duration::from_secs(2))
    ///         .operation_timeout(Duration::from_secs(10))
    ///         .build(),
    /// );
    /// # drop(builder);
    /// ```
    pub fn timeout_config(mut self, timeouts: TimeoutConfig) -> Self {
        self.timeouts = Some(timeouts);
        self
    }

    /// Read streams with this DynamoDB Streams client (default: one configured as the DynamoDB
    /// client; see [Streams](DynamoBackend#streams)).
    pub fn streams_client(mut self, client: aws_sdk_dynamodbstreams::Client) -> Self {
        self.streams_client = Some(client);
        self
    }

    /// What the service at the endpoint can do, when it is not DynamoDB itself: DynamoDB
    /// Local, for one, differs from DynamoDB in a few answers (`exact_dynamodb: false`; the
    /// `testing` fixture sets this). Default: DynamoDB's, with `shared_storage`.
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = Some(capabilities);
        self
    }

    /// Builds the backend, loading the aws-config chain unless a client was given.
    pub async fn build(mut self) -> Result<DynamoBackend> {
        let mut has_region = self.region.is_some();
        // Where the streams client's credentials come from (see `streams_config`).
        let mut streams_base = None;
        let mut config = match &self.client {
            Some(client) => {
                has_region |= client.config().region().is_some();
                client.config().to_builder()
            }
            None => {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(region) = &self.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                if let Some((key, secret)) = &self.credentials {
                    loader = loader.credentials_provider(static_credentials(key, secret));
                }
                let sdk = loader.load().await;
                has_region |= sdk.region().is_some();
                streams_base = Some(aws_sdk_dynamodbstreams::config::Builder::from(&sdk));
                aws_sdk_dynamodb::config::Builder::from(&sdk)
            }
        };
        if let Some(region) = &self.region {
            config.set_region(Some(Region::new(region.clone())));
        }
        if let Some((key, secret)) = &self.credentials {
            config = config.credentials_provider(static_credentials(key, secret));
        }
        if let Some(url) = &self.endpoint_url {
            config.set_endpoint_url(Some(url.clone()));
            if !has_region {
                config.set_region(Some(Region::from_static("us-east-1")));
            }
        }
        if let Some(retry) = &self.retry {
            config.set_retry_config(Some(retry.clone()));
        }
        if let Some(timeouts) = &self.timeouts {
            config.set_timeout_config(Some(timeouts.clone()));
        }
        let client = Client::from_conf(config.build());
        if let Some((key, secret)) = &self.credentials {
            let base = streams_base.get_or_insert_with(aws_sdk_dynamodbstreams::Config::builder);
            base.set_credentials_provider(Some(
                aws_sdk_dynamodbstreams::config::SharedCredentialsProvider::new(
                    static_credentials(key, secret),
                ),
            ));
        }
        let streams = match (self.streams_client.take(), streams_base) {
            (Some(streams), _) => Some(streams),
            (None, Some(base)) => Some(dynamodb_streams::streams_config(
                base,
                &client,
                self.endpoint_url.as_deref(),
            )),
            // A client of the caller's own, no keys: the default chain, on first use.
            (None, None) => None,
        };
        let mut backend = self.assemble(client);
        if let Some(streams) = streams {
            backend.streams_client = Arc::new(tokio::sync::OnceCell::new_with(Some(streams)));
        }
        Ok(backend)
    }

    /// The one place a backend is put together.
    fn assemble(self, client: Client) -> DynamoBackend {
        let retry = client
            .config()
            .retry_config()
            .cloned()
            .unwrap_or_else(RetryConfig::standard);
        let batch_config = client
            .config()
            .to_builder()
            .retry_config(retry.with_max_attempts(1))
            .build();
        DynamoBackend {
            batch_client: Client::from_conf(batch_config),
            streams_client: Arc::new(tokio::sync::OnceCell::new()),
            client,
            table_prefix: Arc::from(self.table_prefix),
            capabilities: self.capabilities.unwrap_or_else(dynamodb_capabilities),
        }
    }
}

/// DynamoDB's capabilities: everything (streams included), on storage shared by every client.
fn dynamodb_capabilities() -> Capabilities {
    Capabilities {
        shared_storage: true,
        streams: true,
        ..Capabilities::default()
    }
}

fn static_credentials(key: &str, secret: &str) -> Credentials {
    Credentials::new(key, secret, None, None, "orm-dynamodb")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn builder_applies_settings() {
        let backend = DynamoBackend::builder()
            .endpoint_url("http://127.0.0.1:1")
            .credentials("a", "b")
            .table_prefix("pre_")
            .build()
            .await
            .unwrap();
        assert_eq!(backend.table_prefix(), "pre_");
        assert_eq!(backend.table_name("app"), "pre_app");
        assert!(backend.client().config().region().is_some());
        let again = DynamoBackend::from_client(backend.client().clone());
        assert_eq!(again.table_prefix(), "");
        assert_eq!(again.table_name("app"), "app");
        let dbg = format!("{backend:?}");
        assert!(dbg.contains("pre_"), "{dbg}");
        let b = DynamoBackend::builder().credentials("secret-key", "secret");
        assert!(!format!("{b:?}").contains("secret"));
    }

    #[tokio::test]
    async fn builder_over_a_client_keeps_its_config() {
        let base = DynamoBackend::builder()
            .region("eu-west-1")
            .credentials("a", "b")
            .build()
            .await
            .unwrap();
        let b = DynamoBackend::builder()
            .client(base.client().clone())
            .table_prefix("x_")
            .build()
            .await
            .unwrap();
        assert_eq!(
            b.client().config().region().map(|r| r.as_ref()),
            Some("eu-west-1")
        );
        assert_eq!(b.table_prefix(), "x_");
    }

    #[tokio::test]
    async fn builder_sets_the_sdk_retry_and_timeout_config() {
        use std::time::Duration;
        let backend = DynamoBackend::builder()
            .endpoint_url("http://127.0.0.1:1")
            .credentials("a", "b")
            .retry_mode(RetryMode::Adaptive)
            .max_attempts(5)
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(Duration::from_secs(2))
                    .build(),
            )
            .build()
            .await
            .unwrap();
        let retry = backend.client().config().retry_config().unwrap();
        assert_eq!(retry.mode(), RetryMode::Adaptive);
        assert_eq!(retry.max_attempts(), 5);
        let timeouts = backend.client().config().timeout_config().unwrap();
        assert_eq!(
            timeouts.operation_attempt_timeout(),
            Some(Duration::from_secs(2))
        );
        // Batch calls: one attempt per call of orm-core's loop, the mode kept.
        let batch = backend.batch_client().config().retry_config().unwrap();
        assert_eq!(
            (batch.mode(), batch.max_attempts()),
            (RetryMode::Adaptive, 1)
        );
        // Over a user's client, its retry config is the starting point.
        let over = DynamoBackend::new(backend.client().clone());
        let batch = over.batch_client().config().retry_config().unwrap();
        assert_eq!(batch.max_attempts(), 1);
        assert_eq!(
            over.client()
                .config()
                .retry_config()
                .unwrap()
                .max_attempts(),
            5
        );
    }

    #[test]
    fn capabilities_are_dynamodb_s() {
        use orm_core::Backend;
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(Region::from_static("us-east-1"))
            .build();
        let b = DynamoBackend::new(Client::from_conf(conf));
        let caps = b.capabilities();
        assert!(caps.shared_storage && caps.transactions && caps.ttl && caps.streams);
        assert!(caps.exact_dynamodb);
        assert_eq!(caps.limits.max_batch_write, 25);
        let local = DynamoBackend::builder()
            .capabilities(Capabilities {
                exact_dynamodb: false,
                ..dynamodb_capabilities()
            })
            .assemble(b.client().clone());
        assert!(!local.capabilities().exact_dynamodb);
    }
}
