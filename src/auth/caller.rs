//! The authenticated caller, built once per request by one reusable step: signer requirement,
//! verified token, user check, identity, signer cross-check. Use cases receive a [`Caller`] and
//! reach S3 only through it, with the caller's own keys.
//!
//! Where API Gateway names the signing identity (`AWS_IAM`), GetId is skipped: the signer is
//! taken as the identity and Cognito's GetCredentialsForIdentity, which refuses a token of another
//! identity, is the cross-check. A first request then costs GetCredentialsForIdentity -> S3 with
//! the user check alongside; without a signer it is GetId (with the user check) first.

use crate::app::App;
use crate::auth::token::{MAX_TOKEN_BYTES, VerifiedIdToken};
use crate::error::ApiError;
use crate::identity::IdentityId;
use crate::storage::UserBucket;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::sync::Arc;

/// A request's verified user and identity. The user check may still be due: [`Caller::read`]
/// runs it alongside the read and releases the result only if it passes; [`Caller::change`]
/// runs it first.
pub struct Caller<'a> {
    app: &'a App,
    token: VerifiedIdToken,
    identity: IdentityId,
    /// Whether Cognito has matched `identity` to this token's user (GetId answered it, or it
    /// accepted the pair before); if not, the first exchange does (see [`App::bucket`]).
    confirmed: bool,
    signer: Option<IdentityId>,
    check_due: bool,
}

impl<'a> Caller<'a> {
    /// Authenticates `req`. Upstream calls happen only after the token verified locally; a warm
    /// caller costs none here.
    pub async fn authenticate(app: &'a App, req: &Request) -> Result<Self, Arc<ApiError>> {
        let signer = match signer_identity(req) {
            // Cognito never issues such an id, so it cannot be the token's identity.
            Some(id) => Some(IdentityId::attested_signer(id).ok_or(ApiError::IdentityMismatch)?),
            None => None,
        };
        if signer.is_none() && app.config.require_signer {
            return Err(Arc::new(ApiError::SignerRequired));
        }
        let token = app.verifier.verify(id_token(req)?).await?;

        // Only a remembered approval skips the check; a remembered refusal is the answer.
        let mut check_due = match app.users.remembered(&token).await {
            Some(outcome) => outcome.map(|()| false)?,
            None => true,
        };
        let (identity, confirmed) = match (app.cached_identity(&token).await, &signer) {
            (Some(id), _) => (id, true),
            // Taken as the identity for now; the exchange confirms it (or refuses the request)
            // before anything reaches S3, while the user check runs alongside it.
            (None, Some(signer)) => (signer.clone(), false),
            (None, None) if !check_due => (app.identity(&token).await?, true),
            (None, None) => {
                // First sight of this user: the user check and GetId are independent, run both.
                let (passed, id) = tokio::join!(app.users.check(&token), app.identity(&token));
                passed?;
                check_due = false;
                (id?, true)
            }
        };
        cross_check(signer.as_ref(), &identity)?;
        Ok(Caller {
            app,
            token,
            identity,
            confirmed,
            signer,
            check_due,
        })
    }

    /// The caller's IdentityId.
    pub fn identity(&self) -> &IdentityId {
        &self.identity
    }

    /// Runs a read through the caller's own S3 client, alongside the user check when it is due;
    /// the result is released only if the check passes.
    pub async fn read<T, F, Fut>(&self, op: F) -> Result<T, Arc<ApiError>>
    where
        F: Fn(Arc<UserBucket>) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        if !self.check_due {
            return self.with_bucket(op).await;
        }
        let (passed, result) =
            tokio::join!(self.app.users.check(&self.token), self.with_bucket(op));
        passed?;
        result
    }

    /// Runs a change (or hands out a signed URL) through the caller's own S3 client, only after
    /// a due user check passed: a refused user must not write even once.
    pub async fn change<T, F, Fut>(&self, op: F) -> Result<T, Arc<ApiError>>
    where
        F: Fn(Arc<UserBucket>) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        if self.check_due {
            self.app.users.check(&self.token).await?;
        }
        self.with_bucket(op).await
    }

    /// `op` with the identity's client. When the identity pool no longer knows the cached (or
    /// attested) IdentityId, it is dropped and GetId asked once more (then cross-checked again).
    async fn with_bucket<T, F, Fut>(&self, op: F) -> Result<T, Arc<ApiError>>
    where
        F: Fn(Arc<UserBucket>) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let first = self
            .app
            .with_bucket(&self.identity, self.confirmed, &self.token, &op)
            .await;
        match first {
            Err(err) if matches!(*err, ApiError::UnknownIdentity { .. }) => {
                self.app.forget_identity(&self.token).await;
                let identity = self.app.identity(&self.token).await?;
                cross_check(self.signer.as_ref(), &identity)?;
                self.app
                    .with_bucket(&identity, true, &self.token, &op)
                    .await
            }
            other => other,
        }
    }
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

/// With `AWS_IAM` authorization API Gateway names the identity that signed the request; it must
/// be the token's own identity, so one user's keys cannot carry another user's token.
fn cross_check(signer: Option<&IdentityId>, id: &IdentityId) -> Result<(), ApiError> {
    match signer {
        Some(signer) if signer != id => Err(ApiError::IdentityMismatch),
        _ => Ok(()),
    }
}

/// The identity-pool identity API Gateway says signed the request, if any.
fn signer_identity(req: &Request) -> Option<&str> {
    let signer = match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.cognito_identity_id.as_deref(),
        RequestContext::ApiGatewayV2(ctx) => ctx
            .authorizer
            .as_ref()?
            .iam
            .as_ref()?
            .cognito_identity
            .as_ref()?
            .identity_id
            .as_deref(),
        // ALB, WebSocket and VPC Lattice events are compiled out; nothing else carries a signer.
        _ => None,
    };
    signer.filter(|s| !s.is_empty())
}
