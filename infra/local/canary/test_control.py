"""The test-only control endpoints: call counters and fault injection, and who may call them."""

import json
import time
import urllib.error
import urllib.request

import pytest
from support import ENV, control, error_of


def raw(method, path, headers, body=None):
    """(status, JSON answer) of a control request with exactly these headers (the secret not added)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{ENV['AWS_ENDPOINT_URL']}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def secret(env):
    return env["LOCAL_STACK_SECRET"]


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/moto-ext/health", None),
    ("GET", "/moto-ext/calls", None),
    ("POST", "/moto-ext/faults", {"target": "s3:*", "kind": "throttle"}),
    ("POST", "/moto-ext/gateway/config", {"function_url": "http://127.0.0.1:9/elsewhere"}),
    ("POST", "/moto-ext/credentials/expire", {"AccessKeyId": "ASIAANYTHING"}),
    ("GET", "/moto-api/data.json", None),
    ("POST", "/moto-api/reset-auth", 99),
    ("POST", "/moto-api/reset", None),
])
def test_a_control_request_without_the_secret_or_from_a_browser_is_refused(method, path, body, secret):
    """A web page the developer visits can reach 127.0.0.1 but sends an Origin and knows no secret:
    it must not re-point the gateway, read the calls, inject faults or switch IAM off."""
    for headers in ({}, {"X-Local-Stack-Secret": "not-the-secret"},
                    {"X-Local-Stack-Secret": secret, "Origin": "http://localhost:3000"},
                    {"X-Local-Stack-Secret": secret, "Origin": "null"}):
        status, answer = raw(method, path, headers, body)
        assert status == 403 and "error" in answer, (path, sorted(headers))
        assert secret not in json.dumps(answer)
    # nothing changed
    assert control("GET", "/moto-ext/faults") == (200, [])
    assert control("GET", "/moto-ext/health")[1]["auth_enforced"] is True
    assert control("GET", "/moto-ext/gateway")[1]["function_url"] != "http://127.0.0.1:9/elsewhere"


def test_a_preflight_to_a_control_endpoint_gets_no_cors_answer(secret):
    request = urllib.request.Request(f"{ENV['AWS_ENDPOINT_URL']}/moto-ext/gateway/config", method="OPTIONS",
                                     headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "x-local-stack-secret,content-type"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403
    assert not [h for h in refused.value.headers if h.lower().startswith("access-control-")]


def test_the_secret_is_in_fixtures_env_only(env):
    """Written where the test tools read it (owner-only), never where the function reads its settings
    (cargo lambda watch --env-file .local/stack.env) and never in the stack's log."""
    from stack_client import FIXTURES_ENV, STACK_ENV, STATE

    secret = env["LOCAL_STACK_SECRET"]
    assert len(secret) >= 32 and FIXTURES_ENV.stat().st_mode & 0o077 == 0
    assert secret not in STACK_ENV.read_text() and "LOCAL_STACK_SECRET" not in STACK_ENV.read_text()
    assert secret not in (STATE / "stack.log").read_text(errors="replace")


def test_calls_are_counted(get_id, fresh_token, user_s3, identity_ids, env):
    token = fresh_token()
    assert control("POST", "/moto-ext/calls/reset") == (200, {})
    get_id(token)
    get_id(token)
    user_s3["admin"].get_object(Bucket=env["S3_BUCKET"], Key=f"cognito-test/{identity_ids['admin']}/data.txt")
    status, calls = control("GET", "/moto-ext/calls")
    assert status == 200
    assert calls == {"cognito-identity:GetId": 2, "s3:GetObject": 1}


def test_throttle_then_recover(faults, identity, provider, fresh_token, env):
    token = fresh_token()
    status, _ = faults(target="cognito-identity:GetId", kind="throttle", count=1)
    assert status == 200
    call = dict(IdentityPoolId=env["IDENTITY_POOL_ID"], Logins={provider: token})
    assert error_of(identity.get_id, **call) == ("TooManyRequestsException", 400)
    assert identity.get_id(**call)["IdentityId"]  # count=1: the next call goes through


def test_error_and_service_wide_target(faults, user_s3, identity_ids, env):
    key = dict(Bucket=env["S3_BUCKET"], Key=f"cognito-test/{identity_ids['admin']}/data.txt")
    faults(target="s3:*", kind="error", status=500)
    assert error_of(user_s3["admin"].get_object, **key) == ("InternalError", 500)
    assert error_of(user_s3["admin"].get_object, **key) == ("InternalError", 500)  # until cleared
    assert control("DELETE", "/moto-ext/faults") == (200, [])
    faults(target="s3:GetObject", kind="throttle", count=1)
    assert error_of(user_s3["admin"].get_object, **key) == ("SlowDown", 503)
    assert user_s3["admin"].get_object(**key)["Body"].read()


def test_delay(faults, lambda_principal, env):
    faults(target="cognito-idp:AdminGetUser", kind="delay", delay_ms=300, count=1)
    started = time.monotonic()
    lambda_principal["cognito-idp"].admin_get_user(UserPoolId=env["USER_POOL_ID"], Username="admin")
    assert time.monotonic() - started >= 0.3


def test_bad_fault_is_rejected(faults):
    status, body = faults(target="GetId", kind="throttle")
    assert status == 400 and "target" in body["error"]
    status, body = faults(target="s3:*", kind="explode")
    assert status == 400 and "kind" in body["error"]


def test_error_with_a_named_code(faults, user_s3, identity_ids, env, identity, provider, get_id, fresh_token):
    key = dict(Bucket=env["S3_BUCKET"], Key=f"cognito-test/{identity_ids['admin']}/data.txt")
    faults(target="s3:GetObject", kind="error", status=400, code="ExpiredToken",
           message="The provided token has expired.", count=1)
    assert error_of(user_s3["admin"].get_object, **key) == ("ExpiredToken", 400)
    assert user_s3["admin"].get_object(**key)["Body"].read()
    faults(target="cognito-identity:GetCredentialsForIdentity", kind="error", status=400,
           code="ResourceNotFoundException", count=1)
    token = fresh_token()
    call = dict(IdentityId=get_id(token), Logins={provider: token})
    assert error_of(identity.get_credentials_for_identity, **call) == ("ResourceNotFoundException", 400)
    assert identity.get_credentials_for_identity(**call)["Credentials"]["AccessKeyId"]


def test_a_code_needs_kind_error(faults):
    status, body = faults(target="s3:*", kind="throttle", code="ExpiredToken")
    assert status == 400 and "code" in body["error"]
    status, body = faults(target="s3:*", kind="error", code="Bad Code!")
    assert status == 400 and "code" in body["error"]
