//! The app under test, driven the way API Gateway drives it: requests by method and path, so a
//! new route needs nothing here.

use crate::requests::{parts, request_with_body};
use crate::stack::stack;
use lambda_http::{Body, Request, Response};
use read_file::App;
use lambda_http::RequestExt;
use read_file::emf::{Metrics, Sink};
use read_file::xray::Tracer;
use read_file::metrics::CallCounter;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

/// The init time a recording app ([`TestApp::spawn_recording`]) reports with its first request.
pub const RECORDED_INIT: Duration = Duration::from_millis(42);
/// The `Service` dimension of a recording app's records.
pub const RECORDED_SERVICE: &str = "read-file-test";

/// The trace header a traced app's requests carry when they have none (as Lambda gives one with
/// active tracing): sampled.
pub const TRACE_HEADER: &str =
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

/// An [`App`], called as a client would call it.
pub struct TestApp {
    app: App,
    /// Requests without a Lambda context get one with [`TRACE_HEADER`].
    traced: bool,
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
    /// taken [`RECORDED_INIT`] to start, and its X-Ray subsegments ([`read_file::xray`]) to
    /// `records`' daemon: its requests carry a sampled trace header.
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
        let tracer = Tracer::new(records.daemon()).expect("a UDP socket for the tracer");
        TestApp {
            app: App::new(config, sdk).with_metrics(metrics).with_tracer(tracer),
            traced: true,
        }
    }

    /// An app built elsewhere (for one that points at no stack at all).
    pub fn from_app(app: App) -> Self {
        TestApp { app, traced: false }
    }

    /// Any request, as `lambda_http` hands it to the handler: for event shapes and headers.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let request = if self.traced && request.lambda_context_ref().is_none() {
            let mut context = lambda_http::Context::default();
            context.xray_trace_id = Some(TRACE_HEADER.to_owned());
            request.with_lambda_context(context)
        } else {
            request
        };
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

/// The metric records an app wrote, as it wrote them (one JSON object per line), and the X-Ray
/// datagrams it sent to this value's stand-in daemon (a UDP socket on loopback).
#[derive(Clone, Default)]
pub struct Records {
    lines: Arc<Mutex<Vec<String>>>,
    datagrams: Arc<Mutex<Vec<String>>>,
    daemon: Arc<OnceLock<SocketAddr>>,
}

impl Records {
    /// The sink an app writes into.
    pub fn sink(&self) -> Sink {
        let lines = Arc::clone(&self.lines);
        Arc::new(move |line: &str| {
            lines
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(line.to_owned())
        })
    }

    /// The stand-in X-Ray daemon's address, started on first use: a thread receives its
    /// datagrams until this value and its clones are gone.
    pub fn daemon(&self) -> SocketAddr {
        *self.daemon.get_or_init(|| {
            let socket = UdpSocket::bind("127.0.0.1:0").expect("a UDP socket");
            socket
                .set_read_timeout(Some(Duration::from_millis(200)))
                .expect("a read timeout");
            let address = socket.local_addr().expect("its address");
            let datagrams: Weak<Mutex<Vec<String>>> = Arc::downgrade(&self.datagrams);
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 65_536];
                loop {
                    let received = socket.recv(&mut buf);
                    let Some(datagrams) = datagrams.upgrade() else {
                        return;
                    };
                    if let Ok(n) = received {
                        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                        datagrams.lock().unwrap_or_else(|p| p.into_inner()).push(text);
                    }
                }
            });
            address
        })
    }

    /// The lines written since the last call, parsed (a line that is not JSON fails the test).
    pub fn take(&self) -> Vec<Value> {
        let lines = std::mem::take(&mut *self.lines.lock().unwrap_or_else(|p| p.into_inner()));
        lines
            .iter()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
            })
            .collect()
    }

    /// The datagrams received since the last call, once there are at least `count` (or after
    /// 5 s, with what came): each as sent, the daemon's header line and a segment document.
    pub fn take_datagrams(&self, count: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let mut datagrams = self.datagrams.lock().unwrap_or_else(|p| p.into_inner());
            if datagrams.len() >= count || std::time::Instant::now() >= deadline {
                return std::mem::take(&mut *datagrams);
            }
            drop(datagrams);
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every line and datagram so far, as written and sent (for a search for secrets).
    pub fn text(&self) -> String {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner()).join("\n");
        let datagrams = self.datagrams.lock().unwrap_or_else(|p| p.into_inner()).join("\n");
        format!("{lines}\n{datagrams}")
    }
}
