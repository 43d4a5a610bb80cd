//! (g) Each file-API route, warm, against a direct S3 call of the same kind made with the same
//! user's keys by a prebuilt client: what the route adds on top of S3.

use crate::report::{Samples, expect, ratios};
use serde_json::Value;
use support::{TestApp, file_path};

/// Samples per route and side.
pub const ROUTE_SAMPLES: usize = 200;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The direct side: a plain S3 client holding the user's keys, and the user's folder.
pub struct Direct {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub folder: String,
}

/// Medians of each route and of its direct call, with their ratio.
pub async fn measure(app: &TestApp, token: &str, direct: &Direct) -> Result<Value, BoxError> {
    let body = vec![7u8; 1024];
    // Something to list and read: ten files, one of them read over and over.
    for i in 0..10 {
        let name = format!("bench/file-{i}.bin");
        expect(
            "PUT",
            app.put(&file_path(&name), token, &body, &[]).await,
            201,
        )?;
    }
    let (mut ours, mut theirs) = (Samples::default(), Samples::default());
    for i in 0..ROUTE_SAMPLES {
        // New names on both sides, so that PUT measures a create (one S3 call on both sides).
        let (mine, plain) = (
            format!("bench/new-{i}.bin"),
            format!("{}bench/plain-{i}.bin", direct.folder),
        );
        let first_ours = i % 2 == 0;
        for side in [first_ours, !first_ours] {
            if side {
                ours.time("list", async {
                    let got = app.get("/files?prefix=bench&limit=10", token).await;
                    expect("GET /files", got, 200)
                })
                .await?;
                ours.time("get", async {
                    let got = app.get(&file_path("bench/file-0.bin"), token).await;
                    expect("GET /files/{name}", got, 200)
                })
                .await?;
                ours.time("put", async {
                    let got = app.put(&file_path(&mine), token, &body, &[]).await;
                    expect("PUT /files/{name}", got, 201)
                })
                .await?;
                let status = ours
                    .time("delete", async {
                        Ok(app.delete(&file_path(&mine), token).await)
                    })
                    .await?;
                if status != 204 {
                    return Err(format!("DELETE answered {status}").into());
                }
            } else {
                let (s3, bucket) = (&direct.client, &direct.bucket);
                theirs
                    .time("list", async {
                        s3.list_objects_v2()
                            .bucket(bucket)
                            .prefix(format!("{}bench/", direct.folder))
                            .max_keys(10)
                            .send()
                            .await?;
                        Ok(())
                    })
                    .await?;
                theirs
                    .time("get", async {
                        s3.head_object()
                            .bucket(bucket)
                            .key(format!("{}bench/file-0.bin", direct.folder))
                            .send()
                            .await?;
                        Ok(())
                    })
                    .await?;
                theirs
                    .time("put", async {
                        s3.put_object()
                            .bucket(bucket)
                            .key(&plain)
                            .body(body.clone().into())
                            .send()
                            .await?;
                        Ok(())
                    })
                    .await?;
                theirs
                    .time("delete", async {
                        s3.delete_object().bucket(bucket).key(&plain).send().await?;
                        Ok(())
                    })
                    .await?;
            }
        }
    }
    ratios(
        &[
            ("list", "ListObjectsV2"),
            ("get", "HeadObject"),
            ("put", "PutObject"),
            ("delete", "DeleteObject"),
        ],
        &mut ours,
        &mut theirs,
    )
}
