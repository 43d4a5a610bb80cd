//! (f) The release binary as Lambda runs it: started under the fake Runtime API, timed to its
//! first `next`, fed events, its peak RSS read from `/proc`.

use crate::{BoxError, INIT_RUNS, User};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::runtime::FakeRuntime;
use support::{self, Stack};

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| support::repo_root().join("target"))
}

pub fn lambda_binary() -> PathBuf {
    std::env::var_os("BENCH_LAMBDA_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_read-file")))
}

/// The binary whose size is reported: the arm64 Lambda build when `tests/bench.sh` made one.
pub fn size_binary(fallback: &std::path::Path) -> (PathBuf, String) {
    match std::env::var_os("BENCH_SIZE_BINARY") {
        Some(path) => (
            PathBuf::from(path),
            std::env::var("BENCH_SIZE_TARGET").unwrap_or_else(|_| "unknown".to_owned()),
        ),
        None => (
            fallback.to_owned(),
            "x86_64-unknown-linux-gnu (host release build, not arm64)".to_owned(),
        ),
    }
}

/// The release binary as Lambda starts it: the stack's settings plus the runtime's variables.
pub fn spawn_lambda(stack: &Stack, binary: &std::path::Path, runtime: &FakeRuntime) -> Child {
    let mut command = Command::new(binary);
    command.env_clear();
    for key in [
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "ACCOUNT_ID",
        "USER_POOL_ID",
        "USER_POOL_CLIENT_ID",
        "IDENTITY_POOL_ID",
        "S3_BUCKET",
    ] {
        command.env(key, stack.var(key));
    }
    command
        .env("AWS_LAMBDA_RUNTIME_API", runtime.addr().to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "read-file")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/read-file")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()))
}

/// Process start to its first `GET .../invocation/next`, over several starts.
pub fn init_times(stack: &Stack, binary: &std::path::Path) -> Result<Vec<Duration>, BoxError> {
    let mut times = Vec::with_capacity(INIT_RUNS);
    for _ in 0..INIT_RUNS {
        let runtime = FakeRuntime::start()?;
        let spawned = Instant::now();
        let mut child = spawn_lambda(stack, binary, &runtime);
        let first = runtime.wait_first_next(Duration::from_secs(10));
        let _ = child.kill();
        let _ = child.wait();
        runtime.shutdown();
        let first = first.ok_or("the binary never asked for its first event")?;
        times.push(first.duration_since(spawned));
    }
    Ok(times)
}

/// Function URL (payload 2.0) events for `users` in turn, signed by the right identity of
/// `identity_pool` (the function refuses a signer of another pool).
pub fn events_for(users: &[User], identity_pool: &str, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            let user = &users[i % users.len()];
            let event = json!({
                "version": "2.0",
                "routeKey": "$default",
                "rawPath": "/read-file",
                "rawQueryString": "",
                "headers": {"idtoken": user.token, "host": "bench.lambda-url.us-east-1.on.aws"},
                "requestContext": {
                    "accountId": "123456789012",
                    "apiId": "bench",
                    "authorizer": {"iam": {"cognitoIdentity": {
                        "amr": ["authenticated"],
                        "identityId": user.identity.as_str(),
                        "identityPoolId": identity_pool,
                    }}},
                    "domainName": "bench.lambda-url.us-east-1.on.aws",
                    "domainPrefix": "bench",
                    "http": {"method": "GET", "path": "/read-file", "protocol": "HTTP/1.1",
                             "sourceIp": "127.0.0.1", "userAgent": "bench"},
                    "requestId": format!("req-{i}"),
                    "routeKey": "$default",
                    "stage": "$default",
                    "time": "29/Nov/2026:12:00:00 +0000",
                    "timeEpoch": 0
                },
                "isBase64Encoded": false
            });
            (format!("event-{i}"), event.to_string())
        })
        .collect()
}

/// Serves `events` to one process, then reads its peak RSS (VmHWM, KiB) and counts 200s.
pub fn peak_rss(
    stack: &Stack,
    binary: &std::path::Path,
    events: Vec<(String, String)>,
) -> Result<(u64, usize), BoxError> {
    let count = events.len();
    let runtime = FakeRuntime::start()?;
    runtime.push(events);
    let mut child = spawn_lambda(stack, binary, &runtime);
    let responses = runtime.wait_responses(count, Duration::from_secs(300));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()));
    let _ = child.kill();
    let _ = child.wait();
    runtime.shutdown();
    let responses = responses.ok_or("the binary did not answer every event in time")?;
    let ok = responses
        .iter()
        .filter(|body| {
            serde_json::from_str::<Value>(body)
                .map(|v| v["statusCode"] == 200)
                .unwrap_or(false)
        })
        .count();
    if ok != count {
        let sample = responses.iter().find(|b| !b.contains("\"statusCode\":200"));
        return Err(format!("{ok}/{count} events answered 200; e.g. {sample:?}").into());
    }
    let hwm = status?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .ok_or("no VmHWM in /proc/<pid>/status")?;
    Ok((hwm, ok))
}
