//! Faults injected into the local stack (`/moto-ext/faults`, see infra/local/README.md): global to
//! the stack, so only test binaries that run nothing else beside them use these.

use crate::stack::{plain_http, stack};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The stack's `host:port` (for a proxy in front of it).
pub fn stack_addr() -> SocketAddr {
    stack()
        .var("AWS_ENDPOINT_URL")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("host:port")
}

/// Clears every fault of the stack, synchronously (usable from `Drop`).
pub fn clear_faults() {
    let addr = stack_addr();
    let attempt = || -> std::io::Result<String> {
        let mut conn = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        conn.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(
            conn,
            "DELETE /moto-ext/faults HTTP/1.1\r\nHost: {addr}\r\nX-Local-Stack-Secret: {}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            stack().var("LOCAL_STACK_SECRET")
        )?;
        let mut answer = String::new();
        conn.read_to_string(&mut answer)?;
        Ok(answer)
    };
    match attempt() {
        Ok(answer) if answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200") => {}
        other => eprintln!("could not clear the stack's faults: {other:?}"),
    }
}

/// Clears the faults when made and when dropped, so a failing scenario leaves the stack clean.
pub struct FaultGuard;

impl FaultGuard {
    /// No fault from here on, until one is injected.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        clear_faults();
        FaultGuard
    }

    /// Adds one fault (`{"target": "s3:GetObject", "kind": "throttle" | "error" | "delay", ...}`).
    pub async fn inject(&self, fault: Value) {
        let url = format!("{}/moto-ext/faults", stack().var("AWS_ENDPOINT_URL"));
        let (status, _) = plain_http("POST", &url, &fault.to_string()).await;
        assert!((200..300).contains(&status), "fault refused: {fault}");
    }

    /// Clears every fault now.
    pub fn clear(&self) {
        clear_faults();
    }
}

impl Drop for FaultGuard {
    fn drop(&mut self) {
        clear_faults();
    }
}
