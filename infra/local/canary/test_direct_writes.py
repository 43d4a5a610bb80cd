"""What the browser's own keys can write straight to S3 (infra/policies/user-files.json), with a
user's real identity-pool keys through boto3 and through presigned PUT URLs sent by curl: plain
objects in the user's own folder, in the STANDARD class, without SSE-C, tags or an ACL."""

import base64
import hashlib
import json
import os

import pytest
from support import ENV, curl, data_key, error, error_of, make_client, presigner, unique

DENIED = ("AccessDenied", 403)
SSE_C_KEY = os.urandom(32)
# PutObject parameters that make a write more than a plain one; each is refused to the user's keys.
NOT_PLAIN = {
    "GLACIER class": {"StorageClass": "GLACIER"},
    "STANDARD_IA class": {"StorageClass": "STANDARD_IA"},
    "SSE-C": {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_C_KEY},
    "tags": {"Tagging": "project=canary"},
    "canned ACL": {"ACL": "private"},
    "ACL grant": {"GrantRead": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'},
}


@pytest.fixture
def own_key(identity_ids, admin):
    """A fresh key in the user's own folder, removed (by the fixture principal) afterwards."""
    key = data_key(identity_ids["user"], unique("direct") + ".txt")
    yield key
    admin["s3"].delete_object(Bucket=ENV["S3_BUCKET"], Key=key)


def stored(admin, key):
    """Is there an object under exactly this key?"""
    listed = admin["s3"].list_objects_v2(Bucket=ENV["S3_BUCKET"], Prefix=key).get("Contents", [])
    return any(item["Key"] == key for item in listed)


def test_a_plain_put_in_the_own_folder_passes(user_s3, own_key, admin):
    user_s3["user"].put_object(Bucket=ENV["S3_BUCKET"], Key=own_key, Body=b"plain", ContentType="text/plain")
    user_s3["user"].put_object(Bucket=ENV["S3_BUCKET"], Key=own_key, Body=b"plain", StorageClass="STANDARD")
    assert admin["s3"].get_object(Bucket=ENV["S3_BUCKET"], Key=own_key)["Body"].read() == b"plain"


@pytest.mark.parametrize("what", NOT_PLAIN)
def test_a_put_that_is_not_plain_is_access_denied(what, user_s3, own_key, admin):
    call = dict(Bucket=ENV["S3_BUCKET"], Key=own_key, Body=b"not plain", **NOT_PLAIN[what])
    assert error_of(user_s3["user"].put_object, **call) == DENIED
    assert not stored(admin, own_key)


def test_the_bare_key_outside_the_folder_is_nobodys(user_s3, identity_ids, admin):
    """cognito-test/<IdentityId> (no slash after it): not in the user's folder, so no grant at all."""
    bare = f"cognito-test/{identity_ids['user']}"
    bucket = ENV["S3_BUCKET"]
    assert error_of(user_s3["user"].put_object, Bucket=bucket, Key=bare, Body=b"x") == DENIED
    admin["s3"].put_object(Bucket=bucket, Key=bare, Body=b"x")
    try:
        assert error_of(user_s3["user"].get_object, Bucket=bucket, Key=bare) == DENIED
        assert error_of(user_s3["user"].delete_object, Bucket=bucket, Key=bare) == DENIED
    finally:
        admin["s3"].delete_object(Bucket=bucket, Key=bare)


# ---------------------------------------------------------------- presigned PUT URLs


def put_url(client, key, **params):
    return client.generate_presigned_url("put_object", ExpiresIn=900,
                                          Params={"Bucket": ENV["S3_BUCKET"], "Key": key, **params})


def sent_headers(params):
    """The headers a presigned PUT with `params` must carry (botocore signs them)."""
    names = {"StorageClass": "x-amz-storage-class", "Tagging": "x-amz-tagging", "ACL": "x-amz-acl",
             "GrantRead": "x-amz-grant-read", "SSECustomerAlgorithm": "x-amz-server-side-encryption-customer-algorithm"}
    headers = [f"{names[name]}: {value}" for name, value in params.items() if name in names]
    if "SSECustomerKey" in params:
        headers += [f"x-amz-server-side-encryption-customer-key: {base64.b64encode(SSE_C_KEY).decode()}",
                    "x-amz-server-side-encryption-customer-key-MD5: "
                    f"{base64.b64encode(hashlib.md5(SSE_C_KEY).digest()).decode()}"]
    return headers


def test_a_plain_presigned_put_passes(signer, own_key, admin):
    assert curl(put_url(signer["user"], own_key), method="PUT", data="plain")[0] == 200
    assert stored(admin, own_key)


@pytest.mark.parametrize("what", NOT_PLAIN)
def test_a_presigned_put_that_is_not_plain_is_access_denied(what, signer, own_key, admin):
    params = NOT_PLAIN[what]
    url = put_url(signer["user"], own_key, **params)
    assert error(url, method="PUT", data="not plain", headers=sent_headers(params)) == (403, "AccessDenied")
    assert not stored(admin, own_key)


def test_a_presigned_put_of_the_bare_key_is_access_denied(signer, identity_ids, admin):
    bare = f"cognito-test/{identity_ids['user']}"
    assert error(put_url(signer["user"], bare), method="PUT", data="x") == (403, "AccessDenied")
    assert not stored(admin, bare)


# ---------------------------------------------------------------- S3's own extra permissions


@pytest.fixture
def put_only(admin):
    """An IAM user allowed s3:PutObject on the whole bucket and nothing else; makes clients for it."""
    iam, name = admin["iam"], unique("put-only")
    iam.create_user(UserName=name)
    grants = []

    def allow(*actions):
        grants.append(unique("grant"))
        iam.put_user_policy(UserName=name, PolicyName=grants[-1], PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions),
                                                     "Resource": f"arn:aws:s3:::{ENV['S3_BUCKET']}/*"}]}))

    allow("s3:PutObject")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    yield allow, make_client("s3", key["AccessKeyId"], key["SecretAccessKey"]), \
        presigner(key["AccessKeyId"], key["SecretAccessKey"])
    for grant in grants:
        iam.delete_user_policy(UserName=name, PolicyName=grant)
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name)


def test_put_object_with_tags_or_an_acl_needs_put_object_tagging_or_put_object_acl_too(put_only, own_key, admin):
    """PutObject API reference, Permissions: setting the tag set or the ACL with PutObject needs
    s3:PutObjectTagging / s3:PutObjectAcl besides s3:PutObject."""
    allow, s3, signing = put_only
    bucket = ENV["S3_BUCKET"]
    s3.put_object(Bucket=bucket, Key=own_key, Body=b"plain")
    assert error_of(s3.put_object, Bucket=bucket, Key=own_key, Body=b"t", Tagging="a=b") == DENIED
    assert error_of(s3.put_object, Bucket=bucket, Key=own_key, Body=b"a", ACL="private") == DENIED
    assert error_of(s3.put_object, Bucket=bucket, Key=own_key, Body=b"g", GrantRead='id="abc"') == DENIED
    url = put_url(signing, own_key, Tagging="a=b")
    assert error(url, method="PUT", data="t", headers=sent_headers({"Tagging": "a=b"})) == (403, "AccessDenied")
    allow("s3:PutObjectTagging", "s3:PutObjectAcl")
    s3.put_object(Bucket=bucket, Key=own_key, Body=b"t", Tagging="a=b")
    s3.put_object(Bucket=bucket, Key=own_key, Body=b"a", ACL="private")
    assert admin["s3"].get_object(Bucket=bucket, Key=own_key)["Body"].read() == b"a"
