//! The user's identity in the identity pool and the temporary AWS keys scoped to it.

use crate::auth::token::VerifiedIdToken;
use crate::config::Config;
use crate::error::{ApiError, Upstream};
use aws_credential_types::Credentials;
use aws_sdk_cognitoidentity::Client;
use aws_sdk_cognitoidentity::operation::get_credentials_for_identity::GetCredentialsForIdentityError;
use aws_sdk_cognitoidentity::operation::get_id::GetIdError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use std::time::SystemTime;

/// An identity-pool IdentityId (`<region>:<uuid>`), as Cognito returned it or as API Gateway
/// attested the request's signer.
///
/// It is never made from what a client wrote, and its shape is checked so that it is always a
/// single safe S3 key segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdentityId(String);

impl IdentityId {
    fn from_cognito(id: Option<&str>) -> Result<Self, ApiError> {
        let id = id.unwrap_or_default();
        if well_formed(id) {
            Ok(IdentityId(id.to_owned()))
        } else {
            Err(ApiError::upstream(
                Upstream::IdentityPool,
                "GetId answered a malformed IdentityId",
            ))
        }
    }

    /// The identity API Gateway attested as the request's signer
    /// (`requestContext.identity.cognitoIdentityId` under `AWS_IAM`), or `None` if malformed.
    ///
    /// As trustworthy as a Cognito answer for what it is used for: API Gateway writes it after
    /// verifying the SigV4 signature, from the identity-pool credentials that signed (the client
    /// cannot set it), and it is used only as the `IdentityId` of GetCredentialsForIdentity, which
    /// refuses it unless the request's own ID token belongs to it. Nothing reaches S3 with it
    /// before Cognito accepted that pair (see `auth::Keys`).
    pub(crate) fn attested_signer(id: &str) -> Option<Self> {
        well_formed(id).then(|| IdentityId(id.to_owned()))
    }

    /// An IdentityId read back from the session table, which holds only ids Cognito answered (the
    /// sealed ones authenticated by the token's key, the plain ones bound to their user's `sub`);
    /// `None` if malformed.
    pub(crate) fn from_table(id: &str) -> Option<Self> {
        well_formed(id).then(|| IdentityId(id.to_owned()))
    }

    /// An id for unit tests, checked like Cognito's answers.
    #[cfg(test)]
    pub(crate) fn for_tests(id: &str) -> Self {
        Self::from_cognito(Some(id)).expect("a well-formed IdentityId")
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `<region>:<hex and dashes>`, the shape of every IdentityId Cognito issues.
pub(crate) fn well_formed(id: &str) -> bool {
    id.split_once(':').is_some_and(|(region, rest)| {
        !region.is_empty()
            && !rest.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && rest.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
    })
}

impl std::fmt::Display for IdentityId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Temporary keys for one identity and the moment they stop working.
#[derive(Debug, Clone)]
pub struct ScopedCredentials {
    /// The keys; their `Debug` redacts the secret parts.
    pub credentials: Credentials,
    /// When AWS stops accepting them.
    pub expires_at: SystemTime,
}

/// Exchanges verified ID tokens with the identity pool.
pub struct IdentityBroker {
    client: Client,
    account_id: String,
    identity_pool_id: String,
    login_provider: String,
}

impl IdentityBroker {
    /// A broker for the identity pool named in `config`.
    pub fn new(client: Client, config: &Config) -> Self {
        IdentityBroker {
            client,
            account_id: config.account_id.clone(),
            identity_pool_id: config.identity_pool_id.clone(),
            login_provider: config.login_provider(),
        }
    }

    /// GetId: the user's IdentityId (created on first use, then always the same).
    pub async fn identity_id(&self, token: &VerifiedIdToken) -> Result<IdentityId, ApiError> {
        let answer = self
            .client
            .get_id()
            .account_id(&self.account_id)
            .identity_pool_id(&self.identity_pool_id)
            .logins(&self.login_provider, token.raw().expose())
            .send()
            .await;
        match answer {
            Ok(out) => IdentityId::from_cognito(out.identity_id()),
            Err(err) => Err(match err.as_service_error() {
                Some(GetIdError::NotAuthorizedException(_)) => ApiError::NotAuthorized,
                Some(GetIdError::ResourceNotFoundException(_))
                | Some(GetIdError::InvalidParameterException(_)) => {
                    ApiError::misconfigured(Upstream::IdentityPool, err)
                }
                _ => ApiError::from_sdk(Upstream::IdentityPool, err),
            }),
        }
    }

    /// GetCredentialsForIdentity: keys of the pool's authenticated role, scoped to `id`, an
    /// IdentityId that GetId gave for this token.
    pub async fn credentials(
        &self,
        id: &IdentityId,
        token: &VerifiedIdToken,
    ) -> Result<ScopedCredentials, ApiError> {
        self.exchange(id, token, false).await
    }

    /// GetCredentialsForIdentity for the identity API Gateway attested as the signer, which
    /// Cognito matches against the token's own identity: a refusal of the pair answers
    /// [`ApiError::IdentityMismatch`].
    ///
    /// Cognito answers `NotAuthorizedException` both for "Logins don't match" (a token of another
    /// identity) and for a token it refuses as such ("Invalid login token. ..."; expired, revoked,
    /// user deleted). The token passed every local check a moment ago, so a mismatch is the
    /// expected cause; only the documented "Invalid login token" wording keeps
    /// [`ApiError::NotAuthorized`] (401, sign in again). Should AWS reword its messages, a refused
    /// token would answer 403 `identity_mismatch` instead: a refusal either way, never a pass.
    pub(crate) async fn credentials_for_signer(
        &self,
        signer: &IdentityId,
        token: &VerifiedIdToken,
    ) -> Result<ScopedCredentials, ApiError> {
        self.exchange(signer, token, true).await
    }

    async fn exchange(
        &self,
        id: &IdentityId,
        token: &VerifiedIdToken,
        signer: bool,
    ) -> Result<ScopedCredentials, ApiError> {
        let out = self
            .client
            .get_credentials_for_identity()
            .identity_id(id.as_str())
            .logins(&self.login_provider, token.raw().expose())
            .send()
            .await
            .map_err(|err| exchange_failed(err, signer))?;
        if out.identity_id() != Some(id.as_str()) {
            return Err(ApiError::upstream(
                Upstream::IdentityPool,
                "GetCredentialsForIdentity answered for another identity",
            ));
        }
        scoped(out.credentials())
    }
}

/// What a refused exchange means for the request; `signer`: the identity was the attested
/// signer, not yet matched to the token.
fn exchange_failed(
    err: SdkError<GetCredentialsForIdentityError, HttpResponse>,
    signer: bool,
) -> ApiError {
    use GetCredentialsForIdentityError as E;
    match err.as_service_error() {
        Some(E::NotAuthorizedException(e)) if signer && !refuses_the_token(e.message()) => {
            ApiError::IdentityMismatch
        }
        Some(E::NotAuthorizedException(_)) => ApiError::NotAuthorized,
        // The identity was deleted (or the pool is gone, which GetId will tell).
        Some(E::ResourceNotFoundException(_)) => ApiError::UnknownIdentity { cause: err.into() },
        Some(E::InvalidIdentityPoolConfigurationException(_) | E::InvalidParameterException(_)) => {
            ApiError::misconfigured(Upstream::IdentityPool, err)
        }
        _ => ApiError::from_sdk(Upstream::IdentityPool, err),
    }
}

/// The keys of a GetCredentialsForIdentity answer, all four parts present.
fn scoped(
    creds: Option<&aws_sdk_cognitoidentity::types::Credentials>,
) -> Result<ScopedCredentials, ApiError> {
    let incomplete = || {
        ApiError::upstream(
            Upstream::IdentityPool,
            "GetCredentialsForIdentity answered without complete credentials",
        )
    };
    let creds = creds.ok_or_else(incomplete)?;
    let (Some(key), Some(secret), Some(session), Some(expiration)) = (
        creds.access_key_id(),
        creds.secret_key(),
        creds.session_token(),
        creds.expiration(),
    ) else {
        return Err(incomplete());
    };
    let expires_at = SystemTime::try_from(*expiration).map_err(|_| incomplete())?;
    Ok(ScopedCredentials {
        credentials: Credentials::new(
            key,
            secret,
            Some(session.to_owned()),
            Some(expires_at),
            "cognito-identity",
        ),
        expires_at,
    })
}

/// Whether a `NotAuthorizedException` message says Cognito refused the token itself, not its
/// pairing with the identity.
fn refuses_the_token(message: Option<&str>) -> bool {
    message.is_some_and(|m| m.starts_with("Invalid login token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attested_signer_has_the_shape_of_a_cognito_identity_id() {
        let id = "us-east-1:8f14e45f-ceea-467f-a0e6-6f1b4c1e7a2d";
        assert_eq!(IdentityId::attested_signer(id).unwrap().as_str(), id);
        for bad in [
            "",
            "us-east-1",
            ":8f14e45f",
            "us-east-1:",
            "US-EAST-1:8f14e45f",
            "us-east-1:../x",
            "us-east-1:8f14e45f/..",
            "us-east-1:8f14e45f:x",
        ] {
            assert!(IdentityId::attested_signer(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn only_cognitos_invalid_login_wording_means_a_refused_token() {
        assert!(refuses_the_token(Some(
            "Invalid login token. Token expired: 1 >= 0"
        )));
        assert!(!refuses_the_token(Some(
            "Logins don't match. Please include at least one valid login for this identity or identity pool."
        )));
        assert!(!refuses_the_token(None));
    }
}
