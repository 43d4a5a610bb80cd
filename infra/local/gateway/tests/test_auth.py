"""SigV4 as API Gateway checks it, against requests signed by botocore's SigV4Auth."""

import dataclasses
import datetime

import pytest
from signing import ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, now, signed

from gateway import auth
from gateway.auth import AuthError, Request


def check(request, secret=SECRET_KEY, region="us-east-1", when=None):
    signature = auth.parse(request)
    auth.check_scope(signature, region, when or now())
    auth.verify(request, signature, secret)
    return signature


def refused(request, **kwargs):
    with pytest.raises(AuthError) as error:
        check(request, **kwargs)
    return error.value


def with_path(request, path):
    return dataclasses.replace(request, path=path)


def test_a_request_signed_by_botocore_verifies_and_names_the_key_and_token():
    signature = check(signed(headers=[("idToken", "eyJ.a.b")]))
    assert (signature.access_key, signature.security_token) == (ACCESS_KEY, SESSION_TOKEN)


def test_an_unsigned_request_is_a_missing_authentication_token():
    error = refused(Request("GET", "/v1/read-file", "", [("Host", "h")]))
    assert (error.error_type, error.message) == ("MissingAuthenticationTokenException", "Missing Authentication Token")


@pytest.mark.parametrize("query_auth", [False, True], ids=["header-signed", "query-signed"])
def test_a_wrong_secret_is_a_signature_mismatch_that_shows_the_canonical_request_without_secrets(query_auth):
    # query-signed: the session token stands in the canonical query string, not in a header
    request = signed(headers=[("idToken", "eyJ.secret-token.sig")], query_auth=query_auth)
    error = refused(request, secret="another")
    assert error.error_type == "InvalidSignatureException"
    assert error.message.startswith("The request signature we calculated does not match the signature you provided.")
    assert "The Canonical String for this request should have been\n'GET\n/v1/read-file\n" in error.message
    assert SESSION_TOKEN not in error.message and "secret-token" not in error.message


def test_path_segments_are_double_encoded_as_for_every_service_but_s3():
    request = signed(url="http://h/v1/a%20b/c%2Fd")  # botocore encodes the encoded path again
    signature = check(request)
    assert auth.canonical_request(request, signature).split("\n")[1] == "/v1/a%2520b/c%252Fd"
    # the same request with its path decoded once is another request: refused
    assert refused(with_path(request, "/v1/a b/c/d")).error_type == "InvalidSignatureException"


def test_dot_segments_and_repeated_slashes_are_normalized_before_signing():
    request = signed(url="http://h/v1/./x/../read-file")
    assert auth.canonical_request(request, check(request)).split("\n")[1] == "/v1/read-file"


def test_query_parameters_are_sorted_by_key_then_value_whatever_order_they_arrive_in():
    request = signed(url="http://h/v1/read-file?b=2&a=1&a=0&c")
    signature = check(request)
    assert auth.canonical_request(request, signature).split("\n")[2] == "a=0&a=1&b=2&c="
    assert check(dataclasses.replace(request, query="c&a=0&b=2&a=1"))  # another order, same request


def test_query_values_are_decoded_and_re_encoded_strictly():
    request = signed(url="http://h/v1/read-file?q=a%20b%2Fc%3D")
    signature = check(request)
    assert auth.canonical_request(request, signature).split("\n")[2] == "q=a%20b%2Fc%3D"
    # sent with the reserved characters unencoded, it is the same request to API Gateway
    check(dataclasses.replace(request, query="q=a%20b/c="))


def test_a_changed_query_value_is_refused():
    request = signed(url="http://h/v1/read-file?user=a")
    assert refused(dataclasses.replace(request, query="user=b")).error_type == "InvalidSignatureException"


def test_repeated_headers_are_joined_in_order_and_signed_together():
    request = signed(headers=[("X-Custom", "one"), ("X-Custom", "two")])
    signature = check(request)
    assert "x-custom:one,two\n" in auth.canonical_request(request, signature)
    swapped = [(k, {"one": "two", "two": "one"}.get(v, v)) if k == "X-Custom" else (k, v) for k, v in request.headers]
    assert refused(dataclasses.replace(request, headers=swapped)).error_type == "InvalidSignatureException"


def test_header_names_are_case_insensitive_and_values_trimmed():
    request = signed(headers=[("X-Mixed-CASE", "  a   b  ")])
    shouted = [(k.upper(), v) for k, v in request.headers]
    signature = check(dataclasses.replace(request, headers=shouted))
    assert "x-mixed-case:a b\n" in auth.canonical_request(request, signature)


def test_only_runs_of_spaces_collapse_in_a_signed_header_value():
    request = signed(headers=[("X-Note", "a b")])
    check(dataclasses.replace(request, headers=[(k, "a   b" if k == "X-Note" else v) for k, v in request.headers]))
    for other_white_space in ("a\tb", "a\xa0b", "a\x85b"):  # received as Latin-1 text: one byte each
        sent = [(k, other_white_space if k == "X-Note" else v) for k, v in request.headers]
        assert refused(dataclasses.replace(request, headers=sent)).error_type == "InvalidSignatureException"


def test_query_values_are_signed_as_their_bytes():
    """%FE and %FF are two different bytes (neither is UTF-8): one does not verify for the other."""
    request = signed(url="http://h/v1/read-file?q=%FE")  # botocore signs the query as it stands
    assert auth.canonical_request(request, check(request)).split("\n")[2] == "q=%FE"
    assert refused(dataclasses.replace(request, query="q=%FF")).error_type == "InvalidSignatureException"


def test_unsigned_headers_may_change_but_signed_ones_may_not():
    request = signed()
    check(dataclasses.replace(request, headers=request.headers + [("idToken", "added after signing")]))
    tampered = [(k, "20200101T000000Z" if k.lower() == "x-amz-date" else v) for k, v in request.headers]
    assert refused(dataclasses.replace(request, headers=tampered)).error_type in (
        "InvalidSignatureException", "IncompleteSignatureException")


def test_the_body_is_signed():
    request = signed("POST", body=b'{"a":1}', headers=[("Content-Type", "application/json")])
    check(request)
    assert refused(dataclasses.replace(request, body=b'{"a":2}')).error_type == "InvalidSignatureException"


def test_unsigned_payload_is_refused_the_payload_hash_is_always_the_bodys():
    request = signed(headers=[("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")])
    assert refused(request).error_type == "InvalidSignatureException"


def test_a_query_string_signature_verifies_and_expires():
    request = signed(query_auth=True, expires=60)
    signature = check(request)
    assert signature.in_query and signature.security_token == SESSION_TOKEN
    error = refused(request, when=now() + datetime.timedelta(seconds=120))
    assert error.message.startswith("Signature expired: ")


def test_another_region_is_refused_with_api_gateways_message():
    error = refused(signed(region="eu-west-1"))
    assert error.message == "Credential should be scoped to a valid region, not 'eu-west-1'. "


def test_another_service_is_refused():
    error = refused(signed(service="s3"))
    assert error.message == "Credential should be scoped to correct service: 'execute-api'. "


def test_a_signature_older_than_five_minutes_is_expired_and_one_from_the_future_not_yet_current():
    request = signed()
    old = refused(request, when=now() + datetime.timedelta(minutes=6))
    assert old.message.startswith("Signature expired: ") and old.message.endswith(" - 5 min.)")
    early = refused(request, when=now() - datetime.timedelta(minutes=6))
    assert early.message.startswith("Signature not yet current: ")
    check(request, when=now() + datetime.timedelta(minutes=4))


def test_host_must_be_signed():
    request = signed()
    authorization = dict((k.lower(), v) for k, v in request.headers)["authorization"]
    without_host = authorization.replace("SignedHeaders=host;", "SignedHeaders=")
    headers = [(k, without_host if k.lower() == "authorization" else v) for k, v in request.headers]
    assert "'Host'" in refused(dataclasses.replace(request, headers=headers)).message


@pytest.mark.parametrize("authorization", ["Bearer abc", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/execute-api/aws4_request"])
def test_a_malformed_authorization_header_is_an_incomplete_signature(authorization):
    request = Request("GET", "/v1/read-file", "", [("Host", "h"), ("Authorization", authorization), ("X-Amz-Date", "20260101T000000Z")])
    assert refused(request).error_type == "IncompleteSignatureException"
