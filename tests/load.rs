//! Load through one `App`, as one warm Lambda sandbox would see it: many users, many concurrent
//! requests, the same users in flight together. Every response must carry its own user's data,
//! none may be a 5xx, and memory must stay bounded (the peak is printed).
//!
//! A binary of its own, and not a module of `tests/api`: it reads this process's peak resident set
//! (`VmHWM`), which any test running in the same process would inflate, and its 5,000 requests
//! would slow the tests beside it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{TestApp, error_code, stack};
use tokio::task::JoinSet;

const USERS: usize = 100;
const REQUESTS: usize = 5_000;
const CONCURRENCY: usize = 64;
/// A liveness guard per request, not a latency claim.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// A user of the run: its token and the one line its file holds.
struct User {
    token: String,
    data: String,
}

/// A value of `/proc/self/status` in KiB (`VmHWM` = peak resident set, `VmRSS` = now).
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

async fn make_users() -> Vec<User> {
    let mut setup = JoinSet::new();
    let next = Arc::new(AtomicUsize::new(0));
    for _ in 0..8 {
        let next = Arc::clone(&next);
        setup.spawn(async move {
            let stack = stack();
            let mut made = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < USERS {
                let user = stack.new_user("load").await;
                let token = stack.token(&user.username, &user.password).await;
                let data = format!("data of {}", user.username);
                stack
                    .put_data(&stack.identity(&token).await, &format!("{data}\n"))
                    .await;
                made.push(User { token, data });
            }
            made
        });
    }
    setup.join_all().await.into_iter().flatten().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_concurrent_requests_each_get_their_own_users_data() {
    let started = Instant::now();
    let users = Arc::new(make_users().await);
    assert_eq!(users.len(), USERS);
    let setup = started.elapsed();

    let app = Arc::new(TestApp::spawn().await);
    let hwm_before = proc_status_kib("VmHWM").unwrap_or(0);
    let rss_before = proc_status_kib("VmRSS").unwrap_or(0);
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (app, users, next) = (Arc::clone(&app), Arc::clone(&users), Arc::clone(&next));
        workers.spawn(async move {
            // (status, code, wrong data) per request; several requests of one user overlap.
            let mut seen = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= REQUESTS {
                    return seen;
                }
                // A stride coprime with USERS spreads each user's requests over the run.
                let user = &users[(i * 37) % USERS];
                let (status, body) =
                    tokio::time::timeout(HANG_GUARD, app.get("/read-file", &user.token))
                        .await
                        .expect("a request hung");
                let foreign = status == 200 && body["data"].as_str() != Some(user.data.as_str());
                seen.push((status, error_code(&body).to_owned(), foreign));
            }
        });
    }
    let results: Vec<_> = workers.join_all().await.into_iter().flatten().collect();
    let took = started.elapsed();
    let hwm_after = proc_status_kib("VmHWM").unwrap_or(0);
    let rss_after = proc_status_kib("VmRSS").unwrap_or(0);

    let ok = results.iter().filter(|(s, _, _)| *s == 200).count();
    let foreign = results.iter().filter(|(_, _, f)| *f).count();
    let server_errors: Vec<_> = results.iter().filter(|(s, _, _)| *s >= 500).collect();
    let other: Vec<_> = results
        .iter()
        .filter(|(s, _, _)| *s != 200 && *s < 500)
        .collect();
    println!(
        "load: {} requests, {USERS} users, concurrency {CONCURRENCY}: {ok} ok, {} 5xx, {} other, \
         {foreign} with another user's data; {took:.1?} ({:.0} req/s); setup {setup:.1?}",
        results.len(),
        server_errors.len(),
        other.len(),
        results.len() as f64 / took.as_secs_f64(),
    );
    println!(
        "load: memory VmHWM {} -> {} MiB (peak), VmRSS {} -> {} MiB",
        hwm_before / 1024,
        hwm_after / 1024,
        rss_before / 1024,
        rss_after / 1024
    );
    println!("load: upstream calls {:?}", app.upstream_calls().snapshot());

    assert_eq!(results.len(), REQUESTS);
    assert_eq!(foreign, 0, "responses carrying another user's data");
    assert!(
        server_errors.is_empty(),
        "5xx responses: {:?}",
        &server_errors[..server_errors.len().min(10)]
    );
    assert!(
        other.is_empty(),
        "refusals: {:?}",
        &other[..other.len().min(10)]
    );
    // Bounded: the caches hold 100 users; a leak per request would show in thousands of requests.
    let grown_mib = hwm_after.saturating_sub(hwm_before) / 1024;
    assert!(grown_mib < 256, "peak memory grew by {grown_mib} MiB");
}
