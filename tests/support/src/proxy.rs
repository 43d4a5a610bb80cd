//! A TCP proxy in front of the local stack, for two kinds of tests:
//!
//! - outages: a test stops, freezes and restarts it while the app under test keeps pointing at
//!   the same address ([`Proxy::start`]);
//! - distance: each new connection and each request (the first bytes after a quiet spell on the
//!   client side) waits `rtt` before it is forwarded ([`Proxy::with_delay`]). On 127.0.0.1 a
//!   call costs the emulator's CPU time only, and the emulator (Python) runs one request at a
//!   time; real AWS calls are dominated by the network and run truly in parallel. The emulator
//!   closes the connection after every response (`Connection: close`), so through the delay every
//!   call pays two round trips (connect, request), where pooled keep-alive connections to AWS
//!   would pay one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// Bytes closer together than this belong to the same request.
const SAME_REQUEST: Duration = Duration::from_millis(2);

/// A running (or stopped) proxy on a fixed local port.
pub struct Proxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    rtt: Option<Duration>,
    frozen: Arc<AtomicBool>,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Proxy {
    /// Listens on a free local port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        Self::listen(upstream, None).await
    }

    /// As [`Proxy::start`], with a network round trip of `rtt` added (see the module docs).
    pub async fn with_delay(upstream: SocketAddr, rtt: Duration) -> Self {
        Self::listen(upstream, Some(rtt)).await
    }

    async fn listen(upstream: SocketAddr, rtt: Option<Duration>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let addr = listener.local_addr().expect("local address");
        let mut proxy = Proxy {
            addr,
            upstream,
            rtt,
            frozen: Arc::new(AtomicBool::new(false)),
            running: None,
        };
        proxy.serve(listener);
        proxy
    }

    /// `http://127.0.0.1:<port>`, to use as `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes the port and cuts every open connection: what a stopped stack looks like.
    pub async fn stop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    /// Accepts connections but never answers, and cuts the open ones: a hung stack.
    pub async fn freeze(&mut self) {
        self.restart().await;
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// Listens again on the same port and forwards again.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.frozen.store(false, Ordering::SeqCst);
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("bind the same port again");
        self.serve(listener);
    }

    fn serve(&mut self, listener: TcpListener) {
        let (stop, mut stopped) = oneshot::channel();
        let (upstream, rtt, frozen) = (self.upstream, self.rtt, Arc::clone(&self.frozen));
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((client, _)) = accepted else { continue };
                        if frozen.load(Ordering::SeqCst) {
                            connections.spawn(async move {
                                let _held = client;
                                std::future::pending::<()>().await;
                            });
                        } else {
                            connections.spawn(forward(client, upstream, rtt));
                        }
                        while connections.try_join_next().is_some() {}
                    }
                }
            }
            drop(listener);
            connections.shutdown().await;
        });
        self.running = Some((stop, task));
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            task.abort();
        }
    }
}

/// Pipes one connection both ways, the client's requests `rtt` late if set.
async fn forward(mut client: TcpStream, upstream: SocketAddr, rtt: Option<Duration>) {
    let Some(rtt) = rtt else {
        if let Ok(mut server) = TcpStream::connect(upstream).await {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
        return;
    };
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
