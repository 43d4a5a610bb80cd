//! Counts of the upstream calls really sent, per operation, read by tests and the benchmark; and
//! what one request did, for its metric records ([`crate::emf`]).
//!
//! Operations are named `<service>:<Operation>` with the service as AWS's endpoint prefix names
//! it (`cognito-idp`, `cognito-identity`, `s3`, `dynamodb`), the way the local stack's own call counter names
//! them, so one name ([`op`]) serves both counts.
//!
//! Inside [`recorded`] (the handler wraps each request in it when metrics are on), the same
//! interceptor also notes every attempt of the request with its outcome and time, and the caches
//! note how far the request had to go for a verdict, an identity and keys ([`cache`]). The
//! record is the request's task's own (a task-local), so concurrent requests of one environment
//! (`AWS_LAMBDA_MAX_CONCURRENCY`) never mix their counts.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The operations counted, by the name both counters use.
pub mod op {
    /// `cognito-identity:GetId`
    pub const GET_ID: &str = "cognito-identity:GetId";
    /// `cognito-identity:GetCredentialsForIdentity`
    pub const EXCHANGE: &str = "cognito-identity:GetCredentialsForIdentity";
    /// `cognito-idp:AdminGetUser`
    pub const USER_CHECK: &str = "cognito-idp:AdminGetUser";
    /// `s3:GetObject`
    pub const GET_OBJECT: &str = "s3:GetObject";
    /// `s3:HeadObject`
    pub const HEAD_OBJECT: &str = "s3:HeadObject";
    /// `s3:PutObject`
    pub const PUT_OBJECT: &str = "s3:PutObject";
    /// `s3:ListObjectsV2`
    pub const LIST_OBJECTS: &str = "s3:ListObjectsV2";
    /// `s3:DeleteObject`
    pub const DELETE_OBJECT: &str = "s3:DeleteObject";
    /// `s3:DeleteObjects`
    pub const DELETE_OBJECTS: &str = "s3:DeleteObjects";
    /// `s3:CopyObject`
    pub const COPY_OBJECT: &str = "s3:CopyObject";
    /// `s3:CreateMultipartUpload`
    pub const CREATE_UPLOAD: &str = "s3:CreateMultipartUpload";
    /// `s3:UploadPart` (sent by clients through signed URLs, never by the function)
    pub const UPLOAD_PART: &str = "s3:UploadPart";
    /// `s3:UploadPartCopy`
    pub const UPLOAD_PART_COPY: &str = "s3:UploadPartCopy";
    /// `s3:ListParts`
    pub const LIST_PARTS: &str = "s3:ListParts";
    /// `s3:CompleteMultipartUpload`
    pub const COMPLETE_UPLOAD: &str = "s3:CompleteMultipartUpload";
    /// `s3:AbortMultipartUpload`
    pub const ABORT_UPLOAD: &str = "s3:AbortMultipartUpload";
    /// The user pool's JWKS (not an SDK operation).
    pub const JWKS: &str = "jwks:GetSigningKeys";
    /// `dynamodb:GetItem` (the shared tier: a verdict or a session slot)
    pub const TABLE_GET: &str = "dynamodb:GetItem";
    /// `dynamodb:BatchGetItem` (the shared tier: a session slot and the IdentityId at once)
    pub const TABLE_BATCH_GET: &str = "dynamodb:BatchGetItem";
    /// `dynamodb:PutItem` (the shared tier: sealed keys, an IdentityId)
    pub const TABLE_PUT: &str = "dynamodb:PutItem";
    /// `dynamodb:UpdateItem` (the shared tier: a verdict, its lease; revocations)
    pub const TABLE_UPDATE: &str = "dynamodb:UpdateItem";
    /// `dynamodb:Query` (revocations: a user's sealed keys)
    pub const TABLE_QUERY: &str = "dynamodb:Query";
    /// `dynamodb:DeleteItem` (revocations: a user's sealed keys)
    pub const TABLE_DELETE: &str = "dynamodb:DeleteItem";
    /// A table call that failed (throttled, slow, unreachable, refused) and counted as a miss;
    /// not an SDK operation.
    pub const TABLE_FAULT: &str = "session-table:Fault";
}

/// An SDK interceptor that counts every attempt put on the wire, by `service:Operation`.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl CallCounter {
    /// Counts one event that is not an SDK call ([`op::TABLE_FAULT`]).
    pub fn record(&self, name: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(name.to_owned()).or_default() += 1;
        drop(counts);
        if name == op::TABLE_FAULT {
            with_current(|r| r.table_faults += 1);
        }
    }

    /// Calls so far, by operation.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Calls so far, all operations together.
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Presigning runs the same steps up to here and then hands the URL out: no call was made.
        // Only presigned requests carry their signature in the query string.
        if context.request().uri().contains("X-Amz-Signature=") {
            return Ok(());
        }
        let name = cfg
            .load::<Metadata>()
            .map(|m| format!("{}:{}", endpoint_prefix(m.service()), m.name()))
            .unwrap_or_else(|| "unknown".to_owned());
        self.record(&name);
        let index = with_current(|r| {
            r.attempts.push(Attempt {
                op: name,
                outcome: None,
                started: Instant::now(),
                started_at: SystemTime::now(),
                elapsed: Duration::ZERO,
            });
            r.attempts.len() - 1
        });
        if let Some(index) = index {
            cfg.interceptor_state().store_put(AttemptIndex(index));
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(AttemptIndex(index)) = cfg.load::<AttemptIndex>().copied() else {
            return Ok(());
        };
        // An attempt that fails before it is sent must not overwrite this one's outcome.
        cfg.interceptor_state().unset::<AttemptIndex>();
        let outcome = outcome_of(context);
        with_current(|r| {
            if let Some(attempt) = r.attempts.get_mut(index) {
                attempt.outcome = Some(outcome);
                attempt.elapsed = attempt.started.elapsed();
            }
        });
        Ok(())
    }
}

/// Which of the request's attempts the SDK is on, for its outcome.
#[derive(Debug, Clone, Copy)]
struct AttemptIndex(usize);

impl Storable for AttemptIndex {
    type Storer = StoreReplace<Self>;
}

/// How one attempt put on the wire ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The service answered: a success, or a refusal that is an answer (`NoSuchKey`, a failed
    /// condition, "Logins don't match").
    Ok,
    /// HTTP 429 or a throttling error code (`TooManyRequestsException`, `SlowDown`, ...).
    Throttled,
    /// A 5xx, an answer that does not parse, or no connection.
    Error,
    /// No answer within the budget: the connect or operation timeout, or the request's own.
    Timeout,
}

impl Outcome {
    /// The name in metric records.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Throttled => "throttled",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
        }
    }
}

/// The outcome of the attempt in `context`.
fn outcome_of(context: &FinalizerInterceptorContextRef<'_>) -> Outcome {
    let failure = match context.output_or_error() {
        Some(Err(err)) => Some(err),
        _ => None,
    };
    if let Some(err) = failure {
        let timed_out =
            err.is_timeout_error() || err.as_connector_error().is_some_and(|c| c.is_timeout());
        if timed_out {
            return Outcome::Timeout;
        }
    }
    let Some(response) = context.response() else {
        return Outcome::Error;
    };
    let outcome = outcome_of_response(response);
    match failure {
        // A 2xx whose body the SDK could not read.
        Some(err) if outcome == Outcome::Ok && err.is_response_error() => Outcome::Error,
        _ => outcome,
    }
}

/// The outcome an HTTP answer stands for.
fn outcome_of_response(response: &HttpResponse) -> Outcome {
    let status = response.status().as_u16();
    if status < 400 {
        return Outcome::Ok;
    }
    if status == 429 || error_code(response).as_deref().is_some_and(is_throttling) {
        return Outcome::Throttled;
    }
    if status >= 500 {
        Outcome::Error
    } else {
        Outcome::Ok
    }
}

fn is_throttling(code: &str) -> bool {
    crate::error::is_throttling(Some(code))
        || matches!(
            code,
            "ProvisionedThroughputExceededException" | "TooManyRequests"
        )
}

/// The AWS error code of an error answer: the `X-Amzn-ErrorType` header, the JSON protocols'
/// `__type` (without its namespace), or the XML protocols' `<Code>`.
fn error_code(response: &HttpResponse) -> Option<String> {
    let raw = match response.headers().get("x-amzn-errortype") {
        Some(header) => header.to_owned(),
        None => {
            let body = std::str::from_utf8(response.body().bytes()?).ok()?;
            match serde_json::from_str::<serde_json::Value>(body) {
                Ok(json) => json
                    .get("__type")
                    .or_else(|| json.get("code"))?
                    .as_str()?
                    .to_owned(),
                Err(_) => {
                    let start = body.find("<Code>")? + "<Code>".len();
                    let end = start + body[start..].find("</Code>")?;
                    body[start..end].to_owned()
                }
            }
        }
    };
    let code = raw.split(':').next().unwrap_or_default();
    Some(code.rsplit('#').next().unwrap_or_default().to_owned())
}

/// What a request looked up, per kind of cached thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cached {
    /// The user check's verdict.
    Verdict,
    /// The caller's IdentityId (or Cognito's match of the attested signer to the token).
    Identity,
    /// The identity's temporary keys (its S3 client).
    Keys,
}

/// How far a request had to go for one [`Cached`] thing, nearest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// This environment's own cache (also a call another request of it had under way).
    Local,
    /// The shared session table.
    Shared,
    /// Neither: Cognito was asked.
    Miss,
}

/// Notes that the current request found `what` in `tier` (or missed it). A request that needs
/// the same thing twice (a retry) counts once, at the farthest tier it reached.
pub fn cache(what: Cached, tier: Tier) {
    with_current(|r| {
        let slot = &mut r.caches[what as usize];
        *slot = Some(slot.map_or(tier, |seen| seen.max(tier)));
    });
}

/// One attempt put on the wire during a request.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// `service:Operation` ([`op`]).
    pub op: String,
    /// How it ended; `None` while under way (or if it was dropped: a timeout).
    pub outcome: Option<Outcome>,
    started: Instant,
    /// When it was sent (for its trace subsegment).
    pub started_at: SystemTime,
    /// Time from sending to its answer.
    pub elapsed: Duration,
}

/// What one request did upstream and in the caches.
#[derive(Debug, Clone, Default)]
pub struct RequestRecord {
    /// Every attempt, in the order they were sent.
    pub attempts: Vec<Attempt>,
    /// By [`Cached`] (as index): the farthest tier reached, if the request needed it.
    pub caches: [Option<Tier>; 3],
    /// Session table faults and unusable entries ([`op::TABLE_FAULT`]).
    pub table_faults: u64,
}

impl RequestRecord {
    /// The farthest tier the request reached for `what`, if it needed it.
    pub fn tier(&self, what: Cached) -> Option<Tier> {
        self.caches[what as usize]
    }

    /// Attempts still without an outcome were dropped when their budget (the operation's or the
    /// request's) ran out: timeouts.
    fn finish(&mut self) {
        for attempt in &mut self.attempts {
            if attempt.outcome.is_none() {
                attempt.outcome = Some(Outcome::Timeout);
                attempt.elapsed = attempt.started.elapsed();
            }
        }
    }
}

tokio::task_local! {
    static CURRENT: Arc<Mutex<RequestRecord>>;
}

fn with_current<T>(f: impl FnOnce(&mut RequestRecord) -> T) -> Option<T> {
    CURRENT
        .try_with(|record| f(&mut record.lock().unwrap_or_else(|p| p.into_inner())))
        .ok()
}

/// Runs `fut` (one request) and returns what it did with its output.
pub async fn recorded<F: Future>(fut: F) -> (F::Output, RequestRecord) {
    let record = Arc::new(Mutex::new(RequestRecord::default()));
    let output = CURRENT.scope(Arc::clone(&record), fut).await;
    let mut record = std::mem::take(&mut *record.lock().unwrap_or_else(|p| p.into_inner()));
    record.finish();
    (output, record)
}

/// The endpoint prefix of a service as the SDK names it (`Cognito Identity Provider` ->
/// `cognito-idp`); other names lowercased with dashes.
fn endpoint_prefix(service: &str) -> String {
    match service {
        "Cognito Identity Provider" => "cognito-idp".to_owned(),
        "Cognito Identity" => "cognito-identity".to_owned(),
        other => other.to_ascii_lowercase().replace(' ', "-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::body::SdkBody;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        let mut response = HttpResponse::new(status.try_into().unwrap(), SdkBody::from(body));
        for (name, value) in headers {
            response
                .headers_mut()
                .insert(name.to_string(), value.to_string());
        }
        response
    }

    #[test]
    fn answers_are_classified_by_status_and_error_code() {
        let cases = [
            (answer(200, &[], "{}"), Outcome::Ok),
            (
                answer(400, &[], r#"{"__type":"NotAuthorizedException"}"#),
                Outcome::Ok,
            ),
            (
                answer(400, &[], r#"{"__type":"TooManyRequestsException"}"#),
                Outcome::Throttled,
            ),
            (
                answer(
                    400,
                    &[],
                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException"}"#,
                ),
                Outcome::Throttled,
            ),
            (
                answer(
                    400,
                    &[("x-amzn-errortype", "LimitExceededException:http://internal")],
                    "",
                ),
                Outcome::Throttled,
            ),
            (
                answer(503, &[], "<Error><Code>SlowDown</Code></Error>"),
                Outcome::Throttled,
            ),
            (answer(429, &[], ""), Outcome::Throttled),
            (
                answer(500, &[], "<Error><Code>InternalError</Code></Error>"),
                Outcome::Error,
            ),
            (
                answer(404, &[], "<Error><Code>NoSuchKey</Code></Error>"),
                Outcome::Ok,
            ),
        ];
        for (response, expected) in cases {
            assert_eq!(outcome_of_response(&response), expected, "{response:?}");
        }
    }

    #[tokio::test]
    async fn a_request_keeps_the_farthest_tier_and_its_own_counts() {
        let (_, record) = recorded(async {
            cache(Cached::Keys, Tier::Local);
            cache(Cached::Keys, Tier::Miss);
            cache(Cached::Keys, Tier::Shared);
            cache(Cached::Verdict, Tier::Shared);
            CallCounter::default().record(op::TABLE_FAULT);
        })
        .await;
        assert_eq!(record.tier(Cached::Keys), Some(Tier::Miss));
        assert_eq!(record.tier(Cached::Verdict), Some(Tier::Shared));
        assert_eq!(record.tier(Cached::Identity), None);
        assert_eq!(record.table_faults, 1);
        // Outside a request nothing is noted, and nothing fails.
        cache(Cached::Keys, Tier::Miss);
    }

    #[test]
    fn services_are_named_by_their_endpoint_prefix() {
        assert_eq!(
            super::endpoint_prefix("Cognito Identity Provider"),
            "cognito-idp"
        );
        assert_eq!(
            super::endpoint_prefix("Cognito Identity"),
            "cognito-identity"
        );
        assert_eq!(super::endpoint_prefix("S3"), "s3");
        assert_eq!(super::endpoint_prefix("DynamoDB"), "dynamodb");
        assert_eq!(super::endpoint_prefix("jwks"), "jwks");
    }
}
