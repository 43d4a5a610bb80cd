//! The user check: the token's user must still exist and be enabled (AdminGetUser).

use crate::error::{ApiError, Upstream};
use aws_sdk_cognitoidentityprovider::{Client, operation::admin_get_user::AdminGetUserError};
use moka::future::Cache;
use std::sync::Arc;
use std::time::Duration;

/// What the user pool said about a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Enabled,
    Disabled,
    Unknown,
}

/// Asks the user pool about users, remembering its answers for a while.
///
/// Refusals are remembered as long as approvals: otherwise a disabled user's still-valid token
/// could spend the account's AdminGetUser quota (120 RPS) one request at a time.
pub struct UserCheck {
    client: Client,
    user_pool_id: String,
    /// Verdicts by username; `None` when every request must ask.
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

    /// Whether a recent verdict on `username` makes a call unnecessary now.
    pub fn is_fresh(&self, username: &str) -> bool {
        self.verdicts
            .as_ref()
            .is_some_and(|cache| cache.contains_key(username))
    }

    /// Passes when the user exists and is enabled; asks Cognito unless a recent verdict is cached.
    /// Concurrent checks of one user share a single call; failures to ask are not cached.
    pub async fn check(&self, username: &str) -> Result<(), Arc<ApiError>> {
        let verdict = match &self.verdicts {
            Some(cache) => {
                cache
                    .try_get_with_by_ref(username, self.ask(username))
                    .await?
            }
            None => self.ask(username).await?,
        };
        match verdict {
            Verdict::Enabled => Ok(()),
            Verdict::Disabled => Err(Arc::new(ApiError::UserDisabled)),
            Verdict::Unknown => Err(Arc::new(ApiError::UnknownUser)),
        }
    }

    async fn ask(&self, username: &str) -> Result<Verdict, ApiError> {
        let answer = self
            .client
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await;
        match answer {
            Ok(user) if user.enabled() => Ok(Verdict::Enabled),
            Ok(_) => Ok(Verdict::Disabled),
            Err(err) => match err.as_service_error() {
                Some(AdminGetUserError::UserNotFoundException(_)) => Ok(Verdict::Unknown),
                Some(AdminGetUserError::NotAuthorizedException(_)) => Err(ApiError::NotAuthorized),
                Some(AdminGetUserError::ResourceNotFoundException(_)) => {
                    Err(ApiError::Misconfigured {
                        upstream: Upstream::UserPool,
                        source: Box::new(err),
                    })
                }
                _ => Err(ApiError::from_sdk(Upstream::UserPool, err)),
            },
        }
    }
}
