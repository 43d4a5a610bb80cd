//! Logging setup: JSON when Lambda's log format is JSON, and never a secret.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{Directive, LevelFilter};

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
    "reqwest",
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
];

/// The filter: `RUST_LOG`, else `AWS_LAMBDA_LOG_LEVEL`, else info; dependencies capped at info.
pub fn filter(requested: Option<&str>) -> EnvFilter {
    let mut filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse_lossy(requested.unwrap_or_default().to_ascii_lowercase());
    for target in CAPPED {
        if let Ok(cap) = format!("{target}=info").parse::<Directive>() {
            filter = filter.add_directive(cap);
        }
    }
    filter
}

/// Installs the global subscriber once, at init.
pub fn init() {
    let requested = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .ok();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(requested.as_deref()))
        .with_target(false)
        .with_ansi(false);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init();
    } else {
        // CloudWatch stamps every line itself.
        builder.without_time().init();
    }
}
