//! The user check: the token's user must still exist, be enabled, and be the same user
//! (AdminGetUser, matched on `sub`); with the shared tier, also not signed out since the token
//! was issued.
//!
//! Verdicts are kept in two tiers: this environment's own (`USER_CHECK_TTL_SECONDS`), and, with
//! `SESSION_TABLE`, the table shared by every environment (`SHARED_USER_CHECK_TTL_SECONDS`, one
//! AdminGetUser per user per TTL for the account; see [`crate::session::verdicts`]). A copy taken
//! from the table is kept here no longer than the table's verdict stays fresh, so without events
//! a change is noticed within the shared TTL, and with a revocation pushed into the table within
//! its delivery plus the local TTL.

use crate::auth::token::VerifiedIdToken;
use crate::error::{ApiError, Upstream};
use crate::metrics::{self, Cached, Tier};
use crate::session::now_ms;
use crate::session::verdicts::{Lookup, SharedVerdict, SharedVerdicts};
use aws_sdk_cognitoidentityprovider::{Client, operation::admin_get_user::AdminGetUserError};
use moka::Expiry;
use moka::future::Cache;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the user pool said about the user behind a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The user exists with the token's `sub` and is enabled.
    Enabled,
    /// The user is disabled.
    Disabled,
    /// No such user, or the username now belongs to another user (another `sub`).
    Unknown,
}

impl Verdict {
    /// The name stored in the shared table.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Enabled => "enabled",
            Verdict::Disabled => "disabled",
            Verdict::Unknown => "unknown",
        }
    }

    /// The verdict a stored name stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "enabled" => Some(Verdict::Enabled),
            "disabled" => Some(Verdict::Disabled),
            "unknown" => Some(Verdict::Unknown),
            _ => None,
        }
    }
}

/// A verdict as this environment keeps it, with how long it may.
#[derive(Debug, Clone, Copy)]
struct Known {
    verdict: Verdict,
    /// Tokens issued at or before this Unix second were signed out (pushed revocations only).
    revoked_since: Option<u64>,
    until: Instant,
}

impl Known {
    fn outcome(&self, token: &VerifiedIdToken) -> Result<(), ApiError> {
        match self.verdict {
            Verdict::Enabled
                if self
                    .revoked_since
                    .is_some_and(|since| token.issued_at() <= since) =>
            {
                Err(ApiError::NotAuthorized)
            }
            Verdict::Enabled => Ok(()),
            Verdict::Disabled => Err(ApiError::UserDisabled),
            Verdict::Unknown => Err(ApiError::UnknownUser),
        }
    }
}

/// Per-entry expiry of this environment's verdicts.
struct UntilStale;

impl Expiry<String, Known> for UntilStale {
    fn expire_after_create(
        &self,
        _: &String,
        value: &Known,
        created_at: Instant,
    ) -> Option<Duration> {
        Some(value.until.saturating_duration_since(created_at))
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
    /// This environment's verdicts by `sub`; `None` when every request must ask.
    verdicts: Option<Cache<String, Known>>,
    /// How long this environment keeps a verdict.
    ttl: Duration,
    /// The verdicts every environment shares, if there is a table.
    shared: Option<SharedVerdicts>,
}

impl UserCheck {
    /// A check against `user_pool_id`; `ttl` zero disables this environment's cache; `shared`,
    /// the table's verdicts behind it.
    pub fn new(
        client: Client,
        user_pool_id: String,
        ttl: Duration,
        max_entries: u64,
        shared: Option<SharedVerdicts>,
    ) -> Self {
        let verdicts = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(max_entries)
                .expire_after(UntilStale)
                .build()
        });
        UserCheck {
            client,
            user_pool_id,
            verdicts,
            ttl,
            shared,
        }
    }

    /// The remembered verdict on the token's user as an outcome, or `None` when the check is due
    /// (nothing remembered here, or caching is off). A remembered refusal is an answer, not a pass.
    pub async fn remembered(&self, token: &VerifiedIdToken) -> Option<Result<(), ApiError>> {
        let known = self.verdicts.as_ref()?.get(token.sub()).await?;
        metrics::cache(Cached::Verdict, Tier::Local);
        Some(known.outcome(token))
    }

    /// Passes when the token's user exists, is enabled and still has the token's `sub` (and,
    /// with pushed revocations, was not signed out since the token was issued); asks the table,
    /// then Cognito, unless a verdict is remembered here. Concurrent checks of one user share a
    /// single call; failures to ask are not remembered.
    pub async fn check(&self, token: &VerifiedIdToken) -> Result<(), ApiError> {
        let known = match &self.verdicts {
            Some(cache) => {
                let known = cache
                    .try_get_with_by_ref(token.sub(), Box::pin(self.fetch(token)))
                    .await
                    .map_err(Arc::unwrap_or_clone);
                // Unless this request fetched it (noted farther), it was here already.
                metrics::cache(Cached::Verdict, Tier::Local);
                known?
            }
            None => Box::pin(self.fetch(token)).await?,
        };
        known.outcome(token)
    }

    /// The verdict from the table, or from Cognito (written back to the table when this
    /// environment holds the lease).
    async fn fetch(&self, token: &VerifiedIdToken) -> Result<Known, ApiError> {
        let alone = |verdict| Known {
            verdict,
            revoked_since: None,
            until: Instant::now() + self.ttl,
        };
        let Some(shared) = &self.shared else {
            metrics::cache(Cached::Verdict, Tier::Miss);
            return Ok(alone(self.ask(token).await?));
        };
        let shared_known = |v: SharedVerdict| {
            // Kept here no longer than it stays fresh in the table.
            let fresh_until = v.checked_at + shared.ttl().as_millis() as u64;
            let left = Duration::from_millis(fresh_until.saturating_sub(now_ms()));
            Known {
                verdict: v.verdict,
                revoked_since: v.revoked_since,
                until: Instant::now() + left.min(self.ttl),
            }
        };
        match shared.lookup(token).await {
            Lookup::Fresh(verdict) => {
                metrics::cache(Cached::Verdict, Tier::Shared);
                Ok(shared_known(verdict))
            }
            Lookup::Unavailable => {
                metrics::cache(Cached::Verdict, Tier::Miss);
                Ok(alone(self.ask(token).await?))
            }
            Lookup::Due { rev, revoked_since } => {
                metrics::cache(Cached::Verdict, Tier::Miss);
                let asked_at = now_ms();
                let verdict = self.ask(token).await?;
                let revoked = shared.record(token, verdict, asked_at, rev).await;
                Ok(shared_known(revoked.unwrap_or(SharedVerdict {
                    verdict,
                    checked_at: asked_at,
                    revoked_since,
                })))
            }
        }
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
                Ok(match sub_of(&user) {
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

/// The `sub` attribute AdminGetUser answered for a user.
pub(crate) fn sub_of(
    user: &aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserOutput,
) -> Option<&str> {
    user.user_attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value())
}
