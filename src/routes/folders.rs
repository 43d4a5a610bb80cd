//! Folders: `PUT /folders/{path+}` makes an empty one (a zero-byte `path/` marker, as the S3
//! console does), `DELETE /folders/{path+}` removes one and everything below it with the
//! caller's keys (batched DeleteObjects, each key authorized as its own `s3:DeleteObject`).

use super::Input;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::response::Reply;
use crate::storage::{FileName, Removal};
use lambda_http::http::StatusCode;
use serde::Serialize;

/// Listing pages (of up to 1000 keys) removed per request: a folder larger than this is removed
/// over several requests (`done: false` until then). Two pages are two ListObjectsV2 and two
/// DeleteObjects calls, well within the deployed request budget (8 s).
pub const MAX_PAGES_PER_REQUEST: usize = 2;
/// The type S3's console gives folder markers.
const FOLDER_TYPE: &str = "application/x-directory";

/// The `{path+}` parameter as a folder name (the rules of file names).
pub fn folder_of(input: &Input<'_>) -> Result<FileName, ApiError> {
    FileName::parse(input.param("path"))
}

#[derive(Serialize)]
struct FolderOut {
    name: String,
}

/// `PUT /folders/{path+}`: 201 when the marker is new, 200 when it was there already.
pub async fn create(caller: &Caller<'_>, name: &FileName) -> Result<Reply, ApiError> {
    let created = caller
        .change(|bucket| async move {
            let marker = bucket.folder_marker(name)?;
            match bucket.put(&marker, Vec::new(), FOLDER_TYPE, true).await {
                Ok(_) => Ok(true),
                Err(ApiError::FileExists) => Ok(false),
                Err(err) => Err(err),
            }
        })
        .await?;
    Ok(Reply::stored(
        created,
        "folder",
        FolderOut {
            name: name.to_string(),
        },
    ))
}

#[derive(Serialize)]
struct NotDeleted {
    name: String,
    code: String,
}

#[derive(Serialize)]
struct Deleted {
    name: String,
    deleted: u64,
    failed: Vec<NotDeleted>,
    /// `false` when more is left than one request removes: call again.
    done: bool,
}

/// `DELETE /folders/{path+}`: removes the folder's marker and every key below it, a page of 1000
/// at a time; 200 with what was removed and what S3 refused (`failed`, with S3's code).
/// Idempotent: an absent folder is removed with nothing to do.
pub async fn delete(caller: &Caller<'_>, name: &FileName) -> Result<Reply, ApiError> {
    let mut total = Removal::default();
    let mut next: Option<String> = None;
    let mut done = false;
    for _ in 0..MAX_PAGES_PER_REQUEST {
        let (removal, more) = caller
            .change(|bucket| {
                let next = next.clone();
                async move {
                    let (keys, more) = bucket.keys_below(name, next).await?;
                    Ok((bucket.delete_many(&keys).await?, more))
                }
            })
            .await?;
        total.deleted += removal.deleted;
        total.failed.extend(removal.failed);
        match more {
            // Continue after what this page listed: refused keys stay, and are not met again.
            Some(token) => next = Some(token),
            None => {
                done = true;
                break;
            }
        }
    }
    Ok(Reply::data(
        StatusCode::OK,
        "folder-delete",
        Deleted {
            name: name.to_string(),
            deleted: total.deleted,
            failed: total
                .failed
                .into_iter()
                .map(|(name, code)| NotDeleted {
                    name: name.as_str().to_owned(),
                    code,
                })
                .collect(),
            done,
        },
    ))
}
