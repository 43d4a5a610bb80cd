//! The caches never hand one user's identity, keys or data to another: many users, interleaved
//! concurrent requests, cold and warm mixed, all through one `App`.
//!
//! Each user's data file holds its own username and IdentityId. A response carrying exactly that
//! line proves the request used the requester's IdentityId (the key) and keys that IAM accepts on
//! it (another identity's keys get AccessDenied), so a swapped cache entry cannot go unnoticed.

use read_file::metrics::op;
use std::collections::BTreeMap;
use std::sync::Arc;
use support::{TestApp, stack};
use tokio::task::JoinSet;

/// A signed-in user and the one line its data file holds.
struct Signed {
    username: String,
    token: String,
    line: String,
}

/// `count` fresh users, each with a data file naming itself (set up concurrently).
async fn users(label: &str, count: usize) -> Vec<Signed> {
    let stack = stack();
    let mut setup = JoinSet::new();
    for _ in 0..count {
        let label = label.to_owned();
        setup.spawn(async move {
            let user = stack.new_user(&label).await;
            let token = stack.token(&user.username, &user.password).await;
            let identity = stack.identity(&token).await;
            let line = format!("{} {identity}", user.username);
            stack
                .put_data(&identity, &format!("{line}\nnot this line\n"))
                .await;
            Signed {
                username: user.username,
                token,
                line,
            }
        });
    }
    let users = setup.join_all().await;
    let mut lines: Vec<&str> = users.iter().map(|u| u.line.as_str()).collect();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(
        lines.len(),
        count,
        "every user has an IdentityId of its own"
    );
    users
}

/// A fixed shuffle (no RNG dependency): `order[i]` visits every index once, well interleaved.
fn shuffled(len: usize, seed: usize) -> Vec<usize> {
    let step = (1..len)
        .map(|k| (k * 7 + seed) % len)
        .find(|s| *s > 1 && gcd(*s, len) == 1)
        .unwrap_or(1);
    (0..len).map(|i| (seed + i * step) % len).collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Sends every `(user, repeat)` request at once and checks each answer is the requester's own.
async fn burst(app: &Arc<TestApp>, users: &Arc<Vec<Signed>>, requests: Vec<usize>) -> usize {
    let mut tasks = JoinSet::new();
    for who in requests.iter().copied() {
        let (app, users) = (Arc::clone(app), Arc::clone(users));
        tasks.spawn(async move { (who, app.get("/read-file", &users[who].token).await) });
    }
    while let Some(done) = tasks.join_next().await {
        let (who, (status, body)) = done.expect("request task");
        let user = &users[who];
        assert_eq!(status, 200, "{}: {body}", user.username);
        let data = body["data"].as_str().unwrap_or_default();
        assert_eq!(
            data, user.line,
            "{} got another user's data (or identity)",
            user.username
        );
    }
    requests.len()
}

/// Calls of one operation counted by the app's SDK interceptor.
fn calls(counts: &BTreeMap<String, u64>, op: &str) -> u64 {
    counts.get(op).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interleaved_users_only_ever_get_their_own_identity_keys_and_data() {
    const USERS: usize = 24;
    let users = Arc::new(users("iso", USERS).await);
    let app = Arc::new(TestApp::spawn().await);

    // Half the users warm up first, three concurrent first requests each (one cache fill each).
    let first_half: Vec<usize> = shuffled(USERS, 5)
        .into_iter()
        .filter(|i| i % 2 == 0)
        .flat_map(|i| [i, i, i])
        .collect();
    let mut sent = burst(&app, &users, first_half).await;

    // Then everyone at once, several rounds in different orders: the other half's first
    // (cold) requests race the first half's warm ones through the same caches.
    for round in 0..6 {
        let order = shuffled(USERS, round * 3 + 1);
        let mixed = order.iter().chain(order.iter().rev()).copied().collect();
        sent += burst(&app, &users, mixed).await;
    }

    let counts = app.upstream_calls().snapshot();
    let n = USERS as u64;
    assert_eq!(calls(&counts, op::GET_OBJECT), sent as u64, "{counts:?}");
    // One identity lookup, one key exchange and one user check per user, however many
    // requests raced: a second fill for a user would mean a cache keyed on the wrong thing.
    assert_eq!(calls(&counts, op::GET_ID), n, "{counts:?}");
    assert_eq!(calls(&counts, op::EXCHANGE), n, "{counts:?}");
    assert_eq!(calls(&counts, op::USER_CHECK), n, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_user_check_on_every_request_interleaved_users_stay_isolated() {
    // TTL 0: each warm request runs AdminGetUser concurrently with its S3 read.
    const USERS: usize = 8;
    let users = Arc::new(users("iso-ttl0", USERS).await);
    let app = Arc::new(TestApp::spawn_with(&[("USER_CHECK_TTL_SECONDS", "0")]).await);
    let mut sent = 0;
    for round in 0..4 {
        let order = shuffled(USERS, round);
        let requests = order.iter().chain(order.iter()).copied().collect();
        sent += burst(&app, &users, requests).await;
    }
    let counts = app.upstream_calls().snapshot();
    assert_eq!(calls(&counts, op::GET_OBJECT), sent as u64, "{counts:?}");
    assert_eq!(calls(&counts, op::EXCHANGE), USERS as u64, "{counts:?}");
}
