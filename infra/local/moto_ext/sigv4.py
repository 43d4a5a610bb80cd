"""SigV4: what is signed, computed once for every verifier of the local stack.

Two verifiers use it: `presign.py` (S3 presigned URLs) and `gateway/auth.py` (API Gateway,
header or query signatures). Each keeps its own checks, their order and its service's messages;
the canonical request, the string to sign and the signature are built here, as AWS's "Create a
canonical request for Signature Version 4" specifies them:

- the canonical URI: S3 URI-encodes the decoded path once; every other service URI-encodes the
  path as received once more (so a `%20` sent is `%2520` signed), after removing dot segments
  and repeated slashes (botocore's `normalize_url_path`, as the SDKs do);
- the canonical query: every parameter decoded **to bytes** (`%FF` and `%FE` stay two values;
  a `+` is a literal plus), re-encoded with only A-Z a-z 0-9 - _ . ~ left as they are, sorted by
  name then value;
- the canonical headers: the signed names in lower case, repeated values joined with `,`, each
  value trimmed and its runs of spaces collapsed to one: spaces only (SigV4's Trimall), never
  other white space such as tabs or U+00A0;
- key derivation and HMAC: botocore's `SigV4Auth` (an implementation we did not write).

Raw paths and query strings arrive as `str` decoded as Latin-1 (http.server and WSGI both do so),
so each character is one received byte; they are turned back into those bytes, never re-encoded
as UTF-8.
"""

import hashlib
import hmac
from urllib.parse import quote, unquote_to_bytes

from botocore.auth import SigV4Auth
from botocore.credentials import Credentials
from botocore.utils import normalize_url_path

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
TERMINAL = "aws4_request"


def received_bytes(raw):
    """The bytes of a raw path or query string as the server received them."""
    if isinstance(raw, bytes):
        return raw
    try:
        return raw.encode("latin-1")
    except UnicodeEncodeError:  # built by a caller, not received: its characters as UTF-8
        return raw.encode("utf-8")


def uri_encode(data, keep_slash=False):
    """SigV4's UriEncode: every byte but A-Z a-z 0-9 - _ . ~ (and `/` when kept) as %XX."""
    return quote(data, safe="/~" if keep_slash else "~")


def query_pairs(raw_query):
    """[(name, value)] of a raw query string, each decoded to bytes, in the order received; `+`
    stays a literal plus, an empty part (`a=1&&b=2`) is no parameter."""
    pairs = []
    for part in received_bytes(raw_query or "").split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            pairs.append((unquote_to_bytes(name), unquote_to_bytes(value)))
    return pairs


def text_pairs(raw_query):
    """`query_pairs` as text (UTF-8, an invalid byte as U+FFFD): for lookups and events, never
    for what is signed."""
    return [(name.decode("utf-8", "replace"), value.decode("utf-8", "replace"))
            for name, value in query_pairs(raw_query)]


def canonical_uri(raw_path, s3):
    """The canonical URI of a path as received (still percent-encoded)."""
    if s3:
        return uri_encode(unquote_to_bytes(received_bytes(raw_path)), keep_slash=True) or "/"
    return uri_encode(received_bytes(normalize_url_path(raw_path or "/")), keep_slash=True)


def canonical_query(pairs, leave_out=()):
    """`pairs` (bytes, from `query_pairs`) URI-encoded and sorted; names in `leave_out` (text,
    e.g. X-Amz-Signature) are not part of it."""
    left_out = {name.encode() for name in leave_out}
    encoded = sorted((uri_encode(n), uri_encode(v)) for n, v in pairs if n not in left_out)
    return "&".join(f"{n}={v}" for n, v in encoded)


def trimall(value):
    """SigV4's Trimall: no white space at either end, every run of spaces inside one space.
    Only spaces are collapsed inside; a tab or a U+00A0 stays what it is."""
    value = value.strip(" \t")
    while "  " in value:
        value = value.replace("  ", " ")
    return value


def canonical_headers(headers, signed_headers):
    """`headers`: lower-case name -> the values received, in order. A signed header that is
    absent contributes an empty value, so the signature cannot match."""
    return "".join(f"{name}:{','.join(trimall(v) for v in headers.get(name, []))}\n" for name in signed_headers)


def header_lists(pairs):
    """{lower-case name: [values in order]} of (name, value) pairs."""
    lists = {}
    for name, value in pairs:
        lists.setdefault(name.lower(), []).append(value)
    return lists


def canonical_request(method, uri, query, headers, signed_headers, payload_hash):
    return "\n".join([method.upper(), uri, query, headers, ";".join(signed_headers), payload_hash])


def scope(date, region, service):
    return f"{date}/{region}/{service}/{TERMINAL}"


def string_to_sign(amz_date, credential_scope, canonical):
    return "\n".join([ALGORITHM, amz_date, credential_scope, hashlib.sha256(canonical.encode()).hexdigest()])


class _Signing:
    """What botocore's SigV4Auth.signature reads of a request: the timestamp (its date names the key)."""

    def __init__(self, amz_date):
        self.context = {"timestamp": amz_date}


def signature(access_key, secret_key, region, service, amz_date, text_to_sign):
    """The hex signature of `text_to_sign` with the key derived for (date of amz_date, region, service)."""
    auth = SigV4Auth(Credentials(access_key, secret_key), service, region)
    return auth.signature(text_to_sign, _Signing(amz_date))


def matches(expected, provided):
    return hmac.compare_digest(expected.encode(), (provided or "").encode())
