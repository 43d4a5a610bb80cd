//! (g) Each file-API route, warm, against a direct S3 call of the same kind made with the same
//! user's keys by a prebuilt client: what the route adds on top of S3.

use crate::report::{Stats, ms, ratio};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
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

fn expect(what: &str, got: (u16, Value), want: u16) -> Result<Value, BoxError> {
    if got.0 == want {
        Ok(got.1)
    } else {
        Err(format!("{what} answered {}: {}", got.0, got.1).into())
    }
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
    let mut ours: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut theirs: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    for i in 0..ROUTE_SAMPLES {
        // New names on both sides, so that PUT measures a create (one S3 call on both sides).
        let (mine, plain) = (
            format!("bench/new-{i}.bin"),
            format!("{}bench/plain-{i}.bin", direct.folder),
        );
        let first_ours = i % 2 == 0;
        for side in [first_ours, !first_ours] {
            if side {
                let t = Instant::now();
                expect(
                    "GET /files",
                    app.get("/files?prefix=bench&limit=10", token).await,
                    200,
                )?;
                ours.entry("list").or_default().push(t.elapsed());
                let t = Instant::now();
                expect(
                    "GET /files/{name}",
                    app.get(&file_path("bench/file-0.bin"), token).await,
                    200,
                )?;
                ours.entry("get").or_default().push(t.elapsed());
                let t = Instant::now();
                expect(
                    "PUT /files/{name}",
                    app.put(&file_path(&mine), token, &body, &[]).await,
                    201,
                )?;
                ours.entry("put").or_default().push(t.elapsed());
                let t = Instant::now();
                let status = app.delete(&file_path(&mine), token).await;
                ours.entry("delete").or_default().push(t.elapsed());
                if status != 204 {
                    return Err(format!("DELETE answered {status}").into());
                }
            } else {
                let s3 = &direct.client;
                let t = Instant::now();
                s3.list_objects_v2()
                    .bucket(&direct.bucket)
                    .prefix(format!("{}bench/", direct.folder))
                    .max_keys(10)
                    .send()
                    .await?;
                theirs.entry("list").or_default().push(t.elapsed());
                let t = Instant::now();
                s3.head_object()
                    .bucket(&direct.bucket)
                    .key(format!("{}bench/file-0.bin", direct.folder))
                    .send()
                    .await?;
                theirs.entry("get").or_default().push(t.elapsed());
                let t = Instant::now();
                s3.put_object()
                    .bucket(&direct.bucket)
                    .key(&plain)
                    .body(body.clone().into())
                    .send()
                    .await?;
                theirs.entry("put").or_default().push(t.elapsed());
                let t = Instant::now();
                s3.delete_object()
                    .bucket(&direct.bucket)
                    .key(&plain)
                    .send()
                    .await?;
                theirs.entry("delete").or_default().push(t.elapsed());
            }
        }
    }
    let mut out = serde_json::Map::new();
    for (route, direct_call) in [
        ("list", "ListObjectsV2"),
        ("get", "HeadObject"),
        ("put", "PutObject"),
        ("delete", "DeleteObject"),
    ] {
        let a = Stats::of(ours.get_mut(route).ok_or("no samples")?);
        let b = Stats::of(theirs.get_mut(route).ok_or("no samples")?);
        out.insert(
            route.to_owned(),
            json!({
                "direct": direct_call,
                "ours_median_ms": ms(a.median),
                "direct_median_ms": ms(b.median),
                "ours_p90_ms": ms(a.p90),
                "direct_p90_ms": ms(b.p90),
                "ratio": ratio(a.median, b.median),
            }),
        );
    }
    Ok(Value::Object(out))
}
