"""The test-only control endpoints: call counters and fault injection."""

import time

from support import control, error_of


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
