//! The function's metrics, as CloudWatch Embedded Metric Format (EMF) records: JSON log lines
//! from which CloudWatch Logs extracts metrics, with no agent and no API call (Lambda sends the
//! function's stdout to CloudWatch Logs). The shape is the documented one
//! (`_aws.CloudWatchMetrics`: namespace, dimension sets, metric names and units; the values as
//! members of the root object), written with `serde_json`.
//!
//! Per request, one **request record** (dimensions `Service` and `Service, Route`; the error
//! code's `Service, Code` when the answer is an error) and one **API record** per upstream
//! operation the request called (dimensions `Service, Api`). EMF gives each dimension one value
//! per record, so the APIs of one request cannot share its record. Names and dimensions are
//! listed in docs/operations.md. No record carries a user, an identity, a token or a key: the
//! members are the route's name, fixed error codes, operation names, numbers, and Lambda's
//! request id.

use crate::metrics::{Cached, Outcome, RequestRecord, Tier};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "ReadFile";

/// Where records go: one JSON object per call, without a newline.
pub type Sink = Arc<dyn Fn(&str) + Send + Sync>;

/// Writes each record as one line on stdout, where Lambda collects the function's logs.
pub fn stdout() -> Sink {
    Arc::new(|record: &str| {
        let mut out = std::io::stdout().lock();
        // A closed stdout loses metrics, never the request.
        let _ = writeln!(out, "{record}");
    })
}

/// How one request ended, as the handler saw it.
#[derive(Debug, Clone, Copy)]
pub struct Answered<'a> {
    /// The route's name (`routes::TABLE`), or `unknown`.
    pub route: &'a str,
    /// The HTTP status.
    pub status: u16,
    /// The error code of an error answer.
    pub code: Option<&'static str>,
    /// From the event to the response.
    pub latency: Duration,
    /// Lambda's request id, if any.
    pub request_id: Option<&'a str>,
}

/// The metrics of one Lambda environment: its service name, its sink, and whether its first
/// request (the cold start) is still to come.
pub struct Metrics {
    service: String,
    sink: Sink,
    cold: AtomicBool,
    init: Option<Duration>,
}

impl Metrics {
    /// Records under `service` (the `Service` dimension: the function's name) into `sink`;
    /// `init` is how long the environment took to start, reported with its first request.
    pub fn new(service: &str, sink: Sink, init: Option<Duration>) -> Self {
        Metrics {
            service: service.to_owned(),
            sink,
            cold: AtomicBool::new(true),
            init,
        }
    }

    /// Writes the records of one request.
    pub fn emit(&self, answered: &Answered<'_>, record: &RequestRecord) {
        let cold = self.cold.swap(false, Ordering::Relaxed);
        let init = if cold { self.init } else { None };
        for line in records(&self.service, answered, record, cold, init, now_ms()) {
            (self.sink)(&line.to_string());
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn ms(d: Duration) -> f64 {
    // Microsecond precision is plenty and keeps the lines short.
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// The cache metrics' names, by kind and tier.
const CACHE_METRICS: [(Cached, [(Tier, &str); 3]); 3] = [
    (
        Cached::Verdict,
        [
            (Tier::Local, "VerdictLocalHit"),
            (Tier::Shared, "VerdictSharedHit"),
            (Tier::Miss, "VerdictMiss"),
        ],
    ),
    (
        Cached::Identity,
        [
            (Tier::Local, "IdentityLocalHit"),
            (Tier::Shared, "IdentitySharedHit"),
            (Tier::Miss, "IdentityMiss"),
        ],
    ),
    (
        Cached::Keys,
        [
            (Tier::Local, "KeysLocalHit"),
            (Tier::Shared, "KeysSharedHit"),
            (Tier::Miss, "KeysMiss"),
        ],
    ),
];

/// One metric directive: `metrics` (name, unit) under each of the dimension sets.
fn directive(dimensions: &[&[&str]], metrics: &[(&str, &str)]) -> Value {
    json!({
        "Namespace": NAMESPACE,
        "Dimensions": dimensions,
        "Metrics": metrics
            .iter()
            .map(|(name, unit)| json!({ "Name": name, "Unit": unit }))
            .collect::<Vec<_>>(),
    })
}

/// The records of one request: the request record, then one per API called, by name.
pub fn records(
    service: &str,
    answered: &Answered<'_>,
    record: &RequestRecord,
    cold: bool,
    init: Option<Duration>,
    timestamp_ms: u64,
) -> Vec<Value> {
    let mut root = Map::new();
    root.insert("Service".into(), service.into());
    root.insert("Route".into(), answered.route.into());
    root.insert("Status".into(), answered.status.into());
    root.insert(
        "StatusClass".into(),
        format!("{}xx", answered.status / 100).into(),
    );
    if let Some(id) = answered.request_id {
        root.insert("RequestId".into(), id.into());
    }

    let per_route = [
        ("Requests", "Count"),
        ("Latency", "Milliseconds"),
        ("Status4xx", "Count"),
        ("Status5xx", "Count"),
    ];
    root.insert("Requests".into(), 1.into());
    root.insert("Latency".into(), ms(answered.latency).into());
    root.insert(
        "Status4xx".into(),
        u8::from((400..500).contains(&answered.status)).into(),
    );
    root.insert("Status5xx".into(), u8::from(answered.status >= 500).into());

    let mut per_service = vec![("ColdStart", "Count"), ("TableFaults", "Count")];
    root.insert("ColdStart".into(), u8::from(cold).into());
    root.insert("TableFaults".into(), record.table_faults.into());
    if let Some(init) = init {
        per_service.push(("InitDuration", "Milliseconds"));
        root.insert("InitDuration".into(), ms(init).into());
    }
    // A kind the request needed gets all three of its tiers (one 1, two 0s), so each one's
    // average is that tier's share of the requests that needed the kind.
    for (what, tiers) in CACHE_METRICS {
        let Some(reached) = record.tier(what) else {
            continue;
        };
        for (tier, name) in tiers {
            per_service.push((name, "Count"));
            root.insert(name.into(), u8::from(tier == reached).into());
        }
    }

    let mut directives = vec![
        directive(&[&["Service", "Route"], &["Service"]], &per_route),
        directive(&[&["Service"]], &per_service),
    ];
    if let Some(code) = answered.code {
        directives.push(directive(&[&["Service", "Code"]], &[("Refusals", "Count")]));
        root.insert("Code".into(), code.into());
        root.insert("Refusals".into(), 1.into());
    }
    root.insert(
        "_aws".into(),
        json!({ "Timestamp": timestamp_ms, "CloudWatchMetrics": directives }),
    );
    let mut lines = vec![Value::Object(root)];

    // The attempts of each API, by name.
    let mut by_api: BTreeMap<&str, Vec<(Outcome, Duration)>> = BTreeMap::new();
    for attempt in &record.attempts {
        let outcome = attempt.outcome.unwrap_or(Outcome::Timeout);
        by_api
            .entry(attempt.op.as_str())
            .or_default()
            .push((outcome, attempt.elapsed));
    }
    for (api, attempts) in by_api {
        let count = |o: Outcome| attempts.iter().filter(|(got, _)| *got == o).count();
        let latencies: Vec<f64> = attempts.iter().map(|(_, d)| ms(*d)).collect();
        let mut line = json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [directive(
                    &[&["Service", "Api"]],
                    &[
                        ("Calls", "Count"),
                        ("Throttled", "Count"),
                        ("Errors", "Count"),
                        ("Timeouts", "Count"),
                        ("CallLatency", "Milliseconds"),
                    ],
                )],
            },
            "Service": service,
            "Api": api,
            "Route": answered.route,
            "Calls": attempts.len(),
            "Throttled": count(Outcome::Throttled),
            "Errors": count(Outcome::Error),
            "Timeouts": count(Outcome::Timeout),
            "CallLatency": latencies,
        });
        if let (Some(id), Some(object)) = (answered.request_id, line.as_object_mut()) {
            object.insert("RequestId".into(), id.into());
        }
        lines.push(line);
    }
    lines
}
