//! The app under test, driven the way API Gateway drives it: requests by method and path, so a
//! new route needs nothing here.

use crate::requests::{parts, request_with_body};
use crate::stack::stack;
use lambda_http::{Body, Request, Response};
use read_file::App;
use read_file::emf::{Metrics, Sink};
use read_file::metrics::CallCounter;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The init time a recording app ([`TestApp::spawn_recording`]) reports with its first request.
pub const RECORDED_INIT: Duration = Duration::from_millis(42);
/// The `Service` dimension of a recording app's records.
pub const RECORDED_SERVICE: &str = "read-file-test";

/// An [`App`], called as a client would call it.
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
        let sdk = stack.lambda_sdk(&config).await;
        Self::from_app(App::new(config, sdk))
    }

    /// An app with the shared session tier on (the stack's table, as `make dev` and the CDK app
    /// run it), with configuration `overrides` on top: one Lambda environment among several.
    pub async fn spawn_shared(overrides: &[(&str, &str)]) -> Self {
        let stack = stack();
        let config = stack.shared_config_with(overrides);
        let sdk = stack.lambda_sdk(&config).await;
        Self::from_app(App::new(config, sdk))
    }

    /// An app wired to the local stack (the shared tier on if `shared`), with configuration
    /// `overrides`, writing its metric records ([`read_file::emf`]) into `records`, as if it had
    /// taken [`RECORDED_INIT`] to start.
    pub async fn spawn_recording(
        overrides: &[(&str, &str)],
        shared: bool,
        records: &Records,
    ) -> Self {
        let stack = stack();
        let config = if shared {
            stack.shared_config_with(overrides)
        } else {
            stack.config_with(overrides)
        };
        let sdk = stack.lambda_sdk(&config).await;
        let metrics = Metrics::new(RECORDED_SERVICE, records.sink(), Some(RECORDED_INIT));
        Self::from_app(App::new(config, sdk).with_metrics(metrics))
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

    /// Calls of `op` (`service:Operation`, [`read_file::metrics::op`]) made so far.
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

    /// `GET path` (a query string included) with `token` in the `idToken` header.
    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.send("GET", path, token, &[], vec![]).await
    }

    /// `PUT path` with `body` and extra `headers`.
    pub async fn put(
        &self,
        path: &str,
        token: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        self.send("PUT", path, token, headers, body.to_vec()).await
    }

    /// `POST path` with `json` as the body.
    pub async fn post(&self, path: &str, token: &str, json: &Value) -> (u16, Value) {
        let body = json.to_string().into_bytes();
        self.send("POST", path, token, &[], body).await
    }

    /// `DELETE path`: the status (204 has no body).
    pub async fn delete(&self, path: &str, token: &str) -> u16 {
        let request = request_with_body("DELETE", path, &[("idToken", token)], vec![]);
        self.handle(request).await.status().as_u16()
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, Value) {
        let mut all = vec![("idToken", token)];
        all.extend_from_slice(headers);
        self.call(request_with_body(method, path, &all, body)).await
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

/// The metric records an app wrote, as it wrote them (one JSON object per line).
#[derive(Clone, Default)]
pub struct Records(Arc<Mutex<Vec<String>>>);

impl Records {
    /// The sink an app writes into.
    pub fn sink(&self) -> Sink {
        let lines = Arc::clone(&self.0);
        Arc::new(move |line: &str| {
            lines
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(line.to_owned())
        })
    }

    /// The lines written since the last call, parsed (a line that is not JSON fails the test).
    pub fn take(&self) -> Vec<Value> {
        let lines = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        lines
            .iter()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
            })
            .collect()
    }

    /// Every line written so far, as written (for a search for secrets).
    pub fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).join("\n")
    }
}
