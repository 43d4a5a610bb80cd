"""S3 answers moto gets wrong in ways our API can reach.

- PutObject whose Content-Type is a form type (application/x-www-form-urlencoded,
  multipart/form-data): S3 stores the bytes as they are; moto's request parsing reads such a body
  as an HTML form, so the stored object is empty (or a form field). A browser that uploads a file
  with such a type would lose it. The raw bytes are kept for every PUT.

- A PUT or POST with `Transfer-Encoding` (a chunked body): S3 answers 501 `NotImplemented` "A
  header you provided implies functionality that is not implemented" (`<Header>Transfer-Encoding`),
  for presigned and header-signed requests alike (aws/aws-sdk-go#4944, boto/botocore#35,
  aws/aws-sdk-js#15). Moto stores the de-chunked body, so a presigned PUT signed for
  `Content-Length: 5` stored 6 bytes sent chunked beside that very header. Refused here before
  anything else looks at the request (`ChunkedUploads`, a WSGI middleware).

- ListObjectsV2 with a continuation token S3 never issued: S3 answers 400 InvalidArgument "The
  continuation token provided is incorrect" (moto has that very error class); moto 5.2.5 looks the
  token up, gets None and fails with a 500 (TypeError comparing a key name with None).

- Not an S3 answer but the stack's own state dump (`/moto-api/data.json`, read by
  tests/secrets_in_logs.rs): moto 5.2.5 fails it with a 500 once any multipart upload has stored a
  part. A part is a FakeKey without a bucket, and reading a key's `status` (a restore state moto
  advances on read) looks its bucket up for a notification. A key without a bucket sends none.
"""

import uuid

from moto.s3.exceptions import InvalidContinuationToken
from moto.moto_api._internal.managed_state_model import ManagedState
from moto.s3.models import FakeKey, S3Backend
from moto.s3.responses import S3Response
from werkzeug.datastructures import ImmutableMultiDict

from .calls_and_faults import operation_of

_list_objects_v2 = S3Backend.list_objects_v2


def _list_objects_v2_known_tokens(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys):
    if continuation_token and continuation_token not in self._pagination_tokens:
        raise InvalidContinuationToken()
    return _list_objects_v2(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys)


_setup_class = S3Response.setup_class


def _setup_class_raw_put_body(self, request, full_url=None, headers=None):
    if request.method == "PUT":
        # Read the body before anything parses it as a form, and let nothing parse it as one:
        # a PUT body is an object's content (forms are S3's browser-POST uploads only).
        request.get_data(cache=True, parse_form_data=False)
        request.__dict__["form"] = ImmutableMultiDict()
        request.__dict__["files"] = ImmutableMultiDict()
    return _setup_class(self, request, full_url, headers)


_key_status = FakeKey.status


def _status_of_parts_too(self):
    if self.bucket_name is None:  # a multipart upload's part: no bucket to notify
        return ManagedState.status.fget(self)
    return _key_status.fget(self)


def apply():
    S3Backend.list_objects_v2 = _list_objects_v2_known_tokens
    S3Response.setup_class = _setup_class_raw_put_body
    FakeKey.status = property(_status_of_parts_too, _key_status.fset)


class ChunkedUploads:
    """WSGI middleware: S3's 501 for an upload with a Transfer-Encoding (see the module doc)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") in ("PUT", "POST") and "HTTP_TRANSFER_ENCODING" in environ
                and (operation_of(environ) or "").startswith("s3:")):
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotImplemented</Code>'
                    "<Message>A header you provided implies functionality that is not implemented</Message>"
                    f"<Header>Transfer-Encoding</Header><RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId>"
                    "<HostId>moto-ext</HostId></Error>").encode()
            # The chunked body is never read: the connection cannot carry another request.
            start_response("501 Not Implemented", [("Content-Type", "application/xml"),
                                                   ("Content-Length", str(len(body))), ("Connection", "close")])
            return [body]
        return self.app(environ, start_response)
