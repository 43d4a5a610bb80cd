//! The per-user file API against the local stack, through the real handler and SDK clients.

mod common;

use common::{error_code, parts, stack};
use lambda_http::{Body, Request, Response};
use read_file::App;
use serde_json::{Value, json};
use std::process::Command;

/// A request with a body (`Body::Binary`, as `lambda_http` hands API Gateway's base64 bodies);
/// the query string goes where the runtime puts it (`RequestExt::query_string_parameters`).
fn with_body(method: &str, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Request {
    use lambda_http::RequestExt;
    use lambda_http::aws_lambda_events::query_map::QueryMap;
    let query: QueryMap = path
        .split_once('?')
        .map_or("", |(_, q)| q)
        .parse()
        .expect("a query string");
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = if body.is_empty() {
        Body::Empty
    } else {
        Body::Binary(body)
    };
    builder
        .body(body)
        .expect("request")
        .with_query_string_parameters(query)
}

/// Percent-encodes a file name for a path, keeping `/` as the separator.
fn path_of(name: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/');
    format!(
        "/files/{}",
        percent_encoding::utf8_percent_encode(name, SEGMENT)
    )
}

/// One user's view of the API: every route as a method.
struct Client<'a> {
    app: &'a App,
    token: String,
}

impl Client<'_> {
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Response<Body> {
        let mut all = vec![("idToken", self.token.as_str())];
        all.extend_from_slice(headers);
        self.app.handle(with_body(method, path, &all, body)).await
    }

    async fn put(&self, name: &str, body: &[u8], headers: &[(&str, &str)]) -> (u16, Value) {
        parts(
            &self
                .send("PUT", &path_of(name), headers, body.to_vec())
                .await,
        )
    }

    async fn get(&self, name: &str, query: &str) -> (u16, Value) {
        parts(
            &self
                .send("GET", &format!("{}{query}", path_of(name)), &[], vec![])
                .await,
        )
    }

    async fn list(&self, query: &str) -> (u16, Value) {
        parts(
            &self
                .send("GET", &format!("/files{query}"), &[], vec![])
                .await,
        )
    }

    async fn delete(&self, name: &str) -> u16 {
        self.send("DELETE", &path_of(name), &[], vec![])
            .await
            .status()
            .as_u16()
    }

    async fn upload_url(&self, ask: Value) -> (u16, Value) {
        parts(
            &self
                .send("POST", "/upload-urls", &[], ask.to_string().into_bytes())
                .await,
        )
    }

    async fn read_file(&self) -> (u16, Value) {
        parts(&self.send("GET", "/read-file", &[], vec![]).await)
    }

    async fn names(&self, query: &str) -> Vec<String> {
        let (status, body) = self.list(query).await;
        assert_eq!(status, 200, "{body}");
        body["data"]["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| f["name"].as_str().expect("name").to_owned())
            .collect()
    }
}

async fn client<'a>(app: &'a App, label: &str) -> Client<'a> {
    let stack = stack();
    let user = stack.new_user(label).await;
    Client {
        app,
        token: stack.token(&user.username, &user.password).await,
    }
}

/// `curl` (not our code) on a signed URL: status and body bytes.
fn curl(url: &str, args: &[&str]) -> (u16, Vec<u8>) {
    let out = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "20"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = out.stdout;
    let split = text.iter().rposition(|b| *b == b'\n').expect("status line");
    let status = String::from_utf8_lossy(&text[split + 1..])
        .parse()
        .expect("status");
    (status, text[..split].to_vec())
}

fn every_byte() -> Vec<u8> {
    (0..=255u8).cycle().take(3000).collect()
}

#[tokio::test]
async fn a_file_goes_through_put_get_list_download_and_delete() {
    let app = stack().app().await;
    let alice = client(&app, "files-roundtrip").await;
    let body = every_byte();
    for name in [
        "photo.bin",
        "a folder/été 日本.bin",
        "docs/2026/100%.bin",
        "x+y=z&q?.bin",
    ] {
        let (status, put) = alice
            .put(name, &body, &[("content-type", "image/png")])
            .await;
        assert_eq!(status, 201, "{name}: {put}");
        assert_eq!(put["data"]["name"], name);
        assert_eq!(put["data"]["size"], body.len());

        let (status, got) = alice.get(name, "").await;
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
    let mut names = alice.names("").await;
    names.sort();
    assert_eq!(
        names,
        [
            "a folder/été 日本.bin",
            "docs/2026/100%.bin",
            "photo.bin",
            "x+y=z&q?.bin"
        ]
    );
    assert_eq!(alice.names("?prefix=docs").await, ["docs/2026/100%.bin"]);
    assert_eq!(
        alice.names("?prefix=docs/2026/").await,
        ["docs/2026/100%.bin"]
    );

    for name in [
        "photo.bin",
        "a folder/été 日本.bin",
        "docs/2026/100%.bin",
        "x+y=z&q?.bin",
    ] {
        assert_eq!(alice.delete(name).await, 204, "{name}");
        assert_eq!(
            alice.delete(name).await,
            204,
            "{name}: deleting again is fine"
        );
        let (status, body) = alice.get(name, "").await;
        assert_eq!(
            (status, error_code(&body)),
            (404, "file_not_found"),
            "{name}"
        );
    }
    assert!(alice.names("").await.is_empty());
}

#[tokio::test]
async fn a_put_replaces_with_200_and_if_none_match_refuses_with_412() {
    let app = stack().app().await;
    let bob = client(&app, "files-replace").await;
    assert_eq!(
        bob.put("n.txt", b"one", &[("if-none-match", "*")]).await.0,
        201
    );
    let (status, body) = bob.put("n.txt", b"two", &[("if-none-match", "*")]).await;
    assert_eq!((status, error_code(&body)), (412, "file_exists"), "{body}");
    let (status, body) = bob.put("n.txt", b"three", &[]).await;
    assert_eq!(
        (status, body["data"]["size"].as_u64()),
        (200, Some(5)),
        "{body}"
    );
    let (_, got) = bob.get("n.txt", "").await;
    assert_eq!(got["data"]["contentType"], "application/octet-stream");
    let (_, downloaded) = curl(got["data"]["url"].as_str().unwrap(), &[]);
    assert_eq!(downloaded, b"three");
    let (status, body) = bob
        .put("n.txt", b"x", &[("if-none-match", "\"abc\"")])
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_parameter"),
        "{body}"
    );
}

#[tokio::test]
async fn data_txt_is_an_ordinary_name_and_read_file_is_unchanged() {
    let app = stack().app().await;
    let carol = client(&app, "files-datatxt").await;
    let (status, body) = carol.read_file().await;
    assert_eq!((status, error_code(&body)), (404, "file_not_found"));
    assert_eq!(
        carol
            .put(
                "data.txt",
                b"hello carol\nsecond\n",
                &[("content-type", "text/plain")]
            )
            .await
            .0,
        201
    );
    let (status, body) = carol.read_file().await;
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
    let app = stack().app().await;
    let mallory = client(&app, "files-hostile").await;
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
            let response = mallory
                .send(method, &format!("/files/{raw}"), &[], b"x".to_vec())
                .await;
            let (status, body) = parts(&response);
            assert_eq!(
                (status, error_code(&body)),
                (400, "invalid_file_name"),
                "{method} {raw}"
            );
        }
    }
    let (status, body) = mallory
        .upload_url(json!({"name": "../x", "size": 1, "contentType": "a/b"}))
        .await;
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
    let app = stack().app().await;
    let alice = client(&app, "files-alice").await;
    let bob = client(&app, "files-bob").await;
    assert_eq!(bob.put("secret.txt", b"bob's", &[]).await.0, 201);
    for i in 0..3 {
        assert_eq!(
            alice.put(&format!("a{i}.txt"), b"alice's", &[]).await.0,
            201
        );
    }

    // The path names only the caller's own folder: Alice's "secret.txt" is hers, and absent.
    let (status, body) = alice.get("secret.txt", "").await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "file_not_found"),
        "{body}"
    );
    assert_eq!(alice.delete("secret.txt").await, 204);
    assert_eq!(
        alice.put("secret.txt", b"alice overwrites?", &[]).await.0,
        201
    );
    let (_, got) = bob.get("secret.txt", "").await;
    assert_eq!(curl(got["data"]["url"].as_str().unwrap(), &[]).1, b"bob's");
    assert!(!alice.names("").await.iter().any(|n| n.contains("bob")));

    // An edited continuation token still lists only the caller's folder.
    let bob_id = stack().identity_id(&bob.token).await;
    let forged = base64_url(&format!("cognito-test/{bob_id}/"));
    let (status, body) = alice.list(&format!("?next={forged}")).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_parameter"),
        "S3 refuses a token it did not issue: {body}"
    );
    let (status, body) = alice.list("?next=%%%").await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_parameter"),
        "{body}"
    );

    // Paging: limit 2 gives a continuation that yields the rest, and only Alice's.
    let (_, first) = alice.list("?limit=2").await;
    assert_eq!(first["data"]["files"].as_array().unwrap().len(), 2);
    let next = first["data"]["next"]
        .as_str()
        .expect("a next token")
        .to_owned();
    let (_, second) = alice.list(&format!("?limit=2&next={next}")).await;
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
    let app = stack().app().await;
    let dave = client(&app, "files-expiry").await;
    assert_eq!(dave.put("soon.txt", b"gone soon", &[]).await.0, 201);
    let (status, got) = dave.get("soon.txt", "?expiresIn=1").await;
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
        let (status, body) = dave.get("soon.txt", bad).await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "invalid_parameter"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_large_file_goes_up_through_a_signed_url_with_its_size_and_type() {
    let app = stack().app().await;
    let erin = client(&app, "files-large").await;
    let body: Vec<u8> = (0..(6 << 20)).map(|i: u32| (i % 251) as u8).collect();
    let ask = json!({"name": "big/video.bin", "size": body.len(), "contentType": "video/mp4"});
    let (status, answer) = erin.upload_url(ask).await;
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
    let (status, got) = erin.get("big/video.bin", "").await;
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
    let stack = stack();
    let app = stack
        .app_with(&[
            ("MAX_UPLOAD_BYTES", "1024"),
            ("MAX_PRESIGNED_UPLOAD_BYTES", "2048"),
        ])
        .await;
    let frank = client(&app, "files-limits").await;
    assert_eq!(frank.put("ok.bin", &[7; 1024], &[]).await.0, 201);
    let (status, body) = frank.put("big.bin", &[7; 1025], &[]).await;
    assert_eq!(
        (status, error_code(&body)),
        (413, "payload_too_large"),
        "{body}"
    );
    let (status, body) = frank
        .upload_url(json!({"name": "b", "size": 2049, "contentType": "a/b"}))
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
        let (status, body) = frank.upload_url(ask.clone()).await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "invalid_parameter"),
            "{ask}: {body}"
        );
    }
    for query in ["?limit=0", "?limit=1001", "?limit=x", "?prefix=../"] {
        let (status, body) = frank.list(query).await;
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
    let app = stack.app_with(&[("USER_CHECK_TTL_SECONDS", "1")]).await;
    let user = stack.new_user("files-disabled").await;
    let grace = Client {
        app: &app,
        token: stack.token(&user.username, &user.password).await,
    };
    assert_eq!(grace.put("mine.txt", b"x", &[]).await.0, 201);
    stack.disable_user(&user.username).await;
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let before = app.upstream_calls().snapshot();
    let (status, body) = grace.put("mine.txt", b"y", &[]).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "user_disabled"),
        "{body}"
    );
    assert_eq!(grace.delete("mine.txt").await, 403);
    let (status, _) = grace
        .upload_url(json!({"name": "n", "size": 1, "contentType": "a/b"}))
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
