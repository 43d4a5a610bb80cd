"""What a browser app meets at the local stack: CORS preflights and answers of Cognito and S3 (sent
as a browser sends them, plain HTTP), the app client's allowed sign-in flows, and SRP sign-in proven
with pycognito's AWSSRP, an independent client."""

import base64
import json
import urllib.error
import urllib.request

import boto3
import pytest
from support import ENV, error_of, make_client, public_client_id

ORIGIN = "http://localhost:3000"  # api.json's frontend origin; the bucket's CORS rule names it
BUCKET = "read-file-local"


def http(method, path, headers=None, body=None):
    """(status, {lowercased header: value}, body bytes), errors included."""
    request = urllib.request.Request(f"{ENV['AWS_ENDPOINT_URL']}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def preflight(path, method, headers="", origin=ORIGIN):
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return http("OPTIONS", path, asked)


def test_cognito_answers_any_origins_preflight_like_its_public_endpoints():
    for origin in (ORIGIN, "https://elsewhere.example"):
        status, headers, _ = preflight("/", "POST", "content-type,x-amz-target,x-amz-user-agent", origin)
        assert status == 200
        assert headers["access-control-allow-origin"] == "*"
        assert headers["access-control-allow-methods"] == "POST"
        assert set(headers["access-control-allow-headers"].split(", ")) == {"content-type", "x-amz-target", "x-amz-user-agent"}


def test_cognito_answers_carry_cors_headers_the_sdk_needs_to_read_errors():
    body = json.dumps({"ClientId": public_client_id(), "AuthFlow": "USER_PASSWORD_AUTH",
                       "AuthParameters": {"USERNAME": "admin", "PASSWORD": "wrong-Password-1"}}).encode()
    status, headers, answer = http("POST", "/", {
        "Origin": ORIGIN, "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"}, body)
    assert (status, json.loads(answer)["__type"]) == (400, "InvalidParameterException")  # flow not enabled
    assert headers["access-control-allow-origin"] == "*"
    assert "x-amzn-ErrorType" in headers["access-control-expose-headers"]


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_s3_preflight_from_the_frontend_origin_is_allowed_by_the_bucket_rule(method):
    status, headers, _ = preflight(f"/{BUCKET}/cognito-test/x/file.bin", method, "content-type")
    assert status == 200
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert headers["access-control-allow-headers"] == "content-type"
    assert headers["access-control-expose-headers"] == "ETag"


@pytest.mark.parametrize("origin, method, asked_headers", [
    ("https://elsewhere.example", "PUT", "content-type"),  # another origin
    (ORIGIN, "DELETE", ""),  # a method the rule does not list
    (ORIGIN, "PUT", "content-type,x-amz-meta-owner"),  # a header the rule does not list
])
def test_s3_preflight_outside_the_bucket_rule_is_403_without_cors_headers(origin, method, asked_headers):
    status, headers, body = preflight(f"/{BUCKET}/cognito-test/x/file.bin", method, asked_headers, origin)
    assert status == 403 and b"<Code>AccessForbidden</Code>" in body and b"CORSResponse" in body
    assert not any(name.startswith("access-control-") for name in headers)


def test_s3_preflight_to_a_bucket_without_cors_is_403(admin):
    bucket = "read-file-local-no-cors"
    admin["s3"].create_bucket(Bucket=bucket)
    try:
        status, headers, body = preflight(f"/{bucket}/k", "GET")
        assert status == 403 and b"CORS is not enabled for this bucket" in body
        assert "access-control-allow-origin" not in headers
    finally:
        admin["s3"].delete_bucket(Bucket=bucket)


def test_s3_answers_carry_cors_headers_only_for_the_allowed_origin():
    path = f"/{BUCKET}/cognito-test/x/file.bin"  # unsigned: 403 either way, the headers differ
    allowed = http("GET", path, {"Origin": ORIGIN})[1]
    other = http("GET", path, {"Origin": "https://elsewhere.example"})[1]
    assert allowed["access-control-allow-origin"] == ORIGIN
    assert not any(name.startswith("access-control-") for name in other)


def test_the_app_client_allows_exactly_its_explicit_auth_flows(admin):
    idp = admin["cognito-idp"]
    pool = ENV["USER_POOL_ID"]
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="canary-admin-only",
                                         ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    client_id = client["UserPoolClient"]["ClientId"]
    try:
        params = {"USERNAME": "admin", "PASSWORD": ENV["ADMIN_PASSWORD"]}
        assert error_of(make_client("cognito-idp").initiate_auth, ClientId=client_id,
                        AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params) == ("InvalidParameterException", 400)
        assert error_of(srp_client("admin", ENV["ADMIN_PASSWORD"], client_id).authenticate_user) == (
            "InvalidParameterException", 400)
        assert idp.admin_initiate_auth(UserPoolId=pool, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                       AuthParameters=params)["AuthenticationResult"]["IdToken"]
        # The provisioned client, like the CDK app's: SRP, admin password auth, refresh; no USER_PASSWORD_AUTH.
        assert error_of(make_client("cognito-idp").initiate_auth, ClientId=public_client_id(),
                        AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params) == ("InvalidParameterException", 400)
    finally:
        idp.delete_user_pool_client(UserPoolId=pool, ClientId=client_id)


def srp_client(user, password, client_id=None):
    """pycognito's AWSSRP (an SRP client we did not write), calling the stack unsigned as browsers do."""
    from botocore import UNSIGNED
    from botocore.config import Config
    from pycognito.aws_srp import AWSSRP

    unsigned = boto3.client("cognito-idp", region_name=ENV["AWS_REGION"], endpoint_url=ENV["AWS_ENDPOINT_URL"],
                            config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    return AWSSRP(username=user, password=password, pool_id=ENV["USER_POOL_ID"],
                  client_id=client_id or public_client_id(), client=unsigned)


@pytest.mark.parametrize("user", ["admin", "user"])
def test_srp_sign_in_with_the_right_password_gives_the_users_tokens(user):
    result = srp_client(user, ENV[f"{user.upper()}_PASSWORD"]).authenticate_user()["AuthenticationResult"]
    claims = json.loads(base64.urlsafe_b64decode(result["IdToken"].split(".")[1] + "=="))
    assert claims["cognito:username"] == user and claims["token_use"] == "id"
    assert result["RefreshToken"] and result["AccessToken"]


def test_srp_sign_in_with_a_wrong_password_is_refused_as_cognito_refuses_it():
    assert error_of(srp_client("admin", ENV["ADMIN_PASSWORD"] + "x").authenticate_user) == (
        "NotAuthorizedException", 400)
    assert error_of(srp_client("admin", ENV["USER_PASSWORD"]).authenticate_user) == ("NotAuthorizedException", 400)


def test_srp_proof_is_single_use_and_bound_to_its_challenge():
    """A replayed (or forged) answer to PASSWORD_VERIFIER is refused; the right one works once."""
    client = srp_client("admin", ENV["ADMIN_PASSWORD"])
    idp = client.client
    challenge = idp.initiate_auth(ClientId=client.client_id, AuthFlow="USER_SRP_AUTH",
                                  AuthParameters=client.get_auth_params())
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    answer = client.process_challenge(challenge["ChallengeParameters"], client.get_auth_params())
    forged = {**answer, "PASSWORD_CLAIM_SIGNATURE": base64.b64encode(b"\0" * 32).decode()}
    respond = idp.respond_to_auth_challenge
    assert error_of(respond, ClientId=client.client_id, ChallengeName="PASSWORD_VERIFIER",
                    ChallengeResponses=forged) == ("NotAuthorizedException", 400)
    # The forged attempt used the challenge up: the right answer to it is refused too.
    assert error_of(respond, ClientId=client.client_id, ChallengeName="PASSWORD_VERIFIER",
                    ChallengeResponses=answer) == ("NotAuthorizedException", 400)
    fresh = idp.initiate_auth(ClientId=client.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=client.get_auth_params())
    good = client.process_challenge(fresh["ChallengeParameters"], client.get_auth_params())
    assert respond(ClientId=client.client_id, ChallengeName="PASSWORD_VERIFIER",
                   ChallengeResponses=good)["AuthenticationResult"]["IdToken"]
    assert error_of(respond, ClientId=client.client_id, ChallengeName="PASSWORD_VERIFIER",
                    ChallengeResponses=good) == ("NotAuthorizedException", 400)


def test_srp_refuses_a_disabled_user(admin):
    idp = admin["cognito-idp"]
    idp.admin_disable_user(UserPoolId=ENV["USER_POOL_ID"], Username="user")
    try:
        assert error_of(srp_client("user", ENV["USER_PASSWORD"]).authenticate_user) == ("NotAuthorizedException", 400)
    finally:
        idp.admin_enable_user(UserPoolId=ENV["USER_POOL_ID"], Username="user")
