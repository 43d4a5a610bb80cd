//! The HTTP contract that needs no AWS at all: routing, methods, the header rules and the
//! error body. The app points at a closed port: any upstream call would fail the test.

/// Request headers, expected status, expected error code.
type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);

use read_file::startup::sdk_loader;
use read_file::{App, Config};
use support::{TestApp, error_code, get, parts, request};

async fn offline_app() -> TestApp {
    offline_app_at("http://127.0.0.1:9", &[]).await
}

/// An app whose every upstream is `endpoint`, with extra settings.
async fn offline_app_at(endpoint: &str, extra: &[(&str, &str)]) -> TestApp {
    let base = [
        ("AWS_REGION", "eu-west-1"),
        ("ACCOUNT_ID", "123456789012"),
        ("USER_POOL_ID", "eu-west-1_AbC123"),
        ("USER_POOL_CLIENT_ID", "client1"),
        (
            "IDENTITY_POOL_ID",
            "eu-west-1:0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
        ),
        ("S3_BUCKET", "bucket"),
        ("AWS_ENDPOINT_URL", endpoint),
        ("ALLOWED_ORIGIN", "https://app.example.com"),
    ];
    let config = Config::from_lookup(|k| {
        extra
            .iter()
            .chain(base.iter())
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    let creds = aws_credential_types::Credentials::new("AKIDEXAMPLE", "secret", None, None, "t");
    let sdk = sdk_loader(&config).credentials_provider(creds).load().await;
    TestApp::from_app(App::new(config, sdk))
}

#[tokio::test]
async fn a_missing_header_is_401_missing_token() {
    let app = offline_app().await;
    let response = app.handle(get("/read-file", &[])).await;
    let (status, body) = parts(&response);
    assert_eq!(status, 401);
    assert_eq!(body["status"], "error");
    assert_eq!(error_code(&body), "missing_token");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(app.upstream_calls().total(), 0);
}

#[tokio::test]
async fn header_rules_are_enforced_before_anything_else() {
    let app = offline_app().await;
    let huge = "a".repeat(16 * 1024 + 1);
    let cases: [Case; 5] = [
        (&[("idToken", "")], 401, "missing_token"),
        (
            &[("idToken", "a.b.c"), ("IDTOKEN", "a.b.c")],
            400,
            "multiple_tokens",
        ),
        (&[("idToken", "a.b.c,a.b.c")], 400, "multiple_tokens"),
        (&[("idToken", huge.as_str())], 431, "token_too_large"),
        (&[("idToken", "not a jwt")], 401, "invalid_token"),
    ];
    for (headers, status, code) in cases {
        let (got, body) = app.call(get("/read-file", headers)).await;
        assert_eq!((got, error_code(&body)), (status, code), "{body}");
    }
    let mut non_ascii = get("/read-file", &[]);
    non_ascii.headers_mut().insert(
        "idtoken",
        lambda_http::http::HeaderValue::from_bytes(b"eyJ\xc3\xa9.e30.sig").unwrap(),
    );
    let (status, body) = app.call(non_ascii).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "invalid_token"),
        "{body}"
    );
    assert_eq!(app.upstream_calls().total(), 0);
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405_with_allow() {
    let app = offline_app().await;
    for path in [
        "/",
        "/read-files",
        "/v1/other",
        "/a/b/read-file",
        "/v1/read-file",
    ] {
        let (status, body) = app.call(get(path, &[])).await;
        assert_eq!((status, error_code(&body)), (404, "not_found"), "{path}");
    }
    for (path, methods, allow) in [
        (
            "/read-file",
            &["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"][..],
            "GET",
        ),
        ("/files", &["POST", "PUT", "PATCH"][..], "GET, DELETE"),
        (
            "/files/a.txt",
            &["POST", "PATCH", "HEAD", "OPTIONS"][..],
            "GET, PUT, DELETE",
        ),
        ("/upload-urls", &["GET", "PUT", "DELETE"][..], "POST"),
    ] {
        for method in methods {
            let response = app.handle(request(method, path, &[])).await;
            let (status, body) = parts(&response);
            assert_eq!(
                (status, error_code(&body)),
                (405, "method_not_allowed"),
                "{method} {path}"
            );
            assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        }
    }
}

#[tokio::test]
async fn an_unreachable_key_source_is_503_with_retry_after() {
    let app = offline_app().await;
    let token = support::jwt::TestKey::generate("k1").sign(&support::jwt::id_claims(
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        "client1",
        "s",
        "u",
    ));
    let response = app.handle(get("/read-file", &[("idToken", &token)])).await;
    let (status, body) = parts(&response);
    assert_eq!(
        (status, error_code(&body)),
        (503, "upstream_unavailable"),
        "{body}"
    );
    assert_eq!(response.headers()["retry-after"], "1");
}

#[tokio::test]
async fn a_request_that_runs_out_of_time_is_a_json_504() {
    // An upstream that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let app = offline_app_at(
        &endpoint,
        &[
            ("REQUEST_TIMEOUT_MS", "300"),
            ("UPSTREAM_TIMEOUT_MS", "30000"),
        ],
    )
    .await;
    let token = support::jwt::TestKey::generate("k1").sign(&support::jwt::id_claims(
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        "client1",
        "s",
        "u",
    ));
    let response = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        app.handle(get("/read-file", &[("idToken", &token)])),
    )
    .await
    .expect("the request deadline must end the request");
    let (status, body) = parts(&response);
    assert_eq!(
        (status, error_code(&body)),
        (504, "upstream_timeout"),
        "{body}"
    );
    hold.abort();
}
