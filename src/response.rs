//! Every HTTP response the function sends is built here: JSON bodies, `Cache-Control: no-store`.

use lambda_http::http::{StatusCode, response::Builder};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::json;

/// What a use case produced, before it becomes HTTP.
#[derive(Debug)]
pub enum Reply {
    /// `GET /read-file`: `200 {"status":"success","type":"common","data":"<line>"}`.
    Common(String),
    /// `{"status":"success","type":<kind>,"data":<data>}` with `status`.
    Data {
        /// 200 or 201.
        status: StatusCode,
        /// The body's `type`: `list`, `file`, `upload-url`.
        kind: &'static str,
        /// The body's `data`.
        data: serde_json::Value,
    },
    /// 204, no body.
    NoContent,
}

impl Reply {
    /// A success of `kind` carrying `data`.
    pub fn data(status: StatusCode, kind: &'static str, data: impl Serialize) -> Self {
        Reply::Data {
            status,
            kind,
            data: serde_json::to_value(data).unwrap_or_default(),
        }
    }

    /// A write's success of `kind` carrying `data`: 201 when it made something new, 200 when it
    /// replaced (or found) what was there.
    pub fn stored(new: bool, kind: &'static str, data: impl Serialize) -> Self {
        let status = if new {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Reply::data(status, kind, data)
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response<Body> {
        match self {
            Reply::Common(line) => json(
                StatusCode::OK,
                &json!({ "status": "success", "type": "common", "data": line }),
                None,
            ),
            Reply::Data { status, kind, data } => json(
                status,
                &json!({ "status": "success", "type": kind, "data": data }),
                None,
            ),
            Reply::NoContent => finish(builder(StatusCode::NO_CONTENT), Body::Empty),
        }
    }
}

/// A JSON response with an optional extra header.
pub fn json(
    status: StatusCode,
    body: &serde_json::Value,
    extra: Option<(&'static str, &'static str)>,
) -> Response<Body> {
    let mut builder = builder(status).header("content-type", "application/json");
    if let Some((name, value)) = extra {
        builder = builder.header(name, value);
    }
    finish(builder, Body::Text(body.to_string()))
}

fn builder(status: StatusCode) -> Builder {
    Response::builder()
        .status(status)
        // Bodies are one user's private data or an error about their credentials.
        .header("cache-control", "no-store")
}

fn finish(builder: Builder, body: Body) -> Response<Body> {
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::Empty))
}
