"""Unit tests of the rules behind multipart uploads, copies and batched deletes that the canary
(canary/test_multipart.py) cannot reach one by one: how a copy names its source, what a
DeleteObjects body holds, and the names S3 operations are counted under."""

import io

import pytest

from moto_ext.calls_and_faults import operation_of
from moto_ext.iam_eval import _copy_source, _objects_to_delete


@pytest.mark.parametrize("header, expected", [
    ("bucket/a/b.txt", ("arn:aws:s3:::bucket/a/b.txt", None)),
    ("/bucket/a/b.txt", ("arn:aws:s3:::bucket/a/b.txt", None)),
    ("bucket/cognito-test/us-east-1%3Aabc/%C3%A9t%C3%A9%20x.txt",
     ("arn:aws:s3:::bucket/cognito-test/us-east-1:abc/été x.txt", None)),
    ("bucket/k?versionId=v1", ("arn:aws:s3:::bucket/k", "v1")),
    ("bucket", None),
    ("bucket/", None),
    ("", None),
])
def test_a_copy_source_names_the_object_it_reads(header, expected):
    assert _copy_source({"x-amz-copy-source": header} if header else {}) == expected


def test_a_delete_objects_body_lists_its_keys_and_versions():
    body = (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>'
            b"<Object><Key>a/b.txt</Key></Object><Object><Key>a&amp;b</Key><VersionId>v</VersionId></Object>"
            b"</Delete>")
    assert _objects_to_delete(body) == [("a/b.txt", None), ("a&b", "v")]
    assert _objects_to_delete(b"<Delete><Object><Key></Key></Object></Delete>") == [("", None)]
    assert _objects_to_delete(b"not xml") == []
    assert _objects_to_delete(b"") == []


def environ(method, path, query="", **headers):
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO(b""),
           "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, x"}
    env.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    return env


@pytest.mark.parametrize("method, path, query, headers, name", [
    ("POST", "/b/k", "uploads", {}, "s3:CreateMultipartUpload"),
    ("PUT", "/b/k", "partNumber=1&uploadId=u", {}, "s3:UploadPart"),
    ("PUT", "/b/k", "partNumber=1&uploadId=u", {"x_amz_copy_source": "b/src"}, "s3:UploadPartCopy"),
    ("GET", "/b/k", "uploadId=u", {}, "s3:ListParts"),
    ("POST", "/b/k", "uploadId=u", {}, "s3:CompleteMultipartUpload"),
    ("DELETE", "/b/k", "uploadId=u", {}, "s3:AbortMultipartUpload"),
    ("GET", "/b", "uploads", {}, "s3:ListMultipartUploads"),
    ("PUT", "/b/k", "", {"x_amz_copy_source": "b/src"}, "s3:CopyObject"),
    ("POST", "/b", "delete", {}, "s3:DeleteObjects"),
    ("PUT", "/b/k", "", {}, "s3:PutObject"),
])
def test_s3_operations_are_counted_by_their_api_names(method, path, query, headers, name):
    """The names the function's own counter uses (read_file::metrics::op), so one name serves both."""
    assert operation_of(environ(method, path, query, **headers)) == name


def test_a_part_reads_its_status_without_a_bucket():
    """moto's state dump reads every key's status; a part (no bucket) made it fail (s3_fixes)."""
    from moto.s3.models import FakeKey

    from moto_ext import s3_fixes

    part = FakeKey(1, b"x", account_id="123456789012", region_name="us-east-1")
    assert part.bucket_name is None
    s3_fixes.apply()
    assert part.status == "RESTORED"
