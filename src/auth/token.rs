//! Verification of Cognito user-pool ID tokens, following awslabs' aws-jwt-verify rules.
//!
//! A token is accepted only when it is a compact JWS signed with RS256 by a key of the configured
//! pool's JWKS (matched by `kid`), issued by that pool, for one of the configured app clients,
//! with `token_use = "id"`, not expired and not used before `nbf`. Nothing in the token chooses
//! where keys come from: `jku`, `x5u`, `jwk`, `x5c` and `crit` headers are refused outright.

use crate::error::{ApiError, Upstream};
use crate::metrics::CallCounter;
use aws_config::SdkConfig;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::result::SdkError;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Largest `idToken` header accepted; Cognito ID tokens are a few KiB.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// An unknown `kid` refetches the JWKS at most this often.
const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// After a failed fetch, the next one waits at least this long.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// A raw ID token whose `Debug` never shows it.
#[derive(Clone)]
pub struct RawIdToken(String);

impl RawIdToken {
    /// The compact token, to pass on to Cognito in a `Logins` map.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RawIdToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawIdToken(<redacted>)")
    }
}

/// An ID token that passed every check; only [`TokenVerifier::verify`] builds one.
#[derive(Debug, Clone)]
pub struct VerifiedIdToken {
    sub: String,
    username: String,
    issued_at: u64,
    raw: RawIdToken,
}

impl VerifiedIdToken {
    /// The user's immutable id in the pool (`sub`).
    pub fn sub(&self) -> &str {
        &self.sub
    }
    /// The pool username (`cognito:username`), what AdminGetUser takes.
    pub fn username(&self) -> &str {
        &self.username
    }
    /// The token itself, for Cognito's exchange.
    pub fn raw(&self) -> &RawIdToken {
        &self.raw
    }
    /// When the token was issued (`iat`, Unix seconds; 0 when the claim is missing, which makes
    /// the token older than any sign-out).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// The signature's bytes (the JWS's third part, decoded): known only to whoever holds the
    /// token, so a key derived from them opens what was sealed for this very token.
    pub fn signature(&self) -> Vec<u8> {
        use base64::Engine;
        let signature = self.raw.0.rsplit('.').next().unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .unwrap_or_default()
    }

    /// A token of user `sub` that no verifier checked, for unit tests of what comes after.
    #[cfg(test)]
    pub(crate) fn for_tests(sub: &str, raw: &str) -> Self {
        VerifiedIdToken {
            sub: sub.to_owned(),
            username: sub.to_owned(),
            issued_at: unix_now(),
            raw: RawIdToken(raw.to_owned()),
        }
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(rename = "cognito:username")]
    username: String,
    token_use: String,
    exp: u64,
    #[serde(default)]
    iat: Option<u64>,
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    last_attempt: Option<Instant>,
    last_ok: bool,
}

/// `GET` of the JWKS as one operation of the SDK's own runtime: the HTTP client, connection
/// pool, TLS stack, timeouts and sleep of `sdk`, no retries (the refetch interval is the policy),
/// no signing. Its attempts are counted as `jwks:GetSigningKeys`.
type JwksFetch = Operation<(), Vec<u8>, JwksStatus>;

/// A JWKS answer that is not a success.
#[derive(Debug, thiserror::Error)]
#[error("the JWKS endpoint answered HTTP {0}")]
struct JwksStatus(u16);

fn jwks_fetch(jwks_url: &str, sdk: &SdkConfig, counter: Option<CallCounter>) -> JwksFetch {
    // The orchestrator takes an endpoint (scheme and authority) and a request path.
    let after_scheme = jwks_url.find("://").map_or(0, |i| i + 3);
    let (endpoint, path) = match jwks_url[after_scheme..].find('/') {
        Some(i) => jwks_url.split_at(after_scheme + i),
        None => (jwks_url, "/"),
    };
    let path = path.to_owned();
    let mut op = Operation::builder()
        .service_name("jwks")
        .operation_name("GetSigningKeys")
        .endpoint_url(endpoint)
        .no_auth()
        .no_retry()
        .timeout_config(
            sdk.timeout_config()
                .cloned()
                .unwrap_or_else(|| aws_config::timeout::TimeoutConfig::builder().build()),
        );
    if let Some(http) = sdk.http_client() {
        op = op.http_client(http);
    }
    if let Some(sleep) = sdk.sleep_impl() {
        op = op.sleep_impl(sleep);
    }
    if let Some(time) = sdk.time_source() {
        op = op.time_source(time);
    }
    if let Some(version) = sdk.behavior_version() {
        op = op.behavior_version(version);
    }
    if let Some(counter) = counter {
        op = op.interceptor(counter);
    }
    op.serializer(move |()| {
        let mut request = HttpRequest::empty();
        request.set_uri(path.as_str())?;
        Ok(request)
    })
    .deserializer(|response: &HttpResponse| {
        let status = response.status();
        if !status.is_success() {
            return Err(OrchestratorError::operation(JwksStatus(status.as_u16())));
        }
        let body = response.body().bytes().unwrap_or_default();
        Ok(body.to_vec())
    })
    .build()
}

/// Verifies ID tokens of one user pool; holds that pool's keys, fetched once and cached.
pub struct TokenVerifier {
    validation: Validation,
    /// `None` for a verifier with fixed keys.
    fetch: Option<JwksFetch>,
    cache: RwLock<KeyCache>,
    fetch_lock: Mutex<()>,
}

impl TokenVerifier {
    /// A verifier for tokens from any of `issuers` and any of `client_ids`, with keys at
    /// `jwks_url`, fetched through `sdk`'s HTTP client; fetches are counted in `counter`.
    pub fn new(
        issuers: &[String],
        client_ids: &[String],
        jwks_url: &str,
        sdk: &SdkConfig,
        counter: Option<CallCounter>,
    ) -> Self {
        let mut verifier = Self::without_keys(issuers, client_ids);
        verifier.fetch = Some(jwks_fetch(jwks_url, sdk, counter));
        verifier
    }

    fn without_keys(issuers: &[String], client_ids: &[String]) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(issuers);
        validation.set_audience(client_ids);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        // Cognito and Lambda clocks are NTP-synced; aws-jwt-verify grants no grace either.
        validation.leeway = 0;
        TokenVerifier {
            validation,
            fetch: None,
            cache: RwLock::new(KeyCache {
                keys: HashMap::new(),
                last_attempt: None,
                last_ok: false,
            }),
            fetch_lock: Mutex::new(()),
        }
    }

    /// A verifier that trusts exactly `keys` and never fetches (for tests and benchmarks).
    pub fn with_keys(issuers: &[String], client_ids: &[String], keys: &JwkSet) -> Self {
        let verifier = Self::without_keys(issuers, client_ids);
        {
            let mut cache = verifier.cache.write().unwrap_or_else(|p| p.into_inner());
            cache.keys = usable_keys(keys);
            cache.last_attempt = Some(Instant::now());
            cache.last_ok = true;
        }
        verifier
    }

    /// Checks `token` completely; on success the claims can be trusted.
    pub async fn verify(&self, token: &str) -> Result<VerifiedIdToken, ApiError> {
        let kid = precheck(token)?;
        let key = match self.cached_key(&kid) {
            Some(key) => key,
            None => self.refresh_for(&kid).await?,
        };
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(|e| {
            ApiError::InvalidToken(match e.kind() {
                ErrorKind::ExpiredSignature => return ApiError::ExpiredToken,
                ErrorKind::ImmatureSignature => "not valid yet",
                ErrorKind::InvalidSignature => "bad signature",
                ErrorKind::InvalidIssuer => "wrong issuer",
                ErrorKind::InvalidAudience => "wrong audience",
                ErrorKind::InvalidAlgorithm => "algorithm not allowed",
                ErrorKind::MissingRequiredClaim(_)
                | ErrorKind::InvalidClaimFormat(_)
                | ErrorKind::Json(_) => "missing or malformed claims",
                _ => "malformed token",
            })
        })?;
        let claims = data.claims;
        // RFC 7519: not accepted *on or after* `exp`; the library only refuses after it.
        if claims.exp <= unix_now() {
            return Err(ApiError::ExpiredToken);
        }
        if claims.token_use != "id" {
            return Err(ApiError::InvalidToken("not an ID token"));
        }
        if claims.sub.is_empty() || claims.username.is_empty() {
            return Err(ApiError::InvalidToken("missing or malformed claims"));
        }
        Ok(VerifiedIdToken {
            sub: claims.sub,
            username: claims.username,
            issued_at: claims.iat.unwrap_or(0),
            raw: RawIdToken(token.to_owned()),
        })
    }

    fn cached_key(&self, kid: &str) -> Option<DecodingKey> {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache.keys.get(kid).cloned()
    }

    /// Fetches the JWKS if allowed now, then looks `kid` up again.
    async fn refresh_for(&self, kid: &str) -> Result<DecodingKey, ApiError> {
        // One fetch at a time; latecomers find the fresh keys when the lock frees.
        let _guard = self.fetch_lock.lock().await;
        let allowed = {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            if let Some(key) = cache.keys.get(kid) {
                return Ok(key.clone());
            }
            match cache.last_attempt {
                None => true,
                Some(at) if cache.last_ok => at.elapsed() >= REFETCH_INTERVAL,
                Some(at) => at.elapsed() >= RETRY_INTERVAL,
            }
        };
        if !allowed {
            return Err(self.unknown_kid_error());
        }
        let fetched = self.fetch().await;
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        cache.last_attempt = Some(Instant::now());
        cache.last_ok = fetched.is_ok();
        let keys = fetched?;
        cache.keys = keys;
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or(ApiError::InvalidToken("unknown signing key"))
    }

    fn unknown_kid_error(&self) -> ApiError {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        if cache.last_ok {
            ApiError::InvalidToken("unknown signing key")
        } else {
            ApiError::Unavailable {
                upstream: Upstream::Jwks,
                cause: "the signing keys could not be fetched recently".into(),
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, ApiError> {
        let fetch = self.fetch.as_ref().ok_or_else(|| {
            ApiError::upstream(
                Upstream::Jwks,
                "this verifier has fixed keys and no JWKS URL",
            )
        })?;
        let body = fetch.invoke(()).await.map_err(fetch_failed)?;
        let set: JwkSet =
            serde_json::from_slice(&body).map_err(|e| ApiError::upstream(Upstream::Jwks, e))?;
        let keys = usable_keys(&set);
        tracing::info!(keys = keys.len(), "fetched the user pool's signing keys");
        Ok(keys)
    }
}

/// Over budget: 504; no connection (refused, reset, DNS): 503; anything else, such as an HTTP
/// error status or a broken body: 502.
fn fetch_failed(err: SdkError<JwksStatus, HttpResponse>) -> ApiError {
    let (timeout, unreachable) = match &err {
        SdkError::TimeoutError(_) => (true, false),
        SdkError::DispatchFailure(e) => (e.is_timeout(), e.is_io()),
        _ => (false, false),
    };
    if timeout {
        return ApiError::Timeout(Upstream::Jwks);
    }
    let cause = err.into();
    let upstream = Upstream::Jwks;
    if unreachable {
        ApiError::Unavailable { upstream, cause }
    } else {
        ApiError::Upstream { upstream, cause }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// RSA signing keys with a `kid`, meant for RS256 (or with no algorithm stated).
fn usable_keys(set: &JwkSet) -> HashMap<String, DecodingKey> {
    set.keys
        .iter()
        .filter(|jwk| matches!(jwk.algorithm, AlgorithmParameters::RSA(_)))
        .filter(|jwk| matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256)))
        .filter(|jwk| {
            matches!(
                jwk.common.public_key_use,
                None | Some(PublicKeyUse::Signature)
            )
        })
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
        })
        .collect()
}

/// Cheap structural checks before any key lookup; returns the `kid`.
fn precheck(token: &str) -> Result<String, ApiError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(ApiError::InvalidToken("not a signed JWT"));
    }
    let base64url = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !parts.iter().all(|p| base64url(p)) {
        return Err(ApiError::InvalidToken("not a signed JWT"));
    }
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| ApiError::InvalidToken("malformed header"))?;
    if header.alg != Algorithm::RS256 {
        return Err(ApiError::InvalidToken("algorithm not allowed"));
    }
    if header.crit.is_some()
        || header.jku.is_some()
        || header.x5u.is_some()
        || header.jwk.is_some()
        || header.x5c.is_some()
    {
        return Err(ApiError::InvalidToken("header parameter not allowed"));
    }
    match header.kid {
        Some(kid) if !kid.is_empty() && kid.len() <= 128 => Ok(kid),
        _ => Err(ApiError::InvalidToken("missing key id")),
    }
}
