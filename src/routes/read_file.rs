//! `GET /read-file`: the first line of the caller's own `data.txt`.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::response::Reply;
use std::sync::Arc;

/// Reads the caller's data file with the caller's own keys.
pub async fn handle(caller: &Caller<'_>) -> Result<Reply, Arc<ApiError>> {
    let line = caller
        .read(|bucket| async move { bucket.first_line(&bucket.data_file()).await })
        .await?;
    Ok(Reply::Common(line))
}
