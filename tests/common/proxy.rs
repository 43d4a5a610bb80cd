//! A TCP proxy in front of the local stack that a test stops and restarts to play an outage,
//! while the app under test keeps pointing at the same address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// A running (or stopped) proxy on a fixed local port.
pub struct Proxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    frozen: Arc<AtomicBool>,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Proxy {
    /// Listens on a free local port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let addr = listener.local_addr().expect("local address");
        let mut proxy = Proxy {
            addr,
            upstream,
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
        let (upstream, frozen) = (self.upstream, Arc::clone(&self.frozen));
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((mut client, _)) = accepted else { continue };
                        if frozen.load(Ordering::SeqCst) {
                            connections.spawn(async move {
                                let _held = client;
                                std::future::pending::<()>().await;
                            });
                            continue;
                        }
                        connections.spawn(async move {
                            if let Ok(mut server) = TcpStream::connect(upstream).await {
                                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            }
                        });
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
