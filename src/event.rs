//! The raw Lambda event, before `lambda_http` turns it into an `http::Request`.
//!
//! REST API (v1) events carry a repeated header twice: every value in `multiValueHeaders`, the
//! last one alone in `headers`. `lambda_http` lets `headers` win, so a request with two `idToken`
//! headers would reach the handler with one. We join repeated `idToken` values with a comma, as
//! HTTP API (v2) events do, so the handler refuses both shapes the same way.
//! `LambdaRequest` and `Adapter` are public but doc-hidden in `lambda_http`; they are what its own
//! `run` uses, hence the pinned minor version in `Cargo.toml`.

use lambda_http::request::LambdaRequest;
use lambda_http::{Request, http::HeaderValue};

/// Makes a repeated `idToken` header visible after conversion (see the module docs).
pub fn keep_repeated_id_tokens(event: &mut LambdaRequest) {
    #[allow(irrefutable_let_patterns)] // only the REST variant carries split headers
    let LambdaRequest::ApiGatewayV1(rest) = event else {
        return;
    };
    let values: Vec<&[u8]> = rest
        .multi_value_headers
        .get_all("idtoken")
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    if values.len() < 2 {
        return;
    }
    if let Ok(joined) = HeaderValue::from_bytes(&values.join(&b","[..])) {
        rest.headers.insert("idtoken", joined);
    }
}

/// Parses a JSON event the way the runtime does, for tests and tools.
pub fn request_from_json(json: &str) -> Result<Request, serde_json::Error> {
    let mut event: LambdaRequest = serde_json::from_str(json)?;
    keep_repeated_id_tokens(&mut event);
    Ok(event.into())
}
