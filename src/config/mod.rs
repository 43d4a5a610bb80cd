//! Typed configuration from environment variables; a bad value names its variable.
//!
//! Each value has its own type with a `parse` constructor (`aws`, `cognito`, `s3`, `numbers`);
//! `Config::from_lookup` only reads each variable and hands it to the matching parser.

#[macro_use]
mod macros;
mod aws;
mod cognito;
mod numbers;
mod s3;
mod vars;

pub use aws::{AccountId, AccountIdError, EndpointUrl, EndpointUrlError, Region, RegionError};
pub use cognito::{
    ClientIds, ClientIdsError, IdentityPoolId, IdentityPoolIdError, UserPoolId, UserPoolIdError,
};
pub use numbers::{FlagError, NumberError};
pub use s3::{BucketName, BucketNameError, S3Prefix, S3PrefixError};

use std::time::Duration;
use vars::Vars;

/// Largest `MAX_UPLOAD_BYTES`: 4 MiB.
///
/// An upload through the function arrives inside the Lambda event, and a synchronous invocation
/// carries at most 6 MB (the binding limit: API Gateway's own 10 MB never gets to apply). API
/// Gateway base64-encodes a binary body, 4 bytes for every 3, so 4 MiB becomes 5,592,408 bytes,
/// which leaves about 400 KB of the 6 MB (read as 6,000,000) for headers and request context.
/// This holds for bodies API Gateway treats as binary media; a text body is JSON-escaped instead,
/// which can grow it more, so the file API should declare its upload types binary.
pub const MAX_UPLOAD_BYTES_LIMIT: u64 = 4 * 1024 * 1024;

/// Largest `MAX_PRESIGNED_UPLOAD_BYTES`: 5 GiB, the most one S3 PUT accepts.
pub const MAX_PRESIGNED_UPLOAD_BYTES_LIMIT: u64 = 5 * 1024 * 1024 * 1024;

/// What the function needs to know about its AWS resources and its limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// AWS Region of every resource (`AWS_REGION`).
    pub region: Region,
    /// Account that owns the identity pool (`ACCOUNT_ID`), passed to GetId.
    pub account_id: AccountId,
    /// Cognito user pool id (`USER_POOL_ID`), e.g. `eu-west-1_AbC123`.
    pub user_pool_id: UserPoolId,
    /// App client ids whose tokens are accepted (`USER_POOL_CLIENT_ID`, comma-separated).
    pub client_ids: ClientIds,
    /// Cognito identity pool id (`IDENTITY_POOL_ID`).
    pub identity_pool_id: IdentityPoolId,
    /// Bucket holding the users' files (`S3_BUCKET`).
    pub bucket: BucketName,
    /// Key prefix above the per-identity folders (`S3_PREFIX`, default `cognito-test`).
    pub prefix: S3Prefix,
    /// Endpoint override for every service (`AWS_ENDPOINT_URL`), as the SDK reads it.
    pub endpoint_url: Option<EndpointUrl>,
    /// Where the user pool's signing keys are fetched from.
    pub jwks_url: String,
    /// Whether S3 must use path-style addressing (an S3 endpoint override is set).
    pub s3_path_style: bool,
    /// Budget for one upstream operation, retries included (`UPSTREAM_TIMEOUT_MS`).
    pub upstream_timeout: Duration,
    /// Budget for a whole request, below the Lambda timeout (`REQUEST_TIMEOUT_MS`).
    pub request_timeout: Duration,
    /// Budget for opening a connection (`CONNECT_TIMEOUT_MS`).
    pub connect_timeout: Duration,
    /// Attempts per upstream operation, first one included (`UPSTREAM_MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// How long a user's AdminGetUser answer is trusted (`USER_CHECK_TTL_SECONDS`; 0 = always ask).
    pub user_check_ttl: Duration,
    /// Scoped credentials are dropped this long before they expire
    /// (`CREDENTIALS_REFRESH_MARGIN_SECONDS`).
    pub credentials_margin: Duration,
    /// Upper bound of entries per cache (`CACHE_MAX_ENTRIES`).
    pub cache_max_entries: u64,
    /// Largest file body accepted through the function itself (`MAX_UPLOAD_BYTES`, default and
    /// maximum 4 MiB: see [`MAX_UPLOAD_BYTES_LIMIT`] for why not more).
    pub max_upload_bytes: u64,
    /// Largest file a presigned upload URL allows (`MAX_PRESIGNED_UPLOAD_BYTES`, default and
    /// maximum 5 GiB, S3's single-PUT limit).
    pub max_presigned_upload_bytes: u64,
    /// Origin echoed in `Access-Control-Allow-Origin` (`ALLOWED_ORIGIN`), if any.
    pub allowed_origin: Option<String>,
    /// Refuse requests that API Gateway did not attribute to an identity-pool identity
    /// (`REQUIRE_SIGNER`, default false; our CDK app sets it to true).
    pub require_signer: bool,
}

/// A variable that is missing or does not parse. Values are never echoed: some are secrets.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {name} {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub name: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can pass a map instead of the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars::new(lookup);
        let region = vars.required("AWS_REGION", Region::parse)?;
        let account_id = vars.required("ACCOUNT_ID", AccountId::parse)?;
        let user_pool_id = vars.required("USER_POOL_ID", |v| UserPoolId::parse(v, &region))?;
        let client_ids = vars.required("USER_POOL_CLIENT_ID", ClientIds::parse)?;
        let identity_pool_id =
            vars.required("IDENTITY_POOL_ID", |v| IdentityPoolId::parse(v, &region))?;
        let bucket = vars.required("S3_BUCKET", BucketName::parse)?;
        let prefix = vars.optional("S3_PREFIX", S3Prefix::parse)?;

        let endpoint_url = vars.optional("AWS_ENDPOINT_URL", EndpointUrl::parse)?;
        let endpoint_for = |name| -> Result<_, ConfigError> {
            Ok(vars
                .optional(name, EndpointUrl::parse)?
                .or(endpoint_url.clone()))
        };
        let idp_endpoint = endpoint_for("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")?;
        let s3_endpoint = endpoint_for("AWS_ENDPOINT_URL_S3")?;

        Ok(Config {
            jwks_url: jwks_url(idp_endpoint.as_ref(), &region, &user_pool_id),
            s3_path_style: s3_endpoint.is_some(),
            region,
            account_id,
            user_pool_id,
            client_ids,
            identity_pool_id,
            bucket,
            prefix: prefix.unwrap_or_default(),
            endpoint_url,
            user_check_ttl: vars.seconds("USER_CHECK_TTL_SECONDS", 60, 0..=3600)?,
            credentials_margin: vars.seconds(
                "CREDENTIALS_REFRESH_MARGIN_SECONDS",
                300,
                0..=3000,
            )?,
            upstream_timeout: vars.millis("UPSTREAM_TIMEOUT_MS", 3000, 1..=60_000)?,
            connect_timeout: vars.millis("CONNECT_TIMEOUT_MS", 1000, 1..=60_000)?,
            request_timeout: vars.millis("REQUEST_TIMEOUT_MS", 8000, 1..=900_000)?,
            max_attempts: vars.number("UPSTREAM_MAX_ATTEMPTS", 3, 1..=10)? as u32,
            cache_max_entries: vars.number("CACHE_MAX_ENTRIES", 10_000, 1..=10_000_000)?,
            max_upload_bytes: vars.number(
                "MAX_UPLOAD_BYTES",
                MAX_UPLOAD_BYTES_LIMIT,
                1..=MAX_UPLOAD_BYTES_LIMIT,
            )?,
            max_presigned_upload_bytes: vars.number(
                "MAX_PRESIGNED_UPLOAD_BYTES",
                MAX_PRESIGNED_UPLOAD_BYTES_LIMIT,
                1..=MAX_PRESIGNED_UPLOAD_BYTES_LIMIT,
            )?,
            allowed_origin: vars.get("ALLOWED_ORIGIN"),
            require_signer: vars.flag("REQUIRE_SIGNER")?,
        })
    }

    /// The pool's original issuer (`IssuerConfiguration` `ORIGINAL`, the default); it is the same
    /// for real and emulated pools.
    pub fn issuer(&self) -> String {
        format!("https://{}", self.login_provider())
    }

    /// Every issuer an accepted token may carry: the original one and the pool's `UPDATED` issuer,
    /// `https://issuer-cognito-idp.<region>.<dns suffix>/<pool>` (Cognito API reference,
    /// IssuerConfigurationType). Both name this pool on Cognito's own hosts and both are checked
    /// against this pool's keys, so accepting both trusts no one new; it lets a pool switch its
    /// issuer type without a redeploy, while tokens of both forms are alive (up to a day).
    pub fn issuers(&self) -> [String; 2] {
        [
            self.issuer(),
            format!("https://issuer-{}", self.login_provider()),
        ]
    }

    /// The `Logins` map key that names this user pool to the identity pool.
    pub fn login_provider(&self) -> String {
        format!(
            "cognito-idp.{}.{}/{}",
            self.region,
            self.region.dns_suffix(),
            self.user_pool_id
        )
    }
}

/// Cognito serves the keys under the issuer; an emulator serves them under its endpoint.
fn jwks_url(idp_endpoint: Option<&EndpointUrl>, region: &Region, pool: &UserPoolId) -> String {
    match idp_endpoint {
        Some(base) => format!("{}/{pool}/.well-known/jwks.json", base.base()),
        None => format!(
            "https://cognito-idp.{region}.{}/{pool}/.well-known/jwks.json",
            region.dns_suffix()
        ),
    }
}

#[cfg(test)]
mod tests;
