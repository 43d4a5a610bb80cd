"""Helpers of the canary (plain functions; the fixtures are in conftest.py)."""

import base64
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "infra" / "local"))
from stack_client import NotRunning, control, settings, with_param  # noqa: E402,F401  (the one client of the stack)

POLICIES = ROOT / "infra" / "policies"
PREFIX = "cognito-test"
ENV = {}  # stack.env + fixtures.env, loaded by conftest.pytest_sessionstart


def make_client(service, access_key=None, secret_key=None, session_token=None):
    """A boto3 client on the local stack (default: the fixture principal's keys). No retries, so
    injected faults are seen as they are."""
    return boto3.client(
        service,
        region_name=ENV["AWS_REGION"],
        endpoint_url=ENV["AWS_ENDPOINT_URL"],
        aws_access_key_id=access_key or ENV["FIXTURE_AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secret_key or ENV["FIXTURE_AWS_SECRET_ACCESS_KEY"],
        aws_session_token=session_token,
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def presigner(access_key, secret_key, session_token=None):
    """An S3 client that presigns with SigV4 (botocore's default presigning for a custom
    endpoint is the legacy SigV2 query form, which the stack refuses)."""
    return boto3.client(
        "s3", region_name=ENV["AWS_REGION"], endpoint_url=ENV["AWS_ENDPOINT_URL"],
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, aws_session_token=session_token,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def curl(url, method="GET", data=None, headers=()):
    """(HTTP status, body) of a plain curl request."""
    command = ["curl", "-sS", "-X", method, "-o", "-", "-w", "\n%{http_code}", url]
    for header in headers:
        command += ["-H", header]
    if data is not None:
        command += ["--data-binary", data]
    out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=True).stdout
    body, _, status = out.rpartition("\n")
    return int(status), body


def error(url, **kwargs):
    """(status, S3 error code) of a refused request; the body must be S3's XML error."""
    status, body = curl(url, **kwargs)
    match = re.search(r"<Error><Code>([^<]+)</Code>", body)
    assert match, f"not an S3 XML error ({status}): {body[:200]}"
    return status, match[1]


def element(body, name):
    match = re.search(f"<{name}>([^<]*)</{name}>", body)
    return match[1] if match else None


def error_of(call, **kwargs):
    """(error code, HTTP status) of a call that must fail."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def auth_result(idp, pool_id, client_id, user, password):
    return idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": password},
    )["AuthenticationResult"]


def data_key(identity_id, name="data.txt"):
    return f"{PREFIX}/{identity_id}/{name}"


def unique(name):
    return f"canary-{name}-{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------- hand-made JWTs


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_parts(token):
    """(header, claims, signature) of a JWT, unverified."""
    header, claims, signature = token.split(".")
    return _b64json(header), _b64json(claims), signature


def _b64json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def sign_rs256(header, claims, private_key):
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


# ---------------------------------------------------------------- policies


def render_policy(file_name, **values):
    """infra/policies/<file>: plain {{NAME}} replacement, as infra/policies/README.md specifies."""
    text = (POLICIES / file_name).read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    assert "{{" not in text, f"{file_name}: placeholder left"
    return json.loads(text)
