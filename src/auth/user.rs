//! The user check: the token's user must still exist and be enabled (AdminGetUser).

use crate::error::{ApiError, Upstream};
use aws_sdk_cognitoidentityprovider::{Client, operation::admin_get_user::AdminGetUserError};
use moka::future::Cache;
use std::sync::Arc;
use std::time::Duration;

/// Asks the user pool about users, remembering good answers for a while.
pub struct UserCheck {
    client: Client,
    user_pool_id: String,
    /// Users found enabled, by username; `None` when every request must ask.
    passed: Option<Cache<String, ()>>,
}

impl UserCheck {
    /// A check against `user_pool_id`; `ttl` zero disables the cache.
    pub fn new(client: Client, user_pool_id: String, ttl: Duration, max_entries: u64) -> Self {
        let passed = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(max_entries)
                .time_to_live(ttl)
                .build()
        });
        UserCheck {
            client,
            user_pool_id,
            passed,
        }
    }

    /// Whether `username` passed recently enough that no call is needed now.
    pub fn is_fresh(&self, username: &str) -> bool {
        self.passed
            .as_ref()
            .is_some_and(|cache| cache.contains_key(username))
    }

    /// Passes when the user exists and is enabled; asks Cognito unless a recent answer is cached.
    /// Concurrent checks of one user share a single call.
    pub async fn check(&self, username: &str) -> Result<(), Arc<ApiError>> {
        match &self.passed {
            Some(cache) => {
                cache
                    .try_get_with_by_ref(username, self.ask(username))
                    .await
            }
            None => self.ask(username).await.map_err(Arc::new),
        }
    }

    async fn ask(&self, username: &str) -> Result<(), ApiError> {
        let answer = self
            .client
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await;
        match answer {
            Ok(user) if user.enabled() => Ok(()),
            Ok(_) => Err(ApiError::UserDisabled),
            Err(err) => Err(match err.as_service_error() {
                Some(AdminGetUserError::UserNotFoundException(_)) => ApiError::UnknownUser,
                Some(AdminGetUserError::NotAuthorizedException(_)) => ApiError::NotAuthorized,
                Some(AdminGetUserError::ResourceNotFoundException(_)) => ApiError::Misconfigured {
                    upstream: Upstream::UserPool,
                    source: Box::new(err),
                },
                _ => ApiError::from_sdk(Upstream::UserPool, err),
            }),
        }
    }
}
