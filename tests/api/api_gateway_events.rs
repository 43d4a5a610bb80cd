//! The handler on the event shapes AWS sends: a REST API (v1) proxy event with a stage and
//! `AWS_IAM` identity, and a function URL / HTTP API (v2) event, parsed by `lambda_http`.

use support::{TestApp, error_code, event, function_url_event, rest_event, stack};

struct Ids {
    admin_token: String,
    admin_identity: String,
    user_identity: String,
}

async fn ids() -> Ids {
    let stack = stack();
    let admin_token = stack.provisioned_token("admin").await;
    let user_token = stack.provisioned_token("user").await;
    Ids {
        admin_identity: stack.identity(&admin_token).await.to_string(),
        user_identity: stack.identity(&user_token).await.to_string(),
        admin_token,
    }
}

#[tokio::test]
async fn a_rest_event_signed_by_the_tokens_own_identity_is_served() {
    let ids = ids().await;
    let request = rest_event(&ids.admin_token, &ids.admin_identity);
    assert_eq!(
        request.uri().path(),
        "/v1/read-file",
        "lambda_http prepends the stage"
    );
    let (status, body) = TestApp::spawn().await.call(request).await;
    assert_eq!(
        (status, body["data"].as_str()),
        (200, Some("admin")),
        "{body}"
    );
}

#[tokio::test]
async fn a_rest_event_signed_by_another_identity_is_403() {
    let ids = ids().await;
    let app = TestApp::spawn().await;
    let (status, body) = app
        .call(rest_event(&ids.admin_token, &ids.user_identity))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "identity_mismatch"),
        "{body}"
    );
}

#[tokio::test]
async fn a_rest_event_with_two_id_tokens_is_400() {
    let ids = ids().await;
    let token = &ids.admin_token;
    let values = format!("\"{token}\", \"{token}\"");
    let request = event(
        "rest-v1-iam.json",
        &[
            ("{{ID_TOKEN_VALUES}}", &values),
            ("{{ID_TOKEN}}", token),
            ("{{COGNITO_IDENTITY_ID}}", &ids.admin_identity),
            ("{{IDENTITY_POOL_ID}}", stack().var("IDENTITY_POOL_ID")),
        ],
    );
    let app = TestApp::spawn().await;
    let (status, body) = app.call(request).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "multiple_tokens"),
        "{body}"
    );
    assert_eq!(app.upstream_calls().total(), 0);
}

#[tokio::test]
async fn a_function_url_event_is_served_and_cross_checked() {
    let ids = ids().await;
    let app = TestApp::spawn().await;
    let (status, body) = app
        .call(function_url_event(
            &ids.admin_token,
            Some(&ids.admin_identity),
        ))
        .await;
    assert_eq!(
        (status, body["data"].as_str()),
        (200, Some("admin")),
        "{body}"
    );
    let (status, body) = app
        .call(function_url_event(
            &ids.admin_token,
            Some(&ids.user_identity),
        ))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "identity_mismatch"),
        "{body}"
    );
    // A function URL without IAM auth names no signer; the token alone decides.
    let (status, body) = app
        .call(function_url_event(&ids.admin_token, Some("")))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_function_url_event_with_joined_duplicate_tokens_is_400() {
    let ids = ids().await;
    let joined = format!("{0},{0}", ids.admin_token);
    let app = TestApp::spawn().await;
    let (status, body) = app
        .call(function_url_event(&joined, Some(&ids.admin_identity)))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "multiple_tokens"),
        "{body}"
    );
}

/// A REST event signed by a plain IAM principal of the account: API Gateway names no
/// identity-pool identity (`cognitoIdentityId` is null).
fn rest_signed_by_an_iam_user(token: &str) -> lambda_http::Request {
    let values = format!("\"{token}\"");
    event(
        "rest-v1-iam.json",
        &[
            ("\"{{COGNITO_IDENTITY_ID}}\"", "null"),
            ("\"{{IDENTITY_POOL_ID}}\"", "null"),
            ("{{ID_TOKEN_VALUES}}", &values),
            ("{{ID_TOKEN}}", token),
        ],
    )
}

#[tokio::test]
async fn with_require_signer_a_request_no_identity_signed_is_403_before_any_call() {
    let ids = ids().await;
    let app = TestApp::spawn_with(&[("REQUIRE_SIGNER", "true")]).await;
    for (what, request) in [
        (
            "REST, IAM user",
            rest_signed_by_an_iam_user(&ids.admin_token),
        ),
        (
            "function URL",
            function_url_event(&ids.admin_token, Some("")),
        ),
    ] {
        let (status, body) = app.call(request).await;
        assert_eq!(
            (status, error_code(&body)),
            (403, "signer_required"),
            "{what}: {body}"
        );
    }
    assert_eq!(app.upstream_calls().total(), 0, "refused before any call");
    // The token's own identity as signer is still served.
    let (status, body) = app
        .call(rest_event(&ids.admin_token, &ids.admin_identity))
        .await;
    assert_eq!(
        (status, body["data"].as_str()),
        (200, Some("admin")),
        "{body}"
    );
}

#[tokio::test]
async fn without_require_signer_the_token_alone_decides_for_an_iam_user_signer() {
    let ids = ids().await;
    let app = TestApp::spawn().await;
    let (status, body) = app.call(rest_signed_by_an_iam_user(&ids.admin_token)).await;
    assert_eq!(
        (status, body["data"].as_str()),
        (200, Some("admin")),
        "{body}"
    );
}
