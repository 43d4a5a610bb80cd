//! (i) A large upload (`BENCH_UPLOAD_MIB`, default 1024 MiB) through the API, as a page sends it
//! (`POST /uploads`, part URLs a batch of 100 at a time, the parts PUT to S3, complete), against a
//! direct multipart upload of the same bytes with the same user's keys (the SDK's CreateMultipart
//! Upload, UploadPart, Complete). Same part size (the API's), 4 parts in flight on both sides;
//! each side twice, interleaved (A B B A). Reports each side's throughput and their ratio.

use crate::parts::PartClient;
use crate::report::round3;
use crate::routes::Direct;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use read_file::routes::uploads::{MAX_PARTS_PER_REQUEST, part_size};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{TestApp, file_path};
use tokio::task::JoinSet;

/// Parts in flight at once, on both sides.
const IN_FLIGHT: usize = 4;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The size measured: `BENCH_UPLOAD_MIB` MiB (default 1024).
pub fn size() -> Result<u64, BoxError> {
    let mib: u64 = match std::env::var("BENCH_UPLOAD_MIB") {
        Ok(v) => v
            .parse()
            .map_err(|_| "BENCH_UPLOAD_MIB: a whole number of MiB")?,
        Err(_) => 1024,
    };
    Ok(mib << 20)
}

/// Assembling an upload takes the time the data takes (moto concatenates the parts in Python): the
/// app under test gets API Gateway's 29 s as its request budget, as a deployment serving large
/// uploads would (the assembly gets the request's budget, see `storage::UserBucket`).
const REQUEST_BUDGET_MS: &str = "29000";

pub async fn measure(token: &str, direct: &Direct) -> Result<Value, BoxError> {
    let app = &TestApp::spawn_with(&[("REQUEST_TIMEOUT_MS", REQUEST_BUDGET_MS)]).await;
    let size = size()?;
    let data = Bytes::from((0..size).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let parts = PartClient::new();
    // The direct side's calls may take as long as the data takes too (moto assembles 1 GiB in
    // about 18 s on this machine): no per-operation budget of 3 s for it either.
    let slow = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(Duration::from_secs(600))
        .build();
    let direct = &Direct {
        client: aws_sdk_s3::Client::from_conf(
            direct
                .client
                .config()
                .to_builder()
                .timeout_config(slow)
                .build(),
        ),
        bucket: direct.bucket.clone(),
        folder: direct.folder.clone(),
    };
    let (mut ours, mut theirs) = (Duration::ZERO, Duration::ZERO);
    let (mut ours_parts, mut theirs_parts) = (Duration::ZERO, Duration::ZERO);
    for (run, api) in [true, false, false, true].into_iter().enumerate() {
        let name = format!("bench-upload/{run}.bin");
        let t = Instant::now();
        if api {
            ours_parts += through_the_api(app, token, &parts, &name, &data).await?;
            ours += t.elapsed();
            let status = app.delete(&file_path(&name), token).await;
            if status != 204 {
                return Err(format!("DELETE answered {status}").into());
            }
        } else {
            let key = format!("{}{name}", direct.folder);
            theirs_parts += directly(direct, &key, &data).await?;
            theirs += t.elapsed();
            direct
                .client
                .delete_object()
                .bucket(&direct.bucket)
                .key(&key)
                .send()
                .await?;
        }
    }
    let mib = (2 * size) as f64 / f64::from(1 << 20);
    let (ours_mibs, direct_mibs) = (mib / ours.as_secs_f64(), mib / theirs.as_secs_f64());
    let (ours_parts_mibs, direct_parts_mibs) = (
        mib / ours_parts.as_secs_f64(),
        mib / theirs_parts.as_secs_f64(),
    );
    Ok(json!({
        "size_mib": size >> 20,
        "part_size_mib": part_size(size) >> 20,
        "in_flight": IN_FLIGHT,
        "presigned_via_api_mib_per_s": round3(ours_mibs),
        "direct_sdk_mib_per_s": round3(direct_mibs),
        "ratio": round3(ours_mibs / direct_mibs),
        "parts_only_presigned_mib_per_s": round3(ours_parts_mibs),
        "parts_only_direct_mib_per_s": round3(direct_parts_mibs),
        "parts_only_ratio": round3(ours_parts_mibs / direct_parts_mibs),
        "request_timeout_ms": REQUEST_BUDGET_MS,
    }))
}

fn part(data: &Bytes, size: u64, number: u64) -> Bytes {
    let len = part_size(size);
    let start = (number - 1) * len;
    data.slice(start as usize..(start + len).min(size) as usize)
}

/// The whole upload as a page sends it; returns the time of its parts phase (URLs and PUTs).
async fn through_the_api(
    app: &TestApp,
    token: &str,
    client: &PartClient,
    name: &str,
    data: &Bytes,
) -> Result<Duration, BoxError> {
    let size = data.len() as u64;
    let body = json!({"name": name, "size": size, "contentType": "application/octet-stream"});
    let (status, created) = app.post("/uploads", token, &body).await;
    if status != 201 {
        return Err(format!("POST /uploads answered {status}: {created}").into());
    }
    let upload = created["data"]["upload"]
        .as_str()
        .ok_or("no handle")?
        .to_owned();
    let count = created["data"]["partCount"]
        .as_u64()
        .ok_or("no partCount")?;
    let numbers: Vec<u64> = (1..=count).collect();
    let mut etags = Vec::with_capacity(count as usize);
    let parts_started = Instant::now();
    for batch in numbers.chunks(MAX_PARTS_PER_REQUEST) {
        let (status, signed) = app
            .post(
                &format!("/uploads/{upload}/parts"),
                token,
                &json!({ "parts": batch }),
            )
            .await;
        if status != 200 {
            return Err(format!("parts answered {status}: {signed}").into());
        }
        let urls = signed["data"]["urls"].as_array().ok_or("no urls")?.clone();
        let mut running = JoinSet::new();
        let mut urls = urls.into_iter();
        loop {
            while running.len() < IN_FLIGHT {
                let Some(url) = urls.next() else { break };
                let number = url["part"].as_u64().ok_or("no part")?;
                let (client, bytes) = (client.clone(), part(data, size, number));
                running.spawn(async move { (number, client.put(&url, bytes).await) });
            }
            let Some(done) = running.join_next().await else {
                break;
            };
            let (number, etag) = done?;
            etags.push(json!({"part": number, "etag": etag?}));
        }
    }
    let parts_took = parts_started.elapsed();
    let (status, done) = app
        .post(
            &format!("/uploads/{upload}/complete"),
            token,
            &json!({ "parts": etags }),
        )
        .await;
    if status != 201 {
        return Err(format!("complete answered {status}: {done}").into());
    }
    Ok(parts_took)
}

/// The same upload straight to S3 with the SDK; returns the time of its parts phase.
async fn directly(d: &Direct, key: &str, data: &Bytes) -> Result<Duration, BoxError> {
    let size = data.len() as u64;
    let upload_id = d
        .client
        .create_multipart_upload()
        .bucket(&d.bucket)
        .key(key)
        .content_type("application/octet-stream")
        .send()
        .await?
        .upload_id()
        .ok_or("no upload id")?
        .to_owned();
    let count = size.div_ceil(part_size(size));
    let mut numbers = 1..=count;
    let mut running = JoinSet::new();
    let mut parts = Vec::with_capacity(count as usize);
    let parts_started = Instant::now();
    loop {
        while running.len() < IN_FLIGHT {
            let Some(number) = numbers.next() else { break };
            let request = d
                .client
                .upload_part()
                .bucket(&d.bucket)
                .key(key)
                .upload_id(&upload_id)
                .part_number(number as i32)
                .body(part(data, size, number).into());
            running.spawn(async move { (number, request.send().await) });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (number, answer) = done?;
        let etag = answer?.e_tag().ok_or("no ETag")?.to_owned();
        parts.push(
            CompletedPart::builder()
                .part_number(number as i32)
                .e_tag(etag)
                .build(),
        );
    }
    let parts_took = parts_started.elapsed();
    parts.sort_by_key(|p| p.part_number());
    d.client
        .complete_multipart_upload()
        .bucket(&d.bucket)
        .key(key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await?;
    Ok(parts_took)
}
