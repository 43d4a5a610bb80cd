//! Copy, move and rename: `POST /copies` and `POST /moves` with `{"from", "to"}`, both names in
//! the caller's own folder. The copy is made inside S3 with the caller's keys (CopyObject, which
//! IAM authorizes as `s3:GetObject` on the source and `s3:PutObject` on the target; multipart
//! above `MAX_SINGLE_COPY_BYTES`). A move is that copy, then the source's removal: a failure of
//! the copy leaves the source untouched.

use super::Input;
use super::files::{body_of, only_if_absent};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::response::Reply;
use crate::storage::FileName;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    from: String,
    to: String,
}

/// The input of `POST /copies` and `POST /moves`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    from: FileName,
    to: FileName,
    only_if_absent: bool,
    single_copy_max: u64,
}

impl Transfer {
    /// Parses `{"from": name, "to": name}` (two different names) and `If-None-Match: *`.
    pub fn parse(input: &Input<'_>) -> Result<Self, ApiError> {
        let only_if_absent = only_if_absent(input.req)?;
        let body: TransferBody = serde_json::from_slice(body_of(input.req)).map_err(|_| {
            ApiError::InvalidParameter("body", "JSON {\"from\": string, \"to\": string}")
        })?;
        let (from, to) = (FileName::parse(&body.from)?, FileName::parse(&body.to)?);
        if from == to {
            return Err(ApiError::InvalidParameter("to", "a name other than from"));
        }
        Ok(Transfer {
            from,
            to,
            only_if_absent,
            single_copy_max: input.limits.max_single_copy_bytes,
        })
    }
}

#[derive(Serialize)]
struct Copied {
    name: String,
    from: String,
    size: u64,
    etag: Option<String>,
}

/// Copies `t.from` to `t.to`: whether `to` existed, the size, the new ETag.
async fn copy_file(
    caller: &Caller<'_>,
    t: &Transfer,
) -> Result<(bool, u64, Option<String>), ApiError> {
    caller
        .change(|bucket| async move {
            let (from, to) = (bucket.key(&t.from)?, bucket.key(&t.to)?);
            let source = bucket.head(&from).await?;
            let existed = bucket.exists(&to).await?;
            if existed && t.only_if_absent {
                return Err(ApiError::FileExists);
            }
            let etag = bucket
                .copy(&from, &to, &source, t.only_if_absent, t.single_copy_max)
                .await?;
            Ok((existed, source.size, etag))
        })
        .await
}

fn answer(t: &Transfer, (existed, size, etag): (bool, u64, Option<String>)) -> Reply {
    Reply::stored(
        !existed,
        "file",
        Copied {
            name: t.to.to_string(),
            from: t.from.to_string(),
            size,
            etag,
        },
    )
}

/// `POST /copies`: 201 when `to` is new, 200 when it replaced a file (412 `file_exists` with
/// `If-None-Match: *`); 404 `file_not_found` without `from`.
pub async fn copy(caller: &Caller<'_>, t: &Transfer) -> Result<Reply, ApiError> {
    let copied = copy_file(caller, t).await?;
    Ok(answer(t, copied))
}

/// `POST /moves` (a rename is a move): the copy, then the source's removal. If the copy fails the
/// source is untouched; if the removal fails the error is answered and both names exist (a retry
/// without `If-None-Match` finishes the move).
pub async fn move_file(caller: &Caller<'_>, t: &Transfer) -> Result<Reply, ApiError> {
    let copied = copy_file(caller, t).await?;
    caller
        .change(|bucket| async move { bucket.delete(&bucket.key(&t.from)?).await })
        .await?;
    Ok(answer(t, copied))
}
