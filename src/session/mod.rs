//! The shared session tier: one DynamoDB table behind every Lambda environment's own caches, so
//! that what one environment learned from Cognito serves the others (`SESSION_TABLE`).
//!
//! Per user (partition key `user#<sub>`) the table holds:
//! - the **verdict** (`verdict`): what AdminGetUser said (enabled, disabled, unknown), when, and
//!   what revocation events said since (see [`verdicts`]);
//! - the **IdentityId** (`identity`), not secret: GetId once per user for the account;
//! - the **sealed keys** of each ID token (`keys#<hash of the token>`): the keys
//!   GetCredentialsForIdentity gave for that token, encrypted with a key only that token yields
//!   (see [`seal`]), expiring with the keys.
//!
//! The table is a cache in front of Cognito, never an authority over it: whatever it cannot answer
//! in time or in a usable form (throttled, slow, unreachable, refused, an entry that does not
//! decode or open) is a miss, and the request goes the per-environment way, as without a table.
//! Each fault is logged and counted ([`op::TABLE_FAULT`]); after one, the table is left alone for
//! [`FAULT_PAUSE`] and then tried again, so an outage costs one slow call per pause, not one per
//! request, and the tier recovers by itself.
//!
//! The attribute names of the table's key and TTL are those of `infra/tables/session.json`, the
//! definition both the CDK app and the local stack create the table from (a unit test holds them
//! equal).

pub mod keys;
pub mod seal;
pub mod shares;
pub mod verdicts;

use crate::config::SessionTier;
use crate::metrics::{CallCounter, op};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// The table's partition key attribute (a user: `user#<sub>`).
pub const PARTITION_KEY: &str = "pk";
/// The table's sort key attribute (what of the user: `verdict`, `identity`, `keys#<hash>`).
pub const SORT_KEY: &str = "sk";
/// The table's TTL attribute (Unix seconds). DynamoDB deletes expired items lazily, within days,
/// so every read checks expiry itself.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// After a fault the table is not called for this long; then it is tried again.
pub const FAULT_PAUSE: Duration = Duration::from_secs(2);
/// Attempts per table call, the first one included, all within the tier's own budget.
const TABLE_ATTEMPTS: u32 = 2;

/// One item of the table, as DynamoDB returns it.
pub type Item = HashMap<String, AttributeValue>;

/// A table call under way: its answer, DynamoDB's refusal of a condition, or [`Unavailable`].
pub type TableCall<'a, T, E> =
    Pin<Box<dyn Future<Output = Result<Result<T, E>, Unavailable>> + Send + 'a>>;

/// The table did not answer usably; already logged and counted. The caller treats it as a miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

/// A DynamoDB table shared by every environment, with its own small budget and fault handling.
pub struct SessionTable {
    client: Client,
    name: String,
    counter: CallCounter,
    /// Until when the table is left alone after a fault.
    paused_until: Mutex<Option<Instant>>,
}

impl SessionTable {
    /// The table of `tier`, called through `sdk`'s HTTP client with the tier's own budget; every
    /// call counted in `counter`.
    pub fn new(tier: &SessionTier, sdk: &SdkConfig, counter: &CallCounter) -> Self {
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(tier.timeout)
            .connect_timeout(tier.timeout)
            .build();
        let mut config = aws_sdk_dynamodb::config::Builder::from(sdk)
            .timeout_config(timeouts)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(TABLE_ATTEMPTS)
                    .with_initial_backoff(Duration::from_millis(10)),
            )
            .interceptor(counter.clone());
        if let Some(url) = &tier.endpoint_url {
            config = config.endpoint_url(url);
        }
        Self::with_client(Client::from_conf(config.build()), &tier.table, counter)
    }

    /// A table reached through `client` (already configured and counted).
    pub fn with_client(client: Client, name: &str, counter: &CallCounter) -> Self {
        SessionTable {
            client,
            name: name.to_owned(),
            counter: counter.clone(),
            paused_until: Mutex::new(None),
        }
    }

    /// The DynamoDB client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key of `what` (`verdict`, `identity`, `keys#...`) of the user `sub`.
    pub fn key(sub: &str, what: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PARTITION_KEY.to_owned(), AttributeValue::S(user_key(sub))),
            (SORT_KEY.to_owned(), AttributeValue::S(what.to_owned())),
        ])
    }

    /// Runs one table call unless the table is paused after a fault. `Ok(Err(e))`: DynamoDB
    /// refused a condition (`ConditionalCheckFailedException`), an answer, not a fault. Any other
    /// failure is logged, counted, pauses the table, and answers [`Unavailable`].
    ///
    /// Boxed: the SDK's futures are large, and the request path awaits several of them deep
    /// inside its own (a debug build would otherwise overflow a test thread's stack).
    pub fn call<'a, T, E>(
        &'a self,
        operation: &'static str,
        call: impl Future<Output = Result<T, SdkError<E, HttpResponse>>> + Send + 'a,
    ) -> TableCall<'a, T, E>
    where
        T: Send + 'a,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        Box::pin(async move {
            if self.paused() {
                return Err(Unavailable);
            }
            match call.await {
                Ok(out) => Ok(Ok(out)),
                Err(SdkError::ServiceError(err))
                    if err.err().code() == Some("ConditionalCheckFailedException") =>
                {
                    Ok(Err(err.into_err()))
                }
                Err(err) => {
                    self.fault(operation, &err);
                    Err(Unavailable)
                }
            }
        })
    }

    /// Logs and counts a fault (or an entry that does not decode), and pauses the table.
    pub fn fault(&self, operation: &str, cause: &(dyn std::error::Error + 'static)) {
        self.counter.record(op::TABLE_FAULT);
        *self.paused_until.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Instant::now() + FAULT_PAUSE);
        tracing::warn!(
            operation,
            table = %self.name,
            cause = %DisplayErrorContext(cause),
            pause_ms = FAULT_PAUSE.as_millis() as u64,
            "session table fault: a miss, the request goes the per-environment way"
        );
    }

    /// Counts an entry that did not decode or open: a miss, logged, without pausing the table.
    pub fn unusable(&self, what: &'static str) {
        self.counter.record(op::TABLE_FAULT);
        tracing::warn!(table = %self.name, what, "session table entry unusable: a miss");
    }

    fn paused(&self) -> bool {
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        match *paused {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                *paused = None;
                tracing::info!(table = %self.name, "session table: trying it again");
                false
            }
            None => false,
        }
    }
}

/// The partition key of a user.
pub fn user_key(sub: &str) -> String {
    format!("user#{sub}")
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A string attribute.
pub(crate) fn string<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

/// A whole-number attribute.
pub(crate) fn number(item: &Item, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// A number attribute's value.
pub(crate) fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition the CDK app and the local stack create the table from.
    fn definition() -> serde_json::Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/infra/tables/session.json");
        let text = std::fs::read_to_string(path).expect("infra/tables/session.json");
        serde_json::from_str(&text).expect("JSON")
    }

    #[test]
    fn the_key_and_ttl_attributes_are_those_the_table_is_created_with() {
        let table = definition();
        assert_eq!(table["partitionKey"]["name"], PARTITION_KEY);
        assert_eq!(table["partitionKey"]["type"], "S");
        assert_eq!(table["sortKey"]["name"], SORT_KEY);
        assert_eq!(table["sortKey"]["type"], "S");
        assert_eq!(table["timeToLiveAttribute"], TTL_ATTRIBUTE);
        assert_eq!(table["billingMode"], "PAY_PER_REQUEST");
    }
}
