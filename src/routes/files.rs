//! The per-user file API: list, get (metadata + a signed download URL), put, delete, and signed
//! upload URLs for large files. Every key is built by the caller's own [`UserBucket`] from their
//! IdentityId, and every S3 call is made with their own keys.
//!
//! [`UserBucket`]: crate::storage::UserBucket

use crate::auth::Caller;
use crate::error::ApiError;
use crate::response::Reply;
use crate::storage::{FileInfo, FileName, SignedUrl};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Default and largest `limit` of a listing.
const LIST_LIMIT: (u16, u16) = (100, 1000);
/// Default and longest life of a signed URL, in seconds (never past the keys' own expiry).
const URL_SECONDS: (u64, u64) = (900, 3600);
/// Stored when a PUT names no `Content-Type`.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    name: String,
    size: u64,
    last_modified: Option<String>,
    etag: Option<String>,
}

/// The input of `GET /files?prefix=&limit=&next=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    sub: Option<FileName>,
    limit: u16,
    next: Option<String>,
}

impl ListQuery {
    /// Parses the query string: an optional folder, 1-1000 files per page, a continuation.
    pub fn parse(req: &Request) -> Result<Self, ApiError> {
        let query = req.query_string_parameters();
        let sub = match query.first("prefix").map(|p| p.trim_end_matches('/')) {
            None | Some("") => None,
            Some(folder) => Some(FileName::parse(folder).map_err(|_| {
                ApiError::InvalidParameter("prefix", "a folder name as file names are written")
            })?),
        };
        let limit = match query.first("limit") {
            None => LIST_LIMIT.0,
            Some(v) => v
                .parse::<u16>()
                .ok()
                .filter(|n| (1..=LIST_LIMIT.1).contains(n))
                .ok_or(ApiError::InvalidParameter(
                    "limit",
                    "a whole number from 1 to 1000",
                ))?,
        };
        let next = match query.first("next") {
            None | Some("") => None,
            Some(token) => Some(decode_next(token)?),
        };
        Ok(ListQuery { sub, limit, next })
    }
}

/// `GET /files?prefix=&limit=&next=`
pub async fn list(caller: &Caller<'_>, query: &ListQuery) -> Result<Reply, Arc<ApiError>> {
    let page = caller
        .read(|bucket| {
            let next = query.next.clone();
            async move { bucket.list(query.sub.as_ref(), query.limit, next).await }
        })
        .await?;
    let files: Vec<Listed> = page
        .files
        .into_iter()
        .map(|f| Listed {
            name: f.name,
            size: f.size,
            last_modified: f.last_modified,
            etag: f.etag,
        })
        .collect();
    let next = page.next.map(|t| URL_SAFE_NO_PAD.encode(t));
    Ok(Reply::data(
        StatusCode::OK,
        "list",
        serde_json::json!({ "files": files, "next": next }),
    ))
}

/// The continuation token as S3 gave it. It is opaque to clients, and harmless if edited: every
/// listing is made with the caller's own folder as prefix, which IAM also enforces.
fn decode_next(token: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::InvalidParameter("next", "a value from a previous listing");
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileWithUrl {
    name: String,
    size: u64,
    last_modified: Option<String>,
    etag: Option<String>,
    content_type: Option<String>,
    url: String,
    url_expires_at: String,
}

/// The `expiresIn` query parameter of `GET /files/{name+}`.
pub fn url_lifetime(req: &Request) -> Result<Duration, ApiError> {
    expires_in(req.query_string_parameters().first("expiresIn"))
}

/// `GET /files/{name+}?expiresIn=`
pub async fn get(
    caller: &Caller<'_>,
    name: &FileName,
    expires_in: Duration,
) -> Result<Reply, Arc<ApiError>> {
    let (info, url): (FileInfo, SignedUrl) = caller
        .read(|bucket| async move {
            let key = bucket.key(name)?;
            let info = bucket.head(&key).await?;
            let url = bucket.presign_get(&key, expires_in).await?;
            Ok((info, url))
        })
        .await?;
    Ok(Reply::data(
        StatusCode::OK,
        "file",
        FileWithUrl {
            name: name.to_string(),
            size: info.size,
            last_modified: info.last_modified,
            etag: info.etag,
            content_type: info.content_type,
            url: url.url,
            url_expires_at: rfc3339(url.expires_at),
        },
    ))
}

#[derive(Serialize)]
struct Stored {
    name: String,
    size: u64,
    etag: Option<String>,
}

/// The input of `PUT /files/{name+}`: the body and how to store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload<'r> {
    body: &'r [u8],
    content_type: String,
    only_if_absent: bool,
}

impl<'r> Upload<'r> {
    /// Reads the body (at most `max_bytes`), `Content-Type` and `If-None-Match: *`.
    pub fn parse(req: &'r Request, max_bytes: u64) -> Result<Self, ApiError> {
        let only_if_absent = match req.headers().get("if-none-match").map(|v| v.as_bytes()) {
            None => false,
            Some(b"*") => true,
            Some(_) => {
                return Err(ApiError::InvalidParameter(
                    "If-None-Match",
                    "only * is supported",
                ));
            }
        };
        let content_type = match req.headers().get("content-type") {
            None => DEFAULT_CONTENT_TYPE.to_owned(),
            Some(v) => v
                .to_str()
                .ok()
                .filter(|t| is_content_type(t))
                .ok_or(ApiError::InvalidParameter("Content-Type", "a media type"))?
                .to_owned(),
        };
        let body = body_of(req);
        if body.len() as u64 > max_bytes {
            return Err(ApiError::PayloadTooLarge(max_bytes));
        }
        Ok(Upload {
            body,
            content_type,
            only_if_absent,
        })
    }
}

fn body_of(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// `PUT /files/{name+}`: 201 when the file is new, 200 when it replaced one.
pub async fn put(
    caller: &Caller<'_>,
    name: &FileName,
    upload: &Upload<'_>,
) -> Result<Reply, Arc<ApiError>> {
    let (created, etag) = caller
        .change(|bucket| async move {
            let key = bucket.key(name)?;
            let (body, content_type) = (upload.body, upload.content_type.as_str());
            // A conditional write first tells new from replaced without a race-prone HEAD.
            match bucket.put(&key, body.to_vec(), content_type, true).await {
                Ok(etag) => Ok((true, etag)),
                Err(ApiError::FileExists) if !upload.only_if_absent => Ok((
                    false,
                    bucket.put(&key, body.to_vec(), content_type, false).await?,
                )),
                Err(err) => Err(err),
            }
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(Reply::data(
        status,
        "file",
        Stored {
            name: name.to_string(),
            size: upload.body.len() as u64,
            etag,
        },
    ))
}

/// `DELETE /files/{name+}`: 204 whether or not the file existed.
pub async fn delete(caller: &Caller<'_>, name: &FileName) -> Result<Reply, Arc<ApiError>> {
    caller
        .change(|bucket| async move { bucket.delete(&bucket.key(name)?).await })
        .await?;
    Ok(Reply::NoContent)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UploadRequest {
    name: String,
    size: u64,
    content_type: String,
    expires_in: Option<u64>,
}

/// The input of `POST /upload-urls`: which file, its exact size and type, the URL's lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadAsk {
    name: FileName,
    size: u64,
    content_type: String,
    expires_in: Duration,
}

impl UploadAsk {
    /// Parses `{"name","size","contentType"[,"expiresIn"]}`; `size` at most `max_bytes`.
    pub fn parse(req: &Request, max_bytes: u64) -> Result<Self, ApiError> {
        let ask: UploadRequest = serde_json::from_slice(body_of(req)).map_err(|_| {
            ApiError::InvalidParameter(
                "body",
                "JSON {\"name\": string, \"size\": bytes, \"contentType\": string}",
            )
        })?;
        let name = FileName::parse(&ask.name)?;
        if ask.size > max_bytes {
            return Err(ApiError::PayloadTooLarge(max_bytes));
        }
        if !is_content_type(&ask.content_type) {
            return Err(ApiError::InvalidParameter("contentType", "a media type"));
        }
        let expires_in = expires_in(ask.expires_in.map(|s| s.to_string()).as_deref())?;
        Ok(UploadAsk {
            name,
            size: ask.size,
            content_type: ask.content_type,
            expires_in,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UploadUrl {
    name: String,
    url: String,
    method: &'static str,
    headers: serde_json::Map<String, serde_json::Value>,
    url_expires_at: String,
}

/// `POST /upload-urls`: a signed PUT URL for exactly that size and type, for files too large
/// to pass through API Gateway and Lambda.
pub async fn create_upload_url(
    caller: &Caller<'_>,
    ask: &UploadAsk,
) -> Result<Reply, Arc<ApiError>> {
    let url = caller
        .change(|bucket| async move {
            let key = bucket.key(&ask.name)?;
            bucket
                .presign_put(&key, ask.size, &ask.content_type, ask.expires_in)
                .await
        })
        .await?;
    let headers = url
        .headers
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    Ok(Reply::data(
        StatusCode::OK,
        "upload-url",
        UploadUrl {
            name: ask.name.to_string(),
            url: url.url,
            method: "PUT",
            headers,
            url_expires_at: rfc3339(url.expires_at),
        },
    ))
}

fn expires_in(raw: Option<&str>) -> Result<Duration, ApiError> {
    let seconds = match raw {
        None => URL_SECONDS.0,
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=URL_SECONDS.1).contains(s))
            .ok_or(ApiError::InvalidParameter(
                "expiresIn",
                "seconds from 1 to 3600",
            ))?,
    };
    Ok(Duration::from_secs(seconds))
}

/// `type/subtype[; parameters]` in visible ASCII, at most 255 bytes.
fn is_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    value.len() <= 255
        && value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && essence
            .split_once('/')
            .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty() && !s.contains('/'))
}

fn rfc3339(at: SystemTime) -> String {
    aws_smithy_types::DateTime::from(at)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}
