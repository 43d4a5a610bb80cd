"""Multipart uploads, copies and batched deletes with the users' own identity-pool keys, through
boto3 and (for presigned part URLs) plain curl: what the file API's uploads, copies, moves and folder
deletes rely on, held to S3's rules (moto_ext/multipart.py, moto_ext/iam_eval.py).

- a presigned UploadPart URL is verified as a presigned PUT is: signature, expiry, the signer's IAM;
- an upload id belongs to its key: at any other key it is 404 NoSuchUpload, even for a principal
  IAM allows everything;
- ListParts answers <ListPartsResult>; nobody's role lists unfinished uploads (no
  s3:ListBucketMultipartUploads, which S3 cannot confine to a prefix);
- a copy needs s3:GetObject on its source as well as s3:PutObject on its target; CopyObject honours
  If-None-Match: *;
- DeleteObjects is authorized per key (s3:DeleteObject): refused keys are reported, the others go.
"""

import time

import pytest
from support import ENV, control, curl, data_key, element, error, error_of, unique, with_param

MIB = 1024 * 1024
OTHER = {"admin": "user", "user": "admin"}


@pytest.fixture
def own(identity_ids, admin):
    """own(user, name) -> a fresh key in that user's folder; everything made is removed afterwards."""
    made = []

    def key(user, name="upload.bin"):
        made.append(data_key(identity_ids[user], unique(name)))
        return made[-1]

    yield key
    s3, bucket = admin["s3"], ENV["S3_BUCKET"]
    for key in made:
        for upload in s3.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        s3.delete_object(Bucket=bucket, Key=key)


def part_url(client, key, upload_id, part, expires=900):
    return client.generate_presigned_url(
        "upload_part", Params={"Bucket": ENV["S3_BUCKET"], "Key": key, "UploadId": upload_id, "PartNumber": part},
        ExpiresIn=expires)


# ---------------------------------------------------------------- presigned parts


def test_a_presigned_part_url_goes_through_and_completes(user_s3, signer, own, admin):
    s3, key = user_s3["user"], own("user")
    upload_id = s3.create_multipart_upload(Bucket=ENV["S3_BUCKET"], Key=key)["UploadId"]
    assert curl(part_url(signer["user"], key, upload_id, 1), method="PUT", data="a" * 10,
                headers=["Content-Type:"])[0] == 200
    parts = s3.list_parts(Bucket=ENV["S3_BUCKET"], Key=key, UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 10)]
    s3.complete_multipart_upload(Bucket=ENV["S3_BUCKET"], Key=key, UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": parts[0]["ETag"]}]})
    assert admin["s3"].get_object(Bucket=ENV["S3_BUCKET"], Key=key)["Body"].read() == b"a" * 10


def test_a_presigned_part_url_is_verified_as_a_presigned_put_is(user_s3, signer, own, identity_ids):
    s3, key = user_s3["user"], own("user")
    upload_id = s3.create_multipart_upload(Bucket=ENV["S3_BUCKET"], Key=key)["UploadId"]
    url = part_url(signer["user"], key, upload_id, 1)
    # Signature: every signed parameter, the part number and the upload id included.
    assert error(with_param(url, "partNumber", "2"), method="PUT", data="x") == (403, "SignatureDoesNotMatch")
    assert error(with_param(url, "X-Amz-Signature", "0" * 64), method="PUT", data="x") == \
        (403, "SignatureDoesNotMatch")
    # Expiry.
    short = part_url(signer["user"], key, upload_id, 2, expires=1)
    time.sleep(2)
    status, body = curl(short, method="PUT", data="x")
    assert (status, element(body, "Code"), element(body, "Message")) == (403, "AccessDenied", "Request has expired")
    # The signer's permissions: the other user's keys, signing for this key, are refused by IAM.
    foreign = part_url(signer[OTHER["user"]], key, upload_id, 3)
    assert error(foreign, method="PUT", data="x") == (403, "AccessDenied")
    assert s3.list_parts(Bucket=ENV["S3_BUCKET"], Key=key, UploadId=upload_id).get("Parts", []) == []


def test_a_signed_content_length_is_the_parts_size(user_s3, signer, own):
    """A part URL signed with its Content-Length (as the file API signs them) takes only that size."""
    s3, key = user_s3["user"], own("user")
    upload_id = s3.create_multipart_upload(Bucket=ENV["S3_BUCKET"], Key=key)["UploadId"]
    url = signer["user"].generate_presigned_url("upload_part", Params={
        "Bucket": ENV["S3_BUCKET"], "Key": key, "UploadId": upload_id, "PartNumber": 1, "ContentLength": 5},
        ExpiresIn=900)
    assert "content-length" in url.lower()
    assert error(url, method="PUT", data="hello!", headers=["Content-Type:"]) == (403, "SignatureDoesNotMatch")
    assert curl(url, method="PUT", data="hello", headers=["Content-Type:"])[0] == 200


# ---------------------------------------------------------------- an upload id belongs to its key


def test_an_upload_id_at_another_key_is_no_such_upload(admin, own):
    """Even for a principal IAM allows everything: S3 ties an upload id to its key."""
    s3, bucket = admin["s3"], ENV["S3_BUCKET"]
    key, elsewhere = own("user"), own("admin")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"p")["ETag"]
    calls = {
        "UploadPart": lambda: s3.upload_part(Bucket=bucket, Key=elsewhere, UploadId=upload_id, PartNumber=2, Body=b"q"),
        "UploadPartCopy": lambda: s3.upload_part_copy(Bucket=bucket, Key=elsewhere, UploadId=upload_id, PartNumber=2,
                                                      CopySource={"Bucket": bucket, "Key": key}),
        "ListParts": lambda: s3.list_parts(Bucket=bucket, Key=elsewhere, UploadId=upload_id),
        "CompleteMultipartUpload": lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key=elsewhere, UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}),
        "AbortMultipartUpload": lambda: s3.abort_multipart_upload(Bucket=bucket, Key=elsewhere, UploadId=upload_id),
    }
    for name, call in calls.items():
        assert error_of(call) == ("NoSuchUpload", 404), name
    # The upload is untouched: one part, still open; nothing was written at either key.
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]] == [1]
    for k in (key, elsewhere):
        assert s3.list_objects_v2(Bucket=bucket, Prefix=k).get("KeyCount") == 0
    assert error_of(lambda: s3.upload_part(Bucket=bucket, Key=key, UploadId="no-such-upload", PartNumber=1,
                                           Body=b"x")) == ("NoSuchUpload", 404)


def test_list_parts_answers_list_parts_result(signer, user_s3, own):
    """The root element of the API reference (strict clients, the AWS SDK for Rust, refuse another)."""
    s3, key = user_s3["user"], own("user")
    upload_id = s3.create_multipart_upload(Bucket=ENV["S3_BUCKET"], Key=key)["UploadId"]
    url = signer["user"].generate_presigned_url(
        "list_parts", Params={"Bucket": ENV["S3_BUCKET"], "Key": key, "UploadId": upload_id}, ExpiresIn=60)
    status, body = curl(url)
    assert status == 200 and "<ListPartsResult" in body and body.rstrip().endswith("</ListPartsResult>"), body


@pytest.mark.parametrize("user", ["admin", "user"])
def test_nobody_lists_unfinished_uploads(user, user_s3, identity_ids):
    """s3:ListBucketMultipartUploads takes no s3:prefix condition, so the role has none at all."""
    for prefix in ("", f"cognito-test/{identity_ids[user]}/", f"cognito-test/{identity_ids[OTHER[user]]}/"):
        assert error_of(user_s3[user].list_multipart_uploads, Bucket=ENV["S3_BUCKET"], Prefix=prefix) == \
            ("AccessDenied", 403), prefix


# ---------------------------------------------------------------- copies


def test_a_copy_needs_read_on_the_source_and_write_on_the_target(user_s3, own, admin, identity_ids):
    s3, bucket = user_s3["user"], ENV["S3_BUCKET"]
    mine, theirs = data_key(identity_ids["user"]), data_key(identity_ids["admin"])
    target, their_target = own("user", "copy.txt"), own("admin", "copy.txt")
    s3.copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": mine})
    assert admin["s3"].get_object(Bucket=bucket, Key=target)["Body"].read() == b"user\n"
    # The other user's file as the source: no s3:GetObject on it.
    assert error_of(s3.copy_object, Bucket=bucket, Key=own("user", "stolen.txt"),
                    CopySource={"Bucket": bucket, "Key": theirs}) == ("AccessDenied", 403)
    # Into the other user's folder: no s3:PutObject there.
    assert error_of(s3.copy_object, Bucket=bucket, Key=their_target,
                    CopySource={"Bucket": bucket, "Key": mine}) == ("AccessDenied", 403)
    # A part copied from the other user's file: the same source check.
    key = own("user", "parts.bin")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    assert error_of(s3.upload_part_copy, Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1,
                    CopySource={"Bucket": bucket, "Key": theirs}) == ("AccessDenied", 403)
    s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1,
                        CopySource={"Bucket": bucket, "Key": mine})
    for k in (their_target,):
        assert admin["s3"].list_objects_v2(Bucket=bucket, Prefix=k).get("KeyCount") == 0


def test_copy_object_honours_if_none_match(user_s3, own, admin, identity_ids):
    s3, bucket = user_s3["user"], ENV["S3_BUCKET"]
    source, target = data_key(identity_ids["user"]), own("user", "once.txt")
    s3.put_object(Bucket=bucket, Key=target, Body=b"first")
    assert error_of(s3.copy_object, Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": source},
                    IfNoneMatch="*") == ("PreconditionFailed", 412)
    assert admin["s3"].get_object(Bucket=bucket, Key=target)["Body"].read() == b"first"
    fresh = own("user", "fresh.txt")
    s3.copy_object(Bucket=bucket, Key=fresh, CopySource={"Bucket": bucket, "Key": source}, IfNoneMatch="*")
    assert admin["s3"].get_object(Bucket=bucket, Key=fresh)["Body"].read() == b"user\n"


# ---------------------------------------------------------------- DeleteObjects


def test_delete_objects_is_authorized_per_key(user_s3, own, admin):
    """The request needs no permission on the bucket; each key is its own s3:DeleteObject."""
    s3, bucket = user_s3["user"], ENV["S3_BUCKET"]
    mine = [own("user", f"batch-{i}.txt") for i in range(3)]
    theirs = own("admin", "batch.txt")
    for key in mine + [theirs]:
        admin["s3"].put_object(Bucket=bucket, Key=key, Body=b"x")
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in mine + [theirs]]})
    assert sorted(d["Key"] for d in answer.get("Deleted", [])) == sorted(mine)
    assert [(e["Key"], e["Code"]) for e in answer.get("Errors", [])] == [(theirs, "AccessDenied")]
    assert admin["s3"].get_object(Bucket=bucket, Key=theirs)["Body"].read() == b"x"
    for key in mine:
        assert admin["s3"].list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount") == 0
    # Only refused keys: a 200 answer whose every key is an error.
    only = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": theirs}], "Quiet": True})
    assert [(e["Key"], e["Code"]) for e in only.get("Errors", [])] == [(theirs, "AccessDenied")]
    assert admin["s3"].get_object(Bucket=bucket, Key=theirs)["Body"].read() == b"x"


def test_multipart_operations_are_counted_by_their_api_names(user_s3, own):
    s3, key = user_s3["user"], own("user")
    control("POST", "/moto-ext/calls/reset")
    upload_id = s3.create_multipart_upload(Bucket=ENV["S3_BUCKET"], Key=key)["UploadId"]
    s3.upload_part(Bucket=ENV["S3_BUCKET"], Key=key, UploadId=upload_id, PartNumber=1, Body=b"p")
    s3.list_parts(Bucket=ENV["S3_BUCKET"], Key=key, UploadId=upload_id)
    s3.abort_multipart_upload(Bucket=ENV["S3_BUCKET"], Key=key, UploadId=upload_id)
    status, calls = control("GET", "/moto-ext/calls")
    assert status == 200
    for name in ("s3:CreateMultipartUpload", "s3:UploadPart", "s3:ListParts", "s3:AbortMultipartUpload"):
        assert calls.get(name, 0) >= 1, (name, calls)
