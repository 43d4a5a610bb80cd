//! Which Cognito pools and app clients the function trusts.

use super::Region;

refusal! {
    /// Why a user pool id was refused.
    UserPoolIdError {
        Malformed => "must look like <AWS_REGION>_<id>",
        OtherRegion => "must be in AWS_REGION",
    }
}

/// A Cognito user pool id, `<region>_<id>`, in the configured Region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPoolId(String);
text_value!(UserPoolId);

impl UserPoolId {
    /// Parses a user pool id that must belong to `region`.
    pub fn parse(s: &str, region: &Region) -> Result<Self, UserPoolIdError> {
        let Some((pool_region, id)) = s.split_once('_') else {
            return Err(UserPoolIdError::Malformed);
        };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(UserPoolIdError::Malformed);
        }
        if pool_region != region.as_str() {
            return Err(UserPoolIdError::OtherRegion);
        }
        Ok(UserPoolId(s.to_owned()))
    }
}

refusal! {
    /// Why a list of app client ids was refused.
    ClientIdsError {
        Empty => "must name at least one app client id",
        NotAlphanumeric => "must be alphanumeric app client ids, comma-separated",
    }
}

/// One or more app client ids whose tokens are accepted (the tokens' `aud`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIds(Vec<String>);

impl ClientIds {
    /// Parses a comma-separated list; blanks around ids and empty items are ignored.
    pub fn parse(s: &str) -> Result<Self, ClientIdsError> {
        let ids: Vec<String> = s
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect();
        if ids.is_empty() {
            return Err(ClientIdsError::Empty);
        }
        if !ids
            .iter()
            .all(|id| id.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(ClientIdsError::NotAlphanumeric);
        }
        Ok(ClientIds(ids))
    }

    /// The ids, in the order they were configured.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// `&config.client_ids` is a `&[String]` where one is expected (the verifier's audience).
impl std::ops::Deref for ClientIds {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

impl std::fmt::Display for ClientIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

impl<const N: usize> PartialEq<[&str; N]> for ClientIds {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.0.iter().map(String::as_str).eq(other.iter().copied())
    }
}

refusal! {
    /// Why an identity pool id was refused.
    IdentityPoolIdError {
        Malformed => "must look like <AWS_REGION>:<uuid>",
        OtherRegion => "must be in AWS_REGION",
    }
}

/// A Cognito identity pool id, `<region>:<uuid>`, in the configured Region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPoolId(String);
text_value!(IdentityPoolId);

impl IdentityPoolId {
    /// Parses an identity pool id that must belong to `region`.
    pub fn parse(s: &str, region: &Region) -> Result<Self, IdentityPoolIdError> {
        let Some((pool_region, uuid)) = s.split_once(':') else {
            return Err(IdentityPoolIdError::Malformed);
        };
        if !is_uuid(uuid) {
            return Err(IdentityPoolIdError::Malformed);
        }
        if pool_region != region.as_str() {
            return Err(IdentityPoolIdError::OtherRegion);
        }
        Ok(IdentityPoolId(s.to_owned()))
    }
}

/// Five groups of 8-4-4-4-12 hex digits.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b";

    fn eu_west_1() -> Region {
        Region::parse("eu-west-1").unwrap()
    }

    #[test]
    fn a_user_pool_id_in_the_region_parses() {
        let id = UserPoolId::parse("eu-west-1_AbC123", &eu_west_1()).unwrap();
        assert_eq!(id, "eu-west-1_AbC123");
        assert_eq!(id.to_string(), "eu-west-1_AbC123");
    }

    #[test]
    fn malformed_user_pool_ids_are_refused() {
        for id in [
            "",
            "eu-west-1",
            "eu-west-1_",
            "eu-west-1_Ab-C",
            "eu-west-1_Ab_C",
            "eu-west-1_Ab C",
        ] {
            assert_eq!(
                UserPoolId::parse(id, &eu_west_1()),
                Err(UserPoolIdError::Malformed),
                "{id:?}"
            );
        }
    }

    #[test]
    fn a_user_pool_in_another_region_is_refused() {
        for id in [
            "us-east-1_AbC123",
            "eu-west-10_AbC123",
            "EU-WEST-1_AbC123",
            "_AbC123",
        ] {
            assert_eq!(
                UserPoolId::parse(id, &eu_west_1()),
                Err(UserPoolIdError::OtherRegion),
                "{id:?}"
            );
        }
    }

    #[test]
    fn client_ids_are_split_on_commas_and_trimmed() {
        assert_eq!(ClientIds::parse("abc123").unwrap(), ["abc123"]);
        let ids = ClientIds::parse(" abc123 , def456,,").unwrap();
        assert_eq!(ids, ["abc123", "def456"]);
        assert_eq!(ids.as_slice().len(), 2);
        assert_eq!(ids.to_string(), "abc123,def456");
    }

    #[test]
    fn client_ids_must_name_at_least_one_alphanumeric_id() {
        for s in ["", ",", " , "] {
            assert_eq!(ClientIds::parse(s), Err(ClientIdsError::Empty), "{s:?}");
        }
        for s in ["abc/def", "abc,de f", "abc,dé", "abc;def"] {
            assert_eq!(
                ClientIds::parse(s),
                Err(ClientIdsError::NotAlphanumeric),
                "{s:?}"
            );
        }
    }

    #[test]
    fn an_identity_pool_id_in_the_region_parses() {
        let s = format!("eu-west-1:{UUID}");
        assert_eq!(IdentityPoolId::parse(&s, &eu_west_1()).unwrap(), s.as_str());
        let upper = format!("eu-west-1:{}", UUID.to_ascii_uppercase());
        assert!(IdentityPoolId::parse(&upper, &eu_west_1()).is_ok());
    }

    #[test]
    fn malformed_identity_pool_ids_are_refused() {
        for s in [
            "".to_owned(),
            UUID.to_owned(),
            "eu-west-1:not-a-uuid".to_owned(),
            "eu-west-1_0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b".to_owned(),
            "eu-west-1:0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5".to_owned(),
            "eu-west-1:0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5bb".to_owned(),
            "eu-west-1:0f6e1c4a2b3d-4e5f-8a9b-0c1d2e3f4a5b".to_owned(),
            "eu-west-1:0f6e1c4g-2b3d-4e5f-8a9b-0c1d2e3f4a5b".to_owned(),
        ] {
            assert_eq!(
                IdentityPoolId::parse(&s, &eu_west_1()),
                Err(IdentityPoolIdError::Malformed),
                "{s:?}"
            );
        }
    }

    #[test]
    fn an_identity_pool_in_another_region_is_refused() {
        let s = format!("us-east-1:{UUID}");
        assert_eq!(
            IdentityPoolId::parse(&s, &eu_west_1()),
            Err(IdentityPoolIdError::OtherRegion)
        );
    }
}
