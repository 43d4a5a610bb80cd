//! Sharing against the local stack, through the real handler with the shared session tier:
//! the round trip (share, list, read, share again, revoke), every refusal of the API, and the
//! attacks of issue 21 §5 made with the users' own keys straight at S3, where IAM must refuse
//! them whatever our code does.

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{Value, json};
use support::curl::curl;
use support::{TestApp, error_code, file_path, request, rest_event, stack};

/// A new user: username and ID token.
async fn user(label: &str) -> (String, String) {
    let stack = stack();
    let user = stack.new_user(label).await;
    let token = stack.token(&user.username, &user.password).await;
    (user.username, token)
}

/// A new user who signed in through `app` once (their IdentityId is in the directory).
async fn signed_in(app: &TestApp, label: &str) -> (String, String) {
    let (name, token) = user(label).await;
    let (status, body) = app.get("/files", &token).await;
    assert_eq!(status, 200, "{body}");
    (name, token)
}

async fn share(app: &TestApp, token: &str, name: &str, with: &str) -> (u16, Value) {
    app.post("/shares", token, &json!({"name": name, "with": with}))
        .await
}

fn share_path(id: &str) -> String {
    format!("/shares/{id}")
}

async fn shares(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.get("/shares", token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "shares");
    body["data"].clone()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_share_is_read_by_its_recipient_replaced_by_sharing_again_and_gone_once_revoked() {
    let app = TestApp::spawn_shared(&[]).await;
    let (alice, a) = signed_in(&app, "share-owner").await;
    let (bob, b) = signed_in(&app, "share-recipient").await;
    let name = "reports/été 2026.txt";
    let (status, _) = app.put(&file_path(name), &a, b"first", &[]).await;
    assert_eq!(status, 201);

    let (status, made) = share(&app, &a, name, &bob).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["type"], "share");
    assert_eq!(
        (
            &made["data"]["name"],
            &made["data"]["with"],
            &made["data"]["size"]
        ),
        (&json!(name), &json!(bob), &json!(5))
    );
    let id = made["data"]["id"].as_str().unwrap().to_owned();

    let mine = shares(&app, &a).await;
    assert_eq!(ids(&mine["mine"]), [id.as_str()]);
    assert_eq!(mine["mine"][0]["with"], json!(bob));
    assert_eq!(ids(&mine["withMe"]), Vec::<&str>::new());
    let theirs = shares(&app, &b).await;
    assert_eq!(ids(&theirs["withMe"]), [id.as_str()]);
    assert_eq!(theirs["withMe"][0]["from"], json!(alice));
    assert_eq!(theirs["withMe"][0]["name"], json!(name));
    assert_eq!(theirs["withMe"][0]["size"], 5);

    let (status, got) = app.get(&share_path(&id), &b).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["data"]["from"], json!(alice));
    assert_eq!(got["data"]["name"], json!(name));
    assert_eq!(curl(got["data"]["url"].as_str().unwrap(), &[]).1, b"first");

    // Sharing again replaces the recipient's copy with the file as it is now.
    app.put(&file_path(name), &a, b"second", &[]).await;
    let (_, got) = app.get(&share_path(&id), &b).await;
    assert_eq!(
        curl(got["data"]["url"].as_str().unwrap(), &[]).1,
        b"first",
        "a snapshot"
    );
    let (status, again) = share(&app, &a, name, &bob).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["data"]["id"], json!(id));
    let (_, got) = app.get(&share_path(&id), &b).await;
    assert_eq!(curl(got["data"]["url"].as_str().unwrap(), &[]).1, b"second");
    assert_eq!(ids(&shares(&app, &a).await["mine"]).len(), 1);

    assert_eq!(app.delete(&share_path(&id), &a).await, 204);
    let (status, body) = app.get(&share_path(&id), &b).await;
    assert_eq!((status, error_code(&body)), (404, "share_not_found"));
    assert_eq!(ids(&shares(&app, &b).await["withMe"]), Vec::<&str>::new());
    assert_eq!(ids(&shares(&app, &a).await["mine"]), Vec::<&str>::new());
    assert_eq!(app.delete(&share_path(&id), &a).await, 204, "idempotent");
    let (status, _) = app.get(&file_path(name), &a).await;
    assert_eq!(status, 200, "the owner's file stays");
}

#[tokio::test]
async fn only_the_recipient_reads_a_share_and_only_the_owner_revokes_it() {
    let app = TestApp::spawn_shared(&[]).await;
    let (_, a) = signed_in(&app, "share-only-owner").await;
    let (bob, b) = signed_in(&app, "share-only-recipient").await;
    let (_, m) = signed_in(&app, "share-only-other").await;
    app.put(&file_path("x.txt"), &a, b"x", &[]).await;
    let (_, made) = share(&app, &a, "x.txt", &bob).await;
    let id = made["data"]["id"].as_str().unwrap();

    for (who, token) in [("a stranger", &m), ("the owner", &a)] {
        let (status, body) = app.get(&share_path(id), token).await;
        assert_eq!(
            (status, error_code(&body)),
            (404, "share_not_found"),
            "{who}"
        );
    }
    for (who, token) in [("a stranger", &m), ("the recipient", &b)] {
        let (status, body) = app
            .call(request("DELETE", &share_path(id), &[("idToken", token)]))
            .await;
        assert_eq!(
            (status, error_code(&body)),
            (404, "share_not_found"),
            "{who}"
        );
    }
    let (status, _) = app.get(&share_path(id), &b).await;
    assert_eq!(status, 200, "still shared");
    assert_eq!(ids(&shares(&app, &m).await["withMe"]), Vec::<&str>::new());
}

#[tokio::test]
async fn recipients_that_cannot_receive_are_one_answer_and_bad_input_is_refused() {
    let app = TestApp::spawn_shared(&[]).await;
    let (alice, a) = signed_in(&app, "share-refusals").await;
    app.put(&file_path("f.txt"), &a, b"f", &[]).await;
    // Exists but never signed in here; exists but disabled; does not exist; not a username.
    let never = stack().new_user("share-never-signed-in").await;
    let (disabled, _) = signed_in(&app, "share-disabled").await;
    stack().disable_user(&disabled).await;
    for with in [
        never.username.as_str(),
        &disabled,
        "nobody-by-that-name-at-all",
    ] {
        let (status, body) = share(&app, &a, "f.txt", with).await;
        assert_eq!(
            (status, error_code(&body)),
            (404, "unknown_recipient"),
            "{with}"
        );
        assert!(!body["error"]["message"].as_str().unwrap().contains(with));
    }
    let (status, body) = share(&app, &a, "f.txt", &alice).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_parameter"),
        "oneself"
    );
    let (bob, _) = signed_in(&app, "share-refusals-recipient").await;
    let (status, body) = share(&app, &a, "missing.txt", &bob).await;
    assert_eq!((status, error_code(&body)), (404, "file_not_found"));
    assert_eq!(ids(&shares(&app, &a).await["mine"]), Vec::<&str>::new());
    for body in [
        json!({"name": "f.txt"}),
        json!({"name": "f.txt", "with": ""}),
        json!({"name": "f.txt", "with": "two words"}),
        json!({"name": "../f.txt", "with": bob}),
        json!({"name": "f.txt", "with": bob, "extra": 1}),
    ] {
        let (status, got) = app.post("/shares", &a, &body).await;
        assert_eq!(status, 400, "{body}: {got}");
    }
    for id in ["%%%", "bm90LWEtc2hhcmU", "dXMtZWFzdC0xOmFiYy9ub3QvZg"] {
        let (status, body) = app.get(&share_path(id), &a).await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "invalid_parameter"),
            "{id}"
        );
    }
}

#[tokio::test]
async fn without_the_shared_tier_sharing_is_not_implemented() {
    let app = TestApp::spawn().await;
    let (_, a) = user("share-no-table").await;
    let (status, body) = app.get("/shares", &a).await;
    assert_eq!((status, error_code(&body)), (501, "sharing_unavailable"));
    let (status, body) = share(&app, &a, "f.txt", "someone").await;
    assert_eq!((status, error_code(&body)), (501, "sharing_unavailable"));
}

#[tokio::test]
async fn a_user_seen_only_through_signed_requests_can_receive() {
    let app = TestApp::spawn_shared(&[]).await;
    let (_, a) = signed_in(&app, "share-signed-owner").await;
    let (bob, b) = user("share-signed-recipient").await;
    // Bob's only request: signed by his identity (API Gateway's AWS_IAM path), no GetId.
    let identity = stack().identity(&b).await;
    let (status, _) = app.call(rest_event(&b, identity.as_str())).await;
    assert_eq!(status, 404, "no data file yet, but Bob was seen");
    app.put(&file_path("for-bob.txt"), &a, b"hi", &[]).await;
    let (status, body) = share(&app, &a, "for-bob.txt", &bob).await;
    assert_eq!(status, 201, "{body}");
}

/// S3's answer to a request with one user's own keys: `Ok` or the error code.
async fn s3_answer<T, E: aws_sdk_s3::error::ProvideErrorMetadata>(
    answer: Result<T, aws_sdk_s3::error::SdkError<E>>,
) -> Result<(), String> {
    answer.map(|_| ()).map_err(|e| {
        e.as_service_error()
            .and_then(|s| s.code())
            .unwrap_or("?")
            .to_owned()
    })
}

#[tokio::test]
async fn with_their_own_keys_nobody_can_forge_read_or_revoke_anothers_share() {
    let app = TestApp::spawn_shared(&[]).await;
    let (alice, a) = signed_in(&app, "share-keys-owner").await;
    let (bob, b) = signed_in(&app, "share-keys-recipient").await;
    let (_, m) = signed_in(&app, "share-keys-other").await;
    app.put(&file_path("real.txt"), &a, b"real", &[]).await;
    let (_, made) = share(&app, &a, "real.txt", &bob).await;
    let id = made["data"]["id"].as_str().unwrap().to_owned();
    let stack = stack();
    let bucket = stack.var("S3_BUCKET");
    let (a_s3, a_folder) = stack.user_s3(&a).await;
    let (b_s3, b_folder) = stack.user_s3(&b).await;
    let (m_s3, m_folder) = stack.user_s3(&m).await;
    let id_of = |folder: &str| folder.split('/').nth(1).unwrap().to_owned();
    let (a_id, b_id, m_id) = (id_of(&a_folder), id_of(&b_folder), id_of(&m_folder));
    let prefix = a_folder.split('/').next().unwrap().to_owned();
    let shared = |recipient: &str, owner: &str, name: &str| {
        format!("{prefix}-shared/{recipient}/{owner}/{name}")
    };
    let put = |s3: &aws_sdk_s3::Client, key: String| {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from_static(b"forged"))
            .send()
    };

    // Nobody makes a file appear to come from someone else: not Mallory, not Bob in his inbox.
    let denied = Err("AccessDenied".to_owned());
    assert_eq!(
        s3_answer(put(&m_s3, shared(&b_id, &a_id, "real.txt")).await).await,
        denied
    );
    assert_eq!(
        s3_answer(put(&m_s3, shared(&b_id, &a_id, "new.txt")).await).await,
        denied
    );
    assert_eq!(
        s3_answer(put(&b_s3, shared(&b_id, &a_id, "real.txt")).await).await,
        denied
    );
    // `*` would have let the writer's IdentityId sit deeper in the key.
    let deeper = shared(&b_id, &a_id, &format!("x/{m_id}/y"));
    assert_eq!(s3_answer(put(&m_s3, deeper).await).await, denied);
    // And `<region>:*` would have let it in with no owner at all ("from" someone called `x`).
    let ownerless = format!("{prefix}-shared/{b_id}/x/{m_id}/y");
    assert_eq!(s3_answer(put(&m_s3, ownerless).await).await, denied);
    // Only the recipient reads, only the owner revokes.
    let key = shared(&b_id, &a_id, "real.txt");
    for s3 in [&m_s3, &a_s3] {
        let got = s3.get_object().bucket(bucket).key(&key).send().await;
        assert_eq!(s3_answer(got).await, denied);
    }
    for s3 in [&m_s3, &b_s3] {
        let gone = s3.delete_object().bucket(bucket).key(&key).send().await;
        assert_eq!(s3_answer(gone).await, denied);
    }
    let listed = m_s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(format!("{prefix}-shared/{b_id}/"))
        .send()
        .await;
    assert_eq!(s3_answer(listed).await, denied);
    let (_, got) = app.get(&share_path(&id), &b).await;
    assert_eq!(curl(got["data"]["url"].as_str().unwrap(), &[]).1, b"real");

    // What Mallory may write under Bob's prefix carries Mallory's own IdentityId, and Bob's
    // listing says so.
    assert_eq!(
        s3_answer(put(&m_s3, shared(&b_id, &m_id, "real.txt")).await).await,
        Ok(())
    );
    let with_me = shares(&app, &b).await["withMe"].clone();
    let from_mallory: Vec<&Value> = with_me
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["id"] != json!(id))
        .collect();
    assert_eq!(from_mallory.len(), 1, "{with_me}");
    assert_ne!(from_mallory[0]["from"], json!(alice));
    assert_eq!(
        from_mallory[0]["from"],
        Value::Null,
        "Mallory never shared through the API"
    );
    // The owner revokes with her own keys, past the API too.
    let gone = a_s3.delete_object().bucket(bucket).key(&key).send().await;
    assert_eq!(s3_answer(gone).await, Ok(()));
    let (status, _) = app.get(&share_path(&id), &b).await;
    assert_eq!(status, 404);
}
