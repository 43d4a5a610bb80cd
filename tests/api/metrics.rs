//! The function's metric records (CloudWatch EMF, `read_file::emf`) for scripted sequences of
//! requests: every record has the shape CloudWatch extracts metrics from, and its values say
//! what happened: the status and error code, how far each request went for a verdict, an
//! identity and keys, and per API the attempts the app's call counter saw put on the wire (the
//! counter the shared-tier and fault suites hold equal to the stack's own); and the X-Ray
//! subsegments a sampled request sends, one per attempt.

use lambda_http::RequestExt;
use read_file::emf::NAMESPACE;
use read_file::metrics::op;
use read_file::xray::TraceContext;
use serde_json::Value;
use std::collections::BTreeMap;
use support::app::{RECORDED_INIT, RECORDED_SERVICE, TRACE_HEADER};
use support::{Records, TestApp, get, parts, rest_event, stack};

/// Units a metric may have here.
const UNITS: &[&str] = &["Count", "Milliseconds"];
/// Members a record may have besides its metrics: nothing that names a user or an identity.
const PROPERTIES: &[&str] = &[
    "_aws",
    "Service",
    "Route",
    "Api",
    "Code",
    "Status",
    "StatusClass",
    "RequestId",
];

/// Checks one record against the EMF specification (the parts CloudWatch rejects a record for)
/// and returns its metric names.
fn shape(record: &Value) -> Vec<String> {
    let root = record.as_object().expect("a record is a JSON object");
    let aws = &root["_aws"];
    assert!(aws["Timestamp"].as_u64().is_some(), "Timestamp: {record}");
    let directives = aws["CloudWatchMetrics"].as_array().expect("directives");
    assert!(!directives.is_empty(), "{record}");
    let mut names = Vec::new();
    for directive in directives {
        assert_eq!(directive["Namespace"], NAMESPACE, "{record}");
        let sets = directive["Dimensions"].as_array().expect("dimension sets");
        assert!(!sets.is_empty(), "{record}");
        for set in sets {
            let keys = set.as_array().expect("a dimension set");
            assert!((1..=30).contains(&keys.len()), "{record}");
            for key in keys {
                let key = key.as_str().expect("a dimension key");
                assert!(
                    root.get(key).is_some_and(Value::is_string),
                    "dimension {key} is not a string member: {record}"
                );
            }
        }
        for metric in directive["Metrics"].as_array().expect("metrics") {
            let name = metric["Name"].as_str().expect("a metric name");
            assert!(
                UNITS.contains(&metric["Unit"].as_str().unwrap_or_default()),
                "{record}"
            );
            let value = &root[name];
            let numbers = match value {
                Value::Number(_) => true,
                Value::Array(values) => {
                    (1..=100).contains(&values.len()) && values.iter().all(Value::is_number)
                }
                _ => false,
            };
            assert!(numbers, "metric {name} has no numeric value: {record}");
            names.push(name.to_owned());
        }
    }
    for key in root.keys() {
        assert!(
            PROPERTIES.contains(&key.as_str()) || names.contains(key),
            "member {key} is neither a metric nor a known property: {record}"
        );
    }
    assert_eq!(root["Service"], RECORDED_SERVICE, "{record}");
    names
}

/// One request's records: the request record and the API records by `Api`.
struct Recorded {
    request: Value,
    apis: BTreeMap<String, Value>,
}

impl Recorded {
    /// The request record's value of metric `name`, if present.
    fn metric(&self, name: &str) -> Option<f64> {
        self.request.get(name).and_then(Value::as_f64)
    }

    /// Which tier (`LocalHit`, `SharedHit`, `Miss`) the request reached for `kind`, checking
    /// that exactly one of the three is 1 and the others 0; `None` if the kind is absent.
    fn tier(&self, kind: &str) -> Option<&'static str> {
        let values: Vec<Option<f64>> = ["LocalHit", "SharedHit", "Miss"]
            .iter()
            .map(|tier| self.metric(&format!("{kind}{tier}")))
            .collect();
        if values.iter().all(Option::is_none) {
            return None;
        }
        let ones: Vec<usize> = (0..3).filter(|&i| values[i] == Some(1.0)).collect();
        let zeros = values.iter().filter(|v| **v == Some(0.0)).count();
        assert!(
            ones.len() == 1 && zeros == 2,
            "{kind}: one tier 1, two 0: {}",
            self.request
        );
        Some(["LocalHit", "SharedHit", "Miss"][ones[0]])
    }

    /// Attempts per API, from the API records.
    fn calls(&self) -> BTreeMap<String, u64> {
        self.apis
            .iter()
            .map(|(api, r)| (api.clone(), r["Calls"].as_u64().expect("Calls")))
            .collect()
    }
}

/// Sends `request` and returns its status and records, checking their shape and that their
/// attempts per API are exactly what the app's call counter saw during the request.
async fn send(app: &TestApp, records: &Records, request: lambda_http::Request) -> (u16, Recorded) {
    let before = app.upstream_calls().snapshot();
    let (status, _) = parts(&app.handle(request).await);
    let after = app.upstream_calls().snapshot();
    let counted: BTreeMap<String, u64> = after
        .iter()
        .map(|(name, n)| (name.clone(), n - before.get(name).copied().unwrap_or(0)))
        .filter(|(name, n)| *n > 0 && name != op::TABLE_FAULT)
        .collect();

    let mut lines = records.take().into_iter();
    let request = lines.next().expect("a request record");
    let names = shape(&request);
    for name in ["Requests", "Latency", "Status4xx", "Status5xx", "ColdStart"] {
        assert!(names.iter().any(|n| n == name), "{name}: {request}");
    }
    assert_eq!(request["Requests"], 1);
    assert_eq!(request["Status"], status);
    assert_eq!(request["StatusClass"], format!("{}xx", status / 100));
    assert_eq!(request["Status4xx"], u8::from((400..500).contains(&status)));
    assert_eq!(request["Status5xx"], u8::from(status >= 500));
    assert!(request["Latency"].as_f64().unwrap() > 0.0, "{request}");
    let mut apis = BTreeMap::new();
    for line in lines {
        shape(&line);
        let api = line["Api"].as_str().expect("an API record").to_owned();
        assert_eq!(line["Route"], request["Route"], "{line}");
        let calls = line["Calls"].as_u64().unwrap();
        let failed: u64 = ["Throttled", "Errors", "Timeouts"]
            .iter()
            .map(|m| line[m].as_u64().unwrap())
            .sum();
        assert!(failed <= calls, "{line}");
        assert_eq!(
            line["CallLatency"].as_array().map(Vec::len),
            Some(calls as usize),
            "a latency per attempt: {line}"
        );
        assert!(apis.insert(api, line).is_none(), "one record per API");
    }
    let recorded = Recorded { request, apis };
    assert_eq!(
        recorded.calls(),
        counted,
        "API records against the call counter: {}",
        recorded.request
    );
    (status, recorded)
}

fn calls_of(expected: &[(&str, u64)]) -> BTreeMap<String, u64> {
    expected.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[tokio::test]
async fn each_request_writes_records_that_match_what_it_did() {
    let stack = stack();
    let records = Records::default();
    let app = TestApp::spawn_recording(&[], false, &records).await;
    let alice = stack.new_user("metrics-alice").await;
    let alice_token = stack.token(&alice.username, &alice.password).await;
    stack
        .put_data(&stack.identity(&alice_token).await, "alice\n")
        .await;
    let bob = stack.new_user("metrics-bob").await;
    let bob_token = stack.token(&bob.username, &bob.password).await;
    let bob_id = stack.identity(&bob_token).await;
    stack.put_data(&bob_id, "bob\n").await;

    // No token: refused before any call; the environment's first request is its cold start.
    let (status, r) = send(&app, &records, get("/read-file", &[])).await;
    assert_eq!(status, 401);
    assert_eq!(r.request["Route"], "read-file");
    assert_eq!(r.request["Code"], "missing_token");
    assert_eq!(r.metric("Refusals"), Some(1.0));
    assert_eq!(r.metric("ColdStart"), Some(1.0));
    assert_eq!(
        r.metric("InitDuration"),
        Some(RECORDED_INIT.as_secs_f64() * 1000.0)
    );
    assert_eq!(r.tier("Verdict"), None);
    assert!(r.apis.is_empty(), "{:?}", r.apis);

    // A new user without a signer: every tier missed, Cognito asked for each.
    let alice_read = || get("/read-file", &[("idToken", &alice_token)]);
    let (status, r) = send(&app, &records, alice_read()).await;
    assert_eq!(status, 200);
    assert_eq!(r.metric("ColdStart"), Some(0.0));
    assert_eq!(r.metric("InitDuration"), None);
    assert_eq!(r.request.get("Code"), None);
    assert_eq!(r.metric("Refusals"), None);
    for kind in ["Verdict", "Identity", "Keys"] {
        assert_eq!(r.tier(kind), Some("Miss"), "{kind}");
    }
    assert_eq!(
        r.calls(),
        calls_of(&[
            (op::JWKS, 1),
            (op::USER_CHECK, 1),
            (op::GET_ID, 1),
            (op::EXCHANGE, 1),
            (op::GET_OBJECT, 1),
        ])
    );
    for api in r.apis.values() {
        assert_eq!(
            (&api["Throttled"], &api["Errors"], &api["Timeouts"]),
            (&0.into(), &0.into(), &0.into()),
            "{api}"
        );
    }

    // Warm: everything from this environment, S3 only.
    let (status, r) = send(&app, &records, alice_read()).await;
    assert_eq!(status, 200);
    for kind in ["Verdict", "Identity", "Keys"] {
        assert_eq!(r.tier(kind), Some("LocalHit"), "{kind}");
    }
    assert_eq!(r.calls(), calls_of(&[(op::GET_OBJECT, 1)]));

    // A missing file: refused by its code, on its own route.
    let (status, r) = send(
        &app,
        &records,
        get("/files/metrics-nope.txt", &[("idToken", &alice_token)]),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(r.request["Route"], "get-file");
    assert_eq!(r.request["Code"], "file_not_found");
    assert_eq!(r.metric("Refusals"), Some(1.0));
    assert_eq!(r.tier("Keys"), Some("LocalHit"));
    assert!(!r.apis.is_empty(), "S3 was asked");

    // A signed request of a new user (API Gateway's AWS_IAM): the exchange confirms the signer,
    // no GetId.
    let (status, r) = send(&app, &records, rest_event(&bob_token, bob_id.as_str())).await;
    assert_eq!(status, 200);
    for kind in ["Verdict", "Identity", "Keys"] {
        assert_eq!(r.tier(kind), Some("Miss"), "{kind}");
    }
    assert_eq!(
        r.calls(),
        calls_of(&[(op::USER_CHECK, 1), (op::EXCHANGE, 1), (op::GET_OBJECT, 1)])
    );

    // Alice's token signed by Bob's identity: Cognito refuses the pair once, then memory does.
    let (status, r) = send(&app, &records, rest_event(&alice_token, bob_id.as_str())).await;
    assert_eq!(status, 403);
    assert_eq!(r.request["Code"], "identity_mismatch");
    assert_eq!(r.tier("Identity"), Some("Miss"));
    assert_eq!(r.tier("Verdict"), Some("LocalHit"));
    assert_eq!(r.calls(), calls_of(&[(op::EXCHANGE, 1)]));
    let (status, r) = send(&app, &records, rest_event(&alice_token, bob_id.as_str())).await;
    assert_eq!(status, 403);
    assert_eq!(r.tier("Identity"), Some("LocalHit"));
    assert!(r.apis.is_empty(), "{:?}", r.apis);

    // No such route: counted under `unknown`, never under the path a client sent.
    let (status, r) = send(
        &app,
        &records,
        get("/metrics-no-such-route", &[("idToken", &alice_token)]),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(r.request["Route"], "unknown");
    assert_eq!(r.request["Code"], "not_found");
}

#[tokio::test]
async fn the_shared_tier_shows_as_shared_hits_in_the_second_environment() {
    let stack = stack();
    let records = Records::default();
    // A generous table budget: the other tests of this binary load the stack meanwhile, and a
    // table call over its budget is a miss (a fault), which is not what this test is about.
    let patient = [("SESSION_TABLE_TIMEOUT_MS", "5000")];
    let first = TestApp::spawn_recording(&patient, true, &records).await;
    let second = TestApp::spawn_recording(&patient, true, &records).await;
    let carol = stack.new_user("metrics-carol").await;
    let token = stack.token(&carol.username, &carol.password).await;
    stack
        .put_data(&stack.identity(&token).await, "carol\n")
        .await;
    let read = || get("/read-file", &[("idToken", &token)]);

    let (status, r) = send(&first, &records, read()).await;
    assert_eq!(status, 200);
    for kind in ["Verdict", "Identity", "Keys"] {
        assert_eq!(r.tier(kind), Some("Miss"), "{kind}");
    }
    assert_eq!(r.metric("TableFaults"), Some(0.0));
    assert!(r.apis.contains_key(op::GET_ID) && r.apis.contains_key(op::TABLE_PUT));

    // Another environment: the verdict, the identity and the keys come from the table.
    let (status, r) = send(&second, &records, read()).await;
    assert_eq!(status, 200);
    assert_eq!(r.metric("ColdStart"), Some(1.0), "its own cold start");
    for kind in ["Verdict", "Identity", "Keys"] {
        assert_eq!(r.tier(kind), Some("SharedHit"), "{kind}");
    }
    assert_eq!(
        r.calls(),
        calls_of(&[
            (op::JWKS, 1),
            (op::TABLE_BATCH_GET, 1),
            (op::TABLE_GET, 1),
            (op::GET_OBJECT, 1),
        ])
    );
}

#[tokio::test]
async fn a_sampled_request_sends_a_subsegment_per_attempt_and_an_unsampled_one_none() {
    let stack = stack();
    let records = Records::default();
    let app = TestApp::spawn_recording(&[], false, &records).await;
    let dana = stack.new_user("metrics-dana").await;
    let token = stack.token(&dana.username, &dana.password).await;
    stack
        .put_data(&stack.identity(&token).await, "dana\n")
        .await;

    // The recording app's requests carry the sampled TRACE_HEADER.
    let (status, r) = send(&app, &records, get("/read-file", &[("idToken", &token)])).await;
    assert_eq!(status, 200);
    let calls = r.calls();
    let attempts: u64 = calls.values().sum();
    assert!(attempts >= 4, "a first request: {calls:?}");
    let datagrams = records.take_datagrams(attempts as usize);
    let trace = TraceContext::parse(TRACE_HEADER).expect("the test's header");
    let mut traced: BTreeMap<String, u64> = BTreeMap::new();
    let mut ids = std::collections::HashSet::new();
    for datagram in &datagrams {
        let (header, document) = datagram.split_once('\n').expect("the daemon's header line");
        assert_eq!(header, r#"{"format": "json", "version": 1}"#);
        let doc: Value = serde_json::from_str(document).expect("a segment document");
        assert_eq!(doc["type"], "subsegment", "{doc}");
        assert_eq!(doc["trace_id"], trace.root.as_str(), "{doc}");
        assert_eq!(doc["parent_id"], trace.parent.as_str(), "{doc}");
        let id = doc["id"].as_str().expect("an id");
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{doc}"
        );
        assert!(ids.insert(id.to_owned()), "ids differ");
        let (start, end) = (
            doc["start_time"].as_f64().unwrap(),
            doc["end_time"].as_f64().unwrap(),
        );
        assert!(start > 1.6e9 && start <= end, "{doc}");
        assert_eq!(doc["annotations"]["outcome"], "ok", "{doc}");
        assert_eq!(doc.get("fault"), None, "{doc}");
        let op = format!(
            "{}:{}",
            doc["name"].as_str().unwrap(),
            doc["aws"]["operation"].as_str().unwrap()
        );
        *traced.entry(op).or_default() += 1;
        // Nothing of the caller: no piece of the token, no identity.
        assert!(!datagram.contains(&token[token.len() - 24..]), "{datagram}");
        assert!(!datagram.contains(&token[..24]), "{datagram}");
    }
    assert_eq!(traced, calls, "a subsegment per attempt, by API");

    // An unsampled request sends nothing.
    let mut context = lambda_http::Context::default();
    context.xray_trace_id = Some(TRACE_HEADER.replace("Sampled=1", "Sampled=0"));
    let unsampled = get("/read-file", &[("idToken", &token)]).with_lambda_context(context);
    let (status, r) = send(&app, &records, unsampled).await;
    assert_eq!(status, 200);
    assert_eq!(r.calls(), calls_of(&[(op::GET_OBJECT, 1)]));
    assert_eq!(records.take_datagrams(1), Vec::<String>::new());
}
