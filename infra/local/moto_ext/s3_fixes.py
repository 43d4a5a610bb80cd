"""S3 answers moto gets wrong in ways our API can reach.

- PutObject whose Content-Type is a form type (application/x-www-form-urlencoded,
  multipart/form-data): S3 stores the bytes as they are; moto's request parsing reads such a body
  as an HTML form, so the stored object is empty (or a form field). A browser that uploads a file
  with such a type would lose it. The raw bytes are kept for every PUT.

- ListObjectsV2 with a continuation token S3 never issued: S3 answers 400 InvalidArgument "The
  continuation token provided is incorrect" (moto has that very error class); moto 5.2.5 looks the
  token up, gets None and fails with a 500 (TypeError comparing a key name with None).
"""

from moto.s3.exceptions import InvalidContinuationToken
from moto.s3.models import S3Backend
from moto.s3.responses import S3Response
from werkzeug.datastructures import ImmutableMultiDict

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


def apply():
    S3Backend.list_objects_v2 = _list_objects_v2_known_tokens
    S3Response.setup_class = _setup_class_raw_put_body
