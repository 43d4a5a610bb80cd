//! A TCP proxy in front of the local stack that adds a network round trip: each new connection
//! and each request (the first bytes after a quiet spell on the client side) waits `rtt` before
//! it is forwarded. On 127.0.0.1 a call costs the emulator's CPU time only, and the emulator
//! (Python) runs one request at a time; real AWS calls are dominated by the network and run
//! truly in parallel. The proxy lets the bench show both. The emulator closes the connection
//! after every response (`Connection: close`), so with the proxy every call, ours and the naive
//! flow's alike, pays two round trips (connect, request), where pooled keep-alive connections to
//! AWS would pay one.

use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Bytes closer together than this belong to the same request.
const SAME_REQUEST: Duration = Duration::from_millis(2);

pub struct LatencyProxy {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl LatencyProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream` with `rtt` added.
    pub async fn start(upstream: SocketAddr, rtt: Duration) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(async move {
                    tokio::time::sleep(rtt).await; // the TCP handshake's round trip
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        pipe(client_read, server_write, Some(rtt)),
                        pipe(server_read, client_write, None),
                    );
                });
            }
        });
        Ok(LatencyProxy { addr, task })
    }

    /// `http://127.0.0.1:<port>`, to use as `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Option<Duration>,
) {
    let mut buf = vec![0; 64 * 1024];
    let mut last: Option<Instant> = None;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(rtt) = delay {
            if last.is_none_or(|at| at.elapsed() > SAME_REQUEST) {
                tokio::time::sleep(rtt).await;
            }
            last = Some(Instant::now());
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
