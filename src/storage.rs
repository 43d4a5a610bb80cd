//! Per-identity S3 access: a client holding one user's scoped keys, and the only key it reads.

use crate::error::{ApiError, Upstream};
use crate::identity::{IdentityId, ScopedCredentials};
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object::GetObjectError;
use std::time::SystemTime;

/// Longest first line returned; a longer one is refused rather than cut.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// `<prefix>/<IdentityId>/data.txt`; buildable only from an [`IdentityId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// The data file of `id` under `prefix`.
    pub fn data_file(prefix: &str, id: &IdentityId) -> Self {
        ObjectKey(format!("{prefix}/{id}/data.txt"))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One identity's view of the bucket, through that identity's own credentials.
#[derive(Debug, Clone)]
pub struct UserBucket {
    client: Client,
    bucket: String,
    expires_at: SystemTime,
}

impl UserBucket {
    /// A client from `shared` (endpoint, HTTP connection pool, timeouts) with `creds` as identity.
    pub fn new(
        shared: &aws_config::SdkConfig,
        path_style: bool,
        bucket: &str,
        creds: ScopedCredentials,
        counter: Option<crate::metrics::CallCounter>,
    ) -> Self {
        let mut config = aws_sdk_s3::config::Builder::from(shared)
            .credentials_provider(creds.credentials)
            .force_path_style(path_style);
        if let Some(counter) = counter {
            config = config.interceptor(counter);
        }
        UserBucket {
            client: Client::from_conf(config.build()),
            bucket: bucket.to_owned(),
            expires_at: creds.expires_at,
        }
    }

    /// When the keys behind this client expire.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
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
            Err(err) => {
                return Err(match err.as_service_error() {
                    Some(GetObjectError::NoSuchKey(_)) => ApiError::FileNotFound,
                    Some(e) if e.meta().code() == Some("AccessDenied") => {
                        self.explain_denied(key).await
                    }
                    Some(e) if is_stale_credentials(e.meta().code()) => {
                        ApiError::StaleCredentials {
                            upstream: Upstream::S3,
                            source: Box::new(err),
                        }
                    }
                    _ => ApiError::from_sdk(Upstream::S3, err),
                });
            }
        };
        let mut body = object.body;
        let mut line = Vec::new();
        loop {
            let chunk = body.try_next().await.map_err(|e| ApiError::Upstream {
                upstream: Upstream::S3,
                source: e.into(),
            })?;
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

    /// S3 answers AccessDenied instead of NoSuchKey when the caller may not list the key's prefix
    /// *for this request*; our policy allows listing only with an own-prefix `s3:prefix`, which a
    /// GetObject lacks. Listing exactly that key tells a missing own file from a real denial.
    async fn explain_denied(&self, key: &ObjectKey) -> ApiError {
        let listed = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(key.as_str())
            .max_keys(1)
            .send()
            .await;
        match listed {
            Ok(out) if !out.contents().iter().any(|o| o.key() == Some(key.as_str())) => {
                ApiError::FileNotFound
            }
            Ok(_) => ApiError::AccessDenied,
            Err(err) => match err.as_service_error().and_then(|e| e.meta().code()) {
                Some("AccessDenied") => ApiError::AccessDenied,
                code if is_stale_credentials(code) => ApiError::StaleCredentials {
                    upstream: Upstream::S3,
                    source: Box::new(err),
                },
                _ => ApiError::from_sdk(Upstream::S3, err),
            },
        }
    }
}

/// S3's answers to keys that expired or that it no longer knows: fresh keys may succeed.
fn is_stale_credentials(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("ExpiredToken" | "InvalidToken" | "InvalidAccessKeyId" | "TokenRefreshRequired")
    )
}
