//! X-Ray subsegments for a sampled request's upstream calls: one per attempt put on the wire,
//! under the function's segment of the request's trace, so a slow first request shows its round
//! trips (the exchange, then S3; the table's reads) in the X-Ray console.
//!
//! With active tracing, Lambda gives each invocation a trace header (`Root=...;Parent=...;
//! Sampled=1`) and runs an X-Ray daemon beside the function (`AWS_XRAY_DAEMON_ADDRESS`). After the
//! request, the function sends the subsegments of its attempts ([`crate::metrics::RequestRecord`])
//! to the daemon as UDP datagrams in the documented segment-document format; an unsampled request
//! sends nothing, and a lost datagram loses a subsegment, never the request.
//!
//! A subsegment holds the service and operation names (`metrics::op`), the outcome and the times:
//! never a user, an identity, a token or a key.

use crate::metrics::{Outcome, RequestRecord};
use serde_json::{Value, json};
use std::net::{SocketAddr, UdpSocket};
use std::time::{SystemTime, UNIX_EPOCH};

/// The first line of every datagram the daemon accepts.
const DAEMON_HEADER: &str = r#"{"format": "json", "version": 1}"#;

/// The trace a request belongs to, from Lambda's trace header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// `Root`: the trace id.
    pub root: String,
    /// `Parent`: the function's segment, the parent of the subsegments.
    pub parent: String,
    /// `Sampled=1`.
    pub sampled: bool,
}

impl TraceContext {
    /// Parses `Root=1-...;Parent=...;Sampled=1`; `None` without a root or a parent.
    pub fn parse(header: &str) -> Option<Self> {
        let mut root = None;
        let mut parent = None;
        let mut sampled = false;
        for part in header.split(';') {
            match part.trim().split_once('=') {
                Some(("Root", v)) => root = Some(v.to_owned()),
                Some(("Parent", v)) => parent = Some(v.to_owned()),
                Some(("Sampled", v)) => sampled = v == "1",
                _ => {}
            }
        }
        Some(TraceContext {
            root: root.filter(|r| !r.is_empty())?,
            parent: parent.filter(|p| !p.is_empty())?,
            sampled,
        })
    }
}

/// Sends subsegments to the X-Ray daemon.
#[derive(Debug)]
pub struct Tracer {
    socket: UdpSocket,
    daemon: SocketAddr,
}

impl Tracer {
    /// The daemon Lambda runs beside the function (`AWS_XRAY_DAEMON_ADDRESS`, `host:port` or
    /// `tcp:host:port udp:host:port`), if there is one.
    pub fn from_env() -> Option<Self> {
        let address = std::env::var("AWS_XRAY_DAEMON_ADDRESS").ok()?;
        let udp = address
            .split_whitespace()
            .find_map(|a| a.strip_prefix("udp:"))
            .unwrap_or(address.trim());
        Self::new(udp.parse().ok()?)
    }

    /// A tracer sending to `daemon`.
    pub fn new(daemon: SocketAddr) -> Option<Self> {
        let local: SocketAddr = if daemon.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(local).ok()?;
        socket.set_nonblocking(true).ok()?;
        Some(Tracer { socket, daemon })
    }

    /// Sends the subsegments of `record` if the request's trace (`header`) is sampled.
    pub fn send(&self, header: &str, record: &RequestRecord) {
        let Some(trace) = TraceContext::parse(header).filter(|t| t.sampled) else {
            return;
        };
        for subsegment in subsegments(&trace, record) {
            // A datagram the daemon does not take is a lost subsegment, nothing more.
            let _ = self.socket.send_to(
                format!("{DAEMON_HEADER}\n{subsegment}").as_bytes(),
                self.daemon,
            );
        }
    }
}

fn seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A new 64-bit segment id, 16 hex digits.
fn segment_id() -> String {
    let mut bytes = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        // Without randomness the id only has to differ from its siblings.
        bytes = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            .to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One subsegment per attempt of `record`, children of the trace's parent segment.
pub fn subsegments(trace: &TraceContext, record: &RequestRecord) -> Vec<Value> {
    record
        .attempts
        .iter()
        .map(|attempt| {
            let (service, operation) = attempt.op.split_once(':').unwrap_or(("", &attempt.op));
            let outcome = attempt.outcome.unwrap_or(Outcome::Timeout);
            let start = seconds(attempt.started_at);
            let mut doc = json!({
                "name": service,
                "id": segment_id(),
                "trace_id": trace.root,
                "parent_id": trace.parent,
                "type": "subsegment",
                "start_time": start,
                "end_time": start + attempt.elapsed.as_secs_f64(),
                "namespace": if service == "jwks" { "remote" } else { "aws" },
                "aws": { "operation": operation },
                "annotations": { "outcome": outcome.name() },
            });
            let flags = match outcome {
                Outcome::Ok => None,
                // X-Ray's names: an error is a client-side (4xx) failure, a fault a server one.
                Outcome::Throttled => Some(json!({ "error": true, "throttle": true })),
                Outcome::Error | Outcome::Timeout => Some(json!({ "fault": true })),
            };
            if let (Some(Value::Object(flags)), Some(object)) = (flags, doc.as_object_mut()) {
                object.extend(flags);
            }
            doc
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trace_header_is_read_as_lambda_writes_it() {
        let header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        assert_eq!(
            TraceContext::parse(header),
            Some(TraceContext {
                root: "1-5759e988-bd862e3fe1be46a994272793".into(),
                parent: "53995c3f42cd8ad8".into(),
                sampled: true,
            })
        );
        let unsampled = TraceContext::parse("Root=1-a-b;Parent=c;Sampled=0").unwrap();
        assert!(!unsampled.sampled);
        assert_eq!(TraceContext::parse("Root=1-a-b;Sampled=1"), None);
        assert_eq!(TraceContext::parse(""), None);
    }

    #[test]
    fn segment_ids_are_16_hex_digits_and_differ() {
        let (a, b) = (segment_id(), segment_id());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
