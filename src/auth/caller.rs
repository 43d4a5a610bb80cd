//! The authenticated caller, built once per request by one reusable step: signer requirement,
//! verified token, user check, identity. Use cases receive a [`Caller`] and reach S3 only
//! through it, with the caller's own keys.
//!
//! Where API Gateway names the signing identity (`AWS_IAM`), GetId is skipped: the signer is
//! taken as the identity and Cognito's GetCredentialsForIdentity, which refuses a token of another
//! identity, is the cross-check. A first request then costs GetCredentialsForIdentity -> S3 with
//! the user check alongside; without a signer it is GetId (with the user check) first.

use crate::auth::keys::{Claim, Keys, KeysLimits, Match};
use crate::auth::token::{MAX_TOKEN_BYTES, TokenVerifier, VerifiedIdToken};
use crate::auth::user::UserCheck;
use crate::config::Config;
use crate::error::ApiError;
use crate::identity::{IdentityBroker, IdentityId};
use crate::metrics::{self, Cached, CallCounter, Tier};
use crate::session::SessionTable;
use crate::session::keys::SharedKeys;
use crate::session::shares::Directory;
use crate::session::verdicts::SharedVerdicts;
use crate::storage::{Buckets, UserBucket};
use aws_config::SdkConfig;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::sync::Arc;

/// Everything that turns a request into a [`Caller`]: the token verifier, the user check, the
/// caller's keys and the signer requirement. Built once per Lambda environment.
pub struct Authenticator {
    verifier: TokenVerifier,
    users: UserCheck,
    keys: Keys,
    require_signer: bool,
    identity_pool_id: String,
    /// Sharing's records, with the shared tier.
    directory: Option<Directory>,
}

impl Authenticator {
    /// The parts for `config`, their AWS clients built from `sdk`, every call counted in `counter`.
    pub fn new(config: &Config, sdk: &SdkConfig, counter: &CallCounter) -> Self {
        let idp = aws_sdk_cognitoidentityprovider::Client::from_conf(
            aws_sdk_cognitoidentityprovider::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let identity = aws_sdk_cognitoidentity::Client::from_conf(
            aws_sdk_cognitoidentity::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let limits = KeysLimits {
            max_entries: config.cache_max_entries,
            margin: config.credentials_margin,
        };
        // The shared tier behind this environment's caches, if configured.
        let table = config
            .session
            .as_ref()
            .map(|tier| (tier, Arc::new(SessionTable::new(tier, sdk, counter))));
        let shared_verdicts = table.as_ref().map(|(tier, table)| {
            // A lease lasts as long as the AdminGetUser it covers may.
            SharedVerdicts::new(
                Arc::clone(table),
                tier.verdict_ttl,
                config.upstream_timeout,
                tier.lease_wait,
            )
        });
        let shared_keys = table
            .as_ref()
            .map(|(_, table)| SharedKeys::new(Arc::clone(table), config.credentials_margin));
        let directory = table.as_ref().map(|(_, table)| {
            Directory::new(Arc::clone(table), idp.clone(), config.user_pool_id.clone())
        });
        Authenticator {
            // Through the SDK's own HTTP client and timeouts (connect, and the whole call).
            verifier: TokenVerifier::new(
                &config.issuers(),
                &config.client_ids,
                &config.jwks_url,
                sdk,
                Some(counter.clone()),
            ),
            users: UserCheck::new(
                idp,
                config.user_pool_id.clone(),
                config.user_check_ttl,
                config.cache_max_entries,
                shared_verdicts,
            ),
            keys: Keys::new(
                IdentityBroker::new(identity, config),
                Buckets::new(sdk, config, Some(counter.clone())),
                limits,
                shared_keys,
            ),
            require_signer: config.require_signer,
            identity_pool_id: config.identity_pool_id.clone(),
            directory,
        }
    }

    /// Authenticates `req`. Upstream calls happen only after the token verified locally; a warm
    /// caller costs none here.
    pub async fn caller(&self, req: &Request) -> Result<Caller<'_>, ApiError> {
        let signer = self.signer(req)?;
        if signer.is_none() && self.require_signer {
            return Err(ApiError::SignerRequired);
        }
        let token = self.verifier.verify(id_token(req)?).await?;

        // Only a remembered approval skips the check; a remembered refusal is the answer.
        let mut check_due = match self.users.remembered(&token).await {
            Some(outcome) => outcome.map(|()| false)?,
            None => true,
        };
        let (identity, matched) = match (self.keys.cached_identity(&token).await, &signer) {
            // Known here and the signer is that identity (or there is no signer).
            (Some(id), None) => (local_identity(id), Match::Confirmed),
            (Some(id), Some(signer)) if id == *signer => (local_identity(id), Match::Confirmed),
            // Taken as the identity for now; the exchange confirms it (or refuses the request)
            // before anything reaches S3, while the user check runs alongside it. A signer other
            // than the known identity is put to Cognito too: the identity may have been deleted
            // and the user given a new one, and only Cognito can tell.
            (_, Some(signer)) => (signer.clone(), Match::Unconfirmed),
            (None, None) if !check_due => (self.keys.identity(&token).await?, Match::Confirmed),
            (None, None) => {
                // First sight of this user: the user check and GetId are independent, run both.
                let (passed, id) =
                    tokio::join!(self.users.check(&token), self.keys.identity(&token));
                passed?;
                check_due = false;
                (id?, Match::Confirmed)
            }
        };
        Ok(Caller {
            auth: self,
            token,
            claim: Claim {
                identity,
                matched,
                signer,
            },
            check_due,
        })
    }

    /// The identity-pool identity API Gateway says signed the request, if any. It must be one of
    /// this function's identity pool: another pool of the account that trusts the same app client
    /// must not be usable through this API.
    fn signer(&self, req: &Request) -> Result<Option<IdentityId>, ApiError> {
        let Some((id, pool)) = signer_identity(req) else {
            return Ok(None);
        };
        if pool != Some(self.identity_pool_id.as_str()) {
            return Err(ApiError::IdentityMismatch);
        }
        // Cognito never issues a malformed id, so it cannot be the token's identity.
        IdentityId::attested_signer(id)
            .map(Some)
            .ok_or(ApiError::IdentityMismatch)
    }
}

/// A request's verified user and identity. The user check may still be due: [`Caller::read`]
/// runs it alongside the read and releases the result only if it passes; [`Caller::change`]
/// runs it first.
pub struct Caller<'a> {
    auth: &'a Authenticator,
    token: VerifiedIdToken,
    claim: Claim,
    check_due: bool,
}

impl Caller<'_> {
    /// The caller's IdentityId.
    pub fn identity(&self) -> &IdentityId {
        &self.claim.identity
    }

    /// The caller's user: `sub` and username, from the verified token.
    pub fn user(&self) -> (&str, &str) {
        (self.token.sub(), self.token.username())
    }

    /// Sharing's records: 501 `sharing_unavailable` without the shared session tier.
    pub fn directory(&self) -> Result<&Directory, ApiError> {
        self.auth
            .directory
            .as_ref()
            .ok_or(ApiError::SharingUnavailable)
    }

    /// Runs a read through the caller's own S3 client, alongside the user check when it is due;
    /// the result is released only if the check passes.
    pub async fn read<T, F, Fut>(&self, op: F) -> Result<T, ApiError>
    where
        F: Fn(Arc<UserBucket>) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let keys = &self.auth.keys;
        if !self.check_due {
            return keys.with_bucket(&self.claim, &self.token, op).await;
        }
        let (passed, result) = tokio::join!(
            self.auth.users.check(&self.token),
            keys.with_bucket(&self.claim, &self.token, op)
        );
        passed?;
        result
    }

    /// Runs a change (or hands out a signed URL) through the caller's own S3 client, only after
    /// a due user check passed: a refused user must not change anything through the API.
    pub async fn change<T, F, Fut>(&self, op: F) -> Result<T, ApiError>
    where
        F: Fn(Arc<UserBucket>) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        if self.check_due {
            self.auth.users.check(&self.token).await?;
        }
        self.auth
            .keys
            .with_bucket(&self.claim, &self.token, op)
            .await
    }
}

/// An identity this environment knew already, noted as a local hit.
fn local_identity(id: IdentityId) -> IdentityId {
    metrics::cache(Cached::Identity, Tier::Local);
    id
}

/// The one `idToken` header (any case), refusing duplicates and oversized values.
/// Public for the fuzz target (`fuzz/`), which drives it with arbitrary header values.
pub fn id_token(req: &Request) -> Result<&str, ApiError> {
    let mut values = req.headers().get_all("idtoken").iter();
    let value = values.next().ok_or(ApiError::MissingToken)?;
    if values.next().is_some() {
        return Err(ApiError::MultipleTokens);
    }
    if value.len() > MAX_TOKEN_BYTES {
        return Err(ApiError::TokenTooLarge);
    }
    let value = value
        .to_str()
        .map_err(|_| ApiError::InvalidToken("not a signed JWT"))?;
    if value.is_empty() {
        return Err(ApiError::MissingToken);
    }
    // HTTP API and function URL events join repeated headers with commas; a JWT has none.
    if value.contains(',') {
        return Err(ApiError::MultipleTokens);
    }
    Ok(value)
}

/// The identity-pool identity API Gateway says signed the request, with its identity pool.
fn signer_identity(req: &Request) -> Option<(&str, Option<&str>)> {
    let (id, pool) = match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(ctx) => (
            ctx.identity.cognito_identity_id.as_deref(),
            ctx.identity.cognito_identity_pool_id.as_deref(),
        ),
        RequestContext::ApiGatewayV2(ctx) => {
            let cognito = ctx
                .authorizer
                .as_ref()?
                .iam
                .as_ref()?
                .cognito_identity
                .as_ref()?;
            (
                cognito.identity_id.as_deref(),
                cognito.identity_pool_id.as_deref(),
            )
        }
        // ALB, WebSocket and VPC Lattice events are compiled out; nothing else carries a signer.
        _ => None?,
    };
    id.filter(|s| !s.is_empty()).map(|id| (id, pool))
}
