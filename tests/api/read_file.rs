//! `GET /read-file` end to end through the real handler, the real SDK clients and the local stack.

use read_file::metrics::op;
use serde_json::json;
use support::jwt::{id_claims, now};
use support::{TestApp, error_code, get, parts, stack};

#[tokio::test]
async fn admin_reads_admin_and_user_reads_user() {
    let stack = stack();
    let app = TestApp::spawn().await;
    for who in ["admin", "user"] {
        let token = stack.provisioned_token(who).await;
        let response = app.handle(get("/read-file", &[("idToken", &token)])).await;
        let (status, body) = parts(&response);
        assert_eq!(status, 200, "{who}: {body}");
        assert_eq!(
            body,
            json!({"status": "success", "type": "common", "data": who})
        );
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
}

#[tokio::test]
async fn the_header_name_is_case_insensitive() {
    let stack = stack();
    let app = TestApp::spawn().await;
    let token = stack.provisioned_token("user").await;
    for header in ["idtoken", "IDTOKEN", "idToken", "IdToken"] {
        let (status, body) = app.call(get("/read-file", &[(header, &token)])).await;
        assert_eq!(
            (status, body["data"].as_str()),
            (200, Some("user")),
            "{header}: {body}"
        );
    }
}

#[tokio::test]
async fn the_stage_comes_from_the_event_never_from_guessing_at_the_path() {
    // REST events name their resource (`tests/api/api_gateway_events.rs` serves `/v1/read-file`
    // with resource `/read-file`); a plain path is taken as it is.
    let stack = stack();
    let app = TestApp::spawn().await;
    let token = stack.provisioned_token("user").await;
    for path in ["/v1/read-file", "/prod/read-file", "/files/read-file/x/.."] {
        let (status, body) = app.call(get(path, &[("idToken", &token)])).await;
        assert!(
            (status == 404 && error_code(&body) == "not_found")
                || (status == 400 && error_code(&body) == "invalid_file_name"),
            "{path}: {body}"
        );
    }
    let (status, body) = app
        .call(get("/files/read-file", &[("idToken", &token)]))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "file_not_found"),
        "a file named read-file: {body}"
    );
}

#[tokio::test]
async fn an_expired_token_is_401_without_any_upstream_call() {
    let stack = stack();
    let app = TestApp::spawn().await;
    // Warm the key cache first so that only the token's own checks are left to count.
    let good = stack.provisioned_token("admin").await;
    assert_eq!(app.get("/read-file", &good).await.0, 200);
    let before = app.upstream_calls().total();

    let config = stack.config_with(&[]);
    let mut claims = id_claims(&config.issuer(), &config.client_ids[0], "some-sub", "admin");
    claims["exp"] = json!(now() - 60);
    let expired = stack.pool_key().sign(&claims);
    let (status, body) = app.get("/read-file", &expired).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "expired_token"),
        "{body}"
    );
    assert_eq!(
        app.upstream_calls().total(),
        before,
        "a refused token must cost no call"
    );
}

#[tokio::test]
async fn a_user_deleted_after_signing_in_is_401() {
    let stack = stack();
    let user = stack.new_user("deleted").await;
    let token = stack.token(&user.username, &user.password).await;
    stack.delete_user(&user.username).await;
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/read-file", &token).await;
    assert_eq!((status, error_code(&body)), (401, "unknown_user"), "{body}");
}

#[tokio::test]
async fn a_disabled_user_is_403() {
    let stack = stack();
    let user = stack.new_user("disabled").await;
    let token = stack.token(&user.username, &user.password).await;
    stack.disable_user(&user.username).await;
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/read-file", &token).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "user_disabled"),
        "{body}"
    );
    // The refusal is remembered like an approval: a disabled user cannot spend the quota.
    let (status, _) = app.get("/read-file", &token).await;
    assert_eq!(status, 403);
    let calls = app.upstream_calls().snapshot();
    assert_eq!(calls.get(op::USER_CHECK), Some(&1), "{calls:?}");
}

#[tokio::test]
async fn a_user_without_a_data_file_gets_404_not_403() {
    let stack = stack();
    let user = stack.new_user("nofile").await;
    let token = stack.token(&user.username, &user.password).await;
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/read-file", &token).await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "file_not_found"),
        "{body}"
    );
}

#[tokio::test]
async fn a_new_users_file_is_served_with_only_its_first_line() {
    let stack = stack();
    let user = stack.new_user("fresh").await;
    let token = stack.token(&user.username, &user.password).await;
    let identity = stack.identity(&token).await;
    stack
        .put_data(&identity, "first line\r\nsecond line\n")
        .await;
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/read-file", &token).await;
    assert_eq!(
        (status, body["data"].as_str()),
        (200, Some("first line")),
        "{body}"
    );
}

#[tokio::test]
async fn a_warm_request_makes_a_single_upstream_call() {
    let stack = stack();
    let app = TestApp::spawn().await;
    let token = stack.provisioned_token("admin").await;
    assert_eq!(app.get("/read-file", &token).await.0, 200);
    let cold = app.upstream_calls().snapshot();
    for op in [
        op::JWKS,
        op::USER_CHECK,
        op::GET_ID,
        op::EXCHANGE,
        op::GET_OBJECT,
    ] {
        assert_eq!(cold.get(op), Some(&1), "cold path calls: {cold:?}");
    }
    let before = app.upstream_calls().total();
    assert_eq!(app.get("/read-file", &token).await.0, 200);
    assert_eq!(
        app.upstream_calls().total() - before,
        1,
        "{:?}",
        app.upstream_calls().snapshot()
    );
}

#[tokio::test]
async fn with_user_check_ttl_zero_every_request_asks_cognito() {
    let stack = stack();
    let app = TestApp::spawn_with(&[("USER_CHECK_TTL_SECONDS", "0")]).await;
    let user = stack.new_user("ttl0").await;
    let token = stack.token(&user.username, &user.password).await;
    let identity = stack.identity(&token).await;
    stack.put_data(&identity, "mine\n").await;
    assert_eq!(app.get("/read-file", &token).await.0, 200);
    stack.disable_user(&user.username).await;
    let (status, body) = app.get("/read-file", &token).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "user_disabled"),
        "{body}"
    );
}

#[tokio::test]
async fn a_scoped_identity_is_denied_on_another_users_file() {
    // The second isolation layer: even if our code built the wrong key, IAM refuses it.
    use read_file::storage::Buckets;

    let stack = stack();
    let config = stack.config_with(&[]);
    let broker = stack.broker().await;
    let user_token = stack.verified(&stack.provisioned_token("user").await).await;
    let admin_token = stack
        .verified(&stack.provisioned_token("admin").await)
        .await;
    let user_id = broker.identity_id(&user_token).await.unwrap();
    let admin_id = broker.identity_id(&admin_token).await.unwrap();
    assert_ne!(user_id, admin_id);

    let user_creds = broker.credentials(&user_id, &user_token).await.unwrap();
    let sdk = stack.fixture_sdk().await;
    let as_user = Buckets::new(&sdk, &config, None).for_identity(user_id.clone(), user_creds);
    assert_eq!(
        as_user.first_line(&stack.data_key(&user_id)).await.unwrap(),
        "user"
    );
    let denied = as_user
        .first_line(&stack.data_key(&admin_id))
        .await
        .expect_err("IAM must deny another identity's key");
    assert_eq!(denied.code(), "access_denied");
}

#[tokio::test]
async fn a_token_from_a_foreign_client_is_refused_before_cognito() {
    let stack = stack();
    let app = TestApp::spawn_with(&[("USER_POOL_CLIENT_ID", "someotherclient")]).await;
    let token = stack.provisioned_token("admin").await;
    let (status, body) = app.get("/read-file", &token).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "invalid_token"),
        "{body}"
    );
    let calls = app.upstream_calls().snapshot();
    assert_eq!(calls.keys().collect::<Vec<_>>(), [op::JWKS], "{calls:?}");
}

/// A user with a data file, warm in `app` (identity and keys cached, the user check passed).
async fn warm_user(app: &TestApp, label: &str) -> (support::TestUser, String) {
    let stack = stack();
    let user = stack.new_user(label).await;
    let token = stack.token(&user.username, &user.password).await;
    stack
        .put_data(&stack.identity(&token).await, "mine\n")
        .await;
    for _ in 0..2 {
        let (status, body) = app.get("/read-file", &token).await;
        assert_eq!(
            (status, body["data"].as_str()),
            (200, Some("mine")),
            "{body}"
        );
    }
    (user, token)
}

/// Longer than the 1 s `USER_CHECK_TTL_SECONDS` these tests use.
const PAST_THE_TTL: std::time::Duration = std::time::Duration::from_millis(1300);

/// After the check is due, every request is refused with `expected`, the later ones from the
/// remembered verdict alone (no upstream call at all).
async fn every_request_is_refused(app: &TestApp, token: &str, expected: (u16, &str)) {
    let (status, body) = app.get("/read-file", token).await;
    assert_eq!(
        (status, error_code(&body)),
        expected,
        "first request: {body}"
    );
    let before = app.upstream_calls().total();
    for attempt in 2..=6 {
        let (status, body) = app.get("/read-file", token).await;
        assert_eq!(
            (status, error_code(&body)),
            expected,
            "request {attempt} after the check was due: {body}"
        );
    }
    assert_eq!(
        app.upstream_calls().total(),
        before,
        "a remembered refusal costs no call: {:?}",
        app.upstream_calls().snapshot()
    );
}

#[tokio::test]
async fn a_warm_user_disabled_later_is_refused_on_every_request_once_the_check_is_due() {
    let stack = stack();
    let app = TestApp::spawn_with(&[("USER_CHECK_TTL_SECONDS", "1")]).await;
    let (user, token) = warm_user(&app, "revoked-disabled").await;
    stack.disable_user(&user.username).await;
    tokio::time::sleep(PAST_THE_TTL).await;
    every_request_is_refused(&app, &token, (403, "user_disabled")).await;
    // Past the next TTL the check runs again and still refuses.
    tokio::time::sleep(PAST_THE_TTL).await;
    every_request_is_refused(&app, &token, (403, "user_disabled")).await;
}

#[tokio::test]
async fn a_warm_user_deleted_later_is_refused_on_every_request_once_the_check_is_due() {
    let stack = stack();
    let app = TestApp::spawn_with(&[("USER_CHECK_TTL_SECONDS", "1")]).await;
    let (user, token) = warm_user(&app, "revoked-deleted").await;
    stack.delete_user(&user.username).await;
    tokio::time::sleep(PAST_THE_TTL).await;
    every_request_is_refused(&app, &token, (401, "unknown_user")).await;
}

#[tokio::test]
async fn an_old_token_is_refused_after_its_username_is_given_to_a_new_user() {
    let stack = stack();
    let app = TestApp::spawn_with(&[("USER_CHECK_TTL_SECONDS", "1")]).await;
    let (user, old_token) = warm_user(&app, "recreated").await;
    stack.delete_user(&user.username).await;
    let again = stack.create_user(&user.username).await;
    tokio::time::sleep(PAST_THE_TTL).await;
    every_request_is_refused(&app, &old_token, (401, "unknown_user")).await;

    // The new holder of the name is another person: a new identity, without the old file.
    let new_token = stack.token(&again.username, &again.password).await;
    let (status, body) = app.get("/read-file", &new_token).await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "file_not_found"),
        "{body}"
    );
}
