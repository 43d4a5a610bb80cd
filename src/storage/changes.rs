//! Changes beyond one object: whether a key exists, server-side copies (multipart above a
//! threshold), and batched removals of everything below a folder.

use super::name::{self, FileName, ObjectKey, StoredName};
use super::{FileInfo, UserBucket, code_of, next_page, url_decoded};
use crate::error::{ApiError, Upstream};
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Delete, EncodingType, ObjectIdentifier,
};
use tokio::task::JoinSet;

/// Keys per DeleteObjects request and per listing page (S3's maximum for both).
const BATCH: usize = 1000;
/// Parts copied at once in a multipart copy.
const COPY_CONCURRENCY: usize = 4;
/// S3's most parts of one upload.
const MAX_PARTS: u64 = 10_000;
/// The largest copy part: larger parts make fewer calls but each takes longer inside S3.
const MAX_COPY_PART: u64 = 1 << 30;

/// What a batched removal did: how many keys S3 removed, and those it refused, with S3's code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removal {
    /// Keys removed (S3 counts a key that was already gone as removed).
    pub deleted: u64,
    /// Names (relative to the user's folder) S3 did not remove, with its error code.
    pub failed: Vec<(StoredName, String)>,
}

impl UserBucket {
    /// Whether `key` exists, by listing exactly it (allowed by the policy's `s3:prefix`, where a
    /// HEAD of a missing key is answered 403 rather than 404).
    pub async fn exists(&self, key: &ObjectKey) -> Result<bool, ApiError> {
        let answer = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(key.as_str())
            .encoding_type(EncodingType::Url)
            .max_keys(1)
            .send()
            .await;
        match answer {
            // The key itself sorts before every longer key it is a prefix of.
            Ok(out) => Ok(out
                .contents()
                .first()
                .and_then(|o| o.key())
                .is_some_and(|k| url_decoded(k) == key.as_str())),
            Err(err) => Err(self.failed(err, None).await),
        }
    }

    /// The key of the marker of the folder `name` in this identity's folder.
    pub fn folder_marker(&self, name: &FileName) -> Result<ObjectKey, ApiError> {
        ObjectKey::folder_marker(&self.prefix, &self.identity, name)
    }

    /// Copies `from` (described by `source`, its HEAD) to `to` inside S3, keeping its type and
    /// metadata: CopyObject up to `single_copy_max` bytes, above that a multipart copy
    /// (UploadPartCopy) that is aborted if any part fails. With `only_if_absent`, S3 refuses to
    /// replace an existing `to`. Returns the new ETag.
    pub async fn copy(
        &self,
        from: &ObjectKey,
        to: &ObjectKey,
        source: &FileInfo,
        only_if_absent: bool,
        single_copy_max: u64,
    ) -> Result<Option<String>, ApiError> {
        if source.size <= single_copy_max {
            let mut request = self
                .client
                .copy_object()
                .bucket(&self.bucket)
                .key(to.as_str())
                .copy_source(self.copy_source(from));
            if only_if_absent {
                request = request.if_none_match("*");
            }
            let answer = request
                .customize()
                .config_override(self.slow_operation())
                .send()
                .await;
            return match answer {
                Ok(out) => Ok(out
                    .copy_object_result()
                    .and_then(|r| r.e_tag())
                    .map(str::to_owned)),
                Err(err) => Err(self.copy_failed(err, from).await),
            };
        }
        let content_type = source
            .content_type
            .as_deref()
            .unwrap_or("application/octet-stream");
        let upload_id = self.create_upload(to, content_type).await?;
        match self
            .copy_parts(from, to, &upload_id, source.size, single_copy_max)
            .await
        {
            Ok(parts) => {
                let result = self
                    .complete_copy(to, &upload_id, parts, only_if_absent)
                    .await;
                if result.is_err() {
                    // Best effort: a failed abort leaves the parts to the bucket's lifecycle rule.
                    let _ = self.abort_upload(to, &upload_id).await;
                }
                result
            }
            Err(err) => {
                let _ = self.abort_upload(to, &upload_id).await;
                Err(err)
            }
        }
    }

    /// Copies every part of `from` into the upload, [`COPY_CONCURRENCY`] at a time; returns
    /// (part number, ETag) in part order.
    async fn copy_parts(
        &self,
        from: &ObjectKey,
        to: &ObjectKey,
        upload_id: &str,
        size: u64,
        part_limit: u64,
    ) -> Result<Vec<(i32, String)>, ApiError> {
        let part_size = copy_part_size(size, part_limit);
        let count = size.div_ceil(part_size);
        let mut parts = Vec::with_capacity(count as usize);
        let mut running = JoinSet::new();
        let mut next = 0u64;
        loop {
            while next < count && running.len() < COPY_CONCURRENCY {
                let start = next * part_size;
                let end = (start + part_size).min(size) - 1;
                let number = i32::try_from(next + 1).unwrap_or(i32::MAX);
                let request = self
                    .client
                    .upload_part_copy()
                    .bucket(&self.bucket)
                    .key(to.as_str())
                    .upload_id(upload_id)
                    .part_number(number)
                    .copy_source(self.copy_source(from))
                    .copy_source_range(format!("bytes={start}-{end}"))
                    .customize()
                    .config_override(self.slow_operation());
                running.spawn(async move { (number, request.send().await) });
                next += 1;
            }
            let Some(done) = running.join_next().await else {
                break;
            };
            let (number, answer) =
                done.map_err(|e| ApiError::upstream(Upstream::S3, e.to_string()))?;
            match answer {
                Ok(out) => {
                    let etag = out
                        .copy_part_result()
                        .and_then(|r| r.e_tag())
                        .ok_or_else(|| ApiError::upstream(Upstream::S3, "no part ETag"))?;
                    parts.push((number, etag.to_owned()));
                }
                Err(err) => return Err(self.copy_failed(err, from).await),
            }
        }
        parts.sort_unstable_by_key(|(number, _)| *number);
        Ok(parts)
    }

    async fn complete_copy(
        &self,
        to: &ObjectKey,
        upload_id: &str,
        parts: Vec<(i32, String)>,
        only_if_absent: bool,
    ) -> Result<Option<String>, ApiError> {
        let parts = parts
            .into_iter()
            .map(|(number, etag)| {
                CompletedPart::builder()
                    .part_number(number)
                    .e_tag(etag)
                    .build()
            })
            .collect();
        let mut request = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(to.as_str())
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            );
        if only_if_absent {
            request = request.if_none_match("*");
        }
        let answer = request
            .customize()
            .config_override(self.slow_operation())
            .send()
            .await;
        match answer {
            Ok(out) => Ok(out.e_tag().map(str::to_owned)),
            Err(err) if code_of(&err) == Some("PreconditionFailed") => Err(ApiError::FileExists),
            Err(err) => Err(self.failed(err, None).await),
        }
    }

    /// `x-amz-copy-source`: the bucket and the key, URL-encoded (`/` kept).
    fn copy_source(&self, from: &ObjectKey) -> String {
        const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~')
            .remove(b'/');
        let key = percent_encoding::utf8_percent_encode(from.as_str(), KEEP);
        format!("{}/{key}", self.bucket)
    }

    async fn copy_failed<E>(
        &self,
        err: aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
        from: &ObjectKey,
    ) -> ApiError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        match code_of(&err) {
            Some("PreconditionFailed") => ApiError::FileExists,
            // The source went away between its HEAD and the copy.
            Some("NoSuchKey") => ApiError::FileNotFound,
            _ => self.failed(err, Some(from)).await,
        }
    }

    /// Up to [`BATCH`] keys below the folder `name` (its marker, files, strays, sub-folders),
    /// continuing at `next`: the keys and the next continuation token.
    pub async fn keys_below(
        &self,
        name: &FileName,
        next: Option<String>,
    ) -> Result<(Vec<ObjectKey>, Option<String>), ApiError> {
        let prefix = name::list_prefix(&self.prefix, &self.identity, Some(name));
        let out = self
            .list_page(&prefix, false, Some(BATCH as u16), next)
            .await?;
        let keys = out
            .contents()
            .iter()
            .filter_map(|o| {
                let key = url_decoded(o.key()?);
                let name = self.name_of(&key)?;
                Some(self.stored_key(&StoredName::new(name)))
            })
            .collect();
        Ok((keys, next_page(&out)))
    }

    /// Removes `keys` (at most [`BATCH`]) in one DeleteObjects request; S3 authorizes each key
    /// as its own `s3:DeleteObject` and reports the ones it refused.
    pub async fn delete_many(&self, keys: &[ObjectKey]) -> Result<Removal, ApiError> {
        if keys.is_empty() {
            return Ok(Removal::default());
        }
        let objects = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k.as_str()).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ApiError::upstream(Upstream::S3, e))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| ApiError::upstream(Upstream::S3, e))?;
        let answer = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send()
            .await;
        let out = match answer {
            Ok(out) => out,
            Err(err) => return Err(self.failed(err, None).await),
        };
        let failed: Vec<(StoredName, String)> = out
            .errors()
            .iter()
            .map(|e| {
                let key = e.key().unwrap_or_default();
                let name = self.name_of(key).unwrap_or(key);
                (
                    StoredName::new(name),
                    e.code().unwrap_or("InternalError").to_owned(),
                )
            })
            .collect();
        Ok(Removal {
            deleted: (keys.len() - failed.len().min(keys.len())) as u64,
            failed,
        })
    }
}

/// The part size of a multipart copy of `size` bytes: `part_limit` (at most 1 GiB), or more when
/// 10,000 parts of it would not hold the object.
fn copy_part_size(size: u64, part_limit: u64) -> u64 {
    const MIB: u64 = 1 << 20;
    let least = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    part_limit.min(MAX_COPY_PART).max(least).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_parts_fit_s3s_limits() {
        const MIB: u64 = 1 << 20;
        const GIB: u64 = 1 << 30;
        assert_eq!(copy_part_size(13 * MIB, 6 * MIB), 6 * MIB);
        assert_eq!(copy_part_size(6 * GIB, 5 * GIB), GIB);
        let five_tib = 5 * 1024 * GIB;
        let part = copy_part_size(five_tib, 5 * GIB);
        assert!(
            five_tib.div_ceil(part) <= MAX_PARTS && part <= 5 * GIB,
            "{part}"
        );
    }
}
