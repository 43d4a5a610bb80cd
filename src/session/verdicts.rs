//! User-check verdicts in the shared table, for [`crate::auth::user::UserCheck`]: one
//! AdminGetUser per user per [`SessionTier::verdict_ttl`](crate::config::SessionTier) for the
//! whole account, and the revocations pushed by `revocations`.
//!
//! A verdict item (`user#<sub>`, `verdict`) holds `state` (`enabled`, `disabled`, `unknown`),
//! `username` and `sub` (an approval is used only for a token with both), `checked_at` (ms), `rev`
//! (how many revocation events were applied), `revoked_since` (Unix seconds: tokens issued then
//! or before were signed out), `lease_until` (ms) and the TTL attribute.
//!
//! **Single flight across environments.** An environment that finds the verdict stale or
//! missing takes a lease with a conditional write (no live lease, verdict still stale); the
//! winner asks AdminGetUser and writes the answer back. A loser reads the item again every
//! [`LEASE_POLL`] for at most `SHARED_USER_CHECK_WAIT_MS` (250 ms by default); if the winner has not answered by then, it asks
//! Cognito itself (a slow or crashed winner delays the others by that much, never longer).
//!
//! **Revocations win.** An answer is written back only if no revocation was applied since the
//! environment read the item (`rev` unchanged); otherwise the revocation's verdict is used.

use super::{Item, SessionTable, TTL_ATTRIBUTE, Unavailable, n, now_ms, number, string};
use crate::auth::token::VerifiedIdToken;
use crate::auth::user::Verdict;
use crate::metrics::op;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sort key of a user's verdict.
pub const VERDICT: &str = "verdict";
/// How often a loser of the lease reads the verdict again while it waits for the winner's answer.
pub const LEASE_POLL: Duration = Duration::from_millis(50);
/// Verdict items outlive their freshness by this much: a sign-out's `revoked_since` must be kept
/// as long as a token issued before it can be valid (an ID token lives at most a day).
const KEEP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Attribute names (always through `#placeholders`: some are DynamoDB reserved words).
pub mod attr {
    /// `enabled`, `disabled` or `unknown`.
    pub const STATE: &str = "state";
    /// The pool username the verdict is about.
    pub const USERNAME: &str = "username";
    /// The user's `sub`; must equal the partition key's.
    pub const SUB: &str = "sub";
    /// When AdminGetUser was asked (or the revocation happened), ms since the epoch.
    pub const CHECKED_AT: &str = "checked_at";
    /// Revocation events applied so far.
    pub const REV: &str = "rev";
    /// Tokens issued at or before this Unix second were signed out.
    pub const REVOKED_SINCE: &str = "revoked_since";
    /// When the last applied revocation event happened, ms (older events are not applied).
    pub const EVENT_AT: &str = "event_at";
    /// Until when an environment asking Cognito holds the lease, ms.
    pub const LEASE_UNTIL: &str = "lease_until";
}

/// A verdict the table holds, usable for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedVerdict {
    /// What the pool (or a revocation) said.
    pub verdict: Verdict,
    /// When, ms since the epoch.
    pub checked_at: u64,
    /// Tokens issued at or before this Unix second are signed out.
    pub revoked_since: Option<u64>,
}

/// What the table says about a user's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// A fresh verdict: use it.
    Fresh(SharedVerdict),
    /// Stale or missing, and this environment asks Cognito: [`SharedVerdicts::record`] the
    /// answer with `rev`. `revoked_since` holds as long as `rev` does.
    Due {
        rev: u64,
        revoked_since: Option<u64>,
    },
    /// The table did not answer: ask Cognito, and keep the answer in this environment only.
    Unavailable,
}

/// Verdicts in the table.
pub struct SharedVerdicts {
    table: Arc<SessionTable>,
    ttl: Duration,
    lease: Duration,
    wait: Duration,
}

impl SharedVerdicts {
    /// Verdicts in `table`, fresh for `ttl`; a lease lasts `lease` (about one AdminGetUser's
    /// budget); a loser waits up to `wait` for the winner's answer.
    pub fn new(table: Arc<SessionTable>, ttl: Duration, lease: Duration, wait: Duration) -> Self {
        SharedVerdicts {
            table,
            ttl,
            lease,
            wait,
        }
    }

    /// How long a verdict stays fresh.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The user's verdict, or the lease to ask for it (see the module docs).
    pub async fn lookup(&self, token: &VerifiedIdToken) -> Lookup {
        let Ok(item) = self.read(token, false).await else {
            return Lookup::Unavailable;
        };
        if let Some(fresh) = item.as_ref().and_then(|i| self.fresh(token, i)) {
            return Lookup::Fresh(fresh);
        }
        let now = now_ms();
        let until = now + self.lease.as_millis() as u64;
        let keep = (now + KEEP_AFTER.as_millis() as u64) / 1000;
        let lease = self
            .update(token)
            .update_expression(
                "SET #lease = :until, #sub = :sub, #exp = if_not_exists(#exp, :keep)",
            )
            .condition_expression(
                "(attribute_not_exists(#lease) OR #lease < :now) \
                 AND (attribute_not_exists(#checked) OR #checked < :stale)",
            )
            .expression_attribute_names("#lease", attr::LEASE_UNTIL)
            .expression_attribute_names("#sub", attr::SUB)
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_names("#checked", attr::CHECKED_AT)
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":sub", AttributeValue::S(token.sub().to_owned()))
            .expression_attribute_values(":keep", n(keep))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":stale", n(now.saturating_sub(self.ttl_ms())))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match self.table.call(op::TABLE_UPDATE, lease.send()).await {
            Err(Unavailable) => Lookup::Unavailable,
            Ok(Ok(won)) => due(won.attributes.as_ref()),
            Ok(Err(lost)) => {
                // Someone wrote a fresh verdict meanwhile, or holds the lease: wait for its answer.
                if let Some(fresh) = old_item(&lost).and_then(|i| self.fresh(token, i)) {
                    return Lookup::Fresh(fresh);
                }
                self.wait(token, old_item(&lost)).await
            }
        }
    }

    /// Writes the answer AdminGetUser gave at `asked_at` (ms), unless a revocation was applied
    /// since the item's `rev` was read; then answers the revocation's verdict instead.
    pub async fn record(
        &self,
        token: &VerifiedIdToken,
        verdict: Verdict,
        asked_at: u64,
        rev: u64,
    ) -> Option<SharedVerdict> {
        let keep = (asked_at + (self.ttl + KEEP_AFTER).as_millis() as u64) / 1000;
        let condition = if rev == 0 {
            "attribute_not_exists(#rev)"
        } else {
            "#rev = :rev"
        };
        let mut write = self
            .update(token)
            .update_expression(
                "SET #state = :state, #user = :user, #sub = :sub, #checked = :checked, #exp = :keep \
                 REMOVE #lease",
            )
            .condition_expression(condition)
            .expression_attribute_names("#state", attr::STATE)
            .expression_attribute_names("#user", attr::USERNAME)
            .expression_attribute_names("#sub", attr::SUB)
            .expression_attribute_names("#checked", attr::CHECKED_AT)
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_names("#lease", attr::LEASE_UNTIL)
            .expression_attribute_names("#rev", attr::REV)
            .expression_attribute_values(":state", AttributeValue::S(verdict.name().to_owned()))
            .expression_attribute_values(":user", AttributeValue::S(token.username().to_owned()))
            .expression_attribute_values(":sub", AttributeValue::S(token.sub().to_owned()))
            .expression_attribute_values(":checked", n(asked_at))
            .expression_attribute_values(":keep", n(keep))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if rev != 0 {
            write = write.expression_attribute_values(":rev", n(rev));
        }
        match self.table.call(op::TABLE_UPDATE, write.send()).await {
            Ok(Err(revoked)) => old_item(&revoked).and_then(|i| self.fresh(token, i)),
            _ => None,
        }
    }

    /// Reads the item again while another environment holds the lease; [`Lookup::Due`] once
    /// the wait is over.
    async fn wait(&self, token: &VerifiedIdToken, seen: Option<&Item>) -> Lookup {
        let started = Instant::now();
        let mut last = due(seen);
        while started.elapsed() + LEASE_POLL <= self.wait {
            tokio::time::sleep(LEASE_POLL).await;
            match self.read(token, true).await {
                Err(Unavailable) => return Lookup::Unavailable,
                Ok(item) => {
                    if let Some(fresh) = item.as_ref().and_then(|i| self.fresh(token, i)) {
                        return Lookup::Fresh(fresh);
                    }
                    last = due(item.as_ref());
                }
            }
        }
        tracing::info!(
            waited_ms = started.elapsed().as_millis() as u64,
            "no verdict from the environment holding the lease: asking Cognito here"
        );
        last
    }

    async fn read(
        &self,
        token: &VerifiedIdToken,
        consistent: bool,
    ) -> Result<Option<Item>, Unavailable> {
        let read = self
            .table
            .client()
            .get_item()
            .table_name(self.table.name())
            .set_key(Some(SessionTable::key(token.sub(), VERDICT)))
            .consistent_read(consistent);
        match self.table.call(op::TABLE_GET, read.send()).await? {
            Ok(out) => Ok(out.item),
            Err(_) => Ok(None),
        }
    }

    fn update(
        &self,
        token: &VerifiedIdToken,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(SessionTable::key(token.sub(), VERDICT)))
    }

    fn ttl_ms(&self) -> u64 {
        self.ttl.as_millis() as u64
    }

    /// The verdict in `item` if it is fresh and bound to the token's user: its `sub`, and for an
    /// approval also its username. A verdict that fails the binding is counted and ignored.
    fn fresh(&self, token: &VerifiedIdToken, item: &Item) -> Option<SharedVerdict> {
        let verdict = Verdict::from_name(string(item, attr::STATE)?)?;
        let checked_at = number(item, attr::CHECKED_AT)?;
        let bound = string(item, attr::SUB) == Some(token.sub())
            && (verdict != Verdict::Enabled
                || string(item, attr::USERNAME) == Some(token.username()));
        if !bound {
            self.table.unusable("a verdict not bound to its user");
            return None;
        }
        (checked_at + self.ttl_ms() > now_ms()).then_some(SharedVerdict {
            verdict,
            checked_at,
            revoked_since: number(item, attr::REVOKED_SINCE),
        })
    }
}

/// The item as it was when a condition failed (`ReturnValuesOnConditionCheckFailure`).
fn old_item(err: &UpdateItemError) -> Option<&Item> {
    match err {
        UpdateItemError::ConditionalCheckFailedException(failed) => failed.item(),
        _ => None,
    }
}

/// The lease is this environment's: ask, then record with the item's `rev`.
fn due(item: Option<&Item>) -> Lookup {
    Lookup::Due {
        rev: item.and_then(|i| number(i, attr::REV)).unwrap_or(0),
        revoked_since: item.and_then(|i| number(i, attr::REVOKED_SINCE)),
    }
}
