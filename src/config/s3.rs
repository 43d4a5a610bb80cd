//! Where the users' files live: the bucket and the key prefix above their folders.

refusal! {
    /// Why a bucket name was refused.
    BucketNameError {
        Length => "must be 3 to 63 characters long",
        Characters => "may only contain lowercase letters, digits, '.' and '-'",
        Ends => "must begin and end with a letter or digit",
        AdjacentPeriods => "must not contain two adjacent periods",
        IpAddress => "must not be formatted as an IP address",
        ReservedPrefix => "must not start with a prefix S3 reserves (xn--, sthree-, amzn-s3-demo-)",
    }
}

/// A general purpose bucket name as S3 accepts them today.
///
/// The reserved *suffixes* (`-s3alias`, `--ol-s3`, `--x-s3`, ...) are accepted on purpose: they
/// mark access point aliases and directory buckets, which S3 takes wherever a bucket name goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketName(String);
text_value!(BucketName);

/// Prefixes no general purpose bucket may start with (`xn--` would read as punycode in DNS).
const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];

impl BucketName {
    /// Parses a bucket name.
    pub fn parse(s: &str) -> Result<Self, BucketNameError> {
        if !(3..=63).contains(&s.len()) {
            return Err(BucketNameError::Length);
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(BucketNameError::Characters);
        }
        let alphanumeric = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
        if !alphanumeric(s.as_bytes().first()) || !alphanumeric(s.as_bytes().last()) {
            return Err(BucketNameError::Ends);
        }
        if s.contains("..") {
            return Err(BucketNameError::AdjacentPeriods);
        }
        if looks_like_ipv4(s) {
            return Err(BucketNameError::IpAddress);
        }
        if RESERVED_PREFIXES.iter().any(|p| s.starts_with(p)) {
            return Err(BucketNameError::ReservedPrefix);
        }
        Ok(BucketName(s.to_owned()))
    }
}

/// Four dot-separated groups of one to three digits, valid address or not (`999.1.1.1` too).
fn looks_like_ipv4(s: &str) -> bool {
    let groups: Vec<&str> = s.split('.').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()))
}

refusal! {
    /// Why a key prefix was refused.
    S3PrefixError {
        EdgeSlash => "must be a key prefix without leading or trailing '/'",
        EmptyOrDotSegment => "must not contain an empty, '.' or '..' segment",
        ControlCharacter => "must not contain control characters",
    }
}

/// The key prefix above the per-identity folders: `/`-separated segments, none of them empty,
/// `.` or `..`, no control characters, so `<prefix>/<identity>/...` is one unambiguous key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Prefix(String);
text_value!(S3Prefix);

impl S3Prefix {
    /// Parses a key prefix.
    pub fn parse(s: &str) -> Result<Self, S3PrefixError> {
        if s.starts_with('/') || s.ends_with('/') {
            return Err(S3PrefixError::EdgeSlash);
        }
        if s.split('/').any(|seg| matches!(seg, "" | "." | "..")) {
            return Err(S3PrefixError::EmptyOrDotSegment);
        }
        if s.chars().any(char::is_control) {
            return Err(S3PrefixError::ControlCharacter);
        }
        Ok(S3Prefix(s.to_owned()))
    }
}

/// `cognito-test`, the prefix used when `S3_PREFIX` is not set.
impl Default for S3Prefix {
    fn default() -> Self {
        S3Prefix("cognito-test".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_bucket_names_parse() {
        for name in [
            "abc",
            "my-bucket",
            "my.bucket.example",
            "1bucket9",
            "a-b.c-d",
            &"a".repeat(63),
            "bucket-1234",
            "my-ap-abcdefghijklmnopqrstuvwxyz012345-s3alias",
            "xn-bucket",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.a",
        ] {
            assert_eq!(BucketName::parse(name).unwrap(), name);
        }
    }

    #[test]
    fn bucket_names_outside_3_to_63_characters_are_refused() {
        for name in ["", "ab", &"a".repeat(64)] {
            assert_eq!(BucketName::parse(name), Err(BucketNameError::Length));
        }
    }

    #[test]
    fn bucket_names_with_other_characters_are_refused() {
        for name in ["Bad_Bucket", "MyBucket", "my bucket", "my_bucket", "bücket"] {
            assert_eq!(
                BucketName::parse(name),
                Err(BucketNameError::Characters),
                "{name:?}"
            );
        }
    }

    #[test]
    fn bucket_names_must_begin_and_end_alphanumeric() {
        for name in ["-bucket", "bucket-", ".bucket", "bucket."] {
            assert_eq!(
                BucketName::parse(name),
                Err(BucketNameError::Ends),
                "{name}"
            );
        }
    }

    #[test]
    fn bucket_names_with_adjacent_periods_are_refused() {
        assert_eq!(
            BucketName::parse("my..bucket"),
            Err(BucketNameError::AdjacentPeriods)
        );
    }

    #[test]
    fn bucket_names_formatted_as_ip_addresses_are_refused() {
        for name in ["192.168.5.4", "1.2.3.4", "999.999.999.999", "010.0.0.1"] {
            assert_eq!(
                BucketName::parse(name),
                Err(BucketNameError::IpAddress),
                "{name}"
            );
        }
    }

    #[test]
    fn bucket_names_with_reserved_prefixes_are_refused() {
        for name in ["xn--bucket", "sthree-bucket", "amzn-s3-demo-bucket"] {
            assert_eq!(
                BucketName::parse(name),
                Err(BucketNameError::ReservedPrefix),
                "{name}"
            );
        }
    }

    #[test]
    fn key_prefixes_of_one_or_more_segments_parse() {
        for prefix in [
            "cognito-test",
            "a",
            "a/b/c",
            "users.v2/files",
            "ünïcode/ok",
            "a b",
        ] {
            assert_eq!(S3Prefix::parse(prefix).unwrap(), prefix);
        }
        assert_eq!(S3Prefix::default(), "cognito-test");
    }

    #[test]
    fn key_prefixes_with_a_slash_at_either_end_are_refused() {
        for prefix in ["/", "/leading", "trailing/", "/both/"] {
            assert_eq!(
                S3Prefix::parse(prefix),
                Err(S3PrefixError::EdgeSlash),
                "{prefix}"
            );
        }
    }

    #[test]
    fn key_prefixes_with_empty_or_dot_segments_are_refused() {
        for prefix in ["", ".", "..", "a//b", "a/./b", "a/../b", "../a", "a/.."] {
            assert_eq!(
                S3Prefix::parse(prefix),
                Err(S3PrefixError::EmptyOrDotSegment),
                "{prefix:?}"
            );
        }
        assert!(
            S3Prefix::parse("a/.b/..c/d..").is_ok(),
            "dots inside a name are fine"
        );
    }

    #[test]
    fn key_prefixes_with_control_characters_are_refused() {
        for prefix in ["a\nb", "a\tb", "a\0b", "a\u{7f}b", "a\u{85}b"] {
            assert_eq!(
                S3Prefix::parse(prefix),
                Err(S3PrefixError::ControlCharacter),
                "{prefix:?}"
            );
        }
    }
}
