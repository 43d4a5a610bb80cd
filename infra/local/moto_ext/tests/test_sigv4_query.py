"""Unit tests of the SigV4 query-string verifier (moto_ext/presign.py), with botocore as the
independent signer and a fixed clock: the time rules to the second and every malformed-parameter
answer. The canary shows the same verifier end to end (curl, IAM)."""

import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from moto_ext import presign as ext
from moto_ext.presign import Keys, QueryAuthError, verify_sigv4_query
from stack_client import with_param

AT = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)
AKID, SECRET, TOKEN = "ASIATESTTESTTESTTEST", "secret/key+with=odd chars", "session-token/with+chars=="
ENDPOINT = "http://127.0.0.1:5455"
KEY_URL = f"{ENDPOINT}/bucket/cognito-test/us-east-1%3A11111111-2222-3333-4444-555555555555/data.txt"


def presign(method="GET", url=KEY_URL, headers=None, expires=900, token=TOKEN, secret=SECRET):
    """A presigned URL made by botocore, signed at AT."""
    request = AWSRequest(method=method, url=url, headers=headers or {})
    auth = S3SigV4QueryAuth(Credentials(AKID, secret, token), "s3", "us-east-1", expires=expires)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=AT.replace(tzinfo=None)):
        auth.add_auth(request)
    return request.url


def lookup(access_key_id, token, expires_at=None):
    if access_key_id != AKID:
        raise QueryAuthError("unknown-key", 403, "InvalidAccessKeyId", ext.MSG_INVALID_KEY)
    if token != TOKEN:
        raise QueryAuthError("invalid-token", 400, "InvalidToken", ext.MSG_INVALID_TOKEN)
    return Keys(SECRET, expires_at, principal="the-principal")


def verify(url, method="GET", headers=None, now=AT, **options):
    parts = urlsplit(url)
    received = {"host": [parts.netloc]}
    for name, value in (headers or {}).items():
        received.setdefault(name.lower(), []).append(value)
    options.setdefault("lookup", lookup)
    return verify_sigv4_query(method, parts.path, parts.query, received, region="us-east-1", now=now, **options)


def refusal(url, **kwargs):
    with pytest.raises(QueryAuthError) as info:
        verify(url, **kwargs)
    return info.value.status, info.value.code, info.value.message


SIGNATURE = (403, "SignatureDoesNotMatch", ext.MSG_SIGNATURE)


# ---------------------------------------------------------------- what verifies


def test_a_botocore_presigned_get_verifies():
    verified = verify(presign())
    assert verified.access_key_id == AKID and verified.keys.principal == "the-principal"
    assert verified.expires_in == 900 and verified.signed_headers == ("host",)


def test_the_key_path_may_arrive_encoded_or_not():
    """S3 canonicalizes the decoded path: `:` sent raw or as %3A names the same key."""
    url = presign()
    assert "%3A" in url
    verify(url.replace("%3A", ":"))


def test_odd_keys_and_extra_parameters_verify():
    url = presign(url=f"{ENDPOINT}/bucket/dir/a%20file%2Bplus%C3%A9~x.txt?response-content-type=text%2Fplain&versionId=")
    verify(url)


def test_presigned_put_with_signed_length_and_type():
    headers = {"Content-Type": "text/plain", "Content-Length": "5"}
    url = presign("PUT", headers=headers)
    assert "content-length%3Bcontent-type%3Bhost" in url
    verify(url, method="PUT", headers=headers)
    assert refusal(url, method="PUT", headers={**headers, "Content-Length": "6"})[:2] == SIGNATURE[:2]
    assert refusal(url, method="PUT", headers={**headers, "Content-Type": "text/html"})[:2] == SIGNATURE[:2]
    assert refusal(url, method="PUT", headers={"Content-Type": "text/plain"})[:2] == SIGNATURE[:2]
    assert refusal(url, method="GET", headers=headers)[:2] == SIGNATURE[:2]


def test_without_a_session_token_for_permanent_keys():
    def permanent(access_key_id, token):
        assert token is None
        return Keys(SECRET)

    verify(presign(token=None), lookup=permanent)


# ---------------------------------------------------------------- tampering


@pytest.mark.parametrize("name, value", [
    ("X-Amz-Expires", "901"),
    ("X-Amz-Date", "20261129T115959Z"),
    ("X-Amz-SignedHeaders", "host;x-amz-date"),
    ("X-Amz-Signature", "0" * 64),
    ("extra", "1"),
    ("response-content-disposition", "attachment"),
])
def test_tampering_with_any_parameter_is_refused(name, value):
    assert refusal(with_param(presign(), name, value))[:2] == SIGNATURE[:2]


def test_tampering_with_the_path_or_the_host_is_refused():
    url = presign()
    assert refusal(url.replace("data.txt", "data.tx2")) == SIGNATURE
    assert refusal(url.replace("127.0.0.1:5455", "localhost:5455")) == SIGNATURE


def test_the_credential_and_token_are_signed_too():
    url = presign()
    other_token = with_param(url, "X-Amz-Security-Token", "other")
    assert refusal(other_token)[1] == "InvalidToken"
    assert refusal(with_param(url, "X-Amz-Security-Token", None))[1] == "InvalidToken"
    other_key = with_param(url, "X-Amz-Credential", "ASIAOTHEROTHEROTHER0/20261129/us-east-1/s3/aws4_request")
    assert refusal(other_key)[1] == "InvalidAccessKeyId"
    assert refusal(presign(secret="not-the-secret")) == SIGNATURE


# ---------------------------------------------------------------- time


def test_expiry_to_the_second():
    url = presign(expires=60)
    verify(url, now=AT + timedelta(seconds=59))
    with pytest.raises(QueryAuthError) as info:
        verify(url, now=AT + timedelta(seconds=60))
    error = info.value
    assert (error.status, error.code, error.message) == (403, "AccessDenied", "Request has expired")
    assert error.extra == {"X-Amz-Expires": "60", "Expires": "2026-11-29T12:01:00Z",
                           "ServerTime": "2026-11-29T12:01:00Z"}


def test_not_yet_valid_beyond_fifteen_minutes_of_skew():
    url = presign()
    verify(url, now=AT - timedelta(minutes=15))
    assert refusal(url, now=AT - timedelta(minutes=15, seconds=1)) == (403, "AccessDenied", "Request is not yet valid")


def test_expired_session_keys():
    url = presign()
    still = lambda akid, token: lookup(akid, token, expires_at=AT + timedelta(seconds=1))  # noqa: E731
    gone = lambda akid, token: lookup(akid, token, expires_at=AT)  # noqa: E731
    verify(url, lookup=still)
    assert refusal(url, lookup=gone) == (400, "ExpiredToken", "The provided token has expired.")


def test_an_expired_url_is_refused_before_its_signature_is_checked():
    url = with_param(presign(expires=60), "X-Amz-Signature", "0" * 64)
    assert refusal(url, now=AT + timedelta(hours=1))[2] == "Request has expired"


# ---------------------------------------------------------------- malformed parameters


@pytest.mark.parametrize("name", ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders",
                                  "X-Amz-Expires"])
def test_a_missing_parameter(name):
    assert refusal(with_param(presign(), name, None)) == (400, "AuthorizationQueryParametersError", ext.MSG_MISSING)
    assert refusal(with_param(presign(), name, ""))[2] == ext.MSG_MISSING


def test_the_algorithm():
    assert refusal(with_param(presign(), "X-Amz-Algorithm", "AWS4-HMAC-SHA1"))[2] == \
        'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'
    assert refusal(with_param(presign(), "X-Amz-Algorithm", None))[2] == ext.MSG_MISSING


@pytest.mark.parametrize("value, message", [
    ("604801", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be "
               "less than 604800 seconds"),
    ("abc", "X-Amz-Expires should be a number"),
    ("-1", "X-Amz-Expires must be non-negative"),
])
def test_expires_out_of_range(value, message):
    assert refusal(with_param(presign(), "X-Amz-Expires", value)) == (400, "AuthorizationQueryParametersError", message)


def test_a_zero_lifetime_is_expired_on_arrival():
    assert refusal(presign(expires=0)) == (403, "AccessDenied", "Request has expired")


def test_a_week_is_allowed():
    verify(presign(expires=604800), now=AT + timedelta(seconds=604799))


@pytest.mark.parametrize("credential, fragment", [
    ("ASIATESTTESTTESTTEST/20261129/us-east-1/s3", "the Credential is mal-formed"),
    ("/20261129/us-east-1/s3/aws4_request", "the Credential is mal-formed"),
    ("ASIATESTTESTTESTTEST/2026-11-29/us-east-1/s3/aws4_request", "the Credential is mal-formed"),
    ("ASIATESTTESTTESTTEST/20261129/eu-west-1/s3/aws4_request",
     "the region 'eu-west-1' is wrong; expecting 'us-east-1'"),
    ("ASIATESTTESTTESTTEST/20261129/us-east-1/sqs/aws4_request", 'incorrect service "sqs"'),
    ("ASIATESTTESTTESTTEST/20261129/us-east-1/s3/aws5_request", 'incorrect terminal "aws5_request"'),
    ("ASIATESTTESTTESTTEST/20261128/us-east-1/s3/aws4_request",
     'Invalid credential date "20261128". This date is not the same as X-Amz-Date: "20261129".'),
])
def test_a_malformed_credential(credential, fragment):
    status, code, message = refusal(with_param(presign(), "X-Amz-Credential", credential))
    assert (status, code) == (400, "AuthorizationQueryParametersError") and fragment in message


def test_a_malformed_date():
    assert refusal(with_param(presign(), "X-Amz-Date", "2026-11-29T12:00:00Z"))[2] == ext.MSG_DATE


def test_both_an_authorization_header_and_a_presigned_query():
    status, code, _ = refusal(presign(), has_authorization_header=True)
    assert (status, code) == (400, "InvalidArgument")


def test_x_amz_headers_must_be_signed():
    status, code, message = refusal(presign(), headers={"x-amz-acl": "public-read"})
    assert (status, code, message) == (403, "AccessDenied", ext.MSG_NOT_SIGNED)


def test_host_must_be_signed():
    url = with_param(presign(), "X-Amz-SignedHeaders", "content-type")
    assert refusal(url, headers={"Content-Type": "text/plain"}) == SIGNATURE


# ---------------------------------------------------------------- XML


def test_error_xml():
    error = QueryAuthError("expired", 403, "AccessDenied", "Request has expired", **{"X-Amz-Expires": "1"})
    xml = ext.s3_error_xml(error, request_id="R")
    assert xml.endswith("<Error><Code>AccessDenied</Code><Message>Request has expired</Message>"
                        "<X-Amz-Expires>1</X-Amz-Expires><RequestId>R</RequestId><HostId>moto-ext</HostId></Error>")
    escaped = ext.s3_error_xml(QueryAuthError("signature", 403, "SignatureDoesNotMatch", "a<b&c"))
    assert "<Message>a&lt;b&amp;c</Message>" in escaped


# ---------------------------------------------------------------- what is signed: bytes, spaces


def signed_by_hand(url, extra):
    """`url` (presigned by botocore, host signed only) with the raw parameter `extra` added and
    signed again by hand, as SigV4 spells it out: botocore re-encodes a query it presigns, so it
    cannot send a byte that is not UTF-8."""
    base, _, query = url.partition("?")
    params = [p for p in query.split("&") if not p.startswith("X-Amz-Signature=")] + [extra]
    parts = urlsplit(base)
    canonical_query = "&".join("=".join(pair) for pair in sorted(tuple(p.split("=", 1)) for p in params))
    canonical = f"GET\n{parts.path}\n{canonical_query}\nhost:{parts.netloc}\n\nhost\nUNSIGNED-PAYLOAD"
    scope = "20261129/us-east-1/s3/aws4_request"
    text = f"AWS4-HMAC-SHA256\n20261129T120000Z\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("AWS4" + SECRET).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return f"{base}?{'&'.join(params)}&X-Amz-Signature={hmac.new(key, text.encode(), hashlib.sha256).hexdigest()}"


def test_a_query_value_is_signed_as_its_bytes():
    """%FE and %FF are two different bytes (neither is UTF-8): one does not verify for the other."""
    url = signed_by_hand(presign(), "x-id=%FE")
    verify(url)
    assert refusal(url.replace("x-id=%FE", "x-id=%FF")) == SIGNATURE


def test_only_runs_of_spaces_collapse_in_a_signed_header_value():
    headers = {"X-Amz-Meta-Note": "a  b"}
    url = presign(headers=headers)
    verify(url, headers={"X-Amz-Meta-Note": "a b"})  # a run of spaces is one space (Trimall)
    for other_white_space in ("a\tb", "a\xa0b", "a\u2003b"):
        assert refusal(url, headers={"X-Amz-Meta-Note": other_white_space}) == SIGNATURE
