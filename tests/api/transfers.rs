//! Copy, move and rename against the local stack, through the real handler: new and replaced
//! targets, `If-None-Match: *`, a multipart copy above `MAX_SINGLE_COPY_BYTES`, bad input, and
//! another user's files tried as source or target with the caller's own keys.

use serde_json::json;
use support::curl::curl;
use support::{TestApp, error_code, file_path, request_with_body, stack};

async fn user(label: &str) -> String {
    let stack = stack();
    let user = stack.new_user(label).await;
    stack.token(&user.username, &user.password).await
}

/// The bytes `GET /files/{name}`'s signed URL serves.
async fn content(app: &TestApp, token: &str, name: &str) -> Vec<u8> {
    let (status, got) = app.get(&file_path(name), token).await;
    assert_eq!(status, 200, "{name}: {got}");
    curl(got["data"]["url"].as_str().unwrap(), &[]).1
}

async fn transfer(
    app: &TestApp,
    route: &str,
    token: &str,
    from: &str,
    to: &str,
    headers: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut all = vec![("idToken", token)];
    all.extend_from_slice(headers);
    let body = json!({"from": from, "to": to}).to_string().into_bytes();
    app.call(request_with_body("POST", route, &all, body)).await
}

#[tokio::test]
async fn a_copy_keeps_content_and_type_and_replaces_only_without_if_none_match() {
    let app = TestApp::spawn().await;
    let token = user("copy").await;
    let (status, _) = app
        .put(
            &file_path("a/src.json"),
            &token,
            b"{\"v\":1}",
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = transfer(
        &app,
        "/copies",
        &token,
        "a/src.json",
        "b/été copy.json",
        &[],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (
            body["type"].as_str(),
            body["data"]["name"].as_str(),
            body["data"]["size"].as_u64()
        ),
        (Some("file"), Some("b/été copy.json"), Some(7))
    );
    assert_eq!(content(&app, &token, "b/été copy.json").await, b"{\"v\":1}");
    assert_eq!(
        content(&app, &token, "a/src.json").await,
        b"{\"v\":1}",
        "the source stays"
    );
    let (_, got) = app.get(&file_path("b/été copy.json"), &token).await;
    assert_eq!(got["data"]["contentType"], "application/json");

    app.put(&file_path("a/src.json"), &token, b"two", &[]).await;
    let (status, body) = transfer(
        &app,
        "/copies",
        &token,
        "a/src.json",
        "b/été copy.json",
        &[("if-none-match", "*")],
    )
    .await;
    assert_eq!((status, error_code(&body)), (412, "file_exists"), "{body}");
    assert_eq!(content(&app, &token, "b/été copy.json").await, b"{\"v\":1}");
    let (status, body) = transfer(
        &app,
        "/copies",
        &token,
        "a/src.json",
        "b/été copy.json",
        &[],
    )
    .await;
    assert_eq!(status, 200, "replaced: {body}");
    assert_eq!(content(&app, &token, "b/été copy.json").await, b"two");

    let (status, body) = transfer(&app, "/copies", &token, "nope.txt", "x.txt", &[]).await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "file_not_found"),
        "{body}"
    );
}

#[tokio::test]
async fn a_move_renames_and_a_refused_move_leaves_the_source() {
    let app = TestApp::spawn().await;
    let token = user("move").await;
    app.put(&file_path("old name.txt"), &token, b"hello", &[])
        .await;
    app.put(&file_path("taken.txt"), &token, b"taken", &[])
        .await;

    let (status, body) = transfer(
        &app,
        "/moves",
        &token,
        "old name.txt",
        "taken.txt",
        &[("if-none-match", "*")],
    )
    .await;
    assert_eq!((status, error_code(&body)), (412, "file_exists"), "{body}");
    assert_eq!(
        content(&app, &token, "old name.txt").await,
        b"hello",
        "the source is intact"
    );
    assert_eq!(content(&app, &token, "taken.txt").await, b"taken");

    let (status, body) =
        transfer(&app, "/moves", &token, "old name.txt", "new/name.txt", &[]).await;
    assert_eq!(
        (status, body["data"]["from"].as_str()),
        (201, Some("old name.txt")),
        "{body}"
    );
    assert_eq!(content(&app, &token, "new/name.txt").await, b"hello");
    let (status, body) = app.get(&file_path("old name.txt"), &token).await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "file_not_found"),
        "moved away"
    );
    let (status, body) = transfer(&app, "/moves", &token, "old name.txt", "again.txt", &[]).await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "file_not_found"),
        "{body}"
    );
}

#[tokio::test]
async fn a_copy_above_the_single_copy_limit_goes_in_parts() {
    let app = TestApp::spawn_with(&[("MAX_SINGLE_COPY_BYTES", "5242880")]).await;
    let token = user("copy-parts").await;
    let body: Vec<u8> = (0..(13 << 20)).map(|i: u32| (i % 253) as u8).collect();
    let (s3, folder) = stack().user_s3(&token).await;
    s3.put_object()
        .bucket(stack().var("S3_BUCKET"))
        .key(format!("{folder}big.bin"))
        .content_type("video/mp4")
        .body(body.clone().into())
        .send()
        .await
        .expect("a 13 MiB file");
    let before = app.upstream_calls().snapshot();
    let (status, answer) = transfer(&app, "/moves", &token, "big.bin", "moved/big.bin", &[]).await;
    assert_eq!(status, 201, "{answer}");
    use read_file::metrics::op;
    assert_eq!(
        app.calls_since(&before, op::UPLOAD_PART_COPY),
        3,
        "5 + 5 + 3 MiB"
    );
    assert_eq!(app.calls_since(&before, op::COPY_OBJECT), 0);
    assert_eq!(app.calls_since(&before, op::COMPLETE_UPLOAD), 1);
    assert!(
        content(&app, &token, "moved/big.bin").await == body,
        "byte-identical"
    );
    let (_, got) = app.get(&file_path("moved/big.bin"), &token).await;
    assert_eq!(got["data"]["contentType"], "video/mp4");
    let (status, _) = app.get(&file_path("big.bin"), &token).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_transfers_are_400_before_any_upstream_call() {
    let app = TestApp::spawn().await;
    let token = user("copy-input").await;
    app.put(&file_path("a.txt"), &token, b"a", &[]).await;
    let before = app.upstream_calls().total();
    for route in ["/copies", "/moves"] {
        for (body, code) in [
            (json!({"from": "a.txt", "to": "a.txt"}), "invalid_parameter"),
            (json!({"from": "a.txt"}), "invalid_parameter"),
            (
                json!({"from": "a.txt", "to": "b", "x": 1}),
                "invalid_parameter",
            ),
            (json!({"from": "../a.txt", "to": "b"}), "invalid_file_name"),
            (json!({"from": "a.txt", "to": "b/"}), "invalid_file_name"),
        ] {
            let (status, answer) = app.post(route, &token, &body).await;
            assert_eq!((status, error_code(&answer)), (400, code), "{route} {body}");
        }
        let (status, answer) =
            transfer(&app, route, &token, "a.txt", "b", &[("if-none-match", "x")]).await;
        assert_eq!(
            (status, error_code(&answer)),
            (400, "invalid_parameter"),
            "{answer}"
        );
    }
    assert_eq!(
        app.upstream_calls().total(),
        before,
        "refused before any call"
    );
}

#[tokio::test]
async fn iam_refuses_copies_from_or_into_another_users_folder_with_the_callers_keys() {
    let app = TestApp::spawn().await;
    let alice = user("copy-alice").await;
    let bob = user("copy-bob").await;
    app.put(&file_path("secret.txt"), &bob, b"bob's", &[]).await;
    app.put(&file_path("mine.txt"), &alice, b"alice's", &[])
        .await;
    let (s3, alice_folder) = stack().user_s3(&alice).await;
    let (_, bob_folder) = stack().user_s3(&bob).await;
    let bucket = stack().var("S3_BUCKET");
    let code = |err: &aws_sdk_s3::error::SdkError<_, _>| {
        use aws_sdk_s3::error::ProvideErrorMetadata;
        err.as_service_error()
            .and_then(|e: &aws_sdk_s3::operation::copy_object::CopyObjectError| e.code())
            .map(str::to_owned)
    };
    // Bob's file into Alice's folder: no s3:GetObject on the source.
    let err = s3
        .copy_object()
        .bucket(bucket)
        .key(format!("{alice_folder}stolen.txt"))
        .copy_source(format!(
            "{bucket}/{}secret.txt",
            bob_folder.replace(':', "%3A")
        ))
        .send()
        .await
        .expect_err("copy from Bob");
    assert_eq!(code(&err).as_deref(), Some("AccessDenied"));
    // Alice's file into Bob's folder: no s3:PutObject on the target.
    let err = s3
        .copy_object()
        .bucket(bucket)
        .key(format!("{bob_folder}planted.txt"))
        .copy_source(format!(
            "{bucket}/{}mine.txt",
            alice_folder.replace(':', "%3A")
        ))
        .send()
        .await
        .expect_err("copy into Bob's folder");
    assert_eq!(code(&err).as_deref(), Some("AccessDenied"));
    for (token, name) in [(&alice, "stolen.txt"), (&bob, "planted.txt")] {
        let (status, _) = app.get(&file_path(name), token).await;
        assert_eq!(status, 404, "{name} was not written");
    }
}
