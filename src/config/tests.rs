//! `Config::from_lookup` as a whole: names, defaults, derived URLs; each value type has its own tests.

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

#[test]
fn upload_limits_default_to_their_maximum() {
    let config = load(&valid()).unwrap();
    assert_eq!(config.max_upload_bytes, 4_194_304);
    assert_eq!(config.max_presigned_upload_bytes, 5_368_709_120);
}

#[test]
fn upload_limits_can_be_set_anywhere_from_one_byte_to_their_maximum() {
    for (max_upload, max_presigned) in [("1", "1"), ("4194304", "5368709120")] {
        let mut vars = valid();
        vars.insert("MAX_UPLOAD_BYTES", max_upload);
        vars.insert("MAX_PRESIGNED_UPLOAD_BYTES", max_presigned);
        let config = load(&vars).unwrap();
        assert_eq!(config.max_upload_bytes.to_string(), max_upload);
        assert_eq!(config.max_presigned_upload_bytes.to_string(), max_presigned);
    }
}

#[test]
fn upload_limits_outside_their_bounds_are_rejected_by_name() {
    for (name, value) in [
        ("MAX_UPLOAD_BYTES", "0"),
        ("MAX_UPLOAD_BYTES", "4194305"),
        ("MAX_PRESIGNED_UPLOAD_BYTES", "0"),
        ("MAX_PRESIGNED_UPLOAD_BYTES", "5368709121"),
    ] {
        let mut vars = valid();
        vars.insert(name, value);
        let err = load(&vars).expect_err(value);
        assert_eq!(
            (err.name, err.problem),
            (name, "must be a whole number in range")
        );
    }
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
fn a_zero_budget_or_limit_names_its_own_variable() {
    for name in [
        "UPSTREAM_TIMEOUT_MS",
        "REQUEST_TIMEOUT_MS",
        "CONNECT_TIMEOUT_MS",
        "UPSTREAM_MAX_ATTEMPTS",
        "CACHE_MAX_ENTRIES",
    ] {
        let mut vars = valid();
        vars.insert(name, "0");
        assert_eq!(load(&vars).expect_err(name).name, name);
    }
    let mut vars = valid();
    vars.insert("USER_CHECK_TTL_SECONDS", "0");
    vars.insert("CREDENTIALS_REFRESH_MARGIN_SECONDS", "0");
    let config = load(&vars).expect("zero is allowed for these two");
    assert_eq!(config.user_check_ttl, Duration::ZERO);
    assert_eq!(config.credentials_margin, Duration::ZERO);
}

#[test]
fn the_problem_is_the_parsers_reason() {
    let mut vars = valid();
    vars.insert("USER_POOL_ID", "us-east-1_AbC123");
    let err = load(&vars).unwrap_err();
    assert_eq!(err.problem, UserPoolIdError::OtherRegion.reason());
    assert_eq!(
        err.to_string(),
        "configuration: USER_POOL_ID must be in AWS_REGION"
    );
}

#[test]
fn blank_values_count_as_unset_and_values_are_trimmed() {
    let mut vars = valid();
    vars.insert("S3_PREFIX", "   ");
    vars.insert("S3_BUCKET", "  my-bucket\n");
    let config = load(&vars).unwrap();
    assert_eq!(config.prefix, "cognito-test");
    assert_eq!(config.bucket, "my-bucket");
    vars.insert("ACCOUNT_ID", " ");
    assert_eq!(load(&vars).unwrap_err().problem, "is not set");
}

#[test]
fn the_typed_values_read_as_text_where_text_is_expected() {
    let config = load(&valid()).unwrap();
    let bucket: &str = &config.bucket;
    assert_eq!(bucket, "my-bucket");
    let audience: &[String] = &config.client_ids;
    assert_eq!(audience, ["abc123", "def456"]);
    assert_eq!(config.region.as_str(), "eu-west-1");
    assert_eq!(config.account_id.to_string(), "123456789012");
    assert_eq!(config.prefix.as_ref(), "cognito-test");
}
