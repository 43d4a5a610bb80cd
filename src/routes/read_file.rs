//! `GET /read-file`: verified token -> user check -> identity -> the user's own file.

use super::Served;
use crate::app::App;
use crate::auth::token::MAX_TOKEN_BYTES;
use crate::error::ApiError;
use crate::identity::IdentityId;
use crate::storage::ObjectKey;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::sync::Arc;

/// Runs the use case. Upstream calls happen only after the token verified locally; on a warm
/// request the only call is the S3 read (plus the user check when its cached answer is due).
pub async fn handle(app: &App, req: &Request) -> Result<Served, Arc<ApiError>> {
    let raw = id_token(req)?;
    let token = app.verifier.verify(raw).await?;

    let (id, user_checked) = match app.cached_identity(&token).await {
        Some(id) => (id, false),
        None => {
            // First sight of this user: the user check and GetId are independent, run both.
            let (checked, id) =
                tokio::join!(app.users.check(token.username()), app.identity(&token));
            checked?;
            (id?, true)
        }
    };
    cross_check(req, &id)?;

    let key = ObjectKey::data_file(&app.config.prefix, &id);
    let read = async {
        let bucket = app.bucket(&id, &token).await?;
        bucket.first_line(&key).await.map_err(Arc::new)
    };
    let data = if user_checked || app.users.is_fresh(token.username()) {
        read.await?
    } else {
        // The check is due: read meanwhile, but release the file only if the check passes.
        let (checked, data) = tokio::join!(app.users.check(token.username()), read);
        checked?;
        data?
    };
    Ok(Served { data, identity: id })
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
fn cross_check(req: &Request, id: &IdentityId) -> Result<(), ApiError> {
    match signer_identity(req) {
        Some(signer) if signer != id.as_str() => Err(ApiError::IdentityMismatch),
        _ => Ok(()),
    }
}

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
