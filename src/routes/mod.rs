//! Routing: which use case a request reaches.

pub mod read_file;

use crate::app::App;
use crate::error::ApiError;
use lambda_http::{Request, http::Method};
use std::sync::Arc;

/// What a successful request produced.
pub struct Served {
    /// The first line of the user's file.
    pub data: String,
    /// Whose file it was.
    pub identity: crate::identity::IdentityId,
}

/// Routes `req` and runs its use case; returns the route name for the log line.
pub async fn dispatch(app: &App, req: &Request) -> (&'static str, Result<Served, Arc<ApiError>>) {
    if !is_read_file(req.uri().path()) {
        return ("unknown", Err(Arc::new(ApiError::RouteNotFound)));
    }
    if req.method() != Method::GET {
        return ("read-file", Err(Arc::new(ApiError::MethodNotAllowed)));
    }
    // Answer before Lambda's own timeout would cut the request off with no JSON at all.
    let outcome = tokio::time::timeout(app.config.request_timeout, read_file::handle(app, req))
        .await
        .unwrap_or_else(|_| Err(Arc::new(ApiError::OutOfTime)));
    ("read-file", outcome)
}

/// `/read-file`, or `/<stage>/read-file` as API Gateway REST events carry it.
fn is_read_file(path: &str) -> bool {
    const ROUTE: &str = "read-file";
    match path.strip_prefix('/') {
        Some(ROUTE) => true,
        Some(rest) => rest
            .split_once('/')
            .is_some_and(|(stage, route)| !stage.is_empty() && route == ROUTE),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_read_file;

    #[test]
    fn read_file_is_reached_with_or_without_a_stage() {
        assert!(is_read_file("/read-file"));
        assert!(is_read_file("/v1/read-file"));
        assert!(is_read_file("/prod/read-file"));
    }

    #[test]
    fn other_paths_are_not_read_file() {
        for path in [
            "",
            "/",
            "/read-file/",
            "/read-files",
            "//read-file",
            "/v1/v2/read-file",
            "/v1/read-file/x",
            "read-file",
            "/READ-FILE",
        ] {
            assert!(!is_read_file(path), "{path}");
        }
    }
}
