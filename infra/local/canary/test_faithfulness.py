"""The local stack is not more permissive than AWS (issue 9, section 6), end to end through boto3.

Each case names the AWS documentation it follows; where AWS does not document the behaviour, the
choice is written down in infra/local/README.md ("Faithfulness choices"). The evaluator's finer
rules (policy Version, literal variable values, NotAction/NotResource) are pinned in
infra/local/moto_ext/tests/test_iam_eval.py.
"""

import json
import time

import pytest
from support import auth_result, error_of, jwt_parts, make_client, render_policy, sign_rs256, unique

# ---------------------------------------------------------------- resource wildcards

# "IAM JSON policy elements: Resource", Using wildcards in resource ARNs: `*` and `?` match within
# one colon-separated segment; only a `*` that ends a segment may expand past a colon. Object keys
# here contain colons, as every IdentityId does.
KEYS = {
    "plain": "plain/data.txt",
    "colon": "us-east-1:abc/data.txt",
    "dash": "us-east-1-abc/data.txt",
    "two-colons": "us-east-1:abc:def/data.txt",
}
WILDCARD_CASES = [
    # resource pattern under the test prefix, {key: readable?}
    ("*/data.txt", {"plain": True, "colon": False, "two-colons": False}),
    ("*", {"plain": True, "colon": True, "two-colons": True}),
    ("us-east-1*", {"colon": True, "dash": True, "plain": False}),
    ("us-east-1?abc/data.txt", {"dash": True, "colon": False}),
    ("us-east-1:*/data.txt", {"colon": True, "two-colons": False, "dash": False}),
    ("us-east-1:*:*/data.txt", {"two-colons": True, "colon": False}),
]


@pytest.fixture(scope="module")
def wildcard_prefix(admin, env):
    """Objects with and without colons in their keys, put by the fixture principal."""
    prefix, s3 = unique("wildcards"), admin["s3"]
    for key in KEYS.values():
        s3.put_object(Bucket=env["S3_BUCKET"], Key=f"{prefix}/{key}", Body=b"x")
    yield prefix
    for key in KEYS.values():
        s3.delete_object(Bucket=env["S3_BUCKET"], Key=f"{prefix}/{key}")


@pytest.fixture
def iam_user(admin):
    """iam_user(policy document) -> (S3 client, user name) of a new IAM user with that inline policy."""
    iam, created = admin["iam"], []

    def make(document):
        name = unique("user")
        iam.create_user(UserName=name)
        created.append(name)
        iam.put_user_policy(UserName=name, PolicyName="policy", PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return make_client("s3", key["AccessKeyId"], key["SecretAccessKey"]), name

    yield make
    # Users are disabled, not deleted: moto's /moto-api/data.json (which tests/secrets_in_logs.rs
    # reads to list every key the stack issued) fails with a 500 once a user with keys is deleted.
    for name in created:
        for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
        for policy_name in iam.list_user_policies(UserName=name)["PolicyNames"]:
            iam.delete_user_policy(UserName=name, PolicyName=policy_name)


@pytest.mark.parametrize("pattern, expected", WILDCARD_CASES, ids=[case[0] for case in WILDCARD_CASES])
def test_resource_wildcards_stay_in_their_arn_segment(pattern, expected, iam_user, wildcard_prefix, env):
    bucket = env["S3_BUCKET"]
    s3, _ = iam_user({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/{wildcard_prefix}/{pattern}"}]})
    for name, readable in expected.items():
        key = f"{wildcard_prefix}/{KEYS[name]}"
        if readable:
            assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"x", key
        else:
            assert error_of(s3.get_object, Bucket=bucket, Key=key) == ("AccessDenied", 403), key


# ---------------------------------------------------------------- invalid policies fail loudly

# "IAM JSON policy elements: Effect" (Allow or Deny, case-sensitive), "Action" / "Resource"
# (a statement must include one of Action/NotAction and of Resource/NotResource), "Principal"
# (not in an identity-based policy; required in a role trust policy, which has no Resource).
ALLOW_ALL = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
INVALID_IDENTITY = {
    "effect-lower-case": {**ALLOW_ALL, "Effect": "allow"},
    "no-action": {"Effect": "Allow", "Resource": "*"},
    "no-resource": {"Effect": "Allow", "Action": "s3:GetObject"},
    "principal": {**ALLOW_ALL, "Principal": "*"},
}


@pytest.mark.parametrize("case", sorted(INVALID_IDENTITY))
def test_invalid_identity_policy_is_refused_when_stored(case, admin, iam_user):
    _, name = iam_user({"Version": "2012-10-17", "Statement": [ALLOW_ALL]})  # a user; a valid control
    document = json.dumps({"Version": "2012-10-17", "Statement": [INVALID_IDENTITY[case]]})
    assert error_of(admin["iam"].put_user_policy, UserName=name, PolicyName="bad",
                    PolicyDocument=document) == ("MalformedPolicyDocument", 400)


FEDERATED = {"Federated": "cognito-identity.amazonaws.com"}
INVALID_TRUST = {
    "no-principal": {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity"},
    "resource": {"Effect": "Allow", "Principal": FEDERATED, "Action": "sts:AssumeRoleWithWebIdentity",
                 "Resource": "*"},
}


@pytest.mark.parametrize("case", sorted(INVALID_TRUST))
def test_invalid_trust_policy_is_refused_when_stored(case, admin):
    document = json.dumps({"Version": "2012-10-17", "Statement": [INVALID_TRUST[case]]})
    assert error_of(admin["iam"].create_role, RoleName=unique("role"),
                    AssumeRolePolicyDocument=document) == ("MalformedPolicyDocument", 400)


# ---------------------------------------------------------------- trust policy principal type


@pytest.fixture
def other_identity_pool(admin, env):
    """A second identity pool on our user pool, with a role of its own: (pool id, role name)."""
    cognito_identity, iam = admin["cognito-identity"], admin["iam"]
    ours = cognito_identity.describe_identity_pool(IdentityPoolId=env["IDENTITY_POOL_ID"])
    pool_id = cognito_identity.create_identity_pool(
        IdentityPoolName=unique("pool").replace("-", "_"), AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=ours["CognitoIdentityProviders"])["IdentityPoolId"]
    role_name = unique("role")
    trust = render_policy("authenticated-trust.json", IDENTITY_POOL_ID=pool_id)
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    cognito_identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": role_arn})
    yield pool_id, role_name, trust
    cognito_identity.delete_identity_pool(IdentityPoolId=pool_id)
    iam.delete_role(RoleName=role_name)


@pytest.mark.parametrize("principal", [{"Service": "cognito-identity.amazonaws.com"}, {"AWS": "*"}])
def test_trust_principal_must_be_the_federated_cognito_identity(
    principal, other_identity_pool, admin, identity, provider, fresh_token
):
    """"AWS JSON policy elements: Principal": Cognito's callers are web identity session
    principals, `{"Federated": "cognito-identity.amazonaws.com"}`; the same name under another
    principal type is someone else. (`{"AWS": "*"}`: undocumented for web identities, stricter.)"""
    pool_id, role_name, trust = other_identity_pool
    token = fresh_token()
    call = dict(IdentityId=identity.get_id(IdentityPoolId=pool_id, Logins={provider: token})["IdentityId"],
                Logins={provider: token})
    assert identity.get_credentials_for_identity(**call)["Credentials"]["AccessKeyId"]  # control: Federated
    wrong = {**trust, "Statement": [{**trust["Statement"][0], "Principal": principal}]}
    admin["iam"].update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps(wrong))
    assert error_of(identity.get_credentials_for_identity, **call)[0] == "InvalidIdentityPoolConfigurationException"


# ---------------------------------------------------------------- disabled and deleted users


@pytest.fixture
def pool_user(admin, env):
    """pool_user() -> (username, password, token): a new user of our user pool, deleted at the end."""
    idp, pool, names = admin["cognito-idp"], env["USER_POOL_ID"], []

    def make(name=None, password="Canary-Passw0rd!"):
        name = name or unique("person")
        idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool, Username=name, Password=password, Permanent=True)
        names.append(name)
        return name, password, auth_result(idp, pool, env["USER_POOL_CLIENT_ID"], name, password)["IdToken"]

    yield make
    for name in names:
        try:
            idp.admin_delete_user(UserPoolId=pool, Username=name)
        except idp.exceptions.UserNotFoundException:
            pass


def test_disabled_users_still_valid_token_is_not_refused_by_the_identity_pool(
    pool_user, admin, lambda_principal, identity, provider, env
):
    """Undocumented (ServerSideTokenCheck names signed-out and deleted users, not disabled ones),
    and our Lambda checks `Enabled` itself (AdminGetUser): the emulator takes the permissive side,
    so that the Lambda's tests prove its own check. AdminGetUser answers Enabled=False."""
    name, _, token = pool_user()
    logins = {provider: token}
    identity_id = identity.get_id(IdentityPoolId=env["IDENTITY_POOL_ID"], Logins=logins)["IdentityId"]
    admin["cognito-idp"].admin_disable_user(UserPoolId=env["USER_POOL_ID"], Username=name)
    user = lambda_principal["cognito-idp"].admin_get_user(UserPoolId=env["USER_POOL_ID"], Username=name)
    assert user["Enabled"] is False
    assert identity.get_id(IdentityPoolId=env["IDENTITY_POOL_ID"], Logins=logins)["IdentityId"] == identity_id
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")


def test_deleted_user(pool_user, admin, lambda_principal, identity, provider, env):
    """GetId (no credentials, undocumented, checked by our Lambda): accepts a deleted user's
    still-valid token. GetCredentialsForIdentity with ServerSideTokenCheck: refuses it, as the
    Cognito API reference documents (CognitoIdentityProvider.ServerSideTokenCheck). A user created
    again under the same username is a new user: a new sub, hence a new IdentityId."""
    idp, pool = admin["cognito-idp"], env["USER_POOL_ID"]
    name, password, old_token = pool_user()
    old_logins = {provider: old_token}
    old_id = identity.get_id(IdentityPoolId=env["IDENTITY_POOL_ID"], Logins=old_logins)["IdentityId"]
    idp.admin_delete_user(UserPoolId=pool, Username=name)
    assert error_of(lambda_principal["cognito-idp"].admin_get_user, UserPoolId=pool,
                    Username=name)[0] == "UserNotFoundException"
    assert identity.get_id(IdentityPoolId=env["IDENTITY_POOL_ID"], Logins=old_logins)["IdentityId"] == old_id
    assert error_of(identity.get_credentials_for_identity, IdentityId=old_id,
                    Logins=old_logins) == ("NotAuthorizedException", 400)

    _, _, new_token = pool_user(name, password)
    new_sub, old_sub = jwt_parts(new_token)[1]["sub"], jwt_parts(old_token)[1]["sub"]
    assert new_sub != old_sub
    attributes = lambda_principal["cognito-idp"].admin_get_user(UserPoolId=pool, Username=name)["UserAttributes"]
    assert {"Name": "sub", "Value": new_sub} in attributes
    new_logins = {provider: new_token}
    new_id = identity.get_id(IdentityPoolId=env["IDENTITY_POOL_ID"], Logins=new_logins)["IdentityId"]
    assert new_id != old_id
    assert identity.get_credentials_for_identity(IdentityId=new_id, Logins=new_logins)["Credentials"]
    assert error_of(identity.get_credentials_for_identity, IdentityId=old_id,
                    Logins=old_logins) == ("NotAuthorizedException", 400)


def test_globally_signed_out_users_old_token_gets_no_credentials(
    pool_user, admin, identity, provider, env, stack_signing_key
):
    """ServerSideTokenCheck (documented, as for deleted users): after AdminUserGlobalSignOut the
    identity pool refuses credentials for a token issued before it. GetId (no credentials:
    undocumented, and our Lambda does not check sign-outs itself) refuses it too, the stricter
    side. A token issued after the sign-out works."""
    idp, pool = admin["cognito-idp"], env["USER_POOL_ID"]
    name, password, old_token = pool_user()
    old_logins = {provider: old_token}
    identity_id = identity.get_id(IdentityPoolId=env["IDENTITY_POOL_ID"], Logins=old_logins)["IdentityId"]
    assert identity.get_credentials_for_identity(IdentityId=identity_id, Logins=old_logins)["Credentials"]
    before = int(time.time())
    idp.admin_user_global_sign_out(UserPoolId=pool, Username=name)
    after = int(time.time())
    assert error_of(identity.get_id, IdentityPoolId=env["IDENTITY_POOL_ID"],
                    Logins=old_logins) == ("NotAuthorizedException", 400)
    assert error_of(identity.get_credentials_for_identity, IdentityId=identity_id,
                    Logins=old_logins) == ("NotAuthorizedException", 400)
    new_logins = {provider: auth_result(idp, pool, env["USER_POOL_CLIENT_ID"], name, password)["IdToken"]}
    assert identity.get_id(IdentityPoolId=env["IDENTITY_POOL_ID"], Logins=new_logins)["IdentityId"] == identity_id
    assert identity.get_credentials_for_identity(IdentityId=identity_id, Logins=new_logins)["Credentials"]

    # Tokens moto did not mint (unknown jti) are ordered by `iat`, whole seconds: the sign-out's
    # own second counts as before it (stricter), a later second as after it.
    header, claims, _ = jwt_parts(old_token)
    for iat, refused in ((before, True), (after + 1, False)):
        token = sign_rs256(header, {**claims, "jti": unique("jti"), "iat": iat}, stack_signing_key)
        call = dict(IdentityId=identity_id, Logins={provider: token})
        if refused:
            assert error_of(identity.get_credentials_for_identity, **call) == ("NotAuthorizedException", 400)
        else:
            assert identity.get_credentials_for_identity(**call)["Credentials"]
