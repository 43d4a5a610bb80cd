//! `make bench`: our request paths side by side with the S3 limit and the naive flow, against the
//! local stack; upstream calls per request counted for real; init time and peak RSS of the
//! release binary under a fake Lambda Runtime API; each file-API route against its direct S3
//! calls; a large upload through presigned part URLs against a direct multipart upload. Prints a
//! table, writes `target/bench/summary.json`. Timing claims live here and nowhere in the tests.
//!
//! Every scenario runs without the shared session tier, as before it existed; the `shared` ones
//! run with it (`SESSION_TABLE`, the stack's table): warm requests, a first request in a new
//! environment for a user the account already knows (through the latency proxy), and the calls
//! per request at steady state, table reads counted apart.
//!
//! Knobs (environment): `BENCH_LAMBDA_BINARY` (default: the release `read-file` cargo built),
//! `BENCH_SIZE_BINARY` + `BENCH_SIZE_TARGET` (the binary whose size is reported, and its label),
//! `BENCH_UPLOAD_MIB` (the large upload's size, default 1024), `BENCH_ONLY=upload` (only that
//! upload, (i), printed and not written).

mod file_routes;
mod lambda_binary;
mod naive;
mod parts;
mod report;
mod routes;
mod share_routes;
mod upload;

use lambda_binary::{events_for, init_times, lambda_binary, peak_rss, size_binary, target_dir};
use naive::Naive;
use read_file::auth::Authenticator;
use read_file::auth::token::VerifiedIdToken;
use read_file::identity::IdentityId;
use read_file::metrics::CallCounter;
use read_file::metrics::op;
use read_file::storage::{ObjectKey, UserBucket};
use report::{Stats, ms, print_table, ratio, round3};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::proxy::Proxy;
use support::{Stack, TestApp, stack};
use tokio::task::JoinSet;

/// Samples of the cheap scenarios (a) and (b).
const WARM_SAMPLES: usize = 500;
/// Samples of the cold scenarios (c) and (d); (c) needs one never-seen user per sample.
const COLD_SAMPLES: usize = 100;
/// The network round trip the latency proxy adds, and the cold samples taken through it.
const RTT: Duration = Duration::from_millis(10);
const RTT_SAMPLES: usize = 40;
/// Steady state (e): users, then requests per user after one warm-up request each.
const STEADY_USERS: usize = 100;
const STEADY_ROUNDS: usize = 20;
/// Init time: process starts measured.
const INIT_RUNS: usize = 15;
/// Events served to the release binary before its peak RSS is read.
const RSS_EVENTS: usize = 1000;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A bench user: its token (also verified), IdentityId, data file and the line it starts with.
#[derive(Clone)]
struct User {
    token: String,
    verified: VerifiedIdToken,
    identity: IdentityId,
    key: ObjectKey,
    line: String,
}

fn main() -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let stack = stack();
    let started = Instant::now();
    eprintln!("setting up {COLD_SAMPLES} users on the local stack...");
    let users = make_users(stack, COLD_SAMPLES.max(STEADY_USERS)).await;
    let target = users[0].clone();

    // (a) the limit: GetObject of the target user's file, client built once with its keys.
    let limit = LimitClient::new(stack, &target).await?;
    if std::env::var("BENCH_ONLY").as_deref() == Ok("upload") {
        let summary =
            json!({ "upload_throughput": upload::measure(&target.token, &limit.direct()).await? });
        report::print_upload(&summary);
        return Ok(());
    }
    // (b) warm requests through the real handler; (b shared) the same with the shared tier on.
    let warm_app = TestApp::spawn().await;
    expect_own(&warm_app, &target).await?;
    let warm_shared = TestApp::spawn_shared(&[]).await;
    expect_own(&warm_shared, &target).await?;
    // (c) one app, already holding the pool's signing keys, meeting a new user per sample.
    let cold_app = TestApp::spawn().await;
    let bystander = make_users(stack, 1).await.remove(0);
    expect_own(&cold_app, &bystander).await?;
    // (d) the naive flow.
    let naive = Arc::new(Naive::new(stack, stack.var("AWS_ENDPOINT_URL")).await);
    assert_eq!(naive.request(&target.verified).await?, target.line);
    // Diagnostic: the S3 read as the app makes it (its client setup), without the handler.
    let (user_bucket, target_key) = user_bucket(stack, &target).await?;

    eprintln!("timing (a)-(d), interleaved...");
    let mut samples: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut naive_steps: Vec<[Duration; 5]> = Vec::new();
    for i in 0..WARM_SAMPLES {
        // Rotate who goes first so that no side always follows the same other one.
        let order: [u8; 4] = [[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]][i % 4];
        for which in order {
            let t = Instant::now();
            let (name, line) = match which {
                0 => (LIMIT, limit.read().await?),
                1 => (WARM, request(&warm_app, &target.token).await?),
                2 => (WARM_SHARED, request(&warm_shared, &target.token).await?),
                _ => (
                    S3_AS_OURS,
                    user_bucket.first_line(&target_key).await?.to_string(),
                ),
            };
            samples.entry(name).or_default().push(t.elapsed());
            check(&line, &target.line)?;
        }
        let order = [order[0] % 2, 1 - order[0] % 2];
        if let Some(user) = users[..COLD_SAMPLES].get(i) {
            for which in order {
                let t = Instant::now();
                let line = match which {
                    0 => {
                        let line = request(&cold_app, &user.token).await?;
                        samples.entry(COLD).or_default().push(t.elapsed());
                        line
                    }
                    _ => {
                        let (line, steps) = naive.timed(&user.verified).await?;
                        samples.entry(NAIVE).or_default().push(t.elapsed());
                        naive_steps.push(steps);
                        line
                    }
                };
                check(&line, &user.line)?;
            }
        }
    }

    eprintln!("does the emulator serve concurrent calls in parallel?");
    let parallel = concurrency_probe(&naive, &target).await?;

    eprintln!(
        "(c), (c) REST with signer, and (d) again with a {RTT:?} round trip added by a proxy..."
    );
    let upstream = stack
        .var("AWS_ENDPOINT_URL")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()?;
    let proxy = Proxy::with_delay(upstream, RTT).await;
    let rtt_overrides = [("AWS_ENDPOINT_URL", proxy.url())];
    let rtt_overrides: Vec<(&str, &str)> = rtt_overrides
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let rtt_app = TestApp::spawn_with(&rtt_overrides).await;
    expect_own(&rtt_app, &bystander).await?;
    // Its own app (own caches), so that each user's REST request is a first request too.
    let rtt_rest_app = TestApp::spawn_with(&rtt_overrides).await;
    check(
        &request_rest(&rtt_rest_app, &bystander).await?,
        &bystander.line,
    )?;
    let rtt_naive = Naive::new(stack, &proxy.url()).await;
    let rtt_users = make_users(stack, RTT_SAMPLES).await;
    // (c shared): a new environment (its signing keys already fetched) meeting users another
    // environment has served already, so the account knows them: their verdict and sealed keys
    // are in the table. The filling environment talks to the stack directly.
    let filler = TestApp::spawn_shared(&[]).await;
    for user in &rtt_users {
        check(&request_rest(&filler, user).await?, &user.line)?;
    }
    let cold_shared_app = TestApp::spawn_shared(&rtt_overrides).await;
    check(
        &request_rest(&cold_shared_app, &bystander).await?,
        &bystander.line,
    )?;
    let rest_calls_before = rtt_rest_app.upstream_calls().snapshot();
    let shared_calls_before = cold_shared_app.upstream_calls().snapshot();
    for (i, user) in rtt_users.iter().enumerate() {
        let order: [u8; 4] = [[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]][i % 4];
        for which in order {
            let t = Instant::now();
            let (name, line) = match which {
                0 => (COLD_RTT, request(&rtt_app, &user.token).await?),
                1 => (COLD_REST_RTT, request_rest(&rtt_rest_app, user).await?),
                2 => (COLD_SHARED_RTT, request_rest(&cold_shared_app, user).await?),
                _ => (NAIVE_RTT, rtt_naive.request(&user.verified).await?),
            };
            samples.entry(name).or_default().push(t.elapsed());
            check(&line, &user.line)?;
        }
    }
    let shared_calls = delta(
        &shared_calls_before,
        &cold_shared_app.upstream_calls().snapshot(),
    );
    let cognito_per_first_shared = round3(
        [op::USER_CHECK, op::GET_ID, op::EXCHANGE]
            .iter()
            .map(|o| shared_calls.get(*o).copied().unwrap_or(0))
            .sum::<u64>() as f64
            / rtt_users.len() as f64,
    );
    let rest_calls = delta(
        &rest_calls_before,
        &rtt_rest_app.upstream_calls().snapshot(),
    );
    let getid_per_first_rest =
        round3(rest_calls.get(GET_ID).copied().unwrap_or(0) as f64 / rtt_users.len() as f64);
    drop(proxy);

    eprintln!("the file API's routes, warm, against direct S3 calls (g)...");
    let route_ratios = routes::measure(&warm_app, &target.token, &limit.direct()).await?;
    eprintln!(
        "the routes of uploads, folders, copies and moves, warm, against direct S3 calls (h)..."
    );
    let fixture_s3 = stack.s3().await;
    let file_route_ratios =
        file_routes::measure(&warm_app, &target.token, &limit.direct(), &fixture_s3).await?;
    eprintln!("the sharing routes, warm, with the shared tier, against direct S3 calls (h)...");
    let share_route_ratios = share_routes::measure(stack, &warm_shared).await?;
    eprintln!(
        "a {} MiB upload through presigned part URLs against a direct multipart upload (i)...",
        upload::size()? >> 20
    );
    let upload_throughput = upload::measure(&target.token, &limit.direct()).await?;

    eprintln!("counting upstream calls at steady state (e)...");
    let steady_users = &users[..STEADY_USERS];
    let ours = steady_state_ours(stack, steady_users).await?;
    eprintln!("... and with the shared tier (e shared)...");
    let shared = steady_state_shared(stack, steady_users).await?;
    let naive_calls = steady_state_naive(stack, &naive, steady_users).await?;

    eprintln!("init time and peak RSS of the release binary (f)...");
    let binary = lambda_binary();
    let init = init_times(stack, &binary)?;
    let rss_events = events_for(&users, stack.var("IDENTITY_POOL_ID"), RSS_EVENTS);
    let (peak_rss_kib, served_ok) = peak_rss(stack, &binary, rss_events)?;
    let (size_path, size_label) = size_binary(&binary);
    let binary_bytes = std::fs::metadata(&size_path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", size_path.display()))?;

    let stats: BTreeMap<&str, Stats> = samples
        .iter_mut()
        .map(|(name, s)| (*name, Stats::of(s)))
        .collect();
    let mut init_ms: Vec<Duration> = init.clone();
    let init_stats = Stats::of(&mut init_ms);
    let summary = json!({
        "warm_over_limit": ratio(stats[WARM].median, stats[LIMIT].median),
        "cold_over_naive": ratio(stats[COLD].median, stats[NAIVE].median),
        "cold_over_naive_with_rtt": ratio(stats[COLD_RTT].median, stats[NAIVE_RTT].median),
        "cold_url_over_naive": ratio(stats[COLD_RTT].median, stats[NAIVE_RTT].median),
        "cold_rest_over_naive": ratio(stats[COLD_REST_RTT].median, stats[NAIVE_RTT].median),
        "warm_shared_over_limit": ratio(stats[WARM_SHARED].median, stats[LIMIT].median),
        "cold_shared_over_naive": ratio(stats[COLD_SHARED_RTT].median, stats[NAIVE_RTT].median),
        "cognito_calls_per_first_request_shared": cognito_per_first_shared,
        "first_request_shared_calls_by_operation": shared_calls,
        "calls_per_request_shared": shared.per_request,
        "cognito_calls_per_request_shared": shared.cognito_per_request,
        "s3_calls_per_request_shared": shared.s3_per_request,
        "table_reads_per_request_shared": shared.table_reads_per_request,
        "table_reads_per_user_per_second_shared": shared.table_reads_per_user_second,
        "shared_steady_state_user_check_ttl_s": SHARED_STEADY_TTL,
        "shared_steady_state_seconds": shared.seconds,
        "calls_by_operation_shared": shared.by_operation,
        "getid_calls_per_first_request_rest": getid_per_first_rest,
        "first_request_rest_calls_by_operation": rest_calls,
        "emulated_rtt_ms": ms(RTT),
        "naive_steps_median_ms": naive::STEPS.iter().enumerate().map(|(i, name)| {
            let mut step: Vec<Duration> = naive_steps.iter().map(|s| s[i]).collect();
            (name.to_string(), ms(Stats::of(&mut step).median))
        }).collect::<BTreeMap<_, _>>(),
        "emulator_probe_ms": parallel,
        "calls_per_request": ours.at_stack,
        "naive_calls_per_request": naive_calls.at_stack,
        "init_ms": ms(init_stats.median),
        "peak_rss_mb": round3(peak_rss_kib as f64 / 1024.0),
        "binary_bytes": binary_bytes,
        "binary_target": size_label,
        "calls_per_request_sdk": ours.in_sdk,
        "naive_calls_per_request_sdk": naive_calls.in_sdk,
        "calls_by_operation": ours.by_operation,
        "naive_calls_by_operation": naive_calls.by_operation,
        "rss_events_ok": served_ok,
        "routes_warm": route_ratios,
        "routes_issue21_warm": file_route_ratios,
        "routes_sharing_warm": share_route_ratios,
        "upload_throughput": upload_throughput,
        "scenarios_ms": stats.iter().map(|(k, s)| (k.to_string(), s.to_json())).collect::<BTreeMap<_, _>>(),
        "init_ms_stats": init_stats.to_json(),
        "bench_seconds": started.elapsed().as_secs(),
    });

    print_table(&stats, &init_stats, &summary);
    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n")?;
    println!("\nwrote {}", path.display());
    Ok(())
}

const LIMIT: &str = "a limit: S3 GetObject, prebuilt client";
const WARM: &str = "b ours: warm request";
const COLD: &str = "c ours: first request of a new user";
const NAIVE: &str = "d naive: 4 calls in sequence, new S3 client";
const S3_AS_OURS: &str = "a2 diagnostic: GetObject via our UserBucket, no handler";
const COLD_RTT: &str = "c+rtt ours: first request, 10 ms RTT emulated";
const NAIVE_RTT: &str = "d+rtt naive: 10 ms RTT emulated";
const COLD_REST_RTT: &str = "c+rtt ours, REST with signer: first request, 10 ms RTT emulated";
const WARM_SHARED: &str = "b shared: warm request, shared tier on";
const COLD_SHARED_RTT: &str =
    "c+rtt shared, REST with signer: first request in a new environment, user known to the account";
/// The operation name the app's call counter gives GetId.
const GET_ID: &str = op::GET_ID;

/// AdminGetUser and GetId one after the other, then both at once (medians, ms): on real AWS
/// the second takes the longer of the two; an emulator that serves one request at a time
/// takes their sum either way.
async fn concurrency_probe(naive: &Naive, user: &User) -> Result<Value, BoxError> {
    let (mut one_by_one, mut together) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        let t = Instant::now();
        naive.check_user(&user.token).await?;
        naive.identity_id(&user.verified).await?;
        one_by_one.push(t.elapsed());
        let t = Instant::now();
        let (checked, id) = tokio::join!(
            naive.check_user(&user.token),
            naive.identity_id(&user.verified)
        );
        checked?;
        id?;
        together.push(t.elapsed());
    }
    Ok(json!({
        "AdminGetUser_then_GetId": ms(Stats::of(&mut one_by_one).median),
        "AdminGetUser_and_GetId_concurrently": ms(Stats::of(&mut together).median),
    }))
}

/// The S3 client the app uses for `user`, taken from the app's own authentication step (the
/// user's keys, exchanged by the app), and the user's key.
async fn user_bucket(stack: &Stack, user: &User) -> Result<(Arc<UserBucket>, ObjectKey), BoxError> {
    let config = stack.config_with(&[]);
    let sdk = stack.lambda_sdk(&config).await;
    let auth = Authenticator::new(&config, &sdk, &CallCounter::default());
    let request = support::get("/read-file", &[("idToken", &user.token)]);
    let caller = auth.caller(&request).await?;
    let bucket = caller.read(|bucket| async move { Ok(bucket) }).await?;
    let key = bucket.data_file();
    Ok((bucket, key))
}

// ------------------------------------------------------------------ users and requests

/// `count` fresh users, each with a data file naming it (created a few at a time).
async fn make_users(stack: &'static Stack, count: usize) -> Vec<User> {
    let mut users = Vec::with_capacity(count);
    let mut setup = JoinSet::new();
    let mut next = 0;
    while users.len() < count {
        while setup.len() < 8 && next < count {
            next += 1;
            setup.spawn(async move {
                let user = stack.new_user("bench").await;
                let token = stack.token(&user.username, &user.password).await;
                let verified = stack.verified(&token).await;
                let identity = stack.identity(&token).await;
                let line = format!("{} {identity}", user.username);
                stack.put_data(&identity, &format!("{line}\n")).await;
                User {
                    token,
                    verified,
                    key: stack.data_key(&identity),
                    identity,
                    line,
                }
            });
        }
        if let Some(user) = setup.join_next().await {
            users.push(user.expect("user setup"));
        }
    }
    users
}

/// One request through the real handler; the served line, or the error response.
async fn request(app: &TestApp, token: &str) -> Result<String, BoxError> {
    let (status, body) = app.get("/read-file", token).await;
    match (status, body["data"].as_str()) {
        (200, Some(data)) => Ok(data.to_owned()),
        _ => Err(format!("read-file answered {status}: {body}").into()),
    }
}

/// One REST (v1) `GET /read-file` signed, as API Gateway attests, by the user's own identity.
async fn request_rest(app: &TestApp, user: &User) -> Result<String, BoxError> {
    let event = support::rest_event(&user.token, user.identity.as_str());
    let (status, body) = app.call(event).await;
    match (status, body["data"].as_str()) {
        (200, Some(data)) => Ok(data.to_owned()),
        _ => Err(format!("read-file (REST, signed) answered {status}: {body}").into()),
    }
}

async fn expect_own(app: &TestApp, user: &User) -> Result<(), BoxError> {
    check(&request(app, &user.token).await?, &user.line)
}

fn check(got: &str, want: &str) -> Result<(), BoxError> {
    if got == want {
        Ok(())
    } else {
        Err(format!("served {got:?}, expected {want:?}").into())
    }
}

/// (a): the same GetObject our handler makes, with the user's own keys, minus everything else.
struct LimitClient {
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
}

impl LimitClient {
    async fn new(stack: &Stack, user: &User) -> Result<Self, BoxError> {
        let sdk = stack.fixture_sdk().await;
        let out = aws_sdk_cognitoidentity::Client::new(&sdk)
            .get_credentials_for_identity()
            .identity_id(user.identity.as_str())
            .logins(stack.login_provider(), &user.token)
            .send()
            .await?;
        let keys = naive::scoped_keys(&out, "bench-limit")?;
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .credentials_provider(keys)
                .force_path_style(true)
                .build(),
        );
        Ok(LimitClient {
            client,
            bucket: stack.var("S3_BUCKET").to_owned(),
            key: user.key.as_str().to_owned(),
        })
    }

    /// The same client, for the routes' direct calls.
    fn direct(&self) -> routes::Direct {
        let folder = self.key.rsplit_once('/').map_or("", |(folder, _)| folder);
        routes::Direct {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            folder: format!("{folder}/"),
        }
    }

    async fn read(&self) -> Result<String, BoxError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await?;
        first_line(object.body).await
    }
}

async fn first_line(body: aws_sdk_s3::primitives::ByteStream) -> Result<String, BoxError> {
    let bytes = body.collect().await?.into_bytes();
    let text = std::str::from_utf8(&bytes)?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

// ------------------------------------------------------------------ (e) calls per request

/// Upstream calls during the steady-state run, at the stack and in the SDK.
struct Calls {
    at_stack: f64,
    in_sdk: f64,
    by_operation: BTreeMap<String, u64>,
}

async fn steady_state_ours(stack: &Stack, users: &[User]) -> Result<Calls, BoxError> {
    let app = TestApp::spawn().await;
    for user in users {
        expect_own(&app, user).await?;
    }
    let before = app.upstream_calls().snapshot();
    stack.reset_calls().await?;
    // One event at a time, as a Lambda sandbox serves them.
    for _ in 0..STEADY_ROUNDS {
        for user in users {
            expect_own(&app, user).await?;
        }
    }
    let at_stack = stack.calls().await?;
    let after = app.upstream_calls().snapshot();
    Ok(calls(at_stack, delta(&before, &after), users.len()))
}

async fn steady_state_naive(
    stack: &Stack,
    naive: &Arc<Naive>,
    users: &[User],
) -> Result<Calls, BoxError> {
    for user in users {
        check(&naive.request(&user.verified).await?, &user.line)?;
    }
    let before = naive.counter.snapshot();
    stack.reset_calls().await?;
    // The naive flow keeps no state, so running four at a time changes its count in nothing
    // and saves a minute of bench time.
    let mut tasks = JoinSet::new();
    let mut work = (0..STEADY_ROUNDS).flat_map(|_| users.iter().cloned());
    loop {
        while tasks.len() < 4 {
            let Some(user) = work.next() else { break };
            let naive = Arc::clone(naive);
            tasks.spawn(async move { check(&naive.request(&user.verified).await?, &user.line) });
        }
        match tasks.join_next().await {
            Some(done) => done??,
            None => break,
        }
    }
    let at_stack = stack.calls().await?;
    let after = naive.counter.snapshot();
    Ok(calls(at_stack, delta(&before, &after), users.len()))
}

/// `USER_CHECK_TTL_SECONDS` of the shared steady state: short, so that its few seconds show the
/// table reads each environment makes (one per user per TTL); the default is 30 s.
const SHARED_STEADY_TTL: u64 = 2;
/// The shared steady state spreads its rounds over at least this long.
const SHARED_STEADY_SPAN: Duration = Duration::from_secs(12);

/// Calls per warm request with the shared tier on.
struct SharedCalls {
    per_request: f64,
    cognito_per_request: f64,
    s3_per_request: f64,
    table_reads_per_request: f64,
    table_reads_per_user_second: f64,
    seconds: f64,
    by_operation: BTreeMap<String, u64>,
}

async fn steady_state_shared(stack: &Stack, users: &[User]) -> Result<SharedCalls, BoxError> {
    let ttl = SHARED_STEADY_TTL.to_string();
    let app = TestApp::spawn_shared(&[("USER_CHECK_TTL_SECONDS", ttl.as_str())]).await;
    for user in users {
        expect_own(&app, user).await?;
    }
    stack.reset_calls().await?;
    let started = Instant::now();
    let pace = SHARED_STEADY_SPAN / STEADY_ROUNDS as u32;
    for round in 0..STEADY_ROUNDS {
        for user in users {
            expect_own(&app, user).await?;
        }
        let due = pace * (round as u32 + 1);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let at_stack = stack.calls().await?;
    let requests = (users.len() * STEADY_ROUNDS) as f64;
    let sum = |ops: &[&str]| {
        ops.iter()
            .map(|o| at_stack.get(*o).copied().unwrap_or(0))
            .sum::<u64>() as f64
    };
    let reads = sum(&[op::TABLE_GET, op::TABLE_BATCH_GET]);
    Ok(SharedCalls {
        per_request: round3(at_stack.values().sum::<u64>() as f64 / requests),
        cognito_per_request: round3(sum(&[op::USER_CHECK, op::GET_ID, op::EXCHANGE]) / requests),
        s3_per_request: round3(sum(&[op::GET_OBJECT]) / requests),
        table_reads_per_request: round3(reads / requests),
        table_reads_per_user_second: round3(reads / users.len() as f64 / seconds),
        seconds: round3(seconds),
        by_operation: at_stack,
    })
}

fn calls(at_stack: BTreeMap<String, u64>, in_sdk: BTreeMap<String, u64>, users: usize) -> Calls {
    let requests = (users * STEADY_ROUNDS) as f64;
    Calls {
        at_stack: round3(at_stack.values().sum::<u64>() as f64 / requests),
        in_sdk: round3(in_sdk.values().sum::<u64>() as f64 / requests),
        by_operation: at_stack,
    }
}

fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}
