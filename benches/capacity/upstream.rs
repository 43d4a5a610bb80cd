//! The upstreams of the model: one SDK test HTTP client (`infallible_client_fn` from
//! `aws_smithy_http_client::test_util`) behind every SDK client and the JWKS fetch of an `App`,
//! answering each operation with a canned but well-formed response and counting calls; the
//! shared session table is an in-memory DynamoDB (`table.rs`) shared by every `App` of a run.
//! The SDK's own serializers and parsers run on both sides of it; nothing of the SDK is faked.

use aws_smithy_http_client::test_util::infallible_client_fn;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::table::FakeTable;
/// The operations counted, named as the function's own counter and the local stack's name them.
pub use read_file::metrics::op::{
    EXCHANGE, GET_ID, GET_OBJECT, JWKS, TABLE_BATCH_GET, TABLE_GET, TABLE_PUT, TABLE_UPDATE,
    USER_CHECK,
};

/// A session token as long as the ones Cognito's GetCredentialsForIdentity hands out (STS session
/// tokens run to about a kilobyte), so that sealed keys weigh in the table what they would.
fn session_token(n: u64) -> String {
    format!("{n:020}").repeat(50)
}

/// Calls per operation, shared by every `App` of one run.
#[derive(Clone, Default)]
pub struct Counts(Arc<Mutex<BTreeMap<&'static str, u64>>>);

impl Counts {
    fn add(&self, op: &'static str) {
        *self.0.lock().expect("counts").entry(op).or_default() += 1;
    }

    pub fn snapshot(&self) -> BTreeMap<&'static str, u64> {
        self.0.lock().expect("counts").clone()
    }
}

/// An HTTP client answering as Cognito, S3 and the pool's JWKS endpoint would.
/// `key_lifetime`: how long the keys GetCredentialsForIdentity hands out last (1 h on AWS).
pub fn client(
    jwks: Value,
    key_lifetime: Duration,
    counts: Counts,
    table: FakeTable,
) -> SharedHttpClient {
    let serial = Arc::new(AtomicU64::new(0));
    infallible_client_fn(move |req: http::Request<SdkBody>| {
        let target = req
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = req
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        if let Some(operation) = target.strip_prefix("DynamoDB_20120810.") {
            counts.add(match operation {
                "GetItem" => TABLE_GET,
                "BatchGetItem" => TABLE_BATCH_GET,
                "PutItem" => TABLE_PUT,
                "UpdateItem" => TABLE_UPDATE,
                _ => "dynamodb:unexpected",
            });
            let (status, answer) = table.answer(operation, &body);
            return http::Response::builder()
                .status(status)
                .header("content-type", "application/x-amz-json-1.0")
                .body(SdkBody::from(answer.to_string()))
                .expect("a response");
        }
        let (op, status, answer) = match target.rsplit('.').next().unwrap_or_default() {
            "GetId" => (
                GET_ID,
                200,
                json!({"IdentityId": identity_of_logins(&body)}),
            ),
            "GetCredentialsForIdentity" => {
                let n = serial.fetch_add(1, Ordering::Relaxed);
                let expires = SystemTime::now() + key_lifetime;
                let epoch = expires.duration_since(UNIX_EPOCH).unwrap_or_default();
                (
                    EXCHANGE,
                    200,
                    json!({
                        "IdentityId": body["IdentityId"],
                        "Credentials": {
                            "AccessKeyId": format!("ASIAMODEL{n:011}"),
                            "SecretKey": "model-secret",
                            "SessionToken": session_token(n),
                            "Expiration": epoch.as_secs_f64(),
                        }
                    }),
                )
            }
            "AdminGetUser" => {
                // Model users are named by their `sub`.
                let name = body["Username"].as_str().unwrap_or_default();
                (
                    USER_CHECK,
                    200,
                    json!({
                        "Username": name,
                        "Enabled": true,
                        "UserStatus": "CONFIRMED",
                        "UserAttributes": [{"Name": "sub", "Value": name}],
                    }),
                )
            }
            _ if req.uri().path().ends_with("/.well-known/jwks.json") => (JWKS, 200, jwks.clone()),
            _ if req.method() == http::Method::GET => {
                counts.add(GET_OBJECT);
                return http::Response::builder()
                    .status(200)
                    .header("content-type", "text/plain")
                    .header("content-length", "11")
                    .body(SdkBody::from("model data\n"))
                    .expect("a response");
            }
            other => (
                "unexpected",
                400,
                json!({"__type": "Unexpected", "message": other}),
            ),
        };
        counts.add(op);
        http::Response::builder()
            .status(status)
            .header("content-type", "application/x-amz-json-1.1")
            .body(SdkBody::from(answer.to_string()))
            .expect("a response")
    })
}

/// The IdentityId a model user's token maps to (GetId's answer): derived from the `sub`, which
/// the token carries in its payload.
fn identity_of_logins(body: &Value) -> String {
    let token = body["Logins"]
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(Value::as_str)
        .unwrap_or_default();
    let sub = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|c| c["sub"].as_str().map(str::to_owned))
        .unwrap_or_default();
    identity_of(&sub)
}

/// A model user's IdentityId.
pub fn identity_of(sub: &str) -> String {
    format!("us-east-1:{sub}")
}
