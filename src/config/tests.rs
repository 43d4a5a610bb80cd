//! `Config::from_lookup`: names, defaults, derived URLs, and the checks that guard something.

use super::*;
use std::collections::HashMap;

const UUID: &str = "0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b";

fn valid() -> HashMap<&'static str, String> {
    HashMap::from([
        ("AWS_REGION", "eu-west-1".to_owned()),
        ("ACCOUNT_ID", "123456789012".to_owned()),
        ("USER_POOL_ID", "eu-west-1_AbC123".to_owned()),
        ("USER_POOL_CLIENT_ID", "abc123, def456".to_owned()),
        ("IDENTITY_POOL_ID", format!("eu-west-1:{UUID}")),
        ("S3_BUCKET", "my-bucket".to_owned()),
    ])
}

fn load(vars: &HashMap<&'static str, String>) -> Result<Config, ConfigError> {
    Config::from_lookup(|k| vars.get(k).cloned())
}

/// The error for `name=value` on top of a valid environment.
fn refused(name: &'static str, value: &str) -> ConfigError {
    let mut vars = valid();
    vars.insert(name, value.to_owned());
    load(&vars).expect_err(value)
}

fn accepted(pairs: &[(&'static str, &str)]) -> Config {
    let mut vars = valid();
    for (name, value) in pairs {
        vars.insert(name, value.to_string());
    }
    load(&vars).unwrap_or_else(|e| panic!("{pairs:?}: {e}"))
}

#[test]
fn a_complete_environment_parses_with_defaults() {
    let config = load(&valid()).expect("valid config");
    assert_eq!(config.client_ids, ["abc123", "def456"]);
    assert_eq!(config.prefix, "cognito-test");
    assert_eq!(config.user_check_ttl, Duration::from_secs(60));
    assert_eq!(config.credentials_margin, Duration::from_secs(300));
    assert_eq!(config.limits.max_upload_bytes, 4_194_304);
    assert_eq!(config.limits.max_presigned_upload_bytes, 5_368_709_120);
    assert!(!config.s3_path_style && !config.require_signer);
    assert_eq!(
        config.jwks_url,
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
    );
    assert_eq!(
        config.issuers(),
        [
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
            "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        ]
    );
    assert_eq!(
        config.login_provider(),
        "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    );
}

#[test]
fn every_required_variable_is_named_when_missing_or_blank() {
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
        assert_eq!((err.name, err.problem), (name, "is not set"));
        assert_eq!(refused(name, " \n").problem, "is not set");
    }
}

#[test]
fn malformed_values_are_refused_by_name_without_echoing_them() {
    let cases = [
        ("AWS_REGION", "Europe"),
        ("AWS_REGION", "eu-west"),
        ("AWS_REGION", "EU-WEST-1"),
        ("AWS_REGION", "eu--west-1"),
        ("ACCOUNT_ID", "12345"),
        ("ACCOUNT_ID", "12345678901a"),
        ("USER_POOL_ID", "us-east-1_AbC123"),
        ("USER_POOL_ID", "eu-west-1_"),
        ("USER_POOL_ID", "eu-west-1_a/b"),
        ("USER_POOL_ID", "eu-west-1AbC123"),
        ("USER_POOL_CLIENT_ID", " , "),
        ("USER_POOL_CLIENT_ID", "abc/def"),
        ("IDENTITY_POOL_ID", "eu-west-1:not-a-uuid"),
        (
            "IDENTITY_POOL_ID",
            "us-east-1:0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
        ),
        (
            "IDENTITY_POOL_ID",
            "eu-west-1_0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
        ),
        ("S3_BUCKET", "Bad_Bucket"),
        ("S3_BUCKET", "-edge"),
        ("S3_BUCKET", "ab"),
        ("S3_PREFIX", "/leading"),
        ("S3_PREFIX", "trailing/"),
        ("S3_PREFIX", "a/../b"),
        ("S3_PREFIX", "a//b"),
        ("S3_PREFIX", "a/\u{7}b"),
        ("USER_CHECK_TTL_SECONDS", "-1"),
        ("USER_CHECK_TTL_SECONDS", "3601"),
        ("UPSTREAM_TIMEOUT_MS", "1.5"),
        ("AWS_ENDPOINT_URL", "localhost:5055"),
        ("AWS_ENDPOINT_URL_S3", "ftp://host"),
        ("REQUIRE_SIGNER", "yes-please"),
        ("SESSION_TABLE", "x1"),
        ("SESSION_TABLE", "sessions/../x"),
        (
            "SESSION_TABLE",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
        ),
    ];
    for (name, value) in cases {
        let err = refused(name, value);
        assert_eq!(err.name, name, "{value}");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("configuration: {name} ")),
            "{text}"
        );
        assert!(
            !text.contains(value.trim()),
            "the value must not be echoed: {text}"
        );
    }
    assert_eq!(
        refused("AWS_ENDPOINT_URL", "http://").name,
        "AWS_ENDPOINT_URL"
    );
    assert_eq!(
        refused("USER_POOL_ID", "us-east-1_AbC123").to_string(),
        "configuration: USER_POOL_ID must be in AWS_REGION"
    );
}

#[test]
fn ids_of_every_partition_are_accepted_with_their_dns_suffix() {
    let china = accepted(&[
        ("AWS_REGION", "cn-north-1"),
        ("USER_POOL_ID", "cn-north-1_AbC123"),
        ("IDENTITY_POOL_ID", &format!("cn-north-1:{UUID}")),
    ]);
    assert_eq!(
        china.login_provider(),
        "cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC123"
    );
    assert_eq!(
        china.jwks_url,
        "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC123/.well-known/jwks.json"
    );
    let gov = accepted(&[
        ("AWS_REGION", "us-gov-west-1"),
        ("USER_POOL_ID", "us-gov-west-1_AbC123"),
        ("IDENTITY_POOL_ID", &format!("us-gov-west-1:{UUID}")),
    ]);
    assert_eq!(
        gov.issuer(),
        "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_AbC123"
    );
}

#[test]
fn endpoint_overrides_move_the_jwks_and_turn_on_path_style_for_their_service() {
    let all = accepted(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5055/")]);
    assert!(all.s3_path_style);
    assert_eq!(
        all.jwks_url,
        "http://127.0.0.1:5055/eu-west-1_AbC123/.well-known/jwks.json"
    );
    // The issuer stays the real one: the emulator's tokens carry it too.
    assert!(
        all.issuer()
            .starts_with("https://cognito-idp.eu-west-1.amazonaws.com/")
    );
    let idp = accepted(&[("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://idp:1")]);
    assert_eq!(
        idp.jwks_url,
        "http://idp:1/eu-west-1_AbC123/.well-known/jwks.json"
    );
    assert!(!idp.s3_path_style);
    assert!(accepted(&[("AWS_ENDPOINT_URL_S3", "https://s3.example")]).s3_path_style);
}

#[test]
fn numbers_and_flags_take_their_bounds_and_nothing_beyond() {
    for (value, expected) in [
        ("true", true),
        ("TRUE", true),
        ("1", true),
        ("False", false),
        ("0", false),
    ] {
        assert_eq!(
            accepted(&[("REQUIRE_SIGNER", value)]).require_signer,
            expected,
            "{value}"
        );
    }
    let bounds = accepted(&[
        ("MAX_UPLOAD_BYTES", "1"),
        ("MAX_PRESIGNED_UPLOAD_BYTES", "5368709120"),
        ("MAX_SINGLE_COPY_BYTES", "5242880"),
        ("USER_CHECK_TTL_SECONDS", "0"),
        ("CREDENTIALS_REFRESH_MARGIN_SECONDS", "0"),
    ]);
    assert_eq!(
        bounds.limits,
        Limits {
            max_upload_bytes: 1,
            max_presigned_upload_bytes: 5_368_709_120,
            max_single_copy_bytes: 5_242_880,
        }
    );
    assert_eq!(bounds.user_check_ttl, Duration::ZERO);
    assert_eq!(bounds.credentials_margin, Duration::ZERO);
    for (name, value) in [
        ("MAX_UPLOAD_BYTES", "0"),
        ("MAX_UPLOAD_BYTES", "4194305"),
        ("MAX_PRESIGNED_UPLOAD_BYTES", "5368709121"),
        ("MAX_SINGLE_COPY_BYTES", "5242879"),
        ("MAX_SINGLE_COPY_BYTES", "5368709121"),
        ("UPSTREAM_TIMEOUT_MS", "0"),
        ("REQUEST_TIMEOUT_MS", "0"),
        ("CONNECT_TIMEOUT_MS", "0"),
        ("UPSTREAM_MAX_ATTEMPTS", "0"),
        ("CACHE_MAX_ENTRIES", "0"),
        ("CACHE_MAX_ENTRIES", "18446744073709551615"),
    ] {
        let err = refused(name, value);
        assert_eq!(
            (err.name, err.problem),
            (name, "must be a whole number in range")
        );
    }
    assert_eq!(
        refused("CACHE_MAX_ENTRIES", "18446744073709551616").problem,
        "must be a whole number"
    );
}

#[test]
fn the_largest_upload_still_fits_a_lambda_event_once_base64_encoded() {
    let encoded = 4 * MAX_UPLOAD_BYTES_LIMIT.div_ceil(3);
    let room_for_the_rest_of_the_event = 6_000_000 - encoded;
    assert!(
        room_for_the_rest_of_the_event > 256 * 1024,
        "{room_for_the_rest_of_the_event}"
    );
}

#[test]
fn values_are_trimmed_and_blank_optionals_take_their_default() {
    let config = accepted(&[
        ("S3_PREFIX", "   "),
        ("S3_BUCKET", "  my-bucket\n"),
        ("S3_PREFIX", " a/b "),
    ]);
    assert_eq!(
        (config.bucket.as_str(), config.prefix.as_str()),
        ("my-bucket", "a/b")
    );
    assert_eq!(accepted(&[("S3_PREFIX", "   ")]).prefix, "cognito-test");
}

#[test]
fn the_shared_tier_is_off_unless_a_table_is_named_and_then_shortens_the_local_ttl() {
    let alone = load(&valid()).unwrap();
    assert_eq!(alone.session, None);
    assert_eq!(alone.user_check_ttl, Duration::from_secs(60));

    let shared = accepted(&[("SESSION_TABLE", "read-file-sessions")]);
    let tier = shared.session.expect("the tier is on");
    assert_eq!(tier.table, "read-file-sessions");
    assert_eq!(tier.verdict_ttl, Duration::from_secs(900));
    assert_eq!(tier.timeout, Duration::from_millis(300));
    assert_eq!(tier.lease_wait, Duration::from_millis(250));
    assert_eq!(tier.endpoint_url, None);
    assert_eq!(shared.user_check_ttl, Duration::from_secs(30));

    let tuned = accepted(&[
        ("SESSION_TABLE", "t.sessions_1"),
        ("SHARED_USER_CHECK_TTL_SECONDS", "60"),
        ("SESSION_TABLE_TIMEOUT_MS", "150"),
        ("USER_CHECK_TTL_SECONDS", "10"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:5055"),
        ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:7000"),
    ]);
    let tier = tuned.session.unwrap();
    assert_eq!(tier.verdict_ttl, Duration::from_secs(60));
    assert_eq!(tier.timeout, Duration::from_millis(150));
    assert_eq!(tier.endpoint_url.as_deref(), Some("http://127.0.0.1:7000"));
    assert_eq!(tuned.user_check_ttl, Duration::from_secs(10));
    let inherited = accepted(&[
        ("SESSION_TABLE", "sessions"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:5055"),
    ]);
    assert_eq!(
        inherited.session.unwrap().endpoint_url.as_deref(),
        Some("http://127.0.0.1:5055")
    );

    // The shared tier's own knobs are read only when it is on, and bounded then.
    let ignored = accepted(&[("SHARED_USER_CHECK_TTL_SECONDS", "oops")]);
    assert_eq!(ignored.session, None);
    for (name, value) in [
        ("SHARED_USER_CHECK_TTL_SECONDS", "0"),
        ("SHARED_USER_CHECK_TTL_SECONDS", "86401"),
        ("SESSION_TABLE_TIMEOUT_MS", "0"),
        ("SESSION_TABLE_TIMEOUT_MS", "10001"),
        ("SHARED_USER_CHECK_WAIT_MS", "10001"),
    ] {
        let mut vars = valid();
        vars.insert("SESSION_TABLE", "sessions".to_owned());
        vars.insert(name, value.to_owned());
        assert_eq!(load(&vars).expect_err(value).name, name);
    }
}
