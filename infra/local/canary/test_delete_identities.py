"""DeleteIdentities (moto_ext/identity_admin.py), as `make smoke` uses it to leave nothing behind:
the identity leaves ListIdentities, its IdentityId is refused by GetCredentialsForIdentity, and the
same login's next GetId creates a new identity, as Cognito does. A throw-away user, deleted after."""

import pytest
from support import auth_result, error_of, make_client, public_client_id, unique

PASSWORD = "Canary-Delete-Identity-1!"


@pytest.fixture
def throwaway(admin, env):
    idp, pool = admin["cognito-idp"], env["USER_POOL_ID"]
    name = unique("delete-identity")
    idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username=name, Password=PASSWORD, Permanent=True)
    yield lambda: auth_result(idp, pool, public_client_id(), name, PASSWORD)["IdToken"]
    idp.admin_delete_user(UserPoolId=pool, Username=name)


def listed(admin, env):
    pages = admin["cognito-identity"].list_identities(IdentityPoolId=env["IDENTITY_POOL_ID"], MaxResults=60)
    return {i["IdentityId"] for i in pages["Identities"]}


def test_a_deleted_identity_is_gone_and_the_login_gets_a_new_one(admin, env, identity, provider, get_id, throwaway):
    token = throwaway()
    old = get_id(token)
    assert old in listed(admin, env)
    identity.get_credentials_for_identity(IdentityId=old, Logins={provider: token})  # control: works before

    answer = admin["cognito-identity"].delete_identities(IdentityIdsToDelete=[old])
    assert answer["UnprocessedIdentityIds"] == []
    assert old not in listed(admin, env)
    assert error_of(identity.get_credentials_for_identity, IdentityId=old, Logins={provider: token})[0] == "ResourceNotFoundException"

    new = get_id(token)
    assert new != old, "Cognito creates a new identity for the login of a deleted one"
    assert new in listed(admin, env)
    assert get_id(throwaway()) == new, "and keeps it stable from then on"
    identity.get_credentials_for_identity(IdentityId=new, Logins={provider: token})
    admin["cognito-identity"].delete_identities(IdentityIdsToDelete=[new])


def test_delete_identities_is_authorized_by_iam(admin, env, identity_ids):
    """Unlike GetId and GetCredentialsForIdentity, DeleteIdentities is an administrator's call: the
    Lambda principal (AdminGetUser only) is refused, and the identity stays."""
    lambda_identity = make_client("cognito-identity", env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
    assert error_of(lambda_identity.delete_identities, IdentityIdsToDelete=[identity_ids["user"]])[0] == "AccessDeniedException"
    assert identity_ids["user"] in listed(admin, env)
