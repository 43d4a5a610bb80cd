//! Folders against the local stack, through the real handler: one level of a listing with its
//! sub-folders, empty folders (markers), recursive deletes in batches, and another user's folder
//! tried through the API and with the caller's own keys.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use serde_json::{Value, json};
use support::{TestApp, error_code, file_path, request_with_body, stack};

async fn user(label: &str) -> String {
    let stack = stack();
    let user = stack.new_user(label).await;
    stack.token(&user.username, &user.password).await
}

fn names(list: &Value, field: &str) -> Vec<String> {
    let mut names: Vec<String> = list["data"][field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} in {list}"))
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn put(app: &TestApp, token: &str, name: &str) {
    let (status, body) = app.put(&file_path(name), token, b"x", &[]).await;
    assert_eq!(status, 201, "{name}: {body}");
}

#[tokio::test]
async fn a_listing_by_level_shows_that_levels_files_and_its_folders() {
    let app = TestApp::spawn().await;
    let token = user("folders-level").await;
    for name in [
        "a.txt",
        "docs/x.txt",
        "docs/2026/y.txt",
        "docs/2026/z.txt",
        "pics/p.png",
    ] {
        put(&app, &token, name).await;
    }
    let (status, body) = app.put("/folders/empty", &token, b"", &[]).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (201, Some("folder")),
        "{body}"
    );
    let (status, body) = app.put("/folders/docs/drafts", &token, b"", &[]).await;
    assert_eq!(status, 201, "{body}");

    let (status, root) = app.get("/files?delimiter=/", &token).await;
    assert_eq!(status, 200, "{root}");
    assert_eq!(names(&root, "files"), ["a.txt"]);
    assert_eq!(names(&root, "folders"), ["docs", "empty", "pics"]);
    let (_, docs) = app.get("/files?prefix=docs&delimiter=/", &token).await;
    assert_eq!(names(&docs, "files"), ["docs/x.txt"]);
    assert_eq!(names(&docs, "folders"), ["docs/2026", "docs/drafts"]);
    let (_, empty) = app.get("/files?prefix=empty/&delimiter=/", &token).await;
    assert_eq!(
        (names(&empty, "files"), names(&empty, "folders")),
        (vec![], vec![])
    );

    // Without a delimiter: today's recursive listing, of files only (no folder markers).
    let (_, all) = app.get("/files", &token).await;
    assert!(all["data"].get("folders").is_none(), "{all}");
    assert_eq!(
        names(&all, "files"),
        [
            "a.txt",
            "docs/2026/y.txt",
            "docs/2026/z.txt",
            "docs/x.txt",
            "pics/p.png"
        ]
    );

    // Paging counts files and folders together, as S3 does.
    let (_, first) = app.get("/files?delimiter=/&limit=2", &token).await;
    let next = first["data"]["next"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, second) = app
        .get(&format!("/files?delimiter=/&limit=2&next={next}"), &token)
        .await;
    let seen = names(&first, "files").len()
        + names(&first, "folders").len()
        + names(&second, "files").len()
        + names(&second, "folders").len();
    assert_eq!(seen, 4, "{first} {second}");

    let (status, body) = app.get("/files?delimiter=|", &token).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_parameter"),
        "{body}"
    );
}

#[tokio::test]
async fn making_a_folder_is_201_then_200_and_bad_paths_are_400() {
    let app = TestApp::spawn().await;
    let token = user("folders-make").await;
    assert_eq!(app.put("/folders/new/sub", &token, b"", &[]).await.0, 201);
    let (status, body) = app.put("/folders/new/sub", &token, b"", &[]).await;
    assert_eq!(
        (status, body["data"]["name"].as_str()),
        (200, Some("new/sub"))
    );
    let before = app.upstream_calls().total();
    for path in [
        "/folders/",
        "/folders/a//b",
        "/folders/../x",
        "/folders/a%00",
    ] {
        for method in ["PUT", "DELETE"] {
            let request = request_with_body(method, path, &[("idToken", token.as_str())], vec![]);
            let (status, body) = app.call(request).await;
            assert_eq!(
                (status, error_code(&body)),
                (400, "invalid_file_name"),
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

/// `DELETE /folders/{path}` answered 200: its data.
async fn delete_folder(app: &TestApp, token: &str, path: &str) -> Value {
    let request = request_with_body(
        "DELETE",
        &format!("/folders/{path}"),
        &[("idToken", token)],
        vec![],
    );
    let (status, body) = app.call(request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "folder-delete");
    body["data"].clone()
}

#[tokio::test]
async fn deleting_a_folder_removes_everything_below_it_in_batches_and_nothing_else() {
    let app = TestApp::spawn().await;
    let token = user("folders-delete").await;
    let (s3, folder) = stack().user_s3(&token).await;
    let bucket = stack().var("S3_BUCKET");
    // 2,105 keys below big/ (more than two DeleteObjects batches of 1000, the most one request
    // removes), written directly with the user's keys, strays and a marker included; big2/ and
    // big.txt share the prefix "big".
    let mut names: Vec<String> = (0..2100).map(|i| format!("big/f{i:04}.bin")).collect();
    names.extend(
        [
            "big/",
            "big/deep/er/x",
            "big/a//b",
            "big/tab\there",
            "big/z/",
        ]
        .map(String::from),
    );
    let mut writes = tokio::task::JoinSet::new();
    for chunk in names.chunks(100) {
        let (s3, folder, chunk) = (s3.clone(), folder.clone(), chunk.to_vec());
        writes.spawn(async move {
            for name in chunk {
                s3.put_object()
                    .bucket(bucket)
                    .key(format!("{folder}{name}"))
                    .body(Vec::new().into())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            }
        });
    }
    while let Some(done) = writes.join_next().await {
        done.expect("writes");
    }
    for name in ["big2/keep.txt", "big.txt"] {
        put(&app, &token, name).await;
    }

    let before = app.upstream_calls().snapshot();
    let data = delete_folder(&app, &token, "big").await;
    assert_eq!(
        (data["deleted"].as_u64(), data["done"].as_bool()),
        (Some(2000), Some(false)),
        "two batches of 1000, then call again: {data}"
    );
    assert_eq!(data["failed"], json!([]));
    assert_eq!(
        app.calls_since(&before, read_file::metrics::op::DELETE_OBJECTS),
        2,
        "batches of 1000"
    );
    let rest = delete_folder(&app, &token, "big").await;
    assert_eq!(
        (rest["deleted"].as_u64(), rest["done"].as_bool()),
        (Some(names.len() as u64 - 2000), Some(true)),
        "{rest}"
    );
    let (_, all) = app.get("/files", &token).await;
    let mut left: Vec<&str> = all["data"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["big.txt", "big2/keep.txt"]);

    // Idempotent: nothing left to delete.
    let again = delete_folder(&app, &token, "big").await;
    assert_eq!(
        (again["deleted"].as_u64(), again["done"].as_bool()),
        (Some(0), Some(true))
    );
}

#[tokio::test]
async fn another_users_folder_is_out_of_reach_through_the_api_and_with_the_callers_keys() {
    let app = TestApp::spawn().await;
    let alice = user("folders-alice").await;
    let bob = user("folders-bob").await;
    for name in ["shared/a.txt", "shared/b.txt"] {
        put(&app, &bob, name).await;
    }
    put(&app, &alice, "shared/mine.txt").await;

    // The path names Alice's own folder only.
    let data = delete_folder(&app, &alice, "shared").await;
    assert_eq!(data["deleted"], 1, "{data}");
    let (_, bobs) = app.get("/files?prefix=shared", &bob).await;
    assert_eq!(names(&bobs, "files"), ["shared/a.txt", "shared/b.txt"]);

    // Bypassing the API: a batch naming Bob's keys, sent with Alice's own keys, is refused key by
    // key by IAM, while her own key in the same batch is deleted.
    put(&app, &alice, "shared/again.txt").await;
    let (s3, alice_folder) = stack().user_s3(&alice).await;
    let (_, bob_folder) = stack().user_s3(&bob).await;
    let keys = [
        format!("{alice_folder}shared/again.txt"),
        format!("{bob_folder}shared/a.txt"),
        format!("{bob_folder}shared/b.txt"),
    ];
    let objects = keys
        .iter()
        .map(|k| ObjectIdentifier::builder().key(k).build().unwrap())
        .collect();
    let answer = s3
        .delete_objects()
        .bucket(stack().var("S3_BUCKET"))
        .delete(
            Delete::builder()
                .set_objects(Some(objects))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("DeleteObjects answers 200 with its refusals");
    let deleted: Vec<&str> = answer.deleted().iter().filter_map(|d| d.key()).collect();
    let refused: Vec<(&str, &str)> = answer
        .errors()
        .iter()
        .map(|e| (e.key().unwrap(), e.code().unwrap()))
        .collect();
    assert_eq!(deleted, [keys[0].as_str()]);
    assert_eq!(
        refused,
        [
            (keys[1].as_str(), "AccessDenied"),
            (keys[2].as_str(), "AccessDenied")
        ]
    );
    let (_, bobs) = app.get("/files?prefix=shared", &bob).await;
    assert_eq!(names(&bobs, "files"), ["shared/a.txt", "shared/b.txt"]);
}
