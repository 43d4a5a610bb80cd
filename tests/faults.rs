//! The handler when its upstreams misbehave: the stack stopped mid-run (then back), Cognito
//! throttling, S3 slow beyond the budget, S3 failing, S3 refusing cached keys, Cognito no longer
//! knowing a cached identity. Faults are injected through the local
//! stack's test-only control endpoint (`/moto-ext/faults`), which is global to the stack: the
//! scenarios run one after the other in a single test, and the faults are cleared before,
//! between and after them, also when a scenario panics.
//!
//! A binary of its own, and not a module of `tests/api`: the faults it injects are global to the
//! stack, so every other test running beside it (the `api` binary runs its tests in parallel)
//! would see S3 failing or Cognito throttling. Cargo runs test binaries one after the other, so
//! here nothing else talks to the stack meanwhile.

use lambda_http::{Body, Request, Response};
use read_file::metrics::op;
use serde_json::json;
use std::time::{Duration, Instant};
use support::faults::{FaultGuard, stack_addr};
use support::proxy::Proxy;
use support::{Records, TestApp, error_code, get, parts, rest_event, stack};

/// A liveness guard: no request may hang, whatever the upstream does.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// A user with a data file, and a fresh token.
async fn user_with_file(label: &str) -> String {
    let stack = stack();
    let user = stack.new_user(label).await;
    let token = stack.token(&user.username, &user.password).await;
    stack
        .put_data(&stack.identity(&token).await, &format!("{label}\n"))
        .await;
    token
}

/// `GET /read-file` with `token` through the handler (see [`send`]).
async fn call(app: &TestApp, token: &str) -> (Response<Body>, Duration) {
    send(app, get("/read-file", &[("idToken", token)])).await
}

/// One request through the handler, under the hang guard; returns the response and its time.
async fn send(app: &TestApp, req: Request) -> (Response<Body>, Duration) {
    let started = Instant::now();
    let response = tokio::time::timeout(HANG_GUARD, app.handle(req))
        .await
        .expect("the request hung");
    (response, started.elapsed())
}

fn expect(response: &Response<Body>, status: u16, code: &str, what: &str) {
    let (got, body) = parts(response);
    let got_code = if got == 200 { "ok" } else { error_code(&body) };
    assert_eq!((got, got_code), (status, code), "{what}: {body}");
    if status == 503 {
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("1"),
            "{what}: a 503 tells when to retry"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_degrades_cleanly_and_recovers() {
    let faults = FaultGuard::new();
    stack_stopped_mid_run_then_back().await;
    stack_hung_mid_run_then_back().await;
    cognito_throttling_is_retried_a_bounded_number_of_times(&faults).await;
    faults.clear();
    s3_slower_than_the_budget_is_504(&faults).await;
    faults.clear();
    s3_failing_is_502(&faults).await;
    faults.clear();
    keys_s3_refuses_are_exchanged_once_more(&faults).await;
    faults.clear();
    keys_refused_again_after_the_exchange_are_502(&faults).await;
    a_head_that_always_fails_400_costs_one_new_exchange(&faults).await;
    faults.clear();
    an_identity_cognito_no_longer_knows_is_asked_for_again(&faults).await;
    faults.clear();
    on_the_signer_path_stale_keys_and_a_lost_identity_are_retried_once(&faults).await;
    faults.clear();
    a_move_that_fails_half_way_leaves_the_source(&faults).await;
    faults.clear();
    assembling_and_copying_get_the_requests_budget(&faults).await;
    faults.clear();
    metric_records_name_each_attempts_outcome(&faults).await;
    faults.clear();
}

async fn stack_stopped_mid_run_then_back() {
    let stack = stack();
    let mut proxy = Proxy::start(stack_addr()).await;
    let app = TestApp::spawn_with(&[("AWS_ENDPOINT_URL", &proxy.url())]).await;
    let budget = stack.config_with(&[]).upstream_timeout;
    let warm = user_with_file("outage-warm").await;
    let cold = user_with_file("outage-cold").await;
    expect(&call(&app, &warm).await.0, 200, "ok", "before the outage");

    proxy.stop().await;
    for (token, what) in [
        (&warm, "a known user (S3 only)"),
        (&cold, "a new user (Cognito first)"),
    ] {
        let (response, took) = call(&app, token).await;
        println!("outage, {what}: {} in {took:?}", response.status());
        expect(&response, 503, "upstream_unavailable", what);
        assert!(
            took <= budget,
            "{what}: {took:?} beyond the {budget:?} budget"
        );
    }
    // A sandbox started during the outage cannot even fetch the signing keys.
    let fresh = TestApp::spawn_with(&[("AWS_ENDPOINT_URL", &proxy.url())]).await;
    let (response, took) = call(&fresh, &warm).await;
    println!("outage, a cold sandbox: {} in {took:?}", response.status());
    expect(&response, 503, "upstream_unavailable", "keys unreachable");

    proxy.restart().await;
    expect(
        &call(&app, &warm).await.0,
        200,
        "ok",
        "recovered, known user",
    );
    expect(&call(&app, &cold).await.0, 200, "ok", "recovered, new user");
    // A failed key fetch is retried after a second, not at every request.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    expect(
        &call(&fresh, &warm).await.0,
        200,
        "ok",
        "recovered, cold sandbox",
    );
}

async fn stack_hung_mid_run_then_back() {
    let budget_ms: u64 = 1000;
    let budget = Duration::from_millis(budget_ms);
    let mut proxy = Proxy::start(stack_addr()).await;
    let (url, budget_text) = (proxy.url(), budget_ms.to_string());
    let overrides = [
        ("AWS_ENDPOINT_URL", url.as_str()),
        ("UPSTREAM_TIMEOUT_MS", budget_text.as_str()),
    ];
    let app = TestApp::spawn_with(&overrides).await;
    let warm = user_with_file("hung-warm").await;
    let cold = user_with_file("hung-cold").await;
    expect(&call(&app, &warm).await.0, 200, "ok", "before the hang");

    // Connections are accepted and never answered: only the budget ends the wait.
    proxy.freeze().await;
    let fresh = TestApp::spawn_with(&overrides).await;
    for (app, token, what) in [
        (&app, &warm, "hung, a known user (S3 only)"),
        (&app, &cold, "hung, a new user (Cognito first)"),
        (&fresh, &warm, "hung, a cold sandbox (signing keys)"),
    ] {
        let (response, took) = call(app, token).await;
        println!("{what}: {} in {took:?}", response.status());
        expect(&response, 504, "upstream_timeout", what);
        assert!(
            took <= budget + Duration::from_millis(500),
            "{what}: {took:?} for a {budget:?} budget"
        );
    }

    proxy.restart().await;
    expect(&call(&app, &warm).await.0, 200, "ok", "thawed, known user");
    expect(&call(&app, &cold).await.0, 200, "ok", "thawed, new user");
    // The failed key fetch is retried after a second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    expect(
        &call(&fresh, &warm).await.0,
        200,
        "ok",
        "thawed, cold sandbox",
    );
}

async fn cognito_throttling_is_retried_a_bounded_number_of_times(faults: &FaultGuard) {
    let stack = stack();
    let budget = stack.config_with(&[]).upstream_timeout;
    for (target, op, max_attempts) in [
        ("cognito-identity:GetId", op::GET_ID, 3),
        ("cognito-idp:AdminGetUser", op::USER_CHECK, 3),
        ("cognito-identity:GetId", op::GET_ID, 1),
    ] {
        let app =
            TestApp::spawn_with(&[("UPSTREAM_MAX_ATTEMPTS", &max_attempts.to_string())]).await;
        let token = user_with_file("throttled").await;
        faults.clear();
        faults
            .inject(json!({"target": target, "kind": "throttle"}))
            .await;
        let before = app.upstream_calls().snapshot();
        let (response, took) = call(&app, &token).await;
        let tried = app.calls_since(&before, op);
        println!(
            "{target} throttled, {max_attempts} attempt(s) allowed: {} after {tried} attempts in {took:?}",
            response.status()
        );
        expect(&response, 503, "throttled", target);
        assert_eq!(tried, max_attempts, "{target}: attempts");
        assert!(
            took <= budget,
            "{target}: {took:?} beyond the {budget:?} budget"
        );
        faults.clear();
        expect(
            &call(&app, &token).await.0,
            200,
            "ok",
            "once the throttling stops",
        );
    }
}

async fn s3_slower_than_the_budget_is_504(faults: &FaultGuard) {
    let budget_ms = 1000;
    let app = TestApp::spawn_with(&[("UPSTREAM_TIMEOUT_MS", &budget_ms.to_string())]).await;
    let token = user_with_file("slow").await;
    expect(&call(&app, &token).await.0, 200, "ok", "warm up");

    faults
        .inject(json!({"target": "s3:GetObject", "kind": "delay", "delay_ms": budget_ms / 4, "count": 1}))
        .await;
    expect(
        &call(&app, &token).await.0,
        200,
        "ok",
        "slow but within the budget",
    );

    faults
        .inject(json!({"target": "s3:GetObject", "kind": "delay", "delay_ms": budget_ms * 3}))
        .await;
    let (response, took) = call(&app, &token).await;
    println!(
        "s3 slower than a {budget_ms} ms budget: {} in {took:?}",
        response.status()
    );
    expect(&response, 504, "upstream_timeout", "S3 too slow");
    assert!(
        took < Duration::from_millis(budget_ms * 2),
        "the budget bounds the wait: {took:?}"
    );
    faults.clear();
    expect(&call(&app, &token).await.0, 200, "ok", "S3 fast again");
}

async fn s3_failing_is_502(faults: &FaultGuard) {
    let stack = stack();
    let budget = stack.config_with(&[]).upstream_timeout;
    let app = TestApp::spawn().await;
    let token = user_with_file("s3-500").await;
    expect(&call(&app, &token).await.0, 200, "ok", "warm up");

    for (fault, status, code) in [
        (
            json!({"target": "s3:GetObject", "kind": "error", "status": 500}),
            502,
            "upstream_error",
        ),
        (
            json!({"target": "s3:GetObject", "kind": "throttle"}),
            503,
            "throttled",
        ),
    ] {
        faults.inject(fault.clone()).await;
        let before = app.upstream_calls().snapshot();
        let (response, took) = call(&app, &token).await;
        let tried = app.calls_since(&before, op::GET_OBJECT);
        println!(
            "{fault}: {} after {tried} attempts in {took:?}",
            response.status()
        );
        expect(&response, status, code, &fault.to_string());
        assert_eq!(tried, 3, "{fault}: the default attempts");
        assert!(
            took <= budget,
            "{fault}: {took:?} beyond the {budget:?} budget"
        );
        faults.clear();
        expect(&call(&app, &token).await.0, 200, "ok", "S3 healthy again");
    }
}

/// What S3 answers to keys it no longer accepts (status, code).
const STALE_KEY_ANSWERS: [(u16, &str); 4] = [
    (400, "ExpiredToken"),
    (400, "InvalidToken"),
    (403, "InvalidAccessKeyId"),
    (400, "TokenRefreshRequired"),
];

async fn keys_s3_refuses_are_exchanged_once_more(faults: &FaultGuard) {
    let token = user_with_file("stale-keys").await;
    for (status, code) in STALE_KEY_ANSWERS {
        // An environment of its own per answer: one identity's keys are exchanged again at most
        // once a minute in an environment (see the next scenario).
        let app = TestApp::spawn().await;
        expect(&call(&app, &token).await.0, 200, "ok", "warm up");
        faults
            .inject(
                json!({"target": "s3:GetObject", "kind": "error", "status": status,
                           "code": code, "count": 1}),
            )
            .await;
        let before = app.upstream_calls().snapshot();
        expect(&call(&app, &token).await.0, 200, "ok", code);
        assert_eq!(
            app.calls_since(&before, op::EXCHANGE),
            1,
            "{code}: one new exchange"
        );
        assert_eq!(app.calls_since(&before, op::GET_OBJECT), 2, "{code}");
        // The fresh keys are the ones cached from now on.
        let before = app.upstream_calls().snapshot();
        expect(&call(&app, &token).await.0, 200, "ok", code);
        assert_eq!(
            app.upstream_calls().snapshot().values().sum::<u64>() - before.values().sum::<u64>(),
            1,
            "{code}: warm again"
        );
    }
}

async fn keys_refused_again_after_the_exchange_are_502(faults: &FaultGuard) {
    let app = TestApp::spawn().await;
    let token = user_with_file("stale-keys-twice").await;
    expect(&call(&app, &token).await.0, 200, "ok", "warm up");
    faults
        .inject(
            json!({"target": "s3:GetObject", "kind": "error", "status": 400,
                       "code": "ExpiredToken"}),
        )
        .await;
    let before = app.upstream_calls().snapshot();
    expect(
        &call(&app, &token).await.0,
        502,
        "upstream_error",
        "refused twice",
    );
    assert_eq!(
        app.calls_since(&before, op::EXCHANGE),
        1,
        "exchanged once, not in a loop"
    );
    assert_eq!(app.calls_since(&before, op::GET_OBJECT), 2);
    // Refused again and again: no exchange per request; the quota is the account's.
    let before = app.upstream_calls().snapshot();
    for _ in 0..3 {
        expect(
            &call(&app, &token).await.0,
            502,
            "upstream_error",
            "still refused",
        );
    }
    assert_eq!(
        app.calls_since(&before, op::EXCHANGE),
        0,
        "within the interval"
    );
    assert_eq!(app.calls_since(&before, op::GET_OBJECT), 3);
    faults.clear();
    expect(
        &call(&app, &token).await.0,
        200,
        "ok",
        "S3 accepts the keys again",
    );
}

/// A HEAD that S3 answers with a code-less 400 (what an SSE-C object answers a HEAD without its
/// key) reads as stale keys; it must not cost a GetCredentialsForIdentity per request.
async fn a_head_that_always_fails_400_costs_one_new_exchange(faults: &FaultGuard) {
    let app = TestApp::spawn().await;
    let token = user_with_file("stale-head").await;
    let put = app
        .put(&support::file_path("sse-c.bin"), &token, b"x", &[])
        .await;
    assert_eq!(put.0, 201, "{}", put.1);
    faults
        .inject(json!({"target": "s3:HeadObject", "kind": "error", "status": 400}))
        .await;
    let before = app.upstream_calls().snapshot();
    for _ in 0..4 {
        let (status, body) = app.get(&support::file_path("sse-c.bin"), &token).await;
        assert_eq!(
            (status, error_code(&body)),
            (502, "upstream_error"),
            "{body}"
        );
    }
    assert_eq!(app.calls_since(&before, op::EXCHANGE), 1, "one, not four");
    faults.clear();
}

async fn an_identity_cognito_no_longer_knows_is_asked_for_again(faults: &FaultGuard) {
    let app = TestApp::spawn().await;
    let token = user_with_file("stale-identity").await;
    expect(&call(&app, &token).await.0, 200, "ok", "warm up");
    // The cached keys are refused, and the exchange says the cached IdentityId is gone.
    faults
        .inject(
            json!({"target": "s3:GetObject", "kind": "error", "status": 400,
                       "code": "ExpiredToken", "count": 1}),
        )
        .await;
    faults
        .inject(
            json!({"target": "cognito-identity:GetCredentialsForIdentity", "kind": "error",
                       "status": 400, "code": "ResourceNotFoundException", "count": 1}),
        )
        .await;
    let before = app.upstream_calls().snapshot();
    expect(
        &call(&app, &token).await.0,
        200,
        "ok",
        "identity asked for again",
    );
    assert_eq!(app.calls_since(&before, op::GET_ID), 1);
    assert_eq!(app.calls_since(&before, op::EXCHANGE), 2);
    // When GetId does not help either, the answer is the configuration error it was before (in
    // a fresh environment: this one exchanged the identity's keys again a moment ago).
    let app = TestApp::spawn().await;
    expect(&call(&app, &token).await.0, 200, "ok", "warm up");
    faults
        .inject(
            json!({"target": "s3:GetObject", "kind": "error", "status": 400,
                       "code": "ExpiredToken", "count": 1}),
        )
        .await;
    faults
        .inject(
            json!({"target": "cognito-identity:GetCredentialsForIdentity", "kind": "error",
                       "status": 400, "code": "ResourceNotFoundException"}),
        )
        .await;
    let before = app.upstream_calls().snapshot();
    expect(
        &call(&app, &token).await.0,
        500,
        "internal_error",
        "still unknown",
    );
    assert_eq!(
        app.calls_since(&before, op::GET_ID),
        1,
        "asked once, no loop"
    );
}

async fn on_the_signer_path_stale_keys_and_a_lost_identity_are_retried_once(faults: &FaultGuard) {
    const GET_ID: &str = op::GET_ID;
    const EXCHANGE: &str = op::EXCHANGE;
    let token = user_with_file("signer-stale").await;
    let signer = stack().identity(&token).await.to_string();
    let app = TestApp::spawn().await;
    expect(
        &send(&app, rest_event(&token, &signer)).await.0,
        200,
        "ok",
        "warm up",
    );

    // S3 refuses the cached keys once: one new exchange, still no GetId.
    faults
        .inject(
            json!({"target": "s3:GetObject", "kind": "error", "status": 400,
                       "code": "ExpiredToken", "count": 1}),
        )
        .await;
    let before = app.upstream_calls().snapshot();
    expect(
        &send(&app, rest_event(&token, &signer)).await.0,
        200,
        "ok",
        "stale keys, signer path",
    );
    assert_eq!(app.calls_since(&before, EXCHANGE), 1);
    assert_eq!(app.calls_since(&before, op::GET_OBJECT), 2);
    assert_eq!(app.calls_since(&before, GET_ID), 0);

    // A sandbox new to the user, and Cognito says the signer's identity is gone (once): GetId is
    // asked, its answer cross-checked against the signer, and the exchange made again.
    let cold = TestApp::spawn().await;
    faults
        .inject(
            json!({"target": "cognito-identity:GetCredentialsForIdentity", "kind": "error",
                       "status": 400, "code": "ResourceNotFoundException", "count": 1}),
        )
        .await;
    let before = cold.upstream_calls().snapshot();
    let (response, _) = send(&cold, rest_event(&token, &signer)).await;
    expect(&response, 200, "ok", "lost identity, signer path");
    assert_eq!(cold.calls_since(&before, GET_ID), 1);
    assert_eq!(cold.calls_since(&before, EXCHANGE), 2);
}

/// `POST /moves` is a copy, then the source's removal: S3 failing the copy leaves the source as it
/// was and writes no target; S3 failing the removal answers the error with both names present,
/// and the move repeated finishes it.
async fn a_move_that_fails_half_way_leaves_the_source(faults: &FaultGuard) {
    let app = TestApp::spawn().await;
    let stack = stack();
    let user = stack.new_user("move-fault").await;
    let token = stack.token(&user.username, &user.password).await;
    let put = app
        .put(&support::file_path("src.txt"), &token, b"keep me", &[])
        .await;
    assert_eq!(put.0, 201, "{}", put.1);
    let exists = |name: &'static str| {
        let (app, token) = (&app, &token);
        async move { app.get(&support::file_path(name), token).await.0 == 200 }
    };
    let body = json!({"from": "src.txt", "to": "dst.txt"})
        .to_string()
        .into_bytes();
    let moving = || {
        support::request_with_body(
            "POST",
            "/moves",
            &[("idToken", token.as_str())],
            body.clone(),
        )
    };

    faults
        .inject(json!({"target": "s3:CopyObject", "kind": "error", "status": 500}))
        .await;
    expect(
        &send(&app, moving()).await.0,
        502,
        "upstream_error",
        "copy fails",
    );
    faults.clear();
    assert!(exists("src.txt").await, "the source is intact");
    assert!(!exists("dst.txt").await, "no target was written");

    faults
        .inject(json!({"target": "s3:DeleteObject", "kind": "error", "status": 500}))
        .await;
    expect(
        &send(&app, moving()).await.0,
        502,
        "upstream_error",
        "removal fails",
    );
    faults.clear();
    assert!(
        exists("src.txt").await && exists("dst.txt").await,
        "both names are there"
    );

    let (response, _) = send(&app, moving()).await;
    assert_eq!(
        response.status(),
        200,
        "the move repeated replaces the copy and finishes"
    );
    assert!(!exists("src.txt").await && exists("dst.txt").await);
}

/// S3 assembles an upload (CompleteMultipartUpload) and copies data (CopyObject) in the call
/// itself, which takes the time the data takes: those calls get the whole request's budget, not
/// one round trip's. With UPSTREAM_TIMEOUT_MS 500 and REQUEST_TIMEOUT_MS 4000, a completion and a
/// copy that S3 answers after 1.5 s succeed; one answered after 6 s is the request's 504.
async fn assembling_and_copying_get_the_requests_budget(faults: &FaultGuard) {
    let app = TestApp::spawn_with(&[
        ("UPSTREAM_TIMEOUT_MS", "500"),
        ("REQUEST_TIMEOUT_MS", "4000"),
    ])
    .await;
    let stack = stack();
    let user = stack.new_user("slow-assembly").await;
    let token = stack.token(&user.username, &user.password).await;
    let body = json!({"name": "slow.bin", "size": 5, "contentType": "text/plain"});
    let (status, created) = app.post("/uploads", &token, &body).await;
    assert_eq!(status, 201, "{created}");
    let upload = created["data"]["upload"].as_str().unwrap().to_owned();
    let (status, urls) = app
        .post(
            &format!("/uploads/{upload}/parts"),
            &token,
            &json!({"parts": [1]}),
        )
        .await;
    assert_eq!(status, 200, "{urls}");
    let (put, etag, reply) = support::curl::put(
        urls["data"]["urls"][0]["url"].as_str().unwrap(),
        &[],
        b"hello",
    );
    assert_eq!(put, 200, "{reply}");
    let completion = json!({"parts": [{"part": 1, "etag": etag.unwrap()}]});

    faults
        .inject(json!({"target": "s3:CompleteMultipartUpload", "kind": "delay", "delay_ms": 1500, "count": 1}))
        .await;
    let (status, done) = app
        .post(&format!("/uploads/{upload}/complete"), &token, &completion)
        .await;
    assert_eq!(
        status, 201,
        "a slow assembly within the request's budget: {done}"
    );

    let copy = json!({"from": "slow.bin", "to": "copy.bin"});
    faults
        .inject(json!({"target": "s3:CopyObject", "kind": "delay", "delay_ms": 1500, "count": 1}))
        .await;
    let (status, copied) = app.post("/copies", &token, &copy).await;
    assert_eq!(
        status, 201,
        "a slow copy within the request's budget: {copied}"
    );

    faults
        .inject(json!({"target": "s3:CopyObject", "kind": "delay", "delay_ms": 6000}))
        .await;
    let (response, took) = send(
        &app,
        support::request_with_body(
            "POST",
            "/copies",
            &[("idToken", token.as_str())],
            copy.to_string().into_bytes(),
        ),
    )
    .await;
    expect(
        &response,
        504,
        "upstream_timeout",
        "a copy beyond the request's budget",
    );
    assert!(
        took < Duration::from_millis(5500),
        "the request's budget bounds it: {took:?}"
    );
}

/// The metric records (EMF) and trace subsegments of a request whose upstreams misbehave: per
/// API, each attempt's outcome, and the attempts equal to what the stack itself counted (nothing
/// else talks to the stack here).
async fn metric_records_name_each_attempts_outcome(faults: &FaultGuard) {
    let stack = stack();
    let records = Records::default();
    let app = TestApp::spawn_recording(&[("UPSTREAM_TIMEOUT_MS", "1000")], false, &records).await;
    let token = user_with_file("metrics-outcomes").await;
    faults.clear();
    // GetId throttled once and AdminGetUser failing once (both retried), S3 beyond the budget.
    for fault in [
        json!({"target": "cognito-identity:GetId", "kind": "throttle", "count": 1}),
        json!({"target": "cognito-idp:AdminGetUser", "kind": "error", "status": 500, "count": 1}),
        json!({"target": "s3:GetObject", "kind": "delay", "delay_ms": 3000}),
    ] {
        faults.inject(fault).await;
    }
    stack
        .reset_calls()
        .await
        .expect("the stack's counter reset");
    let (response, _) = call(&app, &token).await;
    expect(&response, 504, "upstream_timeout", "S3 beyond the budget");
    let counted = stack.calls().await.expect("the stack's call counts");

    let lines = records.take();
    let request = &lines[0];
    assert_eq!(request["Code"], "upstream_timeout", "{request}");
    assert_eq!(request["Status5xx"], 1, "{request}");
    assert_eq!(request["VerdictMiss"], 1, "{request}");
    let apis: std::collections::BTreeMap<&str, &serde_json::Value> = lines[1..]
        .iter()
        .map(|r| (r["Api"].as_str().expect("an API record"), r))
        .collect();
    let outcomes = |api: &str| {
        let r = apis
            .get(api)
            .unwrap_or_else(|| panic!("no record for {api}: {lines:?}"));
        ["Calls", "Throttled", "Errors", "Timeouts"].map(|m| r[m].as_u64().expect(m))
    };
    assert_eq!(
        outcomes(op::GET_ID),
        [2, 1, 0, 0],
        "GetId: throttled, then ok"
    );
    assert_eq!(
        outcomes(op::USER_CHECK),
        [2, 0, 1, 0],
        "AdminGetUser: failed, then ok"
    );
    assert_eq!(outcomes(op::EXCHANGE), [1, 0, 0, 0]);
    assert_eq!(
        outcomes(op::GET_OBJECT),
        [1, 0, 0, 1],
        "GetObject: no answer in time"
    );
    // Every attempt the records name, the stack received (the JWKS is `cognito-idp:JWKS` there).
    for (api, record) in &apis {
        let name = if *api == op::JWKS {
            "cognito-idp:JWKS"
        } else {
            api
        };
        assert_eq!(
            record["Calls"].as_u64(),
            counted.get(name).copied(),
            "{api}: records against the stack's counter {counted:?}"
        );
    }
    let recorded: u64 = apis.values().map(|r| r["Calls"].as_u64().unwrap()).sum();
    assert_eq!(recorded, counted.values().sum::<u64>(), "{counted:?}");
    // The same outcomes in the request's X-Ray subsegments (a sampled trace), one per attempt.
    let datagrams = records.take_datagrams(recorded as usize);
    assert_eq!(datagrams.len() as u64, recorded);
    let flagged = |flag: &str| datagrams.iter().filter(|d| d.contains(flag)).count();
    assert_eq!(flagged("\"throttle\":true"), 1, "{datagrams:?}");
    assert_eq!(flagged("\"fault\":true"), 2, "{datagrams:?}");
    assert_eq!(flagged("\"outcome\":\"timeout\""), 1, "{datagrams:?}");
    println!("metric records under faults: {lines:?}");
}
