//! Sending bytes to presigned part URLs as a page does, over hyper 1 (the HTTP stack the SDK
//! itself uses), one pooled client for the whole run.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A pooled HTTP/1.1 client for presigned URLs.
#[derive(Clone)]
pub struct PartClient(Client<HttpConnector, Full<Bytes>>);

impl PartClient {
    pub fn new() -> Self {
        PartClient(Client::builder(TokioExecutor::new()).build_http())
    }

    /// PUTs `body` to one entry of `POST /uploads/{upload}/parts`'s `urls` (URL and signed
    /// headers); returns the part's ETag.
    pub async fn put(&self, signed: &Value, body: Bytes) -> Result<String, BoxError> {
        let url = signed["url"].as_str().ok_or("no url")?;
        let mut request = hyper::Request::put(url);
        for (name, value) in signed["headers"].as_object().ok_or("no headers")? {
            // hyper sets Content-Length from the body, which is the signed size.
            if !name.eq_ignore_ascii_case("content-length") {
                request = request.header(name, value.as_str().ok_or("header")?);
            }
        }
        let response = self.0.request(request.body(Full::new(body))?).await?;
        let status = response.status();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.into_body().collect().await?.to_bytes();
        match etag {
            Some(etag) if status.is_success() => Ok(etag),
            _ => Err(format!(
                "part PUT answered {status}: {}",
                String::from_utf8_lossy(&text)
            )
            .into()),
        }
    }
}
