"""S3 answers moto gets wrong in ways our API can reach.

- ListObjectsV2 with a continuation token S3 never issued: S3 answers 400 InvalidArgument "The
  continuation token provided is incorrect" (moto has that very error class); moto 5.2.5 looks the
  token up, gets None and fails with a 500 (TypeError comparing a key name with None).
"""

from moto.s3.exceptions import InvalidContinuationToken
from moto.s3.models import S3Backend

_list_objects_v2 = S3Backend.list_objects_v2


def _list_objects_v2_known_tokens(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys):
    if continuation_token and continuation_token not in self._pagination_tokens:
        raise InvalidContinuationToken()
    return _list_objects_v2(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys)


def apply():
    S3Backend.list_objects_v2 = _list_objects_v2_known_tokens
