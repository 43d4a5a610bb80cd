//! The user's identity in the identity pool and the temporary AWS keys scoped to it.

use crate::auth::token::VerifiedIdToken;
use crate::config::Config;
use crate::error::{ApiError, Upstream};
use aws_credential_types::Credentials;
use aws_sdk_cognitoidentity::Client;
use aws_sdk_cognitoidentity::operation::get_credentials_for_identity::GetCredentialsForIdentityError;
use aws_sdk_cognitoidentity::operation::get_id::GetIdError;
use std::time::SystemTime;

/// An identity-pool IdentityId as Cognito returned it (`<region>:<uuid>`).
///
/// It can only be made from a Cognito answer, never from request input, and its shape is
/// checked so that it is always a single safe S3 key segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdentityId(String);

impl IdentityId {
    fn from_cognito(id: Option<&str>) -> Result<Self, ApiError> {
        let id = id.unwrap_or_default();
        let well_formed = id.split_once(':').is_some_and(|(region, rest)| {
            !region.is_empty()
                && !rest.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && rest.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        });
        if well_formed {
            Ok(IdentityId(id.to_owned()))
        } else {
            Err(ApiError::Upstream {
                upstream: Upstream::IdentityPool,
                source: "GetId answered a malformed IdentityId".into(),
            })
        }
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
            account_id: config.account_id.to_string(),
            identity_pool_id: config.identity_pool_id.to_string(),
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
                | Some(GetIdError::InvalidParameterException(_)) => ApiError::Misconfigured {
                    upstream: Upstream::IdentityPool,
                    source: Box::new(err),
                },
                _ => ApiError::from_sdk(Upstream::IdentityPool, err),
            }),
        }
    }

    /// GetCredentialsForIdentity: keys of the pool's authenticated role, scoped to `id`.
    pub async fn credentials(
        &self,
        id: &IdentityId,
        token: &VerifiedIdToken,
    ) -> Result<ScopedCredentials, ApiError> {
        let answer = self
            .client
            .get_credentials_for_identity()
            .identity_id(id.as_str())
            .logins(&self.login_provider, token.raw().expose())
            .send()
            .await;
        let out = match answer {
            Ok(out) => out,
            Err(err) => {
                return Err(match err.as_service_error() {
                    Some(GetCredentialsForIdentityError::NotAuthorizedException(_)) => {
                        ApiError::NotAuthorized
                    }
                    // The identity was deleted (or the pool is gone, which GetId will tell).
                    Some(GetCredentialsForIdentityError::ResourceNotFoundException(_)) => {
                        ApiError::UnknownIdentity {
                            source: Box::new(err),
                        }
                    }
                    Some(
                        GetCredentialsForIdentityError::InvalidIdentityPoolConfigurationException(
                            _,
                        ),
                    )
                    | Some(GetCredentialsForIdentityError::InvalidParameterException(_)) => {
                        ApiError::Misconfigured {
                            upstream: Upstream::IdentityPool,
                            source: Box::new(err),
                        }
                    }
                    _ => ApiError::from_sdk(Upstream::IdentityPool, err),
                });
            }
        };
        if out.identity_id() != Some(id.as_str()) {
            return Err(ApiError::Upstream {
                upstream: Upstream::IdentityPool,
                source: "GetCredentialsForIdentity answered for another identity".into(),
            });
        }
        let incomplete = || ApiError::Upstream {
            upstream: Upstream::IdentityPool,
            source: "GetCredentialsForIdentity answered without complete credentials".into(),
        };
        let creds = out.credentials().ok_or_else(incomplete)?;
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
}
