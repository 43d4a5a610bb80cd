"""Presigned S3 URLs (SigV4 query-string auth) signed with a user's own identity-pool keys, used
with plain curl: verified as S3 does, then authorized by IAM like header-signed requests.

The URLs are made by botocore (an independent SigV4 implementation, as the Lambda's Rust SDK is
another); every request is sent by curl, with no SDK in between."""

import json
import re
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qs, quote

import boto3
import pytest
from botocore.config import Config
from support import ENV, curl, data_key, element, error, presigner, with_param

OTHER = {"admin": "user", "user": "admin"}
SIGNATURE = (403, "SignatureDoesNotMatch")


def get_url(client, key, expires=900):
    return client.generate_presigned_url("get_object", Params={"Bucket": ENV["S3_BUCKET"], "Key": key},
                                         ExpiresIn=expires)


# ---------------------------------------------------------------- GET


@pytest.mark.parametrize("user", ["admin", "user"])
def test_presigned_get_works_with_plain_curl(user, signer, identity_ids):
    url = get_url(signer[user], data_key(identity_ids[user]))
    assert "X-Amz-Signature=" in url and "X-Amz-Security-Token=" in url
    assert curl(url) == (200, f"{user}\n")


@pytest.mark.parametrize("user", ["admin", "user"])
def test_presigned_get_of_the_other_users_key_is_access_denied(user, signer, identity_ids):
    """Signed correctly by A, for B's key: IAM (the role's ${cognito-identity.amazonaws.com:sub})
    refuses it; A's own URL, made the same way, works."""
    assert curl(get_url(signer[user], data_key(identity_ids[user])))[0] == 200
    assert error(get_url(signer[user], data_key(identity_ids[OTHER[user]]))) == (403, "AccessDenied")


def test_presigned_get_stops_working_after_its_expiry(signer, identity_ids):
    key = data_key(identity_ids["admin"])
    short, long = get_url(signer["admin"], key, expires=1), get_url(signer["admin"], key, expires=900)
    time.sleep(2)
    assert curl(long)[0] == 200
    status, body = curl(short)
    assert (status, element(body, "Code"), element(body, "Message")) == (403, "AccessDenied", "Request has expired")
    assert element(body, "X-Amz-Expires") == "1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", element(body, "Expires") or "")
    assert element(body, "ServerTime") > element(body, "Expires")


def test_presigned_list_is_held_to_the_s3_prefix_condition(signer, identity_ids):
    """The same IAM evaluation as header-signed requests, conditions included: ListBucket only
    with s3:prefix under the signer's own IdentityId."""
    def list_url(prefix):
        return signer["admin"].generate_presigned_url(
            "list_objects_v2", Params={"Bucket": ENV["S3_BUCKET"], "Prefix": prefix}, ExpiresIn=900)

    status, body = curl(list_url(f"cognito-test/{identity_ids['admin']}/"))
    assert (status, element(body, "KeyCount")) == (200, "1")  # keys come URL-encoded (EncodingType=url)
    assert error(list_url(f"cognito-test/{identity_ids['user']}/")) == (403, "AccessDenied")
    assert error(list_url("cognito-test/")) == (403, "AccessDenied")


def test_tampering_with_any_query_parameter_is_refused(signer, user_keys, identity_ids):
    url = get_url(signer["admin"], data_key(identity_ids["admin"]))
    other = user_keys["user"]
    assert curl(url)[0] == 200
    assert error(with_param(url, "X-Amz-Expires", "3600")) == SIGNATURE
    signed_at = datetime.strptime(element_of(url, "X-Amz-Date"), "%Y%m%dT%H%M%SZ")
    shifted = signed_at + timedelta(seconds=1 if signed_at.hour == 0 and signed_at.minute == 0 else -1)  # same day
    assert error(with_param(url, "X-Amz-Date", shifted.strftime("%Y%m%dT%H%M%SZ"))) == SIGNATURE
    assert error(with_param(url, "X-Amz-SignedHeaders", "host;range")) == SIGNATURE
    assert error(with_param(url, "X-Amz-Signature", "0" * 64)) == SIGNATURE
    assert error(with_param(url, "response-content-type", "text/html")) == SIGNATURE
    assert error(url.replace(quote(identity_ids["admin"], safe=""), quote(identity_ids["user"], safe=""))) == SIGNATURE
    # the other user's token or key id with this signature: the keys do not belong together
    assert error(with_param(url, "X-Amz-Security-Token", other["SessionToken"])) == (400, "InvalidToken")
    credential = element_of(url, "X-Amz-Credential").replace(user_keys["admin"]["AccessKeyId"], other["AccessKeyId"])
    assert error(with_param(url, "X-Amz-Credential", credential)) == (400, "InvalidToken")
    assert error(with_param(url, "X-Amz-Security-Token", None)) == (403, "InvalidAccessKeyId")


def element_of(url, name):
    """The decoded value of a query parameter of `url`."""
    return parse_qs(url.partition("?")[2])[name][0]


def test_malformed_query_parameters(signer, identity_ids):
    url = get_url(signer["admin"], data_key(identity_ids["admin"]))
    status, body = curl(with_param(url, "X-Amz-Credential", None))
    assert (status, element(body, "Code")) == (400, "AuthorizationQueryParametersError")
    assert element(body, "Message").startswith("Query-string authentication version 4 requires the X-Amz-Algorithm")
    status, body = curl(get_url(signer["admin"], data_key(identity_ids["admin"]), expires=604801))
    assert (status, element(body, "Code")) == (400, "AuthorizationQueryParametersError")
    assert element(body, "Message") == ("X-Amz-Expires must be less than a week (in seconds); that is, the given "
                                        "X-Amz-Expires must be less than 604800 seconds")
    wrong_region = element_of(url, "X-Amz-Credential").replace("/us-east-1/", "/eu-west-1/")
    status, body = curl(with_param(url, "X-Amz-Credential", wrong_region))
    assert (status, element(body, "Code"), element(body, "Region")) == (400, "AuthorizationQueryParametersError", "us-east-1")


def test_unknown_key_and_wrong_secret(signer, user_keys, identity_ids):
    key = data_key(identity_ids["admin"])
    assert error(get_url(presigner("AKIAUNKNOWNUNKNOWN00", "whatever"), key)) == (403, "InvalidAccessKeyId")
    keys = user_keys["admin"]
    wrong_secret = presigner(keys["AccessKeyId"], "not-the-secret", keys["SessionToken"])
    assert error(get_url(wrong_secret, key)) == SIGNATURE


def test_presigned_query_and_authorization_header_together_are_refused(signer, identity_ids):
    url = get_url(signer["admin"], data_key(identity_ids["admin"]))
    header = "Authorization: AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
    assert error(url, headers=[header]) == (400, "InvalidArgument")


def test_legacy_sigv2_query_urls_stay_refused(user_s3, identity_ids):
    """botocore's default presigning here is SigV2 (AWSAccessKeyId/Signature/Expires); the stack
    verifies only SigV4 and refuses these, as it did before."""
    url = user_s3["admin"].generate_presigned_url(
        "get_object", Params={"Bucket": ENV["S3_BUCKET"], "Key": data_key(identity_ids["admin"])})
    assert "AWSAccessKeyId=" in url
    assert error(url) == (403, "AccessDenied")


# ---------------------------------------------------------------- PUT


def put_url(client, key, length, content_type="text/plain"):
    return client.generate_presigned_url(
        "put_object", ExpiresIn=900,
        Params={"Bucket": ENV["S3_BUCKET"], "Key": key, "ContentLength": length, "ContentType": content_type})


def test_presigned_put_signs_length_and_type(signer, identity_ids, admin):
    """Wrong Content-Length or Content-Type: SignatureDoesNotMatch, before any authorization. A
    correctly signed PUT of the user's own key stores it (the role grants s3:PutObject in the
    user's own folder, infra/policies/user-files.json); of another user's key, IAM refuses it."""
    key = data_key(identity_ids["user"], "upload.txt")
    url = put_url(signer["user"], key, 5)
    assert "content-length%3Bcontent-type%3Bhost" in url
    assert error(url, method="PUT", data="hello!", headers=["Content-Type: text/plain"]) == SIGNATURE
    assert error(url, method="PUT", data="hello", headers=["Content-Type: text/html"]) == SIGNATURE
    try:
        assert curl(url, method="PUT", data="hello", headers=["Content-Type: text/plain"])[0] == 200
        stored = admin["s3"].get_object(Bucket=ENV["S3_BUCKET"], Key=key)
        assert (stored["Body"].read(), stored["ContentType"]) == (b"hello", "text/plain")
    finally:
        admin["s3"].delete_object(Bucket=ENV["S3_BUCKET"], Key=key)
    other = data_key(identity_ids["admin"], "upload.txt")
    url = put_url(signer["user"], other, 5)
    assert error(url, method="PUT", data="hello", headers=["Content-Type: text/plain"]) == (403, "AccessDenied")
    assert admin["s3"].list_objects_v2(Bucket=ENV["S3_BUCKET"], Prefix=other).get("KeyCount") == 0


def test_presigned_put_cannot_send_another_size_than_the_signed_one(signer, identity_ids, admin):
    """The signed Content-Length is the size: a body sent chunked (beside that very header, or
    without one) is S3's 501 NotImplemented for Transfer-Encoding, and nothing is stored."""
    key = data_key(identity_ids["user"], "chunked.txt")
    url = put_url(signer["user"], key, 5)
    chunked = ["Content-Type: text/plain", "Transfer-Encoding: chunked"]
    for headers in (chunked + ["Content-Length: 5"], chunked):
        status, body = curl(url, method="PUT", data="hello!", headers=headers)
        assert (status, element(body, "Code"), element(body, "Header")) == (501, "NotImplemented", "Transfer-Encoding")
        assert element(body, "Message") == "A header you provided implies functionality that is not implemented"
    assert admin["s3"].list_objects_v2(Bucket=ENV["S3_BUCKET"], Prefix=key).get("KeyCount") == 0


def test_presigned_put_goes_through_when_iam_allows_it(admin, identity_ids, env):
    """The same checks with a principal allowed s3:PutObject (the fixture IAM user, permanent
    keys, no session token): the right length and type store the object."""
    fixture = presigner(env["FIXTURE_AWS_ACCESS_KEY_ID"], env["FIXTURE_AWS_SECRET_ACCESS_KEY"])
    key = data_key(identity_ids["user"], "put-by-fixture.txt")
    url = put_url(fixture, key, 5)
    try:
        assert error(url, method="PUT", data="hello!", headers=["Content-Type: text/plain"]) == SIGNATURE
        assert curl(url, method="PUT", data="hello", headers=["Content-Type: text/plain"])[0] == 200
        stored = admin["s3"].get_object(Bucket=env["S3_BUCKET"], Key=key)
        assert (stored["Body"].read(), stored["ContentType"]) == (b"hello", "text/plain")
    finally:
        admin["s3"].delete_object(Bucket=env["S3_BUCKET"], Key=key)


# ---------------------------------------------------------------- the signing keys' own expiry


def test_a_url_stops_working_when_its_session_keys_expire(admin, identity_ids, env):
    """S3 refuses a presigned URL once the temporary keys that signed it have expired, whatever its
    X-Amz-Expires. Identity-pool keys last an hour, so a test role's keys are made to last 2 s
    (moto's STS does not enforce AWS's 900 s minimum; botocore's check is switched off)."""
    iam, name = admin["iam"], f"canary-short-keys-{int(time.time() * 1000)}"
    caller = admin["sts"].get_caller_identity()["Arn"]
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}]}
    read = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{env['S3_BUCKET']}/*"}]}
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    try:
        iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(read))
        sts = boto3.client("sts", region_name=env["AWS_REGION"], endpoint_url=env["AWS_ENDPOINT_URL"],
                           aws_access_key_id=env["FIXTURE_AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=env["FIXTURE_AWS_SECRET_ACCESS_KEY"],
                           config=Config(parameter_validation=False))
        keys = sts.assume_role(RoleArn=role_arn, RoleSessionName="short", DurationSeconds=2)["Credentials"]
        client = presigner(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"])
        url = get_url(client, data_key(identity_ids["admin"]), expires=900)
        assert curl(url) == (200, "admin\n")
        time.sleep(3)
        status, body = curl(url)
        assert (status, element(body, "Code"), element(body, "Message")) == \
            (400, "ExpiredToken", "The provided token has expired.")
    finally:
        iam.delete_role_policy(RoleName=name, PolicyName="read")
        iam.delete_role(RoleName=name)
