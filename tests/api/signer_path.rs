//! The signer path: when API Gateway names the identity that signed the request (`AWS_IAM`), the
//! handler takes it as the identity and skips GetId; GetCredentialsForIdentity, which refuses a
//! token of another identity, is the cross-check. Events without a signer keep GetId.
//! Through the real handler, with REST (v1) and function URL (v2) events, against the local stack.
//! Its retries under injected faults are in `tests/faults.rs` (faults are global to the stack).

use read_file::metrics::op::{EXCHANGE, GET_ID, GET_OBJECT, USER_CHECK};
use support::{TestApp, error_code, function_url_event, rest_event, stack};

/// A fresh user, its token, its IdentityId and the line its data file holds.
struct Signed {
    token: String,
    identity: String,
    line: String,
}

async fn signed_user(label: &str) -> Signed {
    let stack = stack();
    let user = stack.new_user(label).await;
    let token = stack.token(&user.username, &user.password).await;
    let identity = stack.identity(&token).await;
    let line = format!("{} {identity}", user.username);
    stack.put_data(&identity, &format!("{line}\n")).await;
    Signed {
        token,
        identity: identity.to_string(),
        line,
    }
}

#[tokio::test]
async fn a_cold_rest_request_with_a_signer_asks_no_get_id() {
    let alice = signed_user("signer-cold").await;
    let app = TestApp::spawn().await;
    let (status, body) = app.call(rest_event(&alice.token, &alice.identity)).await;
    assert_eq!(
        (status, body["data"].as_str()),
        (200, Some(alice.line.as_str())),
        "{body}"
    );
    let calls = app.upstream_calls().snapshot();
    assert_eq!(app.calls_of(GET_ID), 0, "{calls:?}");
    for op in [EXCHANGE, USER_CHECK, GET_OBJECT] {
        assert_eq!(app.calls_of(op), 1, "{op}: {calls:?}");
    }

    // Warm: the file alone.
    let before = app.upstream_calls().snapshot();
    let (status, body) = app.call(rest_event(&alice.token, &alice.identity)).await;
    assert_eq!(status, 200, "{body}");
    let after = app.upstream_calls().snapshot();
    assert_eq!(
        app.upstream_calls().total() - before.values().sum::<u64>(),
        1,
        "{after:?}"
    );
    assert_eq!(app.calls_since(&before, GET_OBJECT), 1);
}

#[tokio::test]
async fn a_cold_rest_request_signed_by_another_identity_is_403_on_cognitos_refusal() {
    let (alice, bob) = (signed_user("signer-a").await, signed_user("signer-b").await);
    let app = TestApp::spawn().await;
    let (status, body) = app.call(rest_event(&alice.token, &bob.identity)).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "identity_mismatch"),
        "{body}"
    );
    let calls = app.upstream_calls().snapshot();
    assert_eq!(app.calls_of(GET_ID), 0, "{calls:?}");
    assert_eq!(app.calls_of(EXCHANGE), 1, "Cognito refused: {calls:?}");
    assert_eq!(app.calls_of(GET_OBJECT), 0, "{calls:?}");

    // The refusal is not remembered against either user: each is served with its own signer.
    for user in [&alice, &bob] {
        let (status, body) = app.call(rest_event(&user.token, &user.identity)).await;
        assert_eq!(
            (status, body["data"].as_str()),
            (200, Some(user.line.as_str())),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_token_new_to_the_sandbox_never_gets_the_signers_cached_keys() {
    // Bob is warm: his identity's keys are cached. Alice's token, new here, signed as Bob, must
    // still be put to Cognito, not served from Bob's cached client.
    let (alice, bob) = (signed_user("signer-a").await, signed_user("signer-b").await);
    let app = TestApp::spawn().await;
    let (status, body) = app.call(rest_event(&bob.token, &bob.identity)).await;
    assert_eq!(status, 200, "{body}");

    let before = app.upstream_calls().snapshot();
    let (status, body) = app.call(rest_event(&alice.token, &bob.identity)).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "identity_mismatch"),
        "{body}"
    );
    let after = app.upstream_calls().snapshot();
    assert_eq!(
        app.calls_since(&before, EXCHANGE),
        1,
        "asked Cognito: {after:?}"
    );
    assert_eq!(
        app.calls_since(&before, GET_OBJECT),
        0,
        "Bob's file untouched: {after:?}"
    );
}

#[tokio::test]
async fn a_warm_rest_request_signed_by_another_identity_is_put_to_cognito_once_then_refused_from_memory()
 {
    let (alice, bob) = (signed_user("signer-a").await, signed_user("signer-b").await);
    let app = TestApp::spawn().await;
    let (status, body) = app.call(rest_event(&alice.token, &alice.identity)).await;
    assert_eq!(status, 200, "{body}");

    // Alice's token, signed with Bob's keys: the cached mapping is not the answer (an identity
    // can be deleted and its user given a new one); Cognito is, and it refuses the pair.
    for round in 0..3 {
        let before = app.upstream_calls().snapshot();
        let (status, body) = app.call(rest_event(&alice.token, &bob.identity)).await;
        assert_eq!(
            (status, error_code(&body)),
            (403, "identity_mismatch"),
            "{body}"
        );
        let calls = app.upstream_calls().snapshot();
        let exchanges = app.calls_since(&before, EXCHANGE);
        assert_eq!(exchanges, u64::from(round == 0), "round {round}: {calls:?}");
        assert_eq!(app.calls_since(&before, GET_OBJECT), 0, "{calls:?}");
    }
    // Alice's own requests are untouched by the refusal.
    let (status, body) = app.call(rest_event(&alice.token, &alice.identity)).await;
    assert_eq!(
        (status, body["data"].as_str()),
        (200, Some(alice.line.as_str()))
    );
}

#[tokio::test]
async fn a_user_whose_identity_was_deleted_is_served_under_the_new_one_cognito_accepts() {
    let stack = stack();
    let user = stack.new_user("signer-renewed").await;
    let token = stack.token(&user.username, &user.password).await;
    let old = stack.identity(&token).await;
    stack.put_data(&old, "old identity\n").await;
    let app = TestApp::spawn().await;
    let (status, body) = app.call(rest_event(&token, old.as_str())).await;
    assert_eq!((status, body["data"].as_str()), (200, Some("old identity")));

    // An operator deletes the identity; the user's next sign-in gets a new one, signs with its keys.
    stack.delete_identity(&old).await;
    let new = stack.identity(&token).await;
    assert_ne!(new, old);
    stack.put_data(&new, "new identity\n").await;
    let before = app.upstream_calls().snapshot();
    let (status, body) = app.call(rest_event(&token, new.as_str())).await;
    assert_eq!(
        (status, body["data"].as_str()),
        (200, Some("new identity")),
        "{body}"
    );
    assert_eq!(app.calls_since(&before, EXCHANGE), 1);
    assert_eq!(app.calls_since(&before, GET_ID), 0);

    // The mapping was replaced: warm again, and the old identity is now the stranger.
    let before = app.upstream_calls().snapshot();
    let (status, _) = app.call(rest_event(&token, new.as_str())).await;
    assert_eq!(
        (
            status,
            app.upstream_calls().total() - before.values().sum::<u64>()
        ),
        (200, 1)
    );
    // Signed with the deleted identity's keys (still valid for up to an hour): Cognito no longer
    // knows it; refused, and then from memory.
    for round in 0..2 {
        let before = app.upstream_calls().snapshot();
        let (status, body) = app.call(rest_event(&token, old.as_str())).await;
        assert_eq!(
            (status, error_code(&body)),
            (403, "identity_mismatch"),
            "{body}"
        );
        let calls = app.upstream_calls().total() - before.values().sum::<u64>();
        assert_eq!(calls, if round == 0 { 2 } else { 0 }, "round {round}");
    }
}

#[tokio::test]
async fn a_signer_of_another_identity_pool_is_refused_without_a_call() {
    let alice = signed_user("signer-pool").await;
    let app = TestApp::spawn().await;
    let event = rest_event(&alice.token, &alice.identity);
    let other_pool = support::event(
        "rest-v1-iam.json",
        &[
            ("{{ID_TOKEN_VALUES}}", &format!("\"{}\"", alice.token)),
            ("{{ID_TOKEN}}", &alice.token),
            ("{{COGNITO_IDENTITY_ID}}", &alice.identity),
            (
                "{{IDENTITY_POOL_ID}}",
                "us-east-1:00000000-0000-4000-8000-000000000000",
            ),
        ],
    );
    let (status, body) = app.call(other_pool).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "identity_mismatch"),
        "{body}"
    );
    assert_eq!(
        app.upstream_calls().total(),
        0,
        "{:?}",
        app.upstream_calls().snapshot()
    );
    // The same request from this function's own pool passes.
    let (status, _) = app.call(event).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_signer_that_is_not_an_identity_id_is_403_before_any_call() {
    let alice = signed_user("signer-bad").await;
    let app = TestApp::spawn().await;
    let (status, body) = app.call(rest_event(&alice.token, "us-east-1:../x")).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "identity_mismatch"),
        "{body}"
    );
    assert_eq!(app.upstream_calls().total(), 0);
}

#[tokio::test]
async fn a_disabled_user_signing_as_itself_gets_no_file_on_the_signer_path() {
    // The user check runs alongside the exchange and the read; the file is released only if it
    // passes.
    let user = stack().new_user("signer-disabled").await;
    let token = stack().token(&user.username, &user.password).await;
    let identity = stack().identity(&token).await;
    stack().put_data(&identity, "secret\n").await;
    stack().disable_user(&user.username).await;
    let app = TestApp::spawn().await;
    let (status, body) = app.call(rest_event(&token, identity.as_str())).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "user_disabled"),
        "{body}"
    );
    assert_eq!(body["data"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_function_url_event_without_a_signer_keeps_get_id() {
    let alice = signed_user("signer-none").await;
    let app = TestApp::spawn().await;
    let (status, body) = app.call(function_url_event(&alice.token, None)).await;
    assert_eq!(
        (status, body["data"].as_str()),
        (200, Some(alice.line.as_str())),
        "{body}"
    );
    let calls = app.upstream_calls().snapshot();
    for op in [GET_ID, EXCHANGE, USER_CHECK, GET_OBJECT] {
        assert_eq!(app.calls_of(op), 1, "{op}: {calls:?}");
    }
}
