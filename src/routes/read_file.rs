//! `GET /read-file`: verified token -> user check -> identity -> the user's own file.

use super::Served;
use crate::app::App;
use crate::auth::token::{MAX_TOKEN_BYTES, VerifiedIdToken};
use crate::error::ApiError;
use crate::identity::IdentityId;
use crate::storage::ObjectKey;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::sync::Arc;

/// Runs the use case. Upstream calls happen only after the token verified locally; on a warm
/// request the only call is the S3 read (plus the user check when its remembered verdict is due).
pub async fn handle(app: &App, req: &Request) -> Result<Served, Arc<ApiError>> {
    let signer = signer_identity(req);
    if signer.is_none() && app.config.require_signer {
        return Err(Arc::new(ApiError::SignerRequired));
    }
    let raw = id_token(req)?;
    let token = app.verifier.verify(raw).await?;

    // Only a remembered approval skips the check; a remembered refusal is the answer.
    let mut checked = match app.users.remembered(&token).await {
        Some(outcome) => outcome.map(|()| true)?,
        None => false,
    };
    let id = match app.cached_identity(&token).await {
        Some(id) => id,
        None if checked => app.identity(&token).await?,
        None => {
            // First sight of this user: the user check and GetId are independent, run both.
            let (passed, id) = tokio::join!(app.users.check(&token), app.identity(&token));
            passed?;
            checked = true;
            id?
        }
    };
    cross_check(signer, &id)?;

    let read = async {
        match read_data_file(app, &id, &token).await {
            Err(err) if matches!(*err, ApiError::UnknownIdentity { .. }) => {
                // The identity was deleted since it was cached: ask GetId once more.
                app.forget_identity(&token).await;
                let id = app.identity(&token).await?;
                cross_check(signer, &id)?;
                Ok((read_data_file(app, &id, &token).await?, id))
            }
            other => other.map(|data| (data, id.clone())),
        }
    };
    let (data, identity) = if checked {
        read.await?
    } else {
        // The check is due: read meanwhile, but release the file only if the check passes.
        let (passed, read) = tokio::join!(app.users.check(&token), read);
        passed?;
        read?
    };
    Ok(Served { data, identity })
}

/// The first line of the identity's data file, read with the identity's own keys.
async fn read_data_file(
    app: &App,
    id: &IdentityId,
    token: &VerifiedIdToken,
) -> Result<String, Arc<ApiError>> {
    let key = ObjectKey::data_file(&app.config.prefix, id);
    app.with_bucket(id, token, |bucket| {
        let key = &key;
        async move { bucket.first_line(key).await }
    })
    .await
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
fn cross_check(signer: Option<&str>, id: &IdentityId) -> Result<(), ApiError> {
    match signer {
        Some(signer) if signer != id.as_str() => Err(ApiError::IdentityMismatch),
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
