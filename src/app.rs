//! Wiring: clients and caches built once at init, and the request -> route -> response step.

use crate::auth::Caller;
use crate::auth::token::{TokenVerifier, VerifiedIdToken};
use crate::auth::user::UserCheck;
use crate::config::Config;
use crate::error::ApiError;
use crate::identity::{IdentityBroker, IdentityId, ScopedCredentials};
use crate::metrics::CallCounter;
use crate::response::Reply;
use crate::routes::{Limits, Route, files, read_file};
use crate::storage::UserBucket;
use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig};
use aws_smithy_types::error::display::DisplayErrorContext;
use lambda_http::{Body, Request, RequestExt, Response};
use moka::Expiry;
use moka::future::Cache;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How long an IdentityId is kept; the mapping from a user never changes.
const IDENTITY_TTL: Duration = Duration::from_secs(24 * 3600);

/// First retry waits up to this long, doubling after. The SDK's 1 s default lets the backoff of
/// three attempts reach 3 s, the whole default budget: the budget then expires mid-backoff and a
/// failing or throttling upstream is reported as a timeout (504) instead of 502/503.
const RETRY_INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// The SDK configuration the function uses: region, timeouts, retries, endpoint override.
/// Credentials and anything else come from the SDK's usual sources.
pub fn sdk_loader(config: &Config) -> aws_config::ConfigLoader {
    let timeouts = TimeoutConfig::builder()
        .operation_timeout(config.upstream_timeout)
        .connect_timeout(config.connect_timeout)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .timeout_config(timeouts)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(config.max_attempts)
                .with_initial_backoff(RETRY_INITIAL_BACKOFF),
        );
    if let Some(url) = &config.endpoint_url {
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

/// Everything a request needs, built once per Lambda sandbox.
pub struct App {
    pub(crate) config: Config,
    sdk: SdkConfig,
    pub(crate) verifier: TokenVerifier,
    pub(crate) users: UserCheck,
    broker: IdentityBroker,
    /// IdentityId by the verified `sub` of this app's one user pool, as GetId answered it or as
    /// Cognito accepted it for the token (GetCredentialsForIdentity with the attested signer).
    identities: Cache<String, IdentityId>,
    /// (`sub`, attested signer) pairs Cognito accepted; first requests of one pair share one
    /// GetCredentialsForIdentity.
    confirmed_signers: Cache<(String, IdentityId), ()>,
    /// Each identity's S3 client, dropped a safety margin before its keys expire.
    buckets: Cache<IdentityId, Arc<UserBucket>>,
    counter: CallCounter,
}

/// Error raised when the function cannot start.
pub type InitError = Box<dyn std::error::Error + Send + Sync>;

impl App {
    /// Reads the environment and builds the app; fails naming the variable at fault.
    pub async fn from_env() -> Result<Self, InitError> {
        let config = Config::from_env()?;
        let sdk = sdk_loader(&config).load().await;
        Self::new(config, sdk)
    }

    /// Builds the app from a parsed configuration and a loaded SDK configuration.
    pub fn new(config: Config, sdk: SdkConfig) -> Result<Self, InitError> {
        let counter = CallCounter::default();
        let idp = aws_sdk_cognitoidentityprovider::Client::from_conf(
            aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let identity = aws_sdk_cognitoidentity::Client::from_conf(
            aws_sdk_cognitoidentity::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        );
        // Through the SDK's own HTTP client and timeouts (connect, and the whole call).
        let verifier = TokenVerifier::new(
            &config.issuers(),
            &config.client_ids,
            &config.jwks_url,
            &sdk,
            Some(counter.clone()),
        );
        let users = UserCheck::new(
            idp,
            config.user_pool_id.to_string(),
            config.user_check_ttl,
            config.cache_max_entries,
        );
        let broker = IdentityBroker::new(identity, &config);
        let identities = Cache::builder()
            .max_capacity(config.cache_max_entries)
            .time_to_live(IDENTITY_TTL)
            .build();
        let confirmed_signers = Cache::builder()
            .max_capacity(config.cache_max_entries)
            .time_to_live(IDENTITY_TTL)
            .build();
        let buckets = Cache::builder()
            .max_capacity(config.cache_max_entries)
            .expire_after(UntilKeysExpire {
                margin: config.credentials_margin,
            })
            .build();
        Ok(App {
            config,
            sdk,
            verifier,
            users,
            broker,
            identities,
            confirmed_signers,
            buckets,
            counter,
        })
    }

    /// Upstream calls this app has made so far.
    pub fn upstream_calls(&self) -> &CallCounter {
        &self.counter
    }

    /// Answers one HTTP request; never fails, every error becomes a JSON response.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let started = Instant::now();
        let limits = Limits {
            max_upload_bytes: self.config.max_upload_bytes,
            max_presigned_upload_bytes: self.config.max_presigned_upload_bytes,
        };
        let route = Route::of(&req, limits);
        let route_name = route.as_ref().map_or("unknown", Route::name);
        let outcome = match route {
            Ok(route) => {
                // Answer before Lambda's own timeout would cut the request off with no JSON at all.
                // Boxed: the use cases' state is large in debug builds, and whoever awaits
                // `handle` (a test, a bench) would otherwise carry it on its own stack.
                let run = Box::pin(self.run(&route, &req));
                tokio::time::timeout(self.config.request_timeout, run)
                    .await
                    .unwrap_or_else(|_| Err(Arc::new(ApiError::OutOfTime)))
            }
            Err(err) => Err(Arc::new(err)),
        };
        let (mut response, identity) = match outcome {
            Ok((reply, identity)) => (reply.into_response(), Some(identity)),
            Err(err) => {
                log_cause(&err);
                (err.to_response(), None)
            }
        };
        if let Some(origin) = &self.config.allowed_origin
            && let Ok(value) = origin.parse()
        {
            response
                .headers_mut()
                .insert("access-control-allow-origin", value);
        }
        let request_id = req.lambda_context_ref().map(|c| c.request_id.as_str());
        tracing::info!(
            request_id,
            route = route_name,
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            identity_id = identity.as_ref().map(IdentityId::as_str),
            "request"
        );
        response
    }

    /// Authenticates the caller, then runs the route's use case.
    async fn run(
        &self,
        route: &Route<'_>,
        req: &Request,
    ) -> Result<(Reply, IdentityId), Arc<ApiError>> {
        let caller = Caller::authenticate(self, req).await?;
        let reply = match route {
            Route::ReadFile => read_file::handle(&caller).await,
            Route::ListFiles(query) => files::list(&caller, query).await,
            Route::GetFile(name, expires_in) => files::get(&caller, name, *expires_in).await,
            Route::PutFile(name, upload) => files::put(&caller, name, upload).await,
            Route::DeleteFile(name) => files::delete(&caller, name).await,
            Route::CreateUploadUrl(ask) => files::create_upload_url(&caller, ask).await,
        }?;
        Ok((reply, caller.identity().clone()))
    }

    /// The user's IdentityId if this sandbox has already asked Cognito for it.
    pub(crate) async fn cached_identity(&self, token: &VerifiedIdToken) -> Option<IdentityId> {
        self.identities.get(token.sub()).await
    }

    /// The user's IdentityId; one GetId per user however many requests arrive at once.
    pub(crate) async fn identity(
        &self,
        token: &VerifiedIdToken,
    ) -> Result<IdentityId, Arc<ApiError>> {
        self.identities
            .try_get_with_by_ref(token.sub(), self.broker.identity_id(token))
            .await
    }

    /// An S3 client holding the identity's own keys, exchanged once and reused until near expiry.
    /// An identity not yet `confirmed` for the token (the attested signer, first seen with this
    /// `sub`) is first put to Cognito: a cached client of that identity must never serve a token
    /// Cognito has not matched to it.
    pub(crate) async fn bucket(
        &self,
        id: &IdentityId,
        confirmed: bool,
        token: &VerifiedIdToken,
    ) -> Result<Arc<UserBucket>, Arc<ApiError>> {
        if !confirmed {
            self.confirm_signer(id, token).await?;
        }
        self.buckets
            .try_get_with_by_ref(id, async {
                let creds = self.broker.credentials(id, token).await?;
                Ok(self.user_bucket(id, creds))
            })
            .await
    }

    /// Has Cognito match the token to the signer API Gateway attested, in the exchange itself
    /// (GetCredentialsForIdentity refuses a token of another identity), instead of asking GetId.
    /// Once accepted, the pair is remembered, the keys cached and the `sub` mapped to the signer;
    /// a refusal is not remembered.
    async fn confirm_signer(
        &self,
        signer: &IdentityId,
        token: &VerifiedIdToken,
    ) -> Result<(), Arc<ApiError>> {
        let pair = (token.sub().to_owned(), signer.clone());
        self.confirmed_signers
            .try_get_with(pair, async {
                let creds = self.broker.credentials_for_signer(signer, token).await?;
                self.buckets
                    .insert(signer.clone(), self.user_bucket(signer, creds))
                    .await;
                self.identities
                    .insert(token.sub().to_owned(), signer.clone())
                    .await;
                Ok::<_, ApiError>(())
            })
            .await
    }

    fn user_bucket(&self, id: &IdentityId, creds: ScopedCredentials) -> Arc<UserBucket> {
        Arc::new(UserBucket::new(
            &self.sdk,
            self.config.s3_path_style,
            (&self.config.bucket, &self.config.prefix),
            id.clone(),
            creds,
            Some(self.counter.clone()),
        ))
    }
}

impl App {
    /// Runs `op` with the identity's S3 client. When S3 refuses the keys as expired or unknown,
    /// the cached client is dropped, the token exchanged for fresh keys once, and `op` run again:
    /// a dead entry must not keep failing requests until it would have expired.
    /// `confirmed`: see [`App::bucket`].
    pub(crate) async fn with_bucket<T, F, Fut>(
        &self,
        id: &IdentityId,
        confirmed: bool,
        token: &VerifiedIdToken,
        op: &F,
    ) -> Result<T, Arc<ApiError>>
    where
        F: Fn(Arc<UserBucket>) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let bucket = self.bucket(id, confirmed, token).await?;
        match op(bucket).await {
            Err(ApiError::StaleCredentials { .. }) => {
                tracing::info!(identity_id = %id, "S3 refused the cached keys; exchanging again");
                self.buckets.invalidate(id).await;
                // The first exchange matched the identity to the token; this one needs no check.
                let bucket = self.bucket(id, true, token).await?;
                op(bucket).await.map_err(Arc::new)
            }
            other => other.map_err(Arc::new),
        }
    }

    /// Forgets the token's IdentityId after the identity pool said it no longer knows it.
    pub(crate) async fn forget_identity(&self, token: &VerifiedIdToken) {
        self.identities.invalidate(token.sub()).await;
    }
}

/// Per-entry expiry of cached S3 clients: `margin` before their keys expire.
struct UntilKeysExpire {
    margin: Duration,
}

impl Expiry<IdentityId, Arc<UserBucket>> for UntilKeysExpire {
    fn expire_after_create(
        &self,
        _key: &IdentityId,
        value: &Arc<UserBucket>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        let left = value
            .expires_at()
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        Some(left.saturating_sub(self.margin))
    }
}

fn log_cause(err: &ApiError) {
    use ApiError::*;
    let (upstream, source) = match err {
        Unavailable { upstream, source }
        | Upstream { upstream, source }
        | StaleCredentials { upstream, source }
        | Misconfigured { upstream, source } => (*upstream, source),
        UnknownIdentity { source } => (crate::error::Upstream::IdentityPool, source),
        _ => {
            tracing::debug!(code = err.code(), "request refused");
            return;
        }
    };
    let cause = DisplayErrorContext(source.as_ref());
    if matches!(err, Misconfigured { .. } | UnknownIdentity { .. }) {
        tracing::error!(code = err.code(), %upstream, cause = %cause, "configuration problem");
    } else {
        tracing::warn!(code = err.code(), %upstream, cause = %cause, "upstream failure");
    }
}
