//! Start-up wiring shared by the function, tests and benchmarks: the SDK configuration.

use crate::config::Config;
use aws_config::{BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig};
use std::time::Duration;

/// First retry waits up to this long, doubling after. The SDK's 1 s default lets the backoff of
/// three attempts reach 3 s, the whole default budget: the budget then expires mid-backoff and a
/// failing or throttling upstream is reported as a timeout (504) instead of 502/503.
const RETRY_INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// The SDK configuration the function uses: region, timeouts, retries, endpoint override, one
/// HTTP client. Credentials and anything else come from the SDK's usual sources.
pub fn sdk_loader(config: &Config) -> aws_config::ConfigLoader {
    loader(&Upstreams {
        region: config.region.clone(),
        endpoint_url: config.endpoint_url.clone(),
        operation_timeout: config.upstream_timeout,
        connect_timeout: config.connect_timeout,
        max_attempts: config.max_attempts,
    })
}

/// Where the AWS services are and how long a call to them may take.
#[derive(Debug, Clone)]
pub struct Upstreams {
    /// `AWS_REGION`.
    pub region: String,
    /// `AWS_ENDPOINT_URL`, if set.
    pub endpoint_url: Option<String>,
    /// Budget for one operation, retries included.
    pub operation_timeout: Duration,
    /// Budget for opening a connection.
    pub connect_timeout: Duration,
    /// Attempts per operation, the first one included.
    pub max_attempts: u32,
}

/// The SDK configuration for `upstreams`: timeouts, retries, endpoint override, one HTTP client.
pub fn loader(upstreams: &Upstreams) -> aws_config::ConfigLoader {
    let timeouts = TimeoutConfig::builder()
        .operation_timeout(upstreams.operation_timeout)
        .connect_timeout(upstreams.connect_timeout)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(upstreams.region.clone()))
        .timeout_config(timeouts)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(upstreams.max_attempts)
                .with_initial_backoff(RETRY_INITIAL_BACKOFF),
        );
    if let Some(url) = &upstreams.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.http_client(shared_http_client())
}

/// One HTTPS client, hence one connection pool and one trust store, for every SDK client built
/// from the configuration. Left unset, the SDK makes a new default client for each service client,
/// so every per-identity S3 client would open its own connections and load the root certificates
/// again. (This client does not read `HTTPS_PROXY`; a Lambda has no proxy.)
fn shared_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build_https()
}
