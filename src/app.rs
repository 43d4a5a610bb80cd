//! The function: configuration, the authenticator and the route table, built once per Lambda
//! environment, and the request -> route -> caller -> use case -> response step.

use crate::auth::Authenticator;
use crate::config::Config;
use crate::emf::{Answered, Metrics};
use crate::error::ApiError;
use crate::identity::IdentityId;
use crate::metrics::{self, CallCounter};
use crate::routes::Route;
use crate::startup::sdk_loader;
use crate::xray::Tracer;
use aws_config::SdkConfig;
use lambda_http::{Body, Request, RequestExt, Response};
use std::time::Instant;

/// Everything a request needs, built once per Lambda environment.
pub struct App {
    config: Config,
    auth: Authenticator,
    counter: CallCounter,
    metrics: Option<Metrics>,
    tracer: Option<Tracer>,
}

/// What the handler answered, before the response leaves.
struct Answer {
    response: Response<Body>,
    route: &'static str,
    identity: Option<IdentityId>,
    code: Option<&'static str>,
}

/// Error raised when the function cannot start.
pub type InitError = Box<dyn std::error::Error + Send + Sync>;

impl App {
    /// Reads the environment and builds the app; fails naming the variable at fault.
    pub async fn from_env() -> Result<Self, InitError> {
        let config = Config::from_env()?;
        let sdk = sdk_loader(&config).load().await;
        Ok(Self::new(config, sdk))
    }

    /// Builds the app from a parsed configuration and a loaded SDK configuration.
    pub fn new(config: Config, sdk: SdkConfig) -> Self {
        let counter = CallCounter::default();
        let auth = Authenticator::new(&config, &sdk, &counter);
        App {
            config,
            auth,
            counter,
            metrics: None,
            tracer: None,
        }
    }

    /// The app sending X-Ray subsegments of each sampled request's upstream calls
    /// ([`crate::xray`]); without this, none.
    pub fn with_tracer(mut self, tracer: Tracer) -> Self {
        self.tracer = Some(tracer);
        self
    }

    /// The app writing a metric record set per request ([`crate::emf`]); without this, none.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Upstream calls this app has made so far.
    pub fn upstream_calls(&self) -> &CallCounter {
        &self.counter
    }

    /// Answers one HTTP request; never fails, every error becomes a JSON response.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let started = Instant::now();
        // Boxed: the use cases' state is large in debug builds, and whoever awaits `handle` (a
        // test, a bench) would otherwise carry it on its own stack.
        let answer = Box::pin(self.answer(&req));
        // What the request did upstream and in the caches, for its metrics and its trace.
        let (answer, record) = if self.metrics.is_some() || self.tracer.is_some() {
            let (answer, record) = metrics::recorded(answer).await;
            (answer, Some(record))
        } else {
            (answer.await, None)
        };
        let Answer {
            mut response,
            route,
            identity,
            code,
        } = answer;
        if let Some(origin) = &self.config.allowed_origin
            && let Ok(value) = origin.parse()
        {
            response
                .headers_mut()
                .insert("access-control-allow-origin", value);
        }
        let request_id = req.lambda_context_ref().map(|c| c.request_id.as_str());
        let latency = started.elapsed();
        tracing::info!(
            request_id,
            route,
            status = response.status().as_u16(),
            latency_ms = latency.as_secs_f64() * 1000.0,
            identity_id = identity.as_ref().map(IdentityId::as_str),
            "request"
        );
        let trace = req
            .lambda_context_ref()
            .and_then(|c| c.xray_trace_id.as_deref());
        if let (Some(tracer), Some(record), Some(trace)) = (&self.tracer, &record, trace) {
            tracer.send(trace, record);
        }
        if let (Some(metrics), Some(record)) = (&self.metrics, record) {
            let answered = Answered {
                route,
                status: response.status().as_u16(),
                code,
                latency,
                request_id,
            };
            metrics.emit(&answered, &record);
        }
        response
    }

    /// Routes, authenticates and runs the request, within the request's time budget.
    async fn answer(&self, req: &Request) -> Answer {
        let mut route_name = "unknown";
        let outcome = match Route::of(req, self.config.limits) {
            Ok((row, route)) => {
                route_name = row.name;
                // Answer before Lambda's own timeout would cut the request off with no JSON at all.
                tokio::time::timeout(self.config.request_timeout, self.run(&route, req))
                    .await
                    .unwrap_or(Err(ApiError::OutOfTime))
            }
            Err(err) => Err(err),
        };
        match outcome {
            Ok((reply, identity)) => Answer {
                response: reply.into_response(),
                route: route_name,
                identity: Some(identity),
                code: None,
            },
            Err(err) => {
                err.log();
                Answer {
                    response: err.to_response(),
                    route: route_name,
                    identity: None,
                    code: Some(err.code()),
                }
            }
        }
    }

    /// Authenticates the caller, then runs the route's use case.
    async fn run(
        &self,
        route: &Route<'_>,
        req: &Request,
    ) -> Result<(crate::response::Reply, IdentityId), ApiError> {
        let caller = self.auth.caller(req).await?;
        let reply = route.run(&caller).await?;
        Ok((reply, caller.identity().clone()))
    }
}
