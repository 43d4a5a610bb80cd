//! Resumable multipart uploads against the local stack, through the real handler, with the parts
//! sent by `curl` to the URLs the API signed: a pause and a resume, completion (new, replaced,
//! refused), abort, the listing of unfinished uploads, bad input, and another user's handle tried
//! through the API and, bypassing it, with the caller's own keys.

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde_json::{Value, json};
use support::curl::{curl, put};
use support::{TestApp, error_code, file_path, request_with_body, stack};

const MIB: usize = 1 << 20;

async fn user(label: &str) -> String {
    let stack = stack();
    let user = stack.new_user(label).await;
    stack.token(&user.username, &user.password).await
}

fn body_of_size(size: usize, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(u32::from(seed)) as u8)
        .collect()
}

/// `POST /uploads` answered 201: its data.
async fn begin(app: &TestApp, token: &str, name: &str, size: usize, content_type: &str) -> Value {
    let (status, body) = app
        .post(
            "/uploads",
            token,
            &json!({"name": name, "size": size, "contentType": content_type}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["type"], "upload");
    body["data"].clone()
}

/// The signed URLs of `parts`: (part, url, headers).
async fn urls(
    app: &TestApp,
    token: &str,
    upload: &str,
    parts: &[u32],
) -> Vec<(u32, String, Vec<(String, String)>)> {
    let (status, body) = app
        .post(
            &format!("/uploads/{upload}/parts"),
            token,
            &json!({ "parts": parts }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "upload-parts");
    body["data"]["urls"]
        .as_array()
        .expect("urls")
        .iter()
        .map(|u| {
            let headers = u["headers"]
                .as_object()
                .expect("headers")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            (
                u["part"].as_u64().unwrap() as u32,
                u["url"].as_str().unwrap().to_owned(),
                headers,
            )
        })
        .collect()
}

/// Sends `parts` of `file` (parts of `part_size`) to their signed URLs: (part, ETag).
async fn send(
    app: &TestApp,
    token: &str,
    upload: &str,
    file: &[u8],
    part_size: usize,
    parts: &[u32],
) -> Vec<(u32, String)> {
    let mut etags = Vec::new();
    for (part, url, headers) in urls(app, token, upload, parts).await {
        let start = (part as usize - 1) * part_size;
        let chunk = &file[start..(start + part_size).min(file.len())];
        let (status, etag, reply) = put(&url, &headers, chunk);
        assert_eq!(status, 200, "part {part}: {reply}");
        etags.push((part, etag.expect("an ETag")));
    }
    etags
}

fn completion(etags: &[(u32, String)]) -> Value {
    json!({ "parts": etags.iter().map(|(p, e)| json!({"part": p, "etag": e})).collect::<Vec<_>>() })
}

/// The handles `GET /uploads` lists.
async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    let (status, body) = app.get("/uploads", token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "uploads");
    body["data"]["uploads"]
        .as_array()
        .expect("uploads")
        .iter()
        .map(|u| u["upload"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_file_goes_up_in_parts_pauses_resumes_after_a_reload_and_completes() {
    let app = TestApp::spawn().await;
    let token = user("mpu-roundtrip").await;
    let file = body_of_size(17 * MIB + 123, 1);
    let data = begin(&app, &token, "videos/été.mp4", file.len(), "video/mp4").await;
    assert_eq!(
        (data["partSize"].as_u64(), data["partCount"].as_u64()),
        (Some(8 * MIB as u64), Some(3)),
        "{data}"
    );
    assert_eq!(data["name"], "videos/été.mp4");
    let upload = data["upload"].as_str().unwrap().to_owned();
    let part_size = 8 * MIB;

    // Signing URLs costs no S3 call.
    let before = app.upstream_calls().snapshot();
    let first = send(&app, &token, &upload, &file, part_size, &[1]).await;
    let s3_calls: u64 = app
        .upstream_calls()
        .snapshot()
        .iter()
        .filter(|(op, _)| op.starts_with("s3:"))
        .map(|(op, n)| n - before.get(op).copied().unwrap_or(0))
        .sum();
    assert_eq!(
        s3_calls,
        0,
        "signing part URLs calls nothing: {:?}",
        app.upstream_calls().snapshot()
    );

    // A reload: the page finds its upload and what S3 received.
    assert_eq!(listed(&app, &token).await, [upload.as_str()]);
    let (status, body) = app.get("/uploads", &token).await;
    let entry = &body["data"]["uploads"][0];
    assert_eq!(
        (
            entry["name"].as_str(),
            entry["size"].as_u64(),
            entry["contentType"].as_str()
        ),
        (
            Some("videos/été.mp4"),
            Some(file.len() as u64),
            Some("video/mp4")
        ),
        "{status} {body}"
    );
    assert!(
        entry["initiated"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z'))
    );
    let (status, got) = app.get(&format!("/uploads/{upload}"), &token).await;
    assert_eq!(status, 200, "{got}");
    let parts = got["data"]["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 1, "{got}");
    assert_eq!(parts[0]["part"], 1);
    assert_eq!(parts[0]["size"], part_size);
    assert_eq!(parts[0]["etag"].as_str(), Some(first[0].1.as_str()));

    // A part of the wrong size is refused by S3: its size is signed.
    // (Sent with its true length, as a browser sends a body: the signed one is not sent.)
    let (_, url, headers) = urls(&app, &token, &upload, &[2]).await.remove(0);
    assert_eq!(
        headers,
        [("content-length".to_owned(), part_size.to_string())]
    );
    let (status, _, reply) = put(&url, &[], &file[part_size..part_size + 10]);
    assert_eq!(status, 403, "{reply}");
    assert!(reply.contains("SignatureDoesNotMatch"), "{reply}");

    let mut etags = first;
    etags.extend(send(&app, &token, &upload, &file, part_size, &[2, 3]).await);
    let (status, done) = app
        .post(
            &format!("/uploads/{upload}/complete"),
            &token,
            &completion(&etags),
        )
        .await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(done["type"], "file");
    assert_eq!(done["data"]["size"], file.len());

    let (status, got) = app.get(&file_path("videos/été.mp4"), &token).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["data"]["contentType"], "video/mp4");
    assert_eq!(got["data"]["size"], file.len());
    assert!(
        curl(got["data"]["url"].as_str().unwrap(), &[]).1 == file,
        "the download is byte-identical"
    );
    assert!(
        listed(&app, &token).await.is_empty(),
        "a completed upload is no longer listed"
    );
    let (status, body) = app.get(&format!("/uploads/{upload}"), &token).await;
    assert_eq!((status, error_code(&body)), (404, "upload_not_found"));
}

#[tokio::test]
async fn completing_replaces_with_200_refuses_with_412_and_checks_the_parts() {
    let app = TestApp::spawn().await;
    let token = user("mpu-replace").await;
    assert_eq!(
        app.put(&file_path("r.bin"), &token, b"old", &[]).await.0,
        201
    );
    let file = body_of_size(3000, 2);

    // Replacing is refused with If-None-Match: *, and the upload stays resumable.
    let data = begin(
        &app,
        &token,
        "r.bin",
        file.len(),
        "application/octet-stream",
    )
    .await;
    let upload = data["upload"].as_str().unwrap().to_owned();
    let etags = send(&app, &token, &upload, &file, 8 * MIB, &[1]).await;
    let request = request_with_body(
        "POST",
        &format!("/uploads/{upload}/complete"),
        &[("idToken", token.as_str()), ("if-none-match", "*")],
        completion(&etags).to_string().into_bytes(),
    );
    let (status, body) = app.call(request).await;
    assert_eq!((status, error_code(&body)), (412, "file_exists"), "{body}");
    assert_eq!(listed(&app, &token).await, [upload.as_str()]);

    // Every part must be named, with the ETag S3 gave it.
    for parts in [
        json!({"parts": []}),
        json!({"parts": [{"part": 2, "etag": "\"x\""}]}),
    ] {
        let (status, body) = app
            .post(&format!("/uploads/{upload}/complete"), &token, &parts)
            .await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "invalid_parameter"),
            "{body}"
        );
    }
    let wrong = completion(&[(1, "\"0123456789abcdef0123456789abcdef\"".to_owned())]);
    let (status, body) = app
        .post(&format!("/uploads/{upload}/complete"), &token, &wrong)
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_parts"),
        "{body}"
    );

    let (status, body) = app
        .post(
            &format!("/uploads/{upload}/complete"),
            &token,
            &completion(&etags),
        )
        .await;
    assert_eq!(status, 200, "replaced: {body}");
    let (_, got) = app.get(&file_path("r.bin"), &token).await;
    assert!(curl(got["data"]["url"].as_str().unwrap(), &[]).1 == file);
}

#[tokio::test]
async fn an_aborted_upload_is_gone_and_aborting_again_is_fine() {
    let app = TestApp::spawn().await;
    let token = user("mpu-abort").await;
    let file = body_of_size(9 * MIB, 3);
    let data = begin(
        &app,
        &token,
        "gone.bin",
        file.len(),
        "application/octet-stream",
    )
    .await;
    let upload = data["upload"].as_str().unwrap().to_owned();
    send(&app, &token, &upload, &file, 8 * MIB, &[1]).await;
    let (_, url, headers) = urls(&app, &token, &upload, &[2]).await.remove(0);

    assert_eq!(app.delete(&format!("/uploads/{upload}"), &token).await, 204);
    assert_eq!(app.delete(&format!("/uploads/{upload}"), &token).await, 204);
    let (status, body) = app.get(&format!("/uploads/{upload}"), &token).await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "upload_not_found"),
        "{body}"
    );
    assert!(listed(&app, &token).await.is_empty());
    // A URL signed before the abort reaches nothing.
    let (status, _, reply) = put(&url, &headers, &file[8 * MIB..]);
    assert_eq!(status, 404, "{reply}");
    assert!(reply.contains("NoSuchUpload"), "{reply}");
}

#[tokio::test]
async fn the_listing_leaves_out_uploads_s3_no_longer_has_and_forgets_their_records() {
    let app = TestApp::spawn().await;
    let token = user("mpu-stale").await;
    let live = begin(&app, &token, "live.bin", 10, "text/plain").await;
    let gone = begin(&app, &token, "gone.bin", 10, "text/plain").await;
    assert_eq!(listed(&app, &token).await.len(), 2);

    // Aborted outside the API (as the bucket's lifecycle rule would).
    let (s3, folder) = stack().user_s3(&token).await;
    let handle: Value =
        serde_json::from_slice(&base64_url_decode(gone["upload"].as_str().unwrap())).unwrap();
    s3.abort_multipart_upload()
        .bucket(stack().var("S3_BUCKET"))
        .key(format!("{folder}gone.bin"))
        .upload_id(handle["u"].as_str().unwrap())
        .send()
        .await
        .expect("abort with the user's keys");

    assert_eq!(
        listed(&app, &token).await,
        [live["upload"].as_str().unwrap()]
    );
    let records = s3
        .list_objects_v2()
        .bucket(stack().var("S3_BUCKET"))
        .prefix(format!("{folder}/uploads/"))
        .send()
        .await
        .expect("list the records");
    assert_eq!(records.contents().len(), 1, "the stale record was removed");
    // Neither the records nor their folder show in the file listings.
    let (_, files) = app.get("/files", &token).await;
    assert_eq!(files["data"]["files"], json!([]), "{files}");
    let (_, level) = app.get("/files?delimiter=/", &token).await;
    assert_eq!(level["data"]["folders"], json!([]), "{level}");
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

#[tokio::test]
async fn bad_upload_input_is_refused_before_any_upstream_call() {
    let app = TestApp::spawn().await;
    let token = user("mpu-input").await;
    let data = begin(&app, &token, "ok.bin", 20 * MIB, "a/b").await;
    let upload = data["upload"].as_str().unwrap().to_owned();
    let before = app.upstream_calls().total();
    for (body, code) in [
        (
            json!({"name": "../x", "size": 1, "contentType": "a/b"}),
            "invalid_file_name",
        ),
        (
            json!({"name": "x", "size": 0, "contentType": "a/b"}),
            "invalid_parameter",
        ),
        (
            json!({"name": "x", "size": 1, "contentType": "nonsense"}),
            "invalid_parameter",
        ),
        (json!({"name": "x", "size": 1}), "invalid_parameter"),
        (
            json!({"name": "x", "size": 5_497_558_138_881u64, "contentType": "a/b"}),
            "payload_too_large",
        ),
    ] {
        let (status, answer) = app.post("/uploads", &token, &body).await;
        assert_eq!(error_code(&answer), code, "{body}: {status} {answer}");
    }
    let hundred_one: Vec<u32> = (1..=101).collect();
    for parts in [
        json!({"parts": []}),
        json!({"parts": [0]}),
        json!({"parts": [4]}),
        json!({"parts": hundred_one}),
        json!({"parts": [1], "expiresIn": 3601}),
        json!({"parts": [1], "other": 1}),
    ] {
        let (status, answer) = app
            .post(&format!("/uploads/{upload}/parts"), &token, &parts)
            .await;
        assert_eq!(
            (status, error_code(&answer)),
            (400, "invalid_parameter"),
            "{parts}"
        );
    }
    let forged = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"u":"x","n":"../../other/secret","s":1}"#)
    };
    for handle in ["x", "!!", forged.as_str()] {
        for (method, path) in [
            ("GET", format!("/uploads/{handle}")),
            ("DELETE", format!("/uploads/{handle}")),
            ("POST", format!("/uploads/{handle}/parts")),
            ("POST", format!("/uploads/{handle}/complete")),
        ] {
            let request = request_with_body(
                method,
                &path,
                &[("idToken", token.as_str())],
                br#"{"parts":[1]}"#.to_vec(),
            );
            let (status, answer) = app.call(request).await;
            assert_eq!(
                (status, error_code(&answer)),
                (400, "invalid_parameter"),
                "{method} {path}"
            );
        }
    }
    assert_eq!(
        app.upstream_calls().total(),
        before,
        "refused before any call"
    );
}

/// Bob's upload, with one part sent: (handle, S3's upload id, the part's ETag).
async fn bobs_upload(app: &TestApp, bob: &str, name: &str) -> (String, String, String) {
    let file = body_of_size(9 * MIB, 9);
    let data = begin(app, bob, name, file.len(), "application/octet-stream").await;
    let upload = data["upload"].as_str().unwrap().to_owned();
    let etag = send(app, bob, &upload, &file, 8 * MIB, &[1])
        .await
        .remove(0)
        .1;
    let fields: Value = serde_json::from_slice(&base64_url_decode(&upload)).unwrap();
    (upload, fields["u"].as_str().unwrap().to_owned(), etag)
}

#[tokio::test]
async fn another_users_handle_reaches_nothing_of_theirs_through_the_api() {
    let app = TestApp::spawn().await;
    let alice = user("mpu-alice").await;
    let bob = user("mpu-bob").await;
    let (upload, _, etag) = bobs_upload(&app, &bob, "shared-name.bin").await;
    assert!(
        listed(&app, &alice).await.is_empty(),
        "Bob's upload is not Alice's"
    );

    // Every call with Bob's handle is made at Alice's own key, where S3 knows no such upload.
    let (status, body) = app.get(&format!("/uploads/{upload}"), &alice).await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "upload_not_found"),
        "{body}"
    );
    let (status, body) = app
        .post(
            &format!("/uploads/{upload}/complete"),
            &alice,
            &completion(&[(1, etag.clone()), (2, etag.clone())]),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "upload_not_found"),
        "{body}"
    );
    let (_, url, headers) = urls(&app, &alice, &upload, &[2]).await.remove(0);
    let (status, _, reply) = put(&url, &headers, &vec![1; MIB]);
    assert_eq!(
        status, 404,
        "a part URL Alice signed reaches no upload of Bob's: {reply}"
    );
    assert_eq!(app.delete(&format!("/uploads/{upload}"), &alice).await, 204);

    // Bob's upload is untouched, and nothing was written in either folder.
    let (status, got) = app.get(&format!("/uploads/{upload}"), &bob).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["data"]["parts"].as_array().map(Vec::len), Some(1));
    for token in [&alice, &bob] {
        let (status, body) = app.get(&file_path("shared-name.bin"), token).await;
        assert_eq!((status, error_code(&body)), (404, "file_not_found"));
    }
}

#[tokio::test]
async fn iam_refuses_another_users_upload_to_the_callers_own_keys() {
    let app = TestApp::spawn().await;
    let alice = user("mpu-iam-alice").await;
    let bob = user("mpu-iam-bob").await;
    let (_, upload_id, etag) = bobs_upload(&app, &bob, "target.bin").await;
    let (s3, _) = stack().user_s3(&alice).await;
    let (_, bob_folder) = stack().user_s3(&bob).await;
    let bucket = stack().var("S3_BUCKET");
    let bob_key = format!("{bob_folder}target.bin");
    let denied = |what: &str, code: Option<&str>| {
        assert_eq!(code, Some("AccessDenied"), "{what}");
    };

    let err = s3
        .list_parts()
        .bucket(bucket)
        .key(&bob_key)
        .upload_id(&upload_id)
        .send()
        .await
        .expect_err("ListParts on Bob's key");
    denied(
        "ListParts",
        err.as_service_error().and_then(|e| e.meta().code()),
    );
    let err = s3
        .upload_part()
        .bucket(bucket)
        .key(&bob_key)
        .upload_id(&upload_id)
        .part_number(2)
        .body(b"mallory".to_vec().into())
        .send()
        .await
        .expect_err("UploadPart to Bob's key");
    denied(
        "UploadPart",
        err.as_service_error().and_then(|e| e.meta().code()),
    );
    let err = s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key(&bob_key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag(&etag).build())
                .build(),
        )
        .send()
        .await
        .expect_err("CompleteMultipartUpload of Bob's key");
    denied(
        "Complete",
        err.as_service_error().and_then(|e| e.meta().code()),
    );
    let err = s3
        .abort_multipart_upload()
        .bucket(bucket)
        .key(&bob_key)
        .upload_id(&upload_id)
        .send()
        .await
        .expect_err("AbortMultipartUpload of Bob's key");
    denied(
        "Abort",
        err.as_service_error().and_then(|e| e.meta().code()),
    );
    // No listing of anyone's unfinished uploads: not even with the own folder as prefix.
    let (_, alice_folder) = stack().user_s3(&alice).await;
    for prefix in [None, Some(alice_folder.clone()), Some(bob_folder.clone())] {
        let err = s3
            .list_multipart_uploads()
            .bucket(bucket)
            .set_prefix(prefix.clone())
            .send()
            .await
            .expect_err("ListMultipartUploads");
        denied(
            "ListMultipartUploads",
            err.as_service_error().and_then(|e| e.meta().code()),
        );
    }
    // A URL Alice's keys sign for Bob's key is refused too.
    let presigned = s3
        .upload_part()
        .bucket(bucket)
        .key(&bob_key)
        .upload_id(&upload_id)
        .part_number(2)
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(
                60,
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let (status, _, reply) = put(presigned.uri(), &[], b"mallory");
    assert_eq!(status, 403, "{reply}");

    // Bob's key at Alice's own folder's name is not enough: S3 ties an upload id to its key.
    let err = s3
        .upload_part()
        .bucket(bucket)
        .key(format!("{alice_folder}target.bin"))
        .upload_id(&upload_id)
        .part_number(2)
        .body(b"mallory".to_vec().into())
        .send()
        .await
        .expect_err("Bob's upload id at Alice's key");
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("NoSuchUpload")
    );
    let (status, got) = app.get("/uploads", &bob).await;
    assert_eq!(status, 200);
    let handle = got["data"]["uploads"][0]["upload"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, got) = app.get(&format!("/uploads/{handle}"), &bob).await;
    assert_eq!(
        got["data"]["parts"].as_array().map(Vec::len),
        Some(1),
        "{got}"
    );
}
