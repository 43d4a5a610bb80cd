//! `GET /read-file`: the first line of the caller's own `data.txt`.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::response::Reply;

/// Reads the caller's data file with the caller's own keys.
pub async fn handle(caller: &Caller<'_>) -> Result<Reply, ApiError> {
    let line = caller
        .read(|bucket| async move { bucket.first_line(&bucket.data_file()).await })
        .await?;
    Ok(Reply::Common(line))
}
