//! Shares in S3: the copies below `<prefix>-shared/` (see [`Share`]), made, read, listed and
//! removed with the caller's own keys, which IAM confines to the caller's side of each share.

use super::name::{self, Share};
use super::{FileInfo, ObjectKey, UserBucket, next_page, rfc3339, url_decoded};
use crate::error::ApiError;

/// Most shares a recipient's listing returns (S3 pages of 1000 keys).
pub const MAX_RECEIVED: usize = 5000;

/// A file shared with the caller, as S3 listed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Who shared what.
    pub share: Share,
    /// Size in bytes.
    pub size: u64,
    /// When the copy was made, RFC 3339.
    pub last_modified: Option<String>,
}

impl UserBucket {
    /// The key of `share`, refused unless this identity is its owner (the one who may write it).
    pub fn outgoing_key(&self, share: &Share) -> Result<ObjectKey, ApiError> {
        if !share.is_from(&self.identity) {
            return Err(ApiError::ShareNotFound);
        }
        share.key(&self.prefix)
    }

    /// The key of `share`, refused unless this identity is its recipient (the one who may read it).
    pub fn incoming_key(&self, share: &Share) -> Result<ObjectKey, ApiError> {
        if !share.is_for(&self.identity) {
            return Err(ApiError::ShareNotFound);
        }
        share.key(&self.prefix)
    }

    /// What is shared with this identity, in key order, up to [`MAX_RECEIVED`]; whether there
    /// was more. Keys the API cannot address (an owner's direct writes) are left out.
    pub async fn received(&self) -> Result<(Vec<Received>, bool), ApiError> {
        let inbox = name::inbox(&self.prefix, &self.identity);
        let (mut shares, mut next) = (Vec::new(), None);
        loop {
            let out = self.list_page(&inbox, false, None, next.take()).await?;
            shares.extend(out.contents().iter().filter_map(|object| {
                let key = url_decoded(object.key()?);
                let share = Share::received(&self.identity, key.strip_prefix(&inbox)?)?;
                Some(Received {
                    share,
                    size: object.size().unwrap_or_default().max(0) as u64,
                    last_modified: object.last_modified().and_then(rfc3339),
                })
            }));
            next = next_page(&out);
            if next.is_none() {
                return Ok((shares, false));
            }
            if shares.len() >= MAX_RECEIVED {
                shares.truncate(MAX_RECEIVED);
                return Ok((shares, true));
            }
        }
    }

    /// The copy of a share this identity received: its HEAD, 404 `share_not_found` when it is
    /// gone (revoked).
    pub async fn received_file(&self, key: &ObjectKey) -> Result<FileInfo, ApiError> {
        match self.head(key).await {
            Err(ApiError::FileNotFound) => Err(ApiError::ShareNotFound),
            other => other,
        }
    }
}
