"""RevokeToken and the refresh flows after it (moto_ext/revocation.py), driven by boto3: the web
page's sign-out revokes its refresh token, and a revoked refresh token must be dead afterwards.

Each refusal is checked for its error type and for not quoting the token it refused."""

import base64
import hashlib
import hmac

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from support import ENV, auth_result, unique

FLOWS = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture(scope="module")
def public():
    """cognito-idp without keys: RevokeToken and InitiateAuth as a browser sends them, unsigned."""
    return boto3.client("cognito-idp", region_name=ENV["AWS_REGION"], endpoint_url=ENV["AWS_ENDPOINT_URL"],
                        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1, "mode": "standard"}))


@pytest.fixture(scope="module")
def clients(admin):
    """Extra app clients of the stack's pool: another public one, a confidential one (with a
    secret) and one with token revocation off."""
    idp, pool = admin["cognito-idp"], ENV["USER_POOL_ID"]
    made = {
        "other": idp.create_user_pool_client(UserPoolId=pool, ClientName=unique("other"), ExplicitAuthFlows=FLOWS),
        "secret": idp.create_user_pool_client(UserPoolId=pool, ClientName=unique("secret"), ExplicitAuthFlows=FLOWS,
                                              GenerateSecret=True),
        "no_revocation": idp.create_user_pool_client(UserPoolId=pool, ClientName=unique("no-revocation"),
                                                     ExplicitAuthFlows=FLOWS, EnableTokenRevocation=False),
    }
    yield {name: answer["UserPoolClient"] for name, answer in made.items()}
    for client in made.values():
        idp.delete_user_pool_client(UserPoolId=pool, ClientId=client["UserPoolClient"]["ClientId"])


def sign_in(admin, client=None, user="admin"):
    """A fresh session (AuthenticationResult) of `user` on `client` (default: the page's client)."""
    client_id = client["ClientId"] if client else ENV["USER_POOL_CLIENT_ID"].split(",")[0]
    password = ENV["ADMIN_PASSWORD"] if user == "admin" else ENV["USER_PASSWORD"]
    parameters = {"USERNAME": user, "PASSWORD": password}
    if client and client.get("ClientSecret"):
        parameters["SECRET_HASH"] = secret_hash(client, user)
    return admin["cognito-idp"].admin_initiate_auth(UserPoolId=ENV["USER_POOL_ID"], ClientId=client_id,
                                                    AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                                    AuthParameters=parameters)["AuthenticationResult"]


def secret_hash(client, user):
    digest = hmac.new(client["ClientSecret"].encode(), (user + client["ClientId"]).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def refresh(public, token, client=None, user="admin"):
    client_id = client["ClientId"] if client else ENV["USER_POOL_CLIENT_ID"].split(",")[0]
    parameters = {"REFRESH_TOKEN": token}
    if client and client.get("ClientSecret"):
        parameters["SECRET_HASH"] = secret_hash(client, user)
    return public.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                AuthParameters=parameters)["AuthenticationResult"]


def refused(call, *secrets, **kwargs):
    """(error type, message) of a call that must fail; no secret of `secrets` in the message."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    assert not any(s and s in error.get("Message", "") for s in secrets), "the error quotes a token"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Code"], error.get("Message")


def page_client_id():
    return ENV["USER_POOL_CLIENT_ID"].split(",")[0]


def test_a_revoked_refresh_token_no_longer_refreshes_in_either_flow(admin, public):
    session = sign_in(admin)
    token = session["RefreshToken"]
    assert refresh(public, token)["IdToken"], "the refresh token works before it is revoked"

    answer = public.revoke_token(Token=token, ClientId=page_client_id())  # unsigned, as the page sends it
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200

    assert refused(refresh, token, public=public, token=token) == ("NotAuthorizedException", "Refresh Token has been revoked")
    assert refused(admin["cognito-idp"].admin_initiate_auth, token, UserPoolId=ENV["USER_POOL_ID"],
                   ClientId=page_client_id(), AuthFlow="REFRESH_TOKEN",
                   AuthParameters={"REFRESH_TOKEN": token}) == ("NotAuthorizedException", "Refresh Token has been revoked")


def test_revocation_ends_that_sessions_access_tokens_and_no_other_session(admin, public):
    revoked, other = sign_in(admin), sign_in(admin)
    renewed = refresh(public, revoked["RefreshToken"])  # an access token issued from the same refresh token
    public.revoke_token(Token=revoked["RefreshToken"], ClientId=page_client_id())
    for access_token in (revoked["AccessToken"], renewed["AccessToken"]):
        code, _ = refused(public.get_user, access_token, AccessToken=access_token)
        assert code == "NotAuthorizedException"
    assert public.get_user(AccessToken=other["AccessToken"])["Username"] == "admin"
    assert refresh(public, other["RefreshToken"])["IdToken"], "the user's other refresh tokens are not affected"


def test_an_unknown_or_already_revoked_token_is_200(admin, public):
    assert public.revoke_token(Token="not-a-token-we-issued", ClientId=page_client_id())["ResponseMetadata"]["HTTPStatusCode"] == 200
    token = sign_in(admin)["RefreshToken"]
    for _ in range(2):
        assert public.revoke_token(Token=token, ClientId=page_client_id())["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_another_clients_token_is_refused_and_stays_valid(admin, public, clients):
    other = clients["other"]
    token = sign_in(admin, other)["RefreshToken"]
    assert refused(public.revoke_token, token, Token=token, ClientId=page_client_id())[0] == "UnauthorizedException"
    assert refresh(public, token, other)["IdToken"], "not revoked"
    # Refreshing it through another client is refused too, as Cognito refuses it.
    assert refused(refresh, token, public=public, token=token) == ("NotAuthorizedException", "Invalid Refresh Token")
    public.revoke_token(Token=token, ClientId=other["ClientId"])
    assert refused(refresh, token, public=public, token=token, client=other)[1] == "Refresh Token has been revoked"


def test_an_unknown_client_is_refused(admin, public):
    token = sign_in(admin)["RefreshToken"]
    assert refused(public.revoke_token, token, Token=token, ClientId="nosuchclient0000000000000")[0] == "UnauthorizedException"
    assert refresh(public, token)["IdToken"], "not revoked"


def test_a_confidential_client_must_send_its_secret(admin, public, clients):
    client = clients["secret"]
    token = sign_in(admin, client)["RefreshToken"]
    assert refused(public.revoke_token, token, Token=token, ClientId=client["ClientId"])[0] == "UnauthorizedException"
    wrong = "x" * 40
    assert refused(public.revoke_token, token, Token=token, ClientId=client["ClientId"],
                   ClientSecret=wrong)[0] == "UnauthorizedException"
    assert refresh(public, token, client)["IdToken"], "not revoked without the secret"
    public.revoke_token(Token=token, ClientId=client["ClientId"], ClientSecret=client["ClientSecret"])
    assert refused(refresh, token, public=public, token=token, client=client)[1] == "Refresh Token has been revoked"


def test_a_client_without_token_revocation_cannot_revoke(admin, public, clients):
    client = clients["no_revocation"]
    token = sign_in(admin, client)["RefreshToken"]
    assert refused(public.revoke_token, token, Token=token, ClientId=client["ClientId"])[0] == "UnsupportedOperationException"
    assert refresh(public, token, client)["IdToken"], "not revoked"


def test_an_access_or_id_token_is_not_a_refresh_token(admin, public):
    session = sign_in(admin)
    for kind in ("AccessToken", "IdToken"):
        code, _ = refused(public.revoke_token, session[kind], Token=session[kind], ClientId=page_client_id())
        assert code == "UnsupportedTokenTypeException"
    assert refresh(public, session["RefreshToken"])["IdToken"], "nothing was revoked"


def test_malformed_requests_are_invalid_parameters(public):
    for token in ("has space", "ünïcode"):
        assert refused(public.revoke_token, Token=token, ClientId=page_client_id())[0] == "InvalidParameterException"


def test_refresh_with_an_unknown_or_missing_token(admin, public):
    assert refused(refresh, public=public, token="never-issued") == ("NotAuthorizedException", "Invalid Refresh Token")
    assert refused(admin["cognito-idp"].admin_initiate_auth, UserPoolId=ENV["USER_POOL_ID"], ClientId=page_client_id(),
                   AuthFlow="REFRESH_TOKEN", AuthParameters={"REFRESH_TOKEN": "never-issued"}) \
        == ("NotAuthorizedException", "Invalid Refresh Token")
    assert refused(public.initiate_auth, ClientId=page_client_id(), AuthFlow="REFRESH_TOKEN_AUTH",
                   AuthParameters={})[0] == "InvalidParameterException"


def test_global_sign_out_and_revocation_share_one_state(admin, public):
    idp, pool, name, password = admin["cognito-idp"], ENV["USER_POOL_ID"], unique("signed-out"), "Canary-Passw0rd!"
    idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")  # not admin/user: their
    try:  # sessions (and the identity pool's ServerSideTokenCheck) must not be touched
        idp.admin_set_user_password(UserPoolId=pool, Username=name, Password=password, Permanent=True)
        token = auth_result(idp, pool, page_client_id(), name, password)["RefreshToken"]
        idp.admin_user_global_sign_out(UserPoolId=pool, Username=name)
        assert refused(refresh, token, public=public, token=token, user=name)[1] == "Refresh Token has been revoked"
        assert public.revoke_token(Token=token, ClientId=page_client_id())["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        idp.admin_delete_user(UserPoolId=pool, Username=name)
