//! Requests as `lambda_http` hands them to the handler, real API Gateway events from
//! `tests/fixtures`, and the parts of a response.

use crate::stack::{repo_root, stack};
use lambda_http::{Body, Request, Response};
use serde_json::Value;

/// A `GET` request for `path` with `headers`, as `lambda_http` hands it to the handler.
pub fn get(path: &str, headers: &[(&str, &str)]) -> Request {
    request("GET", path, headers)
}

/// A request with any method.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
    request_with_body(method, path, headers, Vec::new())
}

/// A request with a body (`Body::Binary`, as `lambda_http` hands API Gateway's base64 bodies);
/// the query string also goes where the runtime puts it (`RequestExt::query_string_parameters`).
pub fn request_with_body(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Request {
    use lambda_http::RequestExt;
    use lambda_http::aws_lambda_events::query_map::QueryMap;
    let query: QueryMap = path
        .split_once('?')
        .map_or("", |(_, q)| q)
        .parse()
        .expect("a query string");
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = if body.is_empty() {
        Body::Empty
    } else {
        Body::Binary(body)
    };
    builder
        .body(body)
        .expect("request")
        .with_query_string_parameters(query)
}

/// Status and JSON body of a response.
pub fn parts(response: &Response<Body>) -> (u16, Value) {
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).expect("JSON body"),
        other => panic!("expected a JSON text body, got {other:?}"),
    };
    (response.status().as_u16(), body)
}

/// The error code of an error response.
pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}

/// A REST API (v1) `GET /v1/read-file` event carrying `token`, signed (as API Gateway attests
/// with `AWS_IAM`) by the identity-pool identity `signer`.
pub fn rest_event(token: &str, signer: &str) -> Request {
    let values = format!("\"{token}\"");
    event(
        "rest-v1-iam.json",
        &[
            ("{{ID_TOKEN_VALUES}}", &values),
            ("{{ID_TOKEN}}", token),
            ("{{COGNITO_IDENTITY_ID}}", signer),
            ("{{IDENTITY_POOL_ID}}", stack().var("IDENTITY_POOL_ID")),
        ],
    )
}

/// A Lambda function URL (v2) `GET /read-file` event carrying `token`: with `signer`, an
/// identity-pool identity the URL's `AWS_IAM` auth attested; without, auth type NONE.
pub fn function_url_event(token: &str, signer: Option<&str>) -> Request {
    let (signer, pool) = match signer {
        Some(signer) => (signer, stack().var("IDENTITY_POOL_ID")),
        None => ("", ""),
    };
    event(
        "function-url-v2.json",
        &[
            ("{{ID_TOKEN}}", token),
            ("{{COGNITO_IDENTITY_ID}}", signer),
            ("{{IDENTITY_POOL_ID}}", pool),
        ],
    )
}

/// A real API Gateway event from `tests/fixtures`, with placeholders filled in.
pub fn event(fixture: &str, replacements: &[(&str, &str)]) -> Request {
    let path = repo_root()
        .join("tests/fixtures")
        .join(fixture);
    let mut text = std::fs::read_to_string(&path).expect("fixture");
    for (from, to) in replacements {
        text = text.replace(from, to);
    }
    read_file::event::request_from_json(&text).expect("an API Gateway event")
}

