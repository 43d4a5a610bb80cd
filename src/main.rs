use lambda_http::{Error, service_fn};
use read_file::{App, telemetry};
use std::convert::Infallible;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = match App::from_env().await {
        Ok(app) => Arc::new(app),
        Err(err) => {
            tracing::error!(error = %err, "cannot start");
            return Err(err);
        }
    };
    lambda_http::run(service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Infallible>(app.handle(req).await) }
    }))
    .await
}
