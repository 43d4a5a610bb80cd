//! The shared session tier (issue 19 §4) against the local stack: several `App`s with the tier on,
//! each one Lambda environment, sharing the stack's DynamoDB table (moto's, created from
//! `infra/tables/session.json`); revocations pushed by the stack to the `revocations` function
//! (the library's handler behind an Invoke API in this process, `support::invoke`).
//!
//! A binary of its own, and its tests one at a time (`SERIAL`): they steer state global to the
//! stack (how revoking calls are delivered, faults, the stack's call counter), which every other
//! test running beside them would see. Cargo runs test binaries one after the other.

use lambda_http::Request;
use read_file::identity::IdentityId;
use read_file::metrics::op;
use read_file::session::{FAULT_PAUSE, SessionTable};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::invoke::InvokeServer;
use support::{TestApp, error_code, function_url_event, rest_event, stack};
use tokio::sync::{Mutex, MutexGuard};

static SERIAL: Mutex<()> = Mutex::const_new(());

/// One test at a time; the stack's revocation delivery back to its defaults first.
async fn serial() -> MutexGuard<'static, ()> {
    let guard = SERIAL.lock().await;
    stack()
        .user_events(json!({ "lost": false, "delay_ms": 0 }))
        .await;
    guard
}

/// A user with a data file naming itself, and a fresh token.
struct User {
    username: String,
    password: String,
    token: String,
    identity: IdentityId,
    line: String,
}

async fn user(label: &str) -> User {
    let stack = stack();
    let created = stack.new_user(label).await;
    user_named(created.username, created.password).await
}

async fn user_named(username: String, password: String) -> User {
    let stack = stack();
    let token = stack.token(&username, &password).await;
    let identity = stack.identity(&token).await;
    let line = format!("{username} {identity}");
    stack.put_data(&identity, &format!("{line}\n")).await;
    User {
        username,
        password,
        token,
        identity,
        line,
    }
}

/// A REST request signed (as API Gateway attests) by the user's own identity.
fn rest(user: &User) -> Request {
    rest_event(&user.token, user.identity.as_str())
}

/// A function-URL request: no signer, so GetId names the identity.
fn url(user: &User) -> Request {
    function_url_event(&user.token, None)
}

/// `n` environments with the shared tier on and `overrides`. The table's budget is 3 s here
/// unless overridden (300 ms by default): the emulator on a loaded 2-core machine takes longer
/// than DynamoDB now and then, and a call over budget is a miss, which would change the counts
/// these tests pin (the fault test sets its own).
async fn environments(n: usize, overrides: &[(&str, &str)]) -> Vec<Arc<TestApp>> {
    let mut all = vec![("SESSION_TABLE_TIMEOUT_MS", "3000")];
    all.extend_from_slice(overrides);
    let mut apps = Vec::new();
    for _ in 0..n {
        apps.push(Arc::new(TestApp::spawn_shared(&all).await));
    }
    apps
}

/// No environment met a table fault (so the counts are the tier's, not the fallback's).
fn no_faults(apps: &[Arc<TestApp>]) {
    let faults: Vec<u64> = apps.iter().map(|a| a.calls_of(op::TABLE_FAULT)).collect();
    assert!(faults.iter().all(|f| *f == 0), "table faults: {faults:?}");
}

/// `"ok"` for the requester's own line, else the error code (or what was wrong).
async fn outcome(app: &TestApp, request: Request, user: &User) -> String {
    let (status, body) = app.call(request).await;
    match status {
        200 if body["data"].as_str() == Some(user.line.as_str()) => "ok".to_owned(),
        200 => format!("200 with another line: {body}"),
        _ => format!("{status} {}", error_code(&body)),
    }
}

fn count(calls: &BTreeMap<String, u64>, op: &str) -> u64 {
    calls.get(op).copied().unwrap_or(0)
}

/// The stack's call counts since the last reset.
async fn stack_calls() -> BTreeMap<String, u64> {
    stack().calls().await.expect("the stack's call counts")
}

/// The Cognito calls of a count, by operation.
fn cognito(calls: &BTreeMap<String, u64>) -> [(&'static str, u64); 3] {
    [op::USER_CHECK, op::GET_ID, op::EXCHANGE].map(|o| (o, count(calls, o)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn first_requests_in_environments_one_after_another_cost_one_call_of_each_for_the_account() {
    let _serial = serial().await;
    const N: usize = 4;
    let apps = environments(N, &[]).await;
    let (by_url, by_rest) = (user("seq-url").await, user("seq-rest").await);
    let stack = stack();

    stack.reset_calls().await.unwrap();
    for app in &apps {
        assert_eq!(outcome(app, url(&by_url), &by_url).await, "ok");
    }
    let calls = stack_calls().await;
    println!("function URL, {N} environments one after another: {calls:?}");
    assert_eq!(
        cognito(&calls),
        [(op::USER_CHECK, 1), (op::GET_ID, 1), (op::EXCHANGE, 1)],
        "{calls:?}"
    );
    assert_eq!(count(&calls, op::GET_OBJECT), N as u64);
    no_faults(&apps);

    stack.reset_calls().await.unwrap();
    for app in &apps {
        assert_eq!(outcome(app, rest(&by_rest), &by_rest).await, "ok");
    }
    let calls = stack_calls().await;
    println!("REST (signer), {N} environments one after another: {calls:?}");
    assert_eq!(
        cognito(&calls),
        [(op::USER_CHECK, 1), (op::GET_ID, 0), (op::EXCHANGE, 1)],
        "{calls:?}"
    );
    assert_eq!(count(&calls, op::GET_OBJECT), N as u64);
    no_faults(&apps);
}

/// `n` environments (with `overrides`) serving a new user's first REST request at the same
/// instant; the stack's counts of the Cognito calls they made.
async fn first_at_once(n: usize, overrides: &[(&str, &str)]) -> BTreeMap<String, u64> {
    let apps = environments(n, overrides).await;
    let user = Arc::new(user("instant").await);
    stack().reset_calls().await.unwrap();
    let mut first = tokio::task::JoinSet::new();
    for app in &apps {
        let (app, user) = (Arc::clone(app), Arc::clone(&user));
        first.spawn(async move { outcome(&app, rest(&user), &user).await });
    }
    let outcomes = first.join_all().await;
    assert!(outcomes.iter().all(|o| o == "ok"), "{outcomes:?}");
    no_faults(&apps);
    stack_calls().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn first_requests_in_environments_at_the_same_instant_ask_the_user_pool_once() {
    let _serial = serial().await;
    const N: usize = 4;
    // Losers of the verdict's lease wait up to 2 s here (250 ms by default), far longer than the
    // emulator takes to answer AdminGetUser even with four first requests at once.
    let wait = [("SHARED_USER_CHECK_WAIT_MS", "2000")];
    for round in 0..3 {
        let calls = first_at_once(N, &wait).await;
        println!("REST (signer), {N} environments at the same instant, round {round}: {calls:?}");
        // The verdict's lease: one AdminGetUser whoever asks. The keys have no lease (it would put
        // a write and a wait before every user's first exchange): at most one exchange per
        // environment whose first request comes before the first sealed keys are stored.
        assert_eq!(count(&calls, op::USER_CHECK), 1, "{calls:?}");
        assert_eq!(count(&calls, op::GET_ID), 0, "{calls:?}");
        let exchanges = count(&calls, op::EXCHANGE);
        assert!((1..=N as u64).contains(&exchanges), "{calls:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn environments_that_lose_the_lease_ask_themselves_once_the_wait_is_over() {
    let _serial = serial().await;
    const N: usize = 4;
    // The first AdminGetUser takes 1.5 s: the others stop waiting after 250 ms (the default) and
    // ask themselves, so a slow or lost first asker delays nobody by much more than the wait.
    let faults = support::faults::FaultGuard::new();
    faults
        .inject(json!({"target": "cognito-idp:AdminGetUser", "kind": "delay", "delay_ms": 1500, "count": 1}))
        .await;
    let started = Instant::now();
    let calls = first_at_once(N, &[]).await;
    println!(
        "REST (signer), {N} environments at the same instant, the first asker slow: {calls:?} in {:?}",
        started.elapsed()
    );
    // The slow first asker, and at least one environment that stopped waiting for it (the others
    // may find that one's answer while they still wait): never one, never more than one each.
    let asked = count(&calls, op::USER_CHECK);
    assert!((2..=N as u64).contains(&asked), "{calls:?}");
    // Every environment went for the lease, and the losers read the verdict again while waiting.
    assert!(count(&calls, op::TABLE_UPDATE) >= N as u64, "{calls:?}");
    assert!(count(&calls, op::TABLE_GET) > N as u64, "{calls:?}");
}

// ------------------------------------------------------------------ revocation

/// What a revocation does to the user, and what the refused requests then answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Revoke {
    Disable,
    Delete,
    /// Deleted, and the username given to a new person at once.
    DeleteAndRecreate,
    /// Global sign-out: the tokens issued so far.
    SignOut,
}

impl Revoke {
    /// The status and code a revoked request answers.
    fn refusal(self) -> &'static str {
        match self {
            Revoke::Disable => "403 user_disabled",
            Revoke::Delete | Revoke::DeleteAndRecreate => "401 unknown_user",
            Revoke::SignOut => "401 not_authorized",
        }
    }

    async fn apply(self, user: &User) {
        let stack = stack();
        match self {
            Revoke::Disable => stack.disable_user(&user.username).await,
            Revoke::Delete => stack.delete_user(&user.username).await,
            Revoke::DeleteAndRecreate => {
                stack.delete_user(&user.username).await;
                stack.create_user(&user.username).await;
            }
            Revoke::SignOut => stack.sign_out_user(&user.username).await,
        }
    }
}

/// Requests the user's file in every environment every 100 ms until each has refused it as
/// `revoke` does (a refusal must last: an environment that refused never serves again), or
/// `deadline` passed; each environment's time to its first refusal, from `since`.
async fn refusals(
    apps: &[Arc<TestApp>],
    user: &User,
    revoke: Revoke,
    since: Instant,
    deadline: Duration,
) -> Vec<Duration> {
    let mut refused: Vec<Option<Duration>> = vec![None; apps.len()];
    while refused.iter().any(Option::is_none) && since.elapsed() < deadline {
        for (i, app) in apps.iter().enumerate() {
            let got = outcome(app, rest(user), user).await;
            match (got.as_str(), refused[i]) {
                (answer, None) if answer == revoke.refusal() => refused[i] = Some(since.elapsed()),
                ("ok", None) => {}
                (answer, Some(_)) if answer == revoke.refusal() => {}
                (answer, _) => panic!("{revoke:?}: environment {i} answered {answer}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    refused
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|| panic!("{revoke:?}: environment {i} still serves")))
        .collect()
}

/// Margin for the bounds below: a round of requests to every environment (each a few ms, on a
/// loaded machine tens) and the 100 ms between rounds.
const POLLING: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_reaches_every_environment_within_its_delivery_plus_the_local_ttl() {
    let _serial = serial().await;
    const N: usize = 3;
    let stack = stack();
    let function = InvokeServer::start(stack.revocations().await).await;
    let delivery = Duration::from_millis(500);
    stack
        .user_events(
            json!({"function_url": function.url(), "delay_ms": delivery.as_millis() as u64}),
        )
        .await;
    // The shared verdict outlives the test: only the event can end the approval in time.
    let ttls = [
        ("USER_CHECK_TTL_SECONDS", "1"),
        ("SHARED_USER_CHECK_TTL_SECONDS", "600"),
    ];
    let local_ttl = Duration::from_secs(1);
    for revoke in [
        Revoke::Disable,
        Revoke::Delete,
        Revoke::DeleteAndRecreate,
        Revoke::SignOut,
    ] {
        let apps = environments(N, &ttls).await;
        let victim = user("revoked").await;
        for app in &apps {
            assert_eq!(outcome(app, rest(&victim), &victim).await, "ok");
        }
        let delivered = stack.user_events_report().await["delivered"]
            .as_u64()
            .unwrap();
        stack.reset_calls().await.unwrap();
        let since = Instant::now();
        revoke.apply(&victim).await;
        let times = refusals(&apps, &victim, revoke, since, Duration::from_secs(20)).await;
        let calls = stack_calls().await;
        let slowest = times.iter().max().copied().unwrap_or_default();
        println!(
            "{revoke:?}, delivery {delivery:?}, local TTL {local_ttl:?}: refused in {times:?}; \
             Cognito calls meanwhile {:?}",
            cognito(&calls)
        );
        assert!(
            slowest <= delivery + local_ttl + POLLING,
            "{revoke:?}: {slowest:?} > delivery {delivery:?} + local TTL {local_ttl:?}"
        );
        // The refusals came from the pushed event: no environment asked the user pool.
        no_faults(&apps);
        assert_eq!(count(&calls, op::USER_CHECK), 0, "{revoke:?}: {calls:?}");
        let report = stack.user_events_report().await;
        assert!(
            report["delivered"].as_u64().unwrap() > delivered,
            "{revoke:?}: the event was not delivered: {report}"
        );

        // The person behind the username now, or the same person signed in again, is served.
        let again = match revoke {
            Revoke::DeleteAndRecreate => {
                Some(user_named(victim.username.clone(), "Test-Passw0rd!-local".to_owned()).await)
            }
            Revoke::SignOut => {
                // A token of a later second than the sign-out's.
                tokio::time::sleep(Duration::from_millis(1100)).await;
                let token = stack.token(&victim.username, &victim.password).await;
                Some(User { token, ..victim })
            }
            Revoke::Disable | Revoke::Delete => None,
        };
        if let Some(again) = again {
            for app in &apps {
                assert_eq!(outcome(app, rest(&again), &again).await, "ok", "{revoke:?}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_event_late_or_lost_a_revocation_reaches_every_environment_within_the_shared_ttl()
{
    let _serial = serial().await;
    const N: usize = 3;
    let stack = stack();
    let function = InvokeServer::start(stack.revocations().await).await;
    let shared_ttl = Duration::from_secs(4);
    let ttls = [
        ("USER_CHECK_TTL_SECONDS", "1"),
        ("SHARED_USER_CHECK_TTL_SECONDS", "4"),
        ("SHARED_USER_CHECK_WAIT_MS", "2000"),
    ];
    // Lost, then delivered later than the shared TTL: the safety net acts first either way.
    for (lost, delay_ms) in [(true, 0), (false, 8000)] {
        stack
            .user_events(
                json!({"function_url": function.url(), "lost": lost, "delay_ms": delay_ms}),
            )
            .await;
        for revoke in [Revoke::Disable, Revoke::Delete] {
            let apps = environments(N, &ttls).await;
            let victim = user("late").await;
            for app in &apps {
                assert_eq!(outcome(app, rest(&victim), &victim).await, "ok");
            }
            stack.reset_calls().await.unwrap();
            let since = Instant::now();
            revoke.apply(&victim).await;
            let times = refusals(&apps, &victim, revoke, since, Duration::from_secs(20)).await;
            let calls = stack_calls().await;
            let slowest = times.iter().max().copied().unwrap_or_default();
            println!(
                "{revoke:?}, event {}: refused in {times:?}; Cognito calls meanwhile {:?}",
                if lost {
                    "lost".to_owned()
                } else {
                    format!("after {delay_ms} ms")
                },
                cognito(&calls)
            );
            assert!(slowest <= shared_ttl + POLLING, "{revoke:?}: {slowest:?}");
            // One environment found the shared verdict stale and asked, for all of them.
            no_faults(&apps);
            assert_eq!(count(&calls, op::USER_CHECK), 1, "{revoke:?}: {calls:?}");
        }
    }
    stack.user_events(json!({ "lost": false })).await;
}

// ------------------------------------------------------------------ faults

#[derive(Debug, Clone, Copy)]
enum TableFault {
    /// Nothing answers at the table's address.
    Stopped,
    /// DynamoDB throttles every call.
    Throttled,
    /// Every call takes a second, past the tier's 300 ms budget.
    Slow,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_throttled_or_slow_table_is_a_miss_never_a_pass_and_the_tier_recovers() {
    let _serial = serial().await;
    let stack = stack();
    let faults = support::faults::FaultGuard::new();
    // The table behind a proxy of its own, so that it can be stopped alone.
    let mut proxy = support::proxy::Proxy::start(support::faults::stack_addr()).await;
    let table = proxy.url();
    let overrides = [
        ("AWS_ENDPOINT_URL_DYNAMODB", table.as_str()),
        ("SESSION_TABLE_TIMEOUT_MS", "300"),
        ("USER_CHECK_TTL_SECONDS", "1"),
        ("SHARED_USER_CHECK_TTL_SECONDS", "600"),
    ];
    // Revoking calls are lost in this test: the table keeps a fresh approval of the victim, which
    // nothing may serve while the table cannot be read (the lost event's own bound, the shared
    // TTL, is the test above).
    stack.user_events(json!({ "lost": true })).await;
    for fault in [TableFault::Stopped, TableFault::Throttled, TableFault::Slow] {
        let warm = environments(1, &overrides).await.remove(0);
        let (ok, victim) = (user("fault-ok").await, user("fault-victim").await);
        for u in [&ok, &victim] {
            assert_eq!(outcome(&warm, rest(u), u).await, "ok", "{fault:?}");
        }
        stack.disable_user(&victim.username).await;

        match fault {
            TableFault::Stopped => proxy.stop().await,
            TableFault::Throttled => {
                faults
                    .inject(json!({"target": "dynamodb:*", "kind": "throttle"}))
                    .await
            }
            TableFault::Slow => {
                faults
                    .inject(json!({"target": "dynamodb:*", "kind": "delay", "delay_ms": 1000}))
                    .await
            }
        }
        // Past the local TTL: every environment must know the verdict again, and the table
        // cannot say. A new environment knows nothing at all.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let fresh = environments(1, &overrides).await.remove(0);
        for app in [&warm, &fresh] {
            // As without a table: the enabled user served, the disabled one refused (by Cognito).
            assert_eq!(outcome(app, rest(&ok), &ok).await, "ok", "{fault:?}");
            assert_eq!(
                outcome(app, rest(&victim), &victim).await,
                "403 user_disabled",
                "{fault:?}: served on a stale or missing verdict"
            );
            assert!(
                app.calls_of(op::TABLE_FAULT) >= 1,
                "{fault:?}: no fault counted"
            );
        }
        println!(
            "{fault:?}: faults counted {} / {}; the fresh environment's calls {:?}",
            warm.calls_of(op::TABLE_FAULT),
            fresh.calls_of(op::TABLE_FAULT),
            fresh.upstream_calls().snapshot()
        );

        // The table is back: after its pause each environment uses it again by itself.
        match fault {
            TableFault::Stopped => proxy.restart().await,
            TableFault::Throttled | TableFault::Slow => faults.clear(),
        }
        tokio::time::sleep(FAULT_PAUSE + Duration::from_millis(1100)).await;
        let before = warm.upstream_calls().snapshot();
        stack.reset_calls().await.unwrap();
        assert_eq!(outcome(&warm, rest(&ok), &ok).await, "ok", "{fault:?}");
        let newcomer = environments(1, &overrides).await.remove(0);
        assert_eq!(outcome(&newcomer, rest(&ok), &ok).await, "ok", "{fault:?}");
        let calls = stack_calls().await;
        println!("{fault:?}, recovered: {calls:?}");
        assert!(warm.calls_since(&before, op::TABLE_GET) >= 1, "{fault:?}");
        assert_eq!(
            cognito(&calls),
            [(op::USER_CHECK, 0), (op::GET_ID, 0), (op::EXCHANGE, 0)],
            "{fault:?}: the table answered again"
        );
    }
    stack.user_events(json!({ "lost": false })).await;
}

// ------------------------------------------------------------------ what the table holds

/// Every item of the table, raw, as anyone allowed to scan it would read it.
async fn scan() -> Vec<read_file::session::Item> {
    let client = stack().dynamodb().await;
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(stack().var("SESSION_TABLE"))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("Scan");
        items.extend(page.items().iter().cloned());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// An attribute as text: strings and numbers as they are, binaries as base64 and as lossy text.
fn rendered(value: &aws_sdk_dynamodb::types::AttributeValue) -> String {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    use base64::Engine;
    match value {
        V::S(s) | V::N(s) => s.clone(),
        V::B(b) => format!(
            "{} {}",
            base64::engine::general_purpose::STANDARD.encode(b.as_ref()),
            String::from_utf8_lossy(b.as_ref())
        ),
        other => format!("{other:?}"),
    }
}

fn text(item: &read_file::session::Item, name: &str) -> String {
    item.get(name).map(rendered).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_raw_scan_of_the_table_yields_no_usable_key_and_nothing_secret() {
    use read_file::session::keys::slot_key;
    use read_file::session::seal;
    let _serial = serial().await;
    let stack = stack();
    let app = environments(1, &[]).await.remove(0);
    let mut users = Vec::new();
    for label in ["scan-a", "scan-b", "scan-c"] {
        let u = user(label).await;
        assert_eq!(outcome(&app, rest(&u), &u).await, "ok");
        assert_eq!(outcome(&app, url(&u), &u).await, "ok");
        users.push(u);
    }
    let items = scan().await;
    let mut secrets: Vec<String> = Vec::new();
    for u in &users {
        let verified = stack.verified(&u.token).await;
        secrets.push(u.token.clone());
        secrets.push(u.token.rsplit('.').next().unwrap().to_owned());
        let pk = format!("user#{}", verified.sub());
        let mine: Vec<_> = items.iter().filter(|i| text(i, "pk") == pk).collect();
        let slots: Vec<_> = mine
            .iter()
            .filter(|i| text(i, "sk").starts_with("keys#"))
            .collect();
        assert_eq!(
            slots.len(),
            1,
            "{}: one token, one sealed slot: {mine:?}",
            u.username
        );
        let slot = slots[0];
        let sealed = slot["sealed"].as_b().expect("binary").as_ref().to_vec();
        let sk = text(slot, "sk");
        assert_eq!(sk, seal::slot(&verified), "named by the token's hash");
        // Its own token opens it (so the checks below are about real keys)...
        let opened = seal::open(&verified, &slot_key(verified.sub(), &sk), &sealed)
            .expect("the token's own slot opens with the token");
        let keys = &opened.credentials.credentials;
        secrets.push(keys.access_key_id().to_owned());
        secrets.push(keys.secret_access_key().to_owned());
        secrets.push(keys.session_token().unwrap().to_owned());
        // ...no other token does.
        for other in users.iter().filter(|o| o.username != u.username) {
            let other = stack.verified(&other.token).await;
            assert!(seal::open(&other, &slot_key(verified.sub(), &sk), &sealed).is_none());
        }
        let again = stack.token(&u.username, &u.password).await;
        let again = stack.verified(&again).await;
        assert!(seal::open(&again, &slot_key(verified.sub(), &sk), &sealed).is_none());
        // What a scan holds, used as keys, reaches nothing.
        let guessed = aws_sdk_s3::config::Builder::from(&stack.fixture_sdk().await)
            .credentials_provider(aws_credential_types::Credentials::new(
                sk.trim_start_matches("keys#"),
                rendered(&slot["sealed"]),
                Some(text(slot, "expires_at")),
                None,
                "scan",
            ))
            .force_path_style(true)
            .build();
        let refused = aws_sdk_s3::Client::from_conf(guessed)
            .get_object()
            .bucket(stack.var("S3_BUCKET"))
            .key(stack.data_key(&u.identity).as_str())
            .send()
            .await;
        assert!(refused.is_err(), "a scanned value opened S3");

        // Plain attributes: only what the module documents.
        for item in &mine {
            let sk = text(item, "sk");
            let allowed: &[&str] = match sk.as_str() {
                "verdict" => &[
                    "pk",
                    "sk",
                    "state",
                    "username",
                    "sub",
                    "checked_at",
                    "rev",
                    "revoked_since",
                    "event_at",
                    "lease_until",
                    "expires_at",
                ],
                "identity" => &["pk", "sk", "identity_id", "sub", "expires_at"],
                _ => &["pk", "sk", "sealed", "expires_at"],
            };
            for name in item.keys() {
                assert!(allowed.contains(&name.as_str()), "{sk}: {name}");
            }
        }
    }
    for item in &items {
        for (name, value) in item {
            let value = rendered(value);
            for secret in &secrets {
                assert!(!value.contains(secret.as_str()), "a secret in {name}");
            }
        }
    }
}

// ------------------------------------------------------------------ entries moved

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn entries_moved_to_another_user_or_token_are_misses_never_passes() {
    use read_file::session::seal;
    let _serial = serial().await;
    let stack = stack();
    let table = stack.dynamodb().await;
    let name = stack.var("SESSION_TABLE");
    let first = environments(1, &[]).await.remove(0);
    let (alice, bob, carol) = (
        user("moved-a").await,
        user("moved-b").await,
        user("moved-c").await,
    );
    assert_eq!(outcome(&first, rest(&alice), &alice).await, "ok");
    stack.disable_user(&bob.username).await;
    assert_eq!(outcome(&first, rest(&bob), &bob).await, "403 user_disabled");
    let (a, b, c) = (
        stack.verified(&alice.token).await,
        stack.verified(&bob.token).await,
        stack.verified(&carol.token).await,
    );
    let get = |sub: String, sk: String| {
        let table = table.clone();
        async move {
            table
                .get_item()
                .table_name(name)
                .set_key(Some(SessionTable::key(&sub, &sk)))
                .send()
                .await
                .expect("GetItem")
                .item
                .expect("the item")
        }
    };
    let put = |mut item: read_file::session::Item, sub: &str, sk: &str| {
        let table = table.clone();
        item.extend(SessionTable::key(sub, sk));
        async move {
            table
                .put_item()
                .table_name(name)
                .set_item(Some(item))
                .send()
                .await
                .expect("PutItem");
        }
    };

    // Alice's approval copied over Bob's refusal: as it is, then with Bob's sub written in.
    let approval = get(a.sub().to_owned(), "verdict".to_owned()).await;
    let mut rebound = approval.clone();
    rebound.insert(
        "sub".to_owned(),
        aws_sdk_dynamodb::types::AttributeValue::S(b.sub().to_owned()),
    );
    for (what, item) in [("as it is", approval), ("with Bob's sub", rebound)] {
        put(item, b.sub(), "verdict").await;
        let app = environments(1, &[]).await.remove(0);
        stack.reset_calls().await.unwrap();
        assert_eq!(
            outcome(&app, rest(&bob), &bob).await,
            "403 user_disabled",
            "Alice's approval {what} passed Bob"
        );
        assert!(app.calls_of(op::TABLE_FAULT) >= 1, "{what}: not counted");
        assert_eq!(count(&stack_calls().await, op::USER_CHECK), 1, "{what}");
    }

    // Alice's sealed keys put in Carol's slot, and in the slot of another token of Alice's.
    let alice_slot = get(a.sub().to_owned(), seal::slot(&a)).await;
    let alice_again = stack.token(&alice.username, &alice.password).await;
    let a2 = stack.verified(&alice_again).await;
    let alice2 = User {
        token: alice_again,
        username: alice.username.clone(),
        password: alice.password.clone(),
        identity: alice.identity.clone(),
        line: alice.line.clone(),
    };
    for (who, verified, requester) in [
        ("Carol's", &c, &carol),
        ("Alice's other token's", &a2, &alice2),
    ] {
        put(alice_slot.clone(), verified.sub(), &seal::slot(verified)).await;
        let app = environments(1, &[]).await.remove(0);
        stack.reset_calls().await.unwrap();
        // Served with the requester's own keys (its own line; another identity's keys would be
        // refused by IAM), after an exchange of its own.
        assert_eq!(
            outcome(&app, rest(requester), requester).await,
            "ok",
            "{who}"
        );
        assert!(app.calls_of(op::TABLE_FAULT) >= 1, "{who}: not counted");
        assert_eq!(count(&stack_calls().await, op::EXCHANGE), 1, "{who}");
    }
}
