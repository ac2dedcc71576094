#![doc = include_str!("../README.md")]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod backend;
pub mod convert;
pub mod errors;
pub mod render;
#[cfg(feature = "streams")]
pub mod streams;
pub mod table;
#[cfg(feature = "testing")]
pub mod testing;

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::Client;
use orm_core::error::Result;
use std::fmt;
use std::sync::Arc;

/// The environment variable naming an endpoint that overrides the default one
/// ([`DynamoBackend::from_env`]), e.g. `http://127.0.0.1:8000` for DynamoDB Local.
pub const ENDPOINT_ENV: &str = "DYNAMODB_ENDPOINT";

/// orm-core's backend on Amazon DynamoDB (or DynamoDB Local).
///
/// Cheap to clone: clones share the SDK client (and its connection pool).
#[derive(Clone)]
pub struct DynamoBackend {
    client: Client,
    table_prefix: Arc<str>,
    /// Keeps alive whatever serves the endpoint (a DynamoDB Local child process in tests).
    keepalive: Option<Arc<dyn fmt::Debug + Send + Sync>>,
}

impl fmt::Debug for DynamoBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoBackend")
            .field("table_prefix", &self.table_prefix)
            .field("region", &self.client.config().region())
            .field("keepalive", &self.keepalive)
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

    #[cfg(feature = "testing")]
    pub(crate) fn with_keepalive(mut self, keepalive: Arc<dyn fmt::Debug + Send + Sync>) -> Self {
        self.keepalive = Some(keepalive);
        self
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
}

impl fmt::Debug for DynamoBackendBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoBackendBuilder")
            .field("client", &self.client.is_some())
            .field("endpoint_url", &self.endpoint_url)
            .field("region", &self.region)
            .field("credentials", &self.credentials.as_ref().map(|_| "<set>"))
            .field("table_prefix", &self.table_prefix)
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

    /// Builds the backend, loading the aws-config chain unless a client was given.
    pub async fn build(self) -> Result<DynamoBackend> {
        let mut has_region = self.region.is_some();
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
        let client = Client::from_conf(config.build());
        Ok(self.assemble(client))
    }

    /// The one place a backend is put together.
    fn assemble(self, client: Client) -> DynamoBackend {
        DynamoBackend {
            client,
            table_prefix: Arc::from(self.table_prefix),
            keepalive: None,
        }
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

    #[test]
    fn capabilities_are_dynamodb_s() {
        use orm_core::Backend;
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(Region::from_static("us-east-1"))
            .build();
        let b = DynamoBackend::new(Client::from_conf(conf));
        let caps = b.capabilities();
        assert!(caps.shared_storage && caps.transactions && caps.ttl);
        assert_eq!(caps.limits.max_batch_write, 25);
    }
}
