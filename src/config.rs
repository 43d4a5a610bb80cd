//! Configuration from environment variables, read once at init.
//!
//! One lookup per variable, one error that names the variable and never echoes its value (some
//! values are secrets), and the checks that guard something: ids that go into ARNs, the issuer and
//! the `Logins` key must have Cognito's shape and sit in `AWS_REGION`; the key prefix must keep
//! `<prefix>/<IdentityId>/...` one unambiguous key; numbers stay within their bounds.

use std::ops::RangeInclusive;
use std::time::Duration;

/// Largest `MAX_UPLOAD_BYTES`: 4 MiB.
///
/// An upload through the function arrives inside the Lambda event, and a synchronous invocation
/// carries at most 6 MB (the binding limit: API Gateway's own 10 MB never gets to apply). API
/// Gateway base64-encodes a binary body, 4 bytes for every 3, so 4 MiB becomes 5,592,408 bytes,
/// which leaves about 400 KB of the 6 MB (read as 6,000,000) for headers and request context.
/// This holds for bodies API Gateway treats as binary media (our API declares `*/*` binary).
pub const MAX_UPLOAD_BYTES_LIMIT: u64 = 4 * 1024 * 1024;

/// Largest `MAX_PRESIGNED_UPLOAD_BYTES`: 5 GiB, the most one S3 PUT accepts.
pub const MAX_PRESIGNED_UPLOAD_BYTES_LIMIT: u64 = 5 * 1024 * 1024 * 1024;

/// Largest `MAX_SINGLE_COPY_BYTES`: 5 GiB, the most one S3 CopyObject copies.
pub const MAX_SINGLE_COPY_BYTES_LIMIT: u64 = 5 * 1024 * 1024 * 1024;

/// What the function needs to know about its AWS resources and its limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// AWS Region of every resource (`AWS_REGION`).
    pub region: String,
    /// Account that owns the identity pool (`ACCOUNT_ID`), passed to GetId.
    pub account_id: String,
    /// Cognito user pool id (`USER_POOL_ID`), e.g. `eu-west-1_AbC123`.
    pub user_pool_id: String,
    /// App client ids whose tokens are accepted (`USER_POOL_CLIENT_ID`, comma-separated).
    pub client_ids: Vec<String>,
    /// Cognito identity pool id (`IDENTITY_POOL_ID`).
    pub identity_pool_id: String,
    /// Bucket holding the users' files (`S3_BUCKET`).
    pub bucket: String,
    /// Key prefix above the per-identity folders (`S3_PREFIX`, default `cognito-test`).
    pub prefix: String,
    /// Endpoint override for every service (`AWS_ENDPOINT_URL`), as the SDK reads it.
    pub endpoint_url: Option<String>,
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
    /// Limits on request input.
    pub limits: Limits,
    /// Origin echoed in `Access-Control-Allow-Origin` (`ALLOWED_ORIGIN`), if any.
    pub allowed_origin: Option<String>,
    /// Refuse requests that API Gateway did not attribute to an identity-pool identity
    /// (`REQUIRE_SIGNER`, default false; our CDK app sets it to true).
    pub require_signer: bool,
    /// The shared session tier (`SESSION_TABLE`), if any: environments share verdicts, IdentityIds
    /// and sealed keys through one DynamoDB table.
    pub session: Option<SessionTier>,
}

/// The shared session tier's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTier {
    /// The DynamoDB table (`SESSION_TABLE`).
    pub table: String,
    /// How long a verdict in the table is trusted (`SHARED_USER_CHECK_TTL_SECONDS`, default 900):
    /// the safety net when a revocation event is lost.
    pub verdict_ttl: Duration,
    /// Budget of one table call, retries included (`SESSION_TABLE_TIMEOUT_MS`, default 300):
    /// a slower table is a miss, never a wait for the whole `UPSTREAM_TIMEOUT_MS`.
    pub timeout: Duration,
    /// How long an environment that finds another one asking AdminGetUser for the same user waits
    /// for its answer before asking itself (`SHARED_USER_CHECK_WAIT_MS`, default 250).
    pub lease_wait: Duration,
    /// Endpoint override for DynamoDB alone (`AWS_ENDPOINT_URL_DYNAMODB`), else `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
}

/// `USER_CHECK_TTL_SECONDS`' default: an environment's own verdicts live this long without a
/// shared tier...
const USER_CHECK_TTL_ALONE: u64 = 60;
/// ...and this long in front of one, where revocations are pushed into the table: a revocation
/// then reaches every environment within its delivery plus this.
const USER_CHECK_TTL_SHARED: u64 = 30;

/// Limits on request input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest body of `PUT /files/{name+}` (`MAX_UPLOAD_BYTES`, default and maximum 4 MiB: see
    /// [`MAX_UPLOAD_BYTES_LIMIT`] for why not more).
    pub max_upload_bytes: u64,
    /// Largest file a presigned upload URL allows (`MAX_PRESIGNED_UPLOAD_BYTES`, default and
    /// maximum 5 GiB, S3's single-PUT limit).
    pub max_presigned_upload_bytes: u64,
    /// Largest file copied (`POST /copies`, `/moves`) by one CopyObject (`MAX_SINGLE_COPY_BYTES`,
    /// default and maximum 5 GiB, S3's CopyObject limit; at least 5 MiB, S3's smallest part);
    /// larger files are copied in parts of this size (at most 1 GiB).
    pub max_single_copy_bytes: u64,
}

/// A variable that is missing or does not parse. Values are never echoed: some are secrets.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {name} {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub name: &'static str,
    /// What is wrong with it, phrased to follow the name.
    pub problem: &'static str,
}

/// Why a value was refused, phrased to follow the variable's name; never the value itself.
pub(crate) type Refusal = &'static str;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can pass a map instead of the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(lookup);
        let region = env.required("AWS_REGION", region)?;
        let user_pool_id = env.required("USER_POOL_ID", |v| pool_id(v, &region, '_'))?;
        let identity_pool_id = env.required("IDENTITY_POOL_ID", |v| pool_id(v, &region, ':'))?;
        let endpoint_url = env.optional("AWS_ENDPOINT_URL", endpoint)?;
        let endpoint_for = |name| Ok(env.optional(name, endpoint)?.or(endpoint_url.clone()));
        let idp_endpoint: Option<String> =
            endpoint_for("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")?;
        let s3_endpoint: Option<String> = endpoint_for("AWS_ENDPOINT_URL_S3")?;
        let session = match env.optional("SESSION_TABLE", table_name)? {
            Some(table) => Some(SessionTier {
                table,
                verdict_ttl: env.seconds("SHARED_USER_CHECK_TTL_SECONDS", 900, 1..=86_400)?,
                timeout: env.millis("SESSION_TABLE_TIMEOUT_MS", 300, 1..=10_000)?,
                lease_wait: env.millis("SHARED_USER_CHECK_WAIT_MS", 250, 0..=10_000)?,
                endpoint_url: endpoint_for("AWS_ENDPOINT_URL_DYNAMODB")?,
            }),
            None => None,
        };
        let user_check_default = match session {
            Some(_) => USER_CHECK_TTL_SHARED,
            None => USER_CHECK_TTL_ALONE,
        };
        let jwks_url = match &idp_endpoint {
            // Cognito serves the keys under the issuer; an emulator serves them under its endpoint.
            Some(base) => format!("{}/{user_pool_id}", base.trim_end_matches('/')),
            None => format!(
                "https://cognito-idp.{region}.{}/{user_pool_id}",
                dns_suffix(&region)
            ),
        } + "/.well-known/jwks.json";
        Ok(Config {
            account_id: env.required("ACCOUNT_ID", account_id)?,
            client_ids: env.required("USER_POOL_CLIENT_ID", client_ids)?,
            bucket: env.required("S3_BUCKET", bucket)?,
            prefix: env
                .optional("S3_PREFIX", prefix)?
                .unwrap_or_else(|| "cognito-test".to_owned()),
            jwks_url,
            s3_path_style: s3_endpoint.is_some(),
            endpoint_url,
            user_check_ttl: env.seconds("USER_CHECK_TTL_SECONDS", user_check_default, 0..=3600)?,
            credentials_margin: env.seconds("CREDENTIALS_REFRESH_MARGIN_SECONDS", 300, 0..=3000)?,
            upstream_timeout: env.millis("UPSTREAM_TIMEOUT_MS", 3000, 1..=60_000)?,
            connect_timeout: env.millis("CONNECT_TIMEOUT_MS", 1000, 1..=60_000)?,
            request_timeout: env.millis("REQUEST_TIMEOUT_MS", 8000, 1..=900_000)?,
            max_attempts: env.number("UPSTREAM_MAX_ATTEMPTS", 3, 1..=10)? as u32,
            cache_max_entries: env.number("CACHE_MAX_ENTRIES", 10_000, 1..=10_000_000)?,
            limits: Limits {
                max_upload_bytes: env.number(
                    "MAX_UPLOAD_BYTES",
                    MAX_UPLOAD_BYTES_LIMIT,
                    1..=MAX_UPLOAD_BYTES_LIMIT,
                )?,
                max_presigned_upload_bytes: env.number(
                    "MAX_PRESIGNED_UPLOAD_BYTES",
                    MAX_PRESIGNED_UPLOAD_BYTES_LIMIT,
                    1..=MAX_PRESIGNED_UPLOAD_BYTES_LIMIT,
                )?,
                max_single_copy_bytes: env.number(
                    "MAX_SINGLE_COPY_BYTES",
                    MAX_SINGLE_COPY_BYTES_LIMIT,
                    5 * 1024 * 1024..=MAX_SINGLE_COPY_BYTES_LIMIT,
                )?,
            },
            allowed_origin: env.get("ALLOWED_ORIGIN"),
            require_signer: env.flag("REQUIRE_SIGNER")?,
            session,
            region,
            user_pool_id,
            identity_pool_id,
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
        let suffix = dns_suffix(&self.region);
        format!("cognito-idp.{}.{suffix}/{}", self.region, self.user_pool_id)
    }
}

/// The environment through a lookup function; blanks around a value are dropped and an empty
/// value counts as unset.
pub(crate) struct Env<F>(pub(crate) F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub(crate) fn optional<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, Refusal>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(name)
            .map(|v| parse(&v).map_err(|problem| ConfigError { name, problem }))
            .transpose()
    }

    pub(crate) fn required<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, Refusal>,
    ) -> Result<T, ConfigError> {
        let problem = "is not set";
        self.optional(name, parse)?
            .ok_or(ConfigError { name, problem })
    }

    /// A whole number in `range`, `default` when unset.
    pub(crate) fn number(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        debug_assert!(range.contains(&default), "{name}'s default is out of range");
        let parse = |v: &str| match v.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            Ok(_) => Err("must be a whole number in range"),
            Err(_) => Err("must be a whole number"),
        };
        Ok(self.optional(name, parse)?.unwrap_or(default))
    }

    pub(crate) fn seconds(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.number(name, default, range).map(Duration::from_secs)
    }

    pub(crate) fn millis(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.number(name, default, range).map(Duration::from_millis)
    }

    /// `true`/`1` or `false`/`0` in any case; false when unset.
    pub(crate) fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        let parse = |v: &str| match v.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err("must be true or false"),
        };
        Ok(self.optional(name, parse)?.unwrap_or(false))
    }
}

/// A DynamoDB table name: 3-255 letters, digits, `_`, `-` and `.`.
pub(crate) fn table_name(s: &str) -> Result<String, Refusal> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    if (3..=255).contains(&s.len()) && s.bytes().all(allowed) {
        Ok(s.to_owned())
    } else {
        Err("must be a DynamoDB table name: 3-255 letters, digits, '_', '-' and '.'")
    }
}

/// A Region name such as `eu-west-1` or `us-gov-west-1`: lowercase dash-separated words, at least
/// three, the last one a number. It goes into the issuer, ARNs and the `Logins` key.
pub(crate) fn region(s: &str) -> Result<String, Refusal> {
    let parts: Vec<&str> = s.split('-').collect();
    let word = |p: &&str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let numbered = parts
        .last()
        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if parts.len() >= 3 && parts.iter().all(word) && numbered {
        Ok(s.to_owned())
    } else {
        Err("is not a Region name (dash-separated lowercase words, the last a number)")
    }
}

/// The DNS suffix of the Region's partition (`amazonaws.com.cn` in China).
fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

fn account_id(s: &str) -> Result<String, Refusal> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err("must be 12 digits")
    }
}

/// `<region><sep><id>` in `region`: a user pool (`_`, alphanumeric id) or an identity pool (`:`,
/// a UUID).
pub(crate) fn pool_id(s: &str, region: &str, sep: char) -> Result<String, Refusal> {
    let (pool_region, id) = s.split_once(sep).unwrap_or_default();
    let well_formed = if sep == ':' {
        let groups: Vec<&str> = id.split('-').collect();
        groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups
                .iter()
                .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
    } else {
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    match (well_formed, pool_region == region) {
        (false, _) if sep == ':' => Err("must look like <AWS_REGION>:<uuid>"),
        (false, _) => Err("must look like <AWS_REGION>_<id>"),
        (true, false) => Err("must be in AWS_REGION"),
        (true, true) => Ok(s.to_owned()),
    }
}

/// One or more alphanumeric app client ids, comma-separated; blanks and empty items ignored.
fn client_ids(s: &str) -> Result<Vec<String>, Refusal> {
    let ids: Vec<String> = s
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        return Err("must name at least one app client id");
    }
    if !ids
        .iter()
        .all(|id| id.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err("must be alphanumeric app client ids, comma-separated");
    }
    Ok(ids)
}

/// A general purpose bucket name: 3-63 lowercase letters, digits, `.` and `-`, starting and
/// ending with a letter or digit (the rest of S3's rules S3 itself enforces at the first call).
fn bucket(s: &str) -> Result<String, Refusal> {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.';
    let edge = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    if (3..=63).contains(&s.len())
        && s.bytes().all(allowed)
        && edge(s.as_bytes().first())
        && edge(s.as_bytes().last())
    {
        Ok(s.to_owned())
    } else {
        Err("must be a bucket name: 3-63 lowercase letters, digits, '.' and '-'")
    }
}

/// `/`-separated segments, none empty, `.` or `..`, no control character: `<prefix>/<id>/...` is
/// then one unambiguous key, and the IAM policy's `<prefix>/${sub}/*` names exactly it.
fn prefix(s: &str) -> Result<String, Refusal> {
    if s.split('/').any(|seg| matches!(seg, "" | "." | "..")) {
        return Err("must be '/'-separated segments, none empty, '.' or '..'");
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    Ok(s.to_owned())
}

/// An endpoint override as the SDK reads it: an http(s) URL with something after the scheme.
pub(crate) fn endpoint(s: &str) -> Result<String, Refusal> {
    match s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        Some(rest) if !rest.is_empty() => Ok(s.to_owned()),
        _ => Err("must be an http:// or https:// URL"),
    }
}

#[cfg(test)]
mod tests;
