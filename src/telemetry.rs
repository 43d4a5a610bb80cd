//! Logging setup: JSON when Lambda's log format is JSON, and never a secret.

use tracing::Subscriber;
use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Filter, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Crates that would print request headers, signing material or bodies (hence tokens and
/// session keys) at debug or trace level; they are capped whatever the requested level.
const CAPPED: &[&str] = &[
    "aws_sigv4",
    "aws_runtime",
    "aws_config",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_smithy_types",
    "aws_sdk_s3",
    "aws_sdk_cognitoidentity",
    "aws_sdk_cognitoidentityprovider",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
];

/// The filter: `RUST_LOG`, else `AWS_LAMBDA_LOG_LEVEL`, else info; dependencies capped at info.
///
/// The caps are a second filter that every event must also pass, not directives added to the
/// requested ones: an `EnvFilter` lets span directives (`[try_attempt]=trace`) enable events
/// inside matching spans before it looks at target directives, so a cap expressed as a directive
/// could be bypassed by the filter string. Spans of capped crates are capped too, so a span
/// directive naming one (`[try_attempt]`) enables nothing; directives naming our spans work.
pub fn filter<S>(requested: Option<&str>) -> impl Filter<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let requested = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse_lossy(requested.unwrap_or_default().to_ascii_lowercase());
    let caps = CAPPED.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |caps, t| caps.with_target(*t, LevelFilter::INFO),
    );
    requested.and(caps)
}

/// The production log layer writing to `writer`: text, or JSON when `json` is set.
pub fn layer<S, W>(
    requested: Option<&str>,
    json: bool,
    writer: W,
) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_target(false)
        .with_ansi(false);
    if json {
        fmt.json()
            .flatten_event(true)
            .with_current_span(false)
            .with_filter(filter(requested))
            .boxed()
    } else {
        // CloudWatch stamps every line itself.
        fmt.without_time().with_filter(filter(requested)).boxed()
    }
}

/// Installs the global subscriber once, at init.
pub fn init() {
    let requested = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    tracing_subscriber::registry()
        .with(layer(requested.as_deref(), json, std::io::stdout))
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Sink {
        type Writer = Sink;
        fn make_writer(&'a self) -> Sink {
            self.clone()
        }
    }

    /// What the production layer writes for a dependency's trace event inside a `try_attempt`
    /// span (where the SDK logs request bodies), and for one of ours inside a span of ours.
    fn logged(requested: &str) -> String {
        let sink = Sink::default();
        let subscriber =
            tracing_subscriber::registry().with(layer(Some(requested), false, sink.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::trace_span!(target: "aws_smithy_runtime", "try_attempt");
            span.in_scope(|| {
                tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "dependency-body");
            });
            let span = tracing::trace_span!(target: "read_file::app", "handle");
            span.in_scope(|| tracing::trace!(target: "read_file::app", "our-own-line"));
        });
        String::from_utf8(sink.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn capped_crates_stay_capped_whatever_the_filter_string() {
        for requested in [
            "trace",
            "[try_attempt]=trace",
            "aws_smithy_runtime[try_attempt]=trace",
            "aws_smithy_runtime=trace",
            "off,[try_attempt]=trace,aws_smithy_runtime::client=trace",
            "[]=trace",
        ] {
            let text = logged(requested);
            assert!(!text.contains("dependency-body"), "{requested}: {text}");
        }
    }

    #[test]
    fn the_requested_filter_still_decides_for_our_own_code() {
        assert!(logged("[handle]=trace").contains("our-own-line"));
        assert!(logged("trace").contains("our-own-line"));
        assert!(!logged("info").contains("our-own-line"));
    }
}
