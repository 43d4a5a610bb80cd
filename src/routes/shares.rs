//! Sharing with named users: `POST /shares` copies one of the caller's files for another user,
//! `GET /shares` lists what the caller shared and what was shared with them, `GET /shares/{id}`
//! gives the recipient the file (metadata and a signed URL), `DELETE /shares/{id}` revokes.
//!
//! A share is a copy at `<prefix>-shared/<recipient>/<owner>/<name>` ([`Share`]), written and
//! removed with the owner's keys and read with the recipient's: IAM
//! (`infra/policies/user-shares.json`) lets nobody else do either, and the owner segment of
//! any copy under a recipient's prefix is the IdentityId of whoever wrote it. The recipient is
//! found by username in the shared tier's directory ([`Directory`](crate::session::shares::Directory)).

use super::Input;
use super::files::{FileWithUrl, attachment_for, body_of, rfc3339, url_options};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::response::Reply;
use crate::session::now_ms;
use crate::session::shares::ShareRecord;
use crate::storage::{FileName, Received, Share};
use lambda_http::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};
use tokio::sync::OnceCell;

/// Cognito's longest username.
const MAX_USERNAME_CHARS: usize = 128;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareBody {
    name: String,
    with: String,
}

/// The input of `POST /shares`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShare {
    name: FileName,
    with: String,
    single_copy_max: u64,
}

impl NewShare {
    /// Parses `{"name": file name, "with": username}`.
    pub fn parse(input: &Input<'_>) -> Result<Self, ApiError> {
        let body: ShareBody = serde_json::from_slice(body_of(input.req)).map_err(|_| {
            ApiError::InvalidParameter("body", "JSON {\"name\": string, \"with\": string}")
        })?;
        let with = body.with;
        // Cognito usernames: 1-128 letters, marks, symbols, numbers, punctuation; no spaces.
        if with.is_empty()
            || with.chars().count() > MAX_USERNAME_CHARS
            || with.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ApiError::InvalidParameter("with", "a username"));
        }
        Ok(NewShare {
            name: FileName::parse(&body.name)?,
            with,
            single_copy_max: input.limits.max_single_copy_bytes,
        })
    }
}

/// The input of `GET /shares/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetShare {
    share: Share,
    expires_in: Duration,
    download: bool,
}

impl GetShare {
    /// The share the id names, the URL's lifetime and whether it must download.
    pub fn parse(input: &Input<'_>) -> Result<Self, ApiError> {
        let (expires_in, download) = url_options(input.req)?;
        Ok(GetShare {
            share: share_of(input)?,
            expires_in,
            download,
        })
    }
}

/// The `{id}` parameter as a share.
pub fn share_of(input: &Input<'_>) -> Result<Share, ApiError> {
    Share::from_id(input.param("id"))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Made {
    id: String,
    name: String,
    with: String,
    size: u64,
    shared_at: String,
}

/// `POST /shares`: 201 for a new share, 200 when it replaced the recipient's copy with the
/// file as it is now. 404 `unknown_recipient` for a username that does not exist, is disabled or
/// never signed in (one answer for all three); 404 `file_not_found`; 400 for oneself.
pub async fn create(caller: &Caller<'_>, new: &NewShare) -> Result<Reply, ApiError> {
    let directory = caller.directory()?;
    let (sub, username) = caller.user();
    // Looked up once, after the caller's own user check (inside `change`).
    let recipient = OnceCell::new();
    let recipient = &recipient;
    let (existed, size, record) = caller
        .change(|bucket| async move {
            let (their_sub, their_id) = recipient
                .get_or_try_init(|| directory.recipient(&new.with))
                .await?;
            if their_sub == sub || their_id == bucket.identity() {
                return Err(ApiError::InvalidParameter(
                    "with",
                    "another user's username",
                ));
            }
            let from = bucket.key(&new.name)?;
            let source = bucket.head(&from).await?;
            let share = Share::new(their_id, bucket.identity(), new.name.clone());
            let to = bucket.outgoing_key(&share)?;
            let record = ShareRecord {
                share,
                with: new.with.clone(),
                shared_at: now_ms(),
            };
            // On record first: a copy the index does not know could not be listed or revoked
            // through the API.
            let existed = directory
                .record(sub, username, bucket.identity(), &record)
                .await?;
            if let Err(err) = bucket
                .copy(&from, &to, &source, false, new.single_copy_max)
                .await
            {
                if !existed {
                    let _ = directory.forget(sub, &record.share).await;
                }
                return Err(err);
            }
            Ok((existed, source.size, record))
        })
        .await?;
    Ok(Reply::stored(
        !existed,
        "share",
        Made {
            id: record.share.id(),
            name: record.share.name().to_string(),
            with: record.with,
            size,
            shared_at: at(record.shared_at),
        },
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Mine {
    id: String,
    name: String,
    with: String,
    shared_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WithMe {
    id: String,
    name: String,
    /// The owner's username; `None` for an owner who never shared through the API.
    from: Option<String>,
    size: u64,
    last_modified: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Shares {
    mine: Vec<Mine>,
    with_me: Vec<WithMe>,
    /// More was shared with the caller than one listing returns.
    with_me_truncated: bool,
}

/// `GET /shares`: the caller's own shares (newest first) and those made with the caller.
pub async fn list(caller: &Caller<'_>) -> Result<Reply, ApiError> {
    let directory = caller.directory()?;
    let (sub, _) = caller.user();
    let (mine, (received, truncated)) = caller
        .read(|bucket| async move {
            let (mine, received) =
                tokio::join!(directory.mine(sub, bucket.identity()), bucket.received());
            Ok((mine?, received?))
        })
        .await?;
    let owners: Vec<&str> = received.iter().map(|r| r.share.owner()).collect();
    let names = directory.usernames(&owners).await;
    let with_me = received
        .iter()
        .map(
            |Received {
                 share,
                 size,
                 last_modified,
             }| WithMe {
                id: share.id(),
                name: share.name().to_string(),
                from: names.get(share.owner()).cloned(),
                size: *size,
                last_modified: last_modified.clone(),
            },
        )
        .collect();
    let mine = mine
        .into_iter()
        .map(|record| Mine {
            id: record.share.id(),
            name: record.share.name().to_string(),
            with: record.with,
            shared_at: at(record.shared_at),
        })
        .collect();
    Ok(Reply::data(
        StatusCode::OK,
        "shares",
        Shares {
            mine,
            with_me,
            with_me_truncated: truncated,
        },
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SharedFile {
    id: String,
    from: Option<String>,
    #[serde(flatten)]
    file: FileWithUrl,
}

/// `GET /shares/{id}`: to the recipient, the shared file as `GET /files/{name+}` gives one's
/// own (a URL signed with the recipient's keys); 404 `share_not_found` to anyone else and once
/// revoked.
pub async fn get(caller: &Caller<'_>, get: &GetShare) -> Result<Reply, ApiError> {
    let directory = caller.directory()?;
    let share = &get.share;
    let (info, url, attachment) = caller
        .read(|bucket| async move {
            let key = bucket.incoming_key(share)?;
            let info = bucket.received_file(&key).await?;
            let attachment =
                attachment_for(share.name(), info.content_type.as_deref(), get.download);
            let url = bucket
                .presign_get(&key, get.expires_in, attachment.as_ref())
                .await?;
            Ok((info, url, attachment.is_some()))
        })
        .await?;
    let from = directory.username(share.owner()).await;
    Ok(Reply::data(
        StatusCode::OK,
        "file",
        SharedFile {
            id: share.id(),
            from,
            file: FileWithUrl {
                name: share.name().to_string(),
                size: info.size,
                last_modified: info.last_modified,
                etag: info.etag,
                content_type: info.content_type,
                url: url.url,
                url_expires_at: rfc3339(url.expires_at),
                disposition: if attachment { "attachment" } else { "inline" },
            },
        },
    ))
}

/// `DELETE /shares/{id}`: the owner removes the recipient's copy and the index entry; 204 also
/// when it was gone already; 404 `share_not_found` to anyone but the owner.
pub async fn delete(caller: &Caller<'_>, share: &Share) -> Result<Reply, ApiError> {
    let directory = caller.directory()?;
    let (sub, _) = caller.user();
    caller
        .change(|bucket| async move {
            let key = bucket.outgoing_key(share)?;
            bucket.delete(&key).await?;
            directory.forget(sub, share).await
        })
        .await?;
    Ok(Reply::NoContent)
}

/// Milliseconds since the epoch as RFC 3339.
fn at(ms: u64) -> String {
    rfc3339(SystemTime::UNIX_EPOCH + Duration::from_millis(ms))
}
