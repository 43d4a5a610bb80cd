//! Where the resources live: the Region, the account, and an endpoint override.

use std::borrow::Cow;

refusal! {
    /// Why a Region name was refused.
    RegionError {
        Malformed => "is not a region name like eu-west-1",
    }
}

/// An AWS Region name such as `eu-west-1` or `us-gov-west-1`: lowercase dash-separated words,
/// at least three, the last one a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region(String);
text_value!(Region);

impl Region {
    /// Parses a Region name.
    pub fn parse(s: &str) -> Result<Self, RegionError> {
        let parts: Vec<&str> = s.split('-').collect();
        let words = parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        let numbered = parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
        if parts.len() >= 3 && words && numbered {
            Ok(Region(s.to_owned()))
        } else {
            Err(RegionError::Malformed)
        }
    }

    /// The DNS suffix of the Region's partition, as in the `aws-cn` partition's endpoints
    /// (`amazonaws.com.cn`); `aws` and `aws-us-gov` Regions use `amazonaws.com`.
    pub fn dns_suffix(&self) -> &'static str {
        if self.0.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        }
    }
}

/// The SDK takes a Region name as `impl Into<Cow<'static, str>>`; this lets
/// `aws_config::Region::new(config.region.clone())` read as it did when the field was a `String`.
impl From<Region> for Cow<'static, str> {
    fn from(region: Region) -> Self {
        Cow::Owned(region.0)
    }
}

refusal! {
    /// Why an account id was refused.
    AccountIdError {
        NotTwelveDigits => "must be 12 digits",
    }
}

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountId(String);
text_value!(AccountId);

impl AccountId {
    /// Parses an account id.
    pub fn parse(s: &str) -> Result<Self, AccountIdError> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountId(s.to_owned()))
        } else {
            Err(AccountIdError::NotTwelveDigits)
        }
    }
}

refusal! {
    /// Why an endpoint URL was refused.
    EndpointUrlError {
        NotHttp => "must be an http:// or https:// URL",
    }
}

/// An endpoint override as the SDK reads it (`AWS_ENDPOINT_URL[_<SERVICE>]`): an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(String);
text_value!(EndpointUrl);

impl EndpointUrl {
    /// Parses an endpoint URL; only the scheme and a non-empty rest are checked.
    pub fn parse(s: &str) -> Result<Self, EndpointUrlError> {
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"));
        match rest {
            Some(rest) if !rest.is_empty() => Ok(EndpointUrl(s.to_owned())),
            _ => Err(EndpointUrlError::NotHttp),
        }
    }

    /// The URL without trailing `/`, ready to have a path appended.
    pub fn base(&self) -> &str {
        self.0.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_of_every_partition_parse() {
        for name in ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-5"] {
            assert_eq!(Region::parse(name).unwrap(), name);
        }
    }

    #[test]
    fn malformed_region_names_are_refused() {
        for name in [
            "",
            "Europe",
            "eu-west",
            "eu-1",
            "EU-WEST-1",
            "eu-west-1a",
            "eu--west-1",
            "-eu-west-1",
            "eu-west-1-",
            "eu_west-1",
            "eu-west-1 ",
        ] {
            assert_eq!(Region::parse(name), Err(RegionError::Malformed), "{name:?}");
        }
    }

    #[test]
    fn china_regions_have_their_own_dns_suffix() {
        let suffix = |name| Region::parse(name).unwrap().dns_suffix();
        assert_eq!(suffix("cn-north-1"), "amazonaws.com.cn");
        assert_eq!(suffix("cn-northwest-1"), "amazonaws.com.cn");
        assert_eq!(suffix("eu-west-1"), "amazonaws.com");
        assert_eq!(suffix("us-gov-west-1"), "amazonaws.com");
    }

    #[test]
    fn a_region_goes_into_the_sdk_as_its_name() {
        let region = Region::parse("eu-west-1").unwrap();
        assert_eq!(aws_config::Region::new(region).as_ref(), "eu-west-1");
    }

    #[test]
    fn an_account_id_is_exactly_twelve_digits() {
        assert_eq!(AccountId::parse("123456789012").unwrap(), "123456789012");
        for id in [
            "",
            "12345678901",
            "1234567890123",
            "12345678901a",
            "-23456789012",
        ] {
            assert_eq!(
                AccountId::parse(id),
                Err(AccountIdError::NotTwelveDigits),
                "{id:?}"
            );
        }
    }

    #[test]
    fn endpoints_are_http_or_https_urls() {
        for url in [
            "http://127.0.0.1:5055",
            "https://s3.example.com/",
            "http://idp:1",
        ] {
            assert_eq!(EndpointUrl::parse(url).unwrap(), url);
        }
        for url in [
            "localhost:5055",
            "ftp://host",
            "http://",
            "https://",
            "HTTP://host",
        ] {
            assert_eq!(
                EndpointUrl::parse(url),
                Err(EndpointUrlError::NotHttp),
                "{url:?}"
            );
        }
    }

    #[test]
    fn an_endpoint_base_has_no_trailing_slash() {
        let url = EndpointUrl::parse("http://127.0.0.1:5055//").unwrap();
        assert_eq!(url.base(), "http://127.0.0.1:5055");
        assert_eq!(url.as_str(), "http://127.0.0.1:5055//");
    }
}
