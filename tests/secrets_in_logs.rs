//! No secret in any log line, metric record or response body: every path of the handler (cold
//! and warm success, each refusal, upstream failures) runs with logs captured through the
//! production layers at TRACE level, with plain and span-scoped filter strings, and with the
//! metric records (EMF, `read_file::emf`) and the X-Ray subsegments (`read_file::xray`) captured, then every token, secret key and session token
//! the stack ever issued is looked for, whole or as any 16-character piece.
//!
//! A binary of its own, and not a module of `tests/api`: it installs the process-wide tracing
//! subscriber, at TRACE, and scans everything the process logs. In a shared process every other
//! test would log through it (slowed down), and their lines would be scanned without the ID
//! tokens they used being among the secrets looked for.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lambda_http::{Body, Response};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use support::jwt::{id_claims, now};
use support::proxy::Proxy;
use support::{Records, TestApp, error_code, get, parts, rest_event, stack};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Shortest piece of a secret that counts as a leak.
const WINDOW: usize = 16;

/// Everything logged by this test binary, in both production formats (text and JSON).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// Filter strings a person might set in `RUST_LOG`: a plain level, and span directives, which an
/// `EnvFilter` evaluates before target directives (so a cap written as a directive would lose).
const FILTERS: &[&str] = &[
    "trace",
    "[try_attempt]=trace",
    "[invoke]=trace",
    "[try_op]=trace",
    "aws_smithy_runtime[try_attempt]=trace",
    "info,[{rpc.service}]=trace",
    "off,[]=trace",
];

/// Installs the capture once: the production layers (text and JSON) for each filter string in
/// `FILTERS`, so only the production caps stand between the dependencies' TRACE output and the log.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let layers: Vec<_> = FILTERS
            .iter()
            .flat_map(|filter| {
                [false, true]
                    .map(|json| read_file::telemetry::layer(Some(filter), json, captured.clone()))
            })
            .collect();
        tracing_subscriber::registry().with(layers).init();
        captured
    })
}

/// What must never be seen: the given tokens plus every key the stack has issued (IAM users'
/// secret keys, and the secret key and session token of every assumed role, ours included).
async fn secrets(tokens: &[String]) -> Vec<(String, String)> {
    let url = format!("{}/moto-api/data.json", stack().var("AWS_ENDPOINT_URL"));
    let (status, body) = support::plain_http("GET", &url, "").await;
    assert_eq!(status, 200, "moto state");
    let data: Value = serde_json::from_slice(&body).expect("JSON");
    let mut found: Vec<(String, String)> = tokens
        .iter()
        .map(|t| ("an ID token".to_owned(), t.clone()))
        .collect();
    for key in data["iam"]["AccessKey"].as_array().into_iter().flatten() {
        if let Some(secret) = key["secret_access_key"].as_str() {
            found.push(("an IAM secret key".into(), secret.into()));
        }
    }
    for role in data["sts"]["AssumedRole"].as_array().into_iter().flatten() {
        for (what, field) in [
            ("an assumed role's secret key", "secret_access_key"),
            ("a session token", "session_token"),
        ] {
            if let Some(secret) = role[field].as_str() {
                found.push((what.into(), secret.into()));
            }
        }
    }
    for var in ["AWS_SECRET_ACCESS_KEY", "FIXTURE_AWS_SECRET_ACCESS_KEY"] {
        found.push((var.into(), stack().var(var).to_owned()));
    }
    found
}

/// Credentials of `token`'s identity, asked for here the way the app asks for them.
async fn exchange(token: &str) -> (String, String) {
    let stack = stack();
    let client = aws_sdk_cognitoidentity::Client::new(&stack.fixture_sdk().await);
    let id = stack.identity(token).await;
    let creds = client
        .get_credentials_for_identity()
        .identity_id(id.as_str())
        .logins(stack.login_provider(), token)
        .send()
        .await
        .expect("GetCredentialsForIdentity");
    let creds = creds.credentials().expect("credentials");
    (
        creds.secret_key().expect("secret key").to_owned(),
        creds.session_token().expect("session token").to_owned(),
    )
}

/// Every `WINDOW`-byte piece of `secret`, also as it looks percent-encoded.
fn pieces(secret: &str) -> Vec<Vec<u8>> {
    let encoded: String = secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    [secret.as_bytes(), encoded.as_bytes()]
        .into_iter()
        .flat_map(|s| s.windows(WINDOW.min(s.len())).map(<[u8]>::to_vec))
        .collect()
}

/// Secrets that show up in `haystack`, with the piece that was found.
fn leaks(haystack: &str, secrets: &[(String, String)]) -> Vec<String> {
    let seen: HashSet<&[u8]> = haystack.as_bytes().windows(WINDOW).collect();
    secrets
        .iter()
        .filter_map(|(what, secret)| {
            pieces(secret)
                .into_iter()
                .find(|p| seen.contains(p.as_slice()))
                .map(|p| format!("{what}: ...{}...", String::from_utf8_lossy(&p)))
        })
        .collect()
}

fn body_text(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Body::Empty => String::new(),
        _ => String::new(),
    }
}

/// The whole walk is one large future (every route, the shared tier, faults); unoptimised, polling
/// it needs more than a test thread's 2 MiB of stack, so it runs on a thread of its own.
#[test]
fn no_token_or_key_reaches_a_log_line_or_a_response() {
    let walk = std::thread::Builder::new()
        .name("secrets-walk".into())
        .stack_size(16 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(walk_every_path())
        })
        .expect("a thread");
    if let Err(panic) = walk.join() {
        std::panic::resume_unwind(panic);
    }
}

async fn walk_every_path() {
    let logs = logs();
    let stack = stack();
    let config = stack.config_with(&[]);
    let mut tokens = Vec::new();
    let mut bodies = String::new();
    let mut seen = |response: Response<Body>, expected: (u16, &str)| {
        let text = body_text(&response);
        let (status, body) = parts(&response);
        let code = if status == 200 {
            "ok"
        } else {
            error_code(&body)
        };
        assert_eq!((status, code), expected, "{body}");
        bodies.push_str(&text);
        bodies.push('\n');
    };

    // Every app writes its metric records here.
    let records = Records::default();

    // Success, cold then warm, with a new user whose identity and keys are exchanged here.
    let app = TestApp::spawn_recording(&[], false, &records).await;
    let alice = stack.new_user("secrets").await;
    let token = stack.token(&alice.username, &alice.password).await;
    stack
        .put_data(&stack.identity(&token).await, "alice\n")
        .await;
    let (secret_key, session_token) = exchange(&token).await;
    for _ in 0..3 {
        seen(
            app.handle(get("/read-file", &[("idToken", &token)])).await,
            (200, "ok"),
        );
    }
    tokens.push(token.clone());
    for who in ["admin", "user"] {
        let token = stack.provisioned_token(who).await;
        seen(
            app.handle(get("/read-file", &[("idToken", &token)])).await,
            (200, "ok"),
        );
        tokens.push(token);
    }

    // Refusals by Cognito, S3 and the signer cross-check.
    let nofile = stack.new_user("secrets-nofile").await;
    let token = stack.token(&nofile.username, &nofile.password).await;
    seen(
        app.handle(get("/read-file", &[("idToken", &token)])).await,
        (404, "file_not_found"),
    );
    tokens.push(token);
    let idp = stack.idp().await;
    for (label, expected) in [
        ("secrets-disabled", (403, "user_disabled")),
        ("secrets-deleted", (401, "unknown_user")),
    ] {
        let user = stack.new_user(label).await;
        let token = stack.token(&user.username, &user.password).await;
        let pool = stack.var("USER_POOL_ID");
        if expected.0 == 403 {
            idp.admin_disable_user()
                .user_pool_id(pool)
                .username(&user.username)
                .send()
                .await
                .expect("AdminDisableUser");
        } else {
            idp.admin_delete_user()
                .user_pool_id(pool)
                .username(&user.username)
                .send()
                .await
                .expect("AdminDeleteUser");
        }
        seen(
            app.handle(get("/read-file", &[("idToken", &token)])).await,
            expected,
        );
        tokens.push(token);
    }
    let admin = stack.provisioned_token("admin").await;
    let user_identity = stack.identity(&stack.provisioned_token("user").await).await;
    let mismatch = rest_event(&admin, user_identity.as_str());
    seen(app.handle(mismatch).await, (403, "identity_mismatch"));
    tokens.push(admin.clone());

    // Refusals by the verifier, with tokens signed by the real pool key.
    let key = stack.pool_key();
    let mut claims = id_claims(&config.issuer(), &config.client_ids[0], "sub", "admin");
    claims["exp"] = json!(now() - 60);
    let expired = key.sign(&claims);
    let mut wrong_aud = id_claims(&config.issuer(), "someone-else", "sub", "admin");
    wrong_aud["exp"] = json!(now() + 600);
    let wrong_aud = key.sign(&wrong_aud);
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.kid.clone());
    let hs256 = jsonwebtoken::encode(
        &header,
        &id_claims(&config.issuer(), &config.client_ids[0], "sub", "admin"),
        &EncodingKey::from_secret(b"not the pool key").expect("HMAC key"),
    )
    .expect("sign");
    let altered = support::jwt::tamper(&admin, |c| c["cognito:username"] = json!("user"));
    for (token, expected) in [
        (&expired, (401, "expired_token")),
        (&wrong_aud, (401, "invalid_token")),
        (&hs256, (401, "invalid_token")),
        (&altered, (401, "invalid_token")),
        (&format!("Bearer {admin}"), (401, "invalid_token")),
    ] {
        seen(
            app.handle(get("/read-file", &[("idToken", token)])).await,
            expected,
        );
        tokens.push(token.clone());
    }

    // Upstream failures, whose causes are logged: the stack goes away behind a proxy, on a
    // warm identity (only S3 is asked, with the session keys) and on a cold one.
    let upstream = stack
        .var("AWS_ENDPOINT_URL")
        .trim_start_matches("http://")
        .parse()
        .expect("host:port");
    let mut proxy = Proxy::start(upstream).await;
    let proxied =
        TestApp::spawn_recording(&[("AWS_ENDPOINT_URL", &proxy.url())], false, &records).await;
    let bob = stack.new_user("secrets-outage").await;
    let bob_token = stack.token(&bob.username, &bob.password).await;
    stack
        .put_data(&stack.identity(&bob_token).await, "bob\n")
        .await;
    seen(
        proxied
            .handle(get("/read-file", &[("idToken", &bob_token)]))
            .await,
        (200, "ok"),
    );
    proxy.stop().await;
    seen(
        proxied
            .handle(get("/read-file", &[("idToken", &bob_token)]))
            .await,
        (503, "upstream_unavailable"),
    );
    let carol = stack.new_user("secrets-outage-cold").await;
    let carol_token = stack.token(&carol.username, &carol.password).await;
    seen(
        proxied
            .handle(get("/read-file", &[("idToken", &carol_token)]))
            .await,
        (503, "upstream_unavailable"),
    );
    tokens.extend([bob_token, carol_token]);

    // The shared session tier: keys sealed in one environment and opened in another, a revocation
    // pushed into the table, and the table gone (its fault logged) while Cognito answers.
    let mut table = Proxy::start(upstream).await;
    let table_url = table.url();
    let shared = [("AWS_ENDPOINT_URL_DYNAMODB", table_url.as_str())];
    let (first, second) = (
        TestApp::spawn_recording(&shared, true, &records).await,
        TestApp::spawn_recording(&shared, true, &records).await,
    );
    let dave = stack.new_user("secrets-shared").await;
    let dave_token = stack.token(&dave.username, &dave.password).await;
    let dave_identity = stack.identity(&dave_token).await;
    stack.put_data(&dave_identity, "dave\n").await;
    for app in [&first, &second, &first] {
        seen(
            app.handle(rest_event(&dave_token, dave_identity.as_str()))
                .await,
            (200, "ok"),
        );
    }
    let revocations = stack.revocations().await;
    let sub = stack.verified(&dave_token).await.sub().to_owned();
    let event = json!({
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.cognito-idp",
        "detail": {
            "eventSource": "cognito-idp.amazonaws.com",
            "eventName": "AdminUserGlobalSignOut",
            "eventTime": "2030-01-01T00:00:00Z",
            "requestParameters": {"userPoolId": stack.var("USER_POOL_ID"), "username": "HIDDEN_FOR_SECURITY_REASONS"},
            "additionalEventData": {"sub": sub},
        }
    });
    revocations
        .handle(event)
        .await
        .expect("the revocation applied");
    table.stop().await;
    let erin = stack.new_user("secrets-shared-outage").await;
    let erin_token = stack.token(&erin.username, &erin.password).await;
    let erin_identity = stack.identity(&erin_token).await;
    stack.put_data(&erin_identity, "erin\n").await;
    seen(
        second
            .handle(rest_event(&erin_token, erin_identity.as_str()))
            .await,
        (200, "ok"),
    );
    tokens.extend([dave_token, erin_token]);

    // The capture works and reaches below info: the app's debug lines are there.
    let text = logs.text();
    assert!(
        text.contains("request refused")
            && text.contains("upstream failure")
            && text.contains("session table fault")
            && text.contains("revocation event"),
        "the capture misses the app's own debug and warn lines:\n{text}"
    );
    // The records cover the same paths: successes, refusals by code, failed calls, the table.
    let metrics = records.text();
    for needle in [
        "\"Code\":\"identity_mismatch\"",
        "\"Code\":\"upstream_unavailable\"",
        "\"Api\":\"dynamodb:GetItem\"",
        "\"KeysSharedHit\":1",
        "\"type\":\"subsegment\"",
    ] {
        assert!(
            metrics.contains(needle),
            "no {needle} in the records:\n{metrics}"
        );
    }
    let faults: u64 = records
        .take()
        .iter()
        .filter_map(|r| r.get("TableFaults").and_then(Value::as_u64))
        .sum();
    assert!(
        faults > 0,
        "the table's outage is in the records:\n{metrics}"
    );
    let mut all = secrets(&tokens).await;
    all.push(("our own exchange's secret key".into(), secret_key));
    all.push(("our own exchange's session token".into(), session_token));
    let lines = text.lines().count();
    println!(
        "secrets check: {} secrets against {lines} log lines ({} bytes), {} metric records ({} bytes) and {} response bytes",
        all.len(),
        text.len(),
        metrics.lines().count(),
        metrics.len(),
        bodies.len()
    );
    let in_logs = leaks(&text, &all);
    let in_metrics = leaks(&metrics, &all);
    let in_bodies = leaks(&bodies, &all);
    assert!(
        in_logs.is_empty() && in_metrics.is_empty() && in_bodies.is_empty(),
        "leaks in logs: {in_logs:#?}\nleaks in metric records: {in_metrics:#?}\nleaks in responses: {in_bodies:#?}"
    );
}

#[test]
fn the_leak_detector_finds_a_piece_of_a_secret() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned();
    let secrets = [("a secret key".to_owned(), secret)];
    assert!(leaks("nothing here", &secrets).is_empty());
    assert_eq!(
        leaks("... ENG/bPxRfiCYEXAMP ...", &secrets).len(),
        1,
        "a 16-character piece"
    );
    assert_eq!(
        leaks("x-amz-security-token: K7MDENG%2FbPxRfiCY", &secrets).len(),
        1,
        "percent-encoded"
    );
}
