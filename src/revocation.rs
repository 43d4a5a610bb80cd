//! Revocations pushed into the shared table: the `revocations` function (`src/bin/revocations.rs`)
//! receives Cognito's own record of user-pool calls, as EventBridge delivers CloudTrail's
//! management events ("AWS API Call via CloudTrail"), and writes what they mean into the verdict
//! every environment reads (see [`crate::session::verdicts`]):
//!
//! | event | verdict | sealed keys |
//! | --- | --- | --- |
//! | `AdminDisableUser` | `disabled`, fresh from the event's time | deleted |
//! | `AdminDeleteUser`, `DeleteUser` | `unknown`, fresh from the event's time | deleted |
//! | `AdminUserGlobalSignOut`, `GlobalSignOut` | unchanged; tokens issued at or before the event's second are refused | deleted |
//! | `AdminEnableUser` | stale: the next request asks AdminGetUser | kept |
//!
//! Every applied event counts one more revocation (`rev`), so an environment that asked Cognito
//! before the event cannot write its older answer over it. Events are keyed by the user's `sub`
//! (CloudTrail's `additionalEventData.sub`; Cognito hides usernames in CloudTrail), applied only if
//! no newer one was (delivery is unordered), and ignored when they failed (`errorCode`) or name
//! another user pool. The shape, and what AWS does not document about it, is written down in
//! `infra/local/README.md` ("Revocation events").

use crate::config::{ConfigError, Env, endpoint, pool_id, region, table_name};
use crate::metrics::{CallCounter, op};
use crate::session::verdicts::{VERDICT, attr};
use crate::session::{PARTITION_KEY, SORT_KEY, SessionTable, TTL_ATTRIBUTE, n, now_ms, user_key};
use crate::startup::Upstreams;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::date_time::{DateTime, Format};
use aws_smithy_types::error::display::DisplayErrorContext;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// The user-pool calls that change whether a user's tokens may be served.
pub const EVENT_NAMES: [&str; 6] = [
    "AdminDisableUser",
    "AdminDeleteUser",
    "AdminUserGlobalSignOut",
    "GlobalSignOut",
    "DeleteUser",
    "AdminEnableUser",
];
/// A revocation's verdict item is kept this long after the event (a sign-out must outlive every
/// token issued before it; an ID token lives at most a day).
const KEEP_AFTER: Duration = Duration::from_secs(2 * 24 * 3600);

/// What the `revocations` function needs to know.
#[derive(Debug, Clone)]
pub struct RevocationsConfig {
    /// The user pool whose events apply (`USER_POOL_ID`).
    pub user_pool_id: String,
    /// The shared table (`SESSION_TABLE`).
    pub table: String,
    /// Region, endpoint and budgets of the table calls.
    pub upstreams: Upstreams,
    /// Endpoint override for DynamoDB alone (`AWS_ENDPOINT_URL_DYNAMODB`).
    pub table_endpoint: Option<String>,
}

impl RevocationsConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(lookup);
        let region = env.required("AWS_REGION", region)?;
        let endpoint_url = env.optional("AWS_ENDPOINT_URL", endpoint)?;
        Ok(RevocationsConfig {
            user_pool_id: env.required("USER_POOL_ID", |v| pool_id(v, &region, '_'))?,
            table: env.required("SESSION_TABLE", table_name)?,
            table_endpoint: env
                .optional("AWS_ENDPOINT_URL_DYNAMODB", endpoint)?
                .or(endpoint_url.clone()),
            upstreams: Upstreams {
                endpoint_url,
                operation_timeout: env.millis("UPSTREAM_TIMEOUT_MS", 3000, 1..=60_000)?,
                connect_timeout: env.millis("CONNECT_TIMEOUT_MS", 1000, 1..=60_000)?,
                max_attempts: env.number("UPSTREAM_MAX_ATTEMPTS", 3, 1..=10)? as u32,
                region,
            },
        })
    }
}

/// A table call that failed: the event is not applied, and Lambda delivers it again.
#[derive(Debug, thiserror::Error)]
#[error("the session table refused or failed {operation}: {cause}")]
pub struct RevocationError {
    operation: &'static str,
    cause: String,
}

impl RevocationError {
    fn of(operation: &'static str, err: impl std::error::Error + 'static) -> Self {
        RevocationError {
            operation,
            cause: DisplayErrorContext(&err).to_string(),
        }
    }
}

/// The fields of an EventBridge "AWS API Call via CloudTrail" event that matter here; the rest of
/// the (large, partly undocumented) shape is ignored.
#[derive(Debug, Deserialize)]
struct Event {
    #[serde(default)]
    detail: Option<Detail>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    #[serde(default)]
    event_source: String,
    #[serde(default)]
    event_name: String,
    #[serde(default)]
    event_time: String,
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    request_parameters: Option<Value>,
    #[serde(default)]
    additional_event_data: Option<Value>,
}

/// What an event does to a user's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Disable,
    Delete,
    SignOut,
    Enable,
}

/// Applies revocation events to the shared table.
pub struct Revocations {
    client: Client,
    table: String,
    user_pool_id: String,
}

impl Revocations {
    /// The function for `config`, its table calls through `sdk`, counted in `counter`.
    pub fn new(config: &RevocationsConfig, sdk: &SdkConfig, counter: &CallCounter) -> Self {
        let mut builder = aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(counter.clone());
        if let Some(url) = &config.table_endpoint {
            builder = builder.endpoint_url(url);
        }
        Revocations {
            client: Client::from_conf(builder.build()),
            table: config.table.clone(),
            user_pool_id: config.user_pool_id.clone(),
        }
    }

    /// Applies one event; answers what was done (`{"applied": ..., ...}`). Errors only when the
    /// table failed, so that the event is delivered again.
    pub async fn handle(&self, event: Value) -> Result<Value, RevocationError> {
        let (change, sub, at_ms) = match self.parse(event) {
            Ok(parsed) => parsed,
            Err(reason) => {
                tracing::info!(reason, "event ignored");
                return Ok(json!({ "applied": "nothing", "reason": reason }));
            }
        };
        let applied = self.apply(change, &sub, at_ms).await?;
        let deleted = match (applied, change) {
            (true, Change::Disable | Change::Delete | Change::SignOut) => {
                self.delete_sealed_keys(&sub).await?
            }
            _ => 0,
        };
        let name = match change {
            Change::Disable => "disabled",
            Change::Delete => "deleted",
            Change::SignOut => "signed_out",
            Change::Enable => "enabled",
        };
        tracing::info!(
            change = name,
            applied,
            sealed_keys_deleted = deleted,
            "revocation event"
        );
        Ok(json!({
            "applied": if applied { name } else { "nothing" },
            "reason": if applied { "" } else { "a newer event was applied already" },
            "sealed_keys_deleted": deleted,
        }))
    }

    /// The change, the user's `sub` and the event's time (ms), or why the event does not apply.
    fn parse(&self, event: Value) -> Result<(Change, String, u64), &'static str> {
        let event: Event = serde_json::from_value(event).map_err(|_| "not an event")?;
        let detail = event.detail.ok_or("no detail")?;
        if detail.event_source != "cognito-idp.amazonaws.com" {
            return Err("not a user-pool call");
        }
        if detail.error_code.as_deref().is_some_and(|c| !c.is_empty()) {
            return Err("the call failed");
        }
        let change = match detail.event_name.as_str() {
            "AdminDisableUser" => Change::Disable,
            "AdminDeleteUser" | "DeleteUser" => Change::Delete,
            "AdminUserGlobalSignOut" | "GlobalSignOut" => Change::SignOut,
            "AdminEnableUser" => Change::Enable,
            _ => return Err("not a revocation"),
        };
        let pool = detail
            .request_parameters
            .as_ref()
            .and_then(|p| p.get("userPoolId"))
            .and_then(Value::as_str);
        // Calls made with a user's access token (GlobalSignOut, DeleteUser) name no pool; a `sub`
        // is unique across pools, so such an event can only match a user of its own pool.
        if pool.is_some_and(|p| p != self.user_pool_id) {
            return Err("another user pool");
        }
        let sub = detail
            .additional_event_data
            .as_ref()
            .and_then(|d| d.get("sub"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 128)
            .ok_or("no sub")?;
        let at = DateTime::from_str(&detail.event_time, Format::DateTime)
            .map_err(|_| "no event time")?;
        let at_ms = u64::try_from(at.to_millis().map_err(|_| "no event time")?)
            .map_err(|_| "no event time")?;
        Ok((change, sub.to_owned(), at_ms))
    }

    /// Writes the change into the user's verdict, unless a newer event was applied already.
    async fn apply(&self, change: Change, sub: &str, at_ms: u64) -> Result<bool, RevocationError> {
        let keep = (now_ms().max(at_ms) + KEEP_AFTER.as_millis() as u64) / 1000;
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(SessionTable::key(sub, VERDICT)))
            .expression_attribute_names("#sub", attr::SUB)
            .expression_attribute_names("#rev", attr::REV)
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_values(":sub", AttributeValue::S(sub.to_owned()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":keep", n(keep));
        let update = match change {
            Change::Disable | Change::Delete => {
                let state = if change == Change::Disable {
                    "disabled"
                } else {
                    "unknown"
                };
                update
                    .update_expression(
                        "SET #state = :state, #sub = :sub, #checked = :at, #event = :at, \
                         #exp = :keep ADD #rev :one",
                    )
                    .condition_expression("attribute_not_exists(#event) OR #event <= :at")
                    .expression_attribute_names("#state", attr::STATE)
                    .expression_attribute_names("#checked", attr::CHECKED_AT)
                    .expression_attribute_names("#event", attr::EVENT_AT)
                    .expression_attribute_values(":state", AttributeValue::S(state.to_owned()))
                    .expression_attribute_values(":at", n(at_ms))
            }
            // Sign-outs only ever move `revoked_since` forward, whatever else came in between.
            Change::SignOut => update
                .update_expression("SET #since = :since, #sub = :sub, #exp = :keep ADD #rev :one")
                .condition_expression("attribute_not_exists(#since) OR #since < :since")
                .expression_attribute_names("#since", attr::REVOKED_SINCE)
                .expression_attribute_values(":since", n(at_ms / 1000)),
            Change::Enable => update
                .update_expression(
                    "SET #sub = :sub, #event = :at, #exp = :keep REMOVE #state, #checked \
                     ADD #rev :one",
                )
                .condition_expression("attribute_not_exists(#event) OR #event <= :at")
                .expression_attribute_names("#state", attr::STATE)
                .expression_attribute_names("#checked", attr::CHECKED_AT)
                .expression_attribute_names("#event", attr::EVENT_AT)
                .expression_attribute_values(":at", n(at_ms)),
        };
        match update.send().await {
            Ok(_) => Ok(true),
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(RevocationError::of(op::TABLE_UPDATE, other)),
            },
        }
    }

    /// Deletes every sealed session of the user; how many there were.
    async fn delete_sealed_keys(&self, sub: &str) -> Result<usize, RevocationError> {
        let mut deleted = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :keys)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_values(":pk", AttributeValue::S(user_key(sub)))
                .expression_attribute_values(":keys", AttributeValue::S("keys#".to_owned()))
                .projection_expression("#pk, #sk")
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| RevocationError::of(op::TABLE_QUERY, e.into_service_error()))?;
            for item in page.items() {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(item.clone()))
                    .send()
                    .await
                    .map_err(|e| RevocationError::of(op::TABLE_DELETE, e.into_service_error()))?;
                deleted += 1;
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(deleted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revocations() -> Revocations {
        let sdk = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        let vars = [
            ("AWS_REGION", "us-east-1"),
            ("USER_POOL_ID", "us-east-1_Pool"),
            ("SESSION_TABLE", "sessions"),
        ];
        let config = RevocationsConfig::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .unwrap();
        Revocations::new(&config, &sdk, &CallCounter::default())
    }

    /// An EventBridge "AWS API Call via CloudTrail" event for `name` (see infra/local/README.md).
    fn event(name: &str, pool: Option<&str>, sub: Option<&str>) -> Value {
        let mut params = json!({ "username": "HIDDEN_FOR_SECURITY_REASONS" });
        if let Some(pool) = pool {
            params["userPoolId"] = json!(pool);
        }
        json!({
            "version": "0",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.cognito-idp",
            "detail": {
                "eventVersion": "1.08",
                "eventTime": "2026-11-30T12:00:01Z",
                "eventSource": "cognito-idp.amazonaws.com",
                "eventName": name,
                "requestParameters": params,
                "additionalEventData": sub.map(|s| json!({ "sub": s })),
            }
        })
    }

    #[test]
    fn each_revocation_event_is_read_as_its_change_for_the_sub() {
        let r = revocations();
        let pool = Some("us-east-1_Pool");
        for (name, change) in [
            ("AdminDisableUser", Change::Disable),
            ("AdminDeleteUser", Change::Delete),
            ("DeleteUser", Change::Delete),
            ("AdminUserGlobalSignOut", Change::SignOut),
            ("GlobalSignOut", Change::SignOut),
            ("AdminEnableUser", Change::Enable),
        ] {
            let (got, sub, at) = r.parse(event(name, pool, Some("sub-1"))).unwrap();
            assert_eq!((got, sub.as_str()), (change, "sub-1"), "{name}");
            assert_eq!(at, 1_796_040_001_000, "{name}");
        }
        // Calls made with an access token name no pool.
        assert!(r.parse(event("GlobalSignOut", None, Some("sub-1"))).is_ok());
        assert_eq!(EVENT_NAMES.len(), 6);
    }

    #[test]
    fn events_that_do_not_revoke_in_this_pool_are_ignored() {
        let r = revocations();
        let pool = Some("us-east-1_Pool");
        assert_eq!(
            r.parse(event(
                "AdminDisableUser",
                Some("us-east-1_Other"),
                Some("s")
            )),
            Err("another user pool")
        );
        assert_eq!(
            r.parse(event("AdminDisableUser", pool, None)),
            Err("no sub")
        );
        assert_eq!(
            r.parse(event("AdminGetUser", pool, Some("s"))),
            Err("not a revocation")
        );
        let mut failed = event("AdminDisableUser", pool, Some("s"));
        failed["detail"]["errorCode"] = json!("UserNotFoundException");
        assert_eq!(r.parse(failed), Err("the call failed"));
        let mut other = event("AdminDisableUser", pool, Some("s"));
        other["detail"]["eventSource"] = json!("s3.amazonaws.com");
        assert_eq!(r.parse(other), Err("not a user-pool call"));
        assert_eq!(r.parse(json!("garbage")), Err("not an event"));
    }
}
