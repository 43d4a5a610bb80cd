//! The per-user file API against the local stack, through the real handler and SDK clients:
//! round trips of every route, binary bodies, hostile names, isolation between users, signed
//! URLs used with plain curl, limits, and a disabled user's writes.

use serde_json::json;
use std::process::Command;
use support::curl::curl;
use support::{TestApp, error_code, file_path, request_with_body, stack};

/// A new user's ID token.
async fn user(label: &str) -> String {
    let stack = stack();
    let user = stack.new_user(label).await;
    stack.token(&user.username, &user.password).await
}

/// The names `GET /files{query}` lists.
async fn names(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (status, body) = app.get(&format!("/files{}", query), token).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect()
}

fn every_byte() -> Vec<u8> {
    (0..=255u8).cycle().take(3000).collect()
}

#[tokio::test]
async fn a_file_goes_through_put_get_list_download_and_delete() {
    let app = TestApp::spawn().await;
    let alice = user("files-roundtrip").await;
    let body = every_byte();
    for name in [
        "photo.bin",
        "a folder/été 日本.bin",
        "docs/2026/100%.bin",
        "x+y=z&q?.bin",
    ] {
        let (status, put) = app
            .put(
                &file_path(name),
                &alice,
                &body,
                &[("content-type", "image/png")],
            )
            .await;
        assert_eq!(status, 201, "{name}: {put}");
        assert_eq!(put["data"]["name"], name);
        assert_eq!(put["data"]["size"], body.len());

        let (status, got) = app.get(&file_path(name), &alice).await;
        assert_eq!(status, 200, "{name}: {got}");
        assert_eq!(got["type"], "file");
        let data = &got["data"];
        assert_eq!(
            (data["name"].as_str(), data["size"].as_u64()),
            (Some(name), Some(3000))
        );
        assert_eq!(data["contentType"], "image/png");
        assert_eq!(data["etag"], put["data"]["etag"]);
        assert!(
            data["lastModified"]
                .as_str()
                .is_some_and(|d| d.ends_with('Z')),
            "{data}"
        );
        let (status, downloaded) = curl(data["url"].as_str().expect("url"), &[]);
        assert_eq!(
            (status, downloaded == body),
            (200, true),
            "{name}: download"
        );
    }
    let mut listed = names(&app, &alice, "").await;
    listed.sort();
    assert_eq!(
        listed,
        [
            "a folder/été 日本.bin",
            "docs/2026/100%.bin",
            "photo.bin",
            "x+y=z&q?.bin"
        ]
    );
    assert_eq!(
        names(&app, &alice, "?prefix=docs").await,
        ["docs/2026/100%.bin"]
    );
    assert_eq!(
        names(&app, &alice, "?prefix=docs/2026/").await,
        ["docs/2026/100%.bin"]
    );

    for name in [
        "photo.bin",
        "a folder/été 日本.bin",
        "docs/2026/100%.bin",
        "x+y=z&q?.bin",
    ] {
        assert_eq!(app.delete(&file_path(name), &alice).await, 204, "{name}");
        assert_eq!(
            app.delete(&file_path(name), &alice).await,
            204,
            "{name}: deleting again is fine"
        );
        let (status, body) = app.get(&file_path(name), &alice).await;
        assert_eq!(
            (status, error_code(&body)),
            (404, "file_not_found"),
            "{name}"
        );
    }
    assert!(names(&app, &alice, "").await.is_empty());
}

#[tokio::test]
async fn a_put_replaces_with_200_and_if_none_match_refuses_with_412() {
    let app = TestApp::spawn().await;
    let bob = user("files-replace").await;
    assert_eq!(
        app.put(&file_path("n.txt"), &bob, b"one", &[("if-none-match", "*")])
            .await
            .0,
        201
    );
    let (status, body) = app
        .put(&file_path("n.txt"), &bob, b"two", &[("if-none-match", "*")])
        .await;
    assert_eq!((status, error_code(&body)), (412, "file_exists"), "{body}");
    let (status, body) = app.put(&file_path("n.txt"), &bob, b"three", &[]).await;
    assert_eq!(
        (status, body["data"]["size"].as_u64()),
        (200, Some(5)),
        "{body}"
    );
    let (_, got) = app.get(&file_path("n.txt"), &bob).await;
    assert_eq!(got["data"]["contentType"], "application/octet-stream");
    let (_, downloaded) = curl(got["data"]["url"].as_str().unwrap(), &[]);
    assert_eq!(downloaded, b"three");
    let (status, body) = app
        .put(
            &file_path("n.txt"),
            &bob,
            b"x",
            &[("if-none-match", "\"abc\"")],
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_parameter"),
        "{body}"
    );
}

#[tokio::test]
async fn data_txt_is_an_ordinary_name_and_read_file_is_unchanged() {
    let app = TestApp::spawn().await;
    let carol = user("files-datatxt").await;
    let (status, body) = app.get("/read-file", &carol).await;
    assert_eq!((status, error_code(&body)), (404, "file_not_found"));
    assert_eq!(
        app.put(
            &file_path("data.txt"),
            &carol,
            b"hello carol\nsecond\n",
            &[("content-type", "text/plain")]
        )
        .await
        .0,
        201
    );
    let (status, body) = app.get("/read-file", &carol).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"status": "success", "type": "common", "data": "hello carol"})
        )
    );
}

#[tokio::test]
async fn hostile_names_are_400_before_any_upstream_call() {
    let app = TestApp::spawn().await;
    let mallory = user("files-hostile").await;
    let long = "n".repeat(2048);
    let before = app.upstream_calls().total();
    for raw in [
        "../x",
        "%2e%2e/x",
        "%2E%2E%2Fx",
        "a//b",
        "a/./b",
        "a%5Cb",
        "a%00b",
        "a%0Ab",
        "%FF%FE",
        "x/",
        long.as_str(),
    ] {
        for method in ["GET", "PUT", "DELETE"] {
            let headers = [("idToken", mallory.as_str())];
            let request =
                request_with_body(method, &format!("/files/{raw}"), &headers, b"x".to_vec());
            let (status, body) = app.call(request).await;
            assert_eq!(
                (status, error_code(&body)),
                (400, "invalid_file_name"),
                "{method} {raw}"
            );
        }
    }
    let ask = json!({"name": "../x", "size": 1, "contentType": "a/b"});
    let (status, body) = app.post("/upload-urls", &mallory, &ask).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_file_name"),
        "{body}"
    );
    assert_eq!(
        app.upstream_calls().total(),
        before,
        "refused before any call"
    );
}

#[tokio::test]
async fn one_user_can_neither_list_read_overwrite_nor_delete_anothers_files() {
    let app = TestApp::spawn().await;
    let alice = user("files-alice").await;
    let bob = user("files-bob").await;
    assert_eq!(
        app.put(&file_path("secret.txt"), &bob, b"bob's", &[])
            .await
            .0,
        201
    );
    for i in 0..3 {
        assert_eq!(
            app.put(&file_path(&format!("a{i}.txt")), &alice, b"alice's", &[])
                .await
                .0,
            201
        );
    }

    // The path names only the caller's own folder: Alice's "secret.txt" is hers, and absent.
    let (status, body) = app.get(&file_path("secret.txt"), &alice).await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "file_not_found"),
        "{body}"
    );
    assert_eq!(app.delete(&file_path("secret.txt"), &alice).await, 204);
    assert_eq!(
        app.put(&file_path("secret.txt"), &alice, b"alice overwrites?", &[])
            .await
            .0,
        201
    );
    let (_, got) = app.get(&file_path("secret.txt"), &bob).await;
    assert_eq!(curl(got["data"]["url"].as_str().unwrap(), &[]).1, b"bob's");
    assert!(
        !names(&app, &alice, "")
            .await
            .iter()
            .any(|n| n.contains("bob"))
    );

    // An edited continuation token still lists only the caller's folder.
    let bob_id = stack().identity(&bob).await;
    let forged = base64_url(stack().data_key(&bob_id).as_str());
    let (status, body) = app
        .get(&format!("/files{}", &format!("?next={forged}")), &alice)
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_parameter"),
        "S3 refuses a token it did not issue: {body}"
    );
    let (status, body) = app.get("/files?next=%%%", &alice).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_parameter"),
        "{body}"
    );

    // Paging: limit 2 gives a continuation that yields the rest, and only Alice's.
    let (_, first) = app.get("/files?limit=2", &alice).await;
    assert_eq!(first["data"]["files"].as_array().unwrap().len(), 2);
    let next = first["data"]["next"]
        .as_str()
        .expect("a next token")
        .to_owned();
    let (_, second) = app
        .get(
            &format!("/files{}", &format!("?limit=2&next={next}")),
            &alice,
        )
        .await;
    let rest = second["data"]["files"].as_array().unwrap();
    assert_eq!(rest.len(), 2, "{second}");
    assert!(second["data"]["next"].is_null(), "{second}");
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn a_signed_download_url_expires() {
    let app = TestApp::spawn().await;
    let dave = user("files-expiry").await;
    assert_eq!(
        app.put(&file_path("soon.txt"), &dave, b"gone soon", &[])
            .await
            .0,
        201
    );
    let (status, got) = app
        .get(
            &format!("{}{}", file_path("soon.txt"), "?expiresIn=1"),
            &dave,
        )
        .await;
    assert_eq!(status, 200, "{got}");
    let url = got["data"]["url"].as_str().unwrap().to_owned();
    // (The URL carries the session token: never put it in a message.)
    assert!(
        url.contains("X-Amz-Expires=1&"),
        "the URL's lifetime is 1 s"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body) = curl(&url, &[]);
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    for bad in ["?expiresIn=0", "?expiresIn=3601", "?expiresIn=soon"] {
        let (status, body) = app
            .get(&format!("{}{}", file_path("soon.txt"), bad), &dave)
            .await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "invalid_parameter"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_large_file_goes_up_through_a_signed_url_with_its_size_and_type() {
    let app = TestApp::spawn().await;
    let erin = user("files-large").await;
    let body: Vec<u8> = (0..(6 << 20)).map(|i: u32| (i % 251) as u8).collect();
    let ask = json!({"name": "big/video.bin", "size": body.len(), "contentType": "video/mp4"});
    let (status, answer) = app.post("/upload-urls", &erin, &ask).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["type"], "upload-url");
    let data = &answer["data"];
    let url = data["url"].as_str().unwrap();
    let headers: Vec<String> = data["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap()))
        .collect();
    let file = std::env::temp_dir().join(format!("upload-{}.bin", std::process::id()));
    std::fs::write(&file, &body).unwrap();
    let mut args = vec![
        "-X".to_owned(),
        "PUT".to_owned(),
        "--data-binary".to_owned(),
        format!("@{}", file.display()),
    ];
    for h in &headers {
        args.extend(["-H".to_owned(), h.clone()]);
    }
    // The wrong type is refused by S3 (the type is signed).
    let mut wrong = args.clone();
    wrong.extend(["-H".to_owned(), "content-type: text/plain".to_owned()]);
    let refs: Vec<&str> = wrong.iter().map(String::as_str).collect();
    assert_eq!(curl(url, &refs).0, 403);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, reply) = curl(url, &refs);
    std::fs::remove_file(&file).ok();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    let (status, got) = app.get(&file_path("big/video.bin"), &erin).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        (
            got["data"]["size"].as_u64(),
            got["data"]["contentType"].as_str()
        ),
        (Some(body.len() as u64), Some("video/mp4"))
    );
    assert!(
        curl(got["data"]["url"].as_str().unwrap(), &[]).1 == body,
        "the download is byte-identical"
    );
}

#[tokio::test]
async fn limits_are_enforced_with_413_and_400() {
    let app = TestApp::spawn_with(&[
        ("MAX_UPLOAD_BYTES", "1024"),
        ("MAX_PRESIGNED_UPLOAD_BYTES", "2048"),
    ])
    .await;
    let frank = user("files-limits").await;
    assert_eq!(
        app.put(&file_path("ok.bin"), &frank, &[7; 1024], &[])
            .await
            .0,
        201
    );
    let (status, body) = app
        .put(&file_path("big.bin"), &frank, &[7; 1025], &[])
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (413, "payload_too_large"),
        "{body}"
    );
    let (status, body) = app
        .post(
            "/upload-urls",
            &frank,
            &json!({"name": "b", "size": 2049, "contentType": "a/b"}),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (413, "payload_too_large"),
        "{body}"
    );
    for ask in [
        json!({"name": "b", "size": 1}),
        json!({"name": "b", "size": -1, "contentType": "a/b"}),
        json!({"name": "b", "size": 1, "contentType": "nonsense"}),
        json!({"name": "b", "size": 1, "contentType": "a/b", "extra": 1}),
    ] {
        let (status, body) = app.post("/upload-urls", &frank, &ask.clone()).await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "invalid_parameter"),
            "{ask}: {body}"
        );
    }
    for query in ["?limit=0", "?limit=1001", "?limit=x", "?prefix=../"] {
        let (status, body) = app.get(&format!("/files{}", query), &frank).await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "invalid_parameter"),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn a_disabled_user_can_no_longer_write_even_once() {
    let stack = stack();
    let app = TestApp::spawn_with(&[("USER_CHECK_TTL_SECONDS", "1")]).await;
    let user = stack.new_user("files-disabled").await;
    let grace = stack.token(&user.username, &user.password).await;
    assert_eq!(
        app.put(&file_path("mine.txt"), &grace, b"x", &[]).await.0,
        201
    );
    stack.disable_user(&user.username).await;
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let before = app.upstream_calls().snapshot();
    let (status, body) = app.put(&file_path("mine.txt"), &grace, b"y", &[]).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "user_disabled"),
        "{body}"
    );
    assert_eq!(app.delete(&file_path("mine.txt"), &grace).await, 403);
    let (status, _) = app
        .post(
            "/upload-urls",
            &grace,
            &json!({"name": "n", "size": 1, "contentType": "a/b"}),
        )
        .await;
    assert_eq!(status, 403);
    let after = app.upstream_calls().snapshot();
    let s3 = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter()
            .filter(|(k, _)| k.starts_with("S3:"))
            .map(|(_, v)| v)
            .sum::<u64>()
    };
    assert_eq!(
        s3(&after),
        s3(&before),
        "no S3 call for a refused user: {after:?}"
    );
}

#[tokio::test]
async fn names_stored_directly_that_the_rules_refuse_are_listed_with_an_id_that_deletes_them() {
    let app = TestApp::spawn().await;
    let token = user("files-stray").await;
    let (s3, folder) = stack().user_s3(&token).await;
    let bucket = stack().var("S3_BUCKET");
    // What the browser's own keys can store, past the API's name rules.
    let strays = ["a//b.txt", "c\u{1}d.txt", "trailing/", "tab\there"];
    for raw in strays {
        s3.put_object()
            .bucket(bucket)
            .key(format!("{folder}{raw}"))
            .body(b"stray".to_vec().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{raw:?}: {e:?}"));
    }
    assert_eq!(
        app.put(&file_path("ok.txt"), &token, b"ok", &[]).await.0,
        201
    );

    let (status, body) = app.get("/files", &token).await;
    assert_eq!(status, 200, "{body}");
    let files = body["data"]["files"].as_array().expect("files").clone();
    let listed: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    for raw in strays.iter().chain(&["ok.txt"]) {
        assert!(listed.contains(raw), "{raw:?} in {listed:?}");
    }
    for file in &files {
        let name = file["name"].as_str().unwrap();
        if name == "ok.txt" {
            assert!(
                file.get("addressable").is_none() && file.get("id").is_none(),
                "{file}"
            );
            continue;
        }
        assert_eq!(file["addressable"], false, "{file}");
        let id = file["id"].as_str().expect("an id");
        assert_eq!(
            app.delete(&format!("/files?id={id}"), &token).await,
            204,
            "{name:?}"
        );
        // Idempotent, like every DELETE.
        assert_eq!(app.delete(&format!("/files?id={id}"), &token).await, 204);
    }
    assert_eq!(names(&app, &token, "").await, ["ok.txt"]);

    for bad in ["/files", "/files?id=", "/files?id=!!", "/files?id=_w"] {
        let request = request_with_body("DELETE", bad, &[("idToken", &token)], vec![]);
        let (status, body) = app.call(request).await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "invalid_parameter"),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn a_download_url_never_renders_script_on_the_buckets_host() {
    let app = TestApp::spawn().await;
    let token = user("files-disposition").await;
    let headers_of = |url: &str| {
        let out = Command::new("curl")
            .args(["-s", "-D", "-", "-o", "/dev/null", "--max-time", "20", url])
            .output()
            .expect("curl runs");
        String::from_utf8_lossy(&out.stdout).to_ascii_lowercase()
    };
    for (name, stored, disposition, served) in [
        (
            "page.html",
            "text/html; charset=utf-8",
            "attachment",
            "application/octet-stream",
        ),
        (
            "pic.svg",
            "image/svg+xml",
            "attachment",
            "application/octet-stream",
        ),
        (
            "x.xhtml",
            "application/xhtml+xml",
            "attachment",
            "application/octet-stream",
        ),
        ("notes/été.txt", "text/plain", "inline", "text/plain"),
        ("photo.png", "image/png", "inline", "image/png"),
    ] {
        let put = app
            .put(
                &file_path(name),
                &token,
                b"<script>1</script>",
                &[("content-type", stored)],
            )
            .await;
        assert_eq!(put.0, 201, "{}", put.1);
        let (status, got) = app.get(&file_path(name), &token).await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"]["disposition"], disposition, "{name}");
        assert_eq!(
            got["data"]["contentType"], stored,
            "the stored type is reported"
        );
        let headers = headers_of(got["data"]["url"].as_str().unwrap());
        assert!(headers.starts_with("http/1.1 200"), "{name}: {headers}");
        assert!(
            headers.contains(&format!("content-type: {served}")),
            "{name}: {headers}"
        );
        let attached = headers.contains("content-disposition: attachment;");
        assert_eq!(attached, disposition == "attachment", "{name}: {headers}");
    }
    // Any file as a download, named after its last segment, keeping a safe type.
    let (status, got) = app
        .get(
            &format!("{}?download=1", file_path("notes/été.txt")),
            &token,
        )
        .await;
    assert_eq!(
        (status, got["data"]["disposition"].as_str()),
        (200, Some("attachment"))
    );
    let headers = headers_of(got["data"]["url"].as_str().unwrap());
    assert!(
        headers.contains("content-disposition: attachment; filename=\"_t_.txt\"; filename*=utf-8''%c3%a9t%c3%a9.txt"),
        "{headers}"
    );
    assert!(headers.contains("content-type: text/plain"), "{headers}");
    let (status, body) = app
        .get(&format!("{}?download=yes", file_path("photo.png")), &token)
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_parameter"),
        "{body}"
    );
}
