//! (h, sharing) The sharing routes, warm, through an app with the shared session tier, each
//! against the direct S3 calls of the same kind made with the keys the route uses (the owner's
//! to copy and revoke, the recipient's to list and read), by prebuilt clients: what a route adds
//! on top of S3. `POST /shares` also asks AdminGetUser and the table for the recipient and writes
//! the owner's index: its direct side is the CopyObject alone.

use crate::report::{Samples, expect, ratios};
use aws_sdk_s3::presigning::PresigningConfig;
use serde_json::{Value, json};
use std::time::Duration;
use support::{Stack, TestApp, file_path};

/// Samples per route and side.
pub const SAMPLES: usize = 100;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Each route, and the direct calls it is measured against.
const ROUTES: [(&str, &str); 4] = [
    ("POST /shares", "CopyObject (owner's keys)"),
    (
        "GET /shares",
        "ListObjectsV2 of the inbox (recipient's keys)",
    ),
    (
        "GET /shares/{id}",
        "HeadObject + a presigned GET (recipient's keys)",
    ),
    ("DELETE /shares/{id}", "DeleteObject (owner's keys)"),
];

/// A user of its own: username, token, S3 client with the user's keys, IdentityId.
struct Party {
    username: String,
    token: String,
    s3: aws_sdk_s3::Client,
    identity: String,
}

async fn party(stack: &Stack, app: &TestApp, label: &str) -> Result<Party, BoxError> {
    let user = stack.new_user(label).await;
    let token = stack.token(&user.username, &user.password).await;
    // Signed in through the app once: in the directory, and warm.
    expect("GET /files", app.get("/files", &token).await, 200)?;
    let (s3, folder) = stack.user_s3(&token).await;
    let identity = folder.split('/').nth(1).ok_or("no IdentityId")?.to_owned();
    Ok(Party {
        username: user.username,
        token,
        s3,
        identity,
    })
}

/// Medians of each route and of its direct calls, with their ratio.
pub async fn measure(stack: &Stack, app: &TestApp) -> Result<Value, BoxError> {
    let (owner, recipient) = (
        party(stack, app, "bench-share-owner").await?,
        party(stack, app, "bench-share-recipient").await?,
    );
    let bucket = stack.var("S3_BUCKET");
    let prefix = stack.config_with(&[]).prefix;
    let source = format!("{prefix}/{}/s/file.bin", owner.identity);
    let body = vec![7u8; 1024];
    expect(
        "PUT",
        app.put(&file_path("s/file.bin"), &owner.token, &body, &[])
            .await,
        201,
    )?;
    let (mut ours, mut theirs) = (Samples::default(), Samples::default());
    let [share, list, get, revoke] = ROUTES.map(|(r, _)| r);
    for i in 0..SAMPLES {
        let first_ours = i % 2 == 0;
        for side in [first_ours, !first_ours] {
            if side {
                let made = ours
                    .time(share, async {
                        let body = json!({"name": "s/file.bin", "with": recipient.username});
                        expect("share", app.post("/shares", &owner.token, &body).await, 201)
                    })
                    .await?;
                let id = made["data"]["id"].as_str().ok_or("no id")?.to_owned();
                ours.time(list, async {
                    expect("list", app.get("/shares", &recipient.token).await, 200)
                })
                .await?;
                ours.time(get, async {
                    let got = app.get(&format!("/shares/{id}"), &recipient.token).await;
                    expect("get", got, 200)
                })
                .await?;
                let status = ours
                    .time(revoke, async {
                        Ok(app.delete(&format!("/shares/{id}"), &owner.token).await)
                    })
                    .await?;
                if status != 204 {
                    return Err(format!("revoke answered {status}").into());
                }
            } else {
                let key = format!(
                    "{prefix}-shared/{}/{}/d/{i}.bin",
                    recipient.identity, owner.identity
                );
                theirs
                    .time(share, async {
                        owner
                            .s3
                            .copy_object()
                            .bucket(bucket)
                            .key(&key)
                            .copy_source(format!("{bucket}/{source}"))
                            .send()
                            .await?;
                        Ok(())
                    })
                    .await?;
                theirs
                    .time(list, async {
                        recipient
                            .s3
                            .list_objects_v2()
                            .bucket(bucket)
                            .prefix(format!("{prefix}-shared/{}/", recipient.identity))
                            .send()
                            .await?;
                        Ok(())
                    })
                    .await?;
                theirs
                    .time(get, async {
                        let s3 = &recipient.s3;
                        s3.head_object().bucket(bucket).key(&key).send().await?;
                        let config = PresigningConfig::expires_in(Duration::from_secs(900))?;
                        s3.get_object()
                            .bucket(bucket)
                            .key(&key)
                            .presigned(config)
                            .await?;
                        Ok(())
                    })
                    .await?;
                theirs
                    .time(revoke, async {
                        owner
                            .s3
                            .delete_object()
                            .bucket(bucket)
                            .key(&key)
                            .send()
                            .await?;
                        Ok(())
                    })
                    .await?;
            }
        }
    }
    ratios(&ROUTES, &mut ours, &mut theirs)
}
