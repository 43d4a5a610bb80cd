//! (d) The original flow, rebuilt for comparison: Cognito clients built once; per request
//! AdminGetUser, GetId, GetCredentialsForIdentity, a new S3 client from those keys and GetObject,
//! all in sequence. Like the original it trusts the token's payload without verifying it.
//!
//! Its GetId goes through our `IdentityBroker` (the same single call, on the same counted client)
//! only so that the key it reads is an `ObjectKey` built from the IdentityId that call answered;
//! the broker takes a `VerifiedIdToken`, which the bench makes once per user, outside the timings.

use crate::{BoxError, first_line};
use aws_credential_types::Credentials;
use read_file::auth::token::VerifiedIdToken;
use read_file::identity::{IdentityBroker, IdentityId};
use read_file::metrics::CallCounter;
use read_file::storage::ObjectKey;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Where the time of one naive request went, step by step.
pub const STEPS: [&str; 5] = [
    "AdminGetUser",
    "GetId",
    "GetCredentialsForIdentity",
    "new S3 client",
    "GetObject + body",
];

pub struct Naive {
    sdk: aws_config::SdkConfig,
    idp: aws_sdk_cognitoidentityprovider::Client,
    identity: aws_sdk_cognitoidentity::Client,
    broker: IdentityBroker,
    pub counter: CallCounter,
    pool: String,
    provider: String,
    bucket: String,
    prefix: String,
}

impl Naive {
    /// The naive flow against `endpoint` with the Lambda principal's keys.
    pub async fn new(stack: &support::Stack, endpoint: &str) -> Self {
        let config = stack.config_with(&[]);
        let creds = Credentials::new(
            stack.var("AWS_ACCESS_KEY_ID"),
            stack.var("AWS_SECRET_ACCESS_KEY"),
            None,
            None,
            "lambda-principal",
        );
        // What `aws_config::load_from_env()` gives the original: no HTTP client of its choosing,
        // so each client built from it brings its own (and its own connections).
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(config.region.clone()))
            .endpoint_url(endpoint)
            .credentials_provider(creds)
            .load()
            .await;
        let counter = CallCounter::default();
        let idp = aws_sdk_cognitoidentityprovider::Client::from_conf(
            aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let identity = aws_sdk_cognitoidentity::Client::from_conf(
            aws_sdk_cognitoidentity::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        );
        Naive {
            sdk,
            idp,
            broker: IdentityBroker::new(identity.clone(), &config),
            identity,
            counter,
            pool: config.user_pool_id.to_string(),
            provider: config.login_provider(),
            bucket: config.bucket.to_string(),
            prefix: config.prefix.to_string(),
        }
    }

    pub async fn request(&self, token: &VerifiedIdToken) -> Result<String, BoxError> {
        Ok(self.timed(token).await?.0)
    }

    /// One request, with the time each step took.
    pub async fn timed(
        &self,
        token: &VerifiedIdToken,
    ) -> Result<(String, [Duration; 5]), BoxError> {
        let raw = token.raw().expose();
        let mut steps = [Duration::ZERO; 5];
        let mut t = Instant::now();
        let mut lap = |i: usize| {
            steps[i] = t.elapsed();
            t = Instant::now();
        };
        self.check_user(raw).await?;
        lap(0);
        let id = self.identity_id(token).await?;
        lap(1);
        let out = self
            .identity
            .get_credentials_for_identity()
            .identity_id(id.as_str())
            .logins(&self.provider, raw)
            .send()
            .await?;
        let keys = scoped_keys(&out, "naive")?;
        lap(2);
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk)
                .credentials_provider(keys)
                .force_path_style(true)
                .interceptor(self.counter.clone())
                .build(),
        );
        lap(3);
        let object = s3
            .get_object()
            .bucket(&self.bucket)
            .key(ObjectKey::data_file(&self.prefix, &id).as_str())
            .send()
            .await?;
        let line = first_line(object.body).await?;
        lap(4);
        Ok((line, steps))
    }

    /// AdminGetUser on the token's (unverified) username.
    pub async fn check_user(&self, token: &str) -> Result<(), BoxError> {
        let user = self
            .idp
            .admin_get_user()
            .user_pool_id(&self.pool)
            .username(unverified_username(token)?)
            .send()
            .await?;
        if user.enabled() {
            Ok(())
        } else {
            Err("user disabled".into())
        }
    }

    /// GetId for the token.
    pub async fn identity_id(&self, token: &VerifiedIdToken) -> Result<IdentityId, BoxError> {
        Ok(self.broker.identity_id(token).await?)
    }
}

/// The `cognito:username` claim read without any check, as the original handler did.
fn unverified_username(token: &str) -> Result<String, BoxError> {
    use base64::Engine;
    let payload = token.split('.').nth(1).ok_or("not a JWT")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?;
    let claims: Value = serde_json::from_slice(&bytes)?;
    Ok(claims["cognito:username"]
        .as_str()
        .ok_or("no username")?
        .to_owned())
}

/// The temporary keys in a GetCredentialsForIdentity answer, as SDK credentials.
pub fn scoped_keys(
    out: &aws_sdk_cognitoidentity::operation::get_credentials_for_identity::GetCredentialsForIdentityOutput,
    label: &'static str,
) -> Result<Credentials, BoxError> {
    let c = out.credentials().ok_or("no credentials")?;
    Ok(Credentials::new(
        c.access_key_id().ok_or("no key id")?,
        c.secret_key().ok_or("no secret")?,
        c.session_token().map(str::to_owned),
        None,
        label,
    ))
}
