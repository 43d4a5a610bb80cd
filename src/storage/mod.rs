//! Per-identity S3 access: a client holding one user's scoped keys, which builds every key it
//! touches from that user's own IdentityId.

mod changes;
mod name;
mod shares;
mod uploads;

pub use changes::Removal;
pub use name::{FileName, ObjectKey, Share, StoredName};
pub use shares::{MAX_RECEIVED, Received};
pub use uploads::{Part, UploadRecord};

use crate::config::Config;
use crate::error::{ApiError, Upstream};
use crate::identity::{IdentityId, ScopedCredentials};
use crate::metrics::CallCounter;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::EncodingType;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::time::{Duration, SystemTime};

/// Longest first line returned; a longer one is refused rather than cut.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// What S3 says about one of the user's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// The name relative to the user's folder, as stored: keys written directly with the user's
    /// own keys may break the API's name rules ([`StoredName::file_name`] tells).
    pub name: StoredName,
    /// Size in bytes.
    pub size: u64,
    /// Last change, RFC 3339.
    pub last_modified: Option<String>,
    /// S3's entity tag, quotes included.
    pub etag: Option<String>,
    /// The stored `Content-Type` (only known from a HEAD, not from a listing).
    pub content_type: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct FilePage {
    /// The files, in S3's (UTF-8 binary) key order.
    pub files: Vec<FileInfo>,
    /// One level's sub-folders (names without the trailing `/`), in key order; empty for a
    /// recursive listing.
    pub folders: Vec<StoredName>,
    /// S3's continuation token for the next page, if any.
    pub next: Option<String>,
}

/// How a signed download URL makes S3 answer: as a download of `disposition`, with the
/// `content_type` (if set) instead of the stored one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The `Content-Disposition` S3 sends.
    pub disposition: String,
    /// The `Content-Type` S3 sends instead of the stored one.
    pub content_type: Option<String>,
}

/// A URL signed with the user's own keys, and when it stops working.
#[derive(Debug, Clone)]
pub struct SignedUrl {
    /// The URL itself.
    pub url: String,
    /// Headers the client must send with it (they are part of the signature).
    pub headers: Vec<(String, String)>,
    /// When S3 stops accepting it.
    pub expires_at: SystemTime,
}

/// Makes each identity's S3 client: the bucket, the key prefix and path style from the
/// configuration, the endpoint, HTTP connection pool and timeouts from the shared SDK
/// configuration, and the identity's own keys.
#[derive(Debug, Clone)]
pub struct Buckets {
    sdk: aws_config::SdkConfig,
    path_style: bool,
    bucket: String,
    prefix: String,
    counter: Option<CallCounter>,
    slow: TimeoutConfig,
}

impl Buckets {
    /// A factory for the bucket of `config`, counting S3 calls in `counter` if given.
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config, counter: Option<CallCounter>) -> Self {
        Buckets {
            sdk: sdk.clone(),
            path_style: config.s3_path_style,
            bucket: config.bucket.clone(),
            prefix: config.prefix.clone(),
            counter,
            // S3 assembles a multipart upload and copies data inside CompleteMultipartUpload,
            // CopyObject and UploadPartCopy: they take the time the data takes, not a round trip's.
            slow: TimeoutConfig::builder()
                .operation_timeout(config.request_timeout)
                .connect_timeout(config.connect_timeout)
                .build(),
        }
    }

    /// `identity`'s view of the bucket, through `creds` (that identity's own keys).
    pub fn for_identity(&self, identity: IdentityId, creds: ScopedCredentials) -> UserBucket {
        let mut config = aws_sdk_s3::config::Builder::from(&self.sdk)
            .credentials_provider(creds.credentials)
            .force_path_style(self.path_style);
        if let Some(counter) = &self.counter {
            config = config.interceptor(counter.clone());
        }
        UserBucket {
            client: Client::from_conf(config.build()),
            bucket: self.bucket.clone(),
            prefix: self.prefix.clone(),
            identity,
            expires_at: creds.expires_at,
            slow: self.slow.clone(),
        }
    }
}

/// One identity's view of the bucket, through that identity's own credentials.
#[derive(Debug, Clone)]
pub struct UserBucket {
    client: Client,
    bucket: String,
    prefix: String,
    identity: IdentityId,
    expires_at: SystemTime,
    slow: TimeoutConfig,
}

impl UserBucket {
    /// The configuration override of operations that move data inside S3 (assembling an upload,
    /// copying): the whole request's budget (`REQUEST_TIMEOUT_MS`) instead of one round trip's
    /// (`UPSTREAM_TIMEOUT_MS`).
    fn slow_operation(&self) -> aws_sdk_s3::config::Builder {
        aws_sdk_s3::config::Builder::default().timeout_config(self.slow.clone())
    }

    /// When the keys behind this client expire.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// Whose keys these are.
    pub fn identity(&self) -> &IdentityId {
        &self.identity
    }

    /// The key of `name` in this identity's folder.
    pub fn key(&self, name: &FileName) -> Result<ObjectKey, ApiError> {
        ObjectKey::file(&self.prefix, &self.identity, name)
    }

    /// The key of a name as it was stored in this identity's folder, rules or not.
    pub fn stored_key(&self, name: &StoredName) -> ObjectKey {
        ObjectKey::stored(&self.prefix, &self.identity, name)
    }

    /// This identity's data file (`GET /read-file`).
    pub fn data_file(&self) -> ObjectKey {
        ObjectKey::data_file(&self.prefix, &self.identity)
    }

    /// The object's first line without its line ending.
    pub async fn first_line(&self, key: &ObjectKey) -> Result<String, ApiError> {
        let answer = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await;
        let object = match answer {
            Ok(object) => object,
            Err(err) => return Err(self.failed(err, Some(key)).await),
        };
        let mut body = object.body;
        let mut line = Vec::new();
        loop {
            let chunk = body
                .try_next()
                .await
                .map_err(|e| ApiError::upstream(Upstream::S3, e))?;
            let Some(chunk) = chunk else { break };
            if let Some(end) = chunk.iter().position(|b| *b == b'\n') {
                line.extend_from_slice(&chunk[..end]);
                break;
            }
            line.extend_from_slice(&chunk);
            if line.len() > MAX_LINE_BYTES {
                return Err(ApiError::UnreadableFile);
            }
        }
        if line.len() > MAX_LINE_BYTES {
            return Err(ApiError::UnreadableFile);
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        String::from_utf8(line).map_err(|_| ApiError::UnreadableFile)
    }

    /// Size, date, ETag and type of one of the user's files (HeadObject).
    pub async fn head(&self, key: &ObjectKey) -> Result<FileInfo, ApiError> {
        let answer = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await;
        match answer {
            Ok(out) => Ok(FileInfo {
                name: StoredName::new(self.name_of(key.as_str()).unwrap_or_default()),
                size: out.content_length().unwrap_or_default().max(0) as u64,
                last_modified: out.last_modified().and_then(rfc3339),
                etag: out.e_tag().map(str::to_owned),
                content_type: out.content_type().map(str::to_owned),
            }),
            Err(err) => Err(self.failed(err, Some(key)).await),
        }
    }

    /// Up to `limit` of the user's files below `sub` (all of them without), continuing at `next`.
    /// With `one_level`, only the files directly in that folder, and its sub-folders. Folder
    /// markers (zero-byte `<name>/` objects) are folders, not files; the API's own upload records
    /// are left out.
    pub async fn list(
        &self,
        sub: Option<&FileName>,
        limit: u16,
        next: Option<String>,
        one_level: bool,
    ) -> Result<FilePage, ApiError> {
        let prefix = name::list_prefix(&self.prefix, &self.identity, sub);
        let out = self
            .list_page(&prefix, one_level, Some(limit), next)
            .await?;
        let files = out
            .contents()
            .iter()
            .filter_map(|object| {
                // S3 only lists keys below the prefix; anything else is not shown.
                let key = url_decoded(object.key()?);
                let name = self.name_of(&key)?;
                let size = object.size().unwrap_or_default().max(0) as u64;
                if name::is_reserved(name) || is_folder_marker(name, size) {
                    return None;
                }
                Some(FileInfo {
                    name: StoredName::new(name),
                    size,
                    last_modified: object.last_modified().and_then(rfc3339),
                    etag: object.e_tag().map(str::to_owned),
                    content_type: None,
                })
            })
            .collect();
        let folders = out
            .common_prefixes()
            .iter()
            .filter_map(|common| {
                let key = url_decoded(common.prefix()?);
                let name = self.name_of(&key)?;
                if name::is_reserved(name) {
                    return None;
                }
                Some(StoredName::new(name.strip_suffix('/').unwrap_or(name)))
            })
            .collect();
        let next = next_page(&out);
        Ok(FilePage {
            files,
            folders,
            next,
        })
    }

    /// One page of keys below `prefix` (one level with `one_level`), up to `limit` (S3's 1000
    /// without), continuing at `next`, keys URL-encoded ([`url_decoded`]). A continuation token S3
    /// did not issue (an edited `next`) is 400 `invalid_parameter`.
    async fn list_page(
        &self,
        prefix: &str,
        one_level: bool,
        limit: Option<u16>,
        next: Option<String>,
    ) -> Result<ListObjectsV2Output, ApiError> {
        let answer = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_delimiter(one_level.then(|| "/".to_owned()))
            .encoding_type(EncodingType::Url)
            .set_max_keys(limit.map(i32::from))
            .set_continuation_token(next)
            .send()
            .await;
        match answer {
            Ok(out) => Ok(out),
            Err(err) if code_of(&err) == Some("InvalidArgument") => Err(
                ApiError::InvalidParameter("next", "a value from a previous listing"),
            ),
            Err(err) => Err(self.failed(err, None).await),
        }
    }

    /// Stores `body` under `key`; with `only_if_absent`, S3 refuses to replace an existing file.
    /// Returns the new ETag.
    pub async fn put(
        &self,
        key: &ObjectKey,
        body: Vec<u8>,
        content_type: &str,
        only_if_absent: bool,
    ) -> Result<Option<String>, ApiError> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .body(ByteStream::from(body));
        if only_if_absent {
            request = request.if_none_match("*");
        }
        match request.send().await {
            Ok(out) => Ok(out.e_tag().map(str::to_owned)),
            Err(err) if code_of(&err) == Some("PreconditionFailed") => Err(ApiError::FileExists),
            Err(err) => Err(self.failed(err, None).await),
        }
    }

    /// Removes `key`; removing an absent file succeeds (S3 answers 204 either way).
    pub async fn delete(&self, key: &ObjectKey) -> Result<(), ApiError> {
        let answer = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(err) => Err(self.failed(err, None).await),
        }
    }

    /// A GET URL for `key`, valid `expires_in` but never past these keys' own expiry. With
    /// `attachment`, S3 answers with that `Content-Disposition` and, if given, `Content-Type`
    /// instead of the stored ones (both are part of the signature).
    pub async fn presign_get(
        &self,
        key: &ObjectKey,
        expires_in: Duration,
        attachment: Option<&Attachment>,
    ) -> Result<SignedUrl, ApiError> {
        let (config, expires_at) = self.presigning(expires_in)?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .set_response_content_disposition(attachment.map(|a| a.disposition.clone()))
            .set_response_content_type(attachment.and_then(|a| a.content_type.clone()))
            .presigned(config)
            .await
            .map_err(presign_failed)?;
        Ok(signed(request, expires_at))
    }

    /// A PUT URL for `key` with the exact size and type signed into it.
    pub async fn presign_put(
        &self,
        key: &ObjectKey,
        size: u64,
        content_type: &str,
        expires_in: Duration,
    ) -> Result<SignedUrl, ApiError> {
        let (config, expires_at) = self.presigning(expires_in)?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_length(i64::try_from(size).unwrap_or(i64::MAX))
            .content_type(content_type)
            .presigned(config)
            .await
            .map_err(presign_failed)?;
        Ok(signed(request, expires_at))
    }

    fn presigning(&self, expires_in: Duration) -> Result<(PresigningConfig, SystemTime), ApiError> {
        let left = self
            .expires_at
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        let expires_in = expires_in.min(left);
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| ApiError::upstream(Upstream::S3, e))?;
        Ok((config, SystemTime::now() + expires_in))
    }

    /// The name of `key` relative to this identity's folder.
    fn name_of<'k>(&self, key: &'k str) -> Option<&'k str> {
        key.strip_prefix(name::folder(&self.prefix, &self.identity).as_str())
            .filter(|name| !name.is_empty())
    }

    /// Maps an S3 failure. `AccessDenied` on a read of `key` is explained: S3 answers it instead
    /// of 404 when the caller may not list the key's prefix *for this request* (our policy allows
    /// listing only with an own-prefix `s3:prefix`, which a GetObject lacks), so listing exactly
    /// that key tells a missing own file from a real denial.
    async fn failed<E>(&self, err: SdkError<E, HttpResponse>, key: Option<&ObjectKey>) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        match (code_of(&err), status) {
            (Some("NoSuchKey" | "NotFound"), _) | (None, Some(404)) if key.is_some() => {
                ApiError::FileNotFound
            }
            (Some("AccessDenied"), _) | (None, Some(403)) => match key {
                Some(key) => self.explain_denied(key).await,
                None => ApiError::AccessDenied,
            },
            // A HEAD answer has no body, hence no code: a 400 to our well-formed request is the
            // keys (ExpiredToken, InvalidToken, TokenRefreshRequired are 400s).
            (code, _) if is_stale_credentials(code) => stale(err),
            (None, Some(400)) => stale(err),
            _ => ApiError::from_sdk(Upstream::S3, err),
        }
    }

    async fn explain_denied(&self, key: &ObjectKey) -> ApiError {
        let listed = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(key.as_str())
            .encoding_type(EncodingType::Url)
            .max_keys(1)
            .send()
            .await;
        let listed_key = |o: &aws_sdk_s3::types::Object| o.key().map(url_decoded);
        match listed {
            Ok(out)
                if !out
                    .contents()
                    .iter()
                    .any(|o| listed_key(o).as_deref() == Some(key.as_str())) =>
            {
                ApiError::FileNotFound
            }
            Ok(_) => ApiError::AccessDenied,
            Err(err) => match code_of(&err) {
                Some("AccessDenied") => ApiError::AccessDenied,
                code if is_stale_credentials(code) => stale(err),
                _ => ApiError::from_sdk(Upstream::S3, err),
            },
        }
    }
}

/// The continuation token of the page after `out`, if there is one.
fn next_page(out: &ListObjectsV2Output) -> Option<String> {
    out.is_truncated()
        .unwrap_or_default()
        .then(|| out.next_continuation_token().map(str::to_owned))
        .flatten()
}

/// A zero-byte `<folder>/` object whose folder is a name the API accepts: a folder's marker.
fn is_folder_marker(name: &str, size: u64) -> bool {
    size == 0
        && name
            .strip_suffix('/')
            .is_some_and(|folder| FileName::parse(folder).is_ok())
}

/// A key of a listing asked with `encoding-type=url`. S3 answers keys in XML 1.0, which cannot
/// carry some characters (`\u{1}`, ...) that a key may hold, so listings ask S3 to encode keys;
/// it encodes them as a form would (a space as `+`).
fn url_decoded(key: &str) -> String {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

fn code_of<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    err.as_service_error().and_then(|e| e.code())
}

/// S3's answers to keys that expired or that it no longer knows: fresh keys may succeed.
fn is_stale_credentials(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("ExpiredToken" | "InvalidToken" | "InvalidAccessKeyId" | "TokenRefreshRequired")
    )
}

fn stale<E>(err: SdkError<E, HttpResponse>) -> ApiError
where
    E: std::error::Error + Send + Sync + 'static,
{
    ApiError::StaleCredentials {
        upstream: Upstream::S3,
        cause: err.into(),
    }
}

fn presign_failed<E>(err: SdkError<E, HttpResponse>) -> ApiError
where
    E: std::error::Error + Send + Sync + 'static,
{
    ApiError::upstream(Upstream::S3, err)
}

/// The URL and the headers its signature covers, which the client must send as they are. Other
/// headers the SDK put on the request (such as Lambda's `x-amzn-trace-id`) are left out: a
/// browser would send them too, and the bucket's CORS rule rightly refuses unknown headers.
fn signed(request: aws_sdk_s3::presigning::PresignedRequest, expires_at: SystemTime) -> SignedUrl {
    let url = request.uri().to_owned();
    let signed_names: Vec<String> = url
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("X-Amz-SignedHeaders="))
        .map(|names| {
            percent_encoding::percent_decode_str(names)
                .decode_utf8_lossy()
                .split(';')
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    let headers = request
        .headers()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            name != "host" && signed_names.contains(&name)
        })
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    SignedUrl {
        url,
        headers,
        expires_at,
    }
}

fn rfc3339(at: &aws_smithy_types::DateTime) -> Option<String> {
    at.fmt(aws_smithy_types::date_time::Format::DateTime).ok()
}
