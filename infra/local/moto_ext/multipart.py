"""Multipart uploads and copies as S3 answers them, where moto 5.2.5 is more permissive or breaks.

- An upload id belongs to one key. S3 answers 404 `NoSuchUpload` to UploadPart, UploadPartCopy,
  ListParts, CompleteMultipartUpload and AbortMultipartUpload when the upload id is not an upload
  *of the key in the request's path* ("The specified upload does not exist. The upload ID may be
  invalid, or the upload may have been aborted or completed."; API reference, "Error responses").
  Moto looks the id up in the whole bucket and ignores the key: with an upload id of another user,
  a request at the caller's own key (which IAM allows) added parts to, listed, completed (writing
  the other user's key) or aborted that user's upload. And UploadPart to an unknown id was a 500
  (KeyError). Checked after authorization, as S3 does (a caller without the permission gets 403
  whatever the id).
- ListParts answers `<ListPartsResult>`, the root element of the API reference; moto named it
  `<ListPartsResponse>`, which strict clients (the AWS SDK for Rust) refuse to parse.
- CopyObject honours `If-None-Match: *` (412 `PreconditionFailed` when the target exists), as the
  CopyObject API reference and "How to prevent object overwrites with conditional writes" say;
  moto copied over the target regardless.

IAM for copies (the source's `s3:GetObject`) and for DeleteObjects (each key's `s3:DeleteObject`)
is in iam_eval.py, with the rest of the evaluation.

Moto internals touched: S3Response.upload_part / upload_part_copy / list_parts /
abort_multipart_upload / _complete_multipart_body / copy_object (wrapped), S3Response
.parse_key_name, ._get_param, .bucket_name, .backend, .headers; S3Backend.get_bucket(...).multiparts
(id -> FakeMultipart with .key_name), S3Backend.get_object; moto.s3.exceptions.NoSuchUpload,
PreconditionFailed.
"""

from moto.s3.exceptions import NoSuchUpload, PreconditionFailed
from moto.s3.responses import S3Response


def _upload_of_key(response):
    """Raise NoSuchUpload unless the request's uploadId is an upload of the request's key."""
    upload_id = response._get_param("uploadId")
    multipart = response.backend.get_bucket(response.bucket_name).multiparts.get(upload_id)
    if multipart is None or multipart.key_name != response.parse_key_name():
        raise NoSuchUpload(upload_id=upload_id)


def _checked(method):
    def checked(self, *args, **kwargs):
        _upload_of_key(self)
        return method(self, *args, **kwargs)

    checked.__name__ = method.__name__
    return checked


def _complete_checked(original):
    """Moto calls _complete_multipart_body (a generator) only when it completes an upload that is
    still open, after authorization; a completed upload's repeated Complete is answered before."""

    def complete_body(self, body):
        _upload_of_key(self)
        return original(self, body)

    return complete_body


ROOT_FROM, ROOT_TO = b"<ListPartsResponse", b"<ListPartsResult"


def _list_parts_result(original):
    def list_parts(self):
        _upload_of_key(self)
        status, headers, body = original(self)
        if isinstance(body, str):
            body = body.encode()
        if body.lstrip().startswith(b"<?xml") or body.lstrip().startswith(ROOT_FROM):
            body = body.replace(ROOT_FROM, ROOT_TO, 1).replace(b"</ListPartsResponse>", b"</ListPartsResult>", 1)
            headers["content-length"] = str(len(body))
        return status, headers, body

    return list_parts


def _copy_if_none_match(original):
    def copy_object(self):
        if self.headers.get("If-None-Match") == "*" and \
                self.backend.get_object(self.bucket_name, self.parse_key_name()) is not None:
            raise PreconditionFailed("If-None-Match")
        return original(self)

    return copy_object


def apply():
    S3Response.upload_part = _checked(S3Response.upload_part)
    S3Response.upload_part_copy = _checked(S3Response.upload_part_copy)
    S3Response.abort_multipart_upload = _checked(S3Response.abort_multipart_upload)
    S3Response.list_parts = _list_parts_result(S3Response.list_parts)
    S3Response._complete_multipart_body = _complete_checked(S3Response._complete_multipart_body)
    S3Response.copy_object = _copy_if_none_match(S3Response.copy_object)
