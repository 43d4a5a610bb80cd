//! The user check: the token's user must still exist, be enabled, and be the same user
//! (AdminGetUser, matched on `sub`).

use crate::auth::token::VerifiedIdToken;
use crate::error::{ApiError, Upstream};
use aws_sdk_cognitoidentityprovider::{Client, operation::admin_get_user::AdminGetUserError};
use moka::future::Cache;
use std::sync::Arc;
use std::time::Duration;

/// What the user pool said about the user behind a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Enabled,
    Disabled,
    /// No such user, or the username now belongs to another user (another `sub`).
    Unknown,
}

impl Verdict {
    fn outcome(self) -> Result<(), ApiError> {
        match self {
            Verdict::Enabled => Ok(()),
            Verdict::Disabled => Err(ApiError::UserDisabled),
            Verdict::Unknown => Err(ApiError::UnknownUser),
        }
    }
}

/// Asks the user pool about users, remembering its answers for a while.
///
/// Verdicts are kept by the token's `sub`, never by username: a username can be deleted and
/// created again for another person, and the old person's still-valid token must not pass.
/// Refusals are remembered as long as approvals: otherwise a disabled user's still-valid token
/// could spend the account's AdminGetUser quota (120 RPS) one request at a time.
pub struct UserCheck {
    client: Client,
    user_pool_id: String,
    /// Verdicts by `sub`; `None` when every request must ask.
    verdicts: Option<Cache<String, Verdict>>,
}

impl UserCheck {
    /// A check against `user_pool_id`; `ttl` zero disables the cache.
    pub fn new(client: Client, user_pool_id: String, ttl: Duration, max_entries: u64) -> Self {
        let verdicts = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(max_entries)
                .time_to_live(ttl)
                .build()
        });
        UserCheck {
            client,
            user_pool_id,
            verdicts,
        }
    }

    /// The remembered verdict on the token's user as an outcome, or `None` when the check is due
    /// (nothing remembered, or caching is off). A remembered refusal is an answer, not a pass.
    pub async fn remembered(&self, token: &VerifiedIdToken) -> Option<Result<(), ApiError>> {
        let verdict = self.verdicts.as_ref()?.get(token.sub()).await?;
        Some(verdict.outcome())
    }

    /// Passes when the token's user exists, is enabled and still has the token's `sub`; asks
    /// Cognito unless a verdict is remembered. Concurrent checks of one user share a single call;
    /// failures to ask are not remembered.
    pub async fn check(&self, token: &VerifiedIdToken) -> Result<(), ApiError> {
        let verdict = match &self.verdicts {
            Some(cache) => cache
                .try_get_with_by_ref(token.sub(), self.ask(token))
                .await
                .map_err(Arc::unwrap_or_clone)?,
            None => self.ask(token).await?,
        };
        verdict.outcome()
    }

    async fn ask(&self, token: &VerifiedIdToken) -> Result<Verdict, ApiError> {
        let answer = self
            .client
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(token.username())
            .send()
            .await;
        match answer {
            Ok(user) => {
                let sub = user
                    .user_attributes()
                    .iter()
                    .find(|a| a.name() == "sub")
                    .and_then(|a| a.value());
                Ok(match sub {
                    Some(sub) if sub == token.sub() => {
                        if user.enabled() {
                            Verdict::Enabled
                        } else {
                            Verdict::Disabled
                        }
                    }
                    // The username was given to someone else after this token was issued.
                    Some(_) => Verdict::Unknown,
                    None => {
                        return Err(ApiError::upstream(
                            Upstream::UserPool,
                            "AdminGetUser answered without the user's sub",
                        ));
                    }
                })
            }
            Err(err) => match err.as_service_error() {
                Some(AdminGetUserError::UserNotFoundException(_)) => Ok(Verdict::Unknown),
                Some(AdminGetUserError::NotAuthorizedException(_)) => Err(ApiError::NotAuthorized),
                Some(AdminGetUserError::ResourceNotFoundException(_)) => {
                    Err(ApiError::misconfigured(Upstream::UserPool, err))
                }
                _ => Err(ApiError::from_sdk(Upstream::UserPool, err)),
            },
        }
    }
}
