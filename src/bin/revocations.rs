//! `revocations`: the Lambda behind the EventBridge rule for the user pool's revoking calls
//! (disable, delete, global sign-out, enable), which writes them into the shared session table
//! (`read_file::revocation`).

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use read_file::metrics::CallCounter;
use read_file::revocation::{Revocations, RevocationsConfig};
use read_file::startup::loader;
use read_file::telemetry;
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = match RevocationsConfig::from_env() {
        Ok(config) => config,
        Err(err) => {
            tracing::error!(error = %err, "cannot start");
            return Err(err.into());
        }
    };
    let sdk = loader(&config.upstreams).load().await;
    let revocations = Arc::new(Revocations::new(&config, &sdk, &CallCounter::default()));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let revocations = Arc::clone(&revocations);
        async move {
            let applied = revocations.handle(event.payload).await;
            applied.map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
