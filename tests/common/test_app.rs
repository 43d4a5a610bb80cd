//! The app under test, driven the way API Gateway drives it: one method per route.

use super::{get, parts, request_with_body, stack};
use aws_credential_types::Credentials;
use lambda_http::{Body, Request, Response};
use read_file::metrics::CallCounter;
use read_file::{App, app::sdk_loader};
use serde_json::Value;
use std::collections::BTreeMap;

/// An [`App`] and the routes it serves, called as a client would call them.
///
/// A new route is one more method here: build its request, hand it to [`TestApp::call`].
pub struct TestApp {
    app: App,
}

impl TestApp {
    /// An app wired to the local stack with the Lambda principal's keys, as a sandbox starts.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// An app wired to the local stack, with configuration `overrides` on top of its settings.
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        let stack = stack();
        let config = stack.config_with(overrides);
        let creds = Credentials::new(
            stack.var("AWS_ACCESS_KEY_ID"),
            stack.var("AWS_SECRET_ACCESS_KEY"),
            None,
            None,
            "lambda-principal",
        );
        let sdk = sdk_loader(&config).credentials_provider(creds).load().await;
        Self::from_app(App::new(config, sdk).expect("app"))
    }

    /// An app built elsewhere (for one that points at no stack at all).
    pub fn from_app(app: App) -> Self {
        TestApp { app }
    }

    /// Any request, as `lambda_http` hands it to the handler: for event shapes and headers.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        self.app.handle(request).await
    }

    /// Status and JSON body of any request.
    pub async fn call(&self, request: Request) -> (u16, Value) {
        parts(&self.handle(request).await)
    }

    /// The upstream calls this app's clients have made so far.
    pub fn upstream_calls(&self) -> &CallCounter {
        self.app.upstream_calls()
    }

    /// Calls of `op` (`service:Operation` as the SDK names it) made so far.
    pub fn calls_of(&self, op: &str) -> u64 {
        self.calls_since(&BTreeMap::new(), op)
    }

    /// Calls of `op` made since `before`, a snapshot of [`TestApp::upstream_calls`].
    pub fn calls_since(&self, before: &BTreeMap<String, u64>, op: &str) -> u64 {
        let now = self
            .upstream_calls()
            .snapshot()
            .get(op)
            .copied()
            .unwrap_or(0);
        now - before.get(op).copied().unwrap_or(0)
    }

    /// `GET /read-file` with `token` in the `idToken` header.
    pub async fn read_file(&self, token: &str) -> (u16, Value) {
        self.call(get("/read-file", &[("idToken", token)])).await
    }

    /// `GET /files{query}`.
    pub async fn list_files(&self, token: &str, query: &str) -> (u16, Value) {
        self.call(get(&format!("/files{query}"), &[("idToken", token)]))
            .await
    }

    /// `GET /files/{name}{query}` (the name percent-encoded here).
    pub async fn get_file(&self, token: &str, name: &str, query: &str) -> (u16, Value) {
        let path = format!("{}{query}", file_path(name));
        self.call(get(&path, &[("idToken", token)])).await
    }

    /// `PUT /files/{name}` with `body` and extra `headers`.
    pub async fn put_file(
        &self,
        token: &str,
        name: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut all = vec![("idToken", token)];
        all.extend_from_slice(headers);
        let request = request_with_body("PUT", &file_path(name), &all, body.to_vec());
        self.call(request).await
    }

    /// `DELETE /files/{name}`: the status (204 has no body).
    pub async fn delete_file(&self, token: &str, name: &str) -> u16 {
        let request = request_with_body("DELETE", &file_path(name), &[("idToken", token)], vec![]);
        self.handle(request).await.status().as_u16()
    }

    /// `POST /upload-urls` with `ask` as the JSON body.
    pub async fn create_upload_url(&self, token: &str, ask: &Value) -> (u16, Value) {
        let body = ask.to_string().into_bytes();
        let request = request_with_body("POST", "/upload-urls", &[("idToken", token)], body);
        self.call(request).await
    }
}

/// `/files/<name>` with the name percent-encoded, `/` kept as the separator.
pub fn file_path(name: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/');
    format!(
        "/files/{}",
        percent_encoding::utf8_percent_encode(name, SEGMENT)
    )
}
