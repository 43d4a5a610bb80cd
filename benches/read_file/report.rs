//! Percentiles and the printed report.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Copy)]
pub struct Stats {
    pub n: usize,
    pub median: Duration,
    pub p90: Duration,
    pub p99: Duration,
}

impl Stats {
    pub fn of(samples: &mut [Duration]) -> Self {
        samples.sort_unstable();
        // Nearest rank.
        let at = |p: f64| {
            samples[((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        Stats {
            n: samples.len(),
            median: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
        }
    }

    pub fn to_json(self) -> Value {
        json!({"n": self.n, "median": ms(self.median), "p90": ms(self.p90), "p99": ms(self.p99)})
    }
}

pub fn ms(d: Duration) -> f64 {
    round3(d.as_secs_f64() * 1000.0)
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn ratio(a: Duration, b: Duration) -> f64 {
    round3(a.as_secs_f64() / b.as_secs_f64())
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A route's answer as `(status, body)`: the body if the status is `want`, else an error naming
/// `what`.
pub fn expect(what: &str, got: (u16, Value), want: u16) -> Result<Value, BoxError> {
    if got.0 == want {
        Ok(got.1)
    } else {
        Err(format!("{what} answered {}: {}", got.0, got.1).into())
    }
}

/// Durations of each route's samples (ours, or the direct calls a route is measured against).
#[derive(Default)]
pub struct Samples(BTreeMap<&'static str, Vec<Duration>>);

impl Samples {
    /// Runs `run`, recording how long it took as a sample of `route` if it succeeded.
    pub async fn time<T, F: Future<Output = Result<T, BoxError>>>(
        &mut self,
        route: &'static str,
        run: F,
    ) -> Result<T, BoxError> {
        let t = std::time::Instant::now();
        let out = run.await?;
        self.0.entry(route).or_default().push(t.elapsed());
        Ok(out)
    }
}

/// Per route (its name, and the direct calls it is measured against): the medians and p90s of
/// both sides and their ratio.
pub fn ratios(
    routes: &[(&'static str, &str)],
    ours: &mut Samples,
    theirs: &mut Samples,
) -> Result<Value, BoxError> {
    let mut out = serde_json::Map::new();
    for (route, direct_calls) in routes {
        let a = Stats::of(ours.0.get_mut(route).ok_or("no samples")?);
        let b = Stats::of(theirs.0.get_mut(route).ok_or("no samples")?);
        out.insert(
            (*route).to_owned(),
            json!({
                "direct": direct_calls,
                "ours_median_ms": ms(a.median),
                "direct_median_ms": ms(b.median),
                "ours_p90_ms": ms(a.p90),
                "direct_p90_ms": ms(b.p90),
                "ratio": ratio(a.median, b.median),
            }),
        );
    }
    Ok(Value::Object(out))
}

pub fn print_table(stats: &BTreeMap<&str, Stats>, init: &Stats, summary: &Value) {
    println!();
    println!("| scenario | n | median ms | p90 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |");
    for (name, s) in stats
        .iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain([("f init: process start to first /next".to_owned(), init)])
    {
        println!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} |",
            s.n,
            ms(s.median),
            ms(s.p90),
            ms(s.p99)
        );
    }
    const MIB: f64 = 1024.0 * 1024.0;
    let target = |ok: bool| if ok { "holds" } else { "MISSED" };
    let num = |k: &str| summary[k].as_f64().unwrap_or(f64::NAN);
    println!();
    println!("| measure | value | target | |\n| --- | ---: | ---: | --- |");
    let rows = [
        (
            "(b)/(a) median",
            num("warm_over_limit"),
            "<= 1.10",
            num("warm_over_limit") <= 1.10,
        ),
        (
            "(c)/(d) median",
            num("cold_over_naive"),
            "<= 0.80",
            num("cold_over_naive") <= 0.80,
        ),
        (
            "(e) calls/request, ours (at the stack)",
            num("calls_per_request"),
            "<= 1.02",
            num("calls_per_request") <= 1.02,
        ),
        (
            "(e) calls/request, naive (at the stack)",
            num("naive_calls_per_request"),
            "4.0",
            true,
        ),
        (
            "(f) init ms (median)",
            num("init_ms"),
            "<= 20",
            num("init_ms") <= 20.0,
        ),
        (
            "(f) peak RSS MiB after 1,000 events",
            num("peak_rss_mb"),
            "<= 24",
            num("peak_rss_mb") <= 24.0,
        ),
    ];
    for (name, value, goal, ok) in rows {
        println!("| {name} | {value:.3} | {goal} | {} |", target(ok));
    }
    // Through the latency proxy: what the concurrency buys where round trips cost something.
    // The limit is the floor the call graph allows: REST with a signer makes 2 sequential round
    // trips (AdminGetUser with GetCredentialsForIdentity, then S3) against the naive flow's 4; a
    // function URL (no signer) 3 (AdminGetUser with GetId, GetCredentialsForIdentity, S3).
    println!(
        "\ncold path, {} ms network round trip emulated (first request / naive flow, medians):",
        summary["emulated_rtt_ms"]
    );
    println!("| path | ratio | goal | limit | |\n| --- | ---: | ---: | ---: | --- |");
    for (name, key, goal, limit) in [
        (
            "REST with signer (no GetId)",
            "cold_rest_over_naive",
            0.55,
            0.5,
        ),
        ("function URL, no signer", "cold_url_over_naive", 0.80, 0.75),
    ] {
        println!(
            "| {name} | {:.3} | <= {goal:.2} | {limit:.2} | {} |",
            num(key),
            target(num(key) <= goal)
        );
    }
    println!(
        "| GetId calls per first REST request (signer) | {:.3} | 0 | | {} |",
        num("getid_calls_per_first_request_rest"),
        target(num("getid_calls_per_first_request_rest") == 0.0)
    );
    println!(
        "| shared tier: first request in a new environment, user known to the account | {:.3} | <= 0.55 | 0.50 | {} |",
        num("cold_shared_over_naive"),
        target(num("cold_shared_over_naive") <= 0.55)
    );
    println!(
        "| shared tier: Cognito calls per such first request | {:.3} | 0 | | {} |",
        num("cognito_calls_per_first_request_shared"),
        target(num("cognito_calls_per_first_request_shared") == 0.0)
    );
    println!(
        "\nshared tier, warm: (b shared)/(a) {:.3} (without the tier (b)/(a) {:.3}); steady state over {:.1} s, \
         USER_CHECK_TTL_SECONDS {}: per request {:.3} Cognito calls ({}), {:.3} S3 calls, {:.3} table \
         reads; {:.3} table reads per user per second (one per TTL: {:.3})",
        num("warm_shared_over_limit"),
        num("warm_over_limit"),
        num("shared_steady_state_seconds"),
        summary["shared_steady_state_user_check_ttl_s"],
        num("cognito_calls_per_request_shared"),
        target(num("cognito_calls_per_request_shared") == 0.0),
        num("s3_calls_per_request_shared"),
        num("table_reads_per_request_shared"),
        num("table_reads_per_user_per_second_shared"),
        1.0 / num("shared_steady_state_user_check_ttl_s"),
    );
    println!(
        "shared steady state, at the stack: {}; the first requests in a new environment: {}",
        summary["calls_by_operation_shared"], summary["first_request_shared_calls_by_operation"]
    );
    // Issue 13's goal is for the Lambda artifact; a host build's size is shown but not judged.
    let size_label = summary["binary_target"].as_str().unwrap_or("?");
    let arm64 = size_label.starts_with("aarch64");
    println!(
        "| binary size, {size_label} | {:.2} MiB ({} bytes) | <= 10 MiB (arm64) | {} |",
        num("binary_bytes") / MIB,
        summary["binary_bytes"],
        if arm64 {
            target(num("binary_bytes") <= 10.0 * MIB)
        } else {
            "not the arm64 artifact"
        }
    );
    println!(
        "\ncalls during the 2,000 steady-state requests, at the stack: ours {}, naive {}",
        summary["calls_by_operation"], summary["naive_calls_by_operation"]
    );
    println!(
        "same counted by the SDK interceptor: ours {} calls/request, naive {}",
        summary["calls_per_request_sdk"], summary["naive_calls_per_request_sdk"]
    );
    println!(
        "naive request, median ms per step (no added RTT): {}",
        summary["naive_steps_median_ms"]
    );
    println!(
        "emulator probe, median ms (no added RTT): {}",
        summary["emulator_probe_ms"]
    );
    for (title, key) in [
        (
            "(g) file API routes, warm, against a direct S3 call of the same kind (same keys):",
            "routes_warm",
        ),
        (
            "(h) uploads, folders, copies and moves, warm, against the direct S3 calls of the same kind (same keys):",
            "routes_issue21_warm",
        ),
        (
            "(h) sharing, warm, with the shared tier, against the direct S3 calls of the same kind (the owner's or the recipient's keys):",
            "routes_sharing_warm",
        ),
    ] {
        println!("\n{title}");
        println!(
            "| route | direct calls | ours median ms | direct median ms | ratio |\n| --- | --- | ---: | ---: | ---: |"
        );
        if let Some(routes) = summary[key].as_object() {
            for (route, r) in routes {
                println!(
                    "| {route} | {} | {:.2} | {:.2} | {:.3} |",
                    r["direct"].as_str().unwrap_or("?"),
                    r["ours_median_ms"].as_f64().unwrap_or(f64::NAN),
                    r["direct_median_ms"].as_f64().unwrap_or(f64::NAN),
                    r["ratio"].as_f64().unwrap_or(f64::NAN)
                );
            }
        }
    }
    print_upload(summary);
}

/// (i), the large upload.
pub fn print_upload(summary: &Value) {
    let target = |ok: bool| if ok { "holds" } else { "MISSED" };
    let up = &summary["upload_throughput"];
    let ratio = up["ratio"].as_f64().unwrap_or(f64::NAN);
    println!(
        "\n(i) a {} MiB upload, {} MiB parts, {} in flight, twice each side (A B B A):",
        up["size_mib"], up["part_size_mib"], up["in_flight"]
    );
    println!("| side | MiB/s |\n| --- | ---: |");
    println!(
        "| presigned part URLs from the API (create, sign, PUT, complete) | {:.1} |",
        up["presigned_via_api_mib_per_s"]
            .as_f64()
            .unwrap_or(f64::NAN)
    );
    println!(
        "| direct multipart upload, same keys (SDK) | {:.1} |",
        up["direct_sdk_mib_per_s"].as_f64().unwrap_or(f64::NAN)
    );
    println!(
        "| ratio (API / direct) | {ratio:.3} (goal >= 0.90: {}) |",
        target(ratio >= 0.9)
    );
    println!(
        "| parts phase only (URLs + PUTs / UploadParts): API, direct, ratio | {:.1}, {:.1}, {:.3} |",
        up["parts_only_presigned_mib_per_s"]
            .as_f64()
            .unwrap_or(f64::NAN),
        up["parts_only_direct_mib_per_s"]
            .as_f64()
            .unwrap_or(f64::NAN),
        up["parts_only_ratio"].as_f64().unwrap_or(f64::NAN)
    );
}
