//! One execution environment serving many invocations at once, as on Lambda Managed Instances
//! (`AWS_LAMBDA_MAX_CONCURRENCY` > 1, the runtime's `run_concurrent`): every concurrent request
//! goes through the same `App` and its caches. No answer may carry another user's data, and the
//! caches must be shared without duplicate work: one AdminGetUser per user, one
//! GetCredentialsForIdentity per identity, and one GetId per user where events name no signer
//! (none where they do).
//!
//! `tests/load.rs` measures throughput and memory over thousands of requests with no call counts;
//! this test counts calls exactly, with each user's first requests arriving together, on both
//! event kinds.

use read_file::metrics::op;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{TestApp, function_url_event, parts, rest_event, stack};
use tokio::task::JoinSet;

const USERS: usize = 50;
const REQUESTS_PER_USER: usize = 10;
/// Invocations in flight at once in the one environment.
const CONCURRENCY: usize = 32;
/// A liveness guard per request, not a latency claim.
const HANG_GUARD: Duration = Duration::from_secs(60);

struct User {
    token: String,
    identity: String,
    line: String,
}

async fn make_users(label: &'static str) -> Vec<User> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut setup = JoinSet::new();
    for _ in 0..8 {
        let next = Arc::clone(&next);
        setup.spawn(async move {
            let stack = stack();
            let mut made = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < USERS {
                let user = stack.new_user(label).await;
                let token = stack.token(&user.username, &user.password).await;
                let identity = stack.identity(&token).await;
                let line = format!("{} {identity}", user.username);
                stack.put_data(&identity, &format!("{line}\n")).await;
                made.push(User {
                    token,
                    identity: identity.to_string(),
                    line,
                });
            }
            made
        });
    }
    setup.join_all().await.into_iter().flatten().collect()
}

/// Which user each request is for: the first half of the users in bursts (all of a user's
/// requests back to back, so its first ones are in flight together and must share one call),
/// the other half interleaved (many users' first requests at once).
fn schedule() -> Vec<usize> {
    let half = USERS / 2;
    let bursts = (0..half).flat_map(|u| std::iter::repeat_n(u, REQUESTS_PER_USER));
    let interleaved = (0..REQUESTS_PER_USER).flat_map(|_| half..USERS);
    bursts.chain(interleaved).collect()
}

#[derive(Clone, Copy, Debug)]
enum Events {
    /// REST API, `AWS_IAM`: API Gateway names the signer (the user's own identity).
    RestSigned,
    /// Function URL without IAM auth (also what `cargo lambda watch` sends): no signer.
    FunctionUrl,
}

fn request(kind: Events, user: &User) -> lambda_http::Request {
    match kind {
        Events::RestSigned => rest_event(&user.token, &user.identity),
        Events::FunctionUrl => function_url_event(&user.token, None),
    }
}

/// Runs the schedule through one fresh `App` with `CONCURRENCY` invocations in flight; returns
/// the calls it made. Panics on any refusal, 5xx or foreign answer.
async fn one_environment(kind: Events, users: Arc<Vec<User>>) -> BTreeMap<String, u64> {
    let app = Arc::new(TestApp::spawn().await);
    let order = Arc::new(schedule());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (app, users, order, next) = (
            Arc::clone(&app),
            Arc::clone(&users),
            Arc::clone(&order),
            Arc::clone(&next),
        );
        workers.spawn(async move {
            let mut seen = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&u) = order.get(i) else {
                    return seen;
                };
                let user = &users[u];
                let response = tokio::time::timeout(HANG_GUARD, app.handle(request(kind, user)))
                    .await
                    .expect("a request hung");
                let (status, body) = parts(&response);
                let own = body["data"].as_str() == Some(user.line.as_str());
                seen.push((status, own, body.to_string()));
            }
        });
    }
    let results: Vec<_> = workers.join_all().await.into_iter().flatten().collect();
    let took = started.elapsed();
    let calls = app.upstream_calls().snapshot();
    println!(
        "{kind:?}: {} requests, {USERS} users, {CONCURRENCY} in flight in one environment: \
         {took:.1?} ({:.0} req/s); calls {calls:?}",
        results.len(),
        results.len() as f64 / took.as_secs_f64()
    );
    assert_eq!(results.len(), USERS * REQUESTS_PER_USER);
    let failed: Vec<_> = results.iter().filter(|(s, _, _)| *s != 200).collect();
    assert!(
        failed.is_empty(),
        "{} not 200, e.g. {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    let foreign = results.iter().filter(|(_, own, _)| !own).count();
    assert_eq!(foreign, 0, "answers without the requester's own line");
    calls
}

fn count(calls: &BTreeMap<String, u64>, op: &str) -> u64 {
    calls.get(op).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_in_one_environment_share_the_caches_safely() {
    let users = Arc::new(make_users("many").await);
    assert_eq!(users.len(), USERS);
    let n = USERS as u64;
    for (kind, get_ids) in [(Events::RestSigned, 0), (Events::FunctionUrl, n)] {
        let calls = one_environment(kind, Arc::clone(&users)).await;
        let expected = [
            (op::JWKS, 1),
            (op::USER_CHECK, n),
            (op::GET_ID, get_ids),
            (op::EXCHANGE, n),
            (op::GET_OBJECT, (USERS * REQUESTS_PER_USER) as u64),
        ];
        for (op, want) in expected {
            assert_eq!(count(&calls, op), want, "{kind:?} {op}: {calls:?}");
        }
    }
}
