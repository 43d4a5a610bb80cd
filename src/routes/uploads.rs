//! Resumable multipart uploads: begin (`POST /uploads`), signed part URLs a batch at a time,
//! received parts (`GET /uploads/{upload}`), complete, abort, and the caller's unfinished uploads
//! (`GET /uploads`), so that a page can pause, resume after a reload, and cancel.
//!
//! The parts go from the browser to S3 through URLs signed with the caller's own keys; S3 answers
//! an upload id it does not know at the caller's key with `NoSuchUpload`, and IAM confines every
//! call to the caller's folder, so a handle taken from another user reaches nothing of theirs.

use super::Input;
use super::files::{
    body_of, encode_next, expires_in, is_content_type, only_if_absent, page, rfc3339,
};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::response::Reply;
use crate::storage::{FileName, ObjectKey, UserBucket};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

const MIB: u64 = 1 << 20;
/// The smallest part size chosen (S3's smallest part is 5 MiB; 8 MiB is the AWS CLI's default).
const MIN_PART: u64 = 8 * MIB;
/// S3's most parts of one upload.
const MAX_PARTS: u64 = 10_000;
/// S3's largest object: 5 TiB.
pub const MAX_UPLOAD_BYTES: u64 = 5 << 40;
/// Part URLs signed per request: a page asks for the next batch as it goes.
pub const MAX_PARTS_PER_REQUEST: usize = 100;
/// Longest S3 upload id a handle may carry (AWS's are about 100-200 characters).
const MAX_UPLOAD_ID_BYTES: usize = 512;
/// Records whose details are fetched at once in `GET /uploads`.
const LIST_CONCURRENCY: usize = 8;
/// The largest upload record read back.
const MAX_RECORD_BYTES: usize = 4096;

/// The part size of an upload of `size` bytes: 8 MiB, or the smallest whole number of MiB that
/// keeps the upload within 10,000 parts (at most 525 MiB, for 5 TiB).
pub fn part_size(size: u64) -> u64 {
    MIN_PART.max(size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB)
}

/// An unfinished upload as clients hold it: opaque, unpadded base64url of `{"u","n","s"}`
/// (S3's upload id, the file name, the size). It binds the name and the upload id: every call
/// with it is made at the key of that name in the *caller's* folder, where S3 knows only the
/// caller's own uploads. Editing it reaches nothing more than the caller's own keys could.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadHandle {
    upload_id: String,
    name: FileName,
    size: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HandleFields {
    u: String,
    n: String,
    s: u64,
}

impl UploadHandle {
    /// Reads a handle from `POST /uploads`.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::InvalidParameter("upload", "a handle from POST /uploads");
        if raw.len() > 4096 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let fields: HandleFields = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let valid_id = (1..=MAX_UPLOAD_ID_BYTES).contains(&fields.u.len())
            && fields.u.bytes().all(|b| b.is_ascii_graphic());
        if !valid_id || !(1..=MAX_UPLOAD_BYTES).contains(&fields.s) {
            return Err(invalid());
        }
        Ok(UploadHandle {
            upload_id: fields.u,
            name: FileName::parse(&fields.n).map_err(|_| invalid())?,
            size: fields.s,
        })
    }

    /// The handle as clients hold it.
    pub fn encode(&self) -> String {
        let fields = HandleFields {
            u: self.upload_id.clone(),
            n: self.name.to_string(),
            s: self.size,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&fields).unwrap_or_default())
    }

    fn part_size(&self) -> u64 {
        part_size(self.size)
    }

    fn part_count(&self) -> u32 {
        u32::try_from(self.size.div_ceil(self.part_size())).unwrap_or(u32::MAX)
    }

    /// The exact size of part `number` (the last one holds the rest).
    fn part_len(&self, number: u32) -> u64 {
        let start = u64::from(number - 1) * self.part_size();
        self.part_size().min(self.size - start)
    }

    fn of(input: &Input<'_>) -> Result<Self, ApiError> {
        Self::parse(input.param("upload"))
    }
}

/// What a page needs to send the parts and to resume.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UploadOut {
    upload: String,
    name: String,
    size: u64,
    part_size: u64,
    part_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initiated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parts: Option<Vec<PartOut>>,
}

impl UploadOut {
    fn of(handle: &UploadHandle) -> Self {
        UploadOut {
            upload: handle.encode(),
            name: handle.name.to_string(),
            size: handle.size,
            part_size: handle.part_size(),
            part_count: handle.part_count(),
            content_type: None,
            initiated: None,
            parts: None,
        }
    }
}

#[derive(Serialize)]
struct PartOut {
    part: u32,
    size: u64,
    etag: String,
}

/// What the API writes in an upload's record (the record's name carries the size and upload id).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordBody {
    name: String,
    content_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewUploadBody {
    name: String,
    size: u64,
    content_type: String,
}

/// The input of `POST /uploads`: the file's name, exact size and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload {
    name: FileName,
    size: u64,
    content_type: String,
}

impl NewUpload {
    /// Parses `{"name","size","contentType"}`; `size` 1 byte to 5 TiB.
    pub fn parse(input: &Input<'_>) -> Result<Self, ApiError> {
        let ask: NewUploadBody = serde_json::from_slice(body_of(input.req)).map_err(|_| {
            ApiError::InvalidParameter(
                "body",
                "JSON {\"name\": string, \"size\": bytes, \"contentType\": string}",
            )
        })?;
        let name = FileName::parse(&ask.name)?;
        if ask.size > MAX_UPLOAD_BYTES {
            return Err(ApiError::PayloadTooLarge(MAX_UPLOAD_BYTES));
        }
        if ask.size == 0 {
            return Err(ApiError::InvalidParameter(
                "size",
                "at least 1 byte (PUT /files/{name} stores an empty file)",
            ));
        }
        if !is_content_type(&ask.content_type) {
            return Err(ApiError::InvalidParameter("contentType", "a media type"));
        }
        Ok(NewUpload {
            name,
            size: ask.size,
            content_type: ask.content_type,
        })
    }
}

/// `POST /uploads`: begins a multipart upload with the caller's keys and records it (so that
/// `GET /uploads` lists it); 201 with the handle, the part size and the part count.
pub async fn create(caller: &Caller<'_>, new: &NewUpload) -> Result<Reply, ApiError> {
    let upload_id = caller
        .change(|bucket| async move {
            let key = bucket.key(&new.name)?;
            bucket.create_upload(&key, &new.content_type).await
        })
        .await?;
    let handle = UploadHandle {
        upload_id,
        name: new.name.clone(),
        size: new.size,
    };
    let record = serde_json::to_vec(&RecordBody {
        name: new.name.to_string(),
        content_type: new.content_type.clone(),
    })
    .unwrap_or_default();
    let recorded = caller
        .change(|bucket| {
            let record = record.clone();
            let handle = &handle;
            async move {
                let key = bucket.upload_record(handle.size, &handle.upload_id);
                bucket.put(&key, record, "application/json", false).await
            }
        })
        .await;
    if let Err(err) = recorded {
        // Without its record the upload could not be listed: give it up rather than lose track.
        let _ = abort(caller, &handle).await;
        return Err(err);
    }
    let mut out = UploadOut::of(&handle);
    out.content_type = Some(new.content_type.clone());
    Ok(Reply::data(StatusCode::CREATED, "upload", out))
}

/// The input of `GET /uploads?limit=&next=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadsQuery {
    limit: u16,
    next: Option<String>,
}

impl UploadsQuery {
    /// Parses `limit` (1-1000, default 100) and `next`.
    pub fn parse(req: &Request) -> Result<Self, ApiError> {
        let (limit, next) = page(req)?;
        Ok(UploadsQuery { limit, next })
    }
}

/// One record's verdict: the upload as listed, or the record to remove (its upload is gone).
enum Found {
    Live(Box<UploadOut>),
    Stale(ObjectKey),
    Vanished,
}

/// `GET /uploads?limit=&next=`: the caller's unfinished uploads, oldest record name first. Each
/// record is checked against S3 (ListParts); records of uploads S3 no longer has (completed
/// elsewhere, or aborted by the bucket's lifecycle rule) are left out and removed.
pub async fn list(caller: &Caller<'_>, query: &UploadsQuery) -> Result<Reply, ApiError> {
    let (found, next) = caller
        .read(|bucket| {
            let next = query.next.clone();
            async move {
                let (records, next) = bucket.list_upload_records(query.limit, next).await?;
                let mut running = JoinSet::new();
                let mut found: Vec<Option<Found>> = Vec::new();
                found.resize_with(records.len(), || None);
                let mut records = records.into_iter().enumerate();
                loop {
                    while running.len() < LIST_CONCURRENCY {
                        let Some((i, record)) = records.next() else {
                            break;
                        };
                        let bucket = Arc::clone(&bucket);
                        running.spawn(async move { (i, examine(&bucket, record).await) });
                    }
                    let Some(done) = running.join_next().await else {
                        break;
                    };
                    let (i, verdict) = done.map_err(|e| {
                        ApiError::upstream(crate::error::Upstream::S3, e.to_string())
                    })?;
                    found[i] = Some(verdict?);
                }
                Ok((found, next))
            }
        })
        .await?;
    let mut uploads = Vec::new();
    let mut stale = Vec::new();
    for verdict in found.into_iter().flatten() {
        match verdict {
            Found::Live(upload) => uploads.push(*upload),
            Found::Stale(key) => stale.push(key),
            Found::Vanished => {}
        }
    }
    if !stale.is_empty() {
        // Housekeeping, after the read (and its user check) passed; a failure only means the
        // records are looked at again next time.
        if let Err(err) = caller
            .change(|bucket| {
                let stale = &stale;
                async move { bucket.delete_many(stale).await }
            })
            .await
        {
            err.log();
        }
    }
    Ok(Reply::data(
        StatusCode::OK,
        "uploads",
        serde_json::json!({ "uploads": uploads, "next": next.map(encode_next) }),
    ))
}

/// Reads one record and asks S3 whether its upload still exists.
async fn examine(
    bucket: &UserBucket,
    record: crate::storage::UploadRecord,
) -> Result<Found, ApiError> {
    let body = match bucket.small_object(&record.key, MAX_RECORD_BYTES).await {
        Ok(Some(body)) => body,
        Ok(None) => return Ok(Found::Stale(record.key)),
        // Completed or aborted since the listing.
        Err(ApiError::FileNotFound) => return Ok(Found::Vanished),
        Err(err) => return Err(err),
    };
    let Some(details) = serde_json::from_slice::<RecordBody>(&body)
        .ok()
        .and_then(|b| Some((FileName::parse(&b.name).ok()?, b.content_type)))
    else {
        return Ok(Found::Stale(record.key));
    };
    let handle = UploadHandle {
        upload_id: record.upload_id,
        name: details.0,
        size: record.size,
    };
    let key = bucket.key(&handle.name)?;
    match bucket.list_parts(&key, &handle.upload_id, true).await {
        Ok(_) => {
            let mut out = UploadOut::of(&handle);
            out.content_type = Some(details.1);
            out.initiated = record.initiated;
            Ok(Found::Live(Box::new(out)))
        }
        Err(ApiError::UploadNotFound) => Ok(Found::Stale(record.key)),
        Err(err) => Err(err),
    }
}

/// `GET /uploads/{upload}`: the upload and every part S3 has received (number, size, ETag), for
/// a client to resume: it sends only the missing parts.
pub async fn get(caller: &Caller<'_>, handle: &UploadHandle) -> Result<Reply, ApiError> {
    let parts = caller
        .read(|bucket| async move {
            let key = bucket.key(&handle.name)?;
            bucket.list_parts(&key, &handle.upload_id, false).await
        })
        .await?;
    let mut out = UploadOut::of(handle);
    out.parts = Some(
        parts
            .into_iter()
            .map(|p| PartOut {
                part: p.number,
                size: p.size,
                etag: p.etag,
            })
            .collect(),
    );
    Ok(Reply::data(StatusCode::OK, "upload", out))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PartsBody {
    parts: Vec<u32>,
    expires_in: Option<u64>,
}

/// The input of `POST /uploads/{upload}/parts`: which parts, and the URLs' lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartsAsk {
    upload: UploadHandle,
    parts: Vec<u32>,
    expires_in: Duration,
}

impl PartsAsk {
    /// Parses the handle and `{"parts": [1, 2, ...][, "expiresIn": seconds]}`: 1-100 distinct
    /// part numbers, each from 1 to the upload's part count.
    pub fn parse(input: &Input<'_>) -> Result<Self, ApiError> {
        let upload = UploadHandle::of(input)?;
        let body: PartsBody = serde_json::from_slice(body_of(input.req))
            .map_err(|_| ApiError::InvalidParameter("body", "JSON {\"parts\": [part numbers]}"))?;
        let mut parts = body.parts;
        parts.sort_unstable();
        parts.dedup();
        let count = upload.part_count();
        let in_range = parts.first().is_some_and(|first| *first >= 1)
            && parts.last().is_some_and(|last| *last <= count);
        if !in_range || parts.len() > MAX_PARTS_PER_REQUEST {
            return Err(ApiError::InvalidParameter(
                "parts",
                "1 to 100 part numbers, each from 1 to partCount",
            ));
        }
        let expires_in = expires_in(body.expires_in.map(|s| s.to_string()).as_deref())?;
        Ok(PartsAsk {
            upload,
            parts,
            expires_in,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartUrl {
    part: u32,
    url: String,
    method: &'static str,
    headers: serde_json::Map<String, serde_json::Value>,
    expires_at: String,
}

/// `POST /uploads/{upload}/parts`: a PUT URL per part, signed with the caller's keys, each with
/// its part's exact size, never valid past the keys' own expiry. No S3 call.
pub async fn sign_parts(caller: &Caller<'_>, ask: &PartsAsk) -> Result<Reply, ApiError> {
    let upload = &ask.upload;
    let urls = caller
        .change(|bucket| async move {
            let key = bucket.key(&upload.name)?;
            let mut urls = Vec::with_capacity(ask.parts.len());
            for &part in &ask.parts {
                let url = bucket
                    .presign_part(
                        &key,
                        &upload.upload_id,
                        part,
                        upload.part_len(part),
                        ask.expires_in,
                    )
                    .await?;
                urls.push(PartUrl {
                    part,
                    url: url.url,
                    method: "PUT",
                    headers: url
                        .headers
                        .into_iter()
                        .map(|(k, v)| (k, serde_json::Value::String(v)))
                        .collect(),
                    expires_at: rfc3339(url.expires_at),
                });
            }
            Ok(urls)
        })
        .await?;
    Ok(Reply::data(
        StatusCode::OK,
        "upload-parts",
        serde_json::json!({ "upload": upload.encode(), "urls": urls }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompletedPartBody {
    part: u32,
    etag: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteBody {
    parts: Vec<CompletedPartBody>,
}

/// The input of `POST /uploads/{upload}/complete`: every part's ETag, and `If-None-Match: *`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    upload: UploadHandle,
    parts: Vec<(u32, String)>,
    only_if_absent: bool,
}

impl Completion {
    /// Parses the handle, `If-None-Match` and `{"parts": [{"part": n, "etag": "..."}]}`, which
    /// must name every part from 1 to the part count once (so the file has the announced size).
    pub fn parse(input: &Input<'_>) -> Result<Self, ApiError> {
        let upload = UploadHandle::of(input)?;
        let only_if_absent = only_if_absent(input.req)?;
        let invalid = || {
            ApiError::InvalidParameter(
                "parts",
                "every part from 1 to partCount once, each with the ETag S3 answered",
            )
        };
        let body: CompleteBody = serde_json::from_slice(body_of(input.req)).map_err(|_| {
            ApiError::InvalidParameter(
                "body",
                "JSON {\"parts\": [{\"part\": n, \"etag\": string}]}",
            )
        })?;
        let mut parts: Vec<(u32, String)> =
            body.parts.into_iter().map(|p| (p.part, p.etag)).collect();
        parts.sort_unstable_by_key(|(number, _)| *number);
        let complete = parts.len() == upload.part_count() as usize
            && parts.iter().zip(1..).all(|((number, etag), expected)| {
                *number == expected
                    && (1..=128).contains(&etag.len())
                    && etag.bytes().all(|b| b.is_ascii_graphic())
            });
        if !complete {
            return Err(invalid());
        }
        Ok(Completion {
            upload,
            parts,
            only_if_absent,
        })
    }
}

#[derive(Serialize)]
struct Stored {
    name: String,
    size: u64,
    etag: Option<String>,
}

/// `POST /uploads/{upload}/complete`: assembles the file; 201 when it is new, 200 when it
/// replaced one (412 `file_exists` with `If-None-Match: *`). The upload's record is removed.
pub async fn complete(caller: &Caller<'_>, done: &Completion) -> Result<Reply, ApiError> {
    let upload = &done.upload;
    let (existed, etag) = caller
        .change(|bucket| async move {
            let key = bucket.key(&upload.name)?;
            let existed = bucket.exists(&key).await?;
            if existed && done.only_if_absent {
                return Err(ApiError::FileExists);
            }
            let etag = bucket
                .complete_upload(&key, &upload.upload_id, &done.parts, done.only_if_absent)
                .await?;
            Ok((existed, etag))
        })
        .await?;
    forget(caller, upload).await;
    Ok(Reply::stored(
        !existed,
        "file",
        Stored {
            name: upload.name.to_string(),
            size: upload.size,
            etag,
        },
    ))
}

/// `DELETE /uploads/{upload}`: abandons the upload and its parts; 204 whether or not S3 still
/// had it.
pub async fn cancel(caller: &Caller<'_>, handle: &UploadHandle) -> Result<Reply, ApiError> {
    abort(caller, handle).await?;
    forget(caller, handle).await;
    Ok(Reply::NoContent)
}

async fn abort(caller: &Caller<'_>, handle: &UploadHandle) -> Result<(), ApiError> {
    caller
        .change(|bucket| async move {
            let key = bucket.key(&handle.name)?;
            bucket.abort_upload(&key, &handle.upload_id).await
        })
        .await
}

/// Removes the upload's record; a failure is logged, and `GET /uploads` removes the record the
/// next time it finds the upload gone.
async fn forget(caller: &Caller<'_>, handle: &UploadHandle) {
    let removed = caller
        .change(|bucket| async move {
            bucket
                .delete(&bucket.upload_record(handle.size, &handle.upload_id))
                .await
        })
        .await;
    if let Err(err) = removed {
        err.log();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_stay_within_s3s_limits() {
        assert_eq!(part_size(1), MIN_PART);
        assert_eq!(part_size(1 << 30), MIN_PART);
        assert_eq!(part_size(MIN_PART * MAX_PARTS), MIN_PART);
        assert_eq!(part_size(MIN_PART * MAX_PARTS + 1), 9 * MIB);
        let largest = part_size(MAX_UPLOAD_BYTES);
        assert_eq!(largest, 525 * MIB);
        assert!(MAX_UPLOAD_BYTES.div_ceil(largest) <= MAX_PARTS);
        assert!(largest <= 5 << 30, "at most S3's 5 GiB part");
        for size in [
            1,
            MIN_PART - 1,
            MIN_PART,
            MIN_PART + 1,
            3 << 30,
            MAX_UPLOAD_BYTES,
        ] {
            let handle = UploadHandle {
                upload_id: "u".into(),
                name: FileName::parse("f").unwrap(),
                size,
            };
            let count = handle.part_count();
            let total: u64 = (1..=count).map(|n| handle.part_len(n)).sum();
            assert_eq!(total, size, "{size}");
            assert!(handle.part_len(count) >= 1 && u64::from(count) <= MAX_PARTS);
        }
    }

    #[test]
    fn handles_round_trip_and_refuse_anything_else() {
        let handle = UploadHandle {
            upload_id: "2~abc.DEF_-+/=".into(),
            name: FileName::parse("a/été.bin").unwrap(),
            size: 42,
        };
        assert_eq!(UploadHandle::parse(&handle.encode()).unwrap(), handle);
        let encode = |json: &str| URL_SAFE_NO_PAD.encode(json);
        for bad in [
            String::new(),
            "!!".into(),
            encode("{}"),
            encode(r#"{"u":"x","n":"../a","s":1}"#),
            encode(r#"{"u":"x","n":"a","s":0}"#),
            encode(r#"{"u":"x","n":"a","s":5497558138881}"#),
            encode(r#"{"u":"","n":"a","s":1}"#),
            encode(r#"{"u":"a b","n":"a","s":1}"#),
            encode(r#"{"u":"x","n":"a","s":1,"k":"cognito-test/other/a"}"#),
            encode(&format!(r#"{{"u":"{}","n":"a","s":1}}"#, "x".repeat(513))),
        ] {
            assert!(UploadHandle::parse(&bad).is_err(), "{bad}");
        }
    }
}
