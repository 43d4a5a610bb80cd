"""GetId / GetCredentialsForIdentity verify tokens and map them to stable identities."""

import re
import time

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa
from support import error_of, make_client, unique

IDENTITY_ID = re.compile(r"^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_identity_id_is_stable_across_calls_and_tokens(get_id, fresh_token, identity_ids):
    first, second = fresh_token("admin"), fresh_token("admin")
    assert first != second
    ids = {get_id(first), get_id(first), get_id(second)}
    assert ids == {identity_ids["admin"]}
    assert IDENTITY_ID.match(identity_ids["admin"])
    assert identity_ids["admin"] != identity_ids["user"]


def test_resigned_token_is_accepted(get_id, resign, identity_ids):
    """Control case for the bad tokens below: our hand-signed tokens are valid when unchanged."""
    assert get_id(resign("admin")) == identity_ids["admin"]


def _tampered(token):
    """Same signature, payload claims changed."""
    header, claims, signature = token.split(".")
    return f"{header}.{claims[:-4]}AAAA.{signature}"


BAD_TOKENS = {
    "expired": lambda t: t["resign"](exp=int(time.time()) - 60, iat=int(time.time()) - 3660),
    "not-yet-valid": lambda t: t["resign"](nbf=int(time.time()) + 600),
    "forged-signature": lambda t: t["resign"](key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    "tampered-payload": lambda t: _tampered(t["fresh_token"]("admin")),
    "wrong-audience": lambda t: t["resign"](aud="someone-elses-client"),
    "wrong-issuer": lambda t: t["resign"](iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
    "access-token": lambda t: t["fresh_token"]("admin", "AccessToken"),
    "access-token-use": lambda t: t["resign"](token_use="access"),
    "other-pool": lambda t: t["other_pool"]["token"],
    "unsigned-alg-none": lambda t: t["unsigned"](),
    "garbage": lambda t: "not-a-jwt",
}


@pytest.fixture
def token_makers(resign, fresh_token, other_pool):
    def unsigned():
        header, claims, _ = fresh_token("admin").split(".")
        return f"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{claims}."

    return {"resign": resign, "fresh_token": fresh_token, "other_pool": other_pool, "unsigned": unsigned}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_token_is_not_authorized(case, token_makers, identity, provider, env, identity_ids):
    token = BAD_TOKENS[case](token_makers)
    logins = {provider: token}
    assert error_of(identity.get_id, AccountId=env["ACCOUNT_ID"], IdentityPoolId=env["IDENTITY_POOL_ID"],
                    Logins=logins) == ("NotAuthorizedException", 400)
    assert error_of(identity.get_credentials_for_identity, IdentityId=identity_ids["admin"],
                    Logins=logins) == ("NotAuthorizedException", 400)


def test_other_pool_token_under_its_own_provider_name_is_not_authorized(identity, other_pool, env):
    logins = {f"cognito-idp.us-east-1.amazonaws.com/{other_pool['pool_id']}": other_pool["token"]}
    assert error_of(identity.get_id, IdentityPoolId=env["IDENTITY_POOL_ID"], Logins=logins)[0] == "NotAuthorizedException"


def test_missing_logins_is_not_authorized(identity, env):
    assert error_of(identity.get_id, IdentityPoolId=env["IDENTITY_POOL_ID"])[0] == "NotAuthorizedException"


def test_credentials_need_the_identitys_own_login(identity, provider, fresh_token, identity_ids):
    logins = {provider: fresh_token("user")}
    assert error_of(identity.get_credentials_for_identity, IdentityId=identity_ids["admin"],
                    Logins=logins) == ("NotAuthorizedException", 400)
    unknown = "us-east-1:00000000-0000-4000-8000-000000000000"
    assert error_of(identity.get_credentials_for_identity, IdentityId=unknown,
                    Logins=logins) == ("ResourceNotFoundException", 400)


def _message_of(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_credentials_for_another_identitys_token_say_logins_dont_match(identity, provider, fresh_token,
                                                                      resign, identity_ids):
    """AWS's answers, which the Lambda's signer path reads (src/identity.rs): a valid token of another
    identity is "Logins don't match"; a token refused as such is "Invalid login token. ..."."""
    code, message = _message_of(identity.get_credentials_for_identity, IdentityId=identity_ids["admin"],
                                Logins={provider: fresh_token("user")})
    assert code == "NotAuthorizedException"
    assert message.startswith("Logins don't match."), message
    expired = resign("admin", exp=int(time.time()) - 60, iat=int(time.time()) - 3660)
    code, message = _message_of(identity.get_credentials_for_identity, IdentityId=identity_ids["admin"],
                                Logins={provider: expired})
    assert code == "NotAuthorizedException"
    assert message.startswith("Invalid login token."), message


def test_unknown_identity_pool(identity, provider, fresh_token):
    assert error_of(identity.get_id, IdentityPoolId="us-east-1:00000000-0000-4000-8000-000000000000",
                    Logins={provider: fresh_token()})[0] == "ResourceNotFoundException"


def test_credentials_are_the_authenticated_roles(identity, provider, fresh_token, identity_ids, admin, env):
    credentials = identity.get_credentials_for_identity(
        IdentityId=identity_ids["admin"], Logins={provider: fresh_token()})["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    arn = make_client("sts", credentials["AccessKeyId"], credentials["SecretKey"],
                      credentials["SessionToken"]).get_caller_identity()["Arn"]
    roles = admin["cognito-identity"].get_identity_pool_roles(IdentityPoolId=env["IDENTITY_POOL_ID"])["Roles"]
    assert arn.startswith(roles["authenticated"].replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/")


def test_role_trust_policy_is_enforced(admin, identity, provider, fresh_token, env):
    """Another identity pool given the same role: the trust policy's aud names our pool only."""
    cognito_identity = admin["cognito-identity"]
    ours = cognito_identity.describe_identity_pool(IdentityPoolId=env["IDENTITY_POOL_ID"])
    roles = cognito_identity.get_identity_pool_roles(IdentityPoolId=env["IDENTITY_POOL_ID"])["Roles"]
    other = cognito_identity.create_identity_pool(
        IdentityPoolName=unique("pool").replace("-", "_"), AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=ours["CognitoIdentityProviders"])["IdentityPoolId"]
    try:
        token = fresh_token()
        identity_id = identity.get_id(IdentityPoolId=other, Logins={provider: token})["IdentityId"]
        call = dict(IdentityId=identity_id, Logins={provider: token})
        # no role yet, then a role whose trust policy does not name this pool
        assert error_of(identity.get_credentials_for_identity, **call)[0] == "InvalidIdentityPoolConfigurationException"
        cognito_identity.set_identity_pool_roles(IdentityPoolId=other, Roles=roles)
        assert cognito_identity.get_identity_pool_roles(IdentityPoolId=other)["Roles"] == roles
        assert error_of(identity.get_credentials_for_identity, **call)[0] == "InvalidIdentityPoolConfigurationException"
    finally:
        cognito_identity.delete_identity_pool(IdentityPoolId=other)


