//! The `revocations` function behind the Lambda Invoke API, in the test's own process: the local
//! stack delivers the user pool's revoking calls to `POST /2015-03-31/functions/revocations/invocations`
//! of whatever URL it is configured with (`/moto-ext/user-events/config`), exactly as it does to
//! `cargo lambda watch` under `make dev`. Here the handler is the library's own
//! [`Revocations::handle`], with the revocations principal's keys, so tests need no second build.
//!
//! HTTP/1.1, one request per connection (the stack's client sends `Connection: close`).

use read_file::revocation::Revocations;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const PATH: &str = "/2015-03-31/functions/revocations/invocations";

/// A running Invoke API for `revocations`; stops when dropped.
pub struct InvokeServer {
    addr: SocketAddr,
    invocations: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl InvokeServer {
    /// Serves `revocations` on a free port of 127.0.0.1.
    pub async fn start(revocations: Revocations) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let addr = listener.local_addr().expect("local address");
        let revocations = Arc::new(revocations);
        let invocations = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&invocations);
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (revocations, counted) = (Arc::clone(&revocations), Arc::clone(&counted));
                tokio::spawn(async move {
                    let _ = serve(conn, &revocations, &counted).await;
                });
            }
        });
        InvokeServer {
            addr,
            invocations,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`, the `function_url` to give the stack.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Events handled so far.
    pub fn invocations(&self) -> u64 {
        self.invocations.load(Ordering::Relaxed)
    }
}

impl Drop for InvokeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut conn: TcpStream,
    revocations: &Revocations,
    counted: &AtomicU64,
) -> std::io::Result<()> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let (head_end, length) = loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while data.len() < head_end + length {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let request_line = String::from_utf8_lossy(&data[..head_end]);
    let (status, extra, body) = if !request_line.starts_with(&format!("POST {PATH} ")) {
        (404, "", r#"{"message":"no such function"}"#.to_owned())
    } else {
        counted.fetch_add(1, Ordering::Relaxed);
        let event = serde_json::from_slice(&data[head_end..]).unwrap_or_default();
        match revocations.handle(event).await {
            Ok(answer) => (200, "", answer.to_string()),
            // As Lambda answers a function error: 200 with X-Amz-Function-Error.
            Err(err) => (
                200,
                "X-Amz-Function-Error: Unhandled\r\n",
                serde_json::json!({ "errorMessage": err.to_string() }).to_string(),
            ),
        }
    };
    let answer = format!(
        "HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(answer.as_bytes()).await?;
    conn.shutdown().await
}
