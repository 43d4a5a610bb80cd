//! A minimal Lambda Runtime API on 127.0.0.1 for the release binary: hands out queued events on
//! `GET /2018-06-01/runtime/invocation/next`, collects what is posted back, and notes when the
//! first `next` arrived (the end of init). Blocking std I/O, a thread per connection.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct State {
    events: VecDeque<(String, String)>,
    first_next: Option<Instant>,
    responses: Vec<String>,
    shutdown: bool,
}

/// The fake runtime; stops serving on [`FakeRuntime::shutdown`].
pub struct FakeRuntime {
    addr: SocketAddr,
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl FakeRuntime {
    /// Listens on an ephemeral port of 127.0.0.1.
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let accept_shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                if accept_shared.0.lock().unwrap().shutdown {
                    break;
                }
                let shared = Arc::clone(&accept_shared);
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        Ok(FakeRuntime { addr, shared })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues `(request id, event JSON)` pairs.
    pub fn push(&self, events: Vec<(String, String)>) {
        let (lock, ready) = &*self.shared;
        lock.lock().unwrap().events.extend(events);
        ready.notify_all();
    }

    /// When the first `next` arrived, waiting up to `timeout`.
    pub fn wait_first_next(&self, timeout: Duration) -> Option<Instant> {
        let (lock, ready) = &*self.shared;
        let state = lock.lock().unwrap();
        let (state, _) = ready
            .wait_timeout_while(state, timeout, |s| s.first_next.is_none())
            .unwrap();
        state.first_next
    }

    /// The first `count` response bodies posted back, waiting up to `timeout`.
    pub fn wait_responses(&self, count: usize, timeout: Duration) -> Option<Vec<String>> {
        let (lock, ready) = &*self.shared;
        let state = lock.lock().unwrap();
        let (state, _) = ready
            .wait_timeout_while(state, timeout, |s| s.responses.len() < count)
            .unwrap();
        (state.responses.len() >= count).then(|| state.responses.clone())
    }

    /// Releases every waiting connection and stops accepting.
    pub fn shutdown(&self) {
        let (lock, ready) = &*self.shared;
        lock.lock().unwrap().shutdown = true;
        ready.notify_all();
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// One keep-alive connection: request after request until the peer or the runtime goes away.
fn serve(stream: TcpStream, shared: &(Mutex<State>, Condvar)) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
        );
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.eq_ignore_ascii_case("chunked");
                }
            }
        }
        let body = if chunked {
            read_chunked(&mut reader)?
        } else {
            let mut body = vec![0; length];
            reader.read_exact(&mut body)?;
            body
        };

        if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let (lock, ready) = shared;
            let mut state = lock.lock().unwrap();
            if state.first_next.is_none() {
                state.first_next = Some(Instant::now());
                ready.notify_all();
            }
            let mut state = ready
                .wait_while(state, |s| s.events.is_empty() && !s.shutdown)
                .unwrap();
            let Some((id, event)) = state.events.pop_front() else {
                return Ok(()); // shut down: drop the connection
            };
            drop(state);
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis()
                + 60_000;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 lambda-runtime-aws-request-id: {id}\r\nlambda-runtime-deadline-ms: {deadline}\r\n\
                 lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:read-file\r\n\
                 lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\n\r\n",
                event.len()
            );
            writer.write_all(head.as_bytes())?;
            writer.write_all(event.as_bytes())?;
        } else {
            if method == "POST" {
                let (lock, ready) = shared;
                let text = String::from_utf8_lossy(&body).into_owned();
                // Errors are kept as responses too; the caller finds they are not 200s.
                lock.lock().unwrap().responses.push(text);
                ready.notify_all();
            }
            let answer = b"{\"status\":\"OK\"}";
            let head = format!(
                "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                answer.len()
            );
            writer.write_all(head.as_bytes())?;
            writer.write_all(answer)?;
        }
        writer.flush()?;
    }
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let mut chunk = vec![0; size + 2]; // data + CRLF
        reader.read_exact(&mut chunk)?;
        if size == 0 {
            // Trailers end with an empty line; we sent none and expect none.
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}
