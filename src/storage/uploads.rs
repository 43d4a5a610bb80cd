//! Multipart uploads through the user's own keys: create, signed part URLs, received parts,
//! complete, abort, and the records that let `GET /uploads` list a user's unfinished uploads.

use super::name::{self, ObjectKey};
use super::{
    SignedUrl, UserBucket, code_of, next_page, presign_failed, rfc3339, signed, url_decoded,
};
use crate::error::{ApiError, Upstream};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::time::Duration;

/// Parts S3 returns per ListParts page (its maximum).
const PARTS_PER_PAGE: i32 = 1000;

/// One part S3 has received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its number, 1-10,000.
    pub number: u32,
    /// Its size in bytes.
    pub size: u64,
    /// S3's ETag of the part, quotes included.
    pub etag: String,
}

/// A record of an unfinished upload, as listed: S3's upload id, the announced size, when it began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    /// S3's upload id.
    pub upload_id: String,
    /// The size announced when the upload began.
    pub size: u64,
    /// When the upload began (the record's date), RFC 3339.
    pub initiated: Option<String>,
    /// The record itself.
    pub key: ObjectKey,
}

impl UserBucket {
    /// Begins a multipart upload to `key`, stored as `content_type`; returns S3's upload id.
    pub async fn create_upload(
        &self,
        key: &ObjectKey,
        content_type: &str,
    ) -> Result<String, ApiError> {
        let answer = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .send()
            .await;
        match answer {
            Ok(out) => out
                .upload_id()
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| ApiError::upstream(Upstream::S3, "no upload id")),
            Err(err) => Err(self.failed(err, None).await),
        }
    }

    /// The record of an upload of `size` bytes with `upload_id` in this identity's folder.
    pub fn upload_record(&self, size: u64, upload_id: &str) -> ObjectKey {
        ObjectKey::upload_record(&self.prefix, &self.identity, size, upload_id)
    }

    /// Up to `limit` records of this identity's unfinished uploads, continuing at `next`.
    /// Records whose name is not one the API wrote are skipped.
    pub async fn list_upload_records(
        &self,
        limit: u16,
        next: Option<String>,
    ) -> Result<(Vec<UploadRecord>, Option<String>), ApiError> {
        let prefix = name::records_prefix(&self.prefix, &self.identity);
        let out = self.list_page(&prefix, false, Some(limit), next).await?;
        let records = out
            .contents()
            .iter()
            .filter_map(|object| {
                let key = url_decoded(object.key()?);
                let (size, upload_id) = name::parse_record(key.strip_prefix(&prefix)?)?;
                let record = self.upload_record(size, &upload_id);
                // Only a name this function would have written is taken as a record.
                (record.as_str() == key).then(|| UploadRecord {
                    upload_id,
                    size,
                    initiated: object.last_modified().and_then(rfc3339),
                    key: record,
                })
            })
            .collect();
        Ok((records, next_page(&out)))
    }

    /// A small object's content (an upload record), or `None` when it is over `max` bytes.
    pub async fn small_object(
        &self,
        key: &ObjectKey,
        max: usize,
    ) -> Result<Option<Vec<u8>>, ApiError> {
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
        if object.content_length().unwrap_or_default() > max as i64 {
            return Ok(None);
        }
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| ApiError::upstream(Upstream::S3, e))?;
        Ok(Some(bytes.to_vec()))
    }

    /// A PUT URL for part `part` of the upload, with the part's exact size signed into it.
    pub async fn presign_part(
        &self,
        key: &ObjectKey,
        upload_id: &str,
        part: u32,
        size: u64,
        expires_in: Duration,
    ) -> Result<SignedUrl, ApiError> {
        let (config, expires_at) = self.presigning(expires_in)?;
        let request = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key.as_str())
            .upload_id(upload_id)
            .part_number(i32::try_from(part).unwrap_or(i32::MAX))
            .content_length(i64::try_from(size).unwrap_or(i64::MAX))
            .presigned(config)
            .await
            .map_err(presign_failed)?;
        Ok(signed(request, expires_at))
    }

    /// The parts S3 has received for the upload, in part order; with `first_only`, at most one
    /// (enough to tell that the upload still exists).
    pub async fn list_parts(
        &self,
        key: &ObjectKey,
        upload_id: &str,
        first_only: bool,
    ) -> Result<Vec<Part>, ApiError> {
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let answer = self
                .client
                .list_parts()
                .bucket(&self.bucket)
                .key(key.as_str())
                .upload_id(upload_id)
                .max_parts(if first_only { 1 } else { PARTS_PER_PAGE })
                .set_part_number_marker(marker.take())
                .send()
                .await;
            let out = match answer {
                Ok(out) => out,
                Err(err) => return Err(self.upload_failed(err).await),
            };
            parts.extend(out.parts().iter().filter_map(|p| {
                Some(Part {
                    number: u32::try_from(p.part_number()?).ok()?,
                    size: u64::try_from(p.size()?).ok()?,
                    etag: p.e_tag()?.to_owned(),
                })
            }));
            let more = out.is_truncated().unwrap_or_default() && !first_only;
            match out.next_part_number_marker() {
                Some(next) if more && !next.is_empty() => marker = Some(next.to_owned()),
                _ => return Ok(parts),
            }
        }
    }

    /// Assembles the upload from `parts` (number, ETag; in ascending order); with
    /// `only_if_absent`, S3 refuses to replace an existing file. Returns the new ETag.
    pub async fn complete_upload(
        &self,
        key: &ObjectKey,
        upload_id: &str,
        parts: &[(u32, String)],
        only_if_absent: bool,
    ) -> Result<Option<String>, ApiError> {
        let parts = parts
            .iter()
            .map(|(number, etag)| {
                CompletedPart::builder()
                    .part_number(i32::try_from(*number).unwrap_or(i32::MAX))
                    .e_tag(etag)
                    .build()
            })
            .collect();
        let mut request = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key.as_str())
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
            Err(err) => Err(self.upload_failed(err).await),
        }
    }

    /// Abandons the upload and the parts S3 holds for it; an upload S3 no longer knows is gone
    /// already, which is success.
    pub async fn abort_upload(&self, key: &ObjectKey, upload_id: &str) -> Result<(), ApiError> {
        let answer = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key.as_str())
            .upload_id(upload_id)
            .send()
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(err) => match self.upload_failed(err).await {
                ApiError::UploadNotFound => Ok(()),
                other => Err(other),
            },
        }
    }

    /// Maps a failure of an operation on one upload: S3 answers `NoSuchUpload` (404) for an
    /// upload id it does not know *at that key*, the answer to a handle taken from another user.
    async fn upload_failed<E>(&self, err: SdkError<E, HttpResponse>) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match code_of(&err) {
            Some("NoSuchUpload") => ApiError::UploadNotFound,
            Some("InvalidPart" | "InvalidPartOrder" | "EntityTooSmall") => ApiError::InvalidParts,
            Some("PreconditionFailed") => ApiError::FileExists,
            _ => self.failed(err, None).await,
        }
    }
}
