//! The caller's keys, in one owner: IdentityIds by `sub`, Cognito's matches of attested signers
//! to tokens, and each identity's S3 client holding its temporary keys, all cached; and the two
//! retries that keep a cached entry from failing requests after it died.
//!
//! Rules, each with a unit test below (the stack-backed ones are in `tests/api`):
//! - an identity Cognito has not matched to the token ([`Match::Unconfirmed`], the attested
//!   signer) is put to GetCredentialsForIdentity before any key of it is used, even when its
//!   client is cached; an accepted pair is remembered, and the `sub` mapped to it (replacing an
//!   older mapping: an identity can be deleted and the user given a new one); a refused pair is
//!   remembered too, for [`REFUSED_TTL`], so repeating it costs no call;
//! - keys S3 refuses as stale are exchanged again once, then the operation retried, but at most
//!   once per identity per [`REEXCHANGE_INTERVAL`]: an object whose every HEAD fails with a
//!   code-less 400 (SSE-C) must not spend the account's GetCredentialsForIdentity quota;
//! - an IdentityId the identity pool no longer knows is dropped and GetId asked once more (then
//!   checked against the signer again).
//!
//! With the shared tier ([`SharedKeys`]), a miss here looks in the table before asking Cognito:
//! the token's sealed keys (which also match the token to their identity, as an exchange would:
//! they were sealed only after Cognito accepted the pair) and the user's IdentityId; what Cognito
//! answers is stored there for the other environments. Both retries go to Cognito directly, never
//! to the table (which may hold the very keys or identity that just failed), and overwrite it.

use crate::auth::token::VerifiedIdToken;
use crate::error::ApiError;
use crate::identity::{IdentityBroker, IdentityId, ScopedCredentials};
use crate::metrics::{self, Cached, Tier};
use crate::session::keys::SharedKeys;
use crate::storage::{Buckets, UserBucket};
use moka::Expiry;
use moka::future::Cache;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How long an IdentityId is kept; the mapping from a user changes only if the identity is
/// deleted (then the attested signer differs, and Cognito decides).
const IDENTITY_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a (token's user, signer) pair Cognito refused is answered without asking again.
pub const REFUSED_TTL: Duration = Duration::from_secs(300);
/// Stale keys are exchanged again at most once per identity in this interval.
pub const REEXCHANGE_INTERVAL: Duration = Duration::from_secs(60);

/// Whether Cognito has matched an identity to the request's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// GetId answered it for this token's user, or Cognito accepted the pair before.
    Confirmed,
    /// The attested signer, not yet matched: the first exchange does, before any key is used.
    Unconfirmed,
}

/// The identity a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The IdentityId whose keys reach S3.
    pub identity: IdentityId,
    /// Whether Cognito has matched it to the token.
    pub matched: Match,
    /// The identity API Gateway attested as the request's signer, if any; any IdentityId the
    /// request ends up using must be this one.
    pub signer: Option<IdentityId>,
}

/// Sizes and margins of the caches.
#[derive(Debug, Clone, Copy)]
pub struct KeysLimits {
    /// Upper bound of entries per cache.
    pub max_entries: u64,
    /// Keys are dropped this long before they expire.
    pub margin: Duration,
}

/// The one owner of the caller's identities and keys.
pub struct Keys {
    broker: IdentityBroker,
    buckets: Buckets,
    /// IdentityId by the verified `sub` of this app's one user pool, as GetId answered it or as
    /// Cognito accepted it for the token (the attested signer).
    identities: Cache<String, IdentityId>,
    /// (`sub`, signer) pairs Cognito accepted; first requests of one pair share one exchange.
    confirmed: Cache<(String, IdentityId), ()>,
    /// (`sub`, signer) pairs Cognito refused.
    refused: Cache<(String, IdentityId), ()>,
    /// Each identity's S3 client, dropped a safety margin before its keys expire.
    clients: Cache<IdentityId, Arc<UserBucket>>,
    /// Identities whose keys were exchanged again because S3 refused them, recently.
    reexchanged: Cache<IdentityId, ()>,
    /// The table every environment shares, if any.
    shared: Option<SharedKeys>,
}

/// Where a bucket's keys may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// This environment's cache, the table, then Cognito.
    Any,
    /// Cognito only: the keys at hand were just refused.
    Cognito,
}

impl Keys {
    /// Keys exchanged through `broker`, S3 clients made by `buckets`, shared through `shared`.
    pub fn new(
        broker: IdentityBroker,
        buckets: Buckets,
        limits: KeysLimits,
        shared: Option<SharedKeys>,
    ) -> Self {
        fn cache<K, V>(max_entries: u64, ttl: Duration) -> Cache<K, V>
        where
            K: std::hash::Hash + Eq + Send + Sync + 'static,
            V: Clone + Send + Sync + 'static,
        {
            Cache::builder()
                .max_capacity(max_entries)
                .time_to_live(ttl)
                .build()
        }
        let n = limits.max_entries;
        Keys {
            broker,
            buckets,
            identities: cache(n, IDENTITY_TTL),
            confirmed: cache(n, IDENTITY_TTL),
            refused: cache(n, REFUSED_TTL),
            clients: Cache::builder()
                .max_capacity(limits.max_entries)
                .expire_after(UntilKeysExpire {
                    margin: limits.margin,
                })
                .build(),
            reexchanged: cache(n, REEXCHANGE_INTERVAL),
            shared,
        }
    }

    /// The user's IdentityId if it is known here already.
    pub async fn cached_identity(&self, token: &VerifiedIdToken) -> Option<IdentityId> {
        self.identities.get(token.sub()).await
    }

    /// The user's IdentityId; one GetId per user however many requests arrive at once (and with
    /// the shared tier, one for the account).
    pub async fn identity(&self, token: &VerifiedIdToken) -> Result<IdentityId, ApiError> {
        let id = self
            .identities
            .try_get_with_by_ref(token.sub(), Box::pin(self.lookup_identity(token)))
            .await
            .map_err(Arc::unwrap_or_clone);
        // Unless this request looked it up (noted farther), it was here already.
        metrics::cache(Cached::Identity, Tier::Local);
        id
    }

    /// The table's answer (the token's sealed keys name their identity; else the stored
    /// IdentityId), else GetId's, stored for the others.
    async fn lookup_identity(&self, token: &VerifiedIdToken) -> Result<IdentityId, ApiError> {
        let Some(shared) = &self.shared else {
            metrics::cache(Cached::Identity, Tier::Miss);
            return self.broker.identity_id(token).await;
        };
        let (session, stored) = shared.session_and_identity(token).await;
        if let Some(session) = session {
            metrics::cache(Cached::Identity, Tier::Shared);
            metrics::cache(Cached::Keys, Tier::Shared);
            let id = session.identity.clone();
            self.confirmed
                .insert((token.sub().to_owned(), id.clone()), ())
                .await;
            self.keep(&id, session.credentials).await;
            return Ok(id);
        }
        if let Some(id) = stored {
            metrics::cache(Cached::Identity, Tier::Shared);
            return Ok(id);
        }
        self.get_id(token).await
    }

    /// GetId, its answer stored in the table.
    async fn get_id(&self, token: &VerifiedIdToken) -> Result<IdentityId, ApiError> {
        metrics::cache(Cached::Identity, Tier::Miss);
        let id = self.broker.identity_id(token).await?;
        if let Some(shared) = &self.shared {
            shared.store_identity(token.sub(), &id).await;
        }
        Ok(id)
    }

    /// Caches `identity`'s S3 client with `creds`.
    async fn keep(&self, identity: &IdentityId, creds: ScopedCredentials) -> Arc<UserBucket> {
        let bucket = Arc::new(self.buckets.for_identity(identity.clone(), creds));
        self.clients
            .insert(identity.clone(), Arc::clone(&bucket))
            .await;
        bucket
    }

    /// The token's keys from the table, if they are `identity`'s.
    async fn shared_keys(
        &self,
        identity: &IdentityId,
        token: &VerifiedIdToken,
    ) -> Option<ScopedCredentials> {
        let session = self.shared.as_ref()?.session(token).await?;
        (session.identity == *identity).then_some(session.credentials)
    }

    /// Stores keys Cognito just gave `identity` for `token`, sealed, for the others.
    async fn share(
        &self,
        identity: &IdentityId,
        token: &VerifiedIdToken,
        creds: &ScopedCredentials,
    ) {
        if let Some(shared) = &self.shared {
            shared.store_session(token, identity, creds).await;
        }
    }

    /// Runs `op` with the claimed identity's own S3 client, under the rules of the module.
    pub async fn with_bucket<T, F, Fut>(
        &self,
        claim: &Claim,
        token: &VerifiedIdToken,
        op: F,
    ) -> Result<T, ApiError>
    where
        F: Fn(Arc<UserBucket>) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let first = self
            .attempt(&claim.identity, claim.matched, token, &op)
            .await;
        let Err(ApiError::UnknownIdentity { .. }) = first else {
            return first;
        };
        self.identities.invalidate(token.sub()).await;
        // GetId itself: the table may hold the very identity that just failed.
        let identity = self
            .identities
            .try_get_with_by_ref(token.sub(), self.get_id(token))
            .await
            .map_err(Arc::unwrap_or_clone)?;
        if let Err(mismatch) = cross_check(claim.signer.as_ref(), &identity) {
            // The signer is an identity the pool no longer knows: refuse it from memory.
            if let Some(signer) = &claim.signer {
                let pair = (token.sub().to_owned(), signer.clone());
                self.confirmed.invalidate(&pair).await;
                self.refused.insert(pair, ()).await;
            }
            return Err(mismatch);
        }
        self.attempt(&identity, Match::Confirmed, token, &op).await
    }

    /// Maps the token's user to `identity`, which Cognito just matched to the token. A former
    /// identity of the user is no longer taken as matched: only Cognito may say it still is.
    async fn remap(&self, token: &VerifiedIdToken, identity: &IdentityId) {
        let sub = token.sub().to_owned();
        if let Some(former) = self.identities.get(&sub).await
            && former != *identity
        {
            self.confirmed.invalidate(&(sub.clone(), former)).await;
        }
        self.identities.insert(sub, identity.clone()).await;
    }

    /// `op` with the identity's client; keys S3 refuses as stale are exchanged again once, if
    /// that did not happen for this identity within [`REEXCHANGE_INTERVAL`].
    async fn attempt<T, F, Fut>(
        &self,
        id: &IdentityId,
        matched: Match,
        token: &VerifiedIdToken,
        op: &F,
    ) -> Result<T, ApiError>
    where
        F: Fn(Arc<UserBucket>) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let result = op(self.bucket(id, matched, token, Source::Any).await?).await;
        let Err(ApiError::StaleCredentials { .. }) = result else {
            return result;
        };
        let fresh = self.reexchanged.entry_by_ref(id).or_insert(()).await;
        if !fresh.is_fresh() {
            tracing::warn!(identity_id = %id, "S3 refused the keys again; not exchanging again yet");
            return result;
        }
        tracing::info!(identity_id = %id, "S3 refused the cached keys; exchanging again");
        self.clients.invalidate(id).await;
        // The first exchange matched the identity to the token; this one needs no check.
        op(self
            .bucket(id, Match::Confirmed, token, Source::Cognito)
            .await?)
        .await
    }

    /// The identity's S3 client, its keys exchanged once (or found in the table) and reused until
    /// near expiry.
    async fn bucket(
        &self,
        id: &IdentityId,
        matched: Match,
        token: &VerifiedIdToken,
        source: Source,
    ) -> Result<Arc<UserBucket>, ApiError> {
        if matched == Match::Unconfirmed {
            self.confirm(id, token).await?;
        }
        let bucket = self
            .clients
            .try_get_with_by_ref(id, async {
                if source == Source::Any
                    && let Some(creds) = self.shared_keys(id, token).await
                {
                    metrics::cache(Cached::Keys, Tier::Shared);
                    return Ok(Arc::new(self.buckets.for_identity(id.clone(), creds)));
                }
                metrics::cache(Cached::Keys, Tier::Miss);
                let creds = self.broker.credentials(id, token).await?;
                self.share(id, token, &creds).await;
                Ok::<_, ApiError>(Arc::new(self.buckets.for_identity(id.clone(), creds)))
            })
            .await
            .map_err(Arc::unwrap_or_clone);
        // Unless this request fetched them (noted farther), they were here already.
        metrics::cache(Cached::Keys, Tier::Local);
        bucket
    }

    /// Has Cognito match the token to the signer in the exchange itself (GetCredentialsForIdentity
    /// refuses a token of another identity), instead of asking GetId. An accepted pair is
    /// remembered, its keys cached and the `sub` mapped to the signer; a refused one is
    /// remembered for [`REFUSED_TTL`]; other failures (throttling, outages) are not remembered.
    async fn confirm(&self, signer: &IdentityId, token: &VerifiedIdToken) -> Result<(), ApiError> {
        let pair = (token.sub().to_owned(), signer.clone());
        // Whatever happens below, a match (or a refusal) already known here is a local hit.
        metrics::cache(Cached::Identity, Tier::Local);
        if self.refused.contains_key(&pair) {
            return Err(ApiError::IdentityMismatch);
        }
        self.confirmed
            .try_get_with_by_ref(&pair, async {
                // Keys sealed for this very token and this identity: Cognito matched the pair.
                if let Some(creds) = self.shared_keys(signer, token).await {
                    metrics::cache(Cached::Identity, Tier::Shared);
                    metrics::cache(Cached::Keys, Tier::Shared);
                    self.keep(signer, creds).await;
                    self.remap(token, signer).await;
                    return Ok(());
                }
                // The exchange that confirms the pair also gives its keys.
                metrics::cache(Cached::Identity, Tier::Miss);
                metrics::cache(Cached::Keys, Tier::Miss);
                match self.broker.credentials_for_signer(signer, token).await {
                    Ok(creds) => {
                        // GetId was skipped: the identity Cognito just matched is also the
                        // directory's entry for the user (sharing finds recipients by it).
                        tokio::join!(self.share(signer, token, &creds), async {
                            if let Some(shared) = &self.shared {
                                shared.store_identity(token.sub(), signer).await;
                            }
                        });
                        self.keep(signer, creds).await;
                        self.remap(token, signer).await;
                        Ok(())
                    }
                    Err(ApiError::IdentityMismatch) => {
                        self.refused.insert(pair.clone(), ()).await;
                        Err(ApiError::IdentityMismatch)
                    }
                    Err(err) => Err(err),
                }
            })
            .await
            .map_err(Arc::unwrap_or_clone)
    }
}

/// With `AWS_IAM` authorization API Gateway names the identity that signed the request; it must
/// be the token's own identity, so one user's keys cannot carry another user's token.
pub(crate) fn cross_check(signer: Option<&IdentityId>, id: &IdentityId) -> Result<(), ApiError> {
    match signer {
        Some(signer) if signer != id => Err(ApiError::IdentityMismatch),
        _ => Ok(()),
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
        _created_at: Instant,
    ) -> Option<Duration> {
        let left = value
            .expires_at()
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        Some(left.saturating_sub(self.margin))
    }
}

#[cfg(test)]
mod tests {
    //! The rules of the module against a scripted identity pool: the SDK's own test HTTP client
    //! answers GetId and GetCredentialsForIdentity (the SDK's serializers and parsers run on both
    //! sides); S3 is never called, the operations are closures.

    use super::*;
    use crate::config::Config;
    use crate::error::Upstream;
    use aws_smithy_http_client::test_util::infallible_client_fn;
    use aws_smithy_types::body::SdkBody;
    use serde_json::{Value, json};
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// The identity pool: IdentityId -> its user's `sub` (the token is `token-<sub>`).
    #[derive(Default)]
    struct Pool {
        owners: HashMap<String, String>,
        calls: HashMap<&'static str, u32>,
    }

    fn id(n: u8) -> IdentityId {
        IdentityId::for_tests(&format!("us-east-1:0000000{n}-0000-4000-8000-000000000000"))
    }

    fn token(sub: &str) -> VerifiedIdToken {
        VerifiedIdToken::for_tests(sub, &format!("token-{sub}"))
    }

    fn keys(pool: &Arc<Mutex<Pool>>) -> Keys {
        let pool = Arc::clone(pool);
        let http = infallible_client_fn(move |req: http::Request<SdkBody>| {
            let target = req.headers()["x-amz-target"].to_str().unwrap_or_default();
            let body: Value = serde_json::from_slice(req.body().bytes().unwrap()).unwrap();
            let sub = body["Logins"]
                .as_object()
                .and_then(|l| l.values().next())
                .and_then(Value::as_str);
            let sub = sub
                .unwrap_or_default()
                .trim_start_matches("token-")
                .to_owned();
            let mut pool = pool.lock().unwrap();
            let (status, answer) = if target.ends_with(".GetId") {
                *pool.calls.entry("GetId").or_default() += 1;
                let id = pool
                    .owners
                    .iter()
                    .find(|(_, s)| **s == sub)
                    .map(|(i, _)| i.clone());
                (200, json!({ "IdentityId": id }))
            } else {
                *pool.calls.entry("GetCredentialsForIdentity").or_default() += 1;
                let asked = body["IdentityId"].as_str().unwrap_or_default().to_owned();
                match pool.owners.get(&asked) {
                    None => (
                        400,
                        json!({"__type": "ResourceNotFoundException", "message": "gone"}),
                    ),
                    Some(owner) if *owner != sub => (
                        400,
                        json!({
                            "__type": "NotAuthorizedException",
                            "message": "Logins don't match. Please include at least one valid login."
                        }),
                    ),
                    Some(_) => (
                        200,
                        json!({
                            "IdentityId": asked,
                            "Credentials": {
                                "AccessKeyId": "ASIATEST", "SecretKey": "s", "SessionToken": "t",
                                "Expiration": (SystemTime::now() + Duration::from_secs(3600))
                                    .duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
                            }
                        }),
                    ),
                }
            };
            http::Response::builder()
                .status(status)
                .body(SdkBody::from(answer.to_string()))
                .unwrap()
        });
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .http_client(http)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        let vars: HashMap<&str, &str> = HashMap::from([
            ("AWS_REGION", "us-east-1"),
            ("ACCOUNT_ID", "123456789012"),
            ("USER_POOL_ID", "us-east-1_Pool"),
            ("USER_POOL_CLIENT_ID", "client"),
            (
                "IDENTITY_POOL_ID",
                "us-east-1:0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
            ),
            ("S3_BUCKET", "bucket"),
        ]);
        let config = Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
        let broker = IdentityBroker::new(aws_sdk_cognitoidentity::Client::new(&sdk), &config);
        let limits = KeysLimits {
            max_entries: 100,
            margin: Duration::from_secs(300),
        };
        Keys::new(broker, Buckets::new(&sdk, &config, None), limits, None)
    }

    fn pool_of(owners: &[(u8, &str)]) -> Arc<Mutex<Pool>> {
        let owners = owners
            .iter()
            .map(|(n, sub)| (id(*n).to_string(), sub.to_string()));
        Arc::new(Mutex::new(Pool {
            owners: owners.collect(),
            calls: HashMap::new(),
        }))
    }

    fn calls(pool: &Arc<Mutex<Pool>>, op: &str) -> u32 {
        pool.lock().unwrap().calls.get(op).copied().unwrap_or(0)
    }

    fn signed(n: u8) -> Claim {
        Claim {
            identity: id(n),
            matched: Match::Unconfirmed,
            signer: Some(id(n)),
        }
    }

    /// The identity whose keys the operation ran with.
    async fn whose(keys: &Keys, claim: &Claim, sub: &str) -> Result<IdentityId, ApiError> {
        let op = |bucket: Arc<UserBucket>| async move { Ok(bucket.identity().clone()) };
        keys.with_bucket(claim, &token(sub), op).await
    }

    #[tokio::test]
    async fn a_signer_is_put_to_cognito_even_when_its_keys_are_cached() {
        let pool = pool_of(&[(1, "alice"), (2, "bob")]);
        let keys = keys(&pool);
        assert_eq!(whose(&keys, &signed(2), "bob").await.unwrap(), id(2));
        // Bob's keys are cached now; Alice's token with Bob's signature still goes to Cognito.
        let err = whose(&keys, &signed(2), "alice").await.unwrap_err();
        assert_eq!(err.code(), "identity_mismatch");
        assert_eq!(calls(&pool, "GetCredentialsForIdentity"), 2);
    }

    #[tokio::test]
    async fn a_refused_pair_is_answered_from_memory() {
        let pool = pool_of(&[(1, "alice"), (2, "bob")]);
        let keys = keys(&pool);
        for _ in 0..5 {
            let err = whose(&keys, &signed(2), "alice").await.unwrap_err();
            assert_eq!(err.code(), "identity_mismatch");
        }
        assert_eq!(calls(&pool, "GetCredentialsForIdentity"), 1);
        // Bob himself is not affected.
        assert_eq!(whose(&keys, &signed(2), "bob").await.unwrap(), id(2));
    }

    #[tokio::test]
    async fn an_accepted_signer_replaces_the_mapping_and_unconfirms_the_former_identity() {
        let pool = pool_of(&[(1, "alice")]);
        let keys = keys(&pool);
        assert_eq!(whose(&keys, &signed(1), "alice").await.unwrap(), id(1));
        // Alice's identity is deleted and she gets another one.
        pool.lock().unwrap().owners = HashMap::from([(id(3).to_string(), "alice".to_owned())]);
        assert_eq!(whose(&keys, &signed(3), "alice").await.unwrap(), id(3));
        assert_eq!(keys.cached_identity(&token("alice")).await, Some(id(3)));
        // The former identity is asked again (and refused), not served from the old match.
        let before = calls(&pool, "GetCredentialsForIdentity");
        let err = whose(&keys, &signed(1), "alice").await.unwrap_err();
        assert_eq!(err.code(), "identity_mismatch");
        assert_eq!(calls(&pool, "GetCredentialsForIdentity"), before + 1);
        assert_eq!(
            calls(&pool, "GetId"),
            1,
            "the unknown identity made GetId tell"
        );
    }

    #[tokio::test]
    async fn an_unknown_identity_is_dropped_and_get_id_asked_once_more() {
        let pool = pool_of(&[(1, "carol")]);
        let keys = keys(&pool);
        let confirmed = |n| Claim {
            identity: id(n),
            matched: Match::Confirmed,
            signer: None,
        };
        assert_eq!(keys.identity(&token("carol")).await.unwrap(), id(1));
        pool.lock().unwrap().owners = HashMap::from([(id(4).to_string(), "carol".to_owned())]);
        assert_eq!(whose(&keys, &confirmed(1), "carol").await.unwrap(), id(4));
        assert_eq!(calls(&pool, "GetId"), 2);
        assert_eq!(keys.cached_identity(&token("carol")).await, Some(id(4)));
    }

    #[tokio::test]
    async fn stale_keys_are_exchanged_again_at_most_once_per_interval() {
        let pool = pool_of(&[(1, "dave")]);
        let keys = keys(&pool);
        let claim = Claim {
            identity: id(1),
            matched: Match::Confirmed,
            signer: None,
        };
        // S3 refuses every key of this identity (a code-less 400 on HEAD, say).
        let stale = |_: Arc<UserBucket>| async {
            Err::<(), _>(ApiError::StaleCredentials {
                upstream: Upstream::S3,
                cause: "HTTP 400".into(),
            })
        };
        for _ in 0..5 {
            let err = keys
                .with_bucket(&claim, &token("dave"), stale)
                .await
                .unwrap_err();
            assert_eq!(err.code(), "upstream_error");
        }
        // The first exchange, then one more: not one per request.
        assert_eq!(calls(&pool, "GetCredentialsForIdentity"), 2);

        // A single stale answer is retried with fresh keys and succeeds.
        let fresh = pool_of(&[(1, "dave")]);
        let keys = super::tests::keys(&fresh);
        let once = Arc::new(Mutex::new(true));
        let op = |bucket: Arc<UserBucket>| {
            let once = Arc::clone(&once);
            async move {
                if std::mem::replace(&mut *once.lock().unwrap(), false) {
                    return Err(ApiError::StaleCredentials {
                        upstream: Upstream::S3,
                        cause: "ExpiredToken".into(),
                    });
                }
                Ok(bucket.identity().clone())
            }
        };
        assert_eq!(
            keys.with_bucket(&claim, &token("dave"), op).await.unwrap(),
            id(1)
        );
        assert_eq!(calls(&fresh, "GetCredentialsForIdentity"), 2);
    }
}
