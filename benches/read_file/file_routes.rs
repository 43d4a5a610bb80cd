//! (h) The routes of issue 21 (uploads, folders, copies and moves), warm, each against the direct
//! S3 calls of the same kind made with the same user's keys by a prebuilt client: what the route
//! adds on top of S3. `GET /uploads` is measured against ListMultipartUploads by the fixture
//! principal: the users' role may not list unfinished uploads (S3 cannot confine that listing to
//! a folder), which is why the route reads its own records instead.

use crate::parts::PartClient;
use crate::report::{Samples, expect, ratios};
use crate::routes::Direct;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use serde_json::{Value, json};
use std::time::Duration;
use support::{TestApp, file_path, request_with_body};

/// Samples per route and side.
pub const SAMPLES: usize = 100;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Each route, and the direct calls it is measured against.
const ROUTES: [(&str, &str); 11] = [
    ("list level (delimiter=/)", "ListObjectsV2 with Delimiter"),
    ("PUT /folders", "PutObject (marker)"),
    ("DELETE /folders (1 key)", "ListObjectsV2 + DeleteObjects"),
    ("POST /copies", "CopyObject"),
    ("POST /moves", "CopyObject + DeleteObject"),
    ("POST /uploads", "CreateMultipartUpload"),
    (
        "POST /uploads/{u}/parts (1 URL)",
        "UploadPart presigned by the SDK, no call",
    ),
    ("GET /uploads/{u}", "ListParts"),
    ("GET /uploads", "ListMultipartUploads (fixture principal)"),
    ("POST /uploads/{u}/complete", "CompleteMultipartUpload"),
    ("DELETE /uploads/{u}", "AbortMultipartUpload"),
];

async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let body = if body.is_null() {
        vec![]
    } else {
        body.to_string().into_bytes()
    };
    app.call(request_with_body(method, path, &[("idToken", token)], body))
        .await
}

/// Medians of each route and of its direct calls, with their ratio.
pub async fn measure(
    app: &TestApp,
    token: &str,
    direct: &Direct,
    fixture: &aws_sdk_s3::Client,
) -> Result<Value, BoxError> {
    let parts = PartClient::new();
    for i in 0..10 {
        expect(
            "PUT",
            app.put(
                &file_path(&format!("h/file-{i}.bin")),
                token,
                &[7; 1024],
                &[],
            )
            .await,
            201,
        )?;
    }
    let (mut ours, mut theirs) = (Samples::default(), Samples::default());
    for i in 0..SAMPLES {
        let first_ours = i % 2 == 0;
        for side in [first_ours, !first_ours] {
            if side {
                ours_once(app, token, &parts, i, &mut ours).await?;
            } else {
                direct_once(direct, fixture, i, &mut theirs).await?;
            }
        }
    }
    ratios(&ROUTES, &mut ours, &mut theirs)
}

async fn ours_once(
    app: &TestApp,
    token: &str,
    parts: &PartClient,
    i: usize,
    timer: &mut Samples,
) -> Result<(), BoxError> {
    let [
        level,
        mkdir,
        rmdir,
        copy,
        mv,
        create,
        sign,
        get,
        list,
        complete,
        abort,
    ] = ROUTES.map(|(r, _)| r);
    timer
        .time(level, async {
            expect(
                "level",
                app.get("/files?prefix=h&delimiter=/&limit=10", token).await,
                200,
            )
        })
        .await?;
    timer
        .time(mkdir, async {
            expect(
                "mkdir",
                send(app, "PUT", &format!("/folders/h/d-{i}"), token, Value::Null).await,
                201,
            )
        })
        .await?;
    timer
        .time(rmdir, async {
            expect(
                "rmdir",
                send(
                    app,
                    "DELETE",
                    &format!("/folders/h/d-{i}"),
                    token,
                    Value::Null,
                )
                .await,
                200,
            )
        })
        .await?;
    let (copied, moved) = (format!("h/c/{i}.bin"), format!("h/m/{i}.bin"));
    timer
        .time(copy, async {
            let body = json!({"from": "h/file-0.bin", "to": copied});
            expect("copy", send(app, "POST", "/copies", token, body).await, 201)
        })
        .await?;
    timer
        .time(mv, async {
            let body = json!({"from": copied, "to": moved});
            expect("move", send(app, "POST", "/moves", token, body).await, 201)
        })
        .await?;
    let name = format!("h/u/{i}.bin");
    let upload = timer
        .time(create, async {
            let body =
                json!({"name": name, "size": 100, "contentType": "application/octet-stream"});
            expect(
                "create",
                send(app, "POST", "/uploads", token, body).await,
                201,
            )
        })
        .await?["data"]["upload"]
        .as_str()
        .ok_or("no handle")?
        .to_owned();
    let signed = timer
        .time(sign, async {
            let body = json!({"parts": [1]});
            expect(
                "sign",
                send(
                    app,
                    "POST",
                    &format!("/uploads/{upload}/parts"),
                    token,
                    body,
                )
                .await,
                200,
            )
        })
        .await?;
    let etag = parts
        .put(&signed["data"]["urls"][0], vec![1u8; 100].into())
        .await?;
    timer
        .time(get, async {
            expect(
                "get-upload",
                app.get(&format!("/uploads/{upload}"), token).await,
                200,
            )
        })
        .await?;
    timer
        .time(list, async {
            expect("list-uploads", app.get("/uploads", token).await, 200)
        })
        .await?;
    timer
        .time(complete, async {
            let body = json!({"parts": [{"part": 1, "etag": etag}]});
            let path = format!("/uploads/{upload}/complete");
            expect("complete", send(app, "POST", &path, token, body).await, 201)
        })
        .await?;
    let body = json!({"name": format!("h/a/{i}.bin"), "size": 100, "contentType": "a/b"});
    let doomed = expect(
        "create",
        send(app, "POST", "/uploads", token, body).await,
        201,
    )?;
    let doomed = doomed["data"]["upload"]
        .as_str()
        .ok_or("no handle")?
        .to_owned();
    timer
        .time(abort, async {
            let status = app.delete(&format!("/uploads/{doomed}"), token).await;
            if status == 204 {
                Ok(())
            } else {
                Err(format!("abort answered {status}").into())
            }
        })
        .await?;
    Ok(())
}

async fn direct_once(
    d: &Direct,
    fixture: &aws_sdk_s3::Client,
    i: usize,
    timer: &mut Samples,
) -> Result<(), BoxError> {
    let [
        level,
        mkdir,
        rmdir,
        copy,
        mv,
        create,
        sign,
        get,
        list,
        complete,
        abort,
    ] = ROUTES.map(|(r, _)| r);
    let (s3, bucket, folder) = (&d.client, d.bucket.as_str(), d.folder.as_str());
    timer
        .time(level, async {
            s3.list_objects_v2()
                .bucket(bucket)
                .prefix(format!("{folder}h/"))
                .delimiter("/")
                .max_keys(10)
                .send()
                .await?;
            Ok(())
        })
        .await?;
    let marker = format!("{folder}x/d-{i}/");
    timer
        .time(mkdir, async {
            s3.put_object()
                .bucket(bucket)
                .key(&marker)
                .if_none_match("*")
                .body(Vec::new().into())
                .send()
                .await?;
            Ok(())
        })
        .await?;
    timer
        .time(rmdir, async {
            let listed = s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(&marker)
                .max_keys(1000)
                .send()
                .await?;
            let objects = listed
                .contents()
                .iter()
                .filter_map(|o| ObjectIdentifier::builder().key(o.key()?).build().ok())
                .collect();
            s3.delete_objects()
                .bucket(bucket)
                .delete(
                    Delete::builder()
                        .set_objects(Some(objects))
                        .quiet(true)
                        .build()?,
                )
                .send()
                .await?;
            Ok(())
        })
        .await?;
    let source = format!("{bucket}/{}h/file-0.bin", folder.replace(':', "%3A"));
    let (copied, moved) = (
        format!("{folder}x/c/{i}.bin"),
        format!("{folder}x/m/{i}.bin"),
    );
    timer
        .time(copy, async {
            s3.copy_object()
                .bucket(bucket)
                .key(&copied)
                .copy_source(&source)
                .send()
                .await?;
            Ok(())
        })
        .await?;
    timer
        .time(mv, async {
            s3.copy_object()
                .bucket(bucket)
                .key(&moved)
                .copy_source(format!("{bucket}/{}", copied.replace(':', "%3A")))
                .send()
                .await?;
            s3.delete_object()
                .bucket(bucket)
                .key(&copied)
                .send()
                .await?;
            Ok(())
        })
        .await?;
    let key = format!("{folder}x/u/{i}.bin");
    let upload_id = timer
        .time(create, async {
            let out = s3
                .create_multipart_upload()
                .bucket(bucket)
                .key(&key)
                .content_type("application/octet-stream")
                .send()
                .await?;
            Ok(out.upload_id().ok_or("no upload id")?.to_owned())
        })
        .await?;
    timer
        .time(sign, async {
            s3.upload_part()
                .bucket(bucket)
                .key(&key)
                .upload_id(&upload_id)
                .part_number(1)
                .content_length(100)
                .presigned(PresigningConfig::expires_in(Duration::from_secs(900))?)
                .await?;
            Ok(())
        })
        .await?;
    let etag = s3
        .upload_part()
        .bucket(bucket)
        .key(&key)
        .upload_id(&upload_id)
        .part_number(1)
        .body(vec![1u8; 100].into())
        .send()
        .await?
        .e_tag()
        .ok_or("no ETag")?
        .to_owned();
    timer
        .time(get, async {
            s3.list_parts()
                .bucket(bucket)
                .key(&key)
                .upload_id(&upload_id)
                .send()
                .await?;
            Ok(())
        })
        .await?;
    timer
        .time(list, async {
            fixture
                .list_multipart_uploads()
                .bucket(bucket)
                .prefix(folder)
                .send()
                .await?;
            Ok(())
        })
        .await?;
    timer
        .time(complete, async {
            s3.complete_multipart_upload()
                .bucket(bucket)
                .key(&key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .parts(CompletedPart::builder().part_number(1).e_tag(&etag).build())
                        .build(),
                )
                .send()
                .await?;
            Ok(())
        })
        .await?;
    let doomed_key = format!("{folder}x/a/{i}.bin");
    let doomed = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(&doomed_key)
        .send()
        .await?
        .upload_id()
        .ok_or("no upload id")?
        .to_owned();
    timer
        .time(abort, async {
            s3.abort_multipart_upload()
                .bucket(bucket)
                .key(&doomed_key)
                .upload_id(&doomed)
                .send()
                .await?;
            Ok(())
        })
        .await?;
    Ok(())
}
