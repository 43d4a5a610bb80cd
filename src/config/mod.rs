//! Typed configuration from environment variables; a bad value names its variable.

use std::time::Duration;

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
        let get = |name: &'static str| -> Option<String> {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| {
            get(name).ok_or(ConfigError {
                name,
                problem: "is not set",
            })
        };
        let number = |name: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or(ConfigError {
                        name,
                        problem: "must be a whole number in range",
                    }),
            }
        };
        let bad = |name, problem| ConfigError { name, problem };
        let flag = |name: &'static str| -> Result<bool, ConfigError> {
            match get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
                None | Some("false" | "0") => Ok(false),
                Some("true" | "1") => Ok(true),
                Some(_) => Err(bad(name, "must be true or false")),
            }
        };

        let region = required("AWS_REGION")?;
        if !is_region(&region) {
            return Err(bad("AWS_REGION", "is not a region name like eu-west-1"));
        }
        let account_id = required("ACCOUNT_ID")?;
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("ACCOUNT_ID", "must be 12 digits"));
        }
        let user_pool_id = required("USER_POOL_ID")?;
        match user_pool_id.split_once('_') {
            Some((pool_region, id))
                if pool_region == region
                    && !id.is_empty()
                    && id.bytes().all(|b| b.is_ascii_alphanumeric()) => {}
            _ => {
                return Err(bad(
                    "USER_POOL_ID",
                    "must look like <AWS_REGION>_<id> and be in AWS_REGION",
                ));
            }
        }
        let client_ids: Vec<String> = required("USER_POOL_CLIENT_ID")?
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if client_ids.is_empty()
            || client_ids
                .iter()
                .any(|c| !c.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(bad(
                "USER_POOL_CLIENT_ID",
                "must be one or more alphanumeric client ids, comma-separated",
            ));
        }
        let identity_pool_id = required("IDENTITY_POOL_ID")?;
        match identity_pool_id.split_once(':') {
            Some((pool_region, uuid)) if pool_region == region && is_uuid(uuid) => {}
            _ => {
                return Err(bad(
                    "IDENTITY_POOL_ID",
                    "must look like <AWS_REGION>:<uuid> and be in AWS_REGION",
                ));
            }
        }
        let bucket = required("S3_BUCKET")?;
        if !is_bucket_name(&bucket) {
            return Err(bad("S3_BUCKET", "is not a valid bucket name"));
        }
        let prefix = get("S3_PREFIX").unwrap_or_else(|| "cognito-test".to_owned());
        if prefix.starts_with('/')
            || prefix.ends_with('/')
            || prefix
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(bad(
                "S3_PREFIX",
                "must be a key prefix without leading or trailing '/'",
            ));
        }

        let endpoint_url = endpoint("AWS_ENDPOINT_URL", &get)?;
        let idp_endpoint =
            endpoint("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &get)?.or(endpoint_url.clone());
        let s3_endpoint = endpoint("AWS_ENDPOINT_URL_S3", &get)?.or(endpoint_url.clone());
        // Cognito serves the keys under the issuer; an emulator serves them under its endpoint.
        let jwks_url = match idp_endpoint {
            Some(base) => format!(
                "{}/{user_pool_id}/.well-known/jwks.json",
                base.trim_end_matches('/')
            ),
            None => format!(
                "https://cognito-idp.{region}.{}/{user_pool_id}/.well-known/jwks.json",
                dns_suffix(&region)
            ),
        };

        let user_check_ttl = number("USER_CHECK_TTL_SECONDS", 60, 3600)?;
        let credentials_margin = number("CREDENTIALS_REFRESH_MARGIN_SECONDS", 300, 3000)?;
        let upstream_timeout = number("UPSTREAM_TIMEOUT_MS", 3000, 60_000)?;
        let connect_timeout = number("CONNECT_TIMEOUT_MS", 1000, 60_000)?;
        let request_timeout = number("REQUEST_TIMEOUT_MS", 8000, 900_000)?;
        let max_attempts = number("UPSTREAM_MAX_ATTEMPTS", 3, 10)?;
        let cache_max_entries = number("CACHE_MAX_ENTRIES", 10_000, 10_000_000)?;
        if upstream_timeout == 0
            || connect_timeout == 0
            || request_timeout == 0
            || max_attempts == 0
            || cache_max_entries == 0
        {
            return Err(bad(
                "UPSTREAM_TIMEOUT_MS, REQUEST_TIMEOUT_MS, CONNECT_TIMEOUT_MS, UPSTREAM_MAX_ATTEMPTS or CACHE_MAX_ENTRIES",
                "must be greater than zero",
            ));
        }

        Ok(Config {
            region,
            account_id,
            user_pool_id,
            client_ids,
            identity_pool_id,
            bucket,
            prefix,
            endpoint_url,
            jwks_url,
            s3_path_style: s3_endpoint.is_some(),
            upstream_timeout: Duration::from_millis(upstream_timeout),
            connect_timeout: Duration::from_millis(connect_timeout),
            request_timeout: Duration::from_millis(request_timeout),
            max_attempts: max_attempts as u32,
            user_check_ttl: Duration::from_secs(user_check_ttl),
            credentials_margin: Duration::from_secs(credentials_margin),
            cache_max_entries,
            allowed_origin: get("ALLOWED_ORIGIN"),
            require_signer: flag("REQUIRE_SIGNER")?,
        })
    }

    /// The issuer every accepted token must carry; it is the same for real and emulated pools.
    pub fn issuer(&self) -> String {
        format!("https://{}", self.login_provider())
    }

    /// The `Logins` map key that names this user pool to the identity pool.
    pub fn login_provider(&self) -> String {
        format!(
            "cognito-idp.{}.{}/{}",
            self.region,
            dns_suffix(&self.region),
            self.user_pool_id
        )
    }
}

/// The DNS suffix of the region's partition, as in the `aws-cn` partition's endpoints
/// (`amazonaws.com.cn`); `aws` and `aws-us-gov` regions use `amazonaws.com`.
fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

fn endpoint(
    name: &'static str,
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<Option<String>, ConfigError> {
    match get(name) {
        None => Ok(None),
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => Ok(Some(url)),
        Some(_) => Err(ConfigError {
            name,
            problem: "must be an http:// or https:// URL",
        }),
    }
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_bucket_name(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn valid() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("AWS_REGION", "eu-west-1"),
            ("ACCOUNT_ID", "123456789012"),
            ("USER_POOL_ID", "eu-west-1_AbC123"),
            ("USER_POOL_CLIENT_ID", "abc123, def456"),
            (
                "IDENTITY_POOL_ID",
                "eu-west-1:0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
            ),
            ("S3_BUCKET", "my-bucket"),
        ])
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn a_complete_environment_parses_with_defaults() {
        let config = load(&valid()).expect("valid config");
        assert_eq!(config.client_ids, ["abc123", "def456"]);
        assert_eq!(config.prefix, "cognito-test");
        assert_eq!(config.user_check_ttl, Duration::from_secs(60));
        assert_eq!(config.credentials_margin, Duration::from_secs(300));
        assert!(!config.s3_path_style);
        assert_eq!(
            config.jwks_url,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
        );
        assert_eq!(
            config.issuer(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(
            config.login_provider(),
            "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
    }

    #[test]
    fn every_required_variable_is_named_when_missing() {
        for name in [
            "AWS_REGION",
            "ACCOUNT_ID",
            "USER_POOL_ID",
            "USER_POOL_CLIENT_ID",
            "IDENTITY_POOL_ID",
            "S3_BUCKET",
        ] {
            let mut vars = valid();
            vars.remove(name);
            let err = load(&vars).expect_err(name);
            assert_eq!(err.name, name);
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn malformed_values_are_rejected_by_name() {
        let cases = [
            ("AWS_REGION", "Europe"),
            ("ACCOUNT_ID", "12345"),
            ("USER_POOL_ID", "us-east-1_AbC123"),
            ("USER_POOL_ID", "eu-west-1_"),
            ("USER_POOL_CLIENT_ID", " , "),
            ("USER_POOL_CLIENT_ID", "abc/def"),
            ("IDENTITY_POOL_ID", "eu-west-1:not-a-uuid"),
            ("S3_BUCKET", "Bad_Bucket"),
            ("S3_PREFIX", "/leading"),
            ("S3_PREFIX", "a/../b"),
            ("USER_CHECK_TTL_SECONDS", "-1"),
            ("UPSTREAM_TIMEOUT_MS", "0"),
            ("AWS_ENDPOINT_URL", "localhost:5055"),
            ("REQUIRE_SIGNER", "yes-please"),
        ];
        for (name, value) in cases {
            let mut vars = valid();
            vars.insert(name, value);
            let err = load(&vars).expect_err(value);
            assert!(err.to_string().contains(name), "{name}={value}: {err}");
            assert!(
                !err.to_string().contains(value),
                "the value must not be echoed: {err}"
            );
        }
    }

    #[test]
    fn an_endpoint_override_moves_jwks_and_turns_on_path_style() {
        let mut vars = valid();
        vars.insert("AWS_ENDPOINT_URL", "http://127.0.0.1:5055/");
        let config = load(&vars).unwrap();
        assert!(config.s3_path_style);
        assert_eq!(
            config.jwks_url,
            "http://127.0.0.1:5055/eu-west-1_AbC123/.well-known/jwks.json"
        );
        // The issuer stays the real one: the emulator's tokens carry it too.
        assert!(
            config
                .issuer()
                .starts_with("https://cognito-idp.eu-west-1.amazonaws.com/")
        );
    }

    #[test]
    fn china_regions_use_their_partitions_dns_suffix() {
        let mut vars = valid();
        vars.insert("AWS_REGION", "cn-north-1");
        vars.insert("USER_POOL_ID", "cn-north-1_AbC123");
        vars.insert(
            "IDENTITY_POOL_ID",
            "cn-north-1:0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
        );
        let config = load(&vars).unwrap();
        assert_eq!(
            config.issuer(),
            "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC123"
        );
        assert_eq!(
            config.login_provider(),
            "cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC123"
        );
        assert_eq!(
            config.jwks_url,
            "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC123/.well-known/jwks.json"
        );
        let mut gov = valid();
        gov.insert("AWS_REGION", "us-gov-west-1");
        gov.insert("USER_POOL_ID", "us-gov-west-1_AbC123");
        gov.insert(
            "IDENTITY_POOL_ID",
            "us-gov-west-1:0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
        );
        assert_eq!(
            load(&gov).unwrap().issuer(),
            "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_AbC123"
        );
    }

    #[test]
    fn require_signer_is_off_unless_set() {
        assert!(!load(&valid()).unwrap().require_signer);
        for (value, expected) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("false", false),
            ("0", false),
        ] {
            let mut vars = valid();
            vars.insert("REQUIRE_SIGNER", value);
            assert_eq!(load(&vars).unwrap().require_signer, expected, "{value}");
        }
    }

    #[test]
    fn a_service_specific_endpoint_wins_for_its_service() {
        let mut vars = valid();
        vars.insert("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://idp:1");
        let config = load(&vars).unwrap();
        assert_eq!(
            config.jwks_url,
            "http://idp:1/eu-west-1_AbC123/.well-known/jwks.json"
        );
        assert!(!config.s3_path_style);
    }
}
