use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Error, LambdaEvent, Request, Service, service_fn};
use read_file::{App, emf, event::keep_repeated_id_tokens, telemetry, xray};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let started = Instant::now();
    telemetry::init();
    let app = match App::from_env().await {
        // EMF records on stdout, one set per request; the first one reports the init time.
        Ok(app) => {
            let service = std::env::var("AWS_LAMBDA_FUNCTION_NAME");
            let service = service.as_deref().unwrap_or("read-file");
            let metrics = emf::Metrics::new(service, emf::stdout(), Some(started.elapsed()));
            let app = app.with_metrics(metrics);
            // X-Ray subsegments of the upstream calls, where Lambda runs the daemon.
            Arc::new(match xray::Tracer::from_env() {
                Some(tracer) => app.with_tracer(tracer),
                None => app,
            })
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot start");
            return Err(err);
        }
    };
    let handler = service_fn(move |req: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Infallible>(app.handle(req).await) }
    });
    // What `lambda_http::run_concurrent` does, with one fix to the raw event first (see
    // `read_file::event`). With `AWS_LAMBDA_MAX_CONCURRENCY` > 1 (Lambda Managed Instances) that
    // many invocations run at once on this one `App`, sharing its caches; unset or 1, one at a
    // time.
    let adapter = Adapter::from(handler);
    lambda_http::lambda_runtime::run_concurrent(service_fn(
        move |mut event: LambdaEvent<LambdaRequest>| {
            keep_repeated_id_tokens(&mut event.payload);
            let mut adapter = adapter.clone();
            async move { adapter.call(event).await }
        },
    ))
    .await
}
