//! The per-user file API: list, get (metadata + a signed download URL), put, delete, and signed
//! upload URLs for large files. Every key is built by the caller's own [`UserBucket`] from their
//! IdentityId, and every S3 call is made with their own keys.
//!
//! [`UserBucket`]: crate::storage::UserBucket

use super::Input;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::response::Reply;
use crate::storage::{Attachment, FileInfo, FileName, SignedUrl, StoredName};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

/// Default and largest `limit` of a listing.
const LIST_LIMIT: (u16, u16) = (100, 1000);
/// Default and longest life of a signed URL, in seconds (never past the keys' own expiry).
const URL_SECONDS: (u64, u64) = (900, 3600);
/// Stored when a PUT names no `Content-Type`.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
/// Media types a browser shows without running anything in the page's origin (the bucket's).
/// Any other stored type, script-capable ones (`text/html`, `image/svg+xml`, XML, ...) above all,
/// is handed out as a download of `application/octet-stream`, never rendered on the bucket's host.
const INLINE_TYPES: &[&str] = &[
    "text/plain",
    "application/json",
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
    "audio/*",
    "video/*",
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    name: String,
    size: u64,
    last_modified: Option<String>,
    etag: Option<String>,
    /// Present (`false`) only for a name the API's rules refuse (stored directly with the
    /// caller's keys): no path reaches it, `DELETE /files?id=` removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    addressable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
}

impl From<FileInfo> for Listed {
    fn from(f: FileInfo) -> Self {
        let stray = f.name.file_name().is_none();
        Listed {
            id: stray.then(|| f.name.id()),
            addressable: stray.then_some(false),
            name: f.name.as_str().to_owned(),
            size: f.size,
            last_modified: f.last_modified,
            etag: f.etag,
        }
    }
}

/// The input of `GET /files?prefix=&delimiter=&limit=&next=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    sub: Option<FileName>,
    one_level: bool,
    limit: u16,
    next: Option<String>,
}

impl ListQuery {
    /// Parses the query string: an optional folder, `delimiter=/` for one level, 1-1000 entries
    /// per page, a continuation.
    pub fn parse(req: &Request) -> Result<Self, ApiError> {
        let query = req.query_string_parameters();
        let sub = match query.first("prefix").map(|p| p.trim_end_matches('/')) {
            None | Some("") => None,
            Some(folder) => Some(FileName::parse(folder).map_err(|_| {
                ApiError::InvalidParameter("prefix", "a folder name as file names are written")
            })?),
        };
        let one_level = match query.first("delimiter") {
            None => false,
            Some("/") => true,
            Some(_) => {
                return Err(ApiError::InvalidParameter(
                    "delimiter",
                    "only / is supported",
                ));
            }
        };
        let (limit, next) = page(req)?;
        Ok(ListQuery {
            sub,
            one_level,
            limit,
            next,
        })
    }
}

/// `limit` (1-1000, default 100) and `next` (a continuation from a previous page) of a listing.
pub(super) fn page(req: &Request) -> Result<(u16, Option<String>), ApiError> {
    let query = req.query_string_parameters();
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
    Ok((limit, next))
}

#[derive(Serialize)]
struct Folder {
    name: String,
    /// Present (`false`) only for a folder whose name the API's rules refuse.
    #[serde(skip_serializing_if = "Option::is_none")]
    addressable: Option<bool>,
}

/// `GET /files?prefix=&delimiter=&limit=&next=`: the files (all below the folder, or with
/// `delimiter=/` only that level's, and its sub-folders in `folders`).
pub async fn list(caller: &Caller<'_>, query: &ListQuery) -> Result<Reply, ApiError> {
    let page = caller
        .read(|bucket| {
            let next = query.next.clone();
            async move {
                bucket
                    .list(query.sub.as_ref(), query.limit, next, query.one_level)
                    .await
            }
        })
        .await?;
    let files: Vec<Listed> = page.files.into_iter().map(Listed::from).collect();
    let next = page.next.map(|t| URL_SAFE_NO_PAD.encode(t));
    let mut data = serde_json::json!({ "files": files, "next": next });
    if query.one_level {
        let folders: Vec<Folder> = page
            .folders
            .into_iter()
            .map(|f| Folder {
                addressable: f.file_name().is_none().then_some(false),
                name: f.as_str().to_owned(),
            })
            .collect();
        data["folders"] = serde_json::json!(folders);
    }
    Ok(Reply::data(StatusCode::OK, "list", data))
}

/// An encoded continuation token (`next`) from S3's.
pub(super) fn encode_next(token: String) -> String {
    URL_SAFE_NO_PAD.encode(token)
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
pub(super) struct FileWithUrl {
    pub(super) name: String,
    pub(super) size: u64,
    pub(super) last_modified: Option<String>,
    pub(super) etag: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) url: String,
    pub(super) url_expires_at: String,
    /// `inline` or `attachment`: how S3 answers the URL.
    pub(super) disposition: &'static str,
}

/// The input of `GET /files/{name+}?expiresIn=&download=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetFile {
    name: FileName,
    expires_in: Duration,
    download: bool,
}

impl GetFile {
    /// The name, the URL's lifetime and whether it must download rather than display.
    pub fn parse(input: &Input<'_>) -> Result<Self, ApiError> {
        let (expires_in, download) = url_options(input.req)?;
        Ok(GetFile {
            name: input.file_name()?,
            expires_in,
            download,
        })
    }

    /// The file's name.
    pub fn name(&self) -> &FileName {
        &self.name
    }
}

/// A download URL's `expiresIn` and `download` query parameters.
pub(super) fn url_options(req: &Request) -> Result<(Duration, bool), ApiError> {
    let query = req.query_string_parameters();
    let download = match query.first("download") {
        None | Some("0" | "false") => false,
        Some("1" | "true") => true,
        Some(_) => return Err(ApiError::InvalidParameter("download", "1 or 0")),
    };
    Ok((expires_in(query.first("expiresIn"))?, download))
}

/// `GET /files/{name+}?expiresIn=&download=`: metadata and a GET URL signed with the caller's
/// keys. The URL displays the file only for [`INLINE_TYPES`]; every other type, and any file with
/// `download=1`, comes as an attachment named after the file's last segment.
pub async fn get(caller: &Caller<'_>, get: &GetFile) -> Result<Reply, ApiError> {
    let (info, url, attachment) = caller
        .read(|bucket| async move {
            let key = bucket.key(&get.name)?;
            let info = bucket.head(&key).await?;
            let attachment = attachment_for(&get.name, info.content_type.as_deref(), get.download);
            let url = bucket
                .presign_get(&key, get.expires_in, attachment.as_ref())
                .await?;
            Ok((info, url, attachment.is_some()))
        })
        .await?;
    Ok(Reply::data(
        StatusCode::OK,
        "file",
        FileWithUrl {
            name: get.name.to_string(),
            size: info.size,
            last_modified: info.last_modified,
            etag: info.etag,
            content_type: info.content_type,
            url: url.url,
            url_expires_at: rfc3339(url.expires_at),
            disposition: if attachment { "attachment" } else { "inline" },
        },
    ))
}

/// How a signed URL of `name`, stored as `content_type`, must make S3 answer: `None` to display
/// it as stored, else as an attachment (RFC 6266, the name in RFC 5987's `filename*`), typed
/// `application/octet-stream` unless its stored type is safe to display.
pub(super) fn attachment_for(
    name: &FileName,
    content_type: Option<&str>,
    download: bool,
) -> Option<Attachment> {
    let inline = content_type.is_some_and(displays_safely);
    if inline && !download {
        return None;
    }
    let last = name.as_str().rsplit('/').next().unwrap_or_default();
    let fallback: String = last
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(last, ATTR_CHAR);
    Some(Attachment {
        disposition: format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"),
        content_type: (!inline).then(|| DEFAULT_CONTENT_TYPE.to_owned()),
    })
}

/// Whether a browser displays `content_type` without running script in the page (the type's
/// essence, without parameters, in [`INLINE_TYPES`]; case-insensitive).
fn displays_safely(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((kind, _)) = essence.split_once('/') else {
        return false;
    };
    INLINE_TYPES
        .iter()
        .any(|allowed| match allowed.strip_suffix("/*") {
            Some(any_of) => kind == any_of,
            None => essence == *allowed,
        })
}

#[derive(Serialize)]
struct Stored {
    name: String,
    size: u64,
    etag: Option<String>,
}

/// The input of `PUT /files/{name+}`: the name, the body and how to store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutFile<'r> {
    name: FileName,
    body: &'r [u8],
    content_type: String,
    only_if_absent: bool,
}

impl<'r> PutFile<'r> {
    /// Reads the name, the body (at most `MAX_UPLOAD_BYTES`), `Content-Type` and
    /// `If-None-Match: *`.
    pub fn parse(input: &Input<'r>) -> Result<Self, ApiError> {
        let req = input.req;
        let only_if_absent = only_if_absent(req)?;
        let content_type = match req.headers().get("content-type") {
            None => DEFAULT_CONTENT_TYPE.to_owned(),
            Some(v) => v
                .to_str()
                .ok()
                .filter(|t| is_content_type(t))
                .ok_or(ApiError::InvalidParameter("Content-Type", "a media type"))?
                .to_owned(),
        };
        let name = input.file_name()?;
        let body = body_of(req);
        let max = input.limits.max_upload_bytes;
        if body.len() as u64 > max {
            return Err(ApiError::PayloadTooLarge(max));
        }
        Ok(PutFile {
            name,
            body,
            content_type,
            only_if_absent,
        })
    }

    /// The file's name.
    pub fn name(&self) -> &FileName {
        &self.name
    }
}

/// `If-None-Match: *` (refuse to replace an existing file), absent, or a 400 for anything else.
pub(super) fn only_if_absent(req: &Request) -> Result<bool, ApiError> {
    match req.headers().get("if-none-match").map(|v| v.as_bytes()) {
        None => Ok(false),
        Some(b"*") => Ok(true),
        Some(_) => Err(ApiError::InvalidParameter(
            "If-None-Match",
            "only * is supported",
        )),
    }
}

pub(super) fn body_of(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// `PUT /files/{name+}`: 201 when the file is new, 200 when it replaced one.
pub async fn put(caller: &Caller<'_>, put: &PutFile<'_>) -> Result<Reply, ApiError> {
    let (created, etag) = caller
        .change(|bucket| async move {
            let key = bucket.key(&put.name)?;
            let (body, content_type) = (put.body, put.content_type.as_str());
            // A conditional write first tells new from replaced without a race-prone HEAD.
            match bucket.put(&key, body.to_vec(), content_type, true).await {
                Ok(etag) => Ok((true, etag)),
                Err(ApiError::FileExists) if !put.only_if_absent => Ok((
                    false,
                    bucket.put(&key, body.to_vec(), content_type, false).await?,
                )),
                Err(err) => Err(err),
            }
        })
        .await?;
    Ok(Reply::stored(
        created,
        "file",
        Stored {
            name: put.name.to_string(),
            size: put.body.len() as u64,
            etag,
        },
    ))
}

/// `DELETE /files/{name+}`: 204 whether or not the file existed.
pub async fn delete(caller: &Caller<'_>, name: &FileName) -> Result<Reply, ApiError> {
    caller
        .change(|bucket| async move { bucket.delete(&bucket.key(name)?).await })
        .await?;
    Ok(Reply::NoContent)
}

/// The input of `DELETE /files?id=`: a stored name by the `id` a listing gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileById(StoredName);

impl FileById {
    /// Reads the `id` query parameter.
    pub fn parse(req: &Request) -> Result<Self, ApiError> {
        let query = req.query_string_parameters();
        let id = query
            .first("id")
            .ok_or(ApiError::InvalidParameter("id", "a file id from a listing"))?;
        StoredName::from_id(id).map(FileById)
    }
}

/// `DELETE /files?id=`: removes a file by its listing id, for names a path cannot carry (stored
/// directly with the caller's keys); 204 whether or not it existed. The key is the caller's
/// folder followed by the name, so it stays in that folder (and IAM confines it there anyway).
pub async fn delete_by_id(caller: &Caller<'_>, file: &FileById) -> Result<Reply, ApiError> {
    caller
        .change(|bucket| async move { bucket.delete(&bucket.stored_key(&file.0)).await })
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
    /// Parses `{"name","size","contentType"[,"expiresIn"]}`; `size` at most
    /// `MAX_PRESIGNED_UPLOAD_BYTES`.
    pub fn parse(input: &Input<'_>) -> Result<Self, ApiError> {
        let ask: UploadRequest = serde_json::from_slice(body_of(input.req)).map_err(|_| {
            ApiError::InvalidParameter(
                "body",
                "JSON {\"name\": string, \"size\": bytes, \"contentType\": string}",
            )
        })?;
        let name = FileName::parse(&ask.name)?;
        let max = input.limits.max_presigned_upload_bytes;
        if ask.size > max {
            return Err(ApiError::PayloadTooLarge(max));
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
pub async fn create_upload_url(caller: &Caller<'_>, ask: &UploadAsk) -> Result<Reply, ApiError> {
    let url: SignedUrl = caller
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

pub(super) fn expires_in(raw: Option<&str>) -> Result<Duration, ApiError> {
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
pub(super) fn is_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    value.len() <= 255
        && value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && essence
            .split_once('/')
            .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty() && !s.contains('/'))
}

pub(super) fn rfc3339(at: SystemTime) -> String {
    aws_smithy_types::DateTime::from(at)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_types_that_run_no_script_are_displayed() {
        for safe in [
            "text/plain",
            "TEXT/PLAIN; charset=utf-8",
            "image/png",
            "video/mp4",
            "audio/ogg",
        ] {
            assert!(displays_safely(safe), "{safe}");
        }
        for risky in [
            "text/html",
            "text/html; charset=utf-8",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/xml",
            "application/xml",
            "application/javascript",
            "text/javascript",
            "multipart/x-mixed-replace",
            "application/octet-stream",
            "text/plain+html",
            "image",
            "",
        ] {
            assert!(!displays_safely(risky), "{risky}");
        }
    }

    #[test]
    fn risky_types_and_downloads_are_signed_as_named_attachments() {
        let name = FileName::parse("docs/été \"q\".html").unwrap();
        let html = attachment_for(&name, Some("text/html"), false).unwrap();
        assert_eq!(
            html.disposition,
            "attachment; filename=\"_t_ _q_.html\"; filename*=UTF-8''%C3%A9t%C3%A9%20%22q%22.html"
        );
        assert_eq!(
            html.content_type.as_deref(),
            Some("application/octet-stream")
        );
        assert_eq!(attachment_for(&name, None, false), Some(html.clone()));

        let png = FileName::parse("a/b.png").unwrap();
        assert_eq!(attachment_for(&png, Some("image/png"), false), None);
        let download = attachment_for(&png, Some("image/png"), true).unwrap();
        assert_eq!(
            download.disposition,
            "attachment; filename=\"b.png\"; filename*=UTF-8''b.png"
        );
        assert_eq!(
            download.content_type, None,
            "a safe type keeps its own type"
        );
    }
}
