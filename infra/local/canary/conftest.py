"""Fixtures of the canary: the local stack's own faithfulness suite (pytest + boto3 only).

It drives a running stack (`make local-up`) as an independent client (never the Rust code), reads
.local/stack.env and .local/fixtures.env, and stops the run, loudly, when the stack is not up.
"""

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from support import (ENV, NotRunning, auth_result, control, jwt_parts, make_client, presigner, settings, sign_rs256,
                     unique)


def pytest_sessionstart(session):
    try:
        ENV.update(settings())
        status, health = control("GET", "/moto-ext/health", timeout=2)
    except NotRunning as error:
        pytest.exit(f"canary: {error}", returncode=1)
    except OSError as error:
        pytest.exit(f"canary: the local stack at {ENV['AWS_ENDPOINT_URL']} does not answer ({error}): "
                    "run `make local-up`", returncode=1)
    if status != 200 or not health.get("auth_enforced"):
        pytest.exit("canary: the local stack runs without IAM enforcement: it is not provisioned", returncode=1)


@pytest.fixture(scope="session")
def env():
    return ENV


@pytest.fixture(scope="session")
def admin():
    """Clients of the fixture principal (allowed everything)."""
    return {service: make_client(service) for service in ("cognito-idp", "cognito-identity", "iam", "s3", "sts")}


@pytest.fixture(scope="session")
def lambda_principal():
    """Clients of the Lambda principal: the keys in stack.env."""
    keys = ENV["AWS_ACCESS_KEY_ID"], ENV["AWS_SECRET_ACCESS_KEY"]
    return {service: make_client(service, *keys) for service in ("cognito-idp", "s3")}


@pytest.fixture(scope="session")
def identity():
    """cognito-identity as the Lambda calls it (boto3 sends GetId/GetCredentialsForIdentity unsigned)."""
    return make_client("cognito-identity")


@pytest.fixture(scope="session")
def provider():
    return f"cognito-idp.{ENV['AWS_REGION']}.amazonaws.com/{ENV['USER_POOL_ID']}"


@pytest.fixture(scope="session")
def fresh_token(admin):
    """fresh_token(user, kind) -> a new IdToken (or AccessToken) of a provisioned user."""
    passwords = {"admin": ENV["ADMIN_PASSWORD"], "user": ENV["USER_PASSWORD"]}

    def mint(user="admin", kind="IdToken"):
        pool, client = ENV["USER_POOL_ID"], ENV["USER_POOL_CLIENT_ID"]
        return auth_result(admin["cognito-idp"], pool, client, user, passwords[user])[kind]

    return mint


@pytest.fixture(scope="session")
def get_id(identity, provider):
    def call(token, pool_id=None):
        return identity.get_id(
            AccountId=ENV["ACCOUNT_ID"], IdentityPoolId=pool_id or ENV["IDENTITY_POOL_ID"], Logins={provider: token}
        )["IdentityId"]

    return call


@pytest.fixture(scope="session")
def identity_ids(fresh_token, get_id):
    return {user: get_id(fresh_token(user)) for user in ("admin", "user")}


@pytest.fixture(scope="session")
def user_keys(identity, identity_ids, provider, fresh_token):
    """Each user's own identity-pool credentials (GetCredentialsForIdentity), as the browser holds them."""
    return {user: identity.get_credentials_for_identity(IdentityId=identity_id, Logins={provider: fresh_token(user)})[
        "Credentials"] for user, identity_id in identity_ids.items()}


@pytest.fixture(scope="session")
def user_s3(user_keys):
    """An S3 client per user, built from that user's own identity-pool credentials."""
    return {user: make_client("s3", k["AccessKeyId"], k["SecretKey"], k["SessionToken"]) for user, k in user_keys.items()}


@pytest.fixture(scope="session")
def signer(user_keys):
    """signer[user]: presigns with that user's own identity-pool keys."""
    return {user: presigner(k["AccessKeyId"], k["SecretKey"], k["SessionToken"]) for user, k in user_keys.items()}


@pytest.fixture(scope="session")
def stack_signing_key():
    """The private key that signs every pool's tokens (exported by the stack from moto's wheel)."""
    return serialization.load_pem_private_key(Path(ENV["SIGNING_KEY_FILE"]).read_bytes(), password=None)


@pytest.fixture(scope="session")
def resign(fresh_token, stack_signing_key):
    """resign(user, key, **claims) -> a real token's claims, changed, signed with `key` (default:
    the stack's own key, so that only the changed claims make it invalid)."""

    def make(user="admin", key=None, **changes):
        header, claims, _ = jwt_parts(fresh_token(user))
        claims.update(changes)
        return sign_rs256(header, claims, key or stack_signing_key)

    return make


@pytest.fixture(scope="session")
def other_pool(admin):
    """A second user pool with its own client and user: its tokens must not open our identity pool."""
    idp = admin["cognito-idp"]
    pool_id = idp.create_user_pool(PoolName=unique("other-pool"))["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="other", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool_id, Username="admin", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="admin", Password="Other-Passw0rd!", Permanent=True)
    yield {"pool_id": pool_id, "client_id": client_id,
           "token": auth_result(idp, pool_id, client_id, "admin", "Other-Passw0rd!")["IdToken"]}
    idp.delete_user_pool(UserPoolId=pool_id)


@pytest.fixture
def faults():
    """inject(**fault) -> (status, body); every fault is cleared when the test ends."""
    yield lambda **fault: control("POST", "/moto-ext/faults", fault)
    control("DELETE", "/moto-ext/faults")
